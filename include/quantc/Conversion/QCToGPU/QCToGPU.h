//===- QCToGPU.h - quantized qc ops to GPU kernels ------------------------===//
//
// Lowers the quantized matmuls of a qc graph to the GEMM kernel and links
// each op to it through the op's `kernel` attribute. The whole graph as a
// GPU program (every op, the package's launch list) is Program.h.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_CONVERSION_QCTOGPU_QCTOGPU_H
#define QUANTC_CONVERSION_QCTOGPU_QCTOGPU_H

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Dialect/QC/IR/QC.h"

namespace quantc {

/// Whether `s` is MXFP8: f8E4M3FN codes, f8E8M0FNU scales, K block 32.
bool isMXFP8Scheme(qc::SchemeAttr s);

/// The element type of an MX scheme the GEMM kernels take (E8M0 scales, K
/// block 32; elements e4m3 or e5m2 (the MMA takes both), or e2m1/e2m3/e3m2
/// recoded to e4m3 as they load), or null.
mlir::Type getMXGemmElement(qc::SchemeAttr s);

/// The short name of an MX element the kernels' names carry ("e4m3",
/// "e5m2", "e2m1", "e2m3", "e3m2").
llvm::StringRef getMXElementShortName(mlir::Type elem);

/// Whether a kernel exists for `op` (an MX scheme getMXGemmElement accepts,
/// on both operands). Otherwise explains why in `reason`.
bool isKernelSupported(qc::QMatMulOp op, std::string *reason = nullptr);

/// Name of the MXFP8 GEMM kernel every supported qc.qmatmul shares.
inline constexpr llvm::StringLiteral kGemmKernelName = "mxfp8_gemm";

/// Builds the GEMM kernel for target `t` once into `kernels` (a module that
/// will hold the gpu.module) if `graph` has a qc.qmatmul, and sets every
/// qc.qmatmul's `kernel` attribute to @quantc_kernels::@mxfp8_gemm. Emits an
/// error at the first op no kernel supports. Returns the ops in walk order.
mlir::FailureOr<llvm::SmallVector<qc::QMatMulOp>>
lowerQMatMulsToKernels(mlir::ModuleOp graph, mlir::ModuleOp kernels,
                       KernelTarget t);

} // namespace quantc

#endif
