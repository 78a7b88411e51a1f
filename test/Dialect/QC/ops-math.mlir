// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// Round trip of every Math-family op.

// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<?x8xf32>, %i: tensor<4xi64>) -> tensor<?x8xf32> {
  // CHECK: qc.neg %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %0 = qc.neg %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.abs %{{.*}} : (tensor<4xi64>) -> tensor<4xi64>
  %ai = qc.abs %i : (tensor<4xi64>) -> tensor<4xi64>
  // CHECK: qc.abs
  %1 = qc.abs %0 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.sqrt
  %2 = qc.sqrt %1 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.reciprocal
  %3 = qc.reciprocal %2 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.exp
  %4 = qc.exp %3 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.log
  %5 = qc.log %4 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.erf
  %6 = qc.erf %5 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.tanh
  %7 = qc.tanh %6 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.sigmoid
  %8 = qc.sigmoid %7 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.softplus
  %9 = qc.softplus %8 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.hard_swish
  %10 = qc.hard_swish %9 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.floor
  %11 = qc.floor %10 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.ceil
  %12 = qc.ceil %11 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.round
  %13 = qc.round %12 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.sin
  %14 = qc.sin %13 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.cos
  %15 = qc.cos %14 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32}
  %16 = qc.leaky_relu %15 {alpha = 0.1 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.elu %{{.*}} {alpha = 1.000000e+00 : f32}
  %17 = qc.elu %16 {alpha = 1.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.selu %{{.*}} {alpha = 1.500000e+00 : f32, gamma = 2.000000e+00 : f32}
  %18 = qc.selu %17 {alpha = 1.5 : f32, gamma = 2.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
  %19 = qc.hard_sigmoid %18 {alpha = 0.2 : f32, beta = 0.5 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.gelu %{{.*}} {approximate = #qc.gelu_approximation<tanh>}
  %20 = qc.gelu %19 {approximate = #qc.gelu_approximation<tanh>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.gelu %{{.*}} {approximate = #qc.gelu_approximation<none>}
  %21 = qc.gelu %20 {approximate = #qc.gelu_approximation<none>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.clip %{{.*}} {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
  %22 = qc.clip %21 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.clip %{{.*}} {max = 6.000000e+00 : f32} :
  %23 = qc.clip %22 {max = 6.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.tan %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e0 = qc.tan %23 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.asin %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e1 = qc.asin %e0 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.acos %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e2 = qc.acos %e1 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.atan %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e3 = qc.atan %e2 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.sinh %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e4 = qc.sinh %e3 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.cosh %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e5 = qc.cosh %e4 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.asinh %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e6 = qc.asinh %e5 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.acosh %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e7 = qc.acosh %e6 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.atanh %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e8 = qc.atanh %e7 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.softsign %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e9 = qc.softsign %e8 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.sign %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e10 = qc.sign %e9 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.mish %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %m0 = qc.mish %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.celu %{{.*}} {alpha = 5.000000e-01 : f32}
  %m1 = qc.celu %x {alpha = 0.5 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.thresholded_relu %{{.*}} {alpha = 1.000000e+00 : f32}
  %m2 = qc.thresholded_relu %x {alpha = 1.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.shrink %{{.*}} {bias = 0.000000e+00 : f32, lambd = 5.000000e-01 : f32}
  %m3 = qc.shrink %x {bias = 0.0 : f32, lambd = 0.5 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: qc.is_nan %{{.*}} : (tensor<?x8xf32>) -> tensor<?x8xi1>
  %m4 = qc.is_nan %x : (tensor<?x8xf32>) -> tensor<?x8xi1>
  // CHECK: qc.is_inf %{{.*}} {detect_negative = false, detect_positive = true} : (tensor<?x8xf32>) -> tensor<?x8xi1>
  %m5 = qc.is_inf %x {detect_positive = true, detect_negative = false} : (tensor<?x8xf32>) -> tensor<?x8xi1>
  // CHECK: qc.sign %{{.*}} : (tensor<4xi64>) -> tensor<4xi64>
  %si = qc.sign %i : (tensor<4xi64>) -> tensor<4xi64>
  return %e10 : tensor<?x8xf32>
}

// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %i: tensor<3xi64>, %j: tensor<1xi64>, %p: tensor<2x2xi1>, %q: tensor<2xi1>) {
  // CHECK: qc.pow %{{.*}}, %{{.*}} : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %0 = qc.pow %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: qc.max
  %1 = qc.max %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: qc.min %{{.*}}, %{{.*}} : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  %2 = qc.min %i, %j : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  // CHECK: qc.mod %{{.*}}, %{{.*}} {fmod = false} : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  %3 = qc.mod %i, %j {fmod = false} : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  // CHECK: qc.mod %{{.*}}, %{{.*}} {fmod = true}
  %4 = qc.mod %a, %b {fmod = true} : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: qc.equal %{{.*}}, %{{.*}} : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi1>
  %5 = qc.equal %i, %j : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi1>
  // CHECK: qc.less {{.*}} -> tensor<2x3x4xi1>
  %6 = qc.less %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xi1>
  // CHECK: qc.less_equal
  %7 = qc.less_equal %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xi1>
  // CHECK: qc.greater
  %8 = qc.greater %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xi1>
  // CHECK: qc.greater_equal
  %9 = qc.greater_equal %i, %j : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi1>
  // CHECK: qc.and %{{.*}}, %{{.*}} : (tensor<2x2xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  %10 = qc.and %p, %q : (tensor<2x2xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  // CHECK: qc.or
  %11 = qc.or %p, %q : (tensor<2x2xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  // CHECK: qc.xor
  %12 = qc.xor %p, %q : (tensor<2x2xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  // CHECK: qc.not %{{.*}} : (tensor<2x2xi1>) -> tensor<2x2xi1>
  %13 = qc.not %12 : (tensor<2x2xi1>) -> tensor<2x2xi1>
  // CHECK: qc.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3x4xi1>, tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %14 = qc.where %6, %a, %b : (tensor<2x3x4xi1>, tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  return
}

// CHECK-LABEL: func @norm
func.func @norm(%x: tensor<?x16x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) {
  // CHECK: qc.softmax %{{.*}} {axis = 2 : i64} : (tensor<?x16x32xf32>) -> tensor<?x16x32xf32>
  %0 = qc.softmax %x {axis = 2 : i64} : (tensor<?x16x32xf32>) -> tensor<?x16x32xf32>
  // CHECK: qc.log_softmax %{{.*}} {axis = 0 : i64}
  %1 = qc.log_softmax %x {axis = 0 : i64} : (tensor<?x16x32xf32>) -> tensor<?x16x32xf32>
  // CHECK: qc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> (tensor<?x16x32xf32>, tensor<?x16x1xf32>, tensor<?x16x1xf32>)
  %2:3 = qc.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>, tensor<32xf32>) -> (tensor<?x16x32xf32>, tensor<?x16x1xf32>, tensor<?x16x1xf32>)
  // CHECK: qc.layer_norm %{{.*}}, %{{.*}} {axis = 1 : i64, epsilon = 0.000000e+00 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>) -> (tensor<?x16x32xf32>, tensor<?x1x1xf32>, tensor<?x1x1xf32>)
  %3:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 0.0 : f32} : (tensor<?x16x32xf32>, tensor<32xf32>) -> (tensor<?x16x32xf32>, tensor<?x1x1xf32>, tensor<?x1x1xf32>)
  return
}

// CHECK-LABEL: func @reduce
func.func @reduce(%x: tensor<?x16x32xf32>, %i: tensor<3x4xi64>) {
  // CHECK: qc.reduce_mean %{{.*}} {axes = array<i64: 2>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x16x1xf32>
  %0 = qc.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x16x1xf32>
  // CHECK: qc.reduce_sum %{{.*}} {axes = array<i64: 0, 2>, keepdims = false} : (tensor<?x16x32xf32>) -> tensor<16xf32>
  %1 = qc.reduce_sum %x {axes = array<i64: 0, 2>, keepdims = false} : (tensor<?x16x32xf32>) -> tensor<16xf32>
  // CHECK: qc.reduce_max {{.*}} : (tensor<3x4xi64>) -> tensor<4xi64>
  %2 = qc.reduce_max %i {axes = array<i64: 0>, keepdims = false} : (tensor<3x4xi64>) -> tensor<4xi64>
  // CHECK: qc.reduce_min
  %3 = qc.reduce_min %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  // CHECK: qc.reduce_prod
  %4 = qc.reduce_prod %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  // CHECK: qc.reduce_l1
  %5 = qc.reduce_l1 %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  // CHECK: qc.reduce_l2
  %6 = qc.reduce_l2 %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  // CHECK: qc.reduce_sum_square
  %7 = qc.reduce_sum_square %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  // CHECK: qc.reduce_log_sum {{.*}}keepdims = true
  %8 = qc.reduce_log_sum %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  // CHECK: qc.reduce_log_sum_exp
  %9 = qc.reduce_log_sum_exp %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16x32xf32>) -> tensor<?x1x32xf32>
  return
}

// Reductions whose axes are a run-time value (M20).
// CHECK-LABEL: func @dynamic_reduce
func.func @dynamic_reduce(%x: tensor<?x16x1xf32>, %a: tensor<2xi64>, %b: tensor<?xi64>, %i: tensor<3x4xi64>, %c: tensor<1xi64>) {
  // CHECK: qc.dynamic_reduce %{{.*}}, %{{.*}} {keepdims = true, kind = #qc.reduce_kind<sum>} : (tensor<?x16x1xf32>, tensor<?xi64>) -> tensor<?x?x1xf32>
  %0 = qc.dynamic_reduce %x, %b {kind = #qc.reduce_kind<sum>, keepdims = true} : (tensor<?x16x1xf32>, tensor<?xi64>) -> tensor<?x?x1xf32>
  // CHECK: qc.dynamic_reduce %{{.*}}, %{{.*}} {keepdims = false, kind = #qc.reduce_kind<log_sum_exp>, noop_with_empty_axes = true} : (tensor<?x16x1xf32>, tensor<2xi64>) -> tensor<?xf32>
  %1 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<log_sum_exp>, keepdims = false, noop_with_empty_axes = true} : (tensor<?x16x1xf32>, tensor<2xi64>) -> tensor<?xf32>
  // CHECK: qc.dynamic_reduce %{{.*}}, %{{.*}} {keepdims = false, kind = #qc.reduce_kind<max>} : (tensor<3x4xi64>, tensor<1xi64>) -> tensor<?xi64>
  %2 = qc.dynamic_reduce %i, %c {kind = #qc.reduce_kind<max>, keepdims = false} : (tensor<3x4xi64>, tensor<1xi64>) -> tensor<?xi64>
  return
}

// Element types beyond f32/i64: every integer width, f64, mixed-type Pow.
// CHECK-LABEL: func @element_types
func.func @element_types(%u8: tensor<4xui8>, %i16: tensor<4xi16>, %u64: tensor<4xui64>, %d: tensor<4xf64>, %x: tensor<4xf32>, %n: tensor<4xi64>) {
  // CHECK: qc.max %{{.*}}, %{{.*}} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %0 = qc.max %u8, %u8 : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  // CHECK: qc.mod %{{.*}}, %{{.*}} {fmod = false} : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %1 = qc.mod %i16, %i16 {fmod = false} : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  // CHECK: qc.neg %{{.*}} : (tensor<4xui64>) -> tensor<4xui64>
  %2 = qc.neg %u64 : (tensor<4xui64>) -> tensor<4xui64>
  // CHECK: qc.mod %{{.*}}, %{{.*}} {fmod = true} : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
  %3 = qc.mod %d, %d {fmod = true} : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
  // CHECK: qc.pow %{{.*}}, %{{.*}} : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32>
  %4 = qc.pow %x, %n : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xf32>
  // CHECK: qc.pow %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<4xf32>) -> tensor<4xi64>
  %5 = qc.pow %n, %x : (tensor<4xi64>, tensor<4xf32>) -> tensor<4xi64>
  // CHECK: qc.less %{{.*}}, %{{.*}} : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xi1>
  %6 = qc.less %u64, %u64 : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xi1>
  // CHECK: qc.exp %{{.*}} : (tensor<4xf64>) -> tensor<4xf64>
  %7 = qc.exp %d : (tensor<4xf64>) -> tensor<4xf64>
  return
}

// CHECK-LABEL: func @bit_shift
func.func @bit_shift(%a: tensor<4xui8>, %b: tensor<1xui8>, %c: tensor<2x1xui64>) {
  // CHECK: qc.bit_shift %{{.*}}, %{{.*}} {direction = #qc.shift_direction<LEFT>} : (tensor<4xui8>, tensor<1xui8>) -> tensor<4xui8>
  %0 = qc.bit_shift %a, %b {direction = #qc.shift_direction<LEFT>} : (tensor<4xui8>, tensor<1xui8>) -> tensor<4xui8>
  // CHECK: qc.bit_shift %{{.*}}, %{{.*}} {direction = #qc.shift_direction<RIGHT>} : (tensor<2x1xui64>, tensor<2x1xui64>) -> tensor<2x1xui64>
  %1 = qc.bit_shift %c, %c {direction = #qc.shift_direction<RIGHT>} : (tensor<2x1xui64>, tensor<2x1xui64>) -> tensor<2x1xui64>
  return
}

// The raised ops (qc-raise-patterns) round-trip.
// CHECK-LABEL: func.func @raised
func.func @raised(%x: tensor<?x4x16xf32>, %g: tensor<16xf32>, %q: tensor<2x4x8xf32>, %kt: tensor<2x8x6xf32>, %v: tensor<2x6x3xf32>, %m: tensor<4x6xi1>) {
  // CHECK: qc.rms_norm %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<?x4x16xf32>, tensor<16xf32>) -> tensor<?x4x16xf32>
  %0 = qc.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x4x16xf32>, tensor<16xf32>) -> tensor<?x4x16xf32>
  // CHECK: qc.silu %{{.*}} : (tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
  %1 = qc.silu %x : (tensor<?x4x16xf32>) -> tensor<?x4x16xf32>
  // CHECK: qc.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {mask_value = -1.000000e+04 : f32, scale = 0.353553385 : f32} : (tensor<2x4x8xf32>, tensor<2x8x6xf32>, tensor<2x6x3xf32>, tensor<4x6xi1>) -> tensor<2x4x3xf32>
  %2 = qc.attention %q, %kt, %v, %m {scale = 0.353553385 : f32, mask_value = -1.0e4 : f32} : (tensor<2x4x8xf32>, tensor<2x8x6xf32>, tensor<2x6x3xf32>, tensor<4x6xi1>) -> tensor<2x4x3xf32>
  return
}

// Index reductions, scans, triangles (M21-M23).
// CHECK-LABEL: func.func @arg_cumsum_trilu
func.func @arg_cumsum_trilu(%x: tensor<?x4x5xf32>, %i: tensor<3x4xi32>, %ax: tensor<i64>, %k: tensor<1xi64>, %b: tensor<3x4xi1>) {
  // CHECK: qc.arg_max %{{.*}} {axis = 2 : i64, keepdims = false, select_last_index = true} : (tensor<?x4x5xf32>) -> tensor<?x4xi64>
  %0 = qc.arg_max %x {axis = 2 : i64, keepdims = false, select_last_index = true} : (tensor<?x4x5xf32>) -> tensor<?x4xi64>
  // CHECK: qc.arg_min %{{.*}} {axis = 0 : i64, keepdims = true} : (tensor<3x4xi32>) -> tensor<1x4xi64>
  %1 = qc.arg_min %i {axis = 0 : i64, keepdims = true} : (tensor<3x4xi32>) -> tensor<1x4xi64>
  // CHECK: qc.cumsum %{{.*}}, %{{.*}} {exclusive = true, reverse = true} : (tensor<?x4x5xf32>, tensor<i64>) -> tensor<?x4x5xf32>
  %2 = qc.cumsum %x, %ax {exclusive = true, reverse = true} : (tensor<?x4x5xf32>, tensor<i64>) -> tensor<?x4x5xf32>
  // CHECK: qc.cumsum %{{.*}}, %{{.*}} : (tensor<3x4xi32>, tensor<1xi64>) -> tensor<3x4xi32>
  %3 = qc.cumsum %i, %k : (tensor<3x4xi32>, tensor<1xi64>) -> tensor<3x4xi32>
  // CHECK: qc.trilu %{{.*}}, %{{.*}} {upper = false} : (tensor<?x4x5xf32>, tensor<1xi64>) -> tensor<?x4x5xf32>
  %4 = qc.trilu %x, %k {upper = false} : (tensor<?x4x5xf32>, tensor<1xi64>) -> tensor<?x4x5xf32>
  // CHECK: qc.trilu %{{.*}} {upper = true} : (tensor<3x4xi1>) -> tensor<3x4xi1>
  %5 = qc.trilu %b {upper = true} : (tensor<3x4xi1>) -> tensor<3x4xi1>
  return
}

// CHECK-LABEL: func.func @top_k
func.func @top_k(%x: tensor<?x8xf32>, %k: tensor<1xi64>, %i: tensor<4x5xi32>) {
  // CHECK: qc.top_k %{{.*}}, %{{.*}} {axis = 1 : i64, largest = true} : (tensor<?x8xf32>, tensor<1xi64>) -> (tensor<?x3xf32>, tensor<?x3xi64>)
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<?x8xf32>, tensor<1xi64>) -> (tensor<?x3xf32>, tensor<?x3xi64>)
  // CHECK: qc.top_k %{{.*}}, %{{.*}} {axis = 0 : i64, largest = false, sorted = false} : (tensor<4x5xi32>, tensor<1xi64>) -> (tensor<?x5xi32>, tensor<?x5xi64>)
  %1:2 = qc.top_k %i, %k {axis = 0 : i64, largest = false, sorted = false} : (tensor<4x5xi32>, tensor<1xi64>) -> (tensor<?x5xi32>, tensor<?x5xi64>)
  return
}
