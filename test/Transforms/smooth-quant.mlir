// qc-smooth-quant: rules S1-S4 and S6 of docs/Calibration.md.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant))" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant{insert-scales=true}))" | FileCheck %s --check-prefix=INS
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant{alpha=1.0}))" | FileCheck %s --check-prefix=ALPHA1
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant{alpha=1.5}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant{alphas=0.5,x}))" 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-smooth-quant{alphas=0.4,0.6}))" 2>&1 | FileCheck %s --check-prefix=NOINPUTS

// S1: channel 0 has max|x| 16 and max|w| 1, channel 1 has 1 and 4: with
// alpha 0.5, s = [sqrt(16 / 1), sqrt(1 / 4)] = [4, 0.5]. The layer norm's
// gain [1, 2] and bias [8, -1] are divided by s, the weight's rows
// multiplied by it; the statistics are divided too (S4), the channel
// means of bias correction (B1) as well, the method's range dropped.
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[2.500000e-01, 4.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[2.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK: %[[N:.*]], %{{.*}}, %{{.*}} = qc.layer_norm %arg0, %[[G]], %[[B]]
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[4.000000e+00, -2.000000e+00], [2.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK: qc.matmul %[[N]], %[[W]] {qc.lhs_channel_max = array<f32: 4.000000e+00, 2.000000e+00>, qc.lhs_channel_mean = array<f32: 2.000000e+00, -2.000000e+00>, qc.lhs_channel_min = array<f32: -1.000000e+00, -2.000000e+00>, qc.lhs_stats = #qc.stats<min = -2.000000e+00 : f32, max = 4.000000e+00 : f32, absmax = 4.000000e+00 : f32>, qc.smooth_alpha = 5.000000e-01 : f32}
// ALPHA1-LABEL: func.func @layer_norm
// ALPHA1: arith.constant dense<[6.250000e-02, 2.000000e+00]> : tensor<2xf32>
// BAD: qc-smooth-quant: alpha must be in [0, 1], got 1.5
// NAN: qc-smooth-quant: alphas: 'x' is not a number
// NOINPUTS: qc-smooth-quant: searching alphas needs calibration data: give inputs=<file.npz>
func.func @layer_norm(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = arith.constant dense<[8.0, -1.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, -0.5], [4.0, 2.0]]> : tensor<2x2xf32>
  %n:3 = qc.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>)
  %0 = qc.matmul %n#0, %w {qc.lhs_channel_min = array<f32: -4.0, -1.0>, qc.lhs_channel_max = array<f32: 16.0, 1.0>, qc.lhs_channel_mean = array<f32: 8.0, -1.0>, qc.lhs_stats = #qc.stats<min = -4.0 : f32, max = 16.0 : f32, absmax = 16.0 : f32>, qc.lhs_range = #qc.stats<min = -3.0 : f32, max = 12.0 : f32, absmax = 12.0 : f32>, qc.calib_method = "percentile"} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// S1 with a shared input (Q/K/V-style projections): one factor from the
// maxima over both weights (max|w| of channel 0 is 4 from %w2), applied to
// both. RMSNorm's gain is a qc.mul by a constant vector.
// CHECK-LABEL: func.func @shared_rms_gain
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[2.500000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = qc.mul %arg0, %[[G]]
// CHECK: qc.matmul %[[Y]], %{{.*}} {{.*}}qc.smooth_alpha
// CHECK: qc.matmul %[[Y]], %{{.*}} {{.*}}qc.smooth_alpha
func.func @shared_rms_gain(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %g = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %w1 = arith.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %w2 = arith.constant dense<[[4.0, 1.0], [1.0, 1.0]]> : tensor<2x2xf32>
  %y = qc.mul %x, %g : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %0 = qc.matmul %y, %w1 {qc.lhs_channel_min = array<f32: -64.0, -1.0>, qc.lhs_channel_max = array<f32: 64.0, 1.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %1 = qc.matmul %y, %w2 {qc.lhs_channel_min = array<f32: -64.0, -1.0>, qc.lhs_channel_max = array<f32: 64.0, 1.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// With insert-scales, a tensor a norm's gain can absorb still folds:
// no division.
// INS-LABEL: func.func @layer_norm
// INS-NOT: qc.div
// INS: qc.layer_norm
// INS-NOT: qc.div
// INS: qc.matmul {{.*}}qc.smooth_alpha = 5.000000e-01

// S3: not smoothed when another op reads the normalized tensor (it would
// see the divided values), or when a matmul lacks per-channel statistics.
// A remark counts the first (the second has nothing to smooth by).
// REMARK: remark: qc-smooth-quant: 1 tensor(s) read by matmuls left unsmoothed: no norm gain can absorb the factor
// S6 (insert-scales): the matmul reads %n#0 / s through an inserted
// qc.div, s = [sqrt(64 / 1), sqrt(1 / 1)] = [8, 1]; the relu still reads
// %n#0; the weight's rows are multiplied by s. The matmul without
// statistics is left alone.
// INS-LABEL: func.func @not_smoothed
// INS: %[[N:[^,]*]], %{{.*}}, %{{.*}} = qc.layer_norm
// INS: %[[S:.*]] = arith.constant dense<[8.000000e+00, 1.000000e+00]> : tensor<2xf32>
// INS: %[[D:.*]] = qc.div %[[N]], %[[S]] : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// INS: %[[W:.*]] = arith.constant dense<{{\[}}[8.000000e+00, 4.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// INS: qc.matmul %[[D]], %[[W]] {qc.lhs_channel_max = array<f32: 8.000000e+00, 1.000000e+00>, qc.lhs_channel_min = array<f32: -8.000000e+00, -1.000000e+00>, qc.lhs_stats = #qc.stats<min = -8.000000e+00 : f32, max = 8.000000e+00 : f32, absmax = 8.000000e+00 : f32>, qc.smooth_alpha = 5.000000e-01 : f32}
// INS: qc.relu %[[N]] :
// INS: %[[Y:.*]] = qc.mul %arg0
// INS: qc.matmul %[[Y]], %{{.*}} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
// CHECK-LABEL: func.func @not_smoothed
// CHECK-DAG: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[3.000000e+00, 4.000000e+00]> : tensor<2xf32>
// CHECK-NOT: qc.smooth_alpha
func.func @not_smoothed(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %g2 = arith.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %n:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>)
  %0 = qc.matmul %n#0, %w {qc.lhs_channel_min = array<f32: -64.0, -1.0>, qc.lhs_channel_max = array<f32: 64.0, 1.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %1 = qc.relu %n#0 : (tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = qc.mul %x, %g2 : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %2 = qc.matmul %y, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0, %1, %2 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// S6 on a model input (no producer): the division comes first in the body.
// INS-LABEL: func.func @input
// INS-NEXT: %[[S:.*]] = arith.constant dense<[4.000000e+00, 2.000000e+00]> : tensor<2xf32>
// INS-NEXT: %[[D:.*]] = qc.div %arg0, %[[S]]
// INS: qc.matmul %[[D]], {{.*}}qc.smooth_alpha
// REMARK: remark: qc-smooth-quant: 1 tensor(s) read by matmuls left unsmoothed
func.func @input(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [1.0, 1.0]]> : tensor<2x2xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_min = array<f32: -16.0, -4.0>, qc.lhs_channel_max = array<f32: 16.0, 4.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A layer norm's mean (and inverse deviation) does not scale with its gain:
// a matmul reading the mean (here of a last axis of one channel, K = 1)
// is never smoothed by folding into the gain; with insert-scales it is
// divided instead.
// CHECK-LABEL: func.func @ln_mean
// CHECK: arith.constant dense<2.000000e+00> : tensor<1xf32>
// CHECK-NOT: qc.smooth_alpha
// INS-LABEL: func.func @ln_mean
// INS: %[[N:[^,]*]], %[[M:[^,]*]], %{{.*}} = qc.layer_norm %arg0, %[[G:[^ ]*]]
// INS: qc.div %[[M]], %{{.*}} : (tensor<3x1xf32>, tensor<1xf32>) -> tensor<3x1xf32>
func.func @ln_mean(%x: tensor<3x1xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<2.0> : tensor<1xf32>
  %w = arith.constant dense<[[1.0, 0.5]]> : tensor<1x2xf32>
  %n:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x1xf32>, tensor<1xf32>) -> (tensor<3x1xf32>, tensor<3x1xf32>, tensor<3x1xf32>)
  %0 = qc.matmul %n#1, %w {qc.lhs_channel_min = array<f32: -16.0>, qc.lhs_channel_max = array<f32: 16.0>} : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A matmul already fused (qc-smooth-quant run by hand after
// qc-fuse-epilogues): its new weight goes before the qc.fusion, whose body
// must start with the matmul.
// CHECK-LABEL: func.func @fused
// CHECK: qc.layer_norm
// CHECK-NEXT: %[[W:.*]] = arith.constant dense<{{\[}}[4.000000e+00, -2.000000e+00], [2.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: qc.fusion
// CHECK-NEXT: qc.matmul %{{.*}}, %[[W]] {{.*}}qc.smooth_alpha
func.func @fused(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, -0.5], [4.0, 2.0]]> : tensor<2x2xf32>
  %n:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>)
  %f = qc.fusion : tensor<3x2xf32> {
    %0 = qc.matmul %n#0, %w {qc.lhs_channel_min = array<f32: -4.0, -1.0>, qc.lhs_channel_max = array<f32: 16.0, 1.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    %1 = qc.relu %0 : (tensor<3x2xf32>) -> tensor<3x2xf32>
    qc.yield %1 : tensor<3x2xf32>
  }
  return %f : tensor<3x2xf32>
}
