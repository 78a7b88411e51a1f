//===- FuseEpilogues.cpp - qc-fuse-epilogues -------------------------------===//
//
// Groups a matmul / qmatmul / conv and the elementwise chain after it in a
// qc.fusion (the op's description in QCOps.td states the rules). The
// rewrite only moves ops into a region: every value is computed as before.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quantc::qc {
#define GEN_PASS_DEF_QCFUSEEPILOGUES
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc::qc;

namespace {

/// The op that extends the chain ending in `v`: its only user, an epilogue
/// kind in the same block that reads `v` once (as the input of a batch
/// norm) and keeps `type`.
Operation *nextInChain(Value v, Type type) {
  if (!v.hasOneUse())
    return nullptr;
  Operation *user = *v.getUsers().begin();
  if (user->getBlock() != v.getParentBlock() ||
      !FusionOp::isEpilogueKind(user) || user->getNumResults() != 1 ||
      user->getResult(0).getType() != type)
    return nullptr;
  if (isa<BatchNormOp>(user) && user->getOperand(0) != v)
    return nullptr;
  if (llvm::count(user->getOperands(), v) != 1)
    return nullptr;
  return user;
}

struct FuseEpilogue : RewritePattern {
  FuseEpilogue(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *anchor,
                                PatternRewriter &rewriter) const override {
    if (!FusionOp::isAnchorKind(anchor) || isa<FusionOp>(anchor->getParentOp()))
      return failure();
    if (llvm::all_of(anchor->getOperands(),
                     [](Value v) { return matchPattern(v, m_Constant()); }))
      return failure();
    Type type = anchor->getResult(0).getType();
    SmallVector<Operation *> chain;
    Value last = anchor->getResult(0);
    while (Operation *next = nextInChain(last, type)) {
      chain.push_back(next);
      last = next->getResult(0);
    }
    if (chain.empty())
      return rewriter.notifyMatchFailure(anchor, "no epilogue op follows");
    // Where the last op was: every operand of the chain is defined above.
    rewriter.setInsertionPoint(chain.back());
    auto fusion = FusionOp::create(rewriter, chain.back()->getLoc(), type);
    Block *body = rewriter.createBlock(&fusion.getBody());
    rewriter.moveOpBefore(anchor, body, body->end());
    for (Operation *op : chain)
      rewriter.moveOpBefore(op, body, body->end());
    rewriter.setInsertionPointToEnd(body);
    auto yield = YieldOp::create(rewriter, fusion.getLoc(), last);
    rewriter.replaceAllUsesExcept(last, fusion.getResult(), yield);
    return success();
  }
};

struct FuseEpiloguesPass
    : public quantc::qc::impl::QCFuseEpiloguesBase<FuseEpiloguesPass> {
  void runOnOperation() override {
    if (failed(fuseEpilogues(getOperation())))
      return signalPassFailure();
  }
};
} // namespace

LogicalResult quantc::qc::fuseEpilogues(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  populateFuseEpiloguesPatterns(patterns);
  // Only the pattern: folding, constant hoisting or region simplification
  // would also change ops the pass is not about.
  GreedyRewriteConfig config;
  config.enableFolding(false).enableConstantCSE(false)
      .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return applyPatternsGreedily(root, std::move(patterns), config);
}

void quantc::qc::populateFuseEpiloguesPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseEpilogue>(patterns.getContext());
}
