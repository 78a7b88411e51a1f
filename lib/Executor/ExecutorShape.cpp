//===- ExecutorShape.cpp - Executor kernels: Shape op family ---------------===//
#include "ExecutorImpl.h"

#include "quantc/Dialect/QC/IR/QCShapeOps.h"

using namespace quantc;
using namespace quantc::exec;

void quantc::exec::registerShapeKernels(KernelRegistry &registry) {}
