//===- CAPITest.cpp - tests of the C API ----------------------------------===//
//
// Checks include/quantc-c/Quantc.h through libQuantcCAPI only (plus the npz
// helpers, to write inputs and read outputs): compiling the example MLP to a
// package, the in-memory float32 run against quantcModuleRunNpz, textual
// pipelines, and the error paths, each of which must fail with a message
// naming the file or tensor at fault, never crash. The MLP comes from the
// ctest fixture embed-mlp-model (examples/embed/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//
#include "quantc-c/Quantc.h"

#include "quantc/Support/Npz.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = llvm::sys::fs;

namespace {

QuantcStringRef sref(const std::string &s) { return {s.data(), s.size()}; }
std::string str(QuantcStringRef s) {
  return s.data ? std::string(s.data, s.length) : std::string();
}

void appendTo(QuantcStringRef text, void *userData) {
  static_cast<std::string *>(userData)->append(text.data, text.length);
}

void countLine(QuantcStringRef, void *userData) {
  ++*static_cast<int *>(userData);
}

struct Output {
  std::string name;
  std::vector<float> data;
  std::vector<int64_t> shape;
};

void collectOutput(QuantcStringRef name, const float *data,
                   const int64_t *shape, intptr_t rank, void *userData) {
  Output o;
  o.name = str(name);
  o.shape.assign(shape, shape + rank);
  int64_t n = 1;
  for (int64_t d : o.shape)
    n *= d;
  o.data.assign(data, data + n);
  static_cast<std::vector<Output> *>(userData)->push_back(std::move(o));
}

/// The same numbers every run, roughly standard normal.
std::vector<float> someInputs(int64_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed;
  for (float &x : v) {
    s = s * 1664525u + 1013904223u;
    x = ((s >> 8) / float(1 << 24)) * 3.4f - 1.7f;
  }
  return v;
}

const char *kTinyModel = R"mlir(
func.func @main(%x: tensor<?x32xf32> {qc.name = "x"}) -> (tensor<?x2xf32> {qc.name = "y"}) {
  %w = arith.constant dense<0.25> : tensor<32x2xf32>
  %0 = qc.matmul %x, %w : (tensor<?x32xf32>, tensor<32x2xf32>) -> tensor<?x2xf32>
  %1 = qc.relu %0 : (tensor<?x2xf32>) -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
)mlir";

class CAPITest : public ::testing::Test {
protected:
  void SetUp() override {
    ctx = quantcContextCreate();
    ASSERT_FALSE(quantcContextIsNull(ctx));
    ASSERT_FALSE(fs::createUniqueDirectory("quantc-capi-test", tmp));
    mlpDir = QUANTC_TEST_MLP_DIR;
    ASSERT_TRUE(fs::exists(mlp("mlp.onnx")))
        << mlp("mlp.onnx") << " is missing: run the tests with ctest, whose "
        << "fixture embed-mlp-model generates it";
  }
  void TearDown() override {
    quantcContextDestroy(ctx);
    fs::remove_directories(tmp);
  }

  std::string mlp(const char *file) const { return mlpDir + "/" + file; }
  std::string temp(const char *file) const { return (tmp + "/" + file).str(); }
  std::string error() const { return str(quantcContextGetLastError(ctx)); }

  QuantcModule load(const std::string &path) {
    QuantcModule m = quantcModuleLoad(ctx, sref(path));
    EXPECT_FALSE(quantcModuleIsNull(m)) << error();
    return m;
  }

  /// Options for compiling the MLP to a CPU-only package at `out`.
  QuantcCompileOptions mlpOptions(const std::string &out) {
    QuantcCompileOptions o = quantcCompileOptionsCreate();
    quantcCompileOptionsSetModelPath(o, sref(mlp("mlp.onnx")));
    quantcCompileOptionsSetOutputPath(o, sref(out));
    quantcCompileOptionsSetCalibrationPath(o, sref(mlp("calib.npz")));
    quantcCompileOptionsSetTargets(o, sref("none"));
    return o;
  }

  /// The MLP's input "x" [rows, 64].
  std::vector<float> x = someInputs(3 * 64, 7);
  std::vector<int64_t> xShape = {3, 64};
  QuantcTensorF32 xTensor() {
    return {quantcStringRefCreateFromCString("x"), x.data(), xShape.data(), 2};
  }

  QuantcContext ctx;
  llvm::SmallString<128> tmp;
  std::string mlpDir;
};

TEST_F(CAPITest, CompileWritesPackageAndReport) {
  std::string out = temp("mlp.qcpkg");
  QuantcCompileOptions o = mlpOptions(out);
  int progressLines = 0;
  quantcCompileOptionsSetProgressCallback(o, countLine, &progressLines);
  std::string report, summary;
  struct Texts {
    std::string *report, *summary;
  } texts{&report, &summary};
  auto onReport = [](QuantcStringRef t, void *u) {
    appendTo(t, static_cast<Texts *>(u)->report);
  };
  auto onSummary = [](QuantcStringRef t, void *u) {
    appendTo(t, static_cast<Texts *>(u)->summary);
  };
  QuantcLogicalResult r = quantcCompile(ctx, o, onReport, onSummary, &texts);
  quantcCompileOptionsDestroy(o);
  ASSERT_TRUE(quantcLogicalResultIsSuccess(r)) << error();
  EXPECT_EQ(error(), "");
  EXPECT_EQ(progressLines, 5);

  llvm::Expected<llvm::json::Value> json = llvm::json::parse(report);
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Array *layers = json->getAsObject()->getArray("layers");
  ASSERT_TRUE(layers);
  EXPECT_EQ(layers->size(), 3u);
  EXPECT_NE(summary.find("quantized layers: 3"), std::string::npos) << summary;
  EXPECT_TRUE(fs::exists(out + "/manifest.json"));
  EXPECT_TRUE(fs::exists(out + "/report.json"));
}

TEST_F(CAPITest, StaticScalesWithTablesAndHeldOutAccuracy) {
  // int8 with mse ranges, a table written, held-out accuracy; then the same
  // table read back gives the same weights.bin; bad options are refused.
  std::string table = temp("table.json");
  auto compile = [&](const std::string &out, bool readTable,
                     std::string *report) {
    QuantcCompileOptions o = mlpOptions(out);
    quantcCompileOptionsSetFormat(o, sref("int8"));
    quantcCompileOptionsSetCalibrationMethod(o, sref("mse"), 99.99);
    quantcCompileOptionsSetActivations(o, sref("static"), true);
    quantcCompileOptionsSetEvaluationPath(o, sref(mlp("test.npz")));
    quantcCompileOptionsSetCalibrationTables(o, sref(readTable ? table : ""),
                                             sref(readTable ? "" : table));
    QuantcLogicalResult r = quantcCompile(ctx, o, appendTo, nullptr, report);
    quantcCompileOptionsDestroy(o);
    return r;
  };
  std::string report, again;
  ASSERT_TRUE(
      quantcLogicalResultIsSuccess(compile(temp("a.qcpkg"), false, &report)))
      << error();
  auto json = llvm::json::parse(report);
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object *held =
      json->getAsObject()->getObject("heldout_accuracy");
  ASSERT_TRUE(held);
  EXPECT_GT(*held->getNumber("argmax_agreement"), 0.9);
  EXPECT_TRUE(fs::exists(table));
  ASSERT_TRUE(
      quantcLogicalResultIsSuccess(compile(temp("b.qcpkg"), true, &again)))
      << error();
  auto bytes = [](const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  EXPECT_EQ(bytes(temp("a.qcpkg") + "/weights.bin"),
            bytes(temp("b.qcpkg") + "/weights.bin"));

  QuantcCompileOptions o = mlpOptions(temp("c.qcpkg"));
  quantcCompileOptionsSetFormat(o, sref("int8"));
  quantcCompileOptionsSetCalibrationMethod(o, sref("kl"), 99.0);
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcCompile(ctx, o, nullptr, nullptr, nullptr)));
  EXPECT_NE(error().find("unknown calibration method 'kl'"), std::string::npos)
      << error();
  quantcCompileOptionsDestroy(o);
  EXPECT_FALSE(fs::exists(temp("c.qcpkg")));
}

TEST_F(CAPITest, CalibrationBatchesAndNoAccuracyRun) {
  // The MLP's 32 calibration samples 8 at a time, without the accuracy run:
  // the report's accuracy is null; a negative batch is refused.
  QuantcCompileOptions o = mlpOptions(temp("batched.qcpkg"));
  quantcCompileOptionsSetFormat(o, sref("int8"));
  quantcCompileOptionsSetCalibrationBatch(o, 8);
  quantcCompileOptionsSetMeasureAccuracy(o, false);
  std::string report;
  QuantcLogicalResult r = quantcCompile(ctx, o, appendTo, nullptr, &report);
  ASSERT_TRUE(quantcLogicalResultIsSuccess(r)) << error();
  auto json = llvm::json::parse(report);
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Value *acc = json->getAsObject()->get("accuracy");
  ASSERT_TRUE(acc);
  EXPECT_EQ(acc->kind(), llvm::json::Value::Null);
  quantcCompileOptionsSetOutputPath(o, sref(temp("negative.qcpkg")));
  quantcCompileOptionsSetCalibrationBatch(o, -1);
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcCompile(ctx, o, nullptr, nullptr, nullptr)));
  EXPECT_NE(error().find("--calib-batch -1 must be >= 0"), std::string::npos)
      << error();
  EXPECT_FALSE(fs::exists(temp("negative.qcpkg")));
  quantcCompileOptionsDestroy(o);
}

TEST_F(CAPITest, CompileWithRandomCalibrationAndKernels) {
  std::string out = temp("mlp.qcpkg");
  QuantcCompileOptions o = mlpOptions(out);
  quantcCompileOptionsSetCalibrationPath(o, sref(""));
  quantcCompileOptionsSetCalibrationRandom(o, 8, 3);
  quantcCompileOptionsSetTargets(o, sref("sm_89"));
  quantcCompileOptionsSetEmitCubin(o, false);
  std::string report;
  QuantcLogicalResult r = quantcCompile(ctx, o, appendTo, nullptr, &report);
  quantcCompileOptionsDestroy(o);
  ASSERT_TRUE(quantcLogicalResultIsSuccess(r)) << error();
  auto json = llvm::json::parse(report);
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Array *kernels = json->getAsObject()->getArray("kernels");
  ASSERT_TRUE(kernels);
  // One per distinct kernel: quantize, the GEMM with bias+ReLU fused (two
  // layers) and the GEMM with the last bias fused.
  EXPECT_EQ(kernels->size(), 3u);
  const llvm::json::Object *gpu =
      json->getAsObject()->getObject("gpu_program");
  ASSERT_TRUE(gpu);
  EXPECT_EQ(gpu->getBoolean("runnable"), std::optional<bool>(true));
  EXPECT_EQ(gpu->getInteger("launches"), std::optional<int64_t>(6));
  EXPECT_TRUE(fs::exists(out + "/kernels/sm_89.ptx"));
  EXPECT_FALSE(fs::exists(out + "/kernels/sm_89.cubin"));
}

/// Runs `m` in memory and through .npz files on the same inputs; the outputs
/// must be identical.
void expectRunsAgree(QuantcContext ctx, QuantcModule m, const std::string &dir,
                     const std::vector<float> &x,
                     const std::vector<int64_t> &shape) {
  quantc::npz::Array in;
  in.name = "x";
  in.shape = shape;
  in.data.resize(x.size() * 4);
  std::memcpy(in.data.data(), x.data(), in.data.size());
  std::string inPath = dir + "/in.npz", outPath = dir + "/out.npz";
  if (llvm::Error e = quantc::npz::writeNpz(inPath, {in}))
    FAIL() << llvm::toString(std::move(e));
  ASSERT_TRUE(quantcLogicalResultIsSuccess(
      quantcModuleRunNpz(m, sref(inPath), sref(outPath))))
      << str(quantcContextGetLastError(ctx));
  auto written = quantc::npz::readNpz(outPath);
  ASSERT_TRUE(bool(written)) << llvm::toString(written.takeError());
  ASSERT_EQ(written->size(), 1u);

  QuantcTensorF32 t = {quantcStringRefCreateFromCString("x"), x.data(),
                       shape.data(), (intptr_t)shape.size()};
  std::vector<Output> outs;
  ASSERT_TRUE(quantcLogicalResultIsSuccess(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)))
      << str(quantcContextGetLastError(ctx));
  ASSERT_EQ(outs.size(), 1u);
  const quantc::npz::Array &ref = (*written)[0];
  EXPECT_EQ(outs[0].name, ref.name);
  EXPECT_EQ(outs[0].name, "logits");
  EXPECT_EQ(outs[0].shape, ref.shape);
  EXPECT_EQ(outs[0].shape, (std::vector<int64_t>{shape[0], 10}));
  ASSERT_EQ(ref.dtype, quantc::npz::DType::F32);
  ASSERT_EQ(outs[0].data.size() * 4, ref.data.size());
  EXPECT_EQ(std::memcmp(outs[0].data.data(), ref.data.data(), ref.data.size()),
            0);
}

TEST_F(CAPITest, InMemoryRunMatchesNpzRun) {
  QuantcModule m = load(mlp("mlp.onnx"));
  ASSERT_FALSE(quantcModuleIsNull(m));
  EXPECT_EQ(quantcModuleGetNumInputs(m), 1);
  EXPECT_EQ(quantcModuleGetNumOutputs(m), 1);
  EXPECT_EQ(str(quantcModuleGetInputName(m, 0)), "x");
  EXPECT_EQ(str(quantcModuleGetOutputName(m, 0)), "logits");
  expectRunsAgree(ctx, m, tmp.str().str(), x, xShape);
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, PackageRunsInMemoryAndFromNpz) {
  std::string out = temp("mlp.qcpkg");
  QuantcCompileOptions o = mlpOptions(out);
  ASSERT_TRUE(quantcLogicalResultIsSuccess(
      quantcCompile(ctx, o, nullptr, nullptr, nullptr)))
      << error();
  quantcCompileOptionsDestroy(o);
  QuantcModule m = load(out);
  ASSERT_FALSE(quantcModuleIsNull(m));
  expectRunsAgree(ctx, m, tmp.str().str(), x, xShape);
  std::string text;
  ASSERT_TRUE(
      quantcLogicalResultIsSuccess(quantcModulePrint(m, appendTo, &text)));
  EXPECT_NE(text.find("qc.qmatmul"), std::string::npos);
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, PipelineQuantizesModule) {
  QuantcModule m =
      quantcModuleParse(ctx, quantcStringRefCreateFromCString(kTinyModel));
  ASSERT_FALSE(quantcModuleIsNull(m)) << error();
  // mlir-opt's anchored form and the bare pass list both work.
  ASSERT_TRUE(quantcLogicalResultIsSuccess(quantcModuleRunPipeline(
      m,
      quantcStringRefCreateFromCString("builtin.module(canonicalize, cse)"))))
      << error();
  ASSERT_TRUE(quantcLogicalResultIsSuccess(quantcModuleRunPipeline(
      m, quantcStringRefCreateFromCString(
             "qc-quantize-pipeline{format=mxfp8 random-samples=4 seed=1}"))))
      << error();
  std::string text;
  ASSERT_TRUE(
      quantcLogicalResultIsSuccess(quantcModulePrint(m, appendTo, &text)));
  EXPECT_NE(text.find("qc.qmatmul"), std::string::npos) << text;
  EXPECT_EQ(text.find("qc.matmul "), std::string::npos) << text;

  // The quantized module still runs: 0.25 * sum(1..) is exact in MXFP8.
  std::vector<float> ones(2 * 32, 1.0f);
  std::vector<int64_t> shape = {2, 32};
  QuantcTensorF32 t = {quantcStringRefCreateFromCString("x"), ones.data(),
                       shape.data(), 2};
  std::vector<Output> outs;
  ASSERT_TRUE(quantcLogicalResultIsSuccess(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)))
      << error();
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].name, "y");
  EXPECT_EQ(outs[0].shape, (std::vector<int64_t>{2, 2}));
  for (float v : outs[0].data)
    EXPECT_EQ(v, 8.0f);
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, PipelineOnImportedOnnx) {
  QuantcModule m = load(mlp("mlp.onnx"));
  ASSERT_FALSE(quantcModuleIsNull(m));
  std::string pipeline = "qc-quantize-pipeline{calib=" + mlp("calib.npz") + "}";
  ASSERT_TRUE(
      quantcLogicalResultIsSuccess(quantcModuleRunPipeline(m, sref(pipeline))))
      << error();
  std::string text;
  ASSERT_TRUE(
      quantcLogicalResultIsSuccess(quantcModulePrint(m, appendTo, &text)));
  size_t count = 0;
  for (size_t p = text.find("qc.qmatmul"); p != std::string::npos;
       p = text.find("qc.qmatmul", p + 1))
    ++count;
  EXPECT_EQ(count, 3u);
  std::vector<Output> outs;
  QuantcTensorF32 t = xTensor();
  EXPECT_TRUE(quantcLogicalResultIsSuccess(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)))
      << error();
  quantcModuleDestroy(m);
}

//===----------------------------------------------------------------------===//
// Error paths: failure, a message naming what is wrong, no crash.
//===----------------------------------------------------------------------===//

TEST_F(CAPITest, MissingModel) {
  std::string path = temp("no-such-model.onnx");
  QuantcModule m = quantcModuleLoad(ctx, sref(path));
  EXPECT_TRUE(quantcModuleIsNull(m));
  EXPECT_EQ(error(), "error: model '" + path + "' does not exist");

  std::string out = temp("out.qcpkg");
  QuantcCompileOptions o = mlpOptions(out);
  quantcCompileOptionsSetModelPath(o, sref(path));
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcCompile(ctx, o, nullptr, nullptr, nullptr)));
  quantcCompileOptionsDestroy(o);
  EXPECT_NE(error().find(path), std::string::npos) << error();
  EXPECT_FALSE(fs::exists(out));

  // A successful call clears the error.
  QuantcModule ok = load(mlp("mlp.onnx"));
  EXPECT_EQ(error(), "");
  quantcModuleDestroy(ok);
}

TEST_F(CAPITest, MalformedOnnx) {
  std::string path = temp("garbage.onnx");
  {
    std::ofstream f(path, std::ios::binary);
    f << "\x0a\xff\xff\xff\xff\x0fnot an onnx model";
  }
  QuantcModule m = quantcModuleLoad(ctx, sref(path));
  EXPECT_TRUE(quantcModuleIsNull(m));
  EXPECT_EQ(error().rfind("error: ", 0), 0u) << error();
  EXPECT_NE(error().find("garbage.onnx"), std::string::npos) << error();

  std::string out = temp("out.qcpkg");
  QuantcCompileOptions o = mlpOptions(out);
  quantcCompileOptionsSetModelPath(o, sref(path));
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcCompile(ctx, o, nullptr, nullptr, nullptr)));
  quantcCompileOptionsDestroy(o);
  EXPECT_NE(error().find("garbage.onnx"), std::string::npos) << error();
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CAPITest, MalformedMlir) {
  std::string path = temp("broken.mlir");
  {
    std::ofstream f(path);
    f << "func.func @main() {\n  %0 = qc.nonsense\n}\n";
  }
  EXPECT_TRUE(quantcModuleIsNull(quantcModuleLoad(ctx, sref(path))));
  EXPECT_NE(error().find("broken.mlir:2:"), std::string::npos) << error();

  EXPECT_TRUE(quantcModuleIsNull(
      quantcModuleParse(ctx, quantcStringRefCreateFromCString("func.func @"))));
  EXPECT_NE(error().find("<source>:1:"), std::string::npos) << error();
}

TEST_F(CAPITest, BadPipeline) {
  QuantcModule m =
      quantcModuleParse(ctx, quantcStringRefCreateFromCString(kTinyModel));
  ASSERT_FALSE(quantcModuleIsNull(m)) << error();
  EXPECT_TRUE(quantcLogicalResultIsFailure(quantcModuleRunPipeline(
      m, quantcStringRefCreateFromCString("canonicalize,qc-no-such-pass"))));
  EXPECT_NE(error().find("'qc-no-such-pass'"), std::string::npos) << error();

  EXPECT_TRUE(quantcLogicalResultIsFailure(quantcModuleRunPipeline(
      m, quantcStringRefCreateFromCString("builtin.module(cse"))));
  EXPECT_NE(error().find("builtin.module(cse"), std::string::npos) << error();

  // A pass that fails: no calibration data given.
  EXPECT_TRUE(quantcLogicalResultIsFailure(quantcModuleRunPipeline(
      m, quantcStringRefCreateFromCString("qc-calibrate"))));
  EXPECT_NE(error().find("calibration data"), std::string::npos) << error();
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, MissingInput) {
  QuantcModule m = load(mlp("mlp.onnx"));
  ASSERT_FALSE(quantcModuleIsNull(m));
  QuantcTensorF32 t = xTensor();
  t.name = quantcStringRefCreateFromCString("y");
  std::vector<Output> outs;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_TRUE(outs.empty());
  EXPECT_NE(error().find("no array named 'x'"), std::string::npos) << error();
  EXPECT_NE(error().find("'y'"), std::string::npos) << error();

  // The same through an .npz: the message names the file.
  quantc::npz::Array wrong;
  wrong.name = "y";
  wrong.shape = {1};
  wrong.data.resize(4);
  std::string in = temp("wrong.npz");
  if (llvm::Error e = quantc::npz::writeNpz(in, {wrong}))
    FAIL() << llvm::toString(std::move(e));
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunNpz(m, sref(in), sref(temp("out.npz")))));
  EXPECT_NE(error().find(in + ": no array named 'x'"), std::string::npos)
      << error();
  EXPECT_FALSE(fs::exists(temp("out.npz")));

  // An input the model does not have, next to the right one.
  QuantcTensorF32 both[2] = {xTensor(), t};
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, both, 2, collectOutput, &outs)));
  EXPECT_NE(error().find("no input named 'y'"), std::string::npos) << error();

  // And one given twice.
  QuantcTensorF32 twice[2] = {xTensor(), xTensor()};
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, twice, 2, collectOutput, &outs)));
  EXPECT_NE(error().find("'x' is given twice"), std::string::npos) << error();

  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunNpz(m, sref(temp("missing.npz")), sref(temp("out.npz")))));
  EXPECT_NE(error().find("missing.npz"), std::string::npos) << error();
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, WrongInputShape) {
  QuantcModule m = load(mlp("mlp.onnx"));
  ASSERT_FALSE(quantcModuleIsNull(m));
  std::vector<int64_t> shape = {2, 63};
  QuantcTensorF32 t = {quantcStringRefCreateFromCString("x"), x.data(),
                       shape.data(), 2};
  std::vector<Output> outs;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_NE(error().find("input 'x' has shape [2, 63] but the model expects "
                         "[?, 64]"),
            std::string::npos)
      << error();

  // Shapes a C caller can get wrong before quantc looks at the model.
  std::vector<int64_t> negative = {-1, 64};
  t.shape = negative.data();
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_NE(error().find("input 'x' has negative dimension 0"),
            std::string::npos)
      << error();
  std::vector<int64_t> huge = {INT64_MAX / 2, 64};
  t.shape = huge.data();
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_NE(error().find("input 'x' has too many elements"), std::string::npos)
      << error();
  t.shape = xShape.data();
  t.rank = -2;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_NE(error().find("input 'x' has rank -2"), std::string::npos)
      << error();
  t.rank = 2;
  t.data = nullptr;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_NE(error().find("input 'x' has no data"), std::string::npos)
      << error();
  EXPECT_TRUE(outs.empty());
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, NonFloatTensorsNeedNpz) {
  const char *src = R"mlir(
func.func @main(%x: tensor<2xf32> {qc.name = "x"})
    -> (tensor<2xf32> {qc.name = "y"}, tensor<2xi64> {qc.name = "ids"}) {
  %c = arith.constant dense<[3, 4]> : tensor<2xi64>
  return %x, %c : tensor<2xf32>, tensor<2xi64>
}
)mlir";
  QuantcModule m =
      quantcModuleParse(ctx, quantcStringRefCreateFromCString(src));
  ASSERT_FALSE(quantcModuleIsNull(m)) << error();
  float data[2] = {1, 2};
  int64_t shape[1] = {2};
  QuantcTensorF32 t = {quantcStringRefCreateFromCString("x"), data, shape, 1};
  std::vector<Output> outs;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, collectOutput, &outs)));
  EXPECT_TRUE(outs.empty());
  EXPECT_NE(error().find("output 'ids'"), std::string::npos) << error();
  EXPECT_NE(error().find("quantcModuleRunNpz"), std::string::npos) << error();
  quantcModuleDestroy(m);
}

TEST_F(CAPITest, NullHandles) {
  QuantcContext none = {nullptr};
  QuantcModule noModule = {nullptr};
  EXPECT_TRUE(
      quantcModuleIsNull(quantcModuleLoad(none, sref(mlp("mlp.onnx")))));
  // No context to hold it: the thread's error, read with a null context.
  EXPECT_EQ(str(quantcContextGetLastError(none)),
            "error: quantcModuleLoad: the context is null");
  EXPECT_TRUE(quantcModuleIsNull(quantcModuleParse(none, sref(kTinyModel))));

  QuantcTensorF32 t = xTensor();
  std::vector<Output> outs;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(noModule, &t, 1, collectOutput, &outs)));
  EXPECT_NE(str(quantcContextGetLastError(none)).find("quantcModuleRunF32"),
            std::string::npos);
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunNpz(noModule, sref("a.npz"), sref("b.npz"))));
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunPipeline(noModule, sref("cse"))));
  std::string text;
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModulePrint(noModule, appendTo, &text)));
  EXPECT_EQ(quantcModuleGetNumInputs(noModule), -1);
  EXPECT_EQ(quantcModuleGetNumOutputs(noModule), -1);
  EXPECT_EQ(quantcModuleGetInputName(noModule, 0).data, nullptr);
  QuantcCompileOptions options = quantcCompileOptionsCreate();
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcCompile(none, options, nullptr, nullptr, nullptr)));
  quantcCompileOptionsDestroy(options);

  QuantcCompileOptions noOptions = {nullptr};
  quantcCompileOptionsSetModelPath(noOptions, sref("x")); // ignored
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcCompile(ctx, noOptions, nullptr, nullptr, nullptr)));
  EXPECT_NE(error().find("options are null"), std::string::npos) << error();

  // Null callbacks and arrays where they are required.
  QuantcModule m = load(mlp("mlp.onnx"));
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, &t, 1, nullptr, nullptr)));
  EXPECT_NE(error().find("callback is null"), std::string::npos) << error();
  EXPECT_TRUE(quantcLogicalResultIsFailure(
      quantcModuleRunF32(m, nullptr, 1, collectOutput, &outs)));
  EXPECT_NE(error().find("inputs is NULL"), std::string::npos) << error();
  EXPECT_TRUE(
      quantcLogicalResultIsFailure(quantcModulePrint(m, nullptr, nullptr)));
  EXPECT_EQ(str(quantcModuleGetInputName(m, 1)), "");
  EXPECT_NE(error().find("position 1 is out of range"), std::string::npos)
      << error();
  quantcModuleDestroy(m);

  // Destroying null handles is a no-op.
  quantcModuleDestroy(noModule);
  quantcCompileOptionsDestroy(noOptions);
  quantcContextDestroy(none);
}

TEST_F(CAPITest, BadCompileOptions) {
  std::string out = temp("out.qcpkg");
  auto compileFails = [&](QuantcCompileOptions o) {
    bool failed = quantcLogicalResultIsFailure(
        quantcCompile(ctx, o, nullptr, nullptr, nullptr));
    quantcCompileOptionsDestroy(o);
    EXPECT_FALSE(fs::exists(out));
    return failed;
  };

  QuantcCompileOptions o = mlpOptions(out);
  quantcCompileOptionsSetFormat(o, sref("mxfp9"));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("error: unknown format 'mxfp9'; known formats:"),
            std::string::npos)
      << error();

  o = mlpOptions(out);
  quantcCompileOptionsSetTargets(o, sref("sm_89, sm_42"));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("unknown target 'sm_42'"), std::string::npos)
      << error();

  o = mlpOptions(out);
  quantcCompileOptionsSetCalibrationPath(o, sref(temp("nocalib.npz")));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("nocalib.npz' does not exist"), std::string::npos)
      << error();

  o = mlpOptions(out);
  quantcCompileOptionsAddInputShape(o, sref("x=3xfoo"));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("x=3xfoo"), std::string::npos) << error();

  o = mlpOptions(out);
  quantcCompileOptionsAddInputValue(o, sref("x"));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("bad --input-value 'x'"), std::string::npos)
      << error();

  // (The MLP's input has a free batch: no constant can fill it.)
  o = mlpOptions(out);
  quantcCompileOptionsAddInputValue(o, sref("x=1,2"));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("--input-value for input 'x': its dim 0 is not "
                         "static"),
            std::string::npos)
      << error();

  o = mlpOptions(out);
  quantcCompileOptionsSetOutputPath(o, sref(""));
  EXPECT_TRUE(compileFails(o));
  EXPECT_NE(error().find("no output path"), std::string::npos) << error();
}

TEST_F(CAPITest, DiagnosticCallbackSeesEveryDiagnostic) {
  std::string seen;
  quantcContextSetDiagnosticCallback(ctx, appendTo, &seen);
  std::string path = temp("missing.onnx");
  EXPECT_TRUE(quantcModuleIsNull(quantcModuleLoad(ctx, sref(path))));
  EXPECT_EQ(seen, error());
  quantcContextSetDiagnosticCallback(ctx, nullptr, nullptr);
  seen.clear();
  EXPECT_TRUE(quantcModuleIsNull(quantcModuleLoad(ctx, sref(path))));
  EXPECT_EQ(seen, "");
}

} // namespace
