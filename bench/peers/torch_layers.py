"""Peer (b): PyTorch's layers: nn.Embedding + nn.RNN/GRU/LSTM + nn.Linear.

The same recipe as the from-scratch peer (random sampling, state reset every
batch, global-norm clipping to 0.01, SGD lr = 100) but with the library's
recurrent layers, which run the time loop in C++. `--cell gru|lstm` are the
peers of examples/gru.rnn and examples/lstm.rnn. The input is an
nn.Embedding(V, H) (issue 4's peer: a row lookup, as rnnc's gathers), or
with `--input onehot` d2l 6.5's one-hot vectors, which nn.RNN multiplies as
a dense [T*B, V] matrix. Run with /usr/bin/python3.
"""

import os
import sys

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


def main():
    args, _, vocab, batches = common.setup(
        __doc__, cells=("rnn", "gru", "lstm"),
        extra=lambda p: p.add_argument("--input", choices=("embedding", "onehot"),
                                       default="embedding"))
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = RNNModel(args.cell, vocab, args.hidden, args.input == "embedding")
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss = torch.nn.CrossEntropyLoss()

    def step(xs, ys):
        X, Y = torch.tensor(xs), torch.tensor(ys)
        output = model(X)
        l = loss(output, Y.T.reshape(-1))
        optimizer.zero_grad()
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()

    median, times = common.time_iterations(step, batches, args.warmup, args.iters)
    common.report("torch_" + args.cell, args, vocab, median, times,
                  torch_threads=torch.get_num_threads(), input=args.input)


if __name__ == "__main__":
    main()
