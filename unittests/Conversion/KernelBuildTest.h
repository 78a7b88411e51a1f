//===- KernelBuildTest.h - a context for building GPU kernels --*- C++ -*-===//
//
// The fixture the kernel-builder tests share: an MLIRContext with every
// dialect and translation the PTX emitter needs, an empty module to build
// kernels into, and the host launch's argument makers.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_UNITTESTS_CONVERSION_KERNELBUILDTEST_H
#define QUANTC_UNITTESTS_CONVERSION_KERNELBUILDTEST_H

#include "quantc/Target/Host/HostKernels.h"
#include "quantc/Target/PTX/PTXEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "gtest/gtest.h"

namespace quantc {

/// Launch arguments for HostKernels::launch, as the CUDA driver takes them.
inline HostKernelArg ptr(const void *p) {
  return {HostKernelArg::Kind::Pointer, reinterpret_cast<uintptr_t>(p)};
}
inline HostKernelArg i32(int64_t v) {
  return {HostKernelArg::Kind::I32, static_cast<uint64_t>(v)};
}

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
