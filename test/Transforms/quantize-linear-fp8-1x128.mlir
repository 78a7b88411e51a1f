// qc-quantize-linear{format=fp8-1x128}: DeepSeek-V3's FP8 recipe (F27 weight
// blocks, F31 run-time 1x128 activation blocks; docs/Formats.md).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128}))" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128}))" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128 activations=static}))" 2>&1 | FileCheck %s --check-prefix=STATIC
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128 activations=none}))" 2>/dev/null | FileCheck %s --check-prefix=W8

// K = 200: one whole block of 128 (reshape to [?, 1, 128], max) and a
// partial one of 72 (its own slice), concatenated into [?, 2] scales. The
// weight [200, 130] has 2x2 blocks of 128x128, each scale repeated over its
// block's columns: [2, 130]. No calibration statistics are needed.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[QMAX:.*]] = arith.constant dense<4.480000e+02> : tensor<f32>
// CHECK-DAG: %[[WC:.*]] = arith.constant {{.*}} : tensor<200x130xf8E4M3FN>
// CHECK-DAG: %[[WS:.*]] = arith.constant {{.*}} : tensor<2x130xf32>
// CHECK: %[[W:.*]] = qc.dequantize_linear %[[WC]], %[[WS]] {axis = 0 : i64, block_size = 128 : i64}
// CHECK: %[[A:.*]] = qc.abs %arg0
// CHECK: %[[H:.*]] = qc.slice %[[A]] {axes = array<i64: 1>, ends = array<i64: 128>, starts = array<i64: 0>, steps = array<i64: 1>}
// CHECK: %[[R:.*]] = qc.reshape %[[H]] {shape = array<i64: 0, 1, 128>} : (tensor<?x128xf32>) -> tensor<?x1x128xf32>
// CHECK: %[[M1:.*]] = qc.reduce_max %[[R]] {axes = array<i64: 2>, keepdims = false} : (tensor<?x1x128xf32>) -> tensor<?x1xf32>
// CHECK: %[[T:.*]] = qc.slice %[[A]] {axes = array<i64: 1>, ends = array<i64: 200>, starts = array<i64: 128>, steps = array<i64: 1>}
// CHECK: %[[M2:.*]] = qc.reduce_max %[[T]] {axes = array<i64: 1>, keepdims = true} : (tensor<?x72xf32>) -> tensor<?x1xf32>
// CHECK: %[[M:.*]] = qc.concat %[[M1]], %[[M2]] {axis = 1 : i64} : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
// CHECK: %[[D:.*]] = qc.div %[[M]], %[[QMAX]]
// CHECK: %[[S:.*]] = qc.max %[[D]]
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]] {block_size = 128 : i64} : (tensor<?x200xf32>, tensor<?x2xf32>) -> tensor<?x200xf8E4M3FN>
// CHECK: %[[X:.*]] = qc.dequantize_linear %[[Q]], %[[S]] {block_size = 128 : i64}
// CHECK: qc.matmul %[[X]], %[[W]] {qc.act_dynamic, qc.act_scheme = #qc.scheme<f8E4M3FN, scale = f32, block = [128], symmetric>{{.*}}qc.weight_scheme = #qc.scheme<f8E4M3FN, scale = f32, block = [128, 128], symmetric>}
// STATIC: format 'fp8-1x128' scales activations per 1x128 block at run time: use activations=dynamic (its default) or none
// W8-LABEL: func.func @matmul
// W8-NOT: qc.quantize_linear
// W8: qc.matmul %arg0, %{{.*}}qc.weight_scheme = #qc.scheme<f8E4M3FN, scale = f32, block = [128, 128], symmetric>}
func.func @matmul(%x: tensor<?x200xf32>) -> tensor<?x130xf32> {
  %w = arith.constant dense<0.5> : tensor<200x130xf32>
  %0 = qc.matmul %x, %w : (tensor<?x200xf32>, tensor<200x130xf32>) -> tensor<?x130xf32>
  return %0 : tensor<?x130xf32>
}

// -----

// K = 256: two whole blocks, one reshape, no slice.
// CHECK-LABEL: func.func @whole_blocks
// CHECK-NOT: qc.slice
// CHECK: qc.reshape %{{.*}} {shape = array<i64: 0, 0, 2, 128>} : (tensor<2x?x256xf32>) -> tensor<2x?x2x128xf32>
// CHECK: qc.reduce_max %{{.*}} {axes = array<i64: 3>, keepdims = false} : (tensor<2x?x2x128xf32>) -> tensor<2x?x2xf32>
// CHECK-NOT: qc.concat
// CHECK: qc.quantize_linear %arg0, %{{.*}} {axis = 2 : i64, block_size = 128 : i64} : (tensor<2x?x256xf32>, tensor<2x?x2xf32>) -> tensor<2x?x256xf8E4M3FN>
func.func @whole_blocks(%x: tensor<2x?x256xf32>) -> tensor<2x?x8xf32> {
  %w = arith.constant dense<0.5> : tensor<256x8xf32>
  %0 = qc.matmul %x, %w : (tensor<2x?x256xf32>, tensor<256x8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// Convolutions and activation x activation matmuls stay in float.
// REMARK: remark: qc.conv left in float: fp8-1x128 quantizes matmuls with a constant weight (its weight and activation blocks run along K)
// REMARK: remark: qc.matmul left in float: fp8-1x128 quantizes matmuls with a constant weight
func.func @other(%x: tensor<1x1x2x2xf32>, %a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<4x4xf32>) {
  %w = arith.constant dense<[[[[0.5]]], [[[-2.0]]]]> : tensor<2x1x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %1 = qc.matmul %a, %b : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %0, %1 : tensor<1x2x2x2xf32>, tensor<4x4xf32>
}
