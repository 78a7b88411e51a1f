//===- ExecutorQuant.cpp - Executor kernels: Quant op family ---------------===//
#include "ExecutorImpl.h"

#include "quantc/Dialect/QC/IR/QCQuantOps.h"

using namespace quantc;
using namespace quantc::exec;

void quantc::exec::registerQuantKernels(KernelRegistry &registry) {}
