//===- ExecutorNN.cpp - Executor kernels: NN op family ---------------===//
#include "ExecutorImpl.h"

#include "quantc/Dialect/QC/IR/QCNNOps.h"

using namespace quantc;
using namespace quantc::exec;

void quantc::exec::registerNNKernels(KernelRegistry &registry) {}
