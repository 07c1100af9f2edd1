"""Checks an SVG written by `rnnc plot` / `rnnc train --plot` against the
metrics it was drawn from: reads the tick labels and positions to recover
the axes (x linear in epoch, y linear in log10 perplexity), inverts every
point of each series and compares it with the metrics.

usage: check_plot.py METRICS.jsonl PLOT.svg
"""
import json, math, sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
metrics_path, svg_path = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(metrics_path) if line.strip()]
root = ET.parse(svg_path).getroot()
assert root.tag == NS + "svg", root.tag


def ticks(axis):
    """(label value, pixel position) of each tick on `axis`."""
    out = []
    for g in root.iter(NS + "g"):
        if g.get("class") != "tick " + axis:
            continue
        text = g.find(NS + "text")
        pos = float(text.get("x") if axis == "x" else text.get("y"))
        out.append((float(text.text), pos))
    assert len(out) >= 2, f"only {len(out)} {axis} ticks"
    return out


def fit(pairs):
    """value = a + b * pixel, from the two ticks farthest apart; checks
    every other tick lies on the same line."""
    (v0, p0), (v1, p1) = pairs[0], pairs[-1]
    b = (v1 - v0) / (p1 - p0)
    a = v0 - b * p0
    for v, p in pairs:
        assert abs(a + b * p - v) < 1e-3 * max(1, abs(v)), f"tick {v} off its axis"
    return lambda p: a + b * p


epoch_of = fit(ticks("x"))
log_of = fit([(math.log10(v), p) for v, p in ticks("y")])
texts = [t.text for t in root.iter(NS + "text")]
for label in ("epoch", "perplexity (log scale)", "training"):
    assert label in texts, f"no '{label}' text"

series = {p.get("data-series"): p.get("points") for p in root.iter(NS + "polyline")}
expected = {"training": [(r["epoch"], r["perplexity"]) for r in rows]}
val = [(r["epoch"], r["val_perplexity"]) for r in rows if r.get("val_perplexity") is not None]
if val:
    expected["validation"] = val
    assert "validation" in texts, "no 'validation' in the legend"
assert set(series) == set(expected), f"series {sorted(series)}, expected {sorted(expected)}"
for name, want in expected.items():
    got = [tuple(map(float, pt.split(","))) for pt in series[name].split()]
    assert len(got) == len(want), f"{name}: {len(got)} points, expected {len(want)}"
    for (x, y), (epoch, ppl) in zip(got, want):
        e, p = epoch_of(x), 10 ** log_of(y)
        # Coordinates are written with 2 decimals: ~0.005 px of rounding.
        assert abs(e - epoch) < 0.01, f"{name}: x {x} is epoch {e}, expected {epoch}"
        assert abs(p - ppl) < 1e-3 * ppl, f"{name}: y {y} is perplexity {p}, expected {ppl}"
print(", ".join(f"{n}: {len(w)} points" for n, w in sorted(expected.items())) + " match")
