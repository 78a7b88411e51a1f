#!/usr/bin/env python3
"""Writes a small deterministic float CNN in ONNX and its data sets.

    make_cnn.py --out-dir DIR [--check]

writes DIR/cnn.onnx, DIR/calib.npz and DIR/test.npz from fixed numpy seeds
(byte-identical on every run; files are rewritten only when they change).

The model (opset 17), input x [batch, 3, 32, 32], ~0.1 MB of weights:

    stem:  Conv 3->32 3x3 pad 1, BatchNormalization, Relu   -> 32x32x32
    pool:  MaxPool 2x2 stride 2                             -> 32x16x16
    dw:    Conv 3x3 pad 1 group 32 (depthwise), BN, Relu     -> 32x16x16
    pw:    Conv 1x1 32->64, BN, Relu                         -> 64x16x16
    down:  Conv 3x3 stride 2 pad 1 64->64 (bias), BN, Relu   -> 64x8x8
    avg:   AveragePool 3x3 pad 1 (count_include_pad=0)       -> 64x8x8
    gap:   GlobalAveragePool, Flatten                        -> 64
    head:  Gemm 64->10 (transB=1)                            -> logits [batch, 10]

It covers the conv forms of mobile CNNs (dense, depthwise, pointwise,
strided), inference batch norm after each conv, both pools and a Gemm head.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gen_util import npz_bytes, write_if_changed  # noqa: E402

OPSET = 17
CLASSES = 10
IN_SHAPE = (3, 32, 32)
CALIB_SAMPLES = 16
TEST_SAMPLES = 8
MODEL_SEED = 20241123
CALIB_SEED = 1
TEST_SEED = 2


def _inputs(seed, n):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *IN_SHAPE)).astype(np.float32)


def build_model():
    rng = np.random.default_rng(MODEL_SEED)
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
        return name

    def conv_bn_relu(name, x, cin, cout, k, stride=1, group=1, bias=False):
        fan_in = cin // group * k * k
        w = rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(
            2.0 / fan_in)
        ins = [x, const(f"{name}.weight", w)]
        if bias:
            ins.append(const(f"{name}.bias", 0.1 * rng.standard_normal(cout)))
        nodes.append(helper.make_node(
            "Conv", ins, [f"{name}.conv"], name=f"{name}.conv",
            kernel_shape=[k, k], strides=[stride, stride],
            pads=[k // 2] * 4, group=group))
        # Statistics of a trained net: scale ~1, var ~1, small shifts.
        bn = [const(f"{name}.bn.scale", 1 + 0.2 * rng.standard_normal(cout)),
              const(f"{name}.bn.bias", 0.1 * rng.standard_normal(cout)),
              const(f"{name}.bn.mean", 0.1 * rng.standard_normal(cout)),
              const(f"{name}.bn.var", rng.uniform(0.5, 1.5, cout))]
        nodes.append(helper.make_node(
            "BatchNormalization", [f"{name}.conv", *bn], [f"{name}.bn"],
            name=f"{name}.bn", epsilon=1e-5))
        nodes.append(helper.make_node("Relu", [f"{name}.bn"], [f"{name}.out"],
                                      name=f"{name}.relu"))
        return f"{name}.out"

    y = conv_bn_relu("stem", "x", 3, 32, 3)
    nodes.append(helper.make_node("MaxPool", [y], ["pool.out"], name="pool",
                                  kernel_shape=[2, 2], strides=[2, 2]))
    y = conv_bn_relu("dw", "pool.out", 32, 32, 3, group=32)
    y = conv_bn_relu("pw", y, 32, 64, 1)
    y = conv_bn_relu("down", y, 64, 64, 3, stride=2, bias=True)
    nodes.append(helper.make_node("AveragePool", [y], ["avg.out"], name="avg",
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("GlobalAveragePool", ["avg.out"],
                                  ["gap.out"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap.out"], ["flat.out"],
                                  name="flat", axis=1))
    w = rng.standard_normal((CLASSES, 64)) / 8.0
    nodes.append(helper.make_node(
        "Gemm", ["flat.out", const("head.weight", w),
                 const("head.bias", 0.1 * rng.standard_normal(CLASSES))],
        ["logits"], name="head", transB=1))
    graph = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", *IN_SHAPE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", CLASSES])],
        initializer=inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="quantc-examples", producer_version="1")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def generate(out_dir):
    """Writes cnn.onnx, calib.npz, test.npz into out_dir; returns paths."""
    os.makedirs(out_dir, exist_ok=True)
    files = {
        "model": (os.path.join(out_dir, "cnn.onnx"),
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
    p.add_argument("--out-dir", required=True)
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
