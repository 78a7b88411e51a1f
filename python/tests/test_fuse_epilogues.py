"""qc-fuse-epilogues and qc.fusion (docs/Rationale.md section 10): a fusion
means its body's ops in order, so fusing never changes a result. The
Executor computes a convolution's batch norm and ReLU in one pass inside a
fusion; these tests hold it to the op-by-op bits."""
import numpy as np
import pytest

import quantc

from test_static_scales import _example


def _fusions(module):
    return [o for o in module.ops() if o.name == "qc.fusion"]


@pytest.mark.parametrize("name", ["mlp", "cnn", "gpt2"])
def test_float_graph_fused_is_bit_exact(tmp_path, name):
    """The pass alone on an imported float model: same outputs bit for bit
    (the CNN's conv + batch norm + ReLU run as one Executor kernel)."""
    model, _, test = _example(name, tmp_path / name)
    feeds = dict(np.load(test))
    plain = quantc.import_onnx(model)
    fused = quantc.import_onnx(model).run_pipeline(
        "builtin.module(func.func(qc-fuse-epilogues))")
    fused.verify()
    assert _fusions(fused), str(fused)
    ref, got = plain.run(feeds), fused.run(feeds)
    for k in ref:
        np.testing.assert_array_equal(ref[k], got[k], err_msg=k)
    # One sample: the convolution's GEMM split over the threads and its
    # epilogue in a pass of its own (with many, each image's GEMM and
    # epilogue on one thread).
    one = {k: v[:1] for k, v in feeds.items()}
    ref, got = plain.run(one), fused.run(one)
    for k in ref:
        np.testing.assert_array_equal(ref[k], got[k], err_msg=k)
    if name == "cnn":
        assert "qc.batch_norm" in str(fused).split("qc.fusion", 1)[1]


@pytest.mark.parametrize("name,fmt", [("cnn", "int8"), ("cnn", "mxfp8"),
                                      ("gpt2", "mxfp8"), ("mlp", "fp8")])
def test_pipeline_fuses_without_changing_results(tmp_path, name, fmt):
    """The quantize pipeline ends with qc-fuse-epilogues (fuse-epilogues=
    true, the default): outputs equal those of fuse-epilogues=false."""
    model, calib, test = _example(name, tmp_path / name)
    feeds = dict(np.load(test))
    outs, fusions = [], []
    for fuse in ("false", "true"):
        m = quantc.import_onnx(model).run_pipeline(
            f"builtin.module(qc-quantize-pipeline{{format={fmt} "
            f"calib={calib} fuse-epilogues={fuse}}})")
        m.verify()
        fusions.append(len(_fusions(m)))
        outs.append(m.run(feeds))
    assert fusions[0] == 0 and fusions[1] > 0
    for k in outs[0]:
        np.testing.assert_array_equal(outs[0][k], outs[1][k], err_msg=k)


def test_fusion_round_trips_and_runs(tmp_path):
    """A fusion prints, parses back and runs: matmul + bias + relu by hand
    against numpy's op-by-op float32 arithmetic."""
    text = """
    func.func @main(%x: tensor<3x4xf32>, %w: tensor<4x5xf32>,
                    %b: tensor<5xf32>) -> tensor<3x5xf32> {
      %y = qc.fusion : tensor<3x5xf32> {
        %p = qc.matmul %x, %w : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
        %s = qc.add %p, %b : (tensor<3x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
        %r = qc.relu %s : (tensor<3x5xf32>) -> tensor<3x5xf32>
        qc.yield %r : tensor<3x5xf32>
      }
      return %y : tensor<3x5xf32>
    }"""
    m = quantc.parse_mlir(text)
    m.verify()
    again = quantc.parse_mlir(str(m))
    assert str(again) == str(m)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    (y,) = again.run({"input_0": x, "input_1": w, "input_2": b}).values()
    # K = 4: every order of the four products' sum rounds alike only up to
    # an ulp, so compare the float32 product loosely and the bias + ReLU
    # exactly on it.
    p = (x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    ref = np.maximum(p + b, 0)
    np.testing.assert_allclose(y, ref, rtol=0, atol=4e-6)
    assert (y >= 0).all()
