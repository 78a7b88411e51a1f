//===- Strided.h - block copies for the Executor's data movement -*- C++ -*-===//
//
// Slice, Transpose, Expand, Gather, Concat and Split move elements without
// arithmetic. Copying them one at a time through a switch on the tensor's
// storage cost ~5 ns an element; these copy whole rows (memcpy, or a fill
// for a broadcast row) and transpose in cache-sized tiles.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_STRIDED_H
#define QUANTC_LIB_EXECUTOR_STRIDED_H

#include "quantc/Executor/Executor.h"

#include "mlir/Support/LLVM.h"

#include <cstdint>

namespace quantc::exec {

/// dst[dstOff + i] = src[srcOff + i] for i in [0, n), in the tensors' common
/// storage (their kinds must match).
void copyRange(Tensor &dst, int64_t dstOff, const Tensor &src, int64_t srcOff,
               int64_t n);

/// Fills `dst` (row-major over `shape`, already sized) with the elements of
/// `src` at srcBase + sum(index[d] * srcStrides[d]). Strides may be 0
/// (broadcast) or any permutation of src's (transpose).
void copyStrided(Tensor &dst, const Tensor &src, int64_t srcBase,
                 mlir::ArrayRef<int64_t> shape,
                 mlir::ArrayRef<int64_t> srcStrides);

} // namespace quantc::exec

#endif
