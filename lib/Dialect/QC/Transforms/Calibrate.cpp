//===- Calibrate.cpp - min-max calibration on the Executor ----------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Numerics/Calibration.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>

#include <cmath>
#include <limits>

namespace quantc::qc {
#define GEN_PASS_DEF_QCCALIBRATE
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
namespace nx = quantc::numerics;

namespace {
/// How many parts to scan `n` values in: one per Executor thread, each of
/// at least 64K values (fewer are not worth a hand-off).
int64_t scanParts(int64_t n) {
  return std::max<int64_t>(
      1, std::min<int64_t>(getExecutorThreads(), n / (int64_t(1) << 16)));
}

/// accumulateMinMax over the Executor's threads: the parts' minima and
/// maxima, then theirs (the same values as one scan: min and max do not
/// depend on the order).
void accumulateMinMaxParallel(const float *x, int64_t n, float &lo,
                              float &hi) {
  int64_t parts = scanParts(n);
  if (parts == 1)
    return nx::accumulateMinMax(x, n, lo, hi);
  SmallVector<float, 8> l(parts, lo), h(parts, hi);
  int64_t per = (n + parts - 1) / parts;
  parallelForEach(parts, [&](int64_t p) {
    int64_t b = p * per;
    nx::accumulateMinMax(x + b, std::max<int64_t>(0, std::min(per, n - b)),
                         l[p], h[p]);
  });
  for (int64_t p = 0; p < parts; ++p) {
    lo = l[p] < lo ? l[p] : lo;
    hi = hi < h[p] ? h[p] : hi;
  }
}

/// AbsHistogram::add over the Executor's threads: one histogram per part,
/// merged (integer counts: the same as one scan).
void addToHistogram(nx::AbsHistogram &hist, const float *x, int64_t n) {
  int64_t parts = scanParts(n);
  if (parts == 1)
    return hist.add(x, n);
  std::vector<nx::AbsHistogram> part(
      parts, nx::AbsHistogram(hist.getMaxAbs(), hist.getNumBins()));
  int64_t per = (n + parts - 1) / parts;
  parallelForEach(parts, [&](int64_t p) {
    int64_t b = p * per;
    part[p].add(x + b, std::max<int64_t>(0, std::min(per, n - b)));
  });
  for (const nx::AbsHistogram &h : part)
    hist.merge(h);
}

/// fn(c0, c1) over disjoint ranges of `channels` on the Executor's threads
/// (one part per thread for tensors of `n` values): per-channel scans whose
/// channels each keep their own state.
template <typename F>
void forChannelRanges(int64_t n, int64_t channels, F fn) {
  int64_t parts = std::min<int64_t>(scanParts(n), channels);
  parallelForEach(parts, [&](int64_t p) {
    fn(channels * p / parts, channels * (p + 1) / parts);
  });
}

/// Values per channel plane of an NCHW tensor: the product of its dims
/// past axis 1.
int64_t planeSize(const Tensor &x) {
  int64_t inner = 1;
  for (size_t d = 2; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  return inner;
}

struct Range {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  void add(const Tensor &t) {
    accumulateMinMaxParallel(t.f.data(), t.f.size(), min, max);
  }
  StatsAttr toAttr(MLIRContext *ctx) const {
    Builder b(ctx);
    float lo = min, hi = max;
    if (lo > hi)
      lo = hi = 0.0f; // nothing observed (empty tensors)
    return StatsAttr::get(ctx, b.getF32FloatAttr(lo), b.getF32FloatAttr(hi),
                          b.getF32FloatAttr(std::max(std::fabs(lo), std::fabs(hi))));
  }
};

struct CalibratePass : public qc::impl::QCCalibrateBase<CalibratePass> {
  using QCCalibrateBase::QCCalibrateBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = getEntryFunction(module);
    if (!fn)
      return signalPassFailure();
    if (!table.empty()) {
      if (failed(applyCalibrationTable(fn, table)))
        return signalPassFailure();
      return writeTable(fn);
    }
    if (batch < 0) {
      module.emitError() << "qc-calibrate: batch=" << int64_t(batch)
                         << " must be >= 0 (0: all samples in one run)";
      return signalPassFailure();
    }
    std::string path = inputs;
    if (!path.empty() && llvm::sys::fs::is_directory(path)) {
      if (batch > 0) {
        module.emitError() << "qc-calibrate: batch=" << int64_t(batch)
                           << " splits one .npz or random samples; the "
                              "files of directory '"
                           << path << "' are its batches";
        return signalPassFailure();
      }
      return calibrateDirectory(fn, path);
    }
    Executor exec(fn);
    FailureOr<std::vector<Tensor>> data;
    if (!path.empty()) {
      auto arrays = npz::readNpz(path);
      if (!arrays) {
        module.emitError() << "qc-calibrate: " << llvm::toString(arrays.takeError());
        return signalPassFailure();
      }
      data = exec.bindInputs(*arrays, path);
    } else if (randomSamples > 0) {
      data = exec.randomInputs(randomSamples, seed);
    } else {
      module.emitError("qc-calibrate needs calibration data: give inputs=<file.npz> "
                       "or random-samples=<N>");
      return signalPassFailure();
    }
    if (failed(data))
      return signalPassFailure();

    FailureOr<CalibrationOptions> opts =
        parseCalibrationOptions(module.getLoc(), method, percentile, format);
    if (succeeded(opts)) {
      opts->source = path;
      opts->perChannel = perChannel;
      opts->hessian = hessian;
      opts->channelMeans = channelMeans;
    }
    if (failed(opts))
      return signalPassFailure();
    FailureOr<size_t> batches = countCalibrationBatches(fn, *data, batch);
    if (failed(batches))
      return signalPassFailure();
    if (*batches == 1) {
      if (failed(calibrate(fn, *data, *opts)))
        return signalPassFailure();
      return writeTable(fn);
    }
    std::vector<Tensor> holder;
    auto read = [&](size_t i) -> FailureOr<CalibrationBatch> {
      holder = sliceSamples(*data, int64_t(i) * batch, int64_t(i + 1) * batch);
      return CalibrationBatch{holder, path};
    };
    if (failed(calibrateBatches(fn, *batches, read, *opts, nullptr)))
      return signalPassFailure();
    writeTable(fn);
  }

  /// A directory of .npz/.npy files, read one at a time.
  void calibrateDirectory(func::FuncOp fn, StringRef dir) {
    FailureOr<std::vector<std::string>> files =
        listCalibrationFiles(fn.getLoc(), dir);
    FailureOr<CalibrationOptions> opts = parseCalibrationOptions(
        getOperation().getLoc(), method, percentile, format);
    if (failed(files) || failed(opts))
      return signalPassFailure();
    opts->perChannel = perChannel;
    opts->hessian = hessian;
    opts->channelMeans = channelMeans;
    std::vector<Tensor> holder;
    auto read = [&](size_t i) -> FailureOr<CalibrationBatch> {
      FailureOr<std::vector<Tensor>> t = readModelInputs(fn, (*files)[i]);
      if (failed(t))
        return failure();
      holder = std::move(*t);
      return CalibrationBatch{holder, (*files)[i]};
    };
    if (failed(calibrateBatches(fn, files->size(), read, *opts, nullptr)))
      return signalPassFailure();
    writeTable(fn);
  }

  void writeTable(func::FuncOp fn) {
    if (tableOut.empty())
      return;
    if (llvm::Error e = writeCalibrationTable(fn, tableOut)) {
      fn.emitError() << llvm::toString(std::move(e));
      signalPassFailure();
    }
  }
};
} // namespace

FailureOr<CalibrationOptions>
quantc::qc::parseCalibrationOptions(Location loc, StringRef method,
                                    double percentile, StringRef format) {
  CalibrationOptions o;
  auto m = nx::parseCalibMethod(method);
  if (!m)
    return emitError(loc) << "unknown calibration method '" << method
                          << "'; known: minmax, percentile, entropy, mse";
  o.method = *m;
  if (!(percentile > 0 && percentile <= 100))
    return emitError(loc) << "percentile must be in (0, 100], got "
                          << percentile;
  o.percentile = percentile;
  // A preset names the format by its element type ("int8" -> i8).
  std::string elem = format.str();
  if (SchemeAttr s = SchemeAttr::getPreset(loc.getContext(), format)) {
    elem.clear();
    llvm::raw_string_ostream os(elem);
    s.getElementType().print(os);
  }
  auto f = nx::parseElemFormat(elem);
  if (!f || *f == nx::ElemFormat::F32 || *f == nx::ElemFormat::E8M0FNU) {
    auto diag = emitError(loc)
                << "unknown format '" << format << "'; known formats:";
    for (StringRef n : SchemeAttr::getPresetNames())
      diag << " " << n;
    return failure();
  }
  o.format = *f;
  return o;
}

/// The activation operands calibration observes, by operand index: a
/// matmul's or conv's operand 0, and a matmul's operand 1 when it is not a
/// constant (an activation x activation product, as attention's Q.K^T).
/// A constant, possibly through layout ops (the importer's qc.transpose of
/// a Gemm's transB weight is folded only later, by canonicalize).
static bool isConstantLike(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (matchPattern(v, m_Constant()))
      return true;
    if (!isa<TransposeOp, ReshapeOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return false;
}

static SmallVector<unsigned, 2> observedOperands(Operation *op) {
  if (isa<ConvOp>(op))
    return {0};
  if (!isa<MatMulOp>(op))
    return {};
  if (isConstantLike(op->getOperand(1)))
    return {0};
  return {0, 1};
}

/// Attribute names per observed operand: lhs (0) and rhs (1).
static StringRef statsName(unsigned i) {
  return i == 0 ? "qc.lhs_stats" : "qc.rhs_stats";
}
static StringRef rangeName(unsigned i) {
  return i == 0 ? "qc.lhs_range" : "qc.rhs_range";
}

/// Calibration data must be finite: a NaN or Inf would poison every range
/// downstream (and min-max would silently skip NaN).
static LogicalResult checkFinite(func::FuncOp fn, ArrayRef<Tensor> inputs,
                                 ArrayRef<std::string> inputNames,
                                 StringRef source) {
  for (auto [i, t] : llvm::enumerate(inputs)) {
    if (t.kind != Tensor::Kind::Float)
      continue;
    for (size_t j = 0; j < t.f.size(); ++j)
      if (!std::isfinite(t.f[j]))
        return fn.emitError()
               << (source.empty() ? "" : source.str() + ": ")
               << "calibration input '"
               << (i < inputNames.size() ? inputNames[i] : "?") << "' has "
               << (std::isnan(t.f[j]) ? "a NaN" : "an Inf") << " at element "
               << j << "; calibration data must be finite";
  }
  return success();
}

FailureOr<std::vector<Tensor>>
quantc::qc::calibrate(func::FuncOp fn, ArrayRef<Tensor> inputs,
                      const CalibrationOptions &opts) {
  std::vector<Tensor> outputs;
  if (failed(calibrateBatches(
          fn, 1,
          [&](size_t) -> FailureOr<CalibrationBatch> {
            return CalibrationBatch{inputs, opts.source};
          },
          opts, &outputs)))
    return failure();
  return outputs;
}

LogicalResult quantc::qc::calibrateBatches(
    func::FuncOp fn, size_t numBatches,
    llvm::function_ref<FailureOr<CalibrationBatch>(size_t)> readBatch,
    const CalibrationOptions &opts, std::vector<Tensor> *firstOutputs) {
  struct Observed {
    SmallVector<unsigned, 2> operands;
    Range ranges[2], result;
    std::unique_ptr<nx::AbsHistogram> hists[2];
    // Per input channel of operand 0: its last axis for a matmul (with
    // perChannel), axis 1 for a depthwise conv (always).
    std::vector<float> chMin, chMax;
    // sum x x^T over operand 0's rows and their count, with hessian.
    std::vector<double> hess;
    int64_t hessK = 0;
    // Per input channel of operand 0: sums and how many values each, with
    // channelMeans (axis 1 of a conv's NCHW input, a matmul's last axis).
    std::vector<double> chSum;
    int64_t chCount = 0;
    // A matmul whose input's last axis has a dynamic extent (x.view(N, -1)
    // before a classifier): its channel sums take the run-time extent.
    bool lazyChannelSums = false;
    int64_t rows = 0;
  };
  llvm::DenseMap<Operation *, Observed> seen;
  fn.walk([&](Operation *op) {
    SmallVector<unsigned, 2> ops = observedOperands(op);
    if (ops.empty())
      return;
    seen[op].operands = ops;
    op->removeAttr("qc.lhs_channel_min");
    op->removeAttr("qc.lhs_channel_max");
    op->removeAttr("qc.lhs_hessian");
    op->removeAttr("qc.lhs_channel_mean");
    auto x = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    if (opts.channelMeans && x && ops.size() == 1) {
      int64_t axis = isa<ConvOp>(op) ? 1 : x.getRank() - 1;
      if (x.getRank() > axis && axis >= 0 && !x.isDynamicDim(axis))
        seen[op].chSum.assign(x.getDimSize(axis), 0.0);
      else if (isa<MatMulOp>(op) && x.getRank() > 0)
        seen[op].lazyChannelSums = true;
    }
    if (isa<MatMulOp>(op) && ops.size() == 1 && x && x.getRank() > 0 &&
        !x.isDynamicDim(x.getRank() - 1)) {
      int64_t k = x.getShape().back();
      if (opts.perChannel) {
        seen[op].chMin.assign(k, std::numeric_limits<float>::infinity());
        seen[op].chMax.assign(k, -std::numeric_limits<float>::infinity());
      }
      // K x K f64 per matmul: past kMaxHessianK (512 MiB each) the layer
      // is left to round to nearest rather than risk running out of memory.
      constexpr int64_t kMaxHessianK = 8192;
      if (opts.hessian && k > kMaxHessianK)
        op->emitRemark() << "no Hessian recorded (GPTQ will round this "
                            "layer to nearest): its input has "
                         << k << " channels, more than " << kMaxHessianK;
      else if (opts.hessian) {
        seen[op].hess.assign(k * k, 0.0);
        seen[op].hessK = k;
      }
    }
    // A depthwise conv's input scales may be per channel (qc-quantize-linear
    // {depthwise-channel-scales}): its channel ranges, always.
    if (auto conv = dyn_cast<ConvOp>(op); conv && conv.isDepthwise()) {
      int64_t c = cast<RankedTensorType>(conv.getInput().getType())
                      .getDimSize(1);
      seen[op].chMin.assign(c, std::numeric_limits<float>::infinity());
      seen[op].chMax.assign(c, -std::numeric_limits<float>::infinity());
    }
    // What an earlier calibration chose no longer holds.
    for (StringRef a :
         {"qc.lhs_range", "qc.rhs_range", "qc.calib_method", "qc.rhs_stats"})
      op->removeAttr(a);
  });
  std::vector<std::string> inputNames = Executor(fn).getInputNames();
  // One pass over the batches with an observer; progress per batch.
  int64_t samplesSeen = 0;
  auto start = std::chrono::steady_clock::now();
  auto pass = [&](StringRef what, Executor::Observer observer,
                  std::vector<Tensor> *outputs) -> LogicalResult {
    Executor exec(fn);
    // Only the observed ops keep their operands intact: the others may
    // take a dead operand's buffer, as in a plain run.
    exec.setObserver(std::move(observer),
                     [&](Operation *op) { return seen.count(op) != 0; });
    for (size_t b = 0; b < numBatches; ++b) {
      FailureOr<CalibrationBatch> batch = readBatch(b);
      if (failed(batch) ||
          failed(checkFinite(fn, batch->inputs, inputNames, batch->source)))
        return failure();
      FailureOr<std::vector<Tensor>> out = exec.run(batch->inputs);
      if (failed(out))
        return failure();
      if (outputs && b == 0)
        *outputs = std::move(*out);
      int64_t n = batch->inputs.empty() || batch->inputs[0].shape.empty()
                      ? 1
                      : batch->inputs[0].shape[0];
      samplesSeen += n;
      if (opts.progress && numBatches > 1) {
        double secs = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
        opts.progress(llvm::formatv("{0}: batch {1}/{2} ({3}), {4} samples, "
                                    "{5:f1} samples/s",
                                    what, b + 1, numBatches, batch->source,
                                    samplesSeen,
                                    secs > 0 ? samplesSeen / secs : 0.0)
                          .str());
      }
    }
    return success();
  };

  // Run 2 below streams |x| into histograms over [0, max |x|], which needs
  // the final max |x| of run 1. With one batch, that max is known as soon as
  // run 1 has observed the tensor, so its histogram is taken right there and
  // the second float run is skipped: the same bins, counts and clip. (An op
  // observed twice in one run, which no qc op is today, sends it back to two
  // runs.)
  auto absmax = [](const Range &r) {
    return r.min > r.max ? 0.0f : std::max(std::fabs(r.min), std::fabs(r.max));
  };
  bool histInFirstRun =
      opts.method != nx::CalibMethod::MinMax && numBatches == 1;
  bool revisited = false;

  // C1, run 1: min-max of every observed activation and of the results.
  if (failed(pass(
          "min-max",
          [&](Operation *op, ArrayRef<const Tensor *> operands,
              ArrayRef<const Tensor *> results) {
            auto it = seen.find(op);
            if (it == seen.end())
              return;
            Observed &o = it->second;
            for (unsigned i : o.operands)
              o.ranges[i].add(*operands[i]);
            o.result.add(*results[0]);
            if (histInFirstRun)
              for (unsigned i : o.operands) {
                if (o.hists[i]) {
                  revisited = true;
                  continue;
                }
                o.hists[i] =
                    std::make_unique<nx::AbsHistogram>(absmax(o.ranges[i]));
                addToHistogram(*o.hists[i], operands[i]->f.data(),
                               (int64_t)operands[i]->f.size());
              }
            if (!o.hess.empty()) {
              // Lower triangle of sum x x^T; mirrored when attached.
              const std::vector<float> &v = operands[0]->f;
              size_t k = size_t(o.hessK);
              for (size_t r = 0; r + k <= v.size(); r += k, ++o.rows) {
                const float *xr = v.data() + r;
                for (size_t i = 0; i < k; ++i) {
                  double xi = xr[i];
                  double *hi = o.hess.data() + i * k;
                  for (size_t j = 0; j <= i; ++j)
                    hi[j] += xi * xr[j];
                }
              }
            }
            if (o.lazyChannelSums && o.chSum.empty() &&
                !operands[0]->shape.empty() && operands[0]->shape.back() > 0)
              o.chSum.assign(operands[0]->shape.back(), 0.0);
            if (!o.chSum.empty() &&
                (!o.lazyChannelSums ||
                 operands[0]->shape.back() == int64_t(o.chSum.size()))) {
              const std::vector<float> &v = operands[0]->f;
              int64_t c = int64_t(o.chSum.size());
              bool conv = isa<ConvOp>(op);
              int64_t inner = planeSize(*operands[0]);
              forChannelRanges(v.size(), c, [&](int64_t c0, int64_t c1) {
                if (conv)
                  nx::accumulatePlaneSums(v.data(), v.size(), c, inner,
                                          o.chSum.data(), c0, c1);
                else
                  nx::accumulateChannelSums(v.data(), v.size(), c,
                                            o.chSum.data(), c0, c1);
              });
              o.chCount += int64_t(v.size()) / c;
            }
            if (!o.chMin.empty()) {
              const std::vector<float> &v = operands[0]->f;
              if (isa<ConvOp>(op)) { // depthwise: axis 1
                int64_t c = int64_t(o.chMin.size());
                int64_t inner = planeSize(*operands[0]);
                forChannelRanges(v.size(), c, [&](int64_t c0, int64_t c1) {
                  nx::accumulatePlaneMinMax(v.data(), v.size(), c, inner,
                                            o.chMin.data(), o.chMax.data(),
                                            c0, c1);
                });
              } else {
                nx::accumulateChannelMinMax(v.data(), v.size(),
                                            o.chMin.size(), o.chMin.data(),
                                            o.chMax.data());
              }
            }
          },
          firstOutputs)))
    return failure();
  MLIRContext *ctx = fn.getContext();
  for (auto &[op, o] : seen) {
    for (unsigned i : o.operands)
      op->setAttr(statsName(i), o.ranges[i].toAttr(ctx));
    op->setAttr("qc.result_stats", o.result.toAttr(ctx));
    if (!o.chMin.empty()) {
      for (size_t j = 0; j < o.chMin.size(); ++j)
        if (o.chMin[j] > o.chMax[j])
          o.chMin[j] = o.chMax[j] = 0.0f; // nothing observed
      Builder b(ctx);
      op->setAttr("qc.lhs_channel_min", b.getDenseF32ArrayAttr(o.chMin));
      op->setAttr("qc.lhs_channel_max", b.getDenseF32ArrayAttr(o.chMax));
    }
    if (!o.chSum.empty()) {
      std::vector<float> mean(o.chSum.size(), 0.0f);
      if (o.chCount > 0)
        for (size_t j = 0; j < mean.size(); ++j)
          mean[j] = float(o.chSum[j] / double(o.chCount));
      op->setAttr("qc.lhs_channel_mean",
                  Builder(ctx).getDenseF32ArrayAttr(mean));
    }
    if (!o.hess.empty()) {
      // H = 2/m sum x x^T (F32), stored as a blob: K x K values are too many
      // for the IR text.
      int64_t k = o.hessK;
      std::vector<float> h(k * k);
      double c = o.rows ? 2.0 / double(o.rows) : 0.0;
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j <= i; ++j)
          h[i * k + j] = h[j * k + i] = float(o.hess[i * k + j] * c);
      auto type = RankedTensorType::get({k, k}, Float32Type::get(ctx));
      op->setAttr("qc.lhs_hessian",
                  DenseF32ResourceElementsAttr::get(
                      type, "qc_hessian",
                      HeapAsmResourceBlob::allocateAndCopyInferAlign(
                          ArrayRef<float>(h))));
    }
  }
  if (opts.method == nx::CalibMethod::MinMax)
    return success();

  // Run 2: |x| streamed into histograms over [0, max |x|] (C1), then the
  // method's clip (C2-C5).
  if (!histInFirstRun || revisited) {
    for (auto &[op, o] : seen)
      for (unsigned i : o.operands)
        o.hists[i] = std::make_unique<nx::AbsHistogram>(absmax(o.ranges[i]));
    samplesSeen = 0;
    if (failed(pass(
            "histograms",
            [&](Operation *op, ArrayRef<const Tensor *> operands,
                ArrayRef<const Tensor *>) {
              auto it = seen.find(op);
              if (it == seen.end())
                return;
              for (unsigned i : it->second.operands)
                addToHistogram(*it->second.hists[i], operands[i]->f.data(),
                               (int64_t)operands[i]->f.size());
            },
            nullptr)))
      return failure();
  }
  // An op the run did not reach has an empty histogram, as in run 2.
  for (auto &[op, o] : seen)
    for (unsigned i : o.operands)
      if (!o.hists[i])
        o.hists[i] = std::make_unique<nx::AbsHistogram>(absmax(o.ranges[i]));
  Builder b(ctx);
  for (auto &[op, o] : seen) {
    for (unsigned i : o.operands) {
      const Range &r = o.ranges[i];
      float t = nx::chooseClip(*o.hists[i], opts.method, opts.format,
                               opts.percentile);
      Range clipped;
      clipped.min = r.min > r.max ? 0.0f : std::max(r.min, -t);
      clipped.max = r.min > r.max ? 0.0f : std::min(r.max, t);
      op->setAttr(rangeName(i), clipped.toAttr(ctx));
    }
    op->setAttr("qc.calib_method",
                b.getStringAttr(nx::calibMethodName(opts.method)));
  }
  return success();
}

void quantc::qc::transformHessian(
    Operation *op, function_ref<float(int64_t, int64_t, float)> f) {
  auto h = op->getAttrOfType<DenseF32ResourceElementsAttr>("qc.lhs_hessian");
  if (!h)
    return;
  std::optional<ArrayRef<float>> v = h.tryGetAsArrayRef();
  ArrayRef<int64_t> shape = h.getType().getShape();
  if (!v || shape.size() != 2 || shape[0] != shape[1] ||
      int64_t(v->size()) != shape[0] * shape[1]) {
    op->removeAttr("qc.lhs_hessian");
    return;
  }
  int64_t k = shape[0];
  std::vector<float> out(v->begin(), v->end());
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      out[i * k + j] = f(i, j, out[i * k + j]);
  op->setAttr("qc.lhs_hessian",
              DenseF32ResourceElementsAttr::get(
                  h.getType(), "qc_hessian",
                  HeapAsmResourceBlob::allocateAndCopyInferAlign(
                      ArrayRef<float>(out))));
}

FailureOr<size_t> quantc::qc::countCalibrationBatches(func::FuncOp fn,
                                                      ArrayRef<Tensor> inputs,
                                                      int64_t batch) {
  if (batch <= 0 || inputs.empty())
    return size_t(1);
  std::vector<std::string> names = Executor(fn).getInputNames();
  auto name = [&](size_t i) {
    return i < names.size() ? names[i] : std::string("?");
  };
  int64_t samples = -1;
  for (auto [i, t] : llvm::enumerate(inputs)) {
    auto type = dyn_cast<RankedTensorType>(fn.getArgumentTypes()[i]);
    if (t.shape.empty() || !type || type.getRank() == 0)
      return fn.emitError() << "calibration batches of " << batch
                            << " samples split the inputs' leading axis, but "
                               "input '"
                            << name(i) << "' is a scalar";
    if (!type.isDynamicDim(0))
      return fn.emitError()
             << "calibration batches of " << batch
             << " samples need a dynamic leading (batch) dimension on every "
                "model input; input '"
             << name(i) << "' has a static " << type.getDimSize(0);
    int64_t rows = t.shape[0];
    if (rows && (t.f.size() % rows || t.i.size() % rows ||
                 t.bytes.size() % rows))
      return fn.emitError() << "calibration input '" << name(i)
                            << "' cannot be split into samples (packed "
                               "elements straddle its rows)";
    if (samples >= 0 && t.shape[0] != samples)
      return fn.emitError() << "calibration batches of " << batch
                            << " samples need the same number of samples in "
                               "every input; input '"
                            << name(i) << "' has " << t.shape[0] << ", '"
                            << name(0) << "' " << samples;
    samples = t.shape[0];
  }
  return size_t(std::max<int64_t>(1, (samples + batch - 1) / batch));
}

std::vector<Tensor> quantc::qc::sliceSamples(ArrayRef<Tensor> inputs,
                                             int64_t begin, int64_t end) {
  std::vector<Tensor> out;
  for (const Tensor &t : inputs) {
    Tensor s;
    s.kind = t.kind;
    s.elementType = t.elementType;
    s.shape = t.shape;
    int64_t rows = t.shape.empty() ? 1 : t.shape[0];
    int64_t b = std::clamp<int64_t>(begin, 0, rows),
            e = std::clamp<int64_t>(end, b, rows);
    if (!s.shape.empty())
      s.shape[0] = e - b;
    // Each kind's storage holds rows of equal size.
    auto slice = [&](const auto &from, auto &to) {
      size_t row = rows ? from.size() / rows : 0;
      to.assign(from.begin() + b * row, from.begin() + e * row);
    };
    slice(t.f, s.f);
    slice(t.i, s.i);
    slice(t.bytes, s.bytes);
    out.push_back(std::move(s));
  }
  return out;
}

FailureOr<std::vector<std::string>>
quantc::qc::listCalibrationFiles(Location loc, StringRef dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef p = it->path();
    if (p.ends_with(".npz") || p.ends_with(".npy"))
      files.push_back(p.str());
  }
  if (ec)
    return emitError(loc) << "cannot read calibration directory '" << dir
                          << "': " << ec.message();
  if (files.empty())
    return emitError(loc) << "calibration directory '" << dir
                          << "' has no .npz or .npy files";
  llvm::sort(files);
  return files;
}

FailureOr<std::vector<Tensor>> quantc::qc::readModelInputs(func::FuncOp fn,
                                                               StringRef path) {
  Executor exec(fn);
  std::vector<npz::Array> arrays;
  if (path.ends_with(".npy")) {
    // One array: the input of a one-input model.
    std::vector<std::string> names = exec.getInputNames();
    if (names.size() != 1)
      return fn.emitError() << path << ": a .npy file holds one array, but "
                            << "the model has " << names.size()
                            << " inputs; use .npz files keyed by input name";
    auto a = npz::readNpy(path);
    if (!a)
      return fn.emitError() << llvm::toString(a.takeError());
    a->name = names[0];
    arrays.push_back(std::move(*a));
  } else {
    auto a = npz::readNpz(path);
    if (!a)
      return fn.emitError() << llvm::toString(a.takeError());
    arrays = std::move(*a);
  }
  return exec.bindInputs(arrays, path);
}
