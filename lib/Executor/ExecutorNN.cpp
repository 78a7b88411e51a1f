//===- ExecutorNN.cpp - Executor kernels: NN op family ---------------===//
//
// Convolutions go through im2col (col2im for the transpose) and OpenBLAS
// sgemm, which is multi-threaded itself; the im2col and pooling loops are
// split over channels across a few threads when the work is large enough to
// pay for them. 1-D and 2-D ops run as 3-D ones with unit leading dims.
//
//===----------------------------------------------------------------------===//
#include "ExecutorImpl.h"
#include "FastMath.h"
#include "Gemm.h"
#include "Parallel.h"

#include "quantc/Dialect/QC/IR/QCNNOps.h"


#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>
#include <vector>

using namespace quantc;
using namespace quantc::exec;

namespace {

/// Window geometry of a conv/pool op over 3 spatial dims (missing leading
/// dims are 1 with a unit window).
struct Geometry {
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0, 0, 0},
          pe[3] = {0, 0, 0};
  int64_t inSize() const { return in[0] * in[1] * in[2]; }
  int64_t outSize() const { return out[0] * out[1] * out[2]; }
  int64_t kSize() const { return k[0] * k[1] * k[2]; }
};

FailureOr<Geometry> makeGeometry(Operation *op, ArrayRef<int64_t> inShape,
                                 ArrayRef<int64_t> outShape,
                                 ArrayRef<int64_t> kernel,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> pads,
                                 ArrayRef<int64_t> dilations) {
  int64_t k = inShape.size() - 2;
  if (k < 1 || k > 3) {
    op->emitError("the Executor runs 1-D, 2-D and 3-D windows, got ")
        << k << " spatial dims";
    return failure();
  }
  Geometry g;
  int64_t off = 3 - k;
  for (int64_t i = 0; i < k; ++i) {
    g.in[off + i] = inShape[2 + i];
    g.out[off + i] = outShape[2 + i];
    g.k[off + i] = kernel[i];
    g.s[off + i] = strides[i];
    g.d[off + i] = dilations[i];
    g.pb[off + i] = pads[i];
    g.pe[off + i] = pads[k + i];
  }
  return g;
}

/// Output shape of a windowed op at run time (dynamic dims resolved).
FailureOr<SmallVector<int64_t>>
windowShape(Operation *op, ArrayRef<int64_t> in, int64_t channels,
            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
            ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
            bool ceilMode) {
  int64_t k = in.size() - 2;
  SmallVector<int64_t> out{in[0], channels};
  for (int64_t i = 0; i < k; ++i) {
    int64_t o = qc::windowOutputSize(in[2 + i], kernel[i], strides[i],
                                     pads[i], pads[k + i], dilations[i],
                                     ceilMode);
    if (o < 0) {
      op->emitError("window of spatial dim ")
          << i << " is larger than the padded input " << shapeStr(in);
      return failure();
    }
    out.push_back(o);
  }
  return out;
}

/// im2col of one image's `channels` channels: col[(c, kd, kh, kw), (od, oh,
/// ow)], `pad` where the window leaves the input.
template <typename T>
void im2col(const T *x, int64_t channels, const Geometry &g, T pad, T *col) {
  int64_t ks = g.kSize(), os = g.outSize(), is = g.inSize();
  parallelForWork(channels, channels * ks * os, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const T *xc = x + c * is;
      for (int64_t a = 0; a < g.k[0]; ++a)
        for (int64_t b = 0; b < g.k[1]; ++b)
          for (int64_t e = 0; e < g.k[2]; ++e) {
            T *row = col + ((c * g.k[0] + a) * g.k[1] * g.k[2] +
                            b * g.k[2] + e) * os;
            for (int64_t od = 0; od < g.out[0]; ++od) {
              int64_t id = od * g.s[0] - g.pb[0] + a * g.d[0];
              for (int64_t oh = 0; oh < g.out[1]; ++oh) {
                int64_t ih = oh * g.s[1] - g.pb[1] + b * g.d[1];
                T *dst = row + (od * g.out[1] + oh) * g.out[2];
                if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
                  std::fill(dst, dst + g.out[2], pad);
                  continue;
                }
                const T *src = xc + (id * g.in[1] + ih) * g.in[2];
                int64_t base = -g.pb[2] + e * g.d[2], sw = g.s[2];
                // Outputs whose tap lands inside the row: [lo, hi).
                int64_t lo = base >= 0 ? 0 : (-base + sw - 1) / sw;
                int64_t hi = g.in[2] - base <= 0
                                 ? 0
                                 : std::min(g.out[2],
                                            (g.in[2] - base + sw - 1) / sw);
                lo = std::min(lo, hi);
                std::fill(dst, dst + lo, pad);
                if (sw == 1)
                  std::copy(src + base + lo, src + base + hi, dst + lo);
                else
                  for (int64_t ow = lo; ow < hi; ++ow)
                    dst[ow] = src[base + ow * sw];
                std::fill(dst + hi, dst + g.out[2], pad);
              }
            }
          }
    }
  });
}

/// A per-thread im2col/col2im buffer that keeps its capacity between ops, so
/// large convs do not map and fault in fresh pages on every call. Contents
/// are unspecified (every user overwrites what it reads).
std::vector<float> &scratch(int64_t n) {
  static thread_local std::vector<float> buf;
  if ((int64_t)buf.size() < n)
    buf.resize(n);
  return buf;
}

//===----------------------------------------------------------------------===//
// Conv, ConvTranspose
//===----------------------------------------------------------------------===//

/// Inference batch norm as one multiply-add per element: y = x * a[c] +
/// shift[c]. Shared by the BatchNormalization kernel and the convolution
/// epilogue, so fused and separate runs give the same bits.
struct BatchNormCoefficients {
  std::vector<float> a, shift;
};
FailureOr<BatchNormCoefficients> batchNormCoefficients(qc::BatchNormOp op,
                                                       Env &env, int64_t C) {
  const Tensor &sc = env.get(op.getScale()), &b = env.get(op.getBias()),
               &mean = env.get(op.getMean()), &var = env.get(op.getVar());
  for (const Tensor *t : {&sc, &b, &mean, &var})
    if ((int64_t)t->f.size() != C)
      return op.emitError("input has ")
             << C << " channels, scale/bias/mean/var have " << t->f.size()
             << " values";
  float eps = op.getEpsilon().convertToFloat();
  BatchNormCoefficients k;
  for (int64_t c = 0; c < C; ++c) {
    k.a.push_back(sc.f[c] / std::sqrt(var.f[c] + eps));
    k.shift.push_back(b.f[c] - mean.f[c] * k.a.back());
  }
  return k;
}

inline float batchNormValue(float x, float a, float shift) {
  return x * a + shift;
}

} // namespace

/// A convolution, then the batch norm and ReLU of its qc.fusion's epilogue
/// (either may be null) in one pass over its result.
LogicalResult quantc::exec::runConvWithEpilogue(qc::ConvOp op,
                                                qc::BatchNormOp bn,
                                                qc::ReluOp relu, Env &env) {
  const Tensor &x = env.get(op.getInput()), &w = env.get(op.getWeight());
  int64_t group = op.getGroup();
  int64_t N = x.shape[0], C = x.shape[1], M = w.shape[0];
  if (C != w.shape[1] * group || M % group)
    return op.emitError("input has ")
           << C << " channels and the weight " << shapeStr(w.shape)
           << ", which do not fit group " << group;
  if (op.getBias() && (int64_t)env.get(op.getBias()).f.size() != M)
    return op.emitError("bias has ")
           << env.get(op.getBias()).f.size() << " values, expected " << M;
  auto outShape = windowShape(op, x.shape, M, ArrayRef<int64_t>(w.shape).drop_front(2),
                              op.getStrides(), op.getPads(),
                              op.getDilations(), false);
  if (failed(outShape))
    return failure();
  auto g = makeGeometry(op, x.shape, *outShape,
                        ArrayRef<int64_t>(w.shape).drop_front(2),
                        op.getStrides(), op.getPads(), op.getDilations());
  if (failed(g))
    return failure();
  Tensor r = makeFloatOutput(x.elementType, *outShape);
  int64_t Cg = C / group, Mg = M / group, ks = g->kSize(), os = g->outSize(),
          is = g->inSize();
  // The bias (or zeros for the depthwise loop) goes in first; the GEMMs
  // (beta 1) and the depthwise loop accumulate. Without a bias the GEMMs
  // write every element (beta 0).
  float beta = 0.0f;
  if (op.getBias()) {
    const Tensor &bias = env.get(op.getBias());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < M; ++m)
        std::fill_n(r.f.data() + (n * M + m) * os, os, bias.f[m]);
    beta = 1.0f;
  } else if (Cg == 1) {
    std::fill(r.f.begin(), r.f.end(), 0.0f);
  }
  // The batch norm and ReLU of the epilogue, with the same per-element
  // arithmetic as their own kernels, on output planes [p0, p1) (p = n * M
  // + m): applied to each image's planes right after its GEMM, while they
  // are in cache, when the images are split over the threads.
  BatchNormCoefficients k;
  if (bn) {
    auto got = batchNormCoefficients(bn, env, M);
    if (failed(got))
      return failure();
    k = std::move(*got);
  }
  auto epilogue = [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float *yp = r.f.data() + p * os;
      int64_t m = p % M;
      if (bn)
        for (int64_t i = 0; i < os; ++i)
          yp[i] = batchNormValue(yp[i], k.a[m], k.shift[m]);
      if (relu)
        for (int64_t i = 0; i < os; ++i)
          yp[i] = reluValue(yp[i]);
    }
  };
  bool direct = ks == 1 && g->s[0] == 1 && g->s[1] == 1 && g->s[2] == 1 &&
                g->pb[0] + g->pb[1] + g->pb[2] + g->pe[0] + g->pe[1] +
                        g->pe[2] ==
                    0;
  if (Cg == 1) {
    // Depthwise (one input channel per group): tap-by-tap multiply-adds on
    // the plane; M/g tiny GEMMs per image would cost more in call overhead.
    const Geometry &ge = *g;
    parallelForWork(N * M, N * M * ks * os, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        int64_t n = p / M, m = p % M, c = m / Mg;
        const float *xc = x.f.data() + (n * C + c) * is;
        const float *wm = w.f.data() + m * ks;
        float *y = r.f.data() + p * os;
        for (int64_t a = 0; a < ge.k[0]; ++a)
          for (int64_t b = 0; b < ge.k[1]; ++b)
            for (int64_t e = 0; e < ge.k[2]; ++e) {
              float wv = wm[(a * ge.k[1] + b) * ge.k[2] + e];
              int64_t base = -ge.pb[2] + e * ge.d[2], sw = ge.s[2];
              int64_t lo = base >= 0 ? 0 : (-base + sw - 1) / sw;
              int64_t hi = ge.in[2] - base <= 0
                               ? 0
                               : std::min(ge.out[2],
                                          (ge.in[2] - base + sw - 1) / sw);
              for (int64_t od = 0; od < ge.out[0]; ++od) {
                int64_t id = od * ge.s[0] - ge.pb[0] + a * ge.d[0];
                if (id < 0 || id >= ge.in[0])
                  continue;
                for (int64_t oh = 0; oh < ge.out[1]; ++oh) {
                  int64_t ih = oh * ge.s[1] - ge.pb[1] + b * ge.d[1];
                  if (ih < 0 || ih >= ge.in[1])
                    continue;
                  const float *src =
                      xc + (id * ge.in[1] + ih) * ge.in[2] + base;
                  float *dst = y + (od * ge.out[1] + oh) * ge.out[2];
                  if (sw == 1)
                    for (int64_t ow = lo; ow < hi; ++ow)
                      dst[ow] += wv * src[ow];
                  else
                    for (int64_t ow = lo; ow < hi; ++ow)
                      dst[ow] += wv * src[ow * sw];
                }
              }
            }
        epilogue(p, p + 1);
      }
    });
  }
  // One (image, group) pair: im2col into this thread's buffer, one GEMM.
  auto convOne = [&](int64_t item) {
    int64_t n = item / group, gi = item % group;
    const float *xg = x.f.data() + (n * C + gi * Cg) * is;
    const float *b = xg;
    if (!direct) {
      std::vector<float> &col = scratch(Cg * ks * os);
      im2col(xg, Cg, *g, 0.0f, col.data());
      b = col.data();
    }
    if (os && Mg)
      sgemm(false, false, Mg, os, Cg * ks, 1.0f, w.f.data() + gi * Mg * Cg * ks,
            Cg * ks, b, os, beta, r.f.data() + (n * M + gi * Mg) * os, os);
  };
  int64_t items = Cg == 1 ? 0 : N * group;
  // Enough pairs for every thread: split them (each GEMM then runs on its
  // thread alone, nested loops being serial, and its planes take the
  // epilogue right away); else one at a time, each GEMM split over the
  // pool, and the epilogue in one pass over the result.
  bool splitItems = items >= getNumThreads();
  if (splitItems)
    parallelForWork(items, items * Mg * os * Cg * ks, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        convOne(i);
        int64_t p = (i / group) * M + (i % group) * Mg;
        epilogue(p, p + Mg);
      }
    });
  else
    for (int64_t i = 0; i < items; ++i)
      convOne(i);
  if ((bn || relu) && Cg != 1 && !splitItems)
    parallelFor(N * M,
                std::max<int64_t>(1, kElemGrain / std::max<int64_t>(1, os)),
                epilogue);
  env.set(relu ? relu.getResult() : bn ? bn.getResult() : op.getResult(),
          std::move(r));
  return success();
}

namespace {
LogicalResult runConv(Operation *o, Env &env) {
  return runConvWithEpilogue(cast<qc::ConvOp>(o), {}, {}, env);
}

LogicalResult runConvTranspose(Operation *o, Env &env) {
  auto op = cast<qc::ConvTransposeOp>(o);
  const Tensor &x = env.get(op.getInput()), &w = env.get(op.getWeight());
  int64_t group = op.getGroup(), k = x.shape.size() - 2;
  int64_t N = x.shape[0], C = x.shape[1], Cg = C / group, Mg = w.shape[1],
          M = Mg * group;
  if (C != w.shape[0] || C % group)
    return op.emitError("input has ")
           << C << " channels and the weight " << shapeStr(w.shape)
           << ", which do not fit group " << group;
  if (op.getBias() && (int64_t)env.get(op.getBias()).f.size() != M)
    return op.emitError("bias has ")
           << env.get(op.getBias()).f.size() << " values, expected " << M;
  SmallVector<int64_t> outShape{N, M};
  ArrayRef<int64_t> pads = op.getPads();
  for (int64_t i = 0; i < k; ++i)
    outShape.push_back(op.getStrides()[i] * (x.shape[2 + i] - 1) +
                       op.getOutputPadding()[i] +
                       op.getDilations()[i] * (w.shape[2 + i] - 1) + 1 -
                       pads[i] - pads[k + i]);
  // The geometry of the forward conv whose input is our output.
  auto g = makeGeometry(op, outShape, x.shape,
                        ArrayRef<int64_t>(w.shape).drop_front(2),
                        op.getStrides(), pads, op.getDilations());
  if (failed(g))
    return failure();
  Tensor r = Tensor::makeFloat(x.elementType, outShape);
  int64_t ks = g->kSize(), is = g->outSize(), os = g->inSize();
  std::vector<float> &col = scratch(Mg * ks * is);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t gi = 0; gi < group; ++gi) {
      // col[(m, k), i] = sum_c W[c, (m, k)] * x[c, i]
      if (is && Mg)
        sgemm(true, false, Mg * ks, is, Cg, 1.0f, w.f.data() + gi * Cg * Mg * ks, Mg * ks,
                    x.f.data() + (n * C + gi * Cg) * is, is, 0.0f,
                    col.data(), is);
      float *yg = r.f.data() + (n * M + gi * Mg) * os;
      parallelForWork(Mg, Mg * ks * is, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
          for (int64_t a = 0; a < g->k[0]; ++a)
            for (int64_t b = 0; b < g->k[1]; ++b)
              for (int64_t e = 0; e < g->k[2]; ++e) {
                const float *row =
                    col.data() +
                    ((m * g->k[0] + a) * g->k[1] * g->k[2] + b * g->k[2] + e) *
                        is;
                for (int64_t id = 0; id < g->out[0]; ++id) {
                  int64_t od = id * g->s[0] - g->pb[0] + a * g->d[0];
                  if (od < 0 || od >= g->in[0])
                    continue;
                  for (int64_t ih = 0; ih < g->out[1]; ++ih) {
                    int64_t oh = ih * g->s[1] - g->pb[1] + b * g->d[1];
                    if (oh < 0 || oh >= g->in[1])
                      continue;
                    const float *src = row + (id * g->out[1] + ih) * g->out[2];
                    float *dst = yg + m * os + (od * g->in[1] + oh) * g->in[2];
                    for (int64_t iw = 0; iw < g->out[2]; ++iw) {
                      int64_t ow = iw * g->s[2] - g->pb[2] + e * g->d[2];
                      if (ow >= 0 && ow < g->in[2])
                        dst[ow] += src[iw];
                    }
                  }
                }
              }
      });
    }
  if (op.getBias()) {
    const Tensor &bias = env.get(op.getBias());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < M; ++m) {
        float *p = r.f.data() + (n * M + m) * os;
        for (int64_t i = 0; i < os; ++i)
          p[i] += bias.f[m];
      }
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// For one spatial dim of a window op: per output index, the kernel taps
/// [first, last) that land inside the input, and how many land inside the
/// padded extent (AveragePool's count_include_pad divisor).
struct DimTaps {
  std::vector<int64_t> first, last, padded;
};

DimTaps dimTaps(const Geometry &g, int i) {
  DimTaps t;
  for (int64_t o = 0; o < g.out[i]; ++o) {
    int64_t start = o * g.s[i] - g.pb[i], f = g.k[i], l = 0, p = 0;
    for (int64_t a = 0; a < g.k[i]; ++a) {
      int64_t q = start + a * g.d[i];
      if (q >= 0 && q < g.in[i]) {
        f = std::min(f, a);
        l = a + 1;
      }
      p += q >= -g.pb[i] && q < g.in[i] + g.pe[i];
    }
    t.first.push_back(std::min(f, l));
    t.last.push_back(l);
    t.padded.push_back(p);
  }
  return t;
}

template <bool IsMax>
LogicalResult runPool(Operation *op, Env &env, ArrayRef<int64_t> kernel,
                      ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                      ArrayRef<int64_t> dilations, bool ceilMode,
                      bool countIncludePad) {
  const Tensor &x = env.get(op->getOperand(0));
  auto outShape = windowShape(op, x.shape, x.shape[1], kernel, strides, pads,
                              dilations, ceilMode);
  if (failed(outShape))
    return failure();
  auto g = makeGeometry(op, x.shape, *outShape, kernel, strides, pads,
                        dilations);
  if (failed(g))
    return failure();
  Tensor r = makeFloatOutput(x.elementType, *outShape); // every row filled
  int64_t planes = x.shape[0] * x.shape[1], is = g->inSize(),
          os = g->outSize();
  DimTaps td = dimTaps(*g, 0), th = dimTaps(*g, 1), tw = dimTaps(*g, 2);
  // Per innermost tap e: the outputs [lo, hi) whose tap lands in the input,
  // so the loop over a row of outputs has no bounds checks and vectorizes.
  const Geometry &ge = *g;
  SmallVector<int64_t> lo(ge.k[2]), hi(ge.k[2]);
  for (int64_t e = 0; e < ge.k[2]; ++e) {
    int64_t base = -ge.pb[2] + e * ge.d[2], sw = ge.s[2];
    hi[e] = ge.in[2] - base <= 0
                ? 0
                : std::min(ge.out[2], (ge.in[2] - base + sw - 1) / sw);
    lo[e] = std::min(base >= 0 ? 0 : (-base + sw - 1) / sw, hi[e]);
  }
  parallelForWork(planes, planes * os * ge.kSize(), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float *xp = x.f.data() + p * is;
      float *yp = r.f.data() + p * os;
      for (int64_t od = 0; od < ge.out[0]; ++od)
        for (int64_t oh = 0; oh < ge.out[1]; ++oh) {
          float *y = yp + (od * ge.out[1] + oh) * ge.out[2];
          std::fill(y, y + ge.out[2],
                    IsMax ? -std::numeric_limits<float>::infinity() : 0.0f);
          int64_t sd = od * ge.s[0] - ge.pb[0], sh = oh * ge.s[1] - ge.pb[1];
          for (int64_t a = td.first[od]; a < td.last[od]; ++a)
            for (int64_t b = th.first[oh]; b < th.last[oh]; ++b) {
              const float *row =
                  xp + ((sd + a * ge.d[0]) * ge.in[1] + sh + b * ge.d[1]) *
                           ge.in[2];
              for (int64_t e = 0; e < ge.k[2]; ++e) {
                const float *src = row - ge.pb[2] + e * ge.d[2];
                int64_t sw = ge.s[2];
                for (int64_t ow = lo[e]; ow < hi[e]; ++ow) {
                  float v = src[ow * sw];
                  if (IsMax) // NaN wins and then stays
                    y[ow] = (v > y[ow] || v != v) ? v : y[ow];
                  else
                    y[ow] += v;
                }
              }
            }
          if (!IsMax)
            for (int64_t ow = 0; ow < ge.out[2]; ++ow) {
              int64_t n = countIncludePad
                              ? td.padded[od] * th.padded[oh] * tw.padded[ow]
                              : (td.last[od] - td.first[od]) *
                                    (th.last[oh] - th.first[oh]) *
                                    (tw.last[ow] - tw.first[ow]);
              y[ow] = n ? y[ow] / float(n) : 0.0f;
            }
        }
    }
  });
  env.set(op->getResult(0), std::move(r));
  return success();
}

/// Max pooling of i8/ui8 codes: runs the float kernel on the exactly
/// representable values and converts back.
LogicalResult runMaxPoolBytes(qc::MaxPoolOp op, Env &env) {
  const Tensor &x = env.get(op.getInput());
  bool isUnsigned = x.elementType.isUnsignedInteger();
  Tensor xf = Tensor::makeFloat(Float32Type::get(op.getContext()), x.shape);
  for (size_t i = 0; i < x.bytes.size(); ++i)
    xf.f[i] = isUnsigned ? float(x.bytes[i]) : float(int8_t(x.bytes[i]));
  Env tmp;
  tmp.set(op.getInput(), std::move(xf));
  if (failed(runPool<true>(op, tmp, op.getKernelShape(), op.getStrides(),
                           op.getPads(), op.getDilations(), op.getCeilMode(),
                           false)))
    return failure();
  const Tensor &yf = tmp.get(op.getResult());
  Tensor y = Tensor::makeBytes(x.elementType, yf.shape);
  for (size_t i = 0; i < yf.f.size(); ++i)
    y.bytes[i] = uint8_t(int32_t(yf.f[i]) & 0xFF);
  env.set(op.getResult(), std::move(y));
  return success();
}

LogicalResult runMaxPool(Operation *o, Env &env) {
  auto op = cast<qc::MaxPoolOp>(o);
  if (env.get(op.getInput()).kind == Tensor::Kind::Bytes)
    return runMaxPoolBytes(op, env);
  return runPool<true>(o, env, op.getKernelShape(), op.getStrides(),
                       op.getPads(), op.getDilations(), op.getCeilMode(),
                       false);
}

/// MaxPool with Indices (N14): a plain scan of every window, taking the
/// first maximum in row-major window order (as onnxruntime) and its flat
/// index over the whole input.
LogicalResult runMaxPoolWithIndices(Operation *o, Env &env) {
  auto op = cast<qc::MaxPoolWithIndicesOp>(o);
  const Tensor &x = env.get(op.getInput());
  auto outShape = windowShape(op, x.shape, x.shape[1], op.getKernelShape(),
                              op.getStrides(), op.getPads(),
                              op.getDilations(), op.getCeilMode());
  if (failed(outShape))
    return failure();
  auto g = makeGeometry(op, x.shape, *outShape, op.getKernelShape(),
                        op.getStrides(), op.getPads(), op.getDilations());
  if (failed(g))
    return failure();
  const Geometry &ge = *g;
  Tensor r = Tensor::makeFloat(x.elementType, *outShape);
  Tensor ix = Tensor::makeInt(op.getIndices().getType().getElementType(),
                              *outShape);
  bool colMajor = op.getStorageOrder() == 1;
  int64_t planes = x.shape[0] * x.shape[1], is = ge.inSize(),
          os = ge.outSize();
  DimTaps td = dimTaps(ge, 0), th = dimTaps(ge, 1), tw = dimTaps(ge, 2);
  parallelForWork(planes, planes * os * ge.kSize(), [&](int64_t p0,
                                                        int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float *xp = x.f.data() + p * is;
      for (int64_t od = 0; od < ge.out[0]; ++od)
        for (int64_t oh = 0; oh < ge.out[1]; ++oh)
          for (int64_t ow = 0; ow < ge.out[2]; ++ow) {
            float best = -std::numeric_limits<float>::infinity();
            int64_t bd = -1, bh = -1, bw = -1;
            for (int64_t a = td.first[od]; a < td.last[od]; ++a)
              for (int64_t b = th.first[oh]; b < th.last[oh]; ++b)
                for (int64_t e = tw.first[ow]; e < tw.last[ow]; ++e) {
                  int64_t d = od * ge.s[0] - ge.pb[0] + a * ge.d[0];
                  int64_t h = oh * ge.s[1] - ge.pb[1] + b * ge.d[1];
                  int64_t w = ow * ge.s[2] - ge.pb[2] + e * ge.d[2];
                  float v = xp[(d * ge.in[1] + h) * ge.in[2] + w];
                  // NaN wins and then stays, as in qc.max_pool.
                  if (bd < 0 || v > best || (v != v && best == best)) {
                    best = v;
                    bd = d, bh = h, bw = w;
                  }
                }
            int64_t o = (od * ge.out[1] + oh) * ge.out[2] + ow;
            r.f[p * os + o] = best;
            int64_t at =
                bd < 0 ? 0
                       : colMajor ? (bw * ge.in[1] + bh) * ge.in[0] + bd
                                  : (bd * ge.in[1] + bh) * ge.in[2] + bw;
            ix.i[p * os + o] = p * is + at;
          }
    }
  });
  env.set(op.getResult(), std::move(r));
  env.set(op.getIndices(), std::move(ix));
  return success();
}

LogicalResult runAvgPool(Operation *o, Env &env) {
  auto op = cast<qc::AvgPoolOp>(o);
  return runPool<false>(o, env, op.getKernelShape(), op.getStrides(),
                        op.getPads(), op.getDilations(), op.getCeilMode(),
                        op.getCountIncludePad());
}

template <bool IsMax> LogicalResult runGlobalPool(Operation *op, Env &env) {
  const Tensor &x = env.get(op->getOperand(0));
  SmallVector<int64_t> outShape{x.shape[0], x.shape[1]};
  int64_t is = 1;
  for (size_t i = 2; i < x.shape.size(); ++i) {
    outShape.push_back(1);
    is *= x.shape[i];
  }
  Tensor r = Tensor::makeFloat(x.elementType, outShape);
  int64_t planes = x.shape[0] * x.shape[1];
  parallelForWork(planes, planes * is, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float *xp = x.f.data() + p * is;
      if (IsMax) {
        float m = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < is; ++i)
          m = (xp[i] > m || std::isnan(xp[i])) && !std::isnan(m) ? xp[i] : m;
        r.f[p] = m;
      } else {
        double s = 0;
        for (int64_t i = 0; i < is; ++i)
          s += xp[i];
        r.f[p] = is ? float(s / double(is)) : 0.0f;
      }
    }
  });
  env.set(op->getResult(0), std::move(r));
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormalization, Resize
//===----------------------------------------------------------------------===//

LogicalResult runBatchNorm(Operation *o, Env &env) {
  auto op = cast<qc::BatchNormOp>(o);
  // Every element is set below, each from its own input element.
  const float *xs;
  Tensor r = elementwiseResult(op, env, xs);
  int64_t N = r.shape[0], C = r.shape[1], inner = 1;
  for (size_t i = 2; i < r.shape.size(); ++i)
    inner *= r.shape[i];
  auto k = batchNormCoefficients(op, env, C);
  if (failed(k))
    return failure();
  float *ys = r.f.data();
  parallelFor(C, std::max<int64_t>(1, kElemGrain / std::max<int64_t>(1, N * inner)),
              [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t n = 0; n < N; ++n) {
        const float *src = xs + (n * C + c) * inner;
        float *p = ys + (n * C + c) * inner;
        for (int64_t i = 0; i < inner; ++i)
          p[i] = batchNormValue(src[i], k->a[c], k->shift[c]);
      }
  });
  env.set(op.getResult(), std::move(r));
  return success();
}

/// "0.5", "inf": a float in a message, as the user wrote it.
std::string floatStr(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(v));
  return buf;
}

/// The output shape and per-dim scales of a resize: from the scales
/// attribute, or from a run-time scales/sizes operand over `axes` (N13).
/// Run-time values are untrusted: every one is checked.
LogicalResult resizeShape(qc::ResizeOp op, Env &env, ArrayRef<int64_t> inShape,
                          SmallVector<int64_t> &outShape,
                          SmallVector<float> &scales,
                          SmallVector<float> &roiStart,
                          SmallVector<float> &roiEnd) {
  size_t rank = inShape.size();
  auto resType = op.getResult().getType();
  SmallVector<int64_t> axes;
  if (std::optional<ArrayRef<int64_t>> a = op.getAxes())
    axes.assign(a->begin(), a->end());
  else
    for (size_t d = 0; d < rank; ++d)
      axes.push_back(d);
  outShape.assign(inShape.begin(), inShape.end());
  scales.assign(rank, 1.0f);
  roiStart.assign(rank, 0.0f);
  roiEnd.assign(rank, 1.0f);
  if (Value rv = op.getRoi()) {
    const Tensor &roi = env.get(rv);
    if (roi.f.size() != 2 * axes.size())
      return op.emitError("roi has ")
             << roi.f.size() << " values; expected " << 2 * axes.size()
             << " (starts then ends, one per resized dim)";
    for (size_t k = 0; k < axes.size(); ++k) {
      roiStart[axes[k]] = roi.f[k];
      roiEnd[axes[k]] = roi.f[axes.size() + k];
    }
  }
  if (Value sv = op.getScalesInput()) {
    const Tensor &st = env.get(sv);
    if (st.f.size() != axes.size())
      return op.emitError("scales has ")
             << st.f.size() << " values; expected " << axes.size()
             << " (one per resized dim)";
    for (size_t k = 0; k < axes.size(); ++k) {
      float sc = st.f[k];
      int64_t d = axes[k];
      double len = std::floor(double(inShape[d]) * double(sc));
      if (!(sc > 0.0f) || !std::isfinite(sc))
        return op.emitError("scale ") << floatStr(sc) << " for dim " << d
                                      << " must be finite and > 0";
      if (len < 1.0 || len > double(int64_t(1) << 40))
        return op.emitError("scale ")
               << floatStr(sc) << " resizes dim " << d << " of size "
               << inShape[d]
               << " to " << len << " elements";
      scales[d] = sc;
      outShape[d] = int64_t(std::floor(float(inShape[d]) * sc));
    }
  } else if (Value zv = op.getSizes()) {
    const Tensor &zt = env.get(zv);
    if (zt.i.size() != axes.size())
      return op.emitError("sizes has ")
             << zt.i.size() << " values; expected " << axes.size()
             << " (one per resized dim)";
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t d = axes[k], sz = zt.i[k];
      if (sz < 1 || sz > (int64_t(1) << 40))
        return op.emitError("size ") << sz << " for dim " << d
                                     << " must be >= 1";
      if (inShape[d] == 0)
        return op.emitError("dim ") << d << " of the input is empty";
      outShape[d] = sz;
      scales[d] = float(sz) / float(inShape[d]);
    }
    // One scale for every listed dim; sizes round half up, as onnxruntime.
    qc::AspectRatioPolicy policy = op.getKeepAspectRatioPolicy();
    if (policy != qc::AspectRatioPolicy::stretch && !axes.empty()) {
      float s = scales[axes[0]];
      for (int64_t d : axes)
        s = policy == qc::AspectRatioPolicy::not_larger
                ? std::min(s, scales[d])
                : std::max(s, scales[d]);
      for (int64_t d : axes) {
        scales[d] = s;
        outShape[d] = int64_t(std::floor(s * float(inShape[d]) + 0.5f));
        if (outShape[d] < 1)
          return op.emitError("keep_aspect_ratio_policy '")
                 << qc::stringifyAspectRatioPolicy(policy) << "' makes dim "
                 << d << " empty";
      }
    }
  } else {
    ArrayRef<float> attr = op.getScales();
    scales.assign(attr.begin(), attr.end());
    for (size_t i = 0; i < rank; ++i) {
      int64_t d = resType.getDimSize(i);
      if (ShapedType::isDynamic(d))
        d = int64_t(std::floor(float(inShape[i]) * scales[i]));
      outShape[i] = d;
    }
  }
  int64_t total = 1;
  for (size_t d = 0; d < rank; ++d) {
    if (!resType.isDynamicDim(d) && resType.getDimSize(d) != outShape[d])
      return op.emitError("computed result shape ")
             << shapeStr(outShape) << " does not match the result type "
             << resType;
    if (outShape[d] && total > (int64_t(1) << 40) / outShape[d])
      return op.emitError("result shape ") << shapeStr(outShape)
                                           << " has too many elements";
    total *= outShape[d];
  }
  return success();
}

LogicalResult runResize(Operation *o, Env &env) {
  auto op = cast<qc::ResizeOp>(o);
  const Tensor &x = env.get(op.getInput());
  size_t rank = x.shape.size();
  SmallVector<int64_t> outShape;
  SmallVector<float> scales, roiStart, roiEnd;
  if (failed(resizeShape(op, env, x.shape, outShape, scales, roiStart,
                         roiEnd)))
    return failure();
  float extrapolation = op.getExtrapolationValue().convertToFloat();
  using CT = qc::CoordinateTransformation;
  using NM = qc::NearestMode;
  using RM = qc::ResizeMode;
  CT ct = op.getCoordinateTransformationMode();
  NM nm = op.getNearestMode();
  RM mode = op.getMode();
  float A = op.getCubicCoeffA().convertToFloat();
  bool excludeOutside = op.getExcludeOutside();
  // Per dim and output index: up to four source indices and their weights
  // (nearest 1, linear 2, cubic 4), as the ONNX reference computes them.
  struct Tap {
    int64_t idx[4];
    float w[4];
    int n;
    bool outside;
  };
  std::vector<std::vector<Tap>> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    int64_t in = x.shape[d], out = outShape[d];
    float scale = scales[d];
    float len = float(in) * scale; // the unrounded resized length
    for (int64_t oi = 0; oi < out; ++oi) {
      float c;
      if (ct == CT::half_pixel)
        c = (oi + 0.5f) / scale - 0.5f;
      else if (ct == CT::half_pixel_symmetric) {
        float adj = float(out) / len, center = float(in) / 2.0f;
        c = center * (1.0f - adj) + (oi + 0.5f) / scale - 0.5f;
      } else if (ct == CT::pytorch_half_pixel)
        c = len > 1.0f ? (oi + 0.5f) / scale - 0.5f : 0.0f;
      else if (ct == CT::tf_half_pixel_for_nn)
        c = (oi + 0.5f) / scale;
      else if (ct == CT::align_corners)
        c = out == 1 ? 0.0f : float(oi) * float(in - 1) / (len - 1.0f);
      else if (ct == CT::tf_crop_and_resize) {
        float s0 = roiStart[d], s1 = roiEnd[d];
        c = out > 1 ? s0 * float(in - 1) +
                          float(oi) * (s1 - s0) * float(in - 1) /
                              float(out - 1)
                    : 0.5f * (s0 + s1) * float(in - 1);
      } else
        c = oi / scale;
      Tap t{};
      // A crop box sample outside the input takes extrapolation_value.
      t.outside = ct == CT::tf_crop_and_resize &&
                  (c < 0.0f || c > float(in - 1));
      if (mode == RM::nearest) {
        float f = std::floor(c);
        int64_t i;
        if (nm == NM::floor)
          i = int64_t(f);
        else if (nm == NM::ceil)
          i = int64_t(std::ceil(c));
        else if (c - f == 0.5f)
          i = nm == NM::round_prefer_ceil ? int64_t(f) + 1 : int64_t(f);
        else
          i = int64_t(std::round(c));
        t.n = 1;
        t.idx[0] = std::clamp<int64_t>(i, 0, in - 1);
        t.w[0] = 1.0f;
      } else {
        // The taps left and right of c; on an integer c the reference takes
        // the previous point as the base with ratio 1.
        int64_t base = int64_t(std::floor(c));
        float r = c - float(base);
        if (r == 0.0f) {
          r = 1.0f;
          --base;
        }
        int64_t first;
        if (mode == RM::linear) {
          t.n = 2;
          first = base;
          t.w[0] = 1.0f - r;
          t.w[1] = r;
        } else {
          t.n = 4;
          first = base - 1;
          float r1 = r + 1, q = 1 - r, q1 = q + 1;
          t.w[0] = ((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A;
          t.w[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
          t.w[2] = ((A + 2) * q - (A + 3)) * q * q + 1;
          t.w[3] = ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A;
        }
        float sum = 0.0f;
        for (int k = 0; k < t.n; ++k) {
          int64_t i = first + k;
          if (excludeOutside && (i < 0 || i >= in))
            t.w[k] = 0.0f;
          sum += t.w[k];
          t.idx[k] = std::clamp<int64_t>(i, 0, in - 1); // edge padding
        }
        if (excludeOutside && sum != 0.0f)
          for (int k = 0; k < t.n; ++k)
            t.w[k] /= sum;
      }
      taps[d].push_back(t);
    }
  }
  Tensor r = Tensor::makeFloat(x.elementType, outShape);
  SmallVector<int64_t> xs = stridesOf(x.shape);
  SmallVector<int64_t> zero(rank, 0);
  SmallVector<int64_t> idx(rank, 0);
  int64_t total = r.numElements();
  std::vector<std::pair<int64_t, float>> terms, next;
  for (int64_t lin = 0; lin < total; ++lin) {
    // Sum over the taps' product with a non-zero weight.
    float acc = 0.0f;
    terms.assign(1, {0, 1.0f});
    bool outside = false;
    for (size_t d = 0; d < rank; ++d) {
      const Tap &t = taps[d][idx[d]];
      outside |= t.outside;
      next.clear();
      for (auto [off, w] : terms)
        for (int k = 0; k < t.n; ++k)
          if (t.w[k] != 0.0f)
            next.push_back({off + t.idx[k] * xs[d], w * t.w[k]});
      std::swap(terms, next);
    }
    for (auto [off, w] : terms)
      acc += w * x.f[off];
    r.f[lin] = outside ? extrapolation : acc;
    for (int64_t d = (int64_t)rank - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

//===----------------------------------------------------------------------===//
// Integer ops
//===----------------------------------------------------------------------===//

/// The integer values of an i8/ui8 (Bytes) or i32 (Int) tensor.
std::vector<int32_t> intValues(const Tensor &t) {
  std::vector<int32_t> v;
  if (t.kind == Tensor::Kind::Bytes) {
    bool isUnsigned = t.elementType.isUnsignedInteger();
    v.reserve(t.bytes.size());
    for (uint8_t b : t.bytes)
      v.push_back(isUnsigned ? int32_t(b) : int32_t(int8_t(b)));
  } else if (t.kind == Tensor::Kind::Int) {
    v.assign(t.i.begin(), t.i.end());
  }
  return v;
}

/// C[M, N] = A[M, K] * B[K, N] in int32.
void gemmI32(int64_t M, int64_t N, int64_t K, const int32_t *a,
             const int32_t *b, int64_t *c) {
  parallelForWork(M, M * N * K, [&](int64_t m0, int64_t m1) {
    std::vector<int32_t> row(N);
    for (int64_t m = m0; m < m1; ++m) {
      std::fill(row.begin(), row.end(), 0);
      for (int64_t k = 0; k < K; ++k) {
        int32_t av = a[m * K + k];
        if (!av)
          continue;
        const int32_t *br = b + k * N;
        for (int64_t n = 0; n < N; ++n)
          row[n] += av * br[n];
      }
      std::copy(row.begin(), row.end(), c + m * N);
    }
  });
}

LogicalResult runMatMulInteger(Operation *o, Env &env) {
  auto op = cast<qc::MatMulIntegerOp>(o);
  const Tensor &a = env.get(op.getLhs()), &b = env.get(op.getRhs());
  std::vector<int32_t> av = intValues(a), bv = intValues(b),
                       az = intValues(env.get(op.getLhsZero())),
                       bz = intValues(env.get(op.getRhsZero()));
  auto dims = matmulDims(op, a.shape, b.shape);
  if (failed(dims))
    return failure();
  int64_t M = dims->M, K = dims->K, N = dims->N;
  ArrayRef<int64_t> ab = dims->aBatch, bb = dims->bBatch;
  const SmallVector<int64_t> &batch = dims->batch;
  if ((az.size() != 1 && (int64_t)az.size() != M) ||
      (bz.size() != 1 && (int64_t)bz.size() != N))
    return op.emitError("zero point sizes do not match the operands");
  // Subtract the zero points (per row of a, per column of b) once.
  for (size_t i = 0; i < av.size(); ++i)
    av[i] -= az.size() == 1 ? az[0] : az[(i / K) % M];
  for (size_t i = 0; i < bv.size(); ++i)
    bv[i] -= bz.size() == 1 ? bz[0] : bz[i % N];
  Tensor r = Tensor::makeInt(op.getResult().getType().getElementType(),
                             dims->resultShape());
  auto sa = broadcastStrides(ab, batch), sb = broadcastStrides(bb, batch);
  forEachIndex(batch, sa, sb, [&](int64_t lin, int64_t ia, int64_t ib) {
    gemmI32(M, N, K, av.data() + ia * M * K, bv.data() + ib * K * N,
            r.i.data() + lin * M * N);
  });
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult runConvInteger(Operation *o, Env &env) {
  auto op = cast<qc::ConvIntegerOp>(o);
  const Tensor &x = env.get(op.getInput()), &w = env.get(op.getWeight());
  std::vector<int32_t> xv = intValues(x), wv = intValues(w),
                       xz = intValues(env.get(op.getInputZero())),
                       wz = intValues(env.get(op.getWeightZero()));
  int64_t group = op.getGroup();
  int64_t N = x.shape[0], C = x.shape[1], M = w.shape[0];
  if (C != w.shape[1] * group || M % group)
    return op.emitError("input has ")
           << C << " channels and the weight " << shapeStr(w.shape)
           << ", which do not fit group " << group;
  if (xz.size() != 1 || (wz.size() != 1 && (int64_t)wz.size() != M))
    return op.emitError("zero point sizes do not match the operands");
  auto outShape = windowShape(op, x.shape, M, ArrayRef<int64_t>(w.shape).drop_front(2),
                              op.getStrides(), op.getPads(),
                              op.getDilations(), false);
  if (failed(outShape))
    return failure();
  auto g = makeGeometry(op, x.shape, *outShape,
                        ArrayRef<int64_t>(w.shape).drop_front(2),
                        op.getStrides(), op.getPads(), op.getDilations());
  if (failed(g))
    return failure();
  int64_t Cg = C / group, Mg = M / group, ks = g->kSize(), os = g->outSize(),
          is = g->inSize();
  // Zero-point subtraction first, so padding (zero after it) is exact.
  for (int32_t &v : xv)
    v -= xz[0];
  for (size_t i = 0; i < wv.size(); ++i)
    wv[i] -= wz.size() == 1 ? wz[0] : wz[i / (Cg * ks)];
  Tensor r = Tensor::makeInt(op.getResult().getType().getElementType(),
                             *outShape);
  std::vector<int32_t> col(Cg * ks * os);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t gi = 0; gi < group; ++gi) {
      im2col(xv.data() + (n * C + gi * Cg) * is, Cg, *g, int32_t(0),
             col.data());
      gemmI32(Mg, os, Cg * ks, wv.data() + gi * Mg * Cg * ks, col.data(),
              r.i.data() + (n * M + gi * Mg) * os);
    }
  env.set(op.getResult(), std::move(r));
  return success();
}

LogicalResult runRequantizeLinear(Operation *o, Env &env) {
  auto op = cast<qc::RequantizeLinearOp>(o);
  const Tensor &acc = env.get(op.getInput()), &sc = env.get(op.getScale());
  std::vector<int32_t> zero = intValues(env.get(op.getZero()));
  std::vector<int32_t> bias;
  if (op.getBias())
    bias = intValues(env.get(op.getBias()));
  Type et = op.getResult().getType().getElementType();
  bool isUnsigned = et.isUnsignedInteger();
  float lo = isUnsigned ? 0.0f : -128.0f, hi = isUnsigned ? 255.0f : 127.0f;
  Tensor r = Tensor::makeBytes(et, acc.shape);
  int64_t axis = op.getAxis(), inner = 1, dim = 1;
  if (axis < (int64_t)acc.shape.size()) {
    dim = acc.shape[axis];
    for (size_t i = axis + 1; i < acc.shape.size(); ++i)
      inner *= acc.shape[i];
  }
  if ((sc.f.size() != 1 && (int64_t)sc.f.size() != dim) ||
      (!bias.empty() && (int64_t)bias.size() != dim) || zero.size() != 1)
    return op.emitError("scale/bias sizes do not match dim ")
           << axis << " of " << shapeStr(acc.shape);
  for (int64_t i = 0, e = acc.i.size(); i < e; ++i) {
    int64_t c = (i / inner) % dim;
    int64_t a = acc.i[i] + (bias.empty() ? 0 : bias[c]);
    float s = sc.f.size() == 1 ? sc.f[0] : sc.f[c];
    // Half to even, as ONNX Runtime's requantization does.
    float v = std::nearbyint(float(a) * s) + float(zero[0]);
    v = std::clamp(v, lo, hi);
    r.bytes[i] = uint8_t(int32_t(v) & 0xFF); // two's complement for i8
  }
  env.set(op.getResult(), std::move(r));
  return success();
}

} // namespace

namespace {
/// One of ONNX's recurrent activations with its alpha and beta (N16), in
/// f32: sigmoid and tanh as qc.sigmoid and qc.tanh compute them
/// (FastMath.h, which the GPU's lstm_<i> repeats), the others with the C
/// library's functions.
float rnnActivation(qc::RnnActivation f, float a, float b, float x) {
  switch (f) {
  case qc::RnnActivation::Sigmoid:
    return fastSigmoid(x);
  case qc::RnnActivation::Tanh:
    return fastTanh(x);
  case qc::RnnActivation::Relu:
    return x > 0.0f ? x : 0.0f;
  case qc::RnnActivation::Affine:
    return a * x + b;
  case qc::RnnActivation::LeakyRelu:
    return x >= 0.0f ? x : a * x;
  case qc::RnnActivation::ThresholdedRelu:
    return x > a ? x : 0.0f;
  case qc::RnnActivation::ScaledTanh:
    return a * std::tanh(b * x);
  case qc::RnnActivation::HardSigmoid:
    return std::max(0.0f, std::min(1.0f, a * x + b));
  case qc::RnnActivation::Elu:
    return x >= 0.0f ? x : a * (std::exp(x) - 1.0f);
  case qc::RnnActivation::Softsign:
    return x / (1.0f + std::fabs(x));
  case qc::RnnActivation::Softplus:
    return std::log1p(std::exp(x));
  }
  return x;
}

/// A recurrent op's optional operand as floats, checked against `shape`
/// (run-time shapes: the op's types may leave the batch dynamic).
FailureOr<const float *> rnnOperand(Operation *op, Env &env, Value v,
                                    ArrayRef<int64_t> shape, StringRef what) {
  if (!v)
    return static_cast<const float *>(nullptr);
  const Tensor &t = env.get(v);
  if (ArrayRef<int64_t>(t.shape) != shape)
    return op->emitError() << what << " has shape " << shapeStr(t.shape)
                           << ", expected " << shapeStr(shape);
  return t.f.data();
}

/// The sequence lengths of a recurrent op (all `S` when absent), checked.
FailureOr<SmallVector<int64_t>> rnnLengths(Operation *op, Env &env, Value sl,
                                           int64_t S, int64_t B) {
  SmallVector<int64_t> lens(B, S);
  if (!sl)
    return lens;
  const Tensor &t = env.get(sl);
  if (ArrayRef<int64_t>(t.shape) != ArrayRef<int64_t>{B})
    return op->emitError() << "sequence_lens has " << t.numElements()
                           << " entries, the batch is " << B;
  for (int64_t b = 0; b < B; ++b) {
    if (t.i[b] < 0 || t.i[b] > S)
      return op->emitError() << "sequence_lens[" << b << "] = " << t.i[b]
                             << " is outside [0, " << S << "]";
    lens[b] = t.i[b];
  }
  return lens;
}

/// qc.lstm (N16): per direction, x W^T for every step in one GEMM, then
/// step by step h R^T (one GEMM for the batch) and the gates per element.
LogicalResult runLstm(Operation *o, Env &env) {
  auto op = cast<qc::LstmOp>(o);
  const Tensor &x = env.get(op.getX());
  int64_t S = x.shape[0], B = x.shape[1], I = x.shape[2];
  int64_t H = op.getHiddenSize();
  qc::RnnDirection dir = op.getDirection();
  int64_t D = dir == qc::RnnDirection::bidirectional ? 2 : 1;
  auto w = rnnOperand(op, env, op.getW(), {D, 4 * H, I}, "w");
  auto r = rnnOperand(op, env, op.getR(), {D, 4 * H, H}, "r");
  auto bias = rnnOperand(op, env, op.getB(), {D, 8 * H}, "b");
  auto h0 = rnnOperand(op, env, op.getInitialH(), {D, B, H}, "initial_h");
  auto c0 = rnnOperand(op, env, op.getInitialC(), {D, B, H}, "initial_c");
  auto peep = rnnOperand(op, env, op.getP(), {D, 3 * H}, "p");
  auto lensOr = rnnLengths(op, env, op.getSequenceLens(), S, B);
  if (failed(w) || failed(r) || failed(bias) || failed(h0) || failed(c0) ||
      failed(peep) || failed(lensOr))
    return failure();
  const SmallVector<int64_t> &lens = *lensOr;
  auto acts = op.getActivations();
  ArrayRef<float> alpha = op.getActivationAlpha(), beta = op.getActivationBeta();
  std::optional<float> clip;
  if (std::optional<APFloat> c = op.getClip())
    clip = c->convertToFloat();
  bool coupled = op.getInputForget();
  Type et = x.elementType;
  Tensor y = Tensor::makeFloat(et, {S, D, B, H}),
         yh = Tensor::makeFloat(et, {D, B, H}),
         yc = Tensor::makeFloat(et, {D, B, H});
  std::fill(y.f.begin(), y.f.end(), 0.0f);
  std::vector<float> xw(S * B * 4 * H), hr(B * 4 * H), h(B * H), c(B * H);
  for (int64_t d = 0; d < D; ++d) {
    bool reverse = dir == qc::RnnDirection::reverse || d == 1;
    auto fn = [&](int k) {
      return cast<qc::RnnActivationAttr>(acts[3 * d + k]).getValue();
    };
    qc::RnnActivation f = fn(0), g = fn(1), hf = fn(2);
    float fa = alpha[3 * d], fb = beta[3 * d], ga = alpha[3 * d + 1],
          gb = beta[3 * d + 1], ha = alpha[3 * d + 2], hb = beta[3 * d + 2];
    const float *wd = *w + d * 4 * H * I, *rd = *r + d * 4 * H * H;
    const float *wb = *bias ? *bias + d * 8 * H : nullptr;
    const float *pd = *peep ? *peep + d * 3 * H : nullptr;
    // x W^T for all steps: [S * B, 4H].
    sgemm(false, true, S * B, 4 * H, I, 1.0f, x.f.data(), I, wd, I, 0.0f,
          xw.data(), 4 * H);
    for (int64_t k = 0; k < B * H; ++k) {
      h[k] = *h0 ? (*h0)[d * B * H + k] : 0.0f;
      c[k] = *c0 ? (*c0)[d * B * H + k] : 0.0f;
    }
    auto gate = [&](float v) {
      return clip ? std::max(-*clip, std::min(*clip, v)) : v;
    };
    for (int64_t step = 0; step < S; ++step) {
      // h R^T for the whole batch: [B, 4H].
      sgemm(false, true, B, 4 * H, H, 1.0f, h.data(), H, rd, H, 0.0f,
            hr.data(), 4 * H);
      for (int64_t b = 0; b < B; ++b) {
        if (step >= lens[b])
          continue;
        int64_t t = reverse ? lens[b] - 1 - step : step;
        const float *xr = xw.data() + (t * B + b) * 4 * H;
        const float *gr = hr.data() + b * 4 * H;
        float *hb_ = h.data() + b * H, *cb = c.data() + b * H;
        for (int64_t j = 0; j < H; ++j) {
          auto pre = [&](int gi) {
            float v = xr[gi * H + j] + gr[gi * H + j];
            if (wb)
              v += wb[gi * H + j] + wb[4 * H + gi * H + j];
            return v;
          };
          // Gates i, o, f, c (ONNX's order); peepholes i, o, f.
          float cPrev = cb[j];
          float iv = pre(0), ov = pre(1), fv = pre(2), cv = pre(3);
          if (pd) {
            iv += pd[j] * cPrev;
            fv += pd[2 * H + j] * cPrev;
          }
          float ig = rnnActivation(f, fa, fb, gate(iv));
          float fg = coupled ? 1.0f - ig : rnnActivation(f, fa, fb, gate(fv));
          float cg = rnnActivation(g, ga, gb, gate(cv));
          float cNew = fg * cPrev + ig * cg;
          if (pd)
            ov += pd[H + j] * cNew;
          float og = rnnActivation(f, fa, fb, gate(ov));
          cb[j] = cNew;
          hb_[j] = og * rnnActivation(hf, ha, hb, cNew);
        }
        std::copy(hb_, hb_ + H, y.f.data() + ((t * D + d) * B + b) * H);
      }
    }
    // A sequence of length 0 ends in zero states (ONNX Runtime's rule).
    for (int64_t b = 0; b < B; ++b)
      if (lens[b] == 0)
        for (int64_t j = 0; j < H; ++j)
          h[b * H + j] = c[b * H + j] = 0.0f;
    std::copy(h.begin(), h.end(), yh.f.data() + d * B * H);
    std::copy(c.begin(), c.end(), yc.f.data() + d * B * H);
  }
  env.set(op.getY(), std::move(y));
  env.set(op.getYH(), std::move(yh));
  env.set(op.getYC(), std::move(yc));
  return success();
}

/// qc.gru and qc.rnn (N16): `gates` = 3 (z, r, h) or 1; the same driver
/// as runLstm (x W^T for every step in one sgemm, then per step).
template <typename OpTy>
LogicalResult runGruOrRnn(Operation *o, Env &env) {
  auto op = cast<OpTy>(o);
  constexpr bool isGru = std::is_same_v<OpTy, qc::GruOp>;
  constexpr int64_t G = isGru ? 3 : 1, A = isGru ? 2 : 1;
  const Tensor &x = env.get(op.getX());
  int64_t S = x.shape[0], B = x.shape[1], I = x.shape[2];
  int64_t H = op.getHiddenSize();
  qc::RnnDirection dir = op.getDirection();
  int64_t D = dir == qc::RnnDirection::bidirectional ? 2 : 1;
  auto w = rnnOperand(op, env, op.getW(), {D, G * H, I}, "w");
  auto r = rnnOperand(op, env, op.getR(), {D, G * H, H}, "r");
  auto bias = rnnOperand(op, env, op.getB(), {D, 2 * G * H}, "b");
  auto h0 = rnnOperand(op, env, op.getInitialH(), {D, B, H}, "initial_h");
  auto lens = rnnLengths(op, env, op.getSequenceLens(), S, B);
  if (failed(w) || failed(r) || failed(bias) || failed(h0) || failed(lens))
    return failure();
  auto acts = op.getActivations();
  ArrayRef<float> alpha = op.getActivationAlpha(), beta = op.getActivationBeta();
  std::optional<float> clip;
  if (std::optional<APFloat> c = op.getClip())
    clip = c->convertToFloat();
  bool linearBeforeReset = false;
  if constexpr (isGru)
    linearBeforeReset = op.getLinearBeforeReset();
  Type et = x.elementType;
  Tensor y = Tensor::makeFloat(et, {S, D, B, H}),
         yh = Tensor::makeFloat(et, {D, B, H});
  std::fill(y.f.begin(), y.f.end(), 0.0f);
  std::vector<float> xw(S * B * G * H), hr(B * G * H), h(B * H), rh(B * H),
      rhr(B * H);
  auto gate = [&](float v) {
    return clip ? std::max(-*clip, std::min(*clip, v)) : v;
  };
  for (int64_t d = 0; d < D; ++d) {
    bool reverse = dir == qc::RnnDirection::reverse || d == 1;
    auto fn = [&](int k) {
      return cast<qc::RnnActivationAttr>(acts[A * d + k]).getValue();
    };
    qc::RnnActivation f = fn(0), g = fn(A - 1);
    float fa = alpha[A * d], fb = beta[A * d], ga = alpha[A * d + A - 1],
          gb = beta[A * d + A - 1];
    const float *wd = *w + d * G * H * I, *rd = *r + d * G * H * H;
    const float *wb = *bias ? *bias + d * 2 * G * H : nullptr;
    const float *rb = wb ? wb + G * H : nullptr;
    sgemm(false, true, S * B, G * H, I, 1.0f, x.f.data(), I, wd, I, 0.0f,
          xw.data(), G * H);
    for (int64_t k = 0; k < B * H; ++k)
      h[k] = *h0 ? (*h0)[d * B * H + k] : 0.0f;
    for (int64_t step = 0; step < S; ++step) {
      // h R^T for the batch: all gates (RNN; GRU with linear_before_reset),
      // or z and r only, h~'s product following from r h.
      int64_t ng = isGru && !linearBeforeReset ? 2 : G;
      sgemm(false, true, B, ng * H, H, 1.0f, h.data(), H, rd, H, 0.0f,
            hr.data(), G * H);
      if constexpr (isGru) {
        if (!linearBeforeReset) {
          // r for every active entry, then (r h) R_h^T.
          for (int64_t b = 0; b < B; ++b) {
            int64_t t = reverse ? (*lens)[b] - 1 - step : step;
            for (int64_t j = 0; j < H; ++j) {
              float rv = 0.0f;
              if (step < (*lens)[b]) {
                const float *xr = xw.data() + (t * B + b) * G * H;
                float v = xr[H + j] + hr[b * G * H + H + j];
                if (wb)
                  v += wb[H + j] + rb[H + j];
                rv = rnnActivation(f, fa, fb, gate(v));
              }
              rh[b * H + j] = rv * h[b * H + j];
            }
          }
          sgemm(false, true, B, H, H, 1.0f, rh.data(), H, rd + 2 * H * H, H,
                0.0f, rhr.data(), H);
        }
      }
      for (int64_t b = 0; b < B; ++b) {
        if (step >= (*lens)[b])
          continue;
        int64_t t = reverse ? (*lens)[b] - 1 - step : step;
        const float *xr = xw.data() + (t * B + b) * G * H;
        const float *gr = hr.data() + b * G * H;
        float *hb = h.data() + b * H;
        for (int64_t j = 0; j < H; ++j) {
          if constexpr (isGru) {
            float zv = xr[j] + gr[j], rv = xr[H + j] + gr[H + j];
            float hv = xr[2 * H + j];
            if (wb) {
              zv += wb[j] + rb[j];
              rv += wb[H + j] + rb[H + j];
              hv += wb[2 * H + j];
            }
            float z = rnnActivation(f, fa, fb, gate(zv));
            float rr = rnnActivation(f, fa, fb, gate(rv));
            if (linearBeforeReset)
              hv += rr * (gr[2 * H + j] + (rb ? rb[2 * H + j] : 0.0f));
            else
              hv += rhr[b * H + j] + (rb ? rb[2 * H + j] : 0.0f);
            float ht = rnnActivation(g, ga, gb, gate(hv));
            hb[j] = (1.0f - z) * ht + z * hb[j];
          } else {
            float v = xr[j] + gr[j];
            if (wb)
              v += wb[j] + rb[j];
            hb[j] = rnnActivation(f, fa, fb, gate(v));
          }
        }
      }
      // Stored after the whole batch's step: GRU's r h read the old h.
      for (int64_t b = 0; b < B; ++b)
        if (step < (*lens)[b]) {
          int64_t t = reverse ? (*lens)[b] - 1 - step : step;
          std::copy(h.data() + b * H, h.data() + (b + 1) * H,
                    y.f.data() + ((t * D + d) * B + b) * H);
        }
    }
    for (int64_t b = 0; b < B; ++b)
      if ((*lens)[b] == 0)
        std::fill(h.begin() + b * H, h.begin() + (b + 1) * H, 0.0f);
    std::copy(h.begin(), h.end(), yh.f.data() + d * B * H);
  }
  env.set(op.getY(), std::move(y));
  env.set(op.getYH(), std::move(yh));
  return success();
}
/// qc.non_max_suppression (N17): ONNX Runtime's greedy selection, its
/// IoU test and its tie order.
LogicalResult runNonMaxSuppression(Operation *o, Env &env) {
  auto op = cast<qc::NonMaxSuppressionOp>(o);
  const Tensor &boxes = env.get(op.getBoxes()), &scores = env.get(op.getScores());
  const Tensor &maxT = env.get(op.getMaxOutputBoxesPerClass()),
               &iouT = env.get(op.getIouThreshold()),
               &scoreT = env.get(op.getScoreThreshold());
  if (maxT.numElements() != 1 || iouT.numElements() != 1 ||
      scoreT.numElements() != 1 || iouT.kind != Tensor::Kind::Float ||
      scoreT.kind != Tensor::Kind::Float || boxes.kind != Tensor::Kind::Float ||
      scores.kind != Tensor::Kind::Float)
    return op.emitError("the parameters must hold one element each");
  int64_t B = boxes.shape[0], N = boxes.shape[1], C = scores.shape[1];
  if (scores.shape[0] != B || scores.shape[2] != N)
    return op.emitError("boxes ")
           << shapeStr(boxes.shape) << " and scores " << shapeStr(scores.shape)
           << " differ in the batch or the number of boxes";
  int64_t maxOut = maxT.i[0];
  float iouThr = iouT.f[0], scoreThr = scoreT.f[0];
  bool center = op.getCenterPointBox();
  if (iouThr < 0 || iouThr > 1)
    return op.emitError("iou_threshold ") << iouThr << " is outside [0, 1]";
  // Corners (ymin, xmin, ymax, xmax) of box i of batch b.
  auto corners = [&](int64_t b, int64_t i) {
    const float *p = &boxes.f[(b * N + i) * 4];
    std::array<float, 4> c;
    if (center) {
      float xc = p[0], yc = p[1], w = p[2] / 2, h = p[3] / 2;
      c = {yc - h, xc - w, yc + h, xc + w};
    } else {
      c = {std::min(p[0], p[2]), std::min(p[1], p[3]), std::max(p[0], p[2]),
           std::max(p[1], p[3])};
    }
    return c;
  };
  auto overlaps = [&](const std::array<float, 4> &a,
                      const std::array<float, 4> &c) {
    float ih = std::min(a[2], c[2]) - std::max(a[0], c[0]);
    float iw = std::min(a[3], c[3]) - std::max(a[1], c[1]);
    if (ih <= 0 || iw <= 0)
      return false;
    float inter = ih * iw;
    float area1 = (a[2] - a[0]) * (a[3] - a[1]);
    float area2 = (c[2] - c[0]) * (c[3] - c[1]);
    float uni = area1 + area2 - inter;
    if (area1 <= 0 || area2 <= 0 || uni <= 0)
      return false;
    return inter / uni > iouThr;
  };
  std::vector<int64_t> rows;
  std::vector<int64_t> cand;
  std::vector<std::array<float, 4>> kept;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C && maxOut > 0; ++c) {
      const float *s = &scores.f[(b * C + c) * N];
      cand.clear();
      for (int64_t i = 0; i < N; ++i)
        if (s[i] > scoreThr)
          cand.push_back(i);
      std::stable_sort(cand.begin(), cand.end(),
                       [&](int64_t x, int64_t y) { return s[x] > s[y]; });
      kept.clear();
      for (int64_t i : cand) {
        if ((int64_t)kept.size() >= maxOut)
          break;
        std::array<float, 4> box = corners(b, i);
        if (llvm::any_of(kept, [&](const auto &k) { return overlaps(k, box); }))
          continue;
        kept.push_back(box);
        rows.insert(rows.end(), {b, c, i});
      }
    }
  int64_t n = rows.size() / 3;
  auto type = cast<RankedTensorType>(op.getSelected().getType());
  Tensor r = Tensor::makeInt(type.getElementType(), {n, 3});
  r.i = std::move(rows);
  env.set(op.getSelected(), std::move(r));
  return success();
}

} // namespace

void quantc::exec::registerNNKernels(KernelRegistry &registry) {
  registry.add(qc::LstmOp::getOperationName(), runLstm);
  registry.add(qc::NonMaxSuppressionOp::getOperationName(),
               runNonMaxSuppression);
  registry.add(qc::GruOp::getOperationName(), runGruOrRnn<qc::GruOp>);
  registry.add(qc::RnnOp::getOperationName(), runGruOrRnn<qc::RnnOp>);
  registry.add(qc::ConvOp::getOperationName(), runConv);
  registry.add(qc::ConvTransposeOp::getOperationName(), runConvTranspose);
  registry.add(qc::MaxPoolOp::getOperationName(), runMaxPool);
  registry.add(qc::MaxPoolWithIndicesOp::getOperationName(),
               runMaxPoolWithIndices);
  registry.add(qc::AvgPoolOp::getOperationName(), runAvgPool);
  registry.add(qc::GlobalAvgPoolOp::getOperationName(), runGlobalPool<false>);
  registry.add(qc::GlobalMaxPoolOp::getOperationName(), runGlobalPool<true>);
  registry.add(qc::BatchNormOp::getOperationName(), runBatchNorm);
  registry.add(qc::ResizeOp::getOperationName(), runResize);
  registry.add(qc::MatMulIntegerOp::getOperationName(), runMatMulInteger);
  registry.add(qc::ConvIntegerOp::getOperationName(), runConvInteger);
  registry.add(qc::RequantizeLinearOp::getOperationName(),
               runRequantizeLinear);
}
