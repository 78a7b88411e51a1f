#!/usr/bin/env python3
"""4-bit weights (int4-g128, W4A16): GPTQ against round to nearest on the
bundled decoders, same calibration and held-out sequences (the outlier
LM's: 16 and 8 sequences of 32 tokens, or --calib-seqs N random ones).
Prints a table and (with --out) JSON.

    .venv/bin/python bench/gptq_bench.py [--build build] [--calib-seqs N]

Metrics against each model's float run on the held-out sequences (as in
bench/smoothquant_bench.py): next-token agreement, mean KL, logits'
relative RMS error; and quant-compile's time.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from smoothquant_bench import metrics  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--calib-seqs", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    qc, qr = build / "bin/quant-compile", build / "bin/quant-run"
    work = Path(tempfile.mkdtemp(prefix="gptq-"))
    for name in ("gpt2", "llama", "outlier_lm"):
        subprocess.run([sys.executable, ROOT / f"examples/{name}/make_{name}.py",
                        "--out-dir", work / name], check=True,
                       capture_output=True)
    calib, test = work / "outlier_lm/calib.npz", work / "outlier_lm/test.npz"
    if args.calib_seqs:
        rng = np.random.default_rng(5)
        calib = work / "calib_big.npz"
        np.savez(calib, input_ids=rng.integers(0, 2048, (args.calib_seqs, 32),
                                               dtype=np.int64))
    results = {}
    print(f"{'model':10} {'method':5} {'agreement':>9} {'KL':>10} "
          f"{'rel RMS':>8} {'compile s':>9}")
    for name in ("gpt2", "llama", "outlier_lm"):
        model = work / name / f"{name}.onnx"
        subprocess.run([qr, model, "--inputs", test, "--outputs",
                        work / "f.npz"], check=True, capture_output=True)
        ref = np.load(work / "f.npz")["logits"]
        for method in ("rtn", "gptq"):
            t0 = time.perf_counter()
            subprocess.run([qc, model, "--calib", calib, "-o", work / "q.qcpkg",
                            "--format", "int4-g128", "--target", "none", "-q",
                            "--weight-method", method], check=True,
                           capture_output=True)
            dt = time.perf_counter() - t0
            subprocess.run([qr, work / "q.qcpkg", "--inputs", test,
                            "--outputs", work / "q.npz"], check=True,
                           capture_output=True)
            r = metrics(np.load(work / "q.npz")["logits"], ref)
            r["compile_seconds"] = dt
            results.setdefault(name, {})[method] = r
            print(f"{name:10} {method:5} {100 * r['argmax_agreement']:8.1f}% "
                  f"{r['kl']:10.2e} {r['rel_rms']:8.4f} {dt:9.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
