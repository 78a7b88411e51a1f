//===- Gemm.cpp - the Executor's f32 GEMM over the thread pool ------------===//
#include "Gemm.h"
#include "Parallel.h"

#include <algorithm>
#include <cblas.h>

using namespace quantc::exec;

namespace {
/// Below this many multiply-adds a GEMM stays on one thread.
constexpr int64_t kMinParallelMacs = 1 << 18;

void serialGemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb,
                float beta, float *C, int64_t ldc) {
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0) { // a sum of nothing; BLAS would reject the leading dims of 0
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n)
        C[m * ldc + n] = beta == 0.0f ? 0.0f : beta * C[m * ldc + n];
    return;
  }
  cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans,
              tB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
              beta, C, ldc);
}
} // namespace

void quantc::exec::sgemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K,
                         float alpha, const float *A, int64_t lda,
                         const float *B, int64_t ldb, float beta, float *C,
                         int64_t ldc) {
  int64_t threads = std::min<int64_t>(
      getNumThreads(), std::max<int64_t>(1, M * N * K / kMinParallelMacs));
  if (threads <= 1 || M <= 0 || N <= 0) {
    serialGemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Each thread packs the whole of the operand it shares: all of B when
  // the rows are split, all of A when the columns are. Packing a cold
  // weight matrix costs about as much as 64 multiply-adds per element, so
  // share the smaller one: rows when N <= M (and there are rows enough),
  // else columns, in multiples of 16 to keep the micro-kernel's full tiles.
  if (N <= M && M >= 32 * threads) {
    auto rows = [&](int64_t b, int64_t e) {
      serialGemm(tA, tB, e - b, N, K, alpha, tA ? A + b : A + b * lda, lda, B,
                 ldb, beta, C + b * ldc, ldc);
    };
    runChunks(M, threads, rows);
    return;
  }
  int64_t blocks = (N + 15) / 16;
  threads = std::min(threads, blocks);
  auto cols = [&](int64_t b, int64_t e) {
    int64_t n0 = b * 16, n1 = std::min(N, e * 16);
    serialGemm(tA, tB, M, n1 - n0, K, alpha, A, lda,
               tB ? B + n0 * ldb : B + n0, ldb, beta, C + n0, ldc);
  };
  runChunks(blocks, threads, cols);
}

void quantc::exec::sgemmBatched(int64_t batch, int64_t M, int64_t N, int64_t K,
                                const float *A, const int64_t *aOffsets,
                                const float *B, const int64_t *bOffsets,
                                float *C) {
  if (M <= 0 || N <= 0)
    return;
  int64_t threads = getNumThreads();
  if (batch >= threads || M * N * K < kMinParallelMacs) {
    parallelForWork(batch, batch * M * N * K, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        serialGemm(false, false, M, N, K, 1.0f, A + aOffsets[i], K,
                   B + bOffsets[i], N, 0.0f, C + i * M * N, N);
    });
    return;
  }
  for (int64_t i = 0; i < batch; ++i)
    sgemm(false, false, M, N, K, 1.0f, A + aOffsets[i], K, B + bOffsets[i], N,
          0.0f, C + i * M * N, N);
}
