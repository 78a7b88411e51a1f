// RUN: quant-translate --export-onnx %s -o %t.onnx
// RUN: %python %S/Inputs/print_onnx.py %t.onnx | FileCheck %s

// MXFP4 activations and weights: FP4 codes travel as FLOAT8E4M3FN (every
// E2M1 value is one), so the f4 weight constant becomes an E4M3FN
// initializer under a blocked DequantizeLinear. ONNX Runtime has no kernel
// that rounds to FP4, so the activation codes are the rounding spelled out
// (scale per block, then Round of y / spacing, spacing picked by
// comparisons with 2^1 and 2^2) and a Cast to FLOAT8E4M3FN; no
// QuantizeLinear. The MXINT8 activation is a blocked INT8 QuantizeLinear.
// CHECK: opset 21
// CHECK-DAG: init FLOAT8E4M3FN [2, 64]
// CHECK: node Abs
// CHECK: node Clip
// CHECK: node Pow
// CHECK: node IsNaN
// CHECK: node Where
// CHECK: node Unsqueeze
// CHECK-NEXT: node Where
// CHECK-NEXT: node Sub
// CHECK-NEXT: node Pow
// CHECK-NEXT: node Unsqueeze
// CHECK-NEXT: node Mul
// CHECK-NEXT: node Abs
// CHECK-NEXT: node GreaterOrEqual
// CHECK-NEXT: node Where
// CHECK-NEXT: node GreaterOrEqual
// CHECK-NEXT: node Where
// CHECK-NEXT: node Div
// CHECK-NEXT: node Round
// CHECK-NEXT: node Mul
// CHECK-NEXT: node Clip
// CHECK-NEXT: node Reshape
// CHECK-NEXT: node Cast to=17 saturate=1
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=32
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=32
// CHECK-NEXT: node Transpose perm=[1, 0]
// CHECK-NEXT: node MatMul
// CHECK: node QuantizeLinear axis=1 block_size=32
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=32
// CHECK-NOT: QuantizeLinear
// CHECK: output y FLOAT ['out0_d0', 2]
func.func @main(%x: tensor<?x64xf32> {qc.name = "x"}) -> (tensor<?x2xf32> {qc.name = "y"}, tensor<?x64xf32> {qc.name = "z"}) {
  %ws = arith.constant dense<[[1.0, 0.5], [0.25, 2.0]]> : tensor<2x2xf8E8M0FNU>
  %wc = arith.constant dense<-1.5> : tensor<2x64xf4E2M1FN>
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp4">} : tensor<?x64xf32> -> (tensor<?x64xf4E2M1FN>, tensor<?x2xf8E8M0FNU>)
  %0 = qc.qmatmul %c, %s, %wc, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp4">, rhs_scheme = #qc.scheme<"mxfp4">} : (tensor<?x64xf4E2M1FN>, tensor<?x2xf8E8M0FNU>, tensor<2x64xf4E2M1FN>, tensor<2x2xf8E8M0FNU>) -> tensor<?x2xf32>
  %ic, %is = qc.quantize %x {scheme = #qc.scheme<"mxint8">} : tensor<?x64xf32> -> (tensor<?x64xi8>, tensor<?x2xf8E8M0FNU>)
  %1 = qc.dequantize %ic, %is {scheme = #qc.scheme<"mxint8">} : (tensor<?x64xi8>, tensor<?x2xf8E8M0FNU>) -> tensor<?x64xf32>
  %2 = qc.add %1, %1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %0, %2 : tensor<?x2xf32>, tensor<?x64xf32>
}
