//===- HopperGemm.h - sm_90a TMA + wgmma block-scaled FP8 GEMM ---*- C++ -*-===//
//
// Builds the Hopper (sm_90a) FP8 GEMM (e4m3 x e4m3 -> f32) as a gpu.func of
// gpu/nvvm/llvm/arith/scf ops. A: MxK e4m3 codes, B: NxK e4m3 codes (the
// transposed weight), both row-major and read through TMA tensor maps; C: MxN
// f32 row-major. The scale variants (HopperScaleMode) and their arithmetic
// are Numerics rule F33 (numerics::gemmFP8Reference emulates each); see
// docs/Kernels.md, "sm_90a: TMA + wgmma FP8 GEMM".
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_CONVERSION_QCTOGPU_HOPPERGEMM_H
#define QUANTC_CONVERSION_QCTOGPU_HOPPERGEMM_H

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "quantc/Numerics/Gemm.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace quantc {

/// Rows of a CTA's tile and the K width of one pipeline stage (one TMA box
/// of A, 128 rows x 128 bytes, and one of B, tileN rows x 128 bytes, both
/// 128-byte swizzled). The tile's columns are HopperGemmConfig::tileN.
inline constexpr unsigned kHopperTileM = 128;
inline constexpr unsigned kHopperTileK = 128;
/// Shared memory a CTA may opt into on sm_90 (227 KiB).
inline constexpr unsigned kHopperMaxSharedBytes = 232448;
/// Threads of a CTA: two consumer warpgroups (64 rows of the tile each) and
/// one producer warpgroup whose first thread issues the TMA loads.
inline constexpr unsigned kHopperThreads = 384;
/// TMA needs every row of A and B (K bytes) to start on a 16-byte boundary.
inline constexpr unsigned kHopperKAlign = 16;

/// How the scales are applied: numerics::FP8GemmScales (F33, Gemm.h), whose
/// gemmFP8Reference is the arithmetic each variant implements:
/// - PerTensor: SA, SB one f32 each; wgmma accumulates all of K, C = acc *
///   (SA*SB).
/// - PerTokenPerChannel: SA f32 [M], SB f32 [N]; C = acc * (SA[m]*SB[n]).
/// - Block1x128 (DeepSeek-V3): SA f32 [M, ceil(K/128)], SB f32 [ceil(N/128),
///   ceil(K/128)]; each 128-wide K block's wgmma sum is promoted, acc =
///   fma(partial, SA[m,kb]*SB[n/128,kb], acc).
using HopperScaleMode = numerics::FP8GemmScales;

/// What the sm_90a GEMM writes (after the scales and the fused epilogue):
/// - F32: C f32 [M, N].
/// - BF16: C bf16 [M, N] (round to nearest even).
/// - FP8Block1x128: the next GEMM's A operand in DeepSeek-V3's activation
///   scheme, never an f32 C: C e4m3 codes [M, N] and one more pointer CS,
///   f32 [M, ceil(N/128)], right after C; per row and 128 columns, scale =
///   amax / 448 (1 for an all-zero group) and code = e4m3(v / scale), round
///   to nearest even, saturating (numerics::absmaxScales2D + quantize2D
///   with 1 x 128 blocks, Numerics F27). Needs tileN 128 or 256, so that a
///   group lies in one CTA.
enum class HopperOutput { F32, BF16, FP8Block1x128 };

/// "f32", "bf16", "fp8-1x128" (quant-kernel-gen --output) and back.
llvm::StringRef getHopperOutputName(HopperOutput o);
std::optional<HopperOutput> parseHopperOutput(llvm::StringRef name);

/// The codes of an operand: e4m3 (the FP8 GEMM, F33) or 8-bit integers
/// (the int8 GEMM's arithmetic, F34: wgmma s8/u8 x s8/u8 -> s32).
enum class HopperOperand { E4M3, S8, U8 };

/// "e4m3", "s8", "u8" (quant-kernel-gen --a-type/--b-type) and back.
llvm::StringRef getHopperOperandName(HopperOperand t);
std::optional<HopperOperand> parseHopperOperand(llvm::StringRef name);

/// Options of the sm_90a GEMM (pass options of a future tile heuristic).
struct HopperGemmConfig {
  HopperScaleMode scales = HopperScaleMode::Block1x128;
  HopperOutput output = HopperOutput::F32;
  /// Columns of a CTA's tile (wgmma m64nNk32's N): 16, 32, 64, 128 or 256
  /// (256 not with 1x128 scales: its promotion needs twice the
  /// accumulators).
  unsigned tileN = 128;
  /// Decode (small M): the weights B take the MMA's 128-row side and the
  /// tokens A its tileN side, C^T = B A^T computed and stored transposed,
  /// so a CTA streams 128 rows of weights against up to tileN tokens
  /// instead of padding M to 128. Same arguments and C layout; the tensor
  /// maps' boxes swap (A: tileN rows, B: 128), the grid is (ceil(M/tileN),
  /// ceil(N/128)). Not with the fp8-1x128 output.
  bool swapAB = false;
  /// Persistent CTAs: the grid is at most one CTA per SM and each CTA
  /// walks the tiles blockIdx.x, blockIdx.x + gridDim.x, ... (row-major
  /// over ceil(M/128) x ceil(N/tileN), or the swapped extents); the ring of
  /// stages runs on from one tile to the next, so the producer loads the
  /// next tile while the consumers store this one.
  bool persistent = false;
  /// Split-K (decode: fewer tiles than SMs): the grid's z = splitK CTAs
  /// per tile each sum ceil(KB / splitK) K blocks; two more pointers follow
  /// C (and CS): W, f32 splitK x M x N partial sums (laid out [splitK,
  /// rows, cols] of the tile grid: [splitK, N, M] with swapAB), and a u32
  /// [gridDim.x * gridDim.y, 8] counter per tile and consumer warp, zero
  /// before the first launch (the kernel leaves it zero). The last warp of
  /// a tile to finish sums the partials in z order. One W and counters per
  /// launch in flight (launches on two streams must not share them).
  /// 1 .. 64; not with persistent nor the fp8-1x128 output.
  unsigned splitK = 1;
  /// 1x128 scales only: SB is f32 [N, ceil(K/128)], one row per weight row
  /// (a package's blocked dequantize_linear of the [N, K] weight codes),
  /// instead of [ceil(N/128), ceil(K/128)]. The rows of a 128-row block
  /// hold the same scales (128 x 128 weight blocks); the kernel reads the
  /// block's first row, SB[(n/128)*128, kb].
  bool weightScalesPerRow = false;
  /// Per-channel scales only: SA is one f32, a static per-tensor
  /// activation scale (W8A8 `fp8`), read for every row: C = acc * (SA[0] *
  /// SB[n]), F33's per-channel arithmetic with SA[m] = SA[0].
  bool activationScalePerTensor = false;
  /// fp8-1x128 output only: each 1x128 group's scale follows
  /// qc-quantize-linear's run-time rule (F31, what the next layer's
  /// activation quantize computes in a package): s = maxNaN(amax / QMAX[0],
  /// FLOOR[0]), a NaN in the group giving a NaN amax, where QMAX and FLOOR
  /// are two f32 pointers after CS. Without it s = amax / 448, and 1 for an
  /// all-zero group (Numerics' absmaxScales2D).
  bool outputScaleFloor = false;
  /// Pipeline depth: shared-memory buffers of A and B in flight (2 up to what
  /// fits Hopper's 227 KiB per CTA: 7 stages of 32 KiB at tileN 128, 9 of
  /// 24 KiB at 64, 4 of 48 KiB at 256).
  unsigned stages = 6;
  /// setmaxnreg register budgets of the producer and consumer warpgroups
  /// (multiples of 8 in [24, 256]; 128 * (rp + 2 rc) <= 65536).
  unsigned producerRegs = 40;
  unsigned consumerRegs = 232;
  /// The codes of A (the activations) and B (the weights): both e4m3, or
  /// both integer, s8 or u8 each. Integer operands take per-channel or
  /// per-tensor scales: wgmma sums all of K exactly in s32 (wrapping; the
  /// caller keeps K * 255^2 below 2^31) and C = fl(f32(acc) * fl(SA * SB[n]))
  /// (Numerics F34; split-K sums the partials in s32 too).
  HopperOperand a = HopperOperand::E4M3, b = HopperOperand::E4M3;
  /// Integer operands only: A has a zero point za (an asymmetric
  /// activation scheme). One more pointer follows C's others (after W and
  /// the counters): ZA, one code of A's type. acc - za * sum_k B[n, k] is
  /// the exact zero-point-corrected sum (F34); the producer warpgroup's
  /// warps 1-3 sum the weight rows of each stage's tile in shared memory
  /// while the consumers run the K loop.
  bool activationZeroPoint = false;
};

/// Checks a configuration; the error says which field is wrong and why.
llvm::Error verifyHopperGemmConfig(const HopperGemmConfig &cfg);

/// Checks that the kernel takes an M x N x K problem: all >= 1 and fit i32,
/// K a multiple of 16 (TMA row alignment), grid rows within CUDA's 65535.
/// The error names the dimension; callers fall back to the mma.sync kernel
/// or refuse the shape, never run it.
llvm::Error checkHopperGemmShape(int64_t M, int64_t N, int64_t K,
                                 bool swapAB = false);

/// Whether A and B are integer codes (HopperGemmConfig::a, b).
inline bool isIntegerHopperGemm(const HopperGemmConfig &cfg) {
  return cfg.a != HopperOperand::E4M3;
}

/// Dynamic shared memory of one CTA: stages x (A + B tile) plus two
/// mbarriers per stage (and the scratch of the decode kernel's fp8-1x128
/// output or of the weight sums of a zero point).
unsigned getHopperGemmSharedBytes(const HopperGemmConfig &cfg);

/// The tile heuristic (docs/Kernels.md, "Tile choice"): tileN 64 when
/// 128 x 128 tiles leave SMs idle (fewer tiles than `numSMs`), 256 when the
/// scales allow it and 128 x 256 tiles still fill every SM at least twice
/// (fewer re-reads of A), else 128; the deepest pipeline that fits, at most
/// 8 stages.
HopperGemmConfig chooseHopperGemmConfig(int64_t M, int64_t N, int64_t K,
                                        HopperScaleMode scales,
                                        unsigned numSMs = 132);

/// grid = (ceil(N/tileN), ceil(M/128), splitK) (swapAB: (ceil(M/tileN),
/// ceil(N/128), splitK); persistent: (min(tiles, numSMs), 1, 1)),
/// block = (384, 1, 1), sharedBytes as
/// above (the launcher must raise CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE
/// _BYTES to it).
LaunchConfig getHopperGemmLaunchConfig(const HopperGemmConfig &cfg, int64_t M,
                                       int64_t N, unsigned numSMs = 132);

/// The fields of a wgmma shared-memory matrix descriptor (PTX ISA, "Matrix
/// Descriptor Format"), byte values before encoding.
struct WgmmaDescriptor {
  uint32_t startAddress = 0;      ///< shared-memory address, bits 0-13 (>>4)
  uint32_t leadingByteOffset = 0; ///< bits 16-29 (>>4)
  uint32_t strideByteOffset = 0;  ///< bits 32-45 (>>4)
  uint32_t baseOffset = 0;        ///< bits 49-51
  /// bits 62-63: 0 none, 1 128-byte, 2 64-byte, 3 32-byte swizzle.
  uint32_t swizzle = 0;
};
/// Encodes the fields (addresses modulo 256 KiB, offsets >> 4).
uint64_t encodeWgmmaDescriptor(const WgmmaDescriptor &d);
/// Decodes a descriptor into byte values (the inverse of encode for
/// 16-byte-aligned fields below 256 KiB).
WgmmaDescriptor decodeWgmmaDescriptor(uint64_t bits);
/// The descriptor of a K-major, 128-byte-swizzled e4m3 tile as the kernel
/// uses it (LBO 16, SBO 1024 = 8 rows of 128 bytes) at `smemAddress`.
uint64_t getHopperTileDescriptor(uint32_t smemAddress);

/// Adds `gpu.func @name(tmA, tmB, SA, SB, C, [CS,] extra..., M, N, K)
/// kernel` to the sm_90a kernel module of `top` (the FP8 GEMM, or with
/// integer operands the int8 one). tmA and tmB point to
/// 128-byte CUtensorMaps in global memory (docs/Kernels.md lists the encode
/// parameters); SA, SB, C (and CS with FP8Block1x128 output) are global
/// pointers; M, N, K are i32. The epilogue (same interface as the mma.sync
/// kernel's) is applied to each element before it is converted and stored.
/// Fails with a diagnostic on a bad config or a name clash.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildHopperFP8GemmKernel(mlir::ModuleOp top, llvm::StringRef name,
                         const HopperGemmConfig &cfg = {},
                         const GemmEpilogue *epilogue = nullptr);

} // namespace quantc

#endif // QUANTC_CONVERSION_QCTOGPU_HOPPERGEMM_H
