//===- GemmTest.cpp - F33, the FP8 GEMM kernels' arithmetic ---------------===//
//
// Hand-computed cases; python/tests/test_gemm_fp8.py checks random shapes bit
// for bit against an independent numpy + fractions reference.
//
//===----------------------------------------------------------------------===//

#include "quantc/Numerics/Formats.h"
#include "quantc/Numerics/Gemm.h"

#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace quantc::numerics;

namespace {

uint8_t e4m3(float x) {
  return static_cast<uint8_t>(encode(ElemFormat::E4M3FN, x));
}

TEST(GemmFP8, BlockPromotionUsesOneFmaPerBlock) {
  // K = 256: two blocks. Row a = [1, 1, ..., 1], column b = [1, ...]: each
  // block sums to 128; scales 0.5 and 3 for the two blocks.
  const int K = 256;
  std::vector<uint8_t> a(K, e4m3(1.0f)), b(K, e4m3(1.0f));
  float sa[2] = {0.5f, 3.0f}, sb[2] = {1.0f, 1.0f}, c = 0;
  ASSERT_FALSE(gemmFP8Reference(a.data(), b.data(), 1, 1, K,
                                FP8GemmScales::Block1x128, sa, sb, &c));
  EXPECT_EQ(c, 128 * 0.5f + 128 * 3.0f);
}

TEST(GemmFP8, BlockSumIsExactThenRoundedOnce) {
  // 256 * 256 = 2^16 first, then 127 products of 2^-9 (less than half an
  // f32 ulp of 2^16 each): an f32 running sum stays at 65536, the exact sum
  // 65536 + 127 * 2^-9 rounds once to 65536.25.
  const int K = 128;
  std::vector<uint8_t> a(K, e4m3(std::ldexp(1.0f, -9))), b(K, e4m3(1.0f));
  a[0] = b[0] = e4m3(256.0f);
  float sa = 1, sb = 1, c = 0;
  ASSERT_FALSE(gemmFP8Reference(a.data(), b.data(), 1, 1, K,
                                FP8GemmScales::Block1x128, &sa, &sb, &c));
  EXPECT_EQ(c, 65536.25f);
}

TEST(GemmFP8, PerChannelScalesTheWholeSum) {
  const int M = 2, N = 3, K = 16;
  std::vector<uint8_t> a(M * K, e4m3(2.0f)), b(N * K, e4m3(0.5f));
  float sa[M] = {1.0f, 0.25f}, sb[N] = {1.0f, 2.0f, 4.0f}, c[M * N];
  ASSERT_FALSE(gemmFP8Reference(a.data(), b.data(), M, N, K,
                                FP8GemmScales::PerTokenPerChannel, sa, sb, c));
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n)
      EXPECT_EQ(c[m * N + n], 16.0f * (sa[m] * sb[n]));
  float one = 1, c1[M * N];
  ASSERT_FALSE(gemmFP8Reference(a.data(), b.data(), M, N, K,
                                FP8GemmScales::PerTensor, &one, &sb[2], c1));
  for (float v : c1)
    EXPECT_EQ(v, 64.0f);
}

TEST(GemmFP8, RejectsEmptyShapes) {
  uint8_t x = 0;
  float s = 1, c = 0;
  llvm::Error e = gemmFP8Reference(&x, &x, 0, 1, 1, FP8GemmScales::PerTensor,
                                   &s, &s, &c);
  ASSERT_TRUE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("M, N, K must be >= 1"),
            std::string::npos);
  EXPECT_EQ(parseFP8GemmScales("1x128"), FP8GemmScales::Block1x128);
  EXPECT_EQ(getFP8GemmScalesName(FP8GemmScales::PerTokenPerChannel),
            "per-channel");
  EXPECT_FALSE(parseFP8GemmScales("mx").has_value());
}

} // namespace
