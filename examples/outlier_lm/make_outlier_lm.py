#!/usr/bin/env python3
"""Writes a GPT-2-style decoder with LLM-like activation outliers, with
calibration and held-out token sequences.

    make_outlier_lm.py --out-dir DIR [--check]

writes DIR/outlier_lm.onnx, DIR/calib.npz (input_ids int64 [16, 32]) and
DIR/test.npz (held-out input_ids int64 [8, 32]), byte-identical on every
run.

The graph is examples/gpt2's (2 blocks, d_model 128, opset 17). Past a few
hundred million parameters, LLMs carry a few hidden channels whose
activations are tens of times larger than the rest at the inputs of their
linear layers; most of that comes from the LayerNorm gains of those
channels (Kovaleva et al. 2021, "BERT Busters"; Xiao et al., SmoothQuant).
This model is made that way: in every block's ln_1 and ln_2 the gain and
bias of OUTLIER_CHANNELS are multiplied by OUTLIER_FACTORS (20x to 60x)
and the matching rows of the weight that reads that LayerNorm (c_attn,
c_fc) are divided by them, so the float function is the GPT-2 example's
(up to rounding) while the activations of those 4 channels out of 128 are
20-60x larger. A per-tensor activation scale must then cover the outliers,
and the other channels lose most of their int8 resolution.
"""
import importlib.util
import os
import sys

import numpy as np
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from gen_util import decoder_main, npz_bytes, write_if_changed  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "make_gpt2", os.path.join(os.path.dirname(HERE), "gpt2", "make_gpt2.py"))
gpt2 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpt2)

VOCAB = gpt2.VOCAB
OUTLIER_CHANNELS = [5, 38, 77, 120]
OUTLIER_FACTORS = [20.0, 35.0, 50.0, 60.0]
CALIB_SEED, CALIB_SHAPE = 11, (16, 32)
TEST_SEED, TEST_SHAPE = 12, (8, 32)


def build_model():
    model = gpt2.build_model()
    inits = {t.name: t for t in model.graph.initializer}

    def scale(name, f):
        a = numpy_helper.to_array(inits[name]).copy()
        a = f(a)
        inits[name].CopyFrom(numpy_helper.from_array(a.astype(np.float32), name))

    for l in range(gpt2.N_LAYER):
        for ln, lin in ((f"h{l}.ln_1", f"h{l}.attn.c_attn"),
                        (f"h{l}.ln_2", f"h{l}.mlp.c_fc")):
            for c, f in zip(OUTLIER_CHANNELS, OUTLIER_FACTORS):
                def up(a, c=c, f=f):
                    a[c] *= f
                    return a

                def down(a, c=c, f=f):
                    a[c, :] /= f
                    return a
                scale(f"{ln}.weight", up)
                scale(f"{ln}.bias", up)
                scale(f"{lin}.weight", down)
    model.graph.name = "outlier_lm"
    return model


def _ids(seed, shape):
    rng = np.random.default_rng(seed)
    return rng.integers(0, VOCAB, size=shape, dtype=np.int64)


def generate(out_dir):
    """Writes outlier_lm.onnx, calib.npz and test.npz; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    files = {
        "model": (os.path.join(out_dir, "outlier_lm.onnx"),
                  build_model().SerializeToString()),
        "calib": (os.path.join(out_dir, "calib.npz"),
                  npz_bytes(input_ids=_ids(CALIB_SEED, CALIB_SHAPE))),
        "test": (os.path.join(out_dir, "test.npz"),
                 npz_bytes(input_ids=_ids(TEST_SEED, TEST_SHAPE))),
    }
    for path, data in files.values():
        write_if_changed(path, data)
    return {k: v[0] for k, v in files.items()}


def main(argv=None):
    return decoder_main(argv, __doc__.splitlines()[0], "outlier_lm", generate,
                        VOCAB)


if __name__ == "__main__":
    sys.exit(main())
