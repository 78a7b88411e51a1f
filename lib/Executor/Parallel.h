//===- Parallel.h - the Executor's loop-level parallelism -------*- C++ -*-===//
//
// Kernels of every op family split large loops with parallelFor. The thread
// count is QUANTC_NUM_THREADS when set (a positive integer), else OpenBLAS's
// thread count (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / the core count), so
// elementwise work and GEMMs use the same number of threads.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_PARALLEL_H
#define QUANTC_LIB_EXECUTOR_PARALLEL_H

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace quantc::exec {

/// Threads parallelFor may use (read once per process).
int getNumThreads();

/// Items per thread below which a loop stays serial: a thread start costs
/// tens of microseconds, more than a small loop.
constexpr int64_t kElemGrain = 1 << 16;

/// Runs fn(begin, end) over [0, n) in `threads` disjoint chunks, the first
/// on the calling thread. Kernels write their outputs without locks.
template <typename F> void runChunks(int64_t n, int64_t threads, F &fn) {
  if (threads <= 1) {
    if (n > 0)
      fn(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  int64_t chunk = (n + threads - 1) / threads;
  for (int64_t t = 1; t < threads; ++t) {
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e)
      pool.emplace_back([&fn, b, e] { fn(b, e); });
  }
  fn(int64_t(0), std::min(n, chunk));
  for (std::thread &t : pool)
    t.join();
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
