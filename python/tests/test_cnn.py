"""The example CNN (examples/cnn/make_cnn.py) through quant-run against
onnxruntime on the same inputs.

Tolerance: the logits (|y| ~ 1..3) come out of five conv layers of up to 576
products each; OpenBLAS and MLAS sum in different orders, so each layer
differs by a few f32 ulps relative, and batch norm (folded by neither side
here: onnxruntime runs with graph optimizations off) adds none. The measured
gap is under 1e-6 absolute; atol 1e-5 / rtol 1e-5 leaves room for other BLAS
kernels while still catching any indexing or padding error, which moves
logits by 1e-2 or more.
"""
import importlib.util
from pathlib import Path

import numpy as np

from conftest import REPO_ROOT, describe, load_npz, ort_run


def _make_cnn():
    path = REPO_ROOT / "examples" / "cnn" / "make_cnn.py"
    spec = importlib.util.spec_from_file_location("make_cnn", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


make_cnn = _make_cnn()


def test_generator_is_deterministic(tmp):
    a = make_cnn.generate(str(tmp / "a"))
    b = make_cnn.generate(str(tmp / "b"))
    for k in a:
        assert Path(a[k]).read_bytes() == Path(b[k]).read_bytes(), k
    assert Path(a["model"]).stat().st_size < 4 << 20  # "a few MB at most"


def test_cnn_matches_onnxruntime(run_tool, tmp):
    paths = make_cnn.generate(str(tmp / "cnn"))
    for data in ("test", "calib"):
        out = tmp / f"{data}_out.npz"
        res = run_tool("quant-run", paths["model"], "--inputs", paths[data],
                       "--outputs", out)
        assert res.returncode == 0, describe(res)
        x = load_npz(paths[data])["x"]
        y = load_npz(out)["logits"]
        ref = ort_run(paths["model"], {"x": x})["logits"]
        assert y.shape == ref.shape == (x.shape[0], make_cnn.CLASSES)
        np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
