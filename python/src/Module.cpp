//===- Module.cpp - the _quantc extension: compile, run, import, IR -------===//
//
// pybind11 over quantc's own C++ API (Debian's MLIR has no Python bindings).
// The Python package `quantc` (python/quantc/__init__.py) wraps these
// functions; arrays go in as (name, numpy dtype name, C-contiguous array)
// and come out as (name, array), one copy each way. Every failure raises
// quantc.Error with
// the diagnostics the tools would print; nothing aborts the process.
//
//===----------------------------------------------------------------------===//
#include "PyCommon.h"

#include "quantc/Compiler/Compiler.h"
#include "quantc/Compiler/Load.h"
#include "quantc/Compiler/Pipeline.h"
#include "quantc/Executor/Executor.h"
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/InitAll.h"
#include "quantc/Package/Package.h"
#include "quantc/Target/Host/HostKernels.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

#include <cstring>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

using namespace mlir;
using namespace quantc;
using namespace quantc::py_support;

namespace {

/// An MLIR context with every quantc dialect loaded, shared by the modules
/// created in it.
std::shared_ptr<MLIRContext> makeContext() {
  auto ctx = std::make_shared<MLIRContext>(MLIRContext::Threading::DISABLED);
  registerCompilerDialects(*ctx);
  ctx->printOpOnDiagnostic(false);
  return ctx;
}

/// A module and the context that owns its IR. The Executor is kept from
/// run to run (it caches the weights' float values); a pass pipeline drops
/// it, since it holds pointers into the IR.
struct PyModule {
  std::shared_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<Executor> exec;
};

/// An input array: name, numpy dtype name, C-contiguous data (the Python
/// wrapper makes it so). Outputs go back as (name, numpy array).
using PyArray = std::tuple<std::string, std::string, py::array>;
using PyOutput = std::tuple<std::string, py::array>;

npz::Array toNpz(const PyArray &a) {
  npz::Array out;
  out.name = std::get<0>(a);
  auto dt = npz::dtypeFromName(std::get<1>(a));
  if (!dt)
    throw QuantcError("array '" + out.name + "' has dtype " + std::get<1>(a) +
                      ", which quantc does not read (quantized codes travel "
                      "as uint8)");
  const py::array &data = std::get<2>(a);
  if (!(data.flags() & py::array::c_style))
    throw QuantcError("array '" + out.name + "' is not C-contiguous");
  out.dtype = *dt;
  out.shape.assign(data.shape(), data.shape() + data.ndim());
  // Byte count from our own item size: pybind11 2.10 (Debian's) reads the
  // item size from NumPy 1's descriptor layout and gets 0 under NumPy 2.
  const auto *p = static_cast<const uint8_t *>(data.data());
  out.data.assign(p, p + data.size() * npz::dtypeSize(*dt));
  checkLlvm(npz::verifyArray(out, "array '" + out.name + "'"));
  return out;
}

/// One copy into a fresh numpy array. bfloat16 leaves as its uint16 bit
/// patterns, the .npz contract of quant-run.
PyOutput fromNpz(const npz::Array &a) {
  std::string dtype =
      a.dtype == npz::DType::BF16 ? "uint16" : npz::dtypeName(a.dtype).str();
  // numpy.empty, not py::array(dtype, shape): the latter computes strides
  // from the item size pybind11 2.10 misreads under NumPy 2 (see toNpz).
  py::tuple shape(a.shape.size());
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape[i] = a.shape[i];
  py::array arr = py::module_::import("numpy").attr("empty")(shape, dtype);
  if (!a.data.empty())
    std::memcpy(arr.mutable_data(), a.data.data(), a.data.size());
  return {a.name, std::move(arr)};
}

std::vector<npz::Array> toNpzList(const std::vector<PyArray> &in) {
  std::vector<npz::Array> out;
  for (const PyArray &a : in)
    out.push_back(toNpz(a));
  return out;
}

/// Loads what quant-run runs: a package directory, a .mlir file or an ONNX
/// model.
std::unique_ptr<PyModule> load(const std::string &path,
                               const std::vector<std::string> &inputShapes,
                               bool onnxOnly,
                               const std::vector<std::string> &inputValues) {
  auto m = std::make_unique<PyModule>();
  m->ctx = makeContext();
  DiagCapture diags(*m->ctx);
  OnnxImportOptions opts;
  for (const std::string &s : inputShapes)
    checkLlvm(parseInputShapeOption(s, opts));
  for (const std::string &s : inputValues)
    checkLlvm(parseInputValueOption(s, opts));
  if (onnxOnly && !llvm::sys::fs::exists(path))
    throw QuantcError("model '" + path + "' does not exist");
  m->module = onnxOnly ? importOnnxFile(*m->ctx, path, opts)
                       : loadModel(*m->ctx, path, opts);
  if (!m->module)
    diags.raise("cannot load '" + path + "'");
  if (onnxOnly && failed(verify(*m->module)))
    diags.raise("'" + path + "' does not verify");
  return m;
}

std::unique_ptr<PyModule> parseText(const std::string &text,
                                    const std::string &name) {
  auto m = std::make_unique<PyModule>();
  m->ctx = makeContext();
  DiagCapture diags(*m->ctx);
  ParserConfig config(m->ctx.get());
  auto buf = llvm::MemoryBuffer::getMemBufferCopy(text, name);
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(std::move(buf), llvm::SMLoc());
  m->module = parseSourceFile<ModuleOp>(sm, config);
  if (!m->module)
    diags.raise("cannot parse " + name);
  if (failed(verify(*m->module)))
    diags.raise(name + " does not verify");
  return m;
}

func::FuncOp entry(PyModule &m, DiagCapture &diags) {
  func::FuncOp fn = getEntryFunction(*m.module);
  if (!fn)
    diags.raise("the module has no entry function");
  return fn;
}

std::vector<PyOutput> runModule(PyModule &m, const std::vector<PyArray> &in) {
  DiagCapture diags(*m.ctx);
  std::vector<npz::Array> arrays = toNpzList(in);
  if (!m.exec)
    m.exec = std::make_unique<Executor>(entry(m, diags));
  Executor &exec = *m.exec;
  auto inputs = exec.bindInputs(arrays, "inputs");
  if (failed(inputs))
    diags.raise("bad inputs");
  auto outputs = exec.run(*inputs);
  if (failed(outputs))
    diags.raise("the Executor failed");
  std::vector<PyOutput> out;
  for (const npz::Array &a : exec.toArrays(*outputs))
    out.push_back(fromNpz(a));
  return out;
}

/// Runs "builtin.module(...)" (anchored, as --pass-pipeline takes it) or a
/// bare "canonicalize,cse" (nested under the module).
void runPipeline(PyModule &m, const std::string &pipeline) {
  registerAllPasses();
  m.exec.reset();
  DiagCapture diags(*m.ctx);
  std::string err;
  llvm::raw_string_ostream es(err);
  PassManager pm(m.ctx.get());
  llvm::StringRef text = llvm::StringRef(pipeline).trim();
  bool ok;
  if (text.starts_with("builtin.module(")) {
    FailureOr<OpPassManager> parsed = parsePassPipeline(text, es);
    ok = succeeded(parsed);
    if (ok)
      static_cast<OpPassManager &>(pm) = std::move(*parsed);
  } else {
    ok = succeeded(parsePassPipeline(text, pm, es));
  }
  if (!ok)
    throw QuantcError("bad pass pipeline '" + pipeline +
                      "': " + llvm::StringRef(err).trim().str());
  if (failed(pm.run(*m.module)))
    diags.raise("pass pipeline '" + pipeline + "' failed");
}

std::string printModule(PyModule &m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.module->print(os);
  return s;
}

std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

std::string attrStr(Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  a.print(os);
  return s;
}

/// A snapshot of every op in the entry function (not live handles: a pass
/// run would leave them dangling).
py::list walkOps(PyModule &m) {
  DiagCapture diags(*m.ctx);
  func::FuncOp fn = entry(m, diags);
  py::list ops;
  fn.walk([&](Operation *op) {
    if (op == fn.getOperation())
      return;
    py::dict d;
    d["name"] = op->getName().getStringRef().str();
    d["location"] = formatLoc(op->getLoc());
    py::list operands, results;
    for (Type t : op->getOperandTypes())
      operands.append(typeStr(t));
    for (Type t : op->getResultTypes())
      results.append(typeStr(t));
    d["operand_types"] = operands;
    d["result_types"] = results;
    py::dict attrs, schemes, stats;
    for (NamedAttribute na : op->getAttrs()) {
      std::string key = na.getName().str();
      Attribute a = na.getValue();
      // Weights stay out of the snapshot: they can be megabytes.
      if (isa<ElementsAttr>(a))
        attrs[key.c_str()] = "<" + typeStr(cast<TypedAttr>(a).getType()) + ">";
      else
        attrs[key.c_str()] = attrStr(a);
      if (auto s = dyn_cast<qc::SchemeAttr>(a))
        schemes[key.c_str()] = schemeDict(s);
      if (auto st = dyn_cast<qc::StatsAttr>(a)) {
        py::dict sd;
        sd["min"] = st.getMin().getValueAsDouble();
        sd["max"] = st.getMax().getValueAsDouble();
        sd["absmax"] = st.getAbsmax().getValueAsDouble();
        stats[key.c_str()] = sd;
      }
    }
    d["attributes"] = attrs;
    d["schemes"] = schemes;
    d["stats"] = stats;
    ops.append(d);
  });
  return ops;
}

std::vector<std::string> names(PyModule &m, bool inputs) {
  DiagCapture diags(*m.ctx);
  Executor exec(entry(m, diags));
  return inputs ? exec.getInputNames() : exec.getOutputNames();
}

/// Forwards complete progress lines to a Python callable.
class CallbackStream : public llvm::raw_ostream {
public:
  explicit CallbackStream(py::function fn) : fn(std::move(fn)) {
    SetUnbuffered();
  }
  ~CallbackStream() override { flushLines(true); }
  std::exception_ptr error;

private:
  void write_impl(const char *p, size_t n) override {
    pending.append(p, n);
    pos += n;
    flushLines(false);
  }
  uint64_t current_pos() const override { return pos; }
  void flushLines(bool all) {
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos ||
           (all && !pending.empty())) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl == std::string::npos ? pending.size() : nl + 1);
      if (error)
        continue;
      try {
        fn(line);
      } catch (...) {
        // A raising callback must not unwind through the compiler; the
        // exception is rethrown once compileModel has returned.
        error = std::current_exception();
      }
    }
  }
  py::function fn;
  std::string pending;
  uint64_t pos = 0;
};

py::tuple
compile(const std::string &model, const std::string &output,
        const std::string &calibPath, const std::vector<PyArray> &calibArrays,
        int64_t calibRandom, int64_t calibBatch, uint64_t seed,
        const std::string &format, const std::vector<std::string> &targets,
        bool emitCubin, const std::vector<std::string> &inputShapes,
        const std::string &calibMethod, double percentile, bool asymmetric,
        const std::string &activations, const std::string &evalPath,
        bool measureAccuracy, const std::string &calibTable,
        const std::string &calibTableOut, bool smoothQuant, double smoothAlpha,
        const std::string &smoothAlphas, bool smoothInsertScales,
        const std::string &weightMethod, double gptqDamp,
        double outlierThreshold, bool depthwiseChannelScales,
        std::optional<bool> biasCorrection, double budgetBits,
        const std::string &candidates, const std::string &raisePatterns,
        double budgetLatency, const std::string &latencyTarget,
        int64_t latencyTokens, std::optional<py::function> progress,
        const std::vector<std::string> &inputValues) {
  CompileOptions opts;
  opts.modelPath = model;
  opts.outputPath = output;
  opts.calibPath = calibPath;
  opts.calibArrays = toNpzList(calibArrays);
  opts.calibRandom = calibRandom;
  opts.calibBatch = calibBatch;
  opts.seed = seed;
  opts.format = format;
  opts.targets = targets;
  opts.emitCubin = emitCubin;
  opts.calibMethod = calibMethod;
  opts.percentile = percentile;
  opts.asymmetric = asymmetric;
  opts.activations = activations;
  opts.evalPath = evalPath;
  opts.measureAccuracy = measureAccuracy;
  opts.calibTable = calibTable;
  opts.calibTableOut = calibTableOut;
  opts.smoothQuant = smoothQuant;
  opts.smoothAlpha = smoothAlpha;
  opts.smoothAlphas = smoothAlphas;
  opts.smoothInsertScales = smoothInsertScales;
  opts.weightMethod = weightMethod;
  opts.gptqDamp = gptqDamp;
  opts.outlierThreshold = outlierThreshold;
  opts.depthwiseChannelScales = depthwiseChannelScales;
  opts.biasCorrection = biasCorrection;
  opts.budgetBits = budgetBits;
  opts.precisionCandidates = candidates;
  opts.raisePatterns = raisePatterns;
  opts.budgetLatencyUs = budgetLatency;
  opts.latencyTarget = latencyTarget;
  opts.latencyTokens = latencyTokens;
  if (!evalPath.empty() && !llvm::sys::fs::exists(evalPath))
    throw QuantcError("evaluation file '" + evalPath + "' does not exist");
  for (const std::string &s : inputShapes)
    checkLlvm(parseInputShapeOption(s, opts.import));
  for (const std::string &s : inputValues)
    checkLlvm(parseInputValueOption(s, opts.import));
  // The checks quant-compile makes before compileModel.
  if (!llvm::sys::fs::exists(model))
    throw QuantcError("model '" + model + "' does not exist");
  if (!calibPath.empty() && !llvm::sys::fs::exists(calibPath))
    throw QuantcError("calibration file '" + calibPath + "' does not exist");
  std::optional<CallbackStream> stream;
  if (progress) {
    stream.emplace(*progress);
    opts.progress = &*stream;
    // A callback that raised (KeyboardInterrupt, ...) stops the compilation
    // before anything is written.
    opts.cancelled = [&stream] { return stream->error != nullptr; };
  }
  auto ctx = makeContext();
  DiagCapture diags(*ctx);
  FailureOr<CompileResult> r = compileModel(*ctx, opts);
  if (stream) {
    stream->flush();
    if (stream->error)
      std::rethrow_exception(stream->error);
  }
  if (failed(r))
    diags.raise("compilation of '" + model + "' failed");
  std::string json;
  llvm::raw_string_ostream js(json);
  js << llvm::json::Value(std::move(r->report));
  return py::make_tuple(json, r->summary);
}

/// A module's kernels JIT-compiled for the host; holds the context the
/// module lives in.
struct PyHostKernels {
  std::shared_ptr<MLIRContext> ctx;
  std::unique_ptr<HostKernels> kernels;
};

PyHostKernels makeHostKernels(PyModule &m) {
  std::string err;
  auto hk = HostKernels::create(*m.module, err);
  if (!hk)
    throw QuantcError(err);
  return {m.ctx, std::move(hk)};
}

/// args: ("ptr" | "i32" | "i64", value) pairs.
void launchHostKernel(PyHostKernels &h, const std::string &name,
                      std::array<int64_t, 3> grid,
                      std::array<int64_t, 3> block,
                      const std::vector<std::pair<std::string, uint64_t>> &args,
                      uint32_t sharedBytes) {
  std::vector<HostKernelArg> a;
  for (auto &[kind, v] : args) {
    HostKernelArg::Kind k = kind == "ptr"   ? HostKernelArg::Kind::Pointer
                            : kind == "i32" ? HostKernelArg::Kind::I32
                            : kind == "i64" ? HostKernelArg::Kind::I64
                                            : throw py::value_error(
                                                  "argument kind must be ptr, "
                                                  "i32 or i64, got '" +
                                                  kind + "'");
    a.push_back({k, v});
  }
  std::string err;
  bool ok;
  {
    py::gil_scoped_release release;
    ok = h.kernels->launch(name, grid, block, a, err, sharedBytes);
  }
  if (!ok)
    throw QuantcError(err);
}

/// The 128 bytes of a host tensor map (HostKernels::encodeTensorMap).
py::bytes encodeHostTensorMap(uint64_t address, unsigned elemBytes,
                              const std::vector<uint64_t> &dims,
                              const std::vector<uint64_t> &strides,
                              const std::vector<uint32_t> &box,
                              unsigned swizzle) {
  alignas(64) char map[128];
  std::string err;
  if (!HostKernels::encodeTensorMap(
          map, reinterpret_cast<const void *>(static_cast<uintptr_t>(address)),
          elemBytes, dims, strides, box, swizzle, err))
    throw QuantcError(err);
  return py::bytes(map, sizeof(map));
}

} // namespace

void quantc::py_support::bindModule(py::module_ &m) {
  py::class_<PyHostKernels>(m, "HostKernels",
                            "A module's GPU kernels JIT-compiled for this CPU "
                            "(internal; use quantc.HostKernels)")
      .def(py::init(&makeHostKernels), py::arg("module"))
      .def("kernels",
           [](PyHostKernels &h) {
             return std::vector<std::string>(h.kernels->kernels().begin(),
                                             h.kernels->kernels().end());
           })
      .def("all_kernels",
           [](PyHostKernels &h) {
             return std::vector<std::string>(h.kernels->allKernels().begin(),
                                             h.kernels->allKernels().end());
           })
      .def("why_not",
           [](PyHostKernels &h, const std::string &n) {
             return h.kernels->whyNot(n);
           })
      .def("launch", &launchHostKernel, py::arg("name"), py::arg("grid"),
           py::arg("block"), py::arg("args"), py::arg("shared_bytes") = 0)
      .def_static("encode_tensor_map", &encodeHostTensorMap,
                  py::arg("address"), py::arg("elem_bytes"), py::arg("dims"),
                  py::arg("strides"), py::arg("box"), py::arg("swizzle"));
  py::class_<PyModule>(m, "Module",
                       "A qc module in its own MLIR context (internal; use "
                       "quantc.Module)")
      .def("__str__", &printModule)
      .def("run_pipeline", &runPipeline, py::arg("pipeline"))
      .def("ops", &walkOps)
      .def("run", &runModule, py::arg("inputs"))
      .def("input_names", [](PyModule &m) { return names(m, true); })
      .def("output_names", [](PyModule &m) { return names(m, false); })
      .def("verify", [](PyModule &m) {
        DiagCapture diags(*m.ctx);
        if (failed(verify(*m.module)))
          diags.raise("the module does not verify");
      });
  m.def("load", &load, py::arg("path"), py::arg("input_shapes"),
        py::arg("onnx_only"),
        py::arg("input_values") = std::vector<std::string>{});
  m.def("parse", &parseText, py::arg("text"), py::arg("name"));
  m.def("compile", &compile, py::arg("model"), py::arg("output"),
        py::arg("calib_path"), py::arg("calib_arrays"), py::arg("calib_random"),
        py::arg("calib_batch"), py::arg("seed"), py::arg("format"),
        py::arg("targets"), py::arg("emit_cubin"), py::arg("input_shapes"),
        py::arg("calib_method"), py::arg("percentile"), py::arg("asymmetric"),
        py::arg("activations"), py::arg("eval"), py::arg("accuracy"),
        py::arg("calib_table"), py::arg("write_calib_table"),
        py::arg("smooth_quant"), py::arg("smooth_alpha"),
        py::arg("smooth_alphas"), py::arg("smooth_insert_scales"),
        py::arg("weight_method"), py::arg("gptq_damp"),
        py::arg("outlier_threshold"), py::arg("depthwise_channel_scales"),
        py::arg("bias_correction"), py::arg("budget_bits"),
        py::arg("candidates"), py::arg("raise_patterns"),
        py::arg("budget_latency"), py::arg("latency_target"),
        py::arg("latency_tokens"), py::arg("progress"),
        py::arg("input_values") = std::vector<std::string>{});
  m.def("is_package",
        [](const std::string &p) { return isPackageDirectory(p); });
  m.def("scheme_presets", [] {
    std::vector<std::string> out;
    for (llvm::StringRef n : qc::SchemeAttr::getPresetNames())
      out.push_back(n.str());
    return out;
  });
}
