//===- BlackwellGemm.h - sm_100a tcgen05 block-scaled GEMMs ------*- C++ -*-===//
//
// Builds the datacenter-Blackwell (sm_100a) block-scaled GEMMs as gpu.funcs
// of gpu/nvvm/llvm/arith/scf ops: A (M x K codes) and B (N x K, the
// transposed weight) are read through TMA tensor maps into 128-byte
// swizzled shared memory, their scales are written to tensor memory, and
// one thread issues `tcgen05.mma.cta_group::1.kind::<k>.block_scale` (the
// tensor core applies the scales) into an f32 accumulator in tensor
// memory, read back with tcgen05.ld. The arithmetic is the block-scaled
// GEMM of GemmKernels.h (BlockScaledGemm):
//
//   C[m,n] = sum_k A[m,k] sA[m,k/bs] B[n,k] sB[n,k/bs]
//
// MXFP8: e4m3 codes one per byte, E8M0 per 32 (kind::mxf8f6f4, 1X);
// MXFP4: e2m1 two per byte, E8M0 per 32 (kind::mxf4, 2X); NVFP4: e2m1 two
// per byte, UE4M3 per 16 (kind::mxf4nvf4, 4X; its per-tensor second level
// is left to the caller). See docs/Kernels.md, "sm_100a: tcgen05
// block-scaled GEMMs".
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
  /// Element and scale formats (and the MMA kind).
  BlockScaledGemm kind = BlockScaledGemm::MXFP8;
  /// Columns of a CTA's tile, the MMA's N: 32, 64, 128 or 256.
  unsigned tileN = 128;
  /// Shared-memory stages of A and B (and tensor-memory scale slots) in
  /// flight: 2 up to what 227 KiB holds (7 at tileN 128, 4 at 256).
  unsigned stages = 4;
};

/// Checks a configuration; the error names the field and why.
llvm::Error verifyBlackwellGemmConfig(const BlackwellGemmConfig &cfg);

/// Checks that the kernel takes an M x N x K problem: all >= 1 and fit
/// i32, every row of A and B a multiple of 16 bytes (TMA's row alignment:
/// K a multiple of 16, or of 32 for FP4), grid rows within 65535.
llvm::Error checkBlackwellGemmShape(int64_t M, int64_t N, int64_t K,
                                    BlockScaledGemm kind =
                                        BlockScaledGemm::MXFP8);

/// Dynamic shared memory of one CTA: the A and B tiles of every stage, two
/// mbarriers per stage and the tensor-memory address slot.
unsigned getBlackwellGemmSharedBytes(const BlackwellGemmConfig &cfg);

/// Tensor-memory columns the kernel allocates: the accumulator (tileN),
/// per stage and scale word (1 for MXFP8, 2 for MXFP4, 4 for NVFP4) 4
/// columns of A's scales and tileN/32 of B's, rounded up to a power of two
/// (tcgen05.alloc's rule; 32 .. 512).
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

/// The 32-bit instruction descriptor of `tcgen05.mma .block_scale` of
/// `kind` for M = 128, N = `n`, both operands K-major, the scales starting
/// at byte `sfId` of A's and B's tensor-memory words: B's ID in bits 4-5,
/// A's and B's types in 7-9 and 10-12 (E4M3 0, E2M1 1), N >> 3 in 17-22,
/// the scale type in 23 (1 = UE8M0, 0 = UE4M3), M >> 7 in 27-28, A's ID
/// in 29-30.
uint32_t getBlackwellInstrDescriptor(BlockScaledGemm kind, unsigned n,
                                     unsigned sfId);

/// Adds `gpu.func @name(tmA, As, tmB, Bs, C, extra..., M, N, K) kernel` to
/// the sm_100a kernel module of `top`: tmA and tmB point at tensor maps
/// of the codes as bytes (rank 2 {K bytes, M} / {K bytes, N}, box {128,
/// 128} / {128, tileN}, 128-byte swizzle; FP4 rows hold ceil(K/2) bytes,
/// element 2i in the low nibble), As and Bs are the scale bytes [M,
/// ceil(K/bs)] and [N, ceil(K/bs)], C is f32 [M, N] (through the fused
/// epilogue, if any); M, N, K count elements.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildBlackwellGemmKernel(mlir::ModuleOp top, llvm::StringRef name,
                         const BlackwellGemmConfig &cfg,
                         const GemmEpilogue *epilogue = nullptr);

} // namespace quantc

#endif // QUANTC_CONVERSION_QCTOGPU_BLACKWELLGEMM_H
