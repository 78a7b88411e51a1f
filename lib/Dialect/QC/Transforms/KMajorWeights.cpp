//===- KMajorWeights.cpp - qc-kmajor-weights
//-------------------------------===//
//
// fp8-1x128, fp8 and int8 matmul weights stored [N, K] (K contiguous)
// behind a qc.transpose, the operand layout of the sm_90a wgmma GEMM
// (Passes.td has the rule). Exact: the transpose of the dequantized transposed
// codes is every weight value as before.
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

/// The two weight schemes the sm_90a GEMM takes, by their activations.
enum class Form {
  Block1x128,   ///< fp8-1x128: 1 x 128 activation blocks, 128 x 128 weights
  PerChannel,   ///< fp8: a per-tensor activation scale, per-channel weights
  Int8,         ///< int8: i8/ui8 codes, one activation scale and zero point
                ///< (static), per-channel or per-tensor weights
  Int8PerToken, ///< int8: a run-time scale per token (dynamic, no zero
                ///< point), per-channel weights
};

/// Whether `v` is a constant of one element (a static scale or zero point).
bool isOneConstant(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return matchPattern(v, m_Constant()) && t.hasStaticShape() &&
         t.getNumElements() == 1;
}

/// Whether `zp` is absent or a constant of zeros (a symmetric weight's
/// zero point as ONNX QDQ models spell it).
bool isZeroOrAbsent(Value zp) {
  DenseElementsAttr a;
  if (!zp)
    return true;
  if (!matchPattern(zp, m_Constant(&a)))
    return false;
  FailureOr<quantc::ConstantBytes> raw = quantc::getConstantBytes(a);
  return succeeded(raw) &&
         llvm::all_of(raw->data, [](char c) { return c == 0; });
}

/// The form of a qc.matmul of f32 results whose left operand is a
/// qc.dequantize_linear of e4m3 codes [..., K] (static K) to f32 with f32
/// scales: [..., ceil(K/128)] blocked by 128 along K (fp8-1x128's
/// activations), or one scale (fp8's static activations). What the sm_90a
/// GEMM takes; Program.cpp's matchHopperGemm checks the same and the batch
/// layout.
std::optional<Form> activationForm(MatMulOp mm) {
  auto d = mm.getLhs().getDefiningOp<DequantizeLinearOp>();
  if (!d || !cast<RankedTensorType>(mm.getType()).getElementType().isF32() ||
      !cast<RankedTensorType>(d.getType()).getElementType().isF32())
    return std::nullopt;
  auto codes = cast<RankedTensorType>(d.getCodes().getType());
  auto scales = cast<RankedTensorType>(d.getScale().getType());
  // int8: static scale and zero point (run-time codes: not a constant), or
  // a run-time scale per token ([..., 1], blocks of K along the last axis,
  // no zero point).
  if (codes.getElementType().isInteger(8) && codes.getRank() >= 2 &&
      !ShapedType::isDynamic(codes.getShape().back()) &&
      scales.getElementType().isF32() &&
      !matchPattern(d.getCodes(), m_Constant())) {
    if (isOneConstant(d.getScale()) &&
        (!d.getZeroPoint() || isOneConstant(d.getZeroPoint())))
      return Form::Int8;
    int64_t r = codes.getRank();
    bool perToken = !d.getZeroPoint() && scales.getRank() == r &&
                    scales.getShape().back() == 1 &&
                    d.getBlockSize() == codes.getShape().back() &&
                    normalisedAxis(d.getAxis(), r) == r - 1 &&
                    !matchPattern(d.getScale(), m_Constant());
    for (int64_t i = 0; perToken && i + 1 < r; ++i)
      perToken = scales.getDimSize(i) == codes.getDimSize(i);
    return perToken ? std::optional<Form>(Form::Int8PerToken) : std::nullopt;
  }
  if (d.getZeroPoint())
    return std::nullopt;
  if (!isa<Float8E4M3FNType>(codes.getElementType()) || codes.getRank() < 2 ||
      ShapedType::isDynamic(codes.getShape().back()) ||
      !scales.getElementType().isF32())
    return std::nullopt;
  if (scales.getRank() == 0)
    return Form::PerChannel;
  SmallVector<int64_t> want(codes.getShape());
  want.back() = llvm::divideCeil(want.back(), kBlock);
  if (d.getBlockSize() == kBlock &&
      normalisedAxis(d.getAxis(), codes.getRank()) == codes.getRank() - 1 &&
      scales.getShape() == ArrayRef<int64_t>(want))
    return Form::Block1x128;
  return std::nullopt;
}

/// The rewrite of one weight dequantize, or failure when it does not have
/// a form Passes.td describes.
LogicalResult rewrite(DequantizeLinearOp d) {
  auto codesTy = cast<RankedTensorType>(d.getCodes().getType());
  auto scalesTy = cast<RankedTensorType>(d.getScale().getType());
  bool int8 = codesTy.getElementType().isInteger(8);
  if (codesTy.getRank() != 2 || !codesTy.hasStaticShape() ||
      !(int8 || isa<Float8E4M3FNType>(codesTy.getElementType())) ||
      !cast<RankedTensorType>(d.getType()).getElementType().isF32() ||
      !scalesTy.getElementType().isF32() ||
      (int8 ? !isZeroOrAbsent(d.getZeroPoint()) : bool(d.getZeroPoint())))
    return failure();
  int64_t K = codesTy.getDimSize(0), N = codesTy.getDimSize(1),
          KB = llvm::divideCeil(K, kBlock);
  // [ceil(K/128), N] blocked along K, or [N] along the output channels;
  // int8: [N] along the output channels or one scale.
  Form form;
  int64_t axis = normalisedAxis(d.getAxis(), 2);
  bool perChannel = d.getBlockSize() == 0 && axis == 1 &&
                    scalesTy.getShape() == ArrayRef<int64_t>{N};
  if (int8 &&
      (perChannel || (d.getBlockSize() == 0 && isOneConstant(d.getScale()))))
    form = Form::Int8;
  else if (!int8 && d.getBlockSize() == kBlock && axis == 0 &&
           scalesTy.getShape() == ArrayRef<int64_t>{KB, N})
    form = Form::Block1x128;
  else if (!int8 && perChannel)
    form = Form::PerChannel;
  else
    return failure();
  // (int8: the s32 sums cannot overflow.)
  if (K % 16 || (int8 && K * 255 * 255 >= (int64_t(1) << 31)))
    return failure();
  // (An int8 weight per channel also serves per-token activations.)
  auto takes = [&](std::optional<Form> act) {
    return act == form ||
           (form == Form::Int8 && perChannel && act == Form::Int8PerToken);
  };
  if (d->use_empty() || !llvm::all_of(d->getUses(), [&](OpOperand &u) {
        auto mm = dyn_cast<MatMulOp>(u.getOwner());
        return mm && u.getOperandNumber() == 1 && takes(activationForm(mm));
      }))
    return failure();
  DenseElementsAttr codesAttr, scalesAttr;
  if (!matchPattern(d.getCodes(), m_Constant(&codesAttr)) ||
      !matchPattern(d.getScale(), m_Constant(&scalesAttr)))
    return failure();
  FailureOr<quantc::ConstantBytes> raw = quantc::getConstantBytes(codesAttr);
  if (failed(raw))
    return failure();
  auto scales = llvm::to_vector(scalesAttr.getValues<float>());
  // 1x128: the kernel reads one scale per 128 x 128 block, so the block's
  // columns must agree (bit for bit, so NaN and -0 are not merged with
  // others).
  if (form == Form::Block1x128)
    for (int64_t kb = 0; kb < KB; ++kb)
      for (int64_t n = 0; n < N; ++n)
        if (llvm::bit_cast<uint32_t>(scales[kb * N + n]) !=
            llvm::bit_cast<uint32_t>(scales[kb * N + n / kBlock * kBlock]))
          return failure();
  std::vector<char> codesT(N * K);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      codesT[n * K + k] = raw->data[raw->splat ? 0 : k * N + n];

  OpBuilder b(d);
  Location loc = d.getLoc();
  auto codesTTy = RankedTensorType::get({N, K}, codesTy.getElementType());
  Value c = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::getFromRawBuffer(codesTTy, codesT));
  // Per channel the [N] scales stay as they are, now along axis 0.
  Value s = d.getScale();
  if (form == Form::Block1x128) {
    std::vector<float> scalesT(N * KB);
    for (int64_t kb = 0; kb < KB; ++kb)
      for (int64_t n = 0; n < N; ++n)
        scalesT[n * KB + kb] = scales[kb * N + n];
    auto scalesTTy = RankedTensorType::get({N, KB}, b.getF32Type());
    s = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::getFromRawBuffer(
            scalesTTy, ArrayRef<char>(reinterpret_cast<const char *>(
                                          scalesT.data()),
                                      scalesT.size() * sizeof(float))));
  }
  // (An int8 weight's zero point is all zeros: dropped, exactly.)
  auto wT = DequantizeLinearOp::create(
      b, loc, RankedTensorType::get({N, K}, b.getF32Type()), c, s, Value(),
      form == Form::Block1x128 ? 1 : 0,
      form == Form::Block1x128 ? kBlock : 0);
  // What the planner requires of the sm_90a GEMM's weight: this pass made
  // it (with 1x128 scales, each 128-row block's scales are equal).
  wT->setAttr("qc.kmajor_weight", b.getUnitAttr());
  auto w = TransposeOp::create(b, loc, d.getType(), wT.getResult(),
                               b.getDenseI64ArrayAttr({1, 0}));
  Operation *oldCodes = d.getCodes().getDefiningOp(),
            *oldScales = d.getScale().getDefiningOp(),
            *oldZeroPoint =
                d.getZeroPoint() ? d.getZeroPoint().getDefiningOp() : nullptr;
  d.getResult().replaceAllUsesWith(w.getResult());
  d.erase();
  // The [K, N] constants, unless something else reads them.
  for (Operation *op : {oldCodes, oldScales, oldZeroPoint})
    if (op && op->use_empty())
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
