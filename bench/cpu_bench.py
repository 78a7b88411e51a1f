"""CPU benchmarks of the tools on the bundled example: compile time of
quant-compile, and Executor latency of the float model and the quantized
package through quant-run. Prints one JSON object per measurement.

    .venv/bin/python bench/cpu_bench.py [--build build] [--repeat 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def report(name, times, **extra):
    print(json.dumps({"bench": name, "median_s": round(statistics.median(times), 4),
                      "min_s": round(min(times), 4), "runs": len(times), **extra}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    bin_dir = os.path.join(args.build, "bin")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "examples/mlp/make_mlp.py"),
                        "--out-dir", tmp], check=True, stdout=subprocess.DEVNULL)
        model = os.path.join(tmp, "mlp.onnx")
        pkg = os.path.join(tmp, "mlp.qcpkg")
        calib = os.path.join(tmp, "calib.npz")
        test = os.path.join(tmp, "test.npz")
        out = os.path.join(tmp, "out.npz")
        report("quant-compile mlp (import, calibrate, quantize, 2 targets PTX+cubin, package)",
               timed([os.path.join(bin_dir, "quant-compile"), model, "-o", pkg, "--calib", calib,
                      "-q"], args.repeat))
        report("quant-compile mlp --target none (no kernels)",
               timed([os.path.join(bin_dir, "quant-compile"), model, "-o", pkg, "--calib", calib,
                      "-q", "--target", "none"], args.repeat))
        subprocess.run([os.path.join(bin_dir, "quant-compile"), model, "-o", pkg, "--calib", calib,
                        "-q"], check=True, stdout=subprocess.DEVNULL)
        report("quant-run float mlp.onnx, batch 256 (process total)",
               timed([os.path.join(bin_dir, "quant-run"), model, "--inputs", test, "--outputs", out],
                     args.repeat))
        report("quant-run mxfp8 package, batch 256 (process total)",
               timed([os.path.join(bin_dir, "quant-run"), pkg, "--inputs", test, "--outputs", out],
                     args.repeat))


if __name__ == "__main__":
    main()
