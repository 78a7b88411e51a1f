//===- OnnxExporter.h - qc IR -> ONNX QDQ model -----------------*- C++ -*-===//
//
// Writes the entry function of a qc module as a standard ONNX model
// (opset 21): quantized ops become QuantizeLinear/DequantizeLinear pairs that
// ONNX Runtime runs (docs/Export.md has the op mapping).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_EXPORT_ONNX_ONNXEXPORTER_H
#define QUANTC_EXPORT_ONNX_ONNXEXPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace quantc {

/// Serialized ONNX ModelProto of `module`'s `func.func @main` (or its only
/// function). On failure (an op without an ONNX mapping, an unsupported
/// type or scheme) the diagnostics are emitted and failure returned; an
/// unmapped op set is reported in one error listing every op name.
mlir::FailureOr<std::string> exportOnnx(mlir::ModuleOp module);

/// Coverage of op `opName` ("qc.add"): an empty string if the exporter maps
/// it (some mappings hold only for certain attributes, types or schemes and
/// are an error at the op otherwise), the reason if it is never exported,
/// nullopt if the exporter does not know the op at all (a gap to close:
/// unittests/Export checks that no registered qc op is one).
std::optional<llvm::StringRef> onnxExportGap(llvm::StringRef opName);

} // namespace quantc

#endif
