// RUN: quant-opt %s -split-input-file -verify-diagnostics
// One case per verifier error of the Math-family ops.

func.func @unary_type(%x: tensor<4xf32>) {
  // expected-error @+2 {{'qc.exp' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'}}
  // expected-error @+1 {{'qc.exp' op failed to infer returned types}}
  %0 = qc.exp %x : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

// The six unary ops with attributes infer their type alike.
func.func @unary_attr_type(%x: tensor<4xf32>) {
  // expected-error @+2 {{'qc.leaky_relu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xf16>'}}
  // expected-error @+1 {{'qc.leaky_relu' op failed to infer returned types}}
  %0 = qc.leaky_relu %x {alpha = 0.1 : f32} : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @gelu_approx(%x: tensor<4xf32>) {
  // expected-error @+2 {{expected ::quantc::qc::GeluApproximation to be one of:}}
  // expected-error @+1 {{failed to parse QC_GeluApproximationAttr parameter 'value'}}
  %0 = qc.gelu %x {approximate = #qc.gelu_approximation<fast>} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @clip_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{min 2.000000e+00 is greater than max 1.000000e+00}}
  %0 = qc.clip %x {min = 2.0 : f32, max = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @binary_types(%a: tensor<4xi64>, %b: tensor<4xi32>) {
  // expected-error @+2 {{operand element types must match, got 'i64' and 'i32'}}
  // expected-error @+1 {{'qc.max' op failed to infer returned types}}
  %0 = qc.max %a, %b : (tensor<4xi64>, tensor<4xi32>) -> tensor<4xi64>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast: 3 vs 4}}
  // expected-error @+1 {{'qc.pow' op failed to infer returned types}}
  %0 = qc.pow %a, %b : (tensor<3xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @binary_result_shape(%a: tensor<2x1xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'qc.min' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'qc.min' op failed to infer returned types}}
  %0 = qc.min %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @binary_result_type(%a: tensor<3xi64>, %b: tensor<3xi64>) {
  // expected-error @+2 {{'qc.max' op inferred type(s) 'tensor<3xi64>' are incompatible with return type(s) of operation 'tensor<3xi32>'}}
  // expected-error @+1 {{'qc.max' op failed to infer returned types}}
  %0 = qc.max %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi32>
  return
}

// -----

func.func @compare_shape(%a: tensor<2x1xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'qc.less' op inferred type(s) 'tensor<2x3xi1>' are incompatible with return type(s) of operation 'tensor<3xi1>'}}
  // expected-error @+1 {{'qc.less' op failed to infer returned types}}
  %0 = qc.less %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<3xi1>
  return
}

// -----

func.func @compare_result(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = qc.equal %a, %b : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @mod_float(%a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{float operands need fmod = true (as in ONNX Mod)}}
  %0 = qc.mod %a, %b {fmod = false} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @where_types(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+2 {{lhs and rhs element types differ: 'f32' and 'i64'}}
  // expected-error @+1 {{'qc.where' op failed to infer returned types}}
  %0 = qc.where %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @where_broadcast(%c: tensor<2xi1>, %a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast: 2, 3 and 3}}
  // expected-error @+1 {{'qc.where' op failed to infer returned types}}
  %0 = qc.where %c, %a, %b : (tensor<2xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @where_result(%c: tensor<2x1xi1>, %a: tensor<3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'qc.where' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{'qc.where' op failed to infer returned types}}
  %0 = qc.where %c, %a, %b : (tensor<2x1xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range [0, 2)}}
  %0 = qc.softmax %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis -1 is out of range [0, 2)}}
  %0 = qc.log_softmax %x {axis = -1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = qc.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @layer_norm_type(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+2 {{'qc.layer_norm' op inferred type(s) 'tensor<2x3xf32>', 'tensor<2x1xf32>', 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>', 'tensor<2x1xf32>', 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x4xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @layer_norm_eps(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{epsilon must be >= 0}}
  %0:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x3xf32>, %g: tensor<4xf32>) {
  // expected-error @+2 {{scale shape 4 does not broadcast to the normalized dims 3}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<4xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @layer_norm_scale_type(%x: tensor<2x3xf32>, %g: tensor<3xf16>) {
  // expected-error @+2 {{scale element type 'f16' must match the input's}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf16>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @layer_norm_bias(%x: tensor<2x3xf32>, %g: tensor<3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+2 {{bias shape 2x3 does not broadcast to the normalized dims 3}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = qc.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @layer_norm_stats(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+2 {{'qc.layer_norm' op inferred type(s) 'tensor<2x3xf32>', 'tensor<2x1xf32>', 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>', 'tensor<2xf32>', 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = qc.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2xf32>, tensor<2x1xf32>)
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.reduce_mean' op failed to infer returned types}}
  %0 = qc.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_sorted(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{axes must be sorted and distinct}}
  // expected-error @+1 {{'qc.reduce_sum' op failed to infer returned types}}
  %0 = qc.reduce_sum %x {axes = array<i64: 1, 0>, keepdims = false} : (tensor<2x3xf32>) -> tensor<f32>
  return
}

// -----

func.func @reduce_result(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.reduce_max' op inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  // expected-error @+1 {{'qc.reduce_max' op failed to infer returned types}}
  %0 = qc.reduce_max %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @shrink_lambd(%x: tensor<4xf32>) {
  // expected-error @+1 {{lambd must be >= 0}}
  %0 = qc.shrink %x {bias = 0.0 : f32, lambd = -1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @is_nan_shape(%x: tensor<4xf32>) {
  // expected-error @+2 {{'qc.is_nan' op inferred type(s) 'tensor<4xi1>' are incompatible with return type(s) of operation 'tensor<3xi1>'}}
  // expected-error @+1 {{'qc.is_nan' op failed to infer returned types}}
  %0 = qc.is_nan %x : (tensor<4xf32>) -> tensor<3xi1>
  return
}

// -----

func.func @dynamic_reduce_kind(%x: tensor<4x5xf32>, %a: tensor<1xi64>) {
  // expected-error @+2 {{expected ::quantc::qc::ReduceKind to be one of:}}
  // expected-error @+1 {{failed to parse QC_ReduceKindAttr parameter 'value'}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<median>, keepdims = true} : (tensor<4x5xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_reduce_int(%x: tensor<4x5xi64>, %a: tensor<1xi64>) {
  // expected-error @+1 {{reduction 'mean' takes float tensors}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<mean>, keepdims = true} : (tensor<4x5xi64>, tensor<1xi64>) -> tensor<?x?xi64>
  return
}

// -----

func.func @dynamic_reduce_elem(%x: tensor<4x5xf32>, %a: tensor<1xi64>) {
  // expected-error @+1 {{result element type 'f16' differs from the input's 'f32'}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = true} : (tensor<4x5xf32>, tensor<1xi64>) -> tensor<?x?xf16>
  return
}

// -----

func.func @dynamic_reduce_keep_rank(%x: tensor<4x5xf32>, %a: tensor<1xi64>) {
  // expected-error @+1 {{with keepdims the result rank must be 2}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = true} : (tensor<4x5xf32>, tensor<1xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @dynamic_reduce_keep_dim(%x: tensor<4x5xf32>, %a: tensor<1xi64>) {
  // expected-error @+1 {{result dim 1 must be 1 or the input's 5}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = true} : (tensor<4x5xf32>, tensor<1xi64>) -> tensor<?x3xf32>
  return
}

// -----

func.func @dynamic_reduce_len(%x: tensor<4x5xf32>, %a: tensor<?xi64>) {
  // expected-error @+1 {{without keepdims the axes length must be static}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = false} : (tensor<4x5xf32>, tensor<?xi64>) -> tensor<?xf32>
  return
}

// -----

func.func @dynamic_reduce_too_many(%x: tensor<4x5xf32>, %a: tensor<3xi64>) {
  // expected-error @+1 {{axes has 3 entries but the input has rank 2}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = false} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<f32>
  return
}

// -----

func.func @dynamic_reduce_rank(%x: tensor<4x5xf32>, %a: tensor<1xi64>) {
  // expected-error @+1 {{result rank 2 must be 1 (input rank 2, 1 axes)}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = false} : (tensor<4x5xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return
}

// -----

func.func @dynamic_reduce_noop_rank(%x: tensor<4x5xf32>, %a: tensor<0xi64>) {
  // expected-error @+1 {{result rank 0 must be 2 (input rank 2, 0 axes)}}
  %0 = qc.dynamic_reduce %x, %a {kind = #qc.reduce_kind<sum>, keepdims = false, noop_with_empty_axes = true} : (tensor<4x5xf32>, tensor<0xi64>) -> tensor<f32>
  return
}

// -----

func.func @pow_result_type(%x: tensor<4xf32>, %n: tensor<4xi64>) {
  // expected-error @+2 {{'qc.pow' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xi64>'}}
  // expected-error @+1 {{'qc.pow' op failed to infer returned types}}
  %0 = qc.pow %x, %n : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xi64>
  return
}

// -----

func.func @pow_broadcast(%x: tensor<3xf32>, %n: tensor<4xi32>) {
  // expected-error @+2 {{operand shapes do not broadcast: 3 vs 4}}
  // expected-error @+1 {{'qc.pow' op failed to infer returned types}}
  %0 = qc.pow %x, %n : (tensor<3xf32>, tensor<4xi32>) -> tensor<4xf32>
  return
}

// -----

func.func @pow_result_shape(%x: tensor<2x1xf32>, %n: tensor<3xui8>) {
  // expected-error @+2 {{'qc.pow' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'qc.pow' op failed to infer returned types}}
  %0 = qc.pow %x, %n : (tensor<2x1xf32>, tensor<3xui8>) -> tensor<2x1xf32>
  return
}

// -----

func.func @max_signed(%a: tensor<3xsi16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = qc.max %a, %a : (tensor<3xsi16>, tensor<3xsi16>) -> tensor<3xsi16>
  return
}

// -----

func.func @bit_shift_direction(%a: tensor<4xui8>) {
  // expected-error @+2 {{expected ::quantc::qc::ShiftDirection to be one of:}}
  // expected-error @+1 {{failed to parse QC_ShiftDirectionAttr parameter 'value'}}
  %0 = qc.bit_shift %a, %a {direction = #qc.shift_direction<UP>} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return
}

// -----

func.func @bit_shift_signed(%a: tensor<4xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8-bit unsigned integer or 16-bit unsigned integer or 32-bit unsigned integer or 64-bit unsigned integer values}}
  %0 = qc.bit_shift %a, %a {direction = #qc.shift_direction<LEFT>} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return
}

// -----

func.func @bit_shift_types(%a: tensor<4xui8>, %b: tensor<4xui16>) {
  // expected-error @+2 {{operand element types must match, got 'ui8' and 'ui16'}}
  // expected-error @+1 {{'qc.bit_shift' op failed to infer returned types}}
  %0 = qc.bit_shift %a, %b {direction = #qc.shift_direction<LEFT>} : (tensor<4xui8>, tensor<4xui16>) -> tensor<4xui8>
  return
}

// -----

func.func @rms_norm_type(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+2 {{'qc.rms_norm' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'qc.rms_norm' op failed to infer returned types}}
  %0 = qc.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @rms_norm_axis(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{axis -1 is out of range [0, 2)}}
  %0 = qc.rms_norm %x, %g {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @rms_norm_eps(%x: tensor<2x3xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{epsilon must be >= 0}}
  %0 = qc.rms_norm %x, %g {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<2x3xf32>, %g: tensor<2x3xf32>) {
  // expected-error @+1 {{scale shape 2x3 does not broadcast to the normalized dims 3}}
  %0 = qc.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @rms_norm_scale_type(%x: tensor<2x3xf32>, %g: tensor<3xf16>) {
  // expected-error @+1 {{scale element type 'f16' must match the input's}}
  %0 = qc.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3xf32>, tensor<3xf16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @silu_type(%x: tensor<4xf32>) {
  // expected-error @+2 {{'qc.silu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xf16>'}}
  // expected-error @+1 {{'qc.silu' op failed to infer returned types}}
  %0 = qc.silu %x : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @attention_rank(%q: tensor<8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>) {
  // expected-error @+1 {{query, key_t and value must have rank >= 2}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<8xf32>, tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @attention_elem(%q: tensor<3x8xf32>, %k: tensor<8x4xf16>, %v: tensor<4x2xf32>) {
  // expected-error @+1 {{query, key_t and value must have one element type}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf16>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_d(%q: tensor<3x8xf32>, %k: tensor<7x4xf32>, %v: tensor<4x2xf32>) {
  // expected-error @+1 {{key_t 7x4 must be [..., D, Sk] with the query's D = 8}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<7x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_sk(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<5x2xf32>) {
  // expected-error @+1 {{value 5x2 must be [..., Sk, Dv] with key_t's Sk = 4}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x3x8xf32>, %k: tensor<3x8x4xf32>, %v: tensor<4x2xf32>) {
  // expected-error @+1 {{batch dims of query 2x3x8, key_t 3x8x4 and value 4x2 do not broadcast}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<2x3x8xf32>, tensor<3x8x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32>
  return
}

// -----

func.func @attention_result(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>) {
  // expected-error @+2 {{'qc.attention' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{'qc.attention' op failed to infer returned types}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @attention_mask_value(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>) {
  // expected-error @+1 {{mask_value needs an i1 mask}}
  %0 = qc.attention %q, %k, %v {scale = 1.0 : f32, mask_value = 0.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_bool_mask(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>, %m: tensor<3x4xi1>) {
  // expected-error @+1 {{an i1 mask needs mask_value}}
  %0 = qc.attention %q, %k, %v, %m {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<4x2xf32>, tensor<3x4xi1>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_float_mask_value(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>, %m: tensor<3x4xf32>) {
  // expected-error @+1 {{mask_value applies to an i1 mask only}}
  %0 = qc.attention %q, %k, %v, %m {scale = 1.0 : f32, mask_value = 0.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<4x2xf32>, tensor<3x4xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_mask_type(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>, %m: tensor<3x4xf16>) {
  // expected-error @+1 {{a float mask must have the result's element type}}
  %0 = qc.attention %q, %k, %v, %m {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<4x2xf32>, tensor<3x4xf16>) -> tensor<3x2xf32>
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<3x8xf32>, %k: tensor<8x4xf32>, %v: tensor<4x2xf32>, %m: tensor<2x3x4xf32>) {
  // expected-error @+1 {{mask shape 2x3x4 does not broadcast to the scores' 3x4}}
  %0 = qc.attention %q, %k, %v, %m {scale = 1.0 : f32} : (tensor<3x8xf32>, tensor<8x4xf32>, tensor<4x2xf32>, tensor<2x3x4xf32>) -> tensor<3x2xf32>
  return
}

// -----

// The enum attributes take their #qc.<enum><value> form; the ONNX string
// spelling is the importer's input, not the dialect's.
func.func @gelu_approx_string(%x: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'approximate' failed to satisfy constraint: qc.gelu's approximation (ONNX Gelu's approximate)}}
  %0 = "qc.gelu"(%x) {approximate = "tanh"} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @arg_max_axis(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.arg_max %x {axis = 2 : i64, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xi64>
  return
}

// -----

func.func @arg_min_empty_axis(%x: tensor<3x0xf32>) {
  // expected-error @+2 {{axis 1 is empty: no element to take the index of}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qc.arg_min %x {axis = 1 : i64, keepdims = false} : (tensor<3x0xf32>) -> tensor<3xi64>
  return
}

// -----

func.func @cumsum_rank0(%x: tensor<f32>, %a: tensor<i64>) {
  // expected-error @+1 {{'qc.cumsum' op input must have rank >= 1}}
  %0 = qc.cumsum %x, %a : (tensor<f32>, tensor<i64>) -> tensor<f32>
  return
}

// -----

func.func @cumsum_axis_shape(%x: tensor<4xf32>, %a: tensor<2xi64>) {
  // expected-error @+1 {{'qc.cumsum' op axis must be a scalar or a one-element 1-D tensor, got 'tensor<2xi64>'}}
  %0 = qc.cumsum %x, %a : (tensor<4xf32>, tensor<2xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{'qc.trilu' op input must have rank >= 2, got 1}}
  %0 = qc.trilu %x {upper = true} : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @trilu_k_shape(%x: tensor<4x4xf32>, %k: tensor<1x1xi64>) {
  // expected-error @+1 {{'qc.trilu' op k must be a scalar or a one-element 1-D tensor, got 'tensor<1x1xi64>'}}
  %0 = qc.trilu %x, %k {upper = true} : (tensor<4x4xf32>, tensor<1x1xi64>) -> tensor<4x4xf32>
  return
}

// -----

func.func @top_k_axis(%x: tensor<4x8xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'qc.top_k' op axis 2 is out of range [0, 2)}}
  %0:2 = qc.top_k %x, %k {axis = 2 : i64, largest = true} : (tensor<4x8xf32>, tensor<1xi64>) -> (tensor<4x3xf32>, tensor<4x3xi64>)
  return
}

// -----

func.func @top_k_k_shape(%x: tensor<4x8xf32>, %k: tensor<2xi64>) {
  // expected-error @+1 {{'qc.top_k' op k must be a scalar or a one-element 1-D tensor, got 'tensor<2xi64>'}}
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<4x8xf32>, tensor<2xi64>) -> (tensor<4x3xf32>, tensor<4x3xi64>)
  return
}

// -----

func.func @top_k_rank(%x: tensor<4x8xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'qc.top_k' op results must have the input's rank 2}}
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<4x8xf32>, tensor<1xi64>) -> (tensor<3xf32>, tensor<3xi64>)
  return
}

// -----

func.func @top_k_too_many(%x: tensor<4x8xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'qc.top_k' op k = 9 exceeds the axis extent 8}}
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<4x8xf32>, tensor<1xi64>) -> (tensor<4x9xf32>, tensor<4x9xi64>)
  return
}

// -----

func.func @top_k_other_dim(%x: tensor<4x8xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'qc.top_k' op result dim 0 is 5, the input's is 4}}
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<4x8xf32>, tensor<1xi64>) -> (tensor<5x3xf32>, tensor<5x3xi64>)
  return
}

// -----

func.func @top_k_values_type(%x: tensor<4x8xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'qc.top_k' op values must have the input's element type}}
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<4x8xf32>, tensor<1xi64>) -> (tensor<4x3xf16>, tensor<4x3xi64>)
  return
}

// -----

func.func @top_k_mismatch(%x: tensor<4x8xf32>, %k: tensor<1xi64>) {
  // expected-error @+1 {{'qc.top_k' op values and indices differ along the axis}}
  %0:2 = qc.top_k %x, %k {axis = 1 : i64, largest = true} : (tensor<4x8xf32>, tensor<1xi64>) -> (tensor<4x3xf32>, tensor<4x2xi64>)
  return
}
