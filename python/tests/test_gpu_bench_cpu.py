"""scripts/gpu_bench.py, the one-call driver of the GPU checks, minus the
GPU: it refuses a folder gpu_bench.sh did not prepare (exit 2, what to
run), runs each step under its limit, keeps each step's log, writes
bench.json into $OUT, and fails (exit 1) when a step fails. The steps
themselves are tested by test_gpu_check_cpu.py, test_gpu_hopper_gemm_cpu.py,
test_gpu_int8_gemm_cpu.py and test_gpu_program.py."""
import json
import os
import sys

from conftest import REPO_ROOT, describe, run_cmd

SCRIPT = REPO_ROOT / "scripts" / "gpu_bench.py"


def test_unprepared_folder_is_refused(tmp_path):
    res = run_cmd([sys.executable, SCRIPT, "--dir", tmp_path / "none"])
    assert res.returncode == 2, describe(res)
    assert "run scripts/gpu_bench.sh first" in res.stderr


def test_steps_logs_and_report(tmp_path):
    d = tmp_path / "bench"
    for sub in ("gpu_check", "gpu_hopper", "gpu_int8", "gpu_run"):
        (d / sub).mkdir(parents=True)
    out = tmp_path / "out"
    env = dict(os.environ, OUT=str(out))
    # Empty step folders: every step stops at once with its own message.
    res = run_cmd([sys.executable, SCRIPT, "--dir", d, "--only",
                   "check,hopper"], env=env)
    assert res.returncode == 1, describe(res)
    report = json.loads((out / "bench.json").read_text())
    assert [s["step"] for s in report["steps"]] == ["check", "hopper"]
    assert all(s["exit"] == 2 for s in report["steps"]), report
    assert report["all_ok"] is False
    assert "gpu_hopper_gemm.sh" in (out / "hopper.log").read_text()
    # The hopper step's timings stop 20 s before its share of the budget
    # (0.4 of 540 s) runs out, keeping what they measured.
    assert "--time-budget 196" in report["steps"][1]["command"], report
    assert "gpu_bench: hopper FAIL" in res.stdout
    res = run_cmd([sys.executable, SCRIPT, "--dir", d, "--only", "bench"])
    assert res.returncode == 2 and "unknown steps" in res.stderr
