#!/usr/bin/env bash
# The quantc demo (`make demo`): generates the bundled MLP example, compiles
# it to an MXFP8 package, runs the package on held-out inputs on the CPU
# reference Executor and prints its error against the float model.
#
#   scripts/demo.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PY=.venv/bin/python
BIN=$BUILD/bin
EX=$BUILD/examples/mlp
PKG=$EX/mlp.qcpkg

step() { printf '\n==> %s\n' "$*"; }

for t in quant-compile quant-run; do
  if [[ ! -x $BIN/$t ]]; then
    echo "demo: $BIN/$t not found; build first (make build)" >&2
    exit 1
  fi
done

step "[1/4] Generating the example MLP (64 -> 128 -> 128 -> 10) into $EX"
$PY examples/mlp/make_mlp.py --out-dir "$EX"
ls -l "$EX"/mlp.onnx "$EX"/calib.npz "$EX"/test.npz

step "[2/4] Compiling to MXFP8: quant-compile $EX/mlp.onnx --calib $EX/calib.npz -o $PKG"
rm -rf "$PKG"
"$BIN"/quant-compile "$EX/mlp.onnx" -o "$PKG" --calib "$EX/calib.npz"
echo
echo "Package $PKG:"
(cd "$PKG" && find . -type f | sort | sed 's|^\./|  |')

step "[3/4] Running on held-out inputs ($EX/test.npz) with quant-run (CPU Executor)"
echo "  quantized: quant-run $PKG"
"$BIN"/quant-run "$PKG" --inputs "$EX/test.npz" --outputs "$EX/test.quant.npz"
echo "  float:     quant-run $EX/mlp.onnx"
"$BIN"/quant-run "$EX/mlp.onnx" --inputs "$EX/test.npz" --outputs "$EX/test.float.npz"

step "[4/4] Held-out error of the MXFP8 package vs the float model"
$PY - "$EX/test.float.npz" "$EX/test.quant.npz" <<'EOF'
import sys
import numpy as np
yf = np.load(sys.argv[1])["logits"].astype(np.float64)
yq = np.load(sys.argv[2])["logits"].astype(np.float64)
rel = np.linalg.norm(yq - yf) / np.linalg.norm(yf)
cos = (yq.ravel() @ yf.ravel()) / (np.linalg.norm(yq) * np.linalg.norm(yf))
agree = np.mean(yq.argmax(1) == yf.argmax(1))
print(f"  samples            {yf.shape[0]}")
print(f"  rel RMS error      {rel:.4f}")
print(f"  max abs error      {np.abs(yq - yf).max():.4f}")
print(f"  cosine similarity  {cos:.5f}")
print(f"  argmax agreement   {100 * agree:.1f}%")
EOF
echo
echo "Done. The package is $PKG (report: $PKG/report.json)."
