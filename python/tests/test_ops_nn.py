"""NN op family, op by op: a one-node ONNX model per case runs through
quant-run (importer + Executor) and onnxruntime on the same seeded inputs.

Tolerances: pooling, batch norm and resize do a handful of f32 operations per
output in the same order as onnxruntime, so they match to rtol 1e-5; conv and
conv-transpose sum up to a few hundred products through OpenBLAS, whose
summation order differs from MLAS', so an output of magnitude ~10 may differ
by ~K * 2^-24 * 10 ~ 1e-4 (rtol 1e-4, atol 1e-4). Integer ops are exact.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import assert_no_crash, describe, load_npz, ort_run

RNG_SEED = 1234


def make_model(op, inputs, attrs, out_name="y", opset=19, consts=(),
               out_type=TensorProto.FLOAT, n_outputs=1):
    """inputs: list of (name, array, is_graph_input)."""
    g_inputs, inits, names = [], [], []
    for name, arr, is_input in inputs:
        names.append(name)
        if is_input:
            g_inputs.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(arr.dtype), arr.shape))
        else:
            inits.append(numpy_helper.from_array(arr, name))
    outs = [out_name] + [f"{out_name}_{i}" for i in range(1, n_outputs)]
    node = helper.make_node(op, names, outs, name="n0", **attrs)
    graph = helper.make_graph(
        [node], "g", g_inputs,
        [helper.make_tensor_value_info(o, out_type, None) for o in outs],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def run_quantc(run_tool, tmp, model, feeds):
    """Saves `model` as tmp/m.onnx and runs it on quant-run: (every output
    by name, the model's path)."""
    path = tmp / "m.onnx"
    onnx.save(model, str(path))
    np.savez(tmp / "in.npz", **feeds)
    res = run_tool("quant-run", path, "--inputs", tmp / "in.npz", "--outputs",
                   tmp / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 0, describe(res)
    return load_npz(tmp / "out.npz"), path


def run_both(run_tool, tmp, model, feeds):
    got, path = run_quantc(run_tool, tmp, model, feeds)
    return got["y"], ort_run(path, feeds)["y"]


def rand(*shape, seed=0):
    return np.random.default_rng(RNG_SEED + seed).standard_normal(
        shape).astype(np.float32)


CONV_CASES = [
    # (x shape, w shape, attrs, bias)
    ((2, 3, 9, 9), (4, 3, 3, 3), {}, True),
    ((1, 3, 10, 11), (5, 3, 3, 2), {"strides": [2, 3], "pads": [1, 0, 2, 1]},
     False),
    ((1, 4, 9, 9), (4, 1, 3, 3), {"group": 4, "pads": [1, 1, 1, 1]}, True),
    ((1, 6, 8, 8), (4, 3, 3, 3), {"group": 2, "dilations": [2, 1]}, True),
    ((1, 3, 7, 8), (2, 3, 3, 3), {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
     False),
    ((1, 3, 7, 8), (2, 3, 4, 4), {"auto_pad": "SAME_LOWER"}, False),
    ((1, 3, 7, 8), (2, 3, 3, 3), {"auto_pad": "VALID", "strides": [2, 1]},
     True),
    ((2, 3, 12), (4, 3, 3), {"strides": [2], "pads": [1, 2]}, True),
    ((1, 2, 5, 6, 7), (3, 2, 2, 3, 2), {"pads": [1, 0, 1, 0, 1, 1]}, True),
    ((1, 16, 8, 8), (8, 16, 1, 1), {}, False),  # 1x1: no im2col
    # depthwise with a channel multiplier, strided and dilated (direct path)
    ((2, 3, 9, 10), (6, 1, 3, 3),
     {"group": 3, "strides": [2, 1], "dilations": [1, 2],
      "pads": [1, 2, 0, 1]}, True),
    ((1, 4, 11), (4, 1, 5), {"group": 4, "strides": [3], "pads": [2, 2]},
     False),
]


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv(case, run_tool, tmp):
    xs, ws, attrs, bias = CONV_CASES[case]
    x, w = rand(*xs), rand(*ws, seed=1)
    ins = [("x", x, True), ("w", w, False)]
    if bias:
        ins.append(("b", rand(ws[0], seed=2), False))
    y, ref = run_both(run_tool, tmp, make_model("Conv", ins, attrs),
                      {"x": x})
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


CONVT_CASES = [
    ((1, 3, 4, 5), (3, 2, 3, 3), {}, True),
    ((2, 4, 3, 3), (4, 1, 2, 2), {"strides": [2, 2], "group": 2}, False),
    ((1, 2, 5, 5), (2, 3, 3, 3),
     {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
     True),
    ((1, 2, 4, 4), (2, 2, 3, 3), {"strides": [2, 2], "dilations": [2, 1]},
     False),
    ((1, 2, 4, 4), (2, 2, 3, 3),
     {"strides": [2, 2], "output_shape": [9, 10]}, True),
    ((1, 2, 6), (2, 3, 4), {"strides": [3], "auto_pad": "SAME_UPPER"}, False),
]


@pytest.mark.parametrize("case", range(len(CONVT_CASES)))
def test_conv_transpose(case, run_tool, tmp):
    xs, ws, attrs, bias = CONVT_CASES[case]
    x, w = rand(*xs), rand(*ws, seed=1)
    ins = [("x", x, True), ("w", w, False)]
    if bias:
        ins.append(("b", rand(ws[1] * attrs.get("group", 1), seed=2), False))
    y, ref = run_both(run_tool, tmp, make_model("ConvTranspose", ins, attrs),
                      {"x": x})
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)


POOL_CASES = [
    ("MaxPool", (2, 3, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ("MaxPool", (1, 3, 9, 9),
     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ("MaxPool", (1, 2, 10, 9),
     {"kernel_shape": [3, 2], "strides": [2, 2], "ceil_mode": 1}),
    ("MaxPool", (1, 2, 10, 9),
     {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    ("MaxPool", (1, 2, 7, 7),
     {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ("MaxPool", (1, 2, 11), {"kernel_shape": [3], "strides": [2]}),
    ("AveragePool", (2, 3, 8, 8), {"kernel_shape": [3, 3]}),
    ("AveragePool", (1, 3, 9, 9),
     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ("AveragePool", (1, 3, 9, 9),
     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
      "count_include_pad": 1}),
    ("AveragePool", (1, 2, 10, 9),
     {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    ("AveragePool", (1, 2, 10, 9),
     {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1,
      "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    ("AveragePool", (1, 2, 7, 8),
     {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER"}),
    ("AveragePool", (1, 2, 4, 5, 6), {"kernel_shape": [2, 2, 2]}),
    ("GlobalAveragePool", (2, 5, 7, 6), {}),
    ("GlobalMaxPool", (2, 5, 7, 6), {}),
    ("GlobalAveragePool", (1, 3, 10), {}),
]


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_pool(case, run_tool, tmp):
    op, xs, attrs = POOL_CASES[case]
    x = rand(*xs)
    y, ref = run_both(run_tool, tmp, make_model(op, [("x", x, True)], attrs),
                      {"x": x})
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("opset", [7, 9, 14, 15])
def test_batch_norm(opset, run_tool, tmp):
    x = rand(2, 4, 5, 3)
    var = np.abs(rand(4, seed=4)) + 0.1
    ins = [("x", x, True), ("s", rand(4, seed=1), False),
           ("b", rand(4, seed=2), False), ("m", rand(4, seed=3), False),
           ("v", var, False)]
    y, ref = run_both(run_tool, tmp,
                      make_model("BatchNormalization", ins,
                                 {"epsilon": 1e-3}, opset=opset), {"x": x})
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


RESIZE_CASES = [
    # (opset, x shape, scales or None, sizes or None, attrs)
    (19, (1, 2, 4, 5), [1, 1, 2, 2], None, {"mode": "nearest"}),
    (19, (1, 2, 4, 5), [1, 1, 2, 3], None,
     {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
      "nearest_mode": "floor"}),
    (19, (1, 2, 4, 5), [1, 1, 2, 2], None,
     {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}),
    (19, (1, 2, 4, 5), [1, 1, 1.5, 0.6], None,
     {"mode": "linear", "coordinate_transformation_mode": "align_corners"}),
    (19, (1, 2, 4, 5), None, [1, 2, 7, 3],
     {"mode": "linear",
      "coordinate_transformation_mode": "pytorch_half_pixel"}),
    (13, (1, 2, 4, 5), None, [1, 2, 9, 8],
     {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
      "nearest_mode": "round_prefer_ceil"}),
    (11, (1, 3, 3, 3), [1, 1, 2, 2], None,
     {"mode": "linear", "coordinate_transformation_mode": "asymmetric"}),
    (19, (1, 2, 5, 6), [1, 1, 1.6, 0.7], None, {"mode": "cubic"}),
    (19, (1, 2, 5, 6), None, [1, 2, 9, 4],
     {"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1,
      "coordinate_transformation_mode": "half_pixel_symmetric"}),
    (13, (1, 2, 5, 6), [1, 1, 2, 2], None,
     {"mode": "nearest",
      "coordinate_transformation_mode": "tf_half_pixel_for_nn"}),
    (10, (1, 3, 3, 3), [1, 1, 2, 2], None, {"mode": "nearest"}),
    (10, (1, 3, 3, 3), [1, 1, 2, 3], None, {"mode": "linear"}),
]


@pytest.mark.parametrize("case", range(len(RESIZE_CASES)))
def test_resize(case, run_tool, tmp):
    opset, xs, scales, sizes, attrs = RESIZE_CASES[case]
    x = rand(*xs)
    ins = [("x", x, True)]
    if opset == 10:
        ins.append(("scales", np.array(scales, np.float32), False))
    else:
        ins.append(("roi", np.zeros(0, np.float32), False))
        if scales is not None:
            ins.append(("scales", np.array(scales, np.float32), False))
        else:
            ins.append(("scales", np.zeros(0, np.float32), False))
            ins.append(("sizes", np.array(sizes, np.int64), False))
    y, ref = run_both(run_tool, tmp,
                      make_model("Resize", ins, attrs, opset=opset), {"x": x})
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def q8(shape, dtype, seed):
    rng = np.random.default_rng(RNG_SEED + seed)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


@pytest.mark.parametrize("dtypes", [(np.uint8, np.uint8), (np.uint8, np.int8),
                                    (np.int8, np.int8)])
def test_matmul_integer(dtypes, run_tool, tmp):
    a, b = q8((3, 5, 17), dtypes[0], 1), q8((17, 6), dtypes[1], 2)
    az, bz = np.array(3, dtypes[0]), q8((6,), dtypes[1], 3)
    ins = [("a", a, True), ("b", b, False), ("az", az, False),
           ("bz", bz, False)]
    y, ref = run_both(run_tool, tmp,
                      make_model("MatMulInteger", ins, {}, opset=10,
                                 out_type=TensorProto.INT32), {"a": a})
    exact = ((a.astype(np.int64) - az.astype(np.int64))
             @ (b.astype(np.int64) - bz.astype(np.int64)))
    np.testing.assert_array_equal(y, exact)
    if dtypes != (np.uint8, np.int8):
        # onnxruntime's x86 uint8 x int8 kernel saturates pairs of products
        # in int16 (vpmaddubsw), so it is only compared where it is exact.
        np.testing.assert_array_equal(y, ref)


def test_conv_integer(run_tool, tmp):
    x, w = q8((1, 4, 7, 7), np.uint8, 1), q8((6, 2, 3, 3), np.uint8, 2)
    ins = [("x", x, True), ("w", w, False),
           ("xz", np.array(100, np.uint8), False),
           ("wz", np.array(7, np.uint8), False)]
    attrs = {"group": 2, "pads": [1, 0, 1, 2], "strides": [2, 1]}
    y, ref = run_both(run_tool, tmp,
                      make_model("ConvInteger", ins, attrs, opset=10,
                                 out_type=TensorProto.INT32), {"x": x})
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_qlinear_matmul(dtype, run_tool, tmp):
    a, b = q8((4, 16), dtype, 1), q8((16, 5), dtype, 2)
    f = lambda v: np.array(v, np.float32)
    ins = [("a", a, True), ("as", f(0.02), False), ("az", np.array(3, dtype),
                                                      False),
           ("b", b, False), ("bs", f(0.01), False), ("bz", np.array(-2 if dtype == np.int8 else 130, dtype), False),
           ("ys", f(0.05), False), ("yz", np.array(10, dtype), False)]
    otype = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    y, ref = run_both(run_tool, tmp,
                      make_model("QLinearMatMul", ins, {}, opset=10,
                                 out_type=otype), {"a": a})
    np.testing.assert_array_equal(y.view(dtype), ref)


def test_qlinear_conv(run_tool, tmp):
    # uint8 weights: onnxruntime's uint8 x int8 path saturates in int16 (see
    # test_matmul_integer); int8 weights are covered by the node tests.
    x, w = q8((1, 3, 8, 8), np.uint8, 1), q8((4, 3, 3, 3), np.uint8, 2)
    f = lambda v: np.array(v, np.float32)
    ins = [("x", x, True), ("xs", f(0.03), False),
           ("xz", np.array(120, np.uint8), False), ("w", w, False),
           ("ws", f([0.01, 0.02, 0.005, 0.015]), False),
           ("wz", np.array(128, np.uint8), False), ("ys", f(0.2), False),
           ("yz", np.array(90, np.uint8), False),
           ("b", np.array([100, -50, 0, 2000], np.int32), False)]
    y, ref = run_both(run_tool, tmp,
                      make_model("QLinearConv", ins, {"pads": [1, 1, 1, 1]},
                                 opset=10, out_type=TensorProto.UINT8),
                      {"x": x})
    np.testing.assert_array_equal(y.view(np.uint8), ref)


ERROR_CASES = [
    # The roi is an empty constant here: the crop box is missing.
    ("Resize", {"coordinate_transformation_mode": "tf_crop_and_resize"},
     "tf_crop_and_resize needs the roi input"),
    ("MaxPool", {"kernel_shape": [2, 2], "storage_order": 2},
     "storage_order must be 0 (row-major) or 1 (column-major), got 2"),
    # Running statistics exist only in training mode.
    ("BatchNormalization", {"training_mode": 0},
     "output 1 ('y_1') is only computed in training mode"),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_unsupported_is_a_clear_error(case, run_tool, tmp):
    op, attrs, msg = ERROR_CASES[case]
    x = rand(1, 2, 4, 4)
    if op == "Resize":
        m = make_model(op, [("x", x, True), ("roi", np.zeros(0, np.float32),
                                             False),
                            ("scales", np.array([1, 1, 2, 2], np.float32),
                             False)], attrs)
    elif op == "MaxPool":
        m = make_model(op, [("x", x, True)], attrs, n_outputs=2)
    else:
        c = np.ones(2, np.float32)
        m = make_model(op, [("x", x, True)] + [(k, c, False)
                                               for k in "sbmv"], attrs,
                       opset=15, n_outputs=2)
    onnx.save(m, str(tmp / "m.onnx"))
    np.savez(tmp / "in.npz", x=x)
    res = run_tool("quant-run", tmp / "m.onnx", "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    assert "node #0 'n0'" in res.stderr and msg in res.stderr, describe(res)
    assert not (tmp / "out.npz").exists()


@pytest.mark.parametrize("opset,mode", [(7, "nearest"), (9, "nearest"),
                                        (9, "linear")])
def test_upsample(opset, mode, run_tool, tmp):
    x = rand(1, 2, 3, 4)
    scales = [1.0, 1.0, 2.0, 3.0]
    if opset == 7:
        m = make_model("Upsample", [("x", x, True)],
                       {"mode": mode, "scales": scales}, opset=opset)
    else:
        m = make_model("Upsample", [("x", x, True),
                                    ("s", np.array(scales, np.float32),
                                     False)], {"mode": mode}, opset=opset)
    y, ref = run_both(run_tool, tmp, m, {"x": x})
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_max_pool_8bit(dtype, run_tool, tmp):
    x = q8((2, 3, 9, 9), dtype, 5)
    m = make_model("MaxPool", [("x", x, True)],
                   {"kernel_shape": [3, 3], "strides": [2, 2],
                    "pads": [1, 1, 1, 1]}, opset=12,
                   out_type=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))
    y, ref = run_both(run_tool, tmp, m, {"x": x})
    np.testing.assert_array_equal(y.view(dtype), ref)


def test_runtime_shape_mismatch_is_an_error(run_tool, tmp):
    # Dynamic channels let a wrong-sized input through the verifier; the
    # Executor must refuse it rather than read past the parameters.
    (tmp / "bn.mlir").write_text("""
func.func @main(%x: tensor<1x?x4xf32> {qc.name = "x"}) -> (tensor<1x?x4xf32> {qc.name = "y"}) {
  %c = arith.constant dense<1.0> : tensor<3xf32>
  %0 = qc.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x?x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x?x4xf32>
  return %0 : tensor<1x?x4xf32>
}
""")
    np.savez(tmp / "in.npz", x=rand(1, 5, 4))
    res = run_tool("quant-run", tmp / "bn.mlir", "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    assert "input has 5 channels, scale/bias/mean/var have 3 values" \
        in res.stderr, describe(res)
    assert not (tmp / "out.npz").exists()


# LSTM (N16): (id, direction, seq, batch, input, hidden, options); options:
# bias, lens (sequence_lens, int32), init (initial_h/c), peep (peepholes),
# clip, forget (input_forget), layout, acts (activations with alpha/beta),
# outs (which of Y, Y_h, Y_c the node names).
LSTM_CASES = [
    ("defaults", "forward", 5, 3, 4, 6, {}),
    ("bias_init", "forward", 4, 2, 3, 5, {"bias": 1, "init": 1}),
    ("reverse_lens", "reverse", 6, 3, 4, 5,
     {"bias": 1, "lens": [6, 2, 0], "init": 1}),
    ("bidirectional_lens", "bidirectional", 5, 3, 2, 4,
     {"bias": 1, "lens": [3, 5, 1], "init": 1, "peep": 1}),
    ("peepholes_clip", "forward", 7, 2, 3, 4,
     {"bias": 1, "peep": 1, "clip": 0.7}),
    ("input_forget", "forward", 4, 2, 3, 4, {"bias": 1, "forget": 1}),
    ("layout1", "bidirectional", 4, 3, 5, 2,
     {"bias": 1, "init": 1, "layout": 1}),
    ("activations", "forward", 5, 2, 3, 4,
     {"bias": 1, "acts": (["HardSigmoid", "LeakyRelu", "ScaledTanh"],
                          [0.3, 0.05, 0.9], [0.45, 1.3])}),
    ("only_y_h", "forward", 3, 2, 3, 4, {"outs": ["", "h"]}),
]


def lstm_model(direction, seq, batch, inp, hidden, o, seed=0):
    rng = np.random.default_rng(RNG_SEED + seed)
    d = 2 if direction == "bidirectional" else 1
    layout = o.get("layout", 0)
    xs = (batch, seq, inp) if layout else (seq, batch, inp)
    f = lambda *s: (rng.standard_normal(s) * 0.6).astype(np.float32)
    feeds = {"x": f(*xs)}
    inits = [numpy_helper.from_array(f(d, 4 * hidden, inp), "w"),
             numpy_helper.from_array(f(d, 4 * hidden, hidden), "r")]
    names = ["x", "w", "r", "", "", "", "", ""]
    if o.get("bias"):
        inits.append(numpy_helper.from_array(f(d, 8 * hidden), "b"))
        names[3] = "b"
    if "lens" in o:
        feeds["lens"] = np.array(o["lens"], np.int32)
        names[4] = "lens"
    if o.get("init"):
        hs = (batch, d, hidden) if layout else (d, batch, hidden)
        feeds["h0"], feeds["c0"] = f(*hs), f(*hs)
        names[5], names[6] = "h0", "c0"
    if o.get("peep"):
        inits.append(numpy_helper.from_array(f(d, 3 * hidden), "p"))
        names[7] = "p"
    while not names[-1]:
        names.pop()
    attrs = {"hidden_size": hidden, "direction": direction}
    if layout:
        attrs["layout"] = 1
    if "clip" in o:
        attrs["clip"] = o["clip"]
    if o.get("forget"):
        attrs["input_forget"] = 1
    if "acts" in o:
        acts, alpha, beta = o["acts"]
        attrs.update(activations=acts, activation_alpha=alpha,
                     activation_beta=beta)
    outs = o.get("outs", ["y", "h", "c"])
    node = helper.make_node("LSTM", names, outs, name="lstm", **attrs)
    g_in = [helper.make_tensor_value_info(
        k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
        for k, v in feeds.items()]
    g_out = [helper.make_tensor_value_info(k, TensorProto.FLOAT, None)
             for k in outs if k]
    m = helper.make_model(
        helper.make_graph([node], "g", g_in, g_out, initializer=inits),
        opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 9
    return m, feeds


@pytest.mark.parametrize("case", LSTM_CASES, ids=[c[0] for c in LSTM_CASES])
def test_lstm_matches_onnxruntime(case, run_tool, tmp):
    """qc.lstm (N16) against onnxruntime's LSTM: every direction, sequence
    lengths (a zero one included: Y, Y_h and Y_c are 0 there),
    initial states, peepholes, clip, input_forget, layout 1, other
    activations with their alpha/beta, and a node naming only Y_h.
    Tolerance: the Executor's gates use the C library's exp/tanh, ORT's
    MLAS its own approximations (a few ulp per gate), carried through the
    recurrence: measured at most 1e-6 here; 1e-5 absolute catches a wrong
    gate order, bias or step (errors of 1e-2 and up)."""
    _, direction, seq, batch, inp, hidden, o = case
    m, feeds = lstm_model(direction, seq, batch, inp, hidden, o)
    got, path = run_quantc(run_tool, tmp, m, feeds)
    if o.get("layout"):
        # ONNX Runtime has no layout 1: the same LSTM in layout 0 there,
        # its results transposed back.
        m0, _ = lstm_model(direction, seq, batch, inp, hidden,
                           {k: v for k, v in o.items() if k != "layout"})
        onnx.save(m0, str(tmp / "m0.onnx"))
        ref = ort_run(tmp / "m0.onnx", {
            k: v.transpose(1, 0, 2) if k in ("x", "h0", "c0") else v
            for k, v in feeds.items()})
        ref = {"y": ref["y"].transpose(2, 0, 1, 3),
               "h": ref["h"].transpose(1, 0, 2),
               "c": ref["c"].transpose(1, 0, 2)}
    else:
        ref = ort_run(path, feeds)
    assert sorted(got) == sorted(ref)
    for k in ref:
        assert got[k].shape == ref[k].shape, k
        np.testing.assert_allclose(got[k], ref[k], rtol=0, atol=1e-5,
                                   err_msg=k)
    if "lens" in o and 0 in o["lens"]:
        b = o["lens"].index(0)  # nothing run: zero outputs and states
        assert not got["y"][:, :, b].any() and not got["h"][:, b].any()


@pytest.mark.parametrize("attrs,message", [
    ({"direction": "sideways"},
     "direction 'sideways' is not forward, reverse or bidirectional"),
    ({"activations": ["Sigmoid", "Tanh", "Swish"]},
     "activation 'Swish' is not one of ONNX's recurrent activations"),
    ({"activations": ["Sigmoid", "Tanh"]},
     "expects 3 activations (3 per direction), got 2"),
    ({"hidden_size": 5}, "w has shape 1x16x3, expected 1x20x3"),
])
def test_bad_lstm_is_a_clear_error(attrs, message, run_tool, tmp):
    """An LSTM the importer cannot build: the node's error, exit 1."""
    m, feeds = lstm_model("forward", 3, 2, 3, 4, {})
    node = m.graph.node[0]
    for k, v in attrs.items():
        kept = [a for a in node.attribute if a.name != k]
        del node.attribute[:]
        node.attribute.extend(kept + [helper.make_attribute(k, v)])
    onnx.save(m, str(tmp / "m.onnx"))
    res = run_tool("quant-translate", "--import-onnx", tmp / "m.onnx", "-o",
                   tmp / "m.mlir")
    assert_no_crash(res)
    assert res.returncode == 1
    assert message in res.stderr, res.stderr
    assert "LSTM" in res.stderr
    assert not (tmp / "m.mlir").exists()


def test_bidirectional_lstm_names_both_directions(run_tool, tmp):
    """A bidirectional LSTM's activations list names each direction's three
    (ONNX Runtime rejects three); the default serves both."""
    m, _ = lstm_model("bidirectional", 3, 2, 3, 4, {})
    m.graph.node[0].attribute.append(
        helper.make_attribute("activations", ["Sigmoid", "Tanh", "Tanh"]))
    onnx.save(m, str(tmp / "m.onnx"))
    res = run_tool("quant-translate", "--import-onnx", tmp / "m.onnx")
    assert_no_crash(res)
    assert res.returncode == 1
    assert "expects 6 activations (3 per direction), got 3" in res.stderr


def test_lstm_sequence_lens_are_checked(run_tool, tmp):
    """Sequence lengths are read at run time: one above the sequence is a
    clear error, not a read past the input."""
    m, feeds = lstm_model("forward", 3, 2, 3, 4, {"lens": [3, 4]})
    onnx.save(m, str(tmp / "m.onnx"))
    np.savez(tmp / "in.npz", **feeds)
    res = run_tool("quant-run", tmp / "m.onnx", "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1
    assert "sequence_lens[1] = 4 is outside [0, 3]" in res.stderr
    assert not (tmp / "out.npz").exists()


# GRU and RNN (N16): (id, op, direction, seq, batch, input, hidden,
# options as for LSTM, plus lbr: GRU's linear_before_reset).
GRU_RNN_CASES = [
    ("gru_defaults", "GRU", "forward", 5, 3, 4, 6, {}),
    ("gru_lbr_bias_init", "GRU", "forward", 4, 2, 3, 5,
     {"bias": 1, "init": 1, "lbr": 1}),
    ("gru_reverse_lens", "GRU", "reverse", 6, 3, 4, 5,
     {"bias": 1, "lens": [6, 2, 0], "init": 1}),
    ("gru_bidirectional_clip", "GRU", "bidirectional", 5, 3, 2, 4,
     {"bias": 1, "lens": [3, 5, 1], "init": 1, "clip": 0.8}),
    ("gru_activations", "GRU", "forward", 4, 2, 3, 4,
     {"bias": 1, "acts": (["HardSigmoid", "Softsign"], [0.3], [0.4])}),
    # Alpha and beta left out: ONNX Runtime's defaults (ScaledTanh 0, 0).
    ("gru_default_alpha", "GRU", "forward", 4, 2, 3, 4,
     {"bias": 1, "acts": (["HardSigmoid", "ScaledTanh"], [], [])}),
    ("rnn_defaults", "RNN", "forward", 5, 3, 4, 6, {}),
    # (No zero length for RNN: ONNX Runtime 1.23's Y_h is NaN there.)
    ("rnn_bidirectional_lens", "RNN", "bidirectional", 5, 3, 2, 4,
     {"bias": 1, "lens": [3, 5, 1], "init": 1}),
    ("rnn_relu", "RNN", "reverse", 4, 2, 3, 4,
     {"bias": 1, "acts": (["Relu"], [], [])}),
]


@pytest.mark.parametrize("case", GRU_RNN_CASES,
                         ids=[c[0] for c in GRU_RNN_CASES])
def test_gru_and_rnn_match_onnxruntime(case, run_tool, tmp):
    """qc.gru and qc.rnn (N16) against onnxruntime: directions, sequence
    lengths (a zero one included), initial state, GRU's
    linear_before_reset, clip and other activations. Tolerance as for
    LSTM (measured at most 1e-6)."""
    _, kind, direction, seq, batch, inp, hidden, o = case
    gates = 3 if kind == "GRU" else 1
    rng = np.random.default_rng(RNG_SEED)
    d = 2 if direction == "bidirectional" else 1
    f = lambda *s: (rng.standard_normal(s) * 0.6).astype(np.float32)
    feeds = {"x": f(seq, batch, inp)}
    inits = [numpy_helper.from_array(f(d, gates * hidden, inp), "w"),
             numpy_helper.from_array(f(d, gates * hidden, hidden), "r")]
    names = ["x", "w", "r", "", "", ""]
    if o.get("bias"):
        inits.append(numpy_helper.from_array(f(d, 2 * gates * hidden), "b"))
        names[3] = "b"
    if "lens" in o:
        feeds["lens"] = np.array(o["lens"], np.int32)
        names[4] = "lens"
    if o.get("init"):
        feeds["h0"] = f(d, batch, hidden)
        names[5] = "h0"
    while not names[-1]:
        names.pop()
    attrs = {"hidden_size": hidden, "direction": direction}
    if "clip" in o:
        attrs["clip"] = o["clip"]
    if o.get("lbr"):
        attrs["linear_before_reset"] = 1
    if "acts" in o:
        acts, alpha, beta = o["acts"]
        attrs["activations"] = acts
        if alpha:
            attrs["activation_alpha"] = alpha
        if beta:
            attrs["activation_beta"] = beta
    node = helper.make_node(kind, names, ["y", "h"], name="n", **attrs)
    g_in = [helper.make_tensor_value_info(
        k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
        for k, v in feeds.items()]
    g_out = [helper.make_tensor_value_info(k, TensorProto.FLOAT, None)
             for k in ("y", "h")]
    m = helper.make_model(
        helper.make_graph([node], "g", g_in, g_out, initializer=inits),
        opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 9
    got, path = run_quantc(run_tool, tmp, m, feeds)
    ref = ort_run(path, feeds)
    for k in ref:
        assert got[k].shape == ref[k].shape, k
        np.testing.assert_allclose(got[k], ref[k], rtol=0, atol=1e-5,
                                   err_msg=k)
