// qc-kmajor-weights: fp8-1x128 matmul weights stored [N, K] behind a
// transpose for the sm_90a wgmma GEMM (Passes.td states the rule).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128},qc-kmajor-weights))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-kmajor-weights))" | FileCheck %s --check-prefix=HAND

// K = 256, N = 130: codes [130, 256], scales [130, 2] (a row per weight
// row), dequantized along axis 1 and transposed back; the [K, N] constants
// are gone.
// CHECK-LABEL: func.func @kmajor
// CHECK-NOT: tensor<256x130xf8E4M3FN>
// CHECK-NOT: tensor<2x130xf32>
// CHECK-DAG: %[[C:.*]] = arith.constant {{.*}} : tensor<130x256xf8E4M3FN>
// CHECK-DAG: %[[S:.*]] = arith.constant {{.*}} : tensor<130x2xf32>
// CHECK: %[[D:.*]] = qc.dequantize_linear %[[C]], %[[S]] {block_size = 128 : i64, qc.kmajor_weight} : (tensor<130x256xf8E4M3FN>, tensor<130x2xf32>) -> tensor<130x256xf32>
// CHECK: %[[T:.*]] = qc.transpose %[[D]] {perm = array<i64: 1, 0>} : (tensor<130x256xf32>) -> tensor<256x130xf32>
// CHECK: qc.matmul %{{.*}}, %[[T]]
func.func @kmajor(%x: tensor<?x256xf32>) -> tensor<?x130xf32> {
  %w = arith.constant dense<0.5> : tensor<256x130xf32>
  %0 = qc.matmul %x, %w : (tensor<?x256xf32>, tensor<256x130xf32>) -> tensor<?x130xf32>
  return %0 : tensor<?x130xf32>
}

// -----

// K = 200 is not a multiple of 16 (TMA's row alignment): left [K, N].
// CHECK-LABEL: func.func @k_unaligned
// CHECK-NOT: qc.transpose
// CHECK: qc.dequantize_linear %{{.*}} {axis = 0 : i64, block_size = 128 : i64} : (tensor<200x64xf8E4M3FN>
func.func @k_unaligned(%x: tensor<?x200xf32>) -> tensor<?x64xf32> {
  %w = arith.constant dense<0.5> : tensor<200x64xf32>
  %0 = qc.matmul %x, %w : (tensor<?x200xf32>, tensor<200x64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Weight-only (activations=none in the pipeline; here a float left
// operand): the GEMM takes e4m3 activations, so the weight stays.
// HAND-LABEL: func.func @float_activations
// HAND-NOT: qc.transpose
func.func @float_activations(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %c = arith.constant dense<1.0> : tensor<128x128xf8E4M3FN>
  %s = arith.constant dense<0.5> : tensor<1x128xf32>
  %w = qc.dequantize_linear %c, %s {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x128xf8E4M3FN>, tensor<1x128xf32>) -> tensor<128x128xf32>
  %0 = qc.matmul %x, %w : (tensor<?x128xf32>, tensor<128x128xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// Scales that differ inside a 128-column block (the kernel reads one per
// block) and a weight that something other than a matmul reads: left as
// they are. Equal scales across each block: rewritten.
// HAND-LABEL: func.func @hand_written
// HAND: %[[A:.*]] = qc.dequantize_linear %{{.*}}, %{{.*}} {block_size = 128 : i64} : (tensor<?x128xf8E4M3FN>
// HAND: qc.dequantize_linear %{{.*}} {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x2xf8E4M3FN>, tensor<1x2xf32>)
// HAND: qc.dequantize_linear %{{.*}} {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x4xf8E4M3FN>, tensor<1x4xf32>)
// HAND: %[[T:.*]] = qc.dequantize_linear %{{.*}} {block_size = 128 : i64, qc.kmajor_weight} : (tensor<3x128xf8E4M3FN>, tensor<3x1xf32>)
// HAND: %[[W:.*]] = qc.transpose %[[T]]
// HAND: qc.matmul %[[A]], %[[W]]
func.func @hand_written(%x: tensor<?x128xf8E4M3FN>, %sx: tensor<?x1xf32>) -> (tensor<?x2xf32>, tensor<?x4xf32>, tensor<128x4xf32>, tensor<?x3xf32>) {
  %a = qc.dequantize_linear %x, %sx {block_size = 128 : i64} : (tensor<?x128xf8E4M3FN>, tensor<?x1xf32>) -> tensor<?x128xf32>
  %c2 = arith.constant dense<1.0> : tensor<128x2xf8E4M3FN>
  %s2 = arith.constant dense<[[0.5, 0.25]]> : tensor<1x2xf32>
  %w2 = qc.dequantize_linear %c2, %s2 {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x2xf8E4M3FN>, tensor<1x2xf32>) -> tensor<128x2xf32>
  %0 = qc.matmul %a, %w2 : (tensor<?x128xf32>, tensor<128x2xf32>) -> tensor<?x2xf32>
  %c4 = arith.constant dense<1.0> : tensor<128x4xf8E4M3FN>
  %s4 = arith.constant dense<0.5> : tensor<1x4xf32>
  %w4 = qc.dequantize_linear %c4, %s4 {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x4xf8E4M3FN>, tensor<1x4xf32>) -> tensor<128x4xf32>
  %1 = qc.matmul %a, %w4 : (tensor<?x128xf32>, tensor<128x4xf32>) -> tensor<?x4xf32>
  %c3 = arith.constant dense<1.0> : tensor<128x3xf8E4M3FN>
  %s3 = arith.constant dense<0.5> : tensor<1x3xf32>
  %w3 = qc.dequantize_linear %c3, %s3 {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x3xf8E4M3FN>, tensor<1x3xf32>) -> tensor<128x3xf32>
  %2 = qc.matmul %a, %w3 : (tensor<?x128xf32>, tensor<128x3xf32>) -> tensor<?x3xf32>
  return %0, %1, %w4, %2 : tensor<?x2xf32>, tensor<?x4xf32>, tensor<128x4xf32>, tensor<?x3xf32>
}

// -----

// fp8 (static): one activation scale, per-channel weight scales [N] along
// axis 1 of [K, N]; the codes are transposed, the scales stay [N], now
// along axis 0. A per-tensor weight scale is not a form the GEMM takes.
// HAND-LABEL: func.func @per_channel
// HAND: %[[T:.*]] = qc.dequantize_linear %{{.*}}, %{{.*}} {axis = 0 : i64, qc.kmajor_weight} : (tensor<4x128xf8E4M3FN>, tensor<4xf32>) -> tensor<4x128xf32>
// HAND: %[[W:.*]] = qc.transpose %[[T]] {perm = array<i64: 1, 0>} : (tensor<4x128xf32>) -> tensor<128x4xf32>
// HAND: qc.matmul %{{.*}}, %[[W]]
// HAND: qc.dequantize_linear %{{.*}} : (tensor<128x4xf8E4M3FN>, tensor<f32>) -> tensor<128x4xf32>
// HAND-NOT: qc.transpose
func.func @per_channel(%x: tensor<?x128xf8E4M3FN>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %sx = arith.constant dense<0.125> : tensor<f32>
  %a = qc.dequantize_linear %x, %sx : (tensor<?x128xf8E4M3FN>, tensor<f32>) -> tensor<?x128xf32>
  %c = arith.constant dense<1.0> : tensor<128x4xf8E4M3FN>
  %s = arith.constant dense<[0.5, 0.25, 1.0, 2.0]> : tensor<4xf32>
  %w = qc.dequantize_linear %c, %s : (tensor<128x4xf8E4M3FN>, tensor<4xf32>) -> tensor<128x4xf32>
  %0 = qc.matmul %a, %w : (tensor<?x128xf32>, tensor<128x4xf32>) -> tensor<?x4xf32>
  %c1 = arith.constant dense<2.0> : tensor<128x4xf8E4M3FN>
  %st = arith.constant dense<0.5> : tensor<f32>
  %w1 = qc.dequantize_linear %c1, %st : (tensor<128x4xf8E4M3FN>, tensor<f32>) -> tensor<128x4xf32>
  %1 = qc.matmul %a, %w1 : (tensor<?x128xf32>, tensor<128x4xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// int8 (static): run-time i8 activation codes with one constant scale and
// zero point; an i8 weight per column with a zero point of zeros
// (ONNX QDQ's symmetric weights), dropped; a u8 weight with one scale.
// Both become [N, K] along axis 0. A weight whose zero point is not 0
// stays (the GEMM corrects only the activation's), as does one with
// K * 255^2 >= 2^31 (K = 33040: its s32 sums could overflow).
// HAND-LABEL: func.func @int8
// HAND: %[[C:.*]] = arith.constant dense<5> : tensor<4x32xi8>
// HAND: %[[T:.*]] = qc.dequantize_linear %[[C]], %{{[^,]*}} {axis = 0 : i64, qc.kmajor_weight} : (tensor<4x32xi8>, tensor<4xf32>) -> tensor<4x32xf32>
// HAND: %[[W:.*]] = qc.transpose %[[T]] {perm = array<i64: 1, 0>} : (tensor<4x32xf32>) -> tensor<32x4xf32>
// HAND: qc.matmul %{{.*}}, %[[W]]
// HAND: %[[C1:.*]] = arith.constant dense<3> : tensor<2x32xui8>
// HAND: %[[T1:.*]] = qc.dequantize_linear %[[C1]], %{{[^,]*}} {axis = 0 : i64, qc.kmajor_weight} : (tensor<2x32xui8>, tensor<f32>) -> tensor<2x32xf32>
// HAND: qc.transpose %[[T1]]
// HAND-NOT: qc.transpose
// HAND: qc.dequantize_linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<32x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<32x4xf32>
// HAND-NOT: qc.transpose
// HAND: qc.dequantize_linear %{{.*}}, %{{.*}} : (tensor<33040x1xi8>, tensor<f32>) -> tensor<33040x1xf32>
// HAND-NOT: qc.transpose
// HAND: return
func.func @int8(%x: tensor<?x32xi8>, %y: tensor<?x33040xi8>) -> (tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x4xf32>, tensor<?x1xf32>) {
  %sx = arith.constant dense<0.125> : tensor<f32>
  %zx = arith.constant dense<3> : tensor<i8>
  %a = qc.dequantize_linear %x, %sx, %zx : (tensor<?x32xi8>, tensor<f32>, tensor<i8>) -> tensor<?x32xf32>
  %cw = arith.constant dense<5> : tensor<32x4xi8>
  %s = arith.constant dense<[0.5, 0.25, 1.0, 2.0]> : tensor<4xf32>
  %z0 = arith.constant dense<0> : tensor<4xi8>
  %w = qc.dequantize_linear %cw, %s, %z0 {axis = 1 : i64} : (tensor<32x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<32x4xf32>
  %0 = qc.matmul %a, %w : (tensor<?x32xf32>, tensor<32x4xf32>) -> tensor<?x4xf32>
  %cu = arith.constant dense<3> : tensor<32x2xui8>
  %su = arith.constant dense<0.5> : tensor<f32>
  %wu = qc.dequantize_linear %cu, %su : (tensor<32x2xui8>, tensor<f32>) -> tensor<32x2xf32>
  %1 = qc.matmul %a, %wu : (tensor<?x32xf32>, tensor<32x2xf32>) -> tensor<?x2xf32>
  %cz = arith.constant dense<7> : tensor<32x4xi8>
  %zz = arith.constant dense<1> : tensor<4xi8>
  %wz = qc.dequantize_linear %cz, %s, %zz {axis = 1 : i64} : (tensor<32x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<32x4xf32>
  %2 = qc.matmul %a, %wz : (tensor<?x32xf32>, tensor<32x4xf32>) -> tensor<?x4xf32>
  %b = qc.dequantize_linear %y, %sx : (tensor<?x33040xi8>, tensor<f32>) -> tensor<?x33040xf32>
  %cl = arith.constant dense<1> : tensor<33040x1xi8>
  %wl = qc.dequantize_linear %cl, %su : (tensor<33040x1xi8>, tensor<f32>) -> tensor<33040x1xf32>
  %3 = qc.matmul %b, %wl : (tensor<?x33040xf32>, tensor<33040x1xf32>) -> tensor<?x1xf32>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x4xf32>, tensor<?x1xf32>
}

// -----

// int8 with dynamic per-token activations (a run-time scale [?, 1], blocks
// of K): a per-channel weight is laid out [N, K]; a per-tensor one stays
// (the GEMM's per-tensor mode reads one activation scale).
// HAND-LABEL: func.func @int8_per_token
// HAND: qc.dequantize_linear %{{.*}}, %{{[^,]*}} {axis = 0 : i64, qc.kmajor_weight} : (tensor<4x32xi8>, tensor<4xf32>) -> tensor<4x32xf32>
// HAND: qc.transpose
// HAND-NOT: qc.transpose
// HAND: qc.dequantize_linear %{{.*}}, %{{.*}} : (tensor<32x2xi8>, tensor<f32>) -> tensor<32x2xf32>
// HAND-NOT: qc.transpose
// HAND: return
func.func @int8_per_token(%x: tensor<?x32xi8>, %sx: tensor<?x1xf32>) -> (tensor<?x4xf32>, tensor<?x2xf32>) {
  %a = qc.dequantize_linear %x, %sx {block_size = 32 : i64} : (tensor<?x32xi8>, tensor<?x1xf32>) -> tensor<?x32xf32>
  %cw = arith.constant dense<5> : tensor<32x4xi8>
  %s = arith.constant dense<[0.5, 0.25, 1.0, 2.0]> : tensor<4xf32>
  %w = qc.dequantize_linear %cw, %s {axis = 1 : i64} : (tensor<32x4xi8>, tensor<4xf32>) -> tensor<32x4xf32>
  %0 = qc.matmul %a, %w : (tensor<?x32xf32>, tensor<32x4xf32>) -> tensor<?x4xf32>
  %ct = arith.constant dense<3> : tensor<32x2xi8>
  %st = arith.constant dense<0.5> : tensor<f32>
  %wt = qc.dequantize_linear %ct, %st : (tensor<32x2xi8>, tensor<f32>) -> tensor<32x2xf32>
  %1 = qc.matmul %a, %wt : (tensor<?x32xf32>, tensor<32x2xf32>) -> tensor<?x2xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x2xf32>
}
