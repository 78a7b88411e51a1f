"""GPTQ weights (--weight-method gptq; docs/Formats.md F32,
docs/Calibration.md): against an independent numpy GPTQ, and more accurate
than round to nearest at 4 bits on the bundled decoders."""

import numpy as np
import pytest

import quantc
from conftest import generate_example
from test_static_scales import matmul_model

F32 = np.float32


def numpy_gptq(w, x, qmin, qmax, group, damp=0.01):
    """Textbook GPTQ (Frantar et al., Algorithm 1 without lazy batches):
    rows of W [k, n] in order; the scale per column (group=0, from the
    original W) or per `group` rows of a column (from the updated rows when
    the group starts), symmetric absmax / qmax."""
    k, n = w.shape
    h = 2.0 * x.astype(np.float64).T @ x.astype(np.float64) / x.shape[0]
    h[np.diag_indices(k)] += damp * np.mean(np.diag(h))
    u = np.linalg.cholesky(np.linalg.inv(h)).T  # H^-1 = U^T U
    w = w.astype(F32).copy()
    q = np.zeros_like(w)

    def absmax_scale(rows):
        a = np.abs(rows).max(axis=0)
        return np.where(a > 0, (a / F32(qmax)).astype(F32), F32(1 / qmax))

    s = absmax_scale(w) if group == 0 else None
    for i in range(k):
        if group and i % group == 0:
            s = absmax_scale(w[i:i + group])
        c = np.clip(np.rint((w[i] / s).astype(F32)), qmin, qmax)
        q[i] = (c * s).astype(F32)
        e = ((w[i].astype(np.float64) - q[i]) / u[i, i]).astype(F32)
        w[i + 1:] -= (u[i, i + 1:, None].astype(F32) * e[None, :])
    return q


@pytest.mark.parametrize("fmt,qmin,qmax,group", [("int8", -128, 127, 0),
                                                 ("int4-g128", -8, 7, 128)])
def test_gptq_matches_numpy_reference(tmp_path, fmt, qmin, qmax, group):
    """The dequantized weight (read back by running the model on the
    identity: y = I @ W_q) against numpy_gptq on the same calibration rows.
    The two compute H^-1's Cholesky factor in different orders (LAPACK vs
    quantc's loops, both f64), so a code can land on the other side of a
    rounding tie: all but 1% of the codes equal, the rest one step off."""
    rng = np.random.default_rng(21)
    k, n = 160, 24
    w = rng.standard_normal((k, n)).astype(F32)
    z = rng.standard_normal((96, k)).astype(F32)
    x = (z + 0.7 * np.roll(z, 1, axis=1)).astype(F32)  # correlated channels
    matmul_model(tmp_path / "mm.onnx", w)
    np.savez(tmp_path / "calib.npz", x=x)
    act = "" if fmt == "int4-g128" else " activations=none"
    m = quantc.import_onnx(tmp_path / "mm.onnx").run_pipeline(
        f"builtin.module(qc-calibrate{{inputs={tmp_path / 'calib.npz'} "
        f"hessian=true}},canonicalize,func.func(qc-quantize-linear{{"
        f"format={fmt}{act} weight-method=gptq}}))")
    assert 'qc.weight_method = "gptq"' in str(m)
    assert "qc.lhs_hessian" not in str(m)  # used up
    got = m.run({"x": np.eye(k, dtype=F32)})["y"]
    want = numpy_gptq(w, x, qmin, qmax, group)
    step = np.abs(want).max() / qmax
    off = np.abs(got - want) > 1e-6 * np.abs(want).max()
    assert off.mean() <= 0.01, off.mean()
    assert np.abs(got - want).max() <= 1.01 * step


@pytest.mark.parametrize("name", ["gpt2", "outlier_lm"])
def test_gptq_w4_beats_rtn_w4(tmp_path, name):
    """int4-g128 (W4A16) with GPTQ against round to nearest on held-out
    sequences (the outlier LM's 16 calibration and 8 held-out sequences for
    both models), both without bias correction. Measured: GPT-2 0.091 vs
    0.167 relative RMS, outlier LM 0.131 vs 0.222; GPTQ must be at least
    25% better. Bias correction (the default) improves both (measured: RTN
    0.106 and 0.143, GPTQ 0.087 and 0.127)."""
    olm = generate_example("outlier_lm", tmp_path / "olm")
    model = olm["model"] if name == "outlier_lm" else \
        generate_example(name, tmp_path / name)["model"]
    err = {}
    for method, bc in (("rtn", False), ("gptq", False), ("rtn", None)):
        pkg = quantc.compile(model, olm["calib"], format="int4-g128",
                             targets=(), output=tmp_path / f"{method}.qcpkg",
                             eval=olm["test"], weight_method=method,
                             bias_correction=bc)
        err[method, bc] = pkg.report["heldout_accuracy"]["rel_rms_error"]
        methods = {l.get("weight_method", "rtn")
                   for l in pkg.report["layers"]}
        assert methods == {method}
    assert err["gptq", False] < 0.75 * err["rtn", False], err
    assert err["rtn", None] < 0.9 * err["rtn", False], err


@pytest.mark.parametrize("args,mention", [
    (["--format", "mxfp8", "--weight-method", "gptq"],
     "weight-method=gptq applies to int8, fp8 and int4-g128, not 'mxfp8'"),
    (["--format", "nvfp4", "--weight-method", "gptq"],
     "weight-method=gptq applies to int8, fp8 and int4-g128, not 'nvfp4'"),
    (["--format", "int8", "--weight-method", "obq"],
     "weight-method must be rtn or gptq, got 'obq'"),
    (["--format", "int8", "--weight-method", "gptq", "--gptq-damp", "-1"],
     "gptq-damp must be in [0, 1]"),
    (["--format", "int4-g128", "--weight-method", "gptq", "--calib-table",
      "t.json"], "a calibration table does not hold"),
])
def test_bad_gptq_options(tmp_path, run_tool, args, mention):
    w = np.ones((4, 2), F32)
    matmul_model(tmp_path / "mm.onnx", w)
    np.savez(tmp_path / "c.npz", x=np.ones((3, 4), F32))
    res = run_tool("quant-compile", tmp_path / "mm.onnx", "--calib",
                   tmp_path / "c.npz", "--target", "none", "-o",
                   tmp_path / "o.qcpkg", *args, cwd=tmp_path)
    assert res.returncode == 1 and mention in res.stderr, res.stderr
    assert not (tmp_path / "o.qcpkg").exists()


def test_gptq_with_smoothing_outliers_and_mixed_precision(tmp_path):
    """GPTQ after SmoothQuant or an outlier split uses the Hessian of the
    rewritten input (x / s, or x with the outlier channels masked), and
    under mixed precision only for the formats GPTQ handles (nvfp4 layers
    round to nearest). Each compiles, and W8A8 + GPTQ on the outlier LM is
    no worse than 1.1x the same without GPTQ (measured: about equal; GPTQ
    at 8 bits has little to gain, a stale Hessian would make it worse)."""
    olm = generate_example("outlier_lm", tmp_path / "olm")

    def heldout(name, **kw):
        pkg = quantc.compile(olm["model"], olm["calib"], targets=(),
                             output=tmp_path / f"{name}.qcpkg",
                             eval=olm["test"], **kw)
        assert all("qc_hessian" not in f.read_text()
                   for f in pkg.path.glob("*.mlir"))
        return pkg.report["heldout_accuracy"]["rel_rms_error"]

    for opts in ({"smooth_quant": True}, {"outlier_threshold": 6.0}):
        rtn = heldout("rtn", format="int8", **opts)
        gptq = heldout("gptq", format="int8", weight_method="gptq", **opts)
        assert gptq < 1.1 * rtn, (opts, rtn, gptq)
    heldout("mixed", format="int4-g128", weight_method="gptq",
            budget_bits=4.5, candidates="int4-g128,nvfp4,int8")
