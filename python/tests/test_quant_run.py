"""quant-run on each kind of model it accepts: a float .onnx, a .mlir file
from `quant-translate --import-onnx`, and a .qcpkg package.

Float runs are compared with onnxruntime at fp32 tolerance: rtol 1e-4,
atol 1e-5. Both compute in fp32 and differ only in summation order; a K-term
fp32 dot product (K <= 128 here) errs by at most K * 2^-24 * sum|a*b|
(7.6e-6 relative) and typically by sqrt(K) * 2^-24 ~ 1e-6, so rtol 1e-4 is
more than 10x the worst case over the three layers; atol 1e-5 covers logits
near zero, where cancellation makes a relative error meaningless.
"""
import numpy as np
import pytest

from conftest import load_npz, ort_run

FP32_RTOL = 1e-4
FP32_ATOL = 1e-5


def _run(check_ok, model, inputs, out, *extra):
    check_ok("quant-run", model, "--inputs", inputs, "--outputs", out, *extra)
    got = load_npz(out)
    assert set(got) == {"logits"}, f"output keys {sorted(got)}"
    return got["logits"]


@pytest.mark.parametrize("batch", [1, 7, 256])
def test_float_onnx_matches_onnxruntime(batch, mlp, tmp_path, check_ok):
    """The batch dimension is symbolic: any batch size runs."""
    x = load_npz(mlp.test)["x"][:batch]
    inputs = tmp_path / "in.npz"
    np.savez(inputs, x=x)
    got = _run(check_ok, mlp.model, inputs, tmp_path / "out.npz",
               "--device", "cpu")
    ref = ort_run(mlp.model, {"x": x})["logits"]
    assert got.shape == (batch, 10) and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=FP32_RTOL, atol=FP32_ATOL)


def test_imported_mlir_matches_onnxruntime(mlp, tmp_path, check_ok):
    res = check_ok("quant-translate", "--import-onnx", mlp.model)
    assert "func.func @main" in res.stdout, res.stdout[:2000]
    assert "qc." in res.stdout, "no qc ops in the imported IR"
    mlir = tmp_path / "mlp.mlir"
    mlir.write_text(res.stdout)
    got = _run(check_ok, mlir, mlp.test, tmp_path / "out.npz")
    ref = ort_run(mlp.model, load_npz(mlp.test))["logits"]
    np.testing.assert_allclose(got, ref, rtol=FP32_RTOL, atol=FP32_ATOL)
    # The .mlir and the .onnx go through the same Executor: same bits.
    direct = _run(check_ok, mlp.model, mlp.test, tmp_path / "direct.npz")
    np.testing.assert_array_equal(got, direct)


def test_package_runs_are_bit_identical(mlp_package, tmp_path, check_ok):
    a = _run(check_ok, mlp_package.pkg, mlp_package.test, tmp_path / "a.npz")
    b = _run(check_ok, mlp_package.pkg, mlp_package.test, tmp_path / "b.npz")
    assert a.dtype == b.dtype == np.float32
    assert a.tobytes() == b.tobytes(), "two runs of one package differ"


def test_package_batch_rows_are_independent(mlp_package, tmp_path, check_ok):
    """Activations are quantized in blocks of 32 along K, i.e. per row: a
    sample's result cannot depend on the other samples of the batch."""
    x = load_npz(mlp_package.test)["x"]
    full = tmp_path / "full.npz"
    np.savez(full, x=x[:16])
    one = tmp_path / "one.npz"
    np.savez(one, x=x[5:6])
    y16 = _run(check_ok, mlp_package.pkg, full, tmp_path / "y16.npz")
    y1 = _run(check_ok, mlp_package.pkg, one, tmp_path / "y1.npz")
    assert y1.shape == (1, 10)
    np.testing.assert_array_equal(y1[0], y16[5])
