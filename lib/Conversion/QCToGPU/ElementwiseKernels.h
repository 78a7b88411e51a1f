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

#include "KernelEmitter.h"

#include "quantc/Conversion/QCToGPU/HopperGemm.h"
#include "quantc/Conversion/QCToGPU/Program.h"
#include "quantc/Conversion/QCToGPU/QCToGPU.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"

#include <optional>
#include <string>

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
/// The float reductions the row kernels compute (reduce_<kind>_<i>):
/// mean, sum, max, min, prod, l1, l2, sum_square, log_sum, log_sum_exp.
bool isReduceOp(mlir::Operation *op);

/// A qc.reduce_max over the batch axis (dimension 0) alone, f32, its other
/// dimensions static: batch_max_<i>(out, in: ptr, batch: i64, outputs:
/// i64), one thread per output walking the batch in order.
bool isBatchReduce(mlir::Operation *op);
/// The value of a one-element integer constant (qc.trilu's k, qc.cumsum's
/// axis): the layout kernels of those ops take it at compile time.
std::optional<int64_t> constantScalar(mlir::Value v);

/// `t` as MLIR prints it ("f8E4M3FN"): the Numerics library's format name.
std::string typeName(mlir::Type t);

/// The value a qc.fusion's result stands for inside its body (what its
/// qc.yield returns), or null when `v` is no fusion's result: a chain that
/// goes on after a fusion whose ops it computes reads that value.
mlir::Value fusionYielded(mlir::Value v);

/// A float code format of at most 8 bits as the Numerics library's Mini<E,
/// M, Bias, Kind> (Formats.cpp), its fields taken from Numerics'
/// FormatInfo: exponent and mantissa bits, bias, and which codes are
/// special (IEEE: Inf and NaN at the top exponent; FN: NaN at all ones;
/// none).
struct MiniSpec {
  int E, M, bias;
  enum Kind { IEEE, FN, None } kind;
  int W() const { return E + M; }
  uint32_t allOnes() const { return (1u << W()) - 1; }
  uint32_t infCode() const { return kind == IEEE ? ((1u << E) - 1) << M : 0; }
  uint32_t nanCode() const {
    return kind == IEEE ? infCode() | (1u << (M - 1))
           : kind == FN ? allOnes()
                        : 0;
  }
  uint32_t maxAbs() const {
    return kind == IEEE ? infCode() - 1 : kind == FN ? allOnes() - 1 : allOnes();
  }
  uint32_t overflowNoSat() const {
    return kind == IEEE ? infCode() : kind == FN ? nanCode() : maxAbs();
  }
};

/// The spec of a float code type (e4m3, e5m2, e2m3, e3m2, e2m1), or none.
std::optional<MiniSpec> miniSpec(mlir::Type t);

/// The f32 value of a code (an i8 or i32 register, its low W + 1 bits):
/// the sign above the magnitude; normal exponents rebiased to f32,
/// subnormals as mantissa * 2^(1 - bias - M); NaN/Inf codes as the format
/// defines them.
mlir::Value decodeMini(KernelEmitter &e, mlir::Value code, const MiniSpec &f);

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

/// The sm_100a tcgen05 GEMM of a Gemm step with `tcgen05` set
/// (BlackwellGemm.h, with `cfg`), its epilogue the step's chain after the
/// matmul, as buildGemmEpilogueKernel does for the mma.sync GEMM.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildBlackwellGemmStepKernel(mlir::ModuleOp top, llvm::StringRef name,
                             const GpuStep &step,
                             const BlackwellGemmConfig &cfg);

/// The sm_90a wgmma GEMM of a HopperGemm step (HopperGemm.h, with `cfg`),
/// its epilogue the step's chain after the matmul (its inputs after A, SA,
/// B, SB), as buildGemmEpilogueKernel does for the MXFP8 GEMM.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildHopperGemmStepKernel(mlir::ModuleOp top, llvm::StringRef name,
                          const GpuStep &step, const HopperGemmConfig &cfg);

/// The int8 GEMM of an Int8Gemm step (buildInt8GemmKernel with the step's
/// operands, getInt8GemmOperands) with its epilogue the step's chain after
/// the matmul (its inputs after A, SA, B, SB and the zero points).
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildInt8GemmStepKernel(mlir::ModuleOp top, llvm::StringRef name,
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

/// dyn_quantize_<i>(codes, scales, x, qmax, floor: ptr, count: i64) and
/// dyn_qdq_<i>(out, x, qmax, floor: ptr, count: i64): a run-time
/// activation quantize along the last axis (Program.cpp,
/// matchDynamicQuantize), one thread per (row, block): the block's max of
/// |x| from -inf (maxNaN), s = maxNaN(amax / qmax, floor), then each
/// element's code (quantize_linear, F21-F23); dyn_quantize stores the codes
/// and s, dyn_qdq the dequantized f32 values (F25) alone. `count` is the
/// number of blocks (s's element count).
/// The qc.quantize_linear a DynamicQuantize step computes.
qc::QuantizeLinearOp stepQuantize(const GpuStep &step);

mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildDynamicQuantizeKernel(mlir::ModuleOp top, llvm::StringRef name,
                           KernelTarget t, const GpuStep &step);

/// copy_b<bytes>(out, in: ptr, count: i64): out[i] = in[i].
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildCopyKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                const GpuStep &step);

} // namespace detail
} // namespace quantc

#endif
