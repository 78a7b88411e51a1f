//===- OnnxExporter.cpp - qc IR -> ONNX QDQ model -------------------------===//
//
// One walk over the entry function; every op becomes one or a few standard
// ONNX nodes (opset 21, the newest QuantizeLinear ONNX Runtime 1.23's CPU
// provider implements for float8 outputs). Values of an E8M0 type (MX
// scales) travel as float32 tensors of their decoded values 2^(e-127): ONNX
// Runtime has no E8M0 type, and DequantizeLinear takes float scales.
// docs/Export.md lists the mapping and why each form was chosen.
//
//===----------------------------------------------------------------------===//
#include "quantc/Export/Onnx/OnnxExporter.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCFormats.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include "onnx/onnx.pb.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace quantc;

namespace {

constexpr int64_t kOpset = 21;

/// ONNX TensorProto data type of an element type, 0 if none.
int onnxType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF16())
    return onnx::TensorProto::FLOAT16;
  if (t.isBF16())
    return onnx::TensorProto::BFLOAT16;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (isa<Float8E4M3FNType>(t))
    return onnx::TensorProto::FLOAT8E4M3FN;
  if (isa<Float8E5M2Type>(t))
    return onnx::TensorProto::FLOAT8E5M2;
  // MX scales are carried decoded (see the file comment).
  if (isa<Float8E8M0FNUType>(t))
    return onnx::TensorProto::FLOAT;
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1:
      return onnx::TensorProto::BOOL;
    case 4:
      return u ? onnx::TensorProto::UINT4 : onnx::TensorProto::INT4;
    case 8:
      return u ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
    case 16:
      return u ? onnx::TensorProto::UINT16 : onnx::TensorProto::INT16;
    case 32:
      return u ? onnx::TensorProto::UINT32 : onnx::TensorProto::INT32;
    case 64:
      return u ? onnx::TensorProto::UINT64 : onnx::TensorProto::INT64;
    }
  }
  return 0;
}

bool isFloat8Code(Type t) { return isa<Float8E4M3FNType, Float8E5M2Type>(t); }

/// FP6/FP4 codes: ONNX has no FP6 type and ONNX Runtime 1.23 runs nothing
/// on FLOAT4E2M1 (scripts/probe_ort_subbyte.py), but every FP6/FP4 value is
/// exactly an E4M3FN value, so such values travel as FLOAT8E4M3FN tensors
/// of the same values (docs/Export.md).
bool isSubByteFloatCode(Type t) {
  return isa<Float6E2M3FNType, Float6E3M2FNType, Float4E2M1FNType>(t);
}

/// The ONNX type a value of element type `t` travels as inside the graph:
/// onnxType, except that FP6/FP4 codes are carried as FLOAT8E4M3FN.
int carriedType(Type t) {
  return isSubByteFloatCode(t) ? int(onnx::TensorProto::FLOAT8E4M3FN)
                               : onnxType(t);
}

/// Simple ops: same operands, no attributes of their own, one ONNX node.
const llvm::StringMap<llvm::StringRef> &simpleOps() {
  static const llvm::StringMap<llvm::StringRef> m = {
      {"qc.add", "Add"},         {"qc.sub", "Sub"},
      {"qc.mul", "Mul"},         {"qc.div", "Div"},
      {"qc.relu", "Relu"},       {"qc.matmul", "MatMul"},
      {"qc.neg", "Neg"},         {"qc.abs", "Abs"},
      {"qc.sqrt", "Sqrt"},       {"qc.reciprocal", "Reciprocal"},
      {"qc.exp", "Exp"},         {"qc.log", "Log"},
      {"qc.erf", "Erf"},         {"qc.tanh", "Tanh"},
      {"qc.sigmoid", "Sigmoid"}, {"qc.softplus", "Softplus"},
      {"qc.floor", "Floor"},     {"qc.ceil", "Ceil"},
      {"qc.round", "Round"},     {"qc.sin", "Sin"},
      {"qc.cos", "Cos"},         {"qc.sign", "Sign"},
      {"qc.max", "Max"},         {"qc.min", "Min"},
      {"qc.pow", "Pow"},         {"qc.where", "Where"},
      {"qc.equal", "Equal"},     {"qc.less", "Less"},
      {"qc.greater", "Greater"}, {"qc.not", "Not"},
      {"qc.and", "And"},         {"qc.or", "Or"},
      {"qc.hard_swish", "HardSwish"}, {"qc.tan", "Tan"},
      {"qc.asin", "Asin"},       {"qc.acos", "Acos"},
      {"qc.atan", "Atan"},       {"qc.sinh", "Sinh"},
      {"qc.cosh", "Cosh"},       {"qc.asinh", "Asinh"},
      {"qc.acosh", "Acosh"},     {"qc.atanh", "Atanh"},
      {"qc.softsign", "Softsign"}, {"qc.mish", "Mish"},
      {"qc.is_nan", "IsNaN"},    {"qc.xor", "Xor"},
      {"qc.size", "Size"},       {"qc.non_zero", "NonZero"},       {"qc.expand", "Expand"},
      {"qc.tile", "Tile"},       {"qc.matmul_integer", "MatMulInteger"},
      // Run-time parameters are operands already, in ONNX's input order.
      {"qc.dynamic_slice", "Slice"},
      {"qc.dynamic_squeeze", "Squeeze"},
      {"qc.dynamic_unsqueeze", "Unsqueeze"},
  };
  return m;
}

/// Ops whose attributes carry over by name: `attrs` become ONNX attributes
/// of the same name (ints, floats, strings, int lists), `inputs` are i64
/// array attributes that ONNX takes as INT64 inputs after the operands (an
/// empty reduction axes list is left out, with noop_with_empty_axes = 1).
struct AttrOp {
  llvm::StringRef onnx;
  std::vector<llvm::StringRef> attrs, inputs;
};
const llvm::StringMap<AttrOp> &attrOps() {
  static const llvm::StringMap<AttrOp> m = {
      {"qc.softmax", {"Softmax", {"axis"}, {}}},
      {"qc.log_softmax", {"LogSoftmax", {"axis"}, {}}},
      {"qc.gelu", {"Gelu", {"approximate"}, {}}},
      {"qc.layer_norm", {"LayerNormalization", {"axis", "epsilon"}, {}}},
      {"qc.batch_norm", {"BatchNormalization", {"epsilon"}, {}}},
      {"qc.conv", {"Conv", {"strides", "pads", "dilations", "group"}, {}}},
      {"qc.max_pool",
       {"MaxPool",
        {"kernel_shape", "strides", "pads", "dilations", "ceil_mode"},
        {}}},
      {"qc.avg_pool",
       {"AveragePool",
        {"kernel_shape", "strides", "pads", "dilations", "ceil_mode",
         "count_include_pad"},
        {}}},
      {"qc.global_avg_pool", {"GlobalAveragePool", {}, {}}},
      {"qc.global_max_pool", {"GlobalMaxPool", {}, {}}},
      {"qc.greater_equal", {"GreaterOrEqual", {}, {}}},
      {"qc.less_equal", {"LessOrEqual", {}, {}}},
      {"qc.range", {"Range", {}, {}}},
      {"qc.gather", {"Gather", {"axis"}, {}}},
      {"qc.gather_elements", {"GatherElements", {"axis"}, {}}},
      {"qc.concat", {"Concat", {"axis"}, {}}},
      {"qc.shape", {"Shape", {"start", "end"}, {}}},
      {"qc.unsqueeze", {"Unsqueeze", {}, {"axes"}}},
      {"qc.slice", {"Slice", {}, {"starts", "ends", "axes", "steps"}}},
      {"qc.reduce_mean", {"ReduceMean", {"keepdims"}, {"axes"}}},
      {"qc.reduce_sum", {"ReduceSum", {"keepdims"}, {"axes"}}},
      {"qc.reduce_max", {"ReduceMax", {"keepdims"}, {"axes"}}},
      {"qc.reduce_min", {"ReduceMin", {"keepdims"}, {"axes"}}},
      {"qc.reduce_prod", {"ReduceProd", {"keepdims"}, {"axes"}}},
      {"qc.reduce_l1", {"ReduceL1", {"keepdims"}, {"axes"}}},
      {"qc.reduce_l2", {"ReduceL2", {"keepdims"}, {"axes"}}},
      {"qc.reduce_sum_square", {"ReduceSumSquare", {"keepdims"}, {"axes"}}},
      {"qc.reduce_log_sum", {"ReduceLogSum", {"keepdims"}, {"axes"}}},
      {"qc.reduce_log_sum_exp", {"ReduceLogSumExp", {"keepdims"}, {"axes"}}},
      {"qc.arg_max", {"ArgMax", {"axis", "keepdims", "select_last_index"}, {}}},
      {"qc.arg_min", {"ArgMin", {"axis", "keepdims", "select_last_index"}, {}}},
      {"qc.cumsum", {"CumSum", {"exclusive", "reverse"}, {}}},
      {"qc.trilu", {"Trilu", {"upper"}, {}}},
      {"qc.top_k", {"TopK", {"axis", "largest", "sorted"}, {}}},
      {"qc.non_max_suppression",
       {"NonMaxSuppression", {"center_point_box"}, {}}},
      {"qc.gather_nd", {"GatherND", {"batch_dims"}, {}}},
      {"qc.scatter_nd", {"ScatterND", {"reduction"}, {}}},
      {"qc.scatter_elements", {"ScatterElements", {"axis", "reduction"}, {}}},
      {"qc.leaky_relu", {"LeakyRelu", {"alpha"}, {}}},
      {"qc.elu", {"Elu", {"alpha"}, {}}},
      {"qc.selu", {"Selu", {"alpha", "gamma"}, {}}},
      {"qc.hard_sigmoid", {"HardSigmoid", {"alpha", "beta"}, {}}},
      {"qc.celu", {"Celu", {"alpha"}, {}}},
      {"qc.thresholded_relu", {"ThresholdedRelu", {"alpha"}, {}}},
      {"qc.shrink", {"Shrink", {"bias", "lambd"}, {}}},
      {"qc.is_inf", {"IsInf", {"detect_positive", "detect_negative"}, {}}},
      {"qc.mod", {"Mod", {"fmod"}, {}}},
      {"qc.bit_shift", {"BitShift", {"direction"}, {}}},
      {"qc.flatten", {"Flatten", {"axis"}, {}}},
      {"qc.squeeze", {"Squeeze", {}, {"axes"}}},
      {"qc.dynamic_split", {"Split", {"axis"}, {}}},
      {"qc.dynamic_reshape", {"Reshape", {"allowzero"}, {}}},
      {"qc.conv_transpose",
       {"ConvTranspose",
        {"strides", "pads", "dilations", "output_padding", "group"},
        {}}},
      {"qc.conv_integer",
       {"ConvInteger", {"strides", "pads", "dilations", "group"}, {}}},
      // ONNX MaxPool with its Indices output (same flat-index convention).
      {"qc.max_pool_with_indices",
       {"MaxPool",
        {"kernel_shape", "strides", "pads", "dilations", "ceil_mode",
         "storage_order"},
        {}}},
  };
  return m;
}

/// Ops with their own export code (exportOp), some only for certain
/// schemes, types or attribute values (an error at the op otherwise).
const llvm::StringSet<> &specialOps() {
  static const llvm::StringSet<> s = {
      "qc.transpose",        "qc.reshape",
      "qc.cast",             "qc.quantize_linear",
      "qc.dequantize_linear", "qc.dynamic_quantize_linear",
      "qc.quantize",         "qc.dequantize",
      "qc.qmatmul",          "qc.clip",
      "qc.resize",           "qc.requantize_linear",
      "qc.constant_of_shape", "qc.dynamic_reduce",
      "qc.pad",              "qc.dynamic_pad",
      "qc.lstm",             "qc.gru",             "qc.rnn",
      // A fusion is exported as its body's ops; its yield names the result.
      "qc.fusion",           "qc.yield",
      // Raised patterns (qc-raise-patterns), spelled out again in the
      // opset-21 ops ONNX Runtime 1.23 runs (it has no RMSNormalization-23
      // or Attention-23): the decomposed graph they were raised from.
      "qc.rms_norm",         "qc.silu",
      "qc.attention"};
  return s;
}

/// qc ops that are never exported, and why.
const llvm::StringMap<llvm::StringRef> &unexportedOps() {
  static const llvm::StringMap<llvm::StringRef> m = {
      {"qc.weight",
       "a reference into a package's weights.bin: export the .qcpkg, whose "
       "reader turns weights into constants"},
  };
  return m;
}

/// Whether `op` is in attrOps() and has no attribute the entry would drop.
bool isAttrOp(Operation *op) {
  auto it = attrOps().find(op->getName().getStringRef());
  if (it == attrOps().end())
    return false;
  return llvm::all_of(op->getAttrs(), [&](NamedAttribute a) {
    llvm::StringRef n = a.getName().strref();
    return n.starts_with("qc.") || llvm::is_contained(it->second.attrs, n) ||
           llvm::is_contained(it->second.inputs, n);
  });
}

/// True when every attribute of `op` is a discardable qc.* annotation
/// (calibration statistics, names), i.e. the op has no semantics-carrying
/// attribute a simple mapping would drop.
bool onlyAnnotations(Operation *op) {
  return llvm::all_of(op->getAttrs(), [](NamedAttribute a) {
    return a.getName().strref().starts_with("qc.");
  });
}

class Exporter {
public:
  explicit Exporter(func::FuncOp fn) : fn(fn) {}

  LogicalResult run(onnx::ModelProto &model);

private:
  func::FuncOp fn;
  onnx::GraphProto *g = nullptr;
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  unsigned counter = 0;

  std::string fresh(llvm::StringRef hint) {
    std::string n;
    do
      n = (hint + "_" + llvm::Twine(counter++)).str();
    while (used.contains(n));
    used.insert(n);
    return n;
  }
  std::string nameOf(Value v) { return names.lookup(v); }
  std::string define(Value v, llvm::StringRef hint) {
    std::string n = fresh(hint);
    names[v] = n;
    return n;
  }

  onnx::NodeProto *node(llvm::StringRef type, ArrayRef<std::string> ins,
                        ArrayRef<std::string> outs) {
    onnx::NodeProto *n = g->add_node();
    n->set_op_type(type.str());
    n->set_name(fresh(type));
    for (const std::string &i : ins)
      n->add_input(i);
    for (const std::string &o : outs)
      n->add_output(o);
    return n;
  }
  /// One node with one fresh output; returns the output's name.
  std::string node1(llvm::StringRef type, ArrayRef<std::string> ins,
                    onnx::NodeProto **out = nullptr) {
    std::string o = fresh(type.lower());
    onnx::NodeProto *n = node(type, ins, {o});
    if (out)
      *out = n;
    return o;
  }
  static void attrInt(onnx::NodeProto *n, llvm::StringRef name, int64_t v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attrString(onnx::NodeProto *n, llvm::StringRef name,
                         llvm::StringRef v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v.str());
  }
  static void attrStrings(onnx::NodeProto *n, llvm::StringRef name,
                          ArrayRef<std::string> v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::STRINGS);
    for (const std::string &x : v)
      a->add_strings(x);
  }
  static void attrFloat(onnx::NodeProto *n, llvm::StringRef name, float v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attrFloats(onnx::NodeProto *n, llvm::StringRef name,
                         ArrayRef<float> v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float x : v)
      a->add_floats(x);
  }
  /// The low `bytes` bytes of `bits`, little-endian: a raw_data element.
  static std::string rawLittleEndian(uint64_t bits, unsigned bytes) {
    std::string raw(bytes, '\0');
    for (unsigned b = 0; b < bytes; ++b)
      raw[b] = char(bits >> (8 * b));
    return raw;
  }
  /// The bit pattern of a float or integer scalar attribute (integers
  /// zero-extended), if it is one.
  static std::optional<uint64_t> scalarBits(Attribute v) {
    if (auto f = dyn_cast<FloatAttr>(v))
      return f.getValue().bitcastToAPInt().getZExtValue();
    if (auto i = dyn_cast<IntegerAttr>(v))
      return i.getValue().getZExtValue();
    return std::nullopt;
  }
  static void attrInts(onnx::NodeProto *n, llvm::StringRef name,
                       ArrayRef<int64_t> v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }

  onnx::TensorProto *initializer(llvm::StringRef hint, int type,
                                 ArrayRef<int64_t> shape, std::string &name) {
    name = fresh(hint);
    onnx::TensorProto *t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : shape)
      t->add_dims(d);
    return t;
  }
  std::string constF32(ArrayRef<float> v, ArrayRef<int64_t> shape) {
    std::string n;
    onnx::TensorProto *t = initializer("c", onnx::TensorProto::FLOAT, shape, n);
    t->set_raw_data(std::string(reinterpret_cast<const char *>(v.data()),
                                v.size() * sizeof(float)));
    return n;
  }
  /// A scalar initializer of float element type `et` (f16, bf16, f32, f64)
  /// holding `v` rounded to it, for bounds that must match an input's type.
  std::string constFloatOf(Type et, double v) {
    std::string n;
    onnx::TensorProto *t = initializer("c", onnxType(et), {}, n);
    APFloat f(v);
    bool lost;
    f.convert(cast<FloatType>(et).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    t->set_raw_data(rawLittleEndian(f.bitcastToAPInt().getZExtValue(),
                                    et.getIntOrFloatBitWidth() / 8));
    return n;
  }
  std::string constI64(ArrayRef<int64_t> v) {
    std::string n;
    onnx::TensorProto *t = initializer("c", onnx::TensorProto::INT64,
                                       {int64_t(v.size())}, n);
    t->set_raw_data(std::string(reinterpret_cast<const char *>(v.data()),
                                v.size() * sizeof(int64_t)));
    return n;
  }

  LogicalResult valueInfo(onnx::ValueInfoProto *vi, Value v,
                          llvm::StringRef name, llvm::StringRef dimPrefix);
  LogicalResult exportConstant(Operation *op, Attribute value);
  LogicalResult exportOp(Operation *op);
  LogicalResult copyAttr(Operation *op, onnx::NodeProto *n,
                         llvm::StringRef name);
  LogicalResult exportResize(Operation *op);
  LogicalResult exportDynamicReduce(Operation *op);
  LogicalResult exportRequantize(qc::RequantizeLinearOp op);
  LogicalResult exportConstantOfShape(qc::ConstantOfShapeOp op);
  LogicalResult exportPad(Operation *op);
  template <typename OpTy> LogicalResult exportRecurrent(OpTy op);
  LogicalResult exportMXQuantize(qc::QuantizeOp op);
  std::string roundToSubByteGrid(std::string y, const numerics::FormatInfo &fi);
  LogicalResult exportSubByteQuantizeLinear(qc::QuantizeLinearOp op);
  LogicalResult
  exportMXSubByteCodes(qc::QuantizeOp op, const numerics::FormatInfo &fi,
                       std::string xb, std::string bad, std::string c,
                       ArrayRef<int64_t> blockedShape, int64_t k, int64_t pad);
  FailureOr<std::string> zeroPointFor(Operation *op, Type codeType,
                                      Value scale,
                                      llvm::StringRef finiteScale = "");
  FailureOr<int64_t> mxBlock(Operation *op, qc::SchemeAttr s, int64_t rank);
};

LogicalResult Exporter::valueInfo(onnx::ValueInfoProto *vi, Value v,
                                  llvm::StringRef name,
                                  llvm::StringRef dimPrefix) {
  auto tt = dyn_cast<RankedTensorType>(v.getType());
  if (!tt || !onnxType(tt.getElementType()) ||
      isa<Float8E8M0FNUType>(tt.getElementType()))
    return mlir::emitError(fn.getLoc()) << "graph input/output '" << name
                          << "' has type " << v.getType()
                          << ", which has no ONNX Runtime tensor type";
  vi->set_name(name.str());
  onnx::TypeProto_Tensor *t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnxType(tt.getElementType()));
  onnx::TensorShapeProto *s = t->mutable_shape();
  for (auto [i, d] : llvm::enumerate(tt.getShape())) {
    onnx::TensorShapeProto_Dimension *dim = s->add_dim();
    if (ShapedType::isDynamic(d))
      dim->set_dim_param((dimPrefix + "_d" + llvm::Twine(i)).str());
    else
      dim->set_dim_value(d);
  }
  return success();
}

/// Bytes of one element in a blob/raw buffer of `n` elements of `t`.
LogicalResult Exporter::exportConstant(Operation *op, Attribute value) {
  auto ty = dyn_cast<RankedTensorType>(
      cast<TypedAttr>(value).getType());
  Type et = ty ? ty.getElementType() : Type();
  int ot = ty ? carriedType(et) : 0;
  if (!ot || !ty.hasStaticShape())
    return op->emitError() << "cannot export constant of type "
                           << cast<TypedAttr>(value).getType();
  int64_t n = ty.getNumElements();
  unsigned bits = et.getIntOrFloatBitWidth();
  // One little-endian unit per element (sub-byte types one per byte).
  unsigned unit = std::max(1u, bits / 8);
  std::vector<uint8_t> buf(size_t(n) * unit);
  auto put = [&](int64_t i, uint64_t v) {
    for (unsigned b = 0; b < unit; ++b)
      buf[size_t(i) * unit + b] = uint8_t(v >> (8 * b));
  };
  if (auto d = dyn_cast<DenseElementsAttr>(value)) {
    if (isa<FloatType>(et)) {
      int64_t i = 0;
      for (APFloat f : d.getValues<APFloat>())
        put(i++, f.bitcastToAPInt().getZExtValue());
    } else {
      int64_t i = 0;
      for (APInt v : d.getValues<APInt>())
        put(i++, v.getZExtValue());
    }
  } else if (auto r = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = r.getRawHandle().getBlob();
    if (!blob)
      return op->emitError("constant '")
             << r.getRawHandle().getKey()
             << "' has no data (printed with its weights elided?)";
    ArrayRef<char> data = blob->getData();
    if (data.size() == buf.size()) {
      std::memcpy(buf.data(), data.data(), buf.size());
    } else if (bits == 4 && int64_t(data.size()) == (n + 1) / 2) {
      for (int64_t i = 0; i < n; ++i)
        buf[i] = (uint8_t(data[i / 2]) >> (4 * (i % 2))) & 0xf;
    } else {
      return op->emitError() << "constant blob has " << data.size()
                             << " bytes, expected " << buf.size();
    }
  } else {
    return op->emitError() << "cannot export constant attribute " << value;
  }

  std::string name;
  onnx::TensorProto *t =
      initializer("const", ot, ty.getShape(), name);
  if (isa<Float8E8M0FNUType>(et)) {
    std::vector<float> f(n);
    for (int64_t i = 0; i < n; ++i)
      f[i] = numerics::decodeE8M0(buf[i]);
    t->set_raw_data(
        std::string(reinterpret_cast<const char *>(f.data()), n * 4));
  } else if (isSubByteFloatCode(et)) {
    // Exact: every FP6/FP4 value is an E4M3FN value (isSubByteFloatCode).
    numerics::ElemFormat f = *qc::toElemFormat(et);
    for (uint8_t &b : buf)
      b = uint8_t(numerics::encode(numerics::ElemFormat::E4M3FN,
                                   numerics::decode(f, b)));
    t->set_raw_data(std::string(buf.begin(), buf.end()));
  } else if (bits == 4) {
    // ONNX packs 4-bit elements two per byte, the first in the low nibble.
    std::string packed(size_t((n + 1) / 2), '\0');
    for (int64_t i = 0; i < n; ++i)
      packed[i / 2] |= char((buf[i] & 0xf) << (4 * (i % 2)));
    t->set_raw_data(packed);
  } else if (bits == 1) {
    for (uint8_t &b : buf)
      b = b ? 1 : 0;
    t->set_raw_data(std::string(buf.begin(), buf.end()));
  } else {
    t->set_raw_data(std::string(buf.begin(), buf.end()));
  }
  names[op->getResult(0)] = name;
  return success();
}

FailureOr<int64_t> Exporter::mxBlock(Operation *op, qc::SchemeAttr s,
                                     int64_t rank) {
  Type et = s.getElementType();
  std::optional<numerics::ElemFormat> fmt = qc::toElemFormat(et);
  bool elemOk = fmt && numerics::isMXElemFormat(*fmt) &&
                (isFloat8Code(et) || isSubByteFloatCode(et) ||
                 et.isSignlessInteger(8) || et.isSignlessInteger(4));
  if (!elemOk || !isa<Float8E8M0FNUType>(s.getScaleType()))
    return op->emitError()
           << "cannot export scheme " << s
           << ": only MX schemes (E8M0 scales; f8E4M3FN, f8E5M2, f6E2M3FN, "
              "f6E3M2FN, f4E2M1FN, i8 or i4 elements) map to "
              "DequantizeLinear exactly (the Executor runs no other)";
  int64_t b = s.getInnerBlock();
  bool ok = b > 0 && s.getSymmetric();
  for (int64_t d = 0; ok && d + 1 < rank; ++d)
    ok = s.getBlockSizeFor(d, rank) == 1;
  if (!ok)
    return op->emitError() << "cannot export scheme " << s
                           << ": only symmetric schemes blocked along the "
                              "last dimension map to ONNX block_size";
  return b;
}

/// A zero point of the codes' type and the scale's shape: ONNX infers
/// QuantizeLinear's output type from it (without one the output is uint8).
/// `finiteScale` names a tensor of the scale's shape without NaNs to derive
/// a runtime zero point from (default: the scale itself).
FailureOr<std::string> Exporter::zeroPointFor(Operation *op, Type codeType,
                                              Value scale,
                                              llvm::StringRef finiteScale) {
  auto st = cast<RankedTensorType>(scale.getType());
  int ot = onnxType(codeType);
  if (st.hasStaticShape()) {
    std::string name;
    onnx::TensorProto *t = initializer("zp", ot, st.getShape(), name);
    int64_t n = st.getNumElements();
    size_t bytes = codeType.getIntOrFloatBitWidth() == 4 ? (n + 1) / 2 : n;
    t->set_raw_data(std::string(bytes, '\0'));
    return name;
  }
  if (!isFloat8Code(codeType) && !codeType.isSignlessInteger(8) &&
      !codeType.isSignlessInteger(4))
    return op->emitError() << "cannot export: a dynamic-shaped scale needs "
                              "a static zero point for codes of type "
                           << codeType;
  // Runtime scale of dynamic shape: 0 * scale cast to the code type.
  std::string src = finiteScale.empty() ? nameOf(scale) : finiteScale.str();
  std::string z = node1("Mul", {src, constF32({0.0f}, {})});
  onnx::NodeProto *c;
  std::string zp = node1("Cast", {z}, &c);
  attrInt(c, "to", ot);
  if (isFloat8Code(codeType))
    attrInt(c, "saturate", 1);
  return zp;
}

/// qc.quantize under an MX scheme. The Executor's scale (Formats.cpp,
/// sharedScaleFromBits, Floor mode) is E8M0 code
///   clamp(floor(log2(amax)) - emax_elem + 127, 0, 254)
/// of the block's absolute maximum; codes are RNE(x * 2^(127-code)) with
/// saturation. Built from standard ops:
///   amax  = ReduceMax(Reshape(Pad(Abs(x)), [.., nb, B]), -1)
///   l     = Floor(Log(max(amax, 2^-149)) / ln 2)
///   e     = l - (2^l > amax) + (2^(l+1) <= amax)   -- exact fix-up: Log is
///           not exact, so l may be one off at and near powers of two
///   scale = 2^clip(e - emax + 127, 0, 254) / 2^127
/// amax = 0 becomes 2^-149 (the smallest subnormal): its code clamps to 0,
/// the Executor's code for a zero block. Blocks with Inf/NaN: see below.
/// The codes, by element format:
///   FP8 (E4M3FN, E5M2): QuantizeLinear(x, scale, zp, axis=-1, block, sat)
///   INT8/INT4 (MXINT8): QuantizeLinear to INT8/INT4, same attributes
///   FP6/FP4: no ONNX Runtime kernel rounds to them, so the rounding is
///     spelled out (exportMXSubByteCodes) and the codes travel as E4M3FN.
LogicalResult Exporter::exportMXQuantize(qc::QuantizeOp op) {
  qc::SchemeAttr s = op.getScheme();
  Type et = s.getElementType();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  std::optional<numerics::ElemFormat> fmt = qc::toElemFormat(et);
  bool intCodes =
      isa<IntegerType>(et) && cast<IntegerType>(et).isSignless() && fmt;
  if (!fmt || !numerics::isMXElemFormat(*fmt) ||
      !isa<Float8E8M0FNUType>(s.getScaleType()) ||
      !(isFloat8Code(et) || isSubByteFloatCode(et) || intCodes))
    return op.emitError()
           << "cannot export qc.quantize with scheme " << s
           << ": only MX schemes (E8M0 scales; f8E4M3FN, f8E5M2, f6E2M3FN, "
              "f6E3M2FN, f4E2M1FN, i8 or i4 elements) have a defined "
              "quantization rule (the Executor's) to export";
  int64_t rank = xt.getRank();
  FailureOr<int64_t> blk = mxBlock(op, s, rank);
  if (failed(blk))
    return failure();
  int64_t b = *blk;
  int64_t k = xt.getShape().back();
  if (ShapedType::isDynamic(k))
    return op.emitError("cannot export qc.quantize: the blocked (last) "
                        "dimension must be static");
  int64_t nb = (k + b - 1) / b, pad = nb * b - k;
  const numerics::FormatInfo &fi = numerics::getFormatInfo(*fmt);
  int emax = fi.emax;

  std::string x = nameOf(op.getInput());
  SmallVector<int64_t> pads(2 * rank, 0);
  pads.back() = pad;
  SmallVector<int64_t> shape(rank - 1, 0);
  shape.push_back(nb);
  shape.push_back(b);
  // [..., k] -> [..., nb, B], padding a short last block with zeros.
  auto blocked = [&](std::string v) {
    if (pad)
      v = node1("Pad", {v, constI64(pads), constF32({0.0f}, {})});
    return node1("Reshape", {v, constI64(shape)});
  };
  std::string a = blocked(node1("Abs", {x}));
  onnx::NodeProto *rm;
  std::string amax = node1("ReduceMax", {a, constI64({-1})}, &rm);
  attrInt(rm, "keepdims", 0);
  std::string am =
      node1("Max", {amax, constF32({std::ldexp(1.0f, -149)}, {})});
  std::string two = constF32({2.0f}, {});
  std::string l = node1(
      "Floor",
      {node1("Div", {node1("Log", {am}), constF32({float(M_LN2)}, {})})});
  std::string p = node1("Pow", {two, l});
  auto toF = [&](std::string v) {
    onnx::NodeProto *c;
    std::string o = node1("Cast", {v}, &c);
    attrInt(c, "to", onnx::TensorProto::FLOAT);
    return o;
  };
  std::string tooBig = toF(node1("Greater", {p, am}));
  std::string tooSmall = toF(
      node1("LessOrEqual", {node1("Mul", {p, two}), am}));
  std::string e = node1("Add", {node1("Sub", {l, tooBig}), tooSmall});
  std::string c = node1(
      "Clip", {node1("Add", {e, constF32({float(127 - emax)}, {})}),
               constF32({0.0f}, {}), constF32({254.0f}, {})});
  std::string finite = node1(
      "Pow", {two, node1("Sub", {c, constF32({127.0f}, {})})});
  // A block holding Inf or NaN gets the E8M0 NaN scale (code 0xff) in the
  // Executor; a NaN scale makes DequantizeLinear give NaN, as the Executor
  // does. The flag is reduced like amax (ReduceMax's NaN propagation is
  // unspecified, so it never sees one).
  std::string nonFinite =
      node1("Or", {node1("IsNaN", {x}), node1("IsInf", {x})});
  onnx::NodeProto *bm;
  std::string badF =
      node1("ReduceMax", {blocked(toF(nonFinite)), constI64({-1})}, &bm);
  attrInt(bm, "keepdims", 0);
  std::string bad = node1("Greater", {badF, constF32({0.0f}, {})});
  std::string scale =
      node1("Where", {bad, constF32({std::nanf("")}, {}), finite});
  names[op.getScales()] = scale;

  if (isSubByteFloatCode(et))
    return exportMXSubByteCodes(op, fi, blocked(x), bad, c, shape, k, pad);

  std::string qScale = scale;
  if (intCodes) {
    // The Executor writes code 0 for every element of a non-finite block;
    // an infinite scale gives QuantizeLinear 0 for the finite elements
    // (x / inf) and the non-finite ones are zeroed first.
    qScale = node1("Where", {bad, constF32({INFINITY}, {}), finite});
    x = node1("Where", {nonFinite, constF32({0.0f}, {}), x});
  }
  FailureOr<std::string> zp = zeroPointFor(op, et, op.getScales(), finite);
  if (failed(zp))
    return failure();
  std::string codes = define(op.getCodes(), "codes");
  onnx::NodeProto *q = node("QuantizeLinear", {x, qScale, *zp}, {codes});
  attrInt(q, "axis", rank - 1);
  attrInt(q, "block_size", b);
  if (isFloat8Code(et))
    attrInt(q, "saturate", 1);
  return success();
}

/// y rounded to the FP6/FP4 grid of `fi` as Numerics' encoder rounds (RNE,
/// saturating): in the binade [2^j, 2^(j+1)) of |y| (j >= emin, below it
/// the subnormal spacing) the spacing is sp = 2^(j - mantissa bits), and
///   q = Clip(Round(y / sp) * sp, -max, max)
/// with y / sp and * sp exact (powers of two) and Round half-to-even. sp is
/// chosen by comparisons with exact powers of two (no Log).
std::string Exporter::roundToSubByteGrid(std::string y,
                                         const numerics::FormatInfo &fi) {
  std::string ay = node1("Abs", {y});
  int m = int(fi.manBits);
  int emin = 1 - fi.bias;
  std::string sp = constF32({std::ldexp(1.0f, emin - m)}, {});
  for (int j = emin + 1; j <= fi.emax; ++j)
    sp = node1("Where", {node1("GreaterOrEqual",
                               {ay, constF32({std::ldexp(1.0f, j)}, {})}),
                         constF32({std::ldexp(1.0f, j - m)}, {}), sp});
  return node1(
      "Clip", {node1("Mul", {node1("Round", {node1("Div", {y, sp})}), sp}),
               constF32({-fi.maxFinite}, {}), constF32({fi.maxFinite}, {})});
}

/// qc.quantize_linear to FP6/FP4 codes (nvfp4): ONNX Runtime has no FP4
/// QuantizeLinear (nor any FP4 tensor), so y = x / scale (per tensor, or
/// blocked along the last axis: x as [..., nb, B], the scale unsqueezed to
/// [..., nb, 1]) is rounded with roundToSubByteGrid and the codes travel
/// as E4M3FN values (exact). A NaN y gives code +0, as the Executor's
/// encoder does (F5); an infinite one saturates.
LogicalResult
Exporter::exportSubByteQuantizeLinear(qc::QuantizeLinearOp op) {
  Type ct = cast<ShapedType>(op.getCodes().getType()).getElementType();
  const numerics::FormatInfo &fi =
      numerics::getFormatInfo(*qc::toElemFormat(ct));
  auto xt = cast<RankedTensorType>(op.getX().getType());
  auto st = cast<RankedTensorType>(op.getScale().getType());
  int64_t rank = xt.getRank(), b = op.getBlockSize();
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (axis < 0)
    axis += rank;
  int64_t k = rank ? xt.getShape().back() : 0;
  bool perTensor = st.getRank() == 0 && b == 0;
  bool lastBlocked = b > 0 && rank > 0 && axis == rank - 1 &&
                     !ShapedType::isDynamic(k);
  if (op.getZeroPoint() || (!perTensor && !lastBlocked))
    return op.emitError()
           << "cannot export qc.quantize_linear to " << ct
           << ": only per-tensor scales or blocks along a static last "
              "axis, without a zero point, are spelled out for ONNX "
              "Runtime (it has no FP6/FP4 QuantizeLinear)";
  std::string x = nameOf(op.getX()), s = nameOf(op.getScale());
  std::string minus1 = constI64({-1});
  int64_t nb = 0, pad = 0;
  SmallVector<int64_t> shape;
  if (lastBlocked) {
    nb = (k + b - 1) / b;
    pad = nb * b - k;
    if (pad) {
      SmallVector<int64_t> pads(2 * rank, 0);
      pads.back() = pad;
      x = node1("Pad", {x, constI64(pads), constF32({0.0f}, {})});
    }
    shape.assign(rank - 1, 0);
    shape.append({nb, b});
    x = node1("Reshape", {x, constI64(shape)});
    s = node1("Unsqueeze", {s, minus1});
  }
  std::string y = node1("Div", {x, s});
  y = node1("Where", {node1("IsNaN", {y}), constF32({0.0f}, {}), y});
  std::string q = roundToSubByteGrid(y, fi);
  if (lastBlocked) {
    SmallVector<int64_t> flat(rank - 1, 0);
    flat.push_back(nb * b);
    q = node1("Reshape", {q, constI64(flat)});
    if (pad)
      q = node1("Slice", {q, constI64({0}), constI64({k}), minus1});
  }
  onnx::NodeProto *cast = node("Cast", {q}, {define(op.getCodes(), "codes")});
  attrInt(cast, "to", onnx::TensorProto::FLOAT8E4M3FN);
  attrInt(cast, "saturate", 1);
  return success();
}

/// FP6/FP4 codes of qc.quantize, exactly as Numerics' encoder rounds:
/// y = x * 2^(127-c) per block (the Executor's product, exact), then RNE
/// to the format's grid with saturation. In the binade [2^j, 2^(j+1)) of
/// |y| (j >= emin, the format's smallest normal exponent; below it the
/// subnormal spacing) the grid spacing is sp = 2^(j - mantissa bits), so
///   q = Clip(Round(y / sp) * sp, -max, max)
/// where y / sp and * sp are exact (powers of two, no underflow: sp >=
/// 2^-4) and Round is ONNX's half-to-even. sp is chosen by comparisons
/// with exact powers of two (no Log). Non-finite blocks give code +0, the
/// Executor's fill. The values q are exactly E4M3FN values, so the final
/// Cast is exact.
LogicalResult Exporter::exportMXSubByteCodes(qc::QuantizeOp op,
                                             const numerics::FormatInfo &fi,
                                             std::string xb, std::string bad,
                                             std::string c,
                                             ArrayRef<int64_t> blockedShape,
                                             int64_t k, int64_t pad) {
  std::string minus1 = constI64({-1});
  xb = node1("Where",
             {node1("Unsqueeze", {bad, minus1}), constF32({0.0f}, {}), xb});
  std::string inv = node1(
      "Pow", {constF32({2.0f}, {}), node1("Sub", {constF32({127.0f}, {}), c})});
  std::string y = node1("Mul", {xb, node1("Unsqueeze", {inv, minus1})});
  std::string q = roundToSubByteGrid(y, fi);
  SmallVector<int64_t> flat(blockedShape.drop_back(2));
  flat.push_back(blockedShape[blockedShape.size() - 2] * blockedShape.back());
  q = node1("Reshape", {q, constI64(flat)});
  if (pad)
    q = node1("Slice", {q, constI64({0}), constI64({k}), constI64({-1})});
  onnx::NodeProto *cast = node("Cast", {q}, {define(op.getCodes(), "codes")});
  attrInt(cast, "to", onnx::TensorProto::FLOAT8E4M3FN);
  attrInt(cast, "saturate", 1);
  return success();
}

/// Copies attribute `an` of `op` to node `n` under the same name (bools and
/// integers as INT, floats as FLOAT, strings, i64 arrays as INTS); absent
/// (an optional attribute) leaves ONNX's default.
LogicalResult Exporter::copyAttr(Operation *op, onnx::NodeProto *n,
                                 llvm::StringRef an) {
  Attribute a = op->getAttr(an);
  if (!a)
    return success();
  onnx::AttributeProto *p = n->add_attribute();
  p->set_name(an.str());
  if (auto b = dyn_cast<BoolAttr>(a)) {
    p->set_type(onnx::AttributeProto::INT);
    p->set_i(b.getValue());
  } else if (auto i = dyn_cast<IntegerAttr>(a)) {
    p->set_type(onnx::AttributeProto::INT);
    p->set_i(i.getInt());
  } else if (auto f = dyn_cast<FloatAttr>(a)) {
    p->set_type(onnx::AttributeProto::FLOAT);
    p->set_f(float(f.getValueAsDouble()));
  } else if (auto str = dyn_cast<StringAttr>(a)) {
    p->set_type(onnx::AttributeProto::STRING);
    p->set_s(str.str());
  } else if (std::optional<llvm::StringRef> e = qc::stringifyEnumAttr(a)) {
    p->set_type(onnx::AttributeProto::STRING);
    p->set_s(e->str());
  } else if (auto arr = dyn_cast<DenseI64ArrayAttr>(a)) {
    p->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : arr.asArrayRef())
      p->add_ints(x);
  } else {
    return op->emitError() << "cannot export attribute '" << an << "' = " << a;
  }
  return success();
}

/// qc.resize: Resize(X, roi = "", "", sizes) when all shapes are static and
/// each scale is float(out) / float(in) (what ONNX derives from sizes);
/// otherwise Resize(X, "", scales) when every static output dim is
/// floor(in * scale) (ONNX Runtime's size for given scales, and the scale
/// is then used by the coordinate transform as in qc). Anything else has no
/// ONNX form with the same coordinates.
LogicalResult Exporter::exportResize(Operation *o) {
  auto op = cast<qc::ResizeOp>(o);
  if (op->getNumOperands() != 1)
    return op.emitError("cannot export qc.resize with run-time roi, scales "
                        "or sizes operands (only constant scales/sizes)");
  // Looked up by name: a per-axis subset and crop-and-resize come with the
  // run-time operand forms, which have no constant export here.
  if (op->getAttr("axes") ||
      op.getCoordinateTransformationMode() ==
          qc::CoordinateTransformation::tf_crop_and_resize)
    return op.emitError("cannot export qc.resize with axes or "
                        "tf_crop_and_resize (only constant full-rank "
                        "scales/sizes)");
  auto it = cast<RankedTensorType>(op.getInput().getType());
  auto rt = cast<RankedTensorType>(op.getResult().getType());
  ArrayRef<float> scales = op.getScales();
  if (scales.size() != size_t(it.getRank()))
    return op.emitError("cannot export qc.resize: one scale per dim needed");
  bool byScales = true, bySizes = rt.hasStaticShape() && it.hasStaticShape();
  for (int64_t d = 0; d < it.getRank(); ++d) {
    int64_t in = it.getDimSize(d), out = rt.getDimSize(d);
    if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
      continue;
    if (int64_t(std::floor(float(in) * scales[d])) != out)
      byScales = false;
    if (bySizes && float(out) / float(in) != scales[d])
      bySizes = false;
  }
  // Sizes first when both fit: ONNX's shape inference computes floor(in *
  // scale) in double (floor(5 * 1.4f) = 6) where ONNX Runtime and the
  // Executor use float (7), so a scales form is only used when it must be.
  std::string sc, sz;
  if (bySizes)
    sz = constI64(rt.getShape());
  else if (byScales)
    sc = constF32(SmallVector<float>(scales), {int64_t(scales.size())});
  else
    return op.emitError("cannot export qc.resize: its scales do not give "
                        "its result shape the way ONNX Resize computes it");
  SmallVector<std::string> ins = {nameOf(op.getInput()), "", sc};
  if (!sz.empty())
    ins.push_back(sz);
  onnx::NodeProto *n = node("Resize", ins, {define(op.getResult(), "resize")});
  for (llvm::StringRef a : {"mode", "coordinate_transformation_mode",
                            "nearest_mode", "cubic_coeff_a", "exclude_outside"})
    if (failed(copyAttr(op, n, a)))
      return failure();
  return success();
}

/// qc.dynamic_reduce (a Reduce* whose axes are a run-time operand; by name,
/// as generic as its ONNX form): Reduce<Kind>(input, INT64 axes) with
/// keepdims and noop_with_empty_axes.
LogicalResult Exporter::exportDynamicReduce(Operation *op) {
  static const llvm::StringMap<llvm::StringRef> kinds = {
      {"sum", "ReduceSum"},        {"mean", "ReduceMean"},
      {"max", "ReduceMax"},        {"min", "ReduceMin"},
      {"prod", "ReduceProd"},      {"l1", "ReduceL1"},
      {"l2", "ReduceL2"},          {"sum_square", "ReduceSumSquare"},
      {"log_sum", "ReduceLogSum"}, {"log_sum_exp", "ReduceLogSumExp"}};
  auto kind = op->getAttrOfType<qc::ReduceKindAttr>("kind");
  auto it = kind ? kinds.find(qc::stringifyReduceKind(kind.getValue()))
                 : kinds.end();
  if (it == kinds.end() || op->getNumOperands() != 2 ||
      op->getNumResults() != 1)
    return op->emitError("cannot export qc.dynamic_reduce: expected an "
                         "input, an axes operand and a known kind");
  for (NamedAttribute a : op->getAttrs()) {
    llvm::StringRef n = a.getName().strref();
    if (!n.starts_with("qc.") && n != "kind" && n != "keepdims" &&
        n != "noop_with_empty_axes")
      return op->emitError() << "cannot export qc.dynamic_reduce attribute '"
                             << n << "'";
  }
  std::string axes = nameOf(op->getOperand(1));
  auto at = cast<RankedTensorType>(op->getOperand(1).getType());
  if (!at.getElementType().isInteger(64)) {
    onnx::NodeProto *c;
    axes = node1("Cast", {axes}, &c);
    attrInt(c, "to", onnx::TensorProto::INT64);
  }
  onnx::NodeProto *n = node(it->second, {nameOf(op->getOperand(0)), axes},
                            {define(op->getResult(0), it->second)});
  for (llvm::StringRef a : {"keepdims", "noop_with_empty_axes"})
    if (failed(copyAttr(op, n, a)))
      return failure();
  return success();
}

/// qc.requantize_linear (QLinearMatMul/QLinearConv's output stage) has no
/// ONNX op of its own. The Executor computes, per element,
///   clamp(nearbyint(float(acc + bias) * scale) + zero, qmin, qmax);
/// exported as the same float product, then QuantizeLinear with scale 1:
///   QuantizeLinear(Mul(Cast<float>(Add(acc, bias)), scale), 1, zero)
/// which rounds half to even and saturates to the zero point's type.
/// Per-channel scale and bias are reshaped to broadcast along `axis`.
LogicalResult Exporter::exportRequantize(qc::RequantizeLinearOp op) {
  auto at = cast<RankedTensorType>(op.getInput().getType());
  int64_t rank = at.getRank(), axis = op.getAxis();
  auto perChannel = [&](Value v) -> std::string {
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.hasStaticShape() || t.getNumElements() == 1 || axis >= rank)
      return nameOf(v);
    SmallVector<int64_t> shape = {t.getNumElements()};
    shape.append(rank - axis - 1, 1);
    return node1("Reshape", {nameOf(v), constI64(shape)});
  };
  std::string acc = nameOf(op.getInput());
  if (op.getBias())
    acc = node1("Add", {acc, perChannel(op.getBias())});
  onnx::NodeProto *c;
  std::string f = node1("Cast", {acc}, &c);
  attrInt(c, "to", onnx::TensorProto::FLOAT);
  std::string y = node1("Mul", {f, perChannel(op.getScale())});
  auto zt = cast<RankedTensorType>(op.getZero().getType());
  std::string zero = nameOf(op.getZero());
  if (zt.getRank() != 0)
    zero = node1("Reshape", {zero, constI64({})});
  node("QuantizeLinear", {y, constF32({1.0f}, {}), zero},
       {define(op.getResult(), "requantize")});
  return success();
}

/// qc.constant_of_shape: ConstantOfShape with its value as a one-element
/// tensor of the result's element type.
LogicalResult Exporter::exportConstantOfShape(qc::ConstantOfShapeOp op) {
  Type et = op.getResult().getType().getElementType();
  int ot = onnxType(et);
  Attribute v = op.getValue();
  if (auto d = dyn_cast<DenseElementsAttr>(v); d && d.getNumElements() == 1)
    v = *d.value_begin<Attribute>();
  std::optional<uint64_t> bits = scalarBits(v);
  if (!ot || !bits || cast<TypedAttr>(v).getType() != et ||
      et.getIntOrFloatBitWidth() == 4)
    return op.emitError() << "cannot export qc.constant_of_shape with value "
                          << op.getValue() << " to " << et;
  unsigned bytes = std::max(1u, et.getIntOrFloatBitWidth() / 8);
  onnx::NodeProto *n = node("ConstantOfShape", {nameOf(op.getShape())},
                            {define(op.getResult(), "constant_of_shape")});
  onnx::AttributeProto *a = n->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  onnx::TensorProto *t = a->mutable_t();
  t->set_data_type(ot);
  t->add_dims(1);
  t->set_raw_data(rawLittleEndian(*bits, bytes));
  return success();
}

/// qc.pad / qc.dynamic_pad: Pad-21 with its mode, the pads as an INT64
/// input (a constant, or the run-time tensor cast to INT64) and the fill as
/// a scalar of the element type.
LogicalResult Exporter::exportPad(Operation *op) {
  Value x = op->getOperand(0);
  Type et = cast<RankedTensorType>(x.getType()).getElementType();
  SmallVector<std::string> ins{nameOf(x)};
  qc::PadMode mode;
  if (auto p = dyn_cast<qc::PadOp>(op)) {
    mode = p.getMode();
    ins.push_back(constI64(p.getPads()));
    if (std::optional<TypedAttr> v = p.getValue()) {
      // The fill as a scalar initializer of the element type (its own
      // bits: the verifier gives it that type).
      std::optional<uint64_t> bits = scalarBits(*v);
      unsigned width = et.getIntOrFloatBitWidth();
      if (!bits || !onnxType(et) || (width % 8 != 0 && width != 1))
        return op->emitError() << "cannot export qc.pad with fill " << *v;
      std::string fill;
      initializer("c", onnxType(et), {}, fill)
          ->set_raw_data(rawLittleEndian(*bits, std::max(1u, width / 8)));
      ins.push_back(fill);
    }
  } else {
    auto dp = cast<qc::DynamicPadOp>(op);
    mode = dp.getMode();
    std::string pads = nameOf(dp.getPads());
    if (!dp.getPads().getType().getElementType().isSignlessInteger(64)) {
      onnx::NodeProto *c;
      pads = node1("Cast", {pads}, &c);
      attrInt(c, "to", onnx::TensorProto::INT64);
    }
    ins.push_back(pads);
    if (Value v = dp.getValue())
      ins.push_back(nameOf(v));
  }
  onnx::NodeProto *n = node("Pad", ins, {define(op->getResult(0), "pad")});
  attrString(n, "mode", qc::stringifyPadMode(mode));
  return success();
}

/// qc.lstm / qc.gru / qc.rnn: LSTM-22 / GRU-22 / RNN-22 in layout 0 (the
/// ops' own), the activations by their ONNX names with the alphas and
/// betas of those that take them, in order.
template <typename OpTy> LogicalResult Exporter::exportRecurrent(OpTy op) {
  constexpr bool isLstm = std::is_same_v<OpTy, qc::LstmOp>;
  SmallVector<std::string> ins{nameOf(op.getX()), nameOf(op.getW()),
                               nameOf(op.getR())};
  SmallVector<Value> opt{op.getB(), op.getSequenceLens(), op.getInitialH()};
  if constexpr (isLstm)
    opt.append({op.getInitialC(), op.getP()});
  for (auto [k, v] : llvm::enumerate(opt)) {
    if (!v) {
      ins.push_back("");
      continue;
    }
    std::string name = nameOf(v);
    if (k == 1 && !cast<RankedTensorType>(v.getType())
                       .getElementType()
                       .isSignlessInteger(32)) {
      onnx::NodeProto *c;
      name = node1("Cast", {name}, &c);
      attrInt(c, "to", onnx::TensorProto::INT32);
    }
    ins.push_back(name);
  }
  while (ins.back().empty())
    ins.pop_back();
  StringRef type = isLstm ? "LSTM"
                   : std::is_same_v<OpTy, qc::GruOp> ? "GRU"
                                                     : "RNN";
  SmallVector<std::string> outs;
  for (Value v : op->getResults())
    outs.push_back(define(v, type.lower()));
  onnx::NodeProto *n = node(type, ins, outs);
  attrInt(n, "hidden_size", op.getHiddenSize());
  attrString(n, "direction", qc::stringifyRnnDirection(op.getDirection()));
  SmallVector<std::string> acts;
  SmallVector<float> alphas, betas;
  for (auto [k, a] : llvm::enumerate(op.getActivations())) {
    qc::RnnActivation f = cast<qc::RnnActivationAttr>(a).getValue();
    acts.push_back(qc::stringifyRnnActivation(f).str());
    using K = qc::RnnActivation;
    if (llvm::is_contained({K::Affine, K::LeakyRelu, K::ThresholdedRelu,
                            K::ScaledTanh, K::HardSigmoid, K::Elu},
                           f))
      alphas.push_back(op.getActivationAlpha()[k]);
    if (llvm::is_contained({K::Affine, K::ScaledTanh, K::HardSigmoid}, f))
      betas.push_back(op.getActivationBeta()[k]);
  }
  attrStrings(n, "activations", acts);
  if (!alphas.empty())
    attrFloats(n, "activation_alpha", alphas);
  if (!betas.empty())
    attrFloats(n, "activation_beta", betas);
  if (std::optional<APFloat> c = op.getClip())
    attrFloat(n, "clip", c->convertToFloat());
  if constexpr (isLstm) {
    if (op.getInputForget())
      attrInt(n, "input_forget", 1);
  } else if constexpr (std::is_same_v<OpTy, qc::GruOp>) {
    if (op.getLinearBeforeReset())
      attrInt(n, "linear_before_reset", 1);
  }
  return success();
}

LogicalResult Exporter::exportOp(Operation *op) {
  llvm::StringRef opName = op->getName().getStringRef();
  for (Value v : op->getOperands())
    if (!names.count(v))
      return op->emitError("cannot export: operand defined outside the "
                           "entry block");

  if (auto c = dyn_cast<arith::ConstantOp>(op))
    return exportConstant(op, c.getValue());

  auto simple = simpleOps().find(opName);
  if (simple != simpleOps().end() && onlyAnnotations(op)) {
    SmallVector<std::string> ins;
    for (Value v : op->getOperands())
      ins.push_back(nameOf(v));
    node(simple->second, ins, {define(op->getResult(0), simple->second)});
    return success();
  }
  if (auto sq = dyn_cast<qc::SqueezeOp>(op); sq && sq.getAxes().empty()) {
    // ONNX Squeeze without axes removes every size-1 dim; qc's empty list
    // removes none.
    node("Identity", {nameOf(sq.getInput())},
         {define(sq.getResult(), "squeeze")});
    return success();
  }
  if (isa<qc::ResizeOp>(op))
    return exportResize(op);
  if (opName == "qc.dynamic_reduce")
    return exportDynamicReduce(op);
  if (auto r = dyn_cast<qc::RequantizeLinearOp>(op))
    return exportRequantize(r);
  if (auto c = dyn_cast<qc::ConstantOfShapeOp>(op))
    return exportConstantOfShape(c);
  if (isa<qc::PadOp, qc::DynamicPadOp>(op))
    return exportPad(op);
  if (auto l = dyn_cast<qc::LstmOp>(op))
    return exportRecurrent(l);
  if (auto g = dyn_cast<qc::GruOp>(op))
    return exportRecurrent(g);
  if (auto r = dyn_cast<qc::RnnOp>(op))
    return exportRecurrent(r);
  if (isAttrOp(op)) {
    const AttrOp &e = attrOps().find(opName)->second;
    // The list attributes become inputs after the single data operand; an
    // op that also takes them (or anything else) as run-time operands has
    // no such form.
    if (!e.inputs.empty() && op->getNumOperands() != 1)
      return op->emitError() << "cannot export " << opName
                             << " with run-time operands besides its input";
    SmallVector<std::string> ins, outs;
    for (Value v : op->getOperands())
      ins.push_back(nameOf(v));
    for (llvm::StringRef in : e.inputs) {
      auto a = op->getAttrOfType<DenseI64ArrayAttr>(in);
      if (!a)
        return op->emitError() << "cannot export: '" << in
                               << "' is not an i64 array";
      if (!a.empty())
        ins.push_back(constI64(a.asArrayRef()));
      else if (in != e.inputs.back())
        return op->emitError() << "cannot export: empty '" << in << "'";
    }
    for (Value r : op->getResults())
      outs.push_back(define(r, e.onnx));
    onnx::NodeProto *n = node(e.onnx, ins, outs);
    // qc reductions name their axes explicitly (the importer resolved
    // ONNX's defaults): an empty list reduces nothing.
    if (opName.starts_with("qc.reduce_") &&
        op->getAttrOfType<DenseI64ArrayAttr>("axes").empty())
      attrInt(n, "noop_with_empty_axes", 1);
    for (llvm::StringRef an : e.attrs)
      if (failed(copyAttr(op, n, an)))
        return failure();
    return success();
  }
  if (auto rn = dyn_cast<qc::RmsNormOp>(op)) {
    // x / Sqrt(ReduceMean(x * x, [axis..]) + eps) * scale
    Type et = rn.getInput().getType().getElementType();
    std::string x = nameOf(rn.getInput());
    SmallVector<int64_t> axes;
    for (int64_t d = rn.getAxis(); d < rn.getInput().getType().getRank(); ++d)
      axes.push_back(d);
    onnx::NodeProto *mean;
    std::string ms = node1("ReduceMean", {node1("Mul", {x, x}), constI64(axes)},
                           &mean);
    attrInt(mean, "keepdims", 1);
    std::string rms = node1(
        "Sqrt", {node1("Add", {ms, constFloatOf(
                                       et, rn.getEpsilon().convertToDouble())})});
    node("Mul", {node1("Div", {x, rms}), nameOf(rn.getScale())},
         {define(rn.getResult(), "rms_norm")});
    return success();
  }
  if (auto si = dyn_cast<qc::SiluOp>(op)) {
    std::string x = nameOf(si.getInput());
    node("Mul", {x, node1("Sigmoid", {x})}, {define(si.getResult(), "silu")});
    return success();
  }
  if (auto at = dyn_cast<qc::AttentionOp>(op)) {
    // Softmax(Mask(MatMul(q, key_t) * scale), -1) x value
    Type et = at.getQuery().getType().getElementType();
    std::string s =
        node1("MatMul", {nameOf(at.getQuery()), nameOf(at.getKeyT())});
    if (at.getScale().convertToFloat() != 1.0f)
      s = node1("Mul", {s, constFloatOf(
                               et, at.getScale().convertToDouble())});
    if (Value m = at.getMask())
      s = at.getMaskValue()
              ? node1("Where",
                      {nameOf(m), s,
                       constFloatOf(et, at.getMaskValue()->convertToDouble())})
              : node1("Add", {s, nameOf(m)});
    onnx::NodeProto *sm;
    std::string p = node1("Softmax", {s}, &sm);
    attrInt(sm, "axis", -1);
    node("MatMul", {p, nameOf(at.getValue())},
         {define(at.getResult(), "attention")});
    return success();
  }
  if (auto c = dyn_cast<qc::ClipOp>(op)) {
    // ONNX Clip's bounds have the input's type (f16/f64 inputs too).
    Type et = c.getInput().getType().getElementType();
    std::string lo, hi;
    if (auto m = c.getMinAttr())
      lo = constFloatOf(et, m.getValue().convertToDouble());
    if (auto m = c.getMaxAttr())
      hi = constFloatOf(et, m.getValue().convertToDouble());
    node("Clip", {nameOf(c.getInput()), lo, hi},
         {define(c.getResult(), "clip")});
    return success();
  }
  if (auto t = dyn_cast<qc::TransposeOp>(op)) {
    attrInts(node("Transpose", {nameOf(t.getInput())},
                  {define(t.getResult(), "transpose")}),
             "perm", t.getPerm());
    return success();
  }
  if (auto r = dyn_cast<qc::ReshapeOp>(op)) {
    if (op->getNumOperands() != 1)
      return op->emitError("cannot export qc.reshape with a run-time shape "
                           "operand (only the constant shape attribute)");
    node("Reshape", {nameOf(r.getInput()), constI64(r.getShape())},
         {define(r.getResult(), "reshape")});
    return success();
  }
  if (auto c = dyn_cast<qc::CastOp>(op)) {
    Type to = cast<ShapedType>(c.getResult().getType()).getElementType();
    if (!onnxType(to) || isa<Float8E8M0FNUType>(to))
      return op->emitError() << "cannot export qc.cast to " << to;
    onnx::NodeProto *n = node("Cast", {nameOf(c.getInput())},
                              {define(c.getResult(), "cast")});
    attrInt(n, "to", onnxType(to));
    if (isFloat8Code(to))
      attrInt(n, "saturate", c.getSaturate() ? 1 : 0);
    return success();
  }
  if (auto q = dyn_cast<qc::QuantizeLinearOp>(op)) {
    Type ct = cast<ShapedType>(q.getCodes().getType()).getElementType();
    if (isSubByteFloatCode(ct))
      return exportSubByteQuantizeLinear(q);
    if (!onnxType(ct))
      return op->emitError() << "cannot export qc.quantize_linear to " << ct;
    std::string zp;
    if (q.getZeroPoint()) {
      zp = nameOf(q.getZeroPoint());
    } else {
      FailureOr<std::string> z = zeroPointFor(op, ct, q.getScale());
      if (failed(z))
        return failure();
      zp = *z;
    }
    onnx::NodeProto *n =
        node("QuantizeLinear", {nameOf(q.getX()), nameOf(q.getScale()), zp},
             {define(q.getCodes(), "q")});
    attrInt(n, "axis", q.getAxis());
    if (q.getBlockSize())
      attrInt(n, "block_size", q.getBlockSize());
    if (isFloat8Code(ct))
      attrInt(n, "saturate", q.getSaturate() ? 1 : 0);
    return success();
  }
  if (auto d = dyn_cast<qc::DequantizeLinearOp>(op)) {
    SmallVector<std::string> ins = {nameOf(d.getCodes()),
                                    nameOf(d.getScale())};
    if (d.getZeroPoint())
      ins.push_back(nameOf(d.getZeroPoint()));
    onnx::NodeProto *n =
        node("DequantizeLinear", ins, {define(d.getY(), "dq")});
    attrInt(n, "axis", d.getAxis());
    if (d.getBlockSize())
      attrInt(n, "block_size", d.getBlockSize());
    return success();
  }
  if (auto d = dyn_cast<qc::DynamicQuantizeLinearOp>(op)) {
    node("DynamicQuantizeLinear", {nameOf(d.getX())},
         {define(d.getY(), "y"), define(d.getYScale(), "y_scale"),
          define(d.getYZeroPoint(), "y_zero_point")});
    return success();
  }
  if (auto q = dyn_cast<qc::QuantizeOp>(op))
    return exportMXQuantize(q);
  if (auto d = dyn_cast<qc::DequantizeOp>(op)) {
    auto ct = cast<RankedTensorType>(d.getCodes().getType());
    FailureOr<int64_t> b = mxBlock(op, d.getScheme(), ct.getRank());
    if (failed(b))
      return failure();
    onnx::NodeProto *n =
        node("DequantizeLinear", {nameOf(d.getCodes()), nameOf(d.getScales())},
             {define(d.getResult(), "dq")});
    attrInt(n, "axis", ct.getRank() - 1);
    attrInt(n, "block_size", *b);
    return success();
  }
  if (auto m = dyn_cast<qc::QMatMulOp>(op)) {
    // Dequantize both operands exactly (code * power-of-two scale), then a
    // float MatMul: rhs codes are [N, K], so transposed to [K, N].
    if (!m.getAccType().isF32())
      return op->emitError() << "cannot export qc.qmatmul with acc_type "
                             << m.getAccType();
    auto lt = cast<RankedTensorType>(m.getLhs().getType());
    auto rt = cast<RankedTensorType>(m.getRhs().getType());
    FailureOr<int64_t> lb = mxBlock(op, m.getLhsScheme(), lt.getRank());
    if (failed(lb))
      return failure();
    FailureOr<int64_t> rb = mxBlock(op, m.getRhsScheme(), rt.getRank());
    if (failed(rb))
      return failure();
    onnx::NodeProto *n;
    std::string a = node1(
        "DequantizeLinear", {nameOf(m.getLhs()), nameOf(m.getLhsScales())}, &n);
    attrInt(n, "axis", lt.getRank() - 1);
    attrInt(n, "block_size", *lb);
    std::string w = node1(
        "DequantizeLinear", {nameOf(m.getRhs()), nameOf(m.getRhsScales())}, &n);
    attrInt(n, "axis", rt.getRank() - 1);
    attrInt(n, "block_size", *rb);
    std::string wt = node1("Transpose", {w}, &n);
    attrInts(n, "perm", {1, 0});
    node("MatMul", {a, wt}, {define(m.getResult(), "qmatmul")});
    return success();
  }
  return failure(); // unmapped: the caller lists it
}

LogicalResult Exporter::run(onnx::ModelProto &model) {
  model.set_ir_version(10);
  model.set_producer_name("quantc");
  onnx::OperatorSetIdProto *os = model.add_opset_import();
  os->set_domain("");
  os->set_version(kOpset);
  g = model.mutable_graph();
  g->set_name(fn.getName().str());

  if (!fn.getBody().hasOneBlock())
    return fn.emitError("cannot export: the entry function must have one "
                        "block");
  Block &body = fn.getBody().front();

  // Graph names first so generated names never collide with them.
  SmallVector<std::string> inNames, outNames;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto n = fn.getArgAttrOfType<StringAttr>(i, "qc.name");
    inNames.push_back(n ? n.str() : "input_" + std::to_string(i));
    used.insert(inNames.back());
  }
  for (unsigned i = 0; i < fn.getNumResults(); ++i) {
    auto n = fn.getResultAttrOfType<StringAttr>(i, "qc.name");
    outNames.push_back(n ? n.str() : "output_" + std::to_string(i));
    used.insert(outNames.back());
  }
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    if (failed(valueInfo(g->add_input(), arg, inNames[i],
                         "in" + std::to_string(i))))
      return failure();
    names[arg] = inNames[i];
  }

  // The ops to export: a qc.fusion's body ops in its place (ONNX has no
  // fusion; its meaning is its body's ops in order).
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator()) {
    if (auto f = dyn_cast<qc::FusionOp>(op))
      for (Operation &inner : f.getBody().front().without_terminator())
        ops.push_back(&inner);
    else
      ops.push_back(&op);
  }
  // First find every op without a mapping, so the error lists them all.
  llvm::SetVector<llvm::StringRef> unmapped;
  for (Operation *opPtr : ops) {
    Operation &op = *opPtr;
    llvm::StringRef n = op.getName().getStringRef();
    bool known = isa<arith::ConstantOp>(op) || specialOps().contains(n) ||
                 (simpleOps().count(n) && onlyAnnotations(&op)) ||
                 isAttrOp(&op);
    if (!known)
      unmapped.insert(n);
  }
  if (!unmapped.empty()) {
    // Reported at the function's location without the op dump MLIR attaches
    // to op->emitError (the whole function).
    InFlightDiagnostic d = mlir::emitError(fn.getLoc())
                           << "cannot export to ONNX: no mapping for ";
    llvm::interleaveComma(unmapped, d, [&](llvm::StringRef s) {
      d << "'" << s << "'";
      auto why = unexportedOps().find(s);
      if (why != unexportedOps().end())
        d << " (" << why->second << ")";
    });
    return d;
  }
  for (Operation *op : ops) {
    if (failed(exportOp(op)))
      return failure();
    if (auto f = dyn_cast<qc::FusionOp>(op->getParentOp()); f &&
        op->getNextNode() == f.getBody().front().getTerminator())
      names[f.getResult()] = nameOf(op->getResult(0));
  }

  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (failed(valueInfo(g->add_output(), v, outNames[i],
                         "out" + std::to_string(i))))
      return failure();
    node("Identity", {nameOf(v)}, {outNames[i]});
  }
  return success();
}

} // namespace

FailureOr<std::string> quantc::exportOnnx(ModuleOp module) {
  func::FuncOp fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn) {
    auto fns = llvm::to_vector(module.getOps<func::FuncOp>());
    if (fns.size() != 1)
      return module.emitError("cannot export: expected func.func @main");
    fn = fns.front();
  }
  onnx::ModelProto model;
  if (failed(Exporter(fn).run(model)))
    return failure();
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return module.emitError("cannot serialize the ONNX model");
  return bytes;
}

std::optional<llvm::StringRef> quantc::onnxExportGap(llvm::StringRef opName) {
  if (simpleOps().count(opName) || attrOps().count(opName) ||
      specialOps().contains(opName))
    return llvm::StringRef();
  auto it = unexportedOps().find(opName);
  if (it != unexportedOps().end())
    return it->second;
  return std::nullopt;
}
