//===- QCShapeUtils.h - shape helpers of the qc ops -------------*- C++ -*-===//
//
// The shape logic the qc ops' verifiers and type inference share: dimension
// compatibility (a dynamic dim matches anything), ONNX broadcasting, the
// inferred-vs-declared result rule, and the spelling of shapes in
// diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCSHAPEUTILS_H
#define QUANTC_DIALECT_QC_IR_QCSHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/TypeRange.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace quantc::qc {

/// Equal, or one of them dynamic.
bool dimsCompatible(int64_t a, int64_t b);
/// Same rank and every dim compatible.
bool shapesCompatible(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);
/// "2x?x4" ("" for rank 0).
std::string shapeStr(llvm::ArrayRef<int64_t> s);
/// As shapeStr, but "scalar" for rank 0.
std::string dimsStr(llvm::ArrayRef<int64_t> s);

/// Inferred and declared result types agree: same element types, shapes
/// compatible (a declared type may know a dim the inference leaves dynamic,
/// and the reverse). The isCompatibleReturnTypes of every inferring qc op.
bool compatibleResultTypes(mlir::TypeRange inferred, mlir::TypeRange declared);

/// The result type of an ONNX-broadcasting binary op: the broadcast shape of
/// lhs and rhs with element type `elem` (lhs's when null). With
/// `sameElements`, lhs and rhs must have one element type. Emits at `loc`
/// (when given) and fails on mismatched element types or shapes that do not
/// broadcast.
mlir::LogicalResult inferBroadcastType(std::optional<mlir::Location> loc,
                                       mlir::Type lhs, mlir::Type rhs,
                                       mlir::Type elem, bool sameElements,
                                       llvm::SmallVectorImpl<mlir::Type> &out);

/// The result shape of a matrix product with ONNX MatMul semantics of
/// operands of rank >= 2 ([..., M, K] x [..., K, N]: batch dims broadcast).
/// Emits at `loc` (when given) and fails on a rank below 2, inner dims that
/// differ or batch dims that do not broadcast.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferMatMulShape(std::optional<mlir::Location> loc, llvm::ArrayRef<int64_t> l,
                 llvm::ArrayRef<int64_t> r);

/// The type of an op's $input: the result type of a same-type op (with
/// QC_INFER_RESULT_WITH).
template <typename Adaptor>
mlir::FailureOr<mlir::RankedTensorType>
inputType(std::optional<mlir::Location>, Adaptor adaptor) {
  return llvm::cast<mlir::RankedTensorType>(adaptor.getInput().getType());
}

} // namespace quantc::qc

/// Defines OP::isCompatibleReturnTypes of an inferring qc op as
/// compatibleResultTypes.
#define QC_COMPATIBLE_RESULT_TYPES(OP)                                         \
  bool OP::isCompatibleReturnTypes(::mlir::TypeRange l, ::mlir::TypeRange r) { \
    return ::quantc::qc::compatibleResultTypes(l, r);                          \
  }

/// Defines OP::inferReturnTypes of a one-result op as FN(loc, adaptor), a
/// FailureOr<RankedTensorType>, and OP::isCompatibleReturnTypes.
#define QC_INFER_RESULT_WITH(OP, FN)                                           \
  ::mlir::LogicalResult OP::inferReturnTypes(                                  \
      ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,              \
      Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {      \
    ::mlir::FailureOr<::mlir::RankedTensorType> type = FN(loc, adaptor);       \
    if (::mlir::failed(type))                                                  \
      return ::mlir::failure();                                                \
    inferred.push_back(*type);                                                 \
    return ::mlir::success();                                                  \
  }                                                                            \
  QC_COMPATIBLE_RESULT_TYPES(OP)

/// Defines OP::inferReturnTypes / isCompatibleReturnTypes of an
/// ONNX-broadcasting binary op (operands $lhs, $rhs): the broadcast shape
/// with element type ELEM (an expression that may use `ctx`; a null Type
/// means lhs's), SAME: lhs and rhs share one element type.
#define QC_BROADCAST_INFERENCE(OP, ELEM, SAME)                                 \
  ::mlir::LogicalResult OP::inferReturnTypes(                                  \
      ::mlir::MLIRContext *ctx, std::optional<::mlir::Location> loc,           \
      Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {      \
    (void)ctx;                                                                 \
    return ::quantc::qc::inferBroadcastType(                                   \
        loc, adaptor.getLhs().getType(), adaptor.getRhs().getType(), ELEM,     \
        SAME, inferred);                                                       \
  }                                                                            \
  QC_COMPATIBLE_RESULT_TYPES(OP)

#endif // QUANTC_DIALECT_QC_IR_QCSHAPEUTILS_H
