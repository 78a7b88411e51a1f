"""Opset 1-6 forms of the elementwise ops, Gemm, PRelu and BatchNormalization
(docs/Import.md, "Opsets 1-6"): PyTorch exports of that era, such as the
pytorch-converted and pytorch-operator suites of libonnx-testdata, which the
node-test pass list runs too.

- Add, Sub, Mul, Div and Pow-1 broadcast B only with `broadcast` = 1; `axis`
  places B's dims inside A's (trailing 1 dims added), suffix matching
  (numpy's rule) without it; B must broadcast to A's shape.
- Gemm-1/-6 broadcast C only with `broadcast` = 1.
- PRelu-1/-6: a 1-D slope of C values is one per channel (dim 1).
- BatchNormalization-1/-6: inference only with is_test = 1 (its default is
  training).

Results are checked against numpy; bad forms give exit code 1 and a message
naming the node and what is wrong, and write nothing.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto as T, helper

from conftest import assert_no_crash, describe, load_npz

RNG = np.random.default_rng(11)


def model(nodes, inputs, opset=6):
    """A graph of `nodes` over f32 `inputs` ({name: shape}), output 'y'."""
    g = helper.make_graph(
        nodes, "legacy",
        [helper.make_tensor_value_info(n, T.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info("y", T.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 3
    return m


def run(run_tool, tmp_path, m, feeds):
    onnx.save(m, str(tmp_path / "m.onnx"))
    np.savez(tmp_path / "in.npz", **feeds)
    res = run_tool("quant-run", tmp_path / "m.onnx", "--inputs",
                   tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    return res


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def prelu_ref(x, s):
    return np.where(x < 0, x * s.reshape((-1,) + (1,) * (x.ndim - 2)), x)


CASES = {
    # name: (node, {input: value}, reference of the inputs)
    "add_axis": (helper.make_node("Add", ["a", "b"], ["y"], broadcast=1, axis=1),
                 {"a": f32(2, 3, 4), "b": f32(3)},
                 lambda a, b: a + b[:, None]),
    "sub_axis_0_two_dims": (
        helper.make_node("Sub", ["a", "b"], ["y"], broadcast=1, axis=0),
        {"a": f32(2, 3, 4), "b": f32(2, 3)},
        lambda a, b: a - b[:, :, None]),
    "mul_suffix": (helper.make_node("Mul", ["a", "b"], ["y"], broadcast=1),
                   {"a": f32(2, 3, 4), "b": f32(4)},
                   lambda a, b: a * b),
    "div_negative_axis": (
        helper.make_node("Div", ["a", "b"], ["y"], broadcast=1, axis=-2),
        {"a": f32(2, 3, 4), "b": f32(3) + 4},
        lambda a, b: a / b[:, None]),
    "add_same_shapes": (helper.make_node("Add", ["a", "b"], ["y"]),
                        {"a": f32(2, 3), "b": f32(2, 3)},
                        lambda a, b: a + b),
    "pow1_axis": (helper.make_node("Pow", ["a", "b"], ["y"], broadcast=1, axis=1),
                  {"a": np.abs(f32(2, 3, 4)) + 0.5, "b": f32(3)},
                  lambda a, b: np.power(a, b[:, None])),
    "prelu_per_channel": (helper.make_node("PRelu", ["a", "b"], ["y"]),
                          {"a": f32(2, 3, 4, 5), "b": f32(3)}, prelu_ref),
    "gemm_broadcast_c": (
        helper.make_node("Gemm", ["a", "b", "c"], ["y"], broadcast=1, transB=1),
        {"a": f32(4, 5), "b": f32(3, 5), "c": f32(3)},
        lambda a, b, c: a @ b.T + c),
    "batchnorm_is_test": (
        helper.make_node("BatchNormalization", ["a", "s", "b", "m", "v"], ["y"],
                         is_test=1, epsilon=1e-5),
        {"a": f32(2, 3, 4), "s": f32(3), "b": f32(3), "m": f32(3),
         "v": np.abs(f32(3)) + 0.1},
        lambda a, s, b, m, v: (a - m[:, None]) / np.sqrt(v[:, None] + 1e-5)
        * s[:, None] + b[:, None]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_legacy_forms_compute_as_numpy(name, run_tool, tmp_path):
    node, feeds, ref = CASES[name]
    m = model([node], {k: v.shape for k, v in feeds.items()})
    res = run(run_tool, tmp_path, m, feeds)
    assert res.returncode == 0, describe(res)
    got = load_npz(tmp_path / "out.npz")["y"]
    want = ref(*feeds.values())
    assert got.shape == want.shape
    # One f32 op each (Gemm: a 5-term dot product, BatchNormalization: a
    # few roundings): a few ulps of the magnitudes involved.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


BAD = {
    "add_without_broadcast": (
        helper.make_node("Add", ["a", "b"], ["y"], name="bad_add"),
        {"a": (2, 3), "b": (3,)}, ["bad_add", "broadcast is not set"]),
    "axis_outside_a": (
        helper.make_node("Mul", ["a", "b"], ["y"], name="bad_mul", broadcast=1,
                         axis=2),
        {"a": (2, 3, 4), "b": (4, 5)}, ["bad_mul", "axis 2"]),
    "b_does_not_fit": (
        helper.make_node("Sub", ["a", "b"], ["y"], name="bad_sub", broadcast=1,
                         axis=0),
        {"a": (2, 3), "b": (3,)}, ["bad_sub", "does not broadcast"]),
    "gemm_c_without_broadcast": (
        helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="bad_gemm"),
        {"a": (4, 5), "b": (5, 3), "c": (3,)},
        ["bad_gemm", "broadcast is not set"]),
    "batchnorm_training": (
        helper.make_node("BatchNormalization", ["a", "s", "b", "m", "v"], ["y"],
                         name="bad_bn"),
        {"a": (2, 3, 4), "s": (3,), "b": (3,), "m": (3,), "v": (3,)},
        ["bad_bn", "is_test = 0"]),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_legacy_forms_refused_with_a_reason(name, run_tool, tmp_path):
    node, shapes, mentions = BAD[name]
    m = model([node], shapes)
    feeds = {k: f32(*s) for k, s in shapes.items()}
    res = run(run_tool, tmp_path, m, feeds)
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    for s in mentions:
        assert s in res.stderr, describe(res)
    assert not (tmp_path / "out.npz").exists()


def test_opset_7_ignores_the_legacy_attributes(run_tool, tmp_path):
    """From opset 7 on, numpy broadcasting applies: B [3] against A [2, 3]
    without any attribute (and `broadcast` would be an unknown one)."""
    feeds = {"a": f32(2, 3), "b": f32(3)}
    m = model([helper.make_node("Add", ["a", "b"], ["y"])],
              {k: v.shape for k, v in feeds.items()}, opset=7)
    res = run(run_tool, tmp_path, m, feeds)
    assert res.returncode == 0, describe(res)
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"],
                                  feeds["a"] + feeds["b"])
