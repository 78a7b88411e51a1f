//===- QuantizeMatmuls.cpp - weights RTN + activations to a block scheme --===//
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Dialect/QC/IR/QCFormats.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Support/Constants.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace quantc::qc {
#define GEN_PASS_DEF_QCQUANTIZEMATMULS
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
namespace nx = quantc::numerics;

/// The element format of an MX scheme's codes, if the Numerics MX codec
/// takes it.
static std::optional<nx::ElemFormat> mxElementFormat(Type t) {
  std::optional<nx::ElemFormat> f = toElemFormat(t);
  if (f && nx::isMXElemFormat(*f))
    return f;
  return std::nullopt;
}

namespace {
struct QuantizeMatmul : public OpRewritePattern<MatMulOp> {
  QuantizeMatmul(MLIRContext *ctx, SchemeAttr scheme, bool biasCorrection)
      : OpRewritePattern(ctx), scheme(scheme),
        biasCorrection(biasCorrection) {}

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    ElementsAttr weight; // dense or dense_resource
    if (!matchPattern(op.getRhs(), m_Constant(&weight)) ||
        !isTensorConstant(weight))
      return rewriter.notifyMatchFailure(op, "weight is not a constant");
    auto wTy = cast<RankedTensorType>(weight.getType());
    auto lhsTy = op.getLhs().getType();
    if (wTy.getRank() != 2 || !wTy.getElementType().isF32() ||
        !lhsTy.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "needs a 2-D f32 weight");
    int64_t K = wTy.getDimSize(0), N = wTy.getDimSize(1);
    int64_t blk = scheme.getInnerBlock(), nb = (K + blk - 1) / blk;
    nx::ElemFormat fmt = *mxElementFormat(scheme.getElementType());

    // Weight [K, N] -> [N, K] (K-contiguous, as the MMA's col operand).
    std::vector<float> wt(N * K), w;
    if (failed(getConstantFloats(weight, w)))
      return rewriter.notifyMatchFailure(op, "weight data is not readable");
    for (int64_t i = 0; i < N * K; ++i)
      wt[(i % N) * K + i / N] = w[i];
    std::vector<float>().swap(w);
    std::vector<uint8_t> codes(N * K), scales(N * nb);
    nx::quantizeMX(wt.data(), N, K, blk, fmt, nx::MXScaleMode::Floor,
                   codes.data(), scales.data());
    // Relative RMS error of the weight, for the report.
    std::vector<float> back(N * K);
    nx::dequantizeMX(codes.data(), scales.data(), N, K, blk, fmt, back.data());
    double num = 0, den = 0;
    for (int64_t i = 0; i < N * K; ++i) {
      num += double(back[i] - wt[i]) * (back[i] - wt[i]);
      den += double(wt[i]) * wt[i];
    }
    float relErr = den > 0 ? std::sqrt(num / den) : 0.0f;
    Location loc = op.getLoc();
    auto codesTy = RankedTensorType::get({N, K}, scheme.getElementType());
    auto scalesTy = RankedTensorType::get({N, nb}, scheme.getScaleType());
    auto raw = [](const std::vector<uint8_t> &v) {
      return ArrayRef<char>(reinterpret_cast<const char *>(v.data()), v.size());
    };
    Value wCodes = arith::ConstantOp::create(
        rewriter, loc, codesTy,
        DenseElementsAttr::getFromRawBuffer(codesTy, raw(codes)));
    Value wScales = arith::ConstantOp::create(
        rewriter, loc, scalesTy,
        DenseElementsAttr::getFromRawBuffer(scalesTy, raw(scales)));

    auto q = QuantizeOp::create(rewriter, loc, op.getLhs(), scheme);
    if (auto stats = op->getAttr("qc.lhs_stats"))
      q->setAttr("qc.input_stats", stats);
    auto qmm = QMatMulOp::create(rewriter, loc, op.getType(), q.getCodes(),
                                 q.getScales(), wCodes, wScales, scheme, scheme,
                                 TypeAttr::get(rewriter.getF32Type()),
                                 /*kernel=*/SymbolRefAttr());
    qmm->setAttr("qc.weight_rel_rms_error", rewriter.getF32FloatAttr(relErr));
    if (auto stats = op->getAttr("qc.result_stats"))
      qmm->setAttr("qc.result_stats", stats);
    if (biasCorrection) { // B1, from the matmul's means, W_q - W as [K, N]
      if (auto mean = op->getAttr("qc.lhs_channel_mean"))
        qmm->setAttr("qc.lhs_channel_mean", mean);
      std::vector<float> delta(N * K);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
          delta[k * N + n] = back[n * K + k] - wt[n * K + k];
      rewriter.replaceOp(op, qmm.getResult());
      applyBiasCorrection(rewriter, qmm, delta, {K, N});
      return success();
    }
    rewriter.replaceOp(op, qmm.getResult());
    return success();
  }

  SchemeAttr scheme;
  bool biasCorrection;
};

struct QuantizeMatmulsPass
    : public qc::impl::QCQuantizeMatmulsBase<QuantizeMatmulsPass> {
  using QCQuantizeMatmulsBase::QCQuantizeMatmulsBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    SchemeAttr scheme = SchemeAttr::getPreset(ctx, format);
    if (!scheme) {
      auto diag = getOperation().emitError()
                  << "qc-quantize-matmuls: unknown format '" << format
                  << "'; known:";
      for (StringRef n : SchemeAttr::getPresetNames())
        diag << " " << n;
      return signalPassFailure();
    }
    if (!scheme.isMX() || !mxElementFormat(scheme.getElementType())) {
      getOperation().emitError()
          << "qc-quantize-matmuls: format '" << format
          << "' is not supported yet; supported: mxfp8, mxfp8-e5m2, mxfp6, "
             "mxfp6-e3m2, mxfp4, mxint8";
      return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    populateQuantizeMatmulPatterns(patterns, scheme, biasCorrection);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Used up (B1), or of ops the MX formats leave in float (convs): K
    // values each that the package's graph need not carry.
    getOperation().walk(
        [](Operation *op) { op->removeAttr("qc.lhs_channel_mean"); });
    getOperation().walk([](MatMulOp op) {
      op.emitRemark("matmul left in float: its weight is not a constant 2-D "
                    "f32 tensor");
    });
  }
};
} // namespace

void quantc::qc::populateQuantizeMatmulPatterns(RewritePatternSet &patterns,
                                                SchemeAttr scheme,
                                                bool biasCorrection) {
  patterns.add<QuantizeMatmul>(patterns.getContext(), scheme, biasCorrection);
}
