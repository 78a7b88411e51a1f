//===- PropagateScales.cpp - quantized values through layout ops ----------===//
//
// Rules P1-P6 of docs/Calibration.md on graphs in QDQ form: a
// qc.quantize_linear moves up and a qc.dequantize_linear moves down through
// ops that only move elements (or, for max_pool and relu, commute with a
// monotonic quantizer), and a quantize of a dequantize with the same
// parameters folds away. Every rule is exact: the graph's results do not
// change, only which values are codes.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

namespace quantc::qc {
#define GEN_PASS_DEF_QCPROPAGATESCALES
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
/// Ops whose operand 0 is the data they only move or copy: quantizing
/// before or after them gives the same codes.
bool isLayoutOp(Operation *op) {
  return isa<ReshapeOp, DynamicReshapeOp, TransposeOp, SliceOp, DynamicSliceOp,
             GatherOp, SqueezeOp, UnsqueezeOp, DynamicSqueezeOp,
             DynamicUnsqueezeOp, FlattenOp, ExpandOp, TileOp>(op);
}

Type withElementType(Type t, Type elem) {
  return cast<RankedTensorType>(t).clone(elem);
}

/// One scale for the whole tensor (a 0-d scale, as ONNX writes per-tensor
/// parameters).
bool isPerTensor(Value scale) {
  return cast<RankedTensorType>(scale.getType()).getRank() == 0;
}

/// Two operands that are the same value or equal constants.
bool sameConstant(Value a, Value b) {
  if (a == b)
    return true;
  Attribute x, y;
  return matchPattern(a, m_Constant(&x)) && matchPattern(b, m_Constant(&y)) &&
         x == y;
}

/// Whether the optional zero point `z` is the constant 0.
bool isZeroOrAbsent(Value z) {
  if (!z)
    return true;
  DenseElementsAttr a;
  return matchPattern(z, m_Constant(&a)) && a.isSplat() &&
         llvm::all_of(a.getRawData(), [](char c) { return c == 0; });
}

bool sameZeroPoint(Value a, Value b) {
  if (a && b)
    return sameConstant(a, b);
  return isZeroOrAbsent(a) && isZeroOrAbsent(b);
}

/// Whether the codes of type `elem` with zero point `z` (absent: 0) start at
/// the zero point: every negative input clamps to it, so a preceding ReLU
/// changes nothing.
bool zeroPointIsSmallestCode(Value z, Type elem) {
  auto it = dyn_cast<IntegerType>(elem);
  if (!it)
    return false;
  if (!z)
    return it.isUnsigned();
  DenseElementsAttr a;
  if (!matchPattern(z, m_Constant(&a)) || !a.isSplat())
    return false;
  APInt v = a.getSplatValue<APInt>();
  return it.isUnsigned() ? v.isZero() : v.isMinSignedValue();
}

/// Constant scales, every one positive and finite: quantizing and
/// dequantizing are then non-decreasing (per channel, for per-axis
/// scales), so they commute with max.
bool isPositiveScale(Value s) {
  DenseElementsAttr a;
  if (!matchPattern(s, m_Constant(&a)) || !isa<FloatType>(a.getElementType()))
    return false;
  return llvm::all_of(a.getValues<APFloat>(), [](const APFloat &f) {
    double v = f.convertToDouble();
    return std::isfinite(v) && v > 0;
  });
}

/// Whether codes of element type `elem` with scale `scale` (per tensor, or
/// per `axis` with `blockSize` 0) can flow through `op` (operand 0)
/// instead of its float values. Layout ops move elements between channels:
/// per tensor only. A max-pool keeps NCHW channels on axis 1, so
/// per-channel scales there (a depthwise conv's input, Q4) pass too.
bool canMoveThrough(Operation *op, Type elem, Value scale, int64_t axis,
                    int64_t blockSize) {
  bool perTensor = isPerTensor(scale);
  if (isLayoutOp(op))
    return perTensor;
  // MaxPool-12 pools i8/ui8 (ONNX and the Executor); not fp8.
  if (isa<MaxPoolOp>(op))
    return elem.isInteger(8) && isPositiveScale(scale) &&
           (perTensor || (axis == 1 && blockSize == 0));
  return false;
}

/// `op` again, on `codes` instead of its operand 0, producing codes.
Operation *cloneOnCodes(PatternRewriter &rewriter, Operation *op,
                        Value codes) {
  IRMapping map;
  map.map(op->getOperand(0), codes);
  Operation *c = rewriter.clone(*op, map);
  Type elem = cast<RankedTensorType>(codes.getType()).getElementType();
  c->getResult(0).setType(withElementType(op->getResult(0).getType(), elem));
  return c;
}

/// Makes the constant `v` (if any) available before `point`, moving its
/// defining constant up in the block; false if it cannot be.
bool availableBefore(PatternRewriter &rewriter, Value v, Operation *point) {
  if (!v)
    return true;
  Operation *def = v.getDefiningOp();
  if (!def)
    return cast<BlockArgument>(v).getOwner() == point->getBlock() ||
           cast<BlockArgument>(v).getOwner()->getParentOp()->isAncestor(point);
  if (def->getBlock() != point->getBlock())
    return def->getBlock()->getParentOp()->isProperAncestor(point);
  if (def->isBeforeInBlock(point))
    return true;
  if (def->getNumOperands() != 0 || !matchPattern(v, m_Constant()))
    return false;
  rewriter.moveOpBefore(def, point);
  return true;
}

QuantizeLinearOp quantizeLike(PatternRewriter &rewriter, QuantizeLinearOp q,
                              Value x) {
  Type elem = cast<RankedTensorType>(q.getType()).getElementType();
  auto nq = QuantizeLinearOp::create(
      rewriter, q.getLoc(), withElementType(x.getType(), elem), x, q.getScale(),
      q.getZeroPoint(), q.getAxis(), q.getBlockSize(), q.getSaturate());
  nq->setDiscardableAttrs(q->getDiscardableAttrDictionary());
  return nq;
}

/// Whether every value of the constant scale `s` is finite, positive and
/// normal, and no dequantized code (below 2^16 in magnitude for every code
/// format, E5M2 included)
/// overflows: what makes Q(DQ(c)) = c. A run-time scale (not a constant)
/// is taken to be valid, as F30 and F31 make every scale they compute.
bool isRoundTripSafeScale(Value s) {
  DenseElementsAttr a;
  if (!matchPattern(s, m_Constant(&a)))
    return true;
  if (!isa<FloatType>(a.getElementType()))
    return false;
  for (APFloat v : a.getValues<APFloat>()) {
    double d = v.convertToDouble();
    if (!std::isfinite(d) || !(d >= double(std::numeric_limits<float>::min())) ||
        d * 65536.0 > double(std::numeric_limits<float>::max()))
      return false;
  }
  return true;
}

/// P1: quantize_linear(dequantize_linear(c, s, z), s, z) -> c. Exact for f32
/// values: (c - z) * s / s rounds back to c - z for every code when s is
/// finite, normal and positive and (c - z) * s does not overflow
/// (isRoundTripSafeScale).
struct FoldQuantizeOfDequantize : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp q,
                                PatternRewriter &rewriter) const override {
    auto dq = q.getX().getDefiningOp<DequantizeLinearOp>();
    if (!dq || dq.getCodes().getType() != q.getType() ||
        !cast<RankedTensorType>(dq.getType()).getElementType().isF32() ||
        !sameConstant(q.getScale(), dq.getScale()) ||
        !sameZeroPoint(q.getZeroPoint(), dq.getZeroPoint()) ||
        !isRoundTripSafeScale(q.getScale()))
      return failure();
    if (!isPerTensor(q.getScale()) && (q.getAxis() != dq.getAxis() ||
                                       q.getBlockSize() != dq.getBlockSize()))
      return failure();
    rewriter.replaceOp(q, dq.getCodes());
    return success();
  }
};

/// P2: quantize_linear(L(x)) -> L(quantize_linear(x)) for a layout op (or
/// an i8/ui8 max_pool) L used only by the quantize.
struct HoistQuantize : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp q,
                                PatternRewriter &rewriter) const override {
    Operation *def = q.getX().getDefiningOp();
    Type elem = cast<RankedTensorType>(q.getType()).getElementType();
    if (!def || !def->hasOneUse() ||
        !canMoveThrough(def, elem, q.getScale(), q.getAxis(),
                        q.getBlockSize()) ||
        !isa<FloatType>(
            cast<RankedTensorType>(def->getOperand(0).getType())
                .getElementType()))
      return failure();
    if (!availableBefore(rewriter, q.getScale(), def) ||
        !availableBefore(rewriter, q.getZeroPoint(), def))
      return failure();
    rewriter.setInsertionPoint(def);
    QuantizeLinearOp nq = quantizeLike(rewriter, q, def->getOperand(0));
    Operation *moved = cloneOnCodes(rewriter, def, nq);
    rewriter.replaceOp(q, moved->getResults());
    return success();
  }
};

/// P3: L(dequantize_linear(c)) -> dequantize_linear(L(c)).
struct SinkDequantize : RewritePattern {
  SinkDequantize(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumOperands() == 0 || op->getNumResults() != 1)
      return failure();
    auto dq = op->getOperand(0).getDefiningOp<DequantizeLinearOp>();
    if (!dq)
      return failure();
    Type elem = cast<RankedTensorType>(dq.getCodes().getType()).getElementType();
    if (!canMoveThrough(op, elem, dq.getScale(), dq.getAxis(),
                        dq.getBlockSize()))
      return failure();
    rewriter.setInsertionPoint(op);
    Operation *moved = cloneOnCodes(rewriter, op, dq.getCodes());
    rewriter.replaceOpWithNewOp<DequantizeLinearOp>(
        op, op->getResult(0).getType(), moved->getResult(0), dq.getScale(),
        dq.getZeroPoint(), dq.getAxis(), dq.getBlockSize());
    return success();
  }
};

/// P4a: quantize_linear(concat(x...)) -> concat(quantize_linear(x)...): the
/// inputs share the concat's one scale.
struct HoistQuantizeAboveConcat : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp q,
                                PatternRewriter &rewriter) const override {
    auto cat = q.getX().getDefiningOp<ConcatOp>();
    if (!cat || !cat->hasOneUse() || !isPerTensor(q.getScale()))
      return failure();
    if (!availableBefore(rewriter, q.getScale(), cat) ||
        !availableBefore(rewriter, q.getZeroPoint(), cat))
      return failure();
    rewriter.setInsertionPoint(cat);
    SmallVector<Value> codes;
    for (Value x : cat.getInputs())
      codes.push_back(quantizeLike(rewriter, q, x));
    rewriter.replaceOpWithNewOp<ConcatOp>(q, q.getType(), codes,
                                          cat.getAxis());
    return success();
  }
};

/// P4b: concat(dequantize_linear(c_i, s, z)...) with one s and z for all ->
/// dequantize_linear(concat(c_i...), s, z).
struct SinkDequantizeBelowConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp cat,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> codes;
    DequantizeLinearOp first;
    for (Value x : cat.getInputs()) {
      auto dq = x.getDefiningOp<DequantizeLinearOp>();
      if (!dq || !isPerTensor(dq.getScale()))
        return failure();
      if (!first)
        first = dq;
      else if (dq.getCodes().getType().getElementType() !=
                   first.getCodes().getType().getElementType() ||
               !sameConstant(dq.getScale(), first.getScale()) ||
               !sameZeroPoint(dq.getZeroPoint(), first.getZeroPoint()))
        return failure();
      codes.push_back(dq.getCodes());
    }
    if (!first)
      return failure();
    Type elem = first.getCodes().getType().getElementType();
    Value joined = ConcatOp::create(rewriter, cat.getLoc(),
                                    withElementType(cat.getType(), elem), codes,
                                    cat.getAxis());
    rewriter.replaceOpWithNewOp<DequantizeLinearOp>(
        cat, cat.getType(), joined, first.getScale(), first.getZeroPoint(),
        first.getAxis(), first.getBlockSize());
    return success();
  }
};

/// P5: quantize_linear(relu(x), s, z) -> quantize_linear(x, s, z) when z is
/// the smallest code: negative x clamp to z, as relu's zeros quantize to z.
struct DropReluBeforeQuantize : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp q,
                                PatternRewriter &rewriter) const override {
    auto relu = q.getX().getDefiningOp<ReluOp>();
    if (!relu || !isPositiveScale(q.getScale()) ||
        !zeroPointIsSmallestCode(
            q.getZeroPoint(),
            cast<RankedTensorType>(q.getType()).getElementType()))
      return failure();
    rewriter.modifyOpInPlace(q,
                             [&] { q.getXMutable().assign(relu.getInput()); });
    return success();
  }
};

/// P6: relu(dequantize_linear(c, s, z)) -> dequantize_linear(c, s, z) when
/// z is the smallest code: the dequantized values are already >= 0.
struct DropReluAfterDequantize : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp relu,
                                PatternRewriter &rewriter) const override {
    auto dq = relu.getInput().getDefiningOp<DequantizeLinearOp>();
    if (!dq || !isPositiveScale(dq.getScale()) ||
        !zeroPointIsSmallestCode(dq.getZeroPoint(),
                                 dq.getCodes().getType().getElementType()))
      return failure();
    rewriter.replaceOp(relu, dq.getResult());
    return success();
  }
};

struct PropagateScalesPass
    : public qc::impl::QCPropagateScalesBase<PropagateScalesPass> {
  using QCPropagateScalesBase::QCPropagateScalesBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populatePropagateScalesPatterns(patterns, dropRelu);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantc::qc::populatePropagateScalesPatterns(RewritePatternSet &patterns,
                                                 bool dropRelu) {
  patterns.add<FoldQuantizeOfDequantize, HoistQuantize, SinkDequantize,
               HoistQuantizeAboveConcat, SinkDequantizeBelowConcat,
               DropReluAfterDequantize>(patterns.getContext());
  if (dropRelu)
    patterns.add<DropReluBeforeQuantize>(patterns.getContext());
}
