// RUN: quant-opt %s -split-input-file -verify-diagnostics
// The discardable qc.* attributes the passes attach are declared by the
// dialect (docs/Dialect.md, "Annotations"): one case per verifier error.

func.func @unknown(%x: tensor<4xf32>) {
  // expected-error @+1 {{unknown qc attribute 'qc.input_stat' (docs/Dialect.md lists the annotations)}}
  %0 = qc.relu %x {qc.input_stat = 5 : i32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @stats(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.input_stats' must be a #qc.stats attribute, got 5 : i32}}
  %0 = qc.relu %x {qc.input_stats = 5 : i32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @scheme(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.act_scheme' must be a #qc.scheme attribute, got "int8"}}
  %0 = qc.relu %x {qc.act_scheme = "int8"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @unit(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.act_dynamic' must be a unit attribute, got true}}
  %0 = qc.relu %x {qc.act_dynamic = true} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @non_negative(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.modelled_latency_us' must be a finite float >= 0, got -1.000000e+00 : f64}}
  %0 = qc.relu %x {qc.modelled_latency_us = -1.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @alpha(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.smooth_alpha' must be a float in [0, 1], got 1.500000e+00 : f32}}
  %0 = qc.relu %x {qc.smooth_alpha = 1.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @f32_array(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.lhs_channel_min' must be an array<f32>, got array<i64: 1, 2>}}
  %0 = qc.relu %x {qc.lhs_channel_min = array<i64: 1, 2>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @i64_array(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.outlier_channels' must be an array<i64> of channel indices >= 0, got array<i64: -1>}}
  %0 = qc.relu %x {qc.outlier_channels = array<i64: -1>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matrix(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.lhs_hessian' must be a square 2-D f32 tensor, got dense<1.000000e+00> : tensor<2x3xf32>}}
  %0 = qc.relu %x {qc.lhs_hessian = dense<1.0> : tensor<2x3xf32>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @format(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.assigned_format' must be a weight format qc-assign-precision assigns (int4-g128, nvfp4, int8, fp8, fp8-1x128, mxfp8, mxfp6, mxfp4, bf16, f32), got "int3"}}
  %0 = qc.relu %x {qc.assigned_format = "int3"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @calib_method(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.calib_method' must be one of "minmax", "percentile", "entropy", "mse", got "kl"}}
  %0 = qc.relu %x {qc.calib_method = "kl"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @weight_method(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.weight_method' must be "rtn" or "gptq", got "awq"}}
  %0 = qc.relu %x {qc.weight_method = "awq"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @float_dict(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.sensitivity' must be a dictionary of floats, got {int8 = "low"}}}
  %0 = qc.relu %x {qc.sensitivity = {int8 = "low"}} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// expected-error @+1 {{'qc.precision' must be a dictionary with 'bits' and 'pareto' (qc-assign-precision), got {bits = 4.500000e+00 : f64}}}
func.func @precision(%x: tensor<4xf32>) attributes {qc.precision = {bits = 4.5 : f64}} {
  return
}

// -----

func.func @precision_on_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.precision' belongs on a function}}
  %0 = qc.relu %x {qc.precision = {bits = 4.5 : f64, pareto = []}} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @name_on_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.name' names a function argument or result; it does not go on an operation}}
  %0 = qc.relu %x {qc.name = "y"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// expected-error @+1 {{'qc.name' must be a string, got 3 : i64}}
func.func @name_type(%x: tensor<4xf32> {qc.name = 3}) {
  return
}

// -----

// expected-error @+1 {{'qc.smooth_alpha' is an operation attribute, not one of a function result}}
func.func @op_attr_on_result(%x: tensor<4xf32>) -> (tensor<4xf32> {qc.smooth_alpha = 0.5 : f32}) {
  return %x : tensor<4xf32>
}

// -----

func.func @gpu_kernel(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.gpu_kernel' must be a symbol reference to a kernel, got "ew_0"}}
  %0 = qc.relu %x {qc.gpu_kernel = "ew_0"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @kmajor_weight_on_another_op(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.kmajor_weight' marks a qc.dequantize_linear of 2-D e4m3 codes [N, K] along axis 1 by blocks of 128, or of e4m3 or i8/ui8 codes (without a zero point) per channel along axis 0 (qc-kmajor-weights)}}
  %0 = qc.relu %x {qc.kmajor_weight} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @kmajor_weight_along_axis_0(%c: tensor<128x128xf8E4M3FN>, %s: tensor<1x128xf32>) {
  // expected-error @+1 {{'qc.kmajor_weight' marks a qc.dequantize_linear of 2-D e4m3 codes [N, K] along axis 1 by blocks of 128, or of e4m3 or i8/ui8 codes (without a zero point) per channel along axis 0}}
  %0 = qc.dequantize_linear %c, %s {axis = 0 : i64, block_size = 128 : i64, qc.kmajor_weight} : (tensor<128x128xf8E4M3FN>, tensor<1x128xf32>) -> tensor<128x128xf32>
  return
}

// -----

// int8 K-major weights have no zero point (the wgmma GEMM corrects A's
// only).
func.func @kmajor_weight_int8_zero_point(%c: tensor<16x32xi8>, %s: tensor<16xf32>, %z: tensor<16xi8>) {
  // expected-error @+1 {{'qc.kmajor_weight' marks a qc.dequantize_linear of 2-D e4m3 codes [N, K] along axis 1 by blocks of 128, or of e4m3 or i8/ui8 codes (without a zero point) per channel along axis 0}}
  %0 = qc.dequantize_linear %c, %s, %z {axis = 0 : i64, qc.kmajor_weight} : (tensor<16x32xi8>, tensor<16xf32>, tensor<16xi8>) -> tensor<16x32xf32>
  return
}

// -----

func.func @kmajor_weight_not_unit(%c: tensor<128x128xf8E4M3FN>, %s: tensor<128x1xf32>) {
  // expected-error @+1 {{'qc.kmajor_weight' must be a unit attribute, got true}}
  %0 = qc.dequantize_linear %c, %s {block_size = 128 : i64, qc.kmajor_weight = true} : (tensor<128x128xf8E4M3FN>, tensor<128x1xf32>) -> tensor<128x128xf32>
  return
}
