//===- quant-translate.cpp - translations in and out of qc IR -------------===//
//
//   quant-translate --import-onnx model.onnx [--input-shape x=1x3x48x320]
//                   [-o out.mlir]
//
// A thin driver over the libraries (DESIGN §1). Exit code 0 on success, 1 on
// any error; on error no output file is written (the output goes to a
// temporary file that is renamed into place only after everything succeeded).
//
//===----------------------------------------------------------------------===//
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/Export/Onnx/OnnxExporter.h"
#include "quantc/Package/Package.h"
#include "quantc/Conversion/QCToGPU/QCToGPU.h"
#include "quantc/InitAll.h"
#include "quantc/Target/PTX/PTXEmitter.h"
#include "quantc/Tools/ToolSupport.h"

#include "mlir/Parser/Parser.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace mlir;

namespace {

enum class Action {
  None,
  ImportOnnx,
  EmitPtx,
  // ExportOnnx (--export-onnx: qc IR -> ONNX QDQ) goes here, with a case in
  // main() below.
  ExportOnnx,
};


void toolError(const llvm::Twine &msg) {
  llvm::errs() << "quant-translate: error: " << msg << "\n";
}

/// Writes `text` to `path` ("-" is stdout) through a temporary file in the
/// same directory, so a failed write never leaves a partial file behind.
bool writeOutput(llvm::StringRef path, llvm::StringRef text) {
  if (path == "-") {
    llvm::outs() << text;
    llvm::outs().flush();
    return true;
  }
  llvm::SmallString<256> tmp;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, tmp)) {
    toolError("cannot write '" + path + "': " + ec.message());
    return false;
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      toolError("cannot write '" + path + "': " + os.error().message());
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    toolError("cannot write '" + path + "': " + ec.message());
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);

  llvm::cl::opt<Action> action(
      llvm::cl::desc("Translation to perform:"), llvm::cl::init(Action::None),
      llvm::cl::values(
          clEnumValN(Action::ImportOnnx, "import-onnx",
                     "Import an ONNX model as qc IR"),
          clEnumValN(Action::EmitPtx, "emit-ptx",
                     "PTX of the kernels for every qc.qmatmul of a .mlir "
                     "file"),
          clEnumValN(Action::ExportOnnx, "export-onnx",
                     "Export qc IR (.mlir or a .qcpkg package) as an ONNX "
                     "QDQ model (docs/Export.md)")));
  llvm::cl::opt<std::string> target(
      "target", llvm::cl::desc("Kernel target for --emit-ptx (sm_120a, sm_100a, sm_90a, sm_90, "
                     "sm_89)"),
      llvm::cl::init("sm_120a"));
  llvm::cl::opt<std::string> inputFilename(
      llvm::cl::Positional, llvm::cl::desc("<input file>"),
      llvm::cl::init("-"));
  llvm::cl::opt<std::string> outputFilename(
      "o", llvm::cl::desc("Output file (default: stdout)"),
      llvm::cl::value_desc("filename"), llvm::cl::init("-"));
  llvm::cl::list<std::string> inputShapes(
      "input-shape",
      llvm::cl::desc("Static shape of a graph input, e.g. "
                     "--input-shape x=1x3x48x320 (repeatable; fixes symbolic "
                     "dimensions)"),
      llvm::cl::value_desc("name=DxDx..."));
  llvm::cl::list<std::string> inputValues(
      "input-value",
      llvm::cl::desc("Bind a graph input to constant values, e.g. "
                     "--input-value sr=16000 (repeatable; an If testing it "
                     "then folds)"),
      llvm::cl::value_desc("name=V[,V...]"));

  llvm::cl::opt<bool> printWeights(
      "print-weights",
      llvm::cl::desc("--import-onnx: always print the dense_resource weight "
                     "blobs in full"),
      llvm::cl::init(false));
  llvm::cl::opt<uint64_t> elideWeightsOver(
      "elide-weights-over",
      llvm::cl::desc("--import-onnx: when the weight blobs total more than "
                     "this many bytes, print none of their data (the output "
                     "shows the graph but cannot be run); default 64 MiB"),
      llvm::cl::value_desc("bytes"), llvm::cl::init(uint64_t(64) << 20));

  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "quantc translation tool\n");

  MLIRContext ctx;
  quantc::ToolDiagnostics diags(ctx, "quant-translate", /*locationFirst=*/true);

  std::string text;
  switch (action) {
  case Action::None:
    toolError("no translation given (e.g. --import-onnx); see --help");
    return 1;
  case Action::ImportOnnx: {
    quantc::OnnxImportOptions opts;
    for (const std::string &spec : inputShapes) {
      if (llvm::Error err = quantc::parseInputShapeOption(spec, opts)) {
        toolError(llvm::toString(std::move(err)));
        return 1;
      }
    }
    for (const std::string &spec : inputValues) {
      if (llvm::Error err = quantc::parseInputValueOption(spec, opts)) {
        toolError(llvm::toString(std::move(err)));
        return 1;
      }
    }
    OwningOpRef<ModuleOp> module;
    if (inputFilename == "-") {
      auto buf = llvm::MemoryBuffer::getSTDIN();
      if (!buf) {
        toolError("cannot read stdin: " + buf.getError().message());
        return 1;
      }
      module = quantc::importOnnxBytes(ctx, (*buf)->getBuffer(), "<stdin>",
                                       opts);
    } else {
      module = quantc::importOnnxFile(ctx, inputFilename, opts);
    }
    if (!module)
      return 1;
    llvm::raw_string_ostream os(text);
    // MLIR's resource elision still hex-encodes every blob before dropping
    // it (seconds and gigabytes for a large model), so above the limit the
    // resource section is left out altogether (local scope): the IR shows
    // dense_resource<name> without data.
    uint64_t blobBytes = 0;
    module->walk([&](Operation *op) {
      for (NamedAttribute a : op->getAttrs())
        if (auto r = dyn_cast<DenseResourceElementsAttr>(a.getValue()))
          if (AsmResourceBlob *b = r.getRawHandle().getBlob())
            blobBytes += b->getData().size();
    });
    OpPrintingFlags flags;
    if (!printWeights && blobBytes > elideWeightsOver)
      flags.useLocalScope();
    module->print(os, flags);
    break;
  }
  case Action::EmitPtx: {
    std::optional<quantc::KernelTarget> t = quantc::parseKernelTarget(target);
    if (!t) {
      toolError("unknown target '" + target + "'; known targets: sm_120a, sm_90a, sm_90, sm_89");
      return 1;
    }
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    quantc::registerGemmKernelDialects(registry);
    quantc::registerPTXTranslations(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    ParserConfig config(&ctx);
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(inputFilename, config);
    if (!module)
      return 1;
    OwningOpRef<ModuleOp> kernels = ModuleOp::create(UnknownLoc::get(&ctx));
    auto ops = quantc::lowerQMatMulsToKernels(*module, *kernels, *t);
    if (failed(ops))
      return 1;
    if (ops->empty()) {
      toolError("'" + inputFilename + "' has no qc.qmatmul to emit kernels for");
      return 1;
    }
    FailureOr<std::string> ptx = quantc::emitPTX(*kernels, *t);
    if (failed(ptx))
      return 1;
    text = std::move(*ptx);
    break;
  }
  case Action::ExportOnnx: {
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
    OwningOpRef<ModuleOp> module;
    if (quantc::isPackageDirectory(inputFilename)) {
      // A quant-compile package: its graph with the weights as constants.
      auto m = quantc::readPackageGraph(ctx, inputFilename);
      if (!m) {
        toolError(llvm::toString(m.takeError()));
        return 1;
      }
      module = std::move(*m);
    } else {
      ParserConfig config(&ctx);
      module = parseSourceFile<ModuleOp>(inputFilename, config);
    }
    if (!module)
      return 1;
    FailureOr<std::string> bytes = quantc::exportOnnx(*module);
    if (failed(bytes))
      return 1;
    text = std::move(*bytes);
    break;
  }
  }
  return writeOutput(outputFilename, text) ? 0 : 1;
}
