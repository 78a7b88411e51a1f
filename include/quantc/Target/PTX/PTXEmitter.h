//===- PTXEmitter.h - gpu.module -> PTX -> cubin ------------------*- C++ -*-===//
//
// Lowers the kernel gpu.modules to PTX with MLIR's NVVM target (LLVM NVPTX
// backend) and assembles PTX to cubin with the CUDA toolkit's ptxas.
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
class PassManager;
} // namespace mlir

namespace quantc {

/// Adds to `pm` the lowering of every gpu.module body to the LLVM/NVVM
/// dialects (scf->cf, gpu/arith/math/index/nvvm -> llvm, cast cleanup).
void buildKernelToLLVMPipeline(mlir::PassManager &pm);

/// Lowers the gpu.module in `top` (a module holding only the kernel modules,
/// e.g. a fresh clone; `top` is modified) to PTX text. Exactly one gpu.module
/// is expected; its #nvvm.target must be for `t` (one is attached if absent).
/// Errors are reported through MLIR diagnostics on `top`'s context.
mlir::FailureOr<std::string> emitPTX(mlir::ModuleOp top, KernelTarget t);

/// Runs `ptxas -arch=<chip>` on the PTX; returns the cubin bytes. The error
/// text names ptxas and includes its stderr.
llvm::Expected<std::string> assembleCubin(llvm::StringRef ptx, KernelTarget t,
                                          llvm::StringRef ptxasPath = "");

/// Looks for ptxas on PATH, then $CUDA_HOME/bin, then /usr/local/cuda/bin.
std::optional<std::string> findPtxas();

/// Registers the dialects, conversion interfaces, LLVM IR translations and the
/// NVVM target interface that emitPTX needs (plus the kernel dialects).
void registerPTXTranslations(mlir::DialectRegistry &registry);

} // namespace quantc

#endif // QUANTC_TARGET_PTX_PTXEMITTER_H
