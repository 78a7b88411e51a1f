//===- Parallel.h - the Executor's loop-level parallelism -------*- C++ -*-===//
//
// Kernels of every op family split large loops with parallelFor, and GEMMs
// split their rows or columns with sgemm (Gemm.h). All of it runs on one
// persistent pool of worker threads (Parallel.cpp): starting a std::thread
// per loop cost tens of microseconds, and OpenBLAS's own threads, spinning
// with sched_yield between GEMMs, competed with ours for the cores. The
// thread count is QUANTC_NUM_THREADS when set (a positive integer), else
// OpenBLAS's thread count (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / the core
// count); OpenBLAS itself is then set to one thread.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_PARALLEL_H
#define QUANTC_LIB_EXECUTOR_PARALLEL_H

#include <algorithm>
#include <cstdint>

namespace quantc::exec {

/// Threads parallelFor may use (read once per process).
int getNumThreads();

/// Items per thread below which a loop stays serial: handing work to a pool
/// thread costs a few microseconds (tens when it has gone to sleep), more
/// than a small loop of adds.
constexpr int64_t kElemGrain = 1 << 15;
/// The same for loops of transcendentals (exp, tanh: tens of cycles each).
constexpr int64_t kHeavyElemGrain = 1 << 11;

namespace detail {
using ChunkFn = void (*)(void *ctx, int64_t chunk);
/// Runs call(ctx, c) for every c in [0, chunks) on the pool and the calling
/// thread, and returns when all are done. Runs them serially on the caller
/// when called from inside a pool job (nested loops) or while another
/// thread's job holds the pool.
void runOnPool(int64_t chunks, ChunkFn call, void *ctx);
} // namespace detail

/// Runs fn(begin, end) over [0, n) in up to `threads` disjoint chunks.
/// Kernels write their outputs without locks; chunks must not throw (a
/// throw on a pool thread ends the process).
template <typename F> void runChunks(int64_t n, int64_t threads, F &fn) {
  if (n <= 0)
    return;
  if (threads <= 1) {
    fn(int64_t(0), n);
    return;
  }
  struct Ctx {
    F *fn;
    int64_t n, chunk;
  } ctx{&fn, n, (n + threads - 1) / threads};
  detail::runOnPool(
      (n + ctx.chunk - 1) / ctx.chunk,
      [](void *p, int64_t c) {
        auto *x = static_cast<Ctx *>(p);
        int64_t b = c * x->chunk;
        (*x->fn)(b, std::min(x->n, b + x->chunk));
      },
      &ctx);
}

/// fn(begin, end) over [0, n) on up to getNumThreads() threads, when there
/// are at least `grain` items per thread; serially otherwise.
template <typename F> void parallelFor(int64_t n, int64_t grain, F &&fn) {
  runChunks(n, std::min<int64_t>(getNumThreads(), grain > 0 ? n / grain : 1),
            fn);
}

/// parallelFor over n items that together cost about `work` element
/// operations: each thread gets at least ~256K of them.
template <typename F>
void parallelForWork(int64_t n, int64_t work, F &&fn) {
  runChunks(n, std::min<int64_t>({getNumThreads(), n, work / (1 << 18)}), fn);
}

} // namespace quantc::exec

#endif
