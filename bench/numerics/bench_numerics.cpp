//===- bench_numerics.cpp - Throughput of the Numerics codecs -------------===//
//
// Usage: bench_numerics [rows k]   (default 4096 4096)
// Prints one JSON object per line: {"bench", "format", "mode", "gbps", ...};
// gbps counts f32 input bytes (encode/quantize) or f32 output bytes (decode).
// Single-threaded; times are thread CPU seconds (best of 7).
//
//===----------------------------------------------------------------------===//

#include "quantc/Numerics/Formats.h"

#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace quantc::numerics;

/// Thread CPU time, so that other processes on a loaded machine do not count.
static double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

/// Best of `reps` runs, in CPU seconds.
template <class Fn> static double bestSeconds(Fn &&fn, int reps = 7) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    double t0 = cpuSeconds();
    fn();
    double s = cpuSeconds() - t0;
    best = s < best ? s : best;
  }
  return best;
}

int main(int argc, char **argv) {
  int64_t rows = argc > 2 ? std::atoll(argv[1]) : 4096;
  int64_t k = argc > 2 ? std::atoll(argv[2]) : 4096;
  int64_t n = rows * k, nb = (k + 31) / 32;
  std::vector<float> x(static_cast<size_t>(n)), out(static_cast<size_t>(n));
  std::vector<uint8_t> codes(static_cast<size_t>(n));
  std::vector<uint8_t> scales(static_cast<size_t>(rows * nb));
  std::mt19937 gen(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float &v : x)
    v = dist(gen);
  double mb = double(n) * 4 / 1e9;
  struct {
    ElemFormat f;
    const char *name;
  } fmts[] = {{ElemFormat::E4M3FN, "f8E4M3FN"}, {ElemFormat::E5M2, "f8E5M2"},
              {ElemFormat::E2M3FN, "f6E2M3FN"}, {ElemFormat::E3M2FN, "f6E3M2FN"},
              {ElemFormat::E2M1FN, "f4E2M1FN"}, {ElemFormat::INT8, "i8"}};
  for (auto &f : fmts) {
    double s = bestSeconds([&] {
      quantizeMX(x.data(), rows, k, 32, f.f, MXScaleMode::Floor, codes.data(),
                 scales.data());
    });
    std::printf("{\"bench\": \"quantizeMX\", \"format\": \"%s\", \"rows\": %lld, "
                "\"k\": %lld, \"block\": 32, \"seconds\": %.6f, \"gbps\": %.3f}\n",
                f.name, (long long)rows, (long long)k, s, mb / s);
    s = bestSeconds([&] {
      dequantizeMX(codes.data(), scales.data(), rows, k, 32, f.f, out.data());
    });
    std::printf("{\"bench\": \"dequantizeMX\", \"format\": \"%s\", \"seconds\": "
                "%.6f, \"gbps\": %.3f}\n",
                f.name, s, mb / s);
    s = bestSeconds([&] { encodeArray(f.f, x.data(), n, codes.data()); });
    std::printf("{\"bench\": \"encodeArray\", \"format\": \"%s\", \"seconds\": "
                "%.6f, \"gbps\": %.3f}\n",
                f.name, s, mb / s);
  }
  return 0;
}
