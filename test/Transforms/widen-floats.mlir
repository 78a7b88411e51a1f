// qc-widen-floats: an f16/bf16 model's tensors computed as f32 inside its
// function, its signature kept (Passes.td states the rule).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-widen-floats))" | FileCheck %s

// The argument widened at the entry, an FLOAT16 weight (the importer's
// f32 constant cast to f16) folded into an f32 constant of its rounded
// values (0.1 -> 0.0999755859375, f16's nearest), every op in f32, the
// result narrowed before the return.
// CHECK-LABEL: func.func @main(%arg0: tensor<2x4xf16>) -> tensor<2x4xf16>
// CHECK: %[[X:.*]] = qc.cast %arg0 : (tensor<2x4xf16>) -> tensor<2x4xf32>
// CHECK: %[[W:.*]] = arith.constant dense<[1.500000e+00, 0.0999755859, -2.000000e+00, 6.550400e+04]> : tensor<4xf32>
// CHECK: %[[A:.*]] = qc.add %[[X]], %[[W]] : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK: %[[R:.*]] = qc.relu %[[A]] : (tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[N:.*]] = qc.cast %[[R]] : (tensor<2x4xf32>) -> tensor<2x4xf16>
// CHECK: return %[[N]]
// CHECK-NOT: tensor<4xf16>
func.func @main(%x: tensor<2x4xf16>) -> tensor<2x4xf16> {
  %c = arith.constant dense<[1.5, 0.1, -2.0, 65504.0]> : tensor<4xf32>
  %w = qc.cast %c : (tensor<4xf32>) -> tensor<4xf16>
  %a = qc.add %x, %w : (tensor<2x4xf16>, tensor<4xf16>) -> tensor<2x4xf16>
  %r = qc.relu %a : (tensor<2x4xf16>) -> tensor<2x4xf16>
  return %r : tensor<2x4xf16>
}

// -----

// A cast to f16 or bf16 of a run-time value rounds there (the Executor
// rounds it): it keeps its type and an exact cast to f32 follows. A cast
// from f16 to f32 is the widened value itself, and a rounding op's result
// is returned as it is. An f16 constant becomes f32.
// CHECK-LABEL: func.func @main(%arg0: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xbf16>)
// CHECK: %[[C:.*]] = arith.constant dense<2.500000e-01> : tensor<3xf32>
// CHECK: %[[H:.*]] = qc.cast %arg0 : (tensor<3xf32>) -> tensor<3xf16>
// CHECK: %[[HW:.*]] = qc.cast %[[H]] : (tensor<3xf16>) -> tensor<3xf32>
// CHECK: %[[M:.*]] = qc.mul %[[HW]], %[[C]] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[B:.*]] = qc.cast %[[M]] : (tensor<3xf32>) -> tensor<3xbf16>
// CHECK-NEXT: return %[[M]], %[[B]]
func.func @main(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xbf16>) {
  %c = arith.constant dense<0.25> : tensor<3xf16>
  %h = qc.cast %x : (tensor<3xf32>) -> tensor<3xf16>
  %m = qc.mul %h, %c : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %b = qc.cast %m : (tensor<3xf16>) -> tensor<3xbf16>
  %f = qc.cast %m : (tensor<3xf16>) -> tensor<3xf32>
  return %f, %b : tensor<3xf32>, tensor<3xbf16>
}

// -----

// An f32 function is left as it is.
// CHECK-LABEL: func.func @main
// CHECK-NEXT: qc.relu
// CHECK-NEXT: return
func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
  %r = qc.relu %x : (tensor<3xf32>) -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

// An f16 fill (ConstantOfShape's) becomes an f32 one with its result.
// CHECK-LABEL: func.func @main
// CHECK: qc.constant_of_shape %arg0 {value = 1.500000e+00 : f32} : (tensor<1xi64>) -> tensor<?xf32>
// CHECK: qc.cast %{{.*}} : (tensor<?xf32>) -> tensor<?xf16>
func.func @main(%s: tensor<1xi64>) -> tensor<?xf16> {
  %0 = qc.constant_of_shape %s {value = 1.5 : f16} : (tensor<1xi64>) -> tensor<?xf16>
  return %0 : tensor<?xf16>
}

// -----

// An integer constant cast to f16 (a shape value: YOLO's anchor grid)
// folds to the f32 constant of its f16 values, so qc-fold-constants can
// fold what it feeds: 2049 rounds to 2048 in f16 (through a double and
// f32, the Executor's order).
// CHECK-LABEL: func.func @main
// CHECK: %[[C:.*]] = arith.constant dense<[2.000000e+00, 2.048000e+03]> : tensor<2xf32>
// CHECK: qc.mul %{{.*}}, %[[C]] : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-NOT: tensor<2xi64>
func.func @main(%x: tensor<2xf16>) -> tensor<2xf16> {
  %c = arith.constant dense<[2, 2049]> : tensor<2xi64>
  %h = qc.cast %c : (tensor<2xi64>) -> tensor<2xf16>
  %m = qc.mul %x, %h : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xf16>
  return %m : tensor<2xf16>
}

// -----

// A cast of an f16 value to f16 (an fp16 export's Cast to FLOAT16 around
// a Resize) is the value itself: no rounding cast is left between the
// widened constant and the resize, so qc-fold-constants can evaluate it.
// CHECK-LABEL: func.func @identity_casts
// CHECK: %[[C:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x2x2xf32>
// CHECK-NOT: qc.cast
// CHECK: %[[R:.*]] = qc.resize %[[C]]
// CHECK-SAME: -> tensor<1x1x4x4xf32>
// CHECK: %[[N:.*]] = qc.cast %[[R]] : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf16>
// CHECK: return %[[N]]
func.func @identity_casts() -> tensor<1x1x4x4xf16> {
  %c = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %h = qc.cast %c : (tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf16>
  %i = qc.cast %h : (tensor<1x1x2x2xf16>) -> tensor<1x1x2x2xf16>
  %r = qc.resize %i {coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, mode = #qc.resize_mode<cubic>, nearest_mode = #qc.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : (tensor<1x1x2x2xf16>) -> tensor<1x1x4x4xf16>
  %o = qc.cast %r : (tensor<1x1x4x4xf16>) -> tensor<1x1x4x4xf16>
  return %o : tensor<1x1x4x4xf16>
}
