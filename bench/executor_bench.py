#!/usr/bin/env python3
"""Executor f32 latency on the GPT-2-style example against ONNX Runtime CPU
with the same thread count, in one run. Prints (and with --out writes) JSON.

    .venv/bin/python bench/executor_bench.py [--build build] [--shape 1x128 --shape 8x128]
        [--repeat 7] [--threads N] [--out bench.json]

quant-run is a whole process (import, run, write); nothing is added to the
C++ to time it. The Executor's share is isolated by subtracting a baseline
run of the same process on the same model whose input file has no array of
the model's input name: it imports and verifies the model, reads the .npz and
stops at input binding (exit 1, checked), so it pays every fixed cost but the
run and the output write (an .npz of the logits, under 1 ms here). The
Executor time is median(full) - median(baseline) over --repeat runs each,
interleaved so that machine load drifts hit both alike. Choose shapes whose
run takes well over the process noise (a few ms): the defaults do.

onnxruntime: InferenceSession on the CPU provider with intra_op_num_threads =
the same thread count, inter_op 1, default graph optimisations (as deployed),
after one warm-up run; median of --repeat * 3 runs of session.run.

The Executor's GEMMs use OpenBLAS; quant-run runs with OPENBLAS_NUM_THREADS
and OMP_NUM_THREADS = the thread count (default os.cpu_count()).
Both outputs are compared (relative RMS) so that a timing of a wrong run is
flagged. Peak RSS of the quant-run processes comes from wait4.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_generator():
    path = os.path.join(ROOT, "examples", "gpt2", "make_gpt2.py")
    spec = importlib.util.spec_from_file_location("make_gpt2", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_process(cmd, env):
    """-> (wall seconds, exit code, stderr text, peak RSS MiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    return wall, p.returncode, err.decode(errors="replace"), usage.ru_maxrss / 1024


def bench_quant_run(quant_run, model, inputs, bad_inputs, out, repeat, env):
    full, base, rss_full, rss_base = [], [], 0.0, 0.0
    for _ in range(repeat):
        t, rc, err, rss = run_process([quant_run, model, "--inputs", inputs, "--outputs", out], env)
        if rc != 0:
            return {"error": err.strip().splitlines()[0] if err.strip() else f"exit {rc}"}
        full.append(t)
        rss_full = max(rss_full, rss)
        t, rc, err, rss = run_process(
            [quant_run, model, "--inputs", bad_inputs, "--outputs", out + ".none"], env)
        if rc != 1 or "no array named" not in err:
            return {"error": f"baseline did not stop at input binding (exit {rc}): {err.strip()}"}
        base.append(t)
        rss_base = max(rss_base, rss)
    med_full, med_base = statistics.median(full), statistics.median(base)
    return {
        "executor_s": round(med_full - med_base, 5),
        "process_median_s": round(med_full, 5),
        "baseline_median_s": round(med_base, 5),
        "process_min_s": round(min(full), 5),
        "baseline_min_s": round(min(base), 5),
        "peak_rss_mib": round(rss_full, 1),
        "baseline_peak_rss_mib": round(rss_base, 1),
        "runs": repeat,
    }


def bench_ort(model, feeds, threads, repeat):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    (y,) = sess.run(["logits"], feeds)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        sess.run(["logits"], feeds)
        times.append(time.perf_counter() - t0)
    return {"run_median_s": round(statistics.median(times), 5),
            "run_min_s": round(min(times), 5), "runs": repeat,
            "version": ort.__version__}, y


def parse_shape(s):
    b, t = (int(v) for v in s.lower().split("x"))
    return b, t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("QUANTC_BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--shape", action="append", type=parse_shape,
                    help="batch x seq of input_ids (repeatable; default 1x128 and 8x128)")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args(argv)
    shapes = args.shape or [(1, 128), (8, 128)]
    quant_run = os.path.join(args.build, "bin", "quant-run")
    if not os.access(quant_run, os.X_OK):
        print(f"error: {quant_run} not found (build quant-run or pass --build)", file=sys.stderr)
        return 2
    gen = load_generator()
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    result = {"bench": "executor_f32_latency", "model": "examples/gpt2 (make_gpt2.py)",
              "threads": args.threads, "cpu_count": os.cpu_count(),
              "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "cases": []}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        model = gen.generate(tmp)["model"]
        for b, t in shapes:
            if t > gen.MAX_POS:
                print(f"error: seq {t} > the model's {gen.MAX_POS} positions", file=sys.stderr)
                return 2
            ids = gen.test_inputs(shape=(b, t), seed=7)
            inputs = os.path.join(tmp, f"in_{b}x{t}.npz")
            bad = os.path.join(tmp, f"bad_{b}x{t}.npz")
            out = os.path.join(tmp, f"out_{b}x{t}.npz")
            np.savez(inputs, **ids)
            np.savez(bad, not_an_input=ids["input_ids"])
            qr = bench_quant_run(quant_run, model, inputs, bad, out, args.repeat, env)
            ort_res, ref = bench_ort(model, ids, args.threads, args.repeat * 3)
            case = {"shape": [b, t], "quant_run": qr, "onnxruntime": ort_res}
            if "error" in qr:
                ok = False
            else:
                with np.load(out) as z:
                    y = z["logits"].astype(np.float64)
                err = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
                case["rel_rms_vs_onnxruntime"] = float(f"{err:.3g}")
                if err > 1e-4:
                    case["warning"] = "outputs differ from onnxruntime"
                    ok = False
                if ort_res["run_median_s"] > 0:
                    case["executor_over_onnxruntime"] = round(
                        qr["executor_s"] / ort_res["run_median_s"], 2)
            result["cases"].append(case)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
