"""An fp16 (or bf16) export of an ONNX model, as converters write one:
every FLOAT initializer, Constant value, graph input, output and
value_info, and every Cast to FLOAT, made FLOAT16 (BFLOAT16); and its .npz
inputs in float16 (bfloat16 as uint16 bit patterns, the CPU and package
contract). Used by the tests and benchmarks of half-precision models
(qc-widen-floats, docs/Import.md)."""
import numpy as np


# Inputs the ONNX schemas type tensor(float) whatever the data's type
# (Resize's roi and scales, Upsample's scales): they stay FLOAT, as in
# onnxconverter-common's float16 conversion.
FLOAT_ONLY = {"Resize": (1, 2), "Upsample": (1,)}


def _half(a, bfloat16):
    """float32 values rounded to f16 (finite ones beyond its range clipped
    to +-65504, as onnxconverter-common does, so that a -1e9 attention
    mask stays finite), or to bf16 as uint16 bit patterns (round to
    nearest even)."""
    if not bfloat16:
        a = np.asarray(a, np.float32)
        a = np.where(np.isfinite(a), np.clip(a, -65504.0, 65504.0), a)
        return a.astype(np.float16)
    import ml_dtypes
    return np.asarray(a, np.float32).astype(ml_dtypes.bfloat16).view(
        np.uint16)


def to_float16_model(model, bfloat16=False):
    """`model` (an onnx.ModelProto) with its FLOAT tensors FLOAT16 (or
    BFLOAT16), in place; returned."""
    from onnx import TensorProto as T, helper, numpy_helper
    want = T.BFLOAT16 if bfloat16 else T.FLOAT16

    def half(t):
        a = _half(numpy_helper.to_array(t), bfloat16)
        t.CopyFrom(helper.make_tensor(t.name, want, a.shape, a.tobytes(),
                                      raw=True))

    keep = {n.input[i] for n in model.graph.node
            for i in FLOAT_ONLY.get(n.op_type, ()) if i < len(n.input)}
    for init in model.graph.initializer:
        if init.data_type == T.FLOAT and init.name not in keep:
            half(init)
    for v in list(model.graph.input) + list(model.graph.output) + \
            list(model.graph.value_info):
        if v.type.tensor_type.elem_type == T.FLOAT:
            v.type.tensor_type.elem_type = want
    for n in model.graph.node:
        for a in n.attribute:
            if a.name == "to" and a.i == T.FLOAT:
                a.i = want
            if a.name == "value" and a.t.data_type == T.FLOAT and \
                    not keep.intersection(n.output):
                half(a.t)
    return model


def half_arrays(arrays, bfloat16=False):
    """{name: array} with float32 arrays in float16 (bf16 bit patterns),
    others as they are."""
    return {k: _half(v, bfloat16) if v.dtype == np.float32 else v
            for k, v in arrays.items()}
