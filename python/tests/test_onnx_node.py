"""ONNX backend node tests (Debian's libonnx-testdata) on the Executor.

Every test in test/onnx-node/passing.txt runs through quant-run and must
match ONNX's expected outputs (one pytest test each; the comparison is the
runner's: scripts/onnx_node_tests.py). The list only grows: regenerate it
with `scripts/onnx_node_tests.py --update-list --report docs/OnnxNodeTests.md`.

The runner itself is tested on small synthetic node tests: a right and a
wrong expected output, a dtype and a NaN mismatch, an unsupported op, and a
stand-in quant-run that crashes, hangs or fails, so that every class it
reports is seen to be reachable.
"""
import importlib.util
import os
import stat
import subprocess
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "onnx_node_tests.py"
_spec = importlib.util.spec_from_file_location("onnx_node_tests", SCRIPT)
nt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nt)

LISTED = nt.read_list(nt.LIST_FILE)


@pytest.fixture(scope="session")
def data_dir():
    # `make deps` installs libonnx-testdata: missing data is a broken setup.
    if not os.path.isdir(nt.DATA_DIR):
        pytest.fail(f"no ONNX node tests at {nt.DATA_DIR}: apt-get install libonnx-testdata")
    return nt.DATA_DIR


@pytest.fixture(scope="session")
def quant_run(tool):
    return tool("quant-run")


@pytest.mark.parametrize("name", LISTED)
def test_listed_node_test_passes(name, data_dir, quant_run):
    r = nt.run_test(os.path.join(data_dir, name), quant_run)
    assert r["status"] == "PASS", f"{name} ({', '.join(r['ops'])}): {r['status']}: {r['detail']}"


def test_pass_list_is_sorted_unique_and_exists(data_dir):
    with open(nt.LIST_FILE) as f:
        lines = [ln.rstrip("\n") for ln in f]
    names = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    assert names, "the pass list is empty"
    assert all(n == n.strip() for n in names), "stray whitespace in the pass list"
    assert names == sorted(set(names)), "the pass list must be sorted and unique"
    missing = [n for n in names if not os.path.isfile(os.path.join(data_dir, n, "model.onnx"))]
    assert not missing, f"listed tests not in {data_dir}: {missing}"


# ---------------------------------------------------------------------------
# The runner on synthetic tests


def _write_test(root, name, nodes, inputs, outputs, expected, opset=17):
    """A node test dir: model.onnx plus test_data_set_0 with the given input
    arrays and expected output arrays."""
    d = root / name
    ds = d / "test_data_set_0"
    ds.mkdir(parents=True)
    vi = lambda n, a: helper.make_tensor_value_info(
        n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
    graph = helper.make_graph(nodes, name,
                              [vi(n, a) for n, a in inputs],
                              [vi(n, a) for n, a in zip(outputs, expected)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    (d / "model.onnx").write_bytes(model.SerializeToString())
    for i, (n, a) in enumerate(inputs):
        (ds / f"input_{i}.pb").write_bytes(numpy_helper.from_array(a, n).SerializeToString())
    for i, a in enumerate(expected):
        (ds / f"output_{i}.pb").write_bytes(
            numpy_helper.from_array(a, outputs[i]).SerializeToString())
    return d


@pytest.fixture
def synthetic(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    add = [helper.make_node("Add", ["a", "b"], ["y"])]
    ins = [("a", a), ("b", b)]
    root = tmp_path / "node"
    _write_test(root, "t_pass", add, ins, ["y"], [a + b])
    off = (a + b).copy()
    off[1, 2] += 0.01  # 1e-2 absolute, far beyond rtol 1e-3 of values ~1
    _write_test(root, "t_wrong", add, ins, ["y"], [off])
    _write_test(root, "t_dtype", add, ins, ["y"], [(a + b).astype(np.float64)])
    an = a.copy()
    an[0, 0] = np.nan
    nan_ref = an + b
    nan_ref[0, 0] = 0.0  # NaN in the result, a number in the reference
    _write_test(root, "t_nan", add, [("a", an), ("b", b)], ["y"], [nan_ref])
    _write_test(root, "t_unsupported", [helper.make_node("NoSuchOp", ["a"], ["y"])],
                [("a", a)], ["y"], [a])
    return root


def test_runner_classifies(synthetic, quant_run):
    got = {d.name: nt.run_test(str(d), quant_run) for d in sorted(synthetic.iterdir())}
    assert got["t_pass"]["status"] == "PASS", got["t_pass"]
    assert got["t_pass"]["ops"] == ["Add"] and got["t_pass"]["opset"] == 17
    assert got["t_wrong"]["status"] == "FAIL" and "Mismatch" in got["t_wrong"]["detail"]
    assert got["t_dtype"]["status"] == "FAIL" and "dtype float32" in got["t_dtype"]["detail"]
    assert got["t_nan"]["status"] == "FAIL" and "nan" in got["t_nan"]["detail"].lower()
    u = got["t_unsupported"]
    assert u["status"] == "UNSUPPORTED" and "NoSuchOp" in u["detail"], u


def _fake_quant_run(tmp_path, body):
    p = tmp_path / "fake-quant-run"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return str(p)


@pytest.mark.parametrize("body,status,detail", [
    ("kill -SEGV $$", "FAIL", "crash: signal SIGSEGV"),
    ("echo 'Assertion `x' failed. >&2; exit 3", "FAIL", "crash"),
    ("sleep 30", "FAIL", "timeout after 1 s"),
    ("echo 'quant-run: error: something broke' >&2; exit 1", "ERROR", "something broke"),
    ("exit 0", "FAIL", "wrote no outputs"),
])
def test_runner_catches_crash_timeout_error(synthetic, tmp_path, body, status, detail):
    fake = _fake_quant_run(tmp_path, body)
    r = nt.run_test(str(synthetic / "t_pass"), fake, timeout=1)
    assert r["status"] == status and detail in r["detail"], r


def _cli(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_check_list_fails_on_a_failing_entry(synthetic, tmp_path, build_dir):
    lst = tmp_path / "list.txt"
    lst.write_text("t_pass\n")
    common = ["--data", synthetic, "--build", build_dir, "--list", lst]
    ok = _cli("--check-list", *common)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lst.write_text("t_pass\nt_wrong\n")
    bad = _cli("--check-list", *common)
    assert bad.returncode == 1 and "FAIL" in bad.stdout and "t_wrong" in bad.stdout
    lst.write_text("t_gone\n")
    gone = _cli("--check-list", *common)
    assert gone.returncode == 1 and "t_gone" in gone.stderr


def test_update_list_only_grows(synthetic, tmp_path, build_dir):
    lst = tmp_path / "list.txt"
    lst.write_text("t_wrong\n")
    common = ["--data", synthetic, "--build", build_dir, "--list", lst]
    refused = _cli("--update-list", *common)
    assert refused.returncode == 1 and "no longer pass" in refused.stderr
    assert lst.read_text() == "t_wrong\n", "a refused update must not write"
    report = tmp_path / "report.md"
    shrunk = _cli("--update-list", "--allow-shrink", "--report", report, *common)
    assert shrunk.returncode == 0, shrunk.stdout + shrunk.stderr
    assert lst.read_text() == "t_pass\n"
    text = report.read_text()
    assert "| Add | 1 / 4 | 3 |" in text, text
    assert "| NoSuchOp | 0 / 1 |  |  | 1 |" in text, text
    lst.write_text("")
    grown = _cli("--update-list", *common)
    assert grown.returncode == 0 and lst.read_text() == "t_pass\n"
