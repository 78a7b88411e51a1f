//===- BlackwellGemm.cpp - sm_100a tcgen05 block-scaled GEMMs --------------===//
//
// One warpgroup per 128 x tileN tile of C. Thread 0 issues the TMA loads of
// A and B into a ring of `stages` shared-memory buffers and, per K block
// of 128 bytes, the four tcgen05.mma (32 bytes of K each) into the f32
// accumulator in tensor memory; every thread writes its rows' scales into
// the stage's tensor-memory scale slot with tcgen05.st. A commit per K
// block arrives on the stage's `done` mbarrier when its MMAs have
// completed: everyone waits for block kb-2's before writing block kb's
// scales, and thread 0, once it has issued block kb's MMAs, waits for
// block kb-1's to load block kb-1+S into their stage, so the MMAs of block
// kb-1 run while block kb's scales are written and S-1 blocks are in
// flight. The epilogue reads the accumulator with tcgen05.ld (warp w:
// rows 32w .. 32w+31 of the tile) and stores C through the fused
// epilogue. Tensor-memory layouts (PTX ISA "Tensor Memory", "Block
// Scaling"): accumulator row i in lane i, column j in column j; the scale
// of A's row m at lane m % 32 of every 32-lane quadrant, column m / 32,
// byte = the MMA's scale-factor ID (with 2X / 4X scale vectors, 2 / 4
// bytes from it), and B's scale of column n likewise. docs/Kernels.md has
// the details.
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
/// MMAs per stage: each reads 32 bytes of K (32 FP8 or 64 FP4 elements).
constexpr int kMmasPerBlock = kBlackwellTileK / 32;

/// What the kind of MMA takes: elements per byte, elements per scale, per
/// MMA, the scale code of 1.0, and the PTX kind and scale vector.
struct KindInfo {
  unsigned elemsPerByte, scaleBlock, kPerMma;
  int64_t one;
  NVVM::MMABlockScaleKind kind;
  NVVM::Tcgen05MMABlockScale vec;
  /// Per row and stage: the scales (128 bytes of K) and 4-byte words.
  unsigned scalesPerStage() const {
    return kBlackwellTileK * elemsPerByte / scaleBlock;
  }
  unsigned wordsPerStage() const { return scalesPerStage() / 4; }
  unsigned scalesPerMma() const { return kPerMma / scaleBlock; }
};
KindInfo kindInfo(BlockScaledGemm g) {
  switch (g) {
  case BlockScaledGemm::MXFP8: // 1X: one scale per MMA, byte = its ID
    return {1, 32, 32, 127, NVVM::MMABlockScaleKind::MXF8F6F4,
            NVVM::Tcgen05MMABlockScale::BLOCK32};
  case BlockScaledGemm::MXFP4: // 2X: bytes ID, ID+1 (ID 0 or 2)
    return {2, 32, 64, 127, NVVM::MMABlockScaleKind::MXF4,
            NVVM::Tcgen05MMABlockScale::BLOCK32};
  case BlockScaledGemm::NVFP4: // 4X: the whole word (UE4M3 1.0 = 0x38)
    return {2, 16, 64, 0x38, NVVM::MMABlockScaleKind::MXF4NVF4,
            NVVM::Tcgen05MMABlockScale::BLOCK16};
  }
  llvm_unreachable("unknown BlockScaledGemm");
}

llvm::Error err(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

unsigned tileBBytes(const BlackwellGemmConfig &cfg) {
  return cfg.tileN * kBlackwellTileK;
}
/// Tensor-memory columns of one word of B's scales: tileN / 32, at least
/// 4 so that every scale address is a multiple of 4 columns (what the
/// public sm_100 kernels use; the PTX ISA states no rule we could read).
unsigned bScaleColumns(const BlackwellGemmConfig &cfg) {
  return std::max(4u, cfg.tileN / 32);
}
/// Tensor-memory columns of one stage's scales: per scale word, A's 128
/// rows in 4 columns of 32 lanes and B's tileN columns.
unsigned scaleColumns(const BlackwellGemmConfig &cfg) {
  return kindInfo(cfg.kind).wordsPerStage() *
         (kBlackwellTileM / 32 + bScaleColumns(cfg));
}
/// Shared memory of an sm_100 SM, and what the driver reserves per CTA.
constexpr unsigned kSharedPerSM = 233472, kSharedReservedPerCTA = 1024;
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
  // The CTAs an SM's shared memory holds must fit its tensor memory too:
  // otherwise the extra ones wait in tcgen05.alloc holding their shared
  // memory.
  unsigned ctas = kSharedPerSM / (smem + kSharedReservedPerCTA);
  unsigned cols = getBlackwellGemmTmemColumns(cfg);
  if (ctas * cols > 512)
    return err("stages = " + llvm::Twine(cfg.stages) + " at tileN = " +
               llvm::Twine(cfg.tileN) + ": " + llvm::Twine(ctas) +
               " CTAs fit an SM's shared memory but not its tensor memory (" +
               llvm::Twine(ctas) + " x " + llvm::Twine(cols) +
               " columns > 512); use more stages");
  return llvm::Error::success();
}

llvm::Error checkBlackwellGemmShape(int64_t M, int64_t N, int64_t K,
                                    BlockScaledGemm kind) {
  for (auto [name, v] : {std::pair<const char *, int64_t>{"M", M},
                         {"N", N},
                         {"K", K}})
    if (v < 1 || v > INT32_MAX)
      return err(llvm::Twine(name) + " = " + llvm::Twine(v) +
                 ": the tcgen05 GEMM takes 1 .. 2^31-1");
  unsigned align = 16 * kindInfo(kind).elemsPerByte;
  if (K % align)
    return err("K = " + llvm::Twine(K) +
               ": TMA needs every row of A and B to start on a 16-byte "
               "boundary (K a multiple of " + llvm::Twine(align) + ")");
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

uint32_t getBlackwellInstrDescriptor(BlockScaledGemm kind, unsigned n,
                                     unsigned sfId) {
  // A and B: E4M3 (0) for kind::mxf8f6f4, E2M1 (1) for the FP4 kinds.
  uint32_t type = kind == BlockScaledGemm::MXFP8 ? 0u : 1u;
  uint32_t ue8m0 = kind == BlockScaledGemm::NVFP4 ? 0u : 1u;
  return ((sfId & 3u) << 4) |                // scale-factor B ID
         (type << 7) | (type << 10) |        // atype, btype
         (((n >> 3) & 0x3Fu) << 17) |        // N >> 3
         (ue8m0 << 23) |                     // scale type: UE8M0 / UE4M3
         ((kBlackwellTileM >> 7) << 27) |    // M >> 7
         ((sfId & 3u) << 29);                // scale-factor A ID
}

FailureOr<gpu::GPUFuncOp>
buildBlackwellGemmKernel(ModuleOp top, llvm::StringRef name,
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
  Type tptr = LLVM::LLVMPointerType::get(ctx, 6);
  auto [tmA, As, tmB, Bs, C] = made->ptrs;
  Value M = made->M, N = made->N, K = made->K;

  const int64_t S = cfg.stages, BN = cfg.tileN;
  const int64_t tileA = kTileABytes, tileB = tileBBytes(cfg);
  const int64_t barBase = S * (tileA + tileB);
  const int64_t slotOff = barBase + 16 * S;
  const int64_t tmemCols = getBlackwellGemmTmemColumns(cfg);
  const int64_t bCols = BN / 32;
  const KindInfo ki = kindInfo(cfg.kind);
  const int64_t W = ki.wordsPerStage();
  // Scale slot of stage s, after the accumulator's tileN columns: A's
  // words (4 columns each), then B's (max(4, tileN / 32) each).
  auto colA = [&](Value s, int64_t w) {
    return e.add(e.c32(BN + 4 * w), e.mul(s, e.c32(scaleColumns(cfg))));
  };
  auto colB = [&](Value s, int64_t w) {
    return e.add(colA(s, W), e.c32(bScaleColumns(cfg) * w));
  };

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
  // K blocks of one stage (128 bytes: 128 FP8 or 256 FP4 elements) and
  // scales per row; K < 2^31, so the sums cannot overflow in i64.
  const int64_t kStage = kBlackwellTileK * ki.elemsPerByte;
  Value KB = divu(e.add(K, e.c64(kStage - 1)), e.c64(kStage));
  Value KS = divu(e.add(K, e.c64(ki.scaleBlock - 1)), e.c64(ki.scaleBlock));

  // Thread 0 initialises the barriers: full[s] completes when both TMA
  // loads of the stage have landed, done[s] when the stage's MMAs have.
  {
    OpBuilder::InsertionGuard g(b);
    e.ifThen(isT0);
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
    e.ifThen(e.eq(warp, e.c64(0)));
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
    detail::emitTmaStageLoad(
        e, fullBar(s), tileA + tileB,
        trunc32(e.mul(kb, e.c64(kBlackwellTileK))),
        {{tmA, sgep(e.mul(s, e.c64(tileA))), m0},
         {tmB, sgep(e.add(e.c64(S * tileA), e.mul(s, e.c64(tileB)))), n0}});
  };
  {
    OpBuilder::InsertionGuard g(b);
    e.ifThen(isT0);
    detail::emitTensorMapAcquire(e, {tmA, tmB});
    Value first = e.select(e.ult(KB, e.c64(S)), KB, e.c64(S));
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

  // Scale word w of the K block kb from `rows` [rows, KS] scale bytes:
  // rows r0 + 32c + lane for c < count, bytes 4(W kb + w) .. +3 (selected
  // by the MMAs' scale-factor IDs). Rows past the end and scales past KS
  // read the code of 1.0, multiplying zero-filled operands.
  auto scaleWords = [&](Value base, Value r0, Value rows, Value kb, int64_t w,
                        int64_t count) -> Value {
    SmallVector<Value> words;
    Value first = e.mul(e.add(e.mul(kb, e.c64(W)), e.c64(w)), e.c64(4));
    for (int64_t c = 0; c < count; ++c)
      words.push_back(e.loadScaleWord(base, e.add(r0, e.add(e.c64(32 * c), lane)),
                                      rows, first, 4, KS, ki.one));
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
    // The block's scale words, loaded before any wait (they depend on kb
    // alone).
    SmallVector<Value> wordsA, wordsB;
    for (int64_t w = 0; w < W; ++w) {
      wordsA.push_back(scaleWords(As, m0, M, kb, w, 4));
      wordsB.push_back(scaleWords(Bs, n0, N, kb, w, bCols));
    }
    {
      // The MMAs of block kb-2 have completed: its scale slot (that of
      // block kb when the ring has 2 stages) is free.
      OpBuilder::InsertionGuard g2(b);
      e.ifThen(e.uge(kb, e.c64(2)));
      Value prev = e.add(kb, e.c64(-2));
      waitBar(doneBar(stageOf(prev)), parityOf(prev));
      fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    }
    // Every warp writes the same scales into its own quadrant (the MMA
    // reads them from every 32-lane partition).
    for (int64_t w = 0; w < W; ++w) {
      NVVM::Tcgen05StOp::create(b, loc, /*unpack=*/nullptr, shape32x32b,
                                tmem(tquad, colA(s32, w)), wordsA[w], Value());
      NVVM::Tcgen05StOp::create(b, loc, /*unpack=*/nullptr, shape32x32b,
                                tmem(tquad, colB(s32, w)), wordsB[w], Value());
    }
    NVVM::Tcgen05WaitOp::create(b, loc, NVVM::Tcgen05WaitKind::STORE);
    fence(NVVM::Tcgen05FenceKind::BEFORE_THREAD_SYNC);
    gpu::BarrierOp::create(b, loc);
    // Thread 0: once the stage's tiles have landed, the four MMAs of the
    // block and a commit on done[s].
    // (The fence after the wait orders the MMAs after both the barrier and
    // the TMA completion the wait observed.)
    e.ifThen(isT0);
    waitBar(fullBar(s), parityOf(kb));
    fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    Value dA = e.add(desc0, e.mul(s, e.c64(tileA / 16)));
    Value dB = e.add(descB0, e.mul(s, e.c64(tileB / 16)));
    Value notFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                           kb, e.c64(0));
    Value yes = arith::ConstantIntOp::create(b, loc, i1, 1);
    for (int j = 0; j < kMmasPerBlock; ++j) {
      // MMA j's first scale of the stage: word first / 4, byte first % 4.
      int64_t first = j * ki.scalesPerMma();
      Value step = e.c64(2 * j);
      NVVM::Tcgen05MMABlockScaleOp::create(
          b, loc, ki.kind, NVVM::CTAGroupKind::CTA_1, ki.vec,
          NVVM::Tcgen05MMACollectorOp::DISCARD, tmem(tbase, e.c32(0)),
          e.add(dA, step), e.add(dB, step),
          e.c32(static_cast<int64_t>(
              getBlackwellInstrDescriptor(cfg.kind, BN, first % 4))),
          j == 0 ? notFirst : yes, tmem(tbase, colA(s32, first / 4)),
          tmem(tbase, colB(s32, first / 4)));
    }
    NVVM::Tcgen05CommitOp::create(b, loc, doneBar(s), /*multicastMask=*/Value(),
                                  NVVM::CTAGroupKind::CTA_1);
    // While block kb's MMAs queue behind block kb-1's: once those have
    // completed, stage (kb-1) % S is free for block kb-1+S.
    Value prev = e.add(kb, e.c64(-1));
    Value next = e.add(prev, e.c64(S));
    e.ifThen(e.land(e.uge(kb, e.c64(1)), e.ult(next, KB)));
    waitBar(doneBar(stageOf(prev)), parityOf(prev));
    issueLoad(next);
  }

  // The last block's commit completes after every MMA (they run in order).
  Value last = e.add(KB, e.c64(-1));
  waitBar(doneBar(stageOf(last)), parityOf(last));
  fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
  Value row = e.add(m0, e.add(e.mul(warp, e.c64(32)), lane));
  Value rowOk = e.ult(row, M);
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
      e.ifThen(e.land(rowOk, e.ult(col, N)));
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
    e.ifThen(e.eq(warp, e.c64(0)));
    fence(NVVM::Tcgen05FenceKind::AFTER_THREAD_SYNC);
    NVVM::Tcgen05DeallocOp::create(b, loc, tmem(tbase, e.c32(0)),
                                   e.c32(tmemCols), NVVM::CTAGroupKind::CTA_1);
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace quantc
