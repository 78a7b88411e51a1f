//===- HopperGemmTest.cpp - the sm_90a GEMM's descriptors and checks -----===//
//
// ptxas and the SASS cannot see a wrong bit in a wgmma descriptor (a wrong
// field assembles fine and computes garbage), so the fields are checked by
// decoding them, and the kernel is checked to use exactly those bits.
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToGPU/HopperGemm.h"
#include "quantc/Target/PTX/PTXEmitter.h"
#include "KernelBuildTest.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

using namespace quantc;

namespace {

std::string errorText(llvm::Error e) {
  return e ? llvm::toString(std::move(e)) : std::string();
}

TEST(WgmmaDescriptor, FieldsSitWhereThePTXISAPutsThem) {
  // Each field alone, at a value that sets a distinctive bit pattern.
  EXPECT_EQ(encodeWgmmaDescriptor({0x10, 0, 0, 0, 0}), 0x1u);
  EXPECT_EQ(encodeWgmmaDescriptor({0, 0x10, 0, 0, 0}), 1ull << 16);
  EXPECT_EQ(encodeWgmmaDescriptor({0, 0, 0x10, 0, 0}), 1ull << 32);
  EXPECT_EQ(encodeWgmmaDescriptor({0, 0, 0, 1, 0}), 1ull << 49);
  EXPECT_EQ(encodeWgmmaDescriptor({0, 0, 0, 0, 1}), 1ull << 62);
  EXPECT_EQ(encodeWgmmaDescriptor({0, 0, 0, 0, 3}), 3ull << 62);
  // The start address is taken modulo 256 KiB (14 bits of 16-byte units).
  EXPECT_EQ(encodeWgmmaDescriptor({0x3FFF0, 0, 0, 0, 0}), 0x3FFFu);
  EXPECT_EQ(encodeWgmmaDescriptor({0x40010, 0, 0, 0, 0}), 0x1u);
}

TEST(WgmmaDescriptor, TileDescriptorIs128ByteSwizzledKMajor) {
  uint64_t d = getHopperTileDescriptor(0x1400);
  WgmmaDescriptor f = decodeWgmmaDescriptor(d);
  EXPECT_EQ(f.startAddress, 0x1400u);
  EXPECT_EQ(f.leadingByteOffset, 16u);
  EXPECT_EQ(f.strideByteOffset, 1024u); // 8 rows x 128 bytes
  EXPECT_EQ(f.baseOffset, 0u);
  EXPECT_EQ(f.swizzle, 1u); // 128-byte swizzle
  // The kernel ORs the address into the constant high part and steps K by
  // adding 2 (32 bytes) to the low field: both must agree with encode.
  EXPECT_EQ(getHopperTileDescriptor(0) | (0x1400 >> 4), d);
  EXPECT_EQ(getHopperTileDescriptor(0x1400) + 2,
            getHopperTileDescriptor(0x1400 + 32));
  // The value the reference recipe used: 1<<62 | 64<<32 | 1<<16.
  EXPECT_EQ(getHopperTileDescriptor(0),
            (1ull << 62) | (64ull << 32) | (1ull << 16));
}

TEST(WgmmaDescriptor, RoundTrips) {
  for (uint32_t addr : {0u, 16u, 1024u, 8192u, 196608u, 262128u})
    for (uint32_t sw : {0u, 1u, 2u, 3u}) {
      WgmmaDescriptor in{addr, 4096, 1024, 5, sw};
      WgmmaDescriptor out = decodeWgmmaDescriptor(encodeWgmmaDescriptor(in));
      EXPECT_EQ(out.startAddress, addr);
      EXPECT_EQ(out.leadingByteOffset, 4096u);
      EXPECT_EQ(out.strideByteOffset, 1024u);
      EXPECT_EQ(out.baseOffset, 5u);
      EXPECT_EQ(out.swizzle, sw);
    }
}

bool contains(const std::string &s, const char *what) {
  return s.find(what) != std::string::npos;
}

TEST(HopperGemm, ConfigChecks) {
  EXPECT_EQ(errorText(verifyHopperGemmConfig({})), "");
  HopperGemmConfig c;
  c.stages = 1;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "stages = 1"));
  c.stages = 8;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "227 KiB"));
  c.stages = 7;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  EXPECT_LE(getHopperGemmSharedBytes(c), 232448u);
  c.consumerRegs = 236;
  EXPECT_TRUE(
      contains(errorText(verifyHopperGemmConfig(c)), "consumerRegs = 236"));
  // 32 + 2 * 240 = 512 registers per thread-triple fit 65536, but the
  // producer releases 128 * 136 and the consumers need 256 * 72: a hang.
  c.consumerRegs = 240;
  c.producerRegs = 32;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "wait forever"));
  // A "decrease" above the launch share, an "increase" below it.
  c.producerRegs = 176;
  c.consumerRegs = 232;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "only give up"));
  c.producerRegs = 40;
  c.consumerRegs = 160;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "only take"));
}

TEST(HopperGemm, TileNChecks) {
  HopperGemmConfig c;
  c.tileN = 96;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "64, 128 or 256"));
  c.tileN = 256; // 1x128 is the default scale mode
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "use 64 or 128"));
  c.scales = HopperScaleMode::PerTensor;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "2..4"));
  c.stages = 4;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  EXPECT_EQ(getHopperGemmSharedBytes(c), 4u * (16384 + 32768) + 4 * 16);
  c.tileN = 64;
  c.stages = 9; // 9 x 24 KiB fit 227 KiB
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  LaunchConfig l = getHopperGemmLaunchConfig(c, 300, 1000);
  EXPECT_EQ(l.gridX, 16u); // ceil(1000 / 64)
  EXPECT_EQ(l.sharedBytes, 9u * (16384 + 8192) + 9 * 16);
}

TEST(HopperGemm, OutputChecks) {
  for (HopperOutput o :
       {HopperOutput::F32, HopperOutput::BF16, HopperOutput::FP8Block1x128})
    EXPECT_EQ(parseHopperOutput(getHopperOutputName(o)), o);
  EXPECT_FALSE(parseHopperOutput("fp16").has_value());
  HopperGemmConfig c;
  c.output = HopperOutput::FP8Block1x128;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), ""); // tileN 128
  c.tileN = 64;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "span two CTAs"));
  c.tileN = 256;
  c.scales = HopperScaleMode::PerTensor;
  c.stages = 4;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
}

// The decode, persistent and split-K options and the combinations the
// kernel does not take.
TEST(HopperGemm, DecodeAndSchedulingChecks) {
  HopperGemmConfig c;
  c.tileN = 16;
  c.swapAB = true;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  c.tileN = 48;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)),
                       "expected 16, 32, 64, 128 or 256"));
  // The swapped kernel's fp8-1x128 groups are its tile's 128 weight rows:
  // any token width takes them (not so without swapAB: 128 or 256).
  c.tileN = 16;
  c.output = HopperOutput::FP8Block1x128;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  c.swapAB = false;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)),
                       "with fp8-1x128 output: a 1x128 group"));
  c = HopperGemmConfig();
  c.splitK = 0;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)), "1 .. 64"));
  c.splitK = 4;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  c.persistent = true;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)),
                       "splitK with persistent CTAs"));
  c.persistent = false;
  c.output = HopperOutput::FP8Block1x128;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)),
                       "splitK with fp8-1x128 output"));
  // Weight scales per row: only with 1x128 scales.
  c = HopperGemmConfig();
  c.weightScalesPerRow = true;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  c.scales = HopperScaleMode::PerTensor;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)),
                       "weightScalesPerRow with per-tensor scales"));
  c = HopperGemmConfig();
  c.activationScalePerTensor = true;
  EXPECT_TRUE(contains(errorText(verifyHopperGemmConfig(c)),
                       "activationScalePerTensor with 1x128 scales"));
  c.scales = HopperScaleMode::PerTokenPerChannel;
  EXPECT_EQ(errorText(verifyHopperGemmConfig(c)), "");
  // Launch shapes: swapped grid, persistent grid, split-K's z.
  c = HopperGemmConfig();
  c.swapAB = true;
  c.tileN = 16;
  LaunchConfig lc = getHopperGemmLaunchConfig(c, 20, 300);
  EXPECT_EQ(lc.gridX, 2u);
  EXPECT_EQ(lc.gridY, 3u);
  c.splitK = 5;
  EXPECT_EQ(getHopperGemmLaunchConfig(c, 20, 300).gridZ, 5u);
  c = HopperGemmConfig();
  c.persistent = true;
  lc = getHopperGemmLaunchConfig(c, 1000, 1000, 10);
  EXPECT_EQ(lc.gridX, 10u); // 8 x 8 tiles on 10 SMs
  EXPECT_EQ(lc.gridY, 1u);
  EXPECT_EQ(getHopperGemmLaunchConfig(c, 100, 100, 10).gridX, 1u);
  // Grid rows: the swapped kernel's are N's tiles.
  EXPECT_TRUE(contains(errorText(checkHopperGemmShape(16, int64_t(65536) * 128,
                                                      16, true)),
                       "N = "));
}

TEST(HopperGemm, TileHeuristic) {
  using M = HopperScaleMode;
  // DeepSeek-V3 4096 x 7168: 32 x 56 tiles of 128 fill 132 SMs 13 times.
  HopperGemmConfig c = chooseHopperGemmConfig(4096, 7168, 16384, M::Block1x128);
  EXPECT_EQ(c.tileN, 128u);
  EXPECT_EQ(c.stages, 7u); // 7 x 32 KiB
  EXPECT_TRUE(c.persistent); // 1792 tiles on 132 SMs
  EXPECT_EQ(getHopperGemmLaunchConfig(c, 4096, 7168).gridX, 132u);
  // Per-tensor may take 256 columns: 32 x 28 tiles still >= 2 waves.
  c = chooseHopperGemmConfig(4096, 7168, 16384, M::PerTensor);
  EXPECT_EQ(c.tileN, 256u);
  EXPECT_EQ(c.stages, 4u);
  // Decode (M <= 64): weights on the 128-row side, 16 tokens on tileN.
  c = chooseHopperGemmConfig(16, 7168, 16384, M::Block1x128);
  EXPECT_TRUE(c.swapAB);
  EXPECT_FALSE(c.persistent); // 56 tiles: under one wave
  EXPECT_EQ(c.splitK, 2u);     // 112 CTAs of 64 K blocks each
  HopperGemmConfig d = chooseHopperGemmConfig(16, 2112, 7168, M::Block1x128);
  EXPECT_EQ(d.splitK, 7u); // 17 tiles; 132 / 17 = 7, 56 / 4 = 14
  EXPECT_EQ(getHopperGemmLaunchConfig(d, 16, 2112).gridZ, 7u);
  EXPECT_EQ(c.tileN, 16u);
  EXPECT_EQ(c.stages, 8u);
  c = chooseHopperGemmConfig(16, 7168, 256, M::PerTensor);
  EXPECT_EQ(c.splitK, 1u); // 2 K blocks: nothing to split
  c = chooseHopperGemmConfig(64, 7168, 2048, M::PerTensor);
  EXPECT_TRUE(c.swapAB);
  EXPECT_EQ(c.tileN, 64u);
  // 1 x 56 tiles of 128 x 128 at M = 128 leave SMs idle: 64 columns.
  c = chooseHopperGemmConfig(128, 7168, 16384, M::Block1x128);
  EXPECT_FALSE(c.swapAB);
  EXPECT_EQ(c.tileN, 64u);
  // K = 256: two K blocks, two stages.
  c = chooseHopperGemmConfig(4096, 4096, 256, M::PerTokenPerChannel);
  EXPECT_EQ(c.stages, 2u);
  // Every choice passes the config check.
  for (int64_t m : {1, 16, 300, 4096})
    for (int64_t n : {8, 64, 1000, 7168, 32768})
      for (M s : {M::PerTensor, M::PerTokenPerChannel, M::Block1x128})
        EXPECT_EQ(errorText(verifyHopperGemmConfig(
                      chooseHopperGemmConfig(m, n, 4096, s))),
                  "")
            << m << "x" << n;
}

TEST(HopperGemm, ShapeChecks) {
  EXPECT_EQ(errorText(checkHopperGemmShape(1, 1, 16)), "");
  EXPECT_EQ(errorText(checkHopperGemmShape(4096, 7168, 16384)), "");
  EXPECT_TRUE(contains(errorText(checkHopperGemmShape(8, 8, 24)),
                       "K = 24 is not a multiple of 16"));
  EXPECT_TRUE(contains(errorText(checkHopperGemmShape(0, 8, 16)), "M = 0"));
  EXPECT_TRUE(
      contains(errorText(checkHopperGemmShape(8, 1ll << 31, 16)), "N = "));
  EXPECT_TRUE(contains(errorText(checkHopperGemmShape(128ll * 65536, 8, 16)),
                       "65535 row tiles"));
}

TEST(HopperGemm, LaunchConfig) {
  LaunchConfig l = getHopperGemmLaunchConfig({}, 300, 1000);
  EXPECT_EQ(l.gridX, 8u); // ceil(1000 / 128) column tiles
  EXPECT_EQ(l.gridY, 3u); // ceil(300 / 128) row tiles
  EXPECT_EQ(l.gridZ, 1u);
  EXPECT_EQ(l.blockX, 384u);
  EXPECT_EQ(l.blockY, 1u);
  EXPECT_EQ(l.sharedBytes, 6u * 32768 + 6 * 16);
}

using HopperGemmBuild = KernelBuildTest;

TEST_F(HopperGemmBuild, KernelVerifiesAndUsesTheTestedDescriptor) {
  auto f = buildHopperFP8GemmKernel(*top, "g");
  ASSERT_TRUE(mlir::succeeded(f));
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*top)));
  // The descriptor's constant high part is the one tested above.
  bool found = false;
  int64_t want = static_cast<int64_t>(getHopperTileDescriptor(0));
  f->walk([&](mlir::arith::ConstantIntOp c) {
    found |= c.value() == want;
  });
  EXPECT_TRUE(found);
  int wgmma = 0, tma = 0;
  f->walk([&](mlir::NVVM::WgmmaMmaAsyncOp) { ++wgmma; });
  f->walk([&](mlir::NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp) { ++tma; });
  EXPECT_EQ(wgmma, 4); // four k32 steps per 128-wide K block
  EXPECT_EQ(tma, 2);   // A and B tiles per stage
  // The same name twice is refused; a bad config is refused.
  EXPECT_TRUE(mlir::failed(buildHopperFP8GemmKernel(*top, "g")));
  HopperGemmConfig bad;
  bad.stages = 0;
  EXPECT_TRUE(mlir::failed(buildHopperFP8GemmKernel(*top, "h", bad)));
}

TEST_F(HopperGemmBuild, EveryScaleModeBuildsAndVerifies) {
  for (const char *name : {"per-tensor", "per-channel", "1x128"}) {
    std::optional<HopperScaleMode> m = numerics::parseFP8GemmScales(name);
    ASSERT_TRUE(m.has_value()) << name;
    EXPECT_EQ(numerics::getFP8GemmScalesName(*m), name);
    HopperGemmConfig cfg;
    cfg.scales = *m;
    std::string fn = std::string("g_") + name;
    auto f = buildHopperFP8GemmKernel(*top, fn, cfg);
    ASSERT_TRUE(mlir::succeeded(f)) << name;
    // Promotion (one fma per accumulator per K block) only for 1x128.
    int fmas = 0;
    f->walk([&](mlir::LLVM::FMAOp) { ++fmas; });
    EXPECT_EQ(fmas, *m == HopperScaleMode::Block1x128 ? 64 : 0) << name;
  }
  EXPECT_FALSE(numerics::parseFP8GemmScales("1x32").has_value());
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*top)));
}

TEST_F(HopperGemmBuild, FP8OutputTakesItsScalesBeforeTheEpiloguePointers) {
  // A fused epilogue that adds extra[0][col]: with FP8 output it must get
  // the pointer after CS, not CS.
  mlir::Value seen;
  GemmEpilogue epi;
  epi.extraPtrs = 1;
  epi.apply = [&](mlir::OpBuilder &, mlir::Value acc, mlir::Value,
                  mlir::Value, mlir::Value, mlir::ValueRange extra,
                  mlir::Block *) -> mlir::FailureOr<mlir::Value> {
    seen = extra.front();
    return acc;
  };
  HopperGemmConfig cfg;
  cfg.output = HopperOutput::FP8Block1x128;
  auto f = buildHopperFP8GemmKernel(*top, "q", cfg, &epi);
  ASSERT_TRUE(mlir::succeeded(f));
  // (tmA, tmB, SA, SB, C, CS, bias, M, N, K)
  ASSERT_EQ(f->getNumArguments(), 10u);
  EXPECT_EQ(seen, f->getArgument(6));
  int cvts = 0, shuffles = 0;
  f->walk([&](mlir::NVVM::ConvertF32x2ToF8x2Op) { ++cvts; });
  f->walk([&](mlir::NVVM::ShflOp) { ++shuffles; });
  EXPECT_EQ(cvts, 32);    // 64 accumulators, two per conversion
  EXPECT_EQ(shuffles, 4); // 2 row halves x 1 group x 2 butterflies
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*top)));
}

TEST_F(HopperGemmBuild, LowersToPTXForSm90a) {
  ASSERT_TRUE(mlir::succeeded(buildHopperFP8GemmKernel(*top, "g")));
  mlir::FailureOr<std::string> ptx = emitPTX(*top, KernelTarget::SM90a);
  ASSERT_TRUE(mlir::succeeded(ptx));
  EXPECT_TRUE(contains(*ptx, ".target sm_90a"));
  EXPECT_TRUE(contains(*ptx, "wgmma.mma_async.sync.aligned.m64n128k32.f32."
                             "e4m3.e4m3"));
}

} // namespace
