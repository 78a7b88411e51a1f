//===- Pipeline.h - the quantization pipeline for embedders ---------------===//
//
// The pass pipeline quant-compile runs between import and kernel generation,
// as a C++ API: a host compiler registers quantc into its own
// DialectRegistry, adds the pipeline to its own PassManager (or runs it on a
// module it owns), and reads the result with the qc dialect's accessors.
// The same pipeline is registered as `qc-quantize-pipeline` for quant-opt:
//
//   quant-opt m.mlir --qc-quantize-pipeline="format=mxfp8 calib=in.npz"
//
// See docs/Embedding.md.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_COMPILER_PIPELINE_H
#define QUANTC_COMPILER_PIPELINE_H

#include "quantc/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace quantc {

struct QuantizePipelineOptions {
  /// Scheme preset for weights and activations (SchemeAttr::getPresetNames).
  std::string format = "mxfp8";
  /// Calibration inputs: an .npz keyed by the graph's input names ...
  std::string calib;
  /// ... or, when `calib` is empty, this many seeded random samples.
  int64_t randomSamples = 0;
  uint64_t seed = 0;
  /// Range selection of qc-calibrate: minmax, percentile, entropy, mse.
  std::string calibMethod = "minmax";
  double percentile = 99.99;
  /// For int8/fp8 (static scales, qc-quantize-linear): int8 activations
  /// with a zero point.
  bool asymmetric = true;
  /// Static-scale formats: "static" or "none" (weight-only); "" is the
  /// format's default (int4-g128: none, others: static).
  std::string activations;
  /// A calibration table (JSON) to attach instead of running the model, and
  /// one to write (docs/Calibration.md).
  std::string calibTable, calibTableOut;
  /// Run qc-calibrate first. Off when the module already carries the
  /// statistics (a .mlir saved after qc-calibrate, or compileModel, which
  /// calibrates in memory to keep the float outputs).
  bool calibrate = true;
  /// Static-scale formats: run qc-propagate-scales after qc-quantize-linear
  /// (codes through layout ops and max-pool, Q/DQ round trips folded; exact,
  /// so it only changes which values are codes).
  bool propagateScales = true;
  /// qc-fuse-epilogues last: each matmul/qmatmul/conv and its elementwise
  /// epilogue in one qc.fusion (exact; the GPU GEMM's epilogue kernels and
  /// the Executor's convolution epilogue follow the fusions).
  bool fuseEpilogues = true;
  /// qc-smooth-quant{alpha=smoothAlpha} after calibration (which then
  /// records per-channel statistics).
  bool smoothQuant = false;
  double smoothAlpha = 0.5;
  /// Comma-separated alphas searched per group (S5) instead of smoothAlpha.
  std::string smoothAlphas;
  /// qc-smooth-quant{insert-scales} (S6).
  bool smoothInsertScales = false;
  /// qc-quantize-linear{weight-method gptq-damp}; "gptq" makes calibration
  /// record Hessians.
  std::string weightMethod = "rtn";
  double gptqDamp = 0.01;
  /// qc-quantize-linear{outlier-threshold}; > 0 makes calibration record
  /// per-channel ranges.
  double outlierThreshold = 0;
  /// qc-quantize-linear{depthwise-channel-scales}: static activation scales
  /// per input channel of depthwise convs (Q4).
  bool depthwiseChannelScales = true;
  /// qc-quantize-linear{bias-correction} (B1); makes calibration record
  /// channel means. Unset: on unless a calibration table lacks the means
  /// (resolveBiasCorrection); true: required (an error with such a table);
  /// false: off.
  std::optional<bool> biasCorrection;
  /// qc-assign-precision{budget-bits candidates} when budgetBits > 0 (on
  /// the calibration data; with calibrate=false the module must already
  /// carry qc.assigned_format).
  double budgetBits = 0;
  /// qc-assign-precision{budget-latency target tokens} when > 0 instead
  /// (microseconds modelled on latencyTarget, docs/Calibration.md M5).
  double budgetLatencyUs = 0;
  std::string latencyTarget = "sm_90";
  int64_t latencyTokens = 1;
  std::string precisionCandidates = "int4-g128,int8";
  /// qc-raise-patterns{patterns} first when not empty (e.g. "all" or
  /// "silu,gelu,layer-norm,rms-norm").
  std::string raisePatterns;
};

/// Whether the pipeline corrects biases (B1): an explicit choice as given;
/// unset, unless the calibration comes from a table without channel means.
/// (With calibrate=false, the layers that carry qc.lhs_channel_mean are
/// corrected and the others get a remark.)
bool resolveBiasCorrection(const QuantizePipelineOptions &o);

/// Registers every qc pass and `qc-quantize-pipeline` with the global pass
/// registry, as upstream's registerAllPasses does. Idempotent. (The
/// dialects: registerQuantcDialects in quantc/InitAll.h, library
/// QuantcInitAll.)
void registerQuantcPasses();

/// Checks the options (known format, calibration data given when
/// calibrating) and emits an error at `loc` if they are not valid.
mlir::LogicalResult
verifyQuantizePipelineOptions(mlir::Location loc,
                              const QuantizePipelineOptions &options);

/// Whether `format` takes static scales from calibration (qc-quantize-linear:
/// int8, fp8, weight-only int4-g128) rather than block scales computed from the data (MX presets,
/// qc-quantize-matmuls).
bool isStaticScaleFormat(llvm::StringRef format);

/// Adds the pipeline to a pass manager anchored on builtin.module:
/// qc-calibrate (when options.calibrate), canonicalize,
/// qc-quantize-linear{format asymmetric} + qc-propagate-scales for int8/fp8 or
/// qc-quantize-matmuls{format} otherwise, cse, qc-fuse-epilogues. Options are not checked here; call
/// verifyQuantizePipelineOptions first for a diagnostic instead of a pass
/// failure.
void buildQuantizePipeline(mlir::OpPassManager &pm,
                           const QuantizePipelineOptions &options);

/// Verifies the options and runs the pipeline on a module the caller owns.
/// Errors are emitted through the module's context.
mlir::LogicalResult runQuantizePipeline(mlir::ModuleOp module,
                                        const QuantizePipelineOptions &options);

} // namespace quantc

#endif
