// RUN: quant-translate --emit-ptx --target sm_89 %s | FileCheck %s --check-prefix=SM89
// RUN: quant-translate --emit-ptx %s | FileCheck %s --check-prefix=SM120
// RUN: quant-translate --emit-ptx --target sm_89 %s -o %t.ptx && %ptxas -arch=sm_89 %t.ptx -o %t.cubin
// RUN: not quant-translate --emit-ptx --target sm_75 %s 2>&1 | FileCheck %s --check-prefix=BADTARGET
// RUN: quant-translate --emit-ptx --target sm_89 %S/Inputs/mxfp4-qmatmul.mlir -o %t4.ptx && FileCheck %s --check-prefix=MXFP4 < %t4.ptx && %ptxas -arch=sm_89 %t4.ptx -o %t4.cubin
// RUN: not quant-translate --emit-ptx %S/Inputs/mxint8-qmatmul.mlir 2>&1 | FileCheck %s --check-prefix=NOKERNEL
// REQUIRES: ptxas

// Both qc.qmatmul share one kernel: M, N and K are its parameters.
// SM89: .target sm_89
// SM89: .entry mxfp8_gemm(
// SM89: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// SM89-NOT: .entry
// SM120: .target sm_120a
// SM120: mma.sync.aligned.m16n8k32.row.col.kind::mxf8f6f4.block_scale.scale_vec::1X.f32.e4m3.e4m3.f32.ue8m0
// BADTARGET: unknown target 'sm_75'; known targets: sm_120a, sm_90a, sm_90, sm_89
// MXFP4 codes are recoded to e4m3 as they load (their values are e4m3
// values): the same MMA, a kernel of its own.
// MXFP4: .entry mxfp8_gemm_e2m1_e2m1(
// MXFP4: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// NOKERNEL: error: no GPU kernel for scheme #qc.scheme<i8, scale = f8E8M0FNU, block = [1, 32], symmetric> yet

func.func @main(%a: tensor<?x64xf8E4M3FN>, %as: tensor<?x2xf8E8M0FNU>, %b: tensor<16x64xf8E4M3FN>, %bs: tensor<16x2xf8E8M0FNU>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32>
  %1 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x64xf8E4M3FN>, tensor<?x2xf8E8M0FNU>, tensor<16x64xf8E4M3FN>, tensor<16x2xf8E8M0FNU>) -> tensor<?x16xf32>
  return %0, %1 : tensor<?x16xf32>, tensor<?x16xf32>
}
