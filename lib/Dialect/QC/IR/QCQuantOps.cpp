//===- QCQuantOps.cpp - qc ops: Quant family -------------------------===//
#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCQuantOps.cpp.inc"

void QCDialect::registerQuantOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCQuantOps.cpp.inc"

#include "llvm/Support/MathExtras.h"
      >();
}

namespace {
/// Element types of quantized codes (ONNX QuantizeLinear outputs we run).
bool isCodeType(Type t) {
  if (auto it = dyn_cast<IntegerType>(t))
    return (it.getWidth() == 8 || it.getWidth() == 4) && !it.isSigned();
  return isa<Float8E4M3FNType, Float8E5M2Type, Float6E2M3FNType,
             Float6E3M2FNType, Float4E2M1FNType>(t);
}

/// Checks the scale/zero-point operands of quantize_linear/dequantize_linear
/// against the data shape (docs/Formats.md F21); dynamic dims pass.
LogicalResult verifyLinear(Operation *op, RankedTensorType data,
                           RankedTensorType scale, Value zeroPoint,
                           Type codeType, int64_t axis, int64_t blockSize) {
  if (!isCodeType(codeType))
    return op->emitOpError("code element type must be i8, ui8, i4, ui4, "
                           "f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN or "
                           "f4E2M1FN, got ")
           << codeType;
  if (zeroPoint) {
    auto zt = cast<RankedTensorType>(zeroPoint.getType());
    if (zt.getElementType() != codeType)
      return op->emitOpError("zero point element type ")
             << zt.getElementType() << " must be the code type " << codeType;
    if (zt.getShape() != scale.getShape())
      return op->emitOpError("zero point shape must match the scale shape");
  }
  if (blockSize < 0)
    return op->emitOpError("block_size must not be negative, got ")
           << blockSize;
  int64_t rank = data.getRank();
  bool perTensor = blockSize == 0 && scale.getRank() <= 1 &&
                   scale.hasStaticShape() && scale.getNumElements() == 1;
  if (perTensor)
    return success();
  if (axis < -rank || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  int64_t a = axis < 0 ? axis + rank : axis;
  int64_t dim = data.getDimSize(a);
  if (blockSize == 0) {
    if (scale.getRank() != 1)
      return op->emitOpError("per-axis scale must be 1-D, got rank ")
             << scale.getRank();
    if (!ShapedType::isDynamic(dim) && !scale.isDynamicDim(0) &&
        scale.getDimSize(0) != dim)
      return op->emitOpError("per-axis scale has ")
             << scale.getDimSize(0) << " elements, expected " << dim;
    return success();
  }
  if (scale.getRank() != rank)
    return op->emitOpError("blocked scale must have the data's rank ")
           << rank << ", got " << scale.getRank();
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = data.getDimSize(i), s = scale.getDimSize(i);
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(s))
      continue;
    int64_t want = i == a ? llvm::divideCeil(d, blockSize) : d;
    if (s != want)
      return op->emitOpError("blocked scale dim ")
             << i << " is " << s << ", expected " << want
             << (i == a ? " (ceil(dim / block_size))" : "");
  }
  return success();
}
} // namespace

LogicalResult QuantizeLinearOp::verify() {
  auto x = cast<RankedTensorType>(getX().getType());
  auto codes = cast<RankedTensorType>(getCodes().getType());
  if (failed(verifyCompatibleShape(x.getShape(), codes.getShape())))
    return emitOpError("codes shape must match the input shape");
  return verifyLinear(*this, x, cast<RankedTensorType>(getScale().getType()),
                      getZeroPoint(), codes.getElementType(), getAxis(),
                      getBlockSize());
}

LogicalResult DequantizeLinearOp::verify() {
  auto codes = cast<RankedTensorType>(getCodes().getType());
  auto y = cast<RankedTensorType>(getY().getType());
  if (failed(verifyCompatibleShape(y.getShape(), codes.getShape())))
    return emitOpError("result shape must match the codes shape");
  return verifyLinear(*this, codes,
                      cast<RankedTensorType>(getScale().getType()),
                      getZeroPoint(), codes.getElementType(), getAxis(),
                      getBlockSize());
}

LogicalResult DynamicQuantizeLinearOp::verify() {
  auto x = cast<RankedTensorType>(getX().getType());
  auto y = cast<RankedTensorType>(getY().getType());
  auto s = cast<RankedTensorType>(getYScale().getType());
  auto z = cast<RankedTensorType>(getYZeroPoint().getType());
  if (failed(verifyCompatibleShape(x.getShape(), y.getShape())))
    return emitOpError("codes shape must match the input shape");
  if (!y.getElementType().isUnsignedInteger(8) ||
      !z.getElementType().isUnsignedInteger(8))
    return emitOpError("codes and zero point must be ui8");
  if (!s.getElementType().isF32())
    return emitOpError("scale must be f32");
  if (s.getRank() != 0 || z.getRank() != 0)
    return emitOpError("scale and zero point must be scalars (rank 0)");
  return success();
}

LogicalResult CastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyCompatibleShape(in.getShape(), out.getShape())))
    return emitOpError("result shape must match the input shape");
  auto ok = [](Type t) {
    unsigned w = isa<IntegerType>(t) ? t.getIntOrFloatBitWidth() : 0;
    return isa<Float32Type, Float16Type, BFloat16Type, Float64Type>(t) ||
           isCodeType(t) ||
           (isa<IntegerType>(t) && !t.isSignedInteger() &&
            (w == 1 || w == 8 || w == 16 || w == 32 || w == 64));
  };
  if (!ok(in.getElementType()) || !ok(out.getElementType()))
    return emitOpError("cannot cast ")
           << in.getElementType() << " to " << out.getElementType();
  return success();
}

/// An integer constant cast to another integer type: truncated or extended
/// by the source's signedness, as ONNX Cast (C conversion) and the Executor;
/// a cast to its own type is its input.
OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  // A cast to the type it has (ONNX Cast to FLOAT of a float) is the
  // value itself.
  if (getInput().getType() == getType())
    return getInput();
  auto type = cast<RankedTensorType>(getType());
  auto to = dyn_cast<IntegerType>(type.getElementType());
  // An f32 constant to a signed integer type (shape arithmetic done in
  // float): truncated toward zero, NaN to 0, clamped to the type's range,
  // as the Executor's cast.
  if (auto f = dyn_cast_or_null<DenseFPElementsAttr>(adaptor.getInput());
      f && to && f.getElementType().isF32() && !to.isUnsigned() &&
      to.getWidth() >= 8 && f.getNumElements() <= (1 << 16) &&
      type.hasStaticShape()) {
    unsigned w = to.getWidth();
    double lo = -std::ldexp(1.0, w - 1), hi = std::ldexp(1.0, w - 1) - 1;
    return f.mapValues(to, [&](const APFloat &v) {
      double d = v.convertToFloat();
      if (d != d)
        return APInt(w, 0);
      d = std::trunc(d);
      if (w == 64 && d >= 9223372036854775808.0)
        return APInt::getSignedMaxValue(64);
      return APInt(w, (int64_t)std::min(std::max(d, lo), hi), true);
    });
  }
  // To bool: x != 0 (an If's condition cast from a dimension); NaN is
  // true, as the Executor's cast.
  if (to && to.getWidth() == 1 && type.hasStaticShape() && adaptor.getInput()) {
    if (auto f = dyn_cast<DenseFPElementsAttr>(adaptor.getInput());
        f && f.getNumElements() <= (1 << 16))
      return f.mapValues(
          to, [](const APFloat &v) { return APInt(1, v.isZero() ? 0 : 1); });
    if (auto i = dyn_cast<DenseIntElementsAttr>(adaptor.getInput());
        i && i.getNumElements() <= (1 << 16))
      return i.mapValues(
          to, [](const APInt &x) { return APInt(1, x.isZero() ? 0 : 1); });
    return {};
  }
  auto a = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getInput());
  if (!a || !to || a.getNumElements() > (1 << 16) || to.getWidth() == 1 ||
      a.getElementType().isInteger(1) || !type.hasStaticShape())
    return {};
  if (a.getElementType() == to)
    return a;
  bool fromUnsigned = a.getElementType().isUnsignedInteger();
  return a.mapValues(to, [&](const APInt &x) {
    return fromUnsigned ? x.zextOrTrunc(to.getWidth())
                        : x.sextOrTrunc(to.getWidth());
  });
}
