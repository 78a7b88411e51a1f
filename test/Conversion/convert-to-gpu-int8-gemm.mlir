// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu)" | FileCheck %s

// W8A8 int8 with static scales (qc-quantize-linear's QDQ form): the matmul
// is the int8 GEMM (integer mma.sync, exact s32 sums), which reads the
// stored activation codes and the weight codes [K, N] itself; the
// dequantizes are not launched. The input's quantize is a chain (ew_0) that
// stores the codes; the bias add and ReLU are the GEMM's epilogue.
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK-NOT: qc.gpu_kernel = @quantc_kernels::@ew_1
// CHECK: qc.relu {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_gemm_za_zbc_ep0
// CHECK: gpu.func @i8_gemm_za_zbc_ep0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
// CHECK: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<s8>, multiplicandBPtxType = #nvvm.mma_type<s8>, shape = #nvvm.shape<m = 16, n = 8, k = 32>
// CHECK: arith.sitofp {{.*}} : i32 to f32
// CHECK: arith.addf
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %s = arith.constant dense<0.03> : tensor<f32>
  %z = arith.constant dense<-5> : tensor<i8>
  %q = qc.quantize_linear %x, %s, %z : (tensor<?x64xf32>, tensor<f32>, tensor<i8>) -> tensor<?x64xi8>
  %a = qc.dequantize_linear %q, %s, %z : (tensor<?x64xi8>, tensor<f32>, tensor<i8>) -> tensor<?x64xf32>
  %wc = arith.constant dense<3> : tensor<64x32xi8>
  %ws = arith.constant dense<0.01> : tensor<32xf32>
  %wz = arith.constant dense<0> : tensor<32xi8>
  %w = qc.dequantize_linear %wc, %ws, %wz {axis = 1 : i64} : (tensor<64x32xi8>, tensor<32xf32>, tensor<32xi8>) -> tensor<64x32xf32>
  %m = qc.matmul %a, %w : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32>
  %b = arith.constant dense<0.5> : tensor<32xf32>
  %y = qc.add %m, %b : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %r = qc.relu %y : (tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// An int8 conv with one group: the int8 GEMM through im2col (i8_conv_0: the
// geometry is the kernel's), bias after the scales, NCHW output, its ReLU
// and the next quantize as epilogue (the codes stored as i8). A depthwise conv (one group per channel) keeps
// the f32 conv kernel (conv_0), dequantizing its input codes as it loads
// them.
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_conv_b_za_zbc_0
// CHECK: qc.conv {{.*}}qc.gpu_kernel = @quantc_kernels::@conv_0
// CHECK: gpu.func @i8_conv_b_za_zbc_0(
// CHECK: arith.remsi
// CHECK: nvvm.mma.sync
// CHECK: arith.addf
// CHECK: gpu.func @conv_0(
func.func @main(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %s = arith.constant dense<0.03> : tensor<f32>
  %z = arith.constant dense<7> : tensor<i8>
  %q = qc.quantize_linear %x, %s, %z : (tensor<?x3x8x8xf32>, tensor<f32>, tensor<i8>) -> tensor<?x3x8x8xi8>
  %a = qc.dequantize_linear %q, %s, %z : (tensor<?x3x8x8xi8>, tensor<f32>, tensor<i8>) -> tensor<?x3x8x8xf32>
  %wc = arith.constant dense<2> : tensor<4x3x3x3xi8>
  %ws = arith.constant dense<0.02> : tensor<4xf32>
  %wz = arith.constant dense<0> : tensor<4xi8>
  %w = qc.dequantize_linear %wc, %ws, %wz {axis = 0 : i64} : (tensor<4x3x3x3xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x3x3x3xf32>
  %bias = arith.constant dense<0.25> : tensor<4xf32>
  %c = qc.conv %a, %w, %bias {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %r = qc.relu %c : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %q2 = qc.quantize_linear %r, %s, %z : (tensor<?x4x8x8xf32>, tensor<f32>, tensor<i8>) -> tensor<?x4x8x8xi8>
  %a2 = qc.dequantize_linear %q2, %s, %z : (tensor<?x4x8x8xi8>, tensor<f32>, tensor<i8>) -> tensor<?x4x8x8xf32>
  %dwc = arith.constant dense<1> : tensor<4x1x3x3xi8>
  %dws = arith.constant dense<0.05> : tensor<4xf32>
  %dwz = arith.constant dense<0> : tensor<4xi8>
  %dw = qc.dequantize_linear %dwc, %dws, %dwz {axis = 0 : i64} : (tensor<4x1x3x3xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x1x3x3xf32>
  %d = qc.conv %a2, %dw {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x8x8xf32>
  return %d : tensor<?x4x8x8xf32>
}

// -----

// Two int8 convs of the same geometry, one with a bias and one without: two
// kernels (their pointer lists differ: the bias is an argument).
// CHECK-LABEL: func.func @main
// CHECK: qc.conv {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_conv_b_za_zbc_0
// CHECK: qc.conv {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_conv_za_zbc_1
// CHECK: gpu.func @i8_conv_b_za_zbc_0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
// CHECK: gpu.func @i8_conv_za_zbc_1(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
func.func @main(%x: tensor<?x3x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %s = arith.constant dense<0.03> : tensor<f32>
  %z = arith.constant dense<7> : tensor<i8>
  %q = qc.quantize_linear %x, %s, %z : (tensor<?x3x8x8xf32>, tensor<f32>, tensor<i8>) -> tensor<?x3x8x8xi8>
  %a = qc.dequantize_linear %q, %s, %z : (tensor<?x3x8x8xi8>, tensor<f32>, tensor<i8>) -> tensor<?x3x8x8xf32>
  %wc = arith.constant dense<2> : tensor<4x3x3x3xi8>
  %ws = arith.constant dense<0.02> : tensor<4xf32>
  %wz = arith.constant dense<0> : tensor<4xi8>
  %w = qc.dequantize_linear %wc, %ws, %wz {axis = 0 : i64} : (tensor<4x3x3x3xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x3x3x3xf32>
  %bias = arith.constant dense<0.25> : tensor<4xf32>
  %c = qc.conv %a, %w, %bias {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %d = qc.conv %a, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  return %c, %d : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}
