"""Prints an ONNX model's nodes one a line (op, inputs -> outputs, int
attributes) and its initializers (name-free: type and dims), for FileCheck."""
import sys

import onnx

m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print("opset", m.opset_import[0].version)
for vi in m.graph.input:
    dims = [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    print("input", vi.name, onnx.TensorProto.DataType.Name(
        vi.type.tensor_type.elem_type), dims)
for i in m.graph.initializer:
    print("init", onnx.TensorProto.DataType.Name(i.data_type), list(i.dims))
for n in m.graph.node:
    attrs = " ".join(f"{a.name}={onnx.helper.get_attribute_value(a)}"
                     for a in n.attribute)
    print("node", n.op_type, attrs)
for vi in m.graph.output:
    dims = [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    print("output", vi.name, onnx.TensorProto.DataType.Name(
        vi.type.tensor_type.elem_type), dims)
