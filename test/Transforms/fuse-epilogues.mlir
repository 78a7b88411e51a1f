// qc-fuse-epilogues: a matmul, qmatmul or conv and the elementwise chain
// after it become one qc.fusion (QCOps.td, docs/Passes.md).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fuse-epilogues))" | FileCheck %s
// Idempotent: a second run changes nothing.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fuse-epilogues,qc-fuse-epilogues))" | FileCheck %s

// Bias add and ReLU after a matmul; the bias constant stays where it was.
// CHECK-LABEL: func.func @matmul_bias_relu
// CHECK: %[[B:.*]] = arith.constant
// CHECK-NEXT: %[[F:.*]] = qc.fusion : tensor<8x16xf32> {
// CHECK-NEXT:   %[[P:.*]] = qc.matmul %arg0, %arg1
// CHECK-NEXT:   %[[S:.*]] = qc.add %[[P]], %[[B]]
// CHECK-NEXT:   %[[R:.*]] = qc.relu %[[S]]
// CHECK-NEXT:   qc.yield %[[R]] : tensor<8x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]
func.func @matmul_bias_relu(%x: tensor<8x4xf32>, %w: tensor<4x16xf32>) -> tensor<8x16xf32> {
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %p = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  %s = qc.add %p, %b : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %r = qc.relu %s : (tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// Convolution, batch norm, ReLU; the addend of a residual add defined
// between the anchor and the add is still above the fusion.
// CHECK-LABEL: func.func @conv_bn_relu_residual
// CHECK: %[[N:.*]] = qc.neg %arg2
// CHECK-NEXT: qc.fusion : tensor<1x4x6x6xf32> {
// CHECK-NEXT: qc.conv
// CHECK-NEXT: qc.batch_norm
// CHECK-NEXT: qc.relu
// CHECK-NEXT: qc.add %{{.*}}, %[[N]]
// CHECK-NEXT: qc.yield
func.func @conv_bn_relu_residual(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %res: tensor<1x4x6x6xf32>, %c: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = qc.batch_norm %0, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %n = qc.neg %res : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %2 = qc.relu %1 : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %3 = qc.add %2, %n : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %3 : tensor<1x4x6x6xf32>
}

// -----

// A quantized matmul with a GELU epilogue.
// CHECK-LABEL: func.func @qmatmul_gelu
// CHECK: qc.fusion : tensor<?x16xf32> {
// CHECK-NEXT: qc.qmatmul
// CHECK-NEXT: qc.gelu
func.func @qmatmul_gelu(%c: tensor<?x64xf8E4M3FN>, %s: tensor<?x2xf8E8M0FNU>, %w: tensor<16x64xf8E4M3FN>, %ws: tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32> {
  %y = qc.qmatmul %c, %s, %w, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32>
  %g = qc.gelu %y {approximate = #qc.gelu_approximation<none>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %g : tensor<?x16xf32>
}

// -----

// Not fused: a product with two users, an add that broadcasts the product
// to a larger type, x*x (two reads of the product), a reduction (not an
// epilogue kind), a matmul of constants, and a matmul with no epilogue.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: qc.fusion
// CHECK: return
func.func @not_fused(%x: tensor<8x4xf32>, %w: tensor<4x16xf32>, %big: tensor<2x8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<2x8x16xf32>, tensor<8x16xf32>, tensor<8x1xf32>, tensor<2x2xf32>, tensor<8x16xf32>) {
  %p = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  %r = qc.relu %p : (tensor<8x16xf32>) -> tensor<8x16xf32>
  %q = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  %a = qc.add %q, %big : (tensor<8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %t = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  %sq = qc.mul %t, %t : (tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<8x16xf32>
  %u = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  %m = qc.reduce_max %u {axes = array<i64: 1>, keepdims = true} : (tensor<8x16xf32>) -> tensor<8x1xf32>
  %k = arith.constant dense<1.0> : tensor<2x2xf32>
  %kk = qc.matmul %k, %k : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %kr = qc.relu %kk : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %v = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  return %p, %r, %a, %sq, %m, %kr, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<2x8x16xf32>, tensor<8x16xf32>, tensor<8x1xf32>, tensor<2x2xf32>, tensor<8x16xf32>
}
