//===- QCShapeOps.cpp - qc ops: Shape family -------------------------===//
//
// Type inference and verifiers of the shape/layout ops. Rules are labelled
// S1.. in docs/Ops-shape.md; every error here has a case in
// test/Dialect/QC/invalid-shape.mlir.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/IR/QCShapeUtils.h"

#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCShapeOps.cpp.inc"

void QCDialect::registerShapeOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCShapeOps.cpp.inc"
      >();
}

namespace {
RankedTensorType rt(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Element types must agree between data operand and result.
LogicalResult sameElement(Operation *op, Value in, Value out) {
  if (rt(in).getElementType() != rt(out).getElementType())
    return op->emitOpError("result element type ")
           << rt(out).getElementType() << " differs from the input's "
           << rt(in).getElementType();
  return success();
}

} // namespace

// Result types are inferred (InferTypeOpAdaptor): each rule is written once,
// below; the InferTypeOpInterface verifier checks a declared type against
// it, and a precondition that fails is reported at the op.

/// An axis attribute within [0, rank).
static LogicalResult checkAxis(std::optional<Location> loc, int64_t axis,
                               int64_t rank) {
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range [0, ",
                             rank, ")");
  return success();
}

static RankedTensorType like(Value v, ArrayRef<int64_t> shape) {
  return rt(v).clone(shape);
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ArrayRef<int64_t> d = rt(adaptor.getData()).getShape();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, d.size())))
    return failure();
  SmallVector<int64_t> out(d.take_front(axis));
  llvm::append_range(out, rt(adaptor.getIndices()).getShape());
  llvm::append_range(out, d.drop_front(axis + 1));
  inferred.push_back(like(adaptor.getData(), out));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  RankedTensorType d = rt(adaptor.getData()), ix = rt(adaptor.getIndices());
  if (failed(checkAxis(loc, adaptor.getAxis(), d.getRank())))
    return failure();
  if (ix.getRank() != d.getRank())
    return emitOptionalError(loc, "indices rank ", ix.getRank(),
                             " differs from the data rank ", d.getRank());
  inferred.push_back(d.clone(ix.getShape()));
  return success();
}

/// GatherND/ScatterND's index tuple length: the static last dim of
/// `indices` (rank >= 1), at least 1 and at most `room`.
static FailureOr<int64_t> tupleLength(std::optional<Location> loc,
                                      RankedTensorType ix, int64_t room) {
  if (ix.getRank() < 1)
    return emitOptionalError(loc, "indices must have rank >= 1");
  int64_t m = ix.getShape().back();
  if (ShapedType::isDynamic(m))
    return emitOptionalError(loc, "the last dim of indices (the index "
                                  "tuple's length) must be static");
  if (m < 1 || m > room)
    return emitOptionalError(loc, "index tuples of length ", m,
                             " do not fit: 1 to ", room, " dims of data");
  return m;
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  RankedTensorType d = rt(adaptor.getData()), ix = rt(adaptor.getIndices());
  int64_t b = adaptor.getBatchDims(), r = d.getRank(), q = ix.getRank();
  if (q < 1)
    return emitOptionalError(loc, "indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q))
    return emitOptionalError(loc, "batch_dims ", b,
                             " must be in [0, min(data rank, indices rank))");
  for (int64_t i = 0; i < b; ++i)
    if (!dimsCompatible(d.getDimSize(i), ix.getDimSize(i)))
      return emitOptionalError(loc, "batch dim ", i, " is ", d.getDimSize(i),
                               " in data but ", ix.getDimSize(i),
                               " in indices");
  FailureOr<int64_t> m = tupleLength(loc, ix, r - b);
  if (failed(m))
    return failure();
  SmallVector<int64_t> out(ix.getShape().drop_back());
  llvm::append_range(out, d.getShape().drop_front(b + *m));
  inferred.push_back(d.clone(out));
  return success();
}

/// The scatters' result: the data's type.
template <typename Adaptor>
static FailureOr<RankedTensorType> dataType(std::optional<Location>,
                                            Adaptor adaptor) {
  return rt(adaptor.getData());
}
QC_INFER_RESULT_WITH(ScatterNDOp, dataType)
QC_INFER_RESULT_WITH(ScatterElementsOp, dataType)

LogicalResult ScatterNDOp::verify() {
  RankedTensorType d = rt(getData()), ix = rt(getIndices()),
                   u = rt(getUpdates());
  FailureOr<int64_t> m = tupleLength(getLoc(), ix, d.getRank());
  if (failed(m))
    return failure();
  if (u.getElementType() != d.getElementType())
    return emitOpError("updates have element type ")
           << u.getElementType() << ", data " << d.getElementType();
  SmallVector<int64_t> want(ix.getShape().drop_back());
  llvm::append_range(want, d.getShape().drop_front(*m));
  if (u.getRank() != (int64_t)want.size() ||
      !llvm::all_of(llvm::zip(u.getShape(), want), [](auto p) {
        return dimsCompatible(std::get<0>(p), std::get<1>(p));
      }))
    return emitOpError("updates must be indices.shape[:-1] + data.shape[")
           << *m << ":] = " << shapeStr(want) << ", got "
           << shapeStr(u.getShape());
  return success();
}


LogicalResult ScatterElementsOp::verify() {
  RankedTensorType d = rt(getData()), ix = rt(getIndices()),
                   u = rt(getUpdates());
  if (failed(checkAxis(getLoc(), getAxis(), d.getRank())))
    return failure();
  if (ix.getRank() != d.getRank())
    return emitOpError("indices rank ")
           << ix.getRank() << " differs from the data rank " << d.getRank();
  if (u.getElementType() != d.getElementType())
    return emitOpError("updates have element type ")
           << u.getElementType() << ", data " << d.getElementType();
  if (u.getRank() != ix.getRank() ||
      !llvm::all_of(llvm::zip(u.getShape(), ix.getShape()), [](auto p) {
        return dimsCompatible(std::get<0>(p), std::get<1>(p));
      }))
    return emitOpError("updates shape ")
           << shapeStr(u.getShape()) << " differs from the indices' "
           << shapeStr(ix.getShape());
  return success();
}

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  RankedTensorType in = rt(adaptor.getInput());
  // With no element the count is known: 0.
  int64_t n = in.hasStaticShape() && in.getNumElements() == 0
                  ? 0
                  : ShapedType::kDynamic;
  inferred.push_back(
      RankedTensorType::get({in.getRank(), n}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "needs at least one input");
  RankedTensorType first = rt(inputs[0]);
  int64_t rank = first.getRank(), axis = adaptor.getAxis();
  if (failed(checkAxis(loc, axis, rank)))
    return failure();
  SmallVector<int64_t> out(first.getShape());
  for (auto [k, v] : llvm::enumerate(inputs.drop_front())) {
    RankedTensorType t = rt(v);
    if (t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "input ", k + 1, " has element type ",
                               t.getElementType(), ", input 0 has ",
                               first.getElementType());
    if (t.getRank() != rank)
      return emitOptionalError(loc, "input ", k + 1, " has rank ",
                               t.getRank(), ", input 0 has ", rank);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t a = out[d], b = t.getDimSize(d);
      if (d == axis)
        out[d] = ShapedType::isDynamic(a) || ShapedType::isDynamic(b)
                     ? ShapedType::kDynamic
                     : a + b;
      else if (!dimsCompatible(a, b))
        return emitOptionalError(loc, "input ", k + 1, " has size ", b,
                                 " in dimension ", d, ", expected ", a);
      else if (ShapedType::isDynamic(a))
        out[d] = b;
    }
  }
  inferred.push_back(first.clone(out));
  return success();
}

/// The number of elements that ONNX Slice takes from a dimension of size
/// `dim` (after clamping), and the normalized start. Shared with the
/// Executor's kernel and the importer's folding via sliceExtent.
static int64_t sliceCount(int64_t dim, int64_t start, int64_t end,
                          int64_t step, int64_t *firstOut) {
  if (dim <= 0) { // nothing to take (and no valid clamp range below)
    if (firstOut)
      *firstOut = 0;
    return 0;
  }
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  if (firstOut)
    *firstOut = start;
  if (step > 0)
    return end > start ? (end - start + step - 1) / step : 0;
  return start > end ? (start - end + (-step) - 1) / (-step) : 0;
}

int64_t quantc::qc::sliceExtent(int64_t dim, int64_t start, int64_t end,
                                int64_t step, int64_t *first) {
  // ONNX clamps INT64_MAX-like ends; avoid overflow when adding dim.
  start = std::clamp<int64_t>(start, -(int64_t(1) << 62), int64_t(1) << 62);
  end = std::clamp<int64_t>(end, -(int64_t(1) << 62), int64_t(1) << 62);
  return sliceCount(dim, start, end, step, first);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  RankedTensorType in = rt(adaptor.getInput());
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    axes = adaptor.getAxes(), steps = adaptor.getSteps();
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      steps.size() != axes.size())
    return emitOptionalError(
        loc, "starts, ends, axes and steps must have the same length, got ",
        starts.size(), ", ", ends.size(), ", ", axes.size(), " and ",
        steps.size());
  SmallVector<int64_t> out(in.getShape());
  SmallVector<bool> seen(in.getRank(), false);
  for (size_t k = 0; k < axes.size(); ++k) {
    int64_t a = axes[k];
    if (failed(checkAxis(loc, a, in.getRank())))
      return failure();
    if (seen[a])
      return emitOptionalError(loc, "axis ", a, " is listed twice");
    seen[a] = true;
    if (steps[k] == 0)
      return emitOptionalError(loc, "step for axis ", a, " is 0");
    if (!ShapedType::isDynamic(out[a]))
      out[a] = sliceExtent(out[a], starts[k], ends[k], steps[k], nullptr);
  }
  inferred.push_back(in.clone(out));
  return success();
}

/// Squeeze/unsqueeze axes: sorted, distinct, within [0, rank).
static LogicalResult checkAxes(std::optional<Location> loc,
                               ArrayRef<int64_t> axes, int64_t rank) {
  for (size_t k = 0; k < axes.size(); ++k) {
    if (failed(checkAxis(loc, axes[k], rank)))
      return failure();
    if (k && axes[k] <= axes[k - 1])
      return emitOptionalError(loc, "axes must be sorted and distinct");
  }
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  RankedTensorType in = rt(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  if (failed(checkAxes(loc, axes, in.getRank())))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(in.getDimSize(d));
    else if (!dimsCompatible(in.getDimSize(d), 1))
      return emitOptionalError(loc, "dimension ", d, " has size ",
                               in.getDimSize(d), ", not 1");
  }
  inferred.push_back(in.clone(out));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType in = rt(adaptor.getInput());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  int64_t rank = in.getRank() + axes.size();
  if (failed(checkAxes(loc, axes, rank)))
    return failure();
  SmallVector<int64_t> out;
  int64_t src = 0;
  for (int64_t d = 0; d < rank; ++d)
    out.push_back(llvm::is_contained(axes, d) ? 1 : in.getDimSize(src++));
  inferred.push_back(in.clone(out));
  return success();
}

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  int64_t rank = rt(adaptor.getInput()).getRank(), s = adaptor.getStart(),
          e = adaptor.getEnd();
  if (s < 0 || e < s || e > rank)
    return emitOptionalError(loc, "start ", s, " and end ", e,
                             " must satisfy 0 <= start <= end <= ", rank);
  inferred.push_back(RankedTensorType::get({e - s}, IntegerType::get(ctx, 64)));
  return success();
}

QC_COMPATIBLE_RESULT_TYPES(GatherOp)
QC_COMPATIBLE_RESULT_TYPES(GatherElementsOp)
QC_COMPATIBLE_RESULT_TYPES(GatherNDOp)
QC_COMPATIBLE_RESULT_TYPES(NonZeroOp)
QC_COMPATIBLE_RESULT_TYPES(ConcatOp)
QC_COMPATIBLE_RESULT_TYPES(SliceOp)
QC_COMPATIBLE_RESULT_TYPES(SqueezeOp)
QC_COMPATIBLE_RESULT_TYPES(UnsqueezeOp)
QC_COMPATIBLE_RESULT_TYPES(ShapeOp)
QC_COMPATIBLE_RESULT_TYPES(FlattenOp)
QC_COMPATIBLE_RESULT_TYPES(PadOp)

LogicalResult ExpandOp::verify() {
  int64_t n = rt(getShape()).getDimSize(0);
  RankedTensorType in = rt(getInput()), out = rt(getResult());
  // Bidirectional broadcast: the shape may be shorter than the input.
  if (!ShapedType::isDynamic(n) && std::max(n, in.getRank()) != out.getRank())
    return emitOpError("shape has ") << n << " elements but the result has "
                                     << "rank " << out.getRank();
  if (out.getRank() < in.getRank())
    return emitOpError("result rank ")
           << out.getRank() << " is below the input rank " << in.getRank();
  return sameElement(*this, getInput(), getResult());
}

LogicalResult TileOp::verify() {
  int64_t n = rt(getRepeats()).getDimSize(0);
  RankedTensorType in = rt(getInput()), out = rt(getResult());
  if (!ShapedType::isDynamic(n) && n != in.getRank())
    return emitOpError("repeats has ") << n << " elements but the input has "
                                       << "rank " << in.getRank();
  if (out.getRank() != in.getRank())
    return emitOpError("result rank ")
           << out.getRank() << " differs from the input rank "
           << in.getRank();
  return sameElement(*this, getInput(), getResult());
}

/// The largest pad qc.pad takes (run-time pads: the Executor's own bound).
constexpr int64_t kMaxPad = int64_t(1) << 40;

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  RankedTensorType in = rt(adaptor.getInput());
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t rank = in.getRank();
  if ((int64_t)pads.size() != 2 * rank)
    return emitOptionalError(loc, "pads has ", pads.size(),
                             " entries, expected 2 x rank = ", 2 * rank);
  for (int64_t p : pads)
    if (p > kMaxPad || p < -kMaxPad)
      return emitOptionalError(loc, "pad ", p, " is out of range [-2^40, "
                               "2^40]");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.getDimSize(d);
    if (ShapedType::isDynamic(n)) {
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t m = n + pads[d] + pads[rank + d];
    if (m < 0)
      return emitOptionalError(loc, "pads remove more than the ", n,
                               " elements of dimension ", d);
    out.push_back(m);
  }
  inferred.push_back(in.clone(out));
  return success();
}

LogicalResult PadOp::verify() {
  RankedTensorType in = rt(getInput());
  int64_t rank = in.getRank();
  ArrayRef<int64_t> pads = getPads();
  if ((int64_t)pads.size() != 2 * rank)
    return emitOpError("pads has ")
           << pads.size() << " entries, expected 2 x rank = " << 2 * rank;
  if (std::optional<TypedAttr> v = getValue()) {
    if (getMode() != PadMode::constant)
      return emitOpError("a fill value needs mode constant, not ")
             << stringifyPadMode(getMode());
    if (v->getType() != in.getElementType())
      return emitOpError("fill value type ")
             << v->getType() << " differs from the element type "
             << in.getElementType();
  }
  // Negative pads crop first; a non-constant mode pads what remains.
  if (getMode() != PadMode::constant)
    for (int64_t d = 0; d < rank; ++d) {
      int64_t n = in.getDimSize(d), b = pads[d], e = pads[rank + d];
      if (!ShapedType::isDynamic(n) &&
          n - std::max<int64_t>(-b, 0) - std::max<int64_t>(-e, 0) <= 0 &&
          (b > 0 || e > 0))
        return emitOpError("mode ")
               << stringifyPadMode(getMode()) << " cannot pad the empty "
               << "dimension " << d;
    }
  return success();
}

LogicalResult DynamicPadOp::verify() {
  RankedTensorType in = rt(getInput()), out = rt(getResult());
  int64_t n = rt(getPads()).getDimSize(0);
  if (!ShapedType::isDynamic(n) && n != 2 * in.getRank())
    return emitOpError("pads has ") << n << " elements, expected 2 x rank = "
                                    << 2 * in.getRank();
  if (out.getRank() != in.getRank())
    return emitOpError("result rank ")
           << out.getRank() << " differs from the input rank "
           << in.getRank();
  if (Value v = getValue()) {
    if (getMode() != PadMode::constant)
      return emitOpError("a fill value needs mode constant, not ")
             << stringifyPadMode(getMode());
    if (rt(v).getRank() != 0 || rt(v).getElementType() != in.getElementType())
      return emitOpError("the fill must be a 0-d tensor of ")
             << in.getElementType() << ", got " << v.getType();
  }
  return sameElement(*this, getInput(), getResult());
}

LogicalResult RangeOp::verify() {
  Type et = rt(getResult()).getElementType();
  for (Value v : {getStart(), getLimit(), getDelta()})
    if (rt(v).getElementType() != et)
      return emitOpError("operand element type ")
             << rt(v).getElementType() << " differs from the result's " << et;
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  int64_t n = rt(getShape()).getDimSize(0);
  RankedTensorType out = rt(getResult());
  if (!ShapedType::isDynamic(n) && n != out.getRank())
    return emitOpError("shape has ") << n << " elements but the result has "
                                     << "rank " << out.getRank();
  if (!isa<IntegerAttr, FloatAttr>(getValue()))
    return emitOpError("value must be an integer or float attribute");
  if (getValue().getType() != out.getElementType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from the result element type "
           << out.getElementType();
  return success();
}

LogicalResult DynamicReshapeOp::verify() {
  int64_t n = rt(getShape()).getDimSize(0);
  RankedTensorType out = rt(getResult());
  if (!ShapedType::isDynamic(n) && n != out.getRank())
    return emitOpError("shape has ") << n << " elements but the result has "
                                     << "rank " << out.getRank();
  return sameElement(*this, getInput(), getResult());
}

LogicalResult DynamicSliceOp::verify() {
  int64_t n = rt(getStarts()).getDimSize(0);
  for (Value v : {getEnds(), getAxes(), getSteps()}) {
    int64_t m = rt(v).getDimSize(0);
    if (!ShapedType::isDynamic(n) && !ShapedType::isDynamic(m) && m != n)
      return emitOpError("starts, ends, axes and steps must have the same "
                         "length, got ")
             << n << " and " << m;
  }
  if (rt(getResult()).getRank() != rt(getInput()).getRank())
    return emitOpError("result rank ")
           << rt(getResult()).getRank() << " differs from the input rank "
           << rt(getInput()).getRank();
  return sameElement(*this, getInput(), getResult());
}

/// The axes operand of dynamic squeeze/unsqueeze: its length, when static,
/// fixes the result rank.
static LogicalResult checkAxesCount(Operation *op, Value axes, int64_t inRank,
                                    int64_t outRank, int64_t sign) {
  int64_t n = rt(axes).getDimSize(0);
  if (!ShapedType::isDynamic(n) && outRank != inRank + sign * n)
    return op->emitOpError("result rank ")
           << outRank << " should be " << inRank + sign * n << " (input rank "
           << inRank << (sign > 0 ? " plus " : " minus ") << n << " axes)";
  return success();
}

LogicalResult DynamicSqueezeOp::verify() {
  if (failed(checkAxesCount(*this, getAxes(), rt(getInput()).getRank(),
                            rt(getResult()).getRank(), -1)))
    return failure();
  return sameElement(*this, getInput(), getResult());
}

LogicalResult DynamicUnsqueezeOp::verify() {
  if (failed(checkAxesCount(*this, getAxes(), rt(getInput()).getRank(),
                            rt(getResult()).getRank(), +1)))
    return failure();
  return sameElement(*this, getInput(), getResult());
}

LogicalResult DynamicSplitOp::verify() {
  RankedTensorType in = rt(getInput());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ") << axis << " is out of range [0, "
                                << in.getRank() << ")";
  int64_t n = rt(getSplit()).getDimSize(0);
  if (!ShapedType::isDynamic(n) && n != (int64_t)getResults().size())
    return emitOpError("split has ") << n << " entries for "
                                     << getResults().size() << " results";
  for (Value r : getResults()) {
    if (rt(r).getRank() != in.getRank())
      return emitOpError("result rank ")
             << rt(r).getRank() << " differs from the input rank "
             << in.getRank();
    if (failed(sameElement(*this, getInput(), r)))
      return failure();
  }
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  RankedTensorType in = rt(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis > in.getRank())
    return emitOptionalError(loc, "axis ", axis, " is out of range [0, ",
                             in.getRank(), "]");
  auto product = [](ArrayRef<int64_t> dims) {
    int64_t p = 1;
    for (int64_t d : dims) {
      if (ShapedType::isDynamic(d))
        return ShapedType::kDynamic;
      p *= d;
    }
    return p;
  };
  inferred.push_back(in.clone({product(in.getShape().take_front(axis)),
                               product(in.getShape().drop_front(axis))}));
  return success();
}

//===----------------------------------------------------------------------===//
// Folding
//===----------------------------------------------------------------------===//

namespace {
/// Folded constants stay small (shape arithmetic, not weights).
constexpr int64_t kMaxFoldElements = 1 << 16;
} // namespace

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto in = rt(getInput());
  SmallVector<int64_t> dims;
  for (int64_t d = static_cast<int64_t>(getStart()),
               e = static_cast<int64_t>(getEnd());
       d < e; ++d) {
    if (in.isDynamicDim(d))
      return {};
    dims.push_back(in.getDimSize(d));
  }
  auto type = RankedTensorType::get({(int64_t)dims.size()},
                                    IntegerType::get(getContext(), 64));
  if (type != getType())
    return {};
  return DenseElementsAttr::get(type, ArrayRef<int64_t>(dims));
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  auto in = rt(getInput());
  if (!in.hasStaticShape() || !getType().hasStaticShape())
    return {};
  return DenseElementsAttr::get(getType(), in.getNumElements());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  return foldRelayout(adaptor.getInput(), getType());
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return foldRelayout(adaptor.getInput(), getType());
}

OpFoldResult FlattenOp::fold(FoldAdaptor adaptor) {
  return foldRelayout(adaptor.getInput(), getType());
}

/// Constant operands concatenate into one (at most 2^16 elements).
OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  auto type = getType();
  if (!type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t rank = type.getRank(), axis = getAxis();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return {};
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= type.getDimSize(d);
  SmallVector<SmallVector<Attribute>> in;
  SmallVector<int64_t> block;
  for (Attribute a : adaptor.getInputs()) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d || d.getElementType() != type.getElementType() ||
        d.getType().getRank() != rank)
      return {};
    in.emplace_back(d.getValues<Attribute>());
    block.push_back(d.getType().getDimSize(axis) * inner);
  }
  SmallVector<Attribute> values;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [vals, b] : llvm::zip(in, block))
      values.append(vals.begin() + o * b, vals.begin() + (o + 1) * b);
  if ((int64_t)values.size() != type.getNumElements())
    return {};
  return DenseElementsAttr::get(type, values);
}

namespace {
/// The integer values of `v` known at compile time: a small dense constant,
/// or a qc.shape result, whose dynamic dims are kDynamic (rule F2 of
/// docs/Ops-shape.md). Empty when nothing is known.
std::optional<SmallVector<int64_t>> knownInts(Value v, Attribute constant) {
  if (auto c = dyn_cast_or_null<DenseIntElementsAttr>(constant)) {
    if (c.getNumElements() > kMaxFoldElements)
      return std::nullopt;
    SmallVector<int64_t> vals;
    bool isUnsigned = c.getElementType().isUnsignedInteger();
    for (const APInt &x : c.getValues<APInt>())
      vals.push_back(isUnsigned ? (int64_t)x.getZExtValue() : x.getSExtValue());
    return vals;
  }
  if (auto sh = v.getDefiningOp<ShapeOp>()) {
    ArrayRef<int64_t> dims = rt(sh.getInput()).getShape();
    return SmallVector<int64_t>(dims.begin() + sh.getStart(),
                                dims.begin() + sh.getEnd());
  }
  return std::nullopt;
}

/// `vals` (every one known) as a constant of `type` (static, integer).
OpFoldResult intConstant(RankedTensorType type, ArrayRef<int64_t> vals) {
  if (!type.hasStaticShape() || (int64_t)vals.size() != type.getNumElements() ||
      llvm::any_of(vals, ShapedType::isDynamic))
    return {};
  auto it = dyn_cast<IntegerType>(type.getElementType());
  if (!it)
    return {};
  SmallVector<APInt> out;
  for (int64_t x : vals)
    out.push_back(APInt(it.getWidth(), (uint64_t)x, /*isSigned=*/true,
                        /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, out);
}
} // namespace

/// Gathers from integer constants, or picks static dims of a qc.shape.
OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto idx = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getIndices());
  std::optional<SmallVector<int64_t>> data =
      knownInts(getData(), adaptor.getData());
  auto dt = rt(getData());
  if (!idx || !data || !dt.hasStaticShape() ||
      (int64_t)data->size() != dt.getNumElements())
    return {};
  int64_t rank = dt.getRank(), axis = static_cast<int64_t>(getAxis());
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return {};
  int64_t dim = dt.getDimSize(axis), outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= dt.getDimSize(d);
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= dt.getDimSize(d);
  SmallVector<int64_t> vals;
  int64_t n = idx.getNumElements();
  if (outer * inner * n > kMaxFoldElements)
    return {};
  SmallVector<int64_t> ks;
  for (const APInt &k : idx.getValues<APInt>()) {
    int64_t x = k.getSExtValue();
    if (x < -dim || x >= dim)
      return {}; // the Executor reports it
    ks.push_back(x < 0 ? x + dim : x);
  }
  vals.resize(outer * n * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < inner; ++i)
        vals[(o * n + j) * inner + i] = (*data)[(o * dim + ks[j]) * inner + i];
  return intConstant(getType(), vals);
}

/// Slices integer constants, or static dims of a qc.shape.
OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<int64_t>> data =
      knownInts(getInput(), adaptor.getInput());
  auto it = rt(getInput());
  auto type = getType();
  if (!data || !it.hasStaticShape() || !type.hasStaticShape() ||
      (int64_t)data->size() != it.getNumElements())
    return {};
  int64_t rank = it.getRank();
  SmallVector<int64_t> first(rank, 0), step(rank, 1), out(it.getShape());
  for (auto [k, ax] : llvm::enumerate(getAxes())) {
    int64_t a = ax < 0 ? ax + rank : ax;
    if (a < 0 || a >= rank)
      return {};
    step[a] = getSteps()[k];
    out[a] = sliceExtent(it.getDimSize(a), getStarts()[k], getEnds()[k],
                         step[a], &first[a]);
  }
  if (ArrayRef<int64_t>(out) != type.getShape())
    return {};
  SmallVector<int64_t> st(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    st[d] = st[d + 1] * it.getDimSize(d + 1);
  SmallVector<int64_t> vals, idx(rank, 0);
  for (int64_t lin = 0; lin < type.getNumElements(); ++lin) {
    int64_t s = 0;
    for (int64_t d = 0; d < rank; ++d)
      s += (first[d] + idx[d] * step[d]) * st[d];
    vals.push_back((*data)[s]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
  return intConstant(type, vals);
}

namespace {
/// The element count of ONNX Range(start, limit, delta) on integers:
/// max(0, ceil((limit - start) / delta)); nothing for delta 0.
std::optional<int64_t> rangeCount(int64_t start, int64_t limit,
                                  int64_t delta) {
  if (delta == 0)
    return std::nullopt;
  __int128 span = (__int128)limit - start, d = delta;
  if ((span > 0) != (d > 0) || span == 0)
    return 0;
  __int128 n = (span + d + (d > 0 ? -1 : 1)) / d;
  if (n > INT64_MAX)
    return std::nullopt;
  return (int64_t)n;
}
} // namespace

int64_t quantc::qc::integerRangeCount(int64_t start, int64_t limit,
                                      int64_t delta) {
  return rangeCount(start, limit, delta).value_or(ShapedType::kDynamic);
}

/// An integer Range of constants whose result type has the count.
OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  auto s = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getStart());
  auto l = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getLimit());
  auto d = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getDelta());
  auto type = rt(getResult());
  // Signless and signed only: the values are read as signed.
  if (!s || !l || !d || !type.hasStaticShape() ||
      type.getElementType().isUnsignedInteger() ||
      type.getNumElements() > kMaxFoldElements)
    return {};
  int64_t start = (*s.getValues<APInt>().begin()).getSExtValue();
  int64_t limit = (*l.getValues<APInt>().begin()).getSExtValue();
  int64_t delta = (*d.getValues<APInt>().begin()).getSExtValue();
  if (rangeCount(start, limit, delta) != type.getNumElements())
    return {};
  SmallVector<int64_t> vals;
  for (int64_t k = 0; k < type.getNumElements(); ++k)
    vals.push_back(start + k * delta);
  return intConstant(type, vals);
}

/// An integer fill of a constant, static shape.
OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor adaptor) {
  auto type = rt(getResult());
  auto v = dyn_cast<IntegerAttr>(getValue());
  if (!v || !adaptor.getShape() || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldElements)
    return {};
  return SplatElementsAttr::get(type, v);
}
