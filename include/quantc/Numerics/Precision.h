//===- Precision.h - mixed-precision budget arithmetic (M2, M3) -----------===//
//
// What qc-assign-precision computes without MLIR (docs/Calibration.md):
// the storage bits of a weight in each candidate format (M2) and the
// multiple-choice knapsack that picks one format per layer (M3).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_NUMERICS_PRECISION_H
#define QUANTC_NUMERICS_PRECISION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace quantc::numerics {

/// M2: storage bits per element of a weight with reduction size k and n
/// output channels in `format` (codes plus scales, in the layout
/// qc-quantize-linear writes): f32 32, bf16 16, int8/fp8 8 + 32/k,
/// int4-g128 4 + 32 ceil(k/128)/k, fp8-1x128 8 + 32 ceil(k/128)
/// ceil(n/128)/(k n), nvfp4 4 + 8 ceil(k/16)/k + 32/(k n), mxfp8 / mxfp6 /
/// mxfp4 8 / 6 / 4 + 8 ceil(k/32)/k. Nothing for an unknown format.
/// `spatial` is the number of kernel positions a conv's reduction spans
/// (k = channels x spatial; int4-g128 blocks the channels only), 1 for a
/// matmul.
std::optional<double> weightBitsPerElement(llvm::StringRef format, int64_t k,
                                           int64_t n, int64_t spatial = 1);

/// M5: a GPU's roofline for the latency budget: HBM bandwidth and dense
/// tensor-core peak rates from NVIDIA's datasheets, and a fixed cost per
/// kernel launch (docs/Calibration.md).
struct GpuRoofline {
  llvm::StringRef target; // "sm_90"
  llvm::StringRef device; // "H100 SXM5"
  double bytesPerSecond;
  double bf16FlopsPerSecond, fp8FlopsPerSecond, int8OpsPerSecond,
      tf32FlopsPerSecond;
  double launchSeconds;
};
/// The targets the latency model knows (sm_89, sm_90, sm_100).
llvm::ArrayRef<GpuRoofline> getGpuRooflines();
/// Null for a target the model does not know.
const GpuRoofline *getGpuRoofline(llvm::StringRef target);

/// M5: modelled microseconds of one weight-only GEMM (the layer a
/// qc-assign-precision candidate makes) on `gpu`: m rows of activations
/// times a [k, n] weight stored in `format`, dequantized in registers and
/// multiplied at the bf16 rate (tf32 for f32): the launch cost plus the
/// larger of the bytes moved (weights at weightBitsPerElement, bf16
/// activations in and out; f32 ones for f32) over the bandwidth and the
/// 2 m k n flops over the rate. Nothing for an unknown format or bad
/// sizes.
std::optional<double> modelledLatencyUs(llvm::StringRef format,
                                        const GpuRoofline &gpu, int64_t m,
                                        int64_t k, int64_t n,
                                        int64_t spatial = 1);

/// M3: one option per item (layer) minimising the sum of err[l][c] with the
/// sum of cost[l][c] at most `budget`, by dynamic programming over costs
/// rounded to the nearest budget / grid (states carry their exact cost and
/// only those within budget count: never over budget; exact when every
/// cost is a multiple of that unit). Options with a non-finite error or a
/// non-finite or negative cost are excluded; at most 30000 options per
/// item. Empty when nothing fits or the sizes disagree.
std::vector<int>
solveMultipleChoiceKnapsack(llvm::ArrayRef<std::vector<double>> err,
                            llvm::ArrayRef<std::vector<double>> cost,
                            double budget, int64_t grid = 20000);

} // namespace quantc::numerics

#endif
