// RUN: quant-translate --export-onnx %s -o %t.onnx
// RUN: %python %S/Inputs/print_onnx.py %t.onnx | FileCheck %s
// RUN: not quant-translate --export-onnx %S/Inputs/unmapped.mlir -o %t.bad.onnx 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not test -e %t.bad.onnx

// ONNX-semantics Q/DQ ops map 1:1; a QuantizeLinear without a zero point
// gets a zero one of the codes' type (ONNX infers the output type from it).
// CHECK: input x FLOAT [4, 32]
// CHECK-DAG: init INT4 [4, 32]
// CHECK-DAG: init INT8 [4, 2]
// CHECK: node QuantizeLinear axis=1 block_size=16
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=16
// CHECK-NEXT: node DequantizeLinear axis=1 block_size=16
// CHECK-NEXT: node Add
// CHECK-NEXT: node Reshape
// CHECK-NEXT: node Transpose perm=[1, 0]
// CHECK-NEXT: node Cast to=17 saturate=1
// CHECK-NEXT: node Cast to=1
// CHECK: output y FLOAT [32, 4]
// ERR: error: cannot export to ONNX: no mapping for 'qc.weight' (a reference into a package's weights.bin{{.*}}), 'arith.addf'
func.func @main(%x: tensor<4x32xf32> {qc.name = "x"}) -> (tensor<32x4xf32> {qc.name = "y"}) {
  %s = arith.constant dense<0.125> : tensor<4x2xf32>
  %w = arith.constant dense<3> : tensor<4x32xi4>
  %q = qc.quantize_linear %x, %s {axis = 1 : i64, block_size = 16 : i64} : (tensor<4x32xf32>, tensor<4x2xf32>) -> tensor<4x32xi8>
  %d = qc.dequantize_linear %q, %s {axis = 1 : i64, block_size = 16 : i64} : (tensor<4x32xi8>, tensor<4x2xf32>) -> tensor<4x32xf32>
  %wd = qc.dequantize_linear %w, %s {axis = 1 : i64, block_size = 16 : i64} : (tensor<4x32xi4>, tensor<4x2xf32>) -> tensor<4x32xf32>
  %a = qc.add %d, %wd : (tensor<4x32xf32>, tensor<4x32xf32>) -> tensor<4x32xf32>
  %r = qc.reshape %a {shape = array<i64: 4, 32>} : (tensor<4x32xf32>) -> tensor<4x32xf32>
  %t = qc.transpose %r {perm = array<i64: 1, 0>} : (tensor<4x32xf32>) -> tensor<32x4xf32>
  %c = qc.cast %t : (tensor<32x4xf32>) -> tensor<32x4xf8E4M3FN>
  %f = qc.cast %c : (tensor<32x4xf8E4M3FN>) -> tensor<32x4xf32>
  return %f : tensor<32x4xf32>
}
