//===- HostKernelsTest.cpp - GPU kernels run on the host ------------------===//

#include "KernelBuildTest.h"

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Numerics/Linear.h"
#include "quantc/Target/Host/HostKernels.h"

#include "mlir/Parser/Parser.h"

#include <cmath>
#include <random>
#include <vector>

using namespace quantc;

namespace {

// One thread per element with a bounds guard (the elementwise kernels'
// shape), the inline-PTX square root, a kernel that writes each thread's
// ids, and one whose threads cooperate.
constexpr const char *kKernels = R"mlir(
gpu.module @k {
  gpu.func @scaled_sqrt(%out: !llvm.ptr, %x: !llvm.ptr, %a: i32, %n: i64) kernel {
    %t = gpu.thread_id x
    %b = gpu.block_id x
    %bd = gpu.block_dim x
    %i0 = arith.muli %b, %bd : index
    %i = arith.addi %i0, %t : index
    %ii = arith.index_cast %i : index to i64
    %c = arith.cmpi slt, %ii, %n : i64
    scf.if %c {
      %p = llvm.getelementptr %x[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      %v = llvm.load %p : !llvm.ptr -> f32
      %af = arith.sitofp %a : i32 to f32
      %s = llvm.inline_asm asm_dialect = att "sqrt.rn.f32 $0, $1;", "=f,f" %v : (f32) -> f32
      %r = arith.mulf %af, %s : f32
      %q = llvm.getelementptr %out[%ii] : (!llvm.ptr, i64) -> !llvm.ptr, f32
      llvm.store %r, %q : f32, !llvm.ptr
    }
    gpu.return
  }
  gpu.func @ids(%out: !llvm.ptr) kernel {
    %tx = gpu.thread_id x
    %ty = gpu.thread_id y
    %tz = gpu.thread_id z
    %bx = gpu.block_id x
    %by = gpu.block_id y
    %bz = gpu.block_id z
    %dx = gpu.block_dim x
    %dy = gpu.block_dim y
    %dz = gpu.block_dim z
    %gx = gpu.grid_dim x
    %gy = gpu.grid_dim y
    %b0 = arith.muli %bz, %gy : index
    %b1 = arith.addi %b0, %by : index
    %b2 = arith.muli %b1, %gx : index
    %blk = arith.addi %b2, %bx : index
    %t0 = arith.muli %tz, %dy : index
    %t1 = arith.addi %t0, %ty : index
    %t2 = arith.muli %t1, %dx : index
    %thr = arith.addi %t2, %tx : index
    %n0 = arith.muli %dx, %dy : index
    %n = arith.muli %n0, %dz : index
    %f0 = arith.muli %blk, %n : index
    %flat = arith.addi %f0, %thr : index
    %c10 = arith.constant 10 : index
    %v0 = arith.muli %bz, %c10 : index
    %v1 = arith.addi %v0, %by : index
    %v2 = arith.muli %v1, %c10 : index
    %v3 = arith.addi %v2, %bx : index
    %v4 = arith.muli %v3, %c10 : index
    %v5 = arith.addi %v4, %tz : index
    %v6 = arith.muli %v5, %c10 : index
    %v7 = arith.addi %v6, %ty : index
    %v8 = arith.muli %v7, %c10 : index
    %v9 = arith.addi %v8, %tx : index
    %val = arith.index_cast %v9 : index to i64
    %idx = arith.index_cast %flat : index to i64
    %q = llvm.getelementptr %out[%idx] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    llvm.store %val, %q : i64, !llvm.ptr
    gpu.return
  }
  gpu.func @sync(%out: !llvm.ptr) kernel {
    %t = gpu.thread_id x
    %n = gpu.block_dim x
    %ti = arith.index_cast %t : index to i64
    %ni = arith.index_cast %n : index to i64
    %p = llvm.getelementptr %out[%ti] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    llvm.store %ti, %p : i64, !llvm.ptr
    gpu.barrier
    %c1 = arith.constant 1 : i64
    %t1 = arith.addi %ti, %c1 : i64
    %j = arith.remui %t1, %ni : i64
    %q = llvm.getelementptr %out[%j] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    %v = llvm.load %q : !llvm.ptr -> i64
    %o = arith.addi %ni, %ti : i64
    %r = llvm.getelementptr %out[%o] : (!llvm.ptr, i64) -> !llvm.ptr, i64
    llvm.store %v, %r : i64, !llvm.ptr
    gpu.return
  }
  gpu.func @lane(%out: !llvm.ptr) kernel {
    %l = nvvm.read.ptx.sreg.laneid : i32
    llvm.store %l, %out : i32, !llvm.ptr
    gpu.return
  }
}
)mlir";

class HostKernelsTest : public KernelBuildTest {
protected:
  std::unique_ptr<HostKernels> jit() {
    auto m = mlir::parseSourceString<mlir::ModuleOp>(kKernels, &ctx);
    EXPECT_TRUE(m);
    module = std::move(m);
    std::string err;
    auto hk = HostKernels::create(*module, err);
    EXPECT_TRUE(hk) << err;
    return hk;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Launches GEMM kernel `name` (A, As, B, Bs, C, M, N, K) with the mma.sync
/// family's launch for `t`, C poisoned past M x N, and checks every element
/// against the product of the dequantized operands `ad` [M, K], `bd`
/// [N, K]: per block, exact products rounded to f32, scaled, summed with
/// fma (2^-20 of the magnitude covers those roundings).
void checkGemm(HostKernels &hk, const std::string &name, KernelTarget t,
               const void *A, const void *As, const void *B, const void *Bs,
               int64_t M, int64_t N, int64_t K, const std::vector<float> &ad,
               const std::vector<float> &bd) {
  std::vector<float> C(M * N + 64, -12345.0f);
  LaunchConfig lc = getMXFP8GemmLaunchConfig(t, M, N);
  auto i32 = [](int64_t v) {
    return HostKernelArg{HostKernelArg::Kind::I32, uint64_t(v)};
  };
  std::string err;
  ASSERT_TRUE(hk.launch(
      name, {lc.gridX, lc.gridY, lc.gridZ}, {lc.blockX, lc.blockY, lc.blockZ},
      {ptr(A), ptr(As), ptr(B), ptr(Bs), ptr(C.data()), i32(M), i32(N), i32(K)},
      err))
      << err;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        ref += double(ad[m * K + k]) * bd[n * K + k];
        mag += std::fabs(double(ad[m * K + k]) * bd[n * K + k]);
      }
      ASSERT_LE(std::fabs(C[m * N + n] - ref), mag * 0x1p-20 + 1e-30)
          << name << " M=" << M << " N=" << N << " K=" << K << " at " << m
          << "," << n;
    }
  for (int64_t i = M * N; i < M * N + 64; ++i)
    ASSERT_EQ(C[i], -12345.0f) << name << " wrote past C at " << i;
}

TEST_F(HostKernelsTest, RunsEveryThreadWithItsBoundsGuard) {
  auto hk = jit();
  ASSERT_TRUE(hk);
  EXPECT_EQ(hk->kernels().size(), 3u);
  EXPECT_EQ(hk->allKernels().size(), 4u);
  const int64_t n = 300;
  std::vector<float> x(n), out(512, -7.0f);
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(i) * 0.37f;
  std::string err;
  ASSERT_TRUE(hk->launch("scaled_sqrt", {2, 1, 1}, {256, 1, 1},
                         {ptr(out.data()),
                          ptr(x.data()),
                          {HostKernelArg::Kind::I32, 3},
                          {HostKernelArg::Kind::I64, n}},
                         err))
      << err;
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(out[i], 3.0f * std::sqrt(x[i])) << i; // IEEE sqrt, one multiply
  for (int64_t i = n; i < 512; ++i)
    ASSERT_EQ(out[i], -7.0f) << "thread " << i << " passed its guard";
}

TEST_F(HostKernelsTest, ThreadAndBlockIdsInThreeDimensions) {
  auto hk = jit();
  ASSERT_TRUE(hk);
  std::array<int64_t, 3> grid{2, 3, 2}, block{2, 2, 3};
  std::vector<int64_t> out(2 * 3 * 2 * 2 * 2 * 3, -1);
  std::string err;
  ASSERT_TRUE(hk->launch("ids", grid, block, {ptr(out.data())}, err)) << err;
  size_t i = 0;
  for (int64_t bz = 0; bz < 2; ++bz)
    for (int64_t by = 0; by < 3; ++by)
      for (int64_t bx = 0; bx < 2; ++bx)
        for (int64_t tz = 0; tz < 3; ++tz)
          for (int64_t ty = 0; ty < 2; ++ty)
            for (int64_t tx = 0; tx < 2; ++tx)
              ASSERT_EQ(
                  out[i++],
                  ((((bz * 10 + by) * 10 + bx) * 10 + tz) * 10 + ty) * 10 + tx);
}

TEST_F(HostKernelsTest, RefusesCooperatingThreadsAndBadLaunches) {
  auto hk = jit();
  ASSERT_TRUE(hk);
  EXPECT_NE(hk->whyNot("lane").find("nvvm.read.ptx.sreg.laneid (not emulated"),
            std::string::npos)
      << hk->whyNot("lane");
  EXPECT_EQ(hk->whyNot("ids"), "");
  EXPECT_EQ(hk->whyNot("sync"), "");
  EXPECT_NE(hk->whyNot("nope").find("no kernel 'nope'"), std::string::npos);
  std::vector<float> buf(8);
  std::string err;
  EXPECT_FALSE(
      hk->launch("lane", {1, 1, 1}, {1, 1, 1}, {ptr(buf.data())}, err));
  EXPECT_NE(err.find("cannot run on the host"), std::string::npos) << err;
  EXPECT_FALSE(hk->launch("ids", {1, 1, 1}, {1, 1, 1}, {}, err));
  EXPECT_NE(err.find("takes 1 arguments, got 0"), std::string::npos) << err;
  EXPECT_FALSE(hk->launch("ids", {1, 1, 1}, {1, 1, 1},
                          {{HostKernelArg::Kind::I64, 0}}, err));
  EXPECT_NE(err.find("argument 0 must be a pointer, got an i64"),
            std::string::npos)
      << err;
  EXPECT_FALSE(hk->launch("ids", {0, 1, 1}, {1, 1, 1}, {ptr(buf.data())}, err));
  EXPECT_NE(err.find("must be positive"), std::string::npos) << err;
}

// bar.sync: every thread stores its id, waits at the barrier, then reads
// its neighbour's. Threads run one at a time until they park, so without
// the barrier thread 0 would read thread 1's slot before thread 1 wrote it.
TEST_F(HostKernelsTest, BarrierOrdersTheBlocksThreads) {
  auto hk = jit();
  ASSERT_TRUE(hk);
  for (int64_t n : {1, 37, 256}) {
    std::vector<int64_t> out(2 * n, -1);
    std::string err;
    ASSERT_TRUE(
        hk->launch("sync", {2, 1, 1}, {n, 1, 1}, {ptr(out.data())}, err))
        << err;
    for (int64_t t = 0; t < n; ++t)
      ASSERT_EQ(out[n + t], (t + 1) % n) << "n=" << n << " thread " << t;
  }
}

// The sm_89 MXFP8 GEMM (each lane loads its own fragments, then the warp's
// mma.sync.m16n8k32 e4m3): its lanes run as coroutines and the MMA is
// emulated with the PTX ISA's fragment layout. On ragged shapes (M, N not
// multiples of the 32x16 tile, K not of 32) with C poisoned, every element
// of C equals the MXFP8 product within the kernel's fp32 rounding and
// nothing outside M x N is written. (The same kernel matched the Executor
// on an H200: this also checks the emulator's layout.)
//
// The sm_120a kernel ("gemm120") is the same GEMM with the scales applied
// by the tensor core (mma.sync kind::mxf8f6f4.block_scale.scale_vec::1X
// ue8m0), emulated with the PTX ISA's scale-factor layout.
TEST_F(HostKernelsTest, WarpCollectiveGemmMatchesTheProduct) {
  namespace nx = quantc::numerics;
  for (auto [name, target] :
       {std::pair<const char *, KernelTarget>{"gemm", KernelTarget::SM89},
        {"gemm120", KernelTarget::SM120a}}) {
    // One module per target (a gpu.module has one target).
    mlir::OwningOpRef<mlir::ModuleOp> mod =
        mlir::ModuleOp::create(mlir::UnknownLoc::get(&ctx));
    ASSERT_TRUE(succeeded(buildMXFP8GemmKernel(*mod, name, target)));
    std::string err;
    auto hk = HostKernels::create(*mod, err);
    ASSERT_TRUE(hk) << err;
    ASSERT_EQ(hk->whyNot(name), "");
    std::mt19937 rng(5);
    std::normal_distribution<float> nd;
    for (auto [M, N, K] : {std::array<int64_t, 3>{37, 21, 100},
                           std::array<int64_t, 3>{64, 16, 32},
                           std::array<int64_t, 3>{5, 3, 7}}) {
      int64_t kb = (K + 31) / 32;
      std::vector<float> a(M * K), b(N * K);
      for (float &v : a)
        v = nd(rng) * std::exp2(float(int(rng() % 9) - 4));
      for (float &v : b)
        v = nd(rng);
      std::vector<uint8_t> A(M * K), As(M * kb), B(N * K), Bs(N * kb);
      nx::quantizeMX(a.data(), M, K, 32, nx::ElemFormat::E4M3FN,
                     nx::MXScaleMode::Floor, A.data(), As.data());
      nx::quantizeMX(b.data(), N, K, 32, nx::ElemFormat::E4M3FN,
                     nx::MXScaleMode::Floor, B.data(), Bs.data());
      std::vector<float> ad(M * K), bd(N * K);
      nx::dequantizeMX(A.data(), As.data(), M, K, 32, nx::ElemFormat::E4M3FN,
                       ad.data());
      nx::dequantizeMX(B.data(), Bs.data(), N, K, 32, nx::ElemFormat::E4M3FN,
                       bd.data());
      checkGemm(*hk, name, target, A.data(), As.data(), B.data(), Bs.data(), M,
                N, K, ad, bd);
    }
  }
}

// The int8 GEMM (mma.sync m16n8k32 s8/u8 -> s32): for every mix of signed
// and unsigned operands, zero points (none, A's, B's one or per column,
// both), weight scales (per column or one) and activation scales (one, or
// per row: dynamic per-token), on ragged shapes (K not a multiple of 32, M
// and N not of the tile), every element of C is f32(Σ (a - za)(b - zb[n]),
// exact) * (sa[m] * sb[n]) bit for bit, and nothing is written past C.
TEST_F(HostKernelsTest, Int8GemmIsTheExactIntegerSum) {
  std::mt19937 rng(11);
  int variant = 0;
  for (bool au : {false, true})
    for (bool bu : {false, true})
      for (int zp = 0; zp < 5; ++zp) {
        Int8GemmOperands ops;
        ops.aUnsigned = au;
        ops.bUnsigned = bu;
        ops.aZeroPoint = zp == 1 || zp == 4;
        ops.bZeroPoint = zp >= 2;
        ops.bZeroPointPerColumn = zp == 3 || zp == 4;
        ops.bScalePerColumn = zp != 2;
        ops.aScalePerRow = zp == 0 || zp == 3;
        std::string name = "i8_" + std::to_string(variant++);
        mlir::OwningOpRef<mlir::ModuleOp> mod =
            mlir::ModuleOp::create(mlir::UnknownLoc::get(&ctx));
        ASSERT_TRUE(succeeded(
            buildInt8GemmKernel(*mod, name, KernelTarget::SM90, ops)));
        std::string err;
        auto hk = HostKernels::create(*mod, err);
        ASSERT_TRUE(hk) << err;
        ASSERT_EQ(hk->whyNot(name), "");
        for (auto [M, N, K] : {std::array<int64_t, 3>{37, 21, 100},
                               std::array<int64_t, 3>{3, 5, 7}}) {
          auto code = [&](bool u) {
            return uint8_t(u ? rng() % 256 : uint8_t(int8_t(int(rng() % 256) - 128)));
          };
          std::vector<uint8_t> A(M * K), B(K * N), ZB(N);
          for (uint8_t &v : A)
            v = code(au);
          for (uint8_t &v : B)
            v = code(bu);
          for (uint8_t &v : ZB)
            v = code(bu);
          uint8_t ZA = code(au);
          std::vector<float> SB(N);
          for (float &v : SB)
            v = std::ldexp(float(1 + rng() % 1000), -int(10 + rng() % 8));
          // One scale (SA[0]) or one per row.
          std::vector<float> SA(M);
          for (float &v : SA)
            v = std::ldexp(float(1 + rng() % 1000), -int(8 + rng() % 6));
          auto val = [](uint8_t c, bool u) {
            return u ? int64_t(c) : int64_t(int8_t(c));
          };
          std::vector<float> C(M * N + 64, -12345.0f);
          LaunchConfig lc = getMXFP8GemmLaunchConfig(KernelTarget::SM90, M, N);
          auto i32 = [](int64_t v) {
            return HostKernelArg{HostKernelArg::Kind::I32, uint64_t(v)};
          };
          std::vector<HostKernelArg> args = {ptr(A.data()), ptr(SA.data()),
                                             ptr(B.data()), ptr(SB.data()),
                                             ptr(C.data())};
          if (ops.aZeroPoint)
            args.push_back(ptr(&ZA));
          if (ops.bZeroPoint)
            args.push_back(ptr(ZB.data()));
          args.insert(args.end(), {i32(M), i32(N), i32(K)});
          ASSERT_TRUE(hk->launch(name, {lc.gridX, lc.gridY, lc.gridZ},
                                 {lc.blockX, lc.blockY, lc.blockZ}, args, err))
              << err;
          for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
              int64_t za = ops.aZeroPoint ? val(ZA, au) : 0;
              int64_t zb = !ops.bZeroPoint ? 0
                           : ops.bZeroPointPerColumn ? val(ZB[n], bu)
                                                     : val(ZB[0], bu);
              int64_t sum = 0;
              for (int64_t k = 0; k < K; ++k)
                sum += (val(A[m * K + k], au) - za) *
                       (val(B[k * N + n], bu) - zb);
              float sb = ops.bScalePerColumn ? SB[n] : SB[0];
              float sa = ops.aScalePerRow ? SA[m] : SA[0];
              float want = float(int32_t(sum)) * (sa * sb);
              ASSERT_EQ(C[m * N + n], want)
                  << name << " M=" << M << " N=" << N << " K=" << K << " at "
                  << m << "," << n;
            }
          for (int64_t i = M * N; i < M * N + 64; ++i)
            ASSERT_EQ(C[i], -12345.0f) << name << " wrote past C at " << i;
        }
      }
}

// The int8 GEMM as a convolution (im2col of NCHW codes, a padding tap
// reading the zero point, the bias after the scales, the output NCHW):
// strides, pads and dilations, with and without zero points, against the
// exact integer sum bit for bit.
TEST_F(HostKernelsTest, Int8ConvIsTheExactIntegerSum) {
  std::mt19937 rng(12);
  struct Case {
    int64_t batch, C, H, W, M, KH, KW, sh, sw, pt, pl, pb, pr, dh, dw;
    bool zeroPoints;
  };
  int variant = 0;
  for (const Case &c :
       {Case{2, 3, 9, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true},
        Case{1, 4, 8, 8, 17, 3, 2, 2, 1, 0, 1, 1, 0, 1, 2, true},
        Case{3, 2, 5, 6, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, false}}) {
    int64_t OH = (c.H + c.pt + c.pb - c.dh * (c.KH - 1) - 1) / c.sh + 1;
    int64_t OW = (c.W + c.pl + c.pr - c.dw * (c.KW - 1) - 1) / c.sw + 1;
    Int8GemmOperands ops;
    ops.aZeroPoint = ops.bZeroPoint = ops.bZeroPointPerColumn = c.zeroPoints;
    ops.bias = true;
    ops.conv = Int8GemmOperands::Conv{c.C,  c.H,  c.W,  OH,   OW,
                                      c.KH, c.KW, c.sh, c.sw, c.pt,
                                      c.pl, c.dh, c.dw};
    std::string name = "i8conv_" + std::to_string(variant++);
    mlir::OwningOpRef<mlir::ModuleOp> mod =
        mlir::ModuleOp::create(mlir::UnknownLoc::get(&ctx));
    ASSERT_TRUE(
        succeeded(buildInt8GemmKernel(*mod, name, KernelTarget::SM89, ops)));
    std::string err;
    auto hk = HostKernels::create(*mod, err);
    ASSERT_TRUE(hk) << err;
    ASSERT_EQ(hk->whyNot(name), "");
    int64_t K = c.C * c.KH * c.KW, rows = c.batch * OH * OW;
    auto code = [&] { return int8_t(int(rng() % 256) - 128); };
    std::vector<int8_t> X(c.batch * c.C * c.H * c.W), Wt(c.M * K), ZB(c.M);
    for (int8_t &v : X)
      v = code();
    for (int8_t &v : Wt)
      v = code();
    for (int8_t &v : ZB)
      v = code();
    int8_t ZA = code();
    std::vector<float> SB(c.M), bias(c.M);
    for (int64_t m = 0; m < c.M; ++m) {
      SB[m] = std::ldexp(float(1 + rng() % 1000), -int(10 + rng() % 8));
      bias[m] = float(int(rng() % 200) - 100) / 64.0f;
    }
    float SA = 0.0213f;
    std::vector<float> out(rows * c.M + 64, -12345.0f);
    LaunchConfig lc = getMXFP8GemmLaunchConfig(KernelTarget::SM89, rows, c.M);
    auto i32 = [](int64_t v) {
      return HostKernelArg{HostKernelArg::Kind::I32, uint64_t(v)};
    };
    std::vector<HostKernelArg> args = {ptr(X.data()), ptr(&SA), ptr(Wt.data()),
                                       ptr(SB.data()), ptr(out.data())};
    if (c.zeroPoints)
      args.insert(args.end(), {ptr(&ZA), ptr(ZB.data())});
    args.insert(args.end(), {ptr(bias.data()), i32(rows), i32(c.M), i32(K)});
    ASSERT_TRUE(hk->launch(name, {lc.gridX, lc.gridY, lc.gridZ},
                           {lc.blockX, lc.blockY, lc.blockZ}, args, err))
        << err;
    int64_t za = c.zeroPoints ? ZA : 0;
    for (int64_t n = 0; n < c.batch; ++n)
      for (int64_t m = 0; m < c.M; ++m)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            int64_t zb = c.zeroPoints ? ZB[m] : 0, sum = 0;
            for (int64_t ci = 0; ci < c.C; ++ci)
              for (int64_t kh = 0; kh < c.KH; ++kh)
                for (int64_t kw = 0; kw < c.KW; ++kw) {
                  int64_t ih = oh * c.sh - c.pt + kh * c.dh,
                          iw = ow * c.sw - c.pl + kw * c.dw;
                  if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W)
                    continue; // padding: the dequantized input is 0
                  int64_t x = X[((n * c.C + ci) * c.H + ih) * c.W + iw];
                  int64_t w = Wt[((m * c.C + ci) * c.KH + kh) * c.KW + kw];
                  sum += (x - za) * (w - zb);
                }
            float want = float(int32_t(sum)) * (SA * SB[m]) + bias[m];
            int64_t at = ((n * c.M + m) * OH + oh) * OW + ow;
            ASSERT_EQ(out[at], want) << name << " at " << n << "," << m << ","
                                     << oh << "," << ow;
          }
    for (int64_t i = rows * c.M; i < rows * c.M + 64; ++i)
      ASSERT_EQ(out[i], -12345.0f) << name << " wrote past C at " << i;
  }
}

// sm_120a's FP4 GEMMs (mma.sync m16n8k64 kind::mxf4 2X ue8m0 and
// kind::mxf4nvf4 4X ue4m3, e2m1 codes two per byte): on ragged shapes (K
// odd: a half-filled last byte) every element of C equals the product of
// the dequantized operands (NVFP4 without its tensor scales, as the kernel
// leaves them to the caller) within f32 rounding.
TEST_F(HostKernelsTest, FP4BlockScaledGemmsMatchTheProduct) {
  namespace nx = quantc::numerics;
  std::mt19937 rng(9);
  std::normal_distribution<float> nd;
  for (BlockScaledGemm kind :
       {BlockScaledGemm::MXFP4, BlockScaledGemm::NVFP4}) {
    mlir::OwningOpRef<mlir::ModuleOp> mod =
        mlir::ModuleOp::create(mlir::UnknownLoc::get(&ctx));
    ASSERT_TRUE(succeeded(
        buildBlockScaledGemmKernel(*mod, "fp4", KernelTarget::SM120a, kind)));
    std::string err;
    auto hk = HostKernels::create(*mod, err);
    ASSERT_TRUE(hk) << err;
    ASSERT_EQ(hk->whyNot("fp4"), "");
    bool nv = kind == BlockScaledGemm::NVFP4;
    for (auto [M, N, K] : {std::array<int64_t, 3>{37, 21, 201},
                           std::array<int64_t, 3>{16, 8, 64}}) {
      std::vector<float> a(M * K), b(N * K);
      for (float &v : a)
        v = nd(rng) * std::exp2(float(int(rng() % 9) - 4));
      for (float &v : b)
        v = nd(rng);
      // One code per byte, then packed two per byte per row.
      int64_t sb = nv ? 16 : 32, ks = (K + sb - 1) / sb, kp = (K + 1) / 2;
      std::vector<uint8_t> Ac(M * K), Bc(N * K), As(M * ks), Bs(N * ks);
      std::vector<float> ad(M * K), bd(N * K);
      if (nv) {
        float ta, tb;
        ASSERT_FALSE(
            bool(nx::quantizeNVFP4(a.data(), M, K, Ac.data(), As.data(), ta)));
        ASSERT_FALSE(
            bool(nx::quantizeNVFP4(b.data(), N, K, Bc.data(), Bs.data(), tb)));
        // The kernel's C leaves out the two tensor scales.
        nx::dequantizeNVFP4(Ac.data(), As.data(), 1.0f, M, K, ad.data());
        nx::dequantizeNVFP4(Bc.data(), Bs.data(), 1.0f, N, K, bd.data());
      } else {
        nx::quantizeMX(a.data(), M, K, 32, nx::ElemFormat::E2M1FN,
                       nx::MXScaleMode::Floor, Ac.data(), As.data());
        nx::quantizeMX(b.data(), N, K, 32, nx::ElemFormat::E2M1FN,
                       nx::MXScaleMode::Floor, Bc.data(), Bs.data());
        nx::dequantizeMX(Ac.data(), As.data(), M, K, 32, nx::ElemFormat::E2M1FN,
                         ad.data());
        nx::dequantizeMX(Bc.data(), Bs.data(), N, K, 32, nx::ElemFormat::E2M1FN,
                         bd.data());
      }
      std::vector<uint8_t> A(M * kp), B(N * kp);
      for (int64_t m = 0; m < M; ++m)
        nx::pack4(Ac.data() + m * K, K, A.data() + m * kp);
      for (int64_t n = 0; n < N; ++n)
        nx::pack4(Bc.data() + n * K, K, B.data() + n * kp);
      checkGemm(*hk, "fp4", KernelTarget::SM120a, A.data(), As.data(), B.data(),
                Bs.data(), M, N, K, ad, bd);
    }
  }
}

// The block-scaled MMA's selectors (PTX ISA "Block Scaling for mma.sync"),
// which the GEMM kernels always pass as 0 with every lane and byte of a
// quad's scales equal: here every lane loads its own words, the scale
// registers hold a distinct code in every lane and byte except where the
// ISA reads (NaN, 0xFF, elsewhere), and the selectors are thread-id-a 1
// (lanes 2 and 3 of each quad), byte-id-a 2, thread-id-b 3, byte-id-b 1.
// D must be the product with row r scaled by lane 4(r%8) + 2 + r/8's byte
// 2 and column c by lane 4c + 3's byte 1; invalid selectors are errors.
constexpr const char *kBlockScaleKernel = R"mlir(
gpu.module @bs {
  gpu.func @mma(%w: !llvm.ptr, %out: !llvm.ptr, %tida32: i32, %bytea32: i32) kernel {
    %tida = arith.trunci %tida32 : i32 to i16
    %bytea = arith.trunci %bytea32 : i32 to i16
    %t = gpu.thread_id x
    %l = arith.index_cast %t : index to i64
    %c12 = arith.constant 12 : i64
    %base = arith.muli %l, %c12 : i64
    %v:12 = scf.execute_region -> (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, i32, i32) {
      %p0 = llvm.getelementptr %w[%base] : (!llvm.ptr, i64) -> !llvm.ptr, i32
      %a0 = llvm.load %p0 : !llvm.ptr -> i32
      %p1 = llvm.getelementptr %p0[1] : (!llvm.ptr) -> !llvm.ptr, i32
      %a1 = llvm.load %p1 : !llvm.ptr -> i32
      %p2 = llvm.getelementptr %p0[2] : (!llvm.ptr) -> !llvm.ptr, i32
      %a2 = llvm.load %p2 : !llvm.ptr -> i32
      %p3 = llvm.getelementptr %p0[3] : (!llvm.ptr) -> !llvm.ptr, i32
      %a3 = llvm.load %p3 : !llvm.ptr -> i32
      %p4 = llvm.getelementptr %p0[4] : (!llvm.ptr) -> !llvm.ptr, i32
      %b0 = llvm.load %p4 : !llvm.ptr -> i32
      %p5 = llvm.getelementptr %p0[5] : (!llvm.ptr) -> !llvm.ptr, i32
      %b1 = llvm.load %p5 : !llvm.ptr -> i32
      %p6 = llvm.getelementptr %p0[6] : (!llvm.ptr) -> !llvm.ptr, f32
      %c0 = llvm.load %p6 : !llvm.ptr -> f32
      %p7 = llvm.getelementptr %p0[7] : (!llvm.ptr) -> !llvm.ptr, f32
      %c1 = llvm.load %p7 : !llvm.ptr -> f32
      %p8 = llvm.getelementptr %p0[8] : (!llvm.ptr) -> !llvm.ptr, f32
      %c2 = llvm.load %p8 : !llvm.ptr -> f32
      %p9 = llvm.getelementptr %p0[9] : (!llvm.ptr) -> !llvm.ptr, f32
      %c3 = llvm.load %p9 : !llvm.ptr -> f32
      %p10 = llvm.getelementptr %p0[10] : (!llvm.ptr) -> !llvm.ptr, i32
      %sa = llvm.load %p10 : !llvm.ptr -> i32
      %p11 = llvm.getelementptr %p0[11] : (!llvm.ptr) -> !llvm.ptr, i32
      %sb = llvm.load %p11 : !llvm.ptr -> i32
      scf.yield %a0, %a1, %a2, %a3, %b0, %b1, %c0, %c1, %c2, %c3, %sa, %sb : i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, i32, i32
    }
    %tidb = arith.constant 3 : i16
    %byteb = arith.constant 1 : i16
    %d = nvvm.mma.block_scale A[%v#0, %v#1, %v#2, %v#3] B[%v#4, %v#5] C[%v#6, %v#7, %v#8, %v#9] scaleA[%v#10, %bytea, %tida] scaleB[%v#11, %byteb, %tidb] {blockScaleFormat = #nvvm.block_scale_format<ue8m0>, kind = #nvvm.block_scale_kind<mxf8f6f4>, multiplicandAPtxType = #nvvm.mma_type<e4m3>, multiplicandBPtxType = #nvvm.mma_type<e4m3>, scaleVecSize = #nvvm.scale_vec_size<x1>, shape = #nvvm.shape<m = 16, n = 8, k = 32>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %c4 = arith.constant 4 : i64
    %ob = arith.muli %l, %c4 : i64
    %q0 = llvm.getelementptr %out[%ob] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %d0 = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
    llvm.store %d0, %q0 : f32, !llvm.ptr
    %q1 = llvm.getelementptr %q0[1] : (!llvm.ptr) -> !llvm.ptr, f32
    %d1 = llvm.extractvalue %d[1] : !llvm.struct<(f32, f32, f32, f32)>
    llvm.store %d1, %q1 : f32, !llvm.ptr
    %q2 = llvm.getelementptr %q0[2] : (!llvm.ptr) -> !llvm.ptr, f32
    %d2 = llvm.extractvalue %d[2] : !llvm.struct<(f32, f32, f32, f32)>
    llvm.store %d2, %q2 : f32, !llvm.ptr
    %q3 = llvm.getelementptr %q0[3] : (!llvm.ptr) -> !llvm.ptr, f32
    %d3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32)>
    llvm.store %d3, %q3 : f32, !llvm.ptr
    gpu.return
  }
}
)mlir";

TEST_F(HostKernelsTest, BlockScaleSelectorsPickTheISAsLanesAndBytes) {
  namespace nx = quantc::numerics;
  auto m = mlir::parseSourceString<mlir::ModuleOp>(kBlockScaleKernel, &ctx);
  ASSERT_TRUE(m);
  std::string err;
  auto hk = HostKernels::create(*m, err);
  ASSERT_TRUE(hk) << err;
  ASSERT_EQ(hk->whyNot("mma"), "");
  std::mt19937 rng(17);
  // Logical A [16][32], B [32][8] e4m3 codes, C [16][8], scales.
  uint8_t A[16][32], B[32][8];
  float C[16][8];
  uint8_t sfA[16], sfB[8];
  for (auto &row : A)
    for (uint8_t &c : row)
      c = nx::encode(nx::ElemFormat::E4M3FN, float(int(rng() % 17) - 8) / 4);
  for (auto &row : B)
    for (uint8_t &c : row)
      c = nx::encode(nx::ElemFormat::E4M3FN, float(int(rng() % 17) - 8) / 4);
  for (auto &row : C)
    for (float &c : row)
      c = float(int(rng() % 9) - 4);
  for (uint8_t &s : sfA)
    s = uint8_t(120 + rng() % 15);
  for (uint8_t &s : sfB)
    s = uint8_t(120 + rng() % 15);
  // Lane words: the 8-bit m16n8k32 fragments, then scale-a and scale-b
  // with 0xFF (NaN) in every byte the ISA does not read.
  std::vector<uint32_t> w(32 * 12, 0);
  for (int lane = 0; lane < 32; ++lane) {
    uint32_t *x = &w[lane * 12];
    int g = lane / 4, t = lane % 4;
    for (int r = 0; r < 4; ++r)
      for (int j = 0; j < 4; ++j)
        x[r] |= uint32_t(A[g + 8 * (r & 1)][4 * t + j + 16 * (r >> 1)])
                << (8 * j);
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 4; ++j)
        x[4 + r] |= uint32_t(B[4 * t + j + 16 * r][g]) << (8 * j);
    for (int i = 0; i < 4; ++i)
      std::memcpy(&x[6 + i], &C[g + 8 * (i >> 1)][2 * t + (i & 1)], 4);
    x[10] = x[11] = 0xFFFFFFFFu;
  }
  for (int r = 0; r < 16; ++r) { // thread-id-a 1, byte-id-a 2
    uint32_t &s = w[(4 * (r % 8) + 2 + r / 8) * 12 + 10];
    s = (s & ~(0xFFu << 16)) | uint32_t(sfA[r]) << 16;
  }
  for (int c = 0; c < 8; ++c) { // thread-id-b 3, byte-id-b 1
    uint32_t &s = w[(4 * c + 3) * 12 + 11];
    s = (s & ~(0xFFu << 8)) | uint32_t(sfB[c]) << 8;
  }
  std::vector<float> out(128, -1.0f);
  auto sel = [](int64_t v) { // an i32 the kernel truncates to i16
    return HostKernelArg{HostKernelArg::Kind::I32, uint64_t(v)};
  };
  ASSERT_TRUE(hk->launch("mma", {1, 1, 1}, {32, 1, 1},
                         {ptr(w.data()), ptr(out.data()), sel(1), sel(2)},
                         err))
      << err;
  for (int lane = 0; lane < 32; ++lane)
    for (int i = 0; i < 4; ++i) {
      int row = lane / 4 + 8 * (i >> 1), col = 2 * (lane % 4) + (i & 1);
      double sum = 0;
      for (int k = 0; k < 32; ++k)
        sum += double(nx::decode(nx::ElemFormat::E4M3FN, A[row][k])) *
               nx::decode(nx::ElemFormat::E4M3FN, B[k][col]);
      double want = C[row][col] + sum * nx::decodeE8M0(sfA[row]) *
                                      nx::decodeE8M0(sfB[col]);
      ASSERT_EQ(out[lane * 4 + i], float(want))
          << "row " << row << " col " << col;
    }
  // thread-id-a 2 (the ISA allows 0 and 1) and byte-id-a 5: refused.
  for (auto [tid, byte] : {std::pair<int, int>{2, 0}, {0, 5}}) {
    EXPECT_FALSE(hk->launch("mma", {1, 1, 1}, {32, 1, 1},
                            {ptr(w.data()), ptr(out.data()), sel(tid),
                             sel(byte)},
                            err));
    EXPECT_NE(err.find("outside what the PTX ISA allows"), std::string::npos)
        << err;
  }
}

// A warp whose lanes do not all reach the MMA (here: a block of 16
// threads, half a warp) is an error, as mma.sync.aligned is undefined
// then; launches outside CUDA's limits or with an i32 out of range are
// refused; the kernels still run afterwards.
TEST_F(HostKernelsTest, WarpCollectiveErrorsAndLimits) {
  ASSERT_TRUE(
      succeeded(buildMXFP8GemmKernel(*top, "gemm", KernelTarget::SM89)));
  std::string err;
  auto hk = HostKernels::create(*top, err);
  ASSERT_TRUE(hk) << err;
  std::vector<uint8_t> A(64, 0x38), As(2, 127), B(8 * 64, 0x38), Bs(8 * 2, 127);
  std::vector<float> C(16 * 8, -1.0f);
  auto i32 = [](int64_t v) {
    return HostKernelArg{HostKernelArg::Kind::I32, uint64_t(v)};
  };
  std::vector<HostKernelArg> args = {
      ptr(A.data()), ptr(As.data()), ptr(B.data()), ptr(Bs.data()),
      ptr(C.data()), i32(1),         i32(8),        i32(64)};
  EXPECT_FALSE(hk->launch("gemm", {1, 1, 1}, {16, 1, 1}, args, err));
  EXPECT_NE(err.find("16 of the warp's 16 lanes reached a warp-collective MMA"),
            std::string::npos)
      << err;
  EXPECT_FALSE(hk->launch("gemm", {1, 1, 1}, {32, 64, 1}, args, err));
  EXPECT_NE(err.find("exceeds CUDA's limits"), std::string::npos) << err;
  std::vector<HostKernelArg> wide = args;
  wide[5] = i32(int64_t(1) << 40);
  EXPECT_FALSE(hk->launch("gemm", {1, 1, 1}, {32, 4, 1}, wide, err));
  EXPECT_NE(err.find("argument 5 does not fit an i32"), std::string::npos)
      << err;
  // 1.0 x 1.0 summed over K = 64 in row 0 of an 1 x 8 result.
  ASSERT_TRUE(hk->launch("gemm", {1, 1, 1}, {32, 4, 1}, args, err)) << err;
  for (int n = 0; n < 8; ++n)
    EXPECT_EQ(C[n], 64.0f) << n;
  EXPECT_EQ(C[8], -1.0f);
}

TEST_F(HostKernelsTest, NeedsAGpuModule) {
  std::string err;
  EXPECT_FALSE(HostKernels::create(*top, err));
  EXPECT_NE(err.find("no gpu.module"), std::string::npos) << err;
}

} // namespace
