// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-matmuls))" | FileCheck %s
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-matmuls{format=mxfp9}))" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-matmuls{format=int8}))" 2>&1 | FileCheck %s --check-prefix=INT8

// The weight [K=40, N=2] becomes codes [N, K] and two E8M0 scales per row
// (40 = 32 + a short block of 8); the activation is quantized at run time.
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[WS:.*]] = arith.constant dense<{{.*}}> : tensor<2x2xf8E8M0FNU>
// CHECK-DAG: %[[WC:.*]] = arith.constant dense<{{.*}}> : tensor<2x40xf8E4M3FN>
// CHECK: %[[C:.*]], %[[S:.*]] = qc.quantize %arg0 {qc.input_stats = #qc.stats<min = -1.000000e+00 : f32, max = 1.000000e+00 : f32, absmax = 1.000000e+00 : f32>, scheme = #qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>} : tensor<3x40xf32> -> (tensor<3x40xf8E4M3FN>, tensor<3x2xf8E8M0FNU>)
// CHECK: qc.qmatmul %[[C]], %[[S]], %[[WC]], %[[WS]] {acc_type = f32, lhs_scheme = {{.*}}, qc.weight_rel_rms_error = 0.000000e+00 : f32, rhs_scheme = {{.*}}} : (tensor<3x40xf8E4M3FN>, tensor<3x2xf8E8M0FNU>, tensor<2x40xf8E4M3FN>, tensor<2x2xf8E8M0FNU>) -> tensor<3x2xf32>
// UNKNOWN: qc-quantize-matmuls: unknown format 'mxfp9'; known: mxfp8
// INT8: qc-quantize-matmuls: format 'int8' is not supported yet
func.func @main(%x: tensor<3x40xf32>) -> tensor<3x2xf32> {
  // Powers of two are exact in E4M3, so the weight error is 0.
  %w = arith.constant dense<0.5> : tensor<40x2xf32>
  %0 = qc.matmul %x, %w {qc.lhs_stats = #qc.stats<min = -1.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<3x40xf32>, tensor<40x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A weight behind a transpose of a constant (ONNX Gemm transB) folds first.
// CHECK-LABEL: func.func @transposed
// CHECK: qc.qmatmul {{.*}} -> tensor<4x3xf32>
// CHECK-NOT: qc.transpose
func.func @transposed(%x: tensor<4x32xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<1.0> : tensor<3x32xf32>
  %t = qc.transpose %w {perm = array<i64: 1, 0>} : (tensor<3x32xf32>) -> tensor<32x3xf32>
  %0 = qc.matmul %x, %t : (tensor<4x32xf32>, tensor<32x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A matmul of two activations stays in float, with a remark.
// CHECK-LABEL: func.func @activations
// CHECK: qc.matmul
func.func @activations(%x: tensor<4x32xf32>, %y: tensor<32x3xf32>) -> tensor<4x3xf32> {
  %0 = qc.matmul %x, %y : (tensor<4x32xf32>, tensor<32x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
