"""Shape family (docs/Ops-shape.md): per-op ONNX models vs onnxruntime,
a transformer-style shape chain with a symbolic batch run at two batch
sizes, and the ONNX backend node tests of Debian's libonnx-testdata for
these ops.

Every op here only moves elements or computes int64 shape values, so
results are compared bit-exactly (np.array_equal), never with a tolerance.
"""
import importlib.util
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import REPO_ROOT, assert_no_crash, load_npz, ort_run

F, I64 = TensorProto.FLOAT, TensorProto.INT64
NODE_TESTS = Path("/usr/share/libonnx-testdata/data/node")


def _load_models():
    path = REPO_ROOT / "test" / "Import" / "Onnx" / "Inputs" / "make_shape_models.py"
    spec = importlib.util.spec_from_file_location("make_shape_models", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


shape_models = _load_models()


def _model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def _ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def _run_both(check_ok, tmp_path, model, feeds, *extra):
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "in.npz", **feeds)
    check_ok("quant-run", path, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz", *extra)
    got = load_npz(tmp_path / "out.npz")
    ref = ort_run(path, feeds)
    assert set(got) == set(ref)
    for k in ref:
        assert got[k].shape == ref[k].shape, k
        assert np.array_equal(got[k], ref[k].astype(got[k].dtype)), k
    return got


RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
n = helper.make_node

# (id, nodes, inputs, outputs, initializers, feeds, opset)
CASES = [
    ("gather_axis1_negative",
     [n("Gather", ["x", "i"], ["y"], axis=1)],
     [_vi("x", [3, 4, 5])], [_vi("y", None)], [_ints("i", [[-1, 0], [2, -3]])],
     {"x": X}, 13),
    ("gather_runtime_int64_indices",
     [n("Gather", ["x", "i"], ["y"], axis=-1)],
     [_vi("x", [3, 4, 5]), _vi("i", [3], I64)], [_vi("y", None)], [],
     {"x": X, "i": np.array([4, -5, 2], np.int64)}, 13),
    ("gather_elements",
     [n("GatherElements", ["x", "i"], ["y"], axis=2)],
     [_vi("x", [3, 4, 5])], [_vi("y", None)],
     [_ints("i", RNG.integers(-5, 5, (3, 4, 2)))], {"x": X}, 13),
    ("concat_neg_axis",
     [n("Concat", ["x", "x", "x"], ["y"], axis=-2)],
     [_vi("x", [3, 4, 5])], [_vi("y", None)], [], {"x": X}, 13),
    ("split_num_outputs_uneven",
     [n("Split", ["x"], ["a", "b"], axis=2, num_outputs=2)],
     [_vi("x", [3, 4, 5])], [_vi("a", None), _vi("b", None)], [], {"x": X}, 18),
    ("split_attr_opset11",
     [n("Split", ["x"], ["a", "b", "c"], axis=1, split=[1, 2, 1])],
     [_vi("x", [3, 4, 5])], [_vi(k, None) for k in "abc"], [], {"x": X}, 11),
    ("slice_neg_steps_clamped",
     [n("Slice", ["x", "s", "e", "a", "st"], ["y"])],
     [_vi("x", [3, 4, 5])], [_vi("y", None)],
     [_ints("s", [100, -1]), _ints("e", [-100, 0]), _ints("a", [2, -2]),
      _ints("st", [-2, -1])], {"x": X}, 13),
    ("slice_attrs_opset9",
     [n("Slice", ["x"], ["y"], starts=[1, -3], ends=[1000, -1], axes=[0, 2])],
     [_vi("x", [3, 4, 5])], [_vi("y", None)], [], {"x": X}, 9),
    ("squeeze_unsqueeze_opset11",
     [n("Unsqueeze", ["x"], ["u"], axes=[0, -1]),
      n("Squeeze", ["u"], ["y"], axes=[0])],
     [_vi("x", [3, 4, 5])], [_vi("y", None)], [], {"x": X}, 11),
    ("shape_start_end",
     [n("Shape", ["x"], ["y"], start=-2, end=10)],
     [_vi("x", [3, 4, 5])], [_vi("y", None, I64)], [], {"x": X}, 15),
    ("expand_runtime_shape",
     [n("Expand", ["x", "s"], ["y"])],
     [_vi("x", [3, 1, 5]), _vi("s", [4], I64)], [_vi("y", None)], [],
     {"x": X[:, :1, :], "s": np.array([2, 1, 6, 1], np.int64)}, 13),
    ("tile",
     [n("Tile", ["x", "r"], ["y"])],
     [_vi("x", [3, 4, 5])], [_vi("y", None)], [_ints("r", [2, 1, 3])],
     {"x": X}, 13),
    ("range_float",
     [n("Range", ["a", "b", "d"], ["y"])],
     [_vi("a", []), _vi("b", []), _vi("d", [])], [_vi("y", None)], [],
     {"a": np.array(0.1, np.float32), "b": np.array(7.3, np.float32), "d": np.array(0.7, np.float32)}, 11),
    ("range_int64_runtime",
     [n("Range", ["a", "b", "d"], ["y"])],
     [_vi("a", [], I64), _vi("b", [], I64), _vi("d", [], I64)],
     [_vi("y", None, I64)], [],
     {"a": np.array(10, np.int64), "b": np.array(-3, np.int64), "d": np.array(-4, np.int64)}, 11),
    ("constant_of_shape_int",
     [n("ConstantOfShape", ["s"], ["y"],
        value=helper.make_tensor("v", I64, [1], [7]))],
     [_vi("s", [2], I64)], [_vi("y", None, I64)], [],
     {"s": np.array([2, 3], np.int64)}, 20),
    ("reshape_runtime_shape",
     [n("Reshape", ["x", "s"], ["y"])],
     [_vi("x", [3, 4, 5]), _vi("s", [3], I64)], [_vi("y", None)], [],
     {"x": X, "s": np.array([0, -1, 2], np.int64)}, 14),
    ("flatten_dynamic_both_sides",
     [n("Flatten", ["x"], ["y"], axis=2)],
     [_vi("x", ["a", 4, "c", 5])], [_vi("y", None)], [],
     {"x": RNG.standard_normal((2, 4, 3, 5)).astype(np.float32)}, 13),
    ("slice_empty_dim_negative_step",
     [n("Slice", ["x", "s", "e", "a", "st"], ["y"])],
     [_vi("x", [3, 0, 5])], [_vi("y", None)],
     [_ints("s", [-1]), _ints("e", [-100]), _ints("a", [1]), _ints("st", [-1])],
     {"x": np.zeros((3, 0, 5), np.float32)}, 13),
    ("size_dynamic",
     [n("Size", ["x"], ["y"])],
     [_vi("x", ["b", 4, 5])], [_vi("y", None, I64)], [], {"x": X}, 13),
    ("int64_data_movement",
     [n("Shape", ["x"], ["s"]), n("Concat", ["s", "s"], ["c"], axis=0),
      n("Slice", ["c", "one", "five"], ["y"])],
     [_vi("x", ["b", 4, 5])], [_vi("y", None, I64)],
     [_ints("one", [1]), _ints("five", [5])], {"x": X}, 13),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_op_matches_onnxruntime(case, tmp_path, check_ok):
    _, nodes, inputs, outputs, inits, feeds, opset = case
    _run_both(check_ok, tmp_path, _model(nodes, inputs, outputs, inits, opset),
              feeds)


@pytest.mark.parametrize("batch", [1, 5])
def test_shape_chain_symbolic_batch(batch, tmp_path, check_ok, run_tool):
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape with a symbolic
    batch: Shape stays a runtime op (checked in the IR; it is an output)
    and the Executor evaluates it at each batch size. The target shapes are
    the input's own batch dim and constants, so the Reshapes are qc.reshape
    copying that dim (F6)."""
    m = shape_models.shape_chain()
    x = RNG.standard_normal((batch, 4, 6)).astype(np.float32)
    got = _run_both(check_ok, tmp_path, m, {"x": x})
    assert got["y"].shape == (batch, 24)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx").stdout
    assert "qc.shape" in ir and "qc.dynamic_reshape" not in ir
    assert "qc.reshape %arg0 {shape = array<i64: 0, -1>}" in ir, ir


@pytest.mark.parametrize("batch", [1, 3])
def test_reshape_to_own_dims_through_casts(batch, tmp_path, check_ok):
    """Paddle's flatten around a free batch, Reshape(x, Concat(Cast(
    Shape(x))[0:2], [-1])), and torch's Shape(x)[0] with constants: plain
    qc.reshape with static trailing dims, equal to ONNX Runtime. A target
    that takes another tensor's dim stays qc.dynamic_reshape."""
    I32 = onnx.TensorProto.INT32
    nodes = [n("Shape", ["x"], ["s"]), n("Cast", ["s"], ["s32"], to=I32),
             n("Slice", ["s32", "zero", "two"], ["lead"]),
             n("Cast", ["lead"], ["lead64"], to=I64),
             n("Concat", ["lead64", "minus1"], ["t"], axis=0),
             n("Reshape", ["x", "t"], ["y"]),
             n("Shape", ["z"], ["sz"]),
             n("Slice", ["sz", "zero", "one"], ["zb"]),
             n("Concat", ["zb", "minus1"], ["tz"], axis=0),
             n("Reshape", ["x", "tz"], ["w"])]
    m = _model(nodes, [_vi("x", ["b", 5, 1, 4]), _vi("z", ["c", 2])],
               [_vi("y", None), _vi("w", None)],
               [_ints("zero", [0]), _ints("one", [1]), _ints("two", [2]),
                _ints("minus1", [-1])], 13)
    feeds = {"x": RNG.standard_normal((batch, 5, 1, 4)).astype(np.float32),
             "z": np.zeros((batch, 2), np.float32)}
    got = _run_both(check_ok, tmp_path, m, feeds)
    assert got["y"].shape == (batch, 5, 4)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx").stdout
    assert "qc.reshape %arg0 {shape = array<i64: 0, 5, -1>} : " \
        "(tensor<?x5x1x4xf32>) -> tensor<?x5x4xf32>" in ir, ir
    assert ir.count("qc.dynamic_reshape") == 1, ir


def _batch_then_minus1(src, out):
    """[Shape(src)[0], -1] as `out`, the way torch exports a flatten
    around the batch: Shape, Gather, Unsqueeze, Concat (inputs in
    _BATCH_INITS)."""
    return [n("Shape", [src], [f"{out}_s"]),
            n("Gather", [f"{out}_s", "zero0"], [f"{out}_n"], axis=0),
            n("Unsqueeze", [f"{out}_n", "zero"], [f"{out}_n1"]),
            n("Concat", [f"{out}_n1", "minus1"], [out], axis=0)]


_BATCH_INITS = [_ints("zero", [0]), _ints("minus1", [-1]),
                onnx.numpy_helper.from_array(np.array(0, np.int64), "zero0")]


@pytest.mark.parametrize("batch", [1, 3])
def test_reshape_to_the_batch_of_a_sibling(batch, tmp_path, check_ok):
    """Ultralytics' YOLO head reshapes each branch to Shape(first
    branch)[0] (the batch of another tensor): where both batches trace
    back to the same input dimension (through elementwise ops, concat
    and slice along another axis, transpose, broadcasting with a static
    1), the Reshape is a plain qc.reshape copying its own batch; a batch
    that broadcasting may change stays qc.dynamic_reshape."""
    nodes = [n("Relu", ["x"], ["a"]),
             n("Concat", ["a", "x"], ["b"], axis=1),
             n("Transpose", ["b"], ["c"], perm=[0, 2, 1]),
             n("Add", ["c", "bias"], ["d"]),  # bias [1, 6, 1]: keeps N
             *_batch_then_minus1("x", "t"),
             n("Reshape", ["d", "t"], ["y"]),
             n("Add", ["x", "w"], ["e"]),  # w [M, 1, 1]: N may broadcast
             n("Reshape", ["e", "t"], ["z"])]
    m = _model(nodes, [_vi("x", ["N", 4, 6]), _vi("w", ["M", 1, 1])],
               [_vi("y", None), _vi("z", None)],
               [*_BATCH_INITS,
                onnx.numpy_helper.from_array(
                    np.arange(6, dtype=np.float32).reshape(1, 6, 1),
                    "bias")], 13)
    feeds = {"x": RNG.standard_normal((batch, 4, 6)).astype(np.float32),
             "w": RNG.standard_normal((batch, 1, 1)).astype(np.float32)}
    got = _run_both(check_ok, tmp_path, m, feeds)
    assert got["y"].shape == (batch, 48)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx").stdout
    assert "{shape = array<i64: 0, -1>} : (tensor<?x6x8xf32>) -> " \
        "tensor<?x48xf32>" in ir, ir
    assert ir.count("qc.dynamic_reshape") == 1, ir


@pytest.mark.parametrize("batch", [1, 2])
def test_reshape_to_a_batch_through_resize(batch, tmp_path, check_ok):
    """A nearest Resize whose constant scales keep dimension 0 keeps its
    input's batch: a reshape of its result to Shape(x)[0] is plain. One
    that scales dimension 0 makes another batch: that reshape stays
    qc.dynamic_reshape (and is still right: 2N rows into N)."""
    f32 = onnx.TensorProto.FLOAT
    nodes = [n("Resize", ["x", "", "s1"], ["r1"], mode="nearest"),
             n("Resize", ["x", "", "s2"], ["r2"], mode="nearest"),
             *_batch_then_minus1("x", "t"),
             n("Reshape", ["r1", "t"], ["y1"]),
             n("Reshape", ["r2", "t"], ["y2"])]
    m = _model(nodes, [_vi("x", ["N", 4, 6])],
               [_vi("y1", None), _vi("y2", None)],
               [*_BATCH_INITS,
                onnx.numpy_helper.from_array(
                    np.array([1, 1, 2], np.float32), "s1"),
                onnx.numpy_helper.from_array(
                    np.array([2, 1, 1], np.float32), "s2")], 13)
    feeds = {"x": RNG.standard_normal((batch, 4, 6)).astype(np.float32)}
    got = _run_both(check_ok, tmp_path, m, feeds)
    assert got["y1"].shape == (batch, 48) and got["y2"].shape == (batch, 48)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx").stdout
    assert "{shape = array<i64: 0, -1>} : (tensor<?x4x12xf32>) -> " \
        "tensor<?x48xf32>" in ir, ir
    assert ir.count("qc.dynamic_reshape") == 1, ir


def test_input_shape_question_mark_keeps_a_dim(tmp_path, check_ok,
                                               run_tool):
    """--input-shape x=?x4x6 fixes what it names and leaves '?' as the
    model declares it: a free batch stays free (and runs at any batch), a
    static dim stays static; a '?' never hides a disagreement."""
    nodes = [n("Relu", ["x"], ["y"])]
    m = _model(nodes, [_vi("x", ["N", "H", 6])], [_vi("y", None)], [], 13)
    onnx.save(m, tmp_path / "m.onnx")
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                  "--input-shape", "x=?x4x?").stdout
    assert "tensor<?x4x6xf32>" in ir, ir
    for b in (1, 3):
        x = RNG.standard_normal((b, 4, 6)).astype(np.float32)
        got = _run_both(check_ok, tmp_path, m, {"x": x}, "--input-shape",
                        "x=?x4x6")
        assert got["y"].shape == (b, 4, 6)
    res = run_tool("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                   "--input-shape", "x=?x4x5")
    assert res.returncode == 1
    assert "--input-shape x=?x4x5 disagrees with the declared shape " \
        "?x?x6 in dimension 2" in res.stderr, res.stderr
    res = run_tool("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                   "--input-shape", "x=?x4x??")
    assert res.returncode == 1
    assert "'??' is not a dimension" in res.stderr, res.stderr


def test_shape_chain_folds_with_input_shape(tmp_path, check_ok):
    m = shape_models.shape_chain()
    onnx.save(m, tmp_path / "m.onnx")
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                  "--input-shape", "x=3x4x6").stdout
    assert "qc.shape" not in ir and "qc.dynamic_reshape" not in ir
    x = RNG.standard_normal((3, 4, 6)).astype(np.float32)
    got = _run_both(check_ok, tmp_path, m, {"x": x}, "--input-shape",
                    "x=3x4x6")
    assert got["s"].tolist() == [3, 4, 6]


@pytest.mark.parametrize("seq", [3, 8])
def test_gpt2_mask_slicing(seq, tmp_path, check_ok):
    x = RNG.standard_normal((2, seq, seq)).astype(np.float32)
    _run_both(check_ok, tmp_path, shape_models.gpt2_mask(), {"x": x})


BAD_RUNTIME = [
    ("range_too_long",
     [n("Range", ["a", "b", "d"], ["y"])],
     [_vi("a", [], I64), _vi("b", [], I64), _vi("d", [], I64)],
     {"a": np.array(0, np.int64), "b": np.array(2**62, np.int64),
      "d": np.array(1, np.int64)}, "range has too many elements"),
    ("expand_negative",
     [n("Expand", ["x", "s"], ["y"])], [_vi("x", [1]), _vi("s", [2], I64)],
     {"x": np.zeros(1, np.float32), "s": np.array([-2, 3], np.int64)},
     "has a negative dimension"),
    ("reshape_mismatch",
     [n("Reshape", ["x", "s"], ["y"])], [_vi("x", [6]), _vi("s", [2], I64)],
     {"x": np.zeros(6, np.float32), "s": np.array([4, -1], np.int64)},
     "cannot reshape [6] to [4, -1]"),
    ("split_bad_sizes",
     [n("Split", ["x", "s"], ["a", "b"])], [_vi("x", [6]), _vi("s", [2], I64)],
     {"x": np.zeros(6, np.float32), "s": np.array([2**62, 5], np.int64)},
     "split size 4611686018427387904 is outside [0, 6]"),
]


@pytest.mark.parametrize("case", BAD_RUNTIME, ids=[c[0] for c in BAD_RUNTIME])
def test_bad_runtime_shapes_are_clean_errors(case, tmp_path, run_tool):
    """Shapes read at run time are untrusted: a clear error at the op, exit
    1, no output file, no crash."""
    _, nodes, inputs, feeds, message = case
    outs = [_vi(o, None) for o in nodes[0].output]
    onnx.save(_model(nodes, inputs, outs, opset=13), tmp_path / "m.onnx")
    np.savez(tmp_path / "in.npz", **feeds)
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1, res.stderr
    assert message in res.stderr
    assert not (tmp_path / "out.npz").exists()


def test_runtime_errors_name_the_op(tmp_path, run_tool):
    """A Gather index out of range is a clean error, not a crash."""
    m = _model([n("Gather", ["x", "i"], ["y"], axis=0)],
               [_vi("x", [3]), _vi("i", [1], I64)], [_vi("y", None)])
    onnx.save(m, tmp_path / "m.onnx")
    np.savez(tmp_path / "in.npz", x=np.zeros(3, np.float32),
             i=np.array([3], np.int64))
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    assert res.returncode == 1
    assert "index 3 is out of range [-3, 3)" in res.stderr
    assert not (tmp_path / "out.npz").exists()


# Backend node tests of the Shape family that import, run on the Executor
# and match the expected outputs (rtol 1e-3, atol 1e-7 for floats; exact
# for integers). The list only grows.
PASSING_NODE_TESTS = """
test_concat_1d_axis_0 test_concat_1d_axis_negative_1 test_concat_2d_axis_0
test_concat_2d_axis_1 test_concat_2d_axis_negative_1
test_concat_2d_axis_negative_2 test_concat_3d_axis_0 test_concat_3d_axis_1
test_concat_3d_axis_2 test_concat_3d_axis_negative_1
test_concat_3d_axis_negative_2 test_concat_3d_axis_negative_3
test_constantofshape_float_ones test_constantofshape_int_shape_zero
test_constantofshape_int_zeros test_expand_dim_changed
test_expand_dim_unchanged test_flatten_axis0 test_flatten_axis1
test_flatten_axis2 test_flatten_axis3 test_flatten_default_axis
test_flatten_negative_axis1 test_flatten_negative_axis2
test_flatten_negative_axis3 test_flatten_negative_axis4 test_gather_0
test_gather_1 test_gather_2d_indices test_gather_elements_0
test_gather_elements_1 test_gather_elements_negative_indices
test_gather_negative_indices test_identity
test_range_float_type_positive_delta test_reshape_allowzero_reordered
test_reshape_extended_dims test_reshape_negative_dim
test_reshape_negative_extended_dims test_reshape_one_dim
test_reshape_reduced_dims test_reshape_reordered_all_dims
test_reshape_reordered_last_dims test_reshape_zero_and_negative_dim
test_reshape_zero_dim test_shape test_shape_clip_end test_shape_clip_start
test_shape_end_1 test_shape_end_negative_1 test_shape_example
test_shape_start_1 test_shape_start_1_end_2
test_shape_start_1_end_negative_1 test_shape_start_negative_1 test_size
test_size_example test_slice test_slice_default_axes
test_slice_default_steps test_slice_end_out_of_bounds test_slice_neg
test_slice_neg_steps test_slice_negative_axes test_slice_start_out_of_bounds
test_split_equal_parts_1d test_split_equal_parts_2d
test_split_equal_parts_default_axis test_split_variable_parts_1d
test_split_variable_parts_2d test_split_variable_parts_default_axis
test_split_zero_size_splits test_squeeze test_squeeze_negative_axes
test_tile test_tile_precomputed test_unsqueeze_axis_0 test_unsqueeze_axis_1
test_constant_pad test_edge_pad test_reflect_pad
test_unsqueeze_axis_2 test_unsqueeze_axis_3 test_unsqueeze_negative_axes
test_unsqueeze_three_axes test_unsqueeze_two_axes
test_unsqueeze_unsorted_axes
""".split()


# PyTorch-exported models of the same package that only use layout ops
# (Split via chunk, Tile via repeat, Gather as Embedding, view/permute).
PASSING_PYTORCH_TESTS = """
pytorch-operator/test_operator_chunk pytorch-operator/test_operator_concat2
pytorch-operator/test_operator_flatten pytorch-operator/test_operator_index
pytorch-operator/test_operator_permute2 pytorch-operator/test_operator_repeat
pytorch-operator/test_operator_repeat_dim_overflow
pytorch-operator/test_operator_view pytorch-converted/test_Embedding
pytorch-converted/test_Embedding_sparse pytorch-converted/test_PixelShuffle
pytorch-operator/test_operator_pad pytorch-converted/test_ConstantPad2d
pytorch-converted/test_ReflectionPad2d pytorch-converted/test_ReplicationPad2d
pytorch-converted/test_ZeroPad2d
""".split()


@pytest.mark.skipif(not NODE_TESTS.is_dir(),
                    reason="Debian's libonnx-testdata is not installed")
@pytest.mark.parametrize("name", PASSING_NODE_TESTS + PASSING_PYTORCH_TESTS)
def test_backend_node(name, tmp_path, check_ok):
    d = NODE_TESTS / name if "/" not in name else NODE_TESTS.parent / name
    m = onnx.load(d / "model.onnx")
    inits = {i.name for i in m.graph.initializer}
    ins = [i.name for i in m.graph.input if i.name not in inits]
    data = d / "test_data_set_0"

    def load(prefix):
        files = sorted(data.glob(prefix + "_*.pb"),
                       key=lambda p: int(p.stem.split("_")[-1]))
        return [numpy_helper.to_array(onnx.load_tensor(str(f))) for f in files]

    feeds = dict(zip(ins, load("input")))
    np.savez(tmp_path / "in.npz", **feeds)
    check_ok("quant-run", d / "model.onnx", "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz")
    got = load_npz(tmp_path / "out.npz")
    for out, want in zip(m.graph.output, load("output")):
        g = got[out.name]
        assert g.shape == want.shape, out.name
        if want.dtype.kind == "f":
            np.testing.assert_allclose(g, want, rtol=1e-3, atol=1e-7)
        else:
            assert np.array_equal(g, want.astype(g.dtype)), out.name


def test_layout_ops_move_quantized_codes(tmp_path, check_ok):
    """Gather/Concat/Slice on i8 codes (the Executor's Bytes kind): codes are
    moved unchanged and come back as int8 (signed integer codes are written
    with their numpy type; only float codes travel as uint8 bit patterns)."""
    (tmp_path / "m.mlir").write_text("""
func.func @main(%x: tensor<4x3xi8> {qc.name = "x"}, %i: tensor<2xi64> {qc.name = "i"}) -> (tensor<2x6xi8> {qc.name = "y"}) {
  %g = qc.gather %x, %i {axis = 0 : i64} : (tensor<4x3xi8>, tensor<2xi64>) -> tensor<2x3xi8>
  %c = qc.concat %g, %g {axis = 1 : i64} : (tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<2x6xi8>
  %s = qc.slice %c {starts = array<i64: -1>, ends = array<i64: -100>, axes = array<i64: 1>, steps = array<i64: -1>} : (tensor<2x6xi8>) -> tensor<2x6xi8>
  return %s : tensor<2x6xi8>
}
""")
    x = np.arange(-6, 6, dtype=np.int8).reshape(4, 3)
    i = np.array([3, -4], np.int64)
    np.savez(tmp_path / "in.npz", x=x, i=i)
    check_ok("quant-run", tmp_path / "m.mlir", "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz")
    y = load_npz(tmp_path / "out.npz")["y"]
    want = np.concatenate([x[i], x[i]], axis=1)[:, ::-1]
    assert y.dtype == np.int8
    assert np.array_equal(y, want)


def test_constant_range_length_stays_bounded(tmp_path):
    """A Range of constants gets its length as a static dim, and folds; one
    longer than the importer's element limit (2^40) stays `?` (the Executor
    reports it when it runs) instead of a huge static dimension."""
    import quantc
    for limit, want in [(5, "tensor<5xi64>"), (1 << 62, "tensor<?xi64>")]:
        consts = [helper.make_node("Constant", [], [k], value=numpy_helper
                                   .from_array(np.array(v, np.int64)))
                  for k, v in (("a", 0), ("b", limit), ("d", 1))]
        g = helper.make_graph(
            consts + [helper.make_node("Range", ["a", "b", "d"], ["y"])],
            "r", [], [helper.make_tensor_value_info("y", TensorProto.INT64,
                                                    None)])
        path = tmp_path / f"r{limit}.onnx"
        onnx.save(helper.make_model(g, opset_imports=[
            helper.make_opsetid("", 13)]), path)
        text = str(quantc.import_onnx(path))
        assert f"-> ({want}" in text, text
        assert ("qc.range" in text) == (limit > 5), text

# --- zero-size tensors ------------------------------------------------------
# Ops the importer lowers to qc.reshape, whose shape (like ONNX Reshape's)
# reads 0 as "copy this dim": Flatten, MatMul with 1-D operands, Softmax
# before opset 13. Empty results and sums over an empty axis are exact, so
# bit-exact against onnxruntime, shapes included. Then the checks of Clip's
# integer bounds and ConvTranspose's padding attributes, which come before
# the arithmetic that uses them.

def test_flatten_of_an_empty_tensor(check_ok, tmp_path):
    m = _model([helper.make_node("Flatten", ["x"], ["y"], axis=2)],
               [_vi("x", [3, 0, 4])], [_vi("y", [0, 4])])
    _run_both(check_ok, tmp_path, m, {"x": np.zeros((3, 0, 4), np.float32)})


def test_matmul_vectors_with_zero_extents(check_ok, tmp_path):
    w = numpy_helper.from_array(np.zeros((0, 5), np.float32), "w")
    v = numpy_helper.from_array(np.ones((4, 0), np.float32), "v")
    m = _model([helper.make_node("MatMul", ["a", "w"], ["k0"]),
                helper.make_node("MatMul", ["b", "v"], ["n0"])],
               [_vi("a", [0]), _vi("b", [4])],
               [_vi("k0", [5]), _vi("n0", [0])], [w, v])
    _run_both(check_ok, tmp_path, m, {"a": np.zeros(0, np.float32),
                                      "b": np.ones(4, np.float32)})


def test_softmax_opset11_of_an_empty_tensor(check_ok, tmp_path):
    m = _model([helper.make_node("Softmax", ["x"], ["y"], axis=1)],
               [_vi("x", [2, 0, 3])], [_vi("y", [2, 0, 3])], opset=11)
    _run_both(check_ok, tmp_path, m, {"x": np.zeros((2, 0, 3), np.float32)})


def test_integer_clip_bound_must_be_a_scalar(run_tool, tmp_path):
    lo = numpy_helper.from_array(np.array([1, 2, 3], np.int32), "lo")
    empty = numpy_helper.from_array(np.zeros(0, np.int32), "empty")
    for bound in (lo, empty):
        m = _model([helper.make_node("Clip", ["x", bound.name], ["y"])],
                   [_vi("x", [3], I64)], [_vi("y", [3], I64)], [bound])
        path = tmp_path / f"clip_{bound.name}.onnx"
        onnx.save(m, path)
        res = run_tool("quant-translate", "--import-onnx", path)
        assert_no_crash(res)
        assert res.returncode == 1
        assert "input 1 must be a scalar, got shape" in res.stderr, res.stderr


def test_conv_transpose_padding_attributes_are_checked(run_tool, tmp_path):
    w = numpy_helper.from_array(np.zeros((1, 1, 3, 3), np.float32), "w")
    for attrs in ({"output_padding": [0, -1], "output_shape": [5, 5]},
                  {"strides": [0, 1], "auto_pad": "SAME_UPPER"}):
        m = _model([helper.make_node("ConvTranspose", ["x", "w"], ["y"],
                                     **attrs)],
                   [_vi("x", [1, 1, 4, 4])], [_vi("y", [1, 1, 5, 5])], [w])
        path = tmp_path / "ct.onnx"
        onnx.save(m, path)
        res = run_tool("quant-translate", "--import-onnx", path)
        assert_no_crash(res)
        assert res.returncode == 1
        assert ("strides and dilations must be >= 1 and output_padding >= 0"
                in res.stderr), res.stderr


# (id, opset, mode, pads as ONNX writes them, axes or None, fill, dtype)
PAD_CASES = [
    ("constant", 11, "constant", [0, 1, 2, 1, 0, 3], None, 0.0, np.float32),
    ("constant_fill", 13, "constant", [1, 0, 0, 2, 1, 1], None, -2.5,
     np.float32),
    ("constant_crop", 13, "constant", [0, -1, 2, 0, 1, -2], None, 7.0,
     np.float32),
    ("edge", 13, "edge", [2, 0, 3, 1, 4, 0], None, 0.0, np.float32),
    ("reflect", 13, "reflect", [1, 2, 0, 1, 1, 3], None, 0.0, np.float32),
    # Pads of twice the dimension: the reflection repeats (numpy's rule).
    ("reflect_wide", 13, "reflect", [0, 7, 9, 0, 6, 10], None, 0.0,
     np.float32),
    ("wrap", 19, "wrap", [1, 5, 2, 3, 0, 11], None, 0.0, np.float32),
    # Negative pads crop before the mode pads what remains (ONNX Runtime).
    ("wrap_crop", 19, "wrap", [0, -1, 2, 1, 2, -1], None, 0.0, np.float32),
    ("reflect_crop", 13, "reflect", [1, -1, 1, 0, 1, -2], None, 0.0,
     np.float32),
    ("edge_crop", 13, "edge", [-1, 2, -1, 1, -1, 3], None, 0.0, np.float32),
    ("axes", 18, "edge", [2, 1, 0, 3], [-1, 1], 0.0, np.float32),
    ("int8_fill", 13, "constant", [1, 1, 0, 0, 2, 1], None, -128.0, np.int8),
    ("int64_reflect", 13, "reflect", [1, 2, 1, 1, 2, 1], None, 0.0,
     np.int64),
    ("pad2_attrs", 2, "reflect", [0, 1, 2, 0, 1, 2], None, 0.0, np.float32),
]
ONNX_OF = {np.float32: F, np.int8: TensorProto.INT8, np.int64: I64}


def _numpy_pad(x, pads, mode, fill, axes=None):
    """ONNX Pad by numpy: crops first (negative pads), then np.pad; wrap is
    numpy's wrap, reflect numpy's (even) reflect."""
    r = x.ndim
    full = [0] * (2 * r)
    for k, a in enumerate(axes if axes is not None else range(r)):
        full[a % r] = pads[k]
        full[r + a % r] = pads[len(pads) // 2 + k]
    sl = tuple(slice(max(-full[d], 0), x.shape[d] - max(-full[r + d], 0))
               for d in range(r))
    x = x[sl]
    widths = [(max(full[d], 0), max(full[r + d], 0)) for d in range(r)]
    if mode == "constant":
        return np.pad(x, widths, mode="constant",
                      constant_values=np.asarray(fill, x.dtype))
    return np.pad(x, widths, mode={"edge": "edge", "reflect": "reflect",
                                   "wrap": "wrap"}[mode])


@pytest.mark.parametrize("case", PAD_CASES, ids=[c[0] for c in PAD_CASES])
@pytest.mark.parametrize("runtime", [False, True])
def test_pad_matches_numpy(case, runtime, tmp_path, check_ok):
    """Pad (S14) in every mode, with negative pads (crops), pads wider than
    the dimension (reflect, wrap), axes (opset 18), integer fills, and
    Pad-2's attributes: constant pads become qc.pad, pads fed at run time
    qc.dynamic_pad; both equal numpy's np.pad bit for bit, and ONNX
    Runtime's where it runs the case."""
    name, opset, mode, pads, axes, fill, dt = case
    if runtime and opset < 11:
        pytest.skip("Pad-2 takes its pads as an attribute")
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, 3, 4)) * 50).astype(dt)
    et = ONNX_OF[dt]
    inputs, inits, feeds = [_vi("x", list(x.shape), et)], [], {"x": x}
    if opset < 11:
        node = helper.make_node("Pad", ["x"], ["y"], mode=mode, pads=pads,
                                value=fill)
    else:
        names = ["x", "p"]
        if runtime:
            inputs.append(_vi("p", [len(pads)], I64))
            feeds["p"] = np.array(pads, np.int64)
        else:
            inits.append(_ints("p", pads))
        if mode == "constant":
            names.append("v")
            inits.append(numpy_helper.from_array(np.array(fill, dt), "v"))
        if axes is not None:
            names += [""] * (3 - len(names)) + ["a"]
            inits.append(_ints("a", axes))
        node = helper.make_node("Pad", names, ["y"], mode=mode)
    if runtime and axes is not None:
        pytest.skip("axes with run-time pads are refused (a clear error)")
    m = _model([node], inputs, [_vi("y", None, et)], inits, opset=opset)
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    check_ok("quant-translate", "--import-onnx", path, "-o", tmp_path / "m.mlir")
    ir = (tmp_path / "m.mlir").read_text()
    assert ("qc.dynamic_pad " if runtime else "qc.pad ") in ir, ir
    np.savez(tmp_path / "in.npz", **feeds)
    check_ok("quant-run", path, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    got = load_npz(tmp_path / "out.npz")["y"]
    want = _numpy_pad(x, pads, mode, fill, axes)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if name not in ("reflect_wide", "wrap"):  # ORT limits these pads
        np.testing.assert_array_equal(ort_run(path, feeds)["y"], want)


@pytest.mark.parametrize("case", [
    ("wrap_before_19", 18, {"mode": "wrap"}, [[1, 1]], None,
     "mode 'wrap' is not a Pad mode at opset 18"),
    ("bad_length", 13, {}, [[1, 1, 1]], None,
     "pads has 3 entries, expected 2 x 1"),
    ("crop_too_much", 13, {}, [[-2, -2]], None,
     "pads remove more than the 3 elements of dimension 0"),
    ("axes_length", 18, {}, [[1, 1, 1, 1]], [0],
     "pads has 4 entries, expected 2 x 1 (the axes given)"),
    ("fill_shape", 13, {}, [[1, 1]], "fill",
     "constant_value must have one element, got 2"),
    ("reflect_empty", 13, {"mode": "reflect"}, [[1, 0]], "empty",
     "mode reflect cannot pad the empty dimension 0"),
    ("edge_cropped_away", 13, {"mode": "edge"}, [[-3, 1]], None,
     "mode edge cannot pad the empty dimension 0"),
])
def test_bad_pads_are_clean_errors(case, tmp_path, run_tool):
    """A Pad the importer cannot build: an error naming the node, exit 1,
    no output."""
    _, opset, attrs, (pads,), extra, message = case
    shape = [0] if extra == "empty" else [3]
    names, inits = ["x", "p"], [_ints("p", pads)]
    if extra == "fill":
        names.append("v")
        inits.append(numpy_helper.from_array(np.zeros(2, np.float32), "v"))
    elif isinstance(extra, list):
        names += ["", "a"]
        inits.append(_ints("a", extra))
    m = _model([helper.make_node("Pad", names, ["y"], **attrs)],
               [_vi("x", shape)], [_vi("y", None)], inits, opset=opset)
    onnx.save(m, tmp_path / "m.onnx")
    res = run_tool("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                   "-o", tmp_path / "m.mlir")
    assert_no_crash(res)
    assert res.returncode == 1
    assert message in res.stderr, res.stderr
    assert "Pad" in res.stderr
    assert not (tmp_path / "m.mlir").exists()


def test_runtime_pads_are_checked(tmp_path, run_tool):
    """Pads read at run time are untrusted: removing more than a dimension
    holds is a clear error at run time."""
    m = _model([helper.make_node("Pad", ["x", "p"], ["y"])],
               [_vi("x", [3]), _vi("p", [2], I64)], [_vi("y", None)],
               opset=13)
    onnx.save(m, tmp_path / "m.onnx")
    np.savez(tmp_path / "in.npz", x=np.zeros(3, np.float32),
             p=np.array([-2, -2], np.int64))
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1
    assert "pads remove more than the 3 elements of dimension 0" in res.stderr
    assert not (tmp_path / "out.npz").exists()


# --- GatherND, ScatterND, ScatterElements (S15-S17) -------------------------
# Against ONNX Runtime, bit-exact: gathers and replacements copy, and the
# reductions combine one update at a time in index order, as ORT does.

@pytest.mark.parametrize("batch_dims,ishape,data", [
    (0, [4, 2], (3, 4, 5)), (0, [2, 3, 3], (3, 4, 5)), (1, [3, 2, 1], (3, 4, 5)),
    (2, [3, 4, 1], (3, 4, 5))])
def test_gather_nd(batch_dims, ishape, data, check_ok, tmp_path):
    """Tuples of every length, batch dims, negative indices, a free
    batch."""
    rng = np.random.default_rng(41)
    x = rng.standard_normal(data).astype(np.float32)
    m = ishape[-1]
    dims = data[batch_dims:batch_dims + m]
    idx = np.stack([rng.integers(-d, d, ishape[:-1]) for d in dims], -1)
    model = _model([n("GatherND", ["x", "i"], ["y"], batch_dims=batch_dims)],
                   [_vi("x", ["b", *data[1:]]), _vi("i", ishape, I64)],
                   [_vi("y", None)], opset=13)
    _run_both(check_ok, tmp_path, model, {"x": x, "i": idx})


@pytest.mark.parametrize("reduction,opset,elem", [
    (r, o, e) for r, o in (("none", 13), ("add", 16), ("mul", 16),
                           ("max", 18), ("min", 18))
    for e in (F, TensorProto.INT32, TensorProto.INT8)
    # (ONNX Runtime's ScatterND takes int8 for none and add only.)
    if e != TensorProto.INT8 or r in ("none", "add")])
def test_scatter_nd(reduction, opset, elem, check_ok, tmp_path):
    """Slices and single elements, repeated tuples (reductions only: with
    none ONNX leaves their order open), negative indices; int8 values
    combine as values and wrap."""
    rng = np.random.default_rng(42)
    dt = {F: np.float32, TensorProto.INT32: np.int32,
          TensorProto.INT8: np.int8}[elem]
    x = (rng.standard_normal((4, 3, 2)) * 50).astype(dt)
    attrs = {} if opset < 16 else {"reduction": reduction}
    rep = reduction != "none"
    for idx in ([[1], [-1], [2]] + ([[1]] if rep else []),
                [[0, 1], [3, -2]] + ([[0, 1]] if rep else [])):
        idx = np.array(idx, np.int64)
        ushape = idx.shape[:-1] + x.shape[idx.shape[-1]:]
        u = (rng.standard_normal(ushape) * 50).astype(dt)
        model = _model([n("ScatterND", ["x", "i", "u"], ["y"], **attrs)],
                       [_vi("x", list(x.shape), elem),
                        _vi("i", list(idx.shape), I64),
                        _vi("u", list(ushape), elem)],
                       [_vi("y", list(x.shape), elem)], opset=opset)
        _run_both(check_ok, tmp_path, model, {"x": x, "i": idx, "u": u})


@pytest.mark.parametrize("op,reduction,opset", [
    ("ScatterElements", "none", 13), ("ScatterElements", "add", 16),
    ("ScatterElements", "max", 18), ("Scatter", "none", 10)])
@pytest.mark.parametrize("axis", [0, -1])
def test_scatter_elements(op, reduction, opset, axis, check_ok, tmp_path):
    rng = np.random.default_rng(43)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    ishape = (3, 2) if axis == 0 else (4, 3)
    d = x.shape[axis]
    # Distinct targets per line with none (ONNX leaves repeats open).
    lines = [rng.permutation(np.arange(-d, 0))[:ishape[axis]]
             for _ in range(ishape[1 - axis % 2])]
    idx = np.stack(lines, 1) if axis == 0 else np.stack(lines, 0)
    u = rng.standard_normal(ishape).astype(np.float32)
    attrs = {"axis": axis} | ({"reduction": reduction} if opset >= 16 else {})
    model = _model([n(op, ["x", "i", "u"], ["y"], **attrs)],
                   [_vi("x", [4, 5]), _vi("i", list(ishape), I64),
                    _vi("u", list(ishape))], [_vi("y", [4, 5])], opset=opset)
    _run_both(check_ok, tmp_path, model, {"x": x, "i": idx, "u": u})


@pytest.mark.parametrize("nodes,inputs,feeds,needle", [
    ([n("GatherND", ["x", "i"], ["y"])], [_vi("x", [3, 4]), _vi("i", [2, 1], I64)],
     {"x": np.zeros((3, 4), np.float32), "i": np.array([[0], [3]])},
     "index 3 is out of range [-3, 3) for dim 0 of [3, 4]"),
    ([n("ScatterElements", ["x", "i", "u"], ["y"], axis=1)],
     [_vi("x", [2, 2]), _vi("i", [1, 1], I64), _vi("u", [1, 1])],
     {"x": np.zeros((2, 2), np.float32), "i": np.array([[-3]]),
      "u": np.ones((1, 1), np.float32)},
     "index -3 is out of range [-2, 2)"),
    ([n("ScatterND", ["x", "i", "u"], ["y"], reduction="max")],
     [_vi("x", [2]), _vi("i", [1, 1], I64), _vi("u", [1])], None,
     "attribute 'reduction' must be none, add or mul at opset 16"),
])
def test_gather_scatter_errors(nodes, inputs, feeds, needle, run_tool,
                               tmp_path):
    model = _model(nodes, inputs, [_vi("y", None)], opset=16)
    onnx.save(model, tmp_path / "m.onnx")
    if feeds is None:
        res = run_tool("quant-translate", "--import-onnx", tmp_path / "m.onnx")
    else:
        np.savez(tmp_path / "in.npz", **feeds)
        res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                       tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
        assert not (tmp_path / "out.npz").exists()
    assert_no_crash(res)
    assert res.returncode == 1, res.stderr
    assert needle in res.stderr, res.stderr


# --- NonZero, Compress (S18) ------------------------------------------------

@pytest.mark.parametrize("x", [
    np.array([[0, 1.5, -0.0], [np.nan, 0, -2]], np.float32),
    np.array([[[0, 3], [4, 0]]], np.int64),
    np.array([True, False, True]),
    np.zeros((2, 3), np.float32), np.zeros((0, 3), np.float32)],
    ids=["float", "int64", "bool", "zeros", "empty"])
def test_non_zero(x, check_ok, tmp_path):
    """Row-major coordinates; NaN counts, -0.0 does not; no hit and no
    element give [rank, 0]. Against ONNX Runtime."""
    elem = {np.float32: F, np.int64: I64, np.bool_: TensorProto.BOOL}[
        x.dtype.type]
    model = _model([n("NonZero", ["x"], ["y"])],
                   [_vi("x", list(x.shape), elem)], [_vi("y", None, I64)],
                   opset=13)
    _run_both(check_ok, tmp_path, model, {"x": x})


@pytest.mark.parametrize("axis,cond", [(None, [1, 0, 0, 1, 1]), (0, [0, 1]),
                                       (1, [1, 0, 1, 1]), (-1, [0, 1]),
                                       (1, [0, 0, 0, 0]), (0, [1, 0, 1, 1])])
def test_compress(axis, cond, check_ok, tmp_path):
    """A condition shorter than the axis leaves the rest out, entries past
    the axis are ignored (as ONNX Runtime); none true gives an empty
    axis."""
    x = np.arange(24, dtype=np.float32).reshape(3, 4, 2)
    attrs = {} if axis is None else {"axis": axis}
    c = np.array(cond, bool)
    model = _model([n("Compress", ["x", "c"], ["y"], **attrs)],
                   [_vi("x", [3, 4, 2]), _vi("c", [len(cond)],
                                             TensorProto.BOOL)],
                   [_vi("y", None)], opset=11)
    _run_both(check_ok, tmp_path, model, {"x": x, "c": c})


def test_minus_one_input_dim_is_symbolic(tmp_path, check_ok):
    """A graph input dimension written as -1 (Paddle2ONNX's unknown, as in
    PP-OCR's classifier) is symbolic like a dim_param: the model runs at
    any size, --input-shape fixes it, and ONNX Runtime agrees."""
    m = _model([n("Relu", ["x"], ["y"])], [_vi("x", [-1, 3])],
               [_vi("y", None)])
    for b in (1, 4):
        x = RNG.standard_normal((b, 3)).astype(np.float32)
        assert _run_both(check_ok, tmp_path, m, {"x": x})["y"].shape == (b, 3)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                  "--input-shape", "x=2x3").stdout
    assert "tensor<2x3xf32>" in ir, ir
