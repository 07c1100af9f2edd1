"""Shared pieces of the benchmark peers: the d2l corpus, sampling, timing.

The peers reproduce the d2l 6.4 recipe exactly as rnnc's `train` runs it:
the jaychou corpus (newlines -> spaces, then the first 10,000 characters),
a vocabulary of the distinct characters (V = 1027), random sampling of
(B, T) minibatches with the state reset every batch, SGD with lr = 100 after
clipping the gradients to a global L2 norm of 0.01. Each peer times whole
iterations (fetch the batch, forward, backward, clip, update) and prints one
machine-readable line:

    BENCH {"name": ..., "ms_per_iter": <median>, ...}

Only the standard library here, so the JAX peer can share it.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
import zipfile


def parse_args(description, cells=("rnn",), extra=None):
    p = argparse.ArgumentParser(description=description)
    if extra:
        extra(p)
    p.add_argument("--data", required=True, help="corpus: .zip with one text file, or a text file")
    p.add_argument("--chars", type=int, default=10000, help="keep the first N characters (0: all)")
    p.add_argument("--cell", choices=cells, default=cells[0])
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=35)
    p.add_argument("--lr", type=float, default=100.0)
    p.add_argument("--clip", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    p.add_argument("--iters", type=int, default=20, help="timed iterations")
    p.add_argument("--threads", type=int, default=1,
                   help="intra-op threads of the framework (0: its default)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


# rnnc's escape state machine: ESC '[' params* intermediates* final, where a
# byte that is not a final byte ends the sequence and is kept; or ESC and a
# byte in 0x40-0x5F; a lone ESC is dropped.
ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|[@-_]?)")


def strip_fortune_markup(text):
    """As rnnc's corpus reader does for a fortunes file (some line is exactly
    `%`): drops ANSI escape sequences, then the `%` separator lines."""
    if not re.search(r"^%\r?$", text, re.M):
        return text
    text = ESCAPE.sub("", text)
    return re.sub(r"^%\r?(?:\n|\Z)", "", text, flags=re.M)


def load_corpus(path, max_chars):
    """d2l 6.3: read, newlines -> spaces, keep the first max_chars (a
    fortunes file is cleaned up first, as rnnc does)."""
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            text = z.read(names[0]).decode("utf-8")
    else:
        with open(path, encoding="utf-8", newline="") as f:  # "\r\n": two spaces, as rnnc
            text = f.read()
    text = strip_fortune_markup(text).removeprefix("\ufeff")
    text = text.replace("\n", " ").replace("\r", " ")
    return text[:max_chars] if max_chars > 0 else text


def build_vocab(text):
    """Token ids of the text and the vocabulary size (distinct characters)."""
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    return [index[c] for c in text], len(chars)


def random_batches(ids, batch, seq_len, rng):
    """d2l's data_iter_random, cycling over epochs forever.

    Yields (X, Y) as lists of `batch` rows of `seq_len` token ids; Y is X
    shifted by one character.
    """
    examples = (len(ids) - 1) // seq_len
    per_epoch = examples // batch
    if per_epoch == 0:
        sys.exit("corpus too short for one minibatch")
    while True:
        starts = list(range(examples))
        rng.shuffle(starts)
        for b in range(per_epoch):
            chosen = starts[b * batch:(b + 1) * batch]
            xs = [ids[j * seq_len:(j + 1) * seq_len] for j in chosen]
            ys = [ids[j * seq_len + 1:(j + 1) * seq_len + 1] for j in chosen]
            yield xs, ys


def time_iterations(step, batches, warmup, iters):
    """Median and all wall times (ms) of `iters` calls of step(X, Y)."""
    for _ in range(warmup):
        step(*next(batches))
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step(*next(batches))
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), times


def loaded_blas():
    """File names of the BLAS libraries mapped into this process (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower()}
    except OSError:
        return []
    return sorted({os.path.relpath(p, "/usr/lib/x86_64-linux-gnu") for p in paths})


def report(name, args, vocab, median_ms, times, **extra):
    """Prints the BENCH line the driver parses."""
    record = {
        "name": name,
        "cell": args.cell,
        "ms_per_iter": round(median_ms, 3),
        "min_ms": round(min(times), 3),
        "iters": len(times),
        "threads": args.threads,
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "V": vocab,
        "H": args.hidden,
        "B": args.batch,
        "T": args.seq_len,
        "tokens_per_s": round(args.batch * args.seq_len / (median_ms / 1e3), 1),
        "blas": loaded_blas(),
    }
    record.update(extra)
    print("BENCH " + json.dumps(record), flush=True)


def setup(description, cells=("rnn",), extra=None):
    """Arguments, token ids, vocabulary size and an endless batch iterator;
    `extra(parser)` adds a peer's own arguments."""
    args = parse_args(description, cells, extra)
    text = load_corpus(args.data, args.chars)
    ids, vocab = build_vocab(text)
    rng = random.Random(args.seed)
    return args, ids, vocab, random_batches(ids, args.batch, args.seq_len, rng)
