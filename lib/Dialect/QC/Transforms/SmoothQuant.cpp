//===- SmoothQuant.cpp - migrate activation outliers into the weights -----===//
//
// SmoothQuant (Xiao et al.): for the matmuls that read one normalized
// tensor X [..., K] with constant weights W [K, N], divide input channel j
// by s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) and multiply weight row j by
// it. The division is folded into the constant gain (and bias) of the op
// that produced X (qc.layer_norm or qc.rms_norm over the last axis, or a
// qc.mul by a constant vector: a decomposed RMSNorm's gain), so no op is
// added and the
// float function is unchanged up to rounding. With insert-scales, a tensor
// whose producer cannot absorb the factor (a residual add also reads it, a
// GELU made it, it is a model input) is divided by an inserted qc.div in
// front of its matmuls instead (S6). Rules S1-S6 of docs/Calibration.md.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

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
  ElementsAttr weight; // read into w only when the group is smoothed
  int64_t n;
  ArrayRef<float> lo, hi;
  std::vector<float> w; // [K, N] row-major
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

/// An alpha as the user wrote it (0.5, 0.625): the shortest form.
std::string formatAlpha(double a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

/// A matmul S3 lets smoothing rescale: it reads `x` as its lhs (alone),
/// with a constant f32 weight [K, N], per-channel statistics of its input,
/// and is not smoothed yet.
std::optional<Consumer> consumerOf(Operation *user, Value x, int64_t k) {
  auto mm = dyn_cast<MatMulOp>(user);
  ElementsAttr w;
  if (!mm || mm.getLhs() != x || mm.getRhs() == x ||
      mm->hasAttr("qc.smooth_alpha") ||
      !matchPattern(mm.getRhs(), m_Constant(&w)) || !isTensorConstant(w))
    return std::nullopt;
  auto wTy = cast<RankedTensorType>(w.getType());
  auto lo = mm->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_min");
  auto hi = mm->getAttrOfType<DenseF32ArrayAttr>("qc.lhs_channel_max");
  if (wTy.getRank() != 2 || wTy.getShape()[0] != k ||
      !wTy.getElementType().isF32() || !lo || !hi || lo.size() != k ||
      hi.size() != k)
    return std::nullopt;
  return Consumer{mm, w, wTy.getShape()[1], lo.asArrayRef(), hi.asArrayRef(),
                  {}};
}

/// The matmuls of `fn` in walk order: a group is named by the index of its
/// first matmul, which inserted divisions do not move (so a copy of the
/// function finds the same group).
SmallVector<MatMulOp> matmulsOf(func::FuncOp fn) {
  SmallVector<MatMulOp> mms;
  fn.walk([&](MatMulOp mm) { mms.push_back(mm); });
  return mms;
}

/// One tensor X smoothing may divide: its matmuls, and whether its
/// producer absorbs the factor (S1-S4) or a qc.div is inserted (S6).
struct Group {
  Value x;
  SmallVector<Consumer> consumers;
  bool fold = false;
  unsigned firstMatmul = 0; // index in matmulsOf
};

/// The groups of `fn`, in the order their tensors are defined (arguments
/// first): tensors of a norm or constant-gain mul read only by qualifying
/// matmuls fold; with `insertScales`, any other tensor with a qualifying
/// matmul reader gets a division. `skipped` counts the tensors with such a
/// reader that were left alone.
SmallVector<Group> groupsOf(func::FuncOp fn, bool insertScales,
                            unsigned *skipped = nullptr) {
  SmallVector<MatMulOp> mms = matmulsOf(fn);
  llvm::DenseMap<Operation *, unsigned> mmIndex;
  for (auto [i, mm] : llvm::enumerate(mms))
    mmIndex[mm] = i;
  SmallVector<Value> values(fn.getArguments().begin(),
                            fn.getArguments().end());
  fn.walk([&](Operation *op) {
    for (Value r : op->getResults())
      values.push_back(r);
  });
  SmallVector<Group> groups;
  if (skipped)
    *skipped = 0;
  for (Value x : values) {
    auto xTy = dyn_cast<RankedTensorType>(x.getType());
    if (!xTy || xTy.getRank() == 0 || xTy.isDynamicDim(xTy.getRank() - 1) ||
        !xTy.getElementType().isF32())
      continue;
    int64_t k = xTy.getShape().back();
    Group g{x, {}, false, 0};
    bool allQualify = !x.use_empty();
    llvm::SmallPtrSet<Operation *, 4> seen;
    for (Operation *user : x.getUsers()) {
      if (!seen.insert(user).second)
        continue;
      if (std::optional<Consumer> c = consumerOf(user, x, k))
        g.consumers.push_back(std::move(*c));
      else
        allQualify = false;
    }
    if (g.consumers.empty())
      continue;
    llvm::sort(g.consumers, [&](const Consumer &a, const Consumer &b) {
      return mmIndex[a.op] < mmIndex[b.op];
    });
    g.firstMatmul = mmIndex[g.consumers.front().op];
    std::vector<float> gain, bias;
    Operation *p = x.getDefiningOp();
    // (Result 0: a layer norm's mean and inverse deviation do not scale
    // with its gain.)
    g.fold = allQualify && p && x == p->getResult(0) &&
             isa<LayerNormOp, RmsNormOp, MulOp>(p) &&
             gainOperand(p, k, gain, bias) >= 0;
    if (g.fold || insertScales)
      groups.push_back(std::move(g));
    else if (skipped)
      ++*skipped;
  }
  return groups;
}

/// S1-S4 (S6) on group `g`, with migration strength `alpha`; nothing
/// changes if a weight's values cannot be read.
void smoothGroup(Group &g, double alpha) {
  Value x = g.x;
  int64_t k = cast<RankedTensorType>(x.getType()).getShape().back();
  SmallVector<Consumer> &consumers = g.consumers;
  for (Consumer &c : consumers)
    if (failed(getConstantFloats(c.weight, c.w)))
      return;
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

  if (g.fold) {
    Operation *p = x.getDefiningOp();
    std::vector<float> gain, bias;
    int gi = gainOperand(p, k, gain, bias);
    OpBuilder b(p);
    Location loc = p->getLoc();
    for (int64_t j = 0; j < k; ++j) {
      gain[j] /= s[j];
      if (!bias.empty())
        bias[j] /= s[j];
    }
    Value gv = p->getOperand(gi);
    p->setOperand(
        gi, f32Constant(b, loc, cast<RankedTensorType>(gv.getType()), gain));
    eraseIfDead(gv);
    if (!bias.empty()) {
      auto ln = cast<LayerNormOp>(p);
      Value old = ln.getBias();
      ln.getBiasMutable().assign(
          f32Constant(b, loc, cast<RankedTensorType>(old.getType()), bias));
      eraseIfDead(old);
    }
  } else {
    // S6: x / s in front of the matmuls; x's other readers keep x.
    OpBuilder b(x.getContext());
    b.setInsertionPointAfterValue(x);
    Location loc = x.getLoc();
    Value sv = f32Constant(
        b, loc, RankedTensorType::get({k}, b.getF32Type()), s);
    Value xs = DivOp::create(b, loc, x.getType(), x, sv);
    for (Consumer &c : consumers)
      c.op.getLhsMutable().assign(xs);
  }
  // S4: the weights' rows times s, the consumers' statistics divided by
  // it; a range a calibration method chose from the unsmoothed histogram
  // no longer applies, so the smoothed layer uses its min-max range.
  Builder attrs(x.getContext());
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
    // The new weight goes before the function-level op holding the matmul
    // (a qc.fusion's body starts with its anchor).
    Operation *at = c.op;
    while (at->getParentOp() && !isa<func::FuncOp>(at->getParentOp()))
      at = at->getParentOp();
    OpBuilder wb(at);
    Value old = c.op.getRhs();
    c.op.getRhsMutable().assign(f32Constant(
        wb, c.op.getLoc(), cast<RankedTensorType>(old.getType()), c.w));
    eraseIfDead(old);
    c.op->setAttr("qc.lhs_channel_min", attrs.getDenseF32ArrayAttr(lo));
    c.op->setAttr("qc.lhs_channel_max", attrs.getDenseF32ArrayAttr(hi));
    c.op->setAttr("qc.lhs_stats",
                  StatsAttr::get(x.getContext(), attrs.getF32FloatAttr(tmin),
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
}

struct SmoothQuantPass : public qc::impl::QCSmoothQuantBase<SmoothQuantPass> {
  using QCSmoothQuantBase::QCSmoothQuantBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmoothQuantOptions o;
    o.alpha = alpha;
    o.format = format;
    o.biasCorrection = biasCorrection;
    o.insertScales = insertScales;
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
  unsigned skipped = 0;
  SmallVector<Group> groups = groupsOf(fn, o.insertScales, &skipped);
  if (skipped)
    fn.emitRemark() << "qc-smooth-quant: " << skipped
                    << " tensor(s) read by matmuls left unsmoothed: no norm "
                       "gain can absorb the factor (other ops read them too, "
                       "or their producer has no per-channel gain); "
                       "insert-scales=true divides them with a qc.div";
  if (o.alphas.empty()) {
    for (Group &g : groups)
      smoothGroup(g, o.alpha);
    return success();
  }
  // S5: per group, the alpha with the least output error when only that
  // group is smoothed and its matmuls quantized (the others in float). A
  // group is found again (in a copy, or after others were smoothed) by its
  // first matmul.
  auto find = [&](func::FuncOp f, unsigned id) -> std::optional<Group> {
    for (Group &g : groupsOf(f, o.insertScales))
      if (g.firstMatmul == id)
        return std::move(g);
    return std::nullopt;
  };
  Executor ref(fn);
  ref.setConstantCaching(false);
  FailureOr<std::vector<Tensor>> refOut = ref.run(inputs);
  if (failed(refOut))
    return failure();
  size_t done = 0;
  auto start = std::chrono::steady_clock::now();
  for (const Group &group : groups) {
    unsigned id = group.firstMatmul;
    // The group's matmuls quantized with smoothing by `a`, or without any
    // (a < 0): a group no alpha improves stays as it is.
    auto trial = [&](double a) {
      return measureEdited(fn, inputs, *refOut, [&](func::FuncOp copy) {
        std::optional<Group> g = find(copy, id);
        if (!g)
          return failure();
        SmallVector<Operation *> users;
        for (Consumer &c : g->consumers)
          users.push_back(c.op);
        if (a >= 0)
          smoothGroup(*g, a);
        for (Operation *u : users)
          (void)quantizeLinearOp(u, o.format, o.asymmetric, "",
                                 o.biasCorrection);
        return success();
      });
    };
    FailureOr<double> unsmoothed = trial(-1);
    if (failed(unsmoothed))
      return failure();
    double bestErr = *unsmoothed, best = -1;
    for (double a : o.alphas) {
      FailureOr<double> e = trial(a);
      if (failed(e))
        return failure();
      if (*e < bestErr) {
        bestErr = *e;
        best = a;
      }
    }
    if (std::optional<Group> g = find(fn, id); g && best >= 0)
      smoothGroup(*g, best);
    if (o.progress) {
      std::string name = getLayerName(group.consumers.front().op->getLoc());
      o.progress(llvm::formatv(
                     "SmoothQuant: group {0}/{1} ({2}{3}): {4}, error "
                     "{5:e2} (unsmoothed {6:e2}), {7:f1} s",
                     ++done, groups.size(), name.empty() ? "?" : name,
                     group.consumers.size() > 1
                         ? llvm::formatv(" and {0} more",
                                         group.consumers.size() - 1)
                               .str()
                         : "",
                     best >= 0 ? "alpha " + formatAlpha(best)
                               : std::string("left unsmoothed"),
                     bestErr, *unsmoothed,
                     std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count())
                     .str());
    }
  }
  return success();
}
