#ifndef QUANTC_DIALECT_QC_QCNNOPS_TD
#define QUANTC_DIALECT_QC_QCNNOPS_TD

// Convolutional-network ops: conv, pooling, batch norm, resize.
include "quantc/Dialect/QC/IR/QCBase.td"

#endif
