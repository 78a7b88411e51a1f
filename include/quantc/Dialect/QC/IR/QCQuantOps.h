//===- QCQuantOps.h - qc ops: Quant family ---------------------------===//
//
// ONNX-semantics quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, Cast between formats.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCQUANTOPS_H
#define QUANTC_DIALECT_QC_IR_QCQUANTOPS_H

#include "quantc/Dialect/QC/IR/QC.h"

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCQuantOps.h.inc"

#endif
