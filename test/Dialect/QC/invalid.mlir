// RUN: quant-opt %s -split-input-file -verify-diagnostics
// One case per verifier error of the qc dialect.

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x2xf32>) {
  // expected-error @+2 {{operands must have rank >= 2}}
  // expected-error @+1 {{'qc.matmul' op failed to infer returned types}}
  %0 = qc.matmul %a, %b : (tensor<4xf32>, tensor<4x2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<3x4xf32>, %b: tensor<5x2xf32>) {
  // expected-error @+2 {{inner dimensions differ: 3x4 and 5x2 (4 vs 5)}}
  // expected-error @+1 {{'qc.matmul' op failed to infer returned types}}
  %0 = qc.matmul %a, %b : (tensor<3x4xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<3x4x2xf32>) {
  // expected-error @+2 {{batch dimensions do not broadcast}}
  // expected-error @+1 {{'qc.matmul' op failed to infer returned types}}
  %0 = qc.matmul %a, %b : (tensor<2x3x4xf32>, tensor<3x4x2xf32>) -> tensor<2x3x2xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<3x4xf32>, %b: tensor<4x2xf32>) {
  // expected-error @+2 {{'qc.matmul' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{'qc.matmul' op failed to infer returned types}}
  %0 = qc.matmul %a, %b : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @matmul_types(%a: tensor<3x4xf32>, %b: tensor<4x2xf16>) {
  // expected-error @+2 {{operand element types differ: 'f32' and 'f16'}}
  // expected-error @+1 {{'qc.matmul' op failed to infer returned types}}
  %0 = qc.matmul %a, %b : (tensor<3x4xf32>, tensor<4x2xf16>) -> tensor<3x2xf32>
  return
}

// -----

func.func @add_broadcast(%a: tensor<3x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast: 3x4 vs 3}}
  // expected-error @+1 {{'qc.add' op failed to infer returned types}}
  %0 = qc.add %a, %b : (tensor<3x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @add_result(%a: tensor<3x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{'qc.add' op inferred type(s) 'tensor<3x4xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{'qc.add' op failed to infer returned types}}
  %0 = qc.add %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @mul_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{operand element types must match, got 'f32' and 'f16'}}
  // expected-error @+1 {{'qc.mul' op failed to infer returned types}}
  %0 = qc.mul %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @relu_type(%a: tensor<4xf32>) {
  // expected-error @+2 {{'qc.relu' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'}}
  // expected-error @+1 {{'qc.relu' op failed to infer returned types}}
  %0 = qc.relu %a : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{cannot reshape 2x3 to [2, 4]: the element counts differ}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: 2, 4>} : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @reshape_rank(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.reshape' op inferred type(s) 'tensor<6xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @reshape_two_infer(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{shape [-1, -1] has more than one -1}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: -1, -1>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @reshape_negative(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{shape [-2, 3] has an invalid dimension -2}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: -2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reshape_copy_oob(%a: tensor<6xf32>) {
  // expected-error @+2 {{shape [6, 0] copies (0) dimension 1 of an input of rank 1}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: 6, 0>} : (tensor<6xf32>) -> tensor<6x1xf32>
  return
}

// -----

func.func @reshape_dim(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.reshape' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: 2, 3>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @reshape_type(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.reshape' op inferred type(s) 'tensor<6xf32>' are incompatible with return type(s) of operation 'tensor<6xf16>'}}
  // expected-error @+1 {{'qc.reshape' op failed to infer returned types}}
  %0 = qc.reshape %a {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf16>
  return
}

// -----

func.func @transpose_rank(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{perm [0, 1, 2] is not a permutation of 0..1}}
  // expected-error @+1 {{'qc.transpose' op failed to infer returned types}}
  %0 = qc.transpose %a {perm = array<i64: 0, 1, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{perm [1, 1] is not a permutation of 0..1}}
  // expected-error @+1 {{'qc.transpose' op failed to infer returned types}}
  %0 = qc.transpose %a {perm = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_shape(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'qc.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @+1 {{'qc.transpose' op failed to infer returned types}}
  %0 = qc.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @quantize_codes_shape(%x: tensor<4x64xf32>) {
  // expected-error @+2 {{'qc.quantize' op inferred type(s) 'tensor<4x64xf8E4M3FN>', 'tensor<4x2xf8E8M0FNU>' are incompatible with return type(s) of operation 'tensor<4x32xf8E4M3FN>', 'tensor<4x2xf8E8M0FNU>'}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<4x64xf32> -> (tensor<4x32xf8E4M3FN>, tensor<4x2xf8E8M0FNU>)
  return
}

// -----

func.func @quantize_codes_type(%x: tensor<4x64xf32>) {
  // expected-error @+2 {{'qc.quantize' op inferred type(s) 'tensor<4x64xf8E4M3FN>', 'tensor<4x2xf8E8M0FNU>' are incompatible with return type(s) of operation 'tensor<4x64xf8E5M2>', 'tensor<4x2xf8E8M0FNU>'}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<4x64xf32> -> (tensor<4x64xf8E5M2>, tensor<4x2xf8E8M0FNU>)
  return
}

// -----

func.func @quantize_scale_type(%x: tensor<4x64xf32>) {
  // expected-error @+2 {{'qc.quantize' op inferred type(s) 'tensor<4x64xf8E4M3FN>', 'tensor<4x2xf8E8M0FNU>' are incompatible with return type(s) of operation 'tensor<4x64xf8E4M3FN>', 'tensor<4x2xf32>'}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<4x64xf32> -> (tensor<4x64xf8E4M3FN>, tensor<4x2xf32>)
  return
}

// -----

func.func @quantize_scale_shape(%x: tensor<4x70xf32>) {
  // expected-error @+2 {{'qc.quantize' op inferred type(s) 'tensor<4x70xf8E4M3FN>', 'tensor<4x3xf8E8M0FNU>' are incompatible with return type(s) of operation 'tensor<4x70xf8E4M3FN>', 'tensor<4x2xf8E8M0FNU>'}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<4x70xf32> -> (tensor<4x70xf8E4M3FN>, tensor<4x2xf8E8M0FNU>)
  return
}

// -----

func.func @quantize_block_rank(%x: tensor<64xf32>) {
  // expected-error @+2 {{result scheme block has rank 2 but the tensor has rank 1}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<64xf32> -> (tensor<64xf8E4M3FN>, tensor<2xf8E8M0FNU>)
  return
}

// -----

func.func @dequantize_shape(%c: tensor<4x64xf8E4M3FN>, %s: tensor<4x2xf8E8M0FNU>) {
  // expected-error @+1 {{result shape 4x32 differs from codes shape 4x64}}
  %0 = qc.dequantize %c, %s {scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>) -> tensor<4x32xf32>
  return
}

// -----

func.func @dequantize_scales(%c: tensor<4x64xf8E4M3FN>, %s: tensor<4x3xf8E8M0FNU>) {
  // expected-error @+1 {{operand scales have shape 4x3 but the scheme gives 4x2}}
  %0 = qc.dequantize %c, %s {scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x3xf8E8M0FNU>) -> tensor<4x64xf32>
  return
}

// -----

func.func @qmatmul_rhs_rank(%a: tensor<4x64xf8E4M3FN>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<1x8x64xf8E4M3FN>, %bs: tensor<1x8x2xf8E8M0FNU>) {
  // expected-error @+1 {{rhs must have rank 2 ([N, K]), got 3}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>, tensor<1x8x64xf8E4M3FN>, tensor<1x8x2xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_lhs_rank(%a: tensor<64xf8E4M3FN>, %as: tensor<2xf8E8M0FNU>, %b: tensor<8x64xf8E4M3FN>, %bs: tensor<8x2xf8E8M0FNU>) {
  // expected-error @+1 {{lhs must have rank >= 2, got 1}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<64xf8E4M3FN>, tensor<2xf8E8M0FNU>, tensor<8x64xf8E4M3FN>, tensor<8x2xf8E8M0FNU>) -> tensor<8xf32>
  return
}

// -----

func.func @qmatmul_k(%a: tensor<4x64xf8E4M3FN>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<8x32xf8E4M3FN>, %bs: tensor<8x1xf8E8M0FNU>) {
  // expected-error @+1 {{reduction dimensions differ: lhs K = 64, rhs K = 32}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>, tensor<8x32xf8E4M3FN>, tensor<8x1xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_block(%a: tensor<4x64xf8E4M3FN>, %as: tensor<f32>, %b: tensor<8x64xf8E4M3FN>, %bs: tensor<f32>) {
  // expected-error @+1 {{schemes must be blocked along K only}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"fp8">, rhs_scheme = #qc.scheme<"fp8">} : (tensor<4x64xf8E4M3FN>, tensor<f32>, tensor<8x64xf8E4M3FN>, tensor<f32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_blocks_differ(%a: tensor<4x64xf4E2M1FN>, %as: tensor<4x4xf8E4M3FN>, %b: tensor<8x64xf4E2M1FN>, %bs: tensor<8x2xf8E8M0FNU>) {
  // expected-error @+1 {{lhs and rhs K blocks differ: 16 vs 32}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"nvfp4">, rhs_scheme = #qc.scheme<"mxfp4">} : (tensor<4x64xf4E2M1FN>, tensor<4x4xf8E4M3FN>, tensor<8x64xf4E2M1FN>, tensor<8x2xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_rhs_scales(%a: tensor<4x64xf8E4M3FN>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<8x64xf8E4M3FN>, %bs: tensor<2x8xf8E8M0FNU>) {
  // expected-error @+1 {{rhs scales have shape 2x8 but the scheme gives 8x2}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>, tensor<8x64xf8E4M3FN>, tensor<2x8xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_lhs_codes(%a: tensor<4x64xf8E5M2>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<8x64xf8E4M3FN>, %bs: tensor<8x2xf8E8M0FNU>) {
  // expected-error @+1 {{lhs codes have element type 'f8E5M2' but the scheme says 'f8E4M3FN'}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E5M2>, tensor<4x2xf8E8M0FNU>, tensor<8x64xf8E4M3FN>, tensor<8x2xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_acc(%a: tensor<4x64xf8E4M3FN>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<8x64xf8E4M3FN>, %bs: tensor<8x2xf8E8M0FNU>) {
  // expected-error @+1 {{accumulator type must be f32 and match the result, got 'f16'}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f16, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>, tensor<8x64xf8E4M3FN>, tensor<8x2xf8E8M0FNU>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_result(%a: tensor<4x64xf8E4M3FN>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<8x64xf8E4M3FN>, %bs: tensor<8x2xf8E8M0FNU>) {
  // expected-error @+1 {{result shape 4x4 does not match expected 4x8}}
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x64xf8E4M3FN>, tensor<4x2xf8E8M0FNU>, tensor<8x64xf8E4M3FN>, tensor<8x2xf8E8M0FNU>) -> tensor<4x4xf32>
  return
}

// -----

// expected-error @+1 {{scheme element type 'f32' is not a quantized format}}
func.func @scheme_elem() attributes {s = #qc.scheme<f32, scale = f32, block = []>} {
  return
}

// -----

// expected-error @+1 {{scheme scale type 'i8' is not a scale format}}
func.func @scheme_scale() attributes {s = #qc.scheme<i8, scale = i8, block = []>} {
  return
}

// -----

// expected-error @+1 {{scheme block sizes must be >= 0, got -32}}
func.func @scheme_block() attributes {s = #qc.scheme<i8, scale = f32, block = [1, -32]>} {
  return
}

// -----

// expected-error @+1 {{asymmetric schemes need an integer element type}}
func.func @scheme_asym() attributes {s = #qc.scheme<f8E4M3FN, scale = f32, block = [], asymmetric>} {
  return
}

// -----

// expected-error @+1 {{unknown scheme preset 'mxfp9'}}
func.func @scheme_preset() attributes {s = #qc.scheme<"mxfp9">} {
  return
}

// -----

// expected-error @+1 {{expected 'symmetric' or 'asymmetric'}}
func.func @scheme_kw() attributes {s = #qc.scheme<i8, scale = f32, block = [], lopsided>} {
  return
}

// -----

func.func @weight_offset() {
  // expected-error @+1 {{offset 10 must be a non-negative multiple of 64}}
  %0 = qc.weight "w" {offset = 10 : i64, size = 16 : i64} : tensor<4xf32>
  return
}

// -----

func.func @weight_negative_offset() {
  // expected-error @+1 {{offset -64 must be a non-negative multiple of 64}}
  %0 = qc.weight "w" {offset = -64 : i64, size = 16 : i64} : tensor<4xf32>
  return
}

// -----

func.func @weight_size() {
  // expected-error @+1 {{size 8 does not match 16 bytes of 'tensor<4xf32>'}}
  %0 = qc.weight "w" {offset = 64 : i64, size = 8 : i64} : tensor<4xf32>
  return
}

// -----

func.func @add_int_mixed(%a: tensor<3xi64>, %b: tensor<3xi32>) {
  // expected-error @+2 {{operand element types must match, got 'i64' and 'i32'}}
  // expected-error @+1 {{'qc.add' op failed to infer returned types}}
  %0 = qc.add %a, %b : (tensor<3xi64>, tensor<3xi32>) -> tensor<3xi64>
  return
}

// -----

// Integers of 8 to 64 bits, signless or unsigned; not signed (si8) or i4.
func.func @add_si8(%a: tensor<3xsi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit float or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer or 8-bit unsigned integer or 16-bit unsigned integer or 32-bit unsigned integer or 64-bit unsigned integer values}}
  %0 = qc.add %a, %a : (tensor<3xsi8>, tensor<3xsi8>) -> tensor<3xsi8>
  return
}

// -----

func.func @add_i4(%a: tensor<3xi4>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float}}
  %0 = qc.add %a, %a : (tensor<3xi4>, tensor<3xi4>) -> tensor<3xi4>
  return
}

// -----

// qc.quantize / qc.dequantize / qc.qmatmul run MX schemes only: a linear
// scheme has no rule in these ops (it is qc.quantize_linear's).
func.func @quantize_linear_scheme(%x: tensor<2x64xf32>) {
  // expected-error @+2 {{result scheme #qc.scheme<i8, scale = f32, block = [], symmetric> is not an MX scheme blocked along the last axis (E8M0 scales), the only kind these ops run; use qc.quantize_linear / qc.dequantize_linear for linear schemes}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"int8">} : tensor<2x64xf32> -> (tensor<2x64xi8>, tensor<f32>)
  return
}

// -----

func.func @dequantize_nvfp4_scheme(%k: tensor<2x32xf4E2M1FN>, %s: tensor<2x2xf8E4M3FN>) {
  // expected-error @+1 {{operand scheme #qc.scheme<f4E2M1FN, scale = f8E4M3FN, block = [1, 16], symmetric> is not an MX scheme blocked along the last axis (E8M0 scales), the only kind these ops run; use qc.quantize_linear / qc.dequantize_linear for linear schemes}}
  %y = qc.dequantize %k, %s {scheme = #qc.scheme<"nvfp4">} : (tensor<2x32xf4E2M1FN>, tensor<2x2xf8E4M3FN>) -> tensor<2x32xf32>
  return
}

// -----

// An MX scale type blocked along another axis than the last.
func.func @quantize_mx_other_axis(%x: tensor<64x2xf32>) {
  // expected-error @+2 {{is not an MX scheme blocked along the last axis}}
  // expected-error @+1 {{'qc.quantize' op failed to infer returned types}}
  %c, %s = qc.quantize %x {scheme = #qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [32, 1], symmetric>} : tensor<64x2xf32> -> (tensor<64x2xf8E4M3FN>, tensor<2x2xf8E8M0FNU>)
  return
}

// -----

func.func @fusion_args(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op body takes no arguments}}
  %y = qc.fusion : tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>):
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.relu %p : (tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %r : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_anchor(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op body must start with qc.matmul, qc.qmatmul or qc.conv, got 'qc.neg'}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.neg %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
    %r = qc.relu %p : (tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %r : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_no_epilogue(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op has no epilogue op after its qc.matmul}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    qc.yield %p : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_epilogue_kind(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op 'qc.exp' cannot be an epilogue op of a fusion}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.exp %p : (tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %r : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_two_uses(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op 'qc.mul' must be the only user of the previous op's result}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.mul %p, %p : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %r : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_not_reading(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op 'qc.relu' must be the only user of the previous op's result}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.relu %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %r : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_broadcast(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>, %b: tensor<3x2x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op epilogue result type 'tensor<3x2x4xf32>' differs from the anchor's 'tensor<2x4xf32>'}}
  %y = qc.fusion : tensor<3x2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.add %p, %b : (tensor<2x4xf32>, tensor<3x2x4xf32>) -> tensor<3x2x4xf32>
    qc.yield %r : tensor<3x2x4xf32>
  }
  return
}

// -----

func.func @fusion_yield(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op must yield the last epilogue op's result}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.relu %p : (tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %x : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_result_type(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op result type 'tensor<?x4xf32>' differs from the anchor's 'tensor<2x4xf32>'}}
  %y = qc.fusion : tensor<?x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.relu %p : (tensor<2x4xf32>) -> tensor<2x4xf32>
    qc.yield %r : tensor<2x4xf32>
  }
  return
}

// -----

func.func @fusion_terminator(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'qc.fusion' op body must end with qc.yield, got 'llvm.unreachable'}}
  %y = qc.fusion : tensor<2x4xf32> {
    %p = qc.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
    %r = qc.relu %p : (tensor<2x4xf32>) -> tensor<2x4xf32>
    llvm.unreachable
  }
  return
}
