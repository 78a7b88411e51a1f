//===- QC.h - the qc dialect ----------------------------------------------===//
//
// Dialect, attributes and ops of quantc's graph-level quantization dialect.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QC_H
#define QUANTC_DIALECT_QC_IR_QC_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "quantc/Dialect/QC/IR/QCDialect.h.inc"

#include "quantc/Dialect/QC/IR/QCEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "quantc/Dialect/QC/IR/QCAttrs.h.inc"

#define GET_OP_CLASSES
#include "quantc/Dialect/QC/IR/QCOps.h.inc"

namespace quantc::qc {
/// ONNX multidirectional broadcast of two shapes; dynamic dims stay dynamic
/// unless the other side fixes them. Fails if incompatible.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);
/// The fold of an op that only relays out a small dense constant `input`
/// (at most 2^16 elements, not a resource) into the static type `result`;
/// null otherwise.
mlir::OpFoldResult foldRelayout(mlir::Attribute input, mlir::Type result);
/// Whether `t` is an element type a scheme may use for codes.
bool isCodeElementType(mlir::Type t);
/// Whether `t` is an element type a scheme may use for scales.
bool isScaleElementType(mlir::Type t);
/// The value of one of the dialect's enum attributes (#qc.reduce_kind<mean>
/// -> "mean"; the ONNX spelling of the value), or std::nullopt for any other
/// attribute.
std::optional<llvm::StringRef> stringifyEnumAttr(mlir::Attribute a);
/// The ONNX node name a location carries (NameLoc, possibly fused); "" if
/// none.
std::string getLayerName(mlir::Location loc);
} // namespace quantc::qc

#endif
