// B1: qc-quantize-linear{bias-correction} takes the mean effect of the
// weights' rounding, sum_c mean[c] (W_q - W)[c -> o], out of each output
// channel: a matmul gets an add after it, a conv's bias is replaced (or
// created); without channel means a remark says why nothing was done.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{bias-correction=true activations=none}))" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{bias-correction=true activations=none}))" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=none}))" 2>&1 | FileCheck %s --check-prefix=OFF
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=bf16 bias-correction=true activations=none}))" 2>/dev/null | FileCheck %s --check-prefix=BF16

// w = [[1.0], [0.3]]: column scale 1/127, 0.3 -> round(38.1) = 38 ->
// 38/127 = 0.2992126; W_q - W = [0, -0.0007874]; means [2, 4]: shift =
// 4 * -0.0007874 = -0.0031496, so the add is +0.0031496 (0.3 is
// 0.30000001 in f32).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[C:.*]] = arith.constant dense<0.0031496{{[0-9]*}}> : tensor<1xf32>
// CHECK: %[[M:.*]] = qc.matmul {{.*}}qc.bias_corrected
// CHECK-NOT: qc.lhs_channel_mean
// CHECK: %[[A:.*]] = qc.add %[[M]], %[[C]]
// CHECK: return %[[A]]
// OFF-LABEL: func.func @matmul
// OFF-NOT: qc.add
// OFF-NOT: qc.bias_corrected
// bf16 rounds 0.3 (1.2 * 2^-2, 0x3E99999A) to 154/128 * 2^-2 = 0.30078125:
// W_q - W = [0, 0.00078124], shift = 4 * 0.00078124 = 0.0031249, so the
// add is -0.0031249.
// BF16-LABEL: func.func @matmul
// BF16: %[[C:.*]] = arith.constant dense<-0.0031249{{[0-9]*}}> : tensor<1xf32>
// BF16: %[[M:.*]] = qc.matmul {{.*}}qc.bias_corrected
// BF16: qc.add %[[M]], %[[C]]
func.func @matmul(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [0.3]]> : tensor<2x1xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_mean = array<f32: 2.0, 4.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// The matmul's own bias (an add of a constant of its N outputs, as an ONNX
// Gemm's C imports) absorbs the shift: 0.5 + 0.0031496, no second add.
// OFF-LABEL: func.func @matmul_bias
// CHECK-LABEL: func.func @matmul_bias
// CHECK: %[[B:.*]] = arith.constant dense<0.50314{{[0-9]*}}> : tensor<1xf32>
// CHECK: %[[M:.*]] = qc.matmul {{.*}}qc.bias_corrected
// CHECK: %[[A:.*]] = qc.add %[[M]], %[[B]]
// CHECK-NOT: qc.add
// CHECK: return %[[A]]
func.func @matmul_bias(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [0.3]]> : tensor<2x1xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_mean = array<f32: 2.0, 4.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %1 = qc.add %0, %b : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  return %1 : tensor<?x1xf32>
}

// -----

// A depthwise conv (group 2), 1x2 taps: channel 0 [1.0, 0.3] as above
// (tap sum of W_q - W: -0.0007874), channel 1 [2.0, 2.0] exact; means
// [4, -1]: bias [0.5, 0.25] -> [0.5 + 0.0031496, 0.25].
// CHECK-LABEL: func.func @conv_bias
// CHECK: %[[B:.*]] = arith.constant dense<[0.50314{{[0-9]*}}, 2.500000e-01]> : tensor<2xf32>
// CHECK: qc.conv %{{.*}}, %{{.*}}, %[[B]] {{.*}}qc.bias_corrected
func.func @conv_bias(%x: tensor<?x2x3x3xf32>) -> tensor<?x2x3x2xf32> {
  %w = arith.constant dense<[[[[1.0, 0.3]]], [[[2.0, 2.0]]]]> : tensor<2x1x1x2xf32>
  %b = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %0 = qc.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_channel_mean = array<f32: 4.0, -1.0>} : (tensor<?x2x3x3xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<?x2x3x2xf32>
  return %0 : tensor<?x2x3x2xf32>
}

// -----

// No bias: one is created, -shift.
// CHECK-LABEL: func.func @conv_no_bias
// CHECK: %[[B:.*]] = arith.constant dense<[0.00314{{[0-9]*}}, 0.000000e+00]> : tensor<2xf32>
// CHECK: qc.conv %{{.*}}, %{{.*}}, %[[B]] {{.*}}qc.bias_corrected
func.func @conv_no_bias(%x: tensor<?x2x3x3xf32>) -> tensor<?x2x3x2xf32> {
  %w = arith.constant dense<[[[[1.0, 0.3]]], [[[2.0, 2.0]]]]> : tensor<2x1x1x2xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_channel_mean = array<f32: 4.0, -1.0>} : (tensor<?x2x3x3xf32>, tensor<2x1x1x2xf32>) -> tensor<?x2x3x2xf32>
  return %0 : tensor<?x2x3x2xf32>
}

// -----

// REMARK: remark: bias not corrected: no qc.lhs_channel_mean of its input channels (qc-calibrate{channel-means})
// REMARK-NOT: remark
// CHECK-LABEL: func.func @no_means
// CHECK-NOT: qc.bias_corrected
func.func @no_means(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [0.3]]> : tensor<2x1xf32>
  %0 = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}
