//===- ExecutorShape.cpp - Executor kernels: Shape op family ---------------===//
//
// Data movement over any Tensor kind (f32 values, i64 shape values, byte
// codes): every kernel copies elements, so results are bit-exact. Shapes that
// come from runtime values (Expand, Tile, ConstantOfShape, Range,
// dynamic_reshape) are checked before anything is allocated.
//
//===----------------------------------------------------------------------===//
#include "ExecutorImpl.h"
#include "ExecutorInt.h"
#include "Strided.h"

#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include <cmath>

using namespace quantc;
using namespace quantc::exec;

namespace {

/// Largest result a runtime shape may ask for (elements); the importer's
/// limit on static shapes is larger, but a runtime value is untrusted.
constexpr int64_t kMaxRuntimeElements = int64_t(1) << 32;

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// An empty tensor of the same kind as `a`, with the given type and shape.
Tensor makeLike(const Tensor &a, Type et, ArrayRef<int64_t> shape) {
  switch (a.kind) {
  case Tensor::Kind::Float:
    return Tensor::makeFloat(et, shape);
  case Tensor::Kind::Int:
    return Tensor::makeInt(et, shape);
  case Tensor::Kind::Bytes:
    return Tensor::makeBytes(et, shape);
  }
  return Tensor();
}

inline void copyEl(Tensor &d, int64_t di, const Tensor &s, int64_t si) {
  switch (s.kind) {
  case Tensor::Kind::Float: d.f[di] = s.f[si]; break;
  case Tensor::Kind::Int: d.i[di] = s.i[si]; break;
  case Tensor::Kind::Bytes: d.bytes[di] = s.bytes[si]; break;
  }
}

int64_t product(ArrayRef<int64_t> s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

/// Checks a shape read from a runtime tensor.
LogicalResult checkRuntimeShape(Operation *op, ArrayRef<int64_t> shape,
                                StringRef what) {
  if (shape.size() > 16)
    return op->emitError() << what << " has rank " << shape.size()
                           << ", over the limit of 16";
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return op->emitError() << what << " " << shapeStr(shape)
                             << " has a negative dimension";
    if (d && n > kMaxRuntimeElements / d)
      return op->emitError() << what << " " << shapeStr(shape)
                             << " has too many elements";
    n *= d;
  }
  if (n > kMaxRuntimeElements)
    return op->emitError() << what << " " << shapeStr(shape)
                           << " has too many elements";
  return success();
}

/// The result must have the rank and static dims of its type.
LogicalResult checkResult(Operation *op, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  bool ok = type.getRank() == (int64_t)shape.size();
  for (size_t d = 0; ok && d < shape.size(); ++d)
    ok = type.isDynamicDim(d) || type.getDimSize(d) == shape[d];
  if (!ok)
    return op->emitError("computed result shape ")
           << shapeStr(shape) << " does not match the result type "
           << type;
  return success();
}

LogicalResult gather(Operation *o, Env &env) {
  auto op = cast<qc::GatherOp>(o);
  const Tensor &a = env.get(op.getData()), &ix = env.get(op.getIndices());
  int64_t axis = op.getAxis(), dim = a.shape[axis];
  SmallVector<int64_t> out(ArrayRef<int64_t>(a.shape).take_front(axis));
  llvm::append_range(out, ix.shape);
  llvm::append_range(out, ArrayRef<int64_t>(a.shape).drop_front(axis + 1));
  int64_t outer = product(ArrayRef<int64_t>(a.shape).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(a.shape).drop_front(axis + 1));
  int64_t nIdx = ix.numElements();
  Tensor r = makeLike(a, elementTypeOf(op.getResult()), out);
  for (int64_t j = 0; j < nIdx; ++j) {
    int64_t k = ix.i[j];
    if (k < -dim || k >= dim)
      return op.emitError("index ") << k << " is out of range [" << -dim
                                    << ", " << dim << ") for axis " << axis
                                    << " of " << shapeStr(a.shape);
    if (k < 0)
      k += dim;
    for (int64_t o2 = 0; o2 < outer; ++o2)
      copyRange(r, (o2 * nIdx + j) * inner, a, (o2 * dim + k) * inner, inner);
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult gatherElements(Operation *o, Env &env) {
  auto op = cast<qc::GatherElementsOp>(o);
  const Tensor &a = env.get(op.getData()), &ix = env.get(op.getIndices());
  int64_t axis = op.getAxis(), dim = a.shape[axis];
  for (size_t d = 0; d < a.shape.size(); ++d)
    if ((int64_t)d != axis && ix.shape[d] > a.shape[d])
      return op.emitError("indices shape ")
             << shapeStr(ix.shape) << " exceeds the data shape "
             << shapeStr(a.shape) << " in dimension " << d;
  Tensor r = makeLike(a, elementTypeOf(op.getResult()), ix.shape);
  SmallVector<int64_t> as = stridesOf(a.shape), src(as);
  src[axis] = 0; // the axis coordinate comes from the index value
  SmallVector<int64_t> zero(ix.shape.size(), 0);
  LogicalResult res = success();
  forEachIndex(ix.shape, src, zero, [&](int64_t lin, int64_t base, int64_t) {
    int64_t k = ix.i[lin];
    if (k < -dim || k >= dim) {
      if (succeeded(res))
        res = op.emitError("index ") << k << " is out of range [" << -dim
                                     << ", " << dim << ")";
      return;
    }
    if (k < 0)
      k += dim;
    copyEl(r, lin, a, base + k * as[axis]);
  });
  if (failed(res))
    return failure();
  env.set(op.getResult(), std::move(r));
  return success();
}

/// Offsets into `data` of the index tuples of `ix` (last dim m) over the
/// dims [b, b + m) of a data batch, each index checked and normalized; a
/// tuple's offset is in elements of data, its batch's base added.
FailureOr<std::vector<int64_t>> tupleOffsets(Operation *op, const Tensor &data,
                                             const Tensor &ix, int64_t b) {
  int64_t m = ix.shape.back(), q = ix.shape.size();
  SmallVector<int64_t> ds = stridesOf(data.shape);
  int64_t tuples = product(ArrayRef<int64_t>(ix.shape).drop_back());
  int64_t perBatch = product(ArrayRef<int64_t>(ix.shape).slice(b, q - 1 - b));
  for (int64_t i = 0; i < b; ++i)
    if (ix.shape[i] != data.shape[i])
      return op->emitError("batch dim ")
             << i << " is " << data.shape[i] << " in data but "
             << ix.shape[i] << " in indices";
  int64_t batchStride = b ? ds[b - 1] : 0;
  std::vector<int64_t> off(tuples);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t o = (perBatch ? t / perBatch : 0) * batchStride;
    for (int64_t k = 0; k < m; ++k) {
      int64_t dim = data.shape[b + k], v = ix.i[t * m + k];
      if (v < -dim || v >= dim)
        return op->emitError("index ")
               << v << " is out of range [" << -dim << ", " << dim
               << ") for dim " << b + k << " of " << shapeStr(data.shape);
      o += (v < 0 ? v + dim : v) * ds[b + k];
    }
    off[t] = o;
  }
  return off;
}

/// qc.gather_nd (S15).
LogicalResult gatherND(Operation *o, Env &env) {
  auto op = cast<qc::GatherNDOp>(o);
  const Tensor &a = env.get(op.getData()), &ix = env.get(op.getIndices());
  int64_t b = op.getBatchDims(), m = ix.shape.back();
  FailureOr<std::vector<int64_t>> off = tupleOffsets(op, a, ix, b);
  if (failed(off))
    return failure();
  SmallVector<int64_t> out(ArrayRef<int64_t>(ix.shape).drop_back());
  llvm::append_range(out, ArrayRef<int64_t>(a.shape).drop_front(b + m));
  int64_t slice = product(ArrayRef<int64_t>(a.shape).drop_front(b + m));
  Tensor r = makeLike(a, elementTypeOf(op.getResult()), out);
  for (size_t t = 0; t < off->size(); ++t)
    copyRange(r, t * slice, a, (*off)[t], slice);
  env.set(op.getResult(), std::move(r));
  return success();
}

/// result[at] = combine(result[at], updates[from]) for ScatterND and
/// ScatterElements; `r` and `u` hold floats or (as Int) integers.
struct Scatterer {
  qc::ScatterReduction red;
  Type et;
  void apply(Tensor &r, int64_t at, const Tensor &u, int64_t from) const {
    if (red == qc::ScatterReduction::none) {
      copyEl(r, at, u, from);
      return;
    }
    if (r.kind == Tensor::Kind::Float) {
      float &x = r.f[at], y = u.f[from];
      switch (red) {
      case qc::ScatterReduction::add: x = x + y; break;
      case qc::ScatterReduction::mul: x = x * y; break;
      case qc::ScatterReduction::max: x = std::max(x, y); break;
      case qc::ScatterReduction::min: x = std::min(x, y); break;
      default: break;
      }
      return;
    }
    int64_t &x = r.i[at], y = u.i[from];
    bool uns = et.isUnsignedInteger();
    switch (red) {
    case qc::ScatterReduction::add:
      x = wrapInt(et, (int64_t)((uint64_t)x + (uint64_t)y));
      break;
    case qc::ScatterReduction::mul:
      x = wrapInt(et, (int64_t)((uint64_t)x * (uint64_t)y));
      break;
    case qc::ScatterReduction::max:
      x = uns ? (int64_t)std::max((uint64_t)x, (uint64_t)y) : std::max(x, y);
      break;
    case qc::ScatterReduction::min:
      x = uns ? (int64_t)std::min((uint64_t)x, (uint64_t)y) : std::min(x, y);
      break;
    default: break;
    }
  }
};

/// The copy of `data` a scatter starts from (Int storage for i8/ui8 when
/// combining).
FailureOr<Tensor> scatterResult(Operation *op, Env &env, Value data,
                                qc::ScatterReduction red) {
  const Tensor &a = env.get(data);
  bool combine = red != qc::ScatterReduction::none;
  if (combine && a.kind == Tensor::Kind::Bytes) {
    if (!holdsInts(a))
      return op->emitError("reduction ")
             << qc::stringifyScatterReduction(red)
             << " of quantized codes is not supported";
    Tensor r = Tensor::makeInt(a.elementType, a.shape);
    r.i = intValues(a);
    return r;
  }
  if (combine && a.elementType.isInteger(1))
    return op->emitError("reduction ") << qc::stringifyScatterReduction(red)
                                       << " of booleans is not supported";
  return env.take(data);
}

/// A scatter under way: the result, a copy of the data (integers held as
/// Int when combining, so the reduction works on values), and the
/// updates in the same storage.
struct Scatter {
  Tensor r, u;
  Scatterer sc;
};

FailureOr<Scatter> scatterStart(Operation *op, Env &env, Value data,
                                Value updates, qc::ScatterReduction red) {
  FailureOr<Tensor> r = scatterResult(op, env, data, red);
  if (failed(r))
    return failure();
  Scatter s{std::move(*r), Tensor(), {red, elementTypeOf(data)}};
  s.u = env.get(updates);
  if (s.r.kind == Tensor::Kind::Int && s.u.kind == Tensor::Kind::Bytes) {
    Tensor ui = Tensor::makeInt(s.u.elementType, s.u.shape);
    ui.i = intValues(s.u);
    s.u = std::move(ui);
  }
  return s;
}

/// Back to the result type's storage (Int-held i8/ui8 to bytes).
void scatterFinish(Operation *op, Env &env, Tensor r) {
  Type et = elementTypeOf(op->getResult(0));
  if (r.kind == Tensor::Kind::Int && isBytesType(et))
    r = makeIntTensor(et, r.shape, std::move(r.i));
  env.set(op->getResult(0), std::move(r));
}

/// qc.scatter_nd (S16).
LogicalResult scatterND(Operation *o, Env &env) {
  auto op = cast<qc::ScatterNDOp>(o);
  const Tensor &ix = env.get(op.getIndices());
  const Tensor &a = env.get(op.getData());
  int64_t m = ix.shape.back();
  FailureOr<std::vector<int64_t>> off = tupleOffsets(op, a, ix, 0);
  if (failed(off))
    return failure();
  SmallVector<int64_t> want(ArrayRef<int64_t>(ix.shape).drop_back());
  llvm::append_range(want, ArrayRef<int64_t>(a.shape).drop_front(m));
  if (ArrayRef<int64_t>(env.get(op.getUpdates()).shape) != ArrayRef(want))
    return op.emitError("updates have shape ")
           << shapeStr(env.get(op.getUpdates()).shape) << ", expected "
           << shapeStr(want);
  int64_t slice = product(ArrayRef<int64_t>(a.shape).drop_front(m));
  FailureOr<Scatter> s = scatterStart(op, env, op.getData(), op.getUpdates(),
                                      op.getReduction());
  if (failed(s))
    return failure();
  for (size_t t = 0; t < off->size(); ++t)
    for (int64_t e = 0; e < slice; ++e)
      s->sc.apply(s->r, (*off)[t] + e, s->u, t * slice + e);
  scatterFinish(op, env, std::move(s->r));
  return success();
}

/// qc.scatter_elements (S17).
LogicalResult scatterElements(Operation *o, Env &env) {
  auto op = cast<qc::ScatterElementsOp>(o);
  const Tensor &a = env.get(op.getData()), &ix = env.get(op.getIndices());
  int64_t axis = op.getAxis(), dim = a.shape[axis];
  if (ArrayRef<int64_t>(env.get(op.getUpdates()).shape) !=
      ArrayRef<int64_t>(ix.shape))
    return op.emitError("updates shape ")
           << shapeStr(env.get(op.getUpdates()).shape)
           << " differs from the indices' " << shapeStr(ix.shape);
  for (size_t d = 0; d < a.shape.size(); ++d)
    if ((int64_t)d != axis && ix.shape[d] > a.shape[d])
      return op.emitError("indices shape ")
             << shapeStr(ix.shape) << " exceeds the data shape "
             << shapeStr(a.shape) << " in dimension " << d;
  SmallVector<int64_t> as = stridesOf(a.shape), src(as);
  src[axis] = 0; // the axis coordinate comes from the index value
  SmallVector<int64_t> zero(ix.shape.size(), 0);
  // Check every index before touching the data.
  for (int64_t v : ix.i)
    if (v < -dim || v >= dim)
      return op.emitError("index ") << v << " is out of range [" << -dim
                                    << ", " << dim << ")";
  FailureOr<Scatter> s = scatterStart(op, env, op.getData(), op.getUpdates(),
                                      op.getReduction());
  if (failed(s))
    return failure();
  forEachIndex(ix.shape, src, zero, [&](int64_t lin, int64_t base, int64_t) {
    int64_t k = ix.i[lin];
    s->sc.apply(s->r, base + (k < 0 ? k + dim : k) * as[axis], s->u, lin);
  });
  scatterFinish(op, env, std::move(s->r));
  return success();
}

LogicalResult concat(Operation *o, Env &env) {
  auto op = cast<qc::ConcatOp>(o);
  int64_t axis = op.getAxis();
  const Tensor &first = env.get(op.getInputs()[0]);
  SmallVector<int64_t> out(first.shape);
  out[axis] = 0;
  for (Value v : op.getInputs()) {
    const Tensor &t = env.get(v);
    for (size_t d = 0; d < out.size(); ++d)
      if ((int64_t)d != axis && t.shape[d] != first.shape[d])
        return op.emitError("inputs ")
               << shapeStr(first.shape) << " and " << shapeStr(t.shape)
               << " differ outside the axis " << axis;
    out[axis] += t.shape[axis];
  }
  int64_t outer = product(ArrayRef<int64_t>(out).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(out).drop_front(axis + 1));
  Tensor r = makeLike(first, elementTypeOf(op.getResult()), out);
  int64_t offset = 0;
  for (Value v : op.getInputs()) {
    const Tensor &t = env.get(v);
    int64_t block = t.shape[axis] * inner;
    for (int64_t b = 0; b < outer; ++b)
      copyRange(r, b * out[axis] * inner + offset, t, b * block, block);
    offset += block;
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

/// ONNX Slice of `a` with normalized, distinct axes.
/// The result of a view op (squeeze, unsqueeze, flatten, reshape): the
/// input's elements under the shape `out`, moved when this op is the
/// input's last use, copied otherwise.
LogicalResult setReshaped(Operation *op, Env &env, ArrayRef<int64_t> out) {
  Tensor r = env.take(op->getOperand(0));
  r.shape.assign(out.begin(), out.end());
  r.elementType = elementTypeOf(op->getResult(0));
  env.set(op->getResult(0), std::move(r));
  return success();
}

LogicalResult sliceImpl(Operation *op, const Tensor &a, ArrayRef<int64_t> starts,
                        ArrayRef<int64_t> ends, ArrayRef<int64_t> axes,
                        ArrayRef<int64_t> steps, Env &env) {
  SmallVector<int64_t> out(a.shape), first(a.shape.size(), 0),
      step(a.shape.size(), 1);
  for (auto [k, axis] : llvm::enumerate(axes)) {
    step[axis] = steps[k];
    out[axis] = qc::sliceExtent(a.shape[axis], starts[k], ends[k], step[axis],
                                &first[axis]);
  }
  if (failed(checkResult(op, out)))
    return failure();
  SmallVector<int64_t> st = stridesOf(a.shape), src(st.size()),
      zero(st.size(), 0);
  int64_t base = 0;
  for (size_t d = 0; d < st.size(); ++d) {
    src[d] = st[d] * step[d];
    if (out[d] > 0)
      base += first[d] * st[d];
  }
  Tensor r = makeLike(a, elementTypeOf(op->getResult(0)), out);
  copyStrided(r, a, base, out, src);
  env.set(op->getResult(0), std::move(r));
  return success();
}

LogicalResult slice(Operation *o, Env &env) {
  auto op = cast<qc::SliceOp>(o);
  return sliceImpl(op, env.get(op.getInput()), op.getStarts(), op.getEnds(),
                   op.getAxes(), op.getSteps(), env);
}

LogicalResult dynamicSlice(Operation *o, Env &env) {
  auto op = cast<qc::DynamicSliceOp>(o);
  const Tensor &a = env.get(op.getInput());
  const std::vector<int64_t> &starts = env.get(op.getStarts()).i,
                             &ends = env.get(op.getEnds()).i,
                             &axesIn = env.get(op.getAxes()).i,
                             &steps = env.get(op.getSteps()).i;
  size_t n = starts.size();
  if (ends.size() != n || axesIn.size() != n || steps.size() != n)
    return op.emitError("starts, ends, axes and steps have different lengths");
  int64_t rank = a.shape.size();
  SmallVector<int64_t> axes;
  SmallVector<bool> seen(rank, false);
  for (size_t k = 0; k < n; ++k) {
    int64_t ax = axesIn[k];
    if (ax < -rank || ax >= rank)
      return op.emitError("axis ") << ax << " is out of range [" << -rank
                                   << ", " << rank << ")";
    if (ax < 0)
      ax += rank;
    if (seen[ax])
      return op.emitError("axis ") << ax << " is listed twice";
    seen[ax] = true;
    if (steps[k] == 0)
      return op.emitError("step for axis ") << ax << " is 0";
    axes.push_back(ax);
  }
  return sliceImpl(op, a, SmallVector<int64_t>(starts.begin(), starts.end()),
                   SmallVector<int64_t>(ends.begin(), ends.end()), axes,
                   SmallVector<int64_t>(steps.begin(), steps.end()), env);
}

LogicalResult squeeze(Operation *o, Env &env) {
  auto op = cast<qc::SqueezeOp>(o);
  const Tensor &a = env.get(op.getInput());
  SmallVector<int64_t> out;
  for (size_t d = 0; d < a.shape.size(); ++d) {
    if (llvm::is_contained(op.getAxes(), (int64_t)d)) {
      if (a.shape[d] != 1)
        return op.emitError("cannot squeeze dimension ")
               << d << " of " << shapeStr(a.shape) << ": it is not 1";
      continue;
    }
    out.push_back(a.shape[d]);
  }
  return setReshaped(op, env, out);
}

LogicalResult unsqueeze(Operation *o, Env &env) {
  auto op = cast<qc::UnsqueezeOp>(o);
  const Tensor &a = env.get(op.getInput());
  SmallVector<int64_t> out;
  size_t src = 0, rank = a.shape.size() + op.getAxes().size();
  for (size_t d = 0; d < rank; ++d)
    out.push_back(llvm::is_contained(op.getAxes(), (int64_t)d)
                      ? 1
                      : a.shape[src++]);
  return setReshaped(op, env, out);
}

/// Runtime axes normalized against `rank`; sorted and distinct.
FailureOr<SmallVector<int64_t>> runtimeAxes(Operation *op,
                                            const std::vector<int64_t> &in,
                                            int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t a : in) {
    if (a < -rank || a >= rank)
      return op->emitError("axis ")
             << a << " is out of range [" << -rank << ", " << rank << ")";
    axes.push_back(a < 0 ? a + rank : a);
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return op->emitError("axes repeat an axis");
  return axes;
}

LogicalResult dynamicSqueeze(Operation *o, Env &env) {
  auto op = cast<qc::DynamicSqueezeOp>(o);
  const Tensor &a = env.get(op.getInput());
  FailureOr<SmallVector<int64_t>> axes =
      runtimeAxes(op, env.get(op.getAxes()).i, a.shape.size());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> out;
  for (size_t d = 0; d < a.shape.size(); ++d) {
    if (llvm::is_contained(*axes, (int64_t)d)) {
      if (a.shape[d] != 1)
        return op.emitError("cannot squeeze dimension ")
               << d << " of " << shapeStr(a.shape) << ": it is not 1";
      continue;
    }
    out.push_back(a.shape[d]);
  }
  if (failed(checkResult(op, out)))
    return failure();
  return setReshaped(op, env, out);
}

LogicalResult dynamicUnsqueeze(Operation *o, Env &env) {
  auto op = cast<qc::DynamicUnsqueezeOp>(o);
  const Tensor &a = env.get(op.getInput());
  const std::vector<int64_t> &axesIn = env.get(op.getAxes()).i;
  int64_t rank = a.shape.size() + axesIn.size();
  FailureOr<SmallVector<int64_t>> axes = runtimeAxes(op, axesIn, rank);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> out;
  size_t src = 0;
  for (int64_t d = 0; d < rank; ++d)
    out.push_back(llvm::is_contained(*axes, d) ? 1 : a.shape[src++]);
  if (failed(checkResult(op, out)))
    return failure();
  return setReshaped(op, env, out);
}

LogicalResult dynamicSplit(Operation *o, Env &env) {
  auto op = cast<qc::DynamicSplitOp>(o);
  const Tensor &a = env.get(op.getInput());
  const std::vector<int64_t> &sizes = env.get(op.getSplit()).i;
  int64_t axis = op.getAxis();
  if (sizes.size() != op.getResults().size())
    return op.emitError("split has ")
           << sizes.size() << " entries for " << op.getResults().size()
           << " results";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0 || s > a.shape[axis])
      return op.emitError("split size ")
             << s << " is outside [0, " << a.shape[axis] << "]";
    total += s;
  }
  if (total != a.shape[axis])
    return op.emitError("split sizes sum to ")
           << total << ", but dimension " << axis << " is " << a.shape[axis];
  int64_t outer = product(ArrayRef<int64_t>(a.shape).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(a.shape).drop_front(axis + 1));
  int64_t start = 0;
  // Stored only after the loop: env.set may move `a` and `sizes`.
  std::vector<Tensor> results;
  for (auto [k, res] : llvm::enumerate(op.getResults())) {
    SmallVector<int64_t> out(a.shape);
    out[axis] = sizes[k];
    auto type = cast<RankedTensorType>(res.getType());
    for (size_t d = 0; d < out.size(); ++d)
      if (!type.isDynamicDim(d) && type.getDimSize(d) != out[d])
        return op.emitError("result ") << k << " is " << shapeStr(out)
                                       << ", not " << type;
    Tensor r = makeLike(a, type.getElementType(), out);
    for (int64_t b = 0; b < outer; ++b)
      copyRange(r, b * sizes[k] * inner, a,
                (b * a.shape[axis] + start) * inner, sizes[k] * inner);
    start += sizes[k];
    results.push_back(std::move(r));
  }
  for (auto [res, r] : llvm::zip(op.getResults(), results))
    env.set(res, std::move(r));
  return success();
}

LogicalResult flatten(Operation *o, Env &env) {
  auto op = cast<qc::FlattenOp>(o);
  const Tensor &a = env.get(op.getInput());
  int64_t axis = op.getAxis();
  SmallVector<int64_t> out = {
      product(ArrayRef<int64_t>(a.shape).take_front(axis)),
      product(ArrayRef<int64_t>(a.shape).drop_front(axis))};
  if (failed(checkResult(op, out)))
    return failure();
  return setReshaped(op, env, out);
}

LogicalResult size(Operation *o, Env &env) {
  auto op = cast<qc::SizeOp>(o);
  Tensor r = Tensor::makeInt(elementTypeOf(op.getResult()), {});
  r.i[0] = env.get(op.getInput()).numElements();
  env.set(op.getResult(), std::move(r));
  return success();
}

/// qc.non_zero (S18): coordinates of the non-zero elements, row-major.
LogicalResult nonZero(Operation *o, Env &env) {
  auto op = cast<qc::NonZeroOp>(o);
  const Tensor &a = env.get(op.getInput());
  int64_t n = a.numElements(), rank = a.shape.size();
  // Float codes (Bytes of a float type) are zero in every bit but the
  // sign's.
  unsigned magnitude =
      a.kind == Tensor::Kind::Bytes && !holdsInts(a)
          ? (1u << (a.elementType.getIntOrFloatBitWidth() - 1)) - 1
          : 0xffu;
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < n; ++i) {
    bool nz = a.kind == Tensor::Kind::Float ? a.f[i] != 0.0f
              : a.kind == Tensor::Kind::Int ? a.i[i] != 0
                                            : (a.bytes[i] & magnitude) != 0;
    if (nz)
      hits.push_back(i);
  }
  int64_t count = hits.size();
  Tensor r = Tensor::makeInt(elementTypeOf(op.getResult()), {rank, count});
  SmallVector<int64_t> st = stridesOf(a.shape);
  for (int64_t j = 0; j < count; ++j)
    for (int64_t d = 0; d < rank; ++d)
      r.i[d * count + j] = (hits[j] / st[d]) % a.shape[d];
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult shape(Operation *o, Env &env) {
  auto op = cast<qc::ShapeOp>(o);
  const Tensor &a = env.get(op.getInput());
  int64_t s = op.getStart(), e = op.getEnd();
  Tensor r = Tensor::makeInt(elementTypeOf(op.getResult()), {e - s});
  for (int64_t d = s; d < e; ++d)
    r.i[d - s] = a.shape[d];
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult expand(Operation *o, Env &env) {
  auto op = cast<qc::ExpandOp>(o);
  const Tensor &a = env.get(op.getInput());
  const std::vector<int64_t> &want = env.get(op.getShape()).i;
  // Bidirectional broadcast of the input shape and the given shape.
  size_t rank = std::max(a.shape.size(), want.size());
  SmallVector<int64_t> out(rank);
  for (size_t d = 0; d < rank; ++d) {
    int64_t x = d < rank - a.shape.size() ? 1 : a.shape[d - (rank - a.shape.size())];
    int64_t y = d < rank - want.size() ? 1 : want[d - (rank - want.size())];
    if (x != y && x != 1 && y != 1)
      return op.emitError("cannot expand ")
             << shapeStr(a.shape) << " to "
             << shapeStr(SmallVector<int64_t>(want.begin(), want.end()));
    out[d] = x == 1 ? y : x;
  }
  if (failed(checkRuntimeShape(op, out, "expanded shape")) ||
      failed(checkResult(op, out)))
    return failure();
  Tensor r = makeLike(a, elementTypeOf(op.getResult()), out);
  copyStrided(r, a, 0, out, broadcastStrides(a.shape, out));
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult tile(Operation *o, Env &env) {
  auto op = cast<qc::TileOp>(o);
  const Tensor &a = env.get(op.getInput());
  const std::vector<int64_t> &rep = env.get(op.getRepeats()).i;
  if (rep.size() != a.shape.size())
    return op.emitError("repeats has ")
           << rep.size() << " elements, the input has rank " << a.shape.size();
  SmallVector<int64_t> out;
  for (size_t d = 0; d < rep.size(); ++d) {
    if (rep[d] < 0)
      return op.emitError("negative repeat ") << rep[d];
    if (rep[d] && a.shape[d] > kMaxRuntimeElements / rep[d])
      return op.emitError("tiled shape has too many elements");
    out.push_back(a.shape[d] * rep[d]);
  }
  if (failed(checkRuntimeShape(op, out, "tiled shape")) ||
      failed(checkResult(op, out)))
    return failure();
  Tensor r = makeLike(a, elementTypeOf(op.getResult()), out);
  SmallVector<int64_t> st = stridesOf(a.shape), idx(out.size(), 0);
  int64_t n = product(out);
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t s = 0;
    for (size_t d = 0; d < out.size(); ++d)
      s += (idx[d] % a.shape[d]) * st[d];
    copyEl(r, lin, a, s);
    for (int64_t d = (int64_t)out.size() - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

/// The fill of a constant pad: a float (Float tensors) or an integer
/// (Int tensors, and byte codes).
struct PadFill {
  float f = 0;
  int64_t i = 0;
};

/// qc.pad / qc.dynamic_pad (S14): per dimension, each output index's input
/// index (-1: the fill), then an odometer over the output.
LogicalResult padTensor(Operation *op, const Tensor &a, ArrayRef<int64_t> pads,
                        qc::PadMode mode, PadFill fill, Env &env) {
  size_t rank = a.shape.size();
  if (pads.size() != 2 * rank)
    return op->emitError("pads has ")
           << pads.size() << " entries, expected 2 x rank = " << 2 * rank;
  SmallVector<int64_t> out;
  auto inRange = [](int64_t p) {
    return p <= kMaxRuntimeElements && p >= -kMaxRuntimeElements;
  };
  for (size_t d = 0; d < rank; ++d) {
    if (!inRange(pads[d]) || !inRange(pads[rank + d]))
      return op->emitError("pad ") << pads[d] << ", " << pads[rank + d]
                                   << " of dimension " << d << " is too large";
    int64_t n = a.shape[d], m = n + pads[d] + pads[rank + d];
    if (m < 0)
      return op->emitError("pads remove more than the ")
             << n << " elements of dimension " << d;
    int64_t kept = n - std::max<int64_t>(-pads[d], 0) -
                   std::max<int64_t>(-pads[rank + d], 0);
    if (mode != qc::PadMode::constant && kept <= 0 && m > 0)
      return op->emitError("mode ")
             << qc::stringifyPadMode(mode) << " cannot pad the empty dimension "
             << d;
    out.push_back(m);
  }
  if (failed(checkRuntimeShape(op, out, "padded shape")) ||
      failed(checkResult(op, out)))
    return failure();
  std::vector<std::vector<int64_t>> from(rank);
  for (size_t d = 0; d < rank; ++d) {
    // Negative pads crop first: the padding modes see the n elements
    // from `first` on.
    int64_t first = std::max<int64_t>(-pads[d], 0);
    int64_t n = a.shape[d] - first - std::max<int64_t>(-pads[rank + d], 0);
    for (int64_t o = 0; o < out[d]; ++o) {
      int64_t i = o - std::max<int64_t>(pads[d], 0);
      switch (mode) {
      case qc::PadMode::constant:
        if (i < 0 || i >= n)
          i = -1;
        break;
      case qc::PadMode::edge:
        i = std::clamp<int64_t>(i, 0, n - 1);
        break;
      case qc::PadMode::reflect:
        if (n == 1) {
          i = 0;
        } else {
          int64_t p = 2 * (n - 1);
          i = ((i % p) + p) % p;
          if (i >= n)
            i = p - i;
        }
        break;
      case qc::PadMode::wrap:
        i = ((i % n) + n) % n;
        break;
      }
      from[d].push_back(i < 0 ? i : i + first);
    }
  }
  Tensor r = makeLike(a, elementTypeOf(op->getResult(0)), out);
  SmallVector<int64_t> st = stridesOf(a.shape), idx(rank, 0);
  int64_t total = product(out);
  for (int64_t lin = 0; lin < total; ++lin) {
    int64_t src = 0;
    bool isFill = false;
    for (size_t d = 0; d < rank && !isFill; ++d) {
      int64_t i = from[d][idx[d]];
      isFill = i < 0;
      src += i * st[d];
    }
    if (!isFill) {
      copyEl(r, lin, a, src);
    } else {
      switch (r.kind) {
      case Tensor::Kind::Float: r.f[lin] = fill.f; break;
      case Tensor::Kind::Int: r.i[lin] = fill.i; break;
      case Tensor::Kind::Bytes: r.bytes[lin] = static_cast<uint8_t>(fill.i); break;
      }
    }
    for (int64_t d = (int64_t)rank - 1; d >= 0; --d) {
      if (++idx[d] < out[d])
        break;
      idx[d] = 0;
    }
  }
  env.set(op->getResult(0), std::move(r));
  return success();
}

LogicalResult pad(Operation *o, Env &env) {
  auto op = cast<qc::PadOp>(o);
  const Tensor &a = env.get(op.getInput());
  PadFill fill;
  if (std::optional<TypedAttr> v = op.getValue()) {
    if (auto f = dyn_cast<FloatAttr>(*v))
      fill.f = static_cast<float>(f.getValueAsDouble());
    else if (auto i = dyn_cast<IntegerAttr>(*v))
      fill.i = i.getType().isInteger(1) ? int64_t(i.getValue().getBoolValue())
                                        : i.getValue().getSExtValue();
    // Float codes held as bytes (f8, f4): 0 is the zero code in each.
    if (a.kind == Tensor::Kind::Bytes && isa<FloatAttr>(*v) && fill.f != 0)
      return op.emitError("fill value ")
             << *v << " for " << elementTypeOf(op.getResult())
             << " codes is not supported (only 0)";
  }
  return padTensor(op, a, op.getPads(), op.getMode(), fill, env);
}

LogicalResult dynamicPad(Operation *o, Env &env) {
  auto op = cast<qc::DynamicPadOp>(o);
  const Tensor &a = env.get(op.getInput());
  PadFill fill;
  if (Value v = op.getValue()) {
    const Tensor &t = env.get(v);
    switch (t.kind) {
    case Tensor::Kind::Float: fill.f = t.f[0]; break;
    case Tensor::Kind::Int: fill.i = t.i[0]; break;
    case Tensor::Kind::Bytes: fill.i = t.bytes[0]; break;
    }
  }
  const std::vector<int64_t> &pads = env.get(op.getPads()).i;
  return padTensor(op, a, pads, op.getMode(), fill, env);
}

LogicalResult range(Operation *o, Env &env) {
  auto op = cast<qc::RangeOp>(o);
  const Tensor &s = env.get(op.getStart()), &l = env.get(op.getLimit()),
               &dl = env.get(op.getDelta());
  Type et = elementTypeOf(op.getResult());
  if (s.kind == Tensor::Kind::Int) {
    int64_t a = s.i[0], b = l.i[0], d = dl.i[0];
    if (d == 0)
      return op.emitError("delta is 0");
    // ceil((limit - start) / delta), at least 0; in double as ONNX does.
    double cnt = std::ceil((double(b) - double(a)) / double(d));
    if (!(cnt < double(kMaxRuntimeElements)))
      return op.emitError("range has too many elements");
    int64_t n = cnt > 0 ? (int64_t)cnt : 0;
    if (failed(checkRuntimeShape(op, {n}, "range")) ||
        failed(checkResult(op, {n})))
      return failure();
    Tensor r = Tensor::makeInt(et, {n});
    for (int64_t k = 0; k < n; ++k)
      r.i[k] = a + k * d;
    env.set(op.getResult(), std::move(r));
    return success();
  }
  if (s.kind != Tensor::Kind::Float)
    return op.emitError("unsupported element type ") << et;
  float a = s.f[0], b = l.f[0], d = dl.f[0];
  if (d == 0.0f || std::isnan(a) || std::isnan(b) || std::isnan(d))
    return op.emitError("delta is 0 or an operand is NaN");
  double cnt = std::ceil((double(b) - double(a)) / double(d));
  if (!(cnt < double(kMaxRuntimeElements)))
    return op.emitError("range has too many elements");
  int64_t n = cnt > 0 ? (int64_t)cnt : 0;
  if (failed(checkResult(op, {n})))
    return failure();
  Tensor r = Tensor::makeFloat(et, {n});
  // Accumulated in float, as onnxruntime does (bit-exact with it).
  float v = a;
  for (int64_t k = 0; k < n; ++k, v += d)
    r.f[k] = v;
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult constantOfShape(Operation *o, Env &env) {
  auto op = cast<qc::ConstantOfShapeOp>(o);
  const std::vector<int64_t> &dims = env.get(op.getShape()).i;
  SmallVector<int64_t> out(dims.begin(), dims.end());
  if (failed(checkRuntimeShape(op, out, "shape")) ||
      failed(checkResult(op, out)))
    return failure();
  Type et = elementTypeOf(op.getResult());
  Tensor r;
  if (auto fa = dyn_cast<FloatAttr>(op.getValue())) {
    if (!isFloatish(et))
      return op.emitError("unsupported element type ") << et;
    r = Tensor::makeFloat(et, out);
    std::fill(r.f.begin(), r.f.end(), (float)fa.getValueAsDouble());
  } else {
    auto ia = cast<IntegerAttr>(op.getValue());
    if (isBytesType(et)) {
      r = Tensor::makeBytes(et, out);
      std::fill(r.bytes.begin(), r.bytes.end(), (uint8_t)ia.getInt());
    } else {
      r = Tensor::makeInt(et, out);
      std::fill(r.i.begin(), r.i.end(),
                et.isInteger(1) ? (int64_t)ia.getValue().getBoolValue()
                                : ia.getValue().getSExtValue());
    }
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult dynamicReshape(Operation *o, Env &env) {
  auto op = cast<qc::DynamicReshapeOp>(o);
  const Tensor &a = env.get(op.getInput());
  const std::vector<int64_t> &spec = env.get(op.getShape()).i;
  SmallVector<int64_t> out;
  int64_t known = 1, inferAt = -1;
  for (size_t k = 0; k < spec.size(); ++k) {
    int64_t v = spec[k];
    if (v == 0 && !op.getAllowzero()) {
      if (k >= a.shape.size())
        return op.emitError("shape entry ")
               << k << " is 0 (copy) but the input has rank "
               << a.shape.size();
      v = a.shape[k];
    }
    if (v == -1) {
      if (inferAt >= 0)
        return op.emitError("the shape has more than one -1");
      inferAt = k;
      out.push_back(1);
      continue;
    }
    if (v < 0)
      return op.emitError("invalid shape entry ") << v;
    if (v && known > kMaxRuntimeElements / v)
      return op.emitError("shape has too many elements");
    out.push_back(v);
    known *= v;
  }
  int64_t n = a.numElements();
  if (inferAt >= 0) {
    if (known == 0 || n % known != 0)
      return op.emitError("cannot reshape ")
             << shapeStr(a.shape) << " to "
             << shapeStr(SmallVector<int64_t>(spec.begin(), spec.end()));
    out[inferAt] = n / known;
  } else if (known != n) {
    return op.emitError("cannot reshape ")
           << shapeStr(a.shape) << " (" << n << " elements) to "
           << shapeStr(out);
  }
  if (failed(checkResult(op, out)))
    return failure();
  return setReshaped(op, env, out);
}

} // namespace

void quantc::exec::registerShapeKernels(KernelRegistry &registry) {
  registry.add(qc::GatherOp::getOperationName(), gather);
  registry.add(qc::GatherElementsOp::getOperationName(), gatherElements);
  registry.add(qc::GatherNDOp::getOperationName(), gatherND);
  registry.add(qc::NonZeroOp::getOperationName(), nonZero);
  registry.add(qc::ScatterNDOp::getOperationName(), scatterND);
  registry.add(qc::ScatterElementsOp::getOperationName(), scatterElements);
  registry.add(qc::ConcatOp::getOperationName(), concat);
  registry.add(qc::SliceOp::getOperationName(), slice);
  registry.add(qc::DynamicSliceOp::getOperationName(), dynamicSlice);
  registry.add(qc::SqueezeOp::getOperationName(), squeeze);
  registry.add(qc::UnsqueezeOp::getOperationName(), unsqueeze);
  registry.add(qc::ShapeOp::getOperationName(), shape);
  registry.add(qc::SizeOp::getOperationName(), size);
  registry.add(qc::FlattenOp::getOperationName(), flatten);
  registry.add(qc::DynamicSqueezeOp::getOperationName(), dynamicSqueeze);
  registry.add(qc::DynamicUnsqueezeOp::getOperationName(), dynamicUnsqueeze);
  registry.add(qc::DynamicSplitOp::getOperationName(), dynamicSplit);
  registry.add(qc::ExpandOp::getOperationName(), expand);
  registry.add(qc::TileOp::getOperationName(), tile);
  registry.add(qc::PadOp::getOperationName(), pad);
  registry.add(qc::DynamicPadOp::getOperationName(), dynamicPad);
  registry.add(qc::RangeOp::getOperationName(), range);
  registry.add(qc::ConstantOfShapeOp::getOperationName(), constantOfShape);
  registry.add(qc::DynamicReshapeOp::getOperationName(), dynamicReshape);
}
