//===- WidenFloats.cpp - qc-widen-floats ------------------------*- C++ -*-===//
//
// An f16 or bf16 model computed as f32 inside its function (Passes.td has
// the rule): the values the Executor holds, spelled in the IR types.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SetVector.h"

namespace quantc::qc {
#define GEN_PASS_DEF_QCWIDENFLOATS
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc::qc;

namespace {

bool isNarrow(Type t) {
  auto s = dyn_cast<RankedTensorType>(t);
  return s && isa<Float16Type, BFloat16Type>(s.getElementType());
}

RankedTensorType widened(Type t) {
  auto s = cast<RankedTensorType>(t);
  return RankedTensorType::get(s.getShape(), Float32Type::get(t.getContext()));
}

/// Whether `op` rounds to its f16/bf16 result (the Executor rounds there):
/// it keeps its type and a widening cast follows it.
bool rounds(Operation *op) { return isa<CastOp, DequantizeLinearOp>(op); }

/// `v` (f16/bf16) followed by an exact cast to f32, which takes every
/// other use of `v`.
void widenAfter(OpBuilder &b, Value v) {
  auto c = CastOp::create(b, v.getLoc(), widened(v.getType()), v);
  v.replaceAllUsesExcept(c.getResult(), c);
}

/// The Numerics format of an f16/bf16 element type.
quantc::numerics::ElemFormat narrowFormat(Type t) {
  return t.isF16() ? quantc::numerics::ElemFormat::F16
                   : quantc::numerics::ElemFormat::BF16;
}

/// The f32 constant of type `to` holding `vals`.
Attribute f32Constant(RankedTensorType to, ArrayRef<float> vals) {
  return DenseElementsAttr::get(to, vals);
}

/// The f32 constant of type `to` holding a float constant's values
/// (dense, or an f32 dense_resource blob).
FailureOr<Attribute> f32ConstantOf(Attribute value, RankedTensorType to) {
  std::vector<float> vals;
  if (failed(quantc::getConstantFloats(value, vals)))
    return failure();
  return f32Constant(to, vals);
}

/// A narrowing cast of a constant: an f32 one (the importer's FLOAT16 and
/// BFLOAT16 weights) or an integer one (a shape value cast to f16). The
/// f32 constant of its values after the cast, which the widening cast
/// after it would give, computed as the Executor's castKernel does: an
/// integer as a double (signed or not by its type), then f32, then the
/// Numerics library's roundTo (nearest even, not saturating).
FailureOr<Attribute> roundedConstant(CastOp c) {
  Attribute value;
  if (!matchPattern(c.getInput(), m_Constant(&value)))
    return failure();
  Type in = getElementTypeOrSelf(c.getInput().getType());
  std::vector<float> vals;
  if (in.isF32()) {
    if (failed(quantc::getConstantFloats(value, vals)))
      return failure();
  } else if (auto ints = dyn_cast<DenseIntElementsAttr>(value)) {
    bool isSigned = !in.isUnsignedInteger() && !in.isInteger(1);
    for (const APInt &i : ints.getValues<APInt>())
      vals.push_back(float(isSigned ? double(i.getSExtValue())
                                    : double(i.getZExtValue())));
  } else {
    return failure();
  }
  quantc::numerics::ElemFormat f =
      narrowFormat(getElementTypeOrSelf(c.getType()));
  for (float &v : vals)
    v = quantc::numerics::roundTo(f, v, /*saturate=*/false);
  return f32Constant(widened(c.getType()), vals);
}

/// `op`'s f16/bf16 attributes (a fill value: qc.constant_of_shape's,
/// qc.pad's) as f32 ones of the same values, which its widened result
/// type needs.
void widenAttributes(Operation *op) {
  Type f32 = Float32Type::get(op->getContext());
  for (NamedAttribute a : op->getAttrs()) {
    Attribute w;
    if (auto f = dyn_cast<FloatAttr>(a.getValue());
        f && isa<Float16Type, BFloat16Type>(f.getType()))
      w = FloatAttr::get(f32, f.getValueAsDouble());
    if (auto d = dyn_cast<DenseFPElementsAttr>(a.getValue());
        d && isNarrow(d.getType()))
      if (FailureOr<Attribute> v = f32ConstantOf(d, widened(d.getType()));
          succeeded(v))
        w = *v;
    if (w)
      op->setAttr(a.getName(), w);
  }
}

struct WidenFloatsPass
    : public quantc::qc::impl::QCWidenFloatsBase<WidenFloatsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    bool any = llvm::any_of(fn.getArgumentTypes(), isNarrow) ||
               llvm::any_of(fn.getResultTypes(), isNarrow);
    fn.walk([&](Operation *op) {
      any |= llvm::any_of(op->getResultTypes(), isNarrow);
    });
    if (!any)
      return;
    // A cast of an f16/bf16 value to its own type (an fp16 export's Cast
    // to FLOAT16 of a FLOAT16 value) is the value itself; widened, it would
    // become a rounding cast that hides a constant from qc-fold-constants.
    fn.walk([](CastOp c) {
      if (isNarrow(c.getType()) && c.getInput().getType() == c.getType()) {
        c.getResult().replaceAllUsesWith(c.getInput());
        c.erase();
      }
    });
    Block &entry = fn.getBody().front();
    OpBuilder b(fn.getContext());
    b.setInsertionPointToStart(&entry);
    for (BlockArgument a : entry.getArguments())
      if (isNarrow(a.getType()))
        widenAfter(b, a);
    SmallVector<Operation *> ops;
    llvm::SetVector<Operation *> dead;
    fn.walk([&](Operation *op) {
      if (op != fn && !isa<func::ReturnOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (op->getNumResults() == 0 ||
          !llvm::any_of(op->getResultTypes(), isNarrow))
        continue;
      b.setInsertionPointAfter(op);
      if (auto c = dyn_cast<CastOp>(op)) {
        if (FailureOr<Attribute> v = roundedConstant(c); succeeded(v)) {
          c.getResult().replaceAllUsesWith(
              arith::ConstantOp::create(b, c.getLoc(), cast<TypedAttr>(*v))
                  .getResult());
          dead.insert(c);
          continue;
        }
      }
      if (rounds(op)) {
        for (Value r : op->getResults())
          if (isNarrow(r.getType()))
            widenAfter(b, r);
        continue;
      }
      if (auto c = dyn_cast<arith::ConstantOp>(op)) {
        FailureOr<Attribute> v =
            f32ConstantOf(c.getValue(), widened(c.getType()));
        if (failed(v)) {
          op->emitError("qc-widen-floats: an f16/bf16 constant that is no "
                        "dense float tensor");
          return signalPassFailure();
        }
        c.setValueAttr(cast<TypedAttr>(*v));
        c.getResult().setType(widened(c.getType()));
        continue;
      }
      for (Value r : op->getResults())
        if (isNarrow(r.getType()))
          r.setType(widened(r.getType()));
      widenAttributes(op);
    }
    // The function's f16/bf16 results: narrowed before the return.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    b.setInsertionPoint(ret);
    for (auto [i, t] : llvm::enumerate(fn.getResultTypes())) {
      Value v = ret.getOperand(i);
      if (!isNarrow(t) || v.getType() == t)
        continue;
      // (A rounding op's own result, when only its widening stands
      // between it and the return.)
      auto w = v.getDefiningOp<CastOp>();
      ret.setOperand(i, w && w.getInput().getType() == t
                            ? w.getInput()
                            : CastOp::create(b, v.getLoc(), t, v).getResult());
    }
    // Casts from f16/bf16 to f32 now read f32: the value itself.
    for (Operation *op : ops)
      if (auto c = dyn_cast<CastOp>(op);
          c && !dead.contains(op) && c.getInput().getType() == c.getType()) {
        c.getResult().replaceAllUsesWith(c.getInput());
        dead.insert(c);
      }
    for (Operation *op : ops)
      if (!dead.contains(op) &&
          failed(mlir::verify(op, /*verifyRecursively=*/false))) {
        op->emitError("qc-widen-floats: this op does not take f32 in place "
                      "of f16/bf16");
        return signalPassFailure();
      }
    // The rounded constants' casts, and their constants if nothing else
    // reads them.
    for (Operation *op : dead) {
      Operation *in = op->getOperand(0).getDefiningOp();
      op->erase();
      if (in && in->use_empty())
        in->erase();
    }
    // Widening casts nothing reads (a rounding op's result returned as it
    // is).
    fn.walk([](CastOp c) {
      if (c->use_empty() && isNarrow(c.getInput().getType()) &&
          !isNarrow(c.getType()))
        c.erase();
    });
  }
};

} // namespace
