//===- QCDialect.cpp - qc dialect registration ----------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Numerics/Calibration.h"
#include "quantc/Numerics/Precision.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace quantc::qc;

#include "quantc/Dialect/QC/IR/QCDialect.cpp.inc"

void QCDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "quantc/Dialect/QC/IR/QCOps.cpp.inc"
      >();
  registerQuantOps();
  registerMathOps();
  registerShapeOps();
  registerNNOps();
}

//===----------------------------------------------------------------------===//
// Annotations: the discardable qc.* attributes (docs/Dialect.md)
//===----------------------------------------------------------------------===//

namespace {
enum class Kind {
  Stats,      // #qc.stats
  Scheme,     // #qc.scheme
  Unit,       // a marker
  NonNegF32,  // a float >= 0
  Alpha,      // a float in [0, 1]
  F32Array,   // array<f32>
  I64Array,   // array<i64>, entries >= 0
  Matrix,     // a square 2-D f32 tensor (dense or dense_resource)
  Format,     // a format name qc-assign-precision assigns
  CalibMethod,
  WeightMethod,
  FloatDict,  // {name = float, ...}
  Precision,  // qc-assign-precision's summary, on a function
  Name,       // a string, on a function argument or result only
  Kernel,     // a symbol reference to a gpu.func (@module::@kernel)
  KMajor,     // unit, on a K-major e4m3 weight dequantize (qc-kmajor-weights)
};

const llvm::StringMap<Kind> &annotations() {
  static const llvm::StringMap<Kind> m = {
      {"qc.input_stats", Kind::Stats},
      {"qc.lhs_stats", Kind::Stats},
      {"qc.rhs_stats", Kind::Stats},
      {"qc.result_stats", Kind::Stats},
      {"qc.lhs_range", Kind::Stats},
      {"qc.rhs_range", Kind::Stats},
      {"qc.act_scheme", Kind::Scheme},
      {"qc.weight_scheme", Kind::Scheme},
      {"qc.imported_qdq", Kind::Unit},
      {"qc.act_dynamic", Kind::Unit},
      {"qc.outlier_side", Kind::Unit},
      {"qc.weight_rel_rms_error", Kind::NonNegF32},
      {"qc.act_tensor_scale", Kind::NonNegF32},
      {"qc.modelled_latency_us", Kind::NonNegF32},
      {"qc.smooth_alpha", Kind::Alpha},
      {"qc.lhs_channel_min", Kind::F32Array},
      {"qc.lhs_channel_max", Kind::F32Array},
      {"qc.lhs_channel_mean", Kind::F32Array},
      {"qc.bias_corrected", Kind::Unit},
      {"qc.outlier_channels", Kind::I64Array},
      {"qc.lhs_hessian", Kind::Matrix},
      {"qc.assigned_format", Kind::Format},
      {"qc.calib_method", Kind::CalibMethod},
      {"qc.weight_method", Kind::WeightMethod},
      {"qc.sensitivity", Kind::FloatDict},
      {"qc.precision", Kind::Precision},
      {"qc.name", Kind::Name},
      {"qc.gpu_kernel", Kind::Kernel},
      {"qc.kmajor_weight", Kind::KMajor},
  };
  return m;
}

bool nonNegative(Attribute a) {
  auto f = dyn_cast<FloatAttr>(a);
  return f && f.getValueAsDouble() >= 0 && std::isfinite(f.getValueAsDouble());
}

/// Why `value` is not a valid `kind`, or "" when it is.
std::string check(Kind kind, Attribute value) {
  switch (kind) {
  case Kind::Stats:
    return isa<StatsAttr>(value) ? "" : "a #qc.stats attribute";
  case Kind::Scheme:
    return isa<SchemeAttr>(value) ? "" : "a #qc.scheme attribute";
  case Kind::Unit:
    return isa<UnitAttr>(value) ? "" : "a unit attribute";
  case Kind::NonNegF32:
    return nonNegative(value) ? "" : "a finite float >= 0";
  case Kind::Alpha: {
    auto f = dyn_cast<FloatAttr>(value);
    return f && f.getValueAsDouble() >= 0 && f.getValueAsDouble() <= 1
               ? ""
               : "a float in [0, 1]";
  }
  case Kind::F32Array:
    return isa<DenseF32ArrayAttr>(value) ? "" : "an array<f32>";
  case Kind::I64Array: {
    auto a = dyn_cast<DenseI64ArrayAttr>(value);
    return a && llvm::all_of(a.asArrayRef(), [](int64_t v) { return v >= 0; })
               ? ""
               : "an array<i64> of channel indices >= 0";
  }
  case Kind::Matrix: {
    auto e = dyn_cast<ElementsAttr>(value);
    auto t = e ? dyn_cast<RankedTensorType>(e.getType()) : RankedTensorType();
    return t && t.getRank() == 2 && t.getDimSize(0) == t.getDimSize(1) &&
                   t.getElementType().isF32()
               ? ""
               : "a square 2-D f32 tensor";
  }
  case Kind::Format: {
    // What qc-assign-precision can assign: the formats with a storage cost.
    auto s = dyn_cast<StringAttr>(value);
    return s && quantc::numerics::weightBitsPerElement(s.getValue(), 128, 128)
               ? ""
               : "a weight format qc-assign-precision assigns (int4-g128, "
                 "nvfp4, int8, fp8, fp8-1x128, mxfp8, mxfp6, mxfp4, bf16, "
                 "f32)";
  }
  case Kind::CalibMethod: {
    auto s = dyn_cast<StringAttr>(value);
    return s && quantc::numerics::parseCalibMethod(s.getValue())
               ? ""
               : "one of \"minmax\", \"percentile\", \"entropy\", \"mse\"";
  }
  case Kind::WeightMethod: {
    auto s = dyn_cast<StringAttr>(value);
    return s && (s.getValue() == "rtn" || s.getValue() == "gptq")
               ? ""
               : "\"rtn\" or \"gptq\"";
  }
  case Kind::FloatDict: {
    auto d = dyn_cast<DictionaryAttr>(value);
    return d && llvm::all_of(d, [](NamedAttribute e) {
             return isa<FloatAttr>(e.getValue());
           })
               ? ""
               : "a dictionary of floats";
  }
  case Kind::Precision: {
    auto d = dyn_cast<DictionaryAttr>(value);
    return d && d.getAs<FloatAttr>("bits") && d.getAs<ArrayAttr>("pareto")
               ? ""
               : "a dictionary with 'bits' and 'pareto' (qc-assign-precision)";
  }
  case Kind::Kernel:
    return isa<SymbolRefAttr>(value) ? "" : "a symbol reference to a kernel";
  case Kind::Name:
    return isa<StringAttr>(value) ? "" : "a string";
  case Kind::KMajor:
    return isa<UnitAttr>(value) ? "" : "a unit attribute";
  }
  return "";
}

/// The attribute `attr` of the dialect's namespace where `place` says:
/// "op" (on an operation), "arg" or "result" (of a function).
LogicalResult verifyAnnotation(Operation *op, NamedAttribute attr,
                               StringRef place) {
  StringRef name = attr.getName().strref();
  auto it = annotations().find(name);
  if (it == annotations().end())
    return op->emitError() << "unknown qc attribute '" << name
                           << "' (docs/Dialect.md lists the annotations)";
  Kind kind = it->second;
  if (kind == Kind::Name && place == "op")
    return op->emitError() << "'" << name
                           << "' names a function argument or result; it "
                              "does not go on an operation";
  if (kind != Kind::Name && place != "op")
    return op->emitError() << "'" << name
                           << "' is an operation attribute, not one of a "
                           << place;
  if (kind == Kind::Precision && !isa<FunctionOpInterface>(op))
    return op->emitError() << "'" << name << "' belongs on a function";
  if (kind == Kind::KMajor) {
    auto d = dyn_cast<DequantizeLinearOp>(op);
    auto codes = d ? cast<RankedTensorType>(d.getCodes().getType())
                   : RankedTensorType();
    int64_t axis = d ? int64_t(d.getAxis()) : 0;
    axis = axis < 0 ? axis + 2 : axis;
    // e4m3: blocks of 128 along K, or per channel; int8 (i8/ui8): per
    // channel or one scale, without a zero point.
    bool int8 = d && codes.getElementType().isInteger(8);
    if (!d || codes.getRank() != 2 ||
        !(int8 || isa<Float8E4M3FNType>(codes.getElementType())) ||
        !(d.getBlockSize() == 128 ? axis == 1 && !int8
                                  : d.getBlockSize() == 0 && axis == 0) ||
        (int8 && d.getZeroPoint()))
      return op->emitError()
             << "'" << name
             << "' marks a qc.dequantize_linear of 2-D e4m3 codes [N, K] "
                "along axis 1 by blocks of 128, or of e4m3 or i8/ui8 codes "
                "(without a zero point) per channel along axis 0 "
                "(qc-kmajor-weights)";
  }
  std::string why = check(kind, attr.getValue());
  if (!why.empty())
    return op->emitError() << "'" << name << "' must be " << why << ", got "
                           << attr.getValue();
  return success();
}
} // namespace

LogicalResult QCDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  return verifyAnnotation(op, attr, "op");
}

LogicalResult QCDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned,
                                                  NamedAttribute attr) {
  return verifyAnnotation(op, attr, "function argument");
}

LogicalResult QCDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned,
                                                     NamedAttribute attr) {
  return verifyAnnotation(op, attr, "function result");
}

Operation *QCDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  if (auto typed = dyn_cast<TypedAttr>(value))
    if (typed.getType() == type)
      return arith::ConstantOp::create(builder, loc, type, typed);
  return nullptr;
}
