//===- SmoothQuant.cpp - migrate activation outliers into the weights -----===//
//
// SmoothQuant (Xiao et al.): for the matmuls that read one normalized
// tensor X [..., K] with constant weights W [K, N], divide input channel j
// by s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) and multiply weight row j by
// it. The division is folded into the constant gain (and bias) of the op
// that produced X (qc.layer_norm or qc.rms_norm over the last axis, or a
// qc.mul by a constant vector: a decomposed RMSNorm's gain), so no op is
// added and the
// float function is unchanged up to rounding. Rules S1-S4 of
// docs/Calibration.md.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

namespace quantc::qc {
#define GEN_PASS_DEF_QCSMOOTHQUANT
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
/// Erases the constant that defined `v` if nothing reads it any more.
void eraseIfDead(Value v) {
  Operation *def = v.getDefiningOp();
  if (def && def->use_empty() && matchPattern(v, m_Constant()))
    def->erase();
}

/// S2: s_j stays in [kMinScale, kMaxScale], so a dead channel (max|X_j| or
/// max|W_j| = 0, which gives s_j = 1) or an extreme one cannot make a gain
/// or weight overflow or underflow f32.
constexpr float kMinScale = 1e-5f, kMaxScale = 1e5f;

/// A constant f32 vector of K values (shape [K], or [1, ..., 1, K]).
bool getConstantVector(Value v, int64_t k, std::vector<float> &out) {
  ElementsAttr a;
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.getElementType().isF32() || !t.hasStaticShape() ||
      t.getNumElements() != k || t.getRank() == 0 || t.getShape().back() != k ||
      !matchPattern(v, m_Constant(&a)) || !isTensorConstant(a))
    return false;
  return succeeded(getConstantFloats(a, out));
}

Value f32Constant(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<float> values) {
  return arith::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, values));
}

/// One matmul reading the smoothed tensor, its weight and calibrated
/// per-channel range.
struct Consumer {
  MatMulOp op;
  std::vector<float> w; // [K, N] row-major
  int64_t n;
  ArrayRef<float> lo, hi;
};

/// The index of the operand of `p` holding the gain that S1 divides by s,
/// and (for a layer norm) the bias; -1 if `p` cannot absorb a per-channel
/// factor along its result's last axis.
int gainOperand(Operation *p, int64_t k, std::vector<float> &gain,
                std::vector<float> &bias) {
  if (auto ln = dyn_cast<LayerNormOp>(p)) {
    auto t = cast<RankedTensorType>(ln.getResult().getType());
    if (int64_t(ln.getAxis()) != t.getRank() - 1 ||
        !getConstantVector(ln.getScale(), k, gain))
      return -1;
    if (ln.getBias() && !getConstantVector(ln.getBias(), k, bias))
      return -1;
    return 1;
  }
  if (auto rn = dyn_cast<RmsNormOp>(p)) {
    auto t = cast<RankedTensorType>(rn.getResult().getType());
    return int64_t(rn.getAxis()) == t.getRank() - 1 &&
                   getConstantVector(rn.getScale(), k, gain)
               ? 1
               : -1;
  }
  // x * gamma with a constant gamma along the last axis (RMSNorm's gain).
  auto resTy = cast<RankedTensorType>(p->getResult(0).getType());
  for (int i = 0; i < 2; ++i) {
    auto other = cast<RankedTensorType>(p->getOperand(1 - i).getType());
    if (other.getShape() == resTy.getShape() &&
        getConstantVector(p->getOperand(i), k, gain))
      return i;
  }
  return -1;
}

/// S1-S4 on the tensor `p` produces, with migration strength `alpha`;
/// false (nothing changed) where S3 does not hold.
bool smoothGroup(Operation *p, double alpha) {
  Value x = p->getResult(0);
  auto xTy = dyn_cast<RankedTensorType>(x.getType());
  if (!xTy || xTy.getRank() == 0 || xTy.isDynamicDim(xTy.getRank() - 1) ||
      !xTy.getElementType().isF32() || x.use_empty())
    return false;
  int64_t k = xTy.getShape().back();
  // S3: every user must be a matmul reading x as its lhs with a constant
  // [K, N] weight and per-channel statistics; anything else would see the
  // divided values.
  SmallVector<Consumer> consumers;
  for (Operation *user : x.getUsers()) {
    auto mm = dyn_cast<MatMulOp>(user);
    ElementsAttr w;
    if (!mm || mm.getLhs() != x || mm.getRhs() == x ||
        !matchPattern(mm.getRhs(), m_Constant(&w)) || !isTensorConstant(w))
      return false;
    auto wTy = cast<RankedTensorType>(w.getType());
    auto lo = mm->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_min");
    auto hi = mm->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_max");
    if (wTy.getRank() != 2 || wTy.getShape()[0] != k ||
        !wTy.getElementType().isF32() || !lo || !hi || lo.size() != k ||
        hi.size() != k)
      return false;
    Consumer c{mm, {}, wTy.getShape()[1], lo.asArrayRef(), hi.asArrayRef()};
    if (failed(getConstantFloats(w, c.w)))
      return false;
    consumers.push_back(std::move(c));
  }
  if (consumers.empty())
    return false;
  std::vector<float> gain, bias;
  int gi = gainOperand(p, k, gain, bias);
  if (gi < 0)
    return false;

  // S1: s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) over all consumers
  // (one factor for a tensor several projections read).
  std::vector<float> s(k, 1.0f);
  for (int64_t j = 0; j < k; ++j) {
    double a = 0, wmax = 0;
    for (const Consumer &c : consumers) {
      a = std::max({a, std::fabs(double(c.lo[j])), std::fabs(double(c.hi[j]))});
      for (int64_t n = 0; n < c.n; ++n)
        wmax = std::max(wmax, std::fabs(double(c.w[j * c.n + n])));
    }
    if (a > 0 && wmax > 0)
      s[j] = float(std::clamp(std::pow(a, double(alpha)) /
                                  std::pow(wmax, 1.0 - double(alpha)),
                              double(kMinScale), double(kMaxScale)));
  }

  OpBuilder b(p);
  Location loc = p->getLoc();
  for (int64_t j = 0; j < k; ++j) {
    gain[j] /= s[j];
    if (!bias.empty())
      bias[j] /= s[j];
  }
  Value g = p->getOperand(gi);
  p->setOperand(gi,
                f32Constant(b, loc, cast<RankedTensorType>(g.getType()), gain));
  eraseIfDead(g);
  if (!bias.empty()) {
    auto ln = cast<LayerNormOp>(p);
    Value old = ln.getBias();
    ln.getBiasMutable().assign(
        f32Constant(b, loc, cast<RankedTensorType>(old.getType()), bias));
    eraseIfDead(old);
  }
  // S4: the weights' rows times s, the consumers' statistics divided by
  // it; a range a calibration method chose from the unsmoothed histogram
  // no longer applies, so the smoothed layer uses its min-max range.
  Builder attrs(p->getContext());
  for (Consumer &c : consumers) {
    std::vector<float> lo(k), hi(k);
    float tmin = 0, tmax = 0;
    for (int64_t j = 0; j < k; ++j) {
      for (int64_t n = 0; n < c.n; ++n)
        c.w[j * c.n + n] *= s[j];
      lo[j] = c.lo[j] / s[j];
      hi[j] = c.hi[j] / s[j];
      tmin = j ? std::min(tmin, lo[j]) : lo[j];
      tmax = j ? std::max(tmax, hi[j]) : hi[j];
    }
    OpBuilder wb(c.op);
    Value old = c.op.getRhs();
    c.op.getRhsMutable().assign(f32Constant(
        wb, c.op.getLoc(), cast<RankedTensorType>(old.getType()), c.w));
    eraseIfDead(old);
    c.op->setAttr("qc.lhs_channel_min", attrs.getDenseF32ArrayAttr(lo));
    c.op->setAttr("qc.lhs_channel_max", attrs.getDenseF32ArrayAttr(hi));
    c.op->setAttr("qc.lhs_stats",
                  StatsAttr::get(p->getContext(), attrs.getF32FloatAttr(tmin),
                                 attrs.getF32FloatAttr(tmax),
                                 attrs.getF32FloatAttr(std::max(
                                     std::fabs(tmin), std::fabs(tmax)))));
    // B1's channel means are of the divided input too.
    if (auto mean =
            c.op->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_mean");
        mean && int64_t(mean.size()) == k) {
      std::vector<float> m(mean.asArrayRef().begin(), mean.asArrayRef().end());
      for (int64_t j = 0; j < k; ++j)
        m[j] /= s[j];
      c.op->setAttr("qc.lhs_channel_mean", attrs.getDenseF32ArrayAttr(m));
    }
    c.op->removeAttr("qc.lhs_range");
    c.op->removeAttr("qc.calib_method");
    c.op->setAttr("qc.smooth_alpha", attrs.getF32FloatAttr(alpha));
    // GPTQ's Hessian of the new input x / s.
    transformHessian(c.op, [&](int64_t i, int64_t j, float h) {
      return h / (s[i] * s[j]);
    });
  }
  return true;
}
/// The ops whose result smoothing may divide, in walk order (so a copy of
/// the function lists its own in the same order).
SmallVector<Operation *> producersOf(func::FuncOp fn) {
  SmallVector<Operation *> producers;
  fn.walk([&](Operation *op) {
    if (isa<LayerNormOp, RmsNormOp, MulOp>(op))
      producers.push_back(op);
  });
  return producers;
}

struct SmoothQuantPass : public qc::impl::QCSmoothQuantBase<SmoothQuantPass> {
  using QCSmoothQuantBase::QCSmoothQuantBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmoothQuantOptions o;
    o.alpha = alpha;
    o.format = format;
    o.biasCorrection = biasCorrection;
    FailureOr<std::vector<double>> list =
        parseAlphaList(fn.getLoc(), alphas, "qc-smooth-quant: alphas");
    if (failed(list))
      return signalPassFailure();
    o.alphas = std::move(*list);
    FailureOr<std::vector<Tensor>> data = std::vector<Tensor>();
    if (!o.alphas.empty()) {
      if (inputs.empty()) {
        fn.emitError("qc-smooth-quant: searching alphas needs calibration "
                     "data: give inputs=<file.npz>");
        return signalPassFailure();
      }
      data = readModelInputs(fn, inputs);
    }
    if (failed(data) || failed(smoothQuant(fn, o, *data)))
      return signalPassFailure();
  }
};
} // namespace

FailureOr<std::vector<double>>
quantc::qc::parseAlphaList(Location loc, StringRef text, StringRef what) {
  std::vector<double> out;
  for (const std::string &item : splitList(text)) {
    double v;
    if (StringRef(item).getAsDouble(v))
      return emitError(loc) << what << ": '" << item << "' is not a number";
    out.push_back(v);
  }
  return out;
}

LogicalResult quantc::qc::smoothQuant(func::FuncOp fn,
                                      const SmoothQuantOptions &o,
                                      ArrayRef<Tensor> inputs) {
  for (double a : llvm::concat<const double>(ArrayRef<double>(o.alpha),
                                             ArrayRef<double>(o.alphas)))
    if (!(a >= 0.0 && a <= 1.0))
      return fn.emitError() << "qc-smooth-quant: alpha must be in [0, 1], got "
                            << a;
  SmallVector<Operation *> producers = producersOf(fn);
  if (o.alphas.empty()) {
    for (Operation *p : producers)
      smoothGroup(p, o.alpha);
    return success();
  }
  // S5: per group, the alpha with the least output error when only that
  // group is smoothed and its matmuls quantized (the others in float).
  Executor ref(fn);
  ref.setConstantCaching(false);
  FailureOr<std::vector<Tensor>> refOut = ref.run(inputs);
  if (failed(refOut))
    return failure();
  for (size_t i = 0; i < producers.size(); ++i) {
    double bestErr = std::numeric_limits<double>::infinity(), best = -1;
    for (double a : o.alphas) {
      FailureOr<double> e =
          measureEdited(fn, inputs, *refOut, [&](func::FuncOp copy) {
            Operation *p = producersOf(copy)[i];
            SmallVector<Operation *> users(p->getResult(0).getUsers());
            if (!smoothGroup(p, a))
              return failure();
            for (Operation *u : users)
              (void)quantizeLinearOp(u, o.format, o.asymmetric, "",
                                     o.biasCorrection);
            return success();
          });
      if (failed(e))
        return failure();
      if (*e < bestErr) {
        bestErr = *e;
        best = a;
      }
    }
    if (best >= 0)
      smoothGroup(producers[i], best);
  }
  return success();
}
