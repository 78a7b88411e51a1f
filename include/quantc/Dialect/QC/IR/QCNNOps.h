//===- QCNNOps.h - qc ops: NN family ---------------------------===//
//
// Convolutional-network ops: conv, pooling, batch norm, resize.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCNNOPS_H
#define QUANTC_DIALECT_QC_IR_QCNNOPS_H

#include "quantc/Dialect/QC/IR/QC.h"

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCNNOps.h.inc"

#endif
