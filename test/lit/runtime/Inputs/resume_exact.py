"""Interrupted-and-resumed training equals straight training, bit for bit:
for random and consecutive sampling x SGD and Adam, 4 epochs straight versus
2 epochs then --resume to 4 (--epochs is the total), and versus a run
interrupted in the middle of epoch 2 (--interrupt-after-steps, the Ctrl-C
path without the timing: the checkpoint then carries the sampler position,
the hidden state and the epoch's partial sums) resumed with the command it
prints. The metrics JSON must
number the epochs 1..4 in both and carry identical losses and gradient
norms; the final checkpoints must hold identical parameters and say epoch 4.
usage: resume_exact.py RNNC MODEL CORPUS WORKDIR"""
import json, os, re, shlex, sys
from rnnc_ckpt import metrics, parameters, read_checkpoint, run

rnnc, model, corpus, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
failures = []


def compare(tag, ajson, bjson, ackpt, bckpt):
    bad = []
    a, b = metrics(ajson), metrics(bjson)
    ea, eb = [m["epoch"] for m in a], [m["epoch"] for m in b]
    if ea != [1, 2, 3, 4] or eb != [1, 2, 3, 4]:
        bad.append(f"{tag}: epochs straight {ea}, resumed {eb}")
    for x, y in zip(a, b):
        for key in ("loss", "grad_norm"):
            if x[key] != y[key]:
                bad.append(f"{tag}: epoch {x['epoch']}: {key} {x[key]!r} != {y[key]!r}")
    if parameters(ackpt) != parameters(bckpt):
        bad.append(f"{tag}: final parameters differ")
    sa = json.loads(read_checkpoint(ackpt)[0]["train_state"])
    sb = json.loads(read_checkpoint(bckpt)[0]["train_state"])
    if sa != sb:
        bad.append(f"{tag}: train_state differs: {sa} != {sb}")
    _, ta = read_checkpoint(ackpt)
    _, tb = read_checkpoint(bckpt)
    if ta != tb:
        bad.append(f"{tag}: the checkpoints' tensors (optimizer state included) differ")
    epoch = read_checkpoint(bckpt)[0].get("epoch")
    if epoch != "4":
        bad.append(f"{tag}: the resumed checkpoint says epoch {epoch}, expected 4")
    return bad


for sampling in ("random", "consecutive"):
    for optimizer, lr in (("sgd", "1"), ("adam", "0.01")):
        tag = f"{sampling}-{optimizer}"
        base = [rnnc, "train", model, "--data", corpus, "--sampling", sampling,
                "--optimizer", optimizer, "--lr", lr, "--seed", "3",
                "--threads", "1", "--predict-every", "0", "--predict-length", "1"]
        files = {k: os.path.join(work, f"{tag}.{k}") for k in
                 ("a.ckpt", "a.json", "b.ckpt", "b.json", "c.ckpt", "c.json")}
        for f in files.values():
            if os.path.exists(f):
                os.remove(f)
        steps = [
            base + ["--epochs", "4", "--save", files["a.ckpt"], "--metrics-json", files["a.json"]],
            base + ["--epochs", "2", "--save", files["b.ckpt"], "--metrics-json", files["b.json"]],
            base + ["--epochs", "4", "--resume", files["b.ckpt"], "--save", files["b.ckpt"],
                    "--metrics-json", files["b.json"]],
        ]
        for cmd in steps:
            r = run(cmd)
            if r.returncode != 0:
                sys.exit(f"{tag}: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
        cmd = base + ["--epochs", "4", "--interrupt-after-steps", "22", "--save",
                      files["c.ckpt"], "--metrics-json", files["c.json"]]
        r = run(cmd)
        resume = re.search(r"resume with: (.*)", r.stderr)
        if r.returncode != 130 or not resume or "epoch 2, step 5 of 17" not in r.stderr:
            sys.exit(f"{tag}: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
        r = run(shlex.split(resume.group(1)))
        if r.returncode != 0:
            sys.exit(f"{tag}: {resume.group(1)} exited {r.returncode}:\n{r.stderr}")
        for other in ("b", "c"):
            failures += compare(tag + f" ({other})", files["a.json"], files[other + ".json"],
                                files["a.ckpt"], files[other + ".ckpt"])
        print(f"{tag}: checked")
if failures:
    sys.exit("\n".join(failures))
print("all identical")
