#!/usr/bin/env python3
"""GPU check and benchmark of quantc's int8 GEMM (docs/Kernels.md, "int8
GEMM on the integer tensor cores"; Numerics F34), prepared here by
scripts/gpu_int8_gemm.sh:

    python3 scripts/gpu_int8_gemm.py --dir OUT [--time-budget 120]
    python3 scripts/gpu_int8_gemm.py --dir OUT --host   # no GPU: the same
                                                        # checks on the host

1. Correctness, on ragged shapes (M, N, K not multiples of the tile or of
   32) with fresh random s8 codes, random zero points and per-column
   scales, C poisoned with NaN: every element must equal the numpy
   reference bit for bit (an exact int64 sum of (a - za)(b - zb[n]), to f32,
   times fl(sa * sb[n])), and nothing past C may be written. The integer
   MMA is exact, so no tolerance is needed.
2. Speed, on M = 4096 and decode shapes: the kernel's TFLOP/s (2MNK per
   run, the median of 5 launches each timed with a synchronize, launch
   overhead included) against torch._int_mm (cuBLASLt int8 ->
   int32, no scales or zero points) and bf16 torch.matmul in the same run,
   when PyTorch is there. Prints one JSON line per shape.
3. On an sm_90 device (H100/H200), the same for the sm_90a int8 wgmma
   GEMM (docs/Kernels.md, "sm_90a: the int8 wgmma GEMM"): A [M, K] and
   B [N, K] s8 through TMA tensor maps, A's zero point, per-token and
   per-column scales (the weights' zero point is 0 there), K a multiple of
   16; 128-row tiles
   and the swapped decode kernel (16 tokens per tile). --host checks them
   too.

Exit code 0 when every check passes, 1 otherwise, 2 on setup errors.
"""
import argparse
import ctypes
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from qcpkg_program import int8_scales, s32_to_f32  # noqa: E402

TILE_M, TILE_N, BLOCK = 32, 16, (32, 4, 1)
CHECK_SHAPES = [(37, 21, 100), (5, 3, 7), (128, 96, 256), (200, 130, 1000)]
BENCH_SHAPES = [(4096, 4096, 4096), (4096, 7168, 2048), (4096, 2112, 7168),
                (16, 7168, 2048), (128, 4096, 4096)]


def problem(rng, M, N, K):
    A = rng.integers(-128, 128, (M, K), dtype=np.int8)
    B = rng.integers(-128, 128, (K, N), dtype=np.int8)
    za = np.array([rng.integers(-128, 128)], dtype=np.int8)
    zb = rng.integers(-128, 128, N, dtype=np.int8)
    sa = np.array([0.0173], dtype=np.float32)
    sb = np.ldexp(rng.integers(1, 1000, N), -rng.integers(10, 18, N)
                  ).astype(np.float32)
    return A, sa, B, sb, za, zb


def reference(A, sa, B, sb, za, zb):
    """F34: the exact sum of (a - za)(b - zb[n]), to f32, times fl(sa *
    sb[n]) (the package model's arithmetic, scripts/qcpkg_program.py)."""
    acc = (A.astype(np.int64) - np.int64(za[0])) @ \
        (B.astype(np.int64) - zb.astype(np.int64))
    M, N = acc.shape
    return s32_to_f32(acc) * int8_scales(sa, sb, M, N, False, True)


def grid(M, N):
    return (-(-M // TILE_M), -(-N // TILE_N), 1)


# The sm_90a int8 wgmma kernels scripts/gpu_int8_gemm.sh builds: name ->
# (tileN, swapped); 6 stages (quant-kernel-gen's default), 384 threads.
WGMMA = {"i8_wgmma_n128": (128, False), "i8_wgmma_swap16": (16, True)}
WGMMA_STAGES, WGMMA_THREADS = 6, 384
WGMMA_CHECK_SHAPES = [(37, 21, 112), (5, 3, 16), (200, 130, 1008),
                      (129, 257, 272)]
WGMMA_BENCH_SHAPES = [(4096, 4096, 4096), (4096, 7168, 2048),
                      (4096, 2112, 7168), (16, 7168, 2048),
                      (16, 4096, 4096)]


def wgmma_problem(rng, M, N, K):
    """s8 A [M, K] and B [N, K] (K-major weights), A's zero point, per-row
    (per-token) activation scales, per-column weight scales: the kernels
    quant-kernel-gen builds read SA [M] (a package's static activation
    scale is the same arithmetic with every row's scale equal)."""
    A, _, Bt, sb, za, _ = problem(rng, M, N, K)
    sa = np.ldexp(rng.integers(1, 1000, M), -rng.integers(8, 14, M)
                  ).astype(np.float32)
    return A, np.ascontiguousarray(Bt.T), sa, sb, za


def wgmma_reference(A, B, sa, sb, za):
    """F34: the exact sum of (a - za) * b, to f32, times fl(sa[m] * sb[n])."""
    acc = (A.astype(np.int64) - np.int64(za[0])) @ B.astype(np.int64).T
    M, N = acc.shape
    return s32_to_f32(acc) * int8_scales(sa, sb, M, N, True, True)


def wgmma_launch(name, M, N):
    """(grid, shared bytes) of kernel `name` on M x N: (ceil(N/tileN),
    ceil(M/128)), or swapped (ceil(M/tileN), ceil(N/128)); the stages' A
    and B tiles, two mbarriers each, the weight sums' s32 per weight row
    of a tile."""
    tile_n, swapped = WGMMA[name]
    rows, cols = (N, M) if swapped else (M, N)
    shared = WGMMA_STAGES * (128 * 128 + tile_n * 128 + 16) + \
        4 * (128 if swapped else tile_n)
    return (-(-cols // tile_n), -(-rows // 128), 1), shared


def wgmma_maps(name):
    """The box rows of A's and B's tensor maps (128 bytes of K each)."""
    tile_n, swapped = WGMMA[name]
    return (tile_n, 128) if swapped else (128, tile_n)


def check_wgmma_host(folder):
    import quantc as q
    fails = 0
    rng = np.random.default_rng(3)
    for name in WGMMA:
        path = folder / f"{name}.mlir"
        hk = q.HostKernels(q.parse_mlir(path.read_text(), str(path)))
        for M, N, K in WGMMA_CHECK_SHAPES:
            A, B, sa, sb, za = wgmma_problem(rng, M, N, K)
            C = np.full(M * N + 64, np.nan, dtype=np.float32)
            g, shared = wgmma_launch(name, M, N)
            rows_a, rows_b = wgmma_maps(name)
            maps = [q.HostKernels.tensor_map(A, [rows_a, 128]),
                    q.HostKernels.tensor_map(B, [rows_b, 128])]
            hk.launch(name, list(g), [WGMMA_THREADS],
                      [*maps, sa, sb, C, za, ("i32", M), ("i32", N),
                       ("i32", K)], shared_bytes=shared)
            fails += report(M, N, K, C, wgmma_reference(A, B, sa, sb, za),
                            f"host {name}")
    return fails


def check_host(folder):
    import quantc as q
    hk = q.HostKernels(q.parse_mlir((folder / "i8_gemm.mlir").read_text()))
    fails = 0
    rng = np.random.default_rng(1)
    for M, N, K in CHECK_SHAPES:
        A, sa, B, sb, za, zb = problem(rng, M, N, K)
        C = np.full(M * N + 64, np.nan, dtype=np.float32)
        hk.launch("i8_gemm", grid(M, N), BLOCK,
                  [A, sa, B, sb, C, za, zb, ("i32", M), ("i32", N),
                   ("i32", K)])
        fails += report(M, N, K, C, reference(A, sa, B, sb, za, zb), "host")
    return fails


def report(M, N, K, C, ref, where):
    got = C[:M * N].reshape(M, N)
    bad = int(np.sum(got.view(np.uint32) != ref.view(np.uint32)))
    past = int(np.sum(~np.isnan(C[M * N:])))
    ok = bad == 0 and past == 0
    print(json.dumps({"check": f"{M}x{N}x{K}", "where": where,
                      "mismatches": bad, "written_past_c": past,
                      "ok": ok}), flush=True)
    return 0 if ok else 1


def load_function(cuda, cubin, ptx, name):
    """Kernel `name` from `cubin` when it exists, else from `ptx` through
    the driver's JIT."""
    if cubin is not None and cubin.exists():
        mod = ctypes.c_void_p()
        cuda.check(cuda.lib.cuModuleLoadData(ctypes.byref(mod),
                                             cubin.read_bytes()),
                   "cuModuleLoadData")
    else:
        mod = cuda.load_module(ptx.read_bytes())
    return cuda.function(mod, name)


def upload(cuda, arrays):
    """A device copy of each array (cuda.free each when done)."""
    bufs = []
    for arr in arrays:
        p = cuda.alloc(arr.nbytes)
        cuda.htod(p, arr)
        bufs.append(p)
    return bufs


def launch_timed(cuda, fn, grid, block, args, repeat, shared=0):
    """One launch, then `repeat` more, each timed with a synchronize
    (launch overhead included): their median in seconds, or None."""
    cuda.launch(fn, grid, block, args, shared=shared)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        cuda.launch(fn, grid, block, args, shared=shared)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) if times else None


def torch_tflops(torch, row, name, f, flops):
    """row[name + "_tflops"]: f's rate, the median of 5 synchronized runs
    after a warm-up; row[name + "_error"] when PyTorch refuses the shape
    (torch._int_mm's rules)."""
    try:
        f()
        torch.cuda.synchronize()
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            f()
            torch.cuda.synchronize()
            ts.append(time.perf_counter() - t0)
        row[name + "_tflops"] = flops / float(np.median(ts)) / 1e12
    except RuntimeError as e:
        row[name + "_error"] = str(e).splitlines()[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--host", action="store_true",
                    help="run the checks on this CPU (quantc.HostKernels)")
    ap.add_argument("--time-budget", type=float, default=120.0)
    a = ap.parse_args(argv)
    if not (a.dir / "i8_gemm.sm_89.ptx").exists():
        print(f"gpu_int8_gemm.py: {a.dir} is not prepared: run "
              f"scripts/gpu_int8_gemm.sh first", file=sys.stderr)
        return 2
    if a.host:
        fails = check_host(a.dir)
        if (a.dir / "i8_wgmma_n128.mlir").exists():
            fails += check_wgmma_host(a.dir)
        return 1 if fails else 0
    from gpu_check import Cuda
    try:
        cuda = Cuda()
    except (OSError, RuntimeError) as e:
        print(f"gpu_int8_gemm.py: no CUDA device: {e}", file=sys.stderr)
        return 2
    fn = load_function(
        cuda, a.dir / "i8_gemm.sm_90.cubin" if cuda.chip() == "sm_90" else None,
        a.dir / "i8_gemm.sm_89.ptx", "i8_gemm")
    print(json.dumps({"device": cuda.device_name()}), flush=True)
    rng = np.random.default_rng(2)
    fails = 0

    def run(M, N, K, arrays, C, repeat=0):
        bufs = upload(cuda, [*arrays, C])
        A, sa, B, sb, za, zb, pc = bufs
        t = launch_timed(cuda, fn, grid(M, N), BLOCK,
                         [A, sa, B, sb, pc, za, zb, ctypes.c_int32(M),
                          ctypes.c_int32(N), ctypes.c_int32(K)], repeat)
        cuda.dtoh(C, pc)
        for p in bufs:
            cuda.free(p)
        return t

    for M, N, K in CHECK_SHAPES:
        arrays = problem(rng, M, N, K)
        C = np.full(M * N + 64, np.nan, dtype=np.float32)
        run(M, N, K, arrays, C)
        fails += report(M, N, K, C, reference(*arrays), "gpu")
    try:
        import torch
    except ImportError:
        torch = None
    start = time.perf_counter()
    for M, N, K in BENCH_SHAPES:
        if time.perf_counter() - start > a.time_budget:
            print(json.dumps({"skipped": f"{M}x{N}x{K}",
                              "why": "time budget"}), flush=True)
            continue
        arrays = problem(rng, M, N, K)
        C = np.empty(M * N, dtype=np.float32)
        t = run(M, N, K, arrays, C, repeat=5)
        row = {"shape": f"{M}x{N}x{K}", "i8_gemm_tflops": 2 * M * N * K / t / 1e12}
        if torch is not None and torch.cuda.is_available():
            a8 = torch.from_numpy(arrays[0]).cuda()
            b8 = torch.from_numpy(np.ascontiguousarray(arrays[2])).cuda()
            ab, bb = a8.to(torch.bfloat16), b8.to(torch.bfloat16)
            torch_tflops(torch, row, "torch_int_mm",
                         lambda: torch._int_mm(a8, b8), 2 * M * N * K)
            torch_tflops(torch, row, "bf16_matmul",
                         lambda: torch.matmul(ab, bb), 2 * M * N * K)
        print(json.dumps(row), flush=True)
    if cuda.chip() == "sm_90":
        # (Its own time budget: the mma.sync timings above may use theirs.)
        fails += run_wgmma(cuda, a.dir, rng, torch, time.perf_counter(),
                           a.time_budget)
    return 1 if fails else 0


def run_wgmma(cuda, folder, rng, torch, start, budget):
    """Checks and times the sm_90a int8 wgmma kernels (section 3 of the
    docstring); returns the number of failed checks."""
    fails = 0
    for name in WGMMA:
        fn = load_function(cuda, folder / f"{name}.sm_90a.cubin",
                           folder / f"{name}.sm_90a.ptx", name)

        def run(M, N, K, arrays, C, repeat=0):
            bufs = upload(cuda, [*arrays, C])
            A, B, sa, sb, za, pc = bufs
            rows_a, rows_b = wgmma_maps(name)
            tA = cuda.tensor_map(A.value, M, K, (rows_a, 128))
            tB = cuda.tensor_map(B.value, N, K, (rows_b, 128))
            g, shared = wgmma_launch(name, M, N)
            cuda.allow_shared(fn, shared)
            t = launch_timed(cuda, fn, g, (WGMMA_THREADS, 1, 1),
                             [tA, tB, sa, sb, pc, za, ctypes.c_int32(M),
                              ctypes.c_int32(N), ctypes.c_int32(K)],
                             repeat, shared=shared)
            cuda.dtoh(C, pc)
            for p in bufs + [tA, tB]:
                cuda.free(p)
            return t

        for M, N, K in WGMMA_CHECK_SHAPES:
            arrays = wgmma_problem(rng, M, N, K)
            C = np.full(M * N + 64, np.nan, dtype=np.float32)
            run(M, N, K, arrays, C)
            fails += report(M, N, K, C, wgmma_reference(*arrays),
                            f"gpu {name}")
        swapped = WGMMA[name][1]
        for M, N, K in WGMMA_BENCH_SHAPES:
            if (M <= 64) != swapped:
                continue
            if time.perf_counter() - start > budget:
                print(json.dumps({"skipped": f"{name} {M}x{N}x{K}",
                                  "why": "time budget"}), flush=True)
                continue
            arrays = wgmma_problem(rng, M, N, K)
            C = np.empty(M * N, dtype=np.float32)
            t = run(M, N, K, arrays, C, repeat=5)
            row = {"shape": f"{M}x{N}x{K}", "kernel": name,
                   "tflops": 2 * M * N * K / t / 1e12}
            if torch is not None and torch.cuda.is_available():
                a8 = torch.from_numpy(arrays[0]).cuda()
                b8 = torch.from_numpy(arrays[1]).cuda().t()
                torch_tflops(torch, row, "torch_int_mm",
                             lambda: torch._int_mm(a8, b8), 2 * M * N * K)
            print(json.dumps(row), flush=True)
    return fails


if __name__ == "__main__":
    sys.exit(main())
