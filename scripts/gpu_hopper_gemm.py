#!/usr/bin/env python3
"""GPU check and benchmark of quantc's sm_90a FP8 GEMM (TMA + wgmma).

Three steps, two machines:

  here (LLVM/MLIR, the build):   scripts/gpu_hopper_gemm.sh [BUILD [OUT]]
      writes OUT/fp8_gemm_<scales>_n<tileN>_s<stages>.{ptx,cubin} from
      quant-kernel-gen (tile widths 64, 128 and, without promotion, 256) and, by
      `--prepare OUT`, the check cases: seeded random e4m3 codes and scales
      (ragged M/N, K a multiple of 16 but not of 128 included) with the
      expected C from quantc.numerics.gemm_fp8 (F33, the kernel's arithmetic);
  on an H100/H200 (python3, numpy, CUDA driver; torch for the timings):
      python3 scripts/gpu_hopper_gemm.py --dir OUT [--no-time]
  without a GPU, a self-test of the case files and of this script's host
  side (tensor-map parameters, tolerance measure):
      python3 scripts/gpu_hopper_gemm.py --dir OUT --cpu-only
  and the whole check with the kernels run on this CPU (quantc.HostKernels
  emulates their TMA loads, mbarriers and wgmma; the build's quantc module
  on PYTHONPATH), every case against every kernel as on the GPU:
      python3 scripts/gpu_hopper_gemm.py --dir OUT --host

Output variants (HopperGemmConfig::output, fp8_gemm_<scales>_n<N>_s<S>_o<out>):
bf16 C, and fp8-1x128 (e4m3 codes + an f32 scale per row and 128 columns,
the next GEMM's activation operand). Each runs on every case of its scale
variant after the f32 kernel of the same variant, tile and depth, whose
accumulators it shares bit for bit; its output must then equal this
script's conversion of that f32 C exactly: bf16 round-to-nearest-even, or
scale = amax/448 (1 for 0) per row and group and code = e4m3(v / scale)
(RNE, saturating) -- Numerics F27, which --cpu-only checks this script's
converters against (quant_selftest.npz, written by --prepare from
quantc.numerics).

Check: for every kernel (scale variant x tile width) and every case of its
variant, C is poisoned with NaN, the kernel runs, and

    err[m,n] = |gpu - ref| / mag[m,n],  mag = sum_k |a*b| * |scale of (m,n,k)|

must be <= 2^-10 everywhere (NaN anywhere fails). Why that bound: the
reference sums each block exactly and rounds once, the tensor core sums a
k32 step and accumulates across steps with fewer retained bits (DeepSeek-V3
measured ~14 bits for Hopper FP8 accumulation, i.e. ~2^-13 of the summed
magnitude per block); with promotion every 128 the errors of K/128 blocks
add up to well under 2^-10 of the magnitude, while a wrong descriptor,
swizzle, fragment or scale index gives errors of order 0.1-1 on this
measure. per-tensor and per-channel accumulate all of K in the tensor core
(no promotion), as cuBLASLt's fast-accumulation FP8 does; their bound is the
same measure.

Timing (torch needed), every kernel: the DeepSeek-V3 shapes of issue 11 and
five decode shapes (M = 16, 64, 128) (quantc::chooseHopperGemmConfig's pick is the tile to read
first: 64 columns under one wave of 128 x 128 tiles, 256 for per-tensor /
per-channel from two waves of 128 x 256 tiles up, else 128),
CUDA events, median of 20 runs after 3 warm-ups, against torch._scaled_mm
(cuBLASLt FP8) per-tensor and, where this torch accepts them, 1x128 x 128x128
block scales, and bf16 torch.matmul, in the same process. Large shapes are checked against a float32
torch emulation of F33 with the same tolerance measure. One JSON line per
result; exit code 0 if every check passes, 1 if one fails, 2 on setup errors.
"""

import argparse
import ctypes
import json
import math
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_check import Cuda, e4m3_encode, e4m3_table  # noqa: E402

VARIANTS = ["1x128", "per-channel", "per-tensor"]
TILE_M = TILE_K = 128
SCALE_BLOCK_N = 128  # columns one 1x128-mode weight scale covers
THREADS = 384
TOLERANCE = 2.0 ** -10
CHECK_SHAPES = [(1, 1, 16), (17, 130, 272), (128, 128, 128), (200, 300, 1024),
                (129, 257, 2048), (256, 512, 4096), (64, 1000, 400)]
# Issue 11's DeepSeek-V3 (N, K) pairs at M = 4096, then decode shapes
# (M = 16, 64, 128) of two of them.
TIME_SHAPES = [(4096, 2112, 7168), (4096, 24576, 1536), (4096, 32768, 512),
               (4096, 7168, 16384), (4096, 4096, 7168), (4096, 7168, 2048),
               (16, 7168, 16384), (64, 7168, 2048), (128, 7168, 2048),
               (16, 2112, 7168), (128, 24576, 1536)]



def shared_bytes(stages, tile_n, swapped_fp8=False):
    """quantc::getHopperGemmSharedBytes (HopperGemm.h): the A (128 rows) and
    B (tile_n rows) tiles of every stage, then two 8-byte mbarriers per
    stage; the swapped kernel's fp8-1x128 output also keeps the 8 consumer
    warps' column maxima (f32 [8][tile_n])."""
    return (stages * (TILE_M + tile_n) * TILE_K + stages * 16 +
            (8 * tile_n * 4 if swapped_fp8 else 0))


def kernel_shared_bytes(k):
    return shared_bytes(k["stages"], k["tile_n"],
                        k["swap"] and k["output"] == "fp8-1x128")


OUTPUTS = ("f32", "bf16", "fp8-1x128")


def bf16_rne(x):
    """uint16 bf16 codes of float32 x, round to nearest even (finite x)."""
    b = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def quantize_1x128(C):
    """(codes uint8 [M, N], scales float32 [M, ceil(N/128)]) of an f32
    matrix: scale = amax / 448 in f32 (1 for an all-zero group), code =
    e4m3(v / scale) with the f32 quotient (Numerics F27, 1 x 128 blocks)."""
    C = np.asarray(C, dtype=np.float32)
    M, N = C.shape
    G = -(-N // 128)
    pad = np.zeros((M, G * 128), dtype=np.float32)
    pad[:, :N] = C
    amax = np.abs(pad).reshape(M, G, 128).max(axis=2)
    scales = np.where(amax == 0, np.float32(1), amax / np.float32(448)).astype(np.float32)
    q = (C / np.repeat(scales, 128, axis=1)[:, :N]).astype(np.float32)
    return e4m3_encode(q), scales


def read_kernels(folder):
    """The kernels gpu_hopper_gemm.sh built: fp8_gemm_<scales>_n<tileN>_s<stages>
    .ptx (and .cubin). The name carries the tile width (the B tensor map's
    box and the grid) and the pipeline depth (the shared memory to give it:
    too little would put the mbarriers past its end). Returns a list of
    dicts (scales, tile_n, stages, base)."""
    out = []
    for f in sorted(os.listdir(folder)):
        m = re.fullmatch(r"fp8_gemm_(1x128|per-channel|per-tensor)_n(\d+)_s(\d+)"
                         r"(?:_o(bf16|fp8-1x128))?(_swap)?(_persist)?(?:_k(\d+))?\.ptx", f)
        if not m:
            continue
        scales, tile_n, stages = m.group(1), int(m.group(2)), int(m.group(3))
        output = m.group(4) or "f32"
        swapped_fp8 = bool(m.group(5)) and output == "fp8-1x128"
        if tile_n not in (16, 32, 64, 128, 256) or \
                shared_bytes(stages, tile_n, swapped_fp8) > 232448:
            raise ValueError(f"{f}: tile {tile_n} x {stages} stages is not a "
                             f"configuration the kernel builder accepts")
        out.append({"scales": scales, "tile_n": tile_n, "stages": stages,
                    "output": output, "swap": bool(m.group(5)),
                    "persist": bool(m.group(6)), "split": int(m.group(7) or 1),
                    "base": os.path.join(folder, f[:-4])})
    if not out:
        raise FileNotFoundError(f"no fp8_gemm_*_n*_s*.ptx in {folder}: run "
                                f"scripts/gpu_hopper_gemm.sh first")
    missing = set(VARIANTS) - {k["scales"] for k in out if k["output"] == "f32"}
    if missing:
        raise FileNotFoundError(f"{folder}: no kernel for {sorted(missing)}")
    for k in out:
        if k["output"] != "f32" and not any(
                f["output"] == "f32" and all(f[x] == k[x] for x in
                                             ("scales", "tile_n", "stages", "swap",
                                              "persist", "split"))
                for f in out):
            raise FileNotFoundError(f"{k['base']}: no f32 kernel of the same "
                                    f"variant, tile and depth to check it by")
    return out


def scale_shapes(variant, M, N, K):
    KB, NB = -(-K // TILE_K), -(-N // SCALE_BLOCK_N)
    return {"1x128": ((M, KB), (NB, KB)), "per-channel": ((M,), (N,)),
            "per-tensor": ((1,), (1,))}[variant]


def box_rows(k):
    """Rows of the A and B boxes: 128 and tileN, or, for a --swap-ab
    (decode) kernel whose 128-row side holds the weights, tileN and 128."""
    return (k["tile_n"], TILE_M) if k.get("swap") else (TILE_M, k["tile_n"])


def grid(k, M, N, sms):
    """(x, y) blocks: (ceil(N/tileN), ceil(M/128)), swapped for --swap-ab;
    a --persistent kernel gets (min(tiles, sms), 1) and walks the tiles."""
    if k.get("swap"):
        x, y = -(-M // k["tile_n"]), -(-N // TILE_M)
    else:
        x, y = -(-N // k["tile_n"]), -(-M // TILE_M)
    return (min(x * y, sms), 1) if k.get("persist") else (x, y)


def split_buffers(k, M, N, sms):
    """A split-K kernel's workspace (f32 [split, M, N], poisoned) and
    per-tile counters (u32 [tiles, 8], zero: the kernel leaves them so);
    none for the others."""
    if k.get("split", 1) == 1:
        return []
    gx, gy = grid(k, M, N, sms)
    return [np.full((k["split"], M, N), np.nan, dtype=np.float32),
            np.zeros(gx * gy * 8, dtype=np.uint32)]


def tensor_map_params(rows, K, box_rows=TILE_M):
    """(dims, strides in bytes, box) of the TMA map of a [rows, K] e4m3
    matrix, innermost first, as the kernel expects (docs/Kernels.md): boxes
    of 128 bytes of K by 128 rows (A) or tileN rows (B)."""
    if K % 16:
        raise ValueError(f"K = {K} is not a multiple of 16 (TMA row alignment)")
    return [K, rows], [K], [TILE_K, box_rows]


def scale_grid(variant, sa, sb, M, N, K):
    """float64 [M, N, KB] scale of each (m, n, K block) (KB = 1 when the
    scales are constant along K)."""
    if variant == "per-tensor":
        return np.full((M, N, 1), float(sa[0]) * float(sb[0]))
    if variant == "per-channel":
        return (sa.astype(np.float64)[:, None] * sb.astype(np.float64)[None, :])[:, :, None]
    nb = np.arange(N) // SCALE_BLOCK_N
    return sa.astype(np.float64)[:, None, :] * sb.astype(np.float64)[nb][None, :, :]


def block_scaled_sum(A, B, variant, sa, sb, absolute=False):
    """sum_kb (a_kb @ b_kb^T) * scale_kb in float64: F33 without its f32
    roundings (the block sums are exact), or, with `absolute`, sum_k
    |a*b| * |scale| (the tolerance's denominator)."""
    t = e4m3_table().astype(np.float64)
    a, b = t[A], t[B]
    M, K = A.shape
    N = B.shape[0]
    g = scale_grid(variant, sa, sb, M, N, K)
    if absolute:
        a, b, g = np.abs(a), np.abs(b), np.abs(g)
    out = np.zeros((M, N))
    for kb in range(g.shape[2]):
        s = slice(kb * TILE_K, K if g.shape[2] == 1 else min(K, (kb + 1) * TILE_K))
        out += (a[:, s] @ b[:, s].T) * g[:, :, kb]
    return out


def magnitude(A, B, variant, sa, sb):
    """sum_k |a*b| * |scale| in float64 (the tolerance's denominator)."""
    return block_scaled_sum(A, B, variant, sa, sb, absolute=True)


def compare(got, ref, mag):
    if np.isnan(got).any():
        return math.inf, int(np.isnan(got).sum())
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64)) / np.maximum(mag, 1e-30)
    return float(err.max()), int((err > TOLERANCE).sum())


# --------------------------------------------------------------------------
# here: the cases and their expected outputs
# --------------------------------------------------------------------------

def prepare(out):
    from quantc import numerics as qn  # the build's module (PYTHONPATH)
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2026)
    n = 0
    for variant in VARIANTS:
        for (M, N, K) in CHECK_SHAPES:
            sa_shape, sb_shape = scale_shapes(variant, M, N, K)
            # Large activations against small weights, scales over 12 binades.
            A = qn.encode(rng.standard_normal((M, K)) * 30, "f8E4M3FN").astype(np.uint8)
            B = qn.encode(rng.standard_normal((N, K)) * 0.1, "f8E4M3FN").astype(np.uint8)
            sa = np.exp2(rng.uniform(-10, 2, sa_shape)).astype(np.float32)
            sb = np.exp2(rng.uniform(-10, 2, sb_shape)).astype(np.float32)
            C = qn.gemm_fp8(A, B, sa, sb, variant)
            np.savez(os.path.join(out, f"case_{variant}_{M}x{N}x{K}.npz"),
                     A=A, B=B, sa=sa, sb=sb, C=C)
            n += 1
    # The output converters' reference: Numerics F27 and bf16 encodes of
    # values over 40 binades, exact zeros, a zero group and ties.
    X = (rng.standard_normal((40, 300)) * np.exp2(rng.integers(-20, 20, (40, 1)))).astype(np.float32)
    X[3, :] = 0.0
    X[5, 128:256] = 0.0
    X[7, :8] = [448.0, 1.0, 1.0625, 1.1875, -0.0, 2.0 ** -9, 3 * 2.0 ** -10, 17.0]
    codes, scales = qn.quantize_2d(X, block=(1, 128), fmt="f8E4M3FN")
    np.savez(os.path.join(out, "quant_selftest.npz"), X=X,
             codes=codes.astype(np.uint8), scales=scales.astype(np.float32),
             bf16=qn.encode(X, "bf16").astype(np.uint16),
             e4m3=qn.encode(X, "f8E4M3FN").astype(np.uint8))
    print(f"gpu_hopper_gemm: wrote {n} cases to {out}")


def load_cases(folder):
    cases = []
    for f in sorted(os.listdir(folder)):
        if f.startswith("case_") and f.endswith(".npz"):
            variant, shape = f[5:-4].rsplit("_", 1)
            if variant not in VARIANTS:
                raise ValueError(f"{f}: unknown variant {variant}")
            with np.load(os.path.join(folder, f)) as z:
                c = {k: z[k] for k in z.files}
            missing = {"A", "B", "sa", "sb", "C"} - set(c)
            if missing:
                raise ValueError(f"{f}: missing arrays {sorted(missing)}")
            cases.append((f, variant, c))
    if not cases:
        raise FileNotFoundError(f"no case_*.npz in {folder}: run "
                                f"scripts/gpu_hopper_gemm.sh first")
    return cases


def converters_self_test(folder):
    """This script's bf16 / e4m3 / 1x128 converters equal quantc.numerics's
    (F27) on quant_selftest.npz; one JSON line."""
    path = os.path.join(folder, "quant_selftest.npz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: run scripts/gpu_hopper_gemm.sh first")
    with np.load(path) as z:
        X = z["X"]
        codes, scales = quantize_1x128(X)
        res = {"converters": "bf16, e4m3, 1x128",
               "bf16_equal": bool(np.array_equal(bf16_rne(X), z["bf16"])),
               "e4m3_equal": bool(np.array_equal(e4m3_encode(X), z["e4m3"])),
               "codes_equal": bool(np.array_equal(codes, z["codes"])),
               "scales_equal": bool(np.array_equal(scales.view(np.uint32),
                                                   z["scales"].view(np.uint32)))}
    print(json.dumps(res), flush=True)
    return all(v for k, v in res.items() if k.endswith("_equal"))


def cpu_self_test(folder):
    """Case files are consistent: shapes, the expected C within the
    tolerance measure of a float64 emulation of F33 (exact block sums,
    float64 promotion), and a deliberately wrong answer is caught; the
    output converters agree with the Numerics library."""
    cases = load_cases(folder)
    ok = converters_self_test(folder)
    for name, variant, c in cases:
        A, B, sa, sb, C = c["A"], c["B"], c["sa"], c["sb"], c["C"]
        M, K = A.shape
        N = B.shape[0]
        tensor_map_params(M, K)
        want_sa, want_sb = scale_shapes(variant, M, N, K)
        if sa.shape != want_sa or sb.shape != want_sb:
            raise ValueError(f"{name}: scales of shape {sa.shape} and "
                             f"{sb.shape}, expected {want_sa} and {want_sb}")
        emu = block_scaled_sum(A, B, variant, sa, sb)
        mag = magnitude(A, B, variant, sa, sb)
        err, bad = compare(C, emu, mag)
        wrong = C.copy()
        wrong[0, 0] += 0.01 * mag[0, 0] + 1e-3
        caught = compare(wrong, emu, mag)[1] > 0
        # F33 rounds each block sum and each promotion to f32 (2^-24 each);
        # 2^-16 leaves room for 32 blocks and flags any real disagreement.
        ok &= bad == 0 and caught and err < 2.0 ** -16
        print(json.dumps({"case": name, "cpu_err": err, "bad": bad,
                          "wrong_answer_caught": caught}), flush=True)
    return ok


# --------------------------------------------------------------------------
# on the GPU
# --------------------------------------------------------------------------

class Hopper(Cuda):
    def load(self, kernel):
        """Loads one kernel (cubin, else the PTX through the driver's JIT)
        and lets it use the shared memory its stages need."""
        base = kernel["base"]
        name = f"fp8_gemm_{kernel['scales'].replace('-', '_')}"
        mod = ctypes.c_void_p()
        if os.path.exists(base + ".cubin"):
            rc = self.lib.cuModuleLoadData(ctypes.byref(mod), open(base + ".cubin", "rb").read())
            if rc != 0:
                print(json.dumps({"warn": f"cubin load failed ({rc}), JIT of the PTX"}))
                mod = self.load_module(open(base + ".ptx", "rb").read())
        else:
            mod = self.load_module(open(base + ".ptx", "rb").read())
        fn = self.function(mod, name)
        smem = kernel_shared_bytes(kernel)
        self.allow_shared(fn, smem)
        return dict(kernel, fn=fn, smem=smem)

    def sms(self):
        """The device's multiprocessors (the persistent kernels' grid)."""
        n = ctypes.c_int()
        self.check(self.lib.cuDeviceGetAttribute(ctypes.byref(n), 16, self.dev),
                   "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)")
        return n.value

    def tensor_map(self, dptr, rows, K, box_rows=TILE_M):
        """The CUtensorMap of the [rows, K] e4m3 matrix at dptr as the
        kernel expects it (boxes of box_rows x 128 bytes, 128-byte
        swizzle), in device memory."""
        dims, _, box = tensor_map_params(rows, K, box_rows)
        return Cuda.tensor_map(self, dptr, dims[1], dims[0], box[::-1], 128)

    def launch_kernel(self, k, M, N, args):
        """grid (ceil(N/tileN), ceil(M/128)), 384 threads, the stages'
        shared memory."""
        holders = [ctypes.byref(a) for a in args]
        argv = (ctypes.c_void_p * len(args))(*[ctypes.cast(h, ctypes.c_void_p) for h in holders])
        self.check(self.lib.cuLaunchKernel(
            k["fn"], *grid(k, M, N, self.sms()), k.get("split", 1), THREADS, 1, 1,
            k["smem"], None, argv, None), "cuLaunchKernel")


class HostHopper:
    """The kernels' MLIR run on this CPU by quantc.HostKernels, with the
    launch the GPU gets: host tensor maps of the same parameters, grid,
    384 threads and the stages' shared memory."""

    def __init__(self):
        import quantc  # the build's module (PYTHONPATH)
        self.quantc = quantc

    def load(self, kernel):
        path = kernel["base"] + ".mlir"
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: rerun scripts/gpu_hopper_gemm.sh "
                                    f"(it keeps each kernel's MLIR for --host)")
        q = self.quantc
        hk = q.HostKernels(q.parse_mlir(open(path).read(), path))
        name = f"fp8_gemm_{kernel['scales'].replace('-', '_')}"
        if name not in hk.kernels:
            raise RuntimeError(f"{path}: {name} does not run on the host: "
                               f"{hk.why_not(name)}")
        return dict(kernel, hk=hk, name=name,
                    smem=kernel_shared_bytes(kernel))

    def run_case(self, k, A, B, sa, sb):
        M, K = A.shape
        N = B.shape[0]
        outs = poisoned_outputs(k["output"], M, N)
        maps = []
        for X, rows in zip((A, B), box_rows(k)):
            dims, strides, box = tensor_map_params(X.shape[0], K, rows)
            assert list(X.shape[::-1]) == dims and [X.strides[0]] == strides
            maps.append(self.quantc.HostKernels.tensor_map(X, box[::-1]))
        # 3 "SMs": a persistent kernel's CTAs each walk several tiles.
        ws = split_buffers(k, M, N, 3)
        k["hk"].launch(k["name"], [*grid(k, M, N, 3), k["split"]],
                       [THREADS], [*maps, sa, sb, *outs, *ws, ("i32", M),
                                   ("i32", N), ("i32", K)],
                       shared_bytes=k["smem"])
        if ws and ws[1].any():
            raise RuntimeError(f"{k['base']}: the split-K counters were not "
                               f"left zero")
        return outs[0] if len(outs) == 1 else tuple(outs)


def poisoned_outputs(output, M, N):
    """The kernel's output arrays, poisoned (NaN / 0xFF bytes)."""
    return {"f32": [np.full((M, N), np.nan, dtype=np.float32)],
            "bf16": [np.full((M, N), 0xFFFF, dtype=np.uint16)],
            "fp8-1x128": [np.full((M, N), 0xFF, dtype=np.uint8),
                          np.full((M, -(-N // 128)), np.nan, dtype=np.float32)]}[output]


def run_case(cu, k, A, B, sa, sb):
    """Runs kernel k; returns C (f32), C's bf16 codes, or (codes, scales)
    for the fp8-1x128 output. Outputs start poisoned (NaN / 0xFF bytes)."""
    M, K = A.shape
    N = B.shape[0]
    bufs = [cu.alloc(x.nbytes) for x in (A, B, sa, sb)]
    for d, x in zip(bufs, (A, B, sa, sb)):
        cu.htod(d, x)
    outs = poisoned_outputs(k["output"], M, N)
    outs_ws = outs + split_buffers(k, M, N, cu.sms())
    douts = [cu.alloc(o.nbytes) for o in outs_ws]
    for d, o in zip(douts, outs_ws):
        cu.htod(d, o)
    tA = cu.tensor_map(bufs[0].value, M, K, box_rows(k)[0])
    tB = cu.tensor_map(bufs[1].value, N, K, box_rows(k)[1])
    cu.launch_kernel(k, M, N, [tA, tB, bufs[2], bufs[3], *douts,
                               ctypes.c_int32(M), ctypes.c_int32(N),
                               ctypes.c_int32(K)])
    cu.sync()
    for d, o in zip(douts, outs_ws):
        cu.dtoh(o, d)
    if len(outs_ws) > len(outs) and outs_ws[-1].any():
        raise RuntimeError(f"{k['base']}: the split-K counters were not left zero")
    for d in bufs + douts + [tA, tB]:
        cu.free(d)
    return outs[0] if len(outs) == 1 else tuple(outs)


def check_cases(cu, folder):
    """Every case against every kernel of its scale variant (each tile
    width and depth)."""
    ok = True
    kernels = [cu.load(k) for k in read_kernels(folder)]
    for name, variant, c in load_cases(folder):
        mag = magnitude(c["A"], c["B"], variant, c["sa"], c["sb"])
        f32_out = {}
        # f32 kernels first: the output variants are checked against them.
        for k in sorted(kernels, key=lambda k: k["output"] != "f32"):
            if k["scales"] != variant:
                continue
            key = (k["tile_n"], k["stages"], k["swap"], k["persist"], k["split"])
            got = (cu.run_case if isinstance(cu, HostHopper) else
                   lambda *a: run_case(cu, *a))(k, c["A"], c["B"], c["sa"], c["sb"])
            if k["output"] != "f32":
                base = f32_out[key]
                if k["output"] == "bf16":
                    same = bool(np.array_equal(got, bf16_rne(base)))
                else:
                    codes, scales = quantize_1x128(base)
                    same = bool(np.array_equal(got[0], codes) and np.array_equal(
                        got[1].view(np.uint32), scales.view(np.uint32)))
                ok &= same
                print(json.dumps({"case": name, "tile_n": k["tile_n"], "swap": k["swap"], "persist": k["persist"], "split": k["split"],
                                  "stages": k["stages"], "output": k["output"],
                                  "equals_f32_kernel_converted": same,
                                  "ok": same}), flush=True)
                continue
            f32_out[key] = got
            err, bad = compare(got, c["C"], mag)
            exact = float(np.mean(got.view(np.uint32) == c["C"].view(np.uint32)))
            ok &= bad == 0
            print(json.dumps({"case": name, "tile_n": k["tile_n"], "swap": k["swap"], "persist": k["persist"], "split": k["split"],
                              "stages": k["stages"], "max_rel_err": err,
                              "bad": bad, "bit_exact_fraction": round(exact, 4),
                              "ok": bad == 0}), flush=True)
    return ok, kernels


def time_shapes(cu, kernels, shapes, deadline=math.inf):
    """Times every kernel on every shape; past `deadline` (time.time()),
    the shapes left are named in one JSON line and skipped. Returns (every
    large result within tolerance, every shape timed)."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    ok = True
    gen = torch.Generator(device="cuda").manual_seed(0)
    for i, (M, N, K) in enumerate(shapes):
        if time.time() > deadline:
            print(json.dumps({"skipped_shapes": [list(x) for x in shapes[i:]],
                              "reason": "time budget (--time-budget)"}),
                  flush=True)
            return ok, False
        A = (torch.randn(M, K, device="cuda", generator=gen) * 30).clamp(-448, 448).to(torch.float8_e4m3fn)
        B = (torch.randn(N, K, device="cuda", generator=gen) * 0.1).to(torch.float8_e4m3fn)
        KB, NB = -(-K // 128), -(-N // 128)
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def median_us(f, it=20):
            for _ in range(3):
                f()
            torch.cuda.synchronize()
            ts = []
            for _ in range(it):
                s.record(); f(); e.record(); torch.cuda.synchronize()
                ts.append(s.elapsed_time(e) * 1e3)
            return float(np.median(ts))

        base = {}
        one = torch.tensor(1.0, device="cuda")
        Ab, Bb = A.to(torch.bfloat16), B.to(torch.bfloat16)
        base["torch_bf16_us"] = median_us(lambda: torch.matmul(Ab, Bb.t()))
        del Ab, Bb
        try:
            base["cublas_per_tensor_us"] = median_us(lambda: torch._scaled_mm(
                A, B.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16))
        except Exception as ex:  # noqa: BLE001 - record why
            base["cublas_per_tensor_err"] = str(ex)[:160]
        sa_blk = torch.rand(M, KB, device="cuda", generator=gen) + 0.5
        sb_blk = torch.rand(NB, KB, device="cuda", generator=gen) + 0.5
        for layout, (ta, tb) in {
                "Mmajor": (sa_blk.t().contiguous().t(), sb_blk.t()),
                "rowmajor": (sa_blk, sb_blk.t().contiguous())}.items():
            try:
                base["cublas_1x128_us"] = median_us(lambda: torch._scaled_mm(
                    A, B.t(), scale_a=ta, scale_b=tb, out_dtype=torch.bfloat16))
                base["cublas_1x128_layout"] = layout
                break
            except Exception as ex:  # noqa: BLE001
                base["cublas_1x128_err"] = str(ex)[:160]
        for k in kernels:
            if k["output"] != "f32":
                continue  # same main loop; checked exactly above
            if k["swap"] and M > 128:
                continue  # the decode kernels: decode shapes only
            variant = k["scales"]
            sa_shape, sb_shape = scale_shapes(variant, M, N, K)
            sa = (torch.rand(sa_shape, device="cuda", generator=gen) + 0.5).float()
            sb = (torch.rand(sb_shape, device="cuda", generator=gen) + 0.5).float()
            C = torch.full((M, N), float("nan"), device="cuda")
            tA = cu.tensor_map(A.data_ptr(), M, K, box_rows(k)[0])
            tB = cu.tensor_map(B.data_ptr(), N, K, box_rows(k)[1])
            ws = [torch.from_numpy(w).cuda() for w in split_buffers(k, M, N, cu.sms())]
            args = [tA, tB, ctypes.c_uint64(sa.data_ptr()), ctypes.c_uint64(sb.data_ptr()),
                    ctypes.c_uint64(C.data_ptr()),
                    *[ctypes.c_uint64(w.data_ptr()) for w in ws],
                    ctypes.c_int32(M), ctypes.c_int32(N), ctypes.c_int32(K)]
            run = lambda: cu.launch_kernel(k, M, N, args)  # noqa: E731
            run()
            torch.cuda.synchronize()
            # float32 emulation of F33 and the tolerance's magnitude
            Af, Bf = A.float(), B.float()
            if variant == "1x128":
                ref = torch.zeros(M, N, device="cuda")
                mag = torch.zeros(M, N, device="cuda")
                sbn = sb[torch.arange(N, device="cuda") // 128]
                for kb in range(KB):
                    sl = slice(kb * 128, min(K, kb * 128 + 128))
                    g = sa[:, kb:kb + 1] * sbn[:, kb][None, :]
                    ref += (Af[:, sl] @ Bf[:, sl].t()) * g
                    mag += (Af[:, sl].abs() @ Bf[:, sl].abs().t()) * g
            else:
                g = sa[0] * sb[0] if variant == "per-tensor" else sa[:, None] * sb[None, :]
                ref = (Af @ Bf.t()) * g
                mag = (Af.abs() @ Bf.abs().t()) * g
            if torch.isnan(C).any():
                err, bad = math.inf, int(torch.isnan(C).sum())
            else:
                rel = (C - ref).abs() / mag.clamp_min(1e-30)
                err, bad = float(rel.max()), int((rel > TOLERANCE).sum())
            del ref, mag, Af, Bf
            us = median_us(run)
            res = {"shape": [M, N, K], "variant": variant, "tile_n": k["tile_n"], "swap": k["swap"], "persist": k["persist"], "split": k["split"],
                   "stages": k["stages"], "us": round(us, 1),
                   "tflops": round(2 * M * N * K / us / 1e6, 1),
                   "max_rel_err": err, "bad": bad, "ok": bad == 0}
            for k, v in base.items():
                res[k] = round(v, 1) if isinstance(v, float) else v
            ref_us = base.get("cublas_1x128_us" if variant == "1x128" else "cublas_per_tensor_us")
            if ref_us:
                res["vs_cublas"] = round(ref_us / us, 3)
            ok &= bad == 0
            print(json.dumps(res), flush=True)
            for d in (tA, tB):
                cu.free(d)
    return ok, True


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="folder of gpu_hopper_gemm.sh's output")
    ap.add_argument("--prepare", metavar="OUT", help="write the cases (here)")
    ap.add_argument("--cpu-only", action="store_true", help="self-test without a GPU")
    ap.add_argument("--no-time", action="store_true", help="checks only")
    ap.add_argument("--time-budget", type=float, default=math.inf,
                    help="seconds for checks and timings together; the "
                         "timings stop at a shape boundary once it is spent")
    ap.add_argument("--host", action="store_true",
                    help="run the checks with the kernels on this CPU (quantc.HostKernels)")
    a = ap.parse_args()
    try:
        if a.prepare:
            prepare(a.prepare)
            return 0
        if not a.dir:
            ap.error("--dir or --prepare is required")
        read_kernels(a.dir)
        if a.cpu_only:
            return 0 if cpu_self_test(a.dir) else 1
        if a.host:
            t0 = time.time()
            ok, _ = check_cases(HostHopper(), a.dir)
            print(json.dumps({"all_ok": bool(ok), "device": "host emulation",
                              "seconds": round(time.time() - t0, 1)}))
            return 0 if ok else 1
        t0 = time.time()  # the budget counts the driver's start too
        cu = Hopper()
        print(json.dumps({"device": cu.device_name()}), flush=True)
        if cu.chip() != "sm_90":
            print(json.dumps({"error": f"sm_90a code needs an sm_90 device, this is {cu.chip()}"}))
            return 2
        ok, kernels = check_cases(cu, a.dir)
        complete = True
        if not a.no_time:
            timed_ok, complete = time_shapes(cu, kernels, TIME_SHAPES,
                                             deadline=t0 + a.time_budget)
            ok &= timed_ok
        print(json.dumps({"all_ok": bool(ok), "timings_complete": complete,
                          "seconds": round(time.time() - t0, 1)}))
        return 0 if ok else 1
    except (OSError, ValueError, FileNotFoundError, RuntimeError) as ex:
        print(f"gpu_hopper_gemm: error: {ex}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
