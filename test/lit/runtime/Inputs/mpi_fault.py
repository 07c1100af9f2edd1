"""Fault tests of data-parallel training: the job must end, non-zero, within
a time limit, and its output is passed on for FileCheck.
usage: mpi_fault.py run LIMIT_S CMD...          the command fails by itself
       mpi_fault.py kill LIMIT_S METRICS CMD... SIGKILL rank 1 once METRICS
                                                 has a line (training runs)
       mpi_fault.py interrupt LIMIT_S METRICS CMD...   the same with SIGINT"""
import os, signal, subprocess, sys, time

mode, limit = sys.argv[1], float(sys.argv[2])
if mode == "run":
    cmd = sys.argv[3:]
    start = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
else:
    metrics, cmd = sys.argv[3], sys.argv[4:]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not (os.path.exists(metrics) and os.path.getsize(metrics) > 0):
        assert p.poll() is None, "the job ended before training started"
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.05)

    def rank_of(pid):
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            return None
        for kv in env:
            if kv.startswith(b"OMPI_COMM_WORLD_RANK="):
                return int(kv.split(b"=")[1])
        return None

    # The ranks are mpirun's children (Open MPI starts local ranks itself).
    children = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
    victims = [int(c) for c in children if rank_of(int(c)) == 1]
    assert len(victims) == 1, f"rank 1 not found among {children}"
    start = time.monotonic()
    sig = signal.SIGKILL if mode == "kill" else signal.SIGINT
    os.kill(victims[0], sig)
    print(f"sent {sig.name} to rank 1 (pid {victims[0]})")
try:
    out, _ = p.communicate(timeout=limit)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit(f"the job still ran {limit} s after the failure")
elapsed = time.monotonic() - start
sys.stdout.write(out.decode(errors="replace"))
print(f"exit {p.returncode}")
assert p.returncode != 0, "the job exited 0"
assert elapsed < limit, f"took {elapsed:.1f} s"
