//===- ExecutorImpl.h - shared pieces of the Executor's kernels -*- C++ -*-===//
//
// Op kernels of the Executor live in one file per op family
// (ExecutorQuant.cpp, ExecutorMath.cpp, ExecutorShape.cpp, ExecutorNN.cpp);
// each registers its kernels by op name in the KernelRegistry, and so do the
// core ops (Executor.cpp): every op is dispatched through the registry. The
// .npz binding of inputs and outputs is ExecutorNpz.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_EXECUTORIMPL_H
#define QUANTC_LIB_EXECUTOR_EXECUTORIMPL_H

#include "Parallel.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCFormats.h"
#include "quantc/Numerics/Formats.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <optional>
#include <string>

namespace quantc::exec {
using namespace mlir;
namespace nx = quantc::numerics;

/// Values computed so far.
struct Env {
  llvm::DenseMap<mlir::Value, Tensor> env;
  /// Values that depend on constants only, kept by the Executor from one run
  /// to the next (read-only here; see Executor::run).
  const llvm::DenseMap<mlir::Value, Tensor> *cache = nullptr;
  /// The ops that depend on constants only (whether or not cached).
  const llvm::DenseSet<mlir::Operation *> *constantOps = nullptr;
  const Tensor &get(mlir::Value v) {
    auto it = env.find(v);
    return it != env.end() ? it->second : cache->find(v)->second;
  }
  void set(mlir::Value v, Tensor t) { env[v] = std::move(t); }
  /// Whether `v` is computed (this run, or cached by an earlier one).
  bool has(mlir::Value v) const {
    return env.count(v) || (cache && cache->count(v));
  }
  /// Set while an observer looks at the operands after each op: then no
  /// kernel may take them.
  bool keepOperands = false;
  /// The value of `v` to own: moved out when the op at hand is its only user
  /// and it is not a cached constant (no copy), copied otherwise.
  bool canTake(mlir::Value v) const {
    return !keepOperands && v.hasOneUse() && !(cache && cache->count(v));
  }
  Tensor take(mlir::Value v) {
    auto it = env.find(v);
    if (canTake(v))
      return std::move(it->second);
    return it->second;
  }
};

/// A float tensor of `shape` whose elements the caller then writes, every
/// one of them: its storage is the buffer of a dead value when one of about
/// the right size is spare (no zeroing, no fresh pages), else a new one.
/// Spare buffers are kept by the running Executor (FloatArena), so a second
/// run reuses the first's memory.
Tensor makeFloatOutput(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);

/// The result of an op that maps operand 0's float elements one to one (same
/// shape): operand 0's own buffer when this op is its last use (computed in
/// place: no allocation, no page faults), else a fresh one. `src` is set to
/// where the operand's elements are read.
Tensor elementwiseResult(mlir::Operation *op, Env &env, const float *&src);

/// A convolution and the batch norm and ReLU that follow it in a qc.fusion
/// (either may be null), in one pass over the result with the per-element
/// arithmetic of their own kernels; sets the last one's value.
mlir::LogicalResult runConvWithEpilogue(qc::ConvOp op, qc::BatchNormOp bn,
                                        qc::ReluOp relu, Env &env);

/// The Executor's spare float buffers; Executor::run installs its own for
/// the thread that runs it.
struct FloatArena {
  std::vector<std::vector<float>> spare;
  /// Takes a dead value's buffer (float storage only).
  void recycle(Tensor &t);
  static FloatArena *&current();
};

/// Runs one op: reads its operands from `env`, stores its results there.
/// Errors are emitted at the op.
using KernelFn = mlir::LogicalResult (*)(mlir::Operation *op, Env &env);

class KernelRegistry {
public:
  void add(llvm::StringRef opName, KernelFn fn) { kernels[opName] = fn; }
  KernelFn lookup(llvm::StringRef opName) const {
    auto it = kernels.find(opName);
    return it == kernels.end() ? nullptr : it->second;
  }

private:
  llvm::StringMap<KernelFn> kernels;
};

/// Registration hooks, one per op family file.
void registerQuantKernels(KernelRegistry &registry);
void registerMathKernels(KernelRegistry &registry);
void registerShapeKernels(KernelRegistry &registry);
void registerNNKernels(KernelRegistry &registry);

/// The registry with every family's kernels (built once, thread-safe).
const KernelRegistry &getKernelRegistry();

/// Maps an MLIR element type of codes or scales to the Numerics format.
inline std::optional<numerics::ElemFormat> toFormat(mlir::Type t) {
  return qc::toElemFormat(t);
}

inline bool isBytesType(mlir::Type t) {
  return toFormat(t).has_value() && !t.isInteger(64) && !t.isInteger(32);
}

/// Float kind element types; f64 values are held (and computed) as f32.
inline bool isFloatish(mlir::Type t) {
  return isa<Float32Type, Float16Type, BFloat16Type, Float64Type>(t);
}

inline std::string shapeStr(ArrayRef<int64_t> s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      r += ", ";
    r += ShapedType::isDynamic(s[i]) ? "?" : std::to_string(s[i]);
  }
  return r + "]";
}

/// The broadcast shape of two operands, or an error at `op` naming both.
inline FailureOr<SmallVector<int64_t>>
broadcastOrError(Operation *op, const Tensor &a, const Tensor &b) {
  auto shape = qc::broadcastShapes(a.shape, b.shape);
  if (failed(shape))
    return op->emitError("operand shapes ")
           << shapeStr(a.shape) << " and " << shapeStr(b.shape)
           << " do not broadcast";
  return shape;
}

/// ONNX Relu: NaN stays NaN.
inline float reluValue(float x) {
  return x > 0.0f ? x : (std::isnan(x) ? x : 0.0f);
}

/// The dims of a [..., M, K] x [..., K, N] product: M, K, N, the operands'
/// batch dims and their broadcast; an error at `op` when K differs or the
/// batch dims do not broadcast.
struct MatMulDims {
  int64_t M, K, N;
  ArrayRef<int64_t> aBatch, bBatch;
  SmallVector<int64_t> batch;
  /// batch followed by M, N.
  SmallVector<int64_t> resultShape() const {
    SmallVector<int64_t> s(batch);
    s.push_back(M);
    s.push_back(N);
    return s;
  }
};
inline FailureOr<MatMulDims> matmulDims(Operation *op, ArrayRef<int64_t> a,
                                        ArrayRef<int64_t> b) {
  MatMulDims d;
  d.M = a[a.size() - 2];
  d.K = a.back();
  d.N = b.back();
  if (b[b.size() - 2] != d.K)
    return op->emitError("reduction dims differ at run time: ")
           << d.K << " vs " << b[b.size() - 2];
  d.aBatch = a.drop_back(2);
  d.bBatch = b.drop_back(2);
  auto batch = qc::broadcastShapes(d.aBatch, d.bBatch);
  if (failed(batch))
    return op->emitError("batch dims do not broadcast at run time");
  d.batch = std::move(*batch);
  return d;
}

/// Row-major strides.
inline SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Strides of `shape` broadcast to `out` (0 on broadcast dims).
inline SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> out) {
  SmallVector<int64_t> s = stridesOf(shape), r(out.size(), 0);
  size_t off = out.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    r[off + i] = shape[i] == 1 ? 0 : s[i];
  return r;
}

template <typename F>
void forEachIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> sa,
                  ArrayRef<int64_t> sb, F &&fn) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (n == 0)
    return;
  size_t rank = shape.size();
  SmallVector<int64_t> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t lin = 0; lin < n; ++lin) {
    fn(lin, ia, ib);
    for (int64_t d = (int64_t)rank - 1; d >= 0; --d) {
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < shape[d])
        break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
}


/// Offset of row `row` (a linear index over `outer`, the dims before the
/// last) in a tensor read at `strides`.
inline int64_t rowOffset(int64_t row, ArrayRef<int64_t> outer,
                         ArrayRef<int64_t> strides) {
  int64_t off = 0;
  for (int64_t d = (int64_t)outer.size() - 1; d >= 0 && row; --d) {
    off += (row % outer[d]) * strides[d];
    row /= outer[d];
  }
  return off;
}

/// out[i] = f(a[ia], b[ib]) over the broadcast shape `out` (sa, sb: the
/// operand shapes). Contiguous, parallel loops when the shapes are equal,
/// one side is a scalar, or one side is a trailing block of the other (a
/// bias, a row); other broadcasts walk strides.
template <typename TA, typename TR, typename F>
void broadcastApply(const TA *a, ArrayRef<int64_t> sa, const TA *b,
                    ArrayRef<int64_t> sb, ArrayRef<int64_t> out, TR *r, F f) {
  auto product = [](ArrayRef<int64_t> s) {
    int64_t p = 1;
    for (int64_t d : s)
      p *= d;
    return p;
  };
  int64_t n = product(out), na = product(sa), nb = product(sb);
  if (n == 0)
    return;
  if (na == n && nb == n) { // same shape (up to leading 1s)
    parallelFor(n, kElemGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        r[i] = f(a[i], b[i]);
    });
    return;
  }
  if (nb == 1 && na == n) {
    TA y = b[0];
    parallelFor(n, kElemGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        r[i] = f(a[i], y);
    });
    return;
  }
  if (na == 1 && nb == n) {
    TA x = a[0];
    parallelFor(n, kElemGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        r[i] = f(x, b[i]);
    });
    return;
  }
  // One side is the full output, the other equals a trailing block of it
  // (e.g. [B, S, H] + [H]): loop rows.
  auto isTrailing = [&](ArrayRef<int64_t> s) {
    size_t k = 0;
    while (k < s.size() && s[k] == 1)
      ++k;
    s = s.drop_front(k);
    return s.size() <= out.size() && llvm::equal(s, out.take_back(s.size()));
  };
  if (na == n && isTrailing(sb)) {
    int64_t rows = n / nb;
    parallelFor(rows, std::max<int64_t>(1, kElemGrain / nb),
                [&](int64_t s, int64_t e) {
                  for (int64_t row = s; row < e; ++row) {
                    const TA *pa = a + row * nb;
                    TR *pr = r + row * nb;
                    for (int64_t j = 0; j < nb; ++j)
                      pr[j] = f(pa[j], b[j]);
                  }
                });
    return;
  }
  if (nb == n && isTrailing(sa)) {
    int64_t rows = n / na;
    parallelFor(rows, std::max<int64_t>(1, kElemGrain / na),
                [&](int64_t s, int64_t e) {
                  for (int64_t row = s; row < e; ++row) {
                    const TA *pb = b + row * na;
                    TR *pr = r + row * na;
                    for (int64_t j = 0; j < na; ++j)
                      pr[j] = f(a[j], pb[j]);
                  }
                });
    return;
  }
  // General broadcast: rows of the last dim, each at its strided offsets.
  auto stA = broadcastStrides(sa, out), stB = broadcastStrides(sb, out);
  int64_t inner = out.empty() ? 1 : out.back();
  int64_t ja = out.empty() ? 0 : stA.back(), jb = out.empty() ? 0 : stB.back();
  ArrayRef<int64_t> outer = out.empty() ? out : out.drop_back();
  parallelFor(n / inner, std::max<int64_t>(1, kElemGrain / inner),
              [&](int64_t s, int64_t e) {
                for (int64_t row = s; row < e; ++row) {
                  const TA *pa = a + rowOffset(row, outer, stA);
                  const TA *pb = b + rowOffset(row, outer, stB);
                  TR *pr = r + row * inner;
                  for (int64_t j = 0; j < inner; ++j)
                    pr[j] = f(pa[j * ja], pb[j * jb]);
                }
              });
}

} // namespace quantc::exec

#endif
