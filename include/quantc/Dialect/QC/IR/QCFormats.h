//===- QCFormats.h - MLIR element types to Numerics formats ---------------===//
//
// The one mapping from the builtin element types that qc schemes and codes
// use to the Numerics library's formats, shared by the passes and the
// Executor.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_IR_QCFORMATS_H
#define QUANTC_DIALECT_QC_IR_QCFORMATS_H

#include "quantc/Numerics/Formats.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

namespace quantc::qc {
/// The Numerics format of codes or scales of element type `t` (8/6/4-bit
/// floats, E8M0, i8, i4 of any signedness); nullopt for anything else.
inline std::optional<numerics::ElemFormat> toElemFormat(mlir::Type t) {
  using numerics::ElemFormat;
  return llvm::TypeSwitch<mlir::Type, std::optional<ElemFormat>>(t)
      .Case([](mlir::Float8E4M3FNType) { return ElemFormat::E4M3FN; })
      .Case([](mlir::Float8E5M2Type) { return ElemFormat::E5M2; })
      .Case([](mlir::Float6E2M3FNType) { return ElemFormat::E2M3FN; })
      .Case([](mlir::Float6E3M2FNType) { return ElemFormat::E3M2FN; })
      .Case([](mlir::Float4E2M1FNType) { return ElemFormat::E2M1FN; })
      .Case([](mlir::Float8E8M0FNUType) { return ElemFormat::E8M0FNU; })
      .Case([](mlir::IntegerType it) -> std::optional<ElemFormat> {
        if (it.getWidth() == 8)
          return ElemFormat::INT8;
        if (it.getWidth() == 4)
          return ElemFormat::INT4;
        return std::nullopt;
      })
      .Default([](mlir::Type) { return std::nullopt; });
}
} // namespace quantc::qc

#endif
