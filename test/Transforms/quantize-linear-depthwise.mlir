// Q4: a depthwise conv's static activation scales are per input channel
// (axis 1), from qc.lhs_channel_min/max clipped to the tensor's calibrated
// range; other convs, and depthwise ones without channel ranges or with
// depthwise-channel-scales=false, keep one scale per tensor.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{depthwise-channel-scales=false}))" | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{asymmetric=false}))" | FileCheck %s --check-prefix=SYM
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8}))" | FileCheck %s --check-prefix=FP8

// Channel 0 in [-1, 1]: scale 2/255, zero point -128 + 1/scale = -0.5,
// rounded away from zero to -1 (F30); channel 1 in [0, 5.1] clipped by
// lhs_range to [0, 2.55]: scale 0.01, zero point -128.
// CHECK-LABEL: func.func @depthwise
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[0.00784313772, 0.00999999977]> : tensor<2xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<[-1, -128]> : tensor<2xi8>
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]], %[[Z]] {{{.*}}} : (tensor<?x2x3x3xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<?x2x3x3xi8>
// CHECK: %[[DQ:.*]] = qc.dequantize_linear %[[Q]], %[[S]], %[[Z]] : (tensor<?x2x3x3xi8>, tensor<2xf32>, tensor<2xi8>)
// CHECK: qc.conv %[[DQ]], {{.*}}qc.act_scheme = #qc.scheme<i8, scale = f32, block = [0, 1, 0, 0], asymmetric>
// OFF-LABEL: func.func @depthwise
// OFF: qc.quantize_linear %arg0, {{.*}} : (tensor<?x2x3x3xf32>, tensor<f32>, tensor<i8>)
// OFF: qc.act_scheme = #qc.scheme<i8, scale = f32, block = [], asymmetric>
// Symmetric: channel 0 absmax 1 -> 1/127, channel 1 absmax 2.55 -> 2.55/127.
// SYM-LABEL: func.func @depthwise
// SYM-DAG: arith.constant dense<[0.00787401571, 0.0200787392]> : tensor<2xf32>
// SYM-DAG: arith.constant dense<0> : tensor<2xi8>
// SYM: qc.act_scheme = #qc.scheme<i8, scale = f32, block = [0, 1, 0, 0], symmetric>
// E4M3 has no zero point: absmax / 448.
// FP8-LABEL: func.func @depthwise
// FP8: %[[S:.*]] = arith.constant dense<[0.00223214296, 0.00569196418]> : tensor<2xf32>
// FP8: qc.quantize_linear %arg0, %[[S]] {{{.*}}} : (tensor<?x2x3x3xf32>, tensor<2xf32>) -> tensor<?x2x3x3xf8E4M3FN>
// FP8: qc.act_scheme = #qc.scheme<f8E4M3FN, scale = f32, block = [0, 1, 0, 0], symmetric>
func.func @depthwise(%x: tensor<?x2x3x3xf32>) -> tensor<?x2x3x3xf32> {
  %w = arith.constant dense<[[[[0.5]]], [[[-0.25]]]]> : tensor<2x1x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_channel_min = array<f32: -1.0, 0.0>, qc.lhs_channel_max = array<f32: 1.0, 5.1>, qc.lhs_range = #qc.stats<min = -1.0 : f32, max = 2.55 : f32, absmax = 2.55 : f32>, qc.lhs_stats = #qc.stats<min = -1.0 : f32, max = 5.1 : f32, absmax = 5.1 : f32>} : (tensor<?x2x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x3x3xf32>
  return %0 : tensor<?x2x3x3xf32>
}

// -----

// Two channels per group: channel scales would not factor out of a sum.
// CHECK-LABEL: func.func @grouped
// CHECK: qc.quantize_linear %arg0, {{.*}} : (tensor<1x4x3x3xf32>, tensor<f32>, tensor<i8>)
// CHECK: block = [], asymmetric
func.func @grouped(%x: tensor<1x4x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<0.5> : tensor<2x2x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_channel_min = array<f32: -1.0, 0.0, 0.0, 0.0>, qc.lhs_channel_max = array<f32: 1.0, 1.0, 1.0, 1.0>, qc.lhs_stats = #qc.stats<min = -1.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<1x4x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Depthwise, but no channel ranges (a calibration from before Q4): per
// tensor.
// CHECK-LABEL: func.func @no_channel_ranges
// CHECK: qc.quantize_linear %arg0, {{.*}} : (tensor<1x2x3x3xf32>, tensor<f32>, tensor<i8>)
func.func @no_channel_ranges(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<0.5> : tensor<2x1x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_stats = #qc.stats<min = -1.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}
