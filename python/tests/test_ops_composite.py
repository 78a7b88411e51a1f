"""ONNX ops the importer spells with other qc ops (docs/Import.md,
"Composite ops"): PRelu, Hardmax, InstanceNormalization, Dropout (inference),
DepthToSpace, SpaceToDepth, OneHot, EyeLike, LRN, LpNormalization and
Einsum, each against ONNX Runtime (Einsum against numpy),
with free batch dims, the edge cases of each, export, and the errors of
what is refused.

Tolerances: everything is bit-exact against ONNX Runtime except
InstanceNormalization, whose statistics the Executor sums in double (as its
layer norm: docs/Ops-math.md) and ONNX Runtime in float: rtol 1e-5 / atol
1e-5 covers that rounding for unit-scale inputs of a few hundred elements
per channel.
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto as T, helper as h, numpy_helper

from conftest import assert_no_crash, describe, load_npz, ort_run

F, I64 = T.FLOAT, T.INT64


def _model(path, nodes, inputs, outputs, inits=(), opset=17):
    g = h.make_graph(nodes, "g",
                     [h.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                     [h.make_tensor_value_info(n, t, s) for n, t, s in outputs],
                     [numpy_helper.from_array(a, n) for n, a in inits])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def _both(tmp, check_ok, model, feeds):
    np.savez(tmp / "in.npz", **feeds)
    check_ok("quant-run", model, "--inputs", tmp / "in.npz", "--outputs",
             tmp / "out.npz")
    return load_npz(tmp / "out.npz"), ort_run(model, feeds)


def _exact(tmp, check_ok, model, feeds):
    got, ref = _both(tmp, check_ok, model, feeds)
    assert sorted(got) == sorted(ref)
    for k in ref:
        assert got[k].shape == ref[k].shape, k
        assert got[k].dtype == ref[k].dtype, (k, got[k].dtype, ref[k].dtype)
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)


def _rng():
    return np.random.default_rng(31)


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,), (5,)])
def test_prelu(slope_shape, tmp_path, check_ok):
    """Per-channel, single and per-column slopes (unidirectional
    broadcast), NaN kept, the batch free."""
    x = _rng().standard_normal((2, 3, 4, 5)).astype(np.float32)
    x[0, 0, 0, :2] = [np.nan, -0.0]
    slope = _rng().standard_normal(slope_shape).astype(np.float32)
    m = _model(tmp_path / "m.onnx", [h.make_node("PRelu", ["x", "s"], ["y"])],
               [("x", F, ["n", 3, 4, 5])], [("y", F, ["n", 3, 4, 5])],
               [("s", slope)])
    _exact(tmp_path, check_ok, m, {"x": x})


@pytest.mark.parametrize("opset,axis", [(13, -1), (13, 0), (11, 1),
                                        (11, 2)])
def test_hardmax(opset, axis, tmp_path, check_ok):
    """Ties (small integers) mark the first index; before opset 13 the
    input is flattened to 2-D at the axis."""
    x = (_rng().integers(-2, 3, (3, 4, 5))).astype(np.float32)
    m = _model(tmp_path / "m.onnx",
               [h.make_node("Hardmax", ["x"], ["y"], axis=axis)],
               [("x", F, [3, 4, 5])], [("y", F, [3, 4, 5])], opset=opset)
    _exact(tmp_path, check_ok, m, {"x": x})


@pytest.mark.parametrize("shape", [(2, 3, 7), (1, 4, 5, 6), (2, 2, 3, 4, 2)])
def test_instance_norm(shape, tmp_path, check_ok):
    c = shape[1]
    x = (_rng().standard_normal(shape) * 3 + 1).astype(np.float32)
    s = _rng().standard_normal(c).astype(np.float32)
    b = _rng().standard_normal(c).astype(np.float32)
    free = ["n", *shape[1:]]
    m = _model(tmp_path / "m.onnx",
               [h.make_node("InstanceNormalization", ["x", "s", "b"], ["y"],
                            epsilon=1e-3)],
               [("x", F, free)], [("y", F, free)], [("s", s), ("b", b)])
    got, ref = _both(tmp_path, check_ok, m, {"x": x})
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [7, 13])
def test_dropout_is_the_identity(opset, tmp_path, check_ok):
    """Inference: the output is the input, the mask all true (all 1.0 in
    the input's type before opset 10), also with a free batch."""
    x = _rng().standard_normal((3, 4)).astype(np.float32)
    mask_t = T.BOOL if opset >= 10 else F
    attrs = {"ratio": 0.3} if opset < 12 else {}  # an input from 12 on
    m = _model(tmp_path / "m.onnx",
               [h.make_node("Dropout", ["x"], ["y", "mask"], **attrs)],
               [("x", F, ["n", 4])], [("y", F, ["n", 4]),
                                      ("mask", mask_t, ["n", 4])],
               opset=opset)
    got, _ = _both(tmp_path, check_ok, m, {"x": x})
    np.testing.assert_array_equal(got["y"], x)
    assert got["mask"].shape == x.shape and got["mask"].all()


def test_dropout_training_mode(tmp_path, run_tool, check_ok):
    """A constant training_mode = true with ratio 0 is the identity (ONNX
    Runtime agrees); with a ratio it is random and refused."""
    x = _rng().standard_normal((3, 4)).astype(np.float32)
    for ratio, ok in ((0.0, True), (0.5, False)):
        m = _model(tmp_path / "m.onnx",
                   [h.make_node("Dropout", ["x", "r", "t"], ["y"])],
                   [("x", F, [3, 4])], [("y", F, [3, 4])],
                   [("r", np.array(ratio, np.float32)),
                    ("t", np.array(True))], opset=13)
        if ok:
            _exact(tmp_path, check_ok, m, {"x": x})
            continue
        res = run_tool("quant-translate", "--import-onnx", m)
        assert_no_crash(res)
        assert res.returncode == 1, describe(res)
        assert "training_mode = true drops elements at random" in res.stderr


@pytest.mark.parametrize("op,attrs,shape", [
    ("DepthToSpace", {"blocksize": 2}, (2, 8, 3, 5)),
    ("DepthToSpace", {"blocksize": 2, "mode": "CRD"}, (2, 8, 3, 5)),
    ("DepthToSpace", {"blocksize": 3}, (1, 9, 2, 2)),
    ("SpaceToDepth", {"blocksize": 2}, (2, 3, 4, 6))])
def test_depth_space(op, attrs, shape, tmp_path, check_ok):
    x = _rng().standard_normal(shape).astype(np.float32)
    ref = ort_run(_model(tmp_path / "r.onnx",
                         [h.make_node(op, ["x"], ["y"], **attrs)],
                         [("x", F, list(shape))], [("y", F, None)]),
                  {"x": x})["y"]
    m = _model(tmp_path / "m.onnx", [h.make_node(op, ["x"], ["y"], **attrs)],
               [("x", F, ["n", *shape[1:]])], [("y", F, None)])
    got, _ = _both(tmp_path, check_ok, m, {"x": x})
    np.testing.assert_array_equal(got["y"], ref)


@pytest.mark.parametrize("depth_const", [True, False])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot(depth_const, axis, tmp_path, check_ok):
    """Negative indices count from depth, out-of-range ones give a row of
    off values; float indices and depth truncate; a run-time depth. (ONNX
    Runtime's OneHot takes some type triples only: float indices, depth
    and values is one.)"""
    idx = np.array([[0, 3, -1], [9, -5, 2]], np.float32)
    depth = np.array([4.7], np.float32)
    vals = np.array([-2, 7], np.float32)
    ins = [("i", F, [2, 3]), ("v", F, [2])]
    inits = [("d", depth)] if depth_const else []
    if not depth_const:
        ins.append(("d", F, [1]))
    m = _model(tmp_path / "m.onnx",
               [h.make_node("OneHot", ["i", "d", "v"], ["y"], axis=axis)],
               ins, [("y", F, None)], inits, opset=11)
    feeds = {"i": idx, "v": vals}
    if not depth_const:
        feeds["d"] = depth
    _exact(tmp_path, check_ok, m, feeds)


def test_one_hot_truncates_float_indices(tmp_path, check_ok):
    """The spec casts non-integer indices to int64 (2.9 -> 2, -1.5 -> -1 ->
    depth - 1); ONNX Runtime instead compares the float with each position
    and marks nothing, so this is checked against the spec's rule."""
    m = _model(tmp_path / "m.onnx",
               [h.make_node("OneHot", ["i", "d", "v"], ["y"])],
               [("i", F, [3])], [("y", F, None)],
               [("d", np.array(4, np.int64)),
                ("v", np.array([0, 1], np.float32))], opset=11)
    np.savez(tmp_path / "in.npz", i=np.array([2.9, -1.5, 0.2], np.float32))
    check_ok("quant-run", m, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"],
                                  np.eye(4, dtype=np.float32)[[2, 3, 0]])


@pytest.mark.parametrize("k,dtype", [(0, None), (2, T.INT32), (-1, T.DOUBLE),
                                     (7, T.INT64)])
def test_eye_like(k, dtype, tmp_path, check_ok):
    attrs = {"k": k} | ({"dtype": dtype} if dtype is not None else {})
    out_t = F if dtype is None else dtype
    m = _model(tmp_path / "m.onnx",
               [h.make_node("EyeLike", ["x"], ["y"], **attrs)],
               [("x", F, [3, 5])], [("y", out_t, [3, 5])])
    _exact(tmp_path, check_ok, m, {"x": np.zeros((3, 5), np.float32)})


def test_composites_export(tmp_path, check_ok):
    """The qc ops they become export back to ONNX that ONNX Runtime runs
    to the same values."""
    x = _rng().standard_normal((2, 8, 2, 2)).astype(np.float32)
    s = np.linspace(-1, 1, 8).astype(np.float32)
    m = _model(tmp_path / "m.onnx",
               [h.make_node("InstanceNormalization", ["x", "g", "b"], ["n"]),
                h.make_node("PRelu", ["n", "s"], ["p"]),
                h.make_node("DepthToSpace", ["p"], ["d"], blocksize=2),
                h.make_node("Hardmax", ["d"], ["y"], axis=1)],
               [("x", F, [2, 8, 2, 2])], [("y", F, None)],
               [("g", s), ("b", s[::-1].copy()), ("s", s.reshape(8, 1, 1))])
    check_ok("quant-translate", "--import-onnx", m, "-o", tmp_path / "m.mlir")
    check_ok("quant-translate", "--export-onnx", tmp_path / "m.mlir", "-o",
             tmp_path / "e.onnx")
    np.savez(tmp_path / "in.npz", x=x)
    check_ok("quant-run", tmp_path / "m.mlir", "--inputs",
             tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    got = ort_run(tmp_path / "e.onnx", {"x": x})["y"]
    np.testing.assert_array_equal(got, load_npz(tmp_path / "out.npz")["y"])
    np.testing.assert_array_equal(got, ort_run(m, {"x": x})["y"])


@pytest.mark.parametrize("nodes,inputs,needle", [
    ([h.make_node("PRelu", ["x", "s"], ["y"])],
     [("x", F, [2, 3]), ("s", F, [4])],
     "slope of shape 4 does not broadcast to the input's 2x3"),
    ([h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2)],
     [("x", F, [1, 6, 2, 2])],
     "channels 6 are not a multiple of blocksize^2 = 4"),
    ([h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2)],
     [("x", F, [1, 4, "h", 2])],
     "input must be [N, C, H, W] with static C, H and W"),
    ([h.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)],
     [("x", F, [1, 4, 3, 2])],
     "height 3 and width 2 must be multiples of blocksize 2"),
    ([h.make_node("OneHot", ["i", "d", "v"], ["y"])],
     [("i", I64, [3]), ("d", I64, [2]), ("v", F, [2])],
     "depth must hold one value"),
    ([h.make_node("OneHot", ["i", "d", "v"], ["y"])],
     [("i", I64, [3]), ("d", I64, [1]), ("v", F, [3])],
     "values must be [2] (off, on)"),
    ([h.make_node("EyeLike", ["x"], ["y"])], [("x", F, [2, 3, 4])],
     "input must be 2-D with a static shape"),
    ([h.make_node("InstanceNormalization", ["x", "s", "b"], ["y"])],
     [("x", F, [2, 3, 4]), ("s", F, [4]), ("b", F, [3])],
     "scale must be [3], got 4"),
    ([h.make_node("Dropout", ["x", "r", "t"], ["y"])],
     [("x", F, [2]), ("r", F, []), ("t", T.BOOL, [])],
     "training_mode must be a constant"),
    ([h.make_node("LRN", ["x"], ["y"], size=3)], [("x", F, [1, "c", 4])],
     "needs a static channel count"),
    ([h.make_node("LRN", ["x"], ["y"])], [("x", F, [1, 3, 4])],
     "attribute 'size' is required"),
    ([h.make_node("LpNormalization", ["x"], ["y"], p=3)], [("x", F, [2])],
     "attribute 'p' must be 1 or 2, got 3"),
])
def test_refused_with_the_node(nodes, inputs, needle, tmp_path, run_tool):
    m = _model(tmp_path / "m.onnx", nodes, inputs, [("y", F, None)],
               opset=13)
    res = run_tool("quant-translate", "--import-onnx", m)
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    assert "node #0" in res.stderr and needle in res.stderr, describe(res)


def test_review_edge_cases(tmp_path, check_ok, run_tool):
    """Found in review: a non-BOOL training_mode and a non-float ratio are
    node errors (they crashed); a uint8 constant depth takes the run-time
    path (it was misread as 0); an empty H gives DepthToSpace's empty
    result (ONNX Runtime agrees)."""
    for inits, needle in (
            ([("t", np.array(1.0, np.float32))],
             "training_mode must be a BOOL tensor"),
            ([("r", np.array(1, np.int64)), ("t", np.array(True))],
             "ratio must be a float tensor")):
        names = ["x", "r" if len(inits) == 2 else "", "t"]
        m = _model(tmp_path / "d.onnx",
                   [h.make_node("Dropout", names, ["y"])],
                   [("x", F, [2])], [("y", F, [2])], inits, opset=13)
        res = run_tool("quant-translate", "--import-onnx", m)
        assert_no_crash(res)
        assert res.returncode == 1 and needle in res.stderr, describe(res)
    m = _model(tmp_path / "o.onnx",
               [h.make_node("OneHot", ["i", "d", "v"], ["y"])],
               [("i", I64, [3])], [("y", F, None)],
               [("d", np.array([3], np.uint8)),
                ("v", np.array([0, 1], np.float32))], opset=11)
    np.savez(tmp_path / "in.npz", i=np.array([0, 2, -1]))
    check_ok("quant-run", m, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"],
                                  np.eye(3, dtype=np.float32)[[0, 2, 2]])
    x = np.zeros((2, 8, 0, 2), np.float32)
    m = _model(tmp_path / "e.onnx",
               [h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2)],
               [("x", F, [2, 8, 0, 2])], [("y", F, None)])
    _exact(tmp_path, check_ok, m, {"x": x})


@pytest.mark.parametrize("size,shape", [(3, (2, 5, 4, 3)), (5, (1, 6, 7, 1)),
                                        (1, (2, 3, 2, 2))])
def test_lrn(size, shape, tmp_path, check_ok):
    """Windows of 1, 3 and 5 channels (ONNX Runtime takes rank 4 only; the
    even-size test below covers rank 3). The window mean is an average
    pool summed in another order than ONNX Runtime's loop: rtol 1e-5
    covers that rounding."""
    x = (_rng().standard_normal(shape) * 4).astype(np.float32)
    m = _model(tmp_path / "m.onnx",
               [h.make_node("LRN", ["x"], ["y"], size=size, alpha=0.02,
                            beta=0.6, bias=1.5)],
               [("x", F, ["n", *shape[1:]])], [("y", F, ["n", *shape[1:]])])
    got, ref = _both(tmp_path, check_ok, m, {"x": x})
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("p,axis", [(1, -1), (2, 0), (2, 1)])
def test_lp_normalization(p, axis, tmp_path, check_ok):
    """A zero line gives zeros (as ONNX Runtime), not NaN. rtol 1e-6: the
    norm is summed in double here, in float there."""
    x = _rng().standard_normal((3, 4)).astype(np.float32)
    x[1, :] = 0
    x[:, 2] = 0
    m = _model(tmp_path / "m.onnx",
               [h.make_node("LpNormalization", ["x"], ["y"], p=p,
                            axis=axis)],
               [("x", F, [3, 4])], [("y", F, [3, 4])])
    got, ref = _both(tmp_path, check_ok, m, {"x": x})
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-6, atol=1e-7)


def test_lrn_even_size_follows_the_spec(tmp_path, check_ok):
    """An even window takes floor((size-1)/2) channels before and the rest
    after (ONNX's definition; ONNX Runtime refuses even sizes): checked
    against that formula in numpy, rtol 1e-5 as above."""
    x = (_rng().standard_normal((2, 6, 3)) * 3).astype(np.float32)
    size, alpha, beta, bias = 4, 0.05, 0.7, 2.0
    m = _model(tmp_path / "m.onnx",
               [h.make_node("LRN", ["x"], ["y"], size=size, alpha=alpha,
                            beta=beta, bias=bias)],
               [("x", F, [2, 6, 3])], [("y", F, [2, 6, 3])])
    np.savez(tmp_path / "in.npz", x=x)
    check_ok("quant-run", m, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    x64 = x.astype(np.float64)
    sq = np.zeros_like(x64)
    for c in range(6):
        lo, hi = max(0, c - (size - 1) // 2), min(5, c + size // 2)
        sq[:, c] = (x64[:, lo:hi + 1] ** 2).sum(axis=1)
    ref = x64 / (bias + alpha / size * sq) ** beta
    np.testing.assert_allclose(load_npz(tmp_path / "out.npz")["y"], ref,
                               rtol=1e-5, atol=1e-6)


EINSUMS = [
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(2, 5, 3, 4), (5, 4, 2)]),
    ("...ij,...jk", [(2, 1, 3, 4), (1, 4, 2)]),
    ("i,i", [(4,), (4,)]), ("ij->", [(3, 4)]), ("ij->ji", [(3, 4)]),
    ("ij,kl->ijkl", [(2, 3), (4, 5)]), ("abc,cd->abd", [(2, 3, 4), (4, 5)]),
    ("bij,bjk->bik", [("n", 3, 4), ("n", 4, 2)]),
    ("ijk,jkl->il", [(2, 3, 4), (3, 4, 5)]), ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,jk->ki", [(3, 4), (4, 5)]), ("xyz,z->xy", [(2, 3, 4), (4,)]),
    ("ab,b->", [(3, 2), (2,)]), ("ab,cb->", [(3, 2), (4, 2)]),
    # Uppercase letters (implicit order: uppercase first, as numpy), and
    # empty extents among the flattened letters (review).
    ("Ij,jk->Ik", [(3, 4), (4, 2)]), ("bA,Ac", [(2, 3), (3, 4)]),
    ("ijk,kl->ijl", [(2, 0, 3), (3, 4)]), ("ij,jk->ik", [(2, 0), (0, 4)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum(eq, shapes, tmp_path, check_ok):
    """Against numpy's einsum (the spec's reference; ONNX Runtime refuses
    ellipses of different ranks): batch letters, contractions, outer
    products, letters summed in one operand, implicit outputs, a free
    batch. rtol 1e-5: the contraction is one matmul, summed in another
    order than numpy's."""
    rng = _rng()
    ins = [(f"x{i}", F, list(s)) for i, s in enumerate(shapes)]
    m = _model(tmp_path / "m.onnx",
               [h.make_node("Einsum", [n for n, _, _ in ins], ["y"],
                            equation=eq)], ins, [("y", F, None)], opset=13)
    feeds = {f"x{i}": rng.standard_normal(
        tuple(2 if d == "n" else d for d in s)).astype(np.float32)
        for i, s in enumerate(shapes)}
    np.savez(tmp_path / "in.npz", **feeds)
    check_ok("quant-run", m, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    ref = np.einsum(eq, *[v.astype(np.float64) for v in feeds.values()])
    got = load_npz(tmp_path / "out.npz")["y"]
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eq,shapes,needle", [
    ("ii->i", [(3, 3)], "repeat a letter (a diagonal): not supported yet"),
    ("i1->i", [(3, 3)], "only letters and one '...'"),
    ("ijk->i", [(3, 3)], "do not match an operand of rank 2"),
    ("ij,jk->iz", [(2, 3), (3, 4)], "name one no operand has"),
    ("ij,jk,kl->il", [(2, 3), (3, 4)], "names 3 operand(s), the node has 2"),
    ("ij,jk->ik", [(2, "m"), ("m", 4)], "the extent of 'j' must be static"),
])
def test_einsum_refused(eq, shapes, needle, tmp_path, run_tool):
    ins = [(f"x{i}", F, list(s)) for i, s in enumerate(shapes)]
    m = _model(tmp_path / "m.onnx",
               [h.make_node("Einsum", [n for n, _, _ in ins], ["y"],
                            equation=eq)], ins, [("y", F, None)], opset=13)
    res = run_tool("quant-translate", "--import-onnx", m)
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    assert "node #0" in res.stderr and needle in res.stderr, describe(res)


def test_second_review_edge_cases(tmp_path, check_ok, run_tool):
    """Found in the second review: LRN of an empty tensor is that tensor;
    OneHot takes a uint64 depth; attributes an opset does not define are
    errors (ONNX Runtime refuses them too)."""
    x = np.zeros((1, 3, 0, 2), np.float32)
    m = _model(tmp_path / "l.onnx", [h.make_node("LRN", ["x"], ["y"], size=3)],
               [("x", F, [1, 3, 0, 2])], [("y", F, [1, 3, 0, 2])])
    _exact(tmp_path, check_ok, m, {"x": x})
    m = _model(tmp_path / "o.onnx",
               [h.make_node("OneHot", ["i", "d", "v"], ["y"])],
               [("i", I64, [3]), ("d", T.UINT64, [])], [("y", F, None)],
               [("v", np.array([0, 1], np.float32))], opset=11)
    np.savez(tmp_path / "in.npz", i=np.array([0, 2, 1]),
             d=np.array(3, np.uint64))
    check_ok("quant-run", m, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "out.npz")
    np.testing.assert_array_equal(load_npz(tmp_path / "out.npz")["y"],
                                  np.eye(3, dtype=np.float32)[[0, 2, 1]])
    for nodes, ins, opset, needle in (
            ([h.make_node("ScatterND", ["x", "i", "u"], ["y"],
                          reduction="add")],
             [("x", F, [2]), ("i", I64, [1, 1]), ("u", F, [1])], 13,
             "attribute 'reduction' exists from opset 16 on"),
            ([h.make_node("GatherND", ["x", "i"], ["y"], batch_dims=1)],
             [("x", F, [2, 3]), ("i", I64, [2, 1])], 11,
             "attribute 'batch_dims' exists from opset 12 on")):
        m = _model(tmp_path / "a.onnx", nodes, ins, [("y", F, None)],
                   opset=opset)
        res = run_tool("quant-translate", "--import-onnx", m)
        assert_no_crash(res)
        assert res.returncode == 1 and needle in res.stderr, describe(res)


@pytest.mark.parametrize("axes", [None, [1], [-1, 0]])
def test_mean_variance_normalization(axes, tmp_path, check_ok):
    """ONNX's function body against ONNX Runtime; rtol 1e-5 as
    InstanceNormalization (means summed in double here)."""
    x = (_rng().standard_normal((2, 3, 4, 5)) * 2 + 1).astype(np.float32)
    attrs = {} if axes is None else {"axes": axes}
    m = _model(tmp_path / "m.onnx",
               [h.make_node("MeanVarianceNormalization", ["x"], ["y"],
                            **attrs)],
               [("x", F, [2, 3, 4, 5])], [("y", F, [2, 3, 4, 5])], opset=13)
    got, ref = _both(tmp_path, check_ok, m, {"x": x})
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op", ["HannWindow", "HammingWindow",
                                "BlackmanWindow"])
@pytest.mark.parametrize("periodic,const", [(1, True), (0, False)])
def test_windows(op, periodic, const, tmp_path, check_ok):
    """A constant or run-time size, periodic or symmetric, float64 out.
    atol 1e-6: cos in float32 here and in ONNX Runtime, of angles up to
    2 pi; the values are at most 1."""
    size = np.array(10, np.int64)
    ins, inits, feeds = [], [], {}
    if const:
        inits = [("s", size)]
    else:
        ins = [("s", I64, [])]
        feeds = {"s": size}
    m = _model(tmp_path / "m.onnx",
               [h.make_node(op, ["s"], ["y"], periodic=periodic,
                            output_datatype=T.DOUBLE)],
               ins, [("y", T.DOUBLE, [10])], inits)
    got, ref = _both(tmp_path, check_ok, m, feeds)
    assert got["y"].dtype == np.float64
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("center,params", [
    (0, (3, 0.5, 0.2)), (1, (2, 0.3, None)), (0, (100, 0.0, None)),
    (0, None)])
def test_non_max_suppression(center, params, tmp_path, check_ok):
    """qc.non_max_suppression (docs/Ops-nn.md N17) against ONNX Runtime:
    two batches, three classes, 40 random boxes with repeated scores (the
    lower index first), flipped corners, the center format, absent
    parameters (no output without max_output_boxes_per_class)."""
    rng = _rng()
    xy = rng.uniform(0, 10, (2, 40, 2))
    wh = rng.uniform(0.5, 4, (2, 40, 2))
    if center:
        boxes = np.concatenate([xy, wh], -1)
    else:
        boxes = np.concatenate([xy, xy + wh], -1)[..., [1, 0, 3, 2]]
        boxes[:, ::3] = boxes[:, ::3][..., [2, 3, 0, 1]]  # flipped corners
    scores = np.round(rng.uniform(0, 1, (2, 3, 40)), 1)
    feeds = {"b": boxes.astype(np.float32), "s": scores.astype(np.float32)}
    names = ["b", "s"]
    inits = []
    if params is not None:
        for name, v, dt in zip(("m", "i", "t"), params,
                               (np.int64, np.float32, np.float32)):
            if v is None:
                continue
            names.append(name)
            inits.append((name, np.array([v], dt)))
    m = _model(tmp_path / "m.onnx",
               [h.make_node("NonMaxSuppression", names, ["y"],
                            center_point_box=center)],
               [("b", F, [2, 40, 4]), ("s", F, [2, 3, 40])],
               [("y", I64, None)], inits, opset=11)
    _exact(tmp_path, check_ok, m, feeds)
