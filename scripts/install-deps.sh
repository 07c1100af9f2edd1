#!/usr/bin/env bash
# Installs every Debian package rnnc needs to build, test and run its main job.
set -euo pipefail
packages=(
  cmake ninja-build g++ clang-19 libclang-rt-19-dev
  llvm-19-dev llvm-19-tools
  antlr4 libantlr4-runtime-dev default-jre-headless
  libeigen3-dev libopenblas-pthread-dev libgtest-dev libzip-dev pkg-config
  libcli11-dev nlohmann-json3-dev libfmt-dev
  python3 unzip fortunes-zh zlib1g-dev libzstd-dev libedit-dev libxml2-dev libffi-dev libncurses-dev
  openmpi-bin libopenmpi-dev
)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
