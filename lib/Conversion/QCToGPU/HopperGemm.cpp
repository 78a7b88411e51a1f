//===- HopperGemm.cpp - sm_90a TMA + wgmma block-scaled FP8 GEMM ----------===//
//
// A warp-specialised GEMM built op by op: one producer thread streams the
// 128x128 tiles of A and B through a ring of shared-memory stages with TMA
// (mbarrier-completed), two consumer warpgroups each run four
// wgmma.m64n128k32 per 128-wide K block and promote the block's f32 partial
// sums into fp32 accumulators with the block's scales. Only NVVM/LLVM ops
// are used for the Hopper features, so the stock convert-gpu-to-nvvm +
// NVVM target lowering (PTXEmitter) turns it into PTX; no inline PTX.
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToGPU/HopperGemm.h"
#include "KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/Twine.h"

#include <limits>

using namespace mlir;

namespace quantc {

namespace {
constexpr unsigned kTileABytes = kHopperTileM * kHopperTileK; // A, one stage
/// B's tile of one stage: tileN rows of 128 bytes.
unsigned tileBBytes(const HopperGemmConfig &cfg) {
  return cfg.tileN * kHopperTileK;
}
constexpr unsigned kMaxSharedBytes = kHopperMaxSharedBytes;
constexpr llvm::StringLiteral kSharedSymbol = "quantc_dsmem";
/// Columns of B one 1x128-mode weight scale covers (SB is [ceil(N/128), KB]).
constexpr int64_t kFP8WeightBlock = numerics::kFP8GemmBlock;

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
} // namespace

namespace {
/// The swapped kernel's fp8-1x128 output: each of the 8 consumer warps'
/// per-column amax, f32 [8][tileN], after the mbarriers.
unsigned swappedAmaxBytes(const HopperGemmConfig &cfg) {
  return cfg.swapAB && cfg.output == HopperOutput::FP8Block1x128
             ? 8 * cfg.tileN * 4
             : 0;
}
/// The weight rows of a tile: the 128 rows with swapAB, else tileN columns.
unsigned weightRowsPerTile(const HopperGemmConfig &cfg) {
  return cfg.swapAB ? kHopperTileM : cfg.tileN;
}
/// A zero point's weight sums, s32 per weight row of the tile, after the
/// amax scratch.
unsigned weightSumBytes(const HopperGemmConfig &cfg) {
  return cfg.activationZeroPoint ? 4 * weightRowsPerTile(cfg) : 0;
}
unsigned scratchBytes(const HopperGemmConfig &cfg) {
  return swappedAmaxBytes(cfg) + weightSumBytes(cfg);
}
} // namespace

llvm::StringRef getHopperOutputName(HopperOutput o) {
  switch (o) {
  case HopperOutput::F32:
    return "f32";
  case HopperOutput::BF16:
    return "bf16";
  case HopperOutput::FP8Block1x128:
    return "fp8-1x128";
  }
  llvm_unreachable("unknown HopperOutput");
}

std::optional<HopperOutput> parseHopperOutput(llvm::StringRef name) {
  for (HopperOutput o :
       {HopperOutput::F32, HopperOutput::BF16, HopperOutput::FP8Block1x128})
    if (name == getHopperOutputName(o))
      return o;
  return std::nullopt;
}

llvm::StringRef getHopperOperandName(HopperOperand t) {
  switch (t) {
  case HopperOperand::E4M3:
    return "e4m3";
  case HopperOperand::S8:
    return "s8";
  case HopperOperand::U8:
    return "u8";
  }
  llvm_unreachable("unknown HopperOperand");
}

std::optional<HopperOperand> parseHopperOperand(llvm::StringRef name) {
  for (HopperOperand t :
       {HopperOperand::E4M3, HopperOperand::S8, HopperOperand::U8})
    if (name == getHopperOperandName(t))
      return t;
  return std::nullopt;
}

llvm::Error verifyHopperGemmConfig(const HopperGemmConfig &cfg) {
  bool intA = cfg.a != HopperOperand::E4M3, intB = cfg.b != HopperOperand::E4M3;
  if (intA != intB)
    return err(llvm::Twine("A ") + getHopperOperandName(cfg.a) + " and B " +
               getHopperOperandName(cfg.b) +
               ": wgmma takes two e4m3 operands or two 8-bit integer ones");
  if (intA && cfg.scales == HopperScaleMode::Block1x128)
    return err("1x128 scales with integer operands: the int8 GEMM sums all "
               "of K in s32 and takes per-channel or per-tensor scales");
  if (cfg.activationZeroPoint && !intA)
    return err("activationZeroPoint with e4m3 operands: only integer codes "
               "have zero points");
  if (cfg.tileN != 16 && cfg.tileN != 32 && cfg.tileN != 64 &&
      cfg.tileN != 128 && cfg.tileN != 256)
    return err("tileN = " + llvm::Twine(cfg.tileN) +
               ": expected 16, 32, 64, 128 or 256");
  if (cfg.splitK < 1 || cfg.splitK > 64)
    return err("splitK = " + llvm::Twine(cfg.splitK) + ": expected 1 .. 64");
  if (cfg.splitK > 1 && cfg.output == HopperOutput::FP8Block1x128)
    return err("splitK with fp8-1x128 output: the reduction and the "
               "output's group scales together spill registers (ptxas: 16 "
               "bytes at tileN 128); use the f32 or bf16 output");
  if (cfg.splitK > 1 && cfg.persistent)
    return err("splitK with persistent CTAs: a persistent CTA walks whole "
               "tiles (not built)");
  // (With swapAB a 1x128 group runs down a column of the swapped tile,
  // whose 128 rows are one group: any tileN takes it.)
  if (cfg.output == HopperOutput::FP8Block1x128 && !cfg.swapAB &&
      cfg.tileN % 128)
    return err("tileN = " + llvm::Twine(cfg.tileN) +
               " with fp8-1x128 output: a 1x128 group of the output would "
               "span two CTAs, whose amax cannot be shared; use 128 or 256");
  if (cfg.weightScalesPerRow && cfg.scales != HopperScaleMode::Block1x128)
    return err("weightScalesPerRow with " +
               llvm::Twine(numerics::getFP8GemmScalesName(cfg.scales)) +
               " scales: only the 1x128 mode has weight blocks");
  if (cfg.outputScaleFloor && cfg.output != HopperOutput::FP8Block1x128)
    return err("outputScaleFloor with " +
               llvm::Twine(getHopperOutputName(cfg.output)) +
               " output: only the fp8-1x128 output has scales");
  if (cfg.activationScalePerTensor &&
      cfg.scales != HopperScaleMode::PerTokenPerChannel)
    return err("activationScalePerTensor with " +
               llvm::Twine(numerics::getFP8GemmScalesName(cfg.scales)) +
               " scales: only the per-channel mode reads a scale per token");
  if (cfg.tileN == 256 && cfg.scales == HopperScaleMode::Block1x128)
    return err("tileN = 256 with 1x128 scales: the promotion keeps 128 "
               "f32 accumulators and 128 f32 partial sums per consumer "
               "thread, more than its 232 registers; use 64 or 128");
  unsigned maxStages = (kMaxSharedBytes - scratchBytes(cfg)) /
                       (kTileABytes + tileBBytes(cfg) + 16);
  if (cfg.stages < 2 || cfg.stages > maxStages)
    return err("stages = " + llvm::Twine(cfg.stages) + ": expected 2.." +
               llvm::Twine(maxStages) + " for tileN = " +
               llvm::Twine(cfg.tileN) + " (a stage is " +
               llvm::Twine((kTileABytes + tileBBytes(cfg)) / 1024) +
               " KiB of shared memory; a CTA gets at most 227 KiB)");
  for (auto [what, r] : {std::pair<const char *, unsigned>{
                             "producerRegs", cfg.producerRegs},
                         {"consumerRegs", cfg.consumerRegs}})
    if (r < 24 || r > 256 || r % 8)
      return err(llvm::Twine(what) + " = " + llvm::Twine(r) +
                 ": setmaxnreg takes a multiple of 8 in [24, 256]");
  // At launch every thread has the same share (168 for 384 threads at one
  // CTA per SM); setmaxnreg moves registers from the producer to the
  // consumers, whose TRY_ALLOC spins until enough have been released.
  constexpr unsigned launchRegs = (65536 / kHopperThreads) & ~7u;
  if (cfg.producerRegs > launchRegs || cfg.consumerRegs < launchRegs)
    return err("producerRegs = " + llvm::Twine(cfg.producerRegs) +
               ", consumerRegs = " + llvm::Twine(cfg.consumerRegs) +
               ": the producer can only give up registers and the consumers "
               "only take them (each thread starts with " +
               llvm::Twine(launchRegs) + ")");
  if (cfg.producerRegs + 2 * cfg.consumerRegs > 3 * launchRegs)
    return err("producerRegs + 2 * consumerRegs = " +
               llvm::Twine(cfg.producerRegs + 2 * cfg.consumerRegs) +
               ": more than the " + llvm::Twine(3 * launchRegs) +
               " the three warpgroups start with; the consumers' setmaxnreg "
               "would wait forever");
  return llvm::Error::success();
}

llvm::Error checkHopperGemmShape(int64_t M, int64_t N, int64_t K,
                                 bool swapAB) {
  for (auto [name, v] : {std::pair<const char *, int64_t>{"M", M},
                         {"N", N},
                         {"K", K}})
    if (v < 1 || v > 0x7FFFFFFF)
      return err(llvm::Twine(name) + " = " + llvm::Twine(v) +
                 ": the sm_90a GEMM takes 1 .. 2^31-1");
  if (K % kHopperKAlign)
    return err("K = " + llvm::Twine(K) +
               " is not a multiple of 16: TMA needs every row of A and B "
               "(K e4m3 bytes) to start on a 16-byte boundary");
  int64_t rows = swapAB ? N : M;
  if ((rows + kHopperTileM - 1) / kHopperTileM > 65535)
    return err(llvm::Twine(swapAB ? "N = " : "M = ") + llvm::Twine(rows) +
               ": more than 65535 row tiles of " + llvm::Twine(kHopperTileM) +
               " (CUDA's grid y limit)");
  return llvm::Error::success();
}

unsigned getHopperGemmSharedBytes(const HopperGemmConfig &cfg) {
  return cfg.stages * (kTileABytes + tileBBytes(cfg)) + cfg.stages * 2 * 8 +
         scratchBytes(cfg);
}

HopperGemmConfig chooseHopperGemmConfig(int64_t M, int64_t N, int64_t K,
                                        HopperScaleMode scales,
                                        unsigned numSMs) {
  HopperGemmConfig cfg;
  cfg.scales = scales;
  auto tiles = [&](int64_t bn) {
    return ((std::max<int64_t>(M, 1) + kHopperTileM - 1) / kHopperTileM) *
           ((std::max<int64_t>(N, 1) + bn - 1) / bn);
  };
  if (M <= 64) {
    // Decode: the weights on the MMA's 128-row side, the tokens on the
    // narrowest tileN that holds them (no padding of M to 128).
    cfg.swapAB = true;
    cfg.tileN = M <= 16 ? 16 : M <= 32 ? 32 : 64;
  } else if (tiles(128) < numSMs && N > 64)
    cfg.tileN = 64; // under one wave: twice the CTAs
  else if (scales != HopperScaleMode::Block1x128 && N >= 256 &&
           tiles(256) >= 2 * static_cast<int64_t>(numSMs))
    cfg.tileN = 256; // two waves or more even so: half the A traffic
  // More tiles than SMs: persistent CTAs, one per SM, each loading its
  // next tile while it stores this one.
  {
    int64_t rows = cfg.swapAB ? N : M, cols = cfg.swapAB ? M : N;
    int64_t all = ((std::max<int64_t>(rows, 1) + kHopperTileM - 1) /
                   kHopperTileM) *
                  ((std::max<int64_t>(cols, 1) + cfg.tileN - 1) / cfg.tileN);
    cfg.persistent = all > static_cast<int64_t>(numSMs);
    // Decode with fewer tiles than half the SMs: split K over up to 8
    // CTAs per tile (each keeping at least 4 K blocks) to stream the
    // weights with more SMs.
    int64_t kBlocks =
        (std::max<int64_t>(K, 1) + kHopperTileK - 1) / kHopperTileK;
    if (cfg.swapAB && 2 * all <= static_cast<int64_t>(numSMs)) {
      int64_t s = std::max<int64_t>(
          1, std::min<int64_t>({numSMs / all, kBlocks / 4, 8}));
      // No empty splits: as many as ceil(KB / s) blocks per split need.
      int64_t per = (kBlocks + s - 1) / s;
      cfg.splitK = static_cast<unsigned>((kBlocks + per - 1) / per);
    }
  }
  // The deepest ring that fits, at most 8 stages, and no more stages than
  // K blocks.
  int64_t fit = kMaxSharedBytes / (kTileABytes + tileBBytes(cfg) + 16);
  int64_t kBlocks = (std::max<int64_t>(K, 1) + kHopperTileK - 1) / kHopperTileK;
  cfg.stages = static_cast<unsigned>(
      std::max<int64_t>(2, std::min<int64_t>({fit, 8, kBlocks})));
  return cfg;
}

LaunchConfig getHopperGemmLaunchConfig(const HopperGemmConfig &cfg, int64_t M,
                                       int64_t N, unsigned numSMs) {
  auto tiles = [](int64_t x, int64_t t) -> unsigned {
    return x <= 0 ? 1u : static_cast<unsigned>((x + t - 1) / t);
  };
  if (cfg.swapAB)
    std::swap(M, N);
  if (cfg.persistent) {
    uint64_t all = uint64_t(tiles(N, cfg.tileN)) * tiles(M, kHopperTileM);
    return {static_cast<unsigned>(std::min<uint64_t>(all, std::max(numSMs, 1u))),
            1, 1, kHopperThreads, 1, 1, getHopperGemmSharedBytes(cfg)};
  }
  return {tiles(N, cfg.tileN), tiles(M, kHopperTileM), cfg.splitK,
          kHopperThreads, 1, 1, getHopperGemmSharedBytes(cfg)};
}

uint64_t encodeWgmmaDescriptor(const WgmmaDescriptor &d) {
  return (static_cast<uint64_t>((d.startAddress & 0x3FFFF) >> 4)) |
         (static_cast<uint64_t>((d.leadingByteOffset >> 4) & 0x3FFF) << 16) |
         (static_cast<uint64_t>((d.strideByteOffset >> 4) & 0x3FFF) << 32) |
         (static_cast<uint64_t>(d.baseOffset & 0x7) << 49) |
         (static_cast<uint64_t>(d.swizzle & 0x3) << 62);
}

WgmmaDescriptor decodeWgmmaDescriptor(uint64_t bits) {
  WgmmaDescriptor d;
  d.startAddress = static_cast<uint32_t>(bits & 0x3FFF) << 4;
  d.leadingByteOffset = static_cast<uint32_t>((bits >> 16) & 0x3FFF) << 4;
  d.strideByteOffset = static_cast<uint32_t>((bits >> 32) & 0x3FFF) << 4;
  d.baseOffset = static_cast<uint32_t>((bits >> 49) & 0x7);
  d.swizzle = static_cast<uint32_t>(bits >> 62);
  return d;
}

uint64_t getHopperTileDescriptor(uint32_t smemAddress) {
  // K-major with 128-byte swizzle: a core matrix is 8 rows x 128 bytes, so
  // the stride between core matrices along M/N is 1024 bytes; the leading
  // offset is unused for swizzled K-major layouts (1 by convention). The
  // tiles start on 1024-byte boundaries, so the base offset is 0.
  return encodeWgmmaDescriptor({smemAddress, 16, 1024, 0, 1});
}

void detail::emitTensorMapAcquire(KernelEmitter &e, ValueRange maps) {
  for (Value tm : maps) {
    NVVM::FenceProxyAcquireOp::create(e.b, e.loc, NVVM::MemScopeKind::SYS, tm,
                                      e.c32(128));
    NVVM::PrefetchOp::create(e.b, e.loc, /*cacheLevel=*/nullptr,
                             /*evictPriority=*/nullptr, tm,
                             /*predicate=*/Value(), /*tensormap=*/true);
  }
}

void detail::emitTmaStageLoad(KernelEmitter &e, Value full, int64_t bytes,
                              Value kx, ArrayRef<TmaBox> boxes) {
  OpBuilder &b = e.b;
  MLIRContext *ctx = b.getContext();
  NVVM::MBarrierArriveExpectTxOp::create(b, e.loc, Type(), full,
                                         e.c32(bytes),
                                         NVVM::MemScopeKind::CTA, false,
                                         Value());
  Type cptr = LLVM::LLVMPointerType::get(ctx, 7);
  for (const TmaBox &box : boxes) {
    Value dst = LLVM::AddrSpaceCastOp::create(b, e.loc, cptr, box.dst);
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        b, e.loc, dst, box.map,
        ValueRange{kx, arith::TruncIOp::create(b, e.loc, e.i32, box.row)},
        full, ValueRange{}, /*multicastMask=*/Value(), /*l2CacheHint=*/Value(),
        NVVM::TMALoadModeAttr::get(ctx, NVVM::TMALoadMode::TILE),
        b.getBoolAttr(false), /*group=*/nullptr, /*predicate=*/Value());
  }
}

LLVM::GlobalOp detail::getOrCreateSharedArray(gpu::GPUModuleOp kmod) {
  if (auto g = kmod.lookupSymbol<LLVM::GlobalOp>(kSharedSymbol))
    return g;
  OpBuilder b(kmod.getContext());
  b.setInsertionPointToStart(kmod.getBody());
  auto ty = LLVM::LLVMArrayType::get(b.getI8Type(), 0);
  return LLVM::GlobalOp::create(b, kmod.getLoc(), ty, /*isConstant=*/false,
                                LLVM::Linkage::External, kSharedSymbol,
                                Attribute(), /*alignment=*/1024,
                                /*addrSpace=*/3);
}

namespace {
/// The arithmetic of the fp8-1x128 output shared by both storers: |v| by
/// clearing the sign bit (math.absf and llvm.intr.fabs become libdevice
/// calls in the NVVM conversion); a group's amax by compare and select
/// (arith.maxnumf becomes a libdevice call), ignoring NaN as fmaxf does,
/// or with QMAX and FLOOR (outputScaleFloor) the Executor's maxNaN (NaN if
/// either is NaN, else x > y ? x : y: equal values of opposite sign give
/// y); the scale amax / 448 (1 for 0), or maxNaN(amax / QMAX[0],
/// FLOOR[0]).
struct GroupScale {
  OpBuilder &b;
  Location loc;
  detail::KernelEmitter &e;
  Value QMAX, FLOOR;

  Value abs(Value v, Value valid) {
    Value bits = arith::BitcastOp::create(b, loc, e.i32, v);
    Value a = arith::BitcastOp::create(b, loc, e.f32,
                                       e.band(bits, e.c32(0x7fffffff)));
    return e.select(valid, a, e.f32c(0.0f));
  }
  Value maxNaN(Value x, Value y) {
    Value nan = e.f32c(std::numeric_limits<float>::quiet_NaN());
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
    return e.select(
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, y), nan,
        e.select(gt, x, y));
  }
  Value max(Value x, Value y) {
    if (QMAX)
      return maxNaN(x, y);
    return e.select(
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, y, x), y, x);
  }
  Value scale(Value amax) {
    if (QMAX)
      return maxNaN(
          arith::DivFOp::create(b, loc, amax,
                                LLVM::LoadOp::create(b, loc, e.f32, QMAX)),
          LLVM::LoadOp::create(b, loc, e.f32, FLOOR));
    return e.select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          amax, e.f32c(0.0f)),
                    e.f32c(1.0f),
                    arith::DivFOp::create(b, loc, amax, e.f32c(448.0f)));
  }
  /// Every accumulator's value (finalValue at coordinates clamped into
  /// rows x cols, so that every lane takes part in the shuffles) and
  /// whether it lies inside them (outside, it counts as 0 and is not
  /// stored).
  LogicalResult values(
      int kAcc, Value rows, Value cols, llvm::function_ref<Value(int)> rowOf,
      llvm::function_ref<Value(int)> colOf,
      llvm::function_ref<FailureOr<Value>(int, Value, Value)> finalValue,
      SmallVector<Value> &v, SmallVector<Value> &valid) {
    Value lastRow = e.add(rows, e.c64(-1)), lastCol = e.add(cols, e.c64(-1));
    v.assign(kAcc, Value());
    valid.assign(kAcc, Value());
    for (int i = 0; i < kAcc; ++i) {
      Value row = rowOf(i), col = colOf(i);
      valid[i] = e.land(e.ult(row, rows), e.ult(col, cols));
      FailureOr<Value> x =
          finalValue(i, e.select(e.ult(row, rows), row, lastRow),
                     e.select(e.ult(col, cols), col, lastCol));
      if (failed(x))
        return failure();
      v[i] = *x;
    }
    return success();
  }
  /// e4m3 codes of v0 / scale and v1 / scale in one cvt.rn.satfinite
  /// .e4m3x2.f32 (`a` lands in the high byte): v0's code in bits 0-7, v1's
  /// in 8-15 of the i32.
  Value codes(Value v0, Value v1, Value scale) {
    Value pair = NVVM::ConvertF32x2ToF8x2Op::create(
        b, loc, b.getI16Type(), arith::DivFOp::create(b, loc, v1, scale),
        arith::DivFOp::create(b, loc, v0, scale), NVVM::FPRoundingMode::RN,
        NVVM::SaturationMode::SATFINITE, /*relu=*/false,
        b.getType<Float8E4M3FNType>());
    return arith::ExtUIOp::create(b, loc, e.i32, pair);
  }
  /// The codes of values i0 and i1 in one conversion, each byte stored at
  /// byteAddr(i) where valid[i].
  void storeCodePair(ArrayRef<Value> v, ArrayRef<Value> valid, int i0, int i1,
                     Value scale, llvm::function_ref<Value(int)> byteAddr) {
    Value p32 = codes(v[i0], v[i1], scale);
    for (int h = 0; h < 2; ++h) {
      int i = h ? i1 : i0;
      OpBuilder::InsertionGuard guard(b);
      e.ifThen(valid[i]);
      Value byte = arith::TruncIOp::create(b, loc, e.i8,
                                           h ? e.shru(p32, e.c32(8)) : p32);
      LLVM::StoreOp::create(b, loc, byte, byteAddr(i));
    }
  }
};
} // namespace

/// The FP8 1x128 output of the swapped (decode) kernel: the tile's 128
/// rows are weights, i.e. one 1x128 group of the output's columns, and
/// its columns tokens, i.e. output rows, so a group is a column of the
/// tile across both consumer warpgroups. Each thread takes the amax of
/// its two rows per column, three butterfly shuffles (lanes 4, 8, 16
/// apart) that of the warp's 16 rows, lanes 0-3 store it to `scratch`
/// [8 warps][tileN], and after a barrier of the 256 consumer threads every
/// thread reduces the 8 warps' values of its columns in warp order. The
/// scale (as storeBlockFP8's) is stored by warp 0 of warpgroup 0, the codes
/// by every thread at C [token, weight]. A second barrier keeps the
/// scratch until all have read it (a persistent CTA's next tile writes it
/// again).
static LogicalResult storeSwappedBlockFP8(
    OpBuilder &b, Location loc, detail::KernelEmitter &e, int kAcc, Value m0,
    Value M, Value T, Value N, Value lane, Value warpInGroups, Value scratch,
    int64_t BN, Value C, Value CS, Value QMAX, Value FLOOR,
    llvm::function_ref<Value(int)> rowOf, llvm::function_ref<Value(int)> colOf,
    llvm::function_ref<Value(int)> tileColOf,
    llvm::function_ref<FailureOr<Value>(int, Value, Value)> finalValue) {
  Type f32 = e.f32;
  GroupScale gs{b, loc, e, QMAX, FLOOR};
  auto barrier256 = [&] {
    NVVM::BarrierOp::create(b, loc, Type(), e.c32(1), e.c32(256),
                            /*reductionOp=*/nullptr,
                            /*reductionPredicate=*/Value());
  };
  SmallVector<Value> v, valid;
  if (failed(gs.values(kAcc, M, T, rowOf, colOf, finalValue, v, valid)))
    return failure();
  // Accumulators 4j + 2h + c: rows h = 0, 1 of tile column 8j + 2(l%4) + c.
  Value firstLanes = e.ult(lane, e.c64(4));
  for (int q = 0; q < kAcc; q += 4)
    for (int c = 0; c < 2; ++c) {
      int i0 = q + c, i1 = q + 2 + c;
      Value amax = gs.max(gs.abs(v[i0], valid[i0]), gs.abs(v[i1], valid[i1]));
      for (int off : {4, 8, 16}) {
        Value other = NVVM::ShflOp::create(
            b, loc, f32, e.c32(-1), amax, e.c32(off), e.c32(0x1f),
            NVVM::ShflKind::bfly, /*return_value_and_is_valid=*/nullptr);
        amax = gs.max(amax, other);
      }
      OpBuilder::InsertionGuard guard(b);
      e.ifThen(firstLanes);
      LLVM::StoreOp::create(
          b, loc, amax,
          e.gep(scratch, f32,
                e.add(e.mul(warpInGroups, e.c64(BN)), tileColOf(i0))));
    }
  barrier256();
  Value group = arith::DivUIOp::create(b, loc, m0, e.c64(128));
  Value groups =
      arith::DivUIOp::create(b, loc, e.add(M, e.c64(127)), e.c64(128));
  Value scaleWriter = e.land(e.eq(warpInGroups, e.c64(0)), firstLanes);
  for (int q = 0; q < kAcc; q += 4)
    for (int c = 0; c < 2; ++c) {
      int i0 = q + c, i1 = q + 2 + c;
      Value amax = e.f32c(0.0f);
      for (int w = 0; w < 8; ++w)
        amax = gs.max(
            amax, LLVM::LoadOp::create(
                      b, loc, f32,
                      e.gep(scratch, f32, e.add(e.c64(w * BN), tileColOf(i0)))));
      Value scale = gs.scale(amax);
      Value token = colOf(i0);
      {
        OpBuilder::InsertionGuard guard(b);
        e.ifThen(e.land(e.land(scaleWriter, e.ult(token, T)),
                        e.ult(group, groups)));
        LLVM::StoreOp::create(
            b, loc, scale, e.gep(CS, f32, e.add(e.mul(token, groups), group)));
      }
      // The column's two rows in one conversion.
      gs.storeCodePair(v, valid, i0, i1, scale, [&](int i) {
        return e.gep(C, e.i8, e.add(e.mul(token, N), rowOf(i)));
      });
    }
  barrier256();
  return success();
}

/// The FP8 1x128 output of the consumer threads (HopperOutput): per row
/// half (rows A and B of the fragment) and per 128-column group of the
/// tile, the amax of the quad's valid values (each lane holds 32 of a
/// group's 128 columns; two butterfly shuffles combine the quad), the scale
/// amax / 448 (1 for 0), stored by the quad's lane 0, then every valid
/// element's code e4m3(v / scale). Elements past M or N are computed at
/// clamped coordinates (every lane takes part in the shuffles) and count
/// as 0. With QMAX and FLOOR (outputScaleFloor) the amax is NaN when any
/// value is, and the scale maxNaN(amax / QMAX[0], FLOOR[0]).
static LogicalResult storeBlockFP8(
    OpBuilder &b, Location loc, detail::KernelEmitter &e, int kAcc, int64_t BN,
    Value n0, Value M, Value N, Value lane, Value C, Value CS, Value QMAX,
    Value FLOOR,
    llvm::function_ref<Value(int)> rowOf, llvm::function_ref<Value(int)> colOf,
    llvm::function_ref<FailureOr<Value>(int, Value, Value)> finalValue) {
  Type f32 = e.f32;
  GroupScale gs{b, loc, e, QMAX, FLOOR};
  SmallVector<Value> v, valid;
  if (failed(gs.values(kAcc, M, N, rowOf, colOf, finalValue, v, valid)))
    return failure();
  Value groups = arith::DivUIOp::create(b, loc, e.add(N, e.c64(127)),
                                        e.c64(128));
  // Accumulators 4j + 2h + c: half h, column 8j + c of the tile.
  for (int h = 0; h < 2; ++h) {
    for (int64_t g = 0; g < BN / 128; ++g) {
      Value amax = e.f32c(0.0f);
      SmallVector<int> members;
      for (int i = 0; i < kAcc; ++i)
        if ((i / 2) % 2 == h && (8 * (i / 4)) / 128 == g) {
          members.push_back(i);
          amax = gs.max(amax, gs.abs(v[i], valid[i]));
        }
      for (int off : {1, 2}) {
        Value other = NVVM::ShflOp::create(
            b, loc, f32, e.c32(-1), amax, e.c32(off), e.c32(0x1f),
            NVVM::ShflKind::bfly, /*return_value_and_is_valid=*/nullptr);
        amax = gs.max(amax, other);
      }
      Value scale = gs.scale(amax);
      Value row = rowOf(members.front());
      Value group = e.add(arith::DivUIOp::create(b, loc, n0, e.c64(128)),
                          e.c64(g));
      {
        OpBuilder::InsertionGuard guard(b);
        e.ifThen(e.land(e.land(e.eq(e.band(lane, e.c64(3)), e.c64(0)),
                             e.ult(row, M)),
                      e.ult(group, groups)));
        LLVM::StoreOp::create(b, loc, scale,
                              e.gep(CS, f32, e.add(e.mul(row, groups), group)));
      }
      // Codes, two adjacent columns per conversion.
      for (size_t m = 0; m + 1 < members.size(); m += 2) {
        gs.storeCodePair(v, valid, members[m], members[m + 1], scale,
                         [&](int i) {
                           return e.gep(C, e.i8,
                                        e.add(e.mul(rowOf(i), N), colOf(i)));
                         });
      }
    }
  }
  return success();
}

FailureOr<gpu::GPUFuncOp>
buildHopperFP8GemmKernel(ModuleOp top, llvm::StringRef name,
                         const HopperGemmConfig &cfg,
                         const GemmEpilogue *epilogue) {
  MLIRContext *ctx = top.getContext();
  if (llvm::Error e = verifyHopperGemmConfig(cfg)) {
    top.emitError() << "sm_90a GEMM @" << name << ": "
                    << llvm::toString(std::move(e));
    return failure();
  }
  OpBuilder b(ctx);
  Type i32 = b.getI32Type();
  // FP8 output: its scales pointer CS comes first among the extra pointers;
  // the fused epilogue sees only its own (`epiArgs`).
  bool fp8Out = cfg.output == HopperOutput::FP8Block1x128;
  const bool split = cfg.splitK > 1;
  const bool integer = isIntegerHopperGemm(cfg);
  const bool zp = cfg.activationZeroPoint;
  unsigned extra = (epilogue ? epilogue->extraPtrs : 0) + (fp8Out ? 1 : 0) +
                   (cfg.outputScaleFloor ? 2 : 0) + (split ? 2 : 0) +
                   (zp ? 1 : 0);
  FailureOr<detail::GemmKernelArgs> made = detail::createGemmKernelFunc(
      top, KernelTarget::SM90a, name, extra, {kHopperThreads, 1, 1}, b);
  if (failed(made))
    return failure();
  detail::GemmKernelArgs epiArgs = *made;
  // Extra pointers: [CS], [QMAX, FLOOR], [W, counters], [ZA], then
  // the epilogue's.
  Value CS = fp8Out ? made->extra.front() : Value();
  if (fp8Out)
    epiArgs.extra = epiArgs.extra.drop_front();
  Value QMAX, FLOOR;
  if (cfg.outputScaleFloor) {
    QMAX = epiArgs.extra[0];
    FLOOR = epiArgs.extra[1];
    epiArgs.extra = epiArgs.extra.drop_front(2);
  }
  Value W, counters;
  if (split) {
    W = epiArgs.extra[0];
    counters = epiArgs.extra[1];
    epiArgs.extra = epiArgs.extra.drop_front(2);
  }
  Value ZA;
  if (zp) {
    ZA = epiArgs.extra[0];
    epiArgs.extra = epiArgs.extra.drop_front(1);
  }
  gpu::GPUFuncOp func = made->func;
  // One CTA per SM: lets setmaxnreg hand the producer's registers to the
  // consumers (USETMAXREG needs a known block size and minctasm).
  func->setAttr("nvvm.minctasm", b.getI32IntegerAttr(1));
  LLVM::GlobalOp smemGlobal =
      detail::getOrCreateSharedArray(func->getParentOfType<gpu::GPUModuleOp>());

  Location loc = func.getLoc();
  detail::KernelEmitter e(b, loc);
  Block &entry = func.getBody().front();
  e.entry = &entry;
  Type i64 = e.i64, f32 = e.f32;
  Type sptr = LLVM::LLVMPointerType::get(ctx, 3);
  auto [tmA, tmB, SA, SB, C] = made->ptrs;
  Value N = made->N, K = made->K;
  // The operand on the MMA's 128-row side and the one on its tileN side,
  // their extents (M and T), and their scales: A and B, or with swapAB
  // (decode) B and A; the kernel computes the tile of C (or of C^T) and
  // stores each element at its place in C [M, N].
  const bool swap = cfg.swapAB;
  Value tmR = swap ? tmB : tmA, tmT = swap ? tmA : tmB;
  Value M = swap ? made->N : made->M, T = swap ? made->M : made->N;
  Value SR = swap ? SB : SA, ST = swap ? SA : SB;

  const int64_t S = cfg.stages;
  const int64_t tileA = kTileABytes, tileB = tileBBytes(cfg);
  const int64_t BN = cfg.tileN;
  // A tiles of every stage, then B tiles, then full[S] and empty[S] (8 B
  // each); every tile starts on a 1024-byte boundary.
  const int64_t barBase = S * (tileA + tileB);
  Value smem = LLVM::AddressOfOp::create(b, loc, sptr, smemGlobal.getSymName());
  auto sgep = [&](Value off) {
    return LLVM::GEPOp::create(b, loc, sptr, e.i8, smem, ValueRange{off});
  };
  auto fullBar = [&](Value s) { return sgep(e.add(e.c64(barBase), e.mul(s, e.c64(8)))); };
  auto emptyBar = [&](Value s) {
    return sgep(e.add(e.c64(barBase + 8 * S), e.mul(s, e.c64(8))));
  };
  auto divu = [&](Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); };
  auto remu = [&](Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); };
  auto trunc32 = [&](Value x) { return arith::TruncIOp::create(b, loc, i32, x); };
  // Stage and phase parity of K block kb in the ring of S stages.
  auto stageOf = [&](Value kb) { return remu(kb, e.c64(S)); };
  auto parityOf = [&](Value kb) {
    return trunc32(e.band(divu(kb, e.c64(S)), e.c64(1)));
  };
  Value ticks = e.c32(10000000);

  Value tid = e.idToI64(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value wg = e.shru(tid, e.c64(7));
  // K >= 16, so K + 127 cannot overflow in i64.
  Value KB = divu(e.add(K, e.c64(kHopperTileK - 1)), e.c64(kHopperTileK));
  // Split-K: CTA z of the grid's splitK takes the K blocks kb0 .. kb1-1,
  // ceil(KB / splitK) of them (the last ones may have fewer, or none).
  Value kb0 = e.c64(0), kb1 = KB, bidZ;
  if (split) {
    bidZ = e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::z));
    Value per = divu(e.add(KB, e.c64(cfg.splitK - 1)), e.c64(cfg.splitK));
    auto umin = [&](Value x, Value y) { return e.select(e.ult(x, y), x, y); };
    kb0 = umin(e.mul(bidZ, per), KB);
    kb1 = umin(e.add(kb0, per), KB);
  }

  // The CTA's tiles: the one of its block ids or, persistent, tiles
  // blockIdx.x, blockIdx.x + gridDim.x, ... of the row-major grid of
  // ceil(M/128) x ceil(T/tileN) tiles. `body(j, m0, n0)` builds the work
  // of the CTA's j-th tile, whose first row and column are m0 and n0; its
  // K blocks are the ring's iterations j*KB .. j*KB + KB-1, so the stages
  // and phases run on across tiles and the producer loads the next tile
  // while the consumers store this one.
  Value bidX = e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
  auto forEachTile =
      [&](llvm::function_ref<LogicalResult(Value, Value, Value)> body)
      -> LogicalResult {
    if (!cfg.persistent)
      return body(
          e.c64(0),
          e.mul(e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y)),
                e.c64(kHopperTileM)),
          e.mul(bidX, e.c64(BN)));
    Value tilesN = divu(e.add(T, e.c64(BN - 1)), e.c64(BN));
    Value tilesM = divu(e.add(M, e.c64(kHopperTileM - 1)), e.c64(kHopperTileM));
    Value step = e.idToI64(gpu::GridDimOp::create(b, loc, gpu::Dimension::x));
    auto loop = scf::ForOp::create(b, loc, bidX, e.mul(tilesM, tilesN), step);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value tile = loop.getInductionVar();
    return body(divu(e.add(tile, e.mul(bidX, e.c64(-1))), step),
                e.mul(divu(tile, tilesN), e.c64(kHopperTileM)),
                e.mul(remu(tile, tilesN), e.c64(BN)));
  };

  // Thread 0 initialises the barriers: full[s] completes when the producer
  // has armed it and both TMA loads have landed, empty[s] when the lane 0
  // of each of the 8 consumer warps (and with a zero point of the producer's
  // warps 1-3) has released the stage.
  {
    OpBuilder::InsertionGuard g(b);
    e.ifThen(e.eq(tid, e.c64(0)));
    for (int64_t s = 0; s < S; ++s) {
      NVVM::MBarrierInitOp::create(b, loc, fullBar(e.c64(s)), e.c32(1),
                                   Value());
      // (With a zero point the producer's warps 1-3 read every stage too.)
      NVVM::MBarrierInitOp::create(b, loc, emptyBar(e.c64(s)),
                                   e.c32(zp ? 11 : 8), Value());
    }
    NVVM::FenceMbarrierInitOp::create(b, loc);
  }
  gpu::BarrierOp::create(b, loc);

  // A zero point's weight sums (activationZeroPoint): the producer
  // warpgroup's warps 1-3 (96 threads, idle besides thread 256's TMA loads)
  // read each stage's weight tile as the consumers do (waiting on full[s],
  // then releasing the stage on empty[s], whose count is 11 then) and
  // add each of its rows into an s32 per row: a row of the tile is 128
  // bytes of K (the 128-byte swizzle only permutes 16-byte chunks within a
  // row, so the sum is the same), read as 16-byte vectors and summed with
  // dp4a against 0x01010101 (B's bytes sign- or zero-extended). Rows past N
  // and the K tail are TMA's zero fill. After a tile's K blocks the sums go
  // to the shared scratch `wsum` (s32 per weight row), and the warps meet
  // the consumers at named barrier 2 (the sums are ready) and 3 (the
  // consumers have read them: the next tile may overwrite them). No global
  // memory is read twice.
  const int64_t wsumOff = barBase + 16 * S + swappedAmaxBytes(cfg);
  constexpr unsigned kSumThreads = 256 + 96; // consumers + producer warps 1-3
  auto namedBarrier = [&](unsigned id) {
    NVVM::BarrierOp::create(b, loc, Type(), e.c32(id), e.c32(kSumThreads),
                            /*reductionOp=*/nullptr,
                            /*reductionPredicate=*/Value());
  };
  auto emitWeightSums = [&] {
    OpBuilder::InsertionGuard g(b);
    e.ifThen(e.uge(tid, e.c64(288)));
    Value pt = e.add(tid, e.c64(-288)); // 0 .. 95
    Value plane = e.band(tid, e.c64(31));
    const int64_t R = weightRowsPerTile(cfg);
    const int nr = static_cast<int>((R + 95) / 96); // rows per thread
    auto v4i32 = VectorType::get({4}, i32);
    auto v4i8 = VectorType::get({4}, b.getI8Type());
    Value ones = LLVM::BitcastOp::create(b, loc, v4i8, e.c32(0x01010101));
    auto bType = cfg.b == HopperOperand::U8 ? NVVM::DotAccumulateType::UNSIGNED
                                            : NVVM::DotAccumulateType::SIGNED;
    // Thread pt sums rows pt, pt + 96, pt + 192 of the tile (those < R;
    // the others sum row 0 and are not stored).
    SmallVector<Value> rowOff, valid;
    for (int j = 0; j < nr; ++j) {
      Value r = e.add(pt, e.c64(96 * j));
      valid.push_back(e.ult(r, e.c64(R)));
      rowOff.push_back(
          e.mul(e.select(valid.back(), r, e.c64(0)), e.c64(kHopperTileK)));
    }
    (void)forEachTile([&](Value j, Value, Value) -> LogicalResult {
      SmallVector<Value> init(nr, e.c32(0));
      auto loop = scf::ForOp::create(b, loc, kb0, kb1, e.c64(1), init);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(loop.getBody());
        Value kb = loop.getInductionVar();
        Value it = e.add(e.mul(j, KB), e.add(kb, e.mul(kb0, e.c64(-1))));
        Value st = stageOf(it);
        NVVM::MBarrierTryWaitParityOp::create(b, loc, fullBar(st), parityOf(it),
                                              ticks);
        // The weights' tile of stage st: A's slot with swapAB, else B's.
        Value base = swap ? e.mul(st, e.c64(tileA))
                          : e.add(e.c64(S * tileA), e.mul(st, e.c64(tileB)));
        // 16 bytes of each row per step, the whole 128 (the swizzle moves
        // a block's part of K anywhere in its row; the rest is TMA's zero
        // fill). The bound is K-dependent (128, or 0 past K, which does not
        // occur), so the loop is not unrolled into more loads in flight
        // than the producer's producerRegs registers hold.
        Value bytes = e.select(e.ult(e.mul(kb, e.c64(kHopperTileK)), K),
                               e.c64(kHopperTileK), e.c64(0));
        auto chunks = scf::ForOp::create(b, loc, e.c64(0), bytes, e.c64(16),
                                         loop.getRegionIterArgs());
        {
          OpBuilder::InsertionGuard g3(b);
          b.setInsertionPointToStart(chunks.getBody());
          Value c = chunks.getInductionVar();
          SmallVector<Value> accs;
          for (int r = 0; r < nr; ++r) {
            Value acc = chunks.getRegionIterArgs()[r];
            Value v = LLVM::LoadOp::create(
                b, loc, v4i32, sgep(e.add(base, e.add(rowOff[r], c))),
                /*alignment=*/16);
            for (int q = 0; q < 4; ++q) {
              Value word = LLVM::ExtractElementOp::create(b, loc, v, e.c32(q));
              acc = NVVM::DotAccumulate4WayOp::create(
                  b, loc, i32, LLVM::BitcastOp::create(b, loc, v4i8, word),
                  bType, ones, NVVM::DotAccumulateType::UNSIGNED, acc);
            }
            accs.push_back(acc);
          }
          scf::YieldOp::create(b, loc, accs);
        }
        SmallVector<Value> next(chunks.getResults());
        // The warp's reads are done: its lane 0 releases the stage.
        NVVM::SyncWarpOp::create(b, loc, e.c32(-1));
        {
          OpBuilder::InsertionGuard g3(b);
          e.ifThen(e.eq(plane, e.c64(0)));
          NVVM::MBarrierArriveOp::create(b, loc, Type(), emptyBar(st), Value(),
                                         NVVM::MemScopeKind::CTA, false);
        }
        scf::YieldOp::create(b, loc, next);
      }
      for (int r = 0; r < nr; ++r) {
        OpBuilder::InsertionGuard g2(b);
        e.ifThen(valid[r]);
        LLVM::StoreOp::create(
            b, loc, loop.getResult(r),
            sgep(e.add(e.c64(wsumOff),
                       e.mul(e.add(pt, e.c64(96 * r)), e.c64(4)))));
      }
      namedBarrier(2);
      namedBarrier(3);
      return success();
    });
  };

  auto roles = scf::IfOp::create(b, loc, e.eq(wg, e.c64(2)),
                                 /*withElseRegion=*/true);
  // ---- producer warpgroup: one thread issues the TMA loads.
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&roles.getThenRegion().front());
    NVVM::SetMaxRegisterOp::create(b, loc, cfg.producerRegs,
                                   NVVM::SetMaxRegisterAction::decrease);
    if (zp)
      emitWeightSums();
    e.ifThen(e.eq(tid, e.c64(256)));
    // The tensor maps were written by the host into global memory: acquire
    // them for the tensormap proxy before TMA reads them (CUDA Programming
    // Guide, "Using TMA to transfer multi-dimensional arrays"), then warm
    // the descriptor cache.
    detail::emitTensorMapAcquire(e, {tmR, tmT});
    (void)forEachTile([&](Value j, Value m0, Value n0) -> LogicalResult {
    auto loop = scf::ForOp::create(b, loc, kb0, kb1, e.c64(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kb = loop.getInductionVar();
    Value it = e.add(e.mul(j, KB), e.add(kb, e.mul(kb0, e.c64(-1))));
    Value s = stageOf(it);
    // Wait until the consumers released this stage's previous use (on the
    // first lap the "previous phase" of a fresh barrier counts as done).
    Value freeParity = arith::XOrIOp::create(b, loc, parityOf(it), e.c32(1));
    NVVM::MBarrierTryWaitParityOp::create(b, loc, emptyBar(s), freeParity,
                                          ticks);
    // The transaction count is the whole box even where TMA fills
    // out-of-bounds elements with zeros (M, N, K tails).
    detail::emitTmaStageLoad(
        e, fullBar(s), tileA + tileB, trunc32(e.mul(kb, e.c64(kHopperTileK))),
        {{tmR, sgep(e.mul(s, e.c64(tileA))), m0},
         {tmT, sgep(e.add(e.c64(S * tileA), e.mul(s, e.c64(tileB)))), n0}});
    return success();
    });
  }

  // ---- consumer warpgroups 0 and 1: rows 64*wg .. 64*wg+63 of the tile.
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(&roles.getElseRegion().front());
  NVVM::SetMaxRegisterOp::create(b, loc, cfg.consumerRegs,
                                 NVVM::SetMaxRegisterAction::increase);
  Value lane = e.band(tid, e.c64(31));
  Value warp = e.band(e.shru(tid, e.c64(5)), e.c64(3));
  Value isLane0 = e.eq(lane, e.c64(0));
  auto consumeTile = [&](Value j, Value m0, Value n0) -> LogicalResult {
  // The ring iteration of the tile's K block kb.
  auto iterOf = [&](Value kb) {
    return e.add(e.mul(j, KB), e.add(kb, e.mul(kb0, e.c64(-1))));
  };
  // wgmma m64nNk32 f32 fragment: element 4j+2h+c of a thread is row
  // 16*warp + lane/4 + 8h, column 8j + 2*(lane%4) + c of the warpgroup's
  // 64 x 128 block.
  Value rowA = e.add(e.add(m0, e.mul(wg, e.c64(64))),
                     e.add(e.mul(warp, e.c64(16)), e.shru(lane, e.c64(2))));
  Value rowB = e.add(rowA, e.c64(8));
  Value col0 = e.add(n0, e.mul(e.band(lane, e.c64(3)), e.c64(2)));

  // Descriptors: the address of this warpgroup's 64 rows of A in stage 0
  // and of B in stage 0; +tile bytes/16 per stage, +2 (32 bytes) per k32
  // step.
  Value smemAddr = LLVM::PtrToIntOp::create(b, loc, i64, smem);
  Value descHi = e.c64(static_cast<int64_t>(getHopperTileDescriptor(0)));
  Value desc0 = e.bor(e.shru(e.band(smemAddr, e.c64(0x3FFFF)), e.c64(4)),
                      descHi);
  Value descA0 = e.add(desc0, e.mul(wg, e.c64(64 * kHopperTileK / 16)));
  Value descB0 = e.add(desc0, e.c64(S * tileA / 16));

  const int kAcc = static_cast<int>(BN / 2); // per thread: 64 x BN / 128
  // f32 accumulators, s32 with integer operands.
  Type accElem = integer ? i32 : f32;
  auto accTy =
      LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(kAcc, accElem));
  auto wgmmaType = [](HopperOperand t) {
    return t == HopperOperand::S8   ? NVVM::WGMMATypes::s8
           : t == HopperOperand::U8 ? NVVM::WGMMATypes::u8
                                    : NVVM::WGMMATypes::e4m3;
  };
  // The instruction's A is the operand on the 128-row side.
  NVVM::WGMMATypes typeR = wgmmaType(swap ? cfg.b : cfg.a),
                   typeT = wgmmaType(swap ? cfg.a : cfg.b);
  auto loadF = [&](Value base, Value off) -> Value {
    return LLVM::LoadOp::create(b, loc, f32, e.gep(base, f32, off));
  };
  // One 128-wide K block of stage s: four wgmma k32 steps. The first starts
  // from zero (scale-d 0) when `fresh`, else from `part`.
  auto blockMMA = [&](Value s, Value part, bool fresh) -> Value {
    Value dA = e.add(descA0, e.mul(s, e.c64(tileA / 16)));
    Value dB = e.add(descB0, e.mul(s, e.c64(tileB / 16)));
    NVVM::WgmmaFenceAlignedOp::create(b, loc);
    for (int k = 0; k < static_cast<int>(kHopperTileK / 32); ++k) {
      Value step = e.c64(2 * k);
      part = NVVM::WgmmaMmaAsyncOp::create(
          b, loc, accTy, part, e.add(dA, step), e.add(dB, step),
          NVVM::MMAShapeAttr::get(ctx, 64, static_cast<int>(BN), 32), typeR,
          typeT, integer ? NVVM::WGMMATypes::s32 : NVVM::WGMMATypes::f32,
          k == 0 && fresh ? NVVM::WGMMAScaleOut::zero
                          : NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
          NVVM::MMALayout::row, NVVM::MMALayout::col,
          /*satfinite=*/nullptr);
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
    NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
    {
      // The stage's shared memory has been read: release it.
      OpBuilder::InsertionGuard g3(b);
      e.ifThen(isLane0);
      NVVM::MBarrierArriveOp::create(b, loc, Type(), emptyBar(s), Value(),
                                     NVVM::MemScopeKind::CTA, false);
    }
    return part;
  };

  // Accumulator i's row and column.
  auto rowOf = [&](int i) { return (i / 2) % 2 ? rowB : rowA; };
  auto colOf = [&](int i) { return e.add(col0, e.c64(8 * (i / 4) + i % 2)); };

  // The value to store for accumulator i, before the fused epilogue (and,
  // per channel, before the column scale); rowScale: SA of rows A and B.
  // With integer operands an s32 until after split-K.
  SmallVector<Value> result(kAcc);
  Value rowScale[2];
  Value tensorScale; // per-tensor: SA[0] * SB[0], applied after split-K
  Value zero = e.f32c(0.0f);
  if (cfg.scales == HopperScaleMode::Block1x128) {
    // Without swapAB: the rows' activation scales SA[row, kb] (a row past
    // M reads row 0's, never stored) and the tile's weight block
    // SB[n0/128, kb] (a tile of at most 128 columns lies inside one
    // 128-column block). With swapAB the rows are weights, all in block
    // m0/128, and the thread's tileN/4 distinct columns are tokens, each
    // with its SA[col, kb] (a column past M reads column 0's).
    Value saOffA, saOffB, sbOff;
    SmallVector<Value> colOff;
    // The row of SB holding weight row w's block: w/128, or its first row
    // (w/128)*128 when SB has a row per weight row.
    auto sbRow = [&](Value w) {
      Value blk = divu(w, e.c64(kFP8WeightBlock));
      return cfg.weightScalesPerRow ? e.mul(blk, e.c64(kFP8WeightBlock))
                                    : blk;
    };
    auto colOfPair = [&](int q) {
      return e.add(col0, e.c64(8 * (q / 2) + q % 2));
    };
    if (!swap) {
      saOffA = e.select(e.ult(rowA, M), e.mul(rowA, KB), e.c64(0));
      saOffB = e.select(e.ult(rowB, M), e.mul(rowB, KB), e.c64(0));
      sbOff = e.mul(sbRow(n0), KB);
    } else {
      sbOff = e.mul(sbRow(m0), KB);
      for (int q = 0; q < kAcc / 2; ++q) {
        Value col = colOfPair(q);
        colOff.push_back(e.select(e.ult(col, T), e.mul(col, KB), e.c64(0)));
      }
    }
    SmallVector<Value> init(kAcc, zero);
    auto kloop = scf::ForOp::create(b, loc, kb0, kb1, e.c64(1), init);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(kloop.getBody());
    Value kb = kloop.getInductionVar();
    ValueRange acc = kloop.getRegionIterArgs();
    // Scale loads first: their latency hides behind the barrier wait and
    // the MMAs.
    Value sb = loadF(SB, e.add(sbOff, kb));
    // The factor of accumulator i: SA[row or column, kb] * SB[block, kb].
    SmallVector<Value> sa;
    if (!swap)
      sa = {loadF(SA, e.add(saOffA, kb)), loadF(SA, e.add(saOffB, kb))};
    else
      for (Value off : colOff)
        sa.push_back(loadF(SA, e.add(off, kb)));
    Value s = stageOf(iterOf(kb));
    NVVM::MBarrierTryWaitParityOp::create(b, loc, fullBar(s),
                                          parityOf(iterOf(kb)), ticks);
    Value part = blockMMA(s, LLVM::UndefOp::create(b, loc, accTy), true);
    // Promotion: acc = fma(partial, SA[row,kb] * SB[n/128,kb], acc), one
    // rounding per element and block, in K-block order.
    SmallVector<Value> f;
    for (Value x : sa)
      f.push_back(arith::MulFOp::create(b, loc, x, sb));
    SmallVector<Value> next;
    for (int i = 0; i < kAcc; ++i) {
      Value p = LLVM::ExtractValueOp::create(b, loc, part, i);
      Value fi = swap ? f[(i / 4) * 2 + i % 2] : f[(i / 2) % 2];
      next.push_back(LLVM::FMAOp::create(b, loc, p, fi, acc[i]));
    }
    scf::YieldOp::create(b, loc, next);
    for (int i = 0; i < kAcc; ++i)
      result[i] = kloop.getResult(i);
  } else {
    // The whole of K accumulates in the wgmma registers (scales are
    // constant along K); one multiply per element at the end.
    Value init = LLVM::UndefOp::create(b, loc, accTy);
    for (int i = 0; i < kAcc; ++i)
      init = LLVM::InsertValueOp::create(b, loc, init,
                                         integer ? e.c32(0) : zero, i);
    auto kloop =
        scf::ForOp::create(b, loc, kb0, kb1, e.c64(1), ValueRange{init});
    {
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(kloop.getBody());
      Value kb = kloop.getInductionVar();
      Value s = stageOf(iterOf(kb));
      NVVM::MBarrierTryWaitParityOp::create(b, loc, fullBar(s),
                                            parityOf(iterOf(kb)), ticks);
      scf::YieldOp::create(
          b, loc, blockMMA(s, kloop.getRegionIterArgs()[0], false));
    }
    Value total = kloop.getResult(0);
    if (cfg.scales == HopperScaleMode::PerTensor) {
      tensorScale = arith::MulFOp::create(b, loc, loadF(SA, e.c64(0)),
                                          loadF(SB, e.c64(0)));
      for (int i = 0; i < kAcc; ++i)
        result[i] = LLVM::ExtractValueOp::create(b, loc, total, i);
    } else {
      // C = acc * (SA[row] * SB[col]); SB[col] is read in the store's
      // branch below (col < N there), which keeps few values live. A row
      // past M reads row 0's scale and is not stored. A per-tensor SA is
      // read at 0 (rows here, columns with swapAB).
      for (int h = 0; h < 2; ++h) {
        Value row = h ? rowB : rowA;
        rowScale[h] = loadF(SR, cfg.activationScalePerTensor && !swap
                                    ? e.c64(0)
                                    : e.select(e.ult(row, M), row, e.c64(0)));
      }
      for (int i = 0; i < kAcc; ++i)
        result[i] = LLVM::ExtractValueOp::create(b, loc, total, i);
    }
  }
  if (zp) {
    // acc - za * sum_k B[w, k] (s32, wrapping: exact, F34), w the
    // element's weight row (a column of the tile, or with swapAB a row).
    // Split-K: each split's partial sum and weight sums cover its K blocks
    // alone, so each subtracts its own (the partials' s32 sum is exact).
    namedBarrier(2);
    Value z = LLVM::LoadOp::create(b, loc, e.i8, ZA);
    Value za = cfg.a == HopperOperand::U8
                   ? arith::ExtUIOp::create(b, loc, i32, z).getResult()
                   : arith::ExtSIOp::create(b, loc, i32, z).getResult();
    for (int i = 0; i < kAcc; ++i) {
      Value local = swap ? e.add(rowOf(i), e.mul(m0, e.c64(-1)))
                         : e.add(colOf(i), e.mul(n0, e.c64(-1)));
      Value ws = LLVM::LoadOp::create(
          b, loc, i32, sgep(e.add(e.c64(wsumOff), e.mul(local, e.c64(4)))));
      result[i] = arith::SubIOp::create(b, loc, result[i], e.mul(za, ws));
    }
    namedBarrier(3);
  }

  if (split) {
    // Split-K: each CTA stores its partial sums (promoted with 1x128,
    // unscaled otherwise) to W [splitK, M, T] (valid elements only), then
    // each warp counts itself on its tile's counter; the warp that arrives
    // last among the splits sums W[0..splitK-1] in z order and goes on to
    // the scale, epilogue and stores; it resets the counter for the next
    // launch. Deterministic: the sum order does not depend on which CTA
    // finishes last. Counters: u32 [gridDim.x * gridDim.y, 8], zero before
    // the first launch.
    auto valid = [&](int i) {
      return e.land(e.ult(rowOf(i), M), e.ult(colOf(i), T));
    };
    auto wAt = [&](Value z, int i) {
      return e.add(e.mul(e.add(e.mul(z, M), rowOf(i)), T), colOf(i));
    };
    for (int i = 0; i < kAcc; ++i) {
      OpBuilder::InsertionGuard g3(b);
      e.ifThen(valid(i));
      LLVM::StoreOp::create(b, loc, result[i], e.gep(W, accElem, wAt(bidZ, i)));
    }
    // Release the partials, then count the warp's arrival (lane 0).
    LLVM::FenceOp::create(b, loc, LLVM::AtomicOrdering::acq_rel, "device");
    NVVM::SyncWarpOp::create(b, loc, e.c32(-1));
    Value bidY = e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
    Value gdx = e.idToI64(gpu::GridDimOp::create(b, loc, gpu::Dimension::x));
    Value slot = e.gep(counters, i32,
                       e.add(e.mul(e.add(e.mul(bidY, gdx), bidX), e.c64(8)),
                             e.add(e.mul(wg, e.c64(4)), warp)));
    auto arrive = scf::IfOp::create(b, loc, TypeRange{i32}, isLane0,
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard g3(b);
      b.setInsertionPointToStart(&arrive.getThenRegion().front());
      Value old = LLVM::AtomicRMWOp::create(b, loc, LLVM::AtomicBinOp::add,
                                            slot, e.c32(1),
                                            LLVM::AtomicOrdering::acq_rel,
                                            "device");
      scf::YieldOp::create(b, loc, old);
      b.setInsertionPointToStart(&arrive.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{e.c32(0)});
    }
    Value arrived = NVVM::ShflOp::create(
        b, loc, i32, e.c32(-1), arrive.getResult(0), e.c32(0), e.c32(0x1f),
        NVVM::ShflKind::idx, /*return_value_and_is_valid=*/nullptr);
    // The rest of the kernel runs in the last warp only. Only lane 0 read
    // the counter (acquire); bar.warp.sync orders the other lanes' loads
    // after it (shfl.sync does not synchronise memory).
    e.ifThen(e.eq(arith::ExtUIOp::create(b, loc, i64, arrived),
                e.c64(cfg.splitK - 1)));
    NVVM::SyncWarpOp::create(b, loc, e.c32(-1));
    LLVM::FenceOp::create(b, loc, LLVM::AtomicOrdering::acq_rel, "device");
    {
      OpBuilder::InsertionGuard g3(b);
      e.ifThen(isLane0);
      LLVM::StoreOp::create(b, loc, e.c32(0), slot);
    }
    Value accZero = integer ? e.c32(0) : zero;
    SmallVector<Value> init(kAcc, accZero);
    auto zloop = scf::ForOp::create(b, loc, e.c64(0), e.c64(cfg.splitK),
                                    e.c64(1), init);
    {
      OpBuilder::InsertionGuard g3(b);
      b.setInsertionPointToStart(zloop.getBody());
      Value z = zloop.getInductionVar();
      SmallVector<Value> next;
      for (int i = 0; i < kAcc; ++i) {
        // An element past M or T reads W[0] (stored by someone) and adds 0.
        Value v = LLVM::LoadOp::create(
            b, loc, accElem,
            e.gep(W, accElem, e.select(valid(i), wAt(z, i), e.c64(0))));
        Value x = e.select(valid(i), v, accZero),
              sum = zloop.getRegionIterArgs()[i];
        next.push_back(integer
                           ? arith::AddIOp::create(b, loc, sum, x).getResult()
                           : arith::AddFOp::create(b, loc, sum, x).getResult());
      }
      scf::YieldOp::create(b, loc, next);
    }
    for (int i = 0; i < kAcc; ++i)
      result[i] = zloop.getResult(i);
  }
  // F34: f32(acc), rounded to nearest even, then the scales.
  if (integer)
    for (int i = 0; i < kAcc; ++i)
      result[i] = arith::SIToFPOp::create(b, loc, f32, result[i]);
  if (tensorScale)
    for (int i = 0; i < kAcc; ++i)
      result[i] = arith::MulFOp::create(b, loc, result[i], tensorScale);
  // The value of accumulator i at (row, col): the per-channel column scale
  // and the fused epilogue applied.
  auto finalValue = [&](int i, Value row, Value col) -> FailureOr<Value> {
    Value v = result[i];
    if (rowScale[0]) {
      Value f = arith::MulFOp::create(
          b, loc, rowScale[(i / 2) % 2],
          loadF(ST, cfg.activationScalePerTensor && swap ? e.c64(0) : col));
      v = arith::MulFOp::create(b, loc, v, f);
    }
    if (!epilogue)
      return v;
    // The epilogue sees C's coordinates (m, n).
    return swap ? epilogue->apply(b, v, col, row, N, epiArgs.extra, &entry)
                : epilogue->apply(b, v, row, col, N, epiArgs.extra, &entry);
  };
  if (!fp8Out) {
    // Masked stores, f32 or bf16, one per element.
    for (int i = 0; i < kAcc; ++i) {
      Value row = rowOf(i), col = colOf(i);
      OpBuilder::InsertionGuard g2(b);
      e.ifThen(e.land(e.ult(row, M), e.ult(col, T)));
      FailureOr<Value> v = finalValue(i, row, col);
      if (failed(v))
        return failure();
      // C [M, N] row-major; with swapAB the tile's (row, col) is C's
      // (col, row).
      Value at = swap ? e.add(e.mul(col, N), row) : e.add(e.mul(row, N), col);
      if (cfg.output == HopperOutput::BF16)
        LLVM::StoreOp::create(b, loc,
                              arith::TruncFOp::create(b, loc, b.getBF16Type(), *v),
                              e.gep(C, b.getBF16Type(), at));
      else if (v->getType().isInteger(1)) // (a mask as a byte)
        LLVM::StoreOp::create(b, loc, arith::ExtUIOp::create(b, loc, e.i8, *v),
                              e.gep(C, e.i8, at));
      else // f32, or an epilogue's own type (the next layer's i8 codes)
        LLVM::StoreOp::create(b, loc, *v, e.gep(C, v->getType(), at));
    }
  } else if (swap) {
    // The scratch of the 8 consumer warps' column maxima, after the
    // mbarriers.
    Value scratch = sgep(e.c64(barBase + 16 * S));
    Value warpInGroups = e.add(e.mul(wg, e.c64(4)), warp);
    if (failed(storeSwappedBlockFP8(
            b, loc, e, kAcc, m0, M, T, N, lane, warpInGroups, scratch, BN, C,
            CS, QMAX, FLOOR, rowOf, colOf,
            [&](int i) { return e.add(e.mul(e.band(lane, e.c64(3)), e.c64(2)),
                                      e.c64(8 * (i / 4) + i % 2)); },
            finalValue)))
      return failure();
  } else if (failed(storeBlockFP8(b, loc, e, kAcc, BN, n0, M, T, lane, C, CS, QMAX, FLOOR,
                                  rowOf, colOf, finalValue))) {
    return failure();
  }
  return success();
  };
  if (failed(forEachTile(consumeTile)))
    return failure();
  b.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace quantc
