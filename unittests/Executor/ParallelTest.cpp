//===- ParallelTest.cpp - the Executor's pool, GEMM split and copies ------===//
//
// The pool (Parallel.h) must run every chunk exactly once, also for nested
// loops and for loops submitted from several threads at once; the split
// GEMM (Gemm.h) must equal a plain sgemm; copyStrided (Strided.h) must equal
// an element-by-element reference for transposes, slices and broadcasts.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "Parallel.h"
#include "Strided.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cblas.h>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

using namespace quantc;
using namespace quantc::exec;

namespace {

TEST(ParallelTest, EveryIndexOnce) {
  for (int64_t n : {0, 1, 2, 3, 7, 1000, 1 << 20}) {
    std::vector<std::atomic<int>> hits(n);
    auto count = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        hits[i].fetch_add(1);
    };
    for (int threads : {1, 2, 3, 8})
      runChunks(n, threads, count);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(hits[i].load(), 4) << "n=" << n << " i=" << i;
  }
}

TEST(ParallelTest, ManyJobsInARow) {
  // Back-to-back jobs: a worker that wakes late must not run a chunk of the
  // next job with the last one's state.
  std::vector<int64_t> sums(2000, 0);
  for (int job = 0; job < 2000; ++job) {
    std::atomic<int64_t> sum{0};
    parallelFor(4096, 1, [&](int64_t b, int64_t e) {
      int64_t s = 0;
      for (int64_t i = b; i < e; ++i)
        s += i + job;
      sum.fetch_add(s);
    });
    sums[job] = sum.load();
  }
  for (int job = 0; job < 2000; ++job)
    ASSERT_EQ(sums[job], 4096 * 4095 / 2 + 4096 * (int64_t)job);
}

TEST(ParallelTest, NestedLoopsRunSerially) {
  std::vector<std::atomic<int>> hits(64 * 64);
  parallelFor(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallelFor(64, 1, [&](int64_t b2, int64_t e2) {
        for (int64_t j = b2; j < e2; ++j)
          hits[i * 64 + j].fetch_add(1);
      });
  });
  for (auto &h : hits)
    ASSERT_EQ(h.load(), 1);
}

TEST(ParallelTest, ConcurrentSubmitters) {
  // Two threads submit at once: one gets the pool, the other runs its loop
  // on itself; both see every index.
  auto work = [](int64_t *out) {
    for (int rep = 0; rep < 200; ++rep) {
      std::atomic<int64_t> sum{0};
      parallelFor(10000, 1, [&](int64_t b, int64_t e) {
        int64_t s = 0;
        for (int64_t i = b; i < e; ++i)
          s += i;
        sum.fetch_add(s);
      });
      if (sum.load() != 10000 * 9999 / 2)
        ++*out;
    }
  };
  int64_t bad1 = 0, bad2 = 0;
  std::thread t1(work, &bad1), t2(work, &bad2);
  t1.join();
  t2.join();
  EXPECT_EQ(bad1, 0);
  EXPECT_EQ(bad2, 0);
}

std::vector<float> randomFloats(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

TEST(GemmTest, SplitMatchesOneSgemm) {
  struct Case {
    int64_t M, N, K;
    bool tA, tB;
  };
  // Row splits (M large), column splits (M small, N large, ragged in 16),
  // transposed operands, K = 0, and a GEMM too small to split.
  for (Case c : {Case{512, 96, 64, false, false}, Case{8, 1000, 128, false, false},
                 Case{3, 2051, 77, false, true}, Case{300, 40, 200, true, false},
                 Case{64, 64, 0, false, false}, Case{5, 7, 3, false, false},
                 Case{130, 257, 129, true, true}}) {
    auto A = randomFloats(c.M * std::max<int64_t>(c.K, 1), 1);
    auto B = randomFloats(std::max<int64_t>(c.K, 1) * c.N, 2);
    int64_t lda = c.tA ? c.M : c.K, ldb = c.tB ? c.K : c.N;
    std::vector<float> got(c.M * c.N, 7.0f), want(c.M * c.N, 7.0f);
    sgemm(c.tA, c.tB, c.M, c.N, c.K, 1.0f, A.data(), std::max<int64_t>(lda, 1),
          B.data(), std::max<int64_t>(ldb, 1), 0.0f, got.data(), c.N);
    // The reference: the same products summed in double. The split runs the
    // same sgemm on sub-blocks, and OpenBLAS may pick another micro-kernel
    // for a block's edge, so results agree to float rounding of a K-term
    // sum, not bit for bit: |err| <= K * 2^-23 * sum|a||b| bounds it.
    for (int64_t m = 0; m < c.M; ++m)
      for (int64_t n = 0; n < c.N; ++n) {
        double s = 0, mag = 0;
        for (int64_t k = 0; k < c.K; ++k) {
          double a = c.tA ? A[k * c.M + m] : A[m * c.K + k];
          double b = c.tB ? B[n * c.K + k] : B[k * c.N + n];
          s += a * b;
          mag += std::fabs(a * b);
        }
        want[m * c.N + n] = (float)s;
        ASSERT_NEAR(got[m * c.N + n], s, (c.K + 1) * 0x1p-23 * mag + 1e-30)
            << c.M << "x" << c.N << "x" << c.K << " at " << m << "," << n;
      }
  }
}

TEST(GemmTest, BatchedMatchesPerBatch) {
  int64_t batch = 6, M = 40, N = 24, K = 16;
  auto A = randomFloats(batch * M * K, 3), B = randomFloats(2 * K * N, 4);
  std::vector<int64_t> aOff, bOff;
  for (int64_t i = 0; i < batch; ++i) {
    aOff.push_back(i * M * K);
    bOff.push_back((i % 2) * K * N); // a broadcast rhs
  }
  std::vector<float> got(batch * M * N), want(batch * M * N);
  sgemmBatched(batch, M, N, K, A.data(), aOff.data(), B.data(), bOff.data(),
               got.data());
  for (int64_t i = 0; i < batch; ++i)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f,
                A.data() + aOff[i], K, B.data() + bOff[i], N, 0.0f,
                want.data() + i * M * N, N);
  // Whole GEMMs per batch on one thread each: the same calls as the
  // reference, so the same bits.
  EXPECT_EQ(got, want);
}

class StridedTest : public ::testing::Test {
protected:
  mlir::MLIRContext ctx;
  mlir::Builder b{&ctx};

  /// The reference: one element at a time.
  template <typename T>
  std::vector<T> reference(const std::vector<T> &src, int64_t base,
                           llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<int64_t> st) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    std::vector<T> out(n);
    for (int64_t lin = 0; lin < n; ++lin) {
      int64_t rem = lin, off = base;
      for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
        off += (rem % shape[d]) * st[d];
        rem /= shape[d];
      }
      out[lin] = src[off];
    }
    return out;
  }

  void check(llvm::ArrayRef<int64_t> srcShape, llvm::ArrayRef<int64_t> shape,
             llvm::ArrayRef<int64_t> st, int64_t base = 0) {
    int64_t n = 1, outN = 1;
    for (int64_t d : srcShape)
      n *= d;
    // The case itself must stay inside the source.
    int64_t lo = base, hi = base;
    for (size_t d = 0; d < shape.size(); ++d) {
      outN *= shape[d];
      if (shape[d] > 0)
        (st[d] < 0 ? lo : hi) += st[d] * (shape[d] - 1);
    }
    ASSERT_TRUE(outN == 0 || (lo >= 0 && hi < n)) << "case reads outside";
    Tensor f = Tensor::makeFloat(b.getF32Type(), srcShape);
    Tensor i = Tensor::makeInt(b.getI64Type(), srcShape);
    Tensor u = Tensor::makeBytes(b.getIntegerType(8), srcShape);
    for (int64_t k = 0; k < n; ++k) {
      f.f[k] = (float)k;
      i.i[k] = k * 3 - 1000;
      u.bytes[k] = (uint8_t)(k * 7);
    }
    Tensor fo = Tensor::makeFloat(b.getF32Type(), shape);
    Tensor io = Tensor::makeInt(b.getI64Type(), shape);
    Tensor uo = Tensor::makeBytes(b.getIntegerType(8), shape);
    copyStrided(fo, f, base, shape, st);
    copyStrided(io, i, base, shape, st);
    copyStrided(uo, u, base, shape, st);
    ASSERT_EQ((int64_t)fo.f.size(), outN);
    EXPECT_EQ(fo.f, reference(f.f, base, shape, st));
    EXPECT_EQ(io.i, reference(i.i, base, shape, st));
    EXPECT_EQ(uo.bytes, reference(u.bytes, base, shape, st));
  }
};

TEST_F(StridedTest, Transposes) {
  // [S, H, D] -> [H, D, S] (the attention key transpose), ragged tiles.
  check({130, 4, 33}, {4, 33, 130}, {33, 1, 132});
  check({37, 45}, {45, 37}, {1, 45});                       // 2-D
  check({2, 3, 4, 5}, {2, 4, 3, 5}, {60, 5, 20, 1});        // (0,2,1,3)
  check({300, 300}, {300, 300}, {1, 300});                  // big: parallel tiles
  check({1, 5}, {5, 1}, {1, 5});                            // unit dims
}

TEST_F(StridedTest, SlicesAndBroadcasts) {
  check({4, 384}, {4, 128}, {384, 1}, 128);   // last-axis slice
  check({10, 10}, {3, 4}, {20, 2}, 11);       // steps of 2
  check({10}, {4}, {-2}, 9);                  // negative step
  check({3, 1}, {3, 50}, {1, 0});             // broadcast last dim
  check({1, 50}, {7, 50}, {0, 1});            // broadcast rows
  check({}, {}, {});                          // scalar
  check({0, 5}, {0, 5}, {5, 1});              // empty
}

TEST_F(StridedTest, CopyRange) {
  Tensor f = Tensor::makeFloat(b.getF32Type(), {10});
  std::iota(f.f.begin(), f.f.end(), 0.0f);
  Tensor o = Tensor::makeFloat(b.getF32Type(), {6});
  copyRange(o, 1, f, 4, 5);
  copyRange(o, 0, f, 0, 0);
  EXPECT_EQ(o.f, (std::vector<float>{0, 4, 5, 6, 7, 8}));
}

} // namespace
