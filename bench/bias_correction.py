#!/usr/bin/env python3
"""Bias correction (B1, docs/Calibration.md) per format: quant-compile of
the bundled examples with bias correction (the default) and with
--bias-correction=false, for every format; the accuracy against float the
report measures. MLP and CNN: calibrated on their calib.npz, measured on
their held-out test.npz (relative RMS error and argmax agreement); GPT-2
and LLaMA ship only test.npz, which both calibrates and measures (an
in-sample figure: relative RMS error). Prints a table; --out writes JSON.

    .venv/bin/python bench/bias_correction.py [--build build]
        [--models mlp,cnn,gpt2,llama] [--formats int8,mxfp8,...]
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("int8", "fp8", "fp8-1x128", "int4-g128", "nvfp4", "bf16",
           "mxfp8", "mxfp6", "mxfp4", "mxint8")
LINE = re.compile(r"rel\. RMS error ([0-9.e+-]+),.*?cosine [0-9.]+"
                  r"(?:, argmax agreement ([0-9.]+)%)?")


def accuracy(build, model, calib, test, fmt, bc, out):
    """(relative RMS, argmax % or None) from quant-compile's report."""
    cmd = [build / "bin/quant-compile", model, "--calib", calib, "-o", out,
           "--format", fmt, "--target", "none",
           f"--bias-correction={'true' if bc else 'false'}"]
    if test != calib:
        cmd += ["--eval", test]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1]}
    key = "held-out accuracy" if test != calib else "accuracy vs float"
    line = next(l for l in res.stdout.splitlines() if l.startswith(key))
    m = LINE.search(line)
    r = {"rel_rms": float(m.group(1))}
    if m.group(2):
        r["argmax"] = float(m.group(2))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--models", default="mlp,cnn,gpt2,llama")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--out")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    work = Path(tempfile.mkdtemp(prefix="bias-correction-"))
    results = {}
    for name in args.models.split(","):
        d = work / name
        subprocess.run([sys.executable, ROOT / f"examples/{name}/make_{name}.py",
                        "--out-dir", d], check=True, capture_output=True)
        test = d / "test.npz"
        calib = d / "calib.npz" if (d / "calib.npz").exists() else test
        for fmt in args.formats.split(","):
            results[f"{name}/{fmt}"] = {
                "on": accuracy(build, d / f"{name}.onnx", calib, test, fmt,
                               True, work / "p.qcpkg"),
                "off": accuracy(build, d / f"{name}.onnx", calib, test, fmt,
                                False, work / "p.qcpkg")}

    def cell(r):
        if "error" in r:
            return "failed: " + r["error"]
        a = f" ({r['argmax']:.1f}%)" if "argmax" in r else ""
        return f"{r['rel_rms']:.4f}{a}"
    print(f"{'model/format':18} {'off':>18} {'on (default)':>18} {'ratio':>6}")
    for key, r in results.items():
        ratio = (r["on"]["rel_rms"] / r["off"]["rel_rms"]
                 if "rel_rms" in r["on"] and "rel_rms" in r["off"] and
                 r["off"]["rel_rms"] > 0 else float("nan"))
        print(f"{key:18} {cell(r['off']):>18} {cell(r['on']):>18} "
              f"{ratio:6.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
