#!/usr/bin/env python3
"""Which ONNX backend node tests become GPU programs: every test the
Executor passes (test/onnx-node/passing.txt) compiled with `quant-compile
--target sm_89 --no-cubin --no-accuracy` (the default format, calibrated on
the test's first data set, NaN and inf made finite), and, with
--host-run, the program run on this
CPU with the package's own kernels (quantc.HostKernels) against the
Executor on the same inputs. Prints a summary, and writes per op type
counts and what `--target` named as missing as Markdown (--report) and
every result as JSON (--json).

    .venv/bin/python bench/gpu_node_coverage.py [--build build] [-j 2]
        [--host-run] [--report docs/GpuNodeCoverage.md] [--json f.json]
        [TEST ...]

A test whose compile fails for another reason than a missing kernel (a
format the test's dtypes do not take, say) is counted apart ("other").
"""
import argparse
import collections
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import onnx_node_tests as nt  # noqa: E402

MISSING = re.compile(r"no GPU kernel yet for: (.*?); the package could not")


def missing_ops(detail):
    """'qc.mod x2, qc.cast (element types, ...) x1' -> ['qc.mod',
    'qc.cast (element types, ...)']."""
    return [re.sub(r" x\d+$", "", item)
            for item in re.split(r", (?=qc\.)", detail)]


def inputs_of(test_dir, model):
    """The first data set's inputs {name: array}, or None when one is not
    a tensor."""
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    ds = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))[0]
    out = {}
    for i in range(len(glob.glob(os.path.join(ds, "input_*.pb")))):
        arr, why = nt._load_value(os.path.join(ds, f"input_{i}.pb"),
                                  graph_inputs[i].type)
        if why:
            return None
        out[graph_inputs[i].name] = arr
    return out


def host_run(build, pkg, inputs, quant_run, tmp):
    """Max relative RMS of the program's outputs (host kernels) against
    quant-run's, and whether every output is the same bit for bit."""
    import qcpkg_program as qp
    import quantc  # (build/python is on the path: main())
    np.savez(os.path.join(tmp, "in.npz"), **inputs)
    res = subprocess.run([quant_run, pkg, "--inputs",
                          os.path.join(tmp, "in.npz"), "--outputs",
                          os.path.join(tmp, "out.npz")],
                         capture_output=True, text=True)
    if res.returncode:
        return None, False
    with np.load(os.path.join(tmp, "out.npz")) as z:
        ref = {k: z[k] for k in z.files}
    got = qp.run(qp.Package(pkg), inputs,
                 qp.HostBackend(quantc.HostKernels(quantc.Package(pkg))))
    worst, exact = 0.0, True
    for k, r in ref.items():
        g = np.asarray(got[k])
        exact &= g.shape == r.shape and g.tobytes() == r.tobytes()
        if r.dtype.kind == "f" and r.size:
            r64, g64 = r.astype(np.float64), g.astype(np.float64)
            fin = np.isfinite(r64) & np.isfinite(g64)
            d = np.where(fin, g64 - r64, 0.0)
            n = np.sqrt(np.mean(np.where(fin, r64, 0.0) ** 2))
            worst = max(worst, float(np.sqrt(np.mean(d * d)) / max(n, 1e-30)))
        elif not np.array_equal(g, r):
            worst = max(worst, 1.0)
    return worst, exact


def finite(v, bf16):
    """v with NaN and inf made finite: numpy floats, and bfloat16 inputs
    (`bf16`), which travel as uint16 bit patterns (an all-ones exponent
    becomes 0)."""
    if v.dtype.kind == "f":
        return np.nan_to_num(v)
    if bf16:
        return np.where((v & 0x7F80) == 0x7F80, 0, v).astype(v.dtype)
    return v


def one(name, args):
    test_dir = os.path.join(args.data, name)
    model_path = os.path.join(test_dir, "model.onnx")
    model, ops, _ = nt.model_info(model_path)
    r = {"test": name, "ops": ops}
    inputs = inputs_of(test_dir, model)
    if inputs is None:
        r["status"] = "other"
        r["detail"] = "an input is not a tensor"
        return r
    bf16 = {i.name for i in model.graph.input
            if i.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16}
    with tempfile.TemporaryDirectory(prefix="gpu_node_") as tmp:
        # Calibration refuses NaN and inf (IsNaN's and IsInf's test data):
        # it sees them as the largest finite values; the host run gets the
        # test's own inputs.
        np.savez(os.path.join(tmp, "calib.npz"),
                 **{k: finite(v, k in bf16) for k, v in inputs.items()})
        pkg = os.path.join(tmp, "m.qcpkg")
        cmd = [os.path.join(args.build, "bin", "quant-compile"), model_path,
               "--calib", os.path.join(tmp, "calib.npz"), "-o", pkg,
               "--target", "sm_89", "--no-cubin", "--no-accuracy", "-q"]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           errors="replace", timeout=120)
        if p.returncode:
            m = MISSING.search(p.stderr)
            r["status"] = "no kernel" if m else "other"
            r["detail"] = m.group(1) if m else nt._first_line(p.stderr)
            return r
        r["status"] = "GPU program"
        steps = json.load(open(os.path.join(pkg, "manifest.json")))
        r["launches"] = len(steps.get("program", {}).get("steps", []))
        if args.host_run:
            try:
                worst, exact = host_run(
                    args.build, pkg, inputs,
                    os.path.join(args.build, "bin", "quant-run"), tmp)
                r["host_rel_rms"], r["host_exact"] = worst, exact
            except Exception as e:  # reported, not hidden
                r["host_error"] = f"{type(e).__name__}: {e}"
    return r


def write_report(path, results, command):
    by_op = collections.defaultdict(lambda: [0, 0, collections.Counter()])
    for r in results:
        for op in r["ops"]:
            by_op[op][0] += 1
            by_op[op][1] += r["status"] == "GPU program"
            if r["status"] == "no kernel":
                for item in missing_ops(r["detail"]):
                    by_op[op][2][item] += 1
    n = len(results)
    gpu = sum(r["status"] == "GPU program" for r in results)
    lines = ["# GPU programs of the ONNX node tests", "",
             f"Generated by `{command}` on {time.strftime('%Y-%m-%d')}: the "
             f"{n} node tests the Executor passes (test/onnx-node/"
             "passing.txt), each compiled for `--target sm_89`. "
             f"**{gpu} of {n}** are GPU programs; the rest name the ops "
             "`--target` found without a kernel (docs/Kernels.md)."]
    ran = [r for r in results if "host_rel_rms" in r]
    if ran:
        exact = sum(r["host_exact"] for r in ran)
        lines[-1] += (f" Run on this CPU with their own kernels "
                      f"(quantc.HostKernels), {exact} of {len(ran)} "
                      "programs give the Executor's outputs bit for bit.")
    lines += ["",
             "| op type | tests | GPU programs | what has no kernel |",
             "|---|---|---|---|"]
    for op in sorted(by_op):
        t, g, why = by_op[op]
        top = ", ".join(f"{k} ({v})" for k, v in why.most_common(3))
        lines.append(f"| {op} | {t} | {g} | {top} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tests", nargs="*")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--data", default=nt.DATA_DIR)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--host-run", action="store_true")
    ap.add_argument("--report")
    ap.add_argument("--json")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(args.build, "python"))
    names = args.tests or nt.read_list()
    t0 = time.time()
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for i, r in enumerate(pool.map(lambda n: one(n, args), names)):
            results.append(r)
            if (i + 1) % 100 == 0:
                print(f"  {i + 1}/{len(names)} ({time.time() - t0:.0f} s)",
                      file=sys.stderr, flush=True)
    counts = collections.Counter(r["status"] for r in results)
    print(f"{counts['GPU program']} of {len(results)} node tests are GPU "
          f"programs; {counts['no kernel']} name ops without a kernel; "
          f"{counts['other']} fail otherwise ({time.time() - t0:.0f} s)")
    if args.host_run:
        ran = [r for r in results if "host_rel_rms" in r]
        exact = sum(r["host_exact"] for r in ran)
        bad = [r for r in ran if r["host_rel_rms"] > 1e-5]
        errs = [r for r in results if "host_error" in r]
        print(f"host run: {exact} of {len(ran)} bit-identical to the "
              f"Executor, {len(bad)} beyond 1e-5 rel. RMS, {len(errs)} "
              "could not run")
        for r in bad + errs:
            print(f"  {r['test']}: {r.get('host_rel_rms', r.get('host_error'))}")
    missing = collections.Counter()
    for r in results:
        if r["status"] == "no kernel":
            for item in missing_ops(r["detail"]):
                missing[item] += 1
    for k, v in missing.most_common(25):
        print(f"  {v:4d}  {k}")
    if args.report:
        write_report(args.report, results,
                     "bench/gpu_node_coverage.py"
                     + (" --host-run" if args.host_run else "")
                     + f" --report {args.report}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
