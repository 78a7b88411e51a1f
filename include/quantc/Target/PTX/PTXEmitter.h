//===- PTXEmitter.h - gpu.module -> PTX -> cubin ------------------*- C++ -*-===//
//
// Lowers the kernel gpu.modules to PTX and cubin with MLIR's NVVM target
// (gpu-module-to-binary: the LLVM NVPTX backend, then the CUDA toolkit's
// ptxas for the cubin).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TARGET_PTX_PTXEMITTER_H
#define QUANTC_TARGET_PTX_PTXEMITTER_H

#include "quantc/Conversion/QCToGPU/GemmKernels.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace quantc {

/// Adds to `pm` the lowering of every gpu.module body to the LLVM/NVVM
/// dialects (scf->cf, gpu/arith/math/index/nvvm -> llvm, cast cleanup).
void buildKernelToLLVMPipeline(mlir::OpPassManager &pm);

/// nvvm-attach-target{chip features O=3} for `t`, the lowering above and
/// gpu-module-to-binary{format}: a module's gpu.modules to gpu.binary ops
/// ("isa": PTX, "bin": cubin through ptxas, "fatbin"). The second half of
/// qc-gpu-pipeline.
void buildKernelBinaryPipeline(mlir::OpPassManager &pm, KernelTarget t,
                               llvm::StringRef format);

/// The PTX of a kernel module and, when asked for, its cubin.
struct KernelObjects {
  std::string ptx;
  std::string cubin; ///< empty unless a ptxas was given
};

/// Lowers the gpu.module in `top` (a module holding only the kernel modules,
/// e.g. a fresh clone; `top` is modified) once and serializes it with
/// gpu-module-to-binary: PTX (format=isa) and, when `ptxas` names
/// `<toolkit>/bin/ptxas`, a cubin (format=bin, ptxas -O3 -arch=<chip>).
/// Exactly one gpu.module is expected; its #nvvm.target must be for `t` (one
/// is attached if absent). Errors (ptxas's log included) are reported through
/// MLIR diagnostics on `top`'s context.
mlir::FailureOr<KernelObjects>
emitKernelObjects(mlir::ModuleOp top, KernelTarget t, llvm::StringRef ptxas);

/// The toolkit gpu-module-to-binary gets for `ptxas`: "" for none given or
/// for the ptxas on PATH (which it finds by itself), else the directory
/// above `<toolkit>/bin/ptxas`; an error at `loc` for a path of another form
/// or a directory without `nvvm/libdevice` (the serializer reads it there).
mlir::FailureOr<std::string> ptxasToolkit(mlir::Location loc,
                                          llvm::StringRef ptxas);

/// emitKernelObjects without a cubin: the PTX text.
mlir::FailureOr<std::string> emitPTX(mlir::ModuleOp top, KernelTarget t);

/// Looks for ptxas on PATH, then $CUDA_HOME/bin, then /usr/local/cuda/bin.
std::optional<std::string> findPtxas();

/// Registers the dialects, conversion interfaces, LLVM IR translations and the
/// NVVM target interface that emitPTX needs (plus the kernel dialects).
void registerPTXTranslations(mlir::DialectRegistry &registry);

} // namespace quantc

#endif // QUANTC_TARGET_PTX_PTXEMITTER_H
