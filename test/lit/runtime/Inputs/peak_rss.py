"""Runs a command and prints its peak resident set size in MB (the largest
of its children's, from getrusage), then fails if the command failed or the
peak is above LIMIT_MB. usage: peak_rss.py LIMIT_MB CMD..."""
import resource, subprocess, sys

limit = float(sys.argv[1])
r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print(f"peak RSS {peak:.1f} MB")
if r.returncode != 0:
    sys.exit(f"command failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
if peak > limit:
    sys.exit(f"peak RSS {peak:.1f} MB is above the {limit} MB bound")
