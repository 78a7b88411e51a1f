"""SmoothQuant (qc-smooth-quant, docs/Calibration.md S1-S4) on the outlier
LM (examples/outlier_lm): the rewrite keeps the float function, and it is
what makes W8A8 with per-tensor activation scales work on a model whose
LayerNorm outputs carry a few channels 20-60x larger than the rest."""

import numpy as np
import pytest

import quantc
from conftest import generate_example


@pytest.fixture(scope="module")
def olm(tmp_path_factory):
    return generate_example("outlier_lm", tmp_path_factory.mktemp("olm"))


def _rel(a, b):
    return float(np.linalg.norm(a.astype(np.float64) - b) /
                 np.linalg.norm(b.astype(np.float64)))


def test_smoothing_keeps_the_float_function(olm):
    """Calibrate per channel, smooth, and run in float: the logits are the
    original model's up to rounding. Each folded constant (gain / s, bias /
    s, weight row * s) is rounded once (2^-24 relative) and the matmul sums
    in another order: measured 1e-7 relative RMS; 1e-5 is far below the
    1e-2 that a wrong factor on any channel would cause."""
    feeds = dict(np.load(olm["test"]))
    ref = quantc.import_onnx(olm["model"]).run(feeds)["logits"]
    m = quantc.import_onnx(olm["model"]).run_pipeline(
        f"builtin.module(qc-calibrate{{inputs={olm['calib']} "
        f"per-channel=true}},canonicalize,func.func(qc-smooth-quant))")
    text = str(m)
    # ln_1 -> c_attn and ln_2 -> c_fc in both blocks (ln_f's lm_head reads
    # the tied embedding, a constant too).
    assert text.count("qc.smooth_alpha") >= 4
    got = m.run(feeds)["logits"]
    assert _rel(got, ref) < 1e-5


def _compile(olm, tmp_path, name, **opts):
    return quantc.compile(olm["model"], olm["calib"], format="int8",
                          targets=(), output=tmp_path / f"{name}.qcpkg",
                          eval=olm["test"], **opts)


def test_w8a8_needs_smoothing_on_outliers(olm, tmp_path):
    """Per-tensor W8A8 without smoothing loses badly on the outlier LM
    (measured: 0.21 relative RMS, 80% next-token agreement); with
    qc-smooth-quant (alpha 0.5) the error drops more than 10x (0.016,
    98.8%). The bounds leave room for BLAS summation order, not for a
    smoothing that does not work."""
    plain = _compile(olm, tmp_path, "plain").report["heldout_accuracy"]
    pkg = _compile(olm, tmp_path, "smooth", smooth_quant=True)
    smooth = pkg.report["heldout_accuracy"]
    assert plain["rel_rms_error"] > 0.1
    assert smooth["rel_rms_error"] < plain["rel_rms_error"] / 10
    assert smooth["argmax_agreement"] >= 0.97
    assert smooth["argmax_agreement"] > plain["argmax_agreement"] + 0.1
    smoothed = [l for l in pkg.report["layers"] if "smooth_alpha" in l]
    assert {l["name"] for l in smoothed} >= {
        "h0.attn.c_attn.matmul", "h0.mlp.c_fc.matmul",
        "h1.attn.c_attn.matmul", "h1.mlp.c_fc.matmul"}
    assert all(l["smooth_alpha"] == 0.5 for l in smoothed)


@pytest.mark.parametrize("args,mention", [
    (["--smooth-quant", "--smooth-alpha", "1.5"],
     "smooth-alpha must be in [0, 1], got 1.5"),
    (["--smooth-quant", "--calib-table", "t.json"],
     "calibrate on data instead of a calibration table"),
    (["--smooth-quant", "--smooth-alphas", "0.3,x"],
     "--smooth-alphas: 'x' is not a number"),
    (["--smooth-alphas", "0.3,0.5"], "smooth-alphas applies with smooth-quant"),
])
def test_bad_smooth_quant_options(olm, tmp_path, run_tool, args, mention):
    res = run_tool("quant-compile", olm["model"], "--calib", olm["calib"],
                   "--format", "int8", "--target", "none", "-o",
                   tmp_path / "o.qcpkg", *args, cwd=tmp_path)
    assert res.returncode == 1 and mention in res.stderr, res.stderr
    assert not (tmp_path / "o.qcpkg").exists()


def test_rmsnorm_gain_is_smoothed(tmp_path):
    """LLaMA-style RMSNorm (decomposed, its gain a Mul by a constant): the
    Q/K/V projections after one norm share one factor, gate/up after the
    other, and the LM head after the final norm; the float function is
    kept (same tolerance as above; measured 4e-7)."""
    p = generate_example("llama", tmp_path / "llama")
    feeds = dict(np.load(p["test"]))
    ref = quantc.import_onnx(p["model"]).run(feeds)["logits"]
    m = quantc.import_onnx(p["model"]).run_pipeline(
        f"builtin.module(qc-calibrate{{inputs={p['test']} per-channel=true}},"
        f"canonicalize,func.func(qc-smooth-quant))")
    # 2 layers x (q, k, v, gate, up) + lm_head.
    assert str(m).count("qc.smooth_alpha") == 11
    assert _rel(m.run(feeds)["logits"], ref) < 1e-5


def test_alpha_search_per_group(olm, tmp_path):
    """S5: --smooth-alphas picks each group's alpha from the list by the
    output error on the calibration data (that group smoothed, its matmuls
    quantized). Each smoothed layer reports an alpha of the list, and the
    result is as good as the fixed alpha 0.5 (measured: calibration error
    0.0157 vs 0.0162, held out 0.0167 vs 0.0165; the 10% margin covers
    that the search optimises each group alone, on calibration data)."""
    alphas = [0.3, 0.5, 0.8]
    fixed = _compile(olm, tmp_path, "fixed", smooth_quant=True)
    found = _compile(olm, tmp_path, "search", smooth_quant=True,
                     smooth_alphas=alphas)
    smoothed = [l for l in found.report["layers"] if "smooth_alpha" in l]
    assert len(smoothed) >= 4
    assert all(min(abs(l["smooth_alpha"] - a) for a in alphas) < 1e-6
               for l in smoothed)
    for key in ("accuracy", "heldout_accuracy"):
        assert found.report[key]["rel_rms_error"] < \
            1.1 * fixed.report[key]["rel_rms_error"]


def test_outlier_channels_in_float(olm, tmp_path):
    """O1-O2 (LLM.int8()-style): with --outlier-threshold 6 the outlier
    LM's 4 large channels stay in a float side product of c_attn and c_fc,
    the rest is W8A8; the error drops about as much as with smoothing
    (measured 0.21 -> 0.018 relative RMS held out; required: 5x)."""
    plain = _compile(olm, tmp_path, "plain").report["heldout_accuracy"]
    pkg = _compile(olm, tmp_path, "outliers", outlier_threshold=6.0)
    split = {l["name"]: l["outlier_channels"] for l in pkg.report["layers"]
             if "outlier_channels" in l}
    assert set(split) == {"h0.attn.c_attn.matmul", "h0.mlp.c_fc.matmul",
                          "h1.attn.c_attn.matmul", "h1.mlp.c_fc.matmul"}
    assert all(v == [5, 38, 77, 120] for v in split.values())
    err = pkg.report["heldout_accuracy"]["rel_rms_error"]
    assert err < plain["rel_rms_error"] / 5
