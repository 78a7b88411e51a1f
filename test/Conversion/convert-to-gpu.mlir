// qc-convert-to-gpu: the GPU program's kernels as IR (docs/Kernels.md).
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu)" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{target=sm_89})" | FileCheck %s --check-prefix=SM89
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{require-all=true})" 2>&1 | FileCheck %s --check-prefix=STRICT
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu)" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{target=sm_75})" 2>&1 | FileCheck %s --check-prefix=BADTARGET

// An MXFP8 layer: quantize, then the GEMM with bias + ReLU + tanh fused
// into its epilogue (one use each), two kernels for three ops.
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize %{{.*}} {qc.gpu_kernel = @quantc_kernels::@quantize_mxfp8
// CHECK: qc.qmatmul {{.*}}kernel = @quantc_kernels::@mxfp8_gemm_ep0
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.add
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.relu
// CHECK: qc.tanh %{{.*}} {qc.gpu_kernel = @quantc_kernels::@mxfp8_gemm_ep0}
// CHECK: gpu.module @quantc_kernels [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx84">]
// CHECK: gpu.func @quantize_mxfp8(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i32) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// The GEMM's epilogue reads the bias: one more pointer before M, N, K.
// CHECK: gpu.func @mxfp8_gemm_ep0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel attributes {known_block_size = array<i32: 32, 4, 1>}
// CHECK: llvm.inline_asm{{.*}}mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// CHECK: llvm.intr.fma
// The epilogue at the store: bias add, ReLU's select, tanh in f64.
// CHECK: arith.addf
// CHECK: arith.select
// CHECK: arith.extf
// CHECK: llvm.store
// SM89: gpu.module @quantc_kernels [#nvvm.target<O = 3, chip = "sm_89", features = "+ptx84">]
// BADTARGET: error: qc-convert-to-gpu: unknown target 'sm_75'; known targets: sm_120a, sm_90a, sm_90, sm_89
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<1.0> : tensor<16x64xf8E4M3FN>
  %ws = arith.constant dense<1.0> : tensor<16x2xf8E8M0FNU>
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<?x64xf32> -> (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>)
  %y = qc.qmatmul %c, %s, %w, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32>
  %z = qc.add %y, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %r = qc.relu %z : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %t = qc.tanh %r : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %t : tensor<?x16xf32>
}

// -----

// An op without a kernel (a bf16 Mod: bf16 is no chain element type): an
// error with require-all,
// otherwise a remark and the GEMM kernel alone.
// STRICT: error: no GPU kernel yet for: qc.mod (element types or shapes without a kernel) x1
// REMARK: remark: no GPU program (no kernel for qc.mod (element types or shapes without a kernel) x1); building the GEMM kernel only
// CHECK-LABEL: func.func @main
// CHECK: qc.qmatmul {{.*}}kernel = @quantc_kernels::@mxfp8_gemm
// CHECK-NOT: qc.gpu_kernel
// CHECK: gpu.func @mxfp8_gemm(
// CHECK-NOT: gpu.func
func.func @main(%c: tensor<?x64xf8E4M3FN>, %s: tensor<?x2xf8E8M0FNU>) -> tensor<?x16xbf16> {
  %w = arith.constant dense<1.0> : tensor<16x64xf8E4M3FN>
  %ws = arith.constant dense<1.0> : tensor<16x2xf8E8M0FNU>
  %y = qc.qmatmul %c, %s, %w, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32>
  %h = qc.cast %y : (tensor<?x16xf32>) -> tensor<?x16xbf16>
  %e = qc.mod %h, %h {fmod = true} : (tensor<?x16xbf16>, tensor<?x16xbf16>) -> tensor<?x16xbf16>
  return %e : tensor<?x16xbf16>
}

// -----

// Static int8 scales (what qc-quantize-linear leaves): quantize_linear and
// dequantize_linear are chain ops (x / scale, round half to even by the
// 1.5*2^23 = 0x4B400000 add, + zero point, clamp; (code - zero point) * scale), a
// per-axis scale is read by its axis, and max pooling takes i8 codes; the
// dequantize of its result is the pooling kernel's epilogue (the step's
// last op names the kernel).
// CHECK-LABEL: func.func @main
// CHECK: qc.quantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: qc.max_pool
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@pool_0
// CHECK: gpu.func @ew_0(
// CHECK: arith.divf
// CHECK: arith.constant 0x4B400000 : f32
// CHECK: arith.fptosi
// CHECK: arith.trunci {{.*}} : i32 to i8
// CHECK: llvm.store {{.*}} : i8, !llvm.ptr
// CHECK: gpu.func @pool_0(
// CHECK: llvm.load {{.*}} : !llvm.ptr -> i8
// CHECK: arith.sitofp
// CHECK: arith.fptosi
// CHECK: arith.trunci {{.*}} : i32 to i8
// The per-axis scale and zero point are indexed by dimension 1.
// CHECK: arith.remui
// CHECK: arith.sitofp
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: llvm.store {{.*}} : f32, !llvm.ptr
func.func @main(%x: tensor<?x2x4x4xf32>) -> tensor<?x2x2x2xf32> {
  %s = arith.constant dense<0.05> : tensor<f32>
  %z = arith.constant dense<-3> : tensor<i8>
  %s2 = arith.constant dense<[0.05, 0.1]> : tensor<2xf32>
  %z2 = arith.constant dense<[-3, 2]> : tensor<2xi8>
  %q = qc.quantize_linear %x, %s, %z : (tensor<?x2x4x4xf32>, tensor<f32>, tensor<i8>) -> tensor<?x2x4x4xi8>
  %p = qc.max_pool %q {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<?x2x4x4xi8>) -> tensor<?x2x2x2xi8>
  %d = qc.dequantize_linear %p, %s2, %z2 {axis = 1 : i64} : (tensor<?x2x2x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<?x2x2x2xf32>
  return %d : tensor<?x2x2x2xf32>
}

// -----

// Review cases. Two chains that differ only in their intermediate codes
// (i8, ui8; no zero point) are two kernels: the codes' type is part of a
// chain's key. A per-axis scale computed by the previous step does not join
// the quantize's chain (it is read by axis, from memory).
// CHECK-LABEL: func.func @main
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_1
// CHECK: qc.relu {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_2
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.quantize_linear %arg1, %{{.*}} {axis = 0 : i64}
// CHECK-NOT: qc.gpu_kernel
// CHECK: qc.dequantize_linear {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_3
// CHECK: gpu.func @ew_0(
// CHECK: gpu.func @ew_1(
// CHECK: gpu.func @ew_2(
// CHECK: gpu.func @ew_3(
func.func @main(%x: tensor<?x8xf32>, %v: tensor<4xf32>, %s0: tensor<4xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<4xf32>) {
  %s = arith.constant dense<0.05> : tensor<f32>
  %q1 = qc.quantize_linear %x, %s : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xi8>
  %d1 = qc.dequantize_linear %q1, %s : (tensor<?x8xi8>, tensor<f32>) -> tensor<?x8xf32>
  %q2 = qc.quantize_linear %x, %s : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xui8>
  %d2 = qc.dequantize_linear %q2, %s : (tensor<?x8xui8>, tensor<f32>) -> tensor<?x8xf32>
  %sc = qc.relu %s0 : (tensor<4xf32>) -> tensor<4xf32>
  %q3 = qc.quantize_linear %v, %sc {axis = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi8>
  %d3 = qc.dequantize_linear %q3, %s0 {axis = 0 : i64} : (tensor<4xi8>, tensor<4xf32>) -> tensor<4xf32>
  return %d1, %d2, %d3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<4xf32>
}

// -----

// An f16 chain computes in f32 (each element widened as it loads, rounded
// to f16 as it stores), and a float Mod is C's exact fmod: a loop of
// shift-and-subtract steps over the significands (docs/Kernels.md,
// "Element types of the chains").
// CHECK-LABEL: func.func @main
// CHECK: qc.mod {{.*}}qc.gpu_kernel = @quantc_kernels::@ew_0
// CHECK: gpu.func @ew_0(
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: llvm.intr.ctlz
// CHECK: scf.for
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: llvm.store %{{.*}} : f16, !llvm.ptr
func.func @main(%x: tensor<?x16xf16>, %y: tensor<?x16xf16>) -> tensor<?x16xf16> {
  %e = qc.mod %x, %y {fmod = true} : (tensor<?x16xf16>, tensor<?x16xf16>) -> tensor<?x16xf16>
  return %e : tensor<?x16xf16>
}
