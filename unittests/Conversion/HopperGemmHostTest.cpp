//===- HopperGemmHostTest.cpp - the sm_90a GEMM run on the host ----------===//
//
// The TMA + mbarrier + wgmma GEMM (HopperGemm) has not run on a GPU yet.
// Here its kernel IR runs on the CPU (HostKernels: every thread of a block
// a coroutine, TMA loads copied with the 128-byte swizzle and completed on
// the mbarriers, wgmma read from shared memory through its descriptors),
// so its ring of stages, barrier phases, descriptors, fragment mapping,
// scale promotion, masked tails and output conversions are checked against
// the Numerics rule F33 without a GPU.
//
//===----------------------------------------------------------------------===//

#include "KernelBuildTest.h"

#include "quantc/Conversion/QCToGPU/HopperGemm.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Numerics/Gemm.h"
#include "quantc/Numerics/Linear.h"
#include "quantc/Target/Host/HostKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace quantc;
namespace nx = quantc::numerics;

namespace {

/// The tensor maps of docs/Kernels.md for a problem's A [M, K] and B [N,
/// K] (one byte per code): rank 2 {K, rows}, box {128, rows per tile} (A
/// 128 and B tileN rows; swapped with swapAB), 128-byte swizzle.
template <typename P> void encodeHopperMaps(P &p, unsigned tileN, bool swapAB) {
  std::string err;
  ASSERT_TRUE(HostKernels::encodeTensorMap(
      p.mapA, p.A.data(), 1, {uint64_t(p.K), uint64_t(p.M)}, {uint64_t(p.K)},
      {128, swapAB ? tileN : kHopperTileM}, 128, err))
      << err;
  ASSERT_TRUE(HostKernels::encodeTensorMap(
      p.mapB, p.B.data(), 1, {uint64_t(p.K), uint64_t(p.N)}, {uint64_t(p.K)},
      {128, swapAB ? kHopperTileM : tileN}, 128, err))
      << err;
}

/// One GEMM problem: e4m3 A [M, K] and B [N, K], their scales in the
/// layout of `scales`, and the tensor maps TMA reads them through.
struct Problem {
  int64_t M, N, K;
  nx::FP8GemmScales scales;
  std::vector<uint8_t> A, B;
  std::vector<float> SA, SB;
  alignas(64) unsigned char mapA[128], mapB[128];

  Problem(int64_t M, int64_t N, int64_t K, nx::FP8GemmScales scales,
          unsigned seed)
      : M(M), N(N), K(K), scales(scales), A(M * K), B(N * K) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd;
    for (uint8_t &c : A)
      c = nx::encode(nx::ElemFormat::E4M3FN, nd(rng) * 4.0f);
    for (uint8_t &c : B)
      c = nx::encode(nx::ElemFormat::E4M3FN, nd(rng) * 4.0f);
    int64_t kb = (K + 127) / 128;
    std::uniform_real_distribution<float> ud(0.25f, 2.0f);
    auto fill = [&](std::vector<float> &v, int64_t n) {
      v.resize(n);
      for (float &x : v)
        x = ud(rng) / 64.0f;
    };
    switch (scales) {
    case nx::FP8GemmScales::Block1x128:
      fill(SA, M * kb);
      fill(SB, ((N + 127) / 128) * kb);
      break;
    case nx::FP8GemmScales::PerTokenPerChannel:
      fill(SA, M);
      fill(SB, N);
      break;
    case nx::FP8GemmScales::PerTensor:
      fill(SA, 1);
      fill(SB, 1);
      break;
    }
  }

  void encodeMaps(unsigned tileN, bool swapAB = false) {
    encodeHopperMaps(*this, tileN, swapAB);
  }

  /// F33, in the split-K kernel's order for splitK > 1.
  std::vector<float> reference(unsigned splitK = 1) const {
    std::vector<float> C(M * N);
    llvm::Error e =
        nx::gemmFP8Reference(A.data(), B.data(), M, N, K, scales, SA.data(),
                             SB.data(), C.data(), splitK);
    EXPECT_FALSE(e) << llvm::toString(std::move(e));
    return C;
  }

  /// sum_k |a b| * scale of C[m, n]: the magnitude the tolerance scales with.
  double magnitude(int64_t m, int64_t n) const {
    double s = 0;
    for (int64_t k = 0; k < K; ++k) {
      double sa = scales == nx::FP8GemmScales::Block1x128
                      ? SA[m * ((K + 127) / 128) + k / 128]
                  : scales == nx::FP8GemmScales::PerTensor ? SA[0]
                                                           : SA[m];
      double sb = scales == nx::FP8GemmScales::Block1x128
                      ? SB[(n / 128) * ((K + 127) / 128) + k / 128]
                  : scales == nx::FP8GemmScales::PerTensor ? SB[0]
                                                           : SB[n];
      s += std::fabs(double(value(A[m * K + k])) * value(B[n * K + k])) *
           sa * sb;
    }
    return s;
  }

  /// The e4m3 value of `code` (decoded once per code, not per use).
  static float value(uint8_t code) {
    static const std::vector<float> table = [] {
      std::vector<float> v(256);
      for (int c = 0; c < 256; ++c)
        v[c] = nx::decode(nx::ElemFormat::E4M3FN, uint16_t(c));
      return v;
    }();
    return table[code];
  }
};

class HopperGemmHost : public KernelBuildTest {
protected:
  /// Builds `name` with `cfg` into the module and JIT-compiles the module.
  std::unique_ptr<HostKernels>
  build(llvm::ArrayRef<std::pair<std::string, HopperGemmConfig>> kernels,
        const GemmEpilogue *epi = nullptr) {
    for (auto &[name, cfg] : kernels) {
      EXPECT_TRUE(
          mlir::succeeded(buildHopperFP8GemmKernel(*top, name, cfg, epi)))
          << name;
    }
    std::string err;
    auto hk = HostKernels::create(*top, err);
    EXPECT_TRUE(hk) << err;
    for (auto &[name, cfg] : kernels) {
      if (hk) {
        EXPECT_EQ(hk->whyNot(name), "") << name;
      }
    }
    return hk;
  }

  /// Launches `name` on `p` (a Problem, or an IntProblem below) as the
  /// launcher would; `extra` after C (and split-K's W and counters).
  template <typename P>
  bool run(HostKernels &hk, const std::string &name,
           const HopperGemmConfig &cfg, P &p, void *C,
           std::vector<const void *> extra, std::string &err) {
    p.encodeMaps(cfg.tileN, cfg.swapAB);
    // Persistent kernels get 3 "SMs": each CTA walks several tiles.
    LaunchConfig lc = getHopperGemmLaunchConfig(cfg, p.M, p.N, 3);
    std::vector<HostKernelArg> args = {
        ptr(p.mapA), ptr(p.mapB), ptr(p.SA.data()), ptr(p.SB.data()), ptr(C)};
    // Split-K: after C (and CS) the partials W and the zeroed counters.
    std::vector<float> W;
    std::vector<uint32_t> counters;
    size_t at =
        args.size() + (cfg.output == HopperOutput::FP8Block1x128 ? 1 : 0);
    for (const void *e : extra)
      args.push_back(ptr(e));
    if (cfg.splitK > 1) {
      W.assign(size_t(cfg.splitK) * p.M * p.N, kPoisonW);
      counters.assign(size_t(lc.gridX) * lc.gridY * 8, 0);
      args.insert(args.begin() + at, {ptr(W.data()), ptr(counters.data())});
    }
    args.insert(args.end(), {i32(p.M), i32(p.N), i32(p.K)});
    bool ok =
        hk.launch(name, {lc.gridX, lc.gridY, lc.gridZ},
                  {lc.blockX, lc.blockY, lc.blockZ}, args, err, lc.sharedBytes);
    // The kernel leaves its counters zero for the next launch.
    for (uint32_t c : counters)
      EXPECT_EQ(c, 0u) << name;
    return ok;
  }
  static constexpr float kPoisonW = -777.0f;

public:
  /// run() without epilogue inputs, for the helpers below the fixture.
  bool runPublic(HostKernels &hk, const std::string &name,
                 const HopperGemmConfig &cfg, Problem &p, void *C,
                 std::string &err) {
    return run(hk, name, cfg, p, C, {}, err);
  }
};

HopperGemmConfig config(nx::FP8GemmScales s, unsigned tileN, unsigned stages,
                        HopperOutput out = HopperOutput::F32,
                        bool swapAB = false, bool persistent = false,
                        unsigned splitK = 1) {
  HopperGemmConfig c;
  c.splitK = splitK;
  c.persistent = persistent;
  c.scales = s;
  c.tileN = tileN;
  c.stages = stages;
  c.output = out;
  c.swapAB = swapAB;
  return c;
}

constexpr float kPoison = -12345.0f;

// Every scale variant at every tile width it takes, with rings shallower
// than K's blocks (the stages are reused, so the empty/full phases wrap),
// on ragged M, N (tails masked, TMA zero-filled) and K = 16 (one partial
// block): C equals F33 within the rounding of one f32 sum per wgmma, and
// nothing outside M x N is written.
TEST_F(HopperGemmHost, EveryScaleVariantMatchesF33) {
  using S = nx::FP8GemmScales;
  std::vector<std::pair<std::string, HopperGemmConfig>> kernels = {
      {"b64", config(S::Block1x128, 64, 2)},
      {"b128", config(S::Block1x128, 128, 3)},
      {"c128", config(S::PerTokenPerChannel, 128, 2)},
      {"c256", config(S::PerTokenPerChannel, 256, 2)},
      {"t64", config(S::PerTensor, 64, 4)},
      {"t256", config(S::PerTensor, 256, 3)},
      {"c16", config(S::PerTokenPerChannel, 16, 3)},
      // swapAB (decode): weights on the 128-row side, tokens on tileN.
      {"sb16", config(S::Block1x128, 16, 3, HopperOutput::F32, true)},
      {"sb64", config(S::Block1x128, 64, 2, HopperOutput::F32, true)},
      {"sc32", config(S::PerTokenPerChannel, 32, 2, HopperOutput::F32, true)},
      {"st16", config(S::PerTensor, 16, 4, HopperOutput::F32, true)},
      // Persistent: 3 CTAs walk the tiles; the ring runs on across them.
      {"pb128", config(S::Block1x128, 128, 3, HopperOutput::F32, false, true)},
      {"pt64", config(S::PerTensor, 64, 2, HopperOutput::F32, false, true)},
      {"psc32",
       config(S::PerTokenPerChannel, 32, 3, HopperOutput::F32, true, true)},
      // Split-K: 2 to 5 CTAs per tile (K = 16: one block, the other
      // splits empty), their partials summed by the tile's last warp.
      {"kb16", config(S::Block1x128, 16, 2, HopperOutput::F32, true, false, 3)},
      {"kc128", config(S::PerTokenPerChannel, 128, 2, HopperOutput::F32, false,
                       false, 2)},
      {"kt32", config(S::PerTensor, 32, 2, HopperOutput::F32, true, false, 5)}};
  auto hk = build(kernels);
  ASSERT_TRUE(hk);
  unsigned seed = 1;
  for (auto &[name, cfg] : kernels)
    for (auto [M, N, K] : {std::array<int64_t, 3>{200, 300, 400},
                           std::array<int64_t, 3>{1, 8, 16},
                           std::array<int64_t, 3>{129, 130, 656}}) {
      Problem p(M, N, K, cfg.scales, seed++);
      std::vector<float> C(M * N + 64, kPoison);
      std::string err;
      ASSERT_TRUE(run(*hk, name, cfg, p, C.data(), {}, err))
          << name << ": " << err;
      std::vector<float> ref = p.reference(cfg.splitK);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          // The wgmma sums of 32 products are exact here and rounded to
          // f32 once per instruction (F33 rounds once per 128 block, or
          // once for all of K): a few f32 roundings of sums no larger than
          // the magnitude.
          double tol = p.magnitude(m, n) * 0x1p-20 + 1e-30;
          ASSERT_LE(std::fabs(double(C[m * N + n]) - ref[m * N + n]), tol)
              << name << " M=" << M << " N=" << N << " K=" << K << " at " << m
              << "," << n;
        }
      for (int64_t i = M * N; i < M * N + 64; ++i)
        ASSERT_EQ(C[i], kPoison) << name << ": wrote past C at " << i;
    }
}

/// Kernels in pairs (a reference layout, then the layout under test, plain
/// and swapped): on a 70 x 300 x 272 problem of `scales`, `prepare` sets
/// the reference's operands, `relayout` rewrites them for the other
/// kernel, and C must come out the same bit for bit.
void expectSameBits(HopperGemmHost &t, HostKernels &hk,
                    llvm::ArrayRef<std::pair<std::string, HopperGemmConfig>> k,
                    nx::FP8GemmScales scales, unsigned seed,
                    llvm::function_ref<void(Problem &)> prepare,
                    llvm::function_ref<void(Problem &)> relayout);

// weightScalesPerRow: SB with a row per weight row (a package's blocked
// dequantize of [N, K] codes). The kernel reads each 128-row block's first
// row: with NaN in every other row, C equals the [ceil(N/128), KB] kernel's
// bit for bit, plain and swapped.
TEST_F(HopperGemmHost, WeightScalesPerRowReadEachBlocksFirstRow) {
  using S = nx::FP8GemmScales;
  HopperGemmConfig rows = config(S::Block1x128, 64, 2),
                   swapRows = config(S::Block1x128, 32, 2, HopperOutput::F32,
                                     true);
  rows.weightScalesPerRow = swapRows.weightScalesPerRow = true;
  std::vector<std::pair<std::string, HopperGemmConfig>> kernels = {
      {"blocks", config(S::Block1x128, 64, 2)},
      {"rows", rows},
      {"swap_blocks", config(S::Block1x128, 32, 2, HopperOutput::F32, true)},
      {"swap_rows", swapRows}};
  auto hk = build(kernels);
  ASSERT_TRUE(hk);
  expectSameBits(*this, *hk, kernels, S::Block1x128, 40, [](Problem &) {},
                 [](Problem &p) {
                   int64_t KB = (p.K + 127) / 128;
                   std::vector<float> perRow(p.N * KB, std::nanf(""));
                   for (int64_t n = 0; n < p.N; n += 128)
                     for (int64_t kb = 0; kb < KB; ++kb)
                       perRow[n * KB + kb] = p.SB[(n / 128) * KB + kb];
                   p.SB = perRow;
                 });
}

// activationScalePerTensor: one activation scale for every row (W8A8 fp8's
// static per-tensor scale) with per-channel weight scales. SA holds one
// value and NaN after it: C equals the per-channel kernel's with that value
// in every row of SA, bit for bit, plain and swapped.
TEST_F(HopperGemmHost, ActivationScalePerTensorReadsOneValue) {
  using S = nx::FP8GemmScales;
  HopperGemmConfig one = config(S::PerTokenPerChannel, 64, 2),
                   swapOne = config(S::PerTokenPerChannel, 32, 2,
                                    HopperOutput::F32, true);
  one.activationScalePerTensor = swapOne.activationScalePerTensor = true;
  std::vector<std::pair<std::string, HopperGemmConfig>> kernels = {
      {"rows", config(S::PerTokenPerChannel, 64, 2)},
      {"one", one},
      {"swap_rows",
       config(S::PerTokenPerChannel, 32, 2, HopperOutput::F32, true)},
      {"swap_one", swapOne}};
  auto hk = build(kernels);
  ASSERT_TRUE(hk);
  expectSameBits(
      *this, *hk, kernels, S::PerTokenPerChannel, 50,
      [](Problem &p) { std::fill(p.SA.begin(), p.SA.end(), p.SA[0]); },
      [](Problem &p) { std::fill(p.SA.begin() + 1, p.SA.end(), std::nanf("")); });
}

void expectSameBits(HopperGemmHost &t, HostKernels &hk,
                    llvm::ArrayRef<std::pair<std::string, HopperGemmConfig>> k,
                    nx::FP8GemmScales scales, unsigned seed,
                    llvm::function_ref<void(Problem &)> prepare,
                    llvm::function_ref<void(Problem &)> relayout) {
  for (size_t pair = 0; pair + 1 < k.size(); pair += 2) {
    auto &[refName, refCfg] = k[pair];
    auto &[name, cfg] = k[pair + 1];
    int64_t M = 70, N = 300, K = 272;
    Problem p(M, N, K, scales, seed + pair);
    prepare(p);
    std::vector<float> want(M * N, kPoison), got(M * N, kPoison);
    std::string err;
    ASSERT_TRUE(t.runPublic(hk, refName, refCfg, p, want.data(), err)) << err;
    relayout(p);
    ASSERT_TRUE(t.runPublic(hk, name, cfg, p, got.data(), err)) << err;
    for (int64_t i = 0; i < M * N; ++i)
      ASSERT_EQ(llvm::bit_cast<uint32_t>(got[i]),
                llvm::bit_cast<uint32_t>(want[i]))
          << name << " at " << i;
  }
}

// The bf16 and fp8-1x128 outputs convert the same accumulators as the f32
// kernel of the same variant, tile and depth: bf16 is its round to nearest
// even, fp8-1x128 is Numerics F27 (1 x 128 absmax scales, e4m3 codes) of
// it, bit for bit (the GPU check does the same comparison).
TEST_F(HopperGemmHost, OutputsConvertTheF32Result) {
  using S = nx::FP8GemmScales;
  struct Variant {
    std::string f32, out;
    HopperGemmConfig base;
    HopperOutput output;
  };
  std::vector<Variant> variants = {
      {"f_b128", "bf_b128", config(S::Block1x128, 128, 3), HopperOutput::BF16},
      {"f_b128x", "q_b128", config(S::Block1x128, 128, 3),
       HopperOutput::FP8Block1x128},
      {"f_t256", "q_t256", config(S::PerTensor, 256, 2),
       HopperOutput::FP8Block1x128},
      {"f_p128", "q_p128",
       config(S::Block1x128, 128, 2, HopperOutput::F32, false, true),
       HopperOutput::FP8Block1x128},
      {"f_k128", "b_k128",
       config(S::Block1x128, 128, 2, HopperOutput::F32, false, false, 3),
       HopperOutput::BF16},
      // Swapped (decode): the groups are the tile's columns, reduced
      // across both consumer warpgroups through shared memory.
      {"f_s16", "q_s16",
       config(S::Block1x128, 16, 4, HopperOutput::F32, true),
       HopperOutput::FP8Block1x128},
      {"f_s32t", "q_s32t",
       config(S::PerTensor, 32, 3, HopperOutput::F32, true),
       HopperOutput::FP8Block1x128}};
  std::vector<std::pair<std::string, HopperGemmConfig>> kernels;
  for (auto &v : variants) {
    kernels.push_back({v.f32, v.base});
    HopperGemmConfig c = v.base;
    c.output = v.output;
    kernels.push_back({v.out, c});
  }
  auto hk = build(kernels);
  ASSERT_TRUE(hk);
  for (auto &v : variants)
    for (auto [M, N, K] : {std::array<int64_t, 3>{131, 300, 272},
                           std::array<int64_t, 3>{3, 129, 16}}) {
      Problem p(M, N, K, v.base.scales, 7);
      std::vector<float> C(M * N, kPoison);
      std::string err;
      ASSERT_TRUE(run(*hk, v.f32, v.base, p, C.data(), {}, err)) << err;
      HopperGemmConfig c = v.base;
      c.output = v.output;
      if (v.output == HopperOutput::BF16) {
        std::vector<uint16_t> O(M * N + 8, 0xdead);
        ASSERT_TRUE(run(*hk, v.out, c, p, O.data(), {}, err)) << err;
        for (int64_t i = 0; i < M * N; ++i)
          ASSERT_EQ(O[i], nx::encode(nx::ElemFormat::BF16, C[i])) << i;
        for (int64_t i = M * N; i < M * N + 8; ++i)
          ASSERT_EQ(O[i], 0xdead) << "wrote past C at " << i;
      } else {
        int64_t groups = (N + 127) / 128;
        std::vector<uint8_t> Q(M * N + 8, 0xee);
        std::vector<float> QS(M * groups + 8, kPoison);
        ASSERT_TRUE(run(*hk, v.out, c, p, Q.data(), {QS.data()}, err)) << err;
        std::vector<float> wantS(M * groups);
        std::vector<uint8_t> want(M * N);
        ASSERT_FALSE(bool(nx::absmaxScales2D(
            C.data(), M, N, 1, 128, nx::ElemFormat::E4M3FN, wantS.data())));
        ASSERT_FALSE(
            bool(nx::quantize2D(C.data(), M, N, 1, 128, nx::ElemFormat::E4M3FN,
                                wantS.data(), want.data())));
        for (int64_t i = 0; i < M * groups; ++i)
          ASSERT_EQ(QS[i], wantS[i]) << v.out << " scale " << i;
        for (int64_t i = 0; i < M * N; ++i)
          ASSERT_EQ(Q[i], want[i]) << v.out << " code " << i;
        ASSERT_EQ(Q[M * N], 0xee);
        ASSERT_EQ(QS[M * groups], kPoison);
      }
    }
}

// outputScaleFloor: the fp8-1x128 output quantized as a package's next
// run-time activation quantize does it (qc-quantize-linear, F31): s =
// max(amax / QMAX[0], FLOOR[0]) per 1x128 group, then quantize_linear;
// the codes and scales equal the Numerics library's on the f32 result,
// bit for bit. A row whose activation scales are zero is all zero: its
// scale is FLOOR (the plain fp8 output writes 1 there). QMAX and FLOOR are
// not 448 and FLT_MIN here, so a kernel that ignored them would fail.
TEST_F(HopperGemmHost, OutputScaleFloorIsTheRunTimeQuantize) {
  using S = nx::FP8GemmScales;
  HopperGemmConfig f32 = config(S::Block1x128, 128, 3);
  HopperGemmConfig q = f32;
  q.output = HopperOutput::FP8Block1x128;
  q.outputScaleFloor = true;
  // And the swapped (decode) kernel's, 16 tokens per tile.
  HopperGemmConfig f32s = config(S::Block1x128, 16, 4, HopperOutput::F32, true);
  HopperGemmConfig qs = f32s;
  qs.output = HopperOutput::FP8Block1x128;
  qs.outputScaleFloor = true;
  auto hk = build({{"f", f32}, {"q", q}, {"fs", f32s}, {"qs", qs}});
  ASSERT_TRUE(hk);
  const float qmax = 240.0f, floor = 0x1p-20f;
  for (bool swapped : {false, true})
  for (auto [M, N, K] : {std::array<int64_t, 3>{131, 300, 272},
                         std::array<int64_t, 3>{3, 129, 16}}) {
    SCOPED_TRACE(swapped ? "swapped" : "not swapped");
    const char *fName = swapped ? "fs" : "f", *qName = swapped ? "qs" : "q";
    const HopperGemmConfig &fCfg = swapped ? f32s : f32,
                           &qCfg = swapped ? qs : q;
    Problem p(M, N, K, S::Block1x128, 5);
    int64_t kb = (K + 127) / 128, groups = (N + 127) / 128;
    for (int64_t k = 0; k < kb; ++k)
      p.SA[1 * kb + k] = 0.0f; // row 1: all zero
    std::vector<float> C(M * N, kPoison);
    std::string err;
    ASSERT_TRUE(run(*hk, fName, fCfg, p, C.data(), {}, err)) << err;
    std::vector<float> wantS(M * groups);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t g = 0; g < groups; ++g) {
        float amax = 0.0f;
        for (int64_t n = g * 128; n < std::min(N, g * 128 + 128); ++n)
          amax = std::max(amax, std::fabs(C[m * N + n]));
        wantS[m * groups + g] = std::max(amax / qmax, floor);
      }
    std::vector<uint8_t> want(M * N);
    auto layout = nx::makeLinearLayout({M, N}, {M, groups}, 1, 128);
    ASSERT_TRUE(bool(layout));
    ASSERT_FALSE(bool(nx::quantizeLinear(C.data(), {M, N}, wantS.data(),
                                         nullptr, *layout,
                                         nx::ElemFormat::E4M3FN, true,
                                         want.data())));
    std::vector<uint8_t> Q(M * N + 8, 0xee);
    std::vector<float> QS(M * groups + 8, kPoison);
    ASSERT_TRUE(
        run(*hk, qName, qCfg, p, Q.data(), {QS.data(), &qmax, &floor}, err))
        << err;
    for (int64_t i = 0; i < M * groups; ++i)
      ASSERT_EQ(QS[i], wantS[i]) << "scale " << i;
    EXPECT_EQ(QS[1 * groups], floor);
    for (int64_t i = 0; i < M * N; ++i)
      ASSERT_EQ(Q[i], want[i]) << "code " << i;
    ASSERT_EQ(Q[M * N], 0xee);
    ASSERT_EQ(QS[M * groups], kPoison);
  }
  HopperGemmConfig bad = f32;
  bad.outputScaleFloor = true;
  llvm::Error e = verifyHopperGemmConfig(bad);
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("only the fp8-1x128 output"),
            std::string::npos);
}

// A fused epilogue (bias[col] added, then ReLU) runs on each valid
// element before the store.
TEST_F(HopperGemmHost, FusedEpilogue) {
  GemmEpilogue epi;
  epi.extraPtrs = 1;
  epi.apply = [](mlir::OpBuilder &b, mlir::Value acc, mlir::Value,
                 mlir::Value col, mlir::Value, mlir::ValueRange extra,
                 mlir::Block *) -> mlir::FailureOr<mlir::Value> {
    mlir::Location loc = acc.getLoc();
    mlir::Type f32 = b.getF32Type();
    mlir::Value p = mlir::LLVM::GEPOp::create(b, loc, extra[0].getType(), f32,
                                              extra[0], mlir::ValueRange{col});
    mlir::Value s = mlir::arith::AddFOp::create(
        b, loc, acc, mlir::LLVM::LoadOp::create(b, loc, f32, p));
    mlir::Value zero =
        mlir::arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0.0f));
    mlir::Value pos = mlir::arith::CmpFOp::create(
        b, loc, mlir::arith::CmpFPredicate::OGT, s, zero);
    return mlir::arith::SelectOp::create(b, loc, pos, s, zero).getResult();
  };
  HopperGemmConfig cfg = config(nx::FP8GemmScales::PerTokenPerChannel, 128, 2);
  auto hk = build({{"epi", cfg}}, &epi);
  ASSERT_TRUE(hk);
  Problem p(150, 140, 304, cfg.scales, 11);
  std::vector<float> bias(p.N);
  for (int64_t n = 0; n < p.N; ++n)
    bias[n] = float(n % 7) - 3.0f;
  std::vector<float> C(p.M * p.N, kPoison);
  std::string err;
  ASSERT_TRUE(run(*hk, "epi", cfg, p, C.data(), {bias.data()}, err)) << err;
  std::vector<float> ref = p.reference();
  int positives = 0;
  for (int64_t m = 0; m < p.M; ++m)
    for (int64_t n = 0; n < p.N; ++n) {
      float want = std::max(ref[m * p.N + n] + bias[n], 0.0f);
      positives += want > 0;
      ASSERT_LE(std::fabs(C[m * p.N + n] - want),
                p.magnitude(m, n) * 0x1p-20 + 4e-7 * std::fabs(want))
          << m << "," << n;
    }
  EXPECT_GT(positives, p.M * p.N / 4); // the ReLU did not zero everything
}

// What the emulation refuses or detects: a launch without the shared
// memory the ring needs, a tensor map the host did not write, a block
// without its producer warpgroup (the consumers wait on phases that never
// complete: a deadlock, named), and tensor maps the driver would refuse.
TEST_F(HopperGemmHost, ErrorsNameTheirCause) {
  HopperGemmConfig cfg = config(nx::FP8GemmScales::PerTensor, 64, 2);
  auto hk = build({{"g", cfg}});
  ASSERT_TRUE(hk);
  Problem p(64, 64, 256, cfg.scales, 3);
  std::vector<float> C(p.M * p.N);
  p.encodeMaps(cfg.tileN);
  LaunchConfig lc = getHopperGemmLaunchConfig(cfg, p.M, p.N);
  std::vector<HostKernelArg> args = {
      ptr(p.mapA),   ptr(p.mapB), ptr(p.SA.data()), ptr(p.SB.data()),
      ptr(C.data()), i32(p.M),    i32(p.N),         i32(p.K)};
  std::array<int64_t, 3> grid{lc.gridX, lc.gridY, 1};
  std::string err;
  EXPECT_FALSE(hk->launch("g", grid, {384, 1, 1}, args, err, 1024));
  EXPECT_NE(err.find("outside the block's 1024 bytes of dynamic shared "
                     "memory"),
            std::string::npos)
      << err;
  EXPECT_FALSE(hk->launch("g", grid, {384, 1, 1}, args, err, 300000));
  EXPECT_NE(err.find("more than a block may have"), std::string::npos) << err;
  EXPECT_FALSE(hk->launch("g", grid, {256, 1, 1}, args, err, lc.sharedBytes));
  EXPECT_NE(err.find("deadlock: no thread of the block can go on: 256 wait "
                     "at the mbarrier"),
            std::string::npos)
      << err;
  std::vector<HostKernelArg> bad = args;
  std::vector<unsigned char> junk(128, 0);
  bad[0] = ptr(junk.data());
  EXPECT_FALSE(hk->launch("g", grid, {384, 1, 1}, bad, err, lc.sharedBytes));
  EXPECT_NE(err.find("not written by HostKernels::encodeTensorMap"),
            std::string::npos)
      << err;
  // The kernel still runs correctly afterwards.
  ASSERT_TRUE(hk->launch("g", grid, {384, 1, 1}, args, err, lc.sharedBytes))
      << err;
  std::vector<float> ref = p.reference();
  for (int64_t i = 0; i < p.M * p.N; ++i)
    ASSERT_NEAR(C[i], ref[i], p.magnitude(i / p.N, i % p.N) * 0x1p-20) << i;

  unsigned char map[128];
  EXPECT_FALSE(HostKernels::encodeTensorMap(map, p.A.data() + 1, 1, {16, 4},
                                            {16}, {16, 4}, 128, err));
  EXPECT_NE(err.find("16-byte aligned"), std::string::npos) << err;
  EXPECT_FALSE(HostKernels::encodeTensorMap(map, p.A.data(), 1, {24, 4}, {24},
                                            {16, 4}, 128, err));
  EXPECT_NE(err.find("stride 1 = 24 bytes"), std::string::npos) << err;
  EXPECT_FALSE(HostKernels::encodeTensorMap(map, p.A.data(), 1, {256, 4}, {256},
                                            {256, 4}, 128, err));
  EXPECT_NE(err.find("exceeds the swizzle span"), std::string::npos) << err;
}

/// An int8 problem: s8 or u8 codes A [M, K] (activations) and B [N, K]
/// (weights) over their whole range, A's zero point, and per-channel
/// (SA [M] or one, SB [N]) or per-tensor scales.
struct IntProblem {
  int64_t M, N, K;
  std::vector<uint8_t> A, B;
  std::vector<float> SA, SB;
  uint8_t za = 0;
  alignas(64) unsigned char mapA[128], mapB[128];

  IntProblem(int64_t M, int64_t N, int64_t K, const HopperGemmConfig &cfg,
             unsigned seed)
      : M(M), N(N), K(K), A(M * K), B(N * K) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t &c : A)
      c = uint8_t(byte(rng));
    for (uint8_t &c : B)
      c = uint8_t(byte(rng));
    za = uint8_t(byte(rng));
    std::uniform_real_distribution<float> ud(0.25f, 2.0f);
    bool perChannel = cfg.scales == nx::FP8GemmScales::PerTokenPerChannel;
    SA.resize(perChannel && !cfg.activationScalePerTensor ? M : 1);
    SB.resize(perChannel ? N : 1);
    for (float &x : SA)
      x = ud(rng) / 1024.0f;
    for (float &x : SB)
      x = ud(rng) / 1024.0f;
  }
  void encodeMaps(unsigned tileN, bool swapAB = false) {
    encodeHopperMaps(*this, tileN, swapAB);
  }
  /// Numerics F34: acc = sum_k (A - za) B exactly, C = fl(f32(acc) *
  /// fl(sa * sb)), with the scales of row m and column n.
  std::vector<float> reference(const HopperGemmConfig &cfg) const {
    auto code = [](uint8_t c, HopperOperand t) {
      return t == HopperOperand::U8 ? int64_t(c) : int64_t(int8_t(c));
    };
    int64_t z = cfg.activationZeroPoint ? code(za, cfg.a) : 0;
    std::vector<float> C(M * N);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        int64_t acc = 0;
        for (int64_t k = 0; k < K; ++k)
          acc += (code(A[m * K + k], cfg.a) - z) * code(B[n * K + k], cfg.b);
        float s = SA[SA.size() == 1 ? 0 : m] * SB[SB.size() == 1 ? 0 : n];
        C[m * N + n] = float(acc) * s;
      }
    return C;
  }
};

HopperGemmConfig intConfig(HopperOperand a, HopperOperand b, bool zp,
                           nx::FP8GemmScales s, unsigned tileN, unsigned stages,
                           bool swapAB = false, bool persistent = false,
                           unsigned splitK = 1) {
  HopperGemmConfig c =
      config(s, tileN, stages, HopperOutput::F32, swapAB, persistent, splitK);
  c.a = a;
  c.b = b;
  c.activationZeroPoint = zp;
  c.activationScalePerTensor = s == nx::FP8GemmScales::PerTokenPerChannel;
  return c;
}

// The int8 wgmma GEMM (s8/u8 codes, s32 sums): every signedness, with and
// without the activation's zero point (whose weight sums the producer's
// warps 1-3 take per tile), per-channel and per-tensor scales, plain,
// swapped (decode), persistent (the sums' scratch reused tile after tile)
// and split-K (s32 partials), on ragged shapes: C equals Numerics F34 bit
// for bit, and nothing outside M x N is written.
TEST_F(HopperGemmHost, Int8MatchesF34BitForBit) {
  using S = nx::FP8GemmScales;
  using T = HopperOperand;
  std::vector<std::pair<std::string, HopperGemmConfig>> kernels = {
      {"ss", intConfig(T::S8, T::S8, false, S::PerTokenPerChannel, 128, 2)},
      {"us_z", intConfig(T::U8, T::S8, true, S::PerTokenPerChannel, 64, 3)},
      {"su_z", intConfig(T::S8, T::U8, true, S::PerTensor, 256, 2)},
      {"uu_z16", intConfig(T::U8, T::U8, true, S::PerTokenPerChannel, 16, 2)},
      {"us_z_swap",
       intConfig(T::U8, T::S8, true, S::PerTokenPerChannel, 32, 2, true)},
      {"ss_t_swap", intConfig(T::S8, T::S8, false, S::PerTensor, 16, 3, true)},
      {"us_z_pers", intConfig(T::U8, T::S8, true, S::PerTokenPerChannel, 64, 2,
                              false, true)},
      {"us_z_split", intConfig(T::U8, T::S8, true, S::PerTokenPerChannel, 32, 2,
                               true, false, 3)}};
  // Per-token activation scales (SA [M]) too.
  std::pair<std::string, HopperGemmConfig> tok = kernels[0];
  tok.first = "ss_tok";
  tok.second.activationScalePerTensor = false;
  kernels.push_back(tok);
  auto hk = build(kernels);
  ASSERT_TRUE(hk);
  unsigned seed = 100;
  for (auto &[name, cfg] : kernels)
    for (auto [M, N, K] : {std::array<int64_t, 3>{200, 300, 400},
                           std::array<int64_t, 3>{1, 8, 16},
                           std::array<int64_t, 3>{129, 130, 656}}) {
      IntProblem p(M, N, K, cfg, seed++);
      std::vector<float> C(M * N + 64, kPoison);
      std::vector<const void *> extra;
      if (cfg.activationZeroPoint)
        extra = {&p.za};
      std::string err;
      ASSERT_TRUE(run(*hk, name, cfg, p, C.data(), extra, err))
          << name << ": " << err;
      std::vector<float> ref = p.reference(cfg);
      for (int64_t i = 0; i < M * N; ++i)
        ASSERT_EQ(llvm::bit_cast<uint32_t>(C[i]),
                  llvm::bit_cast<uint32_t>(ref[i]))
            << name << " M=" << M << " N=" << N << " K=" << K << " at " << i / N
            << "," << i % N << ": " << C[i] << " vs " << ref[i];
      for (int64_t i = M * N; i < M * N + 64; ++i)
        ASSERT_EQ(C[i], kPoison) << name << ": wrote past C at " << i;
    }
}

// What the int8 configuration refuses, each with its reason.
TEST(HopperGemmConfigInt8, RefusesWhatItDoesNotBuild) {
  HopperGemmConfig c;
  c.a = HopperOperand::S8;
  c.b = HopperOperand::E4M3;
  c.scales = nx::FP8GemmScales::PerTokenPerChannel;
  auto why = [](const HopperGemmConfig &cfg) {
    llvm::Error e = verifyHopperGemmConfig(cfg);
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  EXPECT_NE(why(c).find("two e4m3 operands or two 8-bit integer"),
            std::string::npos);
  c.b = HopperOperand::U8;
  EXPECT_EQ(why(c), "");
  c.scales = nx::FP8GemmScales::Block1x128;
  EXPECT_NE(why(c).find("1x128 scales with integer operands"),
            std::string::npos);
  HopperGemmConfig f;
  f.activationZeroPoint = true;
  EXPECT_NE(why(f).find("only integer codes have zero points"),
            std::string::npos);
  EXPECT_EQ(parseHopperOperand("u8"), HopperOperand::U8);
  EXPECT_FALSE(parseHopperOperand("s4"));
}

} // namespace
