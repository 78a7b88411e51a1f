//===- Linear.cpp - ONNX-style linear (de)quantization codecs -------------===//
#include "quantc/Numerics/Linear.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace quantc::numerics;
using llvm::ArrayRef;

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string shapeStr(ArrayRef<int64_t> s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

bool isIntFormat(ElemFormat f) {
  return f == ElemFormat::INT8 || f == ElemFormat::UINT8 ||
         f == ElemFormat::INT4 || f == ElemFormat::UINT4;
}

/// The data viewed as [outer, dim, inner] around the layout's axis.
struct Split {
  int64_t outer = 1, dim = 1, inner = 1;
};
Split split(ArrayRef<int64_t> shape, const LinearLayout &l) {
  Split s;
  if (l.granularity == Granularity::PerTensor) {
    for (int64_t d : shape)
      s.inner *= d;
    return s;
  }
  for (int64_t i = 0; i < l.axis; ++i)
    s.outer *= shape[i];
  s.dim = shape[l.axis];
  for (size_t i = l.axis + 1; i < shape.size(); ++i)
    s.inner *= shape[i];
  return s;
}

/// Calls fn(xOffset, n, scaleOffset, scaleStride) for runs of elements, each
/// element j of a run using scale index scaleOffset + j * scaleStride.
template <typename Fn>
void forEachRun(ArrayRef<int64_t> shape, const LinearLayout &l, Fn &&fn) {
  Split s = split(shape, l);
  switch (l.granularity) {
  case Granularity::PerTensor:
    fn(0, s.inner, 0, 0);
    return;
  case Granularity::PerAxis:
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t d = 0; d < s.dim; ++d)
        fn((o * s.dim + d) * s.inner, s.inner, d, 0);
    return;
  case Granularity::Blocked: {
    int64_t nb = llvm::divideCeil(s.dim, l.blockSize);
    if (s.inner == 1) { // blocks are contiguous: one run per block
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t b = 0; b < nb; ++b) {
          int64_t d0 = b * l.blockSize;
          fn(o * s.dim + d0, std::min(l.blockSize, s.dim - d0), o * nb + b, 0);
        }
      return;
    }
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t d = 0; d < s.dim; ++d)
        fn((o * s.dim + d) * s.inner, s.inner,
           (o * nb + d / l.blockSize) * s.inner, 1);
    return;
  }
  }
}

/// Round half to even for quantizing to integers of at most 16 bits,
/// without a libm call: NaN -> 0 (F23); magnitudes are first clamped to
/// 2^22, which keeps out-of-range values out of range, and then
/// (v + 1.5*2^23) - 1.5*2^23 rounds to an integer in the current (nearest
/// even) rounding mode.
inline float roundInt(float v) {
  constexpr float kMagic = 12582912.0f, kLim = 4194304.0f;
  v = v != v ? 0.0f : v;
  v = std::min(std::max(v, -kLim), kLim);
  return (v + kMagic) - kMagic;
}

int64_t numScales(ArrayRef<int64_t> shape, const LinearLayout &l) {
  Split s = split(shape, l);
  switch (l.granularity) {
  case Granularity::PerTensor:
    return 1;
  case Granularity::PerAxis:
    return s.dim;
  case Granularity::Blocked:
    return s.outer * (llvm::divideCeil(s.dim, l.blockSize)) * s.inner;
  }
  return 1;
}

llvm::Error checkParams(ArrayRef<int64_t> shape, const float *scales,
                        const uint8_t *zeroPoints, const LinearLayout &l,
                        ElemFormat f) {
  if (!isLinearFormat(f))
    return err(llvm::Twine("format ") + getFormatInfo(f).name +
               " is not a linear quantization format (expected i8, ui8, "
               "i4, ui4, f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN or f4E2M1FN)");
  if (l.granularity != Granularity::PerTensor &&
      (l.axis < 0 || l.axis >= (int64_t)shape.size()))
    return err("axis " + llvm::Twine(l.axis) + " is out of range for shape " +
               shapeStr(shape));
  if (l.granularity == Granularity::Blocked && l.blockSize < 1)
    return err("block size must be positive, got " +
               llvm::Twine(l.blockSize));
  int64_t n = numScales(shape, l);
  for (int64_t i = 0; i < n; ++i)
    if (!(scales[i] > 0.0f) || std::isinf(scales[i]))
      return err(llvm::formatv("scale #{0} is {1}; scales must be finite and "
                               "positive",
                               i, scales[i])
                     .str());
  if (zeroPoints && !isIntFormat(f))
    for (int64_t i = 0; i < n; ++i)
      if (decode(f, zeroPoints[i]) != 0.0f)
        return err(llvm::formatv("zero point #{0} of {1} is {2}; float formats "
                                 "take zero points of 0 only",
                                 i, getFormatInfo(f).name,
                                 decode(f, zeroPoints[i]))
                       .str());
  return llvm::Error::success();
}
} // namespace

bool quantc::numerics::isLinearFormat(ElemFormat f) {
  switch (f) {
  case ElemFormat::INT8:
  case ElemFormat::UINT8:
  case ElemFormat::INT4:
  case ElemFormat::UINT4:
  case ElemFormat::E4M3FN:
  case ElemFormat::E5M2:
  case ElemFormat::E2M3FN:
  case ElemFormat::E3M2FN:
  case ElemFormat::E2M1FN:
    return true;
  default:
    return false;
  }
}

int32_t quantc::numerics::intCodeValue(ElemFormat f, uint8_t code) {
  switch (f) {
  case ElemFormat::INT8:
    return (int8_t)code;
  case ElemFormat::INT4:
    return (int8_t)(uint8_t)(code << 4) >> 4; // sign-extend the low nibble
  case ElemFormat::UINT4:
    return code & 0xF;
  default:
    return code;
  }
}

llvm::Expected<LinearLayout>
quantc::numerics::makeLinearLayout(ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> scaleShape, int64_t axis,
                                   int64_t blockSize) {
  int64_t rank = shape.size();
  int64_t scaleCount = 1;
  for (int64_t d : scaleShape)
    scaleCount *= d;
  LinearLayout l;
  if (blockSize < 0)
    return err("block_size must not be negative, got " +
               llvm::Twine(blockSize));
  if (blockSize == 0 && scaleCount == 1 && scaleShape.size() <= 1)
    return l; // per-tensor
  if (axis < -rank || axis >= rank)
    return err(llvm::formatv("axis {0} is out of range for rank {1}", axis,
                             rank)
                   .str());
  l.axis = axis < 0 ? axis + rank : axis;
  if (blockSize == 0) {
    if (scaleShape.size() != 1 || scaleShape[0] != shape[l.axis])
      return err(llvm::formatv("per-axis scale must be 1-D of size {0} (dim "
                               "{1} of {2}), got shape {3}",
                               shape[l.axis], l.axis, shapeStr(shape),
                               shapeStr(scaleShape))
                     .str());
    l.granularity = Granularity::PerAxis;
    return l;
  }
  l.granularity = Granularity::Blocked;
  l.blockSize = blockSize;
  int64_t nb = llvm::divideCeil(shape[l.axis], blockSize);
  bool ok = (int64_t)scaleShape.size() == rank;
  for (int64_t i = 0; ok && i < rank; ++i)
    ok = scaleShape[i] == (i == l.axis ? nb : shape[i]);
  if (!ok) {
    llvm::SmallVector<int64_t> want(shape.begin(), shape.end());
    want[l.axis] = nb;
    return err(llvm::formatv("block_size {0} along axis {1} of {2} needs a "
                             "scale of shape {3}, got {4}",
                             blockSize, l.axis, shapeStr(shape),
                             shapeStr(want), shapeStr(scaleShape))
                   .str());
  }
  return l;
}

llvm::Error quantc::numerics::quantizeLinear(
    const float *x, ArrayRef<int64_t> shape, const float *scales,
    const uint8_t *zeroPoints, const LinearLayout &layout, ElemFormat f,
    bool saturate, uint8_t *codes) {
  if (llvm::Error e = checkParams(shape, scales, zeroPoints, layout, f))
    return e;
  const FormatInfo &info = getFormatInfo(f);
  bool isInt = isIntFormat(f);
  float qmin = info.qmin, qmax = info.qmax;
  constexpr int64_t kChunk = 512;
  float tmp[kChunk];
  forEachRun(shape, layout, [&](int64_t off, int64_t n, int64_t s0,
                                int64_t ss) {
    for (int64_t c = 0; c < n; c += kChunk) {
      int64_t m = std::min(kChunk, n - c);
      const float *xs = x + off + c;
      const float *sc = scales + s0 + c * ss;
      // x / scale in f32 (the ONNX reference divides, it does not multiply
      // by a reciprocal).
      if (ss == 0) {
        float s = sc[0];
        for (int64_t j = 0; j < m; ++j)
          tmp[j] = xs[j] / s;
      } else {
        for (int64_t j = 0; j < m; ++j)
          tmp[j] = xs[j] / sc[j];
      }
      uint8_t *out = codes + off + c;
      if (!isInt) {
        encodeArray(f, tmp, m, out, saturate);
        continue;
      }
      const uint8_t *zp = zeroPoints ? zeroPoints + s0 + c * ss : nullptr;
      if (zp && ss == 0) {
        float z = (float)intCodeValue(f, zp[0]);
        for (int64_t j = 0; j < m; ++j)
          out[j] = (uint8_t)(int32_t)std::min(
              std::max(roundInt(tmp[j]) + z, qmin), qmax);
      } else if (zp) {
        for (int64_t j = 0; j < m; ++j)
          out[j] = (uint8_t)(int32_t)std::min(
              std::max(roundInt(tmp[j]) + (float)intCodeValue(f, zp[j * ss]),
                       qmin),
              qmax);
      } else {
        for (int64_t j = 0; j < m; ++j)
          out[j] = (uint8_t)(int32_t)std::min(
              std::max(roundInt(tmp[j]), qmin), qmax);
      }
    }
  });
  return llvm::Error::success();
}

llvm::Error quantc::numerics::dequantizeLinear(
    const uint8_t *codes, ArrayRef<int64_t> shape, const float *scales,
    const uint8_t *zeroPoints, const LinearLayout &layout, ElemFormat f,
    float *out) {
  if (llvm::Error e = checkParams(shape, scales, zeroPoints, layout, f))
    return e;
  bool isInt = isIntFormat(f);
  float lut[256]; // integer value of every code byte
  for (int i = 0; i < 256; ++i)
    lut[i] = (float)intCodeValue(f, (uint8_t)i);
  constexpr int64_t kChunk = 512;
  float tmp[kChunk];
  forEachRun(shape, layout, [&](int64_t off, int64_t n, int64_t s0,
                                int64_t ss) {
    for (int64_t c = 0; c < n; c += kChunk) {
      int64_t m = std::min(kChunk, n - c);
      const uint8_t *cs = codes + off + c;
      const float *sc = scales + s0 + c * ss;
      float *o = out + off + c;
      if (isInt && ss == 0) { // one scale and zero point for the run
        float z = zeroPoints ? lut[zeroPoints[s0]] : 0.0f, s = sc[0];
        for (int64_t j = 0; j < m; ++j)
          o[j] = (lut[cs[j]] - z) * s;
        continue;
      }
      if (isInt) {
        const uint8_t *zp = zeroPoints ? zeroPoints + s0 + c * ss : nullptr;
        for (int64_t j = 0; j < m; ++j)
          tmp[j] = lut[cs[j]] - (zp ? lut[zp[j * ss]] : 0.0f);
      } else {
        decodeArray(f, cs, m, tmp);
      }
      for (int64_t j = 0; j < m; ++j)
        o[j] = tmp[j] * sc[j * ss];
    }
  });
  return llvm::Error::success();
}

llvm::Error quantc::numerics::dynamicQuantizeLinear(const float *x, int64_t n,
                                                    uint8_t *codes,
                                                    float &scale,
                                                    uint8_t &zeroPoint) {
  float mx = 0.0f, mn = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]))
      return err(llvm::formatv("element #{0} is {1}; DynamicQuantizeLinear "
                               "needs finite inputs",
                               i, x[i])
                     .str());
    mx = std::max(mx, x[i]);
    mn = std::min(mn, x[i]);
  }
  scale = (mx == mn ? 1.0f : mx - mn) / 255.0f;
  float zp = 0.0f - mn / scale;
  zp = std::nearbyint(std::min(255.0f, std::max(0.0f, zp)));
  zeroPoint = (uint8_t)zp;
  LinearLayout l;
  int64_t shape[1] = {n};
  return quantizeLinear(x, shape, &scale, &zeroPoint, l, ElemFormat::UINT8,
                        true, codes);
}

/// A range so narrow that its scale underflows to 0 (or so wide that it
/// overflows) cannot be quantized with an f32 scale (F30).
static llvm::Error checkScale(float scale, float lo, float hi) {
  if (scale > 0 && std::isfinite(scale))
    return llvm::Error::success();
  return err("the range [" + std::to_string(lo) + ", " + std::to_string(hi) +
             "] gives a scale of " + std::to_string(scale) +
             ", which f32 cannot hold as a positive finite number");
}

/// The formats F30 computes parameters for.
static llvm::Error checkParamsFormat(ElemFormat f, bool asymmetric) {
  if (!isLinearFormat(f))
    return err(llvm::Twine("format ") + getFormatInfo(f).name +
               " is not a linear quantization format");
  if (asymmetric && !isIntFormat(f))
    return err(llvm::Twine("asymmetric quantization needs an integer "
                           "format, got ") +
               getFormatInfo(f).name);
  return llvm::Error::success();
}

llvm::Error quantc::numerics::computeLinearParams(
    const float *x, ArrayRef<int64_t> shape, const LinearLayout &layout,
    ElemFormat f, bool asymmetric, float *scales, uint8_t *zeroPoints) {
  if (llvm::Error e = checkParamsFormat(f, asymmetric))
    return e;
  if (layout.granularity != Granularity::PerTensor &&
      (layout.axis < 0 || layout.axis >= (int64_t)shape.size()))
    return err("axis " + llvm::Twine(layout.axis) +
               " is out of range for shape " + shapeStr(shape));
  if (layout.granularity == Granularity::Blocked && layout.blockSize < 1)
    return err("block size must be positive, got " +
               llvm::Twine(layout.blockSize));
  int64_t ns = numScales(shape, layout);
  std::vector<float> lo(ns, 0.0f), hi(ns, 0.0f);
  float bad = 0.0f; // NaN iff some x is NaN or Inf (x * 0)
  forEachRun(shape, layout, [&](int64_t off, int64_t n, int64_t s0,
                                int64_t ss) {
    for (int64_t j = 0; j < n; ++j) {
      float v = x[off + j];
      bad += v * 0.0f;
      float &l = lo[s0 + j * ss], &h = hi[s0 + j * ss];
      l = std::min(l, v);
      h = std::max(h, v);
    }
  });
  if (bad != bad)
    return err("the data has a NaN or Inf; scales need finite inputs");
  for (int64_t i = 0; i < ns; ++i) {
    uint8_t zp;
    if (llvm::Error e =
            linearParamsFromRange(lo[i], hi[i], f, asymmetric, scales[i], zp))
      return e;
    if (zeroPoints)
      zeroPoints[i] = zp;
  }
  return llvm::Error::success();
}

llvm::Error quantc::numerics::linearParamsFromRange(float lo, float hi,
                                                    ElemFormat f,
                                                    bool asymmetric,
                                                    float &scale,
                                                    uint8_t &zeroPoint) {
  if (llvm::Error e = checkParamsFormat(f, asymmetric))
    return e;
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
    return err("the range [" + std::to_string(lo) + ", " + std::to_string(hi) +
               "] is not a finite interval");
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  const FormatInfo &info = getFormatInfo(f);
  float qmin = info.qmin, qmax = info.qmax;
  if (asymmetric) {
    float range = hi - lo;
    scale = (range == 0.0f ? 1.0f : range) / (qmax - qmin);
    if (llvm::Error e = checkScale(scale, lo, hi))
      return e;
    zeroPoint = (uint8_t)(int32_t)std::nearbyint(
        std::min(qmax, std::max(qmin, qmin - lo / scale)));
    return llvm::Error::success();
  }
  float amax = std::max(-lo, hi);
  scale = (amax == 0.0f ? 1.0f : amax) / info.maxFinite;
  zeroPoint = 0;
  return checkScale(scale, lo, hi);
}

//===----------------------------------------------------------------------===//
// 2-D blocks
//===----------------------------------------------------------------------===//

namespace {
llvm::Error check2D(int64_t rows, int64_t cols, int64_t br, int64_t bc,
                    ElemFormat f) {
  if (rows < 0 || cols < 0)
    return err("negative matrix shape");
  if (br < 1 || bc < 1)
    return err(llvm::formatv("2-D block {0}x{1}: block sizes must be "
                             "positive",
                             br, bc)
                   .str());
  if (!isLinearFormat(f))
    return err(llvm::Twine("format ") + getFormatInfo(f).name +
               " is not a linear quantization format");
  return llvm::Error::success();
}
} // namespace

llvm::Error quantc::numerics::absmaxScales2D(const float *x, int64_t rows,
                                             int64_t cols, int64_t br,
                                             int64_t bc, ElemFormat f,
                                             float *scales) {
  if (llvm::Error e = check2D(rows, cols, br, bc, f))
    return e;
  int64_t nbc = llvm::divideCeil(cols, bc), nbr = llvm::divideCeil(rows, br);
  std::fill(scales, scales + nbr * nbc, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols;
    float *sr = scales + (r / br) * nbc;
    for (int64_t b = 0; b < nbc; ++b) {
      int64_t c0 = b * bc, c1 = std::min(cols, c0 + bc);
      // A NaN sticks in `a` (later comparisons with it are false), so the
      // finiteness check below sees NaN as well as Inf.
      float a = 0.0f;
      for (int64_t c = c0; c < c1; ++c) {
        float v = std::fabs(xr[c]);
        a = (v > a || v != v) ? v : a;
      }
      if (!(a <= std::numeric_limits<float>::max())) {
        for (int64_t c = c0; c < c1; ++c)
          if (!std::isfinite(xr[c]))
            return err(llvm::formatv("element ({0}, {1}) is {2}; absmax "
                                     "scales need finite inputs",
                                     r, c, xr[c])
                           .str());
      }
      sr[b] = std::max(sr[b], a);
    }
  }
  float maxv = getFormatInfo(f).maxFinite;
  for (int64_t i = 0; i < nbr * nbc; ++i)
    scales[i] = scales[i] == 0.0f ? 1.0f : scales[i] / maxv;
  return llvm::Error::success();
}

llvm::Error quantc::numerics::quantize2D(const float *x, int64_t rows,
                                         int64_t cols, int64_t br, int64_t bc,
                                         ElemFormat f, const float *scales,
                                         uint8_t *codes) {
  if (llvm::Error e = check2D(rows, cols, br, bc, f))
    return e;
  int64_t nbc = llvm::divideCeil(cols, bc);
  // Row by row, each row is a 1-D blocked codec along the columns.
  for (int64_t r = 0; r < rows; ++r) {
    int64_t shape[1] = {cols};
    LinearLayout l{Granularity::Blocked, 0, bc};
    if (llvm::Error e = quantizeLinear(x + r * cols, shape,
                                       scales + (r / br) * nbc, nullptr, l, f,
                                       true, codes + r * cols))
      return e;
  }
  return llvm::Error::success();
}

llvm::Error quantc::numerics::dequantize2D(const uint8_t *codes, int64_t rows,
                                           int64_t cols, int64_t br,
                                           int64_t bc, ElemFormat f,
                                           const float *scales, float *out) {
  if (llvm::Error e = check2D(rows, cols, br, bc, f))
    return e;
  int64_t nbc = llvm::divideCeil(cols, bc);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t shape[1] = {cols};
    LinearLayout l{Granularity::Blocked, 0, bc};
    if (llvm::Error e =
            dequantizeLinear(codes + r * cols, shape, scales + (r / br) * nbc,
                             nullptr, l, f, out + r * cols))
      return e;
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// NVFP4
//===----------------------------------------------------------------------===//

llvm::Error quantc::numerics::quantizeNVFP4(const float *x, int64_t rows,
                                            int64_t k, uint8_t *codes,
                                            uint8_t *scales,
                                            float &tensorScale) {
  if (rows < 0 || k < 0)
    return err("negative matrix shape");
  constexpr int64_t kBlock = 16;
  // amax in 8 independent lanes (vectorizable); x * 0 is NaN exactly for
  // NaN and Inf, so `bad` is NaN iff x has a non-finite element.
  float lane[8] = {}, bad[8] = {};
  int64_t n = rows * k, i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) {
      lane[l] = std::max(lane[l], std::fabs(x[i + l]));
      bad[l] += x[i + l] * 0.0f;
    }
  float amax = 0.0f, badAll = 0.0f;
  for (; i < n; ++i) {
    amax = std::max(amax, std::fabs(x[i]));
    badAll += x[i] * 0.0f;
  }
  for (int l = 0; l < 8; ++l) {
    amax = std::max(amax, lane[l]);
    badAll += bad[l];
  }
  if (badAll != badAll)
    amax = std::numeric_limits<float>::infinity();
  if (!(amax <= std::numeric_limits<float>::max()))
    for (int64_t i = 0; i < rows * k; ++i)
      if (!std::isfinite(x[i]))
        return err(llvm::formatv("element #{0} is {1}; NVFP4 needs finite "
                                 "inputs",
                                 i, x[i])
                       .str());
  tensorScale = amax == 0.0f ? 1.0f : amax / (6.0f * 448.0f);
  int64_t nb = llvm::divideCeil(k, kBlock);
  // One row at a time: every block's scale (one encodeArray call for the
  // row's scales), then every element divided by its block's scale and
  // encoded in one encodeArray call.
  std::vector<float> tmp(k), bscale(nb);
  std::vector<uint8_t> bcode(nb);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * k;
    for (int64_t b = 0; b < nb; ++b) {
      int64_t j0 = b * kBlock, j1 = std::min(k, j0 + kBlock);
      float bmax = 0.0f;
      for (int64_t j = j0; j < j1; ++j)
        bmax = std::max(bmax, std::fabs(xr[j]));
      bscale[b] = bmax / 6.0f / tensorScale;
    }
    encodeArray(ElemFormat::UE4M3, bscale.data(), nb, scales + r * nb, true);
    decodeArray(ElemFormat::UE4M3, scales + r * nb, nb, bscale.data());
    for (int64_t b = 0; b < nb; ++b) {
      int64_t j0 = b * kBlock, j1 = std::min(k, j0 + kBlock);
      float s = bscale[b] * tensorScale;
      if (s == 0.0f) // the block rounds to 0 (a zero scale gives codes 0)
        for (int64_t j = j0; j < j1; ++j)
          tmp[j] = 0.0f;
      else
        for (int64_t j = j0; j < j1; ++j)
          tmp[j] = xr[j] / s;
    }
    encodeArray(ElemFormat::E2M1FN, tmp.data(), k, codes + r * k, true);
  }
  return llvm::Error::success();
}

void quantc::numerics::dequantizeNVFP4(const uint8_t *codes,
                                       const uint8_t *scales,
                                       float tensorScale, int64_t rows,
                                       int64_t k, float *out) {
  constexpr int64_t kBlock = 16;
  int64_t nb = llvm::divideCeil(k, kBlock);
  float tmp[kBlock];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      int64_t m = std::min(kBlock, k - b * kBlock);
      float s = decode(ElemFormat::UE4M3, scales[r * nb + b]) * tensorScale;
      decodeArray(ElemFormat::E2M1FN, codes + r * k + b * kBlock, m, tmp);
      for (int64_t j = 0; j < m; ++j)
        out[r * k + b * kBlock + j] = tmp[j] * s;
    }
}
