//===- ExternalDataTest.cpp - external data and weight blobs --------------===//
//
// Models with external data are written to a temporary directory and
// imported from the file. Checks what the lit/pytest tests cannot see: the
// values behind a dense_resource blob, that the blob outlives the import (the
// mapping is kept alive by the blob, not by the importer), and the copy made
// for a misaligned offset.
//
//===----------------------------------------------------------------------===//
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/Support/Constants.h"

#include "onnx/onnx.pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

using namespace mlir;
using namespace quantc;

namespace {

struct TempDir {
  llvm::SmallString<128> path;
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("quantc-ext", path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> p(path);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
};

std::vector<float> ramp(int64_t n, float scale) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = scale * float(i) - 3.0f;
  return v;
}

/// x[1,K] @ w[K,N] -> y; w external at `offset` in weights.bin (the bytes
/// before it are padding). Returns the model path.
std::string writeModel(const TempDir &dir, int64_t K, int64_t N, int64_t offset,
                       const std::vector<float> &w,
                       int64_t declaredLength = -1) {
  {
    std::ofstream f(dir.file("weights.bin"), std::ios::binary);
    std::string pad(offset, '\x7f');
    f.write(pad.data(), pad.size());
    f.write(reinterpret_cast<const char *>(w.data()), 4 * w.size());
  }
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto *g = m.mutable_graph();
  onnx::ValueInfoProto *x = g->add_input();
  x->set_name("x");
  auto *xt = x->mutable_type()->mutable_tensor_type();
  xt->set_elem_type(onnx::TensorProto::FLOAT);
  xt->mutable_shape()->add_dim()->set_dim_value(1);
  xt->mutable_shape()->add_dim()->set_dim_value(K);
  onnx::TensorProto *t = g->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(K);
  t->add_dims(N);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char *k, const std::string &v) {
    auto *e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", "weights.bin");
  add("offset", std::to_string(offset));
  add("length", std::to_string(declaredLength >= 0 ? declaredLength
                                                   : int64_t(4 * w.size())));
  onnx::NodeProto *n = g->add_node();
  n->set_op_type("MatMul");
  n->set_name("mm");
  n->add_input("x");
  n->add_input("w");
  n->add_output("y");
  onnx::ValueInfoProto *y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT);
  std::string path = dir.file("model.onnx");
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
  return path;
}

DenseResourceElementsAttr weightAttr(ModuleOp module) {
  DenseResourceElementsAttr found;
  module.walk([&](arith::ConstantOp c) {
    if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
      found = r;
  });
  return found;
}

TEST(ExternalData, AlignedOffsetAliasesTheMappingAndOutlivesTheImport) {
  TempDir dir;
  std::vector<float> w = ramp(64 * 32, 0.25f);
  std::string path = writeModel(dir, 64, 32, 4096, w);
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module = importOnnxFile(ctx, path);
  ASSERT_TRUE(module);
  DenseResourceElementsAttr attr = weightAttr(*module);
  ASSERT_TRUE(attr);
  EXPECT_EQ(attr.getType(),
            RankedTensorType::get({64, 32}, Float32Type::get(&ctx)));
  // The import is over (its WeightStore and ModelProto are gone); the blob
  // still reads the file's bytes, through the mapping it keeps alive.
  std::vector<float> got;
  ASSERT_TRUE(succeeded(getConstantFloats(attr, got)));
  EXPECT_EQ(got, w);
  FailureOr<ConstantBytes> raw = getConstantBytes(attr);
  ASSERT_TRUE(succeeded(raw));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(raw->data.data()) % 4, 0u);
  EXPECT_EQ(raw->data.size(), 4 * w.size());
  // Removing the file does not invalidate a mapping.
  module = nullptr;
  llvm::sys::fs::remove(dir.file("weights.bin"));
  EXPECT_EQ(std::memcmp(raw->data.data(), w.data(), 4 * w.size()), 0);
}

TEST(ExternalData, MisalignedOffsetIsCopied) {
  TempDir dir;
  std::vector<float> w = ramp(16 * 8, -0.5f);
  std::string path = writeModel(dir, 16, 8, 4098, w); // not a multiple of 4
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module = importOnnxFile(ctx, path);
  ASSERT_TRUE(module);
  std::vector<float> got;
  ASSERT_TRUE(succeeded(getConstantFloats(weightAttr(*module), got)));
  EXPECT_EQ(got, w);
}

TEST(ExternalData, LengthMismatchNamesInitializerAndNode) {
  TempDir dir;
  std::vector<float> w = ramp(16 * 8, 1.0f);
  std::string path =
      writeModel(dir, 16, 8, 0, w, /*declaredLength=*/4 * 16 * 8 - 4);
  MLIRContext ctx;
  std::string msg;
  ScopedDiagnosticHandler h(&ctx, [&](Diagnostic &d) {
    msg += d.str();
    return success();
  });
  EXPECT_FALSE(importOnnxFile(ctx, path));
  EXPECT_NE(msg.find("initializer 'w': external data 'weights.bin': length is "
                     "508 bytes, but shape [16x8] of FLOAT needs 512"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("(used by node #0 'mm' (MatMul))"), std::string::npos)
      << msg;
}

TEST(ExternalData, FromBytesResolvesAgainstTheNamedFilesDirectory) {
  TempDir dir;
  std::vector<float> w = ramp(4 * 4, 2.0f);
  std::string path = writeModel(dir, 4, 4, 0, w);
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module = importOnnxBytes(ctx, bytes, path);
  ASSERT_TRUE(module);
  std::vector<float> got;
  ASSERT_TRUE(succeeded(getConstantFloats(weightAttr(*module), got)));
  EXPECT_EQ(got, w);
}

} // namespace
