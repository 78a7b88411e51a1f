//===- BlackwellGemm.cpp - sm_100a tcgen05 block-scaled MXFP8 GEMM --------===//
//
// One warpgroup per 128 x tileN tile of C. Thread 0 issues the TMA loads of
// A and B into a ring of `stages` shared-memory buffers and, per 128-wide K
// block, the four tcgen05.mma (K = 32 each) into the f32 accumulator in
// tensor memory; every thread writes its rows' E8M0 scales into the
// stage's tensor-memory scale slot with tcgen05.st. A commit per K block
// arrives on the stage's `done` mbarrier when its MMAs have completed:
// waiting for block kb-2 frees the stage (and scale slot) that block kb-2+S
// is loaded into, so the MMAs of block kb-1 run while block kb's scales
// are written. The epilogue reads the accumulator with tcgen05.ld (warp w:
// rows 32w .. 32w+31 of the tile) and stores C through the fused
// epilogue. Tensor-memory layouts (PTX ISA "Tensor Memory", "Block
// Scaling"): accumulator row i in lane i, column j in column j; the scale
// of A's row m at lane m % 32 of every 32-lane quadrant, column m / 32,
// byte = the MMA's scale-factor ID (its 32-wide K slice of the 128), and
// B's scale of column n likewise. docs/Kernels.md has the details.
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToGPU/BlackwellGemm.h"
#include "KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace quantc {

namespace {
constexpr unsigned kTileABytes = kBlackwellTileM * kBlackwellTileK;
/// MMAs per K block (K = 32 each) = scale bytes per tensor-memory word.
constexpr int kMmasPerBlock = kBlackwellTileK / 32;

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

unsigned tileBBytes(const BlackwellGemmConfig &cfg) {
  return cfg.tileN * kBlackwellTileK;
}
/// Tensor-memory columns of one stage's scales: A's 128 rows in 4 columns
/// of 32 lanes, B's tileN columns in tileN / 32.
unsigned scaleColumns(const BlackwellGemmConfig &cfg) {
  return kBlackwellTileM / 32 + cfg.tileN / 32;
}
} // namespace

llvm::Error verifyBlackwellGemmConfig(const BlackwellGemmConfig &cfg) {
  if (cfg.tileN != 32 && cfg.tileN != 64 && cfg.tileN != 128 &&
      cfg.tileN != 256)
    return err("tileN = " + llvm::Twine(cfg.tileN) +
               ": the tcgen05 GEMM takes 32, 64, 128 or 256 columns per CTA");
  if (cfg.stages < 2)
    return err("stages = " + llvm::Twine(cfg.stages) +
               ": the ring needs at least 2 stages");
  unsigned smem = getBlackwellGemmSharedBytes(cfg);
  if (smem > kBlackwellMaxSharedBytes)
    return err("stages = " + llvm::Twine(cfg.stages) + " at tileN = " +
               llvm::Twine(cfg.tileN) + " needs " + llvm::Twine(smem) +
               " bytes of shared memory, more than the " +
               llvm::Twine(kBlackwellMaxSharedBytes) + " a CTA has on sm_100");
  if (cfg.tileN + cfg.stages * scaleColumns(cfg) > 512)
    return err("stages = " + llvm::Twine(cfg.stages) + " at tileN = " +
               llvm::Twine(cfg.tileN) +
               " needs more than the 512 columns of tensor memory");
  return llvm::Error::success();
}

llvm::Error checkBlackwellGemmShape(int64_t M, int64_t N, int64_t K) {
  for (auto [name, v] : {std::pair<const char *, int64_t>{"M", M},
                         {"N", N},
                         {"K", K}})
    if (v < 1 || v > INT32_MAX)
      return err(llvm::Twine(name) + " = " + llvm::Twine(v) +
                 ": the tcgen05 GEMM takes 1 .. 2^31-1");
  if (K % 16)
    return err("K = " + llvm::Twine(K) +
               ": TMA needs every row of A and B to start on a 16-byte "
               "boundary (K a multiple of 16)");
  if ((M + kBlackwellTileM - 1) / kBlackwellTileM > 65535)
    return err("M = " + llvm::Twine(M) +
               ": more than 65535 row tiles (CUDA's grid y)");
  return llvm::Error::success();
}

unsigned getBlackwellGemmSharedBytes(const BlackwellGemmConfig &cfg) {
  // Tiles, then full[S] and done[S] mbarriers, then the tensor-memory
  // address tcgen05.alloc writes (8 bytes keep the total 8-aligned).
  return cfg.stages * (kTileABytes + tileBBytes(cfg)) + 16 * cfg.stages + 8;
}

unsigned getBlackwellGemmTmemColumns(const BlackwellGemmConfig &cfg) {
  unsigned need = cfg.tileN + cfg.stages * scaleColumns(cfg);
  return std::max(32u, static_cast<unsigned>(llvm::PowerOf2Ceil(need)));
}

LaunchConfig getBlackwellGemmLaunchConfig(const BlackwellGemmConfig &cfg,
                                          int64_t M, int64_t N) {
  auto tiles = [](int64_t x, int64_t t) -> unsigned {
    return x <= 0 ? 1u : static_cast<unsigned>((x + t - 1) / t);
  };
  return {tiles(N, cfg.tileN),  tiles(M, kBlackwellTileM), 1,
          kBlackwellThreads,    1,
          1,                    getBlackwellGemmSharedBytes(cfg)};
}

uint64_t getBlackwellTileDescriptor(uint32_t smemAddress) {
  return static_cast<uint64_t>((smemAddress & 0x3FFFF) >> 4) |
         (uint64_t(16 >> 4) << 16) | (uint64_t(1024 >> 4) << 32) |
         (uint64_t(1) << 46) | (uint64_t(2) << 61);
}

uint32_t getBlackwellInstrDescriptor(unsigned n, unsigned sfId) {
  return ((sfId & 3u) << 4) |                // scale-factor B ID
         (0u << 7) | (0u << 10) |            // A and B: E4M3
         (((n >> 3) & 0x3Fu) << 17) |        // N >> 3
         (1u << 23) |                        // scale type UE8M0
         ((kBlackwellTileM >> 7) << 27) |    // M >> 7
         ((sfId & 3u) << 29);                // scale-factor A ID
}

FailureOr<gpu::GPUFuncOp>
buildBlackwellMXFP8GemmKernel(ModuleOp top, llvm::StringRef name,
                              const BlackwellGemmConfig &cfg,
                              const GemmEpilogue *epilogue) {
  MLIRContext *ctx = top.getContext();
  if (llvm::Error e = verifyBlackwellGemmConfig(cfg)) {
    top.emitError() << "sm_100a GEMM @" << name << ": "
                    << llvm::toString(std::move(e));
    return failure();
  }
  OpBuilder b(ctx);
  FailureOr<detail::GemmKernelArgs> made = detail::createGemmKernelFunc(
      top, KernelTarget::SM100a, name, epilogue ? epilogue->extraPtrs : 0,
      {kBlackwellThreads, 1, 1}, b);
  if (failed(made))
    return failure();
  gpu::GPUFuncOp func = made->func;
  LLVM::GlobalOp smemGlobal =
      detail::getOrCreateSharedArray(func->getParentOfType<gpu::GPUModuleOp>());
  Location loc = func.getLoc();
  detail::KernelEmitter e(b, loc);
  e.entry = &func.getBody().front();
  Type i1 = b.getI1Type(), i32 = e.i32, i64 = e.i64, f32 = e.f32;
  Type sptr = LLVM::LLVMPointerType::get(ctx, 3);
  Type cptr = LLVM::LLVMPointerType::get(ctx, 7);
  Type tptr = LLVM::LLVMPointerType::get(ctx, 6);
  auto [tmA, As, tmB, Bs, C] = made->ptrs;
  Value M = made->M, N = made->N, K = made->K;

  const int64_t S = cfg.stages, BN = cfg.tileN;
  const int64_t tileA = kTileABytes, tileB = tileBBytes(cfg);
  const int64_t barBase = S * (tileA + tileB);
  const int64_t slotOff = barBase + 16 * S;
  const int64_t tmemCols = getBlackwellGemmTmemColumns(cfg);
  const int64_t bCols = BN / 32;
  // Scale slot of stage s: A's 4 columns, then B's tileN / 32, after the
  // accumulator's tileN columns.
  auto colA = [&](Value s) {
    return e.add(e.c32(BN), e.mul(s, e.c32(scaleColumns(cfg))));
  };
  auto colB = [&](Value s) { return e.add(colA(s), e.c32(4)); };

  Value smem = LLVM::AddressOfOp::create(b, loc, sptr, smemGlobal.getSymName());
  auto sgep = [&](Value off) {
    return LLVM::GEPOp::create(b, loc, sptr, e.i8, smem, ValueRange{off});
  };
  auto fullBar = [&](Value s) {
    return sgep(e.add(e.c64(barBase), e.mul(s, e.c64(8))));
  };
  auto doneBar = [&](Value s) {
    return sgep(e.add(e.c64(barBase + 8 * S), e.mul(s, e.c64(8))));
  };
  auto ifThen = [&](Value cond) {
    auto op = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&op.getThenRegion().front());
    return op;
  };
  auto ult = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  };
  auto uge = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x, y);
  };
  auto divu = [&](Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); };
  auto remu = [&](Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); };
  auto trunc32 = [&](Value x) { return arith::TruncIOp::create(b, loc, i32, x); };
  auto stageOf = [&](Value kb) { return remu(kb, e.c64(S)); };
  auto parityOf = [&](Value kb) {
    return trunc32(e.band(divu(kb, e.c64(S)), e.c64(1)));
  };
  Value ticks = e.c32(10000000);
  auto fence = [&](NVVM::Tcgen05FenceKind k) {
    NVVM::Tcgen05FenceOp::create(b, loc, k);
  };
  auto waitBar = [&](Value bar, Value parity) {
    NVVM::MBarrierTryWaitParityOp::create(b, loc, bar, parity, ticks);
  };

  Value tid = e.idToI64(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value warp = e.shru(tid, e.c64(5));
  Value lane = e.band(tid, e.c64(31));
  Value isT0 = e.eq(tid, e.c64(0));
  Value m0 = e.mul(e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y)),
                   e.c64(kBlackwellTileM));
  Value n0 = e.mul(e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x)),
                   e.c64(BN));
  // K >= 16, so K + 127 cannot overflow in i64.
  Value KB = divu(e.add(K, e.c64(kBlackwellTileK - 1)), e.c64(kBlackwellTileK));
  Value KS = divu(e.add(K, e.c64(31)), e.c64(32));

  // Thread 0 initialises the barriers: full[s] completes when both TMA
  // loads of the stage have landed, done[s] when the stage's MMAs have.
  {
    OpBuilder::InsertionGuard g(b);
    ifThen(isT0);
    for (int64_t s = 0; s < S; ++s) {
      NVVM::MBarrierInitOp::create(b, loc, fullBar(e.c64(s)), e.c32(1),
                                   Value());
      NVVM::MBarrierInitOp::create(b, loc, doneBar(e.c64(s)), e.c32(1),
                                   Value());
    }
    NVVM::FenceMbarrierInitOp::create(b, loc);
  }
  // Warp 0 allocates the tensor memory (its address lands in the slot)
  // and gives up the right to allocate more, so a second CTA on the SM
  // can allocate its own.
  Value slot = sgep(e.c64(slotOff));
  {
    OpBuilder::InsertionGuard g(b);
    ifThen(e.eq(warp, e.c64(0)));
    NVVM::Tcgen05AllocOp::create(b, loc, slot, e.c32(tmemCols),
                                 NVVM::CTAGroupKind::CTA_1);
    NVVM::Tcgen05RelinquishAllocPermitOp::create(b, loc,
                                                 NVVM::CTAGroupKind::CTA_1);
  }
  fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
  gpu::BarrierOp::create(b, loc);
  fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
  Value tbase = LLVM::LoadOp::create(b, loc, i32, slot);
  // This warp's quadrant of lanes (tcgen05.ld/st: warp w, lanes 32w..).
  Value tquad = e.add(tbase, e.shl(trunc32(warp), e.c32(16 + 5)));
  auto tmem = [&](Value base, Value col) -> Value {
    return LLVM::IntToPtrOp::create(b, loc, tptr, e.add(base, col));
  };

  // Thread 0 issues the TMA loads of K block kb into stage kb % S.
  auto issueLoad = [&](Value kb) {
    Value s = stageOf(kb);
    Value full = fullBar(s);
    // The whole boxes count, zero-filled tails included.
    NVVM::MBarrierArriveExpectTxOp::create(b, loc, Type(), full,
                                           e.c32(tileA + tileB),
                                           NVVM::MemScopeKind::CTA, false,
                                           Value());
    Value kx = trunc32(e.mul(kb, e.c64(kBlackwellTileK)));
    auto load = [&](Value tm, Value dstOff, Value row) {
      Value dst = LLVM::AddrSpaceCastOp::create(b, loc, cptr, sgep(dstOff));
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b, loc, dst, tm, ValueRange{kx, trunc32(row)}, full, ValueRange{},
          /*multicastMask=*/Value(), /*l2CacheHint=*/Value(),
          NVVM::TMALoadModeAttr::get(ctx, NVVM::TMALoadMode::TILE),
          b.getBoolAttr(false), /*group=*/nullptr, /*predicate=*/Value());
    };
    load(tmA, e.mul(s, e.c64(tileA)), m0);
    load(tmB, e.add(e.c64(S * tileA), e.mul(s, e.c64(tileB))), n0);
  };
  {
    OpBuilder::InsertionGuard g(b);
    ifThen(isT0);
    // The tensor maps were written by the host into global memory:
    // acquire them for the tensormap proxy, then warm the descriptor cache.
    for (Value tm : {tmA, tmB}) {
      NVVM::FenceProxyAcquireOp::create(b, loc, NVVM::MemScopeKind::SYS, tm,
                                        e.c32(128));
      NVVM::PrefetchOp::create(b, loc, /*cacheLevel=*/nullptr,
                               /*evictPriority=*/nullptr, tm,
                               /*predicate=*/Value(), /*tensormap=*/true);
    }
    Value first = e.select(ult(KB, e.c64(S)), KB, e.c64(S));
    auto loop = scf::ForOp::create(b, loc, e.c64(0), first, e.c64(1));
    b.setInsertionPointToStart(loop.getBody());
    issueLoad(loop.getInductionVar());
  }

  // Shared-memory descriptors of stage 0's A and B tiles; + tile bytes / 16
  // per stage and + 2 (32 bytes) per MMA along K.
  Value smemAddr = LLVM::PtrToIntOp::create(b, loc, i64, smem);
  Value desc0 =
      e.bor(e.shru(e.band(smemAddr, e.c64(0x3FFFF)), e.c64(4)),
            e.c64(static_cast<int64_t>(getBlackwellTileDescriptor(0))));
  Value descB0 = e.add(desc0, e.c64(S * tileA / 16));

  // The 4-byte scale words of `rows` [rows, KS] E8M0 bytes for the K
  // block kb: row r0 + 32c + lane for c < count, bytes 4kb .. 4kb+3 (the
  // MMAs' scale-factor IDs 0..3). Rows past the end and blocks past KS
  // read 127 (2^0), multiplying zero-filled operands.
  auto scaleWords = [&](Value base, Value r0, Value rows, Value kb,
                        int64_t count) -> Value {
    SmallVector<Value> words;
    for (int64_t c = 0; c < count; ++c)
      words.push_back(e.loadScaleWord(base, e.add(r0, e.add(e.c64(32 * c), lane)),
                                      rows, e.mul(kb, e.c64(kMmasPerBlock)),
                                      kMmasPerBlock, KS, 127));
    if (count == 1)
      return words[0];
    auto vty = VectorType::get({count}, i32);
    Value v = LLVM::UndefOp::create(b, loc, vty);
    for (int64_t c = 0; c < count; ++c)
      v = LLVM::InsertElementOp::create(b, loc, v, words[c], e.c32(c));
    return v;
  };
  auto shape32x32b = NVVM::Tcgen05LdStShapeAttr::get(
      ctx, NVVM::Tcgen05LdStShape::SHAPE_32X32B);

  auto mainLoop = scf::ForOp::create(b, loc, e.c64(0), KB, e.c64(1));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(mainLoop.getBody());
    Value kb = mainLoop.getInductionVar();
    Value s = stageOf(kb);
    Value s32 = trunc32(s);
    {
      // The MMAs of block kb-2 have completed: its stage and scale slot
      // are free; thread 0 loads block kb-2+S into that stage.
      OpBuilder::InsertionGuard g2(b);
      ifThen(uge(kb, e.c64(2)));
      Value prev = e.add(kb, e.c64(-2));
      waitBar(doneBar(stageOf(prev)), parityOf(prev));
      fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
      Value next = e.add(prev, e.c64(S));
      ifThen(e.land(isT0, ult(next, KB)));
      issueLoad(next);
    }
    // Every warp writes the same scales into its own quadrant (the MMA
    // reads them from every 32-lane partition).
    NVVM::Tcgen05StOp::create(b, loc, /*unpack=*/nullptr, shape32x32b,
                              tmem(tquad, colA(s32)),
                              scaleWords(As, m0, M, kb, 4), Value());
    NVVM::Tcgen05StOp::create(b, loc, /*unpack=*/nullptr, shape32x32b,
                              tmem(tquad, colB(s32)),
                              scaleWords(Bs, n0, N, kb, bCols), Value());
    NVVM::Tcgen05WaitOp::create(b, loc, NVVM::Tcgen05WaitKind::STORE);
    fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
    gpu::BarrierOp::create(b, loc);
    // Thread 0: once the stage's tiles have landed, the four MMAs of the
    // block and a commit on done[s].
    ifThen(isT0);
    fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    waitBar(fullBar(s), parityOf(kb));
    Value dA = e.add(desc0, e.mul(s, e.c64(tileA / 16)));
    Value dB = e.add(descB0, e.mul(s, e.c64(tileB / 16)));
    Value notFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                           kb, e.c64(0));
    Value yes = arith::ConstantIntOp::create(b, loc, i1, 1);
    for (int j = 0; j < kMmasPerBlock; ++j) {
      Value step = e.c64(2 * j);
      NVVM::Tcgen05MMABlockScaleOp::create(
          b, loc, NVVM::MMABlockScaleKind::MXF8F6F4, NVVM::CTAGroupKind::CTA_1,
          NVVM::Tcgen05MMABlockScale::BLOCK32,
          NVVM::Tcgen05MMACollectorOp::DISCARD, tmem(tbase, e.c32(0)),
          e.add(dA, step), e.add(dB, step),
          e.c32(static_cast<int64_t>(getBlackwellInstrDescriptor(BN, j))),
          j == 0 ? notFirst : yes, tmem(tbase, colA(s32)),
          tmem(tbase, colB(s32)));
    }
    NVVM::Tcgen05CommitOp::create(b, loc, doneBar(s), /*multicastMask=*/Value(),
                                  NVVM::CTAGroupKind::CTA_1);
  }

  // The last block's commit completes after every MMA (they run in order).
  Value last = e.add(KB, e.c64(-1));
  waitBar(doneBar(stageOf(last)), parityOf(last));
  fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
  Value row = e.add(m0, e.add(e.mul(warp, e.c64(32)), lane));
  Value rowOk = ult(row, M);
  Value rowPtr = e.gep(C, f32, e.mul(row, N));
  auto ldTy = VectorType::get({32}, i32);
  for (int64_t c = 0; c < bCols; ++c) {
    Value v = NVVM::Tcgen05LdOp::create(b, loc, ldTy, /*pack=*/nullptr,
                                        shape32x32b,
                                        tmem(tquad, e.c32(32 * c)), Value());
    NVVM::Tcgen05WaitOp::create(b, loc, NVVM::Tcgen05WaitKind::LOAD);
    for (int64_t i = 0; i < 32; ++i) {
      Value col = e.add(n0, e.c64(32 * c + i));
      OpBuilder::InsertionGuard g(b);
      ifThen(e.land(rowOk, ult(col, N)));
      Value bits = LLVM::ExtractElementOp::create(b, loc, v, e.c32(i));
      Value acc = LLVM::BitcastOp::create(b, loc, f32, bits);
      if (failed(detail::storeGemmResult(b, loc, epilogue, *made, acc, row,
                                         col, e.gep(rowPtr, f32, col))))
        return failure();
    }
  }
  fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
  gpu::BarrierOp::create(b, loc);
  {
    OpBuilder::InsertionGuard g(b);
    ifThen(e.eq(warp, e.c64(0)));
    fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    NVVM::Tcgen05DeallocOp::create(b, loc, tmem(tbase, e.c32(0)),
                                   e.c32(tmemCols), NVVM::CTAGroupKind::CTA_1);
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace quantc
