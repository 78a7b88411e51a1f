//===- Compiler.h - the embeddable pipeline: model -> package -------------===//
//
// One call runs what quant-compile runs: import, calibration on the
// Executor, quantization, kernel generation, PTX/cubin, and the package with
// its report. Embedders and the tool share it.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_COMPILER_COMPILER_H
#define QUANTC_COMPILER_COMPILER_H

#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace quantc {

struct CompileOptions {
  std::string modelPath;
  std::string outputPath;
  /// Calibration inputs (.npz keyed by input name); or, when empty,
  /// `calibRandom` seeded random samples.
  std::string calibPath;
  /// In-memory calibration inputs keyed by input name, as read from an .npz
  /// (embedders, the Python module); used instead of calibPath when not
  /// empty.
  std::vector<npz::Array> calibArrays;
  int64_t calibRandom = 0;
  /// Run calibration and the accuracy run over the samples of the
  /// calibration inputs (file, arrays or random) this many at a time along
  /// their leading axis, so memory does not grow with their number; 0: all
  /// in one run. Needs a dynamic leading dimension on every model input. A
  /// directory's files are its batches already.
  int64_t calibBatch = 0;
  /// Held-out inputs (.npz keyed by input name) to measure the quantized
  /// model against float on (report: heldout_accuracy); none when empty.
  std::string evalPath;
  /// Run the quantized graph over the calibration inputs and report its
  /// error against float (report: accuracy); false skips that run (the
  /// report's accuracy is null), e.g. when only calibration time matters.
  bool measureAccuracy = true;
  /// Calibration table (JSON, docs/Calibration.md) to use instead of
  /// calibrating; the calibration inputs then only give the accuracy.
  std::string calibTable;
  /// Where to write the calibration table of this run (none when empty).
  std::string calibTableOut;
  uint64_t seed = 0;
  /// Scheme preset for weights and activations.
  std::string format = "mxfp8";
  /// Calibration range selection (docs/Calibration.md): minmax,
  /// percentile, entropy or mse; what static scales (int8, fp8) use.
  std::string calibMethod = "minmax";
  double percentile = 99.99;
  /// int8 activations with a zero point (qc-quantize-linear).
  bool asymmetric = true;
  /// SmoothQuant before quantizing (qc-smooth-quant{alpha}); needs
  /// per-channel statistics, so not with a calibration table.
  bool smoothQuant = false;
  double smoothAlpha = 0.5;
  /// Comma-separated alphas to search per layer group (S5), e.g.
  /// "0.3,0.5,0.7"; empty: smoothAlpha everywhere.
  std::string smoothAlphas;
  /// SmoothQuant also divides tensors no norm gain can absorb the factor
  /// into, with an inserted qc.div (S6).
  bool smoothInsertScales = false;
  /// Weights by "rtn" or "gptq" (qc-quantize-linear{weight-method}); GPTQ
  /// needs the calibration Hessians, so not with a calibration table.
  std::string weightMethod = "rtn";
  double gptqDamp = 0.01;
  /// LLM.int8()-style outlier channels in a float side product (> 0).
  double outlierThreshold = 0;
  /// Static activation scales per input channel of depthwise convs (Q4);
  /// false: one per tensor, as for every other op.
  bool depthwiseChannelScales = true;
  /// B1: each layer's bias absorbs the mean effect of its weights'
  /// rounding, from the calibration inputs' channel means. Unset: wherever
  /// the format and the calibration allow (resolveBiasCorrection); true:
  /// required; false: off.
  std::optional<bool> biasCorrection;
  /// Mixed precision (qc-assign-precision) when > 0: average weight bits,
  /// over `precisionCandidates` (comma-separated formats).
  double budgetBits = 0;
  /// Or under modelled microseconds of the quantized GEMMs on
  /// `latencyTarget` with `latencyTokens` rows per matmul (M5).
  double budgetLatencyUs = 0;
  std::string latencyTarget = "sm_90";
  int64_t latencyTokens = 1;
  std::string precisionCandidates = "int4-g128,int8";
  /// qc-raise-patterns right after import when not empty ("all", or a
  /// comma-separated list: silu, gelu, layer-norm, rms-norm, attention).
  std::string raisePatterns;
  /// "static", "none" (weight-only) or "" (the format's default).
  std::string activations;
  /// Kernel targets, e.g. {"sm_120a", "sm_89"}.
  std::vector<std::string> targets = {"sm_120a", "sm_89"};
  /// Assemble cubins with ptxas when it is available.
  bool emitCubin = true;
  /// Fail, listing the ops without a GPU kernel, instead of writing a
  /// package whose graph cannot run whole on a GPU (quant-compile sets it
  /// when --target is given).
  bool requireGpuProgram = false;
  OnnxImportOptions import;
  /// Progress lines ("[1/5] importing ...") go here when set.
  llvm::raw_ostream *progress = nullptr;
  /// Asked after each progress line; returning true stops the compilation
  /// with an error ("compilation cancelled") before the package is written.
  std::function<bool()> cancelled;
};

struct CompileResult {
  llvm::json::Object report;
  /// Human-readable summary of the report.
  std::string summary;
  /// Wall time of each progress step, by its short name ("import",
  /// "calibration and quantization", "accuracy", "kernels", "package",
  /// ...), in order, and of the whole compile, in seconds.
  std::vector<std::pair<std::string, double>> stepSeconds;
  double totalSeconds = 0;
  /// "done in 0.52 s: import 0.01 s, ..." (what quant-compile prints last).
  std::string timingLine() const;
};

/// Runs the whole pipeline. Errors are emitted through `ctx`'s diagnostic
/// engine; nothing is written to `outputPath` unless everything succeeded.
mlir::FailureOr<CompileResult> compileModel(mlir::MLIRContext &ctx,
                                            const CompileOptions &options);

/// Registers everything compileModel needs in `ctx`.
void registerCompilerDialects(mlir::MLIRContext &ctx);

} // namespace quantc

#endif
