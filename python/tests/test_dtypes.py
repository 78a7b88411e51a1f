"""Every numeric ONNX element type end to end through quant-run: graph inputs
read from .npz in their own dtype, outputs written in the IR element type's
dtype (bfloat16 as uint16 bit patterns), integer arithmetic that wraps to the
element type exactly as numpy's fixed-width integers do, uint64 values above
2^63 bit-exact, float16/bfloat16 rounding to nearest even, mixed-type Pow
against onnxruntime, and a wrong dtype as a clean error
(docs/Import.md, "Element types")."""
import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto as T, helper, numpy_helper

from conftest import assert_no_crash, load_npz, ort_run

INT_TYPES = [(T.INT8, np.int8), (T.INT16, np.int16), (T.INT32, np.int32),
             (T.INT64, np.int64), (T.UINT8, np.uint8), (T.UINT16, np.uint16),
             (T.UINT32, np.uint32), (T.UINT64, np.uint64)]


def _save(path, nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def _vi(name, elem, shape=("n",)):
    return helper.make_tensor_value_info(name, elem, list(shape))


def _run(check_ok, tmp_path, model, **inputs):
    np.savez(tmp_path / "in.npz", **inputs)
    check_ok("quant-run", model, "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "out.npz")
    return load_npz(tmp_path / "out.npz")


def _operands(np_type, rng, n=64):
    """Values over the whole range, extremes included; b has no zeros."""
    info = np.iinfo(np_type)
    a = rng.integers(info.min, info.max, n, dtype=np_type, endpoint=True)
    b = rng.integers(info.min, info.max, n, dtype=np_type, endpoint=True)
    a[:4] = [info.min, info.max, info.max, 1]
    b[:4] = [info.max, info.max, 1, info.max]
    if info.min < 0:
        a[4], b[4] = info.min, -1  # the one overflowing quotient
    b[b == 0] = 3
    return a, b


def _trunc_div(a, b, np_type):
    """C division (toward zero) in Python integers, wrapped to np_type."""
    bits = np.iinfo(np_type).bits
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        q = abs(x) // abs(y)
        q = q if (x < 0) == (y < 0) else -q
        out.append(q % (1 << bits))
    return np.array(out, np.uint64).astype(np_type)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Mod", "Max", "Min"])
@pytest.mark.parametrize("dtype,np_type", INT_TYPES,
                         ids=[np.dtype(t).name for _, t in INT_TYPES])
def test_integer_ops_wrap_like_numpy(tmp_path, check_ok, op, dtype, np_type):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node(op, ["a", "b"], ["y"])],
          [_vi("a", dtype), _vi("b", dtype)], [_vi("y", dtype)])
    a, b = _operands(np_type, np.random.default_rng(hash(op) % 1000))
    got = _run(check_ok, tmp_path, model, a=a, b=b)["y"]
    with np.errstate(all="ignore"):
        want = {"Add": lambda: a + b, "Sub": lambda: a - b,
                "Mul": lambda: a * b, "Div": lambda: _trunc_div(a, b, np_type),
                # ONNX Mod with fmod=0: the sign of the divisor, as numpy's.
                "Mod": lambda: np.mod(a, b),
                "Max": lambda: np.maximum(a, b),
                "Min": lambda: np.minimum(a, b)}[op]()
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, want)


def test_uint8_add_matches_onnxruntime(tmp_path, check_ok):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Add", ["a", "b"], ["y"])],
          [_vi("a", T.UINT8), _vi("b", T.UINT8)], [_vi("y", T.UINT8)])
    a = np.array([200, 255, 0, 128], np.uint8)
    b = np.array([100, 1, 0, 128], np.uint8)
    got = _run(check_ok, tmp_path, model, a=a, b=b)["y"]
    np.testing.assert_array_equal(got, ort_run(model, {"a": a, "b": b})["y"])
    np.testing.assert_array_equal(got, [44, 0, 0, 0])


def test_uint64_above_2_63_is_bit_exact(tmp_path, check_ok):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Max", ["a", "b"], ["mx"]),
                  helper.make_node("Add", ["a", "b"], ["s"]),
                  helper.make_node("Identity", ["a"], ["same"]),
                  helper.make_node("Cast", ["a"], ["f"], to=T.FLOAT)],
          [_vi("a", T.UINT64), _vi("b", T.UINT64)],
          [_vi("mx", T.UINT64), _vi("s", T.UINT64), _vi("same", T.UINT64),
           _vi("f", T.FLOAT)])
    a = np.array([2**64 - 1, 2**63, 2**63 + 1, 5], np.uint64)
    b = np.array([1, 2**63 - 1, 2**63 + 2, 2**64 - 2], np.uint64)
    out = _run(check_ok, tmp_path, model, a=a, b=b)
    assert out["same"].dtype == np.uint64
    np.testing.assert_array_equal(out["same"], a)
    np.testing.assert_array_equal(out["mx"], np.maximum(a, b))
    np.testing.assert_array_equal(out["s"], a + b)  # wraps mod 2^64
    np.testing.assert_array_equal(out["f"], a.astype(np.float32))
    np.testing.assert_array_equal(out["f"], ort_run(model, {"a": a, "b": b})["f"])


def _float_specials(rng):
    x = rng.standard_normal(200).astype(np.float32) * 1000
    return np.concatenate([x, np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, 65504, 65520, 1e-8, 3e38,
         1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-8, 1 + 3 * 2**-8], np.float32)])


def test_float16_and_bfloat16_outputs_round_to_nearest_even(tmp_path, check_ok):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Cast", ["x"], ["h"], to=T.FLOAT16),
                  helper.make_node("Cast", ["x"], ["b"], to=T.BFLOAT16)],
          [_vi("x", T.FLOAT)], [_vi("h", T.FLOAT16), _vi("b", T.BFLOAT16)])
    x = _float_specials(np.random.default_rng(1))
    out = _run(check_ok, tmp_path, model, x=x)
    assert out["h"].dtype == np.float16
    with np.errstate(over="ignore"):  # 65520 and 3e38 round to inf
        want_h = x.astype(np.float16)
    np.testing.assert_array_equal(out["h"].view(np.uint16),
                                  want_h.view(np.uint16))
    # bfloat16 travels as its uint16 bit pattern (numpy has no bfloat16).
    assert out["b"].dtype == np.uint16
    want = x.astype(ml_dtypes.bfloat16).view(np.uint16)
    nan = np.isnan(x)
    np.testing.assert_array_equal(out["b"][~nan], want[~nan])
    assert np.all(np.isnan(out["b"][nan].view(ml_dtypes.bfloat16)))


def test_float16_bfloat16_double_inputs(tmp_path, check_ok):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Cast", ["h"], ["hf"], to=T.FLOAT),
                  helper.make_node("Cast", ["b"], ["bf"], to=T.FLOAT),
                  helper.make_node("Cast", ["d"], ["df"], to=T.FLOAT),
                  helper.make_node("Cast", ["h"], ["hd"], to=T.DOUBLE)],
          [_vi("h", T.FLOAT16), _vi("b", T.BFLOAT16), _vi("d", T.DOUBLE)],
          [_vi("hf", T.FLOAT), _vi("bf", T.FLOAT), _vi("df", T.FLOAT),
           _vi("hd", T.DOUBLE)])
    rng = np.random.default_rng(2)
    h = np.arange(0, 65536, 97, dtype=np.uint32).astype(np.uint16).view(np.float16)
    b = rng.integers(0, 65536, h.size, dtype=np.uint16)  # bf16 bit patterns
    d = rng.standard_normal(h.size) * 1e3
    out = _run(check_ok, tmp_path, model, h=h, b=b, d=d)
    np.testing.assert_array_equal(out["hf"], h.astype(np.float32))
    np.testing.assert_array_equal(out["bf"],
                                  b.view(ml_dtypes.bfloat16).astype(np.float32))
    np.testing.assert_array_equal(out["df"], d.astype(np.float32))
    assert out["hd"].dtype == np.float64
    np.testing.assert_array_equal(out["hd"], h.astype(np.float64))


def test_float16_max_and_float64_mod_match_onnxruntime(tmp_path, check_ok):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Max", ["h", "h2"], ["mx"]),
                  helper.make_node("Mod", ["d", "d2"], ["md"], fmod=1)],
          [_vi("h", T.FLOAT16), _vi("h2", T.FLOAT16), _vi("d", T.DOUBLE),
           _vi("d2", T.DOUBLE)],
          [_vi("mx", T.FLOAT16), _vi("md", T.DOUBLE)])
    rng = np.random.default_rng(3)
    ins = {"h": rng.standard_normal(50).astype(np.float16),
           "h2": rng.standard_normal(50).astype(np.float16),
           "d": rng.standard_normal(50) * 10, "d2": rng.standard_normal(50) + 3}
    out = _run(check_ok, tmp_path, model, **ins)
    ref = ort_run(model, ins)
    np.testing.assert_array_equal(out["mx"], ref["mx"])
    # float64 is computed in float32 (docs/Import.md): fmod of f32-rounded
    # operands, within the f32 rounding of the inputs.
    assert out["md"].dtype == np.float64
    np.testing.assert_allclose(out["md"], ref["md"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("xt,yt", [(np.float32, np.int64), (np.float32, np.int32),
                                   (np.int32, np.float32), (np.int64, np.int64),
                                   (np.int32, np.int32)])
def test_pow_mixed_types_match_onnxruntime(tmp_path, check_ok, xt, yt):
    # (onnxruntime has no Pow kernel for unsigned exponents; the Executor's
    # float ^ uint32 is checked in ExecutorDTypeTests.)
    onnx_type = {np.float32: T.FLOAT, np.int64: T.INT64, np.uint32: T.UINT32,
                 np.int32: T.INT32}
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Pow", ["x", "y"], ["z"])],
          [_vi("x", onnx_type[xt]), _vi("y", onnx_type[yt])],
          [_vi("z", onnx_type[xt])], opset=15)
    x = np.array([2, 3, -2, 5, 1, 0, 7], xt)
    y = np.array([3, 0, 5, 2, 9, 4, 1], yt)
    if np.issubdtype(yt, np.floating):
        # Non-negative bases: a NaN result's integer cast is undefined.
        x, y = np.abs(x), y + yt(0.5)
    got = _run(check_ok, tmp_path, model, x=x, y=y)["z"]
    want = ort_run(model, {"x": x, "y": y})["z"]
    assert got.dtype == want.dtype == xt
    np.testing.assert_array_equal(got, want)


def test_int8_clip_with_constant_bounds(tmp_path, check_ok):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
          [_vi("x", T.INT8)], [_vi("y", T.INT8)],
          [numpy_helper.from_array(np.array(-5, np.int8), "lo"),
           numpy_helper.from_array(np.array(100, np.int8), "hi")], opset=13)
    x = np.arange(-128, 128, dtype=np.int8)
    got = _run(check_ok, tmp_path, model, x=x)["y"]
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, np.clip(x, -5, 100))
    np.testing.assert_array_equal(got, ort_run(model, {"x": x})["y"])


@pytest.mark.parametrize("elem,given,msg", [
    (T.UINT16, np.array([1, 2], np.int32),
     "input 'x' has dtype int32, which does not fit the model's 'ui16'"),
    (T.UINT64, np.array([1, 2], np.int64),
     "input 'x' has dtype int64, which does not fit the model's 'ui64'"),
    (T.FLOAT16, np.array([1, 2], np.uint16),
     "input 'x' has dtype uint16 but the model expects float16"),
    (T.UINT8, np.array([1, 2], np.float32),
     "input 'x' has dtype float32 but 'ui8' codes are passed as uint8"),
])
def test_wrong_dtype_is_a_clean_error(tmp_path, run_tool, elem, given, msg):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Identity", ["x"], ["y"])],
          [_vi("x", elem)], [_vi("y", elem)])
    np.savez(tmp_path / "in.npz", x=given)
    res = run_tool("quant-run", model, "--inputs", tmp_path / "in.npz",
                   "--outputs", tmp_path / "out.npz")
    assert_no_crash(res)
    assert res.returncode == 1, res.stderr
    assert msg in res.stderr, res.stderr
    assert not (tmp_path / "out.npz").exists()


def test_initializers_next_to_inputs_of_their_type(tmp_path, check_ok):
    """FLOAT16/INT32/DOUBLE initializers (imported as f32 / i64) are cast back
    to their ONNX type next to an input of that type."""
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Add", ["h", "ch"], ["a"]),
                  helper.make_node("Mul", ["ci", "i"], ["m"]),
                  helper.make_node("Sub", ["d", "cd"], ["s"])],
          [_vi("h", T.FLOAT16, (3,)), _vi("i", T.INT32, (3,)),
           _vi("d", T.DOUBLE, (3,))],
          [_vi("a", T.FLOAT16, (3,)), _vi("m", T.INT32, (3,)),
           _vi("s", T.DOUBLE, (3,))],
          [numpy_helper.from_array(np.array([0.5, -1, 2], np.float16), "ch"),
           numpy_helper.from_array(np.array([3, -4, 2**30], np.int32), "ci"),
           numpy_helper.from_array(np.array([0.25, 1.5, -7], np.float64), "cd")])
    ins = {"h": np.array([1, 2.5, -3], np.float16),
           "i": np.array([7, 9, 4], np.int32),
           "d": np.array([1, 2, 3], np.float64)}
    out = _run(check_ok, tmp_path, model, **ins)
    ref = ort_run(model, ins)
    for k in "ams":
        assert out[k].dtype == ref[k].dtype
        np.testing.assert_array_equal(out[k], ref[k])  # 2^30 * 4 wraps to 0


@pytest.mark.parametrize("raw", [True, False], ids=["raw_data", "typed_field"])
def test_initializers_of_their_own_integer_type(tmp_path, check_ok, raw):
    """INT16/UINT16/UINT32/UINT64/BOOL initializers import in their own type,
    from raw_data and from the typed fields (int32_data, uint64_data)."""
    consts = {"c16": (T.INT16, np.array([-32768, -1, 7], np.int16)),
              "cu16": (T.UINT16, np.array([65535, 1, 0], np.uint16)),
              "cu32": (T.UINT32, np.array([2**32 - 1, 5, 2**31], np.uint32)),
              "cu64": (T.UINT64, np.array([2**64 - 1, 2**63, 3], np.uint64)),
              "cb": (T.BOOL, np.array([True, False, True]))}
    inits = []
    for name, (elem, v) in consts.items():
        if raw:
            inits.append(numpy_helper.from_array(v, name))
        else:
            inits.append(helper.make_tensor(name, elem, [3], v.tolist()))
    names = ["c16", "cu16", "cu32", "cu64"]
    nodes = [helper.make_node("Add", [f"x{k}", c], [f"y{k}"])
             for k, c in enumerate(names)]
    nodes += [helper.make_node("Neg", ["f"], ["nf"]),
              helper.make_node("Where", ["cb", "f", "nf"], ["w"])]
    model = tmp_path / "m.onnx"
    elems = [consts[c][0] for c in names]
    _save(model, nodes,
          [_vi(f"x{k}", e, (3,)) for k, e in enumerate(elems)] +
          [_vi("f", T.FLOAT, (3,))],
          [_vi(f"y{k}", e, (3,)) for k, e in enumerate(elems)] +
          [_vi("w", T.FLOAT, (3,))], inits)
    ins = {f"x{k}": np.array([1, 2, 3], consts[c][1].dtype)
           for k, c in enumerate(names)}
    ins["f"] = np.array([1.5, 2.5, 3.5], np.float32)
    out = _run(check_ok, tmp_path, model, **ins)
    ref = ort_run(model, ins)
    for k in range(4):
        assert out[f"y{k}"].dtype == ref[f"y{k}"].dtype
        np.testing.assert_array_equal(out[f"y{k}"], ref[f"y{k}"])
    np.testing.assert_array_equal(out["w"], ref["w"])


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype,np_type", INT_TYPES[4:],
                         ids=[np.dtype(t).name for _, t in INT_TYPES[4:]])
def test_bitshift_matches_numpy_and_onnxruntime(tmp_path, check_ok, direction, dtype,
                                      np_type):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("BitShift", ["x", "s"], ["y"],
                                   direction=direction)],
          [_vi("x", dtype), _vi("s", dtype)], [_vi("y", dtype)], opset=11)
    bits = np.iinfo(np_type).bits
    rng = np.random.default_rng(bits)
    x = rng.integers(0, np.iinfo(np_type).max, 32, dtype=np_type, endpoint=True)
    s = rng.integers(0, bits - 1, 32, dtype=np_type, endpoint=True)
    got = _run(check_ok, tmp_path, model, x=x, s=s)["y"]
    # numpy's fixed-width shifts drop the bits leaving the width, as ONNX
    # (onnxruntime has no uint16 BitShift kernel).
    want = np.left_shift(x, s) if direction == "LEFT" else np.right_shift(x, s)
    assert got.dtype == np_type
    np.testing.assert_array_equal(got, want)
    if np_type != np.uint16:
        np.testing.assert_array_equal(got, ort_run(model, {"x": x, "s": s})["y"])


@pytest.mark.parametrize("dtype,np_type", [(T.UINT8, np.uint8), (T.INT8, np.int8),
                                           (T.UINT16, np.uint16), (T.UINT64, np.uint64)],
                         ids=["uint8", "int8", "uint16", "uint64"])
def test_where_and_comparisons_on_narrow_and_unsigned_types(tmp_path, check_ok,
                                                            dtype, np_type):
    model = tmp_path / "m.onnx"
    _save(model, [helper.make_node("Less", ["a", "b"], ["lt"]),
                  helper.make_node("Where", ["lt", "a", "b"], ["w"]),
                  helper.make_node("Equal", ["a", "b"], ["eq"])],
          [_vi("a", dtype), _vi("b", dtype)],
          [_vi("lt", T.BOOL), _vi("w", dtype), _vi("eq", T.BOOL)])
    a, b = _operands(np_type, np.random.default_rng(5))
    b[5] = a[5]
    out = _run(check_ok, tmp_path, model, a=a, b=b)
    np.testing.assert_array_equal(out["lt"], a < b)
    assert out["w"].dtype == np_type
    np.testing.assert_array_equal(out["w"], np.minimum(a, b))
    np.testing.assert_array_equal(out["eq"], a == b)
