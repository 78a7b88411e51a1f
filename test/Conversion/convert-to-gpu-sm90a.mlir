// qc-convert-to-gpu{target=sm_90a}: fp8-1x128 matmuls become steps of the
// TMA + wgmma GEMM (docs/Kernels.md, "In packages"): qc-kmajor-weights
// lays the weight out [N, K] first; the activation and weight dequantizes
// and the transpose are read by the GEMM, not launched. Other targets keep
// the Q/DQ chains and the f32 matmul kernel.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_90a})" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_90})" | FileCheck %s --check-prefix=SM90

// CHECK-LABEL: func.func @main
// CHECK: %[[D:.*]] = qc.dequantize_linear %{{.*}} : (tensor<96x256xf8E4M3FN>, tensor<96x2xf32>) -> tensor<96x256xf32>
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.transpose %[[D]] {perm = array<i64: 1, 0>} : (tensor<96x256xf32>) -> tensor<256x96xf32>
// The run-time 1x128 activation quantize is one launch that stores the
// codes and scales the GEMM reads; its abs, reshape, reduce_max, div and
// max are not launched on their own.
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// CHECK: qc.dequantize_linear
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.fusion
// CHECK: qc.relu %{{.*}} {qc.gpu_kernel = @quantc_kernels::@fp8_gemm_1x128_n64_s2_ep0}
// CHECK: gpu.module @quantc_kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx84">]
// The GEMM: tensor maps of A and B, SA, SB, C, the bias, M, N, K.
// CHECK: gpu.func @fp8_gemm_1x128_n64_s2_ep0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
// CHECK: nvvm.wgmma.mma_async
// The f32 matmul kernel computes the bias add and ReLU as its epilogue:
// the step's last op names the kernel.
// SM90-LABEL: func.func @main
// SM90-NOT: qc.transpose
// SM90: qc.matmul
// SM90-NOT: qc.gpu_kernel
// SM90: qc.relu %{{.*}} {qc.gpu_kernel = @quantc_kernels::@matmul_0}
// SM90-NOT: fp8_gemm
func.func @main(%x: tensor<?x256xf32>, %b: tensor<96xf32>) -> tensor<?x96xf32> {
  %w = arith.constant dense<0.5> : tensor<256x96xf32>
  %0 = qc.matmul %x, %w : (tensor<?x256xf32>, tensor<256x96xf32>) -> tensor<?x96xf32>
  %1 = qc.add %0, %b : (tensor<?x96xf32>, tensor<96xf32>) -> tensor<?x96xf32>
  %2 = qc.relu %1 : (tensor<?x96xf32>) -> tensor<?x96xf32>
  return %2 : tensor<?x96xf32>
}

// -----

// The same form written by hand, without qc.kmajor_weight: nothing says
// each 128-row block's scales are equal (here they are not), so the
// matmul stays an f32 kernel after a dequantize and a transpose.
// CHECK-LABEL: func.func @main
// CHECK-NOT: fp8_gemm
// CHECK: qc.transpose {{.*}}qc.gpu_kernel = @quantc_kernels::@layout_0
// CHECK: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@matmul_0
// SM90-LABEL: func.func @main
// SM90: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@matmul_0
func.func @main(%x: tensor<?x128xf8E4M3FN>, %sx: tensor<?x1xf32>) -> tensor<?x2xf32> {
  %a = qc.dequantize_linear %x, %sx {block_size = 128 : i64} : (tensor<?x128xf8E4M3FN>, tensor<?x1xf32>) -> tensor<?x128xf32>
  %c = arith.constant dense<1.0> : tensor<2x128xf8E4M3FN>
  %s = arith.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %d = qc.dequantize_linear %c, %s {block_size = 128 : i64} : (tensor<2x128xf8E4M3FN>, tensor<2x1xf32>) -> tensor<2x128xf32>
  %t = qc.transpose %d {perm = array<i64: 1, 0>} : (tensor<2x128xf32>) -> tensor<128x2xf32>
  %0 = qc.matmul %a, %t : (tensor<?x128xf32>, tensor<128x2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// K = 200 is not a multiple of 16 (TMA's row alignment): the weight stays
// [K, N] and the matmul an f32 kernel after the Q/DQ chains (the documented
// fallback), on sm_90a as elsewhere. (Static rows: the partial 1x128
// block's slice and concat have kernels for static shapes only.)
// CHECK-LABEL: func.func @main
// CHECK-NOT: fp8_gemm
// CHECK: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@matmul_0
// SM90-LABEL: func.func @main
// SM90: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@matmul_0
func.func @main(%x: tensor<4x200xf32>) -> tensor<4x64xf32> {
  %w = arith.constant dense<0.5> : tensor<200x64xf32>
  %0 = qc.matmul %x, %w : (tensor<4x200xf32>, tensor<200x64xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

// Two layers: the first GEMM's ReLU output is read only by the second
// layer's run-time 1x128 quantize, so the first GEMM writes its codes and
// scales itself (fp8-1x128 output, tiles of 128 columns: _ofp8_n128) and
// that quantize is not launched; the second GEMM's result is returned in
// f32.
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// CHECK: qc.relu {{.*}}qc.gpu_kernel = @quantc_kernels::@fp8_gemm_1x128_ofp8_n128_s{{[0-9]+}}_ep0
// CHECK-NOT: dyn_quantize
// CHECK: qc.add {{.*}}qc.gpu_kernel = @quantc_kernels::@fp8_gemm_1x128_n64_s{{[0-9]+}}_ep1
// The quantized-output GEMM: tensor maps, SA, SB, codes, CS, QMAX, FLOOR,
// the bias, M, N, K.
// CHECK: gpu.func @fp8_gemm_1x128_ofp8_n128_s{{[0-9]+}}_ep0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
// CHECK: nvvm.shfl.sync bfly
// CHECK: nvvm.convert.f32x2.to.f8x2
// SM90-LABEL: func.func @main
// SM90-NOT: ofp8
func.func @main(%x: tensor<?x256xf32>, %b1: tensor<128xf32>, %b2: tensor<64xf32>) -> tensor<?x64xf32> {
  %w1 = arith.constant dense<0.5> : tensor<256x128xf32>
  %w2 = arith.constant dense<0.25> : tensor<128x64xf32>
  %0 = qc.matmul %x, %w1 : (tensor<?x256xf32>, tensor<256x128xf32>) -> tensor<?x128xf32>
  %1 = qc.add %0, %b1 : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %2 = qc.relu %1 : (tensor<?x128xf32>) -> tensor<?x128xf32>
  %3 = qc.matmul %2, %w2 : (tensor<?x128xf32>, tensor<128x64xf32>) -> tensor<?x64xf32>
  %4 = qc.add %3, %b2 : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %4 : tensor<?x64xf32>
}

// -----

// K = 1024: the heuristic's ring for tileN 64 is 8 stages (24 KiB each);
// the quantized output's 128-column tiles take 32 KiB a stage, so the ring
// shrinks to the 7 that fit in 227 KiB.
// CHECK-LABEL: func.func @main
// CHECK: gpu.func @fp8_gemm_1x128_ofp8_n128_s7_ep0
// SM90-LABEL: func.func @main
func.func @main(%x: tensor<?x1024xf32>, %b1: tensor<128xf32>) -> tensor<?x64xf32> {
  %w1 = arith.constant dense<0.5> : tensor<1024x128xf32>
  %w2 = arith.constant dense<0.25> : tensor<128x64xf32>
  %0 = qc.matmul %x, %w1 : (tensor<?x1024xf32>, tensor<1024x128xf32>) -> tensor<?x128xf32>
  %1 = qc.add %0, %b1 : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %2 = qc.relu %1 : (tensor<?x128xf32>) -> tensor<?x128xf32>
  %3 = qc.matmul %2, %w2 : (tensor<?x128xf32>, tensor<128x64xf32>) -> tensor<?x64xf32>
  return %3 : tensor<?x64xf32>
}
