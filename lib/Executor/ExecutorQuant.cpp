//===- ExecutorQuant.cpp - Executor kernels: Quant op family ---------------===//
//
// ONNX QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear / Cast. All
// arithmetic is in Numerics (docs/Formats.md F21-F26); these kernels only
// move tensors in and out. Codes are Bytes tensors: integer codes hold the
// value in two's complement (i4 -3 is 0xFD), float codes their bit pattern.
//
//===----------------------------------------------------------------------===//
#include "ExecutorImpl.h"
#include "ExecutorInt.h"

#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Numerics/Linear.h"

#include <cmath>
#include <mutex>

using namespace quantc;
using namespace quantc::exec;

namespace {
/// Numerics format of a code element type; unlike toFormat() it tells
/// signed from unsigned integers.
std::optional<nx::ElemFormat> codeFormat(Type t) {
  if (auto it = dyn_cast<IntegerType>(t)) {
    if (it.isSigned())
      return std::nullopt;
    if (it.getWidth() == 8)
      return it.isUnsigned() ? nx::ElemFormat::UINT8 : nx::ElemFormat::INT8;
    if (it.getWidth() == 4)
      return it.isUnsigned() ? nx::ElemFormat::UINT4 : nx::ElemFormat::INT4;
    return std::nullopt;
  }
  return toFormat(t);
}

bool isIntCode(nx::ElemFormat f) {
  return f == nx::ElemFormat::INT8 || f == nx::ElemFormat::UINT8 ||
         f == nx::ElemFormat::INT4 || f == nx::ElemFormat::UINT4;
}

/// Sub-byte codes are held one per byte; a byte that is no code of its
/// format (an FP4 above 0xF, ...) is an error, not silently truncated. i4
/// codes may be sign-extended (this family's results) or the low nibble
/// (MLIR constants, Numerics encode()); both read as the low nibble.
LogicalResult checkCodes(Operation *op, const Tensor &t, nx::ElemFormat f,
                         StringRef what) {
  if (nx::getFormatInfo(f).bits == 8)
    return success(); // every byte is a code
  for (size_t i = 0; i < t.bytes.size(); ++i) {
    uint8_t b = t.bytes[i];
    bool ok = true;
    switch (f) {
    case nx::ElemFormat::INT4:
      ok = b <= 0xF || b >= 0xF8;
      break;
    case nx::ElemFormat::UINT4:
    case nx::ElemFormat::E2M1FN:
      ok = b <= 0xF;
      break;
    case nx::ElemFormat::E2M3FN:
    case nx::ElemFormat::E3M2FN:
      ok = b <= 0x3F;
      break;
    default:
      break;
    }
    if (!ok)
      return op->emitError() << what << " element " << i << " is byte "
                             << (unsigned)b << ", not a "
                             << nx::getFormatInfo(f).name << " code";
  }
  return success();
}

LogicalResult fail(Operation *op, llvm::Error e) {
  return op->emitError() << llvm::toString(std::move(e));
}

/// Result element types with a dynamic shape take the input's shape.
template <typename OpTy>
LogicalResult linear(OpTy op, Env &env, bool quantize) {
  const Tensor &x = env.get(op->getOperand(0));
  const Tensor &scale = env.get(op.getScale());
  const Tensor *zp = op.getZeroPoint() ? &env.get(op.getZeroPoint()) : nullptr;
  Type codeType = quantize
                      ? cast<ShapedType>(op->getResult(0).getType())
                            .getElementType()
                      : cast<ShapedType>(op->getOperand(0).getType())
                            .getElementType();
  std::optional<nx::ElemFormat> f = codeFormat(codeType);
  if (!f)
    return op->emitError("unsupported code type ") << codeType;
  if (scale.kind != Tensor::Kind::Float)
    return op->emitError("scale must be a float tensor");
  if (zp && (zp->kind != Tensor::Kind::Bytes || zp->shape != scale.shape))
    return op->emitError("zero point shape ")
           << shapeStr(zp->shape) << " differs from the scale shape "
           << shapeStr(scale.shape);
  if (!quantize && failed(checkCodes(op, x, *f, "input codes")))
    return failure();
  if (zp && failed(checkCodes(op, *zp, *f, "zero point")))
    return failure();
  llvm::Expected<nx::LinearLayout> layout = nx::makeLinearLayout(
      x.shape, scale.shape, op.getAxis(), op.getBlockSize());
  if (!layout)
    return fail(op, layout.takeError());
  Type resType = cast<ShapedType>(op->getResult(0).getType()).getElementType();
  const uint8_t *zpData = zp ? zp->bytes.data() : nullptr;
  bool saturate = true;
  if (auto s = op->template getAttrOfType<BoolAttr>("saturate"))
    saturate = s.getValue();
  // One scale for the whole tensor: elementwise, so contiguous pieces go
  // to the pool (same results: each element's arithmetic is unchanged).
  // Other layouts run whole.
  int64_t n = x.numElements();
  bool split = layout->granularity == nx::Granularity::PerTensor &&
               n > kElemGrain;
  auto pieces = [&](auto &&fn) -> llvm::Error {
    if (!split)
      return fn(0, n, ArrayRef<int64_t>(x.shape));
    std::mutex m;
    llvm::Error first = llvm::Error::success();
    parallelFor(n, kElemGrain, [&](int64_t b, int64_t e) {
      int64_t len = e - b;
      if (llvm::Error err = fn(b, len, ArrayRef<int64_t>(len))) {
        std::lock_guard<std::mutex> lock(m);
        if (first)
          llvm::consumeError(std::move(err));
        else
          first = std::move(err);
      }
    });
    return first;
  };
  if (quantize) {
    Tensor r = Tensor::makeBytes(resType, x.shape);
    if (llvm::Error e = pieces([&](int64_t b, int64_t, ArrayRef<int64_t> sh) {
          return nx::quantizeLinear(x.f.data() + b, sh, scale.f.data(),
                                    zpData, *layout, *f, saturate,
                                    r.bytes.data() + b);
        }))
      return fail(op, std::move(e));
    env.set(op->getResult(0), std::move(r));
    return success();
  }
  // Every element is written: a recycled buffer needs no zeroing.
  Tensor r = makeFloatOutput(resType, x.shape);
  if (llvm::Error e = pieces([&](int64_t b, int64_t, ArrayRef<int64_t> sh) {
        return nx::dequantizeLinear(x.bytes.data() + b, sh, scale.f.data(),
                                    zpData, *layout, *f, r.f.data() + b);
      }))
    return fail(op, std::move(e));
  // f16/bf16 results hold the value after the cast (Float tensors keep f32).
  if (resType.isF16() || resType.isBF16())
    for (float &v : r.f)
      v = nx::roundTo(resType.isF16() ? nx::ElemFormat::F16
                                      : nx::ElemFormat::BF16,
                      v);
  env.set(op->getResult(0), std::move(r));
  return success();
}

LogicalResult quantizeLinear(Operation *op, Env &env) {
  return linear(cast<qc::QuantizeLinearOp>(op), env, true);
}

LogicalResult dequantizeLinear(Operation *op, Env &env) {
  return linear(cast<qc::DequantizeLinearOp>(op), env, false);
}

LogicalResult dynamicQuantizeLinear(Operation *op, Env &env) {
  auto o = cast<qc::DynamicQuantizeLinearOp>(op);
  const Tensor &x = env.get(o.getX());
  Tensor y = Tensor::makeBytes(
      cast<ShapedType>(o.getY().getType()).getElementType(), x.shape);
  Tensor s = Tensor::makeFloat(
      cast<ShapedType>(o.getYScale().getType()).getElementType(), {});
  Tensor z = Tensor::makeBytes(
      cast<ShapedType>(o.getYZeroPoint().getType()).getElementType(), {});
  if (llvm::Error e = nx::dynamicQuantizeLinear(
          x.f.data(), x.numElements(), y.bytes.data(), s.f[0], z.bytes[0]))
    return fail(op, std::move(e));
  env.set(o.getY(), std::move(y));
  env.set(o.getYScale(), std::move(s));
  env.set(o.getYZeroPoint(), std::move(z));
  return success();
}

LogicalResult castKernel(Operation *op, Env &env) {
  auto o = cast<qc::CastOp>(op);
  const Tensor &in = env.get(o.getInput());
  Type inType = cast<ShapedType>(o.getInput().getType()).getElementType();
  Type outType = cast<ShapedType>(o.getResult().getType()).getElementType();
  int64_t n = in.numElements();
  std::optional<nx::ElemFormat> inFmt = codeFormat(inType);
  if (in.kind == Tensor::Kind::Bytes && inFmt &&
      failed(checkCodes(op, in, *inFmt, "input")))
    return failure();
  // Integer to integer: exact, keeping the low bits of the target width
  // (ONNX Cast: "discard higher bits and reinterpret"; bool: x != 0).
  auto outInt = dyn_cast<IntegerType>(outType);
  if (outInt && holdsInts(in) && (!inFmt || isIntCode(*inFmt))) {
    std::vector<int64_t> vals = intValues(in);
    if (inType.isInteger(4)) // codes: the 4-bit value (sign per type)
      for (int64_t &x : vals)
        x = wrapInt(inType, x);
    env.set(o.getResult(), makeIntTensor(outType, in.shape, std::move(vals)));
    return success();
  }
  // Source values as doubles: exact for every source type but 64-bit
  // integers beyond 2^53, which round to nearest (ui64 read as unsigned).
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) {
    switch (in.kind) {
    case Tensor::Kind::Float:
      v[i] = in.f[i];
      break;
    case Tensor::Kind::Int:
      v[i] = intToDouble(inType, in.i[i]);
      break;
    case Tensor::Kind::Bytes:
      if (!inFmt)
        return op->emitError("cannot cast from ") << inType;
      v[i] = isIntCode(*inFmt) ? nx::intCodeValue(*inFmt, in.bytes[i])
                               : nx::decode(*inFmt, in.bytes[i]);
      break;
    }
  }
  // Float to integer: truncate toward zero, clamp, NaN -> 0.
  auto toInt = [](double d, double lo, double hi) -> int64_t {
    if (d != d)
      return 0;
    d = std::trunc(d);
    return (int64_t)std::min(std::max(d, lo), hi);
  };
  if (isFloatish(outType)) {
    Tensor r = Tensor::makeFloat(outType, in.shape);
    for (int64_t i = 0; i < n; ++i) {
      // double -> f32 rounds to nearest even; then to f16/bf16 (a double
      // rounding only for i64 sources beyond 2^24, as ONNX runtimes do).
      float f = (float)v[i];
      if (outType.isF16())
        f = nx::roundTo(nx::ElemFormat::F16, f, false);
      else if (outType.isBF16())
        f = nx::roundTo(nx::ElemFormat::BF16, f, false);
      r.f[i] = f;
    }
    env.set(o.getResult(), std::move(r));
    return success();
  }
  if (std::optional<nx::ElemFormat> f = codeFormat(outType)) {
    Tensor r = Tensor::makeBytes(outType, in.shape);
    const nx::FormatInfo &info = nx::getFormatInfo(*f);
    for (int64_t i = 0; i < n; ++i)
      r.bytes[i] = isIntCode(*f)
                       ? (uint8_t)toInt(v[i], info.qmin, info.qmax)
                       : (uint8_t)nx::encode(*f, (float)v[i], o.getSaturate());
    env.set(o.getResult(), std::move(r));
    return success();
  }
  auto it = dyn_cast<IntegerType>(outType);
  if (!it)
    return op->emitError("cannot cast to ") << outType;
  Tensor r = Tensor::makeInt(outType, in.shape);
  unsigned w = it.getWidth();
  double lo = w == 1 ? 0 : it.isUnsigned() ? 0 : -std::ldexp(1.0, w - 1);
  double hi = w == 1 ? 1 : it.isUnsigned() ? std::ldexp(1.0, w) - 1
                                           : std::ldexp(1.0, w - 1) - 1;
  for (int64_t i = 0; i < n; ++i) {
    if (w == 64 && it.isUnsigned()) {
      // [0, 2^64): through uint64 (2^64 - 1 is no double; clamp below 2^64).
      double d = v[i] != v[i] ? 0 : std::trunc(v[i]);
      r.i[i] = d <= 0                        ? 0
               : d >= 18446744073709551616.0 ? (int64_t)UINT64_MAX
                                             : (int64_t)(uint64_t)d;
      continue;
    }
    // 2^63 - 1 is no double either: toInt's clamp gives 2^63, converted
    // here without overflow.
    if (w == 64 && v[i] >= 9223372036854775808.0) {
      r.i[i] = INT64_MAX;
      continue;
    }
    r.i[i] = w == 1 ? (v[i] != 0.0) : toInt(v[i], lo, hi);
  }
  env.set(o.getResult(), std::move(r));
  return success();
}
} // namespace

void quantc::exec::registerQuantKernels(KernelRegistry &registry) {
  registry.add(qc::QuantizeLinearOp::getOperationName(), quantizeLinear);
  registry.add(qc::DequantizeLinearOp::getOperationName(), dequantizeLinear);
  registry.add(qc::DynamicQuantizeLinearOp::getOperationName(),
               dynamicQuantizeLinear);
  registry.add(qc::CastOp::getOperationName(), castKernel);
}
