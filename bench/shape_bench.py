"""Shape-family Executor timing: the data movement of a GPT-2-sized block
(token embedding Gather, Split of the fused QKV projection, head
Reshape/Transpose, causal-mask dynamic Slice, Concat of past keys) run by
`quant-run` on CPU. Prints JSON; whole-process wall time, best of --repeat.

usage: .venv/bin/python bench/shape_bench.py [--build build] [--repeat 3]
"""
import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build_model(vocab, d, heads, seq):
    n = helper.make_node
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((vocab, d)).astype(np.float32)
    mask = np.tril(np.ones((1024, 1024), np.float32))
    nodes = [
        n("Gather", ["wte", "ids"], ["h"], axis=0),                # b x s x d
        n("Concat", ["h", "h", "h"], ["qkv"], axis=2),             # b x s x 3d
        n("Split", ["qkv"], ["q", "k", "v"], axis=2, num_outputs=3),
        n("Shape", ["ids"], ["sh"]),
        n("Gather", ["sh", "zero"], ["b"], axis=0),
        n("Gather", ["sh", "one"], ["s"], axis=0),
        n("Unsqueeze", ["b", "ax0"], ["b1"]),
        n("Unsqueeze", ["s", "ax0"], ["s1"]),
        n("Concat", ["b1", "s1", "nh", "hd"], ["hs"], axis=0),
        n("Reshape", ["k", "hs"], ["k4"]),
        n("Transpose", ["k4"], ["kt"], perm=[0, 2, 1, 3]),
        n("Concat", ["kt", "kt"], ["kcat"], axis=2),               # past + new
        n("Slice", ["bias", "z1", "s1", "ax0"], ["m1"]),
        n("Slice", ["m1", "z1", "s1", "ax1"], ["m"]),
        n("Expand", ["m", "ms"], ["mask"]),
    ]
    inits = [numpy_helper.from_array(emb, "wte"),
             numpy_helper.from_array(mask, "bias"),
             i64("zero", 0), i64("one", 1), i64("ax0", [0]), i64("ax1", [1]),
             i64("nh", [heads]), i64("hd", [d // heads]), i64("z1", [0]),
             i64("ms", [1, heads, 1, 1])]
    g = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)
         for x in ("q", "v", "kcat", "mask")], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    qr = str(Path(args.build) / "bin" / "quant-run")
    vocab, d, heads, batch, seq = 8192, 768, 12, 8, 512
    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        onnx.save(build_model(vocab, d, heads, seq), t / "m.onnx")
        ids = np.random.default_rng(1).integers(0, vocab, (batch, seq))
        np.savez(t / "in.npz", ids=ids.astype(np.int64))
        best = 1e9
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run([qr, t / "m.onnx", "--inputs", t / "in.npz",
                            "--outputs", t / "out.npz"], check=True)
            best = min(best, time.perf_counter() - t0)
    print(json.dumps({"bench": "shape_block", "vocab": vocab, "d": d,
                      "batch": batch, "seq": seq, "wall_s": round(best, 3)}))


if __name__ == "__main__":
    main()
