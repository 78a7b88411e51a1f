// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s | quant-opt | FileCheck %s
// Round trip of every qc op and attribute.

// CHECK-LABEL: func @float_graph
func.func @float_graph(%x: tensor<?x64xf32> {qc.name = "x"}, %w: tensor<64x16xf32>, %b: tensor<16xf32>) -> (tensor<?x16xf32> {qc.name = "y"}) {
  // CHECK: qc.matmul %{{.*}}, %{{.*}} {qc.lhs_stats = #qc.stats<min = -1.000000e+00 : f32, max = 2.000000e+00 : f32, absmax = 2.000000e+00 : f32>} : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
  %0 = qc.matmul %x, %w {qc.lhs_stats = #qc.stats<min = -1.0 : f32, max = 2.0 : f32, absmax = 2.0 : f32>} : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
  // CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %1 = qc.add %0, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  // CHECK: qc.sub
  %2 = qc.sub %1, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  // CHECK: qc.mul
  %3 = qc.mul %2, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  // CHECK: qc.div
  %4 = qc.div %3, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  // CHECK: qc.relu %{{.*}} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %5 = qc.relu %4 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %5 : tensor<?x16xf32>
}

// CHECK-LABEL: func @layout
func.func @layout(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  // CHECK: qc.reshape %{{.*}} {shape = array<i64: 0, -1>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %0 = qc.reshape %x {shape = array<i64: 0, -1>} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %1 = qc.reshape %0 {shape = array<i64: 6, 4>} : (tensor<2x12xf32>) -> tensor<6x4xf32>
  // CHECK: qc.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  %2 = qc.transpose %1 {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}

// CHECK-LABEL: func @quantized
func.func @quantized(%x: tensor<?x70xf32>, %w: tensor<16x70xf8E4M3FN>, %ws: tensor<16x3xf8E8M0FNU>) -> tensor<?x16xf32> {
  // CHECK: qc.quantize %{{.*}} {scheme = #qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>} : tensor<?x70xf32> -> (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>)
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<?x70xf32> -> (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>)
  // CHECK: qc.dequantize %{{.*}}, %{{.*}} {scheme = #qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>} : (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>) -> tensor<?x70xf32>
  %d = qc.dequantize %c, %s {scheme = #qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>} : (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>) -> tensor<?x70xf32>
  // CHECK: qc.qmatmul %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {acc_type = f32, kernel = @quantc_kernels::@qmatmul_0, lhs_scheme = {{.*}}, rhs_scheme = {{.*}}} : (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>, tensor<16x70xf8E4M3FN>, tensor<16x3xf8E8M0FNU>) -> tensor<?x16xf32>
  %y = qc.qmatmul %c, %s, %w, %ws {acc_type = f32, kernel = @quantc_kernels::@qmatmul_0, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>, tensor<16x70xf8E4M3FN>, tensor<16x3xf8E8M0FNU>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func @schemes
// CHECK-SAME: #qc.scheme<f4E2M1FN, scale = f8E4M3FN, block = [1, 16], symmetric>
// CHECK-SAME: #qc.scheme<i8, scale = f32, block = [], asymmetric>
// CHECK-SAME: #qc.scheme<i4, scale = f32, block = [0, 128], symmetric>
func.func @schemes() attributes {a = #qc.scheme<"nvfp4">, b = #qc.scheme<i8, scale = f32, block = [], asymmetric>, c = #qc.scheme<i4, scale = f32, block = [0, 128]>} {
  return
}

// CHECK-LABEL: func @weights
// CHECK: qc.weight "layer0.codes" {offset = 128 : i64, size = 64 : i64} : tensor<2x32xf8E4M3FN>
func.func @weights() -> tensor<2x32xf8E4M3FN> {
  %0 = qc.weight "layer0.codes" {offset = 128 : i64, size = 64 : i64} : tensor<2x32xf8E4M3FN>
  return %0 : tensor<2x32xf8E4M3FN>
}

// Shape and index arithmetic on integers.
// CHECK-LABEL: func @int_arith
// CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
// CHECK: qc.div %{{.*}}, %{{.*}} : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
func.func @int_arith(%a: tensor<3xi64>, %b: tensor<1xi64>, %c: tensor<3xi32>) -> (tensor<3xi64>, tensor<3xi32>) {
  %0 = qc.add %a, %b : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  %1 = qc.div %c, %c : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  return %0, %1 : tensor<3xi64>, tensor<3xi32>
}

// Every integer width and f64 (results wrap to the width).
// CHECK-LABEL: func @int_widths
// CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
// CHECK: qc.div %{{.*}}, %{{.*}} : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
// CHECK: qc.mul %{{.*}}, %{{.*}} : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
func.func @int_widths(%a: tensor<3xui8>, %b: tensor<3xui64>, %c: tensor<3xf64>) {
  %0 = qc.add %a, %a : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %1 = qc.div %b, %b : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %2 = qc.mul %c, %c : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xf64>
  return
}
