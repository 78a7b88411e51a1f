//===- Constants.h - tensor constants of either storage kind ----*- C++ -*-===//
//
// Tensor constants come as DenseElementsAttr (small values, folds) or as
// DenseResourceElementsAttr (`dense_resource<name>` blobs: imported weights,
// possibly backed by a memory-mapped external-data file). Code that reads a
// constant's values goes through these helpers so both kinds work the same.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_SUPPORT_CONSTANTS_H
#define QUANTC_SUPPORT_CONSTANTS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"

#include <vector>

namespace quantc {

/// The storage of a tensor constant, without a copy.
struct ConstantBytes {
  /// Little-endian element storage, each element in the bytes MLIR's dense
  /// storage gives it (bit width rounded up to whole bytes). For a splat this
  /// is one element.
  llvm::ArrayRef<char> data;
  bool splat = false;
};

/// Whether `attr` is a ranked tensor constant these helpers can read
/// (DenseElementsAttr or DenseResourceElementsAttr).
bool isTensorConstant(mlir::Attribute attr);

/// The raw bytes of a tensor constant. Fails for other attributes, for a
/// resource whose blob is absent (e.g. printed with its data elided) and for
/// a blob whose size does not match its type, or an i1 tensor
/// (DenseElementsAttr packs bits).
mlir::FailureOr<ConstantBytes> getConstantBytes(mlir::Attribute attr);

/// The values of a float tensor constant as f32, one per element (splats
/// expanded). DenseElementsAttr of any float type; resources of f32.
mlir::LogicalResult getConstantFloats(mlir::Attribute attr,
                                      std::vector<float> &out);

} // namespace quantc

#endif // QUANTC_SUPPORT_CONSTANTS_H
