//===- quant-compile.cpp - ONNX model + calibration -> kernel package -----===//
//
//   quant-compile model.onnx -o out.qcpkg [--target sm_120a,sm_89|none]
//       [--calib in.npz | --calib-random N] [--format mxfp8|int8|fp8|...]
//       [--calib-method minmax|percentile|entropy|mse] [--percentile P]
//
//===----------------------------------------------------------------------===//
#include "quantc/Compiler/Compiler.h"
#include "quantc/Tools/ToolSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace quantc;
namespace cl = llvm::cl;

static cl::OptionCategory cat("quant-compile options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx>"), cl::cat(cat));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Package directory to write"),
                                       cl::value_desc("out.qcpkg"),
                                       cl::cat(cat));
static cl::opt<std::string> targets(
    "target", cl::init("sm_120a,sm_89"),
    cl::desc("Comma-separated kernel targets (sm_120a, sm_100a, sm_90a, sm_90, "
             "sm_89), or none. "
             "Given explicitly, every op must have a GPU kernel (else the "
             "error lists those that do not)"),
    cl::cat(cat));
static cl::opt<std::string>
    calib("calib", cl::desc("Calibration inputs (.npz keyed by input name)"),
          cl::value_desc("in.npz"), cl::cat(cat));
static cl::opt<int64_t>
    calibRandom("calib-random", cl::init(0),
                cl::desc("Calibrate on N seeded random samples"),
                cl::value_desc("N"), cl::cat(cat));
static cl::opt<int64_t> calibBatch(
    "calib-batch", cl::init(0),
    cl::desc("Calibrate (and measure accuracy) on the samples of --calib or "
             "--calib-random N at a time, so memory does not grow with their "
             "number (0: all at once; needs a dynamic leading dimension on "
             "every model input)"),
    cl::value_desc("N"), cl::cat(cat));
static cl::opt<uint64_t> seed("seed", cl::init(0),
                              cl::desc("Seed for --calib-random"),
                              cl::cat(cat));
static cl::opt<std::string> format("format", cl::init("mxfp8"),
                                   cl::desc("Quantization scheme preset"),
                                   cl::cat(cat));
static cl::opt<std::string> calibMethod(
    "calib-method", cl::init("minmax"),
    cl::desc("Calibration range selection for static scales (int8, fp8): "
             "minmax, percentile, entropy, mse (docs/Calibration.md)"),
    cl::cat(cat));
static cl::opt<double> percentile(
    "percentile", cl::init(99.99),
    cl::desc("Percent of |x| values --calib-method=percentile keeps"),
    cl::cat(cat));
static cl::opt<bool> symmetricActivations(
    "symmetric-activations",
    cl::desc("int8: symmetric activation scales (no zero point)"),
    cl::cat(cat));
static cl::opt<bool> smoothQuant(
    "smooth-quant",
    cl::desc("SmoothQuant: divide activation outlier channels into the "
             "weights, folded into the preceding LayerNorm/RMSNorm gain "
             "(qc-smooth-quant; docs/Calibration.md)"),
    cl::cat(cat));
static cl::opt<double> smoothAlpha(
    "smooth-alpha", cl::init(0.5),
    cl::desc("SmoothQuant migration strength in [0, 1] (default 0.5)"),
    cl::cat(cat));
static cl::opt<std::string> smoothAlphas(
    "smooth-alphas",
    cl::desc("SmoothQuant: search each layer group's alpha among these "
             "(comma-separated, e.g. 0.3,0.4,0.5,0.6,0.7,0.8) by the output "
             "error on the calibration data, instead of --smooth-alpha"),
    cl::cat(cat));
static cl::opt<bool> smoothInsertScales(
    "smooth-insert-scales",
    cl::desc("SmoothQuant: also smooth the matmul inputs no norm gain can "
             "absorb the factor into (a post-norm transformer's, a GELU's "
             "output, an attention context), with an inserted division "
             "(docs/Calibration.md, S6)"),
    cl::cat(cat));
static cl::opt<double> outlierThreshold(
    "outlier-threshold", cl::init(0),
    cl::desc("LLM.int8()-style: matmul input channels whose calibrated max "
             "|x| exceeds this stay in a float side product, the rest is "
             "quantized (static-scale formats; 0: off)"),
    cl::cat(cat));
static cl::opt<bool> depthwiseChannelScales(
    "depthwise-channel-scales", cl::init(true),
    cl::desc("Activations of depthwise convs: one scale per input channel "
             "(default; per image and channel with --activations dynamic; "
             "=false: one per tensor, as ONNX Runtime does, or per image)"),
    cl::cat(cat));
static cl::opt<cl::boolOrDefault> biasCorrection(
    "bias-correction",
    cl::desc("Each layer's bias absorbs the mean effect of its weights' "
             "rounding on the calibration inputs (docs/Calibration.md, B1). "
             "Default: on when calibrating on data (or on a table with "
             "channel means); =true requires it, =false turns it off"),
    cl::cat(cat));
static cl::opt<std::string> raisePatterns(
    "raise-patterns",
    cl::desc("Raise decomposed subgraphs to single ops right after import "
             "(qc-raise-patterns): all, or a comma-separated list of silu, "
             "gelu, layer-norm, rms-norm, attention, hard-swish (attention "
             "keeps its matmuls in float; docs/Calibration.md R1-R6)"),
    cl::cat(cat));
static cl::opt<std::string> weightMethod(
    "weight-method", cl::init("rtn"),
    cl::desc("Static-scale formats: weights by rtn (round to nearest, the "
             "default) or gptq (GPTQ with Hessians from the calibration "
             "data; docs/Calibration.md)"),
    cl::cat(cat));
static cl::opt<double> gptqDamp(
    "gptq-damp", cl::init(0.01),
    cl::desc("GPTQ: Hessian damping, a fraction of its mean diagonal"),
    cl::cat(cat));
static cl::opt<double> budgetBits(
    "budget-bits", cl::init(0),
    cl::desc("Mixed precision: average storage bits per weight (codes and "
             "scales), e.g. 4.5; each layer's format is chosen from "
             "--candidates by measured sensitivity (qc-assign-precision; "
             "--format is the static-scale base format)"),
    cl::cat(cat));
static cl::opt<double> budgetLatency(
    "budget-latency", cl::init(0),
    cl::desc("Mixed precision under a latency budget instead: microseconds "
             "of the quantized layers' GEMMs as the roofline of "
             "--latency-target models them (docs/Calibration.md, M5)"),
    cl::cat(cat));
static cl::opt<std::string> latencyTarget(
    "latency-target", cl::init("sm_90"),
    cl::desc("GPU of the latency model: sm_89 (L40S), sm_90 (H100), sm_100 "
             "(B200)"),
    cl::cat(cat));
static cl::opt<int64_t> latencyTokens(
    "latency-tokens", cl::init(1),
    cl::desc("Rows each matmul multiplies per call in the latency model "
             "(1: decoding one token)"),
    cl::cat(cat));
static cl::opt<std::string> precisionCandidates(
    "candidates", cl::init("int4-g128,int8"),
    cl::desc("Mixed precision: candidate weight formats, comma-separated "
             "(int4-g128, nvfp4, int8, fp8, fp8-1x128, mxfp8, mxfp6, "
             "mxfp4, bf16, f32)"),
    cl::cat(cat));
static cl::opt<std::string> activations(
    "activations",
    cl::desc("Static-scale formats: static (int8, fp8 default), dynamic "
             "(per-token scales computed at run time; int8: asymmetric "
             "unless --symmetric-activations) or none (weight-only W8A16; "
             "int4-g128 is always W4A16)"),
    cl::cat(cat));
static cl::opt<std::string> evalPath(
    "eval",
    cl::desc("Held-out inputs (.npz keyed by input name): report the "
             "quantized model's error and argmax agreement against float"),
    cl::value_desc("heldout.npz"), cl::cat(cat));
static cl::opt<bool> noAccuracy(
    "no-accuracy",
    cl::desc("Skip the accuracy run (the quantized graph over the "
             "calibration inputs on the Executor, against float); the "
             "report then has no accuracy. --eval still runs"),
    cl::init(false), cl::cat(cat));
static cl::opt<std::string> calibTable(
    "calib-table",
    cl::desc("Use the statistics of this calibration table (written by "
             "--write-calib-table) instead of calibrating"),
    cl::value_desc("table.json"), cl::cat(cat));
static cl::opt<std::string> writeCalibTable(
    "write-calib-table",
    cl::desc("Write this run's calibration statistics to a JSON table"),
    cl::value_desc("table.json"), cl::cat(cat));
static cl::opt<bool> noCubin("no-cubin", cl::desc("Do not run ptxas"),
                             cl::cat(cat));
static cl::opt<bool> quiet("q", cl::desc("No progress lines"), cl::cat(cat));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Fix a symbolic input shape: name=1x3x224x224"),
                cl::value_desc("name=DxD..."), cl::cat(cat));
static cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Bind a graph input to constant values, e.g. sr=16000 (an If "
             "testing it then folds); the package no longer takes it"),
    cl::value_desc("name=V[,V...]"), cl::cat(cat));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant-compile: error: " << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "quantc ahead-of-time compiler\n");

  CompileOptions opts;
  opts.modelPath = modelPath;
  opts.outputPath = outputPath;
  opts.calibPath = calib;
  opts.calibRandom = calibRandom;
  opts.calibBatch = calibBatch;
  opts.seed = seed;
  opts.format = format;
  opts.calibMethod = calibMethod;
  opts.percentile = percentile;
  opts.asymmetric = !symmetricActivations;
  opts.smoothQuant = smoothQuant;
  opts.smoothAlpha = smoothAlpha;
  opts.smoothAlphas = smoothAlphas;
  opts.smoothInsertScales = smoothInsertScales;
  opts.weightMethod = weightMethod;
  opts.outlierThreshold = outlierThreshold;
  opts.depthwiseChannelScales = depthwiseChannelScales;
  if (biasCorrection != cl::BOU_UNSET)
    opts.biasCorrection = biasCorrection == cl::BOU_TRUE;
  opts.budgetBits = budgetBits;
  opts.budgetLatencyUs = budgetLatency;
  opts.latencyTarget = latencyTarget;
  opts.latencyTokens = latencyTokens;
  opts.precisionCandidates = precisionCandidates;
  opts.raisePatterns = raisePatterns;
  opts.gptqDamp = gptqDamp;
  opts.activations = activations;
  opts.evalPath = evalPath;
  opts.measureAccuracy = !noAccuracy;
  opts.calibTable = calibTable;
  opts.calibTableOut = writeCalibTable;
  opts.emitCubin = !noCubin;
  opts.progress = quiet ? nullptr : &llvm::errs();
  opts.targets.clear();
  // A target named on the command line promises a package that runs there.
  opts.requireGpuProgram = targets.getNumOccurrences() > 0;
  if (targets != "none") {
    SmallVector<llvm::StringRef> parts;
    llvm::StringRef(targets).split(parts, ',', -1, false);
    for (llvm::StringRef p : parts)
      opts.targets.push_back(p.trim().str());
  }
  if (!calib.empty() && calibRandom > 0)
    return fail("give either --calib or --calib-random, not both");
  if (!calib.empty() && !llvm::sys::fs::exists(calib))
    return fail("calibration file '" + calib + "' does not exist");
  if (!evalPath.empty() && !llvm::sys::fs::exists(evalPath))
    return fail("evaluation file '" + evalPath + "' does not exist");
  if (!llvm::sys::fs::exists(modelPath))
    return fail("model '" + modelPath + "' does not exist");
  for (const std::string &s : inputShapes)
    if (llvm::Error e = parseInputShapeOption(s, opts.import))
      return fail(llvm::toString(std::move(e)));
  for (const std::string &s : inputValues)
    if (llvm::Error e = parseInputValueOption(s, opts.import))
      return fail(llvm::toString(std::move(e)));

  MLIRContext ctx;
  ctx.printOpOnDiagnostic(false);
  ToolDiagnostics diags(ctx, "quant-compile");
  FailureOr<CompileResult> result = compileModel(ctx, opts);
  if (failed(result))
    return 1;
  if (opts.progress)
    *opts.progress << result->timingLine() << "\n";
  llvm::outs() << result->summary;
  return 0;
}
