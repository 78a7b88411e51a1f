//===- ImporterImpl.h - internals of the ONNX importer ----------*- C++ -*-===//
//
// Private to lib/Import/Onnx. The importer walks the graph once; each node is
// given to a small handler chosen from a table keyed by (op type,
// since_version), in the spirit of torch-mlir's ONNX importer. Handlers see a
// NodeContext: typed access to the node's inputs and attributes, a builder
// positioned in @main, and error reporting that names the node.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_IMPORT_ONNX_IMPORTERIMPL_H
#define QUANTC_LIB_IMPORT_ONNX_IMPORTERIMPL_H

#include "onnx/onnx.pb.h"

#include "quantc/Dialect/QC/IR/QCShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <deque>
#include <optional>
#include <string>

namespace quantc::onnx_import {

/// Limits checked before anything is allocated (DESIGN §7).
constexpr int64_t kMaxRank = 16;
constexpr int64_t kMaxElements = int64_t(1) << 40;
/// The newest default-domain opset the handler table was written against
/// (onnx 1.23). A newer model still imports, with a warning.
constexpr int64_t kNewestKnownOpset = 28;

//===----------------------------------------------------------------------===//
// Shapes and tensors (Tensors.cpp)
//===----------------------------------------------------------------------===//

/// The number of elements of a static shape, or an error on a negative
/// dimension, a rank over kMaxRank or a product over kMaxElements.
llvm::Expected<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape);

/// The ONNX name of a TensorProto.DataType ("FLOAT", "INT64", ...).
llvm::StringRef dataTypeName(int32_t dataType);

/// Whether initializers of this type convert to f32 / to i64.
bool isFloatDataType(int32_t dataType);
bool isIntDataType(int32_t dataType);

/// Checks what can be checked of a tensor without knowing its use: no external
/// data, no segments, non-negative dims within limits, and a data field whose
/// length matches the element count.
llvm::Error validateTensor(const onnx::TensorProto &t);

/// The tensor's dims (validated).
llvm::SmallVector<int64_t> tensorShape(const onnx::TensorProto &t);

/// Converts a validated float-typed tensor (FLOAT, FLOAT16, BFLOAT16, DOUBLE)
/// to an f32 DenseElementsAttr.
mlir::DenseElementsAttr tensorToF32Attr(mlir::MLIRContext &ctx,
                                        const onnx::TensorProto &t);
/// Converts a validated INT32/INT64 tensor to an i64 DenseElementsAttr.
mlir::DenseElementsAttr tensorToI64Attr(mlir::MLIRContext &ctx,
                                        const onnx::TensorProto &t);
/// The values of a validated INT32/INT64 tensor.
llvm::SmallVector<int64_t> tensorToInts(const onnx::TensorProto &t);

/// The MLIR type of quantized codes of an ONNX data type (INT8, UINT8, INT4,
/// UINT4, FLOAT8E4M3FN, FLOAT8E5M2, FLOAT4E2M1), null otherwise
/// (TensorsQuant.cpp).
mlir::Type codeElementType(mlir::MLIRContext &ctx, int32_t dataType);
/// Converts a tensor of such a type to a constant, one code per byte.
llvm::Expected<mlir::DenseElementsAttr>
tensorToCodesAttr(mlir::MLIRContext &ctx, const onnx::TensorProto &t);

//===----------------------------------------------------------------------===//
// Graph state and the handler interface
//===----------------------------------------------------------------------===//

/// One named ONNX value: either an SSA value already in @main or a constant
/// (initializer or Constant output) materialized on first use, so a shape
/// operand is read without ever becoming IR.
struct OnnxValue {
  mlir::Value value;
  const onnx::TensorProto *constant = nullptr;
};

class GraphImporter;

class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node, int64_t index,
              int64_t opsetVersion, mlir::Location loc)
      : graph(graph), node(node), index(index), opsetVersion(opsetVersion),
        loc(loc) {}

  GraphImporter &graph;
  const onnx::NodeProto &node;
  int64_t index;
  int64_t opsetVersion;
  mlir::Location loc;

  mlir::OpBuilder &builder();
  mlir::MLIRContext *getContext();

  /// "node #3 'mm1' (MatMul)": how every message about this node starts.
  std::string describe() const;
  /// An error about this node; the message starts with describe().
  mlir::InFlightDiagnostic emitError();

  /// Whether input `i` is given (present and not the empty name).
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  /// Input `i` as a ranked f32 tensor; float constants are converted.
  mlir::FailureOr<mlir::Value> floatInput(int i);
  /// An ONNX axis in [-rank, rank) normalized to [0, rank); an error naming
  /// it (as `what`) otherwise.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what = "axis");
  /// An optional float input: null when input `i` is not given.
  mlir::FailureOr<mlir::Value> optionalFloatInput(int i) {
    return hasInput(i) ? floatInput(i) : mlir::FailureOr<mlir::Value>(nullptr);
  }
  /// Input `i` as the values of a constant integer tensor (for shapes).
  mlir::FailureOr<llvm::SmallVector<int64_t>> constIntsInput(int i);
  /// Input `i` as a tensor of any element type, float constants as f32 and
  /// quantized-code constants as codes (the layout, math and quant handlers).
  mlir::FailureOr<mlir::Value> anyInput(int i);
  /// Input `i` as a constant tensor, if it is one (nullptr otherwise).
  const onnx::TensorProto *constantInput(int i) const;

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  mlir::FailureOr<int64_t> intAttr(llvm::StringRef name, int64_t dflt);
  mlir::FailureOr<float> floatAttr(llvm::StringRef name, float dflt);
  /// std::nullopt when absent.
  mlir::FailureOr<std::optional<llvm::SmallVector<int64_t>>>
  intsAttr(llvm::StringRef name);
  /// A STRING attribute, or `dflt` when absent.
  mlir::FailureOr<std::string> stringAttr(llvm::StringRef name,
                                          llvm::StringRef dflt);

  /// Builds OpTy with the result types the op infers (the explicit-type
  /// ODS builder given `args` after the result types), then verifies it:
  /// the dialect holds the shape rules. A failure of either is this node's
  /// error with the dialect's message, and nothing stays built.
  template <typename OpTy, typename... Args>
  mlir::FailureOr<OpTy> build(Args &&...args) {
    mlir::OperationState st(loc, OpTy::getOperationName());
    constexpr unsigned numResults =
        OpTy::template hasTrait<mlir::OpTrait::OneResult>()              ? 1
        : OpTy::template hasTrait<mlir::OpTrait::NResults<2>::Impl>() ? 2
        : OpTy::template hasTrait<mlir::OpTrait::NResults<3>::Impl>() ? 3
                                                                        : 0;
    static_assert(numResults, "build<OpTy> builds ops of one to three results");
    llvm::SmallVector<mlir::Type, 2> placeholders(numResults);
    OpTy::build(builder(), st, mlir::TypeRange(placeholders),
                std::forward<Args>(args)...);
    st.types.clear();
    if (mlir::Operation *op = buildInferred(st))
      return llvm::cast<OpTy>(op);
    return mlir::failure();
  }
  /// Output 0 is the (single) result of an op build() made.
  template <typename OpTy>
  mlir::LogicalResult setBuilt(mlir::FailureOr<OpTy> op) {
    if (mlir::failed(op))
      return mlir::failure();
    setOutput(0, (*op)->getResult(0));
    return mlir::success();
  }
  /// The untyped part of build(): infers `st`'s result types (an op
  /// without type inference comes with them) and creates and verifies the
  /// op; null (after the node's error) on failure.
  mlir::Operation *buildInferred(mlir::OperationState &st);

  void setOutput(int i, mlir::Value v);
  void setConstantOutput(int i, const onnx::TensorProto *t);
  /// Folds the ops the handler built from `begin` on (OnnxImporter.cpp).
  void foldNodeOps(mlir::Block::iterator begin);
  /// Output `i` names the same value as input `j` (Identity).
  void aliasOutput(int i, int j);
  /// Keeps a tensor built by a handler (e.g. from Constant's value_floats)
  /// alive for the whole import.
  const onnx::TensorProto *ownTensor(onnx::TensorProto t);
};

using HandlerFn = mlir::LogicalResult (*)(NodeContext &);

struct OnnxOpHandler {
  const char *opType;
  int64_t sinceVersion;
  int minInputs, maxInputs;   // counts include omitted optional inputs ("")
  int minOutputs, maxOutputs; // likewise
  HandlerFn fn;
};

/// qc.transpose of `x` by `perm`, its type inferred (the node's error on
/// failure); shared by the handlers that reorder axes.
mlir::FailureOr<mlir::Value> emitTranspose(NodeContext &n, mlir::Value x,
                                           llvm::ArrayRef<int64_t> perm);

/// qc.reshape of `x` to the ONNX shape `spec` (0 copies the dim, -1 is
/// inferred); the op infers the result (the node's error on failure).
mlir::FailureOr<mlir::Value> emitReshape(NodeContext &n, mlir::Value x,
                                         llvm::ArrayRef<int64_t> spec);
/// Opset 1-6 broadcasting of an elementwise op's second operand (Add, Sub,
/// Mul, Div, Pow, PRelu-6 aside): without `broadcast` = 1 the shapes must be
/// equal; with it, B's dims line up with A's from `axis` (suffix matching,
/// numpy's rule, when `axis` is absent), so B gets trailing 1 dims, and B
/// must broadcast to A's shape. Returns B, reshaped where `axis` needs it
/// (the node's error otherwise).
mlir::FailureOr<mlir::Value>
legacyBroadcastOperand(NodeContext &n, mlir::Value a, mlir::Value b);
/// An arith.constant of `type` with every element `value` (float, integer
/// or i1 element types).
mlir::FailureOr<mlir::Value> emitSplat(NodeContext &n,
                                       mlir::RankedTensorType type,
                                       double value);

/// An i64 constant of rank `rank`, 1 in every dim but `axis`, holding 0 ..
/// count-1 along it: the positions along an axis (Hardmax, OneHot).
mlir::Value emitPositions(NodeContext &n, int64_t rank, int64_t axis,
                          int64_t count);

/// Shape helpers of the handlers (ranked tensor values).
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getShape();
}
inline mlir::Type elementTypeOf(mlir::Value v) {
  return mlir::cast<mlir::ShapedType>(v.getType()).getElementType();
}
/// "[1, 2, 3]": attribute and input values in messages.
inline std::string intsStr(llvm::ArrayRef<int64_t> v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

/// A table entry: one handler for the since_versions it lists (each one is
/// a row of the (op type, since_version) table).
struct OnnxOpHandlerSpec {
  const char *opType;
  std::vector<int64_t> sinceVersions;
  int minInputs, maxInputs;
  int minOutputs, maxOutputs;
  HandlerFn fn;
};

/// The whole table, sorted by op type and then since_version: the core
/// handlers (Handlers.cpp) and one table per op family
/// (Handlers<Family>.cpp), each entry expanded to its since_versions.
llvm::ArrayRef<OnnxOpHandler> getOnnxOpHandlers();
llvm::ArrayRef<OnnxOpHandlerSpec> getCoreOnnxOpHandlers();
llvm::ArrayRef<OnnxOpHandlerSpec> getQuantOnnxOpHandlers();
llvm::ArrayRef<OnnxOpHandlerSpec> getMathOnnxOpHandlers();
llvm::ArrayRef<OnnxOpHandlerSpec> getShapeOnnxOpHandlers();
llvm::ArrayRef<OnnxOpHandlerSpec> getNNOnnxOpHandlers();
/// The handler for `opType` at default-domain opset `opset`: the entry with
/// the greatest since_version <= opset. Null when the op (at that opset) is
/// not supported.
const OnnxOpHandler *lookupOnnxOpHandler(llvm::StringRef opType,
                                         int64_t opset);

/// Imports one node with its handler `h` (OnnxImporter.cpp: the checks of
/// its input and output counts and names, the handler, the folding of what
/// it built); the node's error on failure.
mlir::LogicalResult importNode(GraphImporter &g, const onnx::NodeProto &node,
                               int index, const OnnxOpHandler &h,
                               int64_t opset);
/// If with a condition that folds at import: the taken branch inlined.
mlir::LogicalResult importIf(NodeContext &n);

/// Shape family (HandlersShape.cpp): Reshape with a runtime shape input.
mlir::LogicalResult importDynamicReshape(NodeContext &n);
mlir::LogicalResult importDynamicFlatten(NodeContext &n, mlir::Value x,
                                         int64_t axis);
/// What is known at import time of the entries of a 1-D integer value
/// (kDynamic where unknown; empty when not even its length is).
llvm::SmallVector<int64_t> partialIntValues(mlir::Value v);

/// Element types (ElementTypes.cpp): the MLIR type of an ONNX data type as
/// graph inputs get it (f16, f64, ui64, ..., the code types; null for
/// STRING and complex), and, when operands `a` (input ia) and `b` (input ib)
/// differ in element type and one is a constant of the other's ONNX type
/// (imported as f32 / i64), a qc.cast of that constant back to the type.
mlir::Type onnxElementType(mlir::MLIRContext &ctx, int32_t dataType);
/// BOOL, INT16, UINT16, UINT32, UINT64: integer constants that import in
/// their own element type (i1, i16, ui16, ui32, ui64), unlike INT32/INT64
/// (i64, shape values) (Tensors.cpp).
bool isOwnTypeIntDataType(int32_t dataType);
mlir::DenseElementsAttr tensorToOwnTypeAttr(mlir::MLIRContext &ctx,
                                            const onnx::TensorProto &t);
void matchConstantElementTypes(NodeContext &n, int ia, mlir::Value &a, int ib,
                               mlir::Value &b);

/// Builds @main from one GraphProto.
class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &ctx, llvm::StringRef fileName)
      : ctx(ctx), builder(&ctx), fileName(fileName.str()),
        fileLoc(mlir::FileLineColLoc::get(&ctx, fileName, 0, 0)) {}

  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  std::string fileName;
  mlir::Location fileLoc;
  llvm::StringMap<OnnxValue> values;
  std::deque<onnx::TensorProto> ownedTensors;
  /// One arith.constant per tensor, however many names (Identity) it has.
  llvm::DenseMap<const onnx::TensorProto *, mlir::Value> materialized;
  /// The types the model declares for its outputs and value_info entries:
  /// a hint (e.g. a result rank a computed shape cannot give), never trusted
  /// over what the importer infers.
  llvm::StringMap<const onnx::ValueInfoProto *> declared;

  /// An error located at the file; messages are self-contained.
  mlir::InFlightDiagnostic emitError() { return mlir::emitError(fileLoc); }
  /// Location of IR built for a named thing (node or value) of the model.
  mlir::Location nameLoc(llvm::StringRef name) {
    return mlir::NameLoc::get(mlir::StringAttr::get(&ctx, name), fileLoc);
  }
  /// Location of IR built for a node: its name, with the ONNX op type as
  /// metadata so reports can say which ONNX op a layer came from.
  mlir::Location nodeLoc(llvm::StringRef name, llvm::StringRef opType) {
    return mlir::FusedLoc::get(&ctx, {nameLoc(name)},
                               mlir::StringAttr::get(&ctx, opType));
  }
  /// The value named `name` as an SSA value (materializing a constant);
  /// `wantFloat` converts float constants to f32 and rejects integer ones.
  mlir::FailureOr<mlir::Value> getValue(llvm::StringRef name, bool wantFloat,
                                        NodeContext *user);
};

} // namespace quantc::onnx_import

#endif // QUANTC_LIB_IMPORT_ONNX_IMPORTERIMPL_H
