"""libquantc_rt (runtime/, docs/Runtime.md) outside the quantc build.

- runtime/ configures and builds on its own with CMake + Ninja and the CUDA
  headers (no MLIR, no LLVM, no CUDA runtime, no libcuda at link time);
- the C embedding example (runtime/examples/run_package.c) compiles and
  links against the built library with a plain C compiler, and the C++
  wrapper compiles under -fno-exceptions -fno-rtti;
- the example and `quant-run --device cuda` open packages that
  quant-compile wrote (the runtime checks the whole contract) and, on a
  machine without a GPU, stop at the session with a clear message and exit
  code 1; on a machine with one, they run.
"""
import ctypes
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, describe, load_npz, run_cmd

RUNTIME = REPO_ROOT / "runtime"
CUDA_INCLUDE = Path(os.environ.get("CUDA_HOME", "/usr/local/cuda")) / "include"


def gpu_available():
    """True when libcuda.so.1 loads, cuInit succeeds and a device exists."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return (cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0
            and count.value > 0)


HAVE_GPU = gpu_available()
NO_GPU_STATUSES = ("QCRT_ERROR_NO_DRIVER", "QCRT_ERROR_NO_DEVICE")


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """runtime/ configured and built alone into a temporary directory."""
    if not shutil.which("cmake") or not shutil.which("ninja"):
        pytest.skip("cmake or ninja not installed")
    if not (CUDA_INCLUDE / "cuda.h").is_file():
        pytest.skip(f"no cuda.h in {CUDA_INCLUDE}")
    build = tmp_path_factory.mktemp("rtbuild")
    res = run_cmd(["cmake", "-S", RUNTIME, "-B", build, "-G", "Ninja",
                   "-DCMAKE_BUILD_TYPE=Release"])
    assert res.returncode == 0, describe(res)
    res = run_cmd(["cmake", "--build", build])
    assert res.returncode == 0, describe(res)
    return build


def test_standalone_build_has_no_cuda_link_dependency(standalone):
    lib = standalone / "libquantc_rt.a"
    assert lib.is_file()
    example = standalone / "qcrt-run-package"
    assert example.is_file() and os.access(example, os.X_OK)
    # The driver is opened with dlopen: no cu* symbol is left undefined.
    nm = shutil.which("nm")
    if nm:
        res = run_cmd([nm, "-u", lib])
        assert res.returncode == 0, describe(res)
        undefined = [line.split()[-1] for line in res.stdout.splitlines()
                     if line.strip()]
        assert not [s for s in undefined if s.startswith("cu")], undefined
    readelf = shutil.which("readelf")
    if readelf:
        res = run_cmd([readelf, "-d", example])
        assert "libcuda" not in res.stdout and "libcudart" not in res.stdout


def test_c_example_links_with_a_c_compiler(standalone, tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler")
    obj = tmp_path / "run_package.o"
    res = run_cmd([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                   "-I", RUNTIME / "include", "-c",
                   RUNTIME / "examples" / "run_package.c", "-o", obj])
    assert res.returncode == 0, describe(res)
    exe = tmp_path / "run_package"
    res = run_cmd(["c++", obj, standalone / "libquantc_rt.a", "-ldl",
                   "-lpthread", "-o", exe])
    assert res.returncode == 0, describe(res)
    res = run_cmd([exe])
    assert res.returncode == 2 and "usage:" in res.stderr, describe(res)
    res = run_cmd([exe, tmp_path / "missing.qcpkg"])
    assert res.returncode == 1, describe(res)
    assert "qcrt_package_open failed: QCRT_ERROR_IO" in res.stderr, describe(res)


def test_cpp_wrapper_compiles_without_exceptions_or_rtti(standalone, tmp_path):
    src = tmp_path / "wrap.cpp"
    src.write_text(
        '#include "quantc_rt.hpp"\n#include <cstdio>\n'
        "int main(int argc, char **argv) {\n"
        "  quantc_rt::Package pkg;\n"
        "  quantc_rt::Status st = quantc_rt::Package::open(argc > 1 ? argv[1] : \"\", pkg);\n"
        "  if (!st) { std::fprintf(stderr, \"%s: %s\\n\", st.codeName(), st.message().c_str()); return 1; }\n"
        "  quantc_rt::Session sess;\n"
        "  st = quantc_rt::Session::create(pkg, 0, sess);\n"
        "  std::printf(\"%zu inputs; session: %s\\n\", pkg.numInputs(), st.codeName());\n"
        "  return 0;\n}\n")
    exe = tmp_path / "wrap"
    res = run_cmd(["c++", "-std=c++17", "-fno-exceptions", "-fno-rtti", "-Wall",
                   "-Werror", "-I", RUNTIME / "include", src,
                   standalone / "libquantc_rt.a", "-ldl", "-lpthread", "-o", exe])
    assert res.returncode == 0, describe(res)
    res = run_cmd([exe, tmp_path / "none.qcpkg"])
    assert res.returncode == 1 and "QCRT_ERROR_IO" in res.stderr, describe(res)


@pytest.fixture(scope="module")
def gpu_mlp(tmp_path_factory, check_ok):
    """The example MLP compiled for sm_89 and sm_90 (PTX only)."""
    from conftest import _generate_mlp
    d = tmp_path_factory.mktemp("rt_mlp")
    ex = _generate_mlp(d)
    pkg = d / "mlp.qcpkg"
    check_ok("quant-compile", ex.model, "-o", pkg, "--calib", ex.calib,
             "--target", "sm_89,sm_90", "--no-cubin", "-q")
    return ex, pkg


def test_example_opens_a_compiled_package(standalone, gpu_mlp):
    _, pkg = gpu_mlp
    res = run_cmd([standalone / "qcrt-run-package", pkg, "3"])
    # The package passed every check of the runtime.
    assert "input 0: x f32 [-1, 64]" in res.stdout, describe(res)
    assert "output 0: logits f32 [-1, 10]" in res.stdout, describe(res)
    if HAVE_GPU:
        assert res.returncode == 0, describe(res)
        assert "logits:" in res.stdout and "(30 elements)" in res.stdout
    else:
        assert res.returncode == 1, describe(res)
        assert "qcrt_session_create failed: " in res.stderr, describe(res)
        assert any(s in res.stderr for s in NO_GPU_STATUSES), describe(res)


def test_runtime_opens_the_cnn_and_refuses_gpt2(standalone, check_ok,
                                                tmp_path):
    """Packages of the other examples: the CNN's program (conv, pooling,
    copies, a cubin when ptxas is there) passes the runtime's checks; GPT-2
    has no program, so a session is refused with the ops that lack a
    kernel."""
    import sys
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from gpu_run_prepare import load_example
    paths = load_example("cnn").generate(str(tmp_path / "cnn"))
    cnn = tmp_path / "cnn.qcpkg"
    check_ok("quant-compile", paths["model"], "--calib", paths["calib"],
             "-o", cnn, "--target", "sm_90", "-q")
    res = run_cmd([standalone / "qcrt-run-package", cnn, "2"])
    assert "input 0: x f32 [-1, 3, 32, 32]" in res.stdout, describe(res)
    assert "qcrt_package_open failed" not in res.stderr, describe(res)
    assert res.returncode == (0 if HAVE_GPU else 1), describe(res)

    paths = load_example("gpt2").generate(str(tmp_path / "gpt2"))
    gpt2 = tmp_path / "gpt2.qcpkg"
    check_ok("quant-compile", paths["model"], "--calib", paths["test"],
             "-o", gpt2, "--no-cubin", "-q")
    res = run_cmd([standalone / "qcrt-run-package", gpt2])
    assert res.returncode == 1, describe(res)
    assert "input 0: input_ids i64 [-1, -1]" in res.stdout, describe(res)
    assert ("qcrt_session_create failed: QCRT_ERROR_UNSUPPORTED: " in res.stderr
            and "the package has no GPU program: no GPU kernel for " in res.stderr
            and "qc.range x1" in res.stderr), describe(res)


def test_quant_run_cuda(gpu_mlp, run_tool, tmp_path):
    ex, pkg = gpu_mlp
    x = load_npz(ex.test)["x"][:5]
    np.savez(tmp_path / "in.npz", x=x)
    out = tmp_path / "out.npz"
    res = run_tool("quant-run", pkg, "--inputs", tmp_path / "in.npz",
                   "--outputs", out, "--device", "cuda", "--repeat", "3",
                   "--time")
    if not HAVE_GPU:
        assert res.returncode == 1, describe(res)
        assert "quant-run: cannot run on cuda: " in res.stderr, describe(res)
        assert any(s in res.stderr for s in NO_GPU_STATUSES), describe(res)
        assert not out.exists()
        return
    assert res.returncode == 0, describe(res)
    assert "quant-run: cuda (" in res.stderr and "median" in res.stderr
    cpu = tmp_path / "cpu.npz"
    res = run_tool("quant-run", pkg, "--inputs", tmp_path / "in.npz",
                   "--outputs", cpu)
    assert res.returncode == 0, describe(res)
    got, ref = load_npz(out)["logits"], load_npz(cpu)["logits"]
    assert got.shape == ref.shape == (5, 10)
    assert np.allclose(got, ref, rtol=1e-3, atol=1e-3)


def test_quant_run_cuda_errors(gpu_mlp, run_tool, tmp_path):
    ex, pkg = gpu_mlp
    out = tmp_path / "out.npz"
    # Not a package.
    res = run_tool("quant-run", ex.model, "--inputs", ex.test, "--outputs", out,
                   "--device", "cuda")
    assert res.returncode == 1, describe(res)
    assert "cannot run on cuda: " in res.stderr
    assert "is not a package directory" in res.stderr
    # A wrong input shape is found before the GPU is touched.
    np.savez(tmp_path / "bad.npz", x=np.zeros((2, 63), np.float32))
    res = run_tool("quant-run", pkg, "--inputs", tmp_path / "bad.npz",
                   "--outputs", out, "--device", "cuda:0")
    assert res.returncode == 1, describe(res)
    assert "does not match the package's [-1, 64] in dimension 1" in res.stderr
    # A bad device spelling.
    res = run_tool("quant-run", pkg, "--inputs", tmp_path / "bad.npz",
                   "--outputs", out, "--device", "cuda:one")
    assert res.returncode == 1 and "cuda:N" in res.stderr, describe(res)
    assert not out.exists()
