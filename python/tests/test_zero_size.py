"""Zero-size tensors through ops the importer lowers to qc.reshape (whose
shape, like ONNX Reshape's, reads 0 as "copy this dim"): Flatten, MatMul
with 1-D operands, Softmax before opset 13. Outputs against onnxruntime,
shapes included; and the checks of Clip's integer bounds and
ConvTranspose's padding attributes, which come before the arithmetic that
uses them."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from conftest import assert_no_crash, load_npz, ort_run

F, I32, I64 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64


def _model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def _run_both(check_ok, tmp_path, model, feeds):
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "in.npz", **feeds)
    check_ok("quant-run", path, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    got, ref = load_npz(tmp_path / "out.npz"), ort_run(path, feeds)
    for k in ref:
        assert got[k].shape == ref[k].shape, (k, got[k].shape, ref[k].shape)
        # Empty or a sum over an empty axis (exact zeros): bit-exact.
        np.testing.assert_array_equal(got[k], ref[k])


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
