//===- AssignPrecision.cpp - per-layer formats under a bit budget ---------===//
//
// Rules M1-M4 of docs/Calibration.md: each layer's sensitivity to each
// candidate format is measured on the Executor (only that layer quantized,
// the output's error against float), the total is modelled as the sum of
// the layers' errors, and the assignment with the least modelled error
// whose average weight bits fit the budget is found by dynamic programming
// over the (multiple-choice knapsack) cost.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Numerics/Precision.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

namespace quantc::qc {
#define GEN_PASS_DEF_QCASSIGNPRECISION
#include "quantc/Dialect/QC/Transforms/Passes.h.inc"
} // namespace quantc::qc

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;
namespace nx = quantc::numerics;

namespace {
/// A layer's constant weight: reduction size k, output channels n and the
/// kernel positions its reduction spans (1 for a matmul).
struct WeightDims {
  int64_t k, n, spatial;
};

/// Nothing if the layer has no non-empty constant weight.
std::optional<WeightDims> weightDims(Operation *op) {
  auto w = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  if (!w || !w.hasStaticShape() || w.getNumElements() == 0 ||
      !matchPattern(op->getOperand(1), m_Constant()))
    return std::nullopt;
  if (isa<MatMulOp>(op) && w.getRank() == 2)
    return WeightDims{w.getDimSize(0), w.getDimSize(1), 1};
  if (isa<ConvOp>(op) && w.getRank() >= 2)
    return WeightDims{w.getNumElements() / w.getDimSize(0), w.getDimSize(0),
                      w.getNumElements() / w.getDimSize(0) / w.getDimSize(1)};
  return std::nullopt;
}

SmallVector<Operation *> layersOf(func::FuncOp fn) {
  SmallVector<Operation *> layers;
  fn.walk([&](Operation *op) {
    if (isa<MatMulOp, ConvOp>(op) && weightDims(op))
      layers.push_back(op);
  });
  return layers;
}

} // namespace

std::vector<std::string> quantc::qc::splitList(StringRef text) {
  std::vector<std::string> items;
  for (StringRef item : llvm::split(text, ','))
    if (!item.trim().empty())
      items.push_back(item.trim().str());
  return items;
}

double quantc::qc::relativeSquaredError(ArrayRef<Tensor> got,
                                        ArrayRef<Tensor> ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size() && i < got.size(); ++i)
    for (size_t j = 0; j < ref[i].f.size() && j < got[i].f.size(); ++j) {
      double d = double(got[i].f[j]) - ref[i].f[j];
      num += d * d;
      den += double(ref[i].f[j]) * ref[i].f[j];
    }
  return den > 0 ? num / den : num;
}

FailureOr<double> quantc::qc::measureEdited(
    func::FuncOp fn, ArrayRef<Tensor> inputs, ArrayRef<Tensor> ref,
    function_ref<LogicalResult(func::FuncOp)> edit) {
  auto module = fn->getParentOfType<ModuleOp>();
  OwningOpRef<ModuleOp> copy = module.clone();
  auto copyFn = copy->lookupSymbol<func::FuncOp>(fn.getSymName());
  {
    // A trial's remarks (a layer left in float, a bias not corrected) are
    // the final quantization's to make, once: dropped here.
    ScopedDiagnosticHandler quiet(fn.getContext(), [](Diagnostic &d) {
      return success(d.getSeverity() == DiagnosticSeverity::Remark);
    });
    if (failed(edit(copyFn)))
      return std::numeric_limits<double>::infinity();
  }
  Executor exec(copyFn);
  exec.setConstantCaching(false);
  FailureOr<std::vector<Tensor>> out = exec.run(inputs);
  if (failed(out))
    return failure();
  return relativeSquaredError(*out, ref);
}

namespace {
/// The error with layer i quantized to formats[i] ("f32": left alone),
/// weight-only as qc-quantize-linear will; infinity if a layer cannot be.
FailureOr<double> measure(func::FuncOp fn, ArrayRef<std::string> formats,
                          ArrayRef<Tensor> inputs, ArrayRef<Tensor> ref,
                          bool biasCorrection) {
  return measureEdited(fn, inputs, ref, [&](func::FuncOp copy) {
    for (auto [op, f] : llvm::zip(layersOf(copy), formats))
      if (f != "f32" &&
          failed(quantizeLinearOp(op, f, /*asymmetric=*/true,
                                  f == "int4-g128" ? "" : "none",
                                  biasCorrection)))
        return failure();
    return success();
  });
}

/// Rows of the GEMM a layer runs per call in the latency model (M5): the
/// matmul's `tokens`; a conv's output pixels (dynamic dims as 1) times
/// `tokens`.
int64_t modelRows(Operation *op, int64_t tokens) {
  if (!isa<ConvOp>(op))
    return tokens;
  auto t = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t m = tokens;
  for (int64_t d = 2; d < t.getRank(); ++d)
    m *= t.isDynamicDim(d) ? 1 : t.getDimSize(d);
  return std::max<int64_t>(m, 1); // an empty output still launches
}

/// The options' checks, before any work.
LogicalResult checkOptions(func::FuncOp fn, const PrecisionOptions &o) {
  if (o.candidates.empty() || o.candidates.size() > 100)
    return fn.emitError("qc-assign-precision: give 1 to 100 candidate "
                        "formats");
  for (auto [i, c] : llvm::enumerate(o.candidates)) {
    if (!nx::weightBitsPerElement(c, 128, 128))
      return fn.emitError() << "qc-assign-precision: unknown candidate '" << c
                            << "'; known: int4-g128, nvfp4, int8, fp8, "
                               "fp8-1x128, mxfp8, mxfp6, mxfp4, bf16, f32";
    if (llvm::is_contained(ArrayRef(o.candidates).take_front(i), c))
      return fn.emitError() << "qc-assign-precision: candidate '" << c
                            << "' is given twice";
  }
  if (!(o.budgetBits >= 0) || !(o.budgetLatencyUs >= 0) ||
      (o.budgetBits > 0) == (o.budgetLatencyUs > 0))
    return fn.emitError() << llvm::formatv(
               "qc-assign-precision: give one budget > 0, budget-bits or "
               "budget-latency, got {0} bits and {1} us",
               o.budgetBits, o.budgetLatencyUs);
  if (!nx::getGpuRoofline(o.target)) {
    auto diag = fn.emitError() << "qc-assign-precision: no latency model for "
                                  "target '"
                               << o.target << "'; known:";
    for (const nx::GpuRoofline &g : nx::getGpuRooflines())
      diag << " " << g.target;
    return failure();
  }
  if (o.tokens < 1)
    return fn.emitError() << "qc-assign-precision: tokens must be >= 1, got "
                          << o.tokens;
  return success();
}

struct AssignPrecisionPass
    : public qc::impl::QCAssignPrecisionBase<AssignPrecisionPass> {
  using QCAssignPrecisionBase::QCAssignPrecisionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = getEntryFunction(module);
    if (!fn)
      return signalPassFailure();
    PrecisionOptions o;
    o.budgetBits = budgetBits;
    o.budgetLatencyUs = budgetLatency;
    o.candidates = splitList(candidates);
    o.target = target;
    o.tokens = tokens;
    o.biasCorrection = biasCorrection;
    if (failed(checkOptions(fn, o)))
      return signalPassFailure();
    FailureOr<std::vector<Tensor>> data = failure();
    Executor exec(fn);
    if (!inputs.empty())
      data = readModelInputs(fn, inputs);
    else if (randomSamples > 0)
      data = exec.randomInputs(randomSamples, seed);
    else {
      module.emitError("qc-assign-precision needs calibration data: give "
                       "inputs=<file.npz> or random-samples=<N>");
      return signalPassFailure();
    }
    if (failed(data) || failed(assignPrecision(fn, *data, o)))
      return signalPassFailure();
  }
};
} // namespace

LogicalResult quantc::qc::assignPrecision(func::FuncOp fn,
                                          ArrayRef<Tensor> inputs,
                                          const PrecisionOptions &o) {
  MLIRContext *ctx = fn.getContext();
  if (failed(checkOptions(fn, o)))
    return failure();
  SmallVector<Operation *> layers = layersOf(fn);
  if (layers.empty())
    return fn.emitError("qc-assign-precision: no matmul or conv with a "
                        "constant weight to assign a format to");
  // M2: storage bits; M5: modelled microseconds on the target. The
  // knapsack's cost is the one the budget is in: total bits (an average
  // over all weights of those layers) or total microseconds.
  size_t nl = layers.size(), nc = o.candidates.size();
  const nx::GpuRoofline &gpu = *nx::getGpuRoofline(o.target);
  bool byLatency = o.budgetLatencyUs > 0;
  std::vector<std::vector<double>> bitCost(nl, std::vector<double>(nc)),
      latency(nl, std::vector<double>(nc)), err(nl, std::vector<double>(nc));
  double numel = 0;
  for (size_t l = 0; l < nl; ++l) {
    WeightDims d = *weightDims(layers[l]);
    double cells = double(d.k) * double(d.n);
    numel += cells;
    int64_t m = modelRows(layers[l], o.tokens);
    for (size_t c = 0; c < nc; ++c) {
      bitCost[l][c] =
          *nx::weightBitsPerElement(o.candidates[c], d.k, d.n, d.spatial) *
          cells;
      latency[l][c] =
          *nx::modelledLatencyUs(o.candidates[c], gpu, m, d.k, d.n, d.spatial);
    }
  }
  const std::vector<std::vector<double>> &cost = byLatency ? latency : bitCost;
  // The cost in budget units: bits per weight, or microseconds.
  double toUnits = byLatency ? 1.0 : 1.0 / numel;
  double minCost = 0;
  for (size_t l = 0; l < nl; ++l)
    minCost += *std::min_element(cost[l].begin(), cost[l].end());
  double budget = byLatency ? o.budgetLatencyUs : o.budgetBits * numel;
  if (minCost > budget * (1 + 1e-12))
    return fn.emitError() << llvm::formatv(
               byLatency
                   ? "qc-assign-precision: a budget of {0:f4} us on {2} is "
                     "below the smallest the candidates allow ({1:f4} us)"
                   : "qc-assign-precision: a budget of {0:f3} bits per "
                     "weight is below the smallest the candidates allow "
                     "({1:f3})",
               byLatency ? o.budgetLatencyUs : o.budgetBits,
               minCost * toUnits, o.target);

  // M1: sensitivity, one layer at a time.
  Executor ref(fn);
  ref.setConstantCaching(false);
  FailureOr<std::vector<Tensor>> refOut = ref.run(inputs);
  if (failed(refOut))
    return failure();
  std::vector<std::string> formats(nl, "f32");
  for (size_t l = 0; l < nl; ++l)
    for (size_t c = 0; c < nc; ++c) {
      formats[l] = o.candidates[c];
      FailureOr<double> e =
          measure(fn, formats, inputs, *refOut, o.biasCorrection);
      if (failed(e))
        return failure();
      err[l][c] = *e;
      formats[l] = "f32";
    }

  // M3: the assignment. Options a layer cannot take (infinite error) are
  // out; each layer's cheapest remaining option is subtracted from its
  // costs and from the budget, so the knapsack's grid spans only the room
  // to choose (with a fixed launch cost per layer, the latency slack can
  // be a tiny part of the budget).
  std::vector<double> cheapest(nl, std::numeric_limits<double>::infinity()),
      dearest(nl, 0.0);
  for (size_t l = 0; l < nl; ++l)
    for (size_t c = 0; c < nc; ++c)
      if (std::isfinite(err[l][c])) {
        cheapest[l] = std::min(cheapest[l], cost[l][c]);
        dearest[l] = std::max(dearest[l], cost[l][c]);
      }
  double floorCost = 0, ceilCost = 0;
  for (size_t l = 0; l < nl; ++l) {
    if (!std::isfinite(cheapest[l]))
      return layers[l]->emitError(
          "qc-assign-precision: none of the candidates can quantize this "
          "layer's weight (mxfp8/mxfp6/mxfp4 and nvfp4 take matmuls only): "
          "add one that can, e.g. int8 or f32");
    floorCost += cheapest[l];
    ceilCost += dearest[l];
  }
  auto solve = [&](double total) -> std::vector<int> {
    if (!std::isfinite(floorCost) || total < floorCost * (1 - 1e-12))
      return {};
    std::vector<std::vector<double>> room(nl, std::vector<double>(nc));
    for (size_t l = 0; l < nl; ++l)
      for (size_t c = 0; c < nc; ++c)
        room[l][c] = std::max(0.0, cost[l][c] - cheapest[l]);
    double slack = total - floorCost;
    if (slack > 1e-12 * total)
      return nx::solveMultipleChoiceKnapsack(err, room, slack);
    // No room: each layer's cheapest option (the least error among ties).
    std::vector<int> p(nl, -1);
    for (size_t l = 0; l < nl; ++l)
      for (size_t c = 0; c < nc; ++c)
        if (std::isfinite(err[l][c]) && room[l][c] == 0.0 &&
            (p[l] < 0 || err[l][c] < err[l][p[l]]))
          p[l] = int(c);
    return p;
  };
  std::vector<int> pick = solve(budget);
  if (pick.empty())
    return fn.emitError() << llvm::formatv(
               byLatency ? "qc-assign-precision: no assignment fits {0} us "
                           "on {1} (candidates that cannot quantize a layer "
                           "are excluded; the cheapest that can: {2} us)"
                         : "qc-assign-precision: no assignment fits {0} bits "
                           "per weight (candidates that cannot quantize a "
                           "layer are excluded; the cheapest that can: {2})",
               byLatency ? o.budgetLatencyUs : o.budgetBits, o.target,
               floorCost * toUnits);
  // M4: what it is predicted and measured to cost.
  auto evaluate = [&](ArrayRef<int> p, double &bits, double &micros,
                      double &predicted, double &measured) -> LogicalResult {
    bits = micros = predicted = 0;
    std::vector<std::string> f(nl);
    for (size_t l = 0; l < nl; ++l) {
      f[l] = o.candidates[p[l]];
      bits += bitCost[l][p[l]];
      micros += latency[l][p[l]];
      predicted += err[l][p[l]];
    }
    bits /= numel;
    FailureOr<double> m = measure(fn, f, inputs, *refOut, o.biasCorrection);
    if (failed(m))
      return failure();
    measured = *m;
    return success();
  };
  Builder b(ctx);
  double bits = 0, micros = 0, predicted = 0, measured = 0;
  if (failed(evaluate(pick, bits, micros, predicted, measured)))
    return failure();
  // The Pareto front between the smallest and the largest budget the
  // candidates allow, 8 points, each solved and measured.
  StringRef budgetName = byLatency ? "budget_latency_us" : "budget_bits";
  SmallVector<Attribute> front;
  for (int i = 0; i < 8; ++i) {
    double bc = floorCost + (ceilCost - floorCost) * i / 7.0;
    std::vector<int> p = solve(bc * (1 + 1e-9));
    double pb = 0, pl = 0, pp = 0, pm = 0;
    if (p.empty() || failed(evaluate(p, pb, pl, pp, pm)))
      continue;
    front.push_back(b.getDictionaryAttr(
        {b.getNamedAttr(budgetName, b.getF64FloatAttr(bc * toUnits)),
         b.getNamedAttr("bits", b.getF64FloatAttr(pb)),
         b.getNamedAttr("latency_us", b.getF64FloatAttr(pl)),
         b.getNamedAttr("predicted_error", b.getF64FloatAttr(pp)),
         b.getNamedAttr("measured_error", b.getF64FloatAttr(pm))}));
  }
  for (size_t l = 0; l < nl; ++l) {
    SmallVector<NamedAttribute> sens;
    for (size_t c = 0; c < nc; ++c)
      sens.push_back(b.getNamedAttr(o.candidates[c],
                                    b.getF64FloatAttr(err[l][c])));
    layers[l]->setAttr("qc.assigned_format",
                       b.getStringAttr(o.candidates[pick[l]]));
    layers[l]->setAttr("qc.sensitivity", b.getDictionaryAttr(sens));
    layers[l]->setAttr("qc.modelled_latency_us",
                       b.getF64FloatAttr(latency[l][pick[l]]));
  }
  SmallVector<NamedAttribute> summary = {
      b.getNamedAttr(budgetName, b.getF64FloatAttr(byLatency
                                                       ? o.budgetLatencyUs
                                                       : o.budgetBits)),
      b.getNamedAttr("bits", b.getF64FloatAttr(bits)),
      b.getNamedAttr("latency_us", b.getF64FloatAttr(micros)),
      b.getNamedAttr("latency_target", b.getStringAttr(o.target)),
      b.getNamedAttr("latency_tokens", b.getI64IntegerAttr(o.tokens)),
      b.getNamedAttr("predicted_error", b.getF64FloatAttr(predicted)),
      b.getNamedAttr("measured_error", b.getF64FloatAttr(measured)),
      b.getNamedAttr("pareto", b.getArrayAttr(front))};
  fn->setAttr("qc.precision", b.getDictionaryAttr(summary));
  return success();
}
