//===- QCDialect.cpp - qc dialect registration ----------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace quantc::qc;

#include "quantc/Dialect/QC/IR/QCDialect.cpp.inc"

void QCDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCOps.cpp.inc"
      >();
  registerQuantOps();
  registerMathOps();
  registerShapeOps();
  registerNNOps();
}

Operation *QCDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  if (auto typed = dyn_cast<TypedAttr>(value))
    if (typed.getType() == type)
      return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}
