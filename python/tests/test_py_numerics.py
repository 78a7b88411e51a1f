"""quantc.numerics against ml_dtypes and independent numpy references.

Element formats: every code decodes as ml_dtypes decodes it, and encoding a
sweep of values (every representable value, every tie between neighbours,
values just off the ties, out-of-range values, specials) gives ml_dtypes'
code (docs/Formats.md F2-F9). Block schemes: codes and scales equal a numpy
reference written from the rules (F12-F30), bit for bit, and dequantize
inverts them. Finally the codes match what the compiler's own qc.quantize
computes on the Executor.
"""
import ml_dtypes as md
import numpy as np
import pytest

import quantc
from quantc import numerics as qn

F32 = np.float32

# quantc format -> (ml_dtypes type, ml_dtypes saturates on overflow)
ML = {
    "f8E4M3FN": (md.float8_e4m3fn, False),
    "f8E5M2": (md.float8_e5m2, False),
    "f6E2M3FN": (md.float6_e2m3fn, True),
    "f6E3M2FN": (md.float6_e3m2fn, True),
    "f4E2M1FN": (md.float4_e2m1fn, True),
    "bf16": (md.bfloat16, False),
    "f16": (np.float16, False),
}
BITS = {"f8E4M3FN": 8, "f8E5M2": 8, "f6E2M3FN": 6, "f6E3M2FN": 6,
        "f4E2M1FN": 4, "bf16": 16, "f16": 16, "f8E8M0FNU": 8, "ue4m3": 8,
        "i8": 8, "ui8": 8, "i4": 4, "ui4": 4}


def all_codes(fmt):
    n = 1 << BITS[fmt]
    return np.arange(n, dtype=np.uint16 if n > 256 else np.uint8)


def ml_decode(fmt, codes):
    t, _ = ML[fmt]
    view = codes.astype(np.uint16 if BITS[fmt] == 16 else np.uint8)
    return view.view(t).astype(F32)


def same_floats(a, b):
    """Bit-equal, NaN equal to any NaN."""
    a, b = np.asarray(a, F32), np.asarray(b, F32)
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | (a.view(np.uint32) == b.view(np.uint32))))


def sweep(fmt):
    """Representable values, ties between neighbours, values one f32 ulp off
    each tie, out-of-range and special values."""
    vals = np.unique(ml_decode(fmt, all_codes(fmt)))
    vals = vals[np.isfinite(vals)]
    mids = (vals[:-1].astype(np.float64) + vals[1:]) / 2
    mids = mids.astype(F32)
    off = np.concatenate([np.nextafter(mids, F32(np.inf)),
                          np.nextafter(mids, F32(-np.inf))])
    big = vals.max().astype(np.float64)
    # Beyond the largest finite value (clipped to f32's range for f16).
    over = [min(v, 3e38) for v in (big * 1.01, big * 4)]
    extra = np.array(over + [-v for v in over] + [
        0.0, -0.0, 1e-30, -1e-30, 1e-45, np.inf, -np.inf], F32)
    rng = np.random.default_rng(0)
    rand = (rng.standard_normal(4096) * float(big) / 4).astype(F32)
    return np.concatenate([vals, mids, off, extra, rand]).astype(F32)


@pytest.mark.parametrize("fmt", sorted(ML))
def test_decode_every_code_matches_ml_dtypes(fmt):
    codes = all_codes(fmt)
    assert same_floats(qn.decode(codes, fmt), ml_decode(fmt, codes))


@pytest.mark.parametrize("fmt", sorted(ML))
def test_encode_matches_ml_dtypes(fmt):
    t, ml_saturates = ML[fmt]
    x = sweep(fmt)
    dt = np.uint16 if BITS[fmt] == 16 else np.uint8
    info = qn.format_info(fmt)
    mx = F32(info["max_finite"])
    # saturate=False is ml_dtypes' cast for formats with Inf/NaN; the
    # FP6/FP4 formats have neither and ml_dtypes saturates them (F7).
    with np.errstate(over="ignore"):
        want_nosat = x.astype(t).view(dt)
    got_nosat = qn.encode(x, fmt, saturate=False)
    # saturate=True is a clamp to +-max before the cast (F3).
    want_sat = np.clip(x, -mx, mx).astype(t).view(dt)
    got_sat = qn.encode(x, fmt, saturate=True)
    np.testing.assert_array_equal(got_sat, want_sat)
    if not ml_saturates:
        np.testing.assert_array_equal(got_nosat, want_nosat)
    else:
        np.testing.assert_array_equal(got_nosat, want_sat)


@pytest.mark.parametrize("fmt", ["f8E4M3FN", "f8E5M2", "bf16", "f16"])
def test_nan_encodes_to_nan(fmt):
    codes = qn.encode(np.array([np.nan], F32), fmt)
    assert np.isnan(qn.decode(codes, fmt)[0])


def test_ue4m3_is_positive_e4m3():
    codes = np.arange(128, dtype=np.uint8)
    assert same_floats(qn.decode(codes, "ue4m3"),
                       codes.view(md.float8_e4m3fn).astype(F32))
    x = np.abs(sweep("f8E4M3FN"))
    x = x[np.isfinite(x)]
    want = np.clip(x, 0, 448).astype(md.float8_e4m3fn).view(np.uint8)
    np.testing.assert_array_equal(qn.encode(x, "ue4m3"), want)


def test_e8m0_decode_every_code():
    codes = np.arange(256, dtype=np.uint8)
    got = qn.decode(codes, "f8E8M0FNU")
    want = codes.view(md.float8_e8m0fnu).astype(F32)
    assert same_floats(got, want)
    assert np.isnan(got[255]) and got[127] == 1.0


@pytest.mark.parametrize("fmt,lo,hi", [("i8", -128, 127), ("ui8", 0, 255),
                                       ("i4", -8, 7), ("ui4", 0, 15)])
def test_integer_formats(fmt, lo, hi):
    x = np.concatenate([np.arange(lo - 3, hi + 3, 0.25, dtype=F32),
                        np.array([2.5, -2.5, 0.5, -0.5, 1e9, -1e9], F32)])
    want = np.clip(np.rint(x), lo, hi)  # rint: half to even
    got = qn.decode(qn.encode(x, fmt), fmt)
    np.testing.assert_array_equal(got, want.astype(F32))
    # Codes of the 4-bit formats sit in the low nibble; ml_dtypes reads them.
    if fmt in ("i4", "ui4"):
        t = md.int4 if fmt == "i4" else md.uint4
        codes = qn.encode(x, fmt)
        np.testing.assert_array_equal(
            codes.view(t).astype(F32), want.astype(F32))


def test_pack4_round_trip():
    codes = np.arange(15, dtype=np.uint8) % 16
    packed = qn.pack4(codes)
    assert packed.shape == (8,) and packed[0] == 0x10 and packed[7] == 0x0E
    np.testing.assert_array_equal(qn.unpack4(packed, 15), codes)


# --- block schemes ----------------------------------------------------------

def data(shape, seed=1, outliers=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(F32)
    if outliers:
        x.flat[::97] *= 40  # blocks with very different ranges
    x[..., :32] = 0.0 if x.ndim else x  # one all-zero block per row
    return x


MX_EMAX = {"f8E4M3FN": 8, "f8E5M2": 15, "f6E2M3FN": 2, "f6E3M2FN": 4,
           "f4E2M1FN": 2, "i8": 6}
MX_PRESETS = {"mxfp8": "f8E4M3FN", "mxfp8-e5m2": "f8E5M2",
              "mxfp6": "f6E2M3FN", "mxfp6-e3m2": "f6E3M2FN",
              "mxfp4": "f4E2M1FN", "mxint8": "i8"}


def ref_cast(fmt, y):
    """Saturating round-half-even cast to fmt's codes (one byte each)."""
    if fmt in ("i8", "i4"):
        lo, hi = (-128, 127) if fmt == "i8" else (-8, 7)
        return np.clip(np.rint(y), lo, hi).astype(np.int8).view(np.uint8)
    t, _ = ML[fmt]
    mx = F32(qn.format_info(fmt)["max_finite"])
    return np.clip(y, -mx, mx).astype(t).view(np.uint8)


def ref_mx(x, elem, block=32):
    """OCP MX v1.0 (F12-F17): shared exponent floor(log2(amax)) - emax."""
    rows = x.reshape(-1, x.shape[-1])
    k = rows.shape[1]
    nb = -(-k // block)
    codes = np.zeros(rows.shape, np.uint8)
    scales = np.zeros((rows.shape[0], nb), np.uint8)
    for r in range(rows.shape[0]):
        for b in range(nb):
            blk = rows[r, b * block:(b + 1) * block]
            amax = float(np.max(np.abs(blk)))
            if amax == 0:
                e = -127
            else:
                e = int(np.floor(np.log2(amax))) - MX_EMAX[elem]
                e = max(-127, min(127, e))
            scales[r, b] = e + 127
            codes[r, b * block:(b + 1) * block] = ref_cast(
                elem, blk / F32(2.0 ** e))
    return codes.reshape(x.shape), scales.reshape(x.shape[:-1] + (nb,))


@pytest.mark.parametrize("preset", sorted(MX_PRESETS))
def test_mx_presets_match_reference(preset):
    elem = MX_PRESETS[preset]
    x = data((6, 96))
    q = qn.quantize(x, preset)
    assert q.codec == "mx" and q.block_size == 32
    codes, scales = ref_mx(x, elem)
    np.testing.assert_array_equal(q.scales, scales)
    np.testing.assert_array_equal(q.codes, codes)
    # Dequantize: decode(code) * 2^(scale - 127), exactly.
    if elem == "i8":
        vals = codes.view(np.int8).astype(F32)
    else:
        vals = ml_decode(elem, codes)
    want = vals * np.repeat(np.exp2(scales.astype(np.float64) - 127), 32,
                            axis=-1)[..., :96].astype(F32)
    assert same_floats(qn.dequantize(q), want)


def test_mx_short_last_block_and_leading_dims():
    x = data((2, 3, 40), outliers=False)
    codes, scales = qn.quantize_mx(x, "f8E4M3FN", 32)
    assert codes.shape == (2, 3, 40) and scales.shape == (2, 3, 2)
    rc, rs = ref_mx(x, "f8E4M3FN")
    np.testing.assert_array_equal(codes, rc)
    np.testing.assert_array_equal(scales, rs)


def test_nvfp4_matches_reference():
    x = data((4, 64))
    q = qn.quantize(x, "nvfp4")
    assert q.codec == "nvfp4"
    ts = F32(np.max(np.abs(x)) / F32(6 * 448))
    assert q.tensor_scale == ts
    rows = x.reshape(-1, 16)
    bam = np.max(np.abs(rows), axis=1)
    s_codes = np.clip(bam / F32(6) / ts, 0, 448).astype(
        md.float8_e4m3fn).view(np.uint8)
    s = s_codes.view(md.float8_e4m3fn).astype(F32)
    denom = (s * ts)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(denom > 0, rows / np.where(denom > 0, denom, 1), 0)
    codes = ref_cast("f4E2M1FN", y.astype(F32))
    np.testing.assert_array_equal(q.scales.ravel(), s_codes)
    np.testing.assert_array_equal(q.codes.ravel(), codes.ravel())
    want = ml_decode("f4E2M1FN", codes) * s[:, None] * ts
    assert same_floats(qn.dequantize(q).ravel(), want.ravel())


def ref_linear_sym(x, fmt, axis=None, block=0):
    """Symmetric absmax scales (F30) and codes round(x / s) (F23)."""
    qmax = {"i8": 127, "i4": 7, "f8E4M3FN": 448}[fmt]
    if axis is None:
        amax = np.max(np.abs(x))
        scale = np.array([amax / F32(qmax)], F32) if amax > 0 else \
            np.array([1 / F32(qmax)], F32)
        s_full = np.full(x.shape, scale[0], F32)
    elif block == 0:  # per axis: one scale per index of `axis`
        other = tuple(d for d in range(x.ndim) if d != axis)
        amax = np.max(np.abs(x), axis=other)
        scale = np.where(amax > 0, amax / F32(qmax),
                         1 / F32(qmax)).astype(F32)
        s_full = np.expand_dims(scale, other) * np.ones(x.shape, F32)
    else:  # blocked along `axis`
        xm = np.moveaxis(x, axis, -1)
        n = xm.shape[-1]
        bs = block or n
        nb = -(-n // bs)
        pad = np.zeros(xm.shape[:-1] + (nb * bs,), F32)
        pad[..., :n] = np.abs(xm)
        amax = pad.reshape(xm.shape[:-1] + (nb, bs)).max(-1)
        sc = np.where(amax > 0, amax / F32(qmax), 1 / F32(qmax)).astype(F32)
        s_full = np.moveaxis(np.repeat(sc, bs, axis=-1)[..., :n], -1, axis)
        scale = np.moveaxis(sc, -1, axis)
    y = (x / s_full).astype(F32)
    return scale, ref_cast(fmt, y), s_full


@pytest.mark.parametrize("preset,fmt,codec", [
    ("int8", "i8", "per-tensor"), ("fp8", "f8E4M3FN", "per-tensor"),
    ("int4-g128", "i4", "blocked"), ("fp8-1x128", "f8E4M3FN", "blocked")])
def test_linear_presets_match_reference(preset, fmt, codec):
    x = data((8, 256))
    q = qn.quantize(x, preset)
    assert q.codec == codec
    if codec == "per-tensor":
        scale, codes, s_full = ref_linear_sym(x, fmt)
    else:
        assert (q.axis, q.block_size) == (1, 128)
        scale, codes, s_full = ref_linear_sym(x, fmt, axis=1, block=128)
    np.testing.assert_array_equal(np.ravel(q.scales), np.ravel(scale))
    np.testing.assert_array_equal(q.codes, codes)
    if fmt in ("i8", "i4"):
        vals = codes.view(np.int8).astype(F32)
    else:
        vals = ml_decode(fmt, codes)
    assert same_floats(qn.dequantize(q), vals * s_full)


def test_per_channel_int8_weights():
    """One scale per output channel (row of [N, K]): block [1, 0]."""
    x = data((16, 64))
    q = qn.quantize(x, "#qc.scheme<i8, scale = f32, block = [1, 0], symmetric>")
    assert q.codec == "per-axis" and q.axis == 0 and q.scales.shape == (16,)
    scale, codes, _ = ref_linear_sym(x, "i8", axis=0)
    np.testing.assert_array_equal(q.scales, scale)
    np.testing.assert_array_equal(q.codes, codes)


def test_asymmetric_uint8_per_tensor():
    """(max - min) / 255 with the range widened to 0; zero point
    rne(clamp(-min / scale)) (F30, as DynamicQuantizeLinear)."""
    x = (data((4, 64), outliers=False) + F32(1.5)).astype(F32)
    x[0, 0] = -0.25
    q = qn.quantize(x, "#qc.scheme<ui8, scale = f32, block = [], asymmetric>")
    lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
    scale = F32((F32(hi) - F32(lo)) / F32(255))
    zp = np.clip(np.rint(F32(0) - F32(lo) / scale), 0, 255)
    assert q.scales[0] == scale and q.zero_points[0] == zp
    codes = np.clip(np.rint((x / scale).astype(F32)) + zp, 0, 255)
    np.testing.assert_array_equal(q.codes, codes.astype(np.uint8))
    back = qn.dequantize(q)
    np.testing.assert_array_equal(back, ((codes - zp) * scale).astype(F32))


def test_2d_blocks_match_reference():
    x = data((256, 384))
    q = qn.quantize(
        x, "#qc.scheme<f8E4M3FN, scale = f32, block = [128, 128], symmetric>")
    assert q.codec == "2d" and q.scales.shape == (2, 3)
    tiles = x.reshape(2, 128, 3, 128).transpose(0, 2, 1, 3)
    amax = np.abs(tiles).max(axis=(2, 3))
    scales = np.where(amax > 0, amax / F32(448), 1).astype(F32)
    np.testing.assert_array_equal(q.scales, scales)
    s_full = np.repeat(np.repeat(scales, 128, 0), 128, 1)
    np.testing.assert_array_equal(q.codes, ref_cast("f8E4M3FN", x / s_full))


def test_bf16_scheme_is_a_cast():
    x = data((4, 64))
    q = qn.quantize(x, "bf16")
    np.testing.assert_array_equal(q.codes, x.astype(md.bfloat16).view(np.uint16))
    assert same_floats(qn.dequantize(q), x.astype(md.bfloat16).astype(F32))


def test_matches_the_compilers_qc_quantize():
    """The Executor's qc.quantize (what a compiled graph computes for its
    activations) gives the codes and scales numerics.quantize gives."""
    x = data((3, 64))
    for preset, elem in sorted(MX_PRESETS.items()):
        ty = {"i8": "i8"}.get(elem, elem)
        m = quantc.parse_mlir(f"""
func.func @main(%x: tensor<3x64xf32> {{qc.name = "x"}})
    -> (tensor<3x64x{ty}> {{qc.name = "codes"}},
        tensor<3x2xf8E8M0FNU> {{qc.name = "scales"}}) {{
  %c, %s = qc.quantize %x {{scheme = #qc.scheme<"{preset}">}}
      : tensor<3x64xf32> -> (tensor<3x64x{ty}>, tensor<3x2xf8E8M0FNU>)
  return %c, %s : tensor<3x64x{ty}>, tensor<3x2xf8E8M0FNU>
}}""", name=f"{preset}.mlir")
        out = m.run({"x": x})
        q = qn.quantize(x, preset)
        np.testing.assert_array_equal(out["scales"], q.scales, err_msg=preset)
        np.testing.assert_array_equal(out["codes"].view(np.uint8), q.codes,
                                      err_msg=preset)


# --- errors -----------------------------------------------------------------

@pytest.mark.parametrize("call,match", [
    (lambda: qn.encode([1.0], "f9E9"), "unknown element format 'f9E9'"),
    (lambda: qn.quantize_mx(np.ones(4), "bf16"), "not an MX element format"),
    (lambda: qn.quantize_mx(np.ones(4), "f8E4M3FN", 0), "block size"),
    (lambda: qn.quantize_mx(np.ones(4), "f8E4M3FN", 32, "up"), "floor"),
    (lambda: qn.quantize(np.ones(4), "mxfp3"), "mxfp3"),
    (lambda: qn.quantize_linear(np.ones(4), [0.0], fmt="i8"), "scale"),
    (lambda: qn.quantize_linear(np.ones((2, 4)), [1.0, 1.0, 1.0], axis=1),
     "scale"),
    (lambda: qn.dequantize_mx(np.zeros((2, 64), np.uint8),
                              np.zeros((2, 3), np.uint8)), "scales shape"),
    (lambda: qn.linear_params([np.nan, 1.0], "i8"), "NaN"),
    (lambda: qn.quantize_2d(np.ones(4)), "2-D"),
])
def test_bad_arguments_raise_quantc_error(call, match):
    with pytest.raises(quantc.Error, match=match):
        call()


def test_huge_blocks_are_one_block():
    """A block far larger than the tensor is one block (no overflow in the
    block count)."""
    x = data((4, 40), outliers=False)
    big = 2**63 - 1
    c, s = qn.quantize_mx(x, "f8E4M3FN", big)
    c1, s1 = qn.quantize_mx(x, "f8E4M3FN", 64)
    np.testing.assert_array_equal(c, c1)
    np.testing.assert_array_equal(s, s1)
    c, s = qn.quantize_2d(x, (big, big))
    assert s.shape == (1, 1)
    q = qn.quantize(x, f"#qc.scheme<i8, scale = f32, block = [{big}, 128]>")
    assert q.codec == "per-tensor" and q.scheme.block == (big, 128)


def test_scalars_and_float_codes():
    q = qn.quantize(np.float32(3.0), "int8")
    assert q.codes.shape == () and qn.dequantize(q) == np.float32(3.0)
    with pytest.raises(ValueError, match="integer array"):
        qn.decode(np.array([1.7]), "f8E4M3FN")


def test_python_side_errors_carry_diagnostics():
    with pytest.raises(quantc.Error) as e:
        quantc.Package("/")
    assert e.value.diagnostics[0][0] == "error"
