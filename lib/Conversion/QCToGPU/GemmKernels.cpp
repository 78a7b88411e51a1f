//===- GemmKernels.cpp - MXFP8 GEMM kernels built as gpu.func -------------===//
//
// The kernel is built op by op with an OpBuilder; docs/Kernels.md describes
// the fragment and scale layouts it implements. All index arithmetic is done
// in i64 so that M*K and N*K products cannot overflow for any i32 shape.
//
//===----------------------------------------------------------------------===//

#include "quantc/Conversion/QCToGPU/GemmKernels.h"
#include "ElementwiseKernels.h"
#include "KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseMap.h"

#include <array>

using namespace mlir;

namespace quantc {

std::optional<KernelTarget> parseKernelTarget(llvm::StringRef chip) {
  if (chip == "sm_89")
    return KernelTarget::SM89;
  if (chip == "sm_90")
    return KernelTarget::SM90;
  if (chip == "sm_90a")
    return KernelTarget::SM90a;
  if (chip == "sm_100a")
    return KernelTarget::SM100a;
  if (chip == "sm_120a")
    return KernelTarget::SM120a;
  return std::nullopt;
}

llvm::StringRef getChip(KernelTarget t) {
  switch (t) {
  case KernelTarget::SM89:
    return "sm_89";
  case KernelTarget::SM90:
    return "sm_90";
  case KernelTarget::SM90a:
    return "sm_90a";
  case KernelTarget::SM100a:
    return "sm_100a";
  case KernelTarget::SM120a:
    return "sm_120a";
  }
  llvm_unreachable("unknown KernelTarget");
}

llvm::StringRef getPTXFeatures(KernelTarget t) {
  switch (t) {
  case KernelTarget::SM89:
  case KernelTarget::SM90:
  case KernelTarget::SM90a:
    // FP8 mma.sync.m16n8k32 with f32 accumulators needs PTX ISA 8.4 (wgmma,
    // TMA and setmaxnreg of the sm_90a GEMM need 8.0).
    return "+ptx84";
  case KernelTarget::SM100a:
    // tcgen05.mma ... block_scale with its .block32 scale vector needs PTX
    // ISA 8.8 in the NVPTX backend of LLVM 22.
  case KernelTarget::SM120a:
    // mma ... kind::mxf8f6f4.block_scale needs PTX ISA 8.7 on sm_120a.
    return "+ptx88";
  }
  llvm_unreachable("unknown KernelTarget");
}

llvm::StringRef getMMAInstructionName(KernelTarget t) {
  switch (t) {
  case KernelTarget::SM89:
  case KernelTarget::SM90:
  case KernelTarget::SM90a:
  case KernelTarget::SM100a:
    return "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32";
  case KernelTarget::SM120a:
    return "mma.sync.aligned.m16n8k32.row.col.kind::mxf8f6f4.block_scale."
           "scale_vec::1X.f32.e4m3.e4m3.f32.ue8m0";
  }
  llvm_unreachable("unknown KernelTarget");
}

static unsigned ceilDivClamped(int64_t x, int64_t d) {
  if (x <= 0)
    return 1;
  int64_t q = (x + d - 1) / d;
  return q > 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<unsigned>(q);
}

LaunchConfig getMXFP8GemmLaunchConfig(KernelTarget, int64_t M, int64_t N) {
  LaunchConfig c;
  c.gridX = ceilDivClamped(M, kMXFP8BlockTileM);
  c.gridY = ceilDivClamped(N, kMXFP8BlockTileN);
  c.gridZ = 1;
  c.blockX = 32;
  c.blockY = 4;
  c.blockZ = 1;
  c.sharedBytes = 0;
  return c;
}

void registerGemmKernelDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                  NVVM::NVVMDialect, math::MathDialect, scf::SCFDialect>();
}

gpu::GPUModuleOp detail::getOrCreateKernelModule(ModuleOp top, KernelTarget t) {
  MLIRContext *ctx = top.getContext();
  auto targetAttr = NVVM::NVVMTargetAttr::get(ctx, /*optLevel=*/3,
                                              "nvptx64-nvidia-cuda", getChip(t),
                                              getPTXFeatures(t));
  if (auto existing = top.lookupSymbol<gpu::GPUModuleOp>(kKernelModuleName)) {
    ArrayAttr targets = existing.getTargetsAttr();
    if (!targets || targets.empty()) {
      existing.setTargetsAttr(ArrayAttr::get(ctx, {targetAttr}));
      return existing;
    }
    for (Attribute a : targets)
      if (auto nv = dyn_cast<NVVM::NVVMTargetAttr>(a))
        if (nv.getChip() == getChip(t))
          return existing;
    existing.emitError() << "gpu.module @" << kKernelModuleName
                         << " already exists for another target than "
                         << getChip(t);
    return nullptr;
  }
  top->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
               UnitAttr::get(ctx));
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(top.getBody());
  return gpu::GPUModuleOp::create(b, top.getLoc(), kKernelModuleName,
                                  ArrayRef<Attribute>{targetAttr});
}

FailureOr<gpu::GPUFuncOp>
detail::createKernelFunc(ModuleOp top, KernelTarget t, llvm::StringRef name,
                         TypeRange argTypes, ArrayRef<int32_t> block,
                         OpBuilder &b) {
  MLIRContext *ctx = top.getContext();
  ctx->loadDialect<arith::ArithDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                   NVVM::NVVMDialect, math::MathDialect, scf::SCFDialect>();
  gpu::GPUModuleOp kmod = getOrCreateKernelModule(top, t);
  if (!kmod)
    return failure();
  if (SymbolTable::lookupSymbolIn(kmod, name)) {
    kmod.emitError() << "kernel @" << name << " already exists in @"
                     << kKernelModuleName;
    return failure();
  }
  Location loc = NameLoc::get(StringAttr::get(ctx, name), top.getLoc());
  b.setInsertionPointToEnd(kmod.getBody());
  auto func = gpu::GPUFuncOp::create(b, loc, name,
                                     b.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  // The launch geometry is fixed; telling the backend lets it drop masks.
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(block));
  b.setInsertionPointToStart(&func.getBody().front());
  return func;
}

FailureOr<detail::GemmKernelArgs>
detail::createGemmKernelFunc(ModuleOp top, KernelTarget t, llvm::StringRef name,
                             unsigned extraPtrs, ArrayRef<int32_t> block,
                             OpBuilder &b) {
  Type ptr = LLVM::LLVMPointerType::get(top.getContext()), i32 = b.getI32Type();
  SmallVector<Type> args(5 + extraPtrs, ptr);
  args.append({i32, i32, i32});
  FailureOr<gpu::GPUFuncOp> func = createKernelFunc(top, t, name, args, block, b);
  if (failed(func))
    return failure();
  GemmKernelArgs r;
  r.func = *func;
  Block &entry = func->getBody().front();
  for (unsigned i = 0; i < 5; ++i)
    r.ptrs[i] = entry.getArgument(i);
  r.extra = entry.getArguments().slice(5, extraPtrs);
  Value *dims[3] = {&r.M, &r.N, &r.K};
  for (unsigned i = 0; i < 3; ++i)
    *dims[i] = arith::ExtSIOp::create(b, func->getLoc(), b.getI64Type(),
                                      entry.getArgument(5 + extraPtrs + i));
  return r;
}

llvm::StringRef getBlockScaledGemmName(BlockScaledGemm g) {
  switch (g) {
  case BlockScaledGemm::MXFP8:
    return "mxfp8";
  case BlockScaledGemm::MXFP4:
    return "mxfp4";
  case BlockScaledGemm::NVFP4:
    return "nvfp4";
  }
  llvm_unreachable("unknown BlockScaledGemm");
}

unsigned getBlockScaledGemmScaleBlock(BlockScaledGemm g) {
  return g == BlockScaledGemm::NVFP4 ? 16 : 32;
}

bool isBlockScaledGemmSupported(KernelTarget t, BlockScaledGemm g) {
  return g == BlockScaledGemm::MXFP8 || t == KernelTarget::SM120a;
}

bool isMXGemmElement(Type elem) {
  return !elem || isa<Float8E4M3FNType, Float8E5M2Type, Float4E2M1FNType,
                      Float6E2M3FNType, Float6E3M2FNType>(elem);
}

namespace {
/// The e4m3 code of an MX element code (an i32 holding the byte) of a
/// format without Inf/NaN (e2m1, e2m3, e3m2): its exact value (decodeMini),
/// then the e4m3 fields taken from the f32 bits. Every nonzero value of
/// these formats is an e4m3 normal number (2^-4 .. 28), so nothing rounds.
Value recodeToE4M3(detail::KernelEmitter &e, Value c, Type elem) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value bits = arith::BitcastOp::create(
      b, loc, e.i32, detail::decodeMini(e, c, *detail::miniSpec(elem)));
  Value sign = e.shl(e.shru(bits, e.c32(31)), e.c32(7));
  Value mag = e.band(bits, e.c32(0x7fffffff));
  // e4m3: exponent field = f32 exponent - 127 + 7, mantissa = top 3 bits.
  Value code = e.bor(e.shl(arith::SubIOp::create(b, loc,
                                                 e.shru(mag, e.c32(23)),
                                                 e.c32(120)),
                           e.c32(3)),
                     e.band(e.shru(mag, e.c32(20)), e.c32(7)));
  Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, mag,
                                       e.c32(0));
  return e.bor(e.select(isZero, e.c32(0), code), sign);
}
} // namespace

namespace {
/// Where a lane of the mma.sync GEMMs' CTA (4 warps, 32 x 16 of C, warp w
/// the 16 x 8 tile at (16 (w >> 1), 8 (w & 1))) reads and writes in the
/// m16n8k32 fragments of 8-bit operands: group g = lane / 4 and t = lane
/// % 4 (the PTX ISA's groupID and threadID_in_group).
struct WarpTile {
  Value lane, g, tig;
  Value rowLo; ///< A regs 0, 2; C regs 0, 1 (row g of the tile)
  Value rowHi; ///< A regs 1, 3; C regs 2, 3 (row g + 8)
  Value colB;  ///< B regs 0, 1 (column g)
  Value colC0; ///< C regs 0, 2 (column 2t)
  Value colC1; ///< C regs 1, 3 (column 2t + 1)
  Value k4;    ///< the first of the lane's four K bytes in a 16-byte half

  explicit WarpTile(detail::KernelEmitter &e) {
    OpBuilder &b = e.b;
    Location loc = e.loc;
    lane = e.idToI64(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
    Value warp = e.idToI64(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y));
    Value bx = e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
    Value by = e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
    g = e.shru(lane, e.c64(2));
    tig = e.band(lane, e.c64(3));
    Value m0 = e.add(e.mul(bx, e.c64(kMXFP8BlockTileM)),
                     e.mul(e.shru(warp, e.c64(1)), e.c64(16)));
    Value n0 = e.add(e.mul(by, e.c64(kMXFP8BlockTileN)),
                     e.mul(e.band(warp, e.c64(1)), e.c64(8)));
    rowLo = e.add(m0, g);
    rowHi = e.add(rowLo, e.c64(8));
    colB = e.add(n0, g);
    colC0 = e.add(n0, e.mul(tig, e.c64(2)));
    colC1 = e.add(colC0, e.c64(1));
    k4 = e.mul(tig, e.c64(4));
  }
};
} // namespace

FailureOr<gpu::GPUFuncOp> buildMXFP8GemmKernel(ModuleOp top,
                                               llvm::StringRef name,
                                               KernelTarget t,
                                               const GemmEpilogue *epilogue,
                                               GemmOperandCodes lhs,
                                               GemmOperandCodes rhs) {
  for (Type el : {lhs.elem, rhs.elem})
    if (!isMXGemmElement(el))
      return emitError(top.getLoc())
             << "the MXFP8 GEMM takes e4m3, e5m2, e2m1, e2m3 or e3m2 codes, "
                "not "
             << el;
  for (const GemmOperandCodes &o : {lhs, rhs})
    if (o.nibbles && !isa_and_nonnull<Float4E2M1FNType>(o.elem))
      return emitError(top.getLoc())
             << "only e2m1 codes are read two per byte, not " << o.elem;
  return buildBlockScaledGemmKernel(top, name, t, BlockScaledGemm::MXFP8,
                                    epilogue, lhs, rhs);
}

FailureOr<gpu::GPUFuncOp>
buildBlockScaledGemmKernel(ModuleOp top, llvm::StringRef name, KernelTarget t,
                           BlockScaledGemm kind, const GemmEpilogue *epilogue,
                           GemmOperandCodes lhs, GemmOperandCodes rhs) {
  MLIRContext *ctx = top.getContext();
  if (!isBlockScaledGemmSupported(t, kind))
    return emitError(top.getLoc())
           << "the " << getBlockScaledGemmName(kind)
           << " GEMM needs the FP4 block-scaled mma.sync of sm_120a; "
           << getChip(t) << " has no FP4 tensor-core instruction";
  OpBuilder b(ctx);
  unsigned extra = epilogue ? epilogue->extraPtrs : 0;
  FailureOr<detail::GemmKernelArgs> made =
      detail::createGemmKernelFunc(top, t, name, extra, {32, 4, 1}, b);
  if (failed(made))
    return failure();
  gpu::GPUFuncOp func = made->func;
  Location loc = func.getLoc();
  detail::KernelEmitter e(b, loc);
  Type f32 = e.f32;
  Block &entry = func.getBody().front();
  e.entry = &entry;
  auto [A, As, B, Bs, C] = made->ptrs;
  Value M = made->M, N = made->N, K = made->K;

  // Thread geometry: lane = threadIdx.x, warp = threadIdx.y (0..3).
  WarpTile wt(e);
  Value lane = wt.lane, rowLo = wt.rowLo, rowHi = wt.rowHi, colB = wt.colB,
        colC0 = wt.colC0, colC1 = wt.colC1, k4 = wt.k4;

  // Every MMA takes a 32-byte slice of each operand row: 32 FP8 or 64 FP4
  // elements. Row length in bytes (FP4: ceil(K/2), the odd tail's high
  // nibble 0) and the number of slices; K >= 1 in i64, so no overflow.
  bool fp4 = kind != BlockScaledGemm::MXFP8;
  Value rowBytes = fp4 ? e.shru(e.add(K, e.c64(1)), e.c64(1)) : K;
  Value KB =
      arith::DivSIOp::create(b, loc, e.add(rowBytes, e.c64(31)), e.c64(32));
  // Scales per row and per slice: ceil(K / scaleBlock), and 1, 2 or 4.
  int64_t sblock = getBlockScaledGemmScaleBlock(kind);
  unsigned perSlice = (fp4 ? 64 : 32) / sblock;
  Value KS = arith::DivSIOp::create(b, loc, e.add(K, e.c64(sblock - 1)),
                                    e.c64(sblock));

  Value zero = e.f32c(0.0f);
  auto loop = scf::ForOp::create(b, loc, e.c64(0), KB, e.c64(1),
                                 ValueRange{zero, zero, zero, zero});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kb = loop.getInductionVar();
    ValueRange acc = loop.getRegionIterArgs();
    Value kLo = e.add(e.mul(kb, e.c64(32)), k4);
    Value kHi = e.add(kLo, e.c64(16));

    // (kLo, kHi: byte offsets within the row; for FP4 the fragment layout
    // of m16n8k64 puts elements 8*tig .. 8*tig+7 in a register, the same
    // four bytes as m16n8k32's 8-bit elements 4*tig .. 4*tig+3.)
    // MXFP4/MXFP6 codes (one per byte) become e4m3 codes as they load.
    auto recoded = [&](Type el) {
      return fp4 || !el || isa<Float8E4M3FNType, Float8E5M2Type>(el) ? Type()
                                                                      : el;
    };
    // e5m2 codes go to the MMA as they are (its range is not e4m3's); the
    // others are e4m3 codes by then.
    bool e5a = !fp4 && isa_and_nonnull<Float8E5M2Type>(lhs.elem),
         e5b = !fp4 && isa_and_nonnull<Float8E5M2Type>(rhs.elem);
    Type la = recoded(lhs.elem), lb = recoded(rhs.elem);
    bool na = !fp4 && lhs.nibbles, nb = !fp4 && rhs.nibbles;
    auto ra = [&](Value c) { return recodeToE4M3(e, c, la); };
    auto rb = [&](Value c) { return recodeToE4M3(e, c, lb); };
    llvm::function_ref<Value(Value)> recA = la ? llvm::function_ref<Value(Value)>(ra)
                                               : nullptr;
    llvm::function_ref<Value(Value)> recB = lb ? llvm::function_ref<Value(Value)>(rb)
                                               : nullptr;
    std::array<Value, 4> a = {
        e.loadPacked4(A, rowLo, M, kLo, rowBytes, recA, na),
        e.loadPacked4(A, rowHi, M, kLo, rowBytes, recA, na),
        e.loadPacked4(A, rowLo, M, kHi, rowBytes, recA, na),
        e.loadPacked4(A, rowHi, M, kHi, rowBytes, recA, na)};
    std::array<Value, 2> bb = {
        e.loadPacked4(B, colB, N, kLo, rowBytes, recB, nb),
        e.loadPacked4(B, colB, N, kHi, rowBytes, recB, nb)};
    auto resTy = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    SmallVector<Value, 4> next;

    if (t == KernelTarget::SM120a) {
      // scale_vec::1X scale layout (PTX ISA "Block Scaling for mma.sync",
      // CUTLASS SM120 SFALayout/SFBLayout): with thread-id 0 and byte-id 0,
      // lane 4g+0 supplies SF_A of row g, lane 4g+1 that of row g+8, and lane
      // 4g (any lane of quad g) supplies SF_B of column g. We give every lane
      // of a quad its row/column scale (lanes 2,3 duplicate lanes 0,1) and
      // replicate the byte into all four bytes, so the selectors 0/0 work.
      // With scale_vec::2X / 4X a lane supplies its row's (column's) 2 / 4
      // scales of the slice in bytes 0-1 / 0-3 of the register (byte-id 0);
      // the 2X pair is repeated in bytes 2-3 so byte-id 2 would read the
      // same. Fallback 1.0: E8M0 127, UE4M3 0x38.
      Value sfRow = e.add(rowLo, e.mul(e.band(lane, e.c64(1)), e.c64(8)));
      int64_t one = kind == BlockScaledGemm::NVFP4 ? 0x38 : 127;
      Value first = e.mul(kb, e.c64(perSlice));
      Value sa = e.loadScaleWord(As, sfRow, M, first, perSlice, KS, one);
      Value sb = e.loadScaleWord(Bs, colB, N, first, perSlice, KS, one);
      int64_t replicate = perSlice == 1   ? 0x01010101
                          : perSlice == 2 ? 0x10001
                                          : 1;
      sa = e.mul(sa, e.c32(replicate));
      sb = e.mul(sb, e.c32(replicate));
      Value sel = e.cst(e.i16, 0);
      auto mmaType = [&](bool e5) {
        return fp4 ? NVVM::MMATypes::e2m1
               : e5 ? NVVM::MMATypes::e5m2
                    : NVVM::MMATypes::e4m3;
      };
      auto mma = NVVM::MmaBlockScaleOp::create(
          b, loc, resTy, ValueRange(a), ValueRange(bb), acc, sa, sel, sel, sb,
          sel, sel, ArrayRef<int64_t>{16, 8, fp4 ? 64 : 32},
          std::array<NVVM::MMATypes, 2>{mmaType(e5a), mmaType(e5b)},
          perSlice == 1   ? NVVM::ScaleVecSize::X1
          : perSlice == 2 ? NVVM::ScaleVecSize::X2
                          : NVVM::ScaleVecSize::X4,
          kind == BlockScaledGemm::NVFP4 ? NVVM::BlockScaleFormat::UE4M3
                                         : NVVM::BlockScaleFormat::UE8M0,
          kind == BlockScaledGemm::MXFP8   ? NVVM::MMABlockScaleKind::MXF8F6F4
          : kind == BlockScaledGemm::MXFP4 ? NVVM::MMABlockScaleKind::MXF4
                                           : NVVM::MMABlockScaleKind::MXF4NVF4);
      for (int64_t i = 0; i < 4; ++i)
        next.push_back(LLVM::ExtractValueOp::create(b, loc, mma, i));
    } else {
      // Dense FP8 mma has no NVVM op or LLVM intrinsic: emit this one
      // instruction as inline asm, with a zero accumulator per K block.
      SmallVector<Value, 10> operands(a.begin(), a.end());
      operands.append(bb.begin(), bb.end());
      operands.append({zero, zero, zero, zero});
      std::string name = getMMAInstructionName(t).str();
      if (e5a || e5b) // ...f32.<A type>.<B type>.f32
        name.replace(name.find(".e4m3.e4m3."), 11,
                     std::string(".") + (e5a ? "e5m2" : "e4m3") + "." +
                         (e5b ? "e5m2" : "e4m3") + ".");
      std::string asmStr = name +
                           " {$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, "
                           "{$10,$11,$12,$13};";
      auto mma = LLVM::InlineAsmOp::create(
          b, loc, resTy, operands, asmStr, "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f",
          /*has_side_effects=*/false, /*is_align_stack=*/false,
          LLVM::tailcallkind::TailCallKind::None,
          LLVM::AsmDialectAttr::get(ctx, LLVM::AsmDialect::AD_ATT),
          /*operand_attrs=*/ArrayAttr());
      // Scales of this lane's two C rows and two C columns for block kb.
      Value saLo = e.decodeE8M0(e.loadScaleCode(As, rowLo, M, kb, KB));
      Value saHi = e.decodeE8M0(e.loadScaleCode(As, rowHi, M, kb, KB));
      Value sb0 = e.decodeE8M0(e.loadScaleCode(Bs, colC0, N, kb, KB));
      Value sb1 = e.decodeE8M0(e.loadScaleCode(Bs, colC1, N, kb, KB));
      std::array<Value, 4> scale = {
          arith::MulFOp::create(b, loc, saLo, sb0),
          arith::MulFOp::create(b, loc, saLo, sb1),
          arith::MulFOp::create(b, loc, saHi, sb0),
          arith::MulFOp::create(b, loc, saHi, sb1)};
      for (int64_t i = 0; i < 4; ++i) {
        Value partial = LLVM::ExtractValueOp::create(b, loc, mma.getResult(0), i);
        // acc = fma(partial, sa*sb, acc): one rounding, as the Executor does.
        // llvm.intr.fma rather than math.fma: convert-gpu-to-nvvm may turn
        // math.fma into a libdevice call (__nv_fmaf) that then needs
        // libdevice at serialization time.
        next.push_back(LLVM::FMAOp::create(b, loc, partial, scale[i], acc[i]));
      }
    }
    scf::YieldOp::create(b, loc, next);
  }

  // Masked stores of the four accumulators.
  std::array<std::pair<Value, Value>, 4> coords = {
      std::make_pair(rowLo, colC0), std::make_pair(rowLo, colC1),
      std::make_pair(rowHi, colC0), std::make_pair(rowHi, colC1)};
  for (int i = 0; i < 4; ++i) {
    auto [row, col] = coords[i];
    Value ok = e.land(e.slt(row, M), e.slt(col, N));
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    Value p = e.gep(C, f32, e.add(e.mul(row, N), col));
    if (failed(detail::storeGemmResult(b, loc, epilogue, *made,
                                       loop.getResult(i), row, col, p)))
      return failure();
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}

namespace {
/// Four consecutive K elements of column `col` of the row-major K x N
/// matrix X, X[k .. k+3, col], packed little-endian into an i32 (the
/// 8-bit MMA's B register); 0 outside [0, K) x [0, N).
Value loadColumn4(detail::KernelEmitter &e, Value base, Value col, Value N,
                  Value k, Value K) {
  Value colOk = e.slt(col, N);
  Value packed = e.c32(0);
  for (int j = 0; j < 4; ++j) {
    Value kj = e.add(k, e.c64(j));
    Value byte = e.maskedByte(base, e.add(e.mul(kj, N), col),
                              e.land(colOk, e.slt(kj, K)), 0);
    packed = e.bor(packed, j ? e.shl(byte, e.c32(8 * j)) : byte);
  }
  return packed;
}

/// A quad's (lanes 4g .. 4g+3) sum of `v` in each of its lanes.
Value quadSum(detail::KernelEmitter &e, Value v) {
  for (int off : {1, 2})
    v = e.add(v, NVVM::ShflOp::create(e.b, e.loc, e.i32, e.c32(-1), v,
                                      e.c32(off), e.c32(0x1f),
                                      NVVM::ShflKind::bfly,
                                      /*return_value_and_is_valid=*/nullptr)
                     .getResult());
  return v;
}
} // namespace

FailureOr<gpu::GPUFuncOp> buildInt8GemmKernel(ModuleOp top,
                                              llvm::StringRef name,
                                              KernelTarget t,
                                              const Int8GemmOperands &ops,
                                              const GemmEpilogue *epilogue) {
  MLIRContext *ctx = top.getContext();
  if (ops.conv && ops.aScalePerRow) {
    top.emitError() << "int8 GEMM @" << name
                    << ": a convolution's activation scale is one value "
                       "(aScalePerRow is for matmuls)";
    return failure();
  }
  OpBuilder b(ctx);
  unsigned zeroPoints = unsigned(ops.aZeroPoint) + unsigned(ops.bZeroPoint);
  unsigned own = zeroPoints + unsigned(ops.bias);
  unsigned extra = own + (epilogue ? epilogue->extraPtrs : 0);
  FailureOr<detail::GemmKernelArgs> made =
      detail::createGemmKernelFunc(top, t, name, extra, {32, 4, 1}, b);
  if (failed(made))
    return failure();
  gpu::GPUFuncOp func = made->func;
  Location loc = func.getLoc();
  detail::KernelEmitter e(b, loc);
  Type i32 = e.i32, f32 = e.f32;
  Block &entry = func.getBody().front();
  e.entry = &entry;
  auto [A, SA, B, SB, C] = made->ptrs;
  Value ZA = ops.aZeroPoint ? made->extra[0] : Value();
  Value ZB = ops.bZeroPoint ? made->extra[ops.aZeroPoint ? 1 : 0] : Value();
  Value BIAS = ops.bias ? made->extra[zeroPoints] : Value();
  // The epilogue sees its own pointers only.
  ValueRange epiPtrs = made->extra.drop_front(own);
  Value M = made->M, N = made->N, K = made->K;

  WarpTile wt(e);
  Value tig = wt.tig, rowLo = wt.rowLo, rowHi = wt.rowHi, colB = wt.colB,
        colC0 = wt.colC0, colC1 = wt.colC1, k4 = wt.k4;
  Value KB = arith::DivSIOp::create(b, loc, e.add(K, e.c64(31)), e.c64(32));
  auto loadCode = [&](Value base, Value idx, bool isUnsigned) -> Value {
    Value v = LLVM::LoadOp::create(b, loc, e.i8, e.gep(base, e.i8, idx));
    return isUnsigned ? arith::ExtUIOp::create(b, loc, i32, v).getResult()
                      : arith::ExtSIOp::create(b, loc, i32, v).getResult();
  };
  Value za = ops.aZeroPoint ? loadCode(ZA, e.c64(0), ops.aUnsigned) : Value();

  // A convolution's rows: image, and the input corner of each of this
  // lane's two rows (rowLo, rowHi), computed once.
  struct ConvRow {
    Value ok, image, ih0, iw0;
  };
  std::array<ConvRow, 2> convRows;
  auto div = [&](Value x, int64_t d) {
    return arith::DivSIOp::create(b, loc, x, e.c64(d)).getResult();
  };
  auto rem = [&](Value x, int64_t d) {
    return arith::RemSIOp::create(b, loc, x, e.c64(d)).getResult();
  };
  if (const auto &g = ops.conv) {
    int64_t P = g->OH * g->OW;
    for (auto [i, r] : llvm::enumerate(std::array<Value, 2>{rowLo, rowHi})) {
      Value p = rem(r, P);
      convRows[i] = {e.slt(r, M), div(r, P),
                     arith::SubIOp::create(b, loc, e.mul(div(p, g->OW),
                                                         e.c64(g->sh)),
                                           e.c64(g->pt)),
                     arith::SubIOp::create(b, loc, e.mul(rem(p, g->OW),
                                                         e.c64(g->sw)),
                                           e.c64(g->pl))};
    }
  }
  // Four consecutive K elements of a convolution row (im2col): channel c,
  // tap (kh, kw) of k; a tap in the padding reads ZA's byte.
  auto loadIm2col4 = [&](const ConvRow &row, Value k) {
    const auto &g = *ops.conv;
    Value packed = e.c32(0);
    for (int j = 0; j < 4; ++j) {
      Value kj = e.add(k, e.c64(j));
      Value ok = e.land(row.ok, e.slt(kj, K));
      Value c = div(kj, g.KH * g.KW), tap = rem(kj, g.KH * g.KW);
      Value ih = e.add(row.ih0, e.mul(div(tap, g.KW), e.c64(g.dh)));
      Value iw = e.add(row.iw0, e.mul(rem(tap, g.KW), e.c64(g.dw)));
      auto within = [&](Value v, int64_t n) {
        return e.land(e.slt(v, e.c64(n)),
                      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                            v, e.c64(0)));
      };
      Value inside = e.land(within(ih, g.H), within(iw, g.W));
      Value idx = e.add(
          e.mul(e.add(e.mul(e.add(e.mul(row.image, e.c64(g.C)), c),
                            e.c64(g.H)),
                      ih),
                e.c64(g.W)),
          iw);
      Value byte = e.maskedByte(A, idx, e.land(ok, inside), 0);
      if (za)
        byte = e.select(e.land(ok, arith::XOrIOp::create(
                                        b, loc, inside,
                                        arith::ConstantIntOp::create(
                                            b, loc, b.getI1Type(), 1))),
                        e.band(za, e.c32(0xff)), byte);
      packed = e.bor(packed, j ? e.shl(byte, e.c32(8 * j)) : byte);
    }
    return packed;
  };

  // Loop-carried: the four s32 accumulators, this lane's share of the sums
  // of column colB of B (for ZA) and of rows rowLo, rowHi of A (for ZB).
  Value z = e.c32(0);
  auto loop = scf::ForOp::create(b, loc, e.c64(0), KB, e.c64(1),
                                 ValueRange{z, z, z, z, z, z, z});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kb = loop.getInductionVar();
    ValueRange it = loop.getRegionIterArgs();
    Value kLo = e.add(e.mul(kb, e.c64(32)), k4);
    Value kHi = e.add(kLo, e.c64(16));
    std::array<Value, 4> a;
    std::array<Value, 2> bb;
    if (ops.conv) {
      a = {loadIm2col4(convRows[0], kLo), loadIm2col4(convRows[1], kLo),
           loadIm2col4(convRows[0], kHi), loadIm2col4(convRows[1], kHi)};
      // The weight [N, C, KH, KW] is N rows of K.
      bb = {e.loadPacked4(B, colB, N, kLo, K),
            e.loadPacked4(B, colB, N, kHi, K)};
    } else {
      a = {e.loadPacked4(A, rowLo, M, kLo, K), e.loadPacked4(A, rowHi, M, kLo, K),
           e.loadPacked4(A, rowLo, M, kHi, K), e.loadPacked4(A, rowHi, M, kHi, K)};
      bb = {loadColumn4(e, B, colB, N, kLo, K),
            loadColumn4(e, B, colB, N, kHi, K)};
    }
    auto resTy = LLVM::LLVMStructType::getLiteral(ctx, {i32, i32, i32, i32});
    auto type = [](bool u) {
      return u ? NVVM::MMATypes::u8 : NVVM::MMATypes::s8;
    };
    auto mma = NVVM::MmaOp::create(
        b, loc, resTy, ValueRange(a), ValueRange(bb), it.take_front(4),
        ArrayRef<int64_t>{16, 8, 32}, std::nullopt,
        NVVM::MMAIntOverflow::wrapped,
        std::array<NVVM::MMATypes, 2>{type(ops.aUnsigned),
                                      type(ops.bUnsigned)},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    SmallVector<Value, 7> next;
    for (int64_t i = 0; i < 4; ++i)
      next.push_back(LLVM::ExtractValueOp::create(b, loc, mma, i));
    Value colSum = it[4], rowSumLo = it[5], rowSumHi = it[6];
    if (ops.aZeroPoint)
      colSum = e.add(colSum, e.add(e.byteSum(bb[0], ops.bUnsigned),
                                   e.byteSum(bb[1], ops.bUnsigned)));
    if (ops.bZeroPoint) {
      rowSumLo = e.add(rowSumLo, e.add(e.byteSum(a[0], ops.aUnsigned),
                                       e.byteSum(a[2], ops.aUnsigned)));
      rowSumHi = e.add(rowSumHi, e.add(e.byteSum(a[1], ops.aUnsigned),
                                       e.byteSum(a[3], ops.aUnsigned)));
    }
    next.append({colSum, rowSumLo, rowSumHi});
    scf::YieldOp::create(b, loc, next);
  }

  // The zero points' corrections (exact in s32, wrapping as the MMA does).
  Value K32 = arith::TruncIOp::create(b, loc, i32, K);
  std::array<Value, 2> colSums, zbs;
  if (ops.aZeroPoint) {
    // Column n0 + c's sum is in quad c: lanes 4c .. 4c+3 after the quad's
    // reduction; this lane's C columns are n0 + 2 tig and n0 + 2 tig + 1.
    Value quad = quadSum(e, loop.getResult(4));
    for (int c = 0; c < 2; ++c) {
      Value src = arith::TruncIOp::create(
          b, loc, i32, e.mul(e.add(e.mul(tig, e.c64(2)), e.c64(c)), e.c64(4)));
      colSums[c] = NVVM::ShflOp::create(b, loc, i32, e.c32(-1), quad, src,
                                        e.c32(0x1f), NVVM::ShflKind::idx,
                                        /*return_value_and_is_valid=*/nullptr)
                       .getResult();
    }
  }
  Value rowSums[2];
  if (ops.bZeroPoint) {
    rowSums[0] = quadSum(e, loop.getResult(5));
    rowSums[1] = quadSum(e, loop.getResult(6));
  }
  std::array<Value, 2> cols = {colC0, colC1};
  std::array<Value, 2> sbs, biases;
  // SA: one scale, or one per row (rows past M read row 0's, never
  // stored).
  std::array<Value, 2> sas;
  for (int h = 0; h < 2; ++h) {
    Value row = h ? rowHi : rowLo;
    sas[h] = LLVM::LoadOp::create(
        b, loc, f32,
        ops.aScalePerRow
            ? e.gep(SA, f32, e.select(e.slt(row, M), row, e.c64(0)))
            : SA);
  }
  for (int c = 0; c < 2; ++c) {
    // Columns past N read column 0 (never stored).
    Value safe = e.select(e.slt(cols[c], N), cols[c], e.c64(0));
    sbs[c] = LLVM::LoadOp::create(
        b, loc, f32,
        ops.bScalePerColumn ? e.gep(SB, f32, safe) : SB);
    if (ops.bias)
      biases[c] = LLVM::LoadOp::create(b, loc, f32, e.gep(BIAS, f32, safe));
    if (ops.bZeroPoint)
      zbs[c] = loadCode(ZB, ops.bZeroPointPerColumn ? safe : e.c64(0),
                        ops.bUnsigned);
  }

  std::array<std::pair<Value, Value>, 4> coords = {
      std::make_pair(rowLo, colC0), std::make_pair(rowLo, colC1),
      std::make_pair(rowHi, colC0), std::make_pair(rowHi, colC1)};
  for (int i = 0; i < 4; ++i) {
    auto [row, col] = coords[i];
    int c = i & 1;
    Value acc = loop.getResult(i);
    if (ops.aZeroPoint)
      acc = arith::SubIOp::create(b, loc, acc, e.mul(za, colSums[c]));
    if (ops.bZeroPoint) {
      acc = arith::SubIOp::create(b, loc, acc, e.mul(zbs[c], rowSums[i >> 1]));
      if (ops.aZeroPoint)
        acc = e.add(acc, e.mul(K32, e.mul(za, zbs[c])));
    }
    Value v = arith::MulFOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, f32, acc),
        arith::MulFOp::create(b, loc, sas[i >> 1], sbs[c]));
    if (ops.bias)
      v = arith::AddFOp::create(b, loc, v, biases[c]);
    Value ok = e.land(e.slt(row, M), e.slt(col, N));
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    // The epilogue's result is stored as it is: f32, or the next layer's
    // codes when its chain ends in a quantize (an i1 as a byte).
    if (epilogue) {
      FailureOr<Value> fused =
          epilogue->apply(b, v, row, col, N, epiPtrs, &entry);
      if (failed(fused))
        return failure();
      v = *fused;
      if (v.getType().isInteger(1))
        v = arith::ExtUIOp::create(b, loc, e.i8, v);
    }
    // C [M, N], or a convolution's output [batch, N, OH, OW].
    Value at = ops.conv ? detail::convGemmOutputIndex(
                              e, row, col, N, ops.conv->OH * ops.conv->OW)
                        : e.add(e.mul(row, N), col);
    LLVM::StoreOp::create(b, loc, v, e.gep(C, v.getType(), at));
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}

} // namespace quantc
