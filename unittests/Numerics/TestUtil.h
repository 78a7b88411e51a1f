//===- TestUtil.h - Shared helpers for Numerics tests ------------*- C++ -*-===//

#ifndef QUANTC_UNITTESTS_NUMERICS_TESTUTIL_H
#define QUANTC_UNITTESTS_NUMERICS_TESTUTIL_H

#include "quantc/Numerics/Formats.h"

#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace quantc::numerics::test {

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

/// Bitwise equality, any NaN equal to any NaN.
inline bool sameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return bitsOf(a) == bitsOf(b);
}

/// APFloat semantics of a float format, or nullptr (UE4M3, integers).
inline const llvm::fltSemantics *semanticsOf(ElemFormat f) {
  switch (f) {
  case ElemFormat::F32:
    return &llvm::APFloat::IEEEsingle();
  case ElemFormat::F16:
    return &llvm::APFloat::IEEEhalf();
  case ElemFormat::BF16:
    return &llvm::APFloat::BFloat();
  case ElemFormat::E4M3FN:
    return &llvm::APFloat::Float8E4M3FN();
  case ElemFormat::E5M2:
    return &llvm::APFloat::Float8E5M2();
  case ElemFormat::E2M3FN:
    return &llvm::APFloat::Float6E2M3FN();
  case ElemFormat::E3M2FN:
    return &llvm::APFloat::Float6E3M2FN();
  case ElemFormat::E2M1FN:
    return &llvm::APFloat::Float4E2M1FN();
  case ElemFormat::E8M0FNU:
    return &llvm::APFloat::Float8E8M0FNU();
  default:
    return nullptr;
  }
}

/// Small deterministic PRNG (splitmix64) so tests do not depend on <random>'s
/// distributions across standard libraries.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t u32() { return uint32_t(next() >> 32); }
  /// Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1p-53; }
  /// Random sign times 2^u with u uniform in [lo, hi).
  float logUniform(double lo, double hi) {
    double v = std::exp2(lo + (hi - lo) * uniform());
    return float((next() & 1) ? -v : v);
  }
};

} // namespace quantc::numerics::test

#endif
