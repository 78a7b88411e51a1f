"""quantc.numerics.gemm_fp8 (F33, the sm_90a FP8 GEMM's arithmetic) against
an independent numpy + fractions reference, bit for bit.

The reference decodes the E4M3 codes with ml_dtypes, sums the products of each
128-wide K block exactly (float64 matmul of values whose sums need at most 53
bits), rounds each block sum to f32 once, and applies the promotion
fmaf(p, f32(sa * sb), acc) with exact rational arithmetic and one
round-to-nearest-even to f32 (Python 3.11 has no math.fma, and a float64 or
longdouble fma would round twice).
"""
from fractions import Fraction

import ml_dtypes as md
import numpy as np
import pytest

from quantc import numerics as qn

F32 = np.float32


def round_f32(x: Fraction) -> np.float32:
    """x rounded to the nearest f32, ties to even (subnormals, overflow)."""
    if x == 0:
        return F32(0.0)
    sign = -1 if x < 0 else 1
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    # 2^e <= a < 2^(e+2) roughly; settle e so that 2^23 <= a / 2^(e-23) < 2^24
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    q = max(e - 23, -149)  # the f32 quantum at this exponent
    n = round(a / Fraction(2) ** q)  # round() of a Fraction: ties to even
    v = float(n) * 2.0 ** q
    if v > float(np.finfo(F32).max):
        return F32(sign * np.inf)
    return F32(sign * v)


def fma_f32(p, f, acc):
    return round_f32(Fraction(float(p)) * Fraction(float(f))
                     + Fraction(float(acc)))


def decode(codes):
    return codes.view(md.float8_e4m3fn).astype(np.float64)


def reference(a, b, sa, sb, scales):
    A, B = decode(a), decode(b)
    M, K = A.shape
    N = B.shape[0]
    if scales != "1x128":
        total = (A @ B.T).astype(F32)  # exact sums, one rounding
        if scales == "per-tensor":
            f = np.full((M, N), F32(sa[0]) * F32(sb[0]), dtype=F32)
        else:
            f = sa[:, None].astype(F32) * sb[None, :].astype(F32)
        return total * f
    KB = -(-K // 128)
    acc = np.zeros((M, N), dtype=F32)
    for kb in range(KB):
        blk = slice(128 * kb, min(K, 128 * (kb + 1)))
        p = (A[:, blk] @ B[:, blk].T).astype(F32)
        f = sa[:, kb][:, None] * sb[np.arange(N) // 128, kb][None, :]
        f = f.astype(F32)
        for m in range(M):
            for n in range(N):
                acc[m, n] = fma_f32(p[m, n], f[m, n], acc[m, n])
    return acc


def reference_split(a, b, sa, sb, scales, split_k):
    """The split-K order: each split's partial by `reference` over its K
    blocks (1x128: its own promotion chain; else its exact sum rounded, the
    factor applied after the splits are added), partials added in f32 in
    split order from +0."""
    K = a.shape[1]
    KB = -(-K // 128)
    per = -(-KB // split_k)
    total = np.zeros((a.shape[0], b.shape[0]), dtype=F32)
    for z in range(split_k):
        kb0, kb1 = min(KB, z * per), min(KB, (z + 1) * per)
        if kb0 == kb1:
            part = np.zeros_like(total)
        elif scales == "1x128":
            part = reference(a[:, 128 * kb0:128 * kb1], b[:, 128 * kb0:128 * kb1],
                             sa[:, kb0:kb1], sb[:, kb0:kb1], scales)
        else:
            blk = slice(128 * kb0, min(K, 128 * kb1))
            part = (decode(a[:, blk]) @ decode(b[:, blk]).T).astype(F32)
        total = (total + part).astype(F32)
    if scales == "per-tensor":
        return total * (F32(sa[0]) * F32(sb[0]))
    if scales == "per-channel":
        return total * (sa[:, None].astype(F32) * sb[None, :].astype(F32))
    return total


def random_codes(rng, shape, spread):
    """E4M3 codes of N(0, spread) values, NaN codes replaced by 0."""
    x = (rng.standard_normal(shape) * spread).astype(F32)
    c = np.clip(x, -448, 448).astype(md.float8_e4m3fn).view(np.uint8).copy()
    c[(c & 0x7F) == 0x7F] = 0
    return c


def scales_for(rng, scales, M, N, K):
    KB, NB = -(-K // 128), -(-N // 128)
    shapes = {"1x128": ((M, KB), (NB, KB)), "per-channel": ((M,), (N,)),
              "per-tensor": ((1,), (1,))}[scales]
    # Scales spanning many binades make the fma's single rounding matter.
    sa = np.exp2(rng.uniform(-12, 4, shapes[0])).astype(F32)
    sb = np.exp2(rng.uniform(-12, 4, shapes[1])).astype(F32)
    sa *= rng.uniform(1, 2, shapes[0]).astype(F32)
    return sa, sb


@pytest.mark.parametrize("scales", ["1x128", "per-channel", "per-tensor"])
@pytest.mark.parametrize("M,N,K", [(1, 1, 16), (5, 7, 128), (17, 130, 272),
                                   (33, 257, 400)])
def test_bit_exact_against_reference(scales, M, N, K):
    rng = np.random.default_rng(M * 1000 + N + K)
    # Mixed magnitudes: tiny and huge values in the same block.
    a = random_codes(rng, (M, K), 40.0)
    b = random_codes(rng, (N, K), 0.05)
    a[:, ::7] = random_codes(rng, (M, len(range(0, K, 7))), 300.0)
    sa, sb = scales_for(rng, scales, M, N, K)
    got = qn.gemm_fp8(a, b, sa, sb, scales)
    want = reference(a, b, sa, sb, scales)
    assert got.dtype == F32 and got.shape == (M, N)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("scales", ["1x128", "per-channel", "per-tensor"])
@pytest.mark.parametrize("split_k", [2, 3, 7])
def test_split_k_bit_exact_against_reference(scales, split_k):
    """The split-K kernel's arithmetic (split 7 of K = 784's 7 blocks: one
    each; 3: 3, 3, 1), bit for bit; it differs from the unsplit order."""
    rng = np.random.default_rng(split_k)
    M, N, K = 9, 130, 784
    a = random_codes(rng, (M, K), 40.0)
    b = random_codes(rng, (N, K), 0.05)
    sa, sb = scales_for(rng, scales, M, N, K)
    got = qn.gemm_fp8(a, b, sa, sb, scales, split_k=split_k)
    want = reference_split(a, b, sa, sb, scales, split_k)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    assert not np.array_equal(got, qn.gemm_fp8(a, b, sa, sb, scales))
    with pytest.raises(quantc_error(), match="splitK must be 1 .. 64"):
        qn.gemm_fp8(a, b, sa, sb, scales, split_k=0)


def quantc_error():
    import quantc
    return quantc.Error


def test_promotion_order_matters():
    """Promotion per block is not the same as scaling the whole sum: the
    reference must follow the blocks (else this test could not fail)."""
    rng = np.random.default_rng(3)
    M, N, K = 4, 4, 512
    a = random_codes(rng, (M, K), 20.0)
    b = random_codes(rng, (N, K), 20.0)
    sa = np.ones((M, 4), F32)
    sb = np.ones((1, 4), F32)
    sa[:, 1] = F32(2.0 ** -20)
    got = qn.gemm_fp8(a, b, sa, sb, "1x128")
    whole = qn.gemm_fp8(a, b, np.ones(M, F32), np.ones(N, F32), "per-channel")
    assert not np.array_equal(got, whole)


def test_round_f32_helper():
    """The test's own rounding helper against numpy on doubles (which are
    rounded to f32 correctly in one step)."""
    rng = np.random.default_rng(0)
    for v in np.concatenate([rng.standard_normal(2000) * 1e3,
                             rng.standard_normal(200) * 1e-40,
                             [1 + 2 ** -24, 1 + 3 * 2 ** -24, 2 ** -149 * 1.5,
                              3.4028235677973366e38]]):
        with np.errstate(over="ignore"):  # the last value rounds to inf
            want = F32(v)
        got = round_f32(Fraction(float(v)))
        assert got.view(np.uint32) == want.view(np.uint32), v


@pytest.mark.parametrize("sa,sb,scales,msg", [
    (np.ones((2, 1), F32), np.ones((1, 1), F32), "1x32", "unknown scales"),
    (np.ones((2,), F32), np.ones((1, 1), F32), "1x128",
     "1x128 scales need sa [2, 1] and sb [1, 1], got [2] and [1, 1]"),
    (np.ones((2,), F32), np.ones((2,), F32), "per-channel",
     "per-channel scales need sa [2] and sb [3]"),
])
def test_bad_scales(sa, sb, scales, msg):
    a = np.zeros((2, 16), np.uint8)
    b = np.zeros((3, 16), np.uint8)
    with pytest.raises(Exception, match=msg.replace("[", r"\[")):
        qn.gemm_fp8(a, b, sa, sb, scales)


def test_bad_operands():
    with pytest.raises(Exception, match="a must be"):
        qn.gemm_fp8(np.zeros((2, 16), np.uint8), np.zeros((3, 32), np.uint8),
                    np.ones(1, F32), np.ones(1, F32), "per-tensor")
