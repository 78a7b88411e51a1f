#!/usr/bin/env python3
"""W8A8 int8 accuracy and calibration time: quantc against ONNX Runtime's
`quantize_static` on the same models, calibration samples and held-out
inputs, in one run. Prints a table and (with --out) JSON.

    .venv/bin/python bench/ptq_vs_ort.py [--build build] [--models mlp,cnn,gpt2]

Both sides: int8 weights with one symmetric scale per output channel,
int8 activations with one static asymmetric scale per tensor, QDQ.
ORT: quantize_static(QDQ, per_channel=True, activation QInt8, weight QInt8)
for each of its methods MinMax, Entropy, Percentile, twice: with its default
op types ("ort": it also quantizes Add, Mul, pooling, ... outputs) and with
op_types_to_quantize=[MatMul, Gemm, Conv] ("ort-mm": what quantc
quantizes); the quantized model
runs in an InferenceSession with graph optimizations off (the QDQ graph as
written; ORT's QDQ fusions change the arithmetic). quantc: quant-compile
--format int8 --target none --calib-method M for M in minmax, percentile,
entropy, mse; the package runs on quant-run (the Executor). Accuracy on the
held-out inputs against each engine's own float run: relative RMS error of
the outputs and, for classifier-like outputs (last axis > 1), argmax
agreement. "best" is the method with the lowest relative RMS error.
Calibration time: ORT's quantize_static call vs quant-compile's process
(import, calibration, quantization, accuracy run, package), best of 2.
Also dynamic activations: quantc --activations dynamic (symmetric per-token
scales) against ORT's quantize_dynamic ("ort-dyn": uint8 per-tensor).
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


def generate(name, out):
    subprocess.run([sys.executable, ROOT / f"examples/{name}/make_{name}.py",
                    "--out-dir", out], check=True, capture_output=True)
    model = out / f"{name}.onnx"
    calib = out / "calib.npz"
    test = out / "test.npz"
    if not calib.exists():  # decoders ship one input file: split it
        data = dict(np.load(test))
        n = next(iter(data.values())).shape[0]
        h = max(1, n // 2)
        np.savez(calib, **{k: v[:h] for k, v in data.items()})
        np.savez(out / "heldout.npz", **{k: v[h:] for k, v in data.items()})
        test = out / "heldout.npz"
    return model, calib, test


def ort_outputs(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(str(model), so,
                             providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(None, feeds)))


def metrics(q, f):
    out = {}
    num = den = 0.0
    agree = []
    for k in f:
        a, b = q[k].astype(np.float64), f[k].astype(np.float64)
        num += float(np.sum((a - b) ** 2))
        den += float(np.sum(b ** 2))
        if b.ndim >= 2 and b.shape[-1] > 1:
            agree.append(float(np.mean(a.argmax(-1) == b.argmax(-1))))
    out["rel_rms"] = (num / den) ** 0.5 if den else num ** 0.5
    if agree:
        out["argmax_agreement"] = float(np.mean(agree))
    return out


def ort_side(model, calib, test, work, op_types=None):
    from onnxruntime.quantization import (CalibrationDataReader,
                                          CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            data = dict(np.load(calib))
            n = next(iter(data.values())).shape[0]
            self.rows = iter([{k: v[i:i + 1] for k, v in data.items()}
                              for i in range(n)])

        def get_next(self):
            return next(self.rows, None)

    feeds = dict(np.load(test))
    ref = ort_outputs(model, feeds)
    res = {}
    for m in (CalibrationMethod.MinMax, CalibrationMethod.Entropy,
              CalibrationMethod.Percentile):
        out = work / f"ort_{m.name}_{'mm' if op_types else 'all'}.onnx"
        t0 = time.perf_counter()
        try:
            quantize_static(str(model), str(out), Reader(),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8, calibrate_method=m,
                            op_types_to_quantize=op_types)
        except Exception as e:  # report, do not hide
            res[m.name.lower()] = {"error": f"{type(e).__name__}: {e}"}
            continue
        dt = time.perf_counter() - t0
        r = metrics(ort_outputs(out, feeds), ref)
        r["calib_seconds"] = dt
        res[m.name.lower()] = r
    return res


def ort_dynamic_side(model, test, work):
    """ORT's quantize_dynamic (per-channel int8 weights; uint8 activations
    with one asymmetric scale per tensor computed at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    feeds = dict(np.load(test))
    ref = ort_outputs(model, feeds)
    out = work / "ort_dynamic.onnx"
    t0 = time.perf_counter()
    try:
        quantize_dynamic(str(model), str(out), per_channel=True,
                         weight_type=QuantType.QInt8)
    except Exception as e:  # report, do not hide
        return {"dynamic": {"error": f"{type(e).__name__}: {e}"}}
    dt = time.perf_counter() - t0
    try:
        r = metrics(ort_outputs(out, feeds), ref)
    except Exception as e:
        return {"dynamic": {"error": f"{type(e).__name__}: {e}"}}
    r["calib_seconds"] = dt
    return {"dynamic": r}


def quantc_side(build, model, calib, test, work):
    qc, qr = build / "bin/quant-compile", build / "bin/quant-run"
    subprocess.run([qr, model, "--inputs", test, "--outputs",
                    work / "float.npz"], check=True)
    ref = dict(np.load(work / "float.npz"))
    res = {}
    for m in ("minmax", "percentile", "entropy", "mse", "dynamic"):
        pkg = work / f"q_{m}.qcpkg"
        times = []
        opt = (["--activations", "dynamic"] if m == "dynamic" else
               ["--calib-method", m])
        for _ in range(2):
            t0 = time.perf_counter()
            subprocess.run([qc, model, "--calib", calib, "-o", pkg,
                            "--format", "int8", "--target", "none",
                            *opt, "-q"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - t0)
        subprocess.run([qr, pkg, "--inputs", test, "--outputs",
                        work / f"q_{m}.npz"], check=True)
        r = metrics(dict(np.load(work / f"q_{m}.npz")), ref)
        r["calib_seconds"] = min(times)
        res[m] = r
    return res


def best(side):
    ok = {k: v for k, v in side.items() if "rel_rms" in v and k != "dynamic"}
    return min(ok, key=lambda k: ok[k]["rel_rms"]) if ok else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--models", default="mlp,cnn,gpt2")
    ap.add_argument("--out")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    results = {}
    for name in args.models.split(","):
        work = Path(tempfile.mkdtemp(prefix=f"ptq-{name}-"))
        model, calib, test = generate(name, work)
        results[name] = {
            "ort": ort_side(model, calib, test, work),
            "ort-mm": ort_side(model, calib, test, work,
                               ["MatMul", "Gemm", "Conv"]),
            "ort-dyn": ort_dynamic_side(model, test, work),
            "quantc": quantc_side(build, model, calib, test, work)}
    print(f"{'model':6} {'engine':7} {'method':11} {'rel RMS':>9} "
          f"{'argmax':>7} {'calib s':>8}")
    for name, r in results.items():
        for eng in ("ort", "ort-mm", "ort-dyn", "quantc"):
            b = best(r[eng])
            for m, v in r[eng].items():
                if "error" in v:
                    print(f"{name:6} {eng:7} {m:11} failed: {v['error']}")
                    continue
                agree = v.get("argmax_agreement")
                print(f"{name:6} {eng:7} {m + ('*' if m == b else ''):11} "
                      f"{v['rel_rms']:9.4f} "
                      f"{'' if agree is None else f'{100 * agree:6.1f}%':>7} "
                      f"{v['calib_seconds']:8.2f}")
    print("* = best method of that engine on that model; 'dynamic': "
          "activation scales computed at run time (quantc: symmetric per "
          "token for matmuls, per tensor for convs; ORT quantize_dynamic: "
          "asymmetric uint8 per tensor), not counted as the best static "
          "method")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
