// B1 for the MX formats: qc-quantize-matmuls{bias-correction} takes the
// mean effect of the weight's rounding, sum_k mean[k] (W_q - W)[k, n], out
// of each output channel: from the matmul's own bias when an add of a
// constant follows it, else in a new add; without channel means a remark
// says why nothing was done.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-matmuls{bias-correction=true}))" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-matmuls{bias-correction=true}))" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-matmuls))" 2>&1 | FileCheck %s --check-prefix=OFF

// w = [[1.0], [1.1]], one block of K = 2: E8M0 scale 2^(floor(log2 1.1) -
// 8) = 2^-8; 1.1 * 2^8 = 281.6 lies between the E4M3 values 256 and 288
// (a step of 32 at that exponent): 288 * 2^-8 = 1.125, and 1.0 is exact.
// W_q - W = [0, 1.125 - 1.1] = [0, 0.025] (1.1 is 1.10000002 in f32);
// means [2, 4]: shift = 4 * 0.025 = 0.1, so the add is -0.1.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[C:.*]] = arith.constant dense<-0.0999999{{[0-9]*}}> : tensor<1xf32>
// CHECK: %[[M:.*]] = qc.qmatmul {{.*}}qc.bias_corrected
// CHECK: %[[A:.*]] = qc.add %[[M]], %[[C]]
// CHECK: return %[[A]]
// OFF-LABEL: func.func @matmul
// OFF-NOT: qc.add
// OFF-NOT: qc.bias_corrected
func.func @matmul(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [1.1]]> : tensor<2x1xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_mean = array<f32: 2.0, 4.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// A bias after the matmul absorbs the shift: 0.5 - 0.1 = 0.4.
// OFF-LABEL: func.func @gemm_bias
// CHECK-LABEL: func.func @gemm_bias
// CHECK: %[[B:.*]] = arith.constant dense<0.4000000{{[0-9]*}}> : tensor<1xf32>
// CHECK: %[[M:.*]] = qc.qmatmul {{.*}}qc.bias_corrected
// CHECK: %[[A:.*]] = qc.add %[[B]], %[[M]]
// CHECK-NOT: qc.add
// CHECK: return %[[A]]
func.func @gemm_bias(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [1.1]]> : tensor<2x1xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_mean = array<f32: 2.0, 4.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %1 = qc.add %b, %0 : (tensor<1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  return %1 : tensor<?x1xf32>
}

// -----

// REMARK: remark: bias not corrected: no qc.lhs_channel_mean of its input channels (qc-calibrate{channel-means})
// REMARK-NOT: remark
// CHECK-LABEL: func.func @no_means
// CHECK-NOT: qc.bias_corrected
func.func @no_means(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[1.0], [1.1]]> : tensor<2x1xf32>
  %0 = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// Weights exact in E4M3 (1 and 0.5): the shift is zero, so nothing is
// added; the channel means are used up, also on a conv the MX formats
// leave in float.
// CHECK-LABEL: func.func @exact
// CHECK: qc.qmatmul {{.*}}qc.bias_corrected
// CHECK-NOT: qc.add
// CHECK-NOT: qc.lhs_channel_mean
// CHECK: return
func.func @exact(%x: tensor<?x2xf32>, %img: tensor<?x1x2x2xf32>) -> (tensor<?x1xf32>, tensor<?x1x2x2xf32>) {
  %w = arith.constant dense<[[1.0], [0.5]]> : tensor<2x1xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_mean = array<f32: 2.0, 4.0>} : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  %k = arith.constant dense<0.3> : tensor<1x1x1x1xf32>
  %1 = qc.conv %img, %k {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_channel_mean = array<f32: 1.0>} : (tensor<?x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<?x1x2x2xf32>
  return %0, %1 : tensor<?x1xf32>, tensor<?x1x2x2xf32>
}
