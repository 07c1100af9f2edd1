#!/usr/bin/env bash
# Builds rnnc and runs the whole test suite (GoogleTest + lit/FileCheck).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
