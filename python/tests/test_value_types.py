"""Value types beyond f32 through the importer and the Executor: integer
Add/Sub/Mul/Div (the shape and index arithmetic of exported transformers
with dynamic shapes), compared exactly with onnxruntime, division by zero as
a clean error, and FLOAT16 initializers decoded exactly."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import assert_no_crash, load_npz, ort_run


def _model(op, dtype, path, const=None):
    inputs = [helper.make_tensor_value_info("a", dtype, ["n"])]
    inits = []
    if const is None:
        inputs.append(helper.make_tensor_value_info("b", dtype, ["n"]))
    else:
        inits.append(helper.make_tensor("b", dtype, [len(const)], const))
    g = helper.make_graph([helper.make_node(op, ["a", "b"], ["y"], name="arith")],
                          "g", inputs,
                          [helper.make_tensor_value_info("y", dtype, ["n"])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, path)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("dtype,np_type", [(TensorProto.INT64, np.int64),
                                           (TensorProto.INT32, np.int32)])
def test_matches_onnxruntime_exactly(tmp_path, check_ok, op, dtype, np_type):
    path = tmp_path / "m.onnx"
    _model(op, dtype, path)
    a = np.array([7, -7, 9, -9, 0, 123456789, 5], np_type)
    b = np.array([2, 2, -4, -4, 3, 1000, -1], np_type)
    np.savez(tmp_path / "in.npz", a=a, b=b)
    check_ok("quant-run", path, "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz")
    got = load_npz(tmp_path / "out.npz")["y"]
    want = ort_run(path, {"a": a, "b": b})["y"]
    assert got.dtype == want.dtype
    # Exact: Div truncates toward zero (7 / -4 and -7 / 2), as onnxruntime.
    assert np.array_equal(got, want)


def test_int64_with_a_constant_operand(tmp_path, check_ok):
    path = tmp_path / "m.onnx"
    _model("Sub", TensorProto.INT64, path, const=[1, 2, 3])
    a = np.array([10, 20, 30], np.int64)
    np.savez(tmp_path / "in.npz", a=a)
    check_ok("quant-run", path, "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz")
    assert np.array_equal(load_npz(tmp_path / "out.npz")["y"], [9, 18, 27])


def test_division_by_zero_is_an_error(tmp_path, run_tool):
    path = tmp_path / "m.onnx"
    _model("Div", TensorProto.INT64, path)
    np.savez(tmp_path / "in.npz", a=np.array([1, 2], np.int64),
             b=np.array([1, 0], np.int64))
    res = run_tool("quant-run", path, "--inputs", tmp_path / "in.npz",
                   "--outputs", tmp_path / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1
    assert "integer division by zero" in res.stderr
    assert not (tmp_path / "out.npz").exists()


def test_mixed_element_types_are_rejected(tmp_path, run_tool):
    # Invalid ONNX (Add needs one type): an int64 constant added to floats.
    g = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"], name="mixed")], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [helper.make_tensor("b", TensorProto.INT64, [2], [1, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(m, tmp_path / "m.onnx")
    np.savez(tmp_path / "in.npz", a=np.zeros(2, np.float32))
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1
    assert "'mixed' (Add)" in res.stderr
    assert "operand element types must match" in res.stderr


@pytest.mark.parametrize("dtype,np_type", [(TensorProto.FLOAT16, np.float16)])
def test_float16_initializer_decodes_exactly(tmp_path, check_ok, dtype, np_type):
    # FLOAT16 initializers are widened to f32 by the Numerics codec: every
    # class of half value (subnormals, max, inf, -0) must come out exact.
    w = np.array([6e-8, -6.1e-5, 1.0, -65504.0, np.inf, -0.0, 0.333],
                 np_type)
    g = helper.make_graph(
        [helper.make_node("Add", ["a", "w"], ["y"], name="add")], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [len(w)])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [len(w)])],
        [helper.make_tensor("w", dtype, [len(w)], w.tobytes(), raw=True)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)],
                          ir_version=8)
    onnx.save(m, tmp_path / "m.onnx")
    np.savez(tmp_path / "in.npz", a=np.zeros(len(w), np.float32))
    check_ok("quant-run", tmp_path / "m.onnx", "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz")
    got = load_npz(tmp_path / "out.npz")["y"]
    assert np.array_equal(got.view(np.uint32),
                          (np.float32(0) + w.astype(np.float32)).view(np.uint32))
