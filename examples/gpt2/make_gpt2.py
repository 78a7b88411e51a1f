#!/usr/bin/env python3
"""Writes a small GPT-2-style decoder in ONNX and a test input.

    make_gpt2.py --out-dir DIR [--check]

writes DIR/gpt2.onnx (about 3 MB) and DIR/test.npz (input_ids int64 [2, 16]).
Everything comes from fixed numpy seeds: the files are byte-identical on
every run, and a file is rewritten only when its content differs.

The graph is spelled the way exporters spell GPT-2 (opset 17), with symbolic
dimensions "batch" and "seq", so it runs at any batch size and sequence
length up to MAX_POS:

    input_ids int64 [batch, seq]
    wte: Gather(token table, input_ids)
    positions: Shape(input_ids) -> Gather(1) -> Range(0, seq) ; Gather(wpe)
    h = tokens + positions
    2 x block:
      ln_1: LayerNormalization
      attn: MatMul + Add (c_attn, 3*d) -> Split q, k, v
            Reshape [0, 0, heads, head_dim] -> Transpose (per head)
            MatMul(q, k^T) / sqrt(head_dim)
            causal mask: Range -> Unsqueeze(row, col) -> GreaterOrEqual -> Where
            Softmax -> MatMul(v) -> Transpose -> Reshape [0, 0, d]
            MatMul + Add (c_proj); residual Add
      ln_2: LayerNormalization
      mlp:  MatMul + Add (c_fc, 4*d), GELU (tanh formula:
            0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715 Pow(x, 3))))),
            MatMul + Add (c_proj); residual Add
    ln_f: LayerNormalization
    lm_head: MatMul with Transpose(token table) (tied weights)
    -> logits float [batch, seq, vocab]

Weights follow GPT-2's initialisation (normal, std 0.02; residual output
projections scaled by 1/sqrt(2 * layers)); LayerNorm gains and biases are
perturbed from 1 and 0 so that a wrong gain/bias shows in the output.
"""
import math
import os
import sys

import numpy as np
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from gen_util import decoder_main, decoder_model, write_example  # noqa: E402

VOCAB = 2048
D_MODEL = 128
N_HEAD = 4
HEAD_DIM = D_MODEL // N_HEAD
N_LAYER = 2
D_FF = 4 * D_MODEL
MAX_POS = 128
LN_EPS = 1e-5
MASK_VALUE = -1e9  # large and finite: a row's max stays real, exp() gives 0
OPSET = 17

MODEL_SEED = 20261123
TEST_SEED = 3
TEST_SHAPE = (2, 16)


class Graph:
    """Collects nodes and initializers with unique, readable names."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes, self.inits = [], []

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def const_i64(self, name, values):
        return self.init(name, np.array(values, np.int64))

    def const_f32(self, name, value):
        return self.init(name, np.array(value, np.float32))

    def op(self, op_type, inputs, name, n_out=1, **attrs):
        outs = [name] if n_out == 1 else [f"{name}.{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def normal(self, name, shape, std):
        return self.init(name, (self.rng.standard_normal(shape) * std).astype(np.float32))

    def linear(self, x, prefix, k, n, std):
        w = self.normal(f"{prefix}.weight", (k, n), std)
        b = self.init(f"{prefix}.bias", (0.02 * self.rng.standard_normal(n)).astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w], f"{prefix}.matmul"), b], f"{prefix}.add")

    def layer_norm(self, x, prefix):
        g = self.init(f"{prefix}.weight",
                      (1 + 0.1 * self.rng.standard_normal(D_MODEL)).astype(np.float32))
        b = self.init(f"{prefix}.bias", (0.05 * self.rng.standard_normal(D_MODEL)).astype(np.float32))
        return self.op("LayerNormalization", [x, g, b], prefix, axis=-1, epsilon=LN_EPS)


def _attention(g, x, l, causal):
    p = f"h{l}.attn"
    qkv = g.linear(x, f"{p}.c_attn", D_MODEL, 3 * D_MODEL, 0.02)
    split = g.const_i64(f"{p}.split_sizes", [D_MODEL] * 3)
    q, k, v = g.op("Split", [qkv, split], f"{p}.split", n_out=3, axis=-1)
    heads = g.const_i64(f"{p}.heads_shape", [0, 0, N_HEAD, HEAD_DIM])

    def per_head(t, tag, perm):
        r = g.op("Reshape", [t, heads], f"{p}.{tag}.reshape")
        return g.op("Transpose", [r], f"{p}.{tag}.transpose", perm=perm)

    qh = per_head(q, "q", [0, 2, 1, 3])  # [b, h, s, dh]
    kt = per_head(k, "k", [0, 2, 3, 1])  # [b, h, dh, s]
    vh = per_head(v, "v", [0, 2, 1, 3])
    scores = g.op("MatMul", [qh, kt], f"{p}.scores")
    scale = g.const_f32(f"{p}.scale", math.sqrt(HEAD_DIM))
    scores = g.op("Div", [scores, scale], f"{p}.scaled")
    masked = g.op("Where", [causal, scores, "mask_value"], f"{p}.masked")
    probs = g.op("Softmax", [masked], f"{p}.softmax", axis=-1)
    ctx = g.op("MatMul", [probs, vh], f"{p}.context")  # [b, h, s, dh]
    ctx = g.op("Transpose", [ctx], f"{p}.merge.transpose", perm=[0, 2, 1, 3])
    merged = g.const_i64(f"{p}.merge_shape", [0, 0, D_MODEL])
    ctx = g.op("Reshape", [ctx, merged], f"{p}.merge.reshape")
    return g.linear(ctx, f"{p}.c_proj", D_MODEL, D_MODEL, 0.02 / math.sqrt(2 * N_LAYER))


def _gelu_tanh(g, x, prefix):
    """GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    cube = g.op("Pow", [x, "gelu.three"], f"{prefix}.pow")
    inner = g.op("Mul", [cube, "gelu.coef"], f"{prefix}.mul_coef")
    inner = g.op("Add", [x, inner], f"{prefix}.add_x")
    inner = g.op("Mul", [inner, "gelu.sqrt_2_over_pi"], f"{prefix}.mul_scale")
    t = g.op("Tanh", [inner], f"{prefix}.tanh")
    t = g.op("Add", [t, "gelu.one"], f"{prefix}.add_one")
    half_x = g.op("Mul", [x, "gelu.half"], f"{prefix}.half_x")
    return g.op("Mul", [half_x, t], f"{prefix}.out")


def build_model():
    """Returns the ModelProto."""
    g = Graph(np.random.default_rng(MODEL_SEED))
    wte = g.normal("wte", (VOCAB, D_MODEL), 0.02)
    wpe = g.normal("wpe", (MAX_POS, D_MODEL), 0.01)
    g.const_f32("mask_value", MASK_VALUE)
    g.const_f32("gelu.three", 3.0)
    g.const_f32("gelu.coef", 0.044715)
    g.const_f32("gelu.sqrt_2_over_pi", math.sqrt(2.0 / math.pi))
    g.const_f32("gelu.one", 1.0)
    g.const_f32("gelu.half", 0.5)

    tokens = g.op("Gather", [wte, "input_ids"], "wte.gather", axis=0)
    # Positions 0..seq-1 from the runtime shape: no constant-folded length.
    shape = g.op("Shape", ["input_ids"], "shape")
    seq = g.op("Gather", [shape, g.const_i64("one_index", 1)], "seq_len", axis=0)  # scalar
    positions = g.op("Range", [g.const_i64("zero", 0), seq, g.const_i64("one", 1)], "positions")
    pos_emb = g.op("Gather", [wpe, positions], "wpe.gather", axis=0)  # [s, d]
    h = g.op("Add", [tokens, pos_emb], "embed")
    # Causal mask [s, s]: key position <= query position.
    rows = g.op("Unsqueeze", [positions, g.const_i64("axis1", [1])], "mask.rows")
    cols = g.op("Unsqueeze", [positions, g.const_i64("axis0", [0])], "mask.cols")
    causal = g.op("GreaterOrEqual", [rows, cols], "mask.causal")

    for l in range(N_LAYER):
        a = _attention(g, g.layer_norm(h, f"h{l}.ln_1"), l, causal)
        h = g.op("Add", [h, a], f"h{l}.attn.residual")
        m = g.linear(g.layer_norm(h, f"h{l}.ln_2"), f"h{l}.mlp.c_fc", D_MODEL, D_FF, 0.02)
        m = _gelu_tanh(g, m, f"h{l}.mlp.gelu")
        m = g.linear(m, f"h{l}.mlp.c_proj", D_FF, D_MODEL, 0.02 / math.sqrt(2 * N_LAYER))
        h = g.op("Add", [h, m], f"h{l}.mlp.residual")
    h = g.layer_norm(h, "ln_f")
    wte_t = g.op("Transpose", [wte], "lm_head.transpose", perm=[1, 0])
    g.nodes.append(helper.make_node("MatMul", [h, wte_t], ["logits"], name="lm_head"))

    return decoder_model(g.nodes, g.inits, "gpt2", VOCAB, OPSET)


def test_inputs(shape=TEST_SHAPE, seed=TEST_SEED):
    rng = np.random.default_rng(seed)
    return {"input_ids": rng.integers(0, VOCAB, size=shape, dtype=np.int64)}


def generate(out_dir):
    """Writes gpt2.onnx and test.npz into out_dir; returns their paths."""
    return write_example(out_dir, "gpt2", build_model(), test_inputs())


def main(argv=None):
    return decoder_main(argv, __doc__.splitlines()[0], "gpt2", generate, VOCAB)


if __name__ == "__main__":
    sys.exit(main())
