"""An fp16 export of an ONNX model, as converters write one: every FLOAT
initializer, Constant value, graph input, output and value_info, and every
Cast to FLOAT, made FLOAT16; and its .npz inputs in float16. Used by the
tests and benchmarks of half-precision models (qc-widen-floats,
docs/Import.md)."""
import numpy as np


def to_float16_model(model):
    """`model` (an onnx.ModelProto) with its FLOAT tensors FLOAT16, in
    place; returned. Values beyond f16's range become infinities (a -1e9
    attention mask: -inf), as a converter's cast does."""
    from onnx import TensorProto as T, numpy_helper

    def half(t):
        with np.errstate(over="ignore"):
            a = numpy_helper.to_array(t).astype(np.float16)
        t.CopyFrom(numpy_helper.from_array(a, t.name))

    for init in model.graph.initializer:
        if init.data_type == T.FLOAT:
            half(init)
    for v in list(model.graph.input) + list(model.graph.output) + \
            list(model.graph.value_info):
        if v.type.tensor_type.elem_type == T.FLOAT:
            v.type.tensor_type.elem_type = T.FLOAT16
    for n in model.graph.node:
        for a in n.attribute:
            if a.name == "to" and a.i == T.FLOAT:
                a.i = T.FLOAT16
            if a.name == "value" and a.t.data_type == T.FLOAT:
                half(a.t)
    return model


def half_arrays(arrays):
    """{name: array} with float32 arrays as float16, others as they are."""
    return {k: v.astype(np.float16) if v.dtype == np.float32 else v
            for k, v in arrays.items()}
