"""`rnnc eval` gives back the validation perplexity `rnnc train` reported,
to 1e-5 relative: the last epoch's from the --save checkpoint, the best
epoch's from the --save-best one.
usage: eval_matches_validation.py METRICS.jsonl LAST_EVAL.txt BEST_EVAL.txt"""
import json, re, sys

rows = [json.loads(line) for line in open(sys.argv[1])]
last_eval, best_eval = (open(p).read() for p in sys.argv[2:4])


def perplexity(text):
    m = re.search(r"^perplexity (\S+)$", text, re.M)
    assert m, f"no perplexity line in:\n{text}"
    return float(m.group(1))


def bits(text):
    return float(re.search(r"^bits per character (\S+)$", text, re.M).group(1))


last = rows[-1]
best = min(rows, key=lambda r: r["val_perplexity"])
for tag, row, text in (("last", last, last_eval), ("best", best, best_eval)):
    for key, got in (("val_perplexity", perplexity(text)), ("val_bits_per_char", bits(text))):
        rel = abs(got - row[key]) / abs(row[key])
        assert rel <= 1e-5, f"{tag} (epoch {row['epoch']}): eval {key} {got!r} vs training {row[key]!r} ({rel:.2e} relative)"
print(f"last epoch {last['epoch']} and best epoch {best['epoch']} reproduced to 1e-5")
