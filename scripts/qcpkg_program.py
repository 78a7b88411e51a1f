"""Runs the GPU program of a quantc package (manifest `program`,
docs/Runtime.md) step by step, the way libquantc_rt does: one arena laid out
from the slots at the run's batch, weights from weights.bin, each step's
arguments and grid evaluated from the manifest.

Only numpy is needed. A *backend* executes the steps:
- `NumpyBackend` models each kernel (docs/Kernels.md) in numpy; with it the
  program's wiring and memory plan are checked without a GPU
  (python/tests/test_gpu_program.py);
- scripts/gpu_run_check.py's `CudaBackend` launches the package's kernels
  on a GPU through the driver API and compares each step with this model.

Kernel models: `quantize_mxfp8`, `ew_<i>` (quantize_linear /
dequantize_linear included), `pool_<i>` (f32, or max of i8/ui8 codes),
`gap_<i>`, `copy_b<n>`, `i8_gemm*` and `i8_conv*` (an exact integer sum,
then the scales) are the exact arithmetic the kernels implement; `mxfp8_gemm`
and `conv_<i>` sum in float64 (the GPU sums in the tensor core, or in fp32
with fma, so they agree within rounding).
"""
import json
import re
from pathlib import Path

import numpy as np

# The manifest's dtypes (the runtime's list, runtime/src/Package.cpp);
# bf16 travels as its 16-bit pattern.
DTYPE = {"f32": np.float32, "i32": np.int32, "i64": np.int64,
         "f16": np.float16, "bf16": np.uint16, "f8E4M3FN": np.uint8,
         "f8E5M2": np.uint8, "f8E8M0FNU": np.uint8, "i8": np.int8,
         "ui8": np.uint8, "i1": np.uint8, "f64": np.float64,
         "i16": np.int16, "ui16": np.uint16, "ui32": np.uint32,
         "ui64": np.uint64,
         # 4-bit codes, one per byte (the low nibble)
         "i4": np.int8, "ui4": np.uint8, "f4E2M1FN": np.uint8,
         "f6E2M3FN": np.uint8, "f6E3M2FN": np.uint8}
# Float codes the chain kernels encode and decode (one per byte).
FLOAT_CODES = ("f8E4M3FN", "f8E5M2", "f6E2M3FN", "f6E3M2FN", "f4E2M1FN")


class ProgramError(ValueError):
    pass


def value_shape(v, batch):
    return tuple(batch if d == -1 else d for d in v["shape"])


PACKED4 = ("i4", "ui4", "f4E2M1FN")  # two per byte in weights.bin


def value_bytes(v, batch):
    n = int(np.prod(value_shape(v, batch), dtype=np.int64))
    if v["kind"] == "weight" and v["dtype"] in PACKED4:
        return (n + 1) // 2
    return n * np.dtype(DTYPE[v["dtype"]]).itemsize


def unpack4(raw, n, dtype):
    """One code per byte from weights.bin's packed 4-bit codes (element 2i
    in the low nibble of byte i); i4 sign-extended."""
    b = np.asarray(raw, np.uint8)
    c = np.empty(2 * b.size, np.uint8)
    c[0::2], c[1::2] = b & 15, b >> 4
    c = c[:n]
    if dtype == "i4":
        return ((c.astype(np.int16) ^ 8) - 8).astype(np.int8)
    return c


def pointer_value(a):
    """The value a pointer argument names ({"value": i}, or a tensor map
    of value i: {"tensor_map": {"value": i, ...}}), else None (a scalar)."""
    if "value" in a:
        return a["value"]
    if "tensor_map" in a:
        return a["tensor_map"]["value"]
    return None


def linear(e, batch):
    """{"b": a, "c": c[, "div": t]} -> a*batch + c [ceil-divided by t]."""
    val = e.get("b", 0) * batch + e.get("c", 0)
    if "div" in e:
        val = -(-val // e["div"])
    return val


def arena_layout(program, batch):
    """(slot byte offsets, total bytes): each slot as large as its largest
    value at this batch, rounded up to the alignment, one after another."""
    align = program["arena"]["alignment"]
    sizes = [0] * program["arena"]["slots"]
    for v in program["values"]:
        if "slot" in v:
            sizes[v["slot"]] = max(sizes[v["slot"]], value_bytes(v, batch))
    offsets, total = [], 0
    for s in sizes:
        offsets.append(total)
        total += -(-s // align) * align
    return offsets, total


def live_ranges(program):
    """{value index: [first step, last step]}; inputs start at -1, outputs
    end after the last step."""
    n = len(program["steps"])
    live = {i: [-1, -1] for i, v in enumerate(program["values"])
            if v["kind"] == "input"}
    for s_idx, step in enumerate(program["steps"]):
        for a in step["args"]:
            v = pointer_value(a)
            if v is not None:
                live.setdefault(v, [s_idx, s_idx])[1] = s_idx
    for i, v in enumerate(program["values"]):
        if v["kind"] == "output":
            live.setdefault(i, [n, n])[1] = n
    return live


def check_slot_plan(program):
    """Raises ProgramError when two values of one slot are live at once;
    returns {slot: sorted live ranges}."""
    live = live_ranges(program)
    by_slot = {}
    for i, v in enumerate(program["values"]):
        if "slot" in v:
            by_slot.setdefault(v["slot"], []).append(live.get(i, [-2, -2]))
    for slot, ranges in by_slot.items():
        ranges.sort()
        for a, b in zip(ranges, ranges[1:]):
            if a[1] >= b[0]:
                raise ProgramError(f"slot {slot}: live ranges overlap: {ranges}")
    return by_slot


def exp_clamped(z):
    """The Executor's expClamped (lib/Executor/FastMath.h), in float64,
    operation for operation."""
    z = np.asarray(z, np.float64)
    shifter = 6755399441055744.0
    kd = z * 1.4426950408889634 + shifter
    ki = kd.view(np.uint64)
    kd = kd - shifter
    r = z - kd * 0.6931471805599453
    p = np.full_like(z, 1.0 / 40320)
    for c in (1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0):
        p = p * r + c
    with np.errstate(over="ignore"):
        bits = (ki + np.uint64(1023)) << np.uint64(52)
    return p * bits.view(np.float64)


def fast_tanh(xf):
    x = np.asarray(xf, np.float32).astype(np.float64)
    ax = np.abs(x)
    with np.errstate(invalid="ignore"):
        y = np.where(ax > 20.0, 20.0, ax)
        e = exp_clamped(2.0 * y)
        big = 1.0 - 2.0 / (e + 1.0)
    x2 = x * x
    s = 21844.0 / 6081075
    s = s * x2 - 1382.0 / 155925
    s = s * x2 + 62.0 / 2835
    s = s * x2 - 17.0 / 315
    s = s * x2 + 2.0 / 15
    s = s * x2 - 1.0 / 3
    small = x * (1.0 + x2 * s)
    with np.errstate(invalid="ignore"):
        return np.where(ax < 0.1, small, np.copysign(big, x)).astype(np.float32)


def fast_exp(xf):
    """The Executor's fastExp: expClamped of x clamped to [-700, 700]."""
    z = np.asarray(xf, np.float32).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.where(z < -700.0, -700.0, np.where(z > 700.0, 700.0, z))
        return exp_clamped(z).astype(np.float32)


def fast_expm1(xf):
    """The Executor's fastExpm1 in float64, operation for operation."""
    x = np.asarray(xf, np.float32).astype(np.float64)
    p = np.full_like(x, 1.0 / 20922789888000.0)
    f = 20922789888000.0
    for k in range(15, 0, -1):
        f /= k + 1
        p = p * x + 1.0 / f
    with np.errstate(all="ignore"):
        small = x * p
        z = np.where(x < -700.0, -700.0, np.where(x > 700.0, 700.0, x))
        big = exp_clamped(z) - 1.0
        return np.where(np.abs(x) < 0.5, small, big).astype(np.float32)


def _elu(alpha, x):
    f = np.float32
    x = np.asarray(x, f)
    return np.where(x > 0, x, (f(alpha) * fast_expm1(x)).astype(f))


def _selu(alpha, gamma, x):
    f = np.float32
    x = np.asarray(x, f)
    a, g = f(alpha), f(gamma)
    neg = (g * ((a * fast_exp(x)).astype(f) - a)).astype(f)
    return np.where(x > 0, (g * x).astype(f), neg)


def _celu(alpha, x):
    f = np.float32
    x = np.asarray(x, f)
    a = f(alpha)
    t = (a * fast_expm1((x / a).astype(f))).astype(f)
    with np.errstate(invalid="ignore"):
        return (np.where(f(0) < x, x, f(0)) + np.where(t < 0, t, f(0))
                ).astype(f)


def _two_atanh(s):
    """The Executor's twoAtanh: 2 s sum s^(2k) / (2k + 1), k = 0..17."""
    s2 = s * s
    p = np.full_like(s, 1.0 / 35)
    for k in range(16, -1, -1):
        p = p * s2 + 1.0 / (2 * k + 1)
    return 2.0 * s * p


def fast_log(xf):
    """The Executor's fastLog in float64, operation for operation."""
    return fast_log_d(np.asarray(xf, np.float32).astype(np.float64)
                      ).astype(np.float32)


def fast_log_d(x):
    """The Executor's fastLogD of a float64 array (not rounded)."""
    x = np.asarray(x, np.float64)
    bits = x.view(np.uint64)
    e = ((bits >> np.uint64(52)) & np.uint64(0x7ff)).astype(np.int64) - 1023
    m = ((bits & np.uint64(0xfffffffffffff)) |
         np.uint64(0x3ff0000000000000)).view(np.float64)
    big = m > 1.4142135623730951
    m = np.where(big, m * 0.5, m)
    e = e + big
    with np.errstate(all="ignore"):
        r = e.astype(np.float64) * 0.6931471805599453 + \
            _two_atanh((m - 1.0) / (m + 1.0))
        r = np.where(x > 0, r, np.where(x == 0, -np.inf, np.nan))
        return np.where(x == np.inf, np.inf, r)


def fast_softplus(xf):
    """The Executor's fastSoftplus in float64, operation for operation."""
    x = np.asarray(xf, np.float32).astype(np.float64)
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        ax = np.where(ax > 700.0, 700.0, ax)
        t = exp_clamped(-ax)
        return (np.where(x > 0, x, 0.0) + _two_atanh(t / (2.0 + t))
                ).astype(np.float32)


def lse_term(d):
    """The Executor's lseTerm of float64 d = x - max: 0 below -700, inf
    above 700, else exp_clamped(d)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(d < -700.0, 0.0,
                        np.where(d > 700.0, np.inf,
                                 exp_clamped(np.clip(d, -700.0, 700.0))))


TWO_OVER_PI = [0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
               0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561]


def _sin_cos_one(xf, want_cos, want_tan=False):
    """The Executor's sinCosReduced of one float (FastMath.h), its 128-bit
    reduction in Python integers; with want_tan fastTan's sin r / cos r
    (-cos r / sin r in an odd quadrant) before x's sign."""
    import struct
    bits = struct.unpack("<I", struct.pack("<f", xf))[0] & 0x7fffffff
    af = struct.unpack("<f", struct.pack("<I", bits))[0]
    if not af <= 3.4028235e38:
        return float("nan")
    k = 0
    if af <= float(np.float32(0.785398163)):
        r = float(af)
    else:
        e = (bits >> 23) & 0xff
        m = (bits & 0x7fffff) | (0x800000 if e else 0)
        q = (e if e else 1) - 150
        j0 = max(q - 1, 1)
        w, sh = (j0 - 1) // 32, (j0 - 1) % 32
        win = 0
        for i in range(4):
            win = (win << 32) | TWO_OVER_PI[w + i]
        win = ((win << sh) & (2**128 - 1)) >> 32
        p = win * m
        pt = j0 + 95 - q
        quad = (p >> pt) & 3
        f = (p << (128 - pt)) & (2**128 - 1)
        up = f >> 127
        quad += up
        a = (2**128 - f) & (2**128 - 1) if up else f
        k = quad & 3
        if a == 0:
            r = 0.0
        else:
            lz = 128 - a.bit_length()
            top = ((a << lz) & (2**128 - 1)) >> 64
            r = float(top) * 2.0 ** (-64 - lz) * 1.5707963267948966
            r = -r if up else r
    k = (k + (1 if want_cos else 0)) & 3
    r2 = r * r

    def poly(cosine):
        # cosPoly (terms 11, 1/(2n)!) or sinPoly (terms 10, 1/(2n+1)!),
        # Horner in r^2 with the coefficients computed by repeated division.
        acc = 0.0
        for n in range(11 if cosine else 10, 0, -1):
            c = 1.0
            for i in range(2, 2 * n + (1 if cosine else 2)):
                c /= i
            acc = acc * r2 + (-c if n % 2 else c)
        return 1.0 + r2 * acc if cosine else r + r * r2 * acc
    if want_tan:
        sn, cs = poly(False), poly(True)
        with np.errstate(all="ignore"):
            return float(np.float64(-cs) / sn if k & 1 else np.float64(sn) / cs)
    v = poly(bool(k & 1))
    return -v if k & 2 else v


def _odd_reduced(xf, want_tan):
    """fastSin or fastTan element by element: the reduced value with x's
    sign."""
    x = np.asarray(xf, np.float32)
    out = np.array([_sin_cos_one(float(v), False, want_tan)
                    for v in x.ravel()], np.float64)
    out = np.where(np.signbit(x.ravel()), -out, out)
    return out.astype(np.float32).reshape(x.shape)


def fast_sin(xf):
    """The Executor's fastSin, element by element."""
    return _odd_reduced(xf, False)


def fast_cos(xf):
    """The Executor's fastCos, element by element."""
    x = np.asarray(xf, np.float32)
    return np.array([_sin_cos_one(float(v), True) for v in x.ravel()],
                    np.float64).astype(np.float32).reshape(x.shape)


def fast_tan(xf):
    """The Executor's fastTan, element by element."""
    return _odd_reduced(xf, True)


def _f64(xf):
    return np.asarray(xf, np.float32).astype(np.float64)


def fast_sinh_cosh(xf, cosh):
    """The Executor's fastSinh / fastCosh in float64, operation for
    operation: (e -/+ 1/e) / 2, sinh's series below 1."""
    x = _f64(xf)
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        e = exp_clamped(np.where(ax > 700.0, 700.0, ax))
        inv = 1.0 / e
        if cosh:
            return (0.5 * (e + inv)).astype(np.float32)
        big = 0.5 * (e - inv)
        x2 = x * x
        p = np.zeros_like(x)
        for n in range(10, 0, -1):
            c = 1.0
            for i in range(2, 2 * n + 2):
                c /= i
            p = p * x2 + c
        small = x + x * x2 * p
        return np.where(ax < 1.0, small, np.copysign(big, x)
                        ).astype(np.float32)


def atan_d(x):
    """The Executor's atanD of a float64 array."""
    with np.errstate(all="ignore"):
        t = np.abs(x)
        inv = t > 1.0
        u = np.where(inv, 1.0 / t, t)
        mid = u > 0.2679491924311227
        s3 = 1.7320508075688772
        w = np.where(mid, (u * s3 - 1.0) / (u + s3), u)
        w2 = w * w
        p = np.full_like(w, -1.0 / 31)
        for k in range(14, -1, -1):
            p = p * w2 + (-1.0 if k % 2 else 1.0) / (2 * k + 1)
        a = np.where(mid, 0.5235987755982989, 0.0) + w * p
        a = np.where(inv, 1.5707963267948966 - a, a)
        return np.copysign(a, x)


def asin_d(x):
    """The Executor's asinD: atanD(x / sqrt(1 - x^2))."""
    with np.errstate(all="ignore"):
        return atan_d(x / np.sqrt(1.0 - x * x))


def log1p_d(t):
    """The Executor's log1pD of float64 t >= 0."""
    with np.errstate(all="ignore"):
        return np.where(t <= 1.0, _two_atanh(t / (2.0 + t)),
                        fast_log_d(1.0 + t))


def fast_asinh(xf):
    x = _f64(xf)
    with np.errstate(all="ignore"):
        ax, x2 = np.abs(x), x * x
        small = log1p_d(ax + x2 / (1.0 + np.sqrt(x2 + 1.0)))
        big = fast_log_d(ax + np.sqrt(x2 + 1.0))
        return np.copysign(np.where(ax > 1.0, big, small), x
                           ).astype(np.float32)


def fast_acosh(xf):
    x = _f64(xf)
    with np.errstate(all="ignore"):
        xm = x - 1.0
        r = log1p_d(xm + np.sqrt(xm * (x + 1.0)))
        return np.where(x >= 1.0, r, np.nan).astype(np.float32)


def fast_atanh(xf):
    x = _f64(xf)
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        small = 0.5 * _two_atanh(x)
        big = 0.5 * fast_log_d((1.0 + ax) / (1.0 - ax))
        return np.where(ax <= 1.0 / 3, small, np.copysign(big, x)
                        ).astype(np.float32)


def fast_pow(x, y):
    """The Executor's fastPowD of an f32 base and an f32 or integer
    exponent (as float64: integers by value), rounded to f32."""
    x = _f64(x)
    y = np.asarray(y).astype(np.float64)
    with np.errstate(all="ignore"):
        z = y * fast_log_d(np.abs(x))
        z = np.where(z < -700.0, -700.0, np.where(z > 700.0, 700.0, z))
        r = exp_clamped(z)
        y_int = np.floor(y) == y
        y_odd = y_int & (np.floor(y * 0.5) != y * 0.5)
        r = np.where(y_odd & np.signbit(x), -r, r)
        r = np.where((x < 0.0) & (x > -np.inf) & ~y_int, np.nan, r)
        r = np.where((y == 0.0) | (x == 1.0) |
                     ((x == -1.0) & (np.abs(y) == np.inf)), 1.0, r)
        r = np.where(y == 3.0, x * x * x, r)
        return np.where(y == 2.0, x * x, r).astype(np.float32)


def fast_sigmoid(xf):
    z = -np.asarray(xf, np.float32).astype(np.float64)
    with np.errstate(invalid="ignore"):
        z = np.where(z < -700.0, -700.0, np.where(z > 700.0, 700.0, z))
    return (1.0 / (1.0 + exp_clamped(z))).astype(np.float32)


def _pow23(x, y):
    x = np.asarray(x, np.float32).astype(np.float64)
    y = np.asarray(y, np.float32).reshape(-1)[0]
    return ((x * x) if y == 2.0 else (x * x * x)).astype(np.float32)


def _gelu_tanh(x):
    """qc.gelu's tanh form in f32, left to right (the Executor's
    geluTanhLoop): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x x x)))."""
    f = np.float32
    x = np.asarray(x, f)
    cube = ((f(0.044715) * x) * x) * x
    t = fast_tanh((f(0.7978845608028654) * (x + cube)).astype(f))
    return ((f(0.5) * x) * (f(1.0) + t)).astype(f)


def _hard_swish(x):
    """x * std::max(0, std::min(1, x / 6 + 0.5)) in f32 (a NaN t gives
    std::min's 1)."""
    f = np.float32
    x = np.asarray(x, f)
    t = (x / f(6.0) + f(0.5)).astype(f)
    m = np.where(t < f(1.0), t, f(1.0))
    return (x * np.where(f(0.0) < m, m, f(0.0))).astype(f)


def _erf_coefficients(terms=60):
    c, v = [], 1.0
    for n in range(terms):
        c.append(v)
        v = v * 2.0 / (2 * n + 3)
    return c


ERF_COEFFICIENTS = _erf_coefficients()


def fast_erf(xf):
    """The Executor's fastErf (FastMath.h) in float64, operation for
    operation: A&S 7.1.6 with 60 coefficients as four Horner chains in
    x^8, +-1 beyond |x| = 4."""
    c = ERF_COEFFICIENTS
    x = np.asarray(xf, np.float32).astype(np.float64)
    ax = np.abs(x)
    with np.errstate(invalid="ignore", over="ignore"):
        y = np.where(ax > 4.0, 4.0, ax)
        z = y * y
        z2 = z * z
        z4 = z2 * z2
        q = []
        for j in range(4):
            p = np.full_like(z, c[len(c) - 4 + j])
            for i in range(len(c) // 4 - 2, -1, -1):
                p = p * z4 + c[4 * i + j]
            q.append(p)
        poly = (q[0] + z * q[1]) + z2 * (q[2] + z * q[3])
        r = 1.1283791670955126 * exp_clamped(-z) * (y * poly)
        r = np.where(ax > 4.0, 1.0, r)
    return np.copysign(r, x).astype(np.float32)


def _gelu_erf(x):
    """The Executor's geluErfLoop in f32: 0.5 x (1 + erf(x / sqrt 2))."""
    f = np.float32
    x = np.asarray(x, f)
    return ((f(0.5) * x) * (f(1) + fast_erf(x * f(0.7071067811865476)))
            ).astype(f)


def _hard_sigmoid(alpha, beta, x):
    """The Executor's std::max(0.0f, std::min(1.0f, alpha * x + beta)) in
    f32 (std::min(a, b) is b < a ? b : a: a NaN gives 1)."""
    t = (np.float32(alpha) * np.asarray(x, np.float32) +
         np.float32(beta)).astype(np.float32)
    m = np.where(t < 1, t, np.float32(1))
    return np.where(m > 0, m, np.float32(0)).astype(np.float32)


def _sum4(cols):
    """The Executor's softmax / layer-norm reduction over the last axis of
    a float64 array: four running sums, (s0 + s1) + (s2 + s3), the tail."""
    n = cols.shape[-1]
    n4 = n - n % 4
    s4 = [np.zeros(cols.shape[:-1]) for _ in range(4)]
    for k in range(0, n4, 4):
        for j in range(4):
            s4[j] = s4[j] + cols[..., k + j]
    s = (s4[0] + s4[1]) + (s4[2] + s4[3])
    for k in range(n4, n):
        s = s + cols[..., k]
    return s


def softmax_rows(x, axis=-1, log=False):
    """The Executor's softmaxRow (log-softmax with `log`) along `axis`, bit
    for bit."""
    x = np.asarray(x, np.float32)
    if axis not in (-1, x.ndim - 1):
        return np.moveaxis(softmax_rows(np.moveaxis(x, axis, -1), log=log),
                           -1, axis)
    n = x.shape[-1]
    n4 = n - n % 4

    def smax(a, b):  # std::max
        with np.errstate(invalid="ignore"):
            return np.where(a < b, b, a)

    m4 = [np.full(x.shape[:-1], -np.inf, np.float32) for _ in range(4)]
    for k in range(0, n4, 4):
        for j in range(4):
            m4[j] = smax(m4[j], x[..., k + j])
    mx = smax(smax(m4[0], m4[1]), smax(m4[2], m4[3]))
    for k in range(n4, n):
        mx = smax(mx, x[..., k])
    with np.errstate(invalid="ignore"):
        d = (x - mx[..., None]).astype(np.float64)
        d = np.where(d < -700.0, -700.0, d)
    y = exp_clamped(d).astype(np.float32)
    if log:
        ls = fast_log_d(_sum4(y.astype(np.float64))).astype(np.float32)
        with np.errstate(invalid="ignore"):
            return ((x - mx[..., None]).astype(np.float32) -
                    np.asarray(ls, np.float32)[..., None]).astype(np.float32)
    inv = np.float32(1.0 / _sum4(y.astype(np.float64)))
    return (y * np.asarray(inv, np.float32)[..., None]).astype(np.float32)


def layer_norm_rows(x, g, b, eps):
    """The Executor's layerNorm over the last axis: (y, mean, inv std)."""
    x = np.asarray(x, np.float32)
    n = x.shape[-1]
    mu = (_sum4(x.astype(np.float64)) / n).astype(np.float32)
    d = (x - mu[..., None]).astype(np.float32)
    var = (_sum4(d.astype(np.float64) * d.astype(np.float64)) / n).astype(np.float32)
    rstd = (np.float32(1.0) / np.sqrt((var + np.float32(eps)).astype(np.float32))
            ).astype(np.float32)
    y = ((d * rstd[..., None]).astype(np.float32) * g).astype(np.float32)
    if b is not None:
        y = (y + b).astype(np.float32)
    return y, mu, rstd


def layout(step, ins, out_shape):
    op, a = step["op"], step.get("attrs", {})
    x = ins[0]
    if op == "qc.transpose":
        return np.transpose(x, a["perm"])
    if op == "qc.slice":
        idx = [slice(None)] * x.ndim
        for i, ax in enumerate(a["axes"]):
            ax = ax + x.ndim if ax < 0 else ax
            dim, st = x.shape[ax], (a["steps"][i] if a["steps"] else 1)
            s0 = a["starts"][i]
            s0 = s0 + dim if s0 < 0 else s0
            s0 = min(max(s0, 0), dim if st > 0 else dim - 1)
            idx[ax] = s0 + np.arange(out_shape[ax]) * st
            x = x[tuple(idx)]
            idx[ax] = slice(None)
        return x
    if op == "qc.concat":
        return np.concatenate(ins, axis=a["axis"])
    if op == "qc.gather":
        ax = a["axis"] + x.ndim if a["axis"] < 0 else a["axis"]
        i = ins[1].astype(np.int64)
        i = np.clip(np.where(i < 0, i + x.shape[ax], i), 0, x.shape[ax] - 1)
        return np.take(x, i, axis=ax)
    if op == "qc.pad":
        # S14: negative pads crop, then numpy pads what remains.
        r, p = x.ndim, a["pads"]
        x = x[tuple(slice(max(-p[d], 0),
                          max(max(-p[d], 0), x.shape[d] - max(-p[r + d], 0)))
                    for d in range(r))]
        widths = [(max(p[d], 0), max(p[r + d], 0)) for d in range(r)]
        if a["mode"] == "constant":
            return np.pad(x, widths, constant_values=np.asarray(
                a["value"]).astype(x.dtype))
        return np.pad(x, widths, mode=a["mode"])
    if op == "qc.gather_nd":
        # S15, as the kernel: negative indices from the end, out-of-range
        # ones clamped (the CPU reports them).
        b, i = a["batch_dims"], ins[1].astype(np.int64)
        m = i.shape[-1]
        dims = np.array(x.shape[b:b + m])
        i = np.clip(np.where(i < 0, i + dims, i), 0, dims - 1)
        bs = x.shape[:b]
        xb = x.reshape((-1,) + x.shape[b:])
        ib = i.reshape((-1,) + i.shape[b:])
        out = np.stack([xb[k][tuple(np.moveaxis(ib[k], -1, 0))]
                        for k in range(xb.shape[0])])
        return out.reshape(bs + out.shape[1:])
    if op in ("qc.arg_max", "qc.arg_min"):
        # M21: an in-order scan with IEEE compares (a NaN wins only as a
        # slice's first element), >= / <= with select_last_index.
        ax, last = a["axis"], a["select_last_index"]
        xs = np.moveaxis(x, ax, 0)
        best, idx = xs[0].copy(), np.zeros(xs.shape[1:], np.int64)
        for k in range(1, xs.shape[0]):
            with np.errstate(invalid="ignore"):
                if op == "qc.arg_max":
                    better = xs[k] >= best if last else xs[k] > best
                else:
                    better = xs[k] <= best if last else xs[k] < best
            best = np.where(better, xs[k], best)
            idx = np.where(better, k, idx)
        return np.expand_dims(idx, ax) if a["keepdims"] else idx
    if op == "qc.trilu":
        # (k clamped to where it still decides something: numpy's own
        # arithmetic overflows near INT64_MIN.)
        # (A run-time k is the step's second input.)
        lim = x.shape[-1] + x.shape[-2] + 1
        k = a["k"] if "k" in a else int(np.asarray(ins[1]).reshape(-1)[0])
        k = int(np.clip(k, -lim, lim))
        return np.triu(x, k) if a["upper"] else np.tril(x, k)
    if op == "qc.cumsum":
        # M22: running sums in the element type, in order (numpy's
        # accumulate is sequential; f16 and f64 summed in f32, as the
        # Executor holds them); exclusive shifts the inclusive sums. A
        # run-time axis is the step's second input.
        ax = a["axis"] if "axis" in a else \
            int(np.asarray(ins[1]).reshape(-1)[0])
        ax = ax + x.ndim if ax < 0 else ax
        y = as_f32(np.flip(x, ax) if a["reverse"] else x)
        s = np.cumsum(y, axis=ax, dtype=y.dtype).astype(x.dtype)
        if a["exclusive"]:
            s = np.concatenate([np.zeros_like(np.take(s, [0], axis=ax)),
                                np.take(s, range(s.shape[ax] - 1), axis=ax)],
                               axis=ax)
        return np.flip(s, ax) if a["reverse"] else s
    if op == "qc.resize":
        return resize(a, x, out_shape)
    if op == "qc.expand":
        return np.broadcast_to(x, out_shape)
    if op == "qc.tile":
        return np.tile(x, [o // i for o, i in zip(out_shape, x.shape)])
    if op == "qc.gather_elements":
        ax = a["axis"] + x.ndim if a["axis"] < 0 else a["axis"]
        i = ins[1].astype(np.int64)
        i = np.clip(np.where(i < 0, i + x.shape[ax], i), 0, x.shape[ax] - 1)
        return np.take_along_axis(x, i, axis=ax)
    if op in ("qc.scatter_elements", "qc.scatter_nd"):
        return scatter(op, a, x, ins[1], ins[2])
    raise ProgramError(f"no model of layout op {op}")


def scatter(op, a, x, idx, upd):
    """qc.scatter_elements (S17) / qc.scatter_nd (S16) as the Executor:
    a copy of x, each update applied in order (none replaces; add, mul,
    max and min combine: floats in f32 with std::max / std::min, integers
    wrapping); negative indices from the end, out-of-range ones skipped (the
    Executor's error)."""
    out = as_f32(x).copy()
    upd = as_f32(upd)
    idx = np.asarray(idx).astype(np.int64)
    red = a["reduction"]

    def combine(old, u):
        if red == "none":
            return u
        with np.errstate(all="ignore"):
            if red == "add":
                return old + u
            if red == "mul":
                return old * u
        if red == "max":
            return u if old < u else old
        return u if u < old else old

    if op == "qc.scatter_nd":
        m = idx.shape[-1]
        tuples = idx.reshape(-1, m)
        slices = upd.reshape((len(tuples),) + x.shape[m:])
        for t, sl in zip(tuples, slices):
            t = [int(v) + (x.shape[d] if v < 0 else 0)
                 for d, v in enumerate(t)]
            if all(0 <= v < x.shape[d] for d, v in enumerate(t)):
                for rest in np.ndindex(*x.shape[m:]):
                    at = tuple(t) + rest
                    out[at] = combine(out[at], sl[rest])
    else:
        ax = a["axis"] + x.ndim if a["axis"] < 0 else a["axis"]
        for ct in np.ndindex(*idx.shape):
            v = int(idx[ct])
            v += x.shape[ax] if v < 0 else 0
            if 0 <= v < x.shape[ax]:
                at = ct[:ax] + (v,) + ct[ax + 1:]
                out[at] = combine(out[at], upd[ct])
    return out.astype(x.dtype)


def _resize_taps(a, d, n_in, n_out):
    """One dim of qc.resize (nearest or linear): the taps' clamped input
    indices and f32 weights per output index, in the Executor's f32
    arithmetic (runResize)."""
    f = np.float32
    scale = f(a["scales"][d])
    ln = f(f(n_in) * scale)
    oi = np.arange(n_out).astype(f)
    ct = a["coordinate_transformation_mode"]
    half = (oi + f(0.5)) / scale - f(0.5)
    if ct == "half_pixel":
        c = half
    elif ct == "half_pixel_symmetric":
        adj, center = f(n_out) / ln, f(n_in) / f(2)
        c = (center * (f(1) - adj) + (oi + f(0.5)) / scale) - f(0.5)
    elif ct == "pytorch_half_pixel":
        c = half if ln > 1 else np.zeros(n_out, f)
    elif ct == "tf_half_pixel_for_nn":
        c = (oi + f(0.5)) / scale
    elif ct == "align_corners":
        c = np.zeros(n_out, f) if n_out == 1 else \
            (oi * f(n_in - 1)) / (ln - f(1))
    else:  # asymmetric
        c = oi / scale
    c = c.astype(f)
    fl = np.floor(c)

    def clamp(i):
        return np.clip(i, 0, n_in - 1)
    if a["mode"] == "nearest":
        nm = a["nearest_mode"]
        if nm == "floor":
            i = fl
        elif nm == "ceil":
            i = np.ceil(c)
        else:  # a tie by the mode, else std::round
            frac = c - fl
            tie = fl + 1 if nm == "round_prefer_ceil" else fl
            i = np.where(frac == f(0.5), tie, np.where(frac > f(0.5), fl + 1, fl))
        return [clamp(i.astype(np.int64))], [np.ones(n_out, f)]
    base, r = fl.astype(np.int64), (c - fl).astype(f)
    whole = r == 0
    r = np.where(whole, f(1), r).astype(f)
    base = np.where(whole, base - 1, base)
    idx, w = [base, base + 1], [(f(1) - r).astype(f), r]
    if a["exclude_outside"]:
        w = [np.where((i >= 0) & (i < n_in), wk, f(0)).astype(f)
             for i, wk in zip(idx, w)]
        s = ((f(0) + w[0]) + w[1]).astype(f)
        with np.errstate(all="ignore"):
            w = [np.where(s != 0, wk / s, wk).astype(f) for wk in w]
    return [clamp(i) for i in idx], w


def resize(a, x, out_shape):
    """qc.resize with constant scales, nearest or linear, as the layout
    kernel computes it: the terms over every dim's taps in order (the
    last dim's fastest), a term with a zero tap weight dropped, acc = 0 +
    w * x term by term in f32."""
    import itertools
    f = np.float32
    taps = [_resize_taps(a, d, x.shape[d], out_shape[d])
            for d in range(x.ndim)]
    acc = np.zeros(out_shape, f)
    for combo in itertools.product(*[range(len(t[0])) for t in taps]):
        ix = np.ix_(*[taps[d][0][k] for d, k in enumerate(combo)])
        w = np.ones(out_shape, f)
        keep = np.ones(out_shape, bool)
        for d, k in enumerate(combo):
            shape = [1] * x.ndim
            shape[d] = -1
            wd = taps[d][1][k].reshape(shape)
            w = (w * wd).astype(f)
            keep &= wd != 0
        with np.errstate(all="ignore"):
            acc = np.where(keep, (acc + w * x[ix]).astype(f), acc)
    return acc


INT_TYPES = ("i1", "i8", "ui8", "i16", "ui16", "i32", "ui32", "i64",
             "ui64")
# The float types the chains compute in f32 (f16 and f64 values read as
# f32, as the Executor holds them).
WIDE_FLOATS = ("f32", "f16", "f64")
CODE_DTYPE = {"i8": np.int8, "ui8": np.uint8,
              **{f: np.uint8 for f in FLOAT_CODES}}


def top_k_rows(x, k, largest):
    """qc.top_k over the last axis in the Executor's order: NaN above every
    number (NaNs, and equal values, by index), larger (or smaller) first."""
    rows = x.reshape(-1, x.shape[-1])
    vals = np.empty((rows.shape[0], k), np.float32)
    idx = np.empty((rows.shape[0], k), np.int64)
    for r, row in enumerate(rows):
        def key(i):
            v = row[i]
            if np.isnan(v):
                return (0 if largest else 2, 0.0, i)
            return (1, -float(v) if largest else float(v), i)
        order = sorted(range(len(row)), key=key)[:k]
        idx[r] = order
        vals[r] = row[order]
    return vals, idx


def attention_probs(attrs, q, kt, mask=None):
    """qc.attention's probabilities (the attention_<i> kernels): scores q
    x kt summed in float64 (the kernel in fp32 with fma, the Executor with
    OpenBLAS), rounded to f32, times the scale (when not 1), the mask added
    (f32) or, with attrs.mask_value, put where the (i1) mask is false; the
    softmax row as the Executor's."""
    f = np.float32
    s = np.matmul(q.astype(np.float64), kt.astype(np.float64)).astype(f)
    if attrs["scale"] != 1.0:
        s = (s * f(attrs["scale"])).astype(f)
    if mask is not None:
        if "mask_value" in attrs:
            s = np.where(np.asarray(mask) != 0, s, f(attrs["mask_value"]))
        else:
            s = (s + mask.astype(f)).astype(f)
    return softmax_rows(s.reshape(-1, s.shape[-1])).reshape(s.shape)


def attention_rows(attrs, q, kt, v, mask=None):
    """qc.attention: attention_probs x v, summed in float64."""
    p = attention_probs(attrs, q, kt, mask)
    return np.matmul(p.astype(np.float64),
                     v.astype(np.float64)).astype(np.float32)


def rms_norm_rows(x, g, eps, exponent=2.0):
    """qc.rms_norm over the last axis as the Executor's rmsNorm: squares
    rounded to f32 summed in order in f64, the mean rounded to f32, sqrt
    of (mean + eps) in f32, then x / rms * g (g per element or one). The
    decomposed form's pow may have exponent 3 (cubes in f64)."""
    f = np.float32
    x = np.asarray(x, f)
    sq = _pow23(x, exponent).astype(np.float64)
    s = np.cumsum(sq, axis=-1)[..., -1:] if x.shape[-1] else \
        np.zeros(x.shape[:-1] + (1,))
    ms = (s / x.shape[-1]).astype(f)
    rms = np.sqrt((ms + f(eps)).astype(f))
    g = np.asarray(g, f)
    return ((x / rms).astype(f) * (g.reshape(-1)[0] if g.size == 1 else g)
            ).astype(f)


def as_f32(x):
    """f16 and f64 values as the Executor holds them (f32, f64 rounded to
    nearest even); other arrays as they are."""
    x = np.asarray(x)
    return x.astype(np.float32) if x.dtype in (np.float16, np.float64) else x


def reduce_rows(x, step, n_out):
    """[outputs, reduced elements] of a reduce step's input: the reduced
    axes (step attrs, default the trailing ones) moved last, so each row
    lists an output's elements in the kernel's (row-major) order."""
    axes = step.get("attrs", {}).get("axes")
    if axes:
        x = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim))
    return np.ascontiguousarray(x).reshape(n_out, -1)


def split_epilogue(step, views):
    """A conv_ / pool_ / gap_ / gmp_ / matmul_ / softmax_ / log_softmax_
    step's views without the inputs of its epilogue
    (the chain after the op, its "expr", reads the last "epilogue_inputs"
    args), and those inputs."""
    n = step.get("epilogue_inputs", 0)
    return list(views[:len(views) - n]), list(views[len(views) - n:])


def with_epilogue(step, y, extras, shape, numerics=None):
    """y, the op result of a step with an epilogue (f32, or a max pool's
    codes), through the step's epilogue (in0 is y, its other inputs
    `extras`), or y without one."""
    if "expr" not in step:
        return y
    y = np.asarray(y)
    if y.dtype.kind == "f":
        y = y.astype(np.float32)
    return eval_expr(step["expr"], [y] + extras, shape, numerics)


def with_prologues(step, views, numerics=None):
    """A conv_ / matmul_ step's views with each operand its kernel computes
    from a prologue chain (a weight's or an activation's dequantize: the
    step's "prologues")
    evaluated from that chain's inputs, as the operand's own view: the
    views the step would have without the prologues."""
    ps = {p["operand"]: p for p in step.get("prologues", [])}
    if not ps:
        return views
    n_out = len(output_positions(step))
    res, ins, i = list(views[:n_out]), views[n_out:], 0
    while i < len(ins):
        p = ps.get(len(res) - n_out)
        if p is None:
            res.append(ins[i])
            i += 1
            continue
        # (an activation's prologue: its run-time batch, -1, is its
        # codes'.)
        shape = tuple(d if d >= 0 else ins[i].shape[k]
                      for k, d in enumerate(p["shape"]))
        v = eval_expr(p["expr"], ins[i:i + p["inputs"]], shape, numerics)
        res.append(np.broadcast_to(np.asarray(v, np.float32), shape))
        i += p["inputs"]
    return res


# Ops the chains also compute on integers (i8, ui8, i32, i64), wrapping.
INT_CHAIN_OPS = {"add", "sub", "mul", "neg", "abs", "max", "min", "where",
                 "mod", "bit_shift", "pow"}


def _int_pow(x, y):
    """The Executor's intPow: x^y by squaring in wrapping 64-bit
    arithmetic (x and y sign- or zero-extended by their types), a negative
    exponent giving 1 for x = 1, +-1 for x = -1 and 0 otherwise; wrapped
    to x's type."""
    x, y = np.broadcast_arrays(np.asarray(x), np.asarray(y))
    b = x.astype(np.int64).astype(np.uint64)
    e = y.astype(np.int64).astype(np.uint64) if y.dtype.kind == "i" else \
        y.astype(np.uint64)
    r = np.ones(b.shape, np.uint64)
    for _ in range(64):
        r = np.where(e & np.uint64(1), r * b, r)
        b, e = b * b, e >> np.uint64(1)
    if y.dtype.kind == "i":
        xi = x.astype(np.int64)
        odd = (y.astype(np.int64) & 1) != 0
        special = np.where(xi == 1, 1, np.where(xi == -1,
                                                np.where(odd, -1, 1), 0))
        r = np.where(y < 0, special.astype(np.int64).astype(np.uint64), r)
    return r.astype(x.dtype)


def _int_mod(fmod, x, y):
    """The Executor's integer Mod: x % 0 and (signed) x % -1 are 0; C's
    sign of the dividend with fmod, else the divisor's."""
    x, y = np.broadcast_arrays(np.asarray(x), np.asarray(y))
    signed = x.dtype.kind == "i"
    bad = (y == 0) | ((y == -1) if signed else False)
    ys = np.where(bad, 1, y).astype(y.dtype)
    r = np.fmod(x, ys) if signed else x % ys  # fmod: sign of the dividend
    r = np.where(bad, 0, r).astype(x.dtype)
    if not fmod and signed:
        fix = (r != 0) & ((r < 0) != (y < 0))
        r = np.where(fix, r + y, r).astype(x.dtype)
    return r


def _bit_shift(left, x, y):
    """x << y or x >> y on unsigned integers; a shift by the width or more
    gives 0."""
    x, y = np.broadcast_arrays(np.asarray(x), np.asarray(y))
    w = x.dtype.itemsize * 8
    over = y >= w
    ys = np.where(over, 0, y).astype(x.dtype)
    r = np.left_shift(x, ys) if left else np.right_shift(x, ys)
    return np.where(over, 0, r).astype(x.dtype)


def _ints(*xs):
    """Whether the (last) operands hold integers (not booleans)."""
    return all(np.asarray(x).dtype.kind in "iu" for x in xs)


def eval_expr(expr, ins, out_shape, numerics=None):
    """Evaluates an elementwise step's expr ("relu(add(in0,in1))") in f32
    with numpy broadcasting, as the ew kernels do. quantize_linear /
    dequantize_linear carry their codes' type and axis
    ("quantize_linear:i8:a1(in0,in1,in2)"); e4m3 codes need `numerics`
    (quantc.numerics: encode / decode)."""
    rank = len(out_shape)

    def by_axis(p, axis, block=0):
        """A per-axis (rank-1) scale or zero point along `axis`, or a
        blocked one (ceil(dim / block) along `axis`) repeated over its
        blocks."""
        p = np.asarray(p)
        if block:
            p = np.repeat(p, block, axis=axis)
            return np.take(p, np.arange(out_shape[axis]), axis=axis)
        if p.ndim != 1:
            return p
        shape = [1] * rank
        shape[axis] = -1
        return p.reshape(shape)

    def quantize_linear(fmt, axis, block, x, scale, zp=None):
        # Numerics F21-F23: x / scale in f32; integers NaN -> 0, clamp to
        # 2^22, round half to even, + zero point, clamp; e4m3 saturating.
        t = (np.asarray(x, np.float32) /
             by_axis(scale, axis, block).astype(np.float32)).astype(np.float32)
        if fmt in FLOAT_CODES:
            return np.asarray(numerics.encode(t, fmt), np.uint8)
        v = np.clip(np.where(np.isnan(t), np.float32(0), t), -4194304.0,
                    4194304.0).astype(np.float32)
        v = np.rint(v).astype(np.float32)
        if zp is not None:
            v = (v + by_axis(zp, axis, block).astype(np.float32)).astype(np.float32)
        lo, hi = (-128, 127) if fmt == "i8" else (0, 255)
        return np.clip(v, lo, hi).astype(CODE_DTYPE[fmt])

    def requantize_linear(fmt, axis, block, acc, scale, zero, bias=None):
        # The Executor's runRequantizeLinear: a = acc (+ bias) in int64,
        # rne(float(a) * scale) + zero in f32, clamped, the low byte.
        def along(p):
            p = np.asarray(p)
            return p.reshape(()) if p.size == 1 else by_axis(p, axis)
        a = np.asarray(acc).astype(np.int64)
        if bias is not None:
            a = a + along(bias).astype(np.int64)
        f32 = np.float32
        v = np.rint((a.astype(f32) * along(scale).astype(f32)).astype(f32))
        v = (v + f32(np.asarray(zero).reshape(-1)[0])).astype(f32)
        lo, hi = (-128, 127) if fmt == "i8" else (0, 255)
        v = np.where(v < lo, f32(lo), np.where(hi < v, f32(hi), v))
        return v.astype(np.int32).astype(CODE_DTYPE[fmt])

    def nibble(c, fmt):
        # A 4-bit code's value from the low nibble of its byte.
        c = np.asarray(c).astype(np.int16) & 15
        return (c ^ 8) - 8 if fmt == "i4" else c

    def dequantize_linear(fmt, axis, block, codes, scale, zp=None):
        # Numerics F25: (code - zero point) * scale, e4m3 value * scale.
        if fmt in ("i4", "ui4"):
            codes = nibble(codes, fmt)
            zp = None if zp is None else nibble(zp, fmt)
        codes = np.asarray(codes).astype(CODE_DTYPE.get(fmt, np.int16))
        if fmt in FLOAT_CODES:
            v = np.asarray(numerics.decode(codes, fmt), np.float32)
        else:
            v = codes.astype(np.float32)
            if zp is not None:
                v = (v - by_axis(np.asarray(zp).astype(codes.dtype),
                                 axis, block).astype(np.float32)).astype(np.float32)
        return (v * by_axis(scale, axis, block).astype(np.float32)).astype(np.float32)

    def cast(src, dst, sat, x):
        # f32 to a float code (Numerics encode with the cast's saturate)
        # or a code to its f32 value: the Executor's castKernel.
        # bf16 travels as its 16-bit pattern; the Executor rounds to it
        # without saturating.
        if dst in WIDE_FLOATS and (src in INT_TYPES or src in WIDE_FLOATS):
            # The Executor's: an integer as a double, then rounded to f32
            # (twice for an i64 beyond 2^53); a float as its f32 value
            # (eval_expr reads f16 and f64 as f32); to f16 rounded once
            # more (to nearest even, not saturating).
            v = np.asarray(x).astype(np.float64).astype(np.float32)
            return v.astype(np.float16).astype(np.float32) \
                if dst == "f16" else v
        if dst in INT_TYPES and src in INT_TYPES:
            # Integers: the value wrapped to the width (numpy's astype);
            # to i1, x != 0.
            x = np.asarray(x)
            return x != 0 if dst == "i1" else x.astype(DTYPE[dst])
        if src in WIDE_FLOATS and dst in INT_TYPES:
            # A float to an integer: NaN -> 0, truncated toward zero,
            # clamped to the type's range (a 64-bit bound that is no
            # double: the largest value); to i1, x != 0 (NaN is true).
            v = np.asarray(x, np.float64)
            if dst == "i1":
                return v != 0
            t = np.iinfo(DTYPE[dst])
            v = np.trunc(np.where(np.isnan(v), 0.0, v))
            big = v >= float(t.max) + 1.0 if t.bits == 64 else v > t.max
            v = np.where(big, 0.0, np.maximum(v, float(t.min)))
            return np.where(big, t.max, v.astype(DTYPE[dst])).astype(DTYPE[dst])
        if src == "f32":
            wide = dst == "bf16"
            return np.asarray(numerics.encode(np.asarray(x, np.float32), dst,
                                              bool(sat) and not wide),
                              np.uint16 if wide else np.uint8)
        return np.asarray(numerics.decode(
            np.asarray(x, np.uint16 if src == "bf16" else np.uint8), src),
            np.float32)

    def batch_norm(eps, x, scale, bias, mean, var):
        # Per channel (dimension 1), in the Executor's f32 order.
        shape = (-1,) + (1,) * (rank - 2)
        a = scale / np.sqrt(var + eps)
        shift = bias - mean * a
        return x * a.reshape(shape) + shift.reshape(shape)

    ops = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
           "div": np.divide, "neg": np.negative, "abs": np.abs,
           "relu": lambda x: np.where((x > 0) | np.isnan(x), x, np.float32(0)),
           "batch_norm": batch_norm, "sqrt": np.sqrt, "tanh": fast_tanh,
           "sigmoid": fast_sigmoid,
           "pow": lambda x, y: _int_pow(x, y) if _ints(x, y) else
           fast_pow(x, y),
           "silu": lambda x: np.float32(x) * fast_sigmoid(x),
           "gelu": _gelu_tanh, "gelu_erf": _gelu_erf, "erf": fast_erf,
           "exp": fast_exp, "log": fast_log, "softplus": fast_softplus,
           "sin": fast_sin, "cos": fast_cos, "tan": fast_tan,
           "sinh": lambda x: fast_sinh_cosh(x, False),
           "cosh": lambda x: fast_sinh_cosh(x, True),
           "atan": lambda x: atan_d(_f64(x)).astype(np.float32),
           "asin": lambda x: asin_d(_f64(x)).astype(np.float32),
           "acos": lambda x: (1.5707963267948966 - asin_d(_f64(x))
                              ).astype(np.float32),
           "asinh": fast_asinh, "acosh": fast_acosh, "atanh": fast_atanh,
           # x < -lambd ? x + bias : (x > lambd ? x - bias : 0), in f32
           "shrink": lambda bias, lambd, x: np.where(
               x < -np.float32(lambd), x + np.float32(bias),
               np.where(x > np.float32(lambd), x - np.float32(bias),
                        np.float32(0))),
           "elu": _elu, "selu": _selu, "celu": _celu,
           "mish": lambda x: (np.asarray(x, np.float32) *
                              fast_tanh(fast_softplus(x))).astype(np.float32),
           "hard_swish": _hard_swish,
           "where": lambda c, x, y: np.where(np.asarray(c) != 0, x, y),
           "less": np.less, "less_equal": np.less_equal,
           "greater": np.greater, "greater_equal": np.greater_equal,
           "equal": np.equal, "cast": cast,
           "quantize_linear": quantize_linear,
           "requantize_linear": requantize_linear,
           "dequantize_linear": dequantize_linear,
           # the Executor's maxNaN: NaN if either is, else x > y ? x : y
           # (integers: the larger)
           "max": lambda x, y: np.maximum(x, y) if _ints(x, y) else np.where(
               np.isnan(x) | np.isnan(y), np.float32(np.nan),
               np.where(x > y, x, y)),
           # minNaN likewise
           "min": lambda x, y: np.minimum(x, y) if _ints(x, y) else np.where(
               np.isnan(x) | np.isnan(y), np.float32(np.nan),
               np.where(x < y, x, y)),
           # x < lo ? lo : (x > hi ? hi : x), NaN kept
           "clip": lambda lo, hi, x: np.where(x < lo, lo, np.where(x > hi, hi, x)),
           # half to even
           "round": np.rint,
           # std::max(0, std::min(1, alpha * x + beta)), NaN -> 1
           "hard_sigmoid": _hard_sigmoid,
           "leaky_relu": lambda a, x: np.where(x >= 0, x, np.float32(a) * x),
           "reciprocal": lambda x: np.float32(1) / x,
           "softsign": lambda x: x / (np.float32(1) + np.abs(x)),
           "not": lambda x: ~np.asarray(x, bool),
           "and": lambda x, y: np.asarray(x, bool) & np.asarray(y, bool),
           "or": lambda x, y: np.asarray(x, bool) | np.asarray(y, bool),
           "xor": lambda x, y: np.asarray(x, bool) ^ np.asarray(y, bool),
           "is_nan": np.isnan,
           "is_inf": lambda pos, neg, x: ((np.asarray(x) == np.inf) & bool(pos))
           | ((np.asarray(x) == -np.inf) & bool(neg)),
           "thresholded_relu": lambda a, x: np.where(x > np.float32(a), x,
                                                      np.float32(0)),
           "floor": np.floor, "ceil": np.ceil,
           # integers: the Executor's remainder; floats: C's fmod, exact
           "mod": lambda f, x, y: _int_mod(bool(f), x, y) if _ints(x, y)
           else np.fmod(np.asarray(x, np.float32), np.asarray(y, np.float32)),
           "bit_shift": lambda left, x, y: _bit_shift(bool(left), x, y),
           "sign": lambda x: np.where(x > 0, np.float32(1),
                                      np.where(x < 0, np.float32(-1), x))}
    compares = {"less", "less_equal", "greater", "greater_equal", "equal",
                "not", "and", "or", "xor", "is_nan", "is_inf"}
    pos = 0

    def parse():
        nonlocal pos
        m = re.match(r"in(\d+)", expr[pos:])
        if m:
            pos += m.end()
            # (f16 and f64 values computed in f32, as the Executor holds
            # every float tensor.)
            return as_f32(ins[int(m.group(1))])
        # name[:0x<f32 bits of a parameter>](args),
        # (de)quantize_linear:<codes type>:a<axis>[:b<block>](args), or
        # cast:<from>:<to>:s<saturate>(arg)
        m = re.match(r"(\w+)(?::0x([0-9a-f]+)(?::0x([0-9a-f]+))?"
                     r"|:(\w+):a(\d+)(?::b(\d+))?"
                     r"|:(\w+):(\w+):s([01]))?\(", expr[pos:])
        if not m or m.group(1) not in ops:
            raise ProgramError(f"bad expr at {pos}: {expr}")
        pos += m.end()
        args = [parse()]
        while expr[pos] == ",":
            pos += 1
            args.append(parse())
        if expr[pos] != ")":
            raise ProgramError(f"bad expr at {pos}: {expr}")
        pos += 1
        # f32 parameters (by their bits) go first, in order.
        args[:0] = [np.array([int(g, 16)], np.uint32).view(np.float32)[0]
                    for g in (m.group(2), m.group(3)) if g]
        if m.group(4):
            args[:0] = [m.group(4), int(m.group(5)), int(m.group(6) or 0)]
        if m.group(7):
            args[:0] = [m.group(7), m.group(8), int(m.group(9))]
        with np.errstate(all="ignore"):
            r = ops[m.group(1)](*args)
        if m.group(1) in ("quantize_linear", "requantize_linear") or (
                m.group(1) == "cast" and (m.group(7) == "f32" or
                                          m.group(8) in INT_TYPES)):
            return r  # codes, integers
        if m.group(1) in INT_CHAIN_OPS and _ints(*args[-2:]):
            return r  # integer arithmetic, wrapped to the width as numpy does
        return np.asarray(r, bool if m.group(1) in compares else np.float32)

    r = parse()
    if pos != len(expr):
        raise ProgramError(f"trailing text in expr: {expr}")
    return np.broadcast_to(r, out_shape)


def s32_to_f32(acc):
    """An exact int64 sum as the int8 GEMMs' s32 accumulator (modulo 2^32)
    rounded to f32 (Numerics F34)."""
    return acc.astype(np.uint32).view(np.int32).astype(np.float32)


def int8_scales(sa, sb, M, N, sa_rows, sb_cols):
    """The int8 GEMMs' fl(sa[m] * sb[n]), [M, N] f32: sa one value or
    (sa_rows) one per row, sb one value or (sb_cols) one per column."""
    sav = sa.reshape(-1).astype(np.float32)
    sbv = sb.reshape(-1).astype(np.float32)
    sav = sav if sa_rows else np.full(M, sav[0], np.float32)
    sbv = sbv if sb_cols else np.full(N, sbv[0], np.float32)
    return sav[:, None] * sbv[None, :]


def run_time_quantize(x, qmax, floor, b, codes, dequantized, numerics):
    """A run-time quantize (dyn_quantize / dyn_qdq steps, the norms'
    fused one, the sm_90a GEMM's fp8-1x128 output): the scales, f32 [...,
    ceil(K / b)], per block of b along x's last axis maxNaN(max |x| / qmax,
    floor) (the block's max a NaN if any element is); then the codes of
    `codes`, or with `dequantized` their f32 values. Returns (codes or
    values, scales)."""
    K = x.shape[-1]
    nb = -(-K // b)
    rows = np.abs(x.reshape(-1, K).astype(np.float32))
    # Zeros fill the last block: |x| >= 0 leaves its max as it is.
    rows = np.concatenate([rows, np.zeros((rows.shape[0], nb * b - K),
                                          np.float32)], axis=1)
    amax = rows.reshape(-1, nb, b).max(axis=-1)  # NaN propagates
    d = (amax / np.float32(qmax.reshape(-1)[0])).astype(np.float32)
    f = np.float32(floor.reshape(-1)[0])
    s = np.where(np.isnan(d) | np.isnan(f), np.float32(np.nan),
                 np.where(d > f, d, f)).astype(np.float32)
    s = s.reshape(x.shape[:-1] + (nb,))
    q = f"quantize_linear:{codes}:a{x.ndim - 1}:b{b}"
    expr = f"de{q}({q}(in0,in1),in1)" if dequantized else f"{q}(in0,in1)"
    return eval_expr(expr, [x, s], x.shape, numerics), s


def run_time_quantize_asym(x, zero, rng, floor, qmin, zclip, codes,
                           numerics):
    """F31's asymmetric run-time quantize of x's rows (dyn_qdq steps with a
    zero_point attribute), dequantized: per row lo = minNaN(min x, zero),
    hi = maxNaN(max x, zero), s = maxNaN((hi - lo) / range, floor), z =
    cast(round(clip(qmin - lo / s, zclip))), then (codes - z) * s."""
    f32 = np.float32
    K = x.shape[-1]
    rows = x.reshape(-1, K).astype(f32)
    nan = np.isnan(rows).any(axis=1, keepdims=True)

    def pick(a, b, pred):  # the Executor's minNaN / maxNaN
        return np.where(np.isnan(a) | np.isnan(b), f32(np.nan),
                        np.where(pred(a, b), a, b)).astype(f32)

    mn = np.where(nan, f32(np.nan), rows.min(axis=1, keepdims=True))
    mx = np.where(nan, f32(np.nan), rows.max(axis=1, keepdims=True))
    z0 = f32(zero.reshape(-1)[0])
    lo = pick(mn.astype(f32), z0, np.less)
    hi = pick(mx.astype(f32), z0, np.greater)
    d = ((hi - lo).astype(f32) / f32(rng.reshape(-1)[0])).astype(f32)
    s = pick(d, f32(floor.reshape(-1)[0]), np.greater)
    zf = (f32(qmin.reshape(-1)[0]) - (lo / s).astype(f32)).astype(f32)
    zf = np.where(zf < zclip[0], f32(zclip[0]),
                  np.where(zf > zclip[1], f32(zclip[1]), zf))
    zf = np.rint(zf)
    zlo, zhi = (-128, 127) if codes == "i8" else (0, 255)
    z = np.trunc(np.clip(np.where(np.isnan(zf), f32(0), zf), zlo, zhi))
    z = z.astype(CODE_DTYPE[codes])
    shape = x.shape[:-1] + (1,)
    q = f"quantize_linear:{codes}:a{x.ndim - 1}:b{K}"
    return eval_expr(f"de{q}({q}(in0,in1,in2),in1,in2)",
                     [x, s.reshape(shape), z.reshape(shape)], x.shape,
                     numerics)


def dynamic_quantize_linear(x, numerics=None):
    """ONNX DynamicQuantizeLinear as the Executor computes it
    (numerics::dynamicQuantizeLinear; dql_ steps): max and min of x and 0,
    scale = (max == min ? 1 : max - min) / 255, zero = rne(clamp(0 - min /
    scale, 0, 255)) in f32, then x quantized to ui8 (F21-F23). Returns
    (codes, scale, zero)."""
    f32 = np.float32
    x = np.asarray(x, f32)
    mx = max(f32(0), x.max()) if x.size else f32(0)
    mn = min(f32(0), x.min()) if x.size else f32(0)
    rng = f32(1) if mx == mn else f32(mx - mn)
    scale = f32(rng / f32(255))
    zf = f32(f32(0) - f32(mn / scale))
    zf = f32(np.rint(min(f32(255), max(f32(0), zf))))
    zero = np.array(zf, np.uint8)
    codes = eval_expr("quantize_linear:ui8:a0(in0,in1,in2)",
                      [x, np.array(scale, f32), zero], x.shape, numerics)
    return codes, scale, zero


class NumpyBackend:
    """Each kernel as numpy; needs quantc.numerics for the MX codecs (the
    Numerics library through the Python module) or a stand-in with
    quantize_mx / dequantize_mx."""

    def __init__(self, numerics):
        self.nx = numerics

    # The models take packed 4-bit weights one code per byte.
    raw_packed_weights = False

    def _epilogue(self, step, acc, views, shape, first=5):
        """A GEMM step's fused epilogue (in0 is the accumulator, its other
        inputs the pointers from `first` on), or the accumulator without
        one."""
        if "expr" not in step:
            return acc
        return eval_expr(step["expr"], [acc] + views[first:], shape, self.nx)

    def _row_quantize(self, step, views):
        """A norm's fused run-time quantize of its stored row views[0]
        (qmax and floor are the last pointers): the codes and scales, or
        the dequantized row, in the output pointers after the norm's."""
        qa = step["attrs"]["quantize"]
        if "zero_point" in qa:  # F31 asymmetric: zero, range, floor, qmin
            at = output_positions(step)[-1]
            views[at][...] = run_time_quantize_asym(
                views[0], *views[-4:], qa["zero_point"], qa["codes"], self.nx)
            return
        out, sc = run_time_quantize(views[0], views[-2], views[-1],
                                    qa["block"], qa["codes"],
                                    qa["dequantized"], self.nx)
        at = output_positions(step)[-1 if qa["dequantized"] else -2]
        views[at][...] = out
        if not qa["dequantized"]:
            views[at + 1][...] = sc.reshape(views[at + 1].shape)

    @staticmethod
    def _pool(k, step, views):
        """A pool_ / gmp_ / gap_ step's result (before its epilogue)."""
        x, shape = views[1], views[0].shape
        if k.startswith("pool_"):  # (max pooling of codes gives codes)
            return pool2d(step["attrs"], x, shape).astype(
                x.dtype if x.dtype.kind in "iu" else np.float32)
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        if k.startswith("gmp_"):
            # The running max from -inf, a NaN sticking once seen.
            m = np.full(flat.shape[:2], -np.inf, np.float32)
            for i in range(flat.shape[-1]):
                v = flat[..., i]
                with np.errstate(invalid="ignore"):
                    take = ((v > m) | np.isnan(v)) & ~np.isnan(m)
                m = np.where(take, v, m)
            return m.reshape(shape)
        # In order, as the Executor and the kernel sum.
        flat = flat.astype(np.float64)
        s = np.cumsum(flat, axis=-1)[..., -1] if flat.shape[-1] else 0
        return (s / flat.shape[-1]).astype(np.float32).reshape(shape)

    def step(self, step, views, scalars, grid=None):
        k = step["kernel"]
        if k == "quantize_mxfp8" or k.startswith("quantize_mx_"):
            x, codes, scales = views
            elem = step.get("attrs", {}).get("element", "f8E4M3FN")
            c, s = self.nx.quantize_mx(x, elem, 32)
            codes[...], scales[...] = c, s
        elif k.startswith("mxfp8_gemm"):
            a, sa, w, sw, out = views[:5]
            M, N, K = scalars
            ea, ew = step.get("attrs", {}).get("elements",
                                               ["f8E4M3FN", "f8E4M3FN"])
            ad = self.nx.dequantize_mx(a.reshape(M, K), sa.reshape(M, -1), ea)
            wd = self.nx.dequantize_mx(w, sw, ew)
            acc = (ad.astype(np.float64) @ wd.astype(np.float64).T
                   ).astype(np.float32).reshape(out.shape)
            out[...] = self._epilogue(step, acc, views, out.shape)
        elif k.startswith("fp8_gemm_"):
            # The sm_90a GEMM (A, B through tensor maps): F33 through the
            # Numerics library. 1x128: SA [M, KB], SB a row per weight row
            # (each 128-row block's scales from its first row); per
            # channel: one activation scale, SB [N].
            a, b, sa, sb, out = views[:5]
            M, N, K = scalars
            if step["attrs"]["scales"] == "per-channel":
                sa_rows, sb_rows = np.full(M, sa.reshape(-1)[0], np.float32), sb
            else:
                kb = -(-K // 128)
                sa_rows, sb_rows = sa.reshape(M, kb), sb.reshape(N, kb)[::128]
            acc = np.asarray(self.nx.gemm_fp8(
                a.reshape(M, K), b.reshape(N, K), sa_rows, sb_rows,
                step["attrs"]["scales"]), np.float32).reshape(out.shape)
            if step["attrs"].get("output") != "fp8-1x128":
                out[...] = self._epilogue(step, acc, views, out.shape)
            else:
                # C and CS: the f32 result's run-time 1x128 quantize (QMAX
                # and FLOOR after CS, the epilogue's inputs after them).
                y = self._epilogue(step, acc, views, out.shape, 8)
                out[...], sc = run_time_quantize(y, views[6], views[7], 128,
                                                 "f8E4M3FN", False, self.nx)
                views[5][...] = sc.reshape(views[5].shape)
        elif k.startswith("i8_wgmma_"):
            # The sm_90a int8 wgmma GEMM (F34; A and B through tensor
            # maps, B [N, K]): the exact integer sum of (a - za) * b
            # modulo 2^32, to f32, times fl(sa * sb[n]) (sa one, or per
            # token); ZA after C when A has a zero point.
            a, b, sa, sb, out = views[:5]
            M, N, K = scalars
            attrs = step["attrs"]
            za = np.int64(views[5].reshape(-1)[0]) \
                if attrs["a_zero_point"] else np.int64(0)
            acc = (a.reshape(M, K).astype(np.int64) - za) @ \
                b.reshape(N, K).astype(np.int64).T
            y = s32_to_f32(acc) * int8_scales(
                sa, sb, M, N, attrs.get("a_scale") == "row",
                attrs["scales"] == "per-channel")
            out[...] = self._epilogue(step, y.reshape(out.shape), views,
                                      out.shape,
                                      6 if attrs["a_zero_point"] else 5)
        elif k.startswith(("i8_gemm", "i8_conv")):
            # The int8 GEMM (F34): the exact integer sum of (a - za) *
            # (b - zb) modulo 2^32, to f32, times fl(sa * sb), plus a
            # convolution's bias.
            a, sa, b, sb, out = views[:5]
            M, N, K = scalars
            attrs = step["attrs"]
            rest = list(views[5:])
            za = np.int64(rest.pop(0).reshape(-1)[0]) \
                if attrs["a_zero_point"] else np.int64(0)
            zb = np.zeros(N, np.int64)
            if attrs["b_zero_point"] != "none":
                z = rest.pop(0).reshape(-1).astype(np.int64)
                zb[...] = z if attrs["b_zero_point"] == "column" else z[0]
            bias = rest.pop(0).reshape(-1) if attrs["bias"] else None
            if k.startswith("i8_conv"):
                # Padding taps add nothing: (a - za) is 0 there. Its
                # columns are the channels of NCHW.
                # (2-D, or 1-D: [N, C, L] codes, [M, C, K] weights.)
                lead = (slice(None),) + (None,) * (b.ndim - 1)
                acc = conv2d(attrs, a.astype(np.int64) - za,
                             b.astype(np.int64) - zb[lead],
                             out_dtype=np.int64)
                col = (None, slice(None)) + (None,) * (a.ndim - 2)
                y = s32_to_f32(acc) * int8_scales(
                    sa, sb, 1, N, False, attrs["b_scale"] == "column")[0][col]
            else:
                acc = (a.reshape(M, K).astype(np.int64) - za) @ \
                    (b.reshape(K, N).astype(np.int64) - zb)
                col = (None, slice(None))
                y = s32_to_f32(acc) * int8_scales(
                    sa, sb, M, N, attrs.get("a_scale") == "row",
                    attrs["b_scale"] == "column")
            if bias is not None:
                y = y + bias.astype(np.float32)[col]
            y = y.reshape(out.shape)
            out[...] = self._epilogue(step, y, views, out.shape,
                                      len(views) - len(rest))
        elif k.startswith("dyn_qdq_") and "zero_point" in step["attrs"]:
            views[0][...] = run_time_quantize_asym(
                *views[1:6], step["attrs"]["zero_point"],
                step["attrs"]["codes"], self.nx)
        elif k.startswith(("dyn_quantize_", "dyn_qdq_")):
            qdq = k.startswith("dyn_qdq_")
            x, qmax, floor = views[1 if qdq else 2:]
            views[0][...], s = run_time_quantize(
                x, qmax, floor, step["attrs"]["block"],
                step["attrs"]["codes"], qdq, self.nx)
            if not qdq:
                views[1][...] = s.reshape(views[1].shape)
        elif k.startswith("ew_"):
            out, ins = views[0], views[1:]
            out[...] = eval_expr(step["expr"], ins, out.shape, self.nx)
        elif k.startswith("dql_"):
            codes, scale, zero = dynamic_quantize_linear(views[3], self.nx)
            views[0][...] = codes.reshape(views[0].shape)
            views[1][...], views[2][...] = scale, zero
        elif k.startswith("iconv_"):
            # qc.conv_integer: (x - x_zero) * (w - w_zero[m]), exact.
            own, extras = split_epilogue(step, views)
            x, w, xz, wz = own[1:5]
            y = conv2d(step["attrs"], _minus_zero(x, xz, 1),
                       _minus_zero(w, wz, 0), out_dtype=np.int32)
            views[0][...] = with_epilogue(step, y, extras, views[0].shape,
                                          self.nx)
        elif k.startswith("imatmul_"):
            # qc.matmul_integer: zero points per row of a / column of b.
            own, extras = split_epilogue(step, views)
            a, b, az, bz = own[1:5]
            y = np.matmul(_minus_zero(a, az, -2), _minus_zero(b, bz, -1))
            views[0][...] = with_epilogue(step, y.astype(np.int32), extras,
                                          views[0].shape, self.nx)
        elif k.startswith("conv_"):
            own, extras = split_epilogue(step, views)
            v = with_prologues(step, own, self.nx)
            if step["attrs"].get("transpose"):
                y = conv_transpose2d(step["attrs"], v[1], v[2],
                                     views[0].shape, *v[3:])
            else:
                y = conv2d(step["attrs"], *v[1:])
            views[0][...] = with_epilogue(step, y, extras, views[0].shape,
                                          self.nx)
        elif k.startswith(("pool_", "gmp_", "gap_")):
            own, extras = split_epilogue(step, views)
            views[0][...] = with_epilogue(step, self._pool(k, step, own),
                                          extras, views[0].shape, self.nx)
        elif k.startswith("copy_b"):
            views[0][...] = views[1].reshape(views[0].shape)
        elif k.startswith("layout_"):
            views[0][...] = layout(step, views[1:], views[0].shape)
        elif k.startswith("matmul_"):
            own, extras = split_epilogue(step, views)
            v = with_prologues(step, own, self.nx)
            y = np.matmul(v[1].astype(np.float64),
                          v[2].astype(np.float64)).astype(np.float32)
            views[0][...] = with_epilogue(step, y, extras, views[0].shape,
                                          self.nx)
        elif k.startswith(("softmax_", "log_softmax_")):
            own, extras = split_epilogue(step, views)
            y = softmax_rows(own[1], step.get("attrs", {}).get("axis", -1),
                             log=k.startswith("log_"))
            views[0][...] = with_epilogue(step, y, extras, views[0].shape,
                                          self.nx)
        elif k.startswith("layer_norm_"):
            a = step["attrs"]
            n = len(output_positions(step))
            x = views[n]
            # rows of the normalized dims [axis, rank), flattened
            rows = x.reshape(int(np.prod(x.shape[:a.get("axis", x.ndim - 1)])),
                             -1)
            y, mu, rstd = layer_norm_rows(
                rows, views[n + 1].reshape(-1),
                views[n + 2].reshape(-1) if a["bias"] else None,
                a["epsilon"])
            views[0][...] = y.reshape(views[0].shape)
            views[1][...] = mu.reshape(views[1].shape)
            views[2][...] = rstd.reshape(views[2].shape)
            if k.startswith("layer_norm_q_"):  # the fused MXFP8 quantize
                views[3][...], views[4][...] = self.nx.quantize_mx(
                    views[0], "f8E4M3FN", 32)
            elif k.startswith("layer_norm_dq_"):
                self._row_quantize(step, views)
        elif k.startswith("attention_"):
            views[0][...] = attention_rows(step["attrs"], *views[1:])
        elif k.startswith("lstm_"):
            a = step["attrs"]
            ins = dict(zip(a["operands"], views[3:]))
            views[0][...], views[1][...], views[2][...] = lstm(a, **ins)
        elif k.startswith(("gru_", "rnn_")):
            a = step["attrs"]
            ins = dict(zip(a["operands"], views[2:]))
            views[0][...], views[1][...] = gru_rnn(a, k.startswith("gru_"),
                                                   **ins)
        elif k.startswith("topk_"):
            vals, idx = top_k_rows(views[2], step["attrs"]["k"],
                                   step["attrs"]["largest"])
            views[0][...] = vals.reshape(views[0].shape)
            views[1][...] = idx.reshape(views[1].shape)
        elif k.startswith("rms_norm_"):
            n = len(output_positions(step))
            if step["attrs"].get("decomposed"):
                # pow(x, e), reduce_mean, add eps, sqrt, div, mul g
                x, e, eps, g = views[n:n + 4]
                views[0][...] = rms_norm_rows(x, g, eps.reshape(-1)[0],
                                              e.reshape(-1)[0])
            else:
                x, g = views[n], views[n + 1]
                views[0][...] = rms_norm_rows(x, g, step["attrs"]["epsilon"])
            if k.startswith("rms_norm_dq_"):
                self._row_quantize(step, views)
        elif k.startswith("reduce_") and \
                not k.startswith(("reduce_max_", "reduce_min_")):
            # The Executor's reduceOver: values mapped to f64, accumulated
            # in order (np.cumsum / np.cumprod are sequential), finished.
            kind = re.match(r"reduce_(.*)_\d+$", k).group(1)
            x, out = as_f32(views[1]), views[0]
            rows = reduce_rows(x, step, out.size)
            v = rows.astype(np.float64)
            if kind == "log_sum_exp":
                with np.errstate(invalid="ignore"):
                    m = np.full(rows.shape[0], -np.inf, np.float32)
                    for j in range(rows.shape[1]):  # maxNaN in order
                        c = rows[:, j]
                        m = np.where(np.isnan(m) | np.isnan(c),
                                     np.float32(np.nan), np.maximum(m, c))
                    mx = m.astype(np.float64)
                    mx = np.where(np.isinf(mx), 0.0, mx)
                    v = lse_term(v - mx[:, None])
            elif kind == "l1":
                v = np.abs(v)
            elif kind in ("l2", "sum_square"):
                v = v * v
            if kind == "prod":
                acc = np.cumprod(v, axis=-1)[:, -1] if v.shape[1] else \
                    np.ones(v.shape[0])
            else:
                acc = np.cumsum(v, axis=-1)[:, -1] if v.shape[1] else \
                    np.zeros(v.shape[0])
            with np.errstate(all="ignore"):
                if kind == "mean":
                    acc = acc / rows.shape[1]
                elif kind == "l2":
                    acc = np.sqrt(acc)
                elif kind == "log_sum":
                    acc = fast_log_d(acc)
                elif kind == "log_sum_exp":
                    acc = mx + fast_log_d(acc)
            out[...] = acc.astype(np.float32).reshape(out.shape)
        elif k.startswith("batch_max_"):
            # Over dimension 0 (the batch); exact, NaN wins.
            x, out = views[1], views[0]
            rows = x.reshape(x.shape[0], -1) if x.shape[0] else \
                np.zeros((0, out.size), np.float32)
            m = np.full(out.size, -np.inf, np.float32)
            if rows.shape[0]:
                m = np.where(np.isnan(rows).any(axis=0), np.float32(np.nan),
                             rows.max(axis=0))
            out[...] = m.astype(np.float32).reshape(out.shape)
        elif k.startswith(("reduce_max_", "reduce_min_")):
            # Exact; a NaN in the row gives NaN (the Executor's maxNaN /
            # minNaN).
            x, out = as_f32(views[1]), views[0]
            rows = reduce_rows(x, step, out.size)
            is_min = k.startswith("reduce_min_")
            m = (np.where(np.isnan(rows).any(axis=-1), np.float32(np.nan),
                          rows.min(axis=-1) if is_min else rows.max(axis=-1))
                 if rows.shape[1] else
                 np.full(out.size, np.inf if is_min else -np.inf, np.float32))
            out[...] = m.astype(np.float32).reshape(out.shape)
        else:
            raise ProgramError(f"no model of kernel {k}")


class HostBackend:
    """Each kernel the package's own code for it can run on the host
    (quantc.HostKernels: the kernel builders' gpu.funcs JIT-compiled for
    this CPU), the others (GEMMs) through `fallback` (a NumpyBackend) or a
    ProgramError. `ran` and `modelled` count the steps of each."""

    # The kernels read packed 4-bit weights as weights.bin holds them.
    raw_packed_weights = True

    def __init__(self, kernels, fallback=None):
        self.k = kernels
        self.runnable = set(kernels.kernels)
        self.fallback = fallback
        self.ran, self.modelled = [], []

    def step(self, step, views, scalars, grid=None):
        name = step["kernel"]
        if name not in self.runnable:
            if self.fallback is None:
                raise ProgramError(f"kernel {name} cannot run on the host: "
                                   f"{self.k.why_not(name)}")
            self.modelled.append(name)
            return self.fallback.step(step, views, scalars)
        vs, ss, args, maps = iter(views), iter(scalars), [], []
        for a in step["args"]:
            if "tensor_map" in a:
                # What the runtime encodes with cuTensorMapEncodeTiled:
                # the value as [rows, last dim], the step's box and swizzle.
                v = next(vs)
                tm = a["tensor_map"]
                maps.append(self.k.tensor_map(
                    v.reshape(-1, v.shape[-1]), tm["box"], tm["swizzle"]))
                args.append(maps[-1])
            elif "value" in a:
                args.append(next(vs))
            else:
                args.append(("i32" if "i32" in a else "i64", next(ss)))
        self.k.launch(name, grid, step["block"], args,
                      shared_bytes=step.get("shared_bytes", 0))
        self.ran.append(name)


def lstm(attrs, x, w, r, b=None, initial_h=None, initial_c=None, p=None):
    """qc.lstm with the default activations (the lstm_<i> kernels): each
    gate's x . W and h . R in float64 (the kernel sums in fp32 with fma,
    the Executor with sgemm), the gates and states in float32 with the
    Executor's fastSigmoid and fastTanh. Returns y [S, D, B, H], y_h and
    y_c [D, B, H]."""
    f = np.float32
    S, B, _ = x.shape
    D, H4, _ = w.shape
    H = H4 // 4
    y = np.zeros((S, D, B, H), f)
    yh = np.zeros((D, B, H), f)
    yc = np.zeros((D, B, H), f)
    gate = _clip_gate(attrs)
    for d in range(D):
        rev = attrs["direction"] == "reverse" or d == 1
        h = (initial_h[d] if initial_h is not None else np.zeros((B, H), f))
        c = (initial_c[d] if initial_c is not None else np.zeros((B, H), f))
        for st in range(S):
            t = S - 1 - st if rev else st
            pre = ((x[t].astype(np.float64) @ w[d].T.astype(np.float64)
                    ).astype(f) +
                   (h.astype(np.float64) @ r[d].T.astype(np.float64)
                    ).astype(f)).astype(f)
            if b is not None:
                pre = (pre + (b[d, :4 * H] + b[d, 4 * H:]).astype(f)
                       ).astype(f)
            iv, ov, fv, cv = (pre[:, g * H:(g + 1) * H] for g in range(4))
            if p is not None:
                iv = (iv + p[d, :H] * c).astype(f)
                fv = (fv + p[d, 2 * H:] * c).astype(f)
            ig = fast_sigmoid(gate(iv))
            fg = (f(1) - ig).astype(f) if attrs["input_forget"] else \
                fast_sigmoid(gate(fv))
            c = (fg * c + ig * fast_tanh(gate(cv))).astype(f)
            if p is not None:
                ov = (ov + p[d, H:2 * H] * c).astype(f)
            h = (fast_sigmoid(gate(ov)) * fast_tanh(c)).astype(f)
            y[t, d] = h
        yh[d], yc[d] = h, c
    return y, yh, yc


def _clip_gate(attrs):
    """A recurrent op's clip of a gate's input (std::max(-c, std::min(c,
    v)), NaN to c), or the identity."""
    clip = attrs.get("clip")
    if clip is None:
        return lambda v: v
    c = np.float32(clip)

    def gate(v):
        with np.errstate(invalid="ignore"):
            m = np.where(v < c, v, c)
            return np.where(-c < m, m, -c).astype(np.float32)
    return gate


def gru_rnn(attrs, gru, x, w, r, b=None, initial_h=None):
    """qc.gru (gates z, r, h) or qc.rnn with the default activations (the
    gru_<i> / rnn_<i> kernels), as lstm(): products in float64, the gates
    and states in float32 with the Executor's fastSigmoid and fastTanh.
    Returns y [S, D, B, H] and y_h [D, B, H]."""
    f = np.float32
    S, B, _ = x.shape
    D, GH, _ = w.shape
    G = 3 if gru else 1
    H = GH // G
    y = np.zeros((S, D, B, H), f)
    yh = np.zeros((D, B, H), f)
    gate = _clip_gate(attrs)
    lbr = attrs.get("linear_before_reset", False)

    def mm(a, m):  # a [B, K] times m [n, K] transposed, in float64
        return (a.astype(np.float64) @ m.T.astype(np.float64)).astype(f)

    for d in range(D):
        rev = attrs["direction"] == "reverse" or d == 1
        h = (initial_h[d] if initial_h is not None else np.zeros((B, H), f))
        wb = b[d, :G * H] if b is not None else None
        rb = b[d, G * H:] if b is not None else None
        for st in range(S):
            t = S - 1 - st if rev else st
            xw = mm(x[t], w[d])
            if not gru:
                v = (xw + mm(h, r[d])).astype(f)
                if wb is not None:
                    v = (v + (wb + rb).astype(f)).astype(f)
                h = fast_tanh(gate(v))
                y[t, d] = h
                continue
            hr = mm(h, r[d][:2 * H])
            zr = (xw[:, :2 * H] + hr).astype(f)
            if wb is not None:
                zr = (zr + (wb[:2 * H] + rb[:2 * H]).astype(f)).astype(f)
            z = fast_sigmoid(gate(zr[:, :H]))
            rr = fast_sigmoid(gate(zr[:, H:]))
            hv = xw[:, 2 * H:]
            if wb is not None:
                hv = (hv + wb[2 * H:]).astype(f)
            rbh = rb[2 * H:] if rb is not None else f(0)
            if lbr:
                hv = (hv + rr * (mm(h, r[d][2 * H:]) + rbh).astype(f)
                      ).astype(f)
            else:
                rh = (rr * h).astype(f)
                hv = (hv + (mm(rh, r[d][2 * H:]) + rbh).astype(f)).astype(f)
            ht = fast_tanh(gate(hv))
            h = ((f(1) - z).astype(f) * ht + z * h).astype(f)
            y[t, d] = h
        yh[d] = h
    return y, yh


def _taps(out_len, in_len, k, stride, pad, dil):
    """[out, k] input index of each tap and whether it is inside."""
    idx = (np.arange(out_len)[:, None] * stride - pad
           + np.arange(k)[None, :] * dil)
    return idx, (idx >= 0) & (idx < in_len)


def _lift_1d(attrs):
    """A 1-D window's attributes as the 2-D ones of height 1 (the kernels'
    reading of an [N, C, L] tensor as [N, C, 1, L])."""
    a = dict(attrs)
    for key in ("strides", "dilations", "kernel_shape"):
        if key in a:
            a[key] = [1] + list(a[key])
    if "pads" in a:
        a["pads"] = [0, a["pads"][0], 0, a["pads"][1]]
    return a


def conv2d(attrs, x, w, bias=None, out_dtype=np.float32):
    """2-D NCHW convolution in float64 (the kernel sums in fp32 with fma:
    agreement within rounding); with an integer out_dtype (iconv_: integer
    operands, whose sums float64 holds exactly) the exact sums. A 1-D one
    ([N, C, L]) is the 2-D one of height 1; a 3-D one sums its depth taps
    too (_conv3d)."""
    if x.ndim == 5:
        return _conv3d(attrs, x, w, bias, out_dtype)
    if x.ndim == 3:
        return conv2d(_lift_1d(attrs), x[:, :, None], w[:, :, None], bias,
                      out_dtype)[:, :, 0]
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    g = attrs["group"]
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    pt, pl = attrs["pads"][0], attrs["pads"][1]
    oh = (h + attrs["pads"][0] + attrs["pads"][2] - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + attrs["pads"][1] + attrs["pads"][3] - dw * (kw - 1) - 1) // sw + 1
    ih, iok = _taps(oh, h, kh, sh, pt, dh)
    iw, wok = _taps(ow, wd, kw, sw, pl, dw)
    xd = x.astype(np.float64)
    out = np.zeros((n, m, oh, ow))
    mg = m // g
    for a in range(kh):
        for b in range(kw):
            patch = xd[:, :, np.clip(ih[:, a], 0, h - 1)][:, :, :, np.clip(iw[:, b], 0, wd - 1)]
            patch = patch * (iok[:, a][:, None] & wok[:, b][None, :])
            for gi in range(g):
                xs = patch[:, gi * cg:(gi + 1) * cg]
                ws = w[gi * mg:(gi + 1) * mg, :, a, b].astype(np.float64)
                out[:, gi * mg:(gi + 1) * mg] += np.einsum("nchw,mc->nmhw", xs, ws)
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None]
    if np.dtype(out_dtype).kind == "i":
        return out.astype(np.int64).astype(out_dtype)
    return out.astype(np.float32)


def _conv3d(attrs, x, w, bias=None, out_dtype=np.float32):
    """conv2d over [N, C, D, H, W] (float64 sums over the taps)."""
    n, c, d, h, wd = x.shape
    m, cg, kd, kh, kw = w.shape
    g = attrs["group"]
    (sd, sh, sw), (dd, dh, dw) = attrs["strides"], attrs["dilations"]
    pf, pt, pl, pk, pb, pr = attrs["pads"]
    od = (d + pf + pk - dd * (kd - 1) - 1) // sd + 1
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    idd, dok = _taps(od, d, kd, sd, pf, dd)
    ih, iok = _taps(oh, h, kh, sh, pt, dh)
    iw, wok = _taps(ow, wd, kw, sw, pl, dw)
    xd = x.astype(np.float64)
    out = np.zeros((n, m, od, oh, ow))
    mg = m // g
    for a in range(kd):
        for b in range(kh):
            for e in range(kw):
                patch = xd[:, :, np.clip(idd[:, a], 0, d - 1)][
                    :, :, :, np.clip(ih[:, b], 0, h - 1)][
                    :, :, :, :, np.clip(iw[:, e], 0, wd - 1)]
                patch = patch * (dok[:, a][:, None, None] &
                                 iok[:, b][None, :, None] &
                                 wok[:, e][None, None, :])
                for gi in range(g):
                    xs = patch[:, gi * cg:(gi + 1) * cg]
                    ws = w[gi * mg:(gi + 1) * mg, :, a, b, e].astype(
                        np.float64)
                    out[:, gi * mg:(gi + 1) * mg] += np.einsum(
                        "ncdhw,mc->nmdhw", xs, ws)
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None, None]
    if np.dtype(out_dtype).kind == "i":
        return out.astype(np.int64).astype(out_dtype)
    return out.astype(np.float32)


def _minus_zero(v, zp, axis):
    """An integer operand's values minus its zero point (one element, or
    one per index of `axis`), as int64."""
    v = np.asarray(v).astype(np.int64)
    zp = np.asarray(zp).astype(np.int64).reshape(-1)
    if zp.size == 1:
        return v - zp[0]
    shape = [1] * v.ndim
    shape[axis] = -1
    return v - zp.reshape(shape)


def conv_transpose2d(attrs, x, w, out_shape, bias=None):
    """2-D NCHW transposed convolution in float64 (the kernel sums each
    tap over the input channels in fp32 with fma, then the taps in order:
    agreement within rounding). Output oh = ih * sh - pt + a * dh. A 1-D
    one ([N, C, L]) is the 2-D one of height 1; a 3-D one walks its depth
    taps too (_conv_transpose3d)."""
    if x.ndim == 5:
        return _conv_transpose3d(attrs, x, w, out_shape, bias)
    if x.ndim == 3:
        return conv_transpose2d(_lift_1d(attrs), x[:, :, None],
                                w[:, :, None], list(out_shape[:2]) + [1] +
                                list(out_shape[2:]), bias)[:, :, 0]
    n, c, h, wd = x.shape
    _, mg, kh, kw = w.shape
    g = attrs["group"]
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    pt, pl = attrs["pads"][0], attrs["pads"][1]
    oh, ow = out_shape[2], out_shape[3]
    cg = c // g
    out = np.zeros((n, mg * g, oh, ow))
    xd = x.astype(np.float64)
    for a in range(kh):
        for b in range(kw):
            rows = np.arange(h) * sh - pt + a * dh
            cols = np.arange(wd) * sw - pl + b * dw
            ri, ci = np.nonzero((rows >= 0) & (rows < oh))[0], \
                np.nonzero((cols >= 0) & (cols < ow))[0]
            for gi in range(g):
                xs = xd[:, gi * cg:(gi + 1) * cg][:, :, ri][:, :, :, ci]
                ws = w[gi * cg:(gi + 1) * cg, :, a, b].astype(np.float64)
                contrib = np.einsum("nchw,cm->nmhw", xs, ws)
                out[:, gi * mg:(gi + 1) * mg][:, :, rows[ri][:, None],
                                              cols[ci][None, :]] += contrib
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None]
    return out.astype(np.float32)


def _conv_transpose3d(attrs, x, w, out_shape, bias=None):
    """conv_transpose2d over [N, C, D, H, W]: taps (kd, kh, kw) in order."""
    n, c, d, h, wd = x.shape
    _, mg, kd, kh, kw = w.shape
    g = attrs["group"]
    (sd, sh, sw), (dd, dh, dw) = attrs["strides"], attrs["dilations"]
    pf, pt, pl = attrs["pads"][:3]
    od, oh, ow = out_shape[2:]
    cg = c // g
    out = np.zeros((n, mg * g, od, oh, ow))
    xd = x.astype(np.float64)
    for a in range(kd):
        for b in range(kh):
            for e in range(kw):
                deps = np.arange(d) * sd - pf + a * dd
                rows = np.arange(h) * sh - pt + b * dh
                cols = np.arange(wd) * sw - pl + e * dw
                di = np.nonzero((deps >= 0) & (deps < od))[0]
                ri = np.nonzero((rows >= 0) & (rows < oh))[0]
                ci = np.nonzero((cols >= 0) & (cols < ow))[0]
                for gi in range(g):
                    xs = xd[:, gi * cg:(gi + 1) * cg][:, :, di][:, :, :, ri][
                        :, :, :, :, ci]
                    ws = w[gi * cg:(gi + 1) * cg, :, a, b, e].astype(np.float64)
                    contrib = np.einsum("ncdhw,cm->nmdhw", xs, ws)
                    out[:, gi * mg:(gi + 1) * mg][
                        :, :, deps[di][:, None, None], rows[ri][None, :, None],
                        cols[ci][None, None, :]] += contrib
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None, None]
    return out.astype(np.float32)


def pool2d(attrs, x, out_shape):
    """Max/avg pooling in f32, taps in the kernel's (and the Executor's)
    order: exact. A 1-D one ([N, C, L]) is the 2-D one of height 1; a 3-D
    one walks the depth taps first."""
    if x.ndim == 5:
        return _pool3d(attrs, x, out_shape)
    if x.ndim == 3:
        return pool2d(_lift_1d(attrs), x[:, :, None],
                      list(out_shape[:2]) + [1] + list(out_shape[2:]))[:, :, 0]
    n, c, h, wd = x.shape
    oh, ow = out_shape[2], out_shape[3]
    (kh, kw), (sh, sw), (dh, dw) = (attrs["kernel_shape"], attrs["strides"],
                                    attrs["dilations"])
    pt, pl, pb, pr = attrs["pads"]
    ih, iok = _taps(oh, h, kh, sh, pt, dh)
    iw, wok = _taps(ow, wd, kw, sw, pl, dw)
    is_max = attrs["kind"] == "max"
    y = np.full((n, c, oh, ow), -np.inf if is_max else 0, np.float32)
    for a in range(kh):
        for b in range(kw):
            ok = iok[:, a][:, None] & wok[:, b][None, :]
            v = x[:, :, np.clip(ih[:, a], 0, h - 1)][:, :, :, np.clip(iw[:, b], 0, wd - 1)]
            with np.errstate(invalid="ignore"):
                nxt = np.where((v > y) | np.isnan(v), v, y) if is_max else y + v
            y = np.where(ok, nxt, y).astype(np.float32)
    if not is_max:
        if attrs["count_include_pad"]:
            rows = ((ih >= -pt) & (ih < h + pb)).sum(1)
            cols = ((iw >= -pl) & (iw < wd + pr)).sum(1)
        else:
            rows, cols = iok.sum(1), wok.sum(1)
        cnt = (rows[:, None] * cols[None, :]).astype(np.float32)
        with np.errstate(all="ignore"):
            y = np.where(cnt == 0, np.float32(0), y / cnt).astype(np.float32)
    return y


def _pool3d(attrs, x, out_shape):
    """pool2d over [N, C, D, H, W]: taps (depth, row, column) in order."""
    n, c, d, h, wd = x.shape
    od, oh, ow = out_shape[2:]
    (kd, kh, kw), (sd, sh, sw), (dd, dh, dw) = (
        attrs["kernel_shape"], attrs["strides"], attrs["dilations"])
    pf, pt, pl, pk, pb, pr = attrs["pads"]
    idd, dok = _taps(od, d, kd, sd, pf, dd)
    ih, iok = _taps(oh, h, kh, sh, pt, dh)
    iw, wok = _taps(ow, wd, kw, sw, pl, dw)
    is_max = attrs["kind"] == "max"
    y = np.full((n, c, od, oh, ow), -np.inf if is_max else 0, np.float32)
    for a in range(kd):
        for b in range(kh):
            for e in range(kw):
                ok = (dok[:, a][:, None, None] & iok[:, b][None, :, None] &
                      wok[:, e][None, None, :])
                v = x[:, :, np.clip(idd[:, a], 0, d - 1)][
                    :, :, :, np.clip(ih[:, b], 0, h - 1)][
                    :, :, :, :, np.clip(iw[:, e], 0, wd - 1)]
                with np.errstate(invalid="ignore"):
                    nxt = (np.where((v > y) | np.isnan(v), v, y) if is_max
                           else y + v)
                y = np.where(ok, nxt, y).astype(np.float32)
    if not is_max:
        if attrs["count_include_pad"]:
            deps = ((idd >= -pf) & (idd < d + pk)).sum(1)
            rows = ((ih >= -pt) & (ih < h + pb)).sum(1)
            cols = ((iw >= -pl) & (iw < wd + pr)).sum(1)
        else:
            deps, rows, cols = dok.sum(1), iok.sum(1), wok.sum(1)
        cnt = (deps[:, None, None] * rows[None, :, None] *
               cols[None, None, :]).astype(np.float32)
        with np.errstate(all="ignore"):
            y = np.where(cnt == 0, np.float32(0), y / cnt).astype(np.float32)
    return y


def check_step(step, views, scalars, batch):
    """The launch covers the data: raises ProgramError otherwise."""
    grid = [linear(g, batch) for g in step["grid"]]
    threads = int(np.prod(grid)) * int(np.prod(step["block"]))
    k = step["kernel"]
    if k == "quantize_mxfp8" or k.startswith("quantize_mx_"):
        x, _, scales = views
        blocks, K = scalars
        ok = blocks == scales.size and K == x.shape[-1] and threads >= blocks
    elif k.startswith("mxfp8_gemm"):
        _, _, w, _, out = views[:5]
        M, N, K = scalars
        # (Packed 4-bit weights reach the host kernels as their bytes.)
        wshape = w.shape if w.ndim == 2 else \
            ((N, K) if w.size == (N * K + 1) // 2 else (-1, -1))
        # The sm_100a tcgen05 kernel (mxfp8_gemm_tc*): 128 x tile_n tiles,
        # the grid's x over N; the mma.sync kernel: 32 x 16, x over M.
        tc = k.startswith("mxfp8_gemm_tc")
        covers = (grid[0] * step["attrs"]["tile_n"] >= N and
                  grid[1] * 128 >= M) if tc else \
            (grid[0] * 32 >= M and grid[1] * 16 >= N)
        ok = ((M, N, K) == (out.size // max(N, 1), wshape[0], wshape[1])
              and covers)
    elif k.startswith("fp8_gemm_"):
        a, b, sa, sb, out = views[:5]
        M, N, K = scalars
        kb = -(-K // 128)
        attrs = step["attrs"]
        scales_ok = ((sa.size == 1 and sb.shape == (N,))
                     if attrs["scales"] == "per-channel" else
                     (sa.size == M * kb and sb.shape == (N, kb)))
        # Swapped (decode): the grid's x walks the tokens by tileN, y the
        # weights by 128.
        rows, cols = (N, M) if attrs.get("swap_ab") else (M, N)
        if attrs.get("output") == "fp8-1x128":  # CS: [M, ceil(N / 128)]
            scales_ok = scales_ok and views[5].size == M * -(-N // 128)
        ok = (a.size == M * K and b.shape == (N, K) and scales_ok and
              out.size == M * N and grid[0] * attrs["tile_n"] >= cols and
              grid[1] * 128 >= rows)
    elif k.startswith("i8_wgmma_"):
        a, b, sa, sb, out = views[:5]
        M, N, K = scalars
        attrs = step["attrs"]
        scales_ok = sa.size == (M if attrs.get("a_scale") == "row"
                                else 1) and sb.size == (
            N if attrs["scales"] == "per-channel" else 1)
        if attrs["a_zero_point"]:  # ZA
            scales_ok = scales_ok and views[5].size == 1
        rows, cols = (N, M) if attrs.get("swap_ab") else (M, N)
        ok = (a.size == M * K and b.shape == (N, K) and scales_ok and
              out.size == M * N and grid[0] * attrs["tile_n"] >= cols and
              grid[1] * 128 >= rows)
    elif k.startswith(("i8_gemm", "i8_conv")):
        a, _, b, _, out = views[:5]
        M, N, K = scalars
        conv = k.startswith("i8_conv")
        # (A convolution: a row per output pixel, K = C * KH * KW, or
        # C * K of a 1-D one.)
        ok = ((b.shape[0] == N and b.size == N * K and
               a.shape[1] * int(np.prod(b.shape[2:])) == K) if conv else
              (a.size == M * K and b.shape == (K, N))) and \
            out.size == M * N and grid[0] * 32 >= M and grid[1] * 16 >= N
    elif k.startswith(("ew_", "conv_", "pool_", "copy_b", "layout_", "matmul_",
                       "iconv_", "imatmul_")):
        ok = scalars == [views[0].size] and threads >= views[0].size
    elif k.startswith(("dyn_quantize_", "dyn_qdq_")):
        x = views[1 if k.startswith("dyn_qdq_") else 2]
        blocks = x.size // max(x.shape[-1], 1) * \
            -(-x.shape[-1] // step["attrs"]["block"])
        ok = scalars == [blocks] and threads >= blocks
    elif k.startswith("batch_max_"):
        x, out = views[1], views[0]
        ok = (scalars == [x.shape[0], out.size] and
              x.size == x.shape[0] * out.size and threads >= out.size)
    elif k.startswith("dql_"):  # one warp over the whole tensor
        ok = scalars == [views[3].size] and threads == 32
    elif k.startswith(("gap_", "gmp_")):
        planes = views[1].shape[0] * views[1].shape[1]
        ok = scalars == [planes] and threads >= planes
    elif k.startswith(("lstm_", "gru_", "rnn_")):
        D, B, H = views[1].shape
        ok = (scalars == [D * B * H] and grid[0] == D * B and
              step["block"][0] == H)
    elif k.startswith(("softmax_", "log_softmax_", "layer_norm_",
                       "rms_norm_", "reduce_", "attention_", "topk_")):
        x = views[len(output_positions(step))]
        axis = step.get("attrs", {}).get("axis", -1) if k.startswith(
            ("softmax_", "log_softmax_")) else -1
        rows = views[0].size if k.startswith("reduce_") else \
            x.size // max(x.shape[axis], 1)
        if k.startswith("layer_norm_"):  # dims [axis, rank) per row
            rows = int(np.prod(x.shape[:step["attrs"].get("axis",
                                                           x.ndim - 1)]))
        ok = scalars == [rows] and threads >= rows
    else:
        ok = True
    if not ok:
        raise ProgramError(f"step {k} ({step.get('layer')}): arguments "
                           f"{scalars} or grid {grid} do not cover its data")
    return grid


class Package:
    def __init__(self, path):
        self.path = Path(path)
        self.manifest = json.loads((self.path / "manifest.json").read_text())
        self.program = self.manifest.get("program")
        if self.program is None:
            missing = ", ".join(f"{u['op']} x{u['count']}" for u in
                                self.manifest.get("gpu_unsupported", []))
            raise ProgramError(f"{self.path}: no GPU program (no kernel for "
                               f"{missing or 'some ops'})")
        self.weights = np.fromfile(self.path / "weights.bin", np.uint8)

    def batch_of(self, inputs):
        b = self.program["batch"]
        if b is None:
            return 1
        name = self.manifest["inputs"][b["input"]]["name"]
        return inputs[name].shape[b["dim"]]


def output_positions(step):
    """Which pointer arguments a kernel writes (docs/Kernels.md)."""
    k = step["kernel"]
    if k == "quantize_mxfp8" or k.startswith("quantize_mx_"):
        return [1, 2]
    if k.startswith("fp8_gemm_") and \
            step.get("attrs", {}).get("output") == "fp8-1x128":
        return [4, 5]  # codes, scales
    if k.startswith(("mxfp8_gemm", "fp8_gemm_", "i8_gemm", "i8_conv",
                     "i8_wgmma_")):
        return [4]
    if k.startswith("dyn_quantize_"):
        return [0, 1]  # codes, scales
    if k.startswith("layer_norm_q_"):
        return [0, 1, 2, 3, 4]  # y, mean, inv std, MXFP8 codes, scales
    if k.startswith("layer_norm_dq_"):
        # y, mean, inv std, then the codes and scales or the dequantized
        # values of its run-time quantize
        return [0, 1, 2, 3] if step["attrs"]["quantize"]["dequantized"] \
            else [0, 1, 2, 3, 4]
    if k.startswith("layer_norm_"):
        return [0, 1, 2]
    if k.startswith("topk_"):
        return [0, 1]  # values, indices
    if k.startswith("dql_"):
        return [0, 1, 2]  # codes, scale, zero point
    if k.startswith("lstm_"):
        return [0, 1, 2]  # y, y_h, y_c
    if k.startswith(("gru_", "rnn_")):
        return [0, 1]  # y, y_h
    if k.startswith("rms_norm_dq_"):
        # y, then the codes and scales or the dequantized values of its
        # run-time quantize
        return [0, 1] if step["attrs"]["quantize"]["dequantized"] \
            else [0, 1, 2]
    return [0]


def check_order(program):
    """Raises ProgramError when a step reads a temporary no earlier step
    wrote, or writes an input or a weight."""
    values = program["values"]
    written = {i for i, v in enumerate(values) if v["kind"] in ("input", "weight")}
    for s_idx, step in enumerate(program["steps"]):
        ptrs = [pointer_value(a) for a in step["args"]
                if pointer_value(a) is not None]
        outs = {ptrs[i] for i in output_positions(step) if i < len(ptrs)}
        for v in ptrs:
            if v not in outs and v not in written:
                raise ProgramError(f"step {s_idx} ({step['kernel']}, "
                                   f"{step.get('layer')}) reads value {v} "
                                   f"({values[v]['name']}) before any step writes it")
        for v in outs:
            if values[v]["kind"] in ("input", "weight"):
                raise ProgramError(f"step {s_idx} writes {values[v]['kind']} {v}")
        written |= outs


def ptx_params(ptx):
    """{kernel: [param type, ...]} from PTX text (".u64", ".u32", ...)."""
    out = {}
    for m in re.finditer(r"\.entry\s+(\w+)\s*\(([^)]*)\)", ptx):
        out[m.group(1)] = re.findall(r"\.param\s+(\.\w+)", m.group(2))
    return out


def check_signatures(pkg):
    """Raises ProgramError when a step's args do not match its kernel's
    PTX parameters: count, and width (a value pointer or i64 is .u64 or
    .b64, an i32 is .u32 or .b32)."""
    for f in pkg.manifest["kernel_files"]:
        params = ptx_params((pkg.path / f["ptx"]).read_text())
        for s_idx, step in enumerate(pkg.program["steps"]):
            got = params.get(step["kernel"])
            if got is None:
                raise ProgramError(f"{f['ptx']}: no .entry {step['kernel']}")
            want = [32 if "i32" in a else 64 for a in step["args"]]
            have = [int(t[2:]) if t[2:].isdigit() else 0 for t in got]
            if want != have:
                raise ProgramError(
                    f"{f['ptx']}: step {s_idx} ({step['kernel']}) passes "
                    f"{want} bits, the kernel takes {got}")


def run(pkg, inputs, backend, on_step=None):
    """Runs `pkg` (a Package) on host `inputs` {name: array} in a host arena
    with `backend`; returns {output name: array}. `on_step(i, step, views,
    scalars)` is called after each step."""
    program = pkg.program
    check_order(program)
    values = program["values"]
    batch = pkg.batch_of(inputs)
    offsets, total = arena_layout(program, batch)
    # Device memory is not cleared: all-ones bytes (NaN for floats) make a
    # read before any write show in the outputs.
    arena = np.full(total, 0xFF, np.uint8)

    raw_packed = backend.raw_packed_weights

    def view(i):
        v = values[i]
        dt = np.dtype(DTYPE[v["dtype"]])
        n = value_bytes(v, batch)
        if v["kind"] == "weight":
            raw = pkg.weights[v["offset"]:v["offset"] + n]
        else:
            raw = arena[offsets[v["slot"]]:offsets[v["slot"]] + n]
        if raw.size != n:
            raise ProgramError(f"value {i} ({v['name']}) lies outside its storage")
        if v["kind"] == "weight" and v["dtype"] in PACKED4:
            if raw_packed:
                return raw
            count = int(np.prod(value_shape(v, batch), dtype=np.int64))
            return unpack4(raw, count, v["dtype"]).view(dt).reshape(
                value_shape(v, batch))
        return raw.view(dt).reshape(value_shape(v, batch))

    for i, v in enumerate(values):
        if v["kind"] == "input":
            view(i)[...] = inputs[pkg.manifest["inputs"][v["index"]]["name"]]
    for s_idx, step in enumerate(program["steps"]):
        views = [view(pointer_value(a)) for a in step["args"]
                 if pointer_value(a) is not None]
        scalars = [linear(a.get("i32", a.get("i64")), batch)
                   for a in step["args"] if pointer_value(a) is None]
        grid = check_step(step, views, scalars, batch)
        if 0 in grid:
            # An empty batch, or a statically empty value (a zero-size
            # slice or pad): nothing to compute, and CUDA rejects a grid of
            # 0 blocks, so libquantc_rt launches nothing either.
            continue
        backend.step(step, views, scalars, grid)
        if on_step:
            on_step(s_idx, step, views, scalars)
    return {pkg.manifest["outputs"][v["index"]]["name"]: view(i).copy()
            for i, v in enumerate(values) if v["kind"] == "output"}
