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

namespace quantc::qc {
/// ONNX output size of one windowed (conv/pool) dim: dynamic stays dynamic,
/// -1 when the dilated window does not fit the padded input. With `ceilMode`
/// the size rounds up, but the last window must start inside the input or
/// its begin padding.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode);
} // namespace quantc::qc

#endif
