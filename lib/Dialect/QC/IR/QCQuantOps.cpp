//===- QCQuantOps.cpp - qc ops: Quant family -------------------------===//
#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCQuantOps.cpp.inc"

void QCDialect::registerQuantOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCQuantOps.cpp.inc"
      >();
}
