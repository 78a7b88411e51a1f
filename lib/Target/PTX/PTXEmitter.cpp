//===- PTXEmitter.cpp - gpu.module -> PTX -> cubin ------------------------===//
//
// PTX and cubin come from MLIR's own NVVM target (gpu-module-to-binary,
// format=isa and format=bin), which translates the lowered gpu.module to LLVM
// IR, runs the NVPTX backend of libLLVM and, for the cubin, the CUDA
// toolkit's ptxas.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/PTX/PTXEmitter.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace quantc {

void registerPTXTranslations(DialectRegistry &registry) {
  registerGemmKernelDialects(registry);
  registry.insert<cf::ControlFlowDialect, index::IndexDialect,
                  ub::UBDialect>();
  // ConvertToLLVM interfaces that convert-gpu-to-nvvm collects patterns from.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  // LLVM IR translation of what the lowered gpu.module holds.
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  // #nvvm.target -> serializeToObject (the NVPTX backend).
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

void buildKernelToLLVMPipeline(OpPassManager &pm) {
  OpPassManager &gm = pm.nest<gpu::GPUModuleOp>();
  gm.addPass(createSCFToControlFlowPass());
  gm.addPass(createConvertGpuOpsToNVVMOps());
  // NVVM ops without an LLVM intrinsic (mbarrier.try_wait.parity, the TMA
  // copy, wgmma) become the PTX their op defines (BasicPtxBuilderInterface).
  gm.addPass(createConvertNVVMToLLVMPass());
  gm.addPass(createReconcileUnrealizedCastsPass());
}

FailureOr<std::string> ptxasToolkit(Location loc, StringRef ptxas) {
  if (ptxas.empty())
    return std::string();
  StringRef bin = llvm::sys::path::parent_path(ptxas);
  if (llvm::sys::path::filename(bin) != "bin" ||
      !llvm::sys::fs::can_execute(ptxas))
    return emitError(loc) << "ptxas must be an executable "
                             "<toolkit>/bin/ptxas, got '"
                          << ptxas << "'",
           failure();
  // The ptxas on PATH is the one gpu-module-to-binary finds by itself.
  bool same = false;
  if (auto onPath = llvm::sys::findProgramByName("ptxas"))
    if (llvm::sys::fs::equivalent(*onPath, ptxas, same))
      same = false;
  if (same)
    return std::string();
  std::string toolkit = llvm::sys::path::parent_path(bin).str();
  llvm::SmallString<256> libdevice(toolkit);
  llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
  if (!llvm::sys::fs::exists(libdevice))
    return emitError(loc) << "'" << toolkit
                          << "' is not a CUDA toolkit (no " << libdevice
                          << "); give the ptxas of one",
           failure();
  return toolkit;
}

/// nvvm-attach-target's options for `t`: O3, as ptxas's own default.
static GpuNVVMAttachTargetOptions attachOptions(KernelTarget t) {
  GpuNVVMAttachTargetOptions o;
  o.chip = getChip(t).str();
  o.features = getPTXFeatures(t).str();
  o.optLevel = 3;
  return o;
}

void buildKernelBinaryPipeline(OpPassManager &pm, KernelTarget t,
                               StringRef format) {
  pm.addPass(createGpuNVVMAttachTarget(attachOptions(t)));
  buildKernelToLLVMPipeline(pm);
  GpuModuleToBinaryPassOptions opts;
  opts.compilationTarget = format.str();
  pm.addPass(createGpuModuleToBinaryPass(opts));
}

namespace {
/// The one object gpu-module-to-binary left in `top`.
FailureOr<std::string> binaryObject(ModuleOp top, StringRef what) {
  for (auto bin : top.getOps<gpu::BinaryOp>())
    for (Attribute a : bin.getObjects())
      if (auto obj = dyn_cast<gpu::ObjectAttr>(a))
        return obj.getObject().getValue().str();
  return top.emitError() << "gpu-module-to-binary produced no " << what,
         failure();
}
} // namespace

FailureOr<KernelObjects> emitKernelObjects(ModuleOp top, KernelTarget t,
                                           StringRef ptxas) {
  MLIRContext *ctx = top.getContext();
  {
    DialectRegistry registry;
    registerPTXTranslations(registry);
    ctx->appendDialectRegistry(registry);
  }

  auto modules = llvm::to_vector(top.getOps<gpu::GPUModuleOp>());
  if (modules.size() != 1)
    return top.emitError() << "emitPTX expects exactly one gpu.module, found "
                           << modules.size(),
           failure();
  gpu::GPUModuleOp kmod = modules.front();
  ArrayAttr targets = kmod.getTargetsAttr();
  bool attach = !targets || targets.empty();
  if (!attach && (targets.size() != 1 ||
             !isa<NVVM::NVVMTargetAttr>(targets[0]) ||
             cast<NVVM::NVVMTargetAttr>(targets[0]).getChip() != getChip(t))) {
    return kmod.emitError() << "gpu.module target " << targets
                            << " does not match requested chip "
                            << getChip(t),
           failure();
  }
  FailureOr<std::string> toolkit = ptxasToolkit(top.getLoc(), ptxas);
  if (failed(toolkit))
    return failure();

  PassManager lower(ctx, ModuleOp::getOperationName());
  if (attach)
    lower.addPass(createGpuNVVMAttachTarget(attachOptions(t)));
  buildKernelToLLVMPipeline(lower);
  if (failed(lower.run(top)))
    return top.emitError() << "lowering the kernels to PTX for "
                           << getChip(t) << " failed",
           failure();
  // What gpu-module-to-binary does, called directly for its ISA callback:
  // with a cubin wanted (format=bin) the PTX the NVPTX backend produced on
  // the way comes back through the callback, so the backend runs once.
  KernelObjects out;
  bool gotPTX = false;
  auto onPTX = [&](StringRef ptx) {
    out.ptx = ptx.str();
    gotPTX = true;
  };
  // The symbol table built lazily, as the pass does.
  std::optional<SymbolTable> symbols;
  auto symbolTable = [&]() -> SymbolTable * {
    if (!symbols)
      symbols.emplace(top);
    return &*symbols;
  };
  gpu::TargetOptions options(
      *toolkit, {}, "", "",
      ptxas.empty() ? gpu::CompilationTarget::Assembly
                    : gpu::CompilationTarget::Binary,
      symbolTable, {}, {}, {}, onPTX);
  if (failed(gpu::transformGpuModulesToBinaries(top, nullptr, options)))
    return top.emitError() << "emitting the "
                           << (ptxas.empty() ? "PTX" : "PTX and cubin")
                           << " for " << getChip(t) << " failed",
           failure();
  FailureOr<std::string> object =
      binaryObject(top, ptxas.empty() ? "PTX" : "cubin");
  if (failed(object))
    return failure();
  if (ptxas.empty()) {
    out.ptx = std::move(*object);
  } else {
    if (!gotPTX)
      return top.emitError() << "gpu-module-to-binary gave no PTX", failure();
    out.cubin = std::move(*object);
  }
  return out;
}

FailureOr<std::string> emitPTX(ModuleOp top, KernelTarget t) {
  FailureOr<KernelObjects> o = emitKernelObjects(top, t, "");
  if (failed(o))
    return failure();
  return std::move(o->ptx);
}

std::optional<std::string> findPtxas() {
  if (auto p = llvm::sys::findProgramByName("ptxas"))
    return *p;
  llvm::SmallVector<std::string, 2> dirs;
  if (const char *cuda = std::getenv("CUDA_HOME"))
    dirs.push_back((llvm::Twine(cuda) + "/bin").str());
  dirs.push_back("/usr/local/cuda/bin");
  for (const std::string &d : dirs) {
    llvm::SmallString<256> p(d);
    llvm::sys::path::append(p, "ptxas");
    if (llvm::sys::fs::can_execute(p))
      return std::string(p);
  }
  return std::nullopt;
}

} // namespace quantc
