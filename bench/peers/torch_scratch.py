"""Peer (a): the book's from-scratch PyTorch RNN, d2l 6.4 (zh, PyTorch port).

One-hot inputs, the five parameters, the explicit Python loop over time
steps, d2l's grad_clipping and sgd — the code as the book writes it, only
timed. Runs on Debian's PyTorch 1.13 (/usr/bin/python3) and on PyTorch 2
from PyPI (the bench's venv): the same code, unchanged.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def get_params(vocab, hidden):
    def normal(shape):
        return torch.nn.Parameter(torch.normal(0.0, 0.01, size=shape))

    W_xh = normal((vocab, hidden))
    W_hh = normal((hidden, hidden))
    b_h = torch.nn.Parameter(torch.zeros(hidden))
    W_hq = normal((hidden, vocab))
    b_q = torch.nn.Parameter(torch.zeros(vocab))
    return [W_xh, W_hh, b_h, W_hq, b_q]


def one_hot(x, n_class):
    res = torch.zeros(x.shape[0], n_class, dtype=torch.float32)
    res.scatter_(1, x.view(-1, 1), 1)
    return res


def to_onehot(X, n_class):
    return [one_hot(X[:, i], n_class) for i in range(X.shape[1])]


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = torch.tanh(torch.matmul(X, W_xh) + torch.matmul(H, W_hh) + b_h)
        Y = torch.matmul(H, W_hq) + b_q
        outputs.append(Y)
    return outputs, (H,)


def grad_clipping(params, theta):
    norm = torch.tensor([0.0])
    for param in params:
        norm += (param.grad.data ** 2).sum()
    norm = norm.sqrt().item()
    if norm > theta:
        for param in params:
            param.grad.data *= theta / norm


def sgd(params, lr, batch_size):
    for param in params:
        param.data -= lr * param.grad / batch_size


def main():
    args, _, vocab, batches = common.setup(__doc__)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    params = get_params(vocab, args.hidden)
    loss = torch.nn.CrossEntropyLoss()

    def step(xs, ys):
        X, Y = torch.tensor(xs), torch.tensor(ys)
        state = (torch.zeros((args.batch, args.hidden)),)  # random sampling
        inputs = to_onehot(X, vocab)
        outputs, state = rnn(inputs, state, params)
        outputs = torch.cat(outputs, dim=0)
        y = torch.transpose(Y, 0, 1).contiguous().view(-1)
        l = loss(outputs, y.long())
        if params[0].grad is not None:
            for param in params:
                param.grad.data.zero_()
        l.backward()
        grad_clipping(params, args.clip)
        sgd(params, args.lr, 1)  # the loss is already a mean

    median, times = common.time_iterations(step, batches, args.warmup, args.iters)
    common.report("torch_scratch", args, vocab, median, times,
                  torch_threads=torch.get_num_threads(), torch_version=torch.__version__)


if __name__ == "__main__":
    main()
