//===- BlackwellGemm.h - sm_100a tcgen05 block-scaled MXFP8 GEMM -*- C++ -*-===//
//
// Builds the datacenter-Blackwell (sm_100a) MXFP8 GEMM as a gpu.func of
// gpu/nvvm/llvm/arith/scf ops: A (M x K e4m3 codes) and B (N x K, the
// transposed weight) are read through TMA tensor maps into 128-byte
// swizzled shared memory, their E8M0 scales (one per 32 along K) are
// written to tensor memory, and one thread issues
// `tcgen05.mma.cta_group::1.kind::mxf8f6f4.block_scale` (the tensor core
// applies the scales) into an f32 accumulator in tensor memory, read back
// with tcgen05.ld. The arithmetic is the MXFP8 GEMM of GemmKernels.h:
//
//   C[m,n] = sum_k e4m3(A[m,k]) 2^(As[m,k/32]-127) e4m3(B[n,k]) 2^(Bs[n,k/32]-127)
//
// See docs/Kernels.md, "sm_100a: tcgen05 block-scaled MXFP8 GEMM".
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_CONVERSION_QCTOGPU_BLACKWELLGEMM_H
#define QUANTC_CONVERSION_QCTOGPU_BLACKWELLGEMM_H

#include "quantc/Conversion/QCToGPU/GemmKernels.h"

#include "llvm/Support/Error.h"

#include <cstdint>

namespace quantc {

/// Rows of a CTA's tile (the MMA's M: cta_group::1 block-scaled kinds take
/// M = 128 only) and the K width of one pipeline stage (one TMA box of A,
/// 128 rows x 128 bytes, and one of B, tileN rows x 128 bytes, 128-byte
/// swizzled): four MMAs of K = 32, whose scales are the four bytes of one
/// tensor-memory word per row (scale-factor IDs 0..3).
inline constexpr unsigned kBlackwellTileM = 128;
inline constexpr unsigned kBlackwellTileK = 128;
/// One warpgroup: warp w reads and writes tensor-memory lanes 32w .. 32w+31.
inline constexpr unsigned kBlackwellThreads = 128;
/// Shared memory a CTA may opt into on sm_100 (227 KiB).
inline constexpr unsigned kBlackwellMaxSharedBytes = 232448;

struct BlackwellGemmConfig {
  /// Columns of a CTA's tile, the MMA's N: 32, 64, 128 or 256.
  unsigned tileN = 128;
  /// Shared-memory stages of A and B (and tensor-memory scale slots) in
  /// flight: 2 up to what 227 KiB holds (7 at tileN 128, 4 at 256).
  unsigned stages = 4;
};

/// Checks a configuration; the error names the field and why.
llvm::Error verifyBlackwellGemmConfig(const BlackwellGemmConfig &cfg);

/// Checks that the kernel takes an M x N x K problem: all >= 1 and fit
/// i32, K a multiple of 16 (TMA's row alignment), grid rows within 65535.
llvm::Error checkBlackwellGemmShape(int64_t M, int64_t N, int64_t K);

/// Dynamic shared memory of one CTA: the A and B tiles of every stage, two
/// mbarriers per stage and the tensor-memory address slot.
unsigned getBlackwellGemmSharedBytes(const BlackwellGemmConfig &cfg);

/// Tensor-memory columns the kernel allocates: the accumulator (tileN),
/// per stage 4 columns of A's scales and tileN/32 of B's, rounded up to a
/// power of two (tcgen05.alloc's rule; 32 .. 512).
unsigned getBlackwellGemmTmemColumns(const BlackwellGemmConfig &cfg);

/// Grid (ceil(N/tileN), ceil(M/128), 1), block (128, 1, 1), the dynamic
/// shared memory of getBlackwellGemmSharedBytes.
LaunchConfig getBlackwellGemmLaunchConfig(const BlackwellGemmConfig &cfg,
                                          int64_t M, int64_t N);

/// The tcgen05 shared-memory matrix descriptor of a K-major tile with
/// 128-byte swizzle at shared address `smemAddress` (1024-byte aligned):
/// start address >> 4 (bits 0-13), leading byte offset 16 (unused when
/// swizzled), stride byte offset 1024 between groups of 8 rows (bits
/// 32-45), the descriptor version 0b001 (bits 46-48), base offset 0,
/// swizzle mode 2 = 128 bytes (bits 61-63).
uint64_t getBlackwellTileDescriptor(uint32_t smemAddress);

/// The 32-bit instruction descriptor of `tcgen05.mma .kind::mxf8f6f4
/// .block_scale` for M = 128, N = `n`, e4m3 x e4m3, UE8M0 scales, both
/// operands K-major, scale-factor byte `sfId` (0..3) of A's and B's
/// tensor-memory words: B's ID in bits 4-5, N >> 3 in 17-22, the scale
/// type (1 = UE8M0) in 23, M >> 7 in 27-28, A's ID in 29-30.
uint32_t getBlackwellInstrDescriptor(unsigned n, unsigned sfId);

/// Adds `gpu.func @name(tmA, As, tmB, Bs, C, extra..., M, N, K) kernel` to
/// the sm_100a kernel module of `top`: tmA and tmB point at tensor maps
/// (rank 2 {K, M} / {K, N}, e4m3 bytes, box {128, 128} / {128, tileN},
/// 128-byte swizzle), As and Bs are E8M0 bytes [M, ceil(K/32)] and [N,
/// ceil(K/32)], C is f32 [M, N] (through the fused epilogue, if any).
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildBlackwellMXFP8GemmKernel(mlir::ModuleOp top, llvm::StringRef name,
                              const BlackwellGemmConfig &cfg,
                              const GemmEpilogue *epilogue = nullptr);

} // namespace quantc

#endif // QUANTC_CONVERSION_QCTOGPU_BLACKWELLGEMM_H
