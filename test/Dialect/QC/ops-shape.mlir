// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// Round trip of every op of the Shape family (docs/Ops-shape.md).

// CHECK-LABEL: func @layout
func.func @layout(%x: tensor<?x4x6xf32>, %i: tensor<2xi64>, %s: tensor<3xi64>) -> tensor<?x?x?xf32> {
  // CHECK: qc.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<?x4x6xf32>, tensor<2xi64>) -> tensor<?x2x6xf32>
  %0 = qc.gather %x, %i {axis = 1 : i64} : (tensor<?x4x6xf32>, tensor<2xi64>) -> tensor<?x2x6xf32>
  // CHECK: qc.gather_elements %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<?x4x6xf32>, tensor<1x4x6xi64>) -> tensor<1x4x6xf32>
  %ie = arith.constant dense<0> : tensor<1x4x6xi64>
  %1 = qc.gather_elements %x, %ie {axis = 0 : i64} : (tensor<?x4x6xf32>, tensor<1x4x6xi64>) -> tensor<1x4x6xf32>
  // CHECK: qc.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<?x4x6xf32>, tensor<?x2x6xf32>) -> tensor<?x6x6xf32>
  %2 = qc.concat %x, %0 {axis = 1 : i64} : (tensor<?x4x6xf32>, tensor<?x2x6xf32>) -> tensor<?x6x6xf32>
  // CHECK: qc.slice %{{.*}} {axes = array<i64: 1, 2>, ends = array<i64: -1, -100>, starts = array<i64: 1, 5>, steps = array<i64: 2, -2>} : (tensor<?x6x6xf32>) -> tensor<?x2x3xf32>
  %3 = qc.slice %2 {starts = array<i64: 1, 5>, ends = array<i64: -1, -100>, axes = array<i64: 1, 2>, steps = array<i64: 2, -2>} : (tensor<?x6x6xf32>) -> tensor<?x2x3xf32>
  // CHECK: qc.unsqueeze %{{.*}} {axes = array<i64: 0, 3>} : (tensor<?x2x3xf32>) -> tensor<1x?x2x1x3xf32>
  %4 = qc.unsqueeze %3 {axes = array<i64: 0, 3>} : (tensor<?x2x3xf32>) -> tensor<1x?x2x1x3xf32>
  // CHECK: qc.squeeze %{{.*}} {axes = array<i64: 0, 3>} : (tensor<1x?x2x1x3xf32>) -> tensor<?x2x3xf32>
  %5 = qc.squeeze %4 {axes = array<i64: 0, 3>} : (tensor<1x?x2x1x3xf32>) -> tensor<?x2x3xf32>
  // CHECK: qc.expand %{{.*}}, %{{.*}} : (tensor<?x2x3xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %6 = qc.expand %5, %s : (tensor<?x2x3xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.tile %{{.*}}, %{{.*}} : (tensor<?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %7 = qc.tile %6, %s : (tensor<?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.dynamic_reshape %{{.*}}, %{{.*}} : (tensor<?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %8 = qc.dynamic_reshape %7, %s : (tensor<?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.dynamic_reshape %{{.*}}, %{{.*}} {allowzero = true}
  %9 = qc.dynamic_reshape %8, %s {allowzero = true} : (tensor<?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.dynamic_slice %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x?xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x?xf32>
  %10 = qc.dynamic_slice %9, %i, %i, %i, %i : (tensor<?x?x?xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.dynamic_squeeze %{{.*}}, %{{.*}} : (tensor<?x?x?xf32>, tensor<2xi64>) -> tensor<?xf32>
  %11 = qc.dynamic_squeeze %10, %i : (tensor<?x?x?xf32>, tensor<2xi64>) -> tensor<?xf32>
  // CHECK: qc.dynamic_unsqueeze %{{.*}}, %{{.*}} : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x?x?xf32>
  %12 = qc.dynamic_unsqueeze %11, %i : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.dynamic_split %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<?x?x?xf32>, tensor<2xi64>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>)
  %13:2 = qc.dynamic_split %12, %i {axis = 0 : i64} : (tensor<?x?x?xf32>, tensor<2xi64>) -> (tensor<?x?x?xf32>, tensor<?x?x?xf32>)
  // CHECK: qc.flatten %{{.*}} {axis = 2 : i64} : (tensor<?x?x?xf32>) -> tensor<?x?xf32>
  %14 = qc.flatten %13#0 {axis = 2 : i64} : (tensor<?x?x?xf32>) -> tensor<?x?xf32>
  return %13#1 : tensor<?x?x?xf32>
}

// CHECK-LABEL: func @shape_values
func.func @shape_values(%x: tensor<?x3x4xf32>, %n: tensor<i64>) -> (tensor<2xi64>, tensor<?xi64>, tensor<?xf32>, tensor<?x?xi64>) {
  // CHECK: qc.shape %{{.*}} {end = 2 : i64, start = 0 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  %0 = qc.shape %x {start = 0 : i64, end = 2 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  // CHECK: qc.size %{{.*}} : (tensor<?x3x4xf32>) -> tensor<i64>
  %sz = qc.size %x : (tensor<?x3x4xf32>) -> tensor<i64>
  %c0 = arith.constant dense<0> : tensor<i64>
  %c1 = arith.constant dense<1> : tensor<i64>
  // CHECK: qc.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %1 = qc.range %c0, %n, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %f0 = arith.constant dense<0.5> : tensor<f32>
  // CHECK: qc.range {{.*}} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %2 = qc.range %f0, %f0, %f0 : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  // CHECK: qc.constant_of_shape %{{.*}} {value = 7 : i64} : (tensor<2xi64>) -> tensor<?x?xi64>
  %3 = qc.constant_of_shape %0 {value = 7 : i64} : (tensor<2xi64>) -> tensor<?x?xi64>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<?xi64>, tensor<?xf32>, tensor<?x?xi64>
}

// Expand's shape may be shorter than the input (bidirectional broadcast).
// CHECK-LABEL: func @expand_short_shape
func.func @expand_short_shape(%x: tensor<2x3x1xf32>, %s: tensor<1xi64>) -> tensor<?x?x?xf32> {
  // CHECK: qc.expand %{{.*}}, %{{.*}} : (tensor<2x3x1xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
  %0 = qc.expand %x, %s : (tensor<2x3x1xf32>, tensor<1xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// qc.pad (S14): static pads (begins, then ends; negative crops), a mode
// and an optional fill; qc.dynamic_pad with run-time pads and fill.
// CHECK-LABEL: func @pads
func.func @pads(%x: tensor<?x4x6xf32>, %p: tensor<6xi64>, %v: tensor<f32>, %q: tensor<2x3xi8>) -> (tensor<?x7x5xf32>, tensor<?x8x10xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<4x3xi8>) {
  // CHECK: qc.pad %{{.*}} {pads = array<i64: 0, 1, 0, 0, 2, -1>} : (tensor<?x4x6xf32>) -> tensor<?x7x5xf32>
  %0 = qc.pad %x {pads = array<i64: 0, 1, 0, 0, 2, -1>} : (tensor<?x4x6xf32>) -> tensor<?x7x5xf32>
  // CHECK: qc.pad %{{.*}} {mode = #qc.pad_mode<reflect>, pads = array<i64: 0, 2, 2, 0, 2, 2>}
  %1 = qc.pad %x {mode = #qc.pad_mode<reflect>, pads = array<i64: 0, 2, 2, 0, 2, 2>} : (tensor<?x4x6xf32>) -> tensor<?x8x10xf32>
  // CHECK: qc.dynamic_pad %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4x6xf32>, tensor<6xi64>, tensor<f32>) -> tensor<?x?x?xf32>
  %2 = qc.dynamic_pad %x, %p, %v : (tensor<?x4x6xf32>, tensor<6xi64>, tensor<f32>) -> tensor<?x?x?xf32>
  // CHECK: qc.dynamic_pad %{{.*}}, %{{.*}} {mode = #qc.pad_mode<wrap>} : (tensor<?x4x6xf32>, tensor<6xi64>) -> tensor<?x?x?xf32>
  %3 = qc.dynamic_pad %x, %p {mode = #qc.pad_mode<wrap>} : (tensor<?x4x6xf32>, tensor<6xi64>) -> tensor<?x?x?xf32>
  // CHECK: qc.pad %{{.*}} {pads = array<i64: 1, 0, 1, 0>, value = -128 : i8} : (tensor<2x3xi8>) -> tensor<4x3xi8>
  %4 = qc.pad %q {mode = #qc.pad_mode<constant>, pads = array<i64: 1, 0, 1, 0>, value = -128 : i8} : (tensor<2x3xi8>) -> tensor<4x3xi8>
  return %0, %1, %2, %3, %4 : tensor<?x7x5xf32>, tensor<?x8x10xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>, tensor<4x3xi8>
}

// GatherND, ScatterND, ScatterElements (S15-S17).
// CHECK-LABEL: func.func @gather_scatter_nd
func.func @gather_scatter_nd(%d: tensor<2x3x4xf32>, %i: tensor<2x5x1xi64>, %j: tensor<5x2xi64>, %u: tensor<5x4xf32>, %e: tensor<2x2x4xi64>, %v: tensor<2x2x4xf32>) -> (tensor<2x5x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  // CHECK: qc.gather_nd %{{.*}}, %{{.*}} {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi64>) -> tensor<2x5x4xf32>
  %0 = qc.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi64>) -> tensor<2x5x4xf32>
  // CHECK: qc.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} {reduction = #qc.scatter_reduction<add>} : (tensor<2x3x4xf32>, tensor<5x2xi64>, tensor<5x4xf32>) -> tensor<2x3x4xf32>
  %1 = qc.scatter_nd %d, %j, %u {reduction = #qc.scatter_reduction<add>} : (tensor<2x3x4xf32>, tensor<5x2xi64>, tensor<5x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: qc.scatter_elements %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2x4xi64>, tensor<2x2x4xf32>) -> tensor<2x3x4xf32>
  %2 = qc.scatter_elements %d, %e, %v {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x2x4xi64>, tensor<2x2x4xf32>) -> tensor<2x3x4xf32>
  return %0, %1, %2 : tensor<2x5x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @non_zero
func.func @non_zero(%x: tensor<?x4xf32>, %e: tensor<2x0xi1>) -> (tensor<2x?xi64>, tensor<2x0xi64>) {
  // CHECK: qc.non_zero %{{.*}} : (tensor<?x4xf32>) -> tensor<2x?xi64>
  %0 = qc.non_zero %x : (tensor<?x4xf32>) -> tensor<2x?xi64>
  // CHECK: qc.non_zero %{{.*}} : (tensor<2x0xi1>) -> tensor<2x0xi64>
  %1 = qc.non_zero %e : (tensor<2x0xi1>) -> tensor<2x0xi64>
  return %0, %1 : tensor<2x?xi64>, tensor<2x0xi64>
}
