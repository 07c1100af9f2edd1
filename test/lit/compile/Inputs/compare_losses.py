"""Checks that a C program's per-epoch losses equal `rnnc train`'s.

usage: compare_losses.py METRICS_JSON C_OUTPUT EPOCHS TOLERANCE
METRICS_JSON holds one JSON object per epoch (rnnc train --metrics-json);
C_OUTPUT has lines `epoch N loss X ...` (examples/c/train.c). Both runs use
the same compiled arithmetic, so the expected difference is zero; TOLERANCE
is the allowed relative difference.
"""
import json
import sys

metrics_path, c_path, epochs, tolerance = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
with open(metrics_path) as f:
    reference = {m["epoch"]: m["loss"] for m in map(json.loads, f) if m}
ours = {}
with open(c_path) as f:
    for line in f:
        words = line.split()
        if len(words) >= 4 and words[0] == "epoch" and words[2] == "loss":
            ours[int(words[1])] = float(words[3])
if sorted(reference) != list(range(1, epochs + 1)) or sorted(ours) != sorted(reference):
    sys.exit(f"epochs differ: rnnc train {sorted(reference)}, C {sorted(ours)}")
for epoch in sorted(reference):
    a, b = reference[epoch], ours[epoch]
    if abs(a - b) > tolerance * max(abs(a), 1e-30):
        sys.exit(f"epoch {epoch}: rnnc train loss {a!r}, C loss {b!r}")
print(f"{epochs} epochs: losses agree within {tolerance}")
