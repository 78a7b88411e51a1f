//===- ExecutorMath.cpp - Executor kernels: Math op family ---------------===//
#include "ExecutorImpl.h"

#include "quantc/Dialect/QC/IR/QCMathOps.h"

using namespace quantc;
using namespace quantc::exec;

void quantc::exec::registerMathKernels(KernelRegistry &registry) {}
