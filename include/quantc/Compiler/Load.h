//===- Load.h - load what quant-run runs ----------------------------------===//
//
// One loader for the tools, the Python module and the C API: a package
// directory (its quantized graph with weights), a .mlir file, or an ONNX
// model.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_COMPILER_LOAD_H
#define QUANTC_COMPILER_LOAD_H

#include "quantc/Import/Onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace quantc {

/// Loads `path` by its kind (a directory is a package, `.mlir` is parsed,
/// anything else is imported as ONNX with `import`), verified. On failure
/// the reason goes through `ctx`'s diagnostic engine (a missing file, the
/// package reader's error, the parser's or importer's diagnostics) and the
/// result is null.
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(mlir::MLIRContext &ctx, llvm::StringRef path,
          const OnnxImportOptions &import = {});

} // namespace quantc

#endif
