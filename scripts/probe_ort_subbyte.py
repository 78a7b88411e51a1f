#!/usr/bin/env python3
"""Probes which sub-byte float forms ONNX Runtime's CPU provider runs, to
choose the export of MXFP6/MXFP4/NVFP4 (docs/Export.md, "FP6/FP4").

    .venv/bin/python scripts/probe_ort_subbyte.py [--json]

Each probe builds a one-node model with onnx.helper, runs it with
onnxruntime (CPU, graph optimizations off) and checks the result against
the value the ONNX spec gives; it prints one line per form: "runs (exact)",
"runs (WRONG: ...)" or the error ORT raised. Also checks that every FP6
(E2M3, E3M2) and FP4 (E2M1) value is exactly a FLOAT8E4M3FN value, the
property the exporter relies on. python/tests/test_export.py runs it.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h


def _fp_values(ebits, mbits, bias):
    """All finite values of a sign-less-special (FN, no Inf/NaN) mini float
    with ebits/mbits/bias, both signs."""
    vals = []
    for e in range(1 << ebits):
        for m in range(1 << mbits):
            if e == 0:
                v = m * 2.0 ** (1 - bias - mbits)
            else:
                v = (1 + m / (1 << mbits)) * 2.0 ** (e - bias)
            vals += [v, -v]
    return np.array(sorted(set(vals)), np.float32)


FORMATS = {"E2M3FN": (2, 3, 1), "E3M2FN": (3, 2, 3), "E2M1FN": (2, 1, 1)}


def exact_in_e4m3():
    """{format: bool}: every value of the format is an E4M3FN value."""
    import ml_dtypes
    out = {}
    for name, (e, m, b) in FORMATS.items():
        v = _fp_values(e, m, b)
        back = v.astype(ml_dtypes.float8_e4m3fn).astype(np.float32)
        out[name] = bool(np.array_equal(back, v))
    return out


def _run(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 4  # the failures are reported, not logged
    sess = ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


def _model(nodes, inputs, outputs, inits, opset):
    g = h.make_graph(nodes, "probe", inputs, outputs, inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 10 if opset <= 22 else 11
    return m


# FP4 E2M1 codes 0..15 and their values (the ONNX FLOAT4E2M1 encoding).
FP4_VALUES = np.array([0, .5, 1, 1.5, 2, 3, 4, 6,
                       -0.0, -.5, -1, -1.5, -2, -3, -4, -6], np.float32)


def _packed_fp4(codes):
    codes = list(codes)
    if len(codes) % 2:
        codes.append(0)
    return bytes(c0 | (c1 << 4) for c0, c1 in zip(codes[::2], codes[1::2]))


def probe(opset):
    """{form: result line} for sub-byte float forms at `opset`."""
    res = {}
    codes = list(range(16))
    scale = np.float32(0.25)

    def attempt(name, fn):
        try:
            res[name] = fn()
        except Exception as e:  # ORT raises its own exception types
            res[name] = "fails: " + " ".join(str(e).split())[:200]

    def dq():
        w = T()
        w.name, w.data_type, w.raw_data = "w", T.FLOAT4E2M1, _packed_fp4(codes)
        w.dims.append(16)
        m = _model([h.make_node("DequantizeLinear", ["w", "s"], ["y"])], [],
                   [h.make_tensor_value_info("y", T.FLOAT, [16])],
                   [w, h.make_tensor("s", T.FLOAT, [], [scale])], opset)
        y = _run(m, {})
        want = FP4_VALUES * scale
        return "runs (exact)" if np.array_equal(y, want) else \
            f"runs (WRONG: {y.tolist()})"

    def q():
        x = (FP4_VALUES * scale).astype(np.float32)
        zp = T()
        zp.name, zp.data_type, zp.raw_data = "zp", T.FLOAT4E2M1, bytes([0])
        m = _model([h.make_node("QuantizeLinear", ["x", "s", "zp"], ["c"]),
                    h.make_node("Cast", ["c"], ["y"], to=T.FLOAT)],
                   [h.make_tensor_value_info("x", T.FLOAT, [16])],
                   [h.make_tensor_value_info("y", T.FLOAT, [16])],
                   [h.make_tensor("s", T.FLOAT, [], [scale]), zp], opset)
        y = _run(m, {"x": x})
        return "runs (exact)" if np.array_equal(y, FP4_VALUES) else \
            f"runs (WRONG: {y.tolist()})"

    def cast():
        x = FP4_VALUES.copy()
        m = _model([h.make_node("Cast", ["x"], ["c"], to=T.FLOAT4E2M1),
                    h.make_node("Cast", ["c"], ["y"], to=T.FLOAT)],
                   [h.make_tensor_value_info("x", T.FLOAT, [16])],
                   [h.make_tensor_value_info("y", T.FLOAT, [16])], [], opset)
        y = _run(m, {"x": x})
        return "runs (exact)" if np.array_equal(y, FP4_VALUES) else \
            f"runs (WRONG: {y.tolist()})"

    if opset >= 23:
        attempt(f"DequantizeLinear FLOAT4E2M1 -> FLOAT (opset {opset})", dq)
        attempt(f"QuantizeLinear FLOAT -> FLOAT4E2M1 (opset {opset})", q)
        attempt(f"Cast FLOAT <-> FLOAT4E2M1 (opset {opset})", cast)

    def e4m3_dq():
        # FP4 values carried as FLOAT8E4M3FN codes, scaled: the export form.
        import ml_dtypes
        c = FP4_VALUES.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
        w = T()
        w.name, w.data_type, w.raw_data = "w", T.FLOAT8E4M3FN, c.tobytes()
        w.dims.extend([1, 16])
        s = np.array([[2.0 ** -130]], np.float32)
        m = _model([h.make_node("DequantizeLinear", ["w", "s"], ["y"], axis=1,
                                block_size=16)], [],
                   [h.make_tensor_value_info("y", T.FLOAT, [1, 16])],
                   [w, h.make_tensor("s", T.FLOAT, [1, 1], s.flatten())],
                   opset)
        y = _run(m, {})
        want = FP4_VALUES[None] * s
        return "runs (exact)" if np.array_equal(y, want) else \
            f"runs (WRONG: {y.tolist()})"

    attempt(f"DequantizeLinear FLOAT8E4M3FN (FP4 values), blocked, "
            f"subnormal scale (opset {opset})", e4m3_dq)

    def e4m3_cast():
        import ml_dtypes
        vals = np.concatenate([_fp_values(*FORMATS[f]) for f in FORMATS])
        m = _model([h.make_node("Cast", ["x"], ["c"], to=T.FLOAT8E4M3FN,
                                saturate=1),
                    h.make_node("Cast", ["c"], ["y"], to=T.FLOAT)],
                   [h.make_tensor_value_info("x", T.FLOAT, [len(vals)])],
                   [h.make_tensor_value_info("y", T.FLOAT, [len(vals)])], [],
                   opset)
        y = _run(m, {"x": vals})
        return "runs (exact)" if np.array_equal(y, vals) else \
            f"runs (WRONG)"

    attempt(f"Cast of every FP6/FP4 value to FLOAT8E4M3FN and back "
            f"(opset {opset})", e4m3_cast)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args()
    import onnxruntime
    out = {"onnxruntime": onnxruntime.__version__,
           "exact_in_e4m3": exact_in_e4m3(), "forms": {}}
    for opset in (21, 23):
        out["forms"].update(probe(opset))
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return
    print(f"onnxruntime {out['onnxruntime']}")
    for f, ok in out["exact_in_e4m3"].items():
        print(f"every {f} value exact in FLOAT8E4M3FN: {ok}")
    for k, v in out["forms"].items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
