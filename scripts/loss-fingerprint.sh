#!/usr/bin/env bash
# scripts/loss-fingerprint.sh - the per-epoch losses of the examples and of
# generated models, printed exactly (metrics JSON), for a before/after diff of
# a change that must not alter training (e.g. a back-end redesign):
#
#   scripts/loss-fingerprint.sh BUILD_DIR > before.txt   # on the old commit
#   scripts/loss-fingerprint.sh BUILD_DIR > after.txt    # on the new one
#   diff before.txt after.txt                            # must be empty
#
# Same seed and thread count on both sides. Not a test: it takes ~1 minute.
set -euo pipefail
build="${1:?usage: loss-fingerprint.sh BUILD_DIR [MODELS | MODEL_DIR]}"
models="${2:-20}" # how many generated models, or a directory of .rnn files
                  # (the generator changes as the language grows: keep the
                  # "before" side's models to compare across such a change)
repo="$(cd "$(dirname "$0")/.." && pwd)"
rnnc="$build/tools/rnnc/rnnc"
corpus=/usr/share/games/fortunes/tang300
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -d "$models" ]; then
  cp "$models"/*.rnn "$work"/
else
  "$build/test/differential/rnnc-difftest" --write-models "$work" --models "$models" --seed 1
fi
for m in "$repo"/examples/*.rnn "$work"/model-*.rnn; do
  for threads in 1 2; do
    "$rnnc" train "$m" --data "$corpus" --chars 20000 --epochs 3 --seed 7 --threads "$threads" \
      --predict-every 0 --predict-length 20 --metrics-json "$work/metrics.json" >"$work/out.txt" 2>&1 ||
      echo "$(basename "$m") threads=$threads: failed"
    echo "$(basename "$m") threads=$threads:"
    if [ -f "$work/metrics.json" ]; then
      sed -E 's/"(elapsed|seconds|tokens_per_s)[a-z_]*": *[0-9.eE+-]+,?//g' "$work/metrics.json"
      rm "$work/metrics.json"
    fi
    grep -v -E "tokens/s|elapsed|compiled in|^$" "$work/out.txt" | tail -3
  done
done
