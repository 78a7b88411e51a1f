//===- QCOps.cpp - qc op verifiers and folders ----------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCShapeUtils.h"
#include "quantc/Support/Constants.h"

#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/AsmState.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCOps.cpp.inc"


//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto lt = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rt = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lt.getElementType() != rt.getElementType())
    return emitOptionalError(loc, "operand element types differ: ",
                             lt.getElementType(), " and ", rt.getElementType());
  FailureOr<SmallVector<int64_t>> out =
      inferMatMulShape(loc, lt.getShape(), rt.getShape());
  if (failed(out))
    return failure();
  inferred.push_back(lt.clone(*out));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(MatMulOp)

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

// add, sub, mul, div: the operands' broadcast shape and element type.
QC_BROADCAST_INFERENCE(AddOp, Type(), true)
QC_BROADCAST_INFERENCE(SubOp, Type(), true)
QC_BROADCAST_INFERENCE(MulOp, Type(), true)
QC_BROADCAST_INFERENCE(DivOp, Type(), true)

QC_INFER_RESULT_WITH(ReluOp, inputType)

//===----------------------------------------------------------------------===//
// Layout ops
//===----------------------------------------------------------------------===//

/// ONNX Reshape (allowzero = 0) of `in` to `spec`: 0 copies the input dim,
/// one -1 is inferred; as static as the input allows.
LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  auto inTy = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> in = inTy.getShape(), spec = adaptor.getShape();
  SmallVector<int64_t> out;
  int inferIdx = -1;
  for (auto [i, s] : llvm::enumerate(spec)) {
    if (s == 0 && i >= in.size())
      return emitOptionalError(loc, "shape [", spec, "] copies (0) dimension ",
                               i, " of an input of rank ", in.size());
    if (s == -1 && inferIdx >= 0)
      return emitOptionalError(loc, "shape [", spec, "] has more than one -1");
    if (s < -1)
      return emitOptionalError(loc, "shape [", spec,
                               "] has an invalid dimension ", s);
    if (s == -1)
      inferIdx = i;
    out.push_back(s == 0 ? in[i] : s == -1 ? ShapedType::kDynamic : s);
  }
  // Copied dims (0) are the same on both sides and cancel, so `?x2x8` to
  // [0, -1, 4] still infers 4: compare only the other dims.
  int64_t inRest = 1, outRest = 1;
  bool inStatic = true;
  for (auto [i, d] : llvm::enumerate(in)) {
    if (i < spec.size() && spec[i] == 0)
      continue;
    if (ShapedType::isDynamic(d))
      inStatic = false;
    else if (llvm::MulOverflow(inRest, d, inRest))
      return emitOptionalError(loc, "input shape overflows");
  }
  for (auto [i, d] : llvm::enumerate(out))
    if ((int)i != inferIdx && spec[i] != 0 &&
        llvm::MulOverflow(outRest, d, outRest))
      return emitOptionalError(loc, "shape [", spec, "] is too large");
  if (inStatic && inferIdx >= 0) {
    if (outRest == 0 || inRest % outRest != 0)
      return emitOptionalError(loc, "cannot reshape ", dimsStr(in), " to [",
                               spec, "]: the element counts do not divide");
    out[inferIdx] = inRest / outRest;
  } else if (inStatic && inRest != outRest) {
    return emitOptionalError(loc, "cannot reshape ", dimsStr(in), " to [",
                             spec, "]: the element counts differ");
  }
  inferred.push_back(inTy.clone(out));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(ReshapeOp)

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  SmallVector<bool> seen(in.getRank(), false);
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if ((int64_t)perm.size() != in.getRank() || p < 0 || p >= in.getRank() ||
        seen[p])
      return emitOptionalError(loc, "perm [", perm,
                               "] is not a permutation of 0..",
                               in.getRank() - 1);
    seen[p] = true;
    out.push_back(in.getDimSize(p));
  }
  if ((int64_t)perm.size() != in.getRank()) // also an empty perm of rank > 0
    return emitOptionalError(loc, "perm [", perm,
                             "] is not a permutation of 0..",
                             in.getRank() - 1);
  inferred.push_back(in.clone(out));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(TransposeOp)

/// Calls f(outIndex, inIndex) for every element of the transpose by `perm`
/// of a row-major tensor of shape `inShape`.
template <typename F>
static void forEachPermuted(ArrayRef<int64_t> inShape, ArrayRef<int64_t> perm,
                            F f) {
  int64_t rank = inShape.size(), n = 1;
  SmallVector<int64_t> inStrides(rank, 1), outShape;
  for (int64_t i = rank - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * inShape[i + 1];
  for (int64_t p : perm) {
    outShape.push_back(inShape[p]);
    n *= inShape[p];
  }
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += idx[d] * inStrides[perm[d]];
    f(lin, src);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
}

/// Transposes a dense_resource constant (an imported weight) byte-wise into a
/// new blob: no per-element attributes, so large weights fold cheaply.
static OpFoldResult foldResourceTranspose(DenseResourceElementsAttr attr,
                                          ArrayRef<int64_t> perm,
                                          RankedTensorType outTy) {
  FailureOr<quantc::ConstantBytes> raw = quantc::getConstantBytes(attr);
  int64_t n = outTy.getNumElements();
  if (failed(raw) || !outTy.hasStaticShape() || n == 0)
    return {};
  int64_t w = raw->data.size() / n;
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(raw->data.size(), alignof(uint64_t));
  char *out = blob.getMutableData().data();
  const char *in = raw->data.data();
  forEachPermuted(attr.getType().getShape(), perm, [&](int64_t o, int64_t i) {
    std::memcpy(out + o * w, in + i * w, w);
  });
  return DenseResourceElementsAttr::get(outTy, "transposed", std::move(blob));
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())) &&
      getInput().getType() == getType())
    return getInput();
  if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(adaptor.getInput()))
    return foldResourceTranspose(res, perm, getType());
  auto attr = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  auto outTy = getType();
  if (!attr || !outTy.hasStaticShape())
    return {};
  if (attr.isSplat())
    return attr.resizeSplat(outTy);
  // Permute element by element; constants are weights of moderate size.
  auto values = llvm::to_vector(attr.getValues<Attribute>());
  SmallVector<Attribute> out(values.size());
  forEachPermuted(attr.getType().getShape(), perm,
                  [&](int64_t o, int64_t i) { out[o] = values[i]; });
  return DenseElementsAttr::get(outTy, out);
}

//===----------------------------------------------------------------------===//
// Quantization ops
//===----------------------------------------------------------------------===//

/// Checks codes/scales types against a scheme for a tensor of `valueTy`'s
/// shape.
/// A scheme qc.quantize / qc.dequantize / qc.qmatmul run (docs/Formats.md,
/// MX rules): OCP MX blocks along the last axis with E8M0 scales, for a
/// tensor of rank `rank`. Linear schemes (per tensor, per channel, 2-D
/// blocks, NVFP4) are qc.quantize_linear / qc.dequantize_linear's.
static LogicalResult checkMXScheme(std::optional<Location> loc,
                                   SchemeAttr scheme, int64_t rank,
                                   StringRef what) {
  ArrayRef<int64_t> block = scheme.getBlock();
  bool lastAxisOnly = !block.empty() && block.back() > 0 &&
                      llvm::all_of(block.drop_back(),
                                   [](int64_t b) { return b == 1; });
  if (!scheme.isMX() || !lastAxisOnly)
    return emitOptionalError(
        loc, what, " scheme ", scheme,
        " is not an MX scheme blocked along the last axis (E8M0 scales), the "
        "only kind these ops run; use qc.quantize_linear / "
        "qc.dequantize_linear for linear schemes");
  if ((int64_t)block.size() > rank)
    return emitOptionalError(loc, what, " scheme block has rank ",
                             block.size(), " but the tensor has rank ", rank);
  return success();
}

/// Checks codes/scales types against a scheme.
static LogicalResult verifyCodesAndScales(Operation *op, SchemeAttr scheme,
                                          RankedTensorType codes,
                                          RankedTensorType scales,
                                          StringRef what) {
  if (failed(checkMXScheme(op->getLoc(), scheme, codes.getRank(), what)))
    return failure();
  if (codes.getElementType() != scheme.getElementType())
    return op->emitOpError(what)
           << " codes have element type " << codes.getElementType()
           << " but the scheme says " << scheme.getElementType();
  if (scales.getElementType() != scheme.getScaleType())
    return op->emitOpError(what)
           << " scales have element type " << scales.getElementType()
           << " but the scheme says " << scheme.getScaleType();
  SmallVector<int64_t> expected = scheme.getScaleShape(codes.getShape());
  if (!shapesCompatible(expected, scales.getShape()))
    return op->emitOpError(what)
           << " scales have shape " << shapeStr(scales.getShape())
           << " but the scheme gives " << shapeStr(expected);
  return success();
}

/// Codes: the input's shape in the scheme's element type; scales: the
/// scheme's scale shape and type.
LogicalResult QuantizeOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  SchemeAttr scheme = adaptor.getScheme();
  if (failed(checkMXScheme(loc, scheme, in.getRank(), "result")))
    return failure();
  inferred.push_back(in.clone(scheme.getElementType()));
  inferred.push_back(RankedTensorType::get(
      scheme.getScaleShape(in.getShape()), scheme.getScaleType()));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(QuantizeOp)

LogicalResult DequantizeOp::verify() {
  auto codes = cast<RankedTensorType>(getCodes().getType());
  auto out = getResult().getType();
  if (!shapesCompatible(out.getShape(), codes.getShape()))
    return emitOpError("result shape ")
           << shapeStr(out.getShape()) << " differs from codes shape "
           << shapeStr(codes.getShape());
  return verifyCodesAndScales(*this, getScheme(), codes,
                              cast<RankedTensorType>(getScales().getType()),
                              "operand");
}

LogicalResult QMatMulOp::verify() {
  auto a = cast<RankedTensorType>(getLhs().getType());
  auto b = cast<RankedTensorType>(getRhs().getType());
  auto res = getResult().getType();
  if (a.getRank() < 2)
    return emitOpError("lhs must have rank >= 2, got ") << a.getRank();
  if (b.getRank() != 2)
    return emitOpError("rhs must have rank 2 ([N, K]), got ") << b.getRank();
  if (!dimsCompatible(a.getShape().back(), b.getDimSize(1)))
    return emitOpError("reduction dimensions differ: lhs K = ")
           << a.getShape().back() << ", rhs K = " << b.getDimSize(1);
  SchemeAttr ls = getLhsScheme(), rs = getRhsScheme();
  if (ls.getBlock().size() != 2 || rs.getBlock().size() != 2 ||
      ls.getBlock()[0] != 1 || rs.getBlock()[0] != 1 ||
      ls.getInnerBlock() <= 0)
    return emitOpError("schemes must be blocked along K only (block = [1, "
                       "k]) with k > 0");
  if (ls.getInnerBlock() != rs.getInnerBlock())
    return emitOpError("lhs and rhs K blocks differ: ")
           << ls.getInnerBlock() << " vs " << rs.getInnerBlock();
  if (failed(verifyCodesAndScales(*this, ls, a,
                                  cast<RankedTensorType>(getLhsScales().getType()),
                                  "lhs")) ||
      failed(verifyCodesAndScales(*this, rs, b,
                                  cast<RankedTensorType>(getRhsScales().getType()),
                                  "rhs")))
    return failure();
  if (getAccType() != res.getElementType() || !getAccType().isF32())
    return emitOpError("accumulator type must be f32 and match the result, "
                       "got ")
           << getAccType();
  SmallVector<int64_t> expected(a.getShape().drop_back());
  expected.push_back(b.getDimSize(0));
  if (!shapesCompatible(expected, res.getShape()))
    return emitOpError("result shape ")
           << shapeStr(res.getShape()) << " does not match expected "
           << shapeStr(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

int64_t WeightOp::getStorageBytes(Type elementType) {
  return std::max<int64_t>(1, (elementType.getIntOrFloatBitWidth() + 7) / 8);
}

bool WeightOp::isPacked4(Type elementType) {
  return elementType.isInteger(4) || isa<Float4E2M1FNType>(elementType);
}

int64_t WeightOp::getStorageSize(RankedTensorType type) {
  int64_t n = type.getNumElements();
  return isPacked4(type.getElementType())
             ? (n + 1) / 2
             : n * getStorageBytes(type.getElementType());
}

LogicalResult WeightOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (!type.getElementType().isIntOrFloat())
    return emitOpError("element type must be an integer or float type");
  // I64Attr getters return uint64_t: read the attributes as signed.
  int64_t offset = static_cast<int64_t>(getOffset()),
          size = static_cast<int64_t>(getSize());
  if (offset < 0 || offset % 64 != 0)
    return emitOpError("offset ") << offset
                                  << " must be a non-negative multiple of 64";
  int64_t expected = getStorageSize(type);
  if (size != expected)
    return emitOpError("size ") << size << " does not match " << expected
                                << " bytes of " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// FusionOp
//===----------------------------------------------------------------------===//

bool FusionOp::isAnchorKind(Operation *op) {
  return isa<MatMulOp, QMatMulOp, ConvOp>(op);
}

bool FusionOp::isEpilogueKind(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, ReluOp, NegOp, AbsOp, SqrtOp, TanhOp,
             SigmoidOp, GeluOp, SiluOp, ClipOp, LeakyReluOp, BatchNormOp>(op);
}

Operation *FusionOp::getAnchor() { return &getBody().front().front(); }

SmallVector<Operation *> FusionOp::getEpilogue() {
  SmallVector<Operation *> ops;
  for (Operation &op : getBody().front().without_terminator())
    if (&op != getAnchor())
      ops.push_back(&op);
  return ops;
}

LogicalResult FusionOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments())
    return emitOpError("body takes no arguments");
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end with qc.yield, got '")
           << body.getTerminator()->getName() << "'";
  Operation *anchor = &body.front();
  if (!isAnchorKind(anchor))
    return emitOpError("body must start with qc.matmul, qc.qmatmul or "
                       "qc.conv, got '")
           << anchor->getName() << "'";
  if (std::next(anchor->getIterator()) == yield->getIterator())
    return emitOpError("has no epilogue op after its ")
           << anchor->getName();
  Type type = anchor->getResult(0).getType();
  Value prev = anchor->getResult(0);
  for (Operation &op : llvm::make_range(std::next(anchor->getIterator()),
                                        yield->getIterator())) {
    if (!isEpilogueKind(&op))
      return emitOpError("'") << op.getName()
                              << "' cannot be an epilogue op of a fusion";
    // (A batch norm then reads it as its input: its parameters are 1-D.)
    if (!prev.hasOneUse() || *prev.getUsers().begin() != &op)
      return emitOpError("'") << op.getName()
                              << "' must be the only user of the previous "
                                 "op's result";
    if (op.getResult(0).getType() != type)
      return emitOpError("epilogue result type ")
             << op.getResult(0).getType() << " differs from the anchor's "
             << type;
    prev = op.getResult(0);
  }
  if (yield.getValue() != prev)
    return emitOpError("must yield the last epilogue op's result");
  if (getType() != type)
    return emitOpError("result type ")
           << getType() << " differs from the anchor's " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Folding of small constants (shape arithmetic)
//===----------------------------------------------------------------------===//

namespace quantc::qc {
/// A dense constant folded into `type`'s shape (a pure relayout): only
/// DenseElementsAttr (not weights in resources) of at most this many
/// elements, so folding never copies a weight.
constexpr int64_t kMaxFoldElements = 1 << 16;

OpFoldResult foldRelayout(Attribute input, Type result) {
  auto attr = dyn_cast_or_null<DenseElementsAttr>(input);
  auto type = dyn_cast<RankedTensorType>(result);
  if (!attr || !type || !type.hasStaticShape() ||
      attr.getNumElements() > kMaxFoldElements ||
      attr.getElementType() != type.getElementType() ||
      attr.getNumElements() != type.getNumElements())
    return {};
  return attr.reshape(type);
}
} // namespace quantc::qc

namespace {
/// An elementwise integer op on two constants with numpy broadcasting into
/// the (static) result type, wrapping to the element width as the Executor
/// does. `f` returns nothing where the op would fail at run time (a
/// division by zero): no fold then. A comparison's operands have one
/// integer type and its result is i1 (`compare`).
template <typename F>
OpFoldResult foldIntBinary(Operation *op, Attribute lhs, Attribute rhs, F f,
                           bool compare = false) {
  auto a = dyn_cast_or_null<DenseIntElementsAttr>(lhs);
  auto b = dyn_cast_or_null<DenseIntElementsAttr>(rhs);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Type operandElem =
      compare ? (a ? a.getElementType() : Type()) : type.getElementType();
  if (!a || !b || !type.hasStaticShape() ||
      type.getNumElements() > kMaxFoldElements ||
      a.getElementType() != operandElem || b.getElementType() != operandElem)
    return {};
  ArrayRef<int64_t> out = type.getShape();
  auto strides = [&](ArrayRef<int64_t> s) {
    SmallVector<int64_t> st(out.size(), 0);
    int64_t acc = 1;
    for (int64_t d = (int64_t)s.size() - 1; d >= 0; --d) {
      st[out.size() - s.size() + d] = s[d] == 1 ? 0 : acc;
      acc *= s[d];
    }
    return st;
  };
  ArrayRef<int64_t> as = a.getType().getShape(), bs = b.getType().getShape();
  if (as.size() > out.size() || bs.size() > out.size())
    return {};
  SmallVector<int64_t> sa = strides(as), sb = strides(bs);
  SmallVector<APInt> av(a.getValues<APInt>()), bv(b.getValues<APInt>());
  SmallVector<APInt> vals;
  vals.reserve(type.getNumElements());
  SmallVector<int64_t> idx(out.size(), 0);
  for (int64_t lin = 0; lin < type.getNumElements(); ++lin) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < out.size(); ++d) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    std::optional<APInt> r = f(av[ia], bv[ib]);
    if (!r)
      return {};
    vals.push_back(*r);
    for (int64_t d = (int64_t)out.size() - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
  return DenseElementsAttr::get(type, vals);
}
} // namespace

/// Integer (and i1) constants: shape tests such as Equal(Shape(x)[d], 1),
/// which an If's condition may be.
OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(
      *this, adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &x, const APInt &y) {
        return std::optional<APInt>(APInt(1, x == y ? 1 : 0));
      },
      /*compare=*/true);
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getLhs(), adaptor.getRhs(),
                       [](const APInt &x, const APInt &y) {
                         return std::optional<APInt>(x + y);
                       });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getLhs(), adaptor.getRhs(),
                       [](const APInt &x, const APInt &y) {
                         return std::optional<APInt>(x - y);
                       });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(*this, adaptor.getLhs(), adaptor.getRhs(),
                       [](const APInt &x, const APInt &y) {
                         return std::optional<APInt>(x * y);
                       });
}

/// Integer division truncating toward zero (unsigned types divide
/// unsigned); INT_MIN / -1 wraps, as the Executor's kernel. A zero divisor
/// is the Executor's run-time error: not folded.
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  bool isUnsigned = getType().getElementType().isUnsignedInteger();
  return foldIntBinary(*this, adaptor.getLhs(), adaptor.getRhs(),
                       [&](const APInt &x,
                           const APInt &y) -> std::optional<APInt> {
                         if (y.isZero())
                           return std::nullopt;
                         if (isUnsigned)
                           return x.udiv(y);
                         if (y.isAllOnes())
                           return -x;
                         return x.sdiv(y);
                       });
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return foldRelayout(adaptor.getInput(), getType());
}
