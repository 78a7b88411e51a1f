"""Shared fixtures for quantc's end-to-end tests.

The tests drive the command-line tools in $QUANTC_BUILD/bin (default:
<repo>/build/bin). A missing tool is a test FAILURE, never a skip: CI always
builds the tools first (`make check`), so a missing binary means the build
is broken.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL_TIMEOUT_S = 300

# Output of a crashed LLVM tool (assert, signal handler); never acceptable.
CRASH_MARKERS = ("Stack dump", "PLEASE submit a bug report", "Assertion",
                 "LLVM ERROR", "Segmentation fault", "terminate called")


def _load_make_mlp():
    path = REPO_ROOT / "examples" / "mlp" / "make_mlp.py"
    spec = importlib.util.spec_from_file_location("make_mlp", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


make_mlp = _load_make_mlp()


def generate_example(name, out_dir):
    """Runs examples/<name>/make_<name>.py's generate(out_dir): the paths
    of the files it wrote ("model", "test", and "calib" when it has one)."""
    import importlib.util
    path = REPO_ROOT / "examples" / name / f"make_{name}.py"
    spec = importlib.util.spec_from_file_location(f"make_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate(str(out_dir))


def _build_python_dir():
    b = Path(os.environ.get("QUANTC_BUILD", "build"))
    return (b if b.is_absolute() else REPO_ROOT / b) / "python"


# The Python module under test is the one of the build under test (the venv's
# .pth points at the last build made, which may be another one).
sys.path.insert(0, str(_build_python_dir()))


def _build_dir():
    b = Path(os.environ.get("QUANTC_BUILD", "build"))
    return b if b.is_absolute() else (REPO_ROOT / b)


@pytest.fixture(scope="session")
def build_dir():
    """The CMake build directory ($QUANTC_BUILD, relative to the repo root
    when relative; default <repo>/build)."""
    return _build_dir()


@pytest.fixture(scope="session")
def tool(build_dir):
    """tool("quant-run") -> absolute path of the built tool; fails the test
    (not skips) when it is missing."""
    def get(name):
        p = build_dir / "bin" / name
        if not (p.is_file() and os.access(p, os.X_OK)):
            pytest.fail(f"{name} not found at {p}: build quantc first "
                        f"(`make build`, or set QUANTC_BUILD)")
        return str(p)
    return get


def run_cmd(args, **kw):
    """Runs a command, captures text stdout/stderr, never raises on a
    non-zero exit. A timeout fails the test."""
    args = [str(a) for a in args]
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              errors="replace", timeout=TOOL_TIMEOUT_S, **kw)
    except subprocess.TimeoutExpired:
        pytest.fail(f"timed out after {TOOL_TIMEOUT_S}s: {' '.join(args)}")


def describe(res):
    return (f"command: {' '.join(res.args)}\nexit code: {res.returncode}\n"
            f"--- stdout ---\n{res.stdout}\n--- stderr ---\n{res.stderr}")


@pytest.fixture(scope="session")
def run_tool(tool):
    """run_tool("quant-run", arg, ...) -> CompletedProcess (text)."""
    def run(name, *args, **kw):
        return run_cmd([tool(name), *args], **kw)
    return run


@pytest.fixture(scope="session")
def check_ok(run_tool):
    """Like run_tool, but fails the test with the tool's output unless it
    exits 0."""
    def run(name, *args, **kw):
        res = run_tool(name, *args, **kw)
        assert res.returncode == 0, describe(res)
        return res
    return run


@pytest.fixture
def tmp(tmp_path):
    """A fresh per-test directory (alias of tmp_path, as a Path)."""
    return tmp_path


def _generate_mlp(out_dir):
    paths = make_mlp.generate(str(out_dir))
    return SimpleNamespace(dir=Path(out_dir), model=Path(paths["model"]),
                           calib=Path(paths["calib"]), test=Path(paths["test"]))


@pytest.fixture
def mlp(tmp_path):
    """The bundled example generated into this test's tmp dir:
    .model (mlp.onnx), .calib (calib.npz), .test (test.npz), .dir."""
    return _generate_mlp(tmp_path / "mlp")


@pytest.fixture(scope="session")
def mlp_package(tmp_path_factory, check_ok):
    """The example compiled once per session with
    `quant-compile mlp.onnx -o mlp.qcpkg --calib calib.npz`. Tests must only
    read it (copy it to modify). .pkg is the package dir, .compile_stdout the
    printed report, .compile_stderr its progress, plus the fields of the
    `mlp` fixture."""
    d = tmp_path_factory.mktemp("mlp_pkg")
    ex = _generate_mlp(d)
    pkg = d / "mlp.qcpkg"
    res = check_ok("quant-compile", ex.model, "-o", pkg, "--calib", ex.calib)
    ex.pkg = pkg
    ex.compile_stdout = res.stdout
    ex.compile_stderr = res.stderr
    return ex


def find_ptxas():
    """ptxas on PATH or in /usr/local/cuda/bin (where CMake looks), else None."""
    return shutil.which("ptxas") or (
        "/usr/local/cuda/bin/ptxas"
        if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else None)


def ort_run(model_path, inputs):
    """Runs an ONNX model with onnxruntime (CPU, fp32, no graph rewrites that
    could change numerics) -> {output name: array}."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(model_path), so,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, dict(inputs))))


def load_npz(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def rel_rms(y, ref):
    """||y - ref||_2 / ||ref||_2 over all elements (float64)."""
    y = np.asarray(y, np.float64)
    ref = np.asarray(ref, np.float64)
    return float(np.linalg.norm(y - ref) / np.linalg.norm(ref))


def assert_no_crash(res):
    for m in CRASH_MARKERS:
        assert m not in res.stderr, f"tool crashed ({m!r}):\n" + describe(res)
    assert res.returncode >= 0, "killed by a signal:\n" + describe(res)


def pytest_report_header(config):
    return f"quantc build dir: {_build_dir()}"

