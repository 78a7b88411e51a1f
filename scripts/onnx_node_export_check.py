#!/usr/bin/env python3
"""The ONNX backend node tests that quant-run passes (test/onnx-node/
passing.txt), sent through the exporter: quant-translate --import-onnx,
--export-onnx, then onnxruntime on the exported model, compared with the
test's expected outputs as scripts/onnx_node_tests.py compares them.

    .venv/bin/python scripts/onnx_node_export_check.py [--build build]
        [-v] [--json FILE] [--update-list] [PATTERN ...]

Each test ends as
  PASS          every data set matches
  EXPORT-ERROR  the exporter refused (first line of its error)
  ORT-ERROR     onnxruntime could not load or run the exported model
  FAIL          it ran and an output is wrong
  SKIP          the import alone failed, or an input is not a tensor
Prints counts and the tests that did not pass, grouped by reason. A survey
of the exporter's reach on small single-op models. The tests that pass
are kept in test/onnx-node/export-passing.txt (--update-list adds the
passing ones; the list only grows); python/tests/test_export_node.py
requires those to pass and reports the rest.
"""
import argparse
import collections
import fnmatch
import glob
import json
import os
import subprocess
import sys
import tempfile

import ml_dtypes
import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_node_tests as nt  # noqa: E402

EXPORT_LIST = os.path.join(nt.ROOT, "test", "onnx-node", "export-passing.txt")


def check(test_dir, bin_dir):
    name = os.path.basename(os.path.normpath(test_dir))
    res = {"name": name, "status": "SKIP", "detail": ""}
    model_path = os.path.join(test_dir, "model.onnx")
    model, res["ops"], _ = nt.model_info(model_path)
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    with tempfile.TemporaryDirectory(prefix="node_export_") as tmp:
        mlir, out = os.path.join(tmp, "m.mlir"), os.path.join(tmp, "e.onnx")
        p = subprocess.run([os.path.join(bin_dir, "quant-translate"),
                            "--import-onnx", model_path, "-o", mlir],
                           capture_output=True, text=True, errors="replace")
        if p.returncode:
            res["detail"] = "import: " + nt._first_line(p.stderr)
            return res
        p = subprocess.run([os.path.join(bin_dir, "quant-translate"),
                            "--export-onnx", mlir, "-o", out],
                           capture_output=True, text=True, errors="replace")
        crash = nt._is_crash(p.returncode, p.stderr)
        if crash or p.returncode:
            res["status"] = "FAIL" if crash else "EXPORT-ERROR"
            msg = crash or nt._first_line(p.stderr)
            res["detail"] = msg.split("error: ", 1)[-1]
            return res
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.log_severity_level = 4
        try:
            sess = ort.InferenceSession(out, so,
                                        providers=["CPUExecutionProvider"])
        except Exception as e:  # ORT's own exception types
            res["status"] = "ORT-ERROR"
            res["detail"] = " ".join(str(e).split())[:300]
            return res
        for ds in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
            feeds = {}
            n_in = len(glob.glob(os.path.join(ds, "input_*.pb")))
            for i in range(n_in):
                arr, why = nt._load_value(os.path.join(ds, f"input_{i}.pb"),
                                          graph_inputs[i].type)
                if why:
                    res["detail"] = f"input is {why}"
                    return res
                feeds[graph_inputs[i].name] = arr
            want = {i.name: i.type for i in sess.get_inputs()}
            feeds = {k: v for k, v in feeds.items() if k in want}
            for k, v in feeds.items():
                # The runner holds bfloat16 as uint16 bit patterns; ORT's
                # Python API takes them only wrapped as a typed OrtValue.
                if want[k] == "tensor(bfloat16)" and v.dtype == np.uint16:
                    feeds[k] = ort.OrtValue.ortvalue_from_numpy_with_onnx_type(
                        np.ascontiguousarray(v), onnx.TensorProto.BFLOAT16)
            try:
                got = dict(zip([o.name for o in sess.get_outputs()],
                               sess.run(None, feeds)))
            except Exception as e:
                res["status"] = "ORT-ERROR"
                res["detail"] = "run: " + " ".join(str(e).split())[:300]
                return res
            for i, go in enumerate(model.graph.output):
                ref, why = nt._load_value(os.path.join(ds, f"output_{i}.pb"),
                                          go.type)
                if why:
                    res["detail"] = f"output is {why}"
                    return res
                if go.name not in got:
                    res["status"] = "FAIL"
                    res["detail"] = f"no output '{go.name}'"
                    return res
                value = np.asarray(got[go.name])
                if value.dtype == ml_dtypes.bfloat16:
                    value = value.view(np.uint16)
                bad = nt.compare(go.name, value, ref)
                if bad:
                    res["status"], res["detail"] = "FAIL", bad
                    return res
    res["status"] = "PASS"
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=nt.default_build_dir())
    ap.add_argument("--data-dir", default=nt.DATA_DIR)
    ap.add_argument("-v", action="store_true", help="one line per test")
    ap.add_argument("--json", help="write every result here")
    ap.add_argument("--update-list", action="store_true",
                    help="add the passing tests to " + EXPORT_LIST)
    ap.add_argument("patterns", nargs="*")
    args = ap.parse_args()
    names = nt.read_list()
    if args.patterns:
        names = [n for n in names
                 if any(fnmatch.fnmatch(n, p) for p in args.patterns)]
    bin_dir = os.path.join(args.build, "bin")
    results = []
    for n in names:
        r = check(os.path.join(args.data_dir, n), bin_dir)
        results.append(r)
        if args.v:
            print(f"{r['status']:12} {n} {r['detail']}", flush=True)
    counts = collections.Counter(r["status"] for r in results)
    by_reason = collections.defaultdict(list)
    for r in results:
        if r["status"] != "PASS":
            by_reason[(r["status"], r["detail"][:160])].append(r["name"])
    for (status, detail), ns in sorted(by_reason.items()):
        print(f"{status}: {detail}\n    {len(ns)}: {' '.join(ns[:12])}"
              f"{' ...' if len(ns) > 12 else ''}")
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
          f"of {len(results)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.update_list:
        old = set(nt.read_list(EXPORT_LIST)) if os.path.exists(EXPORT_LIST) \
            else set()
        new = old | {r["name"] for r in results if r["status"] == "PASS"}
        lost = sorted(n for n in old if any(
            r["name"] == n and r["status"] != "PASS" for r in results))
        if lost:
            sys.exit(f"listed tests no longer pass: {lost}")
        nt.write_list(sorted(new), EXPORT_LIST)
        print(f"{EXPORT_LIST}: {len(old)} -> {len(new)}")


if __name__ == "__main__":
    main()
