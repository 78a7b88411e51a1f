#!/usr/bin/env python3
"""Writes the GPU check's test cases and their Executor references.

Run HERE (where quant-run is built), by scripts/gpu_check.sh:

    .venv/bin/python scripts/gpu_check_cases.py --quant-run BUILD/bin/quant-run --out DIR

For every shape MxNxK (gpu_check.py's DEFAULT_SHAPES, ragged ones included,
plus a case with scale codes 0 and 0xFF) it writes into DIR:

  case_<M>x<N>x<K>.in.npz   seeded random inputs, uint8 bit patterns:
                            a [M,K] e4m3 codes (no NaN codes 0x7F/0xFF),
                            a_scales [M,ceil(K/32)] E8M0 in 120..134,
                            b [N,K], b_scales [N,ceil(K/32)]
  case_<M>x<N>x<K>.mlir     func @main with one qc.qmatmul (mxfp8 x mxfp8),
                            arguments named a, a_scales, b, b_scales, result c
  case_<M>x<N>x<K>.ref.npz  `quant-run case.mlir --inputs in.npz --outputs ref.npz`:
                            c [M,N] float32, the Executor's emulation

The special case is case_40x24x96_special (row 3 of a_scales is 0 = 2^-127,
a_scales[5,1] and b_scales[7,2] are 0xFF = NaN).

scripts/gpu_check.py --cases DIR compares the GPU kernel (on a GPU machine)
or its numpy reference (--cpu-only) with these references.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_check  # noqa: E402  (random_problem, DEFAULT_SHAPES, SCALE_BLOCK)


def case_mlir(M, N, K):
    KB = (K + gpu_check.SCALE_BLOCK - 1) // gpu_check.SCALE_BLOCK
    ta = f"tensor<{M}x{K}xf8E4M3FN>"
    tas = f"tensor<{M}x{KB}xf8E8M0FNU>"
    tb = f"tensor<{N}x{K}xf8E4M3FN>"
    tbs = f"tensor<{N}x{KB}xf8E8M0FNU>"
    tc = f"tensor<{M}x{N}xf32>"
    return (
        f"// GPU check case {M}x{N}x{K}: written by scripts/gpu_check_cases.py.\n"
        f"// quant-run runs it on the Executor (the reference of scripts/gpu_check.py).\n"
        f"func.func @main(%a: {ta} {{qc.name = \"a\"}}, %a_scales: {tas} {{qc.name = \"a_scales\"}},\n"
        f"                %b: {tb} {{qc.name = \"b\"}}, %b_scales: {tbs} {{qc.name = \"b_scales\"}})\n"
        f"    -> ({tc} {{qc.name = \"c\"}}) {{\n"
        f"  %c = qc.qmatmul %a, %a_scales, %b, %b_scales {{acc_type = f32, "
        f"lhs_scheme = #qc.scheme<\"mxfp8\">, rhs_scheme = #qc.scheme<\"mxfp8\">}}"
        f" : ({ta}, {tas}, {tb}, {tbs}) -> {tc}\n"
        f"  return %c : {tc}\n"
        f"}}\n")


def cases(seed):
    """[(name, (A, As, B, Bs))], each case seeded on its own."""
    out = []
    for (M, N, K) in gpu_check.DEFAULT_SHAPES:
        rng = np.random.default_rng([seed, M, N, K])
        out.append((f"case_{M}x{N}x{K}", gpu_check.random_problem(rng, M, N, K)))
    rng = np.random.default_rng([seed, 40, 24, 96, 1])
    A, As, B, Bs = gpu_check.random_problem(rng, 40, 24, 96)
    As[3, :] = 0        # 2^-127: subnormal scale products
    As[5, 1] = 0xFF     # NaN row 5
    Bs[7, 2] = 0xFF     # NaN column 7
    out.append(("case_40x24x96_special", (A, As, B, Bs)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quant-run", required=True, help="path of the quant-run tool")
    ap.add_argument("--out", required=True, help="folder for the case files")
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    for name, (A, As, B, Bs) in cases(args.seed):
        M, K = A.shape
        N = B.shape[0]
        base = os.path.join(args.out, name)
        np.savez(base + ".in.npz", a=A, a_scales=As, b=B, b_scales=Bs)
        with open(base + ".mlir", "w") as f:
            f.write(case_mlir(M, N, K))
        cmd = [args.quant_run, base + ".mlir", "--inputs", base + ".in.npz",
               "--outputs", base + ".ref.npz"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"gpu_check_cases: {' '.join(cmd)} failed ({r.returncode}):\n"
                  f"{r.stdout}{r.stderr}", file=sys.stderr)
            return 1
        with np.load(base + ".ref.npz") as z:
            c = z["c"]
        if c.shape != (M, N) or c.dtype != np.float32:
            print(f"gpu_check_cases: {name}: Executor output c has shape {c.shape} "
                  f"dtype {c.dtype}, expected ({M}, {N}) float32", file=sys.stderr)
            return 1
        print(f"wrote {base}.{{in.npz,mlir,ref.npz}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
