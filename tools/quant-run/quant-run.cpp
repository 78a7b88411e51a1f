//===- quant-run.cpp - run a model or package on the CPU or a GPU ---------===//
//
//   quant-run MODEL --inputs in.npz --outputs out.npz [--device cpu|cuda[:N]]
//
// MODEL is an ONNX file, a .mlir file (qc at any level), or a package
// directory, whose quantized graph runs. The .npz keys are the graph's input
// and output names; quantized codes travel as uint8 bit patterns.
// --device cpu runs the reference Executor; --device cuda runs a package's
// GPU program through libquantc_rt (runtime/, docs/Runtime.md).
//
//===----------------------------------------------------------------------===//
#include "quantc/Compiler/Load.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/InitAll.h"
#include "quantc/Package/Package.h"
#include "quantc/Support/Npz.h"
#include "quantc/Tools/ToolSupport.h"

#include "quantc_rt.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"

#include <algorithm>
#include <chrono>
#include <optional>

using namespace mlir;
using namespace quantc;
namespace cl = llvm::cl;

static cl::OptionCategory cat("quant-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | model.mlir | model.qcpkg>"),
                                      cl::cat(cat));
static cl::opt<std::string> inputsPath("inputs", cl::Required,
                                       cl::desc("Input .npz (keys = input names)"),
                                       cl::value_desc("in.npz"), cl::cat(cat));
static cl::opt<std::string> outputsPath("outputs", cl::Required,
                                        cl::desc("Output .npz (keys = output names)"),
                                        cl::value_desc("out.npz"), cl::cat(cat));
static cl::opt<std::string> device("device", cl::init("cpu"),
                                   cl::desc("Where to run: cpu (the Executor), "
                                            "or cuda / cuda:N (a package's GPU "
                                            "program on device N, default 0)"),
                                   cl::cat(cat));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Fix a symbolic input shape of an ONNX model: name=1x3x224x224"),
    cl::value_desc("name=DxD..."), cl::cat(cat));
static cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Bind an input of an ONNX model to constant values: sr=16000 "
             "(the .npz need not hold it)"),
    cl::value_desc("name=V[,V...]"), cl::cat(cat));

static cl::opt<unsigned> repeat(
    "repeat", cl::init(1),
    cl::desc("Run the model this many times on the same inputs (the outputs "
             "of the last run are written); with --time, the timing covers "
             "every run"),
    cl::value_desc("N"), cl::cat(cat));
static cl::opt<bool> timeRuns(
    "time", cl::init(false),
    cl::desc("Print the wall time per run to stderr: the first run, and the "
             "median and minimum of the later ones"),
    cl::cat(cat));

static cl::opt<bool> profileOps(
    "profile",
    cl::desc("Print a table of the time per op type (cpu) or per kernel "
             "launch (cuda) to stderr, summed over every run"),
    cl::init(false), cl::cat(cat));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant-run: error: " << msg << "\n";
  return 1;
}

/// First run (cold: allocations, constants, thread start) and the median and
/// minimum of the later (warm) runs, in milliseconds.
static void printRunTimes(std::vector<double> s,
                          const char *what = "executor") {
  llvm::errs() << llvm::format("quant-run: %s: first run %.3f ms", what,
                               s[0] * 1e3);
  if (s.size() > 1) {
    std::vector<double> warm(s.begin() + 1, s.end());
    std::sort(warm.begin(), warm.end());
    double med = warm.size() % 2 ? warm[warm.size() / 2]
                                 : (warm[warm.size() / 2 - 1] +
                                    warm[warm.size() / 2]) /
                                       2;
    llvm::errs() << llvm::format(
        "; later runs: median %.3f ms, min %.3f ms over %zu runs", med * 1e3,
        warm.front() * 1e3, warm.size());
  }
  llvm::errs() << "\n";
}

static void printProfile(const std::vector<Executor::OpProfile> &rows) {
  double total = 0;
  for (const Executor::OpProfile &r : rows)
    total += r.seconds;
  llvm::errs() << llvm::format("quant-run: profile %-22s %8s %10s %6s\n", "op",
                               "count", "total ms", "%");
  for (const Executor::OpProfile &r : rows)
    llvm::errs() << llvm::format("quant-run: profile %-22s %8lld %10.3f %6.1f\n",
                                 r.name.c_str(), (long long)r.count,
                                 r.seconds * 1e3,
                                 total > 0 ? 100 * r.seconds / total : 0.0);
}

//===----------------------------------------------------------------------===//
// --device cuda: the package's GPU program through libquantc_rt
//===----------------------------------------------------------------------===//

static int cudaFail(const llvm::Twine &msg) {
  llvm::errs() << "quant-run: cannot run on cuda: " << msg << "\n";
  return 1;
}

/// The .npz dtype that carries a manifest dtype (8-bit float codes and i1
/// travel as uint8 / bool bit patterns, like the CPU path).
static std::optional<npz::DType> npzDType(llvm::StringRef d) {
  return llvm::StringSwitch<std::optional<npz::DType>>(d)
      .Case("f32", npz::DType::F32)
      .Case("f64", npz::DType::F64)
      .Case("f16", npz::DType::F16)
      .Case("bf16", npz::DType::BF16)
      .Case("i32", npz::DType::I32)
      .Case("i64", npz::DType::I64)
      .Case("i8", npz::DType::I8)
      .Case("ui8", npz::DType::U8)
      .Case("i16", npz::DType::I16)
      .Case("ui16", npz::DType::U16)
      .Case("ui32", npz::DType::U32)
      .Case("ui64", npz::DType::U64)
      .Case("f8E4M3FN", npz::DType::U8)
      .Case("f8E5M2", npz::DType::U8)
      .Case("f8E8M0FNU", npz::DType::U8)
      .Case("i1", npz::DType::Bool)
      .Default(std::nullopt);
}

namespace {
/// Closes the runtime's handles on every path out of runCuda.
struct CudaHandles {
  qcrt_package *pkg = nullptr;
  qcrt_session *sess = nullptr;
  ~CudaHandles() {
    qcrt_session_destroy(sess);
    qcrt_package_close(pkg);
  }
};
} // namespace

static int runCuda(int ordinal) {
  if (!isPackageDirectory(modelPath))
    return cudaFail("'" + modelPath +
                    "' is not a package directory (--device cuda runs a "
                    "package's GPU program; compile the model with "
                    "quant-compile first, or use --device cpu)");
  if (!inputShapes.empty() || !inputValues.empty())
    return fail("--input-shape and --input-value apply to ONNX models; a "
                "package's inputs are fixed");
  if (repeat < 1)
    return fail("--repeat must be at least 1");
  auto rtError = [](qcrt_status st) {
    return cudaFail(llvm::Twine(qcrt_last_error()) + " [" +
                    qcrt_status_name(st) + "]");
  };
  CudaHandles h;
  if (qcrt_status st = qcrt_package_open(modelPath.c_str(), &h.pkg))
    return rtError(st);
  auto arrays = npz::readNpz(inputsPath);
  if (!arrays)
    return fail(llvm::toString(arrays.takeError()));
  size_t nIn = 0, nOut = 0;
  qcrt_package_num_inputs(h.pkg, &nIn);
  qcrt_package_num_outputs(h.pkg, &nOut);

  // Match the arrays to the package's inputs before touching the GPU, so a
  // bad .npz gets its own message on any machine.
  std::vector<const npz::Array *> bound(nIn, nullptr);
  for (size_t i = 0; i < nIn; ++i) {
    qcrt_tensor_desc d;
    qcrt_package_input(h.pkg, i, &d);
    for (const npz::Array &a : *arrays)
      if (a.name == d.name)
        bound[i] = &a;
    if (!bound[i])
      return fail(inputsPath + ": no array '" + d.name + "' for input " +
                  llvm::Twine(i) + " of " + modelPath);
    std::optional<npz::DType> want = npzDType(d.dtype);
    if (!want)
      return fail(modelPath + ": input '" + d.name + "' has dtype " + d.dtype +
                  ", which quant-run cannot pass to the GPU");
    if (bound[i]->dtype != *want)
      return fail(inputsPath + ": array '" + d.name + "' is " +
                  npz::dtypeName(bound[i]->dtype) + ", input " +
                  llvm::Twine(i) + " of " + modelPath + " needs " +
                  npz::dtypeName(*want) + " (" + d.dtype + ")");
    int64_t batch;
    if (qcrt_package_check_input_shape(h.pkg, i, bound[i]->shape.data(),
                                       (int)bound[i]->shape.size(), &batch))
      return fail(inputsPath + ": array '" + d.name +
                  "': " + qcrt_last_error());
  }
  for (const npz::Array &a : *arrays)
    if (std::none_of(bound.begin(), bound.end(),
                     [&](const npz::Array *b) { return b == &a; }))
      return fail(inputsPath + ": array '" + a.name +
                  "' is not an input of " + modelPath);

  if (qcrt_status st = qcrt_session_create(h.pkg, ordinal, &h.sess))
    return rtError(st);
  for (size_t i = 0; i < nIn; ++i)
    if (qcrt_status st = qcrt_set_input(h.sess, i, bound[i]->data.data(),
                                        bound[i]->shape.data(),
                                        (int)bound[i]->shape.size()))
      return rtError(st);
  if (profileOps)
    qcrt_session_enable_profile(h.sess, 1);
  size_t nSteps = 0;
  qcrt_package_num_steps(h.pkg, &nSteps);
  std::vector<double> stepMs(nSteps, 0.0);
  std::vector<double> seconds;
  for (unsigned r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    if (qcrt_status st = qcrt_run(h.sess))
      return rtError(st);
    seconds.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
    for (size_t i = 0; profileOps && i < nSteps; ++i) {
      float ms = 0;
      if (qcrt_status st = qcrt_step_time_ms(h.sess, i, &ms))
        return rtError(st);
      stepMs[i] += ms;
    }
  }

  std::vector<npz::Array> outs;
  for (size_t i = 0; i < nOut; ++i) {
    qcrt_tensor_desc d;
    qcrt_package_output(h.pkg, i, &d);
    std::optional<npz::DType> dt = npzDType(d.dtype);
    if (!dt)
      return fail(modelPath + ": output '" + d.name + "' has dtype " + d.dtype +
                  ", which quant-run cannot write");
    int64_t dims[QCRT_MAX_RANK];
    int rank = 0;
    if (qcrt_status st =
            qcrt_output_shape(h.sess, i, dims, QCRT_MAX_RANK, &rank))
      return rtError(st);
    npz::Array a;
    a.name = d.name;
    a.dtype = *dt;
    a.shape.assign(dims, dims + rank);
    a.data.resize((size_t)a.numElements() * d.element_size);
    if (qcrt_status st =
            qcrt_get_output(h.sess, i, a.data.data(), a.data.size()))
      return rtError(st);
    outs.push_back(std::move(a));
  }

  if (timeRuns) {
    const char *name = "", *code = "";
    qcrt_session_device_name(h.sess, &name);
    qcrt_session_code(h.sess, &code);
    std::string what = std::string("cuda (") + name + ", " + code + ")";
    printRunTimes(seconds, what.c_str());
  }
  if (profileOps) {
    double total = 0;
    for (double ms : stepMs)
      total += ms;
    llvm::errs() << llvm::format("quant-run: profile %5s %-22s %-20s %10s %6s\n",
                                 "step", "kernel", "layer", "total ms", "%");
    for (size_t i = 0; i < nSteps; ++i) {
      const char *kernel = "", *layer = "";
      qcrt_package_step(h.pkg, i, &kernel, &layer);
      llvm::errs() << llvm::format(
          "quant-run: profile %5zu %-22s %-20s %10.3f %6.1f\n", i, kernel,
          layer, stepMs[i], total > 0 ? 100 * stepMs[i] / total : 0.0);
    }
    llvm::errs() << llvm::format(
        "quant-run: profile total %.3f ms of kernels over %u runs (profiled "
        "runs launch step by step, without the CUDA graph)\n",
        total, (unsigned)repeat);
  }
  if (llvm::Error e = npz::writeNpz(outputsPath, outs))
    return fail(llvm::toString(std::move(e)));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "quantc reference runner\n");

  llvm::StringRef dev(device);
  if (dev == "cuda" || dev.starts_with("cuda:")) {
    unsigned ordinal = 0;
    if (dev.consume_front("cuda:") &&
        (dev.empty() || dev.getAsInteger(10, ordinal) || ordinal > 1024))
      return fail("--device '" + device +
                  "': expected cuda or cuda:N with N a device number");
    return runCuda((int)ordinal);
  }
  if (device != "cpu")
    return fail("unknown --device '" + device +
                "'; expected cpu, cuda or cuda:N");
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  ToolDiagnostics diags(ctx, "quant-run");

  OnnxImportOptions opts;
  for (const std::string &s : inputShapes)
    if (llvm::Error e = parseInputShapeOption(s, opts))
      return fail(llvm::toString(std::move(e)));
  for (const std::string &s : inputValues)
    if (llvm::Error e = parseInputValueOption(s, opts))
      return fail(llvm::toString(std::move(e)));
  OwningOpRef<ModuleOp> module = loadModel(ctx, modelPath, opts);
  if (!module)
    return 1;
  func::FuncOp fn = getEntryFunction(*module);
  if (!fn)
    return 1;

  auto arrays = npz::readNpz(inputsPath);
  if (!arrays)
    return fail(llvm::toString(arrays.takeError()));
  Executor exec(fn);
  auto inputs = exec.bindInputs(*arrays, inputsPath);
  if (failed(inputs))
    return 1;
  if (repeat < 1)
    return fail("--repeat must be at least 1");
  FailureOr<std::vector<Tensor>> outputs = failure();
  exec.setProfiling(profileOps);
  // One run gains nothing from keeping constants, and keeping them would
  // hold every weight's float copy until exit.
  exec.setConstantCaching(repeat > 1);
  std::vector<double> seconds;
  for (unsigned r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    outputs = exec.run(*inputs);
    if (failed(outputs))
      return 1;
    seconds.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
  }
  if (timeRuns)
    printRunTimes(seconds);
  if (profileOps)
    printProfile(exec.getProfile());
  if (llvm::Error e = npz::writeNpz(outputsPath, exec.toArrays(*outputs)))
    return fail(llvm::toString(std::move(e)));
  return diags.getNumErrors() ? 1 : 0;
}
