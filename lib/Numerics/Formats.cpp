//===- Formats.cpp - Element formats and block codecs ---------------------===//
//
// Encoders are branch-free bit manipulation so the block loops vectorize:
// normal numbers are rounded on the f32 bit pattern (RNE by adding a
// half-ulp-minus-one plus the kept LSB), subnormals by adding a "magic" power
// of two whose ulp equals the target's subnormal spacing (the FPU rounds half
// to even). Both require the default FP environment (round to nearest, no
// FTZ/DAZ); quantc never changes it. Rule labels refer to docs/Formats.md.
//
//===----------------------------------------------------------------------===//

#include "quantc/Numerics/Formats.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

using namespace quantc::numerics;

namespace {

inline uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// 2^e as a float, exact for e in [-149, 127].
inline float pow2i(int e) {
  return e >= -126 ? floatOf(uint32_t(e + 127) << 23)
                   : floatOf(uint32_t(1) << (e + 149));
}

enum SpecialKind {
  IEEE,    // Inf and NaN in the all-ones exponent (E5M2, F16).
  FN,      // no Inf; NaN is the all-ones code (E4M3FN).
  NoSpecial // every code is finite (E2M3FN, E3M2FN, E2M1FN).
};

/// A signed minifloat with E exponent bits, M mantissa bits (M >= 1) and the
/// given bias, encoded from f32 (F3-F7).
template <int E, int M, int Bias, SpecialKind K> struct Mini {
  static constexpr int W = E + M; // magnitude bits; the sign is bit W
  static constexpr uint32_t allOnes = (1u << W) - 1;
  static constexpr uint32_t infCode = K == IEEE ? ((1u << E) - 1) << M : 0;
  static constexpr uint32_t nanCode =
      K == IEEE ? infCode | (1u << (M - 1)) : K == FN ? allOnes : 0;
  static constexpr uint32_t maxAbs =
      K == IEEE ? infCode - 1 : K == FN ? allOnes - 1 : allOnes;
  static constexpr uint32_t minNormBits = uint32_t(127 + 1 - Bias) << 23;
  // ulp(magic) = 2^(1 - Bias - M), the subnormal spacing.
  static constexpr uint32_t magicBits = uint32_t(127 + 24 - Bias - M) << 23;
  static constexpr int sh = 23 - M;

  static constexpr uint32_t ovfNoSat =
      K == IEEE ? infCode : K == FN ? nanCode : maxAbs;

  // Selects are written as masks: GCC does not if-convert the ternaries,
  // and branches on the normal/subnormal split mispredict on real data.
  static inline uint32_t enc(uint32_t bits, bool sat) {
    uint32_t sign = (bits >> 31) << W;
    uint32_t a = bits & 0x7fffffffu;
    // Normal range: round the f32 pattern to M mantissa bits, then rebias.
    uint32_t rn = (a + ((1u << (sh - 1)) - 1) + ((a >> sh) & 1)) >> sh;
    int32_t n = int32_t(rn) - int32_t((127 - Bias) << M);
    // Subnormal range: the FPU does the rounding.
    float magic = floatOf(magicBits);
    uint32_t s = bitsOf(floatOf(a) + magic) - magicBits;
    uint32_t isSub = uint32_t(0) - uint32_t(int32_t(a) < int32_t(minNormBits));
    uint32_t code = (s & isSub) | (uint32_t(n) & ~isSub);
    uint32_t ovf = sat ? maxAbs : ovfNoSat;
    uint32_t isOvf = uint32_t(0) - uint32_t(n > int32_t(maxAbs));
    code = (ovf & isOvf) | (code & ~isOvf);
    uint32_t isNaN = uint32_t(0) - uint32_t(int32_t(a) > int32_t(0x7f800000));
    code = (nanCode & isNaN) | (code & ~isNaN);
    return code | sign;
  }
};

using F16T = Mini<5, 10, 15, IEEE>;
using E4M3T = Mini<4, 3, 7, FN>;
using E5M2T = Mini<5, 2, 15, IEEE>;
using E2M3T = Mini<2, 3, 1, NoSpecial>;
using E3M2T = Mini<3, 2, 3, NoSpecial>;
using E2M1T = Mini<2, 1, 1, NoSpecial>;

inline uint32_t encBF16(uint32_t bits, bool sat) {
  uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t a = bits & 0x7fffffffu;
  uint32_t code = (a + 0x7fffu + ((a >> 16) & 1)) >> 16;
  uint32_t ovf = sat ? 0x7f7fu : 0x7f80u;
  code = code > 0x7f7fu ? ovf : code;
  code = a > 0x7f800000u ? ((a >> 16) | 0x40u) : code; // quiet, payload kept
  return code | sign;
}

/// UE4M3: E4M3FN magnitudes with the sign bit 0 (F8).
inline uint32_t encUE4M3(uint32_t bits, bool sat) {
  uint32_t c = E4M3T::enc(bits, sat);
  if (c & 0x80u) {
    if (c == 0x80u)
      c = 0; // -0 and negatives rounding to zero
    else if (c == 0xffu)
      c = 0x7f; // NaN
    else
      c = sat ? 0 : 0x7f;
  }
  return c;
}

/// E8M0FNU: 2^(c-127), c in [0, 254], 0xFF NaN (F9). With no mantissa bit,
/// round-to-nearest compares against 1.5 * 2^e and ties go up (APFloat and
/// ml_dtypes agree). Below 2^-127 (including 0) clamps to code 0.
inline uint32_t encE8M0(uint32_t bits, bool sat) {
  uint32_t a = bits & 0x7fffffffu;
  if (a > 0x7f800000u)
    return 0xff;
  if ((bits >> 31) && a != 0)
    return sat ? 0 : 0xff;
  uint32_t e = a >> 23;
  uint32_t c = e == 0 ? (a >= 0x00600000u ? 1u : 0u) // [0, 2^-126)
                      : e + ((a >> 22) & 1);
  if (c > 254)
    c = sat ? 254 : 0xff;
  return c;
}

template <int Lo, int Hi> inline uint32_t encInt(float x) {
  float y = x == x ? x : 0.0f; // NaN -> 0 (F10)
  y = y < float(Lo) ? float(Lo) : y;
  y = y > float(Hi) ? float(Hi) : y;
  // |y| <= 255 < 2^22: adding 1.5 * 2^23 rounds to an integer, half to even.
  y = (y + 12582912.0f) - 12582912.0f;
  return uint32_t(int32_t(y));
}

// Functors that encode one float for the bulk loops.
template <class S> struct MiniEnc {
  static uint32_t enc(float x, bool sat) { return S::enc(bitsOf(x), sat); }
};
struct BF16Enc {
  static uint32_t enc(float x, bool sat) { return encBF16(bitsOf(x), sat); }
};
struct UE4M3Enc {
  static uint32_t enc(float x, bool sat) { return encUE4M3(bitsOf(x), sat); }
};
struct E8M0Enc {
  static uint32_t enc(float x, bool sat) { return encE8M0(bitsOf(x), sat); }
};
template <int Lo, int Hi, uint32_t Mask> struct IntEnc {
  static uint32_t enc(float x, bool) { return encInt<Lo, Hi>(x) & Mask; }
};

using I8Enc = IntEnc<-128, 127, 0xffu>;
using U8Enc = IntEnc<0, 255, 0xffu>;
using I4Enc = IntEnc<-8, 7, 0xfu>;
using U4Enc = IntEnc<0, 15, 0xfu>;

/// Calls fn(Enc{}) with the encoder functor of a format of at most 16 bits.
template <class Fn> auto dispatchEnc(ElemFormat f, Fn &&fn) {
  switch (f) {
  case ElemFormat::F16:
    return fn(MiniEnc<F16T>{});
  case ElemFormat::BF16:
    return fn(BF16Enc{});
  case ElemFormat::E4M3FN:
    return fn(MiniEnc<E4M3T>{});
  case ElemFormat::E5M2:
    return fn(MiniEnc<E5M2T>{});
  case ElemFormat::E2M3FN:
    return fn(MiniEnc<E2M3T>{});
  case ElemFormat::E3M2FN:
    return fn(MiniEnc<E3M2T>{});
  case ElemFormat::E2M1FN:
    return fn(MiniEnc<E2M1T>{});
  case ElemFormat::E8M0FNU:
    return fn(E8M0Enc{});
  case ElemFormat::UE4M3:
    return fn(UE4M3Enc{});
  case ElemFormat::INT8:
    return fn(I8Enc{});
  case ElemFormat::UINT8:
    return fn(U8Enc{});
  case ElemFormat::INT4:
    return fn(I4Enc{});
  case ElemFormat::UINT4:
    return fn(U4Enc{});
  case ElemFormat::F32:
    break;
  }
  assert(false && "F32 has no 16-bit code");
  return fn(MiniEnc<F16T>{});
}

const FormatInfo kInfos[kNumElemFormats] = {
    // name, bits, isFloat, isSigned, max, minNormal, minPositive, E, M, bias,
    // emax, hasInf, hasNaN, hasNegZero, qmin, qmax
    {"f32", 32, true, true, std::numeric_limits<float>::max(), 0x1p-126f,
     0x1p-149f, 8, 23, 127, 127, true, true, true, 0, 0},
    {"f16", 16, true, true, 65504.0f, 0x1p-14f, 0x1p-24f, 5, 10, 15, 15, true,
     true, true, 0, 0},
    {"bf16", 16, true, true, 0x1.fep127f, 0x1p-126f, 0x1p-133f, 8, 7, 127, 127,
     true, true, true, 0, 0},
    {"f8E4M3FN", 8, true, true, 448.0f, 0x1p-6f, 0x1p-9f, 4, 3, 7, 8, false,
     true, true, 0, 0},
    {"f8E5M2", 8, true, true, 57344.0f, 0x1p-14f, 0x1p-16f, 5, 2, 15, 15, true,
     true, true, 0, 0},
    {"f6E2M3FN", 6, true, true, 7.5f, 1.0f, 0.125f, 2, 3, 1, 2, false, false,
     true, 0, 0},
    {"f6E3M2FN", 6, true, true, 28.0f, 0.25f, 0.0625f, 3, 2, 3, 4, false, false,
     true, 0, 0},
    {"f4E2M1FN", 4, true, true, 6.0f, 1.0f, 0.5f, 2, 1, 1, 2, false, false,
     true, 0, 0},
    {"f8E8M0FNU", 8, true, false, 0x1p127f, 0x1p-127f, 0x1p-127f, 8, 0, 127,
     127, false, true, false, 0, 0},
    {"ue4m3", 8, true, false, 448.0f, 0x1p-6f, 0x1p-9f, 4, 3, 7, 8, false,
     true, false, 0, 0},
    {"i8", 8, false, true, 127.0f, 1.0f, 1.0f, 0, 0, 0, 6, false, false, false,
     -128, 127},
    {"ui8", 8, false, false, 255.0f, 1.0f, 1.0f, 0, 0, 0, 7, false, false,
     false, 0, 255},
    {"i4", 4, false, true, 7.0f, 1.0f, 1.0f, 0, 0, 0, 2, false, false, false,
     -8, 7},
    {"ui4", 4, false, false, 15.0f, 1.0f, 1.0f, 0, 0, 0, 3, false, false,
     false, 0, 15},
};

/// Value of a minifloat code from its fields; used only to build tables.
float decodeFields(const FormatInfo &fi, ElemFormat f, uint32_t code) {
  unsigned w = fi.expBits + fi.manBits;
  uint32_t mag = code & ((1u << w) - 1);
  bool neg = fi.isSigned && ((code >> w) & 1);
  uint32_t ef = mag >> fi.manBits, mf = mag & ((1u << fi.manBits) - 1);
  float nan = std::numeric_limits<float>::quiet_NaN();
  float v;
  if (f == ElemFormat::UE4M3 && (code & 0x80))
    return nan; // sign bit must be 0 (F8)
  if (fi.hasInf && ef == (1u << fi.expBits) - 1)
    v = mf ? nan : std::numeric_limits<float>::infinity();
  else if (!fi.hasInf && fi.hasNaN && mag == (1u << w) - 1)
    v = nan;
  else if (ef == 0 && f != ElemFormat::E8M0FNU)
    v = std::ldexp(float(mf), 1 - fi.bias - int(fi.manBits));
  else
    v = std::ldexp(float((1u << fi.manBits) + mf),
                   int(ef) - fi.bias - int(fi.manBits));
  return neg ? -v : v;
}

/// Decode tables for every format of at most 8 bits (256 entries each; codes
/// are masked to the format's width before lookup).
struct DecodeTables {
  float t[kNumElemFormats][256];
  DecodeTables() {
    for (unsigned i = 0; i < kNumElemFormats; ++i) {
      ElemFormat f = ElemFormat(i);
      const FormatInfo &fi = kInfos[i];
      for (uint32_t c = 0; c < 256; ++c) {
        if (fi.bits > 8) {
          t[i][c] = 0;
          continue;
        }
        uint32_t m = c & ((1u << fi.bits) - 1);
        if (!fi.isFloat) {
          int32_t v = int32_t(m);
          if (fi.isSigned && (m >> (fi.bits - 1)))
            v -= int32_t(1u << fi.bits);
          t[i][c] = float(v);
        } else {
          t[i][c] = decodeFields(fi, f, m);
        }
      }
    }
  }
};

const float *decodeTable(ElemFormat f) {
  static const DecodeTables tables;
  return tables.t[unsigned(f)];
}

float decodeF16(uint32_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t em = h & 0x7fffu;
  if (em >= 0x7c00u)
    return floatOf(sign | 0x7f800000u | ((em & 0x3ffu) << 13));
  if (em >= 0x0400u)
    return floatOf(sign | ((em << 13) + ((127u - 15u) << 23)));
  return floatOf(sign | bitsOf(float(em) * 0x1p-24f));
}

/// Number of blocks of `block` elements covering k.
inline int64_t numBlocks(int64_t k, int64_t block) {
  return llvm::divideCeil(k, block);
}

/// MX code of the element format's NaN, or 0 where it has none (F14).
uint8_t mxNaNFill(ElemFormat elem) {
  switch (elem) {
  case ElemFormat::E4M3FN:
    return 0x7f;
  case ElemFormat::E5M2:
    return 0x7e;
  default:
    return 0;
  }
}

/// Shared scale from the bit pattern of |amax| (sign already cleared).
uint8_t sharedScaleFromBits(uint32_t a, const FormatInfo &ei,
                            MXScaleMode mode) {
  if (a >= 0x7f800000u)
    return 0xff;
  if (a == 0)
    return 0;
  // Normalize to a 24-bit significand sig (bit 23 set) and exponent ea.
  int ea;
  uint32_t sig;
  if (a >= 0x00800000u) {
    ea = int(a >> 23) - 127;
    sig = (a & 0x7fffffu) | 0x800000u;
  } else {
    int lz = __builtin_clz(a) - 8; // bit 23 is the leading bit after shift
    ea = -126 - lz;
    sig = a << lz;
  }
  int s;
  if (mode == MXScaleMode::Floor) {
    s = ea - ei.emax;
  } else {
    uint32_t mb = bitsOf(ei.maxFinite);
    int em = int(mb >> 23) - 127;
    uint32_t sigM = (mb & 0x7fffffu) | 0x800000u;
    s = ea - em + (sig > sigM ? 1 : 0);
  }
  int c = s + 127;
  return uint8_t(c < 0 ? 0 : c > 254 ? 254 : c);
}

/// One block of n elements; N > 0 makes the trip count a compile-time
/// constant (the common block of 32), which roughly halves the loop overhead.
template <class Enc, int64_t N>
inline uint8_t quantizeBlock(const float *__restrict xb, int64_t n,
                             const FormatInfo &ei, MXScaleMode mode,
                             uint8_t nanFill, uint8_t *__restrict cb) {
  if (N > 0)
    n = N;
  uint32_t amax = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t a = bitsOf(xb[i]) & 0x7fffffffu;
    amax = a > amax ? a : amax;
  }
  uint8_t sc = sharedScaleFromBits(amax, ei, mode);
  if (sc == 0xff) {
    std::memset(cb, nanFill, size_t(n));
    return sc;
  }
  // Multiplying by a power of two is exact whenever the product is an f32
  // normal; when it is not, the element rounds to 0 anyway (F15).
  float inv = pow2i(127 - int(sc));
  for (int64_t i = 0; i < n; ++i)
    cb[i] = uint8_t(Enc::enc(xb[i] * inv, true));
  return sc;
}

template <class Enc>
void quantizeMXImpl(const float *x, int64_t rows, int64_t k, int64_t block,
                    const FormatInfo &ei, MXScaleMode mode, uint8_t nanFill,
                    uint8_t *codes, uint8_t *scales) {
  int64_t nb = numBlocks(k, block);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * k;
    uint8_t *cr = codes + r * k;
    for (int64_t b = 0; b < nb; ++b) {
      int64_t lo = b * block, n = std::min(block, k - lo);
      scales[r * nb + b] =
          n == 32 ? quantizeBlock<Enc, 32>(xr + lo, n, ei, mode, nanFill,
                                           cr + lo)
                  : quantizeBlock<Enc, 0>(xr + lo, n, ei, mode, nanFill,
                                          cr + lo);
    }
  }
}

} // namespace

const FormatInfo &quantc::numerics::getFormatInfo(ElemFormat f) {
  return kInfos[unsigned(f)];
}

std::optional<ElemFormat> quantc::numerics::parseElemFormat(llvm::StringRef name) {
  for (unsigned i = 0; i < kNumElemFormats; ++i)
    if (name == kInfos[i].name)
      return ElemFormat(i);
  return std::nullopt;
}

uint16_t quantc::numerics::encode(ElemFormat f, float x, bool saturate) {
  return dispatchEnc(f, [&](auto e) {
    return uint16_t(decltype(e)::enc(x, saturate));
  });
}

float quantc::numerics::decode(ElemFormat f, uint16_t code) {
  switch (f) {
  case ElemFormat::F32:
    assert(false && "F32 has no 16-bit code");
    return std::numeric_limits<float>::quiet_NaN();
  case ElemFormat::F16:
    return decodeF16(code);
  case ElemFormat::BF16:
    return floatOf(uint32_t(code) << 16);
  default:
    return decodeTable(f)[code & 0xff];
  }
}

float quantc::numerics::roundTo(ElemFormat f, float x, bool saturate) {
  if (f == ElemFormat::F32) {
    if (saturate && std::isinf(x))
      return std::copysign(std::numeric_limits<float>::max(), x);
    return x;
  }
  return decode(f, encode(f, x, saturate));
}

void quantc::numerics::encodeArray(ElemFormat f, const float *x, int64_t n,
                                   uint8_t *codes, bool saturate) {
  assert(getFormatInfo(f).bits <= 8 && "encodeArray needs a format <= 8 bits");
  dispatchEnc(f, [&](auto e) {
    using Enc = decltype(e);
    if (saturate)
      for (int64_t i = 0; i < n; ++i)
        codes[i] = uint8_t(Enc::enc(x[i], true));
    else
      for (int64_t i = 0; i < n; ++i)
        codes[i] = uint8_t(Enc::enc(x[i], false));
    return 0;
  });
}

void quantc::numerics::decodeArray(ElemFormat f, const uint8_t *codes,
                                   int64_t n, float *out) {
  assert(getFormatInfo(f).bits <= 8 && "decodeArray needs a format <= 8 bits");
  const float *t = decodeTable(f);
  for (int64_t i = 0; i < n; ++i)
    out[i] = t[codes[i]];
}

void quantc::numerics::pack4(const uint8_t *codes, int64_t n, uint8_t *packed) {
  for (int64_t i = 0; i + 1 < n; i += 2)
    packed[i / 2] = uint8_t((codes[i] & 0xf) | ((codes[i + 1] & 0xf) << 4));
  if (n & 1)
    packed[n / 2] = codes[n - 1] & 0xf;
}

void quantc::numerics::unpack4(const uint8_t *packed, int64_t n,
                               uint8_t *codes) {
  for (int64_t i = 0; i + 1 < n; i += 2) {
    codes[i] = packed[i / 2] & 0xf;
    codes[i + 1] = packed[i / 2] >> 4;
  }
  if (n & 1)
    codes[n - 1] = packed[n / 2] & 0xf;
}

float quantc::numerics::decodeE8M0(uint8_t code) {
  if (code == 0xff)
    return std::numeric_limits<float>::quiet_NaN();
  return pow2i(int(code) - 127);
}

bool quantc::numerics::isMXElemFormat(ElemFormat f) {
  switch (f) {
  case ElemFormat::E4M3FN:
  case ElemFormat::E5M2:
  case ElemFormat::E2M3FN:
  case ElemFormat::E3M2FN:
  case ElemFormat::E2M1FN:
  case ElemFormat::INT8:
  case ElemFormat::INT4:
    return true;
  default:
    return false;
  }
}

uint8_t quantc::numerics::mxSharedScale(float amax, ElemFormat elem,
                                        MXScaleMode mode) {
  assert(isMXElemFormat(elem) && "not an MX element format");
  return sharedScaleFromBits(bitsOf(amax) & 0x7fffffffu, getFormatInfo(elem),
                             mode);
}

void quantc::numerics::quantizeMX(const float *x, int64_t rows, int64_t k,
                                  int64_t block, ElemFormat elem,
                                  MXScaleMode mode, uint8_t *codes,
                                  uint8_t *scales) {
  assert(rows >= 0 && k >= 0 && block >= 1 && "bad MX shape");
  assert(isMXElemFormat(elem) && "not an MX element format");
  if (rows <= 0 || k <= 0 || block < 1)
    return;
  if (!isMXElemFormat(elem)) {
    // Release builds: make the misuse visible (all scales NaN) rather than
    // writing plausible codes.
    std::memset(codes, 0, size_t(rows * k));
    std::memset(scales, 0xff, size_t(rows * numBlocks(k, block)));
    return;
  }
  const FormatInfo &ei = getFormatInfo(elem);
  uint8_t fill = mxNaNFill(elem);
  dispatchEnc(elem, [&](auto e) {
    quantizeMXImpl<decltype(e)>(x, rows, k, block, ei, mode, fill, codes,
                                scales);
    return 0;
  });
}

void quantc::numerics::dequantizeMX(const uint8_t *codes, const uint8_t *scales,
                                    int64_t rows, int64_t k, int64_t block,
                                    ElemFormat elem, float *out) {
  assert(rows >= 0 && k >= 0 && block >= 1 && "bad MX shape");
  assert(isMXElemFormat(elem) && "not an MX element format");
  if (rows <= 0 || k <= 0 || block < 1)
    return;
  if (!isMXElemFormat(elem)) {
    for (int64_t i = 0; i < rows * k; ++i)
      out[i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  const float *t = decodeTable(elem);
  int64_t nb = numBlocks(k, block);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      int64_t lo = b * block, n = std::min(block, k - lo);
      float s = decodeE8M0(scales[r * nb + b]);
      const uint8_t *cb = codes + r * k + lo;
      float *ob = out + r * k + lo;
      for (int64_t i = 0; i < n; ++i)
        ob[i] = t[cb[i]] * s;
    }
  }
}
