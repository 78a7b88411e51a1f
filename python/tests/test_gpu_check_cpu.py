"""The GPU check's chain, minus the GPU (docs/Kernels.md, "Checking on a GPU").

scripts/gpu_check.sh writes the kernel's PTX and the test cases (inputs, a
one-qc.qmatmul model, and the Executor's output from quant-run) into a
folder; `gpu_check.py --cpu-only --cases` then compares gpu_check.py's numpy
reference with the Executor on every case. They compute the same formula in
the same fp32 order (per 32-wide K block an fp32 sum of exact products in k
order, then acc = fma(partial, sa*sb, acc)), so they must agree BIT FOR BIT,
NaN positions included: a difference means the Executor's emulation and the
reference the GPU kernel is judged by have drifted apart.
"""
import os
import sys
from pathlib import Path

import numpy as np

from conftest import REPO_ROOT, describe, run_cmd

SCRIPTS = REPO_ROOT / "scripts"
EXPECTED_CASES = {"1x1x1", "17x9x33", "64x40x100", "128x256x512", "33x17x31",
                  "5x130x64", "100x3x257", "256x512x1024", "40x24x96_special"}


def _gpu_check_sh(build_dir, tool, out):
    tool("quant-run")          # fail (not skip) when the tools are missing
    tool("quant-kernel-gen")
    res = run_cmd(["bash", SCRIPTS / "gpu_check.sh", build_dir, out])
    assert res.returncode == 0, describe(res)
    return res


def _cpu_check(out):
    return run_cmd([sys.executable, SCRIPTS / "gpu_check.py", "--cpu-only",
                    "--cases", out])


def test_gpu_check_cpu_chain(build_dir, tool, tmp_path):
    out = tmp_path / "gpu_check"
    sh = _gpu_check_sh(build_dir, tool, out)
    assert "gpu_check --cpu-only: PASS" in sh.stdout, describe(sh)

    names = {p.name[len("case_"):-len(".in.npz")] for p in out.glob("case_*.in.npz")}
    assert names == EXPECTED_CASES
    for n in names:
        for ext in (".mlir", ".ref.npz"):
            assert (out / f"case_{n}{ext}").is_file(), n
    assert (out / "mxfp8_gemm.sm_89.ptx").is_file()
    text = (out / "case_17x9x33.mlir").read_text()
    assert "qc.qmatmul %a, %a_scales, %b, %b_scales" in text
    assert 'qc.name = "c"' in text
    # Small enough to carry to the device machine.
    size = sum(p.stat().st_size for p in out.iterdir())
    assert size < 20 * 2**20, size

    res = _cpu_check(out)
    assert res.returncode == 0, describe(res)
    assert "CPU self-test: PASS" in res.stdout, describe(res)
    assert "gpu_check --cpu-only: PASS" in res.stdout, describe(res)
    rows = [l for l in res.stdout.splitlines()
            if l.split() and l.split()[0] in EXPECTED_CASES]
    assert len(rows) == len(EXPECTED_CASES), describe(res)
    for row in rows:
        # case  max|np-exe|  max norm err  np!=exe  result
        f = row.split()
        assert float(f[1]) == 0.0 and int(f[3]) == 0 and f[4] == "PASS", row

    # The special case really exercises NaN and subnormal scale products.
    with np.load(out / "case_40x24x96_special.ref.npz") as z:
        c = z["c"]
    assert np.isnan(c[5]).all() and np.isnan(c[:, 7]).all()
    assert np.count_nonzero(np.isnan(c)) == c.shape[0] + c.shape[1] - 1
    # Row 3 has scale code 0 (2^-127): sa*sb = 2^-134..2^-120 is an fp32
    # subnormal, |c| <= 32*448^2 * 2^-120 per block (< 2^-90).
    r3 = np.delete(c[3], 7)
    assert (np.abs(r3) < 2.0 ** -90).all() and np.count_nonzero(r3) > 0

    # The comparison is sharp: one flipped low mantissa bit in an Executor
    # output fails its case (and the run).
    ref = out / "case_64x40x100.ref.npz"
    with np.load(ref) as z:
        c = z["c"].copy()
    c.view(np.uint32)[10, 3] ^= 1
    np.savez(ref, c=c)
    bad = _cpu_check(out)
    assert bad.returncode == 1, describe(bad)
    assert any(l.startswith("64x40x100") and l.rstrip().endswith("FAIL")
               for l in bad.stdout.splitlines()), describe(bad)


def test_gpu_check_cases_missing(tmp_path):
    res = _cpu_check(tmp_path)
    assert res.returncode == 2, describe(res)
    assert "no case_*.in.npz" in res.stderr, describe(res)
