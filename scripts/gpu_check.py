#!/usr/bin/env python3
"""GPU check of quantc's MXFP8 GEMM kernel against the Executor's emulation.

Runs ON A GPU MACHINE (CUDA driver + python3 + numpy; no LLVM/MLIR needed):
loads the sm_89 PTX written by scripts/gpu_check.sh with the CUDA driver API
through ctypes (cuModuleLoadDataEx; the driver JIT-compiles sm_89 PTX for the
GPU at hand, e.g. sm_90 on H100/H200), runs it on the cases that
scripts/gpu_check.sh wrote (seeded random inputs, ragged shapes included, and
the Executor's output for each, computed here by quant-run) and compares:

    python3 scripts/gpu_check.py --cases OUT_DIR [--ptx OUT_DIR/mxfp8_gemm.sm_89.ptx]
    python3 scripts/gpu_check.py --cpu-only --cases OUT_DIR  # no GPU: numpy ref vs Executor
    python3 scripts/gpu_check.py --cpu-only      # self-test of the numpy reference only
    python3 scripts/gpu_check.py --ptx FILE      # GPU vs numpy reference only (no cases)

Per case it prints the largest |gpu - executor|, the largest of that
difference relative to sum_k |a*b*sa*sb| (the tolerance below), and the
largest |numpy reference - executor|, which must be 0: the numpy reference
computes the Executor's formula in the same fp32 order, and the check
requires it to equal the Executor's output bit for bit (NaN positions
included). That ties the Executor (quant-run's output) to this script's
reference on every case, so a failure of the GPU comparison is the kernel's.

The reference is the exact formula the Executor implements (docs/Kernels.md):
  for each 32-wide K block kb (the last one zero-padded):
    partial = sum over k of decode_e4m3(A[m,k]) * decode_e4m3(B[n,k]),
              the 32 products added in k order in float32 (products are exact);
    acc     = fma(partial, sa * sb, acc), sa * sb rounded to float32,
  with sa = 2^(As[m,kb]-127), sb = 2^(Bs[n,kb]-127) (E8M0; 0xFF is NaN).
The fma is computed in float64 and rounded to float32. Because sa*sb is a
power of two (or 0/inf/NaN), partial*sa*sb is exact and the fma reduces to one
float32 addition, which float64-then-float32 rounds correctly (53 >= 2*24+2).

Tolerance: the tensor core sums the 32 products of a block in its own order
and, on Ada/Hopper FP8, not necessarily with a full fp32 adder (DeepSeek-V3
reports ~14 retained bits for Hopper FP8 accumulation). The error is
therefore measured relative to the magnitude of the summands:
    err[m,n] = |gpu - ref| / sum_k |a*b*sa*sb|
and a shape passes when max err <= 2^-10 (per-block error <= ~2^-13 of the
block's absolute sum, plus K/32 fp32 roundings of 2^-24). A wrong fragment,
scale or mask layout gives errors of order 0.1..1 on this measure. NaN
positions (from 0xFF scales) must match exactly.

Exit code: 0 if every case passes, 1 otherwise, 2 on setup errors (no PTX,
no CUDA, missing or malformed case files).
"""

import argparse
import ctypes
import ctypes.util
import math
import os
import re
import sys

import numpy as np

SCALE_BLOCK = 32
# Must match quantc::getMXFP8GemmLaunchConfig (GemmKernels.h): block (32,4,1)
# computing a 32(M) x 16(N) tile; grid (ceil(M/32), ceil(N/16), 1).
BLOCK = (32, 4, 1)
TILE_M, TILE_N = 32, 16
TOLERANCE = 2.0 ** -10
DEFAULT_SHAPES = [(1, 1, 1), (17, 9, 33), (64, 40, 100), (128, 256, 512),
                  (33, 17, 31), (5, 130, 64), (100, 3, 257), (256, 512, 1024)]


# --------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------

def e4m3_table():
    """float32 value of every e4m3 (OCP FN) code: bias 7, no infinities,
    S.1111.111 is NaN, subnormals (exp field 0) are man/8 * 2^-6."""
    t = np.empty(256, dtype=np.float32)
    for c in range(256):
        s = -1.0 if c & 0x80 else 1.0
        e = (c >> 3) & 0xF
        m = c & 0x7
        if e == 0xF and m == 0x7:
            t[c] = np.nan
        elif e == 0:
            t[c] = s * (m / 8.0) * 2.0 ** -6
        else:
            t[c] = s * (1.0 + m / 8.0) * 2.0 ** (e - 7)
    return t


E4M3 = e4m3_table()


# Float code formats as the Numerics library's Mini<E, M, Bias, Kind>:
# (exponent bits, mantissa bits, bias, specials: "ieee" Inf/NaN at the top
# exponent, "fn" NaN at all ones, "none").
MINI = {"f8E4M3FN": (4, 3, 7, "fn"), "f8E5M2": (5, 2, 15, "ieee"),
        "f4E2M1FN": (2, 1, 1, "none"), "f6E2M3FN": (2, 3, 1, "none"),
        "f6E3M2FN": (3, 2, 3, "none")}
# MX emax_elem: floor(log2(largest finite)), the shared scale's floor rule.
MX_EMAX = {"f8E4M3FN": 8, "f8E5M2": 15, "f4E2M1FN": 2, "f6E2M3FN": 2,
           "f6E3M2FN": 4}


def _mini_codes(fmt):
    e, m, bias, kind = MINI[fmt]
    w = e + m
    all_ones = (1 << w) - 1
    inf = ((1 << e) - 1) << m if kind == "ieee" else 0
    nan = inf | (1 << (m - 1)) if kind == "ieee" else all_ones if kind == "fn" \
        else 0
    max_abs = inf - 1 if kind == "ieee" else all_ones - 1 if kind == "fn" \
        else all_ones
    ovf_no_sat = inf if kind == "ieee" else nan if kind == "fn" else max_abs
    return e, m, bias, kind, w, all_ones, nan, max_abs, ovf_no_sat


def mini_encode(x, fmt, saturate=True):
    """Codes of float32 values in a float code format (MINI): round to
    nearest even on the f32 pattern, subnormals rounded by an f32 add of a
    magic constant, overflow to the largest finite (saturate) or Inf/NaN
    where the format has them, NaN to its NaN code (or +-0): the kernels'
    encodeMini, bit for bit the Numerics library's Mini::enc."""
    e, m, bias, _, w, _, nan, max_abs, ovf_no_sat = _mini_codes(fmt)
    sh = 23 - m
    y = np.ascontiguousarray(x, np.float32).view(np.uint32)
    sign = ((y >> 31) << w).astype(np.int64)
    a = (y & 0x7FFFFFFF).astype(np.int64)
    rn = (a + ((1 << (sh - 1)) - 1) + ((a >> sh) & 1)) >> sh
    n = rn - ((127 - bias) << m)
    magic = (127 + 24 - bias - m) << 23
    with np.errstate(all="ignore"):
        s = ((a.astype(np.uint32).view(np.float32) +
              np.array(magic, np.uint32).view(np.float32))
             .view(np.uint32).astype(np.int64) - magic)
    code = np.where(a < ((127 + 1 - bias) << 23), s, n)
    code = np.where(n > max_abs, max_abs if saturate else ovf_no_sat, code)
    code = np.where(a > 0x7F800000, nan, code)
    return (code | sign).astype(np.uint8)


def mini_decode(codes, fmt):
    """float32 values of codes in a float code format (MINI); NaN codes
    decode to NaN with the code's sign, as the Numerics library does."""
    e, m, bias, kind, w, all_ones, _, _, _ = _mini_codes(fmt)
    c = np.asarray(codes).astype(np.int64)
    sign = ((c >> w) & 1) << 31
    mag = c & all_ones
    ex = (mag >> m) & ((1 << e) - 1)
    man = mag & ((1 << m) - 1)
    normal = ((ex + 127 - bias) << 23) | (man << (23 - m))
    sub = (man.astype(np.float32) * np.float32(2.0 ** (1 - bias - m))) \
        .view(np.uint32).astype(np.int64)
    bits = np.where(ex == 0, sub, normal)
    if kind == "fn":
        bits = np.where(mag == all_ones, 0x7FC00000, bits)
    if kind == "ieee":
        top = ex == (1 << e) - 1
        bits = np.where(top, np.where(man == 0, 0x7F800000, 0x7FC00000), bits)
    return (bits | sign).astype(np.uint32).view(np.float32)


def bf16_encode(x, saturate=False):
    """bf16 bit patterns (uint16) of float32 values: round to nearest even,
    overflow to +-max finite when saturating else +-Inf, NaN quieted with
    its sign and payload: the Numerics library's encBF16."""
    a = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.int64)
    sign = (a >> 16) & 0x8000
    m = a & 0x7FFFFFFF
    code = (m + 0x7FFF + ((m >> 16) & 1)) >> 16
    code = np.where(code > 0x7F7F, 0x7F7F if saturate else 0x7F80, code)
    code = np.where(m > 0x7F800000, (m >> 16) | 0x40, code)
    return (code | sign).astype(np.uint16)


def bf16_decode(codes):
    """float32 values of bf16 bit patterns."""
    return (np.asarray(codes).astype(np.uint32) << 16).view(np.float32)


def e4m3_encode(x):
    """E4M3FN codes of float32 values, round to nearest even, saturating
    (NaN -> 0x7F): the kernels' encodeE4M3Sat and cvt.rn.satfinite.e4m3x2,
    bit for bit the Numerics library's encoder."""
    return mini_encode(x, "f8E4M3FN")


def e4m3_decode(codes):
    """float32 values of E4M3FN codes; S.1111.111 is NaN with the code's
    sign, as the Numerics library decodes it."""
    return mini_decode(codes, "f8E4M3FN")


def e8m0_decode(codes):
    """E8M0 codes -> float32 by bit pattern: 0xFF NaN, 0 -> 2^-127
    (subnormal 0x00400000), otherwise code << 23."""
    c = np.asarray(codes, dtype=np.uint32)
    bits = np.where(c == 0, np.uint32(0x00400000), c << np.uint32(23))
    bits = np.where(c == 0xFF, np.uint32(0x7FC00000), bits).astype(np.uint32)
    return bits.view(np.float32)


# --------------------------------------------------------------------------
# Reference
# --------------------------------------------------------------------------

def reference_gemm(A, As, B, Bs):
    """C = MXFP8 GEMM, exactly the per-block fp32 order described above.

    A: (M,K) uint8 e4m3, As: (M,KB) uint8 E8M0, B: (N,K), Bs: (N,KB).
    Returns (M,N) float32.
    """
    M, K = A.shape
    N = B.shape[0]
    KB = (K + SCALE_BLOCK - 1) // SCALE_BLOCK
    assert As.shape == (M, KB) and Bs.shape == (N, KB) and B.shape[1] == K
    a = E4M3[A]                                   # (M,K) float32
    b = E4M3[B]                                   # (N,K) float32
    sa = e8m0_decode(As)                          # (M,KB)
    sb = e8m0_decode(Bs)                          # (N,KB)
    acc = np.zeros((M, N), dtype=np.float32)
    with np.errstate(all="ignore"):
        for kb in range(KB):
            partial = np.zeros((M, N), dtype=np.float32)
            for k in range(kb * SCALE_BLOCK, min(K, (kb + 1) * SCALE_BLOCK)):
                # float32 product is exact (4-bit significands); float32 add.
                partial = partial + np.outer(a[:, k], b[:, k]).astype(np.float32)
            s = (sa[:, kb][:, None] * sb[:, kb][None, :]).astype(np.float32)
            acc = (partial.astype(np.float64) * s.astype(np.float64)
                   + acc.astype(np.float64)).astype(np.float32)
    return acc


def magnitude(A, As, B, Bs):
    """sum_k |a*b*sa*sb| in float64: the scale the error is measured on."""
    K = A.shape[1]
    KB = As.shape[1]
    a = np.abs(E4M3[A].astype(np.float64))
    b = np.abs(E4M3[B].astype(np.float64))
    sa = e8m0_decode(As).astype(np.float64)
    sb = e8m0_decode(Bs).astype(np.float64)
    kb_of_k = np.arange(K) // SCALE_BLOCK
    with np.errstate(all="ignore"):
        return (a * sa[:, kb_of_k]) @ (b * sb[:, kb_of_k]).T


def random_problem(rng, M, N, K, scale_lo=120, scale_hi=134):
    """Seeded codes: e4m3 without the NaN codes 0x7F/0xFF, scales in
    [scale_lo, scale_hi]."""
    KB = (K + SCALE_BLOCK - 1) // SCALE_BLOCK
    def codes(shape):
        c = rng.integers(0, 254, size=shape, dtype=np.int64)
        c = np.where(c >= 0x7F, c + 1, c)         # skip 0x7F; 253+1 = 254 max
        return c.astype(np.uint8)
    A = codes((M, K))
    B = codes((N, K))
    As = rng.integers(scale_lo, scale_hi + 1, size=(M, KB)).astype(np.uint8)
    Bs = rng.integers(scale_lo, scale_hi + 1, size=(N, KB)).astype(np.uint8)
    return A, As, B, Bs


def compare(got, ref, mag):
    """(max abs diff, max rel diff, max normalized err, nan mismatch count)."""
    nan_got, nan_ref = np.isnan(got), np.isnan(ref)
    mismatched = int(np.count_nonzero(nan_got != nan_ref))
    ok = ~(nan_got | nan_ref)
    if not ok.any():
        return 0.0, 0.0, 0.0, mismatched
    d = np.abs(got[ok].astype(np.float64) - ref[ok].astype(np.float64))
    rel = d / np.maximum(np.abs(ref[ok].astype(np.float64)), 1e-30)
    norm = d / np.maximum(mag[ok], 1e-30)
    return float(d.max()), float(rel.max()), float(norm.max()), mismatched


# --------------------------------------------------------------------------
# CPU self-test of the reference
# --------------------------------------------------------------------------

def scalar_reference(A, As, B, Bs, m, n):
    """One output element with Python scalars, as a second implementation."""
    K = A.shape[1]
    acc = np.float32(0.0)
    for kb in range((K + SCALE_BLOCK - 1) // SCALE_BLOCK):
        partial = np.float32(0.0)
        for k in range(kb * SCALE_BLOCK, min(K, (kb + 1) * SCALE_BLOCK)):
            partial = np.float32(partial + np.float32(E4M3[A[m, k]] * E4M3[B[n, k]]))
        s = np.float32(e8m0_decode(As[m, kb]) * e8m0_decode(Bs[n, kb]))
        acc = np.float32(float(partial) * float(s) + float(acc))
    return acc


def cpu_self_test():
    failures = []

    def check(cond, what):
        print(("  ok   " if cond else "  FAIL ") + what)
        if not cond:
            failures.append(what)

    print("reference self-test (CPU)")
    check(E4M3[0x38] == 1.0 and E4M3[0x7E] == 448.0 and E4M3[0xFE] == -448.0,
          "e4m3 decode: 0x38=1, 0x7E=448, 0xFE=-448")
    check(E4M3[0x01] == 2.0 ** -9 and E4M3[0x08] == 2.0 ** -6
          and np.signbit(E4M3[0x80]) and E4M3[0x80] == 0.0,
          "e4m3 decode: subnormal 0x01=2^-9, 0x08=2^-6, 0x80=-0")
    check(np.isnan(E4M3[0x7F]) and np.isnan(E4M3[0xFF])
          and np.count_nonzero(np.isnan(E4M3)) == 2, "e4m3 NaN codes 0x7F/0xFF only")
    try:
        import ml_dtypes  # optional cross-check
        mt = np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float32)
        same = np.array_equal(mt, E4M3, equal_nan=True)
        check(same, "e4m3 table equals ml_dtypes.float8_e4m3fn")
    except ImportError:
        print("  skip ml_dtypes cross-check (not installed)")
    d = e8m0_decode(np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8))
    check(d[0] == np.float32(2.0 ** -127) and d[1] == np.float32(2.0 ** -126)
          and d[2] == 1.0 and d[3] == 2.0 and d[4] == np.float32(2.0 ** 127)
          and np.isnan(d[5]), "e8m0 decode: 0->2^-127, 1->2^-126, 127->1, 254->2^127, 255->NaN")

    rng = np.random.default_rng(1234)
    for (M, N, K) in [(1, 1, 1), (17, 9, 33), (7, 5, 100)]:
        A, As, B, Bs = random_problem(rng, M, N, K)
        ref = reference_gemm(A, As, B, Bs)
        scal = np.array([[scalar_reference(A, As, B, Bs, m, n) for n in range(N)]
                         for m in range(M)], dtype=np.float32)
        check(np.array_equal(ref.view(np.uint32), scal.view(np.uint32)),
              f"vectorized == scalar reference, bit-exact ({M}x{N}x{K})")
        # Against an exact float64 evaluation: only fp32 rounding apart.
        a = E4M3[A].astype(np.float64); b = E4M3[B].astype(np.float64)
        kbk = np.arange(K) // SCALE_BLOCK
        exact = (a * e8m0_decode(As)[:, kbk]) @ (b * e8m0_decode(Bs)[:, kbk]).T
        _, _, norm, _ = compare(ref, exact.astype(np.float32), magnitude(A, As, B, Bs))
        check(norm <= K * 2.0 ** -23, f"reference vs float64 exact: norm err {norm:.2e} ({M}x{N}x{K})")
        # Zero padding of the last K block does not change the result.
        KP = ((K + SCALE_BLOCK - 1) // SCALE_BLOCK) * SCALE_BLOCK
        Ap = np.zeros((M, KP), np.uint8); Ap[:, :K] = A
        Bp = np.zeros((N, KP), np.uint8); Bp[:, :K] = B
        refp = reference_gemm(Ap, As, Bp, Bs)
        check(np.array_equal(ref.view(np.uint32), refp.view(np.uint32)),
              f"zero-padded K={KP} gives the same bits as K={K}")
    # A NaN scale makes exactly its row NaN.
    A, As, B, Bs = random_problem(rng, 4, 3, 40)
    As[2, 1] = 0xFF
    ref = reference_gemm(A, As, B, Bs)
    check(np.isnan(ref[2]).all() and not np.isnan(np.delete(ref, 2, 0)).any(),
          "scale 0xFF gives NaN in exactly that row")
    # The tolerance metric flags a layout bug (transposed scales).
    A, As, B, Bs = random_problem(rng, 16, 8, 64)
    ref = reference_gemm(A, As, B, Bs)
    wrong = reference_gemm(A, As[::-1].copy(), B, Bs)
    _, _, norm, _ = compare(wrong, ref, magnitude(A, As, B, Bs))
    check(norm > 100 * TOLERANCE, f"tolerance rejects swapped row scales (norm err {norm:.2e})")
    print("CPU self-test: " + ("PASS" if not failures else f"FAIL ({len(failures)} failed)"))
    return 0 if not failures else 1


# --------------------------------------------------------------------------
# CUDA driver API via ctypes
# --------------------------------------------------------------------------

class Cuda:
    CU_JIT_INFO_LOG_BUFFER = 3
    CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4
    CU_JIT_ERROR_LOG_BUFFER = 5
    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6

    def __init__(self):
        name = ctypes.util.find_library("cuda") or "libcuda.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError:
            self.lib = ctypes.CDLL("libcuda.so")
        self.check(self.lib.cuInit(0), "cuInit")
        self.dev = ctypes.c_int()
        self.check(self.lib.cuDeviceGet(ctypes.byref(self.dev), 0), "cuDeviceGet")
        self.ctx = ctypes.c_void_p()
        self.check(self.lib.cuDevicePrimaryCtxRetain(ctypes.byref(self.ctx), self.dev),
                   "cuDevicePrimaryCtxRetain")
        self.check(self.lib.cuCtxSetCurrent(self.ctx), "cuCtxSetCurrent")

    def check(self, rc, what):
        if rc != 0:
            s = ctypes.c_char_p()
            self.lib.cuGetErrorString(rc, ctypes.byref(s))
            raise RuntimeError(f"{what} failed: CUDA error {rc} "
                               f"({s.value.decode() if s.value else '?'})")

    def device_name(self):
        buf = ctypes.create_string_buffer(256)
        self.lib.cuDeviceGetName(buf, 256, self.dev)
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.lib.cuDeviceGetAttribute(ctypes.byref(major), 75, self.dev)  # CC major
        self.lib.cuDeviceGetAttribute(ctypes.byref(minor), 76, self.dev)  # CC minor
        return f"{buf.value.decode()} (sm_{major.value}{minor.value})"

    def load_module(self, ptx_bytes):
        log_size = 1 << 16
        err_log = ctypes.create_string_buffer(log_size)
        info_log = ctypes.create_string_buffer(log_size)
        opts = (ctypes.c_int * 4)(self.CU_JIT_ERROR_LOG_BUFFER,
                                  self.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                                  self.CU_JIT_INFO_LOG_BUFFER,
                                  self.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES)
        vals = (ctypes.c_void_p * 4)(ctypes.cast(err_log, ctypes.c_void_p).value, log_size,
                                     ctypes.cast(info_log, ctypes.c_void_p).value, log_size)
        mod = ctypes.c_void_p()
        data = ctypes.create_string_buffer(ptx_bytes + b"\0")
        rc = self.lib.cuModuleLoadDataEx(ctypes.byref(mod), data, 4, opts, vals)
        if rc != 0:
            raise RuntimeError("cuModuleLoadDataEx (PTX JIT) failed with CUDA error "
                               f"{rc}:\n{err_log.value.decode(errors='replace')}")
        return mod

    def function(self, mod, name):
        f = ctypes.c_void_p()
        self.check(self.lib.cuModuleGetFunction(ctypes.byref(f), mod, name.encode()),
                   f"cuModuleGetFunction({name})")
        return f

    def alloc(self, nbytes):
        p = ctypes.c_uint64()
        self.check(self.lib.cuMemAlloc_v2(ctypes.byref(p), ctypes.c_size_t(max(nbytes, 1))),
                   "cuMemAlloc")
        return p

    def free(self, p):
        self.lib.cuMemFree_v2(p)

    def htod(self, dst, arr):
        arr = np.ascontiguousarray(arr)
        self.check(self.lib.cuMemcpyHtoD_v2(dst, arr.ctypes.data_as(ctypes.c_void_p),
                                            ctypes.c_size_t(arr.nbytes)), "cuMemcpyHtoD")

    def dtoh(self, arr, src):
        self.check(self.lib.cuMemcpyDtoH_v2(arr.ctypes.data_as(ctypes.c_void_p), src,
                                            ctypes.c_size_t(arr.nbytes)), "cuMemcpyDtoH")

    def launch(self, f, grid, block, args, sync=True, shared=0):
        """args: list of ctypes scalars (c_uint64 pointers, c_int32, c_int64).
        sync=False leaves the kernel running (call sync()). shared: dynamic
        shared memory bytes (above 48 KiB, after allow_shared)."""
        holders = [ctypes.byref(a) for a in args]
        argv = (ctypes.c_void_p * len(args))(*[ctypes.cast(h, ctypes.c_void_p) for h in holders])
        self.check(self.lib.cuLaunchKernel(f, grid[0], grid[1], grid[2],
                                           block[0], block[1], block[2],
                                           shared, None, argv, None), "cuLaunchKernel")
        if sync:
            self.sync()

    def allow_shared(self, f, nbytes):
        """Lets kernel f take nbytes of dynamic shared memory (needed above
        48 KiB: CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)."""
        self.check(self.lib.cuFuncSetAttribute(f, 8, nbytes),
                   "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)")

    def tensor_map(self, dptr, rows, cols, box, swizzle=128):
        """A CUtensorMap, copied to device memory (the kernels read it from
        global memory; returns its c_uint64 address): the [rows, cols]
        uint8 matrix at dptr, boxes of box = (rows, cols) elements, the
        swizzle span in bytes, L2 promotion 256 B, zero fill out of bounds
        (docs/Runtime.md: what libquantc_rt encodes)."""
        swz = {0: 0, 32: 1, 64: 2, 128: 3}[swizzle]
        raw = (ctypes.c_uint8 * 192)()
        base = ctypes.addressof(raw)
        base += (-base) % 64  # CUtensorMap is alignas(64)
        buf = (ctypes.c_uint8 * 128).from_address(base)
        gd = (ctypes.c_uint64 * 2)(cols, rows)
        gs = (ctypes.c_uint64 * 1)(cols)
        bd = (ctypes.c_uint32 * 2)(box[1], box[0])
        es = (ctypes.c_uint32 * 2)(1, 1)
        # UINT8, rank 2, no interleave, L2 promotion 256 B (3), OOB fill
        # NONE (out-of-bounds elements read as zero).
        self.check(self.lib.cuTensorMapEncodeTiled(
            buf, ctypes.c_int(0), ctypes.c_uint32(2), ctypes.c_void_p(dptr),
            gd, gs, bd, es, ctypes.c_int(0), ctypes.c_int(swz),
            ctypes.c_int(3), ctypes.c_int(0)), "cuTensorMapEncodeTiled")
        d = self.alloc(128)
        self.htod(d, np.frombuffer(bytes(buf), dtype=np.uint8))
        return d

    def sync(self):
        self.check(self.lib.cuCtxSynchronize(), "cuCtxSynchronize (kernel execution)")

    def chip(self):
        """"sm_90" for a compute capability 9.0 device."""
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.lib.cuDeviceGetAttribute(ctypes.byref(major), 75, self.dev)
        self.lib.cuDeviceGetAttribute(ctypes.byref(minor), 76, self.dev)
        return f"sm_{major.value}{minor.value}"


def launch_config(M, N):
    return ((M + TILE_M - 1) // TILE_M, (N + TILE_N - 1) // TILE_N, 1), BLOCK


def run_gpu(cuda, fn, A, As, B, Bs):
    M, K = A.shape
    N = B.shape[0]
    bufs = []
    try:
        for arr in (A, As, B, Bs):
            p = cuda.alloc(arr.nbytes)
            bufs.append(p)
            cuda.htod(p, arr)
        pc = cuda.alloc(M * N * 4)
        bufs.append(pc)
        # Poison C so unwritten outputs show up as NaN.
        cuda.htod(pc, np.full((M, N), np.nan, dtype=np.float32))
        grid, block = launch_config(M, N)
        cuda.launch(fn, grid, block, [bufs[0], bufs[1], bufs[2], bufs[3], pc,
                                      ctypes.c_int32(M), ctypes.c_int32(N), ctypes.c_int32(K)])
        out = np.empty((M, N), dtype=np.float32)
        cuda.dtoh(out, pc)
        return out
    finally:
        for p in bufs:
            cuda.free(p)


# --------------------------------------------------------------------------
# Cases written by scripts/gpu_check_cases.py (inputs + Executor reference)
# --------------------------------------------------------------------------

def load_cases(folder):
    """[(label, (A, As, B, Bs), executor_c)] from case_*.in.npz / .ref.npz.
    Raises ValueError on a missing or malformed case."""
    try:
        names = sorted(f[:-len(".in.npz")] for f in os.listdir(folder)
                       if f.startswith("case_") and f.endswith(".in.npz"))
    except OSError as e:
        raise ValueError(f"cannot list {folder}: {e}")
    if not names:
        raise ValueError(f"no case_*.in.npz in {folder} (run scripts/gpu_check.sh)")

    def dims(name):  # case_MxNxK[_tag]: order by size, then name
        m = re.match(r"case_(\d+)x(\d+)x(\d+)", name)
        return (int(m[1]) * int(m[2]) * int(m[3]) if m else 0, name)

    cases = []
    for name in sorted(names, key=dims):
        base = os.path.join(folder, name)
        try:
            with np.load(base + ".in.npz") as z:
                A, As, B, Bs = (np.ascontiguousarray(z[k])
                                for k in ("a", "a_scales", "b", "b_scales"))
            with np.load(base + ".ref.npz") as z:
                C = np.ascontiguousarray(z["c"])
        except (OSError, KeyError) as e:
            raise ValueError(f"{name}: {e}")
        M, K = A.shape if A.ndim == 2 else (0, 0)
        N = B.shape[0] if B.ndim == 2 else 0
        KB = (K + SCALE_BLOCK - 1) // SCALE_BLOCK
        if (A.dtype != np.uint8 or As.dtype != np.uint8 or B.dtype != np.uint8
                or Bs.dtype != np.uint8 or C.dtype != np.float32 or min(M, N, K) < 1
                or As.shape != (M, KB) or B.shape != (N, K) or Bs.shape != (N, KB)
                or C.shape != (M, N)):
            raise ValueError(f"{name}: unexpected arrays a{A.shape} {A.dtype}, "
                             f"a_scales{As.shape}, b{B.shape}, b_scales{Bs.shape}, "
                             f"c{C.shape} {C.dtype}")
        cases.append((name[len("case_"):], (A, As, B, Bs), C))
    return cases


def bit_mismatches(x, y):
    """Elements where float32 arrays x and y differ: NaN positions, or the
    bits of non-NaN values (so +0 and -0 differ)."""
    nx_, ny_ = np.isnan(x), np.isnan(y)
    ok = ~(nx_ | ny_)
    return int(np.count_nonzero(nx_ != ny_)
               + np.count_nonzero(x[ok].view(np.uint32) != y[ok].view(np.uint32)))


def check_cases(cases, gpu=None):
    """Compares the numpy reference (and, with gpu = (cuda, fn), the kernel)
    with each case's Executor output. Returns 0 if all pass, else 1."""
    all_ok = True
    if gpu:
        print(f"{'case':24s} {'max|gpu-exe|':>12s} {'max rel':>10s} {'max norm err':>13s} "
              f"{'max|np-exe|':>12s} {'np!=exe':>8s}  result")
    else:
        print(f"{'case':24s} {'max|np-exe|':>12s} {'max norm err':>13s} {'np!=exe':>8s}  result")
    for label, (A, As, B, Bs), exe in cases:
        mag = magnitude(A, As, B, Bs)
        ref = reference_gemm(A, As, B, Bs)
        np_abs, _, np_norm, _ = compare(ref, exe, mag)
        np_bad = bit_mismatches(ref, exe)
        ok = np_bad == 0
        if gpu:
            got = run_gpu(gpu[0], gpu[1], A, As, B, Bs)
            dabs, drel, norm, nan_mismatch = compare(got, exe, mag)
            ok = ok and norm <= TOLERANCE and nan_mismatch == 0
            extra = f" ({nan_mismatch} NaN mismatches vs Executor)" if nan_mismatch else ""
            print(f"{label:24s} {dabs:12.4e} {drel:10.3e} {norm:13.3e} {np_abs:12.4e} "
                  f"{np_bad:8d}  {'PASS' if ok else 'FAIL'}{extra}")
        else:
            print(f"{label:24s} {np_abs:12.4e} {np_norm:13.3e} {np_bad:8d}  "
                  f"{'PASS' if ok else 'FAIL'}")
        all_ok &= ok
    if gpu:
        print(f"tolerance: max |gpu-exe| / sum_k|a*b*sa*sb| <= 2^-10 = {TOLERANCE:.3e}, "
              "NaN positions equal;")
    print("numpy reference must equal the Executor bit for bit (np!=exe = 0)")
    return 0 if all_ok else 1


def parse_shapes(text):
    shapes = []
    for s in text.split(","):
        parts = [int(x) for x in s.lower().split("x")]
        if len(parts) != 3 or min(parts) < 1:
            raise argparse.ArgumentTypeError(f"bad shape '{s}' (want MxNxK, all >= 1)")
        shapes.append(tuple(parts))
    return shapes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", metavar="DIR",
                    help="folder written by scripts/gpu_check.sh (case_*.in.npz, "
                         "case_*.ref.npz: inputs and the Executor's outputs)")
    ap.add_argument("--ptx", default=None,
                    help="sm_89 PTX from scripts/gpu_check.sh (default: "
                         "DIR/mxfp8_gemm.sm_89.ptx with --cases, else "
                         "build-kernels/gpu_check/mxfp8_gemm.sm_89.ptx)")
    ap.add_argument("--kernel", default="mxfp8_gemm")
    ap.add_argument("--shapes", type=parse_shapes, default=DEFAULT_SHAPES,
                    help="without --cases: comma-separated MxNxK list")
    ap.add_argument("--seed", type=int, default=20240611,
                    help="without --cases: seed of the random data")
    ap.add_argument("--cpu-only", action="store_true",
                    help="no GPU: self-test the numpy reference and, with --cases, "
                         "compare it with the Executor's outputs")
    args = ap.parse_args()

    cases = None
    if args.cases:
        try:
            cases = load_cases(args.cases)
        except ValueError as e:
            print(f"gpu_check: {e}", file=sys.stderr)
            return 2

    if args.cpu_only:
        rc = cpu_self_test()
        if cases is not None:
            print()
            print(f"numpy reference vs Executor (quant-run) on {args.cases}")
            rc = check_cases(cases) or rc
            print("gpu_check --cpu-only: " + ("PASS" if rc == 0 else "FAIL"))
        return rc

    ptx_path = args.ptx or (os.path.join(args.cases, "mxfp8_gemm.sm_89.ptx") if args.cases
                            else "build-kernels/gpu_check/mxfp8_gemm.sm_89.ptx")
    try:
        with open(ptx_path, "rb") as f:
            ptx = f.read()
    except OSError as e:
        print(f"gpu_check: cannot read PTX: {e}", file=sys.stderr)
        return 2
    m = re.search(rb"\.(?:maxntid|reqntid)\s+(\d+),\s*(\d+),\s*(\d+)", ptx)
    if m and tuple(int(x) for x in m.groups()) != BLOCK:
        print(f"gpu_check: PTX block size {m.groups()} != expected {BLOCK}", file=sys.stderr)
        return 2
    try:
        cuda = Cuda()
        print(f"device: {cuda.device_name()}")
        mod = cuda.load_module(ptx)
        fn = cuda.function(mod, args.kernel)
    except (OSError, RuntimeError) as e:
        print(f"gpu_check: CUDA setup failed: {e}", file=sys.stderr)
        return 2

    if cases is not None:
        print(f"kernel ({ptx_path}) vs Executor (quant-run) on {args.cases}")
        rc = check_cases(cases, gpu=(cuda, fn))
        print("gpu_check: " + ("PASS" if rc == 0 else "FAIL"))
        return rc

    print("no --cases: comparing with the numpy reference only (not the Executor)")
    rng = np.random.default_rng(args.seed)
    cases = [(f"{M}x{N}x{K}", random_problem(rng, M, N, K)) for (M, N, K) in args.shapes]
    # Special scales: 0 (2^-127, subnormal products), 0xFF (NaN row/col).
    A, As, B, Bs = random_problem(rng, 40, 24, 96)
    As[3, :] = 0
    As[5, 1] = 0xFF
    Bs[7, 2] = 0xFF
    cases.append(("40x24x96 special scales", (A, As, B, Bs)))

    all_ok = True
    print(f"{'shape':28s} {'max|diff|':>12s} {'max rel':>10s} {'max norm err':>13s}  result")
    for label, (A, As, B, Bs) in cases:
        got = run_gpu(cuda, fn, A, As, B, Bs)
        ref = reference_gemm(A, As, B, Bs)
        mag = magnitude(A, As, B, Bs)
        dabs, drel, norm, nan_mismatch = compare(got, ref, mag)
        ok = norm <= TOLERANCE and nan_mismatch == 0
        all_ok &= ok
        extra = f" ({nan_mismatch} NaN mismatches)" if nan_mismatch else ""
        print(f"{label:28s} {dabs:12.4e} {drel:10.3e} {norm:13.3e}  "
              f"{'PASS' if ok else 'FAIL'}{extra}")
    print(f"tolerance: normalized error <= 2^-10 = {TOLERANCE:.3e}")
    print("gpu_check: " + ("PASS" if all_ok else "FAIL"))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
