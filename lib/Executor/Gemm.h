//===- Gemm.h - the Executor's f32 GEMM over the thread pool ----*- C++ -*-===//
//
// Row-major C = alpha * op(A) * op(B) + beta * C with OpenBLAS's
// single-threaded sgemm, split over the pool (Parallel.h) by rows or by
// columns of C (Gemm.cpp). Each element of C comes from one sgemm call over
// the whole K; the split depends on the shapes and the thread count only,
// so runs are reproducible (results may differ in the last bits between
// thread counts, as with OpenBLAS's own threading).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_GEMM_H
#define QUANTC_LIB_EXECUTOR_GEMM_H

#include <cstdint>

namespace quantc::exec {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K,
           float alpha, const float *A, int64_t lda, const float *B,
           int64_t ldb, float beta, float *C, int64_t ldc);

/// `batch` independent GEMMs C_i = A_i * B_i (no transposes, alpha 1,
/// beta 0) at the given element offsets: spread over the pool one GEMM per
/// task when there are enough of them, else each split as sgemm() does.
void sgemmBatched(int64_t batch, int64_t M, int64_t N, int64_t K,
                  const float *A, const int64_t *aOffsets, const float *B,
                  const int64_t *bOffsets, float *C);

} // namespace quantc::exec

#endif
