#!/usr/bin/env bash
# Prepares the GPU check: generates the MXFP8 GEMM kernel's PTX (and cubins
# when ptxas is available) with quant-kernel-gen from a build directory into a
# folder that a GPU machine run can carry, then smoke-tests the reference here.
#
#   scripts/gpu_check.sh [BUILD_DIR [OUT_DIR]]     (defaults: build, BUILD_DIR/gpu_check)
#
# Then, on the GPU machine (it needs only the repo tree, OUT_DIR, python3,
# numpy and the CUDA driver):
#   python3 scripts/gpu_check.py --ptx OUT_DIR/mxfp8_gemm.sm_89.ptx
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=${2:-$BUILD/gpu_check}
GEN="$BUILD/bin/quant-kernel-gen"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3

if [ ! -x "$GEN" ]; then
  echo "gpu_check.sh: $GEN not found; build it first: ninja -C $BUILD quant-kernel-gen" >&2
  exit 1
fi
mkdir -p "$OUT"
for chip in sm_89 sm_120a; do
  "$GEN" --target "$chip" --emit=mlir -o "$OUT/mxfp8_gemm.$chip.mlir"
  "$GEN" --target "$chip" --emit=ptx -o "$OUT/mxfp8_gemm.$chip.ptx"
  echo "wrote $OUT/mxfp8_gemm.$chip.ptx"
done
if PTXAS=$(command -v ptxas || ls /usr/local/cuda/bin/ptxas 2>/dev/null); then
  "$PTXAS" -arch=sm_89 "$OUT/mxfp8_gemm.sm_89.ptx" -o "$OUT/mxfp8_gemm.sm_89.cubin"
  "$PTXAS" -arch=sm_90 "$OUT/mxfp8_gemm.sm_89.ptx" -o "$OUT/mxfp8_gemm.sm_90.cubin"
  "$PTXAS" -arch=sm_120a "$OUT/mxfp8_gemm.sm_120a.ptx" -o "$OUT/mxfp8_gemm.sm_120a.cubin"
  echo "ptxas accepted the PTX (sm_89, sm_90, sm_120a)"
else
  echo "ptxas not found: skipped the cubins"
fi
"$PY" scripts/gpu_check.py --cpu-only
echo
echo "On a GPU machine: python3 scripts/gpu_check.py --ptx $OUT/mxfp8_gemm.sm_89.ptx"
