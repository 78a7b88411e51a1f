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

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <string>
#include <vector>

namespace quantc {

/// 2 added the GPU program (docs/Runtime.md).
inline constexpr int kPackageFormatVersion = 2;

struct PackageKernelFile {
  std::string target;   // "sm_120a"
  std::string ptx;      // PTX text
  std::string cubin;    // empty when ptxas was not available
  std::vector<std::string> kernels; // the .entry names it holds
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
  /// Builds the manifest's `program` from the package graph (constants
  /// already qc.weight ops): json null and the ops without a kernel in
  /// `unsupported` when it cannot run on a GPU. Unset: no program (a
  /// CPU-only package).
  std::function<llvm::json::Value(mlir::func::FuncOp,
                                  llvm::json::Array &unsupported)>
      buildProgram;
  /// With buildProgram: a program that cannot be built is an error (no
  /// package is written) rather than a package without one.
  bool requireProgram = false;
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
