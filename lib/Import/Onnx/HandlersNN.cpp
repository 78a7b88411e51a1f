//===- HandlersNN.cpp - ONNX handlers: NN op family ------------------===//
//
// Small handlers keyed by (op type, since_version); see Handlers.cpp for the
// conventions (NodeContext, input/output counts, diagnostics). Padding is
// resolved here (auto_pad, ConvTranspose output_shape), so the qc ops carry
// explicit pads and need static spatial dims only where ONNX derives pads
// from them.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <limits>
#include <cstring>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

namespace {

/// Fails with a clear error if the node has a non-default value for an
/// attribute this importer does not implement.
LogicalResult rejectIntAttr(NodeContext &n, StringRef name, int64_t dflt,
                            StringRef why) {
  FailureOr<int64_t> v = n.intAttr(name, dflt);
  if (failed(v))
    return failure();
  if (*v != dflt) {
    n.emitError() << "attribute " << name << "=" << *v << " is not supported: "
                  << why;
    return failure();
  }
  return success();
}

/// Ints attribute `name` of `k` values, `dflt` each when absent.
FailureOr<SmallVector<int64_t>> intsOrDefault(NodeContext &n, StringRef name,
                                              int64_t k, int64_t dflt) {
  auto v = n.intsAttr(name);
  if (failed(v))
    return failure();
  if (!*v)
    return SmallVector<int64_t>(k, dflt);
  if ((int64_t)(*v)->size() != k) {
    n.emitError() << "attribute '" << name << "' has " << (*v)->size()
                  << " values, expected " << k << " (one per spatial dim)";
    return failure();
  }
  return **v;
}

/// The window attributes shared by Conv, ConvTranspose and the pools.
struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
  std::string autoPad;
};

/// Reads strides/dilations/pads/auto_pad for `k` spatial dims and resolves
/// auto_pad (SAME_UPPER/SAME_LOWER/VALID) against the input's static
/// spatial dims. `kernel` must already be set.
LogicalResult readWindow(NodeContext &n, Window &w, ArrayRef<int64_t> in,
                         bool ceilMode = false, bool hasDilations = true) {
  int64_t k = w.kernel.size();
  auto strides = intsOrDefault(n, "strides", k, 1);
  auto dil = hasDilations ? intsOrDefault(n, "dilations", k, 1)
                          : FailureOr<SmallVector<int64_t>>(
                                SmallVector<int64_t>(k, 1));
  auto pads = intsOrDefault(n, "pads", 2 * k, 0);
  auto autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (failed(strides) || failed(dil) || failed(pads) || failed(autoPad))
    return failure();
  w.strides = *strides;
  w.dilations = *dil;
  w.pads = *pads;
  w.autoPad = *autoPad;
  for (int64_t i = 0; i < k; ++i) {
    if (w.strides[i] < 1 || w.dilations[i] < 1 || w.kernel[i] < 1) {
      n.emitError() << "kernel, strides and dilations must be >= 1, got "
                    << intsStr(w.kernel) << ", " << intsStr(w.strides)
                    << " and " << intsStr(w.dilations);
      return failure();
    }
  }
  for (int64_t p : w.pads)
    if (p < 0) {
      n.emitError() << "pads must be >= 0, got " << intsStr(w.pads);
      return failure();
    }
  if (w.autoPad == "NOTSET")
    return success();
  if (w.autoPad == "VALID") {
    w.pads.assign(2 * k, 0);
    return success();
  }
  if (w.autoPad != "SAME_UPPER" && w.autoPad != "SAME_LOWER") {
    n.emitError() << "auto_pad '" << w.autoPad
                  << "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID";
    return failure();
  }
  for (int64_t i = 0; i < k; ++i) {
    int64_t d = in[2 + i];
    if (ShapedType::isDynamic(d)) {
      n.emitError() << "auto_pad " << w.autoPad
                    << " needs static spatial dims, got "
                    << qc::dimsStr(in);
      return failure();
    }
    int64_t out = (d + w.strides[i] - 1) / w.strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 -
               d);
    int64_t small = total / 2, big = total - small;
    w.pads[i] = w.autoPad == "SAME_UPPER" ? small : big;
    w.pads[k + i] = w.autoPad == "SAME_UPPER" ? big : small;
  }
  (void)ceilMode;
  return success();
}

/// Input 0 as an [N, C, D...] float tensor.
FailureOr<Value> spatialInput(NodeContext &n, int i = 0) {
  FailureOr<Value> x = n.floatInput(i);
  if (failed(x))
    return failure();
  if (shapeOf(*x).size() < 3) {
    n.emitError() << "input " << i << " must be [N, C, D...] with rank >= 3, got "
                  << qc::dimsStr(shapeOf(*x));
    return failure();
  }
  return x;
}

RankedTensorType f32Tensor(NodeContext &n, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, Float32Type::get(n.getContext()));
}

//===----------------------------------------------------------------------===//
// Conv, ConvTranspose
//===----------------------------------------------------------------------===//

/// Checks weight/bias against the input; `channelsIn` is what the weight's
/// dim 1 times group must give (Conv) or dim 0 must equal (ConvTranspose).
LogicalResult checkKernel(NodeContext &n, ArrayRef<int64_t> x,
                          ArrayRef<int64_t> w, Window &win) {
  if (w.size() != x.size()) {
    n.emitError() << "weight " << qc::dimsStr(w)
                  << " must have the input's rank " << x.size();
    return failure();
  }
  for (size_t i = 1; i < w.size(); ++i)
    if (ShapedType::isDynamic(w[i])) {
      n.emitError() << "weight " << qc::dimsStr(w)
                    << " needs static dims after the first";
      return failure();
    }
  auto ks = n.intsAttr("kernel_shape");
  if (failed(ks))
    return failure();
  SmallVector<int64_t> fromW(w.drop_front(2));
  if (*ks && ArrayRef<int64_t>(**ks) != ArrayRef<int64_t>(fromW)) {
    n.emitError() << "kernel_shape " << intsStr(**ks)
                  << " disagrees with the weight " << qc::dimsStr(w);
    return failure();
  }
  win.kernel = fromW;
  return success();
}

LogicalResult importConv(NodeContext &n) {
  FailureOr<Value> x = spatialInput(n), w = n.floatInput(1);
  FailureOr<int64_t> group = n.intAttr("group", 1);
  if (failed(x) || failed(w) || failed(group))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x), ws = shapeOf(*w);
  Window win;
  if (failed(checkKernel(n, xs, ws, win)) || failed(readWindow(n, win, xs)))
    return failure();
  FailureOr<Value> bias = n.optionalFloatInput(2);
  if (failed(bias))
    return failure();
  // The op checks channels, group and bias and infers the window's output.
  return n.setBuilt(n.build<qc::ConvOp>(*x, *w, *bias, win.strides, win.pads,
                                        win.dilations, *group));
}

LogicalResult importConvTranspose(NodeContext &n) {
  FailureOr<Value> x = spatialInput(n), w = n.floatInput(1);
  FailureOr<int64_t> group = n.intAttr("group", 1);
  if (failed(x) || failed(w) || failed(group))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x), ws = shapeOf(*w);
  Window win;
  if (failed(checkKernel(n, xs, ws, win)))
    return failure();
  int64_t k = win.kernel.size();
  auto strides = intsOrDefault(n, "strides", k, 1);
  auto dil = intsOrDefault(n, "dilations", k, 1);
  auto pads = intsOrDefault(n, "pads", 2 * k, 0);
  auto outPad = intsOrDefault(n, "output_padding", k, 0);
  auto autoPad = n.stringAttr("auto_pad", "NOTSET");
  auto outputShape = n.intsAttr("output_shape");
  if (failed(strides) || failed(dil) || failed(pads) || failed(outPad) ||
      failed(autoPad) || failed(outputShape))
    return failure();
  // The padding arithmetic below needs these (the op checks them again).
  for (int64_t i = 0; i < k; ++i)
    if ((*strides)[i] < 1 || (*dil)[i] < 1 || (*outPad)[i] < 0) {
      n.emitError() << "strides and dilations must be >= 1 and "
                       "output_padding >= 0, got "
                    << intsStr(*strides) << ", " << intsStr(*dil) << " and "
                    << intsStr(*outPad);
      return failure();
    }
  // output_shape (or SAME_*) fixes the total padding per dim: it is what
  // the full-size output minus the wanted size leaves.
  std::optional<SmallVector<int64_t>> wanted;
  if (*outputShape) {
    SmallVector<int64_t> os = **outputShape;
    if ((int64_t)os.size() == k + 2)
      os.erase(os.begin(), os.begin() + 2);
    if ((int64_t)os.size() != k) {
      n.emitError() << "output_shape " << intsStr(**outputShape)
                    << " must have one value per spatial dim";
      return failure();
    }
    wanted = os;
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    wanted.emplace();
    for (int64_t i = 0; i < k; ++i)
      wanted->push_back(ShapedType::isDynamic(xs[2 + i]) // refused below
                            ? 0
                            : xs[2 + i] * (*strides)[i]);
  } else if (*autoPad == "VALID") {
    pads->assign(2 * k, 0);
  } else if (*autoPad != "NOTSET") {
    n.emitError() << "auto_pad '" << *autoPad
                  << "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID";
    return failure();
  }
  if (wanted) {
    for (int64_t i = 0; i < k; ++i) {
      if (ShapedType::isDynamic(xs[2 + i])) {
        n.emitError() << "output_shape/auto_pad need static spatial dims, "
                         "got "
                      << qc::dimsStr(xs);
        return failure();
      }
      int64_t full = (*strides)[i] * (xs[2 + i] - 1) + (*outPad)[i] +
                     ((ws[2 + i] - 1) * (*dil)[i] + 1);
      int64_t total = full - (*wanted)[i];
      if (total < 0) {
        // A larger output_shape extends the end with bias-only values, as
        // output_padding does.
        (*outPad)[i] += -total;
        (*pads)[i] = (*pads)[k + i] = 0;
        continue;
      }
      // ONNX: SAME_UPPER puts the odd pad at the end... of the begin side
      // for ConvTranspose: pads[begin] = total / 2 unless SAME_LOWER.
      bool lower = *autoPad == "SAME_LOWER";
      (*pads)[i] = lower ? total - total / 2 : total / 2;
      (*pads)[k + i] = total - (*pads)[i];
    }
  }
  FailureOr<Value> bias = n.optionalFloatInput(2);
  if (failed(bias))
    return failure();
  // The op checks channels, group, bias and windows and infers the output.
  return n.setBuilt(n.build<qc::ConvTransposeOp>(
      *x, *w, *bias, *strides, *pads, *dil, *outPad, *group));
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

LogicalResult readPool(NodeContext &n, Value x, Window &win, bool &ceil) {
  ArrayRef<int64_t> xs = shapeOf(x);
  auto ks = n.intsAttr("kernel_shape");
  FailureOr<int64_t> ceilMode = n.intAttr("ceil_mode", 0);
  if (failed(ks) || failed(ceilMode))
    return failure();
  if (!*ks || (int64_t)(*ks)->size() != (int64_t)xs.size() - 2) {
    n.emitError() << "attribute 'kernel_shape' is required, one value per "
                     "spatial dim of "
                  << qc::dimsStr(xs);
    return failure();
  }
  win.kernel = **ks;
  ceil = *ceilMode != 0;
  // Dilations on pools came with MaxPool-10 / AveragePool-19.
  bool dil = n.node.op_type() == "MaxPool" ? n.opsetVersion >= 10
                                            : n.opsetVersion >= 19;
  return readWindow(n, win, xs, ceil, dil);
}

LogicalResult importMaxPool(NodeContext &n) {
  // MaxPool-12 pools int8/uint8 too.
  const onnx::TensorProto *c = n.constantInput(0);
  FailureOr<Value> x = failure();
  if (n.opsetVersion >= 12 && !c && n.hasInput(0)) {
    FailureOr<Value> v = n.graph.getValue(n.node.input(0), false, &n);
    if (failed(v))
      return failure();
    if (cast<RankedTensorType>(v->getType()).getElementType().isInteger(8)) {
      if (shapeOf(*v).size() < 3) {
        n.emitError() << "input 0 must be [N, C, D...] with rank >= 3, got "
                      << qc::dimsStr(shapeOf(*v));
        return failure();
      }
      x = v;
    }
  }
  if (failed(x))
    x = spatialInput(n);
  if (failed(x))
    return failure();
  Type elemType = cast<RankedTensorType>(x->getType()).getElementType();
  bool withIndices = n.node.output_size() > 1 && !n.node.output(1).empty();
  FailureOr<int64_t> order = n.intAttr("storage_order", 0);
  if (failed(order))
    return failure();
  if (withIndices && !isa<FloatType>(elemType)) {
    n.emitError() << "the Indices output is supported for float inputs, got "
                  << elemType;
    return failure();
  }
  Window win;
  bool ceil = false;
  if (failed(readPool(n, *x, win, ceil)))
    return failure();
  if (withIndices) {
    FailureOr<qc::MaxPoolWithIndicesOp> op = n.build<qc::MaxPoolWithIndicesOp>(
        *x, win.kernel, win.strides, win.pads, win.dilations, ceil, *order);
    if (failed(op))
      return failure();
    n.setOutput(0, op->getResult());
    n.setOutput(1, op->getIndices());
    return success();
  }
  return n.setBuilt(n.build<qc::MaxPoolOp>(*x, win.kernel, win.strides,
                                           win.pads, win.dilations, ceil));
}

LogicalResult importAveragePool(NodeContext &n) {
  FailureOr<Value> x = spatialInput(n);
  FailureOr<int64_t> cip = n.intAttr("count_include_pad", 0);
  if (failed(x) || failed(cip))
    return failure();
  Window win;
  bool ceil = false;
  if (failed(readPool(n, *x, win, ceil)))
    return failure();
  return n.setBuilt(n.build<qc::AvgPoolOp>(*x, win.kernel, win.strides,
                                           win.pads, win.dilations, ceil,
                                           *cip != 0));
}

template <typename OpTy> LogicalResult importGlobalPool(NodeContext &n) {
  FailureOr<Value> x = spatialInput(n);
  if (failed(x))
    return failure();
  return n.setBuilt(n.build<OpTy>(*x));
}

//===----------------------------------------------------------------------===//
// BatchNormalization
//===----------------------------------------------------------------------===//

/// BatchNormalization-14/15 with training_mode=1 (N15 in docs/Ops-nn.md),
/// decomposed into qc ops: the batch's mean and (population) variance over
/// every dim but 1 normalize the input, and the running statistics are
/// `input * momentum + batch * (1 - momentum)`.
LogicalResult importBatchNormTraining(NodeContext &n, Value x,
                                      ArrayRef<Value> params, float eps) {
  FailureOr<float> momentum = n.floatAttr("momentum", 0.9f);
  if (failed(momentum))
    return failure();
  OpBuilder &b = n.builder();
  ArrayRef<int64_t> xs = shapeOf(x);
  int64_t rank = xs.size();
  SmallVector<int64_t> axes{0}, kept(rank, 1);
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  kept[1] = xs[1];
  auto keptType = f32Tensor(n, kept);
  auto vecType = f32Tensor(n, {xs[1]});
  auto mean4 = qc::ReduceMeanOp::create(b, n.loc, keptType, x,
                                        b.getDenseI64ArrayAttr(axes),
                                        b.getBoolAttr(true));
  auto dev = qc::SubOp::create(b, n.loc, x.getType(), x, mean4.getResult());
  auto sq = qc::MulOp::create(b, n.loc, x.getType(), dev.getResult(),
                              dev.getResult());
  auto var4 = qc::ReduceMeanOp::create(b, n.loc, keptType, sq.getResult(),
                                       b.getDenseI64ArrayAttr(axes),
                                       b.getBoolAttr(true));
  SmallVector<int64_t> flat{-1};
  Value mean = qc::ReshapeOp::create(b, n.loc, vecType, mean4.getResult(),
                                     b.getDenseI64ArrayAttr(flat))
                   .getResult();
  Value var = qc::ReshapeOp::create(b, n.loc, vecType, var4.getResult(),
                                    b.getDenseI64ArrayAttr(flat))
                  .getResult();
  n.setOutput(0, qc::BatchNormOp::create(b, n.loc, x.getType(), x, params[0],
                                         params[1], mean, var,
                                         b.getF32FloatAttr(eps))
                     .getResult());
  auto scalar = [&](float v) -> Value {
    auto t = RankedTensorType::get({}, b.getF32Type());
    return arith::ConstantOp::create(b, n.loc, DenseElementsAttr::get(t, v))
        .getResult();
  };
  Value mom = scalar(*momentum), rest = scalar(1.0f - *momentum);
  auto blend = [&](Value running, Value batch) -> Value {
    Value a = qc::MulOp::create(b, n.loc, running.getType(), running, mom)
                  .getResult();
    Value c =
        qc::MulOp::create(b, n.loc, vecType, batch, rest).getResult();
    return qc::AddOp::create(b, n.loc, vecType, a, c).getResult();
  };
  if (n.node.output_size() > 1 && !n.node.output(1).empty())
    n.setOutput(1, blend(params[2], mean));
  if (n.node.output_size() > 2 && !n.node.output(2).empty())
    n.setOutput(2, blend(params[3], var));
  return success();
}

/// InstanceNormalization 6, 22: each image's channel normalized over its
/// spatial dims, (x - mean) / sqrt(var + epsilon) with the statistics of
/// qc.reduce_mean (var as the mean of squared deviations), then the [C]
/// scale and bias along dim 1. (Not qc.layer_norm at axis 2 with a unit
/// gain: ONNX Runtime's LayerNormalization refuses a gain that broadcasts,
/// so that form would not export.)
LogicalResult importInstanceNorm(NodeContext &n) {
  FailureOr<Value> x = spatialInput(n);
  FailureOr<Value> scale = n.floatInput(1), bias = n.floatInput(2);
  FailureOr<float> eps = n.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(scale) || failed(bias) || failed(eps))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(*x);
  int64_t c = xs[1];
  const char *names[] = {"scale", "B"};
  for (auto [i, p] : llvm::enumerate(SmallVector<Value>{*scale, *bias})) {
    ArrayRef<int64_t> ps = shapeOf(p);
    if (ps.size() != 1 || (ps[0] != c && !ShapedType::isDynamic(c) &&
                           !ShapedType::isDynamic(ps[0]))) {
      n.emitError() << names[i] << " must be [" << c << "], got "
                    << qc::dimsStr(ps);
      return failure();
    }
  }
  OpBuilder &b = n.builder();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < (int64_t)xs.size(); ++d)
    axes.push_back(d);
  auto mean = [&](Value v) {
    return n.build<qc::ReduceMeanOp>(v, b.getDenseI64ArrayAttr(axes),
                                     b.getBoolAttr(true));
  };
  auto mu = mean(*x);
  if (failed(mu))
    return failure();
  auto dev = n.build<qc::SubOp>(*x, mu->getResult());
  if (failed(dev))
    return failure();
  auto sq = n.build<qc::MulOp>(dev->getResult(), dev->getResult());
  if (failed(sq))
    return failure();
  auto var = mean(sq->getResult());
  FailureOr<Value> epsV =
      emitSplat(n, RankedTensorType::get({}, elementTypeOf(*x)), *eps);
  if (failed(var) || failed(epsV))
    return failure();
  auto sum = n.build<qc::AddOp>(var->getResult(), *epsV);
  if (failed(sum))
    return failure();
  auto sd = n.build<qc::SqrtOp>(sum->getResult());
  if (failed(sd))
    return failure();
  auto ln = n.build<qc::DivOp>(dev->getResult(), sd->getResult());
  if (failed(ln))
    return failure();
  // [C] -> [C, 1, ..., 1]: along dim 1 of [N, C, D...].
  SmallVector<int64_t> perChannel(xs.size() - 1, 1);
  perChannel[0] = -1;
  FailureOr<Value> s4 = emitReshape(n, *scale, perChannel);
  FailureOr<Value> b4 = emitReshape(n, *bias, perChannel);
  if (failed(s4) || failed(b4))
    return failure();
  auto scaled = n.build<qc::MulOp>(ln->getResult(), *s4);
  if (failed(scaled))
    return failure();
  return n.setBuilt(n.build<qc::AddOp>(scaled->getResult(), *b4));
}

/// NonMaxSuppression 10, 11 (N17). Absent parameters take ONNX's
/// defaults: no output (max 0), IoU threshold 0, no score threshold (-inf:
/// a score of -inf or NaN is then dropped, which ONNX Runtime keeps).
LogicalResult importNonMaxSuppression(NodeContext &n) {
  FailureOr<Value> boxes = n.floatInput(0), scores = n.floatInput(1);
  FailureOr<int64_t> center = n.intAttr("center_point_box", 0);
  if (failed(boxes) || failed(scores) || failed(center))
    return failure();
  if (*center != 0 && *center != 1) {
    n.emitError() << "attribute 'center_point_box' must be 0 or 1, got "
                  << *center;
    return failure();
  }
  OpBuilder &b = n.builder();
  auto param = [&](int i, Type t, double dflt) -> FailureOr<Value> {
    if (!n.hasInput(i))
      return emitSplat(n, RankedTensorType::get({1}, t), dflt);
    return t.isF32() ? n.floatInput(i) : n.anyInput(i);
  };
  FailureOr<Value> maxOut = param(2, b.getI64Type(), 0),
                   iou = param(3, b.getF32Type(), 0),
                   score = param(4, b.getF32Type(),
                                 -std::numeric_limits<double>::infinity());
  if (failed(maxOut) || failed(iou) || failed(score))
    return failure();
  if (!elementTypeOf(*maxOut).isSignlessInteger(64)) {
    n.emitError() << "max_output_boxes_per_class must be an INT64 tensor";
    return failure();
  }
  OperationState st(n.loc, qc::NonMaxSuppressionOp::getOperationName());
  qc::NonMaxSuppressionOp::build(
      b, st, RankedTensorType::get({ShapedType::kDynamic, 3}, b.getI64Type()),
      *boxes, *scores, *maxOut, *iou, *score, b.getBoolAttr(*center != 0));
  Operation *op = n.buildInferred(st);
  if (!op)
    return failure();
  n.setOutput(0, op->getResult(0));
  return success();
}

/// MeanVarianceNormalization 9, 13: ONNX's function body, (x - E[x]) /
/// (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes` (default 0, 2, 3), each
/// mean a qc.reduce_mean.
LogicalResult importMeanVarianceNorm(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  auto axesAttr = n.intsAttr("axes");
  if (failed(x) || failed(axesAttr))
    return failure();
  int64_t rank = shapeOf(*x).size();
  SmallVector<int64_t> axes;
  for (int64_t a : axesAttr->value_or(SmallVector<int64_t>{0, 2, 3})) {
    FailureOr<int64_t> ax = n.normalizeAxis(a, rank, "axes entry");
    if (failed(ax))
      return failure();
    if (llvm::is_contained(axes, *ax)) {
      n.emitError() << "axes name dimension " << *ax << " twice";
      return failure();
    }
    axes.push_back(*ax);
  }
  llvm::sort(axes);
  OpBuilder &b = n.builder();
  auto mean = [&](Value v) {
    return n.build<qc::ReduceMeanOp>(v, b.getDenseI64ArrayAttr(axes),
                                     b.getBoolAttr(true));
  };
  auto sq = n.build<qc::MulOp>(*x, *x);
  auto mu = mean(*x);
  if (failed(sq) || failed(mu))
    return failure();
  auto ex2 = mean(sq->getResult());
  auto mu2 = n.build<qc::MulOp>(mu->getResult(), mu->getResult());
  if (failed(ex2) || failed(mu2))
    return failure();
  auto var = n.build<qc::SubOp>(ex2->getResult(), mu2->getResult());
  if (failed(var))
    return failure();
  auto sd = n.build<qc::SqrtOp>(var->getResult());
  FailureOr<Value> eps =
      emitSplat(n, RankedTensorType::get({}, elementTypeOf(*x)), 1e-9);
  auto dev = n.build<qc::SubOp>(*x, mu->getResult());
  if (failed(sd) || failed(eps) || failed(dev))
    return failure();
  auto den = n.build<qc::AddOp>(sd->getResult(), *eps);
  if (failed(den))
    return failure();
  return n.setBuilt(n.build<qc::DivOp>(dev->getResult(), den->getResult()));
}

/// LRN 1, 13: x / (bias + alpha * mean of x^2 over `size` channels
/// around)^beta, the window centred as ONNX's (floor((size-1)/2) before,
/// ceil((size-1)/2) after, zeros outside). The window mean is a 2-D
/// qc.avg_pool (counting the padding) over x^2 viewed as [N, 1, C, rest].
LogicalResult importLRN(NodeContext &n) {
  FailureOr<Value> x = spatialInput(n);
  if (failed(x))
    return failure();
  if (!n.attr("size")) {
    n.emitError() << "attribute 'size' is required";
    return failure();
  }
  FailureOr<int64_t> size = n.intAttr("size", 1);
  FailureOr<float> alpha = n.floatAttr("alpha", 1e-4f),
                   beta = n.floatAttr("beta", 0.75f),
                   bias = n.floatAttr("bias", 1.0f);
  if (failed(size) || failed(alpha) || failed(beta) || failed(bias))
    return failure();
  if (*size < 1) {
    n.emitError() << "attribute 'size' must be >= 1, got " << *size;
    return failure();
  }
  ArrayRef<int64_t> xs = shapeOf(*x);
  int64_t dynamicRest = llvm::count_if(xs.drop_front(2), [](int64_t d) {
    return ShapedType::isDynamic(d);
  });
  if (ShapedType::isDynamic(xs[1]) || dynamicRest > 1) {
    n.emitError() << "needs a static channel count and at most one free "
                     "spatial dim, got "
                  << qc::dimsStr(xs);
    return failure();
  }
  if (llvm::is_contained(xs, 0)) { // nothing to normalize
    n.setOutput(0, *x);
    return success();
  }
  OpBuilder &b = n.builder();
  auto sq = n.build<qc::MulOp>(*x, *x);
  if (failed(sq))
    return failure();
  FailureOr<Value> flat = emitReshape(n, sq->getResult(), {0, 1, xs[1], -1});
  if (failed(flat))
    return failure();
  int64_t lo = (*size - 1) / 2, hi = *size - 1 - lo;
  auto avg = n.build<qc::AvgPoolOp>(
      *flat, b.getDenseI64ArrayAttr({*size, 1}), b.getDenseI64ArrayAttr({1, 1}),
      b.getDenseI64ArrayAttr({lo, 0, hi, 0}), b.getDenseI64ArrayAttr({1, 1}),
      b.getBoolAttr(false), b.getBoolAttr(true));
  if (failed(avg))
    return failure();
  SmallVector<int64_t> back{0};
  for (int64_t d : xs.drop_front())
    back.push_back(ShapedType::isDynamic(d) ? -1 : d);
  FailureOr<Value> mean = emitReshape(n, avg->getResult(), back);
  auto scalar = RankedTensorType::get({}, elementTypeOf(*x));
  FailureOr<Value> a = emitSplat(n, scalar, *alpha),
                   k = emitSplat(n, scalar, *bias),
                   e = emitSplat(n, scalar, *beta);
  if (failed(mean) || failed(a) || failed(k) || failed(e))
    return failure();
  auto scaled = n.build<qc::MulOp>(*mean, *a);
  if (failed(scaled))
    return failure();
  auto base = n.build<qc::AddOp>(scaled->getResult(), *k);
  if (failed(base))
    return failure();
  auto den = n.build<qc::PowOp>(base->getResult(), *e);
  if (failed(den))
    return failure();
  return n.setBuilt(n.build<qc::DivOp>(*x, den->getResult()));
}

/// Dropout 6, 7, 10, 12, 13, 22 in inference, as ONNX Runtime runs it: the
/// identity, and a mask of all true (all 1 before opset 10, in the input's
/// type), as the ONNX reference implementation gives it (ONNX Runtime's
/// mask is all 0 before opset 12). Training mode (a constant training_mode = true, opset 12+) is
/// random unless the ratio is 0, and is refused then; a run-time
/// training_mode too.
LogicalResult importDropout(NodeContext &n) {
  FailureOr<Value> x = n.anyInput(0);
  if (failed(x))
    return failure();
  if (n.opsetVersion >= 12 && n.hasInput(2)) {
    const onnx::TensorProto *t = n.constantInput(2);
    if (!t) {
      n.emitError() << "training_mode must be a constant (inference only: "
                       "training-mode dropout is random)";
      return failure();
    }
    if (t->data_type() != onnx::TensorProto::BOOL) {
      n.emitError() << "training_mode must be a BOOL tensor";
      return failure();
    }
    DenseElementsAttr m = tensorToOwnTypeAttr(*n.getContext(), *t);
    bool training = m && m.getNumElements() == 1 &&
                    !(*m.value_begin<APInt>()).isZero();
    bool zeroRatio = false;
    if (const onnx::TensorProto *r = n.hasInput(1) ? n.constantInput(1)
                                                   : nullptr) {
      if (!isFloatDataType(r->data_type())) {
        n.emitError() << "ratio must be a float tensor";
        return failure();
      }
      DenseElementsAttr ra = tensorToF32Attr(*n.getContext(), *r);
      zeroRatio = ra && ra.getNumElements() == 1 &&
                  (*ra.value_begin<APFloat>()).isZero();
    }
    if (training && !zeroRatio) {
      n.emitError() << "training_mode = true drops elements at random; "
                       "export the model in inference mode";
      return failure();
    }
  }
  n.setOutput(0, *x);
  if (n.node.output_size() > 1 && !n.node.output(1).empty()) {
    Type et = n.opsetVersion >= 10 ? n.builder().getI1Type() : elementTypeOf(*x);
    // (Through qc.constant_of_shape also for static shapes: packages
    // store no boolean constants.)
    auto type = RankedTensorType::get(shapeOf(*x), et);
    OpBuilder &b = n.builder();
    int64_t rank = shapeOf(*x).size();
    auto shape = n.build<qc::ShapeOp>(*x, b.getI64IntegerAttr(0),
                                      b.getI64IntegerAttr(rank));
    if (failed(shape))
      return failure();
    TypedAttr one = isa<FloatType>(et) ? TypedAttr(b.getFloatAttr(et, 1.0))
                                       : TypedAttr(b.getIntegerAttr(et, 1));
    n.setOutput(1, qc::ConstantOfShapeOp::create(b, n.loc, type,
                                                 shape->getResult(), one)
                       .getResult());
  }
  return success();
}

LogicalResult importBatchNorm(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  FailureOr<float> eps = n.floatAttr("epsilon", 1e-5f);
  if (failed(x) || failed(eps))
    return failure();
  FailureOr<int64_t> training = n.intAttr("training_mode", 0);
  if (failed(training))
    return failure();
  bool train = n.opsetVersion >= 14 && *training != 0;
  for (int i = 1; i < n.node.output_size(); ++i)
    if (!n.node.output(i).empty() && !train) {
      n.emitError() << "output " << i << " ('" << n.node.output(i)
                    << "') is only computed in training mode (opset >= 14 "
                       "with training_mode=1); this node is in inference "
                       "mode";
      return failure();
    }
  if (n.opsetVersion < 9 &&
      failed(rejectIntAttr(n, "spatial", 1,
                           "per-element statistics (spatial=0)")))
    return failure();
  // BatchNormalization-1 and -6 run in training mode unless is_test is set.
  if (n.opsetVersion < 7) {
    FailureOr<int64_t> isTest = n.intAttr("is_test", 0);
    if (failed(isTest))
      return failure();
    if (*isTest == 0) {
      n.emitError() << "is_test = 0 (training mode, the default at opset "
                    << n.opsetVersion
                    << ") is not supported: set is_test = 1 for inference";
      return failure();
    }
  }
  ArrayRef<int64_t> xs = shapeOf(*x);
  if (xs.size() < 2) {
    n.emitError() << "input must be [N, C, ...], got " << qc::dimsStr(xs);
    return failure();
  }
  SmallVector<Value> params;
  const char *names[] = {"scale", "B", "input_mean", "input_var"};
  for (int i = 1; i <= 4; ++i) {
    FailureOr<Value> p = n.floatInput(i);
    if (failed(p))
      return failure();
    ArrayRef<int64_t> ps = shapeOf(*p);
    if (ps.size() != 1 || (ps[0] != xs[1] && !ShapedType::isDynamic(xs[1]) &&
                           !ShapedType::isDynamic(ps[0]))) {
      n.emitError() << names[i - 1] << " must be [" << xs[1] << "], got "
                    << qc::dimsStr(ps);
      return failure();
    }
    params.push_back(*p);
  }
  if (train)
    return importBatchNormTraining(n, *x, params, *eps);
  n.setOutput(0, qc::BatchNormOp::create(
                     n.builder(), n.loc, (*x).getType(), *x, params[0],
                     params[1], params[2], params[3],
                     n.builder().getF32FloatAttr(*eps))
                     .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Resize, Upsample
//===----------------------------------------------------------------------===//

/// A Resize/Upsample input that is either known at import time (a constant,
/// possibly empty) or a run-time value (N13 in docs/Ops-nn.md).
struct ResizeParam {
  bool given = false;      // present and not known to be empty
  Value value;             // the run-time value, if not a constant
  SmallVector<float> f;    // constant float values (scales, roi)
  SmallVector<int64_t> i;  // constant integer values (sizes)
};

/// Input `i` as a ResizeParam; `isInt` for sizes. An absent input, an empty
/// constant and a run-time value of static length 0 are all "not given".
FailureOr<ResizeParam> resizeParam(NodeContext &n, int i, bool isInt,
                                   StringRef what) {
  ResizeParam p;
  if (!n.hasInput(i))
    return p;
  if (const onnx::TensorProto *t = n.constantInput(i)) {
    if (isInt ? !isIntDataType(t->data_type())
              : !isFloatDataType(t->data_type())) {
      n.emitError() << "input " << i << " ('" << n.node.input(i) << "', "
                    << what << ") must be a " << (isInt ? "integer" : "float")
                    << " tensor, got " << dataTypeName(t->data_type());
      return failure();
    }
    if (isInt) {
      p.i = tensorToInts(*t);
      p.given = !p.i.empty();
    } else {
      DenseElementsAttr a = tensorToF32Attr(*n.getContext(), *t);
      p.f.assign(a.getValues<float>().begin(), a.getValues<float>().end());
      p.given = !p.f.empty();
    }
    return p;
  }
  FailureOr<Value> v = isInt ? n.graph.getValue(n.node.input(i),
                                                /*wantFloat=*/false, &n)
                             : n.floatInput(i);
  if (failed(v))
    return failure();
  auto t = cast<RankedTensorType>(v->getType());
  if (isInt && !isa<IntegerType>(t.getElementType())) {
    n.emitError() << "input " << i << " ('" << n.node.input(i) << "', "
                  << what << ") must be an integer tensor, got "
                  << t.getElementType();
    return failure();
  }
  if (t.getRank() != 1) {
    n.emitError() << "input " << i << " ('" << n.node.input(i) << "', "
                  << what << ") must be 1-D, got " << qc::dimsStr(t.getShape());
    return failure();
  }
  if (t.getDimSize(0) == 0)
    return p;
  p.given = true;
  p.value = *v;
  return p;
}

/// Builds qc.resize. Exactly one of: constant `scales` (one per dim), constant
/// `sizes` (one per dim), or a run-time scales/sizes value covering `axes`.
LogicalResult emitResize(NodeContext &n, Value x, SmallVector<float> scales,
                         std::optional<SmallVector<int64_t>> sizes,
                         StringRef mode, StringRef ct, StringRef nearest,
                         float cubicA = -0.75f, bool excludeOutside = false,
                         Value dynScales = {}, Value dynSizes = {},
                         ArrayRef<int64_t> axes = {}, Value roi = {},
                         float extrapolation = 0.0f,
                         qc::AspectRatioPolicy policy =
                             qc::AspectRatioPolicy::stretch) {
  ArrayRef<int64_t> xs = shapeOf(x);
  SmallVector<int64_t> out;
  if (dynScales || dynSizes) {
    scales.clear();
    // Unresized dims keep their size; resized ones are known only at run
    // time, except entries of a sizes vector that are known here (F3).
    SmallVector<int64_t> known;
    if (dynSizes)
      known = partialIntValues(dynSizes);
    if (dynSizes && policy != qc::AspectRatioPolicy::stretch) {
      // One scale over the axes (as the Executor computes it): the sizes
      // and the input dims must all be known to give static dims.
      bool allKnown = known.size() == axes.size() && !axes.empty();
      for (size_t k = 0; allKnown && k < axes.size(); ++k)
        allKnown = known[k] >= 1 && !ShapedType::isDynamic(xs[axes[k]]) &&
                   xs[axes[k]] > 0;
      SmallVector<int64_t> resolved;
      if (allKnown) {
        float sc = float(known[0]) / float(xs[axes[0]]);
        for (size_t k = 0; k < axes.size(); ++k) {
          float r = float(known[k]) / float(xs[axes[k]]);
          sc = policy == qc::AspectRatioPolicy::not_larger ? std::min(sc, r)
                                                          : std::max(sc, r);
        }
        for (int64_t a : axes)
          resolved.push_back(int64_t(std::floor(sc * float(xs[a]) + 0.5f)));
      }
      known = resolved;
    }
    DenseFPElementsAttr constScales;
    if (dynScales)
      if (auto c = dynScales.getDefiningOp<arith::ConstantOp>())
        constScales = dyn_cast<DenseFPElementsAttr>(c.getValue());
    if (constScales)
      for (auto [k, sc] : llvm::enumerate(constScales.getValues<float>())) {
        if (!(sc > 0.0f) || !std::isfinite(sc)) {
          n.emitError() << "scales must be finite and > 0";
          return failure();
        }
        int64_t d = k < axes.size() ? xs[axes[k]] : ShapedType::kDynamic;
        known.push_back(ShapedType::isDynamic(d)
                            ? ShapedType::kDynamic
                            : int64_t(std::floor(float(d) * sc)));
      }
    for (size_t d = 0; d < xs.size(); ++d) {
      auto it = llvm::find(axes, (int64_t)d);
      if (it == axes.end()) {
        out.push_back(xs[d]);
        continue;
      }
      size_t k = it - axes.begin();
      out.push_back(k < known.size() && known[k] >= 1 ? known[k]
                                                      : ShapedType::kDynamic);
    }
  } else if (sizes) {
    scales.clear();
    for (size_t i = 0; i < xs.size(); ++i) {
      int64_t o = (*sizes)[i];
      if (o < 1) {
        n.emitError() << "sizes " << intsStr(*sizes) << " must be >= 1";
        return failure();
      }
      out.push_back(o);
      if (ShapedType::isDynamic(xs[i])) {
        n.emitError() << "resizing dynamic dim " << i
                      << " to a fixed size is not supported";
        return failure();
      }
      scales.push_back(float(o) / float(xs[i]));
    }
  } else {
    for (size_t i = 0; i < xs.size(); ++i) {
      if (!(scales[i] > 0.0f) || !std::isfinite(scales[i])) {
        n.emitError() << "scales must be finite and > 0";
        return failure();
      }
      out.push_back(ShapedType::isDynamic(xs[i])
                        ? ShapedType::kDynamic
                        : int64_t(std::floor(float(xs[i]) * scales[i])));
      if (out.back() == 0) {
        n.emitError() << "scale " << scales[i] << " makes dim " << i
                      << " empty";
        return failure();
      }
    }
  }
  if (auto c = checkedElementCount(SmallVector<int64_t>(llvm::map_range(
          out, [](int64_t d) { return ShapedType::isDynamic(d) ? 1 : d; })));
      !c) {
    n.emitError() << "result: " << llvm::toString(c.takeError());
    return failure();
  }
  std::optional<qc::ResizeMode> rm = qc::symbolizeResizeMode(mode);
  if (!rm) {
    n.emitError() << "mode '" << mode
                  << "' is not supported (nearest, linear and cubic are)";
    return failure();
  }
  std::optional<qc::CoordinateTransformation> cm =
      qc::symbolizeCoordinateTransformation(ct);
  if (!cm) {
    n.emitError() << "coordinate_transformation_mode '" << ct
                  << "' is not supported (asymmetric, half_pixel, "
                     "half_pixel_symmetric, align_corners, "
                     "pytorch_half_pixel, tf_half_pixel_for_nn and "
                     "tf_crop_and_resize are)";
    return failure();
  }
  std::optional<qc::NearestMode> nm = qc::symbolizeNearestMode(nearest);
  if (!nm) {
    n.emitError() << "nearest_mode '" << nearest << "' is not supported";
    return failure();
  }
  OpBuilder &b = n.builder();
  MLIRContext *ctx = b.getContext();
  bool allAxes = axes.size() == xs.size();
  // (The result has x's float type: an f16 model's Resize stays f16.)
  auto op = qc::ResizeOp::create(
      b, n.loc, RankedTensorType::get(out, elementTypeOf(x)), x, roi,
      dynScales, dynSizes,
      b.getDenseF32ArrayAttr(scales), qc::ResizeModeAttr::get(ctx, *rm),
      qc::CoordinateTransformationAttr::get(ctx, *cm),
      qc::NearestModeAttr::get(ctx, *nm), b.getF32FloatAttr(cubicA),
      b.getBoolAttr(excludeOutside),
      allAxes || (!dynScales && !dynSizes && !roi)
          ? DenseI64ArrayAttr()
          : b.getDenseI64ArrayAttr(axes),
      b.getF32FloatAttr(extrapolation),
      qc::AspectRatioPolicyAttr::get(ctx, policy));
  n.setOutput(0, op.getResult());
  return success();
}

/// Resize-10 and Upsample-9: X, scales (constant or run-time); asymmetric
/// coordinates, nearest rounds down.
LogicalResult resizeWithScalesInput(NodeContext &n, Value x, StringRef mode) {
  FailureOr<ResizeParam> p = resizeParam(n, 1, /*isInt=*/false, "scales");
  if (failed(p))
    return failure();
  int64_t rank = shapeOf(x).size();
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < rank; ++d)
    all.push_back(d);
  if (p->value) {
    int64_t len = shapeOf(p->value)[0];
    if (!ShapedType::isDynamic(len) && len != rank) {
      n.emitError() << "scales must have one value per dim of "
                    << qc::dimsStr(shapeOf(x)) << ", got " << len;
      return failure();
    }
    return emitResize(n, x, {}, std::nullopt, mode, "asymmetric", "floor",
                      -0.75f, false, p->value, Value(), all);
  }
  if ((int64_t)p->f.size() != rank) {
    n.emitError() << "scales must have one value per dim of "
                  << qc::dimsStr(shapeOf(x));
    return failure();
  }
  return emitResize(n, x, p->f, std::nullopt, mode, "asymmetric", "floor");
}

/// Resize-10: X, scales.
LogicalResult importResize10(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  auto mode = n.stringAttr("mode", "nearest");
  if (failed(x) || failed(mode))
    return failure();
  return resizeWithScalesInput(n, *x, *mode);
}

/// Upsample-7 (scales attribute) and -9 (scales input): Resize-10's
/// semantics, which is what it was deprecated in favour of.
LogicalResult importUpsample(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  auto mode = n.stringAttr("mode", "nearest");
  if (failed(x) || failed(mode))
    return failure();
  StringRef m = *mode == "bilinear" ? "linear" : StringRef(*mode);
  if (n.opsetVersion >= 9)
    return resizeWithScalesInput(n, *x, m);
  const onnx::AttributeProto *a = n.attr("scales");
  if (!a || a->type() != onnx::AttributeProto::FLOATS) {
    n.emitError() << "attribute 'scales' (FLOATS) is required";
    return failure();
  }
  SmallVector<float> scales(a->floats().begin(), a->floats().end());
  if (scales.size() != shapeOf(*x).size()) {
    n.emitError() << "scales must have one value per dim of "
                  << qc::dimsStr(shapeOf(*x));
    return failure();
  }
  return emitResize(n, *x, scales, std::nullopt, m, "asymmetric", "floor");
}

/// Resize-11 and later: X, roi, scales, sizes (+ axes from 18).
LogicalResult importResize(NodeContext &n) {
  FailureOr<Value> x = n.floatInput(0);
  auto mode = n.stringAttr("mode", "nearest");
  auto ct = n.stringAttr("coordinate_transformation_mode", "half_pixel");
  auto nearest = n.stringAttr("nearest_mode", "round_prefer_floor");
  auto policy = n.stringAttr("keep_aspect_ratio_policy", "stretch");
  auto axesAttr = n.intsAttr("axes");
  if (failed(x) || failed(mode) || failed(ct) || failed(nearest) ||
      failed(policy) || failed(axesAttr) ||
      failed(rejectIntAttr(n, "antialias", 0, "antialiasing")))
    return failure();
  FailureOr<float> cubicA = n.floatAttr("cubic_coeff_a", -0.75f);
  FailureOr<int64_t> exclude = n.intAttr("exclude_outside", 0);
  FailureOr<float> extrapolation = n.floatAttr("extrapolation_value", 0.0f);
  if (failed(cubicA) || failed(exclude) || failed(extrapolation))
    return failure();
  std::optional<qc::AspectRatioPolicy> aspect =
      qc::symbolizeAspectRatioPolicy(*policy);
  if (!aspect) {
    n.emitError() << "keep_aspect_ratio_policy '" << *policy
                  << "' is not supported (stretch, not_larger and "
                     "not_smaller are)";
    return failure();
  }
  int64_t rank = shapeOf(*x).size();
  SmallVector<int64_t> axes;
  if (*axesAttr) {
    for (int64_t a : **axesAttr) {
      if (a < -rank || a >= rank) {
        n.emitError() << "axis " << a << " is out of range for rank " << rank;
        return failure();
      }
      a = a < 0 ? a + rank : a;
      if (llvm::is_contained(axes, a)) {
        n.emitError() << "axes " << intsStr(**axesAttr)
                      << " name dim " << a << " twice";
        return failure();
      }
      axes.push_back(a);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  int64_t nAxes = axes.size();
  FailureOr<ResizeParam> scales = resizeParam(n, 2, /*isInt=*/false, "scales");
  FailureOr<ResizeParam> sizesIn = resizeParam(n, 3, /*isInt=*/true, "sizes");
  if (failed(scales) || failed(sizesIn))
    return failure();
  if (scales->given && sizesIn->given) {
    n.emitError() << "only one of scales and sizes may be given";
    return failure();
  }
  if (!scales->given && !sizesIn->given) {
    n.emitError() << "one of scales and sizes must be given, with " << nAxes
                  << " values";
    return failure();
  }
  // The crop box, for tf_crop_and_resize only (other modes ignore it).
  Value roi;
  if (*ct == "tf_crop_and_resize") {
    FailureOr<ResizeParam> r = resizeParam(n, 1, /*isInt=*/false, "roi");
    if (failed(r))
      return failure();
    if (!r->given) {
      n.emitError() << "tf_crop_and_resize needs the roi input";
      return failure();
    }
    if (!r->value && (int64_t)r->f.size() != 2 * nAxes) {
      n.emitError() << "roi must have " << 2 * nAxes
                    << " values (starts then ends), got " << r->f.size();
      return failure();
    }
    FailureOr<Value> v = n.floatInput(1);
    if (failed(v))
      return failure();
    roi = *v;
  }
  // Axes are sorted for the op; the run-time operands follow the model's
  // order, so a permuted axes list needs constant scales/sizes.
  SmallVector<int64_t> sortedAxes(axes);
  llvm::sort(sortedAxes);
  ResizeParam &given = scales->given ? *scales : *sizesIn;
  bool stretch = *aspect == qc::AspectRatioPolicy::stretch;
  if (given.value || roi || (!stretch && sizesIn->given)) {
    if (sortedAxes != axes) {
      n.emitError() << "axes " << intsStr(axes)
                    << " must be sorted when scales, sizes or roi are "
                       "computed at run time (or sizes come with a "
                       "keep_aspect_ratio_policy)";
      return failure();
    }
    if (given.value) {
      int64_t len = shapeOf(given.value)[0];
      if (!ShapedType::isDynamic(len) && len != nAxes) {
        n.emitError() << (scales->given ? "scales" : "sizes") << " must have "
                      << nAxes << " values, got " << len;
        return failure();
      }
    }
  }
  // A keep_aspect_ratio_policy other than stretch applies to sizes only
  // (N13): the op takes them as an operand and resolves the scale.
  bool policySizes = !stretch && sizesIn->given;
  if (given.value || roi || policySizes) {
    // Run-time parameters (or a crop box): the op takes them as operands.
    Value dynScales = scales->given ? given.value : Value();
    Value dynSizes = sizesIn->given ? given.value : Value();
    OpBuilder &b = n.builder();
    auto constVec = [&](auto vals, Type et) -> Value {
      auto type = RankedTensorType::get({(int64_t)vals.size()}, et);
      return arith::ConstantOp::create(
                 b, n.loc, DenseElementsAttr::get(type, ArrayRef(vals)))
          .getResult();
    };
    if (!given.value && scales->given) {
      if ((int64_t)scales->f.size() != nAxes) {
        n.emitError() << "scales must have " << nAxes << " values";
        return failure();
      }
      dynScales = constVec(scales->f, b.getF32Type());
    } else if (!given.value) {
      if ((int64_t)sizesIn->i.size() != nAxes) {
        n.emitError() << "sizes must have " << nAxes << " values";
        return failure();
      }
      dynSizes = constVec(sizesIn->i, b.getI64Type());
    }
    return emitResize(n, *x, {}, std::nullopt, *mode, *ct, *nearest, *cubicA,
                      *exclude != 0, dynScales, dynSizes, axes, roi,
                      *extrapolation,
                      dynSizes ? *aspect : qc::AspectRatioPolicy::stretch);
  }
  std::optional<SmallVector<int64_t>> sizes;
  SmallVector<float> full(rank, 1.0f);
  if (sizesIn->given) {
    if ((int64_t)sizesIn->i.size() != nAxes) {
      n.emitError() << "sizes must have " << nAxes << " values";
      return failure();
    }
    sizes = SmallVector<int64_t>(shapeOf(*x));
    for (auto [i, a] : llvm::enumerate(axes))
      (*sizes)[a] = sizesIn->i[i];
  } else {
    if ((int64_t)scales->f.size() != nAxes) {
      n.emitError() << "one of scales and sizes must be given, with "
                    << nAxes << " values";
      return failure();
    }
    for (auto [i, a] : llvm::enumerate(axes))
      full[a] = scales->f[i];
  }
  return emitResize(n, *x, full, sizes, *mode, *ct, *nearest, *cubicA,
                    *exclude != 0);
}

//===----------------------------------------------------------------------===//
// Integer ops
//===----------------------------------------------------------------------===//

/// Input `i` as an i8/ui8 (or, with `allowI32`, i32) tensor: a graph input or
/// an earlier node's result of that type, or a constant materialized here.
FailureOr<Value> intInput(NodeContext &n, int i, bool allowI32 = false) {
  if (!n.hasInput(i)) {
    n.emitError() << "input " << i << " is missing";
    return failure();
  }
  MLIRContext *ctx = n.getContext();
  if (const onnx::TensorProto *t = n.constantInput(i)) {
    int32_t dt = t->data_type();
    Type et;
    if (dt == onnx::TensorProto::UINT8)
      et = IntegerType::get(ctx, 8, IntegerType::Unsigned);
    else if (dt == onnx::TensorProto::INT8)
      et = IntegerType::get(ctx, 8);
    else if (dt == onnx::TensorProto::INT32 && allowI32)
      et = IntegerType::get(ctx, 32);
    if (!et) {
      n.emitError() << "constant '" << n.node.input(i) << "' has element type "
                    << dataTypeName(dt) << ", expected UINT8 or INT8"
                    << (allowI32 ? " or INT32" : "");
      return failure();
    }
    Value &cached = n.graph.materialized[t];
    if (cached)
      return cached;
    auto type = RankedTensorType::get(tensorShape(*t), et);
    int64_t count = type.getNumElements();
    int64_t width = dt == onnx::TensorProto::INT32 ? 4 : 1;
    SmallVector<APInt> vals;
    if (t->has_raw_data()) {
      if ((int64_t)t->raw_data().size() != count * width) {
        n.emitError() << "constant '" << n.node.input(i) << "' has "
                      << t->raw_data().size() << " bytes of raw_data, "
                      << "expected " << count * width;
        return failure();
      }
      const char *p = t->raw_data().data();
      for (int64_t k = 0; k < count; ++k) {
        uint32_t v = 0;
        std::memcpy(&v, p + k * width, width); // little-endian (ONNX)
        vals.push_back(APInt(width * 8, v));
      }
    } else {
      if (t->int32_data_size() != count) {
        n.emitError() << "constant '" << n.node.input(i) << "' has "
                      << t->int32_data_size() << " int32_data values, "
                      << "expected " << count;
        return failure();
      }
      for (int32_t v : t->int32_data())
        vals.push_back(APInt(width * 8, uint64_t(uint32_t(v)) &
                                            (width == 4 ? 0xFFFFFFFFu : 0xFFu)));
    }
    cached = arith::ConstantOp::create(n.builder(), n.loc,
                                       DenseElementsAttr::get(type, vals))
                 .getResult();
    return cached;
  }
  FailureOr<Value> v = n.graph.getValue(n.node.input(i), false, &n);
  if (failed(v))
    return failure();
  Type et = cast<RankedTensorType>(v->getType()).getElementType();
  if (!et.isInteger(8) && !(allowI32 && et.isInteger(32))) {
    n.emitError() << "input " << i << " ('" << n.node.input(i)
                  << "') must be uint8 or int8, got " << et;
    return failure();
  }
  return v;
}

/// The zero point of operand `i` (input `zi`), or a 0 of its type.
FailureOr<Value> zeroPoint(NodeContext &n, int zi, Value operand) {
  if (n.hasInput(zi)) {
    FailureOr<Value> z = intInput(n, zi);
    if (failed(z))
      return failure();
    if (cast<RankedTensorType>(z->getType()).getElementType() !=
        cast<RankedTensorType>(operand.getType()).getElementType()) {
      n.emitError() << "zero point input " << zi
                    << " must have its operand's element type";
      return failure();
    }
    return z;
  }
  auto type = RankedTensorType::get(
      {}, cast<RankedTensorType>(operand.getType()).getElementType());
  return arith::ConstantOp::create(
             n.builder(), n.loc,
             DenseElementsAttr::get(type, APInt(8, 0)))
      .getResult();
}

/// A scalar of shape [1] becomes a scalar; per-axis zero points stay 1-D.
LogicalResult checkZeroShape(NodeContext &n, Value z, int64_t allowed,
                             StringRef what) {
  ArrayRef<int64_t> s = shapeOf(z);
  int64_t count = 1;
  for (int64_t d : s)
    count *= d;
  if (count == 1 || (s.size() == 1 && s[0] == allowed))
    return success();
  n.emitError() << what << " zero point must be a scalar or have " << allowed
                << " values, got " << qc::dimsStr(s);
  return failure();
}

FailureOr<Value> emitMatMulInteger(NodeContext &n, Value a, Value b, Value az,
                                   Value bz) {
  ArrayRef<int64_t> as = shapeOf(a), bs = shapeOf(b);
  if (as.size() >= 2 && bs.size() >= 2 &&
      (failed(checkZeroShape(n, az, as[as.size() - 2], "A")) ||
       failed(checkZeroShape(n, bz, bs.back(), "B"))))
    return failure();
  FailureOr<qc::MatMulIntegerOp> op =
      n.build<qc::MatMulIntegerOp>(a, b, az, bz);
  if (failed(op))
    return failure();
  return op->getResult();
}

FailureOr<Value> emitConvInteger(NodeContext &n, Value x, Value w, Value xz,
                                 Value wz) {
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(w);
  FailureOr<int64_t> group = n.intAttr("group", 1);
  if (failed(group))
    return failure();
  if (xs.size() < 3) {
    n.emitError() << "input must be [N, C, D...], got " << qc::dimsStr(xs);
    return failure();
  }
  Window win;
  if (failed(checkKernel(n, xs, ws, win)) || failed(readWindow(n, win, xs)))
    return failure();
  if (failed(checkZeroShape(n, xz, 1, "x")) ||
      failed(checkZeroShape(n, wz, ws[0], "w")))
    return failure();
  FailureOr<qc::ConvIntegerOp> op = n.build<qc::ConvIntegerOp>(
      x, w, xz, wz, win.strides, win.pads, win.dilations, *group);
  if (failed(op))
    return failure();
  return op->getResult();
}

/// MatMulInteger / ConvInteger: a, b and their optional zero points
/// (inputs 2, 3) to `emit`.
template <FailureOr<Value> (*Emit)(NodeContext &, Value, Value, Value, Value)>
LogicalResult importInteger(NodeContext &n) {
  FailureOr<Value> a = intInput(n, 0), b = intInput(n, 1);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> az = zeroPoint(n, 2, *a), bz = zeroPoint(n, 3, *b);
  if (failed(az) || failed(bz))
    return failure();
  FailureOr<Value> y = Emit(n, *a, *b, *az, *bz);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// A float scale input flattened to [] or [k].
FailureOr<Value> scaleInput(NodeContext &n, int i) {
  FailureOr<Value> s = n.floatInput(i);
  if (failed(s))
    return failure();
  if (shapeOf(*s).size() > 1) {
    n.emitError() << "scale input " << i << " must be a scalar or 1-D, got "
                  << qc::dimsStr(shapeOf(*s));
    return failure();
  }
  return s;
}

/// a_scale * b_scale / y_scale, in f32 as ONNX Runtime computes it.
FailureOr<Value> combinedScale(NodeContext &n, Value as, Value bs, Value ys) {
  auto mulShape = qc::broadcastShapes(shapeOf(as), shapeOf(bs));
  if (failed(mulShape)) {
    n.emitError() << "scales do not broadcast";
    return failure();
  }
  auto divShape = qc::broadcastShapes(*mulShape, shapeOf(ys));
  if (failed(divShape) || divShape->size() > 1) {
    n.emitError() << "scales do not broadcast to a scalar or one per channel";
    return failure();
  }
  // The qc core ops are built by name so this file needs no core header.
  OperationState mul(n.loc, "qc.mul");
  mul.addOperands({as, bs});
  mul.addTypes(f32Tensor(n, *mulShape));
  Value m = n.builder().create(mul)->getResult(0);
  OperationState div(n.loc, "qc.div");
  div.addOperands({m, ys});
  div.addTypes(f32Tensor(n, *divShape));
  return n.builder().create(div)->getResult(0);
}

/// QLinearMatMul / QLinearConv: the exact integer product of (a, b) by
/// `emit` (MatMulInteger's or ConvInteger's), requantized to y's scale and
/// zero point along `axis` of the product (-1: its last), plus QLinearConv's
/// optional INT32 bias (input 8).
LogicalResult importQLinear(NodeContext &n,
                            FailureOr<Value> (*emit)(NodeContext &, Value,
                                                     Value, Value, Value),
                            int64_t axis) {
  FailureOr<Value> a = intInput(n, 0), as = scaleInput(n, 1),
                   az = intInput(n, 2), b = intInput(n, 3),
                   bs = scaleInput(n, 4), bz = intInput(n, 5),
                   ys = scaleInput(n, 6), yz = intInput(n, 7);
  if (failed(a) || failed(as) || failed(az) || failed(b) || failed(bs) ||
      failed(bz) || failed(ys) || failed(yz))
    return failure();
  FailureOr<Value> acc = emit(n, *a, *b, *az, *bz);
  if (failed(acc))
    return failure();
  FailureOr<Value> scale = combinedScale(n, *as, *bs, *ys);
  if (failed(scale))
    return failure();
  ArrayRef<int64_t> accShape = shapeOf(*acc);
  if (axis < 0)
    axis += accShape.size();
  Value bias;
  if (n.hasInput(8)) {
    FailureOr<Value> c = intInput(n, 8, /*allowI32=*/true);
    if (failed(c))
      return failure();
    if (!elementTypeOf(*c).isInteger(32) || shapeOf(*c).size() != 1 ||
        shapeOf(*c)[0] != accShape[axis]) {
      n.emitError() << "bias must be INT32 [" << accShape[axis] << "]";
      return failure();
    }
    bias = *c;
  }
  auto yzType = cast<RankedTensorType>(yz->getType());
  if (yzType.getRank() > 1 || yzType.getNumElements() != 1) {
    n.emitError() << "y_zero_point must be a scalar";
    return failure();
  }
  auto type = RankedTensorType::get(accShape, yzType.getElementType());
  n.setOutput(0, qc::RequantizeLinearOp::create(
                     n.builder(), n.loc, type, *acc, *scale, *yz, bias,
                     n.builder().getI64IntegerAttr(axis))
                     .getResult());
  return success();
}

LogicalResult importQLinearMatMul(NodeContext &n) {
  return importQLinear(n, emitMatMulInteger, -1);
}

LogicalResult importQLinearConv(NodeContext &n) {
  return importQLinear(n, emitConvInteger, 1);
}

/// ONNX's recurrent activation names (matched ignoring case, as ONNX
/// Runtime does), their defaults of alpha and beta (ONNX leaves them
/// unsaid; ONNX Runtime's: LeakyRelu 0.01, HardSigmoid 0.2 and 0.5, Elu
/// 1, the others 0), and whether they take them: `activation_alpha` /
/// `activation_beta` are consumed in order by the activations that take
/// them.
struct RnnActivationSpec {
  qc::RnnActivation kind;
  std::optional<float> alpha, beta;
};
std::optional<RnnActivationSpec> rnnActivationSpec(llvm::StringRef name) {
  using K = qc::RnnActivation;
  std::string l = name.lower();
  static const std::pair<const char *, RnnActivationSpec> table[] = {
      {"sigmoid", {K::Sigmoid, {}, {}}},
      {"tanh", {K::Tanh, {}, {}}},
      {"relu", {K::Relu, {}, {}}},
      {"affine", {K::Affine, 0.0f, 0.0f}},
      {"leakyrelu", {K::LeakyRelu, 0.01f, {}}},
      {"thresholdedrelu", {K::ThresholdedRelu, 0.0f, {}}},
      {"scaledtanh", {K::ScaledTanh, 0.0f, 0.0f}},
      {"hardsigmoid", {K::HardSigmoid, 0.2f, 0.5f}},
      {"elu", {K::Elu, 1.0f, {}}},
      {"softsign", {K::Softsign, {}, {}}},
      {"softplus", {K::Softplus, {}, {}}}};
  for (const auto &[n, spec] : table)
    if (l == n)
      return spec;
  return std::nullopt;
}

/// LSTM, GRU and RNN 1, 7, 14 (layout), 22: qc.lstm / qc.gru / qc.rnn on
/// [seq, batch, input] (N16); layout 1 transposes the inputs and outputs
/// around it.
template <typename OpTy> LogicalResult importRecurrent(NodeContext &n) {
  constexpr bool isLstm = std::is_same_v<OpTy, qc::LstmOp>;
  constexpr bool isGru = std::is_same_v<OpTy, qc::GruOp>;
  constexpr int64_t perDir = isLstm ? 3 : isGru ? 2 : 1;
  MLIRContext *ctx = n.getContext();
  FailureOr<Value> x = n.floatInput(0), w = n.floatInput(1),
                   r = n.floatInput(2);
  FailureOr<std::string> dirName = n.stringAttr("direction", "forward");
  FailureOr<int64_t> layout = n.intAttr("layout", 0);
  FailureOr<int64_t> inputForget = n.intAttr("input_forget", 0);
  FailureOr<int64_t> linearBeforeReset = n.intAttr("linear_before_reset", 0);
  if (failed(x) || failed(w) || failed(r) || failed(dirName) ||
      failed(layout) || failed(inputForget) || failed(linearBeforeReset))
    return failure();
  std::optional<qc::RnnDirection> dir = qc::symbolizeRnnDirection(*dirName);
  if (!dir) {
    n.emitError() << "direction '" << *dirName
                  << "' is not forward, reverse or bidirectional";
    return failure();
  }
  if (*layout != 0 && *layout != 1) {
    n.emitError() << "layout must be 0 or 1, got " << *layout;
    return failure();
  }
  int64_t dirs = *dir == qc::RnnDirection::bidirectional ? 2 : 1;
  // hidden_size: the attribute, or R's last dimension.
  int64_t hidden = ShapedType::kDynamic;
  if (n.attr("hidden_size")) {
    FailureOr<int64_t> hs = n.intAttr("hidden_size", 0);
    if (failed(hs))
      return failure();
    hidden = *hs;
  } else if (shapeOf(*r).size() == 3) {
    hidden = shapeOf(*r)[2];
  }
  if (ShapedType::isDynamic(hidden) || hidden < 1) {
    n.emitError() << "hidden_size must be a positive number (an attribute, "
                     "or R's static last dimension)";
    return failure();
  }
  // Activations per direction (LSTM f, g, h: Sigmoid, Tanh, Tanh; GRU f,
  // g: Sigmoid, Tanh; RNN f: Tanh), the defaults for every direction; a
  // given list names each direction's (as ONNX Runtime requires).
  SmallVector<std::string> names;
  if (const onnx::AttributeProto *a = n.attr("activations"))
    for (const std::string &v : a->strings())
      names.push_back(v);
  if (names.empty()) {
    if (isLstm)
      names = {"Sigmoid", "Tanh", "Tanh"};
    else if (isGru)
      names = {"Sigmoid", "Tanh"};
    else
      names = {"Tanh"};
    if (dirs == 2)
      names.append(SmallVector<std::string>(names));
  }
  if ((int64_t)names.size() != perDir * dirs) {
    n.emitError() << "expects " << perDir * dirs << " activations ("
                  << perDir << " per direction), got " << names.size();
    return failure();
  }
  SmallVector<float> alphaIn, betaIn;
  if (const onnx::AttributeProto *a = n.attr("activation_alpha"))
    alphaIn.assign(a->floats().begin(), a->floats().end());
  if (const onnx::AttributeProto *a = n.attr("activation_beta"))
    betaIn.assign(a->floats().begin(), a->floats().end());
  SmallVector<Attribute> acts;
  SmallVector<float> alpha, beta;
  size_t ai = 0, bi = 0;
  for (const std::string &name : names) {
    std::optional<RnnActivationSpec> spec = rnnActivationSpec(name);
    if (!spec) {
      n.emitError() << "activation '" << name
                    << "' is not one of ONNX's recurrent activations "
                       "(Sigmoid, Tanh, Relu, Affine, LeakyRelu, "
                       "ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, "
                       "Softsign, Softplus)";
      return failure();
    }
    acts.push_back(qc::RnnActivationAttr::get(ctx, spec->kind));
    alpha.push_back(spec->alpha ? (ai < alphaIn.size() ? alphaIn[ai++]
                                                       : *spec->alpha)
                                : 0.0f);
    beta.push_back(spec->beta ? (bi < betaIn.size() ? betaIn[bi++]
                                                    : *spec->beta)
                              : 0.0f);
  }
  FloatAttr clip;
  if (n.attr("clip")) {
    FailureOr<float> c = n.floatAttr("clip", 0.0f);
    if (failed(c))
      return failure();
    clip = FloatAttr::get(Float32Type::get(ctx), *c);
  }
  auto optional = [&](int i, bool isFloat) -> FailureOr<Value> {
    if (!n.hasInput(i))
      return Value();
    return isFloat ? n.floatInput(i) : n.anyInput(i);
  };
  FailureOr<Value> b = optional(3, true), lens = optional(4, false),
                   h0 = optional(5, true),
                   c0 = isLstm ? optional(6, true) : FailureOr<Value>(Value()),
                   p = isLstm ? optional(7, true) : FailureOr<Value>(Value());
  if (failed(b) || failed(lens) || failed(h0) || failed(c0) || failed(p))
    return failure();
  if (*lens && !isa<IntegerType>(elementTypeOf(*lens))) {
    n.emitError() << "sequence_lens must be integers, got "
                  << elementTypeOf(*lens);
    return failure();
  }
  Value xs = *x, hs = *h0, cs = *c0;
  if (*layout == 1) { // [batch, seq, ...] -> [seq, batch, ...]
    for (Value *v : {&xs, &hs, &cs}) {
      if (!*v)
        continue;
      if (shapeOf(*v).size() != 3) {
        n.emitError() << "layout 1 inputs must have rank 3, got "
                      << v->getType();
        return failure();
      }
      FailureOr<Value> t = emitTranspose(n, *v, {1, 0, 2});
      if (failed(t))
        return failure();
      *v = *t;
    }
  }
  OpBuilder &bld = n.builder();
  auto common = [&] {
    return std::make_tuple(bld.getI64IntegerAttr(hidden),
                           qc::RnnDirectionAttr::get(ctx, *dir),
                           bld.getArrayAttr(acts),
                           bld.getDenseF32ArrayAttr(alpha),
                           bld.getDenseF32ArrayAttr(beta), clip);
  };
  auto [hsA, dirA, actsA, alphaA, betaA, clipA] = common();
  FailureOr<OpTy> op;
  if constexpr (isLstm)
    op = n.build<OpTy>(xs, *w, *r, *b, *lens, hs, cs, *p, hsA, dirA, actsA,
                       alphaA, betaA, clipA,
                       bld.getBoolAttr(*inputForget != 0));
  else if constexpr (isGru)
    op = n.build<OpTy>(xs, *w, *r, *b, *lens, hs, hsA, dirA, actsA, alphaA,
                       betaA, clipA, bld.getBoolAttr(*linearBeforeReset != 0));
  else
    op = n.build<OpTy>(xs, *w, *r, *b, *lens, hs, hsA, dirA, actsA, alphaA,
                       betaA, clipA);
  if (failed(op))
    return failure();
  SmallVector<Value> outs((*op)->getResults());
  if (*layout == 1) { // Y [seq, D, batch, H] -> [batch, seq, D, H]
    for (auto [i, v] : llvm::enumerate(outs)) {
      FailureOr<Value> t = i == 0 ? emitTranspose(n, v, {2, 0, 1, 3})
                                  : emitTranspose(n, v, {1, 0, 2});
      if (failed(t))
        return failure();
      v = *t;
    }
  }
  for (auto [i, v] : llvm::enumerate(outs))
    n.setOutput(i, v);
  return success();
}

} // namespace

llvm::ArrayRef<OnnxOpHandlerSpec> quantc::onnx_import::getNNOnnxOpHandlers() {
  static const OnnxOpHandlerSpec table[] = {
      {"AveragePool", {1, 7, 10, 11, 19, 22}, 1, 1, 1, 1, importAveragePool},
      {"BatchNormalization", {1, 6, 7, 9}, 5, 5, 1, 5, importBatchNorm},
      {"BatchNormalization", {14, 15}, 5, 5, 1, 3, importBatchNorm},
      {"Conv", {1, 11, 22}, 2, 3, 1, 1, importConv},
      {"Dropout", {6, 7, 10, 12, 13, 22}, 1, 3, 1, 2, importDropout},
      {"InstanceNormalization", {6, 22}, 3, 3, 1, 1, importInstanceNorm},
      {"LRN", {1, 13}, 1, 1, 1, 1, importLRN},
      {"MeanVarianceNormalization",
       {9, 13},
       1,
       1,
       1,
       1,
       importMeanVarianceNorm},
      {"ConvInteger", {10}, 2, 4, 1, 1, importInteger<emitConvInteger>},
      {"ConvTranspose", {1, 11, 22}, 2, 3, 1, 1, importConvTranspose},
      {"GlobalAveragePool",
       {1, 22},
       1,
       1,
       1,
       1,
       importGlobalPool<qc::GlobalAvgPoolOp>},
      {"GlobalMaxPool",
       {1, 22},
       1,
       1,
       1,
       1,
       importGlobalPool<qc::GlobalMaxPoolOp>},
      {"MatMulInteger", {10}, 2, 4, 1, 1, importInteger<emitMatMulInteger>},
      {"GRU", {1, 3, 7, 14, 22}, 3, 6, 0, 2, importRecurrent<qc::GruOp>},
      {"LSTM", {1, 7, 14, 22}, 3, 8, 0, 3, importRecurrent<qc::LstmOp>},
      {"RNN", {1, 7, 14, 22}, 3, 6, 0, 2, importRecurrent<qc::RnnOp>},
      {"NonMaxSuppression", {10, 11}, 2, 5, 1, 1, importNonMaxSuppression},
      {"MaxPool", {1}, 1, 1, 1, 1, importMaxPool},
      {"MaxPool", {8, 10, 11, 12, 22}, 1, 1, 1, 2, importMaxPool},
      {"QLinearConv", {10}, 8, 9, 1, 1, importQLinearConv},
      {"QLinearMatMul", {10, 21}, 8, 8, 1, 1, importQLinearMatMul},
      {"Resize", {10}, 2, 2, 1, 1, importResize10},
      {"Resize", {11, 13, 18, 19}, 1, 4, 1, 1, importResize},
      {"Upsample", {7}, 1, 1, 1, 1, importUpsample},
      {"Upsample", {9}, 2, 2, 1, 1, importUpsample},
  };
  return table;
}
