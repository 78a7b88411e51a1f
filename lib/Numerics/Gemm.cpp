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
                             const float *SA, const float *SB, float *C) {
  if (M < 1 || N < 1 || K < 1)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "gemmFP8Reference: M, N, K must be >= 1 (got %lld, %lld, %lld)",
        static_cast<long long>(M), static_cast<long long>(N),
        static_cast<long long>(K));
  std::array<double, 256> lut;
  for (int c = 0; c < 256; ++c)
    lut[c] = decode(ElemFormat::E4M3FN, static_cast<uint16_t>(c));
  const int64_t KB = (K + kFP8GemmBlock - 1) / kFP8GemmBlock;
  std::vector<double> a(K), bd(K);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < K; ++k)
      a[k] = lut[A[m * K + k]];
    for (int64_t n = 0; n < N; ++n) {
      const uint8_t *brow = B + n * K;
      for (int64_t k = 0; k < K; ++k)
        bd[k] = lut[brow[k]];
      float out;
      if (scales == FP8GemmScales::Block1x128) {
        float acc = 0.0f;
        for (int64_t kb = 0; kb < KB; ++kb) {
          double s = 0.0;
          int64_t end = std::min(K, (kb + 1) * kFP8GemmBlock);
          for (int64_t k = kb * kFP8GemmBlock; k < end; ++k)
            s += a[k] * bd[k];
          float f = SA[m * KB + kb] * SB[(n / kFP8GemmBlock) * KB + kb];
          acc = std::fma(static_cast<float>(s), f, acc);
        }
        out = acc;
      } else {
        double s = 0.0;
        for (int64_t k = 0; k < K; ++k)
          s += a[k] * bd[k];
        float f = scales == FP8GemmScales::PerTensor ? SA[0] * SB[0]
                                                     : SA[m] * SB[n];
        out = static_cast<float>(s) * f;
      }
      C[m * N + n] = out;
    }
  }
  return llvm::Error::success();
}

} // namespace quantc::numerics
