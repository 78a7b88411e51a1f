//===- FormatsTest.cpp - Scalar encode/decode vs llvm::APFloat ------------===//
//
// Rule labels (F1, ...) refer to docs/Formats.md.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <limits>
#include <set>

using namespace quantc::numerics;
using namespace quantc::numerics::test;
using llvm::APFloat;
using llvm::APInt;

namespace {

const ElemFormat kSmallFloats[] = {ElemFormat::E4M3FN, ElemFormat::E5M2,
                                   ElemFormat::E2M3FN, ElemFormat::E3M2FN,
                                   ElemFormat::E2M1FN, ElemFormat::E8M0FNU};
const ElemFormat kAllFloats16[] = {
    ElemFormat::F16,    ElemFormat::BF16,   ElemFormat::E4M3FN,
    ElemFormat::E5M2,   ElemFormat::E2M3FN, ElemFormat::E3M2FN,
    ElemFormat::E2M1FN, ElemFormat::E8M0FNU};

/// APFloat's value of a code as f32.
float apDecode(const llvm::fltSemantics &sem, uint32_t code) {
  APFloat a(sem, APInt(APFloat::getSizeInBits(sem), code));
  if (a.isNaN())
    return std::numeric_limits<float>::quiet_NaN();
  bool lost;
  a.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
  return a.convertToFloat();
}

/// Reference encoding: APFloat convert (RNE), then the quantc rules where they
/// deliberately differ from APFloat (F3 saturation, F4/F20 FP6/FP4 Inf).
uint32_t refEncode(ElemFormat f, float x, bool sat) {
  const llvm::fltSemantics &sem = *semanticsOf(f);
  const FormatInfo &fi = getFormatInfo(f);
  bool neg = std::signbit(x);
  // F9/F20: negative nonzero -> NaN or code 0 (APFloat maps some tiny
  // negatives to positive codes).
  if (f == ElemFormat::E8M0FNU && neg && x != 0.0f && !std::isnan(x))
    return sat ? 0 : 0xff;
  if (!std::isnan(x)) {
    bool overflowToSpecial = false;
    APFloat a(x);
    bool lost;
    APFloat::opStatus st =
        a.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    if (std::isinf(x) || (st & APFloat::opOverflow) || a.isInfinity() ||
        a.isNaN())
      overflowToSpecial = true;
    bool noSpecials = !fi.hasInf && !fi.hasNaN;
    if (overflowToSpecial && (sat || noSpecials)) {
      return uint32_t(
          APFloat::getLargest(sem, neg).bitcastToAPInt().getZExtValue());
    }
    return uint32_t(a.bitcastToAPInt().getZExtValue());
  }
  APFloat a(x);
  bool lost;
  a.convert(sem, APFloat::rmNearestTiesToEven, &lost);
  return uint32_t(a.bitcastToAPInt().getZExtValue());
}

/// Interesting inputs for a format: every value, every midpoint between
/// adjacent values and one past max, each +-1 f32 ulp, both signs, plus
/// specials, f32 subnormals and far-out values.
std::vector<float> boundaryInputs(ElemFormat f) {
  const FormatInfo &fi = getFormatInfo(f);
  std::set<double> vals;
  uint32_t ncodes = fi.bits >= 16 ? 0 : 1u << fi.bits;
  std::vector<double> pos;
  if (ncodes) {
    for (uint32_t c = 0; c < ncodes; ++c) {
      float v = decode(f, uint16_t(c));
      if (std::isfinite(v) && v >= 0)
        vals.insert(v);
    }
    pos.assign(vals.begin(), vals.end());
  } else {
    // 16-bit formats: every positive finite code.
    for (uint32_t c = 0; c < 0x8000; ++c) {
      float v = decode(f, uint16_t(c));
      if (std::isfinite(v))
        pos.push_back(v);
    }
  }
  std::vector<double> base(pos.begin(), pos.end());
  for (size_t i = 0; i + 1 < pos.size(); ++i)
    base.push_back((pos[i] + pos[i + 1]) / 2);
  double top = pos.back(), below = pos[pos.size() - 2];
  double topMid = f == ElemFormat::E8M0FNU ? top * 1.5 : top + (top - below) / 2;
  base.push_back(topMid);
  base.push_back(top * 1.01);
  base.push_back(top * 4);
  std::vector<float> out;
  for (double d : base) {
    float v = float(d);
    for (float s : {v, -v}) {
      out.push_back(s);
      out.push_back(std::nextafter(s, std::numeric_limits<float>::infinity()));
      out.push_back(std::nextafter(s, -std::numeric_limits<float>::infinity()));
    }
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float s : {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::max(),
                  -std::numeric_limits<float>::max(), 0x1p-149f, -0x1p-149f,
                  0x1p-127f, 0x1.8p-127f, 0x1.7fffffp-127f, 0x1p-128f,
                  0x1p-126f, 0x1.fffffcp-127f, 1e-40f, -1e-40f, 0x1p127f,
                  0x1.8p127f, 0x1.7fffffp127f})
    out.push_back(s);
  return out;
}

std::vector<float> randomInputs(uint64_t seed, int n) {
  Rng rng(seed);
  std::vector<float> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(floatOf(rng.u32()));         // any bit pattern
    out.push_back(rng.logUniform(-30.0, 30.0)); // around the small formats
  }
  return out;
}

} // namespace

// F1: names parse back, info is self-consistent.
TEST(NumericsFormats, F1_InfoAndNames) {
  for (unsigned i = 0; i < kNumElemFormats; ++i) {
    ElemFormat f = ElemFormat(i);
    const FormatInfo &fi = getFormatInfo(f);
    auto parsed = parseElemFormat(fi.name);
    ASSERT_TRUE(parsed.has_value()) << fi.name;
    EXPECT_EQ(*parsed, f);
    EXPECT_EQ(double(fi.emax), std::floor(std::log2(double(fi.maxFinite))))
        << fi.name;
    if (const llvm::fltSemantics *sem = semanticsOf(f)) {
      EXPECT_EQ(fi.bits, APFloat::getSizeInBits(*sem)) << fi.name;
      EXPECT_EQ(fi.maxFinite,
                APFloat::getLargest(*sem).convertToDouble()) << fi.name;
      EXPECT_EQ(fi.minPositive,
                APFloat::getSmallest(*sem).convertToDouble()) << fi.name;
      EXPECT_EQ(fi.minNormal,
                APFloat::getSmallestNormalized(*sem).convertToDouble())
          << fi.name;
    }
  }
  EXPECT_EQ(parseElemFormat("f8E4M3FN"), ElemFormat::E4M3FN);
  EXPECT_EQ(parseElemFormat(std::string_view("f8E8M0FNU")),
            ElemFormat::E8M0FNU);
  EXPECT_EQ(parseElemFormat("f4E2M1FN"), ElemFormat::E2M1FN);
  EXPECT_EQ(parseElemFormat("i8"), ElemFormat::INT8);
  EXPECT_EQ(parseElemFormat("ue4m3"), ElemFormat::UE4M3);
  EXPECT_FALSE(parseElemFormat("f8e4m3fn").has_value());
  EXPECT_FALSE(parseElemFormat("").has_value());
  EXPECT_FALSE(parseElemFormat("i16").has_value());
  EXPECT_EQ(getFormatInfo(ElemFormat::E4M3FN).maxFinite, 448.0f);
  EXPECT_EQ(getFormatInfo(ElemFormat::E5M2).maxFinite, 57344.0f);
  EXPECT_EQ(getFormatInfo(ElemFormat::E2M3FN).maxFinite, 7.5f);
  EXPECT_EQ(getFormatInfo(ElemFormat::E3M2FN).maxFinite, 28.0f);
  EXPECT_EQ(getFormatInfo(ElemFormat::E2M1FN).maxFinite, 6.0f);
}

// F1, F5, F20: every code of every 4/6/8-bit float format (and all 65536 of
// F16/BF16) decodes to APFloat's value; NaN codes to NaN.
TEST(NumericsFormats, F1_F20_DecodeEveryCodeMatchesAPFloat) {
  for (ElemFormat f : kAllFloats16) {
    const FormatInfo &fi = getFormatInfo(f);
    const llvm::fltSemantics &sem = *semanticsOf(f);
    uint32_t n = 1u << fi.bits;
    for (uint32_t c = 0; c < n; ++c) {
      float want = apDecode(sem, c);
      float got = decode(f, uint16_t(c));
      ASSERT_TRUE(sameFloat(want, got))
          << fi.name << " code 0x" << std::hex << c << ": " << got
          << " != " << want;
    }
  }
  // Bulk decode equals scalar decode.
  for (ElemFormat f : kSmallFloats) {
    std::vector<uint8_t> codes(256);
    std::vector<float> out(256);
    for (int c = 0; c < 256; ++c)
      codes[c] = uint8_t(c);
    decodeArray(f, codes.data(), 256, out.data());
    for (int c = 0; c < 256; ++c)
      ASSERT_TRUE(sameFloat(out[c], decode(f, uint16_t(c))));
  }
}

// F2, F3, F4, F5, F6, F7, F9, F20: encode agrees with APFloat RNE on every
// code value, every midpoint, +-1ulp of each, beyond max, specials, f32
// subnormals, and random inputs; saturating and not.
TEST(NumericsFormats, F2_F3_F4_EncodeMatchesAPFloat) {
  for (ElemFormat f : kAllFloats16) {
    const FormatInfo &fi = getFormatInfo(f);
    std::vector<float> in = boundaryInputs(f);
    std::vector<float> rnd = randomInputs(0x1234 + unsigned(f), 20000);
    in.insert(in.end(), rnd.begin(), rnd.end());
    in.push_back(std::numeric_limits<float>::quiet_NaN());
    in.push_back(-std::numeric_limits<float>::quiet_NaN());
    uint32_t mask = fi.bits == 16 ? 0xffff : (1u << fi.bits) - 1;
    int checked = 0;
    for (float x : in) {
      for (bool sat : {false, true}) {
        uint32_t got = encode(f, x, sat);
        ASSERT_EQ(got & ~mask, 0u) << fi.name;
        uint32_t want = refEncode(f, x, sat);
        if (std::isnan(x) && fi.hasNaN) {
          // NaN payloads may differ; it must be a NaN with x's sign (F5).
          ASSERT_TRUE(std::isnan(decode(f, uint16_t(got)))) << fi.name;
          if (fi.isSigned) {
            ASSERT_EQ(got >> (fi.bits - 1), uint32_t(std::signbit(x)));
          }
          continue;
        }
        ASSERT_EQ(got, want) << fi.name << " x=" << x << " (0x" << std::hex
                             << bitsOf(x) << ") sat=" << sat;
        ++checked;
      }
    }
    EXPECT_GT(checked, 40000) << fi.name;
  }
}

// F2-F7, F9, F20: a strided sweep over all 2^32 f32 bit patterns (odd
// stride, so every exponent and many mantissa/sign patterns are hit).
TEST(NumericsFormats, F2_F20_StridedSweepMatchesAPFloat) {
  for (ElemFormat f : kAllFloats16) {
    const FormatInfo &fi = getFormatInfo(f);
    const uint64_t stride = fi.bits == 16 ? 65521 : 8191;
    for (uint64_t b = 0; b < (uint64_t(1) << 32); b += stride) {
      float x = floatOf(uint32_t(b));
      bool sat = (b / stride) & 1;
      uint32_t got = encode(f, x, sat);
      if (std::isnan(x)) {
        if (fi.hasNaN) {
          ASSERT_TRUE(std::isnan(decode(f, uint16_t(got))));
        } else {
          ASSERT_EQ(decode(f, uint16_t(got)), 0.0f);
        }
        continue;
      }
      ASSERT_EQ(got, refEncode(f, x, sat))
          << fi.name << " x=" << x << " (0x" << std::hex << b << ")";
    }
  }
}

// F3: saturation of finite overflow and Inf; F4: the non-saturating results.
TEST(NumericsFormats, F3_F4_OverflowRules) {
  const float inf = std::numeric_limits<float>::infinity();
  // E4M3FN: 464 is the tie between 448 and 480 -> even (448); above -> NaN.
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 464.0f, false), 0x7e);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 464.00003f, false), 0x7f);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 464.00003f, true), 0x7e);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, -1e9f, true), 0xfe);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, inf, true), 0x7e);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, -inf, false), 0xff);
  // E5M2: 61440 ties to even, which is the Inf pattern -> overflow.
  EXPECT_EQ(encode(ElemFormat::E5M2, 61440.0f, false), 0x7c);
  EXPECT_EQ(encode(ElemFormat::E5M2, 61439.996f, false), 0x7b);
  EXPECT_EQ(encode(ElemFormat::E5M2, 61440.0f, true), 0x7b);
  EXPECT_EQ(encode(ElemFormat::E5M2, -inf, true), 0xfb);
  EXPECT_EQ(encode(ElemFormat::E5M2, -inf, false), 0xfc);
  // FP6/FP4 always saturate, Inf included (F3/F4; APFloat gives 0 for Inf).
  for (bool sat : {false, true}) {
    EXPECT_EQ(encode(ElemFormat::E2M1FN, 7.0f, sat), 0x7);
    EXPECT_EQ(encode(ElemFormat::E2M1FN, inf, sat), 0x7);
    EXPECT_EQ(encode(ElemFormat::E2M1FN, -inf, sat), 0xf);
    EXPECT_EQ(encode(ElemFormat::E2M3FN, 100.0f, sat), 0x1f);
    EXPECT_EQ(encode(ElemFormat::E3M2FN, -inf, sat), 0x3f);
  }
  // F16 / BF16 honour the flag too.
  EXPECT_EQ(encode(ElemFormat::F16, 1e6f, true), 0x7bff);
  EXPECT_EQ(encode(ElemFormat::F16, 1e6f, false), 0x7c00);
  EXPECT_EQ(encode(ElemFormat::BF16, inf, true), 0x7f7f);
  EXPECT_EQ(encode(ElemFormat::BF16, -inf, false), 0xff80);
  EXPECT_EQ(roundTo(ElemFormat::F32, inf, true),
            std::numeric_limits<float>::max());
  EXPECT_EQ(roundTo(ElemFormat::F32, -inf, false), -inf);
  EXPECT_EQ(roundTo(ElemFormat::E4M3FN, 300.0f), 288.0f);
}

// F5: NaN handling per format; F6: signed zeros.
TEST(NumericsFormats, F5_F6_NaNAndZero) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(encode(ElemFormat::E4M3FN, nan), 0x7f);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, -nan), 0xff);
  EXPECT_EQ(encode(ElemFormat::E5M2, nan), 0x7e);
  EXPECT_EQ(encode(ElemFormat::E5M2, -nan, false), 0xfe);
  EXPECT_EQ(encode(ElemFormat::F16, nan), 0x7e00);
  EXPECT_TRUE(std::isnan(decode(ElemFormat::BF16, encode(ElemFormat::BF16, nan))));
  // A signalling NaN whose payload lives only in the low bits stays NaN.
  EXPECT_TRUE(std::isnan(
      decode(ElemFormat::BF16, encode(ElemFormat::BF16, floatOf(0x7f800001)))));
  EXPECT_EQ(encode(ElemFormat::E2M1FN, nan), 0x0);
  EXPECT_EQ(encode(ElemFormat::E2M1FN, -nan), 0x8);
  EXPECT_EQ(encode(ElemFormat::E2M3FN, nan), 0x0);
  EXPECT_EQ(encode(ElemFormat::E3M2FN, -nan), 0x20);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, nan), 0xff);
  EXPECT_EQ(encode(ElemFormat::UE4M3, -nan), 0x7f);
  EXPECT_EQ(encode(ElemFormat::INT8, nan), 0);
  EXPECT_EQ(encode(ElemFormat::UINT4, nan), 0);
  // F6
  EXPECT_EQ(encode(ElemFormat::E4M3FN, -0.0f), 0x80);
  EXPECT_EQ(encode(ElemFormat::E4M3FN, -1e-30f), 0x80);
  EXPECT_EQ(encode(ElemFormat::E2M1FN, -0.25f), 0x8); // tie -> even (0)
  EXPECT_EQ(encode(ElemFormat::E2M1FN, -0.2500001f), 0x9);
  EXPECT_EQ(encode(ElemFormat::E3M2FN, -0.0f), 0x20);
  EXPECT_EQ(encode(ElemFormat::F16, -0.0f), 0x8000);
}

// F7: subnormal boundaries and f32 subnormal inputs.
TEST(NumericsFormats, F7_Subnormals) {
  // E4M3FN: subnormal spacing 2^-9, min normal 2^-6 = code 0x08.
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 0x1p-10f), 0x00); // tie -> 0
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 0x1.8p-9f), 0x02); // 1.5 -> 2
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 0x1.4p-8f), 0x02); // 2.5 -> 2
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 0x1.ep-7f), 0x08); // 7.5 -> 8
  EXPECT_EQ(encode(ElemFormat::E4M3FN, 0x1.cp-7f), 0x07);
  EXPECT_EQ(decode(ElemFormat::E4M3FN, 0x01), 0x1p-9f);
  EXPECT_EQ(encode(ElemFormat::E5M2, 0x1.8p-16f), 0x02);
  EXPECT_EQ(encode(ElemFormat::E2M1FN, 0.75f), 0x2); // 1.5 * 0.5 -> 1.0
  EXPECT_EQ(encode(ElemFormat::E2M1FN, 0.25f), 0x0);
  EXPECT_EQ(encode(ElemFormat::F16, 0x1p-25f), 0x0000);
  EXPECT_EQ(encode(ElemFormat::F16, 0x1.8p-25f), 0x0001);
  for (ElemFormat f : kSmallFloats) {
    if (f == ElemFormat::E8M0FNU)
      continue;
    EXPECT_EQ(encode(f, 1e-40f), 0u) << getFormatInfo(f).name;
    EXPECT_EQ(decode(f, encode(f, -0x1p-149f)), 0.0f);
  }
  // BF16 keeps f32 subnormals (rounded to 7 mantissa bits).
  EXPECT_EQ(encode(ElemFormat::BF16, 0x1p-133f), 0x0001);
  EXPECT_EQ(encode(ElemFormat::BF16, 0x1p-134f), 0x0000); // tie -> even
  EXPECT_EQ(encode(ElemFormat::BF16, 0x1.8p-134f), 0x0001);
}

// F8: UE4M3 is the non-negative half of E4M3FN.
TEST(NumericsFormats, F8_UE4M3) {
  for (uint32_t c = 0; c < 256; ++c) {
    float v = decode(ElemFormat::UE4M3, uint16_t(c));
    if (c >= 0x7f)
      EXPECT_TRUE(std::isnan(v)) << c;
    else
      EXPECT_EQ(v, decode(ElemFormat::E4M3FN, uint16_t(c))) << c;
  }
  Rng rng(7);
  for (int i = 0; i < 100000; ++i) {
    float x = std::fabs(rng.logUniform(-12, 10));
    EXPECT_EQ(encode(ElemFormat::UE4M3, x), encode(ElemFormat::E4M3FN, x));
    EXPECT_EQ(encode(ElemFormat::UE4M3, x, false),
              encode(ElemFormat::E4M3FN, x, false));
  }
  EXPECT_EQ(encode(ElemFormat::UE4M3, -1.0f, true), 0x00);
  EXPECT_EQ(encode(ElemFormat::UE4M3, -1.0f, false), 0x7f);
  EXPECT_EQ(encode(ElemFormat::UE4M3, -0.0f, false), 0x00);
  EXPECT_EQ(encode(ElemFormat::UE4M3, -1e-30f, false), 0x00);
  EXPECT_EQ(encode(ElemFormat::UE4M3, 1e9f, true), 0x7e);
  EXPECT_EQ(encode(ElemFormat::UE4M3, 1e9f, false), 0x7f);
}

// F9: E8M0 rules.
TEST(NumericsFormats, F9_E8M0) {
  EXPECT_EQ(decodeE8M0(127), 1.0f);
  EXPECT_EQ(decodeE8M0(0), 0x1p-127f);
  EXPECT_EQ(decodeE8M0(254), 0x1p127f);
  EXPECT_TRUE(std::isnan(decodeE8M0(255)));
  for (int c = 0; c < 256; ++c)
    EXPECT_TRUE(sameFloat(decodeE8M0(uint8_t(c)),
                          decode(ElemFormat::E8M0FNU, uint16_t(c))));
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 3.0f), 129);   // tie goes up
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 2.999f), 128);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 0.0f), 0);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, -0.0f, false), 0);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 1e-45f), 0);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 0x1.8p-127f), 1);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 0x1.7ffffcp-127f), 0);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, -2.0f, false), 0xff);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, -2.0f, true), 0);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 0x1.8p127f, true), 254);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 0x1.8p127f, false), 0xff);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU, 0x1.7ffffep127f, false), 254);
  EXPECT_EQ(encode(ElemFormat::E8M0FNU,
                   std::numeric_limits<float>::infinity(), true),
            254);
}

// F2, F10: integers are clamp(rne(x)), NaN -> 0.
TEST(NumericsFormats, F10_Integers) {
  struct Case {
    ElemFormat f;
    int lo, hi;
  } cases[] = {{ElemFormat::INT8, -128, 127},
               {ElemFormat::UINT8, 0, 255},
               {ElemFormat::INT4, -8, 7},
               {ElemFormat::UINT4, 0, 15}};
  Rng rng(99);
  for (const Case &c : cases) {
    const FormatInfo &fi = getFormatInfo(c.f);
    EXPECT_EQ(fi.qmin, c.lo);
    EXPECT_EQ(fi.qmax, c.hi);
    uint32_t mask = (1u << fi.bits) - 1;
    std::vector<float> in = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f,
                             0.49999997f, 3.5000002f, 1e9f, -1e9f,
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             float(c.hi) + 0.5f, float(c.lo) - 0.5f,
                             float(c.hi) + 0.49f, float(c.lo) - 0.51f};
    for (int i = 0; i < 50000; ++i)
      in.push_back(float((rng.uniform() * 2 - 1) * 2.5 * (c.hi + 1)));
    for (int i = -300; i <= 300; ++i)
      in.push_back(float(i) * 0.5f);
    for (float x : in) {
      double r = std::nearbyint(double(x)); // default mode: ties to even
      r = std::min(std::max(r, double(c.lo)), double(c.hi));
      uint32_t want = uint32_t(int32_t(r)) & mask;
      ASSERT_EQ(encode(c.f, x), want) << fi.name << " x=" << x;
      ASSERT_EQ(decode(c.f, uint16_t(want)), float(r));
    }
  }
  EXPECT_EQ(encode(ElemFormat::INT4, -8.4f), 0x8);
  EXPECT_EQ(decode(ElemFormat::INT4, 0x8), -8.0f);
  EXPECT_EQ(decode(ElemFormat::INT4, 0xf7), 7.0f); // high bits ignored
  EXPECT_EQ(decode(ElemFormat::INT8, 0x80), -128.0f);
  EXPECT_EQ(encode(ElemFormat::UINT8, -3.0f), 0);
}

// F2-F10: the bulk encoder matches the scalar one for every <= 8-bit format.
TEST(NumericsFormats, F2_EncodeArrayMatchesScalar) {
  std::vector<float> in = randomInputs(42, 20000);
  for (ElemFormat f : {ElemFormat::E4M3FN, ElemFormat::E5M2,
                       ElemFormat::E2M3FN, ElemFormat::E3M2FN,
                       ElemFormat::E2M1FN, ElemFormat::E8M0FNU,
                       ElemFormat::UE4M3, ElemFormat::INT8, ElemFormat::UINT8,
                       ElemFormat::INT4, ElemFormat::UINT4}) {
    std::vector<float> scaled(in);
    for (float &v : scaled)
      v = std::isfinite(v) ? std::fmod(v, 1000.0f) : v;
    scaled.insert(scaled.end(), in.begin(), in.end());
    std::vector<uint8_t> codes(scaled.size());
    for (bool sat : {true, false}) {
      encodeArray(f, scaled.data(), int64_t(scaled.size()), codes.data(), sat);
      for (size_t i = 0; i < scaled.size(); ++i)
        ASSERT_EQ(codes[i], encode(f, scaled[i], sat))
            << getFormatInfo(f).name << " x=" << scaled[i];
    }
  }
}

// F16: 4-bit packing, low nibble first.
TEST(NumericsFormats, F16_Pack4) {
  uint8_t codes[5] = {0x1, 0x2, 0xf, 0x8, 0x7};
  uint8_t packed[3] = {0xaa, 0xaa, 0xaa};
  pack4(codes, 5, packed);
  EXPECT_EQ(packed[0], 0x21);
  EXPECT_EQ(packed[1], 0x8f);
  EXPECT_EQ(packed[2], 0x07);
  uint8_t back[5];
  unpack4(packed, 5, back);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(back[i], codes[i]);
  // High bits of an input code are dropped.
  uint8_t wide[2] = {0xf3, 0x14};
  pack4(wide, 2, packed);
  EXPECT_EQ(packed[0], 0x43);
}
