//===- Program.cpp - a whole qc graph as a list of GPU kernel launches ----===//
#include "quantc/Conversion/QCToGPU/Program.h"

#include "quantc/Conversion/QCToGPU/QCToGPU.h"
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include "ElementwiseKernels.h"
#include "quantc/Conversion/QCToGPU/HopperGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace quantc;
namespace json = llvm::json;

namespace {

/// Whether every dynamic dimension of `t` is dimension 0 (the batch).
bool batchShaped(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return false;
  for (auto [i, d] : llvm::enumerate(rt.getShape()))
    if (ShapedType::isDynamic(d) && i != 0)
      return false;
  return true;
}

bool isChainOpKind(Operation *op) {
  return isa<qc::AddOp, qc::SubOp, qc::MulOp, qc::DivOp, qc::ReluOp, qc::NegOp,
             qc::AbsOp, qc::BatchNormOp, qc::SqrtOp, qc::TanhOp, qc::SigmoidOp,
             qc::PowOp, qc::WhereOp, qc::LessOp, qc::LessEqualOp, qc::GreaterOp,
             qc::GreaterEqualOp, qc::EqualOp, qc::QuantizeLinearOp,
             qc::DequantizeLinearOp, qc::MaxOp, qc::MinOp, qc::ClipOp,
             qc::RoundOp, qc::CastOp, qc::SiluOp, qc::GeluOp, qc::HardSwishOp,
             qc::HardSigmoidOp, qc::LeakyReluOp, qc::ReciprocalOp, qc::FloorOp,
             qc::CeilOp, qc::SignOp, qc::ErfOp, qc::ExpOp, qc::SoftsignOp,
             qc::ThresholdedReluOp, qc::NotOp, qc::AndOp, qc::OrOp, qc::XorOp,
             qc::IsNaNOp, qc::IsInfOp, qc::LogOp, qc::SoftplusOp, qc::MishOp,
             qc::EluOp, qc::SeluOp, qc::CeluOp, qc::SinOp, qc::CosOp, qc::ModOp,
             qc::BitShiftOp, qc::TanOp, qc::SinhOp, qc::CoshOp, qc::AtanOp,
             qc::AsinOp, qc::AcosOp, qc::AsinhOp, qc::AcoshOp, qc::AtanhOp,
             qc::ShrinkOp, qc::RequantizeLinearOp>(op);
}

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// The exponent of a decomposed RMS norm's qc.pow, which its row kernel
/// computes as products (matchDecomposedRmsNorm): a one-element f32 equal
/// to 2 or 3 (fastPowD's product cases; a chain's qc.pow takes any
/// exponent). A package graph's weights carry no values; the compiler's
/// graph (with constants) decides.
bool isSupportedExponent(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.getElementType().isF32() || !t.hasStaticShape() ||
      t.getNumElements() != 1)
    return false;
  if (v.getDefiningOp<qc::WeightOp>())
    return true;
  DenseElementsAttr c;
  if (!matchPattern(v, m_Constant(&c)))
    return false;
  float x = c.getSplatValue<APFloat>().convertToFloat();
  return x == 2.0f || x == 3.0f;
}

/// The float code types the chain kernels encode and decode (one code per
/// byte): e4m3, e5m2, e2m3, e3m2 and e2m1 (detail::miniSpec).
bool isMiniFloat(Type t) { return quantc::detail::miniSpec(t).has_value(); }

/// The elementwise ops a chain kernel computes: f32, numpy broadcasting;
/// batch_norm with per-channel [C] parameters (channel = dimension 1).
/// qc.quantize_linear / qc.dequantize_linear a chain kernel computes: i8,
/// ui8 or e4m3 codes (saturating) of f32 values, or i4/ui4 codes
/// dequantized; one scale (and zero point) per tensor, per static axis, per
/// sample (axis 0, the run-time batch) or per block along one.
bool isLinearQuantChainOp(Operation *op, RankedTensorType out) {
  Value data = op->getOperand(0), scale = op->getOperand(1);
  Value zp = op->getNumOperands() > 2 ? op->getOperand(2) : Value();
  if (auto q = dyn_cast<qc::QuantizeLinearOp>(op)) {
    if (!q.getSaturate() || !elementTypeOf(data).isF32())
      return false;
  } else if (!out.getElementType().isF32()) {
    return false;
  }
  auto [axis, blockSize, codes] = quantc::detail::linearQuantLayout(op);
  auto in = cast<RankedTensorType>(data.getType());
  // 4-bit codes (int4-g128 and W4 weights, one per byte) are dequantized
  // only.
  bool int4 = isa<qc::DequantizeLinearOp>(op) &&
              (codes.isSignlessInteger(4) || codes.isUnsignedInteger(4));
  if (in.getShape() != out.getShape() || !elementTypeOf(scale).isF32() ||
      !(codes.isSignlessInteger(8) || codes.isUnsignedInteger(8) || int4 ||
        isMiniFloat(codes)))
    return false;
  auto st = cast<RankedTensorType>(scale.getType());
  if (blockSize > 0) {
    // Blocked (dynamic per-token activations are one block per row): the
    // scale has x's shape but ceil(dim / block) along the axis, which must
    // be static; its batch dimension follows x's.
    int64_t r = out.getRank(), a = axis; // normalised
    if (st.getRank() != r || a < 0 || a >= r || out.isDynamicDim(a) || !batchShaped(st))
      return false;
    for (int64_t d = 0; d < r; ++d) {
      int64_t want = d == a ? (out.getDimSize(a) + blockSize - 1) / blockSize
                            : out.getDimSize(d);
      if (st.getDimSize(d) != want)
        return false;
    }
  } else if (blockSize < 0) {
    return false;
  } else if (st.getRank() == 1) {
    // Per axis: a static one, or the run-time batch (axis 0: a dynamic
    // activation scale per sample, read at the element's batch coordinate).
    int64_t r = out.getRank(), a = axis; // normalised
    if (a < 0 || a >= r)
      return false;
    bool batch = a == 0 && out.isDynamicDim(0) && st.isDynamicDim(0) &&
                 batchShaped(out);
    if ((out.isDynamicDim(a) && !batch) ||
        st.getDimSize(0) != out.getDimSize(a))
      return false;
  } else if (st.getRank() != 0) {
    return false;
  }
  return !zp || (zp.getType() == RankedTensorType::get(st.getShape(), codes));
}

/// The integer element types the chains compute in (each at its width,
/// unsigned ones compared and divided as unsigned).
bool isIntegerChainType(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  return i && !i.isSigned() &&
         llvm::is_contained({8u, 16u, 32u, 64u}, i.getWidth()) &&
         (i.isSignless() || i.isUnsigned());
}

/// The float element types the chains read and write: f32, and f16 and
/// f64, which a chain computes in f32 as the Executor does (it holds every
/// float tensor as f32 values; docs/Kernels.md, "Element types").
bool isFloatChainType(Type t) { return t.isF32() || t.isF16() || t.isF64(); }

bool isElementwise(Operation *op) {
  if (!isChainOpKind(op))
    return false;
  if (op->getNumResults() != 1 || !batchShaped(op->getResult(0).getType()))
    return false;
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  if (isa<qc::QuantizeLinearOp, qc::DequantizeLinearOp>(op))
    return isLinearQuantChainOp(op, out);
  if (auto c = dyn_cast<qc::CastOp>(op)) {
    // f32 to a float code and back (NVFP4's e4m3 block scales), or to
    // bf16 and back (the bf16 format); f32 to i8/ui8 (a run-time zero
    // point, F31).
    // Between f32, f16 and f64 (their values as the Executor's f32), and
    // between any of them and the integers (i1 and the chains' integer
    // types) either way, as between two integers.
    Type from = elementTypeOf(c.getInput());
    Type to = out.getElementType();
    auto integer = [](Type t) {
      return t.isInteger(1) || isIntegerChainType(t);
    };
    return c.getInput().getType() ==
               RankedTensorType::get(out.getShape(), from) &&
           ((from.isF32() && (isMiniFloat(to) || to.isBF16())) ||
            ((isMiniFloat(from) || from.isBF16()) && to.isF32()) ||
            ((isFloatChainType(from) || integer(from)) &&
             (isFloatChainType(to) || integer(to))));
  }
  if (auto rq = dyn_cast<qc::RequantizeLinearOp>(op)) {
    // An i32 accumulator to i8/ui8 codes (QLinearConv's, QLinearMatMul's
    // output stage): the scale one f32 or one per element of dim `axis`,
    // one zero point of the codes' type, an optional i32 bias per element
    // of `axis`.
    auto in = cast<RankedTensorType>(rq.getInput().getType());
    Type codes = out.getElementType();
    int64_t axis = rq.getAxis(); // (the importer normalises it: >= 0)
    if (axis < 0)
      return false;
    auto sized = [&](Value v, bool one) {
      auto t = cast<RankedTensorType>(v.getType());
      return t.hasStaticShape() && t.getRank() <= 1 &&
             ((one && t.getNumElements() == 1) ||
              (axis < out.getRank() && !out.isDynamicDim(axis) &&
               t.getNumElements() == out.getDimSize(axis)));
    };
    return in.getShape() == out.getShape() &&
           in.getElementType().isSignlessInteger(32) &&
           (codes.isSignlessInteger(8) || codes.isUnsignedInteger(8)) &&
           elementTypeOf(rq.getScale()).isF32() && sized(rq.getScale(), true) &&
           elementTypeOf(rq.getZero()) == codes &&
           cast<RankedTensorType>(rq.getZero().getType()).getNumElements() ==
               1 &&
           (!rq.getBias() ||
            (elementTypeOf(rq.getBias()).isSignlessInteger(32) &&
             sized(rq.getBias(), false)));
  }
  if (auto bn = dyn_cast<qc::BatchNormOp>(op)) {
    if (bn.getInput().getType() != out || out.getRank() < 2 ||
        out.isDynamicDim(1))
      return false;
    for (Value p : op->getOperands().drop_front()) {
      auto t = dyn_cast<RankedTensorType>(p.getType());
      if (!t || !t.getElementType().isF32() || t.getRank() != 1 ||
          t.getDimSize(0) != out.getDimSize(1))
        return false;
    }
    return true;
  }
  for (Value v : op->getOperands())
    if (!batchShaped(v.getType()) ||
        !quantc::detail::isBroadcastableTo(cast<RankedTensorType>(v.getType()), out))
      return false;
  auto isFloat = [](Value v) { return isFloatChainType(elementTypeOf(v)); };
  if (isa<qc::LessOp, qc::LessEqualOp, qc::GreaterOp, qc::GreaterEqualOp,
          qc::EqualOp>(op)) {
    Type a = elementTypeOf(op->getOperand(0));
    return out.getElementType().isInteger(1) &&
           a == elementTypeOf(op->getOperand(1)) &&
           (isFloatChainType(a) || a.isSignlessInteger(32) ||
            a.isSignlessInteger(64));
  }
  // Masks: logic on i1 values, and f32 tests giving i1.
  if (isa<qc::NotOp, qc::AndOp, qc::OrOp, qc::XorOp>(op))
    return out.getElementType().isInteger(1) &&
           llvm::all_of(op->getOperands(), [](Value v) {
             return elementTypeOf(v).isInteger(1);
           });
  if (isa<qc::IsNaNOp, qc::IsInfOp>(op))
    return out.getElementType().isInteger(1) && isFloat(op->getOperand(0));
  // Integer arithmetic (position ids, masks, index math): 8, 16, 32 and
  // 64 bits, signed or unsigned, wrapping as the Executor's (int64
  // arithmetic wrapped to the width); where between two integer tensors.
  if (isIntegerChainType(out.getElementType())) {
    if (auto w = dyn_cast<qc::WhereOp>(op))
      return elementTypeOf(w.getCondition()).isInteger(1) &&
             elementTypeOf(w.getLhs()) == out.getElementType() &&
             elementTypeOf(w.getRhs()) == out.getElementType();
    // (Pow: an integer base by an integer exponent of any of the types.)
    if (isa<qc::PowOp>(op))
      return elementTypeOf(op->getOperand(0)) == out.getElementType() &&
             isIntegerChainType(elementTypeOf(op->getOperand(1)));
    return isa<qc::AddOp, qc::SubOp, qc::MulOp, qc::MaxOp, qc::MinOp, qc::NegOp,
               qc::AbsOp, qc::ModOp, qc::BitShiftOp>(op) &&
           llvm::all_of(op->getOperands(), [&](Value v) {
             return elementTypeOf(v) == out.getElementType();
           });
  }
  if (!isFloatChainType(out.getElementType()) || isa<qc::BitShiftOp>(op))
    return false;
  if (auto w = dyn_cast<qc::WhereOp>(op))
    return elementTypeOf(op->getOperand(0)).isInteger(1) &&
           isFloat(op->getOperand(1)) && isFloat(op->getOperand(2));
  if (isa<qc::PowOp>(op)) // (an f32 base to an f32 or integer exponent)
    return isFloat(op->getOperand(0)) &&
           (isFloat(op->getOperand(1)) ||
            isIntegerChainType(elementTypeOf(op->getOperand(1))));
  return llvm::all_of(op->getOperands(), isFloat);
}

/// Element types the runtime knows (docs/Runtime.md, the manifest's
/// dtypes): a layout kernel or copy moves no other.
bool isPackageDtype(Type t) {
  return t.isF32() || t.isF16() || t.isBF16() || t.isF64() ||
         isIntegerChainType(t) || t.isInteger(1) ||
         isa<Float8E4M3FNType, Float8E5M2Type, Float8E8M0FNUType,
             Float4E2M1FNType>(t);
}

bool hasStaticShapes(Operation *op) {
  auto stat = [](Type t) { return cast<RankedTensorType>(t).hasStaticShape(); };
  return llvm::all_of(op->getOperandTypes(), stat) &&
         llvm::all_of(op->getResultTypes(), stat);
}

/// qc.trilu's k or qc.cumsum's axis as its kernel takes it: a constant,
/// or one i32 or i64 element the kernel reads at run time.
bool isIndexScalar(Value v) {
  if (quantc::detail::constantScalar(v))
    return true;
  auto t = cast<RankedTensorType>(v.getType());
  return t.hasStaticShape() && t.getNumElements() == 1 &&
         (t.getElementType().isSignlessInteger(32) ||
          t.getElementType().isSignlessInteger(64));
}

/// A transpose, slice, concat, pad or gather whose only dynamic extent is
/// the run-time batch (dimension 0 of its data, input and result) and
/// which leaves that dimension alone: the kernel's index arithmetic never
/// needs its size (the output element's batch coordinate is the input's),
/// so one kernel serves every batch (DBNet's channel concat over a free
/// batch).
bool movesOnlyOverTheBatch(Operation *op) {
  Value data = op->getOperand(0);
  auto shaped = [](Value v) { return batchShaped(v.getType()); };
  if (!shaped(data) || !shaped(op->getResult(0)))
    return false;
  auto normalise = [&](int64_t a) {
    return a < 0 ? a + cast<RankedTensorType>(data.getType()).getRank() : a;
  };
  if (auto tr = dyn_cast<qc::TransposeOp>(op))
    return !tr.getPerm().empty() && tr.getPerm()[0] == 0;
  if (auto sl = dyn_cast<qc::SliceOp>(op))
    return llvm::none_of(sl.getAxes(),
                         [&](int64_t a) { return normalise(a) == 0; });
  if (auto cc = dyn_cast<qc::ConcatOp>(op))
    return normalise(static_cast<int64_t>(cc.getAxis())) != 0 &&
           llvm::all_of(cc.getInputs(), shaped);
  if (auto pd = dyn_cast<qc::PadOp>(op)) {
    ArrayRef<int64_t> pads = pd.getPads();
    int64_t r = pads.size() / 2;
    return r > 0 && pads[0] == 0 && pads[r] == 0;
  }
  if (auto ga = dyn_cast<qc::GatherOp>(op))
    return normalise(static_cast<int64_t>(ga.getAxis())) != 0 &&
           cast<RankedTensorType>(ga.getIndices().getType()).hasStaticShape();
  return false;
}

/// Layout ops with a kernel: static shapes (or movesOnlyOverTheBatch),
/// elements of 1, 2, 4 or 8 bytes.
bool isLayout(Operation *op) {
  if (!isa<qc::TransposeOp, qc::SliceOp, qc::ConcatOp, qc::GatherOp,
           qc::GatherNDOp, qc::PadOp, qc::ArgMaxOp, qc::ArgMinOp, qc::TriluOp,
           qc::CumSumOp, qc::ResizeOp, qc::ExpandOp, qc::TileOp,
           qc::GatherElementsOp, qc::ScatterElementsOp, qc::ScatterNDOp>(op))
    return false;
  // N13: f32, the scales an attribute (constant scales or sizes), nearest
  // or linear, no crop box (cubic's 4^rank taps and run-time scales have
  // no kernel). Dimension 0 may be the run-time batch when it is not
  // resized and its coordinates map to themselves (every transformation
  // but tf_half_pixel_for_nn at scale 1): one tap, weight 1.
  if (auto rs = dyn_cast<qc::ResizeOp>(op)) {
    using CT = qc::CoordinateTransformation;
    CT ct = rs.getCoordinateTransformationMode();
    bool batch = !hasStaticShapes(op);
    return elementTypeOf(rs.getInput()).isF32() && !rs.getRoi() &&
           !rs.getScalesInput() && !rs.getSizes() &&
           rs.getMode() != qc::ResizeMode::cubic &&
           ct != CT::tf_crop_and_resize &&
           batchShaped(rs.getInput().getType()) &&
           batchShaped(rs.getResult().getType()) &&
           (!batch ||
            (rs.getScales()[0] == 1.0f && ct != CT::tf_half_pixel_for_nn));
  }
  if (!hasStaticShapes(op) && !movesOnlyOverTheBatch(op))
    return false;
  Type elem = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  if (!isPackageDtype(elem))
    return false;
  // M21-M23 (one thread per output element): arg_max/arg_min of f32 or
  // integers (compared in registers), cumsum of f32/i32/i64 along a
  // constant axis, trilu with a constant k.
  Type in = elementTypeOf(op->getOperand(0));
  if (isa<qc::ArgMaxOp, qc::ArgMinOp>(op))
    return in.isF32() ||
           (in.isSignlessInteger() && in.getIntOrFloatBitWidth() >= 8) ||
           in.isUnsignedInteger(8); // (wider unsigned loads: not yet)
  if (auto cs = dyn_cast<qc::CumSumOp>(op))
    return (isFloatChainType(in) || isIntegerChainType(in)) &&
           isIndexScalar(cs.getAxis());
  if (auto tl = dyn_cast<qc::TriluOp>(op))
    return !tl.getK() || isIndexScalar(tl.getK());
  if (auto p = dyn_cast<qc::PadOp>(op)) {
    // A fill of f32 or an integer type (codes: 0 only, their zero code).
    std::optional<TypedAttr> v = p.getValue();
    if (!v)
      return true;
    if (auto f = dyn_cast<FloatAttr>(*v))
      return elem.isF32() || f.getValue().isPosZero();
    return isa<IntegerAttr>(*v);
  }
  if (isa<qc::GatherOp, qc::GatherNDOp, qc::GatherElementsOp>(op)) {
    Type it = elementTypeOf(op->getOperand(1));
    return it.isSignlessInteger(32) || it.isSignlessInteger(64);
  }
  if (isa<qc::ScatterElementsOp, qc::ScatterNDOp>(op)) {
    // S16/S17: i32/i64 indices; a reduction combines floats or integers
    // (the Executor refuses booleans and codes), none replaces anything.
    Type it = elementTypeOf(op->getOperand(1));
    auto red = isa<qc::ScatterNDOp>(op)
                   ? cast<qc::ScatterNDOp>(op).getReduction()
                   : cast<qc::ScatterElementsOp>(op).getReduction();
    return (it.isSignlessInteger(32) || it.isSignlessInteger(64)) &&
           elementTypeOf(op->getOperand(2)) == elem &&
           (red == qc::ScatterReduction::none || isFloatChainType(elem) ||
            isIntegerChainType(elem));
  }
  return true;
}

bool isRecurrent(Operation *op) {
  return isa<qc::LstmOp, qc::GruOp, qc::RnnOp>(op);
}

/// A layer norm's first normalized dimension, in [0, rank).
int64_t layerNormAxis(qc::LayerNormOp ln) {
  int64_t a = static_cast<int64_t>(ln.getAxis());
  return a < 0 ? a + cast<RankedTensorType>(ln.getInput().getType()).getRank()
               : a;
}

/// Why a qc.lstm, qc.gru or qc.rnn has no kernel (lstm_<i>, gru_<i>,
/// rnn_<i>: ElementwiseKernels.cpp), or "".
std::string recurrentKernelGap(Operation *op) {
  Value lens = TypeSwitch<Operation *, Value>(op)
                   .Case([](qc::LstmOp l) { return l.getSequenceLens(); })
                   .Case([](qc::GruOp g) { return g.getSequenceLens(); })
                   .Case([](qc::RnnOp r) { return r.getSequenceLens(); });
  if (lens)
    return "sequence_lens";
  for (Value v : op->getOperands())
    if (!cast<RankedTensorType>(v.getType()).hasStaticShape() ||
        !elementTypeOf(v).isF32())
      return "static f32 shapes only so far";
  if (cast<RankedTensorType>(op->getOperand(0).getType()).getDimSize(0) == 0)
    return "an empty sequence";
  int64_t H = cast<IntegerAttr>(op->getAttr("hidden_size")).getInt();
  if (H < 1 || H > 1024)
    return "a hidden size over 1024 (one thread per unit in one CTA)";
  // ONNX's defaults, per direction: sigmoid, tanh, tanh (LSTM); sigmoid,
  // tanh (GRU); tanh (RNN).
  size_t per = isa<qc::LstmOp>(op) ? 3 : isa<qc::GruOp>(op) ? 2 : 1;
  auto acts = cast<ArrayAttr>(op->getAttr("activations")).getValue();
  for (size_t k = 0; k < acts.size(); ++k) {
    qc::RnnActivation f = cast<qc::RnnActivationAttr>(acts[k]).getValue();
    bool sigmoid = per > 1 && k % per == 0;
    if (f != (sigmoid ? qc::RnnActivation::Sigmoid : qc::RnnActivation::Tanh))
      return per == 3   ? "activations other than sigmoid, tanh, tanh"
             : per == 2 ? "activations other than sigmoid, tanh"
                        : "an activation other than tanh";
  }
  return "";
}

/// The ops a thread per row computes (f32): softmax and log-softmax along
/// a static axis, layer norm over trailing dims, RMS norm, reductions,
/// attention, top-k, and the recurrent ops (a CTA per direction and row).
bool isRowOp(Operation *op) {
  if (quantc::detail::isBatchReduce(op))
    return true;
  // ONNX DynamicQuantizeLinear of f32 to ui8: one warp over the whole
  // tensor (dql_<i>).
  if (auto d = dyn_cast<qc::DynamicQuantizeLinearOp>(op))
    return elementTypeOf(d.getX()).isF32() &&
           cast<RankedTensorType>(d.getX().getType()).getRank() >= 1 &&
           elementTypeOf(d.getY()).isUnsignedInteger(8);
  if (isRecurrent(op))
    return recurrentKernelGap(op).empty();
  auto in = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  // (Reductions also take f16 and f64, read as f32 as the chains do.)
  bool reduce = quantc::detail::isReduceOp(op);
  if (!in ||
      !(in.getElementType().isF32() ||
        (reduce && isFloatChainType(in.getElementType()))) ||
      in.getRank() < 1 || in.isDynamicDim(in.getRank() - 1))
    return false;
  int64_t last = in.getRank() - 1;
  if (reduce) {
    // Over any axes with static sizes (dimension 0 too where it is not a
    // run-time batch); a thread per output walks its reduced elements in
    // row-major order.
    SmallVector<int64_t> axes;
    for (int64_t a : quantc::detail::reduceAxes(op))
      axes.push_back(a < 0 ? a + in.getRank() : a);
    llvm::sort(axes);
    if (axes.empty() || elementTypeOf(op->getResult(0)) != in.getElementType())
      return false;
    for (int64_t a : axes)
      if (a < 0 || a >= in.getRank() || in.isDynamicDim(a))
        return false;
    return true;
  }
  if (auto tk = dyn_cast<qc::TopKOp>(op)) {
    // M24 over the last axis of f32 values, k a constant (the results'
    // static extent).
    auto vt = cast<RankedTensorType>(tk.getValues().getType());
    int64_t axis = tk.getAxis();
    return (axis == last || axis == -1) && vt.getElementType().isF32() &&
           !vt.isDynamicDim(vt.getRank() - 1) &&
           quantc::detail::constantScalar(tk.getK());
  }
  if (isa<qc::SoftmaxOp, qc::LogSoftmaxOp>(op)) {
    // Along any static axis but a run-time batch (a thread per row of the
    // other dims, strided where the axis is not the last).
    int64_t a = cast<IntegerAttr>(op->getAttr("axis")).getInt();
    a = a < 0 ? a + in.getRank() : a;
    return a == last || (a >= 0 && a < last && !in.isDynamicDim(a));
  }
  if (auto at = dyn_cast<qc::AttentionOp>(op)) {
    // query [lead..., Sq, D], key_t [lead..., D, Sk], value [lead..., Sk,
    // Dv] with the same leading dims (no broadcasting; only dimension 0
    // may be dynamic), f32; a static mask that broadcasts to the scores.
    auto kt = cast<RankedTensorType>(at.getKeyT().getType());
    auto vt = cast<RankedTensorType>(at.getValue().getType());
    int64_t r = in.getRank();
    if (r < 2 || kt.getRank() != r || vt.getRank() != r ||
        in.getShape().drop_back(2) != kt.getShape().drop_back(2) ||
        in.getShape().drop_back(2) != vt.getShape().drop_back(2) ||
        !kt.getElementType().isF32() || !vt.getElementType().isF32() ||
        !elementTypeOf(at.getResult()).isF32() || in.isDynamicDim(r - 2) ||
        kt.isDynamicDim(r - 1) || vt.isDynamicDim(r - 1) ||
        kt.getDimSize(r - 1) < 1)
      return false;
    if (Value m = at.getMask()) {
      auto mt = cast<RankedTensorType>(m.getType());
      SmallVector<int64_t> scores(in.getShape().drop_back());
      scores.push_back(kt.getDimSize(r - 1));
      if (!mt.hasStaticShape() || mt.getRank() > r ||
          !(mt.getElementType().isF32() ||
            (mt.getElementType().isInteger(1) && at.getMaskValue())))
        return false;
      for (int64_t j = 1; j <= mt.getRank(); ++j)
        if (mt.getDimSize(mt.getRank() - j) != 1 &&
            mt.getDimSize(mt.getRank() - j) != scores[r - j])
          return false;
    }
    return true;
  }
  if (auto rn = dyn_cast<qc::RmsNormOp>(op)) {
    // Over the last axis, a [D] f32 scale.
    auto t = cast<RankedTensorType>(rn.getScale().getType());
    return (static_cast<int64_t>(rn.getAxis()) == last ||
            static_cast<int64_t>(rn.getAxis()) == -1) &&
           elementTypeOf(rn.getResult()).isF32() &&
           t.getShape() == ArrayRef<int64_t>{in.getDimSize(last)} &&
           t.getElementType().isF32();
  }
  if (auto ln = dyn_cast<qc::LayerNormOp>(op)) {
    // Over dims [axis, rank) (static; dimension 0 only when static): a
    // contiguous row per thread, the scale and bias of its shape (or [D]
    // over the last axis).
    int64_t a = layerNormAxis(ln);
    if (a < 0 || a > last || (a == 0 && in.isDynamicDim(0)))
      return false;
    ArrayRef<int64_t> norm = in.getShape().drop_front(a);
    if (llvm::any_of(norm, ShapedType::isDynamic))
      return false;
    for (Value p : {ln.getScale(), ln.getBias()}) {
      if (!p)
        continue;
      auto t = cast<RankedTensorType>(p.getType());
      bool full = t.getShape() == norm ||
                  (a == last && t.getShape() == ArrayRef<int64_t>{norm[0]});
      if (!full || !t.getElementType().isF32())
        return false;
    }
    return true;
  }
  return false;
}

/// 2-D NCHW (or 1-D NCL, the kernels' height-1 case) f32 input with a
/// static C, H, W.
bool isImage(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && (t.getRank() == 4 || t.getRank() == 3) &&
         t.getElementType().isF32() && batchShaped(t);
}

/// 3-D NCDHW f32 input with static C, D, H, W (the pooling kernel's: it
/// walks the depth taps too; the convolutions do not).
bool isVolume(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 5 && t.getElementType().isF32() && batchShaped(t);
}

/// A batch-shaped NCHW (or NCL) tensor of i8 or ui8 codes (what max
/// pooling of quantized values moves).
bool isByteImage(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && (t.getRank() == 4 || t.getRank() == 3) && batchShaped(t) &&
         (t.getElementType().isSignlessInteger(8) ||
          t.getElementType().isUnsignedInteger(8));
}

/// Layout ops that keep the bytes in order: a copy (the batch stays dim 0
/// and each batch row keeps its size).
bool isByteCopy(Operation *op) {
  if (!isa<qc::ReshapeOp, qc::FlattenOp, qc::SqueezeOp, qc::UnsqueezeOp>(op))
    return false;
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  if (in.getRank() == 0 || out.getRank() == 0)
    return in.hasStaticShape() && out.hasStaticShape();
  if (in.isDynamicDim(0) != out.isDynamicDim(0))
    return false;
  auto rowElems = [](RankedTensorType t) {
    int64_t n = 1;
    for (int64_t i = t.isDynamicDim(0) ? 1 : 0; i < t.getRank(); ++i)
      n *= t.getDimSize(i);
    return n;
  };
  return rowElems(in) == rowElems(out) && isPackageDtype(in.getElementType());
}

/// A qc.conv_integer or qc.matmul_integer the iconv_ / imatmul_ kernels
/// compute: i8/ui8 operands (a 2-D NCHW input and a static weight; or
/// rank >= 2 matmul operands broadcast as qc.matmul's), an i32 result,
/// zero points of one element, or one per output channel (the weight's),
/// per row of the lhs or per column of the rhs, with static sizes.
bool isIntegerProduct(Operation *op) {
  auto type = [](Value v) { return cast<RankedTensorType>(v.getType()); };
  auto bytes = [&](Value v) {
    Type t = type(v).getElementType();
    return t.isSignlessInteger(8) || t.isUnsignedInteger(8);
  };
  auto zero = [&](Value v, int64_t per) {
    RankedTensorType t = type(v);
    Type el = t.getElementType();
    return t.hasStaticShape() && t.getRank() <= 1 &&
           (t.getNumElements() == 1 || t.getNumElements() == per) &&
           (bytes(v) || el.isSignlessInteger(32));
  };
  if (!type(op->getResult(0)).getElementType().isSignlessInteger(32))
    return false;
  if (auto c = dyn_cast<qc::ConvIntegerOp>(op)) {
    RankedTensorType w = type(c.getWeight());
    return type(c.getInput()).getRank() == 4 && bytes(c.getInput()) &&
           w.getRank() == 4 && w.hasStaticShape() && bytes(c.getWeight()) &&
           zero(c.getInputZero(), 1) &&
           zero(c.getWeightZero(), w.getDimSize(0));
  }
  auto mm = cast<qc::MatMulIntegerOp>(op);
  RankedTensorType l = type(mm.getLhs()), r = type(mm.getRhs()),
                   o = type(mm.getResult());
  if (l.getRank() < 2 || r.getRank() < 2 || !bytes(mm.getLhs()) ||
      !bytes(mm.getRhs()) ||
      !(l.getRank() == o.getRank() || !l.isDynamicDim(0)) ||
      !(r.getRank() == o.getRank() || !r.isDynamicDim(0)))
    return false;
  // (A run-time number of rows, the batch's, takes a zero point of one
  // element: `per` is then ShapedType::kDynamic, never an element count.)
  int64_t M = l.getDimSize(l.getRank() - 2), N = r.getDimSize(r.getRank() - 1);
  return zero(mm.getLhsZero(), M) && zero(mm.getRhsZero(), N);
}

/// Why `op` has no kernel, or "" when it has one.
std::string unsupportedReason(Operation *op) {
  std::string name = op->getName().getStringRef().str();
  for (Value v : op->getOperands())
    if (!batchShaped(v.getType()))
      return name + " (dynamic non-batch dims)";
  for (Value v : op->getResults())
    if (!batchShaped(v.getType()))
      return name + " (dynamic non-batch dims)";
  if (auto q = dyn_cast<qc::QMatMulOp>(op)) {
    if (!isKernelSupported(q))
      return name + " (scheme " +
             [&] {
               std::string s;
               llvm::raw_string_ostream os(s);
               os << q.getLhsScheme();
               return s;
             }() +
             ")";
    return "";
  }
  if (auto q = dyn_cast<qc::QuantizeOp>(op)) {
    if (!getMXGemmElement(q.getScheme()) ||
        !cast<RankedTensorType>(q.getInput().getType()).getElementType().isF32())
      return name + " (only f32 to mxfp8, mxfp6 or mxfp4 so far)";
    return "";
  }
  if (isChainOpKind(op)) {
    if (isElementwise(op))
      return "";
    return name + " (element types or shapes without a kernel)";
  }
  if (isa<qc::ConvOp, qc::ConvTransposeOp>(op)) {
    // (input, weight[, bias]): 1-D to 3-D f32 images, a static f32 weight
    // and an f32 bias (the kernels read each as f32).
    auto w = cast<RankedTensorType>(op->getOperand(1).getType());
    bool biasOk = op->getNumOperands() < 3 ||
                  elementTypeOf(op->getOperand(2)).isF32();
    bool shapes = (isImage(op->getOperand(0)) && isImage(op->getResult(0))) ||
                  (isVolume(op->getOperand(0)) && isVolume(op->getResult(0)));
    return shapes && w.hasStaticShape() && w.getElementType().isF32() && biasOk
               ? ""
               : name + " (only 1-D to 3-D f32 so far)";
  }
  if (isa<qc::MaxPoolOp>(op) && isByteImage(op->getOperand(0)) &&
      isByteImage(op->getResult(0)) &&
      elementTypeOf(op->getOperand(0)) == elementTypeOf(op->getResult(0)))
    return ""; // max of i8/ui8 codes
  if (isa<qc::MaxPoolOp, qc::AvgPoolOp>(op))
    return (isImage(op->getOperand(0)) && isImage(op->getResult(0))) ||
                   (isVolume(op->getOperand(0)) && isVolume(op->getResult(0)))
               ? ""
               : name + " (only 1-D to 3-D f32, or 1-D/2-D i8/ui8 max, so "
                        "far)";
  if (isa<qc::GlobalAvgPoolOp, qc::GlobalMaxPoolOp>(op)) {
    auto t = cast<RankedTensorType>(op->getOperand(0).getType());
    return t.getRank() >= 3 && t.getElementType().isF32() ? "" : name;
  }
  if (isa<qc::ReshapeOp, qc::FlattenOp, qc::SqueezeOp, qc::UnsqueezeOp>(op))
    return isByteCopy(op) ? "" : name + " (moves the batch dimension)";
  if (isa<qc::TransposeOp, qc::SliceOp, qc::ConcatOp, qc::GatherOp,
          qc::GatherNDOp, qc::PadOp>(op))
    return isLayout(op) ? "" : name + " (static shapes only so far)";
  if (isa<qc::ExpandOp, qc::TileOp, qc::GatherElementsOp, qc::ScatterElementsOp,
          qc::ScatterNDOp>(op))
    return isLayout(op) ? "" : name + " (static shapes only so far)";
  if (isa<qc::ResizeOp>(op))
    return isLayout(op) ? ""
                        : name + " (so far only nearest or linear, f32, "
                                 "static shapes, constant scales or sizes, "
                                 "no crop box)";
  if (isa<qc::ArgMaxOp, qc::ArgMinOp, qc::TriluOp, qc::CumSumOp>(op))
    return isLayout(op) ? ""
                        : name + " (static shapes, float or integer "
                                 "elements and a constant or one-element "
                                 "i32/i64 axis or k only so far)";
  if (auto mm = dyn_cast<qc::MatMulOp>(op)) {
    // Every operand is batch-shaped (checked above): only dimension 0, the
    // batch, may be dynamic; the kernel's count scales with it.
    auto l = cast<RankedTensorType>(mm.getLhs().getType());
    auto r = cast<RankedTensorType>(mm.getRhs().getType());
    auto o = cast<RankedTensorType>(mm.getResult().getType());
    bool batchOk = l.getRank() == o.getRank() || !l.isDynamicDim(0);
    return batchOk && l.getRank() >= 2 && r.getRank() >= 2 &&
                   (r.getRank() == o.getRank() || !r.isDynamicDim(0)) &&
                   l.getElementType().isF32() && r.getElementType().isF32()
               ? ""
               : name + " (f32, rank >= 2 only so far)";
  }
  if (isa<qc::DynamicQuantizeLinearOp>(op))
    return isRowOp(op) ? "" : name + " (f32 to ui8 only so far)";
  if (isa<qc::ConvIntegerOp, qc::MatMulIntegerOp>(op))
    return isIntegerProduct(op)
               ? ""
               : name + " (so far 2-D convolutions and rank >= 2 matmuls of "
                        "i8/ui8 to i32, zero points of one element or one "
                        "per channel, row or column)";
  if (isRecurrent(op)) {
    std::string gap = recurrentKernelGap(op);
    return gap.empty() ? "" : name + " (" + gap + ")";
  }
  if (isa<qc::SoftmaxOp, qc::LogSoftmaxOp, qc::LayerNormOp, qc::RmsNormOp,
          qc::AttentionOp, qc::TopKOp>(op) ||
      quantc::detail::isReduceOp(op))
    return isRowOp(op) ? "" : name + " (last axis, f32 only so far)";
  return name;
}

/// The GEMM kernel a qc.qmatmul shares: mxfp8_gemm for e4m3 operands,
/// mxfp8_gemm_<lhs>_<rhs> (e.g. mxfp8_gemm_e2m1_e2m1) for codes recoded
/// to e4m3 as they load.
std::string gemmKernelName(qc::QMatMulOp q) {
  GemmOperandCodes l = quantc::detail::gemmOperandCodes(q, false),
                   r = quantc::detail::gemmOperandCodes(q, true);
  if (isa<Float8E4M3FNType>(l.elem) && isa<Float8E4M3FNType>(r.elem))
    return kGemmKernelName.str();
  // A "p": the operand's 4-bit codes are read two per byte (a weight).
  return (kGemmKernelName + "_" + getMXElementShortName(l.elem) +
          (l.nibbles ? "p" : "") + "_" + getMXElementShortName(r.elem) +
          (r.nibbles ? "p" : ""))
      .str();
}

/// The operands of a matmul the sm_90a GEMM computes (Program.h): e4m3
/// codes A [..., K] and a K-major e4m3 weight B [N, K] that
/// qc-kmajor-weights made (marked qc.kmajor_weight), read through a
/// transpose, in one of two schemes:
/// - 1x128: A dequantized by 1 x 128 blocks along K (SA [..., KB]), B along
///   K with a row of scales per weight row (SB [N, KB]);
/// - per channel: A by one scale (SA a 0-d f32), B per weight row (SB [N]);
/// - int8: i8/ui8 codes, A by one constant scale and at most one constant
///   zero point, B per weight row (SB [N]) or by one scale, without a zero
///   point (the int8 wgmma GEMM; F34); K * 255^2 < 2^31.
/// K is a multiple of 16 (TMA's row alignment).
struct HopperOperands {
  Value a, sa, b, sb, za;
  Operation *lhs, *transpose, *rhs;
};

/// Whether `v` is a constant (a compile-time constant or a package weight)
/// of one element.
bool isOneConstant(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return isa_and_nonnull<arith::ConstantOp, qc::WeightOp>(v.getDefiningOp()) &&
         t.hasStaticShape() && t.getNumElements() == 1;
}

/// Whether `act` dequantizes run-time codes [..., K] by one scale per row
/// (dynamic per-token activations, as qc-quantize-linear writes them: a
/// scale [..., 1] computed at run time, blocks of K along the last axis,
/// no zero point). A GEMM reads those scales as SA [M].
bool isPerTokenScale(qc::DequantizeLinearOp act) {
  auto ct = cast<RankedTensorType>(act.getCodes().getType());
  auto st = cast<RankedTensorType>(act.getScale().getType());
  if (act.getZeroPoint() || ct.getRank() < 2 || st.getRank() != ct.getRank() ||
      ct.isDynamicDim(ct.getRank() - 1) || st.getShape().back() != 1 ||
      isa_and_nonnull<arith::ConstantOp, qc::WeightOp>(
          act.getScale().getDefiningOp()))
    return false;
  for (int64_t d = 0; d + 1 < ct.getRank(); ++d)
    if (st.getDimSize(d) != ct.getDimSize(d))
      return false;
  quantc::detail::LinearQuantLayout l = quantc::detail::linearQuantLayout(act);
  return l.axis == ct.getRank() - 1 && l.blockSize == ct.getShape().back();
}

/// The operands of a matmul the int8 GEMM computes (buildInt8GemmKernel):
/// W8A8 with static scales, as qc-quantize-linear writes it (and ONNX
/// QDQ models read):
///
///   matmul(dequantize_linear(%a [..., K], %sa, [%za]),
///          dequantize_linear(%w [K, N], %sw [N] or one, [%zw] {axis = 1}))
///
/// %a i8/ui8 codes (an activation), %w i8/ui8 codes of a weight; the
/// scales and zero points one element each, except the weight's per
/// column, all constants (static scales). K * 255^2 < 2^31, so the s32
/// sums cannot overflow.
struct Int8Operands {
  Value a, sa, b, sb, za, zb, bias;
  Operation *lhs, *rhs;
};

/// The most columns the int8 GEMM's grid covers: its y extent,
/// ceil(N / 16), is at most CUDA's 65535.
constexpr int64_t kInt8GemmMaxN = int64_t(65535) * kMXFP8BlockTileN;

/// What every int8 GEMM form (the mma.sync matmul and conv, the sm_90a
/// wgmma matmul) needs of the dequantizes: i8/ui8 codes, f32 scales; the
/// activation's (`act`, codes computed at run time) one scale and zero
/// point, constants, or (`perTokenScales`, a matmul's) one scale per token
/// (isPerTokenScale); the weight's (`w`, constant codes) one, or one per
/// index of `axis` (`channels` of them, the GEMM's N), constants, no
/// blocks; K · 255² < 2³¹.
std::optional<Int8Operands> matchInt8Operands(qc::DequantizeLinearOp act,
                                              qc::DequantizeLinearOp w,
                                              int64_t axis, int64_t channels,
                                              int64_t K, bool perTokenScales) {
  // (The s32 sums cannot overflow; the grid's y extent covers the
  // channels.)
  if (!act || !w || K * 255 * 255 >= (int64_t(1) << 31) ||
      channels > kInt8GemmMaxN)
    return std::nullopt;
  auto isConst = [](Value v) {
    return !v ||
           isa_and_nonnull<arith::ConstantOp, qc::WeightOp>(v.getDefiningOp());
  };
  auto numel = [](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.hasStaticShape() ? t.getNumElements() : int64_t(-1);
  };
  if (!elementTypeOf(act.getCodes()).isInteger(8) ||
      !elementTypeOf(w.getCodes()).isInteger(8) ||
      !elementTypeOf(act.getScale()).isF32() ||
      !elementTypeOf(w.getScale()).isF32() || isConst(act.getCodes()) ||
      !isConst(w.getCodes()))
    return std::nullopt;
  auto one = [](Value v) { return !v || isOneConstant(v); };
  // One static scale and zero point, or one scale per token.
  bool perToken = perTokenScales && isPerTokenScale(act);
  if (!(one(act.getScale()) || perToken) || !act.getScale() ||
      !one(act.getZeroPoint()))
    return std::nullopt;
  quantc::detail::LinearQuantLayout wl = quantc::detail::linearQuantLayout(w);
  auto perTensorOrChannel = [&](Value v) {
    return isConst(v) && (numel(v) == 1 ||
                          (numel(v) == channels &&
                           cast<RankedTensorType>(v.getType()).getRank() == 1 &&
                           wl.axis == axis));
  };
  if (wl.blockSize != 0 || !perTensorOrChannel(w.getScale()) ||
      (w.getZeroPoint() && !perTensorOrChannel(w.getZeroPoint())))
    return std::nullopt;
  return Int8Operands{act.getCodes(),
                      act.getScale(),
                      w.getCodes(),
                      w.getScale(),
                      act.getZeroPoint(),
                      w.getZeroPoint(),
                      Value(),
                      act,
                      w};
}

/// The int8 form of matchHopperGemm: matchInt8Operands' dequantizes with
/// the weight [N, K] (per channel along axis 0), no weight zero point, K a
/// multiple of 16; per-token activation scales only with per-channel
/// weights (the kernel's per-tensor mode reads one SA).
std::optional<HopperOperands> matchHopperInt8(qc::MatMulOp mm,
                                              qc::DequantizeLinearOp lhs,
                                              qc::TransposeOp tr,
                                              qc::DequantizeLinearOp rhs) {
  auto at = cast<RankedTensorType>(lhs.getCodes().getType());
  auto bt = cast<RankedTensorType>(rhs.getCodes().getType());
  auto ot = cast<RankedTensorType>(mm.getResult().getType());
  if (!ot.getElementType().isF32() || at.getRank() < 2 || bt.getRank() != 2 ||
      !bt.hasStaticShape() || !batchShaped(at) || !batchShaped(ot) ||
      ot.getRank() != at.getRank() || rhs.getZeroPoint())
    return std::nullopt;
  int64_t K = at.getShape().back(), N = bt.getDimSize(0);
  if (bt.getDimSize(1) != K || K % kHopperKAlign || N > INT32_MAX ||
      !matchInt8Operands(lhs, rhs, 0, N, K, /*perTokenScales=*/true))
    return std::nullopt;
  auto sbt = cast<RankedTensorType>(rhs.getScale().getType());
  if (!isOneConstant(lhs.getScale()) && sbt.getShape() != ArrayRef<int64_t>{N})
    return std::nullopt;
  return HopperOperands{lhs.getCodes(),
                        lhs.getScale(),
                        rhs.getCodes(),
                        rhs.getScale(),
                        lhs.getZeroPoint(),
                        lhs,
                        tr,
                        rhs};
}

std::optional<HopperOperands> matchHopperGemm(Operation *op) {
  auto mm = dyn_cast<qc::MatMulOp>(op);
  if (!mm)
    return std::nullopt;
  auto lhs = mm.getLhs().getDefiningOp<qc::DequantizeLinearOp>();
  auto tr = mm.getRhs().getDefiningOp<qc::TransposeOp>();
  if (!lhs || !tr || tr.getPerm() != ArrayRef<int64_t>{1, 0})
    return std::nullopt;
  auto rhs = tr.getInput().getDefiningOp<qc::DequantizeLinearOp>();
  // qc-kmajor-weights marks the weights it lays out (with 1x128 scales,
  // their 128-row blocks' scales are equal: the kernel reads one row per
  // block).
  if (!rhs || !rhs->hasAttr("qc.kmajor_weight") ||
      !(rhs.getCodes().getDefiningOp<qc::WeightOp>() ||
        matchPattern(rhs.getCodes(), m_Constant())))
    return std::nullopt;
  if (elementTypeOf(lhs.getCodes()).isInteger(8))
    return matchHopperInt8(mm, lhs, tr, rhs);
  if (lhs.getZeroPoint() || rhs.getZeroPoint())
    return std::nullopt;
  auto at = cast<RankedTensorType>(lhs.getCodes().getType());
  auto bt = cast<RankedTensorType>(rhs.getCodes().getType());
  auto sat = cast<RankedTensorType>(lhs.getScale().getType());
  auto sbt = cast<RankedTensorType>(rhs.getScale().getType());
  auto ot = cast<RankedTensorType>(mm.getResult().getType());
  if (!isa<Float8E4M3FNType>(at.getElementType()) ||
      !isa<Float8E4M3FNType>(bt.getElementType()) ||
      !sat.getElementType().isF32() || !sbt.getElementType().isF32() ||
      !ot.getElementType().isF32() || at.getRank() < 2 ||
      bt.getRank() != 2 || !bt.hasStaticShape() || !batchShaped(at) ||
      !batchShaped(ot) || ot.getRank() != at.getRank())
    return std::nullopt;
  int64_t K = at.getShape().back(), N = bt.getDimSize(0);
  if (bt.getDimSize(1) != K || K % kHopperKAlign || K > INT32_MAX ||
      N > INT32_MAX)
    return std::nullopt;
  int64_t KB = llvm::divideCeil(K, int64_t(numerics::kFP8GemmBlock));
  quantc::detail::LinearQuantLayout ll = quantc::detail::linearQuantLayout(lhs),
                                    rl = quantc::detail::linearQuantLayout(rhs);
  bool perChannel = sat.getRank() == 0 && rl.blockSize == 0 && rl.axis == 0 &&
                    sbt.getShape() == ArrayRef<int64_t>{N};
  SmallVector<int64_t> saShape(at.getShape());
  saShape.back() = KB;
  bool block = ll.axis == at.getRank() - 1 &&
               ll.blockSize == numerics::kFP8GemmBlock && rl.axis == 1 &&
               rl.blockSize == numerics::kFP8GemmBlock &&
               sat.getShape() == ArrayRef<int64_t>(saShape) &&
               sbt.getShape() == ArrayRef<int64_t>{N, KB};
  if (!perChannel && !block)
    return std::nullopt;
  return HopperOperands{lhs.getCodes(),
                        lhs.getScale(),
                        rhs.getCodes(),
                        rhs.getScale(),
                        Value(),
                        lhs,
                        tr,
                        rhs};
}

std::optional<Int8Operands> matchInt8Gemm(Operation *op) {
  auto mm = dyn_cast<qc::MatMulOp>(op);
  if (!mm)
    return std::nullopt;
  auto lhs = mm.getLhs().getDefiningOp<qc::DequantizeLinearOp>();
  auto rhs = mm.getRhs().getDefiningOp<qc::DequantizeLinearOp>();
  if (!lhs || !rhs)
    return std::nullopt;
  auto at = cast<RankedTensorType>(lhs.getCodes().getType());
  auto bt = cast<RankedTensorType>(rhs.getCodes().getType());
  auto ot = cast<RankedTensorType>(mm.getResult().getType());
  if (!ot.getElementType().isF32() || at.getRank() < 2 || bt.getRank() != 2 ||
      !bt.hasStaticShape() || !batchShaped(at) || !batchShaped(ot) ||
      ot.getRank() != at.getRank())
    return std::nullopt;
  // Weights [K, N]: per column is along axis 1.
  int64_t K = bt.getDimSize(0), N = bt.getDimSize(1);
  if (at.isDynamicDim(at.getRank() - 1) || at.getShape().back() != K)
    return std::nullopt;
  return matchInt8Operands(lhs, rhs, 1, N, K, /*perTokenScales=*/true);
}

/// The int8 GEMM as a 2-D convolution (one group; Int8GemmOperands::Conv):
///
///   conv(dequantize_linear(%x [batch, C, H, W], %sx, [%zx]),
///        dequantize_linear(%w [M, C, KH, KW], %sw [M] or one, [%zw]
///                          {axis = 0}), [%bias])
///
/// with static scales (constants), i8/ui8 codes, a constant f32 bias, every
/// dimension static but the batch, C · KH · KW · 255² < 2³¹.
std::optional<Int8Operands> matchInt8Conv(Operation *op) {
  auto conv = dyn_cast<qc::ConvOp>(op);
  if (!conv || conv.getGroup() != 1)
    return std::nullopt;
  auto in = conv.getInput().getDefiningOp<qc::DequantizeLinearOp>();
  auto wq = conv.getWeight().getDefiningOp<qc::DequantizeLinearOp>();
  if (!in || !wq)
    return std::nullopt;
  auto xt = cast<RankedTensorType>(in.getCodes().getType());
  auto wt = cast<RankedTensorType>(wq.getCodes().getType());
  auto ot = cast<RankedTensorType>(conv.getResult().getType());
  // 2-D, or 1-D (the 2-D kernel of height 1, as conv_<i>).
  int64_t rank = xt.getRank();
  if ((rank != 4 && rank != 3) || wt.getRank() != rank ||
      ot.getRank() != rank || !ot.getElementType().isF32() ||
      !batchShaped(xt) || !batchShaped(ot) || !wt.hasStaticShape())
    return std::nullopt;
  int64_t M = wt.getDimSize(0), K = wt.getNumElements() / M;
  if (xt.getDimSize(1) != wt.getDimSize(1))
    return std::nullopt;
  Value bias = conv.getBias();
  if (bias) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (!isa_and_nonnull<arith::ConstantOp, qc::WeightOp>(
            bias.getDefiningOp()) ||
        !bt.getElementType().isF32() || bt.getRank() != 1 ||
        bt.getDimSize(0) != M)
      return std::nullopt;
  }
  // Weights [M, C, KH, KW]: per output channel is along axis 0.
  std::optional<Int8Operands> m =
      matchInt8Operands(in, wq, 0, M, K, /*perTokenScales=*/false);
  if (m)
    m->bias = bias;
  return m;
}

/// Whether a HopperGemm step is the int8 wgmma GEMM (i8/ui8 codes).
bool isHopperInt8(const GpuStep &s) {
  return elementTypeOf(s.inputs[0]).isInteger(8);
}

/// Whether a HopperGemm step has per-channel weight scales (SB [N]; int8:
/// more than one, or one with per-token activation scales, which only the
/// per-channel mode reads per row).
bool isHopperPerChannel(const GpuStep &s) {
  auto t = cast<RankedTensorType>(s.inputs[3].getType());
  if (!isHopperInt8(s))
    return t.getRank() == 1;
  auto sa = cast<RankedTensorType>(s.inputs[1].getType());
  return t.getNumElements() != 1 || !sa.hasStaticShape() ||
         sa.getNumElements() != 1;
}

/// The scales of a HopperGemm step, as the manifest's attrs name them.
llvm::StringRef hopperScalesName(const GpuStep &s) {
  return isHopperPerChannel(s) ? "per-channel"
         : isHopperInt8(s)     ? "per-tensor"
                               : "1x128";
}

/// The configuration of a HopperGemm step's kernel: its scales (1x128
/// with the weight scales a row per weight row, or per channel with one
/// activation scale), the tile heuristic (HopperGemm.h) for its shape (a
/// run-time batch taken as 4096 rows; a static M <= 64 swapped), one CTA
/// per tile (the grid is linear in the batch: not persistent, no split-K),
/// tileN no wider than N needs, f32 output.
HopperGemmConfig hopperGemmConfig(const GpuStep &s) {
  auto a = cast<RankedTensorType>(s.inputs[0].getType());
  auto b = cast<RankedTensorType>(s.inputs[2].getType());
  int64_t M = 1;
  bool dynamic = false;
  for (int64_t d : a.getShape().drop_back()) {
    if (ShapedType::isDynamic(d))
      dynamic = true;
    else
      M *= d;
  }
  int64_t N = b.getDimSize(0), K = b.getDimSize(1);
  bool perChannel = isHopperPerChannel(s), integer = isHopperInt8(s);
  // A static M of at most 64 rows (decode shapes: a few tokens) swaps A
  // and B: the weights take the MMA's 128-row side, the tokens the
  // narrowest tileN that holds them.
  HopperGemmConfig c =
      chooseHopperGemmConfig(dynamic ? 4096 : M, N, K,
                             perChannel ? HopperScaleMode::PerTokenPerChannel
                             : integer  ? HopperScaleMode::PerTensor
                                        : HopperScaleMode::Block1x128);
  c.persistent = false;
  c.splitK = 1;
  c.output = HopperOutput::F32;
  c.weightScalesPerRow = !perChannel && !integer;
  // (int8's SA: one static scale, or one per token.)
  auto sa = cast<RankedTensorType>(s.inputs[1].getType());
  c.activationScalePerTensor =
      perChannel &&
      (!integer || (sa.hasStaticShape() && sa.getNumElements() == 1));
  if (integer) {
    auto codes = [&](Value v) {
      return elementTypeOf(v).isUnsignedInteger(8) ? HopperOperand::U8
                                                   : HopperOperand::S8;
    };
    c.a = codes(s.inputs[0]);
    c.b = codes(s.inputs[2]);
    c.activationZeroPoint = s.zeroPoints & 1;
    // (The weight sums' scratch: the ring one stage shorter if need be.)
    while (c.stages > 2 && getHopperGemmSharedBytes(c) > kHopperMaxSharedBytes)
      --c.stages;
  }
  if (s.quantizedOutput) {
    // A 1x128 group of the output lies in one CTA: tiles of 128 columns
    // (swapped: the tile's 128 weight rows are the group).
    c.output = HopperOutput::FP8Block1x128;
    c.outputScaleFloor = true;
    if (!c.swapAB)
      c.tileN = 128;
    // Wider tiles, bigger stages: the ring as deep as still fits.
    while (c.stages > 2 && getHopperGemmSharedBytes(c) > kHopperMaxSharedBytes)
      --c.stages;
    return c;
  }
  if (!c.swapAB)
    for (unsigned t : {16u, 32u, 64u})
      if (N <= t && t < c.tileN) {
        c.tileN = t;
        break;
      }
  return c;
}

/// A run-time activation quantize as qc-quantize-linear writes it (F31;
/// dynamicFakeQuantize and blockAbsMax), along the last axis of x (rank r,
/// K static) by blocks of `block` (fp8-1x128: 128; per token: K):
///
///   a = abs(x)
///   amax = the max of a over each block, as one of
///     reduce_max(a, axes [r-1], keepdims)                  (K <= block)
///     reduce_max(reshape(a, [..., K/block, block]), [r])   (K % block = 0)
///     concat(reduce_max(reshape(slice(a, 0, W))), reduce_max(slice(a, W,
///            K), keepdims))                                (a partial last
///                                                           block)
///   s = max(amax / qmax, floor)        (qmax, floor: 0-d f32 values)
///   codes = quantize_linear(x, s, axis r-1, block)
///
/// One kernel computes it all (dyn_quantize_<i>): the intermediates never
/// reach memory. When the codes and s are read only by one dequantize of
/// the same layout, that dequantize joins too (dyn_qdq_<i>: the f32 result
/// alone is stored).
struct DynamicQuantize {
  qc::QuantizeLinearOp q;
  qc::DequantizeLinearOp dq; // null: codes and s are stored
  Value x, qmax, floor;
  int64_t block;
  /// Every op the step computes, in graph order (q, then dq, last).
  SmallVector<Operation *> ops;
  /// F31's asymmetric form (matchAsymmetricDynamicQuantize): the 0-d
  /// zero, range (255) and qmin (-128) values; qmax is unused.
  bool asym = false;
  Value zero, range, qmin;
  /// The step's inputs, in the kernel's argument order.
  SmallVector<Value> inputs() const {
    if (asym)
      return {x, zero, range, floor, qmin};
    return {x, qmax, floor};
  }
};

/// F31 asymmetric steps' kernel key part: the zero point's clip bounds,
/// which the kernel holds as constants (":asym:<lo bits>:<hi bits>");
/// empty for a symmetric quantize.
std::string zeroPointClipKey(ArrayRef<Operation *> ops) {
  for (Operation *op : ops)
    if (auto c = dyn_cast<qc::ClipOp>(op))
      return llvm::formatv(":asym:{0:x}:{1:x}",
                           llvm::bit_cast<uint32_t>(
                               c.getMin()->convertToFloat()),
                           llvm::bit_cast<uint32_t>(
                               c.getMax()->convertToFloat()))
          .str();
  return "";
}

bool isScalarF32(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getRank() == 0 && t.getElementType().isF32();
}

/// F31's asymmetric run-time quantize of x's rows (one block per row, the
/// last axis; qc-quantize-linear's dynamicFakeQuantize with a zero point)
/// and the one dequantize that reads it:
///
///   lo = min(reduce_min(x, [r-1], keepdims), zero)
///   hi = max(reduce_max(x, [r-1], keepdims), zero)
///   s  = max((hi - lo) / range, floor)
///   z  = cast(round(clip(qmin - lo / s, zlo, zhi)))   (i8 or ui8)
///   dequantize_linear(quantize_linear(x, s, z), s, z)
///
/// (zero, range, floor, qmin: 0-d f32 values.) One dyn_qdq_<i> launch
/// computes it all per row; only the dequantized values are stored.
std::optional<DynamicQuantize>
matchAsymmetricDynamicQuantize(qc::QuantizeLinearOp q) {
  auto xt = cast<RankedTensorType>(q.getX().getType());
  auto st = cast<RankedTensorType>(q.getScale().getType());
  Type codes = elementTypeOf(q.getCodes());
  int64_t r = xt.getRank();
  if (!q.getSaturate() || r < 1 || !xt.getElementType().isF32() ||
      !st.getElementType().isF32() || !batchShaped(xt) ||
      xt.isDynamicDim(r - 1) ||
      !(codes.isSignlessInteger(8) || codes.isUnsignedInteger(8)))
    return std::nullopt;
  quantc::detail::LinearQuantLayout l = quantc::detail::linearQuantLayout(q);
  int64_t K = xt.getDimSize(r - 1);
  SmallVector<int64_t> sShape(xt.getShape());
  sShape.back() = 1;
  if (l.axis != r - 1 || l.blockSize != K ||
      st.getShape() != ArrayRef<int64_t>(sShape))
    return std::nullopt;
  Value s = q.getScale(), z = q.getZeroPoint();
  // The dequantize that alone reads the codes, with q's s, z and layout.
  if (!q.getCodes().hasOneUse())
    return std::nullopt;
  auto dq = dyn_cast<qc::DequantizeLinearOp>(*q.getCodes().getUsers().begin());
  if (!dq || dq.getScale() != s || dq.getZeroPoint() != z ||
      quantc::detail::linearQuantLayout(dq).axis != l.axis ||
      quantc::detail::linearQuantLayout(dq).blockSize != K ||
      !elementTypeOf(dq.getResult()).isF32())
    return std::nullopt;
  auto cast = z.getDefiningOp<qc::CastOp>();
  auto rnd = cast ? cast.getInput().getDefiningOp<qc::RoundOp>() : nullptr;
  auto clip = rnd ? rnd.getInput().getDefiningOp<qc::ClipOp>() : nullptr;
  auto zsub = clip ? clip.getInput().getDefiningOp<qc::SubOp>() : nullptr;
  auto zdiv = zsub ? zsub.getRhs().getDefiningOp<qc::DivOp>() : nullptr;
  auto mx = s.getDefiningOp<qc::MaxOp>();
  auto sdiv = mx ? mx.getLhs().getDefiningOp<qc::DivOp>() : nullptr;
  auto width = sdiv ? sdiv.getLhs().getDefiningOp<qc::SubOp>() : nullptr;
  if (!cast || !rnd || !clip || !clip.getMin() || !clip.getMax() || !zsub ||
      !zdiv || zdiv.getRhs() != s || !isScalarF32(zsub.getLhs()) || !mx ||
      !isScalarF32(mx.getRhs()) || !sdiv || !isScalarF32(sdiv.getRhs()) ||
      !width || width.getRhs() != zdiv.getLhs() ||
      cast.getInput().getType() != st.clone(st.getElementType()))
    return std::nullopt;
  Value lo = zdiv.getLhs(), hi = width.getLhs();
  auto loOp = lo.getDefiningOp<qc::MinOp>();
  auto hiOp = hi.getDefiningOp<qc::MaxOp>();
  if (!loOp || !hiOp || loOp.getRhs() != hiOp.getRhs() ||
      !isScalarF32(loOp.getRhs()) || lo.getType() != st || hi.getType() != st)
    return std::nullopt;
  auto rmin = loOp.getLhs().getDefiningOp<qc::ReduceMinOp>();
  auto rmax = hiOp.getLhs().getDefiningOp<qc::ReduceMaxOp>();
  auto rowReduce = [&](Operation *op, ArrayRef<int64_t> axes, bool keep) {
    return op && op->getOperand(0) == q.getX() && keep && axes.size() == 1 &&
           (axes[0] < 0 ? axes[0] + r : axes[0]) == r - 1 &&
           op->getResult(0).hasOneUse();
  };
  if (!rmin || !rmax || !rowReduce(rmin, rmin.getAxes(), rmin.getKeepdims()) ||
      !rowReduce(rmax, rmax.getAxes(), rmax.getKeepdims()))
    return std::nullopt;
  // Every intermediate is read inside the match only (lo twice; s by
  // zdiv, q and dq; z by q and dq).
  auto onlyUsers = [](Value v, std::initializer_list<Operation *> users) {
    return llvm::all_of(v.getUsers(), [&](Operation *u) {
      return llvm::is_contained(users, u);
    });
  };
  if (!onlyUsers(lo, {width, zdiv}) || !hi.hasOneUse() ||
      !width.getResult().hasOneUse() || !sdiv.getResult().hasOneUse() ||
      !onlyUsers(s, {zdiv, q, dq}) || !zdiv.getResult().hasOneUse() ||
      !zsub.getResult().hasOneUse() || !clip.getResult().hasOneUse() ||
      !rnd.getResult().hasOneUse() || !onlyUsers(z, {q, dq}))
    return std::nullopt;
  DynamicQuantize m{q, dq, q.getX(), Value(), mx.getRhs(), K, {}};
  m.asym = true;
  m.zero = loOp.getRhs();
  m.range = sdiv.getRhs();
  m.qmin = zsub.getLhs();
  m.ops = {rmin, loOp, rmax, hiOp, width, sdiv, mx, zdiv, zsub, clip, rnd,
           cast, q, dq};
  for (Operation *op : m.ops)
    if (op->getBlock() != q->getBlock())
      return std::nullopt;
  llvm::sort(m.ops, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  return m;
}

std::optional<DynamicQuantize> matchDynamicQuantize(qc::QuantizeLinearOp q) {
  if (q.getZeroPoint())
    return matchAsymmetricDynamicQuantize(q);
  auto xt = cast<RankedTensorType>(q.getX().getType());
  auto st = cast<RankedTensorType>(q.getScale().getType());
  Type codes = elementTypeOf(q.getCodes());
  int64_t r = xt.getRank();
  if (q.getZeroPoint() || !q.getSaturate() || r < 1 ||
      !xt.getElementType().isF32() || !st.getElementType().isF32() ||
      !batchShaped(xt) || xt.isDynamicDim(r - 1) ||
      !(codes.isSignlessInteger(8) || codes.isUnsignedInteger(8) ||
        quantc::detail::miniSpec(codes)))
    return std::nullopt;
  quantc::detail::LinearQuantLayout l = quantc::detail::linearQuantLayout(q);
  int64_t K = xt.getDimSize(r - 1), b = l.blockSize;
  if (l.axis != r - 1 || b <= 0)
    return std::nullopt;
  SmallVector<int64_t> sShape(xt.getShape());
  sShape.back() = llvm::divideCeil(K, b);
  if (st.getShape() != ArrayRef<int64_t>(sShape))
    return std::nullopt;
  auto scalarF32 = [](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getRank() == 0 && t.getElementType().isF32();
  };
  auto mx = q.getScale().getDefiningOp<qc::MaxOp>();
  if (!mx || !scalarF32(mx.getRhs()) || mx.getLhs().getType() != st)
    return std::nullopt;
  auto dv = mx.getLhs().getDefiningOp<qc::DivOp>();
  if (!dv || !mx.getLhs().hasOneUse() || !scalarF32(dv.getRhs()) ||
      dv.getLhs().getType() != st || !dv.getLhs().hasOneUse())
    return std::nullopt;
  // s may be read by later ops (the dequantize), not by earlier ones: the
  // step runs where q is.
  for (Operation *u : mx->getUsers()) {
    Operation *at = q->getBlock()->findAncestorOpInBlock(*u);
    if (u != q && (!at || at->isBeforeInBlock(q)))
      return std::nullopt;
  }

  DynamicQuantize m{q, {}, q.getX(), dv.getRhs(), mx.getRhs(), b, {}};
  SmallVector<Operation *> amaxOps;
  Value a; // abs(x), found through the first part
  // Whether `v` is a[..., from:to] (a itself when that is all of it).
  auto sliceOfAbs = [&](Value v, int64_t from, int64_t to) {
    Value src = v;
    if (auto sl = v.getDefiningOp<qc::SliceOp>()) {
      auto axis = sl.getAxes();
      if (!v.hasOneUse() || axis.size() != 1 ||
          (axis[0] < 0 ? axis[0] + r : axis[0]) != r - 1 ||
          sl.getStarts() != ArrayRef<int64_t>{from} ||
          sl.getEnds() != ArrayRef<int64_t>{to} ||
          !(sl.getSteps().empty() || sl.getSteps() == ArrayRef<int64_t>{1}))
        return false;
      amaxOps.push_back(sl);
      src = sl.getInput();
    } else if (from != 0 || to != K) {
      return false;
    }
    auto abs = src.getDefiningOp<qc::AbsOp>();
    if (!abs || abs.getInput() != m.x || (a && src != a))
      return false;
    a = src;
    return true;
  };
  // Whether `part` is the max of each block of a[..., from:to].
  auto blockMax = [&](Value part, int64_t from, int64_t to) {
    auto rm = part.getDefiningOp<qc::ReduceMaxOp>();
    if (!rm || !part.hasOneUse())
      return false;
    amaxOps.push_back(rm);
    ArrayRef<int64_t> axes = rm.getAxes();
    auto inTy = cast<RankedTensorType>(rm.getInput().getType());
    auto axisIs = [&](int64_t want) {
      return axes.size() == 1 &&
             (axes[0] < 0 ? axes[0] + inTy.getRank() : axes[0]) == want;
    };
    if (rm.getKeepdims())
      return to - from <= b && axisIs(r - 1) &&
             sliceOfAbs(rm.getInput(), from, to);
    auto rs = rm.getInput().getDefiningOp<qc::ReshapeOp>();
    if (!rs || !rm.getInput().hasOneUse() || (to - from) % b ||
        inTy.getRank() != r + 1 || !axisIs(r) ||
        inTy.getDimSize(r - 1) != (to - from) / b || inTy.getDimSize(r) != b)
      return false;
    for (int64_t d = 0; d + 1 < r; ++d)
      if (inTy.getDimSize(d) != xt.getDimSize(d))
        return false;
    amaxOps.push_back(rs);
    return sliceOfAbs(rs.getInput(), from, to);
  };
  Value amax = dv.getLhs();
  if (auto cc = amax.getDefiningOp<qc::ConcatOp>()) {
    int64_t axis = static_cast<int64_t>(cc.getAxis());
    if ((axis < 0 ? axis + r : axis) != r - 1)
      return std::nullopt;
    int64_t from = 0;
    for (Value part : cc.getInputs()) {
      int64_t to = std::min(
          K, from + cast<RankedTensorType>(part.getType()).getDimSize(r - 1) * b);
      if (!blockMax(part, from, to))
        return std::nullopt;
      from = to;
    }
    if (from != K)
      return std::nullopt;
    amaxOps.push_back(cc);
  } else if (!blockMax(amax, 0, K)) {
    return std::nullopt;
  }
  // abs(x) is read by the matched ops alone.
  Operation *absOp = a.getDefiningOp();
  for (Operation *u : absOp->getUsers())
    if (!llvm::is_contained(amaxOps, u))
      return std::nullopt;
  m.ops.push_back(absOp);
  m.ops.append(amaxOps.begin(), amaxOps.end());
  m.ops.append({dv, mx, q});
  llvm::sort(m.ops, [](Operation *x, Operation *y) {
    return x->isBeforeInBlock(y);
  });
  for (Operation *op : m.ops)
    if (op->getBlock() != q->getBlock())
      return std::nullopt;
  // A dequantize that alone reads the codes and s, with q's layout.
  if (q.getCodes().hasOneUse() &&
      llvm::all_of(mx->getUsers(), [&](Operation *u) {
        return u == q || u == *q.getCodes().getUsers().begin();
      })) {
    auto dq = dyn_cast<qc::DequantizeLinearOp>(*q.getCodes().getUsers().begin());
    if (dq && dq.getScale() == q.getScale() && !dq.getZeroPoint() &&
        dq->getBlock() == q->getBlock() &&
        quantc::detail::linearQuantLayout(dq).axis == l.axis &&
        quantc::detail::linearQuantLayout(dq).blockSize == b &&
        elementTypeOf(dq.getResult()).isF32()) {
      m.dq = dq;
      m.ops.push_back(dq);
    }
  }
  return m;
}

/// An RMS norm as the ONNX exporters decompose it (LLaMA-style):
///   mul(div(x, sqrt(add(reduce_mean(pow(x, e), [last], keepdims), eps))), g)
/// with e and eps one f32 each (e 2 or 3, isSupportedExponent), g
/// [D] or one f32, every intermediate read once. One row kernel computes it
/// (rms_norm_<i>, the same arithmetic as the chain and row kernels op by
/// op), from the mul's position. Returns the ops in order, and x, e, eps, g.
struct DecomposedRmsNorm {
  SmallVector<Operation *> ops;
  Value x, e, eps, g;
};

std::optional<DecomposedRmsNorm> matchDecomposedRmsNorm(qc::MulOp mul) {
  auto one = [](Value v) { return v.hasOneUse(); };
  auto scalarF32 = [](Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return t.getElementType().isF32() && t.hasStaticShape() &&
           t.getNumElements() == 1 && t.getRank() <= 1;
  };
  auto div = mul.getLhs().getDefiningOp<qc::DivOp>();
  if (!div || !one(mul.getLhs()))
    return std::nullopt;
  Value x = div.getLhs();
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t r = xt.getRank();
  if (r < 1 || !xt.getElementType().isF32() || !batchShaped(xt) ||
      xt.isDynamicDim(r - 1) || mul.getResult().getType() != xt ||
      div.getResult().getType() != xt)
    return std::nullopt;
  auto gt = cast<RankedTensorType>(mul.getRhs().getType());
  if (!gt.getElementType().isF32() ||
      !(gt.getShape() == ArrayRef<int64_t>{xt.getDimSize(r - 1)} ||
        scalarF32(mul.getRhs())))
    return std::nullopt;
  auto sq = div.getRhs().getDefiningOp<qc::SqrtOp>();
  if (!sq || !one(div.getRhs()))
    return std::nullopt;
  auto add = sq.getInput().getDefiningOp<qc::AddOp>();
  if (!add || !one(sq.getInput()) || !scalarF32(add.getRhs()))
    return std::nullopt;
  auto mean = add.getLhs().getDefiningOp<qc::ReduceMeanOp>();
  if (!mean || !one(add.getLhs()) || !mean.getKeepdims() ||
      mean.getAxes().size() != 1 ||
      (mean.getAxes()[0] < 0 ? mean.getAxes()[0] + r : mean.getAxes()[0]) !=
          r - 1)
    return std::nullopt;
  auto pw = mean.getInput().getDefiningOp<qc::PowOp>();
  if (!pw || !one(mean.getInput()) || pw.getLhs() != x ||
      pw.getResult().getType() != xt || !isSupportedExponent(pw.getRhs()))
    return std::nullopt;
  SmallVector<int64_t> rowShape(xt.getShape());
  rowShape.back() = 1;
  for (Value v : {mean.getResult(), add.getResult(), sq.getResult()})
    if (cast<RankedTensorType>(v.getType()).getShape() !=
        ArrayRef<int64_t>(rowShape))
      return std::nullopt;
  DecomposedRmsNorm m{{pw, mean, add, sq, div, mul},
                      x, pw.getRhs(), add.getRhs(), mul.getRhs()};
  for (Operation *op : m.ops)
    if (op->getBlock() != mul->getBlock() || !elementTypeOf(op->getResult(0)).isF32())
      return std::nullopt;
  return m;
}
} // namespace

std::string GpuPlan::describeUnsupported() const {
  std::string s;
  for (auto [name, n] : unsupported) {
    if (!s.empty())
      s += ", ";
    s += name + " x" + std::to_string(n);
  }
  return s;
}

bool quantc::hasEpilogueKind(const GpuStep &s) {
  return s.kind == GpuStep::Kind::Conv || s.kind == GpuStep::Kind::MatMul ||
         s.kind == GpuStep::Kind::Int8Gemm || s.kind == GpuStep::Kind::Pool ||
         s.kind == GpuStep::Kind::GlobalAvgPool ||
         (s.kind == GpuStep::Kind::Row &&
          isa<qc::SoftmaxOp, qc::LogSoftmaxOp>(s.ops.front()));
}

Operation *quantc::getStepNamingOp(const GpuStep &s) {
  return hasEpilogueKind(s) ? s.ops.front() : s.ops.back();
}

Int8GemmOperands quantc::getInt8GemmOperands(const GpuStep &s) {
  auto numel = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getNumElements();
  };
  Int8GemmOperands o;
  o.aUnsigned = elementTypeOf(s.inputs[0]).isUnsignedInteger(8);
  o.bUnsigned = elementTypeOf(s.inputs[2]).isUnsignedInteger(8);
  o.bScalePerColumn = numel(s.inputs[3]) != 1;
  o.aZeroPoint = s.zeroPoints & 1;
  o.bZeroPoint = s.zeroPoints & 2;
  o.bZeroPointPerColumn =
      o.bZeroPoint && numel(s.inputs[o.aZeroPoint ? 5 : 4]) != 1;
  o.bias = s.zeroPoints & 4;
  // A run-time scale per token, or one static scale.
  auto sa = cast<RankedTensorType>(s.inputs[1].getType());
  o.aScalePerRow = !sa.hasStaticShape() || sa.getNumElements() != 1;
  return o;
}

std::string quantc::getInt8GemmKernelBase(const GpuStep &s) {
  Int8GemmOperands o = getInt8GemmOperands(s);
  return std::string(isa<qc::ConvOp>(s.ops.front()) ? "i8_conv" : "i8_gemm") +
         (o.bias ? "_b" : "") + (o.aUnsigned ? "_ua" : "") +
         (o.bUnsigned ? "_ub" : "") + (o.aZeroPoint ? "_za" : "") +
         (!o.bZeroPoint           ? ""
          : o.bZeroPointPerColumn ? "_zbc"
                                  : "_zb") +
         (o.bScalePerColumn ? "" : "_sb1") + (o.aScalePerRow ? "_tok" : "");
}

GpuPlan quantc::planGpuProgram(func::FuncOp fn,
                               std::optional<KernelTarget> only) {
  GpuPlan plan;
  // sm_90a alone: the wgmma GEMM's matmuls, and the ops only they read
  // (their operands' dequantizes and the weight's transpose), which it
  // does itself and which are not launched.
  llvm::DenseMap<Operation *, HopperOperands> hopper;
  llvm::DenseSet<Operation *> consumed;
  if (only == KernelTarget::SM90a) {
    fn.walk([&](qc::MatMulOp mm) {
      if (auto h = matchHopperGemm(mm))
        hopper[mm] = *h;
    });
    auto readOnlyBy = [](Operation *op, auto &&pred) {
      return llvm::all_of(op->getUses(), pred);
    };
    // An int8 activation's dequantize must be the GEMMs' alone (as for the
    // int8 mma.sync GEMM below): were it launched, the chain that stores
    // its codes would go on through it and not store them.
    // (Until none is dropped: a dropped GEMM may have shared its
    // activation with another.)
    for (bool dropped = true; dropped;) {
      SmallVector<Operation *> notHopper;
      for (auto &[mm, h] : hopper)
        if (elementTypeOf(h.a).isInteger(8) &&
            !readOnlyBy(h.lhs, [&](OpOperand &u) {
              return u.getOperandNumber() == 0 && hopper.contains(u.getOwner());
            }))
          notHopper.push_back(mm);
      for (Operation *mm : notHopper)
        hopper.erase(mm);
      dropped = !notHopper.empty();
    }
    for (auto &[mm, h] : hopper) {
      if (readOnlyBy(h.lhs, [&](OpOperand &u) {
            return u.getOperandNumber() == 0 && hopper.contains(u.getOwner());
          }))
        consumed.insert(h.lhs);
      if (readOnlyBy(h.transpose,
                     [&](OpOperand &u) { return hopper.contains(u.getOwner()); }))
        consumed.insert(h.transpose);
    }
    for (auto &[mm, h] : hopper)
      if (readOnlyBy(h.rhs,
                     [&](OpOperand &u) { return consumed.contains(u.getOwner()); }))
        consumed.insert(h.rhs);
  }
  // W8A8 int8 matmuls (every target: the integer mma.sync): the int8 GEMM
  // reads their codes, so a dequantize that only they read is not
  // launched. The activation's dequantize must be: were it launched, the
  // chain that stores its codes would go on through it and not store them.
  llvm::DenseMap<Operation *, Int8Operands> int8;
  fn.walk([&](Operation *op) {
    if (hopper.contains(op))
      return;
    if (std::optional<Int8Operands> m = matchInt8Gemm(op))
      int8[op] = *m;
    else if (std::optional<Int8Operands> c = matchInt8Conv(op))
      int8[op] = *c;
  });
  auto onlyInt8Operand = [&](Operation *dq, unsigned operand) {
    return llvm::all_of(dq->getUses(), [&](OpOperand &u) {
      return u.getOperandNumber() == operand && int8.contains(u.getOwner());
    });
  };
  SmallVector<Operation *> notInt8;
  for (auto &[mm, m] : int8)
    if (!onlyInt8Operand(m.lhs, 0))
      notInt8.push_back(mm);
  for (Operation *mm : notInt8)
    int8.erase(mm);
  for (auto &[mm, m] : int8) {
    consumed.insert(m.lhs);
    if (onlyInt8Operand(m.rhs, 1))
      consumed.insert(m.rhs);
  }
  // Decomposed RMS norms: one row step each, at the mul.
  llvm::DenseMap<Operation *, DecomposedRmsNorm> rmsNorms;
  for (Operation &opRef : fn.getBody().front())
    if (auto mul = dyn_cast<qc::MulOp>(&opRef))
      if (std::optional<DecomposedRmsNorm> m = matchDecomposedRmsNorm(mul)) {
        for (Operation *op : ArrayRef<Operation *>(m->ops).drop_back())
          consumed.insert(op);
        rmsNorms[mul] = std::move(*m);
      }
  // Run-time activation quantizes: one step each, at the quantize_linear
  // (the ops before it that it computes are not launched). A dequantize
  // the wgmma GEMM reads through stays the GEMM's: the step then stores
  // the codes and scales the GEMM reads.
  llvm::DenseMap<Operation *, DynamicQuantize> dynamicQuantize;
  for (Operation &opRef : fn.getBody().front()) {
    auto q = dyn_cast<qc::QuantizeLinearOp>(&opRef);
    std::optional<DynamicQuantize> m;
    if (!q || !(m = matchDynamicQuantize(q)))
      continue;
    // (Also when a wgmma GEMM reads the dequantize beside other ops: the
    // GEMM reads the codes and scales, which must then be stored.)
    if (m->dq && (consumed.contains(m->dq) ||
                  llvm::any_of(m->dq->getUsers(), [&](Operation *u) {
                    return hopper.contains(u);
                  }))) {
      if (m->asym) // (its codes and zero points have no kernel of their own)
        continue;
      m->dq = {};
      m->ops.pop_back();
    }
    for (Operation *op : m->ops)
      if (op != q)
        consumed.insert(op);
    dynamicQuantize[q] = std::move(*m);
  }
  auto hopperStep = [&](Operation *mm, Value out) {
    const HopperOperands &h = hopper.find(mm)->second;
    GpuStep st{
        GpuStep::Kind::HopperGemm, "", {mm}, {h.a, h.sa, h.b, h.sb}, {out}};
    // int8 with A's zero point: ZA.
    if (h.za) {
      st.inputs.push_back(h.za);
      st.zeroPoints = 1;
    }
    return st;
  };
  // A wgmma GEMM whose f32 result only a run-time 1x128 e4m3 quantize
  // reads (the next GEMM's A) writes that quantize's codes and scales
  // itself, so no f32 activation reaches memory: the quantize's step is not
  // launched (the swapped decode kernel too: its groups are its tile's
  // columns, reduced across both consumer warpgroups).
  llvm::DenseMap<Operation *, Operation *> quantizedOutput; // producer -> q
  for (auto &[qop, m] : dynamicQuantize) {
    Operation *prod = m.x.getDefiningOp();
    if (m.dq || m.block != int64_t(kHopperTileK) ||
        !isa<Float8E4M3FNType>(elementTypeOf(m.q.getCodes())) || !prod)
      continue;
    Operation *mm = prod;
    if (auto f = dyn_cast<qc::FusionOp>(prod)) {
      mm = f.getAnchor();
      if (!llvm::all_of(f.getEpilogue(), isElementwise))
        continue;
    }
    auto readByMatch = [&](Operation *u) {
      return llvm::is_contained(m.ops, u);
    };
    auto ready = [&](Value v) {
      Operation *d = v.getDefiningOp();
      return !d || isa<arith::ConstantOp, qc::WeightOp>(d) ||
             d->isBeforeInBlock(prod);
    };
    // (Not the int8 GEMM: its zero point's input would follow QMAX and
    // FLOOR, and nothing models its fp8-1x128 output.)
    if (!hopper.contains(mm) ||
        elementTypeOf(hopper.find(mm)->second.a).isInteger(8) ||
        !elementTypeOf(m.x).isF32() ||
        !llvm::all_of(m.x.getUsers(), readByMatch) || !ready(m.qmax) ||
        !ready(m.floor))
      continue;
    quantizedOutput[prod] = qop;
    consumed.insert(qop);
  }
  // The GEMM step of `prod` (its fusion, or the matmul alone).
  auto gemmStep = [&](Operation *prod, Operation *mm, Value out) {
    GpuStep st = hopperStep(mm, out);
    auto it = quantizedOutput.find(prod);
    if (it == quantizedOutput.end())
      return st;
    DynamicQuantize &m = dynamicQuantize.find(it->second)->second;
    st.quantizedOutput = true;
    st.outputs = {m.q.getCodes(), m.q.getScale()};
    st.inputs.append({m.qmax, m.floor});
    return st;
  };
  // Elementwise chains: the step an op's result belongs to while the chain
  // can still grow (its result has one use, by the next chain op).
  llvm::DenseMap<Value, size_t> openChain;
  auto isConstant = [](Value v) {
    return isa_and_nonnull<arith::ConstantOp, qc::WeightOp>(v.getDefiningOp());
  };
  // Whether `op` may join step `at`'s chain, which then computes it
  // before the steps planned after `at`: none of those computes an operand
  // of `op` (they cannot read what the chain computes: its values have one
  // use each). Typically a weight's dequantize planned between two layers.
  // (At most kChainReach steps back, to keep planning linear.)
  constexpr size_t kChainReach = 16;
  auto canGrow = [&](size_t at, Operation *op) {
    if (plan.steps.size() - at > kChainReach)
      return false;
    for (size_t j = at + 1; j < plan.steps.size(); ++j)
      if (llvm::any_of(plan.steps[j].outputs, [&](Value o) {
            return llvm::is_contained(op->getOperands(), o);
          }))
        return false;
    return true;
  };
  llvm::StringMap<std::string> ewKeys; // chain key -> kernel name
  auto addKernel = [&](const std::string &name, size_t step) {
    for (auto &k : plan.kernels)
      if (k.first == name)
        return;
    plan.kernels.emplace_back(name, step);
  };
  auto unsupported = [&](const std::string &reason) {
    auto it = llvm::find_if(plan.unsupported,
                            [&](auto &u) { return u.first == reason; });
    if (it == plan.unsupported.end())
      plan.unsupported.emplace_back(reason, 1);
    else
      ++it->second;
  };
  // Plans one op (a top-level op, or one of a qc.fusion's body ops planned
  // on their own).
  auto planOp = [&](Operation *op) {
    if (auto it = rmsNorms.find(op); it != rmsNorms.end()) {
      const DecomposedRmsNorm &m = it->second;
      plan.steps.push_back({GpuStep::Kind::Row, "", m.ops,
                            {m.x, m.e, m.eps, m.g}, {op->getResult(0)}});
      return;
    }
    if (auto it = dynamicQuantize.find(op); it != dynamicQuantize.end()) {
      DynamicQuantize &m = it->second;
      GpuStep st{GpuStep::Kind::DynamicQuantize, "", m.ops, m.inputs(), {}};
      if (m.dq)
        st.outputs = {m.dq.getResult()};
      else
        st.outputs = {m.q.getCodes(), m.q.getScale()};
      plan.steps.push_back(std::move(st));
      return;
    }
    if (auto it = int8.find(op); it != int8.end()) {
      // The elementwise chain that reads its result is its epilogue.
      const Int8Operands &m = it->second;
      GpuStep st{GpuStep::Kind::Int8Gemm, "", {op}, {m.a, m.sa, m.b, m.sb},
                 {op->getResult(0)}};
      for (auto [bit, z] :
           llvm::enumerate(std::array<Value, 3>{m.za, m.zb, m.bias}))
        if (z) {
          st.inputs.push_back(z);
          st.zeroPoints |= 1u << bit;
        }
      plan.steps.push_back(std::move(st));
      openChain[op->getResult(0)] = plan.steps.size() - 1;
      return;
    }
    std::string reason = unsupportedReason(op);
    if (!reason.empty())
      return unsupported(reason);
    if (auto it = hopper.find(op); it != hopper.end()) {
      plan.steps.push_back(gemmStep(op, op, op->getResult(0)));
      // The int8 GEMM stores its epilogue's result in that result's type:
      // the elementwise chain that reads it (up to the next layer's
      // quantize) joins it, as the int8 mma.sync GEMM's does.
      if (elementTypeOf(it->second.a).isInteger(8))
        openChain[op->getResult(0)] = plan.steps.size() - 1;
      return;
    }
    if (auto q = dyn_cast<qc::QMatMulOp>(op)) {
      plan.steps.push_back({GpuStep::Kind::Gemm, gemmKernelName(q), {op},
                            {q.getLhs(), q.getLhsScales(), q.getRhs(),
                             q.getRhsScales()},
                            {q.getResult()}});
      return;
    }
    if (auto q = dyn_cast<qc::QuantizeOp>(op)) {
      Type el = getMXGemmElement(q.getScheme());
      std::string name = isa<Float8E4M3FNType>(el)
                             ? std::string("quantize_mxfp8")
                             : "quantize_mx_" + getMXElementShortName(el).str();
      plan.steps.push_back({GpuStep::Kind::QuantizeMX, name, {op},
                            {q.getInput()}, {q.getCodes(), q.getScales()}});
      return;
    }
    if (isa<qc::ConvOp, qc::ConvTransposeOp, qc::ConvIntegerOp, qc::MaxPoolOp,
            qc::AvgPoolOp, qc::GlobalAvgPoolOp, qc::GlobalMaxPoolOp>(op)) {
      GpuStep::Kind kind =
          isa<qc::ConvOp, qc::ConvTransposeOp, qc::ConvIntegerOp>(op)
              ? GpuStep::Kind::Conv
          : isa<qc::GlobalAvgPoolOp, qc::GlobalMaxPoolOp>(op)
              ? GpuStep::Kind::GlobalAvgPool
              : GpuStep::Kind::Pool;
      plan.steps.push_back({kind, "", {op}, llvm::to_vector(op->getOperands()),
                            {op->getResult(0)}});
      // The elementwise chain that reads a convolution's or pooling's
      // result is its epilogue.
      openChain[op->getResult(0)] = plan.steps.size() - 1;
      return;
    }
    if (isLayout(op) || isa<qc::MatMulOp, qc::MatMulIntegerOp>(op) ||
        isRowOp(op)) {
      GpuStep::Kind kind = isa<qc::MatMulOp, qc::MatMulIntegerOp>(op)
                               ? GpuStep::Kind::MatMul
                           : isRowOp(op) ? GpuStep::Kind::Row
                                         : GpuStep::Kind::Layout;
      SmallVector<Value> ins;
      for (Value v : op->getOperands())
        ins.push_back(v);
      // qc.trilu's k and qc.cumsum's axis are compile-time constants of
      // the kernel, or a scalar it reads.
      bool scalarInput = isa<qc::TriluOp, qc::CumSumOp>(op) &&
                         op->getNumOperands() > 1 &&
                         !quantc::detail::constantScalar(op->getOperand(1));
      if (isa<qc::TriluOp, qc::CumSumOp, qc::ExpandOp, qc::TileOp, qc::TopKOp>(
              op) &&
          !scalarInput)
        ins.resize(1);
      GpuStep st{kind, "", {op}, ins, {}};
      for (Value r : op->getResults())
        st.outputs.push_back(r);
      plan.steps.push_back(std::move(st));
      if (hasEpilogueKind(plan.steps.back())) // (as a conv's)
        openChain[op->getResult(0)] = plan.steps.size() - 1;
      return;
    }
    if (isByteCopy(op)) {
      int64_t bytes = quantc::detail::elementBytes(
          cast<RankedTensorType>(op->getResult(0).getType()).getElementType());
      plan.steps.push_back({GpuStep::Kind::Copy,
                            "copy_b" + std::to_string(bytes), {op},
                            {op->getOperand(0)}, {op->getResult(0)}});
      return;
    }
    // Elementwise: join the chain of an operand whose only use is this op
    // and whose shape is this op's (the chain then computes it in
    // registers, whatever its element type: an i1 mask, i8 codes), or the
    // epilogue of the conv, f32 matmul, pooling or softmax that computes
    // it (hasEpilogueKind), when every other operand of the op is computed
    // before that step runs (canGrow: not necessarily the latest step).
    std::optional<size_t> chain;
    auto shapeOf = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getShape();
    };
    // A quantize/dequantize joins through its data only: its scale and
    // zero point are read by axis or block, from memory.
    bool dataOnly = isa<qc::QuantizeLinearOp, qc::DequantizeLinearOp>(op);
    for (auto [k, v] : llvm::enumerate(op->getOperands())) {
      auto it = openChain.find(v);
      if (it != openChain.end() && v.hasOneUse() && (!dataOnly || k == 0) &&
          shapeOf(v) == shapeOf(op->getResult(0)) && !chain &&
          canGrow(it->second, op))
        chain = it->second;
    }
    for (Value v : op->getOperands())
      openChain.erase(v);
    if (!chain) {
      plan.steps.push_back({GpuStep::Kind::Elementwise, "", {}, {}, {}});
      chain = plan.steps.size() - 1;
    }
    GpuStep &s = plan.steps[*chain];
    s.ops.push_back(op);
    s.outputs = {op->getResult(0)};
    openChain[op->getResult(0)] = *chain;
  };
  for (Operation &opRef : fn.getBody().front()) {
    Operation *op = &opRef;
    if (isa<arith::ConstantOp, qc::WeightOp, func::ReturnOp>(op) ||
        consumed.contains(op))
      continue;
    auto f = dyn_cast<qc::FusionOp>(op);
    if (!f) {
      planOp(op);
      continue;
    }
    // A quantized GEMM and an epilogue the GEMM kernel computes in
    // registers (qc-fuse-epilogues decided the grouping): one launch.
    SmallVector<Operation *> epi = f.getEpilogue();
    // (Its result f32, or the int8 GEMM's the next layer's i8/ui8 codes.)
    auto hopperIt = hopper.find(f.getAnchor());
    if (hopperIt != hopper.end() && llvm::all_of(epi, isElementwise) &&
        (elementTypeOf(f.getResult()).isF32() ||
         (elementTypeOf(hopperIt->second.a).isInteger(8) &&
          elementTypeOf(f.getResult()).isInteger(8)))) {
      GpuStep st = gemmStep(f, f.getAnchor(), f.getResult());
      st.ops.append(epi.begin(), epi.end());
      plan.steps.push_back(std::move(st));
      // (The int8 GEMM's chain goes on, as above.)
      if (elementTypeOf(hopperIt->second.a).isInteger(8))
        openChain[f.getResult()] = plan.steps.size() - 1;
      continue;
    }
    auto q = dyn_cast<qc::QMatMulOp>(f.getAnchor());
    if (q && unsupportedReason(q).empty() && llvm::all_of(epi, isElementwise)) {
      GpuStep st{GpuStep::Kind::Gemm, "", {q}, {q.getLhs(), q.getLhsScales(),
                                               q.getRhs(), q.getRhsScales()},
                 {f.getResult()}};
      st.ops.append(epi.begin(), epi.end());
      plan.steps.push_back(std::move(st));
      continue;
    }
    // Otherwise its ops are planned one by one; the step that computes the
    // last one's value stores it as the fusion's. A chain may go on from
    // there: the chains read the fusion's result as the value its body
    // yields (fusionYielded).
    for (Operation &inner : f.getBody().front().without_terminator())
      planOp(&inner);
    Value last = epi.back()->getResult(0);
    for (GpuStep &st : plan.steps)
      for (Value &v : st.outputs)
        if (v == last)
          v = f.getResult();
    if (auto it = openChain.find(last); it != openChain.end()) {
      size_t step = it->second;
      openChain.erase(it);
      openChain[f.getResult()] = step;
    }
  }
  // A conv's, pooling's, softmax's or f32 matmul's result that one
  // elementwise chain alone reads, at any number of its ops (SiLU's x *
  // sigmoid(x) reads it twice, so the chain could not join it through a
  // value of one use), makes that chain the step's epilogue, unless a step
  // between them computes another of the chain's operands; the chain's
  // output has the step's shape (its threads). (So for the int8 wgmma
  // GEMM, whose epilogue is stored in its own type as the int8 mma.sync
  // GEMM's.)
  auto takesChains = [](const GpuStep &s) {
    return hasEpilogueKind(s) ||
           (s.kind == GpuStep::Kind::HopperGemm && isHopperInt8(s));
  };
  {
    llvm::DenseMap<Operation *, size_t> chainOf;
    for (auto [i, s] : llvm::enumerate(plan.steps))
      if (s.kind == GpuStep::Kind::Elementwise)
        for (Operation *op : s.ops)
          chainOf[op] = i;
    llvm::DenseSet<size_t> merged;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      GpuStep &s = plan.steps[i];
      if (!takesChains(s) || s.outputs.size() != 1 ||
          s.outputs[0].use_empty())
        continue;
      Value v = s.outputs[0];
      std::optional<size_t> j;
      if (!llvm::all_of(v.getUsers(),
                        [&](Operation *u) {
                          auto it = chainOf.find(u);
                          if (it == chainOf.end() || (j && *j != it->second))
                            return false;
                          j = it->second;
                          return true;
                        }) ||
          merged.contains(*j))
        continue;
      GpuStep &c = plan.steps[*j];
      if (cast<RankedTensorType>(c.outputs[0].getType()).getShape() !=
          cast<RankedTensorType>(v.getType()).getShape())
        continue;
      bool between = false;
      for (size_t k = i + 1; k < *j && !between; ++k)
        for (Value o : plan.steps[k].outputs)
          between |= llvm::any_of(c.ops, [&](Operation *op) {
            return llvm::is_contained(op->getOperands(), o);
          });
      if (between)
        continue;
      s.ops.append(c.ops.begin(), c.ops.end());
      s.outputs = c.outputs;
      merged.insert(*j);
    }
    for (size_t i = plan.steps.size(); i-- > 0;)
      if (merged.contains(i))
        plan.steps.erase(plan.steps.begin() + i);
  }
  // A chain whose result is one element that one op of a later chain or
  // epilogue alone reads (ONNX Runtime's dynamic quantization multiplies
  // the activation scale by the weight scale before the product's scale
  // Mul) is computed by that chain, ahead of the op, instead of by a
  // launch of its own: a few scalar operations per element, its inputs
  // read by broadcasting. Its inputs are computed before the later step
  // runs, as they were before its own.
  {
    auto chainOps = [](GpuStep &s) {
      return s.kind == GpuStep::Kind::Elementwise
                 ? MutableArrayRef<Operation *>(s.ops)
                 : MutableArrayRef<Operation *>(s.ops).drop_front();
    };
    llvm::DenseMap<Operation *, size_t> stepOfOp;
    for (auto [i, s] : llvm::enumerate(plan.steps))
      if (s.kind == GpuStep::Kind::Elementwise ||
          (takesChains(s) && s.ops.size() > 1))
        for (Operation *op : chainOps(s))
          stepOfOp[op] = i;
    llvm::DenseSet<size_t> folded;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      GpuStep &s = plan.steps[i];
      if (s.kind != GpuStep::Kind::Elementwise || s.outputs.size() != 1 ||
          s.outputs[0] != s.ops.back()->getResult(0))
        continue;
      Value v = s.outputs[0];
      auto t = cast<RankedTensorType>(v.getType());
      if (!t.hasStaticShape() || t.getNumElements() != 1 || !v.hasOneUse())
        continue;
      // (A quantize's, dequantize's or batch norm's parameter is read by
      // its axis or block from memory, not computed in the chain.)
      OpOperand &use = *v.getUses().begin();
      if (isa<qc::QuantizeLinearOp, qc::DequantizeLinearOp, qc::BatchNormOp>(
              use.getOwner()) &&
          use.getOperandNumber() > 0)
        continue;
      auto it = stepOfOp.find(use.getOwner());
      if (it == stepOfOp.end() || it->second <= i)
        continue;
      GpuStep &into = plan.steps[it->second];
      into.ops.insert(llvm::find(into.ops, use.getOwner()), s.ops.begin(),
                      s.ops.end());
      folded.insert(i);
    }
    for (size_t i = plan.steps.size(); i-- > 0;)
      if (folded.contains(i))
        plan.steps.erase(plan.steps.begin() + i);
  }
  // A layer norm whose result the next step quantizes to MXFP8, or by a
  // run-time quantize along its axis (fp8-1x128, dynamic per-token), does
  // it itself: its thread holds the row (the normalized row is still
  // stored).
  // A run-time quantize may come a few steps later (a weight's dequantize
  // between them): it reads nothing else those steps write (its qmax and
  // floor are constants), so it can run with the layer norm.
  for (size_t i = 0; i + 1 < plan.steps.size(); ++i) {
    GpuStep &l = plan.steps[i];
    bool norm = l.kind == GpuStep::Kind::Row &&
                ((l.ops.size() == 1 &&
                  isa<qc::LayerNormOp, qc::RmsNormOp>(l.ops.front())) ||
                 isa<qc::PowOp>(l.ops.front()));
    // (a layer norm over more than the last axis quantizes nothing: the
    // next quantize's rows are not its rows)
    if (auto ln = dyn_cast<qc::LayerNormOp>(l.ops.front());
        ln && layerNormAxis(ln) !=
                  cast<RankedTensorType>(ln.getInput().getType()).getRank() - 1)
      norm = false;
    if (!norm)
      continue;
    size_t j = i + 1;
    while (j < plan.steps.size() &&
           !llvm::is_contained(plan.steps[j].inputs, l.outputs[0]))
      ++j;
    if (j == plan.steps.size() || plan.steps[j].inputs[0] != l.outputs[0])
      continue;
    GpuStep &q = plan.steps[j];
    if (j == i + 1 && q.kind == GpuStep::Kind::QuantizeMX &&
        q.kernel == "quantize_mxfp8" && isa<qc::LayerNormOp>(l.ops.front())) {
      l.ops.push_back(q.ops.front());
    } else if (q.kind == GpuStep::Kind::DynamicQuantize &&
               llvm::all_of(ArrayRef<Value>(q.inputs).drop_front(),
                            isConstant)) {
      // Its parameters after the norm's: qmax and floor, or (F31
      // asymmetric) zero, range, floor and qmin.
      l.ops.append(q.ops.begin(), q.ops.end());
      l.inputs.append(q.inputs.begin() + 1, q.inputs.end());
    } else {
      continue;
    }
    l.outputs.append(q.outputs.begin(), q.outputs.end());
    plan.steps.erase(plan.steps.begin() + j);
  }

  // Name the chains by their structure and shapes, once each is complete:
  // the chain's inputs in order of first use (`seed` first), its expr and
  // its key.
  auto describeChain = [&](ArrayRef<Operation *> ops,
                           SmallVector<Value> &inputs, std::string &exprOut) {
    llvm::DenseMap<Value, unsigned> local;
    llvm::DenseMap<Value, std::string> exprs;
    std::string key;
    llvm::raw_string_ostream os(key);
    for (auto [j, op] : llvm::enumerate(ops)) {
      os << op->getName().getStringRef() << op->getAttrDictionary() << "(";
      std::string expr = op->getName().stripDialect().str();
      if (auto g = dyn_cast<qc::GeluOp>(op);
          g && g.getApproximate() != qc::GeluApproximation::tanh)
        expr = "gelu_erf";
      auto bits = [](float f) {
        return llvm::formatv(":{0:x}", llvm::bit_cast<uint32_t>(f)).str();
      };
      if (auto bn = dyn_cast<qc::BatchNormOp>(op))
        expr += bits(bn.getEpsilon().convertToFloat());
      if (auto h = dyn_cast<qc::HardSigmoidOp>(op))
        expr += bits(h.getAlpha().convertToFloat()) +
                bits(h.getBeta().convertToFloat());
      if (auto l = dyn_cast<qc::LeakyReluOp>(op))
        expr += bits(l.getAlpha().convertToFloat());
      if (auto t = dyn_cast<qc::ThresholdedReluOp>(op))
        expr += bits(t.getAlpha().convertToFloat());
      if (auto sh = dyn_cast<qc::ShrinkOp>(op))
        expr += bits(sh.getBias().convertToFloat()) +
                bits(sh.getLambd().convertToFloat());
      // Flags as a 1 or 0 parameter: Mod's fmod, BitShift's left.
      if (auto m = dyn_cast<qc::ModOp>(op))
        expr += bits(m.getFmod() ? 1.0f : 0.0f);
      if (auto sh = dyn_cast<qc::BitShiftOp>(op))
        expr +=
            bits(sh.getDirection() == qc::ShiftDirection::LEFT ? 1.0f : 0.0f);
      if (auto el = dyn_cast<qc::EluOp>(op))
        expr += bits(el.getAlpha().convertToFloat());
      if (auto ce = dyn_cast<qc::CeluOp>(op))
        expr += bits(ce.getAlpha().convertToFloat());
      if (auto se = dyn_cast<qc::SeluOp>(op))
        expr += bits(se.getAlpha().convertToFloat()) +
                bits(se.getGamma().convertToFloat());
      if (auto i = dyn_cast<qc::IsInfOp>(op)) // the two flags as 0 / 1
        expr += bits(i.getDetectPositive() ? 1.0f : 0.0f) +
                bits(i.getDetectNegative() ? 1.0f : 0.0f);
      if (auto c = dyn_cast<qc::ClipOp>(op)) {
        // :<min bits>:<max bits>, an absent bound as -inf / +inf.
        float inf = std::numeric_limits<float>::infinity();
        expr += bits(c.getMin() ? c.getMin()->convertToFloat() : -inf);
        expr += bits(c.getMax() ? c.getMax()->convertToFloat() : inf);
      }
      if (isa<qc::QuantizeLinearOp, qc::DequantizeLinearOp>(op)) {
        // :<codes type>:a<axis>, e.g. quantize_linear:i8:a1(in0,in1,in2).
        quantc::detail::LinearQuantLayout l =
            quantc::detail::linearQuantLayout(op);
        std::string ty;
        llvm::raw_string_ostream ts(ty);
        ts << l.codes;
        expr += ":" + ty + ":a" + std::to_string(l.axis);
        if (l.blockSize > 0)
          expr += ":b" + std::to_string(l.blockSize);
      }
      if (auto rq = dyn_cast<qc::RequantizeLinearOp>(op)) {
        // :<codes type>:a<axis>, e.g. requantize_linear:ui8:a1(in0,in1,in2).
        std::string ty;
        llvm::raw_string_ostream ts(ty);
        ts << elementTypeOf(rq.getResult());
        expr += ":" + ty + ":a" + std::to_string(rq.getAxis());
      }
      if (auto c = dyn_cast<qc::CastOp>(op)) {
        // :<from>:<to>:s<saturate>, e.g. cast:f32:f8E4M3FN:s1(in0).
        std::string ty;
        llvm::raw_string_ostream ts(ty);
        ts << ":" << elementTypeOf(c.getInput()) << ":"
           << elementTypeOf(c.getResult()) << ":s" << int(c.getSaturate());
        expr += ty;
      }
      expr += "(";
      for (auto [k, v] : llvm::enumerate(op->getOperands())) {
        if (k)
          expr += ",";
        auto it = local.find(v);
        if (it == local.end()) // (a fusion's result this chain computes)
          it = local.find(quantc::detail::fusionYielded(v));
        if (it != local.end()) {
          os << "%" << it->second << ",";
          expr += exprs[it->first];
          continue;
        }
        // An input used twice in the chain is read once.
        auto found = llvm::find(inputs, v);
        unsigned idx = found - inputs.begin();
        if (found == inputs.end())
          inputs.push_back(v);
        os << "in" << idx << ":" << quantc::detail::typeName(v.getType())
           << (quantc::detail::isPackedWeight(v) ? ":packed" : "") << ",";
        expr += "in" + std::to_string(idx);
      }
      // Every op's result type: a chain's intermediate codes (i8, ui8,
      // e4m3) decide its arithmetic as much as its inputs do.
      os << ")->" << quantc::detail::typeName(op->getResult(0).getType()) << ";";
      local[op->getResult(0)] = j;
      exprs[op->getResult(0)] = expr + ")";
    }
    exprOut = exprs[ops.back()->getResult(0)];
    os << "->" << quantc::detail::typeName(ops.back()->getResult(0).getType());
    return key;
  };
  // Makes the chain `ops` (its inputs `ins`, expr and key as
  // describeChain gives them) step `s`'s prologue for `operand`, which
  // reads `replaced`: the chain's inputs take its place among the step's.
  auto addPrologue = [](GpuStep &s, unsigned operand, Value replaced,
                        ArrayRef<Operation *> ops, ArrayRef<Value> ins,
                        const std::string &expr, const std::string &key) {
    auto at = llvm::find(s.inputs, replaced);
    size_t pos = at - s.inputs.begin();
    s.inputs.erase(at);
    s.inputs.insert(s.inputs.begin() + pos, ins.begin(), ins.end());
    s.prologues.push_back({operand, llvm::to_vector(ops),
                           static_cast<unsigned>(ins.size()), expr, key});
  };
  // A constant weight's dequantize chain read only by a conv or f32
  // matmul becomes that step's prologue: the kernel dequantizes each
  // weight element as it loads it (the same f32 operations), instead of
  // a launch writing the f32 weight to the arena every run.
  {
    llvm::DenseMap<Value, size_t> producer;
    for (auto [i, s] : llvm::enumerate(plan.steps))
      if (s.kind == GpuStep::Kind::Elementwise && s.outputs.size() == 1)
        producer[s.outputs[0]] = i;
    llvm::DenseSet<size_t> fused;
    for (GpuStep &s : plan.steps) {
      if ((s.kind != GpuStep::Kind::Conv && s.kind != GpuStep::Kind::MatMul) ||
          isa<qc::ConvIntegerOp, qc::MatMulIntegerOp>(s.ops.front()))
        continue; // (integer kernels load their codes themselves)
      Operation *op = s.ops.front();
      Value w = op->getOperand(1);
      auto it = producer.find(w);
      if (!w.hasOneUse() || it == producer.end() || fused.contains(it->second))
        continue;
      GpuStep &p = plan.steps[it->second];
      SmallVector<Value> ins;
      std::string expr;
      std::string key = describeChain(p.ops, ins, expr);
      if (!llvm::all_of(ins, isConstant) ||
          !cast<RankedTensorType>(w.getType()).hasStaticShape())
        continue;
      addPrologue(s, 1, w, p.ops, ins, expr, key);
      fused.insert(it->second);
    }
    for (size_t i = plan.steps.size(); i-- > 0;)
      if (fused.contains(i))
        plan.steps.erase(plan.steps.begin() + i);
  }
  // An activation that convs or f32 matmuls alone read through a
  // dequantize with one constant scale (and zero point): static int8 and
  // fp8 activations; a conv's input also with a constant scale per
  // channel (a depthwise conv's, read at the channel its loop walks). The
  // step dequantizes each element as it loads it (its prologue), so the
  // step that computes the codes stores them instead of the f32 values, a
  // quarter of the bytes, and a chain that is the dequantize alone (of
  // codes a layout op moved) is not launched. (Other per-axis scales would
  // cost each load an index computation.)
  {
    llvm::DenseMap<Value, size_t> producer;
    for (auto [i, s] : llvm::enumerate(plan.steps))
      for (Value o : s.outputs)
        producer[o] = i;
    auto oneConstant = [&](Value v) {
      return !v || (isConstant(v) &&
                    cast<RankedTensorType>(v.getType()).getNumElements() == 1);
    };
    auto perChannel = [&](qc::DequantizeLinearOp dq) {
      quantc::detail::LinearQuantLayout l =
          quantc::detail::linearQuantLayout(dq);
      return l.axis == 1 && l.blockSize == 0 && isConstant(dq.getScale()) &&
             (!dq.getZeroPoint() || isConstant(dq.getZeroPoint()));
    };
    // The conv or matmul step each such op is the first op of.
    llvm::DenseMap<Operation *, size_t> stepOf;
    for (auto [i, s] : llvm::enumerate(plan.steps))
      if ((s.kind == GpuStep::Kind::Conv || s.kind == GpuStep::Kind::MatMul) &&
          !isa<qc::ConvIntegerOp, qc::MatMulIntegerOp>(s.ops.front()))
        stepOf[s.ops.front()] = i;
    // Whether `use` (an operand of a conv's or matmul's first op) may read
    // the dequantize `dq` through a prologue.
    auto canRead = [&](OpOperand &use, qc::DequantizeLinearOp dq) {
      auto it = stepOf.find(use.getOwner());
      unsigned operand = use.getOperandNumber();
      if (it == stepOf.end() || operand > 1 ||
          use.getOwner()->getOperand(1 - operand) == use.get())
        return false;
      const GpuStep &s = plan.steps[it->second];
      return ((oneConstant(dq.getScale()) && oneConstant(dq.getZeroPoint())) ||
              (s.kind == GpuStep::Kind::Conv && operand == 0 &&
               perChannel(dq))) &&
             llvm::none_of(s.prologues, [&](const GpuStep::Prologue &p) {
               return p.operand == operand;
             });
    };
    // Every conv and matmul that reads the dequantize (a layer norm's
    // output read by the query, key and value projections) takes it as a
    // prologue; then no step computes it.
    llvm::DenseSet<size_t> dropped;
    llvm::DenseSet<Operation *> done;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      if (!stepOf.contains(plan.steps[i].ops.front()))
        continue;
      for (unsigned operand : {0u, 1u}) {
        Value x = plan.steps[i].ops.front()->getOperand(operand);
        auto dq = x.getDefiningOp<qc::DequantizeLinearOp>();
        auto it = producer.find(x);
        if (!dq || done.contains(dq) || it == producer.end() ||
            dropped.contains(it->second) ||
            !llvm::all_of(x.getUses(),
                          [&](OpOperand &u) { return canRead(u, dq); }))
          continue;
        GpuStep &p = plan.steps[it->second];
        if (p.ops.back() != dq.getOperation())
          continue;
        if (p.ops.size() == 1) {
          dropped.insert(it->second);
        } else {
          // The codes: the chain's op before, whose only use this is.
          Value codes = dq.getCodes();
          if (p.ops[p.ops.size() - 2]->getResult(0) != codes)
            continue;
          p.ops.pop_back();
          p.outputs = {codes};
        }
        done.insert(dq);
        SmallVector<Value> ins;
        std::string expr;
        std::string key = describeChain({dq.getOperation()}, ins, expr);
        for (OpOperand &u : x.getUses())
          addPrologue(plan.steps[stepOf.lookup(u.getOwner())],
                      u.getOperandNumber(), x, {dq.getOperation()}, ins, expr,
                      key);
      }
    }
    for (size_t i = plan.steps.size(); i-- > 0;)
      if (dropped.contains(i))
        plan.steps.erase(plan.steps.begin() + i);
  }
  // sm_100a alone: the MXFP8 GEMMs whose operands TMA can read run on
  // the tcgen05 kernel.
  if (only == KernelTarget::SM100a)
    for (GpuStep &s : plan.steps) {
      if (s.kind != GpuStep::Kind::Gemm)
        continue;
      auto q = cast<qc::QMatMulOp>(s.ops.front());
      auto w = cast<RankedTensorType>(q.getRhs().getType());
      // The kernel's shape rule (K a multiple of 16: TMA's rows) on the
      // weight's N and K; M is the run's batch.
      if (gemmKernelName(q) != kGemmKernelName)
        continue;
      if (llvm::Error err = checkBlackwellGemmShape(1, w.getDimSize(0),
                                                    w.getDimSize(1))) {
        llvm::consumeError(std::move(err));
        continue;
      }
      s.tcgen05 = true;
      if (s.ops.size() == 1)
        s.kernel = (kGemmKernelName + "_tc").str();
    }
  llvm::StringMap<std::string> gemmKeys, hopperKeys, int8Keys;
  for (GpuStep &s : plan.steps) {
    if (s.kind == GpuStep::Kind::Int8Gemm) {
      // i8_gemm[_ua][_ub][_za][_zb|_zbc][_sb1][_ep<i>]: the operands'
      // signedness, zero points and weight scales, and the epilogue as a
      // GEMM's (in0 its result); i8_conv[_b]... with a bias.
      // i8_conv[...]_<i>: a convolution's geometry is the kernel's, so
      // one kernel per distinct (geometry, variant, epilogue).
      std::string base = getInt8GemmKernelBase(s);
      auto conv = dyn_cast<qc::ConvOp>(s.ops.front());
      if (s.ops.size() == 1 && !conv) {
        s.kernel = base;
        continue;
      }
      std::string key = base + ";";
      if (conv) {
        llvm::raw_string_ostream os(key);
        os << conv->getAttrDictionary() << s.inputs[0].getType()
           << s.inputs[2].getType() << ";";
      }
      if (s.ops.size() > 1) {
        SmallVector<Value> chainInputs{s.ops.front()->getResult(0)};
        key += describeChain(ArrayRef<Operation *>(s.ops).drop_front(),
                             chainInputs, s.expr);
        s.inputs.append(chainInputs.begin() + 1, chainInputs.end());
      }
      s.kernel = int8Keys
                     .try_emplace(key, base + (conv ? "_" : "_ep") +
                                           std::to_string(int8Keys.size()))
                     .first->second;
      continue;
    }
    if (s.kind == GpuStep::Kind::HopperGemm) {
      // fp8_gemm_{1x128,pc}_n<tileN>_s<stages>[_ep<i>]: the scales and
      // configuration, and the epilogue as a GEMM's (in0 its accumulator);
      // i8_wgmma_{pc,pt}[_ua][_ub][_za]... for the int8 GEMM.
      HopperGemmConfig c = hopperGemmConfig(s);
      std::string base =
          isHopperInt8(s)
              ? kHopperInt8StepPrefix.str() +
                    (isHopperPerChannel(s) ? "pc" : "pt") +
                    (c.activationScalePerTensor || !isHopperPerChannel(s)
                         ? ""
                         : "_tok") +
                    (c.a == HopperOperand::U8 ? "_ua" : "") +
                    (c.b == HopperOperand::U8 ? "_ub" : "") +
                    (c.activationZeroPoint ? "_za" : "")
              : kHopperGemmStepPrefix.str() +
                    (isHopperPerChannel(s) ? "pc" : "1x128");
      base = base + (s.quantizedOutput ? "_ofp8" : "") +
             (c.swapAB ? "_swap" : "") + "_n" + std::to_string(c.tileN) + "_s" +
             std::to_string(c.stages);
      if (s.ops.size() == 1) {
        s.kernel = base;
        continue;
      }
      SmallVector<Value> chainInputs{s.ops.front()->getResult(0)};
      std::string key = describeChain(ArrayRef<Operation *>(s.ops).drop_front(),
                                      chainInputs, s.expr);
      s.inputs.append(chainInputs.begin() + 1, chainInputs.end());
      s.kernel = hopperKeys
                     .try_emplace(base + ";" + key,
                                  base + "_ep" + std::to_string(hopperKeys.size()))
                     .first->second;
      continue;
    }
    if (s.kind == GpuStep::Kind::Elementwise) {
      std::string key = describeChain(s.ops, s.inputs, s.expr);
      s.kernel = ewKeys.try_emplace(key, "ew_" + std::to_string(ewKeys.size()))
                     .first->second;
    } else if (s.kind == GpuStep::Kind::Gemm && s.ops.size() > 1) {
      // in0 of the epilogue is the GEMM's accumulator.
      SmallVector<Value> chainInputs{s.ops.front()->getResult(0)};
      std::string key = describeChain(ArrayRef<Operation *>(s.ops).drop_front(),
                                      chainInputs, s.expr);
      s.inputs.append(chainInputs.begin() + 1, chainInputs.end());
      // The GEMM's element formats are part of the key and the name.
      std::string base = gemmKernelName(cast<qc::QMatMulOp>(s.ops.front())) +
                         (s.tcgen05 ? "_tc" : "");
      key = base + ";" + key;
      s.kernel = gemmKeys
                     .try_emplace(key, base + "_ep" +
                                           std::to_string(gemmKeys.size()))
                     .first->second;
    }
  }
  // Window ops: one kernel per distinct (op, attributes, shapes).
  llvm::StringMap<std::string> windowKeys;
  for (GpuStep &s : plan.steps) {
    if (s.kind != GpuStep::Kind::Conv && s.kind != GpuStep::Kind::Pool &&
        s.kind != GpuStep::Kind::GlobalAvgPool &&
        s.kind != GpuStep::Kind::Layout && s.kind != GpuStep::Kind::MatMul &&
        s.kind != GpuStep::Kind::Row)
      continue;
    Operation *op = s.ops.front();
    std::string key;
    llvm::raw_string_ostream os(key);
    os << op->getName() << op->getAttrDictionary() << ":" << s.ops.size()
       << ":";
    for (Type t : op->getOperandTypes())
      os << t << ",";
    // (A run-time k or axis is an operand: its type is in the key.)
    auto scalarKey = [&](Value v) {
      std::optional<int64_t> c =
          v ? quantc::detail::constantScalar(v) : std::optional<int64_t>(0);
      return c ? std::to_string(*c) : std::string("input");
    };
    if (auto tl = dyn_cast<qc::TriluOp>(op))
      os << "k=" << scalarKey(tl.getK());
    if (auto cs = dyn_cast<qc::CumSumOp>(op))
      os << "axis=" << scalarKey(cs.getAxis());
    for (const GpuStep::Prologue &p : s.prologues)
      os << "prologue" << p.operand << "{" << p.key << "};";
    // An epilogue kind's epilogue (conv, pooling, matmul, softmax): in0 its
    // result, its other inputs after the op's.
    if (hasEpilogueKind(s) && s.ops.size() > 1) {
      SmallVector<Value> chainInputs{op->getResult(0)};
      os << "epilogue{"
         << describeChain(ArrayRef<Operation *>(s.ops).drop_front(),
                          chainInputs, s.expr)
         << "};";
      s.inputs.append(chainInputs.begin() + 1, chainInputs.end());
      s.epilogueInputs = chainInputs.size() - 1;
    }
    // A row step of several ops (a decomposed RMS norm) reads more than
    // its first op's operands: every input's type decides its indexing.
    if (s.ops.size() > 1)
      for (Value v : s.inputs)
        os << v.getType() << ";";
    os << op->getResult(0).getType();
    // A fused run-time quantize: its codes, block and whether it also
    // dequantizes.
    qc::QuantizeLinearOp dynQ = s.kind == GpuStep::Kind::Row
                                    ? quantc::detail::stepQuantize(s)
                                    : qc::QuantizeLinearOp();
    if (dynQ)
      os << ";" << quantc::detail::typeName(elementTypeOf(dynQ.getCodes()))
         << ":" << dynQ.getBlockSize() << ":"
         << isa<qc::DequantizeLinearOp>(s.ops.back())
         << zeroPointClipKey(s.ops);
    // A row reduction's: reduce_<kind>_ from its mnemonic (reduce_mean_,
    // reduce_log_sum_exp_, ...).
    std::string reduceName = (op->getName().stripDialect() + "_").str();
    StringRef prefix =
        isa<qc::ConvIntegerOp>(op)                     ? "iconv_"
        : isa<qc::MatMulIntegerOp>(op)                 ? "imatmul_"
        : s.kind == GpuStep::Kind::Conv                ? "conv_"
        : s.kind == GpuStep::Kind::Pool                ? "pool_"
        : s.kind == GpuStep::Kind::Layout              ? "layout_"
        : s.kind == GpuStep::Kind::MatMul              ? "matmul_"
        : isa<qc::SoftmaxOp>(op)                       ? "softmax_"
        : isa<qc::LogSoftmaxOp>(op)                    ? "log_softmax_"
        : isa<qc::AttentionOp>(op)                     ? "attention_"
        : isa<qc::DynamicQuantizeLinearOp>(op)         ? "dql_"
        : isa<qc::TopKOp>(op)                          ? "topk_"
        : isa<qc::LstmOp>(op)                          ? "lstm_"
        : isa<qc::GruOp>(op)                           ? "gru_"
        : isa<qc::RnnOp>(op)                           ? "rnn_"
        : isa<qc::RmsNormOp, qc::PowOp>(op) && dynQ    ? "rms_norm_dq_"
        : isa<qc::RmsNormOp, qc::PowOp>(op)            ? "rms_norm_"
        : isa<qc::LayerNormOp>(op) && dynQ             ? "layer_norm_dq_"
        : isa<qc::LayerNormOp>(op) && s.ops.size() > 1 ? "layer_norm_q_"
        : isa<qc::LayerNormOp>(op)                     ? "layer_norm_"
        : quantc::detail::isBatchReduce(op)            ? "batch_max_"
        : quantc::detail::isReduceOp(op)               ? StringRef(reduceName)
        : isa<qc::GlobalMaxPoolOp>(op)                 ? "gmp_"
                                                       : "gap_";
    unsigned n = llvm::count_if(windowKeys, [&](auto &e) {
      return StringRef(e.second).starts_with(prefix);
    });
    s.kernel = windowKeys.try_emplace(key, (prefix + std::to_string(n)).str())
                   .first->second;
  }
  // Run-time quantizes: one kernel per (codes, K, block, dequantized).
  llvm::StringMap<std::string> dynamicKeys;
  for (GpuStep &s : plan.steps) {
    if (s.kind != GpuStep::Kind::DynamicQuantize)
      continue;
    auto q = quantc::detail::stepQuantize(s);
    bool qdq = isa<qc::DequantizeLinearOp>(s.ops.back());
    std::string prefix = qdq ? "dyn_qdq_" : "dyn_quantize_";
    std::string key =
        prefix + quantc::detail::typeName(q.getCodes().getType()) + ":" +
        std::to_string(cast<RankedTensorType>(q.getX().getType())
                           .getShape()
                           .back()) +
        ":" + std::to_string(q.getBlockSize()) + zeroPointClipKey(s.ops);
    unsigned n = llvm::count_if(dynamicKeys, [&](auto &e) {
      return StringRef(e.second).starts_with(prefix);
    });
    s.kernel =
        dynamicKeys.try_emplace(key, prefix + std::to_string(n)).first->second;
  }
  for (auto [i, s] : llvm::enumerate(plan.steps))
    addKernel(s.kernel, i);
  return plan;
}

BlackwellGemmConfig quantc::getProgramBlackwellGemmConfig() {
  BlackwellGemmConfig c;
  c.tileN = 128;
  c.stages = 4;
  return c;
}

GpuPlan quantc::planGemmKernels(Operation *root) {
  GpuPlan plan;
  root->walk([&](qc::QMatMulOp q) {
    if (isKernelSupported(q))
      plan.steps.push_back({GpuStep::Kind::Gemm, gemmKernelName(q),
                            {q.getOperation()}, {}, {}});
  });
  for (auto [i, s] : llvm::enumerate(plan.steps))
    if (llvm::none_of(plan.kernels,
                      [&](auto &k) { return k.first == s.kernel; }))
      plan.kernels.emplace_back(s.kernel, i);
  return plan;
}

LogicalResult quantc::buildGpuKernels(const GpuPlan &plan, ModuleOp kernels,
                                      KernelTarget t) {
  MLIRContext *ctx = kernels.getContext();
  for (auto &[name, stepIdx] : plan.kernels) {
    const GpuStep &s = plan.steps[stepIdx];
    FailureOr<gpu::GPUFuncOp> f = failure();
    switch (s.kind) {
    case GpuStep::Kind::Gemm: {
      auto q = cast<qc::QMatMulOp>(s.ops.front());
      if (s.tcgen05) {
        if (t != KernelTarget::SM100a) {
          kernels.emitError() << "kernel " << name
                              << " is the sm_100a tcgen05 GEMM; target "
                              << getChip(t) << " cannot run it";
          return failure();
        }
        f = quantc::detail::buildBlackwellGemmStepKernel(
            kernels, name, s, getProgramBlackwellGemmConfig());
        break;
      }
      f = s.ops.size() > 1
              ? quantc::detail::buildGemmEpilogueKernel(kernels, name, t, s)
              : buildMXFP8GemmKernel(kernels, name, t, nullptr,
                                     quantc::detail::gemmOperandCodes(q, false),
                                     quantc::detail::gemmOperandCodes(q, true));
      break;
    }
    case GpuStep::Kind::HopperGemm:
      if (t != KernelTarget::SM90a) {
        kernels.emitError() << "kernel " << name
                            << " is the sm_90a wgmma GEMM; target "
                            << getChip(t) << " cannot run it";
        return failure();
      }
      f = quantc::detail::buildHopperGemmStepKernel(kernels, name, s,
                                                    hopperGemmConfig(s));
      break;
    case GpuStep::Kind::Int8Gemm:
      f = quantc::detail::buildInt8GemmStepKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::QuantizeMX:
      f = quantc::detail::buildQuantizeMXFP8Kernel(
          kernels, name, t,
          getMXGemmElement(cast<qc::QuantizeOp>(s.ops.front()).getScheme()));
      break;
    case GpuStep::Kind::Elementwise:
      f = quantc::detail::buildElementwiseKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::Conv:
      f = quantc::detail::buildConvKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::Pool:
    case GpuStep::Kind::GlobalAvgPool:
      f = quantc::detail::buildPoolKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::Copy:
      f = quantc::detail::buildCopyKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::Layout:
      f = quantc::detail::buildLayoutKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::MatMul:
      f = quantc::detail::buildMatMulKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::Row:
      f = quantc::detail::buildRowKernel(kernels, name, t, s);
      break;
    case GpuStep::Kind::DynamicQuantize:
      f = quantc::detail::buildDynamicQuantizeKernel(kernels, name, t, s);
      break;
    }
    if (failed(f))
      return failure();
  }
  for (const GpuStep &s : plan.steps)
    if (auto q = dyn_cast<qc::QMatMulOp>(s.ops.front()))
      q.setKernelAttr(SymbolRefAttr::get(
          ctx, kKernelModuleName, {FlatSymbolRefAttr::get(ctx, s.kernel)}));
  return success();
}

//===----------------------------------------------------------------------===//
// The manifest's program
//===----------------------------------------------------------------------===//

namespace {

/// a * batch + c, as the manifest writes it.
struct Linear {
  int64_t b = 0, c = 0;
  llvm::json::Object json() const {
    llvm::json::Object o;
    if (b)
      o["b"] = b;
    if (c || !b)
      o["c"] = c;
    return o;
  }
  llvm::json::Object ceilDiv(int64_t d) const {
    llvm::json::Object o = json();
    o["div"] = d;
    return o;
  }
};

/// Product of dims [from, to) of `t`, with a dynamic dim 0 as the batch.
Linear count(RankedTensorType t, size_t from, size_t to) {
  Linear l{0, 1};
  bool batch = false;
  for (size_t i = from; i < to; ++i) {
    if (t.isDynamicDim(i))
      batch = true;
    else
      l.c *= t.getDimSize(i);
  }
  if (batch)
    std::swap(l.b, l.c);
  return l;
}

llvm::json::Array shapeJson(RankedTensorType t) {
  llvm::json::Array a;
  for (int64_t d : t.getShape())
    a.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return a;
}

json::Array ints(ArrayRef<int64_t> v) {
  json::Array a;
  for (int64_t x : v)
    a.push_back(x);
  return a;
}

} // namespace

void quantc::copyReturnedValues(func::FuncOp fn) {
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  llvm::DenseSet<Value> seen;
  OpBuilder b(ret);
  for (OpOperand &o : ret->getOpOperands()) {
    Value v = o.get();
    Operation *def = v.getDefiningOp();
    bool own = def && !isa<arith::ConstantOp, qc::WeightOp>(def) &&
               seen.insert(v).second;
    if (own)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    // 0 copies a dim (dynamic ones included): the same shape.
    SmallVector<int64_t> spec(t.getRank(), 0);
    o.set(qc::ReshapeOp::create(b, ret.getLoc(), t, v,
                                b.getDenseI64ArrayAttr(spec))
              .getResult());
  }
}

json::Value quantc::buildGpuProgramJson(func::FuncOp fn,
                                        json::Array &unsupportedJson,
                                        std::optional<KernelTarget> only) {
  GpuPlan plan = planGpuProgram(fn, only);
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  // An output must be computed by a step, once: a returned input, weight or
  // value returned twice has no slot of its own.
  llvm::DenseSet<Value> produced, returned;
  for (const GpuStep &s : plan.steps)
    produced.insert(s.outputs.begin(), s.outputs.end());
  int64_t badOutputs = 0;
  for (Value v : ret.getOperands())
    if (!produced.contains(v) || !returned.insert(v).second)
      ++badOutputs;
  if (badOutputs)
    plan.unsupported.emplace_back(
        "func.return (an output that no kernel computes, or returned twice)",
        badOutputs);
  if (!plan.runnable()) {
    for (auto [name, n] : plan.unsupported)
      unsupportedJson.push_back(json::Object{{"op", name}, {"count", n}});
    return nullptr;
  }

  // Values in order of first reference; live ranges in step indices.
  llvm::MapVector<Value, std::pair<int64_t, int64_t>> live;
  auto touch = [&](Value v, int64_t step) {
    auto [it, inserted] = live.insert({v, {step, step}});
    if (!inserted)
      it->second.second = step;
  };
  int64_t numSteps = plan.steps.size();
  for (BlockArgument a : fn.getArguments())
    touch(a, -1);
  for (auto [i, s] : llvm::enumerate(plan.steps)) {
    for (Value v : s.inputs)
      touch(v, i);
    for (Value v : s.outputs)
      touch(v, i);
  }
  for (Value v : ret.getOperands())
    touch(v, numSteps);
  llvm::DenseMap<Value, unsigned> outputIndex;
  for (auto [i, v] : llvm::enumerate(ret.getOperands()))
    outputIndex[v] = i;

  // Slots: in order of definition, a value takes a free slot (one whose
  // values all died before it is defined), else a new one: the first free
  // one, or the one it grows least, then the smallest (sizes at a batch
  // of 64, in 256-byte units as the runtime aligns them; a scale then does
  // not hold a large slot that a large value defined while it lives
  // cannot reuse). Each packing wins on some graphs; the plan keeps the
  // one with the smaller arena. Weights live in weights.bin and take none.
  auto bytesOf = [](RankedTensorType t) {
    int64_t n = std::max<int64_t>(
        quantc::detail::elementBytes(t.getElementType()), 1);
    for (int64_t d : t.getShape())
      n *= ShapedType::isDynamic(d) ? 64 : d;
    return (n + 255) / 256 * 256;
  };
  auto takesSlot = [](Value v) { return !v.getDefiningOp<qc::WeightOp>(); };
  // The slot of each value that takes one (in `live` order), and the
  // arena's bytes.
  auto pack = [&](bool bestFit) {
    struct Slot {
      int64_t freeFrom; // first step at which the slot may be reused
      int64_t bytes;    // its largest value so far
    };
    std::vector<Slot> slots;
    std::vector<int64_t> slotOf;
    for (auto &[v, range] : live) {
      if (!takesSlot(v))
        continue;
      int64_t slot = -1, need = bytesOf(cast<RankedTensorType>(v.getType())),
              bestGrow = 0;
      for (auto [k, s] : llvm::enumerate(slots)) {
        if (s.freeFrom > range.first)
          continue;
        int64_t grow = std::max<int64_t>(0, need - s.bytes);
        if (slot < 0 || (bestFit && (grow < bestGrow ||
                                     (grow == bestGrow &&
                                      s.bytes < slots[slot].bytes)))) {
          slot = k;
          bestGrow = grow;
        }
      }
      if (slot < 0) {
        slot = slots.size();
        slots.push_back({0, 0});
      }
      // A value defined at step d and last used at step u frees its slot
      // for values defined after u.
      slots[slot].freeFrom = range.second + 1;
      slots[slot].bytes = std::max(slots[slot].bytes, need);
      slotOf.push_back(slot);
    }
    int64_t total = 0;
    for (const Slot &s : slots)
      total += s.bytes;
    return std::make_pair(slotOf, total);
  };
  auto firstFit = pack(false), bestFit = pack(true);
  const std::vector<int64_t> &slotOf =
      bestFit.second < firstFit.second ? bestFit.first : firstFit.first;
  int64_t numSlots = 0;
  for (int64_t k : slotOf)
    numSlots = std::max(numSlots, k + 1);
  size_t nextSlot = 0;
  json::Array values;
  llvm::DenseMap<Value, int64_t> valueId;
  for (auto &[v, range] : live) {
    auto t = cast<RankedTensorType>(v.getType());
    json::Object o{{"dtype", quantc::detail::typeName(t.getElementType())},
                   {"shape", shapeJson(t)}};
    if (auto w = v.getDefiningOp<qc::WeightOp>()) {
      o["name"] = w.getName();
      o["kind"] = "weight";
      o["offset"] = w.getOffset();
    } else {
      if (auto a = dyn_cast<BlockArgument>(v)) {
        auto name = fn.getArgAttrOfType<StringAttr>(a.getArgNumber(), "qc.name");
        o["name"] = name ? name.str() : "input_" + std::to_string(a.getArgNumber());
        o["kind"] = "input";
        o["index"] = a.getArgNumber();
      } else if (auto it = outputIndex.find(v); it != outputIndex.end()) {
        auto name = fn.getResultAttrOfType<StringAttr>(it->second, "qc.name");
        o["name"] = name ? name.str() : "output_" + std::to_string(it->second);
        o["kind"] = "output";
        o["index"] = it->second;
      } else {
        o["name"] = "t" + std::to_string(values.size());
        o["kind"] = "temp";
      }
      o["slot"] = slotOf[nextSlot++];
    }
    valueId[v] = values.size();
    values.push_back(std::move(o));
  }
  // Batch: dimension 0 of the first input whose dimension 0 is dynamic.
  json::Value batch = nullptr;
  for (BlockArgument a : fn.getArguments())
    if (auto t = cast<RankedTensorType>(a.getType());
        t.getRank() > 0 && t.isDynamicDim(0)) { // (a 0-d input has none)
      batch = json::Object{{"input", a.getArgNumber()}, {"dim", 0}};
      break;
    }

  json::Array steps;
  for (const GpuStep &s : plan.steps) {
    json::Array args;
    auto ptrArg = [&](Value v) {
      args.push_back(json::Object{{"value", valueId.lookup(v)}});
    };
    // A GEMM's C, then its epilogue's inputs, then i32 M, N, K.
    auto outputAndShapeArgs = [&](Linear M, int64_t N, int64_t K) {
      // C, [CS, QMAX, FLOOR: a quantized output], the epilogue's inputs.
      for (Value v : s.outputs)
        ptrArg(v);
      for (Value v : ArrayRef<Value>(s.inputs).drop_front(4))
        ptrArg(v);
      args.push_back(json::Object{{"i32", M.json()}});
      args.push_back(json::Object{{"i32", Linear{0, N}.json()}});
      args.push_back(json::Object{{"i32", Linear{0, K}.json()}});
    };
    json::Array grid, block;
    int64_t sharedBytes = 0;
    std::optional<HopperGemmConfig> hopperConfig;
    if (s.kind == GpuStep::Kind::HopperGemm)
      hopperConfig = hopperGemmConfig(s);
    switch (s.kind) {
    case GpuStep::Kind::Gemm: {
      auto q = cast<qc::QMatMulOp>(s.ops.front());
      auto a = cast<RankedTensorType>(q.getLhs().getType());
      auto w = cast<RankedTensorType>(q.getRhs().getType());
      Linear M = count(a, 0, a.getRank() - 1);
      int64_t N = w.getDimSize(0), K = w.getDimSize(1);
      if (s.tcgen05) {
        // (tmA, SA, tmB, SB, C, epilogue inputs..., M, N, K): A and B
        // through tensor maps, boxes of 128 rows (A) and tileN rows (B) by
        // 128 bytes of K.
        BlackwellGemmConfig c = getProgramBlackwellGemmConfig();
        auto map = [&](Value v, int64_t rows) {
          args.push_back(json::Object{
              {"tensor_map", json::Object{{"value", valueId.lookup(v)},
                                          {"box", ints({rows, kBlackwellTileK})},
                                          {"swizzle", 128}}}});
        };
        map(s.inputs[0], kBlackwellTileM);
        ptrArg(s.inputs[1]);
        map(s.inputs[2], c.tileN);
        ptrArg(s.inputs[3]);
        outputAndShapeArgs(M, N, K);
        grid = json::Array{Linear{0, N}.ceilDiv(c.tileN),
                           M.ceilDiv(kBlackwellTileM), Linear{0, 1}.json()};
        block = json::Array{kBlackwellThreads, 1, 1};
        sharedBytes = getBlackwellGemmSharedBytes(c);
        break;
      }
      for (Value v : ArrayRef<Value>(s.inputs).take_front(4))
        ptrArg(v);
      outputAndShapeArgs(M, N, K);
      grid = json::Array{M.ceilDiv(kMXFP8BlockTileM), Linear{0, N}.ceilDiv(kMXFP8BlockTileN),
              Linear{0, 1}.json()};
      block = json::Array{32, 4, 1};
      break;
    }
    case GpuStep::Kind::HopperGemm: {
      // (tmA, tmB, SA, SB, C, epilogue inputs..., M, N, K): A and B
      // through tensor maps the runtime encodes (docs/Runtime.md), boxes
      // of 128 rows (A) and tileN rows (B) by 128 bytes of K.
      const HopperGemmConfig &c = *hopperConfig;
      auto a = cast<RankedTensorType>(s.inputs[0].getType());
      Linear M = count(a, 0, a.getRank() - 1);
      auto b = cast<RankedTensorType>(s.inputs[2].getType());
      int64_t N = b.getDimSize(0), K = b.getDimSize(1);
      auto map = [&](Value v, int64_t rows) {
        args.push_back(json::Object{
            {"tensor_map", json::Object{{"value", valueId.lookup(v)},
                                        {"box", ints({rows, kHopperTileK})},
                                        {"swizzle", 128}}}});
      };
      // Swapped (decode): A's boxes are tileN tokens, B's 128 weight rows.
      map(s.inputs[0], c.swapAB ? c.tileN : kHopperTileM);
      map(s.inputs[2], c.swapAB ? kHopperTileM : c.tileN);
      ptrArg(s.inputs[1]);
      ptrArg(s.inputs[3]);
      outputAndShapeArgs(M, N, K);
      grid = c.swapAB ? json::Array{M.ceilDiv(c.tileN),
                                    Linear{0, N}.ceilDiv(kHopperTileM),
                                    Linear{0, 1}.json()}
                      : json::Array{Linear{0, N}.ceilDiv(c.tileN),
                                    M.ceilDiv(kHopperTileM),
                                    Linear{0, 1}.json()};
      block = json::Array{kHopperThreads, 1, 1};
      sharedBytes = getHopperGemmSharedBytes(c);
      break;
    }
    case GpuStep::Kind::Int8Gemm: {
      // (A, SA, B, SB, C, [ZA], [ZB], [BIAS], epilogue inputs..., M, N,
      // K), the MXFP8 mma.sync kernel's grid.
      auto a = cast<RankedTensorType>(s.inputs[0].getType());
      auto w = cast<RankedTensorType>(s.inputs[2].getType());
      Linear M = count(a, 0, a.getRank() - 1);
      int64_t K = w.getDimSize(0), N = w.getDimSize(1);
      if (isa<qc::ConvOp>(s.ops.front())) {
        // A convolution: a row per output pixel, a column per channel.
        auto out = cast<RankedTensorType>(s.ops.front()->getResult(0).getType());
        int64_t pixels = 1; // (OH x OW, or L of a 1-D conv)
        for (int64_t d = 2; d < out.getRank(); ++d)
          pixels *= out.getDimSize(d);
        Linear images = count(out, 0, 1);
        M = Linear{images.b * pixels, images.c * pixels};
        N = w.getDimSize(0);
        K = w.getNumElements() / N;
      }
      for (Value v : ArrayRef<Value>(s.inputs).take_front(4))
        ptrArg(v);
      outputAndShapeArgs(M, N, K);
      grid = json::Array{M.ceilDiv(kMXFP8BlockTileM),
                         Linear{0, N}.ceilDiv(kMXFP8BlockTileN),
                         Linear{0, 1}.json()};
      block = json::Array{32, 4, 1};
      break;
    }
    case GpuStep::Kind::QuantizeMX: {
      auto x = cast<RankedTensorType>(s.inputs[0].getType());
      int64_t K = x.getRank() ? x.getDimSize(x.getRank() - 1) : 1;
      int64_t nb = (K + kMXFP8ScaleBlock - 1) / kMXFP8ScaleBlock;
      Linear rows = count(x, 0, x.getRank() ? x.getRank() - 1 : 0);
      Linear blocks{rows.b * nb, rows.c * nb};
      ptrArg(s.inputs[0]);
      ptrArg(s.outputs[0]);
      ptrArg(s.outputs[1]);
      args.push_back(json::Object{{"i64", blocks.json()}});
      args.push_back(json::Object{{"i32", Linear{0, K}.json()}});
      grid = json::Array{blocks.ceilDiv(quantc::detail::kElementwiseBlock), Linear{0, 1}.json(),
              Linear{0, 1}.json()};
      block = json::Array{quantc::detail::kElementwiseBlock, 1, 1};
      break;
    }
    case GpuStep::Kind::Row: {
      // One thread per row: (outputs..., inputs..., rows).
      auto in = cast<RankedTensorType>(s.inputs[0].getType());
      auto out = cast<RankedTensorType>(s.outputs[0].getType());
      Linear rows = quantc::detail::isReduceOp(s.ops.front())
                        ? count(out, 0, out.getRank())
                        : count(in, 0, in.getRank() - 1);
      if (auto ln = dyn_cast<qc::LayerNormOp>(s.ops.front()))
        rows = count(in, 0, layerNormAxis(ln)); // a row per leading index
      if (isa<qc::SoftmaxOp, qc::LogSoftmaxOp>(s.ops.front())) {
        // Every dim but the (static) axis.
        int64_t a = cast<IntegerAttr>(s.ops.front()->getAttr("axis")).getInt();
        a = a < 0 ? a + in.getRank() : a;
        rows = count(in, 0, in.getRank());
        (rows.b ? rows.b : rows.c) /= in.getDimSize(a);
      }
      for (Value v : s.outputs)
        ptrArg(v);
      for (Value v : s.inputs)
        ptrArg(v);
      // A batch reduction also takes the batch size: (out, in, batch, rows).
      if (quantc::detail::isBatchReduce(s.ops.front()))
        args.push_back(json::Object{{"i64", count(in, 0, 1).json()}});
      if (isa<qc::DynamicQuantizeLinearOp>(s.ops.front())) {
        // One warp over the whole tensor: (y, scale, zero, x, elements).
        args.push_back(
            json::Object{{"i64", count(in, 0, in.getRank()).json()}});
        grid = json::Array{Linear{0, 1}.json(), Linear{0, 1}.json(),
                           Linear{0, 1}.json()};
        block = json::Array{32, 1, 1};
        break;
      }
      if (isRecurrent(s.ops.front())) {
        // One CTA of H threads per (direction, batch row).
        auto yh = cast<RankedTensorType>(s.ops.front()->getResult(1).getType());
        int64_t H = yh.getDimSize(2),
                ctas = yh.getDimSize(0) * yh.getDimSize(1);
        args.push_back(json::Object{{"i64", Linear{0, ctas * H}.json()}});
        grid = json::Array{Linear{0, ctas}.json(), Linear{0, 1}.json(),
                           Linear{0, 1}.json()};
        block = json::Array{H, 1, 1};
        break;
      }
      args.push_back(json::Object{{"i64", rows.json()}});
      grid = json::Array{rows.ceilDiv(quantc::detail::kElementwiseBlock),
                         Linear{0, 1}.json(), Linear{0, 1}.json()};
      block = json::Array{quantc::detail::kElementwiseBlock, 1, 1};
      break;
    }
    case GpuStep::Kind::DynamicQuantize: {
      // One thread per block: (outputs..., x, qmax, floor, blocks).
      auto sc = cast<RankedTensorType>(
          quantc::detail::stepQuantize(s)
              .getScale()
              .getType());
      Linear blocks = count(sc, 0, sc.getRank());
      for (Value v : s.outputs)
        ptrArg(v);
      for (Value v : s.inputs)
        ptrArg(v);
      args.push_back(json::Object{{"i64", blocks.json()}});
      grid = json::Array{blocks.ceilDiv(quantc::detail::kElementwiseBlock),
                         Linear{0, 1}.json(), Linear{0, 1}.json()};
      block = json::Array{quantc::detail::kElementwiseBlock, 1, 1};
      break;
    }
    case GpuStep::Kind::Elementwise:
    case GpuStep::Kind::Conv:
    case GpuStep::Kind::Pool:
    case GpuStep::Kind::Copy:
    case GpuStep::Kind::Layout:
    case GpuStep::Kind::MatMul: {
      // One thread per output element: (out, inputs..., count).
      auto out = cast<RankedTensorType>(s.outputs[0].getType());
      Linear n = count(out, 0, out.getRank());
      ptrArg(s.outputs[0]);
      for (Value v : s.inputs)
        ptrArg(v);
      args.push_back(json::Object{{"i64", n.json()}});
      grid = json::Array{n.ceilDiv(quantc::detail::kElementwiseBlock),
                         Linear{0, 1}.json(), Linear{0, 1}.json()};
      block = json::Array{quantc::detail::kElementwiseBlock, 1, 1};
      break;
    }
    case GpuStep::Kind::GlobalAvgPool: {
      // One thread per (n, c) plane: (out, in, epilogue inputs..., planes).
      auto in = cast<RankedTensorType>(s.inputs[0].getType());
      Linear planes = count(in, 0, 2);
      ptrArg(s.outputs[0]);
      for (Value v : s.inputs)
        ptrArg(v);
      args.push_back(json::Object{{"i64", planes.json()}});
      grid = json::Array{planes.ceilDiv(quantc::detail::kElementwiseBlock),
                         Linear{0, 1}.json(), Linear{0, 1}.json()};
      block = json::Array{quantc::detail::kElementwiseBlock, 1, 1};
      break;
    }
    }
    json::Object step{{"kernel", s.kernel},
                      {"layer", qc::getLayerName(getStepNamingOp(s)->getLoc())},
                      {"op", getStepNamingOp(s)->getName().getStringRef()},
                      {"args", std::move(args)},
                      {"grid", std::move(grid)},
                      {"block", std::move(block)},
                      {"shared_bytes", sharedBytes}};
    if (!s.expr.empty())
      step["expr"] = s.expr;
    if (s.epilogueInputs) // (the last args before the count)
      step["epilogue_inputs"] = s.epilogueInputs;
    if (!s.prologues.empty()) {
      // Which operand each computes, from how many of the args, by what
      // expr, at what (static) shape.
      json::Array ps;
      for (const GpuStep::Prologue &p : s.prologues)
        ps.push_back(json::Object{
            {"operand", p.operand},
            {"inputs", p.numInputs},
            {"expr", p.expr},
            {"shape", shapeJson(cast<RankedTensorType>(
                          p.ops.back()->getResult(0).getType()))}});
      step["prologues"] = std::move(ps);
    }
    Operation *first = s.ops.front();
    // MX element formats other than e4m3 (the codes' value types).
    if (auto q = dyn_cast<qc::QMatMulOp>(first);
        q && s.kernel != kGemmKernelName &&
        !StringRef(s.kernel).starts_with(kGemmKernelName.str() + "_ep")) {
      json::Array els;
      for (qc::SchemeAttr sc : {q.getLhsScheme(), q.getRhsScheme()})
        els.push_back(quantc::detail::typeName(getMXGemmElement(sc)));
      step["attrs"] = json::Object{{"elements", std::move(els)}};
    }
    if (s.tcgen05) {
      // The sm_100a kernel's tile (the grid's x walks N by tile_n, y M by
      // 128).
      BlackwellGemmConfig c = getProgramBlackwellGemmConfig();
      step["attrs"] = json::Object{
          {"elements", json::Array{"f8E4M3FN", "f8E4M3FN"}},
          {"tile_n", c.tileN},
          {"stages", c.stages}};
    }
    if (auto q = dyn_cast<qc::QuantizeOp>(first);
        q && StringRef(s.kernel).starts_with("quantize_mx_"))
      step["attrs"] =
          json::Object{{"element", quantc::detail::typeName(getMXGemmElement(q.getScheme()))}};
    if (hopperConfig)
      step["attrs"] =
          json::Object{{"scales", hopperScalesName(s)},
                       {"tile_n", hopperConfig->tileN},
                       {"stages", hopperConfig->stages},
                       {"swap_ab", hopperConfig->swapAB},
                       {"output", getHopperOutputName(hopperConfig->output)}};
    if (hopperConfig && isHopperInt8(s)) {
      // The int8 wgmma GEMM: its codes and A's zero point (ZA and B's
      // codes after C).
      json::Object &attrs = *step["attrs"].getAsObject();
      attrs["a"] = getHopperOperandName(hopperConfig->a);
      attrs["b"] = getHopperOperandName(hopperConfig->b);
      attrs["a_zero_point"] = hopperConfig->activationZeroPoint;
      attrs["a_scale"] =
          hopperConfig->activationScalePerTensor || !isHopperPerChannel(s)
              ? "one"
              : "row";
    }
    if (s.kind == GpuStep::Kind::Int8Gemm) {
      Int8GemmOperands o = getInt8GemmOperands(s);
      step["attrs"] =
          json::Object{{"a", o.aUnsigned ? "ui8" : "i8"},
                       {"b", o.bUnsigned ? "ui8" : "i8"},
                       {"a_zero_point", o.aZeroPoint},
                       {"b_zero_point", !o.bZeroPoint           ? "none"
                                        : o.bZeroPointPerColumn ? "column"
                                                                : "one"},
                       {"b_scale", o.bScalePerColumn ? "column" : "one"},
                       {"a_scale", o.aScalePerRow ? "row" : "one"},
                       {"bias", o.bias}};
      if (auto c = dyn_cast<qc::ConvOp>(first)) {
        json::Object &attrs = *step["attrs"].getAsObject();
        attrs["strides"] = ints(c.getStrides());
        attrs["pads"] = ints(c.getPads());
        attrs["dilations"] = ints(c.getDilations());
        attrs["group"] = c.getGroup();
      }
    }
    if (s.kind == GpuStep::Kind::DynamicQuantize) {
      auto q = quantc::detail::stepQuantize(s);
      step["attrs"] = json::Object{
          {"codes", quantc::detail::typeName(elementTypeOf(q.getCodes()))},
          {"block", static_cast<int64_t>(q.getBlockSize())}};
      // F31 asymmetric: the zero point's clip bounds (its inputs are
      // zero, range, floor and qmin).
      for (Operation *op : s.ops)
        if (auto c = dyn_cast<qc::ClipOp>(op))
          step["attrs"].getAsObject()->try_emplace(
              "zero_point",
              json::Array{double(c.getMin()->convertToFloat()),
                          double(c.getMax()->convertToFloat())});
    }
    if (auto c = dyn_cast<qc::ConvIntegerOp>(first))
      step["attrs"] = json::Object{{"strides", ints(c.getStrides())},
                                   {"pads", ints(c.getPads())},
                                   {"dilations", ints(c.getDilations())},
                                   {"group", c.getGroup()}};
    if (auto c = dyn_cast<qc::ConvOp>(first);
        c && s.kind != GpuStep::Kind::Int8Gemm) // (its own, above)
      step["attrs"] = json::Object{
          {"strides", ints(c.getStrides())},
          {"pads", ints(c.getPads())},
          {"dilations", ints(c.getDilations())},
          {"group", c.getGroup()}};
    if (auto c = dyn_cast<qc::ConvTransposeOp>(first))
      step["attrs"] =
          json::Object{{"transpose", true},
                       {"strides", ints(c.getStrides())},
                       {"pads", ints(c.getPads())},
                       {"dilations", ints(c.getDilations())},
                       {"output_padding", ints(c.getOutputPadding())},
                       {"group", c.getGroup()}};
    if (auto mp = dyn_cast<qc::MaxPoolOp>(first))
      step["attrs"] = json::Object{
          {"kind", "max"},
          {"kernel_shape", ints(mp.getKernelShape())},
          {"strides", ints(mp.getStrides())},
          {"pads", ints(mp.getPads())},
          {"dilations", ints(mp.getDilations())}};
    if (auto pd = dyn_cast<qc::PadOp>(first)) {
      double fill = 0;
      if (std::optional<TypedAttr> v = pd.getValue()) {
        if (auto f = dyn_cast<FloatAttr>(*v))
          fill = f.getValueAsDouble();
        else if (auto i = dyn_cast<IntegerAttr>(*v))
          // bool and unsigned fills zero-extend (true is 1, ui8 200 is 200)
          fill = i.getType().isInteger(1) || i.getType().isUnsignedInteger()
                     ? double(i.getValue().getZExtValue())
                     : double(i.getValue().getSExtValue());
      }
      step["attrs"] = json::Object{
          {"pads", ints(pd.getPads())},
          {"mode", qc::stringifyPadMode(pd.getMode()).str()},
          {"value", fill}};
    }
    if (isa<qc::ArgMaxOp, qc::ArgMinOp>(first))
      step["attrs"] = json::Object{
          {"axis", cast<IntegerAttr>(first->getAttr("axis")).getInt()},
          {"keepdims",
           cast<BoolAttr>(first->getAttr("keepdims")).getValue()},
          {"select_last_index",
           cast<BoolAttr>(first->getAttr("select_last_index")).getValue()}};
    // A constant k or axis is an attribute; a run-time one the step's
    // second input.
    if (auto tl = dyn_cast<qc::TriluOp>(first)) {
      json::Object a{{"upper", tl.getUpper()}};
      std::optional<int64_t> k = tl.getK()
                                     ? quantc::detail::constantScalar(tl.getK())
                                     : std::optional<int64_t>(0);
      if (k)
        a["k"] = *k;
      step["attrs"] = std::move(a);
    }
    if (auto cs = dyn_cast<qc::CumSumOp>(first)) {
      json::Object a{{"exclusive", cs.getExclusive()},
                     {"reverse", cs.getReverse()}};
      if (std::optional<int64_t> axis =
              quantc::detail::constantScalar(cs.getAxis()))
        a["axis"] = *axis;
      step["attrs"] = std::move(a);
    }
    if (auto tr = dyn_cast<qc::TransposeOp>(first))
      step["attrs"] = json::Object{{"perm", ints(tr.getPerm())}};
    if (auto tk = dyn_cast<qc::TopKOp>(first))
      step["attrs"] = json::Object{
          {"k", *quantc::detail::constantScalar(tk.getK())},
          {"largest", tk.getLargest()}};
    if (auto rs = dyn_cast<qc::ResizeOp>(first)) {
      json::Array scales;
      for (float f : rs.getScales())
        scales.push_back(double(f));
      step["attrs"] = json::Object{
          {"mode", qc::stringifyResizeMode(rs.getMode()).str()},
          {"coordinate_transformation_mode",
           qc::stringifyCoordinateTransformation(
               rs.getCoordinateTransformationMode())
               .str()},
          {"nearest_mode", qc::stringifyNearestMode(rs.getNearestMode()).str()},
          {"scales", std::move(scales)},
          {"exclude_outside", rs.getExcludeOutside()}};
    }
    if (auto sl = dyn_cast<qc::SliceOp>(first))
      step["attrs"] = json::Object{{"starts", ints(sl.getStarts())},
                                   {"ends", ints(sl.getEnds())},
                                   {"axes", ints(sl.getAxes())},
                                   {"steps", ints(sl.getSteps())}};
    if (auto cc = dyn_cast<qc::ConcatOp>(first))
      step["attrs"] = json::Object{{"axis", static_cast<int64_t>(cc.getAxis())}};
    if (auto ga = dyn_cast<qc::GatherOp>(first))
      step["attrs"] = json::Object{{"axis", static_cast<int64_t>(ga.getAxis())}};
    if (auto ge = dyn_cast<qc::GatherElementsOp>(first))
      step["attrs"] = json::Object{{"axis", static_cast<int64_t>(ge.getAxis())}};
    if (auto se = dyn_cast<qc::ScatterElementsOp>(first))
      step["attrs"] = json::Object{
          {"axis", static_cast<int64_t>(se.getAxis())},
          {"reduction", qc::stringifyScatterReduction(se.getReduction())}};
    if (auto sn = dyn_cast<qc::ScatterNDOp>(first))
      step["attrs"] = json::Object{
          {"reduction", qc::stringifyScatterReduction(sn.getReduction())}};
    if (auto gn = dyn_cast<qc::GatherNDOp>(first))
      step["attrs"] = json::Object{
          {"batch_dims", static_cast<int64_t>(gn.getBatchDims())}};
    if (auto at = dyn_cast<qc::AttentionOp>(first)) {
      step["attrs"] = json::Object{
          {"scale", double(at.getScale().convertToFloat())}};
      if (auto mv = at.getMaskValue())
        step["attrs"].getAsObject()->try_emplace(
            "mask_value", double(mv->convertToFloat()));
    }
    if (auto rn = dyn_cast<qc::RmsNormOp>(first))
      step["attrs"] = json::Object{
          {"epsilon", double(rn.getEpsilon().convertToFloat())}};
    if (auto ln = dyn_cast<qc::LayerNormOp>(first))
      step["attrs"] =
          json::Object{{"epsilon", double(ln.getEpsilon().convertToFloat())},
                       {"bias", bool(ln.getBias())},
                       {"axis", layerNormAxis(ln)}};
    if (isRecurrent(first)) {
      // What the numpy model needs: which optional operands follow x, w, r
      // (in that order), the direction, clip, and LSTM's input_forget or
      // GRU's linear_before_reset.
      json::Array operands{"x", "w", "r"};
      SmallVector<std::pair<Value, StringRef>> opt;
      if (auto l = dyn_cast<qc::LstmOp>(first))
        opt = {{l.getB(), "b"},
               {l.getInitialH(), "initial_h"},
               {l.getInitialC(), "initial_c"},
               {l.getP(), "p"}};
      else if (auto g = dyn_cast<qc::GruOp>(first))
        opt = {{g.getB(), "b"}, {g.getInitialH(), "initial_h"}};
      else
        opt = {{cast<qc::RnnOp>(first).getB(), "b"},
               {cast<qc::RnnOp>(first).getInitialH(), "initial_h"}};
      for (auto [v, n] : opt)
        if (v)
          operands.push_back(n);
      json::Object a{{"operands", std::move(operands)},
                     {"direction",
                      qc::stringifyRnnDirection(cast<qc::RnnDirectionAttr>(
                                                    first->getAttr("direction"))
                                                    .getValue())}};
      if (auto l = dyn_cast<qc::LstmOp>(first))
        a["input_forget"] = l.getInputForget();
      if (auto g = dyn_cast<qc::GruOp>(first))
        a["linear_before_reset"] = g.getLinearBeforeReset();
      if (auto c = first->getAttrOfType<FloatAttr>("clip"))
        a["clip"] = double(c.getValue().convertToFloat());
      step["attrs"] = std::move(a);
    }
    if (isa<qc::SoftmaxOp, qc::LogSoftmaxOp>(first)) {
      int64_t a = cast<IntegerAttr>(first->getAttr("axis")).getInt();
      int64_t r =
          cast<RankedTensorType>(first->getOperand(0).getType()).getRank();
      step["attrs"] = json::Object{{"axis", a < 0 ? a + r : a}};
    }
    if (s.kind == GpuStep::Kind::Row && isa<qc::PowOp>(first))
      step["attrs"] = json::Object{{"decomposed", true}};
    if (s.kind == GpuStep::Kind::Row &&
        isa<qc::LayerNormOp, qc::RmsNormOp, qc::PowOp>(first)) {
      if (qc::QuantizeLinearOp q = quantc::detail::stepQuantize(s))
        step["attrs"].getAsObject()->try_emplace(
            "quantize",
            json::Object{
                {"codes", quantc::detail::typeName(elementTypeOf(q.getCodes()))},
                {"block", static_cast<int64_t>(q.getBlockSize())},
                {"dequantized", isa<qc::DequantizeLinearOp>(s.ops.back())}});
      for (Operation *op : s.ops) // F31 asymmetric: z's clip bounds
        if (auto c = dyn_cast<qc::ClipOp>(op))
          step["attrs"].getAsObject()->getObject("quantize")->try_emplace(
              "zero_point",
              json::Array{double(c.getMin()->convertToFloat()),
                          double(c.getMax()->convertToFloat())});
    }
    if (s.kind == GpuStep::Kind::Row && quantc::detail::isReduceOp(first)) {
      int64_t r = cast<RankedTensorType>(first->getOperand(0).getType()).getRank();
      SmallVector<int64_t> axes;
      for (int64_t a : quantc::detail::reduceAxes(first))
        axes.push_back(a < 0 ? a + r : a);
      llvm::sort(axes);
      step["attrs"] = json::Object{{"axes", ints(axes)}};
    }
    if (auto ap = dyn_cast<qc::AvgPoolOp>(first))
      step["attrs"] = json::Object{
          {"kind", "avg"},
          {"kernel_shape", ints(ap.getKernelShape())},
          {"strides", ints(ap.getStrides())},
          {"pads", ints(ap.getPads())},
          {"dilations", ints(ap.getDilations())},
          {"count_include_pad", ap.getCountIncludePad()}};
    steps.push_back(std::move(step));
  }
  return json::Object{
      {"batch", std::move(batch)},
      {"arena", json::Object{{"alignment", 256}, {"slots", numSlots}}},
      {"values", std::move(values)},
      {"steps", std::move(steps)}};
}
