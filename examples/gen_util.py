"""Helpers shared by the example generators (examples/*/make_*.py): they
write their files only when the bytes change, so `make` stays quiet and
timestamps stay put."""
import io
import os

import numpy as np


def npz_bytes(**arrays):
    """The .npz file np.savez writes for `arrays` (fixed zip timestamps, so
    the bytes are reproducible)."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def write_if_changed(path, data):
    """Writes `data` to `path` atomically unless the file already holds it."""
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def decoder_model(nodes, inits, name, vocab, opset):
    """The checked ONNX model of a decoder graph: int64 `input_ids` [batch,
    seq] in, float `logits` [batch, seq, vocab] out."""
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", vocab])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="quantc-examples", producer_version="1")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def write_example(out_dir, name, model, inputs):
    """Writes <name>.onnx and test.npz into out_dir; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    files = {"model": (os.path.join(out_dir, f"{name}.onnx"), model.SerializeToString()),
             "test": (os.path.join(out_dir, "test.npz"), npz_bytes(**inputs))}
    for path, data in files.values():
        write_if_changed(path, data)
    return {k: v[0] for k, v in files.items()}


def decoder_main(argv, description, name, generate, vocab):
    """The command line of a decoder generator: --out-dir, and --check to run
    the model once with onnxruntime."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out-dir", required=True, help=f"directory for {name}.onnx and test.npz")
    p.add_argument("--check", action="store_true", help="also run the model with onnxruntime")
    args = p.parse_args(argv)
    paths = generate(args.out_dir)
    print(f"{paths['model']}: {os.path.getsize(paths['model']) / 1e6:.2f} MB")
    if args.check:
        import onnxruntime as ort
        sess = ort.InferenceSession(paths["model"], providers=["CPUExecutionProvider"])
        ids = np.load(paths["test"])["input_ids"]
        (y,) = sess.run(["logits"], {"input_ids": ids})
        assert y.shape == ids.shape + (vocab,) and np.isfinite(y).all()
        print(f"onnxruntime: logits {y.shape}, std {y.std():.3f}, |y|max {np.abs(y).max():.3f}")
    return 0
