#!/usr/bin/env bash
# Prepares the sm_90a FP8 GEMM check here (where LLVM/MLIR and the build are):
# PTX and cubins from quant-kernel-gen for each scale variant and tile width
# (fp8_gemm_<scales>_n<tileN>_s<stages>: 64 columns x 8 stages, 128 x 6,
# 256 x 4 for the variants without promotion; decode kernels (_swap:
# --swap-ab, 16/32/64 tokens x 8 stages); persistent kernels (_persist);
# and bf16 / fp8-1x128 output
# variants, fp8_gemm_<scales>_n<tileN>_s<stages>_o<output>[_swap]), and the
# check cases with their expected outputs from quantc.numerics.gemm_fp8
# (scripts/gpu_hopper_gemm.py --prepare), then self-tests them (--cpu-only).
# Each kernel's MLIR (.mlir) is kept too: `gpu_hopper_gemm.py --host` runs
# the whole check on this CPU through quantc.HostKernels.
#
#   scripts/gpu_hopper_gemm.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR/gpu_hopper)
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
mkdir -p "$OUT"
rm -f "$OUT"/fp8_gemm_*
for s in 1x128 per-channel per-tensor; do
  for cfg in 64:8 128:6 256:4; do
    n=${cfg%:*}; st=${cfg#*:}
    [ "$s" = 1x128 ] && [ "$n" = 256 ] && continue  # no room for the promotion
    f="$OUT/fp8_gemm_${s}_n${n}_s${st}"
    "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --emit=ptx -o "$f.ptx"
    "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --emit=mlir -o "$f.mlir"
    if command -v ptxas >/dev/null 2>&1; then
      ptxas -arch=sm_90a -v "$f.ptx" -o "$f.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[$s n$n] /"
    fi
  done
done
# Decode variants (--swap-ab: weights on the 128-row side, tokens on
# tile-n), fp8_gemm_<scales>_n<tileN>_s<stages>_swap.
for cfg in 1x128:16:8 per-channel:32:8 per-tensor:64:8; do
  IFS=: read -r s n st <<<"$cfg"
  f="$OUT/fp8_gemm_${s}_n${n}_s${st}_swap"
  for emit in ptx mlir; do
    "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --swap-ab --emit=$emit -o "$f.$emit"
  done
  if command -v ptxas >/dev/null 2>&1; then
    ptxas -arch=sm_90a -v "$f.ptx" -o "$f.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[$s n$n swap] /"
  fi
done
# The decode kernel's fp8-1x128 output (its groups reduced across both
# consumer warpgroups), fp8_gemm_1x128_n16_s8_ofp8-1x128_swap, checked
# against the f32 decode kernel above.
f="$OUT/fp8_gemm_1x128_n16_s8_ofp8-1x128_swap"
for emit in ptx mlir; do
  "$GEN" --target sm_90a --kernel fp8-gemm --scales 1x128 --tile-n 16 --stages 8 --swap-ab --output fp8-1x128 --emit=$emit -o "$f.$emit"
done
if command -v ptxas >/dev/null 2>&1; then
  ptxas -arch=sm_90a -v "$f.ptx" -o "$f.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[1x128 n16 swap fp8-1x128] /"
fi
# Split-K decode variants (--swap-ab --split-k N: N CTAs per tile along K),
# fp8_gemm_<scales>_n<tileN>_s<stages>_swap_k<N>.
for cfg in 1x128:16:8:4 per-tensor:32:8:2; do
  IFS=: read -r s n st k <<<"$cfg"
  f="$OUT/fp8_gemm_${s}_n${n}_s${st}_swap_k${k}"
  for emit in ptx mlir; do
    "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --swap-ab --split-k "$k" --emit=$emit -o "$f.$emit"
  done
  if command -v ptxas >/dev/null 2>&1; then
    ptxas -arch=sm_90a -v "$f.ptx" -o "$f.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[$s n$n swap split $k] /"
  fi
done
# Persistent variants (--persistent: one CTA per SM walking the tiles),
# fp8_gemm_<scales>_n<tileN>_s<stages>_persist.
for cfg in 1x128:128:6 per-tensor:256:4; do
  IFS=: read -r s n st <<<"$cfg"
  f="$OUT/fp8_gemm_${s}_n${n}_s${st}_persist"
  for emit in ptx mlir; do
    "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --persistent --emit=$emit -o "$f.$emit"
  done
  if command -v ptxas >/dev/null 2>&1; then
    ptxas -arch=sm_90a -v "$f.ptx" -o "$f.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[$s n$n persistent] /"
  fi
done
# Output variants (bf16 C; the next GEMM's 1x128 FP8 codes + scales), each
# beside the f32 kernel of the same variant, tile and depth.
for cfg in 1x128:128:6:bf16 1x128:128:6:fp8-1x128 per-tensor:256:4:fp8-1x128; do
  IFS=: read -r s n st o <<<"$cfg"
  f="$OUT/fp8_gemm_${s}_n${n}_s${st}_o${o}"
  "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --output "$o" --emit=ptx -o "$f.ptx"
  "$GEN" --target sm_90a --kernel fp8-gemm --scales "$s" --tile-n "$n" --stages "$st" --output "$o" --emit=mlir -o "$f.mlir"
  if command -v ptxas >/dev/null 2>&1; then
    ptxas -arch=sm_90a -v "$f.ptx" -o "$f.cubin" 2>&1 | grep -E "registers|spill" | sed "s/^/[$s n$n $o] /"
  fi
done
PYTHONPATH="$BUILD/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" scripts/gpu_hopper_gemm.py --prepare "$OUT"
"$PY" scripts/gpu_hopper_gemm.py --dir "$OUT" --cpu-only | tail -3
echo "gpu_hopper_gemm.sh: ready in $OUT; on the GPU machine: python3 scripts/gpu_hopper_gemm.py --dir $OUT"
