//===- quant-kernel-gen.cpp - print the generated GPU kernels -------------===//
//
// Developer tool: builds one GEMM kernel for one target and prints its MLIR,
// its PTX, or writes its cubin.
//
//   quant-kernel-gen --target sm_120a|sm_100a|sm_90a|sm_90|sm_89
//                    [--kernel=mxfp8-gemm|mxfp4-gemm|nvfp4-gemm|fp8-gemm|int8-gemm
//                              |int8-wgmma-gemm]
//                    [--a-type=s8|u8] [--b-type=s8|u8] [--zero-point]
//                    [--stages N] [--tile-n N] [--swap-ab] [--persistent]
//                    [--split-k N]
//                    [--scales=1x128|per-channel|per-tensor]
//                    [--output=f32|bf16|fp8-1x128]
//                    [--emit=mlir|ptx|cubin] [-o file]
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Conversion/QCToGPU/BlackwellGemm.h"
#include "quantc/Conversion/QCToGPU/HopperGemm.h"
#include "quantc/Target/PTX/PTXEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir;

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::OptionCategory cat("quant-kernel-gen options");
  llvm::cl::opt<std::string> target(
      "target",
      llvm::cl::desc("GPU target: sm_89, sm_90, sm_90a, sm_100a or sm_120a"),
      llvm::cl::value_desc("chip"), llvm::cl::Required, llvm::cl::cat(cat));
  enum class Emit { MLIR, PTX, Cubin };
  llvm::cl::opt<Emit> emit(
      "emit", llvm::cl::desc("What to write"), llvm::cl::init(Emit::MLIR),
      llvm::cl::values(
          clEnumValN(Emit::MLIR, "mlir", "the kernel module as MLIR"),
          clEnumValN(Emit::PTX, "ptx", "PTX text"),
          clEnumValN(Emit::Cubin, "cubin", "cubin assembled by ptxas")),
      llvm::cl::cat(cat));
  llvm::cl::opt<std::string> output("o", llvm::cl::desc("Output file"),
                                    llvm::cl::value_desc("file"),
                                    llvm::cl::init("-"), llvm::cl::cat(cat));
  enum class Kernel { MXFP8, MXFP4, NVFP4, FP8Block, Int8, Int8Wgmma };
  llvm::cl::opt<Kernel> kernel(
      "kernel", llvm::cl::desc("Which GEMM"), llvm::cl::init(Kernel::MXFP8),
      llvm::cl::values(
          clEnumValN(Kernel::MXFP8, "mxfp8-gemm",
                     "MXFP8 (E8M0 per 32 along K): mma.sync, or on sm_100a "
                     "TMA + tcgen05.mma block_scale (A and B through tensor "
                     "maps)"),
          clEnumValN(Kernel::MXFP4, "mxfp4-gemm",
                     "MXFP4 (e2m1, E8M0 per 32 along K): block-scaled "
                     "mma.sync on sm_120a, tcgen05.mma kind::mxf4 on "
                     "sm_100a"),
          clEnumValN(Kernel::NVFP4, "nvfp4-gemm",
                     "NVFP4 (e2m1, UE4M3 per 16 along K): block-scaled "
                     "mma.sync on sm_120a, tcgen05.mma kind::mxf4nvf4 on "
                     "sm_100a"),
          clEnumValN(Kernel::FP8Block, "fp8-gemm",
                     "FP8 with f32 scales (--scales), TMA + wgmma, sm_90a "
                     "only"),
          clEnumValN(Kernel::Int8, "int8-gemm",
                     "int8 (s8 x s8 -> s32 mma.sync, a zero point per "
                     "operand, f32 scales per tensor x per column), every "
                     "target"),
          clEnumValN(Kernel::Int8Wgmma, "int8-wgmma-gemm",
                     "int8 (s8/u8 codes, s32 sums) on the fp8-gemm's TMA + "
                     "wgmma pipeline, per-channel (default) or per-tensor "
                     "scales, sm_90a only")),
      llvm::cl::cat(cat));
  llvm::cl::opt<unsigned> stages(
      "stages",
      llvm::cl::desc("Pipeline stages of fp8-gemm (default 6; 2 up to what "
                     "227 KiB of shared memory holds: 7 at tile-n 128, 9 at "
                     "64, 12 at 16) and of the sm_100a mxfp8-gemm (default "
                     "4; 7 at tile-n 128)"),
      llvm::cl::init(6), llvm::cl::cat(cat));
  llvm::cl::opt<unsigned> tileN(
      "tile-n",
      llvm::cl::desc("Columns of a CTA's tile in fp8-gemm: 16, 32, 64, 128 "
                     "(default) or 256 (not with 1x128 scales); in the "
                     "sm_100a mxfp8-gemm: 32, 64, 128 (default) or 256"),
      llvm::cl::init(128), llvm::cl::cat(cat));
  llvm::cl::opt<bool> swapAB(
      "swap-ab",
      llvm::cl::desc("fp8-gemm for decode (small M): the weights B on the "
                     "MMA's 128-row side, the tokens A on its tile-n side, "
                     "C stored transposed back (tensor-map boxes swap: A "
                     "tile-n rows, B 128; grid (ceil(M/tile-n), "
                     "ceil(N/128)))"),
      llvm::cl::init(false), llvm::cl::cat(cat));
  llvm::cl::opt<unsigned> splitK(
      "split-k",
      llvm::cl::desc("fp8-gemm split-K: N CTAs per tile along K (grid z), "
                     "partial sums in a workspace W of N x M x N_cols f32 and "
                     "per-tile counters, the tile's last warp summing them "
                     "in order (1..64, default 1; two pointers W, counters "
                     "follow C)"),
      llvm::cl::init(1), llvm::cl::cat(cat));
  llvm::cl::opt<bool> persistent(
      "persistent",
      llvm::cl::desc("fp8-gemm with persistent CTAs: launch at most one per "
                     "SM (grid (min(tiles, SMs), 1, 1)); each walks the "
                     "tiles blockIdx.x + i * gridDim.x, loading the next "
                     "tile while it stores this one"),
      llvm::cl::init(false), llvm::cl::cat(cat));
  llvm::cl::opt<std::string> scales(
      "scales",
      llvm::cl::desc("Scales of fp8-gemm: 1x128 (1x128 activations x "
                     "128x128 weights, default), per-channel (per token x "
                     "per output channel) or per-tensor"),
      llvm::cl::init("1x128"), llvm::cl::cat(cat));
  llvm::cl::opt<std::string> output_(
      "output",
      llvm::cl::desc("What fp8-gemm writes: f32 (default), bf16, or fp8-1x128 "
                     "(e4m3 codes + one f32 scale per row and 128 columns, "
                     "the next GEMM's activation operand; tile-n 128 or 256)"),
      llvm::cl::init("f32"), llvm::cl::cat(cat));
  llvm::cl::opt<std::string> aType(
      "a-type",
      llvm::cl::desc("Codes of int8-wgmma-gemm's A (activations): s8 "
                     "(default) or u8"),
      llvm::cl::init("s8"), llvm::cl::cat(cat));
  llvm::cl::opt<std::string> bType(
      "b-type",
      llvm::cl::desc("Codes of int8-wgmma-gemm's B (weights): s8 (default) "
                     "or u8"),
      llvm::cl::init("s8"), llvm::cl::cat(cat));
  llvm::cl::opt<bool> zeroPoint(
      "zero-point",
      llvm::cl::desc("int8-wgmma-gemm with an activation zero point (two "
                     "more pointers after C: ZA and B's codes)"),
      llvm::cl::init(false), llvm::cl::cat(cat));
  llvm::cl::opt<std::string> kernelName(
      "kernel-name",
      llvm::cl::desc("Name of the gpu.func (default: mxfp8_gemm, "
                     "mxfp4_gemm, nvfp4_gemm, i8_gemm, fp8_gemm_<scales> or "
                     "i8_wgmma_<scales> with - as _)"),
      llvm::cl::init(""), llvm::cl::cat(cat));
  llvm::cl::opt<std::string> ptxasPath(
      "ptxas", llvm::cl::desc("ptxas to use for --emit=cubin, as "
                              "<toolkit>/bin/ptxas (default: found on PATH, "
                              "$CUDA_HOME/bin, /usr/local/cuda/bin)"),
      llvm::cl::init(""), llvm::cl::cat(cat));
  llvm::cl::HideUnrelatedOptions(cat);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "quantc GPU kernel generator\n");

  std::optional<quantc::KernelTarget> t = quantc::parseKernelTarget(target);
  if (!t) {
    llvm::errs() << "quant-kernel-gen: error: unknown --target '" << target
                 << "' (expected sm_89, sm_90, sm_90a, sm_100a or sm_120a)\n";
    return 1;
  }
  const bool wgmma = kernel == Kernel::FP8Block || kernel == Kernel::Int8Wgmma;
  if (wgmma && *t != quantc::KernelTarget::SM90a) {
    llvm::errs() << "quant-kernel-gen: error: --kernel="
                 << (kernel == Kernel::FP8Block ? "fp8-gemm"
                                                : "int8-wgmma-gemm")
                 << " uses wgmma and TMA, which only --target sm_90a has "
                    "(got '"
                 << target << "')\n";
    return 1;
  }
  // int8-wgmma-gemm: per-channel scales unless --scales says otherwise.
  if (kernel == Kernel::Int8Wgmma && !scales.getNumOccurrences())
    scales = "per-channel";
  std::optional<quantc::HopperOperand> aCodes =
      quantc::parseHopperOperand(aType);
  std::optional<quantc::HopperOperand> bCodes =
      quantc::parseHopperOperand(bType);
  for (auto [opt, v] :
       {std::pair<llvm::cl::opt<std::string> *,
                  std::optional<quantc::HopperOperand>>{&aType, aCodes},
        {&bType, bCodes}})
    if (!v || *v == quantc::HopperOperand::E4M3) {
      llvm::errs() << "quant-kernel-gen: error: unknown --" << opt->ArgStr
                   << " '" << opt->getValue() << "' (expected s8 or u8)\n";
      return 1;
    }
  if (kernel != Kernel::Int8Wgmma &&
      (aType.getNumOccurrences() || bType.getNumOccurrences() ||
       zeroPoint.getNumOccurrences())) {
    llvm::errs() << "quant-kernel-gen: error: --a-type, --b-type and "
                    "--zero-point are options of --kernel=int8-wgmma-gemm\n";
    return 1;
  }
  std::optional<quantc::HopperScaleMode> mode =
      quantc::numerics::parseFP8GemmScales(scales);
  if (!mode) {
    llvm::errs() << "quant-kernel-gen: error: unknown --scales '" << scales
                 << "' (expected 1x128, per-channel or per-tensor)\n";
    return 1;
  }
  std::optional<quantc::HopperOutput> outputKind =
      quantc::parseHopperOutput(output_);
  if (!outputKind) {
    llvm::errs() << "quant-kernel-gen: error: unknown --output '" << output_
                 << "' (expected f32, bf16 or fp8-1x128)\n";
    return 1;
  }
  if (*outputKind != quantc::HopperOutput::F32 && !wgmma) {
    llvm::errs() << "quant-kernel-gen: error: --output " << output_
                 << " is an option of --kernel=fp8-gemm and "
                    "int8-wgmma-gemm\n";
    return 1;
  }
  std::string name = kernelName;
  if (name.empty() && wgmma) {
    name = (kernel == Kernel::FP8Block ? "fp8_gemm_" : "i8_wgmma_") + scales;
    std::replace(name.begin(), name.end(), '-', '_');
  }
  quantc::BlockScaledGemm blockScaled =
      kernel == Kernel::MXFP4   ? quantc::BlockScaledGemm::MXFP4
      : kernel == Kernel::NVFP4 ? quantc::BlockScaledGemm::NVFP4
                                : quantc::BlockScaledGemm::MXFP8;
  // On sm_100a the block-scaled GEMMs are the tcgen05 kernels.
  const bool tcgen05 =
      !wgmma && kernel != Kernel::Int8 && *t == quantc::KernelTarget::SM100a;
  if (!wgmma && kernel != Kernel::Int8 && !tcgen05 &&
      !quantc::isBlockScaledGemmSupported(*t, blockScaled)) {
    llvm::errs() << "quant-kernel-gen: error: --kernel="
                 << quantc::getBlockScaledGemmName(blockScaled)
                 << "-gemm uses the FP4 block-scaled mma.sync, which only "
                    "--target sm_120a has (or tcgen05.mma on sm_100a; got '"
                 << target << "')\n";
    return 1;
  }
  if (name.empty())
    name = kernel == Kernel::Int8
               ? std::string("i8_gemm")
               : (quantc::getBlockScaledGemmName(blockScaled) + "_gemm").str();

  DialectRegistry registry;
  quantc::registerPTXTranslations(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  OwningOpRef<ModuleOp> top = ModuleOp::create(UnknownLoc::get(&ctx));
  if (!tcgen05 && !wgmma &&
      (tileN.getNumOccurrences() || stages.getNumOccurrences())) {
    llvm::errs() << "quant-kernel-gen: error: --tile-n and --stages are "
                    "options of --kernel=fp8-gemm, int8-wgmma-gemm and of "
                    "the sm_100a block-scaled GEMMs\n";
    return 1;
  }
  if (tcgen05) {
    quantc::BlackwellGemmConfig cfg;
    cfg.kind = blockScaled;
    cfg.tileN = tileN;
    if (stages.getNumOccurrences())
      cfg.stages = stages;
    if (llvm::Error e = quantc::verifyBlackwellGemmConfig(cfg)) {
      llvm::errs() << "quant-kernel-gen: error: "
                   << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    if (failed(quantc::buildBlackwellGemmKernel(*top, name, cfg)))
      return 1;
  } else if (wgmma) {
    quantc::HopperGemmConfig cfg;
    if (kernel == Kernel::Int8Wgmma) {
      cfg.a = *aCodes;
      cfg.b = *bCodes;
      cfg.activationZeroPoint = zeroPoint;
    }
    if (stages.getNumOccurrences())
      cfg.stages = stages;
    cfg.scales = *mode;
    cfg.tileN = tileN;
    cfg.output = *outputKind;
    cfg.swapAB = swapAB;
    cfg.persistent = persistent;
    cfg.splitK = splitK;
    if (llvm::Error e = quantc::verifyHopperGemmConfig(cfg)) {
      llvm::errs() << "quant-kernel-gen: error: "
                   << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
    if (failed(quantc::buildHopperFP8GemmKernel(*top, name, cfg)))
      return 1;
  } else if (kernel == Kernel::Int8) {
    // Both zero points, per-column weight scales and zero points: every
    // correction the kernel has.
    quantc::Int8GemmOperands ops;
    ops.aZeroPoint = ops.bZeroPoint = ops.bZeroPointPerColumn = true;
    if (failed(quantc::buildInt8GemmKernel(*top, name, *t, ops)))
      return 1;
  } else if (failed(quantc::buildBlockScaledGemmKernel(*top, name, *t,
                                                       blockScaled))) {
    return 1;
  }
  if (failed(verify(*top)))
    return 1;

  std::string result;
  if (emit == Emit::MLIR) {
    llvm::raw_string_ostream os(result);
    top->print(os);
    os << "\n";
  } else {
    std::string ptxas;
    if (emit == Emit::Cubin) {
      std::optional<std::string> found =
          ptxasPath.empty() ? quantc::findPtxas()
                            : std::optional<std::string>(ptxasPath);
      if (!found) {
        llvm::errs() << "quant-kernel-gen: error: ptxas not found (looked on "
                        "PATH, $CUDA_HOME/bin, /usr/local/cuda/bin); give "
                        "--ptxas\n";
        return 1;
      }
      ptxas = *found;
      // Checked before lowering, with this tool's prefix.
      mlir::ScopedDiagnosticHandler quiet(&ctx, [&](mlir::Diagnostic &d) {
        llvm::errs() << "quant-kernel-gen: error: " << d.str() << "\n";
        return mlir::success();
      });
      if (failed(quantc::ptxasToolkit(mlir::UnknownLoc::get(&ctx), ptxas)))
        return 1;
    }
    FailureOr<quantc::KernelObjects> objects =
        quantc::emitKernelObjects(*top, *t, ptxas);
    if (failed(objects))
      return 1;
    result = emit == Emit::PTX ? std::move(objects->ptx)
                               : std::move(objects->cubin);
  }

  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> out =
      openOutputFile(output, &errorMessage);
  if (!out) {
    llvm::errs() << "quant-kernel-gen: error: " << errorMessage << "\n";
    return 1;
  }
  out->os() << result;
  out->keep();
  return 0;
}
