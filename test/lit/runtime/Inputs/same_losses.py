"""Two --metrics-json files have exactly the same loss and gradient norm in
every epoch (timings may differ)."""
import json, sys

a, b = ([json.loads(line) for line in open(path)] for path in sys.argv[1:3])
assert len(a) == len(b) and a, f"{len(a)} vs {len(b)} epochs"
for x, y in zip(a, b):
    for key in ("loss", "grad_norm"):
        assert x[key] == y[key], f"epoch {x['epoch']}: {key} {x[key]!r} != {y[key]!r}"
print(f"{len(a)} epochs identical")
