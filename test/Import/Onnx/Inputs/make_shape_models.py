"""Writes small ONNX models for the Shape family's import lit tests and
pytest (python/tests/test_ops_shape.py imports this file).

usage: make_shape_models.py KIND OUT.onnx
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs),
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quantc-test")
    m.ir_version = 8
    return m


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def shape_chain(batch="batch"):
    """The chain exported transformers use to flatten the trailing dims:
    Shape -> Gather(0) -> Unsqueeze -> Concat([b, -1]) -> Reshape, plus
    Shape -> Slice -> Gather -> Mul on int64 values."""
    n = helper.make_node
    nodes = [
        n("Shape", ["x"], ["s"]),
        n("Gather", ["s", "zero"], ["b"], axis=0),
        n("Unsqueeze", ["b", "axes0"], ["b1"]),
        n("Concat", ["b1", "minus1"], ["target"], axis=0),
        n("Reshape", ["x", "target"], ["flat"]),
        # Trailing dims product, computed on int64 values: 4 * 6.
        n("Slice", ["s", "one", "big"], ["tail"]),
        n("Gather", ["tail", "zero"], ["d1"], axis=0),
        n("Gather", ["tail", "one_s"], ["d2"], axis=0),
        n("Mul", ["d1", "d2"], ["prod"]),
        n("Identity", ["prod"], ["prod64"]),
        n("Unsqueeze", ["prod64", "axes0"], ["prod1"]),
        n("Concat", ["b1", "prod1"], ["target2"], axis=0),
        n("Reshape", ["x", "target2"], ["flat2"]),
        n("Add", ["flat", "flat2"], ["y"]),
    ]
    inits = [ints("zero", 0), ints("one_s", 1), ints("axes0", [0]),
             ints("minus1", [-1]), ints("one", [1]), ints("big", [2**62])]
    return model(nodes, [vi("x", [batch, 4, 6])], [vi("y", [batch, 24]),
                 vi("s", [3], I64)], inits)


def gpt2_mask():
    """Causal-mask slicing as GPT-2 exports do it: the bias buffer is sliced
    with bounds computed from the (symbolic) sequence length."""
    n = helper.make_node
    mask = np.tril(np.ones((8, 8), dtype=np.float32))
    nodes = [
        n("Shape", ["x"], ["s"]),
        n("Gather", ["s", "one_s"], ["seq"], axis=0),
        n("Unsqueeze", ["seq", "axes0"], ["seq1"]),
        n("Slice", ["bias", "zero1", "seq1", "axes0"], ["rows"]),
        n("Slice", ["rows", "zero1", "seq1", "axes1"], ["m"]),
        n("Mul", ["x", "m"], ["y"]),
    ]
    inits = [ints("one_s", 1), ints("axes0", [0]), ints("axes1", [1]),
             ints("zero1", [0]), numpy_helper.from_array(mask, "bias")]
    return model(nodes, [vi("x", ["b", "seq", "seq"])], [vi("y", ["b", "seq", "seq"])],
                 inits)


def string_input():
    """A graph input of a type the importer does not take (INT64 inputs
    are accepted since the Shape family)."""
    n = helper.make_node
    return model([n("Identity", ["s"], ["y"])],
                 [vi("s", [2], TensorProto.STRING)], [vi("y", None)])


MODELS = {"shape_chain": shape_chain, "gpt2_mask": gpt2_mask,
          "string_input": string_input}

if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        f.write(MODELS[kind]().SerializeToString())
