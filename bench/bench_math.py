"""Executor speed of the Math-family kernels (docs/Ops-math.md).

For each op, two ONNX models apply it 1 and 11 times in a chain to a
[32, 128, 768] f32 tensor (3.1 M elements, a BERT-base activation at batch
32); quant-run's whole-process time difference / 10 is the per-op Executor
time (import, npz I/O and process start cancel out). onnxruntime's
in-process per-op time (CPU provider, no graph optimizations) is printed for
reference. One JSON object per op.

    .venv/bin/python bench/bench_math.py [--build build] [--repeat 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPE = [32, 128, 768]
F = TensorProto.FLOAT


def chain(op, n, attrs, extra_inputs):
    nodes, inits, cur = [], [], "x"
    for name, arr in extra_inputs:
        inits.append(numpy_helper.from_array(arr, name))
    for i in range(n):
        out = "y" if i == n - 1 else f"t{i}"
        nodes.append(helper.make_node(op, [cur] + [e for e, _ in extra_inputs],
                                      [out], **attrs))
        cur = out
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, SHAPE)],
                          [helper.make_tensor_value_info("y", F, SHAPE)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    qr = os.path.join(args.build, "bin", "quant-run")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    h = SHAPE[-1]
    cases = [
        ("Add (bias [768])", "Add", {}, [("b", rng.standard_normal(h).astype(np.float32))]),
        ("Mul (same shape)", "Mul", {}, [("m", rng.standard_normal(SHAPE).astype(np.float32))]),
        ("Gelu", "Gelu", {}, []),
        ("Tanh", "Tanh", {}, []),
        ("Sigmoid", "Sigmoid", {}, []),
        ("Softmax (last axis)", "Softmax", {"axis": -1}, []),
        ("LayerNormalization", "LayerNormalization", {"axis": -1},
         [("g", np.ones(h, np.float32)), ("beta", np.zeros(h, np.float32))]),
    ]
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, "in.npz"), x=x)
        for label, op, attrs, extra in cases:
            times = {}
            for n in (1, 11):
                path = os.path.join(tmp, f"m{n}.onnx")
                onnx.save(chain(op, n, attrs, extra), path)
                ts = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    subprocess.run([qr, path, "--inputs", os.path.join(tmp, "in.npz"),
                                    "--outputs", os.path.join(tmp, "out.npz")],
                                   check=True, stdout=subprocess.DEVNULL)
                    ts.append(time.perf_counter() - t0)
                times[n] = statistics.median(ts)
            per_op = (times[11] - times[1]) / 10
            sess = ort.InferenceSession(os.path.join(tmp, "m11.onnx"), so,
                                        providers=["CPUExecutionProvider"])
            sess.run(None, {"x": x})
            ts = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                sess.run(None, {"x": x})
                ts.append(time.perf_counter() - t0)
            ort_per_op = statistics.median(ts) / 11
            n_el = int(np.prod(SHAPE))
            print(json.dumps({"bench": label, "executor_ms": round(per_op * 1e3, 2),
                              "executor_Melem_per_s": round(n_el / per_op / 1e6, 1),
                              "onnxruntime_ms": round(ort_per_op * 1e3, 2)}))


if __name__ == "__main__":
    main()
