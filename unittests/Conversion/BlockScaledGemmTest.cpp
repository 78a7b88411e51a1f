//===- BlockScaledGemmTest.cpp - the mma.sync block-scaled GEMM family ----===//
//
// ptxas accepts an MMA whatever scale bytes feed it, so what decides the
// numerics is checked on the IR: the MMA's kind, shape, scale vector and
// format per BlockScaledGemm, and how many operand and scale bytes one K
// slice loads (16 + 8 operand bytes, 1/2/4 scale bytes per operand).
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Target/PTX/PTXEmitter.h"
#include "KernelBuildTest.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

using namespace quantc;

namespace {

using BlockScaledGemmBuild = KernelBuildTest;

TEST(BlockScaledGemm, NamesBlocksAndTargets) {
  EXPECT_EQ(getBlockScaledGemmName(BlockScaledGemm::MXFP8), "mxfp8");
  EXPECT_EQ(getBlockScaledGemmName(BlockScaledGemm::MXFP4), "mxfp4");
  EXPECT_EQ(getBlockScaledGemmName(BlockScaledGemm::NVFP4), "nvfp4");
  EXPECT_EQ(getBlockScaledGemmScaleBlock(BlockScaledGemm::MXFP8), 32u);
  EXPECT_EQ(getBlockScaledGemmScaleBlock(BlockScaledGemm::MXFP4), 32u);
  EXPECT_EQ(getBlockScaledGemmScaleBlock(BlockScaledGemm::NVFP4), 16u);
  for (KernelTarget t : {KernelTarget::SM89, KernelTarget::SM90,
                         KernelTarget::SM90a, KernelTarget::SM120a}) {
    bool fp4 = t == KernelTarget::SM120a;
    EXPECT_TRUE(isBlockScaledGemmSupported(t, BlockScaledGemm::MXFP8));
    EXPECT_EQ(isBlockScaledGemmSupported(t, BlockScaledGemm::MXFP4), fp4);
    EXPECT_EQ(isBlockScaledGemmSupported(t, BlockScaledGemm::NVFP4), fp4);
  }
}

TEST_F(BlockScaledGemmBuild, EachKindHasItsMMAAndScaleBytes) {
  struct Case {
    BlockScaledGemm kind;
    int64_t k;
    mlir::NVVM::ScaleVecSize vec;
    mlir::NVVM::BlockScaleFormat format;
    mlir::NVVM::MMABlockScaleKind mmaKind;
    mlir::NVVM::MMATypes elem;
    int scaleBytes; // per operand per 32-byte K slice
  } cases[] = {
      {BlockScaledGemm::MXFP8, 32, mlir::NVVM::ScaleVecSize::X1,
       mlir::NVVM::BlockScaleFormat::UE8M0,
       mlir::NVVM::MMABlockScaleKind::MXF8F6F4, mlir::NVVM::MMATypes::e4m3, 1},
      {BlockScaledGemm::MXFP4, 64, mlir::NVVM::ScaleVecSize::X2,
       mlir::NVVM::BlockScaleFormat::UE8M0, mlir::NVVM::MMABlockScaleKind::MXF4,
       mlir::NVVM::MMATypes::e2m1, 2},
      {BlockScaledGemm::NVFP4, 64, mlir::NVVM::ScaleVecSize::X4,
       mlir::NVVM::BlockScaleFormat::UE4M3,
       mlir::NVVM::MMABlockScaleKind::MXF4NVF4, mlir::NVVM::MMATypes::e2m1, 4},
  };
  for (const Case &c : cases) {
    std::string name = (getBlockScaledGemmName(c.kind) + "_gemm").str();
    auto f = buildBlockScaledGemmKernel(*top, name, KernelTarget::SM120a,
                                        c.kind);
    ASSERT_TRUE(mlir::succeeded(f)) << name;
    int mmas = 0;
    f->walk([&](mlir::NVVM::MmaBlockScaleOp mma) {
      ++mmas;
      EXPECT_EQ(mma.getShape().getK(), c.k) << name;
      EXPECT_EQ(mma.getShape().getM(), 16) << name;
      EXPECT_EQ(mma.getShape().getN(), 8) << name;
      EXPECT_EQ(mma.getScaleVecSize(), c.vec) << name;
      EXPECT_EQ(mma.getBlockScaleFormat(), c.format) << name;
      EXPECT_EQ(mma.getKind(), c.mmaKind) << name;
      EXPECT_EQ(mma.getMultiplicandAPtxType(), c.elem) << name;
    });
    EXPECT_EQ(mmas, 1) << name;
    // Byte loads inside the K loop: A 4 registers x 4 bytes, B 2 x 4, and
    // each operand's scales.
    int loads = 0;
    f->walk([&](mlir::scf::ForOp loop) {
      loop.walk([&](mlir::LLVM::LoadOp) { ++loads; });
    });
    EXPECT_EQ(loads, 16 + 8 + 2 * c.scaleBytes) << name;
  }
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*top)));
  mlir::FailureOr<std::string> ptx = emitPTX(*top, KernelTarget::SM120a);
  ASSERT_TRUE(mlir::succeeded(ptx));
  EXPECT_NE(ptx->find("kind::mxf4nvf4.block_scale.scale_vec::4X.f32.e2m1."
                      "e2m1.f32.ue4m3"),
            std::string::npos);
}

TEST_F(BlockScaledGemmBuild, FP4IsRefusedWithoutFP4TensorCores) {
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    message = d.str();
    return mlir::success();
  });
  EXPECT_TRUE(mlir::failed(buildBlockScaledGemmKernel(
      *top, "g", KernelTarget::SM89, BlockScaledGemm::NVFP4)));
  EXPECT_NE(message.find("the nvfp4 GEMM needs the FP4 block-scaled mma.sync "
                         "of sm_120a; sm_89 has no FP4"),
            std::string::npos)
      << message;
  // Nothing was created for the refused kernel.
  EXPECT_TRUE(top->getBody()->empty());
}

} // namespace
