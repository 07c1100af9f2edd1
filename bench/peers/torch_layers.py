"""Peer (b): PyTorch's layers: nn.Embedding + nn.RNN/GRU/LSTM + nn.Linear.

The same recipe as the from-scratch peer (random sampling, state reset every
batch, global-norm clipping to 0.01, SGD lr = 100) but with the library's
recurrent layers, which run the time loop in C++. `--cell gru|lstm` are the
peers of examples/gru.rnn and examples/lstm.rnn. The input is an
nn.Embedding(V, H) (issue 4's peer: a row lookup, as rnnc's gathers), or
with `--input onehot` d2l 6.5's one-hot vectors, which nn.RNN multiplies as
a dense [T*B, V] matrix.

Runs on Debian's PyTorch 1.13 (/usr/bin/python3) and on PyTorch 2 from PyPI
(the bench's venv). With PyTorch 2, `--compile on` wraps the forward and
the loss in `torch.compile` (Inductor; AOTAutograd compiles the backward
too); Dynamo then leaves the nn.RNN/GRU/LSTM call to eager PyTorch (a graph
break) and compiles the embedding, projection and loss around it.
`--compile allow_rnn` sets `torch._dynamo.config.allow_rnn = True` first,
so Dynamo traces into the recurrent layer as well and Inductor compiles the
unrolled time loop. Clipping and SGD stay eager in both. The first step
(trace, compile, run) is reported as compile_ms; every compiled run should
get a fresh TORCHINDUCTOR_CACHE_DIR so that it is a cold compile.
"""

import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

LAYERS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


class RNNModel(torch.nn.Module):
    def __init__(self, cell, vocab, hidden, embedding):
        super().__init__()
        self.vocab = vocab
        self.embedding = torch.nn.Embedding(vocab, hidden) if embedding else None
        self.rnn = LAYERS[cell](input_size=hidden if embedding else vocab, hidden_size=hidden)
        self.dense = torch.nn.Linear(hidden, vocab)

    def forward(self, inputs):  # inputs: (B, T) token ids
        if self.embedding is not None:
            X = self.embedding(inputs.T)  # (T, B, H)
        else:
            X = F.one_hot(inputs.T, self.vocab).float()  # (T, B, V)
        Y, _ = self.rnn(X)  # zero initial state: random sampling
        return self.dense(Y.reshape(-1, Y.shape[-1]))  # (T*B, V)


def add_arguments(p):
    p.add_argument("--input", choices=("embedding", "onehot"), default="embedding")
    p.add_argument("--compile", choices=("off", "on", "allow_rnn"), default="off",
                   help="torch.compile the forward and loss (PyTorch 2)")


def main():
    args, _, vocab, batches = common.setup(
        __doc__, cells=("rnn", "gru", "lstm"),
        extra=add_arguments)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = RNNModel(args.cell, vocab, args.hidden, args.input == "embedding")
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss = torch.nn.CrossEntropyLoss()

    def forward_loss(X, Y):
        return loss(model(X), Y.T.reshape(-1))

    if args.compile != "off":
        if not hasattr(torch, "compile"):
            sys.exit(f"--compile needs PyTorch 2 (this is {torch.__version__})")
        from torch import _dynamo  # not `import torch._dynamo`: that makes `torch` local
        _dynamo.config.allow_rnn = args.compile == "allow_rnn"
        forward_loss = torch.compile(forward_loss)

    def step(xs, ys):
        X, Y = torch.tensor(xs), torch.tensor(ys)
        l = forward_loss(X, Y)
        optimizer.zero_grad()
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()

    start = time.perf_counter()
    step(*next(batches))  # compiled: trace + compile forward and backward
    first_ms = (time.perf_counter() - start) * 1e3
    median, times = common.time_iterations(step, batches, args.warmup, args.iters)
    common.report("torch_" + args.cell, args, vocab, median, times,
                  torch_threads=torch.get_num_threads(), input=args.input,
                  torch_version=torch.__version__, compile=args.compile,
                  compile_ms=round(first_ms, 1) if args.compile != "off" else None,
                  first_step_ms=round(first_ms, 1))


if __name__ == "__main__":
    main()
