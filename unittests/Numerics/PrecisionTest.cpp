//===- PrecisionTest.cpp - mixed-precision budget (Calibration.md M2, M3) -===//
#include "quantc/Numerics/Precision.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace quantc::numerics;

namespace {
// M3 against brute force on random instances whose integer costs are
// multiples of the grid unit (budget / grid = 1): the optimum exactly.
TEST(PrecisionTest, KnapsackMatchesBruteForce) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> costD(1, 9);
  std::uniform_real_distribution<double> errD(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    int nl = 1 + trial % 6, nc = 1 + trial % 3;
    std::vector<std::vector<double>> err(nl, std::vector<double>(nc)),
        cost(nl, std::vector<double>(nc));
    for (int l = 0; l < nl; ++l)
      for (int c = 0; c < nc; ++c) {
        err[l][c] = errD(rng);
        cost[l][c] = costD(rng);
      }
    int budget = 2 + int(rng() % (9 * nl));
    double bestErr = std::numeric_limits<double>::infinity();
    std::vector<int> pick(nl, 0);
    for (;;) { // every assignment
      double e = 0, c = 0;
      for (int l = 0; l < nl; ++l) {
        e += err[l][pick[l]];
        c += cost[l][pick[l]];
      }
      if (c <= budget)
        bestErr = std::min(bestErr, e);
      int l = 0;
      while (l < nl && ++pick[l] == nc)
        pick[l++] = 0;
      if (l == nl)
        break;
    }
    std::vector<int> got =
        solveMultipleChoiceKnapsack(err, cost, double(budget), budget);
    if (!std::isfinite(bestErr)) {
      EXPECT_TRUE(got.empty());
      continue;
    }
    ASSERT_EQ(int(got.size()), nl);
    double e = 0, c = 0;
    for (int l = 0; l < nl; ++l) {
      e += err[l][got[l]];
      c += cost[l][got[l]];
    }
    EXPECT_LE(c, budget);
    EXPECT_NEAR(e, bestErr, 1e-12) << "trial " << trial;
  }
}

// M3: an option with a non-finite error is never picked; nothing that fits
// gives no assignment.
TEST(PrecisionTest, KnapsackExclusionsAndInfeasible) {
  std::vector<std::vector<double>> err = {
      {1.0, std::numeric_limits<double>::infinity()}, {2.0, 0.5}};
  std::vector<std::vector<double>> cost = {{4, 1}, {4, 8}};
  std::vector<int> got = solveMultipleChoiceKnapsack(err, cost, 12, 12);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], 0);
  EXPECT_EQ(got[1], 1);
  EXPECT_TRUE(solveMultipleChoiceKnapsack(err, cost, 7, 7).empty());
  EXPECT_TRUE(solveMultipleChoiceKnapsack(err, cost, 0, 10).empty());
}

// M2: codes plus scales per element.
TEST(PrecisionTest, BitsPerWeight) {
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("int4-g128", 256, 64), 4.25);
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("int4-g128", 64, 64), 4.5);
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("int8", 128, 10), 8.25);
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("bf16", 3, 3), 16.0);
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("nvfp4", 32, 4),
                   4.0 + 0.5 + 32.0 / 128.0);
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("fp8-1x128", 256, 256),
                   8.0 + 32.0 * 4 / 65536.0);
  EXPECT_FALSE(weightBitsPerElement("int3", 8, 8));
}
} // namespace

namespace {
// M3 at a budget the cheapest assignment meets exactly, with costs that
// are not multiples of the grid unit (GPT-2 block shapes): it must be
// found, not lost to rounding.
TEST(PrecisionTest, ExactBudgetIsFeasible) {
  const int64_t shapes[][2] = {{768, 2304}, {768, 768}, {768, 3072},
                               {3072, 768}};
  std::vector<std::vector<double>> err, cost;
  double numel = 0;
  for (auto [k, n] : shapes) {
    double cells = double(k) * double(n);
    numel += cells;
    cost.push_back({*weightBitsPerElement("int4-g128", k, n) * cells,
                    *weightBitsPerElement("int8", k, n) * cells});
    err.push_back({1.0, 0.1});
  }
  std::vector<int> got = solveMultipleChoiceKnapsack(err, cost, 4.25 * numel);
  ASSERT_EQ(got.size(), 4u);
  for (int c : got)
    EXPECT_EQ(c, 0);
  EXPECT_TRUE(solveMultipleChoiceKnapsack(err, cost, 4.2 * numel).empty());
}

// M2: a conv's int4-g128 scales block its channels, once per kernel
// position.
TEST(PrecisionTest, ConvInt4Scales) {
  // 3 channels x 7x7: one block of 3 per position: 4 + 32 * 49 / 147.
  EXPECT_DOUBLE_EQ(*weightBitsPerElement("int4-g128", 147, 8, 49),
                   4.0 + 32.0 * 49 / 147);
  EXPECT_FALSE(weightBitsPerElement("int4-g128", 10, 8, 3));
}
} // namespace

namespace {
// M5: the roofline by hand. Decode (m = 1) on H100: memory-bound, the
// weight bytes dominate; a large m is compute-bound at the bf16 rate for
// every weight format (weight-only GEMMs compute in bf16).
TEST(PrecisionTest, LatencyModelRoofline) {
  const GpuRoofline *h100 = getGpuRoofline("sm_90");
  ASSERT_NE(h100, nullptr);
  EXPECT_EQ(getGpuRoofline("sm_75"), nullptr);
  int64_t k = 4096, n = 4096;
  // int8: (8 + 32/k) bits per weight, bf16 activations in and out.
  double bytes = (8.0 + 32.0 / k) * k * n / 8 + 2.0 * (k + n);
  EXPECT_NEAR(*modelledLatencyUs("int8", *h100, 1, k, n),
              2.0 + bytes / 3.35e12 * 1e6, 1e-9);
  double b4 = *modelledLatencyUs("int4-g128", *h100, 1, k, n);
  double b8 = *modelledLatencyUs("int8", *h100, 1, k, n);
  double b16 = *modelledLatencyUs("bf16", *h100, 1, k, n);
  EXPECT_LT(b4, b8);
  EXPECT_LT(b8, b16);
  // Compute-bound: 2 m k n / 989.4e12 for every format but f32 (tf32).
  int64_t m = 16384;
  double flops = 2.0 * m * k * n;
  for (const char *f : {"int4-g128", "int8", "nvfp4", "bf16"})
    EXPECT_NEAR(*modelledLatencyUs(f, *h100, m, k, n),
                2.0 + flops / 989.4e12 * 1e6, 1e-6)
        << f;
  EXPECT_NEAR(*modelledLatencyUs("f32", *h100, m, k, n),
              2.0 + flops / 494.7e12 * 1e6, 1e-6);
  EXPECT_FALSE(modelledLatencyUs("int3", *h100, 1, k, n));
  EXPECT_FALSE(modelledLatencyUs("int8", *h100, 0, k, n));
}
} // namespace
