//===- HostKernels.h - GPU kernels JIT-compiled for this CPU -----*- C++ -*-===//
//
// Runs the kernels of a gpu.module (what qc-convert-to-gpu or the kernel
// builders make, before the NVVM lowering) on the host: each gpu.func
// becomes a host function of its arguments and its thread and block ids.
// Kernels whose threads do not cooperate run every thread of a launch one
// after another. Kernels that cooperate (the warp's mma.sync m16n8k32 FP8,
// plain or block-scaled, and sm_120a's block-scaled m16n8k64 FP4,
// shfl.sync, bar.sync, the sm_90a GEMM's shared memory, mbarriers, TMA
// loads and wgmma.mma_async, the sm_100a GEMM's tensor memory and
// tcgen05.mma) run each block's threads as coroutines, with those
// operations emulated. The kernel bodies are the same arith/scf/LLVM
// ops that become PTX, so a wrong index, encoding, bound, barrier phase or
// descriptor in a kernel builder shows on a machine without a GPU
// (docs/Kernels.md, "Kernels on the host"). What this does not check: the
// NVPTX backend and ptxas, the tensor core's own rounding,
// memory-ordering races between threads, and the
// asynchrony of TMA and wgmma (both complete when issued here).
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
  /// (a cooperative kernel: block by block, its threads interleaved where
  /// they wait for each other). Pointer arguments must address memory
  /// that covers what the kernel touches, as on the GPU; a tensor-map
  /// argument points at 128 bytes written by encodeTensorMap.
  /// `sharedBytes` is the launch's dynamic shared memory (poisoned with
  /// 0xA5 at the start of each block). False with `error` set for an
  /// unknown or refused kernel, arguments that do not match its parameters
  /// (an i32 out of range included), a non-positive grid or block extent,
  /// a launch beyond CUDA's limits (227 KiB of shared memory included), a
  /// collective that not all of its threads reach, an mbarrier, TMA or
  /// wgmma operand outside the shared memory, or a deadlock.
  bool launch(llvm::StringRef name, std::array<int64_t, 3> grid,
              std::array<int64_t, 3> block,
              llvm::ArrayRef<HostKernelArg> args, std::string &error,
              uint32_t sharedBytes = 0);

  /// Writes the host's tensor map for a launch here into the 128 bytes at
  /// `map`: the counterpart of cuTensorMapEncodeTiled (tile mode, element
  /// strides 1, no interleave, out-of-bounds elements read as zero) with
  /// its argument conventions: `dims` and `box` innermost first, `strides`
  /// in bytes for dimensions 1 .. rank-1, `swizzleBytes` 0, 32, 64 or 128.
  /// False with `error` set where the driver would refuse the arguments.
  static bool encodeTensorMap(void *map, const void *base, unsigned elemBytes,
                              llvm::ArrayRef<uint64_t> dims,
                              llvm::ArrayRef<uint64_t> strides,
                              llvm::ArrayRef<uint32_t> box,
                              unsigned swizzleBytes, std::string &error);

private:
  HostKernels();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace quantc

#endif
