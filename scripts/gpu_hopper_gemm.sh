#!/usr/bin/env bash
# Prepares the sm_90a FP8 GEMM check here (where LLVM/MLIR and the build are):
# the three scale variants' PTX and cubins from quant-kernel-gen, and the
# check cases with their expected outputs from quantc.numerics.gemm_fp8
# (scripts/gpu_hopper_gemm.py --prepare), then self-tests them (--cpu-only).
#
#   scripts/gpu_hopper_gemm.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR/gpu_hopper)
#   GPU_HOPPER_STAGES=N (default 6): the kernels' pipeline depth, recorded in
#   OUT_DIR/meta.json so the launcher gives them the shared memory they need.
#
# Then, on an H100/H200 (OUT_DIR carried; python3, numpy, CUDA driver, torch
# for the timings):
#   python3 scripts/gpu_hopper_gemm.py --dir OUT_DIR
set -euo pipefail
BUILD=$(realpath -m "${1:-build}")
OUT=$(realpath -m "${2:-$BUILD/gpu_hopper}")
cd "$(dirname "$0")/.."
GEN="$BUILD/bin/quant-kernel-gen"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
if [ ! -x "$GEN" ]; then
  echo "gpu_hopper_gemm.sh: $GEN not found; build it first: ninja -C $BUILD quant-kernel-gen" >&2
  exit 1
fi
STAGES=${GPU_HOPPER_STAGES:-6}
mkdir -p "$OUT"
echo "{\"stages\": $STAGES}" > "$OUT/meta.json"
for s in 1x128 per-channel per-tensor; do
  "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --stages "$STAGES" --emit=ptx -o "$OUT/fp8_gemm_$s.ptx"
  if command -v ptxas >/dev/null 2>&1; then
    ptxas -arch=sm_90a -v "$OUT/fp8_gemm_$s.ptx" -o "$OUT/fp8_gemm_$s.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[$s] /"
  fi
done
PYTHONPATH="$BUILD/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" scripts/gpu_hopper_gemm.py --prepare "$OUT"
"$PY" scripts/gpu_hopper_gemm.py --dir "$OUT" --cpu-only | tail -3
echo "gpu_hopper_gemm.sh: ready in $OUT; on the GPU machine: python3 scripts/gpu_hopper_gemm.py --dir $OUT"
