#!/usr/bin/env bash
# Prepares every GPU check and benchmark for one call on a lent GPU machine
# (docs/Kernels.md, "Checking on a GPU"), here, where LLVM/MLIR and the build
# are:
#   OUT/gpu_check   scripts/gpu_check.sh       the mma.sync MXFP8 GEMM vs the Executor
#   OUT/gpu_hopper  scripts/gpu_hopper_gemm.sh the sm_90a TMA + wgmma FP8 GEMM:
#                   every scale/tile/output variant vs F33, timed against
#                   cuBLASLt (torch._scaled_mm) and bf16 torch.matmul
#   OUT/gpu_int8    scripts/gpu_int8_gemm.sh   the int8 GEMM (integer mma.sync)
#                   vs its exact reference, timed against torch._int_mm
#   OUT/gpu_run     scripts/gpu_run_check.sh   whole packages (mxfp8, int8,
#                   fp8, dynamic) through libquantc_rt vs the Executor, timed
#                   against ONNX Runtime CUDA and PyTorch
#
#   scripts/gpu_bench.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR/gpu_bench)
#
# Then, with OUT_DIR carried (device tool: carry ["build/gpu_bench"]):
#   python3 scripts/gpu_bench.py --dir OUT_DIR
# runs the four device steps in one call within a time budget and writes
# bench.json (into $OUT when the device tool sets it).
set -euo pipefail
BUILD=$(realpath -m "${1:-build}")
OUT=$(realpath -m "${2:-$BUILD/gpu_bench}")
cd "$(dirname "$0")/.."
rm -rf "$OUT"
mkdir -p "$OUT"
bash scripts/gpu_check.sh "$BUILD" "$OUT/gpu_check" | tail -2
bash scripts/gpu_hopper_gemm.sh "$BUILD" "$OUT/gpu_hopper" | tail -2
bash scripts/gpu_int8_gemm.sh "$BUILD" "$OUT/gpu_int8" | tail -2
bash scripts/gpu_run_check.sh "$BUILD" "$OUT/gpu_run" | tail -2
echo "gpu_bench.sh: ready in $OUT ($(du -sh "$OUT" | cut -f1)); on the GPU machine: python3 scripts/gpu_bench.py --dir $OUT"
