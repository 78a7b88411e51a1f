// qc-gpu-pipeline: @main's GPU program to a gpu.binary in one registered
// pipeline (qc-convert-to-gpu, nvvm-attach-target, the lowering to
// LLVM/NVVM, gpu-module-to-binary), what quant-compile does per target.
// REQUIRES: ptxas
// RUN: quant-opt %s --pass-pipeline="builtin.module(qc-gpu-pipeline{target=sm_90 format=isa})" | FileCheck %s --check-prefix=ISA
// RUN: quant-opt %s --pass-pipeline="builtin.module(qc-gpu-pipeline{target=sm_89 format=bin})" | FileCheck %s --check-prefix=BIN
// RUN: not quant-opt %s --pass-pipeline="builtin.module(qc-gpu-pipeline{target=sm_75})" 2>&1 | FileCheck %s --check-prefix=BADTARGET
// RUN: not quant-opt %s --pass-pipeline="builtin.module(qc-gpu-pipeline{format=asm})" 2>&1 | FileCheck %s --check-prefix=BADFORMAT
// RUN: not quant-opt %s --pass-pipeline="builtin.module(func.func(qc-gpu-pipeline))" 2>&1 | FileCheck %s --check-prefix=NESTED

// The layer's ops name their kernels; the kernels are one gpu.binary with
// the PTX of the quantize kernel and the GEMM with its fused epilogue.
// ISA-LABEL: func.func @main
// ISA: qc.quantize {{.*}}qc.gpu_kernel = @quantc_kernels::@quantize_mxfp8
// ISA: qc.fusion
// ISA: qc.qmatmul {{.*}}kernel = @quantc_kernels::@mxfp8_gemm_ep0
// ISA: gpu.binary @quantc_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx84">, {{.*}}assembly = "{{.*}}.target sm_90{{.*}}.visible .entry quantize_mxfp8({{.*}}.visible .entry mxfp8_gemm_ep0({{.*}}mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// ISA-NOT: gpu.module

// The cubin, from ptxas through gpu-module-to-binary.
// BIN: gpu.binary @quantc_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_89", features = "+ptx84">, {{.*}}bin = "\7FELF

// BADTARGET: qc-gpu-pipeline: unknown target 'sm_75'; known targets: sm_120a, sm_90a, sm_90, sm_89
// BADFORMAT: qc-gpu-pipeline: format 'asm' is not isa, bin or fatbin
// NESTED: qc-gpu-pipeline runs on builtin.module, not nested in 'func.func'
func.func @main(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<1.0> : tensor<16x64xf8E4M3FN>
  %ws = arith.constant dense<1.0> : tensor<16x2xf8E8M0FNU>
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<?x64xf32> -> (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>)
  %y = qc.qmatmul %c, %s, %w, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32>
  %z = qc.add %y, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %r = qc.relu %z : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
