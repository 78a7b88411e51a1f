"""The sm_90a GEMM's GPU check, minus the GPU (scripts/gpu_hopper_gemm.*).

gpu_hopper_gemm.sh builds the three scale variants (PTX, and cubins when
ptxas is there) and writes the check cases with the expected C from
quantc.numerics.gemm_fp8; `gpu_hopper_gemm.py --cpu-only` then checks every
case against the script's own float64 emulation of F33 and that its
tolerance measure catches a wrong answer, and `--host` runs the GPU
check itself (every case against every kernel, outputs poisoned, the same
tolerance and exact output comparisons) with the kernels' MLIR run on this
CPU by quantc.HostKernels. This keeps the script that a session with an
H100/H200 runs from rotting where no GPU is, and checks the kernels'
pipeline, descriptors and fragments before a GPU sees them.
"""
import json
import os
import sys

import numpy as np

from conftest import REPO_ROOT, describe, run_cmd

SCRIPTS = REPO_ROOT / "scripts"


def test_hopper_gemm_check_chain(build_dir, tool, tmp_path):
    tool("quant-kernel-gen")
    out = tmp_path / "gh"
    res = run_cmd(["bash", SCRIPTS / "gpu_hopper_gemm.sh", build_dir, out])
    assert res.returncode == 0, describe(res)
    built = sorted(p.name for p in out.glob("fp8_gemm_*.ptx"))
    assert built == sorted(
        [f"fp8_gemm_{s}_n{n}_s{st}.ptx" for s in ("1x128", "per-channel",
                                                  "per-tensor")
         for n, st in ((64, 8), (128, 6), (256, 4))
         if not (s == "1x128" and n == 256)] +
        ["fp8_gemm_1x128_n16_s8_swap.ptx",
         "fp8_gemm_1x128_n16_s8_ofp8-1x128_swap.ptx",
         "fp8_gemm_per-channel_n32_s8_swap.ptx",
         "fp8_gemm_per-tensor_n64_s8_swap.ptx",
         "fp8_gemm_1x128_n16_s8_swap_k4.ptx",
         "fp8_gemm_per-tensor_n32_s8_swap_k2.ptx",
         "fp8_gemm_1x128_n128_s6_persist.ptx",
         "fp8_gemm_per-tensor_n256_s4_persist.ptx",
         "fp8_gemm_1x128_n128_s6_obf16.ptx",
         "fp8_gemm_1x128_n128_s6_ofp8-1x128.ptx",
         "fp8_gemm_per-tensor_n256_s4_ofp8-1x128.ptx"]), built
    for name in built:
        ptx = (out / name).read_text()
        s = name.split("_")[2]
        n = int(name.split("_n")[1].split("_")[0].split(".")[0])
        assert ".target sm_90a" in ptx
        assert f".entry fp8_gemm_{s.replace('-', '_')}(" in ptx
        assert f"m64n{n}k32" in ptx
        assert ("cvt.rn.satfinite.e4m3x2.f32" in ptx) == ("_ofp8" in name)
        assert ("cvt.rn.bf16.f32" in ptx) == ("_obf16" in name)
    cases = sorted(out.glob("case_*.npz"))
    assert len(cases) == 21
    res = run_cmd([sys.executable, SCRIPTS / "gpu_hopper_gemm.py", "--dir",
                   out, "--cpu-only"])
    assert res.returncode == 0, describe(res)
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    assert len(lines) == 22
    # The output converters the GPU check uses equal the Numerics library's.
    assert lines[0]["converters"] and all(
        v for k, v in lines[0].items() if k.endswith("_equal"))
    assert all(l["bad"] == 0 and l["wrong_answer_caught"] for l in lines[1:])

    # The GPU check with the kernels on the host: 7 cases per variant, each
    # run by every kernel of its variant (1x128: tiles 64, 128, bf16 and
    # fp8 outputs, decode 16 and its fp8 output, split-K decode 16,
    # persistent 128;
    # per-channel: 64, 128, 256, decode 32; per-tensor: 64, 128, 256, fp8,
    # decode 64, split-K decode 32, persistent 256).
    env = dict(os.environ, PYTHONPATH=str(build_dir / "python"))
    res = run_cmd([sys.executable, SCRIPTS / "gpu_hopper_gemm.py", "--dir",
                   out, "--host", "--no-time"], env=env)
    assert res.returncode == 0, describe(res)
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    assert lines[-1]["all_ok"] and lines[-1]["device"] == "host emulation"
    runs = lines[:-1]
    assert len(runs) == 7 * (8 + 4 + 7), len(runs)
    assert sum(r["swap"] for r in runs) == 7 * 6
    assert sum(r["split"] > 1 for r in runs) == 7 * 2
    assert sum(r["persist"] for r in runs) == 7 * 2
    assert all(r["ok"] for r in runs), [r for r in runs if not r["ok"]]
    assert sum("equals_f32_kernel_converted" in r for r in runs) == 7 * 4


def test_output_converters_catch_a_wrong_rounding(tmp_path):
    """The converters' self-test fails when the reference disagrees: a tie
    rounded away from even, a scale off by one ulp."""
    sys.path.insert(0, str(SCRIPTS))
    import gpu_hopper_gemm as g
    x = np.array([1.0625, 1.1875, 3 * 2.0 ** -10, -17.0, 500.0, 0.0],
                 dtype=np.float32)
    # Ties to the even code: 1.0625 -> 1.0 (0x38), 1.1875 -> 1.25 (0x3A),
    # 3*2^-10 -> 2^-8 (0x02), -17 -> -16 (0xD8); 500 saturates (0x7E).
    assert g.e4m3_encode(x).tolist() == [0x38, 0x3A, 0x02, 0xD8, 0x7E, 0x00]
    assert g.bf16_rne(np.float32([1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8])
                      ).tolist() == [0x3F80, 0x3F82]
    X = np.zeros((2, 130), dtype=np.float32)
    X[0, 5] = 896.0
    codes, scales = g.quantize_1x128(X)
    assert scales.tolist() == [[2.0, 1.0], [1.0, 1.0]]
    assert codes[0, 5] == 0x7E and codes[1].max() == 0
    codes[0, 5] = 0x7D
    np.savez(tmp_path / "quant_selftest.npz", X=X, codes=codes, scales=scales,
             bf16=g.bf16_rne(X), e4m3=g.e4m3_encode(X))
    assert not g.converters_self_test(tmp_path)


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
    A kernel's file name says its tile width and stage count (the launcher's
    grid, B box and shared memory), so a name outside what the builder
    accepts is an error, not a guess."""
    def run():
        return run_cmd([sys.executable, SCRIPTS / "gpu_hopper_gemm.py",
                        "--dir", tmp_path, "--cpu-only"])
    res = run()
    assert res.returncode == 2
    assert "no fp8_gemm_*_n*_s*.ptx" in res.stderr and \
        "gpu_hopper_gemm.sh" in res.stderr, describe(res)
    (tmp_path / "fp8_gemm_1x128_n128_s9.ptx").write_text("")
    res = run()
    assert res.returncode == 2 and "tile 128 x 9 stages" in res.stderr, \
        describe(res)
    (tmp_path / "fp8_gemm_1x128_n128_s9.ptx").unlink()
    for s in ("1x128", "per-channel", "per-tensor"):
        (tmp_path / f"fp8_gemm_{s}_n128_s6.ptx").write_text("")
    res = run()
    assert res.returncode == 2
    assert "no case_*.npz" in res.stderr and "gpu_hopper_gemm.sh" in res.stderr
