//===- QCShapeOps.h - qc ops: Shape family ---------------------------===//
//
// Shape and layout: gather, concat, split, slice, squeeze, expand, shape computations.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCSHAPEOPS_H
#define QUANTC_DIALECT_QC_IR_QCSHAPEOPS_H

#include "quantc/Dialect/QC/IR/QC.h"

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCShapeOps.h.inc"

#endif
