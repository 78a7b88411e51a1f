"""qc-raise-patterns (R1-R6, docs/Calibration.md): the decomposed
LayerNorm, RMSNorm, GELU, SiLU and attention that exporters write become
qc.layer_norm, qc.rms_norm, qc.gelu, qc.silu and qc.attention, and the
raised graph computes what the decomposed one did, on the Executor and
exported to ONNX Runtime.

    quant-opt model.mlir --pass-pipeline="builtin.module(func.func(qc-raise-patterns))"
"""
import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h

import quantc
from conftest import generate_example, ort_run

RAISE = "builtin.module(func.func(qc-raise-patterns))"
F32 = np.float32


def _count(m, name):
    return sum(op.name == name for op in m.ops())


def _raise(path):
    float_m = quantc.import_onnx(path)
    raised = quantc.import_onnx(path).run_pipeline(RAISE)
    raised.verify()
    return float_m, raised


def test_llama_raised_bit_exact(tmp_path):
    """The LLaMA-style example: every RMSNorm (2 per layer and the final
    one), SiLU and attention (Mul scale, additive causal mask) is raised,
    and the Executor's outputs do not change by one bit (the raised ops
    keep the decomposed arithmetic: docs/Calibration.md R1, R4, R5)."""
    paths = generate_example("llama", tmp_path)
    float_m, raised = _raise(paths["model"])
    layers = _count(float_m, "qc.softmax")
    assert layers >= 1
    assert _count(raised, "qc.rms_norm") == 2 * layers + 1
    assert _count(raised, "qc.silu") == layers
    assert _count(raised, "qc.attention") == layers
    for gone in ("qc.sqrt", "qc.sigmoid", "qc.softmax", "qc.reduce_mean"):
        assert _count(raised, gone) == 0, gone
    feeds = dict(np.load(paths["test"]))
    a, b = float_m.run(feeds), raised.run(feeds)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_gpt2_raised(tmp_path, check_ok):
    """The GPT-2 example: tanh GELU (Pow by 3) and attention with a Div
    scale and a Where mask. A Div by sqrt(d) becomes a product by its f32
    inverse, one rounding apart per score: the logits agree to 1e-5 of
    their range (measured: 3e-7), on the Executor and exported (Where mask,
    tanh GELU as Gelu-20) through ONNX Runtime."""
    paths = generate_example("gpt2", tmp_path)
    float_m, raised = _raise(paths["model"])
    layers = _count(float_m, "qc.softmax")
    assert _count(raised, "qc.gelu") == layers
    assert _count(raised, "qc.attention") == layers
    assert _count(raised, "qc.tanh") == 0 and _count(raised, "qc.where") == 0
    feeds = dict(np.load(paths["test"]))
    a, b = float_m.run(feeds), raised.run(feeds)
    for k in a:
        scale = float(np.abs(a[k]).max())
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-5 * scale,
                                   err_msg=k)
    mlir = tmp_path / "raised.mlir"
    mlir.write_text(str(raised))
    check_ok("quant-translate", "--export-onnx", mlir, "-o",
             tmp_path / "raised.onnx")
    ref = ort_run(paths["model"], feeds)
    got = ort_run(tmp_path / "raised.onnx", feeds)
    for k, r in ref.items():
        np.testing.assert_allclose(got[k], r, rtol=0,
                                   atol=1e-5 * float(np.abs(r).max()),
                                   err_msg=k)


def _torch_style_model(path):
    """A block as torch.onnx writes it at opset 13: LayerNorm spelled out
    (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), a linear
    layer, erf GELU (Div by sqrt 2, Erf, Add 1, Mul x, Mul 0.5)."""
    rng = np.random.default_rng(3)
    d, f = 16, 32
    inits = [
        onnx.numpy_helper.from_array(np.array(2.0, F32), "two"),
        onnx.numpy_helper.from_array(np.array(1e-5, F32), "eps"),
        onnx.numpy_helper.from_array(rng.uniform(0.5, 1.5, d).astype(F32), "g"),
        onnx.numpy_helper.from_array(rng.standard_normal(d).astype(F32), "b"),
        onnx.numpy_helper.from_array(
            (rng.standard_normal((d, f)) / 4).astype(F32), "w"),
        onnx.numpy_helper.from_array(np.array(1.4142135, F32), "sqrt2"),
        onnx.numpy_helper.from_array(np.array(1.0, F32), "one"),
        onnx.numpy_helper.from_array(np.array(0.5, F32), "half"),
    ]
    n = h.make_node
    nodes = [
        n("ReduceMean", ["x"], ["mu"], axes=[-1], keepdims=1),
        n("Sub", ["x", "mu"], ["d"]),
        n("Pow", ["d", "two"], ["sq"]),
        n("ReduceMean", ["sq"], ["var"], axes=[-1], keepdims=1),
        n("Add", ["var", "eps"], ["ve"]),
        n("Sqrt", ["ve"], ["sd"]),
        n("Div", ["d", "sd"], ["nrm"]),
        n("Mul", ["nrm", "g"], ["ng"]),
        n("Add", ["ng", "b"], ["ln"]),
        n("MatMul", ["ln", "w"], ["hid"]),
        n("Div", ["hid", "sqrt2"], ["hs"]),
        n("Erf", ["hs"], ["e"]),
        n("Add", ["e", "one"], ["e1"]),
        n("Mul", ["hid", "e1"], ["he"]),
        n("Mul", ["he", "half"], ["y"]),
    ]
    g = h.make_graph(nodes, "torch_style",
                     [h.make_tensor_value_info("x", T.FLOAT, [2, 5, d])],
                     [h.make_tensor_value_info("y", T.FLOAT, [2, 5, f])],
                     inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)], ir_version=8)
    onnx.save(m, path)
    return m


def test_torch_style_layer_norm_and_gelu(tmp_path, check_ok):
    """LayerNorm and erf GELU as torch.onnx spells them out become
    qc.layer_norm and qc.gelu; the raised graph agrees with the decomposed
    one on the Executor and with ONNX Runtime running the original model
    (the fused layer norm multiplies by 1/std where the graph divides, and
    sums in another order: a few ulps, so 1e-5 relative to the output's
    range), and its export runs in ONNX Runtime alike."""
    path = tmp_path / "torch_style.onnx"
    _torch_style_model(path)
    float_m, raised = _raise(path)
    assert _count(raised, "qc.layer_norm") == 1
    assert _count(raised, "qc.gelu") == 1
    assert _count(raised, "qc.erf") == 0 and _count(raised, "qc.sqrt") == 0
    x = np.random.default_rng(4).standard_normal((2, 5, 16)).astype(F32) * 3
    a, b = float_m.run({"x": x})["y"], raised.run({"x": x})["y"]
    ref = ort_run(path, {"x": x})["y"]
    tol = 1e-5 * float(np.abs(ref).max())
    np.testing.assert_allclose(a, ref, rtol=0, atol=tol)
    np.testing.assert_allclose(b, ref, rtol=0, atol=tol)
    mlir = tmp_path / "raised.mlir"
    mlir.write_text(str(raised))
    check_ok("quant-translate", "--export-onnx", mlir, "-o",
             tmp_path / "raised.onnx")
    exported = ort_run(tmp_path / "raised.onnx", {"x": x})["y"]
    np.testing.assert_allclose(exported, ref, rtol=0, atol=tol)


def test_llama_raised_export_runs_in_ort(tmp_path, check_ok):
    """qc.rms_norm, qc.silu and qc.attention export as the opset-21 ops
    they were raised from (ORT 1.23 has no RMSNormalization-23 or
    Attention-23): the exported raised LLaMA gives ORT's logits of the
    original model (same ops, same order: 1e-5 of the range covers ORT's
    own GEMM and exp)."""
    paths = generate_example("llama", tmp_path)
    _, raised = _raise(paths["model"])
    mlir = tmp_path / "raised.mlir"
    mlir.write_text(str(raised))
    check_ok("quant-translate", "--export-onnx", mlir, "-o",
             tmp_path / "raised.onnx")
    feeds = dict(np.load(paths["test"]))
    ref = ort_run(paths["model"], feeds)
    got = ort_run(tmp_path / "raised.onnx", feeds)
    assert set(got) == set(ref)
    for k, r in ref.items():
        np.testing.assert_allclose(got[k], r, rtol=0,
                                   atol=1e-5 * float(np.abs(r).max()),
                                   err_msg=k)


def test_unknown_pattern_is_an_error(tmp_path):
    paths = generate_example("mlp", tmp_path)
    m = quantc.import_onnx(paths["model"])
    with pytest.raises(Exception, match="unknown pattern 'swish'"):
        m.run_pipeline("builtin.module(func.func(qc-raise-patterns"
                       "{patterns=swish}))")


def test_compile_with_raise_patterns(tmp_path, run_tool):
    """quant-compile --raise-patterns raises right after import and says
    how many; with the bit-exact rules (SiLU, RMSNorm) the int8 package's
    outputs are those without raising; with attention raised its two
    matmuls stay in float. A bad name is exit code 1, no package."""
    paths = generate_example("llama", tmp_path)
    calib = paths.get("calib", paths["test"])
    feeds = dict(np.load(paths["test"]))
    outs = {}
    for rp in ("", "silu,rms-norm", "all"):
        pkg = quantc.compile(paths["model"], calib, format="int8", targets=(),
                             output=tmp_path / f"p{len(rp)}.qcpkg",
                             raise_patterns=rp)
        outs[rp] = pkg.run(feeds)
        graph = (tmp_path / f"p{len(rp)}.qcpkg" / "graph.mlir").read_text()
        assert ("qc.rms_norm" in graph) == bool(rp)
        assert ("qc.attention" in graph) == (rp == "all")
    for k in outs[""]:
        np.testing.assert_array_equal(outs[""][k], outs["silu,rms-norm"][k])
    res = run_tool("quant-compile", paths["model"], "--calib", calib,
                   "--format", "int8", "--target", "none",
                   "--raise-patterns", "all", "-o", tmp_path / "cli.qcpkg")
    assert res.returncode == 0, res.stderr
    assert "raised 9 pattern(s) (all)" in res.stderr
    res = run_tool("quant-compile", paths["model"], "--calib", calib,
                   "--format", "int8", "--target", "none",
                   "--raise-patterns", "silu,swiglu", "-o",
                   tmp_path / "bad.qcpkg")
    assert res.returncode == 1
    assert "unknown pattern 'swiglu'" in res.stderr
    assert not (tmp_path / "bad.qcpkg").exists()
