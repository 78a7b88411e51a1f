// qc-raise-patterns: rules R1-R6 of docs/Calibration.md, and what each
// refuses.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-raise-patterns))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-raise-patterns{patterns=silu}))" | FileCheck %s --check-prefix=ONLY
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-raise-patterns{patterns=silu,swish}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: unknown pattern 'swish'; known: all, silu, gelu, layer-norm, rms-norm, attention, hard-swish

// R1: x * sigmoid(x), either operand order.
// CHECK-LABEL: func.func @silu
// CHECK: %[[S:.*]] = qc.silu %arg0
// CHECK: qc.mul %[[S]], %arg1
// CHECK: qc.silu %arg1
// CHECK-NOT: qc.sigmoid
// ONLY-LABEL: func.func @silu
// ONLY-COUNT-2: qc.silu
func.func @silu(%x: tensor<2x8xf32>, %up: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %s = qc.sigmoid %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %a = qc.mul %x, %s : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %g = qc.mul %a, %up : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %s2 = qc.sigmoid %up : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %b = qc.mul %s2, %up : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %g, %b : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// A sigmoid read elsewhere stays, and so does the product; a sigmoid of
// another value is not a SiLU.
// CHECK-LABEL: func.func @silu_refused
// CHECK-NOT: qc.silu
func.func @silu_refused(%x: tensor<8xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %s = qc.sigmoid %x : (tensor<8xf32>) -> tensor<8xf32>
  %a = qc.mul %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %t = qc.sigmoid %y : (tensor<8xf32>) -> tensor<8xf32>
  %b = qc.mul %x, %t : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %a, %s, %b : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// R2: GELU, erf form as PyTorch exports it: x * 0.5 * (1 + erf(x / sqrt 2)).
// CHECK-LABEL: func.func @gelu_erf
// CHECK-NOT: qc.erf
// CHECK: %[[G:.*]] = qc.gelu %arg0 {approximate = #qc.gelu_approximation<none>}
// CHECK: return %[[G]]
func.func @gelu_erf(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %d = qc.div %x, %sqrt2 : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %e = qc.erf %d : (tensor<4x16xf32>) -> tensor<4x16xf32>
  %p = qc.add %e, %one : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %m = qc.mul %x, %p : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = qc.mul %m, %half : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// R2: the erf form with the factors in another order and a multiply by
// 1/sqrt(2); the tanh form as GPT-2 writes it (Pow by 3).
// CHECK-LABEL: func.func @gelu_forms
// CHECK-NOT: qc.tanh
// CHECK: qc.gelu %arg0 {approximate = #qc.gelu_approximation<none>}
// CHECK: qc.gelu %arg1 {approximate = #qc.gelu_approximation<tanh>}
func.func @gelu_forms(%x: tensor<16xf32>, %y: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %inv = arith.constant dense<0.707106769> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %hx = qc.mul %half, %x : (tensor<f32>, tensor<16xf32>) -> tensor<16xf32>
  %d = qc.mul %x, %inv : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %e = qc.erf %d : (tensor<16xf32>) -> tensor<16xf32>
  %p = qc.add %one, %e : (tensor<f32>, tensor<16xf32>) -> tensor<16xf32>
  %r = qc.mul %hx, %p : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %three = arith.constant dense<3.0> : tensor<f32>
  %coef = arith.constant dense<0.044715> : tensor<f32>
  %k = arith.constant dense<0.797884583> : tensor<f32>
  %c = qc.pow %y, %three : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %cc = qc.mul %c, %coef : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %s = qc.add %y, %cc : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %sk = qc.mul %s, %k : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %t = qc.tanh %sk : (tensor<16xf32>) -> tensor<16xf32>
  %t1 = qc.add %t, %one : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %yt = qc.mul %y, %t1 : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %r2 = qc.mul %yt, %half : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return %r, %r2 : tensor<16xf32>, tensor<16xf32>
}

// -----

// A wrong constant (0.6 instead of 0.5) is not a GELU.
// CHECK-LABEL: func.func @gelu_wrong_constant
// CHECK-NOT: qc.gelu
// CHECK: qc.erf
func.func @gelu_wrong_constant(%x: tensor<16xf32>) -> tensor<16xf32> {
  %inv = arith.constant dense<0.707106769> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %c = arith.constant dense<0.6> : tensor<f32>
  %d = qc.mul %x, %inv : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %e = qc.erf %d : (tensor<16xf32>) -> tensor<16xf32>
  %p = qc.add %e, %one : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %m = qc.mul %x, %p : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %r = qc.mul %m, %c : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// R3: LayerNormalization spelled out (as torch.onnx writes it before
// opset 17), gain [1, 1, D] viewed as [D], bias; x also feeds a residual.
// CHECK-LABEL: func.func @layer_norm
// CHECK-NOT: qc.sqrt
// CHECK-DAG: %[[G:.*]] = arith.constant dense<2.000000e+00> : tensor<8xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = qc.layer_norm %arg0, %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK: qc.add %[[Y]], %arg0
func.func @layer_norm(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %g = arith.constant dense<2.0> : tensor<1x1x8xf32>
  %b = arith.constant dense<1.0> : tensor<8xf32>
  %mu = qc.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x3x8xf32>) -> tensor<2x3x1xf32>
  %d = qc.sub %x, %mu : (tensor<2x3x8xf32>, tensor<2x3x1xf32>) -> tensor<2x3x8xf32>
  %sq = qc.pow %d, %two : (tensor<2x3x8xf32>, tensor<f32>) -> tensor<2x3x8xf32>
  %var = qc.reduce_mean %sq {axes = array<i64: 2>, keepdims = true} : (tensor<2x3x8xf32>) -> tensor<2x3x1xf32>
  %ve = qc.add %var, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %sd = qc.sqrt %ve : (tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %n = qc.div %d, %sd : (tensor<2x3x8xf32>, tensor<2x3x1xf32>) -> tensor<2x3x8xf32>
  %ng = qc.mul %n, %g : (tensor<2x3x8xf32>, tensor<1x1x8xf32>) -> tensor<2x3x8xf32>
  %y = qc.add %ng, %b : (tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  %r = qc.add %y, %x : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %r : tensor<2x3x8xf32>
}

// -----

// R3 refused when the centred value is also returned: it stays, and what
// follows it is an RMSNorm of it (R4).
// CHECK-LABEL: func.func @layer_norm_refused
// CHECK-NOT: qc.layer_norm
// CHECK: %[[D:.*]] = qc.sub %arg0
// CHECK: qc.rms_norm %[[D]]
func.func @layer_norm_refused(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %mu = qc.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %d = qc.sub %x, %mu : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %sq = qc.mul %d, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %var = qc.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve = qc.add %var, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %sd = qc.sqrt %ve : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = qc.div %d, %sd : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %n, %d : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// R4: RMSNorm as the LLaMA example writes it (Pow, ReduceMean, Add,
// Sqrt, Div, Mul by the gain), and one without a gain (ones).
// CHECK-LABEL: func.func @rms_norm
// CHECK-NOT: qc.sqrt
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<16xf32>
// CHECK: %[[N:.*]] = qc.rms_norm %arg0, %arg1 {axis = 1 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK: qc.rms_norm %[[N]], %[[ONES]] {axis = 1 : i64
func.func @rms_norm(%x: tensor<4x16xf32>, %g: tensor<16xf32>) -> tensor<4x16xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %sq = qc.pow %x, %two : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %ms = qc.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<4x16xf32>) -> tensor<4x1xf32>
  %me = qc.add %ms, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %r = qc.sqrt %me : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = qc.div %x, %r : (tensor<4x16xf32>, tensor<4x1xf32>) -> tensor<4x16xf32>
  %y = qc.mul %n, %g : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %sq2 = qc.mul %y, %y : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %ms2 = qc.reduce_mean %sq2 {axes = array<i64: 1>, keepdims = true} : (tensor<4x16xf32>) -> tensor<4x1xf32>
  %me2 = qc.add %eps, %ms2 : (tensor<f32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %r2 = qc.sqrt %me2 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n2 = qc.div %y, %r2 : (tensor<4x16xf32>, tensor<4x1xf32>) -> tensor<4x16xf32>
  return %n2 : tensor<4x16xf32>
}

// -----

// R4 refused: the mean is not over the trailing axis, or has no keepdims.
// CHECK-LABEL: func.func @rms_norm_refused
// CHECK-NOT: qc.rms_norm
func.func @rms_norm_refused(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %sq = qc.pow %x, %two : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %ms = qc.reduce_mean %sq {axes = array<i64: 0>, keepdims = true} : (tensor<4x16xf32>) -> tensor<1x16xf32>
  %me = qc.add %ms, %eps : (tensor<1x16xf32>, tensor<f32>) -> tensor<1x16xf32>
  %r = qc.sqrt %me : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %n = qc.div %x, %r : (tensor<4x16xf32>, tensor<1x16xf32>) -> tensor<4x16xf32>
  return %n : tensor<4x16xf32>
}

// -----

// R5: attention with a Mul scale and an additive causal mask (LLaMA), and
// with a Div scale and a Where mask (GPT-2).
// CHECK-LABEL: func.func @attention
// CHECK-NOT: qc.softmax
// CHECK: qc.attention %arg0, %arg1, %arg2, %arg3 {scale = 2.500000e-01 : f32}
// CHECK: qc.attention %arg0, %arg1, %arg2, %arg4 {mask_value = -1.000000e+04 : f32, scale = 2.500000e-01 : f32}
func.func @attention(%q: tensor<1x2x4x16xf32>, %kt: tensor<1x2x16x4xf32>, %v: tensor<1x2x4x16xf32>, %m: tensor<4x4xf32>, %c: tensor<4x4xi1>) -> (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>) {
  %scale = arith.constant dense<0.25> : tensor<f32>
  %s = qc.matmul %q, %kt : (tensor<1x2x4x16xf32>, tensor<1x2x16x4xf32>) -> tensor<1x2x4x4xf32>
  %ss = qc.mul %s, %scale : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %sm = qc.add %ss, %m : (tensor<1x2x4x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = qc.softmax %sm {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = qc.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  %four = arith.constant dense<4.0> : tensor<f32>
  %fill = arith.constant dense<-1.0e4> : tensor<f32>
  %s2 = qc.matmul %q, %kt : (tensor<1x2x4x16xf32>, tensor<1x2x16x4xf32>) -> tensor<1x2x4x4xf32>
  %d2 = qc.div %s2, %four : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %w2 = qc.where %c, %d2, %fill : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p2 = qc.softmax %w2 {axis = 3 : i64} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o2 = qc.matmul %p2, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  return %o, %o2 : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
}

// -----

// R5 without scale or mask; refused when the probabilities are also
// returned, or the softmax is over another axis.
// CHECK-LABEL: func.func @attention_plain
// CHECK: qc.attention %arg0, %arg1, %arg2 {scale = 1.000000e+00 : f32}
// CHECK-COUNT-2: qc.softmax
func.func @attention_plain(%q: tensor<4x8xf32>, %kt: tensor<8x6xf32>, %v: tensor<6x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x6xf32>, tensor<4x3xf32>) {
  %s = qc.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32>
  %p = qc.softmax %s {axis = 1 : i64} : (tensor<4x6xf32>) -> tensor<4x6xf32>
  %o = qc.matmul %p, %v : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  %s2 = qc.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32>
  %p2 = qc.softmax %s2 {axis = 1 : i64} : (tensor<4x6xf32>) -> tensor<4x6xf32>
  %o2 = qc.matmul %p2, %v : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  %sT = qc.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32>
  %pT = qc.softmax %sT {axis = 0 : i64} : (tensor<4x6xf32>) -> tensor<4x6xf32>
  %oT = qc.matmul %pT, %v : (tensor<4x6xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  return %o, %o2, %p2, %oT : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x6xf32>, tensor<4x3xf32>
}

// -----

// A gain computed after the division (not a constant): the norm is built
// where the gain multiply was, so it still dominates its uses.
// CHECK-LABEL: func.func @rms_norm_late_gain
// CHECK: %[[G:.*]] = qc.add %arg1, %arg1
// CHECK: qc.rms_norm %arg0, %[[G]] {axis = 1 : i64
func.func @rms_norm_late_gain(%x: tensor<4x16xf32>, %g0: tensor<16xf32>) -> tensor<4x16xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %sq = qc.pow %x, %two : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %ms = qc.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<4x16xf32>) -> tensor<4x1xf32>
  %me = qc.add %ms, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %r = qc.sqrt %me : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %n = qc.div %x, %r : (tensor<4x16xf32>, tensor<4x1xf32>) -> tensor<4x16xf32>
  %g = qc.add %g0, %g0 : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %y = qc.mul %n, %g : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// R6: HardSwish as PP-OCR's backbone is exported (x also read elsewhere),
// and with the division written as a product by 1/6.
// CHECK-LABEL: func.func @hard_swish
// CHECK-NOT: qc.clip
// CHECK: %[[H:.*]] = qc.hard_swish %arg0
// CHECK: qc.add %[[H]], %arg0
// CHECK: qc.hard_swish %arg1
func.func @hard_swish(%x: tensor<1x4x8xf32>, %y: tensor<8xf32>) -> (tensor<1x4x8xf32>, tensor<8xf32>) {
  %three = arith.constant dense<3.0> : tensor<1xf32>
  %six = arith.constant dense<6.0> : tensor<1xf32>
  %a = qc.add %x, %three : (tensor<1x4x8xf32>, tensor<1xf32>) -> tensor<1x4x8xf32>
  %c = qc.clip %a {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : (tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %m = qc.mul %x, %c : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %d = qc.div %m, %six : (tensor<1x4x8xf32>, tensor<1xf32>) -> tensor<1x4x8xf32>
  %r = qc.add %d, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %three2 = arith.constant dense<3.0> : tensor<f32>
  %sixth = arith.constant dense<0.166666672> : tensor<f32>
  %a2 = qc.add %three2, %y : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %c2 = qc.clip %a2 {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : (tensor<8xf32>) -> tensor<8xf32>
  %m2 = qc.mul %c2, %sixth : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %h2 = qc.mul %m2, %y : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %r, %h2 : tensor<1x4x8xf32>, tensor<8xf32>
}

// -----

// R6 refused: clip to [0, 5].
// CHECK-LABEL: func.func @hard_swish_refused
// CHECK-NOT: qc.hard_swish
func.func @hard_swish_refused(%x: tensor<8xf32>) -> tensor<8xf32> {
  %three = arith.constant dense<3.0> : tensor<f32>
  %six = arith.constant dense<6.0> : tensor<f32>
  %a = qc.add %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = qc.clip %a {max = 5.000000e+00 : f32, min = 0.000000e+00 : f32} : (tensor<8xf32>) -> tensor<8xf32>
  %m = qc.mul %x, %c : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %d = qc.div %m, %six : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %d : tensor<8xf32>
}

// -----

// The tanh GELU with x^3 written as x * x * x (and the constant first).
// CHECK-LABEL: func.func @gelu_tanh_product
// CHECK-NOT: qc.tanh
// CHECK: qc.gelu %arg0 {approximate = #qc.gelu_approximation<tanh>}
func.func @gelu_tanh_product(%x: tensor<16xf32>) -> tensor<16xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %coef = arith.constant dense<0.044715> : tensor<f32>
  %k = arith.constant dense<0.797884583> : tensor<f32>
  %x2 = qc.mul %x, %x : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %x3 = qc.mul %x2, %x : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %cc = qc.mul %coef, %x3 : (tensor<f32>, tensor<16xf32>) -> tensor<16xf32>
  %s = qc.add %x, %cc : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %sk = qc.mul %s, %k : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %t = qc.tanh %sk : (tensor<16xf32>) -> tensor<16xf32>
  %t1 = qc.add %t, %one : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %yt = qc.mul %x, %t1 : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  %r = qc.mul %yt, %half : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

// A norm over dynamic dims is left alone (a norm without a gain would need
// a constant of ones over them).
// CHECK-LABEL: func.func @rms_norm_dynamic
// CHECK-NOT: qc.rms_norm
// CHECK: qc.sqrt
func.func @rms_norm_dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %sq = qc.pow %x, %two : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %ms = qc.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<?x?xf32>) -> tensor<?x1xf32>
  %me = qc.add %ms, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %r = qc.sqrt %me : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %n = qc.div %x, %r : (tensor<?x?xf32>, tensor<?x1xf32>) -> tensor<?x?xf32>
  return %n : tensor<?x?xf32>
}
