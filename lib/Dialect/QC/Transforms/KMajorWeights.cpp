//===- KMajorWeights.cpp - qc-kmajor-weights -------------------------------===//
//
// fp8-1x128 matmul weights stored [N, K] (K contiguous) behind a
// qc.transpose, the operand layout of the sm_90a wgmma GEMM (Passes.td has
// the rule). Exact: the transpose of the dequantized transposed codes is
// every weight value as before.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace quantc::qc {
#define GEN_PASS_DEF_QCKMAJORWEIGHTS
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc::qc;

namespace {

constexpr int64_t kBlock = 128;

int64_t normalisedAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// A qc.matmul of f32 results whose left operand is a qc.dequantize_linear
/// of e4m3 codes [..., K] blocked by 128 along K, to f32, with f32 scales
/// [..., ceil(K/128)] (fp8-1x128's activations): what the sm_90a GEMM takes
/// (Program.cpp's matchHopperGemm checks the same and the batch layout).
bool takesBlockedFP8Activations(MatMulOp mm) {
  auto d = mm.getLhs().getDefiningOp<DequantizeLinearOp>();
  if (!d || d.getZeroPoint() || d.getBlockSize() != kBlock ||
      !cast<RankedTensorType>(mm.getType()).getElementType().isF32() ||
      !cast<RankedTensorType>(d.getType()).getElementType().isF32())
    return false;
  auto codes = cast<RankedTensorType>(d.getCodes().getType());
  auto scales = cast<RankedTensorType>(d.getScale().getType());
  if (!isa<Float8E4M3FNType>(codes.getElementType()) || codes.getRank() < 2 ||
      normalisedAxis(d.getAxis(), codes.getRank()) != codes.getRank() - 1 ||
      ShapedType::isDynamic(codes.getShape().back()) ||
      !scales.getElementType().isF32())
    return false;
  SmallVector<int64_t> want(codes.getShape());
  want.back() = llvm::divideCeil(want.back(), kBlock);
  return scales.getShape() == ArrayRef<int64_t>(want);
}

/// The rewrite of one weight dequantize, or failure when it does not have
/// the form Passes.td describes.
LogicalResult rewrite(DequantizeLinearOp d) {
  auto codesTy = cast<RankedTensorType>(d.getCodes().getType());
  if (codesTy.getRank() != 2 || !codesTy.hasStaticShape() ||
      !isa<Float8E4M3FNType>(codesTy.getElementType()) ||
      !cast<RankedTensorType>(d.getType()).getElementType().isF32() ||
      d.getBlockSize() != kBlock || d.getZeroPoint() ||
      normalisedAxis(d.getAxis(), 2) != 0)
    return failure();
  int64_t K = codesTy.getDimSize(0), N = codesTy.getDimSize(1),
          KB = llvm::divideCeil(K, kBlock);
  if (K % 16)
    return failure();
  if (d->use_empty() || !llvm::all_of(d->getUses(), [](OpOperand &u) {
        auto mm = dyn_cast<MatMulOp>(u.getOwner());
        return mm && u.getOperandNumber() == 1 &&
               takesBlockedFP8Activations(mm);
      }))
    return failure();
  DenseElementsAttr codesAttr, scalesAttr;
  if (!matchPattern(d.getCodes(), m_Constant(&codesAttr)) ||
      !matchPattern(d.getScale(), m_Constant(&scalesAttr)))
    return failure();
  auto scalesTy = cast<RankedTensorType>(d.getScale().getType());
  if (!scalesTy.getElementType().isF32() || scalesTy.getRank() != 2 ||
      scalesTy.getDimSize(0) != KB || scalesTy.getDimSize(1) != N)
    return failure();
  FailureOr<quantc::ConstantBytes> raw = quantc::getConstantBytes(codesAttr);
  if (failed(raw))
    return failure();
  auto scales = llvm::to_vector(scalesAttr.getValues<float>());
  // The kernel reads one scale per 128 x 128 block: the block's columns
  // must agree (bit for bit, so NaN and -0 are not merged with others).
  for (int64_t kb = 0; kb < KB; ++kb)
    for (int64_t n = 0; n < N; ++n)
      if (llvm::bit_cast<uint32_t>(scales[kb * N + n]) !=
          llvm::bit_cast<uint32_t>(scales[kb * N + n / kBlock * kBlock]))
        return failure();
  std::vector<char> codesT(N * K);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      codesT[n * K + k] = raw->data[raw->splat ? 0 : k * N + n];
  std::vector<float> scalesT(N * KB);
  for (int64_t kb = 0; kb < KB; ++kb)
    for (int64_t n = 0; n < N; ++n)
      scalesT[n * KB + kb] = scales[kb * N + n];

  OpBuilder b(d);
  Location loc = d.getLoc();
  auto codesTTy = RankedTensorType::get({N, K}, codesTy.getElementType());
  auto scalesTTy = RankedTensorType::get({N, KB}, b.getF32Type());
  Value c = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::getFromRawBuffer(codesTTy, codesT));
  Value s = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::getFromRawBuffer(
          scalesTTy, ArrayRef<char>(reinterpret_cast<const char *>(
                                        scalesT.data()),
                                    scalesT.size() * sizeof(float))));
  auto wT = DequantizeLinearOp::create(
      b, loc, RankedTensorType::get({N, K}, b.getF32Type()), c, s, Value(), 1,
      kBlock);
  // What the planner requires of the sm_90a GEMM's weight: this pass made
  // it, so each 128-row block's scales are equal.
  wT->setAttr("qc.kmajor_weight", b.getUnitAttr());
  auto w = TransposeOp::create(b, loc, d.getType(), wT.getResult(),
                               b.getDenseI64ArrayAttr({1, 0}));
  Operation *oldCodes = d.getCodes().getDefiningOp(),
            *oldScales = d.getScale().getDefiningOp();
  d.getResult().replaceAllUsesWith(w.getResult());
  d.erase();
  // The [K, N] constants, unless something else reads them.
  for (Operation *op : {oldCodes, oldScales})
    if (op->use_empty())
      op->erase();
  return success();
}

struct KMajorWeightsPass
    : public quantc::qc::impl::QCKMajorWeightsBase<KMajorWeightsPass> {
  void runOnOperation() override { quantc::qc::kMajorWeights(getOperation()); }
};

} // namespace

unsigned quantc::qc::kMajorWeights(Operation *root) {
  SmallVector<DequantizeLinearOp> candidates;
  root->walk([&](DequantizeLinearOp d) { candidates.push_back(d); });
  unsigned n = 0;
  for (DequantizeLinearOp d : candidates)
    n += succeeded(rewrite(d));
  return n;
}
