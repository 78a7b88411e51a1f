//===- Executor.h - reference interpreter over qc -------------------------===//
//
// Runs `func.func @main` of a qc module on the CPU: the float graph, and the
// quantized graph with the target's arithmetic emulated (qc.qmatmul sums
// each K block in fp32, then adds partial * (scale_a * scale_b) with one
// fused multiply-add, as the kernels do). It is the executable spec the
// passes' accuracy and the GPU kernels are checked against.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_EXECUTOR_EXECUTOR_H
#define QUANTC_EXECUTOR_EXECUTOR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace quantc {
namespace npz {
struct Array;
} // namespace npz
namespace exec {
struct FloatArena;
} // namespace exec

/// A runtime value. Float tensors (f32/f16/bf16/f64 in the IR) hold f32 values
/// in `f` (f64 is computed in f32); integer tensors (i1, i16, i32, i64, ui16,
/// ui32, ui64) hold `i`: the value sign- or zero-extended, ui64 as its bit
/// pattern; quantized codes and scales (8-, 6- and 4-bit formats, i8, ui8,
/// i4) hold one code per byte in `bytes` (docs/Import.md, "Element types").
struct Tensor {
  enum class Kind { Float, Int, Bytes };
  Kind kind = Kind::Float;
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  std::vector<float> f;
  std::vector<int64_t> i;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  static Tensor makeFloat(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);
  static Tensor makeBytes(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);
  static Tensor makeInt(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);
};

class Executor {
public:
  /// Called after each op with its operands and results. With an observer
  /// set, every op runs on its own (no constant caching, no GEMM bias-add
  /// fusion, whose sums may differ from a plain run's in the last bits).
  /// One Executor runs one run() at a time (it keeps caches and buffers
  /// from run to run); use one Executor per thread.
  using Observer = std::function<void(mlir::Operation *op,
                                      llvm::ArrayRef<const Tensor *> operands,
                                      llvm::ArrayRef<const Tensor *> results)>;

  explicit Executor(mlir::func::FuncOp fn) : fn(fn) {}
  // run() keeps caches and buffers; a copy would share them.
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;
  Executor(Executor &&) = default;
  Executor &operator=(Executor &&) = default;
  /// `watch`, when given, limits the observer to the ops it returns true
  /// for; the others run as without an observer (their kernels may take a
  /// dead operand's buffer instead of copying it, a fusion none of whose
  /// ops is watched runs fused).
  void setObserver(Observer o,
                   std::function<bool(mlir::Operation *)> watch = {}) {
    observer = std::move(o);
    watched = std::move(watch);
  }

  /// Runs the function. Input shapes must match the argument types (dynamic
  /// dims take any size). Errors are emitted at the failing op's location.
  mlir::FailureOr<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs);

  /// Graph input/output names (the `qc.name` argument/result attributes,
  /// or input_<i>/output_<i>).
  std::vector<std::string> getInputNames() const;
  std::vector<std::string> getOutputNames() const;

  /// Converts .npz arrays keyed by input name into inputs for run(), checking
  /// presence, dtype and shape. Errors name the key and what is wrong.
  mlir::FailureOr<std::vector<Tensor>>
  bindInputs(llvm::ArrayRef<npz::Array> arrays, llvm::StringRef source) const;
  /// Converts outputs of run() into .npz arrays keyed by output name.
  std::vector<npz::Array> toArrays(llvm::ArrayRef<Tensor> outputs) const;

  /// Draws `batch` rows of seeded standard-normal inputs: the leading dynamic
  /// dim of each input is `batch`, other dynamic dims are 1.
  mlir::FailureOr<std::vector<Tensor>> randomInputs(int64_t batch,
                                                    uint64_t seed) const;

  /// Keep the values that depend on constants only (weights, their
  /// transposes, shape computations) from the first run to the next ones
  /// instead of rebuilding them each run. Costs the memory of those values
  /// while the Executor lives; worth it for repeated runs. On by default. The
  /// function must not change while the Executor caches.
  void setConstantCaching(bool on) {
    cacheConstants = on;
    if (!on)
      clearConstantCache();
  }
  void clearConstantCache() {
    constantCache.clear();
    cachePlanned = cacheFilled = false;
  }

  /// Per op name: how many ops ran and their total wall time, summed over
  /// every run() since profiling was enabled.
  struct OpProfile {
    std::string name;
    int64_t count = 0;
    double seconds = 0;
  };
  void setProfiling(bool on) { profiling = on; }
  /// Sorted by total time, largest first.
  std::vector<OpProfile> getProfile() const;

private:
  /// Finds the ops that depend on constants only and the values of them that
  /// later ops read (those are cached).
  void planConstantCache();

  bool cacheConstants = true, cachePlanned = false, cacheFilled = false;
  llvm::DenseSet<mlir::Operation *> constantOps;
  llvm::DenseSet<mlir::Value> cachedValues;
  llvm::DenseMap<mlir::Value, Tensor> constantCache;
  bool profiling = false;
  llvm::StringMap<OpProfile> profile;
  /// Float buffers of dead values, reused by later ops and runs.
  std::shared_ptr<exec::FloatArena> arenaPtr;
  // Op handles are value types whose accessors are not const-qualified.
  mutable mlir::func::FuncOp fn;
  Observer observer;
  std::function<bool(mlir::Operation *)> watched;
};

/// Finds `func.func @main` (or the only function) in `module`; emits an error
/// and returns null if there is none.
mlir::func::FuncOp getEntryFunction(mlir::ModuleOp module);

/// Runs fn(i) for every i in [0, n) on the Executor's worker threads and
/// the caller (serially when called from one of its kernels), returning
/// when all are done: for passes that scan what it computed, such as
/// calibration's observers. Calls must not throw; each i runs once.
void parallelForEach(int64_t n, llvm::function_ref<void(int64_t)> fn);
/// The number of threads parallelForEach uses.
int getExecutorThreads();

} // namespace quantc

#endif
