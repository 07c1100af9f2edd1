"""Runs a command, passes its stdout and stderr through, and succeeds only if
it exited with the given code. usage: expect_exit.py CODE CMD..."""
import subprocess, sys

code = int(sys.argv[1])
r = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
sys.stdout.buffer.write(r.stdout)
sys.stdout.buffer.write(r.stderr)
if r.returncode != code:
    sys.exit(f"expected exit {code}, got {r.returncode}")
