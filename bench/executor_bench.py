#!/usr/bin/env python3
"""Executor f32 latency on the GPT-2-style example against ONNX Runtime CPU
with the same thread count, in one run. Prints (and with --out writes) JSON.

    .venv/bin/python bench/executor_bench.py [--build build] [--shape 1x128 --shape 8x128]
        [--repeat 20] [--threads N] [--out bench.json]

quant-run times the Executor itself (`--repeat N --time`): the first run
(cold: the constants are built, the thread pool starts, memory is first
touched) and the median of the N-1 later runs, which reuse the cached
constants (Executor::setConstantCaching) as a deployed session would.

onnxruntime: InferenceSession on the CPU provider with intra_op_num_threads =
the same thread count, inter_op 1, default graph optimisations (as deployed),
after one warm-up run; median of the same number of session.run calls.

The ratio compares the two warm medians. quant-run runs with
QUANTC_NUM_THREADS = the thread count (default os.cpu_count()); its GEMMs are
OpenBLAS sgemm calls split over the Executor's own pool. Both outputs are
compared (relative RMS) so that a timing of a wrong run is flagged. The
measurement alternates the two engines --rounds times and keeps the best
round of each, so that load from other processes on the machine hits both
alike.
"""
import argparse
import importlib.util
import json
import re
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


TIME_RE = re.compile(r"executor: first run ([0-9.]+) ms; later runs: median ([0-9.]+) ms, "
                     r"min ([0-9.]+) ms over ([0-9]+) runs")


def bench_quant_run(quant_run, model, inputs, out, repeat, env):
    cmd = [quant_run, model, "--inputs", inputs, "--outputs", out,
           "--repeat", str(repeat + 1), "--time"]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    m = TIME_RE.search(p.stderr)
    if p.returncode != 0 or not m:
        return {"error": (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[0]}
    ms = [float(m.group(i)) for i in (1, 2, 3)]
    return {"first_run_s": round(ms[0] / 1e3, 6), "run_median_s": round(ms[1] / 1e3, 6),
            "run_min_s": round(ms[2] / 1e3, 6), "runs": int(m.group(4))}


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
    ap.add_argument("--repeat", type=int, default=20, help="warm runs per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args(argv)
    shapes = args.shape or [(1, 128), (8, 128)]
    quant_run = os.path.join(args.build, "bin", "quant-run")
    if not os.access(quant_run, os.X_OK):
        print(f"error: {quant_run} not found (build quant-run or pass --build)", file=sys.stderr)
        return 2
    gen = load_generator()
    env = dict(os.environ, QUANTC_NUM_THREADS=str(args.threads))
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
            out = os.path.join(tmp, f"out_{b}x{t}.npz")
            np.savez(inputs, **ids)
            qr = ort_res = None
            for _ in range(args.rounds):
                q = bench_quant_run(quant_run, model, inputs, out, args.repeat, env)
                if "error" in q:
                    qr = q
                    break
                if qr is None or q["run_median_s"] < qr["run_median_s"]:
                    qr = q
                o, ref = bench_ort(model, ids, args.threads, args.repeat)
                if ort_res is None or o["run_median_s"] < ort_res["run_median_s"]:
                    ort_res = o
            if ort_res is None:
                ort_res, ref = bench_ort(model, ids, args.threads, args.repeat)
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
                        qr["run_median_s"] / ort_res["run_median_s"], 2)
            result["cases"].append(case)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
