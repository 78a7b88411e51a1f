"""Writes small ONNX models for the importer's lit tests.

usage: make_model.py KIND OUT.onnx

Deterministic: the same KIND always gives the same bytes. Bad models are
built with the onnx helper API and deliberately not checked.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=17, name="g"):
    graph = helper.make_graph(list(nodes), name, list(inputs), list(outputs),
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quantc-test")
    m.ir_version = 8
    return m


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def weight(name, shape, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(dtype), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


MODELS = {}


def kind(fn):
    MODELS[fn.__name__] = fn
    return fn


@kind
def mlp():
    # x[?,4] -> MatMul W1[4,8] -> Add b1 -> Relu -> Gemm(W2^T, b2) -> y[?,3]
    return model(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Add", ["h", "b1"], ["hb"], name="fc1_bias"),
         helper.make_node("Relu", ["hb"], ["r"], name="act"),
         helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], name="fc2",
                          transB=1, alpha=0.5, beta=2.0)],
        [vi("x", ["batch", 4])], [vi("y", ["batch", 3])],
        [weight("w1", [4, 8]), weight("b1", [8], 1), weight("w2", [3, 8], 2),
         numpy_helper.from_array(np.array([1, 2, 3], np.float32), "b2")])


@kind
def elementwise():
    return model(
        [helper.make_node("Sub", ["a", "b"], ["s"], name="sub"),
         helper.make_node("Mul", ["s", "c"], ["m"], name="mul"),
         helper.make_node("Div", ["m", "k"], ["d"], name="div")],
        [vi("a", [2, 1, 4]), vi("b", [3, 1]), vi("c", [4])], [vi("d", None)],
        [numpy_helper.from_array(np.array(2.0, np.float32), "k")])


@kind
def layout():
    shape = helper.make_node("Constant", [], ["shape"], name="shape_const",
                             value=helper.make_tensor("v", TensorProto.INT64, [3], [0, -1, 4]))
    return model(
        [shape,
         helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
         helper.make_node("Transpose", ["r"], ["t"], name="transpose", perm=[2, 0, 1]),
         helper.make_node("Identity", ["t"], ["i"], name="identity"),
         helper.make_node("Flatten", ["i"], ["f"], name="flatten", axis=1)],
        [vi("x", ["n", 2, 8])], [vi("f", None)])


@kind
def static_reshape():
    return model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
        [vi("x", [2, 3, 4])], [vi("y", None)], [ints("s", [0, -1])])


@kind
def matmul_vec():
    # 1-D operands follow numpy: [4] x [2,4,5] -> [2,5]; [2,3,4] x [4] -> [2,3]
    return model(
        [helper.make_node("MatMul", ["v", "w"], ["a"], name="vec_mat"),
         helper.make_node("MatMul", ["m", "v"], ["b"], name="mat_vec")],
        [vi("v", [4]), vi("w", [2, 4, 5]), vi("m", [2, 3, 4])],
        [vi("a", None), vi("b", None)])


@kind
def dtypes():
    # FLOAT16 / DOUBLE / typed-field initializers, all used as f32 weights.
    h = numpy_helper.from_array(np.array([1.5, -2.0], np.float16), "h")
    d = numpy_helper.from_array(np.array([0.25, 4.0], np.float64), "d")
    f = helper.make_tensor("f", F, [2], [3.0, 5.0])  # float_data, not raw
    i32 = helper.make_tensor("s", TensorProto.INT32, [2], [1, 2])
    return model(
        [helper.make_node("Add", ["x", "h"], ["a"], name="add_h"),
         helper.make_node("Mul", ["a", "d"], ["b"], name="mul_d"),
         helper.make_node("Sub", ["b", "f"], ["c"], name="sub_f"),
         helper.make_node("Reshape", ["c", "s"], ["y"], name="reshape_i32")],
        [vi("x", [2])], [vi("y", None)], [h, d, f, i32])


@kind
def init_as_input():
    # An initializer also listed as a graph input is a constant.
    w = weight("w", [3, 3])
    return model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", [1, 3]), vi("w", [3, 3])], [vi("y", None)], [w])


@kind
def gemm_plain():
    # transA, runtime C, beta != 1
    return model(
        [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="g", transA=1, beta=3.0)],
        [vi("a", [4, 2]), vi("b", [4, 5]), vi("c", [1, 5])], [vi("y", None)], opset=13)


@kind
def constant_attrs():
    return model(
        [helper.make_node("Constant", [], ["k"], value_floats=[1.0, 2.0]),
         helper.make_node("Constant", [], ["s"], value_ints=[2, 1]),
         helper.make_node("Add", ["x", "k"], ["a"]),
         helper.make_node("Reshape", ["a", "s"], ["y"])],
        [vi("x", [2])], [vi("y", None)])


@kind
def reshape_v1():
    return model(
        [helper.make_node("Reshape", ["x"], ["y"], name="r", shape=[4, -1])],
        [vi("x", [2, 4])], [vi("y", None)], opset=1)


# ---- bad models -------------------------------------------------------------

@kind
def unsupported():
    n = [helper.make_node("RoiAlign", ["x", "w"], ["c1"]),
         helper.make_node("RoiAlign", ["c1", "w"], ["c2"]),
         helper.make_node("Det", ["c2"], ["s"]),
         helper.make_node("Relu", ["s"], ["r"]),
         helper.make_node("FusedMatMul", ["r", "r"], ["y"], domain="com.microsoft")]
    return model(n, [vi("x", [1, 1, 4, 4]), vi("w", [1, 1, 1, 1])], [vi("y", None)])


@kind
def matmul_mismatch():
    return model(
        [helper.make_node("Relu", ["x"], ["r"], name="act"),
         helper.make_node("MatMul", ["r", "w"], ["y"], name="proj")],
        [vi("x", [2, 3])], [vi("y", None)], [weight("w", [4, 5])])


@kind
def add_mismatch():
    return model(
        [helper.make_node("Add", ["a", "b"], ["y"], name="bad_add")],
        [vi("a", [2, 3]), vi("b", [4, 3])], [vi("y", None)])


@kind
def wrong_inputs():
    return model(
        [helper.make_node("Relu", ["x", "x"], ["y"], name="two_in")],
        [vi("x", [2])], [vi("y", None)])


@kind
def negative_dim():
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="r")],
        [vi("x", [2, -3])], [vi("y", None)])


@kind
def negative_init_dim():
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([2, -1])
    return model(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [vi("x", [2])], [vi("y", None)], [t])


@kind
def huge_init():
    # Declares 2^50 elements with 8 bytes of data: rejected before allocating.
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([1 << 25, 1 << 25])
    t.raw_data = b"\0" * 8
    return model(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [vi("x", [2])], [vi("y", None)], [t])


@kind
def raw_mismatch():
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([2, 2])
    t.raw_data = b"\0" * 12
    return model(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [vi("x", [2, 2])], [vi("y", None)], [t])


@kind
def external_data():
    t = TensorProto()
    t.name = "w"
    t.data_type = F
    t.dims.extend([2])
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "weights.bin"
    return model(
        [helper.make_node("Add", ["x", "w"], ["y"])],
        [vi("x", [2])], [vi("y", None)], [t])


@kind
def reshape_bad():
    return model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
        [vi("x", [2, 3])], [vi("y", None)], [ints("s", [4, -1])])


@kind
def int_input():
    return model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
        [vi("x", [2, 3]), vi("s", [2], TensorProto.INT16)], [vi("y", None)])


@kind
def no_shape():
    x = helper.make_tensor_value_info("x", F, None)
    return model([helper.make_node("Relu", ["x"], ["y"])], [x], [vi("y", None)])


@kind
def undefined_input():
    return model([helper.make_node("Relu", ["nope"], ["y"], name="r")],
                 [vi("x", [2])], [vi("y", None)])


@kind
def bad_perm():
    return model([helper.make_node("Transpose", ["x"], ["y"], name="t", perm=[0, 0])],
                 [vi("x", [2, 3])], [vi("y", None)])


def main():
    kind_name, out = sys.argv[1], sys.argv[2]
    m = MODELS[kind_name]()
    data = m.SerializeToString()
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
