//===- ExecutorTest.cpp - tests of the reference interpreter --------------===//
//
// Checks quantc::Executor (include/quantc/Executor/Executor.h) against
// independent reimplementations: qc.qmatmul's blocked fp32 emulation bit for
// bit, quantize/dequantize against numerics::quantizeMX/dequantizeMX, the
// float ops against hand-written ONNX/numpy semantics, and the error paths
// (failure plus a diagnostic, never a crash).
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Executor/Executor.h"
#include "quantc/InitAll.h"
#include "quantc/Numerics/Formats.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace quantc;
namespace nx = quantc::numerics;

namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

class ExecutorTest : public ::testing::Test {
protected:
  ExecutorTest() {
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  OwningOpRef<ModuleOp> parse(llvm::StringRef src) {
    auto m = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(m) << "failed to parse:\n" << src.str();
    return m;
  }

  Type f32() { return Float32Type::get(&ctx); }
  Type e4m3() { return Float8E4M3FNType::get(&ctx); }
  Type e8m0() { return Float8E8M0FNUType::get(&ctx); }

  Tensor floats(llvm::ArrayRef<int64_t> shape, std::vector<float> v) {
    Tensor t = Tensor::makeFloat(f32(), shape);
    EXPECT_EQ((int64_t)v.size(), t.numElements());
    t.f = std::move(v);
    return t;
  }
  /// Float tensor filled with small integers (exact in every sum here).
  Tensor iota(llvm::ArrayRef<int64_t> shape, int mod = 7, int offset = 3) {
    Tensor t = Tensor::makeFloat(f32(), shape);
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.f[i] = float((i * 5 + 1) % mod - offset);
    return t;
  }

  MLIRContext ctx;
};

/// Collects every diagnostic's text while alive.
struct DiagCapture {
  std::string text;
  ScopedDiagnosticHandler handler;
  explicit DiagCapture(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          text += d.str();
          text += "\n";
          return success();
        }) {}
};

//===----------------------------------------------------------------------===//
// 1. qc.qmatmul against an independent reimplementation of the formula
//===----------------------------------------------------------------------===//

/// E4M3FN decoded from the bit fields (OCP FP8: bias 7, no Inf, S.1111.111
/// is NaN), independent of numerics::decode.
float refDecodeE4M3(uint8_t c) {
  int s = c >> 7, e = (c >> 3) & 0xF, m = c & 7;
  if (e == 15 && m == 7)
    return std::nanf("");
  double v = e == 0 ? std::ldexp(double(m), -9) : std::ldexp(double(8 + m), e - 10);
  return float(s ? -v : v);
}

/// E8M0: 2^(code - 127), 0xFF is NaN.
float refDecodeE8M0(uint8_t c) {
  return c == 0xFF ? std::nanf("") : std::ldexp(1.0f, int(c) - 127);
}

/// The spec of qc.qmatmul (QCOps.td, Executor.h): per K block of `blk`, an
/// fp32 partial sum of the exact products in k order, then
/// acc = fma(partial, sa * sb, acc). a: [M, K], b: [N, K], scales [., nb].
std::vector<float> refQMatMul(const std::vector<uint8_t> &a,
                              const std::vector<uint8_t> &as,
                              const std::vector<uint8_t> &b,
                              const std::vector<uint8_t> &bs, int64_t M,
                              int64_t N, int64_t K, int64_t blk) {
  int64_t nb = (K + blk - 1) / blk;
  std::vector<float> out(M * N);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.0f;
      for (int64_t kb = 0; kb < nb; ++kb) {
        float partial = 0.0f;
        for (int64_t k = kb * blk; k < std::min(K, (kb + 1) * blk); ++k) {
          // The product of two E4M3 values has at most 8 significant bits
          // and lies in [2^-18, 448^2]: exact in fp32 (and in double).
          float p = float(double(refDecodeE4M3(a[m * K + k])) *
                          double(refDecodeE4M3(b[n * K + k])));
          partial = partial + p;
        }
        float s = refDecodeE8M0(as[m * nb + kb]) * refDecodeE8M0(bs[n * nb + kb]);
        acc = std::fma(partial, s, acc);
      }
      out[m * N + n] = acc;
    }
  return out;
}

TEST_F(ExecutorTest, RefDecodersAgreeWithNumerics) {
  // Guards the reference itself: the bit-field decoder matches F5/F9.
  for (int c = 0; c < 256; ++c) {
    float r = refDecodeE4M3(c), n = nx::decode(nx::ElemFormat::E4M3FN, c);
    if (std::isnan(r))
      EXPECT_TRUE(std::isnan(n)) << c;
    else
      EXPECT_EQ(bitsOf(r), bitsOf(n)) << c;
    float rs = refDecodeE8M0(c), ns = nx::decodeE8M0(c);
    if (std::isnan(rs))
      EXPECT_TRUE(std::isnan(ns)) << c;
    else
      EXPECT_EQ(bitsOf(rs), bitsOf(ns)) << c;
  }
}

static const char *kQMatMulModule = R"mlir(
func.func @main(%a: tensor<3x70xf8E4M3FN>, %as: tensor<3x3xf8E8M0FNU>,
                %b: tensor<5x70xf8E4M3FN>, %bs: tensor<5x3xf8E8M0FNU>) -> tensor<3x5xf32> {
  %y = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<3x70xf8E4M3FN>, tensor<3x3xf8E8M0FNU>, tensor<5x70xf8E4M3FN>, tensor<5x3xf8E8M0FNU>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}
)mlir";

struct QMatMulData {
  std::vector<uint8_t> a, as, b, bs;
};

QMatMulData randomQMatMulData(uint64_t seed, int64_t M, int64_t N, int64_t K,
                              int64_t nb) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> code(0, 253), scale(120, 134);
  auto drawCode = [&]() -> uint8_t {
    // 254 non-NaN codes: 0..0x7E and 0x80..0xFE.
    int c = code(rng);
    return uint8_t(c < 0x7F ? c : c + 1);
  };
  QMatMulData d;
  for (int64_t i = 0; i < M * K; ++i)
    d.a.push_back(drawCode());
  for (int64_t i = 0; i < N * K; ++i)
    d.b.push_back(drawCode());
  for (int64_t i = 0; i < M * nb; ++i)
    d.as.push_back(uint8_t(scale(rng)));
  for (int64_t i = 0; i < N * nb; ++i)
    d.bs.push_back(uint8_t(scale(rng)));
  return d;
}

TEST_F(ExecutorTest, QMatMulMatchesReferenceBitExact) {
  // K = 70 = 32 + 32 + 6: the short last block sums only its 6 products.
  const int64_t M = 3, N = 5, K = 70, nb = 3;
  auto module = parse(kQMatMulModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    QMatMulData d = randomQMatMulData(seed, M, N, K, nb);
    for (uint8_t c : d.a)
      ASSERT_TRUE(c != 0x7F && c != 0xFF);
    std::vector<Tensor> in = {Tensor::makeBytes(e4m3(), {M, K}),
                              Tensor::makeBytes(e8m0(), {M, nb}),
                              Tensor::makeBytes(e4m3(), {N, K}),
                              Tensor::makeBytes(e8m0(), {N, nb})};
    in[0].bytes = d.a;
    in[1].bytes = d.as;
    in[2].bytes = d.b;
    in[3].bytes = d.bs;
    auto out = ex.run(in);
    ASSERT_TRUE(succeeded(out));
    ASSERT_EQ(out->size(), 1u);
    const Tensor &y = (*out)[0];
    EXPECT_EQ(y.kind, Tensor::Kind::Float);
    EXPECT_EQ(llvm::ArrayRef<int64_t>(y.shape), llvm::ArrayRef<int64_t>({M, N}));
    std::vector<float> ref = refQMatMul(d.a, d.as, d.b, d.bs, M, N, K, 32);
    ASSERT_EQ(y.f.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_FALSE(std::isnan(ref[i]));
      EXPECT_EQ(bitsOf(y.f[i]), bitsOf(ref[i]))
          << "seed " << seed << " element " << i << ": " << y.f[i] << " vs "
          << ref[i];
    }
  }
}

TEST_F(ExecutorTest, QMatMulBlockOrderIsObservable) {
  // A hand-computed value of the formula: block 0 holds 1.0 * 1.0 with
  // scale 2^12 * 2^12, block 1 holds 1.0 * 1.0 with scale 1; the fma
  // 1 * 1 + 2^24 rounds (ties to even) to 2^24, whereas the exact sum,
  // 2^24 + 1, would need 25 bits.
  auto module = parse(R"mlir(
func.func @main(%a: tensor<1x64xf8E4M3FN>, %as: tensor<1x2xf8E8M0FNU>,
                %b: tensor<1x64xf8E4M3FN>, %bs: tensor<1x2xf8E8M0FNU>) -> tensor<1x1xf32> {
  %y = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<1x64xf8E4M3FN>, tensor<1x2xf8E8M0FNU>, tensor<1x64xf8E4M3FN>, tensor<1x2xf8E8M0FNU>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  std::vector<Tensor> in = {Tensor::makeBytes(e4m3(), {1, 64}),
                            Tensor::makeBytes(e8m0(), {1, 2}),
                            Tensor::makeBytes(e4m3(), {1, 64}),
                            Tensor::makeBytes(e8m0(), {1, 2})};
  const uint8_t one = 0x38; // E4M3 1.0: exponent 7 (bias 7), mantissa 0
  in[0].bytes[0] = one;
  in[2].bytes[0] = one;
  in[0].bytes[32] = one;
  in[2].bytes[32] = one;
  in[1].bytes = {127 + 12, 127};
  in[3].bytes = {127 + 12, 127};
  auto out = ex.run(in);
  ASSERT_TRUE(succeeded(out));
  // Block 0: 1 * 2^24 = 2^24; block 1: fma(1, 1, 2^24) rounds to 2^24.
  EXPECT_EQ((*out)[0].f[0], 16777216.0f);
  EXPECT_EQ(bitsOf((*out)[0].f[0]),
            bitsOf(refQMatMul(in[0].bytes, in[1].bytes, in[2].bytes,
                              in[3].bytes, 1, 1, 64, 32)[0]));
}

TEST_F(ExecutorTest, QMatMulNaNScaleOnlyPoisonsItsRow) {
  // An E8M0 scale of 0xFF is NaN (F9): fma(partial, NaN, acc) is NaN for
  // every output of that lhs row (or rhs column), and nothing else.
  const int64_t M = 3, N = 5, K = 70, nb = 3;
  auto module = parse(kQMatMulModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  QMatMulData d = randomQMatMulData(7, M, N, K, nb);
  d.as[1 * nb + 2] = 0xFF; // lhs row 1, last (short) block
  std::vector<Tensor> in = {Tensor::makeBytes(e4m3(), {M, K}),
                            Tensor::makeBytes(e8m0(), {M, nb}),
                            Tensor::makeBytes(e4m3(), {N, K}),
                            Tensor::makeBytes(e8m0(), {N, nb})};
  in[0].bytes = d.a;
  in[1].bytes = d.as;
  in[2].bytes = d.b;
  in[3].bytes = d.bs;
  auto out = ex.run(in);
  ASSERT_TRUE(succeeded(out));
  std::vector<float> ref = refQMatMul(d.a, d.as, d.b, d.bs, M, N, K, 32);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float y = (*out)[0].f[m * N + n];
      if (m == 1) {
        EXPECT_TRUE(std::isnan(y)) << m << "," << n;
      } else {
        EXPECT_FALSE(std::isnan(y)) << m << "," << n;
        EXPECT_EQ(bitsOf(y), bitsOf(ref[m * N + n])) << m << "," << n;
      }
    }

  // Same on the rhs side: a NaN scale of rhs row n = 3 poisons column 3.
  d = randomQMatMulData(8, M, N, K, nb);
  d.bs[3 * nb + 0] = 0xFF;
  in[0].bytes = d.a;
  in[1].bytes = d.as;
  in[2].bytes = d.b;
  in[3].bytes = d.bs;
  out = ex.run(in);
  ASSERT_TRUE(succeeded(out));
  ref = refQMatMul(d.a, d.as, d.b, d.bs, M, N, K, 32);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float y = (*out)[0].f[m * N + n];
      if (n == 3) {
        EXPECT_TRUE(std::isnan(y)) << m << "," << n;
      } else {
        EXPECT_EQ(bitsOf(y), bitsOf(ref[m * N + n])) << m << "," << n;
      }
    }
}

TEST_F(ExecutorTest, QMatMulFlattensLeadingLhsDims) {
  // lhs [2, 3, 70] flattens to M = 6 (QCOps.td); result [2, 3, 5].
  const int64_t M = 6, N = 5, K = 70, nb = 3;
  auto module = parse(R"mlir(
func.func @main(%a: tensor<2x3x70xf8E4M3FN>, %as: tensor<2x3x3xf8E8M0FNU>,
                %b: tensor<5x70xf8E4M3FN>, %bs: tensor<5x3xf8E8M0FNU>) -> tensor<2x3x5xf32> {
  %y = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<2x3x70xf8E4M3FN>, tensor<2x3x3xf8E8M0FNU>, tensor<5x70xf8E4M3FN>, tensor<5x3xf8E8M0FNU>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  QMatMulData d = randomQMatMulData(11, M, N, K, nb);
  std::vector<Tensor> in = {Tensor::makeBytes(e4m3(), {2, 3, K}),
                            Tensor::makeBytes(e8m0(), {2, 3, nb}),
                            Tensor::makeBytes(e4m3(), {N, K}),
                            Tensor::makeBytes(e8m0(), {N, nb})};
  in[0].bytes = d.a;
  in[1].bytes = d.as;
  in[2].bytes = d.b;
  in[3].bytes = d.bs;
  auto out = ex.run(in);
  ASSERT_TRUE(succeeded(out));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*out)[0].shape),
            llvm::ArrayRef<int64_t>({2, 3, 5}));
  std::vector<float> ref = refQMatMul(d.a, d.as, d.b, d.bs, M, N, K, 32);
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_EQ(bitsOf((*out)[0].f[i]), bitsOf(ref[i])) << i;
}

//===----------------------------------------------------------------------===//
// 2. quantize / dequantize against numerics, and qmatmul vs float matmul
//===----------------------------------------------------------------------===//

TEST_F(ExecutorTest, QuantizeDequantizeMatchesNumericsBitExact) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x70xf32>) -> (tensor<?x70xf32>, tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>) {
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<?x70xf32> -> (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>)
  %d = qc.dequantize %c, %s {scheme = #qc.scheme<"mxfp8">} : (tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>) -> tensor<?x70xf32>
  return %d, %c, %s : tensor<?x70xf32>, tensor<?x70xf8E4M3FN>, tensor<?x3xf8E8M0FNU>
}
)mlir");
  ASSERT_TRUE(module);
  const int64_t rows = 6, K = 70, nb = 3;
  std::mt19937_64 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Tensor x = Tensor::makeFloat(f32(), {rows, K});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < K; ++k) {
      float v = normal(rng);
      switch (r) {
      case 1: v *= 1e-3f; if (k % 5 == 0) v = 0.0f; break; // small, zeros
      case 2: v = 0.0f; break;                             // all-zero blocks
      case 3: if (k == 5) v = std::nanf(""); break;       // NaN in block 0
      case 4: if (k == 40) v = INFINITY; break;            // Inf in block 1
      case 5: v = (k % 2) ? v * 1e30f : v * 1e-40f; break; // huge and subnormal
      }
      x.f[r * K + k] = v;
    }
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({x});
  ASSERT_TRUE(succeeded(out));
  ASSERT_EQ(out->size(), 3u);
  std::vector<uint8_t> codes(rows * K), scales(rows * nb);
  nx::quantizeMX(x.f.data(), rows, K, 32, nx::ElemFormat::E4M3FN,
                 nx::MXScaleMode::Floor, codes.data(), scales.data());
  std::vector<float> deq(rows * K);
  nx::dequantizeMX(codes.data(), scales.data(), rows, K, 32,
                   nx::ElemFormat::E4M3FN, deq.data());
  const Tensor &d = (*out)[0], &c = (*out)[1], &s = (*out)[2];
  EXPECT_EQ(llvm::ArrayRef<int64_t>(c.shape), llvm::ArrayRef<int64_t>({rows, K}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>(s.shape), llvm::ArrayRef<int64_t>({rows, nb}));
  EXPECT_EQ(c.kind, Tensor::Kind::Bytes);
  EXPECT_EQ(s.kind, Tensor::Kind::Bytes);
  EXPECT_EQ(c.bytes, codes);
  EXPECT_EQ(s.bytes, scales);
  ASSERT_EQ(d.f.size(), deq.size());
  for (size_t i = 0; i < deq.size(); ++i)
    EXPECT_EQ(bitsOf(d.f[i]), bitsOf(deq[i])) << i;
  // The special rows did what they should (F14): NaN/Inf blocks get 0xFF.
  EXPECT_EQ(s.bytes[3 * nb + 0], 0xFF);
  EXPECT_EQ(s.bytes[4 * nb + 1], 0xFF);
  EXPECT_EQ(s.bytes[2 * nb + 0], 0); // all-zero block: scale code 0
}

TEST_F(ExecutorTest, QuantizedMatMulCloseToFloatMatMul) {
  // x [4, 70] quantized at run time, W [70, 6] quantized ahead as codes
  // [6, 70] (K-contiguous) with E8M0 scales [6, 3].
  auto module = parse(R"mlir(
func.func @main(%x: tensor<4x70xf32>, %w: tensor<70x6xf32>, %wc: tensor<6x70xf8E4M3FN>, %ws: tensor<6x3xf8E8M0FNU>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %c, %s = qc.quantize %x {scheme = #qc.scheme<"mxfp8">} : tensor<4x70xf32> -> (tensor<4x70xf8E4M3FN>, tensor<4x3xf8E8M0FNU>)
  %q = qc.qmatmul %c, %s, %wc, %ws {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp8">, rhs_scheme = #qc.scheme<"mxfp8">} : (tensor<4x70xf8E4M3FN>, tensor<4x3xf8E8M0FNU>, tensor<6x70xf8E4M3FN>, tensor<6x3xf8E8M0FNU>) -> tensor<4x6xf32>
  %f = qc.matmul %x, %w : (tensor<4x70xf32>, tensor<70x6xf32>) -> tensor<4x6xf32>
  return %q, %f : tensor<4x6xf32>, tensor<4x6xf32>
}
)mlir");
  ASSERT_TRUE(module);
  const int64_t M = 4, N = 6, K = 70, nb = 3;
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Tensor x = Tensor::makeFloat(f32(), {M, K}), w = Tensor::makeFloat(f32(), {K, N});
  for (float &v : x.f)
    v = normal(rng);
  for (float &v : w.f)
    v = normal(rng) * 0.1f;
  std::vector<float> wt(N * K);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      wt[n * K + k] = w.f[k * N + n];
  Tensor wc = Tensor::makeBytes(e4m3(), {N, K}), ws = Tensor::makeBytes(e8m0(), {N, nb});
  nx::quantizeMX(wt.data(), N, K, 32, nx::ElemFormat::E4M3FN,
                 nx::MXScaleMode::Floor, wc.bytes.data(), ws.bytes.data());
  std::vector<uint8_t> xc(M * K), xs(M * nb);
  nx::quantizeMX(x.f.data(), M, K, 32, nx::ElemFormat::E4M3FN,
                 nx::MXScaleMode::Floor, xc.data(), xs.data());

  Executor ex(getEntryFunction(*module));
  auto out = ex.run({x, w, wc, ws});
  ASSERT_TRUE(succeeded(out));
  const Tensor &q = (*out)[0], &f = (*out)[1];

  // Float matmul is the plain product (sanity of the baseline).
  const double u = std::ldexp(1.0, -24);
  auto gamma = [&](double n) { return n * u / (1 - n * u); };
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double exact = 0, absSum = 0;
      for (int64_t k = 0; k < K; ++k) {
        exact += double(x.f[m * K + k]) * w.f[k * N + n];
        absSum += std::fabs(double(x.f[m * K + k]) * w.f[k * N + n]);
      }
      EXPECT_LE(std::fabs(f.f[m * N + n] - exact), gamma(K) * absSum);
    }

  // Bound on |q - f|. With the Floor scale (F12) a block's amax maps into
  // [256, 512) after division by its scale s; E4M3 saturates at 448, so the
  // clamp costs < 64/512 = 1/8 of |x|; normal rounding costs <= 2^-4 |x|;
  // subnormals (spacing 2^-9) cost <= 2^-10 * s absolutely. So each
  // dequantized element has |x^ - x| <= |x|/8 + 2^-10 s =: e(x). Then
  // |sum x^ w^ - sum x w| <= sum e(x)|w^| + |x| e(w), |w^| <= |w| + e(w);
  // plus the fp32 rounding of both sides: gamma(K + nb) sum |x^ w^| for the
  // blocked sum (nb fmas after <= 32-term sums), gamma(K) sum |x w| for f.
  auto err = [](float v, uint8_t scaleCode) {
    return std::fabs(double(v)) / 8 + std::ldexp(1.0, int(scaleCode) - 127 - 10);
  };
  double sumSq = 0, sumSqErr = 0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double bound = 0, absXW = 0;
      for (int64_t k = 0; k < K; ++k) {
        double xv = x.f[m * K + k], wv = wt[n * K + k];
        double ex = err(xv, xs[m * nb + k / 32]), ew = err(wv, ws.bytes[n * nb + k / 32]);
        double whatAbs = std::fabs(wv) + ew, xhatAbs = std::fabs(xv) + ex;
        bound += ex * whatAbs + std::fabs(xv) * ew;
        absXW += std::fabs(xv * wv);
        bound += gamma(K + nb) * xhatAbs * whatAbs;
      }
      bound += gamma(K) * absXW;
      double diff = std::fabs(double(q.f[m * N + n]) - f.f[m * N + n]);
      EXPECT_LE(diff, bound) << m << "," << n;
      sumSq += double(f.f[m * N + n]) * f.f[m * N + n];
      sumSqErr += diff * diff;
    }
  // And the bound is not vacuous in practice: FP8 keeps ~3 bits, so the
  // overall relative error is a few percent, well under 1/8.
  EXPECT_LT(std::sqrt(sumSqErr / sumSq), 0.125);
  EXPECT_GT(sumSqErr, 0.0); // quantization did something
}

//===----------------------------------------------------------------------===//
// 3. Float ops
//===----------------------------------------------------------------------===//

TEST_F(ExecutorTest, MatMulBatchBroadcasting) {
  // numpy: [2,1,3,4] @ [5,4,6] -> batch dims [2,1] and [5] broadcast to
  // [2,5]; out[i,j] = A[i,0] @ B[j], shape [2,5,3,6].
  auto module = parse(R"mlir(
func.func @main(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>, %c: tensor<3x4xf32>, %d: tensor<?x4x2xf32>) -> (tensor<2x5x3x6xf32>, tensor<?x3x2xf32>) {
  %0 = qc.matmul %a, %b : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  %1 = qc.matmul %c, %d : (tensor<3x4xf32>, tensor<?x4x2xf32>) -> tensor<?x3x2xf32>
  return %0, %1 : tensor<2x5x3x6xf32>, tensor<?x3x2xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Tensor a = iota({2, 1, 3, 4}), b = iota({5, 4, 6}, 9, 4), c = iota({3, 4}, 5, 2),
         d = iota({3, 4, 2}, 11, 5);
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({a, b, c, d});
  ASSERT_TRUE(succeeded(out));
  const Tensor &y = (*out)[0];
  ASSERT_EQ(llvm::ArrayRef<int64_t>(y.shape), llvm::ArrayRef<int64_t>({2, 5, 3, 6}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 5; ++j)
      for (int m = 0; m < 3; ++m)
        for (int n = 0; n < 6; ++n) {
          float s = 0; // small integers: every order gives the exact sum
          for (int k = 0; k < 4; ++k)
            s += a.f[(i * 3 + m) * 4 + k] * b.f[(j * 4 + k) * 6 + n];
          EXPECT_EQ(y.f[((i * 5 + j) * 3 + m) * 6 + n], s) << i << j << m << n;
        }
  // Rank-2 lhs against a batched rhs: [3,4] @ [3,4,2] -> [3,3,2].
  const Tensor &z = (*out)[1];
  ASSERT_EQ(llvm::ArrayRef<int64_t>(z.shape), llvm::ArrayRef<int64_t>({3, 3, 2}));
  for (int j = 0; j < 3; ++j)
    for (int m = 0; m < 3; ++m)
      for (int n = 0; n < 2; ++n) {
        float s = 0;
        for (int k = 0; k < 4; ++k)
          s += c.f[m * 4 + k] * d.f[(j * 4 + k) * 2 + n];
        EXPECT_EQ(z.f[(j * 3 + m) * 2 + n], s);
      }
}

TEST_F(ExecutorTest, BinaryOpsBroadcast) {
  auto module = parse(R"mlir(
func.func @main(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1x3xf32>, %d: tensor<4x1xf32>, %s: tensor<1xf32>, %z: tensor<f32>)
    -> (tensor<2x3xf32>, tensor<2x4x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>) {
  %0 = qc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = qc.sub %c, %d : (tensor<2x1x3xf32>, tensor<4x1xf32>) -> tensor<2x4x3xf32>
  %2 = qc.mul %a, %s : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  %3 = qc.div %a, %z : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %4 = qc.mul %z, %z : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %5 = qc.div %s, %a : (tensor<1xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<2x3xf32>, tensor<2x4x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>, tensor<2x3xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Tensor a = floats({2, 3}, {1, 2, 3, 4, 5, 6}), b = floats({3}, {10, 20, 30});
  Tensor c = floats({2, 1, 3}, {1, 2, 3, 4, 5, 6}), d = floats({4, 1}, {100, 200, 300, 400});
  Tensor s = floats({1}, {3}), z = floats({}, {2});
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({a, b, c, d, s, z});
  ASSERT_TRUE(succeeded(out));
  ASSERT_EQ(out->size(), 6u);
  EXPECT_EQ((*out)[0].f, std::vector<float>({11, 22, 33, 14, 25, 36}));
  const Tensor &o1 = (*out)[1];
  ASSERT_EQ(llvm::ArrayRef<int64_t>(o1.shape), llvm::ArrayRef<int64_t>({2, 4, 3}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(o1.f[(i * 4 + j) * 3 + k], c.f[i * 3 + k] - d.f[j]);
  EXPECT_EQ((*out)[2].f, std::vector<float>({3, 6, 9, 12, 15, 18}));
  EXPECT_EQ((*out)[3].f, std::vector<float>({0.5f, 1, 1.5f, 2, 2.5f, 3}));
  EXPECT_TRUE((*out)[4].shape.empty());
  EXPECT_EQ((*out)[4].f, std::vector<float>({4}));
  std::vector<float> e5;
  for (float v : a.f)
    e5.push_back(3.0f / v);
  EXPECT_EQ((*out)[5].f, e5);
}

TEST_F(ExecutorTest, ReluKeepsNaN) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<7xf32>) -> tensor<7xf32> {
  %0 = qc.relu %x : (tensor<7xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({floats({7}, {-1.5f, 0.0f, 2.5f, std::nanf(""), -0.0f,
                                  -INFINITY, INFINITY})});
  ASSERT_TRUE(succeeded(out));
  const std::vector<float> &y = (*out)[0].f;
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 2.5f);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_EQ(y[5], 0.0f);
  EXPECT_EQ(y[6], INFINITY);
}

TEST_F(ExecutorTest, ReshapeZeroCopiesAndMinusOneInfers) {
  // ONNX Reshape (allowzero = 0): 0 copies the input dim, -1 is inferred.
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x3x4xf32>) -> (tensor<?x12xf32>, tensor<?x6xf32>, tensor<?x3x2x2xf32>) {
  %0 = qc.reshape %x {shape = array<i64: 0, -1>} : (tensor<?x3x4xf32>) -> tensor<?x12xf32>
  %1 = qc.reshape %x {shape = array<i64: -1, 6>} : (tensor<?x3x4xf32>) -> tensor<?x6xf32>
  %2 = qc.reshape %x {shape = array<i64: 0, 0, 2, -1>} : (tensor<?x3x4xf32>) -> tensor<?x3x2x2xf32>
  return %0, %1, %2 : tensor<?x12xf32>, tensor<?x6xf32>, tensor<?x3x2x2xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Tensor x = iota({2, 3, 4}, 101, 0);
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({x});
  ASSERT_TRUE(succeeded(out));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*out)[0].shape), llvm::ArrayRef<int64_t>({2, 12}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*out)[1].shape), llvm::ArrayRef<int64_t>({4, 6}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*out)[2].shape),
            llvm::ArrayRef<int64_t>({2, 3, 2, 2}));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ((*out)[i].f, x.f) << i;
}

TEST_F(ExecutorTest, Transpose3D) {
  // result dim i is input dim perm[i]: out[i][j][k] = in[j][k][i] for
  // perm [2, 0, 1].
  auto module = parse(R"mlir(
func.func @main(%x: tensor<2x3x4xf32>, %c: tensor<2x3xf8E4M3FN>) -> (tensor<4x2x3xf32>, tensor<3x2xf8E4M3FN>) {
  %0 = qc.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %1 = qc.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3xf8E4M3FN>) -> tensor<3x2xf8E4M3FN>
  return %0, %1 : tensor<4x2x3xf32>, tensor<3x2xf8E4M3FN>
}
)mlir");
  ASSERT_TRUE(module);
  Tensor x = iota({2, 3, 4}, 101, 0);
  Tensor c = Tensor::makeBytes(e4m3(), {2, 3});
  c.bytes = {1, 2, 3, 4, 5, 6};
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({x, c});
  ASSERT_TRUE(succeeded(out));
  const Tensor &y = (*out)[0];
  ASSERT_EQ(llvm::ArrayRef<int64_t>(y.shape), llvm::ArrayRef<int64_t>({4, 2, 3}));
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(y.f[(i * 2 + j) * 3 + k], x.f[(j * 3 + k) * 4 + i]);
  EXPECT_EQ((*out)[1].kind, Tensor::Kind::Bytes);
  EXPECT_EQ((*out)[1].bytes, std::vector<uint8_t>({1, 4, 2, 5, 3, 6}));
}

TEST_F(ExecutorTest, ConstantsAndObserver) {
  // Dense, splat and byte constants; the observer sees every op once.
  auto module = parse(R"mlir(
func.func @main(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<3xf8E4M3FN>) {
  %c = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %h = arith.constant dense<0.5> : tensor<2xf32>
  %b = arith.constant dense<"0x013840"> : tensor<3xf8E4M3FN>
  %0 = qc.add %x, %c : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %1 = qc.mul %0, %h : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %1, %b : tensor<2x2xf32>, tensor<3xf8E4M3FN>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  int calls = 0;
  ex.setObserver([&](Operation *, llvm::ArrayRef<const Tensor *>,
                     llvm::ArrayRef<const Tensor *> results) {
    ++calls;
    EXPECT_EQ(results.size(), 1u);
  });
  auto out = ex.run({floats({2, 2}, {1, 1, 1, 1})});
  ASSERT_TRUE(succeeded(out));
  EXPECT_EQ(calls, 5);
  EXPECT_EQ((*out)[0].f, std::vector<float>({1, 1.5f, 2, 2.5f}));
  EXPECT_EQ((*out)[1].bytes, std::vector<uint8_t>({0x01, 0x38, 0x40}));
}

TEST_F(ExecutorTest, WatchedObserver) {
  // With a watch filter the observer sees only the watched ops, whose
  // operands are intact when it does; the others may take their dead
  // operands' buffers; the results are those of a plain run.
  auto module = parse(R"mlir(
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qc.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  %1 = qc.neg %0 : (tensor<4xf32>) -> tensor<4xf32>
  %2 = qc.relu %1 : (tensor<4xf32>) -> tensor<4xf32>
  %3 = qc.neg %2 : (tensor<4xf32>) -> tensor<4xf32>
  return %3 : tensor<4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  std::vector<std::vector<float>> seen;
  ex.setObserver(
      [&](Operation *op, llvm::ArrayRef<const Tensor *> operands,
          llvm::ArrayRef<const Tensor *> results) {
        EXPECT_TRUE(isa<qc::NegOp>(op));
        seen.push_back(operands[0]->f);
        seen.push_back(results[0]->f);
      },
      [](Operation *op) { return isa<qc::NegOp>(op); });
  auto out = ex.run({floats({4}, {-1, 2, -3, 4})});
  ASSERT_TRUE(succeeded(out));
  EXPECT_EQ((*out)[0].f, std::vector<float>({0, 0, 0, 0}));
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], std::vector<float>({0, 2, 0, 4}));
  EXPECT_EQ(seen[1], std::vector<float>({0, -2, 0, -4}));
  EXPECT_EQ(seen[2], std::vector<float>({0, 0, 0, 0}));
  EXPECT_EQ(seen[3], std::vector<float>({0, 0, 0, 0}));
}

TEST_F(ExecutorTest, ParallelForEachRunsEveryIndexOnce) {
  std::vector<std::atomic<int>> hits(1000);
  parallelForEach(1000, [&](int64_t i) { hits[i]++; });
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 1);
  EXPECT_GE(getExecutorThreads(), 1);
  parallelForEach(0, [&](int64_t) { ADD_FAILURE(); });
}

//===----------------------------------------------------------------------===//
// 4. Errors: failure plus a diagnostic, no crash
//===----------------------------------------------------------------------===//

static const char *kTwoInputModule = R"mlir(
func.func @main(%x: tensor<?x4xf32> {qc.name = "x"}, %c: tensor<4xf8E4M3FN> {qc.name = "codes"}) -> (tensor<?x4xf32> {qc.name = "y"}) {
  %0 = qc.relu %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
)mlir";

TEST_F(ExecutorTest, NamesFromAttributesOrDefaults) {
  auto module = parse(kTwoInputModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  EXPECT_EQ(ex.getInputNames(), std::vector<std::string>({"x", "codes"}));
  EXPECT_EQ(ex.getOutputNames(), std::vector<std::string>({"y"}));
  auto m2 = parse(R"mlir(
func.func @f(%a: tensor<1xf32>) -> tensor<1xf32> { return %a : tensor<1xf32> }
)mlir");
  ASSERT_TRUE(m2);
  Executor ex2(getEntryFunction(*m2)); // the only function
  EXPECT_EQ(ex2.getInputNames(), std::vector<std::string>({"input_0"}));
  EXPECT_EQ(ex2.getOutputNames(), std::vector<std::string>({"output_0"}));
}

TEST_F(ExecutorTest, NoEntryFunctionIsAnError) {
  auto module = parse(R"mlir(
func.func @f(%a: tensor<1xf32>) -> tensor<1xf32> { return %a : tensor<1xf32> }
func.func @g(%a: tensor<1xf32>) -> tensor<1xf32> { return %a : tensor<1xf32> }
)mlir");
  ASSERT_TRUE(module);
  DiagCapture diags(&ctx);
  EXPECT_FALSE(getEntryFunction(*module));
  EXPECT_NE(diags.text.find("no entry function"), std::string::npos) << diags.text;
}

TEST_F(ExecutorTest, WrongInputCount) {
  auto module = parse(kTwoInputModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  auto out = ex.run({floats({1, 4}, {1, 2, 3, 4})});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diags.text.find("expected 2 inputs, got 1"), std::string::npos)
      << diags.text;
}

TEST_F(ExecutorTest, WrongInputShape) {
  auto module = parse(kTwoInputModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  Tensor c = Tensor::makeBytes(e4m3(), {4});
  auto out = ex.run({iota({2, 5}), c});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diags.text.find("input 'x' has shape [2, 5] but the model expects [?, 4]"),
            std::string::npos)
      << diags.text;
  diags.text.clear();
  out = ex.run({iota({2, 4}), Tensor::makeBytes(e4m3(), {4, 1})}); // wrong rank
  EXPECT_TRUE(failed(out));
  EXPECT_NE(diags.text.find("input 'codes' has shape [4, 1]"), std::string::npos)
      << diags.text;
}

TEST_F(ExecutorTest, ReshapeThatCannotInfer) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x5xf32>) -> tensor<?x3xf32> {
  %0 = qc.reshape %x {shape = array<i64: -1, 3>} : (tensor<?x5xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
func.func @fixed(%x: tensor<?x4xf32>) -> tensor<2x6xf32> {
  %0 = qc.reshape %x {shape = array<i64: 2, 6>} : (tensor<?x4xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  EXPECT_TRUE(failed(ex.run({iota({2, 5})}))); // 10 elements, not a multiple of 3
  EXPECT_NE(diags.text.find("cannot reshape [2, 5]"), std::string::npos) << diags.text;
  EXPECT_TRUE(succeeded(ex.run({iota({3, 5})}))); // 15 = 5 x 3 is fine

  diags.text.clear();
  Executor fixed(module->lookupSymbol<func::FuncOp>("fixed"));
  EXPECT_TRUE(failed(fixed.run({iota({2, 4})}))); // 8 elements, not 12
  EXPECT_NE(diags.text.find("cannot reshape [2, 4] (8 elements)"), std::string::npos)
      << diags.text;
  EXPECT_TRUE(succeeded(fixed.run({iota({3, 4})})));
}

TEST_F(ExecutorTest, RuntimeBroadcastFailure) {
  auto module = parse(R"mlir(
func.func @main(%a: tensor<?x3xf32>, %b: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %0 = qc.add %a, %b : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  EXPECT_TRUE(failed(ex.run({iota({2, 3}), iota({4, 1})})));
  EXPECT_NE(diags.text.find("operand shapes [2, 3] and [4, 1] do not broadcast"),
            std::string::npos)
      << diags.text;
  auto ok = ex.run({iota({2, 3}), iota({1, 1})});
  ASSERT_TRUE(succeeded(ok));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*ok)[0].shape), llvm::ArrayRef<int64_t>({2, 3}));
}

npz::Array f32Array(std::string name, std::vector<int64_t> shape,
                    std::vector<float> v) {
  npz::Array a;
  a.name = std::move(name);
  a.dtype = npz::DType::F32;
  a.shape = std::move(shape);
  a.data.resize(v.size() * 4);
  std::memcpy(a.data.data(), v.data(), a.data.size());
  return a;
}

npz::Array u8Array(std::string name, std::vector<int64_t> shape,
                   std::vector<uint8_t> v) {
  npz::Array a;
  a.name = std::move(name);
  a.dtype = npz::DType::U8;
  a.shape = std::move(shape);
  a.data = std::move(v);
  return a;
}

TEST_F(ExecutorTest, BindInputs) {
  auto module = parse(kTwoInputModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  // Good: keyed by name, any order; codes as uint8 bit patterns.
  std::vector<npz::Array> arrays = {u8Array("codes", {4}, {1, 2, 3, 4}),
                                    f32Array("x", {2, 4}, {1, -2, 3, -4, 5, -6, 7, -8})};
  auto in = ex.bindInputs(arrays, "calib.npz");
  ASSERT_TRUE(succeeded(in));
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[0].kind, Tensor::Kind::Float);
  EXPECT_EQ((*in)[0].f, std::vector<float>({1, -2, 3, -4, 5, -6, 7, -8}));
  EXPECT_EQ((*in)[1].kind, Tensor::Kind::Bytes);
  EXPECT_EQ((*in)[1].bytes, std::vector<uint8_t>({1, 2, 3, 4}));
  auto out = ex.run(*in);
  ASSERT_TRUE(succeeded(out));
  auto outArrays = ex.toArrays(*out);
  ASSERT_EQ(outArrays.size(), 1u);
  EXPECT_EQ(outArrays[0].name, "y");
  EXPECT_EQ(outArrays[0].dtype, npz::DType::F32);
  EXPECT_EQ(outArrays[0].shape, std::vector<int64_t>({2, 4}));

  // float64 converts to f32.
  npz::Array x64;
  x64.name = "x";
  x64.dtype = npz::DType::F64;
  x64.shape = {1, 4};
  std::vector<double> dv = {0.5, -1.25, 3, 1e300};
  x64.data.resize(32);
  std::memcpy(x64.data.data(), dv.data(), 32);
  in = ex.bindInputs({x64, arrays[0]}, "calib.npz");
  ASSERT_TRUE(succeeded(in));
  EXPECT_EQ((*in)[0].f, std::vector<float>({0.5f, -1.25f, 3.0f, INFINITY}));
}

TEST_F(ExecutorTest, BindInputsErrors) {
  auto module = parse(kTwoInputModule);
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  npz::Array codes = u8Array("codes", {4}, {1, 2, 3, 4});

  // Missing key: names the key, the input index, and what the file has.
  auto r = ex.bindInputs({codes, f32Array("other", {1}, {0})}, "calib.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("calib.npz: no array named 'x' (the model's input 0); "
                            "it has: 'codes' 'other'"),
            std::string::npos)
      << diags.text;

  // Wrong dtype for a float input.
  diags.text.clear();
  npz::Array xi;
  xi.name = "x";
  xi.dtype = npz::DType::I32;
  xi.shape = {1, 4};
  xi.data.resize(16);
  r = ex.bindInputs({xi, codes}, "calib.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("calib.npz: input 'x' has dtype int32 but the model "
                            "expects float32"),
            std::string::npos)
      << diags.text;

  // Wrong dtype for a codes input.
  diags.text.clear();
  r = ex.bindInputs({f32Array("x", {1, 4}, {1, 2, 3, 4}),
                     f32Array("codes", {4}, {1, 2, 3, 4})},
                    "calib.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("input 'codes' has dtype float32"), std::string::npos)
      << diags.text;
  EXPECT_NE(diags.text.find("uint8 bit patterns"), std::string::npos) << diags.text;

  // Wrong shape.
  diags.text.clear();
  r = ex.bindInputs({f32Array("x", {2, 5}, std::vector<float>(10, 1.0f)), codes},
                    "calib.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("calib.npz: input 'x' has shape [2, 5] but the model "
                            "expects [?, 4]"),
            std::string::npos)
      << diags.text;
  diags.text.clear();
  r = ex.bindInputs({f32Array("x", {8}, std::vector<float>(8, 1.0f)), codes},
                    "calib.npz"); // wrong rank
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("input 'x' has shape [8]"), std::string::npos)
      << diags.text;
}

TEST_F(ExecutorTest, RandomInputsNeedFloatInputs) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x4xf32> {qc.name = "x"}, %idx: tensor<?xi64> {qc.name = "idx"}) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  EXPECT_TRUE(failed(ex.randomInputs(4, 1)));
  EXPECT_NE(diags.text.find("random calibration needs float inputs; input 'idx' is 'i64'"),
            std::string::npos)
      << diags.text;
}

//===----------------------------------------------------------------------===//
// 5. randomInputs
//===----------------------------------------------------------------------===//

TEST_F(ExecutorTest, RandomInputsDeterministicWithBatchDim) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x?x8xf32>, %y: tensor<3x?xf32>, %z: tensor<2x5xf32>) -> tensor<2x5xf32> {
  return %z : tensor<2x5xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  auto a = ex.randomInputs(7, 123), b = ex.randomInputs(7, 123),
       c = ex.randomInputs(7, 124);
  ASSERT_TRUE(succeeded(a) && succeeded(b) && succeeded(c));
  ASSERT_EQ(a->size(), 3u);
  // The leading dynamic dim is the batch, later dynamic dims are 1.
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*a)[0].shape), llvm::ArrayRef<int64_t>({7, 1, 8}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*a)[1].shape), llvm::ArrayRef<int64_t>({3, 7}));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*a)[2].shape), llvm::ArrayRef<int64_t>({2, 5}));
  bool anyDiff = false;
  double sum = 0, sumSq = 0;
  int64_t n = 0;
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].kind, Tensor::Kind::Float);
    ASSERT_EQ((int64_t)(*a)[i].f.size(), (*a)[i].numElements());
    for (size_t j = 0; j < (*a)[i].f.size(); ++j) {
      EXPECT_EQ(bitsOf((*a)[i].f[j]), bitsOf((*b)[i].f[j])); // same seed
      anyDiff |= (*a)[i].f[j] != (*c)[i].f[j];
      sum += (*a)[i].f[j];
      sumSq += double((*a)[i].f[j]) * (*a)[i].f[j];
      ++n;
    }
  }
  EXPECT_TRUE(anyDiff) << "a different seed gives different inputs";
  // Standard normal, loosely: 87 samples, mean within 4 sigma of 0.
  EXPECT_LT(std::fabs(sum / n), 4.0 / std::sqrt(double(n)));
  EXPECT_GT(sumSq / n, 0.4);
  EXPECT_LT(sumSq / n, 2.0);
  // Another batch size changes only the batch dim.
  auto d = ex.randomInputs(2, 123);
  ASSERT_TRUE(succeeded(d));
  EXPECT_EQ(llvm::ArrayRef<int64_t>((*d)[0].shape), llvm::ArrayRef<int64_t>({2, 1, 8}));
  // And the generated inputs run.
  EXPECT_TRUE(succeeded(ex.run(*a)));
}

} // namespace

namespace {
// An empty reduction (K = 0 at run time) is a sum of nothing: zeros, and no
// BLAS complaint about a leading dimension of 0.
TEST_F(ExecutorTest, MatMulEmptyReductionGivesZeros) {
  auto module = parse(R"mlir(
func.func @main(%a: tensor<2x?xf32>, %b: tensor<?x3xf32>) -> tensor<2x3xf32> {
  %0 = qc.matmul %a, %b : (tensor<2x?xf32>, tensor<?x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  auto out = ex.run({Tensor::makeFloat(f32(), {2, 0}), Tensor::makeFloat(f32(), {0, 3})});
  ASSERT_TRUE(succeeded(out));
  EXPECT_EQ((*out)[0].f, std::vector<float>(6, 0.0f));
}
} // namespace

namespace {
// Constant subgraphs (here a transpose of a weight) run once and are kept:
// later runs skip them, give the same results, and never write into the
// kept values (the one-use constant %c2 would otherwise be taken in place
// by qc.add).
TEST_F(ExecutorTest, ConstantCachingRunsConstantOpsOnce) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>) {
  %c = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %c2 = arith.constant dense<[[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]]> : tensor<2x3xf32>
  %t = qc.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %s = qc.add %c2, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = qc.matmul %x, %t : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %r = qc.relu %s : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r, %t, %c : tensor<2x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>
}
)mlir");
  ASSERT_TRUE(module);
  auto countOf = [](const Executor &ex, llvm::StringRef name) -> int64_t {
    for (const Executor::OpProfile &p : ex.getProfile())
      if (p.name == name)
        return p.count;
    return 0;
  };
  for (bool caching : {true, false}) {
    Executor ex(getEntryFunction(*module));
    ex.setConstantCaching(caching);
    ex.setProfiling(true);
    for (int run = 0; run < 3; ++run) {
      float v = float(run) - 15.0f; // -15, -14, -13: relu clips some
      auto out = ex.run({floats({2, 3}, std::vector<float>(6, v))});
      ASSERT_TRUE(succeeded(out));
      std::vector<float> want;
      for (float c : {10.0f, 20.0f, 30.0f, 40.0f, 50.0f, 60.0f})
        want.push_back(std::max(0.0f, c + v));
      EXPECT_EQ((*out)[0].f, want) << "run " << run;
      EXPECT_EQ((*out)[1].f, (std::vector<float>{1, 4, 2, 5, 3, 6}));
      EXPECT_EQ((*out)[2].f, (std::vector<float>{1, 2, 3, 4, 5, 6}));
    }
    EXPECT_EQ(countOf(ex, "arith.constant"), caching ? 2 : 6);
    EXPECT_EQ(countOf(ex, "qc.transpose"), caching ? 1 : 3);
    EXPECT_EQ(countOf(ex, "qc.add"), 3);
    EXPECT_EQ(countOf(ex, "qc.matmul"), 3);
  }
}

// A run that fails part-way leaves no half-filled cache behind: the next
// good run recomputes the constants.
TEST_F(ExecutorTest, ConstantCachingAfterAFailedRun) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %n = qc.neg %c : (tensor<2xf32>) -> tensor<2xf32>
  %s = qc.add %x, %n : (tensor<?xf32>, tensor<2xf32>) -> tensor<?xf32>
  return %s : tensor<?xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  {
    DiagCapture diags(&ctx);
    EXPECT_TRUE(failed(ex.run({floats({3}, {1, 2, 3})}))); // 3 vs 2
    EXPECT_NE(diags.text.find("do not broadcast"), std::string::npos) << diags.text;
  }
  for (int run = 0; run < 2; ++run) {
    auto out = ex.run({floats({2}, {5, 7})});
    ASSERT_TRUE(succeeded(out));
    EXPECT_EQ((*out)[0].f, (std::vector<float>{4, 5}));
  }
}
} // namespace

namespace {
// A GEMM whose only use is a bias add starts from the bias (beta 1) instead
// of a separate add. Small integers keep every sum exact, so fused and
// unfused must agree exactly: bias on either side, given as [N] or [1, N],
// defined before or after the product, and a full [M, N] addend (not a
// bias: not fused).
TEST_F(ExecutorTest, MatMulBiasAddFusion) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x4x3xf32>) -> (tensor<?x4x5xf32>, tensor<?x4x5xf32>, tensor<?x4x5xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0], [0.0, -1.0, 2.0, 1.0, 3.0], [2.0, 2.0, -2.0, 0.0, 1.0]]> : tensor<3x5xf32>
  %b1 = arith.constant dense<[10.0, 20.0, 30.0, 40.0, 50.0]> : tensor<5xf32>
  %m1 = qc.matmul %x, %w : (tensor<?x4x3xf32>, tensor<3x5xf32>) -> tensor<?x4x5xf32>
  %y1 = qc.add %m1, %b1 : (tensor<?x4x5xf32>, tensor<5xf32>) -> tensor<?x4x5xf32>
  %m2 = qc.matmul %x, %w : (tensor<?x4x3xf32>, tensor<3x5xf32>) -> tensor<?x4x5xf32>
  %b2 = arith.constant dense<[[-1.0, -2.0, -3.0, -4.0, -5.0]]> : tensor<1x5xf32>
  %y2 = qc.add %b2, %m2 : (tensor<1x5xf32>, tensor<?x4x5xf32>) -> tensor<?x4x5xf32>
  %m3 = qc.matmul %x, %w : (tensor<?x4x3xf32>, tensor<3x5xf32>) -> tensor<?x4x5xf32>
  %y3 = qc.add %m3, %y1 : (tensor<?x4x5xf32>, tensor<?x4x5xf32>) -> tensor<?x4x5xf32>
  return %y1, %y2, %y3 : tensor<?x4x5xf32>, tensor<?x4x5xf32>, tensor<?x4x5xf32>
}
)mlir");
  ASSERT_TRUE(module);
  float w[3][5] = {{1, 2, 3, 4, 5}, {0, -1, 2, 1, 3}, {2, 2, -2, 0, 1}};
  Tensor x = iota({2, 4, 3});
  std::vector<float> mm(2 * 4 * 5, 0.0f);
  for (int r = 0; r < 8; ++r)
    for (int n = 0; n < 5; ++n)
      for (int k = 0; k < 3; ++k)
        mm[r * 5 + n] += x.f[r * 3 + k] * w[k][n];
  std::vector<float> y1(40), y2(40), y3(40);
  for (int i = 0; i < 40; ++i) {
    y1[i] = mm[i] + 10.0f * (i % 5 + 1);
    y2[i] = mm[i] - float(i % 5 + 1);
    y3[i] = mm[i] + y1[i];
  }
  Executor ex(getEntryFunction(*module));
  for (int run = 0; run < 2; ++run) { // the second run reads cached biases
    auto out = ex.run({x});
    ASSERT_TRUE(succeeded(out));
    EXPECT_EQ((*out)[0].f, y1);
    EXPECT_EQ((*out)[1].f, y2);
    EXPECT_EQ((*out)[2].f, y3);
    EXPECT_EQ(llvm::ArrayRef<int64_t>((*out)[1].shape),
              llvm::ArrayRef<int64_t>({2, 4, 5}));
  }
}
} // namespace

namespace {
// A convolution followed by batch norm and ReLU as its only uses applies
// both in one pass over its result, with the kernels' own per-element
// arithmetic: the bits must equal the unfused ops' (an observer turns
// every fusion off). Covers a plain and a depthwise conv, batch-norm
// parameters defined before and after the conv (the latter fuse only once
// cached), and a conv whose result is also returned (no fusion).
TEST_F(ExecutorTest, ConvBatchNormReluEpilogueMatchesSeparateOps) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<?x2x5x5xf32>) -> (tensor<?x4x5x5xf32>, tensor<?x4x5x5xf32>, tensor<?x2x5x5xf32>, tensor<?x2x5x5xf32>) {
  %w = arith.constant dense<[[[[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [0.1, 0.2, 0.3]], [[-0.3, 0.6, 0.9], [0.0, 1.0, -1.25], [0.4, -0.8, 0.2]]], [[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.2, 0.2, 0.2], [0.2, 0.2, 0.2], [0.2, 0.2, 0.2]]], [[[-1.0, 0.5, 0.5], [0.5, -1.0, 0.5], [0.5, 0.5, -1.0]], [[0.3, -0.7, 0.11], [0.13, 0.17, -0.19], [0.23, 0.29, -0.31]]], [[[0.9, 0.8, 0.7], [0.6, 0.5, 0.4], [0.3, 0.2, 0.1]], [[-0.1, -0.2, -0.3], [-0.4, -0.5, -0.6], [-0.7, -0.8, -0.9]]]]> : tensor<4x2x3x3xf32>
  %sc = arith.constant dense<[1.5, 0.7, -0.3, 2.0]> : tensor<4xf32>
  %bi = arith.constant dense<[0.1, -0.2, 0.3, -0.4]> : tensor<4xf32>
  %mu = arith.constant dense<[0.05, -0.15, 0.25, 0.0]> : tensor<4xf32>
  %va = arith.constant dense<[0.9, 1.1, 0.3, 2.5]> : tensor<4xf32>
  %c = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x2x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x5x5xf32>
  %n = qc.batch_norm %c, %sc, %bi, %mu, %va {epsilon = 1.0e-05 : f32} : (tensor<?x4x5x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x5x5xf32>
  %r = qc.relu %n : (tensor<?x4x5x5xf32>) -> tensor<?x4x5x5xf32>
  %c2 = qc.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<?x2x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x5x5xf32>
  %dw = arith.constant dense<[[[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]], [[[-0.5, 0.25, -0.125], [1.0, -2.0, 1.0], [0.3, 0.3, 0.3]]]]> : tensor<2x1x3x3xf32>
  %d = qc.conv %x, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<?x2x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<?x2x5x5xf32>
  %sc2 = arith.constant dense<[0.8, -1.2]> : tensor<2xf32>
  %bi2 = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %mu2 = arith.constant dense<[0.1, 0.2]> : tensor<2xf32>
  %va2 = arith.constant dense<[1.5, 0.5]> : tensor<2xf32>
  %dn = qc.batch_norm %d, %sc2, %bi2, %mu2, %va2 {epsilon = 1.0e-03 : f32} : (tensor<?x2x5x5xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x5x5xf32>
  %d2 = qc.conv %x, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<?x2x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<?x2x5x5xf32>
  %dr = qc.relu %d2 : (tensor<?x2x5x5xf32>) -> tensor<?x2x5x5xf32>
  return %r, %c2, %dn, %dr : tensor<?x4x5x5xf32>, tensor<?x4x5x5xf32>, tensor<?x2x5x5xf32>, tensor<?x2x5x5xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Tensor x = Tensor::makeFloat(f32(), {3, 2, 5, 5});
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.f[i] = std::sin(0.37f * float(i)) * 2.0f;
  // The reference: every op on its own (an observer disables fusion).
  Executor plain(getEntryFunction(*module));
  plain.setObserver([](Operation *, llvm::ArrayRef<const Tensor *>,
                       llvm::ArrayRef<const Tensor *>) {});
  auto want = plain.run({x});
  ASSERT_TRUE(succeeded(want));
  // Some outputs are clipped by ReLU, some negative after batch norm.
  EXPECT_TRUE(llvm::any_of((*want)[0].f, [](float v) { return v == 0.0f; }));
  EXPECT_TRUE(llvm::any_of((*want)[2].f, [](float v) { return v < 0.0f; }));
  Executor ex(getEntryFunction(*module));
  for (int run = 0; run < 3; ++run) {
    auto got = ex.run({x});
    ASSERT_TRUE(succeeded(got));
    for (size_t k = 0; k < want->size(); ++k)
      EXPECT_EQ((*got)[k].f, (*want)[k].f) << "output " << k << ", run " << run;
  }
}
} // namespace

namespace {
// Review findings on the bias-add fusion: (1) a product of two constants is
// cached itself and must not be fused into its (run-time) add; (2) whether
// an add fuses must not depend on what an earlier run cached: a bias made by
// a constant op placed after the product (here qc.relu of a constant) is
// not fused in any run, so runs 1 and 2 give the same bits even when
// OpenBLAS splits K (4096) into several blocks, where fused and unfused
// sums differ.
TEST_F(ExecutorTest, BiasFusionIsDecidedByTheIROnly) {
  auto module = parse(R"mlir(
func.func @main(%x: tensor<2xf32>, %a: tensor<8x4096xf32>, %w: tensor<4096x16xf32>) -> (tensor<2x2xf32>, tensor<8x16xf32>) {
  %c1 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c2 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %m = qc.matmul %c1, %c2 : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = qc.add %m, %x : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %p = qc.matmul %a, %w : (tensor<8x4096xf32>, tensor<4096x16xf32>) -> tensor<8x16xf32>
  %bc = arith.constant dense<[0.3, -0.7, 1.1, 2.5, -3.25, 0.125, 7.0, -1.0, 0.01, 0.02, -0.03, 0.04, 5.5, -6.5, 0.75, 0.0]> : tensor<16xf32>
  %b = qc.relu %bc : (tensor<16xf32>) -> tensor<16xf32>
  %z = qc.add %p, %b : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  return %y, %z : tensor<2x2xf32>, tensor<8x16xf32>
}
)mlir");
  ASSERT_TRUE(module);
  Tensor a = Tensor::makeFloat(f32(), {8, 4096}), w = Tensor::makeFloat(f32(), {4096, 16});
  for (int64_t i = 0; i < a.numElements(); ++i)
    a.f[i] = std::sin(0.001f * float(i * 7 + 1));
  for (int64_t i = 0; i < w.numElements(); ++i)
    w.f[i] = std::cos(0.003f * float(i * 3 + 2));
  Executor ex(getEntryFunction(*module));
  std::vector<float> first;
  for (int run = 0; run < 3; ++run) {
    auto out = ex.run({floats({2}, {10, 20}), a, w});
    ASSERT_TRUE(succeeded(out));
    EXPECT_EQ((*out)[0].f, (std::vector<float>{11, 22, 13, 24})) << "run " << run;
    if (run == 0)
      first = (*out)[1].f;
    else
      EXPECT_EQ((*out)[1].f, first) << "run " << run;
  }
}
} // namespace
