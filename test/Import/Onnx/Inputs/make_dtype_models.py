"""Writes small ONNX models with graph inputs of every numeric element type
for the importer's lit tests (test/Import/Onnx/dtypes.test).

usage: make_dtype_models.py KIND OUT.onnx   (deterministic)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs),
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="quantc-test")
    m.ir_version = 8
    return m


def vi(name, elem, shape=(3,)):
    return helper.make_tensor_value_info(name, elem, list(shape))


TYPES = [("f16", T.FLOAT16), ("bf16", T.BFLOAT16), ("f64", T.DOUBLE),
         ("i8", T.INT8), ("i16", T.INT16), ("u8", T.UINT8), ("u16", T.UINT16),
         ("u32", T.UINT32), ("u64", T.UINT64)]

MODELS = {
    # Add of every numeric type with itself.
    "add_all": lambda: model(
        [helper.make_node("Add", [n, n], [n + "_y"]) for n, _ in TYPES],
        [vi(n, t) for n, t in TYPES], [vi(n + "_y", t) for n, t in TYPES]),
    # Cast and CastLike to DOUBLE, UINT64, BFLOAT16; CastLike to a constant's
    # ONNX type (FLOAT16), not the f32 the constant would import as.
    "casts": lambda: model(
        [helper.make_node("Cast", ["x"], ["d"], to=T.DOUBLE),
         helper.make_node("Cast", ["x"], ["u"], to=T.UINT64),
         helper.make_node("CastLike", ["x", "like"], ["b"]),
         helper.make_node("CastLike", ["x", "half"], ["h"])],
        [vi("x", T.FLOAT), vi("like", T.BFLOAT16)],
        [vi("d", T.DOUBLE), vi("u", T.UINT64), vi("b", T.BFLOAT16),
         vi("h", T.FLOAT16)],
        [numpy_helper.from_array(np.array([1], np.float16), "half")]),
    # Pow-15 with mixed types; Clip of INT8 with an INT8 bound and none.
    "pow_clip": lambda: model(
        [helper.make_node("Pow", ["x", "n"], ["p"]),
         helper.make_node("Pow", ["n", "x"], ["q"]),
         helper.make_node("Clip", ["c", "lo"], ["r"]),
         helper.make_node("Clip", ["c"], ["s"])],
        [vi("x", T.FLOAT), vi("n", T.INT64), vi("c", T.INT8), vi("lo", T.INT8, ())],
        [vi("p", T.FLOAT), vi("q", T.INT64), vi("r", T.INT8), vi("s", T.INT8)],
        opset=15),
    # ConstantOfShape with an INT32 fill keeps INT32.
    "cos_int32": lambda: model(
        [helper.make_node("ConstantOfShape", ["shape"], ["y"],
                          value=numpy_helper.from_array(np.array([7], np.int32)))],
        [vi("shape", T.INT64, (2,))], [vi("y", T.INT32, ("a", "b"))]),
    # Initializers import as f32 / i64; next to an input of their own ONNX
    # type they are cast back to it. A FLOAT initializer next to a FLOAT16
    # input is a type error, as in ONNX.
    "const_types": lambda: model(
        [helper.make_node("Add", ["h", "ch"], ["a"]),
         helper.make_node("Mul", ["ci", "i"], ["m"]),
         helper.make_node("Max", ["d", "cd"], ["x"])],
        [vi("h", T.FLOAT16), vi("i", T.INT32), vi("d", T.DOUBLE)],
        [vi("a", T.FLOAT16), vi("m", T.INT32), vi("x", T.DOUBLE)],
        [numpy_helper.from_array(np.array([0.5, -1, 2], np.float16), "ch"),
         numpy_helper.from_array(np.array([3, -4, 5], np.int32), "ci"),
         numpy_helper.from_array(np.array([0.25, 1e-3, -7], np.float64), "cd")]),
    "const_type_mismatch": lambda: model(
        [helper.make_node("Add", ["h", "cf"], ["a"])],
        [vi("h", T.FLOAT16)], [vi("a", T.FLOAT16)],
        [numpy_helper.from_array(np.array([1, 2, 3], np.float32), "cf")]),
    "cos_float16": lambda: model(
        [helper.make_node("ConstantOfShape", ["shape"], ["y"],
                          value=numpy_helper.from_array(np.array([1.5], np.float16)))],
        [vi("shape", T.INT64, (2,))], [vi("y", T.FLOAT16, ("a", "b"))]),
    # Errors: STRING stays unsupported; Pow-7 takes one type.
    "cast_string": lambda: model(
        [helper.make_node("Cast", ["x"], ["y"], to=T.STRING)],
        [vi("x", T.FLOAT)], [vi("y", T.STRING)]),
    "pow7_mixed": lambda: model(
        [helper.make_node("Pow", ["x", "n"], ["y"])],
        [vi("x", T.FLOAT), vi("n", T.INT64)], [vi("y", T.FLOAT)], opset=7),
    "complex_input": lambda: model(
        [helper.make_node("Identity", ["x"], ["y"])],
        [vi("x", T.COMPLEX64)], [vi("y", T.COMPLEX64)]),
}

if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    onnx.save(MODELS[kind](), out)
