// RUN: quant-opt %s -split-input-file --canonicalize | FileCheck %s
// Folds of the dialect: shape queries of static tensors, relayouts and
// integer arithmetic of small constants (shape computations), and the
// float pow and float-to-integer casts of shape arithmetic.

// CHECK-LABEL: func.func @shape_of_static
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[3, 5]> : tensor<2xi64>
// CHECK-DAG: %[[N:.*]] = arith.constant dense<30> : tensor<i64>
// CHECK: return %[[S]], %[[N]]
func.func @shape_of_static(%x: tensor<2x3x5xf32>) -> (tensor<2xi64>, tensor<i64>) {
  %s = qc.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<2x3x5xf32>) -> tensor<2xi64>
  %n = qc.size %x : (tensor<2x3x5xf32>) -> tensor<i64>
  return %s, %n : tensor<2xi64>, tensor<i64>
}

// -----

// A dynamic dim in the range, or anywhere for qc.size, stays.
// CHECK-LABEL: func.func @shape_of_dynamic
// CHECK: arith.constant dense<3> : tensor<1xi64>
// CHECK: qc.shape %arg0 {end = 2 : i64, start = 0 : i64}
// CHECK: qc.size %arg0
func.func @shape_of_dynamic(%x: tensor<?x3x5xf32>) -> (tensor<1xi64>, tensor<2xi64>, tensor<i64>) {
  %a = qc.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<?x3x5xf32>) -> tensor<1xi64>
  %b = qc.shape %x {start = 0 : i64, end = 2 : i64} : (tensor<?x3x5xf32>) -> tensor<2xi64>
  %n = qc.size %x : (tensor<?x3x5xf32>) -> tensor<i64>
  return %a, %b, %n : tensor<1xi64>, tensor<2xi64>, tensor<i64>
}

// -----

// A shape computation as exporters write it: Shape, Gather-free slicing by
// start/end, arithmetic, Concat, Unsqueeze — all constant for a static
// input.
// CHECK-LABEL: func.func @shape_arithmetic
// CHECK: %[[C:.*]] = arith.constant dense<[6, -1, 10]> : tensor<3xi64>
// CHECK-NEXT: %[[U:.*]] = arith.constant dense<{{\[\[}}6, -1, 10]]> : tensor<1x3xi64>
// CHECK-NEXT: return %[[C]], %[[U]]
func.func @shape_arithmetic(%x: tensor<2x3x5xf32>) -> (tensor<3xi64>, tensor<1x3xi64>) {
  %s0 = qc.shape %x {start = 0 : i64, end = 1 : i64} : (tensor<2x3x5xf32>) -> tensor<1xi64>
  %s1 = qc.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<2x3x5xf32>) -> tensor<1xi64>
  %s2 = qc.shape %x {start = 2 : i64, end = 3 : i64} : (tensor<2x3x5xf32>) -> tensor<1xi64>
  %m = qc.mul %s0, %s1 : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %w = qc.mul %s2, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %minus = arith.constant dense<-1> : tensor<1xi64>
  %z = qc.sub %s0, %s0 : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m1 = qc.add %z, %minus : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %c = qc.concat %m, %m1, %w {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %u = qc.unsqueeze %c {axes = array<i64: 0>} : (tensor<3xi64>) -> tensor<1x3xi64>
  return %c, %u : tensor<3xi64>, tensor<1x3xi64>
}

// -----

// Integer arithmetic wraps to the element width and broadcasts as numpy;
// float arithmetic does not fold (the Executor's rounding is the spec).
// CHECK-LABEL: func.func @wrap_and_refusals
// CHECK-DAG: arith.constant dense<-128> : tensor<2xi8>
// CHECK-DAG: qc.add %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-DAG: arith.constant dense<[8, 12]> : tensor<2xi64>
// CHECK-NOT: qc.mul
func.func @wrap_and_refusals() -> (tensor<2xi8>, tensor<2xf32>, tensor<2xi64>) {
  %a = arith.constant dense<127> : tensor<2xi8>
  %one = arith.constant dense<1> : tensor<2xi8>
  %w = qc.add %a, %one : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %f = arith.constant dense<0.1> : tensor<2xf32>
  %g = qc.add %f, %f : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %v = arith.constant dense<[2, 3]> : tensor<2xi64>
  %s = arith.constant dense<4> : tensor<i64>
  %b = qc.mul %v, %s : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %w, %g, %b : tensor<2xi8>, tensor<2xf32>, tensor<2xi64>
}

// -----

// Relayouts of small dense constants fold; a reshape to the same type is
// its input.
// CHECK-LABEL: func.func @relayout
// CHECK-DAG: arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<1x4xf32>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-NOT: qc.reshape
// CHECK-NOT: qc.flatten
// CHECK-NOT: qc.squeeze
// CHECK: return %arg0
func.func @relayout(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<1x4xf32>, tensor<4xf32>) {
  %c = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %same = qc.reshape %x {shape = array<i64: 2, 2>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %f = qc.flatten %c {axis = 0 : i64} : (tensor<2x2xf32>) -> tensor<1x4xf32>
  %s = qc.squeeze %f {axes = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<4xf32>
  return %same, %f, %s : tensor<2x2xf32>, tensor<1x4xf32>, tensor<4xf32>
}

// -----

// Integer division truncates toward zero (unsigned divides unsigned);
// INT64_MIN / -1 wraps; a zero divisor is left to the Executor's error.
// Negation and absolute value of integer constants wrap too.
// CHECK-LABEL: func.func @div_neg_abs
// CHECK-DAG: arith.constant dense<[-3, 3, -9223372036854775808]> : tensor<3xi64>
// CHECK-DAG: arith.constant dense<[2, 127]> : tensor<2xui8>
// CHECK-DAG: qc.div %{{.*}}, %{{.*}} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
// CHECK-DAG: arith.constant dense<[7, -9223372036854775808]> : tensor<2xi64>
// CHECK-DAG: arith.constant dense<[7, 9223372036854775807]> : tensor<2xi64>
func.func @div_neg_abs() -> (tensor<3xi64>, tensor<2xui8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) {
  %a = arith.constant dense<[-7, 7, -9223372036854775808]> : tensor<3xi64>
  %b = arith.constant dense<[2, 2, -1]> : tensor<3xi64>
  %q = qc.div %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %ua = arith.constant dense<[254, 255]> : tensor<2xui8>
  %ub = arith.constant dense<[127, 2]> : tensor<2xui8>
  %uq = qc.div %ua, %ub : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  %z = arith.constant dense<[1, 0]> : tensor<2xi64>
  %y = arith.constant dense<[4, 5]> : tensor<2xi64>
  %zq = qc.div %y, %z : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %n0 = arith.constant dense<[-7, -9223372036854775808]> : tensor<2xi64>
  %n = qc.neg %n0 : (tensor<2xi64>) -> tensor<2xi64>
  %ab0 = arith.constant dense<[-7, -9223372036854775807]> : tensor<2xi64>
  %ab = qc.abs %ab0 : (tensor<2xi64>) -> tensor<2xi64>
  return %q, %uq, %zq, %n, %ab : tensor<3xi64>, tensor<2xui8>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>
}

// -----

// Gather and slice of integer constants, and of the static dims of a
// qc.shape whose other dims are dynamic (F2); a pick of a dynamic dim stays.
// CHECK-LABEL: func.func @gather_slice
// CHECK-DAG: arith.constant dense<[30, 10]> : tensor<2xi64>
// CHECK-DAG: arith.constant dense<6> : tensor<i64>
// CHECK-DAG: arith.constant dense<[4, 6]> : tensor<2xi64>
// CHECK-DAG: arith.constant dense<{{\[}}[4], [6]]> : tensor<2x1xi64>
// CHECK: qc.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
func.func @gather_slice(%x: tensor<?x4x6xf32>) -> (tensor<2xi64>, tensor<i64>, tensor<2xi64>, tensor<2x1xi64>, tensor<i64>) {
  %c = arith.constant dense<[10, 20, 30]> : tensor<3xi64>
  %i = arith.constant dense<[2, -3]> : tensor<2xi64>
  %g = qc.gather %c, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %s = qc.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<?x4x6xf32>) -> tensor<3xi64>
  %two = arith.constant dense<2> : tensor<i64>
  %d2 = qc.gather %s, %two {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %tail = qc.slice %s {starts = array<i64: 1>, ends = array<i64: 3>, axes = array<i64: 0>, steps = array<i64: 1>} : (tensor<3xi64>) -> tensor<2xi64>
  %m = arith.constant dense<[[2, 4], [3, 6]]> : tensor<2x2xi64>
  %col = qc.slice %m {starts = array<i64: 1>, ends = array<i64: 2>, axes = array<i64: 1>, steps = array<i64: 1>} : (tensor<2x2xi64>) -> tensor<2x1xi64>
  %zero = arith.constant dense<0> : tensor<i64>
  %d0 = qc.gather %s, %zero {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  return %g, %d2, %tail, %col, %d0 : tensor<2xi64>, tensor<i64>, tensor<2xi64>, tensor<2x1xi64>, tensor<i64>
}

// -----

// Integer casts of constants wrap or extend by the source's signedness;
// float casts stay (the Executor's rounding).
// CHECK-LABEL: func.func @casts
// CHECK-DAG: arith.constant dense<[-1, 0]> : tensor<2xi8>
// CHECK-DAG: arith.constant dense<[255, 0]> : tensor<2xi64>
// CHECK-DAG: qc.cast %{{.*}} : (tensor<2xf32>) -> tensor<2xf16>
func.func @casts() -> (tensor<2xi8>, tensor<2xi64>, tensor<2xf16>) {
  %a = arith.constant dense<[255, 256]> : tensor<2xi64>
  %b = qc.cast %a : (tensor<2xi64>) -> tensor<2xi8>
  %u = arith.constant dense<[255, 0]> : tensor<2xui8>
  %w = qc.cast %u : (tensor<2xui8>) -> tensor<2xi64>
  %f = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %h = qc.cast %f : (tensor<2xf32>) -> tensor<2xf16>
  return %b, %w, %h : tensor<2xi8>, tensor<2xi64>, tensor<2xf16>
}

// -----

// Shape arithmetic done in float (an exporter's sqrt(positions) as Pow 0.5,
// then Cast to int64): f32 constants fold as the Executor computes them:
// pow by powf (x^2, x^3 as products in double), float to integer truncated
// toward zero, NaN to 0, clamped to the type's range. An unsigned target
// or a non-f32 pow stays.
// CHECK-LABEL: func.func @float_shape_arithmetic
// CHECK-DAG: arith.constant dense<[1.600000e+01, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[9.000000e+00, 6.250000e-02]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<[16, -2, 0, 127, -128]> : tensor<5xi8>
// CHECK-DAG: arith.constant dense<[2, 9223372036854775807]> : tensor<2xi64>
// CHECK-DAG: qc.cast %{{.*}} : (tensor<2xf32>) -> tensor<2xui8>
// CHECK-DAG: qc.pow %{{.*}} : (tensor<2xf16>, tensor<f16>) -> tensor<2xf16>
func.func @float_shape_arithmetic() -> (tensor<2xf32>, tensor<2xf32>, tensor<5xi8>, tensor<2xi64>, tensor<2xui8>, tensor<2xf16>) {
  %x = arith.constant dense<[256.0, 9.0]> : tensor<2xf32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %r = qc.pow %x, %half : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %y = arith.constant dense<[3.0, 0.25]> : tensor<2xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %sq = qc.pow %y, %two : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %f = arith.constant dense<[16.9, -2.7, 0x7FC00000, 1.0e6, -1.0e6]> : tensor<5xf32>
  %i = qc.cast %f : (tensor<5xf32>) -> tensor<5xi8>
  %big = arith.constant dense<[2.5, 1.0e30]> : tensor<2xf32>
  %l = qc.cast %big : (tensor<2xf32>) -> tensor<2xi64>
  %u = qc.cast %y : (tensor<2xf32>) -> tensor<2xui8>
  %h = arith.constant dense<[4.0, 9.0]> : tensor<2xf16>
  %hh = arith.constant dense<0.5> : tensor<f16>
  %hp = qc.pow %h, %hh : (tensor<2xf16>, tensor<f16>) -> tensor<2xf16>
  return %r, %sq, %i, %l, %u, %hp : tensor<2xf32>, tensor<2xf32>, tensor<5xi8>, tensor<2xi64>, tensor<2xui8>, tensor<2xf16>
}

// -----

// A concat of constants along an inner axis.
// CHECK-LABEL: func.func @concat_2d
// CHECK: arith.constant dense<{{\[}}[1, 2, 5], [3, 4, 6]]> : tensor<2x3xi64>
func.func @concat_2d() -> tensor<2x3xi64> {
  %a = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %b = arith.constant dense<[[5], [6]]> : tensor<2x1xi64>
  %c = qc.concat %a, %b {axis = 1 : i64} : (tensor<2x2xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  return %c : tensor<2x3xi64>
}

// -----

// An integer Range of constants whose result has the count, and an integer
// ConstantOfShape of a constant shape; a float fill stays.
// CHECK-LABEL: func.func @range_fill
// CHECK-DAG: arith.constant dense<[7, 4, 1]> : tensor<3xi64>
// CHECK-DAG: arith.constant dense<3> : tensor<2x2xi32>
// CHECK-DAG: qc.constant_of_shape %{{.*}} {value = 1.500000e+00 : f32}
func.func @range_fill() -> (tensor<3xi64>, tensor<2x2xi32>, tensor<2x2xf32>) {
  %s = arith.constant dense<7> : tensor<i64>
  %l = arith.constant dense<-1> : tensor<i64>
  %d = arith.constant dense<-3> : tensor<i64>
  %r = qc.range %s, %l, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %shape = arith.constant dense<[2, 2]> : tensor<2xi64>
  %c = qc.constant_of_shape %shape {value = 3 : i32} : (tensor<2xi64>) -> tensor<2x2xi32>
  %f = qc.constant_of_shape %shape {value = 1.5 : f32} : (tensor<2xi64>) -> tensor<2x2xf32>
  return %r, %c, %f : tensor<3xi64>, tensor<2x2xi32>, tensor<2x2xf32>
}

// -----

// An unsigned range is not folded (the folder reads its bounds as signed).
// CHECK-LABEL: func.func @range_unsigned
// CHECK: qc.range
func.func @range_unsigned() -> tensor<2xui64> {
  %s = arith.constant dense<18446744073709551614> : tensor<ui64>
  %l = arith.constant dense<0> : tensor<ui64>
  %d = arith.constant dense<1> : tensor<ui64>
  %r = qc.range %s, %l, %d : (tensor<ui64>, tensor<ui64>, tensor<ui64>) -> tensor<2xui64>
  return %r : tensor<2xui64>
}

// -----

// The tests an If's condition is made of: equal of integer (and i1)
// constants with broadcasting, not, and casts to bool (x != 0; NaN is
// true). A float equal is left alone.
// CHECK-LABEL: func.func @conditions
// CHECK-DAG: arith.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG: arith.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: arith.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: arith.constant dense<[false, true, true]> : tensor<3xi1>
// CHECK-DAG: qc.equal %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
func.func @conditions() -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2xi1>) {
  %a = arith.constant dense<[1, 2, 1]> : tensor<3xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %e = qc.equal %a, %one : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi1>
  %n = qc.not %e : (tensor<3xi1>) -> tensor<3xi1>
  %d = arith.constant dense<[-3, 0, 0]> : tensor<3xi32>
  %b = qc.cast %d : (tensor<3xi32>) -> tensor<3xi1>
  %f = arith.constant dense<[0.0, 0x7FC00000, -0.5]> : tensor<3xf32>
  %fb = qc.cast %f : (tensor<3xf32>) -> tensor<3xi1>
  %x = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %fe = qc.equal %x, %y : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  return %e, %n, %b, %fb, %fe : tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2xi1>
}
