//===- MXTest.cpp - MX block quantization ---------------------------------===//
//
// Rule labels (F11, ...) refer to docs/Formats.md.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <limits>

using namespace quantc::numerics;
using namespace quantc::numerics::test;

namespace {

const ElemFormat kMXFormats[] = {ElemFormat::E4M3FN, ElemFormat::E5M2,
                                 ElemFormat::E2M3FN, ElemFormat::E3M2FN,
                                 ElemFormat::E2M1FN, ElemFormat::INT8,
                                 ElemFormat::INT4};
const MXScaleMode kModes[] = {MXScaleMode::Floor, MXScaleMode::Ceil};

/// Exact reference scale: Floor = floor(log2 amax) - emax via frexp; Ceil =
/// the smallest s with amax <= max * 2^s. Both clamped to [0, 254].
int refScale(double amax, ElemFormat elem, MXScaleMode mode) {
  const FormatInfo &ei = getFormatInfo(elem);
  if (std::isnan(amax) || std::isinf(amax))
    return 255;
  if (amax == 0)
    return 0;
  int e;
  std::frexp(amax, &e); // amax = m * 2^e, m in [0.5, 1)
  int s;
  if (mode == MXScaleMode::Floor) {
    s = (e - 1) - ei.emax;
  } else {
    s = -200;
    while (!(amax <= std::ldexp(double(ei.maxFinite), s)))
      ++s;
  }
  return std::min(std::max(s + 127, 0), 254);
}

struct MXResult {
  std::vector<uint8_t> codes, scales;
  std::vector<float> deq;
};

MXResult runMX(const std::vector<float> &x, int64_t rows, int64_t k,
               int64_t block, ElemFormat elem, MXScaleMode mode) {
  int64_t nb = (k + block - 1) / block;
  MXResult r;
  r.codes.assign(size_t(rows * k), 0xcd);
  r.scales.assign(size_t(rows * nb), 0xcd);
  r.deq.assign(size_t(rows * k), -12345.0f);
  quantizeMX(x.data(), rows, k, block, elem, mode, r.codes.data(),
             r.scales.data());
  dequantizeMX(r.codes.data(), r.scales.data(), rows, k, block, elem,
               r.deq.data());
  return r;
}

/// Checks every block against the scalar definition (F12-F15, F17, F18) and
/// the round-trip error bound of F18.
void checkAgainstReference(const std::vector<float> &x, int64_t rows,
                           int64_t k, int64_t block, ElemFormat elem,
                           MXScaleMode mode, const MXResult &r) {
  const FormatInfo &ei = getFormatInfo(elem);
  int64_t nb = (k + block - 1) / block;
  double u = ei.isFloat ? std::ldexp(1.0, ei.emax - int(ei.manBits)) : 1.0;
  for (int64_t row = 0; row < rows; ++row) {
    for (int64_t b = 0; b < nb; ++b) {
      int64_t lo = b * block, hi = std::min(k, lo + block);
      float amax = 0;
      bool special = false;
      for (int64_t i = lo; i < hi; ++i) {
        float v = x[size_t(row * k + i)];
        special |= !std::isfinite(v);
        amax = std::max(amax, std::fabs(v));
      }
      int want = special ? 255 : refScale(amax, elem, mode);
      uint8_t sc = r.scales[size_t(row * nb + b)];
      ASSERT_EQ(int(sc), want) << ei.name << " row " << row << " block " << b
                               << " amax " << amax;
      ASSERT_EQ(sc, mxSharedScale(special ? std::numeric_limits<float>::quiet_NaN()
                                          : amax,
                                  elem, mode));
      double scale = std::ldexp(1.0, int(sc) - 127);
      for (int64_t i = lo; i < hi; ++i) {
        size_t idx = size_t(row * k + i);
        float xv = x[idx];
        if (sc == 0xff) {
          ASSERT_TRUE(std::isnan(r.deq[idx]));
          continue;
        }
        float scaled = float(double(xv) / scale); // exact or flushes (F15)
        ASSERT_EQ(r.codes[idx], encode(elem, scaled, true))
            << ei.name << " x=" << xv << " scale=" << int(sc);
        ASSERT_EQ(r.deq[idx], float(decode(elem, r.codes[idx]) * scale));
        // F18: a value that rounds above the f32 range dequantizes to Inf
        // (only reachable in Ceil mode, next to 2^128).
        if (std::fabs(decode(elem, r.codes[idx]) * scale) >
            double(std::numeric_limits<float>::max())) {
          ASSERT_TRUE(std::isinf(r.deq[idx]));
          continue;
        }
        double clip =
            std::max(0.0, std::fabs(double(xv)) / scale - double(ei.maxFinite));
        double bound = scale * (u / 2 + clip);
        ASSERT_LE(std::fabs(double(xv) - double(r.deq[idx])), bound)
            << ei.name << " x=" << xv;
        if (mode == MXScaleMode::Ceil && sc != 0) {
          ASSERT_EQ(clip, 0.0); // F13: no clipping
        }
      }
    }
  }
}

} // namespace

// F12, F13: shared scale from amax, exact at powers of two and at max.
TEST(NumericsMX, F12_F13_SharedScale) {
  Rng rng(5);
  for (ElemFormat elem : kMXFormats) {
    const FormatInfo &ei = getFormatInfo(elem);
    std::vector<float> amaxes = {ei.maxFinite,
                                 std::nextafter(ei.maxFinite, 1e30f),
                                 std::nextafter(ei.maxFinite, 0.0f),
                                 1.0f, 0x1p-126f, 0x1p-149f, 1e-38f, 3e38f,
                                 std::numeric_limits<float>::max()};
    for (int e = -149; e <= 127; ++e) {
      float p = std::ldexp(1.0f, e);
      amaxes.push_back(p);
      amaxes.push_back(std::nextafter(p, 0.0f));
      amaxes.push_back(p * ei.maxFinite);
      amaxes.push_back(std::nextafter(p * ei.maxFinite, 1e38f));
    }
    for (int i = 0; i < 20000; ++i)
      amaxes.push_back(std::fabs(rng.logUniform(-149, 128)));
    for (float a : amaxes) {
      if (!std::isfinite(a))
        continue;
      for (MXScaleMode m : kModes) {
        ASSERT_EQ(int(mxSharedScale(a, elem, m)), refScale(a, elem, m))
            << ei.name << " amax=" << a << " mode=" << int(m);
        ASSERT_EQ(mxSharedScale(-a, elem, m), mxSharedScale(a, elem, m));
      }
    }
  }
  // amax exactly at the element max: scale 2^0 in both modes.
  EXPECT_EQ(mxSharedScale(448.0f, ElemFormat::E4M3FN, MXScaleMode::Floor), 127);
  EXPECT_EQ(mxSharedScale(448.0f, ElemFormat::E4M3FN, MXScaleMode::Ceil), 127);
  EXPECT_EQ(mxSharedScale(449.0f, ElemFormat::E4M3FN, MXScaleMode::Floor), 127);
  EXPECT_EQ(mxSharedScale(449.0f, ElemFormat::E4M3FN, MXScaleMode::Ceil), 128);
  EXPECT_EQ(mxSharedScale(6.0f, ElemFormat::E2M1FN, MXScaleMode::Ceil), 127);
  EXPECT_EQ(mxSharedScale(4.0f, ElemFormat::E2M1FN, MXScaleMode::Floor), 127);
  EXPECT_EQ(mxSharedScale(7.99f, ElemFormat::E2M1FN, MXScaleMode::Floor), 127);
}

// F14: zero, NaN and Inf amax.
TEST(NumericsMX, F14_SpecialAmax) {
  for (ElemFormat elem : kMXFormats)
    for (MXScaleMode m : kModes) {
      EXPECT_EQ(mxSharedScale(0.0f, elem, m), 0);
      EXPECT_EQ(mxSharedScale(-0.0f, elem, m), 0);
      EXPECT_EQ(mxSharedScale(std::numeric_limits<float>::quiet_NaN(), elem, m),
                0xff);
      EXPECT_EQ(mxSharedScale(std::numeric_limits<float>::infinity(), elem, m),
                0xff);
    }
}

// F14: all-zero block -> scale 0, codes +-0, dequantized +-0.
TEST(NumericsMX, F14_ZeroBlock) {
  std::vector<float> x(64, 0.0f);
  x[3] = -0.0f;
  for (int i = 32; i < 64; ++i)
    x[size_t(i)] = float(i);
  MXResult r = runMX(x, 1, 64, 32, ElemFormat::E4M3FN, MXScaleMode::Floor);
  EXPECT_EQ(r.scales[0], 0);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(r.codes[size_t(i)], i == 3 ? 0x80 : 0x00);
    EXPECT_EQ(r.deq[size_t(i)], 0.0f);
  }
  EXPECT_TRUE(std::signbit(r.deq[3]));
  checkAgainstReference(x, 1, 64, 32, ElemFormat::E4M3FN, MXScaleMode::Floor, r);
}

// F14: a NaN or Inf poisons its block only.
TEST(NumericsMX, F14_NaNAndInfBlocks) {
  for (ElemFormat elem : kMXFormats) {
    std::vector<float> x(96);
    for (int i = 0; i < 96; ++i)
      x[size_t(i)] = float(i % 7) - 3.0f;
    x[5] = std::numeric_limits<float>::quiet_NaN();
    x[40] = -std::numeric_limits<float>::infinity();
    MXResult r = runMX(x, 1, 96, 32, elem, MXScaleMode::Floor);
    EXPECT_EQ(r.scales[0], 0xff);
    EXPECT_EQ(r.scales[1], 0xff);
    EXPECT_NE(r.scales[2], 0xff);
    const FormatInfo &ei = getFormatInfo(elem);
    uint8_t fill = elem == ElemFormat::E4M3FN ? 0x7f
                   : elem == ElemFormat::E5M2 ? 0x7e
                                              : 0x00;
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(r.codes[size_t(i)], fill) << ei.name;
      EXPECT_TRUE(std::isnan(r.deq[size_t(i)])) << ei.name;
    }
    for (int i = 64; i < 96; ++i)
      EXPECT_EQ(r.deq[size_t(i)], x[size_t(i)]) << ei.name;
    checkAgainstReference(x, 1, 96, 32, elem, MXScaleMode::Floor, r);
  }
}

// F12, F15: amax at the element max is exact; just above, Floor clips and
// Ceil moves to the next scale.
TEST(NumericsMX, F12_F15_AmaxAtElementMax) {
  for (ElemFormat elem : kMXFormats) {
    const FormatInfo &ei = getFormatInfo(elem);
    std::vector<float> x(32, 0.0f);
    x[0] = ei.maxFinite;
    x[1] = -ei.maxFinite;
    x[2] = 1.0f;
    for (MXScaleMode m : kModes) {
      MXResult r = runMX(x, 1, 32, 32, elem, m);
      EXPECT_EQ(r.scales[0], 127) << ei.name;
      EXPECT_EQ(r.deq[0], ei.maxFinite);
      EXPECT_EQ(r.deq[1], -ei.maxFinite);
      EXPECT_EQ(r.deq[2], 1.0f);
      checkAgainstReference(x, 1, 32, 32, elem, m, r);
    }
    // 2^(emax+1) - tiny: Floor keeps scale 2^0 and saturates to max.
    x[0] = std::nextafter(std::ldexp(1.0f, ei.emax + 1), 0.0f);
    MXResult f = runMX(x, 1, 32, 32, elem, MXScaleMode::Floor);
    EXPECT_EQ(f.scales[0], 127);
    EXPECT_EQ(f.deq[0], ei.maxFinite) << ei.name;
    MXResult c = runMX(x, 1, 32, 32, elem, MXScaleMode::Ceil);
    EXPECT_EQ(c.scales[0], 128);
    checkAgainstReference(x, 1, 32, 32, elem, MXScaleMode::Floor, f);
    checkAgainstReference(x, 1, 32, 32, elem, MXScaleMode::Ceil, c);
  }
}

// F7, F15: elements that land in the element format's subnormal range.
TEST(NumericsMX, F7_F15_SubnormalElements) {
  std::vector<float> x(32);
  x[0] = 448.0f; // scale 2^0 for E4M3FN
  for (int i = 1; i < 32; ++i)
    x[size_t(i)] = float(i) * 0x1p-10f; // multiples of half the spacing 2^-9
  MXResult r = runMX(x, 1, 32, 32, ElemFormat::E4M3FN, MXScaleMode::Floor);
  EXPECT_EQ(r.scales[0], 127);
  EXPECT_EQ(r.codes[1], 0x00); // 0.5 ulp -> even (0)
  EXPECT_EQ(r.codes[2], 0x01);
  EXPECT_EQ(r.codes[3], 0x02); // 1.5 -> 2
  EXPECT_EQ(r.codes[5], 0x02); // 2.5 -> 2
  EXPECT_EQ(r.codes[16], 0x08); // 2^-6: the smallest normal
  for (ElemFormat elem : kMXFormats)
    for (MXScaleMode m : kModes)
      checkAgainstReference(x, 1, 32, 32, elem, m,
                            runMX(x, 1, 32, 32, elem, m));
}

// F12, F13, F15: scales at both ends of E8M0 (tiny and huge amax).
TEST(NumericsMX, F15_ScaleRangeEnds) {
  for (ElemFormat elem : kMXFormats) {
    const FormatInfo &ei = getFormatInfo(elem);
    for (MXScaleMode m : kModes) {
      // Tiny: scale clamps at code 0 (2^-127); includes f32 subnormals.
      std::vector<float> tiny(32);
      for (int i = 0; i < 32; ++i)
        tiny[size_t(i)] = (i % 2 ? -1.0f : 1.0f) * 1e-38f * (float(i + 1) / 32);
      tiny[7] = 0x1p-149f;
      tiny[8] = 1e-40f;
      MXResult r = runMX(tiny, 1, 32, 32, elem, m);
      EXPECT_EQ(r.scales[0], 0) << ei.name;
      checkAgainstReference(tiny, 1, 32, 32, elem, m, r);
      // Huge: near the f32 max.
      std::vector<float> huge(32);
      for (int i = 0; i < 32; ++i)
        huge[size_t(i)] = (i % 2 ? -1.0f : 1.0f) * 3e38f * (float(i + 1) / 32);
      huge[31] = std::numeric_limits<float>::max();
      MXResult h = runMX(huge, 1, 32, 32, elem, m);
      EXPECT_GE(h.scales[0], 230) << ei.name;
      EXPECT_LE(h.scales[0], 254) << ei.name;
      for (int i = 0; i < 31; ++i)
        EXPECT_TRUE(std::isfinite(h.deq[size_t(i)])) << ei.name;
      // FLT_MAX itself: Floor saturates below it; Ceil rounds up to 2^128,
      // which dequantizes to Inf (F18).
      if (m == MXScaleMode::Floor)
        EXPECT_TRUE(std::isfinite(h.deq[31])) << ei.name;
      else
        EXPECT_EQ(h.deq[31], std::numeric_limits<float>::infinity())
            << ei.name;
      checkAgainstReference(huge, 1, 32, 32, elem, m, h);
    }
  }
  // The exact ends for E2M1FN (emax 2, max 6).
  float fmax = std::numeric_limits<float>::max();
  EXPECT_EQ(mxSharedScale(fmax, ElemFormat::E2M1FN, MXScaleMode::Floor), 252);
  EXPECT_EQ(mxSharedScale(fmax, ElemFormat::E2M1FN, MXScaleMode::Ceil), 253);
  EXPECT_EQ(mxSharedScale(0x1p-125f, ElemFormat::E2M1FN, MXScaleMode::Floor), 0);
  EXPECT_EQ(mxSharedScale(0x1p-124f, ElemFormat::E2M1FN, MXScaleMode::Floor), 1);
  EXPECT_EQ(mxSharedScale(0x1p-149f, ElemFormat::E2M1FN, MXScaleMode::Ceil), 0);
}

// F17: a short last block behaves as zero-padded; scale layout [rows, nb].
TEST(NumericsMX, F17_PartialLastBlockAndLayout) {
  const int64_t rows = 3, k = 70, block = 32, nb = 3, kp = 96;
  Rng rng(11);
  std::vector<float> x(size_t(rows * k)), padded(size_t(rows * kp), 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i) {
      float v = rng.logUniform(-8, 8) * float(r + 1);
      x[size_t(r * k + i)] = v;
      padded[size_t(r * kp + i)] = v;
    }
  for (ElemFormat elem : kMXFormats)
    for (MXScaleMode m : kModes) {
      MXResult a = runMX(x, rows, k, block, elem, m);
      MXResult b = runMX(padded, rows, kp, block, elem, m);
      ASSERT_EQ(a.scales.size(), size_t(rows * nb));
      EXPECT_EQ(a.scales, b.scales);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < k; ++i) {
          EXPECT_EQ(a.codes[size_t(r * k + i)], b.codes[size_t(r * kp + i)]);
          EXPECT_EQ(a.deq[size_t(r * k + i)], b.deq[size_t(r * kp + i)]);
        }
      checkAgainstReference(x, rows, k, block, elem, m, a);
    }
  // k smaller than one block, and k == 0.
  std::vector<float> small = {1.0f, -2.0f, 3.0f};
  MXResult s = runMX(small, 1, 3, 32, ElemFormat::E2M1FN, MXScaleMode::Floor);
  EXPECT_EQ(s.scales.size(), 1u);
  EXPECT_EQ(s.deq, small);
  MXResult e = runMX({}, 4, 0, 32, ElemFormat::E2M1FN, MXScaleMode::Floor);
  EXPECT_TRUE(e.scales.empty());
}

// F12-F18: random matrices, every MX format, both modes, several block sizes:
// codes, scales, dequantized values and the round-trip bound.
TEST(NumericsMX, F18_RandomRoundTripBound) {
  Rng rng(2024);
  for (ElemFormat elem : kMXFormats)
    for (MXScaleMode m : kModes)
      for (int64_t block : {32, 16, 7}) {
        const int64_t rows = 5, k = 100;
        std::vector<float> x(size_t(rows * k));
        for (int64_t r = 0; r < rows; ++r) {
          double center = -40 + 16 * double(r); // rows at different scales
          for (int64_t i = 0; i < k; ++i)
            x[size_t(r * k + i)] = rng.logUniform(center - 6, center + 6);
        }
        x[13] = 0.0f;
        x[14] = -0.0f;
        checkAgainstReference(x, rows, k, block, elem, m,
                              runMX(x, rows, k, block, elem, m));
      }
}
