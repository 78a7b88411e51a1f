//===- Compiler.cpp - model -> package pipeline ---------------------------===//
#include "quantc/Compiler/Compiler.h"

#include "quantc/Compiler/Pipeline.h"

#include "quantc/Conversion/QCToGPU/Program.h"
#include "quantc/Conversion/QCToGPU/QCToGPU.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"
#include "quantc/InitAll.h"
#include "quantc/Package/Package.h"
#include "quantc/Support/Npz.h"
#include "quantc/Target/PTX/PTXEmitter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <set>

using namespace mlir;
using namespace quantc;

void quantc::registerCompilerDialects(MLIRContext &ctx) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerGemmKernelDialects(registry);
  registerPTXTranslations(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
}


/// The ONNX op type the importer records as fused-location metadata.
static std::string layerOpType(Location loc) {
  if (auto f = dyn_cast<FusedLoc>(loc))
    if (auto op = dyn_cast_or_null<StringAttr>(f.getMetadata()))
      return op.str();
  return "MatMul";
}

namespace {
struct ErrorStats {
  double maxAbs = 0, num = 0, den = 0, dot = 0, nq = 0, nf = 0;
  int64_t count = 0;
  /// Pairs where either side is NaN or infinite are left out of the
  /// errors (they would make every figure NaN, and JSON has no NaN); those
  /// where the two differ (a NaN against a number, inf against -inf or a
  /// number) are counted.
  int64_t nonFiniteMismatches = 0;
  void add(const Tensor &q, const Tensor &f) {
    for (size_t i = 0; i < f.f.size() && i < q.f.size(); ++i) {
      double a = q.f[i], b = f.f[i];
      if (!std::isfinite(a) || !std::isfinite(b)) {
        nonFiniteMismatches += !(a == b || (std::isnan(a) && std::isnan(b)));
        continue;
      }
      maxAbs = std::max(maxAbs, std::fabs(a - b));
      num += (a - b) * (a - b);
      den += b * b;
      dot += a * b;
      nq += a * a;
      nf += b * b;
      ++count;
    }
  }
  double relRms() const { return den > 0 ? std::sqrt(num / den) : std::sqrt(num); }
  double cosine() const {
    if (!count && nonFiniteMismatches)
      return 0.0; // (nothing agrees)
    return nq > 0 && nf > 0 ? dot / std::sqrt(nq * nf) : (nq == nf ? 1.0 : 0.0);
  }
  /// ", N non-finite mismatches" for the printed summary, or "".
  std::string nonFiniteNote() const {
    return nonFiniteMismatches
               ? llvm::formatv(", {0} non-finite mismatch(es) (NaN or inf "
                               "on one side only; left out of the errors)",
                               nonFiniteMismatches)
                     .str()
               : std::string();
  }
  /// Rows of classifier-like outputs (rank >= 2, last dim > 1) whose argmax
  /// agrees, and all such rows.
  int64_t agree = 0, rows = 0;
  void addArgmax(const Tensor &q, const Tensor &f) {
    if (f.shape.size() < 2 || f.shape.back() < 2 || q.f.size() != f.f.size())
      return;
    int64_t c = f.shape.back();
    for (size_t r = 0; r + c <= f.f.size(); r += c) {
      auto qa = std::max_element(q.f.begin() + r, q.f.begin() + r + c);
      auto fa = std::max_element(f.f.begin() + r, f.f.begin() + r + c);
      agree += (qa - q.f.begin()) == (fa - f.f.begin());
      ++rows;
    }
  }
  llvm::json::Object toJson(int64_t samples) const {
    llvm::json::Object o{{"samples", samples},
                         {"max_abs_error", maxAbs},
                         {"rel_rms_error", relRms()},
                         {"cosine_similarity", cosine()}};
    if (rows)
      o["argmax_agreement"] = double(agree) / double(rows);
    if (nonFiniteMismatches)
      o["nonfinite_mismatches"] = nonFiniteMismatches;
    return o;
  }
};

/// Leading (sample) dim of the first input, 1 for none.
int64_t numSamples(ArrayRef<Tensor> inputs) {
  return inputs.empty() || inputs.front().shape.empty()
             ? 1
             : inputs.front().shape.front();
}

struct Progress {
  using Clock = std::chrono::steady_clock;
  llvm::raw_ostream *os;
  const std::function<bool()> &cancelled;
  MLIRContext &ctx;
  int step = 0, total;
  /// Wall time of each step so far, under its short `stage` name.
  Clock::time_point start = Clock::now(), last = start;
  std::string stage;
  SmallVector<std::pair<std::string, double>> times;

  /// Prints the step; fails (with an error) if the embedder cancelled.
  LogicalResult operator()(const llvm::Twine &msg, llvm::StringRef name) {
    lap();
    stage = name.str();
    if (os) {
      *os << "[" << ++step << "/" << total << "] " << msg << "\n";
      os->flush();
    }
    if (cancelled && cancelled())
      return emitError(UnknownLoc::get(&ctx)) << "compilation cancelled";
    return success();
  }
  /// Closes the last step; the wall time of each step and of the whole
  /// compile go to `result`.
  void finish(CompileResult &result) {
    lap();
    stage.clear();
    result.stepSeconds.assign(times.begin(), times.end());
    result.totalSeconds = std::chrono::duration<double>(last - start).count();
  }

private:
  void lap() {
    Clock::time_point now = Clock::now();
    if (!stage.empty())
      times.emplace_back(stage,
                         std::chrono::duration<double>(now - last).count());
    last = now;
  }
};
} // namespace

/// The registered pipeline's options for `opts`, calibration excluded
/// (compileModel calibrates in memory, to keep the float outputs).
static QuantizePipelineOptions pipelineOptions(const CompileOptions &opts) {
  QuantizePipelineOptions q;
  q.format = opts.format;
  q.asymmetric = opts.asymmetric;
  q.activations = opts.activations;
  q.calibMethod = opts.calibMethod;
  q.percentile = opts.percentile;
  q.calibTable = opts.calibTable;
  q.smoothQuant = opts.smoothQuant;
  q.smoothAlpha = opts.smoothAlpha;
  q.smoothAlphas = opts.smoothAlphas;
  q.smoothInsertScales = opts.smoothInsertScales;
  q.weightMethod = opts.weightMethod;
  q.gptqDamp = opts.gptqDamp;
  q.outlierThreshold = opts.outlierThreshold;
  q.depthwiseChannelScales = opts.depthwiseChannelScales;
  q.biasCorrection = opts.biasCorrection;
  q.budgetBits = opts.budgetBits;
  q.budgetLatencyUs = opts.budgetLatencyUs;
  q.latencyTarget = opts.latencyTarget;
  q.latencyTokens = opts.latencyTokens;
  q.precisionCandidates = opts.precisionCandidates;
  q.calibrate = false;
  // Checked with the rest, but run right after import (compileModel).
  q.raisePatterns = opts.raisePatterns;
  return q;
}

/// The MMA instruction kernel `name` uses: the first `wgmma.mma_async...`
/// (the sm_90a GEMM), `tcgen05.mma...` (the sm_100a GEMM) or else
/// `mma.sync...` of its .entry in `ptx` (what the
/// kernel really issues: e5m2 operands, the block-scaled kinds, the wgmma
/// tile), or `fallback` when the PTX has none.
static std::string mmaInstructionOf(llvm::StringRef ptx, llvm::StringRef name,
                                    llvm::StringRef fallback) {
  size_t at = ptx.find((".entry " + name + "(").str());
  if (at == llvm::StringRef::npos)
    return fallback.str();
  size_t end = ptx.find(".entry ", at + 1);
  llvm::StringRef body = ptx.slice(at, end);
  size_t m = body.find("wgmma.mma_async");
  if (m == llvm::StringRef::npos)
    m = body.find("tcgen05.mma");
  if (m == llvm::StringRef::npos)
    m = body.find("mma.sync");
  if (m == llvm::StringRef::npos)
    return fallback.str();
  return body.substr(m).take_until([](char c) { return isspace(c); }).str();
}


std::string CompileResult::timingLine() const {
  std::string s = llvm::formatv("done in {0:f2} s:", totalSeconds).str();
  for (auto [i, t] : llvm::enumerate(stepSeconds))
    s += (i ? ", " : " ") + t.first + llvm::formatv(" {0:f2} s", t.second).str();
  return s;
}

/// The report's layer table. Long names (exporters write paths such as
/// "/model/encoder/layer.0/attention/self/query/MatMul") lose the path
/// prefix all of them share, said once above the table, and what is still
/// longer than kMaxName keeps its end.
static std::string
layerTable(std::vector<std::array<std::string, 5>> rows) {
  constexpr size_t kMinName = 20, kMaxName = 44;
  std::string out;
  llvm::raw_string_ostream os(out);
  // The common prefix, up to and including a '/'.
  size_t common = rows.size() > 1 ? rows[0][0].size() : 0;
  for (const auto &r : rows) {
    size_t n = 0;
    while (n < common && n < r[0].size() && r[0][n] == rows[0][0][n])
      ++n;
    common = n;
  }
  std::string prefix = rows.empty() ? "" : rows[0][0].substr(0, common);
  prefix = prefix.substr(0, prefix.rfind('/') + 1); // npos + 1 == 0
  if (prefix.size() >= 8) {
    os << "  (layer names without their common prefix " << prefix << ")\n";
    for (auto &r : rows)
      r[0] = r[0].substr(prefix.size());
  }
  size_t width = kMinName;
  for (auto &r : rows) {
    if (r[0].size() > kMaxName) {
      // Its last bytes, from the start of a UTF-8 character.
      size_t from = r[0].size() - (kMaxName - 3);
      while (from < r[0].size() && (r[0][from] & 0xC0) == 0x80)
        ++from;
      r[0] = "..." + r[0].substr(from);
    }
    width = std::max(width, r[0].size());
  }
  auto line = [&](const std::array<std::string, 5> &r) {
    os << "  " << llvm::left_justify(r[0], width)
       << llvm::formatv(" {0,-8} {1,-14} {2,-8} {3}\n", r[1], r[2], r[3],
                        r[4]);
  };
  line({"layer", "op", "weight", "format", "weight rel. RMS error"});
  for (const auto &r : rows)
    line(r);
  return out;
}

FailureOr<CompileResult> quantc::compileModel(MLIRContext &ctx,
                                              const CompileOptions &opts) {
  registerCompilerDialects(ctx);
  // Five steps, plus smoothing and mixed precision when they run apart.
  bool mixedPrecision = opts.budgetBits > 0 || opts.budgetLatencyUs > 0;
  int steps = 5 + mixedPrecision +
              (opts.smoothQuant &&
               (!opts.smoothAlphas.empty() || mixedPrecision));
  Progress progress{opts.progress, opts.cancelled, ctx, 0, steps};
  Location unknown = UnknownLoc::get(&ctx);

  // Validate options before any work.
  qc::SchemeAttr scheme = qc::SchemeAttr::getPreset(&ctx, opts.format);
  if (!scheme) {
    auto diag = emitError(unknown) << "unknown format '" << opts.format
                                   << "'; known formats:";
    for (StringRef n : qc::SchemeAttr::getPresetNames())
      diag << " " << n;
    return failure();
  }
  std::vector<KernelTarget> targets;
  for (const std::string &t : opts.targets) {
    auto kt = parseKernelTarget(t);
    if (!kt)
      return emitError(unknown) << "unknown target '" << t
                                << "'; known targets: sm_120a, sm_90a, sm_90, sm_89";
    targets.push_back(*kt);
  }
  FailureOr<qc::CalibrationOptions> calibOpts = qc::parseCalibrationOptions(
      unknown, opts.calibMethod, opts.percentile, opts.format);
  if (failed(calibOpts))
    return failure();
  {
    // The pipeline's own checks (activations for the format, ...), before
    // any work.
    QuantizePipelineOptions q = pipelineOptions(opts);
    if (failed(verifyQuantizePipelineOptions(unknown, q)))
      return failure();
  }
  int calibSources = !opts.calibPath.empty() + !opts.calibArrays.empty() +
                     (opts.calibRandom > 0);
  if (calibSources == 0)
    return emitError(unknown) << "no calibration data: give --calib <file.npz> "
                                 "or --calib-random <N>";
  if (calibSources > 1)
    return emitError(unknown) << "give one source of calibration data (a "
                                 "file, arrays or random samples), not "
                              << calibSources;

  // 1. Import.
  if (failed(progress("importing " + opts.modelPath, "import")))
    return failure();
  OwningOpRef<ModuleOp> module =
      importOnnxFile(ctx, opts.modelPath, opts.import);
  if (!module)
    return failure();
  {
    // An f16/bf16 model computed in f32 from the start (exact on the
    // Executor), so that calibration sees its weights as the constants the
    // quantizer reads (the pipeline's own qc-widen-floats then finds
    // nothing left to do).
    PassManager pm(&ctx);
    pm.addNestedPass<func::FuncOp>(qc::createQCWidenFloats());
    if (failed(pm.run(*module)))
      return failure();
  }
  if (!opts.raisePatterns.empty()) {
    // Before anything runs the float model: calibration and the reference
    // outputs see the raised graph (docs/Calibration.md, R1-R6).
    auto countRaised = [&] {
      int64_t n = 0;
      module->walk([&](Operation *op) { n += qc::isRaisedOp(op); });
      return n;
    };
    int64_t before = countRaised();
    PassManager pm(&ctx);
    qc::QCRaisePatternsOptions r;
    r.patterns = opts.raisePatterns;
    pm.addNestedPass<func::FuncOp>(qc::createQCRaisePatterns(r));
    if (failed(pm.run(*module)))
      return failure();
    if (opts.progress)
      *opts.progress << "      raised " << countRaised() - before
                     << " pattern(s) (" << opts.raisePatterns << ")\n";
  }

  // Calibration inputs, also used to measure accuracy.
  func::FuncOp floatFn = getEntryFunction(*module);
  if (!floatFn)
    return failure();
  Executor floatExec(floatFn);
  FailureOr<std::vector<Tensor>> inputs;
  // A directory of calibration files is read one file at a time, here and
  // for the accuracy run (so memory does not grow with its size).
  std::vector<std::string> calibFiles;
  bool calibDir =
      !opts.calibPath.empty() && llvm::sys::fs::is_directory(opts.calibPath);
  if (calibDir) {
    auto files = qc::listCalibrationFiles(unknown, opts.calibPath);
    if (failed(files))
      return failure();
    calibFiles = std::move(*files);
    inputs = qc::readModelInputs(floatFn, calibFiles.front());
  } else if (!opts.calibArrays.empty()) {
    inputs = floatExec.bindInputs(opts.calibArrays, "calibration arrays");
  } else if (!opts.calibPath.empty()) {
    inputs = qc::readModelInputs(floatFn, opts.calibPath);
  } else {
    inputs = floatExec.randomInputs(opts.calibRandom, opts.seed);
  }
  if (failed(inputs))
    return failure();
  // Batches: a directory's files, read one at a time, or slices of the
  // in-memory samples (--calib-batch); `inputs` holds batch 0 from here on.
  if (opts.calibBatch < 0)
    return emitError(unknown) << "--calib-batch " << opts.calibBatch
                              << " must be >= 0 (0: all samples in one run)";
  if (calibDir && opts.calibBatch > 0)
    return emitError(unknown)
           << "--calib-batch splits one .npz (or in-memory or random "
              "samples); the files of directory '"
           << opts.calibPath << "' are its batches";
  std::vector<Tensor> allSamples;
  size_t numBatches = calibFiles.size();
  if (!calibDir) {
    FailureOr<size_t> n =
        qc::countCalibrationBatches(floatFn, *inputs, opts.calibBatch);
    if (failed(n))
      return failure();
    numBatches = *n;
    if (numBatches > 1) {
      allSamples = std::move(*inputs);
      inputs = qc::sliceSamples(allSamples, 0, opts.calibBatch);
    }
  }
  // (Files are bound to the inputs of `bindFn`: the float model's copy
  // once floatFn has been quantized in place.)
  auto readBatch = [&](func::FuncOp bindFn,
                       size_t i) -> FailureOr<std::vector<Tensor>> {
    if (calibDir)
      return qc::readModelInputs(bindFn, calibFiles[i]);
    return qc::sliceSamples(allSamples, int64_t(i) * opts.calibBatch,
                            int64_t(i + 1) * opts.calibBatch);
  };
  auto batchSource = [&](size_t i) {
    return calibDir ? calibFiles[i]
                    : llvm::formatv("samples {0}..{1} of {2}",
                                    i * opts.calibBatch,
                                    std::min<int64_t>(
                                        (i + 1) * opts.calibBatch,
                                        numSamples(allSamples)) - 1,
                                    opts.calibPath.empty() ? "the inputs"
                                                           : opts.calibPath)
                          .str();
  };
  // With several batches, the others' samples are counted as the accuracy
  // run reads them.
  int64_t samples = numSamples(*inputs);
  // What measures on the calibration inputs in memory (the SmoothQuant
  // alpha search, mixed precision) sees the first batch only: say so.
  std::string firstBatchNote =
      (calibDir && calibFiles.size() > 1) || numBatches > 1
          ? llvm::formatv(" (on the first batch: {0} sample(s))", samples).str()
          : std::string();
  // The float model, kept for the accuracy run over the other batches
  // (weights are shared resources, not copied); none when that run is
  // skipped.
  OwningOpRef<ModuleOp> floatCopy;
  if (numBatches > 1 && opts.measureAccuracy)
    floatCopy = module->clone();
  // Held-out inputs (--eval): the float outputs now, before the graph is
  // quantized in place.
  std::vector<Tensor> evalInputs, evalFloat;
  if (!opts.evalPath.empty()) {
    auto bound = qc::readModelInputs(floatFn, opts.evalPath);
    if (failed(bound))
      return failure();
    evalInputs = std::move(*bound);
    Executor evalExec(floatFn);
    evalExec.setConstantCaching(false);
    auto out = evalExec.run(evalInputs);
    if (failed(out))
      return failure();
    evalFloat = std::move(*out);
  }

  // 2-3. Calibrate and quantize.
  if (failed(progress(
          calibDir ? llvm::formatv("calibrating on {0} file(s) in {1} and "
                                   "quantizing to {2}",
                                   calibFiles.size(), opts.calibPath,
                                   opts.format)
                         .str()
          : numBatches > 1
              ? llvm::formatv("calibrating on {0} sample(s) in {1} batches "
                              "of {2} and quantizing to {3}",
                              numSamples(allSamples), numBatches,
                              opts.calibBatch, opts.format)
                    .str()
              : llvm::formatv("calibrating on {0} sample(s) and "
                              "quantizing to {1}",
                              samples, opts.format)
                    .str(),
          "calibration and quantization")))
    return failure();
  // One float run both calibrates and gives the reference outputs.
  calibOpts->source = opts.calibPath;
  calibOpts->perChannel = opts.smoothQuant || opts.outlierThreshold > 0;
  calibOpts->hessian = opts.weightMethod == "gptq";
  // Resolved once (a calibration table is read to see whether it holds the
  // channel means); the pipeline below gets the explicit answer.
  bool biasCorrection = resolveBiasCorrection(pipelineOptions(opts));
  calibOpts->channelMeans = biasCorrection;
  // Lines within a step (calibration batches, SmoothQuant groups),
  // indented under it.
  std::function<void(const std::string &)> subProgress;
  if (opts.progress)
    subProgress = [&](const std::string &line) {
      *opts.progress << "      " << line << "\n";
      opts.progress->flush();
    };
  calibOpts->progress = subProgress;
  FailureOr<std::vector<Tensor>> floatOut = failure();
  std::vector<Tensor> holder;
  auto readCalibBatch = [&](size_t i) -> FailureOr<qc::CalibrationBatch> {
    auto t = readBatch(floatFn, i);
    if (failed(t))
      return failure();
    holder = std::move(*t);
    return qc::CalibrationBatch{holder, batchSource(i)};
  };
  if ((calibDir || numBatches > 1) && opts.calibTable.empty()) {
    std::vector<Tensor> first;
    if (failed(qc::calibrateBatches(floatFn, numBatches, readCalibBatch,
                                    *calibOpts, &first)))
      return failure();
    floatOut = std::move(first);
  } else if (!opts.calibTable.empty()) {
    // Statistics from an earlier run; the inputs only give the float
    // reference outputs for the accuracy measurement.
    if (failed(qc::applyCalibrationTable(floatFn, opts.calibTable)))
      return failure();
    Executor ref(floatFn);
    ref.setConstantCaching(false);
    floatOut = ref.run(*inputs);
  } else {
    floatOut = qc::calibrate(floatFn, *inputs, *calibOpts);
  }
  if (failed(floatOut))
    return failure();
  if (!opts.calibTableOut.empty())
    if (llvm::Error e = qc::writeCalibrationTable(floatFn, opts.calibTableOut))
      return emitError(unknown) << llvm::toString(std::move(e));
  {
    // The registered qc-quantize-pipeline, minus the calibration and the
    // raising done already.
    QuantizePipelineOptions q = pipelineOptions(opts);
    q.raisePatterns.clear();
    q.biasCorrection = biasCorrection;
    bool mixed = mixedPrecision;
    if (opts.smoothQuant || mixed) {
      // Constant weights as the pipeline sees them (a Gemm's transposed
      // weight folded), so every layer takes part.
      PassManager canon(&ctx);
      canon.addPass(createCanonicalizerPass());
      if (failed(canon.run(*module)))
        return failure();
    }
    if (opts.smoothQuant &&
        (!opts.smoothAlphas.empty() || mixed)) {
      // Smoothing in memory (the alpha search, S5, runs on the calibration
      // inputs), before mixed precision measures the layers it changes;
      // the pipeline then does not smooth again.
      if (failed(progress((opts.smoothAlphas.empty()
                               ? std::string("smoothing (SmoothQuant)")
                               : "searching SmoothQuant alphas " +
                                     opts.smoothAlphas) +
                              firstBatchNote,
                          "SmoothQuant")))
        return failure();
      qc::SmoothQuantOptions so;
      so.alpha = opts.smoothAlpha;
      so.format = opts.format;
      so.asymmetric = opts.asymmetric;
      so.biasCorrection = biasCorrection;
      so.insertScales = opts.smoothInsertScales;
      so.progress = subProgress;
      FailureOr<std::vector<double>> alphas =
          qc::parseAlphaList(unknown, opts.smoothAlphas, "--smooth-alphas");
      if (failed(alphas))
        return failure();
      so.alphas = std::move(*alphas);
      if (failed(qc::smoothQuant(floatFn, so, *inputs)))
        return failure();
      q.smoothQuant = false;
    }
    if (mixed) {
      // qc-assign-precision on the calibration inputs already in memory.
      if (failed(progress(
              "assigning per-layer formats under " +
              (opts.budgetBits > 0
                   ? llvm::formatv("{0} bits per weight", opts.budgetBits)
                         .str()
                   : llvm::formatv("{0} us modelled on {1}",
                                   opts.budgetLatencyUs, opts.latencyTarget)
                         .str()) +
                  firstBatchNote,
              "precision search")))
        return failure();
      qc::PrecisionOptions po;
      po.budgetBits = opts.budgetBits;
      po.budgetLatencyUs = opts.budgetLatencyUs;
      po.target = opts.latencyTarget;
      po.tokens = opts.latencyTokens;
      po.candidates = qc::splitList(opts.precisionCandidates);
      po.biasCorrection = biasCorrection;
      if (failed(qc::assignPrecision(floatFn, *inputs, po)))
        return failure();
    }
    PassManager pm(&ctx);
    buildQuantizePipeline(pm, q);
    if (failed(pm.run(*module)))
      return failure();
  }
  func::FuncOp fn = getEntryFunction(*module);
  SmallVector<qc::QMatMulOp> qmms;
  fn.walk([&](qc::QMatMulOp op) { qmms.push_back(op); });

  // 4. Accuracy of the quantized graph against float on the same inputs
  // (unless the embedder or --no-accuracy skips it).
  if (failed(progress(opts.measureAccuracy
                          ? "measuring accuracy against float on the Executor"
                          : "skipping the accuracy run",
                      "accuracy")))
    return failure();
  Executor qExec(fn);
  qExec.setConstantCaching(false); // one run: nothing to reuse
  ErrorStats err, heldout;
  if (opts.measureAccuracy) {
    auto qOut = qExec.run(*inputs);
    if (failed(qOut))
      return failure();
    for (size_t i = 0; i < floatOut->size(); ++i) {
      err.add((*qOut)[i], (*floatOut)[i]);
      err.addArgmax((*qOut)[i], (*floatOut)[i]);
    }
  }
  // The other batches (files of a calibration directory or slices of the
  // samples), one at a time.
  if (opts.measureAccuracy && numBatches > 1) {
    func::FuncOp refFn = getEntryFunction(*floatCopy);
    Executor ref(refFn);
    for (size_t f = 1; f < numBatches; ++f) {
      auto in = readBatch(refFn, f);
      if (failed(in))
        return failure();
      samples += numSamples(*in);
      auto fo = ref.run(*in);
      auto qo = qExec.run(*in);
      if (failed(fo) || failed(qo))
        return failure();
      for (size_t i = 0; i < fo->size(); ++i) {
        err.add((*qo)[i], (*fo)[i]);
        err.addArgmax((*qo)[i], (*fo)[i]);
      }
    }
  }
  if (!evalInputs.empty()) {
    auto qEval = qExec.run(evalInputs);
    if (failed(qEval))
      return failure();
    for (size_t i = 0; i < evalFloat.size(); ++i) {
      heldout.add((*qEval)[i], evalFloat[i]);
      heldout.addArgmax((*qEval)[i], evalFloat[i]);
    }
  }

  // 5. Kernels: the graph as a GPU program, one gpu.func per distinct
  // kernel and target (Program.h).
  // sm_90a as the only target: fp8-1x128 matmuls run on the wgmma GEMM,
  // their weights laid out [N, K] (qc-kmajor-weights; exact, so the
  // accuracy measured above stands).
  std::optional<KernelTarget> onlyTarget;
  if (targets.size() == 1)
    onlyTarget = targets.front();
  if (onlyTarget == KernelTarget::SM90a)
    qc::kMajorWeights(fn);
  if (!targets.empty())
    copyReturnedValues(fn);
  GpuPlan gpuPlan = planGpuProgram(fn, onlyTarget);
  if (!targets.empty() && !gpuPlan.runnable() && opts.requireGpuProgram)
    return emitError(unknown)
           << "no GPU kernel yet for: " << gpuPlan.describeUnsupported()
           << "; the package could not run on " << opts.targets.front()
           << " (pass --target none for a CPU-only package)";
  // A graph that cannot run whole on a GPU still gets its GEMM kernel (the
  // package then has no program; its report says which ops are missing).
  GpuPlan gemmOnly;
  if (!gpuPlan.runnable())
    gemmOnly = planGemmKernels(fn);
  const GpuPlan &built = gpuPlan.runnable() ? gpuPlan : gemmOnly;
  if (failed(progress(llvm::formatv("generating {0} kernel(s) for {1} target(s)",
                                    built.kernels.size(), targets.size()),
                      "kernels")))
    return failure();
  std::vector<PackageKernelFile> kernelFiles;
  llvm::json::Array kernelsJson, launches;
  std::optional<std::string> ptxas = opts.emitCubin ? findPtxas() : std::nullopt;
  // A ptxas found outside a CUDA toolkit (gpu-module-to-binary needs
  // <toolkit>/bin/ptxas and nvvm/libdevice): PTX only, as without ptxas.
  if (ptxas) {
    std::string why;
    {
      ScopedDiagnosticHandler quiet(unknown.getContext(), [&](Diagnostic &d) {
        why = d.str();
        return success();
      });
      if (failed(ptxasToolkit(unknown, *ptxas)))
        ptxas.reset();
    }
    if (!ptxas)
      emitWarning(unknown) << why << "; the package gets PTX only";
  }
  for (KernelTarget t : targets) {
    OwningOpRef<ModuleOp> kmod = ModuleOp::create(unknown);
    if (failed(buildGpuKernels(built, *kmod, t)))
      return failure();
    PackageKernelFile file;
    file.target = getChip(t).str();
    if (!built.kernels.empty()) {
      FailureOr<KernelObjects> objects =
          emitKernelObjects(*kmod, t, ptxas ? StringRef(*ptxas) : "");
      if (failed(objects))
        return failure();
      file.ptx = std::move(objects->ptx);
      file.cubin = std::move(objects->cubin);
    }
    for (auto &[name, step] : built.kernels) {
      file.kernels.push_back(name);
      const GpuStep &st = built.steps[step];
      kernelsJson.push_back(llvm::json::Object{
          {"name", name},
          {"op", getStepNamingOp(st)->getName().getStringRef()},
          {"launches", (int64_t)llvm::count_if(
                           built.steps,
                           [&](const GpuStep &o) { return o.kernel == name; })},
          {"target", file.target},
          {"file", "kernels/" + file.target + ".ptx"}});
      if (st.kind == GpuStep::Kind::Gemm ||
          st.kind == GpuStep::Kind::HopperGemm)
        kernelsJson.back().getAsObject()->try_emplace(
            "instruction",
            mmaInstructionOf(file.ptx, name, getMMAInstructionName(t)));
    }
    kernelFiles.push_back(std::move(file));
  }

  // Report: every quantized layer (a qc.qmatmul, or a matmul/conv with QDQ
  // operands from qc-quantize-linear), in graph order.
  SmallVector<Operation *> quantized, floatLayers;
  fn.walk([&](Operation *op) {
    if (isa<qc::QMatMulOp>(op) || op->hasAttr("qc.weight_scheme") ||
        op->hasAttr("qc.act_scheme") || op->hasAttr("qc.imported_qdq"))
      quantized.push_back(op);
    else if (isa<qc::MatMulOp, qc::ConvOp>(op))
      floatLayers.push_back(op);
  });
  llvm::json::Array layers;
  int64_t channelScaled = 0; // Q4: depthwise convs with per-channel inputs
  int64_t biasCorrected = 0; // B1: layers whose bias absorbed the rounding
  // The printed table's rows: name, ONNX op, weight shape, format, error.
  std::vector<std::array<std::string, 5>> rows;
  for (auto [i, op] : llvm::enumerate(quantized)) {
    // Weight shape as the model has it: [K, N] for a matmul (a qc.qmatmul
    // holds it [N, K]), [M, C/g, k...] for a conv.
    auto w = cast<RankedTensorType>(
        op->getOperand(isa<qc::QMatMulOp>(op) ? 2 : 1).getType());
    llvm::json::Array shape;
    SmallVector<int64_t> dims(w.getShape());
    if (isa<qc::QMatMulOp>(op))
      std::swap(dims[0], dims[1]);
    std::string shapeText;
    for (auto [j, d] : llvm::enumerate(dims)) {
      shape.push_back(d);
      shapeText +=
          (j ? "x" : "") + (ShapedType::isDynamic(d) ? "?" : std::to_string(d));
    }
    // An activation x activation matmul (attention) has no weight.
    bool hasWeight = isa<qc::QMatMulOp>(op) || op->hasAttr("qc.weight_scheme");
    if (!hasWeight)
      shapeText = "(activations)";
    std::string name = qc::getLayerName(op->getLoc());
    if (name.empty())
      name = "layer_" + std::to_string(i);
    auto errAttr = op->getAttrOfType<FloatAttr>("qc.weight_rel_rms_error");
    double werr = errAttr ? errAttr.getValueAsDouble() : 0.0;
    llvm::json::Object layer{{"name", name},
                             {"op", layerOpType(op->getLoc())},
                             {"format", opts.format}};
    if (hasWeight)
      layer["weight_shape"] = std::move(shape);
    if (hasWeight && !op->hasAttr("qc.imported_qdq"))
      layer["weight_rel_rms_error"] = werr;
    // Static activation scales: the calibration behind them.
    auto range = op->getAttrOfType<qc::StatsAttr>("qc.lhs_range");
    if (!range)
      range = op->getAttrOfType<qc::StatsAttr>("qc.lhs_stats");
    // bf16 rounds activations without a scale: nothing was calibrated.
    auto actScheme = op->getAttrOfType<qc::SchemeAttr>("qc.act_scheme");
    bool scaled = actScheme && !actScheme.getElementType().isBF16();
    // Scales computed at run time; nvfp4's block scales are, under a
    // calibrated tensor scale (so it has both).
    if (auto a = op->getAttrOfType<StringAttr>("qc.assigned_format")) {
      layer["format"] = a.str();
      llvm::json::Object sens;
      if (auto d = op->getAttrOfType<DictionaryAttr>("qc.sensitivity"))
        for (NamedAttribute e : d)
          if (auto f = dyn_cast<FloatAttr>(e.getValue()))
            sens[e.getName().str()] = f.getValueAsDouble();
      layer["sensitivity"] = std::move(sens);
      if (auto t = op->getAttrOfType<FloatAttr>("qc.modelled_latency_us"))
        layer["modelled_latency_us"] = t.getValueAsDouble();
    }
    if (auto o = op->getAttrOfType<DenseI64ArrayAttr>("qc.outlier_channels"))
      layer["outlier_channels"] = llvm::json::Array(o.asArrayRef());
    if (auto m = op->getAttrOfType<StringAttr>("qc.weight_method"))
      layer["weight_method"] = m.str();
    if (op->hasAttr("qc.bias_corrected")) {
      layer["bias_corrected"] = true;
      ++biasCorrected;
    }
    if (auto a = op->getAttrOfType<FloatAttr>("qc.smooth_alpha"))
      layer["smooth_alpha"] = a.getValueAsDouble();
    bool dynamic = op->hasAttr("qc.act_dynamic");
    if (dynamic)
      layer["activation_scales"] = "dynamic";
    else if (scaled && !actScheme.getBlock().empty() && isa<qc::ConvOp>(op) &&
             !op->hasAttr("qc.imported_qdq")) {
      layer["activation_scales"] = "per-channel"; // Q4: a depthwise conv
      ++channelScaled;
    }
    if (scaled && range && !op->hasAttr("qc.imported_qdq") &&
        (!dynamic || op->hasAttr("qc.act_tensor_scale"))) {
      auto method = op->getAttrOfType<StringAttr>("qc.calib_method");
      llvm::json::Object calib{
          {"method", method ? method.str() : "minmax"},
          {"range", llvm::json::Array{range.getMin().getValueAsDouble(),
                                      range.getMax().getValueAsDouble()}}};
      auto rhs = op->getAttrOfType<qc::StatsAttr>("qc.rhs_range");
      if (!rhs)
        rhs = op->getAttrOfType<qc::StatsAttr>("qc.rhs_stats");
      if (!hasWeight && rhs)
        calib["rhs_range"] = llvm::json::Array{rhs.getMin().getValueAsDouble(),
                                               rhs.getMax().getValueAsDouble()};
      layer["calibration"] = std::move(calib);
    }
    bool imported = op->hasAttr("qc.imported_qdq");
    if (imported) {
      // Quantized by the model's own Q/DQ: its schemes, no weight error
      // (there is no float weight to compare with).
      layer["quantized_by"] = "model";
      layer["format"] = "qdq";
      llvm::json::Object schemes;
      for (StringRef a : {"qc.weight_scheme", "qc.act_scheme"})
        if (Attribute s = op->getAttr(a)) {
          std::string text;
          llvm::raw_string_ostream os(text);
          s.print(os);
          schemes[a.drop_front(3)] = text;
        }
      layer["schemes"] = std::move(schemes);
    }
    layers.push_back(std::move(layer));
    std::string opType = layerOpType(op->getLoc());
    if (imported)
      rows.push_back({name, opType, shapeText, "QDQ",
                      "(quantized in the model)"});
    else if (!hasWeight)
      rows.push_back({name, opType, shapeText, opts.format, "-"});
    else {
      auto assigned = op->getAttrOfType<StringAttr>("qc.assigned_format");
      rows.push_back({name, opType, shapeText,
                      assigned ? assigned.getValue().str() : opts.format,
                      llvm::formatv("{0:e2}", werr).str()});
    }
  }
  std::string table = layerTable(rows);
  // Mixed precision: the layers kept in float, and the assignment's
  // budget, prediction and Pareto front.
  std::optional<llvm::json::Object> precisionJson;
  if (auto p = fn->getAttrOfType<DictionaryAttr>("qc.precision")) {
    llvm::json::Object prec;
    llvm::json::Array front;
    for (NamedAttribute e : p) {
      if (auto f = dyn_cast<FloatAttr>(e.getValue()))
        prec[e.getName().str()] = f.getValueAsDouble();
      if (auto i = dyn_cast<IntegerAttr>(e.getValue()))
        prec[e.getName().str()] = i.getInt();
      if (auto s = dyn_cast<StringAttr>(e.getValue()))
        prec[e.getName().str()] = s.getValue().str();
      if (auto arr = dyn_cast<ArrayAttr>(e.getValue()))
        for (Attribute pt : arr) {
          llvm::json::Object o;
          for (NamedAttribute v : cast<DictionaryAttr>(pt))
            o[v.getName().str()] =
                cast<FloatAttr>(v.getValue()).getValueAsDouble();
          front.push_back(std::move(o));
        }
    }
    prec["pareto"] = std::move(front);
    llvm::json::Array kept;
    fn.walk([&](Operation *op) {
      auto a = op->getAttrOfType<StringAttr>("qc.assigned_format");
      if (a && a.getValue() == "f32")
        kept.push_back(qc::getLayerName(op->getLoc()));
    });
    prec["kept_in_float"] = std::move(kept);
    precisionJson = std::move(prec);
    auto num = [&](StringRef key) {
      auto f = p.getAs<FloatAttr>(key);
      return f ? f.getValueAsDouble() : 0.0;
    };
    std::string budget =
        p.get("budget_latency_us")
            ? llvm::formatv("{0} us", num("budget_latency_us")).str()
            : llvm::formatv("{0} bits", num("budget_bits")).str();
    auto target = p.getAs<StringAttr>("latency_target");
    table += llvm::formatv("  mixed precision: {0:f3} bits per weight, "
                           "{1:f2} us modelled on {2} (budget {3}), "
                           "predicted rel. squared error {4:e2}, measured "
                           "{5:e2}\n",
                           num("bits"), num("latency_us"),
                           target ? target.getValue() : StringRef("?"),
                           budget, num("predicted_error"),
                           num("measured_error"))
                 .str();
  }
  // Launch list (format 1's): one GEMM launch per qc.qmatmul with a
  // kernel, named as built (a fused epilogue's kernel included).
  for (auto [i, op] : llvm::enumerate(qmms)) {
    if (targets.empty())
      break;
    SymbolRefAttr kernel = op.getKernelAttr();
    if (!kernel)
      continue;
    auto w = cast<RankedTensorType>(op.getRhs().getType());
    int64_t N = w.getDimSize(0), K = w.getDimSize(1);
    LaunchConfig lc = getMXFP8GemmLaunchConfig(targets.front(), 1, N);
    launches.push_back(llvm::json::Object{
        {"kernel", kernel.getLeafReference().str()},
        {"layer", qc::getLayerName(op.getLoc()).empty()
                      ? "matmul_" + std::to_string(i)
                      : qc::getLayerName(op.getLoc())},
        {"N", N},
        {"K", K},
        {"M", "rows of the activation (product of its leading dims)"},
        {"block", llvm::json::Array{lc.blockX, lc.blockY, lc.blockZ}},
        {"grid", llvm::formatv("[ceil(M/{0}), ceil(N/{1}), 1]",
                               kMXFP8BlockTileM, kMXFP8BlockTileN)
                     .str()},
        {"shared_bytes", lc.sharedBytes}});
  }

  llvm::json::Array targetNames;
  for (KernelTarget t : targets)
    targetNames.push_back(getChip(t).str());
  CompileResult result;
  result.report = llvm::json::Object{
      {"format_version", kPackageFormatVersion},
      {"model", llvm::sys::path::filename(opts.modelPath).str()},
      {"format", opts.format},
      {"targets", std::move(targetNames)},
      {"layers", std::move(layers)},
      {"float_layers", (int64_t)floatLayers.size()},
      {"accuracy", opts.measureAccuracy ? llvm::json::Value(err.toJson(samples))
                                        : llvm::json::Value(nullptr)},
      {"kernels", std::move(kernelsJson)}};
  if (!targets.empty()) {
    llvm::json::Array missing;
    for (auto [name, n] : gpuPlan.unsupported)
      missing.push_back(llvm::json::Object{{"op", name}, {"count", n}});
    result.report["gpu_program"] = llvm::json::Object{
        {"runnable", gpuPlan.runnable()},
        {"launches", (int64_t)gpuPlan.steps.size()},
        {"kernels", (int64_t)gpuPlan.kernels.size()},
        {"unsupported", std::move(missing)}};
  }
  if (precisionJson)
    result.report["precision"] = std::move(*precisionJson);
  if (!evalInputs.empty())
    result.report["heldout_accuracy"] = heldout.toJson(numSamples(evalInputs));

  // 6. Package.
  if (failed(progress("writing package " + opts.outputPath, "package")))
    return failure();
  PackageContents contents;
  contents.modelName = llvm::sys::path::filename(opts.modelPath).str();
  contents.graph = *module;
  contents.kernelFiles = kernelFiles;
  contents.launches = std::move(launches);
  if (!targets.empty() && gpuPlan.runnable()) {
    contents.buildProgram = [onlyTarget](func::FuncOp packaged,
                                         llvm::json::Array &unsupported) {
      return buildGpuProgramJson(packaged, unsupported, onlyTarget);
    };
    contents.requireProgram = opts.requireGpuProgram;
  } else if (!targets.empty()) {
    // The verdict of the compiler's graph stands: the package graph's
    // weights carry no values (a pow's exponent), so it could not decide.
    contents.buildProgram = [&](func::FuncOp, llvm::json::Array &unsupported) {
      for (auto [name, n] : gpuPlan.unsupported)
        unsupported.push_back(llvm::json::Object{{"op", name}, {"count", n}});
      return llvm::json::Value(nullptr);
    };
  }
  contents.report = result.report;
  if (llvm::Error e = writePackage(opts.outputPath, contents))
    return emitError(unknown) << llvm::toString(std::move(e));
  progress.finish(result);

  std::string &s = result.summary;
  llvm::raw_string_ostream os(s);
  os << "quantc report: " << contents.modelName << " -> " << opts.outputPath
     << "\n";
  if (opts.format == "bf16") {
    os << "format bf16 (weights and "
       << (opts.activations == "none" ? "not the activations"
                                      : "activations")
       << " rounded to bf16, no scales; products in f32)\n";
  } else if (opts.format == "nvfp4") {
    os << "format nvfp4 (E2M1 codes; weights: one E4M3 scale per 16 along K "
          "times a tensor scale; activations: "
       << (opts.activations == "none"
               ? "float, weight-only)\n"
               : "E4M3 scales per 16 along K computed at run time, times a "
                 "tensor scale calibrated with " +
                     (opts.calibTable.empty() ? opts.calibMethod
                                              : "the table " +
                                                    opts.calibTable) +
                     ")\n");
  } else if (isStaticScaleFormat(opts.format)) {
    bool blocked = opts.format == "int4-g128";
    bool blocks2D = opts.format == "fp8-1x128";
    bool weightOnly = blocked || opts.activations == "none";
    os << "format " << opts.format << " (weights: one symmetric scale per "
       << (blocked    ? "128 along the reduction axis"
           : blocks2D ? "128x128 block"
                      : "output channel")
       << "; activations: ";
    if (weightOnly)
      os << "float, weight-only)\n";
    else if (blocks2D)
      os << "one symmetric scale per 1x128 block along K, computed at run "
            "time)\n";
    else if (opts.activations == "dynamic")
      os << (opts.asymmetric && opts.format == "int8" ? "asymmetric"
                                                      : "symmetric")
         << " scales computed at run time, one per token for matmuls, one "
            "per image for convs (and channel for depthwise ones))\n";
    else
      os << "one static "
         << (opts.asymmetric && opts.format == "int8" ? "asymmetric"
                                                      : "symmetric")
         << " scale per tensor"
         << (channelScaled
                 ? llvm::formatv(" (per channel for the inputs of {0} "
                                 "depthwise conv(s))",
                                 channelScaled)
                       .str()
                 : "")
         << ", calibrated with "
         << (opts.calibTable.empty() ? opts.calibMethod
                                     : "the table " + opts.calibTable)
         << ")\n";
  } else
    os << "format " << opts.format << " (" << scheme << ")\n";
  os << "quantized layers: " << quantized.size();
  SmallVector<std::string, 2> notes;
  if (biasCorrected)
    notes.push_back(
        llvm::formatv("{0} bias-corrected", biasCorrected).str());
  if (!floatLayers.empty())
    notes.push_back(
        llvm::formatv("{0} left in float", floatLayers.size()).str());
  if (!notes.empty())
    os << " (" << llvm::join(notes, ", ") << ")";
  os << "\n" << table;
  if (opts.measureAccuracy)
    os << llvm::formatv("accuracy vs float on {0} calibration sample(s): "
                        "rel. RMS error {1:e3}, max abs error {2:e3}, cosine "
                        "{3:f6}{4}\n",
                        samples, err.relRms(), err.maxAbs, err.cosine(),
                        err.nonFiniteNote());
  else
    os << "accuracy vs float: not measured (--no-accuracy)\n";
  if (!evalInputs.empty()) {
    os << llvm::formatv("held-out accuracy on {0} sample(s) ({1}): rel. RMS "
                        "error {2:e3}, max abs error {3:e3}, cosine {4:f6}{5}",
                        numSamples(evalInputs),
                        llvm::sys::path::filename(opts.evalPath),
                        heldout.relRms(), heldout.maxAbs, heldout.cosine(),
                        heldout.nonFiniteNote());
    if (heldout.rows)
      os << llvm::formatv(", argmax agreement {0:f1}%",
                          100.0 * heldout.agree / heldout.rows);
    os << "\n";
  }
  os << "kernels:";
  if (kernelFiles.empty())
    os << " none (CPU-only package)";
  os << "\n";
  // The MMA instruction line only where the program has a GEMM (an int8 or
  // fp8 package's matmuls are f32 kernels between Q/DQ chains).
  bool hasGemm = llvm::any_of(gpuPlan.steps, [](const GpuStep &s) {
    return s.kind == GpuStep::Kind::Gemm ||
           s.kind == GpuStep::Kind::HopperGemm;
  });
  for (auto [t, f] : llvm::zip(targets, kernelFiles)) {
    os << llvm::formatv("  {0,-8} {1} kernel(s) in kernels/{0}.ptx{2}\n",
                        f.target, f.kernels.size(),
                        !f.cubin.empty() ? " and .cubin"
                        : opts.emitCubin ? " (no cubin: ptxas not found)"
                                         : " (no cubin: --no-cubin)");
    if (hasGemm) {
      // The MMA instructions the GEMM kernels issue (one per operand types).
      std::set<std::string> insns;
      for (const std::string &k : f.kernels)
        if (StringRef(k).starts_with(kGemmKernelName) ||
            StringRef(k).starts_with(kHopperGemmStepPrefix) ||
            StringRef(k).starts_with(kHopperInt8StepPrefix))
          insns.insert(mmaInstructionOf(f.ptx, k, getMMAInstructionName(t)));
      for (const std::string &i : insns)
        os << "           " << i << "\n";
    }
  }
  if (!targets.empty()) {
    if (gpuPlan.runnable())
      os << llvm::formatv("GPU program: {0} launch(es) of {1} kernel(s) "
                          "(manifest.json, docs/Runtime.md)\n",
                          gpuPlan.steps.size(), gpuPlan.kernels.size());
    else
      os << "GPU program: none, no GPU kernel yet for "
         << gpuPlan.describeUnsupported()
         << " (the package runs on the CPU Executor only)\n";
  }
  return result;
}
