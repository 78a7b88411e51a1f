#!/usr/bin/env python3
"""Writes a small LLaMA-style decoder in ONNX and a test input.

    make_llama.py --out-dir DIR [--check]

writes DIR/llama.onnx (about 4 MB) and DIR/test.npz (input_ids int64
[2, 16]). Everything comes from fixed numpy seeds: the files are
byte-identical on every run, and a file is rewritten only when its content
differs.

The graph is spelled the way exporters spell LLaMA (opset 18: ReduceMean
takes its axes as an input), with symbolic dimensions "batch" and "seq":

    input_ids int64 [batch, seq]
    embed_tokens: Gather
    positions: Shape(input_ids) -> Gather(1) -> Range(0, seq)
    rotary tables: Gather(cos cache, positions), Gather(sin cache, positions)
    additive causal mask [seq, seq]: Unsqueeze(row, col) -> Less -> Where(-1e9, 0)
    2 x layer:
      input_layernorm: RMSNorm = x / Sqrt(ReduceMean(Pow(x, 2), -1) + eps) * g
      self_attn: q, k, v, o projections (MatMul, no bias)
                 Reshape [0, 0, heads, head_dim] -> Transpose
                 rotary on q, k: x * cos + rotate_half(x) * sin, where
                   rotate_half(x) = Concat(Neg(x[..., d/2:]), x[..., :d/2])
                   (Slice, Neg, Concat)
                 MatMul(q, k^T) * 1/sqrt(head_dim) + mask -> Softmax -> MatMul(v)
                 Transpose -> Reshape [0, 0, d] -> o_proj; residual Add
      post_attention_layernorm: RMSNorm
      mlp: SwiGLU = down(Sigmoid(gate(x)) * gate(x) * up(x)); residual Add
    norm: RMSNorm
    lm_head: MatMul (untied)
    -> logits float [batch, seq, vocab]

Rotary embeddings use LLaMA's base 10000 and the "rotate half" layout
(pairs (i, i + d/2)). Weights: normal with std 1/sqrt(fan_in) (unit-variance
activations); RMSNorm gains perturbed from 1 so a wrong gain shows.
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
D_FF = 384  # LLaMA's ~8/3 * d, rounded to a multiple of 128
MAX_POS = 128
RMS_EPS = 1e-6
ROPE_BASE = 10000.0
MASK_VALUE = -1e9  # large and finite: no inf - inf in the softmax
OPSET = 18

MODEL_SEED = 20261124
TEST_SEED = 4
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

    def op(self, op_type, inputs, name, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def linear(self, x, prefix, k, n):
        w = self.init(f"{prefix}.weight",
                      (self.rng.standard_normal((k, n)) / math.sqrt(k)).astype(np.float32))
        return self.op("MatMul", [x, w], prefix)

    def rms_norm(self, x, prefix):
        gain = self.init(f"{prefix}.weight",
                         (1 + 0.1 * self.rng.standard_normal(D_MODEL)).astype(np.float32))
        sq = self.op("Pow", [x, "two"], f"{prefix}.pow")
        ms = self.op("ReduceMean", [sq, "last_axis"], f"{prefix}.mean", keepdims=1)
        ms = self.op("Add", [ms, "rms_eps"], f"{prefix}.add_eps")
        rms = self.op("Sqrt", [ms], f"{prefix}.sqrt")
        y = self.op("Div", [x, rms], f"{prefix}.div")
        return self.op("Mul", [y, gain], f"{prefix}.mul")


def _rotary(g, x, prefix):
    """x * cos + rotate_half(x) * sin on [b, h, s, head_dim]."""
    lo = g.op("Slice", [x, "rope.zero", "rope.half", "last_axis"], f"{prefix}.lo")
    hi = g.op("Slice", [x, "rope.half", "rope.end", "last_axis"], f"{prefix}.hi")
    neg_hi = g.op("Neg", [hi], f"{prefix}.neg")
    rot = g.op("Concat", [neg_hi, lo], f"{prefix}.rotate_half", axis=-1)
    a = g.op("Mul", [x, "rope.cos"], f"{prefix}.mul_cos")
    b = g.op("Mul", [rot, "rope.sin"], f"{prefix}.mul_sin")
    return g.op("Add", [a, b], f"{prefix}.out")


def _attention(g, x, l):
    p = f"layers.{l}.self_attn"
    heads = "heads_shape"

    def per_head(t, tag, perm):
        r = g.op("Reshape", [t, heads], f"{p}.{tag}.reshape")
        return g.op("Transpose", [r], f"{p}.{tag}.transpose", perm=perm)

    q = per_head(g.linear(x, f"{p}.q_proj", D_MODEL, D_MODEL), "q", [0, 2, 1, 3])
    k = per_head(g.linear(x, f"{p}.k_proj", D_MODEL, D_MODEL), "k", [0, 2, 1, 3])
    v = per_head(g.linear(x, f"{p}.v_proj", D_MODEL, D_MODEL), "v", [0, 2, 1, 3])
    q = _rotary(g, q, f"{p}.q.rope")
    k = _rotary(g, k, f"{p}.k.rope")
    kt = g.op("Transpose", [k], f"{p}.k.t", perm=[0, 1, 3, 2])
    scores = g.op("MatMul", [q, kt], f"{p}.scores")
    scores = g.op("Mul", [scores, "attn_scale"], f"{p}.scaled")
    scores = g.op("Add", [scores, "causal_mask"], f"{p}.masked")
    probs = g.op("Softmax", [scores], f"{p}.softmax", axis=-1)
    ctx = g.op("MatMul", [probs, v], f"{p}.context")
    ctx = g.op("Transpose", [ctx], f"{p}.merge.transpose", perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", [ctx, "merge_shape"], f"{p}.merge.reshape")
    return g.linear(ctx, f"{p}.o_proj", D_MODEL, D_MODEL)


def _swiglu(g, x, l):
    p = f"layers.{l}.mlp"
    gate = g.linear(x, f"{p}.gate_proj", D_MODEL, D_FF)
    up = g.linear(x, f"{p}.up_proj", D_MODEL, D_FF)
    silu = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{p}.sigmoid")], f"{p}.silu")
    return g.linear(g.op("Mul", [silu, up], f"{p}.gated"), f"{p}.down_proj", D_FF, D_MODEL)


def _rope_cache():
    inv_freq = 1.0 / ROPE_BASE ** (np.arange(0, HEAD_DIM, 2, dtype=np.float64) / HEAD_DIM)
    angles = np.outer(np.arange(MAX_POS, dtype=np.float64), inv_freq)  # [pos, d/2]
    angles = np.concatenate([angles, angles], axis=-1)  # rotate-half layout
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def build_model():
    """Returns the ModelProto."""
    g = Graph(np.random.default_rng(MODEL_SEED))
    embed = g.init("embed_tokens.weight",
                   g.rng.standard_normal((VOCAB, D_MODEL)).astype(np.float32))
    cos, sin = _rope_cache()
    g.init("rope.cos_cache", cos)
    g.init("rope.sin_cache", sin)
    g.const_f32("two", 2.0)
    g.const_i64("last_axis", [-1])
    g.const_f32("rms_eps", RMS_EPS)
    g.const_i64("rope.zero", [0])
    g.const_i64("rope.half", [HEAD_DIM // 2])
    g.const_i64("rope.end", [HEAD_DIM])
    g.const_f32("attn_scale", 1.0 / math.sqrt(HEAD_DIM))
    g.const_i64("heads_shape", [0, 0, N_HEAD, HEAD_DIM])
    g.const_i64("merge_shape", [0, 0, D_MODEL])

    h = g.op("Gather", [embed, "input_ids"], "embed_tokens", axis=0)
    shape = g.op("Shape", ["input_ids"], "shape")
    seq = g.op("Gather", [shape, g.const_i64("one_index", 1)], "seq_len", axis=0)
    positions = g.op("Range", [g.const_i64("zero", 0), seq, g.const_i64("one", 1)], "positions")
    g.op("Gather", ["rope.cos_cache", positions], "rope.cos", axis=0)  # [s, head_dim]
    g.op("Gather", ["rope.sin_cache", positions], "rope.sin", axis=0)
    rows = g.op("Unsqueeze", [positions, g.const_i64("axis1", [1])], "mask.rows")
    cols = g.op("Unsqueeze", [positions, g.const_i64("axis0", [0])], "mask.cols")
    future = g.op("Less", [rows, cols], "mask.future")  # key after query
    g.op("Where", [future, g.const_f32("mask_value", MASK_VALUE), g.const_f32("mask_zero", 0.0)],
         "causal_mask")

    for l in range(N_LAYER):
        a = _attention(g, g.rms_norm(h, f"layers.{l}.input_layernorm"), l)
        h = g.op("Add", [h, a], f"layers.{l}.attn_residual")
        m = _swiglu(g, g.rms_norm(h, f"layers.{l}.post_attention_layernorm"), l)
        h = g.op("Add", [h, m], f"layers.{l}.mlp_residual")
    h = g.rms_norm(h, "norm")
    lm = g.init("lm_head.weight",
                (g.rng.standard_normal((D_MODEL, VOCAB)) / math.sqrt(D_MODEL)).astype(np.float32))
    g.nodes.append(helper.make_node("MatMul", [h, lm], ["logits"], name="lm_head"))

    return decoder_model(g.nodes, g.inits, "llama", VOCAB, OPSET)


def test_inputs(shape=TEST_SHAPE, seed=TEST_SEED):
    rng = np.random.default_rng(seed)
    return {"input_ids": rng.integers(0, VOCAB, size=shape, dtype=np.int64)}


def generate(out_dir):
    """Writes llama.onnx and test.npz into out_dir; returns their paths."""
    return write_example(out_dir, "llama", build_model(), test_inputs())


def main(argv=None):
    return decoder_main(argv, __doc__.splitlines()[0], "llama", generate, VOCAB)


if __name__ == "__main__":
    sys.exit(main())
