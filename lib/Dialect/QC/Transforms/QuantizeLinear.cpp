//===- QuantizeLinear.cpp - static scales in QDQ form ---------------------===//
//
// Weights: symmetric codes (constants), one scale per output channel or per
// block of 128 along the reduction axis (int4-g128), behind a
// qc.dequantize_linear. Activations: qc.quantize_linear + qc.dequantize_linear
// with one static scale from the calibrated range. The codecs are the
// Numerics library's (Formats.md F21-F30).
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Numerics/Gptq.h"
#include "quantc/Numerics/Linear.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quantc::qc {
#define GEN_PASS_DEF_QCQUANTIZELINEAR
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
namespace nx = quantc::numerics;

namespace {
/// What a format name means here.
struct LinearFormat {
  Type weightType, actType;           // code element types
  nx::ElemFormat weightElem, actElem; // their Numerics formats
  int64_t weightBlock;                // 0: one scale per output channel
  bool activations;                   // false: weight-only (W8A16, W4A16)
  bool asymmetric;                    // int8 activations with a zero point
  bool dynamic = false; // per-token scales computed at run time (F31)
  // fp8-1x128 (DeepSeek-V3): weight scales per weightBlock x weightBlock
  // block of [K, N] (F27), activation scales per 1 x actBlock block along K
  // computed at run time; matmuls with constant weights only.
  bool blocks2D = false;
  int64_t actBlock = 0;
  // bf16: weights and activations rounded to bf16 (F2) and computed in
  // f32, no scales: qc.cast instead of quantize_linear.
  bool castOnly = false;
  // nvfp4 (F28): E2M1 codes, UE4M3 scales per 16 along K times an f32
  // tensor scale; weights at compile time, activation block scales at run
  // time under a tensor scale from calibration. Matmuls only.
  bool nvfp4 = false;
  // mxfp8/mxfp6/mxfp4 weights only (a qc-assign-precision candidate): OCP
  // MX blocks of 32 along K with power-of-two (E8M0) scales (F12), held as
  // f32 scales of a blocked dequantize_linear. Matmuls only.
  bool mx = false;
  /// Formats of linear layers: matmuls with a constant weight only.
  bool matmulOnly() const { return blocks2D || nvfp4 || mx; }
  // Weights by GPTQ (F32) where a matmul has qc.lhs_hessian.
  bool gptq = false;
  double gptqDamp = 0.01;
  // LLM.int8()-style outliers (O1): input channels whose calibrated
  // magnitude exceeds this stay in a float side product; 0: off.
  double outlierThreshold = 0;
  // Static activation scales per input channel of depthwise convs (Q4).
  bool depthwiseChannels = true;
  // B1: the weights' rounding error's mean effect taken out of the bias.
  bool biasCorrection = false;
};

/// Checks the options; emits the error at `loc` when `loc` is given.
std::optional<LinearFormat> getLinearFormat(MLIRContext *ctx, StringRef name,
                                            bool asymmetric,
                                            StringRef activations,
                                            StringRef weightMethod,
                                            double gptqDamp,
                                            std::optional<Location> loc) {
  auto fail = [&](const Twine &msg) -> std::optional<LinearFormat> {
    if (loc)
      emitError(*loc) << "qc-quantize-linear: " << msg;
    return std::nullopt;
  };
  LinearFormat f;
  Type i8 = IntegerType::get(ctx, 8), e4m3 = Float8E4M3FNType::get(ctx);
  if (name == "int8")
    f = {i8,   i8,        nx::ElemFormat::INT8, nx::ElemFormat::INT8, 0,
         true, asymmetric};
  else if (name == "fp8")
    f = {e4m3, e4m3, nx::ElemFormat::E4M3FN, nx::ElemFormat::E4M3FN, 0,
         true, false};
  else if (name == "fp8-1x128") {
    f = {e4m3, e4m3, nx::ElemFormat::E4M3FN, nx::ElemFormat::E4M3FN, 128,
         true, false};
    f.blocks2D = true;
    f.dynamic = true;
    f.actBlock = 128;
  } else if (name == "nvfp4") {
    Type e2m1 = Float4E2M1FNType::get(ctx);
    f = {e2m1, e2m1, nx::ElemFormat::E2M1FN, nx::ElemFormat::E2M1FN, 16, true,
         false};
    f.nvfp4 = true;
  } else if (name == "bf16") {
    Type bf16 = BFloat16Type::get(ctx);
    f = {bf16, bf16, nx::ElemFormat::BF16, nx::ElemFormat::BF16, 0, true,
         false};
    f.castOnly = true;
  } else if (name == "int4-g128")
    f = {IntegerType::get(ctx, 4),
         Type(),
         nx::ElemFormat::INT4,
         nx::ElemFormat::INT4,
         128,
         false,
         false};
  else if (name == "mxfp8" || name == "mxfp6" || name == "mxfp4") {
    if (activations != "none")
      return fail("format '" + name +
                  "' through qc-quantize-linear quantizes weights only (a "
                  "mixed-precision candidate): use activations=none; "
                  "--format " + name + " quantizes with qc-quantize-matmuls");
    Type t = name == "mxfp8"   ? Type(Float8E4M3FNType::get(ctx))
             : name == "mxfp6" ? Type(Float6E2M3FNType::get(ctx))
                               : Type(Float4E2M1FNType::get(ctx));
    nx::ElemFormat e = name == "mxfp8"   ? nx::ElemFormat::E4M3FN
                       : name == "mxfp6" ? nx::ElemFormat::E2M3FN
                                         : nx::ElemFormat::E2M1FN;
    f = {t, Type(), e, e, 32, false, false};
    f.mx = true;
  } else
    return fail("format '" + name +
                "' is not supported; supported: int8, fp8, fp8-1x128, "
                "int4-g128, nvfp4, bf16 (and, weight-only, mxfp8, mxfp6, "
                "mxfp4)");
  assert((f.mx || isQuantizeLinearFormat(name)) &&
         "the two format lists agree");
  if (activations == "none") {
    f.activations = false;
    f.dynamic = false;
  } else if (activations == "static") {
    if (f.blocks2D)
      return fail("format '" + name +
                  "' scales activations per 1x128 block at run time: use "
                  "activations=dynamic (its default) or none");
    if (!f.actType)
      return fail("format '" + name +
                  "' quantizes weights only (W4A16): use activations=none");
  } else if (f.nvfp4 && !activations.empty()) {
    return fail("format '" + name +
                "' takes activation block scales at run time under a "
                "calibrated tensor scale: leave activations unset, or "
                "activations=none");
  } else if (f.castOnly && !activations.empty()) {
    return fail("format '" + name +
                "' has no scales: activations are rounded to it unless "
                "activations=none");
  } else if (activations == "dynamic") {
    if (!f.actType)
      return fail("format '" + name +
                  "' quantizes weights only (W4A16): use activations=none");
    f.dynamic = true;
  } else if (!activations.empty()) {
    return fail("activations must be static, dynamic or none, got '" +
                activations + "'");
  }
  if (weightMethod == "gptq") {
    if (f.castOnly || f.nvfp4 || f.blocks2D || f.mx)
      return fail("weight-method=gptq applies to int8, fp8 and int4-g128, "
                  "not '" + name + "'");
    if (!(gptqDamp >= 0 && gptqDamp <= 1))
      return fail("gptq-damp must be in [0, 1], got " +
                  llvm::formatv("{0}", gptqDamp).str());
    f.gptq = true;
    f.gptqDamp = gptqDamp;
  } else if (weightMethod != "rtn") {
    return fail("weight-method must be rtn or gptq, got '" + weightMethod +
                "'");
  }
  return f;
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

Value f32Constant(OpBuilder &rewriter, Location loc,
                  ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, rewriter.getF32Type());
  return arith::ConstantOp::create(rewriter, loc, type,
                                   DenseElementsAttr::get(type, values));
}

/// ||back - x|| / ||x|| (0 for an all-zero x): the report's weight error.
double relRmsError(ArrayRef<float> x, ArrayRef<float> back) {
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    num += double(back[i] - x[i]) * (back[i] - x[i]);
    den += double(x[i]) * x[i];
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

/// A weight quantized symmetrically, one scale per index of `channelAxis`
/// or per block of `fmt.weightBlock` along `reduceAxis`, computed before any
/// IR is built.
/// A row-major [k, n] matrix as [n, k] (the codecs block along rows).
std::vector<float> transposed(ArrayRef<float> x, int64_t k, int64_t n) {
  std::vector<float> t(x.size());
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      t[j * k + i] = x[i * n + j];
  return t;
}

struct WeightCodes {
  RankedTensorType type;
  nx::LinearLayout layout;
  SmallVector<int64_t> scaleShape;
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  double relErr = 0;
  bool gptq = false;     // codes from GPTQ (else round to nearest)
  bool rounded = false;  // codes already computed (GPTQ, MX)
  std::vector<float> delta; // dequantized - float weights (B1 only)
};

FailureOr<WeightCodes> computeWeight(Operation *op, Value weight,
                                     int64_t channelAxis, int64_t reduceAxis,
                                     const LinearFormat &fmt) {
  ElementsAttr w;
  if (!matchPattern(weight, m_Constant(&w)) || !isTensorConstant(w))
    return failure();
  WeightCodes r;
  r.type = cast<RankedTensorType>(w.getType());
  if (!r.type.getElementType().isF32() || !r.type.hasStaticShape() ||
      std::max(channelAxis, reduceAxis) >= r.type.getRank())
    return failure();
  std::vector<float> x;
  if (failed(getConstantFloats(w, x)))
    return failure();
  ArrayRef<int64_t> shape = r.type.getShape();
  if (fmt.blocks2D) {
    // [K, N] in blocks of b x b (F27), each scale repeated over the b
    // columns of its block: a blocked layout along K with [ceil(K/b), N]
    // scales, which is what ONNX's blocked DequantizeLinear reads.
    if (r.type.getRank() != 2 || reduceAxis != 0)
      return failure();
    int64_t b = fmt.weightBlock, k = shape[0], n = shape[1];
    int64_t kb = llvm::divideCeil(k, b), nb = llvm::divideCeil(n, b);
    std::vector<float> s2(kb * nb);
    if (llvm::Error e = nx::absmaxScales2D(x.data(), k, n, b, b,
                                           fmt.weightElem, s2.data())) {
      op->emitRemark("weight left in float: ") << llvm::toString(std::move(e));
      return failure();
    }
    r.layout = {nx::Granularity::Blocked, 0, b};
    r.scaleShape = {kb, n};
    r.scales.resize(kb * n);
    for (int64_t i = 0; i < kb; ++i)
      for (int64_t j = 0; j < n; ++j)
        r.scales[i * n + j] = s2[i * nb + j / b];
  } else if (fmt.mx) {
    // [K, N] in OCP MX blocks of 32 along K: quantizeMX on the transpose
    // (it blocks along rows), its E8M0 scales as the f32 powers of two
    // they are.
    if (r.type.getRank() != 2 || reduceAxis != 0)
      return failure();
    int64_t b = fmt.weightBlock, k = shape[0], n = shape[1];
    int64_t kb = llvm::divideCeil(k, b);
    std::vector<float> xt = transposed(x, k, n);
    std::vector<uint8_t> ct(x.size()), st(n * kb);
    nx::quantizeMX(xt.data(), n, k, b, fmt.weightElem, nx::MXScaleMode::Floor,
                   ct.data(), st.data());
    r.layout = {nx::Granularity::Blocked, 0, b};
    r.scaleShape = {kb, n};
    r.scales.resize(kb * n);
    r.codes.resize(x.size());
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t q = 0; q < kb; ++q)
        r.scales[q * n + j] = nx::decodeE8M0(st[j * kb + q]);
      for (int64_t i = 0; i < k; ++i)
        r.codes[i * n + j] = ct[j * k + i];
    }
    if (llvm::any_of(r.scales, [](float s) { return !(s > 0); })) {
      op->emitRemark("weight left in float: a block has no finite MX scale");
      return failure();
    }
    r.rounded = true;
  } else if (fmt.weightBlock) {
    r.layout = {nx::Granularity::Blocked, reduceAxis, fmt.weightBlock};
    r.scaleShape.assign(shape.begin(), shape.end());
    r.scaleShape[reduceAxis] =
        llvm::divideCeil(shape[reduceAxis], fmt.weightBlock);
  } else {
    r.layout = {nx::Granularity::PerAxis, channelAxis, 0};
    r.scaleShape = {shape[channelAxis]};
  }
  int64_t ns = 1;
  for (int64_t d : r.scaleShape)
    ns *= d;
  r.scales.resize(ns);
  r.codes.resize(x.size());
  if (!r.rounded) { // (MX codes and scales were set above)
    auto hessian = op->getAttrOfType<DenseF32ResourceElementsAttr>(
        "qc.lhs_hessian");
    std::optional<ArrayRef<float>> h;
    if (fmt.gptq && isa<MatMulOp>(op) && hessian &&
        hessian.getType().getShape() == ArrayRef<int64_t>{shape[0], shape[0]})
      h = hessian.tryGetAsArrayRef();
    if (fmt.gptq && !h)
      op->emitRemark("weight rounded to nearest: GPTQ needs the matmul's "
                     "qc.lhs_hessian (qc-calibrate{hessian=true})");
    if (h) {
      nx::GptqOptions go;
      go.damp = fmt.gptqDamp;
      if (llvm::Error e = nx::gptqQuantize(x.data(), h->data(), shape[0],
                                           shape[1], r.layout, fmt.weightElem,
                                           go, r.scales.data(),
                                           r.codes.data())) {
        op->emitRemark("weight left in float: ")
            << llvm::toString(std::move(e));
        return failure();
      }
      r.gptq = r.rounded = true;
    } else if (fmt.blocks2D) {
      // Scales computed above.
    } else if (llvm::Error e = nx::computeLinearParams(
                   x.data(), shape, r.layout, fmt.weightElem, false,
                   r.scales.data(), nullptr)) {
      op->emitRemark("weight left in float: ")
          << llvm::toString(std::move(e));
      return failure();
    }
  }
  std::vector<float> back(x.size());
  if (!r.rounded)
    llvm::cantFail(nx::quantizeLinear(x.data(), shape, r.scales.data(),
                                      nullptr, r.layout, fmt.weightElem, true,
                                      r.codes.data()));
  llvm::cantFail(nx::dequantizeLinear(r.codes.data(), shape, r.scales.data(),
                                      nullptr, r.layout, fmt.weightElem,
                                      back.data()));
  r.relErr = relRmsError(x, back);
  if (fmt.biasCorrection) {
    r.delta.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      r.delta[i] = back[i] - x[i];
  }
  return r;
}

/// B1: E[y_q - y] per output channel for inputs of the calibrated channel
/// means, sum_c mean[c] * (W_q - W)[c -> o]: of a matmul's (or qmatmul's)
/// [K, N] weight, or of a conv's [M, C/g, k...] over its taps (borders'
/// zero padding ignored). None without qc.lhs_channel_mean of the right
/// size.
std::optional<std::vector<double>> biasShift(Operation *op,
                                             ArrayRef<float> delta,
                                             ArrayRef<int64_t> shape) {
  auto mean = op->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_mean");
  if (!mean || delta.empty())
    return std::nullopt;
  auto conv = dyn_cast<ConvOp>(op);
  if (!conv) {
    int64_t k = shape[0], n = shape[1];
    if (int64_t(mean.size()) != k)
      return std::nullopt;
    std::vector<double> shift(n, 0.0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        shift[j] += double(mean[i]) * delta[i * n + j];
    return shift;
  }
  int64_t m = shape[0], cg = shape[1], g = conv.getGroup();
  int64_t taps = 1;
  for (int64_t d : shape.drop_front(2))
    taps *= d;
  if (g <= 0 || m % g || int64_t(mean.size()) != cg * g)
    return std::nullopt;
  std::vector<double> shift(m, 0.0);
  for (int64_t o = 0; o < m; ++o) {
    int64_t first = (o / (m / g)) * cg; // the group's first input channel
    for (int64_t c = 0; c < cg; ++c) {
      double s = 0;
      for (int64_t t = 0; t < taps; ++t)
        s += delta[(o * cg + c) * taps + t];
      shift[o] += double(mean[first + c]) * s;
    }
  }
  return shift;
}

/// B1 after a matmul whose result's last axis has shift.size() values: the
/// bias of the one qc.add that reads the result (its other operand a
/// constant of those N values) becomes bias - shift; otherwise
/// qc.add(result, -shift) goes right after `op`.
void subtractMatmulBiasShift(RewriterBase &rewriter, Operation *op,
                             ArrayRef<double> shift) {
  Location loc = op->getLoc();
  Value r = op->getResult(0);
  int64_t n = int64_t(shift.size());
  // The matmul's own bias (an ONNX Gemm's C, or MatMul + Add): one add
  // that reads the result and a constant of the N output values.
  if (r.hasOneUse())
    if (auto add = dyn_cast<AddOp>(*r.getUsers().begin())) {
      unsigned other = add.getLhs() == r ? 1 : 0;
      Value bias = add->getOperand(other);
      auto type = dyn_cast<RankedTensorType>(bias.getType());
      ElementsAttr a;
      std::vector<float> v;
      if (add->getOperand(1 - other) == r && type && type.getRank() >= 1 &&
          type.getShape().back() == n && type.getNumElements() == n &&
          type.getElementType().isF32() && matchPattern(bias, m_Constant(&a)) &&
          succeeded(getConstantFloats(a, v)) && int64_t(v.size()) == n) {
        for (int64_t i = 0; i < n; ++i)
          v[i] = float(double(v[i]) - shift[i]);
        rewriter.setInsertionPoint(add);
        Value nb = f32Constant(rewriter, loc, type.getShape(), v);
        rewriter.modifyOpInPlace(add, [&] { add->setOperand(other, nb); });
        return;
      }
    }
  std::vector<float> b(n);
  for (int64_t i = 0; i < n; ++i)
    b[i] = float(-shift[i]);
  rewriter.setInsertionPointAfter(op);
  Value c = f32Constant(rewriter, loc, {n}, b);
  auto add = AddOp::create(rewriter, loc, r.getType(), r, c);
  rewriter.replaceAllUsesExcept(r, add.getResult(), add);
}

/// B1 applied: a conv's bias becomes bias - shift (a new bias when it had
/// none); a matmul's own bias absorbs it, or it gets qc.add(result, -shift)
/// after it (subtractMatmulBiasShift). False (a remark) where the conv's
/// bias is not a constant.
bool correctBias(RewriterBase &rewriter, Operation *op,
                 ArrayRef<double> shift) {
  Location loc = op->getLoc();
  int64_t n = int64_t(shift.size());
  std::vector<float> b(n, 0.0f);
  if (auto conv = dyn_cast<ConvOp>(op)) {
    if (Value bias = conv.getBias()) {
      ElementsAttr a;
      std::vector<float> v;
      if (!matchPattern(bias, m_Constant(&a)) ||
          failed(getConstantFloats(a, v)) || int64_t(v.size()) != n) {
        op->emitRemark("bias not corrected: the conv's bias is not a "
                       "constant of its output channels");
        return false;
      }
      b = v;
    }
    for (int64_t i = 0; i < n; ++i)
      b[i] = float(double(b[i]) - shift[i]);
    rewriter.setInsertionPoint(op);
    Value nb = f32Constant(rewriter, loc, {n}, b);
    rewriter.modifyOpInPlace(op, [&] {
      if (conv.getBias())
        op->setOperand(2, nb);
      else
        op->insertOperands(2, nb);
    });
    return true;
  }
  subtractMatmulBiasShift(rewriter, op, shift);
  return true;
}

/// The static scale and zero point of activation operand `i` from its
/// calibrated range (F30): qc.{lhs,rhs}_range, else qc.{lhs,rhs}_stats.
struct ActivationParams {
  float scale;
  uint8_t zeroPoint;
};

FailureOr<ActivationParams> computeActivation(Operation *op, unsigned i,
                                              const LinearFormat &fmt) {
  StringRef side = i == 0 ? "lhs" : "rhs";
  auto range = op->getAttrOfType<StatsAttr>(("qc." + side + "_range").str());
  if (!range)
    range = op->getAttrOfType<StatsAttr>(("qc." + side + "_stats").str());
  auto type = dyn_cast<RankedTensorType>(op->getOperand(i).getType());
  if (!range || !type || !type.getElementType().isF32())
    return failure();
  ActivationParams p;
  if (llvm::Error e = nx::linearParamsFromRange(
          range.getMin().getValueAsDouble(), range.getMax().getValueAsDouble(),
          fmt.actElem, fmt.asymmetric, p.scale, p.zeroPoint)) {
    op->emitRemark("activation left in float: ")
        << llvm::toString(std::move(e));
    return failure();
  }
  return p;
}

/// Q4: the static scales per input channel of a depthwise conv's input,
/// from its channel ranges clipped to the tensor's calibrated range (what
/// the calibration method chose for the whole tensor bounds every channel).
/// None when the op is not a depthwise conv with channel statistics.
struct ChannelParams {
  std::vector<float> scales;
  std::vector<uint8_t> zeroPoints;
};

std::optional<ChannelParams> computeChannelActivation(Operation *op,
                                                      const LinearFormat &fmt) {
  auto conv = dyn_cast<ConvOp>(op);
  if (!fmt.depthwiseChannels || !conv || !conv.isDepthwise())
    return std::nullopt;
  auto lo = op->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_min");
  auto hi = op->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_max");
  auto range = op->getAttrOfType<StatsAttr>("qc.lhs_range");
  if (!range)
    range = op->getAttrOfType<StatsAttr>("qc.lhs_stats");
  int64_t c =
      cast<RankedTensorType>(conv.getInput().getType()).getDimSize(1);
  if (!lo || !hi || !range || int64_t(lo.size()) != c ||
      int64_t(hi.size()) != c)
    return std::nullopt;
  float tlo = float(range.getMin().getValueAsDouble()),
        thi = float(range.getMax().getValueAsDouble());
  if (!(tlo <= thi))
    return std::nullopt;
  ChannelParams p;
  p.scales.resize(c);
  p.zeroPoints.resize(c);
  for (int64_t j = 0; j < c; ++j) {
    float l = std::clamp(lo[j], tlo, thi), h = std::clamp(hi[j], tlo, thi);
    if (llvm::Error e = nx::linearParamsFromRange(
            l, std::max(l, h), fmt.actElem, fmt.asymmetric, p.scales[j],
            p.zeroPoints[j])) {
      op->emitRemark("activation scales per tensor, not per channel: "
                     "channel ")
          << j << ": " << llvm::toString(std::move(e));
      return std::nullopt; // the tensor's one scale instead
    }
  }
  return p;
}

/// Integer codes carry explicit zero points (0 for symmetric scales), as
/// ONNX Runtime's quantizer writes them: its QDQ fusions (QGemm,
/// QLinearConv) require a zero point shaped like the scale.
Value zeroPoints(PatternRewriter &rewriter, Location loc, Type codeType,
                 ArrayRef<int64_t> shape, uint8_t value) {
  if (!isa<IntegerType>(codeType))
    return Value();
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return bytesConstant(rewriter, loc, RankedTensorType::get(shape, codeType),
                       std::vector<uint8_t>(n, value));
}

/// quantize_linear -> dequantize_linear of `x` with the constant scale `s`
/// and zero point `z` (null for float codes) along axis 1 when per axis.
Value quantizeDequantize(PatternRewriter &rewriter, Location loc, Value x,
                         Value s, Value z, const LinearFormat &fmt,
                         Attribute inputStats) {
  auto xTy = cast<RankedTensorType>(x.getType());
  auto q = QuantizeLinearOp::create(
      rewriter, loc, RankedTensorType::get(xTy.getShape(), fmt.actType), x, s,
      z, 1, 0, true);
  if (inputStats)
    q->setAttr("qc.input_stats", inputStats);
  return DequantizeLinearOp::create(rewriter, loc, xTy, q.getResult(), s, z, 1,
                                    0);
}

/// quantize_linear -> dequantize_linear of `x` with one static scale.
Value fakeQuantize(PatternRewriter &rewriter, Location loc, Value x,
                   const ActivationParams &a, const LinearFormat &fmt,
                   Attribute inputStats) {
  // In this order (arguments are evaluated in any order): the IR is the
  // same from every compiler.
  Value s = f32Constant(rewriter, loc, {}, {a.scale});
  Value z = zeroPoints(rewriter, loc, fmt.actType, {}, a.zeroPoint);
  return quantizeDequantize(rewriter, loc, x, s, z, fmt, inputStats);
}

/// The same with one scale per channel of axis 1 (Q4).
Value fakeQuantizeChannels(PatternRewriter &rewriter, Location loc, Value x,
                           const ChannelParams &p, const LinearFormat &fmt,
                           Attribute inputStats) {
  int64_t c = int64_t(p.scales.size());
  Value s = f32Constant(rewriter, loc, {c}, p.scales);
  Value z = isa<IntegerType>(fmt.actType)
                ? bytesConstant(rewriter, loc,
                                RankedTensorType::get({c}, fmt.actType),
                                p.zeroPoints)
                : Value();
  return quantizeDequantize(rewriter, loc, x, s, z, fmt, inputStats);
}

/// The max of `a` (>= 0) over each block of `b` along its last (static)
/// axis: [..., K] -> [..., ceil(K / b)]. Whole blocks through a reshape to
/// [..., K / b, b]; a partial last block through a slice of its own.
Value blockAbsMax(PatternRewriter &rewriter, Location loc, Value a,
                  int64_t b) {
  auto ty = cast<RankedTensorType>(a.getType());
  int64_t rank = ty.getRank(), k = ty.getDimSize(rank - 1);
  int64_t whole = k / b, tail = k % b;
  auto withLast = [&](ArrayRef<int64_t> last) {
    SmallVector<int64_t> shape(ty.getShape().drop_back());
    shape.append(last.begin(), last.end());
    return RankedTensorType::get(shape, ty.getElementType());
  };
  auto slice = [&](int64_t from, int64_t to) -> Value {
    if (from == 0 && to == k)
      return a;
    return SliceOp::create(rewriter, loc, withLast({to - from}), a, {from},
                           {to}, {rank - 1}, {1});
  };
  SmallVector<Value, 2> parts;
  if (whole) {
    // ONNX Reshape: 0 copies the (possibly dynamic) leading dims.
    SmallVector<int64_t> shape(rank - 1, 0);
    shape.append({whole, b});
    Value r = ReshapeOp::create(rewriter, loc, withLast({whole, b}),
                                slice(0, whole * b), shape);
    parts.push_back(ReduceMaxOp::create(rewriter, loc, withLast({whole}), r,
                                        {rank}, false));
  }
  if (tail)
    parts.push_back(ReduceMaxOp::create(rewriter, loc, withLast({1}),
                                        slice(whole * b, k), {rank - 1}, true));
  if (parts.size() == 1)
    return parts[0];
  return ConcatOp::create(rewriter, loc, withLast({whole + 1}), parts,
                          rank - 1);
}

/// Whether F31 gives `x` one dynamic scale per sample (along axis 0): its
/// reduction axis is unknown (< 0, a conv) or of dynamic extent, and axis 0
/// is not that axis.
bool perSampleScale(RankedTensorType xTy, int64_t reduceAxis) {
  return (reduceAxis < 0 || xTy.isDynamicDim(reduceAxis)) &&
         xTy.getRank() >= 2 && reduceAxis != 0;
}

/// quantize_linear -> dequantize_linear of `x` with scales computed from `x`
/// at run time (F31; asymmetric int8 with a zero point per slice where
/// `fmt.asymmetric`, else symmetric): one per slice along `reduceAxis` (a matmul's
/// per-token scales: the reduction axis of the lhs, rank - 1, or of the rhs,
/// rank - 2), s = max(max|x| / qmax, FLT_MIN) so an all-zero slice gives
/// zero codes. `reduceAxis` < 0 or of dynamic extent: one scale per sample
/// (a slice along axis 0: a conv's image, whose windows stay inside it) when
/// axis 0 is not `reduceAxis` and the rank is at least 2, else one scale for
/// the whole tensor.
Value dynamicFakeQuantize(PatternRewriter &rewriter, Location loc, Value x,
                          int64_t reduceAxis, const LinearFormat &fmt) {
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  bool perTensor = reduceAxis < 0 || xTy.isDynamicDim(reduceAxis);
  // A scale per sample: the max over every axis but 0, which the op's sums
  // never cross (a conv's image, a matmul's batch or row), so the scale
  // factors out of them and a sample's codes do not depend on the others
  // in its batch.
  bool perSample = perSampleScale(xTy, reduceAxis);
  SmallVector<int64_t> axes, scaleShape;
  if (perSample) {
    axes = llvm::to_vector(llvm::seq<int64_t>(1, rank));
    scaleShape = {xTy.getDimSize(0)};
    perTensor = false;
  } else if (perTensor) {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  } else {
    axes = {reduceAxis};
    scaleShape.assign(xTy.getShape().begin(), xTy.getShape().end());
    scaleShape[reduceAxis] = 1;
  }
  // 1 x actBlock blocks along the last axis (fp8-1x128's lhs): a scale
  // per block, ceil(K / b) per row.
  int64_t block =
      perTensor || perSample ? 0 : xTy.getDimSize(reduceAxis);
  bool blocked = !perTensor && !perSample && fmt.actBlock > 0 &&
                 reduceAxis == rank - 1;
  if (blocked) {
    block = fmt.actBlock;
    scaleShape[reduceAxis] = llvm::divideCeil(xTy.getDimSize(reduceAxis), block);
  }
  auto sTy = RankedTensorType::get(scaleShape, rewriter.getF32Type());
  int64_t axis = perSample ? 0 : perTensor ? 1 : reduceAxis;
  bool keep = !perTensor && !perSample;
  if (fmt.asymmetric && !blocked) {
    // F31 asymmetric (int8): the slice's [min, max] widened to include 0,
    // s = max((hi - lo) / 255, FLT_MIN), z = rne(clamp(-128 - lo / s,
    // -128, 127)): F30's rule per slice, as ONNX DynamicQuantizeLinear
    // computes it per tensor (uint8, shifted by 128).
    auto cst = [&](float v) { return f32Constant(rewriter, loc, {}, {v}); };
    Value zero = cst(0.f); // one value: the GPU program's matcher reads it
    Value lo = MinOp::create(
        rewriter, loc, sTy,
        ReduceMinOp::create(rewriter, loc, sTy, x, axes, keep), zero);
    Value hi = MaxOp::create(
        rewriter, loc, sTy,
        ReduceMaxOp::create(rewriter, loc, sTy, x, axes, keep), zero);
    Value s = DivOp::create(rewriter, loc, sTy,
                            SubOp::create(rewriter, loc, sTy, hi, lo),
                            cst(255.f));
    s = MaxOp::create(rewriter, loc, sTy, s,
                      cst(std::numeric_limits<float>::min()));
    Value zf = SubOp::create(rewriter, loc, sTy, cst(-128.f),
                             DivOp::create(rewriter, loc, sTy, lo, s));
    zf = ClipOp::create(rewriter, loc, sTy, zf, rewriter.getF32FloatAttr(-128),
                        rewriter.getF32FloatAttr(127));
    zf = RoundOp::create(rewriter, loc, sTy, zf);
    Value z = CastOp::create(rewriter, loc, sTy.clone(fmt.actType), zf, true);
    auto q = QuantizeLinearOp::create(
        rewriter, loc, RankedTensorType::get(xTy.getShape(), fmt.actType), x,
        s, z, axis, block, true);
    return DequantizeLinearOp::create(rewriter, loc, xTy, q.getResult(), s, z,
                                      axis, block);
  }
  Value a = AbsOp::create(rewriter, loc, xTy, x);
  Value amax;
  if (blocked) {
    amax = blockAbsMax(rewriter, loc, a, block);
  } else {
    amax = ReduceMaxOp::create(rewriter, loc, sTy, a, axes, keep);
  }
  float qmax = static_cast<float>(nx::getFormatInfo(fmt.actElem).maxFinite);
  Value s = DivOp::create(rewriter, loc, sTy, amax,
                          f32Constant(rewriter, loc, {}, {qmax}));
  s = MaxOp::create(rewriter, loc, sTy, s,
                    f32Constant(rewriter, loc, {},
                                {std::numeric_limits<float>::min()}));
  auto q = QuantizeLinearOp::create(
      rewriter, loc, RankedTensorType::get(xTy.getShape(), fmt.actType), x, s,
      Value(), axis, block, true);
  return DequantizeLinearOp::create(rewriter, loc, xTy, q.getResult(), s,
                                    Value(), axis, block);
}

/// A depthwise conv's input `x` [N, C, spatial...] with dynamic scales per
/// image and channel (the run-time form of Q4: each output channel reads one
/// input channel, so its scale factors out of the window's sum): x as [N, C,
/// prod(spatial)], F31 per row of that, and back. Null when `op` is not a
/// depthwise conv or C or a spatial dim is not static.
Value dynamicDepthwiseFakeQuantize(PatternRewriter &rewriter, Location loc,
                                   Operation *op, Value x,
                                   const LinearFormat &fmt) {
  auto conv = dyn_cast<ConvOp>(op);
  auto xTy = cast<RankedTensorType>(x.getType());
  if (!conv || !conv.isDepthwise() || xTy.getRank() < 3 ||
      llvm::any_of(xTy.getShape().drop_front(), ShapedType::isDynamic))
    return {};
  int64_t c = xTy.getDimSize(1), plane = 1;
  for (int64_t d : xTy.getShape().drop_front(2))
    plane *= d;
  auto flatTy = RankedTensorType::get({xTy.getDimSize(0), c, plane},
                                      xTy.getElementType());
  // ONNX Reshape: 0 copies the (possibly dynamic) batch.
  Value flat = ReshapeOp::create(rewriter, loc, flatTy, x,
                                 SmallVector<int64_t>{0, c, plane});
  LinearFormat rows = fmt;
  rows.actBlock = 0; // a whole row (plane) per scale
  Value q = dynamicFakeQuantize(rewriter, loc, flat, 2, rows);
  SmallVector<int64_t> back{0};
  back.append(xTy.getShape().begin() + 1, xTy.getShape().end());
  return ReshapeOp::create(rewriter, loc, xTy, q, back);
}

/// The scheme a qc.dequantize_linear's codes were quantized with (what a
/// QDQ model from another quantizer says): per tensor, per axis or blocked.
SchemeAttr schemeOfDequantize(DequantizeLinearOp dq) {
  auto codes = cast<RankedTensorType>(dq.getCodes().getType());
  auto scale = cast<RankedTensorType>(dq.getScale().getType());
  // A scale computed in the graph (dynamic shape) or of a type no scheme
  // takes: the op is still quantized by the model, just not describable.
  if (!scale.hasStaticShape() ||
      !isa<Float32Type, Float16Type>(scale.getElementType()))
    return {};
  int64_t rank = codes.getRank();
  SmallVector<int64_t> block;
  // The I64Attr reads back unsigned; a negative ONNX axis counts from the
  // end.
  int64_t axis = static_cast<int64_t>(dq.getAxis());
  if (axis < 0)
    axis += rank;
  if (scale.getNumElements() != 1 && axis >= 0 && axis < rank) {
    if (dq.getBlockSize() > 0) {
      block.assign(rank, 1);
      block[axis] = dq.getBlockSize();
    } else {
      block.assign(rank, 0);
      block[axis] = 1;
    }
  }
  bool symmetric = true;
  if (Value zp = dq.getZeroPoint()) {
    DenseElementsAttr z;
    symmetric = matchPattern(zp, m_Constant(&z)) && z.isSplat() &&
                llvm::all_of(z.getRawData(), [](char c) { return c == 0; });
  }
  return SchemeAttr::get(dq.getContext(), codes.getElementType(),
                         scale.getElementType(), block, symmetric);
}

/// A matmul or conv whose operands already come from qc.dequantize_linear
/// (an ONNX QDQ model quantized by ONNX Runtime, ModelOpt or Quark) is
/// quantized already: it keeps its arithmetic and is recorded as such
/// (qc.imported_qdq and the schemes its DequantizeLinear ops imply).
/// The qc.dequantize_linear `v` comes from, through layout ops (a Gemm's
/// transB is a qc.transpose of its dequantized weight).
DequantizeLinearOp dequantizedSource(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto dq = dyn_cast<DequantizeLinearOp>(def))
      return dq;
    if (!isa<TransposeOp, ReshapeOp>(def))
      break;
    v = def->getOperand(0);
  }
  return {};
}

LogicalResult recordImported(PatternRewriter &rewriter, Operation *op) {
  DequantizeLinearOp act = dequantizedSource(op->getOperand(0));
  DequantizeLinearOp wgt = dequantizedSource(op->getOperand(1));
  if (!act && !wgt)
    return failure();
  rewriter.modifyOpInPlace(op, [&] {
    op->setAttr("qc.imported_qdq", rewriter.getUnitAttr());
    auto set = [&](StringRef name, DequantizeLinearOp dq) {
      if (SchemeAttr s = schemeOfDequantize(dq))
        op->setAttr(name, s);
    };
    if (wgt && matchPattern(wgt.getCodes(), m_Constant()))
      set("qc.weight_scheme", wgt);
    else if (wgt)
      set("qc.act_scheme", wgt);
    if (act)
      set("qc.act_scheme", act);
  });
  return success();
}

/// Rewrites one compute op in place: operand 0 (an activation) and operand 1
/// (a constant weight, channels along `channelAxis`, reduction along
/// `reduceAxis`; or, for a matmul, a second activation). Nothing is built
/// unless every operand it quantizes can be.
/// bf16 (castOnly): a constant f32 weight becomes bf16 codes behind a
/// qc.cast to f32, each activation operand a qc.cast to bf16 and back.
LogicalResult castOperands(PatternRewriter &rewriter, Operation *op,
                           bool constWeight, const LinearFormat &fmt) {
  for (unsigned i = 0; i < 2; ++i) {
    auto t = dyn_cast<RankedTensorType>(op->getOperand(i).getType());
    if (!t || !t.getElementType().isF32() ||
        (constWeight && i == 1 && !t.hasStaticShape()))
      return failure();
  }
  std::vector<float> x;
  if (constWeight) {
    ElementsAttr w;
    if (!matchPattern(op->getOperand(1), m_Constant(&w)) ||
        !isTensorConstant(w) || failed(getConstantFloats(w, x)))
      return failure();
  }
  MLIRContext *ctx = rewriter.getContext();
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value, 2> operands(op->getOperands().take_front(2));
  SmallVector<NamedAttribute> attrs;
  auto scheme = SchemeAttr::get(ctx, fmt.weightType, rewriter.getF32Type(),
                                {}, true);
  std::vector<float> back(x.size());
  if (constWeight) {
    auto wTy = cast<RankedTensorType>(operands[1].getType());
    std::vector<uint8_t> bytes(2 * x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      uint16_t c = nx::encode(fmt.weightElem, x[i]);
      bytes[2 * i] = c & 0xff; // little-endian, as MLIR's raw buffers
      bytes[2 * i + 1] = c >> 8;
      back[i] = nx::decode(fmt.weightElem, c);
    }
    Value codes = bytesConstant(rewriter, loc, wTy.clone(fmt.weightType),
                                bytes);
    operands[1] = CastOp::create(rewriter, loc, wTy, codes, true);
    attrs.push_back(rewriter.getNamedAttr("qc.weight_scheme", scheme));
    attrs.push_back(rewriter.getNamedAttr(
        "qc.weight_rel_rms_error",
        rewriter.getF32FloatAttr(relRmsError(x, back))));
  }
  if (fmt.activations) {
    for (unsigned i = 0; i < (constWeight ? 1u : 2u); ++i) {
      auto t = cast<RankedTensorType>(operands[i].getType());
      Value r = CastOp::create(rewriter, loc, t.clone(fmt.actType),
                               operands[i], true);
      operands[i] = CastOp::create(rewriter, loc, t, r, true);
    }
    attrs.push_back(rewriter.getNamedAttr("qc.act_scheme", scheme));
  }
  rewriter.modifyOpInPlace(op, [&] {
    op->setOperand(0, operands[0]);
    op->setOperand(1, operands[1]);
    for (NamedAttribute a : attrs)
      op->setAttr(a.getName(), a.getValue());
  });
  if (constWeight && fmt.biasCorrection) {
    for (size_t i = 0; i < x.size(); ++i)
      back[i] -= x[i];
    applyBiasCorrection(
        rewriter, op, back,
        cast<RankedTensorType>(operands[1].getType()).getShape());
  }
  return success();
}

/// nvfp4 (F28) for a matmul x [..., K] @ w [K, N] (constant): the weight's
/// codes and its effective scales fl(decode(UE4M3 s) * t) per 16 along K
/// behind a qc.dequantize_linear; the activation's block scales built from
/// graph ops at run time under the calibrated tensor scale
/// t = amax / (6 * 448):
///   s = fl(decode(encode(UE4M3, max|block| / 6 / t)) * t)
///   codes = quantize_linear(x, s) to E2M1, dequantize_linear(codes, s)
/// except that a block whose scale is 0 (all zero, or too small for UE4M3)
/// has F28's zero codes: it is quantized with scale FLT_MAX (x / FLT_MAX
/// rounds to code 0) and dequantized with scale 1, as scales must be
/// finite and positive (F26).
LogicalResult nvfp4Operands(PatternRewriter &rewriter, Operation *op,
                            const LinearFormat &fmt) {
  constexpr int64_t kBlock = 16;
  ElementsAttr wAttr;
  auto xTy = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto wTy = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  if (!xTy || !wTy || !xTy.getElementType().isF32() ||
      !wTy.getElementType().isF32() || !wTy.hasStaticShape() ||
      wTy.getRank() != 2 || xTy.isDynamicDim(xTy.getRank() - 1) ||
      !matchPattern(op->getOperand(1), m_Constant(&wAttr)) ||
      !isTensorConstant(wAttr))
    return failure();
  std::vector<float> w;
  if (failed(getConstantFloats(wAttr, w)))
    return failure();
  float actTensorScale = 1.0f;
  if (fmt.activations) {
    auto range = op->getAttrOfType<StatsAttr>("qc.lhs_range");
    if (!range)
      range = op->getAttrOfType<StatsAttr>("qc.lhs_stats");
    if (!range)
      return failure(); // remark: no calibration statistics
    float amax = float(std::max(std::fabs(range.getMin().getValueAsDouble()),
                                std::fabs(range.getMax().getValueAsDouble())));
    if (!std::isfinite(amax))
      return failure();
    if (amax > 0)
      actTensorScale = amax / (6.0f * 448.0f);
    if (!(actTensorScale >= std::numeric_limits<float>::min())) {
      op->emitRemark("activation left in float: its tensor scale ")
          << actTensorScale << " underflows f32";
      return failure();
    }
  }
  // The weight transposed to [N, K], rows quantized along K.
  int64_t k = wTy.getDimSize(0), n = wTy.getDimSize(1);
  int64_t nb = llvm::divideCeil(k, kBlock);
  std::vector<float> wt = transposed(w, k, n);
  std::vector<uint8_t> codesT(w.size()), scales(n * nb);
  float t = 0;
  if (llvm::Error e = nx::quantizeNVFP4(wt.data(), n, k, codesT.data(),
                                        scales.data(), t)) {
    op->emitRemark("weight left in float: ") << llvm::toString(std::move(e));
    return failure();
  }
  std::vector<float> back(w.size());
  nx::dequantizeNVFP4(codesT.data(), scales.data(), t, n, k, back.data());
  std::vector<uint8_t> codes(w.size());
  std::vector<float> effective(nb * n);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      codes[i * n + j] = codesT[j * k + i];
  // A zero block scale has zero codes; 1 keeps the scale positive (F26).
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t j = 0; j < n; ++j) {
      float e = nx::decode(nx::ElemFormat::UE4M3, scales[j * nb + b]) * t;
      effective[b * n + j] = e > 0 ? e : 1.0f;
    }

  MLIRContext *ctx = rewriter.getContext();
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  Type f32 = rewriter.getF32Type();
  Value wc = bytesConstant(rewriter, loc, wTy.clone(fmt.weightType), codes);
  Value ws = f32Constant(rewriter, loc, {nb, n}, effective);
  Value wd = DequantizeLinearOp::create(rewriter, loc, wTy, wc, ws, Value(),
                                        0, kBlock);
  Type e4m3 = Float8E4M3FNType::get(ctx);
  SmallVector<NamedAttribute> attrs = {
      rewriter.getNamedAttr(
          "qc.weight_scheme",
          SchemeAttr::get(ctx, fmt.weightType, e4m3, {kBlock, 1}, true)),
      rewriter.getNamedAttr(
          "qc.weight_rel_rms_error",
          rewriter.getF32FloatAttr(relRmsError(wt, back)))};
  Value x = op->getOperand(0);
  if (fmt.activations) {
    int64_t rank = xTy.getRank();
    SmallVector<int64_t> sShape(xTy.getShape());
    sShape.back() = llvm::divideCeil(sShape.back(), kBlock);
    auto sTy = RankedTensorType::get(sShape, f32);
    auto scalar = [&](float v) { return f32Constant(rewriter, loc, {}, {v}); };
    Value amax = blockAbsMax(rewriter, loc,
                             AbsOp::create(rewriter, loc, xTy, x), kBlock);
    Value u = DivOp::create(rewriter, loc, sTy,
                            DivOp::create(rewriter, loc, sTy, amax,
                                          scalar(6.0f)),
                            scalar(actTensorScale));
    Value u8 = CastOp::create(rewriter, loc, sTy.clone(e4m3), u, true);
    Value s = MulOp::create(rewriter, loc, sTy,
                            CastOp::create(rewriter, loc, sTy, u8, true),
                            scalar(actTensorScale));
    Value zero = EqualOp::create(rewriter, loc, sTy.clone(rewriter.getI1Type()),
                                 s, scalar(0.0f));
    Value sq = WhereOp::create(rewriter, loc, sTy, zero,
                               scalar(std::numeric_limits<float>::max()), s);
    Value sd = WhereOp::create(rewriter, loc, sTy, zero, scalar(1.0f), s);
    auto q = QuantizeLinearOp::create(rewriter, loc, xTy.clone(fmt.actType),
                                      x, sq, Value(), rank - 1, kBlock, true);
    x = DequantizeLinearOp::create(rewriter, loc, xTy, q.getResult(), sd,
                                   Value(), rank - 1, kBlock);
    attrs.push_back(rewriter.getNamedAttr(
        "qc.act_scheme",
        SchemeAttr::get(ctx, fmt.actType, e4m3, {kBlock}, true)));
    attrs.push_back(
        rewriter.getNamedAttr("qc.act_dynamic", rewriter.getUnitAttr()));
    attrs.push_back(rewriter.getNamedAttr(
        "qc.act_tensor_scale", rewriter.getF32FloatAttr(actTensorScale)));
  }
  rewriter.modifyOpInPlace(op, [&] {
    op->setOperand(0, x);
    op->setOperand(1, wd);
    for (NamedAttribute a : attrs)
      op->setAttr(a.getName(), a.getValue());
  });
  if (fmt.biasCorrection) { // W_q - W back in the weight's [K, N] layout
    std::vector<float> delta(w.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        delta[i * n + j] = back[j * k + i] - wt[j * k + i];
    applyBiasCorrection(rewriter, op, delta, wTy.getShape());
  }
  return success();
}

LogicalResult quantizeOperands(PatternRewriter &rewriter, Operation *op,
                               int64_t channelAxis, int64_t reduceAxis,
                               const LinearFormat &fmt) {
  if (op->hasAttr("qc.weight_scheme") || op->hasAttr("qc.act_scheme") ||
      op->hasAttr("qc.imported_qdq"))
    return failure(); // done
  if (succeeded(recordImported(rewriter, op)))
    return success();
  bool constWeight = matchPattern(op->getOperand(1), m_Constant());
  if (!constWeight && (!fmt.activations || !isa<MatMulOp>(op)))
    return failure();
  if (fmt.matmulOnly() && (!constWeight || !isa<MatMulOp>(op)))
    return failure(); // a linear-layer format (remark below)
  if (fmt.castOnly)
    return castOperands(rewriter, op, constWeight, fmt);
  if (fmt.nvfp4)
    return nvfp4Operands(rewriter, op, fmt);
  FailureOr<WeightCodes> w = failure();
  if (constWeight) {
    w = computeWeight(op, op->getOperand(1), channelAxis, reduceAxis, fmt);
    if (failed(w))
      return failure();
  }
  if (fmt.dynamic)
    for (unsigned i = 0; i < (constWeight ? 1u : 2u); ++i) {
      auto t = dyn_cast<RankedTensorType>(op->getOperand(i).getType());
      if (!t || !t.getElementType().isF32())
        return failure();
    }
  SmallVector<ActivationParams, 2> acts;
  if (fmt.activations && !fmt.dynamic)
    for (unsigned i = 0; i < (constWeight ? 1u : 2u); ++i) {
      FailureOr<ActivationParams> a = computeActivation(op, i, fmt);
      if (failed(a))
        return failure();
      acts.push_back(*a);
    }

  MLIRContext *ctx = rewriter.getContext();
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value, 2> newOperands(op->getOperands().take_front(2));
  SmallVector<NamedAttribute> attrs;
  if (constWeight) {
    ArrayRef<int64_t> shape = w->type.getShape();
    Value wc = bytesConstant(
        rewriter, loc, RankedTensorType::get(shape, fmt.weightType), w->codes);
    Value ws = f32Constant(rewriter, loc, w->scaleShape, w->scales);
    Value wz = zeroPoints(rewriter, loc, fmt.weightType, w->scaleShape, 0);
    newOperands[1] =
        DequantizeLinearOp::create(rewriter, loc, w->type, wc, ws, wz,
                                   w->layout.axis, w->layout.blockSize);
    // Per channel: whole extent (0) but the channel axis (1); blocked: the
    // block along the reduction axis, 1 elsewhere.
    SmallVector<int64_t> block(w->type.getRank(), fmt.weightBlock ? 1 : 0);
    if (fmt.blocks2D)
      block.assign(2, fmt.weightBlock);
    else if (fmt.weightBlock)
      block[reduceAxis] = fmt.weightBlock;
    else
      block[channelAxis] = 1;
    attrs.push_back(rewriter.getNamedAttr("qc.weight_scheme",
                                          SchemeAttr::get(ctx, fmt.weightType,
                                                          rewriter.getF32Type(),
                                                          block, true)));
    attrs.push_back(rewriter.getNamedAttr("qc.weight_rel_rms_error",
                                          rewriter.getF32FloatAttr(w->relErr)));
    if (w->gptq)
      attrs.push_back(rewriter.getNamedAttr("qc.weight_method",
                                            rewriter.getStringAttr("gptq")));
  }
  std::optional<ChannelParams> channels;
  if (!acts.empty())
    channels = computeChannelActivation(op, fmt);
  for (auto [i, a] : llvm::enumerate(acts)) {
    Attribute stats = op->getAttr(i == 0 ? "qc.lhs_stats" : "qc.rhs_stats");
    newOperands[i] =
        channels ? fakeQuantizeChannels(rewriter, loc, newOperands[i],
                                        *channels, fmt, stats)
                 : fakeQuantize(rewriter, loc, newOperands[i], a, fmt, stats);
  }
  if (!acts.empty()) {
    // Per channel: the whole extent (0) but axis 1 (1), as weights write it.
    SmallVector<int64_t> block;
    if (channels) {
      block.assign(cast<RankedTensorType>(op->getOperand(0).getType())
                       .getRank(),
                   0);
      block[1] = 1;
    }
    attrs.push_back(rewriter.getNamedAttr(
        "qc.act_scheme",
        SchemeAttr::get(ctx, fmt.actType, rewriter.getF32Type(), block,
                        !fmt.asymmetric)));
  }
  if (fmt.dynamic) {
    // A matmul's scales per row of the lhs (token) and per column of an
    // activation rhs factor out of its sums; a conv's window spans several
    // pixels, so it gets one scale per image (sample).
    bool isMatMul = isa<MatMulOp>(op);
    unsigned numActs = constWeight ? 1u : 2u;
    SmallVector<int64_t> block;
    for (unsigned i = 0; i < numActs; ++i) {
      auto xTy = cast<RankedTensorType>(newOperands[i].getType());
      if (i == 0 && fmt.depthwiseChannels) {
        if (Value q = dynamicDepthwiseFakeQuantize(rewriter, loc, op,
                                                   newOperands[0], fmt)) {
          newOperands[0] = q;
          block.assign(xTy.getRank(), 0);
          block[0] = block[1] = 1;
          continue;
        }
      }
      int64_t axis = !isMatMul ? -1 : xTy.getRank() - 1 - i;
      newOperands[i] = dynamicFakeQuantize(rewriter, loc, newOperands[i], axis,
                                           fmt);
      if (i != 0)
        continue;
      if (isMatMul && !xTy.isDynamicDim(axis)) {
        block = {fmt.actBlock}; // 1 x actBlock; 0: whole K, per token
      } else if (perSampleScale(xTy, axis)) {
        // One scale per sample, as dynamicFakeQuantize computes it.
        block.assign(xTy.getRank(), 0);
        block[0] = 1;
      }
    }
    attrs.push_back(rewriter.getNamedAttr(
        "qc.act_scheme",
        SchemeAttr::get(ctx, fmt.actType, rewriter.getF32Type(), block,
                        !fmt.asymmetric)));
    attrs.push_back(
        rewriter.getNamedAttr("qc.act_dynamic", rewriter.getUnitAttr()));
  }
  rewriter.modifyOpInPlace(op, [&] {
    op->setOperand(0, newOperands[0]);
    op->setOperand(1, newOperands[1]);
    for (NamedAttribute a : attrs)
      op->setAttr(a.getName(), a.getValue());
    op->removeAttr("qc.lhs_hessian"); // used up; K x K values
  });
  if (constWeight && fmt.biasCorrection)
    applyBiasCorrection(rewriter, op, w->delta, w->type.getShape());
  return success();
}

/// The format for `op`: its qc.assigned_format (qc-assign-precision's
/// choice: a format name, or "f32" to keep it in float) over `fmt`; an
/// assigned format quantizes the weight only, as qc-assign-precision
/// measured it.
std::optional<LinearFormat> formatFor(Operation *op, const LinearFormat &fmt) {
  auto assigned = op->getAttrOfType<StringAttr>("qc.assigned_format");
  if (!assigned)
    return fmt;
  if (assigned.getValue() == "f32")
    return std::nullopt;
  // What qc-assign-precision measured: weight-only (int4-g128 is anyway),
  // so the activation options do not apply.
  StringRef acts = assigned.getValue() == "int4-g128" ? "" : "none";
  // GPTQ where the assigned format has it (int8, fp8, int4-g128).
  StringRef method =
      fmt.gptq && isQuantizeLinearFormat(assigned.getValue()) &&
              !llvm::is_contained({StringRef("nvfp4"), StringRef("bf16"),
                                   StringRef("fp8-1x128")},
                                  assigned.getValue())
          ? "gptq"
          : "rtn";
  std::optional<LinearFormat> f =
      getLinearFormat(op->getContext(), assigned.getValue(),
                      /*asymmetric=*/false, acts, method, fmt.gptqDamp,
                      op->getLoc());
  if (f) // a property of the weights, whatever their format
    f->biasCorrection = fmt.biasCorrection;
  return f;
}

/// O1-O2: splits the input channels of `op` (x [..., K] @ w [K, N], a
/// constant) whose calibrated max |x_j| exceeds `threshold` into a float
/// side product x[..., O] @ w[O, :] added to the result; the main product
/// reads x with those channels zeroed (a multiply by a 0/1 mask) and w
/// with those rows zeroed, and its statistics are the other channels'. No
/// change (false) without per-channel statistics, or when no channel or
/// every channel is an outlier.
bool splitOutliers(PatternRewriter &rewriter, MatMulOp op, double threshold) {
  auto lo = op->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_min");
  auto hi = op->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_max");
  auto xTy = dyn_cast<RankedTensorType>(op.getLhs().getType());
  ElementsAttr wAttr;
  if (!lo || !hi || op->hasAttr("qc.outlier_channels") || !xTy ||
      !matchPattern(op.getRhs(), m_Constant(&wAttr)) ||
      !isTensorConstant(wAttr))
    return false;
  auto wTy = cast<RankedTensorType>(wAttr.getType());
  int64_t k = lo.size();
  if (wTy.getRank() != 2 || wTy.getDimSize(0) != k || hi.size() != k ||
      xTy.getRank() == 0 || xTy.getShape().back() != k ||
      !wTy.getElementType().isF32() || !xTy.getElementType().isF32())
    return false;
  SmallVector<int64_t> outliers;
  for (int64_t j = 0; j < k; ++j)
    if (std::max(std::fabs(lo[j]), std::fabs(hi[j])) > threshold)
      outliers.push_back(j);
  int64_t no = outliers.size(), n = wTy.getDimSize(1);
  if (no == 0 || no == k)
    return false;
  std::vector<float> w;
  if (failed(getConstantFloats(wAttr, w)))
    return false;
  std::vector<float> wOut(no * n), mask(k, 1.0f), chMin(lo.asArrayRef()),
      chMax(hi.asArrayRef());
  for (auto [r, j] : llvm::enumerate(outliers)) {
    for (int64_t c = 0; c < n; ++c) {
      wOut[r * n + c] = w[j * n + c];
      w[j * n + c] = 0.0f;
    }
    mask[j] = 0.0f;
    chMin[j] = chMax[j] = 0.0f;
  }
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto idxTy = RankedTensorType::get({no}, rewriter.getI64Type());
  Value idx = arith::ConstantOp::create(
      rewriter, loc, idxTy, DenseElementsAttr::get(idxTy, ArrayRef(outliers)));
  SmallVector<int64_t> sideShape(xTy.getShape());
  sideShape.back() = no;
  Value xOut = GatherOp::create(rewriter, loc, xTy.clone(sideShape),
                                op.getLhs(), idx, xTy.getRank() - 1);
  auto side = MatMulOp::create(rewriter, loc, op.getType(), xOut,
                               f32Constant(rewriter, loc, {no, n}, wOut));
  side->setAttr("qc.outlier_side", rewriter.getUnitAttr());
  Value xIn = MulOp::create(rewriter, loc, xTy, op.getLhs(),
                            f32Constant(rewriter, loc, {k}, mask));
  Value wIn = f32Constant(rewriter, loc, {k, n}, w);
  float tmin = 0, tmax = 0; // the zeroed channels are 0
  for (int64_t j = 0; j < k; ++j) {
    tmin = std::min(tmin, chMin[j]);
    tmax = std::max(tmax, chMax[j]);
  }
  Builder b(op.getContext());
  rewriter.modifyOpInPlace(op, [&] {
    op.getLhsMutable().assign(xIn);
    op.getRhsMutable().assign(wIn);
    op->setAttr("qc.outlier_channels", b.getDenseI64ArrayAttr(outliers));
    op->setAttr("qc.lhs_channel_min", b.getDenseF32ArrayAttr(chMin));
    op->setAttr("qc.lhs_channel_max", b.getDenseF32ArrayAttr(chMax));
    op->setAttr("qc.lhs_stats",
                StatsAttr::get(op.getContext(), b.getF32FloatAttr(tmin),
                               b.getF32FloatAttr(tmax),
                               b.getF32FloatAttr(std::max(-tmin, tmax))));
    op->removeAttr("qc.lhs_range");
    op->removeAttr("qc.calib_method");
    // GPTQ's Hessian of the masked input: the outlier rows and columns 0.
    transformHessian(op, [&](int64_t i, int64_t j, float h) {
      return mask[i] * mask[j] * h;
    });
  });
  rewriter.setInsertionPointAfter(op);
  auto sum = AddOp::create(rewriter, loc, op.getType(), op.getResult(),
                           side.getResult());
  rewriter.replaceAllUsesExcept(op.getResult(), sum.getResult(), sum);
  return true;
}

/// qc-quantize-linear on one matmul or conv.
LogicalResult quantizeLinearOperation(PatternRewriter &rewriter,
                                      Operation *op, const LinearFormat &fmt) {
  if (op->hasAttr("qc.outlier_side"))
    return failure(); // stays in float (O2)
  if (auto mm = dyn_cast<MatMulOp>(op)) {
    // O1: only with static per-tensor activation scales, which the
    // outliers would otherwise stretch.
    bool split = fmt.outlierThreshold > 0 && fmt.activations &&
                 !fmt.dynamic && !fmt.castOnly && !fmt.matmulOnly() &&
                 !op->hasAttr("qc.weight_scheme") &&
                 splitOutliers(rewriter, mm, fmt.outlierThreshold);
    // A constant weight is [K, N]: channels N (axis 1), reduction K (0).
    auto w = dyn_cast<RankedTensorType>(mm.getRhs().getType());
    if (!w || (w.getRank() != 2 && matchPattern(mm.getRhs(), m_Constant())))
      return success(split);
    LogicalResult r = quantizeOperands(rewriter, op, /*channelAxis=*/1,
                                       /*reduceAxis=*/0, fmt);
    return success(split || succeeded(r));
  }
  if (isa<ConvOp>(op)) // [M, C/g, k...]: channels M (axis 0), reduction C/g
    return quantizeOperands(rewriter, op, /*channelAxis=*/0,
                            /*reduceAxis=*/1, fmt);
  return failure();
}

struct QuantizeLinearPattern : RewritePattern {
  QuantizeLinearPattern(MLIRContext *ctx, LinearFormat fmt)
      : RewritePattern(MatchAnyOpTypeTag(), 1, ctx), fmt(fmt) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<MatMulOp, ConvOp>(op))
      return failure();
    std::optional<LinearFormat> f = formatFor(op, fmt);
    if (!f)
      return failure();
    return quantizeLinearOperation(rewriter, op, *f);
  }
  LinearFormat fmt;
};

struct QuantizeLinearPass
    : public qc::impl::QCQuantizeLinearBase<QuantizeLinearPass> {
  using QCQuantizeLinearBase::QCQuantizeLinearBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (!getLinearFormat(ctx, format, asymmetric, activations, weightMethod,
                         gptqDamp, getOperation().getLoc()))
      return signalPassFailure();
    if (!(outlierThreshold >= 0)) {
      getOperation().emitError()
          << "qc-quantize-linear: outlier-threshold must be >= 0, got "
          << outlierThreshold;
      return signalPassFailure();
    }
    // Per-layer formats (qc-assign-precision) checked once, before any
    // rewrite.
    std::optional<LinearFormat> base =
        getLinearFormat(ctx, format, asymmetric, activations, weightMethod,
                        gptqDamp, std::nullopt);
    WalkResult bad = getOperation().walk([&](Operation *op) {
      auto a = op->getAttrOfType<StringAttr>("qc.assigned_format");
      if (!a || a.getValue() == "f32")
        return WalkResult::advance();
      if (!isQuantizeLinearFormat(a.getValue()) &&
          !llvm::is_contained({StringRef("mxfp8"), StringRef("mxfp6"),
                               StringRef("mxfp4")},
                              a.getValue())) {
        op->emitError() << "qc-quantize-linear: unknown qc.assigned_format '"
                        << a.getValue() << "'";
        return WalkResult::interrupt();
      }
      return formatFor(op, *base)
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    });
    if (bad.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    populateQuantizeLinearPatterns(patterns, format, asymmetric, activations,
                                   weightMethod, gptqDamp, outlierThreshold,
                                   depthwiseChannelScales, biasCorrection);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Hessians are K x K values: none outlives this pass (layers left in
    // float or quantized without GPTQ keep theirs otherwise).
    getOperation().walk([](Operation *op) {
      op->removeAttr("qc.lhs_hessian");
      op->removeAttr("qc.lhs_channel_mean"); // used up (B1)
    });
    bool matmulOnly = format == "fp8-1x128" || format == "nvfp4";
    bool noStats = format == "fp8-1x128" || activations == "dynamic" ||
                   format == "bf16";
    getOperation().walk([&](Operation *op) {
      auto assigned = op->getAttrOfType<StringAttr>("qc.assigned_format");
      if ((assigned && assigned.getValue() == "f32") ||
          op->hasAttr("qc.outlier_side"))
        return; // kept in float on purpose (the report says so)
      if (isa<LstmOp, GruOp, RnnOp>(op)) {
        op->emitRemark(op->getName().getStringRef())
            << " left in float: its gate products run inside the "
               "recurrence, step by step, which no format here quantizes "
               "yet";
        return;
      }
      if (!isa<MatMulOp, ConvOp>(op) || op->hasAttr("qc.weight_scheme") ||
          op->hasAttr("qc.act_scheme") || op->hasAttr("qc.imported_qdq"))
        return;
      bool constWeight = matchPattern(op->getOperand(1), m_Constant());
      bool stats = op->hasAttr("qc.lhs_stats") || op->hasAttr("qc.lhs_range") ||
                   noStats;
      auto diag = op->emitRemark(op->getName().getStringRef())
                  << " left in float: ";
      if (matmulOnly && (!constWeight || isa<ConvOp>(op)))
        diag << format
             << " quantizes matmuls with a constant weight (its weight and "
                "activation blocks run along K)";
      else if (!constWeight && isa<ConvOp>(op))
        diag << "its weight is not a constant";
      else if (!constWeight)
        diag << "an activation x activation product needs calibration "
                "statistics of both operands (qc.lhs_stats, qc.rhs_stats) "
                "and activations=static";
      else if (!stats)
        diag << "no calibration statistics (run qc-calibrate first)";
      else
        diag << "its weight is not a static f32 tensor of the expected "
                "rank, or its activation is not f32";
    });
  }
};
} // namespace

bool quantc::qc::isQuantizeLinearFormat(StringRef format) {
  return format == "int8" || format == "fp8" || format == "fp8-1x128" ||
         format == "int4-g128" || format == "nvfp4" || format == "bf16";
}

LogicalResult quantc::qc::verifyQuantizeLinearOptions(
    Location loc, StringRef format, bool asymmetric, StringRef activations,
    StringRef weightMethod, double gptqDamp) {
  return success(getLinearFormat(loc.getContext(), format, asymmetric,
                                 activations, weightMethod, gptqDamp, loc)
                     .has_value());
}

void quantc::qc::populateQuantizeLinearPatterns(
    RewritePatternSet &patterns, StringRef format, bool asymmetric,
    StringRef activations, StringRef weightMethod, double gptqDamp,
    double outlierThreshold, bool depthwiseChannelScales,
    bool biasCorrection) {
  std::optional<LinearFormat> fmt =
      getLinearFormat(patterns.getContext(), format, asymmetric, activations,
                      weightMethod, gptqDamp, std::nullopt);
  if (!fmt)
    return;
  fmt->outlierThreshold = outlierThreshold;
  fmt->depthwiseChannels = depthwiseChannelScales;
  fmt->biasCorrection = biasCorrection;
  patterns.add<QuantizeLinearPattern>(patterns.getContext(), *fmt);
}

LogicalResult quantc::qc::quantizeLinearOp(Operation *op, StringRef format,
                                           bool asymmetric,
                                           StringRef activations,
                                           bool biasCorrection) {
  std::optional<LinearFormat> fmt =
      getLinearFormat(op->getContext(), format, asymmetric, activations,
                      "rtn", 0.01, std::nullopt);
  if (!fmt)
    return failure();
  fmt->biasCorrection = biasCorrection;
  PatternRewriter rewriter(op->getContext());
  return quantizeLinearOperation(rewriter, op, *fmt);
}

void quantc::qc::applyBiasCorrection(RewriterBase &rewriter, Operation *op,
                                     ArrayRef<float> delta,
                                     ArrayRef<int64_t> shape) {
  std::optional<std::vector<double>> shift = biasShift(op, delta, shape);
  if (!shift)
    op->emitRemark("bias not corrected: no qc.lhs_channel_mean of its "
                   "input channels (qc-calibrate{channel-means})");
  else if (llvm::all_of(*shift, [](double v) { return v == 0.0; }) ||
           correctBias(rewriter, op, *shift)) // (a zero shift: nothing to do)
    rewriter.modifyOpInPlace(op, [&] {
      op->setAttr("qc.bias_corrected", rewriter.getUnitAttr());
    });
}
