//===- HostKernels.cpp - GPU kernels JIT-compiled for this CPU ------------===//
//
// Each runnable gpu.func @k(args) becomes
//
//   func.func private @__qc_thread_k(args, tid x/y/z, bid x/y/z,
//                                    bdim x/y/z, gdim x/y/z : index)
//     (the body, gpu id ops replaced by the arguments, gpu.return by
//     func.return, the sqrt.rn.f32 inline PTX by math.sqrt: IEEE sqrt)
//   func.func @__qc_launch_k(args, gdim x/y/z, bdim x/y/z : index)
//     (six scf.for loops calling it for every block and thread)
//
// in a module of their own, lowered to the LLVM dialect and JIT-compiled
// by MLIR's ExecutionEngine (ORC, this CPU's features, -O2).
//
// Kernels whose threads cooperate run every thread of a block as a
// coroutine instead (ucontext). What they do together becomes a call into
// this file that parks the thread: the warp's mma.sync and shfl.sync, the
// warpgroup's wgmma.mma_async, bar.sync, and waits on an mbarrier phase.
// A collective runs when all its threads have parked at it (the MMAs with
// the PTX ISA's fragment layouts, operands from shared memory through the
// wgmma descriptors); a wait ends when its phase completes. TMA loads copy
// the box into the block's shared memory (swizzled, out-of-bounds zero
// filled) when issued and complete their bytes on the mbarrier. sm_100a's
// tensor memory is an array per block; tcgen05.mma (issued by one thread)
// computes when issued, its commit arriving on the mbarrier. A block
// where no thread can go on is a deadlock, reported with what each thread
// waits for.
//
//===----------------------------------------------------------------------===//

#include "quantc/Target/Host/HostKernels.h"
#include "quantc/Numerics/Formats.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <ucontext.h>

using namespace mlir;
using namespace quantc;

namespace {

/// The inline PTX instructions outside the GEMM kernels, and their host
/// equivalent (both IEEE round-to-nearest square roots, f32 and f64).
constexpr llvm::StringLiteral kSqrtAsm = "sqrt.rn.f32 $0, $1;";
constexpr llvm::StringLiteral kSqrtF64Asm = "sqrt.rn.f64 $0, $1;";
bool isSqrtAsm(LLVM::InlineAsmOp a) {
  return a.getAsmString() == kSqrtAsm || a.getAsmString() == kSqrtF64Asm;
}

/// The entry points lowered kernels call for what threads do together
/// (each defined below, registered with the JIT by name).
///
/// The GEMMs' warp-collective MMA (D = A x B + C, C and D 16x8 of f32; A
/// 16x32 and B 32x8 of e4m3 or e5m2, or on sm_120a block-scaled, FP4 at
/// k64): (ptr words).
constexpr llvm::StringLiteral kMmaFp8Fn = "__qc_host_mma_m16n8k32_fp8";
/// bar.sync 0 (gpu.barrier): ().
constexpr llvm::StringLiteral kBarrierFn = "__qc_host_bar_sync";
/// bar.sync id, count (nvvm.barrier with both operands): (i32, i32).
constexpr llvm::StringLiteral kNamedBarrierFn = "__qc_host_bar_sync_named";
/// The block's dynamic shared memory (the extern `.shared` array): () -> ptr.
constexpr llvm::StringLiteral kSharedFn = "__qc_host_shared";
/// mbarrier.init: (ptr bar, i32 count).
constexpr llvm::StringLiteral kMbarInitFn = "__qc_host_mbarrier_init";
/// mbarrier.arrive[.expect_tx]: (ptr bar, i32 transaction bytes).
constexpr llvm::StringLiteral kMbarArriveFn = "__qc_host_mbarrier_arrive";
/// mbarrier.try_wait.parity in a loop: (ptr bar, i32 parity).
constexpr llvm::StringLiteral kMbarWaitFn = "__qc_host_mbarrier_wait";
/// cp.async.bulk.tensor (tile mode) completing on an mbarrier:
/// (ptr dst, ptr tensor map, ptr bar, i32 rank, i32 c0 .. c4).
constexpr llvm::StringLiteral kTmaLoadFn = "__qc_host_tma_load";
/// wgmma.mma_async from shared-memory descriptors:
/// (ptr accumulators, i64 desc A, i64 desc B, i32 shape and types).
constexpr llvm::StringLiteral kWgmmaFn = "__qc_host_wgmma";
/// shfl.sync: (i32 member mask, i32 value, i32 offset, i32 clamp, i32 kind)
/// -> i32.
constexpr llvm::StringLiteral kShflFn = "__qc_host_shfl";
/// cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32: (f32 a, f32 b, i32 e5m2) -> i16.
constexpr llvm::StringLiteral kCvtF8Fn = "__qc_host_cvt_f8x2";
/// bar.warp.sync: (i32 member mask).
constexpr llvm::StringLiteral kSyncWarpFn = "__qc_host_syncwarp";
/// sm_100a tensor memory (each call made by every lane of the warp that
/// executes the instruction; a tensor-memory address is lane << 16 |
/// column): tcgen05.alloc (ptr dst in shared memory, i32 columns),
/// tcgen05.dealloc (i32 taddr, i32 columns), tcgen05.st / tcgen05.ld of
/// shape 32x32b (i32 taddr, ptr values, i32 count).
constexpr llvm::StringLiteral kTmemAllocFn = "__qc_host_tmem_alloc";
constexpr llvm::StringLiteral kTmemDeallocFn = "__qc_host_tmem_dealloc";
constexpr llvm::StringLiteral kTmemStFn = "__qc_host_tmem_st";
constexpr llvm::StringLiteral kTmemLdFn = "__qc_host_tmem_ld";
/// tcgen05.mma.cta_group::1.kind::*.block_scale, issued by one thread:
/// (i32 D taddr, i64 desc A, i64 desc B, i32 idesc, i32 enable-d, i32
/// scale-A taddr, i32 scale-B taddr, i32 kind word: the kind in bits 0-1
/// (kTcKind*), the scale vector 1X/2X/4X in bits 4-5 (0, 1, 2)).
constexpr llvm::StringLiteral kTcMmaFn = "__qc_host_tcgen05_mma";
constexpr uint32_t kTcKindF8F6F4 = 0, kTcKindF4 = 1, kTcKindF4NvF4 = 2;
/// tcgen05.commit ... mbarrier::arrive::one: (ptr bar).
constexpr llvm::StringLiteral kTcCommitFn = "__qc_host_tcgen05_commit";

/// Words a lane passes to the MMA: A (4), B (2), C (4 f32), D (4 f32)
/// back, then the operand types (bit 0: A is e5m2, bit 1: B is e5m2, bit
/// 2: block-scaled), then for the block-scaled MMA the scale registers and
/// their selectors: scale A, byte-id A, thread-id A, scale B, byte-id B,
/// thread-id B.
constexpr int kMmaWords = 21;
/// More bits of the type word: block-scaled (2), FP4 operands, m16n8k64
/// (3), scale vector 1X/2X/4X (4-5: 0, 1, 2), UE4M3 scales instead of
/// UE8M0 (6).
constexpr uint32_t kMmaBlockScaled = 1u << 2, kMmaFp4 = 1u << 3,
                   kMmaUE4M3 = 1u << 6;
/// The integer MMA (nvvm.mma.sync m16n8k32 s8/u8 -> s32): bits 0 and 1 then
/// say that A and B are u8 (else s8).
constexpr uint32_t kMmaInt8 = 1u << 7;
constexpr int kMmaVecShift = 4;

/// wgmma's shape-and-types word: N in bits 0-9, A e5m2 (bit 10), B e5m2
/// (11), D accumulates (12: scale-d 1, else D = A x B), A negated (13), B
/// negated (14); integer operands (15: s8/u8 -> s32, bits 10 and 11 then
/// say that A and B are u8).
constexpr uint32_t kWgmmaE5A = 1u << 10, kWgmmaE5B = 1u << 11,
                   kWgmmaAccumulate = 1u << 12, kWgmmaNegA = 1u << 13,
                   kWgmmaNegB = 1u << 14, kWgmmaInt = 1u << 15;

/// The largest dynamic shared memory a block may have (sm_90's opt-in
/// limit, 227 KiB); the host gives every block a 256 KiB region aligned to
/// 256 KiB, so the low 18 bits of an address are its shared-window offset,
/// as a wgmma descriptor takes them.
constexpr uint32_t kMaxSharedBytes = 232448;
constexpr size_t kSharedRegion = size_t(1) << 18;

/// The operand-type word of an m16n8k32 FP8 mma.sync asm string, or -1.
int mmaTypeCode(StringRef asmStr) {
  for (int code = 0; code < 4; ++code) {
    std::string s = std::string("mma.sync.aligned.m16n8k32.row.col.f32.") +
                    (code & 1 ? "e5m2" : "e4m3") + "." +
                    (code & 2 ? "e5m2" : "e4m3") +
                    ".f32 {$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, "
                    "{$10,$11,$12,$13};";
    if (asmStr == s)
      return code;
  }
  return -1;
}

bool isMmaAsm(Operation *op) {
  auto a = dyn_cast<LLVM::InlineAsmOp>(op);
  return a && mmaTypeCode(a.getAsmString()) >= 0;
}

/// The block's dynamic shared memory: an external, zero-sized array in
/// address space 3 (what HopperGemm declares as `quantc_dsmem`).
bool isDynamicShared(LLVM::AddressOfOp op) {
  auto g = dyn_cast_or_null<LLVM::GlobalOp>(
      SymbolTable::lookupNearestSymbolFrom(op, op.getGlobalNameAttr()));
  auto arr = g ? dyn_cast<LLVM::LLVMArrayType>(g.getGlobalType()) : nullptr;
  return g && g.getAddrSpace() == 3 && g.getInitializerRegion().empty() &&
         !g.getValueOrNull() && arr && arr.getNumElements() == 0;
}

/// Whether `op` makes threads cooperate (its kernel runs on the block
/// scheduler), emulated or not.
bool isCooperative(Operation *op) {
  if (isMmaAsm(op) || isa<gpu::BarrierOp>(op))
    return true;
  if (auto a = dyn_cast<LLVM::AddressOfOp>(op))
    return isDynamicShared(a);
  return op->getDialect() &&
         op->getDialect()->getNamespace() == NVVM::NVVMDialect::getDialectNamespace();
}

/// Why the emulation cannot run NVVM op `op` (one of those the sm_90a GEMM
/// uses, with the attributes it uses them with), or "".
std::string nvvmRefusal(Operation *op) {
  auto name = [&] { return op->getName().getStringRef().str(); };
  // dp4a: plain arithmetic on the host (below).
  if (isa<NVVM::DotAccumulate4WayOp>(op))
    return "";
  if (isa<NVVM::FenceMbarrierInitOp, NVVM::FenceProxyAcquireOp,
          NVVM::SetMaxRegisterOp, NVVM::WgmmaFenceAlignedOp,
          NVVM::WgmmaGroupSyncAlignedOp, NVVM::WgmmaWaitGroupSyncOp,
          NVVM::MBarrierTryWaitParityOp, NVVM::SyncWarpOp,
          NVVM::Tcgen05FenceOp, NVVM::Tcgen05WaitOp>(op))
    return "";
  // sm_100a: one CTA's tensor memory (cta_group::1), 32x32b accesses, the
  // block-scaled MXFP8 MMA with A and B in shared memory.
  auto cta1 = [](NVVM::CTAGroupKind g) { return g == NVVM::CTAGroupKind::CTA_1; };
  if (auto o = dyn_cast<NVVM::Tcgen05AllocOp>(op))
    return cta1(o.getGroup()) ? "" : name() + " for a CTA pair";
  if (auto o = dyn_cast<NVVM::Tcgen05DeallocOp>(op))
    return cta1(o.getGroup()) ? "" : name() + " for a CTA pair";
  if (auto o = dyn_cast<NVVM::Tcgen05RelinquishAllocPermitOp>(op))
    return cta1(o.getGroup()) ? "" : name() + " for a CTA pair";
  if (auto o = dyn_cast<NVVM::Tcgen05CommitOp>(op))
    return cta1(o.getGroup()) && !o.getMulticastMask()
               ? ""
               : name() + " for a CTA pair or multicast";
  if (auto o = dyn_cast<NVVM::Tcgen05StOp>(op))
    return o.getShape() == NVVM::Tcgen05LdStShape::SHAPE_32X32B &&
                   !o.getUnpack() && !o.getOffset()
               ? ""
               : name() + " other than 32x32b without unpack";
  if (auto o = dyn_cast<NVVM::Tcgen05LdOp>(op))
    return o.getShape() == NVVM::Tcgen05LdStShape::SHAPE_32X32B &&
                   !o.getPack() && !o.getOffset()
               ? ""
               : name() + " other than 32x32b without pack";
  if (auto o = dyn_cast<NVVM::Tcgen05MMABlockScaleOp>(op))
    // The verifier has checked the kind's scale vectors.
    return cta1(o.getCtaGroup()) &&
                   o.getCollectorOp() ==
                       NVVM::Tcgen05MMACollectorOp::DISCARD &&
                   o.getMatrixA().getType().isInteger(64)
               ? ""
               : name() + " for a CTA pair, with a collector buffer or with "
                          "A in tensor memory (not emulated on the host)";
  if (auto o = dyn_cast<NVVM::PrefetchOp>(op))
    return o.getPredicate() ? name() + " with a predicate" : "";
  if (auto o = dyn_cast<NVVM::MBarrierInitOp>(op))
    return o.getPredicate() ? name() + " with a predicate" : "";
  if (auto o = dyn_cast<NVVM::MBarrierArriveOp>(op))
    return o.getCount() || (o.getRes() && !o.getRes().use_empty())
               ? name() + " with a count or a used state"
               : "";
  if (auto o = dyn_cast<NVVM::MBarrierArriveExpectTxOp>(op))
    return o.getPredicate() || (o.getRes() && !o.getRes().use_empty())
               ? name() + " with a predicate or a used state"
               : "";
  if (auto o = dyn_cast<NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp>(op)) {
    if (o.getMode() != NVVM::TMALoadMode::TILE || o.getMulticastMask() ||
        o.getL2CacheHint() || o.getPredicate() ||
        !o.getIm2colOffsets().empty() || o.getGroup() ||
        o.getCoordinates().size() > 5)
      return name() + " other than a tile-mode load without multicast, "
                      "cache hint, CTA group or predicate";
    return "";
  }
  if (auto o = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op)) {
    NVVM::MMAShapeAttr s = o.getShape();
    auto fp8 = [](NVVM::WGMMATypes t) {
      return t == NVVM::WGMMATypes::e4m3 || t == NVVM::WGMMATypes::e5m2;
    };
    auto int8 = [](NVVM::WGMMATypes t) {
      return t == NVVM::WGMMATypes::s8 || t == NVVM::WGMMATypes::u8;
    };
    bool floats = fp8(o.getTypeA()) && fp8(o.getTypeB()) &&
                  o.getTypeD() == NVVM::WGMMATypes::f32;
    bool ints = int8(o.getTypeA()) && int8(o.getTypeB()) &&
                o.getTypeD() == NVVM::WGMMATypes::s32 &&
                o.getScaleA() == NVVM::WGMMAScaleIn::one &&
                o.getScaleB() == NVVM::WGMMAScaleIn::one;
    if (s.getM() != 64 || s.getK() != 32 || s.getN() % 8 || s.getN() < 8 ||
        s.getN() > 256 || !(floats || ints) ||
        o.getLayoutA() != NVVM::MMALayout::row ||
        o.getLayoutB() != NVVM::MMALayout::col || o.getSatfinite())
      return name() + " other than m64nNk32 e4m3/e5m2 -> f32 or s8/u8 -> "
                      "s32 (without satfinite) with both operands K-major in "
                      "shared memory";
    return "";
  }
  if (auto o = dyn_cast<NVVM::MmaOp>(op)) {
    auto int8 = [](std::optional<NVVM::MMATypes> t) {
      return t && (*t == NVVM::MMATypes::s8 || *t == NVVM::MMATypes::u8);
    };
    NVVM::MMAShapeAttr s = o.getShape();
    if (s.getM() != 16 || s.getN() != 8 || s.getK() != 32 ||
        !int8(o.getMultiplicandAPtxType()) ||
        !int8(o.getMultiplicandBPtxType()) ||
        o.getLayoutA() != NVVM::MMALayout::row ||
        o.getLayoutB() != NVVM::MMALayout::col ||
        o.getIntOverflowBehavior() != NVVM::MMAIntOverflow::wrapped)
      return name() + " other than m16n8k32 row.col s8/u8 -> s32 (wrapped) "
                      "(not emulated on the host)";
    return "";
  }
  if (auto o = dyn_cast<NVVM::MmaBlockScaleOp>(op)) {
    auto is = [](std::optional<NVVM::MMATypes> t,
                 std::initializer_list<NVVM::MMATypes> ok) {
      return t && llvm::is_contained(ok, *t);
    };
    NVVM::MMAShapeAttr s = o.getShape();
    NVVM::ScaleVecSize v = o.getScaleVecSize();
    bool ue8 = o.getBlockScaleFormat() == NVVM::BlockScaleFormat::UE8M0;
    bool ok = s.getM() == 16 && s.getN() == 8;
    switch (o.getKind()) {
    case NVVM::MMABlockScaleKind::MXF8F6F4:
      // e4m3/e5m2 in 8-bit containers, one UE8M0 per row per 32.
      ok = ok && s.getK() == 32 && ue8 && v == NVVM::ScaleVecSize::X1 &&
           is(o.getMultiplicandAPtxType(),
              {NVVM::MMATypes::e4m3, NVVM::MMATypes::e5m2}) &&
           is(o.getMultiplicandBPtxType(),
              {NVVM::MMATypes::e4m3, NVVM::MMATypes::e5m2});
      break;
    case NVVM::MMABlockScaleKind::MXF4:
    case NVVM::MMABlockScaleKind::MXF4NVF4:
      // Packed e2m1, k64: two UE8M0 per row per 64 (2X), or four UE4M3
      // (4X, mxf4nvf4 only).
      ok = ok && s.getK() == 64 &&
           is(o.getMultiplicandAPtxType(), {NVVM::MMATypes::e2m1}) &&
           is(o.getMultiplicandBPtxType(), {NVVM::MMATypes::e2m1}) &&
           ((ue8 && v == NVVM::ScaleVecSize::X2) ||
            (o.getKind() == NVVM::MMABlockScaleKind::MXF4NVF4 && !ue8 &&
             v == NVVM::ScaleVecSize::X4));
      break;
    }
    if (!ok)
      return name() + " other than kind::mxf8f6f4 m16n8k32 e4m3/e5m2 "
                      "(1X ue8m0) or kind::mxf4/mxf4nvf4 m16n8k64 e2m1 (2X "
                      "ue8m0, 4X ue4m3) (not emulated on the host)";
    return "";
  }
  if (auto o = dyn_cast<NVVM::BarrierOp>(op))
    return o.getReductionOp() || !o.getBarrierId() || !o.getNumberOfThreads()
               ? name() + " with a reduction or without an id and count"
               : "";
  if (auto o = dyn_cast<NVVM::ShflOp>(op))
    return o.getReturnValueAndIsValid() ||
                   !(o.getVal().getType().isInteger(32) ||
                     o.getVal().getType().isF32())
               ? name() + " other than of one i32 or f32"
               : "";
  if (auto o = dyn_cast<NVVM::ConvertF32x2ToF8x2Op>(op))
    return o.getRnd() != NVVM::FPRoundingMode::RN ||
                   o.getSat() != NVVM::SaturationMode::SATFINITE ||
                   o.getRelu() ||
                   !isa<Float8E4M3FNType, Float8E5M2Type>(o.getDstTy())
               ? name() + " other than rn.satfinite to e4m3x2 or e5m2x2"
               : "";
  return name() + " (not emulated on the host)";
}

/// Parameter kinds the driver passes; "" for one it cannot.
std::string paramKind(Type t, HostKernelArg::Kind &kind) {
  if (auto p = dyn_cast<LLVM::LLVMPointerType>(t)) {
    kind = HostKernelArg::Kind::Pointer;
    return p.getAddressSpace() == 0 ? "" : "a pointer in address space " +
                                               std::to_string(
                                                   p.getAddressSpace());
  }
  if (t.isInteger(32)) {
    kind = HostKernelArg::Kind::I32;
    return "";
  }
  if (t.isInteger(64)) {
    kind = HostKernelArg::Kind::I64;
    return "";
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "a parameter of type " << t;
  return s;
}

/// Why `fn` cannot run on the host, or "".
std::string refusal(gpu::GPUFuncOp fn) {
  if (fn.getNumWorkgroupAttributions() || fn.getNumPrivateAttributions())
    return "it uses workgroup or private memory attributions";
  std::string why;
  fn.walk([&](Operation *op) {
    if (op == fn.getOperation() ||
        isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp,
            gpu::ReturnOp, gpu::BarrierOp>(op))
      return WalkResult::advance();
    StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
    if (auto a = dyn_cast<LLVM::InlineAsmOp>(op)) {
      if (isSqrtAsm(a) || isMmaAsm(op))
        return WalkResult::advance();
      why = "it uses inline PTX '" + a.getAsmString().str() + "'";
    } else if (ns == "nvvm") {
      if (std::string w = nvvmRefusal(op); !w.empty())
        why = "it uses " + w;
    } else if (auto a = dyn_cast<LLVM::AddressOfOp>(op);
               a && cast<LLVM::LLVMPointerType>(a.getType())
                        .getAddressSpace() != 0) {
      if (!isDynamicShared(a))
        why = "it addresses the global @" + a.getGlobalName().str() +
              " in address space " +
              std::to_string(cast<LLVM::LLVMPointerType>(a.getType())
                                 .getAddressSpace()) +
              " (only the extern dynamic shared array is emulated)";
    } else if (ns == "gpu" || ns == "nvgpu") {
      why = "it uses " + op->getName().getStringRef().str() +
            " (not emulated on the host)";
    } else if (isa<LLVM::CallOp, func::CallOp>(op)) {
      why = "it calls another function";
    } else if (!(ns == "arith" || ns == "scf" || ns == "cf" || ns == "llvm" ||
                 ns == "index" || ns == "ub" || isa<math::SqrtOp>(op))) {
      // Only what the host lowering converts: one kernel's op must not
      // fail the others' JIT.
      why = "it uses " + op->getName().getStringRef().str() +
            ", which the host lowering does not convert";
    } else {
      // Shared (3) and shared::cluster (7) pointers become host pointers
      // into the block's shared region, tensor-memory addresses (6) the
      // tcgen05 calls' i32; local (5) or other spaces do not.
      for (Type t : llvm::concat<Type>(llvm::to_vector(op->getOperandTypes()),
                                       llvm::to_vector(op->getResultTypes())))
        if (auto p = dyn_cast<LLVM::LLVMPointerType>(t);
            p && p.getAddressSpace() != 0 && p.getAddressSpace() != 3 &&
            p.getAddressSpace() != 6 && p.getAddressSpace() != 7)
          why = "it addresses memory space " +
                std::to_string(p.getAddressSpace());
    }
    return why.empty() ? WalkResult::advance() : WalkResult::interrupt();
  });
  if (!why.empty())
    return why;
  for (Type t : fn.getArgumentTypes()) {
    HostKernelArg::Kind k;
    if (std::string p = paramKind(t, k); !p.empty())
      return "it takes " + p;
  }
  return "";
}

/// Declares the host entry points in `host`.
void declareHostEntryPoints(ModuleOp host) {
  MLIRContext *ctx = host.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToStart(host.getBody());
  Type ptr = LLVM::LLVMPointerType::get(ctx), i32 = b.getI32Type(),
       i64 = b.getI64Type(), i16 = b.getI16Type(), f32 = b.getF32Type(),
       none = LLVM::LLVMVoidType::get(ctx);
  auto declare = [&](StringRef name, Type result, ArrayRef<Type> params) {
    LLVM::LLVMFuncOp::create(b, host.getLoc(), name,
                             LLVM::LLVMFunctionType::get(result, params));
  };
  declare(kMmaFp8Fn, none, {ptr});
  declare(kBarrierFn, none, {});
  declare(kNamedBarrierFn, none, {i32, i32});
  declare(kSharedFn, ptr, {});
  declare(kMbarInitFn, none, {ptr, i32});
  declare(kMbarArriveFn, none, {ptr, i32});
  declare(kMbarWaitFn, none, {ptr, i32});
  declare(kTmaLoadFn, none, {ptr, ptr, ptr, i32, i32, i32, i32, i32, i32});
  declare(kWgmmaFn, none, {ptr, i64, i64, i32});
  declare(kShflFn, i32, {i32, i32, i32, i32, i32});
  declare(kCvtF8Fn, i16, {f32, f32, i32});
  declare(kSyncWarpFn, none, {i32});
  declare(kTmemAllocFn, none, {ptr, i32});
  declare(kTmemDeallocFn, none, {i32, i32});
  declare(kTmemStFn, none, {i32, ptr, i32});
  declare(kTmemLdFn, none, {i32, ptr, i32});
  declare(kTcMmaFn, none, {i32, i64, i64, i32, i32, i32, i32, i32});
  declare(kTcCommitFn, none, {ptr});
}

/// Stores `values` to consecutive slots of `elem` at `buf`.
void storeSlots(OpBuilder &b, Location loc, Value buf, Type elem,
                ArrayRef<Value> values) {
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  for (auto [k, v] : llvm::enumerate(values))
    LLVM::StoreOp::create(
        b, loc, v,
        LLVM::GEPOp::create(b, loc, ptr, elem, buf,
                            ArrayRef<LLVM::GEPArg>{int32_t(k)}));
}

/// A struct of `n` 32-bit fields (f32, or i32 for the integer MMA) loaded
/// from `buf` into a value of type `ty`.
Value loadStruct(OpBuilder &b, Location loc, Value buf, Type ty, int n) {
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  auto st = cast<LLVM::LLVMStructType>(ty);
  Value d = LLVM::UndefOp::create(b, loc, ty);
  for (int k = 0; k < n; ++k) {
    Type field = st.getBody()[k];
    Value slot = LLVM::GEPOp::create(b, loc, ptr, field, buf,
                                     ArrayRef<LLVM::GEPArg>{k});
    d = LLVM::InsertValueOp::create(b, loc, d,
                                    LLVM::LoadOp::create(b, loc, field, slot),
                                    ArrayRef<int64_t>{k});
  }
  return d;
}

/// Turns the cooperative ops of a kernel's host function into calls of the
/// host entry points: shared-memory pointers become plain pointers (into
/// the block's shared region), fences, prefetches, setmaxnreg and wgmma's
/// fence/commit/wait (the emulated wgmma completes when issued) go away.
void lowerCooperativeOps(func::FuncOp thread) {
  MLIRContext *ctx = thread.getContext();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  // The ops to replace, found before the pointers are retyped (refusal()
  // let only the dynamic shared array be addressed in a shared space).
  SmallVector<Operation *> ops;
  int maxAcc = 0;
  thread.walk([&](Operation *op) {
    auto a = dyn_cast<LLVM::AddressOfOp>(op);
    if (isMmaAsm(op) || isa<gpu::BarrierOp, LLVM::AddrSpaceCastOp>(op) ||
        (a && cast<LLVM::LLVMPointerType>(a.getType()).getAddressSpace()) ||
        op->getDialect() == ctx->getLoadedDialect<NVVM::NVVMDialect>())
      ops.push_back(op);
    if (auto w = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op))
      maxAcc = std::max(maxAcc, int(w.getShape().getN() / 2));
  });
  // Every pointer in the shared spaces becomes a host pointer.
  auto retype = [&](Value v) {
    if (auto p = dyn_cast<LLVM::LLVMPointerType>(v.getType());
        p && p.getAddressSpace() != 0)
      v.setType(ptr);
  };
  thread.walk([&](Operation *op) {
    for (Value r : op->getResults())
      retype(r);
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument a : block.getArguments())
          retype(a);
  });
  Block &entry = thread.getBody().front();
  OpBuilder eb(ctx);
  eb.setInsertionPointToStart(&entry);
  Location loc = thread.getLoc();
  Type i32 = eb.getI32Type(), f32 = eb.getF32Type();
  auto stackBuffer = [&](Type elem, int n) -> Value {
    Value c = LLVM::ConstantOp::create(eb, loc, i32, eb.getI32IntegerAttr(n));
    return LLVM::AllocaOp::create(eb, loc, ptr, elem, c);
  };
  Value mmaBuf, accBuf, tmemBuf;
  if (llvm::any_of(ops, [](Operation *o) {
        return isMmaAsm(o) || isa<NVVM::MmaBlockScaleOp, NVVM::MmaOp>(o);
      }))
    mmaBuf = stackBuffer(i32, kMmaWords);
  if (maxAcc)
    accBuf = stackBuffer(f32, maxAcc);
  // tcgen05.ld / st of up to 128 registers.
  if (llvm::any_of(ops, [](Operation *o) {
        return isa<NVVM::Tcgen05LdOp, NVVM::Tcgen05StOp>(o);
      }))
    tmemBuf = stackBuffer(i32, 128);
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location l = op->getLoc();
    auto c32 = [&](int64_t v) {
      return LLVM::ConstantOp::create(b, l, i32, b.getI32IntegerAttr(v));
    };
    auto call = [&](StringRef fn, TypeRange result, ValueRange args) {
      return LLVM::CallOp::create(b, l, result, fn, args);
    };
    // The warp's MMA: the fragments (A, B, C) to the buffer, from word 14
    // the type word (and the scales), the call, D back from word 10.
    auto mma = [&](ArrayRef<Value> fragments, ArrayRef<Value> tail,
                   Type result) {
      storeSlots(b, l, mmaBuf, i32, fragments);
      storeSlots(b, l,
                 LLVM::GEPOp::create(b, l, ptr, i32, mmaBuf,
                                     ArrayRef<LLVM::GEPArg>{14}),
                 i32, tail);
      call(kMmaFp8Fn, {}, {mmaBuf});
      return loadStruct(b, l,
                        LLVM::GEPOp::create(b, l, ptr, i32, mmaBuf,
                                            ArrayRef<LLVM::GEPArg>{10}),
                        result, 4);
    };
    Value repl;
    if (auto a = dyn_cast<LLVM::InlineAsmOp>(op)) {
      repl = mma(SmallVector<Value>(a.getOperands()),
                 {c32(mmaTypeCode(a.getAsmString()))}, a.getResult(0).getType());
    } else if (auto o = dyn_cast<NVVM::MmaOp>(op)) {
      // The integer MMA: the same fragments (C and D s32).
      SmallVector<Value> words(o.getOperandA());
      words.append(o.getOperandB().begin(), o.getOperandB().end());
      words.append(o.getOperandC().begin(), o.getOperandC().end());
      uint32_t code = kMmaInt8;
      code |= *o.getMultiplicandAPtxType() == NVVM::MMATypes::u8 ? 1 : 0;
      code |= *o.getMultiplicandBPtxType() == NVVM::MMATypes::u8 ? 2 : 0;
      repl = mma(words, {c32(code)}, o.getRes().getType());
    } else if (auto o = dyn_cast<NVVM::MmaBlockScaleOp>(op)) {
      // The block-scaled MMA: the same fragments, then the scale registers
      // and their selectors (widened to i32).
      SmallVector<Value> words(o.getOperandA());
      words.append(o.getOperandB().begin(), o.getOperandB().end());
      words.append(o.getOperandC().begin(), o.getOperandC().end());
      uint32_t code = kMmaBlockScaled;
      code |= *o.getMultiplicandAPtxType() == NVVM::MMATypes::e5m2 ? 1 : 0;
      code |= *o.getMultiplicandBPtxType() == NVVM::MMATypes::e5m2 ? 2 : 0;
      code |= o.getShape().getK() == 64 ? kMmaFp4 : 0;
      code |= uint32_t(o.getScaleVecSize()) << kMmaVecShift;
      code |= o.getBlockScaleFormat() == NVVM::BlockScaleFormat::UE4M3
                  ? kMmaUE4M3
                  : 0;
      auto widen = [&](Value v) -> Value {
        return v.getType().isInteger(32)
                   ? v
                   : LLVM::ZExtOp::create(b, l, i32, v).getResult();
      };
      repl = mma(words,
                 {c32(code), widen(o.getScaleAData()), widen(o.getByteIdA()),
                  widen(o.getThreadIdA()), widen(o.getScaleBData()),
                  widen(o.getByteIdB()), widen(o.getThreadIdB())},
                 o.getRes().getType());
    } else if (isa<LLVM::AddrSpaceCastOp>(op)) {
      repl = op->getOperand(0);
    } else if (isa<LLVM::AddressOfOp>(op)) {
      repl = call(kSharedFn, {ptr}, {}).getResult();
    } else if (isa<gpu::BarrierOp>(op)) {
      call(kBarrierFn, {}, {});
    } else if (auto o = dyn_cast<NVVM::MBarrierInitOp>(op)) {
      call(kMbarInitFn, {}, {o.getAddr(), o.getCount()});
    } else if (auto o = dyn_cast<NVVM::MBarrierArriveOp>(op)) {
      call(kMbarArriveFn, {}, {o.getAddr(), c32(0)});
    } else if (auto o = dyn_cast<NVVM::MBarrierArriveExpectTxOp>(op)) {
      call(kMbarArriveFn, {}, {o.getAddr(), o.getTxcount()});
    } else if (auto o = dyn_cast<NVVM::MBarrierTryWaitParityOp>(op)) {
      call(kMbarWaitFn, {}, {o.getAddr(), o.getPhase()});
    } else if (auto o =
                   dyn_cast<NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp>(
                       op)) {
      SmallVector<Value> args = {o.getDstMem(), o.getTmaDescriptor(),
                                 o.getMbar(),
                                 c32(o.getCoordinates().size())};
      for (size_t d = 0; d < 5; ++d)
        args.push_back(d < o.getCoordinates().size() ? o.getCoordinates()[d]
                                                     : c32(0));
      call(kTmaLoadFn, {}, args);
    } else if (auto o = dyn_cast<NVVM::WgmmaMmaAsyncOp>(op)) {
      int n = o.getShape().getN(), acc = n / 2;
      uint32_t word = uint32_t(n);
      auto bit1 = [](NVVM::WGMMATypes t) {
        return t == NVVM::WGMMATypes::e5m2 || t == NVVM::WGMMATypes::u8;
      };
      word |= bit1(o.getTypeA()) ? kWgmmaE5A : 0;
      word |= bit1(o.getTypeB()) ? kWgmmaE5B : 0;
      word |= o.getTypeD() == NVVM::WGMMATypes::s32 ? kWgmmaInt : 0;
      word |= o.getScaleD() == NVVM::WGMMAScaleOut::one ? kWgmmaAccumulate : 0;
      word |= o.getScaleA() == NVVM::WGMMAScaleIn::neg ? kWgmmaNegA : 0;
      word |= o.getScaleB() == NVVM::WGMMAScaleIn::neg ? kWgmmaNegB : 0;
      SmallVector<Value> accs;
      for (int k = 0; k < acc; ++k)
        accs.push_back(LLVM::ExtractValueOp::create(b, l, o.getInouts(), k));
      storeSlots(b, l, accBuf, f32, accs);
      call(kWgmmaFn, {}, {accBuf, o.getDescriptorA(), o.getDescriptorB(),
                          c32(word)});
      repl = loadStruct(b, l, accBuf, o.getResults().getType(), acc);
    } else if (auto o = dyn_cast<NVVM::ShflOp>(op)) {
      Value v = o.getVal();
      bool isF = v.getType().isF32();
      if (isF)
        v = LLVM::BitcastOp::create(b, l, i32, v);
      Value r = call(kShflFn, {i32},
                     {o.getThreadMask(), v, o.getOffset(),
                      o.getMaskAndClamp(),
                      c32(static_cast<int>(o.getKind()))})
                    .getResult();
      repl = isF ? LLVM::BitcastOp::create(b, l, f32, r).getResult() : r;
    } else if (auto o = dyn_cast<NVVM::DotAccumulate4WayOp>(op)) {
      // dp4a: c + the sum of the four byte products, each byte sign- or
      // zero-extended as its type says, modulo 2^32.
      Value sum = o.getC();
      auto bytes = [&](Value v, NVVM::DotAccumulateType t, int j) -> Value {
        Value w = LLVM::BitcastOp::create(b, l, i32, v);
        Value sh = LLVM::ShlOp::create(b, l, w, c32(24 - 8 * j));
        return t == NVVM::DotAccumulateType::SIGNED
                   ? LLVM::AShrOp::create(b, l, sh, c32(24)).getResult()
                   : LLVM::LShrOp::create(b, l, sh, c32(24)).getResult();
      };
      for (int j = 0; j < 4; ++j)
        sum = LLVM::AddOp::create(
            b, l, sum,
            LLVM::MulOp::create(b, l, bytes(o.getA(), o.getAType(), j),
                                bytes(o.getB(), o.getBType(), j)));
      repl = sum;
    } else if (auto o = dyn_cast<NVVM::SyncWarpOp>(op)) {
      call(kSyncWarpFn, {}, {o.getMask()});
    } else if (auto o = dyn_cast<NVVM::BarrierOp>(op)) {
      call(kNamedBarrierFn, {}, {o.getBarrierId(), o.getNumberOfThreads()});
    } else if (isa<NVVM::Tcgen05AllocOp, NVVM::Tcgen05DeallocOp,
                   NVVM::Tcgen05StOp, NVVM::Tcgen05LdOp,
                   NVVM::Tcgen05MMABlockScaleOp, NVVM::Tcgen05CommitOp>(op)) {
      // Tensor-memory addresses (retyped pointers) as the i32 they are.
      auto taddr = [&](Value p) -> Value {
        return LLVM::PtrToIntOp::create(b, l, i32, p);
      };
      auto count = [&](Type t) {
        auto v = dyn_cast<VectorType>(t);
        return c32(v ? v.getNumElements() : 1);
      };
      if (auto o = dyn_cast<NVVM::Tcgen05AllocOp>(op)) {
        call(kTmemAllocFn, {}, {o.getAddr(), o.getNCols()});
      } else if (auto o = dyn_cast<NVVM::Tcgen05DeallocOp>(op)) {
        call(kTmemDeallocFn, {}, {taddr(o.getTaddr()), o.getNCols()});
      } else if (auto o = dyn_cast<NVVM::Tcgen05StOp>(op)) {
        // The buffer is an i32 array: 4-byte aligned accesses.
        LLVM::StoreOp::create(b, l, o.getVal(), tmemBuf, /*alignment=*/4);
        call(kTmemStFn, {},
             {taddr(o.getTmemAddr()), tmemBuf, count(o.getVal().getType())});
      } else if (auto o = dyn_cast<NVVM::Tcgen05LdOp>(op)) {
        call(kTmemLdFn, {},
             {taddr(o.getTmemAddr()), tmemBuf, count(o.getRes().getType())});
        repl = LLVM::LoadOp::create(b, l, o.getRes().getType(), tmemBuf,
                                    /*alignment=*/4);
      } else if (auto o = dyn_cast<NVVM::Tcgen05MMABlockScaleOp>(op)) {
        // The kind and its scale vector: mxf8f6f4 1X, mxf4 2X, mxf4nvf4
        // 2X (block32) or 4X (block16).
        uint32_t kind = o.getKind() == NVVM::MMABlockScaleKind::MXF8F6F4
                            ? kTcKindF8F6F4
                        : o.getKind() == NVVM::MMABlockScaleKind::MXF4
                            ? kTcKindF4
                            : kTcKindF4NvF4;
        uint32_t vec = kind == kTcKindF8F6F4 ? 0
                       : o.getBlockScale() == NVVM::Tcgen05MMABlockScale::BLOCK16
                           ? 2
                           : 1;
        call(kTcMmaFn, {},
             {taddr(o.getMatrixD()), o.getMatrixA(), o.getMatrixB(),
              o.getIdesc(),
              LLVM::ZExtOp::create(b, l, i32, o.getEnableInputD()),
              taddr(o.getScaleA()), taddr(o.getScaleB()),
              c32(kind | vec << 4)});
      } else if (auto o = dyn_cast<NVVM::Tcgen05CommitOp>(op)) {
        call(kTcCommitFn, {}, {o.getAddr()});
      }
    } else if (auto o = dyn_cast<NVVM::ConvertF32x2ToF8x2Op>(op)) {
      repl = call(kCvtF8Fn, {b.getI16Type()},
                  {o.getA(), o.getB(),
                   c32(isa<Float8E5M2Type>(o.getDstTy()) ? 1 : 0)})
                 .getResult();
    }
    // Everything else (fences, prefetch, setmaxnreg, wgmma fence, commit
    // and wait, tcgen05 fences and waits, relinquish_alloc_permit) has no
    // effect here: the emulated operations complete when issued.
    if (repl)
      op->getResult(0).replaceAllUsesWith(repl);
    op->erase();
  }
}

/// Builds @__qc_thread_<name> and @__qc_launch_<name> for `fn` in `host`
/// (a cooperative kernel's threads are started by the C++ scheduler
/// through @__qc_thread_<name>, which then stays public).
void buildHostFunctions(gpu::GPUFuncOp fn, ModuleOp host, bool cooperative) {
  MLIRContext *ctx = host.getContext();
  Location loc = fn.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(host.getBody());
  Type index = b.getIndexType();
  SmallVector<Type> params(fn.getArgumentTypes());
  unsigned nArgs = params.size();
  SmallVector<Type> threadParams = params;
  threadParams.append(12, index);
  auto thread = func::FuncOp::create(
      b, loc, ("__qc_thread_" + fn.getName()).str(),
      b.getFunctionType(threadParams, {}));
  if (!cooperative)
    thread.setPrivate();
  IRMapping map;
  fn.getBody().cloneInto(&thread.getBody(), map);
  Block &entry = thread.getBody().front();
  SmallVector<Value> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(entry.addArgument(index, loc));
  auto dim = [](gpu::Dimension d) { return static_cast<unsigned>(d); };
  SmallVector<Operation *> done;
  thread.walk([&](Operation *op) {
    OpBuilder r(op);
    Value repl;
    if (auto o = dyn_cast<gpu::ThreadIdOp>(op))
      repl = ids[dim(o.getDimension())];
    else if (auto o = dyn_cast<gpu::BlockIdOp>(op))
      repl = ids[3 + dim(o.getDimension())];
    else if (auto o = dyn_cast<gpu::BlockDimOp>(op))
      repl = ids[6 + dim(o.getDimension())];
    else if (auto o = dyn_cast<gpu::GridDimOp>(op))
      repl = ids[9 + dim(o.getDimension())];
    else if (auto o = dyn_cast<LLVM::InlineAsmOp>(op); o && isSqrtAsm(o))
      repl = math::SqrtOp::create(r, o.getLoc(), o.getOperand(0));
    else if (auto o = dyn_cast<gpu::ReturnOp>(op))
      func::ReturnOp::create(r, o.getLoc());
    else
      return;
    if (repl)
      op->getResult(0).replaceAllUsesWith(repl);
    done.push_back(op);
  });
  for (Operation *op : done)
    op->erase();
  if (cooperative) {
    // Its threads are scheduled by HostKernels::launch.
    lowerCooperativeOps(thread);
    return;
  }

  // The launch: every block, then every thread of it, in order.
  SmallVector<Type> launchParams = params;
  launchParams.append(6, index);
  auto launch = func::FuncOp::create(b, loc,
                                     ("__qc_launch_" + fn.getName()).str(),
                                     b.getFunctionType(launchParams, {}));
  Block *body = launch.addEntryBlock();
  b.setInsertionPointToStart(body);
  ValueRange args = body->getArguments().take_front(nArgs);
  ValueRange gdim = body->getArguments().slice(nArgs, 3);
  ValueRange bdim = body->getArguments().slice(nArgs + 3, 3);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // Loops outermost first: block z, y, x, thread z, y, x.
  Value bounds[6] = {gdim[2], gdim[1], gdim[0], bdim[2], bdim[1], bdim[0]};
  Value iv[6];
  for (int i = 0; i < 6; ++i) {
    auto loop = scf::ForOp::create(b, loc, zero, bounds[i], one);
    iv[i] = loop.getInductionVar();
    b.setInsertionPointToStart(loop.getBody());
  }
  SmallVector<Value> callArgs(args);
  callArgs.append({iv[5], iv[4], iv[3], iv[2], iv[1], iv[0], bdim[0], bdim[1],
                   bdim[2], gdim[0], gdim[1], gdim[2]});
  func::CallOp::create(b, loc, thread, callArgs);
  b.setInsertionPointToEnd(body);
  func::ReturnOp::create(b, loc);
}

//===----------------------------------------------------------------------===//
// Blocks of coroutines
//===----------------------------------------------------------------------===//

/// What a thread is parked at.
enum class Park : uint8_t {
  None,     // runnable
  Mma,      // the warp's mma.sync (all 32 lanes)
  Shfl,     // the warp's shfl.sync (all its lanes)
  SyncWarp, // the warp's bar.warp.sync (all its lanes)
  Wgmma,    // the warpgroup's wgmma.mma_async (all 128 threads)
  Barrier,  // bar.sync 0 (every thread of the block)
  Named,    // bar.sync id, count (Thread::c, d): `count` threads at `id`
  MBarrier, // an mbarrier phase that has not completed
  Failed,   // an error in a host entry point; never resumed
};

struct HostBlock;

/// One GPU thread: a coroutine running the kernel's thread function.
struct Thread {
  ucontext_t ctx;
  HostBlock *block = nullptr;
  std::vector<void *> args; // packed: a pointer to each argument
  int64_t ids[12];          // tid, bid, bdim, gdim (x, y, z each)
  bool done = false;
  Park park = Park::None;
  void *buf = nullptr; // Mma: the lane's words; Wgmma: its accumulators
  uint64_t a = 0, b = 0; // Wgmma: descriptors; Shfl: value, offset;
                         // MBarrier: shared offset, parity
  uint32_t c = 0, d = 0; // Wgmma: shape word; Shfl: mask and clamp, kind
  uint32_t mask = 0;     // Shfl: member mask
  uint32_t result = 0;   // Shfl: the value read
  uint32_t tmemAllocs = 0, tmemDeallocs = 0; // tcgen05.alloc/dealloc made
  /// The tcgen05.mma (HostBlock::tcMmas) this thread knows complete: by
  /// its own waits on their commits' mbarriers, or another thread's before
  /// a bar.sync both passed.
  size_t tcObserved = 0;
};

/// Thread stacks, each above a PROT_NONE guard page (a thread that
/// overflows its stack faults instead of corrupting the heap); mmap'd, so
/// pages are touched only as a thread uses them.
class ThreadStacks {
public:
  static constexpr size_t kStack = 256 * 1024, kGuard = 4096;
  explicit ThreadStacks(size_t n) : n(n) {
    void *p = mmap(nullptr, n * (kStack + kGuard), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return;
    base = static_cast<char *>(p);
    for (size_t i = 0; i < n; ++i)
      mprotect(base + i * (kStack + kGuard), kGuard, PROT_NONE);
  }
  ~ThreadStacks() {
    if (base)
      munmap(base, n * (kStack + kGuard));
  }
  bool ok() const { return base != nullptr; }
  char *stack(size_t i) const { return base + i * (kStack + kGuard) + kGuard; }

private:
  size_t n;
  char *base = nullptr;
};

/// An mbarrier object's state (PTX ISA "mbarrier"): the phase completes
/// when every expected arrival has happened and the transaction count is
/// back to zero; then the next phase starts with the same count.
struct MBarrierState {
  uint32_t expected = 0, pending = 0;
  int64_t tx = 0;     // bytes announced by expect_tx, not yet completed
  uint64_t phase = 0; // completed phases
};

/// The host tensor map: what HostKernels::encodeTensorMap writes into the
/// 128 bytes a kernel reads a CUtensorMap from.
struct HostTensorMap {
  static constexpr uint64_t kMagic = 0x70614d726f736e54ull; // "TnsorMap"
  uint64_t magic;
  uint64_t base;
  uint32_t rank, elemBytes, swizzle, pad;
  uint64_t dims[5];
  uint64_t strides[4]; // bytes between consecutive indices of dims 1..4
  uint16_t box[5];
};
static_assert(sizeof(HostTensorMap) <= 128, "a CUtensorMap is 128 bytes");

/// One block of a launch: its threads, its shared memory and mbarriers.
struct HostBlock {
  ucontext_t sched;
  void (*fn)(void **) = nullptr;
  std::vector<Thread> threads;
  ThreadStacks *stacks = nullptr;
  char *shared = nullptr;   // kSharedRegion bytes, kSharedRegion-aligned
  uint32_t sharedBytes = 0; // the launch's dynamic shared memory
  std::map<uint32_t, MBarrierState> bars; // by shared offset
  std::string error;
  // sm_100a tensor memory: 128 lanes x 512 columns of 32 bits (lane-major,
  // created at the first tcgen05.alloc), allocated in units of 32 columns
  // (bit u of tmemUnits: columns 32u .. 32u+31). A warp's lanes each make
  // its tcgen05.alloc / dealloc calls: the first lane to make its i-th one
  // performs it, the others must repeat it (warp by linear thread id / 32).
  std::vector<uint32_t> tmem;
  uint32_t tmemUnits = 0;
  std::map<int64_t, std::vector<std::pair<uint32_t, uint32_t>>> tmemAllocs,
      tmemDeallocs; // (column, columns) per warp, in call order
  // tcgen05.mma computes when issued here, but on the GPU it runs until a
  // wait observes its commit: what it reads and writes, so that a TMA
  // load, tcgen05.st / ld or dealloc touching them before the thread
  // making it knows the MMA complete (Thread::tcObserved) is an error.
  // `tcMmas` in issue order.
  struct TcMma {
    uint32_t smemLo[2], smemHi[2]; // A's and B's shared bytes [lo, hi)
    uint32_t colLo[3], colHi[3];   // D's, scale A's, scale B's columns
  };
  struct TcCommit {
    uint32_t bar;   // the mbarrier's shared offset
    uint64_t phase; // the phase count its arrival completed
    size_t mmas;    // the MMAs issued before it
  };
  std::vector<TcMma> tcMmas;
  std::vector<TcCommit> tcCommits;
};

thread_local Thread *current = nullptr;

void threadMain() {
  Thread *t = current;
  t->block->fn(t->args.data());
  t->done = true; // returns to the scheduler through uc_link
}

Thread &self() {
  if (!current)
    llvm::report_fatal_error("quantc host kernels: a cooperative operation "
                             "outside a scheduled block");
  return *current;
}

void park(Thread &t, Park p) {
  t.park = p;
  swapcontext(&t.ctx, &t.block->sched);
}

/// Stops the block with `msg`; the thread is never resumed.
[[noreturn]] void fail(Thread &t, const std::string &msg) {
  if (t.block->error.empty())
    t.block->error = msg;
  while (true)
    park(t, Park::Failed);
}

/// `p`'s offset in the block's shared memory, which must hold `size` bytes
/// there; fails the thread otherwise.
uint32_t sharedOffset(Thread &t, const void *p, uint64_t size,
                      const char *what) {
  uintptr_t s = reinterpret_cast<uintptr_t>(p),
            lo = reinterpret_cast<uintptr_t>(t.block->shared);
  HostBlock &bl = *t.block;
  if (s < lo || size > bl.sharedBytes || s - lo > bl.sharedBytes - size)
    fail(t, std::string(what) + " addresses " + std::to_string(size) +
                " bytes outside the block's " +
                std::to_string(bl.sharedBytes) +
                " bytes of dynamic shared memory");
  return static_cast<uint32_t>(s - lo);
}

MBarrierState &barrierAt(Thread &t, const void *p, const char *what) {
  uint32_t off = sharedOffset(t, p, 8, what);
  auto it = t.block->bars.find(off);
  if (it == t.block->bars.end())
    fail(t, std::string(what) + " at shared offset " + std::to_string(off) +
                ", where no mbarrier was initialised");
  return it->second;
}

void completeIfDone(MBarrierState &m) {
  if (m.pending == 0 && m.tx == 0) {
    ++m.phase;
    m.pending = m.expected;
  }
}

/// The PTX ISA's limit of an mbarrier's pending transaction bytes.
constexpr int64_t kMaxTx = (int64_t(1) << 20) - 1;

bool phaseDone(const MBarrierState &m, uint32_t parity) {
  // The phase of parity `parity` has completed when the current (open)
  // phase has the other parity.
  return (m.phase & 1) != (parity & 1);
}

/// 128-, 64- and 32-byte swizzles (PTX ISA "Shared Memory Matrix
/// Layout"): bits 4.. of a shared address are XORed with the bits 7.. of
/// it, 3, 2 or 1 of them.
uint32_t swizzle(uint32_t off, uint32_t swizzleBytes) {
  uint32_t bits = swizzleBytes == 128 ? 7 : swizzleBytes == 64 ? 3
                                        : swizzleBytes == 32   ? 1
                                                               : 0;
  return off ^ (((off >> 7) & bits) << 4);
}

/// The e4m3 (0) or e5m2 (1) value of each code.
const std::array<std::array<float, 256>, 2> &fp8Values() {
  static const auto table = [] {
    std::array<std::array<float, 256>, 2> t;
    for (int c = 0; c < 256; ++c) {
      t[0][c] = numerics::decode(numerics::ElemFormat::E4M3FN, c);
      t[1][c] = numerics::decode(numerics::ElemFormat::E5M2, c);
    }
    return t;
  }();
  return table;
}

float fp8Value(uint32_t word, int byte, bool e5m2) {
  return fp8Values()[e5m2][(word >> (8 * byte)) & 0xff];
}

} // namespace

// The host entry points the lowered kernels call (C linkage: the JIT
// resolves them by name).

extern "C" void hostMmaFp8(uint32_t *buf) {
  Thread &t = self();
  t.buf = buf;
  park(t, Park::Mma);
}

extern "C" void hostBarSync() { park(self(), Park::Barrier); }

extern "C" void hostBarSyncNamed(uint32_t id, uint32_t count) {
  Thread &t = self();
  if (id > 15 || count == 0 || count % 32)
    fail(t, "bar.sync " + std::to_string(id) + ", " + std::to_string(count) +
                ": the PTX ISA takes barriers 0..15 and a multiple of 32 "
                "threads");
  t.c = id;
  t.d = count;
  park(t, Park::Named);
}

extern "C" void *hostShared() { return self().block->shared; }

extern "C" void hostMbarrierInit(void *bar, uint32_t count) {
  Thread &t = self();
  uint32_t off = sharedOffset(t, bar, 8, "mbarrier.init");
  if (off % 8)
    fail(t, "mbarrier.init at shared offset " + std::to_string(off) +
                ": an mbarrier must be 8-byte aligned");
  if (count < 1 || count > (1u << 20) - 1)
    fail(t, "mbarrier.init with count " + std::to_string(count) +
                " (1 .. 2^20-1)");
  t.block->bars[off] = {count, count, 0, 0};
}

extern "C" void hostMbarrierArrive(void *bar, uint32_t tx) {
  Thread &t = self();
  MBarrierState &m = barrierAt(t, bar, "mbarrier.arrive");
  if (m.pending == 0)
    fail(t, "mbarrier.arrive at shared offset " +
                std::to_string(sharedOffset(t, bar, 8, "")) +
                ": more arrivals than its count in one phase");
  // The PTX ISA's range of an mbarrier's transaction count.
  if (m.tx + int64_t(tx) > kMaxTx)
    fail(t, "mbarrier.arrive.expect_tx at shared offset " +
                std::to_string(sharedOffset(t, bar, 8, "")) +
                ": the transaction count exceeds 2^20-1 bytes");
  m.tx += tx;
  --m.pending;
  completeIfDone(m);
}

/// Thread t's wait has seen the mbarrier at `off` complete its phases so
/// far: the tcgen05.mma committed to them are known done to t.
static void observeBarrier(Thread &t, uint32_t off) {
  uint64_t done = t.block->bars.at(off).phase;
  for (const HostBlock::TcCommit &c : t.block->tcCommits)
    if (c.bar == off && c.phase <= done)
      t.tcObserved = std::max(t.tcObserved, c.mmas);
}

extern "C" void hostMbarrierWait(void *bar, uint32_t parity) {
  Thread &t = self();
  MBarrierState &m = barrierAt(t, bar, "mbarrier.try_wait.parity");
  uint32_t off = sharedOffset(t, bar, 8, "");
  if (!phaseDone(m, parity)) {
    t.a = off;
    t.b = parity & 1;
    park(t, Park::MBarrier);
  }
  observeBarrier(t, off);
}

extern "C" void hostTmaLoad(void *dst, const void *mapPtr, void *bar,
                            uint32_t rank, int32_t c0, int32_t c1, int32_t c2,
                            int32_t c3, int32_t c4) {
  Thread &t = self();
  HostTensorMap map;
  std::memcpy(&map, mapPtr, sizeof(map));
  if (map.magic != HostTensorMap::kMagic)
    fail(t, "cp.async.bulk.tensor: the tensor map argument was not written "
            "by HostKernels::encodeTensorMap");
  if (map.rank != rank)
    fail(t, "cp.async.bulk.tensor." + std::to_string(rank) +
                "d with a tensor map of rank " + std::to_string(map.rank));
  for (uint32_t d = 0; d < rank; ++d)
    if (map.box[d] < 1 || map.box[d] > 256)
      fail(t, "cp.async.bulk.tensor: a corrupt tensor map (box extent " +
                  std::to_string(map.box[d]) + ")");
  uint64_t boxElems = 1;
  for (uint32_t d = 0; d < rank; ++d)
    boxElems *= map.box[d];
  uint64_t bytes = boxElems * map.elemBytes;
  uint32_t off = sharedOffset(t, dst, bytes, "cp.async.bulk.tensor");
  // 128-byte aligned; swizzled boxes on the swizzle pattern's repeat (8
  // rows of the swizzle span), where the address bits it XORs start at 0.
  uint32_t align = map.swizzle ? 8 * map.swizzle : 128;
  if (off % align)
    fail(t, "cp.async.bulk.tensor to shared offset " + std::to_string(off) +
                ": the destination must be " + std::to_string(align) +
                "-byte aligned" +
                (map.swizzle ? " for a " + std::to_string(map.swizzle) +
                                   "-byte swizzle"
                             : std::string()));
  if (bytes > uint64_t(kMaxTx))
    fail(t, "cp.async.bulk.tensor of " + std::to_string(bytes) +
            " bytes: more than an mbarrier's transaction count holds");
  MBarrierState &m = barrierAt(t, bar, "cp.async.bulk.tensor's mbarrier");
  for (auto &[boff, st] : t.block->bars)
    if (boff + 8 > off && boff < off + bytes)
      fail(t, "cp.async.bulk.tensor to shared offsets " +
                  std::to_string(off) + " .. " +
                  std::to_string(off + bytes - 1) +
                  " overwrites the mbarrier at " + std::to_string(boff));
  for (size_t i = t.tcObserved; i < t.block->tcMmas.size(); ++i)
    for (int o = 0; o < 2; ++o) {
      const HostBlock::TcMma &mma = t.block->tcMmas[i];
      if (off < mma.smemHi[o] && mma.smemLo[o] < off + bytes)
        fail(t, "cp.async.bulk.tensor to shared offsets " +
                    std::to_string(off) + " .. " +
                    std::to_string(off + bytes - 1) + " overwrites the " +
                    (o ? "B" : "A") + " operand (" +
                    std::to_string(mma.smemLo[o]) + " .. " +
                    std::to_string(mma.smemHi[o] - 1) +
                    ") of a tcgen05.mma no wait has seen complete (wait "
                    "for its commit's mbarrier first)");
    }
  int64_t coord[5] = {c0, c1, c2, c3, c4};
  const char *base = reinterpret_cast<const char *>(map.base);
  uint64_t rowBytes = uint64_t(map.box[0]) * map.elemBytes;
  for (uint64_t e = 0; e < boxElems; ++e) {
    // Box element e (dimension 0 fastest) and its global coordinates.
    uint64_t rest = e, src = 0;
    bool in = true;
    for (uint32_t d = 0; d < rank; ++d) {
      int64_t g = coord[d] + int64_t(rest % map.box[d]);
      rest /= map.box[d];
      in = in && g >= 0 && g < int64_t(map.dims[d]);
      src += d == 0 ? uint64_t(g) * map.elemBytes
                    : uint64_t(g) * map.strides[d - 1];
    }
    uint64_t lin = (e / map.box[0]) * rowBytes + (e % map.box[0]) * map.elemBytes;
    for (uint32_t k = 0; k < map.elemBytes; ++k) {
      uint32_t at = swizzle(off + uint32_t(lin + k), map.swizzle);
      if (at >= t.block->sharedBytes)
        fail(t, "cp.async.bulk.tensor: the swizzled box reaches shared "
                "offset " + std::to_string(at) + ", past the block's " +
                std::to_string(t.block->sharedBytes) + " bytes");
      t.block->shared[at] = in ? base[src + k] : 0; // out of bounds: zero
    }
  }
  // The whole box counts as transferred, zero-filled parts included.
  m.tx -= int64_t(bytes);
  completeIfDone(m);
}

extern "C" void hostWgmma(float *acc, uint64_t descA, uint64_t descB,
                          uint32_t word) {
  Thread &t = self();
  t.buf = acc;
  t.a = descA;
  t.b = descB;
  t.c = word;
  park(t, Park::Wgmma);
}

extern "C" uint32_t hostShfl(uint32_t mask, uint32_t value, uint32_t offset,
                             uint32_t clamp, uint32_t kind) {
  Thread &t = self();
  t.mask = mask;
  t.a = value;
  t.b = offset;
  t.c = clamp;
  t.d = kind;
  park(t, Park::Shfl);
  return t.result;
}

extern "C" void hostSyncWarp(uint32_t mask) {
  Thread &t = self();
  t.mask = mask;
  park(t, Park::SyncWarp);
}

extern "C" uint16_t hostCvtF8x2(float a, float b, uint32_t e5m2) {
  // rn.satfinite: round to nearest even, finite overflow and infinities
  // to the largest finite value, NaN to the canonical NaN (0x7f).
  auto code = [&](float x) -> uint16_t {
    if (std::isnan(x))
      return 0x7f;
    return numerics::encode(e5m2 ? numerics::ElemFormat::E5M2
                                 : numerics::ElemFormat::E4M3FN,
                            x, /*saturate=*/true);
  };
  return static_cast<uint16_t>(code(a) << 8 | code(b));
}

namespace {

/// The integer MMA (m16n8k32 s8/u8 x s8/u8 -> s32, `wrapped`): the 8-bit
/// fragments as above, each byte sign- or zero-extended; D = C + Σ of the
/// products modulo 2^32.
void mmaInt8(Thread *lanes, uint32_t code) {
  int32_t A[16][32], B[32][8];
  uint32_t C[16][8];
  auto element = [](uint32_t word, int j, bool isUnsigned) -> int32_t {
    uint8_t byte = (word >> (8 * j)) & 0xff;
    return isUnsigned ? int32_t(byte) : int32_t(int8_t(byte));
  };
  for (int lane = 0; lane < 32; ++lane) {
    const uint32_t *w = static_cast<uint32_t *>(lanes[lane].buf);
    int g = lane / 4, t = lane % 4;
    for (int r = 0; r < 4; ++r)
      for (int j = 0; j < 4; ++j)
        A[g + 8 * (r & 1)][4 * t + j + 16 * (r >> 1)] =
            element(w[r], j, code & 1);
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 4; ++j)
        B[4 * t + j + 16 * r][g] = element(w[4 + r], j, code & 2);
    for (int i = 0; i < 4; ++i)
      C[g + 8 * (i >> 1)][2 * t + (i & 1)] = w[6 + i];
  }
  for (int lane = 0; lane < 32; ++lane) {
    uint32_t *w = static_cast<uint32_t *>(lanes[lane].buf);
    int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; ++i) {
      int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
      uint32_t acc = C[row][col];
      for (int k = 0; k < 32; ++k)
        acc += uint32_t(A[row][k] * B[k][col]);
      w[10 + i] = acc;
    }
  }
}

/// D = A x B + C for m16n8k32 e4m3/e5m2 -> f32 from the 32 lanes' fragments,
/// laid out as the PTX ISA's "Matrix fragments for mma.m16n8k32" (8-bit
/// types): lane = 4 * group + t; A's register r holds row group (+8 for
/// r odd), columns 4t .. 4t+3 (+16 for r >= 2), one byte each from the
/// low one; B's register r holds column group, rows 4t .. 4t+3 (+16 for
/// r = 1); C and D element i is row group (+8 for i >= 2), column 2t + (i
/// & 1). Products are exact and summed in double with C, then rounded
/// once to f32 (the tensor core's internal rounding differs by an ulp at
/// most; the checks allow for it).
///
/// Block-scaled (PTX ISA "Block Scaling for mma.sync"): row r of A is
/// scaled by the scale-a register of lane 4 (r % 8) + 2 thread-id-a + r / 8
/// (thread-id-a 0 or 1 picks the pair of lanes of each quad), column c of
/// B by the scale-b register of lane 4c + thread-id-b (0 .. 3), from byte
/// byte-id (1X: any byte; 2X: bytes byte-id, byte-id + 1, byte-id 0 or 2;
/// 4X: bytes 0 .. 3, byte-id 0); E8M0 codes are 2^(e-127) (0xFF: NaN); the
/// scaled products of a scale's K range are summed exactly in double.
///
/// FP4 kinds (m16n8k64, e2m1): the same registers, each byte two elements
/// (the lower-numbered one in the low nibble), so byte j of a register
/// holds K elements 2·(4t + j) and 2·(4t + j) + 1 of its slice; the scale
/// vector 2X / 4X gives each row (column) 2 / 4 scales per 64 K, for K
/// sub-blocks of 32 / 16, from bytes byte-id .. byte-id + 1 (2X) or 0 .. 3
/// (4X); UE4M3 scales decode as unsigned e4m3 (0x7F: NaN).
/// Returns "" or why the selectors are invalid.
std::string mmaFp8(Thread *lanes) {
  if (uint32_t code = static_cast<uint32_t *>(lanes[0].buf)[14];
      code & kMmaInt8) {
    mmaInt8(lanes, code);
    return "";
  }
  float A[16][64], B[64][8], C[16][8];
  double sfA[16][4], sfB[8][4];
  const uint32_t *w0 = static_cast<uint32_t *>(lanes[0].buf);
  uint32_t code = w0[14];
  bool e5a = code & 1, e5b = code & 2, scaled = code & kMmaBlockScaled,
       fp4 = code & kMmaFp4;
  const int kDim = fp4 ? 64 : 32;
  const int nScales = 1 << ((code >> kMmaVecShift) & 3); // 1, 2, 4
  const int sub = kDim / nScales;                         // K per scale
  if (scaled) {
    uint32_t byteA = w0[16], tidA = w0[17], byteB = w0[19], tidB = w0[20];
    auto byteOk = [&](uint32_t b) {
      return nScales == 1 ? b < 4 : nScales == 2 ? b == 0 || b == 2 : b == 0;
    };
    if (tidA > 1 || tidB > 3 || !byteOk(byteA) || !byteOk(byteB))
      return "mma.block_scale with thread-id-a " + std::to_string(tidA) +
             ", byte-id-a " + std::to_string(byteA) + ", thread-id-b " +
             std::to_string(tidB) + ", byte-id-b " + std::to_string(byteB) +
             ": outside what the PTX ISA allows for scale_vec::" +
             std::to_string(nScales) + "X";
  }
  auto sf = [&](int lane, int reg, int byteSel, int s) {
    const uint32_t *w = static_cast<uint32_t *>(lanes[lane].buf);
    uint32_t byte = w[byteSel] + s;
    uint8_t c = (w[reg] >> (8 * byte)) & 0xff;
    return code & kMmaUE4M3
               ? double(numerics::decode(numerics::ElemFormat::E4M3FN,
                                         c & 0x7f))
               : double(numerics::decodeE8M0(c));
  };
  for (int s = 0; s < 4; ++s) {
    for (int r = 0; r < 16; ++r)
      sfA[r][s] = scaled && s < nScales
                      ? sf(4 * (r % 8) + 2 * int(w0[17]) + r / 8, 15, 16, s)
                      : 1.0;
    for (int c = 0; c < 8; ++c)
      sfB[c][s] = scaled && s < nScales ? sf(4 * c + int(w0[20]), 18, 19, s)
                                        : 1.0;
  }
  auto element = [&](uint32_t word, int j, int half, bool e5) -> float {
    if (!fp4)
      return fp8Value(word, j, e5);
    uint32_t nib = (word >> (8 * j + 4 * half)) & 0xf;
    return numerics::decode(numerics::ElemFormat::E2M1FN, nib);
  };
  const int per = fp4 ? 2 : 1; // elements per byte
  for (int lane = 0; lane < 32; ++lane) {
    const uint32_t *w = static_cast<uint32_t *>(lanes[lane].buf);
    int g = lane / 4, t = lane % 4;
    for (int r = 0; r < 4; ++r)
      for (int j = 0; j < 4; ++j)
        for (int h = 0; h < per; ++h)
          A[g + 8 * (r & 1)][per * (4 * t + j + 16 * (r >> 1)) + h] =
              element(w[r], j, h, e5a);
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 4; ++j)
        for (int h = 0; h < per; ++h)
          B[per * (4 * t + j + 16 * r) + h][g] = element(w[4 + r], j, h, e5b);
    for (int i = 0; i < 4; ++i)
      std::memcpy(&C[g + 8 * (i >> 1)][2 * t + (i & 1)], &w[6 + i], 4);
  }
  for (int lane = 0; lane < 32; ++lane) {
    uint32_t *w = static_cast<uint32_t *>(lanes[lane].buf);
    int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; ++i) {
      int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
      double acc = C[row][col];
      if (!scaled) {
        // As before the block-scaled kinds: C, then each product.
        for (int k = 0; k < kDim; ++k)
          acc += double(A[row][k]) * double(B[k][col]);
      } else {
        for (int s = 0; s < kDim / sub; ++s) {
          double sum = 0;
          for (int k = s * sub; k < (s + 1) * sub; ++k)
            sum += double(A[row][k]) * double(B[k][col]);
          acc += sum * sfA[row][s] * sfB[col][s];
        }
      }
      float d = static_cast<float>(acc);
      std::memcpy(&w[10 + i], &d, 4);
    }
  }
  return "";
}

/// shfl.sync over a warp's lanes (PTX ISA "shfl.sync"): each lane reads
/// the value of its source lane, or its own where the source lies outside
/// its segment.
void shfl(Thread *lanes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    Thread &t = lanes[i];
    uint32_t lane = uint32_t(i), b = uint32_t(t.b) & 31, c = t.c & 31,
             segmask = (t.c >> 8) & 31;
    uint32_t minLane = lane & segmask, maxLane = minLane | (c & ~segmask);
    int64_t j = lane;
    bool ok = false;
    switch (static_cast<NVVM::ShflKind>(t.d)) {
    case NVVM::ShflKind::up:
      j = int64_t(lane) - b;
      ok = j >= int64_t(maxLane);
      break;
    case NVVM::ShflKind::down:
      j = lane + b;
      ok = j <= int64_t(maxLane);
      break;
    case NVVM::ShflKind::bfly:
      j = lane ^ b;
      ok = j <= int64_t(maxLane);
      break;
    case NVVM::ShflKind::idx:
      j = minLane | (b & ~segmask);
      ok = j <= int64_t(maxLane);
      break;
    }
    if (!ok || j >= int64_t(n))
      j = lane;
    t.result = uint32_t(lanes[j].a);
  }
}

/// The byte at (row r, K byte k) of a K-major operand in shared memory as
/// wgmma descriptor `desc` lays it out (PTX ISA "Matrix Descriptor Format"
/// and "Shared Memory Matrix Layout"): start address (bits 0-13, in 16
/// bytes), leading byte offset (16-29) between core matrices along K
/// without swizzle, stride byte offset (32-45) between groups of 8 rows,
/// base offset (49-51), swizzle (62-63: 1 = 128 B, 2 = 64 B, 3 = 32 B,
/// 0 = none). Swizzled rows are the swizzle's width apart; unswizzled
/// core matrices are 8 rows x 16 bytes. -1 when outside shared memory.
int64_t operandByte(const HostBlock &bl, uint64_t desc, uint32_t r, uint32_t k,
                    std::string &why, uint32_t *offset = nullptr) {
  uint32_t start = uint32_t(desc & 0x3FFF) << 4;
  uint32_t lbo = uint32_t((desc >> 16) & 0x3FFF) << 4;
  uint32_t sbo = uint32_t((desc >> 32) & 0x3FFF) << 4;
  uint32_t baseOffset = uint32_t((desc >> 49) & 7), mode = uint32_t(desc >> 62);
  if (baseOffset) {
    why = "a descriptor with base offset " + std::to_string(baseOffset) +
          " (not emulated: the host needs swizzled tiles 1024-byte aligned)";
    return -1;
  }
  uint32_t width = mode == 1 ? 128 : mode == 2 ? 64 : mode == 3 ? 32 : 0;
  if (width && (start / 128) % 8) {
    // The matrix must start on the swizzle pattern's repeat (its row 0
    // in address bits 7-9 = 0), else the PTX ISA wants a base offset.
    why = "a swizzled descriptor whose start address " +
          std::to_string(start) +
          " is not on a 1024-byte pattern boundary (plus the k offset)";
    return -1;
  }
  uint64_t off;
  if (width)
    off = swizzle(start + (r / 8) * sbo + (r % 8) * width + k, width);
  else
    off = uint64_t(start) + (r / 8) * sbo + (k / 16) * lbo + (r % 8) * 16 +
          k % 16;
  if (off >= bl.sharedBytes) {
    why = "an operand at shared offset " + std::to_string(off) +
          ", outside the block's " + std::to_string(bl.sharedBytes) +
          " bytes of dynamic shared memory";
    return -1;
  }
  if (offset)
    *offset = uint32_t(off);
  return static_cast<uint8_t>(bl.shared[off]);
}

/// wgmma.mma_async m64nNk32 e4m3/e5m2 -> f32 for a warpgroup's 128
/// threads: A (64 x 32) and B (N x 32, K-major) read from shared memory
/// through the descriptors, D = A x B^T (+ D with scale-d 1) per element in
/// double, rounded once to f32, written back to each thread's accumulators
/// in the wgmma D fragment layout: accumulator 4j + 2h + c of thread
/// (warp w, lane l) is row 16w + l/4 + 8h, column 8j + 2(l%4) + c.
std::string wgmma(HostBlock &bl, Thread *ts) {
  for (int i = 1; i < 128; ++i)
    if (ts[i].a != ts[0].a || ts[i].b != ts[0].b || ts[i].c != ts[0].c)
      return "the warpgroup's threads issued wgmma.mma_async with different "
             "descriptors or shapes (thread " +
             std::to_string(i) + " of it differs from its thread 0)";
  uint32_t word = ts[0].c, N = word & 0x3FF;
  // The operands' bytes: A (64 x 32) and B (N x 32) through the
  // descriptors.
  std::vector<uint8_t> A(64 * 32), B(size_t(N) * 32);
  std::string why;
  for (auto [bytes, desc, rows, name] : {std::make_tuple(&A, ts[0].a, 64u, "A"),
                                         std::make_tuple(&B, ts[0].b, N, "B")})
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t k = 0; k < 32; ++k) {
        int64_t v = operandByte(bl, desc, r, k, why);
        if (v < 0)
          return std::string("wgmma.mma_async's ") + name + ": " + why;
        (*bytes)[r * 32 + k] = uint8_t(v);
      }
  // Accumulator a of thread i (warp w, lane l) is row 16w + l/4 + 8h,
  // column 8j + 2(l%4) + c of D, a = 4j + 2h + c.
  auto forEachAccumulator = [&](auto &&f) {
    for (int i = 0; i < 128; ++i) {
      int w = i / 32, l = i % 32;
      for (uint32_t a = 0; a < N / 2; ++a) {
        int j = a / 4, h = (a / 2) % 2, c = a % 2;
        f(ts[i].buf, a, 16 * w + l / 4 + 8 * h, 8 * j + 2 * (l % 4) + c);
      }
    }
  };
  if (word & kWgmmaInt) {
    // s8/u8 x s8/u8 -> s32: the exact sum of the 32 products added to D
    // modulo 2^32 (bits 10 and 11: A and B are u8).
    auto code = [](uint8_t byte, bool isUnsigned) {
      return isUnsigned ? int32_t(byte) : int32_t(int8_t(byte));
    };
    forEachAccumulator([&](void *buf, uint32_t a, int row, int col) {
      uint32_t *acc = static_cast<uint32_t *>(buf);
      uint32_t d = word & kWgmmaAccumulate ? acc[a] : 0u;
      for (int k = 0; k < 32; ++k)
        d += uint32_t(code(A[row * 32 + k], word & kWgmmaE5A) *
                      code(B[col * 32 + k], word & kWgmmaE5B));
      acc[a] = d;
    });
    return "";
  }
  const auto &va = fp8Values()[word & kWgmmaE5A ? 1 : 0];
  const auto &vb = fp8Values()[word & kWgmmaE5B ? 1 : 0];
  double sa = word & kWgmmaNegA ? -1 : 1, sb = word & kWgmmaNegB ? -1 : 1;
  forEachAccumulator([&](void *buf, uint32_t a, int row, int col) {
    float *acc = static_cast<float *>(buf);
    double d = word & kWgmmaAccumulate ? acc[a] : 0.0;
    for (int k = 0; k < 32; ++k)
      d += sa * va[A[row * 32 + k]] * sb * vb[B[col * 32 + k]];
    acc[a] = static_cast<float>(d);
  });
  return "";
}

/// Performs every collective whose participants have all arrived; an
/// error when some of them exited instead. Sets `progress` when one ran.
bool runCollectives(HostBlock &bl, bool &progress, std::string &error) {
  auto count = [&](size_t lo, size_t hi, Park p) {
    size_t k = 0;
    for (size_t i = lo; i < hi; ++i)
      k += bl.threads[i].park == p && !bl.threads[i].done;
    return k;
  };
  auto doneIn = [&](size_t lo, size_t hi) {
    size_t k = 0;
    for (size_t i = lo; i < hi; ++i)
      k += bl.threads[i].done;
    return k;
  };
  auto release = [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i)
      bl.threads[i].park = Park::None;
    progress = true;
  };
  for (size_t w0 = 0; w0 < bl.threads.size(); w0 += 32) {
    size_t w1 = std::min(bl.threads.size(), w0 + 32), lanes = w1 - w0;
    size_t mma = count(w0, w1, Park::Mma), sh = count(w0, w1, Park::Shfl),
           done = doneIn(w0, w1);
    if (mma && (mma + done == lanes) && (done || lanes != 32)) {
      error = std::to_string(mma) + " of the warp's " + std::to_string(lanes) +
              " lanes reached a warp-collective MMA (mma.sync.aligned needs "
              "all 32)";
      return false;
    }
    if (mma == 32) {
      if (std::string why = mmaFp8(&bl.threads[w0]); !why.empty()) {
        error = why;
        return false;
      }
      release(w0, w1);
    }
    for (Park kind : {Park::Shfl, Park::SyncWarp}) {
      const char *what = kind == Park::Shfl ? "shfl.sync" : "bar.warp.sync";
      size_t k = kind == Park::Shfl ? sh : count(w0, w1, kind);
      if (k && k + done == lanes && done) {
        error = std::to_string(k) + " of the warp's " +
                std::to_string(lanes) + " lanes reached " + what +
                ", the others exited";
        return false;
      }
      if (k != lanes)
        continue;
      uint32_t full = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
      for (size_t i = w0; i < w1; ++i)
        if ((bl.threads[i].mask & full) != full) {
          error = std::string(what) + " with member mask " +
                  std::to_string(bl.threads[i].mask) +
                  ": only whole warps are emulated";
          return false;
        }
      if (kind == Park::Shfl)
        shfl(&bl.threads[w0], lanes);
      release(w0, w1);
    }
  }
  for (size_t g0 = 0; g0 < bl.threads.size(); g0 += 128) {
    size_t g1 = std::min(bl.threads.size(), g0 + 128), members = g1 - g0;
    size_t wg = count(g0, g1, Park::Wgmma), done = doneIn(g0, g1);
    if (wg && wg + done == members && (done || members != 128)) {
      error = std::to_string(wg) + " of the warpgroup's " +
              std::to_string(members) +
              " threads reached wgmma.mma_async (it needs all 128)";
      return false;
    }
    if (wg == 128) {
      if (std::string why = wgmma(bl, &bl.threads[g0]); !why.empty()) {
        error = why;
        return false;
      }
      release(g0, g1);
    }
  }
  size_t bar = count(0, bl.threads.size(), Park::Barrier), done = doneIn(0, bl.threads.size());
  if (bar && bar + done == bl.threads.size() && done) {
    error = std::to_string(done) + " threads of the block exited while " +
            std::to_string(bar) + " wait at bar.sync";
    return false;
  }
  // Named barriers: released when `count` threads wait at the same id.
  for (uint32_t id = 0; id < 16; ++id) {
    size_t k = 0;
    uint32_t want = 0;
    for (const Thread &t : bl.threads)
      if (!t.done && t.park == Park::Named && t.c == id) {
        if (k && t.d != want) {
          error = "bar.sync " + std::to_string(id) +
                  " with different thread counts (" + std::to_string(want) +
                  " and " + std::to_string(t.d) + ")";
          return false;
        }
        want = t.d;
        ++k;
      }
    if (k && k == want) {
      size_t seen = 0;
      for (const Thread &t : bl.threads)
        if (!t.done && t.park == Park::Named && t.c == id)
          seen = std::max(seen, t.tcObserved);
      for (Thread &t : bl.threads)
        if (!t.done && t.park == Park::Named && t.c == id) {
          t.tcObserved = seen;
          t.park = Park::None;
        }
      progress = true;
    }
  }
  if (bar == bl.threads.size()) {
    // What any thread has seen of tcgen05.mma completions, every thread
    // knows after the barrier.
    size_t seen = 0;
    for (const Thread &t : bl.threads)
      seen = std::max(seen, t.tcObserved);
    for (Thread &t : bl.threads)
      t.tcObserved = seen;
    release(0, bl.threads.size());
  }
  return true;
}

/// Why no thread of the block can go on: what each waits for.
std::string describeDeadlock(const HostBlock &bl) {
  std::map<std::string, size_t> waits;
  for (size_t i = 0; i < bl.threads.size(); ++i) {
    const Thread &t = bl.threads[i];
    if (t.done)
      continue;
    std::string w;
    switch (t.park) {
    case Park::MBarrier: {
      const MBarrierState &m = bl.bars.at(uint32_t(t.a));
      w = "the mbarrier at shared offset " + std::to_string(t.a) +
          " (phase parity " + std::to_string(t.b) + "; it has completed " +
          std::to_string(m.phase) + " phases, " + std::to_string(m.pending) +
          " of " + std::to_string(m.expected) + " arrivals and " +
          std::to_string(m.tx) + " transaction bytes pending)";
      break;
    }
    case Park::Barrier:
      w = "bar.sync";
      break;
    case Park::Named:
      w = "bar.sync " + std::to_string(t.c) + ", " + std::to_string(t.d);
      break;
    case Park::Wgmma:
      w = "wgmma.mma_async (the rest of the warpgroup is elsewhere)";
      break;
    case Park::Mma:
    case Park::Shfl:
    case Park::SyncWarp:
      w = "a warp collective (the rest of the warp is elsewhere)";
      break;
    default:
      w = "nothing";
    }
    ++waits[w];
  }
  std::string s = "deadlock: no thread of the block can go on:";
  for (auto &[w, k] : waits)
    s += " " + std::to_string(k) + " wait at " + w + ";";
  s.pop_back();
  return s;
}

/// Runs one block's threads to completion: each runs until it parks or
/// returns, in thread order, round after round; collectives complete when
/// all their threads have arrived, mbarrier waits when their phase has.
bool runBlock(HostBlock &bl, std::string &error) {
  for (size_t i = 0; i < bl.threads.size(); ++i) {
    Thread &t = bl.threads[i];
    getcontext(&t.ctx);
    t.ctx.uc_stack.ss_sp = bl.stacks->stack(i);
    t.ctx.uc_stack.ss_size = ThreadStacks::kStack;
    t.ctx.uc_link = &bl.sched;
    makecontext(&t.ctx, threadMain, 0);
  }
  struct Reset {
    ~Reset() { current = nullptr; }
  } reset;
  while (true) {
    bool progress = false;
    for (size_t i = 0; i < bl.threads.size(); ++i) {
      Thread &t = bl.threads[i];
      if (t.done)
        continue;
      if (t.park == Park::MBarrier &&
          phaseDone(bl.bars.at(uint32_t(t.a)), uint32_t(t.b)))
        t.park = Park::None;
      if (t.park != Park::None)
        continue;
      current = &t;
      swapcontext(&bl.sched, &t.ctx);
      progress = true;
      if (!bl.error.empty()) {
        error = bl.error;
        return false;
      }
    }
    if (!runCollectives(bl, progress, error))
      return false;
    if (llvm::all_of(bl.threads,
                     [](const Thread &t) { return t.done; }))
      return true;
    if (!progress) {
      error = describeDeadlock(bl);
      return false;
    }
  }
}

} // namespace


//===----------------------------------------------------------------------===//
// sm_100a: tensor memory and tcgen05.mma (PTX ISA "Tensor Memory",
// "tcgen05 Matrix Descriptors", "Block Scaling")
//===----------------------------------------------------------------------===//

namespace {
constexpr uint32_t kTmemLanes = 128, kTmemColumns = 512;

int64_t linearTid(const Thread &t) {
  return t.ids[0] + t.ids[6] * (t.ids[1] + t.ids[7] * t.ids[2]);
}

std::string hex(uint64_t v) { return "0x" + llvm::utohexstr(v, true); }

/// The allocation bits of `ncols` columns (32 per unit) from column `col`.
uint32_t tmemUnitMask(uint32_t ncols, uint32_t col) {
  uint32_t units = ncols / 32;
  return (units >= 16 ? 0xFFFFu : (1u << units) - 1) << (col / 32);
}

/// tcgen05.alloc, dealloc, ld and st are .sync.aligned: every lane of the
/// warp executes them together. The lanes park as at bar.warp.sync, so no
/// lane runs ahead to the warp's next one (a lane replaying an alloc its
/// warp's first lane performed must find it still allocated).
void warpSync(Thread &t) {
  t.mask = 0xffffffffu;
  park(t, Park::SyncWarp);
}

/// Fails when columns col .. col+n-1 overlap what a tcgen05.mma no wait has
/// seen complete writes (its accumulator) or, for `writes`, reads (its
/// scales).
void checkTmemInFlight(Thread &t, uint32_t col, uint32_t n, bool writes,
                       const char *what) {
  HostBlock &bl = *t.block;
  static const char *const names[3] = {"accumulator", "scales of A",
                                       "scales of B"};
  for (size_t i = t.tcObserved; i < bl.tcMmas.size(); ++i)
    for (int r = 0; r < (writes ? 3 : 1); ++r)
      if (col < bl.tcMmas[i].colHi[r] && bl.tcMmas[i].colLo[r] < col + n)
        fail(t, std::string(what) + " of tensor-memory columns " +
                    std::to_string(col) + " .. " + std::to_string(col + n - 1) +
                    " while a tcgen05.mma no wait has seen complete uses " +
                    "columns " + std::to_string(bl.tcMmas[i].colLo[r]) +
                    " .. " + std::to_string(bl.tcMmas[i].colHi[r] - 1) +
                    " (its " + names[r] +
                    "; wait for its commit's mbarrier first)");
}

/// Fails unless columns col .. col+n-1 (n >= 1) are allocated.
void checkTmemColumns(Thread &t, uint32_t col, uint32_t n, const char *what) {
  HostBlock &bl = *t.block;
  for (uint32_t c = col; c < col + n; ++c)
    if (c >= kTmemColumns || !(bl.tmemUnits >> (c / 32) & 1))
      fail(t, std::string(what) + " uses tensor-memory column " +
                  std::to_string(c) + ", which is not allocated");
}

/// The lane range a 32x32b access of warp `w` may touch: its quadrant.
void checkTmemQuadrant(Thread &t, uint32_t taddr, const char *what) {
  uint32_t lane = taddr >> 16, quad = uint32_t(linearTid(t) / 32 % 4);
  if (lane != 32 * quad)
    fail(t, std::string(what) + ".32x32b at tensor-memory lane " +
                std::to_string(lane) + " from warp " +
                std::to_string(linearTid(t) / 32) +
                ", which may access lanes " + std::to_string(32 * quad) +
                " .. " + std::to_string(32 * quad + 31) + " only");
}

/// A tcgen05 shared-memory descriptor as the wgmma one operandByte reads:
/// the same start address, offsets and base offset; bits 46-48 must hold
/// the version 0b001, bit 52 (absolute LBO, sm_103a) must be 0; swizzle
/// modes 0 / 2 / 4 / 6 (none / 128 / 64 / 32 bytes) are the wgmma's 0 / 1 /
/// 2 / 3 at bits 62-63. "" or why the descriptor is not emulated.
std::string tcgen05ToWgmmaDescriptor(uint64_t desc, uint64_t &out) {
  uint32_t version = uint32_t(desc >> 46) & 7, mode = uint32_t(desc >> 61);
  if (version != 1)
    return "a shared-memory descriptor " + hex(desc) + " whose bits 46-48 are " +
           std::to_string(version) + ", not the fixed 0b001 of sm_100";
  if (desc >> 52 & 1)
    return "a shared-memory descriptor " + hex(desc) +
           " with an absolute leading byte offset (bit 52; sm_103a only)";
  if (mode & 1)
    return "a shared-memory descriptor " + hex(desc) + " with swizzle mode " +
           std::to_string(mode) +
           " (only none, 128, 64 and 32 bytes are emulated)";
  if (desc & 0x1FE0'0000'C000'C000ull)
    return "a shared-memory descriptor " + hex(desc) +
           " with reserved bits set";
  out = (desc & 0x000E'3FFF'3FFF'3FFFull) | (uint64_t(mode / 2) << 62);
  return "";
}
} // namespace

extern "C" void hostTmemAlloc(void *dst, uint32_t ncols) {
  Thread &t = self();
  warpSync(t);
  HostBlock &bl = *t.block;
  uint32_t off = sharedOffset(t, dst, 4, "tcgen05.alloc's destination");
  if (off % 4)
    fail(t, "tcgen05.alloc to shared offset " + std::to_string(off) +
                ": the destination must be 4-byte aligned");
  if (ncols < 32 || ncols > kTmemColumns || (ncols & (ncols - 1)))
    fail(t, "tcgen05.alloc of " + std::to_string(ncols) +
                " columns (a power of two in 32 .. 512)");
  auto &warpAllocs = bl.tmemAllocs[linearTid(t) / 32];
  uint32_t i = t.tmemAllocs++;
  if (i == warpAllocs.size()) {
    // The first lane performs it: the lowest free range aligned to its
    // size (the emulation runs one block at a time, so nothing frees
    // columns while it would wait).
    uint32_t units = ncols / 32, mask = tmemUnitMask(ncols, 0);
    uint32_t at = 16;
    for (uint32_t u = 0; u + units <= 16; u += units)
      if (!(bl.tmemUnits & (mask << u))) {
        at = u;
        break;
      }
    if (at == 16)
      fail(t, "tcgen05.alloc of " + std::to_string(ncols) +
                  " columns: not that many free in the block's 512 (it would "
                  "wait forever)");
    bl.tmemUnits |= mask << at;
    warpAllocs.push_back({32 * at, ncols});
    if (bl.tmem.empty())
      bl.tmem.assign(size_t(kTmemLanes) * kTmemColumns, 0xA5A5A5A5u);
  } else if (warpAllocs[i].second != ncols) {
    fail(t, "tcgen05.alloc: the lanes of warp " +
                std::to_string(linearTid(t) / 32) +
                " ask for different column counts");
  }
  uint32_t taddr = warpAllocs[i].first; // lane 0
  std::memcpy(dst, &taddr, 4);
}

extern "C" void hostTmemDealloc(uint32_t taddr, uint32_t ncols) {
  Thread &t = self();
  warpSync(t);
  HostBlock &bl = *t.block;
  auto &warpFrees = bl.tmemDeallocs[linearTid(t) / 32];
  uint32_t i = t.tmemDeallocs++, col = taddr & 0xFFFF;
  if (i < warpFrees.size()) {
    if (warpFrees[i] != std::make_pair(col, ncols))
      fail(t, "tcgen05.dealloc: the lanes of warp " +
                  std::to_string(linearTid(t) / 32) +
                  " free different columns");
    return;
  }
  if (t.tcObserved < bl.tcMmas.size())
    fail(t, "tcgen05.dealloc while " +
                std::to_string(bl.tcMmas.size() - t.tcObserved) +
                " tcgen05.mma no wait has seen complete may still use the "
                "tensor memory");
  if ((taddr >> 16) != 0 || ncols < 32 || ncols > kTmemColumns ||
      (ncols & (ncols - 1)) || col % 32 || col + ncols > kTmemColumns)
    fail(t, "tcgen05.dealloc of " + std::to_string(ncols) + " columns at " +
                hex(taddr) + " (not an address tcgen05.alloc returns)");
  uint32_t mask = tmemUnitMask(ncols, col);
  if ((bl.tmemUnits & mask) != mask)
    fail(t, "tcgen05.dealloc of " + std::to_string(ncols) +
                " columns at column " + std::to_string(col) +
                ", which are not all allocated");
  bl.tmemUnits &= ~mask;
  warpFrees.push_back({col, ncols});
}

/// A 32x32b tcgen05.st (`writes`) or .ld of `n` registers by the calling
/// lane, once its warp is there and the access is checked: the lane's
/// first cell (register r is the cell r columns on).
static uint32_t *tmemRegisters(uint32_t taddr, uint32_t n, bool writes) {
  Thread &t = self();
  const char *what = writes ? "tcgen05.st" : "tcgen05.ld";
  warpSync(t);
  checkTmemQuadrant(t, taddr, what);
  uint32_t col = taddr & 0xFFFF;
  checkTmemColumns(t, col, n, what);
  checkTmemInFlight(t, col, n, writes, what);
  uint32_t lane = (taddr >> 16) + uint32_t(linearTid(t) % 32);
  return &t.block->tmem[size_t(lane) * kTmemColumns + col];
}

extern "C" void hostTmemSt(uint32_t taddr, const uint32_t *values,
                           uint32_t n) {
  std::copy(values, values + n, tmemRegisters(taddr, n, /*writes=*/true));
}

extern "C" void hostTmemLd(uint32_t taddr, uint32_t *values, uint32_t n) {
  const uint32_t *cells = tmemRegisters(taddr, n, /*writes=*/false);
  std::copy(cells, cells + n, values);
}

/// tcgen05.mma.cta_group::1.kind::{mxf8f6f4, mxf4, mxf4nvf4}.block_scale:
/// D (128 x N f32 at lanes 0..127, columns d .. d+N-1) = A (128 x K from
/// its descriptor) x B (N x K, K-major) with each row's (column's) scales,
/// + D when enable-d; K = 32 e4m3/e5m2 bytes, or 64 e2m1 elements in 32
/// bytes (element 2i in the low nibble). The scale vector gives each row
/// 1, 2 or 4 scales (per 32, 32 or 16 of K): bytes `SF ID` .. of the word
/// at lane i % 32, column s + i / 32, the same in every 32-lane quadrant
/// (the PTX ISA has them replicated; a difference is an error here), E8M0
/// or UE4M3 by the descriptor's scale type. Products summed in double per
/// scale block, scaled, added to D, rounded once to f32 (the model of the
/// sm_120a block-scaled mma.sync).
extern "C" void hostTcgen05Mma(uint32_t d, uint64_t descA, uint64_t descB,
                               uint32_t idesc, uint32_t enableD, uint32_t sA,
                               uint32_t sB, uint32_t kindWord) {
  Thread &t = self();
  HostBlock &bl = *t.block;
  const uint32_t kind = kindWord & 3, nScales = 1u << (kindWord >> 4 & 3);
  const bool fp4 = kind != kTcKindF8F6F4;
  const std::string what =
      std::string("tcgen05.mma.kind::") +
      (kind == kTcKindF8F6F4 ? "mxf8f6f4" : kind == kTcKindF4 ? "mxf4"
                                                             : "mxf4nvf4") +
      ".block_scale";
  // The instruction descriptor (PTX ISA, "Instruction descriptor format
  // for .kind::mxf8f6f4 / .kind::mxf4 and .kind::mxf4nvf4"): reserved bits
  // 0-1, 3, 6, 24-26, 31 (and 12 for the FP4 kinds) are 0, sparsity off.
  if (idesc & (0x8700'004Fu | (fp4 ? 1u << 12 : 0u)))
    fail(t, what + " with instruction descriptor " + hex(idesc) +
                ": reserved bits or sparsity set");
  uint32_t sfb = idesc >> 4 & 3, atype = idesc >> 7 & 7, btype = idesc >> 10 & 7,
           negA = idesc >> 13 & 1, negB = idesc >> 14 & 1,
           trA = idesc >> 15 & 1, trB = idesc >> 16 & 1,
           N = (idesc >> 17 & 0x3F) << 3, ue8m0 = idesc >> 23 & 1,
           M = (idesc >> 27 & 3) << 7, sfa = idesc >> 29 & 3;
  if (M != 128 || N < 8 || N > 256)
    fail(t, what + ": M = " + std::to_string(M) + ", N = " +
                std::to_string(N) + " (cta_group::1 takes M = 128, N = 8 .. "
                "256 in steps of 8)");
  bool typesOk = fp4 ? atype == 1 && btype == 1 : atype <= 1 && btype <= 1;
  // UE8M0 for kind::mxf8f6f4 and kind::mxf4, and for 2X; mxf4nvf4's 4X
  // takes UE4M3 or UE8M0.
  bool scaleOk = ue8m0 || (kind == kTcKindF4NvF4 && nScales == 4);
  if (!typesOk || !scaleOk || trA || trB)
    fail(t, what + " with instruction descriptor " + hex(idesc) +
                ": only e4m3/e5m2 (mxf8f6f4) or e2m1 (FP4 kinds) operands, "
                "both K-major, with the kind's scale type are emulated");
  auto idOk = [&](uint32_t id) {
    return nScales == 1 ? true : nScales == 2 ? id == 0 || id == 2 : id == 0;
  };
  if (!idOk(sfa) || !idOk(sfb))
    fail(t, what + ": scale-factor IDs A " + std::to_string(sfa) + ", B " +
                std::to_string(sfb) + " outside what scale_vec::" +
                std::to_string(nScales) + "X allows");
  if (d >> 16 || sA >> 16 || sB >> 16)
    fail(t, what + ": D and the scales must start at lane 0 (D " + hex(d) +
                ", scale A " + hex(sA) + ", scale B " + hex(sB) + ")");
  checkTmemColumns(t, d & 0xFFFF, N, "its accumulator");
  checkTmemColumns(t, sA & 0xFFFF, 4, "its scale A");
  checkTmemColumns(t, sB & 0xFFFF, (N + 31) / 32, "its scale B");
  uint64_t wA, wB;
  std::string why = tcgen05ToWgmmaDescriptor(descA, wA);
  if (why.empty())
    why = tcgen05ToWgmmaDescriptor(descB, wB);
  if (!why.empty())
    fail(t, what + ": " + why);
  const uint32_t kDim = fp4 ? 64 : 32, sub = kDim / nScales;
  auto scale = [&](uint32_t col, uint32_t i, uint32_t byteSel,
                   const char *op) {
    uint32_t c = col + i / 32, byte = 0;
    for (uint32_t q = 0; q < 4; ++q) {
      uint32_t w = bl.tmem[size_t(32 * q + i % 32) * kTmemColumns + c];
      uint32_t v = w >> (8 * byteSel) & 0xFF;
      if (q && v != byte)
        fail(t, what + ": the scale of " + op + " " + std::to_string(i) +
                    " differs between tensor-memory lane quadrants (lane " +
                    std::to_string(i % 32) + ": " + std::to_string(byte) +
                    ", lane " + std::to_string(32 * q + i % 32) + ": " +
                    std::to_string(v) + "); it must be in all four");
      byte = v;
    }
    return ue8m0 ? double(numerics::decodeE8M0(uint8_t(byte)))
                 : double(numerics::decode(numerics::ElemFormat::E4M3FN,
                                           byte & 0x7F));
  };
  // Element k of an operand row: byte k (FP8) or nibble k % 2 of byte k / 2.
  HostBlock::TcMma rec{{~0u, ~0u}, {0, 0}, {}, {}};
  auto element = [&](uint64_t desc, uint32_t r, uint32_t k, uint32_t type,
                     const char *op) -> double {
    uint32_t at = 0;
    int64_t v = operandByte(bl, desc, r, fp4 ? k / 2 : k, why, &at);
    if (v < 0)
      fail(t, what + "'s " + op + ": " + why);
    int o = *op == 'B';
    rec.smemLo[o] = std::min(rec.smemLo[o], at);
    rec.smemHi[o] = std::max(rec.smemHi[o], at + 1);
    if (fp4)
      return numerics::decode(numerics::ElemFormat::E2M1FN,
                              uint16_t(v >> (4 * (k % 2)) & 0xF));
    return fp8Values()[type][v];
  };
  std::vector<double> A(128 * kDim), B(size_t(N) * kDim), SA(128 * nScales),
      SB(size_t(N) * nScales);
  for (uint32_t r = 0; r < 128; ++r)
    for (uint32_t k = 0; k < kDim; ++k) {
      if (k % sub == 0)
        SA[r * nScales + k / sub] = scale(sA & 0xFFFF, r, sfa + k / sub, "A's row");
      A[r * kDim + k] = (negA ? -1.0 : 1.0) * element(wA, r, k, atype, "A");
    }
  for (uint32_t n = 0; n < N; ++n)
    for (uint32_t k = 0; k < kDim; ++k) {
      if (k % sub == 0)
        SB[n * nScales + k / sub] =
            scale(sB & 0xFFFF, n, sfb + k / sub, "B's column");
      B[n * kDim + k] = (negB ? -1.0 : 1.0) * element(wB, n, k, btype, "B");
    }
  uint32_t dcol = d & 0xFFFF;
  for (uint32_t m = 0; m < 128; ++m)
    for (uint32_t n = 0; n < N; ++n) {
      uint32_t &cell = bl.tmem[size_t(m) * kTmemColumns + dcol + n];
      double acc = 0;
      if (enableD) {
        float c;
        std::memcpy(&c, &cell, 4);
        acc = c;
      }
      for (uint32_t s = 0; s < nScales; ++s) {
        double sum = 0;
        for (uint32_t k = s * sub; k < (s + 1) * sub; ++k)
          sum += A[m * kDim + k] * B[n * kDim + k];
        acc += sum * SA[m * nScales + s] * SB[n * nScales + s];
      }
      float r = static_cast<float>(acc);
      std::memcpy(&cell, &r, 4);
    }
  uint32_t cols[3][2] = {{dcol, dcol + N},
                         {sA & 0xFFFF, (sA & 0xFFFF) + 4},
                         {sB & 0xFFFF, (sB & 0xFFFF) + (N + 31) / 32}};
  for (int i = 0; i < 3; ++i) {
    rec.colLo[i] = cols[i][0];
    rec.colHi[i] = cols[i][1];
  }
  bl.tcMmas.push_back(rec);
}

/// The commit's arrive: the emulated MMAs before it have completed (the
/// GPU's may run until a wait sees this arrival: recorded for the hazard
/// checks).
extern "C" void hostTcgen05Commit(void *bar) {
  Thread &t = self();
  uint64_t phase = barrierAt(t, bar, "tcgen05.commit's mbarrier").phase + 1;
  hostMbarrierArrive(bar, 0);
  t.block->tcCommits.push_back({sharedOffset(t, bar, 8, ""), phase,
                                t.block->tcMmas.size()});
}

struct HostKernels::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<std::string> runnable, all;
  llvm::StringMap<std::string> refused;
  llvm::StringMap<std::vector<HostKernelArg::Kind>> signature;
  llvm::StringSet<> cooperative;
};

HostKernels::HostKernels() : impl(std::make_unique<Impl>()) {}
HostKernels::~HostKernels() = default;

llvm::ArrayRef<std::string> HostKernels::kernels() const {
  return impl->runnable;
}
llvm::ArrayRef<std::string> HostKernels::allKernels() const {
  return impl->all;
}

std::string HostKernels::whyNot(llvm::StringRef name) const {
  if (impl->signature.count(name))
    return "";
  auto it = impl->refused.find(name);
  return it != impl->refused.end() ? it->second
                                   : "there is no kernel '" + name.str() + "'";
}

std::unique_ptr<HostKernels> HostKernels::create(ModuleOp module,
                                                 std::string &error) {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                   func::FuncDialect, LLVM::LLVMDialect, math::MathDialect,
                   scf::SCFDialect>();
  std::unique_ptr<HostKernels> hk(new HostKernels());
  Impl &im = *hk->impl;
  OwningOpRef<ModuleOp> host = ModuleOp::create(module.getLoc());
  bool anyModule = false;
  for (auto gm : module.getOps<gpu::GPUModuleOp>()) {
    anyModule = true;
    for (Operation &op : gm.getBody()->getOperations()) {
      if (auto fn = dyn_cast<gpu::GPUFuncOp>(op)) {
        if (!fn.isKernel())
          continue;
        std::string name = fn.getName().str();
        if (llvm::is_contained(im.all, name)) {
          // Two gpu.modules with a kernel of this name: run neither.
          im.refused[name] = "two gpu.modules define a kernel '" + name + "'";
          llvm::erase(im.runnable, name);
          im.signature.erase(name);
          continue;
        }
        im.all.push_back(name);
        if (std::string why = refusal(fn); !why.empty()) {
          im.refused[name] = std::move(why);
          continue;
        }
        std::vector<HostKernelArg::Kind> sig;
        for (Type t : fn.getArgumentTypes()) {
          HostKernelArg::Kind k;
          paramKind(t, k);
          sig.push_back(k);
        }
        im.signature[name] = std::move(sig);
        im.runnable.push_back(name);
        bool coop = false;
        fn.walk([&](Operation *o) { coop |= isCooperative(o); });
        if (coop)
          im.cooperative.insert(name);
        buildHostFunctions(fn, *host, coop);
      } else if (auto g = dyn_cast<LLVM::GlobalOp>(op);
                 g && g.getAddrSpace() == 0) {
        // Constant tables the kernels read.
        OpBuilder b(ctx);
        b.setInsertionPointToStart(host->getBody());
        b.clone(op);
      }
    }
  }
  if (!anyModule) {
    error = "the module has no gpu.module (run qc-convert-to-gpu first)";
    return nullptr;
  }
  if (!im.cooperative.empty())
    declareHostEntryPoints(*host);

  std::string diag;
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diag);
    os << (diag.empty() ? "" : "\n") << d;
    return success();
  });
  PassManager pm(ctx);
  pm.addPass(createSCFToControlFlowPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = expand.includeF8E8M0 = expand.includeF4E2M1 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(*host))) {
    error = "lowering the kernels for the host failed: " + diag;
    return nullptr;
  }

  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ExecutionEngineOptions opts;
  auto transformer = makeOptimizingTransformer(2, 0, nullptr);
  opts.transformer = transformer;
  // No perf/GDB listeners: tests create many engines.
  opts.enableGDBNotificationListener = false;
  opts.enablePerfNotificationListener = false;
  auto engine = ExecutionEngine::create(*host, opts);
  if (!engine) {
    error = "JIT-compiling the kernels failed: " +
            llvm::toString(engine.takeError()) + (diag.empty() ? "" : "\n") +
            diag;
    return nullptr;
  }
  im.engine = std::move(*engine);
  im.engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap m;
    auto add = [&](llvm::StringRef name, auto *fn) {
      m[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                           llvm::JITSymbolFlags::Exported};
    };
    add(kMmaFp8Fn, &hostMmaFp8);
    add(kBarrierFn, &hostBarSync);
    add(kNamedBarrierFn, &hostBarSyncNamed);
    add(kSharedFn, &hostShared);
    add(kMbarInitFn, &hostMbarrierInit);
    add(kMbarArriveFn, &hostMbarrierArrive);
    add(kMbarWaitFn, &hostMbarrierWait);
    add(kTmaLoadFn, &hostTmaLoad);
    add(kWgmmaFn, &hostWgmma);
    add(kShflFn, &hostShfl);
    add(kCvtF8Fn, &hostCvtF8x2);
    add(kSyncWarpFn, &hostSyncWarp);
    add(kTmemAllocFn, &hostTmemAlloc);
    add(kTmemDeallocFn, &hostTmemDealloc);
    add(kTmemStFn, &hostTmemSt);
    add(kTmemLdFn, &hostTmemLd);
    add(kTcMmaFn, &hostTcgen05Mma);
    add(kTcCommitFn, &hostTcgen05Commit);
    return m;
  });
  // Now, not lazily in the first launch: two threads launching at once
  // would both initialize.
  im.engine->initialize();
  return hk;
}

bool HostKernels::launch(llvm::StringRef name, std::array<int64_t, 3> grid,
                         std::array<int64_t, 3> block,
                         llvm::ArrayRef<HostKernelArg> args,
                         std::string &error, uint32_t sharedBytes) {
  auto sig = impl->signature.find(name);
  if (sig == impl->signature.end()) {
    error = "kernel '" + name.str() + "' cannot run on the host: " +
            whyNot(name);
    return false;
  }
  const std::vector<HostKernelArg::Kind> &kinds = sig->second;
  if (args.size() != kinds.size()) {
    error = "kernel '" + name.str() + "' takes " +
            std::to_string(kinds.size()) + " arguments, got " +
            std::to_string(args.size());
    return false;
  }
  static const char *kindName[] = {"a pointer", "an i32", "an i64"};
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].kind != kinds[i]) {
      error = "kernel '" + name.str() + "': argument " + std::to_string(i) +
              " must be " + kindName[static_cast<int>(kinds[i])] +
              ", got " + kindName[static_cast<int>(args[i].kind)];
      return false;
    }
  for (int i = 0; i < 3; ++i)
    if (grid[i] < 1 || block[i] < 1) {
      error = "kernel '" + name.str() +
              "': grid and block extents must be positive";
      return false;
    }
  // CUDA's limits: 1024 threads per block (x, y <= 1024, z <= 64), 2^31 -
  // 1 blocks along x and 65535 along y and z (each extent checked before
  // the product, which must not overflow).
  if (block[0] > 1024 || block[1] > 1024 || block[2] > 64 ||
      block[0] * block[1] * block[2] > 1024 || grid[0] > 0x7fffffff ||
      grid[1] > 65535 || grid[2] > 65535) {
    error = "kernel '" + name.str() +
            "': the launch exceeds CUDA's limits (1024 threads per block; "
            "grid x < 2^31, y and z <= 65535)";
    return false;
  }
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].kind == HostKernelArg::Kind::I32 &&
        (int64_t(args[i].value) < INT32_MIN ||
         int64_t(args[i].value) > INT32_MAX)) {
      error = "kernel '" + name.str() + "': argument " + std::to_string(i) +
              " does not fit an i32";
      return false;
    }
  // invokePacked takes a pointer to each argument's value.
  std::vector<void *> ptrs(args.size());
  std::vector<int32_t> i32(args.size());
  std::vector<int64_t> i64(args.size() + 6);
  std::vector<void *> packed;
  for (size_t i = 0; i < args.size(); ++i) {
    switch (args[i].kind) {
    case HostKernelArg::Kind::Pointer:
      ptrs[i] = reinterpret_cast<void *>(static_cast<uintptr_t>(args[i].value));
      packed.push_back(&ptrs[i]);
      break;
    case HostKernelArg::Kind::I32:
      i32[i] = static_cast<int32_t>(args[i].value);
      packed.push_back(&i32[i]);
      break;
    case HostKernelArg::Kind::I64:
      i64[i] = static_cast<int64_t>(args[i].value);
      packed.push_back(&i64[i]);
      break;
    }
  }
  for (int i = 0; i < 3; ++i) {
    i64[args.size() + i] = grid[i];
    i64[args.size() + 3 + i] = block[i];
  }
  if (sharedBytes > kMaxSharedBytes) {
    error = "kernel '" + name.str() + "': " + std::to_string(sharedBytes) +
            " bytes of dynamic shared memory, more than a block may have (" +
            std::to_string(kMaxSharedBytes) + ")";
    return false;
  }
  if (impl->cooperative.contains(name)) {
    // HostBlock by block, each thread a coroutine (thread ids x fastest, as
    // CUDA numbers lanes).
    auto fn = impl->engine->lookupPacked(("__qc_thread_" + name).str());
    if (!fn) {
      error = "kernel '" + name.str() + "': " + llvm::toString(fn.takeError());
      return false;
    }
    size_t threads = size_t(block[0] * block[1] * block[2]);
    ThreadStacks stacks(threads);
    std::unique_ptr<char, decltype(&std::free)> shared(
        static_cast<char *>(std::aligned_alloc(kSharedRegion, kSharedRegion)),
        &std::free);
    if (!stacks.ok() || !shared) {
      error = "kernel '" + name.str() +
              "': cannot map the threads' stacks or the shared memory";
      return false;
    }
    HostBlock bl;
    bl.fn = *fn;
    bl.threads.resize(threads);
    bl.stacks = &stacks;
    bl.shared = shared.get();
    bl.sharedBytes = sharedBytes;
    for (int64_t bz = 0; bz < grid[2]; ++bz)
      for (int64_t by = 0; by < grid[1]; ++by)
        for (int64_t bx = 0; bx < grid[0]; ++bx) {
          // Shared memory starts as garbage on the GPU: poison it, so a
          // read before a write shows.
          std::memset(bl.shared, 0xA5, kSharedRegion);
          bl.bars.clear();
          bl.error.clear();
          bl.tmem.clear();
          bl.tmemUnits = 0;
          bl.tmemAllocs.clear();
          bl.tmemDeallocs.clear();
          bl.tcMmas.clear();
          bl.tcCommits.clear();
          for (size_t i = 0; i < threads; ++i) {
            Thread &t = bl.threads[i];
            t = Thread();
            t.block = &bl;
            int64_t id[12] = {int64_t(i) % block[0],
                              int64_t(i) / block[0] % block[1],
                              int64_t(i) / (block[0] * block[1]),
                              bx, by, bz, block[0], block[1], block[2],
                              grid[0], grid[1], grid[2]};
            std::copy(id, id + 12, t.ids);
            t.args.assign(packed.begin(), packed.end());
            for (int k = 0; k < 12; ++k)
              t.args.push_back(&t.ids[k]);
          }
          std::string why;
          if (runBlock(bl, why) && bl.tmemUnits)
            // The PTX ISA: all tensor memory a CTA allocated must be
            // deallocated before it exits.
            why = "the block exited with " +
                  std::to_string(32 * llvm::popcount(bl.tmemUnits)) +
                  " columns of tensor memory still allocated (a missing "
                  "tcgen05.dealloc)";
          if (!why.empty()) {
            error = "kernel '" + name.str() + "', block (" +
                    std::to_string(bx) + ", " + std::to_string(by) + ", " +
                    std::to_string(bz) + "): " + why;
            return false;
          }
        }
    return true;
  }
  for (int i = 0; i < 6; ++i)
    packed.push_back(&i64[args.size() + i]);
  if (llvm::Error e = impl->engine->invokePacked(
          ("__qc_launch_" + name).str(), packed)) {
    error = "kernel '" + name.str() + "': " + llvm::toString(std::move(e));
    return false;
  }
  return true;
}

bool HostKernels::encodeTensorMap(void *map, const void *base,
                                  unsigned elemBytes,
                                  llvm::ArrayRef<uint64_t> dims,
                                  llvm::ArrayRef<uint64_t> strideBytes,
                                  llvm::ArrayRef<uint32_t> box,
                                  unsigned swizzleBytes, std::string &error) {
  // cuTensorMapEncodeTiled's requirements, for the subset the host runs
  // (tile mode, element strides 1, no interleave).
  size_t rank = dims.size();
  auto bad = [&](const std::string &msg) {
    error = "tensor map: " + msg;
    return false;
  };
  if (rank < 1 || rank > 5)
    return bad("rank " + std::to_string(rank) + " (1 .. 5)");
  if (strideBytes.size() != rank - 1 || box.size() != rank)
    return bad("expected " + std::to_string(rank - 1) + " strides and " +
               std::to_string(rank) + " box extents for rank " +
               std::to_string(rank));
  if (elemBytes != 1 && elemBytes != 2 && elemBytes != 4 && elemBytes != 8)
    return bad("element size " + std::to_string(elemBytes) +
               " bytes (1, 2, 4 or 8)");
  if (reinterpret_cast<uintptr_t>(base) % 16)
    return bad("the global address must be 16-byte aligned");
  for (size_t d = 0; d < rank; ++d) {
    if (dims[d] < 1 || dims[d] > (uint64_t(1) << 32))
      return bad("dimension " + std::to_string(d) + " = " +
                 std::to_string(dims[d]) + " (1 .. 2^32)");
    if (box[d] < 1 || box[d] > 256)
      return bad("box extent " + std::to_string(d) + " = " +
                 std::to_string(box[d]) + " (1 .. 256)");
  }
  for (size_t d = 0; d + 1 < rank; ++d)
    if (strideBytes[d] % 16 || strideBytes[d] >= (uint64_t(1) << 40))
      return bad("stride " + std::to_string(d + 1) + " = " +
                 std::to_string(strideBytes[d]) +
                 " bytes (a multiple of 16 below 2^40)");
  if (uint64_t(box[0]) * elemBytes % 16)
    return bad("the box's inner extent must be a multiple of 16 bytes");
  if (swizzleBytes != 0 && swizzleBytes != 32 && swizzleBytes != 64 &&
      swizzleBytes != 128)
    return bad("swizzle " + std::to_string(swizzleBytes) +
               " bytes (0, 32, 64 or 128)");
  if (swizzleBytes && uint64_t(box[0]) * elemBytes > swizzleBytes)
    return bad("the box's inner extent (" +
               std::to_string(uint64_t(box[0]) * elemBytes) +
               " bytes) exceeds the swizzle span (" +
               std::to_string(swizzleBytes) + ")");
  HostTensorMap m{};
  m.magic = HostTensorMap::kMagic;
  m.base = reinterpret_cast<uintptr_t>(base);
  m.rank = uint32_t(rank);
  m.elemBytes = elemBytes;
  m.swizzle = swizzleBytes;
  for (size_t d = 0; d < rank; ++d) {
    m.dims[d] = dims[d];
    m.box[d] = uint16_t(box[d]);
  }
  for (size_t d = 0; d + 1 < rank; ++d)
    m.strides[d] = strideBytes[d];
  std::memset(map, 0, 128);
  std::memcpy(map, &m, sizeof(m));
  return true;
}
