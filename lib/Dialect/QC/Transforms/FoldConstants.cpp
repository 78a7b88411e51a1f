//===- FoldConstants.cpp - qc-fold-constants -------------------------------===//
//
// The subgraphs of @main that depend on constants only, evaluated once by
// the Executor at compile time (Passes.td has the rules). Exact: the new
// constants hold the values the Executor computes for them on every run.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace quantc::qc {
#define GEN_PASS_DEF_QCFOLDCONSTANTS
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {

constexpr int64_t kSmallResult = 65536;

/// Element types whose values the pass writes back as constants.
bool foldableType(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return false;
  Type e = rt.getElementType();
  return e.isF32() || e.isInteger(1) || e.isSignlessInteger(8) ||
         e.isUnsignedInteger(8) || e.isSignlessInteger(32) ||
         e.isSignlessInteger(64);
}

/// qc ops whose values the pass may compute: pure, no regions, not a
/// quantization op (a scheme's codes and scales stay what they are).
bool evaluable(Operation *op) {
  if (op->getName().getDialectNamespace() != "qc" || op->getNumRegions() ||
      !isMemoryEffectFree(op) || op->getNumResults() == 0)
    return false;
  return !isa<QuantizeLinearOp, DequantizeLinearOp, QuantizeOp, DequantizeOp,
              QMatMulOp, WeightOp, FusionOp>(op) &&
         !op->getName().getStringRef().contains("quantize");
}

/// The constant holding `t` (the Executor's value of a result of `type`):
/// f32 as a blob (as imported weights are) unless it is tiny.
Attribute toAttr(RankedTensorType type, const Tensor &t) {
  Type e = type.getElementType();
  if (e.isF32() && t.f.size() <= 16) // readable in the IR
    return DenseElementsAttr::get(type, ArrayRef<float>(t.f));
  if (e.isF32())
    return DenseF32ResourceElementsAttr::get(
        type, "folded",
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(t.f)));
  if (e.isInteger(1)) {
    SmallVector<bool> v;
    for (int64_t x : t.i)
      v.push_back(x != 0);
    for (uint8_t x : t.bytes)
      v.push_back(x != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  unsigned w = e.getIntOrFloatBitWidth();
  SmallVector<APInt> v;
  if (t.kind == Tensor::Kind::Bytes)
    for (uint8_t b : t.bytes)
      v.push_back(APInt(w, e.isUnsignedInteger() ? b : int8_t(b),
                        !e.isUnsignedInteger()));
  else
    for (int64_t x : t.i)
      v.push_back(APInt(w, x, true, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, v);
}

/// Result types re-inferred in order from the operands' (now constant,
/// more static) types: each op that infers its types takes the inferred
/// one where it is at least as static and compatible.
/// qc.expand by a constant shape (its input read at run time): numpy
/// broadcasting of the input's dims and the shape's values, a dim the
/// input does not fix (1 or unknown against a value > 1) taking the value.
std::optional<Type> expandType(ExpandOp ex) {
  DenseIntElementsAttr shape;
  if (!matchPattern(ex.getShape(), m_Constant(&shape)))
    return std::nullopt;
  auto in = cast<RankedTensorType>(ex.getInput().getType());
  SmallVector<int64_t> s;
  for (const APInt &v : shape.getValues<APInt>())
    s.push_back(v.getSExtValue());
  int64_t r = std::max<int64_t>(in.getRank(), s.size());
  SmallVector<int64_t> out(r);
  for (int64_t k = 0; k < r; ++k) {
    int64_t i = k - (r - in.getRank()), j = k - (r - (int64_t)s.size());
    int64_t a = i >= 0 ? in.getDimSize(i) : 1, v = j >= 0 ? s[j] : 1;
    if (v < 0)
      return std::nullopt;
    out[k] = v == 1 ? a : (a == 1 || ShapedType::isDynamic(a) ? v : a);
    if (!ShapedType::isDynamic(a) && a != 1 && v != 1 && a != v)
      return std::nullopt; // the run reports it
  }
  return RankedTensorType::get(out, in.getElementType());
}

/// qc.range over constant scalars: [n] with the Executor's count,
/// ceil((limit - start) / delta) in double, at least 0 (f32 and integer
/// ranges alike; a zero or NaN operand is left to the run to report).
std::optional<Type> rangeType(RangeOp r) {
  auto scalar = [](Value v) -> std::optional<double> {
    DenseElementsAttr c;
    if (!matchPattern(v, m_Constant(&c)) || c.getNumElements() != 1)
      return std::nullopt;
    if (c.getElementType().isF32())
      return double(c.getSplatValue<APFloat>().convertToFloat());
    if (c.getElementType().isSignlessInteger())
      return double(c.getSplatValue<APInt>().getSExtValue());
    return std::nullopt;
  };
  std::optional<double> a = scalar(r.getStart()), b = scalar(r.getLimit()),
                        d = scalar(r.getDelta());
  if (!a || !b || !d || *d == 0 || std::isnan(*a) || std::isnan(*b) ||
      std::isnan(*d))
    return std::nullopt;
  // (a count the Executor refuses, over 2^32, stays dynamic: the run
  // reports it)
  double cnt = std::ceil((*b - *a) / *d);
  if (!(cnt < double(int64_t(1) << 32)))
    return std::nullopt;
  return RankedTensorType::get(
      {cnt > 0 ? int64_t(cnt) : 0},
      cast<RankedTensorType>(r.getType()).getElementType());
}

void refineTypes(func::FuncOp fn) {
  for (Operation &op : fn.getBody().front()) {
    SmallVector<Type> types;
    if (auto rg = dyn_cast<RangeOp>(&op)) {
      std::optional<Type> t = rangeType(rg);
      if (!t)
        continue;
      types.push_back(*t);
    } else if (auto ex = dyn_cast<ExpandOp>(&op)) {
      std::optional<Type> t = expandType(ex);
      if (!t)
        continue;
      types.push_back(*t);
    } else if (auto c = dyn_cast<CastOp>(&op)) {
      // A cast keeps its input's shape.
      types.push_back(RankedTensorType::get(
          cast<RankedTensorType>(c.getInput().getType()).getShape(),
          cast<RankedTensorType>(c.getType()).getElementType()));
    } else if (auto infer = dyn_cast<InferTypeOpInterface>(&op)) {
      if (failed(infer.inferReturnTypes(
              op.getContext(), op.getLoc(), op.getOperands(),
              op.getRawDictionaryAttrs(), op.getPropertiesStorage(),
              op.getRegions(), types)) ||
          types.size() != op.getNumResults())
        continue;
    } else {
      continue;
    }
    for (auto [r, t] : llvm::zip(op.getResults(), types)) {
      auto now = dyn_cast<RankedTensorType>(r.getType());
      auto inf = dyn_cast<RankedTensorType>(t);
      if (!now || !inf || now == inf || now.getRank() != inf.getRank() ||
          now.getElementType() != inf.getElementType())
        continue;
      bool refines = true;
      for (auto [a, b] : llvm::zip(now.getShape(), inf.getShape()))
        refines &= ShapedType::isDynamic(a) || a == b;
      if (refines && inf.getNumDynamicDims() < now.getNumDynamicDims())
        r.setType(inf);
    }
  }
  Operation *ret = fn.getBody().front().getTerminator();
  auto ft = fn.getFunctionType();
  if (!llvm::equal(ret->getOperandTypes(), ft.getResults()))
    fn.setType(FunctionType::get(fn.getContext(), ft.getInputs(),
                                 ret->getOperandTypes()));
}

struct FoldConstantsPass
    : public qc::impl::QCFoldConstantsBase<FoldConstantsPass> {
  using QCFoldConstantsBase::QCFoldConstantsBase;

  /// A result of n elements computed from constants of at most `leaf`
  /// elements each is materialized (Passes.td).
  bool fitsLimits(int64_t n, int64_t leaf) const {
    return n <= maxElements && (n <= kSmallResult || n <= leaf);
  }

  /// The Executor's values of `vals` (results of ops over constants only):
  /// a function of what they are computed from, and nothing else, run
  /// once with its diagnostics silenced.
  FailureOr<std::vector<Tensor>> evaluate(func::FuncOp fn,
                                          ArrayRef<Value> vals) {
    llvm::DenseSet<Operation *> needed;
    SmallVector<Operation *> work;
    for (Value v : vals)
      work.push_back(v.getDefiningOp());
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      if (!needed.insert(op).second)
        continue;
      for (Value v : op->getOperands())
        work.push_back(v.getDefiningOp());
    }
    OpBuilder b(&getContext());
    OwningOpRef<ModuleOp> tmp = ModuleOp::create(fn.getLoc());
    b.setInsertionPointToEnd(tmp->getBody());
    SmallVector<Type> resultTypes;
    for (Value v : vals)
      resultTypes.push_back(v.getType());
    auto eval = func::FuncOp::create(b, fn.getLoc(), "main",
                                     b.getFunctionType({}, resultTypes));
    b.setInsertionPointToEnd(eval.addEntryBlock());
    IRMapping map;
    for (Operation &op : fn.getBody().front())
      if (needed.contains(&op))
        b.clone(op, map);
    SmallVector<Value> rets;
    for (Value v : vals)
      rets.push_back(map.lookup(v));
    func::ReturnOp::create(b, fn.getLoc(), rets);
    Executor ex(eval);
    ex.setConstantCaching(false);
    ScopedDiagnosticHandler quiet(&getContext(),
                                  [](Diagnostic &) { return success(); });
    return ex.run({});
  }

  /// One round: finds the evaluable ops over constants whose results are
  /// static and within the limits (an op over the limits, and so
  /// everything after it, is left alone before anything runs), evaluates
  /// what later ops read, and replaces it with constants. Returns whether
  /// anything was folded.
  bool foldRound(func::FuncOp fn) {
    Block &body = fn.getBody().front();
    // Constant leaves, the candidate ops over them (in order), and per
    // value the largest leaf it is computed from.
    llvm::SetVector<Operation *> leaves, ops;
    llvm::DenseMap<Value, int64_t> leafMax;
    for (Operation &op : body) {
      if (auto c = dyn_cast<arith::ConstantOp>(op)) {
        auto t = dyn_cast<RankedTensorType>(c.getType());
        if (t && t.hasStaticShape()) {
          leaves.insert(&op);
          leafMax[c.getResult()] = t.getNumElements();
        }
        continue;
      }
      if (!evaluable(&op) || op.getNumOperands() == 0 ||
          !llvm::all_of(op.getOperands(),
                        [&](Value v) { return leafMax.count(v); }))
        continue;
      int64_t m = 0;
      for (Value v : op.getOperands())
        m = std::max(m, leafMax[v]);
      // Static results within the limits only: a dynamic one (an Expand
      // by a shape still computed) may be folded in a later round, once
      // its shape is a constant and its type refined.
      if (!llvm::all_of(op.getResultTypes(), [&](Type t) {
            auto rt = dyn_cast<RankedTensorType>(t);
            return foldableType(t) && rt.hasStaticShape() &&
                   fitsLimits(rt.getNumElements(), m);
          }))
        continue;
      ops.insert(&op);
      for (Value r : op.getResults())
        leafMax[r] = m;
    }
    // The values later ops (or the return) read.
    SmallVector<Value> frontier;
    for (Operation *op : ops)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(),
                         [&](Operation *u) { return !ops.contains(u); }))
          frontier.push_back(r);
    if (frontier.empty())
      return false;
    // The frontier's values, all in one run; if an op fails on its
    // constants (an out-of-range gather index: its error belongs to the
    // run, and nothing is reported here), each value alone, so only what
    // depends on the failing op stays.
    SmallVector<std::optional<Tensor>> values(frontier.size());
    if (FailureOr<std::vector<Tensor>> all = evaluate(fn, frontier);
        succeeded(all)) {
      for (auto [k, t] : llvm::enumerate(*all))
        values[k] = std::move(t);
    } else if (frontier.size() > 1) {
      for (auto [k, v] : llvm::enumerate(frontier))
        if (FailureOr<std::vector<Tensor>> one = evaluate(fn, {v});
            succeeded(one))
          values[k] = std::move((*one)[0]);
    }
    OpBuilder b(&getContext());
    bool folded = false;
    for (auto [v, t] : llvm::zip(frontier, values)) {
      auto type = cast<RankedTensorType>(v.getType());
      if (!t || t->numElements() != type.getNumElements())
        continue;
      b.setInsertionPoint(v.getDefiningOp());
      auto c = arith::ConstantOp::create(b, v.getLoc(),
                                         cast<TypedAttr>(toAttr(type, *t)));
      v.replaceAllUsesWith(c.getResult());
      folded = true;
    }
    // What is left of the folded subgraphs is dead.
    for (Operation *op : llvm::reverse(ops))
      if (op->use_empty())
        op->erase();
    for (Operation *op : llvm::reverse(leaves))
      if (op->use_empty())
        op->erase();
    return folded;
  }

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (!fn.getBody().hasOneBlock())
      return;
    // A round's constants refine the types after them (an Expand by a
    // shape now constant becomes static), which may admit more ops to the
    // next round; a few rounds reach every chain seen in exports.
    // Types first: a Range of constants has its count before anything is
    // folded.
    refineTypes(fn);
    for (int round = 0; round < 4 && foldRound(fn); ++round)
      refineTypes(fn);
  }
};

} // namespace
