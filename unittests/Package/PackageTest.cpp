//===- PackageTest.cpp - tests of the package writer and reader -----------===//
//
// Checks quantc::writePackage / readPackageGraph (include/quantc/Package/
// Package.h, DESIGN.md §6): a round trip runs to bit-identical outputs in the
// Executor, weights.bin is 64-byte aligned and holds the constants' bytes,
// manifest.json describes buffers and I/O, writing is atomic (a failure
// leaves nothing; a non-package is never replaced), and a damaged package
// gives an error naming the file at fault instead of a crash.
//
//===----------------------------------------------------------------------===//
#include "quantc/Package/Package.h"
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Executor/Executor.h"
#include "quantc/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

using namespace mlir;
using namespace quantc;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::string hex(const std::vector<uint8_t> &bytes) {
  static const char *digits = "0123456789ABCDEF";
  std::string s = "0x";
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::string readFile(llvm::StringRef p) {
  auto buf = llvm::MemoryBuffer::getFile(p, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return "<unreadable>";
  return (*buf)->getBuffer().str();
}

void writeFileOrDie(llvm::StringRef p, llvm::StringRef data) {
  std::error_code ec;
  llvm::raw_fd_ostream os(p, ec, fs::OF_None);
  ASSERT_FALSE(ec) << ec.message();
  os << data;
}

/// Sorted names of the entries of a directory.
std::vector<std::string> listDir(llvm::StringRef dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(path::filename(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(llvm::StringRef a, llvm::StringRef b) {
  llvm::SmallString<256> p(a);
  path::append(p, b);
  return std::string(p);
}

class PackageTest : public ::testing::Test {
protected:
  void SetUp() override {
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    llvm::SmallString<256> d;
    ASSERT_FALSE(fs::createUniqueDirectory("quantc-package-test", d));
    root = std::string(d);
  }
  void TearDown() override { fs::remove_directories(root); }

  /// A small quantized graph: x [?, 70] quantized at run time (MXFP8) times
  /// constant codes [5, 70] with E8M0 scales [5, 3], plus an f32 bias (named
  /// by its location), times a splat constant.
  OwningOpRef<ModuleOp> buildModule(uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> code(0, 253), scale(120, 130);
    wc.clear();
    ws.clear();
    for (int i = 0; i < 5 * 70; ++i) {
      int c = code(rng);
      wc.push_back(uint8_t(c < 0x7F ? c : c + 1)); // no NaN codes
    }
    for (int i = 0; i < 5 * 3; ++i)
      ws.push_back(uint8_t(scale(rng)));
    std::string src;
    llvm::raw_string_ostream os(src);
    os << R"mlir(
func.func @main(%x: tensor<?x70xf32> {qc.name = "x"}) -> (tensor<?x5xf32> {qc.name = "y"}) {
  %wc = arith.constant dense<")mlir"
       << hex(wc) << R"mlir("> : tensor<5x70xf8E4M3FN>
  %ws = arith.constant dense<")mlir"
       << hex(ws) << R"mlir("> : tensor<5x3xf8E8M0FNU>
  %b = arith.constant dense<[0.125, -1.5, 3.0e-3, 7.0, -0.0]> : tensor<5xf32> loc("bias")
  %s = arith.constant dense<0.75> : tensor<1x5xf32>
  %c, %sc = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<?x70xf32> -> (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>)
  %y = qc.qmatmul %c, %sc, %wc, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>, tensor<5x70xf8E4M3FN>, tensor<5x3xf8E8M0FNU>) -> tensor<?x5xf32>
  %z = qc.add %y, %b : (tensor<?x5xf32>, tensor<5xf32>) -> tensor<?x5xf32>
  %o = qc.mul %z, %s : (tensor<?x5xf32>, tensor<1x5xf32>) -> tensor<?x5xf32>
  return %o : tensor<?x5xf32>
}
)mlir";
    auto m = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(m) << src;
    return m;
  }

  llvm::Error write(llvm::StringRef dir, ModuleOp graph, llvm::StringRef model = "tiny") {
    PackageContents c;
    c.modelName = model.str();
    c.graph = graph;
    c.kernelFiles.push_back({"sm_120a", "// ptx of " + model.str() + "\n", ""});
    c.launches.push_back(llvm::json::Object{{"kernel", "qmatmul_0"}});
    c.report = llvm::json::Object{{"model", model.str()}};
    return writePackage(dir, c);
  }

  /// Runs `module` on a fixed [3, 70] input.
  std::vector<Tensor> runModule(ModuleOp module) {
    std::mt19937_64 rng(99);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Tensor x = Tensor::makeFloat(Float32Type::get(&ctx), {3, 70});
    for (float &v : x.f)
      v = normal(rng);
    Executor ex(getEntryFunction(module));
    auto out = ex.run({x});
    EXPECT_TRUE(succeeded(out));
    return succeeded(out) ? *out : std::vector<Tensor>();
  }

  MLIRContext ctx;
  std::string root;
  std::vector<uint8_t> wc, ws;
};

/// Collects every diagnostic's text while alive.
struct DiagCapture {
  std::string text;
  ScopedDiagnosticHandler handler;
  explicit DiagCapture(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          text += d.str();
          text += "\n";
          return success();
        }) {}
};

//===----------------------------------------------------------------------===//
// 6. Round trip
//===----------------------------------------------------------------------===//

TEST_F(PackageTest, RoundTripRunsBitIdentical) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string pkg = join(root, "model.qcpkg");
  llvm::Error e = write(pkg, *module);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  EXPECT_TRUE(isPackageDirectory(pkg));
  EXPECT_EQ(listDir(pkg), std::vector<std::string>({"graph.mlir", "kernels",
                                                    "manifest.json", "report.json",
                                                    "weights.bin"}));
  EXPECT_EQ(listDir(join(pkg, "kernels")), std::vector<std::string>({"sm_120a.ptx"}));
  // Nothing but the package is left next to it (no temporary directory).
  EXPECT_EQ(listDir(root), std::vector<std::string>({"model.qcpkg"}));

  // The original is not modified (PackageContents::graph).
  int constants = 0;
  module->walk([&](arith::ConstantOp) { ++constants; });
  EXPECT_EQ(constants, 4);

  // graph.mlir names its constants as qc.weight ops.
  std::string graphText = readFile(join(pkg, "graph.mlir"));
  EXPECT_NE(graphText.find("qc.weight"), std::string::npos);
  EXPECT_EQ(graphText.find("dense<"), std::string::npos) << graphText;

  auto loaded = readPackageGraph(ctx, pkg);
  ASSERT_TRUE(!!loaded) << llvm::toString(loaded.takeError());
  int weights = 0;
  constants = 0;
  (*loaded)->walk([&](qc::WeightOp) { ++weights; });
  (*loaded)->walk([&](arith::ConstantOp) { ++constants; });
  EXPECT_EQ(weights, 0);
  EXPECT_EQ(constants, 4);

  std::vector<Tensor> a = runModule(*module), b = runModule(**loaded);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].shape, b[0].shape);
  ASSERT_EQ(a[0].f.size(), 15u);
  ASSERT_EQ(a[0].f.size(), b[0].f.size());
  for (size_t i = 0; i < a[0].f.size(); ++i)
    EXPECT_EQ(bitsOf(a[0].f[i]), bitsOf(b[0].f[i])) << i;
  // The names survive too.
  Executor ex(getEntryFunction(**loaded));
  EXPECT_EQ(ex.getInputNames(), std::vector<std::string>({"x"}));
  EXPECT_EQ(ex.getOutputNames(), std::vector<std::string>({"y"}));
}

// 4-bit codes (i4, ui4, e2m1) are packed two per byte in weights.bin,
// element 2i in the low nibble; an odd count leaves the last high nibble
// 0; reading the package gives back the same constants (i4 values -8..7,
// the others 0..15), a splat included.
TEST_F(PackageTest, FourBitCodesArePackedTwoPerByte) {
  const char *src = R"mlir(
func.func @main() -> (tensor<3x5xi4>, tensor<7xui4>, tensor<2x3xf4E2M1FN>, tensor<5xi4>) {
  %a = arith.constant dense<[[-8, -1, 0, 1, 7], [3, -3, 5, -5, 2], [-2, 6, -6, 4, -4]]> : tensor<3x5xi4>
  %b = arith.constant dense<[0, 1, 7, 8, 9, 14, 15]> : tensor<7xui4>
  %c = arith.constant dense<[[0.0, 0.5, -6.0], [1.5, -0.0, 4.0]]> : tensor<2x3xf4E2M1FN>
  %d = arith.constant dense<-3> : tensor<5xi4>
  return %a, %b, %c, %d : tensor<3x5xi4>, tensor<7xui4>, tensor<2x3xf4E2M1FN>, tensor<5xi4>
}
)mlir";
  auto module = parseSourceString<ModuleOp>(src, &ctx);
  ASSERT_TRUE(module);
  std::string pkg = join(root, "four.qcpkg");
  llvm::Error e = write(pkg, *module);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  // Sizes: ceil(15/2), ceil(7/2), ceil(6/2), ceil(5/2).
  std::vector<int64_t> sizes;
  (void)parseSourceFile<ModuleOp>(join(pkg, "graph.mlir"), &ctx)->walk(
      [&](qc::WeightOp w) { sizes.push_back(int64_t(w.getSize())); });
  EXPECT_EQ(sizes, std::vector<int64_t>({8, 4, 3, 3}));
  // The first weight's bytes: (-8, -1) -> 0xF8, (0, 1) -> 0x10, ...
  std::string bin = readFile(join(pkg, "weights.bin"));
  ASSERT_GE(bin.size(), 8u);
  EXPECT_EQ(uint8_t(bin[0]), 0xF8);
  EXPECT_EQ(uint8_t(bin[1]), 0x10);
  EXPECT_EQ(uint8_t(bin[7]), 0x0C); // -4 and the padding nibble
  auto loaded = readPackageGraph(ctx, pkg);
  ASSERT_TRUE(!!loaded) << llvm::toString(loaded.takeError());
  SmallVector<DenseElementsAttr> before, after;
  module->walk([&](arith::ConstantOp c) {
    before.push_back(cast<DenseElementsAttr>(c.getValue()));
  });
  (*loaded)->walk([&](arith::ConstantOp c) {
    after.push_back(cast<DenseElementsAttr>(c.getValue()));
  });
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(before[i], after[i]) << i;
  // The Executor reads them as the original's.
  auto a = Executor(getEntryFunction(*module)).run({});
  auto b = Executor(getEntryFunction(**loaded)).run({});
  ASSERT_TRUE(succeeded(a) && succeeded(b));
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].bytes, (*b)[i].bytes) << i;
    EXPECT_EQ((*a)[i].i, (*b)[i].i) << i;
    EXPECT_EQ((*a)[i].f, (*b)[i].f) << i;
  }
}

TEST_F(PackageTest, ManifestAndWeightsLayout) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string pkg = join(root, "m.qcpkg");
  llvm::Error e = write(pkg, *module);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));

  std::string blob = readFile(join(pkg, "weights.bin"));
  auto parsed = llvm::json::parse(readFile(join(pkg, "manifest.json")));
  ASSERT_TRUE(!!parsed) << llvm::toString(parsed.takeError());
  const llvm::json::Object *m = parsed->getAsObject();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->getInteger("format_version"), kPackageFormatVersion);
  EXPECT_EQ(m->getString("model"), "tiny");
  EXPECT_EQ(m->getString("graph"), "graph.mlir");
  const llvm::json::Object *w = m->getObject("weights");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->getString("file"), "weights.bin");
  EXPECT_EQ(w->getInteger("alignment"), 64);
  EXPECT_EQ(w->getInteger("size"), (int64_t)blob.size());

  // Buffers: in graph order, each with name/offset/size/dtype/shape, offsets
  // 64-byte aligned, non-overlapping, holding the constants' bytes.
  const llvm::json::Array *buffers = m->getArray("buffers");
  ASSERT_TRUE(buffers);
  ASSERT_EQ(buffers->size(), 4u);
  struct Expect {
    const char *dtype;
    std::vector<int64_t> shape;
    int64_t size;
  } expect[] = {{"f8E4M3FN", {5, 70}, 350},
                {"f8E8M0FNU", {5, 3}, 15},
                {"f32", {5}, 20},
                {"f32", {1, 5}, 20}};
  int64_t prevEnd = 0;
  std::vector<std::string> names;
  for (size_t i = 0; i < 4; ++i) {
    const llvm::json::Object *b = (*buffers)[i].getAsObject();
    ASSERT_TRUE(b);
    ASSERT_TRUE(b->getString("name"));
    names.push_back(b->getString("name")->str());
    auto off = b->getInteger("offset"), size = b->getInteger("size");
    ASSERT_TRUE(off && size);
    EXPECT_EQ(*off % 64, 0) << "buffer " << i;
    EXPECT_GE(*off, prevEnd);
    prevEnd = *off + *size;
    EXPECT_LE(prevEnd, (int64_t)blob.size());
    EXPECT_EQ(*size, expect[i].size);
    EXPECT_EQ(b->getString("dtype"), expect[i].dtype);
    const llvm::json::Array *shape = b->getArray("shape");
    ASSERT_TRUE(shape);
    std::vector<int64_t> s;
    for (const llvm::json::Value &d : *shape)
      s.push_back(*d.getAsInteger());
    EXPECT_EQ(s, expect[i].shape);
  }
  EXPECT_EQ(names[0], "w0");
  EXPECT_EQ(names[2], "w2.bias"); // named by its location
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), 4u);

  auto at = [&](size_t i) {
    const llvm::json::Object *b = (*buffers)[i].getAsObject();
    return blob.substr(*b->getInteger("offset"), *b->getInteger("size"));
  };
  EXPECT_EQ(at(0), std::string(wc.begin(), wc.end()));
  EXPECT_EQ(at(1), std::string(ws.begin(), ws.end()));
  float bias[5] = {0.125f, -1.5f, 3.0e-3f, 7.0f, -0.0f};
  EXPECT_EQ(at(2), std::string((const char *)bias, 20)); // little-endian f32
  float splat[5] = {0.75f, 0.75f, 0.75f, 0.75f, 0.75f};
  EXPECT_EQ(at(3), std::string((const char *)splat, 20)); // splat expanded

  // The qc.weight ops in graph.mlir agree with the manifest.
  {
    MLIRContext c2;
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    c2.appendDialectRegistry(registry);
    auto g = parseSourceFile<ModuleOp>(join(pkg, "graph.mlir"), &c2);
    ASSERT_TRUE(g);
    size_t i = 0;
    g->walk([&](qc::WeightOp op) {
      ASSERT_LT(i, 4u);
      const llvm::json::Object *b = (*buffers)[i++].getAsObject();
      EXPECT_EQ(op.getName(), *b->getString("name"));
      EXPECT_EQ(op.getOffset(), *b->getInteger("offset"));
      EXPECT_EQ(op.getSize(), *b->getInteger("size"));
      EXPECT_EQ(op.getOffset() % 64, 0);
    });
    EXPECT_EQ(i, 4u);
  }

  // Inputs and outputs with names, dtypes and shapes (-1 = dynamic).
  auto checkIO = [&](const char *key, const char *name, std::vector<int64_t> shape) {
    const llvm::json::Array *io = m->getArray(key);
    ASSERT_TRUE(io);
    ASSERT_EQ(io->size(), 1u);
    const llvm::json::Object *o = (*io)[0].getAsObject();
    ASSERT_TRUE(o);
    EXPECT_EQ(o->getString("name"), name);
    EXPECT_EQ(o->getString("dtype"), "f32");
    std::vector<int64_t> s;
    for (const llvm::json::Value &d : *o->getArray("shape"))
      s.push_back(*d.getAsInteger());
    EXPECT_EQ(s, shape);
  };
  checkIO("inputs", "x", {-1, 70});
  checkIO("outputs", "y", {-1, 5});

  // Targets, kernel files, launches and the report.
  const llvm::json::Array *targets = m->getArray("targets");
  ASSERT_TRUE(targets);
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].getAsString(), "sm_120a");
  const llvm::json::Array *kernels = m->getArray("kernel_files");
  ASSERT_TRUE(kernels && kernels->size() == 1u);
  const llvm::json::Object *k = (*kernels)[0].getAsObject();
  EXPECT_EQ(k->getString("ptx"), "kernels/sm_120a.ptx");
  EXPECT_FALSE(k->get("cubin")); // no cubin given
  EXPECT_EQ(readFile(join(pkg, "kernels/sm_120a.ptx")), "// ptx of tiny\n");
  ASSERT_TRUE(m->getArray("launches"));
  EXPECT_EQ(m->getArray("launches")->size(), 1u);
  auto report = llvm::json::parse(readFile(join(pkg, "report.json")));
  ASSERT_TRUE(!!report) << llvm::toString(report.takeError());
  EXPECT_EQ(report->getAsObject()->getString("model"), "tiny");
}

//===----------------------------------------------------------------------===//
// 7. Atomicity and errors
//===----------------------------------------------------------------------===//

TEST_F(PackageTest, MissingParentFailsAndLeavesNothing) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string pkg = join(join(root, "no-such-dir"), "model.qcpkg");
  llvm::Error e = write(pkg, *module);
  ASSERT_TRUE(!!e);
  std::string msg = llvm::toString(std::move(e));
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no-such-dir"), std::string::npos) << msg;
  EXPECT_TRUE(listDir(root).empty());
  EXPECT_FALSE(fs::exists(pkg));
}

TEST_F(PackageTest, RefusesToReplaceNonPackageDirectory) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string dir = join(root, "precious");
  ASSERT_FALSE(fs::create_directory(dir));
  writeFileOrDie(join(dir, "notes.txt"), "keep me");
  llvm::Error e = write(dir, *module);
  ASSERT_TRUE(!!e);
  std::string msg = llvm::toString(std::move(e));
  EXPECT_NE(msg.find("is not a quantc package"), std::string::npos) << msg;
  EXPECT_EQ(listDir(dir), std::vector<std::string>({"notes.txt"}));
  EXPECT_EQ(readFile(join(dir, "notes.txt")), "keep me");
  EXPECT_EQ(listDir(root), std::vector<std::string>({"precious"})); // no temp dir

  // Same for a regular file in the way.
  std::string file = join(root, "file.qcpkg");
  writeFileOrDie(file, "a file");
  e = write(file, *module);
  ASSERT_TRUE(!!e);
  llvm::consumeError(std::move(e));
  EXPECT_EQ(readFile(file), "a file");
  EXPECT_EQ(listDir(root), std::vector<std::string>({"file.qcpkg", "precious"}));
}

TEST_F(PackageTest, ReplacesExistingPackage) {
  auto module = buildModule(1);
  ASSERT_TRUE(module);
  std::string pkg = join(root, "model.qcpkg");
  llvm::Error e = write(pkg, *module, "first");
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  writeFileOrDie(join(pkg, "stale.txt"), "from the old package");

  auto module2 = buildModule(2);
  ASSERT_TRUE(module2);
  e = write(pkg, *module2, "second");
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  // Replaced as a whole (the stale file is gone), not merged, and no
  // temporary directory is left beside it.
  EXPECT_FALSE(fs::exists(join(pkg, "stale.txt")));
  EXPECT_EQ(listDir(root), std::vector<std::string>({"model.qcpkg"}));
  auto parsed = llvm::json::parse(readFile(join(pkg, "manifest.json")));
  ASSERT_TRUE(!!parsed) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->getAsObject()->getString("model"), "second");
  EXPECT_EQ(readFile(join(pkg, "kernels/sm_120a.ptx")), "// ptx of second\n");
  // And the weights are the second module's.
  std::string blob = readFile(join(pkg, "weights.bin"));
  EXPECT_EQ(blob.substr(0, 350), std::string(wc.begin(), wc.end()));
  auto loaded = readPackageGraph(ctx, pkg);
  ASSERT_TRUE(!!loaded) << llvm::toString(loaded.takeError());
  std::vector<Tensor> a = runModule(*module2), b = runModule(**loaded);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  for (size_t i = 0; i < a[0].f.size(); ++i)
    EXPECT_EQ(bitsOf(a[0].f[i]), bitsOf(b[0].f[i])) << i;
}

// Regression: with a trailing separator, parent_path(".../model.qcpkg/") is
// the package itself; the temporary directory then landed inside the old
// package and both were lost. "out.qcpkg/" must behave like "out.qcpkg".
TEST_F(PackageTest, ReplacesExistingPackageGivenWithTrailingSlash) {
  auto module = buildModule(1);
  ASSERT_TRUE(module);
  std::string pkg = join(root, "model.qcpkg");
  llvm::Error e = write(pkg, *module, "first");
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  e = write(pkg + "/", *module, "second");
  EXPECT_FALSE(e) << llvm::toString(std::move(e));
  // Whatever happens, the package must still be there, complete.
  EXPECT_TRUE(isPackageDirectory(pkg));
  EXPECT_EQ(listDir(root), std::vector<std::string>({"model.qcpkg"}));
}

// Regression (same cause): a new package named with a trailing separator must
// be written like "new.qcpkg", not refused.
TEST_F(PackageTest, WritesNewPackageGivenWithTrailingSlash) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string pkg = join(root, "new.qcpkg");
  llvm::Error e = write(pkg + "/", *module);
  EXPECT_FALSE(e) << llvm::toString(std::move(e));
  EXPECT_TRUE(isPackageDirectory(pkg));
}

TEST_F(PackageTest, TruncatedWeightsAreAnError) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string pkg = join(root, "model.qcpkg");
  llvm::Error e = write(pkg, *module);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  std::string weights = join(pkg, "weights.bin");
  std::string blob = readFile(weights);
  ASSERT_EQ(blob.size(), 532u); // 350 @0, 15 @384, 20 @448, 20 @512

  // Cut into the last weight (w3, the splat at 512).
  writeFileOrDie(weights, blob.substr(0, blob.size() - 10));
  auto loaded = readPackageGraph(ctx, pkg);
  ASSERT_FALSE(!!loaded);
  std::string msg = llvm::toString(loaded.takeError());
  EXPECT_NE(msg.find("weights.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'w3'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lies outside the file (522 bytes)"), std::string::npos) << msg;

  // Empty: the first weight is named.
  writeFileOrDie(weights, "");
  loaded = readPackageGraph(ctx, pkg);
  ASSERT_FALSE(!!loaded);
  msg = llvm::toString(loaded.takeError());
  EXPECT_NE(msg.find("weights.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'w0'"), std::string::npos) << msg;

  // Missing altogether.
  ASSERT_FALSE(fs::remove(weights));
  loaded = readPackageGraph(ctx, pkg);
  ASSERT_FALSE(!!loaded);
  msg = llvm::toString(loaded.takeError());
  EXPECT_NE(msg.find("cannot read"), std::string::npos) << msg;
  EXPECT_NE(msg.find("weights.bin"), std::string::npos) << msg;
}

TEST_F(PackageTest, DirectoryWithoutManifestIsAnError) {
  std::string dir = join(root, "empty");
  ASSERT_FALSE(fs::create_directory(dir));
  auto loaded = readPackageGraph(ctx, dir);
  ASSERT_FALSE(!!loaded);
  std::string msg = llvm::toString(loaded.takeError());
  EXPECT_NE(msg.find("is not a quantc package (no manifest.json)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  EXPECT_FALSE(isPackageDirectory(dir));

  // A path that does not exist at all.
  loaded = readPackageGraph(ctx, join(root, "missing"));
  ASSERT_FALSE(!!loaded);
  llvm::consumeError(loaded.takeError());
}

TEST_F(PackageTest, BrokenGraphIsAnError) {
  auto module = buildModule();
  ASSERT_TRUE(module);
  std::string pkg = join(root, "model.qcpkg");
  llvm::Error e = write(pkg, *module);
  ASSERT_FALSE(e) << llvm::toString(std::move(e));
  writeFileOrDie(join(pkg, "graph.mlir"), "func.func @main( {");
  DiagCapture diags(&ctx); // the parser's own errors
  auto loaded = readPackageGraph(ctx, pkg);
  ASSERT_FALSE(!!loaded);
  std::string msg = llvm::toString(loaded.takeError());
  EXPECT_NE(msg.find("cannot parse"), std::string::npos) << msg;
  EXPECT_NE(msg.find("graph.mlir"), std::string::npos) << msg;
  EXPECT_FALSE(diags.text.empty());
}

} // namespace
