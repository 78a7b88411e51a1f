#!/usr/bin/env python3
"""The GPU checks and benchmarks of quantc in one call (prepared here by
scripts/gpu_bench.sh): runs, in order and each under its own time limit,

  gpu_check.py --cases DIR/gpu_check        mma.sync MXFP8 GEMM vs the Executor
  gpu_hopper_gemm.py --dir DIR/gpu_hopper   sm_90a wgmma FP8 GEMM: checks, timings
  gpu_int8_gemm.py --dir DIR/gpu_int8       int8 GEMM: exact checks, timings
  gpu_run_check.py --dir DIR/gpu_run        packages through libquantc_rt

keeps each one's output in <step>.log, prints a summary line per step, and
writes bench.json (steps, exit codes, seconds, the JSON lines each printed)
into $OUT when set (the device tool returns that folder), else into DIR.
Exit code 0 when every step passed, 1 when one failed or ran out of time,
2 when DIR was not prepared.

    python3 scripts/gpu_bench.py --dir build/gpu_bench [--budget 540] [--only hopper,run]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (name, script, arguments, share of the budget)
STEPS = [("check", "gpu_check.py", ["--cases", "{dir}/gpu_check"], 0.2),
         # The timings stop at a shape boundary 20 s before the step's
         # limit, so what was measured is printed, not cut off.
         ("hopper", "gpu_hopper_gemm.py",
          ["--dir", "{dir}/gpu_hopper", "--time-budget", "{budget}"], 0.4),
         ("int8", "gpu_int8_gemm.py",
          ["--dir", "{dir}/gpu_int8", "--time-budget", "{budget}"], 0.1),
         ("run", "gpu_run_check.py", ["--dir", "{dir}/gpu_run"], 0.3)]


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--budget", type=float, default=540.0,
                    help="seconds for all steps together (default 540)")
    ap.add_argument("--only", default="",
                    help="comma-separated steps to run (check, hopper, int8, run)")
    a = ap.parse_args(argv)
    only = {s for s in a.only.split(",") if s}
    unknown = only - {name for name, *_ in STEPS}
    if unknown:
        ap.error(f"unknown steps {sorted(unknown)}")
    missing = [sub for sub in ("gpu_check", "gpu_hopper", "gpu_int8", "gpu_run")
               if not (a.dir / sub).is_dir()]
    if missing:
        print(f"gpu_bench: {a.dir} lacks {missing}: run scripts/gpu_bench.sh "
              f"first", file=sys.stderr)
        return 2
    out_dir = Path(os.environ.get("OUT") or a.dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report, ok = {"steps": []}, True
    start = time.time()
    for name, script, args, share in STEPS:
        if only and name not in only:
            continue
        limit = max(30.0, a.budget * share)
        cmd = [sys.executable, str(HERE / script)] + [
            x.format(dir=a.dir, budget=f"{limit - 20:.0f}") for x in args]
        t0 = time.time()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=limit)
            rc, text = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            rc = "timeout"
            text = ((e.stdout or b"").decode() if isinstance(e.stdout, bytes)
                    else (e.stdout or "")) + f"\n(stopped after {limit:.0f} s)"
        secs = round(time.time() - t0, 1)
        (out_dir / f"{name}.log").write_text(text)
        passed = rc == 0
        ok &= passed
        report["steps"].append({"step": name, "command": " ".join(cmd),
                                "exit": rc, "seconds": secs,
                                "results": json_lines(text)})
        tail = text.strip().splitlines()[-1:] or [""]
        print(f"gpu_bench: {name:6} {'ok  ' if passed else 'FAIL'} "
              f"exit {rc} in {secs} s: {tail[0][:160]}", flush=True)
    report["all_ok"] = bool(ok)
    report["seconds"] = round(time.time() - start, 1)
    (out_dir / "bench.json").write_text(json.dumps(report, indent=1))
    print(f"gpu_bench: {'all passed' if ok else 'FAILED'}; "
          f"{out_dir / 'bench.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
