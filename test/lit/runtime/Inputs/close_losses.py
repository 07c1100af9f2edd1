"""Two --metrics-json files have the same epochs and per-epoch losses within
a relative tolerance (data-parallel against one process: the same sums in
another order). Prints the largest relative difference.
usage: close_losses.py A.json B.json RTOL"""
import json, sys

a, b = ([json.loads(line) for line in open(path)] for path in sys.argv[1:3])
rtol = float(sys.argv[3])
assert len(a) == len(b) and a, f"{len(a)} vs {len(b)} epochs"
worst = 0.0
for x, y in zip(a, b):
    assert x["epoch"] == y["epoch"], f"epoch {x['epoch']} vs {y['epoch']}"
    diff = abs(x["loss"] - y["loss"]) / abs(x["loss"])
    worst = max(worst, diff)
    assert diff <= rtol, f"epoch {x['epoch']}: loss {x['loss']!r} vs {y['loss']!r} (relative {diff:.3g} > {rtol})"
print(f"{len(a)} epochs within {rtol}; largest relative difference {worst:.3g}")
