"""Held-out evaluation survives resume exactly. For --val-fraction with
--save-best (the best epoch improves after the resume) and for --val-data
with --patience 3 on a held-out text the model gets worse at (it stops
early at epoch 4), a run straight to the end equals a run of 2 epochs
resumed with --resume, and a run interrupted in epoch 3 and resumed:
identical validation perplexities, bits per
character, epochs, best checkpoint parameters and train_state (its
"validation" record included). A checkpoint whose patience is used up has
nothing left to train.
usage: val_resume_exact.py RNNC MODEL CORPUS WORKDIR"""
import json, os, random, re, shlex, sys
from rnnc_ckpt import metrics, parameters, read_checkpoint, run

rnnc, model, corpus, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
shuffled = os.path.join(work, "shuffled.txt")
chars = list(open(corpus, encoding="utf-8").read())
random.Random(1).shuffle(chars)
open(shuffled, "w", encoding="utf-8").write("".join(chars))
failures = []


def check(tag, extra, epochs, expect_epochs):
    global EXPECT_EPOCHS
    EXPECT_EPOCHS = expect_epochs
    f = {k: os.path.join(work, f"{tag}.{k}") for k in
         ("a.ckpt", "a.best", "a.json", "b.ckpt", "b.best", "b.json",
          "c.ckpt", "c.best", "c.json")}
    for p in f.values():
        if os.path.exists(p):
            os.remove(p)
    base = [rnnc, "train", model, "--data", corpus, "--seed", "5", "--threads", "1",
            "--predict-every", "0", "--predict-length", "1"] + extra
    steps = [
        base + ["--epochs", epochs, "--save", f["a.ckpt"], "--save-best", f["a.best"],
                "--metrics-json", f["a.json"]],
        base + ["--epochs", "2", "--save", f["b.ckpt"], "--save-best", f["b.best"],
                "--metrics-json", f["b.json"]],
        base + ["--epochs", epochs, "--resume", f["b.ckpt"], "--save", f["b.ckpt"],
                "--save-best", f["b.best"], "--metrics-json", f["b.json"]],
    ]
    for cmd in steps:
        r = run(cmd)
        if r.returncode != 0:
            sys.exit(f"{tag}: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
    # Interrupted in the middle of epoch 3 (the Ctrl-C path), then resumed
    # with the command it prints.
    cmd = base + ["--epochs", epochs, "--interrupt-after-steps", "36", "--save", f["c.ckpt"],
                  "--save-best", f["c.best"], "--metrics-json", f["c.json"]]
    r = run(cmd)
    resume = re.search(r"resume with: (.*)", r.stderr)
    if r.returncode != 130 or not resume or "interrupted at epoch 3, step" not in r.stderr:
        sys.exit(f"{tag}: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
    r = run(shlex.split(resume.group(1)))
    if r.returncode != 0:
        sys.exit(f"{tag}: {resume.group(1)} exited {r.returncode}:\n{r.stderr}")
    compare(tag, f, "b")
    compare(tag + " (interrupted)", f, "c")
    a = metrics(f["a.json"])
    best = min(a, key=lambda m: m["val_perplexity"])
    state = json.loads(read_checkpoint(f["a.best"])[0]["train_state"])["validation"]
    if state["best_epoch"] != best["epoch"] or read_checkpoint(f["a.best"])[0]["epoch"] != str(best["epoch"]):
        failures.append(f"{tag}: --save-best holds epoch {state['best_epoch']}, the best is {best['epoch']}")
    print(f"{tag}: epochs {[m['epoch'] for m in a]}, best {best['epoch']}: identical")
    return base, f


def compare(tag, f, other):
    a, b = metrics(f["a.json"]), metrics(f[other + ".json"])
    if [m["epoch"] for m in a] != EXPECT_EPOCHS or [m["epoch"] for m in b] != EXPECT_EPOCHS:
        failures.append(f"{tag}: epochs {[m['epoch'] for m in a]} and {[m['epoch'] for m in b]}, expected {EXPECT_EPOCHS}")
    for x, y in zip(a, b):
        for key in ("loss", "val_perplexity", "val_bits_per_char"):
            if x[key] != y[key]:
                failures.append(f"{tag}: epoch {x['epoch']}: {key} {x[key]!r} != {y[key]!r}")
    for k in ("ckpt", "best"):
        if parameters(f["a." + k]) != parameters(f[other + "." + k]):
            failures.append(f"{tag}: the --{'save' if k == 'ckpt' else 'save-best'} parameters differ")
        sa = json.loads(read_checkpoint(f["a." + k])[0]["train_state"])
        sb = json.loads(read_checkpoint(f[other + "." + k])[0]["train_state"])
        if sa != sb or "validation" not in sa:
            failures.append(f"{tag}: train_state {sa} != {sb}")


check("fraction", ["--val-fraction", "0.2"], "4", [1, 2, 3, 4])
base, f = check("patience", ["--val-data", shuffled, "--patience", "3"], "10", [1, 2, 3, 4])
r = run(base + ["--epochs", "10", "--resume", f["a.ckpt"]])
if r.returncode != 0 or "nothing to train" not in r.stderr or r.stdout.count("epoch") != 0:
    failures.append(f"resuming a run out of patience: exit {r.returncode}\n{r.stdout}{r.stderr}")
else:
    print("out of patience: " + r.stderr.strip().splitlines()[-1])
if failures:
    sys.exit("\n".join(failures))
