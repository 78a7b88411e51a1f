#!/usr/bin/env python3
"""Import time and peak RSS for models with large external f32 weights.

Generates, in a temporary directory, models of chained MatMuls whose weights
(D x D f32, D = 2048: 16 MiB each) total about 100 MB, 1 GB and 3 GB of ONNX
external data in one weights.bin, then times
`quant-translate --import-onnx model.onnx -o out.mlir` (blobs elided in the
printed IR) and reads its peak RSS with GNU time (/usr/bin/time). Also imports the
100 MB model saved with inline raw_data, for comparison (protobuf must parse
and own those bytes).

Writes a JSON report (--json) and prints a Markdown table. The weights are
written in chunks and deleted afterwards; check free disk space first (about
3.2 GB under --tmp).

usage: bench/import_bench.py [--build build] [--sizes 100M,1G,3G]
                             [--repeat 3] [--tmp DIR] [--json out.json]
                             [--run 100M,1G]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

D = 2048
LAYER_BYTES = D * D * 4
SIZES = {"100M": 100e6, "1G": 1e9, "3G": 3e9}


def make_model(out_dir, total_bytes, inline=False):
    """Writes out_dir/model.onnx (+ weights.bin). Returns weight bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    layers = max(1, round(total_bytes / LAYER_BYTES))
    rng = np.random.default_rng(0)
    base = (rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32)
    nodes, inits = [], []
    prev = "x"
    wpath = out_dir / "weights.bin"
    with open(wpath, "wb") if not inline else open(os.devnull, "wb") as f:
        for i in range(layers):
            w = base if i % 2 == 0 else base[::-1].copy()
            assert w.dtype == np.float32 and w.nbytes == LAYER_BYTES
            name = f"w{i}"
            if inline:
                t = onnx.numpy_helper.from_array(w, name)
            else:
                t = TensorProto()
                t.name, t.data_type = name, TensorProto.FLOAT
                t.dims.extend([D, D])
                t.data_location = TensorProto.EXTERNAL
                for k, v in (("location", "weights.bin"),
                             ("offset", str(i * LAYER_BYTES)),
                             ("length", str(LAYER_BYTES))):
                    e = t.external_data.add()
                    e.key, e.value = k, v
                f.write(w.tobytes())  # one 16 MiB chunk at a time
            inits.append(t)
            out = "y" if i == layers - 1 else f"h{i}"
            nodes.append(helper.make_node("MatMul", [prev, name], [out],
                                          name=f"mm{i}"))
            prev = out
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, D])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, D])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    with open(out_dir / "model.onnx", "wb") as f:
        f.write(m.SerializeToString())
    return layers * LAYER_BYTES


TIME = "/usr/bin/time"


def run_measured(args):
    """(seconds, peak RSS bytes) of one child process; fails on exit != 0.
    Peak RSS comes from /usr/bin/time (GNU time's %M, KiB): os.wait4 on a
    child forked from this Python process would also count the Python image
    it had before exec."""
    t0 = time.perf_counter()
    res = subprocess.run([TIME, "-f", "QUANTC_MAXRSS_KB=%M"] + list(map(str, args)),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{res.stderr}")
    kb = int(res.stderr.rsplit("QUANTC_MAXRSS_KB=", 1)[1].split()[0])
    return dt, kb * 1024


def bench(tool, model, out, repeat):
    runs = [run_measured([tool, "--import-onnx", model, "-o", out])
            for _ in range(repeat)]
    best = min(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    return best, rss


def bench_run(build, model, d, repeat):
    """quant-run on the model (Executor on CPU): reads every weight."""
    np.savez(d / "in.npz", x=np.ones((1, D), np.float32))
    tool = str(Path(build) / "bin" / "quant-run")
    runs = [run_measured([tool, model, "--inputs", d / "in.npz", "--outputs",
                          d / "out.npz"]) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--sizes", default="100M,1G,3G")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--run", default="",
                    help="sizes (e.g. 100M,1G) whose external model is also "
                         "run with quant-run (the Executor copies the f32 "
                         "weights: RSS about twice the weights)")
    args = ap.parse_args()
    tool = str(Path(args.build) / "bin" / "quant-translate")
    if not os.access(tool, os.X_OK):
        sys.exit(f"{tool} not found; build quant-translate first")
    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} (GNU time) is needed for the peak RSS")

    results = []
    root = Path(tempfile.mkdtemp(prefix="quantc_import_bench_", dir=args.tmp))
    try:
        free = shutil.disk_usage(root).free
        need = sum(SIZES[s] for s in args.sizes.split(",")) * 1.1
        if free < need:
            sys.exit(f"{root}: {free / 1e9:.1f} GB free, need {need / 1e9:.1f}")
        cases = [(s, False) for s in args.sizes.split(",")]
        if "100M" in args.sizes.split(","):
            cases.append(("100M", True))
        for size, inline in cases:
            d = root / (size + ("-inline" if inline else ""))
            wbytes = make_model(d, SIZES[size], inline=inline)
            secs, rss = bench(tool, d / "model.onnx", d / "out.mlir",
                              args.repeat)
            r = {"weights": size, "storage": "inline raw_data" if inline else "external",
                 "weight_bytes": wbytes, "import_s": round(secs, 4),
                 "gb_per_s": round(wbytes / secs / 1e9, 2),
                 "peak_rss_mb": round(rss / 1e6, 1),
                 "rss_minus_weights_mb": round((rss - wbytes) / 1e6, 1)}
            if not inline and size in args.run.split(","):
                rs, rrss = bench_run(args.build, d / "model.onnx", d,
                                     args.repeat)
                r.update({"quant_run_s": round(rs, 3),
                          "quant_run_gb_per_s": round(wbytes / rs / 1e9, 2),
                          "quant_run_peak_rss_mb": round(rrss / 1e6, 1)})
            results.append(r)
            print(json.dumps(r), flush=True)
            shutil.rmtree(d)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print("\n| weights | storage | import time | GB/s | peak RSS | RSS − weights |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['weight_bytes'] / 1e9:.2f} GB | {r['storage']} | "
              f"{r['import_s']:.3f} s | {r['gb_per_s']} | "
              f"{r['peak_rss_mb']:.0f} MB | {r['rss_minus_weights_mb']:+.0f} MB |")
    runs = [r for r in results if "quant_run_s" in r]
    if runs:
        print("\n| weights | quant-run time | GB/s | peak RSS |")
        print("|---|---|---|---|")
        for r in runs:
            print(f"| {r['weight_bytes'] / 1e9:.2f} GB | {r['quant_run_s']:.2f} s | "
                  f"{r['quant_run_gb_per_s']} | {r['quant_run_peak_rss_mb']:.0f} MB |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
