// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// Round trip of every op of the NN family.

// CHECK-LABEL: func @float_cnn
func.func @float_cnn(%x: tensor<?x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %dw: tensor<8x1x3x3xf32>, %c: tensor<8xf32>, %tw: tensor<8x4x2x2xf32>) -> tensor<?x8x1x1xf32> {
  // CHECK: qc.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x32x32xf32>
  %0 = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x32x32xf32>
  // CHECK: qc.conv %{{.*}}, %{{.*}} {{{.*}}group = 8 : i64{{.*}}} : (tensor<?x8x32x32xf32>, tensor<8x1x3x3xf32>) -> tensor<?x8x16x16xf32>
  %1 = qc.conv %0, %dw {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<?x8x32x32xf32>, tensor<8x1x3x3xf32>) -> tensor<?x8x16x16xf32>
  // CHECK: qc.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32}
  %2 = qc.batch_norm %1, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<?x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
  // CHECK: qc.max_pool %{{.*}} {ceil_mode = true, {{.*}}kernel_shape = array<i64: 3, 3>{{.*}}} : (tensor<?x8x16x16xf32>) -> tensor<?x8x8x8xf32>
  %3 = qc.max_pool %2 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<?x8x16x16xf32>) -> tensor<?x8x8x8xf32>
  // CHECK: qc.avg_pool %{{.*}} {ceil_mode = false, count_include_pad = true
  %4 = qc.avg_pool %3 {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true} : (tensor<?x8x8x8xf32>) -> tensor<?x8x8x8xf32>
  // CHECK: qc.resize %{{.*}} {coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, mode = #qc.resize_mode<linear>, nearest_mode = #qc.nearest_mode<round_prefer_floor>, scales = array<f32: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>}
  %5 = qc.resize %4 {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<linear>, coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, nearest_mode = #qc.nearest_mode<round_prefer_floor>} : (tensor<?x8x8x8xf32>) -> tensor<?x8x16x16xf32>
  // CHECK: qc.resize %{{.*}} {coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel_symmetric>, cubic_coeff_a = -5.000000e-01 : f32, exclude_outside = true, mode = #qc.resize_mode<cubic>
  %r = qc.resize %4 {scales = array<f32: 1.0, 1.0, 0.5, 0.5>, mode = #qc.resize_mode<cubic>, coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel_symmetric>, nearest_mode = #qc.nearest_mode<floor>, cubic_coeff_a = -0.5 : f32, exclude_outside = true} : (tensor<?x8x8x8xf32>) -> tensor<?x8x4x4xf32>
  // CHECK: qc.conv_transpose %{{.*}}, %{{.*}} {{{.*}}output_padding = array<i64: 0, 0>{{.*}}} : (tensor<?x8x16x16xf32>, tensor<8x4x2x2xf32>) -> tensor<?x4x32x32xf32>
  %6 = qc.conv_transpose %5, %tw {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<?x8x16x16xf32>, tensor<8x4x2x2xf32>) -> tensor<?x4x32x32xf32>
  // CHECK: qc.global_max_pool %{{.*}} : (tensor<?x4x32x32xf32>) -> tensor<?x4x1x1xf32>
  %7 = qc.global_max_pool %6 : (tensor<?x4x32x32xf32>) -> tensor<?x4x1x1xf32>
  // CHECK: qc.global_avg_pool %{{.*}} : (tensor<?x8x16x16xf32>) -> tensor<?x8x1x1xf32>
  %8 = qc.global_avg_pool %5 : (tensor<?x8x16x16xf32>) -> tensor<?x8x1x1xf32>
  return %8 : tensor<?x8x1x1xf32>
}

// Run-time scales/sizes (N13) and the tf_crop_and_resize box.
// CHECK-LABEL: func @resize_runtime
func.func @resize_runtime(%x: tensor<?x3x4x4xf32>, %sc: tensor<4xf32>, %sz: tensor<2xi64>, %roi: tensor<4xf32>) -> (tensor<?x?x?x?xf32>, tensor<?x3x?x?xf32>) {
  // CHECK: qc.resize %{{.*}} scales %{{.*}} {coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, mode = #qc.resize_mode<linear>, nearest_mode = #qc.nearest_mode<round_prefer_floor>, scales = array<f32>} : (tensor<?x3x4x4xf32>, tensor<4xf32>) -> tensor<?x?x?x?xf32>
  %0 = qc.resize %x scales %sc {scales = array<f32>, mode = #qc.resize_mode<linear>, coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, nearest_mode = #qc.nearest_mode<round_prefer_floor>} : (tensor<?x3x4x4xf32>, tensor<4xf32>) -> tensor<?x?x?x?xf32>
  // CHECK: qc.resize %{{.*}} roi %{{.*}} sizes %{{.*}} {axes = array<i64: 2, 3>, coordinate_transformation_mode = #qc.coordinate_transformation<tf_crop_and_resize>, extrapolation_value = 1.000000e+01 : f32, mode = #qc.resize_mode<linear>, nearest_mode = #qc.nearest_mode<round_prefer_floor>, scales = array<f32>} : (tensor<?x3x4x4xf32>, tensor<4xf32>, tensor<2xi64>) -> tensor<?x3x?x?xf32>
  %1 = qc.resize %x roi %roi sizes %sz {scales = array<f32>, axes = array<i64: 2, 3>, extrapolation_value = 10.0 : f32, mode = #qc.resize_mode<linear>, coordinate_transformation_mode = #qc.coordinate_transformation<tf_crop_and_resize>, nearest_mode = #qc.nearest_mode<round_prefer_floor>} : (tensor<?x3x4x4xf32>, tensor<4xf32>, tensor<2xi64>) -> tensor<?x3x?x?xf32>
  // CHECK: qc.resize %{{.*}} sizes %{{.*}} {axes = array<i64: 2, 3>, {{.*}}keep_aspect_ratio_policy = #qc.aspect_ratio_policy<not_smaller>
  %2 = qc.resize %x sizes %sz {scales = array<f32>, axes = array<i64: 2, 3>, keep_aspect_ratio_policy = #qc.aspect_ratio_policy<not_smaller>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<?x3x4x4xf32>, tensor<2xi64>) -> tensor<?x3x?x?xf32>
  return %0, %1 : tensor<?x?x?x?xf32>, tensor<?x3x?x?xf32>
}

// CHECK-LABEL: func @max_pool_indices
func.func @max_pool_indices(%x: tensor<?x3x5x5xf32>) -> (tensor<?x3x2x2xf32>, tensor<?x3x2x2xi64>) {
  // CHECK: qc.max_pool_with_indices %{{.*}} {ceil_mode = false, {{.*}}storage_order = 1 : i64{{.*}}} : (tensor<?x3x5x5xf32>) -> (tensor<?x3x2x2xf32>, tensor<?x3x2x2xi64>)
  %0, %1 = qc.max_pool_with_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = 1 : i64} : (tensor<?x3x5x5xf32>) -> (tensor<?x3x2x2xf32>, tensor<?x3x2x2xi64>)
  return %0, %1 : tensor<?x3x2x2xf32>, tensor<?x3x2x2xi64>
}

// CHECK-LABEL: func @integer_ops
func.func @integer_ops(%a: tensor<2x4xui8>, %b: tensor<4x3xi8>, %az: tensor<ui8>, %bz: tensor<3xi8>, %x: tensor<1x2x5x5xui8>, %w: tensor<4x2x3x3xi8>, %wz: tensor<4xi8>, %s: tensor<f32>, %s4: tensor<4xf32>, %bias: tensor<4xi32>) -> (tensor<2x3xui8>, tensor<1x4x3x3xi8>) {
  // CHECK: qc.matmul_integer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x4xui8>, tensor<4x3xi8>, tensor<ui8>, tensor<3xi8>) -> tensor<2x3xi32>
  %0 = qc.matmul_integer %a, %b, %az, %bz : (tensor<2x4xui8>, tensor<4x3xi8>, tensor<ui8>, tensor<3xi8>) -> tensor<2x3xi32>
  // CHECK: qc.requantize_linear %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
  %1 = qc.requantize_linear %0, %s, %az {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
  // CHECK: qc.conv_integer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}} : (tensor<1x2x5x5xui8>, tensor<4x2x3x3xi8>, tensor<ui8>, tensor<4xi8>) -> tensor<1x4x3x3xi32>
  %2 = qc.conv_integer %x, %w, %az, %wz {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x5x5xui8>, tensor<4x2x3x3xi8>, tensor<ui8>, tensor<4xi8>) -> tensor<1x4x3x3xi32>
  %z = arith.constant dense<0> : tensor<i8>
  // CHECK: qc.requantize_linear %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x4x3x3xi32>, tensor<4xf32>, tensor<i8>, tensor<4xi32>) -> tensor<1x4x3x3xi8>
  %3 = qc.requantize_linear %2, %s4, %z, %bias {axis = 1 : i64} : (tensor<1x4x3x3xi32>, tensor<4xf32>, tensor<i8>, tensor<4xi32>) -> tensor<1x4x3x3xi8>
  return %1, %3 : tensor<2x3xui8>, tensor<1x4x3x3xi8>
}

// qc.lstm (N16): the gates' weights, optional bias, lengths, initial
// states and peepholes; three results.
// CHECK-LABEL: func @lstm
func.func @lstm(%x: tensor<5x?x3xf32>, %w: tensor<2x16x3xf32>, %r: tensor<2x16x4xf32>, %b: tensor<2x32xf32>, %l: tensor<?xi32>, %h: tensor<2x?x4xf32>, %p: tensor<2x12xf32>) -> (tensor<5x2x?x4xf32>, tensor<2x?x4xf32>) {
  // CHECK: qc.lstm %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) sequence_lens(%{{.*}}) initial_h(%{{.*}}) initial_c(%{{.*}}) peepholes(%{{.*}}) {activation_alpha = array<f32: 0.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e-01, 0.000000e+00, 0.000000e+00>
  // CHECK-SAME: direction = #qc.rnn_direction<bidirectional>
  // CHECK-SAME: -> (tensor<5x2x?x4xf32>, tensor<2x?x4xf32>, tensor<2x?x4xf32>)
  %y, %yh, %yc = qc.lstm %x, %w, %r bias(%b) sequence_lens(%l) initial_h(%h) initial_c(%h) peepholes(%p) {activation_alpha = array<f32: 0.0, 0.0, 0.0, 0.2, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0, 0.5, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<HardSigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], clip = 3.0 : f32, direction = #qc.rnn_direction<bidirectional>, hidden_size = 4 : i64} : (tensor<5x?x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32>, tensor<2x32xf32>, tensor<?xi32>, tensor<2x?x4xf32>, tensor<2x?x4xf32>, tensor<2x12xf32>) -> (tensor<5x2x?x4xf32>, tensor<2x?x4xf32>, tensor<2x?x4xf32>)
  // CHECK: qc.lstm %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}input_forget = true
  %y2, %yh2, %yc2 = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0, 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0, 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<bidirectional>, hidden_size = 4 : i64, input_forget = true} : (tensor<5x?x3xf32>, tensor<2x16x3xf32>, tensor<2x16x4xf32>) -> (tensor<5x2x?x4xf32>, tensor<2x?x4xf32>, tensor<2x?x4xf32>)
  return %y, %yh2 : tensor<5x2x?x4xf32>, tensor<2x?x4xf32>
}

// qc.gru and qc.rnn (N16): two results each.
// CHECK-LABEL: func @gru_rnn
func.func @gru_rnn(%x: tensor<5x?x3xf32>, %wg: tensor<1x12x3xf32>, %rg: tensor<1x12x4xf32>, %bg: tensor<1x24xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %h: tensor<1x?x4xf32>) -> (tensor<1x?x4xf32>, tensor<5x1x?x4xf32>) {
  // CHECK: qc.gru %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) initial_h(%{{.*}}) {{{.*}}linear_before_reset = true
  // CHECK-SAME: -> (tensor<5x1x?x4xf32>, tensor<1x?x4xf32>)
  %y, %yh = qc.gru %x, %wg, %rg bias(%bg) initial_h(%h) {activation_alpha = array<f32: 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64, linear_before_reset = true} : (tensor<5x?x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32>, tensor<1x24xf32>, tensor<1x?x4xf32>) -> (tensor<5x1x?x4xf32>, tensor<1x?x4xf32>)
  // CHECK: qc.rnn %{{.*}}, %{{.*}}, %{{.*}} {{{.*}}direction = #qc.rnn_direction<reverse>
  %y2, %yh2 = qc.rnn %x, %w, %r {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#qc.rnn_activation<Relu>], direction = #qc.rnn_direction<reverse>, hidden_size = 4 : i64} : (tensor<5x?x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>) -> (tensor<5x1x?x4xf32>, tensor<1x?x4xf32>)
  return %yh, %y2 : tensor<1x?x4xf32>, tensor<5x1x?x4xf32>
}

// CHECK-LABEL: func.func @nms
func.func @nms(%b: tensor<?x6x4xf32>, %s: tensor<?x2x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>, %t: tensor<f32>) -> tensor<?x3xi64> {
  // CHECK: qc.non_max_suppression %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {center_point_box = true} : (tensor<?x6x4xf32>, tensor<?x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<f32>) -> tensor<?x3xi64>
  %0 = qc.non_max_suppression %b, %s, %m, %i, %t {center_point_box = true} : (tensor<?x6x4xf32>, tensor<?x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<f32>) -> tensor<?x3xi64>
  return %0 : tensor<?x3xi64>
}
