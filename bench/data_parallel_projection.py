#!/usr/bin/env python3
"""bench/data_parallel_projection.py - data-parallel training on paper.

For every example model: the bytes all-reduced per update (its fp32
gradients plus the loss; parameter counts read from `rnnc emit --stage=ir`),
the time of a ring all-reduce of them at 10 and 100 Gbit/s for 2-64 ranks
against the step's compute time, the per-rank batch at which data-parallel
training pays, and the expected speed-up at 8, 16 and 64 ranks.

Model (stated, not measured beyond one machine):
- ring all-reduce (reduce-scatter + all-gather): 2(N-1)/N * S / bandwidth
  + 2(N-1) * latency; latency 20 us per message at 10 Gbit/s (TCP), 5 us at
  100 Gbit/s (RDMA); nominal bandwidth (an 85%-efficient link adds 18%);
- a rank is one machine like this one (2 cores): its step compute is
  b*T / R for b rows, R its tokens/s on the whole model (issue 14: d2l
  ~80,000, `chinese` ~17,500); this ignores that small b runs slower per
  token, so it flatters small per-rank batches;
- weak scaling: each rank keeps b rows, the global batch is N*b.
  Speed-up N*t_c / (t_c + t_ar) with the all-reduce after the backward
  (as rnnc does now). Overlap (buckets all-reduced while the backward goes
  on, as PyTorch DDP does): in rnnc's BPTT the output layer's gradients
  (W_hq, b_q: H*V + V of char_rnn's parameters) are final before the
  backward scan starts, the recurrent and input weights' only after it;
  so at best the output layer's share f hides behind the backward scan:
  N*t_c / (t_c + (1-f)*t_ar).
Standard library only.

  python3 bench/data_parallel_projection.py [--rnnc build/tools/rnnc/rnnc]
"""
import argparse, glob, os, re, subprocess

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--rnnc", default=os.path.join(repo, "build/tools/rnnc/rnnc"))
args = p.parse_args()

T = 35
corpora = {"d2l": (1027, 80000.0), "zh": (5963, 17500.0)}  # V, tokens/s per machine
links = {"10 Gbit/s": (10e9 / 8, 20e-6), "100 Gbit/s": (100e9 / 8, 5e-6)}


def parameters(model, vocab):
    ir = subprocess.run([args.rnnc, "emit", "--stage=ir", "--vocab", str(vocab), model],
                        capture_output=True, text=True, check=True).stdout
    forward = next(line for line in ir.splitlines() if "func @forward(" in line)
    total = 0
    for shape in re.findall(r"param %\w+: f32\[([^\]]*)\]", forward):
        n = 1
        for dim in shape.split(","):
            n *= int(dim.split("=")[-1])
        total += n
    return total


def ring(nbytes, n, link):
    bw, lat = links[link]
    return 2 * (n - 1) / n * nbytes / bw + 2 * (n - 1) * lat


print("### Bytes all-reduced per update (fp32 gradients + the loss)\n")
print("| model | V | parameters | MB per update |")
print("|---|---|---|---|")
sizes = {}
for model in sorted(glob.glob(os.path.join(repo, "examples", "*.rnn"))):
    for corpus, (vocab, _) in corpora.items():
        n = parameters(model, vocab)
        sizes[(os.path.basename(model), corpus)] = 4 * (n + 1)
        print(f"| `{os.path.basename(model)}` | {vocab} ({corpus}) | {n:,} | {4 * (n + 1) / 1e6:.2f} |")

for corpus, (vocab, rate) in corpora.items():
    nbytes = sizes[("char_rnn.rnn", corpus)]
    print(f"\n### `char_rnn.rnn` on {corpus} (V = {vocab}): {nbytes / 1e6:.2f} MB, "
          f"compute {1e3 * 32 * T / rate:.1f} ms per update at b = 32 rows per rank\n")
    print("| ranks | ring at 10 Gbit/s (ms) | ring at 100 Gbit/s (ms) |")
    print("|---|---|---|")
    for n in (2, 4, 8, 16, 32, 64):
        print(f"| {n} | {1e3 * ring(nbytes, n, '10 Gbit/s'):.2f} | {1e3 * ring(nbytes, n, '100 Gbit/s'):.2f} |")
    print("\n| link | per-rank batch where t_allreduce = t_compute (64 ranks) | for 90% efficiency | "
          "speed-up at 8 / 16 / 64 ranks, b = 32, after the backward | same, output layer overlapped |")
    print("|---|---|---|---|---|")
    for link in links:
        tar = ring(nbytes, 64, link)
        even = tar * rate / T
        ninety = 9 * tar * rate / T
        tc = 32 * T / rate
        after = " / ".join(f"{n * tc / (tc + ring(nbytes, n, link)):.1f}" for n in (8, 16, 64))
        f = (256 * vocab + vocab) / (nbytes / 4 - 1)  # H = 256
        over = " / ".join(f"{n * tc / (tc + (1 - f) * ring(nbytes, n, link)):.1f}" for n in (8, 16, 64))
        print(f"| {link} | {even:.1f} rows | {ninety:.0f} rows | {after} | {over} |")
