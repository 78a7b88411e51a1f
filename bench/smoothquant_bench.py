#!/usr/bin/env python3
"""W8A8 on a decoder with activation outliers: quantc with and without
SmoothQuant against ONNX Runtime's quantize_static (and, with
--quark-python, AMD Quark's ONNX flow: W8A8 with and without its
SmoothQuant, and its 4-bit MatMulNBits) on the same model
(examples/outlier_lm), calibration sequences and held-out sequences.
Prints a table and (with --out) JSON.

    .venv/bin/python bench/smoothquant_bench.py [--build build]
        [--quark-python /tmp/quarkvenv/bin/python]

Both sides: int8 weights per output channel (symmetric), int8 activations
with one static scale per tensor, QDQ. quantc: quant-compile --format int8
[--smooth-quant --smooth-alpha A] [--calib-method M], run by quant-run.
ORT 1.23: quantize_static(QDQ, per_channel, QInt8/QInt8, MinMax or
Percentile), and with extra_options SmoothQuant=True (which needs Intel
Neural Compressor; reported as failed when it is missing), run with graph
optimizations off. Metrics on the held-out sequences against each side's
float run: next-token argmax agreement over all positions, mean
KL(p_float || p_quant) of the next-token distributions, relative RMS error
of the logits.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def softmax(z):
    z = z.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def metrics(q, f):
    p, r = softmax(f), softmax(q)
    kl = float(np.mean(np.sum(p * (np.log(p + 1e-30) - np.log(r + 1e-30)),
                              axis=-1)))
    return {"argmax_agreement": float(np.mean(q.argmax(-1) == f.argmax(-1))),
            "kl": kl,
            "rel_rms": float(np.linalg.norm(q.astype(np.float64) - f) /
                             np.linalg.norm(f.astype(np.float64)))}


def ort_run(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    return s.run(["logits"], feeds)[0]


def ort_side(model, calib, feeds, work):
    from onnxruntime.quantization import (CalibrationDataReader,
                                          CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    ref = ort_run(model, feeds)
    data = dict(np.load(calib))

    class Reader(CalibrationDataReader):
        def __init__(self):
            n = data["input_ids"].shape[0]
            self.rows = iter([{"input_ids": data["input_ids"][i:i + 1]}
                              for i in range(n)])

        def get_next(self):
            return next(self.rows, None)

    res = {}
    for name, method, extra in (
            ("minmax", CalibrationMethod.MinMax, {}),
            ("percentile", CalibrationMethod.Percentile, {}),
            ("minmax+smoothquant", CalibrationMethod.MinMax,
             {"SmoothQuant": True, "SmoothQuantAlpha": 0.5})):
        out = work / f"ort_{name}.onnx"
        try:
            quantize_static(str(model), str(out), Reader(),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8,
                            calibrate_method=method, extra_options=extra)
            res[name] = metrics(ort_run(out, feeds), ref)
        except Exception as e:  # report, do not hide
            res[name] = {"error": f"{type(e).__name__}: {str(e)[:200]}"}
    return res


def quantc_side(build, model, calib, test, work):
    qc, qr = build / "bin/quant-compile", build / "bin/quant-run"
    subprocess.run([qr, model, "--inputs", test, "--outputs",
                    work / "float.npz"], check=True, capture_output=True)
    ref = np.load(work / "float.npz")["logits"]
    variants = {"minmax": [], "percentile": ["--calib-method", "percentile"]}
    for a in (0.3, 0.5, 0.7):
        variants[f"smooth a={a}"] = ["--smooth-quant", "--smooth-alpha",
                                     str(a)]
    variants["smooth a=0.5, dynamic per-token"] = [
        "--smooth-quant", "--activations", "dynamic"]
    variants["outlier channels in float (6.0)"] = ["--outlier-threshold", "6"]
    variants["smooth a=0.5 + GPTQ weights"] = ["--smooth-quant",
                                               "--weight-method", "gptq"]
    variants["smooth, alphas searched"] = [
        "--smooth-quant", "--smooth-alphas", "0.3,0.4,0.5,0.6,0.7,0.8"]
    # S6: also the tensors no LayerNorm gain can absorb (attention
    # contexts, GELU outputs), by an inserted division.
    for a in (0.5, 0.7):
        variants[f"smooth a={a} + inserted scales"] = [
            "--smooth-quant", "--smooth-insert-scales", "--smooth-alpha",
            str(a)]
    variants["smooth + inserted scales, alphas searched"] = [
        "--smooth-quant", "--smooth-insert-scales", "--smooth-alphas",
        "0.3,0.4,0.5,0.6,0.7,0.8"]
    res = {}
    for name, extra in variants.items():
        pkg = work / "q.qcpkg"
        subprocess.run([qc, model, "--calib", calib, "-o", pkg, "--format",
                        "int8", "--target", "none", "-q", *extra],
                       check=True, capture_output=True)
        subprocess.run([qr, pkg, "--inputs", test, "--outputs",
                        work / "q.npz"], check=True, capture_output=True)
        res[name] = metrics(np.load(work / "q.npz")["logits"], ref)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--out")
    ap.add_argument("--quark-python",
                    help="an interpreter with amd-quark (its own venv, see "
                         "bench/quark_peer.py): adds AMD Quark's rows, run "
                         "on the same model and data by quark_peer.py")
    args = ap.parse_args()
    import logging
    logging.disable(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="smoothquant-"))
    subprocess.run([sys.executable, ROOT / "examples/outlier_lm/make_outlier_lm.py",
                    "--out-dir", work], check=True, capture_output=True)
    model, calib, test = (work / "outlier_lm.onnx", work / "calib.npz",
                          work / "test.npz")
    feeds = dict(np.load(test))
    results = {"quantc": quantc_side(Path(args.build).resolve(), model, calib,
                                     test, work),
               "ort": ort_side(model, calib, feeds, work)}
    if args.quark_python:
        out = work / "quark.json"
        r = subprocess.run([args.quark_python, ROOT / "bench/quark_peer.py",
                            "--out", out, "--log-dir", work / "quark"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            results["quark"] = json.loads(out.read_text())["results"]
        else:
            lines = (r.stderr or r.stdout).strip().splitlines() or [""]
            results["quark"] = {"(all)": {"error": lines[-1][:200]}}
    print(f"{'engine':7} {'variant':34} {'agreement':>9} {'KL':>10} "
          f"{'rel RMS':>8}")
    for eng, r in results.items():
        for name, v in r.items():
            if "error" in v:
                print(f"{eng:7} {name:34} failed: {v['error']}")
            else:
                print(f"{eng:7} {name:34} {100 * v['argmax_agreement']:8.1f}% "
                      f"{v['kl']:10.2e} {v['rel_rms']:8.4f}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
