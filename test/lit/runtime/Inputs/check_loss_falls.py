"""Checks a --metrics-json file: N epochs, every field present and finite,
and the last epoch's loss well below the first's."""
import json, math, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
expected = int(sys.argv[2])
assert len(rows) == expected, f"{len(rows)} epochs logged, expected {expected}"
for r in rows:
    for key in ("epoch", "loss", "perplexity", "grad_norm", "tokens_per_s", "seconds"):
        assert key in r and math.isfinite(r[key]), f"bad {key} in {r}"
    assert abs(math.exp(r["loss"]) - r["perplexity"]) < 1e-6 * r["perplexity"]
first, last = rows[0]["loss"], rows[-1]["loss"]
assert last < 0.75 * first, f"loss did not fall enough: {first} -> {last}"
print(f"loss {first:.3f} -> {last:.3f}")
