//===- ConvertToGPU.cpp - qc-convert-to-gpu --------------------------------===//
//
// The pass form of the GPU program builder (Program.h): plans @main, builds
// each distinct kernel into gpu.module @quantc_kernels of this module and
// links every launch's last op to its kernel.
//
//===----------------------------------------------------------------------===//
#include "quantc/Conversion/QCToGPU/Program.h"
#include "quantc/Conversion/QCToGPU/QCToGPU.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace quantc::qc {
#define GEN_PASS_DEF_QCCONVERTTOGPU
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;

namespace {

struct ConvertToGPUPass
    : public qc::impl::QCConvertToGPUBase<ConvertToGPUPass> {
  using QCConvertToGPUBase::QCConvertToGPUBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    registerGemmKernelDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<KernelTarget> t = parseKernelTarget(target);
    if (!t) {
      module.emitError() << "qc-convert-to-gpu: unknown target '" << target
                         << "'; known targets: sm_120a, sm_90a, sm_90, sm_89";
      return signalPassFailure();
    }
    auto fn = module.lookupSymbol<func::FuncOp>("main");
    if (!fn) {
      module.emitError("qc-convert-to-gpu: no func.func @main");
      return signalPassFailure();
    }
    // A GEMM's epilogue kernel is a qc.fusion's body: fuse first (a module
    // from the quantize pipeline already is).
    if (failed(qc::fuseEpilogues(fn)))
      return signalPassFailure();
    // sm_90a: fp8-1x128 weights K-major for the wgmma GEMM (a package's
    // graph already has them so).
    if (*t == KernelTarget::SM90a)
      qc::kMajorWeights(fn);
    GpuPlan plan = planGpuProgram(fn, *t);
    if (!plan.runnable()) {
      if (requireAll) {
        fn.emitError() << "no GPU kernel yet for: "
                       << plan.describeUnsupported();
        return signalPassFailure();
      }
      fn.emitRemark() << "no GPU program (no kernel for "
                      << plan.describeUnsupported()
                      << "); building the GEMM kernel only";
      // As quant-compile: the shared GEMM for the supported qmatmuls.
      plan = planGemmKernels(fn);
    }
    if (failed(buildGpuKernels(plan, module, *t)))
      return signalPassFailure();
    MLIRContext *ctx = module.getContext();
    for (const GpuStep &s : plan.steps) {
      Operation *last = s.ops.back();
      if (isa<qc::QMatMulOp>(last))
        continue; // its `kernel` attribute, set by buildGpuKernels
      last->setAttr("qc.gpu_kernel",
                    SymbolRefAttr::get(ctx, kKernelModuleName,
                                       {FlatSymbolRefAttr::get(ctx, s.kernel)}));
    }
  }
};

} // namespace
