"""bench.py - runs rnnc and its peers side by side and prints one table.

Called by bench/run.sh (which installs the peers' packages and builds rnnc
and the GEMM probe); standard library only, so Debian's /usr/bin/python3
runs it. Every program runs under /usr/bin/time -v for its peak RSS; every
figure is a median (peers: over timed iterations after warm-up; rnnc: over
epochs after the first), and every contestant keeps the best of its rounds
(--rounds, default 2). Raw records go to <out>/results.json.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # H x H products per step
MODELS = {"rnn": "char_rnn.rnn", "gru": "gru.rnn", "lstm": "lstm.rnn"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repo", default=os.path.dirname(HERE))
    p.add_argument("--rnnc", required=True, help="the rnnc binary")
    p.add_argument("--gemm-probe", required=True, help="the gemm_probe binary")
    p.add_argument("--jax-python", default="", help="python of the JAX venv ('' skips JAX)")
    p.add_argument("--out", required=True, help="directory for logs and results.json")
    p.add_argument("--data", default="", help="d2l corpus (default ../shared/data/jaychou_lyrics.txt.zip)")
    p.add_argument("--chars", type=int, default=10000)
    p.add_argument("--fortunes", default="/usr/share/games/fortunes/chinese")
    p.add_argument("--fortunes-chars", type=int, default=0,
                   help="rnnc trains 1 epoch on the first N characters (0: all, ~1.1M)")
    p.add_argument("--epochs", type=int, default=20,
                   help="rnnc epochs (the first is not timed; 8 iterations each at the d2l sizes)")
    p.add_argument("--warmup", type=int, default=3, help="peer warm-up iterations")
    p.add_argument("--iters", type=int, default=20, help="peer timed iterations")
    p.add_argument("--quick", action="store_true", help="tiny counts: checks the bench runs end to end")
    p.add_argument("--cells", default="rnn,gru,lstm")
    p.add_argument("--rounds", type=int, default=2,
                   help="every contestant runs once per round and keeps its best round")
    a = p.parse_args()
    if a.quick:
        a.epochs, a.warmup, a.iters, a.fortunes_chars, a.rounds = 3, 1, 3, 20000, 1
    if not a.data:
        a.data = os.path.join(a.repo, "..", "shared", "data", "jaychou_lyrics.txt.zip")
    a.cells = [c for c in a.cells.split(",") if c]
    return a


def flops_per_iter(cell, V, H, B, T):
    """Matrix FLOPs of one train step once one-hot products are gathers:
    3 output-projection products (forward, dH, dW_hq) and, per gate, the
    recurrent product forward, its BPTT and dW_hh."""
    return 2 * T * B * (3 * H * V + 3 * GATES[cell] * H * H)


def run(cmd, log_name, out_dir, env_extra=None):
    """Runs cmd under /usr/bin/time -v.

    Returns (stdout, stderr, rc, usage) where usage holds the peak RSS in MB
    and the share of a CPU the process got (low: the machine was busy).
    """
    env = dict(os.environ)
    for key, value in (env_extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env,
                          capture_output=True, text=True)
    with open(os.path.join(out_dir, log_name + ".log"), "w") as f:
        f.write("$ " + " ".join(cmd) + "\n" + json.dumps(env_extra or {}) + "\n")
        f.write(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", proc.stderr)
    usage = {"rss_mb": int(m.group(1)) / 1024 if m else None,
             "cpu_percent": int(cpu.group(1)) if cpu else None}
    return proc.stdout, proc.stderr, proc.returncode, usage


def bench_lines(stdout):
    return [json.loads(l[6:]) for l in stdout.splitlines() if l.startswith("BENCH ")]


GEMM_LIBRARIES = {"eigen_gemm": "Eigen", "openblas_gemm": "OpenBLAS"}


def gemm_probe(a):
    """{library: {threads: GFLOP/s}} for the 1120x256 @ 256x1027 product."""
    stdout, _, rc, _ = run([a.gemm_probe, "1120", "256", "1027", "30" if a.quick else "100"],
                           "gemm_probe", a.out)
    found = {}
    for r in bench_lines(stdout) if rc == 0 else []:
        found.setdefault(GEMM_LIBRARIES[r["name"]], {})[r["threads"]] = r["gflops"]
    return found


def rnnc_train(a, cell, threads, data, chars, epochs, tag, model=None):
    """ms/iter (median over epochs after the first), compile ms, RSS, V."""
    metrics = os.path.join(a.out, tag + ".metrics.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    B, T = 32, 35
    cmd = [a.rnnc, "train", os.path.join(a.repo, "examples", model or MODELS[cell]),
           "--data", data, "--chars", str(chars), "--epochs", str(epochs),
           "--batch", str(B), "--seq-len", str(T), "--sampling", "random",
           "--lr", "100", "--clip", "0.01", "--predict-every", "0",
           "--predict-length", "0", "--metrics-json", metrics]
    _, stderr, rc, usage = run(cmd, tag, a.out, {"RNNC_THREADS": str(threads)})
    if rc != 0 or not os.path.exists(metrics):
        print(f"  rnnc {tag} failed (exit {rc}); see {a.out}/{tag}.log", file=sys.stderr)
        return None
    with open(metrics) as f:
        epochs_seen = [json.loads(l) for l in f if l.strip()]
    if not epochs_seen:
        print(f"  rnnc {tag} wrote no epoch metrics; see {a.out}/{tag}.log", file=sys.stderr)
        return None
    timed = epochs_seen[1:] or epochs_seen
    per_iter = []
    for e in timed:
        batches = round(e["tokens_per_s"] * e["seconds"] / (B * T))
        per_iter.append(e["seconds"] / max(batches, 1) * 1e3)
    compiled = re.search(r"train step compiled in (\d+(?:\.\d+)?) ms", stderr)
    ready = re.search(r"(\d+(?:\.\d+)?) ms from parsing to a ready train step", stderr)
    vocab = re.search(r"vocabulary (\d+)", stderr)
    chars_seen = re.search(r": (\d+) characters", stderr)
    return {
        "name": "rnnc", "cell": cell, "threads": threads,
        "ms_per_iter": statistics.median(per_iter),
        "tokens_per_s": statistics.median(e["tokens_per_s"] for e in timed),
        "compile_ms": float(compiled.group(1)) if compiled else None,
        "ready_ms": float(ready.group(1)) if ready else None,
        **usage, "V": int(vocab.group(1)) if vocab else None,
        "chars": int(chars_seen.group(1)) if chars_seen else None,
        "epochs_timed": len(timed), "iters_per_epoch": batches,
        "final_perplexity": epochs_seen[-1]["perplexity"],
    }


def peer(a, python, script, tag, threads, openblas, cell="rnn", extra=()):
    """One peer run; openblas None leaves OPENBLAS_NUM_THREADS unset."""
    cmd = [python, os.path.join(PEERS, script), "--data", a.data, "--chars", str(a.chars),
           "--cell", cell, "--threads", str(threads),
           "--warmup", str(a.warmup), "--iters", str(a.iters), *extra]
    env = {"OPENBLAS_NUM_THREADS": None if openblas is None else str(openblas),
           "OMP_NUM_THREADS": None}
    stdout, _, rc, usage = run(cmd, tag, a.out, env)
    lines = bench_lines(stdout)
    if rc != 0 or not lines:
        print(f"  peer {tag} failed (exit {rc}); see {a.out}/{tag}.log", file=sys.stderr)
        return None
    r = lines[-1]
    r.update(usage)
    r["setting"] = (f"torch {threads or 'default'} thr, OpenBLAS {openblas or 'default'}"
                    if script.startswith("torch") else f"XLA {'1 core' if threads == 1 else 'default'}")
    return r


def best(results):
    results = [r for r in results if r]
    return min(results, key=lambda r: r["ms_per_iter"]) if results else None


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


def print_table(a, gemm, rows, fortunes, V, ready):
    H, B, T = 256, 32, 35
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    load = os.getloadavg()
    print()
    print(f"CPU: {cpu}, {os.cpu_count()} cores, load average {load[0]:.1f} at the end")
    print(f"Workload: d2l recipe, first {a.chars} chars of {os.path.basename(a.data)}, "
          f"V={V} H={H} B={B} T={T}, sgd lr 100, clip 0.01, random sampling")
    print("FLOP per iteration (2*T*B*(3*H*V + 3*gates*H*H), one-hot products as gathers): " +
          ", ".join(f"{c.upper()} {flops_per_iter(c, V, H, B, T) / 1e9:.3f} G" for c in a.cells))
    for library in GEMM_LIBRARIES.values():
        print(f"{library} 1120x256 @ 256x1027 product: " +
              (", ".join(f"{t} thread{'s' if t > 1 else ''} {g:.1f} GFLOP/s"
                         for t, g in sorted(gemm.get(library, {}).items())) or "probe failed"))
    blas = next((r["blas"] for _, label, r, _ in rows
                 if r and label.startswith("PyTorch") and r.get("blas")), None)
    if blas is not None:
        print("PyTorch's BLAS: " + (", ".join(blas) or "none found"))
    print()
    header = ["model", "runner", "setting", "ms/iter", "rnnc x faster", "GFLOP/s",
              "compile ms", "peak RSS MB", "tokens/s", "CPU %"]
    table = [header]
    for cell, label, r, ref in rows:
        if r is None:
            table.append([cell.upper(), label, "not run"] + ["-"] * (len(header) - 3))
            continue
        ms = r["ms_per_iter"]
        ratio = "" if ref is None or r is ref else fmt(ms / ref["ms_per_iter"], ".2f")
        gflops = flops_per_iter(cell, r.get("V") or V, H, B, T) / (ms / 1e3) / 1e9
        table.append([cell.upper(), label, r["setting"], fmt(ms, ".1f"), ratio,
                      fmt(gflops, ".1f"), fmt(r.get("compile_ms"), ".0f"),
                      fmt(r.get("rss_mb"), ".0f"), fmt(r.get("tokens_per_s"), ".0f"),
                      fmt(r.get("cpu_percent"), "d")])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print(" | ".join(str(c).ljust(w) if j < 3 else str(c).rjust(w)
                         for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    print()
    rnnc_rnn = next((r for c, l, r, ref in rows if c == "rnn" and l == "rnnc"), None)
    if rnnc_rnn and gemm:
        achieved = flops_per_iter("rnn", V, H, B, T) / (rnnc_rnn["ms_per_iter"] / 1e3) / 1e9
        print(f"rnnc RNN train step: {achieved:.1f} GFLOP/s = " + ", ".join(
            f"{100 * achieved / max(g.values()):.0f}% of {library}'s best product "
            f"({max(g.values()):.1f} GFLOP/s)" for library, g in gemm.items() if g))
    print("From parsing to a ready JIT-ed train step (parse, lower, autodiff, passes, JIT): " +
          ", ".join(f"{m} {fmt(ms, '.0f')} ms" for m, ms in ready.items()))
    if fortunes:
        limit = f"first {a.fortunes_chars} chars" if a.fortunes_chars else "all chars"
        print(f"fortunes-zh ({os.path.basename(a.fortunes)}, {limit}, {fortunes['chars']} kept, "
              f"V={fortunes['V']}), rnnc RNN, 1 epoch of {fortunes['iters_per_epoch']} iterations "
              f"({fortunes['setting']}): {fortunes['tokens_per_s']:.0f} tokens/s, "
              f"{fortunes['ms_per_iter']:.1f} ms/iter, compile {fmt(fortunes['compile_ms'], '.0f')} ms, "
              f"peak RSS {fmt(fortunes['rss_mb'], '.0f')} MB")
    print("rnnc x faster = peer ms/iter / rnnc ms/iter (> 1: rnnc is faster). "
          "rnnc: median over epochs 2..N; peers: median over timed iterations; "
          "each the best of its rounds.\n"
          "CPU % = share of one core the whole process got (/usr/bin/time); "
          "far below 100 x threads means the machine was busy.")


def main():
    a = parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch_python = "/usr/bin/python3"
    progress("bench: GEMM probe (Eigen, OpenBLAS)")
    gemm = gemm_probe(a)
    records = {"gemm_gflops": gemm}
    # Every contestant runs once per round, rounds one after the other, and
    # keeps its best round: the host has slow and fast phases lasting minutes,
    # and a phase should not decide a ratio.
    runs = {}  # (cell, label) -> every run of that table row, in table order
    for rnd in range(1, a.rounds + 1):
        for cell in a.cells:
            def add(label, results):
                runs.setdefault((cell, label), []).extend(results)
            suffix = f"_r{rnd}"
            progress(f"bench: round {rnd}: rnnc {cell} (RNNC_THREADS 1 and 2)")
            own = [rnnc_train(a, cell, t, a.data, a.chars, a.epochs, f"rnnc_{cell}_t{t}{suffix}")
                   for t in (1, 2)]
            for r in own:
                if r:
                    r["setting"] = f"RNNC_THREADS={r['threads']}"
            add("rnnc", own)
            if cell == "rnn":
                progress(f"bench: round {rnd}: PyTorch from scratch (d2l 6.4)")
                add("PyTorch from scratch (d2l 6.4)",
                    [peer(a, torch_python, "torch_scratch.py", f"torch_scratch_ob{ob}{suffix}", 1, ob)
                     for ob in (1, 2)])
                add("PyTorch from scratch, default threads",
                    [peer(a, torch_python, "torch_scratch.py", f"torch_scratch_default{suffix}",
                          0, None)])
            progress(f"bench: round {rnd}: PyTorch nn.{cell.upper()}")
            add(f"PyTorch nn.Embedding + nn.{cell.upper()} + nn.Linear",
                [peer(a, torch_python, "torch_layers.py", f"torch_{cell}_ob{ob}{suffix}", 1, ob, cell)
                 for ob in (1, 2)])
            if cell == "rnn":
                add("PyTorch one-hot + nn.RNN + nn.Linear (d2l 6.5)",
                    [peer(a, torch_python, "torch_layers.py", f"torch_{cell}_onehot_ob{ob}{suffix}",
                          1, ob, cell, ("--input", "onehot"))
                     for ob in (1, 2)])
            if cell == "rnn":
                if a.jax_python:
                    progress(f"bench: round {rnd}: JAX jit(lax.scan)")
                    add("JAX jit + lax.scan + grad",
                        [peer(a, a.jax_python, "jax_scan.py", f"jax_t{t}{suffix}", t, None)
                         for t in (1, 0)])
                elif rnd == 1:
                    print("JAX: skipped (no venv with jax; see run.sh's message)", file=sys.stderr)
    records["runs"] = {f"{cell} / {label}": results for (cell, label), results in runs.items()}
    rows = []
    rnnc_best = {}
    for (cell, label), results in runs.items():
        if label == "rnnc":
            rnnc_best[cell] = best(results)
        rows.append((cell, label, best(results), rnnc_best[cell]))
    progress("bench: rnnc lstm2.rnn, 1 epoch (parse-to-ready time)")
    lstm2 = rnnc_train(a, "lstm", 2, a.data, a.chars, 1, "rnnc_lstm2", model="lstm2.rnn")
    records["rnnc_lstm2"] = lstm2
    ready = {MODELS[c]: r.get("ready_ms") for c, r in rnnc_best.items() if r}
    ready["lstm2.rnn"] = lstm2.get("ready_ms") if lstm2 else None
    fortunes = None
    if "rnn" in a.cells and os.path.exists(a.fortunes):
        threads = rnnc_best["rnn"]["threads"] if rnnc_best.get("rnn") else 1
        progress(f"bench: rnnc on fortunes-zh (RNNC_THREADS={threads})")
        fortunes = rnnc_train(a, "rnn", threads, a.fortunes, a.fortunes_chars, 1, "rnnc_fortunes")
        if fortunes:
            fortunes["setting"] = f"RNNC_THREADS={threads}"
        records["rnnc_fortunes"] = fortunes
    progress("bench: GEMM probe again (the best of both is the yardstick)")
    for library, rates in gemm_probe(a).items():
        for threads, gflops in rates.items():
            best_rates = gemm.setdefault(library, {})
            best_rates[threads] = max(best_rates.get(threads, 0), gflops)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(records, f, indent=1)
    V = (rnnc_best.get("rnn") or {}).get("V") or 1027
    print_table(a, gemm, rows, fortunes, V, ready)


if __name__ == "__main__":
    main()
