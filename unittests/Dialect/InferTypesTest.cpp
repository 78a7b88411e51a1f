//===- InferTypesTest.cpp - result types the qc ops infer -----------------===//
//
// Builds qc ops with their inferring builders (no result type given) and
// checks the type each one infers; an invalid op fails inference with the
// dialect's message at the op's location.
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace quantc;

namespace {

class InferTypes : public ::testing::Test {
protected:
  InferTypes() : b(&ctx) {
    ctx.loadDialect<qc::QCDialect, func::FuncDialect>();
    module = ModuleOp::create(b.getUnknownLoc());
    b.setInsertionPointToStart(module->getBody());
  }

  /// A value of type tensor<shape x elem> (a block argument of a function).
  Value arg(ArrayRef<int64_t> shape, Type elem = {}) {
    auto type = RankedTensorType::get(shape, elem ? elem : b.getF32Type());
    auto fn = func::FuncOp::create(b, b.getUnknownLoc(),
                                   "f" + std::to_string(nextFn++),
                                   b.getFunctionType({type}, {}));
    return fn.addEntryBlock()->getArgument(0);
  }
  std::string typeOf(Value v) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << v.getType();
    return s;
  }
  /// Runs OpTy's inference on an op state and returns its error message
  /// ("" when inference succeeds).
  template <typename OpTy, typename... Args>
  std::string inferError(Args &&...args) {
    OperationState st(b.getUnknownLoc(), OpTy::getOperationName());
    OpTy::build(b, st, TypeRange(Type(b.getNoneType())),
                std::forward<Args>(args)...);
    std::string message;
    ScopedDiagnosticHandler capture(&ctx, [&](Diagnostic &d) {
      message = d.str();
      return success();
    });
    SmallVector<Type> types;
    if (succeeded(OpTy::inferReturnTypes(
            &ctx, st.location, st.operands, st.attributes.getDictionary(&ctx),
            st.getRawProperties(), st.regions, types)))
      return "";
    return message;
  }

  MLIRContext ctx;
  OpBuilder b;
  OwningOpRef<ModuleOp> module;
  int nextFn = 0;
};

constexpr int64_t kDyn = ShapedType::kDynamic;

TEST_F(InferTypes, MatMulBroadcastsBatchDims) {
  Location l = b.getUnknownLoc();
  auto mm = qc::MatMulOp::create(b, l, arg({2, 1, 3, 4}), arg({5, 4, 6}));
  EXPECT_EQ(typeOf(mm), "tensor<2x5x3x6xf32>");
  auto dyn = qc::MatMulOp::create(b, l, arg({kDyn, 3, 4}), arg({4, kDyn}));
  EXPECT_EQ(typeOf(dyn), "tensor<?x3x?xf32>");
  EXPECT_EQ(inferError<qc::MatMulOp>(arg({3, 4}), arg({5, 2})),
            "inner dimensions differ: 3x4 and 5x2 (4 vs 5)");
  EXPECT_EQ(inferError<qc::MatMulOp>(arg({2, 3, 4}), arg({3, 4, 2})),
            "batch dimensions do not broadcast: 2x3x4 and 3x4x2");
}

TEST_F(InferTypes, TransposePermutesDims) {
  Location l = b.getUnknownLoc();
  auto t = qc::TransposeOp::create(b, l, arg({2, kDyn, 4}),
                                   ArrayRef<int64_t>{2, 0, 1});
  EXPECT_EQ(typeOf(t), "tensor<4x2x?xf32>");
  EXPECT_EQ(inferError<qc::TransposeOp>(arg({2, 3}), ArrayRef<int64_t>{0}),
            "perm [0] is not a permutation of 0..1");
}

TEST_F(InferTypes, ShapeOps) {
  Location l = b.getUnknownLoc();
  Type i64 = b.getI64Type();
  Value x = arg({4, 6, kDyn});
  EXPECT_EQ(typeOf(qc::GatherOp::create(b, l, x, arg({2, 3}, i64), 1)),
            "tensor<4x2x3x?xf32>");
  EXPECT_EQ(typeOf(qc::GatherElementsOp::create(b, l, x, arg({4, 1, 2}, i64),
                                                2)),
            "tensor<4x1x2xf32>");
  EXPECT_EQ(typeOf(qc::ConcatOp::create(b, l, ValueRange{x, arg({4, 2, 5})},
                                        1)),
            "tensor<4x8x5xf32>");
  EXPECT_EQ(typeOf(qc::SliceOp::create(b, l, x, ArrayRef<int64_t>{-1, 1},
                                       ArrayRef<int64_t>{-100, 6},
                                       ArrayRef<int64_t>{0, 1},
                                       ArrayRef<int64_t>{-2, 2})),
            "tensor<2x3x?xf32>");
  Value ones = arg({1, 3, 1});
  EXPECT_EQ(typeOf(qc::SqueezeOp::create(b, l, ones, ArrayRef<int64_t>{0, 2})),
            "tensor<3xf32>");
  EXPECT_EQ(typeOf(qc::UnsqueezeOp::create(b, l, ones,
                                           ArrayRef<int64_t>{0, 4})),
            "tensor<1x1x3x1x1xf32>");
  EXPECT_EQ(typeOf(qc::FlattenOp::create(b, l, x, 1)), "tensor<4x?xf32>");
  EXPECT_EQ(typeOf(qc::FlattenOp::create(b, l, x, 2)), "tensor<24x?xf32>");
  EXPECT_EQ(typeOf(qc::ShapeOp::create(b, l, x, 1, 3)), "tensor<2xi64>");

  EXPECT_EQ(inferError<qc::GatherOp>(x, arg({2}, i64), 3),
            "axis 3 is out of range [0, 3)");
  EXPECT_EQ(inferError<qc::ConcatOp>(ValueRange{x, arg({3, 2, 5})}, 1),
            "input 1 has size 3 in dimension 0, expected 4");
  EXPECT_EQ(inferError<qc::SqueezeOp>(ones, ArrayRef<int64_t>{1}),
            "dimension 1 has size 3, not 1");
  EXPECT_EQ(inferError<qc::ShapeOp>(x, 2, 4),
            "start 2 and end 4 must satisfy 0 <= start <= end <= 3");
}

} // namespace
