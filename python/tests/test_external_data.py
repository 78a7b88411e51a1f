"""Models whose weights are ONNX external data (docs/ExternalData.md).

The bundled MLP saved with every initializer in an external file must give
exactly what the same model with inline weights gives: quant-run bit for bit
(the Executor reads the same f32 values, through a mapping instead of the
protobuf), quant-compile an identical weights.bin. Against onnxruntime the
fp32 tolerance of test_quant_run.py applies (rtol 1e-4, atol 1e-5; only the
summation order differs).

Bad external data (DESIGN §7) must give exit code 1, a message naming the
model file, the initializer, the location and the node using it, and no
output file.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest

from conftest import REPO_ROOT, assert_no_crash, load_npz, ort_run

FP32_RTOL = 1e-4
FP32_ATOL = 1e-5
MAKE_EXTERNAL = REPO_ROOT / "test" / "Import" / "Onnx" / "Inputs" / "make_external.py"


def _externalize(src, out_dir):
    """src saved with all initializers in one external file weights.bin."""
    out_dir.mkdir(parents=True, exist_ok=True)
    m = onnx.load(str(src))
    path = out_dir / "model.onnx"
    onnx.save_model(m, str(path), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=0)
    return path


def test_mlp_external_matches_inline_and_onnxruntime(mlp, tmp_path, check_ok):
    ext = _externalize(mlp.model, tmp_path / "ext")
    assert (tmp_path / "ext" / "weights.bin").stat().st_size > 0
    assert ext.stat().st_size < 4096, "weights should not be inside the model"
    x = load_npz(mlp.test)["x"][:16]
    inputs = tmp_path / "in.npz"
    np.savez(inputs, x=x)
    check_ok("quant-run", ext, "--inputs", inputs, "--outputs",
             tmp_path / "ext.npz")
    check_ok("quant-run", mlp.model, "--inputs", inputs, "--outputs",
             tmp_path / "inl.npz")
    got, inline = load_npz(tmp_path / "ext.npz"), load_npz(tmp_path / "inl.npz")
    assert set(got) == set(inline) == {"logits"}
    np.testing.assert_array_equal(got["logits"], inline["logits"])
    ref = ort_run(ext, {"x": x})["logits"]
    np.testing.assert_allclose(got["logits"], ref, rtol=FP32_RTOL,
                               atol=FP32_ATOL)


def test_import_prints_resources_elided_unless_asked(mlp, tmp_path, check_ok):
    ext = _externalize(mlp.model, tmp_path / "ext")
    # Over the limit (the MLP has 75 KiB of weights): no blob data at all.
    elided = check_ok("quant-translate", "--import-onnx",
                      "--elide-weights-over=65536", ext).stdout
    assert "dense_resource<fc1.weight> : tensor<64x128xf32>" in elided
    assert "dialect_resources" not in elided and len(elided) < 8192
    full = tmp_path / "full.mlir"
    check_ok("quant-translate", "--import-onnx", "--print-weights",
             "--elide-weights-over=0", ext, "-o", full)
    text = full.read_text()
    assert "fc1.weight: \"0x04000000" in text  # alignment 4, then data
    # Under the default limit (64 MiB) everything is printed.
    default = check_ok("quant-translate", "--import-onnx", ext).stdout
    assert "fc1.weight: \"0x04000000" in default
    # The fully printed module parses and runs like the model.
    x = load_npz(mlp.test)["x"][:4]
    np.savez(tmp_path / "in.npz", x=x)
    check_ok("quant-run", full, "--inputs", tmp_path / "in.npz", "--outputs",
             tmp_path / "mlir.npz")
    check_ok("quant-run", mlp.model, "--inputs", tmp_path / "in.npz",
             "--outputs", tmp_path / "onnx.npz")
    np.testing.assert_array_equal(load_npz(tmp_path / "mlir.npz")["logits"],
                                  load_npz(tmp_path / "onnx.npz")["logits"])


def test_compile_external_equals_inline(mlp, tmp_path, check_ok):
    ext = _externalize(mlp.model, tmp_path / "ext")
    check_ok("quant-compile", ext, "-o", tmp_path / "ext.qcpkg", "--calib",
             mlp.calib)
    check_ok("quant-compile", mlp.model, "-o", tmp_path / "inl.qcpkg",
             "--calib", mlp.calib)
    a = (tmp_path / "ext.qcpkg" / "weights.bin").read_bytes()
    b = (tmp_path / "inl.qcpkg" / "weights.bin").read_bytes()
    assert a == b
    x = load_npz(mlp.test)["x"][:8]
    np.savez(tmp_path / "in.npz", x=x)
    check_ok("quant-run", tmp_path / "ext.qcpkg", "--inputs",
             tmp_path / "in.npz", "--outputs", tmp_path / "pkg.npz",
             "--device", "cpu")
    assert load_npz(tmp_path / "pkg.npz")["logits"].shape == (8, 10)


def _make(kind, out_dir):
    subprocess.run([sys.executable, str(MAKE_EXTERNAL), kind, str(out_dir)],
                   check=True)
    return out_dir / "model.onnx"


def test_shared_file_and_sparse_offset(tmp_path, check_ok):
    """Two tensors in one file (one mapping), one in another; and a tensor at
    a 1 GiB offset of a sparse file."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 256)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x)
    for kind in ("good", "sparse"):
        model = _make(kind, tmp_path / kind)
        out = tmp_path / f"{kind}.npz"
        check_ok("quant-run", model, "--inputs", tmp_path / "in.npz",
                 "--outputs", out)
        ref = ort_run(model, {"x": x})["y"]
        np.testing.assert_allclose(load_npz(out)["y"], ref, rtol=FP32_RTOL,
                                   atol=FP32_ATOL)


BAD = {
    "absolute": ("'w1'", "the location is an absolute path", "node #0 'fc1' (MatMul)"),
    "dotdot": ("'w1'", "external data 'sub/../weights.bin': the location has a '..' component", "node #0 'fc1' (MatMul)"),
    "symlink": ("'w1'", "external data 'link.bin': the file resolves to", "outside the model's directory"),
    "hardlink": ("'w1'", "external data 'hard.bin': the file has 2 hard links", "node #0 'fc1' (MatMul)"),
    "offset_past_eof": ("'b1'", "offset 1048576 is past the end of the file (65792 bytes)", "node #1 'fc1_bias' (Add)"),
    "length_past_eof": ("'b1'", "offset 65536 + length 4096 = 69632 is past the end of the file", "node #1 'fc1_bias' (Add)"),
    "length_mismatch": ("'b1'", "length is 128 bytes, but shape [64] of FLOAT needs 256", "node #1 'fc1_bias' (Add)"),
    "missing": ("'w2'", "external data 'nowhere.bin': cannot open the file: No such file or directory", "node #3 'fc2' (Gemm)"),
    "directory": ("'w2'", "external data 'adir': 'adir' is not a regular file", "node #3 'fc2' (Gemm)"),
    "bad_offset": ("'b1'", "'offset' is '-4', not a non-negative integer", "node #1 'fc1_bias' (Add)"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("tool_name", ["quant-translate", "quant-run"])
def test_bad_external_data(kind, tool_name, tmp_path, run_tool):
    model = _make(kind, tmp_path / "m")
    out = tmp_path / ("out.mlir" if tool_name == "quant-translate" else "out.npz")
    if tool_name == "quant-translate":
        res = run_tool("quant-translate", "--import-onnx", model, "-o", out)
    else:
        np.savez(tmp_path / "in.npz", x=np.zeros((2, 256), np.float32))
        res = run_tool("quant-run", model, "--inputs", tmp_path / "in.npz",
                       "--outputs", out)
    assert_no_crash(res)
    assert res.returncode == 1, res.stderr
    assert str(model) in res.stderr
    for part in ("initializer " + BAD[kind][0],) + BAD[kind][1:]:
        assert part in res.stderr, res.stderr
    assert not out.exists()
