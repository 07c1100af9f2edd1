"""Runs a command and says whether its first 64 bytes of output arrive
within N seconds (then stops it): a streaming writer passes, one that builds
its whole output first does not."""
import subprocess
import sys
import time

limit = float(sys.argv[1])
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
start = time.monotonic()
got = b""
while len(got) < 64 and time.monotonic() - start < limit:
    chunk = proc.stdout.read1(64)
    if not chunk:
        break
    got += chunk
elapsed = time.monotonic() - start
proc.kill()
proc.wait()
if len(got) >= 64 and elapsed < limit:
    print(f"first 64 bytes within {limit:g} s")
else:
    print(f"only {len(got)} bytes after {elapsed:.1f} s")
