//===- HandlersShape.cpp - ONNX handlers: Shape op family ------------------===//
//
// Small handlers keyed by (op type, since_version); see Handlers.cpp for the
// conventions (NodeContext, input/output counts, diagnostics).
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "quantc/Dialect/QC/IR/QCShapeOps.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

llvm::ArrayRef<OnnxOpHandler> quantc::onnx_import::getShapeOnnxOpHandlers() {
  return {};
}
