//===- InitAll.cpp --------------------------------------------------------===//
#include "quantc/InitAll.h"

#include "quantc/Compiler/Pipeline.h"
#include "quantc/Target/PTX/PTXEmitter.h"

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void quantc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<qc::QCDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::gpu::GPUDialect,
                  mlir::NVVM::NVVMDialect, mlir::LLVM::LLVMDialect,
                  mlir::scf::SCFDialect, mlir::cf::ControlFlowDialect,
                  mlir::math::MathDialect>();
  // What qc-gpu-pipeline's lowering and gpu-module-to-binary need: the
  // ConvertToLLVM interfaces, LLVM IR translations, #nvvm.target's
  // serializer.
  registerPTXTranslations(registry);
}

void quantc::registerQuantcDialects(mlir::DialectRegistry &registry) {
  registerAllDialects(registry);
}

void quantc::registerAllPasses() { registerQuantcPasses(); }
