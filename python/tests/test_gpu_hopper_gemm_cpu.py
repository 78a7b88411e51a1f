"""The sm_90a GEMM's GPU check, minus the GPU (scripts/gpu_hopper_gemm.*).

gpu_hopper_gemm.sh builds the three scale variants (PTX, and cubins when
ptxas is there) and writes the check cases with the expected C from
quantc.numerics.gemm_fp8; `gpu_hopper_gemm.py --cpu-only` then checks every
case against the script's own float64 emulation of F33 and that its
tolerance measure catches a wrong answer. This keeps the script that a
session with an H100/H200 runs from rotting where no GPU is.
"""
import json
import sys

import numpy as np

from conftest import REPO_ROOT, describe, run_cmd

SCRIPTS = REPO_ROOT / "scripts"


def test_hopper_gemm_check_chain(build_dir, tool, tmp_path):
    tool("quant-kernel-gen")
    out = tmp_path / "gh"
    res = run_cmd(["bash", SCRIPTS / "gpu_hopper_gemm.sh", build_dir, out])
    assert res.returncode == 0, describe(res)
    for s in ("1x128", "per-channel", "per-tensor"):
        ptx = (out / f"fp8_gemm_{s}.ptx").read_text()
        assert ".target sm_90a" in ptx
        assert f".entry fp8_gemm_{s.replace('-', '_')}(" in ptx
    cases = sorted(out.glob("case_*.npz"))
    assert len(cases) == 21
    assert json.loads((out / "meta.json").read_text()) == {"stages": 6}
    res = run_cmd([sys.executable, SCRIPTS / "gpu_hopper_gemm.py", "--dir",
                   out, "--cpu-only"])
    assert res.returncode == 0, describe(res)
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    assert len(lines) == 21
    assert all(l["bad"] == 0 and l["wrong_answer_caught"] for l in lines)


def test_hopper_gemm_check_rejects_a_corrupted_case(build_dir, tool,
                                                    tmp_path):
    """A case whose expected C is off fails the self-test (exit 1)."""
    tool("quant-kernel-gen")
    out = tmp_path / "gh"
    res = run_cmd(["bash", SCRIPTS / "gpu_hopper_gemm.sh", build_dir, out])
    assert res.returncode == 0, describe(res)
    victim = out / "case_1x128_17x130x272.npz"
    with np.load(victim) as z:
        d = {k: z[k] for k in z.files}
    d["C"][3, 5] *= 1.01
    np.savez(victim, **d)
    res = run_cmd([sys.executable, SCRIPTS / "gpu_hopper_gemm.py", "--dir",
                   out, "--cpu-only"])
    assert res.returncode == 1, describe(res)


def test_hopper_gemm_check_errors(tmp_path):
    """A folder gpu_hopper_gemm.sh did not prepare: exit 2 and what to run.
    The stage count decides the shared memory the launcher asks for, so a
    missing or bad meta.json is an error, not a default."""
    def run():
        return run_cmd([sys.executable, SCRIPTS / "gpu_hopper_gemm.py",
                        "--dir", tmp_path, "--cpu-only"])
    res = run()
    assert res.returncode == 2
    assert "meta.json is missing" in res.stderr and \
        "gpu_hopper_gemm.sh" in res.stderr, describe(res)
    (tmp_path / "meta.json").write_text('{"stages": 9}')
    res = run()
    assert res.returncode == 2 and "stages must be an integer in 2..7" in \
        res.stderr, describe(res)
    (tmp_path / "meta.json").write_text('{"stages": 6}')
    res = run()
    assert res.returncode == 2
    assert "no case_*.npz" in res.stderr and "gpu_hopper_gemm.sh" in res.stderr
