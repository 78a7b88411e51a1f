//===- exec_bench.cpp - Executor latency of an ONNX model -----------------===//
//
//   bench_executor MODEL.onnx INPUTS.npz [REPEAT] [WARMUP] [--profile]
//
// --profile also prints the time per op name (summed over the timed runs).
//
// Imports the model once, then times Executor::run alone (no import, no npz
// I/O) REPEAT times after WARMUP runs; prints one JSON line with the median
// and minimum in milliseconds. Threads: OPENBLAS_NUM_THREADS, which the NN
// kernels' own loops follow too.
//
//===----------------------------------------------------------------------===//
#include "quantc/Executor/Executor.h"
#include "quantc/Import/Onnx/OnnxImporter.h"
#include "quantc/InitAll.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

using namespace mlir;
using namespace quantc;

int main(int argc, char **argv) {
  if (argc < 3) {
    llvm::errs() << "usage: bench_executor MODEL.onnx INPUTS.npz [REPEAT] "
                    "[WARMUP]\n";
    return 1;
  }
  int repeat = argc > 3 ? std::atoi(argv[3]) : 20;
  int warmup = argc > 4 ? std::atoi(argv[4]) : 3;
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  OnnxImportOptions opts;
  OwningOpRef<ModuleOp> module = importOnnxFile(ctx, argv[1], opts);
  if (!module || failed(module->verify()))
    return 1;
  func::FuncOp fn = getEntryFunction(*module);
  if (!fn)
    return 1;
  auto arrays = npz::readNpz(argv[2]);
  if (!arrays) {
    llvm::errs() << llvm::toString(arrays.takeError()) << "\n";
    return 1;
  }
  Executor exec(fn);
  auto inputs = exec.bindInputs(*arrays, argv[2]);
  if (failed(inputs))
    return 1;
  bool profile = argc > 5 && llvm::StringRef(argv[5]) == "--profile";
  llvm::StringMap<double> perOp;
  auto last = std::chrono::steady_clock::now();
  if (profile)
    exec.setObserver([&](Operation *op, ArrayRef<const Tensor *>,
                         ArrayRef<const Tensor *>) {
      auto now = std::chrono::steady_clock::now();
      perOp[op->getName().getStringRef()] +=
          std::chrono::duration<double, std::milli>(now - last).count();
      last = std::chrono::steady_clock::now();
    });
  std::vector<double> ms;
  for (int i = 0; i < warmup + repeat; ++i) {
    if (i == warmup)
      perOp.clear();
    last = std::chrono::steady_clock::now();
    auto t0 = std::chrono::steady_clock::now();
    auto out = exec.run(*inputs);
    auto t1 = std::chrono::steady_clock::now();
    if (failed(out))
      return 1;
    if (i >= warmup)
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  llvm::outs() << "{\"median_ms\": " << ms[ms.size() / 2]
               << ", \"min_ms\": " << ms.front() << ", \"runs\": " << ms.size()
               << "}\n";
  for (auto &e : perOp)
    llvm::outs() << "  " << e.getKey() << ": " << e.getValue() / ms.size()
                 << " ms/run\n";
  return 0;
}
