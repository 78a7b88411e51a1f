//===- QCMathOps.h - qc ops: Math family ---------------------------===//
//
// Elementwise math, activations, normalizations, reductions, comparisons.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCMATHOPS_H
#define QUANTC_DIALECT_QC_IR_QCMATHOPS_H

#include "quantc/Dialect/QC/IR/QC.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCMathOps.h.inc"

#endif
