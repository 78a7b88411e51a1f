// RUN: quant-translate --export-onnx %s -o %t.onnx
// RUN: %python %S/Inputs/print_onnx.py %t.onnx | FileCheck %s

// An MX activation quantize and a qmatmul with constant weight codes [N, K]
// and E8M0 scales: weights become FLOAT8E4M3FN codes plus decoded float32
// scales under a blocked DequantizeLinear, transposed for MatMul; the
// activation's scale is computed per block with standard ops.
// CHECK: opset 21
// CHECK: input x FLOAT ['in0_d0', 64]
// CHECK-DAG: init FLOAT [2, 2]
// CHECK-DAG: init FLOAT8E4M3FN [2, 64]
// CHECK: node Abs
// CHECK-NEXT: node Reshape
// CHECK-NEXT: node ReduceMax keepdims=0
// CHECK-NEXT: node Max
// CHECK-NEXT: node Log
// CHECK-NEXT: node Div
// CHECK-NEXT: node Floor
// CHECK-NEXT: node Pow
// CHECK: node Greater
// CHECK: node LessOrEqual
// CHECK: node Clip
// CHECK: node Pow
// CHECK: node QuantizeLinear axis=1 block_size=32 saturate=1
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=32
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=32
// CHECK-NEXT: node Transpose perm=[1, 0]
// CHECK-NEXT: node MatMul
// CHECK-NEXT: node Relu
// CHECK-NEXT: node Identity
// CHECK-NEXT: output y FLOAT ['out0_d0', 2]
func.func @main(%x: tensor<?x64xf32> {qc.name = "x"}) -> (tensor<?x2xf32> {qc.name = "y"}) {
  %ws = arith.constant dense<[[1.0, 0.5], [0.25, 2.0]]> : tensor<2x2xf8E8M0FNU>
  %wc = arith.constant dense<0.5> : tensor<2x64xf8E4M3FN>
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<?x64xf32> -> (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>)
  %0 = qc.qmatmul %c, %s, %wc, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<2x64xf8E4M3FN>, tensor<2x2xf8E8M0FNU>) -> tensor<?x2xf32>
  %1 = qc.relu %0 : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
