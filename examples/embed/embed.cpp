//===- embed.cpp - quantc inside a host compiler --------------------------===//
//
// A "host compiler" that owns its MLIRContext and PassManager and uses quantc
// as a quantization backend (docs/Embedding.md):
//
//   embed examples/embed/model.mlir
//
// It registers quantc into its own registry, parses a float model, adds the
// quantize pipeline to its own pass manager, reads the result with the qc
// dialect's accessors, and compares the quantized model against the float
// one on the reference Executor.
//
//===----------------------------------------------------------------------===//
#include "quantc/Compiler/Pipeline.h"
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Executor/Executor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: embed model.mlir\n";
    return 2;
  }

  // The host's context: its own dialects would be registered here too.
  DialectRegistry registry;
  quantc::registerQuantcDialects(registry);
  quantc::registerQuantcPasses(); // for textual pipelines; idempotent
  MLIRContext ctx(registry);

  OwningOpRef<ModuleOp> floatModule = parseSourceFile<ModuleOp>(argv[1], &ctx);
  if (!floatModule)
    return 1; // the parser printed why
  // Quantize a copy so both versions can be run.
  OwningOpRef<ModuleOp> module = floatModule->clone();

  // Calibrate on 16 seeded random samples, then quantize to MXFP8.
  quantc::QuantizePipelineOptions options;
  options.format = "mxfp8";
  options.randomSamples = 16;
  options.seed = 1;
  if (failed(quantc::verifyQuantizePipelineOptions(module->getLoc(), options)))
    return 1;
  PassManager pm(&ctx);
  quantc::buildQuantizePipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;

  // Inspect the result through the qc dialect's C++ accessors.
  int count = 0;
  module->walk([&](quantc::qc::QMatMulOp op) {
    llvm::outs() << "qc.qmatmul #" << count++ << ": activations "
                 << op.getLhsScheme() << ", weights " << op.getRhsScheme()
                 << "\n";
  });
  llvm::outs() << count << " quantized matmul(s)\n";
  if (count != 2) {
    llvm::errs() << "embed: expected 2 qc.qmatmul ops, found " << count << "\n";
    return 1;
  }

  // Run both on the same seeded inputs (8 rows) and compare.
  func::FuncOp floatFn = quantc::getEntryFunction(*floatModule);
  func::FuncOp quantFn = quantc::getEntryFunction(*module);
  if (!floatFn || !quantFn)
    return 1;
  quantc::Executor floatExec(floatFn), quantExec(quantFn);
  auto inputs = floatExec.randomInputs(/*batch=*/8, /*seed=*/42);
  if (failed(inputs))
    return 1;
  auto floatOut = floatExec.run(*inputs);
  auto quantOut = quantExec.run(*inputs);
  if (failed(floatOut) || failed(quantOut))
    return 1;

  double diff = 0, norm = 0;
  for (size_t i = 0; i < floatOut->size(); ++i)
    for (size_t j = 0; j < (*floatOut)[i].f.size(); ++j) {
      double f = (*floatOut)[i].f[j], q = (*quantOut)[i].f[j];
      diff += (q - f) * (q - f);
      norm += f * f;
    }
  double relError = std::sqrt(diff / norm);
  llvm::outs() << "relative RMS error of the quantized model: " << relError
               << "\n";
  // MXFP8 keeps this model within a few percent of float.
  return relError < 0.1 ? 0 : 1;
}
