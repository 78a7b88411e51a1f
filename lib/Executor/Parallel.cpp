//===- Parallel.cpp - the Executor's thread pool --------------------------===//
//
// getNumThreads() - 1 workers, started on the first parallel loop and kept
// for the life of the process. A job is published through `current` and a
// generation counter; the workers and the submitting thread claim chunks
// from the job's counter. Between jobs a worker spins briefly (the
// interpreter's next op usually follows within microseconds), then sleeps
// on a condition variable.
//
// Lifetime of a job (it lives on the submitter's stack): a worker registers
// in `inside` before it reads `current`, and the submitter, after clearing
// `current`, waits until `inside` is zero. With sequentially consistent
// atomics a worker therefore either sees nullptr or holds the job until it
// has left it.
//
//===----------------------------------------------------------------------===//
#include "Parallel.h"
#include "quantc/Executor/Executor.h"

#include <atomic>
#include <cblas.h>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

using namespace quantc::exec;

extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace {
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

struct Job {
  detail::ChunkFn call;
  void *ctx;
  int64_t chunks;
  uint64_t gen;
  std::atomic<int64_t> next{0}, done{0};

  void work() {
    for (int64_t c; (c = next.fetch_add(1)) < chunks;) {
      call(ctx, c);
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

thread_local bool inPoolJob = false;

class Pool {
public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i)
      std::thread([this] { loop(); }).detach();
  }

  void run(int64_t chunks, detail::ChunkFn call, void *ctx) {
    // Nested (this thread runs a chunk of a job, maybe as its submitter,
    // which holds submitMu) or another thread's job holds the pool: run
    // serially. inPoolJob first: try-locking a mutex this thread holds is
    // undefined.
    auto serial = [&] {
      for (int64_t c = 0; c < chunks; ++c)
        call(ctx, c);
    };
    if (inPoolJob)
      return serial();
    std::unique_lock<std::mutex> submit(submitMu, std::try_to_lock);
    if (!submit.owns_lock())
      return serial();
    Job job;
    job.call = call;
    job.ctx = ctx;
    job.chunks = chunks;
    job.gen = ++lastGen;
    current.store(&job);
    gen.store(job.gen);
    if (sleeping.load()) {
      std::lock_guard<std::mutex> l(sleepMu);
      wake.notify_all();
    }
    inPoolJob = true;
    job.work();
    inPoolJob = false;
    while (job.done.load(std::memory_order_acquire) < chunks)
      cpuRelax();
    current.store(nullptr);
    while (inside.load())
      cpuRelax();
  }

private:
  void loop() {
    inPoolJob = true;
    uint64_t seen = 0;
    for (;;) {
      uint64_t g = waitForNewGeneration(seen);
      inside.fetch_add(1);
      if (Job *job = current.load()) {
        if (job->gen > seen)
          job->work();
        g = std::max(g, job->gen);
      }
      inside.fetch_sub(1);
      seen = g;
    }
  }

  uint64_t waitForNewGeneration(uint64_t seen) {
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    for (unsigned i = 1;; ++i) {
      uint64_t g = gen.load();
      if (g != seen)
        return g;
      if (i % 64 == 0 && Clock::now() - start > std::chrono::microseconds(200))
        break;
      cpuRelax();
    }
    std::unique_lock<std::mutex> l(sleepMu);
    sleeping.fetch_add(1);
    wake.wait(l, [&] { return gen.load() != seen; });
    sleeping.fetch_sub(1);
    return gen.load();
  }

  std::mutex submitMu, sleepMu;
  std::condition_variable wake;
  uint64_t lastGen = 0; // guarded by submitMu
  std::atomic<uint64_t> gen{0};
  std::atomic<Job *> current{nullptr};
  std::atomic<int> inside{0}, sleeping{0};
};

Pool &getPool() {
  // Never destroyed: detached workers may still be parked on it at exit.
  static Pool *pool = new Pool(getNumThreads() - 1);
  return *pool;
}
} // namespace

int quantc::exec::getNumThreads() {
  static const int n = [] {
    int v = 0;
    if (const char *s = std::getenv("QUANTC_NUM_THREADS"))
      v = std::min(std::atoi(s), 256);
    if (v <= 0)
      v = std::max(1, openblas_get_num_threads());
    // GEMMs are split over our pool (Gemm.cpp); OpenBLAS's own threads would
    // only contend with it.
    openblas_set_num_threads(1);
    // Lowering the count leaves OpenBLAS's workers (started when the library
    // loaded) spinning on sched_yield until their timeout, ~2^28 cycles:
    // for the first tenth of a second they took a core from our pool.
    // blas_thread_shutdown_ joins them; it is exported by the pthreads build
    // only, hence the weak reference. OpenBLAS starts them again itself if
    // it is ever given more than one thread.
    if (blas_thread_shutdown_)
      blas_thread_shutdown_();
    return v;
  }();
  return n;
}

void detail::runOnPool(int64_t chunks, ChunkFn call, void *ctx) {
  if (chunks <= 1 || getNumThreads() <= 1) {
    for (int64_t c = 0; c < chunks; ++c)
      call(ctx, c);
    return;
  }
  getPool().run(chunks, call, ctx);
}

void quantc::parallelForEach(int64_t n, llvm::function_ref<void(int64_t)> fn) {
  auto each = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      fn(i);
  };
  runChunks(n, std::min<int64_t>(getNumThreads(), n), each);
}

int quantc::getExecutorThreads() { return getNumThreads(); }
