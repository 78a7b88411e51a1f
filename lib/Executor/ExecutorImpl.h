//===- ExecutorImpl.h - shared pieces of the Executor's kernels -*- C++ -*-===//
//
// Op kernels of the Executor live in one file per op family
// (ExecutorQuant.cpp, ExecutorMath.cpp, ExecutorShape.cpp, ExecutorNN.cpp);
// each registers its kernels by op name in the KernelRegistry. The core ops
// (Executor.cpp) are dispatched directly.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_EXECUTORIMPL_H
#define QUANTC_LIB_EXECUTOR_EXECUTORIMPL_H

#include "quantc/Executor/Executor.h"
#include "quantc/Numerics/Formats.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>
#include <string>

namespace quantc::exec {
using namespace mlir;
namespace nx = quantc::numerics;

/// Values computed so far.
struct Env {
  llvm::DenseMap<mlir::Value, Tensor> env;
  const Tensor &get(mlir::Value v) { return env.find(v)->second; }
  void set(mlir::Value v, Tensor t) { env[v] = std::move(t); }
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
  return TypeSwitch<Type, std::optional<nx::ElemFormat>>(t)
      .Case([](Float8E4M3FNType) { return nx::ElemFormat::E4M3FN; })
      .Case([](Float8E5M2Type) { return nx::ElemFormat::E5M2; })
      .Case([](Float6E2M3FNType) { return nx::ElemFormat::E2M3FN; })
      .Case([](Float6E3M2FNType) { return nx::ElemFormat::E3M2FN; })
      .Case([](Float4E2M1FNType) { return nx::ElemFormat::E2M1FN; })
      .Case([](Float8E8M0FNUType) { return nx::ElemFormat::E8M0FNU; })
      .Case([](IntegerType it) -> std::optional<nx::ElemFormat> {
        if (it.getWidth() == 8)
          return nx::ElemFormat::INT8;
        if (it.getWidth() == 4)
          return nx::ElemFormat::INT4;
        return std::nullopt;
      })
      .Default([](Type) { return std::nullopt; });
}

inline bool isBytesType(mlir::Type t) {
  return toFormat(t).has_value() && !t.isInteger(64) && !t.isInteger(32);
}

inline bool isFloatish(mlir::Type t) { return isa<Float32Type, Float16Type, BFloat16Type>(t); }

inline std::string shapeStr(ArrayRef<int64_t> s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      r += ", ";
    r += ShapedType::isDynamic(s[i]) ? "?" : std::to_string(s[i]);
  }
  return r + "]";
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


} // namespace quantc::exec

#endif
