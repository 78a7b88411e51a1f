//===- Gemm.h - the arithmetic of the FP8 GEMM kernels (F33) -----*- C++ -*-===//
//
// The reference of what the sm_90a FP8 GEMM (Conversion/QCToGPU/HopperGemm.h)
// computes for each scale variant, in the same order of promotion and with
// the same roundings, so a GPU run can be checked against it. Rule F33 of
// docs/Formats.md.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_NUMERICS_GEMM_H
#define QUANTC_NUMERICS_GEMM_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace quantc::numerics {

/// Scale variants of the FP8 GEMM (the kernel's HopperScaleMode).
enum class FP8GemmScales { PerTensor, PerTokenPerChannel, Block1x128 };

/// "per-tensor", "per-channel", "1x128" (the --scales spellings).
std::optional<FP8GemmScales> parseFP8GemmScales(llvm::StringRef s);
llvm::StringRef getFP8GemmScalesName(FP8GemmScales s);

/// Width of the K blocks (and of the weights' N blocks) of Block1x128.
inline constexpr int64_t kFP8GemmBlock = 128;

/// C[m,n] for A: [M,K] and B: [N,K] E4M3FN codes (row-major), f32 C [M,N]:
///
/// - Block1x128 (SA f32 [M, KB], SB f32 [ceil(N/128), KB], KB = ceil(K/128)):
///     acc = +0; for kb = 0 .. KB-1 in order:
///       p   = f32(sum_{k in block kb} a*b)      (exact sum, rounded once)
///       acc = fmaf(p, f32(SA[m,kb] * SB[n/128,kb]), acc)
/// - PerTokenPerChannel (SA f32 [M], SB f32 [N]):
///     C = f32(sum_k a*b) * f32(SA[m] * SB[n])
/// - PerTensor (SA, SB one f32 each): C = f32(sum_k a*b) * f32(SA[0]*SB[0])
///
/// Sums are exact (f64: a product of two E4M3 values has 8 significant bits
/// between 2^-18 and 2^17.6, so sums of up to 2^17 of them fit 53 bits);
/// for larger K they are f64 sums in ascending k.
///
/// With splitK > 1 (the kernel's split-K, HopperGemmConfig::splitK), split z
/// takes K blocks [z*P, (z+1)*P) (P = ceil(KB/splitK); none past KB) and
/// computes its partial as above over its blocks (1x128: the promotion
/// chain from +0; otherwise its exact sum rounded once); the partials are
/// added in f32 in z order starting from +0, then the per-tensor or
/// per-channel factor multiplies the total. Errors: a dimension < 1,
/// splitK outside 1 .. 64.
llvm::Error gemmFP8Reference(const uint8_t *A, const uint8_t *B, int64_t M,
                             int64_t N, int64_t K, FP8GemmScales scales,
                             const float *SA, const float *SB, float *C,
                             int64_t splitK = 1);

} // namespace quantc::numerics

#endif // QUANTC_NUMERICS_GEMM_H
