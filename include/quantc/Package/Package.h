//===- Package.h - model.qcpkg writer and reader --------------------------===//
//
// A package is a directory (DESIGN.md §6):
//   manifest.json  format version, targets, inputs/outputs, buffers, kernel
//                  launch list, per-layer schemes
//   weights.bin    every constant of the quantized graph, 64-byte aligned, in
//                  the kernels' layout (codes [N, K] K-contiguous, one byte
//                  per code; E8M0 scales [N, ceil(K/32)])
//   graph.mlir     the quantized qc graph, constants as qc.weight references
//   kernels/<target>.ptx and .cubin
//   report.json    per-layer formats, errors, kernels
// It is written into a temporary sibling directory and renamed into place
// when complete, so a failure leaves nothing behind.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_PACKAGE_PACKAGE_H
#define QUANTC_PACKAGE_PACKAGE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace quantc {

inline constexpr int kPackageFormatVersion = 1;

struct PackageKernelFile {
  std::string target;   // "sm_120a"
  std::string ptx;      // PTX text
  std::string cubin;    // empty when ptxas was not available
};

struct PackageContents {
  std::string modelName;
  /// The quantized graph (func.func @main); constants become weights.bin
  /// entries. Not modified.
  mlir::ModuleOp graph;
  std::vector<PackageKernelFile> kernelFiles;
  /// Launch list entries (one per kernel launch, in graph order).
  llvm::json::Array launches;
  llvm::json::Object report;
};

/// Writes the package to `dir` atomically. `dir` must not exist yet, or be a
/// previous package (a directory holding manifest.json), which is replaced.
llvm::Error writePackage(llvm::StringRef dir, PackageContents &contents);

/// Loads a package's graph with its weights as constants, ready for the
/// Executor. Errors name the package and the file at fault.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
readPackageGraph(mlir::MLIRContext &ctx, llvm::StringRef dir);

/// Whether `path` looks like a package directory (holds manifest.json).
bool isPackageDirectory(llvm::StringRef path);

} // namespace quantc

#endif
