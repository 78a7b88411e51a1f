// qc-quantize-linear{format=nvfp4}: F28 in QDQ form (docs/Formats.md).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=nvfp4}))" 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=nvfp4}))" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=nvfp4 activations=dynamic}))" 2>&1 | FileCheck %s --check-prefix=ACTS

// Weight [40, 3] of 0.5: per column, blocks of 16 along K (16, 16, 8), t =
// 0.5 / 2688, each block scale 448 (E4M3), effective scale 448 * t = 1/12,
// codes 6. Activation tensor scale t = 4 / 2688 from the calibrated absmax
// 4; block scales at run time: max|x| per block / 6 / t, rounded to E4M3,
// times t; a zero scale quantizes with FLT_MAX and dequantizes with 1.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[T:.*]] = arith.constant dense<0.00148809527> : tensor<f32>
// CHECK-DAG: %[[SIX:.*]] = arith.constant dense<6.000000e+00> : tensor<f32>
// CHECK-DAG: %[[WC:.*]] = arith.constant dense<6.000000e+00> : tensor<40x3xf4E2M1FN>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense<0.0833333358> : tensor<3x3xf32>
// CHECK: %[[W:.*]] = qc.dequantize_linear %[[WC]], %[[WS]] {axis = 0 : i64, block_size = 16 : i64}
// CHECK: %[[M:.*]] = qc.concat
// CHECK: %[[U1:.*]] = qc.div %[[M]], %[[SIX]]
// CHECK: %[[U:.*]] = qc.div %[[U1]], %[[T]]
// CHECK: %[[U8:.*]] = qc.cast %[[U]] : (tensor<?x3xf32>) -> tensor<?x3xf8E4M3FN>
// CHECK: %[[UF:.*]] = qc.cast %[[U8]] : (tensor<?x3xf8E4M3FN>) -> tensor<?x3xf32>
// CHECK: %[[S:.*]] = qc.mul %[[UF]], %[[T]]
// CHECK: %[[Z:.*]] = qc.equal %[[S]]
// CHECK: %[[SQ:.*]] = qc.where %[[Z]], %{{.*}}, %[[S]]
// CHECK: %[[SD:.*]] = qc.where %[[Z]], %{{.*}}, %[[S]]
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, %[[SQ]] {block_size = 16 : i64} : (tensor<?x40xf32>, tensor<?x3xf32>) -> tensor<?x40xf4E2M1FN>
// CHECK: %[[X:.*]] = qc.dequantize_linear %[[Q]], %[[SD]] {block_size = 16 : i64}
// CHECK: qc.matmul %[[X]], %[[W]] {qc.act_dynamic, qc.act_scheme = #qc.scheme<f4E2M1FN, scale = f8E4M3FN, block = [16], symmetric>, qc.act_tensor_scale = 0.00148809527 : f32{{.*}}qc.weight_scheme = #qc.scheme<f4E2M1FN, scale = f8E4M3FN, block = [16, 1], symmetric>}
// ACTS: format 'nvfp4' takes activation block scales at run time under a calibrated tensor scale: leave activations unset, or activations=none
func.func @matmul(%x: tensor<?x40xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<0.5> : tensor<40x3xf32>
  %0 = qc.matmul %x, %w {qc.lhs_stats = #qc.stats<min = -4.0 : f32, max = 3.0 : f32, absmax = 4.0 : f32>} : (tensor<?x40xf32>, tensor<40x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Without calibration statistics the activation's tensor scale is unknown.
// REMARK: remark: qc.matmul left in float: no calibration statistics (run qc-calibrate first)
func.func @uncalibrated(%x: tensor<2x16xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<0.5> : tensor<16x3xf32>
  %0 = qc.matmul %x, %w : (tensor<2x16xf32>, tensor<16x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
