#!/usr/bin/env python3
"""Calibration speed: quant-compile against ONNX Runtime's quantize_static
on the same model, the same N calibration samples and the same method, W8A8
int8 QDQ with per-channel weights on both sides. Prints a table and (with
--out) JSON.

    .venv/bin/python bench/calib_speed.py [--build build] [--samples 256]
        [--models mlp,cnn,gpt2]

Samples are seeded synthetic inputs of each example's input shape (normal
values; token ids below 1000 for GPT-2). ORT: the quantize_static call (its
calibration runs the augmented model in an InferenceSession, then writes
the QDQ model), fed one sample per get_next() as its examples do, and fed
batches of 32 (what it can do at best). quantc: the whole quant-compile
process (import, calibration, quantization, an accuracy run of the float
and quantized graphs over all samples, package), so it does more than ORT
does; and quant-compile --no-accuracy (no accuracy run: closer to what
ORT's call does), also with --calib-batch 16; and the same work in process
through the Python module
(`quantc.compile(..., accuracy=False)`, a library call like ORT's, without
the ~40 ms start of a process that loads libLLVM and libMLIR). Best of 2
runs each (3 in process). Methods compared: minmax (ORT MinMax), percentile
(ORT Percentile), entropy (ORT Entropy).
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
METHODS = {"minmax": "MinMax", "percentile": "Percentile",
           "entropy": "Entropy"}


def make_inputs(name, work, n):
    subprocess.run([sys.executable, ROOT / f"examples/{name}/make_{name}.py",
                    "--out-dir", work], check=True, capture_output=True)
    model = work / f"{name}.onnx"
    ref = dict(np.load(work / ("test.npz" if name == "gpt2" else
                                "calib.npz")))
    rng = np.random.default_rng(0)
    data = {}
    for k, v in ref.items():
        shape = (n,) + v.shape[1:]
        if v.dtype.kind in "iu":
            data[k] = rng.integers(0, 1000, shape).astype(v.dtype)
        else:
            data[k] = rng.standard_normal(shape).astype(v.dtype)
    calib = work / f"calib_{n}.npz"
    np.savez(calib, **data)
    return model, calib, data


def best_of(f, runs=2):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def ort_time(model, data, method, batch, work):
    from onnxruntime.quantization import (CalibrationDataReader,
                                          CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    n = next(iter(data.values())).shape[0]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.rows = iter([{k: v[i:i + batch] for k, v in data.items()}
                              for i in range(0, n, batch)])

        def get_next(self):
            return next(self.rows, None)

    def run():
        quantize_static(str(model), str(work / f"ort_{method}.onnx"),
                        Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8,
                        calibrate_method=getattr(CalibrationMethod,
                                                 METHODS[method]))
    return best_of(run)


def quantc_time(build, model, calib, method, work, extra=()):
    qc = build / "bin/quant-compile"

    def run():
        subprocess.run([qc, model, "--calib", calib, "-o",
                        work / f"q_{method}.qcpkg", "--format", "int8",
                        "--target", "none", "--calib-method", method, "-q",
                        *extra],
                       check=True, capture_output=True)
    return best_of(run)


def quantc_api_time(build, model, calib, method, work):
    sys.path.insert(0, str(build / "python"))
    import quantc

    def run():
        quantc.compile(model, calib, format="int8", targets=(),
                       output=work / f"api_{method}.qcpkg",
                       calib_method=method, accuracy=False)
    run()  # the first call loads the module's libraries
    return best_of(run, 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--models", default="mlp,cnn,gpt2")
    ap.add_argument("--out")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    import logging
    logging.disable(logging.WARNING)  # ORT's "consider pre-processing"
    results = {}
    for name in args.models.split(","):
        work = Path(tempfile.mkdtemp(prefix=f"calib-speed-{name}-"))
        model, calib, data = make_inputs(name, work, args.samples)
        for m in METHODS:
            r = {"quantc_s": quantc_time(build, model, calib, m, work),
                 "quantc_no_accuracy_s": quantc_time(
                     build, model, calib, m, work, ["--no-accuracy"]),
                 "quantc_api_s": quantc_api_time(build, model, calib, m,
                                                  work),
                 # 16 samples per Executor run: activations stay in cache,
                 # histogram methods take two runs then.
                 "quantc_batch16_s": quantc_time(
                     build, model, calib, m, work,
                     ["--no-accuracy", "--calib-batch", "16"]),
                 "ort_per_sample_s": ort_time(model, data, m, 1, work),
                 "ort_batch32_s": ort_time(model, data, m, 32, work)}
            best_ort = min(r["ort_per_sample_s"], r["ort_batch32_s"])
            r["speedup_vs_ort_best"] = best_ort / r["quantc_s"]
            r["speedup_no_accuracy"] = best_ort / r["quantc_no_accuracy_s"]
            r["speedup_api"] = best_ort / r["quantc_api_s"]
            r["speedup_batch16"] = best_ort / r["quantc_batch16_s"]
            results.setdefault(name, {})[m] = r
            print(f"{name:5} {m:10} quantc {r['quantc_s']:6.2f} s "
                  f"(--no-accuracy {r['quantc_no_accuracy_s']:6.2f} s, "
                  f"--calib-batch 16 {r['quantc_batch16_s']:6.2f} s, in "
                  f"process {r['quantc_api_s']:6.2f} s)   ORT "
                  f"per-sample {r['ort_per_sample_s']:6.2f} s, batch 32 "
                  f"{r['ort_batch32_s']:6.2f} s   speedup "
                  f"{r['speedup_vs_ort_best']:4.1f}x "
                  f"({r['speedup_no_accuracy']:4.1f}x, "
                  f"{r['speedup_batch16']:4.1f}x, "
                  f"{r['speedup_api']:4.1f}x)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(
            {"samples": args.samples, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
