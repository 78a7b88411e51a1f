//===- GemmKernels.h - MXFP8 GEMM kernels built as gpu.func ------*- C++ -*-===//
//
// Builds the MXFP8 block-scaled GEMM kernel as MLIR (gpu, nvvm, arith, scf,
// llvm, math ops) for one NVIDIA target. The kernel computes
//
//   C[m,n] = sum_k e4m3(A[m,k]) * 2^(As[m,k/32]-127) * e4m3(B[n,k]) * 2^(Bs[n,k/32]-127)
//
// with A: MxK e4m3 codes (row-major), As: Mxceil(K/32) E8M0 bytes,
// B: NxK e4m3 codes (row-major, i.e. the transposed weight), Bs: Nxceil(K/32),
// C: MxN f32 row-major; and, for sm_120a, the same kernel with packed e2m1
// operands and E8M0-per-32 (MXFP4) or UE4M3-per-16 (NVFP4) scales
// (BlockScaledGemm). See docs/Kernels.md.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_CONVERSION_QCTOGPU_GEMMKERNELS_H
#define QUANTC_CONVERSION_QCTOGPU_GEMMKERNELS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <optional>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace quantc {

/// GPU targets the GEMM kernels are generated for.
enum class KernelTarget {
  /// Ada (runs on Hopper through PTX JIT): dense FP8 mma.sync per 32-wide K
  /// block, E8M0 scales applied in fp32 with an explicit fma.
  SM89,
  /// Hopper, native code for the same kernels as SM89 (FP8 mma.sync, which
  /// Hopper runs on its FP16 tensor-core path; wgmma is issue 11's work), so
  /// an H100/H200 loads a cubin instead of JIT-compiling sm_89 PTX.
  SM90,
  /// Hopper with its architecture-specific features (wgmma, setmaxnreg):
  /// the same program kernels as SM90 plus the warp-specialised TMA + wgmma
  /// FP8 GEMM of HopperGemm.h. An sm_90a cubin runs only on sm_90 devices.
  SM90a,
  /// Datacenter Blackwell with its architecture-specific features
  /// (tcgen05, tensor memory): the same program kernels as SM90 (FP8
  /// mma.sync) plus the tcgen05 block-scaled MXFP8 GEMM of BlackwellGemm.h.
  /// An sm_100a cubin runs only on sm_100 devices (B200, GB200).
  SM100a,
  /// Consumer Blackwell: mma.sync ... kind::mxf8f6f4.block_scale, scales
  /// applied by the tensor core.
  SM120a,
};

/// "sm_89" -> SM89, "sm_90" -> SM90, "sm_90a" -> SM90a, "sm_100a" -> SM100a,
/// "sm_120a" -> SM120a;
/// anything else -> std::nullopt.
std::optional<KernelTarget> parseKernelTarget(llvm::StringRef chip);
/// The chip name ("sm_89", "sm_120a").
llvm::StringRef getChip(KernelTarget t);
/// The PTX feature string used in the #nvvm.target ("+ptx84", "+ptx88").
llvm::StringRef getPTXFeatures(KernelTarget t);
/// The full PTX mnemonic of the MMA instruction the kernel uses.
llvm::StringRef getMMAInstructionName(KernelTarget t);

/// Name of the gpu.module that holds every generated kernel.
inline constexpr llvm::StringLiteral kKernelModuleName = "quantc_kernels";

/// Kernel geometry (the same for both targets): a block has 4 warps
/// (blockDim = 32x4x1) and computes a 32(M) x 16(N) tile of C; warp w computes
/// the 16x8 sub-tile at (16*(w>>1), 8*(w&1)).
inline constexpr unsigned kMXFP8BlockTileM = 32;
inline constexpr unsigned kMXFP8BlockTileN = 16;
inline constexpr unsigned kMXFP8ScaleBlock = 32;

struct LaunchConfig {
  unsigned gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes;
};

/// Grid/block for the MXFP8 GEMM kernel: gridX = ceil(M/32) (M tiles),
/// gridY = ceil(N/16) (N tiles), block = (32,4,1), no dynamic shared memory.
/// Non-positive M or N give a 1x1 grid (the kernel then stores nothing).
/// gridY is limited to 65535 by CUDA, i.e. N <= 1048560.
LaunchConfig getMXFP8GemmLaunchConfig(KernelTarget t, int64_t M, int64_t N);

/// Creates (or reuses) `gpu.module @quantc_kernels` in `top` for target t and
/// adds `gpu.func @name(A, As, B, Bs, C: !llvm.ptr, M, N, K: i32) kernel`.
/// Fails (with a diagnostic) if the existing module has another target or a
/// symbol `name` already exists.
/// A fused epilogue: `extraPtrs` more pointer parameters after C (the
/// signature becomes (A, As, B, Bs, C, extra..., M, N, K)), and `apply`,
/// called at each stored element with the f32 accumulator, its row and
/// column (i64), N (i64), the extra pointers and the kernel's entry block,
/// returns the value to store (or failure, with a diagnostic).
struct GemmEpilogue {
  unsigned extraPtrs = 0;
  std::function<mlir::FailureOr<mlir::Value>(
      mlir::OpBuilder &, mlir::Value acc, mlir::Value row, mlir::Value col,
      mlir::Value N, mlir::ValueRange extra, mlir::Block *entry)>
      apply;
};

/// The MX element formats the MXFP8 GEMM also takes, one code per byte:
/// f8E5M2 (the MMA's other FP8 type), and f4E2M1FN (MXFP4), f6E2M3FN and
/// f6E3M2FN (MXFP6) recoded to e4m3 as it loads them (their values are all
/// e4m3 values, so the product is the same). f8E4M3FN (or a null type) is
/// loaded as is.
bool isMXGemmElement(mlir::Type elem);

/// How the MXFP8 GEMM reads one operand's codes: `elem` (null: e4m3) and,
/// for 4-bit codes, whether they are packed two per byte (a package's
/// weights.bin: element i in the low nibble of byte i/2 for even i).
struct GemmOperandCodes {
  mlir::Type elem;
  bool nibbles = false;
};

mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildMXFP8GemmKernel(mlir::ModuleOp top, llvm::StringRef name,
                     KernelTarget t, const GemmEpilogue *epilogue = nullptr,
                     GemmOperandCodes lhs = {}, GemmOperandCodes rhs = {});

/// The block-scaled GEMMs of the mma.sync kernel family. They share its
/// geometry (32x16 C tile per block of 4 warps, one 16x8 MMA tile per warp)
/// and its byte-level operand fragments: a 32-byte slice of K per MMA, i.e.
/// 32 FP8 elements or 64 FP4 elements packed two per byte.
enum class BlockScaledGemm {
  /// e4m3 codes, one per byte; E8M0 scale per 32 along K (every target).
  MXFP8,
  /// e2m1 codes packed two per byte (element 2i in the low nibble, each row
  /// of ceil(K/2) bytes); E8M0 scale per 32 along K. sm_120a only:
  /// mma.sync.m16n8k64 kind::mxf4 block_scale scale_vec::2X.
  MXFP4,
  /// e2m1 as MXFP4; UE4M3 scale per 16 along K (NVFP4's first level; its
  /// per-tensor f32 second level is not applied here: it is one constant
  /// factor of C, for the caller's epilogue). sm_120a only:
  /// mma.sync.m16n8k64 kind::mxf4nvf4 block_scale scale_vec::4X.
  NVFP4,
};

/// "mxfp8" / "mxfp4" / "nvfp4"; and the elements one scale covers (32, 32,
/// 16).
llvm::StringRef getBlockScaledGemmName(BlockScaledGemm g);
unsigned getBlockScaledGemmScaleBlock(BlockScaledGemm g);
/// Whether target t has an MMA for g (the FP4 kinds need sm_120a).
bool isBlockScaledGemmSupported(KernelTarget t, BlockScaledGemm g);

/// buildMXFP8GemmKernel for any BlockScaledGemm: the same signature and
/// launch configuration (getMXFP8GemmLaunchConfig); A and B are M x K and
/// N x K element codes in g's layout, As and Bs their [rows,
/// ceil(K/scaleBlock)] scale bytes. A target without g's MMA fails with a
/// diagnostic.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildBlockScaledGemmKernel(mlir::ModuleOp top, llvm::StringRef name,
                           KernelTarget t, BlockScaledGemm g,
                           const GemmEpilogue *epilogue = nullptr,
                           GemmOperandCodes lhs = {}, GemmOperandCodes rhs = {});

/// The int8 GEMM (W8A8 with static scales; docs/Kernels.md, "int8 GEMM on
/// the integer tensor cores"): which operands are unsigned and which zero
/// points and scales it reads.
struct Int8GemmOperands {
  /// A (activations) and B (weights) are u8 codes instead of s8.
  bool aUnsigned = false, bUnsigned = false;
  /// ZA: A's zero point, one element of A's type.
  bool aZeroPoint = false;
  /// ZB: B's zero point, one element or (zeroPointPerColumn) one per
  /// column of B's type.
  bool bZeroPoint = false, bZeroPointPerColumn = false;
  /// SB f32 [N] (one scale per output column) or one f32.
  bool bScalePerColumn = true;
  /// SA f32 [M] (one scale per row: dynamic per-token activations) instead
  /// of one f32. Not with `conv`.
  bool aScalePerRow = false;
  /// BIAS: f32 [N] added after the scales (a convolution's), the pointer
  /// after the zero points.
  bool bias = false;
  /// A 2-D NCHW convolution (one group) as the GEMM: its rows are the
  /// output pixels (n, oh, ow), its columns the output channels, K = C ·
  /// KH · KW. A is then the input's codes [batch, C, H, W], read through
  /// im2col (a padding tap reads ZA, so it adds nothing: the Executor pads
  /// the dequantized input with zeros), B the weight's codes [N, C, KH, KW]
  /// (a row of K per output channel), and C the output [batch, N, OH, OW].
  struct Conv {
    int64_t C, H, W, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw;
  };
  std::optional<Conv> conv;
};

/// `gpu.func @name(A, SA, B, SB, C, [ZA], [ZB], [BIAS], extra..., M, N, K)
/// kernel`
/// (ZA and ZB present as `ops` says; SA one f32, or one per row): A the
/// M x K codes
/// (row-major), B the K x N codes (row-major: a matmul's weight as the
/// graph stores it), C f32 M x N. Each warp multiplies its 16 x 8 tile
/// with `mma.sync.m16n8k32` on 8-bit integers (s8/u8 x s8/u8 -> s32), the
/// geometry of the MXFP8 kernel (getMXFP8GemmLaunchConfig), summing all of
/// K in s32; then per element
///
///   acc' = acc - ZA * colsum(B)[n] - ZB[n] * rowsum(A)[m] + K * ZA * ZB[n]
///   C[m, n] = epilogue(f32(acc') * (SA[m] * SB[n]))
///
/// which is Σ_k (A - ZA)(B - ZB) exactly (Numerics F34) times the scales.
/// The row and column sums are taken from the fragments the lanes load.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildInt8GemmKernel(mlir::ModuleOp top, llvm::StringRef name, KernelTarget t,
                    const Int8GemmOperands &ops,
                    const GemmEpilogue *epilogue = nullptr);

/// Registers the dialects the kernel builder creates ops of.
void registerGemmKernelDialects(mlir::DialectRegistry &registry);

} // namespace quantc

#endif // QUANTC_CONVERSION_QCTOGPU_GEMMKERNELS_H
