#ifndef QUANTC_DIALECT_QC_QCMATHOPS_TD
#define QUANTC_DIALECT_QC_QCMATHOPS_TD

// Elementwise math, activations, normalizations, reductions, comparisons.
include "quantc/Dialect/QC/IR/QCBase.td"

#endif
