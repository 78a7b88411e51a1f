#!/usr/bin/env bash
# Prepares the int8 GEMM check and benchmark (scripts/gpu_int8_gemm.py),
# here, where LLVM/MLIR and the build are: the kernel of
# `quant-kernel-gen --kernel int8-gemm` (both zero points, per-column weight
# scales: the variant quantc's int8 packages use) as MLIR (for --host), as
# sm_89 PTX and, when ptxas is found, as an sm_90 cubin; and the sm_90a
# int8 wgmma GEMM (`--kernel int8-wgmma-gemm --zero-point`, per-channel
# scales: what int8 packages for sm_90a use) at 128-row tiles and swapped
# for decode (16 tokens), as MLIR, sm_90a PTX and cubin.
#
#   scripts/gpu_int8_gemm.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR/gpu_int8)
#
# Then, on the GPU machine, with OUT_DIR carried:
#   python3 scripts/gpu_int8_gemm.py --dir OUT_DIR
set -euo pipefail
BUILD=$(realpath -m "${1:-build}")
OUT=$(realpath -m "${2:-$BUILD/gpu_int8}")
cd "$(dirname "$0")/.."
GEN="$BUILD/bin/quant-kernel-gen"
if [ ! -x "$GEN" ]; then
  echo "gpu_int8_gemm.sh: $GEN not found; build it first: ninja -C $BUILD quant-kernel-gen" >&2
  exit 1
fi
mkdir -p "$OUT"
"$GEN" --target sm_89 --kernel int8-gemm --emit=mlir -o "$OUT/i8_gemm.mlir"
"$GEN" --target sm_89 --kernel int8-gemm --emit=ptx -o "$OUT/i8_gemm.sm_89.ptx"
if "$GEN" --target sm_90 --kernel int8-gemm --emit=cubin -o "$OUT/i8_gemm.sm_90.cubin" 2>/dev/null; then
  echo "gpu_int8_gemm.sh: sm_90 cubin written"
else
  rm -f "$OUT/i8_gemm.sm_90.cubin"
  echo "gpu_int8_gemm.sh: no ptxas: the GPU JIT-compiles the sm_89 PTX"
fi
# The sm_90a wgmma kernels: name, then quant-kernel-gen's options.
while read -r name opts; do
  # shellcheck disable=SC2086
  "$GEN" --target sm_90a --kernel int8-wgmma-gemm --zero-point $opts \
    --kernel-name "$name" --emit=mlir -o "$OUT/$name.mlir"
  # shellcheck disable=SC2086
  "$GEN" --target sm_90a --kernel int8-wgmma-gemm --zero-point $opts \
    --kernel-name "$name" --emit=ptx -o "$OUT/$name.sm_90a.ptx"
  # shellcheck disable=SC2086
  "$GEN" --target sm_90a --kernel int8-wgmma-gemm --zero-point $opts \
    --kernel-name "$name" --emit=cubin -o "$OUT/$name.sm_90a.cubin" \
    2>/dev/null || rm -f "$OUT/$name.sm_90a.cubin"
done <<'EOF'
i8_wgmma_n128 --tile-n 128
i8_wgmma_swap16 --tile-n 16 --swap-ab
EOF
echo "gpu_int8_gemm.sh: ready in $OUT; on the GPU machine: python3 scripts/gpu_int8_gemm.py --dir $OUT"
