//===- Program.h - a qc graph as a list of GPU kernel launches -*- C++ -*-===//
//
// The GPU program of a package (docs/Runtime.md, manifest `program`): every
// op of `func.func @main` becomes part of one kernel launch, in graph order.
//
//   qc.qmatmul (MXFP8)            -> mxfp8_gemm     (GemmKernels.h)
//   qc.quantize (MXFP8, f32 in)   -> quantize_mxfp8
//   chains of f32 elementwise ops -> ew_<i>: one kernel per distinct chain
//     (add, sub, mul, div, relu, neg, abs, batch_norm; numpy broadcasting of
//     the chain's inputs; an intermediate with one use is kept in registers)
//   qc.conv (2-D, f32)            -> conv_<i>  (direct; groups, pads, ...;
//                                    with the elementwise chain that reads
//                                    its result as an epilogue)
//   qc.max_pool / qc.avg_pool     -> pool_<i>  (2-D, f32)
//   qc.global_avg_pool            -> gap_<i>
//   reshape/flatten/(un)squeeze   -> copy_b<bytes> (the bytes keep their order)
//   transpose/slice/concat/gather -> layout_<i>  (static shapes)
//   qc.matmul (f32)               -> matmul_<i>  (static shapes; epilogue
//                                    as conv_)
//   qc.softmax / qc.layer_norm    -> softmax_<i> / layer_norm_<i> (last axis)
//   qc.rms_norm / qc.attention    -> rms_norm_<i> / attention_<i> (raised
//                                    graphs: qc-raise-patterns); the RMS
//                                    norm exporters decompose (pow,
//                                    reduce_mean, add, sqrt, div, mul) too
//   sm_90a only: qc.matmul of e4m3 activations (1x128 blocks, or one
//   scale) and a K-major e4m3 weight (qc-kmajor-weights: 128x128 blocks, or
//   per channel) -> fp8_gemm_{1x128,pc}_n<tileN>_s<stages>[_ep<i>], the
//   TMA + wgmma GEMM (HopperGemm.h) with its epilogue; the dequantizes and
//   the transpose it reads through are not launched. When the next
//   run-time 1x128 quantize alone reads its f32 result, the GEMM writes
//   that quantize's codes and scales itself (_ofp8: fp8-1x128 output).
//   W8A8 int8 matmuls with static scales whose weights qc-kmajor-weights
//   laid out [N, K] (or dynamic per-token scales) ->
//   i8_wgmma_{pc,pt}[_tok][_ua][_ub][_za]_n<tileN>_s<stages>
//   [_ep<i>], the same GEMM on s8/u8 codes (s32 sums, F34)
//   qc.reduce_mean / reduce_max   -> reduce_mean_<i> / reduce_max_<i> (static
//                                    axes other than the batch)
//   a run-time activation quantize along the last axis (abs, the max per
//   block, max(amax / qmax, floor), quantize_linear: fp8-1x128's 1x128
//   blocks, dynamic per-token scales) -> dyn_quantize_<i> (codes and
//   scales) or, with the one dequantize that reads them, dyn_qdq_<i> (the
//   dequantized f32 values): one launch, its intermediates in registers;
//   after a layer norm of the same rows, in the layer norm's launch
//   (layer_norm_dq_<i>; layer_norm_q_<i> for MXFP8)
// and the f32 chains also take sqrt, tanh, sigmoid, silu, gelu (tanh
// form), hard_swish, pow (by 2 or 3), where
// and comparisons (i1 results), and quantize_linear / dequantize_linear
// (i8, ui8, e4m3 codes; per-tensor, per-axis or blocked scales) and max:
// int8 and fp8 packages, static or dynamic per-token activations. Max pooling
// also takes i8/ui8 codes; f32 matmuls may have a run-time batch.
//
// One kernel exists per distinct (op, shape class, scheme): every MXFP8 GEMM
// shares one kernel (M, N, K are parameters), elementwise chains share one
// when their ops and shapes agree. The only run-time dimension is the batch,
// dimension 0 of the inputs; every other dimension is static.
//
// Planning is a pure function of the graph's structure and types, so the
// plan made on the compiler's graph and the one made on the package's graph
// (constants replaced by qc.weight) name the same kernels.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_CONVERSION_QCTOGPU_PROGRAM_H
#define QUANTC_CONVERSION_QCTOGPU_PROGRAM_H

#include "quantc/Conversion/QCToGPU/BlackwellGemm.h"
#include "quantc/Conversion/QCToGPU/GemmKernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <utility>
#include <vector>

namespace quantc {

/// The names of the sm_90a GEMM's kernels in a program start with this.
inline constexpr llvm::StringLiteral kHopperGemmStepPrefix = "fp8_gemm_";
/// ... and those of its int8 form (the int8 wgmma GEMM) with this.
inline constexpr llvm::StringLiteral kHopperInt8StepPrefix = "i8_wgmma_";

/// One kernel launch.
struct GpuStep {
  enum class Kind {
    Gemm, QuantizeMX, Elementwise, Conv, Pool, GlobalAvgPool, Copy, Layout,
    MatMul, Row, HopperGemm, DynamicQuantize, Int8Gemm
  };
  Kind kind;
  /// The gpu.func it launches; steps with equal kernels share one.
  std::string kernel;
  /// The ops it computes, in graph order; the last one produces the output.
  llvm::SmallVector<mlir::Operation *> ops;
  /// Values it reads and writes, in the kernel's pointer-argument order.
  llvm::SmallVector<mlir::Value> inputs, outputs;
  /// Elementwise chains: what the kernel computes, "relu(add(in0,in1))"
  /// (inputs numbered in argument order), written to the manifest; for a
  /// GEMM's or an epilogue kind's epilogue, in0 is the op's result.
  std::string expr;
  /// HopperGemm only: the GEMM also computes the run-time 1x128 quantize
  /// that alone reads its result (fp8-1x128 output): `outputs` are the
  /// codes and scales, and `inputs` hold its qmax and floor after the four
  /// GEMM operands, before the epilogue's.
  bool quantizedOutput = false;
  /// Int8Gemm: what the int8 GEMM reads after its four operands (A, SA,
  /// B, SB), in this order: bit 0 A's zero point, bit 1 B's, bit 2 a
  /// convolution's bias. HopperGemm (the int8 wgmma GEMM): bit 0, A's zero
  /// point after the four operands (and a quantized output's two).
  unsigned zeroPoints = 0;
  /// Gemm only: the sm_100a tcgen05 kernel (BlackwellGemm.h) with
  /// getProgramBlackwellGemmConfig(), A and B read through tensor maps.
  /// Set when sm_100a is the package's only target and the step's operands
  /// are e4m3 codes one per byte with K a multiple of 16 (TMA's row
  /// alignment); its kernel is named mxfp8_gemm_tc[_ep<i>].
  bool tcgen05 = false;
  /// Conv and MatMul only: a data operand (0, the input or lhs; 1, the
  /// weight or rhs) that the kernel computes itself, element by element
  /// as it loads it, from an elementwise chain: over constants (a weight's
  /// dequantize), or an activation's dequantize with one constant scale
  /// (its codes stored by the step before): the chain's ops, its expr and
  /// key, and how many of
  /// `inputs` (which hold the chain's inputs in the operand's place) it
  /// reads. The chain is then not a launch of its own.
  struct Prologue {
    unsigned operand;
    llvm::SmallVector<mlir::Operation *> ops;
    unsigned numInputs;
    std::string expr, key;
  };
  llvm::SmallVector<Prologue, 2> prologues;
  /// Conv, Pool, GlobalAvgPool, MatMul and a softmax's Row: with more than
  /// one op, the ops after the first are an elementwise epilogue the kernel
  /// computes on the first op's result in registers (`in0` of `expr`), reading
  /// the last `epilogueInputs` of `inputs`; the output is the last op's.
  unsigned epilogueInputs = 0;
};

/// Whether the step's kernel computes an elementwise epilogue on each
/// element of its one result (GpuStep::epilogueInputs): a conv, f32
/// matmul, pooling or softmax.
bool hasEpilogueKind(const GpuStep &s);

/// The op a step is named by in the manifest (its `op` and `layer`): the
/// conv, matmul, pooling or softmax of a step with an epilogue kind, else
/// the op whose result the step stores (its last).
mlir::Operation *getStepNamingOp(const GpuStep &s);

/// An Int8Gemm step's operands (buildInt8GemmKernel): their signedness,
/// zero points, weight scales and bias, from its inputs' types (a
/// convolution's geometry is left to the kernel builder).
Int8GemmOperands getInt8GemmOperands(const GpuStep &s);
/// Its kernel's name without the epilogue's suffix:
/// i8_gemm[_ua][_ub][_za][_zb|_zbc][_sb1][_tok] (u8 A, u8 B, A's zero
/// point, B's one or per column, one weight scale, a run-time activation
/// scale per token), i8_conv[_b][...] for a convolution (with a bias).
std::string getInt8GemmKernelBase(const GpuStep &s);

/// The tcgen05 GEMM configuration of a package's sm_100a Gemm steps: 128
/// columns per CTA, 4 stages.
BlackwellGemmConfig getProgramBlackwellGemmConfig();

/// The index in a GEMM step's `inputs` where its epilogue's inputs begin.
inline unsigned getEpilogueInputsBegin(const GpuStep &s) {
  if (s.kind == GpuStep::Kind::Int8Gemm)
    return 4 + (s.zeroPoints & 1) + (s.zeroPoints >> 1 & 1) +
           (s.zeroPoints >> 2 & 1);
  return (s.quantizedOutput ? 6 : 4) + (s.zeroPoints & 1);
}

struct GpuPlan {
  std::vector<GpuStep> steps;
  /// Distinct kernels in first-use order: name and the first step using it.
  std::vector<std::pair<std::string, size_t>> kernels;
  /// What has no kernel: "qc.conv" or "qc.quantize (scheme ...)", with the
  /// number of ops, in first-seen order. Empty when the graph can run.
  std::vector<std::pair<std::string, int64_t>> unsupported;
  bool runnable() const { return unsupported.empty(); }
  /// "qc.conv x4, qc.batch_norm x4" (empty when runnable).
  std::string describeUnsupported() const;
};

/// Gives every value `fn` returns a step of its own to compute it: an
/// input, a constant (a package's qc.weight) or a value returned twice is
/// returned through a same-shape qc.reshape (a byte-copy kernel), so the
/// program writes each output into its own slot. Run before
/// planGpuProgram when a package gets a GPU program.
void copyReturnedValues(mlir::func::FuncOp fn);

/// Plans `fn` (the graph's @main). Never fails: what cannot run is listed in
/// `unsupported`, and `steps` then covers only part of the graph. `only`:
/// the one target the program is for, when there is one; with SM90a the
/// fp8-1x128 matmuls whose weights qc-kmajor-weights laid out [N, K] become
/// wgmma GEMM steps (the program then runs on sm_90a alone).
GpuPlan planGpuProgram(mlir::func::FuncOp fn,
                       std::optional<KernelTarget> only = std::nullopt);

/// The shared GEMM kernel alone, for every qc.qmatmul under `root` that a
/// kernel supports:
/// what a graph that cannot run whole on a GPU still gets (a plan of GEMM
/// steps without a program).
GpuPlan planGemmKernels(mlir::Operation *root);

/// Builds each distinct kernel of a runnable plan once into the gpu.module
/// of `kernels` for target t, and points every qc.qmatmul's `kernel`
/// attribute at its kernel.
mlir::LogicalResult buildGpuKernels(const GpuPlan &plan, mlir::ModuleOp kernels,
                                    KernelTarget t);

/// The manifest's `program` for a package graph (constants are qc.weight
/// ops): values, arena slots planned by liveness, and steps with their
/// arguments and launch geometry (docs/Runtime.md). Returns json null with
/// `unsupported` filled when the graph cannot run on a GPU.
llvm::json::Value
buildGpuProgramJson(mlir::func::FuncOp packagedMain,
                    llvm::json::Array &unsupported,
                    std::optional<KernelTarget> only = std::nullopt);

} // namespace quantc

#endif
