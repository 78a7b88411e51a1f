"""The int8 GEMM's GPU check, minus the GPU (scripts/gpu_int8_gemm.*):
gpu_int8_gemm.sh writes the kernel's MLIR, PTX (and cubin when ptxas is
there); `gpu_int8_gemm.py --host` runs the check a session with a GPU
runs (ragged shapes, fresh codes and zero points, C poisoned, every
element bit for bit against the exact reference, nothing written past C)
with the kernel's MLIR on this CPU, and fails on a kernel that reads its
weight codes as unsigned. The same for the sm_90a int8 wgmma kernels
(128-row tiles and the swapped decode kernel, A's zero point: TMA,
mbarriers, wgmma and named barriers emulated), and for one that reads its
activation codes as unsigned. Without a GPU the device mode exits 2."""
import json
import sys

from conftest import REPO_ROOT, describe, run_cmd

SCRIPTS = REPO_ROOT / "scripts"


def test_int8_gemm_check_on_the_host(build_dir, tool, tmp_path):
    tool("quant-kernel-gen")
    out = tmp_path / "gi8"
    res = run_cmd(["bash", SCRIPTS / "gpu_int8_gemm.sh", build_dir, out])
    assert res.returncode == 0, describe(res)
    assert "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32" in \
        (out / "i8_gemm.sm_89.ptx").read_text()
    res = run_cmd([sys.executable, SCRIPTS / "gpu_int8_gemm.py", "--dir",
                   out, "--host"])
    assert res.returncode == 0, describe(res)
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    # 4 shapes of the mma.sync kernel, 4 of each wgmma kernel.
    assert len(rows) == 12 and all(r["ok"] for r in rows), rows
    assert sum("i8_wgmma_swap16" in r["where"] for r in rows) == 4, rows
    assert "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8" in \
        (out / "i8_wgmma_n128.sm_90a.ptx").read_text()
    # A kernel that takes the weights' codes as u8 is caught.
    mlir = out / "i8_gemm.mlir"
    text = mlir.read_text()
    assert "multiplicandBPtxType = #nvvm.mma_type<s8>" in text
    mlir.write_text(text.replace("multiplicandBPtxType = #nvvm.mma_type<s8>",
                                 "multiplicandBPtxType = #nvvm.mma_type<u8>"))
    res = run_cmd([sys.executable, SCRIPTS / "gpu_int8_gemm.py", "--dir",
                   out, "--host"])
    assert res.returncode == 1, describe(res)
    assert '"ok": false' in res.stdout
    mlir.write_text(text)
    wg = out / "i8_wgmma_n128.mlir"
    text = wg.read_text()
    assert "A[<s8>, <one>, <row>]" in text
    wg.write_text(text.replace("A[<s8>, <one>, <row>]", "A[<u8>, <one>, <row>]"))
    res = run_cmd([sys.executable, SCRIPTS / "gpu_int8_gemm.py", "--dir",
                   out, "--host"])
    assert res.returncode == 1, describe(res)
    bad = [json.loads(line) for line in res.stdout.splitlines()
           if '"ok": false' in line]
    assert bad and all(r["where"] == "host i8_wgmma_n128" for r in bad), bad
    # No GPU here: the device mode says so (exit 2); an unprepared folder
    # names the script to run.
    res = run_cmd([sys.executable, SCRIPTS / "gpu_int8_gemm.py", "--dir",
                   out])
    assert res.returncode == 2 and "no CUDA device" in res.stderr, \
        describe(res)
    res = run_cmd([sys.executable, SCRIPTS / "gpu_int8_gemm.py", "--dir",
                   tmp_path / "none"])
    assert res.returncode == 2 and "gpu_int8_gemm.sh" in res.stderr
