//===- QCToGPU.h - quantized qc ops to GPU kernels ------------------------===//
//
// Lowers the quantized compute ops of a qc graph to gpu.func kernels, one per
// op, and links each op to its kernel through the op's `kernel` attribute.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_CONVERSION_QCTOGPU_QCTOGPU_H
#define QUANTC_CONVERSION_QCTOGPU_QCTOGPU_H

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Dialect/QC/IR/QC.h"

namespace quantc {

/// Whether a kernel exists for `op` (MXFP8: E4M3 codes, E8M0 scales, K block
/// 32, on both operands). Otherwise explains why in `reason`.
bool isKernelSupported(qc::QMatMulOp op, std::string *reason = nullptr);

/// For every qc.qmatmul in `graph`, in walk order, builds kernel
/// `qmatmul_<i>` for target `t` into `kernels` (a module that will hold the
/// gpu.module) and sets the op's `kernel` attribute to
/// @quantc_kernels::@qmatmul_<i>. Emits an error at the first op no kernel
/// supports. Returns the ops in kernel order.
mlir::FailureOr<llvm::SmallVector<qc::QMatMulOp>>
lowerQMatMulsToKernels(mlir::ModuleOp graph, mlir::ModuleOp kernels,
                       KernelTarget t);

} // namespace quantc

#endif
