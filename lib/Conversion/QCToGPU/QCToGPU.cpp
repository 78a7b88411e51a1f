//===- QCToGPU.cpp - quantized qc ops to GPU kernels ----------------------===//
#include "quantc/Conversion/QCToGPU/QCToGPU.h"
#include "quantc/Conversion/QCToGPU/Program.h"

using namespace mlir;
using namespace quantc;

bool quantc::isMXFP8Scheme(qc::SchemeAttr s) {
  return isa<Float8E4M3FNType>(s.getElementType()) &&
         isa<Float8E8M0FNUType>(s.getScaleType()) &&
         s.getInnerBlock() == kMXFP8ScaleBlock;
}

Type quantc::getMXGemmElement(qc::SchemeAttr s) {
  if (!isa<Float8E8M0FNUType>(s.getScaleType()) ||
      s.getInnerBlock() != kMXFP8ScaleBlock ||
      !isa<Float8E4M3FNType, Float8E5M2Type, Float4E2M1FNType,
           Float6E2M3FNType, Float6E3M2FNType>(s.getElementType()))
    return Type();
  return s.getElementType();
}

StringRef quantc::getMXElementShortName(Type elem) {
  return isa<Float4E2M1FNType>(elem)   ? "e2m1"
         : isa<Float6E2M3FNType>(elem) ? "e2m3"
         : isa<Float6E3M2FNType>(elem) ? "e3m2"
         : isa<Float8E5M2Type>(elem)   ? "e5m2"
                                       : "e4m3";
}

bool quantc::isKernelSupported(qc::QMatMulOp op, std::string *reason) {
  for (qc::SchemeAttr s : {op.getLhsScheme(), op.getRhsScheme()}) {
    if (getMXGemmElement(s))
      continue;
    if (reason) {
      llvm::raw_string_ostream os(*reason);
      os << "no GPU kernel for scheme " << s
         << " yet (kernels exist for MX schemes with f8E4M3FN, f8E5M2, "
            "f4E2M1FN, f6E2M3FN or f6E3M2FN codes, f8E8M0FNU scales, K block "
            "32)";
    }
    return false;
  }
  return true;
}

FailureOr<SmallVector<qc::QMatMulOp>>
quantc::lowerQMatMulsToKernels(ModuleOp graph, ModuleOp kernels,
                               KernelTarget t) {
  SmallVector<qc::QMatMulOp> ops;
  graph.walk([&](qc::QMatMulOp op) { ops.push_back(op); });
  // Every MXFP8 GEMM shares one kernel: M, N and K are its parameters.
  for (qc::QMatMulOp op : ops) {
    std::string reason;
    if (!isKernelSupported(op, &reason))
      return op.emitError(reason);
  }
  if (!ops.empty() && failed(buildGpuKernels(planGemmKernels(graph), kernels, t)))
    return failure();
  return ops;
}
