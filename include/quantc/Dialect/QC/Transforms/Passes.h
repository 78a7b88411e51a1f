//===- Passes.h - qc passes -----------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_TRANSFORMS_PASSES_H
#define QUANTC_DIALECT_QC_TRANSFORMS_PASSES_H

#include "quantc/Dialect/QC/IR/QC.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include <vector>

namespace quantc {
struct Tensor;
} // namespace quantc

namespace quantc::qc {

#define GEN_PASS_DECL
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"

/// What qc-calibrate does, on inputs already in memory: runs `fn` on the
/// Executor, attaches the min-max statistics, and returns the float outputs
/// (so a driver can measure accuracy without running the float graph again).
mlir::FailureOr<std::vector<Tensor>> calibrate(mlir::func::FuncOp fn,
                                               llvm::ArrayRef<Tensor> inputs);

/// Rewrites qc.matmul with constant weights into quantize + qc.qmatmul under
/// `scheme` (an MX scheme).
void populateQuantizeMatmulPatterns(mlir::RewritePatternSet &patterns,
                                    SchemeAttr scheme);

#define GEN_PASS_REGISTRATION
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"

} // namespace quantc::qc

#endif
