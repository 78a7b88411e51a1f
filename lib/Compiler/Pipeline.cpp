//===- Pipeline.cpp - qc-quantize-pipeline --------------------------------===//
#include "quantc/Compiler/Pipeline.h"

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Target/PTX/PTXEmitter.h"
#include "quantc/Numerics/Precision.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

using namespace mlir;
using namespace quantc;

LogicalResult
quantc::verifyQuantizePipelineOptions(Location loc,
                                      const QuantizePipelineOptions &o) {
  if (!qc::SchemeAttr::getPreset(loc.getContext(), o.format)) {
    auto diag = emitError(loc)
                << "unknown format '" << o.format << "'; known formats:";
    for (StringRef n : qc::SchemeAttr::getPresetNames())
      diag << " " << n;
    return failure();
  }
  if (o.calibrate && o.calib.empty() && o.randomSamples <= 0 &&
      o.calibTable.empty())
    return emitError(loc) << "qc-quantize-pipeline needs calibration data: "
                             "give calib=<file.npz> or random-samples=<N>";
  if (failed(qc::parseCalibrationOptions(loc, o.calibMethod, o.percentile,
                                         o.format)))
    return failure();
  if (isStaticScaleFormat(o.format)) {
    if (failed(qc::verifyQuantizeLinearOptions(loc, o.format, o.asymmetric,
                                               o.activations, o.weightMethod,
                                               o.gptqDamp)))
      return failure();
  } else if (!o.activations.empty())
    return emitError(loc) << "activations=" << o.activations
                          << " applies to int8, fp8, fp8-1x128 and int4-g128; '"
                          << o.format << "' quantizes activations with "
                          << "block scales from the data";
  if (o.smoothQuant && !(o.smoothAlpha >= 0 && o.smoothAlpha <= 1))
    return emitError(loc) << "smooth-alpha must be in [0, 1], got "
                          << o.smoothAlpha;
  if (!o.smoothQuant && !o.smoothAlphas.empty())
    return emitError(loc) << "smooth-alphas applies with smooth-quant";
  if (!o.smoothQuant && o.smoothInsertScales)
    return emitError(loc) << "smooth-insert-scales applies with smooth-quant";
  if (!(o.budgetBits >= 0) ||
      (o.budgetBits > 0 && !isStaticScaleFormat(o.format)))
    return emitError(loc) << "budget-bits (mixed precision) needs a "
                             "budget > 0 and a static-scale base format "
                             "(int8, fp8, int4-g128, ...), got "
                          << o.budgetBits << " and '" << o.format << "'";
  if (!(o.budgetLatencyUs >= 0) ||
      (o.budgetLatencyUs > 0 && !isStaticScaleFormat(o.format)))
    return emitError(loc) << "budget-latency (mixed precision) needs a "
                             "budget > 0 and a static-scale base format "
                             "(int8, fp8, int4-g128, ...), got "
                          << o.budgetLatencyUs << " and '" << o.format
                          << "'";
  if (o.budgetBits > 0 && o.budgetLatencyUs > 0)
    return emitError(loc) << "give one mixed-precision budget: budget-bits "
                             "or budget-latency, not both";
  if ((o.budgetBits > 0 || o.budgetLatencyUs > 0) &&
      !numerics::getGpuRoofline(o.latencyTarget)) {
    auto diag = emitError(loc) << "no latency model for target '"
                               << o.latencyTarget << "'; known:";
    for (const numerics::GpuRoofline &g : numerics::getGpuRooflines())
      diag << " " << g.target;
    return failure();
  }
  if (o.latencyTokens < 1)
    return emitError(loc) << "latency-tokens must be >= 1, got "
                          << o.latencyTokens;
  if (!(o.outlierThreshold >= 0) ||
      (o.outlierThreshold > 0 && !isStaticScaleFormat(o.format)))
    return emitError(loc) << "outlier-threshold must be >= 0 and needs a "
                             "static-scale format, got "
                          << o.outlierThreshold << " and '" << o.format
                          << "'";
  if (o.outlierThreshold > 0 && !o.calibTable.empty())
    return emitError(loc) << "outlier-threshold needs per-channel "
                             "statistics of every matmul's activation: "
                             "calibrate on data instead of a calibration "
                             "table";
  if (o.weightMethod != "rtn" && !isStaticScaleFormat(o.format))
    return emitError(loc) << "weight-method=" << o.weightMethod
                          << " applies to int8, fp8 and int4-g128, not '"
                          << o.format << "'";
  if (o.weightMethod == "gptq" && !o.calibTable.empty())
    return emitError(loc)
           << "weight-method=gptq needs the calibration Hessians, which a "
              "calibration table does not hold: calibrate on data instead";
  if (o.smoothQuant && !o.smoothAlphas.empty() && o.calibrate &&
      o.calib.empty())
    return emitError(loc) << "smooth-alphas searches on calibration inputs: "
                             "give calib=<file.npz>";
  // Explicitly asked for, bias correction needs channel means; by
  // default it applies where they are (resolveBiasCorrection).
  if (o.biasCorrection.value_or(false) && !o.calibTable.empty() &&
      qc::calibrationTableHasChannelMeans(o.calibTable) == false)
    return emitError(loc) << "bias-correction needs the calibration inputs' "
                             "channel means, which calibration table '"
                          << o.calibTable
                          << "' does not hold (write it with bias "
                             "correction on, or calibrate on data)";
  if (o.smoothQuant && !o.calibTable.empty())
    return emitError(loc)
           << "smooth-quant needs per-channel statistics of every "
              "matmul's activation: calibrate on data instead of a "
              "calibration table";
  if (!o.raisePatterns.empty() &&
      failed(qc::parseRaisePatterns(loc, o.raisePatterns)))
    return failure();
  if (o.randomSamples < 0)
    return emitError(loc) << "random-samples must be >= 0, got "
                          << o.randomSamples;
  return success();
}

bool quantc::resolveBiasCorrection(const QuantizePipelineOptions &o) {
  if (o.biasCorrection)
    return *o.biasCorrection;
  // Every format's weights are corrected (qc-quantize-linear's and the MX
  // presets of qc-quantize-matmuls); what can be missing is the means.
  return o.calibTable.empty() ||
         qc::calibrationTableHasChannelMeans(o.calibTable).value_or(false);
}

bool quantc::isStaticScaleFormat(StringRef format) {
  return qc::isQuantizeLinearFormat(format);
}

void quantc::buildQuantizePipeline(OpPassManager &pm,
                                   const QuantizePipelineOptions &o) {
  bool biasCorrection = resolveBiasCorrection(o);
  pm.addNestedPass<func::FuncOp>(qc::createQCWidenFloats());
  pm.addNestedPass<func::FuncOp>(qc::createQCFoldConstants());
  if (!o.raisePatterns.empty()) {
    qc::QCRaisePatternsOptions r;
    r.patterns = o.raisePatterns;
    pm.addNestedPass<func::FuncOp>(qc::createQCRaisePatterns(r));
  }
  if (o.calibrate) {
    qc::QCCalibrateOptions c;
    c.inputs = o.calib;
    c.randomSamples = o.randomSamples;
    c.seed = o.seed;
    c.method = o.calibMethod;
    c.percentile = o.percentile;
    c.format = o.format;
    c.table = o.calibTable;
    c.tableOut = o.calibTableOut;
    c.perChannel = o.smoothQuant || o.outlierThreshold > 0;
    c.hessian = o.weightMethod == "gptq";
    c.channelMeans = biasCorrection;
    pm.addPass(qc::createQCCalibrate(c));
  }
  pm.addPass(createCanonicalizerPass());
  if (o.smoothQuant) {
    qc::QCSmoothQuantOptions sq;
    sq.alpha = o.smoothAlpha;
    sq.alphas = o.smoothAlphas;
    sq.inputs = o.calib;
    sq.format = o.format;
    sq.biasCorrection = biasCorrection;
    sq.insertScales = o.smoothInsertScales;
    pm.addNestedPass<func::FuncOp>(qc::createQCSmoothQuant(sq));
  }
  if ((o.budgetBits > 0 || o.budgetLatencyUs > 0) && o.calibrate) {
    qc::QCAssignPrecisionOptions ap;
    ap.budgetBits = o.budgetBits;
    ap.budgetLatency = o.budgetLatencyUs;
    ap.target = o.latencyTarget;
    ap.tokens = o.latencyTokens;
    ap.candidates = o.precisionCandidates;
    ap.inputs = o.calib;
    ap.randomSamples = o.randomSamples;
    ap.seed = o.seed;
    ap.biasCorrection = biasCorrection;
    pm.addPass(qc::createQCAssignPrecision(ap));
  }
  if (isStaticScaleFormat(o.format)) {
    qc::QCQuantizeLinearOptions q;
    q.format = o.format;
    q.asymmetric = o.asymmetric;
    q.activations = o.activations;
    q.weightMethod = o.weightMethod;
    q.gptqDamp = o.gptqDamp;
    q.outlierThreshold = o.outlierThreshold;
    q.depthwiseChannelScales = o.depthwiseChannelScales;
    q.biasCorrection = biasCorrection;
    pm.addNestedPass<func::FuncOp>(qc::createQCQuantizeLinear(q));
    if (o.propagateScales)
      pm.addNestedPass<func::FuncOp>(qc::createQCPropagateScales());
  } else {
    qc::QCQuantizeMatmulsOptions q;
    q.format = o.format;
    q.biasCorrection = biasCorrection;
    pm.addNestedPass<func::FuncOp>(qc::createQCQuantizeMatmuls(q));
  }
  pm.addPass(createCSEPass());
  if (o.fuseEpilogues)
    pm.addNestedPass<func::FuncOp>(qc::createQCFuseEpilogues());
}

LogicalResult quantc::runQuantizePipeline(ModuleOp module,
                                          const QuantizePipelineOptions &o) {
  if (failed(verifyQuantizePipelineOptions(module.getLoc(), o)))
    return failure();
  PassManager pm(module.getContext());
  buildQuantizePipeline(pm, o);
  return pm.run(module);
}

namespace {
/// qc-gpu-pipeline's options.
struct GpuPipelineCLOptions : public PassPipelineOptions<GpuPipelineCLOptions> {
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("Kernel target: sm_89, sm_90, sm_90a, sm_100a or sm_120a"),
      llvm::cl::init("sm_90")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("isa (PTX), bin (cubin, through ptxas) or fatbin"),
      llvm::cl::init("isa")};
  Option<bool> requireAll{
      *this, "require-all",
      llvm::cl::desc("Fail when some op of @main has no GPU kernel"),
      llvm::cl::init(false)};
};

/// The textual form of QuantizePipelineOptions (pass-pipeline options, not
/// global cl::opts).
struct QuantizePipelineCLOptions
    : public PassPipelineOptions<QuantizePipelineCLOptions> {
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("Scheme preset (mxfp8, ...)"),
                             llvm::cl::init("mxfp8")};
  Option<std::string> calib{
      *this, "calib",
      llvm::cl::desc("Calibration inputs (.npz keyed by input name)")};
  Option<int64_t> randomSamples{
      *this, "random-samples",
      llvm::cl::desc("Calibrate on N seeded random samples instead"),
      llvm::cl::init(0)};
  Option<uint64_t> seed{*this, "seed",
                        llvm::cl::desc("Seed of the random samples"),
                        llvm::cl::init(0)};
  Option<std::string> method{
      *this, "method",
      llvm::cl::desc("Calibration range selection: minmax, percentile, "
                     "entropy, mse"),
      llvm::cl::init("minmax")};
  Option<double> percentile{*this, "percentile",
                            llvm::cl::desc("Percentile method: % kept"),
                            llvm::cl::init(99.99)};
  Option<bool> asymmetric{
      *this, "asymmetric",
      llvm::cl::desc("int8/fp8: int8 activations with a zero point"),
      llvm::cl::init(true)};
  Option<std::string> activations{
      *this, "activations",
      llvm::cl::desc("int8/fp8: static (default), dynamic (per-token "
                     "scales at run time) or none (weight-only)")};
  Option<std::string> calibTable{
      *this, "calib-table",
      llvm::cl::desc("Calibration table (JSON) to use instead of running "
                     "the model")};
  Option<std::string> calibTableOut{
      *this, "calib-table-out",
      llvm::cl::desc("Write the calibration table (JSON) here")};
  Option<bool> propagateScales{
      *this, "propagate-scales",
      llvm::cl::desc("int8/fp8: move codes through layout ops and max-pool "
                     "and fold Q/DQ pairs (qc-propagate-scales)"),
      llvm::cl::init(true)};
  Option<bool> fuseEpilogues{
      *this, "fuse-epilogues",
      llvm::cl::desc("Group each matmul/conv with its elementwise epilogue "
                     "in a qc.fusion (qc-fuse-epilogues; exact)"),
      llvm::cl::init(true)};
  Option<bool> smoothQuant{
      *this, "smooth-quant",
      llvm::cl::desc("SmoothQuant before quantizing (qc-smooth-quant)"),
      llvm::cl::init(false)};
  Option<double> smoothAlpha{
      *this, "smooth-alpha",
      llvm::cl::desc("SmoothQuant migration strength in [0, 1]"),
      llvm::cl::init(0.5)};
  Option<std::string> weightMethod{
      *this, "weight-method",
      llvm::cl::desc("Weights by rtn or gptq (static-scale formats)"),
      llvm::cl::init("rtn")};
  Option<double> gptqDamp{
      *this, "gptq-damp",
      llvm::cl::desc("GPTQ: Hessian damping, a fraction of its mean diagonal"),
      llvm::cl::init(0.01)};
  Option<std::string> smoothAlphas{
      *this, "smooth-alphas",
      llvm::cl::desc("SmoothQuant: alphas to search per group (needs calib)")};
  Option<bool> smoothInsertScales{
      *this, "smooth-insert-scales",
      llvm::cl::desc("SmoothQuant: also smooth tensors no norm gain can "
                     "absorb, by an inserted division (S6)"),
      llvm::cl::init(false)};
  Option<double> outlierThreshold{
      *this, "outlier-threshold",
      llvm::cl::desc("LLM.int8()-style outlier channels above this |x| in "
                     "float (0: off)"),
      llvm::cl::init(0)};
  Option<bool> depthwiseChannelScales{
      *this, "depthwise-channel-scales",
      llvm::cl::desc("Activation scales per input channel of depthwise "
                     "convs (false: per tensor, or per image when "
                     "dynamic)"),
      llvm::cl::init(true)};
  Option<std::string> biasCorrection{
      *this, "bias-correction",
      llvm::cl::desc("Correct each layer's bias for the mean effect of its "
                     "weights' rounding (B1): auto (on unless a calibration "
                     "table lacks channel means), true (or no value) or "
                     "false"),
      llvm::cl::init("auto"), llvm::cl::ValueOptional};
  Option<double> budgetBits{
      *this, "budget-bits",
      llvm::cl::desc("Mixed precision: average weight bits (0: off)"),
      llvm::cl::init(0)};
  Option<double> budgetLatency{
      *this, "budget-latency",
      llvm::cl::desc("Mixed precision: modelled microseconds of the "
                     "quantized GEMMs on latency-target (0: off)"),
      llvm::cl::init(0)};
  Option<std::string> latencyTarget{
      *this, "latency-target",
      llvm::cl::desc("GPU whose roofline models latency: sm_89, sm_90, "
                     "sm_100"),
      llvm::cl::init("sm_90")};
  Option<int64_t> latencyTokens{
      *this, "latency-tokens",
      llvm::cl::desc("Rows per matmul call in the latency model (1: decode)"),
      llvm::cl::init(1)};
  Option<std::string> candidates{
      *this, "candidates",
      llvm::cl::desc("Mixed precision: candidate formats, comma-separated"),
      llvm::cl::init("int4-g128,int8")};
  Option<std::string> raisePatterns{
      *this, "raise-patterns",
      llvm::cl::desc("qc-raise-patterns first: silu, gelu, layer-norm, "
                     "rms-norm, attention or all, comma-separated (empty: "
                     "off)")};
  Option<bool> calibrate{
      *this, "calibrate",
      llvm::cl::desc("Run qc-calibrate first (false: the module already "
                     "carries statistics)"),
      llvm::cl::init(true)};
};
} // namespace

namespace {
/// Checks that a module-level pipeline is not nested under another op and
/// parses its options; errors through `errorHandler`. ("any" is an
/// op-agnostic pipeline, which MLIR checks per op when it runs: a bare
/// "qc-quantize-pipeline" parsed for a module.)
template <typename Options>
LogicalResult
parseModulePipeline(OpPassManager &pm, StringRef name, StringRef text,
                    function_ref<LogicalResult(const Twine &)> errorHandler,
                    Options &cl) {
  StringRef anchor = pm.getOpAnchorName();
  if (anchor != ModuleOp::getOperationName() &&
      anchor != OpPassManager::getAnyOpAnchorName())
    return errorHandler(name + " runs on builtin.module, not nested in '" +
                        anchor + "'");
  std::string err;
  llvm::raw_string_ostream es(err);
  if (failed(cl.parseFromString(text, es)))
    return errorHandler(name + ": bad options '" + text +
                        "': " + StringRef(err).trim());
  return success();
}
} // namespace

void quantc::registerQuantcPasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerTransformsPasses();
    qc::registerQCPasses();
    // Not PassPipelineRegistration: its builder cannot fail, and nesting
    // this module-level pipeline under func.func (or giving it a bad
    // option) must be a diagnostic, not report_fatal_error or a message on
    // stderr only.
    registerPassPipeline(
        "qc-quantize-pipeline",
        "Calibrate, then quantize every matmul with a constant weight to a "
        "scheme preset (what quant-compile runs between import and kernel "
        "generation)",
        [](OpPassManager &pm, StringRef text,
           function_ref<LogicalResult(const Twine &)> errorHandler) {
          QuantizePipelineCLOptions cl;
          if (failed(parseModulePipeline(pm, "qc-quantize-pipeline", text,
                                         errorHandler, cl)))
            return failure();
          QuantizePipelineOptions o;
          o.format = cl.format;
          o.calib = cl.calib;
          o.randomSamples = cl.randomSamples;
          o.seed = cl.seed;
          o.calibrate = cl.calibrate;
          o.calibMethod = cl.method;
          o.percentile = cl.percentile;
          o.asymmetric = cl.asymmetric;
          o.activations = cl.activations;
          o.calibTable = cl.calibTable;
          o.calibTableOut = cl.calibTableOut;
          o.propagateScales = cl.propagateScales;
          o.fuseEpilogues = cl.fuseEpilogues;
          o.smoothQuant = cl.smoothQuant;
          o.smoothAlpha = cl.smoothAlpha;
          o.smoothAlphas = cl.smoothAlphas;
          o.smoothInsertScales = cl.smoothInsertScales;
          o.weightMethod = cl.weightMethod;
          o.gptqDamp = cl.gptqDamp;
          o.outlierThreshold = cl.outlierThreshold;
          o.depthwiseChannelScales = cl.depthwiseChannelScales;
          if (cl.biasCorrection == "true" || cl.biasCorrection.empty())
            o.biasCorrection = true;
          else if (cl.biasCorrection == "false")
            o.biasCorrection = false;
          else if (cl.biasCorrection != "auto")
            return errorHandler("qc-quantize-pipeline: bias-correction must "
                                "be auto, true or false, not '" +
                                cl.biasCorrection + "'");
          o.budgetBits = cl.budgetBits;
          o.budgetLatencyUs = cl.budgetLatency;
          o.latencyTarget = cl.latencyTarget;
          o.latencyTokens = cl.latencyTokens;
          o.precisionCandidates = cl.candidates;
          o.raisePatterns = cl.raisePatterns;
          // (The checks verifyQuantizePipelineOptions makes without a
          // context: the rest are the passes' own.)
          if (!o.smoothQuant && !o.smoothAlphas.empty())
            return errorHandler("qc-quantize-pipeline: smooth-alphas applies "
                                "with smooth-quant");
          if (!o.smoothQuant && o.smoothInsertScales)
            return errorHandler("qc-quantize-pipeline: smooth-insert-scales "
                                "applies with smooth-quant");
          buildQuantizePipeline(pm, o);
          return success();
        },
        [](function_ref<void(const detail::PassOptions &)> optHandler) {
          optHandler(QuantizePipelineCLOptions());
        });
    registerPassPipeline(
        "qc-gpu-pipeline",
        "@main's GPU program to a gpu.binary: qc-convert-to-gpu (which fuses "
        "epilogues first), nvvm-attach-target, the lowering to LLVM/NVVM and "
        "gpu-module-to-binary (what quant-compile does per target)",
        [](OpPassManager &pm, StringRef text,
           function_ref<LogicalResult(const Twine &)> errorHandler) {
          GpuPipelineCLOptions cl;
          if (failed(parseModulePipeline(pm, "qc-gpu-pipeline", text,
                                         errorHandler, cl)))
            return failure();
          std::optional<KernelTarget> t = parseKernelTarget(cl.target);
          if (!t)
            return errorHandler("qc-gpu-pipeline: unknown target '" +
                                cl.target +
                                "'; known targets: sm_120a, sm_90a, sm_90, "
                                "sm_89");
          if (cl.format != "isa" && cl.format != "bin" &&
              cl.format != "fatbin")
            return errorHandler("qc-gpu-pipeline: format '" + cl.format +
                                "' is not isa, bin or fatbin");
          qc::QCConvertToGPUOptions c;
          c.target = cl.target;
          c.requireAll = cl.requireAll;
          pm.addPass(qc::createQCConvertToGPU(c));
          buildKernelBinaryPipeline(pm, *t, cl.format);
          return success();
        },
        [](function_ref<void(const detail::PassOptions &)> optHandler) {
          optHandler(GpuPipelineCLOptions());
        });
  });
}
