"""Fault test: SIGKILL a training run with per-epoch saves at random moments,
again and again. After every kill the checkpoint on disk must load
(`rnnc generate CKPT` exits 0) and resume (`--resume CKPT` trains one more
epoch into a scratch file and exits 0), its epoch must not go backwards, and
the next round resumes from it (`--resume CKPT --save CKPT`); a final round
trains to the end. Bounded: KILLS rounds, each killed within 0.02-0.4 s.
usage: kill_loop.py RNNC MODEL CORPUS WORKDIR [KILLS] [SEED]"""
import os, random, signal, subprocess, sys, time
from rnnc_ckpt import read_checkpoint, run

rnnc, model, corpus, work = sys.argv[1:5]
kills = int(sys.argv[5]) if len(sys.argv) > 5 else 24
rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
os.makedirs(work, exist_ok=True)
ckpt = os.path.join(work, "run.ckpt")
for name in os.listdir(work):
    os.remove(os.path.join(work, name))
common = [rnnc, "train", model, "--data", corpus, "--chars", "3000",
          "--threads", "1", "--predict-every", "0", "--predict-length", "1"]
train = common + ["--save", ckpt]
r = run(train + ["--epochs", "1"])
if r.returncode != 0:
    sys.exit(f"first epoch failed:\n{r.stderr}")

start = time.monotonic()
epoch, corrupt, advanced = 1, 0, 0
for i in range(kills):
    p = subprocess.Popen(train + ["--epochs", "1000000", "--resume", ckpt],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(rng.uniform(0.02, 0.4))
    if p.poll() is not None:
        sys.exit(f"round {i}: training exited {p.returncode} before the kill:\n"
                 f"{p.stderr.read().decode()}")
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stderr.close()
    g = run([rnnc, "generate", ckpt, "--prefix", "我", "-n", "5"])
    if g.returncode != 0:
        corrupt += 1
        print(f"round {i}: the checkpoint does not load: {g.stderr.strip()}")
        break
    now = int(read_checkpoint(ckpt)[0]["epoch"])
    scratch = os.path.join(work, "scratch.ckpt")
    t = run(common + ["--save", scratch, "--resume", ckpt, "--epochs", str(now + 1)])
    if t.returncode != 0 or int(read_checkpoint(scratch)[0]["epoch"]) != now + 1:
        corrupt += 1
        print(f"round {i}: the checkpoint does not resume: {t.stderr.strip()}")
        break
    os.remove(scratch)
    advanced += now > epoch
    if now < epoch:
        sys.exit(f"round {i}: checkpoint went back from epoch {epoch} to {now}")
    epoch = now
r = run(train + ["--epochs", str(epoch + 1), "--resume", ckpt])
final = int(read_checkpoint(ckpt)[0]["epoch"]) if os.path.exists(ckpt) else -1
leftovers = [n for n in os.listdir(work) if n != "run.ckpt"]
print(f"{kills} kills in {time.monotonic() - start:.1f} s, {corrupt} corrupt "
      f"checkpoints, {advanced} rounds advanced the checkpoint, reached epoch "
      f"{epoch}; final resume exit {r.returncode}, "
      f"epoch {final}; other files left: {len(leftovers)}")
if corrupt or r.returncode != 0 or final != epoch + 1:
    sys.exit(f"FAILED\n{r.stderr}")
