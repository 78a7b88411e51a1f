//===- GptqTest.cpp - GPTQ weight quantization (docs/Formats.md F32) ------===//
#include "quantc/Numerics/Gptq.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace quantc::numerics;

namespace {
struct Layer {
  int64_t k, n, m;
  std::vector<float> w, x, h; // w [k, n], x [m, k], h = 2/m x^T x
};

/// Correlated inputs (each channel mixes its neighbours), so the Hessian is
/// far from diagonal: what GPTQ exploits.
Layer makeLayer(int64_t k, int64_t n, int64_t m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  Layer l{k, n, m, {}, {}, {}};
  l.w.resize(k * n);
  for (float &v : l.w)
    v = d(rng);
  std::vector<float> z(m * k);
  for (float &v : z)
    v = d(rng);
  l.x.resize(m * k);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t i = 0; i < k; ++i)
      l.x[r * k + i] = z[r * k + i] + 0.8f * z[r * k + (i + 1) % k] +
                       0.5f * z[r * k + (i + 3) % k];
  l.h.assign(k * k, 0.0f);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t r = 0; r < m; ++r)
        s += double(l.x[r * k + i]) * l.x[r * k + j];
      l.h[i * k + j] = float(2.0 * s / double(m));
    }
  return l;
}

/// ||X W - X Q||^2 for dequantized Q.
double outputError(const Layer &l, const std::vector<float> &q) {
  double e = 0;
  for (int64_t r = 0; r < l.m; ++r)
    for (int64_t j = 0; j < l.n; ++j) {
      double a = 0, b = 0;
      for (int64_t i = 0; i < l.k; ++i) {
        a += double(l.x[r * l.k + i]) * l.w[i * l.n + j];
        b += double(l.x[r * l.k + i]) * q[i * l.n + j];
      }
      e += (a - b) * (a - b);
    }
  return e;
}

std::vector<float> dequantized(const Layer &l, const std::vector<uint8_t> &c,
                               const std::vector<float> &s,
                               const LinearLayout &layout, ElemFormat f) {
  std::vector<float> q(l.k * l.n);
  EXPECT_FALSE(bool(dequantizeLinear(c.data(), {l.k, l.n}, s.data(), nullptr,
                                     layout, f, q.data())));
  return q;
}

struct Case {
  LinearLayout layout;
  ElemFormat f;
  int64_t scales(int64_t k, int64_t n) const {
    return layout.granularity == Granularity::Blocked
               ? (k + layout.blockSize - 1) / layout.blockSize * n
               : n;
  }
};

const Case kCases[] = {
    {{Granularity::PerAxis, 1, 0}, ElemFormat::INT8},
    {{Granularity::Blocked, 0, 32}, ElemFormat::INT4},
    {{Granularity::PerAxis, 1, 0}, ElemFormat::E4M3FN},
};

// F32: on the calibration inputs GPTQ's output error is below round to
// nearest's (its objective), for every layout and format.
TEST(GptqTest, LowerOutputErrorThanRoundToNearest) {
  for (const Case &c : kCases) {
    Layer l = makeLayer(/*k=*/80, /*n=*/12, /*m=*/256, 7);
    std::vector<float> s(c.scales(l.k, l.n)), rs(s.size());
    std::vector<uint8_t> codes(l.k * l.n), rcodes(codes.size());
    ASSERT_FALSE(bool(gptqQuantize(l.w.data(), l.h.data(), l.k, l.n, c.layout,
                                   c.f, {}, s.data(), codes.data())));
    ASSERT_FALSE(bool(computeLinearParams(l.w.data(), {l.k, l.n}, c.layout,
                                          c.f, false, rs.data(), nullptr)));
    ASSERT_FALSE(bool(quantizeLinear(l.w.data(), {l.k, l.n}, rs.data(),
                                     nullptr, c.layout, c.f, true,
                                     rcodes.data())));
    double g = outputError(l, dequantized(l, codes, s, c.layout, c.f));
    double r = outputError(l, dequantized(l, rcodes, rs, c.layout, c.f));
    EXPECT_LT(g, 0.8 * r) << getFormatInfo(c.f).name;
  }
}

// F32: with uncorrelated inputs (H diagonal) there is no error to spread:
// GPTQ is round to nearest, code for code.
TEST(GptqTest, DiagonalHessianIsRoundToNearest) {
  for (const Case &c : kCases) {
    Layer l = makeLayer(48, 5, 1, 3);
    std::vector<float> h(l.k * l.k, 0.0f);
    for (int64_t i = 0; i < l.k; ++i)
      h[i * l.k + i] = 1.0f + float(i % 5);
    std::vector<float> s(c.scales(l.k, l.n)), rs(s.size());
    std::vector<uint8_t> codes(l.k * l.n), rcodes(codes.size());
    ASSERT_FALSE(bool(gptqQuantize(l.w.data(), h.data(), l.k, l.n, c.layout,
                                   c.f, {}, s.data(), codes.data())));
    ASSERT_FALSE(bool(computeLinearParams(l.w.data(), {l.k, l.n}, c.layout,
                                          c.f, false, rs.data(), nullptr)));
    ASSERT_FALSE(bool(quantizeLinear(l.w.data(), {l.k, l.n}, rs.data(),
                                     nullptr, c.layout, c.f, true,
                                     rcodes.data())));
    EXPECT_EQ(codes, rcodes) << getFormatInfo(c.f).name;
    EXPECT_EQ(s, rs);
  }
}

// F32: a channel no input reached (a zero row and column of H) is
// quantized as it is; bad inputs are errors, not crashes.
TEST(GptqTest, DeadChannelsAndErrors) {
  Layer l = makeLayer(16, 3, 64, 5);
  for (int64_t j = 0; j < l.k; ++j)
    l.h[4 * l.k + j] = l.h[j * l.k + 4] = 0.0f;
  LinearLayout perCol{Granularity::PerAxis, 1, 0};
  std::vector<float> s(l.n);
  std::vector<uint8_t> codes(l.k * l.n);
  EXPECT_FALSE(bool(gptqQuantize(l.w.data(), l.h.data(), l.k, l.n, perCol,
                                 ElemFormat::INT8, {}, s.data(),
                                 codes.data())));
  std::vector<float> bad = l.h;
  bad[0] = NAN;
  llvm::Error e = gptqQuantize(l.w.data(), bad.data(), l.k, l.n, perCol,
                               ElemFormat::INT8, {}, s.data(), codes.data());
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("NaN or Inf"),
            std::string::npos);
  std::vector<float> negative(l.k * l.k, 0.0f);
  for (int64_t i = 0; i < l.k; ++i)
    negative[i * l.k + i] = -1.0f;
  e = gptqQuantize(l.w.data(), negative.data(), l.k, l.n, perCol,
                   ElemFormat::INT8, {}, s.data(), codes.data());
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("not positive definite"),
            std::string::npos);
  LinearLayout wrong{Granularity::PerAxis, 0, 0};
  e = gptqQuantize(l.w.data(), l.h.data(), l.k, l.n, wrong, ElemFormat::INT8,
                   {}, s.data(), codes.data());
  EXPECT_TRUE(bool(e));
  llvm::consumeError(std::move(e));
}
} // namespace
