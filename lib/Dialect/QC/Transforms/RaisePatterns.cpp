//===- RaisePatterns.cpp - decomposed subgraphs to single qc ops ----------===//
//
// Rules R1-R6 of docs/Calibration.md: the op-by-op spellings of
// LayerNormalization, RMSNorm, GELU (erf and tanh forms), SiLU, scaled
// dot-product attention and HardSwish that PyTorch's ONNX exporter and the
// usual converters write become qc.layer_norm, qc.rms_norm, qc.gelu,
// qc.silu, qc.attention and qc.hard_swish. A match needs every intermediate value to be used only
// inside the pattern (a value read elsewhere stays computed), constants
// where the formula has constants, and no broadcast that would change the
// result's shape. Products are matched up to the order of their factors
// (x * 0.5 * (1 + erf(x / sqrt 2)) in any association, a division by a
// constant read as a product by its inverse).
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace quantc::qc {
#define GEN_PASS_DEF_QCRAISEPATTERNS
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {

RankedTensorType tensorTy(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// The value of a float constant whose elements are all equal (a scalar,
/// a [1] or a splat of any shape), if `v` is one.
std::optional<double> scalarConstant(Value v) {
  Attribute a;
  if (!matchPattern(v, m_Constant(&a)) || !isTensorConstant(a) ||
      !isa<FloatType>(tensorTy(v).getElementType()))
    return std::nullopt;
  std::vector<float> f;
  if (failed(getConstantFloats(a, f)) || f.empty() ||
      llvm::any_of(f, [&](float x) { return x != f[0]; }))
    return std::nullopt;
  return f[0];
}

/// Whether `got` is `want` to within f32 rounding of the constant as an
/// exporter writes it (relative 1e-6: the f32 of 1/sqrt(2) and of sqrt(2)'s
/// inverse differ by an ulp).
bool near(double got, double want) {
  return std::fabs(got - want) <= 1e-6 * std::fabs(want);
}

/// Whether every use of `v` is by an op in `inside`.
bool usedOnlyBy(Value v, ArrayRef<Operation *> inside) {
  return llvm::all_of(v.getUsers(), [&](Operation *u) {
    return llvm::is_contained(inside, u);
  });
}

/// A product flattened: the non-constant factors and the product of the
/// scalar constants. Collects through qc.mul and through qc.div by a scalar
/// constant, for values of exactly `type` used once (the root may have more
/// uses); a factor that would broadcast is refused.
struct Product {
  SmallVector<Value> factors;
  double constant = 1.0;
};

bool flatten(Value v, Type type, bool root, Product &p) {
  if (!root && !v.hasOneUse())
    return (p.factors.push_back(v), true);
  Operation *def = v.getDefiningOp();
  auto binary = [&](Value a, Value b, bool divide) {
    for (Value o : {a, b}) {
      if (o == b && divide) {
        std::optional<double> c = scalarConstant(o);
        if (!c || *c == 0.0)
          return false;
        p.constant /= *c;
        continue;
      }
      if (std::optional<double> c = scalarConstant(o)) {
        p.constant *= *c;
        continue;
      }
      if (o.getType() != type || !flatten(o, type, false, p))
        return false;
    }
    return true;
  };
  if (auto m = dyn_cast_or_null<MulOp>(def); m && m.getType() == type)
    return binary(m.getLhs(), m.getRhs(), false);
  if (auto d = dyn_cast_or_null<DivOp>(def);
      d && d.getType() == type && scalarConstant(d.getRhs()))
    return binary(d.getLhs(), d.getRhs(), true);
  p.factors.push_back(v);
  return true;
}

/// `v` = the product `c * x` (x a single factor), returning x.
Value scaledBy(Value v, double c) {
  Product p;
  if (!flatten(v, v.getType(), true, p) || p.factors.size() != 1 ||
      !near(p.constant, c))
    return {};
  return p.factors[0];
}

/// `v` = `other + 1` (an add with the constant 1), returning other.
Value plusOne(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add || !v.hasOneUse() || add.getType() != v.getType())
    return {};
  for (int i = 0; i < 2; ++i)
    if (std::optional<double> c = scalarConstant(add->getOperand(i));
        c && *c == 1.0 && add->getOperand(1 - i).getType() == v.getType())
      return add->getOperand(1 - i);
  return {};
}

/// `v` = x^3 (qc.pow by the constant 3, or x * x * x), returning x.
Value cubeOf(Value v) {
  if (auto pw = v.getDefiningOp<PowOp>()) {
    std::optional<double> e = scalarConstant(pw.getRhs());
    return e && *e == 3.0 && v.hasOneUse() ? pw.getLhs() : Value();
  }
  Product p;
  if (!v.hasOneUse() || !flatten(v, v.getType(), true, p) ||
      p.factors.size() != 3 || p.constant != 1.0 ||
      !llvm::all_equal(p.factors))
    return {};
  return p.factors[0];
}

/// `v` = x^2 (qc.pow by the constant 2, or x * x), returning x.
Value squareOf(Value v) {
  if (auto pw = v.getDefiningOp<PowOp>()) {
    std::optional<double> e = scalarConstant(pw.getRhs());
    return e && *e == 2.0 ? pw.getLhs() : Value();
  }
  if (auto m = v.getDefiningOp<MulOp>(); m && m.getLhs() == m.getRhs())
    return m.getLhs();
  return {};
}

//===----------------------------------------------------------------------===//
// R1: SiLU
//===----------------------------------------------------------------------===//

/// x * sigmoid(x) -> qc.silu(x).
struct RaiseSilu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto sig = mul->getOperand(i).getDefiningOp<SigmoidOp>();
      Value x = mul->getOperand(1 - i);
      if (sig && sig.getInput() == x && sig->hasOneUse() &&
          x.getType() == mul.getType()) {
        rewriter.replaceOpWithNewOp<SiluOp>(mul, x);
        return success();
      }
    }
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// R2: GELU
//===----------------------------------------------------------------------===//

/// 0.5 * x * (1 + erf(x / sqrt 2)) -> qc.gelu none;
/// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) -> qc.gelu tanh.
struct RaiseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    Product p;
    if (!flatten(mul.getResult(), mul.getType(), true, p) ||
        p.factors.size() != 2 || !near(p.constant, 0.5))
      return failure();
    for (int i = 0; i < 2; ++i) {
      Value x = p.factors[i], inner = plusOne(p.factors[1 - i]);
      if (!inner || !isa<FloatType>(tensorTy(x).getElementType()))
        continue;
      if (auto erf = inner.getDefiningOp<ErfOp>();
          erf && erf->hasOneUse() &&
          scaledBy(erf.getInput(), M_SQRT1_2) == x) {
        rewriter.replaceOpWithNewOp<GeluOp>(mul, mul.getType(), x,
                                            GeluApproximation::none);
        return success();
      }
      auto th = inner.getDefiningOp<TanhOp>();
      if (!th || !th->hasOneUse())
        continue;
      Value poly = scaledBy(th.getInput(), std::sqrt(2.0 / M_PI));
      auto add = poly ? poly.getDefiningOp<AddOp>() : AddOp();
      if (!add || !poly.hasOneUse())
        continue;
      for (int j = 0; j < 2; ++j) {
        if (add->getOperand(j) != x)
          continue;
        // 0.044715 x^3: the constant times Pow(x, 3), or times x x x (the
        // product flattened into three factors x).
        Value cubed = add->getOperand(1 - j);
        Product q;
        bool match = cubed.hasOneUse() &&
                     flatten(cubed, cubed.getType(), true, q) &&
                     near(q.constant, 0.044715) &&
                     ((q.factors.size() == 1 && cubeOf(q.factors[0]) == x) ||
                      (q.factors.size() == 3 &&
                       llvm::all_of(q.factors,
                                    [&](Value f) { return f == x; })));
        if (match) {
          rewriter.replaceOpWithNewOp<GeluOp>(mul, mul.getType(), x,
                                              GeluApproximation::tanh);
          return success();
        }
      }
    }
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// R6: HardSwish
//===----------------------------------------------------------------------===//

/// x * clip(x + 3, 0, 6) / 6 (a product in any order, the division as a
/// product by 1/6) -> qc.hard_swish(x), as MobileNetV3-style backbones are
/// exported (PP-OCR's PP-LCNet).
template <typename OpTy> struct RaiseHardSwish : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy root,
                                PatternRewriter &rewriter) const override {
    Product p;
    if (!flatten(root.getResult(), root.getType(), true, p) ||
        p.factors.size() != 2 || !near(p.constant, 1.0 / 6.0))
      return failure();
    for (int i = 0; i < 2; ++i) {
      Value x = p.factors[i];
      auto clip = p.factors[1 - i].template getDefiningOp<ClipOp>();
      if (!clip || !clip->hasOneUse() || !clip.getMin() || !clip.getMax() ||
          clip.getMin()->convertToDouble() != 0.0 ||
          clip.getMax()->convertToDouble() != 6.0)
        continue;
      auto add = clip.getInput().template getDefiningOp<AddOp>();
      if (!add || !clip.getInput().hasOneUse() || add.getType() != x.getType())
        continue;
      for (int j = 0; j < 2; ++j) {
        std::optional<double> c = scalarConstant(add->getOperand(j));
        if (c && *c == 3.0 && add->getOperand(1 - j) == x &&
            x.getType() == root.getType()) {
          rewriter.template replaceOpWithNewOp<HardSwishOp>(root, x);
          return success();
        }
      }
    }
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// R3, R4: LayerNorm, RMSNorm
//===----------------------------------------------------------------------===//

/// The first normalized axis when `axes` are the trailing axes of a tensor
/// of rank `rank` (sorted, contiguous, ending at rank - 1).
std::optional<int64_t> trailingAxis(ArrayRef<int64_t> axes, int64_t rank) {
  if (axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// `v` = reduce_mean(`of`) over trailing axes with keepdims; returns the
/// first axis.
std::optional<int64_t> meanOver(Value v, Value &of) {
  auto rm = v.getDefiningOp<ReduceMeanOp>();
  if (!rm || !rm.getKeepdims())
    return std::nullopt;
  of = rm.getInput();
  return trailingAxis(rm.getAxes(), tensorTy(of).getRank());
}

/// A parameter of a norm over dims [axis, rank) of `x`: `p` if it
/// broadcasts (unidirectionally) to those dims, else a view without its
/// leading 1s when that does; null if neither.
Value normParam(PatternRewriter &rewriter, Location loc, Value p, Value x,
                int64_t axis) {
  auto pt = tensorTy(p), xt = tensorTy(x);
  if (pt.getElementType() != xt.getElementType() || !pt.hasStaticShape())
    return {};
  ArrayRef<int64_t> norm = xt.getShape().drop_front(axis), ps = pt.getShape();
  while (ps.size() > norm.size() && ps.front() == 1)
    ps = ps.drop_front();
  if (ps.size() > norm.size())
    return {};
  for (auto [d, s] : llvm::zip(llvm::reverse(norm), llvm::reverse(ps)))
    if (s != 1 && s != d)
      return {};
  if (ps.size() == (size_t)pt.getRank())
    return p;
  auto view = RankedTensorType::get(ps, pt.getElementType());
  Attribute a;
  if (matchPattern(p, m_Constant(&a))) {
    if (auto d = dyn_cast<DenseElementsAttr>(a))
      return arith::ConstantOp::create(rewriter, loc, view, d.reshape(view));
    if (auto r = dyn_cast<DenseResourceElementsAttr>(a))
      return arith::ConstantOp::create(
          rewriter, loc, view,
          DenseResourceElementsAttr::get(view, r.getRawHandle()));
  }
  return ReshapeOp::create(rewriter, loc, view, p,
                           rewriter.getDenseI64ArrayAttr(ps));
}

/// A norm's normalized value `n` (the Div) followed by an optional gain
/// Mul and (layer norm) bias Add: the op to replace and the gain and bias,
/// turned into parameters of the norm over [axis, rank).
struct Affine {
  Operation *last;
  Value gain, bias;
};
Affine affineAfter(PatternRewriter &rewriter, Operation *n, Value x,
                   int64_t axis, bool withBias) {
  Affine r{n, {}, {}};
  Value y = n->getResult(0);
  // The user of y that takes a parameter p with it (y * p, y + p): p
  // viewed as a parameter of the norm, built where that user is (p may be
  // computed after the division).
  auto takeParam = [&](auto user, Value &param) {
    if (!user || user.getType() != y.getType() || !y.hasOneUse())
      return;
    Value p = user.getLhs() == y ? user.getRhs() : user.getLhs();
    rewriter.setInsertionPoint(user);
    if (Value v = normParam(rewriter, user.getLoc(), p, x, axis)) {
      r.last = user;
      param = v;
      y = user.getResult();
    }
  };
  auto single = [&](Value v) -> Operation * {
    return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
  };
  takeParam(dyn_cast_or_null<MulOp>(single(y)), r.gain);
  if (withBias)
    takeParam(dyn_cast_or_null<AddOp>(single(y)), r.bias);
  return r;
}

/// Ones of the normalized dims, the gain of a norm written without one.
Value ones(PatternRewriter &rewriter, Location loc, Value x, int64_t axis) {
  auto xt = tensorTy(x);
  auto t = RankedTensorType::get(xt.getShape().drop_front(axis),
                                 xt.getElementType());
  return arith::ConstantOp::create(
      rewriter, loc, t,
      DenseElementsAttr::get(t, rewriter.getFloatAttr(xt.getElementType(), 1.0)));
}

/// The denominator sqrt(mean + eps) of a norm: matches `v`, returns mean
/// and eps. One use each.
bool rootOfMeanPlusEps(Value v, Value &mean, double &eps) {
  auto sq = v.getDefiningOp<SqrtOp>();
  if (!sq || !v.hasOneUse())
    return false;
  auto add = sq.getInput().getDefiningOp<AddOp>();
  if (!add || !sq.getInput().hasOneUse())
    return false;
  for (int i = 0; i < 2; ++i)
    if (std::optional<double> c = scalarConstant(add->getOperand(i));
        c && *c >= 0 && add->getOperand(1 - i).getType() == add.getType()) {
      mean = add->getOperand(1 - i);
      eps = *c;
      return mean.hasOneUse();
    }
  return false;
}

/// x / sqrt(mean(x^2) + eps) [* gain] -> qc.rms_norm;
/// d / sqrt(mean(d^2) + eps) [* gain] [+ bias] with d = x - mean(x) ->
/// qc.layer_norm. Anchored at the division.
struct RaiseNorm : OpRewritePattern<DivOp> {
  RaiseNorm(MLIRContext *ctx, bool layer, bool rms)
      : OpRewritePattern(ctx), layer(layer), rms(rms) {}
  bool layer, rms;

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    Value num = div.getLhs(), mean;
    double eps;
    if (num.getType() != div.getType() ||
        !rootOfMeanPlusEps(div.getRhs(), mean, eps))
      return failure();
    Value squared;
    std::optional<int64_t> axis = meanOver(mean, squared);
    if (!axis || !squared.hasOneUse() || squareOf(squared) != num)
      return failure();
    // The normalized dims must be static: a norm written without a gain
    // gets a constant of ones over them.
    if (ShapedType::isDynamicShape(tensorTy(num).getShape().drop_front(*axis)))
      return failure();
    Operation *sqOp = squared.getDefiningOp();
    // LayerNorm: num = x - mean(x), read only by the square and the div.
    auto sub = num.getDefiningOp<SubOp>();
    Value x, mu;
    std::optional<int64_t> muAxis;
    if (sub && sub.getType() == num.getType() &&
        (muAxis = meanOver(sub.getRhs(), mu)) && mu == sub.getLhs() &&
        *muAxis == *axis && sub.getRhs().hasOneUse() &&
        usedOnlyBy(num, {sqOp, div}))
      x = sub.getLhs();
    if (x ? !layer : !rms)
      return failure();
    // The norm replaces the last op of the pattern and is built there: its
    // gain and bias may be computed after the division.
    if (x) {
      Affine af = affineAfter(rewriter, div, x, *axis, /*withBias=*/true);
      rewriter.setInsertionPoint(af.last);
      Value gain = af.gain ? af.gain : ones(rewriter, div.getLoc(), x, *axis);
      auto stat = tensorTy(mean);
      auto ln = LayerNormOp::create(
          rewriter, div.getLoc(), TypeRange{x.getType(), stat, stat}, x, gain,
          af.bias, rewriter.getI64IntegerAttr(*axis),
          rewriter.getF32FloatAttr(eps));
      rewriter.replaceOp(af.last, ln.getResult());
      return success();
    }
    // RMSNorm: the numerator is x itself (which may have other users).
    x = num;
    Affine af = affineAfter(rewriter, div, x, *axis, /*withBias=*/false);
    rewriter.setInsertionPoint(af.last);
    Value gain = af.gain ? af.gain : ones(rewriter, div.getLoc(), x, *axis);
    rewriter.replaceOpWithNewOp<RmsNormOp>(af.last, x, gain,
                                           rewriter.getI64IntegerAttr(*axis),
                                           rewriter.getF32FloatAttr(eps));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// R5: attention
//===----------------------------------------------------------------------===//

/// softmax(mask(scale * (q x key_t)), -1) x v -> qc.attention, anchored at
/// the second matmul. The scale is a qc.mul or qc.div by a scalar constant
/// (absent: 1); the mask a qc.add of a float tensor or a
/// qc.where(mask, scores, constant); each may be absent.
struct RaiseAttention : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp pv,
                                PatternRewriter &rewriter) const override {
    auto sm = pv.getLhs().getDefiningOp<SoftmaxOp>();
    if (!sm || !pv.getLhs().hasOneUse() ||
        static_cast<int64_t>(sm.getAxis()) !=
            tensorTy(sm.getInput()).getRank() - 1)
      return failure();
    Value s = sm.getInput(), mask;
    std::optional<float> maskValue;
    Type scoresTy = s.getType();
    if (!s.hasOneUse())
      return failure();
    if (auto add = s.getDefiningOp<AddOp>()) {
      // The scores are the operand of the full type that a matmul, or a
      // scaling of one, produced; the other operand is the mask.
      for (int i = 0; i < 2 && !mask; ++i) {
        Value scores = add->getOperand(i), m = add->getOperand(1 - i);
        Operation *def = scores.getDefiningOp();
        if (scores.getType() == scoresTy && def &&
            isa<MatMulOp, MulOp, DivOp>(def) &&
            tensorTy(m).getElementType() == tensorTy(s).getElementType()) {
          mask = m;
          s = scores;
        }
      }
    } else if (auto w = s.getDefiningOp<WhereOp>()) {
      std::optional<double> fill = scalarConstant(w.getRhs());
      if (fill && w.getLhs().getType() == scoresTy) {
        mask = w.getCondition();
        maskValue = float(*fill);
        s = w.getLhs();
      }
    }
    if (mask && !s.hasOneUse())
      return failure();
    double scale = 1.0;
    Value qk = s;
    if (auto m = s.getDefiningOp<MulOp>()) {
      for (int i = 0; i < 2; ++i)
        if (std::optional<double> c = scalarConstant(m->getOperand(i));
            c && m->getOperand(1 - i).getType() == scoresTy) {
          scale = *c;
          qk = m->getOperand(1 - i);
          break;
        }
    } else if (auto d = s.getDefiningOp<DivOp>()) {
      std::optional<double> c = scalarConstant(d.getRhs());
      if (c && *c != 0.0 && d.getLhs().getType() == scoresTy) {
        scale = 1.0 / *c;
        qk = d.getLhs();
      }
    }
    auto mm = qk.getDefiningOp<MatMulOp>();
    if (!mm || (qk != s && !qk.hasOneUse()) || !s.hasOneUse() ||
        tensorTy(mm.getLhs()).getRank() < 2 ||
        tensorTy(mm.getRhs()).getRank() < 2 ||
        tensorTy(pv.getRhs()).getRank() < 2 ||
        !isa<FloatType>(tensorTy(qk).getElementType()))
      return failure();
    auto op = AttentionOp::create(
        rewriter, pv.getLoc(), pv.getType(), mm.getLhs(), mm.getRhs(),
        pv.getRhs(), mask, rewriter.getF32FloatAttr(float(scale)),
        maskValue ? rewriter.getF32FloatAttr(*maskValue) : FloatAttr());
    rewriter.replaceOp(pv, op.getResult());
    return success();
  }
};

/// The pattern names of the `patterns` option, in rule order.
constexpr llvm::StringLiteral kPatternNames[] = {
    "silu", "gelu", "layer-norm", "rms-norm", "attention", "hard-swish"};

struct RaisePatternsPass
    : public qc::impl::QCRaisePatternsBase<RaisePatternsPass> {
  using QCRaisePatternsBase::QCRaisePatternsBase;

  void runOnOperation() override {
    FailureOr<llvm::StringSet<>> set =
        parseRaisePatterns(getOperation().getLoc(), patterns);
    if (failed(set))
      return signalPassFailure();
    RewritePatternSet ps(&getContext());
    populateRaisePatterns(ps, *set);
    if (failed(applyPatternsGreedily(getOperation(), std::move(ps))))
      return signalPassFailure();
  }
};

} // namespace

FailureOr<llvm::StringSet<>> quantc::qc::parseRaisePatterns(Location loc,
                                                            StringRef list) {
  llvm::StringSet<> set;
  for (const std::string &name : splitList(list)) {
    if (name == "all") {
      for (StringRef n : kPatternNames)
        set.insert(n);
      continue;
    }
    if (!llvm::is_contained(kPatternNames, name)) {
      auto diag = emitError(loc) << "qc-raise-patterns: unknown pattern '"
                                 << name << "'; known: all";
      for (StringRef n : kPatternNames)
        diag << ", " << n;
      return failure();
    }
    set.insert(name);
  }
  return set;
}

bool quantc::qc::isRaisedOp(Operation *op) {
  return isa<SiluOp, GeluOp, LayerNormOp, RmsNormOp, AttentionOp,
             HardSwishOp>(op);
}

void quantc::qc::populateRaisePatterns(RewritePatternSet &patterns,
                                       const llvm::StringSet<> &enabled) {
  MLIRContext *ctx = patterns.getContext();
  if (enabled.contains("silu"))
    patterns.add<RaiseSilu>(ctx);
  if (enabled.contains("gelu"))
    patterns.add<RaiseGelu>(ctx);
  if (enabled.contains("layer-norm") || enabled.contains("rms-norm"))
    patterns.add<RaiseNorm>(ctx, enabled.contains("layer-norm"),
                            enabled.contains("rms-norm"));
  if (enabled.contains("attention"))
    patterns.add<RaiseAttention>(ctx);
  if (enabled.contains("hard-swish"))
    patterns.add<RaiseHardSwish<DivOp>, RaiseHardSwish<MulOp>>(ctx);
}
