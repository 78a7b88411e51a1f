//===- OnnxImporter.h - ONNX model to qc IR -------------------------------===//
//
// Builds a module with `func.func @main` in the qc dialect from an ONNX model.
// The model is untrusted input: every malformed or unsupported model yields a
// diagnostic through the context's diagnostic engine and a null module, never
// an assert or a crash (DESIGN §7). See docs/Import.md.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_IMPORT_ONNX_ONNXIMPORTER_H
#define QUANTC_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace quantc {

struct OnnxImportOptions {
  /// Static shapes for graph inputs, by input name. Each replaces the input's
  /// declared shape; it must have the declared rank and agree with every
  /// declared static dimension. Dimensions are >= 0.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Graph inputs bound to constant values, by input name (silero-vad's
  /// sample rate `sr`, which its If nodes test): the input becomes a
  /// constant of its declared type and shape (a scalar, or as many values
  /// as its static shape holds; one dynamic dim of a 1-D input takes the
  /// count) and leaves the function's arguments.
  llvm::StringMap<llvm::SmallVector<double>> inputValues;
};

/// Parses an ONNX file and builds a module with func.func @main. On failure
/// emits diagnostics (file, node name, op type, node index) through ctx's
/// diagnostic engine and returns null. Loads the dialects it needs into ctx.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(mlir::MLIRContext &ctx, llvm::StringRef path,
               const OnnxImportOptions &opts = {});

/// As importOnnxFile, from the serialized ModelProto in `bytes`;
/// `nameForDiagnostics` stands for the file in locations and messages.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBytes(mlir::MLIRContext &ctx, llvm::StringRef bytes,
                llvm::StringRef nameForDiagnostics,
                const OnnxImportOptions &opts = {});

/// Parses "name=1x3x48x320" into opts (a scalar is "name="); returns an error
/// message on bad syntax, a negative or overlong dimension, or a name given
/// twice.
llvm::Error parseInputShapeOption(llvm::StringRef spec,
                                  OnnxImportOptions &opts);

/// Parses "name=16000" or "name=1,2,3" (numbers) into opts.inputValues;
/// returns an error message on bad syntax or a name given twice.
llvm::Error parseInputValueOption(llvm::StringRef spec,
                                  OnnxImportOptions &opts);

} // namespace quantc

#endif // QUANTC_IMPORT_ONNX_ONNXIMPORTER_H
