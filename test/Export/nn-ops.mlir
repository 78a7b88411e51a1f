// RUN: quant-translate --export-onnx %s -o %t.onnx
// RUN: %python %S/Inputs/print_onnx.py %t.onnx | FileCheck %s

// qc.resize with static shapes: sizes input (ONNX derives the scale
// out / in, equal to qc's); with a dynamic dim: the scales input. The
// QLinear output stage (qc.requantize_linear) becomes Add bias, Cast,
// Mul by the per-channel scale reshaped along axis 1, QuantizeLinear with
// scale 1 and the output zero point. An empty qc.squeeze is an Identity.
// CHECK-DAG: init FLOAT [4]
// CHECK-DAG: init INT64 [4]
// CHECK: node Resize mode=b'cubic' coordinate_transformation_mode=b'half_pixel' nearest_mode=b'floor' cubic_coeff_a=-0.5 exclude_outside=1
// CHECK-NEXT: node Resize mode=b'nearest' coordinate_transformation_mode=b'asymmetric' nearest_mode=b'floor'
// CHECK-NEXT: node Reshape
// CHECK-NEXT: node Add
// CHECK-NEXT: node Cast to=1
// CHECK-NEXT: node Reshape
// CHECK-NEXT: node Mul
// CHECK-NEXT: node QuantizeLinear
// CHECK-NEXT: node Identity
// CHECK-NEXT: node ConstantOfShape value=dims: 1
// CHECK-NEXT: data_type: 1
// CHECK: node ConvTranspose strides=[2, 2] pads=[0, 0, 0, 0] dilations=[1, 1] output_padding=[1, 1] group=1
func.func @main(%x: tensor<1x2x4x4xf32>, %d: tensor<?x2x4x4xf32>, %acc: tensor<1x3x2x2xi32>, %shp: tensor<2xi64>) -> (tensor<1x2x8x6xf32>, tensor<?x2x8x4xf32>, tensor<1x3x2x2xi8>, tensor<1x3x2x2xi8>, tensor<?x?xf32>, tensor<1x2x10x10xf32>) {
  %r = qc.resize %x {scales = array<f32: 1.0, 1.0, 2.0, 1.5>, mode = #qc.resize_mode<cubic>, coordinate_transformation_mode = #qc.coordinate_transformation<half_pixel>, nearest_mode = #qc.nearest_mode<floor>, cubic_coeff_a = -0.5 : f32, exclude_outside = true} : (tensor<1x2x4x4xf32>) -> tensor<1x2x8x6xf32>
  %n = qc.resize %d {scales = array<f32: 1.0, 1.0, 2.0, 1.0>, mode = #qc.resize_mode<nearest>, coordinate_transformation_mode = #qc.coordinate_transformation<asymmetric>, nearest_mode = #qc.nearest_mode<floor>} : (tensor<?x2x4x4xf32>) -> tensor<?x2x8x4xf32>
  %s = arith.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf32>
  %z = arith.constant dense<-3> : tensor<i8>
  %b = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
  %q = qc.requantize_linear %acc, %s, %z, %b {axis = 1 : i64} : (tensor<1x3x2x2xi32>, tensor<3xf32>, tensor<i8>, tensor<3xi32>) -> tensor<1x3x2x2xi8>
  %i = qc.squeeze %q {axes = array<i64>} : (tensor<1x3x2x2xi8>) -> tensor<1x3x2x2xi8>
  %c = qc.constant_of_shape %shp {value = 1.5 : f32} : (tensor<2xi64>) -> tensor<?x?xf32>
  %w = arith.constant dense<0.5> : tensor<2x2x3x3xf32>
  %t = qc.conv_transpose %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x10x10xf32>
  return %r, %n, %q, %i, %c, %t : tensor<1x2x8x6xf32>, tensor<?x2x8x4xf32>, tensor<1x3x2x2xi8>, tensor<1x3x2x2xi8>, tensor<?x?xf32>, tensor<1x2x10x10xf32>
}
