//===- Quantc.cpp - C API of the quantc compiler --------------------------===//
//
// Thin wrappers over the C++ API (Compiler.h, Executor.h, Package.h, the
// ONNX importer). Every entry point clears the context's error text, turns
// diagnostics and llvm::Errors into it, and catches C++ exceptions so none
// crosses into C.
//
//===----------------------------------------------------------------------===//
#include "quantc-c/Quantc.h"

#include "quantc/Compiler/Compiler.h"
#include "quantc/Compiler/Load.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/InitAll.h"
#include "quantc/Package/Package.h"
#include "quantc/Support/Npz.h"
#include "quantc/Tools/ToolSupport.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

using namespace mlir;
using namespace quantc;

namespace {

/// Formats a diagnostic and its notes as the tools print them, one line each
/// ("error: model.onnx: node 'fc1' (MatMul): message"), without the final
/// newline.
std::string formatDiagnostic(Diagnostic &d) {
  std::string s;
  llvm::raw_string_ostream os(s);
  auto line = [&](Diagnostic &x) {
    os << severityName(x.getSeverity()) << ": ";
    std::string where = formatLoc(x.getLocation());
    if (!where.empty())
      os << where << ": ";
    os << x;
  };
  line(d);
  for (Diagnostic &note : d.getNotes()) {
    os << "\n";
    line(note);
  }
  return s;
}

struct CContext {
  MLIRContext ctx;
  /// What quantcContextGetLastError returns.
  std::string lastError;
  /// Errors and warnings of the call in progress.
  std::string callText;
  QuantcStringCallback diagCallback = nullptr;
  void *diagUserData = nullptr;
  DiagnosticEngine::HandlerID handler;

  CContext() {
    registerCompilerDialects(ctx);
    ctx.printOpOnDiagnostic(false);
    handler = ctx.getDiagEngine().registerHandler([this](Diagnostic &d) {
      std::string text = formatDiagnostic(d);
      // Remarks (a matmul left in float, ...) explain, they are not errors.
      if (d.getSeverity() == DiagnosticSeverity::Error ||
          d.getSeverity() == DiagnosticSeverity::Warning) {
        if (!callText.empty())
          callText += "\n";
        callText += text;
      }
      if (diagCallback)
        diagCallback({text.data(), text.size()}, diagUserData);
      return success();
    });
  }
  ~CContext() { ctx.getDiagEngine().eraseHandler(handler); }
};

struct CModule {
  CContext *owner;
  OwningOpRef<ModuleOp> module;
  /// Built on first use for @main and dropped when a pipeline changes the
  /// module: the Executor keeps constants from run to run.
  std::unique_ptr<Executor> exec;
  std::vector<std::string> inputNames, outputNames;

  LogicalResult prepare() {
    if (exec)
      return success();
    func::FuncOp fn = getEntryFunction(*module);
    if (!fn)
      return failure();
    exec = std::make_unique<Executor>(fn);
    inputNames = exec->getInputNames();
    outputNames = exec->getOutputNames();
    return success();
  }
  void invalidate() {
    exec.reset();
    inputNames.clear();
    outputNames.clear();
  }
  func::FuncOp entry() { return getEntryFunction(*module); }
};

struct CCompileOptions {
  CompileOptions options;
  std::string targets = "sm_120a,sm_89";
  std::vector<std::string> inputShapes;
  std::vector<std::string> inputValues;
  QuantcStringCallback progress = nullptr;
  void *progressUserData = nullptr;
};

/// Forwards each line written to it (compileModel's progress) to a C
/// callback, without the newline.
class LineCallbackStream : public llvm::raw_ostream {
public:
  LineCallbackStream(QuantcStringCallback cb, void *userData)
      : cb(cb), userData(userData) {
    SetUnbuffered();
  }
  ~LineCallbackStream() override {
    if (!line.empty())
      emitLine();
  }

private:
  void write_impl(const char *ptr, size_t size) override {
    pos += size;
    for (size_t i = 0; i < size; ++i) {
      if (ptr[i] == '\n')
        emitLine();
      else
        line += ptr[i];
    }
  }
  uint64_t current_pos() const override { return pos; }
  void emitLine() {
    cb({line.data(), line.size()}, userData);
    line.clear();
  }
  QuantcStringCallback cb;
  void *userData;
  std::string line;
  uint64_t pos = 0;
};

/// Errors of calls given a null handle and no context to record them in.
thread_local std::string threadError;

CContext *unwrap(QuantcContext c) { return static_cast<CContext *>(c.ptr); }
CModule *unwrap(QuantcModule m) { return static_cast<CModule *>(m.ptr); }
CCompileOptions *unwrap(QuantcCompileOptions o) {
  return static_cast<CCompileOptions *>(o.ptr);
}

std::string str(QuantcStringRef s) {
  return s.data ? std::string(s.data, s.length) : std::string();
}
QuantcStringRef view(const std::string &s) { return {s.data(), s.size()}; }
QuantcLogicalResult result(bool ok) { return {ok ? int8_t(1) : int8_t(0)}; }

/// Records a failure that is not a diagnostic (an llvm::Error, a bad
/// argument) as an error diagnostic, so the diagnostic callback sees it too.
LogicalResult fail(CContext *c, const llvm::Twine &msg) {
  emitError(UnknownLoc::get(&c->ctx)) << msg;
  return failure();
}

LogicalResult fail(CContext *c, llvm::Error e) {
  return fail(c, llvm::toString(std::move(e)));
}

/// Adds a line to the call's error text; itself never throws, since it runs
/// in the handlers of guarded().
void addErrorLine(CContext *c, const char *function, const char *what,
                  const char *detail = "") {
  try {
    if (!c->callText.empty())
      c->callText += "\n";
    c->callText += std::string("error: ") + function + ": " + what + detail;
  } catch (...) {
  }
}

/// Runs one entry point's body: clears the error text, catches exceptions,
/// and on failure keeps the call's diagnostics as the last error.
template <typename Fn>
LogicalResult guarded(CContext *c, const char *function, Fn &&body) {
  threadError.clear();
  c->lastError.clear();
  c->callText.clear();
  LogicalResult r = failure();
  try {
    r = body();
  } catch (const std::bad_alloc &) {
    addErrorLine(c, function, "out of memory");
  } catch (const std::exception &e) {
    addErrorLine(c, function, "internal error: ", e.what());
  } catch (...) {
    addErrorLine(c, function, "internal error");
  }
  if (failed(r)) {
    if (c->callText.empty())
      addErrorLine(c, function, "failed");
    c->lastError.swap(c->callText);
  }
  c->callText.clear();
  return r;
}

/// For a call whose handle is null and which has no context to report to.
void nullHandle(const char *function, const char *what) {
  threadError = std::string("error: ") + function + ": " + what + " is null";
}

/// Input names as the diagnostics list them: 'x', 'y'.
std::string quotedList(llvm::ArrayRef<std::string> names) {
  std::string s;
  for (const std::string &n : names)
    s += (s.empty() ? "'" : ", '") + n + "'";
  return s.empty() ? "none" : s;
}

constexpr intptr_t kMaxRank = 32;

/// Copies a caller's float32 tensor into an npz::Array, checking what a C
/// caller can get wrong before touching the data.
LogicalResult toArray(CContext *c, const QuantcTensorF32 &t, intptr_t index,
                      npz::Array &a) {
  a.name = str(t.name);
  if (a.name.empty())
    return fail(c,
                llvm::formatv("inputs: tensor {0} has no name", index).str());
  if (t.rank < 0 || t.rank > kMaxRank)
    return fail(c, llvm::formatv("inputs: input '{0}' has rank {1}; the "
                                 "rank must be in [0, {2}]",
                                 a.name, t.rank, kMaxRank)
                       .str());
  if (t.rank > 0 && !t.shape)
    return fail(c, "inputs: input '" + a.name + "' has no shape array");
  int64_t n = 1;
  for (intptr_t d = 0; d < t.rank; ++d) {
    int64_t dim = t.shape[d];
    if (dim < 0)
      return fail(c, llvm::formatv("inputs: input '{0}' has negative "
                                   "dimension {1} ({2})",
                                   a.name, d, dim)
                         .str());
    a.shape.push_back(dim);
    // Keeps n * sizeof(float) representable.
    if (dim != 0 && n > (INT64_MAX / 4) / dim)
      return fail(c, "inputs: input '" + a.name +
                         "' has too many elements (the shape overflows)");
    n *= dim;
  }
  if (n > 0 && !t.data)
    return fail(c, "inputs: input '" + a.name + "' has no data");
  a.dtype = npz::DType::F32;
  a.data.resize(size_t(n) * sizeof(float));
  if (n > 0)
    std::memcpy(a.data.data(), t.data, a.data.size());
  return success();
}

bool isFloatInput(Type t) {
  return t.isF32() || t.isF16() || t.isBF16() || t.isF64();
}

} // namespace

//===----------------------------------------------------------------------===//
// Support
//===----------------------------------------------------------------------===//

QuantcStringRef quantcStringRefCreateFromCString(const char *s) {
  return {s ? s : "", s ? std::strlen(s) : 0};
}

//===----------------------------------------------------------------------===//
// Context
//===----------------------------------------------------------------------===//

QuantcContext quantcContextCreate(void) {
  try {
    // Once per process: textual pipelines name qc passes.
    registerAllPasses();
    return {new CContext()};
  } catch (...) {
    return {nullptr};
  }
}

void quantcContextDestroy(QuantcContext ctx) { delete unwrap(ctx); }

QuantcStringRef quantcContextGetLastError(QuantcContext ctx) {
  if (CContext *c = unwrap(ctx))
    return view(c->lastError);
  return view(threadError);
}

void quantcContextSetDiagnosticCallback(QuantcContext ctx,
                                        QuantcStringCallback callback,
                                        void *userData) {
  if (CContext *c = unwrap(ctx)) {
    c->diagCallback = callback;
    c->diagUserData = userData;
  }
}

//===----------------------------------------------------------------------===//
// Compile options
//===----------------------------------------------------------------------===//

QuantcCompileOptions quantcCompileOptionsCreate(void) {
  try {
    return {new CCompileOptions()};
  } catch (...) {
    return {nullptr};
  }
}

void quantcCompileOptionsDestroy(QuantcCompileOptions options) {
  delete unwrap(options);
}

// Setters run no code that throws except on out of memory, which they turn
// into a no-op; quantcCompile then reports the missing value.
#define QUANTC_SETTER(body)                                                    \
  if (CCompileOptions *o = unwrap(options)) {                                  \
    try {                                                                      \
      body;                                                                    \
    } catch (...) {                                                            \
    }                                                                          \
  }

void quantcCompileOptionsSetModelPath(QuantcCompileOptions options,
                                      QuantcStringRef path) {
  QUANTC_SETTER(o->options.modelPath = str(path))
}

void quantcCompileOptionsSetOutputPath(QuantcCompileOptions options,
                                       QuantcStringRef path) {
  QUANTC_SETTER(o->options.outputPath = str(path))
}

void quantcCompileOptionsSetCalibrationPath(QuantcCompileOptions options,
                                            QuantcStringRef path) {
  QUANTC_SETTER(o->options.calibPath = str(path))
}

void quantcCompileOptionsSetCalibrationRandom(QuantcCompileOptions options,
                                              int64_t samples, uint64_t seed) {
  QUANTC_SETTER(o->options.calibRandom = samples; o->options.seed = seed)
}

void quantcCompileOptionsSetCalibrationBatch(QuantcCompileOptions options,
                                             int64_t samples) {
  QUANTC_SETTER(o->options.calibBatch = samples)
}

void quantcCompileOptionsSetMeasureAccuracy(QuantcCompileOptions options,
                                            bool measure) {
  QUANTC_SETTER(o->options.measureAccuracy = measure)
}

void quantcCompileOptionsSetFormat(QuantcCompileOptions options,
                                   QuantcStringRef format) {
  QUANTC_SETTER(o->options.format = str(format))
}

void quantcCompileOptionsSetTargets(QuantcCompileOptions options,
                                    QuantcStringRef targets) {
  QUANTC_SETTER(o->targets = str(targets))
}

void quantcCompileOptionsSetEmitCubin(QuantcCompileOptions options, bool emit) {
  QUANTC_SETTER(o->options.emitCubin = emit)
}

void quantcCompileOptionsSetCalibrationMethod(QuantcCompileOptions options,
                                              QuantcStringRef method,
                                              double percentile) {
  QUANTC_SETTER(o->options.calibMethod = str(method);
                o->options.percentile = percentile)
}

void quantcCompileOptionsSetActivations(QuantcCompileOptions options,
                                        QuantcStringRef activations,
                                        bool asymmetric) {
  QUANTC_SETTER(o->options.activations = str(activations);
                o->options.asymmetric = asymmetric)
}

void quantcCompileOptionsSetEvaluationPath(QuantcCompileOptions options,
                                           QuantcStringRef path) {
  QUANTC_SETTER(o->options.evalPath = str(path))
}

void quantcCompileOptionsSetCalibrationTables(QuantcCompileOptions options,
                                              QuantcStringRef read,
                                              QuantcStringRef write) {
  QUANTC_SETTER(o->options.calibTable = str(read);
                o->options.calibTableOut = str(write))
}

void quantcCompileOptionsAddInputShape(QuantcCompileOptions options,
                                       QuantcStringRef spec) {
  QUANTC_SETTER(o->inputShapes.push_back(str(spec)))
}

void quantcCompileOptionsAddInputValue(QuantcCompileOptions options,
                                       QuantcStringRef spec) {
  QUANTC_SETTER(o->inputValues.push_back(str(spec)))
}

void quantcCompileOptionsSetProgressCallback(QuantcCompileOptions options,
                                             QuantcStringCallback callback,
                                             void *userData) {
  QUANTC_SETTER(o->progress = callback; o->progressUserData = userData)
}

#undef QUANTC_SETTER

//===----------------------------------------------------------------------===//
// Compile
//===----------------------------------------------------------------------===//

QuantcLogicalResult quantcCompile(QuantcContext ctx,
                                  QuantcCompileOptions options,
                                  QuantcStringCallback reportCallback,
                                  QuantcStringCallback summaryCallback,
                                  void *userData) {
  CContext *c = unwrap(ctx);
  if (!c) {
    nullHandle("quantcCompile", "the context");
    return result(false);
  }
  return result(succeeded(guarded(c, "quantcCompile", [&]() -> LogicalResult {
    CCompileOptions *o = unwrap(options);
    if (!o)
      return fail(c, "quantcCompile: the options are null");
    CompileOptions opts = o->options;
    // The checks quant-compile makes before calling compileModel.
    if (opts.modelPath.empty())
      return fail(c, "no model path set (quantcCompileOptionsSetModelPath)");
    if (opts.outputPath.empty())
      return fail(c, "no output path set (quantcCompileOptionsSetOutputPath)");
    if (!llvm::sys::fs::exists(opts.modelPath))
      return fail(c, "model '" + opts.modelPath + "' does not exist");
    if (opts.calibPath.empty() && opts.calibArrays.empty() &&
        opts.calibRandom <= 0)
      return fail(c, "no calibration data: call "
                     "quantcCompileOptionsSetCalibrationPath or "
                     "quantcCompileOptionsSetCalibrationRandom");
    if (!opts.calibPath.empty() && opts.calibRandom > 0)
      return fail(c, "give either a calibration file or random samples, "
                     "not both");
    if (!opts.calibPath.empty() && !llvm::sys::fs::exists(opts.calibPath))
      return fail(c,
                  "calibration file '" + opts.calibPath + "' does not exist");
    opts.targets.clear();
    llvm::StringRef targets = llvm::StringRef(o->targets).trim();
    if (targets != "none") {
      SmallVector<llvm::StringRef> parts;
      targets.split(parts, ',', -1, /*KeepEmpty=*/false);
      for (llvm::StringRef p : parts)
        if (!p.trim().empty())
          opts.targets.push_back(p.trim().str());
    }
    for (const std::string &s : o->inputShapes)
      if (llvm::Error e = parseInputShapeOption(s, opts.import))
        return fail(c, std::move(e));
    for (const std::string &s : o->inputValues)
      if (llvm::Error e = parseInputValueOption(s, opts.import))
        return fail(c, std::move(e));
    std::unique_ptr<LineCallbackStream> progress;
    if (o->progress) {
      progress = std::make_unique<LineCallbackStream>(o->progress,
                                                      o->progressUserData);
      opts.progress = progress.get();
    }
    FailureOr<CompileResult> r = compileModel(c->ctx, opts);
    if (failed(r))
      return failure();
    if (reportCallback) {
      std::string json = llvm::formatv(
          "{0:2}", llvm::json::Value(llvm::json::Object(r->report)));
      reportCallback(view(json), userData);
    }
    if (summaryCallback)
      summaryCallback(view(r->summary), userData);
    return success();
  })));
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

QuantcModule quantcModuleLoad(QuantcContext ctx, QuantcStringRef path) {
  CContext *c = unwrap(ctx);
  if (!c) {
    nullHandle("quantcModuleLoad", "the context");
    return {nullptr};
  }
  CModule *m = nullptr;
  (void)guarded(c, "quantcModuleLoad", [&]() -> LogicalResult {
    std::string p = str(path);
    if (p.empty())
      return fail(c, "quantcModuleLoad: the model path is empty");
    OwningOpRef<ModuleOp> module = loadModel(c->ctx, p);
    if (!module)
      return failure(); // loadModel emitted why
    m = new CModule{c, std::move(module), nullptr, {}, {}};
    return success();
  });
  return {m};
}

QuantcModule quantcModuleParse(QuantcContext ctx, QuantcStringRef source) {
  CContext *c = unwrap(ctx);
  if (!c) {
    nullHandle("quantcModuleParse", "the context");
    return {nullptr};
  }
  CModule *m = nullptr;
  (void)guarded(c, "quantcModuleParse", [&]() -> LogicalResult {
    ParserConfig config(&c->ctx);
    // The parser reads a copy: a view need not be NUL-terminated.
    std::string text = str(source);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(text, config, "<source>");
    if (!module)
      return failure();
    if (failed(mlir::verify(*module)))
      return failure();
    m = new CModule{c, std::move(module), nullptr, {}, {}};
    return success();
  });
  return {m};
}

void quantcModuleDestroy(QuantcModule module) { delete unwrap(module); }

QuantcLogicalResult quantcModulePrint(QuantcModule module,
                                      QuantcStringCallback callback,
                                      void *userData) {
  CModule *m = unwrap(module);
  if (!m) {
    nullHandle("quantcModulePrint", "the module");
    return result(false);
  }
  return result(
      succeeded(guarded(m->owner, "quantcModulePrint", [&]() -> LogicalResult {
        if (!callback)
          return fail(m->owner, "quantcModulePrint: the callback is null");
        std::string text;
        llvm::raw_string_ostream os(text);
        m->module->print(os);
        callback(view(text), userData);
        return success();
      })));
}

QuantcLogicalResult quantcModuleRunPipeline(QuantcModule module,
                                            QuantcStringRef pipeline) {
  CModule *m = unwrap(module);
  if (!m) {
    nullHandle("quantcModuleRunPipeline", "the module");
    return result(false);
  }
  CContext *c = m->owner;
  return result(
      succeeded(guarded(c, "quantcModuleRunPipeline", [&]() -> LogicalResult {
        std::string text = str(pipeline);
        // Accept "builtin.module(a,b)" (mlir-opt's --pass-pipeline) as well
        // as "a,b": the pass manager below is already anchored on the module.
        llvm::StringRef inner = llvm::StringRef(text).trim();
        llvm::StringRef rest = inner;
        if (rest.consume_front("builtin.module")) {
          rest = rest.ltrim();
          if (rest.starts_with("(") && rest.ends_with(")"))
            inner = rest.drop_front().drop_back();
        }
        PassManager pm(&c->ctx);
        std::string err;
        llvm::raw_string_ostream es(err);
        if (failed(parsePassPipeline(inner, pm, es)))
          return fail(c, "invalid pass pipeline '" + text +
                             "': " + llvm::StringRef(err).trim());
        // Passes may rewrite @main; the Executor and names are rebuilt.
        m->invalidate();
        if (failed(pm.run(*m->module)))
          return fail(c, "pass pipeline '" + text + "' failed");
        return success();
      })));
}

static intptr_t getCount(QuantcModule module, const char *function,
                         bool inputs) {
  CModule *m = unwrap(module);
  if (!m) {
    nullHandle(function, "the module");
    return -1;
  }
  intptr_t n = -1;
  (void)guarded(m->owner, function, [&]() -> LogicalResult {
    if (failed(m->prepare()))
      return failure();
    n = inputs ? m->inputNames.size() : m->outputNames.size();
    return success();
  });
  return n;
}

intptr_t quantcModuleGetNumInputs(QuantcModule module) {
  return getCount(module, "quantcModuleGetNumInputs", /*inputs=*/true);
}

intptr_t quantcModuleGetNumOutputs(QuantcModule module) {
  return getCount(module, "quantcModuleGetNumOutputs", /*inputs=*/false);
}

static QuantcStringRef getName(QuantcModule module, intptr_t pos,
                               const char *function, bool inputs) {
  CModule *m = unwrap(module);
  if (!m) {
    nullHandle(function, "the module");
    return {nullptr, 0};
  }
  QuantcStringRef name = {nullptr, 0};
  (void)guarded(m->owner, function, [&]() -> LogicalResult {
    if (failed(m->prepare()))
      return failure();
    const std::vector<std::string> &names =
        inputs ? m->inputNames : m->outputNames;
    if (pos < 0 || pos >= (intptr_t)names.size())
      return fail(m->owner, llvm::formatv("{0}: position {1} is out of range "
                                          "(the graph has {2} {3})",
                                          function, pos, names.size(),
                                          inputs ? "inputs" : "outputs")
                                .str());
    name = view(names[pos]);
    return success();
  });
  return name;
}

QuantcStringRef quantcModuleGetInputName(QuantcModule module, intptr_t pos) {
  return getName(module, pos, "quantcModuleGetInputName", /*inputs=*/true);
}

QuantcStringRef quantcModuleGetOutputName(QuantcModule module, intptr_t pos) {
  return getName(module, pos, "quantcModuleGetOutputName", /*inputs=*/false);
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

QuantcLogicalResult quantcModuleRunNpz(QuantcModule module,
                                       QuantcStringRef inputsPath,
                                       QuantcStringRef outputsPath) {
  CModule *m = unwrap(module);
  if (!m) {
    nullHandle("quantcModuleRunNpz", "the module");
    return result(false);
  }
  CContext *c = m->owner;
  return result(
      succeeded(guarded(c, "quantcModuleRunNpz", [&]() -> LogicalResult {
        std::string in = str(inputsPath), out = str(outputsPath);
        if (out.empty())
          return fail(c, "quantcModuleRunNpz: the outputs path is empty");
        if (failed(m->prepare()))
          return failure();
        auto arrays = npz::readNpz(in);
        if (!arrays)
          return fail(c, arrays.takeError());
        auto inputs = m->exec->bindInputs(*arrays, in);
        if (failed(inputs))
          return failure();
        auto outputs = m->exec->run(*inputs);
        if (failed(outputs))
          return failure();
        if (llvm::Error e = npz::writeNpz(out, m->exec->toArrays(*outputs)))
          return fail(c, std::move(e));
        return success();
      })));
}

QuantcLogicalResult quantcModuleRunF32(QuantcModule module,
                                       const QuantcTensorF32 *inputs,
                                       intptr_t numInputs,
                                       QuantcTensorF32Callback callback,
                                       void *userData) {
  CModule *m = unwrap(module);
  if (!m) {
    nullHandle("quantcModuleRunF32", "the module");
    return result(false);
  }
  CContext *c = m->owner;
  return result(
      succeeded(guarded(c, "quantcModuleRunF32", [&]() -> LogicalResult {
        if (!callback)
          return fail(c, "quantcModuleRunF32: the callback is null");
        if (numInputs < 0 || (numInputs > 0 && !inputs))
          return fail(c, llvm::formatv("quantcModuleRunF32: numInputs is "
                                       "{0} {1}",
                                       numInputs,
                                       numInputs < 0 ? "(negative)"
                                                     : "but inputs is NULL")
                             .str());
        if (failed(m->prepare()))
          return failure();
        // Refuse other dtypes before running, naming the tensor.
        func::FuncOp fn = m->entry();
        for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes())) {
          auto rt = dyn_cast<RankedTensorType>(t);
          if (!rt || !isFloatInput(rt.getElementType()))
            return fail(c, "input '" + m->inputNames[i] + "' is " +
                               llvm::formatv("{0}", t).str() +
                               ", not a float tensor; quantcModuleRunF32 "
                               "takes float32 data only: use "
                               "quantcModuleRunNpz");
        }
        for (auto [i, t] : llvm::enumerate(fn.getResultTypes())) {
          auto rt = dyn_cast<RankedTensorType>(t);
          if (!rt || !rt.getElementType().isF32())
            return fail(c, "output '" + m->outputNames[i] + "' is " +
                               llvm::formatv("{0}", t).str() +
                               ", not a float32 tensor; quantcModuleRunF32 "
                               "hands out float32 data only: use "
                               "quantcModuleRunNpz");
        }
        std::vector<npz::Array> arrays(numInputs);
        for (intptr_t i = 0; i < numInputs; ++i) {
          if (failed(toArray(c, inputs[i], i, arrays[i])))
            return failure();
          for (intptr_t j = 0; j < i; ++j)
            if (arrays[j].name == arrays[i].name)
              return fail(c, "inputs: input '" + arrays[i].name +
                                 "' is given twice");
        }
        auto bound = m->exec->bindInputs(arrays, "inputs");
        if (failed(bound))
          return failure();
        // bindInputs ignores extra arrays; in a C call one is likely a typo.
        for (const npz::Array &a : arrays)
          if (!llvm::is_contained(m->inputNames, a.name))
            return fail(c, "inputs: the model has no input named '" + a.name +
                               "'; its inputs are " +
                               quotedList(m->inputNames));
        auto outputs = m->exec->run(*bound);
        if (failed(outputs))
          return failure();
        std::vector<npz::Array> results = m->exec->toArrays(*outputs);
        for (const npz::Array &a : results)
          if (a.dtype != npz::DType::F32)
            return fail(c, "output '" + a.name + "' has dtype " +
                               npz::dtypeName(a.dtype) +
                               "; quantcModuleRunF32 hands out float32 data "
                               "only: use quantcModuleRunNpz");
        std::vector<float> data;
        for (const npz::Array &a : results) {
          // Copied so the callback gets aligned floats.
          data.resize(a.data.size() / sizeof(float));
          if (!data.empty())
            std::memcpy(data.data(), a.data.data(), a.data.size());
          callback(view(a.name), data.data(), a.shape.data(),
                   (intptr_t)a.shape.size(), userData);
        }
        return success();
      })));
}
