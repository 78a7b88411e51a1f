"""Writes small ONNX models whose shape-like inputs (Resize scales/sizes/roi,
Reduce axes, Reshape shape) are computed at run time, plus MaxPool with
Indices and BatchNormalization in training mode, for the importer's lit test
computed-shapes.test.

usage: make_computed_shape_models.py KIND OUT.onnx   (deterministic bytes)
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64
n = helper.make_node


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


def reshape_unknown_length(rank):
    """Reshape(x, Concat([-1], Shape(x)[start:])): `start` is a graph input,
    so the shape's length is unknown; `rank` declares the output's rank."""
    out = vi("y", [None] * rank) if rank else vi("y", None)
    return model([n("Shape", ["x"], ["xs"]),
                  n("Slice", ["xs", "start", "end"], ["tail"]),
                  n("Concat", ["m1", "tail"], ["s"], axis=0),
                  n("Reshape", ["x", "s"], ["y"], name="rdyn")],
                 [vi("x", [2, 3, 4]), vi("start", [1], I64)], [out],
                 [const("end", np.array([3], np.int64)),
                  const("m1", np.array([-1], np.int64))])


MODELS = {
    "resize_scales": lambda: model(
        [n("Resize", ["x", "", "scales"], ["y"], name="rs", mode="cubic")],
        [vi("x", ["b", 3, 4, 4]), vi("scales", [4])], [vi("y", None)]),
    "resize_sizes_axes": lambda: model(
        [n("Resize", ["x", "", "", "sizes"], ["y"], name="rs", axes=[2, 3])],
        [vi("x", [2, 3, 4, 4]), vi("sizes", [2], I64)], [vi("y", None)]),
    "resize_crop": lambda: model(
        [n("Resize", ["x", "roi", "", "sizes"], ["y"], name="crop",
           mode="linear", coordinate_transformation_mode="tf_crop_and_resize",
           extrapolation_value=10.0)],
        [vi("x", [1, 1, 4, 4])], [vi("y", None)],
        [const("roi", np.array([0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], np.float32)),
         const("sizes", np.array([1, 1, 3, 3], np.int64))], opset=13),
    "resize_unsorted_axes": lambda: model(
        [n("Resize", ["x", "", "", "sizes"], ["y"], name="rs", axes=[3, 2])],
        [vi("x", [2, 3, 4, 4]), vi("sizes", [2], I64)], [vi("y", None)]),
    "resize_crop_no_roi": lambda: model(
        [n("Resize", ["x", "", "scales"], ["y"], name="crop",
           coordinate_transformation_mode="tf_crop_and_resize")],
        [vi("x", [1, 1, 4, 4]), vi("scales", [4])], [vi("y", None)]),
    "upsample_scales": lambda: model(
        [n("Upsample", ["x", "scales"], ["y"], name="up")],
        [vi("x", [1, 1, 2, 2]), vi("scales", [4])], [vi("y", None)], opset=9),
    "reduce_axes": lambda: model(
        [n("ReduceSum", ["x", "axes"], ["y"], name="rsum", keepdims=0)],
        [vi("x", [2, 1, 4]), vi("axes", [2], I64)], [vi("y", None)],
        opset=13),
    "reduce_axes_keep": lambda: model(
        [n("ReduceMean", ["x", "axes"], ["y"], name="rmean")],
        [vi("x", [2, 1, 4]), vi("axes", ["k"], I64)], [vi("y", None)],
        opset=18),
    "reduce_axes_norank": lambda: model(
        [n("ReduceSum", ["x", "axes"], ["y"], name="rsum", keepdims=0)],
        [vi("x", [2, 1, 4]), vi("axes", ["k"], I64)], [vi("y", None)],
        opset=13),
    "reduce_axes_empty": lambda: model(
        [n("ReduceSum", ["x", "axes"], ["y"], name="rsum",
           noop_with_empty_axes=1)],
        [vi("x", [2, 3]), vi("axes", [0], I64)], [vi("y", None)], opset=13),
    "reshape_declared_rank": lambda: reshape_unknown_length(2),
    "reshape_no_rank": lambda: reshape_unknown_length(0),
    "maxpool_indices": lambda: model(
        [n("MaxPool", ["x"], ["y", "i"], name="mp", kernel_shape=[2, 2],
           strides=[2, 2], storage_order=1)],
        [vi("x", ["b", 1, 5, 5])], [vi("y", None), vi("i", None, I64)],
        opset=12),
    "batchnorm_training": lambda: model(
        [n("BatchNormalization", ["x", "s", "s", "s", "s"],
           ["y", "rm", "rv"], name="bn", training_mode=1, momentum=0.8)],
        [vi("x", [2, 3, 4])], [vi("y", None), vi("rm", None), vi("rv", None)],
        [const("s", np.ones(3, np.float32))], opset=15),
    "batchnorm_stats_inference": lambda: model(
        [n("BatchNormalization", ["x", "s", "s", "s", "s"],
           ["y", "rm"], name="bn")],
        [vi("x", [2, 3, 4])], [vi("y", None), vi("rm", None)],
        [const("s", np.ones(3, np.float32))], opset=15),
}

if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        f.write(MODELS[kind]().SerializeToString())
