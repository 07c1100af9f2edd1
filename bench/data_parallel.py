#!/usr/bin/env python3
"""bench/data_parallel.py - tokens/s of data-parallel training on this machine.

Runs `rnnc train` (examples/char_rnn.rnn) three ways on each workload:
1 process x 1 thread, 1 process x 2 threads, and `mpirun -np 2` ranks x 1
thread; reads tokens/s from --metrics-json (every epoch after the first,
which includes warming up) and, for the ranks, rnnc's own breakdown of an
update (compute / waiting for the slowest rank / all-reduce). Prints a
Markdown table. Standard library only; not a test.

  python3 bench/data_parallel.py [--rnnc build/tools/rnnc/rnnc] [--quick]

Workloads: d2l (jaychou_lyrics, 10,000 characters, B = 32, T = 35, the
recipe) and zh (fortunes-zh `chinese`, V = 5,963) at B = 32 and at a wider
global batch, B = 128, where going wide is the point.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--rnnc", default=os.path.join(repo, "build/tools/rnnc/rnnc"))
p.add_argument("--mpirun", default="mpirun")
p.add_argument("--d2l-epochs", type=int, default=12)
p.add_argument("--zh-chars", type=int, default=120000)
p.add_argument("--zh-epochs", type=int, default=3)
p.add_argument("--quick", action="store_true")
args = p.parse_args()
if args.quick:
    args.d2l_epochs, args.zh_chars, args.zh_epochs = 3, 20000, 2

d2l_data = os.path.join(repo, "..", "shared", "data", "jaychou_lyrics.txt.zip")
workloads = [
    ("d2l B=32", ["--data", d2l_data, "--chars", "10000", "--epochs", str(args.d2l_epochs)]),
    ("zh B=32", ["--data", "/usr/share/games/fortunes/chinese", "--chars", str(args.zh_chars),
                 "--epochs", str(args.zh_epochs)]),
    ("zh B=128", ["--data", "/usr/share/games/fortunes/chinese", "--chars", str(args.zh_chars),
                  "--epochs", str(args.zh_epochs), "--batch", "128"]),
]
configs = [
    ("1 process x 1 thread", [], ["--threads", "1"]),
    ("1 process x 2 threads", [], ["--threads", "2"]),
    ("2 ranks x 1 thread", [args.mpirun, "--oversubscribe", "--allow-run-as-root", "-np", "2"],
     ["--threads", "1"]),
]
breakdown = re.compile(r"per update ([\d.]+) ms compute, ([\d.]+) ms waiting for the "
                       r"slowest rank, ([\d.]+) ms all-reduce of ([\d.]+) MB")

rows = []
with tempfile.TemporaryDirectory() as tmp:
    for wname, wargs in workloads:
        for cname, launcher, cargs in configs:
            metrics = os.path.join(tmp, "m.jsonl")
            if os.path.exists(metrics):
                os.remove(metrics)
            cmd = launcher + [args.rnnc, "train", os.path.join(repo, "examples/char_rnn.rnn"),
                              "--predict-every", "0", "--predict-length", "1",
                              "--metrics-json", metrics] + wargs + cargs
            load = os.getloadavg()[0]
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
            epochs = [json.loads(line) for line in open(metrics)]
            timed = epochs[1:] or epochs
            tokens = sum(e["tokens_per_s"] * e["seconds"] for e in timed)
            seconds = sum(e["seconds"] for e in timed)
            m = breakdown.search(r.stderr)
            rows.append((wname, cname, tokens / seconds, load, m.groups() if m else None))
            print(f"{wname:10} {cname:24} {tokens / seconds:9.0f} tokens/s "
                  f"(load {load:.1f}){'  ' + str(m.groups()) if m else ''}", file=sys.stderr)

print("| workload | configuration | tokens/s | vs 1x1 | compute / wait / all-reduce per update (ms) | MB per update | load avg at start |")
print("|---|---|---|---|---|---|---|")
base = {}
for wname, cname, tps, load, parts in rows:
    base.setdefault(wname, tps)
    split = " / ".join(parts[:3]) if parts else "—"
    mb = parts[3] if parts else "—"
    print(f"| {wname} | {cname} | {tps:,.0f} | {tps / base[wname]:.2f}x | {split} | {mb} | {load:.1f} |")
