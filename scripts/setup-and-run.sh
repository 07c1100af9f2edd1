#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install the Debian packages,
# build rnnc, train the tied, layer-normalised LSTM with dropout
# (examples/tang_lstm.rnn) on the Tang poems of fortunes-zh with the last
# 10% held out, keep the checkpoint with the best held-out perplexity, draw
# the training plot, and write a few poems from it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
rnnc=build/tools/rnnc/rnnc
out=build/main-job
mkdir -p "$out"
rm -f "$out/metrics.jsonl" # --metrics-json appends
"$rnnc" train examples/tang_lstm.rnn \
  --data /usr/share/games/fortunes/tang300 --val-fraction 0.1 \
  --epochs "${EPOCHS:-40}" --patience 10 \
  --predict-every 10 --prefix 《春 --prefix 明月 \
  --save "$out/tang_lstm.ckpt" --save-best "$out/tang_lstm.best.ckpt" \
  --metrics-json "$out/metrics.jsonl" --plot "$out/curve.svg"
echo "training plot: $out/curve.svg"
"$rnnc" eval "$out/tang_lstm.best.ckpt" \
  --data /usr/share/games/fortunes/tang300 --val-fraction 0.1
# Sampled (temperature 0.7, the 20 likeliest characters): greedy decoding of
# so small a corpus repeats one line.
for prefix in 《春 《秋 《月 《送; do
  "$rnnc" generate "$out/tang_lstm.best.ckpt" --prefix "$prefix" -n 48 \
    --temperature 0.7 --top-k 20 --seed 7
  echo
done
