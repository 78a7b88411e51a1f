// qc-fold-constants: subgraphs of constants evaluated by the Executor at
// compile time (Passes.td states the rules).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fold-constants))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-fold-constants{max-elements=8}))" | FileCheck %s --check-prefix=SMALL

// A ViT's class-token broadcast: where(equal(...)) of constants gives the
// Expand's shape; the Expand of a constant by it is a constant (its
// dynamic type takes the shape the Executor found), and the Concat and
// Add after it, and the function's result, get static types.
// CHECK-LABEL: func.func @class_token
// CHECK-SAME: -> tensor<1x3x4xf32>
// CHECK-NOT: qc.equal
// CHECK-NOT: qc.where
// CHECK-NOT: qc.expand
// CHECK: %[[T:.*]] = arith.constant dense<[{{\[}}[5.000000e-01, 1.500000e+00, 2.500000e+00, 3.500000e+00]]]> : tensor<1x1x4xf32>
// CHECK: qc.concat %[[T]], %arg0 {axis = 1 : i64} : (tensor<1x1x4xf32>, tensor<1x2x4xf32>) -> tensor<1x3x4xf32>
// CHECK: qc.add {{.*}} -> tensor<1x3x4xf32>
// SMALL-LABEL: func.func @class_token
// SMALL: qc.expand
func.func @class_token(%x: tensor<1x2x4xf32>) -> tensor<1x?x4xf32> {
  %t = arith.constant dense<[[[0.5, 1.5, 2.5, 3.5]]]> : tensor<1x1x4xf32>
  %a = arith.constant dense<[1, -1, -1]> : tensor<3xi64>
  %b = arith.constant dense<-1> : tensor<3xi64>
  %one = arith.constant dense<1> : tensor<3xi64>
  %e = qc.equal %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %s = qc.where %e, %one, %a : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %t2 = qc.expand %t, %s : (tensor<1x1x4xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %c = qc.concat %t2, %x {axis = 1 : i64} : (tensor<?x?x?xf32>, tensor<1x2x4xf32>) -> tensor<1x?x4xf32>
  %y = qc.add %c, %c : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
  return %y : tensor<1x?x4xf32>
}

// -----

// A position embedding interpolated at compile time (cubic Resize of a
// constant, which has no GPU kernel): one f32 constant, as a blob; only
// the value the run-time op reads is materialized.
// CHECK-LABEL: func.func @pos_embed
// CHECK-NOT: qc.resize
// CHECK-NOT: qc.transpose
// CHECK: %[[P:.*]] = arith.constant dense_resource<folded{{.*}}> : tensor<1x2x3x3xf32>
// CHECK: qc.add %arg0, %[[P]]
func.func @pos_embed(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %p = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]]> : tensor<1x2x2x2xf32>
  %t = qc.transpose %p {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %r = qc.resize %t {coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, mode = #qc.resize_mode<cubic>, nearest_mode = #qc.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 1.5, 1.5>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x3x3xf32>
  %y = qc.add %x, %r : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Left alone: an Expand of a small constant into a large one (the package
// would grow), a weight's dequantize (its scheme stays), an op that fails
// on its constants (its error belongs to the run, and nothing is reported
// here), and anything reading a run-time value.
// A fold beside the failing op still happens.
// CHECK-LABEL: func.func @kept
// CHECK: qc.expand
// CHECK: qc.dequantize_linear
// CHECK: qc.gather
// CHECK: qc.neg %arg0
// CHECK-NEXT: arith.constant dense<[-1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: qc.neg
func.func @kept(%x: tensor<4xf32>) -> (tensor<100000xf32>, tensor<4xf32>, tensor<1xf32>, tensor<4xf32>, tensor<2xf32>) {
  %c = arith.constant dense<2.0> : tensor<1xf32>
  %n = arith.constant dense<100000> : tensor<1xi64>
  %big = qc.expand %c, %n : (tensor<1xf32>, tensor<1xi64>) -> tensor<100000xf32>
  %q = arith.constant dense<[1, -2, 3, 4]> : tensor<4xi8>
  %s = arith.constant dense<0.5> : tensor<f32>
  %w = qc.dequantize_linear %q, %s : (tensor<4xi8>, tensor<f32>) -> tensor<4xf32>
  %i = arith.constant dense<[7]> : tensor<1xi64>
  %g = qc.gather %c, %i {axis = 0 : i64} : (tensor<1xf32>, tensor<1xi64>) -> tensor<1xf32>
  %y = qc.neg %x : (tensor<4xf32>) -> tensor<4xf32>
  %two = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %nt = qc.neg %two : (tensor<2xf32>) -> tensor<2xf32>
  return %big, %w, %g, %y, %nt : tensor<100000xf32>, tensor<4xf32>, tensor<1xf32>, tensor<4xf32>, tensor<2xf32>
}

// -----

// An Expand of a run-time value by a shape now constant gets a static type
// (numpy broadcasting of its input's dims and the shape), and so do the
// Cast (its input's shape) and the ops that infer their types after it.
// CHECK-LABEL: func.func @pooling_mask
// CHECK-SAME: -> tensor<2x3x4xf32>
// CHECK: qc.expand %arg0, %{{.*}} : (tensor<2x3x1xi64>, tensor<3xi64>) -> tensor<2x3x4xi64>
// CHECK: qc.cast %{{.*}} : (tensor<2x3x4xi64>) -> tensor<2x3x4xf32>
// CHECK: qc.mul {{.*}} -> tensor<2x3x4xf32>
func.func @pooling_mask(%m: tensor<2x3x1xi64>, %h: tensor<2x3x4xf32>) -> tensor<?x?x?xf32> {
  %a = arith.constant dense<[-1, -1, 4]> : tensor<3xi64>
  %b = arith.constant dense<-1> : tensor<3xi64>
  %one = arith.constant dense<1> : tensor<3xi64>
  %e = qc.equal %a, %b : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %s = qc.where %e, %one, %a : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %x = qc.expand %m, %s : (tensor<2x3x1xi64>, tensor<3xi64>) -> tensor<?x?x?xi64>
  %f = qc.cast %x : (tensor<?x?x?xi64>) -> tensor<?x?x?xf32>
  %y = qc.mul %f, %h : (tensor<?x?x?xf32>, tensor<2x3x4xf32>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// Limits are checked before anything runs: a ConstantOfShape of 2^30
// elements (its type static) is never evaluated, and the small fold beside
// it still happens.
// CHECK-LABEL: func.func @huge
// CHECK: qc.constant_of_shape
// CHECK-NOT: qc.neg
func.func @huge(%x: tensor<32768x32768xf32>) -> (tensor<32768x32768xf32>, tensor<2xf32>) {
  %s = arith.constant dense<[32768, 32768]> : tensor<2xi64>
  %z = qc.constant_of_shape %s {value = 0.0 : f32} : (tensor<2xi64>) -> tensor<32768x32768xf32>
  %y = qc.add %x, %z : (tensor<32768x32768xf32>, tensor<32768x32768xf32>) -> tensor<32768x32768xf32>
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %n = qc.neg %c : (tensor<2xf32>) -> tensor<2xf32>
  return %y, %n : tensor<32768x32768xf32>, tensor<2xf32>
}

// -----

// YOLOv8's anchor grid: f32 Ranges of constants (0.5 to 4 by 1) have a
// dynamic type at import; the pass gives them the Executor's count
// (ceil((limit - start) / delta)), then folds them and what follows. A
// Range too long for the limits keeps its refined type but stays an op.
// CHECK-LABEL: func.func @anchor_range
// CHECK-SAME: -> (tensor<4xf32>, tensor<4xf32>, tensor<15xf32>)
// CHECK-NOT: qc.range
// CHECK: arith.constant dense<[5.000000e-01, 1.500000e+00, 2.500000e+00, 3.500000e+00]> : tensor<4xf32>
// CHECK: qc.add %arg0,
// SMALL-LABEL: func.func @anchor_range
// SMALL-SAME: -> (tensor<4xf32>, tensor<4xf32>, tensor<15xf32>)
// SMALL: qc.range {{.*}} -> tensor<15xf32>
func.func @anchor_range(%x: tensor<4xf32>) -> (tensor<?xf32>, tensor<4xf32>, tensor<?xf32>) {
  %s = arith.constant dense<0.5> : tensor<f32>
  %l = arith.constant dense<4.0> : tensor<f32>
  %d = arith.constant dense<1.0> : tensor<f32>
  %l2 = arith.constant dense<8.0> : tensor<f32>
  %h = arith.constant dense<0.5> : tensor<f32>
  %r = qc.range %s, %l, %d : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %y = qc.add %x, %r : (tensor<4xf32>, tensor<?xf32>) -> tensor<4xf32>
  %r2 = qc.range %s, %l2, %h : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %r, %y, %r2 : tensor<?xf32>, tensor<4xf32>, tensor<?xf32>
}

// -----

// A Range longer than the Executor allows (2^32 elements) keeps its
// dynamic type: the run reports it.
// CHECK-LABEL: func.func @huge_range
// CHECK: qc.range {{.*}} -> tensor<?xf32>
func.func @huge_range() -> tensor<?xf32> {
  %s = arith.constant dense<0.0> : tensor<f32>
  %l = arith.constant dense<1.0e10> : tensor<f32>
  %d = arith.constant dense<1.0> : tensor<f32>
  %r = qc.range %s, %l, %d : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %r : tensor<?xf32>
}
