// RUN: quant-opt %s -split-input-file -verify-diagnostics
// Ops written in the generic form get the checks of their inferred types:
// a precondition that fails names itself at the op, and a declared result
// type that contradicts the inferred one is an error
// (docs/Rationale.md section 8).

func.func @matmul_result(%a: tensor<3x4xf32>, %b: tensor<4x2xf32>) {
  // expected-error @+2 {{'qc.matmul' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<3x5xf32>'}}
  // expected-error @+1 {{'qc.matmul' op failed to infer returned types}}
  %0 = "qc.matmul"(%a, %b) : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x5xf32>
  return
}

// -----

func.func @matmul_integer_k(%a: tensor<2x4xi8>, %b: tensor<5x3xi8>, %z: tensor<i8>) {
  // expected-error @+2 {{inner dimensions differ: 2x4 and 5x3 (4 vs 5)}}
  // expected-error @+1 {{'qc.matmul_integer' op failed to infer returned types}}
  %0 = "qc.matmul_integer"(%a, %b, %z, %z) : (tensor<2x4xi8>, tensor<5x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x3xi32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{perm [1, 1] is not a permutation of 0..1}}
  // expected-error @+1 {{'qc.transpose' op failed to infer returned types}}
  %0 = "qc.transpose"(%a) <{perm = array<i64: 1, 1>}> : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<4x6xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{axis 2 is out of range [0, 2)}}
  // expected-error @+1 {{'qc.gather' op failed to infer returned types}}
  %0 = "qc.gather"(%x, %i) <{axis = 2 : i64}> : (tensor<4x6xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{input 1 has size 4 in dimension 0, expected 2}}
  // expected-error @+1 {{'qc.concat' op failed to infer returned types}}
  %0 = "qc.concat"(%a, %b) <{axis = 1 : i64}> : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @squeeze_result(%a: tensor<1x8xf32>) {
  // expected-error @+2 {{'qc.squeeze' op inferred type(s) 'tensor<8xf32>' are incompatible with return type(s) of operation 'tensor<1x8xf32>'}}
  // expected-error @+1 {{'qc.squeeze' op failed to infer returned types}}
  %0 = "qc.squeeze"(%a) <{axes = array<i64: 0>}> : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @conv_group(%x: tensor<1x6x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{input channels 6 != weight channels 2 x group 2}}
  // expected-error @+1 {{'qc.conv' op failed to infer returned types}}
  %0 = "qc.conv"(%x, %w) <{strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64}> : (tensor<1x6x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @max_pool_window(%x: tensor<1x3x4x4xf32>) {
  // expected-error @+2 {{'qc.max_pool' op inferred type(s) 'tensor<1x3x2x2xf32>' are incompatible with return type(s) of operation 'tensor<1x3x3x3xf32>'}}
  // expected-error @+1 {{'qc.max_pool' op failed to infer returned types}}
  %0 = "qc.max_pool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false}> : (tensor<1x3x4x4xf32>) -> tensor<1x3x3x3xf32>
  return
}

// -----

func.func @reduce_keepdims(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.reduce_sum' op inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  // expected-error @+1 {{'qc.reduce_sum' op failed to infer returned types}}
  %0 = "qc.reduce_sum"(%x) <{axes = array<i64: 1>, keepdims = true}> : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @where_broadcast(%c: tensor<2xi1>, %a: tensor<3xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast: 2, 3 and 3}}
  // expected-error @+1 {{'qc.where' op failed to infer returned types}}
  %0 = "qc.where"(%c, %a, %a) : (tensor<2xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @layer_norm_stats(%x: tensor<2x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+2 {{'qc.layer_norm' op inferred type(s) 'tensor<2x3xf32>', 'tensor<2x1xf32>', 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>', 'tensor<2x3xf32>', 'tensor<2x1xf32>'}}
  // expected-error @+1 {{'qc.layer_norm' op failed to infer returned types}}
  %0:3 = "qc.layer_norm"(%x, %s) <{axis = 1 : i64, epsilon = 1.0e-05 : f32}> : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x1xf32>)
  return
}
