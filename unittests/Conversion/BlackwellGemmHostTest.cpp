//===- BlackwellGemmHostTest.cpp - the sm_100a tcgen05 GEMM on the host ---===//
//
// No sm_100 GPU has run the tcgen05 MXFP8 GEMM (BlackwellGemm). Its kernel
// IR runs here on the CPU (HostKernels: the block's threads as coroutines,
// TMA copied with the 128-byte swizzle, tensor memory allocated, written,
// read and checked per warp quadrant, tcgen05.mma read through its
// shared-memory and instruction descriptors with the scales taken from
// tensor memory), so its ring of stages, barrier phases, descriptors,
// scale placement, masked tails and deallocation are checked against the
// MXFP8 product of the dequantized operands. What the emulation takes from
// the PTX ISA (the scale-factor layout in tensor memory above all) is
// docs/Kernels.md's "What the host cannot check".
//
//===----------------------------------------------------------------------===//

#include "KernelBuildTest.h"

#include "quantc/Conversion/QCToGPU/BlackwellGemm.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Numerics/Linear.h"
#include "quantc/Target/Host/HostKernels.h"

#include "mlir/Parser/Parser.h"

#include <cmath>
#include <random>
#include <vector>

using namespace quantc;
namespace nx = quantc::numerics;

namespace {

TEST(BlackwellGemm, DescriptorsFollowThePTXISA) {
  // M = 128 (bits 27-28: 1), N = 128 (bits 17-22: 16), UE8M0 (bit 23),
  // e4m3 x e4m3 (0), K-major (0); scale-factor IDs in bits 4-5 and 29-30.
  EXPECT_EQ(getBlackwellInstrDescriptor(BlockScaledGemm::MXFP8, 128, 0),
            0x08A00000u);
  EXPECT_EQ(getBlackwellInstrDescriptor(BlockScaledGemm::MXFP8, 256, 3),
            (3u << 29) | (1u << 27) | (1u << 23) | (32u << 17) | (3u << 4));
  EXPECT_EQ(
      getBlackwellInstrDescriptor(BlockScaledGemm::MXFP8, 32, 1) >> 17 & 0x3F,
      4u);
  // The FP4 kinds: E2M1 (1) for A and B; NVFP4's UE4M3 scales (bit 23 0).
  EXPECT_EQ(getBlackwellInstrDescriptor(BlockScaledGemm::MXFP4, 128, 2),
            0x08A00000u | (1u << 7) | (1u << 10) | (2u << 29) | (2u << 4));
  EXPECT_EQ(getBlackwellInstrDescriptor(BlockScaledGemm::NVFP4, 128, 0),
            0x08200000u | (1u << 7) | (1u << 10));
  // Start address >> 4, LBO 16 >> 4, SBO 1024 >> 4, version 0b001 at bit
  // 46, swizzle 2 (128 bytes) at 61.
  EXPECT_EQ(getBlackwellTileDescriptor(0x2400),
            0x4000404000010000ull | (0x2400 >> 4));
}

TEST(BlackwellGemm, ConfigAndShapeErrorsNameTheirCause) {
  auto msg = [](llvm::Error e) { return llvm::toString(std::move(e)); };
  BlackwellGemmConfig c;
  EXPECT_FALSE(verifyBlackwellGemmConfig(c));
  c.tileN = 48;
  EXPECT_NE(msg(verifyBlackwellGemmConfig(c)).find("32, 64, 128 or 256"),
            std::string::npos);
  c.tileN = 256;
  c.stages = 5; // 5 x 48 KiB
  EXPECT_NE(msg(verifyBlackwellGemmConfig(c)).find("shared memory"),
            std::string::npos);
  c.stages = 1;
  EXPECT_NE(msg(verifyBlackwellGemmConfig(c)).find("at least 2"),
            std::string::npos);
  // Three 64 KiB CTAs fit an SM's shared memory, not 3 x 256 columns of
  // tensor memory.
  c.tileN = 128;
  c.stages = 2;
  EXPECT_NE(msg(verifyBlackwellGemmConfig(c))
                .find("3 CTAs fit an SM's shared memory but not its tensor "
                      "memory (3 x 256 columns > 512)"),
            std::string::npos);
  EXPECT_NE(msg(checkBlackwellGemmShape(64, 64, 24)).find("multiple of 16"),
            std::string::npos);
  EXPECT_NE(msg(checkBlackwellGemmShape(0, 64, 32)).find("M = 0"),
            std::string::npos);
  EXPECT_FALSE(checkBlackwellGemmShape(1, 1, 16));
  // FP4 rows of 16 bytes: K a multiple of 32.
  EXPECT_NE(msg(checkBlackwellGemmShape(8, 8, 48, BlockScaledGemm::NVFP4))
                .find("multiple of 32"),
            std::string::npos);
  // Tensor memory: accumulator + 4 stages x (4 + 4) scale columns = 160,
  // allocated as 256; tileN 256 with 4 stages: 304 -> 512.
  auto cols = [](BlockScaledGemm k, unsigned n, unsigned s) {
    BlackwellGemmConfig c;
    c.kind = k;
    c.tileN = n;
    c.stages = s;
    return getBlackwellGemmTmemColumns(c);
  };
  EXPECT_EQ(cols(BlockScaledGemm::MXFP8, 128, 4), 256u);
  EXPECT_EQ(cols(BlockScaledGemm::MXFP8, 256, 4), 512u);
  EXPECT_EQ(cols(BlockScaledGemm::MXFP8, 32, 2), 64u);
  // NVFP4: four scale words per stage (16 scales of 16 per 256 elements).
  EXPECT_EQ(cols(BlockScaledGemm::NVFP4, 128, 4), 256u);
  c = BlackwellGemmConfig();
  c.kind = BlockScaledGemm::NVFP4;
  c.tileN = 256;
  c.stages = 4; // 256 + 4 x 4 x 12 = 448 columns
  EXPECT_FALSE(verifyBlackwellGemmConfig(c));
  c.tileN = 128;
  c.stages = 7; // 128 + 7 x 4 x 8 = 352 columns, 7 x 32 KiB
  EXPECT_FALSE(verifyBlackwellGemmConfig(c));
}

class BlackwellGemmHost : public KernelBuildTest {};

/// One operand of a block-scaled GEMM: codes as the kernel reads them
/// (FP4 packed two per byte per row), scale bytes [rows, ceil(K/bs)] and
/// the dequantized values (NVFP4 without its tensor scale, which the
/// kernel leaves to the caller).
struct Operand {
  std::vector<uint8_t> codes, scales;
  std::vector<float> values;
};
Operand quantizeOperand(BlockScaledGemm kind, const std::vector<float> &x,
                        int64_t rows, int64_t K) {
  Operand o;
  int64_t bs = kind == BlockScaledGemm::NVFP4 ? 16 : 32;
  std::vector<uint8_t> c(rows * K);
  o.scales.resize(rows * ((K + bs - 1) / bs));
  o.values.resize(rows * K);
  if (kind == BlockScaledGemm::NVFP4) {
    float ts;
    EXPECT_FALSE(bool(nx::quantizeNVFP4(x.data(), rows, K, c.data(),
                                        o.scales.data(), ts)));
    nx::dequantizeNVFP4(c.data(), o.scales.data(), 1.0f, rows, K,
                        o.values.data());
  } else {
    nx::ElemFormat f = kind == BlockScaledGemm::MXFP8 ? nx::ElemFormat::E4M3FN
                                                      : nx::ElemFormat::E2M1FN;
    nx::quantizeMX(x.data(), rows, K, 32, f, nx::MXScaleMode::Floor, c.data(),
                   o.scales.data());
    nx::dequantizeMX(c.data(), o.scales.data(), rows, K, 32, f,
                     o.values.data());
  }
  if (kind == BlockScaledGemm::MXFP8) {
    o.codes = std::move(c);
  } else {
    o.codes.resize(rows * (K / 2));
    for (int64_t r = 0; r < rows; ++r)
      nx::pack4(c.data() + r * K, K, o.codes.data() + r * (K / 2));
  }
  return o;
}

// For each kind (MXFP8, MXFP4, NVFP4), on ragged shapes (M, N not multiples
// of the tile, K not of a stage: TMA zero-fills the tails) with K blocks
// wrapping the ring, scales that change along K, every tile width: each
// element of C equals the product of the dequantized operands within the
// f32 rounding of one accumulation per MMA, and nothing past M x N is
// written.
TEST_F(BlackwellGemmHost, MatchesTheBlockScaledProduct) {
  struct Case {
    std::string name;
    BlackwellGemmConfig cfg;
  };
  auto config = [](BlockScaledGemm k, unsigned n, unsigned s) {
    BlackwellGemmConfig c;
    c.kind = k;
    c.tileN = n;
    c.stages = s;
    return c;
  };
  std::vector<Case> cases = {
      {"g128", config(BlockScaledGemm::MXFP8, 128, 3)},
      {"g64", config(BlockScaledGemm::MXFP8, 64, 3)},
      {"g256", config(BlockScaledGemm::MXFP8, 256, 4)},
      {"g32", config(BlockScaledGemm::MXFP8, 32, 7)},
      {"g32s2", config(BlockScaledGemm::MXFP8, 32, 2)},
      {"mx4_128", config(BlockScaledGemm::MXFP4, 128, 3)},
      {"mx4_64", config(BlockScaledGemm::MXFP4, 64, 3)},
      {"nv4_128", config(BlockScaledGemm::NVFP4, 128, 3)},
      {"nv4_256", config(BlockScaledGemm::NVFP4, 256, 3)}};
  for (auto &c : cases)
    ASSERT_TRUE(
        mlir::succeeded(buildBlackwellGemmKernel(*top, c.name, c.cfg)))
        << c.name;
  std::string err;
  auto hk = HostKernels::create(*top, err);
  ASSERT_TRUE(hk) << err;
  std::mt19937 rng(11);
  std::normal_distribution<float> nd;
  for (auto &[name, cfg] : cases) {
    ASSERT_EQ(hk->whyNot(name), "") << name;
    bool fp4 = cfg.kind != BlockScaledGemm::MXFP8;
    for (auto [M, N, K] : {std::array<int64_t, 3>{150, 77, fp4 ? 416 : 400},
                           std::array<int64_t, 3>{5, 3, fp4 ? 32 : 16},
                           std::array<int64_t, 3>{130, 260, 1056}}) {
      SCOPED_TRACE(name + " " + std::to_string(M) + "x" + std::to_string(N) +
                   "x" + std::to_string(K));
      ASSERT_FALSE(checkBlackwellGemmShape(M, N, K, cfg.kind));
      // Magnitudes change every 16 along K, so each MMA's scale bytes
      // differ and a wrong scale-factor ID, byte or column shows.
      std::vector<float> a(M * K), b(N * K);
      for (int64_t i = 0; i < M * K; ++i)
        a[i] = nd(rng) * std::exp2(float((i / 16 * 7 + i / K) % 9) - 4);
      for (int64_t i = 0; i < N * K; ++i)
        b[i] = nd(rng) * std::exp2(float((i / 16 * 5 + i / K) % 7) - 3);
      Operand A = quantizeOperand(cfg.kind, a, M, K),
              B = quantizeOperand(cfg.kind, b, N, K);
      uint64_t rowBytes = fp4 ? K / 2 : K;
      alignas(64) unsigned char mapA[128], mapB[128];
      ASSERT_TRUE(HostKernels::encodeTensorMap(
          mapA, A.codes.data(), 1, {rowBytes, uint64_t(M)}, {rowBytes},
          {128, kBlackwellTileM}, 128, err))
          << err;
      ASSERT_TRUE(HostKernels::encodeTensorMap(
          mapB, B.codes.data(), 1, {rowBytes, uint64_t(N)}, {rowBytes},
          {128, cfg.tileN}, 128, err))
          << err;
      constexpr float kPoison = -12345.0f;
      std::vector<float> C(M * N + 64, kPoison);
      LaunchConfig lc = getBlackwellGemmLaunchConfig(cfg, M, N);
      ASSERT_TRUE(hk->launch(name, {lc.gridX, lc.gridY, lc.gridZ},
                             {lc.blockX, lc.blockY, lc.blockZ},
                             {ptr(mapA), ptr(A.scales.data()), ptr(mapB),
                              ptr(B.scales.data()), ptr(C.data()), i32(M),
                              i32(N), i32(K)},
                             err, lc.sharedBytes))
          << err;
      int bad = 0;
      int64_t mmas = (K + (fp4 ? 63 : 31)) / (fp4 ? 64 : 32);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          double ref = 0, mag = 0;
          for (int64_t k = 0; k < K; ++k) {
            double p = double(A.values[m * K + k]) * B.values[n * K + k];
            ref += p;
            mag += std::fabs(p);
          }
          // One f32 rounding of the accumulator per MMA, each within half
          // an ulp of a partial sum bounded by mag.
          double tol = (double(mmas) + 1) * std::ldexp(mag, -24) + 1e-30;
          if (std::fabs(C[m * N + n] - ref) > tol && bad++ < 5)
            ADD_FAILURE() << "C[" << m << "," << n << "] = " << C[m * N + n]
                          << ", expected " << ref << " (tol " << tol << ")";
        }
      EXPECT_EQ(bad, 0);
      for (int64_t i = M * N; i < M * N + 64; ++i)
        ASSERT_EQ(C[i], kPoison) << "written past M x N at " << i;
    }
  }
}

// What the emulation catches in a kernel that misuses tensor memory, each
// with its cause: memory left allocated at exit, a warp writing outside
// its lane quadrant, columns never allocated, an accumulator read before a
// wait has seen the MMA's commit.
TEST_F(BlackwellGemmHost, TensorMemoryMisuseIsAnError) {
  const char *src = R"mlir(
module attributes {gpu.container_module} {
  gpu.module @k [#nvvm.target<O = 3, chip = "sm_100a", features = "+ptx88">] {
    llvm.mlir.global external @quantc_dsmem() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
    gpu.func @leak(%p: !llvm.ptr) kernel {
      %s = llvm.mlir.addressof @quantc_dsmem : !llvm.ptr<3>
      %c = llvm.mlir.constant(64 : i32) : i32
      nvvm.tcgen05.alloc %s, %c : !llvm.ptr<3>, i32
      gpu.return
    }
    gpu.func @quadrant(%p: !llvm.ptr) kernel {
      %s = llvm.mlir.addressof @quantc_dsmem : !llvm.ptr<3>
      %c = llvm.mlir.constant(32 : i32) : i32
      nvvm.tcgen05.alloc %s, %c : !llvm.ptr<3>, i32
      %t = llvm.load %s : !llvm.ptr<3> -> i32
      %tp = llvm.inttoptr %t : i32 to !llvm.ptr<6>
      nvvm.tcgen05.st %tp, %c {shape = #nvvm.tcgen05_ldst_shape<shape_32x32b>} : i32
      nvvm.tcgen05.dealloc %tp, %c : !llvm.ptr<6>, i32
      gpu.return
    }
    gpu.func @columns(%p: !llvm.ptr) kernel {
      %s = llvm.mlir.addressof @quantc_dsmem : !llvm.ptr<3>
      %c = llvm.mlir.constant(32 : i32) : i32
      nvvm.tcgen05.alloc %s, %c : !llvm.ptr<3>, i32
      %t = llvm.load %s : !llvm.ptr<3> -> i32
      %t40 = llvm.add %t, %c : i32
      %tp = llvm.inttoptr %t40 : i32 to !llvm.ptr<6>
      %v = nvvm.tcgen05.ld %tp {shape = #nvvm.tcgen05_ldst_shape<shape_32x32b>} : i32
      llvm.store %v, %p : i32, !llvm.ptr
      %t0 = llvm.inttoptr %t : i32 to !llvm.ptr<6>
      nvvm.tcgen05.dealloc %t0, %c : !llvm.ptr<6>, i32
      gpu.return
    }
    gpu.func @early(%p: !llvm.ptr) kernel {
      %s = llvm.mlir.addressof @quantc_dsmem : !llvm.ptr<3>
      %c = llvm.mlir.constant(32 : i32) : i32
      nvvm.tcgen05.alloc %s, %c : !llvm.ptr<3>, i32
      %t = llvm.load %s : !llvm.ptr<3> -> i32
      %tp = llvm.inttoptr %t : i32 to !llvm.ptr<6>
      %c8 = llvm.mlir.constant(8 : i32) : i32
      %c12 = llvm.mlir.constant(12 : i32) : i32
      %ta = llvm.add %t, %c8 : i32
      %tb = llvm.add %t, %c12 : i32
      %sa = llvm.inttoptr %ta : i32 to !llvm.ptr<6>
      %sb = llvm.inttoptr %tb : i32 to !llvm.ptr<6>
      %off = llvm.mlir.constant(4096 : i64) : i64
      %bar = llvm.getelementptr %s[%off] : (!llvm.ptr<3>, i64) -> !llvm.ptr<3>, i8
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %first = arith.cmpi eq, %tid, %c0 : index
      scf.if %first {
        %one = llvm.mlir.constant(1 : i32) : i32
        nvvm.mbarrier.init %bar, %one : !llvm.ptr<3>, i32
        // K-major without swizzle: LBO 128, SBO 256, version bit 46.
        %desc = llvm.mlir.constant(70437464178688 : i64) : i64
        // M = 128, N = 8, e4m3, UE8M0.
        %idesc = llvm.mlir.constant(142737408 : i32) : i32
        %no = llvm.mlir.constant(false) : i1
        nvvm.tcgen05.mma.block_scale %tp, %desc, %desc, %idesc, %no, %sa, %sb {blockScale = #nvvm.tcgen05_mma_block_scale<block32>, ctaGroup = #nvvm.cta_group<cta_1>, kind = #nvvm.block_scale_kind<mxf8f6f4>} : (!llvm.ptr<6>, i64, i64, i32, i1, !llvm.ptr<6>, !llvm.ptr<6>)
        nvvm.tcgen05.commit %bar : !llvm.ptr<3>
      }
      // The accumulator read before any wait on the commit's mbarrier.
      %v = nvvm.tcgen05.ld %tp {shape = #nvvm.tcgen05_ldst_shape<shape_32x32b>} : i32
      llvm.store %v, %p : i32, !llvm.ptr
      nvvm.tcgen05.dealloc %tp, %c : !llvm.ptr<6>, i32
      gpu.return
    }
  }
}
)mlir";
  mlir::OwningOpRef<mlir::ModuleOp> mod =
      mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  ASSERT_TRUE(mod);
  std::string err;
  auto hk = HostKernels::create(*mod, err);
  ASSERT_TRUE(hk) << err;
  int32_t out = 0;
  auto run = [&](const char *name, int64_t threads) {
    err.clear();
    EXPECT_FALSE(hk->launch(name, {1, 1, 1}, {threads, 1, 1}, {ptr(&out)},
                            err, 8192))
        << name;
    return err;
  };
  EXPECT_NE(run("leak", 32).find("64 columns of tensor memory still "
                                 "allocated"),
            std::string::npos)
      << err;
  // Warp 1 addresses lane 0 (its quadrant is lanes 32 .. 63).
  EXPECT_NE(run("quadrant", 64).find("from warp 1, which may access lanes "
                                     "32 .. 63 only"),
            std::string::npos)
      << err;
  EXPECT_NE(run("columns", 32).find("tensor-memory column 32, which is not "
                                    "allocated"),
            std::string::npos)
      << err;
  // tcgen05.mma runs until a wait sees its commit: reading its accumulator
  // before that is a race the emulation reports (it computes at issue).
  EXPECT_NE(run("early", 32).find("tcgen05.ld of tensor-memory columns 0 .. "
                                  "0 while a tcgen05.mma no wait has seen "
                                  "complete uses columns 0 .. 7 (its "
                                  "accumulator"),
            std::string::npos)
      << err;
}

} // namespace
