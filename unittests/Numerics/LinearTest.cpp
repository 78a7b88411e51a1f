//===- LinearTest.cpp - ONNX-style linear codecs, 2-D blocks, NVFP4 -------===//
//
// Rule labels (F21, ...) refer to docs/Formats.md. The references below
// index every element independently (multi-index -> scale index) and use
// the scalar encode()/decode(), so they share no loop structure with
// Linear.cpp's runs.
//
//===----------------------------------------------------------------------===//

#include "quantc/Numerics/Linear.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <random>

using namespace quantc::numerics;
using namespace quantc::numerics::test;

namespace {

/// The message of an error, "" on success (consumes the error).
std::string errText(llvm::Error e) {
  return e ? llvm::toString(std::move(e)) : std::string();
}

/// Scale index of flat element `i` of `shape` under layout `l`.
int64_t refScaleIndex(const std::vector<int64_t> &shape, int64_t i,
                      const LinearLayout &l) {
  if (l.granularity == Granularity::PerTensor)
    return 0;
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  if (l.granularity == Granularity::PerAxis)
    return idx[l.axis];
  int64_t s = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t dim = (int64_t)d == l.axis
                      ? (shape[d] + l.blockSize - 1) / l.blockSize
                      : shape[d];
    int64_t id = (int64_t)d == l.axis ? idx[d] / l.blockSize : idx[d];
    s = s * dim + id;
  }
  return s;
}

bool isInt(ElemFormat f) {
  return f == ElemFormat::INT8 || f == ElemFormat::UINT8 ||
         f == ElemFormat::INT4 || f == ElemFormat::UINT4;
}

uint8_t refQuantize(float x, float s, uint8_t zp, ElemFormat f, bool sat) {
  float v = x / s;
  if (!isInt(f))
    return (uint8_t)encode(f, v, sat);
  const FormatInfo &info = getFormatInfo(f);
  double r = std::isnan(v) ? 0.0 : std::nearbyint((double)v);
  r += intCodeValue(f, zp);
  r = std::min<double>(std::max<double>(r, info.qmin), info.qmax);
  return (uint8_t)(int32_t)r;
}

struct Case {
  std::vector<int64_t> shape, scaleShape;
  int64_t axis, block;
};

// F21-F25: every granularity, axes first/middle/last, short last blocks,
// every linear format, against the per-element reference.
TEST(Linear, MatchesElementwiseReference) {
  const Case cases[] = {
      {{6, 10}, {}, 1, 0},          {{6, 10}, {1}, 0, 0},
      {{6, 10}, {6}, 0, 0},         {{3, 5, 7}, {5}, 1, 0},
      {{3, 5, 7}, {3, 5, 2}, 2, 4}, {{3, 5, 7}, {3, 2, 7}, 1, 3},
      {{9, 4}, {3, 4}, 0, 4},       {{2, 256}, {2, 2}, -1, 128},
  };
  const ElemFormat formats[] = {
      ElemFormat::INT8,   ElemFormat::UINT8,  ElemFormat::INT4,
      ElemFormat::UINT4,  ElemFormat::E4M3FN, ElemFormat::E5M2,
      ElemFormat::E2M3FN, ElemFormat::E3M2FN, ElemFormat::E2M1FN};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::uniform_real_distribution<float> uni(0.05f, 2.0f);
  for (const Case &c : cases) {
    llvm::Expected<LinearLayout> l =
        makeLinearLayout(c.shape, c.scaleShape, c.axis, c.block);
    ASSERT_TRUE(!!l) << errText(l.takeError());
    int64_t n = 1, ns = 1;
    for (int64_t d : c.shape)
      n *= d;
    for (int64_t d : c.scaleShape)
      ns *= d;
    std::vector<float> x(n), s(ns), y(n);
    for (float &v : x)
      v = normal(rng);
    x[0] = 2.5f; // ties
    x[1] = -0.5f;
    x[2] = std::numeric_limits<float>::infinity();
    x[3] = std::numeric_limits<float>::quiet_NaN();
    for (float &v : s)
      v = uni(rng);
    for (ElemFormat f : formats)
      for (bool sat : {true, false}) {
        std::vector<uint8_t> zp(ns, 0), codes(n);
        if (isInt(f))
          for (uint8_t &z : zp)
            z = (uint8_t)encode(f, (float)(rng() % 5) - 2.0f);
        ASSERT_FALSE((bool)quantizeLinear(x.data(), c.shape, s.data(),
                                          zp.data(), *l, f, sat,
                                          codes.data()));
        ASSERT_FALSE((bool)dequantizeLinear(codes.data(), c.shape, s.data(),
                                            zp.data(), *l, f, y.data()));
        for (int64_t i = 0; i < n; ++i) {
          int64_t si = refScaleIndex(c.shape, i, *l);
          uint8_t want = refQuantize(x[i], s[si], zp[si], f, sat);
          if (isInt(f))
            want = (uint8_t)intCodeValue(f, want); // sign-extended byte
          ASSERT_EQ(codes[i], want)
              << getFormatInfo(f).name << " element " << i << " x=" << x[i];
          float dq = isInt(f) ? ((float)intCodeValue(f, codes[i]) -
                                 (float)intCodeValue(f, zp[si])) *
                                    s[si]
                              : decode(f, codes[i]) * s[si];
          ASSERT_TRUE(sameFloat(y[i], dq)) << getFormatInfo(f).name << " " << i;
        }
      }
  }
}

// F23: integer codes are two's complement bytes; NaN -> 0 + zero point;
// +-Inf saturate.
TEST(Linear, IntegerEdgeCases) {
  int64_t shape[1] = {6};
  float x[6] = {-20.0f, 20.0f, std::numeric_limits<float>::quiet_NaN(),
                std::numeric_limits<float>::infinity(), -1.5f, 0.5f};
  float s = 1.0f;
  uint8_t zp = 0xFF; // INT4 -1
  uint8_t codes[6];
  LinearLayout l;
  ASSERT_FALSE((bool)quantizeLinear(x, shape, &s, &zp, l, ElemFormat::INT4,
                                    true, codes));
  int expect[6] = {-8, 7, -1, 7, -3, -1};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ((int8_t)codes[i], expect[i]) << i;
}

// F21, F24: invalid parameters are errors naming what is wrong.
TEST(Linear, Errors) {
  int64_t shape[2] = {4, 8};
  auto layoutErr = [&](std::vector<int64_t> scaleShape, int64_t axis,
                       int64_t block) {
    llvm::Expected<LinearLayout> l =
        makeLinearLayout(shape, scaleShape, axis, block);
    return l ? std::string() : errText(l.takeError());
  };
  EXPECT_NE(layoutErr({4, 3}, 1, 4).find("block_size 4 along axis 1 of [4, "
                                         "8] needs a scale of shape [4, 2], "
                                         "got [4, 3]"),
            std::string::npos);
  EXPECT_NE(layoutErr({8}, 2, 0).find("axis 2 is out of range for rank 2"),
            std::string::npos);
  EXPECT_NE(layoutErr({5}, 1, 0).find("per-axis scale must be 1-D of size 8"),
            std::string::npos);
  EXPECT_NE(layoutErr({4, 2}, 1, -1).find("must not be negative"),
            std::string::npos);
  EXPECT_EQ(layoutErr({4, 3}, 1, 3), ""); // a short last block is allowed

  std::vector<float> x(32, 1.0f);
  std::vector<uint8_t> codes(32);
  LinearLayout per;
  for (float bad : {0.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    std::string e = errText(quantizeLinear(x.data(), shape, &bad, nullptr, per,
                                           ElemFormat::INT8, true,
                                           codes.data()));
    EXPECT_NE(e.find("scales must be finite and positive"), std::string::npos)
        << bad;
    e = errText(dequantizeLinear(codes.data(), shape, &bad, nullptr, per,
                                 ElemFormat::INT8, x.data()));
    EXPECT_NE(e.find("scales must be finite and positive"), std::string::npos);
  }
  float one = 1.0f;
  uint8_t zp = 0x38; // E4M3FN 1.0
  EXPECT_NE(errText(quantizeLinear(x.data(), shape, &one, &zp, per,
                                   ElemFormat::E4M3FN, true, codes.data()))
                .find("float formats take zero points of 0 only"),
            std::string::npos);
  EXPECT_NE(errText(quantizeLinear(x.data(), shape, &one, nullptr, per,
                                   ElemFormat::E8M0FNU, true, codes.data()))
                .find("is not a linear quantization format"),
            std::string::npos);
}

// F26: DynamicQuantizeLinear, as ONNX's reference computes it.
TEST(Linear, DynamicQuantize) {
  float x[6] = {0.0f, 2.0f, -3.0f, -2.5f, 1.34f, 0.5f};
  uint8_t codes[6], zp;
  float scale;
  ASSERT_FALSE((bool)dynamicQuantizeLinear(x, 6, codes, scale, zp));
  EXPECT_EQ(scale, 5.0f / 255.0f);
  EXPECT_EQ(zp, 153); // rne(3 / (5/255)) = rne(153.0)
  EXPECT_EQ(codes[0], 153);
  EXPECT_EQ(codes[2], 0);
  float all0[2] = {0.0f, 0.0f};
  ASSERT_FALSE((bool)dynamicQuantizeLinear(all0, 2, codes, scale, zp));
  EXPECT_EQ(scale, 1.0f / 255.0f);
  EXPECT_EQ(zp, 0);
  float bad[1] = {std::numeric_limits<float>::infinity()};
  EXPECT_NE(errText(dynamicQuantizeLinear(bad, 1, codes, scale, zp))
                .find("needs finite inputs"),
            std::string::npos);
}

// F27: 2-D blocks (DeepSeek-V3's 128x128 weights / 1x128 activations),
// checked against per-element block lookups.
TEST(Linear, TwoDimensionalBlocks) {
  const int64_t rows = 200, cols = 300;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(rows * cols), y(rows * cols);
  for (float &v : x)
    v = normal(rng);
  for (auto [br, bc] : {std::pair<int64_t, int64_t>{128, 128}, {1, 128}}) {
    int64_t nbr = (rows + br - 1) / br, nbc = (cols + bc - 1) / bc;
    std::vector<float> s(nbr * nbc);
    std::vector<uint8_t> codes(rows * cols);
    ASSERT_FALSE((bool)absmaxScales2D(x.data(), rows, cols, br, bc,
                                      ElemFormat::E4M3FN, s.data()));
    ASSERT_FALSE((bool)quantize2D(x.data(), rows, cols, br, bc,
                                  ElemFormat::E4M3FN, s.data(), codes.data()));
    ASSERT_FALSE((bool)dequantize2D(codes.data(), rows, cols, br, bc,
                                    ElemFormat::E4M3FN, s.data(), y.data()));
    std::vector<float> amax(nbr * nbc, 0.0f);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        float &a = amax[(r / br) * nbc + c / bc];
        a = std::max(a, std::fabs(x[r * cols + c]));
      }
    for (int64_t b = 0; b < nbr * nbc; ++b)
      ASSERT_EQ(s[b], amax[b] / 448.0f);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        float sc = s[(r / br) * nbc + c / bc];
        uint8_t want = (uint8_t)encode(ElemFormat::E4M3FN, x[r * cols + c] / sc);
        ASSERT_EQ(codes[r * cols + c], want) << r << "," << c;
        ASSERT_EQ(y[r * cols + c], decode(ElemFormat::E4M3FN, want) * sc);
      }
  }
  std::vector<float> s(1);
  EXPECT_NE(errText(absmaxScales2D(x.data(), 1, 1, 0, 128, ElemFormat::E4M3FN,
                                   s.data()))
                .find("block sizes must be positive"),
            std::string::npos);
}

// F28: NVFP4 two-level scaling.
TEST(Linear, NVFP4) {
  const int64_t rows = 7, k = 72; // a short last block of 8
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x(rows * k), y(rows * k);
  for (float &v : x)
    v = normal(rng);
  for (int64_t j = 0; j < 16; ++j)
    x[16 + j] = 0.0f; // an all-zero block
  std::vector<uint8_t> codes(rows * k), scales(rows * 5);
  float ts;
  ASSERT_FALSE((bool)quantizeNVFP4(x.data(), rows, k, codes.data(),
                                   scales.data(), ts));
  float amax = 0.0f;
  for (float v : x)
    amax = std::max(amax, std::fabs(v));
  EXPECT_EQ(ts, amax / (6.0f * 448.0f));
  dequantizeNVFP4(codes.data(), scales.data(), ts, rows, k, y.data());
  EXPECT_EQ(scales[1], 0); // the zero block
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b = 0; b < 5; ++b) {
      float bmax = 0.0f;
      int64_t m = std::min<int64_t>(16, k - b * 16);
      for (int64_t j = 0; j < m; ++j)
        bmax = std::max(bmax, std::fabs(x[r * k + b * 16 + j]));
      uint8_t sc = (uint8_t)encode(ElemFormat::UE4M3, bmax / 6.0f / ts);
      ASSERT_EQ(scales[r * 5 + b], sc);
      float s = decode(ElemFormat::UE4M3, sc) * ts;
      for (int64_t j = 0; j < m; ++j) {
        int64_t i = r * k + b * 16 + j;
        uint8_t want =
            s == 0.0f ? 0 : (uint8_t)encode(ElemFormat::E2M1FN, x[i] / s);
        ASSERT_EQ(codes[i], want) << i;
        ASSERT_EQ(y[i], decode(ElemFormat::E2M1FN, want) * s);
      }
    }
  x[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(errText(quantizeNVFP4(x.data(), rows, k, codes.data(),
                                  scales.data(), ts))
                .find("NVFP4 needs finite inputs"),
            std::string::npos);
}

} // namespace

namespace {
// F27: a NaN or Inf anywhere in a block is an error, not a silent scale.
TEST(Linear, TwoDimensionalNonFinite) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    -std::numeric_limits<float>::infinity()}) {
    for (int64_t pos : {0, 5, 130}) {
      std::vector<float> x(2 * 200, 1.0f), s(2 * 2);
      x[200 + pos] = bad;
      llvm::Error e =
          absmaxScales2D(x.data(), 2, 200, 1, 128, ElemFormat::E4M3FN, s.data());
      EXPECT_NE(errText(std::move(e)).find("need finite inputs"),
                std::string::npos)
          << pos;
    }
  }
}
} // namespace

namespace {
// F30: scales and zero points from the data, symmetric and asymmetric, for
// blocked layouts along a middle axis; round trips stay within half a step.
TEST(Linear, ComputeParams) {
  std::vector<int64_t> shape = {3, 10, 4};
  llvm::Expected<LinearLayout> l = makeLinearLayout(shape, {3, 3, 4}, 1, 4);
  ASSERT_TRUE(!!l) << errText(l.takeError());
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uni(-1.0f, 3.0f);
  std::vector<float> x(120), y(120), s(36);
  for (float &v : x)
    v = uni(rng);
  std::vector<uint8_t> zp(36), codes(120);
  for (ElemFormat f : {ElemFormat::UINT8, ElemFormat::INT4})
    for (bool asym : {false, true}) {
      ASSERT_FALSE((bool)computeLinearParams(x.data(), shape, *l, f, asym,
                                             s.data(), zp.data()));
      ASSERT_FALSE((bool)quantizeLinear(x.data(), shape, s.data(), zp.data(),
                                        *l, f, true, codes.data()));
      ASSERT_FALSE((bool)dequantizeLinear(codes.data(), shape, s.data(),
                                          zp.data(), *l, f, y.data()));
      const FormatInfo &info = getFormatInfo(f);
      for (int64_t i = 0; i < 120; ++i) {
        int64_t si = refScaleIndex(shape, i, *l);
        // Reference for this scale: the block's range widened to 0.
        float lo = 0.0f, hi = 0.0f;
        for (int64_t j = 0; j < 120; ++j)
          if (refScaleIndex(shape, j, *l) == si) {
            lo = std::min(lo, x[j]);
            hi = std::max(hi, x[j]);
          }
        if (asym) {
          float want = (hi - lo) / float(info.qmax - info.qmin);
          ASSERT_EQ(s[si], want);
          ASSERT_EQ(intCodeValue(f, zp[si]),
                    (int)std::nearbyint(std::min<float>(
                        info.qmax,
                        std::max<float>(info.qmin, info.qmin - lo / want))));
        } else {
          ASSERT_EQ(s[si], std::max(-lo, hi) / info.maxFinite);
          ASSERT_EQ(zp[si], 0);
        }
        // Symmetric INT4: within half a step. Asymmetric: within one step
        // (the zero point's rounding can put the range's ends half a step
        // past qmin/qmax, where they clamp). Symmetric UINT8 clips
        // negatives, so it has no bound here.
        if (asym)
          ASSERT_LE(std::fabs(y[i] - x[i]), s[si] * 1.0001f) << i;
        else if (f == ElemFormat::INT4)
          ASSERT_LE(std::fabs(y[i] - x[i]), s[si] * 0.5f * 1.0001f) << i;
      }
    }
  std::vector<float> sc(36);
  EXPECT_NE(errText(computeLinearParams(x.data(), shape, *l,
                                        ElemFormat::E4M3FN, true, sc.data(),
                                        nullptr))
                .find("asymmetric quantization needs an integer format"),
            std::string::npos);
  x[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(errText(computeLinearParams(x.data(), shape, *l, ElemFormat::INT8,
                                        false, sc.data(), nullptr))
                .find("NaN or Inf"),
            std::string::npos);
}
} // namespace
