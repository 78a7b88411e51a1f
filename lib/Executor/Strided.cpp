//===- Strided.cpp - block copies for the Executor's data movement --------===//
#include "Strided.h"
#include "Parallel.h"

#include <algorithm>
#include <cstring>

using namespace quantc;
using namespace quantc::exec;
using namespace mlir;

namespace {
template <typename T> T *dataOf(Tensor &t);
template <> float *dataOf(Tensor &t) { return t.f.data(); }
template <> int64_t *dataOf(Tensor &t) { return t.i.data(); }
template <> uint8_t *dataOf(Tensor &t) { return t.bytes.data(); }
template <typename T> const T *dataOf(const Tensor &t) {
  return dataOf<T>(const_cast<Tensor &>(t));
}

/// Calls f(T) with the element type of the tensor's storage.
template <typename F> void withStorage(const Tensor &t, F &&f) {
  switch (t.kind) {
  case Tensor::Kind::Float: f(float()); break;
  case Tensor::Kind::Int: f(int64_t()); break;
  case Tensor::Kind::Bytes: f(uint8_t()); break;
  }
}

constexpr int64_t kTile = 32;

template <typename T>
void copyStridedT(T *dst, const T *src, int64_t srcBase,
                  ArrayRef<int64_t> shape, ArrayRef<int64_t> st) {
  int64_t rank = shape.size();
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (n == 0)
    return;
  if (rank == 0) {
    dst[0] = src[srcBase];
    return;
  }
  int64_t inner = shape.back(), is = st.back();
  // An inner dim that is not contiguous in src while another one is: copy
  // 2-D tiles of (that dim, the inner dim) so that both the reads and the
  // writes stay within a few cache lines.
  int64_t q = -1;
  if (is != 1 && is != 0 && inner > 1)
    for (int64_t d = rank - 2; d >= 0; --d)
      if (st[d] == 1 && shape[d] > 1) {
        q = d;
        break;
      }
  SmallVector<int64_t> dstStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    dstStrides[d] = dstStrides[d + 1] * shape[d + 1];
  if (q >= 0) {
    // Rows over every dim but q and the inner one.
    SmallVector<int64_t> outer, os, od;
    for (int64_t d = 0; d < rank - 1; ++d)
      if (d != q) {
        outer.push_back(shape[d]);
        os.push_back(st[d]);
        od.push_back(dstStrides[d]);
      }
    int64_t rows = n / (inner * shape[q]), dq = dstStrides[q];
    int64_t tq = (shape[q] + kTile - 1) / kTile, ti = (inner + kTile - 1) / kTile;
    parallelFor(rows * tq, std::max<int64_t>(1, kElemGrain / (kTile * kTile)),
                [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        int64_t row = t / tq, q0 = (t % tq) * kTile;
        int64_t so = srcBase, dof = 0, rem = row;
        for (int64_t d = (int64_t)outer.size() - 1; d >= 0; --d) {
          so += (rem % outer[d]) * os[d];
          dof += (rem % outer[d]) * od[d];
          rem /= outer[d];
        }
        int64_t q1 = std::min(shape[q], q0 + kTile);
        for (int64_t j0 = 0; j0 < ti * kTile; j0 += kTile) {
          int64_t j1 = std::min(inner, j0 + kTile);
          for (int64_t a = q0; a < q1; ++a) {
            const T *s = src + so + a; // st[q] == 1
            T *o = dst + dof + a * dq;
            for (int64_t j = j0; j < j1; ++j)
              o[j] = s[j * is];
          }
        }
      }
    });
    return;
  }
  ArrayRef<int64_t> outer = shape.drop_back(), os = st.drop_back();
  int64_t rows = n / inner;
  parallelFor(rows, std::max<int64_t>(1, kElemGrain / inner),
              [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      int64_t off = srcBase, rem = row;
      for (int64_t d = (int64_t)outer.size() - 1; d >= 0; --d) {
        off += (rem % outer[d]) * os[d];
        rem /= outer[d];
      }
      T *o = dst + row * inner;
      if (is == 1)
        std::memcpy(o, src + off, inner * sizeof(T));
      else if (is == 0)
        std::fill(o, o + inner, src[off]);
      else
        for (int64_t j = 0; j < inner; ++j)
          o[j] = src[off + j * is];
    }
  });
}
} // namespace

void quantc::exec::copyRange(Tensor &dst, int64_t dstOff, const Tensor &src,
                             int64_t srcOff, int64_t n) {
  if (n <= 0)
    return;
  withStorage(src, [&](auto tag) {
    using T = decltype(tag);
    std::memcpy(dataOf<T>(dst) + dstOff, dataOf<T>(src) + srcOff,
                n * sizeof(T));
  });
}

void quantc::exec::copyStrided(Tensor &dst, const Tensor &src, int64_t srcBase,
                               ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> srcStrides) {
  withStorage(src, [&](auto tag) {
    using T = decltype(tag);
    copyStridedT<T>(dataOf<T>(dst), dataOf<T>(src), srcBase, shape,
                    srcStrides);
  });
}
