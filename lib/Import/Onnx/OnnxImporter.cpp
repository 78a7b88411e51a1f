//===- OnnxImporter.cpp - ONNX ModelProto to qc IR ------------------------===//
//
// Order of work, so that a bad model is rejected before anything is built:
//   1. parse the protobuf; find the default-domain opset;
//   2. resolve every node's handler: ONE error lists all unsupported ops;
//   3. validate every initializer (external data, dims, data lengths);
//   4. type the graph inputs (declared shapes, --input-shape);
//   5. build @main node by node; each handler checks its own shapes;
//   6. return the graph outputs and verify.
//
//===----------------------------------------------------------------------===//
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "ImporterImpl.h"
#include "ExternalData.h"

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include "quantc/Numerics/Formats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <climits>
#include <cstdio>
#include <map>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;
using llvm::SmallVector;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

OpBuilder &NodeContext::builder() { return graph.builder; }
MLIRContext *NodeContext::getContext() { return &graph.ctx; }

std::string NodeContext::describe() const {
  std::string s = "node #" + std::to_string(index);
  if (!node.name().empty())
    s += " '" + node.name() + "'";
  s += " (" + node.op_type() + ")";
  return s;
}

InFlightDiagnostic NodeContext::emitError() {
  InFlightDiagnostic diag = graph.emitError();
  diag << describe() << ": ";
  return diag;
}

FailureOr<Value> NodeContext::floatInput(int i) {
  if (!hasInput(i)) {
    emitError() << "input " << i << " is missing";
    return failure();
  }
  return graph.getValue(node.input(i), /*wantFloat=*/true, this);
}

FailureOr<Value> NodeContext::anyInput(int i) {
  if (!hasInput(i)) {
    emitError() << "input " << i << " is missing";
    return failure();
  }
  return graph.getValue(node.input(i), /*wantFloat=*/false, this);
}

const onnx::TensorProto *NodeContext::constantInput(int i) const {
  if (!hasInput(i))
    return nullptr;
  auto it = graph.values.find(node.input(i));
  return it == graph.values.end() ? nullptr : it->second.constant;
}

FailureOr<SmallVector<int64_t>> NodeContext::constIntsInput(int i) {
  if (!hasInput(i)) {
    emitError() << "input " << i << " is missing";
    return failure();
  }
  StringRef name = node.input(i);
  if (!graph.values.count(name)) {
    emitError() << "input '" << name
                << "' is not a graph input, an initializer or the output of "
                   "an earlier node";
    return failure();
  }
  const onnx::TensorProto *t = constantInput(i);
  if (!t) {
    emitError() << "input '" << name
                << "' must be a constant (an initializer or the output of a "
                   "Constant node); computed shapes are not supported yet";
    return failure();
  }
  if (!isIntDataType(t->data_type())) {
    emitError() << "input '" << name << "' has element type "
                << dataTypeName(t->data_type()) << ", expected INT64";
    return failure();
  }
  return tensorToInts(*t);
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

FailureOr<int64_t> NodeContext::intAttr(StringRef name, int64_t dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INT) {
    emitError() << "attribute '" << name << "' must be an INT";
    return failure();
  }
  return a->i();
}

FailureOr<std::string> NodeContext::stringAttr(StringRef name,
                                               StringRef dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt.str();
  if (a->type() != onnx::AttributeProto::STRING) {
    emitError() << "attribute '" << name << "' must be a STRING";
    return failure();
  }
  return a->s();
}

FailureOr<float> NodeContext::floatAttr(StringRef name, float dflt) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::FLOAT) {
    emitError() << "attribute '" << name << "' must be a FLOAT";
    return failure();
  }
  return a->f();
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeContext::intsAttr(StringRef name) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::optional<SmallVector<int64_t>>();
  if (a->type() != onnx::AttributeProto::INTS) {
    emitError() << "attribute '" << name << "' must be INTS";
    return failure();
  }
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>(a->ints().begin(), a->ints().end()));
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              StringRef what) {
  if (axis < -rank || axis >= rank) {
    emitError() << what << " " << axis << " is out of range [" << -rank
                << ", " << rank << ") for an input of rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Rejects inferred result shapes of too high a rank or whose static part is
/// absurdly large, before anything is built.
static LogicalResult checkResultTypes(TypeRange types, std::string &message) {
  for (Type t : types) {
    SmallVector<int64_t> staticPart;
    for (int64_t d : cast<ShapedType>(t).getShape())
      staticPart.push_back(ShapedType::isDynamic(d) ? 1 : d);
    if (llvm::Expected<int64_t> c = checkedElementCount(staticPart); !c) {
      message = "result: " + llvm::toString(c.takeError());
      return failure();
    }
  }
  return success();
}

Operation *NodeContext::buildInferred(OperationState &st) {
  // The dialect's diagnostics become this node's error: its message, with
  // the node named in front, and nothing else printed.
  std::string message;
  Operation *op = nullptr;
  {
    ScopedDiagnosticHandler capture(getContext(), [&](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error && message.empty())
        message = d.str();
      return success();
    });
    // An op without type inference comes with its result types.
    auto *infer = st.name.getInterface<InferTypeOpInterface>();
    assert((infer || !st.types.empty()) &&
           "an op that does not infer its result types needs them given");
    if ((!infer ||
         succeeded(infer->inferReturnTypes(
             getContext(), st.location, st.operands,
             st.attributes.getDictionary(getContext()),
             st.getRawProperties(), st.regions, st.types))) &&
        succeeded(checkResultTypes(st.types, message))) {
      op = builder().create(st);
      if (failed(mlir::verify(op, /*verifyRecursively=*/false))) {
        op->erase();
        op = nullptr;
      }
    }
  }
  if (!op)
    emitError() << message;
  return op;
}

void NodeContext::setOutput(int i, Value v) {
  if (i < node.output_size() && !node.output(i).empty())
    graph.values[node.output(i)] = OnnxValue{v, nullptr};
}

void NodeContext::setConstantOutput(int i, const onnx::TensorProto *t) {
  if (i < node.output_size() && !node.output(i).empty())
    graph.values[node.output(i)] = OnnxValue{{}, t};
}

void NodeContext::aliasOutput(int i, int j) {
  if (i < node.output_size() && !node.output(i).empty())
    graph.values[node.output(i)] = graph.values.lookup(node.input(j));
}

const onnx::TensorProto *NodeContext::ownTensor(onnx::TensorProto t) {
  graph.ownedTensors.push_back(std::move(t));
  return &graph.ownedTensors.back();
}

/// An i64 or i32 constant as the TensorProto an initializer would be.
static std::optional<onnx::TensorProto>
intTensorProto(DenseIntElementsAttr attr, StringRef name) {
  Type et = attr.getElementType();
  if (!et.isSignlessInteger(64) && !et.isSignlessInteger(32))
    return std::nullopt;
  onnx::TensorProto t;
  t.set_name(name.str());
  t.set_data_type(et.isSignlessInteger(64) ? onnx::TensorProto::INT64
                                           : onnx::TensorProto::INT32);
  for (int64_t d : attr.getType().getShape())
    t.add_dims(d);
  for (const APInt &x : attr.getValues<APInt>()) {
    if (et.isSignlessInteger(64))
      t.add_int64_data(x.getSExtValue());
    else
      t.add_int32_data((int32_t)x.getSExtValue());
  }
  return t;
}

/// The f32 values of an f16/bf16 value that is an f32 constant cast to
/// that type exactly (a FLOAT16/BFLOAT16 initializer, or shape arithmetic
/// folded below), and the f32 constant; null otherwise.
static std::pair<DenseFPElementsAttr, Value> exactHalfConstant(Value v) {
  auto c = v.getDefiningOp<qc::CastOp>();
  DenseFPElementsAttr f;
  if (!c || !matchPattern(c.getInput(), m_Constant(&f)) ||
      !f.getElementType().isF32() || f.getNumElements() > 16)
    return {};
  Type to = getElementTypeOrSelf(c.getType());
  if (!to.isF16() && !to.isBF16())
    return {};
  auto fmt =
      to.isF16() ? numerics::ElemFormat::F16 : numerics::ElemFormat::BF16;
  for (float x : f.getValues<float>())
    if (x == x && numerics::roundTo(fmt, x, /*saturate=*/false) != x)
      return {};
  return {f, c.getInput()};
}

/// Folds a qc op with f16/bf16 results whose float operands are exact
/// half constants (shape arithmetic of an fp16 export: sqrt(positions) as
/// Pow 0.5 of a FLOAT16 constant, then a Cast to int64). The Executor
/// computes an f16 op in f32 and rounds only at a cast, so the op is
/// folded on the f32 values with its f32 folder; the result is kept (as an
/// f32 constant cast to the half type) only when each value is exact in
/// that type, i.e. when the cast adds no rounding. A cast of an exact half
/// constant reads the f32 constant instead. Returns whether `op` was
/// replaced and erased.
static bool foldHalfConstantOp(Operation *op,
                               llvm::DenseMap<Value, Value> &replaced) {
  if (op->getNumOperands() == 0 ||
      !llvm::all_of(op->getOperands(), [](Value v) {
        return exactHalfConstant(v).first ||
               matchPattern(v, m_Constant<DenseIntElementsAttr>(nullptr));
      }))
    return false;
  if (auto c = dyn_cast<qc::CastOp>(op)) {
    if (Value f = exactHalfConstant(c.getInput()).second)
      c.getInputMutable().assign(f); // the cast now folds from it
    return false;
  }
  SmallVector<Type> f32Types;
  for (Type t : op->getResultTypes()) {
    auto s = dyn_cast<RankedTensorType>(t);
    if (!s || !s.hasStaticShape() ||
        (!s.getElementType().isF16() && !s.getElementType().isBF16()))
      return false;
    f32Types.push_back(s.clone(Float32Type::get(op->getContext())));
  }
  OpBuilder b(op);
  Operation *wide = b.clone(*op);
  for (OpOperand &o : wide->getOpOperands())
    if (Value f = exactHalfConstant(o.get()).second)
      o.set(f);
  for (auto [r, t] : llvm::zip(wide->getResults(), f32Types))
    r.setType(t);
  SmallVector<Value> results;
  bool ok = succeeded(b.tryFold(wide, results)) &&
            results.size() == op->getNumResults() &&
            llvm::none_of(results,
                          [&](Value r) { return r.getDefiningOp() == wide; });
  SmallVector<Value> halves;
  for (auto [i, r] : llvm::enumerate(ok ? results : SmallVector<Value>{})) {
    Value half =
        qc::CastOp::create(b, op->getLoc(), op->getResultTypes()[i], r);
    halves.push_back(half);
    if (!exactHalfConstant(half).first)
      ok = false;
  }
  wide->erase();
  if (!ok) {
    for (Value h : halves)
      h.getDefiningOp()->erase();
    return false;
  }
  for (auto [from, to] : llvm::zip(op->getResults(), halves)) {
    from.replaceAllUsesWith(to);
    replaced[from] = to;
  }
  op->erase();
  return true;
}

/// Folds the qc ops a node's handler built (from `begin` to the end of the
/// block) with the dialect's folders, in order, as createOrFold would: a
/// shape computation on constants becomes a constant. The node's outputs
/// follow, and an integer constant output is also kept as a TensorProto,
/// so later handlers read it as a constant input (a Reshape's shape).
void NodeContext::foldNodeOps(Block::iterator begin) {
  Block *block = graph.builder.getInsertionBlock();
  SmallVector<Operation *> built;
  for (Operation &op : llvm::make_range(begin, block->end()))
    built.push_back(&op);
  llvm::DenseMap<Value, Value> replaced;
  for (Operation *op : built) {
    // Integer results: shape arithmetic, as the ONNX shape-inference rules
    // fold it; and float results of a few values (shape arithmetic done in
    // float, e.g. sqrt(positions) as Pow 0.5 before a Cast to int64).
    // Larger float constants (weights) are the pipeline's to fold.
    if (!isa_and_nonnull<qc::QCDialect>(op->getDialect()) ||
        op->getNumRegions() ||
        !llvm::all_of(op->getResultTypes(), [](Type t) {
          auto s = cast<ShapedType>(t);
          return isa<IntegerType>(s.getElementType()) ||
                 (s.hasStaticShape() && s.getNumElements() <= 16);
        }))
      continue;
    if (foldHalfConstantOp(op, replaced))
      continue;
    OpBuilder b(op);
    SmallVector<Value> results;
    if (failed(b.tryFold(op, results)) || results.empty() ||
        llvm::any_of(llvm::zip(op->getResults(), results),
                     [](auto p) { return std::get<0>(p) == std::get<1>(p); }))
      continue;
    for (auto [from, to] : llvm::zip(op->getResults(), results)) {
      from.replaceAllUsesWith(to);
      replaced[from] = to;
    }
    op->erase();
  }
  for (const std::string &out : node.output()) {
    auto it = graph.values.find(out);
    if (out.empty() || it == graph.values.end() || !it->second.value)
      continue;
    OnnxValue &v = it->second;
    if (Value to = replaced.lookup(v.value))
      v.value = to;
    DenseIntElementsAttr attr;
    if (!v.constant && matchPattern(v.value, m_Constant(&attr)) &&
        attr.getNumElements() <= (1 << 16))
      if (std::optional<onnx::TensorProto> t = intTensorProto(attr, out))
        v.constant = ownTensor(std::move(*t));
  }
}

/// Imports one node with its handler `h` (the checks of its input and
/// output counts and names first); the node's error on failure.
LogicalResult quantc::onnx_import::importNode(GraphImporter &g,
                                              const onnx::NodeProto &node,
                                              int index, const OnnxOpHandler &h,
                                              int64_t opset) {
  int i = index;
  std::string locName = node.name().empty()
                            ? node.op_type() + "#" + std::to_string(i)
                            : node.name();
  NodeContext nc(g, node, i, opset, g.nodeLoc(locName, node.op_type()));
  if (node.input_size() < h.minInputs || node.input_size() > h.maxInputs) {
    auto diag = nc.emitError();
    diag << "expects ";
    if (h.minInputs == h.maxInputs)
      diag << h.minInputs;
    else
      diag << h.minInputs << " to " << h.maxInputs;
    diag << " input" << (h.maxInputs == 1 ? "" : "s") << " at opset " << opset
         << ", got " << node.input_size();
    return failure();
  }
  if (node.output_size() < h.minOutputs || node.output_size() > h.maxOutputs) {
    nc.emitError() << "expects " << h.minOutputs
                   << (h.minOutputs == h.maxOutputs
                           ? ""
                           : " to " + std::to_string(h.maxOutputs))
                   << " output" << (h.maxOutputs == 1 ? "" : "s") << ", got "
                   << node.output_size();
    return failure();
  }
  for (const std::string &out : node.output()) {
    if (!out.empty() && g.values.count(out)) {
      nc.emitError() << "output '" << out
                     << "' is already defined (ONNX values are assigned "
                        "once)";
      return failure();
    }
  }
  for (int j = 0; j < node.input_size(); ++j) {
    if (j < h.minInputs && !nc.hasInput(j)) {
      nc.emitError() << "input " << j << " is required but empty";
      return failure();
    }
    if (nc.hasInput(j) && !g.values.count(node.input(j))) {
      nc.emitError() << "input '" << node.input(j)
                     << "' is not a graph input, an initializer or the "
                        "output of an earlier node";
      return failure();
    }
  }
  Block *body = g.builder.getInsertionBlock();
  Operation *last = body->empty() ? nullptr : &body->back();
  if (failed(h.fn(nc)))
    return failure();
  nc.foldNodeOps(last ? std::next(last->getIterator()) : body->begin());
  for (const std::string &out : node.output()) {
    if (!out.empty() && !g.values.count(out)) {
      nc.emitError() << "output '" << out
                     << "' is not produced by the importer";
      return failure();
    }
  }
  return success();
}

/// Whether `domain` is ONNX's default one.
static bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// If whose condition folds at import (a test on static shapes, as
/// exporters write for squeeze-if-dim-is-1 and for batch-size branches;
/// fix a dynamic dim with --input-shape): the taken branch's initializers
/// and nodes are imported in the If's place (ONNX's names are unique
/// across the scopes, so the branch reads the outer values by name), and
/// its outputs are the If's. A condition computed at run time is refused.
LogicalResult quantc::onnx_import::importIf(NodeContext &n) {
  FailureOr<Value> c = n.anyInput(0);
  if (failed(c))
    return failure();
  DenseIntElementsAttr cond;
  if (!matchPattern(*c, m_Constant(&cond)) || cond.getNumElements() != 1) {
    n.emitError() << "the condition is computed at run time; only an If "
                     "whose condition folds at import (constants, static "
                     "shapes: fix dynamic dims with --input-shape) is "
                     "supported";
    return failure();
  }
  bool taken = !(*cond.getValues<APInt>().begin()).isZero();
  StringRef which = taken ? "then_branch" : "else_branch";
  const onnx::AttributeProto *branch = n.attr(which);
  if (!branch || branch->type() != onnx::AttributeProto::GRAPH) {
    n.emitError() << "attribute '" << which << "' (a graph) is required";
    return failure();
  }
  const onnx::GraphProto &body = branch->g();
  if (body.output_size() != n.node.output_size()) {
    n.emitError() << which << " has " << body.output_size()
                  << " outputs, the node " << n.node.output_size();
    return failure();
  }
  for (const onnx::TensorProto &t : body.initializer()) {
    llvm::Error err =
        isExternalTensor(t)
            ? llvm::createStringError(llvm::inconvertibleErrorCode(),
                                      "external data inside a branch is not "
                                      "supported")
            : validateTensor(t);
    if (err || t.name().empty() || n.graph.values.count(t.name())) {
      n.emitError() << which << " initializer '" << t.name() << "': "
                    << (err ? llvm::toString(std::move(err))
                            : std::string("its name is empty or already "
                                          "defined"));
      return failure();
    }
    n.graph.values[t.name()] = OnnxValue{{}, &t};
  }
  for (int i = 0; i < body.node_size(); ++i) {
    const onnx::NodeProto &node = body.node(i);
    const OnnxOpHandler *h =
        isDefaultDomain(node.domain())
            ? lookupOnnxOpHandler(node.op_type(), n.opsetVersion)
            : nullptr;
    if (!h) {
      n.emitError() << which << " node #" << i << " '" << node.name()
                    << "': unsupported ONNX op type "
                    << (isDefaultDomain(node.domain())
                            ? node.op_type()
                            : node.domain() + "." + node.op_type())
                    << " at opset " << n.opsetVersion;
      return failure();
    }
    if (failed(importNode(n.graph, node, i, *h, n.opsetVersion)))
      return failure();
  }
  for (auto [k, out] : llvm::enumerate(body.output())) {
    FailureOr<Value> v = n.graph.getValue(out.name(), /*wantFloat=*/false, &n);
    if (failed(v))
      return failure();
    n.setOutput(k, *v);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

FailureOr<Value> GraphImporter::getValue(StringRef name, bool wantFloat,
                                         NodeContext *user) {
  auto prefix = [&](InFlightDiagnostic diag) {
    if (user)
      diag << user->describe() << ": ";
    else
      diag << "graph output '" << name << "': ";
    return diag;
  };
  auto it = values.find(name);
  if (it == values.end()) {
    prefix(emitError()) << "'" << name
                        << "' is not a graph input, an initializer or the "
                           "output of an earlier node";
    return failure();
  }
  OnnxValue &v = it->second;
  if (!v.value && !v.constant) { // cannot happen: every entry has one
    prefix(emitError()) << "internal error: '" << name << "' has no value";
    return failure();
  }
  if (v.value) {
    Type elementType = cast<ShapedType>(v.value.getType()).getElementType();
    if (wantFloat && !isa<FloatType>(elementType)) {
      prefix(emitError()) << "input '" << name << "' is not a float tensor";
      return failure();
    }
    return v.value;
  }
  const onnx::TensorProto &t = *v.constant;
  if (!wantFloat && codeElementType(ctx, t.data_type())) {
    Value &codes = materialized[&t];
    if (!codes) {
      llvm::Expected<DenseElementsAttr> attr = tensorToCodesAttr(ctx, t);
      if (!attr) {
        prefix(emitError()) << "constant '" << name
                            << "': " << llvm::toString(attr.takeError());
        return failure();
      }
      codes = arith::ConstantOp::create(builder, nameLoc(name), *attr)
                  .getResult();
    }
    return codes;
  }
  bool isFloat = isFloatDataType(t.data_type());
  if (!wantFloat && isOwnTypeIntDataType(t.data_type())) {
    Value &own = materialized[&t];
    if (!own)
      own = arith::ConstantOp::create(builder, nameLoc(name),
                                      tensorToOwnTypeAttr(ctx, t))
                .getResult();
    return own;
  }
  if (!isFloat && (wantFloat || !isIntDataType(t.data_type()))) {
    prefix(emitError()) << "constant '" << name << "' has element type "
                        << dataTypeName(t.data_type()) << ", expected "
                        << (wantFloat ? "a float type (FLOAT, FLOAT16, "
                                        "BFLOAT16, DOUBLE)"
                                      : "a float type, INT32 or INT64");
    return failure();
  }
  Value &cached = materialized[&t];
  if (!cached) {
    TypedAttr attr = isFloat ? tensorToF32Constant(ctx, t)
                             : TypedAttr(tensorToI64Attr(ctx, t));
    cached =
        arith::ConstantOp::create(builder, nameLoc(name), attr).getResult();
    // A FLOAT16 or BFLOAT16 constant keeps its type, as its f32 values
    // (which hold it exactly) cast to it: an f16 model's values and
    // constants meet in one type whatever computes them (qc-widen-floats
    // folds the casts into f32 constants again).
    int32_t dt = t.data_type();
    if (dt == onnx::TensorProto::FLOAT16 || dt == onnx::TensorProto::BFLOAT16)
      cached = qc::CastOp::create(
                   builder, nameLoc(name),
                   RankedTensorType::get(
                       cast<ShapedType>(cached.getType()).getShape(),
                       onnxElementType(ctx, dt)),
                   cached)
                   .getResult();
  }
  return cached;
}

//===----------------------------------------------------------------------===//
// Model import
//===----------------------------------------------------------------------===//

namespace {

/// " (used by node #i 'name' (Op))" for the first node reading `value`.
std::string describeFirstUser(const onnx::GraphProto &graph, StringRef value) {
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &n = graph.node(i);
    if (llvm::is_contained(n.input(), value))
      return " (used by node #" + std::to_string(i) +
             (n.name().empty() ? "" : " '" + n.name() + "'") + " (" +
             n.op_type() + "))";
  }
  return "";
}

/// The type of one graph input: its declared shape, overridden by
/// --input-shape.
/// The constant an --input-value binds input `vi` to: its declared element
/// type (an integer, float or bool type) and shape (static; a scalar, or
/// one dynamic dim of a 1-D input set to the number of values), holding
/// `values` (each exact in that type).
FailureOr<onnx::TensorProto> boundInputTensor(GraphImporter &g,
                                              const onnx::ValueInfoProto &vi,
                                              ArrayRef<double> values) {
  auto fail = [&](const llvm::Twine &why) {
    g.emitError() << "--input-value for input '" << vi.name() << "': " << why;
    return failure();
  };
  const auto &tt = vi.type().tensor_type();
  int32_t dt = tt.elem_type();
  using TP = onnx::TensorProto;
  bool isInt = dt == TP::INT64 || dt == TP::INT32 || dt == TP::INT16 ||
               dt == TP::INT8 || dt == TP::UINT8 || dt == TP::UINT16 ||
               dt == TP::UINT32 || dt == TP::UINT64 || dt == TP::BOOL;
  if (!isInt && dt != TP::FLOAT && dt != TP::DOUBLE)
    return fail("its element type " + dataTypeName(dt) +
                " cannot be bound (integers, bool, FLOAT and DOUBLE can)");
  onnx::TensorProto t;
  t.set_name(vi.name());
  t.set_data_type(dt);
  int64_t n = 1;
  int rank = tt.has_shape() ? tt.shape().dim_size() : 0;
  for (int i = 0; i < rank; ++i) {
    const auto &d = tt.shape().dim(i);
    int64_t v = d.has_dim_value() ? d.dim_value() : -1;
    if (v < 0 && rank == 1)
      v = static_cast<int64_t>(values.size());
    if (v < 0)
      return fail("its dim " + llvm::Twine(i) +
                  " is not static (fix it in the model)");
    t.add_dims(v);
    n *= v;
  }
  if (n != static_cast<int64_t>(values.size()))
    return fail("its shape holds " + llvm::Twine(n) + " values, " +
                llvm::Twine(values.size()) + " given");
  for (double v : values) {
    if (isInt && (v != std::trunc(v) || (dt == TP::BOOL && v != 0 && v != 1))) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      return fail(llvm::Twine(buf) + " is not a value of type " +
                  dataTypeName(dt));
    }
    switch (dt) {
    case TP::FLOAT:
      t.add_float_data(static_cast<float>(v));
      break;
    case TP::DOUBLE:
      t.add_double_data(v);
      break;
    case TP::INT64:
      t.add_int64_data(static_cast<int64_t>(v));
      break;
    case TP::UINT32:
    case TP::UINT64:
      t.add_uint64_data(static_cast<uint64_t>(v));
      break;
    default: // INT32, INT16, INT8, UINT8, UINT16, BOOL: int32_data
      t.add_int32_data(static_cast<int32_t>(v));
    }
  }
  if (llvm::Error err = validateTensor(t))
    return fail(llvm::toString(std::move(err)));
  return t;
}

FailureOr<RankedTensorType> importInputType(GraphImporter &g,
                                            const onnx::ValueInfoProto &vi,
                                            const OnnxImportOptions &opts) {
  StringRef name = vi.name();
  if (!vi.has_type() || !vi.type().has_tensor_type()) {
    g.emitError() << "graph input '" << name
                  << "' is not a tensor (sequence, map, optional and sparse "
                     "inputs are not supported)";
    return failure();
  }
  const onnx::TypeProto::Tensor &tt = vi.type().tensor_type();
  // f32, f16, bf16, f64, every integer width and bool, and the code types
  // of quantized tensors; null for anything else (STRING, complex).
  Type elementType = onnxElementType(g.ctx, tt.elem_type());
  if (!elementType) {
    g.emitError() << "graph input '" << name << "' has element type "
                  << dataTypeName(tt.elem_type())
                  << "; graph inputs of the numeric types FLOAT, FLOAT16, "
                     "BFLOAT16, DOUBLE, INT8-INT64, UINT8-UINT64 and BOOL "
                     "are supported, and quantized codes (INT4, UINT4, "
                     "FLOAT8E4M3FN, FLOAT8E5M2, FLOAT4E2M1)";
    return failure();
  }
  std::optional<SmallVector<int64_t>> declared;
  if (tt.has_shape()) {
    if (tt.shape().dim_size() > kMaxRank) {
      g.emitError() << "graph input '" << name << "' has rank "
                    << tt.shape().dim_size() << ", over the limit of "
                    << kMaxRank;
      return failure();
    }
    declared.emplace();
    for (const onnx::TensorShapeProto::Dimension &d : tt.shape().dim()) {
      if (d.has_dim_value() && d.dim_value() == -1) {
        // Paddle2ONNX (PP-OCR's classifier) writes -1 for a dimension it
        // does not know; ONNX Runtime reads it as symbolic, and so do we.
        declared->push_back(ShapedType::kDynamic);
      } else if (d.has_dim_value()) {
        if (d.dim_value() < 0) {
          g.emitError() << "graph input '" << name
                        << "' has a negative dimension " << d.dim_value();
          return failure();
        }
        declared->push_back(d.dim_value());
      } else {
        declared->push_back(ShapedType::kDynamic);
      }
    }
  }
  SmallVector<int64_t> shape;
  auto it = opts.inputShapes.find(name);
  if (it != opts.inputShapes.end()) {
    const SmallVector<int64_t> &given = it->second;
    std::string spec =
        llvm::join(llvm::map_range(given,
                                   [](int64_t d) {
                                     return ShapedType::isDynamic(d)
                                                ? std::string("?")
                                                : std::to_string(d);
                                   }),
                   "x");
    if (declared && declared->size() != given.size()) {
      g.emitError() << "--input-shape " << name << "=" << spec
                    << " has rank " << given.size() << ", but the model "
                    << "declares rank " << declared->size() << " ("
                    << qc::dimsStr(*declared) << ")";
      return failure();
    }
    for (size_t i = 0; declared && i < given.size(); ++i) {
      if (!ShapedType::isDynamic((*declared)[i]) &&
          !ShapedType::isDynamic(given[i]) && (*declared)[i] != given[i]) {
        g.emitError() << "--input-shape " << name << "=" << spec
                      << " disagrees with the "
                      << "declared shape " << qc::dimsStr(*declared)
                      << " in dimension " << i;
        return failure();
      }
    }
    shape = given;
    // '?' leaves the dimension as the model declares it.
    for (size_t i = 0; declared && i < given.size(); ++i)
      if (ShapedType::isDynamic(given[i]))
        shape[i] = (*declared)[i];
  } else if (declared) {
    shape = *declared;
  } else {
    g.emitError() << "graph input '" << name
                  << "' has no shape (unknown rank); give one with "
                     "--input-shape "
                  << name << "=DIMxDIMx...";
    return failure();
  }
  SmallVector<int64_t> staticPart;
  for (int64_t d : shape)
    staticPart.push_back(ShapedType::isDynamic(d) ? 1 : d);
  if (llvm::Expected<int64_t> n = checkedElementCount(staticPart); !n) {
    g.emitError() << "graph input '" << name
                  << "': " << llvm::toString(n.takeError());
    return failure();
  }
  return RankedTensorType::get(shape, elementType);
}

OwningOpRef<ModuleOp>
importModel(MLIRContext &ctx, std::shared_ptr<const onnx::ModelProto> modelPtr,
            StringRef fileName, const OnnxImportOptions &opts) {
  ctx.loadDialect<qc::QCDialect, func::FuncDialect, arith::ArithDialect>();
  GraphImporter g(ctx, fileName);
  const onnx::ModelProto &model = *modelPtr;
  WeightStore store(fileName, modelPtr); // external files, blob owners
  WeightStoreScope storeScope(store);

  // 1. The model and its opset.
  if (!model.has_graph()) {
    g.emitError() << "not a valid ONNX model: it has no graph (is this an "
                     "ONNX file?)";
    return nullptr;
  }
  const onnx::GraphProto &graph = model.graph();
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (isDefaultDomain(o.domain()))
      opset = o.version();
  if (opset < 0) {
    g.emitError() << "the model imports no opset of the default ONNX domain";
    return nullptr;
  }
  if (opset < 1) {
    g.emitError() << "invalid default-domain opset version " << opset;
    return nullptr;
  }
  if (opset > kNewestKnownOpset)
    emitWarning(g.fileLoc) << "the model uses opset " << opset
                           << ", newer than the newest this importer knows ("
                           << kNewestKnownOpset << "); ops are imported with "
                           << "their opset-" << kNewestKnownOpset
                           << " semantics";

  // 2. Every node's handler; all unsupported ops in one error.
  std::map<std::string, int64_t> unsupported;
  SmallVector<const OnnxOpHandler *> handlers;
  for (const onnx::NodeProto &node : graph.node()) {
    const OnnxOpHandler *h = nullptr;
    if (isDefaultDomain(node.domain()))
      h = lookupOnnxOpHandler(node.op_type(), opset);
    handlers.push_back(h);
    if (!h) {
      std::string key = isDefaultDomain(node.domain())
                            ? node.op_type()
                            : node.domain() + "." + node.op_type();
      ++unsupported[key.empty() ? "<empty op_type>" : key];
    }
  }
  if (!unsupported.empty()) {
    int64_t nodes = 0;
    SmallVector<std::string> parts;
    for (auto &[op, count] : unsupported) {
      nodes += count;
      parts.push_back(op + " (" + std::to_string(count) +
                      (count == 1 ? " node)" : " nodes)"));
    }
    g.emitError() << unsupported.size() << " unsupported ONNX op type"
                  << (unsupported.size() == 1 ? "" : "s") << " at opset "
                  << opset << " (" << nodes << " of " << graph.node_size()
                  << " nodes): " << llvm::join(parts, ", ");
    return nullptr;
  }

  // 3. Initializers.
  if (graph.sparse_initializer_size() > 0) {
    g.emitError() << "sparse initializers are not supported";
    return nullptr;
  }
  llvm::StringSet<> initNames;
  for (int i = 0; i < graph.initializer_size(); ++i) {
    const onnx::TensorProto &t = graph.initializer(i);
    if (t.name().empty()) {
      g.emitError() << "initializer #" << i << " has no name";
      return nullptr;
    }
    if (!initNames.insert(t.name()).second) {
      g.emitError() << "initializer '" << t.name() << "' is defined twice";
      return nullptr;
    }
    llvm::Error err = isExternalTensor(t) ? store.loadExternal(t)
                                          : llvm::Error::success();
    if (!err)
      err = validateTensor(t);
    if (err) {
      g.emitError() << "initializer '" << t.name()
                    << "': " << llvm::toString(std::move(err))
                    << describeFirstUser(graph, t.name());
      return nullptr;
    }
  }

  // 4. Graph inputs (those that are not initializers).
  SmallVector<const onnx::ValueInfoProto *> inputs;
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &vi : graph.input()) {
    if (vi.name().empty()) {
      g.emitError() << "a graph input has no name";
      return nullptr;
    }
    if (initNames.contains(vi.name()))
      continue; // an initializer with a default value: a constant
    if (!inputNames.insert(vi.name()).second) {
      g.emitError() << "graph input '" << vi.name() << "' is listed twice";
      return nullptr;
    }
    inputs.push_back(&vi);
  }
  auto notAnInput = [&](StringRef option, StringRef name) {
    SmallVector<StringRef> names;
    for (const onnx::ValueInfoProto *vi : inputs)
      names.push_back(vi->name());
    g.emitError() << option << " names '" << name
                  << "', which is not a graph input (inputs: "
                  << (names.empty() ? std::string("none")
                                    : llvm::join(names, ", "))
                  << ")";
  };
  for (const auto &entry : opts.inputShapes) {
    if (!inputNames.contains(entry.getKey())) {
      notAnInput("--input-shape", entry.getKey());
      return nullptr;
    }
  }
  // Inputs bound to values (--input-value) become constants.
  SmallVector<onnx::TensorProto> boundInputs;
  for (const auto &entry : opts.inputValues) {
    StringRef name = entry.getKey();
    if (!inputNames.contains(name)) {
      notAnInput("--input-value", name);
      return nullptr;
    }
    if (opts.inputShapes.count(name)) {
      g.emitError() << "input '" << name
                    << "' is given both --input-shape and --input-value";
      return nullptr;
    }
    const onnx::ValueInfoProto &vi =
        **llvm::find_if(inputs, [&](const onnx::ValueInfoProto *v) {
          return v->name() == name;
        });
    FailureOr<onnx::TensorProto> t = boundInputTensor(g, vi, entry.getValue());
    if (failed(t))
      return nullptr;
    boundInputs.push_back(std::move(*t));
  }
  llvm::erase_if(inputs, [&](const onnx::ValueInfoProto *vi) {
    return opts.inputValues.count(vi->name()) != 0;
  });
  SmallVector<Type> argTypes;
  for (const onnx::ValueInfoProto *vi : inputs) {
    FailureOr<RankedTensorType> t = importInputType(g, *vi, opts);
    if (failed(t))
      return nullptr;
    argTypes.push_back(*t);
  }

  // 5. @main, node by node.
  OwningOpRef<ModuleOp> module = ModuleOp::create(g.fileLoc);
  g.builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(g.builder, g.fileLoc, "main",
                                   g.builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, vi] : llvm::enumerate(inputs)) {
    BlockArgument arg = entry->getArgument(i);
    arg.setLoc(g.nameLoc(vi->name()));
    func.setArgAttr(i, "qc.name", g.builder.getStringAttr(vi->name()));
    g.values[vi->name()] = OnnxValue{arg, nullptr};
  }
  for (const onnx::TensorProto &t : graph.initializer())
    g.values[t.name()] = OnnxValue{{}, &t};
  for (onnx::TensorProto &t : boundInputs) {
    g.ownedTensors.push_back(std::move(t));
    g.values[g.ownedTensors.back().name()] =
        OnnxValue{{}, &g.ownedTensors.back()};
  }
  for (const onnx::ValueInfoProto &vi : graph.value_info())
    g.declared[vi.name()] = &vi;
  for (const onnx::ValueInfoProto &vi : graph.output())
    g.declared[vi.name()] = &vi;
  g.builder.setInsertionPointToEnd(entry);

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(g, graph.node(i), i, *handlers[i], opset)))
      return nullptr;

  // 6. Outputs.
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &vi : graph.output()) {
    if (vi.name().empty()) {
      g.emitError() << "a graph output has no name";
      return nullptr;
    }
    FailureOr<Value> v = g.getValue(vi.name(), /*wantFloat=*/false, nullptr);
    if (failed(v))
      return nullptr;
    results.push_back(*v);
  }
  func::ReturnOp::create(g.builder, g.fileLoc, results);
  // Constants that folding left without a user (a qc.shape folded into
  // the gather that then folded too), and FLOAT16/BFLOAT16 constants'
  // casts that every reader took the f32 values of.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*entry)))
    if (op.use_empty() &&
        (isa<arith::ConstantOp>(op) ||
         (isa<qc::CastOp>(op) &&
          op.getOperand(0).getDefiningOp<arith::ConstantOp>())))
      op.erase();
  func.setFunctionType(
      g.builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, vi] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "qc.name", g.builder.getStringAttr(vi.name()));

  if (failed(verify(*module))) {
    g.emitError() << "internal error: the imported IR does not verify; "
                     "please report this model";
    return nullptr;
  }
  return module;
}

} // namespace

OwningOpRef<ModuleOp> quantc::importOnnxBytes(MLIRContext &ctx,
                                              StringRef bytes,
                                              StringRef nameForDiagnostics,
                                              const OnnxImportOptions &opts) {
  Location fileLoc = FileLineColLoc::get(&ctx, nameForDiagnostics, 0, 0);
  if (bytes.size() > size_t(INT_MAX)) {
    emitError(fileLoc) << "the model is " << bytes.size()
                       << " bytes; protobuf cannot parse a model over 2 GiB: "
                          "save it with its weights as external data";
    return nullptr;
  }
  // Shared: dense_resource blobs made from its raw_data keep it alive.
  auto model = std::make_shared<onnx::ModelProto>();
  if (!model->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(fileLoc) << "not a valid ONNX model: the protobuf does not "
                          "parse (truncated or not an ONNX file)";
    return nullptr;
  }
  return importModel(ctx, model, nameForDiagnostics, opts);
}

OwningOpRef<ModuleOp> quantc::importOnnxFile(MLIRContext &ctx, StringRef path,
                                             const OnnxImportOptions &opts) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(FileLineColLoc::get(&ctx, path, 0, 0))
        << "cannot read the model: " << buf.getError().message();
    return nullptr;
  }
  return importOnnxBytes(ctx, (*buf)->getBuffer(), path, opts);
}

/// Splits an --input-shape / --input-value spec "NAME=REST" at its last
/// '=' (`fail` makes the option's error).
template <typename Fail>
static llvm::Expected<std::pair<StringRef, StringRef>>
splitInputSpec(StringRef spec, Fail fail) {
  size_t eq = spec.rfind('=');
  if (eq == StringRef::npos)
    return fail("no '='");
  if (eq == 0)
    return fail("empty input name");
  return std::make_pair(spec.take_front(eq), spec.drop_front(eq + 1));
}

llvm::Error quantc::parseInputValueOption(StringRef spec,
                                          OnnxImportOptions &opts) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "bad --input-value '" + spec + "': " + why +
                                       " (expected NAME=VALUE[,VALUE...], "
                                       "e.g. sr=16000)");
  };
  auto split = splitInputSpec(spec, fail);
  if (!split)
    return split.takeError();
  auto [name, rest] = *split;
  SmallVector<StringRef> parts;
  rest.split(parts, ',');
  SmallVector<double> values;
  for (StringRef p : parts) {
    double v;
    if (p.trim().getAsDouble(v))
      return fail("'" + p + "' is not a number");
    values.push_back(v);
  }
  if (!opts.inputValues.try_emplace(name, std::move(values)).second)
    return fail("input '" + name + "' is given twice");
  return llvm::Error::success();
}

llvm::Error quantc::parseInputShapeOption(StringRef spec,
                                          OnnxImportOptions &opts) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "bad --input-shape '" + spec + "': " + why +
                                       " (expected NAME=DIMxDIMx..., e.g. "
                                       "input=1x3x48x320, or ?x3x48x320 "
                                       "to keep the batch free)");
  };
  auto split = splitInputSpec(spec, fail);
  if (!split)
    return split.takeError();
  auto [name, dims] = *split;
  SmallVector<int64_t> shape;
  if (!dims.empty()) {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    if ((int64_t)parts.size() > kMaxRank)
      return fail("rank " + llvm::Twine(parts.size()) +
                  " exceeds the limit of " + llvm::Twine(kMaxRank));
    for (StringRef p : parts) {
      int64_t d;
      if (p == "?") { // as the model declares it (e.g. a free batch)
        shape.push_back(ShapedType::kDynamic);
        continue;
      }
      if (p.empty() || p.getAsInteger(10, d))
        return fail("'" + p + "' is not a dimension");
      if (d < 0)
        return fail("negative dimension " + p);
      shape.push_back(d);
    }
    SmallVector<int64_t> fixed(llvm::make_filter_range(
        shape, [](int64_t d) { return !ShapedType::isDynamic(d); }));
    if (llvm::Expected<int64_t> n = checkedElementCount(fixed); !n)
      return fail(llvm::toString(n.takeError()));
  }
  if (!opts.inputShapes.try_emplace(name, std::move(shape)).second)
    return fail("input '" + name + "' is given twice");
  return llvm::Error::success();
}
