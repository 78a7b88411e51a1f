//===- KernelBuildTest.h - a context for building GPU kernels --*- C++ -*-===//
//
// The fixture the kernel-builder tests share: an MLIRContext with every
// dialect and translation the PTX emitter needs, and an empty module to
// build kernels into.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_UNITTESTS_CONVERSION_KERNELBUILDTEST_H
#define QUANTC_UNITTESTS_CONVERSION_KERNELBUILDTEST_H

#include "quantc/Target/PTX/PTXEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "gtest/gtest.h"

namespace quantc {

class KernelBuildTest : public ::testing::Test {
protected:
  KernelBuildTest() {
    mlir::DialectRegistry registry;
    registerPTXTranslations(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    top = mlir::ModuleOp::create(mlir::UnknownLoc::get(&ctx));
  }
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> top;
};

} // namespace quantc

#endif // QUANTC_UNITTESTS_CONVERSION_KERNELBUILDTEST_H
