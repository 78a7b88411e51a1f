//===- QCNNOps.cpp - qc ops: NN family -------------------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace quantc::qc;

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCNNOps.cpp.inc"

void QCDialect::registerNNOps() {
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCNNOps.cpp.inc"
      >();
}
