"""Executor f32 latency of the example CNN against onnxruntime CPU, same
thread count, same process run, same inputs. Prints one JSON line per
(threads, batch): medians in ms and the ratio quantc / onnxruntime.

    .venv/bin/python bench/cnn_bench.py [--build build] [--threads 1,2]
        [--batch 1,8] [--repeat 20]

quantc's side is build/bench/bench_executor (Executor::run only, no import or
npz I/O), with OPENBLAS_NUM_THREADS=T, which the NN kernels follow too.
onnxruntime runs with intra_op_num_threads=T, inter_op 1, and its default
graph optimizations (conv+batch-norm fusion included), as users run it.

quantc is also timed with glibc's mmap threshold raised
(MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ = 1 GiB, `*_malloc_ms`): the
Executor allocates every result afresh, and tensors over the default
threshold are mapped and page-faulted in on every op; onnxruntime reuses an
arena instead.
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


def load_make_cnn():
    path = os.path.join(ROOT, "examples", "cnn", "make_cnn.py")
    spec = importlib.util.spec_from_file_location("make_cnn", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ort_ms(model, x, threads, repeat, warmup=3):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    times = []
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        sess.run(None, {"x": x})
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    exe = os.path.join(args.build, "bench", "bench_executor")
    make_cnn = load_make_cnn()
    with tempfile.TemporaryDirectory() as tmp:
        model = make_cnn.generate(tmp)["model"]
        for batch in [int(b) for b in args.batch.split(",")]:
            x = np.random.default_rng(batch).standard_normal(
                (batch, *make_cnn.IN_SHAPE)).astype(np.float32)
            npz = os.path.join(tmp, f"x{batch}.npz")
            np.savez(npz, x=x)
            for t in [int(v) for v in args.threads.split(",")]:
                env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t))
                res = subprocess.run([exe, model, npz, str(args.repeat)],
                                     env=env, check=True, capture_output=True,
                                     text=True)
                q = json.loads(res.stdout)
                env.update(MALLOC_MMAP_THRESHOLD_=str(1 << 30),
                           MALLOC_TRIM_THRESHOLD_=str(1 << 30))
                res = subprocess.run([exe, model, npz, str(args.repeat)],
                                     env=env, check=True, capture_output=True,
                                     text=True)
                qm = json.loads(res.stdout)
                o_med, o_min = ort_ms(model, x, t, args.repeat)
                print(json.dumps({
                    "bench": "cnn f32 latency", "batch": batch, "threads": t,
                    "quantc_median_ms": round(q["median_ms"], 3),
                    "quantc_min_ms": round(q["min_ms"], 3),
                    "quantc_malloc_median_ms": round(qm["median_ms"], 3),
                    "quantc_malloc_min_ms": round(qm["min_ms"], 3),
                    "ort_median_ms": round(o_med, 3),
                    "ort_min_ms": round(o_min, 3),
                    "ratio_median": round(q["median_ms"] / o_med, 2)}))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
