//===- QCNNOps.cpp - qc ops: NN family -------------------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCShapeUtils.h"

#include "mlir/IR/OpImplementation.h"

#include <string>

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCNNOps.cpp.inc"

void QCDialect::registerNNOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCNNOps.cpp.inc"
      >();
}

namespace {

/// Checks the window attributes of a conv/pool op over `k` spatial dims.
LogicalResult checkWindowAttrs(std::optional<Location> loc, int64_t k,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> pads,
                               ArrayRef<int64_t> dilations) {
  if ((int64_t)strides.size() != k || (int64_t)dilations.size() != k ||
      (int64_t)pads.size() != 2 * k)
    return emitOptionalError(loc, "expects ", k, " strides, ", k,
                             " dilations and ", 2 * k, " pads for ", k,
                             " spatial dims, got ", strides.size(), ", ",
                             dilations.size(), " and ", pads.size());
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }))
    return emitOptionalError(loc, "strides must be >= 1");
  if (llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return emitOptionalError(loc, "dilations must be >= 1");
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, "pads must be >= 0");
  return success();
}

/// An [N, C, D...] operand.
LogicalResult checkSpatial(std::optional<Location> loc, RankedTensorType in) {
  if (in.getRank() < 3)
    return emitOptionalError(
        loc, "input must be [N, C, D...] with rank >= 3, got rank ",
        in.getRank());
  return success();
}

} // namespace

namespace quantc::qc {
/// Output size of one windowed dim (dynamic stays dynamic); -1 if empty.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode) {
  if (ShapedType::isDynamic(in))
    return ShapedType::kDynamic;
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return -1;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // ONNX: the last window must start inside the input or its begin padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}
} // namespace quantc::qc

/// The result type of a windowed op (conv, pools): [N, channels, out...]
/// with the input's element type.
static FailureOr<RankedTensorType>
inferWindowed(std::optional<Location> loc, RankedTensorType in,
              ArrayRef<int64_t> kernel, int64_t channels,
              ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
              ArrayRef<int64_t> dilations, bool ceilMode) {
  int64_t k = in.getRank() - 2;
  if (failed(checkWindowAttrs(loc, k, strides, pads, dilations)))
    return failure();
  SmallVector<int64_t> out{in.getDimSize(0), channels};
  for (int64_t i = 0; i < k; ++i) {
    int64_t o = windowOutputSize(in.getDimSize(2 + i), kernel[i], strides[i],
                                 pads[i], pads[k + i], dilations[i], ceilMode);
    if (o == -1)
      return emitOptionalError(loc, "window of spatial dim ", i,
                               " is larger than the padded input");
    out.push_back(o);
  }
  return in.clone(out);
}

/// A `[m]` bias (or none).
static LogicalResult checkBias(std::optional<Location> loc, Value bias,
                               int64_t m) {
  if (!bias)
    return success();
  auto b = cast<RankedTensorType>(bias.getType());
  if (b.getRank() != 1 || !shapesCompatible(b.getShape(), {m}))
    return emitOptionalError(loc, "bias must be [", m, "], got ",
                             dimsStr(b.getShape()));
  return success();
}

/// The result shape of a convolution (qc.conv, qc.conv_integer): checks
/// input, weight, group and bias, then the window arithmetic.
static FailureOr<SmallVector<int64_t>>
inferConvShape(std::optional<Location> loc, Value input, Value weight,
               Value bias, int64_t g, ArrayRef<int64_t> strides,
               ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations) {
  auto in = cast<RankedTensorType>(input.getType());
  auto w = cast<RankedTensorType>(weight.getType());
  if (failed(checkSpatial(loc, in)))
    return failure();
  if (w.getRank() != in.getRank())
    return emitOptionalError(loc, "weight rank ", w.getRank(),
                             " differs from input rank ", in.getRank());
  if (g < 1)
    return emitOptionalError(loc, "group must be >= 1, got ", g);
  int64_t c = in.getDimSize(1), m = w.getDimSize(0), cg = w.getDimSize(1);
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(cg) && c != cg * g)
    return emitOptionalError(loc, "input channels ", c, " != weight channels ",
                             cg, " x group ", g);
  if (!ShapedType::isDynamic(m) && m % g != 0)
    return emitOptionalError(loc, "output channels ", m,
                             " are not divisible by group ", g);
  for (int64_t i = 2; i < w.getRank(); ++i)
    if (ShapedType::isDynamic(w.getDimSize(i)))
      return emitOptionalError(loc, "kernel spatial dims must be static");
  if (failed(checkBias(loc, bias, m)))
    return failure();
  FailureOr<RankedTensorType> out =
      inferWindowed(loc, in, w.getShape().drop_front(2), m, strides, pads,
                    dilations, false);
  if (failed(out))
    return failure();
  return SmallVector<int64_t>(out->getShape());
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  FailureOr<SmallVector<int64_t>> shape = inferConvShape(
      loc, adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
      adaptor.getGroup(), adaptor.getStrides(), adaptor.getPads(),
      adaptor.getDilations());
  if (failed(shape))
    return failure();
  inferred.push_back(
      cast<RankedTensorType>(adaptor.getInput().getType()).clone(*shape));
  return success();
}

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *ctx,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  FailureOr<SmallVector<int64_t>> shape = inferConvShape(
      loc, adaptor.getInput(), adaptor.getWeight(), Value(),
      adaptor.getGroup(), adaptor.getStrides(), adaptor.getPads(),
      adaptor.getDilations());
  if (failed(shape))
    return failure();
  inferred.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult ConvTransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto w = cast<RankedTensorType>(adaptor.getWeight().getType());
  if (failed(checkSpatial(loc, in)))
    return failure();
  if (w.getRank() != in.getRank())
    return emitOptionalError(loc, "weight rank ", w.getRank(),
                             " differs from input rank ", in.getRank());
  int64_t g = adaptor.getGroup(), k = in.getRank() - 2;
  if (g < 1)
    return emitOptionalError(loc, "group must be >= 1, got ", g);
  int64_t c = in.getDimSize(1), cw = w.getDimSize(0);
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(cw) && c != cw)
    return emitOptionalError(loc, "input channels ", c, " != weight dim 0 (",
                             cw, ")");
  if (!ShapedType::isDynamic(c) && c % g != 0)
    return emitOptionalError(loc, "input channels ", c,
                             " are not divisible by group ", g);
  for (int64_t i = 1; i < w.getRank(); ++i)
    if (ShapedType::isDynamic(w.getDimSize(i)))
      return emitOptionalError(loc,
                               "weight dims after the first must be static");
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dil = adaptor.getDilations(),
                    outPad = adaptor.getOutputPadding();
  if (failed(checkWindowAttrs(loc, k, strides, pads, dil)))
    return failure();
  if ((int64_t)outPad.size() != k)
    return emitOptionalError(loc, "expects ", k,
                             " output_padding values, got ", outPad.size());
  if (llvm::any_of(outPad, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, "output_padding must be >= 0");
  int64_t m = w.getDimSize(1) * g;
  if (failed(checkBias(loc, adaptor.getBias(), m)))
    return failure();
  SmallVector<int64_t> out{in.getDimSize(0), m};
  for (int64_t i = 0; i < k; ++i) {
    int64_t d = in.getDimSize(2 + i);
    int64_t o = ShapedType::isDynamic(d)
                    ? d
                    : strides[i] * (d - 1) + outPad[i] +
                          dil[i] * (w.getDimSize(2 + i) - 1) + 1 - pads[i] -
                          pads[k + i];
    if (o < 1 && !ShapedType::isDynamic(o))
      return emitOptionalError(loc, "output spatial dim ", i, " would be ", o);
    out.push_back(o);
  }
  inferred.push_back(in.clone(out));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(ConvTransposeOp)

/// A pool's result type (max_pool, avg_pool, max_pool_with_indices).
template <typename Adaptor>
static FailureOr<RankedTensorType> inferPool(std::optional<Location> loc,
                                             Adaptor adaptor) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkSpatial(loc, in)))
    return failure();
  int64_t k = in.getRank() - 2;
  ArrayRef<int64_t> kernel = adaptor.getKernelShape();
  if ((int64_t)kernel.size() != k)
    return emitOptionalError(loc, "expects ", k, " kernel_shape values, got ",
                             kernel.size());
  if (llvm::any_of(kernel, [](int64_t v) { return v < 1; }))
    return emitOptionalError(loc, "kernel_shape values must be >= 1");
  return inferWindowed(loc, in, kernel, in.getDimSize(1),
                       adaptor.getStrides(), adaptor.getPads(),
                       adaptor.getDilations(), adaptor.getCeilMode());
}

QC_INFER_RESULT_WITH(MaxPoolOp, inferPool)
QC_INFER_RESULT_WITH(AvgPoolOp, inferPool)

LogicalResult MaxPoolWithIndicesOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  int64_t order = adaptor.getStorageOrder();
  if (order != 0 && order != 1)
    return emitOptionalError(loc, "storage_order must be 0 (row-major) or 1 "
                                  "(column-major), got ",
                             order);
  FailureOr<RankedTensorType> out = inferPool(loc, adaptor);
  if (failed(out))
    return failure();
  inferred.push_back(*out);
  inferred.push_back(out->clone(IntegerType::get(ctx, 64)));
  return success();
}

/// [N, C, D...] -> [N, C, 1...].
template <typename Adaptor>
static FailureOr<RankedTensorType> inferGlobalPool(std::optional<Location> loc,
                                                   Adaptor adaptor) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (failed(checkSpatial(loc, in)))
    return failure();
  SmallVector<int64_t> out{in.getDimSize(0), in.getDimSize(1)};
  out.append(in.getRank() - 2, 1);
  return in.clone(out);
}
QC_INFER_RESULT_WITH(GlobalAvgPoolOp, inferGlobalPool)
QC_INFER_RESULT_WITH(GlobalMaxPoolOp, inferGlobalPool)

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() < 2)
    return emitOptionalError(
        loc, "input must be [N, C, ...] with rank >= 2, got rank ",
        in.getRank());
  int64_t c = in.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                  adaptor.getVar()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || !shapesCompatible(t.getShape(), {c}))
      return emitOptionalError(loc, "scale, bias, mean and var must be [", c,
                               "], got ", dimsStr(t.getShape()));
  }
  inferred.push_back(in);
  return success();
}

QC_COMPATIBLE_RESULT_TYPES(ConvOp)
QC_COMPATIBLE_RESULT_TYPES(ConvIntegerOp)
QC_COMPATIBLE_RESULT_TYPES(MaxPoolWithIndicesOp)
QC_COMPATIBLE_RESULT_TYPES(BatchNormOp)

LogicalResult ResizeOp::verify() {
  auto in = getInput().getType(), res = getResult().getType();
  int64_t rank = in.getRank();
  if (res.getRank() != rank)
    return emitOpError("result rank differs from input rank");
  bool runtime = getScalesInput() || getSizes();
  if (getScalesInput() && getSizes())
    return emitOpError("takes a scales operand or a sizes operand, not both");
  if (runtime && !getScales().empty())
    return emitOpError("the scales attribute must be empty when a scales or "
                       "sizes operand is given");
  if (!runtime && (int64_t)getScales().size() != rank)
    return emitOpError("expects ") << rank << " scales, got "
                                   << getScales().size();
  for (float s : getScales())
    if (!(s > 0.0f))
      return emitOpError("scales must be > 0");
  // The dims the operands describe (N13).
  SmallVector<int64_t> axes;
  if (std::optional<ArrayRef<int64_t>> a = getAxes()) {
    for (int64_t x : *a) {
      if (x < 0 || x >= rank || (!axes.empty() && x <= axes.back()))
        return emitOpError("axes must be sorted, distinct and in [0, ")
               << rank << "), got " << dimsStr(*a);
      axes.push_back(x);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  int64_t n = axes.size();
  auto len = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getDimSize(0);
  };
  for (Value v : {getScalesInput(), getSizes()})
    if (v && !ShapedType::isDynamic(len(v)) && len(v) != n)
      return emitOpError("the scales/sizes operand must have ")
             << n << " values (one per axis), got " << len(v);
  if (runtime)
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d) &&
          !shapesCompatible({in.getDimSize(d)}, {res.getDimSize(d)}))
        return emitOpError("dim ")
               << d << " is not resized but the result has "
               << dimsStr(res.getShape()) << " for input "
               << dimsStr(in.getShape());
  bool crop = getCoordinateTransformationMode() ==
              CoordinateTransformation::tf_crop_and_resize;
  if (crop != bool(getRoi()))
    return emitOpError("a roi operand is needed with, and only with, "
                       "tf_crop_and_resize");
  if (getRoi() && !ShapedType::isDynamic(len(getRoi())) &&
      len(getRoi()) != 2 * n)
    return emitOpError("roi must have ")
           << 2 * n << " values (starts then ends), got " << len(getRoi());
  AspectRatioPolicy policy = getKeepAspectRatioPolicy();
  if (policy != AspectRatioPolicy::stretch && !getSizes())
    return emitOpError("keep_aspect_ratio_policy '")
           << stringifyAspectRatioPolicy(policy) << "' needs a sizes operand";
  return success();
}

//===----------------------------------------------------------------------===//
// Integer ops
//===----------------------------------------------------------------------===//

static bool isInt8(Type t) { return t.isInteger(8); }

LogicalResult MatMulIntegerOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  FailureOr<SmallVector<int64_t>> out = inferMatMulShape(
      loc, cast<RankedTensorType>(adaptor.getLhs().getType()).getShape(),
      cast<RankedTensorType>(adaptor.getRhs().getType()).getShape());
  if (failed(out))
    return failure();
  inferred.push_back(RankedTensorType::get(*out, IntegerType::get(ctx, 32)));
  return success();
}
QC_COMPATIBLE_RESULT_TYPES(MatMulIntegerOp)

LogicalResult MatMulIntegerOp::verify() {
  auto l = getLhs().getType(), r = getRhs().getType();
  if (!isInt8(l.getElementType()) || !isInt8(r.getElementType()))
    return emitOpError("operands must be i8 or ui8");
  if (getLhsZero().getType().getElementType() != l.getElementType() ||
      getRhsZero().getType().getElementType() != r.getElementType())
    return emitOpError("zero points must have their operand's element type");
  auto lz = getLhsZero().getType(), rz = getRhsZero().getType();
  if (lz.getNumElements() != 1 &&
      !(lz.getRank() == 1 && shapesCompatible(lz.getShape(),
                                        {l.getShape()[l.getRank() - 2]})))
    return emitOpError("lhs zero point must be a scalar or one per row");
  if (rz.getNumElements() != 1 &&
      !(rz.getRank() == 1 && shapesCompatible(rz.getShape(), {r.getShape().back()})))
    return emitOpError("rhs zero point must be a scalar or one per column");
  return success();
}

LogicalResult ConvIntegerOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  if (!isInt8(in.getElementType()) || !isInt8(w.getElementType()))
    return emitOpError("operands must be i8 or ui8");
  if (getInputZero().getType().getElementType() != in.getElementType() ||
      getWeightZero().getType().getElementType() != w.getElementType())
    return emitOpError("zero points must have their operand's element type");
  int64_t m = w.getDimSize(0);
  if (getInputZero().getType().getNumElements() != 1)
    return emitOpError("input zero point must be a scalar");
  auto wz = getWeightZero().getType();
  if (wz.getNumElements() != 1 &&
      !(wz.getRank() == 1 && shapesCompatible(wz.getShape(), {m})))
    return emitOpError("weight zero point must be a scalar or one per output "
                       "channel");
  return success();
}

LogicalResult RequantizeLinearOp::verify() {
  auto in = getInput().getType(), res = getResult().getType();
  if (!in.getElementType().isInteger(32))
    return emitOpError("input must be i32");
  if (!isInt8(res.getElementType()))
    return emitOpError("result must be i8 or ui8");
  if (getZero().getType().getElementType() != res.getElementType() ||
      getZero().getType().getNumElements() != 1)
    return emitOpError("zero point must be a scalar of the result type");
  if (!shapesCompatible(in.getShape(), res.getShape()))
    return emitOpError("result shape must equal the input shape");
  auto s = getScale().getType();
  int64_t axis = getAxis();
  if (s.getNumElements() != 1) {
    if (s.getRank() != 1 || axis < 0 || axis >= in.getRank() ||
        !shapesCompatible(s.getShape(), {in.getDimSize(axis)}))
      return emitOpError("scale must be a scalar or one per element of dim "
                         "'axis'");
  }
  if (getBias()) {
    auto b = cast<RankedTensorType>(getBias().getType());
    if (!b.getElementType().isInteger(32) || b.getRank() != 1 || axis < 0 ||
        axis >= in.getRank() || !shapesCompatible(b.getShape(), {in.getDimSize(axis)}))
      return emitOpError("bias must be i32 with one value per element of dim "
                         "'axis'");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent ops (N16)
//===----------------------------------------------------------------------===//

namespace {
/// Whether a static `got` contradicts `want` (either may be dynamic).
bool dimClash(int64_t got, int64_t want) {
  return !ShapedType::isDynamic(got) && !ShapedType::isDynamic(want) &&
         got != want;
}

/// Checks that `v` (if present) has shape `want` (dynamic entries match
/// anything); `what` names it.
LogicalResult checkRnnOperand(std::optional<Location> loc, Value v,
                              ArrayRef<int64_t> want, StringRef what) {
  if (!v)
    return success();
  auto t = cast<RankedTensorType>(v.getType());
  bool ok = t.getRank() == (int64_t)want.size();
  for (int64_t d = 0; ok && d < t.getRank(); ++d)
    ok = !dimClash(t.getDimSize(d), want[d]);
  if (!ok)
    return emitOptionalError(loc, what, " has shape ", dimsStr(t.getShape()),
                             ", expected ", dimsStr(want));
  return success();
}
} // namespace

namespace {
/// The shapes every recurrent op shares (N16): x `[seq, batch, input]`,
/// w `[D, gates H, input]`, r `[D, gates H, H]`, b `[D, 2 gates H]`,
/// sequence_lens `[batch]`, initial_h `[D, batch, H]`; `results` results,
/// y `[seq, D, batch, H]` then `[D, batch, H]` each.
template <typename Adaptor>
LogicalResult inferRecurrent(std::optional<Location> loc, Adaptor a,
                             int64_t gates, int results,
                             SmallVectorImpl<Type> &inferred) {
  auto x = cast<RankedTensorType>(a.getX().getType());
  int64_t h = a.getHiddenSize();
  int64_t dirs = a.getDirection() == RnnDirection::bidirectional ? 2 : 1;
  if (h < 1)
    return emitOptionalError(loc, "hidden_size must be >= 1, got ", h);
  if (x.getRank() != 3)
    return emitOptionalError(loc, "x must be [seq, batch, input], got ",
                             dimsStr(x.getShape()));
  int64_t seq = x.getDimSize(0), batch = x.getDimSize(1),
          in = x.getDimSize(2);
  if (failed(checkRnnOperand(loc, a.getW(), {dirs, gates * h, in}, "w")) ||
      failed(checkRnnOperand(loc, a.getR(), {dirs, gates * h, h}, "r")) ||
      failed(checkRnnOperand(loc, a.getB(), {dirs, 2 * gates * h}, "b")) ||
      failed(checkRnnOperand(loc, a.getSequenceLens(), {batch},
                             "sequence_lens")) ||
      failed(checkRnnOperand(loc, a.getInitialH(), {dirs, batch, h},
                             "initial_h")))
    return failure();
  Type et = x.getElementType();
  inferred.push_back(RankedTensorType::get({seq, dirs, batch, h}, et));
  for (int i = 1; i < results; ++i)
    inferred.push_back(RankedTensorType::get({dirs, batch, h}, et));
  return success();
}

/// The attributes every recurrent op shares: `perDir` activations per
/// direction, one alpha and beta each, a positive clip, w and r of x's
/// element type.
template <typename Op>
LogicalResult verifyRecurrent(Op op, int64_t perDir) {
  int64_t dirs = op.getDirection() == RnnDirection::bidirectional ? 2 : 1;
  size_t n = op.getActivations().size();
  if ((int64_t)n != perDir * dirs)
    return op.emitOpError("expects ")
           << perDir * dirs << " activations (" << perDir
           << " per direction), got " << n;
  if (op.getActivationAlpha().size() != n ||
      op.getActivationBeta().size() != n)
    return op.emitOpError("expects one activation_alpha and one "
                          "activation_beta per activation (")
           << n << "), got " << op.getActivationAlpha().size() << " and "
           << op.getActivationBeta().size();
  if (std::optional<APFloat> c = op.getClip();
      c && !(c->convertToFloat() > 0.0f))
    return op.emitOpError("clip must be > 0, got ") << c->convertToFloat();
  for (Value v : {op.getW(), op.getR()})
    if (cast<RankedTensorType>(v.getType()).getElementType() !=
        op.getX().getType().getElementType())
      return op.emitOpError("w and r must have x's element type");
  return success();
}
} // namespace

LogicalResult LstmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  if (failed(inferRecurrent(loc, adaptor, 4, 3, inferred)))
    return failure();
  auto x = cast<RankedTensorType>(adaptor.getX().getType());
  int64_t h = adaptor.getHiddenSize(), batch = x.getDimSize(1);
  int64_t dirs = adaptor.getDirection() == RnnDirection::bidirectional ? 2 : 1;
  return success(
      succeeded(checkRnnOperand(loc, adaptor.getInitialC(), {dirs, batch, h},
                                "initial_c")) &&
      succeeded(checkRnnOperand(loc, adaptor.getP(), {dirs, 3 * h}, "p")));
}
QC_COMPATIBLE_RESULT_TYPES(LstmOp)

LogicalResult LstmOp::verify() { return verifyRecurrent(*this, 3); }

LogicalResult GruOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferRecurrent(loc, adaptor, 3, 2, inferred);
}
QC_COMPATIBLE_RESULT_TYPES(GruOp)

LogicalResult GruOp::verify() { return verifyRecurrent(*this, 2); }

LogicalResult RnnOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  return inferRecurrent(loc, adaptor, 1, 2, inferred);
}
QC_COMPATIBLE_RESULT_TYPES(RnnOp)

LogicalResult RnnOp::verify() { return verifyRecurrent(*this, 1); }

//===----------------------------------------------------------------------===//
// NonMaxSuppression (N17)
//===----------------------------------------------------------------------===//

LogicalResult NonMaxSuppressionOp::verify() {
  auto bt = cast<RankedTensorType>(getBoxes().getType());
  auto st = cast<RankedTensorType>(getScores().getType());
  if (bt.getRank() != 3 || !dimsCompatible(bt.getDimSize(2), 4))
    return emitOpError("boxes must be [batch, boxes, 4], got ")
           << bt;
  if (st.getRank() != 3)
    return emitOpError("scores must be [batch, classes, boxes], got ") << st;
  if (!dimsCompatible(bt.getDimSize(0), st.getDimSize(0)) ||
      !dimsCompatible(bt.getDimSize(1), st.getDimSize(2)))
    return emitOpError("boxes ")
           << bt << " and scores " << st
           << " differ in the batch or the number of boxes";
  for (Value v : {getMaxOutputBoxesPerClass(), getIouThreshold(),
                  getScoreThreshold()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() > 1 || (t.hasStaticShape() && t.getNumElements() != 1))
      return emitOpError("its parameters must hold one element each, got ")
             << t;
  }
  auto rt = cast<RankedTensorType>(getSelected().getType());
  if (!dimsCompatible(rt.getDimSize(1), 3))
    return emitOpError("the result must be [n, 3], got ") << rt;
  return success();
}
