// qc-quantize-pipeline{raise-patterns=...}: raising runs first, so a
// decomposed RMSNorm is one qc.rms_norm whose gain SmoothQuant divides
// (S3), and the matmuls after it are quantized.
// RUN: %python %S/Inputs/make_npz.py %t.npz "x=[[1.0, -2.0, 40.0, 0.25], [3.0, 0.5, -30.0, 2.0]]"
// RUN: quant-opt %s --qc-quantize-pipeline="format=int8 calib=%t.npz raise-patterns=rms-norm smooth-quant=true" | FileCheck %s
// RUN: quant-opt %s --qc-quantize-pipeline="format=int8 calib=%t.npz" | FileCheck %s --check-prefix=OFF
// RUN: not quant-opt %s --qc-quantize-pipeline="format=int8 calib=%t.npz raise-patterns=rms,silu" 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @main
// CHECK-NOT: qc.sqrt
// CHECK-NOT: dense<1.000000e+00> : tensor<4xf32>
// CHECK: %[[N:.*]] = qc.rms_norm %arg0, %{{[^ ]*}} {axis = 1 : i64
// CHECK: qc.quantize_linear %[[N]]
// CHECK-COUNT-2: qc.matmul {{.*}}qc.smooth_alpha
// OFF-NOT: qc.rms_norm
// OFF: qc.sqrt
// BAD: unknown pattern 'rms'; known: all, silu, gelu, layer-norm, rms-norm, attention, hard-swish
func.func @main(%x: tensor<2x4xf32> {qc.name = "x"}) -> (tensor<2x3xf32> {qc.name = "a"}, tensor<2x3xf32> {qc.name = "b"}) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %g = arith.constant dense<1.0> : tensor<4xf32>
  %w1 = arith.constant dense<[[0.5, -0.25, 1.0], [0.125, 0.75, -0.5], [0.25, 0.5, 0.125], [-1.0, 0.25, 0.5]]> : tensor<4x3xf32>
  %w2 = arith.constant dense<[[0.25, 0.5, -0.5], [1.0, -0.125, 0.25], [-0.75, 0.25, 0.5], [0.5, 0.5, -0.25]]> : tensor<4x3xf32>
  %sq = qc.pow %x, %two : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %ms = qc.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<2x4xf32>) -> tensor<2x1xf32>
  %me = qc.add %ms, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = qc.sqrt %me : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = qc.div %x, %r : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y = qc.mul %n, %g : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %a = qc.matmul %y, %w1 : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %b = qc.matmul %y, %w2 : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
}
