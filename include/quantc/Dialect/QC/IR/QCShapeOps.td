#ifndef QUANTC_DIALECT_QC_QCSHAPEOPS_TD
#define QUANTC_DIALECT_QC_QCSHAPEOPS_TD

// Shape and layout: gather, concat, split, slice, squeeze, expand, shape computations.
include "quantc/Dialect/QC/IR/QCBase.td"

#endif
