//===- HandlersQuant.cpp - ONNX handlers: Quant op family ------------------===//
//
// Small handlers keyed by (op type, since_version); see Handlers.cpp for the
// conventions (NodeContext, input/output counts, diagnostics).
// QuantizeLinear / DequantizeLinear (10, 13, 19, 21, 23),
// DynamicQuantizeLinear (11) and Cast (6, 9, 13, 19, 21, 23) on numeric
// types; semantics in docs/Quantization-ops.md.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {

/// The element type an ONNX `to` / `output_dtype` names, or null.
Type numericType(MLIRContext *ctx, int64_t dt) {
  switch (dt) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(ctx);
  case onnx::TensorProto::FLOAT16:
    return Float16Type::get(ctx);
  case onnx::TensorProto::BFLOAT16:
    return BFloat16Type::get(ctx);
  case onnx::TensorProto::INT32:
    return IntegerType::get(ctx, 32);
  case onnx::TensorProto::INT64:
    return IntegerType::get(ctx, 64);
  case onnx::TensorProto::BOOL:
    return IntegerType::get(ctx, 1);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(ctx);
  case onnx::TensorProto::INT16:
    return IntegerType::get(ctx, 16);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(ctx, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(ctx, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(ctx, 64, IntegerType::Unsigned);
  default:
    return codeElementType(*ctx, (int32_t)dt);
  }
}

StringRef typeName(int64_t dt) {
  return dt >= INT32_MIN && dt <= INT32_MAX ? dataTypeName((int32_t)dt)
                                            : StringRef("<invalid data type>");
}

/// Optional zero point (input 2) as codes; null Value when absent.
FailureOr<Value> zeroPointInput(NodeContext &n) {
  if (!n.hasInput(2))
    return Value();
  FailureOr<Value> zp = n.anyInput(2);
  if (failed(zp))
    return failure();
  if (elementTypeOf(*zp).isF32()) {
    n.emitError() << "zero point '" << n.node.input(2)
                  << "' is FLOAT; it must have the quantized type (INT8, "
                     "UINT8, INT4, UINT4, FLOAT8E4M3FN, FLOAT8E5M2, "
                     "FLOAT4E2M1)";
    return failure();
  }
  return zp;
}

/// Shared checks of the linear ops: axis, block_size, precision.
LogicalResult linearAttrs(NodeContext &n, int64_t &axis, int64_t &blockSize) {
  FailureOr<int64_t> a = n.intAttr("axis", 1);
  FailureOr<int64_t> b = n.intAttr("block_size", 0);
  if (failed(a) || failed(b))
    return failure();
  if (*b < 0) {
    n.emitError() << "block_size must not be negative, got " << *b;
    return failure();
  }
  if (*b > 0 && n.opsetVersion < 21) {
    n.emitError() << "block_size needs opset 21 or later";
    return failure();
  }
  axis = *a;
  blockSize = *b;
  return success();
}

/// Verifies the op just built; turns a verifier failure into a node error
/// (the verifier's message follows as a note at the node's location).
template <typename OpTy> LogicalResult verified(NodeContext &n, OpTy op) {
  if (succeeded(op.verify()))
    return success();
  n.emitError() << "invalid parameters (see the previous error)";
  op->erase();
  return failure();
}

LogicalResult importQuantizeLinear(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  FailureOr<Value> scale = n.floatInput(1);
  if (failed(x) || failed(scale))
    return failure();
  FailureOr<Value> zp = zeroPointInput(n);
  int64_t axis, blockSize;
  if (failed(zp) || failed(linearAttrs(n, axis, blockSize)))
    return failure();
  FailureOr<int64_t> sat = n.intAttr("saturate", 1);
  FailureOr<int64_t> outDt = n.intAttr("output_dtype", 0);
  FailureOr<int64_t> precision = n.intAttr("precision", 0);
  if (failed(sat) || failed(outDt) || failed(precision))
    return failure();
  if (*precision != 0 && *precision != onnx::TensorProto::FLOAT) {
    n.emitError() << "precision " << typeName(*precision)
                  << " is not supported (the division is done in FLOAT)";
    return failure();
  }
  Type codeType;
  if (*outDt != 0) {
    codeType = codeElementType(*n.getContext(), (int32_t)*outDt);
    if (!codeType) {
      n.emitError() << "output_dtype " << typeName(*outDt)
                    << " is not a supported quantized type (INT8, UINT8, "
                       "INT4, UINT4, FLOAT8E4M3FN, FLOAT8E5M2, FLOAT4E2M1)";
      return failure();
    }
  }
  if (*zp) {
    Type zt = elementTypeOf(*zp);
    if (codeType && zt != codeType) {
      n.emitError() << "output_dtype " << typeName(*outDt)
                    << " disagrees with the zero point's type " << zt;
      return failure();
    }
    codeType = zt;
  }
  if (!codeType)
    codeType = IntegerType::get(n.getContext(), 8, IntegerType::Unsigned);
  auto xt = cast<RankedTensorType>(x->getType());
  auto op = qc::QuantizeLinearOp::create(
      n.builder(), n.loc, RankedTensorType::get(xt.getShape(), codeType), *x,
      *scale, *zp, axis, blockSize, *sat != 0);
  if (failed(verified(n, op)))
    return failure();
  n.setOutput(0, op.getResult());
  return success();
}

/// DequantizeLinear of INT32 codes (a Gemm/Conv bias ONNX Runtime's
/// quantizer stores with scale = scale_x * scale_w): y = float(x) * scale
/// (ONNX: the zero point of INT32 codes is 0), spelled in qc.cast / qc.mul
/// (the Numerics codecs are for 8-bit and narrower codes). Per tensor or
/// per axis; blocked INT32 is refused.
LogicalResult importDequantizeInt32(NodeContext &n, Value x, Value scale,
                                    Value zp, int64_t axis, int64_t blockSize) {
  auto xTy = cast<RankedTensorType>(x.getType());
  auto sTy = cast<RankedTensorType>(scale.getType());
  if (blockSize != 0) {
    n.emitError() << "blocked DequantizeLinear of INT32 codes is not "
                     "supported (per tensor or per axis only)";
    return failure();
  }
  if (!sTy.getElementType().isF32()) {
    n.emitError() << "INT32 codes need a FLOAT scale, got "
                  << sTy.getElementType();
    return failure();
  }
  int64_t rank = xTy.getRank();
  if (axis < 0)
    axis += rank;
  bool perAxis = !(sTy.hasStaticShape() && sTy.getNumElements() == 1);
  if (perAxis && (sTy.getRank() != 1 || axis < 0 || axis >= rank)) {
    n.emitError() << "per-axis INT32 scale must be 1-D along an axis of x";
    return failure();
  }
  OpBuilder &b = n.builder();
  auto like = [&](Type elem) {
    return RankedTensorType::get(xTy.getShape(), elem);
  };
  // A per-axis scale [N] broadcasts along `axis` as [N, 1, ..., 1].
  auto alongAxis = [&](Value v) -> Value {
    if (!perAxis || axis == rank - 1)
      return v;
    auto vTy = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(rank - axis, 1), attr(rank - axis, 1);
    shape[0] = vTy.getDimSize(0);
    attr[0] = vTy.isDynamicDim(0) ? -1 : shape[0]; // ONNX Reshape's -1
    return qc::ReshapeOp::create(
               b, n.loc, RankedTensorType::get(shape, vTy.getElementType()), v,
               b.getDenseI64ArrayAttr(attr))
        .getResult();
  };
  // ONNX: an INT32 zero point is 0 ("supposed to be 0"); refuse others
  // rather than guess what was meant.
  if (zp) {
    DenseElementsAttr z;
    if (!matchPattern(zp, m_Constant(&z)) ||
        llvm::any_of(z.getValues<APInt>(),
                     [](const APInt &v) { return !v.isZero(); })) {
      n.emitError() << "an INT32 zero point must be a constant 0 (ONNX)";
      return failure();
    }
  }
  Value v = x;
  v = qc::CastOp::create(b, n.loc, like(b.getF32Type()), v).getResult();
  auto mul =
      qc::MulOp::create(b, n.loc, like(b.getF32Type()), v, alongAxis(scale));
  if (failed(verified(n, mul)))
    return failure();
  n.setOutput(0, mul.getResult());
  return success();
}

LogicalResult importDequantizeLinear(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<Value> scale = n.floatInput(1);
  if (failed(x) || failed(scale))
    return failure();
  Type xt = elementTypeOf(*x);
  // INT32 codes (initializers of INT32 may arrive held in i64: ONNX allows
  // no INT64 codes here, so an i64 x is an INT32 one).
  if (xt.isInteger(32) || xt.isInteger(64)) {
    FailureOr<Value> zp32 =
        n.hasInput(2) ? n.anyInput(2) : FailureOr<Value>(Value());
    int64_t axis32, block32;
    if (failed(zp32) || failed(linearAttrs(n, axis32, block32)))
      return failure();
    return importDequantizeInt32(n, *x, *scale, *zp32, axis32, block32);
  }
  if (isa<Float32Type, Float16Type, BFloat16Type>(xt) || xt.isInteger(32) ||
      xt.isInteger(64)) {
    n.emitError() << "input x has element type " << xt
                  << "; quantc dequantizes INT8, UINT8, INT4, UINT4, "
                     "FLOAT8E4M3FN, FLOAT8E5M2 and FLOAT4E2M1 codes";
    return failure();
  }
  FailureOr<Value> zp = zeroPointInput(n);
  int64_t axis, blockSize;
  if (failed(zp) || failed(linearAttrs(n, axis, blockSize)))
    return failure();
  FailureOr<int64_t> outDt = n.intAttr("output_dtype", 0);
  if (failed(outDt))
    return failure();
  Type resType = Float32Type::get(n.getContext());
  if (*outDt != 0) {
    resType = numericType(n.getContext(), *outDt);
    if (!resType || !isa<Float32Type, Float16Type, BFloat16Type>(resType)) {
      n.emitError() << "output_dtype " << typeName(*outDt)
                    << " is not supported (FLOAT, FLOAT16, BFLOAT16)";
      return failure();
    }
  }
  if (*zp && elementTypeOf(*zp) != xt) {
    n.emitError() << "zero point type " << elementTypeOf(*zp)
                  << " differs from x's type " << xt;
    return failure();
  }
  auto op = qc::DequantizeLinearOp::create(
      n.builder(), n.loc,
      RankedTensorType::get(cast<ShapedType>(x->getType()).getShape(),
                            resType),
      *x, *scale, *zp, axis, blockSize);
  if (failed(verified(n, op)))
    return failure();
  n.setOutput(0, op.getResult());
  return success();
}

LogicalResult importDynamicQuantizeLinear(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  MLIRContext *ctx = n.getContext();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  auto op = qc::DynamicQuantizeLinearOp::create(
      n.builder(), n.loc,
      RankedTensorType::get(cast<ShapedType>(x->getType()).getShape(), u8),
      RankedTensorType::get({}, Float32Type::get(ctx)),
      RankedTensorType::get({}, u8), *x);
  for (int i = 0; i < 3; ++i)
    if (i < n.node.output_size() && !n.node.output(i).empty())
      n.setOutput(i, op->getResult(i));
  return success();
}

LogicalResult importCast(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  const onnx::AttributeProto *to = n.attr("to");
  if (!to) {
    n.emitError() << "attribute 'to' is missing";
    return failure();
  }
  FailureOr<int64_t> dt = n.intAttr("to", 0);
  FailureOr<int64_t> sat = n.intAttr("saturate", 1);
  if (failed(dt) || failed(sat))
    return failure();
  Type outType = numericType(n.getContext(), *dt);
  if (!outType) {
    n.emitError() << "casting to " << typeName(*dt)
                  << " is not supported (the numeric types FLOAT, FLOAT16, "
                     "BFLOAT16, DOUBLE, INT8-INT64, UINT8-UINT64, BOOL and "
                     "the quantized types are)";
    return failure();
  }
  auto op = qc::CastOp::create(
      n.builder(), n.loc,
      RankedTensorType::get(cast<ShapedType>(x->getType()).getShape(),
                            outType),
      *x, *sat != 0);
  if (failed(verified(n, op)))
    return failure();
  n.setOutput(0, op.getResult());
  return success();
}

/// CastLike-15+: Cast to the element type of input 1 (only its type is
/// read; a constant's ONNX type counts, not the f32 it would import as).
LogicalResult importCastLike(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  FailureOr<int64_t> sat = n.intAttr("saturate", 1);
  if (failed(sat))
    return failure();
  Type outType;
  if (const onnx::TensorProto *t = n.constantInput(1)) {
    outType = numericType(n.getContext(), t->data_type());
    if (!outType) {
      n.emitError() << "casting to " << typeName(t->data_type())
                    << " (the type of input 'target_type') is not supported";
      return failure();
    }
  } else {
    FailureOr<Value> like = n.anyInput(1);
    if (failed(like))
      return failure();
    outType = cast<ShapedType>(like->getType()).getElementType();
  }
  auto op = qc::CastOp::create(
      n.builder(), n.loc,
      RankedTensorType::get(cast<ShapedType>(x->getType()).getShape(), outType),
      *x, *sat != 0);
  if (failed(verified(n, op)))
    return failure();
  n.setOutput(0, op.getResult());
  return success();
}

const OnnxOpHandlerSpec kQuantHandlers[] = {
    // opType, since_versions, minIn, maxIn, minOut, maxOut, handler
    {"Cast", {6, 9, 13, 19, 21, 23}, 1, 1, 1, 1, importCast},
    {"CastLike", {15, 19, 21, 23}, 2, 2, 1, 1, importCastLike},
    {"DequantizeLinear", {10, 13, 19, 21, 23}, 2, 3, 1, 1,
     importDequantizeLinear},
    {"DynamicQuantizeLinear", {11}, 1, 1, 1, 3, importDynamicQuantizeLinear},
    {"QuantizeLinear", {10, 13, 19, 21, 23}, 2, 3, 1, 1, importQuantizeLinear},
};

} // namespace

llvm::ArrayRef<OnnxOpHandlerSpec> quantc::onnx_import::getQuantOnnxOpHandlers() {
  return kQuantHandlers;
}
