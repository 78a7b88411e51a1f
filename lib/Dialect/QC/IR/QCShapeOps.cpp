//===- QCShapeOps.cpp - qc ops: Shape family -------------------------===//
#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCShapeOps.cpp.inc"

void QCDialect::registerShapeOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCShapeOps.cpp.inc"
      >();
}
