//===- quant-opt.cpp - qc pass driver -------------------------------------===//
#include "quantc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  quantc::registerAllDialects(registry);
  quantc::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "quantc optimizer driver\n", registry));
}
