"""The Python module `quantc`: compile, run, import and inspect, against the
command-line tools on the same inputs (the module and the tools run the same
C++ API, so their results must be identical, not merely close)."""
import json
import re
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import quantc
from conftest import REPO_ROOT, load_npz


@pytest.fixture(scope="module")
def mlp_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlp")
    subprocess.run([sys.executable, str(REPO_ROOT / "examples/mlp/make_mlp.py"),
                    "--out-dir", str(d)], check=True, capture_output=True)
    return d


def tree(pkg):
    """{relative path: bytes} of a package directory."""
    return {str(p.relative_to(pkg)): p.read_bytes()
            for p in sorted(pkg.rglob("*")) if p.is_file()}


def test_import_from_the_venv():
    """`.venv/bin/python -c 'import quantc'` works from the project root."""
    res = subprocess.run([str(REPO_ROOT / ".venv/bin/python"), "-c",
                          "import quantc; print(quantc.scheme_presets()[0])"],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "mxfp8"


def test_compile_matches_quant_compile(mlp_files, tmp_path, run_tool):
    model, calib = mlp_files / "mlp.onnx", mlp_files / "calib.npz"
    steps = []
    pkg = quantc.compile(model, calib, output=tmp_path / "py.qcpkg",
                         progress=lambda s, n, msg: steps.append((s, n, msg)))
    res = run_tool("quant-compile", model, "-o", tmp_path / "cli.qcpkg",
                   "--calib", calib, "-q")
    assert res.returncode == 0, res.stderr
    # Same package, byte for byte, but for the output path in the report.
    py, cli = tree(pkg.path), tree(tmp_path / "cli.qcpkg")
    assert sorted(py) == sorted(cli)
    for name in py:
        assert py[name] == cli[name], name
    assert pkg.report == json.loads(cli["report.json"])
    assert pkg.summary.replace("py.qcpkg", "X") == \
        res.stdout.replace("cli.qcpkg", "X")
    # Progress: five numbered steps, in order.
    assert [s for s, _, _ in steps] == [1, 2, 3, 4, 5]
    assert all(n == 5 for _, n, _ in steps)
    assert steps[0][2].startswith("importing")
    # Report as a dict.
    assert [l["name"] for l in pkg.report["layers"]] == ["fc1", "fc2", "fc3"]
    assert pkg.report["accuracy"]["cosine_similarity"] > 0.99
    assert pkg.manifest["format_version"] == pkg.report["format_version"]
    assert any(p.suffix == ".ptx" for p in pkg.kernel_files)


def test_calibration_arrays_equal_calibration_file(mlp_files, tmp_path):
    model, calib = mlp_files / "mlp.onnx", mlp_files / "calib.npz"
    a = quantc.compile(model, calib, targets=(), output=tmp_path / "a.qcpkg")
    b = quantc.compile(model, dict(np.load(calib)), targets=[],
                       output=tmp_path / "b.qcpkg")
    assert tree(a.path) == tree(b.path)
    assert a.report["targets"] == []


def test_sm100a_target_through_the_module(mlp_files, tmp_path):
    """targets=("sm_100a",): the package's kernels are for datacenter
    Blackwell, its MXFP8 GEMMs the tcgen05 kernel (as quant-compile
    --target sm_100a makes them), and the report names its instruction."""
    pkg = quantc.compile(mlp_files / "mlp.onnx", mlp_files / "calib.npz",
                         targets=("sm_100a",), output=tmp_path / "b.qcpkg",
                         accuracy=False, emit_cubin=False)
    assert pkg.report["targets"] == ["sm_100a"]
    steps = pkg.manifest["program"]["steps"]
    gemms = [s["kernel"] for s in steps if s["kernel"].startswith("mxfp8_gemm")]
    assert gemms and all(k.startswith("mxfp8_gemm_tc") for k in gemms), gemms
    ptx = (pkg.path / "kernels" / "sm_100a.ptx").read_text()
    assert ".target sm_100a" in ptx and "tcgen05.mma" in ptx
    insns = {k.get("instruction") for k in pkg.report["kernels"]
             if k["name"].startswith("mxfp8_gemm")}
    assert insns and all(i.startswith("tcgen05.mma.cta_group::1.kind::"
                                      "mxf8f6f4.block_scale") for i in insns)


def test_accuracy_false_skips_the_accuracy_run(mlp_files, tmp_path):
    """accuracy=False (quant-compile --no-accuracy): the same weights and
    graph, report["accuracy"] None."""
    model, calib = mlp_files / "mlp.onnx", mlp_files / "calib.npz"
    a = quantc.compile(model, calib, targets=(), output=tmp_path / "a.qcpkg")
    b = quantc.compile(model, calib, targets=(), output=tmp_path / "b.qcpkg",
                       accuracy=False)
    assert a.report["accuracy"]["samples"] > 0 and b.report["accuracy"] is None
    ta, tb = tree(a.path), tree(b.path)
    for f in ("weights.bin", "graph.mlir", "manifest.json"):
        assert ta[f] == tb[f], f


def test_default_output_is_a_fresh_directory(mlp_files):
    pkg = quantc.compile(mlp_files / "mlp.onnx", calib_random=4, seed=1,
                         targets="none")
    try:
        assert pkg.path.name == "mlp.qcpkg" and pkg.path.is_dir()
        assert pkg.report["accuracy"]["samples"] == 4
    finally:
        import shutil
        shutil.rmtree(pkg.path.parent)


def test_run_matches_quant_run(mlp_files, tmp_path, run_tool):
    model, test = mlp_files / "mlp.onnx", mlp_files / "test.npz"
    inputs = dict(np.load(test))
    out = quantc.run(model, inputs)
    res = run_tool("quant-run", model, "--inputs", test, "--outputs",
                   tmp_path / "o.npz")
    assert res.returncode == 0, res.stderr
    cli = load_npz(tmp_path / "o.npz")
    assert list(out) == ["logits"]
    np.testing.assert_array_equal(out["logits"], cli["logits"])
    assert out["logits"].dtype == np.float32 and out["logits"].flags.writeable

    pkg = quantc.compile(model, mlp_files / "calib.npz", targets=(),
                         output=tmp_path / "p.qcpkg")
    q = pkg.run(inputs)
    res = run_tool("quant-run", pkg.path, "--inputs", test, "--outputs",
                   tmp_path / "q.npz")
    assert res.returncode == 0, res.stderr
    np.testing.assert_array_equal(q["logits"], load_npz(tmp_path / "q.npz")
                                  ["logits"])
    assert not np.array_equal(q["logits"], out["logits"])  # quantized
    # The same through a Module and through the path.
    np.testing.assert_array_equal(pkg.module().run(inputs)["logits"],
                                  q["logits"])
    np.testing.assert_array_equal(quantc.run(str(pkg.path), inputs)["logits"],
                                  q["logits"])


def test_module_print_pipeline_and_walk(mlp_files):
    m = quantc.import_onnx(mlp_files / "mlp.onnx")
    assert m.input_names == ["x"] and m.output_names == ["logits"]
    text = str(m)
    assert "func.func @main" in text and text.count("qc.matmul") == 3
    ops = m.ops()
    assert [o.name for o in ops].count("qc.matmul") == 3
    fc1 = next(o for o in ops if o.name == "qc.matmul")
    assert "node 'fc1'" in fc1.location and "(MatMul)" in fc1.location
    assert fc1.result_types == ["tensor<?x128xf32>"]

    m.run_pipeline("builtin.module(qc-quantize-pipeline{format=mxfp4 "
                   "random-samples=8 seed=2})")
    qmms = [o for o in m.ops() if o.name == "qc.qmatmul"]
    assert len(qmms) == 3
    s = qmms[0].schemes["lhs_scheme"]
    assert (s.element_type, s.scale_type, s.block) == \
        ("f4E2M1FN", "f8E8M0FNU", (1, 32))
    assert s == quantc.numerics.scheme("mxfp4")
    stats = [o.stats["qc.input_stats"] for o in m.ops()
             if o.name == "qc.quantize"]
    assert len(stats) == 3 and all(st["absmax"] > 0 for st in stats)
    assert stats[1]["min"] >= 0  # after a ReLU
    m.verify()
    # The printed module parses back and runs like the original.
    x = np.random.default_rng(0).standard_normal((5, 64)).astype(np.float32)
    again = quantc.parse_mlir(str(m), "mlp-quantized.mlir")
    np.testing.assert_array_equal(again.run({"x": x})["logits"],
                                  m.run({"x": x})["logits"])


def test_dtypes_in_and_out():
    m = quantc.parse_mlir("""
func.func @main(%a: tensor<3xbf16> {qc.name = "a"}, %b: tensor<3xi64> {qc.name = "b"})
    -> (tensor<3xbf16> {qc.name = "a2"}, tensor<3xi64> {qc.name = "b2"}) {
  %0 = qc.add %a, %a : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>
  %1 = qc.add %b, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0, %1 : tensor<3xbf16>, tensor<3xi64>
}""")
    a = np.array([1.5, -2, 3], ml_dtypes.bfloat16)
    out = m.run({"a": a, "b": np.array([1, 2, 1 << 40])})
    # bfloat16 outputs travel as their uint16 bit patterns (the .npz
    # contract of quant-run, docs/Import.md).
    assert out["a2"].dtype == np.uint16
    np.testing.assert_array_equal(
        out["a2"].view(ml_dtypes.bfloat16).astype(np.float32), [3, -4, 6])
    np.testing.assert_array_equal(out["b2"], [2, 4, 2 << 40])
    with pytest.raises(TypeError, match="float8_e4m3fn.*uint8"):
        m.run({"a": np.zeros(3, ml_dtypes.float8_e4m3fn), "b": out["b2"]})


def test_errors_are_exceptions_with_locations():
    with pytest.raises(quantc.Error) as e:
        quantc.parse_mlir("func.func @main() {\n  %0 = qc.nonsense\n}\n",
                          "broken.mlir")
    assert "broken.mlir:2" in str(e.value)
    sev, loc, msg = e.value.diagnostics[0]
    assert sev == "error" and loc.startswith("broken.mlir:2:") and msg

    m = quantc.parse_mlir("""
func.func @main(%x: tensor<2x3xf32> {qc.name = "x"}) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}""")
    with pytest.raises(quantc.Error, match="bad pass pipeline"):
        m.run_pipeline("builtin.module(no-such-pass)")
    with pytest.raises(quantc.Error, match="bad pass pipeline"):
        m.run_pipeline("no-such-pass")
    m.run_pipeline("canonicalize,cse")  # unanchored: nested in the module
    with pytest.raises(quantc.Error, match="qc-calibrate needs calibration"):
        m.run_pipeline("builtin.module(qc-calibrate)")
    with pytest.raises(quantc.Error, match="no array named 'x'"):
        m.run({"y": np.zeros((2, 3), np.float32)})
    with pytest.raises(TypeError, match="mapping"):
        m.run([np.zeros((2, 3))])


def test_compile_option_errors(mlp_files, tmp_path):
    model = mlp_files / "mlp.onnx"
    with pytest.raises(TypeError, match="calib_randon.*known"):
        quantc.compile(model, calib_randon=4)
    with pytest.raises(quantc.Error, match="no calibration data"):
        quantc.compile(model, output=tmp_path / "o.qcpkg")
    with pytest.raises(quantc.Error, match="one source of calibration"):
        quantc.compile(model, mlp_files / "calib.npz", calib_random=3,
                       output=tmp_path / "o.qcpkg")
    with pytest.raises(quantc.Error, match="unknown format 'mxfp3'"):
        quantc.compile(model, calib_random=2, format="mxfp3",
                       output=tmp_path / "o.qcpkg")
    assert not (tmp_path / "o.qcpkg").exists()
    with pytest.raises(quantc.Error, match="not a quantc package"):
        quantc.Package(tmp_path)


def test_progress_callback_that_raises_writes_nothing(mlp_files, tmp_path):
    def boom(step, total, msg):
        if step == 2:
            raise KeyboardInterrupt("stop")
    with pytest.raises(KeyboardInterrupt):
        quantc.compile(mlp_files / "mlp.onnx", calib_random=2, targets=(),
                       output=tmp_path / "o.qcpkg", progress=boom)
    assert list(tmp_path.iterdir()) == []


def test_progress_true_prints_lines(mlp_files, tmp_path, capfd):
    quantc.compile(mlp_files / "mlp.onnx", calib_random=2, targets=(),
                   output=tmp_path / "o.qcpkg", progress=True)
    err = capfd.readouterr().err
    assert "writing package" in err or "quantc" in err


def test_pipeline_computes_what_the_package_computes(mlp_files, tmp_path):
    """quant-opt's qc-quantize-pipeline and quant-compile build the same
    quantized graph: same outputs, bit for bit, on held-out inputs."""
    model, calib = mlp_files / "mlp.onnx", mlp_files / "calib.npz"
    pkg = quantc.compile(model, calib, targets=(), output=tmp_path / "p.qcpkg")
    m = quantc.import_onnx(model).run_pipeline(
        f"qc-quantize-pipeline{{format=mxfp8 calib={calib}}}")
    test = dict(np.load(mlp_files / "test.npz"))
    np.testing.assert_array_equal(m.run(test)["logits"],
                                  pkg.run(test)["logits"])
    ops = [o.name for o in m.ops()]
    assert ops.count("qc.qmatmul") == 3 and "qc.matmul" not in ops


def test_pipeline_misuse_is_an_error_not_an_abort(mlp_files):
    m = quantc.import_onnx(mlp_files / "mlp.onnx")
    with pytest.raises(quantc.Error, match="runs on builtin.module"):
        m.run_pipeline("builtin.module(func.func(qc-quantize-pipeline"
                       "{random-samples=1}))")
    with pytest.raises(quantc.Error, match="bad options.*formt"):
        m.run_pipeline("qc-quantize-pipeline{formt=mxfp8}")
    assert "qc.qmatmul" not in str(m)


def test_scalar_strided_and_big_endian_inputs():
    m = quantc.parse_mlir("""
func.func @main(%a: tensor<f32> {qc.name = "a"}, %b: tensor<2x3xf32> {qc.name = "b"})
    -> (tensor<2x3xf32> {qc.name = "c"}) {
  %0 = qc.mul %b, %a : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}""")
    b = np.arange(12, dtype=np.float32).reshape(3, 4)[:2, 1:]  # strided
    out = m.run({"a": np.float32(2.0), "b": b.astype(">f4")})["c"]
    np.testing.assert_array_equal(out, 2 * b)


def test_failed_compile_to_a_default_output_leaves_nothing(mlp_files):
    import glob
    import tempfile
    pattern = tempfile.gettempdir() + "/quantc-*"
    before = set(glob.glob(pattern))
    with pytest.raises(quantc.Error):
        quantc.compile(mlp_files / "mlp.onnx", calib_random=2,
                       format="mxfp3")
    assert set(glob.glob(pattern)) == before


def test_progress_true_uses_tqdm_when_installed(mlp_files, tmp_path,
                                                monkeypatch):
    """progress=True drives a tqdm bar (here a stand-in module recording
    what it is told) when tqdm can be imported."""
    import types
    calls = []

    class FakeBar:
        def __init__(self, total, desc, file):
            calls.append(("init", total, desc))

        def set_postfix_str(self, s):
            calls.append(("postfix", s))

        def update(self, n):
            calls.append(("update", n))

        def close(self):
            calls.append(("close",))

    monkeypatch.setitem(sys.modules, "tqdm",
                        types.SimpleNamespace(tqdm=FakeBar))
    quantc.compile(mlp_files / "mlp.onnx", calib_random=2, targets=(),
                   output=tmp_path / "o.qcpkg", progress=True)
    assert calls[0] == ("init", 5, "quantc")
    assert [c for c in calls if c[0] == "update"] == [("update", 1)] * 5
    assert calls[-1] == ("close",)
    assert any(c[0] == "postfix" and c[1].startswith("importing")
               for c in calls)
