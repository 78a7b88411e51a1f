"""Writes small ONNX models with quantization ops for the lit tests of the
Quant family's importer handlers. Usage: make_quant_model.py KIND OUT."""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

kind, out = sys.argv[1], sys.argv[2]
F, U8, I4 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT4


def model(nodes, inputs, outputs, inits, opset):
    g = helper.make_graph(nodes, kind, inputs, outputs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


vi = helper.make_tensor_value_info
if kind == "qdq":
    # Blocked INT4 with an int32_data-packed zero point (5 values: odd).
    inits = [numpy_helper.from_array(np.full((2, 5), 0.5, np.float32), "s"),
             helper.make_tensor("z", I4, [2, 5], [-8, -1, 0, 1, 7] * 2)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"],
                              axis=1, block_size=4, name="q"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"],
                              axis=1, block_size=4, name="dq"),
             helper.make_node("DynamicQuantizeLinear", ["x"],
                              ["dq8", "ds", "dz"], name="dyn"),
             helper.make_node("Cast", ["x"], ["c8"],
                              to=TensorProto.FLOAT8E4M3FN, saturate=0,
                              name="cast")]
    m = model(nodes, [vi("x", F, [2, 18])],
              [vi("y", F, [2, 18]), vi("dq8", U8, [2, 18]), vi("ds", F, []),
               vi("dz", U8, []), vi("c8", TensorProto.FLOAT8E4M3FN, [2, 18])],
              inits, 21)
elif kind == "codes_input":
    # A graph input of FLOAT8E5M2 codes, dequantized per axis.
    inits = [numpy_helper.from_array(np.array([1, 2], np.float32), "s")]
    nodes = [helper.make_node("DequantizeLinear", ["c", "s"], ["y"], axis=0)]
    m = model(nodes, [vi("c", TensorProto.FLOAT8E5M2, [2, 3])],
              [vi("y", F, [2, 3])], inits, 19)
elif kind in ("dtype_mismatch", "precision", "block_at_19", "bad_block"):
    s = np.full((2, 2) if kind == "bad_block" else (), 0.5, np.float32)
    inits = [numpy_helper.from_array(s, "s")]
    ins = ["x", "s"]
    attrs = {}
    opset = 23
    if kind == "dtype_mismatch":
        inits.append(helper.make_tensor("z", U8, [], [0]))
        ins.append("z")
        attrs["output_dtype"] = TensorProto.INT8
    elif kind == "precision":
        attrs["precision"] = TensorProto.FLOAT16
    elif kind == "block_at_19":
        attrs.update(axis=1, block_size=2)
        opset = 19
    else:
        attrs.update(axis=1, block_size=4)
    nodes = [helper.make_node("QuantizeLinear", ins, ["q"], name="q", **attrs)]
    m = model(nodes, [vi("x", F, [2, 4])], [vi("q", U8, [2, 4])], inits,
              opset)
else:
    sys.exit(f"unknown kind {kind}")
save(m, out)
