//===- bench_numerics.cpp - Throughput of the Numerics codecs -------------===//
//
// Usage: bench_numerics [rows k]   (default 4096 4096)
// Prints one JSON object per line: {"bench", "format", "mode", "gbps", ...};
// gbps counts f32 input bytes (encode/quantize) or f32 output bytes (decode).
// Single-threaded; times are thread CPU seconds (best of 7).
//
//===----------------------------------------------------------------------===//

#include "quantc/Numerics/Formats.h"
#include "quantc/Numerics/Linear.h"

#include <cstring>

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

  // The four codecs, scales included, and memcpy of the same f32
  // bytes for scale. MXFP4/MXFP8: quantizeMX (floor) + pack4 for FP4;
  // NVFP4: two-level scales (amax pass + blocks of 16); INT4-g128: absmax
  // scales per 1x128 block + quantizeLinear-style blocked encode + pack4.
  std::vector<uint8_t> packed(static_cast<size_t>((n + 1) / 2));
  auto report = [&](const char *bench, const char *fmt, double s) {
    std::printf("{\"bench\": \"%s\", \"format\": \"%s\", \"seconds\": "
                "%.6f, \"gbps\": %.3f}\n",
                bench, fmt, s, mb / s);
  };
  report("memcpy", "f32", bestSeconds([&] {
           std::memcpy(out.data(), x.data(), size_t(n) * 4);
         }));
  report("encode", "MXFP8", bestSeconds([&] {
           quantizeMX(x.data(), rows, k, 32, ElemFormat::E4M3FN,
                      MXScaleMode::Floor, codes.data(), scales.data());
         }));
  report("decode", "MXFP8", bestSeconds([&] {
           dequantizeMX(codes.data(), scales.data(), rows, k, 32,
                        ElemFormat::E4M3FN, out.data());
         }));
  report("encode", "MXFP4+pack4", bestSeconds([&] {
           quantizeMX(x.data(), rows, k, 32, ElemFormat::E2M1FN,
                      MXScaleMode::Floor, codes.data(), scales.data());
           pack4(codes.data(), n, packed.data());
         }));
  report("decode", "MXFP4+unpack4", bestSeconds([&] {
           unpack4(packed.data(), n, codes.data());
           dequantizeMX(codes.data(), scales.data(), rows, k, 32,
                        ElemFormat::E2M1FN, out.data());
         }));
  std::vector<uint8_t> nvScales(static_cast<size_t>(rows * ((k + 15) / 16)));
  float ts = 0.0f;
  report("encode", "NVFP4+pack4", bestSeconds([&] {
           llvm::consumeError(quantizeNVFP4(x.data(), rows, k, codes.data(),
                                            nvScales.data(), ts));
           pack4(codes.data(), n, packed.data());
         }));
  report("decode", "NVFP4+unpack4", bestSeconds([&] {
           unpack4(packed.data(), n, codes.data());
           dequantizeNVFP4(codes.data(), nvScales.data(), ts, rows, k,
                           out.data());
         }));
  std::vector<float> gScales(static_cast<size_t>(rows * ((k + 127) / 128)));
  report("encode", "INT4-g128+pack4", bestSeconds([&] {
           llvm::consumeError(absmaxScales2D(x.data(), rows, k, 1, 128,
                                             ElemFormat::INT4, gScales.data()));
           llvm::consumeError(quantize2D(x.data(), rows, k, 1, 128,
                                         ElemFormat::INT4, gScales.data(),
                                         codes.data()));
           pack4(codes.data(), n, packed.data());
         }));
  report("decode", "INT4-g128+unpack4", bestSeconds([&] {
           unpack4(packed.data(), n, codes.data());
           llvm::consumeError(dequantize2D(codes.data(), rows, k, 1, 128,
                                           ElemFormat::INT4, gScales.data(),
                                           out.data()));
         }));
  return 0;
}
