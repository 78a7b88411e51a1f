#!/usr/bin/env bash
# Installs what quantc needs to build and test: Debian packages (LLVM/MLIR 22,
# protobuf, gtest, OpenBLAS, pybind11, ninja, ONNX test data) and a Python venv
# (.venv) from the pinned python/requirements.txt. Idempotent: does nothing
# that is already done. Called by `make deps`.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
      libprotobuf-dev protobuf-compiler libgtest-dev libopenblas-dev
      pybind11-dev ninja-build libonnx-testdata cmake python3-venv ccache)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "[deps] Debian packages present"
fi

PY=${PYTHON:-python3}
REQ=python/requirements.txt
STAMP=.venv/.requirements.stamp
if [ ! -x .venv/bin/python ] || ! cmp -s "$REQ" "$STAMP"; then
  echo "[deps] creating Python venv .venv from $REQ"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r "$REQ"
  cp "$REQ" "$STAMP"
else
  echo "[deps] Python venv up to date"
fi
