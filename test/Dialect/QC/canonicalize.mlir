// RUN: quant-opt %s -split-input-file --canonicalize | FileCheck %s
// Folds of the dialect: shape queries of static tensors, relayouts and
// integer arithmetic of small constants (shape computations).

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

// Integer arithmetic wraps to the element width; float arithmetic and
// broadcasting operands do not fold (the Executor's rounding is the spec).
// CHECK-LABEL: func.func @wrap_and_refusals
// CHECK-DAG: arith.constant dense<-128> : tensor<2xi8>
// CHECK-DAG: qc.add %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-DAG: qc.mul %{{.*}}, %{{.*}} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
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
