//===- CalibrationTest.cpp - range selection (docs/Calibration.md C1-C5) --===//
#include "quantc/Numerics/Calibration.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace quantc::numerics;

namespace {
std::vector<float> gaussian(size_t n, uint32_t seed, float outlier = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  if (outlier != 0)
    v[n / 2] = outlier;
  return v;
}

AbsHistogram histogram(const std::vector<float> &v) {
  float amax = 0;
  for (float x : v)
    amax = std::max(amax, std::fabs(x));
  AbsHistogram h(amax);
  h.add(v.data(), (int64_t)v.size());
  return h;
}
} // namespace

TEST(CalibrationTest, MethodNames) {
  for (auto m : {CalibMethod::MinMax, CalibMethod::Percentile,
                 CalibMethod::Entropy, CalibMethod::MSE})
    EXPECT_EQ(parseCalibMethod(calibMethodName(m)), m);
  EXPECT_FALSE(parseCalibMethod("kl"));
}

// C1: counts, the last bin takes what is above maxAbs, NaN is not counted.
TEST(CalibrationTest, HistogramBins) {
  AbsHistogram h(4.0f, 4);
  std::vector<float> v = {0.5f, -1.5f, 2.5f, 3.999f, 4.0f, 100.0f, NAN, -0.0f};
  h.add(v.data(), (int64_t)v.size());
  EXPECT_EQ(h.getTotal(), 7u);
  EXPECT_EQ(std::vector<uint64_t>(h.getCounts().begin(), h.getCounts().end()),
            (std::vector<uint64_t>{2, 1, 1, 3}));
}

// Streaming: adding in pieces equals adding at once.
TEST(CalibrationTest, HistogramStreams) {
  std::vector<float> v = gaussian(10000, 1);
  AbsHistogram a(5.0f), b(5.0f);
  a.add(v.data(), 10000);
  for (int i = 0; i < 10; ++i)
    b.add(v.data() + 1000 * i, 1000);
  EXPECT_EQ(std::vector<uint64_t>(a.getCounts().begin(), a.getCounts().end()),
            std::vector<uint64_t>(b.getCounts().begin(), b.getCounts().end()));
}

// Parts scanned apart (on different threads) and merged count as one scan,
// NaN slot and total included.
TEST(CalibrationTest, HistogramMerges) {
  std::vector<float> v = gaussian(10000, 2);
  v[17] = NAN;
  AbsHistogram whole(4.0f, 64), merged(4.0f, 64), part(4.0f, 64);
  whole.add(v.data(), 10000);
  merged.add(v.data(), 3000);
  part.add(v.data() + 3000, 7000);
  merged.merge(part);
  EXPECT_EQ(merged.getTotal(), whole.getTotal());
  EXPECT_EQ(merged.getTotal(), 9999u);
  EXPECT_EQ(
      std::vector<uint64_t>(whole.getCounts().begin(), whole.getCounts().end()),
      std::vector<uint64_t>(merged.getCounts().begin(),
                            merged.getCounts().end()));
  EXPECT_EQ(merged.getNumBins(), 64);
}

// Q4: per channel of axis 1 of [N, C, inner] values, each range of
// channels on its own (as the observer splits them over threads).
TEST(CalibrationTest, PlaneMinMaxPerChannelRange) {
  // N = 2, C = 3, inner = 2: channel c holds x[n][c][0..1].
  std::vector<float> x = {1, -2, 3, 4, -5, 6, /* n = 1 */ 0, 7, -8, 2, 9, -1};
  float inf = INFINITY;
  std::vector<float> lo(3, inf), hi(3, -inf);
  accumulatePlaneMinMax(x.data(), 12, 3, 2, lo.data(), hi.data(), 1, 3);
  EXPECT_EQ(lo[0], inf); // channel 0 is not in [1, 3)
  EXPECT_EQ(lo[1], -8.0f);
  EXPECT_EQ(hi[1], 4.0f);
  EXPECT_EQ(lo[2], -5.0f);
  EXPECT_EQ(hi[2], 9.0f);
  accumulatePlaneMinMax(x.data(), 12, 3, 2, lo.data(), hi.data(), 0, 1);
  EXPECT_EQ(lo[0], -2.0f);
  EXPECT_EQ(hi[0], 7.0f);
}

// B1: channel sums of the last axis and of axis 1, each range of channels
// on its own.
TEST(CalibrationTest, ChannelSums) {
  // Rows of k = 3 (a matmul's activation), or N = 2, C = 3, inner = 2.
  std::vector<float> x = {1, -2, 3, 4, -5, 6, 0, 7, -8, 2, 9, -1};
  std::vector<double> rows(3, 0.0), planes(3, 0.0);
  accumulateChannelSums(x.data(), 12, 3, rows.data(), 0, 2);
  EXPECT_EQ(rows, (std::vector<double>{1 + 4 + 0 + 2, -2 - 5 + 7 + 9, 0}));
  accumulateChannelSums(x.data(), 12, 3, rows.data(), 2, 3);
  EXPECT_EQ(rows[2], 3.0 + 6 - 8 - 1);
  accumulatePlaneSums(x.data(), 12, 3, 2, planes.data(), 0, 3);
  EXPECT_EQ(planes, (std::vector<double>{1 - 2 + 0 + 7, 3 + 4 - 8 + 2,
                                         -5 + 6 + 9 - 1}));
}

// C2, C3: min-max is the largest |x|; percentile of a uniform |x| is that
// fraction of the range, to within a bin.
TEST(CalibrationTest, MinMaxAndPercentile) {
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = (i % 2 ? -1.0f : 1.0f) * float(i) / float(v.size()) * 10.0f;
  AbsHistogram h = histogram(v);
  EXPECT_FLOAT_EQ(chooseClip(h, CalibMethod::MinMax, ElemFormat::INT8),
                  h.getMaxAbs());
  float p99 = chooseClip(h, CalibMethod::Percentile, ElemFormat::INT8, 99.0);
  EXPECT_NEAR(p99, 9.9f, 2 * h.getBinWidth());
  EXPECT_FLOAT_EQ(
      chooseClip(h, CalibMethod::Percentile, ElemFormat::INT8, 100.0),
      h.getMaxAbs());
}

// C4, C5: with one huge outlier, entropy clips near the bulk of a standard
// normal (within 4-5); MSE clips too, but only so far: clipping the one
// value at 100 to T costs (100 - T)^2, which at T = 6 outweighs the
// rounding error of all 200,000 others (s^2 / 12 each, s = T / 127).
TEST(CalibrationTest, EntropyAndMSEClipOutliers) {
  AbsHistogram h = histogram(gaussian(200000, 2, /*outlier=*/100.0f));
  EXPECT_FLOAT_EQ(h.getMaxAbs(), 100.0f);
  float kl = chooseClip(h, CalibMethod::Entropy, ElemFormat::INT8);
  float mse = chooseClip(h, CalibMethod::MSE, ElemFormat::INT8);
  EXPECT_GT(kl, 2.0f);
  EXPECT_LT(kl, 20.0f);
  EXPECT_GT(mse, 20.0f);
  EXPECT_LT(mse, 75.0f);
  // FP8's wide range tolerates more: its MSE clip is not tighter than int8's.
  float mse8 = chooseClip(h, CalibMethod::MSE, ElemFormat::E4M3FN);
  EXPECT_GE(mse8, mse);
}

// C5: the MSE choice is no worse, by its own measure, than min-max.
TEST(CalibrationTest, MSEBeatsMinMaxOnItsObjective) {
  std::vector<float> v = gaussian(50000, 3, 30.0f);
  AbsHistogram h = histogram(v);
  auto err = [&](float t) {
    double e = 0, s = t / 127.0;
    for (float x : v) {
      double q = std::nearbyint(std::min(std::fabs(x) / s, 127.0)) * s;
      e += (std::fabs(x) - q) * (std::fabs(x) - q);
    }
    return e;
  };
  float t = chooseClip(h, CalibMethod::MSE, ElemFormat::INT8);
  EXPECT_LT(err(t), err(h.getMaxAbs()));
}

TEST(CalibrationTest, EmptyAndZero) {
  AbsHistogram empty(0.0f);
  EXPECT_EQ(chooseClip(empty, CalibMethod::Entropy, ElemFormat::INT8), 0.0f);
  AbsHistogram zeros(0.0f);
  std::vector<float> z(10, 0.0f);
  zeros.add(z.data(), 10);
  EXPECT_EQ(chooseClip(zeros, CalibMethod::MSE, ElemFormat::INT8), 0.0f);
}

// accumulateMinMax (vector MINPS/MAXPS on x86) against the scalar rule
// `v < m ? v : m` at every length around its 16-lane blocks, with NaN
// (ignored), infinities and signed zeros among the values.
TEST(CalibrationTest, MinMaxMatchesScalarRule) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f};
  for (int64_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 1000}) {
    std::vector<float> x(n);
    for (float &v : x)
      v = normal(rng);
    for (int64_t i = 0; i < n; i += 7)
      x[i] = specials[(i / 7) % 6];
    float lo = INFINITY, hi = -INFINITY, rlo = lo, rhi = hi;
    accumulateMinMax(x.data(), n, lo, hi);
    for (float v : x) {
      rlo = v < rlo ? v : rlo;
      rhi = rhi < v ? v : rhi;
    }
    // (==: which zero a range of zeros keeps depends on the lanes.)
    EXPECT_EQ(lo, rlo) << n;
    EXPECT_EQ(hi, rhi) << n;
  }
  // Starting from an earlier range: it only widens.
  std::vector<float> x = {2.0f, NAN, 3.0f};
  float lo = -1.0f, hi = 2.5f;
  accumulateMinMax(x.data(), 3, lo, hi);
  EXPECT_EQ(lo, -1.0f);
  EXPECT_EQ(hi, 3.0f);
}
