//===- HostKernels.h - GPU kernels JIT-compiled for this CPU -----*- C++ -*-===//
//
// Runs the kernels of a gpu.module (what qc-convert-to-gpu builds, before
// the NVVM lowering) on the host: each gpu.func whose threads do not
// cooperate (no barrier, shuffle, shared memory or NVVM op) becomes a host
// function of its arguments and its thread and block ids, and a driver
// runs every thread of a launch one after another. A kernel whose only
// cooperation is the warp's mma.sync m16n8k32 e4m3 (the sm_89/sm_90 MXFP8
// GEMMs) runs each warp's 32 lanes as coroutines with the MMA emulated.
// The kernel bodies are the same arith/scf/LLVM ops that become PTX, so a
// wrong index, encoding or bound in a kernel builder shows on a machine
// without a GPU (docs/Kernels.md, "Kernels on the host"). What this does
// not check: the NVPTX backend and ptxas, the tensor core's own rounding,
// the sm_120a and sm_90a GEMMs, and races between threads.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_HOST_HOSTKERNELS_H
#define QUANTC_TARGET_HOST_HOSTKERNELS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace quantc {

/// One kernel argument as the CUDA driver takes it: a device pointer (here
/// a host address) or a 32/64-bit integer.
struct HostKernelArg {
  enum class Kind { Pointer, I32, I64 };
  Kind kind;
  uint64_t value;
};

class HostKernels {
public:
  /// JIT-compiles for this CPU every kernel of the gpu.modules in `module`
  /// that can run one thread at a time (the others are listed by whyNot).
  /// `module` is not modified. Null with `error` set when the module has no
  /// gpu.module or the lowering or the JIT fails.
  static std::unique_ptr<HostKernels> create(mlir::ModuleOp module,
                                             std::string &error);
  ~HostKernels();

  /// The kernels that run here, in module order.
  llvm::ArrayRef<std::string> kernels() const;
  /// Every kernel of the module, in module order.
  llvm::ArrayRef<std::string> allKernels() const;
  /// Why kernel `name` cannot run here; "" when it can.
  std::string whyNot(llvm::StringRef name) const;

  /// Runs kernel `name` over grid x block threads, each as the GPU thread
  /// of those ids: blocks in z, y, x order, then threads in z, y, x order
  /// (a cooperative kernel: warp by warp, its lanes interleaved at each
  /// MMA). Pointer arguments must address memory that covers what the
  /// kernel touches, as on the GPU. False with `error` set for an unknown
  /// or refused kernel, arguments that do not match its parameters (an
  /// i32 out of range included), a non-positive grid or block extent, a
  /// launch beyond CUDA's limits, or a warp whose lanes do not all reach
  /// its MMA.
  bool launch(llvm::StringRef name, std::array<int64_t, 3> grid,
              std::array<int64_t, 3> block,
              llvm::ArrayRef<HostKernelArg> args, std::string &error);

private:
  HostKernels();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace quantc

#endif
