// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// Round trip of the Quant family (ONNX-semantics quantization ops).

// CHECK-LABEL: func @linear
func.func @linear(%x: tensor<4x256xf32>, %s: tensor<f32>, %sa: tensor<256xf32>,
                  %sb: tensor<4x2xf32>, %zb: tensor<4x2xi4>, %z: tensor<ui8>) {
  // CHECK: qc.quantize_linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x256xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x256xui8>
  %0 = qc.quantize_linear %x, %s, %z : (tensor<4x256xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x256xui8>
  // CHECK: qc.quantize_linear %{{.*}}, %{{.*}} {saturate = false} : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf8E4M3FN>
  %1 = qc.quantize_linear %x, %s {saturate = false} : (tensor<4x256xf32>, tensor<f32>) -> tensor<4x256xf8E4M3FN>
  // CHECK: qc.quantize_linear %{{.*}}, %{{.*}} : (tensor<4x256xf32>, tensor<256xf32>) -> tensor<4x256xi8>
  %2 = qc.quantize_linear %x, %sa : (tensor<4x256xf32>, tensor<256xf32>) -> tensor<4x256xi8>
  // CHECK: qc.quantize_linear %{{.*}}, %{{.*}}, %{{.*}} {block_size = 128 : i64} : (tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xi4>) -> tensor<4x256xi4>
  %3 = qc.quantize_linear %x, %sb, %zb {block_size = 128 : i64} : (tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xi4>) -> tensor<4x256xi4>
  // CHECK: qc.dequantize_linear %{{.*}}, %{{.*}}, %{{.*}} {block_size = 128 : i64} : (tensor<4x256xi4>, tensor<4x2xf32>, tensor<4x2xi4>) -> tensor<4x256xf32>
  %4 = qc.dequantize_linear %3, %sb, %zb {block_size = 128 : i64} : (tensor<4x256xi4>, tensor<4x2xf32>, tensor<4x2xi4>) -> tensor<4x256xf32>
  // CHECK: qc.dequantize_linear %{{.*}}, %{{.*}} : (tensor<4x256xf8E4M3FN>, tensor<f32>) -> tensor<4x256xbf16>
  %5 = qc.dequantize_linear %1, %s : (tensor<4x256xf8E4M3FN>, tensor<f32>) -> tensor<4x256xbf16>
  // CHECK: qc.quantize_linear %{{.*}}, %{{.*}} {axis = 0 : i64, block_size = 2 : i64} : (tensor<4x256xf32>, tensor<2x256xf32>) -> tensor<4x256xf4E2M1FN>
  %sc = arith.constant dense<1.0> : tensor<2x256xf32>
  %6 = qc.quantize_linear %x, %sc {axis = 0 : i64, block_size = 2 : i64} : (tensor<4x256xf32>, tensor<2x256xf32>) -> tensor<4x256xf4E2M1FN>
  return
}

// CHECK-LABEL: func @dynamic_and_cast
func.func @dynamic_and_cast(%x: tensor<?x8xf32>, %c: tensor<?x8xf8E5M2>) {
  // CHECK: qc.dynamic_quantize_linear %{{.*}} : (tensor<?x8xf32>) -> (tensor<?x8xui8>, tensor<f32>, tensor<ui8>)
  %0:3 = qc.dynamic_quantize_linear %x : (tensor<?x8xf32>) -> (tensor<?x8xui8>, tensor<f32>, tensor<ui8>)
  // CHECK: qc.cast %{{.*}} {saturate = false} : (tensor<?x8xf32>) -> tensor<?x8xf8E5M2>
  %1 = qc.cast %x {saturate = false} : (tensor<?x8xf32>) -> tensor<?x8xf8E5M2>
  // CHECK: qc.cast %{{.*}} : (tensor<?x8xf8E5M2>) -> tensor<?x8xf16>
  %2 = qc.cast %c : (tensor<?x8xf8E5M2>) -> tensor<?x8xf16>
  // CHECK: qc.cast %{{.*}} : (tensor<?x8xui8>) -> tensor<?x8xi64>
  %3 = qc.cast %0#0 : (tensor<?x8xui8>) -> tensor<?x8xi64>
  return
}

// Cast between every numeric width.
// CHECK-LABEL: func @cast_widths
func.func @cast_widths(%x: tensor<4xf64>, %u: tensor<4xui64>) {
  // CHECK: qc.cast %{{.*}} : (tensor<4xf64>) -> tensor<4xui16>
  %0 = qc.cast %x : (tensor<4xf64>) -> tensor<4xui16>
  // CHECK: qc.cast %{{.*}} : (tensor<4xui64>) -> tensor<4xi8>
  %1 = qc.cast %u : (tensor<4xui64>) -> tensor<4xi8>
  // CHECK: qc.cast %{{.*}} : (tensor<4xui64>) -> tensor<4xbf16>
  %2 = qc.cast %u : (tensor<4xui64>) -> tensor<4xbf16>
  return
}
