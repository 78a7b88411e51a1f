#!/usr/bin/env python3
"""What the Python module costs over the tools, in one run: compile time of
the bundled MLP through `quantc.compile` and `quant-compile` (process
included), and warm run latency of a `quantc.Module` (numpy in and out,
Executor kept between calls) against `quant-run --repeat N --time` (the
Executor's own warm median, no process or .npz cost) on the GPT-2-style
example. Prints (and with --out writes) JSON.

    .venv/bin/python bench/python_api_bench.py [--build build] [--repeat 30]
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--out")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    sys.path.insert(0, str(build / "python"))
    import quantc

    work = Path(tempfile.mkdtemp(prefix="quantc-pybench-"))
    py = sys.executable
    subprocess.run([py, ROOT / "examples/mlp/make_mlp.py", "--out-dir",
                    work / "mlp"], check=True, capture_output=True)
    subprocess.run([py, ROOT / "examples/gpt2/make_gpt2.py", "--out-dir",
                    work / "gpt2"], check=True, capture_output=True)
    result = {}

    # Compile: best of 3 each, same options.
    def cli():
        subprocess.run([build / "bin/quant-compile", work / "mlp/mlp.onnx",
                        "--calib", work / "mlp/calib.npz", "-o",
                        work / "cli.qcpkg", "-q"], check=True,
                       capture_output=True)

    def api():
        quantc.compile(work / "mlp/mlp.onnx", work / "mlp/calib.npz",
                       output=work / "py.qcpkg")

    for name, fn in (("quant_compile_s", cli), ("quantc_compile_s", api)):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        result[name] = min(times)

    # Warm run latency on GPT-2, input_ids 1x128.
    gdir = work / "gpt2"
    model = next(gdir.glob("*.onnx"))
    m = quantc.import_onnx(model)
    name = m.input_names[0]
    ids = np.random.default_rng(0).integers(0, 1000, (1, 128), np.int64)
    np.savez(work / "in.npz", **{name: ids})
    out = m.run({name: ids})
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        m.run({name: ids})
        times.append(time.perf_counter() - t0)
    result["module_run_warm_median_ms"] = statistics.median(times) * 1e3
    res = subprocess.run([build / "bin/quant-run", model, "--inputs",
                          work / "in.npz", "--outputs", work / "out.npz",
                          "--repeat", str(args.repeat + 1), "--time"],
                         check=True, capture_output=True, text=True)
    med = re.search(r"median ([0-9.]+) ms", res.stderr)
    result["quant_run_warm_median_ms"] = float(med.group(1))
    cli_out = np.load(work / "out.npz")
    result["outputs_identical"] = all(
        np.array_equal(out[k], cli_out[k]) for k in out)
    result["python_overhead_ms"] = (result["module_run_warm_median_ms"] -
                                    result["quant_run_warm_median_ms"])
    result["gpt2_input"] = "input_ids 1x128"
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
