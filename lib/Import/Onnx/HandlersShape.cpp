//===- HandlersShape.cpp - ONNX handlers: Shape op family ------------------===//
//
// Small handlers keyed by (op type, since_version); see Handlers.cpp for the
// conventions (NodeContext, input/output counts, diagnostics).
//
// Shape computations are folded at import time (rules F1..F4 in
// docs/Ops-shape.md) by the dialect's folders: each handler builds its qc ops
// and NodeContext::foldNodeOps folds them (qc.shape of static dims, gather /
// slice / concat / reshape of small integer constants or of a qc.shape's
// static dims, integer arithmetic, casts); an integer constant result is also
// kept as a TensorProto, so downstream Reshape / Expand / Slice see constant
// shapes. What does not fold, the Executor evaluates at run time.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {

RankedTensorType like(Value v, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, elementTypeOf(v));
}
bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

/// An integer (index or shape) input as an SSA value.
FailureOr<Value> intInput(NodeContext &n, int i, StringRef what) {
  FailureOr<Value> v = n.anyInput(i);
  if (failed(v))
    return failure();
  if (!isa<IntegerType>(elementTypeOf(*v))) {
    n.emitError() << what << " must be an integer tensor, got "
                  << elementTypeOf(*v);
    return failure();
  }
  return v;
}


/// Sorted, distinct, normalized axes.
FailureOr<SmallVector<int64_t>> normAxes(NodeContext &n, ArrayRef<int64_t> axes,
                                         int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    FailureOr<int64_t> x = n.normalizeAxis(a, rank);
    if (failed(x))
      return failure();
    out.push_back(*x);
  }
  llvm::sort(out);
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) {
    n.emitError() << "axes " << intsStr(axes) << " repeat an axis";
    return failure();
  }
  return out;
}

/// Axes from the attribute (before `inputSince`) or from input `idx`.
FailureOr<std::optional<SmallVector<int64_t>>>
axesAttrOrInput(NodeContext &n, int64_t inputSince, int idx) {
  if (n.opsetVersion < inputSince)
    return n.intsAttr("axes");
  if (!n.hasInput(idx))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> v = n.constIntsInput(idx);
  if (failed(v))
    return failure();
  return std::optional<SmallVector<int64_t>>(*v);
}

LogicalResult checkRank(NodeContext &n, ArrayRef<int64_t> shape) {
  if ((int64_t)shape.size() > kMaxRank) {
    n.emitError() << "result rank " << shape.size() << " exceeds the limit of "
                  << kMaxRank;
    return failure();
  }
  SmallVector<int64_t> staticPart;
  for (int64_t d : shape)
    staticPart.push_back(isDyn(d) ? 1 : d);
  if (llvm::Expected<int64_t> c = checkedElementCount(staticPart); !c) {
    n.emitError() << "result: " << llvm::toString(c.takeError());
    return failure();
  }
  return success();
}

/// Slice parameters: (starts, ends, axes, steps) from attributes (opset < 10)
/// or constant inputs. Axes are not yet normalized.
struct SliceParams {
  SmallVector<int64_t> starts, ends, axes, steps;
};
FailureOr<SliceParams> sliceParams(NodeContext &n, int64_t rank) {
  SliceParams p;
  if (n.opsetVersion < 10) {
    FailureOr<std::optional<SmallVector<int64_t>>> s = n.intsAttr("starts"),
                                                   e = n.intsAttr("ends"),
                                                   a = n.intsAttr("axes");
    if (failed(s) || failed(e) || failed(a))
      return failure();
    if (!*s || !*e) {
      n.emitError() << "attributes 'starts' and 'ends' are required";
      return failure();
    }
    p.starts = **s;
    p.ends = **e;
    if (*a)
      p.axes = **a;
  } else {
    FailureOr<SmallVector<int64_t>> s = n.constIntsInput(1),
                                    e = n.constIntsInput(2);
    if (failed(s) || failed(e))
      return failure();
    p.starts = *s;
    p.ends = *e;
    if (n.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> a = n.constIntsInput(3);
      if (failed(a))
        return failure();
      p.axes = *a;
    }
    if (n.hasInput(4)) {
      FailureOr<SmallVector<int64_t>> st = n.constIntsInput(4);
      if (failed(st))
        return failure();
      p.steps = *st;
    }
  }
  if (p.axes.empty() && !(n.opsetVersion >= 10 && n.hasInput(3)))
    for (size_t i = 0; i < p.starts.size(); ++i)
      p.axes.push_back(i);
  if (p.steps.empty())
    p.steps.assign(p.starts.size(), 1);
  if (p.ends.size() != p.starts.size() || p.axes.size() != p.starts.size() ||
      p.steps.size() != p.starts.size()) {
    n.emitError() << "starts, ends, axes and steps must have the same length, "
                     "got "
                  << p.starts.size() << ", " << p.ends.size() << ", "
                  << p.axes.size() << " and " << p.steps.size();
    return failure();
  }
  SmallVector<bool> seen(rank, false);
  for (size_t k = 0; k < p.axes.size(); ++k) {
    FailureOr<int64_t> a = n.normalizeAxis(p.axes[k], rank);
    if (failed(a))
      return failure();
    if (seen[*a]) {
      n.emitError() << "axis " << p.axes[k] << " is listed twice";
      return failure();
    }
    seen[*a] = true;
    p.axes[k] = *a;
    if (p.steps[k] == 0) {
      n.emitError() << "step for axis " << *a << " is 0";
      return failure();
    }
  }
  return p;
}

FailureOr<std::pair<int64_t, int64_t>> shapeRange(NodeContext &n,
                                                  int64_t rank) {
  int64_t start = 0, end = rank;
  if (n.opsetVersion >= 15) {
    FailureOr<int64_t> s = n.intAttr("start", 0), e = n.intAttr("end", rank);
    if (failed(s) || failed(e))
      return failure();
    auto clampDim = [&](int64_t v) {
      if (v < 0)
        v += rank;
      return std::clamp<int64_t>(v, 0, rank);
    };
    start = clampDim(*s);
    end = std::max(start, clampDim(*e));
  }
  return std::make_pair(start, end);
}

/// One entry of a 1-D shape vector as far as the importer can trace it: a
/// constant, or dimension `dim` of tensor `of` (a qc.shape over a dynamic
/// dimension), or neither (unknown).
struct SymDim {
  std::optional<int64_t> value;
  Value of;
  int64_t dim = -1;
};

/// The entries of a 1-D integer vector built from constants and the
/// shapes of tensors (qc.shape, an integer qc.cast, Gather at constant
/// positions, unsqueeze, a static slice, concat), and for an entry not
/// known at import time which tensor's dynamic dimension it is. Empty
/// when the length is unknown.
SmallVector<SymDim> symbolicValues(Value v, int depth = 0) {
  auto t = cast<RankedTensorType>(v.getType());
  int64_t len = t.getRank() == 0 ? 1 : t.getDimSize(0);
  if (t.getRank() > 1 || isDyn(len) || len > kMaxRank)
    return {};
  SmallVector<SymDim> unknown(len);
  Operation *def = v.getDefiningOp();
  if (depth > 32 || !def)
    return unknown;
  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    auto attr = dyn_cast<DenseIntElementsAttr>(c.getValue());
    if (!attr)
      return unknown;
    SmallVector<SymDim> vals;
    for (const APInt &x : attr.getValues<APInt>())
      vals.push_back(SymDim{x.getSExtValue(), Value(), -1});
    return vals;
  }
  if (auto sh = dyn_cast<qc::ShapeOp>(def)) {
    ArrayRef<int64_t> dims = shapeOf(sh.getInput());
    SmallVector<SymDim> out;
    for (int64_t j = sh.getStart(), e = sh.getEnd(); j < e; ++j)
      out.push_back(isDyn(dims[j]) ? SymDim{std::nullopt, sh.getInput(), j}
                                   : SymDim{dims[j], Value(), -1});
    return out;
  }
  if (auto c = dyn_cast<qc::CastOp>(def)) {
    // Between integer types: a dimension keeps its value; a constant
    // only where the narrower type holds it.
    auto to = dyn_cast<IntegerType>(
        cast<RankedTensorType>(c.getResult().getType()).getElementType());
    if (!to || !isa<IntegerType>(cast<RankedTensorType>(c.getInput().getType())
                                     .getElementType()))
      return unknown;
    SmallVector<SymDim> in = symbolicValues(c.getInput(), depth + 1);
    for (SymDim &d : in)
      if ((d.value && !llvm::isIntN(to.getWidth(), *d.value)) ||
          (!d.value && to.getWidth() < 32)) // a dim that might wrap
        d = SymDim{};
    return in.size() == (size_t)len ? in : unknown;
  }
  if (auto un = dyn_cast<qc::UnsqueezeOp>(def))
    return symbolicValues(un.getInput(), depth + 1);
  if (auto ga = dyn_cast<qc::GatherOp>(def)) {
    // Constant positions of a 1-D vector (Shape(x)[0]).
    DenseIntElementsAttr idx;
    SmallVector<SymDim> src = symbolicValues(ga.getData(), depth + 1);
    if (src.empty() || !matchPattern(ga.getIndices(), m_Constant(&idx)) ||
        idx.getNumElements() != len)
      return unknown;
    SmallVector<SymDim> vals;
    for (const APInt &i : idx.getValues<APInt>()) {
      int64_t k = i.getSExtValue();
      k = k < 0 ? k + (int64_t)src.size() : k;
      if (k < 0 || k >= (int64_t)src.size())
        return unknown;
      vals.push_back(src[k]);
    }
    return vals;
  }
  if (auto sl = dyn_cast<qc::SliceOp>(def)) {
    SmallVector<SymDim> src = symbolicValues(sl.getInput(), depth + 1);
    if (src.empty() || sl.getAxes().size() != 1)
      return unknown;
    int64_t first = 0, step = sl.getSteps()[0];
    int64_t cnt = qc::sliceExtent(src.size(), sl.getStarts()[0],
                                  sl.getEnds()[0], step, &first);
    if (cnt != len)
      return unknown;
    SmallVector<SymDim> vals;
    for (int64_t k = 0; k < cnt; ++k)
      vals.push_back(src[first + k * step]);
    return vals;
  }
  if (auto cat = dyn_cast<qc::ConcatOp>(def)) {
    SmallVector<SymDim> vals;
    for (Value in : cat.getInputs()) {
      SmallVector<SymDim> p = symbolicValues(in, depth + 1);
      if (p.empty() && shapeOf(in)[0] != 0)
        return unknown;
      llvm::append_range(vals, p);
    }
    return vals.size() == (size_t)len ? vals : unknown;
  }
  return unknown;
}

/// Where the run-time size of dynamic dimension `d` of `v` comes from: the
/// (value, dim) it is traced back to through ops that keep that dimension
/// (elementwise ops, convolution and pooling over the batch, concat and
/// slice along another axis, transpose, a reshape that copies it). Two
/// dimensions with the same origin are equal at run time; anything not
/// traced is its own origin.
std::pair<Value, int64_t> dimOrigin(Value v, int64_t d, int depth = 0) {
  auto dyn = [](Value x, int64_t k) {
    auto t = dyn_cast<RankedTensorType>(x.getType());
    return t && k >= 0 && k < t.getRank() && isDyn(t.getDimSize(k));
  };
  Operation *op = v.getDefiningOp();
  if (!op || depth > 256 || !dyn(v, d))
    return {v, d};
  auto through = [&](Value in, int64_t k) -> std::pair<Value, int64_t> {
    return dyn(in, k) ? dimOrigin(in, k, depth + 1) : std::make_pair(v, d);
  };
  // Same-shape ops of one data operand.
  if (isa<qc::ReluOp, qc::SigmoidOp, qc::TanhOp, qc::SiluOp, qc::GeluOp,
          qc::HardSwishOp, qc::HardSigmoidOp, qc::LeakyReluOp, qc::NegOp,
          qc::AbsOp, qc::SqrtOp, qc::ExpOp, qc::LogOp, qc::ErfOp, qc::ClipOp,
          qc::CastOp, qc::SoftmaxOp, qc::LayerNormOp, qc::BatchNormOp,
          qc::QuantizeLinearOp, qc::DequantizeLinearOp>(op))
    return through(op->getOperand(0), d);
  // Over the batch: dimension 0 is the input's.
  if (d == 0 &&
      isa<qc::ConvOp, qc::ConvTransposeOp, qc::MaxPoolOp, qc::AvgPoolOp,
          qc::GlobalAvgPoolOp, qc::GlobalMaxPoolOp>(op))
    return through(op->getOperand(0), 0);
  // A resize whose constant scales keep dimension 0 (scale 1, no sizes or
  // scales computed at run time, no axes subset).
  if (auto r = dyn_cast<qc::ResizeOp>(op)) {
    ArrayRef<float> sc = r.getScales();
    bool keeps = d == 0 && !r.getScalesInput() && !r.getSizes() &&
                 !r.getAxes() && !sc.empty() && sc[0] == 1.0f;
    return keeps ? through(r.getInput(), 0) : std::make_pair(v, d);
  }
  // Broadcasting binary ops: the dimension of an operand that does not
  // broadcast (a static 1 on the other side, or the same origin on both).
  if (isa<qc::AddOp, qc::SubOp, qc::MulOp, qc::DivOp, qc::PowOp, qc::MaxOp,
          qc::MinOp>(op)) {
    int64_t r = cast<RankedTensorType>(v.getType()).getRank();
    std::optional<std::pair<Value, int64_t>> origin;
    for (Value in : op->getOperands()) {
      auto t = cast<RankedTensorType>(in.getType());
      int64_t k = d - (r - t.getRank());
      if (k < 0 || t.getDimSize(k) == 1)
        continue; // broadcast
      if (!dyn(in, k))
        return {v, d}; // (the type would be static)
      auto o = dimOrigin(in, k, depth + 1);
      if (origin && *origin != o)
        return {v, d};
      origin = o;
    }
    return origin ? *origin : std::make_pair(v, d);
  }
  if (auto c = dyn_cast<qc::ConcatOp>(op))
    return static_cast<int64_t>(c.getAxis()) == d
               ? std::make_pair(v, d)
               : through(c.getInputs().front(), d);
  if (auto sl = dyn_cast<qc::SliceOp>(op)) {
    for (int64_t a : sl.getAxes())
      if (a == d || a + cast<RankedTensorType>(v.getType()).getRank() == d)
        return {v, d};
    return through(sl.getInput(), d);
  }
  if (auto tr = dyn_cast<qc::TransposeOp>(op))
    return through(tr.getInput(), tr.getPerm()[d]);
  if (auto re = dyn_cast<qc::ReshapeOp>(op))
    return d < (int64_t)re.getShape().size() && re.getShape()[d] == 0
               ? through(re.getInput(), d)
               : std::make_pair(v, d);
  return {v, d};
}

/// What is known at import time of the entries of a 1-D integer SSA value
/// (kDynamic where unknown): symbolicValues' constants. Types downstream of
/// a computed shape keep their static dims this way (F3).
SmallVector<int64_t> partialValues(Value v) {
  SmallVector<int64_t> vals;
  for (const SymDim &d : symbolicValues(v))
    vals.push_back(d.value ? *d.value : ShapedType::kDynamic);
  return vals;
}

/// The rank the model declares for output `i` (graph output or value_info
/// with a shape), if any.
std::optional<int64_t> declaredRank(NodeContext &n, int i) {
  if (i >= n.node.output_size())
    return std::nullopt;
  auto it = n.graph.declared.find(n.node.output(i));
  if (it == n.graph.declared.end())
    return std::nullopt;
  const onnx::TypeProto &t = it->second->type();
  if (!t.has_tensor_type() || !t.tensor_type().has_shape())
    return std::nullopt;
  return t.tensor_type().shape().dim_size();
}

} // namespace

namespace quantc::onnx_import {
SmallVector<int64_t> partialIntValues(Value v) { return partialValues(v); }

/// Flatten of a shape with dynamic dims on both sides of the axis (called
/// by the core Flatten handler, which handles the other cases with
/// qc.reshape). `axis` is normalized.
LogicalResult importDynamicFlatten(NodeContext &n, Value x, int64_t axis) {
  return n.setBuilt(n.build<qc::FlattenOp>(x, axis));
}

/// Reshape whose shape is a runtime value (called by the core Reshape
/// handler when the shape input is not a constant).
LogicalResult importDynamicReshape(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<Value> s = intInput(n, 1, "the shape input");
  FailureOr<int64_t> allowZero = n.intAttr("allowzero", 0);
  if (failed(x) || failed(s) || failed(allowZero))
    return failure();
  ArrayRef<int64_t> ss = shapeOf(*s);
  if (ss.size() != 1) {
    n.emitError() << "the shape input must be 1-D, got "
                  << qc::dimsStr(ss);
    return failure();
  }
  // The result rank is the shape's length. When folding could not find it
  // (F5 in docs/Ops-shape.md), the model's declared output rank stands in;
  // the Executor checks the length against it at run time.
  int64_t rank = ss[0];
  if (isDyn(rank)) {
    std::optional<int64_t> declared = declaredRank(n, 0);
    if (!declared) {
      n.emitError() << "the length of the shape input is only known at run "
                       "time, so the result rank is unknown; give the output '"
                    << n.node.output(0)
                    << "' a shape in the model's value_info (or fix the "
                       "input shapes with --input-shape)";
      return failure();
    }
    rank = *declared;
  }
  if (rank > kMaxRank) {
    n.emitError() << "target rank " << rank << " exceeds the limit of "
                  << kMaxRank;
    return failure();
  }
  // A shape built from constants and this input's own dimensions, each
  // at its own position (Paddle's and torch's Shape -> Slice -> Concat ->
  // Reshape around a free batch: [N, 120, -1]), is a qc.reshape whose
  // spec copies (0) those dimensions: its result type is then as static
  // as a constant shape's, and the GPU planner sees a plain reshape.
  if (!isDyn(ss[0])) {
    SmallVector<SymDim> sym = symbolicValues(*s);
    SmallVector<int64_t> spec;
    for (auto [k, d] : llvm::enumerate(sym)) {
      if (d.value && (*d.value != 0 || !*allowZero))
        spec.push_back(*d.value);
      else if (d.of && d.dim == (int64_t)k &&
               (d.of == *x || dimOrigin(d.of, k) == dimOrigin(*x, k)))
        spec.push_back(0); // this input's own dimension k
      else
        break;
    }
    if (!sym.empty() && spec.size() == sym.size()) {
      FailureOr<Value> y = emitReshape(n, *x, spec);
      if (failed(y))
        return failure();
      n.setOutput(0, *y);
      return success();
    }
  }
  SmallVector<int64_t> out(rank, ShapedType::kDynamic);
  SmallVector<int64_t> known = partialValues(*s);
  ArrayRef<int64_t> in = shapeOf(*x);
  for (size_t k = 0; k < known.size() && k < out.size(); ++k) {
    if (known[k] > 0 || (known[k] == 0 && *allowZero))
      out[k] = known[k];
    else if (known[k] == 0 && k < in.size())
      out[k] = in[k];
  }
  n.setOutput(0, qc::DynamicReshapeOp::create(
                     n.builder(), n.loc, like(*x, out), *x, *s,
                     n.builder().getBoolAttr(*allowZero != 0))
                     .getResult());
  return success();
}
} // namespace quantc::onnx_import

namespace {

//===----------------------------------------------------------------------===//
// Handlers
//===----------------------------------------------------------------------===//

/// Gather / GatherElements: data, integer indices, an axis in [-r, r).
template <typename OpTy> LogicalResult importGatherLike(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), ix = intInput(n, 1, "indices");
  FailureOr<int64_t> axisAttr = n.intAttr("axis", 0);
  if (failed(x) || failed(ix) || failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, shapeOf(*x).size());
  if (failed(axis))
    return failure();
  return n.setBuilt(n.build<OpTy>(*x, *ix, *axis));
}

/// GatherND 11, 12 (batch_dims), 13 (S15).
LogicalResult importGatherND(NodeContext &n) {
  if (n.opsetVersion < 12 && n.attr("batch_dims")) {
    n.emitError() << "attribute 'batch_dims' exists from opset 12 on, the "
                     "model is at opset "
                  << n.opsetVersion;
    return failure();
  }
  FailureOr<Value> x = n.anyInput(0), ix = intInput(n, 1, "indices");
  FailureOr<int64_t> b = n.intAttr("batch_dims", 0);
  if (failed(x) || failed(ix) || failed(b))
    return failure();
  return n.setBuilt(n.build<qc::GatherNDOp>(*x, *ix, *b));
}

/// NonZero 9, 13 (S18).
LogicalResult importNonZero(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  return n.setBuilt(n.build<qc::NonZeroOp>(*x));
}

/// Compress 9, 11: the slices along `axis` (of the flattened input without
/// one) whose condition entry is true; a condition shorter than the axis
/// leaves the rest out. qc.non_zero of the condition, then qc.gather.
LogicalResult importCompress(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), cond = n.anyInput(1);
  if (failed(x) || failed(cond))
    return failure();
  if (!elementTypeOf(*cond).isInteger(1) || shapeOf(*cond).size() != 1) {
    n.emitError() << "condition must be a 1-D BOOL tensor";
    return failure();
  }
  Value data = *x;
  int64_t axis = 0;
  if (n.attr("axis")) {
    FailureOr<int64_t> a = n.intAttr("axis", 0);
    if (failed(a))
      return failure();
    FailureOr<int64_t> ax = n.normalizeAxis(*a, shapeOf(data).size());
    if (failed(ax))
      return failure();
    axis = *ax;
  } else {
    FailureOr<Value> flat = emitReshape(n, data, {-1});
    if (failed(flat))
      return failure();
    data = *flat;
  }
  // Entries past the axis are ignored (as ONNX Runtime; a run-time
  // condition longer than a run-time axis is an index error).
  Value c = *cond;
  int64_t dim = shapeOf(data)[axis], len = shapeOf(c)[0];
  if (!ShapedType::isDynamic(dim) && !ShapedType::isDynamic(len) && len > dim) {
    auto cut = n.build<qc::SliceOp>(c, ArrayRef<int64_t>{0},
                                    ArrayRef<int64_t>{dim},
                                    ArrayRef<int64_t>{0}, ArrayRef<int64_t>{1});
    if (failed(cut))
      return failure();
    c = cut->getResult();
  }
  auto nz = n.build<qc::NonZeroOp>(c);
  if (failed(nz))
    return failure();
  FailureOr<Value> idx = emitReshape(n, nz->getResult(), {-1});
  if (failed(idx))
    return failure();
  return n.setBuilt(n.build<qc::GatherOp>(data, *idx, axis));
}

/// ScatterND/ScatterElements' reduction attribute (16: add, mul; 18: max,
/// min; none before).
FailureOr<qc::ScatterReduction> scatterReduction(NodeContext &n) {
  if (n.opsetVersion < 16 && n.attr("reduction")) {
    n.emitError() << "attribute 'reduction' exists from opset 16 on, the "
                     "model is at opset "
                  << n.opsetVersion;
    return failure();
  }
  FailureOr<std::string> red = n.stringAttr("reduction", "none");
  if (failed(red))
    return failure();
  std::optional<qc::ScatterReduction> r = qc::symbolizeScatterReduction(*red);
  bool known = r && (n.opsetVersion >= 18 ||
                     (*r != qc::ScatterReduction::max &&
                      *r != qc::ScatterReduction::min));
  if (!known) {
    n.emitError() << "attribute 'reduction' must be "
                  << (n.opsetVersion >= 18 ? "none, add, mul, max or min"
                                           : "none, add or mul")
                  << " at opset " << n.opsetVersion << ", got \"" << *red
                  << "\"";
    return failure();
  }
  return *r;
}

/// ScatterND 11, 13, 16, 18 (S16).
LogicalResult importScatterND(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), ix = intInput(n, 1, "indices"),
                   u = n.anyInput(2);
  FailureOr<qc::ScatterReduction> red = scatterReduction(n);
  if (failed(x) || failed(ix) || failed(u) || failed(red))
    return failure();
  Value xv = *x, uv = *u;
  matchConstantElementTypes(n, 0, xv, 2, uv);
  return n.setBuilt(n.build<qc::ScatterNDOp>(
      xv, *ix, uv, qc::ScatterReductionAttr::get(n.getContext(), *red)));
}

/// ScatterElements 11, 13, 16, 18 and the older Scatter 9 (S17).
LogicalResult importScatterElements(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0), ix = intInput(n, 1, "indices"),
                   u = n.anyInput(2);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", 0);
  FailureOr<qc::ScatterReduction> red = scatterReduction(n);
  if (failed(x) || failed(ix) || failed(u) || failed(axisAttr) || failed(red))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, shapeOf(*x).size());
  if (failed(axis))
    return failure();
  Value xv = *x, uv = *u;
  matchConstantElementTypes(n, 0, xv, 2, uv);
  return n.setBuilt(n.build<qc::ScatterElementsOp>(
      xv, *ix, uv, n.builder().getI64IntegerAttr(*axis),
      qc::ScatterReductionAttr::get(n.getContext(), *red)));
}

LogicalResult importConcat(NodeContext &n) {
  if (n.node.input_size() == 0) {
    n.emitError() << "needs at least one input";
    return failure();
  }
  SmallVector<Value> in;
  for (int i = 0; i < n.node.input_size(); ++i) {
    FailureOr<Value> v = n.anyInput(i);
    if (failed(v))
      return failure();
    in.push_back(*v);
  }
  // Opset 1 has a default axis of 1; from 4 it is required.
  if (n.opsetVersion >= 4 && !n.attr("axis")) {
    n.emitError() << "attribute 'axis' is required";
    return failure();
  }
  FailureOr<int64_t> axisAttr = n.intAttr("axis", 1);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, shapeOf(in[0]).size());
  if (failed(axis))
    return failure();
  return n.setBuilt(n.build<qc::ConcatOp>(in, *axis));
}

FailureOr<qc::SliceOp> emitSlice(NodeContext &n, Value x,
                                 ArrayRef<int64_t> starts,
                                 ArrayRef<int64_t> ends, ArrayRef<int64_t> axes,
                                 ArrayRef<int64_t> steps) {
  return n.build<qc::SliceOp>(x, starts, ends, axes, steps);
}

/// Slice whose parameters are runtime values (opset >= 10).
LogicalResult importDynamicSlice(NodeContext &n, Value x) {
  SmallVector<Value> params;
  int64_t len = ShapedType::kDynamic;
  for (int i = 1; i <= 4; ++i) {
    if (!n.hasInput(i)) {
      params.push_back(Value());
      continue;
    }
    FailureOr<Value> v = intInput(n, i, i == 1   ? "starts"
                                        : i == 2 ? "ends"
                                        : i == 3 ? "axes"
                                                 : "steps");
    if (failed(v))
      return failure();
    if (shapeOf(*v).size() != 1) {
      n.emitError() << "input " << i << " must be 1-D, got "
                    << qc::dimsStr(shapeOf(*v));
      return failure();
    }
    if (!isDyn(shapeOf(*v)[0]))
      len = shapeOf(*v)[0];
    params.push_back(*v);
  }
  // Omitted axes are 0..n-1 and omitted steps 1: built as constants, which
  // needs the length of starts.
  for (int k : {2, 3}) {
    if (params[k])
      continue;
    if (isDyn(len)) {
      n.emitError() << "starts has a dynamic length; give "
                    << (k == 2 ? "axes" : "steps") << " explicitly";
      return failure();
    }
    SmallVector<int64_t> vals(len, 1);
    if (k == 2)
      std::iota(vals.begin(), vals.end(), 0);
    auto type = RankedTensorType::get({len}, IntegerType::get(n.getContext(), 64));
    params[k] = arith::ConstantOp::create(
                    n.builder(), n.loc,
                    DenseElementsAttr::get(type, ArrayRef<int64_t>(vals)))
                    .getResult();
  }
  // Dims on axes that are not sliced keep their size (when axes is known).
  SmallVector<int64_t> out(shapeOf(x).size(), ShapedType::kDynamic);
  if (!n.hasInput(3) || n.constantInput(3)) {
    SmallVector<int64_t> axes;
    if (n.hasInput(3))
      axes = tensorToInts(*n.constantInput(3));
    else
      for (int64_t k = 0; k < len; ++k)
        axes.push_back(k);
    int64_t rank = out.size();
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d) && !llvm::is_contained(axes, d - rank))
        out[d] = shapeOf(x)[d];
  }
  n.setOutput(0, qc::DynamicSliceOp::create(n.builder(), n.loc, like(x, out), x,
                                            params[0], params[1], params[2],
                                            params[3])
                     .getResult());
  return success();
}

LogicalResult importSlice(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  if (n.opsetVersion >= 10)
    for (int i = 1; i <= 4; ++i)
      if (n.hasInput(i) && !n.constantInput(i))
        return importDynamicSlice(n, *x);
  FailureOr<SliceParams> p = sliceParams(n, shapeOf(*x).size());
  if (failed(p))
    return failure();
  return n.setBuilt(emitSlice(n, *x, p->starts, p->ends, p->axes, p->steps));
}

LogicalResult importSplit(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", 0);
  if (failed(x) || failed(axisAttr))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, in.size());
  if (failed(axis))
    return failure();
  int64_t outs = n.node.output_size(), dim = in[*axis];
  SmallVector<int64_t> sizes;
  bool splitFromInput = n.opsetVersion >= 13 || n.opsetVersion < 2;
  if (splitFromInput && n.hasInput(1) && !n.constantInput(1)) {
    // Sizes known at run time only: one qc.dynamic_split.
    FailureOr<Value> sp = intInput(n, 1, "split");
    if (failed(sp))
      return failure();
    ArrayRef<int64_t> ss = shapeOf(*sp);
    if (ss.size() != 1 || (!isDyn(ss[0]) && ss[0] != outs)) {
      n.emitError() << "split must be 1-D with one entry per output ("
                    << outs << "), got " << qc::dimsStr(ss);
      return failure();
    }
    SmallVector<int64_t> shape(in);
    shape[*axis] = ShapedType::kDynamic;
    SmallVector<Type> types(outs, like(*x, shape));
    auto op = qc::DynamicSplitOp::create(n.builder(), n.loc, types, *x, *sp,
                                         n.builder().getI64IntegerAttr(*axis));
    for (int64_t k = 0; k < outs; ++k)
      n.setOutput(k, op.getResult(k));
    return success();
  }
  if (splitFromInput && n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = n.constIntsInput(1);
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (!splitFromInput || n.opsetVersion < 2) {
    FailureOr<std::optional<SmallVector<int64_t>>> s = n.intsAttr("split");
    if (failed(s))
      return failure();
    if (*s)
      sizes = **s;
  }
  if (sizes.empty()) {
    int64_t parts = outs;
    if (n.opsetVersion >= 18 && n.attr("num_outputs")) {
      FailureOr<int64_t> no = n.intAttr("num_outputs", outs);
      if (failed(no))
        return failure();
      if (*no != outs) {
        n.emitError() << "num_outputs is " << *no << " but the node has "
                      << outs << " outputs";
        return failure();
      }
    }
    if (isDyn(dim)) {
      n.emitError() << "splitting the dynamic dimension " << *axis << " of "
                    << qc::dimsStr(in)
                    << " without split sizes is not supported";
      return failure();
    }
    // Equal parts; from opset 18 the last may be smaller (ceil division).
    int64_t chunk = (dim + parts - 1) / parts;
    if (n.opsetVersion < 18 && dim % parts) {
      n.emitError() << "dimension " << *axis << " of size " << dim
                    << " does not split evenly into " << parts << " outputs";
      return failure();
    }
    for (int64_t k = 0, left = dim; k < parts; ++k) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  }
  if ((int64_t)sizes.size() != outs) {
    n.emitError() << "split " << intsStr(sizes) << " has " << sizes.size()
                  << " entries for " << outs << " outputs";
    return failure();
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0 || s > kMaxElements) {
      n.emitError() << "split " << intsStr(sizes) << " has a size out of range";
      return failure();
    }
    total += s;
  }
  if (!isDyn(dim) && total != dim) {
    n.emitError() << "split " << intsStr(sizes) << " sums to " << total
                  << ", but dimension " << *axis << " is " << dim;
    return failure();
  }
  int64_t start = 0;
  for (int64_t k = 0; k < outs; ++k) {
    FailureOr<qc::SliceOp> part =
        emitSlice(n, *x, {start}, {start + sizes[k]}, {*axis}, {1});
    if (failed(part))
      return failure();
    n.setOutput(k, part->getResult());
    start += sizes[k];
  }
  return success();
}

/// Squeeze/Unsqueeze whose axes are a runtime value (opset >= 13): the
/// result rank is fixed by the number of axes, its dims are known at run time.
template <typename OpTy>
LogicalResult importDynamicAxes(NodeContext &n, int64_t sign) {
  FailureOr<Value> x = n.anyInput(0), axes = intInput(n, 1, "axes");
  if (failed(x) || failed(axes))
    return failure();
  ArrayRef<int64_t> as = shapeOf(*axes);
  if (as.size() != 1) {
    n.emitError() << "axes must be 1-D, got " << qc::dimsStr(as);
    return failure();
  }
  // An axes length unknown here: the declared output rank (F5).
  int64_t rank = (int64_t)shapeOf(*x).size() + sign * as[0];
  if (isDyn(as[0])) {
    std::optional<int64_t> declared = declaredRank(n, 0);
    if (!declared) {
      n.emitError() << "the length of axes is only known at run time, so "
                       "the result rank is unknown; give the output '"
                    << n.node.output(0)
                    << "' a shape in the model's value_info (or fix the "
                       "input shapes with --input-shape)";
      return failure();
    }
    rank = *declared;
  }
  if (rank < 0 || rank > kMaxRank) {
    n.emitError() << "result rank " << rank << " is out of range [0, "
                  << kMaxRank << "]";
    return failure();
  }
  SmallVector<int64_t> out(rank, ShapedType::kDynamic);
  n.setOutput(0, OpTy::create(n.builder(), n.loc, like(*x, out), *x, *axes)
                     .getResult());
  return success();
}

LogicalResult importSqueeze(NodeContext &n) {
  if (n.opsetVersion >= 13 && n.hasInput(1) && !n.constantInput(1))
    return importDynamicAxes<qc::DynamicSqueezeOp>(n, -1);
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axesIn =
      axesAttrOrInput(n, 13, 1);
  if (failed(x) || failed(axesIn))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  SmallVector<int64_t> axes;
  if (*axesIn) {
    FailureOr<SmallVector<int64_t>> a = normAxes(n, **axesIn, in.size());
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (size_t d = 0; d < in.size(); ++d) {
      if (isDyn(in[d])) {
        n.emitError() << "squeezing " << qc::dimsStr(in)
                      << " without axes needs static dimensions";
        return failure();
      }
      if (in[d] == 1)
        axes.push_back(d);
    }
  }
  return n.setBuilt(n.build<qc::SqueezeOp>(*x, axes));
}

LogicalResult importUnsqueeze(NodeContext &n) {
  if (n.opsetVersion >= 13 && n.hasInput(1) && !n.constantInput(1))
    return importDynamicAxes<qc::DynamicUnsqueezeOp>(n, +1);
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axesIn =
      axesAttrOrInput(n, 13, 1);
  if (failed(x) || failed(axesIn))
    return failure();
  if (!*axesIn) {
    n.emitError() << (n.opsetVersion < 13 ? "attribute" : "input")
                  << " 'axes' is required";
    return failure();
  }
  int64_t rank = shapeOf(*x).size() + (*axesIn)->size();
  FailureOr<SmallVector<int64_t>> axes = normAxes(n, **axesIn, rank);
  if (failed(axes))
    return failure();
  return n.setBuilt(n.build<qc::UnsqueezeOp>(*x, *axes));
}

LogicalResult importShape(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  FailureOr<std::pair<int64_t, int64_t>> r = shapeRange(n, shapeOf(*x).size());
  if (failed(r))
    return failure();
  return n.setBuilt(n.build<qc::ShapeOp>(*x, r->first, r->second));
}

LogicalResult importSize(NodeContext &n) {
  // Static shapes were folded before the handler runs (F1).
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  auto type = RankedTensorType::get({}, IntegerType::get(n.getContext(), 64));
  n.setOutput(0, qc::SizeOp::create(n.builder(), n.loc, type, *x).getResult());
  return success();
}

/// The result rank of a node whose computed shape operand `shape` has a
/// length unknown at import: the model's declared rank for output 0 (F5).
FailureOr<int64_t> rankFromDeclared(NodeContext &n, Value shape,
                                    StringRef what) {
  int64_t len = shapeOf(shape)[0];
  if (!isDyn(len))
    return len;
  std::optional<int64_t> r = declaredRank(n, 0);
  if (!r) {
    n.emitError() << "the length of " << what
                  << " is only known at run time, so the result rank is "
                     "unknown; give the output '"
                  << n.node.output(0)
                  << "' a shape in the model's value_info (or fix the "
                     "input shapes with --input-shape)";
    return failure();
  }
  if (*r > kMaxRank) {
    n.emitError() << "declared result rank " << *r
                  << " exceeds the limit of " << kMaxRank;
    return failure();
  }
  return *r;
}

/// A 1-D integer shape operand with a static length, and its values when
/// constant.
FailureOr<std::pair<Value, std::optional<SmallVector<int64_t>>>>
shapeOperand(NodeContext &n, int i, StringRef what,
             bool allowDynamicLength = false) {
  FailureOr<Value> s = intInput(n, i, what);
  if (failed(s))
    return failure();
  ArrayRef<int64_t> ss = shapeOf(*s);
  if (ss.size() != 1 || (isDyn(ss[0]) && !allowDynamicLength)) {
    n.emitError() << what << " must be 1-D with a static length, got "
                  << qc::dimsStr(ss);
    return failure();
  }
  if (ss[0] > kMaxRank) {
    n.emitError() << what << " has " << ss[0]
                  << " entries, over the rank limit of " << kMaxRank;
    return failure();
  }
  std::optional<SmallVector<int64_t>> vals;
  if (n.constantInput(i))
    vals = tensorToInts(*n.constantInput(i));
  return std::make_pair(*s, vals);
}

LogicalResult importExpand(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  auto s = shapeOperand(n, 1, "the shape input", /*allowDynamicLength=*/true);
  if (failed(x) || failed(s))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  FailureOr<int64_t> len = rankFromDeclared(n, s->first, "the shape input");
  if (failed(len))
    return failure();
  if (isDyn(shapeOf(s->first)[0]) && *len < (int64_t)in.size()) {
    n.emitError() << "the declared rank " << *len << " of output '"
                  << n.node.output(0) << "' is below the input rank "
                  << in.size();
    return failure();
  }
  size_t rank = std::max<size_t>(in.size(), *len);
  SmallVector<int64_t> out(rank, ShapedType::kDynamic);
  SmallVector<int64_t> partial = partialValues(s->first);
  if (!s->second && !partial.empty() && !llvm::any_of(partial, isDyn))
    s->second = partial;
  if (s->second) {
    ArrayRef<int64_t> want = *s->second;
    for (size_t d = 0; d < rank; ++d) {
      int64_t a = d < rank - in.size() ? 1 : in[d - (rank - in.size())];
      int64_t b = d < rank - want.size() ? 1 : want[d - (rank - want.size())];
      if (b < 0) {
        n.emitError() << "shape " << intsStr(want) << " has a negative entry";
        return failure();
      }
      if (!isDyn(a) && a != 1 && b != 1 && a != b) {
        n.emitError() << "cannot expand " << qc::dimsStr(in) << " to "
                      << intsStr(want);
        return failure();
      }
      out[d] = b == 1 ? a : (a == 1 || isDyn(a) ? b : a);
    }
  }
  if (failed(checkRank(n, out)))
    return failure();
  n.setOutput(0, qc::ExpandOp::create(n.builder(), n.loc, like(*x, out), *x,
                                      s->first)
                     .getResult());
  return success();
}

LogicalResult importTile(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  // The result has the input's rank whatever repeats' length: a length
  // unknown here is checked by the Executor.
  auto r = shapeOperand(n, 1, "repeats", /*allowDynamicLength=*/true);
  if (failed(x) || failed(r))
    return failure();
  ArrayRef<int64_t> in = shapeOf(*x);
  if (!isDyn(shapeOf(r->first)[0]) &&
      shapeOf(r->first)[0] != (int64_t)in.size()) {
    n.emitError() << "repeats has " << shapeOf(r->first)[0]
                  << " entries, the input " << qc::dimsStr(in) << " has rank "
                  << in.size();
    return failure();
  }
  SmallVector<int64_t> out(in.size(), ShapedType::kDynamic);
  if (r->second)
    for (size_t d = 0; d < in.size(); ++d) {
      if ((*r->second)[d] < 0) {
        n.emitError() << "repeats " << intsStr(*r->second)
                      << " has a negative entry";
        return failure();
      }
      if (!isDyn(in[d]))
        out[d] = in[d] * (*r->second)[d];
    }
  if (failed(checkRank(n, out)))
    return failure();
  n.setOutput(0, qc::TileOp::create(n.builder(), n.loc, like(*x, out), *x,
                                    r->first)
                     .getResult());
  return success();
}

/// Pad-18's pads over `axes` (begins then ends, one each per axis) as
/// pads over every dimension of a rank-`rank` input.
FailureOr<SmallVector<int64_t>> padsOverAxes(NodeContext &n,
                                             ArrayRef<int64_t> pads,
                                             ArrayRef<int64_t> axes,
                                             int64_t rank) {
  if (pads.size() != 2 * axes.size()) {
    n.emitError() << "pads has " << pads.size() << " entries, expected "
                  << "2 x " << axes.size() << " (the axes given)";
    return failure();
  }
  SmallVector<int64_t> full(2 * rank, 0);
  SmallVector<bool> seen(rank, false);
  for (auto [k, a] : llvm::enumerate(axes)) {
    FailureOr<int64_t> d = n.normalizeAxis(a, rank);
    if (failed(d))
      return failure();
    if (seen[*d]) {
      n.emitError() << "axes " << intsStr(axes) << " repeat an axis";
      return failure();
    }
    seen[*d] = true;
    full[*d] = pads[k];
    full[rank + *d] = pads[axes.size() + k];
  }
  return full;
}

/// Pad 1, 2 (pads, value and mode as attributes), 11, 13 (pads and
/// constant_value as inputs), 18 (axes), 19 (mode wrap), 21, 23, 24, 25:
/// qc.pad with the pads (and the fill) as constants (S14).
LogicalResult importPad(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<std::string> modeName = n.stringAttr("mode", "constant");
  if (failed(x) || failed(modeName))
    return failure();
  std::optional<qc::PadMode> mode = qc::symbolizePadMode(*modeName);
  if (!mode || (*mode == qc::PadMode::wrap && n.opsetVersion < 19)) {
    n.emitError() << "mode '" << *modeName << "' is not a Pad mode at opset "
                  << n.opsetVersion << " (constant, reflect, edge"
                  << (n.opsetVersion >= 19 ? ", wrap" : "") << ")";
    return failure();
  }
  int64_t rank = shapeOf(*x).size();
  Type et = elementTypeOf(*x);
  SmallVector<int64_t> pads;
  // The fill as the element type reads it: a float, or an integer exactly.
  double fill = 0;
  int64_t intFill = 0;
  if (n.opsetVersion < 11) {
    auto p = n.intsAttr(n.opsetVersion < 2 ? "paddings" : "pads");
    FailureOr<float> v = n.floatAttr("value", 0.0f);
    if (failed(p) || failed(v))
      return failure();
    if (!*p) {
      n.emitError() << "attribute '"
                    << (n.opsetVersion < 2 ? "paddings" : "pads")
                    << "' is required";
      return failure();
    }
    pads = **p;
    fill = *v;
    intFill = static_cast<int64_t>(*v);
  } else {
    // (ONNX ignores constant_value outside mode constant.)
    bool runTimeFill = n.hasInput(2) && !n.constantInput(2) &&
                       *mode == qc::PadMode::constant;
    if (!n.constantInput(1) || runTimeFill) {
      // Pads (or the fill) computed at run time: qc.dynamic_pad.
      bool axes = n.opsetVersion >= 18 && n.hasInput(3);
      if (axes && !n.constantInput(1)) {
        n.emitError() << "axes with pads computed at run time are not "
                         "supported";
        return failure();
      }
      FailureOr<Value> p =
          axes ? FailureOr<Value>(Value()) : n.anyInput(1);
      bool hasFill = n.hasInput(2) && *mode == qc::PadMode::constant;
      FailureOr<Value> v = hasFill ? n.anyInput(2) : FailureOr<Value>(Value());
      if (failed(p) || failed(v))
        return failure();
      if (axes) { // constant pads over the axes, expanded to every dim
        FailureOr<SmallVector<int64_t>> cp = n.constIntsInput(1);
        FailureOr<SmallVector<int64_t>> ax = n.constIntsInput(3);
        if (failed(cp) || failed(ax))
          return failure();
        FailureOr<SmallVector<int64_t>> full = padsOverAxes(n, *cp, *ax, rank);
        if (failed(full))
          return failure();
        auto t = RankedTensorType::get({2 * rank}, n.builder().getI64Type());
        p = arith::ConstantOp::create(
                n.builder(), n.loc,
                DenseIntElementsAttr::get(t, ArrayRef<int64_t>(*full)))
                .getResult();
      }
      if (!elementTypeOf(*p).isSignlessInteger(64) ||
          shapeOf(*p).size() != 1) {
        n.emitError() << "pads must be a 1-D INT64 tensor, got "
                      << p->getType();
        return failure();
      }
      if (*v && !shapeOf(*v).empty() && shapeOf(*v) != ArrayRef<int64_t>{1}) {
        n.emitError() << "constant_value must have one element, got "
                      << v->getType();
        return failure();
      }
      Value fillV = *v;
      if (fillV && !shapeOf(fillV).empty()) // [1] -> []
        fillV = qc::ReshapeOp::create(n.builder(), n.loc,
                                      RankedTensorType::get({}, elementTypeOf(fillV)),
                                      fillV, SmallVector<int64_t>{});
      SmallVector<int64_t> out(rank, ShapedType::kDynamic);
      const onnx::TensorProto *c = axes ? nullptr : n.constantInput(1);
      if (c) { // a constant pads with a run-time fill: the shape is known
        SmallVector<int64_t> cp = tensorToInts(*c);
        if ((int64_t)cp.size() == 2 * rank)
          for (int64_t d = 0; d < rank; ++d)
            if (!isDyn(shapeOf(*x)[d]))
              out[d] = shapeOf(*x)[d] + cp[d] + cp[rank + d];
      }
      if (llvm::any_of(out, [](int64_t d) { return d < 0 && !isDyn(d); })) {
        n.emitError() << "pads remove more elements than the input has";
        return failure();
      }
      auto op = qc::DynamicPadOp::create(
          n.builder(), n.loc, RankedTensorType::get(out, et), *x, *p, fillV,
          qc::PadModeAttr::get(n.getContext(), *mode));
      if (failed(mlir::verify(op))) {
        op->erase();
        return failure();
      }
      n.setOutput(0, op.getResult());
      return success();
    }
    FailureOr<SmallVector<int64_t>> p = n.constIntsInput(1);
    if (failed(p))
      return failure();
    pads = *p;
    if (n.hasInput(2) && *mode == qc::PadMode::constant) {
      const onnx::TensorProto *t = n.constantInput(2);
      if (!t) {
        n.emitError() << "constant_value must be a constant (a fill "
                         "computed at run time is not supported)";
        return failure();
      }
      if (llvm::Error err = validateTensor(*t)) {
        n.emitError() << "constant_value: " << llvm::toString(std::move(err));
        return failure();
      }
      if (isFloatDataType(t->data_type())) {
        DenseElementsAttr f = tensorToF32Attr(*n.getContext(), *t);
        if (f.getNumElements() != 1) {
          n.emitError() << "constant_value must have one element, got "
                        << f.getNumElements();
          return failure();
        }
        fill = *f.getValues<float>().begin();
      } else {
        SmallVector<int64_t> v = tensorToInts(*t);
        if (v.size() != 1) {
          n.emitError() << "constant_value must have one element, got "
                        << v.size();
          return failure();
        }
        intFill = v[0];
      }
    }
    if (n.opsetVersion >= 18 && n.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> axes = n.constIntsInput(3);
      if (failed(axes))
        return failure();
      FailureOr<SmallVector<int64_t>> full =
          padsOverAxes(n, pads, *axes, rank);
      if (failed(full))
        return failure();
      pads = *full;
    }
  }
  if ((int64_t)pads.size() != 2 * rank) {
    n.emitError() << "pads has " << pads.size() << " entries, expected 2 x "
                  << rank << " (the input's rank)";
    return failure();
  }
  // The fill in the element type (ONNX ignores it outside mode constant);
  // absent when 0.
  TypedAttr value;
  bool isInt = isa<IntegerType>(et);
  if (*mode == qc::PadMode::constant && (isInt ? intFill != 0 : fill != 0)) {
    if (isa<FloatType>(et))
      value = FloatAttr::get(et, fill);
    else if (auto it = dyn_cast<IntegerType>(et))
      value = IntegerAttr::get(
          it, APInt(it.getWidth(), uint64_t(intFill), /*isSigned=*/true,
                    /*implicitTrunc=*/true));
    else {
      n.emitError() << "a non-zero fill of " << et << " is not supported";
      return failure();
    }
  }
  OpBuilder &b = n.builder();
  return n.setBuilt(n.build<qc::PadOp>(
      *x, b.getDenseI64ArrayAttr(pads),
      qc::PadModeAttr::get(n.getContext(), *mode), value));
}

LogicalResult importRange(NodeContext &n) {
  SmallVector<Value> v;
  for (int i = 0; i < 3; ++i) {
    FailureOr<Value> x = n.anyInput(i);
    if (failed(x))
      return failure();
    if (!shapeOf(*x).empty()) {
      n.emitError() << "input " << i << " must be a scalar, got "
                    << qc::dimsStr(shapeOf(*x));
      return failure();
    }
    if (i && elementTypeOf(*x) != elementTypeOf(v[0])) {
      n.emitError() << "inputs have different element types (" << elementTypeOf(v[0])
                    << " and " << elementTypeOf(*x) << ")";
      return failure();
    }
    v.push_back(*x);
  }
  // Integer constants give the length (and the op then folds).
  int64_t len = ShapedType::kDynamic;
  SmallVector<int64_t> c;
  for (int i = 0; i < 3; ++i)
    if (const onnx::TensorProto *t = n.constantInput(i);
        t && isIntDataType(t->data_type()) && tensorToInts(*t).size() == 1)
      c.push_back(tensorToInts(*t)[0]);
  if (c.size() == 3)
    len = qc::integerRangeCount(c[0], c[1], c[2]);
  if (!ShapedType::isDynamic(len) && len > kMaxElements)
    len = ShapedType::kDynamic; // the Executor reports it when it runs
  auto type = RankedTensorType::get({len}, elementTypeOf(v[0]));
  n.setOutput(0, qc::RangeOp::create(n.builder(), n.loc, type, v[0], v[1], v[2])
                     .getResult());
  return success();
}

LogicalResult importConstantOfShape(NodeContext &n) {
  auto s = shapeOperand(n, 0, "the shape input", /*allowDynamicLength=*/true);
  if (failed(s))
    return failure();
  FailureOr<int64_t> rank = rankFromDeclared(n, s->first, "the shape input");
  if (failed(rank))
    return failure();
  MLIRContext *ctx = n.getContext();
  Type et = Float32Type::get(ctx);
  TypedAttr value = FloatAttr::get(et, 0.0);
  if (const onnx::AttributeProto *a = n.attr("value")) {
    if (a->type() != onnx::AttributeProto::TENSOR) {
      n.emitError() << "attribute 'value' must be a TENSOR";
      return failure();
    }
    const onnx::TensorProto &t = a->t();
    if (llvm::Error err = validateTensor(t)) {
      n.emitError() << "attribute 'value': " << llvm::toString(std::move(err));
      return failure();
    }
    int64_t count = 1;
    for (int64_t d : t.dims())
      count *= d;
    if (count != 1) {
      n.emitError() << "attribute 'value' must have one element, got "
                    << count;
      return failure();
    }
    if (isFloatDataType(t.data_type())) {
      DenseElementsAttr f = tensorToF32Attr(*ctx, t);
      et = onnxElementType(*ctx, t.data_type()); // FLOAT16 stays f16, ...
      value = FloatAttr::get(et, *f.getValues<float>().begin());
    } else if (isIntDataType(t.data_type())) {
      // The fill's own type: INT32 stays i32 (ONNX output type = value's).
      et = IntegerType::get(
          ctx, t.data_type() == onnx::TensorProto::INT32 ? 32 : 64);
      value = IntegerAttr::get(et, tensorToInts(t)[0]);
    } else {
      n.emitError() << "attribute 'value' has element type "
                    << dataTypeName(t.data_type())
                    << "; FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT32 and INT64 "
                       "are supported";
      return failure();
    }
  }
  SmallVector<int64_t> out(*rank, ShapedType::kDynamic);
  if (s->second) {
    out = *s->second;
    if (llvm::any_of(out, [](int64_t d) { return d < 0; })) {
      n.emitError() << "shape " << intsStr(out) << " has a negative entry";
      return failure();
    }
  }
  if (failed(checkRank(n, out)))
    return failure();
  n.setOutput(0, qc::ConstantOfShapeOp::create(
                     n.builder(), n.loc, RankedTensorType::get(out, et),
                     s->first, value)
                     .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// DepthToSpace, SpaceToDepth, OneHot, EyeLike: compositions of qc ops
//===----------------------------------------------------------------------===//

/// An [N, C, H, W] input with static C, H and W (N may be free), and the
/// blocksize attribute.
FailureOr<std::pair<Value, int64_t>> blockInput(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<int64_t> b = n.intAttr("blocksize", 0);
  if (failed(x) || failed(b))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x);
  if (xs.size() != 4 || llvm::any_of(xs.drop_front(), [](int64_t d) {
        return ShapedType::isDynamic(d);
      })) {
    n.emitError() << "input must be [N, C, H, W] with static C, H and W, got "
                  << qc::dimsStr(xs);
    return failure();
  }
  if (*b < 1) {
    n.emitError() << "attribute 'blocksize' must be >= 1, got " << *b;
    return failure();
  }
  return std::make_pair(*x, *b);
}

/// reshape(x, first) -> transpose(perm) -> reshape(last). An input with a
/// zero-size C, H or W (which reshape specs cannot spell: 0 copies a dim)
/// gives the empty result directly; its batch must then be static.
LogicalResult emitRearrange(NodeContext &n, Value x, ArrayRef<int64_t> first,
                            ArrayRef<int64_t> perm, ArrayRef<int64_t> last) {
  ArrayRef<int64_t> xs = shapeOf(x);
  if (llvm::is_contained(xs.drop_front(), 0)) {
    if (ShapedType::isDynamic(xs[0])) {
      n.emitError() << "an empty C, H or W with a free batch is not "
                       "supported, got "
                    << qc::dimsStr(xs);
      return failure();
    }
    SmallVector<int64_t> out(last);
    out[0] = xs[0];
    FailureOr<Value> y = emitSplat(
        n, RankedTensorType::get(out, elementTypeOf(x)), 0.0);
    if (failed(y))
      return failure();
    n.setOutput(0, *y);
    return success();
  }
  FailureOr<Value> r = emitReshape(n, x, first);
  if (failed(r))
    return failure();
  FailureOr<Value> t = emitTranspose(n, *r, perm);
  if (failed(t))
    return failure();
  FailureOr<Value> y = emitReshape(n, *t, last);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// DepthToSpace 1, 11, 13: ONNX's own definition, a reshape, a transpose
/// and a reshape (mode DCR: depth-column-row, CRD: column-row-depth).
LogicalResult importDepthToSpace(NodeContext &n) {
  auto in = blockInput(n);
  FailureOr<std::string> mode =
      n.opsetVersion >= 11 ? n.stringAttr("mode", "DCR")
                           : FailureOr<std::string>(std::string("DCR"));
  if (failed(in) || failed(mode))
    return failure();
  auto [x, b] = *in;
  ArrayRef<int64_t> xs = shapeOf(x);
  int64_t c = xs[1], h = xs[2], w = xs[3];
  if (c % (b * b)) {
    n.emitError() << "channels " << c << " are not a multiple of blocksize^2 = "
                  << b * b;
    return failure();
  }
  SmallVector<int64_t> last{0, c / (b * b), h * b, w * b};
  if (*mode == "DCR")
    return emitRearrange(n, x, {0, b, b, c / (b * b), h, w},
                         {0, 3, 4, 1, 5, 2}, last);
  if (*mode == "CRD")
    return emitRearrange(n, x, {0, c / (b * b), b, b, h, w},
                         {0, 1, 4, 2, 5, 3}, last);
  n.emitError() << "attribute 'mode' must be \"DCR\" or \"CRD\", got \""
                << *mode << "\"";
  return failure();
}

/// SpaceToDepth 1, 13: DepthToSpace's DCR inverse.
LogicalResult importSpaceToDepth(NodeContext &n) {
  auto in = blockInput(n);
  if (failed(in))
    return failure();
  auto [x, b] = *in;
  ArrayRef<int64_t> xs = shapeOf(x);
  int64_t c = xs[1], h = xs[2], w = xs[3];
  if (h % b || w % b) {
    n.emitError() << "height " << h << " and width " << w
                  << " must be multiples of blocksize " << b;
    return failure();
  }
  return emitRearrange(n, x, {0, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4},
                       {0, c * b * b, h / b, w / b});
}

/// `v` as an i64 tensor (a qc.cast unless it is one; float values are
/// truncated toward zero, as ONNX Runtime casts OneHot's indices and depth).
Value asI64(NodeContext &n, Value v) {
  if (elementTypeOf(v).isSignlessInteger(64))
    return v;
  return qc::CastOp::create(
             n.builder(), n.loc,
             RankedTensorType::get(shapeOf(v), n.builder().getI64Type()), v)
      .getResult();
}

/// OneHot 9, 11: values[1] where the index (negative ones count from
/// depth) equals the position along the new axis, values[0] elsewhere
/// (out-of-range indices give a row of values[0]). A constant depth gives
/// that axis a static extent; a run-time one (a scalar or one element)
/// goes through qc.range.
LogicalResult importOneHot(NodeContext &n) {
  FailureOr<Value> idxIn = n.anyInput(0), depthIn = n.anyInput(1),
                   values = n.anyInput(2);
  FailureOr<int64_t> axisAttr = n.intAttr("axis", -1);
  if (failed(idxIn) || failed(depthIn) || failed(values) || failed(axisAttr))
    return failure();
  OpBuilder &b = n.builder();
  int64_t rank = shapeOf(*idxIn).size();
  FailureOr<int64_t> axis = n.normalizeAxis(*axisAttr, rank + 1);
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> vs = shapeOf(*values);
  if (vs.size() != 1 || (vs[0] != 2 && !ShapedType::isDynamic(vs[0]))) {
    n.emitError() << "values must be [2] (off, on), got " << qc::dimsStr(vs);
    return failure();
  }
  if (llvm::product_of(shapeOf(*depthIn)) != 1 &&
      !llvm::any_of(shapeOf(*depthIn),
                    [](int64_t d) { return ShapedType::isDynamic(d); })) {
    n.emitError() << "depth must hold one value, got shape "
                  << qc::dimsStr(shapeOf(*depthIn));
    return failure();
  }
  Value idx = asI64(n, *idxIn);
  FailureOr<Value> depth = emitReshape(n, asI64(n, *depthIn), {});
  if (failed(depth))
    return failure();
  // The positions along the new axis, shaped [1, .., depth, .., 1].
  Value positions;
  const onnx::TensorProto *t = n.constantInput(1);
  // (A constant depth of another integer type takes the run-time path.)
  if (t && (isIntDataType(t->data_type()) || isFloatDataType(t->data_type()))) {
    int64_t d = isIntDataType(t->data_type())
                    ? tensorToInts(*t)[0]
                    : (int64_t)(*tensorToF32Attr(*n.getContext(), *t)
                                     .value_begin<float>());
    if (d < 1 || d > (int64_t(1) << 31)) {
      n.emitError() << "depth must be in [1, 2^31], got " << d;
      return failure();
    }
    positions = emitPositions(n, rank + 1, *axis, d);
  } else {
    auto scalar = RankedTensorType::get({}, b.getI64Type());
    FailureOr<Value> zero = emitSplat(n, scalar, 0.0),
                     one = emitSplat(n, scalar, 1.0);
    if (failed(zero) || failed(one))
      return failure();
    Value range = qc::RangeOp::create(
                      b, n.loc,
                      RankedTensorType::get({ShapedType::kDynamic},
                                            b.getI64Type()),
                      *zero, *depth, *one)
                      .getResult();
    SmallVector<int64_t> posShape(rank + 1, 1);
    posShape[*axis] = -1;
    FailureOr<Value> p = emitReshape(n, range, posShape);
    if (failed(p))
      return failure();
    positions = *p;
  }
  FailureOr<Value> zero = emitSplat(n, RankedTensorType::get({}, b.getI64Type()), 0.0);
  if (failed(zero))
    return failure();
  auto neg = n.build<qc::LessOp>(idx, *zero);
  auto wrapped = n.build<qc::AddOp>(idx, *depth);
  if (failed(neg) || failed(wrapped))
    return failure();
  auto norm = n.build<qc::WhereOp>(neg->getResult(), wrapped->getResult(), idx);
  if (failed(norm))
    return failure();
  auto unsq = n.build<qc::UnsqueezeOp>(norm->getResult(),
                                       ArrayRef<int64_t>{*axis});
  if (failed(unsq))
    return failure();
  auto eq = n.build<qc::EqualOp>(unsq->getResult(), positions);
  auto pick = [&](int64_t i) {
    return n.build<qc::SliceOp>(*values, ArrayRef<int64_t>{i},
                                ArrayRef<int64_t>{i + 1},
                                ArrayRef<int64_t>{0}, ArrayRef<int64_t>{1});
  };
  auto off = pick(0), on = pick(1);
  if (failed(eq) || failed(off) || failed(on))
    return failure();
  return n.setBuilt(
      n.build<qc::WhereOp>(eq->getResult(), on->getResult(), off->getResult()));
}

/// EyeLike 9, 22: a constant of the input's (static, 2-D) shape, ones on
/// diagonal k, in `dtype` (default: the input's type).
LogicalResult importEyeLike(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  FailureOr<int64_t> k = n.intAttr("k", 0);
  if (failed(x) || failed(k))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() != 2 || !type.hasStaticShape()) {
    n.emitError() << "input must be 2-D with a static shape, got "
                  << qc::dimsStr(type.getShape());
    return failure();
  }
  Type et = type.getElementType();
  if (n.attr("dtype")) {
    FailureOr<int64_t> dt = n.intAttr("dtype", 0);
    if (failed(dt))
      return failure();
    et = onnxElementType(*n.getContext(), (int32_t)*dt);
    if (!et) {
      n.emitError() << "attribute 'dtype' " << *dt
                    << " is not a numeric or bool type";
      return failure();
    }
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<bool> eye(rows * cols, false);
  for (int64_t i = 0; i < rows; ++i)
    if (int64_t j = i + *k; j >= 0 && j < cols)
      eye[i * cols + j] = true;
  OpBuilder &b = n.builder();
  Value mask =
      arith::ConstantOp::create(
          b, n.loc,
          DenseElementsAttr::get(
              RankedTensorType::get(type.getShape(), b.getI1Type()),
              ArrayRef<bool>(eye)))
          .getResult();
  if (et.isInteger(1)) {
    n.setOutput(0, mask);
    return success();
  }
  n.setOutput(0, qc::CastOp::create(b, n.loc, type.clone(et), mask).getResult());
  return success();
}

} // namespace

llvm::ArrayRef<OnnxOpHandlerSpec> quantc::onnx_import::getShapeOnnxOpHandlers() {
  static const OnnxOpHandlerSpec table[] = {
      {"Concat", {1, 4, 11, 13}, 1, 1 << 20, 1, 1, importConcat},
      {"Compress", {9, 11}, 2, 2, 1, 1, importCompress},
      {"ConstantOfShape", {9, 20, 21, 23, 24, 25}, 1, 1, 1, 1,
       importConstantOfShape},
      {"DepthToSpace", {1, 11, 13}, 1, 1, 1, 1, importDepthToSpace},
      {"Expand", {8, 13}, 2, 2, 1, 1, importExpand},
      {"EyeLike", {9, 22}, 1, 1, 1, 1, importEyeLike},
      {"Gather", {1, 11, 13}, 2, 2, 1, 1, importGatherLike<qc::GatherOp>},
      {"GatherElements", {11, 13}, 2, 2, 1, 1, importGatherLike<qc::GatherElementsOp>},
      {"GatherND", {11, 12, 13}, 2, 2, 1, 1, importGatherND},
      {"NonZero", {9, 13}, 1, 1, 1, 1, importNonZero},
      {"OneHot", {9, 11}, 3, 3, 1, 1, importOneHot},
      {"Pad", {1, 2}, 1, 1, 1, 1, importPad},
      {"Pad", {11, 13}, 2, 3, 1, 1, importPad},
      {"Pad", {18, 19, 21, 23, 24, 25}, 2, 4, 1, 1, importPad},
      {"Range", {11, 27}, 3, 3, 1, 1, importRange}, // 27 adds f16/bf16
      {"Scatter", {9}, 3, 3, 1, 1, importScatterElements},
      {"ScatterElements", {11, 13, 16, 18}, 3, 3, 1, 1, importScatterElements},
      {"ScatterND", {11, 13, 16, 18}, 3, 3, 1, 1, importScatterND},
      {"Shape", {1, 13, 15, 19, 21, 23, 24, 25}, 1, 1, 1, 1, importShape},
      {"Size", {1, 13, 19, 21, 23, 24, 25}, 1, 1, 1, 1, importSize},
      {"Slice", {1}, 1, 1, 1, 1, importSlice},
      {"Slice", {10, 11, 13}, 3, 5, 1, 1, importSlice},
      {"SpaceToDepth", {1, 13}, 1, 1, 1, 1, importSpaceToDepth},
      {"Split", {1}, 1, 2, 1, 1 << 20, importSplit},
      {"Split", {2, 11}, 1, 1, 1, 1 << 20, importSplit},
      {"Split", {13, 18}, 1, 2, 1, 1 << 20, importSplit},
      {"Squeeze", {1, 11}, 1, 1, 1, 1, importSqueeze},
      {"Squeeze", {13, 21, 23, 24, 25}, 1, 2, 1, 1, importSqueeze},
      {"Tile", {6, 13}, 2, 2, 1, 1, importTile},
      {"Unsqueeze", {1, 11}, 1, 1, 1, 1, importUnsqueeze},
      {"Unsqueeze", {13, 21, 23, 24, 25}, 2, 2, 1, 1, importUnsqueeze},
  };
  return table;
}
