//===- Precision.cpp - mixed-precision budget arithmetic ------------------===//
#include "quantc/Numerics/Precision.h"

#include <algorithm>
#include <cmath>
#include <limits>

std::optional<double>
quantc::numerics::weightBitsPerElement(llvm::StringRef format, int64_t k,
                                       int64_t n) {
  double kd = double(k), cells = double(k) * double(n);
  auto blocks = [](int64_t d, int64_t b) { return double((d + b - 1) / b); };
  if (format == "f32")
    return 32.0;
  if (format == "bf16")
    return 16.0;
  if (format == "int8" || format == "fp8")
    return 8.0 + 32.0 / kd;
  if (format == "int4-g128")
    return 4.0 + 32.0 * blocks(k, 128) * n / cells;
  if (format == "fp8-1x128")
    return 8.0 + 32.0 * blocks(k, 128) * blocks(n, 128) / cells;
  if (format == "nvfp4")
    return 4.0 + 8.0 * blocks(k, 16) * n / cells + 32.0 / cells;
  return std::nullopt;
}

std::vector<int> quantc::numerics::solveMultipleChoiceKnapsack(
    llvm::ArrayRef<std::vector<double>> err,
    llvm::ArrayRef<std::vector<double>> cost, double budget, int64_t kGrid) {
  size_t nl = err.size();
  if (!(budget > 0) || kGrid <= 0 || cost.size() != nl)
    return {};
  double unit = budget / double(kGrid);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> best(kGrid + 1, inf), next(kGrid + 1);
  best[0] = 0;
  std::vector<std::vector<int8_t>> choice(nl,
                                          std::vector<int8_t>(kGrid + 1, -1));
  for (size_t l = 0; l < nl; ++l) {
    std::fill(next.begin(), next.end(), inf);
    for (size_t c = 0; c < err[l].size(); ++c) {
      if (!std::isfinite(err[l][c]))
        continue;
      double units = std::ceil(cost[l][c] / unit - 1e-9);
      if (units > double(kGrid))
        continue;
      int64_t u = int64_t(units);
      for (int64_t g = 0; g + u <= kGrid; ++g)
        if (best[g] + err[l][c] < next[g + u]) {
          next[g + u] = best[g] + err[l][c];
          choice[l][g + u] = int8_t(c);
        }
    }
    best.swap(next);
  }
  int64_t g = std::min_element(best.begin(), best.end()) - best.begin();
  if (!std::isfinite(best[g]))
    return {};
  std::vector<int> pick(nl);
  for (size_t l = nl; l-- > 0;) {
    int c = choice[l][g];
    pick[l] = c;
    g -= int64_t(std::ceil(cost[l][c] / unit - 1e-9));
  }
  return pick;
}

