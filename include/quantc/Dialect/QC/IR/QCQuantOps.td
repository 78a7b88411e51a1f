#ifndef QUANTC_DIALECT_QC_QCQUANTOPS_TD
#define QUANTC_DIALECT_QC_QCQUANTOPS_TD

// ONNX-semantics quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, Cast between formats.
include "quantc/Dialect/QC/IR/QCBase.td"

#endif
