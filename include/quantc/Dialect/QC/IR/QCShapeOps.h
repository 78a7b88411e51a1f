//===- QCShapeOps.h - qc ops: Shape family ---------------------------===//
//
// Shape and layout: gather, concat, split, slice, squeeze, expand, shape computations.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCSHAPEOPS_H
#define QUANTC_DIALECT_QC_IR_QCSHAPEOPS_H

#include "quantc/Dialect/QC/IR/QC.h"

namespace quantc::qc {
/// ONNX Slice on one dimension of size `dim`: the number of elements taken
/// (start/end negative from the end, then clamped; step != 0), and in
/// `*first` (if given) the index of the first one.
int64_t sliceExtent(int64_t dim, int64_t start, int64_t end, int64_t step,
                    int64_t *first);
/// The length of an integer ONNX Range: max(0, ceil((limit - start) /
/// delta)); ShapedType::kDynamic for delta 0 or a length over INT64_MAX.
int64_t integerRangeCount(int64_t start, int64_t limit, int64_t delta);
} // namespace quantc::qc

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCShapeOps.h.inc"

#endif
