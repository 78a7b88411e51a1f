//===- QuantizeLinear.cpp - static W8A8 in QDQ form -----------------------===//
//
// Weights: per-output-channel symmetric codes (constants) behind a
// qc.dequantize_linear. Activations: qc.quantize_linear + qc.dequantize_linear
// with one static scale from the calibrated range. The codecs are the
// Numerics library's (Formats.md F21-F30).
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Numerics/Linear.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace quantc::qc {
#define GEN_PASS_DEF_QCQUANTIZELINEAR
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
namespace nx = quantc::numerics;

namespace {
/// What a format name means here: the code type and Numerics format.
struct LinearFormat {
  Type codeType;
  nx::ElemFormat elem;
  bool asymmetric; // activations only; weights are always symmetric
};

std::optional<LinearFormat> getLinearFormat(MLIRContext *ctx, StringRef name,
                                            bool asymmetric) {
  if (name == "int8")
    return LinearFormat{IntegerType::get(ctx, 8), nx::ElemFormat::INT8,
                        asymmetric};
  if (name == "fp8")
    return LinearFormat{Float8E4M3FNType::get(ctx), nx::ElemFormat::E4M3FN,
                        false};
  return std::nullopt;
}

ArrayRef<char> rawBytes(const std::vector<uint8_t> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()), v.size());
}

Value bytesConstant(PatternRewriter &rewriter, Location loc,
                    RankedTensorType type, const std::vector<uint8_t> &bytes) {
  return arith::ConstantOp::create(
      rewriter, loc, type,
      DenseElementsAttr::getFromRawBuffer(type, rawBytes(bytes)));
}

Value f32Constant(PatternRewriter &rewriter, Location loc,
                  ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, rewriter.getF32Type());
  return arith::ConstantOp::create(rewriter, loc, type,
                                   DenseElementsAttr::get(type, values));
}

/// A weight quantized with one symmetric scale per index of `axis` (its
/// output channels), computed before any IR is built.
struct WeightCodes {
  RankedTensorType type;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  double relErr = 0;
};

FailureOr<WeightCodes> computeWeight(Operation *op, Value weight, int64_t axis,
                                     const LinearFormat &fmt) {
  ElementsAttr w;
  if (!matchPattern(weight, m_Constant(&w)) || !isTensorConstant(w))
    return failure();
  WeightCodes r;
  r.type = cast<RankedTensorType>(w.getType());
  if (!r.type.getElementType().isF32() || !r.type.hasStaticShape() ||
      axis >= r.type.getRank())
    return failure();
  std::vector<float> x;
  if (failed(getConstantFloats(w, x)))
    return failure();
  ArrayRef<int64_t> shape = r.type.getShape();
  nx::LinearLayout layout{nx::Granularity::PerAxis, axis, 0};
  r.scales.resize(shape[axis]);
  r.codes.resize(x.size());
  if (llvm::Error e = nx::computeLinearParams(
          x.data(), shape, layout, fmt.elem, false, r.scales.data(), nullptr)) {
    op->emitRemark("weight left in float: ") << llvm::toString(std::move(e));
    return failure();
  }
  std::vector<float> back(x.size());
  llvm::cantFail(nx::quantizeLinear(x.data(), shape, r.scales.data(), nullptr,
                                    layout, fmt.elem, true, r.codes.data()));
  llvm::cantFail(nx::dequantizeLinear(r.codes.data(), shape, r.scales.data(),
                                      nullptr, layout, fmt.elem, back.data()));
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    num += double(back[i] - x[i]) * (back[i] - x[i]);
    den += double(x[i]) * x[i];
  }
  r.relErr = den > 0 ? std::sqrt(num / den) : 0.0;
  return r;
}

/// The static scale and zero point of the activation from its calibrated
/// range (F30).
struct ActivationParams {
  float scale;
  uint8_t zeroPoint;
};

FailureOr<ActivationParams> computeActivation(Operation *op, Value x,
                                              const LinearFormat &fmt) {
  auto range = op->getAttrOfType<StatsAttr>("qc.lhs_range");
  if (!range)
    range = op->getAttrOfType<StatsAttr>("qc.lhs_stats");
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!range || !type || !type.getElementType().isF32())
    return failure();
  ActivationParams p;
  if (llvm::Error e = nx::linearParamsFromRange(
          range.getMin().getValueAsDouble(), range.getMax().getValueAsDouble(),
          fmt.elem, fmt.asymmetric, p.scale, p.zeroPoint)) {
    op->emitRemark("activation left in float: ")
        << llvm::toString(std::move(e));
    return failure();
  }
  return p;
}

/// Rewrites one compute op's activation (operand 0) and weight (operand 1,
/// channels along `axis`) in place; nothing is built unless both can be
/// quantized.
LogicalResult quantizeOperands(PatternRewriter &rewriter, Operation *op,
                               int64_t axis, const LinearFormat &fmt) {
  if (op->hasAttr("qc.weight_scheme"))
    return failure(); // done
  Value x = op->getOperand(0);
  FailureOr<WeightCodes> w = computeWeight(op, op->getOperand(1), axis, fmt);
  if (failed(w))
    return failure();
  FailureOr<ActivationParams> a = computeActivation(op, x, fmt);
  if (failed(a))
    return failure();

  MLIRContext *ctx = rewriter.getContext();
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  // Weight: constant codes + per-channel scales -> dequantize_linear.
  ArrayRef<int64_t> shape = w->type.getShape();
  Value wc = bytesConstant(
      rewriter, loc, RankedTensorType::get(shape, fmt.codeType), w->codes);
  Value ws = f32Constant(rewriter, loc, {shape[axis]}, w->scales);
  // Integer codes carry explicit zero points (all 0 for the symmetric
  // weights), as ONNX Runtime's quantizer writes them: its QDQ fusions
  // (QGemm, QLinearConv) require a zero point shaped like the scale.
  bool intCodes = isa<IntegerType>(fmt.codeType);
  Value wz;
  if (intCodes)
    wz = bytesConstant(rewriter, loc,
                       RankedTensorType::get({shape[axis]}, fmt.codeType),
                       std::vector<uint8_t>(shape[axis], 0));
  Value qw =
      DequantizeLinearOp::create(rewriter, loc, w->type, wc, ws, wz, axis, 0);
  // Activation: quantize_linear -> dequantize_linear, one static scale.
  auto xTy = cast<RankedTensorType>(x.getType());
  Value s = f32Constant(rewriter, loc, {}, {a->scale});
  Value z;
  if (intCodes)
    z = bytesConstant(rewriter, loc, RankedTensorType::get({}, fmt.codeType),
                      {a->zeroPoint});
  auto q = QuantizeLinearOp::create(
      rewriter, loc, RankedTensorType::get(xTy.getShape(), fmt.codeType), x, s,
      z, 1, 0, true);
  if (auto stats = op->getAttr("qc.lhs_stats"))
    q->setAttr("qc.input_stats", stats);
  Value qx =
      DequantizeLinearOp::create(rewriter, loc, xTy, q.getResult(), s, z, 1, 0);

  // Whole extent (0) along every weight dim but the channel axis (1).
  SmallVector<int64_t> block(w->type.getRank(), 0);
  block[axis] = 1;
  rewriter.modifyOpInPlace(op, [&] {
    op->setOperand(0, qx);
    op->setOperand(1, qw);
    op->setAttr(
        "qc.weight_scheme",
        SchemeAttr::get(ctx, fmt.codeType, rewriter.getF32Type(), block, true));
    op->setAttr("qc.act_scheme",
                SchemeAttr::get(ctx, fmt.codeType, rewriter.getF32Type(), {},
                                !fmt.asymmetric));
    op->setAttr("qc.weight_rel_rms_error", rewriter.getF32FloatAttr(w->relErr));
  });
  return success();
}

struct QuantizeMatMulLinear : OpRewritePattern<MatMulOp> {
  QuantizeMatMulLinear(MLIRContext *ctx, LinearFormat fmt)
      : OpRewritePattern(ctx), fmt(fmt) {}
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto w = dyn_cast<RankedTensorType>(op.getRhs().getType());
    if (!w || w.getRank() != 2)
      return failure();
    return quantizeOperands(rewriter, op, /*axis=*/1, fmt);
  }
  LinearFormat fmt;
};

struct QuantizeConvLinear : OpRewritePattern<ConvOp> {
  QuantizeConvLinear(MLIRContext *ctx, LinearFormat fmt)
      : OpRewritePattern(ctx), fmt(fmt) {}
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    return quantizeOperands(rewriter, op, /*axis=*/0, fmt);
  }
  LinearFormat fmt;
};

struct QuantizeLinearPass
    : public qc::impl::QCQuantizeLinearBase<QuantizeLinearPass> {
  using QCQuantizeLinearBase::QCQuantizeLinearBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    std::optional<LinearFormat> fmt = getLinearFormat(ctx, format, asymmetric);
    if (!fmt) {
      getOperation().emitError() << "qc-quantize-linear: format '" << format
                                 << "' is not supported; supported: int8, fp8";
      return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    populateQuantizeLinearPatterns(patterns, format, asymmetric);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation().walk([](Operation *op) {
      if (!isa<MatMulOp, ConvOp>(op) || op->hasAttr("qc.weight_scheme"))
        return;
      bool stats = op->hasAttr("qc.lhs_stats") || op->hasAttr("qc.lhs_range");
      op->emitRemark(op->getName().getStringRef())
          << " left in float: "
          << (stats ? "its weight is not a constant f32 tensor (an "
                      "activation x activation product)"
                    : "no calibration statistics (run qc-calibrate first)");
    });
  }
};
} // namespace

void quantc::qc::populateQuantizeLinearPatterns(RewritePatternSet &patterns,
                                                StringRef format,
                                                bool asymmetric) {
  std::optional<LinearFormat> fmt =
      getLinearFormat(patterns.getContext(), format, asymmetric);
  if (!fmt)
    return;
  patterns.add<QuantizeMatMulLinear, QuantizeConvLinear>(patterns.getContext(),
                                                         *fmt);
}
