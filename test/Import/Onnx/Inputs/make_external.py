"""Writes ONNX models with external data for the importer's tests.

usage: make_external.py KIND OUT_DIR

OUT_DIR/model.onnx is the model; its weights go to files in OUT_DIR (or, for
the bad kinds, wherever the kind says). Deterministic. Bad models are written
without onnx's checker, which would refuse them.

Model: y = Gemm(Relu(x @ w1 + b1), w2, transB=1); x[2,256], w1[256,64],
b1[64], w2[16,64]. w1 and b1 share weights.bin (b1 at a 64-byte-aligned
offset, so one mapping serves both); w2 lives in w2.bin.
"""
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

F = TensorProto.FLOAT


def arrays():
    rng = np.random.default_rng(7)
    return {
        "w1": rng.standard_normal((256, 64)).astype(np.float32) * 0.1,
        "b1": rng.standard_normal((64,)).astype(np.float32),
        "w2": rng.standard_normal((16, 64)).astype(np.float32) * 0.1,
    }


def external(name, arr, location, offset=None, length=None, checksum=None):
    t = TensorProto()
    t.name = name
    t.data_type = F
    t.dims.extend(arr.shape)
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    if checksum is not None:
        entries.append(("checksum", checksum))
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def write_model(out_dir, inits, extra_const=None):
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
        helper.make_node("Add", ["h", "b1"], ["hb"], name="fc1_bias"),
        helper.make_node("Relu", ["hb"], ["r"], name="act"),
        helper.make_node("Gemm", ["r", "w2"], ["y"], name="fc2", transB=1),
    ]
    if extra_const is not None:  # b1 comes from a Constant node instead
        nodes.insert(0, helper.make_node("Constant", [], ["b1"], name="c",
                                         value=extra_const))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", F, [2, 256])],
        [helper.make_tensor_value_info("y", F, [2, 16])], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="quantc-test")
    m.ir_version = 8
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(m.SerializeToString())


B1_OFFSET = 256 * 64 * 4  # right after w1: 65536, aligned


def write_weights(out_dir, a, name="weights.bin"):
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(a["w1"].tobytes())
        f.write(a["b1"].tobytes())
    with open(os.path.join(out_dir, "w2.bin"), "wb") as f:
        f.write(a["w2"].tobytes())


def good_inits(a, w1_loc="weights.bin", **w1_kw):
    return [external("w1", a["w1"], w1_loc, 0, a["w1"].nbytes, **w1_kw)
            if not w1_kw else external("w1", a["w1"], w1_loc, **w1_kw),
            external("b1", a["b1"], "weights.bin", B1_OFFSET, a["b1"].nbytes),
            external("w2", a["w2"], "w2.bin")]


def main():
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    a = arrays()
    write_weights(out, a)
    inits = good_inits(a)
    if kind == "good":
        pass
    elif kind == "sparse":
        # w1 at a 1 GiB offset of a sparse file: cheap on disk, and the
        # importer maps it without reading the hole.
        off = 1 << 30
        with open(os.path.join(out, "sparse.bin"), "wb") as f:
            f.seek(off)
            f.write(a["w1"].tobytes())
        inits[0] = external("w1", a["w1"], "sparse.bin", off, a["w1"].nbytes)
    elif kind == "absolute":
        inits[0] = external("w1", a["w1"],
                            os.path.abspath(os.path.join(out, "weights.bin")))
    elif kind == "dotdot":
        inits[0] = external("w1", a["w1"], "sub/../weights.bin")
    elif kind == "symlink":
        outside = os.path.join(out, "..", os.path.basename(out) + ".outside.bin")
        with open(outside, "wb") as f:
            f.write(a["w1"].tobytes())
        link = os.path.join(out, "link.bin")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(outside), link)
        inits[0] = external("w1", a["w1"], "link.bin")
    elif kind == "hardlink":
        outside = os.path.join(out, "..", os.path.basename(out) + ".hard.bin")
        with open(outside, "wb") as f:
            f.write(a["w1"].tobytes())
        link = os.path.join(out, "hard.bin")
        if os.path.lexists(link):
            os.remove(link)
        os.link(outside, link)
        inits[0] = external("w1", a["w1"], "hard.bin")
    elif kind == "offset_past_eof":
        inits[1] = external("b1", a["b1"], "weights.bin", 1 << 20, 256)
    elif kind == "length_past_eof":
        inits[1] = external("b1", a["b1"], "weights.bin", B1_OFFSET, 4096)
    elif kind == "length_mismatch":
        inits[1] = external("b1", a["b1"], "weights.bin", B1_OFFSET, 128)
    elif kind == "missing":
        inits[2] = external("w2", a["w2"], "nowhere.bin")
    elif kind == "directory":
        os.makedirs(os.path.join(out, "adir"), exist_ok=True)
        inits[2] = external("w2", a["w2"], "adir")
    elif kind in ("checksum", "bad_checksum"):
        # ONNX: the SHA-1 of the whole file, hex.
        with open(os.path.join(out, "w2.bin"), "rb") as f:
            digest = hashlib.sha1(f.read()).hexdigest()
        if kind == "bad_checksum":
            digest = "0" * 40
        inits[2] = external("w2", a["w2"], "w2.bin", checksum=digest)
    elif kind == "const_external":
        # A Constant node's tensor may not use external data.
        t = external("c", a["b1"], "weights.bin", B1_OFFSET, a["b1"].nbytes)
        write_model(out, inits[:1] + inits[2:], extra_const=t)
        return
    elif kind == "bad_offset":
        inits[1] = external("b1", a["b1"], "weights.bin", "-4")
    else:
        sys.exit("unknown kind " + kind)
    write_model(out, inits)


if __name__ == "__main__":
    main()
