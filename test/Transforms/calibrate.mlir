// RUN: %python %S/Inputs/make_npz.py %t.npz "x=[[1.0, -2.0], [3.0, 0.5]]"
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="random-samples=8 seed=3" | FileCheck %s --check-prefix=RANDOM
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz per-channel=true channel-means=false" | FileCheck %s --check-prefix=CHANNEL
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz hessian=true" | FileCheck %s --check-prefix=HESSIAN
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz" | FileCheck %s --check-prefix=MEANS
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz channel-means=false" | FileCheck %s --check-prefix=NOMEANS
// RUN: not quant-opt %s --qc-calibrate 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.missing.npz" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: %python %S/Inputs/make_npz.py %t.bad.npz "y=[[1.0, 2.0]]"
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.bad.npz" 2>&1 | FileCheck %s --check-prefix=BADKEY

// x = [[1, -2], [3, 0.5]]; relu(x) = [[1, 0], [3, 0.5]]; w doubles column 0.
// CHECK-LABEL: func.func @main
// CHECK: qc.matmul {{.*}}qc.lhs_stats = #qc.stats<min = -2.000000e+00 : f32, max = 3.000000e+00 : f32, absmax = 3.000000e+00 : f32>, qc.result_stats = #qc.stats<min = -2.000000e+00 : f32, max = 6.000000e+00 : f32, absmax = 6.000000e+00 : f32>
// CHECK: qc.matmul {{.*}}qc.lhs_stats = #qc.stats<min = 0.000000e+00 : f32, max = 3.000000e+00 : f32, absmax = 3.000000e+00 : f32>
// Per input channel (the last axis) of each matmul's activation: column 0 of
// x is [1, 3], column 1 is [-2, 0.5]; of relu(x): [1, 3] and [0, 0.5].
// CHANNEL: qc.matmul {{.*}}qc.lhs_channel_max = array<f32: 3.000000e+00, 5.000000e-01>, qc.lhs_channel_min = array<f32: 1.000000e+00, -2.000000e+00>
// CHANNEL: qc.matmul {{.*}}qc.lhs_channel_max = array<f32: 3.000000e+00, 5.000000e-01>, qc.lhs_channel_min = array<f32: 1.000000e+00, 0.000000e+00>
// CHECK-NOT: qc.lhs_channel_m{{in|ax}}
// Channel means (B1, recorded by default): columns of x average [2, -0.75],
// of relu(x) [2, 0.25].
// MEANS: qc.matmul {{.*}}qc.lhs_channel_mean = array<f32: 2.000000e+00, -7.500000e-01>
// MEANS: qc.matmul {{.*}}qc.lhs_channel_mean = array<f32: 2.000000e+00, 2.500000e-01>
// NOMEANS-NOT: qc.lhs_channel_mean
// H = 2/m sum x x^T of each matmul's activation rows, as a blob: for x,
// 2/2 ([1, -2][1, -2]^T + [3, 0.5][3, 0.5]^T) = [[10, -0.5], [-0.5, 4.25]]
// (f32 little-endian after the blob's 4-byte alignment header).
// HESSIAN: qc.matmul {{.*}}qc.lhs_hessian = dense_resource<[[H0:qc_hessian[_0-9]*]]> : tensor<2x2xf32>
// HESSIAN: qc.matmul {{.*}}qc.lhs_hessian = dense_resource<{{qc_hessian[_0-9]*}}> : tensor<2x2xf32>
// HESSIAN: [[H0]]: "0x0400000000002041000000BF000000BF00008840"
// RANDOM-COUNT-2: qc.lhs_stats = #qc.stats<min = {{[-0-9.e+]+}} : f32, max = {{[-0-9.e+]+}} : f32
// NODATA: qc-calibrate needs calibration data: give inputs=<file.npz> or random-samples=<N>
// MISSING: qc-calibrate: {{.*}}missing.npz
// BADKEY: no array named 'x' (the model's input 0); it has: 'y'
func.func @main(%x: tensor<?x2xf32> {qc.name = "x"}) -> (tensor<?x2xf32> {qc.name = "y"}) {
  %w = arith.constant dense<[[2.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %0 = qc.matmul %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %1 = qc.relu %x : (tensor<?x2xf32>) -> tensor<?x2xf32>
  %2 = qc.matmul %1, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %3 = qc.add %0, %2 : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %3 : tensor<?x2xf32>
}
