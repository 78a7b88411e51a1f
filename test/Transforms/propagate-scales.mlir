// qc-propagate-scales: rules P1-P6 of docs/Calibration.md.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-propagate-scales))" | FileCheck %s --check-prefixes=CHECK,KEEP
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-propagate-scales{drop-relu=true}))" | FileCheck %s --check-prefixes=CHECK,DROP

// P1: a quantize of a dequantize with the same scale and zero point is the
// codes.
// CHECK-LABEL: func.func @p1_fold
// CHECK-NOT: qc.quantize_linear
// CHECK-NOT: qc.dequantize_linear
// CHECK: return %arg0 : tensor<4xi8>
func.func @p1_fold(%c: tensor<4xi8>) -> tensor<4xi8> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<3> : tensor<i8>
  %x = qc.dequantize_linear %c, %s, %z : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  %q = qc.quantize_linear %x, %s, %z : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// P1 with fp8 codes and no zero point: equal constants, not the same value.
// CHECK-LABEL: func.func @p1_fold_fp8
// CHECK: return %arg0 : tensor<4xf8E4M3FN>
func.func @p1_fold_fp8(%c: tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN> {
  %s = arith.constant dense<0.25> : tensor<f32>
  %s2 = arith.constant dense<0.25> : tensor<f32>
  %x = qc.dequantize_linear %c, %s : (tensor<4xf8E4M3FN>, tensor<f32>) -> tensor<4xf32>
  %q = qc.quantize_linear %x, %s2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf8E4M3FN>
  return %q : tensor<4xf8E4M3FN>
}

// -----

// P1 needs a scale that makes the round trip exact: not 0, not Inf, not so
// large that a dequantized code overflows.
// CHECK-LABEL: func.func @p1_unsafe_scales_kept
// CHECK-COUNT-3: qc.quantize_linear
func.func @p1_unsafe_scales_kept(%c: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
  %zero = arith.constant dense<0.0> : tensor<f32>
  %inf = arith.constant dense<0x7F800000> : tensor<f32>
  %huge = arith.constant dense<1.0e37> : tensor<f32>
  %x0 = qc.dequantize_linear %c, %zero : (tensor<4xi8>, tensor<f32>) -> tensor<4xf32>
  %q0 = qc.quantize_linear %x0, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xi8>
  %x1 = qc.dequantize_linear %c, %inf : (tensor<4xi8>, tensor<f32>) -> tensor<4xf32>
  %q1 = qc.quantize_linear %x1, %inf : (tensor<4xf32>, tensor<f32>) -> tensor<4xi8>
  %x2 = qc.dequantize_linear %c, %huge : (tensor<4xi8>, tensor<f32>) -> tensor<4xf32>
  %q2 = qc.quantize_linear %x2, %huge : (tensor<4xf32>, tensor<f32>) -> tensor<4xi8>
  return %q0, %q1, %q2 : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
}

// -----

// Different scales: a requantization, left as the pair.
// CHECK-LABEL: func.func @p1_requantize_kept
// CHECK: qc.dequantize_linear
// CHECK: qc.quantize_linear
func.func @p1_requantize_kept(%c: tensor<4xi8>) -> tensor<4xi8> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %s2 = arith.constant dense<0.25> : tensor<f32>
  %x = qc.dequantize_linear %c, %s : (tensor<4xi8>, tensor<f32>) -> tensor<4xf32>
  %q = qc.quantize_linear %x, %s2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// Different zero points: kept too.
// CHECK-LABEL: func.func @p1_zero_point_differs
// CHECK: qc.dequantize_linear
// CHECK: qc.quantize_linear
func.func @p1_zero_point_differs(%c: tensor<4xi8>) -> tensor<4xi8> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<1> : tensor<i8>
  %x = qc.dequantize_linear %c, %s, %z : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  %q = qc.quantize_linear %x, %s : (tensor<4xf32>, tensor<f32>) -> tensor<4xi8>
  return %q : tensor<4xi8>
}

// -----

// P2: the quantize moves above a chain of layout ops, which then move i8
// codes; its attributes (calibration statistics) move with it.
// CHECK-LABEL: func.func @p2_hoist_layout
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, {{.*}} {qc.input_stats = #qc.stats<{{.*}}>} : (tensor<2x6xf32>, tensor<f32>, tensor<i8>) -> tensor<2x6xi8>
// CHECK: %[[R:.*]] = qc.reshape %[[Q]] {shape = array<i64: 2, 3, 2>} : (tensor<2x6xi8>) -> tensor<2x3x2xi8>
// CHECK: %[[T:.*]] = qc.transpose %[[R]] {perm = array<i64: 0, 2, 1>} : (tensor<2x3x2xi8>) -> tensor<2x2x3xi8>
// CHECK: %[[D:.*]] = qc.dequantize_linear %[[T]]
// CHECK: qc.matmul %[[D]]
func.func @p2_hoist_layout(%x: tensor<2x6xf32>, %w: tensor<3x4xf32>) -> tensor<2x2x4xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<0> : tensor<i8>
  %r = qc.reshape %x {shape = array<i64: 2, 3, 2>} : (tensor<2x6xf32>) -> tensor<2x3x2xf32>
  %t = qc.transpose %r {perm = array<i64: 0, 2, 1>} : (tensor<2x3x2xf32>) -> tensor<2x2x3xf32>
  %q = qc.quantize_linear %t, %s, %z {qc.input_stats = #qc.stats<min = -1.0 : f32, max = 1.0 : f32, absmax = 1.0 : f32>} : (tensor<2x2x3xf32>, tensor<f32>, tensor<i8>) -> tensor<2x2x3xi8>
  %d = qc.dequantize_linear %q, %s, %z : (tensor<2x2x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x2x3xf32>
  %m = qc.matmul %d, %w : (tensor<2x2x3xf32>, tensor<3x4xf32>) -> tensor<2x2x4xf32>
  return %m : tensor<2x2x4xf32>
}

// -----

// P2 needs the layout op's only use to be the quantize: a reshape also
// returned in float stays where it is.
// CHECK-LABEL: func.func @p2_shared_layout_kept
// CHECK: %[[R:.*]] = qc.reshape %arg0 {{.*}} -> tensor<6xf32>
// CHECK: qc.quantize_linear %[[R]]
func.func @p2_shared_layout_kept(%x: tensor<2x3xf32>) -> (tensor<6xi8>, tensor<6xf32>) {
  %s = arith.constant dense<0.5> : tensor<f32>
  %r = qc.reshape %x {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  %q = qc.quantize_linear %r, %s : (tensor<6xf32>, tensor<f32>) -> tensor<6xi8>
  return %q, %r : tensor<6xi8>, tensor<6xf32>
}

// -----

// P2 through an i8 max-pool (quantizing is monotonic), but not a per-axis
// quantize.
// CHECK-LABEL: func.func @p2_hoist_max_pool
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, {{.*}} -> tensor<1x1x4x4xi8>
// CHECK: qc.max_pool %[[Q]] {{.*}} : (tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8>
func.func @p2_hoist_max_pool(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xi8> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<-5> : tensor<i8>
  %p = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %q = qc.quantize_linear %p, %s, %z : (tensor<1x1x2x2xf32>, tensor<f32>, tensor<i8>) -> tensor<1x1x2x2xi8>
  return %q : tensor<1x1x2x2xi8>
}

// -----

// Not through a max-pool with fp8 codes (no fp8 MaxPool in ONNX or the
// Executor) or with a negative scale (quantizing would reverse the order).
// CHECK-LABEL: func.func @p2_max_pool_kept
// CHECK: %[[P:.*]] = qc.max_pool %arg0
// CHECK: qc.quantize_linear %[[P]], {{.*}} -> tensor<1x1x2x2xf8E4M3FN>
// CHECK: %[[P2:.*]] = qc.max_pool %arg0
// CHECK: qc.quantize_linear %[[P2]], {{.*}} -> tensor<1x1x2x2xi8>
func.func @p2_max_pool_kept(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf8E4M3FN>, tensor<1x1x2x2xi8>) {
  %s = arith.constant dense<0.5> : tensor<f32>
  %n = arith.constant dense<-0.5> : tensor<f32>
  %p = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %q = qc.quantize_linear %p, %s : (tensor<1x1x2x2xf32>, tensor<f32>) -> tensor<1x1x2x2xf8E4M3FN>
  %p2 = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %q2 = qc.quantize_linear %p2, %n : (tensor<1x1x2x2xf32>, tensor<f32>) -> tensor<1x1x2x2xi8>
  return %q, %q2 : tensor<1x1x2x2xf8E4M3FN>, tensor<1x1x2x2xi8>
}

// -----

// P2 through an i8 max-pool with one positive scale per channel on axis 1
// (a depthwise conv's input, Q4): the pool keeps channels apart. Not with
// a negative channel scale, nor per axis 2 (the pooled axis).
// CHECK-LABEL: func.func @p2_max_pool_channels
// CHECK: %[[Q:.*]] = qc.quantize_linear %arg0, {{.*}} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<1x2x4x4xi8>
// CHECK: qc.max_pool %[[Q]] {{.*}} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
// CHECK: %[[P2:.*]] = qc.max_pool %arg0
// CHECK: qc.quantize_linear %[[P2]], {{.*}} -> tensor<1x2x2x2xi8>
// CHECK: %[[P3:.*]] = qc.max_pool %arg0
// CHECK: qc.quantize_linear %[[P3]], {{.*}}axis = 2{{.*}} -> tensor<1x2x2x2xi8>
func.func @p2_max_pool_channels(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>) {
  %s = arith.constant dense<[0.5, 0.03125]> : tensor<2xf32>
  %n = arith.constant dense<[0.5, -0.03125]> : tensor<2xf32>
  %z = arith.constant dense<[-5, 7]> : tensor<2xi8>
  %p = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %q = qc.quantize_linear %p, %s, %z : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<1x2x2x2xi8>
  %p2 = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %q2 = qc.quantize_linear %p2, %n, %z : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<1x2x2x2xi8>
  %p3 = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %q3 = qc.quantize_linear %p3, %s, %z {axis = 2 : i64} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<1x2x2x2xi8>
  return %q, %q2, %q3 : tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>, tensor<1x2x2x2xi8>
}

// -----

// P2 keeps a per-axis quantize where it is (its axis would move).
// CHECK-LABEL: func.func @p2_per_axis_kept
// CHECK: %[[T:.*]] = qc.transpose %arg0
// CHECK: qc.quantize_linear %[[T]]
func.func @p2_per_axis_kept(%x: tensor<2x3xf32>) -> tensor<3x2xi8> {
  %s = arith.constant dense<[0.5, 0.25, 1.0]> : tensor<3xf32>
  %t = qc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %q = qc.quantize_linear %t, %s {axis = 0 : i64} : (tensor<3x2xf32>, tensor<3xf32>) -> tensor<3x2xi8>
  return %q : tensor<3x2xi8>
}

// -----

// P3: the dequantize moves below layout ops (slice, gather, squeeze).
// CHECK-LABEL: func.func @p3_sink_layout
// CHECK: %[[S:.*]] = qc.slice %arg0 {{.*}} : (tensor<4x3xi8>) -> tensor<2x3xi8>
// CHECK: %[[G:.*]] = qc.gather %[[S]], %arg1 {{.*}} : (tensor<2x3xi8>, tensor<1xi64>) -> tensor<1x3xi8>
// CHECK: %[[Q:.*]] = qc.squeeze %[[G]] {{.*}} : (tensor<1x3xi8>) -> tensor<3xi8>
// CHECK: %[[D:.*]] = qc.dequantize_linear %[[Q]], %{{.*}}, %{{.*}} : (tensor<3xi8>, tensor<f32>, tensor<i8>) -> tensor<3xf32>
// CHECK: return %[[D]]
func.func @p3_sink_layout(%c: tensor<4x3xi8>, %i: tensor<1xi64>) -> tensor<3xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<1> : tensor<i8>
  %x = qc.dequantize_linear %c, %s, %z : (tensor<4x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x3xf32>
  %sl = qc.slice %x {starts = array<i64: 1>, ends = array<i64: 3>, axes = array<i64: 0>, steps = array<i64: 1>} : (tensor<4x3xf32>) -> tensor<2x3xf32>
  %g = qc.gather %sl, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<1x3xf32>
  %sq = qc.squeeze %g {axes = array<i64: 0>} : (tensor<1x3xf32>) -> tensor<3xf32>
  return %sq : tensor<3xf32>
}

// -----

// P3 then P1: DQ -> flatten -> unsqueeze -> Q with the same parameters is the
// layout ops on the codes.
// CHECK-LABEL: func.func @p3_then_p1
// CHECK: %[[F:.*]] = qc.flatten %arg0 {{.*}} -> tensor<2x6xui8>
// CHECK: %[[U:.*]] = qc.unsqueeze %[[F]] {{.*}} -> tensor<1x2x6xui8>
// CHECK-NOT: qc.quantize_linear
// CHECK: return %[[U]]
func.func @p3_then_p1(%c: tensor<2x3x2xui8>) -> tensor<1x2x6xui8> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<7> : tensor<ui8>
  %x = qc.dequantize_linear %c, %s, %z : (tensor<2x3x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x3x2xf32>
  %f = qc.flatten %x {axis = 1 : i64} : (tensor<2x3x2xf32>) -> tensor<2x6xf32>
  %u = qc.unsqueeze %f {axes = array<i64: 0>} : (tensor<2x6xf32>) -> tensor<1x2x6xf32>
  %q = qc.quantize_linear %u, %s, %z : (tensor<1x2x6xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x6xui8>
  return %q : tensor<1x2x6xui8>
}

// -----

// P3 through an i8 max-pool.
// CHECK-LABEL: func.func @p3_sink_max_pool
// CHECK: %[[P:.*]] = qc.max_pool %arg0 {{.*}} : (tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8>
// CHECK: qc.dequantize_linear %[[P]]
func.func @p3_sink_max_pool(%c: tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %x = qc.dequantize_linear %c, %s : (tensor<1x1x4x4xi8>, tensor<f32>) -> tensor<1x1x4x4xf32>
  %p = qc.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  return %p : tensor<1x1x2x2xf32>
}

// -----

// P4a: a concat's inputs are quantized with its one scale.
// CHECK-LABEL: func.func @p4_concat_inputs_share_scale
// CHECK-DAG: %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<-3> : tensor<i8>
// CHECK: %[[A:.*]] = qc.quantize_linear %arg0, %[[S]], %[[Z]] : (tensor<2x2xf32>, tensor<f32>, tensor<i8>) -> tensor<2x2xi8>
// CHECK: %[[B:.*]] = qc.quantize_linear %arg1, %[[S]], %[[Z]] : (tensor<2x3xf32>, tensor<f32>, tensor<i8>) -> tensor<2x3xi8>
// CHECK: qc.concat %[[A]], %[[B]] {axis = 1 : i64} : (tensor<2x2xi8>, tensor<2x3xi8>) -> tensor<2x5xi8>
func.func @p4_concat_inputs_share_scale(%a: tensor<2x2xf32>, %b: tensor<2x3xf32>) -> tensor<2x5xi8> {
  %c = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<-3> : tensor<i8>
  %q = qc.quantize_linear %c, %s, %z : (tensor<2x5xf32>, tensor<f32>, tensor<i8>) -> tensor<2x5xi8>
  return %q : tensor<2x5xi8>
}

// -----

// P4b: a concat of inputs dequantized with one scale concatenates the codes;
// with different scales it stays in float.
// CHECK-LABEL: func.func @p4_concat_codes
// CHECK: %[[C:.*]] = qc.concat %arg0, %arg1 {axis = 0 : i64} : (tensor<2xi8>, tensor<3xi8>) -> tensor<5xi8>
// CHECK: qc.dequantize_linear %[[C]]
// CHECK: qc.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<2xf32>, tensor<3xf32>) -> tensor<5xf32>
func.func @p4_concat_codes(%a: tensor<2xi8>, %b: tensor<3xi8>) -> (tensor<5xf32>, tensor<5xf32>) {
  %s = arith.constant dense<0.5> : tensor<f32>
  %s2 = arith.constant dense<0.25> : tensor<f32>
  %x = qc.dequantize_linear %a, %s : (tensor<2xi8>, tensor<f32>) -> tensor<2xf32>
  %y = qc.dequantize_linear %b, %s : (tensor<3xi8>, tensor<f32>) -> tensor<3xf32>
  %c = qc.concat %x, %y {axis = 0 : i64} : (tensor<2xf32>, tensor<3xf32>) -> tensor<5xf32>
  %y2 = qc.dequantize_linear %b, %s2 : (tensor<3xi8>, tensor<f32>) -> tensor<3xf32>
  %c2 = qc.concat %x, %y2 {axis = 0 : i64} : (tensor<2xf32>, tensor<3xf32>) -> tensor<5xf32>
  return %c, %c2 : tensor<5xf32>, tensor<5xf32>
}

// -----

// P5 (drop-relu=true): relu before a quantize whose zero point is the
// smallest code (-128 for i8, 0 or absent for ui8) is dropped; with another
// zero point it stays. Without the option every relu stays.
// CHECK-LABEL: func.func @p5_relu_before_quantize
// CHECK: %[[R:.*]] = qc.relu %arg0
// DROP: qc.quantize_linear %arg0, {{.*}} -> tensor<4xi8>
// DROP: qc.quantize_linear %arg0, {{.*}} -> tensor<4xui8>
// KEEP: qc.quantize_linear %[[R]], {{.*}} -> tensor<4xi8>
// KEEP: qc.quantize_linear %[[R]], {{.*}} -> tensor<4xui8>
// CHECK: qc.quantize_linear %[[R]], {{.*}} -> tensor<4xi8>
func.func @p5_relu_before_quantize(%x: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xui8>, tensor<4xi8>) {
  %s = arith.constant dense<0.5> : tensor<f32>
  %zmin = arith.constant dense<-128> : tensor<i8>
  %z0 = arith.constant dense<0> : tensor<i8>
  %r = qc.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  %a = qc.quantize_linear %r, %s, %zmin : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xi8>
  %b = qc.quantize_linear %r, %s : (tensor<4xf32>, tensor<f32>) -> tensor<4xui8>
  %c = qc.quantize_linear %r, %s, %z0 : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xi8>
  return %a, %b, %c : tensor<4xi8>, tensor<4xui8>, tensor<4xi8>
}

// -----

// P6: relu of values dequantized from codes whose zero point is the smallest
// code is those values.
// CHECK-LABEL: func.func @p6_relu_after_dequantize
// CHECK: %[[D:.*]] = qc.dequantize_linear %arg0
// CHECK-NOT: qc.relu
// CHECK: return %[[D]]
func.func @p6_relu_after_dequantize(%c: tensor<4xi8>) -> tensor<4xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<-128> : tensor<i8>
  %x = qc.dequantize_linear %c, %s, %z : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  %r = qc.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// The usual CNN block after qc-quantize-linear: conv -> relu -> max_pool ->
// Q -> DQ -> conv. The max-pool runs on codes; with drop-relu the quantize
// moves to the first conv's output and the relu goes away.
// CHECK-LABEL: func.func @cnn_block
// CHECK: %[[C1:.*]] = qc.conv %arg0
// DROP-NOT: qc.relu
// DROP: %[[Q:.*]] = qc.quantize_linear %[[C1]]
// KEEP: %[[R:.*]] = qc.relu %[[C1]]
// KEEP: %[[Q:.*]] = qc.quantize_linear %[[R]]
// CHECK: %[[P:.*]] = qc.max_pool %[[Q]] {{.*}} -> tensor<1x1x2x2xi8>
// CHECK: %[[D:.*]] = qc.dequantize_linear %[[P]]
// CHECK: qc.conv %[[D]]
func.func @cnn_block(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32> {
  %s = arith.constant dense<0.5> : tensor<f32>
  %z = arith.constant dense<-128> : tensor<i8>
  %c1 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %r = qc.relu %c1 : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p = qc.max_pool %r {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %q = qc.quantize_linear %p, %s, %z : (tensor<1x1x2x2xf32>, tensor<f32>, tensor<i8>) -> tensor<1x1x2x2xi8>
  %d = qc.dequantize_linear %q, %s, %z : (tensor<1x1x2x2xi8>, tensor<f32>, tensor<i8>) -> tensor<1x1x2x2xf32>
  %c2 = qc.conv %d, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  return %c2 : tensor<1x1x2x2xf32>
}
