"""Ctrl-C: a training run that gets SIGINT after its first epoch line
finishes its step, saves a resumable checkpoint (mid-epoch: sampler position,
carried state, optimizer state, the epoch's partial sums), prints its path
and the command to resume, and exits 130. Running that command finishes the
run, and the metrics and parameters equal those of a run never interrupted.
Also: without --save the checkpoint goes to MODEL_STEM-interrupted.safetensors
in the current directory; a second SIGINT exits at once with 130.
usage: sigint_resume.py RNNC MODEL CORPUS WORKDIR"""
import os, re, shlex, signal, subprocess, sys, time
from rnnc_ckpt import metrics, parameters, read_checkpoint, run

rnnc, model, corpus, work = (os.path.abspath(p) for p in sys.argv[1:5])
os.makedirs(work, exist_ok=True)
EPOCHS = 6


def interrupt(cmd, cwd=None, signals=1, delay=0):
    """Starts `cmd`, sends SIGINT `delay` s after the 'epoch 1,' line (at
    once: usually at the end of epoch 1; later: within epoch 2, whose 187
    steps take ~20 ms); (rc, stdout, stderr)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=cwd)
    out = []
    for line in p.stdout:
        out.append(line)
        if line.startswith("epoch 1,"):
            time.sleep(delay)
            for _ in range(signals):
                p.send_signal(signal.SIGINT)
            break
    rest, err = p.communicate(timeout=60)
    return p.returncode, "".join(out) + rest, err


failures = []
# Two of the four sampling x optimizer pairs (resume_exact.py covers all
# four through the same interruption path, at a chosen step).
for sampling, optimizer, lr, delay in (("random", "adam", "0.01", 0),
                                       ("consecutive", "sgd", "1", 0.006)):
    tag = f"{sampling}-{optimizer}"
    f = {k: os.path.join(work, f"{tag}.{k}") for k in ("a.ckpt", "a.json", "b.ckpt", "b.json")}
    for path in f.values():
        if os.path.exists(path):
            os.remove(path)
    base = [rnnc, "train", model, "--data", corpus, "--chars", "6000",
            "--sampling", sampling, "--optimizer", optimizer, "--lr", lr,
            "--seed", "5", "--threads", "1", "--epochs", str(EPOCHS),
            "--predict-every", "0", "--predict-length", "1"]
    r = run(base + ["--save", f["a.ckpt"], "--metrics-json", f["a.json"]])
    if r.returncode != 0:
        sys.exit(f"{tag}: straight run failed:\n{r.stderr}")
    rc, out, err = interrupt(base + ["--save", f["b.ckpt"], "--metrics-json", f["b.json"]],
                             delay=delay)
    if rc != 130:
        failures.append(f"{tag}: exit {rc} after SIGINT, expected 130:\n{err}")
        continue
    m = re.search(r"interrupted at epoch (\d+), step (\d+)", err)
    saved = re.search(r"saved a resumable checkpoint to '([^']*)'", err)
    cmd = re.search(r"resume with: (.*)", err)
    if not (m and saved and cmd):
        failures.append(f"{tag}: unexpected message after SIGINT:\n{err}")
        continue
    if saved.group(1) != f["b.ckpt"]:
        failures.append(f"{tag}: saved to {saved.group(1)}, not to --save")
    meta = read_checkpoint(f["b.ckpt"])[0]
    done = len(metrics(f["b.json"]))
    print(f"{tag}: interrupted at epoch {m.group(1)}, step {m.group(2)}; "
          f"{done} epochs in the metrics; checkpoint epoch {meta['epoch']}")
    r = run(shlex.split(cmd.group(1)))
    if r.returncode != 0:
        failures.append(f"{tag}: the printed resume command failed:\n{r.stderr}")
        continue
    a, b = metrics(f["a.json"]), metrics(f["b.json"])
    if [x["epoch"] for x in b] != list(range(1, EPOCHS + 1)):
        failures.append(f"{tag}: resumed metrics number {[x['epoch'] for x in b]}")
    for x, y in zip(a, b):
        for key in ("loss", "grad_norm"):
            if x[key] != y[key]:
                failures.append(f"{tag}: epoch {x['epoch']}: {key} {x[key]!r} != {y[key]!r}")
    if parameters(f["a.ckpt"]) != parameters(f["b.ckpt"]):
        failures.append(f"{tag}: final parameters differ")

# Without --save: the documented default path in the current directory.
stem = os.path.splitext(os.path.basename(model))[0]
default = os.path.join(work, f"{stem}-interrupted.safetensors")
if os.path.exists(default):
    os.remove(default)
base = [rnnc, "train", os.path.abspath(model), "--data", os.path.abspath(corpus),
        "--chars", "6000", "--epochs", "100000", "--threads", "1", "--predict-every", "0"]
rc, out, err = interrupt(base, cwd=work)
if rc != 130 or not os.path.exists(default):
    failures.append(f"no --save: exit {rc}, {default} exists: {os.path.exists(default)}\n{err}")
elif "resume with:" not in err:
    failures.append(f"no --save: no resume command:\n{err}")
else:
    r = run([rnnc, "generate", default, "--prefix", "a", "-n", "3"])
    if r.returncode != 0:
        failures.append(f"no --save: the checkpoint does not load:\n{r.stderr}")
# On a terminal the progress line is erased before the message (no message
# glued to a half-drawn line).
import pty
master, slave = pty.openpty()
p = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=slave, cwd=work, text=True)
os.close(slave)
for line in p.stdout:
    if line.startswith("epoch 1,"):
        time.sleep(0.005)
        p.send_signal(signal.SIGINT)
        break
p.stdout.read()
p.wait(timeout=60)
tty = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    tty += chunk
os.close(master)
text = tty.decode(errors="replace")
before = text[:text.find("rnnc: interrupted")]
print("terminal tail:", repr(text[max(0, text.find("rnnc: interrupted") - 80):text.find("rnnc: interrupted") + 20]))
if p.returncode != 130 or "ETA" not in text or not before.endswith("\r\x1b[K"):
    failures.append(f"terminal: exit {p.returncode}; the progress line is not erased "
                    f"before the message: {text[-300:]!r}")
# Two SIGINTs at once: exit 130 at once, or after the save if the first won.
rc, out, err = interrupt(base, cwd=work, signals=2)
if rc != 130:
    failures.append(f"two SIGINTs: exit {rc}\n{err}")
if failures:
    sys.exit("\n".join(failures))
print("SIGINT checks passed")
