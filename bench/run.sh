#!/usr/bin/env bash
# bench/run.sh - one command, one run: rnnc vs PyTorch and JAX on the d2l recipe.
#
# Installs the peers' packages if missing (Debian's python3-torch; jax[cpu]
# from PyPI into <build>/bench-venv, skipped with a message when PyPI cannot
# be reached), builds rnnc and the GEMM probe (Eigen and OpenBLAS), then runs
# bench/bench.py, which prints the table (see bench/README.md).
#
#   bench/run.sh [--quick] [bench.py options...]
#
# RNNC_BENCH_BUILD_DIR=<dir> builds rnnc there with cmake + ninja instead of
# scripts/build.sh (which uses ./build). Not part of the tests.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${RNNC_BENCH_BUILD_DIR:-$repo/build}"
out="$build/bench"
venv="$build/bench-venv"
peer_python=/usr/bin/python3 # Debian's: python3-torch lives there, not in pyenv's
mkdir -p "$out"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# 1. PyTorch (Debian) for the PyTorch peers, on OpenBLAS: without it
#    (a Recommends only) torch falls back to the reference BLAS, ~30x slower.
missing=()
for p in python3-torch libopenblas0-pthread python3-venv time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: installing ${missing[*]} (apt)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# 2. JAX (CPU) from PyPI into a venv of its own.
jax_python=""
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import jax' 2>/dev/null; then
  jax_python="$venv/bin/python"
else
  echo "bench: installing jax[cpu] into $venv (pip)" >&2
  if "$peer_python" -m venv "$venv" >/dev/null 2>&1 &&
    "$venv/bin/pip" install -q --timeout 20 --retries 1 "jax[cpu]" >"$out/pip-jax.log" 2>&1 &&
    "$venv/bin/python" -c 'import jax' 2>/dev/null; then
    jax_python="$venv/bin/python"
  else
    echo "bench: JAX SKIPPED: could not install jax[cpu] from PyPI (unreachable?);" \
      "see $out/pip-jax.log" >&2
  fi
fi

# 3. rnnc itself.
echo "bench: building rnnc into $build" >&2
if ! { if [ "$build" = "$repo/build" ]; then
  "$repo/scripts/build.sh"
else
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release &&
    ninja -C "$build" -j2 rnnc
fi; } >"$out/build.log" 2>&1; then
  tail -n 20 "$out/build.log" >&2
  echo "bench: building rnnc failed; see $out/build.log" >&2
  exit 1
fi
rnnc="$build/tools/rnnc/rnnc"

# 4. The GEMM probe, compiled for this host.
probe="$out/gemm_probe"
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ ! -x "$probe" ] || [ "$repo/bench/gemm_probe.cpp" -nt "$probe" ]; then
  g++ -O3 -march=native -fopenmp -DNDEBUG -I/usr/include/eigen3 \
    -I/usr/include/x86_64-linux-gnu/openblas-pthread \
    "$repo/bench/gemm_probe.cpp" "$openblas/libopenblas.so" -Wl,-rpath,"$openblas" -o "$probe"
fi

# 5. Everything side by side; the table goes to stdout and $out/table.txt.
"$peer_python" "$repo/bench/bench.py" --repo "$repo" --rnnc "$rnnc" \
  --gemm-probe "$probe" --jax-python "$jax_python" --out "$out" "$@" | tee "$out/table.txt"
exit "${PIPESTATUS[0]}"
