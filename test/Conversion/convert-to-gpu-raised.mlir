// Ops qc-raise-patterns writes have GPU kernels (docs/Kernels.md, "The
// other kernels of a GPU program"): qc.rms_norm a row kernel, qc.silu,
// qc.gelu (both forms: tanh, and erf through the Executor's fastErf) and
// qc.hard_swish chain ops, qc.attention one thread per query row. The
// decomposed RMS norm is the same row kernel.
// RUN: quant-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(qc-convert-to-gpu{target=sm_90 require-all=true})" | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: qc.rms_norm {{.*}}qc.gpu_kernel = @quantc_kernels::@rms_norm_0
// CHECK: qc.silu {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: qc.attention {{.*}}qc.gpu_kernel = @quantc_kernels::@attention_0
// (out, x, scale: ptr, rows: i64)
// CHECK: gpu.func @rms_norm_0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel
// (out, query, key_t, value, mask: ptr, rows: i64)
// CHECK: gpu.func @attention_0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel
func.func @main(%x: tensor<?x4x8xf32>, %g: tensor<8xf32>, %k: tensor<?x8x4xf32>, %v: tensor<?x4x8xf32>, %m: tensor<4x4xi1>) -> tensor<?x4x8xf32> {
  %n = qc.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x4x8xf32>, tensor<8xf32>) -> tensor<?x4x8xf32>
  %s = qc.silu %n : (tensor<?x4x8xf32>) -> tensor<?x4x8xf32>
  %a = qc.attention %s, %k, %v, %m {scale = 0.35355339 : f32, mask_value = -1.0e9 : f32} : (tensor<?x4x8xf32>, tensor<?x8x4xf32>, tensor<?x4x8xf32>, tensor<4x4xi1>) -> tensor<?x4x8xf32>
  return %a : tensor<?x4x8xf32>
}

// -----

// One chain kernel computes both.
// CHECK-LABEL: func.func @main
// CHECK: qc.gelu
// CHECK: qc.hard_swish {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
func.func @main(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = qc.gelu %x {approximate = #qc.gelu_approximation<tanh>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = qc.hard_swish %0 : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @main
// CHECK: qc.gelu {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: gpu.func @ew_0(
func.func @main(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = qc.gelu %x {approximate = #qc.gelu_approximation<none>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// The RMS norm as exporters decompose it (pow, reduce_mean, add, sqrt,
// div, mul) is one row kernel too, its exponent, epsilon and gain read
// from memory: (out, x, e, eps, g: ptr, rows: i64).
// CHECK-LABEL: func.func @main
// CHECK: qc.mul {{.*}}qc.gpu_kernel = @quantc_kernels::@rms_norm_0
// CHECK-NOT: qc.gpu_kernel = @quantc_kernels::@reduce_mean
// CHECK: gpu.func @rms_norm_0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel
func.func @main(%x: tensor<?x4x8xf32>, %g: tensor<8xf32>) -> tensor<?x4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %0 = qc.pow %x, %two : (tensor<?x4x8xf32>, tensor<f32>) -> tensor<?x4x8xf32>
  %1 = qc.reduce_mean %0 {axes = array<i64: 2>, keepdims = true} : (tensor<?x4x8xf32>) -> tensor<?x4x1xf32>
  %2 = qc.add %1, %eps : (tensor<?x4x1xf32>, tensor<f32>) -> tensor<?x4x1xf32>
  %3 = qc.sqrt %2 : (tensor<?x4x1xf32>) -> tensor<?x4x1xf32>
  %4 = qc.div %x, %3 : (tensor<?x4x8xf32>, tensor<?x4x1xf32>) -> tensor<?x4x8xf32>
  %5 = qc.mul %4, %g : (tensor<?x4x8xf32>, tensor<8xf32>) -> tensor<?x4x8xf32>
  return %5 : tensor<?x4x8xf32>
}

// -----

// The mean is also returned: the ops run one by one.
// CHECK-LABEL: func.func @main
// CHECK: qc.reduce_mean {{.*}}@reduce_mean_0
// CHECK-NOT: rms_norm
func.func @main(%x: tensor<?x4x8xf32>, %g: tensor<8xf32>) -> (tensor<?x4x8xf32>, tensor<?x4x1xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %0 = qc.pow %x, %two : (tensor<?x4x8xf32>, tensor<f32>) -> tensor<?x4x8xf32>
  %1 = qc.reduce_mean %0 {axes = array<i64: 2>, keepdims = true} : (tensor<?x4x8xf32>) -> tensor<?x4x1xf32>
  %2 = qc.add %1, %eps : (tensor<?x4x1xf32>, tensor<f32>) -> tensor<?x4x1xf32>
  %3 = qc.sqrt %2 : (tensor<?x4x1xf32>) -> tensor<?x4x1xf32>
  %4 = qc.div %x, %3 : (tensor<?x4x8xf32>, tensor<?x4x1xf32>) -> tensor<?x4x8xf32>
  %5 = qc.mul %4, %g : (tensor<?x4x8xf32>, tensor<8xf32>) -> tensor<?x4x8xf32>
  return %5, %1 : tensor<?x4x8xf32>, tensor<?x4x1xf32>
}
