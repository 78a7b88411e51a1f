// RUN: quant-translate --export-onnx %s -o %t.onnx
// RUN: %python %S/Inputs/print_onnx.py %t.onnx | FileCheck %s

// Ops whose attributes carry over by name; list attributes ONNX takes as
// inputs (Slice, Unsqueeze, reductions) become INT64 initializers; an empty
// qc reduction axes list reduces nothing (noop_with_empty_axes = 1); an
// absent Clip bound is an empty input name.
// CHECK-DAG: init INT64 [1]
// CHECK-DAG: init INT64 [2]
// CHECK: node Softmax axis=1
// CHECK-NEXT: node LayerNormalization axis=1 epsilon=9.9999997{{[0-9]*}}e-06
// CHECK-NEXT: node Slice
// CHECK-NEXT: node Unsqueeze
// CHECK-NEXT: node ReduceMean keepdims=1
// CHECK-NEXT: node ReduceSum keepdims=0
// CHECK-NEXT: node ReduceMax noop_with_empty_axes=1 keepdims=1
// CHECK-NEXT: node Clip
// CHECK-NEXT: node Concat axis=0
// CHECK-NEXT: node Gelu approximate=b'tanh'
// CHECK-NEXT: node Identity
// CHECK-NEXT: node Identity
func.func @main(%x: tensor<2x8xf32> {qc.name = "x"}, %g: tensor<8xf32> {qc.name = "g"}) -> (tensor<2x8xf32> {qc.name = "y"}, tensor<f32> {qc.name = "total"}) {
  %0 = qc.softmax %x {axis = 1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1:3 = qc.layer_norm %0, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  %2 = qc.slice %1#0 {starts = array<i64: 0, 2>, ends = array<i64: 1, 6>, axes = array<i64: 0, 1>, steps = array<i64: 1, 1>} : (tensor<2x8xf32>) -> tensor<1x4xf32>
  %3 = qc.unsqueeze %2 {axes = array<i64: 0>} : (tensor<1x4xf32>) -> tensor<1x1x4xf32>
  %4 = qc.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %5 = qc.reduce_sum %3 {axes = array<i64: 0, 1, 2>, keepdims = false} : (tensor<1x1x4xf32>) -> tensor<f32>
  %9 = qc.reduce_max %4 {axes = array<i64>, keepdims = true} : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %6 = qc.clip %1#0 {min = 0.0 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = qc.concat %6 {axis = 0 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %8 = qc.gelu %7 {approximate = #qc.gelu_approximation<tanh>} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %8, %5 : tensor<2x8xf32>, tensor<f32>
}
