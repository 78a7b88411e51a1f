// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu)" | FileCheck %s
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{require-all=true})" 2>&1 | FileCheck %s --check-prefix=STRICT

// ONNX Runtime's dynamic quantization (quantize_dynamic): DynamicQuantizeLinear
// is one warp (dql_0: the range by a shfl.sync butterfly, then the codes),
// MatMulInteger an exact i32 product of the codes minus their zero points
// (imatmul_0) whose epilogue is the Cast and the scale Mul; the scale product
// of two scalars (one element, read only there) is computed by the epilogue
// too, not by a launch of its own.
// CHECK-LABEL: func.func @main
// CHECK: qc.dynamic_quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dql_0
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.mul {{.*}}qc.gpu_kernel = @quantc_kernels::@imatmul_0
// CHECK-NOT: gpu.func @ew_
// CHECK: gpu.func @dql_0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel attributes {known_block_size = array<i32: 32, 1, 1>}
// CHECK: scf.for
// CHECK: nvvm.shfl.sync bfly
// CHECK: arith.constant 2.550000e+02 : f32
// CHECK: arith.divf
// CHECK: scf.for
// CHECK: llvm.store {{.*}} : i8, !llvm.ptr
// CHECK: gpu.func @imatmul_0(
// CHECK: scf.for {{.*}} -> (i32)
// CHECK: arith.extui {{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.muli {{.*}} : i32
// CHECK: arith.addi {{.*}} : i32
// CHECK: arith.sitofp {{.*}} : i32 to f64
// CHECK: arith.truncf
// CHECK: %[[SCALE:.*]] = arith.mulf
// CHECK: arith.mulf {{.*}}, %[[SCALE]] : f32
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
func.func @main(%x: tensor<?x96xf32>) -> tensor<?x10xf32> {
  %y, %s, %z = qc.dynamic_quantize_linear %x : (tensor<?x96xf32>) -> (tensor<?x96xui8>, tensor<f32>, tensor<ui8>)
  %ws = arith.constant dense<0.005> : tensor<f32>
  %sc = qc.mul %s, %ws : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %w = arith.constant dense<7> : tensor<96x10xui8>
  %wz = arith.constant dense<131> : tensor<ui8>
  %acc = qc.matmul_integer %y, %w, %z, %wz : (tensor<?x96xui8>, tensor<96x10xui8>, tensor<ui8>, tensor<ui8>) -> tensor<?x10xi32>
  %f = qc.cast %acc : (tensor<?x10xi32>) -> tensor<?x10xf32>
  %r = qc.mul %f, %sc : (tensor<?x10xf32>, tensor<f32>) -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// QLinearConv: ConvInteger with per-channel weight zero points (iconv_0: the
// padding taps left out) and its requantize to ui8 as the epilogue (a
// per-channel scale and i32 bias read by the channel, the product rounded
// half to even, the zero point added, clamped to [0, 255]).
// CHECK-LABEL: func.func @main
// CHECK: qc.conv_integer
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.requantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@iconv_0
// CHECK: gpu.func @iconv_0(
// CHECK: scf.for {{.*}} -> (i32)
// CHECK: arith.subi
// CHECK: arith.muli {{.*}} : i32
// CHECK: arith.select
// CHECK: arith.extsi {{.*}} : i32 to i64
// CHECK: arith.sitofp {{.*}} : i64 to f32
// CHECK: arith.mulf
// CHECK: arith.constant 2.550000e+02 : f32
// CHECK: llvm.store {{.*}} : i8, !llvm.ptr
func.func @main(%x: tensor<?x2x5x5xui8>, %xz: tensor<ui8>) -> tensor<?x3x5x5xui8> {
  %w = arith.constant dense<3> : tensor<3x2x3x3xi8>
  %wz = arith.constant dense<[0, 1, -1]> : tensor<3xi8>
  %acc = qc.conv_integer %x, %w, %xz, %wz {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x2x5x5xui8>, tensor<3x2x3x3xi8>, tensor<ui8>, tensor<3xi8>) -> tensor<?x3x5x5xi32>
  %s = arith.constant dense<[0.01, 0.02, 0.03]> : tensor<3xf32>
  %yz = arith.constant dense<128> : tensor<ui8>
  %b = arith.constant dense<[5, -5, 0]> : tensor<3xi32>
  %q = qc.requantize_linear %acc, %s, %yz, %b {axis = 1 : i64} : (tensor<?x3x5x5xi32>, tensor<3xf32>, tensor<ui8>, tensor<3xi32>) -> tensor<?x3x5x5xui8>
  return %q : tensor<?x3x5x5xui8>
}

// -----

// Tan, the hyperbolic and inverse trigonometric functions, Shrink and Pow by
// any exponent are chain ops (the Executor's FastMath functions in f64).
// CHECK-LABEL: func.func @main
// CHECK: qc.pow {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: gpu.func @ew_0(
// CHECK: arith.divf {{.*}} : f64
// CHECK: arith.truncf {{.*}} : f64 to f32
func.func @main(%x: tensor<?x8xf32>, %p: tensor<8xf32>) -> tensor<?x8xf32> {
  %a = qc.tan %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %b = qc.atanh %a : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %c = qc.asinh %b : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %d = qc.cosh %c : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e = qc.shrink %d {bias = 0.5 : f32, lambd = 1.0 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %f = qc.pow %e, %p : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %f : tensor<?x8xf32>
}

// -----

// An integer product these kernels do not take (a per-row zero point over a
// run-time number of rows) leaves the graph without a GPU program: an error
// with require-all.
// STRICT: error: no GPU kernel yet for: qc.matmul_integer (so far 2-D convolutions and rank >= 2 matmuls of i8/ui8 to i32, zero points of one element or one per channel, row or column) x1
// CHECK-LABEL: func.func @main
// CHECK-NOT: qc.gpu_kernel
func.func @main(%a: tensor<?x4xi8>, %az: tensor<2xi8>) -> tensor<?x3xi32> {
  %w = arith.constant dense<1> : tensor<4x3xi8>
  %wz = arith.constant dense<0> : tensor<i8>
  %r = qc.matmul_integer %a, %w, %az, %wz : (tensor<?x4xi8>, tensor<4x3xi8>, tensor<2xi8>, tensor<i8>) -> tensor<?x3xi32>
  return %r : tensor<?x3xi32>
}

// -----

// A one-element chain that a quantize reads as its per-axis scale stays a
// launch of its own: the quantize reads its scale by axis, from memory
// (folding it into the quantize's chain crashed the builder).
// CHECK-LABEL: func.func @main
// CHECK: qc.mul {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_1
func.func @main(%x: tensor<?x1xf32>, %a: tensor<1xf32>, %b: tensor<1xf32>) -> tensor<?x1xi8> {
  %s = qc.mul %a, %b : (tensor<1xf32>, tensor<1xf32>) -> tensor<1xf32>
  %q = qc.quantize_linear %x, %s {axis = 1 : i64} : (tensor<?x1xf32>, tensor<1xf32>) -> tensor<?x1xi8>
  return %q : tensor<?x1xi8>
}
