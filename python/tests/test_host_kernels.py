"""quantc.HostKernels: a package's GPU kernels JIT-compiled for this CPU
(lib/Target/Host), and the GPU program run with them
(scripts/qcpkg_program.py's HostBackend). test_gpu_program.py runs every
example package both ways; this file checks that the host run executes
the kernels' own code (a change to one kernel's IR changes the outputs,
where the numpy model cannot notice), and the API's errors."""
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT, generate_example, load_npz, rel_rms
import quantc

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import qcpkg_program as qp  # noqa: E402

CONVERT = "builtin.module(qc-convert-to-gpu{target=sm_90})"


@pytest.fixture(scope="module")
def cnn_int8(tmp_path_factory, check_ok):
    d = tmp_path_factory.mktemp("cnn_int8")
    paths = generate_example("cnn", d / "cnn")
    pkg = d / "cnn.qcpkg"
    check_ok("quant-compile", paths["model"], "--calib", paths["calib"], "-o",
             pkg, "--format", "int8", "--target", "sm_90", "--no-cubin", "-q")
    return pkg, load_npz(paths["test"])


def run_with(kernels, pkg, inputs):
    backend = qp.HostBackend(kernels, qp.NumpyBackend(quantc.numerics))
    return qp.run(qp.Package(pkg), inputs, backend)["logits"], backend


def test_every_kernel_of_an_int8_cnn_runs_on_the_host(cnn_int8):
    pkg, inputs = cnn_int8
    hk = quantc.HostKernels(quantc.Package(pkg))
    assert hk.target == "sm_90"
    # convs with their batch-norm/ReLU/quantize epilogues, dequantize
    # chains, int8 max pooling, global average pooling, copies, the f32
    # head: no tensor-core GEMM.
    assert hk.kernels == hk.all_kernels and len(hk.kernels) >= 10, hk.kernels
    assert any(k.startswith("conv_") for k in hk.kernels), hk.kernels
    got, backend = run_with(hk, pkg, inputs)
    assert backend.modelled == []
    ref = quantc.run(quantc.Package(pkg), inputs)["logits"]
    # The conv kernels sum in fp32 with fma, the Executor through OpenBLAS.
    assert rel_rms(got, ref) < 1e-5, rel_rms(got, ref)


def test_a_changed_kernel_changes_the_host_run(cnn_int8):
    """The host run executes the IR the kernel builders emit: dividing by
    a scale instead of multiplying in conv_0 (the stem, which dequantizes
    its input and weight as it loads them) moves the logits, though the
    numpy model of the program, which never reads the kernels, is
    unchanged."""
    pkg, inputs = cnn_int8
    text = str(quantc.Package(pkg).module().run_pipeline(CONVERT))
    start = text.index("gpu.func @conv_0(")
    end = text.index("gpu.return", start)
    body = text[start:end]
    assert "arith.mulf" in body, body
    bad = text[:start] + body.replace("arith.mulf", "arith.divf", 1) + \
        text[end:]
    good_out, _ = run_with(quantc.HostKernels(quantc.Package(pkg)), pkg, inputs)
    bad_out, _ = run_with(quantc.HostKernels(quantc.parse_mlir(bad)), pkg,
                          inputs)
    assert rel_rms(bad_out, good_out) > 1e-2, rel_rms(bad_out, good_out)


def test_mxfp8_gemms_run_as_warps(check_ok, tmp_path):
    """An sm_89 MXFP8 package: the GEMM kernels (each lane loads its
    fragments, then the warp's mma.sync) run too, their lanes as coroutines
    and the MMA emulated, so no step needs a model; the result matches the
    Executor within the GEMM's fp32 rounding."""
    from conftest import _generate_mlp
    ex = _generate_mlp(tmp_path)
    pkg = tmp_path / "mlp.qcpkg"
    check_ok("quant-compile", ex.model, "-o", pkg, "--calib", ex.calib,
             "--target", "sm_89", "--no-cubin", "-q")
    hk = quantc.HostKernels(quantc.Package(pkg))
    assert any(k.startswith("mxfp8_gemm") for k in hk.kernels), hk.kernels
    assert hk.kernels == hk.all_kernels
    x = load_npz(ex.test)["x"][:37]
    got, backend = run_with(hk, pkg, {"x": x})
    assert backend.modelled == []
    ref = quantc.run(quantc.Package(pkg), {"x": x})["logits"]
    assert rel_rms(got, ref) < 1e-5, rel_rms(got, ref)


@pytest.mark.parametrize("fmt,elem", [
    ("mxfp8", "f8E4M3FN"), ("mxfp4", "f4E2M1FN"), ("mxfp6", "f6E2M3FN"),
    ("mxfp6-e3m2", "f6E3M2FN"), ("mxfp8-e5m2", "f8E5M2")])
def test_mx_quantize_kernels_are_the_numerics(fmt, elem, check_ok, tmp_path):
    """Each MX quantize kernel, launched on blocks built to hit its corners
    (a NaN and an Inf block, zeros, a subnormal amax, huge and tiny
    magnitudes, a short last block), writes the Numerics library's codes
    and E8M0 scales bit for bit."""
    from conftest import _generate_mlp
    ex = _generate_mlp(tmp_path)
    pkg = tmp_path / "mlp.qcpkg"
    check_ok("quant-compile", ex.model, "-o", pkg, "--calib", ex.calib,
             "--format", fmt, "--target", "sm_89", "--no-cubin", "-q")
    hk = quantc.HostKernels(quantc.Package(pkg))
    name = "quantize_mxfp8" if fmt == "mxfp8" else \
        "quantize_mx_" + {"f4E2M1FN": "e2m1", "f6E2M3FN": "e2m3",
                          "f6E3M2FN": "e3m2", "f8E5M2": "e5m2"}[elem]
    assert name in hk.kernels, hk.kernels
    rng = np.random.default_rng(3)
    K = 100  # three full blocks and a short one
    x = (rng.standard_normal((8, K)) *
         np.exp2(rng.integers(-130, 120, (8, 1)))).astype(np.float32)
    x[0, 5] = np.nan
    x[1, 40] = np.inf
    x[2] = 0
    x[3] = np.float32(3e-39)  # subnormal amax
    x[4, :32] = -np.float32(3e38)
    codes = np.full(x.shape, 0xAA, np.uint8)
    scales = np.full((8, 4), 0xAA, np.uint8)
    hk.launch(name, [1], [256], [x, codes, scales, ("i64", 32), ("i32", K)])
    rc, rs = quantc.numerics.quantize_mx(x, elem, 32)
    np.testing.assert_array_equal(scales, rs)
    np.testing.assert_array_equal(codes, rc)


def test_sm120a_package_runs_on_the_host(mlp_package):
    """The default package's first target, sm_120a: its MXFP8 GEMMs scale
    in the tensor core (mma.sync kind::mxf8f6f4.block_scale, emulated with
    the PTX ISA's scale-factor layout), so every kernel runs here and the
    program matches the Executor. quant-kernel-gen's FP4 GEMM (kind::mxf4,
    m16n8k64, not in packages) runs too; an FP4 kind on sm_89 is refused
    at build time, so nothing is left to refuse here."""
    hk = quantc.HostKernels(quantc.Package(mlp_package.pkg))
    assert hk.target == "sm_120a"
    gemms = [k for k in hk.all_kernels if k.startswith("mxfp8_gemm")]
    assert gemms and hk.kernels == hk.all_kernels, hk.all_kernels
    x = np.random.default_rng(4).standard_normal((5, 64)).astype(np.float32)
    backend = qp.HostBackend(hk)
    got = qp.run(qp.Package(mlp_package.pkg), {"x": x}, backend)["logits"]
    assert backend.modelled == []
    ref = quantc.run(quantc.Package(mlp_package.pkg), {"x": x})["logits"]
    # The emulated MMA sums a block's scaled products in double, rounded
    # once; the Executor sums the dequantized f32 products in f32.
    assert rel_rms(got, ref) < 1e-5, rel_rms(got, ref)
    fp4 = quantc.parse_mlir(run_kernel_gen("--target", "sm_120a", "--kernel",
                                           "mxfp4-gemm"))
    h4 = quantc.HostKernels(fp4)
    assert h4.kernels == ["mxfp4_gemm"], h4.why_not("mxfp4_gemm")


def run_kernel_gen(*args):
    import subprocess
    from conftest import _build_dir
    gen = _build_dir() / "bin" / "quant-kernel-gen"
    return subprocess.run([str(gen), *args], check=True, capture_output=True,
                          text=True).stdout


def test_launch_checks_its_arguments(mlp_package):
    hk = quantc.HostKernels(quantc.Package(mlp_package.pkg))
    x = np.linspace(-3, 3, 64, dtype=np.float32).reshape(1, 64)
    codes = np.zeros(64, np.uint8)
    scales = np.zeros(2, np.uint8)
    # quantize_mxfp8(X, codes, scales, blocks: i64, K: i32): the Numerics
    # library's codes and scales, bit for bit.
    hk.launch("quantize_mxfp8", [1], [256],
              [x, codes, scales, ("i64", 2), ("i32", 64)])
    rc, rs = quantc.numerics.quantize_mx(x, "f8E4M3FN", 32)
    np.testing.assert_array_equal(codes, rc.reshape(-1))
    np.testing.assert_array_equal(scales, rs.reshape(-1))
    with pytest.raises(quantc.Error, match="takes 5 arguments, got 1"):
        hk.launch("quantize_mxfp8", [1], [1], [x])
    with pytest.raises(quantc.Error, match="argument 3 must be an i64"):
        hk.launch("quantize_mxfp8", [1], [1],
                  [x, codes, scales, ("i32", 2), ("i32", 64)])
    with pytest.raises(quantc.Error, match="must be positive"):
        hk.launch("quantize_mxfp8", [0], [1],
                  [x, codes, scales, ("i64", 2), ("i32", 64)])
    with pytest.raises(ValueError, match="C-contiguous"):
        hk.launch("quantize_mxfp8", [1], [1],
                  [x[:, ::2], codes, scales, ("i64", 1), ("i32", 32)])
    with pytest.raises(TypeError, match="argument 3"):
        hk.launch("quantize_mxfp8", [1], [1], [x, codes, scales, 2, 64])
    with pytest.raises(ValueError, match="grid takes 1 to 3"):
        hk.launch("quantize_mxfp8", [1, 1, 1, 1], [1],
                  [x, codes, scales, ("i64", 2), ("i32", 64)])


def test_a_module_without_kernels_is_refused(mlp_package):
    with pytest.raises(quantc.Error, match="no gpu.module"):
        quantc.HostKernels(quantc.Package(mlp_package.pkg).module())
    with pytest.raises(TypeError):
        quantc.HostKernels("model.onnx")


def test_tensor_map_checks_what_the_driver_checks():
    """HostKernels.tensor_map takes the array's shape and strides (its last
    axis contiguous) and refuses what cuTensorMapEncodeTiled would."""
    a = np.zeros((4, 64), np.uint8)
    m = quantc.HostKernels.tensor_map(a, [4, 64])
    assert m.dtype == np.uint8 and m.shape == (128,)
    with pytest.raises(ValueError, match="last axis must be contiguous"):
        quantc.HostKernels.tensor_map(np.zeros((64, 4), np.uint8).T, [4, 4])
    with pytest.raises(ValueError, match="2 box extents"):
        quantc.HostKernels.tensor_map(a, [4])
    with pytest.raises(quantc.Error, match="swizzle 48 bytes"):
        quantc.HostKernels.tensor_map(a, [4, 64], swizzle=48)
    with pytest.raises(quantc.Error, match="exceeds the swizzle span"):
        quantc.HostKernels.tensor_map(np.zeros((4, 256), np.uint8), [4, 256],
                                      swizzle=128)
    with pytest.raises(quantc.Error, match="stride 1 = 24 bytes"):
        quantc.HostKernels.tensor_map(np.zeros((4, 24), np.uint8), [4, 16])
