//===- Parallel.cpp - the Executor's thread count -------------------------===//
#include "Parallel.h"

#include <cblas.h>
#include <cstdlib>

int quantc::exec::getNumThreads() {
  static const int n = [] {
    if (const char *s = std::getenv("QUANTC_NUM_THREADS")) {
      int v = std::atoi(s);
      if (v > 0)
        return std::min(v, 256);
    }
    return std::max(1, openblas_get_num_threads());
  }();
  return n;
}
