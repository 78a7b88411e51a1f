//===- FastMath.h - the Executor's elementary functions ---------*- C++ -*-===//
//
// libm's tanhf/expf are scalar calls (~20 ns each), which made Tanh, Sigmoid
// and the tanh Gelu the slowest elementwise ops. These evaluate in double
// with branch-free code the compiler vectorizes: exp by range reduction
// (z = k ln2 + r, |r| <= ln2/2) and a degree-8 Taylor polynomial (truncation
// < 2e-10 relative, 150 times below float's half ulp), so the float results
// are within an ulp of the correctly rounded value (checked against libm in
// unittests/Executor/FastMathTest.cpp), far inside the tests' rtol 1e-5.
// The other elementary functions (log, erf, the trigonometric and
// hyperbolic ones and their inverses, pow) are written the same way, from
// IEEE double operations alone, so that the GPU kernels
// (lib/Conversion/QCToGPU/ElementwiseKernels.cpp) can repeat them operation
// for operation and give the Executor's results bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_FASTMATH_H
#define QUANTC_LIB_EXECUTOR_FASTMATH_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace quantc::exec {

/// e^z for z in [-700, 700] (callers clamp).
inline double expClamped(double z) {
  const double log2e = 1.4426950408889634, ln2 = 0.6931471805599453;
  const double shifter = 6755399441055744.0; // 1.5 * 2^52: rounds to integer
  double kd = z * log2e + shifter;
  uint64_t ki;
  std::memcpy(&ki, &kd, 8);
  kd -= shifter;
  double r = z - kd * ln2;
  double p = 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  uint64_t bits = (ki + 1023) << 52; // 2^k; the low bits of ki hold k
  double scale;
  std::memcpy(&scale, &bits, 8);
  return p * scale;
}

inline float fastTanh(float xf) {
  double x = xf, ax = std::fabs(x);
  // tanh(20) is 1 in float. NaN stays NaN through every step (the compares
  // are false), with no test the vectorizer would have to branch on.
  double y = ax > 20.0 ? 20.0 : ax;
  double e = expClamped(2.0 * y);
  double big = 1.0 - 2.0 / (e + 1.0);
  // Near 0 the Taylor series (to x^11; the next term is < 4e-12 relative
  // for |x| < 0.1) avoids 1 - 2/(e+1)'s cancellation.
  double x2 = x * x;
  double s = 21844.0 / 6081075;
  s = s * x2 - 1382.0 / 155925;
  s = s * x2 + 62.0 / 2835;
  s = s * x2 - 17.0 / 315;
  s = s * x2 + 2.0 / 15;
  s = s * x2 - 1.0 / 3;
  double small = x * (1.0 + x2 * s); // keeps the sign of -0
  double r = ax < 0.1 ? small : std::copysign(big, x);
  return (float)r;
}

/// e^x for a float, rounded once from double: expClamped's 2e-10 relative
/// error is far below float's half ulp, so this is the correctly rounded
/// value but where e^x lies within 2e-10 of a rounding boundary; overflow
/// to inf and underflow to 0 (through the subnormals) as expf. The GPU
/// kernels compute the same double operations.
inline float fastExp(float xf) {
  double z = xf;
  z = z < -700.0 ? -700.0 : (z > 700.0 ? 700.0 : z); // NaN stays NaN
  return (float)expClamped(z);
}
/// e^x - 1 for a float, in double, rounded once: below 0.5 in magnitude
/// its Taylor series to x^16 (no cancellation; the next term is below
/// 1e-18 of the sum), else expClamped(x) - 1 (x clamped to [-700, 700]).
/// Within an ulp of the correctly rounded value; the GPU kernels repeat
/// it.
inline float fastExpm1(float xf) {
  double x = xf;
  double p = 1.0 / 20922789888000.0; // 1/16!
  double f = 20922789888000.0;
  for (int k = 15; k >= 1; --k) {
    f /= k + 1;
    p = p * x + 1.0 / f;
  }
  double small = x * p; // x (1 + x/2! + ... + x^15/16!)
  double z = x < -700.0 ? -700.0 : (x > 700.0 ? 700.0 : x);
  double big = expClamped(z) - 1.0;
  double ax = std::fabs(x);
  return (float)(ax < 0.5 ? small : big); // NaN: big, NaN
}

/// 2 atanh(s) = log((1 + s) / (1 - s)) for |s| <= 1/3, in double:
/// 2 s Σ s^(2k) / (2k + 1), k = 0..17 (the last term below 1e-17 of the
/// sum). fastLog's and fastSoftplus's core.
inline double twoAtanh(double s) {
  double s2 = s * s, p = 1.0 / 35;
  for (int k = 16; k >= 0; --k)
    p = p * s2 + 1.0 / (2 * k + 1);
  return 2.0 * s * p;
}

/// log(x) in double for x a float's value or a normal double (not a
/// double subnormal): x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m =
/// 2 atanh((m - 1) / (m + 1)), plus e ln 2. log 0 is -inf, log inf inf,
/// and a negative x or NaN gives the quiet NaN. Log-softmax takes it of
/// its f64 sum; the GPU kernels repeat it.
inline double fastLogD(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, 8);
  int64_t e = int64_t((bits >> 52) & 0x7ff) - 1023;
  uint64_t mb = (bits & 0xfffffffffffffull) | 0x3ff0000000000000ull;
  double m;
  std::memcpy(&m, &mb, 8);
  bool big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  e += big;
  double r = double(e) * 0.6931471805599453 + twoAtanh((m - 1.0) / (m + 1.0));
  const double inf = 1.0 / 0.0;
  r = x > 0.0 ? r : (x == 0.0 ? -inf : std::numeric_limits<double>::quiet_NaN());
  return x == inf ? inf : r;
}

/// e^d for a log-sum-exp's term, d = x - max in double: 0 below -700
/// (the sum holds the max's own term, 1, so nothing that small counts),
/// inf above 700 (only where an element is +inf, whose own term is inf),
/// else expClamped; NaN stays NaN. The GPU kernels repeat it.
inline double lseTerm(double d) {
  return d < -700.0 ? 0.0
                    : (d > 700.0 ? std::numeric_limits<double>::infinity()
                                 : expClamped(d));
}

/// log(x) for a float: fastLogD of it (a float's subnormals are normal
/// doubles), rounded once. Within an ulp of the correctly rounded value
/// (FastMathTest); the GPU kernels repeat it.
inline float fastLog(float xf) { return (float)fastLogD(xf); }

/// log(1 + e^x) for a float, in double: max(x, 0) + log1p(e^-|x|), the
/// log1p as 2 atanh(t / (2 + t)) (t in (0, 1], so |s| <= 1/3); rounded
/// once. The GPU kernels repeat it.
inline float fastSoftplus(float xf) {
  double x = xf, ax = std::fabs(x);
  double t = expClamped(-(ax > 700.0 ? 700.0 : ax)); // NaN stays NaN
  return (float)((x > 0.0 ? x : 0.0) + twoAtanh(t / (2.0 + t)));
}

inline float fastSigmoid(float xf) {
  double z = -(double)xf;
  z = z < -700.0 ? -700.0 : (z > 700.0 ? 700.0 : z); // NaN stays NaN
  return (float)(1.0 / (1.0 + expClamped(z)));
}

/// The terms of fastErf's series: at |x| = 4 they fall below 1e-12 of the
/// sum by n = 52.
inline constexpr int kErfTerms = 60;

/// c_n = 2^n / (1·3···(2n+1)), the coefficients of fastErf's series in
/// x^2, each from the last as c * 2 / (2n + 1) (the GPU kernels and the
/// numpy model compute the same doubles the same way).
struct ErfCoefficients {
  double c[kErfTerms];
  constexpr ErfCoefficients() : c() {
    double v = 1.0;
    for (int n = 0; n < kErfTerms; ++n) {
      c[n] = v;
      v = v * 2.0 / (2 * n + 3);
    }
  }
};
inline constexpr ErfCoefficients kErfCoefficients{};

/// erf(x) in double by Abramowitz & Stegun 7.1.6, (2 / sqrt(pi)) e^(-x^2)
/// x Σ c_n x^(2n): every term positive (no cancellation), a fixed count
/// for |x| <= 4 (branch-free), the polynomial as four Horner chains in
/// x^8 (P = Q0 + z Q1 + z^2 (Q2 + z Q3), z = x^2) so they run side by
/// side, rounded once to float. |x| > 4 gives ±1, which float's rounding
/// of erf gives from 3.92 on. Within an ulp of the correctly rounded erf,
/// and equal to it for all but ~0.02% of inputs (glibc's erff: ~4%;
/// unittests/Executor/FastMathTest.cpp). The GPU kernels compute the same
/// double operations (ElementwiseKernels.cpp), so qc.erf and the erf GELU
/// are bit-identical there.
inline float fastErf(float xf) {
  const double *c = kErfCoefficients.c;
  double x = xf, ax = std::fabs(x);
  double y = ax > 4.0 ? 4.0 : ax; // NaN stays NaN
  double z = y * y, z2 = z * z, z4 = z2 * z2;
  double q[4];
  for (int j = 0; j < 4; ++j) {
    double p = c[kErfTerms - 4 + j];
    for (int i = kErfTerms / 4 - 2; i >= 0; --i)
      p = p * z4 + c[4 * i + j];
    q[j] = p;
  }
  double poly = (q[0] + z * q[1]) + z2 * (q[2] + z * q[3]);
  double r = 1.1283791670955126 /* 2 / sqrt(pi) */ * expClamped(-z) * (y * poly);
  r = ax > 4.0 ? 1.0 : r;
  return (float)std::copysign(r, x);
}

/// The first bits of 2/pi (0.a2f9836e...b), 32 per word: what
/// reduceQuadrants multiplies a float's significand by.
inline constexpr uint32_t kTwoOverPiBits[8] = {
    0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
    0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561};

/// The 128-bit window of kTwoOverPiBits starting at word w (0..3).
inline unsigned __int128 twoOverPiWindow(int w) {
  unsigned __int128 v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 32) | kTwoOverPiBits[w + i];
  return v;
}

/// A finite float a >= pi/4 as k (pi/2) + r, |r| <= pi/4, for fastSin
/// and fastCos: a = m 2^q (m the 24-bit significand) times 2/pi mod 4,
/// exactly but for 2/pi's bits past the 96 that matter (bit j0 = max(1,
/// q - 1) on: earlier ones give multiples of 4), as a 120-bit product
/// whose top bits are k and whose fraction, rounded to the nearest
/// quadrant, is normalized (count of leading zeros) to a double and
/// scaled by pi/2. The dropped bits move the fraction by < 2^-70, so r
/// keeps about 40 bits even at the floats closest to a multiple of pi/2.
inline double reduceQuadrants(float af, int *k) {
  uint32_t bits;
  std::memcpy(&bits, &af, 4);
  int e = int((bits >> 23) & 0xff);
  uint64_t m = (bits & 0x7fffff) | (e ? 0x800000u : 0u);
  int q = (e ? e : 1) - 150; // a = m 2^q
  int j0 = q - 1 > 1 ? q - 1 : 1;
  int w = (j0 - 1) / 32, sh = (j0 - 1) % 32;
  // Bits j0 .. j0 + 95 of 2/pi as an integer.
  unsigned __int128 win = (twoOverPiWindow(w) << sh) >> 32;
  unsigned __int128 p = win * m; // < 2^120; the binary point at bit pt
  int pt = j0 + 95 - q;
  int quad = int((p >> pt) & 3);
  unsigned __int128 f = p << (128 - pt); // the fraction, 128 bits
  bool up = (uint64_t)(f >> 127) != 0;   // >= 1/2: the next quadrant
  quad += up;
  unsigned __int128 a = up ? (unsigned __int128)0 - f : f;
  *k = quad & 3;
  uint64_t hi = (uint64_t)(a >> 64), lo = (uint64_t)a;
  if (!hi && !lo)
    return 0.0;
  int lz = hi ? __builtin_clzll(hi) : 64 + __builtin_clzll(lo);
  uint64_t top = (uint64_t)((a << lz) >> 64);
  // |f| = top 2^(-64 - lz); the exponent bits of 2^(-64 - lz).
  uint64_t sbits = uint64_t(1023 - 64 - lz) << 52;
  double scale;
  std::memcpy(&scale, &sbits, 8);
  double r = (double)top * scale * 1.5707963267948966;
  return up ? -r : r;
}

/// sin r and cos r for |r| <= pi/4 in double: Taylor series to r^21 and
/// r^22 (the next terms are below 2e-25), Horner in r^2.
inline double sinPoly(double r) {
  double r2 = r * r, p = 0.0;
  for (int n = 10; n >= 1; --n) {
    double c = 1.0;
    for (int i = 2; i <= 2 * n + 1; ++i)
      c /= i;
    p = p * r2 + (n % 2 ? -c : c);
  }
  return r + r * r2 * p;
}
inline double cosPoly(double r) {
  double r2 = r * r, p = 0.0;
  for (int n = 11; n >= 1; --n) {
    double c = 1.0;
    for (int i = 2; i <= 2 * n; ++i)
      c /= i;
    p = p * r2 + (n % 2 ? -c : c);
  }
  return 1.0 + r2 * p;
}

/// sin(x) and cos(x) of a float: |x| reduced to k quadrants + r
/// (reduceQuadrants; r = |x| below pi/4), the quadrant's series in
/// double, rounded once; sin takes x's sign (sin -0 is -0). inf and NaN
/// give NaN. Within an ulp of the correctly rounded value (FastMathTest);
/// the GPU kernels repeat it.
inline double sinCosReduced(float xf, bool wantCos) {
  float af = std::fabs(xf);
  if (!(af <= 3.4028235e38f))
    return std::numeric_limits<double>::quiet_NaN();
  int k = 0;
  double r = af <= 0.785398163f ? (double)af : reduceQuadrants(af, &k);
  k = (k + (wantCos ? 1 : 0)) & 3; // cos x = sin(x + pi/2)
  double v = (k & 1) ? cosPoly(r) : sinPoly(r);
  return (k & 2) ? -v : v;
}
inline float fastSin(float x) {
  double v = sinCosReduced(x, false);
  return (float)(std::signbit(x) ? -v : v);
}
inline float fastCos(float x) { return (float)sinCosReduced(x, true); }

/// tan(x) of a float: fastSin's reduction to k quadrants + r, then sin r /
/// cos r in double (-cos r / sin r in an odd quadrant), rounded once, with
/// x's sign. inf and NaN give NaN. The pole's neighbours keep r's ~40
/// bits; within an ulp of the correctly rounded value (FastMathTest). The
/// GPU kernels repeat it.
inline float fastTan(float xf) {
  float af = std::fabs(xf);
  if (!(af <= 3.4028235e38f))
    return std::numeric_limits<float>::quiet_NaN();
  int k = 0;
  double r = af <= 0.785398163f ? (double)af : reduceQuadrants(af, &k);
  double s = sinPoly(r), c = cosPoly(r);
  double t = (k & 1) ? -c / s : s / c;
  return (float)(std::signbit(xf) ? -t : t);
}

/// sinh x for |x| < 1 in double: x Σ x^(2n) / (2n+1)!, n = 0..10 (the
/// next term is below 4e-23), Horner in x^2, the coefficients by repeated
/// division as sinPoly's.
inline double sinhSeries(double x) {
  double x2 = x * x, p = 0.0;
  for (int n = 10; n >= 1; --n) {
    double c = 1.0;
    for (int i = 2; i <= 2 * n + 1; ++i)
      c /= i;
    p = p * x2 + c;
  }
  return x + x * x2 * p;
}

/// sinh and cosh of a float, in double: (e ∓ 1/e) / 2 with e =
/// expClamped(|x|) (|x| clamped to 700: float overflows long before),
/// sinh below 1 in magnitude by its series (no cancellation), rounded
/// once. NaN stays NaN. The GPU kernels repeat them.
inline float fastSinh(float xf) {
  double x = xf, ax = std::fabs(x);
  double e = expClamped(ax > 700.0 ? 700.0 : ax);
  double big = 0.5 * (e - 1.0 / e);
  return (float)(ax < 1.0 ? sinhSeries(x) : std::copysign(big, x));
}
inline float fastCosh(float xf) {
  double ax = std::fabs((double)xf);
  double e = expClamped(ax > 700.0 ? 700.0 : ax);
  return (float)(0.5 * (e + 1.0 / e));
}

/// atan(x) of a double (inf and NaN included): |x| > 1 as pi/2 - atan(1/|x|),
/// u above tan(pi/12) as pi/6 + atan((sqrt3 u - 1) / (u + sqrt3)), then
/// the series w Σ (-1)^k w^(2k) / (2k + 1), k = 0..15 (|w| <= 0.268: the
/// next term is below 1e-19), with x's sign. About 1e-16 relative.
inline double atanD(double x) {
  double t = std::fabs(x);
  bool inv = t > 1.0;
  double u = inv ? 1.0 / t : t;
  bool mid = u > 0.2679491924311227;
  double w =
      mid ? (u * 1.7320508075688772 - 1.0) / (u + 1.7320508075688772) : u;
  double w2 = w * w, p = -1.0 / 31;
  for (int k = 14; k >= 0; --k)
    p = p * w2 + (k % 2 ? -1.0 : 1.0) / (2 * k + 1);
  double a = (mid ? 0.5235987755982989 : 0.0) + w * p;
  a = inv ? 1.5707963267948966 - a : a;
  return std::copysign(a, x);
}

/// asin(x) = atan(x / sqrt(1 - x^2)) in double (1 - x^2 is exact for a
/// float x of magnitude >= 2^-0.5; ±1 gives ±pi/2 through x / 0 = ±inf);
/// |x| > 1 gives NaN through the square root.
inline double asinD(double x) { return atanD(x / std::sqrt(1.0 - x * x)); }

/// atan, asin and acos (pi/2 - asin) of a float, rounded once from
/// double. The GPU kernels repeat them.
inline float fastAtan(float x) { return (float)atanD(x); }
inline float fastAsin(float x) { return (float)asinD(x); }
inline float fastAcos(float x) {
  return (float)(1.5707963267948966 - asinD(x));
}

/// log(1 + t) in double for t >= 0: 2 atanh(t / (2 + t)) up to 1 (|s| <=
/// 1/3, twoAtanh's range; no cancellation for small t), else fastLogD(1 +
/// t). inf gives inf, NaN NaN.
inline double log1pD(double t) {
  return t <= 1.0 ? twoAtanh(t / (2.0 + t)) : fastLogD(1.0 + t);
}

/// asinh, acosh and atanh of a float, in double, rounded once:
/// - asinh: up to 1 in magnitude log1p(|x| + x^2 / (1 + sqrt(x^2 + 1))),
///   beyond log(|x| + sqrt(x^2 + 1)); x's sign.
/// - acosh: log1p((x - 1) + sqrt((x - 1)(x + 1))) (x - 1 is exact, so
///   there is no cancellation near 1); NaN below 1.
/// - atanh: up to 1/3 in magnitude twoAtanh(x) / 2, beyond log((1 + |x|)
///   / (1 - |x|)) / 2 (1 ± |x| exact) with x's sign; ±1 gives ±inf, beyond
///   NaN.
/// The GPU kernels repeat them.
inline float fastAsinh(float xf) {
  double x = xf, ax = std::fabs(x), x2 = x * x;
  double small = log1pD(ax + x2 / (1.0 + std::sqrt(x2 + 1.0)));
  double big = fastLogD(ax + std::sqrt(x2 + 1.0));
  return (float)std::copysign(ax > 1.0 ? big : small, x);
}
inline float fastAcosh(float xf) {
  double x = xf;
  double r = log1pD((x - 1.0) + std::sqrt((x - 1.0) * (x + 1.0)));
  return (float)(x >= 1.0 ? r : std::numeric_limits<double>::quiet_NaN());
}
inline float fastAtanh(float xf) {
  double x = xf, ax = std::fabs(x);
  double small = 0.5 * twoAtanh(x);
  double big = 0.5 * fastLogD((1.0 + ax) / (1.0 - ax));
  return (float)(ax <= 1.0 / 3 ? small : std::copysign(big, x));
}

/// x^y in double for x a float's value (or any double whose magnitude is
/// 0, inf or normal) and any y, with C's special cases: y = 2 and y = 3
/// as products (x^2 exact; the tanh Gelu's x^3); else e^(y log|x|)
/// (fastLogD, expClamped of the product clamped to [-700, 700]: ~2e-10
/// relative, as fastExp), negated for a negative x (-0 and -inf
/// included) and an odd integer y, NaN for a finite negative x and a
/// finite non-integer y, 1 for y = ±0 or x = 1 (even NaN) and for x = -1
/// with y = ±inf. The Executor's qc.pow of floats; the GPU kernels
/// repeat it.
inline double fastPowD(double x, double y) {
  const double inf = std::numeric_limits<double>::infinity();
  double z = y * fastLogD(std::fabs(x));
  z = z < -700.0 ? -700.0 : (z > 700.0 ? 700.0 : z); // NaN stays NaN
  double r = expClamped(z);
  bool yInt = std::floor(y) == y; // (±inf too)
  bool yOdd = yInt && std::floor(y * 0.5) != y * 0.5;
  r = yOdd && std::signbit(x) ? -r : r;
  r = x < 0.0 && x > -inf && !yInt ? std::numeric_limits<double>::quiet_NaN()
                                   : r;
  r = y == 0.0 || x == 1.0 || (x == -1.0 && std::fabs(y) == inf) ? 1.0 : r;
  r = y == 3.0 ? x * x * x : r;
  return y == 2.0 ? x * x : r;
}
inline float fastPow(float x, float y) { return (float)fastPowD(x, y); }

} // namespace quantc::exec

#endif
