#!/usr/bin/env python3
"""Writes the bundled example: a small float MLP in ONNX and its data sets.

    make_mlp.py --out-dir DIR

writes DIR/mlp.onnx, DIR/calib.npz (calibration inputs) and DIR/test.npz
(held-out inputs). Everything is drawn from fixed numpy seeds, so the files
are byte-identical on every run; a file is rewritten only when its content
differs, so `make` stays quiet and timestamps stay put.

The model (opset 17), with a symbolic batch dimension named "batch":

    x [batch, 64]
      fc1: MatMul 64x128, fc1_bias: Add b1, relu1: Relu
      fc2: Gemm 128->128 (transB=1, bias C), relu2: Relu
      fc3: MatMul 128x10, fc3_bias: Add b3
    -> logits [batch, 10]

It covers both GEMM spellings the importer must handle (MatMul + Add, and
Gemm with transB and a bias) and gives quant-compile three layers to
quantize.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gen_util import npz_bytes, write_if_changed  # noqa: E402

IN_FEATURES = 64
HIDDEN = 128
CLASSES = 10
CALIB_SAMPLES = 32
TEST_SAMPLES = 256
OPSET = 17

MODEL_SEED = 20240601
CALIB_SEED = 1
TEST_SEED = 2


def _inputs(seed, n):
    # Standard-normal features, as after the usual input normalisation.
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, IN_FEATURES)).astype(np.float32)


def build_model():
    """Returns the ModelProto. Weights look like a trained net's: roughly
    Gaussian with std 1/sqrt(fan_in)·gain and a few larger-magnitude
    entries (a Student-t tail), which is what makes per-block scales matter."""
    rng = np.random.default_rng(MODEL_SEED)

    def weight(k, n, gain):
        w = rng.standard_t(df=5, size=(k, n)) * np.sqrt(3.0 / 5.0)  # unit var
        return (w * gain / np.sqrt(k)).astype(np.float32)

    def bias(n):
        return (0.1 * rng.standard_normal(n)).astype(np.float32)

    w1 = weight(IN_FEATURES, HIDDEN, np.sqrt(2.0))  # [K, N] for MatMul
    b1 = bias(HIDDEN)
    w2 = weight(HIDDEN, HIDDEN, np.sqrt(2.0)).T.copy()  # [N, K]: Gemm transB=1
    b2 = bias(HIDDEN)
    w3 = weight(HIDDEN, CLASSES, 1.0)
    b3 = bias(CLASSES)

    inits = [
        numpy_helper.from_array(w1, "fc1.weight"),
        numpy_helper.from_array(b1, "fc1.bias"),
        numpy_helper.from_array(w2, "fc2.weight"),
        numpy_helper.from_array(b2, "fc2.bias"),
        numpy_helper.from_array(w3, "fc3.weight"),
        numpy_helper.from_array(b3, "fc3.bias"),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "fc1.weight"], ["fc1.mm"], name="fc1"),
        helper.make_node("Add", ["fc1.mm", "fc1.bias"], ["fc1.out"],
                         name="fc1_bias"),
        helper.make_node("Relu", ["fc1.out"], ["relu1.out"], name="relu1"),
        helper.make_node("Gemm", ["relu1.out", "fc2.weight", "fc2.bias"],
                         ["fc2.out"], name="fc2", transB=1),
        helper.make_node("Relu", ["fc2.out"], ["relu2.out"], name="relu2"),
        helper.make_node("MatMul", ["relu2.out", "fc3.weight"], ["fc3.mm"],
                         name="fc3"),
        helper.make_node("Add", ["fc3.mm", "fc3.bias"], ["logits"],
                         name="fc3_bias"),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", IN_FEATURES])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", CLASSES])],
        initializer=inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="quantc-examples", producer_version="1")
    model.ir_version = 8  # opset 17 needs IR >= 8; keeps older runtimes happy
    onnx.checker.check_model(model, full_check=True)
    return model


def generate(out_dir):
    """Writes the three files into out_dir; returns their paths as a dict."""
    os.makedirs(out_dir, exist_ok=True)
    files = {
        "model": (os.path.join(out_dir, "mlp.onnx"),
                  build_model().SerializeToString()),
        "calib": (os.path.join(out_dir, "calib.npz"),
                  npz_bytes(x=_inputs(CALIB_SEED, CALIB_SAMPLES))),
        "test": (os.path.join(out_dir, "test.npz"),
                 npz_bytes(x=_inputs(TEST_SEED, TEST_SAMPLES))),
    }
    for path, data in files.values():
        write_if_changed(path, data)
    return {k: v[0] for k, v in files.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", required=True,
                   help="directory for mlp.onnx, calib.npz, test.npz")
    p.add_argument("--check", action="store_true",
                   help="also run the model with onnxruntime")
    args = p.parse_args(argv)
    paths = generate(args.out_dir)
    if args.check:
        import onnxruntime as ort
        sess = ort.InferenceSession(paths["model"],
                                    providers=["CPUExecutionProvider"])
        x = np.load(paths["test"])["x"]
        (y,) = sess.run(["logits"], {"x": x})
        assert y.shape == (x.shape[0], CLASSES) and np.isfinite(y).all()
        print(f"onnxruntime: logits {y.shape}, |y|max {np.abs(y).max():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
