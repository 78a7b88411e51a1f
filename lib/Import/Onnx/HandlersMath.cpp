//===- HandlersMath.cpp - ONNX handlers: Math op family ------------------===//
//
// Small handlers keyed by (op type, since_version); see Handlers.cpp for the
// conventions (NodeContext, input/output counts, diagnostics). Versions that
// changed semantics get their own handler: Softmax/LogSoftmax before 13
// (2-D flattening at `axis`), Clip before 11 (bounds as attributes), the
// Reduce* ops whose axes moved from an attribute to an input (13 for
// ReduceSum, 18 for the others).
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include <array>
#include <utility>

#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {



//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

template <typename OpTy> LogicalResult importUnary(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, OpTy::create(n.builder(), n.loc, *x).getResult());
  return success();
}

/// Neg and Abs also take int64 tensors.
/// Float types and integers of 8 to 64 bits (signless or unsigned): the
/// numeric types the Math ops take.
bool isNumType(Type t) {
  if (isa<Float32Type, Float16Type, BFloat16Type, Float64Type>(t))
    return true;
  auto it = dyn_cast<IntegerType>(t);
  return it && !it.isSigned() &&
         llvm::is_contained({8u, 16u, 32u, 64u}, it.getWidth());
}

template <typename OpTy> LogicalResult importUnaryNum(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  Type et = elementTypeOf(*x);
  if (!isNumType(et)) {
    n.emitError() << "input has element type " << et
                  << "; expected a float type or an integer of 8 to 64 bits";
    return failure();
  }
  n.setOutput(0, OpTy::create(n.builder(), n.loc, *x).getResult());
  return success();
}

/// A unary op whose F32 attributes are read from the node as (name,
/// default) pairs and passed to OpTy's builder in that order; `check` may
/// reject values the ONNX spec forbids.
template <typename OpTy, size_t N, size_t... I>
LogicalResult importUnaryWithAttrs(
    NodeContext &n, const std::pair<const char *, float> (&spec)[N],
    llvm::function_ref<LogicalResult(ArrayRef<float>)> check,
    std::index_sequence<I...>) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  std::array<float, N> values;
  for (size_t i = 0; i < N; ++i) {
    FailureOr<float> v = n.floatAttr(spec[i].first, spec[i].second);
    if (failed(v))
      return failure();
    values[i] = *v;
  }
  if (check && failed(check(values)))
    return failure();
  n.setOutput(0, OpTy::create(n.builder(), n.loc, x->getType(), *x,
                              n.builder().getF32FloatAttr(values[I])...)
                     .getResult());
  return success();
}

template <typename OpTy, size_t N>
LogicalResult importUnaryWithAttrs(
    NodeContext &n, const std::pair<const char *, float> (&spec)[N],
    llvm::function_ref<LogicalResult(ArrayRef<float>)> check = nullptr) {
  return importUnaryWithAttrs<OpTy>(n, spec, check,
                                    std::make_index_sequence<N>());
}

LogicalResult importLeakyRelu(NodeContext &n) {
  return importUnaryWithAttrs<qc::LeakyReluOp>(n, {{"alpha", 0.01f}});
}

LogicalResult importElu(NodeContext &n) {
  return importUnaryWithAttrs<qc::EluOp>(n, {{"alpha", 1.0f}});
}

LogicalResult importSelu(NodeContext &n) {
  return importUnaryWithAttrs<qc::SeluOp>(
      n, {{"alpha", 1.67326319217681884765625f},
          {"gamma", 1.05070102214813232421875f}});
}

LogicalResult importHardSigmoid(NodeContext &n) {
  return importUnaryWithAttrs<qc::HardSigmoidOp>(
      n, {{"alpha", 0.2f}, {"beta", 0.5f}});
}

LogicalResult importCelu(NodeContext &n) {
  return importUnaryWithAttrs<qc::CeluOp>(
      n, {{"alpha", 1.0f}}, [&](ArrayRef<float> v) -> LogicalResult {
        if (v[0] != 0.0f)
          return success();
        n.emitError() << "alpha must not be 0";
        return failure();
      });
}

LogicalResult importThresholdedRelu(NodeContext &n) {
  return importUnaryWithAttrs<qc::ThresholdedReluOp>(n, {{"alpha", 1.0f}});
}

LogicalResult importShrink(NodeContext &n) {
  return importUnaryWithAttrs<qc::ShrinkOp>(
      n, {{"bias", 0.0f}, {"lambd", 0.5f}},
      [&](ArrayRef<float> v) -> LogicalResult {
        if (v[1] >= 0.0f)
          return success();
        n.emitError() << "lambd must be >= 0, got " << v[1];
        return failure();
      });
}

RankedTensorType boolLike(NodeContext &n, Value v) {
  return RankedTensorType::get(shapeOf(v), n.builder().getI1Type());
}

LogicalResult importIsNaN(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, qc::IsNaNOp::create(n.builder(), n.loc, boolLike(n, *x), *x)
                     .getResult());
  return success();
}

LogicalResult importIsInf(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  FailureOr<int64_t> pos = n.intAttr("detect_positive", 1);
  FailureOr<int64_t> neg = n.intAttr("detect_negative", 1);
  if (failed(x) || failed(pos) || failed(neg))
    return failure();
  n.setOutput(0, qc::IsInfOp::create(n.builder(), n.loc, boolLike(n, *x), *x,
                                     n.builder().getBoolAttr(*pos != 0),
                                     n.builder().getBoolAttr(*neg != 0))
                     .getResult());
  return success();
}

/// ArgMax / ArgMin 1, 11, 12, 13 (M21): the axis normalized;
/// select_last_index from 12 (absent before: the first index).
template <typename OpTy> LogicalResult importArgReduce(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<int64_t> axis = n.intAttr("axis", 0);
  FailureOr<int64_t> keepdims = n.intAttr("keepdims", 1);
  FailureOr<int64_t> last = n.intAttr("select_last_index", 0);
  if (failed(x) || failed(axis) || failed(keepdims) || failed(last))
    return failure();
  FailureOr<int64_t> ax = n.normalizeAxis(*axis, shapeOf(*x).size());
  if (failed(ax))
    return failure();
  OpBuilder &b = n.builder();
  return n.setBuilt(n.build<OpTy>(*x, b.getI64IntegerAttr(*ax),
                                  b.getBoolAttr(*keepdims != 0),
                                  b.getBoolAttr(*last != 0)));
}

/// CumSum 11, 14 (M22): the axis stays a run-time operand.
LogicalResult importCumSum(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), axis = n.anyInput(1);
  FailureOr<int64_t> exclusive = n.intAttr("exclusive", 0);
  FailureOr<int64_t> reverse = n.intAttr("reverse", 0);
  if (failed(x) || failed(axis) || failed(exclusive) || failed(reverse))
    return failure();
  OpBuilder &b = n.builder();
  return n.setBuilt(n.build<qc::CumSumOp>(*x, *axis,
                                          b.getBoolAttr(*exclusive != 0),
                                          b.getBoolAttr(*reverse != 0)));
}

/// Trilu 14 (M23): k, when given, a run-time operand.
LogicalResult importTrilu(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<Value> k = n.hasInput(1) ? n.anyInput(1) : FailureOr<Value>(Value());
  FailureOr<int64_t> upper = n.intAttr("upper", 1);
  if (failed(x) || failed(k) || failed(upper))
    return failure();
  return n.setBuilt(n.build<qc::TriluOp>(*x, *k,
                                         n.builder().getBoolAttr(*upper != 0)));
}

/// TopK 1 (attribute k), 10 (input K), 11 (largest, sorted) (M24). A
/// constant k gives the results a static extent along the axis.
LogicalResult importTopK(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", -1);
  FailureOr<int64_t> largest = n.intAttr("largest", 1);
  FailureOr<int64_t> sorted = n.intAttr("sorted", 1);
  if (failed(x) || failed(axisAttr) || failed(largest) || failed(sorted))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, in.size());
  if (failed(axis))
    return failure();
  OpBuilder &b = n.builder();
  Value k;
  std::optional<int64_t> kc;
  if (n.opsetVersion < 10) {
    if (!n.attr("k")) {
      n.emitError() << "attribute 'k' is required";
      return failure();
    }
    FailureOr<int64_t> ka = n.intAttr("k", -1);
    if (failed(ka))
      return failure();
    kc = *ka;
    k = arith::ConstantOp::create(
            b, n.loc,
            DenseElementsAttr::get(RankedTensorType::get({1}, b.getI64Type()),
                                   ArrayRef<int64_t>{*ka}))
            .getResult();
  } else {
    FailureOr<Value> kv = n.anyInput(1);
    if (failed(kv))
      return failure();
    k = *kv;
    if (const onnx::TensorProto *t = n.constantInput(1);
        t && isIntDataType(t->data_type()) && tensorToInts(*t).size() == 1)
      kc = tensorToInts(*t)[0];
  }
  if (kc && (*kc < 0 || (!ShapedType::isDynamic(in[*axis]) && *kc > in[*axis]))) {
    n.emitError() << "k = " << *kc << " is outside [0, " << in[*axis]
                  << "], the extent of axis " << *axis;
    return failure();
  }
  SmallVector<int64_t> out(in);
  out[*axis] = kc ? *kc : ShapedType::kDynamic;
  OperationState st(n.loc, qc::TopKOp::getOperationName());
  qc::TopKOp::build(b, st, RankedTensorType::get(out, elementTypeOf(*x)),
                    RankedTensorType::get(out, b.getI64Type()), *x, k,
                    b.getI64IntegerAttr(*axis), b.getBoolAttr(*largest != 0),
                    b.getBoolAttr(*sorted != 0));
  Operation *op = n.buildInferred(st);
  if (!op)
    return failure();
  n.setOutput(0, op->getResult(0));
  n.setOutput(1, op->getResult(1));
  return success();
}

/// Sum and Mean (variadic, broadcasting): a chain of qc.add, then for Mean
/// a qc.div by the input count.
template <bool IsMean> LogicalResult importSumMean(NodeContext &n) {
  FailureOr<Value> acc = n.floatInput(0);
  if (failed(acc))
    return failure();
  Value y = *acc;
  for (int i = 1; i < n.node.input_size(); ++i) {
    FailureOr<Value> v = n.floatInput(i);
    if (failed(v))
      return failure();
    auto s = qc::broadcastShapes(shapeOf(y), shapeOf(*v));
    if (failed(s)) {
      n.emitError() << "input " << i << " of shape "
                    << qc::dimsStr(shapeOf(*v)) << " does not broadcast with "
                    << qc::dimsStr(shapeOf(y));
      return failure();
    }
    y = qc::AddOp::create(n.builder(), n.loc,
                          RankedTensorType::get(*s, elementTypeOf(y)), y, *v)
            .getResult();
  }
  if (IsMean && n.node.input_size() > 1) {
    auto type = RankedTensorType::get({}, elementTypeOf(y));
    Value count = arith::ConstantOp::create(
                      n.builder(), n.loc,
                      DenseElementsAttr::get(type, (float)n.node.input_size()))
                      .getResult();
    y = qc::DivOp::create(n.builder(), n.loc, y.getType(), y, count)
            .getResult();
  }
  n.setOutput(0, y);
  return success();
}

LogicalResult importGelu(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  FailureOr<std::string> approxAttr = n.stringAttr("approximate", "none");
  if (failed(approxAttr))
    return failure();
  std::optional<qc::GeluApproximation> approx =
      qc::symbolizeGeluApproximation(*approxAttr);
  if (!approx) {
    n.emitError() << "attribute 'approximate' must be \"none\" or \"tanh\", "
                  << "got \"" << *approxAttr << "\"";
    return failure();
  }
  n.setOutput(0,
              qc::GeluOp::create(n.builder(), n.loc, *x, *approx).getResult());
  return success();
}

LogicalResult emitClip(NodeContext &n, Value x, std::optional<float> lo,
                       std::optional<float> hi) {
  if (lo && hi && *lo > *hi) {
    // ONNX leaves min > max unspecified; onnxruntime returns max everywhere.
    lo = hi;
  }
  auto attr = [&](std::optional<float> v) {
    return v ? n.builder().getF32FloatAttr(*v) : FloatAttr();
  };
  n.setOutput(0, qc::ClipOp::create(n.builder(), n.loc, x.getType(), x,
                                    attr(lo), attr(hi))
                     .getResult());
  return success();
}

/// Clip-6: bounds are attributes.
LogicalResult importClipV6(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  FailureOr<float> lo = n.floatAttr("min", -std::numeric_limits<float>::max());
  FailureOr<float> hi = n.floatAttr("max", std::numeric_limits<float>::max());
  if (failed(x) || failed(lo) || failed(hi))
    return failure();
  return emitClip(n, *x, *lo, *hi);
}

/// Clip's bound input `i` (1: min, 2: max) must be a scalar.
LogicalResult checkClipBound(NodeContext &n, int i, Value bound) {
  if (shapeOf(bound).empty())
    return success();
  n.emitError() << "input " << i << " must be a scalar, got shape "
                << qc::dimsStr(shapeOf(bound));
  return failure();
}

/// Clip's (scalar) bound input `i` applied to `y`.
Value applyClipBound(NodeContext &n, Value y, int i, Value bound) {
  if (i == 1)
    return qc::MaxOp::create(n.builder(), n.loc, y.getType(), y, bound)
        .getResult();
  return qc::MinOp::create(n.builder(), n.loc, y.getType(), y, bound)
      .getResult();
}

/// Clip-11 and later: optional scalar bound inputs. Constant bounds become
/// qc.clip's attributes; computed ones (graph inputs) become qc.max/qc.min,
/// which is the same function for min <= max.
/// Clip of an integer tensor: qc.max / qc.min with the scalar bounds (exact
/// for every width, unlike qc.clip's f32 attributes); integer constants are
/// rebuilt in the input's type.
LogicalResult importClipInt(NodeContext &n, Value x) {
  Type et = elementTypeOf(x);
  if (!isNumType(et)) {
    n.emitError() << "input has element type " << et
                  << "; expected a float type or an integer of 8 to 64 bits";
    return failure();
  }
  Value y = x;
  for (int i = 1; i <= 2; ++i) {
    if (!n.hasInput(i))
      continue;
    FailureOr<Value> b = n.anyInput(i);
    if (failed(b) || failed(checkClipBound(n, i, *b)))
      return failure();
    Value bound = *b;
    if (elementTypeOf(bound) != et) {
      auto c = bound.getDefiningOp<arith::ConstantOp>();
      auto attr = c ? dyn_cast<DenseIntElementsAttr>(c.getValue()) : nullptr;
      if (!attr) {
        n.emitError() << "input " << i << " has element type "
                      << elementTypeOf(bound) << ", expected " << et;
        return failure();
      }
      APInt v = *attr.getValues<APInt>().begin();
      v = v.sextOrTrunc(et.getIntOrFloatBitWidth());
      bound = arith::ConstantOp::create(
                  n.builder(), n.loc,
                  DenseElementsAttr::get(RankedTensorType::get({}, et), v))
                  .getResult();
    }
    y = applyClipBound(n, y, i, bound);
  }
  if (y == x)
    n.aliasOutput(0, 0);
  else
    n.setOutput(0, y);
  return success();
}

LogicalResult importClip(NodeContext &n) {
  if (n.hasInput(0) && n.graph.values.count(n.node.input(0))) {
    OnnxValue &v = n.graph.values[n.node.input(0)];
    bool isInt = v.value ? isa<IntegerType>(elementTypeOf(v.value))
                         : !isFloatDataType(v.constant->data_type());
    if (isInt) {
      FailureOr<Value> x = n.anyInput(0);
      if (failed(x))
        return failure();
      return importClipInt(n, *x);
    }
  }
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  if (n.attr("min") || n.attr("max")) {
    n.emitError() << "attributes 'min'/'max' were removed in opset 11; "
                  << "give the bounds as inputs 1 and 2";
    return failure();
  }
  bool computed = false;
  for (int i = 1; i <= 2; ++i)
    computed |= n.hasInput(i) && !n.constantInput(i);
  if (computed) {
    Value y = *x;
    for (int i = 1; i <= 2; ++i) {
      if (!n.hasInput(i))
        continue;
      FailureOr<Value> b = n.floatInput(i);
      if (failed(b) || failed(checkClipBound(n, i, *b)))
        return failure();
      y = applyClipBound(n, y, i, *b);
    }
    n.setOutput(0, y);
    return success();
  }
  std::optional<float> bounds[2];
  for (int i = 1; i <= 2; ++i) {
    if (!n.hasInput(i))
      continue;
    const onnx::TensorProto *t = n.constantInput(i);
    if (!isFloatDataType(t->data_type())) {
      n.emitError() << "input " << i << " ('" << n.node.input(i)
                    << "') must be a float tensor, got "
                    << dataTypeName(t->data_type());
      return failure();
    }
    DenseElementsAttr attr = tensorToF32Attr(*n.getContext(), *t);
    if (attr.getNumElements() != 1) {
      n.emitError() << "input " << i << " must be a scalar, got "
                    << attr.getNumElements() << " elements";
      return failure();
    }
    bounds[i - 1] = *attr.getValues<float>().begin();
  }
  return emitClip(n, *x, bounds[0], bounds[1]);
}

LogicalResult importNot(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  if (!elementTypeOf(*x).isInteger(1)) {
    n.emitError() << "input must be a bool tensor, got "
                  << elementTypeOf(*x);
    return failure();
  }
  n.setOutput(0, qc::NotOp::create(n.builder(), n.loc, *x)
                     .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

enum class Operands { Float, Num, Bool, NumOrBool };

/// Both operands, checked for element type and broadcast; returns the
/// broadcast shape.
LogicalResult binaryOperands(NodeContext &n, Value &a, Value &b, int i, int j,
                             Operands kind) {
  FailureOr<Value> x = kind == Operands::Float ? n.floatInput(i) : n.anyInput(i);
  FailureOr<Value> y = kind == Operands::Float ? n.floatInput(j) : n.anyInput(j);
  if (failed(x) || failed(y))
    return failure();
  a = *x;
  b = *y;
  matchConstantElementTypes(n, i, a, j, b);
  // The op (built with n.build) checks that the types match and that the
  // shapes broadcast.
  Type ta = elementTypeOf(a);
  bool ok = true;
  switch (kind) {
  case Operands::Float: break;
  case Operands::Num:
    ok = isNumType(ta);
    break;
  case Operands::Bool: ok = ta.isInteger(1); break;
  case Operands::NumOrBool:
    ok = isNumType(ta) || ta.isInteger(1);
    break;
  }
  if (!ok) {
    n.emitError() << "operands have element type " << ta
                  << ", which this op does not take here";
    return failure();
  }
  return success();
}

/// The op infers its result type (broadcast shape; i1 for comparisons).
template <typename OpTy, Operands Kind>
LogicalResult importBinary(NodeContext &n) {
  Value a, b;
  if (failed(binaryOperands(n, a, b, 0, 1, Kind)))
    return failure();
  return n.setBuilt(n.build<OpTy>(a, b));
}

/// Max/Min: variadic, folded left to right; one input is the identity.
template <typename OpTy> LogicalResult importVariadic(NodeContext &n) {
  for (int i = 0; i < n.node.input_size(); ++i) {
    if (!n.hasInput(i)) {
      n.emitError() << "input " << i << " is empty";
      return failure();
    }
  }
  if (n.node.input_size() == 1) {
    FailureOr<Value> x = n.anyInput(0);
    if (failed(x))
      return failure();
    n.aliasOutput(0, 0);
    return success();
  }
  Value acc, b;
  if (failed(binaryOperands(n, acc, b, 0, 1, Operands::Num)))
    return failure();
  for (int i = 1; i < n.node.input_size(); ++i) {
    if (i > 1) {
      FailureOr<Value> y = n.anyInput(i);
      if (failed(y))
        return failure();
      b = *y;
    }
    FailureOr<OpTy> op = n.build<OpTy>(acc, b);
    if (failed(op))
      return failure();
    acc = op->getResult();
  }
  n.setOutput(0, acc);
  return success();
}

/// Pow: float base; the exponent is float, or an integer constant (as
/// exporters write `x ** 2`), which is converted to f32 exactly for the
/// small exponents models use.
/// Pow-12+ takes any numeric base and exponent types; the result has the
/// base's (Pow-7 had one float type, which this also covers).
LogicalResult importPowMixed(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), y = n.anyInput(1);
  if (failed(x) || failed(y))
    return failure();
  for (Value v : {*x, *y})
    if (!isNumType(elementTypeOf(v))) {
      n.emitError() << "operand element type " << elementTypeOf(v)
                    << " is not a float type or an integer of 8 to 64 bits";
      return failure();
    }
  if (n.opsetVersion < 12 && elementTypeOf(*x) != elementTypeOf(*y)) {
    n.emitError() << "operand element types differ: " << elementTypeOf(*x)
                  << " and " << elementTypeOf(*y)
                  << " (Pow-7 takes one type; Pow-12 mixes them)";
    return failure();
  }
  FailureOr<SmallVector<int64_t>> shape =
      qc::broadcastShapes(shapeOf(*x), shapeOf(*y));
  if (failed(shape)) {
    n.emitError() << "operand shapes " << qc::dimsStr(shapeOf(*x)) << " and "
                  << qc::dimsStr(shapeOf(*y)) << " do not broadcast";
    return failure();
  }
  n.setOutput(0, qc::PowOp::create(
                     n.builder(), n.loc,
                     RankedTensorType::get(*shape, elementTypeOf(*x)), *x, *y)
                     .getResult());
  return success();
}

LogicalResult importPow(NodeContext &n) {
  const onnx::TensorProto *e = n.constantInput(1);
  const onnx::TensorProto *b = n.constantInput(0);
  bool floatBase = b ? isFloatDataType(b->data_type())
                     : (n.graph.values.count(n.node.input(0)) &&
                        n.graph.values[n.node.input(0)].value &&
                        isa<FloatType>(elementTypeOf(
                            n.graph.values[n.node.input(0)].value)));
  // A float base with a constant integer exponent keeps a float exponent
  // constant (x^2 and x^3 have a fast path); other mixes are qc.pow's own.
  if (!e || !isIntDataType(e->data_type()) || !floatBase)
    return importPowMixed(n);
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  SmallVector<float> vals;
  for (int64_t v : tensorToInts(*e))
    vals.push_back((float)v);
  auto type = RankedTensorType::get(tensorShape(*e), elementTypeOf(*x));
  Value y = arith::ConstantOp::create(n.builder(), n.loc,
                                      DenseElementsAttr::get(type, ArrayRef<float>(vals)))
                .getResult();
  FailureOr<SmallVector<int64_t>> shape =
      qc::broadcastShapes(shapeOf(*x), shapeOf(y));
  if (failed(shape)) {
    n.emitError() << "operand shapes " << qc::dimsStr(shapeOf(*x))
                  << " and " << qc::dimsStr(shapeOf(y))
                  << " do not broadcast";
    return failure();
  }
  n.setOutput(0, qc::PowOp::create(n.builder(), n.loc,
                                   RankedTensorType::get(*shape,
                                                         elementTypeOf(*x)),
                                   *x, y)
                     .getResult());
  return success();
}

/// Pow-1: float operands of one type, B broadcast to A by the opset 1-6
/// rule (`broadcast`, `axis`).
LogicalResult importPowV1(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0), y = n.floatInput(1);
  if (failed(x) || failed(y))
    return failure();
  Value xv = *x, yv = *y;
  matchConstantElementTypes(n, 0, xv, 1, yv);
  FailureOr<Value> yb = legacyBroadcastOperand(n, xv, yv);
  if (failed(yb))
    return failure();
  if (elementTypeOf(xv) != elementTypeOf(*yb)) {
    n.emitError() << "operand element types differ: " << elementTypeOf(xv)
                  << " and " << elementTypeOf(*yb) << " (Pow-1 takes one type)";
    return failure();
  }
  n.setOutput(
      0,
      qc::PowOp::create(n.builder(), n.loc, xv.getType(), xv, *yb).getResult());
  return success();
}

LogicalResult importBitShift(NodeContext &n) {
  FailureOr<std::string> dir = n.stringAttr("direction", "");
  if (failed(dir))
    return failure();
  std::optional<qc::ShiftDirection> direction =
      qc::symbolizeShiftDirection(*dir);
  if (!direction) {
    n.emitError() << "attribute 'direction' must be \"LEFT\" or \"RIGHT\", "
                     "got \""
                  << *dir << "\"";
    return failure();
  }
  Value a, b;
  if (failed(binaryOperands(n, a, b, 0, 1, Operands::Num)))
    return failure();
  if (!elementTypeOf(a).isUnsignedInteger()) {
    n.emitError() << "operands have element type " << elementTypeOf(a)
                  << "; BitShift takes UINT8, UINT16, UINT32 or UINT64";
    return failure();
  }
  return n.setBuilt(n.build<qc::BitShiftOp>(a, b, *direction));
}

LogicalResult importMod(NodeContext &n) {
  FailureOr<int64_t> fmod = n.intAttr("fmod", 0);
  if (failed(fmod))
    return failure();
  Value a, b;
  if (failed(binaryOperands(n, a, b, 0, 1, Operands::Num)))
    return failure();
  if (!*fmod && isa<FloatType>(elementTypeOf(a))) {
    n.emitError() << "fmod must be 1 for float operands";
    return failure();
  }
  return n.setBuilt(n.build<qc::ModOp>(a, b, *fmod != 0));
}

LogicalResult importWhere(NodeContext &n) {
  FailureOr<Value> c = n.anyInput(0);
  if (failed(c))
    return failure();
  if (!elementTypeOf(*c).isInteger(1)) {
    n.emitError() << "the condition must be a bool tensor, got "
                  << elementTypeOf(*c);
    return failure();
  }
  Value a, b;
  if (failed(binaryOperands(n, a, b, 1, 2, Operands::NumOrBool)))
    return failure();
  return n.setBuilt(n.build<qc::WhereOp>(*c, a, b));
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax, LayerNormalization
//===----------------------------------------------------------------------===//

/// Softmax, LogSoftmax and Hardmax: `make(x, axis)` builds the op along
/// one axis. From opset 13 that is the node's axis; before, the input is
/// coerced to 2-D [prod(dims < axis), prod(dims >= axis)] and the op runs
/// along the second dim. When the dims from `axis` to the last but one are
/// all 1 that is the last axis.
LogicalResult importAlongAxis(
    NodeContext &n, Value x,
    llvm::function_ref<FailureOr<Value>(Value, int64_t)> make) {
  FailureOr<int64_t> axisAttr = n.intAttr("axis", n.opsetVersion >= 13 ? -1 : 1);
  if (failed(axisAttr))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  int64_t rank = in.size();
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, rank);
  if (failed(axis))
    return failure();
  auto set = [&](FailureOr<Value> y) {
    if (failed(y))
      return failure();
    n.setOutput(0, *y);
    return success();
  };
  if (n.opsetVersion >= 13)
    return set(make(x, *axis));
  bool onlyLast = true;
  for (int64_t d = *axis; d < rank - 1; ++d)
    onlyLast &= in[d] == 1;
  // An empty tensor stays empty whatever the axis (and a Reshape shape
  // cannot spell its zero extents).
  if (onlyLast || llvm::is_contained(in, 0))
    return set(make(x, rank - 1));
  for (int64_t d : in)
    if (ShapedType::isDynamic(d)) {
      n.emitError() << "opset-" << n.opsetVersion
                    << " semantics flatten the input at axis " << *axis
                    << ", which needs a static shape, got "
                    << qc::dimsStr(in);
      return failure();
    }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < *axis ? outer : inner) *= in[d];
  FailureOr<Value> flat = emitReshape(n, x, {outer, inner});
  if (failed(flat))
    return failure();
  FailureOr<Value> y = make(*flat, 1);
  if (failed(y))
    return failure();
  return set(emitReshape(n, *y, in));
}

template <typename OpTy> LogicalResult importSoftmax(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  return importAlongAxis(n, *x, [&](Value v, int64_t ax) -> FailureOr<Value> {
    return OpTy::create(n.builder(), n.loc, v.getType(), v,
                        n.builder().getI64IntegerAttr(ax))
        .getResult();
  });
}

/// Hardmax 1, 11, 13: 1 where qc.arg_max (first index of the largest)
/// lands along the axis, 0 elsewhere: arg_max == iota, then a select.
LogicalResult importHardmax(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  if (failed(x))
    return failure();
  return importAlongAxis(n, *x, [&](Value v, int64_t ax) -> FailureOr<Value> {
    OpBuilder &b = n.builder();
    ArrayRef<int64_t> in = shapeOf(v);
    if (ShapedType::isDynamic(in[ax])) {
      n.emitError() << "the extent of axis " << ax
                    << " must be static, got " << qc::dimsStr(in);
      return failure();
    }
    if (in[ax] == 0)
      return v; // empty: nothing to mark
    auto am = n.build<qc::ArgMaxOp>(v, b.getI64IntegerAttr(ax),
                                    b.getBoolAttr(true), b.getBoolAttr(false));
    if (failed(am))
      return failure();
    auto eq = n.build<qc::EqualOp>(am->getResult(),
                                   emitPositions(n, in.size(), ax, in[ax]));
    auto scalar = RankedTensorType::get({}, elementTypeOf(v));
    FailureOr<Value> one = emitSplat(n, scalar, 1.0),
                     zero = emitSplat(n, scalar, 0.0);
    if (failed(eq) || failed(one) || failed(zero))
      return failure();
    auto y = n.build<qc::WhereOp>(eq->getResult(), *one, *zero);
    if (failed(y))
      return failure();
    return y->getResult();
  });
}

/// HannWindow, HammingWindow, BlackmanWindow 17: sum_j a_j cos(2 pi j n /
/// N) for n in [0, size), N = size (periodic) or size - 1, from qc.range
/// of the run-time size; cast to output_datatype (default FLOAT).
template <int Kind> LogicalResult importWindow(NodeContext &n) {
  // a0, a1, a2 with alternating signs: Hann, Hamming, Blackman.
  static const double coeffs[3][3] = {
      {0.5, -0.5, 0}, {25.0 / 46, -21.0 / 46, 0}, {0.42, -0.5, 0.08}};
  FailureOr<Value> size = n.anyInput(0);
  FailureOr<int64_t> periodic = n.intAttr("periodic", 1);
  FailureOr<int64_t> dt = n.intAttr("output_datatype", 1);
  if (failed(size) || failed(periodic) || failed(dt))
    return failure();
  Type outT = onnxElementType(*n.getContext(), (int32_t)*dt);
  if (!outT || !isa<FloatType, IntegerType>(outT)) {
    n.emitError() << "attribute 'output_datatype' " << *dt
                  << " is not a numeric type";
    return failure();
  }
  if (!shapeOf(*size).empty() || !isa<IntegerType>(elementTypeOf(*size))) {
    n.emitError() << "size must be an integer scalar";
    return failure();
  }
  OpBuilder &b = n.builder();
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  auto scalar = [&](Type t, double v) {
    return emitSplat(n, RankedTensorType::get({}, t), v);
  };
  auto cast = [&](Value v, Type t) {
    return qc::CastOp::create(
               b, n.loc, RankedTensorType::get(shapeOf(v), t), v)
        .getResult();
  };
  Value sz = elementTypeOf(*size).isSignlessInteger(64) ? *size
                                                        : cast(*size, i64);
  FailureOr<Value> zero = scalar(i64, 0), one = scalar(i64, 1);
  if (failed(zero) || failed(one))
    return failure();
  // (A constant size gives a static length.)
  int64_t len = ShapedType::kDynamic;
  if (const onnx::TensorProto *t = n.constantInput(0);
      t && isIntDataType(t->data_type()))
    len = std::max<int64_t>(tensorToInts(*t)[0], 0);
  Value idx = qc::RangeOp::create(b, n.loc, RankedTensorType::get({len}, i64),
                                  *zero, sz, *one)
                  .getResult();
  Value nf = cast(idx, f32), N = cast(sz, f32);
  if (!*periodic) {
    FailureOr<Value> onef = scalar(f32, 1.0);
    auto nm1 = n.build<qc::SubOp>(N, *onef);
    if (failed(onef) || failed(nm1))
      return failure();
    N = nm1->getResult();
  }
  Value acc;
  for (int j = 0; j < 3; ++j) {
    double a = coeffs[Kind][j];
    if (a == 0)
      continue;
    FailureOr<Value> av = scalar(f32, a);
    if (failed(av))
      return failure();
    Value term = *av;
    if (j) {
      FailureOr<Value> w = scalar(f32, 2 * M_PI * j);
      auto ang = n.build<qc::MulOp>(nf, *w);
      if (failed(w) || failed(ang))
        return failure();
      auto frac = n.build<qc::DivOp>(ang->getResult(), N);
      if (failed(frac))
        return failure();
      auto c = n.build<qc::CosOp>(frac->getResult());
      if (failed(c))
        return failure();
      auto t = n.build<qc::MulOp>(c->getResult(), *av);
      if (failed(t))
        return failure();
      term = t->getResult();
    }
    if (!acc) {
      acc = term;
      continue;
    }
    auto sum = n.build<qc::AddOp>(acc, term);
    if (failed(sum))
      return failure();
    acc = sum->getResult();
  }
  n.setOutput(0, outT.isF32() ? acc : cast(acc, outT));
  return success();
}

/// LpNormalization 1, 22: x / ||x||_p along the axis (p = 1 or 2), 0
/// where the norm is 0 (as ONNX Runtime).
LogicalResult importLpNormalization(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", -1), p = n.intAttr("p", 2);
  if (failed(x) || failed(axisAttr) || failed(p))
    return failure();
  if (*p != 1 && *p != 2) {
    n.emitError() << "attribute 'p' must be 1 or 2, got " << *p;
    return failure();
  }
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, shapeOf(*x).size());
  if (failed(axis))
    return failure();
  OpBuilder &b = n.builder();
  auto axes = b.getDenseI64ArrayAttr({*axis});
  FailureOr<Value> norm = failure();
  if (*p == 1) {
    if (auto r = n.build<qc::ReduceL1Op>(*x, axes, b.getBoolAttr(true));
        succeeded(r))
      norm = r->getResult();
  } else if (auto r = n.build<qc::ReduceL2Op>(*x, axes, b.getBoolAttr(true));
             succeeded(r)) {
    norm = r->getResult();
  }
  auto zero = emitSplat(n, RankedTensorType::get({}, elementTypeOf(*x)), 0.0);
  if (failed(norm) || failed(zero))
    return failure();
  auto isZero = n.build<qc::EqualOp>(*norm, *zero);
  auto q = n.build<qc::DivOp>(*x, *norm);
  if (failed(isZero) || failed(q))
    return failure();
  return n.setBuilt(
      n.build<qc::WhereOp>(isZero->getResult(), *zero, q->getResult()));
}

/// PRelu 6, 7, 9, 16: x < 0 ? x * slope : x, the slope broadcasting to x
/// (unidirectionally: the result has x's shape).
LogicalResult importPRelu(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), slope = n.anyInput(1);
  if (failed(x) || failed(slope))
    return failure();
  Value xv = *x, sv = *slope;
  matchConstantElementTypes(n, 0, xv, 1, sv);
  // PRelu-1 and -6: a 1-D slope of C values is one per channel (dim 1),
  // the rule before PRelu-7's unidirectional broadcasting.
  ArrayRef<int64_t> xs0 = shapeOf(xv), ss0 = shapeOf(sv);
  if (n.opsetVersion < 7 && ss0.size() == 1 && xs0.size() >= 2 && ss0[0] != 1 &&
      ss0[0] == xs0[1] && xs0.size() > 2) {
    SmallVector<int64_t> spec{ss0[0]};
    spec.append(xs0.size() - 2, 1);
    FailureOr<Value> re = emitReshape(n, sv, spec);
    if (failed(re))
      return failure();
    sv = *re;
  }
  auto s = qc::broadcastShapes(shapeOf(xv), shapeOf(sv));
  if (failed(s) || s->size() != shapeOf(xv).size() ||
      llvm::any_of(llvm::zip(*s, shapeOf(xv)), [](auto p) {
        auto [r, d] = p;
        return r != d && !ShapedType::isDynamic(d);
      })) {
    n.emitError() << "slope of shape " << qc::dimsStr(shapeOf(sv))
                  << " does not broadcast to the input's "
                  << qc::dimsStr(shapeOf(xv));
    return failure();
  }
  FailureOr<Value> zero =
      emitSplat(n, RankedTensorType::get({}, elementTypeOf(xv)), 0.0);
  if (failed(zero))
    return failure();
  auto neg = n.build<qc::LessOp>(xv, *zero);
  auto prod = n.build<qc::MulOp>(xv, sv);
  if (failed(neg) || failed(prod))
    return failure();
  return n.setBuilt(n.build<qc::WhereOp>(neg->getResult(), prod->getResult(), xv));
}

LogicalResult importLayerNorm(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0), scale = n.floatInput(1);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", -1);
  FailureOr<float> eps = n.floatAttr("epsilon", 1e-5f);
  FailureOr<int64_t> stash = n.intAttr("stash_type", 1);
  if (failed(x) || failed(scale) || failed(axisAttr) || failed(eps) ||
      failed(stash))
    return failure();
  if (*stash != 1) {
    n.emitError() << "stash_type " << *stash
                  << " is not supported (statistics are computed in FLOAT)";
    return failure();
  }
  FailureOr<Value> bias = n.optionalFloatInput(2);
  if (failed(bias))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  int64_t rank = in.size();
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, rank);
  if (failed(axis))
    return failure();
  FailureOr<qc::LayerNormOp> op = n.build<qc::LayerNormOp>(
      *x, *scale, *bias, *axis, APFloat(*eps));
  if (failed(op))
    return failure();
  n.setOutput(0, op->getResult());
  n.setOutput(1, op->getMean());
  n.setOutput(2, op->getInvStdDev());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// A reduction whose axes input is computed (M20 in docs/Ops-math.md):
/// qc.dynamic_reduce. Returns failure() on an error, true when it built the
/// op and false when the axes are known to be empty (length 0), which the
/// static path handles.
FailureOr<bool> importDynamicReduce(NodeContext &n, Value x,
                                             StringRef kind, bool keepdims,
                                             bool noop) {
  FailureOr<Value> axes =
      n.graph.getValue(n.node.input(1), /*wantFloat=*/false, &n);
  if (failed(axes))
    return failure();
  auto at = cast<RankedTensorType>(axes->getType());
  if (!isa<IntegerType>(at.getElementType()) || at.getRank() != 1) {
    n.emitError() << "input 'axes' must be a 1-D integer tensor, got " << at;
    return failure();
  }
  int64_t len = at.getDimSize(0);
  if (len == 0)
    return false;
  ArrayRef<int64_t> in = shapeOf(x);
  int64_t rank = in.size();
  if (!ShapedType::isDynamic(len) && len > rank) {
    n.emitError() << "axes has " << len << " entries but the input has rank "
                  << rank;
    return failure();
  }
  // Which dims are reduced is known only at run time: a dim stays static
  // only if it is 1 anyway, or when every dim is reduced.
  bool all = len == rank;
  SmallVector<int64_t> out;
  if (keepdims) {
    for (int64_t d : in)
      out.push_back(d == 1 || all ? 1 : ShapedType::kDynamic);
  } else {
    if (ShapedType::isDynamic(len)) {
      n.emitError() << "with keepdims=0 the result rank depends on the "
                       "number of axes, which is only known at run time; "
                       "give 'axes' a static length";
      return failure();
    }
    out.assign(rank - len, ShapedType::kDynamic);
  }
  // The qc.reduce_<kind> op names and ReduceKind's cases are the same set.
  std::optional<qc::ReduceKind> reduceKind = qc::symbolizeReduceKind(kind);
  assert(reduceKind && "a qc.reduce_* op without a ReduceKind case");
  OpBuilder &b = n.builder();
  n.setOutput(0, qc::DynamicReduceOp::create(
                     b, n.loc, RankedTensorType::get(out, elementTypeOf(x)),
                     x, *axes,
                     qc::ReduceKindAttr::get(b.getContext(), *reduceKind),
                     b.getBoolAttr(keepdims),
                     b.getBoolAttr(noop))
                     .getResult());
  return true;
}

template <typename OpTy, bool AxesInput, bool AcceptsInt>
LogicalResult importReduce(NodeContext &n) {
  FailureOr<Value> x = AcceptsInt ? n.anyInput(0) : n.floatInput(0);
  FailureOr<int64_t> keepdims = n.intAttr("keepdims", 1);
  FailureOr<int64_t> noop = n.intAttr("noop_with_empty_axes", 0);
  if (failed(x) || failed(keepdims) || failed(noop))
    return failure();
  Type et = elementTypeOf(*x);
  if (!isa<FloatType>(et) && !et.isInteger(64) && !et.isInteger(32)) {
    n.emitError() << "input has element type " << et
                  << "; expected a float type, int64 or int32";
    return failure();
  }
  SmallVector<int64_t> axes;
  if (AxesInput && n.hasInput(1) && !n.constantInput(1)) {
    FailureOr<bool> dyn = importDynamicReduce(
        n, *x, OpTy::getOperationName().drop_front(StringRef("qc.reduce_").size()),
        *keepdims != 0, *noop != 0);
    if (failed(dyn))
      return failure();
    if (*dyn)
      return success();
    // A run-time axes value of static length 0: no axes (below).
  } else if (AxesInput) {
    if (n.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> given = n.constIntsInput(1);
      if (failed(given))
        return failure();
      axes = *given;
    }
  } else {
    FailureOr<std::optional<SmallVector<int64_t>>> given = n.intsAttr("axes");
    if (failed(given))
      return failure();
    if (*given)
      axes = **given;
  }
  ArrayRef<int64_t> in = shapeOf(*x);
  int64_t rank = in.size();
  if (axes.empty()) {
    if (*noop) {
      n.aliasOutput(0, 0);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  SmallVector<int64_t> norm;
  for (int64_t a : axes) {
    FailureOr<int64_t> d = n.normalizeAxis(a, rank, "axes entry");
    if (failed(d))
      return failure();
    if (llvm::is_contained(norm, *d)) {
      n.emitError() << "axes " << intsStr(axes)
                    << " name dimension " << *d << " twice";
      return failure();
    }
    norm.push_back(*d);
  }
  llvm::sort(norm);
  return n.setBuilt(n.build<OpTy>(*x, norm, *keepdims != 0));
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

// Since-versions from onnx 1.23's schemas, from the one in force at opset 7
// on (rows that only widen the type list share a handler). Versions 28 of
// Mod, ReduceLogSum and ReduceLogSumExp are not listed: unchecked.
#define UNARY(NAME, OP, ...)                                                   \
  {NAME, {__VA_ARGS__}, 1, 1, 1, 1, importUnary<qc::OP>}
#define CMP(NAME, OP, ...)                                                     \
  {NAME, {__VA_ARGS__}, 2, 2, 1, 1, importBinary<qc::OP, Operands::Num>}
#define LOGIC(NAME, OP, ...)                                                   \
  {NAME, {__VA_ARGS__}, 2, 2, 1, 1, importBinary<qc::OP, Operands::Bool>}
#define RED_ATTR(NAME, OP, INT, ...)                                           \
  {NAME, {__VA_ARGS__}, 1, 1, 1, 1, importReduce<qc::OP, false, INT>}
#define RED_INPUT(NAME, OP, INT, ...)                                          \
  {NAME, {__VA_ARGS__}, 1, 2, 1, 1, importReduce<qc::OP, true, INT>}

const OnnxOpHandlerSpec kHandlers[] = {
    // opType, since_versions, minIn, maxIn, minOut, maxOut, handler
    {"Abs", {6, 13}, 1, 1, 1, 1, importUnaryNum<qc::AbsOp>},
    LOGIC("And", AndOp, 7),
    {"BitShift", {11}, 2, 2, 1, 1, importBitShift},
    UNARY("Ceil", CeilOp, 6, 13),
    {"Celu", {12}, 1, 1, 1, 1, importCelu},
    {"Clip", {6}, 1, 1, 1, 1, importClipV6},
    {"Clip", {11, 12, 13}, 1, 3, 1, 1, importClip},
    UNARY("Acos", AcosOp, 7, 22),
    UNARY("Acosh", AcoshOp, 9, 22),
    UNARY("Asin", AsinOp, 7, 22),
    UNARY("Asinh", AsinhOp, 9, 22),
    UNARY("Atan", AtanOp, 7, 22),
    UNARY("Atanh", AtanhOp, 9, 22),
    UNARY("Cos", CosOp, 7, 22),
    UNARY("Cosh", CoshOp, 9, 22),
    {"ArgMax", {1, 11, 12, 13}, 1, 1, 1, 1, importArgReduce<qc::ArgMaxOp>},
    {"ArgMin", {1, 11, 12, 13}, 1, 1, 1, 1, importArgReduce<qc::ArgMinOp>},
    {"CumSum", {11, 14}, 2, 2, 1, 1, importCumSum},
    {"BlackmanWindow", {17}, 1, 1, 1, 1, importWindow<2>},
    {"Elu", {6, 22}, 1, 1, 1, 1, importElu},
    {"Equal",
     {7, 11, 13, 19},
     2,
     2,
     1,
     1,
     importBinary<qc::EqualOp, Operands::NumOrBool>},
    UNARY("Erf", ErfOp, 9, 13),
    UNARY("Exp", ExpOp, 6, 13),
    UNARY("Floor", FloorOp, 6, 13),
    {"Gelu", {20}, 1, 1, 1, 1, importGelu},
    CMP("Greater", GreaterOp, 7, 9, 13),
    CMP("GreaterOrEqual", GreaterEqualOp, 12, 16),
    {"HammingWindow", {17}, 1, 1, 1, 1, importWindow<1>},
    {"HannWindow", {17}, 1, 1, 1, 1, importWindow<0>},
    {"HardSigmoid", {6, 22}, 1, 1, 1, 1, importHardSigmoid},
    {"Hardmax", {1, 11, 13}, 1, 1, 1, 1, importHardmax},
    UNARY("HardSwish", HardSwishOp, 14, 22),
    {"IsInf", {10, 20}, 1, 1, 1, 1, importIsInf},
    {"IsNaN", {9, 13, 20}, 1, 1, 1, 1, importIsNaN},
    {"LayerNormalization", {17}, 2, 3, 1, 3, importLayerNorm},
    {"LeakyRelu", {6, 16}, 1, 1, 1, 1, importLeakyRelu},
    {"LpNormalization", {1, 22}, 1, 1, 1, 1, importLpNormalization},
    CMP("Less", LessOp, 7, 9, 13),
    CMP("LessOrEqual", LessEqualOp, 12, 16),
    UNARY("Log", LogOp, 6, 13),
    {"LogSoftmax", {1, 11, 13}, 1, 1, 1, 1, importSoftmax<qc::LogSoftmaxOp>},
    {"Max", {6, 8, 12, 13}, 1, 1 << 16, 1, 1, importVariadic<qc::MaxOp>},
    {"Mean", {6, 8, 13}, 1, 1 << 16, 1, 1, importSumMean<true>},
    {"Min", {6, 8, 12, 13}, 1, 1 << 16, 1, 1, importVariadic<qc::MinOp>},
    UNARY("Mish", MishOp, 18, 22),
    {"Mod", {10, 13}, 2, 2, 1, 1, importMod},
    {"Neg", {6, 13}, 1, 1, 1, 1, importUnaryNum<qc::NegOp>},
    {"Not", {1}, 1, 1, 1, 1, importNot},
    LOGIC("Or", OrOp, 7),
    {"PRelu", {6, 7, 9, 16}, 2, 2, 1, 1, importPRelu},
    {"Pow", {1}, 2, 2, 1, 1, importPowV1},
    {"Pow", {7, 12, 13, 15}, 2, 2, 1, 1, importPow},
    UNARY("Reciprocal", ReciprocalOp, 6, 13),
    RED_ATTR("ReduceL1", ReduceL1Op, false, 1, 11, 13),
    RED_INPUT("ReduceL1", ReduceL1Op, false, 18),
    RED_ATTR("ReduceL2", ReduceL2Op, false, 1, 11, 13),
    RED_INPUT("ReduceL2", ReduceL2Op, false, 18),
    RED_ATTR("ReduceLogSum", ReduceLogSumOp, false, 1, 11, 13),
    RED_INPUT("ReduceLogSum", ReduceLogSumOp, false, 18),
    RED_ATTR("ReduceLogSumExp", ReduceLogSumExpOp, false, 1, 11, 13),
    RED_INPUT("ReduceLogSumExp", ReduceLogSumExpOp, false, 18),
    RED_ATTR("ReduceMax", ReduceMaxOp, true, 1, 11, 12, 13),
    RED_INPUT("ReduceMax", ReduceMaxOp, true, 18, 20),
    RED_ATTR("ReduceMean", ReduceMeanOp, false, 1, 11, 13),
    RED_INPUT("ReduceMean", ReduceMeanOp, false, 18),
    RED_ATTR("ReduceMin", ReduceMinOp, true, 1, 11, 12, 13),
    RED_INPUT("ReduceMin", ReduceMinOp, true, 18, 20),
    RED_ATTR("ReduceProd", ReduceProdOp, true, 1, 11, 13),
    RED_INPUT("ReduceProd", ReduceProdOp, true, 18),
    RED_ATTR("ReduceSum", ReduceSumOp, true, 1, 11),
    RED_INPUT("ReduceSum", ReduceSumOp, true, 13),
    RED_ATTR("ReduceSumSquare", ReduceSumSquareOp, false, 1, 11, 13),
    RED_INPUT("ReduceSumSquare", ReduceSumSquareOp, false, 18),
    UNARY("Round", RoundOp, 11, 22),
    {"Sign", {9, 13}, 1, 1, 1, 1, importUnaryNum<qc::SignOp>},
    {"Selu", {6, 22}, 1, 1, 1, 1, importSelu},
    {"Shrink", {9}, 1, 1, 1, 1, importShrink},
    UNARY("Sigmoid", SigmoidOp, 6, 13),
    UNARY("Sin", SinOp, 7, 22),
    UNARY("Sinh", SinhOp, 9, 22),
    {"Softmax", {1, 11, 13}, 1, 1, 1, 1, importSoftmax<qc::SoftmaxOp>},
    UNARY("Softplus", SoftplusOp, 1, 22),
    UNARY("Softsign", SoftsignOp, 1, 22),
    UNARY("Sqrt", SqrtOp, 6, 13),
    {"Sum", {6, 8, 13}, 1, 1 << 16, 1, 1, importSumMean<false>},
    UNARY("Tan", TanOp, 7, 22),
    {"TopK", {1, 10, 11}, 1, 2, 2, 2, importTopK},
    UNARY("Tanh", TanhOp, 6, 13),
    {"ThresholdedRelu", {10, 22}, 1, 1, 1, 1, importThresholdedRelu},
    {"Trilu", {14}, 1, 2, 1, 1, importTrilu},
    {"Where", {9, 16}, 3, 3, 1, 1, importWhere},
    LOGIC("Xor", XorOp, 7),
};

#undef UNARY
#undef CMP
#undef LOGIC
#undef RED_ATTR
#undef RED_INPUT

} // namespace

llvm::ArrayRef<OnnxOpHandlerSpec> quantc::onnx_import::getMathOnnxOpHandlers() {
  return kHandlers;
}
