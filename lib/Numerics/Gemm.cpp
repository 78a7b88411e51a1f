//===- Gemm.cpp - the arithmetic of the FP8 GEMM kernels (F33) ------------===//

#include "quantc/Numerics/Gemm.h"
#include "quantc/Numerics/Formats.h"

#include <array>
#include <cmath>
#include <vector>

namespace quantc::numerics {

std::optional<FP8GemmScales> parseFP8GemmScales(llvm::StringRef s) {
  if (s == "per-tensor")
    return FP8GemmScales::PerTensor;
  if (s == "per-channel")
    return FP8GemmScales::PerTokenPerChannel;
  if (s == "1x128")
    return FP8GemmScales::Block1x128;
  return std::nullopt;
}

llvm::StringRef getFP8GemmScalesName(FP8GemmScales s) {
  switch (s) {
  case FP8GemmScales::PerTensor:
    return "per-tensor";
  case FP8GemmScales::PerTokenPerChannel:
    return "per-channel";
  case FP8GemmScales::Block1x128:
    return "1x128";
  }
  return "";
}

llvm::Error gemmFP8Reference(const uint8_t *A, const uint8_t *B, int64_t M,
                             int64_t N, int64_t K, FP8GemmScales scales,
                             const float *SA, const float *SB, float *C,
                             int64_t splitK) {
  if (M < 1 || N < 1 || K < 1)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "gemmFP8Reference: M, N, K must be >= 1 (got %lld, %lld, %lld)",
        static_cast<long long>(M), static_cast<long long>(N),
        static_cast<long long>(K));
  if (splitK < 1 || splitK > 64)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "gemmFP8Reference: splitK must be 1 .. 64 (got %lld)",
        static_cast<long long>(splitK));
  std::array<double, 256> lut;
  for (int c = 0; c < 256; ++c)
    lut[c] = decode(ElemFormat::E4M3FN, static_cast<uint16_t>(c));
  const int64_t KB = (K + kFP8GemmBlock - 1) / kFP8GemmBlock;
  // Split z takes the K blocks z*per .. z*per + per-1 (none past KB).
  const int64_t per = (KB + splitK - 1) / splitK;
  std::vector<double> a(K), bd(K);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < K; ++k)
      a[k] = lut[A[m * K + k]];
    for (int64_t n = 0; n < N; ++n) {
      const uint8_t *brow = B + n * K;
      for (int64_t k = 0; k < K; ++k)
        bd[k] = lut[brow[k]];
      // One split's partial: the promoted chain over its blocks (1x128) or
      // its exact sum rounded once.
      auto partial = [&](int64_t kb0, int64_t kb1) -> float {
        if (scales == FP8GemmScales::Block1x128) {
          float acc = 0.0f;
          for (int64_t kb = kb0; kb < kb1; ++kb) {
            double s = 0.0;
            int64_t end = std::min(K, (kb + 1) * kFP8GemmBlock);
            for (int64_t k = kb * kFP8GemmBlock; k < end; ++k)
              s += a[k] * bd[k];
            float f = SA[m * KB + kb] * SB[(n / kFP8GemmBlock) * KB + kb];
            acc = std::fma(static_cast<float>(s), f, acc);
          }
          return acc;
        }
        double s = 0.0;
        int64_t end = std::min(K, kb1 * kFP8GemmBlock);
        for (int64_t k = kb0 * kFP8GemmBlock; k < end; ++k)
          s += a[k] * bd[k];
        return static_cast<float>(s);
      };
      float total;
      if (splitK == 1) {
        total = partial(0, KB);
      } else {
        // The partials summed in split order from +0, in f32.
        total = 0.0f;
        for (int64_t z = 0; z < splitK; ++z)
          total += partial(std::min(KB, z * per), std::min(KB, (z + 1) * per));
      }
      float out = total;
      if (scales != FP8GemmScales::Block1x128) {
        float f = scales == FP8GemmScales::PerTensor ? SA[0] * SB[0]
                                                     : SA[m] * SB[n];
        out = total * f;
      }
      C[m * N + n] = out;
    }
  }
  return llvm::Error::success();
}

} // namespace quantc::numerics
