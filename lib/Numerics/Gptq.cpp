//===- Gptq.cpp - GPTQ weight quantization --------------------------------===//
#include "quantc/Numerics/Gptq.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <vector>

using namespace quantc::numerics;

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// In place: the lower Cholesky factor L of the symmetric matrix a [k, k]
/// (a = L L^T); false if a is not positive definite.
bool cholesky(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double d = a[j * k + j];
    for (int64_t p = 0; p < j; ++p)
      d -= a[j * k + p] * a[j * k + p];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[j * k + j] = d;
    for (int64_t i = j + 1; i < k; ++i) {
      double s = a[i * k + j];
      for (int64_t p = 0; p < j; ++p)
        s -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = s / d;
    }
    for (int64_t p = j + 1; p < k; ++p)
      a[j * k + p] = 0;
  }
  return true;
}

/// The inverse of a = L L^T from its lower factor L: (L^-1)^T L^-1.
std::vector<double> inverseFromCholesky(const std::vector<double> &l,
                                        int64_t k) {
  std::vector<double> li(k * k, 0.0); // L^-1, lower
  for (int64_t j = 0; j < k; ++j) {
    li[j * k + j] = 1.0 / l[j * k + j];
    for (int64_t i = j + 1; i < k; ++i) {
      double s = 0;
      for (int64_t p = j; p < i; ++p)
        s += l[i * k + p] * li[p * k + j];
      li[i * k + j] = -s / l[i * k + i];
    }
  }
  std::vector<double> inv(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t p = i; p < k; ++p)
        s += li[p * k + i] * li[p * k + j];
      inv[i * k + j] = inv[j * k + i] = s;
    }
  return inv;
}
} // namespace

llvm::Error quantc::numerics::gptqQuantize(const float *w, const float *h,
                                           int64_t k, int64_t n,
                                           const LinearLayout &layout,
                                           ElemFormat f,
                                           const GptqOptions &options,
                                           float *scales, uint8_t *codes) {
  bool blocked = layout.granularity == Granularity::Blocked;
  if (!isLinearFormat(f))
    return err("GPTQ: not a linear (scaled) element format");
  if (!(blocked && layout.axis == 0 && layout.blockSize > 0) &&
      !(layout.granularity == Granularity::PerAxis && layout.axis == 1))
    return err("GPTQ: the weight layout must be one scale per output column "
               "or blocks along the input rows");
  if (k <= 0 || n <= 0)
    return err("GPTQ: empty weight");
  for (int64_t i = 0; i < k * n; ++i)
    if (!std::isfinite(w[i]))
      return err("GPTQ: the weight has a NaN or Inf");
  std::vector<double> a(h, h + k * k);
  std::vector<float> cur(w, w + k * n);
  double meanDiag = 0;
  for (int64_t i = 0; i < k; ++i) {
    if (!std::isfinite(a[i * k + i]))
      return err("GPTQ: the Hessian has a NaN or Inf");
    meanDiag += a[i * k + i];
  }
  meanDiag /= double(k);
  // A channel no calibration input ever reached: its weights cannot matter
  // (H's row is 0); quantize them as they are, with no error to spread.
  for (int64_t i = 0; i < k; ++i)
    if (a[i * k + i] == 0)
      a[i * k + i] = 1;
  double lambda = options.damp * (meanDiag > 0 ? meanDiag : 1.0);
  for (int64_t i = 0; i < k; ++i)
    a[i * k + i] += lambda;
  if (!cholesky(a, k))
    return err("GPTQ: the damped Hessian is not positive definite");
  std::vector<double> hinv = inverseFromCholesky(a, k);
  // U: upper Cholesky factor of H^-1 (H^-1 = U^T U), from its lower one.
  if (!cholesky(hinv, k))
    return err("GPTQ: the inverse Hessian is not positive definite");
  auto u = [&](int64_t i, int64_t j) { return hinv[j * k + i]; }; // L^T

  const std::vector<int64_t> rowShape = {1, n};
  LinearLayout perColumn{Granularity::PerAxis, 1, 0};
  if (!blocked)
    if (llvm::Error e =
            computeLinearParams(w, {k, n}, perColumn, f, false, scales,
                                nullptr))
      return e;
  std::vector<float> q(n), e(n);
  for (int64_t i = 0; i < k; ++i) {
    float *rowScales = scales;
    if (blocked) {
      int64_t g = i / layout.blockSize;
      rowScales = scales + g * n;
      if (i % layout.blockSize == 0) {
        int64_t rows = std::min(layout.blockSize, k - i);
        if (llvm::Error er = computeLinearParams(
                cur.data() + i * n, {rows, n}, perColumn, f, false, rowScales,
                nullptr))
          return er;
      }
    }
    float *row = cur.data() + i * n;
    if (llvm::Error er = quantizeLinear(row, rowShape, rowScales, nullptr,
                                        perColumn, f, true, codes + i * n))
      return er;
    if (llvm::Error er = dequantizeLinear(codes + i * n, rowShape, rowScales,
                                          nullptr, perColumn, f, q.data()))
      return er;
    double d = u(i, i);
    for (int64_t j = 0; j < n; ++j)
      e[j] = float((double(row[j]) - q[j]) / d);
    for (int64_t r = i + 1; r < k; ++r) {
      float c = float(u(i, r));
      float *dst = cur.data() + r * n;
      for (int64_t j = 0; j < n; ++j)
        dst[j] -= e[j] * c;
    }
  }
  return llvm::Error::success();
}
