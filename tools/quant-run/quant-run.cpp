//===- quant-run.cpp - run a model or package on the CPU Executor ---------===//
//
//   quant-run MODEL --inputs in.npz --outputs out.npz [--device cpu]
//
// MODEL is an ONNX file, a .mlir file (qc at any level), or a package
// directory, whose quantized graph runs. The .npz keys are the graph's input
// and output names; quantized codes travel as uint8 bit patterns.
//
//===----------------------------------------------------------------------===//
#include "quantc/Compiler/Load.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/InitAll.h"
#include "quantc/Support/Npz.h"
#include "quantc/Tools/ToolSupport.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"

#include <algorithm>
#include <chrono>

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
                                   cl::desc("Where to run: cpu (the Executor)"),
                                   cl::cat(cat));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Fix a symbolic input shape of an ONNX model: name=1x3x224x224"),
    cl::value_desc("name=DxD..."), cl::cat(cat));

static cl::opt<unsigned> repeat(
    "repeat", cl::init(1),
    cl::desc("Run the model this many times on the same inputs (the outputs "
             "of the last run are written); with --time, the timing covers "
             "every run"),
    cl::value_desc("N"), cl::cat(cat));
static cl::opt<bool> timeRuns(
    "time", cl::init(false),
    cl::desc("Print the Executor's wall time per run to stderr: the first "
             "run, and the median and minimum of the later ones"),
    cl::cat(cat));

static cl::opt<bool> profileOps(
    "profile",
    cl::desc("Print a table of the Executor's time per op type to stderr "
             "(summed over every run)"),
    cl::init(false), cl::cat(cat));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "quant-run: error: " << msg << "\n";
  return 1;
}

/// First run (cold: allocations, constants, thread start) and the median and
/// minimum of the later (warm) runs, in milliseconds.
static void printRunTimes(std::vector<double> s) {
  llvm::errs() << llvm::format("quant-run: executor: first run %.3f ms",
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

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "quantc reference runner\n");

  if (device != "cpu")
    return fail("device '" + device +
                "' is not supported by quant-run yet; use --device cpu (GPU "
                "packages run with the CUDA runtime)");
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
