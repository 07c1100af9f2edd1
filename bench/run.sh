#!/usr/bin/env bash
# bench/run.sh - one command, one run: rnnc vs PyTorch and JAX on the d2l recipe.
#
# Installs the peers' packages if missing (Debian's python3-torch, PyTorch
# 1.13; from PyPI, jax[cpu] into <build>/bench-venv and torch, PyTorch 2,
# into <build>/bench-venv-torch2, each skipped with a message when PyPI
# cannot be reached), builds rnnc and the GEMM probe (Eigen and OpenBLAS),
# then runs bench/bench.py, which prints the table (see bench/README.md).
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
torch2_venv="$build/bench-venv-torch2"
peer_python=/usr/bin/python3 # Debian's: python3-torch lives there, not in pyenv's
mkdir -p "$out"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# 1. PyTorch (Debian) for the PyTorch peers, on OpenBLAS: without it
#    (a Recommends only) torch falls back to the reference BLAS, ~30x slower.
missing=()
# g++ and Python's headers: torch.compile (Inductor) builds C++ for its kernels.
for p in python3-torch libopenblas0-pthread python3-venv time g++ python3-dev; do
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

# 3. PyTorch 2 from PyPI into a venv of its own: the wheel is ~5 GB with the
#    CUDA packages it depends on (unused here), and a failed or partial
#    install of it must not cost the JAX row, nor a JAX upgrade this one.
torch2_python=""
torch2_ok() { "$torch2_venv/bin/python" -c \
  'import sys, torch; sys.exit(int(torch.__version__.split(".")[0]) < 2)' 2>/dev/null; }
if [ -x "$torch2_venv/bin/python" ] && torch2_ok; then
  torch2_python="$torch2_venv/bin/python"
else
  echo "bench: installing torch (PyTorch 2; ~5 GB with unused CUDA packages) into" \
    "$torch2_venv (pip)" >&2
  started=$(date +%s)
  if "$peer_python" -m venv "$torch2_venv" >/dev/null 2>&1 &&
    "$torch2_venv/bin/pip" install -q --timeout 20 --retries 1 "torch>=2" \
      >"$out/pip-torch2.log" 2>&1 && torch2_ok; then
    torch2_python="$torch2_venv/bin/python"
    echo "bench: installed torch $("$torch2_python" -c 'import torch; print(torch.__version__)')" \
      "in $(($(date +%s) - started)) s; the venv takes $(du -sh "$torch2_venv" | cut -f1)" >&2
  else
    echo "bench: PyTorch 2 SKIPPED: could not install torch from PyPI (unreachable?);" \
      "see $out/pip-torch2.log" >&2
  fi
fi

# 4. rnnc itself (through ccache when there is one).
echo "bench: building rnnc into $build" >&2
if ! { if [ "$build" = "$repo/build" ]; then
  "$repo/scripts/build.sh"
else
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" &&
    ninja -C "$build" -j2 rnnc
fi; } >"$out/build.log" 2>&1; then
  tail -n 20 "$out/build.log" >&2
  echo "bench: building rnnc failed; see $out/build.log" >&2
  exit 1
fi
rnnc="$build/tools/rnnc/rnnc"

# 5. The GEMM probe, compiled for this host.
probe="$out/gemm_probe"
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ ! -x "$probe" ] || [ "$repo/bench/gemm_probe.cpp" -nt "$probe" ]; then
  g++ -O3 -march=native -fopenmp -DNDEBUG -I/usr/include/eigen3 \
    -I/usr/include/x86_64-linux-gnu/openblas-pthread \
    "$repo/bench/gemm_probe.cpp" "$openblas/libopenblas.so" -Wl,-rpath,"$openblas" -o "$probe"
fi

# 6. Everything side by side; the table goes to stdout and $out/table.txt.
"$peer_python" "$repo/bench/bench.py" --repo "$repo" --rnnc "$rnnc" \
  --gemm-probe "$probe" --jax-python "$jax_python" --torch2-python "$torch2_python" --out "$out" "$@" | tee "$out/table.txt"
exit "${PIPESTATUS[0]}"
