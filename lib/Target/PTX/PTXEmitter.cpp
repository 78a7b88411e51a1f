//===- PTXEmitter.cpp - gpu.module -> PTX -> cubin ------------------------===//
//
// PTX comes from MLIR's own NVVM target (gpu-module-to-binary, format=isa),
// which translates the lowered gpu.module to LLVM IR and runs the NVPTX
// backend of libLLVM; the cubin comes from the CUDA toolkit's ptxas.
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
#include "llvm/Support/MemoryBuffer.h"
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

void buildKernelToLLVMPipeline(PassManager &pm) {
  OpPassManager &gm = pm.nest<gpu::GPUModuleOp>();
  gm.addPass(createSCFToControlFlowPass());
  gm.addPass(createConvertGpuOpsToNVVMOps());
  // NVVM ops without an LLVM intrinsic (mbarrier.try_wait.parity, the TMA
  // copy, wgmma) become the PTX their op defines (BasicPtxBuilderInterface).
  gm.addPass(createConvertNVVMToLLVMPass());
  gm.addPass(createReconcileUnrealizedCastsPass());
}

FailureOr<std::string> emitPTX(ModuleOp top, KernelTarget t) {
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
  if (!targets || targets.empty()) {
    kmod.setTargetsAttr(ArrayAttr::get(
        ctx, {NVVM::NVVMTargetAttr::get(ctx, 3, "nvptx64-nvidia-cuda",
                                        getChip(t), getPTXFeatures(t))}));
  } else if (targets.size() != 1 ||
             !isa<NVVM::NVVMTargetAttr>(targets[0]) ||
             cast<NVVM::NVVMTargetAttr>(targets[0]).getChip() != getChip(t)) {
    return kmod.emitError() << "gpu.module target " << targets
                            << " does not match requested chip "
                            << getChip(t),
           failure();
  }

  PassManager pm(ctx, ModuleOp::getOperationName());
  buildKernelToLLVMPipeline(pm);
  GpuModuleToBinaryPassOptions opts;
  opts.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(opts));
  if (failed(pm.run(top)))
    return top.emitError() << "lowering the kernels to PTX for "
                           << getChip(t) << " failed",
           failure();

  for (auto bin : top.getOps<gpu::BinaryOp>()) {
    for (Attribute a : bin.getObjects()) {
      auto obj = dyn_cast<gpu::ObjectAttr>(a);
      if (!obj)
        continue;
      return obj.getObject().getValue().str();
    }
  }
  return top.emitError() << "gpu-module-to-binary produced no PTX object",
         failure();
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

namespace {
/// Removes the temporary files on every exit path.
struct TempFiles {
  llvm::SmallVector<llvm::SmallString<128>, 3> paths;
  ~TempFiles() {
    for (auto &p : paths)
      llvm::sys::fs::remove(p);
  }
  llvm::Error create(llvm::StringRef suffix, llvm::SmallString<128> &out) {
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("quantc-ptxas", suffix, out))
      return llvm::createStringError(ec, "cannot create temporary file: " +
                                             ec.message());
    paths.push_back(out);
    return llvm::Error::success();
  }
};
} // namespace

llvm::Expected<std::string> assembleCubin(llvm::StringRef ptx, KernelTarget t,
                                          llvm::StringRef ptxasPath) {
  std::string ptxas = ptxasPath.str();
  if (ptxas.empty()) {
    std::optional<std::string> found = findPtxas();
    if (!found)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "ptxas not found (looked on PATH, $CUDA_HOME/bin, "
          "/usr/local/cuda/bin)");
    ptxas = *found;
  }

  TempFiles tmp;
  llvm::SmallString<128> ptxFile, cubinFile, errFile;
  if (auto err = tmp.create("ptx", ptxFile))
    return std::move(err);
  if (auto err = tmp.create("cubin", cubinFile))
    return std::move(err);
  if (auto err = tmp.create("log", errFile))
    return std::move(err);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(ptxFile, ec);
    if (ec)
      return llvm::createStringError(ec, "cannot write " + ptxFile.str() +
                                             ": " + ec.message());
    os << ptx;
  }

  std::string arch = ("-arch=" + getChip(t)).str();
  llvm::SmallVector<llvm::StringRef, 8> args = {ptxas, arch, "-o",
                                                cubinFile, ptxFile};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                llvm::StringRef(errFile)};
  std::string execErr;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, /*Env=*/std::nullopt,
                                     redirects, /*SecondsToWait=*/0,
                                     /*MemoryLimit=*/0, &execErr);
  if (rc != 0) {
    std::string log;
    if (auto buf = llvm::MemoryBuffer::getFile(errFile))
      log = (*buf)->getBuffer().str();
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "ptxas (" + ptxas + " " + arch + ") failed with exit code " +
            std::to_string(rc) + (execErr.empty() ? "" : ": " + execErr) +
            (log.empty() ? "" : "\n" + log));
  }
  auto buf = llvm::MemoryBuffer::getFile(cubinFile, /*IsText=*/false);
  if (!buf)
    return llvm::createStringError(buf.getError(),
                                   "cannot read ptxas output " +
                                       cubinFile.str());
  return (*buf)->getBuffer().str();
}

} // namespace quantc
