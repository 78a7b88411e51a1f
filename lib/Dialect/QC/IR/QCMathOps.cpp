//===- QCMathOps.cpp - qc ops: Math family -------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCMathOps.cpp.inc"

void QCDialect::registerMathOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCMathOps.cpp.inc"
      >();
}
