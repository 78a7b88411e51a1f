"""ONNX backend node tests of the NN op family (Debian's libonnx-testdata):
each model runs through quant-run (importer + Executor) on its
test_data_set_0 inputs and must match the stored outputs with rtol 1e-3,
atol 1e-7 (integer outputs exactly).

PASSING only grows. Every other test of the family must fail cleanly: exit
code 1 with a diagnostic naming the node, never a crash or a wrong answer.
Resize's scales/sizes/roi are graph inputs in these tests; they are folded
into initializers from the test data first, so this file checks the constant
path (scripts/onnx_node_tests.py runs them as run-time inputs).
"""
import glob
import os
import re

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from conftest import CRASH_MARKERS, describe

NODE_DIR = "/usr/share/libonnx-testdata/data/node"
FAMILY = re.compile(
    r"^test_(basic_conv|conv|maxpool|averagepool|batchnorm|globalaveragepool"
    r"|globalmaxpool|resize|convtranspose|matmulinteger|qlinearmatmul"
    r"|convinteger|qlinearconv|lstm|gru|rnn|simple_rnn)")

PASSING = """
test_averagepool_1d_default test_averagepool_2d_ceil test_averagepool_2d_default
test_averagepool_2d_pads test_averagepool_2d_pads_count_include_pad
test_averagepool_2d_precomputed_pads
test_averagepool_2d_precomputed_pads_count_include_pad
test_averagepool_2d_precomputed_same_upper test_averagepool_2d_precomputed_strides
test_averagepool_2d_same_lower test_averagepool_2d_same_upper
test_averagepool_2d_strides test_averagepool_3d_default
test_basic_conv_with_padding test_basic_conv_without_padding
test_basic_convinteger test_batchnorm_epsilon test_batchnorm_example
test_conv_with_autopad_same test_conv_with_strides_and_asymmetric_padding
test_conv_with_strides_no_padding test_conv_with_strides_padding
test_convinteger_with_padding test_convinteger_without_padding
test_convtranspose test_convtranspose_1d test_convtranspose_3d
test_convtranspose_autopad_same test_convtranspose_dilations
test_convtranspose_kernel_shape test_convtranspose_output_shape
test_convtranspose_pad test_convtranspose_pads test_convtranspose_with_kernel
test_globalaveragepool test_globalaveragepool_precomputed test_globalmaxpool
test_globalmaxpool_precomputed test_matmulinteger test_maxpool_1d_default
test_maxpool_2d_ceil test_maxpool_2d_default test_maxpool_2d_dilations
test_maxpool_2d_pads test_maxpool_2d_precomputed_pads
test_maxpool_2d_precomputed_same_upper test_maxpool_2d_precomputed_strides
test_maxpool_2d_same_lower test_maxpool_2d_same_upper test_maxpool_2d_strides
test_maxpool_3d_default test_qlinearconv test_qlinearmatmul_2D
test_qlinearmatmul_3D
test_resize_downsample_scales_linear
test_resize_downsample_scales_linear_align_corners
test_resize_downsample_scales_nearest
test_resize_downsample_sizes_linear_pytorch_half_pixel
test_resize_downsample_sizes_nearest test_resize_upsample_scales_linear
test_resize_upsample_scales_linear_align_corners
test_resize_upsample_scales_nearest test_resize_upsample_sizes_nearest
test_resize_upsample_sizes_nearest_ceil_half_pixel
test_resize_upsample_sizes_nearest_floor_align_corners
test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric
test_resize_downsample_scales_cubic
test_resize_downsample_scales_cubic_A_n0p5_exclude_outside
test_resize_downsample_scales_cubic_align_corners
test_resize_downsample_sizes_cubic
test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn
test_resize_upsample_scales_cubic
test_resize_upsample_scales_cubic_A_n0p5_exclude_outside
test_resize_upsample_scales_cubic_align_corners
test_resize_upsample_scales_cubic_asymmetric
test_resize_upsample_sizes_cubic test_maxpool_2d_uint8
test_resize_tf_crop_and_resize test_batchnorm_epsilon_training_mode
test_batchnorm_example_training_mode
test_maxpool_with_argmax_2d_precomputed_pads
test_maxpool_with_argmax_2d_precomputed_strides
test_lstm_defaults test_lstm_with_initial_bias test_lstm_with_peepholes
test_lstm_batchwise test_gru_defaults test_gru_with_initial_bias
test_gru_seq_length test_gru_batchwise test_simple_rnn_defaults
test_simple_rnn_with_initial_bias test_rnn_seq_length
test_simple_rnn_batchwise
""".split()

FOLD_INPUTS = {"scales", "sizes", "roi"}


def _tensors(pattern):
    files = sorted(glob.glob(pattern),
                   key=lambda p: int(re.findall(r"(\d+)\.pb$", p)[0]))
    out = []
    for f in files:
        t = onnx.TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        out.append(numpy_helper.to_array(t))
    return out


def _family_tests():
    if not os.path.isdir(NODE_DIR):
        return []
    return sorted(n for n in os.listdir(NODE_DIR) if FAMILY.match(n))


def test_node_data_present():
    # Installed by scripts/install-deps.sh; without it the tests below would
    # silently vanish.
    assert len(_family_tests()) >= len(PASSING), NODE_DIR


@pytest.mark.parametrize("name", _family_tests())
def test_node(name, run_tool, tmp):
    d = os.path.join(NODE_DIR, name)
    model = onnx.load(os.path.join(d, "model.onnx"))
    inits = {i.name for i in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    inputs = dict(zip(names, _tensors(d + "/test_data_set_0/input_*.pb")))
    expected = _tensors(d + "/test_data_set_0/output_*.pb")
    if any(n.op_type == "Resize" for n in model.graph.node):
        for k in list(inputs):
            if k in FOLD_INPUTS:
                model.graph.initializer.append(
                    numpy_helper.from_array(inputs.pop(k), k))
                keep = [i for i in model.graph.input if i.name != k]
                del model.graph.input[:]
                model.graph.input.extend(keep)
    model_path = tmp / "model.onnx"
    onnx.save(model, str(model_path))
    np.savez(tmp / "in.npz", **inputs)
    res = run_tool("quant-run", model_path, "--inputs", tmp / "in.npz",
                   "--outputs", tmp / "out.npz")
    assert not any(m in res.stderr for m in CRASH_MARKERS), describe(res)
    if name not in PASSING:
        assert res.returncode == 1, describe(res)
        assert "error:" in res.stderr and "node #" in res.stderr, describe(res)
        assert not (tmp / "out.npz").exists()
        return
    assert res.returncode == 0, describe(res)
    got = np.load(tmp / "out.npz")
    for out, exp in zip(model.graph.output, expected):
        g = got[out.name]
        if exp.dtype in (np.int8, np.uint8):
            g = g.view(exp.dtype)  # 8-bit codes travel as uint8 bytes
        assert g.shape == exp.shape, (out.name, g.shape, exp.shape)
        if exp.dtype.kind in "iu":
            np.testing.assert_array_equal(g.astype(exp.dtype), exp)
        else:
            np.testing.assert_allclose(g, exp, rtol=1e-3, atol=1e-7)
