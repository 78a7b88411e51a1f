//===- QCMathOps.cpp - qc ops: Math family -------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCShapeUtils.h"

#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCMathOps.cpp.inc"

void QCDialect::registerMathOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCMathOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

QC_BROADCAST_INFERENCE(MaxOp, Type(), true)
QC_BROADCAST_INFERENCE(MinOp, Type(), true)
QC_BROADCAST_INFERENCE(AndOp, Type(), true)
QC_BROADCAST_INFERENCE(OrOp, Type(), true)
QC_BROADCAST_INFERENCE(XorOp, Type(), true)
QC_BROADCAST_INFERENCE(ModOp, Type(), true)
QC_BROADCAST_INFERENCE(BitShiftOp, Type(), true)
QC_BROADCAST_INFERENCE(EqualOp, IntegerType::get(ctx, 1), true)
QC_BROADCAST_INFERENCE(LessOp, IntegerType::get(ctx, 1), true)
QC_BROADCAST_INFERENCE(LessEqualOp, IntegerType::get(ctx, 1), true)
QC_BROADCAST_INFERENCE(GreaterOp, IntegerType::get(ctx, 1), true)
QC_BROADCAST_INFERENCE(GreaterEqualOp, IntegerType::get(ctx, 1), true)
// ONNX Pow-12+: any numeric exponent type; the result takes the base's.
QC_BROADCAST_INFERENCE(PowOp, Type(), false)

/// An elementwise op whose result has its input's type.
#define SAME_TYPE_INFERENCE(OP) QC_INFER_RESULT_WITH(OP, inputType)
SAME_TYPE_INFERENCE(NegOp)
SAME_TYPE_INFERENCE(AbsOp)
SAME_TYPE_INFERENCE(SqrtOp)
SAME_TYPE_INFERENCE(ReciprocalOp)
SAME_TYPE_INFERENCE(ExpOp)
SAME_TYPE_INFERENCE(LogOp)
SAME_TYPE_INFERENCE(ErfOp)
SAME_TYPE_INFERENCE(TanhOp)
SAME_TYPE_INFERENCE(SigmoidOp)
SAME_TYPE_INFERENCE(SoftplusOp)
SAME_TYPE_INFERENCE(HardSwishOp)
SAME_TYPE_INFERENCE(FloorOp)
SAME_TYPE_INFERENCE(CeilOp)
SAME_TYPE_INFERENCE(RoundOp)
SAME_TYPE_INFERENCE(SinOp)
SAME_TYPE_INFERENCE(CosOp)
SAME_TYPE_INFERENCE(TanOp)
SAME_TYPE_INFERENCE(AsinOp)
SAME_TYPE_INFERENCE(AcosOp)
SAME_TYPE_INFERENCE(AtanOp)
SAME_TYPE_INFERENCE(SinhOp)
SAME_TYPE_INFERENCE(CoshOp)
SAME_TYPE_INFERENCE(AsinhOp)
SAME_TYPE_INFERENCE(AcoshOp)
SAME_TYPE_INFERENCE(AtanhOp)
SAME_TYPE_INFERENCE(SoftsignOp)
SAME_TYPE_INFERENCE(SignOp)
SAME_TYPE_INFERENCE(NotOp)
SAME_TYPE_INFERENCE(LeakyReluOp)
SAME_TYPE_INFERENCE(EluOp)
SAME_TYPE_INFERENCE(SeluOp)
SAME_TYPE_INFERENCE(HardSigmoidOp)
SAME_TYPE_INFERENCE(MishOp)
SAME_TYPE_INFERENCE(CeluOp)
SAME_TYPE_INFERENCE(ThresholdedReluOp)
SAME_TYPE_INFERENCE(ShrinkOp)
SAME_TYPE_INFERENCE(GeluOp)
SAME_TYPE_INFERENCE(ClipOp)
SAME_TYPE_INFERENCE(SoftmaxOp)
SAME_TYPE_INFERENCE(LogSoftmaxOp)
#undef SAME_TYPE_INFERENCE

/// A float -> bool elementwise op: the input's shape, i1.
template <typename Adaptor>
static FailureOr<RankedTensorType> predicateType(std::optional<Location>,
                                                 Adaptor adaptor) {
  RankedTensorType in = tensorType(adaptor.getInput());
  return in.clone(IntegerType::get(in.getContext(), 1));
}
#define PREDICATE_INFERENCE(OP) QC_INFER_RESULT_WITH(OP, predicateType)
PREDICATE_INFERENCE(IsNaNOp)
PREDICATE_INFERENCE(IsInfOp)
#undef PREDICATE_INFERENCE

LogicalResult ShrinkOp::verify() {
  if (getLambd().convertToFloat() < 0.0f)
    return emitOpError("lambd must be >= 0");
  return success();
}

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() && getMin()->convertToFloat() > getMax()->convertToFloat())
    return emitOpError("min ") << getMin()->convertToFloat()
                               << " is greater than max "
                               << getMax()->convertToFloat();
  return success();
}



LogicalResult ModOp::verify() {
  if (!getFmod() && isa<FloatType>(getLhs().getType().getElementType()))
    return emitOpError("float operands need fmod = true (as in ONNX Mod)");
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto c = tensorType(adaptor.getCondition()), l = tensorType(adaptor.getLhs()),
       r = tensorType(adaptor.getRhs());
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "lhs and rhs element types differ: ",
                             l.getElementType(), " and ", r.getElementType());
  auto s = broadcastShapes(c.getShape(), l.getShape());
  if (succeeded(s))
    s = broadcastShapes(*s, r.getShape());
  if (failed(s))
    return emitOptionalError(loc, "operand shapes do not broadcast: ",
                             dimsStr(c.getShape()), ", ", dimsStr(l.getShape()),
                             " and ", dimsStr(r.getShape()));
  inferred.push_back(l.clone(*s));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(WhereOp)

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range [0, " << rank << ")";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

/// A norm's `scale`/`bias` `v`: the input's element type, broadcasting
/// (unidirectionally) to the normalized dims [axis, rank) of `in`.
static LogicalResult checkNormParam(std::optional<Location> loc,
                                    RankedTensorType in, int64_t axis, Value v,
                                    StringRef what) {
  ArrayRef<int64_t> norm = in.getShape().drop_front(axis);
  auto t = tensorType(v);
  if (t.getElementType() != in.getElementType())
    return emitOptionalError(loc, what, " element type ", t.getElementType(),
                             " must match the input's");
  auto b = broadcastShapes(norm, t.getShape());
  if (t.getRank() > (int64_t)norm.size() || failed(b) ||
      !shapesCompatible(*b, norm))
    return emitOptionalError(loc, what, " shape ", dimsStr(t.getShape()),
                             " does not broadcast to the normalized dims ",
                             dimsStr(norm));
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto in = tensorType(adaptor.getInput());
  int64_t rank = in.getRank(), axis = adaptor.getAxis();
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range [0, ",
                             rank, ")");
  if (failed(checkNormParam(loc, in, axis, adaptor.getScale(), "scale")) ||
      (adaptor.getBias() &&
       failed(checkNormParam(loc, in, axis, adaptor.getBias(), "bias"))))
    return failure();
  SmallVector<int64_t> stat(in.getShape().take_front(axis));
  stat.append(rank - axis, 1);
  inferred.assign({in, in.clone(stat), in.clone(stat)});
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(LayerNormOp)

LogicalResult LayerNormOp::verify() {
  if (getEpsilon().convertToFloat() < 0.0f)
    return emitOpError("epsilon must be >= 0");
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The input with `axes` (sorted, distinct, in range) dropped, or kept as
/// 1 with keepdims.
template <typename Adaptor>
static FailureOr<RankedTensorType> inferReduce(std::optional<Location> loc,
                                               Adaptor adaptor) {
  RankedTensorType in = tensorType(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  bool keepdims = adaptor.getKeepdims();
  int64_t rank = in.getRank();
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= rank)
      return emitOptionalError(loc, "axis ", axes[i], " is out of range [0, ",
                               rank, ")");
    if (i && axes[i] <= axes[i - 1])
      return emitOptionalError(loc, "axes must be sorted and distinct");
  }
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(in.getDimSize(d));
    else if (keepdims)
      out.push_back(1);
  }
  return in.clone(out);
}
QC_INFER_RESULT_WITH(ReduceMeanOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceSumOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceMaxOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceMinOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceProdOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceL1Op, inferReduce)
QC_INFER_RESULT_WITH(ReduceL2Op, inferReduce)
QC_INFER_RESULT_WITH(ReduceSumSquareOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceLogSumOp, inferReduce)
QC_INFER_RESULT_WITH(ReduceLogSumExpOp, inferReduce)

LogicalResult DynamicReduceOp::verify() {
  ReduceKind k = getKind();
  bool intKind = k == ReduceKind::sum || k == ReduceKind::max ||
                 k == ReduceKind::min || k == ReduceKind::prod;
  auto in = tensorType(getInput()), out = tensorType(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from the input's "
           << in.getElementType();
  if (!intKind && !isa<FloatType>(in.getElementType()))
    return emitOpError("reduction '")
           << stringifyReduceKind(k) << "' takes float tensors";
  int64_t rank = in.getRank(), len = tensorType(getAxes()).getDimSize(0);
  if (getKeepdims()) {
    if (out.getRank() != rank)
      return emitOpError("with keepdims the result rank must be ") << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (!dimsCompatible(out.getDimSize(d), 1) &&
          !dimsCompatible(out.getDimSize(d), in.getDimSize(d)))
        return emitOpError("result dim ")
               << d << " must be 1 or the input's " << in.getDimSize(d);
    return success();
  }
  if (ShapedType::isDynamic(len))
    return emitOpError("without keepdims the axes length must be static");
  if (len > rank)
    return emitOpError("axes has ")
           << len << " entries but the input has rank " << rank;
  int64_t expected = len == 0 ? (getNoopWithEmptyAxes() ? rank : 0)
                              : rank - len;
  if (out.getRank() != expected)
    return emitOpError("result rank ")
           << out.getRank() << " must be " << expected << " (input rank "
           << rank << ", " << len << " axes)";
  return success();
}

//===----------------------------------------------------------------------===//
// Raised patterns
//===----------------------------------------------------------------------===//

QC_INFER_RESULT_WITH(RmsNormOp, inputType)
QC_INFER_RESULT_WITH(SiluOp, inputType)
QC_COMPATIBLE_RESULT_TYPES(AttentionOp)

LogicalResult RmsNormOp::verify() {
  if (failed(verifyAxis(*this, getAxis(), getInput().getType().getRank())))
    return failure();
  if (getEpsilon().convertToFloat() < 0.0f)
    return emitOpError("epsilon must be >= 0");
  return checkNormParam(getLoc(), getInput().getType(), getAxis(), getScale(),
                        "scale");
}


/// The result type of qc.attention, or a message saying why there is none.
static FailureOr<RankedTensorType>
attentionType(RankedTensorType q, RankedTensorType k, RankedTensorType v,
              std::string &why) {
  llvm::raw_string_ostream os(why);
  if (q.getRank() < 2 || k.getRank() < 2 || v.getRank() < 2) {
    os << "query, key_t and value must have rank >= 2";
    return failure();
  }
  if (k.getElementType() != q.getElementType() ||
      v.getElementType() != q.getElementType()) {
    os << "query, key_t and value must have one element type";
    return failure();
  }
  int64_t d = q.getShape().back(), sk = k.getShape().back();
  if (!dimsCompatible(k.getShape()[k.getRank() - 2], d)) {
    os << "key_t " << shapeStr(k.getShape())
       << " must be [..., D, Sk] with the query's D = " << shapeStr(d);
    return failure();
  }
  if (!dimsCompatible(v.getShape()[v.getRank() - 2], sk)) {
    os << "value " << shapeStr(v.getShape())
       << " must be [..., Sk, Dv] with key_t's Sk = " << shapeStr(sk);
    return failure();
  }
  auto batch = broadcastShapes(q.getShape().drop_back(2),
                               k.getShape().drop_back(2));
  if (succeeded(batch))
    batch = broadcastShapes(*batch, v.getShape().drop_back(2));
  if (failed(batch)) {
    os << "batch dims of query " << shapeStr(q.getShape()) << ", key_t "
       << shapeStr(k.getShape()) << " and value " << shapeStr(v.getShape())
       << " do not broadcast";
    return failure();
  }
  SmallVector<int64_t> shape = *batch;
  shape.push_back(q.getShape()[q.getRank() - 2]);
  shape.push_back(v.getShape().back());
  return RankedTensorType::get(shape, q.getElementType());
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  std::string why;
  auto t = attentionType(cast<RankedTensorType>(adaptor.getQuery().getType()),
                         cast<RankedTensorType>(adaptor.getKeyT().getType()),
                         cast<RankedTensorType>(adaptor.getValue().getType()),
                         why);
  if (failed(t))
    return emitOptionalError(loc, "'qc.attention' op ", why);
  inferred.push_back(*t);
  return success();
}

LogicalResult AttentionOp::verify() {
  auto res = getResult().getType();
  // The result's type is checked against the inferred one by the
  // interface; the operands' constraints are re-checked here for the
  // message.
  std::string why;
  auto t = attentionType(getQuery().getType(), getKeyT().getType(),
                         getValue().getType(), why);
  if (failed(t))
    return emitOpError(why);
  if (!getMask()) {
    if (getMaskValue())
      return emitOpError("mask_value needs an i1 mask");
    return success();
  }
  auto m = cast<RankedTensorType>(getMask().getType());
  bool isBool = m.getElementType().isInteger(1);
  if (isBool != getMaskValue().has_value())
    return emitOpError(isBool ? "an i1 mask needs mask_value"
                              : "mask_value applies to an i1 mask only");
  if (!isBool && m.getElementType() != res.getElementType())
    return emitOpError("a float mask must have the result's element type");
  // Scores: [batch..., Sq, Sk]; the mask may not enlarge them.
  SmallVector<int64_t> scores(t->getShape().drop_back());
  scores.push_back(getKeyT().getType().getShape().back());
  auto b = broadcastShapes(scores, m.getShape());
  if (failed(b) || !shapesCompatible(*b, scores))
    return emitOpError("mask shape ")
           << shapeStr(m.getShape()) << " does not broadcast to the scores' "
           << shapeStr(scores);
  return success();
}

//===----------------------------------------------------------------------===//
// Index reductions, scans, triangles (M21-M23)
//===----------------------------------------------------------------------===//

/// The input with `axis` dropped (kept as 1 with keepdims), as i64.
template <typename Adaptor>
static FailureOr<RankedTensorType> inferArgReduce(std::optional<Location> loc,
                                                  Adaptor adaptor) {
  RankedTensorType in = tensorType(adaptor.getInput());
  int64_t axis = adaptor.getAxis(), rank = in.getRank();
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range [0, ",
                             rank, ")");
  if (in.getDimSize(axis) == 0)
    return emitOptionalError(loc, "axis ", axis,
                             " is empty: no element to take the index of");
  SmallVector<int64_t> out(in.getShape());
  if (adaptor.getKeepdims())
    out[axis] = 1;
  else
    out.erase(out.begin() + axis);
  return RankedTensorType::get(out,
                               IntegerType::get(in.getContext(), 64));
}
QC_INFER_RESULT_WITH(ArgMaxOp, inferArgReduce)
QC_INFER_RESULT_WITH(ArgMinOp, inferArgReduce)

/// A run-time scalar parameter: rank 0, or one element of rank 1.
static LogicalResult checkScalarOperand(Operation *op, Value v,
                                        StringRef what) {
  auto t = tensorType(v);
  if (t.getRank() == 0 ||
      (t.getRank() == 1 && dimsCompatible(t.getDimSize(0), 1)))
    return success();
  return op->emitOpError() << what << " must be a scalar or a one-element "
                                      "1-D tensor, got "
                           << t;
}

QC_INFER_RESULT_WITH(CumSumOp, inputType)

LogicalResult CumSumOp::verify() {
  if (tensorType(getInput()).getRank() == 0)
    return emitOpError("input must have rank >= 1");
  return checkScalarOperand(*this, getAxis(), "axis");
}

QC_INFER_RESULT_WITH(TriluOp, inputType)

LogicalResult TriluOp::verify() {
  if (tensorType(getInput()).getRank() < 2)
    return emitOpError("input must have rank >= 2, got ")
           << tensorType(getInput()).getRank();
  return getK() ? checkScalarOperand(*this, getK(), "k") : success();
}

LogicalResult TopKOp::verify() {
  auto in = tensorType(getInput());
  int64_t rank = in.getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range [0, " << rank
                                << ")";
  if (failed(checkScalarOperand(*this, getK(), "k")))
    return failure();
  for (Value r : {getValues(), getIndices()}) {
    auto t = tensorType(r);
    if (t.getRank() != rank)
      return emitOpError("results must have the input's rank ") << rank;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t want = in.getDimSize(d), got = t.getDimSize(d);
      if (d == axis) {
        if (!ShapedType::isDynamic(want) && !ShapedType::isDynamic(got) &&
            got > want)
          return emitOpError("k = ")
                 << got << " exceeds the axis extent " << want;
      } else if (!dimsCompatible(want, got)) {
        return emitOpError("result dim ")
               << d << " is " << got << ", the input's is " << want;
      }
    }
  }
  if (tensorType(getValues()).getElementType() != in.getElementType())
    return emitOpError("values must have the input's element type");
  if (!dimsCompatible(tensorType(getValues()).getDimSize(axis),
                      tensorType(getIndices()).getDimSize(axis)))
    return emitOpError("values and indices differ along the axis");
  return success();
}

//===----------------------------------------------------------------------===//
// Folding: integer negation and absolute value of small constants (shape
// arithmetic), wrapping as the Executor does.
//===----------------------------------------------------------------------===//

namespace {
template <typename F>
OpFoldResult foldIntUnary(Attribute input, Type result, F f) {
  auto a = dyn_cast_or_null<DenseIntElementsAttr>(input);
  if (!a || a.getType() != result || a.getNumElements() > (1 << 16))
    return {};
  return a.mapValues(a.getElementType(), f);
}
} // namespace

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldIntUnary(adaptor.getInput(), getType(),
                      [](const APInt &x) { return -x; });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldIntUnary(adaptor.getInput(), getType(),
                      [](const APInt &x) { return ~x; });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  bool isUnsigned = getType().getElementType().isUnsignedInteger();
  return foldIntUnary(adaptor.getInput(), getType(), [&](const APInt &x) {
    return isUnsigned ? x : x.abs();
  });
}

/// f32 constants, the exponent one value or of the base's shape (shape
/// arithmetic: sqrt(positions) as pow 0.5), as the Executor computes them:
/// x^2 and x^3 as products in double, anything else by powf.
OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  auto a = dyn_cast_or_null<DenseFPElementsAttr>(adaptor.getLhs());
  auto b = dyn_cast_or_null<DenseFPElementsAttr>(adaptor.getRhs());
  auto type = cast<RankedTensorType>(getType());
  if (!a || !b || a.getType() != type || !type.getElementType().isF32() ||
      !b.getElementType().isF32() || a.getNumElements() > 4096 ||
      (b.getNumElements() != 1 && b.getType() != type))
    return {};
  SmallVector<float> x(a.getValues<float>()), y(b.getValues<float>());
  SmallVector<float> r;
  for (size_t i = 0; i < x.size(); ++i) {
    float e = y[y.size() == 1 ? 0 : i];
    double d = x[i];
    r.push_back(y.size() == 1 && e == 2.0f   ? (float)(d * d)
                : y.size() == 1 && e == 3.0f ? (float)(d * d * d)
                                             : std::pow(x[i], e));
  }
  return DenseElementsAttr::get(type, ArrayRef<float>(r));
}
