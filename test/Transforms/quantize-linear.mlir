// qc-quantize-linear: static W8A8 in QDQ form (docs/Passes.md).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear))" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{asymmetric=false}))" 2>/dev/null | FileCheck %s --check-prefix=SYM
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8}))" 2>/dev/null | FileCheck %s --check-prefix=FP8
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int4}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=dynamic asymmetric=false}))" 2>/dev/null | FileCheck %s --check-prefix=DYN
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=dynamic}))" 2>/dev/null | FileCheck %s --check-prefix=ADYN
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=dynamic asymmetric=false depthwise-channel-scales=false}))" 2>/dev/null | FileCheck %s --check-prefix=DWPT
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=sometimes}))" 2>&1 | FileCheck %s --check-prefix=BADACT
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int4-g128 activations=dynamic}))" 2>&1 | FileCheck %s --check-prefix=W4STATIC
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int4-g128 activations=static}))" 2>&1 | FileCheck %s --check-prefix=W4STATIC
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=none}))" 2>/dev/null | FileCheck %s --check-prefix=W8A16
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int4-g128}))" 2>/dev/null | FileCheck %s --check-prefix=W4
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=bf16}))" 2>/dev/null | FileCheck %s --check-prefix=BF16
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{activations=none weight-method=gptq}))" 2>&1 >/dev/null | FileCheck %s --check-prefix=NOHESSIAN
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{weight-method=obq}))" 2>&1 | FileCheck %s --check-prefix=BADMETHOD
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=bf16 activations=dynamic}))" 2>&1 | FileCheck %s --check-prefix=BF16DYN

// Weight [K=2, N=2] per output channel (column): absmax 2 and 0.5 -> scales
// 2/127 and 0.5/127; codes round(w / s). Activation range [-1, 3] (the
// chosen qc.lhs_range, not the wider qc.lhs_stats): asymmetric int8 scale
// 4/255, zero point rne(-128 + 1/(4/255)) = -64.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<-64> : tensor<i8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<0.0156862754> : tensor<f32>
// CHECK-DAG: %[[WC:.*]] = arith.constant dense<{{\[}}[127, -127], [-64, 32]]> : tensor<2x2xi8>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense<[0.0157480314, 0.00393700786]> : tensor<2xf32>
// CHECK-DAG: %[[WZ:.*]] = arith.constant dense<0> : tensor<2xi8>
// CHECK: %[[W:.*]] = qc.dequantize_linear %[[WC]], %[[WS]], %[[WZ]] : (tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2xf32>
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]], %[[Z]] {qc.input_stats = #qc.stats<min = -4.000000e+00
// CHECK: %[[X:.*]] = qc.dequantize_linear %[[Q]], %[[S]], %[[Z]]
// CHECK: qc.matmul %[[X]], %[[W]] {qc.act_scheme = #qc.scheme<i8, scale = f32, block = [], asymmetric>{{.*}}qc.weight_scheme = #qc.scheme<i8, scale = f32, block = [0, 1], symmetric>}
// SYM-LABEL: func.func @matmul
// SYM: arith.constant dense<0.0236220472> : tensor<f32>
// SYM: qc.act_scheme = #qc.scheme<i8, scale = f32, block = [], symmetric>
// FP8-LABEL: func.func @matmul
// FP8-DAG: arith.constant dense<0.00669642864> : tensor<f32>
// FP8-DAG: tensor<2x2xf8E4M3FN>
// FP8: qc.quantize_linear %arg0, %{{[^,]*}} {{{.*}}} : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf8E4M3FN>
// BAD: qc-quantize-linear: format 'int4' is not supported; supported: int8, fp8, fp8-1x128, int4-g128, nvfp4, bf16
// Dynamic (F31): per-token scales from the data, no calibration needed (the
// ranges are ignored): max|x| over K (axis 1 of [3, 2]) / 127, floored at
// 2^-126, blocked quantize along K with no zero point.
// DYN-LABEL: func.func @matmul
// DYN-DAG: %[[TINY:.*]] = arith.constant dense<1.17549435E-38> : tensor<f32>
// DYN-DAG: %[[QMAX:.*]] = arith.constant dense<1.270000e+02> : tensor<f32>
// DYN: %[[A:.*]] = qc.abs %arg0
// DYN: %[[M:.*]] = qc.reduce_max %[[A]] {axes = array<i64: 1>, keepdims = true} : (tensor<3x2xf32>) -> tensor<3x1xf32>
// DYN: %[[D:.*]] = qc.div %[[M]], %[[QMAX]]
// DYN: %[[S:.*]] = qc.max %[[D]], %[[TINY]]
// DYN: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]] {block_size = 2 : i64} : (tensor<3x2xf32>, tensor<3x1xf32>) -> tensor<3x2xi8>
// DYN: %[[X:.*]] = qc.dequantize_linear %[[Q]], %[[S]] {block_size = 2 : i64}
// DYN: qc.matmul %[[X]], %{{.*}} {qc.act_dynamic, qc.act_scheme = #qc.scheme<i8, scale = f32, block = [0], symmetric>
// Asymmetric (int8's default): per token lo = min(min x, 0), hi = max(max
// x, 0), s = max((hi - lo) / 255, 2^-126), z = rne(clip(-128 - lo / s,
// -128, 127)) cast to i8, the same blocked quantize with z.
// ADYN-LABEL: func.func @matmul
// ADYN-DAG: %[[QMIN:.*]] = arith.constant dense<-1.280000e+02> : tensor<f32>
// ADYN-DAG: %[[TINY:.*]] = arith.constant dense<1.17549435E-38> : tensor<f32>
// ADYN-DAG: %[[RANGE:.*]] = arith.constant dense<2.550000e+02> : tensor<f32>
// ADYN-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<f32>
// ADYN: %[[RMIN:.*]] = qc.reduce_min %arg0 {axes = array<i64: 1>, keepdims = true} : (tensor<3x2xf32>) -> tensor<3x1xf32>
// ADYN: %[[LO:.*]] = qc.min %[[RMIN]], %[[ZERO]]
// ADYN: %[[RMAX:.*]] = qc.reduce_max %arg0 {axes = array<i64: 1>, keepdims = true} : (tensor<3x2xf32>) -> tensor<3x1xf32>
// ADYN: %[[HI:.*]] = qc.max %[[RMAX]], %[[ZERO]]
// ADYN: %[[W:.*]] = qc.sub %[[HI]], %[[LO]]
// ADYN: %[[D:.*]] = qc.div %[[W]], %[[RANGE]]
// ADYN: %[[S:.*]] = qc.max %[[D]], %[[TINY]]
// ADYN: %[[T:.*]] = qc.div %[[LO]], %[[S]]
// ADYN: %[[ZF:.*]] = qc.sub %[[QMIN]], %[[T]]
// ADYN: %[[ZC:.*]] = qc.clip %[[ZF]] {max = 1.270000e+02 : f32, min = -1.280000e+02 : f32}
// ADYN: %[[ZR:.*]] = qc.round %[[ZC]]
// ADYN: %[[Z:.*]] = qc.cast %[[ZR]] : (tensor<3x1xf32>) -> tensor<3x1xi8>
// ADYN: %[[Q:.*]] = qc.quantize_linear %arg0, %[[S]], %[[Z]] {block_size = 2 : i64} : (tensor<3x2xf32>, tensor<3x1xf32>, tensor<3x1xi8>) -> tensor<3x2xi8>
// ADYN: %[[X:.*]] = qc.dequantize_linear %[[Q]], %[[S]], %[[Z]] {block_size = 2 : i64}
// ADYN: qc.matmul %[[X]], %{{.*}} {qc.act_dynamic, qc.act_scheme = #qc.scheme<i8, scale = f32, block = [0], asymmetric>
// BADACT: activations must be static, dynamic or none, got 'sometimes'
// bf16: weights as bf16 constants (round to nearest even) behind a cast,
// activations cast to bf16 and back; no scales, no calibration.
// BF16-LABEL: func.func @matmul
// BF16: %[[W:.*]] = arith.constant dense<{{\[}}[2.000000e+00, -5.000000e-01], [-1.000000e+00, 1.250000e-01]]> : tensor<2x2xbf16>
// BF16: %[[WF:.*]] = qc.cast %[[W]] : (tensor<2x2xbf16>) -> tensor<2x2xf32>
// BF16: %[[R:.*]] = qc.cast %arg0 : (tensor<3x2xf32>) -> tensor<3x2xbf16>
// BF16: %[[X:.*]] = qc.cast %[[R]] : (tensor<3x2xbf16>) -> tensor<3x2xf32>
// BF16: qc.matmul %[[X]], %[[WF]] {qc.act_scheme = #qc.scheme<bf16, scale = f32, block = [], symmetric>{{.*}}qc.weight_scheme = #qc.scheme<bf16, scale = f32, block = [], symmetric>}
// NOHESSIAN: remark: weight rounded to nearest: GPTQ needs the matmul's qc.lhs_hessian (qc-calibrate{hessian=true})
// BADMETHOD: weight-method must be rtn or gptq, got 'obq'
// BF16DYN: format 'bf16' has no scales: activations are rounded to it unless activations=none
// A conv's window spans pixels, not images: one dynamic scale per image
// (per axis 0), so an image's codes do not depend on the rest of its batch.
// DYN-LABEL: func.func @conv
// DYN: %[[M:.*]] = qc.reduce_max %{{.*}} {axes = array<i64: 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<1xf32>
// DYN-NOT: qc.reduce_max
// DYN: %[[D:.*]] = qc.div %[[M]], %{{.*}} : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
// DYN: %[[S:.*]] = qc.max %[[D]], %{{.*}} : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
// DYN: qc.quantize_linear %arg0, %[[S]] {axis = 0 : i64} : (tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x1x2x2xi8>
// DYN: qc.conv {{.*}}qc.act_dynamic, qc.act_scheme = #qc.scheme<i8, scale = f32, block = [1, 0, 0, 0], symmetric>
// ADYN-LABEL: func.func @conv
// ADYN: qc.reduce_min %arg0 {axes = array<i64: 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<1xf32>
// ADYN: qc.reduce_max %arg0 {axes = array<i64: 1, 2, 3>, keepdims = false} : (tensor<1x1x2x2xf32>) -> tensor<1xf32>
// ADYN: %[[Z:.*]] = qc.cast %{{.*}} : (tensor<1xf32>) -> tensor<1xi8>
// ADYN: qc.quantize_linear %arg0, %{{.*}}, %[[Z]] {axis = 0 : i64} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<1x1x2x2xi8>
// ADYN: qc.conv {{.*}}qc.act_dynamic, qc.act_scheme = #qc.scheme<i8, scale = f32, block = [1, 0, 0, 0], asymmetric>
// W4STATIC: format 'int4-g128' quantizes weights only (W4A16): use activations=none
// Weight-only: the weight's DQ, no activation quantize_linear.
// W8A16-LABEL: func.func @matmul
// W8A16-NOT: qc.quantize_linear
// W8A16: qc.matmul %arg0, %{{.*}}qc.weight_scheme = #qc.scheme<i8, scale = f32, block = [0, 1], symmetric>}
// W4A16: int4 codes with one scale per 128 along K (axis 0 of [K, N]): K = 2
// is one block, scales [1, 2].
// W4-LABEL: func.func @matmul
// W4: qc.dequantize_linear {{.*}} {axis = 0 : i64, block_size = 128 : i64} : (tensor<2x2xi4>, tensor<1x2xf32>, tensor<1x2xi4>) -> tensor<2x2xf32>
// W4-NOT: qc.quantize_linear
// W4: qc.weight_scheme = #qc.scheme<i4, scale = f32, block = [128, 1], symmetric>
func.func @matmul(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[2.0, -0.5], [-1.0, 0.125]]> : tensor<2x2xf32>
  %0 = qc.matmul %x, %w {qc.lhs_range = #qc.stats<min = -1.0 : f32, max = 3.0 : f32, absmax = 3.0 : f32>, qc.lhs_stats = #qc.stats<min = -4.0 : f32, max = 3.0 : f32, absmax = 4.0 : f32>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Conv: per output channel along axis 0 of [M, C, kh, kw].
// CHECK-LABEL: func.func @conv
// CHECK: qc.dequantize_linear {{.*}} {axis = 0 : i64} : (tensor<2x1x1x1xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x1x1x1xf32>
// CHECK: qc.conv {{.*}}qc.weight_scheme = #qc.scheme<i8, scale = f32, block = [1, 0, 0, 0], symmetric>
func.func @conv(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[0.5]]], [[[-2.0]]]]> : tensor<2x1x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, qc.lhs_stats = #qc.stats<min = 0.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// Dynamic scales of a depthwise conv's input: one per image and channel
// (each output channel reads one input channel), as rows of [N, C, H * W].
// Static scales (the default) take Q4's calibrated ones per channel.
// DYN-LABEL: func.func @depthwise
// DYN: %[[F:.*]] = qc.reshape %arg0 {shape = array<i64: 0, 2, 4>} : (tensor<?x2x2x2xf32>) -> tensor<?x2x4xf32>
// DYN: %[[A:.*]] = qc.abs %[[F]]
// DYN: qc.reduce_max %[[A]] {axes = array<i64: 2>, keepdims = true} : (tensor<?x2x4xf32>) -> tensor<?x2x1xf32>
// DYN: %[[Q:.*]] = qc.quantize_linear %[[F]], %[[S:.*]] {axis = 2 : i64, block_size = 4 : i64} : (tensor<?x2x4xf32>, tensor<?x2x1xf32>) -> tensor<?x2x4xi8>
// DYN: %[[X:.*]] = qc.dequantize_linear %[[Q]], %[[S]] {axis = 2 : i64, block_size = 4 : i64}
// DYN: %[[B:.*]] = qc.reshape %[[X]] {shape = array<i64: 0, 2, 2, 2>} : (tensor<?x2x4xf32>) -> tensor<?x2x2x2xf32>
// DYN: qc.conv %[[B]], {{.*}}qc.act_dynamic, qc.act_scheme = #qc.scheme<i8, scale = f32, block = [1, 1, 0, 0], symmetric>
// With depthwise-channel-scales=false (Q4 off), one scale per image.
// DWPT-LABEL: func.func @depthwise
// DWPT-NOT: qc.reshape
// DWPT: qc.reduce_max %{{.*}} {axes = array<i64: 1, 2, 3>, keepdims = false} : (tensor<?x2x2x2xf32>) -> tensor<?xf32>
// DWPT: qc.conv {{.*}}qc.act_scheme = #qc.scheme<i8, scale = f32, block = [1, 0, 0, 0], symmetric>
func.func @depthwise(%x: tensor<?x2x2x2xf32>) -> tensor<?x2x2x2xf32> {
  %w = arith.constant dense<[[[[0.5, 1.0], [-1.0, 0.25]]], [[[2.0, -0.5], [1.0, 1.0]]]]> : tensor<2x1x2x2xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 1, 1>, qc.lhs_stats = #qc.stats<min = 0.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<?x2x2x2xf32>, tensor<2x1x2x2xf32>) -> tensor<?x2x2x2xf32>
  return %0 : tensor<?x2x2x2xf32>
}

// -----

// A matmul whose reduction axis is dynamic: one dynamic scale per row of
// its lhs, along axis 0.
// DYN-LABEL: func.func @dynamic_k
// DYN: qc.reduce_max %{{.*}} {axes = array<i64: 1>, keepdims = false} : (tensor<3x?xf32>) -> tensor<3xf32>
// DYN: qc.quantize_linear %arg0, %{{.*}} {axis = 0 : i64} : (tensor<3x?xf32>, tensor<3xf32>) -> tensor<3x?xi8>
// DYN: qc.matmul {{.*}}qc.act_dynamic, qc.act_scheme = #qc.scheme<i8, scale = f32, block = [1, 0], symmetric>
func.func @dynamic_k(%x: tensor<3x?xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[2.0, -0.5], [-1.0, 0.125]]> : tensor<2x2xf32>
  %0 = qc.matmul %x, %w {qc.lhs_stats = #qc.stats<min = -1.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<3x?xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// What stays in float says why.
// REMARK: remark: qc.matmul left in float: an activation x activation product needs calibration statistics of both operands (qc.lhs_stats, qc.rhs_stats) and activations=static
// REMARK: remark: qc.matmul left in float: no calibration statistics (run qc-calibrate first)
func.func @float(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %0 = qc.matmul %x, %x {qc.lhs_stats = #qc.stats<min = 0.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %1 = qc.matmul %0, %w : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %1 : tensor<2x2xf32>
}

// -----

// Attention-style activation x activation: both operands quantized with
// their own static scales.
// CHECK-LABEL: func.func @act_x_act
// CHECK-DAG: %[[SA:.*]] = arith.constant dense<0.00392156886> : tensor<f32>
// CHECK-DAG: %[[SB:.*]] = arith.constant dense<0.00784313772> : tensor<f32>
// CHECK: qc.quantize_linear %arg0, %[[SA]]
// CHECK: qc.quantize_linear %arg1, %[[SB]]
// CHECK: qc.matmul {{.*}}qc.act_scheme = #qc.scheme<i8, scale = f32, block = [], asymmetric>
// CHECK-NOT: qc.weight_scheme
// W8A16-LABEL: func.func @act_x_act
// W8A16-NOT: qc.quantize_linear
func.func @act_x_act(%a: tensor<2x4xf32>, %b: tensor<4x2xf32>) -> tensor<2x2xf32> {
  %0 = qc.matmul %a, %b {qc.lhs_stats = #qc.stats<min = 0.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>, qc.rhs_stats = #qc.stats<min = -1.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// A recurrent op stays in float, with a remark saying so.
// REMARK: remark: qc.lstm left in float: its gate products run inside the recurrence, step by step, which no format here quantizes yet
func.func @lstm(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) -> tensor<1x2x4xf32> {
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return %h : tensor<1x2x4xf32>
}
