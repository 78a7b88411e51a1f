"""Writes small ONNX models of the NN op family for the importer's lit tests.

usage: make_nn_model.py KIND OUT.onnx   (deterministic bytes per KIND)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=19):
    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs),
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quantc-test")
    m.ir_version = 9
    return m


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def w(name, shape):
    return const(name, np.ones(shape, np.float32))


MODELS = {
    # auto_pad SAME_LOWER with stride 2 on 7x8: total pads 2x1 -> the odd one
    # goes first.
    "conv_same": lambda: model(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="c",
                          strides=[2, 2], auto_pad="SAME_LOWER")],
        [vi("x", ["n", 3, 7, 8])], [vi("y", None)],
        [w("w", [4, 3, 3, 2]), w("b", [4])]),
    "convt_shape": lambda: model(
        [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="ct",
                          strides=[2, 2], output_shape=[9, 10])],
        [vi("x", [1, 2, 4, 4])], [vi("y", None)], [w("w", [2, 3, 3, 3])]),
    "pools": lambda: model(
        [helper.make_node("MaxPool", ["x"], ["m"], name="mp",
                          kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
         helper.make_node("AveragePool", ["m"], ["a"], name="ap",
                          kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                          count_include_pad=1),
         helper.make_node("BatchNormalization", ["a", "s", "s", "s", "s"],
                          ["bn"], name="bn", epsilon=0.5),
         helper.make_node("GlobalAveragePool", ["bn"], ["y"], name="gap")],
        [vi("x", [2, 4, 10, 10])], [vi("y", None)], [w("s", [4])]),
    "resize_sizes": lambda: model(
        [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], name="rs",
                          mode="linear", axes=[2, 3],
                          coordinate_transformation_mode="align_corners")],
        [vi("x", [1, 2, 4, 5])], [vi("y", None)],
        [const("sizes", np.array([8, 3], np.int64))]),
    "qlinearconv": lambda: model(
        [helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz",
                                          "ys", "yz", "b"], ["y"], name="qc",
                          pads=[1, 1, 1, 1])],
        [vi("x", [1, 2, 5, 5], TensorProto.UINT8)],
        [vi("y", None, TensorProto.UINT8)],
        [const("xs", np.float32(0.1)), const("xz", np.uint8(128)),
         const("w", np.ones((3, 2, 3, 3), np.int8)),
         const("ws", np.array([0.1, 0.2, 0.3], np.float32)),
         const("wz", np.zeros(3, np.int8)), const("ys", np.float32(0.5)),
         const("yz", np.uint8(10)), const("b", np.array([1, 2, 3], np.int32))],
        opset=10),
    "maxpool_indices": lambda: model(
        [helper.make_node("MaxPool", ["x"], ["y", "i"], name="mpi",
                          kernel_shape=[2, 2])],
        [vi("x", [1, 1, 4, 4])], [vi("y", None), vi("i", None,
                                                     TensorProto.INT64)]),
    # Errors.
    "resize_cubic": lambda: model(
        [helper.make_node("Resize", ["x", "", "sc"], ["y"], name="cub",
                          mode="cubic", antialias=1)],
        [vi("x", [1, 1, 4, 4])], [vi("y", None)],
        [const("sc", np.array([1, 1, 2, 2], np.float32))]),
    "conv_same_dynamic": lambda: model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="dyn",
                          auto_pad="SAME_UPPER")],
        [vi("x", [1, 3, "h", 8])], [vi("y", None)], [w("w", [4, 3, 3, 3])]),
    "conv_group_mismatch": lambda: model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="grp", group=2)],
        [vi("x", [1, 6, 8, 8])], [vi("y", None)], [w("w", [4, 2, 3, 3])]),
}

if __name__ == "__main__":
    onnx.save(MODELS[sys.argv[1]](), sys.argv[2])
