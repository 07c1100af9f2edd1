"""Reads `rnnc compile --stats` lines from stdin and checks that the plan is
consistent: peak live bytes <= arena <= unshared, the train step's arena is at
most `max_share` of its unshared size, and per-run kernel calls are at
least the call sites. Usage: stats_check.py MAX_SHARE"""
import re
import sys

max_share = float(sys.argv[1])
stats = {}
for line in sys.stdin:
    m = re.match(r"stats @(\w+): (.*)", line.strip())
    if m:
        stats[m.group(1)] = dict(kv.split("=") for kv in m.group(2).split())
if set(stats) != {"forward", "train_step"}:
    sys.exit("expected @forward and @train_step, got %s" % sorted(stats))
for name, s in stats.items():
    arena, unshared = int(s["arena_bytes"]), int(s["unshared_bytes"])
    peak = int(s["peak_live_bytes"])
    if not 0 < peak <= arena <= unshared:
        sys.exit("@%s: peak %d, arena %d, unshared %d" % (name, peak, arena, unshared))
    if int(s["kernel_calls_per_run"]) < int(s["kernel_call_sites"]):
        sys.exit("@%s: fewer kernel calls per run than call sites" % name)
train = stats["train_step"]
share = int(train["arena_bytes"]) / int(train["unshared_bytes"])
if share > max_share:
    sys.exit("@train_step arena is %.2f of unshared (limit %.2f)" % (share, max_share))
print("ok")
