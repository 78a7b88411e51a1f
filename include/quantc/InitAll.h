//===- InitAll.h - register quantc dialects and passes --------------------===//
//
// One call for tools and embedders: the qc dialect, the upstream dialects the
// pipeline produces or consumes, and every qc pass.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_INITALL_H
#define QUANTC_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace quantc {
/// Adds qc and the upstream dialects quantc uses (func, arith, gpu, nvvm,
/// llvm, scf, cf, math) to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);
/// The same, under the name the embedding API uses (docs/Embedding.md).
void registerQuantcDialects(mlir::DialectRegistry &registry);
/// Registers every qc pass and the pipelines with the global pass registry
/// (registerQuantcPasses in quantc/Compiler/Pipeline.h).
void registerAllPasses();
} // namespace quantc

#endif
