"""Writes small ONNX models of Math-family ops for the importer's lit tests.

usage: make_math_models.py KIND OUT.onnx   (deterministic)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs),
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quantc-test")
    m.ir_version = 8
    return m


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def arr(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


MODELS = {
    # Softmax-11 flattens at axis 1: reshape, softmax on the 2-D rows, back.
    "softmax11": lambda: model(
        [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
        [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], opset=11),
    # Softmax-13 with a negative axis on a dynamic batch.
    "softmax13": lambda: model(
        [helper.make_node("Softmax", ["x"], ["y"], axis=-2)],
        [vi("x", ["n", 3, 4])], [vi("y", ["n", 3, 4])], opset=13),
    # The transformer block's math: LayerNorm, Gelu, a mask with Where.
    "block": lambda: model(
        [helper.make_node("LayerNormalization", ["x", "g", "b"], ["n"],
                          epsilon=1e-6),
         helper.make_node("Gelu", ["n"], ["a"], approximate="tanh"),
         helper.make_node("Less", ["pos", "len"], ["m"]),
         helper.make_node("Where", ["m", "a", "zero"], ["y"])],
        [vi("x", ["n", 8]), vi("pos", ["n", 1], I64), vi("len", [], I64)],
        [vi("y", ["n", 8])],
        [arr("g", np.ones(8)), arr("b", np.zeros(8)), arr("zero", 0.0)],
        opset=20),
    # ReduceMean with the axes attribute (13) and input (18); Clip-6 attrs.
    "reduce": lambda: model(
        [helper.make_node("ReduceMean", ["x"], ["a"], axes=[-1, 0],
                          keepdims=0),
         helper.make_node("Clip", ["a"], ["y"], min=-1.0, max=1.0)],
        [vi("x", [2, 3, 4])], [vi("y", [3])], opset=10),
    "reduce18": lambda: model(
        [helper.make_node("ReduceSumSquare", ["x", "axes"], ["y"])],
        [vi("x", [2, 3, 4])], [vi("y", [2, 1, 1])],
        [arr("axes", [2, -2], np.int64)], opset=18),
    "reduce18_bad_axes": lambda: model(
        [helper.make_node("ReduceMax", ["x", "axes"], ["y"])],
        [vi("x", [2, 3])], [vi("y", [1, 1])],
        [arr("axes", [1, -1], np.int64)], opset=18),
    "softmax_bad_axis": lambda: model(
        [helper.make_node("LogSoftmax", ["x"], ["y"], axis=3)],
        [vi("x", [2, 3])], [vi("y", [2, 3])], opset=13),
    "where_bad_cond": lambda: model(
        [helper.make_node("Where", ["c", "x", "x"], ["y"])],
        [vi("c", [2]), vi("x", [2])], [vi("y", [2])], opset=16),
}

if __name__ == "__main__":
    onnx.save(MODELS[sys.argv[1]](), sys.argv[2])
