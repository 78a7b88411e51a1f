//===- ElementwiseKernels.h - quantize and elementwise kernels -*- C++ -*-===//
//
// Private to lib/Conversion/QCToGPU; used by Program.cpp.
//
//   quantize_mxfp8(X, codes, scales: ptr, blocks: i64, K: i32)
//     one thread per 32-element block along the last axis of X (f32,
//     rows x K): the block's E8M0 scale (floor rule) and its E4M3 codes,
//     bit for bit what the Numerics library's quantizeMX computes.
//   ew_<i>(out, in_0, ..., in_{n-1}: ptr, count: i64)
//     one thread per output element (f32); each input is read with numpy
//     broadcasting against the output's shape; the chain's ops are
//     evaluated in registers with IEEE f32 arithmetic (no contraction).
//
// Both use blocks of kElementwiseBlock threads and a 1-D grid.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_CONVERSION_QCTOGPU_ELEMENTWISEKERNELS_H
#define QUANTC_LIB_CONVERSION_QCTOGPU_ELEMENTWISEKERNELS_H

#include "quantc/Conversion/QCToGPU/Program.h"
#include "quantc/Conversion/QCToGPU/QCToGPU.h"

namespace quantc {
namespace detail {

inline constexpr int64_t kElementwiseBlock = 256;

/// Bytes of one element of `t` in a package buffer (1, 2, 4 or 8; 0 for
/// types the copy kernel does not move).
int64_t elementBytes(mlir::Type t);

/// The layout of a qc.quantize_linear / qc.dequantize_linear: the axis
/// (normalised to [0, rank)), the block size (0: per tensor or per axis)
/// and the codes' element type. (Their I64Attr getters return uint64_t;
/// this reads them as signed.)
struct LinearQuantLayout {
  int64_t axis, blockSize;
  mlir::Type codes;
};
LinearQuantLayout linearQuantLayout(mlir::Operation *op);

/// The `axes` of a qc.reduce_mean or qc.reduce_max (the row kernels'
/// reductions).
llvm::ArrayRef<int64_t> reduceAxes(mlir::Operation *op);

/// A qc.reduce_max over the batch axis (dimension 0) alone, f32, its other
/// dimensions static: batch_max_<i>(out, in: ptr, batch: i64, outputs:
/// i64), one thread per output walking the batch in order. (The quantize
/// pipeline reduces a whole tensor in two steps: each sample, then over
/// them.)
bool isBatchReduce(mlir::Operation *op);

/// Whether `v` is a constant (a package weight) of 4-bit codes, which
/// weights.bin packs two per byte: the kernels read its nibbles.
bool isPackedWeight(mlir::Value v);

/// How the MXFP8 GEMM of `q` reads its lhs (operand 0) or rhs codes.
GemmOperandCodes gemmOperandCodes(qc::QMatMulOp q, bool rhs);

/// Whether `in` broadcasts to `out` (numpy rules, aligned on the right): each
/// dimension equal or 1; a dynamic dimension only as dimension 0 of both.
bool isBroadcastableTo(mlir::RankedTensorType in, mlir::RankedTensorType out);

/// quantize_mxfp8 (e4m3 elements, `elem` null), or quantize_mx_<elem> for
/// the other MX element formats the GEMM takes (e2m1, e2m3, e3m2).
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildQuantizeMXFP8Kernel(mlir::ModuleOp top, llvm::StringRef name,
                         KernelTarget t, mlir::Type elem = {});

mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildElementwiseKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                       const GpuStep &step);

/// mxfp8_gemm_ep<i>(A, As, B, Bs, C, extra...: ptr, M, N, K: i32): the GEMM
/// with an elementwise chain applied to each result before it is stored
/// (step.ops = the qc.qmatmul, then the chain; step.inputs = the GEMM's four
/// operands, then the chain's other inputs).
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildGemmEpilogueKernel(mlir::ModuleOp top, llvm::StringRef name,
                        KernelTarget t, const GpuStep &step);

/// conv_<i>(out, in, weight[, bias]: ptr, count: i64): one thread per output
/// element of a 2-D NCHW convolution (groups, strides, pads, dilations),
/// summing over (input channel of its group, kh, kw) in fp32 with fma.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildConvKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                const GpuStep &step);

/// pool_<i>(out, in: ptr, count: i64): 2-D max/avg pooling, one thread per
/// output element, taps in the Executor's order (rows, then columns);
/// gap_<i>(out, in: ptr, planes: i64): global average pooling, one thread
/// per (n, c) plane, summed in f64 as the Executor does.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildPoolKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                const GpuStep &step);

/// layout_<i>(out, in...: ptr, count: i64): transpose, slice, concat or
/// gather (static shapes, any element type), one thread per output element.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildLayoutKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                  const GpuStep &step);

/// matmul_<i>(out, lhs, rhs: ptr, count: i64): f32 [..., M, K] x [..., K, N]
/// with broadcast batch dims, one thread per output, fp32 fma over k.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildMatMulKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                  const GpuStep &step);

/// softmax_<i>(out, in: ptr, rows: i64) and layer_norm_<i>(out, mean, inv,
/// in, scale[, bias]: ptr, rows: i64) over the last axis, one thread per
/// row, in the Executor's order (four running f64 sums, its exp).
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildRowKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
               const GpuStep &step);

/// copy_b<bytes>(out, in: ptr, count: i64): out[i] = in[i].
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildCopyKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                const GpuStep &step);

} // namespace detail
} // namespace quantc

#endif
