// RUN: quant-opt %s -split-input-file -verify-diagnostics
// One case per verifier error of the NN op family.

func.func @conv_rank(%x: tensor<3x4xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+2 {{input must be [N, C, D...] with rank >= 3}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64>, pads = array<i64>, dilations = array<i64>, group = 1 : i64} : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @conv_wrank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+2 {{weight rank 3 differs from input rank 4}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{group must be >= 1, got 0}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 0 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{input channels 3 != weight channels 2 x group 1}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_mgroup(%x: tensor<1x4x8x8xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+2 {{output channels 3 are not divisible by group 2}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32>
  return
}

// -----

func.func @conv_dynk(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x?x3xf32>) {
  // expected-error @+2 {{kernel spatial dims must be static}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x?x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{bias must be [4], got 5}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_attrs(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{expects 2 strides, 2 dilations and 4 pads for 2 spatial dims, got 1, 2 and 4}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{strides must be >= 1}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_dil(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{dilations must be >= 1}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 0, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_pads(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{pads must be >= 0}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: -1, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<1x3x2x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{window of spatial dim 0 is larger than the padded input}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x2x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x6xf32>
  return
}

// -----

func.func @conv_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'qc.conv' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x7x6xf32>'}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x7x6xf32>
  return
}

// -----

func.func @convt_rank(%x: tensor<3x4xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+2 {{input must be [N, C, D...] with rank >= 3}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64>, pads = array<i64>, dilations = array<i64>, output_padding = array<i64>, group = 1 : i64} : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @convt_wrank(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2xf32>) {
  // expected-error @+2 {{weight rank 3 differs from input rank 4}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_group(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) {
  // expected-error @+2 {{group must be >= 1, got 0}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 0 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_channels(%x: tensor<1x3x4x4xf32>, %w: tensor<4x2x2x2xf32>) {
  // expected-error @+2 {{input channels 3 != weight dim 0 (4)}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<4x2x2x2xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_cgroup(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) {
  // expected-error @+2 {{input channels 3 are not divisible by group 2}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 2 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x4x5x5xf32>
  return
}

// -----

func.func @convt_dynw(%x: tensor<1x3x4x4xf32>, %w: tensor<3x?x2x2xf32>) {
  // expected-error @+2 {{weight dims after the first must be static}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x?x2x2xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_attrs(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) {
  // expected-error @+2 {{expects 2 strides, 2 dilations and 4 pads}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_outpad(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) {
  // expected-error @+2 {{expects 2 output_padding values, got 1}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_bias(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{bias must be [2], got 3}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>) -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @convt_empty(%x: tensor<1x3x1x4xf32>, %w: tensor<3x2x1x2xf32>) {
  // expected-error @+2 {{output spatial dim 0 would be 0}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x1x4xf32>, tensor<3x2x1x2xf32>) -> tensor<1x2x1x5xf32>
  return
}

// -----

func.func @convt_result(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) {
  // expected-error @+2 {{'qc.conv_transpose' op inferred type(s) 'tensor<1x2x5x5xf32>' are incompatible with return type(s) of operation 'tensor<1x2x4x5xf32>'}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x4x5xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{input must be [N, C, D...] with rank >= 3}}
  // expected-error @+1 {{'qc.max_pool' op failed to infer returned types}}
  %0 = qc.max_pool %x {kernel_shape = array<i64>, strides = array<i64>, pads = array<i64>, dilations = array<i64>, ceil_mode = false} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @pool_kcount(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{expects 2 kernel_shape values, got 1}}
  // expected-error @+1 {{'qc.avg_pool' op failed to infer returned types}}
  %0 = qc.avg_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x3x4x4xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @pool_kvalue(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{kernel_shape values must be >= 1}}
  // expected-error @+1 {{'qc.max_pool' op failed to infer returned types}}
  %0 = qc.max_pool %x {kernel_shape = array<i64: 0, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @pool_elem(%x: tensor<1x3x4x4xi8>) {
  // expected-error @+2 {{'qc.max_pool' op inferred type(s) 'tensor<1x3x3x3xi8>' are incompatible with return type(s) of operation 'tensor<1x3x3x3xf32>'}}
  // expected-error @+1 {{'qc.max_pool' op failed to infer returned types}}
  %0 = qc.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xi8>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @pool_result(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{'qc.max_pool' op inferred type(s) 'tensor<1x3x3x3xf32>' are incompatible with return type(s) of operation 'tensor<1x3x2x2xf32>'}}
  // expected-error @+1 {{'qc.max_pool' op failed to infer returned types}}
  %0 = qc.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x2xf32>
  return
}

// -----

func.func @gpool_rank(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{input must be [N, C, D...] with rank >= 3}}
  // expected-error @+1 {{'qc.global_avg_pool' op failed to infer returned types}}
  %0 = qc.global_avg_pool %x : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @gpool_result(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{'qc.global_max_pool' op inferred type(s) 'tensor<1x3x1x1xf32>' are incompatible with return type(s) of operation 'tensor<1x3x2x1xf32>'}}
  // expected-error @+1 {{'qc.global_max_pool' op failed to infer returned types}}
  %0 = qc.global_max_pool %x : (tensor<1x3x4x4xf32>) -> tensor<1x3x2x1xf32>
  return
}

// -----

func.func @bn_rank(%x: tensor<4xf32>, %c: tensor<4xf32>) {
  // expected-error @+2 {{input must be [N, C, ...] with rank >= 2}}
  // expected-error @+1 {{'qc.batch_norm' op failed to infer returned types}}
  %0 = qc.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @bn_param(%x: tensor<1x3x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+2 {{scale, bias, mean and var must be [3], got 4}}
  // expected-error @+1 {{'qc.batch_norm' op failed to infer returned types}}
  %0 = qc.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  return
}

// -----

func.func @bn_result(%x: tensor<1x3x4xf32>, %c: tensor<3xf32>) {
  // expected-error @+2 {{'qc.batch_norm' op inferred type(s) 'tensor<1x3x4xf32>' are incompatible with return type(s) of operation 'tensor<1x3x5xf32>'}}
  // expected-error @+1 {{'qc.batch_norm' op failed to infer returned types}}
  %0 = qc.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x5xf32>
  return
}

// -----

func.func @resize_rank(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{result rank differs from input rank}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>) -> tensor<3x8x8xf32>
  return
}

// -----

func.func @resize_scales(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{expects 4 scales, got 2}}
  %0 = qc.resize %x {scales = array<f32: 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_scale0(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{scales must be > 0}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 0.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_mode(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{expected ::quantc::qc::ResizeMode to be one of:}}
  // expected-error @+1 {{failed to parse QC_ResizeModeAttr parameter 'value'}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<area>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_ct(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{expected ::quantc::qc::CoordinateTransformation to be one of:}}
  // expected-error @+1 {{failed to parse QC_CoordinateTransformationAttr parameter 'value'}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<tf_crop>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_crop_no_roi(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+1 {{a roi operand is needed with, and only with, tf_crop_and_resize}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<tf_crop_and_resize>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_roi_not_crop(%x: tensor<1x3x4x4xf32>, %roi: tensor<8xf32>) {
  // expected-error @+1 {{a roi operand is needed with, and only with, tf_crop_and_resize}}
  %0 = qc.resize %x roi %roi {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<8xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @resize_roi_len(%x: tensor<1x3x4x4xf32>, %roi: tensor<4xf32>, %s: tensor<4xi64>) {
  // expected-error @+1 {{roi must have 8 values (starts then ends), got 4}}
  %0 = qc.resize %x roi %roi sizes %s {scales = array<f32>, mode = #qc.resize_mode<linear>, coordinate_transformation_mode = #qc.coordinate_transformation<tf_crop_and_resize>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<4xf32>, tensor<4xi64>) -> tensor<1x3x?x?xf32>
  return
}

// -----

func.func @resize_both(%x: tensor<1x3x4x4xf32>, %sc: tensor<4xf32>, %s: tensor<4xi64>) {
  // expected-error @+1 {{takes a scales operand or a sizes operand, not both}}
  %0 = qc.resize %x scales %sc sizes %s {scales = array<f32>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<4xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return
}

// -----

func.func @resize_attr_and_operand(%x: tensor<1x3x4x4xf32>, %sc: tensor<4xf32>) {
  // expected-error @+1 {{the scales attribute must be empty when a scales or sizes operand is given}}
  %0 = qc.resize %x scales %sc {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<4xf32>) -> tensor<?x?x?x?xf32>
  return
}

// -----

func.func @resize_operand_len(%x: tensor<1x3x4x4xf32>, %sc: tensor<3xf32>) {
  // expected-error @+1 {{the scales/sizes operand must have 2 values (one per axis), got 3}}
  %0 = qc.resize %x scales %sc {scales = array<f32>, axes = array<i64: 2, 3>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<3xf32>) -> tensor<1x3x?x?xf32>
  return
}

// -----

func.func @resize_axes(%x: tensor<1x3x4x4xf32>, %sc: tensor<2xf32>) {
  // expected-error @+1 {{axes must be sorted, distinct and in [0, 4), got 3x2}}
  %0 = qc.resize %x scales %sc {scales = array<f32>, axes = array<i64: 3, 2>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<2xf32>) -> tensor<1x3x?x?xf32>
  return
}

// -----

func.func @resize_kept_dim(%x: tensor<1x3x4x4xf32>, %s: tensor<2xi64>) {
  // expected-error @+1 {{dim 1 is not resized but the result has 1x5x?x? for input 1x3x4x4}}
  %0 = qc.resize %x sizes %s {scales = array<f32>, axes = array<i64: 2, 3>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<2xi64>) -> tensor<1x5x?x?xf32>
  return
}

// -----

func.func @resize_nm(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{expected ::quantc::qc::NearestMode to be one of:}}
  // expected-error @+1 {{failed to parse QC_NearestModeAttr parameter 'value'}}
  %0 = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<round>} : (tensor<1x3x4x4xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @mmi_types(%a: tensor<2x4xi32>, %b: tensor<4x3xi8>, %z: tensor<i32>, %bz: tensor<i8>) {
  // expected-error @+1 {{operands must be i8 or ui8}}
  %0 = qc.matmul_integer %a, %b, %z, %bz : (tensor<2x4xi32>, tensor<4x3xi8>, tensor<i32>, tensor<i8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @mmi_ztypes(%a: tensor<2x4xui8>, %b: tensor<4x3xi8>, %z: tensor<i8>) {
  // expected-error @+1 {{zero points must have their operand's element type}}
  %0 = qc.matmul_integer %a, %b, %z, %z : (tensor<2x4xui8>, tensor<4x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @mmi_result(%a: tensor<2x4xi8>, %b: tensor<4x3xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{'qc.matmul_integer' op inferred type(s) 'tensor<2x3xi32>' are incompatible with return type(s) of operation 'tensor<2x3xi8>'}}
  // expected-error @+1 {{'qc.matmul_integer' op failed to infer returned types}}
  %0 = qc.matmul_integer %a, %b, %z, %z : (tensor<2x4xi8>, tensor<4x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x3xi8>
  return
}

// -----

func.func @mmi_rank(%a: tensor<4xi8>, %b: tensor<4x3xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{operands must have rank >= 2, got 1 and 2}}
  // expected-error @+1 {{'qc.matmul_integer' op failed to infer returned types}}
  %0 = qc.matmul_integer %a, %b, %z, %z : (tensor<4xi8>, tensor<4x3xi8>, tensor<i8>, tensor<i8>) -> tensor<3xi32>
  return
}

// -----

func.func @mmi_k(%a: tensor<2x4xi8>, %b: tensor<5x3xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{inner dimensions differ: 2x4 and 5x3 (4 vs 5)}}
  // expected-error @+1 {{'qc.matmul_integer' op failed to infer returned types}}
  %0 = qc.matmul_integer %a, %b, %z, %z : (tensor<2x4xi8>, tensor<5x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @mmi_batch(%a: tensor<2x2x4xi8>, %b: tensor<3x4x3xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{batch dimensions do not broadcast}}
  // expected-error @+1 {{'qc.matmul_integer' op failed to infer returned types}}
  %0 = qc.matmul_integer %a, %b, %z, %z : (tensor<2x2x4xi8>, tensor<3x4x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x2x3xi32>
  return
}

// -----

func.func @mmi_shape(%a: tensor<2x4xi8>, %b: tensor<4x3xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{'qc.matmul_integer' op inferred type(s) 'tensor<2x3xi32>' are incompatible with return type(s) of operation 'tensor<2x4xi32>'}}
  // expected-error @+1 {{'qc.matmul_integer' op failed to infer returned types}}
  %0 = qc.matmul_integer %a, %b, %z, %z : (tensor<2x4xi8>, tensor<4x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x4xi32>
  return
}

// -----

func.func @mmi_lz(%a: tensor<2x4xi8>, %b: tensor<4x3xi8>, %z: tensor<i8>, %lz: tensor<3xi8>) {
  // expected-error @+1 {{lhs zero point must be a scalar or one per row}}
  %0 = qc.matmul_integer %a, %b, %lz, %z : (tensor<2x4xi8>, tensor<4x3xi8>, tensor<3xi8>, tensor<i8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @mmi_rz(%a: tensor<2x4xi8>, %b: tensor<4x3xi8>, %z: tensor<i8>, %rz: tensor<2xi8>) {
  // expected-error @+1 {{rhs zero point must be a scalar or one per column}}
  %0 = qc.matmul_integer %a, %b, %z, %rz : (tensor<2x4xi8>, tensor<4x3xi8>, tensor<i8>, tensor<2xi8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @ci_types(%x: tensor<1x2x4x4xi32>, %w: tensor<3x2x2x2xi8>, %z: tensor<i32>, %wz: tensor<i8>) {
  // expected-error @+1 {{operands must be i8 or ui8}}
  %0 = qc.conv_integer %x, %w, %z, %wz {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi32>, tensor<3x2x2x2xi8>, tensor<i32>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_ztypes(%x: tensor<1x2x4x4xui8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+1 {{zero points must have their operand's element type}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xui8>, tensor<3x2x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_result(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{'qc.conv_integer' op inferred type(s) 'tensor<1x3x3x3xi32>' are incompatible with return type(s) of operation 'tensor<1x3x3x3xi8>'}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x3x3xi8>
  return
}

// -----

func.func @ci_rank(%x: tensor<2x4xi8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{input must be [N, C, D...] with rank >= 3, got rank 2}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64>, pads = array<i64>, dilations = array<i64>, group = 1 : i64} : (tensor<2x4xi8>, tensor<3x2x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @ci_group(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{group must be >= 1, got 0}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 0 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_channels(%x: tensor<1x2x4x4xi8>, %w: tensor<3x1x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{input channels 2 != weight channels 1 x group 1}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x1x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_mgroup(%x: tensor<1x2x4x4xi8>, %w: tensor<3x1x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{output channels 3 are not divisible by group 2}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x4x4xi8>, tensor<3x1x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_dynk(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x?x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{kernel spatial dims must be static}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x?x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_xz(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>, %xz: tensor<2xi8>) {
  // expected-error @+1 {{input zero point must be a scalar}}
  %0 = qc.conv_integer %x, %w, %xz, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x2x2xi8>, tensor<2xi8>, tensor<i8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_wz(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>, %wz: tensor<2xi8>) {
  // expected-error @+1 {{weight zero point must be a scalar or one per output channel}}
  %0 = qc.conv_integer %x, %w, %z, %wz {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x2x2xi8>, tensor<i8>, tensor<2xi8>) -> tensor<1x3x3x3xi32>
  return
}

// -----

func.func @ci_result_shape(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x2x2xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{'qc.conv_integer' op inferred type(s) 'tensor<1x3x3x3xi32>' are incompatible with return type(s) of operation 'tensor<1x3x4x4xi32>'}}
  // expected-error @+1 {{'qc.conv_integer' op failed to infer returned types}}
  %0 = qc.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x2x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x3x4x4xi32>
  return
}

// -----

func.func @rq_input(%a: tensor<2x3xi8>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{input must be i32}}
  %0 = qc.requantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x3xi8>
  return
}

// -----

func.func @rq_result(%a: tensor<2x3xi32>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{result must be i8 or ui8}}
  %0 = qc.requantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<i32>) -> tensor<2x3xi32>
  return
}

// -----

func.func @rq_zero(%a: tensor<2x3xi32>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{zero point must be a scalar of the result type}}
  %0 = qc.requantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<i8>) -> tensor<2x3xui8>
  return
}

// -----

func.func @rq_shape(%a: tensor<2x3xi32>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{result shape must equal the input shape}}
  %0 = qc.requantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<i8>) -> tensor<2x4xi8>
  return
}

// -----

func.func @rq_scale(%a: tensor<2x3xi32>, %s: tensor<2xf32>, %z: tensor<i8>) {
  // expected-error @+1 {{scale must be a scalar or one per element of dim 'axis'}}
  %0 = qc.requantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2xf32>, tensor<i8>) -> tensor<2x3xi8>
  return
}

// -----

func.func @rq_bias(%a: tensor<2x3xi32>, %s: tensor<f32>, %z: tensor<i8>, %b: tensor<2xi32>) {
  // expected-error @+1 {{bias must be i32 with one value per element of dim 'axis'}}
  %0 = qc.requantize_linear %a, %s, %z, %b {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<i8>, tensor<2xi32>) -> tensor<2x3xi8>
  return
}

// -----

func.func @maxpool_idx_order(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{storage_order must be 0 (row-major) or 1 (column-major), got 2}}
  // expected-error @+1 {{'qc.max_pool_with_indices' op failed to infer returned types}}
  %0, %1 = qc.max_pool_with_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = 2 : i64} : (tensor<1x3x4x4xf32>) -> (tensor<1x3x3x3xf32>, tensor<1x3x3x3xi64>)
  return
}

// -----

func.func @maxpool_idx_shape(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{'qc.max_pool_with_indices' op inferred type(s) 'tensor<1x3x3x3xf32>', 'tensor<1x3x3x3xi64>' are incompatible with return type(s) of operation 'tensor<1x3x3x3xf32>', 'tensor<1x3x2x2xi64>'}}
  // expected-error @+1 {{'qc.max_pool_with_indices' op failed to infer returned types}}
  %0, %1 = qc.max_pool_with_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> (tensor<1x3x3x3xf32>, tensor<1x3x2x2xi64>)
  return
}

// -----

func.func @maxpool_idx_elem(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{'qc.max_pool_with_indices' op inferred type(s) 'tensor<1x3x3x3xf32>', 'tensor<1x3x3x3xi64>' are incompatible with return type(s) of operation 'tensor<1x3x3x3xf16>', 'tensor<1x3x3x3xi64>'}}
  // expected-error @+1 {{'qc.max_pool_with_indices' op failed to infer returned types}}
  %0, %1 = qc.max_pool_with_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> (tensor<1x3x3x3xf16>, tensor<1x3x3x3xi64>)
  return
}

// -----

func.func @maxpool_idx_window(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{expects 2 kernel_shape values, got 1}}
  // expected-error @+1 {{'qc.max_pool_with_indices' op failed to infer returned types}}
  %0, %1 = qc.max_pool_with_indices %x {kernel_shape = array<i64: 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x4x4xf32>) -> (tensor<1x3x3x3xf32>, tensor<1x3x3x3xi64>)
  return
}

// -----

func.func @resize_policy(%x: tensor<1x3x4x4xf32>, %s: tensor<2xi64>) {
  // expected-error @+2 {{expected ::quantc::qc::AspectRatioPolicy to be one of:}}
  // expected-error @+1 {{failed to parse QC_AspectRatioPolicyAttr parameter 'value'}}
  %0 = qc.resize %x sizes %s {scales = array<f32>, axes = array<i64: 2, 3>, keep_aspect_ratio_policy = #qc.aspect_ratio_policy<fit>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<2xi64>) -> tensor<1x3x?x?xf32>
  return
}

// -----

func.func @resize_policy_scales(%x: tensor<1x3x4x4xf32>, %sc: tensor<2xf32>) {
  // expected-error @+1 {{keep_aspect_ratio_policy 'not_larger' needs a sizes operand}}
  %0 = qc.resize %x scales %sc {scales = array<f32>, axes = array<i64: 2, 3>, keep_aspect_ratio_policy = #qc.aspect_ratio_policy<not_larger>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<1x3x4x4xf32>, tensor<2xf32>) -> tensor<1x3x?x?xf32>
  return
}

// -----

func.func @conv_transpose_output_padding(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) {
  // expected-error @+2 {{output_padding must be >= 0}}
  // expected-error @+1 {{'qc.conv_transpose' op failed to infer returned types}}
  %0 = qc.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, -1>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x5x4xf32>
  return
}

// -----

func.func @lstm_hidden(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+2 {{hidden_size must be >= 1, got 0}}
  // expected-error @+1 {{'qc.lstm' op failed to infer returned types}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 0 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_rank(%x: tensor<2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+2 {{x must be [seq, batch, input], got 2x3}}
  // expected-error @+1 {{'qc.lstm' op failed to infer returned types}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_w(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+2 {{w has shape 1x12x3, expected 1x16x3}}
  // expected-error @+1 {{'qc.lstm' op failed to infer returned types}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x12x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_acts(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{expects 3 activations (3 per direction), got 1}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#qc.rnn_activation<Sigmoid>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_alpha(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{expects one activation_alpha and one activation_beta per activation (3), got 1 and 3}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_clip(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{clip must be > 0, got 0}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, clip = 0.0 : f32, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_types(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf16>, %r: tensor<1x16x4xf32>) {
  // expected-error @+1 {{w and r must have x's element type}}
  %y, %h, %c = qc.lstm %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf16>, tensor<1x16x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @gru_acts(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>) {
  // expected-error @+1 {{expects 2 activations (2 per direction), got 3}}
  %y, %h = qc.gru %x, %w, %r {activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>, activations = [#qc.rnn_activation<Sigmoid>, #qc.rnn_activation<Tanh>, #qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @rnn_b(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+2 {{b has shape 1x4, expected 1x8}}
  // expected-error @+1 {{'qc.rnn' op failed to infer returned types}}
  %y, %h = qc.rnn %x, %w, %r bias(%b) {activation_alpha = array<f32: 0.0>, activation_beta = array<f32: 0.0>, activations = [#qc.rnn_activation<Tanh>], direction = #qc.rnn_direction<forward>, hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, tensor<1x4xf32>) -> (tensor<5x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @nms_boxes(%b: tensor<1x6x5xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'qc.non_max_suppression' op boxes must be [batch, boxes, 4], got 'tensor<1x6x5xf32>'}}
  %0 = qc.non_max_suppression %b, %s, %m, %i, %i : (tensor<1x6x5xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return
}

// -----

func.func @nms_scores(%b: tensor<1x6x4xf32>, %s: tensor<2x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'qc.non_max_suppression' op scores must be [batch, classes, boxes], got 'tensor<2x6xf32>'}}
  %0 = qc.non_max_suppression %b, %s, %m, %i, %i : (tensor<1x6x4xf32>, tensor<2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return
}

// -----

func.func @nms_mismatch(%b: tensor<1x6x4xf32>, %s: tensor<1x2x5xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{differ in the batch or the number of boxes}}
  %0 = qc.non_max_suppression %b, %s, %m, %i, %i : (tensor<1x6x4xf32>, tensor<1x2x5xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return
}

// -----

func.func @nms_param(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<2xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'qc.non_max_suppression' op its parameters must hold one element each, got 'tensor<2xi64>'}}
  %0 = qc.non_max_suppression %b, %s, %m, %i, %i : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<2xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return
}

// -----

func.func @nms_result(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>, %i: tensor<1xf32>) {
  // expected-error @+1 {{'qc.non_max_suppression' op the result must be [n, 3], got 'tensor<?x2xi64>'}}
  %0 = qc.non_max_suppression %b, %s, %m, %i, %i : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x2xi64>
  return
}
