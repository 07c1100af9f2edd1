"""bench.py - runs rnnc and its peers side by side and prints one table.

Called by bench/run.sh (which installs the peers' packages and builds rnnc
and the GEMM probe); standard library only, so Debian's /usr/bin/python3
runs it. Every program runs under /usr/bin/time -v for its peak RSS; every
figure is a median (peers: over timed iterations after warm-up; rnnc: over
epochs after the first), and every contestant keeps the best of its rounds
(--rounds, default 2). Raw records go to <out>/results.json.

The table has one block of rows per workload: the d2l recipe (H = 256;
RNN, GRU, LSTM), the same with H = 1024 (RNN, LSTM), and the chinese
fortunes corpus (V = 5963; RNN, LSTM), so that it shows how rnnc's lead
changes as the work grows. The peers: PyTorch 2 from PyPI (eager layers,
torch.compile of them, with and without Dynamo's allow_rnn; the book's
from-scratch code), Debian's PyTorch 1.13 on OpenBLAS, and JAX.
"""

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # H x H products per step
MODELS = {"rnn": "char_rnn.rnn", "gru": "gru.rnn", "lstm": "lstm.rnn"}
DEBIAN_PYTHON = "/usr/bin/python3"  # Debian's: python3-torch (1.13) lives there
B, T = 32, 35
WORKLOADS = ("d2l", "h1024", "zh")  # in table order; zh takes its threads from d2l
COMPILE_MODES = ("on", "allow_rnn")

# One block of table rows: a corpus, its size, H, the cells, rnnc's epochs.
Workload = collections.namedtuple("Workload", "key corpus data chars H cells rnnc_epochs")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repo", default=os.path.dirname(HERE))
    p.add_argument("--rnnc", required=True, help="the rnnc binary")
    p.add_argument("--gemm-probe", required=True, help="the gemm_probe binary")
    p.add_argument("--jax-python", default="", help="python of the JAX venv ('' skips JAX)")
    p.add_argument("--torch2-python", default="",
                   help="python of the PyTorch 2 venv ('' skips the PyTorch 2 rows)")
    p.add_argument("--out", required=True, help="directory for logs and results.json")
    p.add_argument("--data", default="", help="d2l corpus (default ../shared/data/jaychou_lyrics.txt.zip)")
    p.add_argument("--chars", type=int, default=10000)
    p.add_argument("--fortunes", default="/usr/share/games/fortunes/chinese")
    p.add_argument("--fortunes-chars", type=int, default=0,
                   help="the zh rows train on the first N characters (0: all, 956,830 after "
                        "clean-up, V = 5963); rnnc trains 1 epoch of them")
    p.add_argument("--epochs", type=int, default=20,
                   help="rnnc epochs at the d2l size (the first is not timed; 8 iterations each)")
    p.add_argument("--big-hidden", type=int, default=1024, help="H of the h1024 rows")
    p.add_argument("--big-epochs", type=int, default=6,
                   help="rnnc epochs of the h1024 rows (the first is not timed)")
    p.add_argument("--warmup", type=int, default=3, help="peer warm-up iterations")
    p.add_argument("--iters", type=int, default=20, help="peer timed iterations")
    p.add_argument("--quick", action="store_true", help="tiny counts: checks the bench runs end to end")
    p.add_argument("--cells", default="rnn,gru,lstm")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help="blocks of rows: d2l (H = 256), h1024 (H = --big-hidden, RNN and LSTM), "
                        "zh (the fortunes corpus, RNN and LSTM)")
    p.add_argument("--compile", default=",".join(COMPILE_MODES),
                   help="torch.compile variants of the PyTorch 2 layers: on, allow_rnn ('' none)")
    p.add_argument("--rounds", type=int, default=2,
                   help="every contestant runs once per round and keeps its best round")
    a = p.parse_args()
    if a.quick:
        a.epochs, a.big_epochs, a.warmup, a.iters, a.fortunes_chars, a.rounds = 3, 2, 1, 3, 20000, 1
    if not a.data:
        a.data = os.path.join(a.repo, "..", "shared", "data", "jaychou_lyrics.txt.zip")
    a.cells = [c for c in a.cells.split(",") if c]
    a.workloads = [w for w in WORKLOADS if w in a.workloads.split(",")]
    a.compile = [m for m in a.compile.split(",") if m]
    return a


def workloads(a):
    """The blocks of the table, in order."""
    chosen = []
    for key in a.workloads:
        if key == "d2l":
            chosen.append(Workload("d2l", "d2l", a.data, a.chars, 256, a.cells, a.epochs))
        elif key == "h1024":
            cells = [c for c in a.cells if c in ("rnn", "lstm")]
            chosen.append(Workload("h1024", "d2l", a.data, a.chars, a.big_hidden, cells,
                                   a.big_epochs))
        elif not os.path.exists(a.fortunes):
            progress(f"bench: zh rows skipped: no {a.fortunes} (Debian's fortunes-zh)")
        else:
            cells = [c for c in a.cells if c in ("rnn", "lstm")]
            chosen.append(Workload("zh", "zh", a.fortunes, a.fortunes_chars, 256, cells, 1))
    return chosen


def flops_per_iter(cell, V, H):
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


def gemm_probe(a, torch_info):
    """{library: {threads: GFLOP/s}} for the 1120x256 @ 256x1027 product:
    Eigen and OpenBLAS (gemm_probe.cpp), and PyTorch 2's torch.mm (MKL on
    PyPI's build). Fills torch_info with the PyTorch builds' configuration."""
    repeats = "30" if a.quick else "100"
    stdout, _, rc, _ = run([a.gemm_probe, "1120", "256", "1027", repeats], "gemm_probe", a.out)
    found = {}
    for r in bench_lines(stdout) if rc == 0 else []:
        found.setdefault(GEMM_LIBRARIES[r["name"]], {})[r["threads"]] = r["gflops"]
    probe = os.path.join(PEERS, "torch_probe.py")
    pythons = [("PyTorch 1.13", DEBIAN_PYTHON, ["--config-only"])]
    if a.torch2_python:
        pythons.append(("PyTorch 2", a.torch2_python, ["--repeats", repeats]))
    for name, python, extra in pythons:
        stdout, _, rc, _ = run([python, probe, *extra], "torch_probe_" + name.split()[1], a.out,
                               {"OMP_NUM_THREADS": None})
        for r in bench_lines(stdout) if rc == 0 else []:
            if r["name"] == "torch_config":
                torch_info[name] = r
            else:
                library = f"{name} torch.mm ({torch_info.get(name, {}).get('blas') or '?'})"
                found.setdefault(library, {})[r["threads"]] = r["gflops"]
        if rc != 0:
            progress(f"  torch_probe with {python} failed (exit {rc}); see its log in {a.out}")
    return found


def model_file(a, cell, H):
    """examples/<model>.rnn, or a copy with H bound to another default in
    <out>/models (rnnc has no command-line binding for H)."""
    source = os.path.join(a.repo, "examples", MODELS[cell])
    if H == 256:
        return source
    with open(source) as f:
        text = f.read()
    text, n = re.subn(r"(model\s+\w+\s*\([^)]*\bH\s*=\s*)256\b", rf"\g<1>{H}", text, count=1)
    if n != 1:
        sys.exit(f"bench: cannot find 'H = 256' in the model header of {source}")
    os.makedirs(os.path.join(a.out, "models"), exist_ok=True)
    path = os.path.join(a.out, "models", f"{MODELS[cell][:-4]}_h{H}.rnn")
    with open(path, "w") as f:
        f.write(f"# {MODELS[cell]} with H = {H}, written by bench/bench.py\n" + text)
    return path


def rnnc_train(a, w, cell, threads, tag, model=None):
    """ms/iter (median over epochs after the first), compile ms, RSS, V."""
    metrics = os.path.join(a.out, tag + ".metrics.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    cmd = [a.rnnc, "train", model or model_file(a, cell, w.H),
           "--data", w.data, "--chars", str(w.chars), "--epochs", str(w.rnnc_epochs),
           "--batch", str(B), "--seq-len", str(T), "--sampling", "random",
           "--lr", "100", "--clip", "0.01", "--predict-every", "0",
           "--predict-length", "0", "--metrics-json", metrics]
    _, stderr, rc, usage = run(cmd, tag, a.out, {"RNNC_THREADS": str(threads)})
    if rc != 0 or not os.path.exists(metrics):
        progress(f"  rnnc {tag} failed (exit {rc}); see {a.out}/{tag}.log")
        return None
    with open(metrics) as f:
        epochs_seen = [json.loads(l) for l in f if l.strip()]
    if not epochs_seen:
        progress(f"  rnnc {tag} wrote no epoch metrics; see {a.out}/{tag}.log")
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
        "name": "rnnc", "cell": cell, "threads": threads, "H": w.H,
        "setting": f"RNNC_THREADS={threads}",
        "ms_per_iter": statistics.median(per_iter),
        "tokens_per_s": statistics.median(e["tokens_per_s"] for e in timed),
        "compile_ms": float(compiled.group(1)) if compiled else None,
        "ready_ms": float(ready.group(1)) if ready else None,
        **usage, "V": int(vocab.group(1)) if vocab else None,
        "chars": int(chars_seen.group(1)) if chars_seen else None,
        "epochs_timed": len(timed), "iters_per_epoch": batches,
        "final_perplexity": epochs_seen[-1]["perplexity"],
    }


def peer(a, w, python, script, tag, cell, threads, setting, env=None, extra=()):
    """One peer run; env entries set to None are removed from the peer's
    environment (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are by default)."""
    cmd = [python, os.path.join(PEERS, script), "--data", w.data, "--chars", str(w.chars),
           "--hidden", str(w.H), "--cell", cell, "--threads", str(threads),
           "--warmup", str(a.warmup), "--iters", str(a.iters), *extra]
    env = {"OPENBLAS_NUM_THREADS": None, "OMP_NUM_THREADS": None, **(env or {})}
    cache = None
    if "--compile" in extra:  # a cold compile every run: a fresh Inductor cache
        cache = os.path.join(a.out, "inductor-cache", tag)
        shutil.rmtree(cache, ignore_errors=True)
        env["TORCHINDUCTOR_CACHE_DIR"] = cache
    stdout, _, rc, usage = run(cmd, tag, a.out, env)
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    lines = bench_lines(stdout)
    if rc != 0 or not lines:
        progress(f"  peer {tag} failed (exit {rc}); see {a.out}/{tag}.log")
        return None
    r = lines[-1]
    r.update(usage)
    r["setting"] = setting
    return r


def run_block(a, w, cell, rnd, add, best_threads):
    """Every contestant of one (workload, cell) block once; `add(label,
    results)` collects the runs of each table row."""
    C, sfx = cell.upper(), f"_{w.key}_{cell}_r{rnd}"
    torch2 = a.torch2_python
    # zh: one whole epoch per run, so only the thread count that won at d2l.
    threads = (best_threads.get(cell, 2),) if w.key == "zh" else (1, 2)
    progress(f"bench: round {rnd}: {w.key} H={w.H} {C}: rnnc (RNNC_THREADS "
             f"{' and '.join(map(str, threads))})")
    add("rnnc", [rnnc_train(a, w, cell, t, f"rnnc{sfx}_t{t}") for t in threads])

    layers = f"nn.Embedding + nn.{C} + nn.Linear"
    progress(f"bench: round {rnd}: {w.key} H={w.H} {C}: PyTorch 2 {layers}")
    eager = [peer(a, w, torch2, "torch_layers.py", f"torch2{sfx}_t{t}", cell, t, f"torch {t} thr")
             for t in (1, 2)] if torch2 else []
    add(f"PyTorch 2 {layers}", eager)
    # torch.compile costs a cold compile per run, so it runs at the thread
    # count that won eager in this block and round. allow_rnn's compile of the
    # unrolled loop takes minutes: it runs in the first round only, for every
    # d2l cell and for the RNN (where it has paid) in every block (--quick:
    # for the d2l RNN only).
    t = (best(eager) or {"threads": 2})["threads"]
    for mode in COMPILE_MODES:
        if mode not in a.compile:
            continue
        wanted = (w.key, cell) == ("d2l", "rnn") or (
            not a.quick and (w.key == "d2l" or cell == "rnn"))
        if mode == "allow_rnn" and (rnd > 1 or not wanted):
            continue
        label = f"PyTorch 2 torch.compile{', allow_rnn' if mode == 'allow_rnn' else ''} of the same"
        progress(f"bench: round {rnd}: {w.key} H={w.H} {C}: {label} ({t} thr)")
        add(label, [peer(a, w, torch2, "torch_layers.py", f"torch2_{mode}{sfx}_t{t}", cell, t,
                         f"torch {t} thr", extra=("--compile", mode))] if torch2 else [])
    progress(f"bench: round {rnd}: {w.key} H={w.H} {C}: PyTorch 1.13 nn.{C}")
    add(f"PyTorch 1.13 {layers}",
        [peer(a, w, DEBIAN_PYTHON, "torch_layers.py", f"torch113{sfx}_ob{ob}", cell, 1,
              f"torch 1 thr, OpenBLAS {ob}", {"OPENBLAS_NUM_THREADS": str(ob)})
         for ob in (1, 2)])
    if w.key != "d2l" or cell != "rnn":
        return
    progress(f"bench: round {rnd}: d2l RNN: from scratch (d2l 6.4), one-hot (6.5), JAX")
    add("PyTorch 2 from scratch (d2l 6.4)",
        [peer(a, w, torch2, "torch_scratch.py", f"torch2_scratch{sfx}_t{t}", cell, t,
              f"torch {t} thr") for t in (1, 2)] if torch2 else [])
    add("PyTorch 1.13 from scratch (d2l 6.4)",
        [peer(a, w, DEBIAN_PYTHON, "torch_scratch.py", f"torch113_scratch{sfx}_ob{ob}", cell, 1,
              f"torch 1 thr, OpenBLAS {ob}", {"OPENBLAS_NUM_THREADS": str(ob)})
         for ob in (1, 2)])
    add("PyTorch 1.13 from scratch, default threads",
        [peer(a, w, DEBIAN_PYTHON, "torch_scratch.py", f"torch113_scratch_default{sfx}", cell, 0,
              "torch default thr, OpenBLAS default")])
    add("PyTorch 1.13 one-hot + nn.RNN + nn.Linear (d2l 6.5)",
        [peer(a, w, DEBIAN_PYTHON, "torch_layers.py", f"torch113_onehot{sfx}_ob{ob}", cell, 1,
              f"torch 1 thr, OpenBLAS {ob}", {"OPENBLAS_NUM_THREADS": str(ob)},
              ("--input", "onehot")) for ob in (1, 2)])
    add("JAX jit + lax.scan + grad",
        [peer(a, w, a.jax_python, "jax_scan.py", f"jax{sfx}_t{t}", cell, t,
              f"XLA {'1 core' if t == 1 else 'default'}") for t in (1, 0)]
        if a.jax_python else [])


def best(results):
    results = [r for r in results if r]
    return min(results, key=lambda r: r["ms_per_iter"]) if results else None


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
             "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8")


def cpu_line():
    model, flags = "?", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    have = [f for f in CPU_FLAGS if f in flags]
    avx512 = [f[6:].lstrip("_") for f in have if f.startswith("avx512")]
    amx = [f[4:] for f in have if f.startswith("amx")]
    return (f"CPU: {model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at "
            f"the end; flags: AVX2 {'yes' if 'avx2' in flags else 'no'}, "
            f"FMA {'yes' if 'fma' in flags else 'no'}, "
            f"AVX-512 {'yes (' + ' '.join(avx512) + ')' if avx512 else 'no'}, "
            f"AMX {'yes (' + ' '.join(amx) + ')' if amx else 'no'}")


def torch_lines(torch_info, rows):
    """One line per PyTorch build: version, BLAS, MKL, oneDNN, CPU capability."""
    lines = []
    for name in ("PyTorch 2", "PyTorch 1.13"):
        c = torch_info.get(name)
        if not c:
            lines.append(f"{name}: not run")
            continue
        parts = [f"torch {c['torch']}", f"BLAS {c.get('blas') or '?'}"]
        if c.get("mkl"):
            parts.append(f"MKL {c['mkl']}")
        parts.append(f"oneDNN {c.get('onednn') or '?'} ({'usable' if c.get('onednn_usable') else 'not usable'})")
        parts.append(f"ATen CPU capability {c.get('cpu_capability') or '?'}")
        if name == "PyTorch 1.13":  # OpenBLAS is a shared library: name the one loaded
            blas = next((r["blas"] for _, label, r, _ in rows
                         if r and label.startswith(name) and r.get("blas")), None)
            if blas:
                parts.append("loaded " + ", ".join(blas))
        lines.append(f"{name}: " + ", ".join(parts))
    return lines


def rnnc_kernels_line(rnnc):
    """rnnc's kernel instruction set, from `rnnc --version` (KernelIsa.h)."""
    try:
        version = subprocess.run([rnnc, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return "rnnc kernels: ?"
    m = re.search(r"\(kernels: (.*)\)", version)
    return f"rnnc kernels: {m.group(1) if m else '?'}"


def print_table(a, blocks, gemm, torch_info, rows, ready, jax_version):
    print()
    print(cpu_line())
    print(rnnc_kernels_line(a.rnnc))
    V_of = {}  # (workload key, cell) -> V (rnnc's, else a peer's)
    for (key, cell), label, r, _ in rows:
        if r and r.get("V"):
            V_of.setdefault((key, cell), r["V"])
    for w in blocks:
        V = next((v for (k, _), v in V_of.items() if k == w.key), None)
        source = (f"first {w.chars} chars of {os.path.basename(w.data)}" if w.chars
                  else f"all of {os.path.basename(w.data)}")
        print(f"Workload {w.key}: {source}, V={fmt(V, 'd', '?')} H={w.H} B={B} T={T}, "
              f"sgd lr 100, clip 0.01, random sampling; "
              f"rnnc {w.rnnc_epochs} epoch{'s' if w.rnnc_epochs > 1 else ''}")
    print("FLOP per iteration (2*T*B*(3*H*V + 3*gates*H*H), one-hot products as gathers): " +
          ", ".join(f"{w.key} {c.upper()} {flops_per_iter(c, V_of[(w.key, c)], w.H) / 1e9:.3f} G"
                    for w in blocks for c in w.cells if (w.key, c) in V_of))
    for library, rates in gemm.items():
        print(f"{library} 1120x256 @ 256x1027 product: " +
              (", ".join(f"{t} thread{'s' if t > 1 else ''} {g:.1f} GFLOP/s"
                         for t, g in sorted(rates.items())) or "probe failed"))
    for line in torch_lines(torch_info, rows):
        print(line)
    print(f"JAX: {jax_version or 'not run'}")
    print()
    header = ["corpus", "H", "V", "model", "runner", "setting", "ms/iter", "rnnc x faster",
              "GFLOP/s", "compile ms", "peak RSS MB", "tokens/s", "CPU %"]
    left = 6  # columns left-aligned
    table, previous = [header], None
    for (key, cell), label, r, ref in rows:
        w = next(b for b in blocks if b.key == key)
        if previous is not None and key != previous:
            table.append(None)  # a rule between workloads
        previous = key
        start = [w.corpus, str(w.H), fmt(r and r.get("V"), "d"), cell.upper(), label]
        if r is None:
            table.append(start + ["not run"] + ["-"] * (len(header) - left))
            continue
        ms = r["ms_per_iter"]
        ratio = "" if ref is None or r is ref else fmt(ms / ref["ms_per_iter"], ".2f")
        gflops = flops_per_iter(cell, r.get("V") or V_of.get((key, cell)), w.H) / (ms / 1e3) / 1e9
        table.append(start + [r["setting"], fmt(ms, ".1f"), ratio, fmt(gflops, ".1f"),
                              fmt(r.get("compile_ms"), ".0f"), fmt(r.get("rss_mb"), ".0f"),
                              fmt(r.get("tokens_per_s"), ".0f"), fmt(r.get("cpu_percent"), "d")])
    widths = [max(len(str(row[i])) for row in table if row) for i in range(len(header))]
    rule = "-+-".join("-" * w for w in widths)
    for i, row in enumerate(table):
        if row is None:
            print(rule)
            continue
        print(" | ".join(str(c).ljust(w) if j < left else str(c).rjust(w)
                         for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print(rule)
    print()
    lead = []
    for w in blocks:
        for cell in w.cells:
            own = next((r for (k, c), l, r, _ in rows if (k, c) == (w.key, cell) and l == "rnnc"), None)
            torch2 = best([r for (k, c), l, r, _ in rows
                           if (k, c) == (w.key, cell) and l.startswith("PyTorch 2 ")
                           and "scratch" not in l])
            if own and torch2:
                which = next(l for (k, c), l, r, _ in rows if r is torch2)
                kind = "compiled" if "compile" in which else "eager"
                lead.append(f"{w.corpus} H={w.H} {cell.upper()} {torch2['ms_per_iter'] / own['ms_per_iter']:.2f}x"
                            f" ({kind}, {torch2['setting']})")
    print("rnnc x faster than the best PyTorch 2 layers (eager or compiled, best threads): " +
          (", ".join(lead) if lead else "PyTorch 2 not run"))
    products = [(g, f"{library}, {t} thread{'s' if t > 1 else ''}")
                for library, rates in gemm.items() for t, g in rates.items()]
    if products:
        top, which = max(products)
        shares = []
        for (key, cell), label, r, _ in rows:
            if key == "d2l" and label == "rnnc" and r:
                achieved = flops_per_iter(cell, r["V"] or V_of[(key, cell)], 256) / (r["ms_per_iter"] / 1e3) / 1e9
                shares.append(f"{cell.upper()} {achieved:.1f} GFLOP/s = {100 * achieved / top:.0f}%")
        print(f"rnnc's d2l train step against the best single product measured in this run "
              f"({top:.1f} GFLOP/s, {which}): " + (", ".join(shares) or "rnnc not run"))
    print("From parsing to a ready JIT-ed train step (parse, lower, autodiff, passes, JIT): " +
          ", ".join(f"{m} {fmt(ms, '.0f')} ms" for m, ms in ready.items()))
    print("rnnc x faster = peer ms/iter / rnnc ms/iter in the same block (> 1: rnnc is faster). "
          "rnnc: median over epochs 2..N (zh: the one whole epoch); peers: median over timed "
          "iterations; each the best of its rounds.\n"
          "compile ms: rnnc's JIT of the train step; torch.compile's and JAX's first step "
          "(cold caches).\n"
          "CPU % = share of one core the whole process got (/usr/bin/time); "
          "far below 100 x threads means the machine was busy.")


def main():
    a = parse_args()
    os.makedirs(a.out, exist_ok=True)
    if not a.torch2_python:
        progress("bench: PyTorch 2 rows not run (no venv with torch 2; see run.sh's message)")
    if not a.jax_python:
        progress("bench: JAX row not run (no venv with jax; see run.sh's message)")
    blocks = workloads(a)
    progress("bench: GEMM probe (Eigen, OpenBLAS, PyTorch 2 torch.mm)")
    torch_info = {}
    gemm = gemm_probe(a, torch_info)
    records = {"gemm_gflops": gemm, "torch": torch_info}
    # Every contestant runs once per round, rounds one after the other, and
    # keeps its best round: the host has slow and fast phases lasting minutes,
    # and a phase should not decide a ratio.
    runs = {}  # ((workload, cell), label) -> every run of that table row, in table order
    best_threads = {}  # cell -> RNNC_THREADS that won at d2l so far
    for rnd in range(1, a.rounds + 1):
        for w in blocks:
            for cell in w.cells:
                def add(label, results):
                    runs.setdefault(((w.key, cell), label), []).extend(results)
                run_block(a, w, cell, rnd, add, best_threads)
                if w.key == "d2l" and best(runs[((w.key, cell), "rnnc")]):
                    best_threads[cell] = best(runs[((w.key, cell), "rnnc")])["threads"]
    records["runs"] = {f"{key} {cell} / {label}": results
                       for ((key, cell), label), results in runs.items()}
    rows, rnnc_best = [], {}
    for (block, label), results in runs.items():
        if label == "rnnc":
            rnnc_best[block] = best(results)
        rows.append((block, label, best(results), rnnc_best[block]))
    ready = {MODELS[c]: r.get("ready_ms") for (k, c), r in rnnc_best.items() if k == "d2l" and r}
    if "d2l" in a.workloads:
        progress("bench: rnnc lstm2.rnn, 1 epoch (parse-to-ready time)")
        w = Workload("d2l", "d2l", a.data, a.chars, 256, ["lstm"], 1)
        lstm2 = rnnc_train(a, w, "lstm", 2, "rnnc_lstm2",
                           model=os.path.join(a.repo, "examples", "lstm2.rnn"))
        records["rnnc_lstm2"] = lstm2
        ready["lstm2.rnn"] = lstm2.get("ready_ms") if lstm2 else None
    progress("bench: GEMM probe again (the best of both is the yardstick)")
    for library, rates in gemm_probe(a, torch_info).items():
        for threads, gflops in rates.items():
            best_rates = gemm.setdefault(library, {})
            best_rates[threads] = max(best_rates.get(threads, 0), gflops)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(records, f, indent=1)
    jax_version = next((r["jax_version"] for _, label, r, _ in rows
                        if r and label.startswith("JAX")), None)
    print_table(a, blocks, gemm, torch_info, rows, ready, jax_version)


if __name__ == "__main__":
    main()
