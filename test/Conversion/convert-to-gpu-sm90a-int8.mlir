// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{target=sm_90a})" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{target=sm_89})" | FileCheck %s --check-prefix=SM89

// W8A8 int8 with static scales for sm_90a alone: qc-kmajor-weights lays
// the weight out [N, K] (its zero point of zeros dropped), and the matmul
// is the int8 wgmma GEMM (TMA + wgmma s8 x s8 -> s32): A and B through
// tensor maps, SA, SB, C, then ZA (the activation's zero point, corrected
// with the weight sums the producer warps take from each stage's tile),
// the epilogue's inputs, M, N, K. The bias add, ReLU and the next layer's
// quantize are its epilogue: it stores i8 codes. The dequantizes and the
// transpose are not launched.
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: qc.dequantize_linear {{.*}}qc.kmajor_weight
// CHECK-NOT: qc.gpu_kernel = @quantc_kernels::@ew_1
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_wgmma_pc_za_n32_s2_ep0
// CHECK: gpu.module @quantc_kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx84">]
// CHECK: gpu.func @i8_wgmma_pc_za_n32_s2_ep0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
// CHECK: nvvm.dot.accumulate.4way {{.*}}<signed>, {{.*}}<unsigned>
// CHECK: nvvm.barrier id = %{{.*}} number_of_threads = %{{.*}}
// CHECK: nvvm.wgmma.mma_async {{.*}} D[<s32>, <one>], A[<s8>, <one>, <row>], B[<s8>, <one>, <col>]
// CHECK: arith.sitofp {{.*}} : i32 to f32
// CHECK: llvm.store {{.*}} : i8, !llvm.ptr
// The other targets: the int8 mma.sync GEMM on the [K, N] weight.
// SM89-LABEL: func.func @main
// SM89-NOT: qc.transpose
// SM89: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_gemm_za_zbc_ep0
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x32xi8> {
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
  %q2 = qc.quantize_linear %r, %s, %z : (tensor<?x32xf32>, tensor<f32>, tensor<i8>) -> tensor<?x32xi8>
  return %q2 : tensor<?x32xi8>
}

// -----

// K = 40 is not a multiple of 16 (TMA's row alignment): the weight stays
// [K, N] and the matmul the int8 mma.sync GEMM, on sm_90a too.
// CHECK-LABEL: func.func @main
// CHECK-NOT: qc.transpose
// CHECK: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_gemm_za
// CHECK-NOT: i8_wgmma
func.func @main(%x: tensor<?x40xf32>) -> tensor<?x8xf32> {
  %s = arith.constant dense<0.03> : tensor<f32>
  %z = arith.constant dense<-5> : tensor<i8>
  %q = qc.quantize_linear %x, %s, %z : (tensor<?x40xf32>, tensor<f32>, tensor<i8>) -> tensor<?x40xi8>
  %a = qc.dequantize_linear %q, %s, %z : (tensor<?x40xi8>, tensor<f32>, tensor<i8>) -> tensor<?x40xf32>
  %wc = arith.constant dense<3> : tensor<40x8xi8>
  %ws = arith.constant dense<0.01> : tensor<8xf32>
  %w = qc.dequantize_linear %wc, %ws {axis = 1 : i64} : (tensor<40x8xi8>, tensor<8xf32>) -> tensor<40x8xf32>
  %m = qc.matmul %a, %w : (tensor<?x40xf32>, tensor<40x8xf32>) -> tensor<?x8xf32>
  return %m : tensor<?x8xf32>
}

// -----

// Dynamic per-token symmetric int8 (qc-quantize-linear's run-time form: the
// row's abs max, s = max(amax / 127, floor), blocks of K): the run-time
// quantize stores the codes and one scale per token (dyn_quantize_0), and
// the GEMM reads them as SA [M] (_tok: per-token x per-channel scales), on
// sm_90a the wgmma GEMM, elsewhere the int8 mma.sync GEMM.
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// CHECK-NOT: qc.gpu_kernel = @quantc_kernels::@dyn_qdq
// CHECK: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_wgmma_pc_tok_n32_s2
// SM89-LABEL: func.func @main
// SM89: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// SM89: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_gemm_tok
// SM89: gpu.func @i8_gemm_tok(
// Each row's scale: SA[row] (a row past M reads row 0's).
// SM89: arith.cmpi slt
// SM89: llvm.getelementptr {{.*}} -> !llvm.ptr, f32
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %a0 = qc.abs %x : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %m = qc.reduce_max %a0 {axes = array<i64: 1>, keepdims = true} : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %qmax = arith.constant dense<127.0> : tensor<f32>
  %fl = arith.constant dense<1.0e-8> : tensor<f32>
  %d = qc.div %m, %qmax : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %s = qc.max %d, %fl : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %q = qc.quantize_linear %x, %s {block_size = 64 : i64} : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xi8>
  %a = qc.dequantize_linear %q, %s {block_size = 64 : i64} : (tensor<?x64xi8>, tensor<?x1xf32>) -> tensor<?x64xf32>
  %wc = arith.constant dense<3> : tensor<64x32xi8>
  %ws = arith.constant dense<0.01> : tensor<32xf32>
  %w = qc.dequantize_linear %wc, %ws {axis = 1 : i64} : (tensor<64x32xi8>, tensor<32xf32>) -> tensor<64x32xf32>
  %mm = qc.matmul %a, %w : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32>
  return %mm : tensor<?x32xf32>
}
