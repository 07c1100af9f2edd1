#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install the Debian packages,
# build rnnc, train the d2l character RNN on the Tang poems of fortunes-zh and
# continue a few prefixes with the trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
rnnc=build/tools/rnnc/rnnc
mkdir -p build/main-job
"$rnnc" train examples/char_rnn.rnn \
  --data /usr/share/games/fortunes/tang300 \
  --epochs "${EPOCHS:-40}" --predict-every 10 --prefix 春风 --prefix 明月 \
  --save build/main-job/char_rnn.ckpt
for prefix in 白日 青山 故人; do
  "$rnnc" generate build/main-job/char_rnn.ckpt --prefix "$prefix" -n 40
done
