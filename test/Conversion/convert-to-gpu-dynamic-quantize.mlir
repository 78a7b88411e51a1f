// A run-time activation quantize (qc-quantize-linear's abs, max per block,
// max(amax / qmax, tiny), quantize_linear) is one launch of dyn_qdq_<i>
// (with the dequantize that alone reads its codes and scales: the f32
// values are stored) in each form the pass writes: K <= 128, K a multiple
// of 128, a partial last block; per-token int8 scales alike (one block per
// row). docs/Kernels.md, "The other kernels of a GPU program". int8's
// symmetric per-token form before a matmul is one launch of
// dyn_quantize_<i> that stores the codes and the row scales, which the
// int8 GEMM reads (i8_gemm_..._tok).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=fp8-1x128},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_90})" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int8 activations=dynamic asymmetric=false},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_89})" | FileCheck %s --check-prefix=INT8
// int8's default asymmetric form (a zero point per row: the row's min and
// max, s, z) is one dyn_qdq launch too, for every K (one block per row):
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int8 activations=dynamic},qc-fuse-epilogues),qc-convert-to-gpu{target=sm_89})" | FileCheck %s --check-prefix=ASYM

// K = 64 < 128: one reduce_max over the row.
// CHECK-LABEL: func.func @main
// CHECK: qc.abs
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.reduce_max {{.*}}keepdims = true
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.quantize_linear
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
// CHECK: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@matmul_0
// (out, x, qmax, floor: ptr, blocks: i64)
// CHECK: gpu.func @dyn_qdq_0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel
// INT8-LABEL: func.func @main
// INT8: qc.quantize_linear {{.*}}block_size = 64 : i64, qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// INT8-NOT: dyn_qdq
// INT8: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_gemm_zbc_tok
// ASYM-LABEL: func.func @main
// ASYM-NOT: qc.gpu_kernel = @quantc_kernels::@reduce_
// ASYM: qc.quantize_linear {{.*}}block_size = 64
// ASYM-NOT: qc.gpu_kernel = @quantc_kernels::@ew_
// ASYM: qc.dequantize_linear {{.*}}block_size = 64 : i64, qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0} : (tensor<?x64xi8>, tensor<?x1xf32>, tensor<?x1xi8>)
// ASYM: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@matmul_0
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<0.5> : tensor<64x8xf32>
  %0 = qc.matmul %x, %w : (tensor<?x64xf32>, tensor<64x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// K = 256: a reshape to [?, 2, 128] and one reduce_max.
// CHECK-LABEL: func.func @main
// CHECK: qc.reshape
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
// INT8-LABEL: func.func @main
// INT8: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// INT8: qc.matmul {{.*}}qc.gpu_kernel = @quantc_kernels::@i8_gemm_zbc_tok
func.func @main(%x: tensor<?x256xf32>) -> tensor<?x8xf32> {
  %w = arith.constant dense<0.5> : tensor<256x8xf32>
  %0 = qc.matmul %x, %w : (tensor<?x256xf32>, tensor<256x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// K = 200: whole blocks through a slice and a reshape, the last 72 through
// a slice of their own, joined by a concat; still one launch. Two layers
// of the same K and format share the kernel.
// CHECK-LABEL: func.func @main
// CHECK: qc.slice
// CHECK: qc.concat
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
// CHECK-NOT: gpu.func @dyn_qdq_1
// INT8-LABEL: func.func @main
// INT8: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// INT8: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_quantize_0
// INT8-NOT: dyn_quantize_1
func.func @main(%x: tensor<?x200xf32>, %y: tensor<?x200xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<200x8xf32>
  %0 = qc.matmul %x, %w : (tensor<?x200xf32>, tensor<200x8xf32>) -> tensor<?x8xf32>
  %1 = qc.matmul %y, %w : (tensor<?x200xf32>, tensor<200x8xf32>) -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// The block maxima are also returned: they are stored by their own
// reduce_max, so nothing is fused (the ops run one by one).
// CHECK-LABEL: func.func @main
// CHECK: qc.abs {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: qc.reduce_max {{.*}}qc.gpu_kernel = @quantc_kernels::@reduce_max_0
// CHECK-NOT: dyn_
// INT8-LABEL: func.func @main
// INT8-NOT: dyn_
func.func @main(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x1xf32>) {
  %qmax = arith.constant dense<448.0> : tensor<f32>
  %tiny = arith.constant dense<1.17549435E-38> : tensor<f32>
  %a = qc.abs %x : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %m = qc.reduce_max %a {axes = array<i64: 1>, keepdims = true} : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %d = qc.div %m, %qmax : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %s = qc.max %d, %tiny : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %q = qc.quantize_linear %x, %s {block_size = 64 : i64} : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf8E4M3FN>
  %r = qc.dequantize_linear %q, %s {block_size = 64 : i64} : (tensor<?x64xf8E4M3FN>, tensor<?x1xf32>) -> tensor<?x64xf32>
  return %r, %m : tensor<?x64xf32>, tensor<?x1xf32>
}

// -----

// The same without the second result: one launch, though written by hand
// (the matcher reads the structure, not who wrote it).
// CHECK-LABEL: func.func @main
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
// INT8-LABEL: func.func @main
// INT8: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %qmax = arith.constant dense<448.0> : tensor<f32>
  %tiny = arith.constant dense<1.17549435E-38> : tensor<f32>
  %a = qc.abs %x : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %m = qc.reduce_max %a {axes = array<i64: 1>, keepdims = true} : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %d = qc.div %m, %qmax : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %s = qc.max %d, %tiny : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %q = qc.quantize_linear %x, %s {block_size = 64 : i64} : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf8E4M3FN>
  %r = qc.dequantize_linear %q, %s {block_size = 64 : i64} : (tensor<?x64xf8E4M3FN>, tensor<?x1xf32>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// Two asymmetric row quantizes whose zero points clip to different bounds
// are two kernels (the bounds are the kernel's constants).
// ASYM-LABEL: func.func @main
// ASYM: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_0
// ASYM: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@dyn_qdq_1
func.func @main(%x: tensor<?x16xf32>, %y: tensor<?x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %zero = arith.constant dense<0.0> : tensor<f32>
  %range = arith.constant dense<255.0> : tensor<f32>
  %tiny = arith.constant dense<1.17549435E-38> : tensor<f32>
  %qmin = arith.constant dense<-128.0> : tensor<f32>
  %0 = qc.reduce_min %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16xf32>) -> tensor<?x1xf32>
  %1 = qc.min %0, %zero : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %2 = qc.reduce_max %x {axes = array<i64: 1>, keepdims = true} : (tensor<?x16xf32>) -> tensor<?x1xf32>
  %3 = qc.max %2, %zero : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %4 = qc.sub %3, %1 : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %5 = qc.div %4, %range : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %s = qc.max %5, %tiny : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %6 = qc.div %1, %s : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %7 = qc.sub %qmin, %6 : (tensor<f32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %8 = qc.clip %7 {max = 127.0 : f32, min = -128.0 : f32} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %9 = qc.round %8 : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %z = qc.cast %9 : (tensor<?x1xf32>) -> tensor<?x1xi8>
  %q = qc.quantize_linear %x, %s, %z {block_size = 16 : i64} : (tensor<?x16xf32>, tensor<?x1xf32>, tensor<?x1xi8>) -> tensor<?x16xi8>
  %r = qc.dequantize_linear %q, %s, %z {block_size = 16 : i64} : (tensor<?x16xi8>, tensor<?x1xf32>, tensor<?x1xi8>) -> tensor<?x16xf32>
  %10 = qc.reduce_min %y {axes = array<i64: 1>, keepdims = true} : (tensor<?x16xf32>) -> tensor<?x1xf32>
  %11 = qc.min %10, %zero : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %12 = qc.reduce_max %y {axes = array<i64: 1>, keepdims = true} : (tensor<?x16xf32>) -> tensor<?x1xf32>
  %13 = qc.max %12, %zero : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %14 = qc.sub %13, %11 : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %15 = qc.div %14, %range : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %t = qc.max %15, %tiny : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %16 = qc.div %11, %t : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %17 = qc.sub %qmin, %16 : (tensor<f32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %18 = qc.clip %17 {max = 20.0 : f32, min = -20.0 : f32} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %19 = qc.round %18 : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %w = qc.cast %19 : (tensor<?x1xf32>) -> tensor<?x1xi8>
  %q2 = qc.quantize_linear %y, %t, %w {block_size = 16 : i64} : (tensor<?x16xf32>, tensor<?x1xf32>, tensor<?x1xi8>) -> tensor<?x16xi8>
  %r2 = qc.dequantize_linear %q2, %t, %w {block_size = 16 : i64} : (tensor<?x16xi8>, tensor<?x1xf32>, tensor<?x1xi8>) -> tensor<?x16xf32>
  return %r, %r2 : tensor<?x16xf32>, tensor<?x16xf32>
}
