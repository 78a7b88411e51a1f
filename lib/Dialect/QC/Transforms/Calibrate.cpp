//===- Calibrate.cpp - min-max calibration on the Executor ----------------===//
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Support/Npz.h"

#include "llvm/ADT/DenseMap.h"

#include <cmath>
#include <limits>

namespace quantc::qc {
#define GEN_PASS_DEF_QCCALIBRATE
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
struct Range {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  void add(const Tensor &t) {
    for (float v : t.f)
      if (!std::isnan(v)) {
        min = std::min(min, v);
        max = std::max(max, v);
      }
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
    Executor exec(fn);
    FailureOr<std::vector<Tensor>> data;
    std::string path = inputs;
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

    if (failed(calibrate(fn, *data)))
      return signalPassFailure();
  }
};
} // namespace

FailureOr<std::vector<Tensor>>
quantc::qc::calibrate(func::FuncOp fn, ArrayRef<Tensor> inputs) {
  Executor exec(fn);
  llvm::DenseMap<Operation *, std::pair<Range, Range>> ranges;
  exec.setObserver([&](Operation *op, ArrayRef<const Tensor *> operands,
                       ArrayRef<const Tensor *> results) {
    if (!isa<MatMulOp>(op))
      return;
    auto &r = ranges[op];
    r.first.add(*operands[0]);
    r.second.add(*results[0]);
  });
  FailureOr<std::vector<Tensor>> outputs = exec.run(inputs);
  if (failed(outputs))
    return failure();
  MLIRContext *ctx = fn.getContext();
  for (auto &[op, r] : ranges) {
    op->setAttr("qc.lhs_stats", r.first.toAttr(ctx));
    op->setAttr("qc.result_stats", r.second.toAttr(ctx));
  }
  return outputs;
}
