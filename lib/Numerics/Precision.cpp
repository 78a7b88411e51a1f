//===- Precision.cpp - mixed-precision budget arithmetic ------------------===//
#include "quantc/Numerics/Precision.h"

#include <algorithm>
#include <cmath>
#include <limits>

std::optional<double>
quantc::numerics::weightBitsPerElement(llvm::StringRef format, int64_t k,
                                       int64_t n, int64_t spatial) {
  if (k <= 0 || n <= 0 || spatial <= 0 || k % spatial)
    return std::nullopt;
  double kd = double(k), cells = double(k) * double(n);
  auto blocks = [](int64_t d, int64_t b) { return double((d + b - 1) / b); };
  if (format == "f32")
    return 32.0;
  if (format == "bf16")
    return 16.0;
  if (format == "int8" || format == "fp8")
    return 8.0 + 32.0 / kd;
  if (format == "int4-g128")
    return 4.0 + 32.0 * blocks(k / spatial, 128) * double(spatial) * n /
                     cells;
  if (format == "fp8-1x128")
    return 8.0 + 32.0 * blocks(k, 128) * blocks(n, 128) / cells;
  if (format == "nvfp4")
    return 4.0 + 8.0 * blocks(k, 16) * n / cells + 32.0 / cells;
  // OCP MX, weights only (matmuls): E8M0 scales per 32 along K.
  if (format == "mxfp8" || format == "mxfp6" || format == "mxfp4")
    return (format == "mxfp8" ? 8.0 : format == "mxfp6" ? 6.0 : 4.0) +
           8.0 * blocks(k, 32) * n / cells;
  return std::nullopt;
}

llvm::ArrayRef<quantc::numerics::GpuRoofline>
quantc::numerics::getGpuRooflines() {
  // Dense peak rates (no structured sparsity) and memory bandwidth from the
  // datasheets: NVIDIA L40S (2023), H100 SXM5 (2023), HGX B200 per GPU
  // (2024). 2 us per launch: a kernel launch and its tail, measured
  // 1.5-3 us on Hopper for small GEMMs.
  static const GpuRoofline table[] = {
      {"sm_89", "L40S", 864e9, 362.05e12, 733e12, 733e12, 183e12, 2e-6},
      {"sm_90", "H100 SXM5", 3.35e12, 989.4e12, 1978.9e12, 1978.9e12,
       494.7e12, 2e-6},
      {"sm_100", "B200", 8e12, 2250e12, 4500e12, 4500e12, 1100e12, 2e-6},
  };
  return table;
}

const quantc::numerics::GpuRoofline *
quantc::numerics::getGpuRoofline(llvm::StringRef target) {
  for (const GpuRoofline &g : getGpuRooflines())
    if (g.target == target)
      return &g;
  return nullptr;
}

std::optional<double>
quantc::numerics::modelledLatencyUs(llvm::StringRef format,
                                    const GpuRoofline &gpu, int64_t m,
                                    int64_t k, int64_t n, int64_t spatial) {
  std::optional<double> bits = weightBitsPerElement(format, k, n, spatial);
  if (!bits || m <= 0)
    return std::nullopt;
  bool f32 = format == "f32";
  double actBytes = f32 ? 4.0 : 2.0;
  double md = double(m), kd = double(k), nd = double(n);
  double bytes = *bits * kd * nd / 8.0 + actBytes * md * (kd + nd);
  double flops = 2.0 * md * kd * nd;
  double rate = f32 ? gpu.tf32FlopsPerSecond : gpu.bf16FlopsPerSecond;
  double seconds =
      gpu.launchSeconds + std::max(bytes / gpu.bytesPerSecond, flops / rate);
  return seconds * 1e6;
}

std::vector<int> quantc::numerics::solveMultipleChoiceKnapsack(
    llvm::ArrayRef<std::vector<double>> err,
    llvm::ArrayRef<std::vector<double>> cost, double budget, int64_t grid) {
  size_t nl = err.size();
  if (!(budget > 0) || grid <= 0 || cost.size() != nl)
    return {};
  for (size_t l = 0; l < nl; ++l)
    if (cost[l].size() != err[l].size() || err[l].size() > 30000)
      return {};
  // Costs rounded to the nearest unit; each layer can then be off by half
  // a unit, so the table reaches grid + nl units, and every state also
  // carries its exact cost: only states whose exact cost fits count.
  double unit = budget / double(grid);
  int64_t top = grid + int64_t(nl);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> best(top + 1, inf), next(top + 1), exact(top + 1, 0),
      nextExact(top + 1);
  best[0] = 0;
  std::vector<std::vector<int16_t>> choice(nl,
                                           std::vector<int16_t>(top + 1, -1));
  for (size_t l = 0; l < nl; ++l) {
    std::fill(next.begin(), next.end(), inf);
    for (size_t c = 0; c < err[l].size(); ++c) {
      double cl = cost[l][c];
      if (!std::isfinite(err[l][c]) || !std::isfinite(cl) || cl < 0 ||
          cl > budget * (1 + 1e-12))
        continue;
      int64_t u = int64_t(std::llround(cl / unit));
      for (int64_t g = 0; g + u <= top; ++g) {
        if (!std::isfinite(best[g]))
          continue;
        double e = best[g] + err[l][c], x = exact[g] + cl;
        if (e < next[g + u] || (e == next[g + u] && x < nextExact[g + u])) {
          next[g + u] = e;
          nextExact[g + u] = x;
          choice[l][g + u] = int16_t(c);
        }
      }
    }
    best.swap(next);
    exact.swap(nextExact);
  }
  int64_t g = -1;
  for (int64_t i = 0; i <= top; ++i)
    if (std::isfinite(best[i]) && exact[i] <= budget * (1 + 1e-12) &&
        (g < 0 || best[i] < best[g]))
      g = i;
  if (g < 0)
    return {};
  std::vector<int> pick(nl);
  for (size_t l = nl; l-- > 0;) {
    int c = choice[l][g];
    pick[l] = c;
    g -= int64_t(std::llround(cost[l][c] / unit));
  }
  return pick;
}
