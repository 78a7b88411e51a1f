//===- Gptq.h - GPTQ weight quantization (F32 in docs/Formats.md) ---------===//
#ifndef QUANTC_NUMERICS_GPTQ_H
#define QUANTC_NUMERICS_GPTQ_H

#include "quantc/Numerics/Linear.h"

namespace quantc::numerics {

struct GptqOptions {
  /// Added to H's diagonal: damp * mean(diag(H)) (GPTQ's percdamp).
  double damp = 0.01;
};

/// GPTQ (Frantar et al.) of a weight W [k, n] (row-major; row i is input
/// channel i, the reduction axis) given H = 2/m * sum x x^T [k, k] of its m
/// calibration inputs (F32): rows are quantized in order and each row's
/// rounding error, divided by the inverse Hessian's Cholesky diagonal, is
/// spread onto the rows not yet quantized. `layout` is PerAxis along axis 1
/// (one symmetric scale per column n, from the original W, F30) or Blocked
/// along axis 0 (one per `blockSize` rows of a column, computed from the
/// updated rows when the group starts). Writes `scales` ([n] or
/// [ceil(k/blockSize), n]) and `codes` [k, n]. Errors on a non-linear
/// format, another layout, a NaN/Inf in W or H, or an H that is not
/// positive definite after damping.
llvm::Error gptqQuantize(const float *w, const float *h, int64_t k, int64_t n,
                         const LinearLayout &layout, ElemFormat f,
                         const GptqOptions &options, float *scales,
                         uint8_t *codes);

} // namespace quantc::numerics

#endif
