//===- Calibration.h - choosing a clipping range from observed values -----===//
//
// The range-selection methods of qc-calibrate (docs/Calibration.md, rules
// C1-C5): min-max, percentile, entropy (KL divergence, TensorRT's recipe)
// and MSE (the clip that minimises the quantization error in the target
// format). Values are streamed into a fixed-size histogram of |x|, so memory
// does not grow with the number of samples. No MLIR dependency.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_NUMERICS_CALIBRATION_H
#define QUANTC_NUMERICS_CALIBRATION_H

#include "quantc/Numerics/Formats.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace quantc::numerics {

enum class CalibMethod { MinMax, Percentile, Entropy, MSE };

/// "minmax", "percentile", "entropy", "mse".
std::optional<CalibMethod> parseCalibMethod(llvm::StringRef name);
llvm::StringRef calibMethodName(CalibMethod m);

/// Widens [lo, hi] to the values x[0, n), NaN ignored (min-max observers,
/// C1): the same result as a scalar std::min/std::max loop, in SIMD lanes.
void accumulateMinMax(const float *x, int64_t n, float &lo, float &hi);
/// The same per channel of the last axis: x is rows of k values, lo/hi
/// hold k entries each.
void accumulateChannelMinMax(const float *x, int64_t n, int64_t k, float *lo,
                             float *hi);
/// The same per channel of axis 1 of [N, C, inner...] values (NCHW
/// images): n values, c channels of `inner` contiguous values each; only
/// channels [c0, c1) (disjoint ranges can run on different threads).
void accumulatePlaneMinMax(const float *x, int64_t n, int64_t c,
                           int64_t inner, float *lo, float *hi, int64_t c0,
                           int64_t c1);

/// Adds each channel's values to sum[ch] for channels [c0, c1) (B1's
/// channel means): of the last axis of rows of k values, and of axis 1 of
/// [N, C, inner...] values.
void accumulateChannelSums(const float *x, int64_t n, int64_t k, double *sum,
                           int64_t c0, int64_t c1);
void accumulatePlaneSums(const float *x, int64_t n, int64_t c, int64_t inner,
                         double *sum, int64_t c0, int64_t c1);

/// A histogram of |x| over [0, maxAbs] in equal bins (C1); a value above
/// maxAbs counts in the last bin, NaN is not counted.
class AbsHistogram {
public:
  explicit AbsHistogram(float maxAbs, int bins = 2048);
  void add(const float *x, int64_t n);
  /// Adds the counts of `other`, which has the same maxAbs and bins (a
  /// histogram of another part of the same tensor).
  void merge(const AbsHistogram &other);
  int getNumBins() const { return int(counts.size()) - 1; }
  float getMaxAbs() const { return maxAbs; }
  double getBinWidth() const { return width; }
  llvm::ArrayRef<uint64_t> getCounts() const {
    return llvm::ArrayRef<uint64_t>(counts).drop_back();
  }
  uint64_t getTotal() const { return total; }

private:
  float maxAbs;
  double width;
  std::vector<uint64_t> counts; // the bins, then a slot NaN lands in
  uint64_t total = 0;
};

/// The clipping threshold T in (0, maxAbs] that `method` picks for the
/// values in `h`, for quantization to `format` (symmetric, scale =
/// T / maxFinite): MinMax gives maxAbs (C2); Percentile the smallest bin
/// edge below which `percentile` % of the values lie (C3); Entropy the
/// threshold whose 128-level quantized distribution is closest in KL
/// divergence to the observed one (C4); MSE the threshold whose expected
/// squared error, clipping included, is smallest (C5). An empty or all-zero
/// histogram gives 0.
float chooseClip(const AbsHistogram &h, CalibMethod method, ElemFormat format,
                 double percentile = 99.99);

} // namespace quantc::numerics

#endif
