// qc-quantize-linear{outlier-threshold}: LLM.int8()-style outlier channels
// in a float side product (docs/Calibration.md, O1-O2).
// RUN: quant-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize-linear{outlier-threshold=6.0}))" 2>&1 | FileCheck %s
// RUN: quant-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize-linear))" 2>&1 | FileCheck %s --check-prefix=OFF
// RUN: not quant-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize-linear{outlier-threshold=-1.0}))" 2>&1 | FileCheck %s --check-prefix=BAD

// Channel 1 reaches 40 (> 6): it is gathered into a float side product
// x[:, [1]] @ w[[1], :], the main product reads x with channel 1 zeroed and
// w with row 1 zeroed, and its activation range is the other channels'
// ([-2, 3], widened to include 0) instead of [-2, 40].
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[IDX:.*]] = arith.constant dense<1> : tensor<1xi64>
// CHECK-DAG: %[[WO:.*]] = arith.constant dense<{{\[}}[3.000000e+00, 4.000000e+00]]> : tensor<1x2xf32>
// CHECK-DAG: %[[MASK:.*]] = arith.constant dense<[1.000000e+00, 0.000000e+00, 1.000000e+00]> : tensor<3xf32>
// CHECK: %[[XO:.*]] = qc.gather %arg0, %[[IDX]] {axis = 1 : i64} : (tensor<4x3xf32>, tensor<1xi64>) -> tensor<4x1xf32>
// CHECK: %[[SIDE:.*]] = qc.matmul %[[XO]], %[[WO]] {qc.outlier_side}
// CHECK: %[[XI:.*]] = qc.mul %arg0, %[[MASK]]
// CHECK: qc.quantize_linear %[[XI]]
// CHECK: %[[MAIN:.*]] = qc.matmul %{{.*}}, %{{.*}} {{{.*}}qc.lhs_stats = #qc.stats<min = -2.000000e+00 : f32, max = 3.000000e+00 : f32, absmax = 3.000000e+00 : f32>, qc.outlier_channels = array<i64: 1>
// CHECK: %[[SUM:.*]] = qc.add %[[MAIN]], %[[SIDE]]
// CHECK: return %[[SUM]]
// CHECK-NOT: remark
// OFF-NOT: qc.outlier
// BAD: qc-quantize-linear: outlier-threshold must be >= 0, got -1
func.func @matmul(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %0 = qc.matmul %x, %w {qc.lhs_channel_min = array<f32: -2.0, -1.0, 0.5>, qc.lhs_channel_max = array<f32: 1.0, 40.0, 3.0>, qc.lhs_stats = #qc.stats<min = -2.0 : f32, max = 40.0 : f32, absmax = 40.0 : f32>} : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
