//===- ExportCoverageTest.cpp - every qc op is exported or has a reason ---===//
//
// Walks every operation the qc dialect registers: each must be mapped by the
// ONNX exporter or listed with the reason it is not, so a new op cannot be
// added without deciding its export. python/tests/test_export_ops.py checks
// each mapping numerically against the Executor through ONNX Runtime.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Export/Onnx/OnnxExporter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

#include <gtest/gtest.h>

using namespace mlir;

TEST(ExportCoverage, EveryRegisteredQCOpIsExportedOrHasAReason) {
  MLIRContext ctx;
  ctx.getOrLoadDialect<quantc::qc::QCDialect>();
  unsigned ops = 0, exported = 0;
  std::string missing;
  for (RegisteredOperationName n : ctx.getRegisteredOperations()) {
    if (n.getDialectNamespace() != "qc")
      continue;
    ++ops;
    std::optional<llvm::StringRef> gap =
        quantc::onnxExportGap(n.getStringRef());
    if (!gap)
      missing += " " + n.getStringRef().str();
    else if (gap->empty())
      ++exported;
  }
  EXPECT_TRUE(missing.empty()) << "qc ops neither exported nor listed with a "
                                  "reason in OnnxExporter.cpp:"
                               << missing;
  // The dialect has well over 100 ops; a count near zero means the walk saw
  // nothing (e.g. the dialect failed to load) and proves nothing.
  EXPECT_GT(ops, 100u);
  EXPECT_EQ(exported + 1, ops) << "only qc.weight is listed as unexported";
}

TEST(ExportCoverage, UnknownNamesAreGaps) {
  EXPECT_FALSE(quantc::onnxExportGap("qc.no_such_op").has_value());
  EXPECT_EQ(quantc::onnxExportGap("qc.add"), llvm::StringRef());
  ASSERT_TRUE(quantc::onnxExportGap("qc.weight").has_value());
  EXPECT_FALSE(quantc::onnxExportGap("qc.weight")->empty());
}
