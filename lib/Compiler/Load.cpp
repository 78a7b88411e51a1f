//===- Load.cpp - load a package, a .mlir file or an ONNX model -----------===//
#include "quantc/Compiler/Load.h"

#include "quantc/Package/Package.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;

OwningOpRef<ModuleOp> quantc::loadModel(MLIRContext &ctx, llvm::StringRef path,
                                        const OnnxImportOptions &import) {
  Location unknown = UnknownLoc::get(&ctx);
  if (!llvm::sys::fs::exists(path)) {
    emitError(unknown) << "model '" << path << "' does not exist";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module;
  if (llvm::sys::fs::is_directory(path)) {
    auto m = readPackageGraph(ctx, path);
    if (!m) {
      emitError(unknown) << llvm::toString(m.takeError());
      return nullptr;
    }
    module = std::move(*m);
  } else if (path.ends_with(".mlir")) {
    ParserConfig config(&ctx);
    module = parseSourceFile<ModuleOp>(path, config);
    if (!module) {
      emitError(unknown) << "cannot parse '" << path << "'";
      return nullptr;
    }
  } else {
    module = importOnnxFile(ctx, path, import);
    if (!module)
      return nullptr;
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}
