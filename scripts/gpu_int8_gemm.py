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
    acc = (A.astype(np.int64) - np.int64(za[0])) @ \
        (B.astype(np.int64) - zb.astype(np.int64))
    acc = acc.astype(np.uint32).view(np.int32).astype(np.float32)
    return acc * (np.float32(sa[0]) * sb)


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
    acc = acc.astype(np.uint32).view(np.int32).astype(np.float32)
    return acc * (sa[:, None] * sb[None, :])


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
    cubin = a.dir / "i8_gemm.sm_90.cubin"
    if cubin.exists() and cuda.chip() == "sm_90":
        mod = ctypes.c_void_p()
        cuda.check(cuda.lib.cuModuleLoadData(ctypes.byref(mod),
                                             cubin.read_bytes()),
                   "cuModuleLoadData")
    else:
        mod = cuda.load_module((a.dir / "i8_gemm.sm_89.ptx").read_bytes())
    fn = cuda.function(mod, "i8_gemm")
    print(json.dumps({"device": cuda.device_name()}), flush=True)
    rng = np.random.default_rng(2)
    fails = 0

    def run(M, N, K, arrays, C, repeat=0):
        bufs = []
        for arr in arrays:
            p = cuda.alloc(arr.nbytes)
            cuda.htod(p, arr)
            bufs.append(p)
        pc = cuda.alloc(C.nbytes)
        cuda.htod(pc, C)
        A, sa, B, sb, za, zb = bufs
        args = [A, sa, B, sb, pc, za, zb, ctypes.c_int32(M),
                ctypes.c_int32(N), ctypes.c_int32(K)]
        cuda.launch(fn, grid(M, N), BLOCK, args)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            cuda.launch(fn, grid(M, N), BLOCK, args)
            times.append(time.perf_counter() - t0)
        cuda.dtoh(C, pc)
        for p in bufs + [pc]:
            cuda.free(p)
        return float(np.median(times)) if times else None

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
            for name, f in (("torch_int_mm", lambda: torch._int_mm(a8, b8)),
                            ("bf16_matmul", lambda: torch.matmul(ab, bb))):
                try:
                    f()
                    torch.cuda.synchronize()
                    ts = []
                    for _ in range(5):
                        t0 = time.perf_counter()
                        f()
                        torch.cuda.synchronize()
                        ts.append(time.perf_counter() - t0)
                    row[name + "_tflops"] = \
                        2 * M * N * K / float(np.median(ts)) / 1e12
                except RuntimeError as e:  # (_int_mm's shape rules)
                    row[name + "_error"] = str(e).splitlines()[0]
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
        cubin = folder / f"{name}.sm_90a.cubin"
        if cubin.exists():
            mod = ctypes.c_void_p()
            cuda.check(cuda.lib.cuModuleLoadData(ctypes.byref(mod),
                                                 cubin.read_bytes()),
                       "cuModuleLoadData")
        else:
            mod = cuda.load_module((folder / f"{name}.sm_90a.ptx")
                                   .read_bytes())
        fn = cuda.function(mod, name)

        def run(M, N, K, arrays, C, repeat=0):
            A, B, sa, sb, za = arrays
            bufs = []
            for arr in (A, B, sa, sb, za):
                p = cuda.alloc(arr.nbytes)
                cuda.htod(p, arr)
                bufs.append(p)
            pc = cuda.alloc(C.nbytes)
            cuda.htod(pc, C)
            rows_a, rows_b = wgmma_maps(name)
            tA = cuda.tensor_map(bufs[0].value, M, K, (rows_a, 128))
            tB = cuda.tensor_map(bufs[1].value, N, K, (rows_b, 128))
            g, shared = wgmma_launch(name, M, N)
            cuda.allow_shared(fn, shared)
            args = [tA, tB, bufs[2], bufs[3], pc, bufs[4],
                    ctypes.c_int32(M), ctypes.c_int32(N), ctypes.c_int32(K)]
            cuda.launch(fn, g, (WGMMA_THREADS, 1, 1), args, shared=shared)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                cuda.launch(fn, g, (WGMMA_THREADS, 1, 1), args,
                            shared=shared)
                times.append(time.perf_counter() - t0)
            cuda.dtoh(C, pc)
            for p in bufs + [pc, tA, tB]:
                cuda.free(p)
            return float(np.median(times)) if times else None

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
                try:
                    torch._int_mm(a8, b8)
                    torch.cuda.synchronize()
                    ts = []
                    for _ in range(5):
                        t0 = time.perf_counter()
                        torch._int_mm(a8, b8)
                        torch.cuda.synchronize()
                        ts.append(time.perf_counter() - t0)
                    row["torch_int_mm_tflops"] = \
                        2 * M * N * K / float(np.median(ts)) / 1e12
                except RuntimeError as e:  # (_int_mm's shape rules)
                    row["torch_int_mm_error"] = str(e).splitlines()[0]
            print(json.dumps(row), flush=True)
    return fails


if __name__ == "__main__":
    sys.exit(main())
