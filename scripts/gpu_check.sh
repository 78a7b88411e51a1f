#!/usr/bin/env bash
# Prepares the GPU check, here (where LLVM/MLIR and the build are):
#   - the MXFP8 GEMM kernel's PTX (and cubins when ptxas is available) from
#     quant-kernel-gen;
#   - the test cases: for each shape seeded random inputs
#     (case_<M>x<N>x<K>.in.npz), a one-qc.qmatmul model (case_*.mlir) and
#     the Executor's output for it from quant-run (case_*.ref.npz), written
#     by scripts/gpu_check_cases.py;
#   - then checks the numpy reference of gpu_check.py against the Executor
#     (gpu_check.py --cpu-only --cases OUT_DIR).
#
#   scripts/gpu_check.sh [BUILD_DIR [OUT_DIR]]     (defaults: build, BUILD_DIR/gpu_check)
#
# BUILD_DIR needs bin/quant-kernel-gen and bin/quant-run. Relative paths are
# taken from the current directory. OUT_DIR stays small (~3 MB).
# Then, on the GPU machine (it needs only the repo tree, OUT_DIR, python3,
# numpy and the CUDA driver; OUT_DIR must be carried, it is not tracked):
#   python3 scripts/gpu_check.py --cases OUT_DIR
set -euo pipefail
BUILD=$(realpath -m "${1:-build}")
OUT=$(realpath -m "${2:-$BUILD/gpu_check}")
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
GEN="$BUILD/bin/quant-kernel-gen"
RUN="$BUILD/bin/quant-run"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3

if [ ! -x "$GEN" ]; then
  echo "gpu_check.sh: $GEN not found; build it first: ninja -C $BUILD quant-kernel-gen" >&2
  exit 1
fi
if [ ! -x "$RUN" ]; then
  echo "gpu_check.sh: $RUN not found; build it first: ninja -C $BUILD quant-run" >&2
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
rm -f "$OUT"/case_*
"$PY" scripts/gpu_check_cases.py --quant-run "$RUN" --out "$OUT"
"$PY" scripts/gpu_check.py --cpu-only --cases "$OUT"
echo
case "$OUT/" in
  "$ROOT"/*) REL=${OUT#"$ROOT"/} ;;
  *) REL=$OUT
     echo "note: $OUT is outside the repo; the device run carries only paths inside it" ;;
esac
echo "OUT_DIR: $(du -sh "$OUT" | cut -f1)"
echo "On a GPU machine (carry $REL): python3 scripts/gpu_check.py --cases $REL"
