//===- OnnxImporterTest.cpp - importer API tests --------------------------===//
//
// Models are built in C++ with the generated onnx classes, serialized, and
// imported from bytes; diagnostics are captured to check what they name.
//
//===----------------------------------------------------------------------===//
#include "quantc/Import/Onnx/OnnxImporter.h"

#include "onnx/onnx.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace mlir;
using namespace quantc;

namespace {

void addInput(onnx::GraphProto &g, const std::string &name,
              const std::vector<int64_t> &dims) {
  onnx::ValueInfoProto *vi = g.add_input();
  vi->set_name(name);
  auto *tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto *shape = tt->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0)
      shape->add_dim()->set_dim_param("n");
    else
      shape->add_dim()->set_dim_value(d);
  }
}

onnx::TensorProto *addWeight(onnx::GraphProto &g, const std::string &name,
                             const std::vector<int64_t> &dims) {
  onnx::TensorProto *t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = 0.5f * i;
  t->set_raw_data(std::string(reinterpret_cast<char *>(v.data()), 4 * n));
  return t;
}

onnx::NodeProto *addNode(onnx::GraphProto &g, const std::string &op,
                         const std::vector<std::string> &ins,
                         const std::string &out, const std::string &name) {
  onnx::NodeProto *n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string &i : ins)
    n->add_input(i);
  n->add_output(out);
  return n;
}

onnx::ModelProto makeModel(int64_t opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto *o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

/// Imports `m`, collecting error messages.
struct Import {
  MLIRContext ctx;
  std::vector<std::string> errors;
  OwningOpRef<ModuleOp> module;

  explicit Import(const onnx::ModelProto &m, const OnnxImportOptions &o = {})
      : Import(m.SerializeAsString(), o) {}
  Import(const std::string &bytes, const OnnxImportOptions &o) {
    ScopedDiagnosticHandler h(&ctx, [&](Diagnostic &d) {
      if (d.getSeverity() == DiagnosticSeverity::Error)
        errors.push_back(d.str());
      return success();
    });
    module = importOnnxBytes(ctx, bytes, "test.onnx", o);
  }
  std::string allErrors() const {
    std::string s;
    for (const std::string &e : errors)
      s += e + "\n";
    return s;
  }
};

TEST(OnnxImporter, MatMulAdd) {
  onnx::ModelProto m = makeModel();
  auto &g = *m.mutable_graph();
  addInput(g, "x", {-1, 3});
  addWeight(g, "w", {3, 4});
  addWeight(g, "b", {4});
  addNode(g, "MatMul", {"x", "w"}, "h", "mm");
  addNode(g, "Add", {"h", "b"}, "y", "bias");
  g.add_output()->set_name("y");

  Import imp(m);
  ASSERT_TRUE(imp.module) << imp.allErrors();
  auto main = imp.module->lookupSymbol<func::FuncOp>("main");
  ASSERT_TRUE(main);
  auto fnType = main.getFunctionType();
  ASSERT_EQ(fnType.getNumInputs(), 1u);
  ASSERT_EQ(fnType.getNumResults(), 1u);
  auto res = cast<RankedTensorType>(fnType.getResult(0));
  EXPECT_TRUE(res.isDynamicDim(0));
  EXPECT_EQ(res.getDimSize(1), 4);
  EXPECT_EQ(main.getArgAttrOfType<StringAttr>(0, "qc.name").getValue(), "x");
  EXPECT_EQ(main.getResultAttrOfType<StringAttr>(0, "qc.name").getValue(),
            "y");
  int matmuls = 0;
  main.walk([&](Operation *op) {
    if (op->getName().getStringRef() == "qc.matmul") {
      ++matmuls;
      // Node locations: the node name, fused with the op type as metadata.
      auto fused = dyn_cast<FusedLoc>(op->getLoc());
      ASSERT_TRUE(fused);
      auto opType = dyn_cast_or_null<StringAttr>(fused.getMetadata());
      ASSERT_TRUE(opType);
      EXPECT_EQ(opType.getValue(), "MatMul");
      ASSERT_EQ(fused.getLocations().size(), 1u);
      auto loc = dyn_cast<NameLoc>(fused.getLocations()[0]);
      ASSERT_TRUE(loc);
      EXPECT_EQ(loc.getName().getValue(), "mm");
    }
  });
  EXPECT_EQ(matmuls, 1);
}

TEST(OnnxImporter, InputShapeOption) {
  onnx::ModelProto m = makeModel();
  auto &g = *m.mutable_graph();
  addInput(g, "x", {-1, 3});
  addNode(g, "Relu", {"x"}, "y", "r");
  g.add_output()->set_name("y");
  OnnxImportOptions opts;
  ASSERT_FALSE(bool(parseInputShapeOption("x=5x3", opts)));
  Import imp(m, opts);
  ASSERT_TRUE(imp.module) << imp.allErrors();
  auto main = imp.module->lookupSymbol<func::FuncOp>("main");
  EXPECT_EQ(cast<RankedTensorType>(main.getFunctionType().getInput(0))
                .getShape(),
            ArrayRef<int64_t>({5, 3}));
}

TEST(OnnxImporter, ShapeErrorNamesNode) {
  onnx::ModelProto m = makeModel();
  auto &g = *m.mutable_graph();
  addInput(g, "x", {2, 3});
  addWeight(g, "w", {4, 5});
  addNode(g, "Relu", {"x"}, "r", "act");
  addNode(g, "MatMul", {"r", "w"}, "y", "proj");
  g.add_output()->set_name("y");
  Import imp(m);
  EXPECT_FALSE(imp.module);
  ASSERT_EQ(imp.errors.size(), 1u) << imp.allErrors();
  EXPECT_NE(imp.errors[0].find("node #1 'proj' (MatMul)"), std::string::npos)
      << imp.errors[0];
  EXPECT_NE(imp.errors[0].find("inner dimensions differ"), std::string::npos);
}

TEST(OnnxImporter, UnsupportedOpsListedOnce) {
  onnx::ModelProto m = makeModel();
  auto &g = *m.mutable_graph();
  addInput(g, "x", {2});
  addNode(g, "Det", {"x"}, "a", "");
  addNode(g, "Det", {"a"}, "b", "");
  addNode(g, "Unique", {"b"}, "y", "");
  g.add_output()->set_name("y");
  Import imp(m);
  EXPECT_FALSE(imp.module);
  ASSERT_EQ(imp.errors.size(), 1u) << imp.allErrors();
  EXPECT_NE(imp.errors[0].find("Det (2 nodes), Unique (1 node)"),
            std::string::npos)
      << imp.errors[0];
}

TEST(OnnxImporter, LegacyOpsetIsUnsupported) {
  // Upsample-1 (height_scale / width_scale attributes) has no handler.
  onnx::ModelProto m = makeModel(6);
  auto &g = *m.mutable_graph();
  addInput(g, "x", {1, 1, 2, 2});
  addNode(g, "Upsample", {"x"}, "y", "");
  g.add_output()->set_name("y");
  Import imp(m);
  EXPECT_FALSE(imp.module);
  ASSERT_EQ(imp.errors.size(), 1u);
  EXPECT_NE(imp.errors[0].find("at opset 6"), std::string::npos);
  EXPECT_NE(imp.errors[0].find("Upsample (1 node)"), std::string::npos);
}

TEST(OnnxImporter, LegacyBroadcastAxis) {
  // Add-6 with broadcast = 1, axis = 1: B [3] lines up with dim 1 of A
  // [2, 3, 4], so it is reshaped to [3, 1] before a numpy add.
  onnx::ModelProto m = makeModel(6);
  auto &g = *m.mutable_graph();
  addInput(g, "x", {2, 3, 4});
  addWeight(g, "b", {3});
  onnx::NodeProto *n = addNode(g, "Add", {"x", "b"}, "y", "add");
  for (auto [name, v] : {std::pair<const char *, int64_t>{"broadcast", 1},
                         {"axis", 1}}) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  g.add_output()->set_name("y");
  Import imp(m);
  ASSERT_TRUE(imp.module) << (imp.errors.empty() ? "" : imp.errors[0]);
  std::string text;
  llvm::raw_string_ostream os(text);
  imp.module->print(os);
  // (The reshape of the constant folds.)
  EXPECT_NE(text.find("(tensor<2x3x4xf32>, tensor<3x1xf32>) -> "
                      "tensor<2x3x4xf32>"),
            std::string::npos)
      << text;
}

TEST(OnnxImporter, RawDataLengthChecked) {
  onnx::ModelProto m = makeModel();
  auto &g = *m.mutable_graph();
  addInput(g, "x", {3});
  addWeight(g, "w", {3})->mutable_raw_data()->resize(8);
  addNode(g, "Add", {"x", "w"}, "y", "");
  g.add_output()->set_name("y");
  Import imp(m);
  EXPECT_FALSE(imp.module);
  ASSERT_EQ(imp.errors.size(), 1u);
  EXPECT_NE(imp.errors[0].find("raw_data has 8 bytes, expected 12"),
            std::string::npos)
      << imp.errors[0];
}

TEST(OnnxImporter, GarbageAndTruncated) {
  {
    Import imp(std::string("\xff\xff\xff\xff garbage", 12), {});
    EXPECT_FALSE(imp.module);
    ASSERT_EQ(imp.errors.size(), 1u);
    EXPECT_NE(imp.errors[0].find("not a valid ONNX model"), std::string::npos);
  }
  onnx::ModelProto m = makeModel();
  auto &g = *m.mutable_graph();
  addInput(g, "x", {3});
  addWeight(g, "w", {64});
  addNode(g, "Add", {"x", "w"}, "y", "");
  g.add_output()->set_name("y");
  std::string bytes = m.SerializeAsString();
  // Every prefix fails cleanly (or, at a field boundary, imports something
  // smaller) -- never crashes.
  for (size_t n = 0; n < bytes.size(); n += 7) {
    Import imp(bytes.substr(0, n), {});
    EXPECT_TRUE(imp.module || !imp.errors.empty()) << "prefix " << n;
  }
}

TEST(OnnxImporter, ParseInputShapeOption) {
  OnnxImportOptions opts;
  EXPECT_FALSE(bool(parseInputShapeOption("images=1x3x48x320", opts)));
  EXPECT_EQ(opts.inputShapes.lookup("images"),
            (llvm::SmallVector<int64_t>{1, 3, 48, 320}));
  EXPECT_FALSE(bool(parseInputShapeOption("scalar=", opts)));
  EXPECT_TRUE(opts.inputShapes.lookup("scalar").empty());
  EXPECT_FALSE(bool(parseInputShapeOption("a=b=2x2", opts))); // name "a=b"
  EXPECT_TRUE(opts.inputShapes.count("a=b"));
  for (const char *bad : {"images", "=1x2", "x=1xx2", "x=1x-2", "x=ax2",
                          "images=1x1"}) {
    llvm::Error err = parseInputShapeOption(bad, opts);
    EXPECT_TRUE(bool(err)) << bad;
    llvm::consumeError(std::move(err));
  }
}

} // namespace
