// Every op family, for the generated dialect reference (docs/Dialect.md).
include "quantc/Dialect/QC/IR/QCOps.td"
include "quantc/Dialect/QC/IR/QCQuantOps.td"
include "quantc/Dialect/QC/IR/QCMathOps.td"
include "quantc/Dialect/QC/IR/QCShapeOps.td"
include "quantc/Dialect/QC/IR/QCNNOps.td"
