//===- ExecutorMath.cpp - Executor kernels: Math op family ---------------===//
//
// Elementwise kernels loop over contiguous data; binary ops take a fast path
// when the shapes are equal, one side is a scalar, or one side broadcasts
// along the trailing dims (a bias, a row); other broadcasts walk strides.
// Large elementwise loops, softmax, layer norm and row reductions split their
// outer loop over a few threads (parallelFor, Parallel.h).
//
//===----------------------------------------------------------------------===//
#include "ExecutorImpl.h"
#include "ExecutorInt.h"
#include "FastMath.h"
#include "Gemm.h"

#include "quantc/Dialect/QC/IR/QCMathOps.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <type_traits>
#include <vector>

using namespace quantc;
using namespace quantc::exec;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

int64_t product(ArrayRef<int64_t> s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

Type resultElementType(Operation *op, unsigned i = 0) {
  return cast<RankedTensorType>(op->getResult(i).getType()).getElementType();
}

LogicalResult checkKind(Operation *op, const Tensor &t, Tensor::Kind kind) {
  if (t.kind == kind)
    return success();
  return op->emitError("operand holds ")
         << (t.kind == Tensor::Kind::Float ? "float"
             : t.kind == Tensor::Kind::Int ? "integer"
                                           : "byte-code")
         << " data, which this op does not take";
}

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

template <typename F> LogicalResult unaryF(Operation *op, Env &env, F f) {
  const Tensor &a = env.get(op->getOperand(0));
  if (failed(checkKind(op, a, Tensor::Kind::Float)))
    return failure();
  const float *x;
  Tensor r = elementwiseResult(op, env, x);
  float *y = r.f.data();
  // Often a libm call per element (erf, log, sin): worth more threads.
  parallelFor((int64_t)r.f.size(), kHeavyElemGrain * 4, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      y[i] = f(x[i]);
  });
  env.set(op->getResult(0), std::move(r));
  return success();
}

/// The FastMath loops, built for AVX2 too and picked at load time (ifunc):
/// twice the lanes of baseline x86-64, the same results (no FMA contraction:
/// "avx2" does not enable FMA).
#define QUANTC_FASTMATH_LOOP(name, expr)                                       \
  __attribute__((target_clones("avx2", "default"))) void name(                 \
      const float *x, float *y, int64_t n) {                                   \
    for (int64_t i = 0; i < n; ++i) {                                          \
      float v = x[i];                                                          \
      y[i] = (expr);                                                           \
    }                                                                          \
  }
QUANTC_FASTMATH_LOOP(tanhLoop, fastTanh(v))
QUANTC_FASTMATH_LOOP(sigmoidLoop, fastSigmoid(v))
QUANTC_FASTMATH_LOOP(erfLoop, fastErf(v))
QUANTC_FASTMATH_LOOP(expLoop, fastExp(v))
QUANTC_FASTMATH_LOOP(logLoop, fastLog(v))
QUANTC_FASTMATH_LOOP(softplusLoop, fastSoftplus(v))
QUANTC_FASTMATH_LOOP(mishLoop, v * fastTanh(fastSoftplus(v)))
// qc.silu: the product of x and its sigmoid rounded as qc.sigmoid's, so
// that it equals qc.mul(x, qc.sigmoid(x)) bit for bit.
QUANTC_FASTMATH_LOOP(siluLoop, v * fastSigmoid(v))
QUANTC_FASTMATH_LOOP(geluTanhLoop,
                     0.5f * v *
                         (1.0f + fastTanh(0.7978845608028654f /* sqrt(2/pi) */ *
                                          (v + 0.044715f * v * v * v))))
// qc.gelu's erf form, in float around fastErf as the spec writes it.
QUANTC_FASTMATH_LOOP(geluErfLoop,
                     0.5f * v * (1.0f + fastErf(v * 0.7071067811865476f)))
#undef QUANTC_FASTMATH_LOOP

/// y[k] = e^(x[k] - shift), the exponentials of a softmax row.
__attribute__((target_clones("avx2", "default"))) void
expShiftedRow(const float *x, float *y, int64_t n, float shift) {
  for (int64_t k = 0; k < n; ++k) {
    double d = x[k] - shift;
    y[k] = (float)expClamped(d < -700.0 ? -700.0 : d);
  }
}

/// unaryF with a whole-chunk loop function.
LogicalResult unaryLoop(Operation *op, Env &env,
                        void (*loop)(const float *, float *, int64_t)) {
  const Tensor &a = env.get(op->getOperand(0));
  if (failed(checkKind(op, a, Tensor::Kind::Float)))
    return failure();
  const float *x;
  Tensor r = elementwiseResult(op, env, x);
  float *y = r.f.data();
  parallelFor((int64_t)r.f.size(), kHeavyElemGrain,
              [&](int64_t b, int64_t e) { loop(x + b, y + b, e - b); });
  env.set(op->getResult(0), std::move(r));
  return success();
}

/// Float or integer operand; `fi` handles integers: called with int64_t
/// for signed types and uint64_t for unsigned ones, its result wrapped to
/// the element type (ExecutorInt.h).
template <typename F, typename FI>
LogicalResult unaryNum(Operation *op, Env &env, F f, FI fi) {
  const Tensor &a = env.get(op->getOperand(0));
  if (!holdsInts(a))
    return unaryF(op, env, f);
  Type et = resultElementType(op);
  bool isUnsigned = a.elementType.isUnsignedInteger();
  std::vector<int64_t> v = intValues(a);
  for (int64_t &x : v)
    x = isUnsigned ? (int64_t)fi((uint64_t)x) : (int64_t)fi(x);
  env.set(op->getResult(0), makeIntTensor(et, a.shape, std::move(v)));
  return success();
}

float attrF(Operation *op, StringRef name) {
  return cast<FloatAttr>(op->getAttr(name)).getValueAsDouble();
}


LogicalResult leakyRelu(Operation *op, Env &env) {
  float alpha = attrF(op, "alpha");
  return unaryF(op, env, [alpha](float x) { return x >= 0 ? x : alpha * x; });
}

LogicalResult elu(Operation *op, Env &env) {
  float alpha = attrF(op, "alpha");
  return unaryF(op, env, [alpha](float x) {
    return x > 0 ? x : alpha * fastExpm1(x);
  });
}

LogicalResult selu(Operation *op, Env &env) {
  float alpha = attrF(op, "alpha"), gamma = attrF(op, "gamma");
  return unaryF(op, env, [alpha, gamma](float x) {
    return x > 0 ? gamma * x : gamma * (alpha * fastExp(x) - alpha);
  });
}

LogicalResult hardSigmoid(Operation *op, Env &env) {
  float alpha = attrF(op, "alpha"), beta = attrF(op, "beta");
  return unaryF(op, env, [alpha, beta](float x) {
    return std::max(0.0f, std::min(1.0f, alpha * x + beta));
  });
}

LogicalResult gelu(Operation *op, Env &env) {
  if (cast<qc::GeluOp>(op).getApproximate() == qc::GeluApproximation::tanh)
    return unaryLoop(op, env, geluTanhLoop);
  return unaryLoop(op, env, geluErfLoop);
}

LogicalResult clip(Operation *op, Env &env) {
  auto c = cast<qc::ClipOp>(op);
  float lo = c.getMin() ? c.getMin()->convertToFloat()
                        : -std::numeric_limits<float>::infinity();
  float hi = c.getMax() ? c.getMax()->convertToFloat()
                        : std::numeric_limits<float>::infinity();
  // Comparisons keep NaN as NaN.
  return unaryF(op, env, [lo, hi](float x) {
    return x < lo ? lo : (x > hi ? hi : x);
  });
}

LogicalResult logicalNot(Operation *op, Env &env) {
  const Tensor &a = env.get(op->getOperand(0));
  if (failed(checkKind(op, a, Tensor::Kind::Int)))
    return failure();
  Tensor r = Tensor::makeInt(resultElementType(op), a.shape);
  for (size_t i = 0; i < a.i.size(); ++i)
    r.i[i] = a.i[i] == 0;
  env.set(op->getResult(0), std::move(r));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise binary with broadcasting
//===----------------------------------------------------------------------===//

/// A binary op whose result has the operands' kind. `fi` handles integers
/// of any width: called with int64_t for signed types and uint64_t for
/// unsigned ones, its result wrapped to the result element type.
template <typename F, typename FI>
LogicalResult binaryNum(Operation *op, Env &env, F f, FI fi) {
  const Tensor &a = env.get(op->getOperand(0)), &b = env.get(op->getOperand(1));
  bool ints = holdsInts(a) && holdsInts(b);
  if (!ints && (a.kind != b.kind || a.kind != Tensor::Kind::Float))
    return op->emitError("operands hold different or unsupported kinds of data");
  auto shape = broadcastOrError(op, a, b);
  if (failed(shape))
    return failure();
  Type et = resultElementType(op);
  if (a.kind == Tensor::Kind::Float) {
    Tensor r = makeFloatOutput(et, *shape);
    broadcastApply(a.f.data(), a.shape, b.f.data(), b.shape, *shape,
                   r.f.data(), f);
    env.set(op->getResult(0), std::move(r));
  } else {
    bool isUnsigned = a.elementType.isUnsignedInteger();
    std::vector<int64_t> av, bv, rv(product(*shape));
    if (a.kind != Tensor::Kind::Int)
      av = intValues(a);
    if (b.kind != Tensor::Kind::Int)
      bv = intValues(b);
    const int64_t *pa = av.empty() ? a.i.data() : av.data();
    const int64_t *pb = bv.empty() ? b.i.data() : bv.data();
    broadcastApply(pa, a.shape, pb, b.shape, *shape, rv.data(),
                   [&](int64_t x, int64_t y) -> int64_t {
                     return isUnsigned ? (int64_t)fi((uint64_t)x, (uint64_t)y)
                                       : (int64_t)fi(x, y);
                   });
    env.set(op->getResult(0), makeIntTensor(et, *shape, std::move(rv)));
  }
  return success();
}

/// A comparison: float or integer operands, a bool (0/1) result.
template <template <typename> class Cmp>
LogicalResult compare(Operation *op, Env &env) {
  const Tensor &a = env.get(op->getOperand(0)), &b = env.get(op->getOperand(1));
  bool ints = holdsInts(a) && holdsInts(b);
  if (!ints && (a.kind != b.kind || a.kind != Tensor::Kind::Float))
    return op->emitError("operands hold different or unsupported kinds of data");
  auto shape = broadcastOrError(op, a, b);
  if (failed(shape))
    return failure();
  Tensor r = Tensor::makeInt(resultElementType(op), *shape);
  if (!ints) {
    broadcastApply(a.f.data(), a.shape, b.f.data(), b.shape, *shape,
                   r.i.data(), [](float x, float y) -> int64_t {
                     return Cmp<float>()(x, y);
                   });
  } else if (a.elementType.isUnsignedInteger(64)) { // ui64: bit patterns
    broadcastApply(a.i.data(), a.shape, b.i.data(), b.shape, *shape, r.i.data(),
                   [](int64_t x, int64_t y) -> int64_t {
                     return Cmp<uint64_t>()((uint64_t)x, (uint64_t)y);
                   });
  } else {
    std::vector<int64_t> av = intValues(a), bv = intValues(b);
    broadcastApply(
        av.data(), a.shape, bv.data(), b.shape, *shape, r.i.data(),
        [](int64_t x, int64_t y) -> int64_t { return Cmp<int64_t>()(x, y); });
  }
  env.set(op->getResult(0), std::move(r));
  return success();
}

template <typename F> LogicalResult logical(Operation *op, Env &env, F f) {
  return binaryNum(
      op, env, [](float, float) { return 0.0f; },
      [f](int64_t x, int64_t y) -> int64_t { return f(x != 0, y != 0); });
}

template <typename T> T maxNaN(T x, T y) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(x) || std::isnan(y))
      return std::numeric_limits<T>::quiet_NaN();
  return x > y ? x : y;
}
template <typename T> T minNaN(T x, T y) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(x) || std::isnan(y))
      return std::numeric_limits<T>::quiet_NaN();
  return x < y ? x : y;
}

/// x % y of C (sign of the dividend); x % 0 is 0 rather than a trap, and
/// INT64_MIN % -1 is 0 (C leaves it undefined).
template <typename T> T remainder(T x, T y) {
  if (y == 0)
    return 0;
  if constexpr (std::is_signed_v<T>)
    if (y == -1)
      return 0;
  return x % y;
}

LogicalResult mod(Operation *op, Env &env) {
  if (cast<qc::ModOp>(op).getFmod())
    return binaryNum(
        op, env, [](float x, float y) { return std::fmod(x, y); },
        [](auto x, auto y) { return remainder(x, y); });
  // Sign of the divisor, like Python's %.
  return binaryNum(
      op, env, [](float x, float y) { return std::fmod(x, y); },
      [](auto x, auto y) {
        auto m = remainder(x, y);
        if constexpr (std::is_signed_v<decltype(m)>)
          if (m != 0 && ((m < 0) != (y < 0)))
            m += y;
        return m;
      });
}

/// The values of a Float or integer tensor as doubles (exact for integers
/// up to 2^53, ui64 read as unsigned).
std::vector<double> asDoubles(const Tensor &t) {
  std::vector<double> r;
  if (t.kind == Tensor::Kind::Float) {
    r.assign(t.f.begin(), t.f.end());
    return r;
  }
  std::vector<int64_t> v = intValues(t);
  r.resize(v.size());
  for (size_t j = 0; j < v.size(); ++j)
    r[j] = intToDouble(t.elementType, v[j]);
  return r;
}

/// x^y for integer x and y, wrapping to 64 bits as repeated multiplication
/// does (the caller wraps to the element type); negative exponents give
/// the truncated real result (0 unless |x| = 1).
int64_t intPow(int64_t x, int64_t y, bool unsignedExp) {
  if (!unsignedExp && y < 0)
    return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
  uint64_t base = (uint64_t)x, e = (uint64_t)y, r = 1;
  for (; e; e >>= 1, base *= base)
    if (e & 1)
      r *= base;
  return (int64_t)r;
}

/// ONNX Pow-12+ with operands of different types (the result has the
/// base's): int^int exactly (wrapping), other mixes in double: a float
/// base by fastPowD, rounded to f32; an integer base by libm's pow (as
/// onnxruntime computes it), truncated toward zero.
LogicalResult powMixed(Operation *op, Env &env) {
  const Tensor &a = env.get(op->getOperand(0)), &b = env.get(op->getOperand(1));
  if ((a.kind == Tensor::Kind::Bytes && !holdsInts(a)) ||
      (b.kind == Tensor::Kind::Bytes && !holdsInts(b)))
    return op->emitError("operands hold unsupported kinds of data");
  auto shape = broadcastOrError(op, a, b);
  if (failed(shape))
    return failure();
  Type et = resultElementType(op);
  int64_t n = product(*shape);
  if (holdsInts(a) && holdsInts(b)) {
    std::vector<int64_t> av = intValues(a), bv = intValues(b), rv(n);
    bool unsignedExp = b.elementType.isUnsignedInteger();
    broadcastApply(
        av.data(), a.shape, bv.data(), b.shape, *shape, rv.data(),
        [&](int64_t x, int64_t y) { return intPow(x, y, unsignedExp); });
    env.set(op->getResult(0), makeIntTensor(et, *shape, std::move(rv)));
    return success();
  }
  std::vector<double> av = asDoubles(a), bv = asDoubles(b), rv(n);
  // A float base (the result's type) takes fastPowD, as f32 ** f32 does
  // and the GPU kernels repeat; an integer base keeps libm's pow, whose
  // exact integer powers the truncation below needs.
  if (isFloatish(et))
    broadcastApply(av.data(), a.shape, bv.data(), b.shape, *shape, rv.data(),
                   [](double x, double y) { return fastPowD(x, y); });
  else
    broadcastApply(av.data(), a.shape, bv.data(), b.shape, *shape, rv.data(),
                   [](double x, double y) { return std::pow(x, y); });
  if (isFloatish(et)) {
    Tensor r = Tensor::makeFloat(et, *shape);
    for (int64_t j = 0; j < n; ++j)
      r.f[j] = (float)rv[j];
    env.set(op->getResult(0), std::move(r));
    return success();
  }
  std::vector<int64_t> iv(n);
  for (int64_t j = 0; j < n; ++j) {
    double d = std::trunc(rv[j]);
    // Out of range (and NaN) is undefined in ONNX; clamp, NaN -> 0.
    iv[j] = d != d                        ? 0
            : d >= 9223372036854775807.0  ? INT64_MAX
            : d <= -9223372036854775808.0 ? INT64_MIN
                                          : (int64_t)d;
  }
  env.set(op->getResult(0), makeIntTensor(et, *shape, std::move(iv)));
  return success();
}

LogicalResult where(Operation *op, Env &env) {
  const Tensor &c = env.get(op->getOperand(0));
  const Tensor *pa = &env.get(op->getOperand(1)),
               *pb = &env.get(op->getOperand(2));
  // i8/ui8 values (Bytes storage) go through Int storage.
  Tensor ia, ib;
  bool viaInt = pa->kind == Tensor::Kind::Bytes && holdsInts(*pa) &&
                pb->kind == Tensor::Kind::Bytes && holdsInts(*pb);
  if (viaInt) {
    ia = Tensor::makeInt(pa->elementType, pa->shape);
    ia.i = intValues(*pa);
    ib = Tensor::makeInt(pb->elementType, pb->shape);
    ib.i = intValues(*pb);
    pa = &ia;
    pb = &ib;
  }
  const Tensor &a = *pa, &b = *pb;
  if (failed(checkKind(op, c, Tensor::Kind::Int)))
    return failure();
  if (a.kind != b.kind || a.kind == Tensor::Kind::Bytes)
    return op->emitError("lhs and rhs hold different or unsupported kinds of data");
  auto s1 = qc::broadcastShapes(c.shape, a.shape);
  FailureOr<SmallVector<int64_t>> shape =
      succeeded(s1) ? qc::broadcastShapes(*s1, b.shape) : s1;
  if (failed(shape))
    return op->emitError("operand shapes ")
           << shapeStr(c.shape) << ", " << shapeStr(a.shape) << " and "
           << shapeStr(b.shape) << " do not broadcast";
  ArrayRef<int64_t> out = *shape;
  auto sc = broadcastStrides(c.shape, out), sa = broadcastStrides(a.shape, out),
       sb = broadcastStrides(b.shape, out);
  int64_t n = product(out), rank = out.size();
  bool isFloat = a.kind == Tensor::Kind::Float;
  Tensor r = isFloat ? makeFloatOutput(resultElementType(op), out)
                     : Tensor::makeInt(resultElementType(op), out);
  if (n == 0) {
    if (viaInt)
      r = makeIntTensor(resultElementType(op), out, {});
    env.set(op->getResult(0), std::move(r));
    return success();
  }
  // Rows of the last dim, each at its strided offsets, in parallel.
  int64_t inner = rank ? out.back() : 1;
  int64_t jc = rank ? sc.back() : 0, ja = rank ? sa.back() : 0,
          jb = rank ? sb.back() : 0;
  ArrayRef<int64_t> outer = rank ? out.drop_back() : out;
  parallelFor(n / inner, std::max<int64_t>(1, kElemGrain / inner),
              [&](int64_t s, int64_t e) {
    for (int64_t row = s; row < e; ++row) {
      const int64_t *pc = c.i.data() + rowOffset(row, outer, sc);
      int64_t oa = rowOffset(row, outer, sa), ob = rowOffset(row, outer, sb);
      if (isFloat) {
        const float *pa = a.f.data() + oa, *pb = b.f.data() + ob;
        float *pr = r.f.data() + row * inner;
        for (int64_t j = 0; j < inner; ++j)
          pr[j] = pc[j * jc] != 0 ? pa[j * ja] : pb[j * jb];
      } else {
        const int64_t *pa = a.i.data() + oa, *pb = b.i.data() + ob;
        int64_t *pr = r.i.data() + row * inner;
        for (int64_t j = 0; j < inner; ++j)
          pr[j] = pc[j * jc] != 0 ? pa[j * ja] : pb[j * jb];
      }
    }
  });
  if (viaInt)
    r = makeIntTensor(resultElementType(op), out, std::move(r.i));
  env.set(op->getResult(0), std::move(r));
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax, LayerNorm
//===----------------------------------------------------------------------===//

/// One softmax (or log-softmax) row of `n` elements `inner` apart.
template <bool Log>
void softmaxRow(const float *px, float *py, int64_t n, int64_t inner) {
  // Four running maxima / sums break the dependency chain (max is exact in
  // any order; the sums are in double).
  float m4[4];
  std::fill(m4, m4 + 4, -std::numeric_limits<float>::infinity());
  int64_t k4 = n - n % 4;
  for (int64_t k = 0; k < k4; k += 4)
    for (int j = 0; j < 4; ++j)
      m4[j] = std::max(m4[j], px[(k + j) * inner]);
  float mx = std::max(std::max(m4[0], m4[1]), std::max(m4[2], m4[3]));
  for (int64_t k = k4; k < n; ++k)
    mx = std::max(mx, px[k * inner]);
  // exp first (a loop the compiler vectorizes; FastMath.h, within an ulp of
  // expf), then the sum in order.
  if (inner == 1)
    expShiftedRow(px, py, n, mx); // contiguous: AVX2 clone
  else
    for (int64_t k = 0; k < n; ++k) {
      double d = px[k * inner] - mx;
      py[k * inner] = (float)expClamped(d < -700.0 ? -700.0 : d);
    }
  double s4[4] = {0.0, 0.0, 0.0, 0.0};
  for (int64_t k = 0; k < k4; k += 4)
    for (int j = 0; j < 4; ++j)
      s4[j] += py[(k + j) * inner];
  double sum = (s4[0] + s4[1]) + (s4[2] + s4[3]);
  for (int64_t k = k4; k < n; ++k)
    sum += py[k * inner];
  if (Log) {
    float ls = (float)fastLogD(sum); // (the GPU kernel repeats it)
    for (int64_t k = 0; k < n; ++k)
      py[k * inner] = px[k * inner] - mx - ls;
  } else {
    float inv = (float)(1.0 / sum);
    for (int64_t k = 0; k < n; ++k)
      py[k * inner] *= inv;
  }
}

template <bool Log> LogicalResult softmax(Operation *op, Env &env) {
  const Tensor &a = env.get(op->getOperand(0));
  if (failed(checkKind(op, a, Tensor::Kind::Float)))
    return failure();
  int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
  int64_t outer = product(ArrayRef<int64_t>(a.shape).take_front(axis));
  int64_t n = a.shape[axis];
  int64_t inner = product(ArrayRef<int64_t>(a.shape).drop_front(axis + 1));
  Tensor r = makeFloatOutput(resultElementType(op), a.shape);
  const float *x = a.f.data();
  float *y = r.f.data();
  // Rows are (outer, inner) pairs with stride `inner` along the axis.
  parallelFor(outer * inner, std::max<int64_t>(1, kHeavyElemGrain / std::max<int64_t>(n, 1)),
              [&](int64_t s, int64_t e) {
                for (int64_t row = s; row < e; ++row) {
                  int64_t o = row / inner, in = row % inner;
                  softmaxRow<Log>(x + o * n * inner + in, y + o * n * inner + in,
                                  n, inner);
                }
              });
  env.set(op->getResult(0), std::move(r));
  return success();
}

/// Expands a parameter that broadcasts to `norm` into a dense vector.
std::vector<float> expandParam(const Tensor &p, ArrayRef<int64_t> norm) {
  std::vector<float> v(product(norm));
  auto sp = broadcastStrides(p.shape, norm);
  SmallVector<int64_t> zero(norm.size(), 0);
  forEachIndex(norm, sp, zero,
               [&](int64_t lin, int64_t ip, int64_t) { v[lin] = p.f[ip]; });
  return v;
}

/// A norm's scale or bias `p` expanded over the normalized dims `norm`, to
/// which it must broadcast unidirectionally; an error at `op` otherwise.
FailureOr<std::vector<float>> normParam(Operation *op, const Tensor &p,
                                        ArrayRef<int64_t> norm,
                                        StringRef what) {
  bool fits = p.shape.size() <= norm.size();
  for (auto [d, s] : llvm::zip(llvm::reverse(norm), llvm::reverse(p.shape)))
    fits &= s == 1 || s == d;
  if (!fits)
    return op->emitError() << what << " shape " << shapeStr(p.shape)
                           << " does not broadcast to " << shapeStr(norm);
  return expandParam(p, norm);
}

LogicalResult layerNorm(Operation *op, Env &env) {
  auto ln = cast<qc::LayerNormOp>(op);
  const Tensor &a = env.get(ln.getInput()), &sc = env.get(ln.getScale());
  if (failed(checkKind(op, a, Tensor::Kind::Float)))
    return failure();
  int64_t axis = ln.getAxis();
  ArrayRef<int64_t> norm = ArrayRef<int64_t>(a.shape).drop_front(axis);
  FailureOr<std::vector<float>> gamma = normParam(op, sc, norm, "scale");
  if (failed(gamma))
    return failure();
  const std::vector<float> &g = *gamma;
  std::vector<float> beta;
  if (ln.getBias()) {
    FailureOr<std::vector<float>> b =
        normParam(op, env.get(ln.getBias()), norm, "bias");
    if (failed(b))
      return failure();
    beta = std::move(*b);
  }
  int64_t inner = product(norm);
  int64_t outer = inner ? a.numElements() / inner : 0;
  SmallVector<int64_t> statShape(ArrayRef<int64_t>(a.shape).take_front(axis));
  statShape.append(norm.size(), 1);
  Tensor r = makeFloatOutput(resultElementType(op, 0), a.shape); // every row
  Tensor mean = Tensor::makeFloat(resultElementType(op, 1), statShape);
  Tensor inv = Tensor::makeFloat(resultElementType(op, 2), statShape);
  float eps = ln.getEpsilon().convertToFloat();
  parallelFor(outer, std::max<int64_t>(1, kHeavyElemGrain / std::max<int64_t>(inner, 1)),
              [&](int64_t s, int64_t e) {
                for (int64_t row = s; row < e; ++row) {
                  const float *x = a.f.data() + row * inner;
                  float *y = r.f.data() + row * inner;
                  // Two passes (mean, then centred squares) as ONNX's
                  // function body; sums in double, four running sums to
                  // break the add latency chain.
                  double s4[4] = {0, 0, 0, 0};
                  int64_t j4 = inner - inner % 4;
                  for (int64_t j = 0; j < j4; j += 4)
                    for (int k = 0; k < 4; ++k)
                      s4[k] += x[j + k];
                  double sum = (s4[0] + s4[1]) + (s4[2] + s4[3]);
                  for (int64_t j = j4; j < inner; ++j)
                    sum += x[j];
                  float mu = (float)(sum / inner);
                  double q4[4] = {0, 0, 0, 0};
                  for (int64_t j = 0; j < j4; j += 4)
                    for (int k = 0; k < 4; ++k) {
                      float d = x[j + k] - mu;
                      q4[k] += (double)d * d;
                    }
                  double sq = (q4[0] + q4[1]) + (q4[2] + q4[3]);
                  for (int64_t j = j4; j < inner; ++j) {
                    float d = x[j] - mu;
                    sq += (double)d * d;
                  }
                  float rstd = 1.0f / std::sqrt((float)(sq / inner) + eps);
                  for (int64_t j = 0; j < inner; ++j) {
                    float v = (x[j] - mu) * rstd * g[j];
                    y[j] = beta.empty() ? v : v + beta[j];
                  }
                  mean.f[row] = mu;
                  inv.f[row] = rstd;
                }
              });
  env.set(ln.getResult(), std::move(r));
  env.set(ln.getMean(), std::move(mean));
  env.set(ln.getInvStdDev(), std::move(inv));
  return success();
}

/// qc.rms_norm, in the decomposed form's arithmetic (Pow by 2, ReduceMean,
/// Add, Sqrt, Div, Mul: squares rounded to f32, summed in order in double,
/// the mean rounded to f32), so that raising it changes no bit.
LogicalResult rmsNorm(Operation *op, Env &env) {
  auto rn = cast<qc::RmsNormOp>(op);
  const Tensor &a = env.get(rn.getInput()), &sc = env.get(rn.getScale());
  if (failed(checkKind(op, a, Tensor::Kind::Float)))
    return failure();
  ArrayRef<int64_t> norm = ArrayRef<int64_t>(a.shape).drop_front(rn.getAxis());
  FailureOr<std::vector<float>> gamma = normParam(op, sc, norm, "scale");
  if (failed(gamma))
    return failure();
  const std::vector<float> &g = *gamma;
  int64_t inner = product(norm);
  int64_t outer = inner ? a.numElements() / inner : 0;
  float eps = rn.getEpsilon().convertToFloat();
  Tensor r = makeFloatOutput(resultElementType(op), a.shape);
  parallelFor(outer, std::max<int64_t>(1, kHeavyElemGrain / std::max<int64_t>(inner, 1)),
              [&](int64_t s, int64_t e) {
                for (int64_t row = s; row < e; ++row) {
                  const float *x = a.f.data() + row * inner;
                  float *y = r.f.data() + row * inner;
                  double sum = 0.0;
                  for (int64_t j = 0; j < inner; ++j)
                    sum += (double)(float)((double)x[j] * x[j]);
                  float ms = (float)(sum / (double)inner);
                  float rms = std::sqrt(ms + eps);
                  for (int64_t j = 0; j < inner; ++j)
                    y[j] = x[j] / rms * g[j];
                }
              });
  env.set(rn.getResult(), std::move(r));
  return success();
}

/// qc.attention: per batch matrix, scores by sgemm, scaled and masked as the
/// decomposed graph's qc.mul and qc.add (or qc.where) would, a softmax row by
/// row (softmaxRow, as qc.softmax), then the product with the values.
LogicalResult attention(Operation *op, Env &env) {
  auto at = cast<qc::AttentionOp>(op);
  const Tensor &q = env.get(at.getQuery()), &k = env.get(at.getKeyT()),
               &v = env.get(at.getValue());
  for (const Tensor *t : {&q, &k, &v})
    if (failed(checkKind(op, *t, Tensor::Kind::Float)))
      return failure();
  ArrayRef<int64_t> qs = q.shape, ks = k.shape, vs = v.shape;
  int64_t sq = qs[qs.size() - 2], d = qs.back(), sk = ks.back(), dv = vs.back();
  if (ks[ks.size() - 2] != d || vs[vs.size() - 2] != sk)
    return op->emitError("attention operand shapes ")
           << shapeStr(qs) << ", " << shapeStr(ks) << ", " << shapeStr(vs)
           << " do not chain";
  auto batch = qc::broadcastShapes(qs.drop_back(2), ks.drop_back(2));
  if (succeeded(batch))
    batch = qc::broadcastShapes(*batch, vs.drop_back(2));
  if (failed(batch))
    return op->emitError("attention batch dims do not broadcast");
  SmallVector<int64_t> scoreShape(*batch), outShape(*batch);
  scoreShape.append({sq, sk});
  outShape.append({sq, dv});
  auto sQ = broadcastStrides(qs.drop_back(2), *batch),
       sK = broadcastStrides(ks.drop_back(2), *batch),
       sV = broadcastStrides(vs.drop_back(2), *batch);
  std::vector<int64_t> qOff, kOff, vOff;
  SmallVector<int64_t> zero(batch->size(), 0);
  forEachIndex(*batch, sQ, sK, [&](int64_t, int64_t iq, int64_t ik) {
    qOff.push_back(iq * sq * d);
    kOff.push_back(ik * d * sk);
  });
  forEachIndex(*batch, sV, zero, [&](int64_t, int64_t iv, int64_t) {
    vOff.push_back(iv * sk * dv);
  });
  int64_t nb = (int64_t)qOff.size();
  Tensor scores = Tensor::makeFloat(q.elementType, scoreShape);
  if (sq && sk && d)
    sgemmBatched(nb, sq, sk, d, q.f.data(), qOff.data(), k.f.data(),
                 kOff.data(), scores.f.data());
  float scale = at.getScale().convertToFloat();
  float *sp = scores.f.data();
  int64_t total = (int64_t)scores.f.size();
  if (scale != 1.0f)
    for (int64_t i = 0; i < total; ++i)
      sp[i] *= scale;
  if (at.getMask()) {
    const Tensor &m = env.get(at.getMask());
    auto ok = qc::broadcastShapes(scoreShape, m.shape);
    if (failed(ok) || ArrayRef<int64_t>(*ok) != ArrayRef<int64_t>(scoreShape))
      return op->emitError("mask shape ")
             << shapeStr(m.shape) << " does not broadcast to the scores' "
             << shapeStr(scoreShape);
    auto sm = broadcastStrides(m.shape, scoreShape);
    SmallVector<int64_t> z(scoreShape.size(), 0);
    if (auto fill = at.getMaskValue()) {
      if (failed(checkKind(op, m, Tensor::Kind::Int)))
        return failure();
      float mv = fill->convertToFloat();
      forEachIndex(scoreShape, sm, z, [&](int64_t lin, int64_t im, int64_t) {
        if (!m.i[im])
          sp[lin] = mv;
      });
    } else {
      if (failed(checkKind(op, m, Tensor::Kind::Float)))
        return failure();
      forEachIndex(scoreShape, sm, z, [&](int64_t lin, int64_t im, int64_t) {
        sp[lin] += m.f[im];
      });
    }
  }
  Tensor probs = Tensor::makeFloat(q.elementType, scoreShape);
  int64_t rows = sk ? total / sk : 0;
  parallelFor(rows, std::max<int64_t>(1, kHeavyElemGrain / std::max<int64_t>(sk, 1)),
              [&](int64_t s, int64_t e) {
                for (int64_t row = s; row < e; ++row)
                  softmaxRow<false>(sp + row * sk, probs.f.data() + row * sk,
                                    sk, 1);
              });
  std::vector<int64_t> pOff;
  for (int64_t b = 0; b < nb; ++b)
    pOff.push_back(b * sq * sk);
  Tensor r = makeFloatOutput(resultElementType(op), outShape);
  if (sk == 0)
    std::fill(r.f.begin(), r.f.end(), 0.0f);
  else if (sq && dv)
    sgemmBatched(nb, sq, dv, sk, probs.f.data(), pOff.data(), v.f.data(),
                 vOff.data(), r.f.data());
  env.set(at.getResult(), std::move(r));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class Red { Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp };

/// Reduces over `axes` of `in`; fills `out` (keepdims layout, one value per
/// output element). `pre` maps each value before accumulating, `init`
/// starts each accumulator and `acc` combines.
template <typename T, typename Acc, typename Pre, typename Comb>
void reduceGeneric(const T *in, ArrayRef<int64_t> shape, ArrayRef<int64_t> axes,
                   std::vector<Acc> &out, Acc init, Pre pre, Comb comb) {
  int64_t rank = shape.size();
  SmallVector<int64_t> kept(shape);
  for (int64_t a : axes)
    kept[a] = 1;
  int64_t nOut = product(kept);
  out.assign(nOut, init);
  // Fast path: the reduced axes are the trailing ones: contiguous rows.
  bool trailing = !axes.empty() && axes.back() == rank - 1 &&
                  axes.front() == rank - (int64_t)axes.size();
  if (trailing || axes.empty()) {
    int64_t inner = product(shape.drop_front(rank - axes.size()));
    parallelFor(nOut, std::max<int64_t>(1, kElemGrain / std::max<int64_t>(inner, 1)),
                [&](int64_t s, int64_t e) {
                  for (int64_t row = s; row < e; ++row) {
                    Acc v = init;
                    const T *p = in + row * inner;
                    for (int64_t j = 0; j < inner; ++j)
                      v = comb(v, pre(p[j]));
                    out[row] = v;
                  }
                });
    return;
  }
  SmallVector<int64_t> so = stridesOf(kept), sOut(rank, 0), zero(rank, 0);
  for (int64_t d = 0; d < rank; ++d)
    sOut[d] = kept[d] == 1 ? 0 : so[d];
  forEachIndex(shape, sOut, zero, [&](int64_t lin, int64_t io, int64_t) {
    out[io] = comb(out[io], pre(in[lin]));
  });
}

/// Reduces operand 0 of `op` over `axes` (sorted, distinct, in range).
template <Red K>
LogicalResult reduceOver(Operation *op, Env &env, ArrayRef<int64_t> axes,
                         bool keepdims) {
  const Tensor &a = env.get(op->getOperand(0));
  SmallVector<int64_t> outShape;
  int64_t count = 1;
  for (int64_t d = 0; d < (int64_t)a.shape.size(); ++d) {
    if (!llvm::is_contained(axes, d))
      outShape.push_back(a.shape[d]);
    else {
      count *= a.shape[d];
      if (keepdims)
        outShape.push_back(1);
    }
  }
  Type et = resultElementType(op);
  auto id = [](auto x) { return x; };
  if (a.kind == Tensor::Kind::Int) {
    std::vector<int64_t> acc;
    const int64_t *x = a.i.data();
    switch (K) {
    case Red::Sum:
      reduceGeneric<int64_t, int64_t>(x, a.shape, axes, acc, 0, id,
                                      [](int64_t s, int64_t v) { return s + v; });
      break;
    case Red::Prod:
      reduceGeneric<int64_t, int64_t>(x, a.shape, axes, acc, 1, id,
                                      [](int64_t s, int64_t v) { return s * v; });
      break;
    case Red::Max:
      reduceGeneric<int64_t, int64_t>(x, a.shape, axes, acc,
                                      std::numeric_limits<int64_t>::min(), id,
                                      [](int64_t s, int64_t v) { return std::max(s, v); });
      break;
    case Red::Min:
      reduceGeneric<int64_t, int64_t>(x, a.shape, axes, acc,
                                      std::numeric_limits<int64_t>::max(), id,
                                      [](int64_t s, int64_t v) { return std::min(s, v); });
      break;
    default:
      return op->emitError("integer operands are not supported by this reduction");
    }
    Tensor r = Tensor::makeInt(et, outShape);
    r.i = std::move(acc);
    env.set(op->getResult(0), std::move(r));
    return success();
  }
  if (failed(checkKind(op, a, Tensor::Kind::Float)))
    return failure();
  const float *x = a.f.data();
  std::vector<double> acc;
  auto add = [](double s, double v) { return s + v; };
  const double inf = std::numeric_limits<double>::infinity();
  switch (K) {
  case Red::Sum:
  case Red::Mean:
  case Red::LogSum:
    reduceGeneric<float, double>(x, a.shape, axes, acc, 0.0,
                                 [](float v) { return (double)v; }, add);
    break;
  case Red::L1:
    reduceGeneric<float, double>(x, a.shape, axes, acc, 0.0,
                                 [](float v) { return (double)std::fabs(v); }, add);
    break;
  case Red::L2:
  case Red::SumSquare:
    reduceGeneric<float, double>(x, a.shape, axes, acc, 0.0,
                                 [](float v) { return (double)v * v; }, add);
    break;
  case Red::Prod:
    reduceGeneric<float, double>(x, a.shape, axes, acc, 1.0,
                                 [](float v) { return (double)v; },
                                 [](double s, double v) { return s * v; });
    break;
  case Red::Max:
  case Red::LogSumExp:
    reduceGeneric<float, double>(x, a.shape, axes, acc, -inf,
                                 [](float v) { return (double)v; },
                                 [](double s, double v) { return maxNaN(s, v); });
    break;
  case Red::Min:
    reduceGeneric<float, double>(x, a.shape, axes, acc, inf,
                                 [](float v) { return (double)v; },
                                 [](double s, double v) { return minNaN(s, v); });
    break;
  }
  if (K == Red::LogSumExp) {
    // Second pass: sum exp(x - max) per output element (max kept finite).
    std::vector<double> mx = std::move(acc), sums(mx.size(), 0.0);
    int64_t rank = a.shape.size();
    SmallVector<int64_t> kept(a.shape);
    for (int64_t ax : axes)
      kept[ax] = 1;
    SmallVector<int64_t> so = stridesOf(kept), sOut(rank, 0), zero(rank, 0);
    for (int64_t d = 0; d < rank; ++d)
      sOut[d] = kept[d] == 1 ? 0 : so[d];
    for (double &m : mx)
      if (std::isinf(m))
        m = 0.0;
    forEachIndex(a.shape, sOut, zero, [&](int64_t lin, int64_t io, int64_t) {
      sums[io] += lseTerm((double)x[lin] - mx[io]);
    });
    acc.resize(mx.size());
    for (size_t i = 0; i < mx.size(); ++i)
      acc[i] = mx[i] + fastLogD(sums[i]);
  }
  Tensor r = Tensor::makeFloat(et, outShape);
  for (size_t i = 0; i < acc.size(); ++i) {
    double v = acc[i];
    switch (K) {
    case Red::Mean: v = v / (double)count; break;
    case Red::L2: v = std::sqrt(v); break;
    case Red::LogSum: v = fastLogD(v); break; // (as the GPU kernels)
    default: break;
    }
    r.f[i] = (float)v;
  }
  env.set(op->getResult(0), std::move(r));
  return success();
}

template <Red K> LogicalResult reduce(Operation *op, Env &env) {
  return reduceOver<K>(
      op, env, cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef(),
      cast<BoolAttr>(op->getAttr("keepdims")).getValue());
}

/// qc.dynamic_reduce (M20): axes read and checked at run time, then the
/// kernel of the static reduction of that kind.
LogicalResult dynamicReduce(Operation *o, Env &env) {
  auto op = cast<qc::DynamicReduceOp>(o);
  const Tensor &a = env.get(op.getInput());
  int64_t rank = a.shape.size();
  SmallVector<int64_t> axes;
  for (int64_t v : env.get(op.getAxes()).i) {
    if (v < -rank || v >= rank)
      return op.emitError("axis ") << v << " is out of range [" << -rank
                                   << ", " << rank << ")";
    int64_t d = v < 0 ? v + rank : v;
    if (llvm::is_contained(axes, d))
      return op.emitError("axes name dim ") << d << " twice";
    axes.push_back(d);
  }
  llvm::sort(axes);
  bool keepdims = op.getKeepdims();
  auto type = cast<RankedTensorType>(op.getResult().getType());
  if (axes.empty() && op.getNoopWithEmptyAxes()) {
    if (type.getRank() != rank)
      return op.emitError("empty axes leave the input unreduced, but the "
                          "result type is ")
             << type;
    for (int64_t d = 0; d < rank; ++d)
      if (!type.isDynamicDim(d) && type.getDimSize(d) != a.shape[d])
        return op.emitError("computed result shape ")
               << shapeStr(a.shape) << " does not match the result type "
               << type;
    Tensor r = env.take(op.getInput());
    env.set(op.getResult(), std::move(r));
    return success();
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(a.shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  bool ok = type.getRank() == (int64_t)out.size();
  for (size_t d = 0; ok && d < out.size(); ++d)
    ok = type.isDynamicDim(d) || type.getDimSize(d) == out[d];
  if (!ok)
    return op.emitError("computed result shape ")
           << shapeStr(out) << " does not match the result type " << type;
  switch (op.getKind()) {
  case qc::ReduceKind::sum:
    return reduceOver<Red::Sum>(op, env, axes, keepdims);
  case qc::ReduceKind::mean:
    return reduceOver<Red::Mean>(op, env, axes, keepdims);
  case qc::ReduceKind::max:
    return reduceOver<Red::Max>(op, env, axes, keepdims);
  case qc::ReduceKind::min:
    return reduceOver<Red::Min>(op, env, axes, keepdims);
  case qc::ReduceKind::prod:
    return reduceOver<Red::Prod>(op, env, axes, keepdims);
  case qc::ReduceKind::l1:
    return reduceOver<Red::L1>(op, env, axes, keepdims);
  case qc::ReduceKind::l2:
    return reduceOver<Red::L2>(op, env, axes, keepdims);
  case qc::ReduceKind::sum_square:
    return reduceOver<Red::SumSquare>(op, env, axes, keepdims);
  case qc::ReduceKind::log_sum:
    return reduceOver<Red::LogSum>(op, env, axes, keepdims);
  case qc::ReduceKind::log_sum_exp:
    return reduceOver<Red::LogSumExp>(op, env, axes, keepdims);
  }
  llvm_unreachable("unknown qc::ReduceKind");
}

/// Sizes of the dims before `axis`, at it and after it.
struct AxisSplit {
  int64_t outer = 1, n, inner = 1;
  AxisSplit(ArrayRef<int64_t> shape, int64_t axis) : n(shape[axis]) {
    for (int64_t d = 0; d < axis; ++d)
      outer *= shape[d];
    for (int64_t d = axis + 1; d < (int64_t)shape.size(); ++d)
      inner *= shape[d];
  }
};

/// A run-time scalar operand (axis, k) as an integer.
FailureOr<int64_t> scalarOperand(Operation *op, Value v, StringRef what,
                                 Env &env) {
  const Tensor &t = env.get(v);
  if (!holdsInts(t) || t.numElements() != 1)
    return op->emitError() << what << " must hold one integer, got "
                           << t.numElements() << " element(s)";
  return intValues(t)[0];
}

/// qc.arg_max / qc.arg_min (M21): first (or last) index of the extreme of
/// each slice along the axis. IEEE comparisons: a NaN is picked only as a
/// slice's first element, and then kept (as ONNX Runtime).
template <bool IsMax> LogicalResult argReduce(Operation *op, Env &env) {
  const Tensor &a = env.get(op->getOperand(0));
  int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
  bool last = cast<BoolAttr>(op->getAttr("select_last_index")).getValue();
  if (axis < 0 || axis >= (int64_t)a.shape.size() || a.shape[axis] == 0)
    return op->emitError("axis ") << axis << " is out of range or empty for "
                                     "an input of shape "
                                  << shapeStr(a.shape);
  AxisSplit g(a.shape, axis);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> outShape(a.shape);
  if (type.getRank() == (int64_t)a.shape.size())
    outShape[axis] = 1;
  else
    outShape.erase(outShape.begin() + axis);
  Tensor r = Tensor::makeInt(type.getElementType(), outShape);
  // better(x, y): x replaces the best so far y (ties only with `last`).
  auto scan = [&](auto *x, auto better) {
    for (int64_t o = 0; o < g.outer; ++o)
      for (int64_t in = 0; in < g.inner; ++in) {
        const auto *p = x + o * g.n * g.inner + in;
        int64_t best = 0;
        for (int64_t k = 1; k < g.n; ++k)
          if (better(p[k * g.inner], p[best * g.inner]))
            best = k;
        r.i[o * g.inner + in] = best;
      }
  };
  auto better = [&](auto x, auto y) {
    return IsMax ? (x > y || (last && x == y)) : (x < y || (last && x == y));
  };
  if (a.kind == Tensor::Kind::Float) {
    scan(a.f.data(), better);
  } else if (holdsInts(a)) {
    std::vector<int64_t> v = intValues(a);
    if (a.elementType.isUnsignedInteger())
      scan(reinterpret_cast<const uint64_t *>(v.data()), better);
    else
      scan(v.data(), better);
  } else {
    return op->emitError("input holds an unsupported kind of data");
  }
  env.set(op->getResult(0), std::move(r));
  return success();
}

/// qc.cumsum (M22): running sums along a run-time axis, added in the
/// element type one after another (f32 for floats, wrapping integers).
LogicalResult cumSum(Operation *o, Env &env) {
  auto op = cast<qc::CumSumOp>(o);
  const Tensor &a = env.get(op.getInput());
  FailureOr<int64_t> axisOr = scalarOperand(op, op.getAxis(), "axis", env);
  if (failed(axisOr))
    return failure();
  int64_t rank = a.shape.size(), axis = *axisOr;
  if (axis < -rank || axis >= rank)
    return op.emitError("axis ") << axis << " is out of range [" << -rank
                                 << ", " << rank << ")";
  if (axis < 0)
    axis += rank;
  AxisSplit g(a.shape, axis);
  bool excl = op.getExclusive(), rev = op.getReverse();
  auto run = [&](auto *x, auto *y, auto zero, auto add) {
    for (int64_t oi = 0; oi < g.outer; ++oi)
      for (int64_t in = 0; in < g.inner; ++in) {
        int64_t base = oi * g.n * g.inner + in;
        auto acc = zero;
        for (int64_t t = 0; t < g.n; ++t) {
          int64_t k = base + (rev ? g.n - 1 - t : t) * g.inner;
          if (excl) {
            y[k] = acc;
            acc = add(acc, x[k]);
          } else {
            acc = add(acc, x[k]);
            y[k] = acc;
          }
        }
      }
  };
  Type et = resultElementType(op);
  if (a.kind == Tensor::Kind::Float) {
    Tensor r = Tensor::makeFloat(et, a.shape);
    run(a.f.data(), r.f.data(), 0.0f, [](float s, float v) { return s + v; });
    env.set(op.getResult(), std::move(r));
    return success();
  }
  if (!holdsInts(a))
    return op.emitError("input holds an unsupported kind of data");
  std::vector<int64_t> x = intValues(a), y(x.size());
  // Wrapping adds in uint64 (no signed overflow); makeIntTensor wraps to
  // the element width.
  run(x.data(), y.data(), int64_t(0), [](int64_t s, int64_t v) {
    return (int64_t)((uint64_t)s + (uint64_t)v);
  });
  env.set(op.getResult(), makeIntTensor(et, a.shape, std::move(y)));
  return success();
}

/// qc.trilu (M23): zero the elements outside the triangle j - i >= k
/// (upper) or j - i <= k (lower) of the last two dims.
LogicalResult trilu(Operation *o, Env &env) {
  auto op = cast<qc::TriluOp>(o);
  int64_t k = 0;
  if (op.getK()) {
    FailureOr<int64_t> kOr = scalarOperand(op, op.getK(), "k", env);
    if (failed(kOr))
      return failure();
    k = *kOr;
  }
  Tensor r = env.take(op.getInput());
  int64_t rank = r.shape.size(), rows = r.shape[rank - 2],
          cols = r.shape[rank - 1];
  int64_t mats = rows * cols != 0 ? r.numElements() / (rows * cols) : 0;
  bool upper = op.getUpper();
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        // j - i in int64 cannot overflow (dims < 2^62); compared with k.
        bool keep = upper ? j - i >= k : j - i <= k;
        if (keep)
          continue;
        int64_t at = (m * rows + i) * cols + j;
        switch (r.kind) {
        case Tensor::Kind::Float: r.f[at] = 0.0f; break;
        case Tensor::Kind::Int: r.i[at] = 0; break;
        case Tensor::Kind::Bytes: r.bytes[at] = 0; break;
        }
      }
  env.set(op.getResult(), std::move(r));
  return success();
}

/// qc.top_k (M24): per slice, the k first elements of the order "larger
/// (smaller) value first, then the lower index", NaN above every number.
LogicalResult topK(Operation *o, Env &env) {
  auto op = cast<qc::TopKOp>(o);
  const Tensor &a = env.get(op.getInput());
  FailureOr<int64_t> kOr = scalarOperand(op, op.getK(), "k", env);
  if (failed(kOr))
    return failure();
  int64_t axis = op.getAxis(), k = *kOr;
  AxisSplit g(a.shape, axis);
  if (k < 0 || k > g.n)
    return op.emitError("k = ") << k << " is outside [0, " << g.n
                                << "], the extent of axis " << axis;
  SmallVector<int64_t> outShape(a.shape);
  outShape[axis] = k;
  for (Value r : op->getResults()) {
    auto t = cast<RankedTensorType>(r.getType());
    if (!t.isDynamicDim(axis) && t.getDimSize(axis) != k)
      return op.emitError("k = ") << k << " but the result type is " << t;
  }
  bool largest = op.getLargest();
  Tensor idx = Tensor::makeInt(op.getIndices().getType().getElementType(),
                               outShape);
  std::vector<int64_t> order(g.n);
  // Sorts each slice's indices by `before`, keeps the first k.
  auto select = [&](auto before, auto store) {
    for (int64_t oi = 0; oi < g.outer; ++oi)
      for (int64_t in = 0; in < g.inner; ++in) {
        int64_t base = oi * g.n * g.inner + in;
        for (int64_t t = 0; t < g.n; ++t)
          order[t] = t;
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int64_t p, int64_t q) {
                            return before(base + p * g.inner,
                                          base + q * g.inner, p, q);
                          });
        for (int64_t t = 0; t < k; ++t) {
          int64_t at = (oi * k + t) * g.inner + in;
          idx.i[at] = order[t];
          store(at, base + order[t] * g.inner);
        }
      }
  };
  Type et = op.getValues().getType().getElementType();
  if (a.kind == Tensor::Kind::Float) {
    Tensor vals = Tensor::makeFloat(et, outShape);
    const float *x = a.f.data();
    select(
        [&](int64_t p, int64_t q, int64_t ip, int64_t iq) {
          float u = x[p], v = x[q];
          bool un = u != u, vn = v != v;
          if (un || vn) // NaN above every number; two NaNs tie
            return un != vn ? (largest ? un : vn) : ip < iq;
          if (u != v)
            return largest ? u > v : u < v;
          return ip < iq;
        },
        [&](int64_t at, int64_t from) { vals.f[at] = x[from]; });
    env.set(op.getValues(), std::move(vals));
  } else if (holdsInts(a)) {
    std::vector<int64_t> x = intValues(a), v(product(outShape));
    bool u = a.elementType.isUnsignedInteger();
    select(
        [&](int64_t p, int64_t q, int64_t ip, int64_t iq) {
          if (x[p] != x[q]) {
            bool gt = u ? (uint64_t)x[p] > (uint64_t)x[q] : x[p] > x[q];
            return largest ? gt : !gt;
          }
          return ip < iq;
        },
        [&](int64_t at, int64_t from) { v[at] = x[from]; });
    env.set(op.getValues(), makeIntTensor(et, outShape, std::move(v)));
  } else {
    return op.emitError("input holds an unsupported kind of data");
  }
  env.set(op.getIndices(), std::move(idx));
  return success();
}

} // namespace

void quantc::exec::registerMathKernels(KernelRegistry &registry) {
  auto &r = registry;
  using std::exp;
  r.add("qc.neg", [](Operation *op, Env &env) {
    return unaryNum(
        op, env, [](float x) { return -x; },
        [](auto x) { return (decltype(x))(0 - (uint64_t)x); });
  });
  r.add("qc.abs", [](Operation *op, Env &env) {
    return unaryNum(
        op, env, [](float x) { return std::fabs(x); },
        [](auto x) {
          if constexpr (std::is_signed_v<decltype(x)>)
            return x < 0 ? (decltype(x))(0 - (uint64_t)x) : x;
          else
            return x;
        });
  });
  r.add("qc.sqrt", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return std::sqrt(x); });
  });
  r.add("qc.reciprocal", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return 1.0f / x; });
  });
  r.add("qc.exp", [](Operation *op, Env &env) {
    return unaryLoop(op, env, expLoop);
  });
  r.add("qc.log", [](Operation *op, Env &env) {
    return unaryLoop(op, env, logLoop);
  });
  r.add("qc.erf", [](Operation *op, Env &env) {
    return unaryLoop(op, env, erfLoop);
  });
  r.add("qc.tanh", [](Operation *op, Env &env) {
    return unaryLoop(op, env, tanhLoop);
  });
  r.add("qc.silu", [](Operation *op, Env &env) {
    return unaryLoop(op, env, siluLoop);
  });
  r.add("qc.rms_norm", rmsNorm);
  r.add("qc.attention", attention);
  r.add("qc.sigmoid", [](Operation *op, Env &env) {
    return unaryLoop(op, env, sigmoidLoop);
  });
  r.add("qc.softplus", [](Operation *op, Env &env) {
    // Stable for large |x|: log(1 + e^x) = max(x, 0) + log1p(e^-|x|), in
    // double (FastMath.h).
    return unaryLoop(op, env, softplusLoop);
  });
  r.add("qc.hard_swish", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) {
      return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
    });
  });
  r.add("qc.floor", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return std::floor(x); });
  });
  r.add("qc.ceil", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return std::ceil(x); });
  });
  r.add("qc.round", [](Operation *op, Env &env) {
    // nearbyint in the default rounding mode: half to even, as ONNX Round.
    return unaryF(op, env, [](float x) { return std::nearbyint(x); });
  });
  r.add("qc.sin", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastSin(x); });
  });
  r.add("qc.cos", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastCos(x); });
  });
  r.add("qc.tan", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastTan(x); });
  });
  r.add("qc.asin", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastAsin(x); });
  });
  r.add("qc.acos", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastAcos(x); });
  });
  r.add("qc.atan", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastAtan(x); });
  });
  r.add("qc.sinh", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastSinh(x); });
  });
  r.add("qc.cosh", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastCosh(x); });
  });
  r.add("qc.asinh", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastAsinh(x); });
  });
  r.add("qc.acosh", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastAcosh(x); });
  });
  r.add("qc.atanh", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return fastAtanh(x); });
  });
  r.add("qc.softsign", [](Operation *op, Env &env) {
    return unaryF(op, env, [](float x) { return x / (1.0f + std::fabs(x)); });
  });
  r.add("qc.sign", [](Operation *op, Env &env) {
    return unaryNum(
        op, env, [](float x) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : x); },
        [](auto x) -> int64_t {
          if constexpr (std::is_signed_v<decltype(x)>)
            return (x > 0) - (x < 0);
          else
            return x != 0;
        });
  });
  r.add("qc.mish", [](Operation *op, Env &env) {
    // x * tanh(softplus(x)), each rounded to float as qc.softplus and
    // qc.tanh are.
    return unaryLoop(op, env, mishLoop);
  });
  r.add("qc.celu", [](Operation *op, Env &env) {
    float alpha = attrF(op, "alpha");
    return unaryF(op, env, [alpha](float x) {
      return std::max(0.0f, x) + std::min(0.0f, alpha * fastExpm1(x / alpha));
    });
  });
  r.add("qc.thresholded_relu", [](Operation *op, Env &env) {
    float alpha = attrF(op, "alpha");
    return unaryF(op, env, [alpha](float x) { return x > alpha ? x : 0.0f; });
  });
  r.add("qc.shrink", [](Operation *op, Env &env) {
    float bias = attrF(op, "bias"), lambd = attrF(op, "lambd");
    return unaryF(op, env, [bias, lambd](float x) {
      return x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0f);
    });
  });
  r.add("qc.is_nan", [](Operation *op, Env &env) {
    const Tensor &a = env.get(op->getOperand(0));
    if (failed(checkKind(op, a, Tensor::Kind::Float)))
      return failure();
    Tensor t = Tensor::makeInt(resultElementType(op), a.shape);
    for (size_t i = 0; i < a.f.size(); ++i)
      t.i[i] = std::isnan(a.f[i]);
    env.set(op->getResult(0), std::move(t));
    return success();
  });
  r.add("qc.is_inf", [](Operation *op, Env &env) {
    auto o = cast<qc::IsInfOp>(op);
    bool pos = o.getDetectPositive(), neg = o.getDetectNegative();
    const Tensor &a = env.get(op->getOperand(0));
    if (failed(checkKind(op, a, Tensor::Kind::Float)))
      return failure();
    Tensor t = Tensor::makeInt(resultElementType(op), a.shape);
    for (size_t i = 0; i < a.f.size(); ++i)
      t.i[i] = std::isinf(a.f[i]) && (a.f[i] > 0 ? pos : neg);
    env.set(op->getResult(0), std::move(t));
    return success();
  });
  r.add("qc.leaky_relu", leakyRelu);
  r.add("qc.elu", elu);
  r.add("qc.selu", selu);
  r.add("qc.hard_sigmoid", hardSigmoid);
  r.add("qc.gelu", gelu);
  r.add("qc.clip", clip);
  r.add("qc.not", logicalNot);
  r.add("qc.arg_max", argReduce<true>);
  r.add("qc.arg_min", argReduce<false>);
  r.add("qc.cumsum", cumSum);
  r.add("qc.trilu", trilu);
  r.add("qc.top_k", topK);

  r.add("qc.pow", [](Operation *op, Env &env) {
    // x^2 and x^3 by a scalar exponent (the tanh Gelu's x^3) as fastPow
    // computes them (products in double, exact for x^2 and within an ulp
    // for x^3), without the broadcast loop; other exponents by fastPow.
    const Tensor &a = env.get(op->getOperand(0)), &b = env.get(op->getOperand(1));
    if (a.kind != Tensor::Kind::Float || b.kind != Tensor::Kind::Float)
      return powMixed(op, env);
    if (a.kind == Tensor::Kind::Float && b.kind == Tensor::Kind::Float &&
        b.f.size() == 1 && b.shape.size() <= a.shape.size() &&
        (b.f[0] == 2.0f || b.f[0] == 3.0f)) {
      if (b.f[0] == 2.0f)
        return unaryF(op, env, [](float x) { return (float)((double)x * x); });
      return unaryF(op, env,
                    [](float x) { return (float)((double)x * x * x); });
    }
    return binaryNum(
        op, env, [](float x, float y) { return fastPow(x, y); },
        [](int64_t, int64_t) -> int64_t { return 0; });
  });
  r.add("qc.max", [](Operation *op, Env &env) {
    return binaryNum(op, env, maxNaN<float>,
                     [](auto x, auto y) { return maxNaN(x, y); });
  });
  r.add("qc.min", [](Operation *op, Env &env) {
    return binaryNum(op, env, minNaN<float>,
                     [](auto x, auto y) { return minNaN(x, y); });
  });
  r.add("qc.mod", mod);
  r.add("qc.bit_shift", [](Operation *op, Env &env) {
    bool left =
        cast<qc::BitShiftOp>(op).getDirection() == qc::ShiftDirection::LEFT;
    unsigned w = resultElementType(op).getIntOrFloatBitWidth();
    // Unsigned operands (uint64_t here); the result wraps to the width.
    return binaryNum(
        op, env, [](float, float) { return 0.0f; },
        [left, w](auto x, auto y) -> int64_t {
          uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
          if (uy >= w)
            return 0;
          return (int64_t)(left ? ux << uy : ux >> uy);
        });
  });
  r.add("qc.equal", compare<std::equal_to>);
  r.add("qc.less", compare<std::less>);
  r.add("qc.less_equal", compare<std::less_equal>);
  r.add("qc.greater", compare<std::greater>);
  r.add("qc.greater_equal", compare<std::greater_equal>);
  r.add("qc.and", [](Operation *op, Env &env) {
    return logical(op, env, [](bool x, bool y) { return x && y; });
  });
  r.add("qc.or", [](Operation *op, Env &env) {
    return logical(op, env, [](bool x, bool y) { return x || y; });
  });
  r.add("qc.xor", [](Operation *op, Env &env) {
    return logical(op, env, [](bool x, bool y) { return x != y; });
  });
  r.add("qc.where", where);

  r.add("qc.softmax", softmax<false>);
  r.add("qc.log_softmax", softmax<true>);
  r.add("qc.layer_norm", layerNorm);

  r.add("qc.reduce_mean", reduce<Red::Mean>);
  r.add("qc.reduce_sum", reduce<Red::Sum>);
  r.add("qc.reduce_max", reduce<Red::Max>);
  r.add("qc.reduce_min", reduce<Red::Min>);
  r.add("qc.reduce_prod", reduce<Red::Prod>);
  r.add("qc.reduce_l1", reduce<Red::L1>);
  r.add("qc.reduce_l2", reduce<Red::L2>);
  r.add("qc.reduce_sum_square", reduce<Red::SumSquare>);
  r.add("qc.reduce_log_sum", reduce<Red::LogSum>);
  r.add("qc.reduce_log_sum_exp", reduce<Red::LogSumExp>);
  r.add("qc.dynamic_reduce", dynamicReduce);
}
