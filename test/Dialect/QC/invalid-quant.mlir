// RUN: quant-opt %s -split-input-file -verify-diagnostics
// One case per verifier error of the Quant family.

func.func @q_shape(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{codes shape must match the input shape}}
  %0 = qc.quantize_linear %x, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x9xi8>
  return
}

// -----

func.func @q_code_type(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{code element type must be i8, ui8, i4, ui4, f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN or f4E2M1FN, got 'i16'}}
  %0 = qc.quantize_linear %x, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi16>
  return
}

// -----

func.func @q_zp_type(%x: tensor<4x8xf32>, %s: tensor<f32>, %z: tensor<i8>) {
  // expected-error @+1 {{zero point element type 'i8' must be the code type 'ui8'}}
  %0 = qc.quantize_linear %x, %s, %z : (tensor<4x8xf32>, tensor<f32>, tensor<i8>) -> tensor<4x8xui8>
  return
}

// -----

func.func @q_zp_shape(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %z: tensor<ui8>) {
  // expected-error @+1 {{zero point shape must match the scale shape}}
  %0 = qc.quantize_linear %x, %s, %z : (tensor<4x8xf32>, tensor<8xf32>, tensor<ui8>) -> tensor<4x8xui8>
  return
}

// -----

func.func @q_block_negative(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{block_size must not be negative, got -2}}
  %0 = qc.quantize_linear %x, %s {block_size = -2 : i64} : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @q_axis(%x: tensor<4x8xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = qc.quantize_linear %x, %s {axis = 2 : i64} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @q_per_axis_rank(%x: tensor<4x8xf32>, %s: tensor<4x8xf32>) {
  // expected-error @+1 {{per-axis scale must be 1-D, got rank 2}}
  %0 = qc.quantize_linear %x, %s : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @q_per_axis_size(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{per-axis scale has 4 elements, expected 8}}
  %0 = qc.quantize_linear %x, %s : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @q_blocked_rank(%x: tensor<4x8xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{blocked scale must have the data's rank 2, got 1}}
  %0 = qc.quantize_linear %x, %s {block_size = 4 : i64} : (tensor<4x8xf32>, tensor<2xf32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @q_blocked_dim(%x: tensor<4x8xf32>, %s: tensor<4x3xf32>) {
  // expected-error @+1 {{blocked scale dim 1 is 3, expected 2 (ceil(dim / block_size))}}
  %0 = qc.quantize_linear %x, %s {block_size = 4 : i64} : (tensor<4x8xf32>, tensor<4x3xf32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @dq_shape(%c: tensor<4x8xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{result shape must match the codes shape}}
  %0 = qc.dequantize_linear %c, %s : (tensor<4x8xi8>, tensor<f32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @dq_code_type(%c: tensor<4x8xi32>, %s: tensor<f32>) {
  // expected-error @+1 {{code element type must be}}
  %0 = qc.dequantize_linear %c, %s : (tensor<4x8xi32>, tensor<f32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @dyn_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{codes shape must match the input shape}}
  %0:3 = qc.dynamic_quantize_linear %x : (tensor<4x8xf32>) -> (tensor<8xui8>, tensor<f32>, tensor<ui8>)
  return
}

// -----

func.func @dyn_types(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{codes and zero point must be ui8}}
  %0:3 = qc.dynamic_quantize_linear %x : (tensor<4x8xf32>) -> (tensor<4x8xi8>, tensor<f32>, tensor<ui8>)
  return
}

// -----

func.func @dyn_scale(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{scale must be f32}}
  %0:3 = qc.dynamic_quantize_linear %x : (tensor<4x8xf32>) -> (tensor<4x8xui8>, tensor<f16>, tensor<ui8>)
  return
}

// -----

func.func @dyn_rank(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{scale and zero point must be scalars (rank 0)}}
  %0:3 = qc.dynamic_quantize_linear %x : (tensor<4x8xf32>) -> (tensor<4x8xui8>, tensor<1xf32>, tensor<ui8>)
  return
}

// -----

func.func @cast_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{result shape must match the input shape}}
  %0 = qc.cast %x : (tensor<4x8xf32>) -> tensor<4x4xf16>
  return
}

// -----

func.func @cast_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{cannot cast 'f32' to 'si32'}}
  %0 = qc.cast %x : (tensor<4x8xf32>) -> tensor<4x8xsi32>
  return
}

// -----

func.func @cast_type_width(%x: tensor<4x8xi12>) {
  // expected-error @+1 {{cannot cast 'i12' to 'f32'}}
  %0 = qc.cast %x : (tensor<4x8xi12>) -> tensor<4x8xf32>
  return
}
