#!/usr/bin/env python3
"""Export cost and what the exported QDQ models cost to run.

    .venv/bin/python bench/export_bench.py [--build build] [--repeat 5]
        [--json out.json]

For the example MLP and GPT-2-style decoder, each compiled with quant-compile
(--target none) to mxfp8, mxfp4 and mxint8: the wall time of
`quant-translate --export-onnx PKG` (process, median of --repeat), the
exported model's node count, onnxruntime's time for one run on the test
inputs (CPU provider, default graph optimizations, in process, median of
--repeat after one warm-up) and `quant-run PKG` (process wall, median).
Timing only; correctness is python/tests/test_export_schemes.py.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def wall(cmd, repeat):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([str(c) for c in cmd], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    import onnx
    import onnxruntime as ort
    bin_ = Path(args.build) / "bin"
    rows = []
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        for name in ("mlp", "gpt2"):
            d = td / name
            subprocess.run([sys.executable, ROOT / "examples" / name /
                            f"make_{name}.py", "--out-dir", d], check=True,
                           stdout=subprocess.DEVNULL)
            calib = d / "calib.npz" if (d / "calib.npz").exists() else \
                d / "test.npz"
            for fmt in ("mxfp8", "mxfp4", "mxint8"):
                pkg, out = d / f"{fmt}.qcpkg", d / f"{fmt}.onnx"
                subprocess.run([bin_ / "quant-compile", d / f"{name}.onnx",
                                "-o", pkg, "--calib", calib, "--target",
                                "none", "--format", fmt], check=True,
                               stdout=subprocess.DEVNULL)
                t_exp = wall([bin_ / "quant-translate", "--export-onnx", pkg,
                              "-o", out], args.repeat)
                nodes = len(onnx.load(str(out)).graph.node)
                sess = ort.InferenceSession(
                    str(out), providers=["CPUExecutionProvider"])
                with np.load(d / "test.npz") as z:
                    feeds = {i.name: z[i.name] for i in sess.get_inputs()}
                sess.run(None, feeds)
                ts = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    sess.run(None, feeds)
                    ts.append(time.perf_counter() - t)
                t_run = wall([bin_ / "quant-run", pkg, "--inputs",
                              d / "test.npz", "--outputs", d / "o.npz"],
                             args.repeat)
                rows.append({"model": name, "format": fmt,
                             "export_s": t_exp, "onnx_nodes": nodes,
                             "ort_run_ms": 1e3 * statistics.median(ts),
                             "quant_run_s": t_run})
                r = rows[-1]
                print(f"| {name} | {fmt} | {1e3 * r['export_s']:.0f} | "
                      f"{nodes} | {r['ort_run_ms']:.2f} | "
                      f"{1e3 * r['quant_run_s']:.0f} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
