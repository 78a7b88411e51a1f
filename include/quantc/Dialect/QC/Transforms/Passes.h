//===- Passes.h - qc passes -----------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_TRANSFORMS_PASSES_H
#define QUANTC_DIALECT_QC_TRANSFORMS_PASSES_H

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Numerics/Calibration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

#include "llvm/ADT/StringSet.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace quantc {
struct Tensor;
} // namespace quantc

namespace quantc::qc {

#define GEN_PASS_DECL
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"

/// How qc-calibrate chooses ranges (docs/Calibration.md).
struct CalibrationOptions {
  numerics::CalibMethod method = numerics::CalibMethod::MinMax;
  double percentile = 99.99;
  /// The format the ranges are for (the mse method's grid).
  numerics::ElemFormat format = numerics::ElemFormat::INT8;
  /// Where the calibration data came from (a file name), for messages.
  std::string source;
  /// Called with a line per batch when there are several (batch i/n, file,
  /// samples so far, rate).
  std::function<void(const std::string &)> progress;
  /// Also record per-channel ranges of constant-weight matmul activations
  /// (qc.lhs_channel_min / qc.lhs_channel_max) for qc-smooth-quant.
  bool perChannel = false;
  /// Also record the Hessian 2/m sum x x^T of those activations
  /// (qc.lhs_hessian) for GPTQ.
  bool hessian = false;
  /// Also record the mean of each input channel of every matmul's and
  /// conv's activation (qc.lhs_channel_mean) for bias correction (B1).
  bool channelMeans = false;
};

/// One batch of calibration inputs and where it came from.
struct CalibrationBatch {
  llvm::ArrayRef<Tensor> inputs;
  std::string source;
};

/// Calibration over `numBatches` batches read one at a time (a directory of
/// files: memory does not grow with the number of samples); the batch
/// `readBatch(i)` returns stays valid until the next call. Methods other
/// than minmax read every batch twice. `firstOutputs`, if set, receives the
/// float outputs of batch 0.
mlir::LogicalResult calibrateBatches(
    mlir::func::FuncOp fn, size_t numBatches,
    llvm::function_ref<mlir::FailureOr<CalibrationBatch>(size_t)> readBatch,
    const CalibrationOptions &options, std::vector<Tensor> *firstOutputs);

/// How many batches of `batch` samples the in-memory calibration inputs
/// make, split along their leading (sample) axis: ceil(samples / batch), or
/// 1 when batch <= 0. Splitting needs every input to have the same leading
/// size and every argument of `fn` a dynamic leading dimension (a model
/// whose samples are independent along it); otherwise an error at fn that
/// names the input.
mlir::FailureOr<size_t> countCalibrationBatches(mlir::func::FuncOp fn,
                                                llvm::ArrayRef<Tensor> inputs,
                                                int64_t batch);

/// Samples [begin, end) of every input (leading axis).
std::vector<Tensor> sliceSamples(llvm::ArrayRef<Tensor> inputs, int64_t begin,
                                 int64_t end);

/// The .npz and .npy files of a calibration directory, sorted by name;
/// an error if it cannot be read or holds none.
mlir::FailureOr<std::vector<std::string>>
listCalibrationFiles(mlir::Location loc, llvm::StringRef dir);

/// Reads one calibration file for `fn`'s inputs: an .npz keyed by input
/// name, or an .npy for a one-input model. Errors name the file and input.
mlir::FailureOr<std::vector<Tensor>>
readModelInputs(mlir::func::FuncOp fn, llvm::StringRef path);

/// Checks and converts the textual options (method name, percentile in
/// (0, 100], a scheme preset or element format); errors at `loc`.
mlir::FailureOr<CalibrationOptions>
parseCalibrationOptions(mlir::Location loc, llvm::StringRef method,
                        double percentile, llvm::StringRef format);

/// What qc-calibrate does, on inputs already in memory: runs `fn` on the
/// Executor, attaches the statistics (and, for methods other than minmax,
/// the chosen ranges), and returns the float outputs (so a driver can
/// measure accuracy without running the float graph again).
mlir::FailureOr<std::vector<Tensor>>
calibrate(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> inputs,
          const CalibrationOptions &options = {});

/// Writes the statistics and ranges qc-calibrate attached to the matmuls
/// and convs of `fn` as a JSON calibration table (docs/Calibration.md),
/// atomically.
llvm::Error writeCalibrationTable(mlir::func::FuncOp fn, llvm::StringRef path);

/// Attaches the statistics of a table writeCalibrationTable wrote, matching
/// layers by name. Every layer needs an entry; errors name the file and the
/// layer, and leave `fn` unchanged.
mlir::LogicalResult applyCalibrationTable(mlir::func::FuncOp fn,
                                          llvm::StringRef path);

/// B1 (docs/Calibration.md) for `op`, a matmul or qmatmul with a [K, N]
/// weight or a conv with an [M, C/g, k...] one, from its
/// qc.lhs_channel_mean and `delta` = W_q - W in that layout (`shape`): the
/// mean shift leaves through its bias (a conv's, a matmul's own bias add,
/// or a new add after it) and `op` is marked qc.bias_corrected; a zero
/// shift changes nothing else; a remark where it has no channel means.
void applyBiasCorrection(mlir::RewriterBase &rewriter, mlir::Operation *op,
                         llvm::ArrayRef<float> delta,
                         llvm::ArrayRef<int64_t> shape);

/// Whether the table at `path` holds channel means (lhs_channel_mean, what
/// bias correction needs) for some layer; none for an unreadable or
/// malformed file (applyCalibrationTable reports those).
std::optional<bool> calibrationTableHasChannelMeans(llvm::StringRef path);

/// Rewrites qc.matmul with constant weights into quantize + qc.qmatmul under
/// `scheme` (an MX scheme); with `biasCorrection`, B1 from each matmul's
/// qc.lhs_channel_mean (applyBiasCorrection).
void populateQuantizeMatmulPatterns(mlir::RewritePatternSet &patterns,
                                    SchemeAttr scheme,
                                    bool biasCorrection = false);

/// Whether qc-quantize-linear takes `format` (int8, fp8, int4-g128).
bool isQuantizeLinearFormat(llvm::StringRef format);

/// Checks qc-quantize-linear's options (format, activations for it) and
/// emits the pass's error at `loc`.
mlir::LogicalResult verifyQuantizeLinearOptions(
    mlir::Location loc, llvm::StringRef format, bool asymmetric,
    llvm::StringRef activations, llvm::StringRef weightMethod = "rtn",
    double gptqDamp = 0.01);

/// Static scales in QDQ form (qc-quantize-linear) for `format` int8, fp8
/// or int4-g128, `activations` "static", "none" or "" (the format's
/// default); adds nothing for options the pass would reject.
void populateQuantizeLinearPatterns(mlir::RewritePatternSet &patterns,
                                    llvm::StringRef format, bool asymmetric,
                                    llvm::StringRef activations = "",
                                    llvm::StringRef weightMethod = "rtn",
                                    double gptqDamp = 0.01,
                                    double outlierThreshold = 0,
                                    bool depthwiseChannelScales = true,
                                    bool biasCorrection = false);

/// Rewrites the qc.lhs_hessian H [K, K] of `op` (qc-calibrate{hessian}) as
/// H'_ij = f(i, j, H_ij): what a rewrite of the matmul's input (SmoothQuant's
/// x / s, an outlier split's mask) does to it. Drops an unreadable one.
void transformHessian(mlir::Operation *op,
                      llvm::function_ref<float(int64_t, int64_t, float)> f);

/// What qc-quantize-linear{format asymmetric activations bias-correction}
/// does to one matmul or conv (round to nearest); failure, with nothing
/// changed, if it cannot quantize it.
mlir::LogicalResult quantizeLinearOp(mlir::Operation *op,
                                     llvm::StringRef format, bool asymmetric,
                                     llvm::StringRef activations,
                                     bool biasCorrection = false);

/// Relative squared error sum (got - ref)^2 / sum ref^2 over all outputs.
double relativeSquaredError(llvm::ArrayRef<Tensor> got,
                            llvm::ArrayRef<Tensor> ref);

/// Runs a copy of `fn`'s module on `inputs` after `edit` changed the copy
/// of `fn`; the outputs' relativeSquaredError against `ref` (infinity if
/// `edit` fails). How the sensitivity searches measure a candidate.
mlir::FailureOr<double>
measureEdited(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> inputs,
              llvm::ArrayRef<Tensor> ref,
              llvm::function_ref<mlir::LogicalResult(mlir::func::FuncOp)> edit);

/// The trimmed, non-empty items of a comma-separated option ("a, b,").
std::vector<std::string> splitList(llvm::StringRef text);

/// A comma-separated list of numbers (qc-smooth-quant's alphas); an error
/// at `loc`, prefixed with `what`, names an item that is not one.
mlir::FailureOr<std::vector<double>>
parseAlphaList(mlir::Location loc, llvm::StringRef text, llvm::StringRef what);

/// qc-smooth-quant (docs/Calibration.md, S1-S5): with `alphas` empty, every
/// group smoothed with `alpha`; else, per group, the alpha of `alphas`
/// whose smoothing (that group only, its matmuls quantized to `format`)
/// gives the least output error on `inputs`.
struct SmoothQuantOptions {
  double alpha = 0.5;
  std::vector<double> alphas;
  std::string format = "int8";
  bool asymmetric = true;
  /// The alpha search (S5) quantizes with bias correction (B1), as the
  /// compile will.
  bool biasCorrection = false;
  /// S6: tensors whose producer cannot absorb the factor get an inserted
  /// qc.div in front of their matmuls.
  bool insertScales = false;
  /// The alpha search calls it with a line per group (which, its alpha,
  /// the errors, time so far).
  std::function<void(const std::string &)> progress;
};
mlir::LogicalResult smoothQuant(mlir::func::FuncOp fn,
                                const SmoothQuantOptions &options,
                                llvm::ArrayRef<Tensor> inputs = {});

/// qc-assign-precision (docs/Calibration.md, M1-M5): per-layer formats
/// under an average weight-bit budget, or under a modelled latency on a
/// GPU target (one of the two budgets > 0), from each layer's measured
/// sensitivity on `inputs`.
struct PrecisionOptions {
  double budgetBits = 0;
  /// Microseconds of the quantized layers' GEMMs on `target` (M5).
  double budgetLatencyUs = 0;
  std::vector<std::string> candidates = {"int4-g128", "int8"};
  /// The GPU whose roofline models latency (sm_89, sm_90, sm_100).
  std::string target = "sm_90";
  /// Rows each matmul multiplies per call in the latency model (1: one
  /// decoded token); a conv's rows are its output pixels times this.
  int64_t tokens = 1;
  /// Measure each candidate with bias correction (B1) applied, as
  /// qc-quantize-linear{bias-correction} will quantize the layer.
  bool biasCorrection = false;
};
mlir::LogicalResult assignPrecision(mlir::func::FuncOp fn,
                                    llvm::ArrayRef<Tensor> inputs,
                                    const PrecisionOptions &options);

/// qc-propagate-scales' rules P1-P6 (docs/Calibration.md): quantized values
/// through layout and monotonic ops, Q/DQ round trips folded. Exact. P5
/// (a relu before a quantize) only with `dropRelu`.
void populatePropagateScalesPatterns(mlir::RewritePatternSet &patterns,
                                     bool dropRelu = false);

/// qc-fuse-epilogues: each matmul, qmatmul or conv and its elementwise
/// epilogue chain in one qc.fusion. Exact.
void populateFuseEpiloguesPatterns(mlir::RewritePatternSet &patterns);

/// Applies those patterns (and nothing else: no folding or constant
/// hoisting) to the ops under `root`.
mlir::LogicalResult fuseEpilogues(mlir::Operation *root);

/// qc-kmajor-weights on the ops under `root`: fp8-1x128 matmul weights
/// stored [N, K] behind a qc.transpose for the sm_90a GEMM. Exact; returns
/// the number of weights rewritten.
unsigned kMajorWeights(mlir::Operation *root);

/// qc-raise-patterns' rules R1-R6 (docs/Calibration.md) named in
/// `enabled`: silu, gelu, layer-norm, rms-norm, attention, hard-swish.
void populateRaisePatterns(mlir::RewritePatternSet &patterns,
                           const llvm::StringSet<> &enabled);

/// Whether `op` is one of the ops qc-raise-patterns raises to.
bool isRaisedOp(mlir::Operation *op);

/// The pattern names of a comma-separated list ("all" names every one); an
/// error at `loc` for an unknown name.
mlir::FailureOr<llvm::StringSet<>> parseRaisePatterns(mlir::Location loc,
                                                      llvm::StringRef list);

#define GEN_PASS_REGISTRATION
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"

} // namespace quantc::qc

#endif
