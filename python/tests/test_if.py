"""ONNX If whose condition folds at import (docs/Import.md, "If"): the
taken branch is imported in the If's place. Exporters write such Ifs on
static shapes (squeeze a dim if it is 1, a state's batch size cast to
bool: silero-vad's 16k model has three); a condition computed at run time
is refused with a message that says how to make it static.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto as T, helper, numpy_helper

from conftest import assert_no_crash, describe, load_npz

N = helper.make_node


def branch(name, nodes, out, inits=()):
    return helper.make_graph(nodes, name, [],
                             [helper.make_tensor_value_info(out, T.FLOAT,
                                                            None)],
                             list(inits))


def shape_if_model(test_dim):
    """y = If(Shape(x)[1] == test_dim) then x * 2 (with a nested If on a
    cast dimension: + 1) else Relu(x) - c (a branch initializer)."""
    inner = helper.make_graph(
        [N("Add", ["t", "one"], ["t1"])], "inner_then", [],
        [helper.make_tensor_value_info("t1", T.FLOAT, None)],
        [numpy_helper.from_array(np.array(1, np.float32), "one")])
    inner_else = branch("inner_else", [N("Identity", ["t"], ["t2"])], "t2")
    then_g = helper.make_graph(
        [N("Mul", ["x", "two"], ["t"]),
         N("Cast", ["d1"], ["nz"], to=T.BOOL),
         N("If", ["nz"], ["ti"], then_branch=inner, else_branch=inner_else)],
        "then", [], [helper.make_tensor_value_info("ti", T.FLOAT, None)],
        [numpy_helper.from_array(np.array(2, np.float32), "two")])
    else_g = branch("else", [N("Relu", ["x"], ["r"]),
                             N("Sub", ["r", "c"], ["e"])], "e",
                    [numpy_helper.from_array(np.array(0.5, np.float32), "c")])
    nodes = [N("Shape", ["x"], ["s"]),
             N("Gather", ["s", "i1"], ["d1"], axis=0),
             N("Equal", ["d1", "want"], ["cond"]),
             N("If", ["cond"], ["y"], then_branch=then_g,
               else_branch=else_g)]
    inits = [numpy_helper.from_array(np.array(1, np.int64), "i1"),
             numpy_helper.from_array(np.array(test_dim, np.int64), "want")]
    return helper.make_model(
        helper.make_graph(nodes, "g",
                          [helper.make_tensor_value_info("x", T.FLOAT,
                                                         ["n", 4])],
                          [helper.make_tensor_value_info("y", T.FLOAT, None)],
                          inits),
        opset_imports=[helper.make_opsetid("", 17)])


def run(run_tool, tmp_path, m, x):
    onnx.save(m, str(tmp_path / "m.onnx"))
    np.savez(tmp_path / "in.npz", x=x)
    return run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                    tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")


@pytest.mark.parametrize("test_dim,expect", [
    (4, lambda x: x * 2 + 1), (3, lambda x: np.maximum(x, 0) - 0.5)])
def test_static_condition_takes_its_branch(test_dim, expect, run_tool,
                                           tmp_path, check_ok):
    """Shape(x)[1] is 4 (static while the batch is free): the then branch
    (and its nested If, on the dim cast to bool) or the else branch, with
    their initializers; the IR holds no If and the result is the branch's,
    bit for bit (one or two exact f32 ops)."""
    m = shape_if_model(test_dim)
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    res = run(run_tool, tmp_path, m, x)
    assert res.returncode == 0, describe(res)
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"],
                                  expect(x).astype(np.float32))
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx").stdout
    assert "qc.mul" in ir if test_dim == 4 else "qc.relu" in ir, ir


def test_run_time_condition_is_refused(run_tool, tmp_path):
    """A condition read from an input (ONNX's test_if) cannot be folded:
    exit 1, the node named, and how to make a shape test static."""
    then_g = branch("then", [N("Neg", ["x"], ["a"])], "a")
    else_g = branch("else", [N("Abs", ["x"], ["b"])], "b")
    m = helper.make_model(helper.make_graph(
        [N("If", ["c"], ["y"], name="choose", then_branch=then_g,
           else_branch=else_g)], "g",
        [helper.make_tensor_value_info("c", T.BOOL, []),
         helper.make_tensor_value_info("x", T.FLOAT, [2])],
        [helper.make_tensor_value_info("y", T.FLOAT, None)]),
        opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, str(tmp_path / "m.onnx"))
    np.savez(tmp_path / "in.npz", c=np.array(True), x=np.ones(2, np.float32))
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    for s in ("'choose' (If)", "computed at run time", "--input-shape"):
        assert s in res.stderr, describe(res)
    assert not (tmp_path / "out.npz").exists()


def test_dynamic_dim_condition_names_the_fix(run_tool, tmp_path):
    """The same shape test on the free batch dim is a run-time condition
    until --input-shape fixes it; then it folds."""
    m = shape_if_model(4)
    g = m.graph
    g.node[1].CopyFrom(N("Gather", ["s", "i0"], ["d1"], axis=0))
    g.initializer.append(numpy_helper.from_array(np.array(0, np.int64), "i0"))
    x = np.random.default_rng(2).standard_normal((4, 4)).astype(np.float32)
    res = run(run_tool, tmp_path, m, x)
    assert_no_crash(res)
    assert res.returncode == 1 and "--input-shape" in res.stderr, describe(res)
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz",
                   "--input-shape", "x=4x4")
    assert res.returncode == 0, describe(res)
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"], x * 2 + 1)


def test_unsupported_op_in_the_taken_branch_is_named(run_tool, tmp_path):
    then_g = branch("then", [N("Det", ["x"], ["a"], name="det_in_branch")],
                    "a")
    else_g = branch("else", [N("Abs", ["x"], ["b"])], "b")
    m = helper.make_model(helper.make_graph(
        [N("Constant", [], ["c"], value=numpy_helper.from_array(
            np.array(True))),
         N("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)], "g",
        [helper.make_tensor_value_info("x", T.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", T.FLOAT, None)]),
        opset_imports=[helper.make_opsetid("", 17)])
    res = run(run_tool, tmp_path, m, np.eye(2, dtype=np.float32))
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    assert "det_in_branch" in res.stderr and "Det" in res.stderr, describe(res)


def sr_model():
    """y = If(sr == 16000) then x * 2 else x * 3: a condition on an input,
    as silero-vad's exports test their sample rate."""
    then_g = helper.make_graph(
        [N("Mul", ["x", "two"], ["a"])], "then", [],
        [helper.make_tensor_value_info("a", T.FLOAT, None)],
        [numpy_helper.from_array(np.array(2, np.float32), "two")])
    else_g = helper.make_graph(
        [N("Mul", ["x", "three"], ["b"])], "else", [],
        [helper.make_tensor_value_info("b", T.FLOAT, None)],
        [numpy_helper.from_array(np.array(3, np.float32), "three")])
    return helper.make_model(helper.make_graph(
        [N("Equal", ["sr", "rate"], ["c"]),
         N("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)], "g",
        [helper.make_tensor_value_info("x", T.FLOAT, ["n", 3]),
         helper.make_tensor_value_info("sr", T.INT64, [])],
        [helper.make_tensor_value_info("y", T.FLOAT, None)],
        [numpy_helper.from_array(np.array(16000, np.int64), "rate")]),
        opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("rate,factor", [(16000, 2), (8000, 3)])
def test_input_value_binds_an_input(rate, factor, run_tool, check_ok,
                                    tmp_path):
    """--input-value sr=RATE makes `sr` a constant: the If folds, the
    function no longer takes `sr` (quant-run's .npz need not hold it), and
    quant-compile's package runs without it too."""
    onnx.save(sr_model(), str(tmp_path / "m.onnx"))
    x = np.random.default_rng(4).standard_normal((2, 3)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x)
    check_ok("quant-run", tmp_path / "m.onnx", "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz", "--input-value", f"sr={rate}")
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"],
                                  x * factor)
    ir = check_ok("quant-translate", "--import-onnx", tmp_path / "m.onnx",
                  "--input-value", f"sr={rate}").stdout
    assert "func.func @main(%arg0: tensor<?x3xf32>" in ir and "%arg1" not in ir
    pkg = tmp_path / "m.qcpkg"
    check_ok("quant-compile", tmp_path / "m.onnx", "-o", pkg, "--calib",
             tmp_path / "in.npz", "--input-value", f"sr={rate}",
             "--target", "none", "--no-accuracy", "-q")
    check_ok("quant-run", pkg, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "pkg.npz")
    np.testing.assert_array_equal(load_npz(tmp_path / "pkg.npz")["y"],
                                  x * factor)


@pytest.mark.parametrize("spec,mentions", [
    ("sr", ["bad --input-value 'sr'", "no '='"]),
    ("sr=abc", ["'abc' is not a number"]),
    ("sr=1.5", ["1.5 is not a value of type INT64"]),
    ("sr=1,2", ["holds 1 values, 2 given"]),
    ("rate=3", ["--input-value names 'rate'", "not a graph input"]),
])
def test_input_value_errors(spec, mentions, run_tool, tmp_path):
    onnx.save(sr_model(), str(tmp_path / "m.onnx"))
    np.savez(tmp_path / "in.npz", x=np.ones((2, 3), np.float32))
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz",
                   "--input-value", spec)
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    for s in mentions:
        assert s in res.stderr, describe(res)
    assert not (tmp_path / "out.npz").exists()


def test_input_values_in_the_python_module(tmp_path):
    """quantc.import_onnx / quantc.compile take input_values as the tools
    take --input-value: `sr` is gone from the module's inputs and the
    If's taken branch is what runs."""
    import quantc
    onnx.save(sr_model(), str(tmp_path / "m.onnx"))
    x = np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32)
    m = quantc.import_onnx(tmp_path / "m.onnx", input_values={"sr": 8000})
    assert "%arg1" not in str(m)
    np.testing.assert_array_equal(quantc.run(m, {"x": x})["y"], x * 3)
    pkg = quantc.compile(tmp_path / "m.onnx", {"x": x},
                         output=tmp_path / "m.qcpkg", targets=(),
                         accuracy=False, input_values={"sr": [16000]})
    np.testing.assert_array_equal(quantc.run(pkg, {"x": x})["y"], x * 2)
    with pytest.raises(quantc.Error, match="not a graph input"):
        quantc.import_onnx(tmp_path / "m.onnx", input_values={"rate": 1})
