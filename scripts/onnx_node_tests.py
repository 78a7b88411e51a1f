#!/usr/bin/env python3
"""Runs the ONNX backend node tests (Debian's libonnx-testdata) through
`quant-run` and compares with the expected outputs.

Each test is a directory with model.onnx and test_data_set_*/input_N.pb,
output_N.pb. The inputs go, in order, to the graph inputs that are not
initializers; quant-run runs the model on the Executor; each output must have
the expected name, dtype and shape and match within rtol 1e-3, atol 1e-7 with
NaNs at the same places (numpy.testing.assert_allclose, as ONNX's own backend
runner compares). Integer and bool outputs must match exactly: the reference
is exact and so must the Executor be.

Every test is classified:
  PASS         every data set matches
  FAIL         quant-run ran but an output is wrong, or it timed out, or it
               crashed (a signal or an LLVM crash report: a bug to report)
  ERROR        quant-run exited with an error (the first line is recorded)
  UNSUPPORTED  the importer reports unsupported ops, or quant-run fails on a
               model with ops of another domain than ONNX's default one, or
               an input is not a tensor (sequence/optional), which an .npz
               cannot carry

quant-run runs with a 20 s timeout (--timeout) and an 8 GiB address-space
limit ($ONNX_NODE_TESTS_MEM_GB).

Modes (default: run the tests named, or all, and print a summary):
  --check-list   run the tests in test/onnx-node/passing.txt; exit 1 unless
                 every one passes (what `make check` runs, via pytest)
  --update-list  run all tests and add the passing ones to the list. The list
                 only grows: a listed test that no longer passes is an error
                 (nothing is written) unless --allow-shrink
  --report FILE  write passed/total per op type as Markdown (docs/OnnxNodeTests.md)
  --json FILE    write every result as JSON

    .venv/bin/python scripts/onnx_node_tests.py --update-list --report docs/OnnxNodeTests.md
    .venv/bin/python scripts/onnx_node_tests.py --check-list
    .venv/bin/python scripts/onnx_node_tests.py -v test_add test_matmul_2d
"""
import argparse
import collections
import concurrent.futures
import datetime
import fnmatch
import glob
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = "/usr/share/libonnx-testdata/data/node"
LIST_FILE = os.path.join(ROOT, "test", "onnx-node", "passing.txt")
RTOL = 1e-3  # onnx/backend/test/runner: assert_similar_outputs defaults
ATOL = 1e-7
DEFAULT_TIMEOUT_S = 20.0
STATUSES = ("PASS", "FAIL", "ERROR", "UNSUPPORTED")
UNSUPPORTED_MARKER = "unsupported ONNX op type"
CRASH_MARKERS = ("Stack dump", "PLEASE submit a bug report", "Assertion",
                 "LLVM ERROR", "Segmentation fault", "terminate called")


def default_build_dir():
    b = os.environ.get("QUANTC_BUILD", "build")
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


def quant_run_path(build_dir):
    return os.path.join(build_dir, "bin", "quant-run")


def read_list(path=LIST_FILE):
    """Test names in a pass list: one a line; blank lines and # comments are
    ignored."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [ln.strip() for ln in f
                if ln.strip() and not ln.lstrip().startswith("#")]


def write_list(names, path=LIST_FILE):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for n in sorted(set(names)):
            f.write(n + "\n")
    os.replace(tmp, path)


# The other suites of libonnx-testdata that hold the same kind of test
# (model.onnx + test_data_set_*): small PyTorch exports, many at opset 6,
# and a few whole models. They are named relative to the node directory
# ("../pytorch-converted/test_Conv2d"), so every os.path.join(data_dir, name)
# finds them. (real/ holds download links only.)
SIBLING_SUITES = ("pytorch-converted", "pytorch-operator", "simple")


def all_tests(data_dir):
    names = [d for d in os.listdir(data_dir)
             if os.path.isfile(os.path.join(data_dir, d, "model.onnx"))]
    parent = os.path.dirname(os.path.normpath(data_dir))
    if os.path.basename(os.path.normpath(data_dir)) == "node":
        for suite in SIBLING_SUITES:
            d = os.path.join(parent, suite)
            if os.path.isdir(d):
                names += [f"../{suite}/{t}" for t in os.listdir(d)
                          if os.path.isfile(os.path.join(d, t, "model.onnx"))]
    return sorted(names)


# ---------------------------------------------------------------------------
# One test


def _op_types(graph, out):
    """Op types of every node, subgraphs (If/Loop/Scan bodies) included;
    ops of other domains as 'domain.Op'."""
    import onnx
    for node in graph.node:
        dom = node.domain if node.domain not in ("", "ai.onnx") else ""
        out.add(f"{dom}.{node.op_type}" if dom else node.op_type)
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                _op_types(attr.g, out)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    _op_types(g, out)
    return out


def model_info(model_path):
    """-> (model, sorted op types, default-domain opset)."""
    import onnx
    model = onnx.load(model_path, load_external_data=False)
    ops = sorted(_op_types(model.graph, set()))
    opset = next((o.version for o in model.opset_import
                  if o.domain in ("", "ai.onnx")), None)
    return model, ops, opset


def _load_value(path, type_proto):
    """A .pb of a test data set as a numpy array, or None with a reason when
    it is not a tensor (sequence, optional, map) and an .npz cannot carry it."""
    import onnx
    from onnx import numpy_helper
    kind = type_proto.WhichOneof("value") if type_proto is not None else "tensor_type"
    if kind != "tensor_type":
        kind = kind.replace("_type", "")
        return None, f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} value"
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    arr = numpy_helper.to_array(t)
    if arr.dtype == object:  # strings: save as fixed-width unicode, no pickle
        arr = arr.astype(str)
    return arr, None


def _limit_memory():
    """In the quant-run child: cap its address space so that a runaway
    allocation fails inside quant-run (reported as an error or crash) instead
    of exhausting the shared machine."""
    import resource
    limit = int(os.environ.get("ONNX_NODE_TESTS_MEM_GB", "8")) << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _first_line(text):
    for ln in text.splitlines():
        if ln.strip():
            return ln.strip()
    return ""


def _is_crash(rc, stderr):
    if rc < 0:
        try:
            return f"crash: signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"crash: signal {-rc}"
    for m in CRASH_MARKERS:
        if m in stderr:
            return f"crash: {m!r} in the output (exit {rc})"
    return None


def compare(name, got, ref):
    """None when `got` matches `ref` as ONNX's backend runner requires, else
    a one-line reason."""
    if got.dtype != ref.dtype:
        return f"output '{name}': dtype {got.dtype}, expected {ref.dtype}"
    if got.shape != ref.shape:
        return f"output '{name}': shape {got.shape}, expected {ref.shape}"
    if ref.dtype.kind in "biuUS":  # exact: bool, integers, strings
        bad = got != ref
        if np.any(bad):
            idx = np.argwhere(bad)[0] if bad.ndim else ()
            i = tuple(int(v) for v in idx)
            return (f"output '{name}': {int(np.sum(bad))}/{ref.size} elements differ, "
                    f"first at {list(i)}: {got[i]!r} vs expected {ref[i]!r}")
        return None
    try:
        np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL, equal_nan=True)
    except AssertionError as e:
        lines = [ln.strip() for ln in str(e).splitlines()
                 if ln.strip().startswith(("Mismatch", "Max", "x and y nan", "nan location"))]
        return f"output '{name}': " + ("; ".join(lines) or _first_line(str(e)))
    except TypeError as e:  # dtypes numpy cannot subtract
        return f"output '{name}': cannot compare: {e}"
    return None


def run_test(test_dir, quant_run, timeout=DEFAULT_TIMEOUT_S):
    """Runs one node test -> dict(name, status, detail, ops, opset, seconds)."""
    name = os.path.basename(os.path.normpath(test_dir))
    t0 = time.perf_counter()
    res = {"name": name, "status": "ERROR", "detail": "", "ops": [], "opset": None}
    try:
        _run_test(test_dir, quant_run, timeout, res)
    except Exception as e:  # a broken test directory, never a runner crash
        res["status"], res["detail"] = "ERROR", f"harness: {type(e).__name__}: {e}"
    res["seconds"] = round(time.perf_counter() - t0, 3)
    return res


def _run_test(test_dir, quant_run, timeout, res):
    model_path = os.path.join(test_dir, "model.onnx")
    model, res["ops"], res["opset"] = model_info(model_path)
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    graph_outputs = list(model.graph.output)
    sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not sets:
        res["detail"] = "harness: no test_data_set_* directory"
        return
    with tempfile.TemporaryDirectory(prefix="onnx_node_") as tmp:
        for ds in sets:
            n_in = len(glob.glob(os.path.join(ds, "input_*.pb")))
            if n_in > len(graph_inputs):
                res["detail"] = (f"harness: {n_in} input files for "
                                 f"{len(graph_inputs)} graph inputs")
                return
            inputs, not_tensor = {}, None
            for i in range(n_in):
                gi = graph_inputs[i]
                arr, why = _load_value(os.path.join(ds, f"input_{i}.pb"), gi.type)
                if why:
                    not_tensor = not_tensor or f"input '{gi.name}' is {why}"
                else:
                    inputs[gi.name] = arr
            in_npz = os.path.join(tmp, "in.npz")
            out_npz = os.path.join(tmp, "out.npz")
            if os.path.exists(out_npz):
                os.remove(out_npz)
            np.savez(in_npz, **inputs)
            cmd = [quant_run, model_path, "--inputs", in_npz, "--outputs", out_npz]
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                   timeout=timeout, preexec_fn=_limit_memory)
            except subprocess.TimeoutExpired:
                res["status"], res["detail"] = "FAIL", f"timeout after {timeout:g} s"
                return
            crash = _is_crash(p.returncode, p.stderr)
            if crash:
                res["status"] = "FAIL"
                res["detail"] = crash + ("; " + _first_line(p.stderr) if p.stderr else "")
                return
            if p.returncode != 0:
                msg = _first_line(p.stderr) or f"exit {p.returncode}, no message"
                msg = msg.replace(model_path + ": ", "").replace(tmp + os.sep, "")
                if "error: " in msg:
                    msg = msg.split("error: ", 1)[1]
                foreign = [op for op in res["ops"] if "." in op]
                if UNSUPPORTED_MARKER in p.stderr:
                    res["status"] = "UNSUPPORTED"
                elif foreign:  # the importer takes the default domain only
                    res["status"] = "UNSUPPORTED"
                    msg = f"ops of another domain ({', '.join(foreign)}): {msg}"
                elif not_tensor:
                    res["status"], msg = "UNSUPPORTED", not_tensor
                else:
                    res["status"] = "ERROR"
                res["detail"] = msg
                return
            if not_tensor:
                res["status"], res["detail"] = "UNSUPPORTED", not_tensor
                return
            if not os.path.exists(out_npz):
                res["status"], res["detail"] = "FAIL", "quant-run exited 0 but wrote no outputs"
                return
            with np.load(out_npz, allow_pickle=False) as z:
                got = {k: z[k] for k in z.files}
            want_names = [o.name for o in graph_outputs]
            if set(got) != set(want_names):
                res["status"] = "FAIL"
                res["detail"] = f"output names {sorted(got)}, expected {sorted(want_names)}"
                return
            for i, go in enumerate(graph_outputs):
                ref, why = _load_value(os.path.join(ds, f"output_{i}.pb"), go.type)
                if why:
                    res["status"] = "FAIL"
                    res["detail"] = f"output '{go.name}' is {why}, which quant-run cannot produce"
                    return
                bad = compare(go.name, got[go.name], ref)
                if bad:
                    res["status"], res["detail"] = "FAIL", bad
                    return
    res["status"], res["detail"] = "PASS", ""


# ---------------------------------------------------------------------------
# Many tests


def run_tests(names, data_dir, quant_run, jobs=2, timeout=DEFAULT_TIMEOUT_S, progress=False):
    """Runs tests in a process pool -> {name: result}, in name order."""
    results = {}
    dirs = [os.path.join(data_dir, n) for n in names]
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futs = {pool.submit(run_test, d, quant_run, timeout): n for n, d in zip(names, dirs)}
        for k, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            try:
                r = fut.result()
            except Exception as e:  # a worker died (killed, out of memory)
                r = {"name": futs[fut], "status": "ERROR", "ops": [], "opset": None,
                     "detail": f"harness: worker failed: {type(e).__name__}: {e}"}
            r["name"] = futs[fut]  # ("../<suite>/<test>" for a sibling suite's)
            results[r["name"]] = r
            if progress and (k % 100 == 0 or k == len(dirs)):
                print(f"  {k}/{len(dirs)}", file=sys.stderr, flush=True)
    return {n: results[n] for n in sorted(results)}


def summarize(results):
    c = collections.Counter(r["status"] for r in results.values())
    return {s: c.get(s, 0) for s in STATUSES}


def per_op(results):
    """{op: Counter(status)}: a test counts toward each op it contains."""
    table = collections.defaultdict(collections.Counter)
    for r in results.values():
        for op in r["ops"] or ["<no nodes>"]:
            table[op][r["status"]] += 1
    return table


def testdata_version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libonnx-testdata"],
                              capture_output=True, text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def write_report(path, results, data_dir, command, listed):
    s = summarize(results)
    total = len(results)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    ops = per_op(results)
    full = sorted(op for op, c in ops.items() if c["PASS"] == sum(c.values()))
    some = sorted(op for op, c in ops.items() if 0 < c["PASS"] < sum(c.values()))
    out = []
    w = out.append
    w("# ONNX backend node tests")
    w("")
    w("Generated by `scripts/onnx_node_tests.py`; do not edit by hand. The runner, its")
    w("classification and the pass list are described in the script's docstring and")
    w("below.")
    w("")
    w(f"- Generated: {now}, command: `{command}`")
    w(f"- Data: `{data_dir}` and, named `../<suite>/<test>`, the sibling suites "
      f"{', '.join(SIBLING_SUITES)} (Debian `libonnx-testdata` {testdata_version()}), "
      f"{total} tests")
    w(f"- Comparison: outputs by name, dtype and shape equal; floats within rtol {RTOL:g}, "
      f"atol {ATOL:g}, NaNs at the same places (as ONNX's backend runner); integers and "
      "bools exactly")
    w(f"- Pass list: `test/onnx-node/passing.txt`, {len(listed)} tests, run by `make check` "
      "(`python/tests/test_onnx_node.py`); it only grows")
    w("")
    w("Commands (`--build DIR` or `$QUANTC_BUILD` picks the build, default `build`):")
    w("")
    w("```")
    w(".venv/bin/python scripts/onnx_node_tests.py --check-list        # what make check runs")
    w(".venv/bin/python scripts/onnx_node_tests.py --update-list --report docs/OnnxNodeTests.md")
    w(".venv/bin/python scripts/onnx_node_tests.py -v 'test_conv*'     # some tests, each result")
    w("```")
    w("")
    w("## Summary")
    w("")
    w("| status | tests | meaning |")
    w("|---|---|---|")
    meaning = {
        "PASS": "every output matches",
        "FAIL": "ran, but an output is wrong; or a timeout or crash (a bug)",
        "ERROR": "quant-run exited with an error (first line below)",
        "UNSUPPORTED": "an op the importer does not support, or a non-tensor input",
    }
    for st in STATUSES:
        w(f"| {st} | {s[st]} | {meaning[st]} |")
    w(f"| total | {total} | |")
    w("")
    w(f"Op types with every test passing ({len(full)}): "
      + (", ".join(full) if full else "none") + ".")
    w("")
    w(f"Op types with some tests passing ({len(some)}): "
      + (", ".join(some) if some else "none") + ".")
    w("")
    w("## Per op type")
    w("")
    w("A test counts toward every op type in its model (the `_expanded` tests")
    w("contain the function body of the op they test, so common ops such as")
    w("Constant, Mul or Reshape appear in many tests).")
    w("")
    w("| op | passed / total | fail | error | unsupported |")
    w("|---|---|---|---|---|")
    for op in sorted(ops, key=lambda o: ("." in o, o.lower())):  # other domains last
        c = ops[op]
        w(f"| {op} | {c['PASS']} / {sum(c.values())} | {c['FAIL'] or ''} | "
          f"{c['ERROR'] or ''} | {c['UNSUPPORTED'] or ''} |")
    w("")
    bad = [r for r in results.values() if r["status"] in ("FAIL", "ERROR")]
    w("## Failures and errors")
    w("")
    if not bad:
        w("None.")
    else:
        w("| test | status | detail |")
        w("|---|---|---|")
        for r in bad:
            d = r["detail"].replace("|", "\\|")
            if len(d) > 200:
                d = d[:197] + "..."
            w(f"| {r['name']} | {r['status']} | {d} |")
    w("")
    with open(path, "w") as f:
        f.write("\n".join(out))


def select(names, patterns):
    if not patterns:
        return names
    keep = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    return keep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 1)[1])
    ap.add_argument("tests", nargs="*", help="test names or fnmatch patterns (default: all)")
    ap.add_argument("--data", default=DATA_DIR, help=f"node test directory ({DATA_DIR})")
    ap.add_argument("--build", default=default_build_dir(),
                    help="quantc build directory ($QUANTC_BUILD or build)")
    ap.add_argument("--list", default=LIST_FILE, help="the pass list (test/onnx-node/passing.txt)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per test")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check-list", action="store_true")
    mode.add_argument("--update-list", action="store_true")
    ap.add_argument("--allow-shrink", action="store_true",
                    help="with --update-list: drop listed tests that no longer pass")
    ap.add_argument("--report", metavar="FILE.md")
    ap.add_argument("--json", metavar="FILE.json")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every test's result")
    args = ap.parse_args(argv)

    quant_run = quant_run_path(args.build)
    if not os.access(quant_run, os.X_OK):
        print(f"error: {quant_run} not found: build quantc (ninja -C build quant-run) "
              "or pass --build", file=sys.stderr)
        return 2
    if not os.path.isdir(args.data):
        print(f"error: no node tests at {args.data} (apt-get install libonnx-testdata)",
              file=sys.stderr)
        return 2
    if args.check_list and args.report:
        print("error: --report needs every test; use it without --check-list", file=sys.stderr)
        return 2

    available = all_tests(args.data)
    listed = read_list(args.list)
    if args.check_list:
        missing = sorted(set(listed) - set(available))
        if missing:
            print(f"error: listed tests not in {args.data}: {' '.join(missing)}", file=sys.stderr)
            return 1
        names = select(listed, args.tests)
    else:
        names = select(available, args.tests)
        if args.tests and not names:
            print(f"error: no test matches {' '.join(args.tests)}", file=sys.stderr)
            return 2
        if args.update_list and args.tests:
            print("error: --update-list runs every test; name none", file=sys.stderr)
            return 2

    t0 = time.perf_counter()
    results = run_tests(names, args.data, quant_run, args.jobs, args.timeout,
                        progress=len(names) > 200)
    wall = time.perf_counter() - t0
    s = summarize(results)

    if args.verbose:
        for r in results.values():
            print(f"{r['status']:<11} {r['name']}  {r['detail']}")
    elif args.check_list:
        for r in results.values():
            if r["status"] != "PASS":
                print(f"{r['status']:<11} {r['name']}  {r['detail']}")
    print(f"{len(results)} tests in {wall:.1f} s: " + ", ".join(f"{s[k]} {k}" for k in STATUSES))

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": s, "results": list(results.values())}, f, indent=1)

    rc = 0
    if args.check_list:
        rc = 0 if s["PASS"] == len(results) else 1
    elif args.update_list:
        passing = {n for n, r in results.items() if r["status"] == "PASS"}
        lost = sorted(set(listed) - passing)
        if lost and not args.allow_shrink:
            print(f"error: {len(lost)} listed tests no longer pass (the list only grows; "
                  "fix them or rerun with --allow-shrink):", file=sys.stderr)
            for n in lost:
                r = results.get(n)
                print(f"  {n}: {r['status'] + ' ' + r['detail'] if r else 'missing'}",
                      file=sys.stderr)
            return 1
        new = passing if args.allow_shrink else passing | set(listed)
        added = sorted(new - set(listed))
        write_list(new, args.list)
        print(f"{args.list}: {len(new)} tests ({len(added)} added, "
              f"{len(set(listed) - new)} removed)")
        listed = sorted(new)
    if args.report:
        command = "scripts/onnx_node_tests.py " + " ".join(
            shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
        write_report(args.report, results, args.data, command, listed)
        print(f"wrote {args.report}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
