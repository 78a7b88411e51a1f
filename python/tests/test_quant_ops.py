"""ONNX QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear / Cast
through quant-run, compared bit-exactly with the ONNX backend node tests
(Debian's libonnx-testdata) and with numpy/ml_dtypes references
(docs/Quantization-ops.md; rules F21-F26 of docs/Formats.md)."""
from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import describe, load_npz

NODE_DIR = Path("/usr/share/libonnx-testdata/data/node")
NODE_TESTS = [
    "test_quantizelinear",
    "test_quantizelinear_axis",
    "test_dequantizelinear",
    "test_dequantizelinear_axis",
    "test_dynamicquantizelinear",
    "test_dynamicquantizelinear_max_adjusted",
    "test_dynamicquantizelinear_min_adjusted",
]


def bits_equal(a, b):
    """Bit-exact comparison: same dtype, shape and bytes (NaNs included)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    ua = a.reshape(-1).view(f"u{a.itemsize}")
    ub = b.reshape(-1).view(f"u{b.itemsize}")
    bad = np.flatnonzero(ua != ub)
    if len(bad):
        i = bad[0]
        pytest.fail(f"{len(bad)} of {ua.size} elements differ; first at {i}: "
                    f"{a.reshape(-1)[i]!r} vs {b.reshape(-1)[i]!r}")


def run_model(check_ok, tmp, model_path, inputs):
    np.savez(tmp / "in.npz", **inputs)
    check_ok("quant-run", model_path, "--inputs", tmp / "in.npz", "--outputs",
             tmp / "out.npz")
    return load_npz(tmp / "out.npz")


@pytest.mark.parametrize("name", NODE_TESTS)
def test_onnx_node(name, check_ok, tmp):
    """F21-F26: the backend node test's expected outputs, bit for bit."""
    d = NODE_DIR / name
    if not d.is_dir():
        pytest.skip(f"{d} not installed (Debian package libonnx-testdata)")
    model = onnx.load(str(d / "model.onnx"))
    inits = {t.name for t in model.graph.initializer}
    in_names = [i.name for i in model.graph.input if i.name not in inits]
    data = d / "test_data_set_0"

    def read(p):
        t = TensorProto()
        t.ParseFromString(p.read_bytes())
        return numpy_helper.to_array(t)

    inputs = {n: read(data / f"input_{i}.pb") for i, n in enumerate(in_names)}
    out = run_model(check_ok, tmp, d / "model.onnx", inputs)
    for i, o in enumerate(model.graph.output):
        bits_equal(out[o.name], read(data / f"output_{i}.pb"))


def adversarial(shape, scale, fmt_max, seed):
    """Random values spanning the format's range at `scale`, plus ties,
    values beyond the maximum, +-0, +-Inf and NaN at fixed places."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * fmt_max * scale / 3).astype(np.float32)
    flat = x.reshape(-1)
    special = np.array([0.0, -0.0, 0.5, 1.5, 2.5, -2.5, fmt_max * 1.01,
                        -fmt_max * 4, np.inf, -np.inf, np.nan],
                       np.float32)
    flat[:len(special)] = special * np.float32(scale)
    flat[len(special) - 3:len(special)] = special[-3:]
    return x


def qdq_model(path, opset, x_shape, code_type, scale, zp=None, q_attrs=None,
              dq_attrs=None):
    """x -> QuantizeLinear -> codes (output) -> DequantizeLinear -> y."""
    inits = [numpy_helper.from_array(scale, "scale")]
    q_in = ["x", "scale"]
    if zp is not None:
        inits.append(zp)
        q_in.append("zp")
    nodes = [
        helper.make_node("QuantizeLinear", q_in, ["codes"], **(q_attrs or {})),
        helper.make_node("DequantizeLinear", ["codes"] + q_in[1:], ["y"],
                         **(dq_attrs or {})),
    ]
    graph = helper.make_graph(
        nodes, "qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("codes", code_type, x_shape),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, x_shape)],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return model


def expand(s, axis, block, n):
    return np.repeat(s, block, axis=axis).take(range(n), axis=axis)


@pytest.mark.parametrize("fmt,np_type,saturate", [
    (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn, 1),
    (TensorProto.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn, 0),
    (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2, 1),
    (TensorProto.FLOAT8E5M2, ml_dtypes.float8_e5m2, 0),
])
def test_fp8_qdq_opset19(fmt, np_type, saturate, check_ok, tmp):
    """F22-F25: per-tensor FP8 (opset 19), saturate on and off."""
    fmax = float(ml_dtypes.finfo(np_type).max)
    scale = np.array(0.03125 * 3, np.float32)  # not a power of two
    x = adversarial((16, 64), float(scale), fmax, 1)
    zp = helper.make_tensor("zp", fmt, [], [0])
    qdq_model(tmp / "m.onnx", 19, list(x.shape), fmt, scale, zp,
              q_attrs={"saturate": saturate})
    out = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    q = x / scale
    if saturate:
        q = np.where(np.isinf(q), np.sign(q) * fmax, np.clip(q, -fmax, fmax))
    codes = q.astype(np_type)
    bits_equal(out["codes"], codes.view(np.uint8))
    bits_equal(out["y"], codes.astype(np.float32) * scale)


@pytest.mark.parametrize("signed", [True, False])
def test_int4_blocked_qdq_opset21(signed, check_ok, tmp):
    """F21-F25: INT4-g128 blocked along axis 1 (opset 21) with zero points,
    plus a short last block (300 = 2*128 + 44)."""
    rows, k, block = 7, 300, 128  # 21 zero points: an odd nibble count
    nb = -(-k // block)
    rng = np.random.default_rng(2)
    x = adversarial((rows, k), 0.05, 7, 3)
    scale = (rng.uniform(0.01, 0.1, (rows, nb))).astype(np.float32)
    lo, hi = (-8, 7) if signed else (0, 15)
    zp = rng.integers(lo, hi + 1, (rows, nb))
    fmt = TensorProto.INT4 if signed else TensorProto.UINT4
    if signed:  # int32_data, one packed byte per value
        zpt = helper.make_tensor("zp", fmt, [rows, nb],
                                 zp.reshape(-1).tolist())
    else:  # raw_data, two per byte, low nibble first
        zpt = numpy_helper.from_array(zp.astype(ml_dtypes.uint4), "zp")
        assert zpt.HasField("raw_data")
    attrs = {"axis": 1, "block_size": block}
    qdq_model(tmp / "m.onnx", 21, [rows, k], fmt, scale, zpt, q_attrs=attrs,
              dq_attrs=attrs)
    out = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    s = expand(scale, 1, block, k)
    z = expand(zp, 1, block, k)
    q = np.rint(x / s)
    q = np.where(np.isnan(q), 0, q)  # F23: NaN -> 0 before the zero point
    codes = np.clip(q + z, lo, hi).astype(np.int8 if signed else np.uint8)
    bits_equal(out["codes"], codes)
    y = (codes.astype(np.float32) - z.astype(np.float32)) * s
    bits_equal(out["y"], y.astype(np.float32))
    # The ONNX reference agrees where it is defined (finite x: it casts
    # NaN and Inf to int32, which numpy leaves undefined).
    from onnx.reference import ReferenceEvaluator
    xf = np.where(np.isfinite(x), x, 0).astype(np.float32)
    ref = ReferenceEvaluator(str(tmp / "m.onnx")).run(None, {"x": xf})
    out2 = run_model(check_ok, tmp, tmp / "m.onnx", {"x": xf})
    bits_equal(out2["codes"], ref[0].astype(np.int8 if signed else np.uint8))
    bits_equal(out2["y"], ref[1])


def test_fp4_blocked_qdq_opset23(check_ok, tmp):
    """F22-F25: FP4 E2M1 with block 16 scales along axis 0 (opset 23,
    output_dtype, no zero point)."""
    k, cols, block = 64, 24, 16
    rng = np.random.default_rng(4)
    scale = rng.uniform(0.05, 0.5, (k // block, cols)).astype(np.float32)
    x = adversarial((k, cols), 0.2, 6, 5)
    attrs = {"axis": 0, "block_size": block}
    qdq_model(tmp / "m.onnx", 23, [k, cols], TensorProto.FLOAT4E2M1, scale,
              q_attrs=dict(attrs, output_dtype=TensorProto.FLOAT4E2M1),
              dq_attrs=attrs)
    out = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    s = expand(scale, 0, block, k)
    q = x / s
    # F5: NaN -> 0 with the NaN's sign (ml_dtypes inverts it, F19).
    q = np.where(np.isnan(q), np.copysign(np.float32(0), q), q)
    codes = q.astype(ml_dtypes.float4_e2m1fn)
    got = out["codes"]
    bits_equal(got, codes.view(np.uint8))
    bits_equal(out["y"], codes.astype(np.float32) * s)


def test_cast_fp8(check_ok, tmp):
    """Cast FLOAT -> FLOAT8E4M3FN (saturate=0) -> FLOAT (opset 19)."""
    x = adversarial((4, 32), 1.0, 448, 6)
    nodes = [helper.make_node("Cast", ["x"], ["c"],
                              to=TensorProto.FLOAT8E4M3FN, saturate=0),
             helper.make_node("Cast", ["c"], ["y"], to=TensorProto.FLOAT)]
    g = helper.make_graph(
        nodes, "cast",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 32])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT8E4M3FN, [4, 32]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    onnx.save(m, str(tmp / "m.onnx"))
    out = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    c = x.astype(ml_dtypes.float8_e4m3fn)
    bits_equal(out["c"], c.view(np.uint8))
    bits_equal(out["y"], c.astype(np.float32))


@pytest.mark.parametrize("case,msg", [
    ("zero_scale", "scales must be finite and positive"),
    ("negative_scale", "scales must be finite and positive"),
    ("bad_block", "blocked scale dim 1 is 3, expected 2"),
    ("zp_type", "zero point"),
])
def test_invalid_parameters(case, msg, run_tool, tmp):
    """Invalid parameters give a clear error, exit 1 and no output."""
    x = np.ones((4, 8), np.float32)
    scale = np.array(0.5, np.float32)
    zp = helper.make_tensor("zp", TensorProto.UINT8, [], [0])
    attrs, opset = {}, 13
    if case == "zero_scale":
        scale = np.array(0.0, np.float32)
    elif case == "negative_scale":
        scale = np.array(-1.0, np.float32)
    elif case == "bad_block":
        scale = np.ones((4, 3), np.float32)
        attrs, opset = {"axis": 1, "block_size": 4}, 21
        zp = helper.make_tensor("zp", TensorProto.UINT8, [4, 3], [0] * 12)
    elif case == "zp_type":
        zp = numpy_helper.from_array(np.array(0.0, np.float32), "zp")
    qdq_model(tmp / "m.onnx", opset, [4, 8], TensorProto.UINT8, scale, zp,
              q_attrs=attrs, dq_attrs=attrs) if case != "zp_type" else None
    if case == "zp_type":
        nodes = [helper.make_node("QuantizeLinear", ["x", "scale", "zp"],
                                  ["codes"])]
        g = helper.make_graph(
            nodes, "bad",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
            [helper.make_tensor_value_info("codes", TensorProto.UINT8,
                                           [4, 8])],
            [numpy_helper.from_array(scale, "scale"), zp])
        onnx.save(helper.make_model(
            g, opset_imports=[helper.make_opsetid("", 13)]),
            str(tmp / "m.onnx"))
    np.savez(tmp / "in.npz", x=x)
    res = run_tool("quant-run", tmp / "m.onnx", "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert res.returncode == 1, describe(res)
    assert msg in res.stderr, describe(res)
    assert not (tmp / "out.npz").exists()


@pytest.mark.parametrize("bad", ["raw", "int32"])
def test_bad_code_initializer(bad, run_tool, tmp):
    """A quantized initializer whose data does not match its shape is an
    import error naming it."""
    zp = TensorProto(name="zp", data_type=TensorProto.UINT4, dims=[3])
    if bad == "raw":
        zp.raw_data = bytes([1, 2, 3])  # 3 nibbles need 2 bytes
    else:
        zp.int32_data.extend([1])
    nodes = [helper.make_node("DequantizeLinear", ["x", "scale", "zp"], ["y"],
                              axis=0)]
    g = helper.make_graph(
        nodes, "bad",
        [helper.make_tensor_value_info("x", TensorProto.UINT4, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
        [numpy_helper.from_array(np.ones(3, np.float32), "scale"), zp])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)]),
              str(tmp / "m.onnx"))
    np.savez(tmp / "in.npz", x=np.array([1, 2, 3], np.uint8))
    res = run_tool("quant-run", tmp / "m.onnx", "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert res.returncode == 1, describe(res)
    want = ("raw_data has 3 bytes, expected 2" if bad == "raw" else
            "int32_data has 1 values, expected 2")
    assert "constant 'zp'" in res.stderr and want in res.stderr, describe(res)
    assert not (tmp / "out.npz").exists()


def as_codes(a):
    """An ONNX reference output as quant-run writes it (F22)."""
    a = np.asarray(a)
    if a.dtype in (np.int8, np.uint8):
        return a
    if a.dtype == ml_dtypes.int4:
        return a.astype(np.int8)
    if a.dtype == ml_dtypes.uint4:
        return a.astype(np.uint8)
    return a.view(np.uint8)  # float codes: bit patterns


@pytest.mark.parametrize("opset,fmt,scale_shape,attrs,with_zp", [
    (10, TensorProto.UINT8, [], {}, True),
    (13, TensorProto.INT8, [6], {"axis": 0}, True),
    (13, TensorProto.UINT8, [10], {"axis": -1}, False),
    (19, TensorProto.FLOAT8E5M2, [], {"saturate": 0}, True),
    (19, TensorProto.FLOAT8E4M3FN, [10], {"axis": 1}, False),
    (21, TensorProto.INT8, [2, 10], {"axis": 0, "block_size": 4}, True),
    (21, TensorProto.UINT4, [6], {"axis": 0}, True),
    (21, TensorProto.FLOAT8E4M3FN, [6, 4], {"axis": 1, "block_size": 3},
     False),
    (23, TensorProto.FLOAT4E2M1, [], {}, False),
    (23, TensorProto.INT4, [6, 1], {"axis": 1, "block_size": 16}, False),
])
def test_against_onnx_reference(opset, fmt, scale_shape, attrs, with_zp,
                                check_ok, tmp):
    """F21-F25 at every opset from 10 to 23: quant-run and
    onnx.reference.ReferenceEvaluator agree bit for bit on finite inputs."""
    from onnx.reference import ReferenceEvaluator
    rng = np.random.default_rng(opset * 31 + fmt)
    x = (rng.standard_normal((6, 10)) * 3).astype(np.float32)
    x.reshape(-1)[:4] = [0.5, 1.5, -2.5, 1e6]  # ties and a huge value
    scale = rng.uniform(0.05, 0.5, scale_shape).astype(np.float32)
    zp = None
    q_attrs = dict(attrs)
    dq_attrs = {k: v for k, v in attrs.items() if k != "saturate"}
    if with_zp:
        if fmt in (TensorProto.UINT8, TensorProto.INT8, TensorProto.UINT4):
            lo, hi = {TensorProto.UINT8: (0, 255), TensorProto.INT8: (-128, 127),
                      TensorProto.UINT4: (0, 15)}[fmt]
            vals = rng.integers(lo, hi + 1, scale_shape)
        else:
            vals = np.zeros(scale_shape)
        zp = helper.make_tensor("zp", fmt, scale_shape,
                                np.asarray(vals).reshape(-1).tolist())
    elif opset >= 21:
        q_attrs["output_dtype"] = fmt
    qdq_model(tmp / "m.onnx", opset, [6, 10], fmt, scale, zp,
              q_attrs=q_attrs, dq_attrs=dq_attrs)
    # The reference implements DequantizeLinear from opset 19 on; 10 and 13
    # mean the same for integer codes, so it evaluates the model at 19.
    ref_model = onnx.load(str(tmp / "m.onnx"))
    ref_model.opset_import[0].version = max(opset, 19)
    ref = ReferenceEvaluator(ref_model).run(None, {"x": x})
    out = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    bits_equal(out["codes"], as_codes(ref[0]))
    bits_equal(out["y"], ref[1].astype(np.float32))


def test_cast_numeric_chain(check_ok, tmp):
    """Cast FLOAT -> FLOAT16 / BFLOAT16 (round to nearest even), FLOAT ->
    INT64 (truncation), FLOAT -> INT4 (truncation, clamped), FLOAT4E2M1 ->
    FLOAT, against numpy/ml_dtypes."""
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((3, 16)) * 5).astype(np.float32)
    x.reshape(-1)[:4] = [2.5, -2.5, 1e-8, 70000.0]
    T = TensorProto
    nodes = [helper.make_node("Cast", ["x"], ["h"], to=T.FLOAT16),
             helper.make_node("Cast", ["h"], ["hf"], to=T.FLOAT),
             helper.make_node("Cast", ["x"], ["b"], to=T.BFLOAT16),
             helper.make_node("Cast", ["b"], ["bf"], to=T.FLOAT),
             helper.make_node("Cast", ["x"], ["i"], to=T.INT64),
             helper.make_node("Cast", ["x"], ["i4"], to=T.INT4),
             helper.make_node("Cast", ["x"], ["f4"], to=T.FLOAT4E2M1),
             helper.make_node("Cast", ["f4"], ["f4f"], to=T.FLOAT)]
    shape = [3, 16]
    g = helper.make_graph(
        nodes, "casts", [helper.make_tensor_value_info("x", T.FLOAT, shape)],
        [helper.make_tensor_value_info(n, t, shape) for n, t in
         [("hf", T.FLOAT), ("bf", T.FLOAT), ("i", T.INT64), ("i4", T.INT4),
          ("f4f", T.FLOAT)]])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
    onnx.save(m, str(tmp / "m.onnx"))
    out = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    with np.errstate(over="ignore"):  # 70000 -> inf in FLOAT16 is intended
        bits_equal(out["hf"], x.astype(np.float16).astype(np.float32))
    bits_equal(out["bf"], x.astype(ml_dtypes.bfloat16).astype(np.float32))
    bits_equal(out["i"], np.trunc(x).astype(np.int64))
    bits_equal(out["i4"], np.clip(np.trunc(x), -8, 7).astype(np.int8))
    bits_equal(out["f4f"], x.astype(ml_dtypes.float4_e2m1fn).astype(np.float32))


@pytest.mark.parametrize("fmt,np_dtype,bad", [
    (TensorProto.INT4, np.int8, 100),
    (TensorProto.INT4, np.int8, 8),
    (TensorProto.UINT4, np.uint8, 16),
    (TensorProto.FLOAT4E2M1, np.uint8, 0x10),
])
def test_out_of_range_codes(fmt, np_dtype, bad, run_tool, tmp):
    """A .npz byte that is not a code of the input's 4-bit type is an error
    naming the element, not a silently truncated value."""
    nodes = [helper.make_node("DequantizeLinear", ["c", "s"], ["y"])]
    g = helper.make_graph(
        nodes, "dq", [helper.make_tensor_value_info("c", fmt, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [numpy_helper.from_array(np.array(0.5, np.float32), "s")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)]),
              str(tmp / "m.onnx"))
    np.savez(tmp / "in.npz", c=np.array([1, 2, bad, 3], np_dtype))
    res = run_tool("quant-run", tmp / "m.onnx", "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert res.returncode == 1, describe(res)
    assert f"input 'c' element 2 is {bad}, outside the" in res.stderr, \
        describe(res)
    assert not (tmp / "out.npz").exists()


def test_int4_model_via_mlir_text(check_ok, tmp):
    """The INT4 QDQ model printed to .mlir (i4 constants become nibbles in
    MLIR's storage) runs to the same bits as the .onnx itself."""
    rows, k = 3, 40
    scale = np.full((rows, 2), 0.25, np.float32)
    zp = helper.make_tensor("zp", TensorProto.INT4, [rows, 2],
                            [-8, -3, 0, 2, 7, -1])
    attrs = {"axis": 1, "block_size": 32}
    qdq_model(tmp / "m.onnx", 21, [rows, k], TensorProto.INT4, scale, zp,
              q_attrs=attrs, dq_attrs=attrs)
    check_ok("quant-translate", "--import-onnx", tmp / "m.onnx", "-o",
             tmp / "m.mlir")
    x = np.linspace(-4, 4, rows * k, dtype=np.float32).reshape(rows, k)
    a = run_model(check_ok, tmp, tmp / "m.onnx", {"x": x})
    b = run_model(check_ok, tmp, tmp / "m.mlir", {"x": x})
    for name in ("codes", "y"):
        bits_equal(a[name], b[name])
    assert a["codes"].min() >= -8 and a["codes"].max() <= 7
