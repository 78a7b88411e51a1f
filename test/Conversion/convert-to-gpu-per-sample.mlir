// Dynamic activation scales per sample (qc-quantize-linear's F31 on a
// conv: one scale per image, along the run-time batch): one reduce_max per
// image, the scale chain, and a chain kernel whose Q -> DQ reads the scale
// at the element's image (a per-axis scale along axis 0 of dynamic extent).
// Asymmetric (int8's default): reduce_min and reduce_max per image, the
// scale and zero-point chains (min, clip, round, a cast to i8) as chain
// kernels, and the Q -> DQ chain reading both at the element's image.
// docs/Kernels.md, "The other kernels of a GPU program".
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int8 activations=dynamic asymmetric=false},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_89})" 2>&1 | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int8 activations=dynamic},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_89})" 2>&1 | FileCheck %s --check-prefix=ASYM

// CHECK-LABEL: func.func @main
// CHECK: qc.reduce_max {{.*}}axes = array<i64: 1, 2, 3>, keepdims = false, qc.gpu_kernel = @quantc_kernels::@reduce_max_0{{.*}} -> tensor<?xf32>
// CHECK: %[[S:.*]] = qc.max {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_{{[0-9]+}}{{.*}} -> tensor<?xf32>
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]] {axis = 0 : i64} : (tensor<?x3x4x4xf32>, tensor<?xf32>) -> tensor<?x3x4x4xi8>
// CHECK: qc.dequantize_linear %[[Q]], %[[S]] {axis = 0 : i64, qc.gpu_kernel = @quantc_kernels::@ew_{{[0-9]+}}}
// CHECK: qc.conv {{.*}}qc.gpu_kernel = @quantc_kernels::@conv_0
// CHECK-NOT: remark: no GPU program
// ASYM-LABEL: func.func @main
// ASYM: %[[MIN:.*]] = qc.reduce_min %arg0 {axes = array<i64: 1, 2, 3>, keepdims = false, qc.gpu_kernel = @quantc_kernels::@reduce_min_0} : (tensor<?x3x4x4xf32>) -> tensor<?xf32>
// ASYM: %[[LO:.*]] = qc.min %[[MIN]], %{{.*}} {qc.gpu_kernel = @quantc_kernels::@ew_{{[0-9]+}}}
// ASYM: qc.reduce_max %arg0 {axes = array<i64: 1, 2, 3>, keepdims = false, qc.gpu_kernel = @quantc_kernels::@reduce_max_0}
// ASYM: %[[S:.*]] = qc.max {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_{{[0-9]+}}{{.*}} -> tensor<?xf32>
// ASYM: qc.clip
// ASYM: qc.round
// ASYM: %[[Z:.*]] = qc.cast %{{.*}} {qc.gpu_kernel = @quantc_kernels::@ew_{{[0-9]+}}} : (tensor<?xf32>) -> tensor<?xi8>
// ASYM: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]], %[[Z]] {axis = 0 : i64}
// ASYM: qc.dequantize_linear %[[Q]], %[[S]], %[[Z]] {axis = 0 : i64, qc.gpu_kernel = @quantc_kernels::@ew_{{[0-9]+}}}
// ASYM: qc.conv {{.*}}qc.gpu_kernel = @quantc_kernels::@conv_0
func.func @main(%x: tensor<?x3x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %w = arith.constant dense<0.5> : tensor<2x3x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<?x2x4x4xf32>
  return %0 : tensor<?x2x4x4xf32>
}

// -----

// A scalar quantized with a one-element scale and axis 0 (ONNX allows it):
// no chain kernel takes it, which the program says; nothing crashes.
// CHECK: remark: no GPU program (no kernel for qc.quantize_linear (element types or shapes without a kernel) x1, qc.dequantize_linear (element types or shapes without a kernel) x1)
// CHECK-LABEL: func.func @main
// CHECK: qc.relu
func.func @main(%x: tensor<f32>) -> tensor<f32> {
  %s = arith.constant dense<0.5> : tensor<1xf32>
  %q = qc.quantize_linear %x, %s {axis = 0 : i64} : (tensor<f32>, tensor<1xf32>) -> tensor<i8>
  %d = qc.dequantize_linear %q, %s {axis = 0 : i64} : (tensor<i8>, tensor<1xf32>) -> tensor<f32>
  %r = qc.relu %d : (tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}
