//===- Calibration.cpp - clipping-range selection (C1-C5) -----------------===//
#include "quantc/Numerics/Calibration.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#if defined(__SSE2__)
#include <immintrin.h>
#endif
#include <limits>

using namespace quantc::numerics;

std::optional<CalibMethod>
quantc::numerics::parseCalibMethod(llvm::StringRef name) {
  if (name == "minmax")
    return CalibMethod::MinMax;
  if (name == "percentile")
    return CalibMethod::Percentile;
  if (name == "entropy")
    return CalibMethod::Entropy;
  if (name == "mse")
    return CalibMethod::MSE;
  return std::nullopt;
}

llvm::StringRef quantc::numerics::calibMethodName(CalibMethod m) {
  switch (m) {
  case CalibMethod::MinMax:
    return "minmax";
  case CalibMethod::Percentile:
    return "percentile";
  case CalibMethod::Entropy:
    return "entropy";
  case CalibMethod::MSE:
    return "mse";
  }
  return "minmax";
}

// `v < m ? v : m` keeps m when v is NaN (a comparison with NaN is false),
// and is what std::min(m, v) computes. The compilers do not turn that into
// vector min/max without fast-math (it is not fmin), so on x86 it is
// written with MINPS/MAXPS, which compute exactly it: _mm_min_ps(v, m) is
// v < m ? v : m, NaN in v giving m. Sixteen lanes in four registers.
void quantc::numerics::accumulateMinMax(const float *x, int64_t n, float &lo,
                                        float &hi) {
  constexpr int kLanes = 16;
  float l[kLanes], h[kLanes];
  std::fill(l, l + kLanes, lo);
  std::fill(h, h + kLanes, hi);
  int64_t i = 0;
#if defined(__SSE2__)
  __m128 l0 = _mm_set1_ps(lo), l1 = l0, l2 = l0, l3 = l0;
  __m128 h0 = _mm_set1_ps(hi), h1 = h0, h2 = h0, h3 = h0;
  for (; i + kLanes <= n; i += kLanes) {
    __m128 v0 = _mm_loadu_ps(x + i), v1 = _mm_loadu_ps(x + i + 4),
           v2 = _mm_loadu_ps(x + i + 8), v3 = _mm_loadu_ps(x + i + 12);
    l0 = _mm_min_ps(v0, l0);
    l1 = _mm_min_ps(v1, l1);
    l2 = _mm_min_ps(v2, l2);
    l3 = _mm_min_ps(v3, l3);
    h0 = _mm_max_ps(v0, h0);
    h1 = _mm_max_ps(v1, h1);
    h2 = _mm_max_ps(v2, h2);
    h3 = _mm_max_ps(v3, h3);
  }
  _mm_storeu_ps(l, l0);
  _mm_storeu_ps(l + 4, l1);
  _mm_storeu_ps(l + 8, l2);
  _mm_storeu_ps(l + 12, l3);
  _mm_storeu_ps(h, h0);
  _mm_storeu_ps(h + 4, h1);
  _mm_storeu_ps(h + 8, h2);
  _mm_storeu_ps(h + 12, h3);
#else
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      float v = x[i + j];
      l[j] = v < l[j] ? v : l[j];
      h[j] = h[j] < v ? v : h[j];
    }
#endif
  for (; i < n; ++i) {
    l[0] = x[i] < l[0] ? x[i] : l[0];
    h[0] = h[0] < x[i] ? x[i] : h[0];
  }
  for (int j = 0; j < kLanes; ++j) {
    lo = l[j] < lo ? l[j] : lo;
    hi = hi < h[j] ? h[j] : hi;
  }
}

void quantc::numerics::accumulateChannelMinMax(const float *x, int64_t n,
                                               int64_t k, float *lo,
                                               float *hi) {
  for (int64_t r = 0; r + k <= n; r += k)
    for (int64_t c = 0; c < k; ++c) {
      float v = x[r + c];
      lo[c] = v < lo[c] ? v : lo[c];
      hi[c] = hi[c] < v ? v : hi[c];
    }
}

namespace {
/// fn(ch, plane) for each `inner`-value plane of channel ch in [c0, c1) of
/// [N, c, inner] values (n in all), batch by batch.
template <typename F>
void forEachPlane(const float *x, int64_t n, int64_t c, int64_t inner,
                  int64_t c0, int64_t c1, F fn) {
  if (c <= 0 || inner <= 0)
    return;
  c0 = std::max<int64_t>(c0, 0);
  c1 = std::min(c1, c);
  for (int64_t row = 0; (row + 1) * c * inner <= n; ++row)
    for (int64_t ch = c0; ch < c1; ++ch)
      fn(ch, x + (row * c + ch) * inner);
}
} // namespace

void quantc::numerics::accumulatePlaneMinMax(const float *x, int64_t n,
                                             int64_t c, int64_t inner,
                                             float *lo, float *hi, int64_t c0,
                                             int64_t c1) {
  forEachPlane(x, n, c, inner, c0, c1, [&](int64_t ch, const float *p) {
    accumulateMinMax(p, inner, lo[ch], hi[ch]);
  });
}

AbsHistogram::AbsHistogram(float maxAbs, int bins)
    : maxAbs(std::isfinite(maxAbs) && maxAbs > 0 ? maxAbs : 0.0f),
      width(this->maxAbs > 0 ? double(this->maxAbs) / bins : 1.0),
      counts(std::max(bins, 1) + 1, 0) {}

void AbsHistogram::add(const float *x, int64_t n) {
  // In chunks: the bin indices first (a loop the compiler vectorizes), then
  // the counts. NaN goes to the extra last slot, which is not a bin.
  const int32_t last = (int32_t)counts.size() - 2;
  const double inv = 1.0 / width;
  constexpr int64_t kChunk = 1024;
  int32_t bins[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    int64_t m = std::min(kChunk, n - i0);
    for (int64_t i = 0; i < m; ++i) {
      float a = std::fabs(x[i0 + i]);
      double b = double(a) * inv;
      int32_t bin = b < double(last) ? int32_t(b) : last;
      bins[i] = bin + (a != a);
    }
    for (int64_t i = 0; i < m; ++i)
      ++counts[bins[i]];
  }
  total = 0;
  for (size_t b = 0; b + 1 < counts.size(); ++b)
    total += counts[b];
}

void quantc::numerics::accumulateChannelSums(const float *x, int64_t n,
                                             int64_t k, double *sum,
                                             int64_t c0, int64_t c1) {
  if (k <= 0)
    return;
  c0 = std::max<int64_t>(c0, 0);
  c1 = std::min(c1, k);
  for (int64_t r = 0; r + k <= n; r += k)
    for (int64_t ch = c0; ch < c1; ++ch)
      sum[ch] += x[r + ch];
}

void quantc::numerics::accumulatePlaneSums(const float *x, int64_t n,
                                           int64_t c, int64_t inner,
                                           double *sum, int64_t c0,
                                           int64_t c1) {
  // Eight running sums (the vector lanes; one chain of dependent adds
  // would wait on each), added in a fixed order: the same sum whatever the
  // thread split.
  constexpr int kLanes = 8;
  forEachPlane(x, n, c, inner, c0, c1, [&](int64_t ch, const float *p) {
    double l[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= inner; i += kLanes)
      for (int j = 0; j < kLanes; ++j)
        l[j] += p[i + j];
    for (; i < inner; ++i)
      l[0] += p[i];
    double s = 0;
    for (int j = 0; j < kLanes; ++j)
      s += l[j];
    sum[ch] += s;
  });
}

void AbsHistogram::merge(const AbsHistogram &other) {
  assert(other.counts.size() == counts.size() && other.width == width &&
         "histograms of different bins");
  for (size_t b = 0; b < counts.size(); ++b)
    counts[b] += other.counts[b];
  total += other.total;
}

namespace {
/// C3: the smallest upper bin edge with at least p % of the values below it.
float percentileClip(const AbsHistogram &h, double p) {
  llvm::ArrayRef<uint64_t> c = h.getCounts();
  double want = std::clamp(p, 0.0, 100.0) / 100.0 * double(h.getTotal());
  uint64_t sum = 0;
  for (size_t b = 0; b < c.size(); ++b) {
    sum += c[b];
    if (double(sum) >= want)
      return float((b + 1) * h.getBinWidth());
  }
  return h.getMaxAbs();
}

/// C4: for each threshold of i bins (i >= 128), P = the first i bins with
/// the tail folded into bin i-1, against Q = the first i bins (tail not
/// folded) merged into 128 levels and spread back evenly over each level's
/// bins where P is not empty; the threshold of least KL(P || Q). Bins where
/// Q is 0 but P is not get a small probability instead (smoothing, as
/// TensorRT and ONNX Runtime do).
///
/// With p = P / sum P and q = Q / sum Q, KL = sum_k p_k log p_k -
/// sum_k p_k log q_k over the bins where P is not empty. P is the histogram
/// but for its last bin, so the first sum comes from prefix sums of
/// c log c; Q is constant over each level, so the second is one term per
/// level: 128 logarithms per threshold instead of one per bin.
float entropyClip(const AbsHistogram &h) {
  llvm::ArrayRef<uint64_t> c = h.getCounts();
  const size_t nq = 128, n = c.size();
  if (n <= nq)
    return h.getMaxAbs();
  // Prefix sums over bins [0, b): counts, non-empty bins, c log c.
  std::vector<double> cnt(n + 1, 0.0), clogc(n + 1, 0.0);
  std::vector<int64_t> nonEmpty(n + 1, 0);
  for (size_t b = 0; b < n; ++b) {
    double v = double(c[b]);
    cnt[b + 1] = cnt[b] + v;
    nonEmpty[b + 1] = nonEmpty[b] + (c[b] != 0);
    clogc[b + 1] = clogc[b] + (c[b] ? v * std::log(v) : 0.0);
  }
  const double sp = cnt[n]; // P keeps every value (the tail is folded)
  if (sp == 0)
    return float(n * h.getBinWidth());
  const double logSp = std::log(sp), eps = 1e-4;
  double best = std::numeric_limits<double>::infinity();
  size_t bestI = n;
  for (size_t i = nq; i <= n; ++i) {
    double last = double(c[i - 1]) + (cnt[n] - cnt[i]); // P's last bin
    size_t merged = i / nq;
    // Per level: Q's sum (observed bins, tail not folded), P's non-empty
    // bins and P's sum.
    double sq = 0, levelSum[nq], levelP[nq];
    int64_t levelNonEmpty[nq];
    for (size_t j = 0; j < nq; ++j) {
      size_t start = j * merged, stop = j + 1 == nq ? i : start + merged;
      levelSum[j] = cnt[stop] - cnt[start];
      if (stop == i) { // holds bin i-1, whose P has the tail
        levelNonEmpty[j] = nonEmpty[i - 1] - nonEmpty[start] + (last != 0);
        levelP[j] = cnt[i - 1] - cnt[start] + last;
      } else {
        levelNonEmpty[j] = nonEmpty[stop] - nonEmpty[start];
        levelP[j] = levelSum[j];
      }
      if (levelNonEmpty[j])
        sq += levelSum[j];
    }
    if (sq == 0)
      continue;
    double pLogP =
        (clogc[i - 1] + (last != 0 ? last * std::log(last) : 0.0)) / sp -
        logSp;
    double pLogQ = 0;
    for (size_t j = 0; j < nq; ++j) {
      if (!levelNonEmpty[j])
        continue;
      double qn = levelSum[j] != 0
                      ? levelSum[j] / double(levelNonEmpty[j]) / sq
                      : eps / double(i);
      pLogQ += levelP[j] / sp * std::log(qn);
    }
    double kl = pLogP - pLogQ;
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return float(bestI * h.getBinWidth());
}

/// C5: expected squared error over the bin centres, with the scale a clip
/// of T gives (T / maxFinite) and the format's own rounding and saturation.
float mseClip(const AbsHistogram &h, ElemFormat f) {
  llvm::ArrayRef<uint64_t> c = h.getCounts();
  const double w = h.getBinWidth();
  const float maxFinite = getFormatInfo(f).maxFinite;
  size_t first = std::max<size_t>(1, c.size() / 16);
  size_t step = std::max<size_t>(1, c.size() / 512);
  double best = std::numeric_limits<double>::infinity();
  float bestT = h.getMaxAbs();
  for (size_t j = c.size(); j >= first; j -= step) {
    float t = float(j * w);
    float s = t / maxFinite;
    double err = 0;
    for (size_t b = 0; b < c.size() && err < best; ++b) {
      if (!c[b])
        continue;
      float x = float((b + 0.5) * w);
      double d = double(x) - double(roundTo(f, x / s) * s);
      err += double(c[b]) * d * d;
    }
    if (err < best) {
      best = err;
      bestT = t;
    }
    if (j < first + step)
      break;
  }
  return bestT;
}
} // namespace

float quantc::numerics::chooseClip(const AbsHistogram &h, CalibMethod method,
                                   ElemFormat format, double percentile) {
  if (h.getTotal() == 0 || h.getMaxAbs() == 0)
    return 0.0f;
  float t = h.getMaxAbs();
  switch (method) {
  case CalibMethod::MinMax:
    break;
  case CalibMethod::Percentile:
    t = percentileClip(h, percentile);
    break;
  case CalibMethod::Entropy:
    t = entropyClip(h);
    break;
  case CalibMethod::MSE:
    t = mseClip(h, format);
    break;
  }
  return std::min(t, h.getMaxAbs());
}
