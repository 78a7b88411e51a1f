//===- ElementwiseKernels.cpp - quantize and elementwise kernels ----------===//
//
// Built op by op like the GEMM (GemmKernels.cpp). All index arithmetic is
// i64; the f32 arithmetic uses arith ops without fast-math flags, which the
// NVPTX backend lowers to IEEE round-to-nearest instructions without
// flush-to-zero or contraction, so results match the Executor bit for bit.
//
//===----------------------------------------------------------------------===//
#include "ElementwiseKernels.h"
#include "KernelEmitter.h"

#include "quantc/Conversion/QCToGPU/QCToGPU.h"

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/IR/QCQuantOps.h"
#include "quantc/Dialect/QC/IR/QCShapeOps.h"
#include "quantc/Numerics/Formats.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"

#include "llvm/ADT/TypeSwitch.h"
#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <tuple>

using namespace mlir;
using namespace quantc;
using quantc::detail::MiniSpec;
using quantc::detail::miniSpec;
using quantc::detail::decodeMini;
using quantc::detail::typeName;
using quantc::detail::KernelEmitter;
using quantc::detail::kElementwiseBlock;

quantc::detail::LinearQuantLayout
quantc::detail::linearQuantLayout(Operation *op) {
  int64_t r = cast<RankedTensorType>(op->getResult(0).getType()).getRank();
  auto normalise = [&](uint64_t a) {
    int64_t axis = static_cast<int64_t>(a);
    return axis < 0 ? axis + r : axis;
  };
  if (auto q = dyn_cast<qc::QuantizeLinearOp>(op))
    return {normalise(q.getAxis()), static_cast<int64_t>(q.getBlockSize()),
            cast<RankedTensorType>(q.getCodes().getType()).getElementType()};
  auto d = cast<qc::DequantizeLinearOp>(op);
  return {normalise(d.getAxis()), static_cast<int64_t>(d.getBlockSize()),
          cast<RankedTensorType>(d.getCodes().getType()).getElementType()};
}

ArrayRef<int64_t> quantc::detail::reduceAxes(Operation *op) {
  return cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef();
}

bool quantc::detail::isReduceOp(Operation *op) {
  return isa<qc::ReduceMeanOp, qc::ReduceSumOp, qc::ReduceMaxOp,
             qc::ReduceMinOp, qc::ReduceProdOp, qc::ReduceL1Op, qc::ReduceL2Op,
             qc::ReduceSumSquareOp, qc::ReduceLogSumOp, qc::ReduceLogSumExpOp>(
      op);
}

/// A qc.reduce_max over the batch axis (dimension 0) alone, f32, the
/// other dimensions static: one thread per output walks the batch
/// (`batch_max_<i>`): an ONNX ReduceMax over the batch.
std::optional<int64_t> quantc::detail::constantScalar(Value v) {
  DenseIntElementsAttr a;
  if (!v || !matchPattern(v, m_Constant(&a)) || a.getNumElements() != 1)
    return std::nullopt;
  return (*a.value_begin<APInt>()).getSExtValue();
}

bool quantc::detail::isBatchReduce(Operation *op) {
  if (!isa<qc::ReduceMaxOp>(op))
    return false;
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  ArrayRef<int64_t> axes = quantc::detail::reduceAxes(op);
  if (in.getRank() < 1 || axes.size() != 1 ||
      (axes[0] != 0 && axes[0] != -in.getRank()) ||
      !in.getElementType().isF32() ||
      !cast<RankedTensorType>(op->getResult(0).getType())
           .getElementType()
           .isF32())
    return false;
  for (int64_t d = 1; d < in.getRank(); ++d)
    if (in.isDynamicDim(d))
      return false;
  return true;
}

bool quantc::detail::isPackedWeight(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !qc::WeightOp::isPacked4(t.getElementType()))
    return false;
  Operation *d = v.getDefiningOp();
  return d && (isa<qc::WeightOp>(d) || d->hasTrait<OpTrait::ConstantLike>());
}

GemmOperandCodes quantc::detail::gemmOperandCodes(qc::QMatMulOp q, bool rhs) {
  return {getMXGemmElement(rhs ? q.getRhsScheme() : q.getLhsScheme()),
          isPackedWeight(rhs ? q.getRhs() : q.getLhs())};
}

std::string quantc::detail::typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

Value quantc::detail::fusionYielded(Value v) {
  auto f = v.getDefiningOp<qc::FusionOp>();
  if (!f)
    return Value();
  return f.getBody().front().getTerminator()->getOperand(0);
}

std::optional<MiniSpec> quantc::detail::miniSpec(Type t) {
  if (!isa<FloatType>(t) || t.getIntOrFloatBitWidth() > 8)
    return std::nullopt;
  std::optional<numerics::ElemFormat> f =
      numerics::parseElemFormat(typeName(t));
  if (!f)
    return std::nullopt;
  const numerics::FormatInfo &i = numerics::getFormatInfo(*f);
  if (!i.isFloat || !i.manBits) // E8M0 is a scale, not a code
    return std::nullopt;
  return MiniSpec{int(i.expBits), int(i.manBits), i.bias,
                  i.hasInf   ? MiniSpec::IEEE
                  : i.hasNaN ? MiniSpec::FN
                             : MiniSpec::None};
}

Value quantc::detail::decodeMini(KernelEmitter &e, Value c, const MiniSpec &f) {
  OpBuilder &b = e.b;
  using P = arith::CmpIPredicate;
  auto cmp = [&](P p, Value x, Value y) {
    return arith::CmpIOp::create(b, e.loc, p, x, y);
  };
  Value u = c.getType() == e.i32 ? c : arith::ExtUIOp::create(b, e.loc, e.i32, c);
  Value sign = e.shl(e.band(e.shru(u, e.c32(f.W())), e.c32(1)), e.c32(31));
  Value mag = e.band(u, e.c32(f.allOnes()));
  Value ex = e.band(e.shru(mag, e.c32(f.M)), e.c32((1u << f.E) - 1));
  Value man = e.band(mag, e.c32((1u << f.M) - 1));
  Value normal = e.bor(e.shl(e.add(ex, e.c32(127 - f.bias)), e.c32(23)),
                       e.shl(man, e.c32(23 - f.M)));
  Value subn = arith::BitcastOp::create(
      b, e.loc, e.i32,
      arith::MulFOp::create(b, e.loc,
                            arith::UIToFPOp::create(b, e.loc, e.f32, man),
                            e.f32c(std::ldexp(1.0f, 1 - f.bias - f.M))));
  Value bits = e.select(cmp(P::eq, ex, e.c32(0)), subn, normal);
  if (f.kind == MiniSpec::FN)
    bits = e.select(cmp(P::eq, mag, e.c32(f.allOnes())), e.c32(0x7fc00000),
                    bits);
  if (f.kind == MiniSpec::IEEE) {
    Value top = cmp(P::eq, ex, e.c32((1u << f.E) - 1));
    bits = e.select(top,
                    e.select(cmp(P::eq, man, e.c32(0)), e.c32(0x7f800000),
                             e.c32(0x7fc00000)),
                    bits);
  }
  return arith::BitcastOp::create(b, e.loc, e.f32, e.bor(bits, sign));
}

int64_t quantc::detail::elementBytes(Type t) {
  if (!t.isIntOrFloat())
    return 0;
  int64_t b = qc::WeightOp::getStorageBytes(t);
  return b == 1 || b == 2 || b == 4 || b == 8 ? b : 0;
}

bool quantc::detail::isBroadcastableTo(RankedTensorType in, RankedTensorType out) {
  int64_t r = out.getRank(), q = in.getRank();
  if (q > r)
    return false;
  for (int64_t k = 0; k < q; ++k) {
    int64_t dOut = out.getDimSize(r - q + k), dIn = in.getDimSize(k);
    bool outDyn = ShapedType::isDynamic(dOut), inDyn = ShapedType::isDynamic(dIn);
    if (inDyn || outDyn) {
      // Only the batch (dimension 0 of both) is dynamic; a static 1
      // broadcasts over it.
      if (r - q + k != 0)
        return false;
      if (inDyn != outDyn && !(dIn == 1))
        return false;
      continue;
    }
    if (dIn != dOut && dIn != 1)
      return false;
  }
  return true;
}

namespace {

/// A kernel with a 1-D launch of kElementwiseBlock threads per CTA.
FailureOr<gpu::GPUFuncOp> createKernel1D(ModuleOp top, KernelTarget t,
                                         llvm::StringRef name,
                                         TypeRange args, OpBuilder &b) {
  return quantc::detail::createKernelFunc(
      top, t, name, args, {int32_t(kElementwiseBlock), 1, 1}, b);
}

/// The global thread index gid = blockIdx.x * kElementwiseBlock + threadIdx.x
/// and an scf.if on gid < count whose body the builder is left in.
Value guardedThreadIndex(KernelEmitter &e, Value count) {
  OpBuilder &b = e.b;
  Value tid = e.idToI64(gpu::ThreadIdOp::create(b, e.loc, gpu::Dimension::x));
  Value bid = e.idToI64(gpu::BlockIdOp::create(b, e.loc, gpu::Dimension::x));
  Value gid = e.add(e.mul(bid, e.c64(kElementwiseBlock)), tid);
  auto ifOp = scf::IfOp::create(b, e.loc, e.slt(gid, count),
                                /*withElseRegion=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  return gid;
}

Value bitcastF32(KernelEmitter &e, Value i32) {
  return arith::BitcastOp::create(e.b, e.loc, e.f32, i32);
}
Value bitcastI32(KernelEmitter &e, Value f32) {
  return arith::BitcastOp::create(e.b, e.loc, e.i32, f32);
}
Value sub(KernelEmitter &e, Value x, Value y) {
  return arith::SubIOp::create(e.b, e.loc, x, y);
}
Value cmp(KernelEmitter &e, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(e.b, e.loc, p, x, y);
}

/// IEEE square root (sqrt.rn.f32, what std::sqrt computes). The NVVM
/// conversion lowers math.sqrt and llvm.intr.sqrt only through libdevice,
/// so this one instruction is inline PTX, as the sm_89 MMA is.
Value sqrtRN(KernelEmitter &e, Value x) {
  bool f64 = x.getType().isF64(); // sqrt.rn.f64 for a double
  auto op = LLVM::InlineAsmOp::create(
      e.b, e.loc, x.getType(), ValueRange{x},
      f64 ? "sqrt.rn.f64 $0, $1;" : "sqrt.rn.f32 $0, $1;",
      f64 ? "=d,d" : "=f,f",
      /*has_side_effects=*/false, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(e.b.getContext(), LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  return op.getResult(0);
}

/// emax_elem of an MX element format: floor(log2(its largest finite
/// value)), what the shared scale's floor rule subtracts (Numerics F12).
int mxEmax(Type elem) {
  return numerics::getFormatInfo(*numerics::parseElemFormat(typeName(elem)))
      .emax;
}

/// The code (in the low bits of an i32) of the f32 with bit pattern `y`:
/// Mini::enc operation for operation (round to nearest even on the f32
/// pattern; subnormals rounded by an f32 add of the magic constant whose
/// ulp is the subnormal step; overflow to maxAbs when saturating, else
/// Inf/NaN where the format has them; NaN to the NaN code, or +-0).
Value encodeMini(KernelEmitter &e, Value y, const MiniSpec &f, bool sat) {
  using P = arith::CmpIPredicate;
  int sh = 23 - f.M;
  uint32_t magicBits = uint32_t(127 + 24 - f.bias - f.M) << 23;
  uint32_t minNormBits = uint32_t(127 + 1 - f.bias) << 23;
  Value sign = e.shl(e.shru(y, e.c32(31)), e.c32(f.W()));
  Value a = e.band(y, e.c32(0x7fffffff));
  Value rn = e.shru(e.add(e.add(a, e.c32((1u << (sh - 1)) - 1)),
                          e.band(e.shru(a, e.c32(sh)), e.c32(1))),
                    e.c32(sh));
  Value n = sub(e, rn, e.c32((127 - f.bias) << f.M));
  Value magic = e.c32(magicBits);
  Value sum = arith::AddFOp::create(e.b, e.loc, bitcastF32(e, a),
                                    bitcastF32(e, magic));
  Value s = sub(e, bitcastI32(e, sum), magic);
  Value code = e.select(cmp(e, P::slt, a, e.c32(minNormBits)), s, n);
  code = e.select(cmp(e, P::sgt, n, e.c32(f.maxAbs())),
                  e.c32(sat ? f.maxAbs() : f.overflowNoSat()), code);
  code = e.select(cmp(e, P::sgt, a, e.c32(0x7f800000)), e.c32(f.nanCode()),
                  code);
  return e.bor(code, sign);
}

/// One MX block: X[base .. base+n) (f32, n <= 32) to codes C[base ..] of
/// `elem` (e4m3, e2m1, e2m3 or e3m2; one per byte) and the E8M0 scale
/// S[sOff], as the Numerics library's quantizeMX.
void emitQuantizeBlock(KernelEmitter &e, Value X, Value C, Value S, Value base,
                       Value n, Value sOff, Type elem) {
  MiniSpec spec = *miniSpec(elem);
  int emax = mxEmax(elem);
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using P = arith::CmpIPredicate;
  // amax as the largest |x| bit pattern (a NaN compares above Inf).
  auto amaxLoop = scf::ForOp::create(b, loc, e.c64(0), n, e.c64(1),
                                     ValueRange{e.c32(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(amaxLoop.getBody());
    Value j = amaxLoop.getInductionVar();
    Value x = LLVM::LoadOp::create(b, loc, e.f32, e.gep(X, e.f32, e.add(base, j)));
    Value a = e.band(bitcastI32(e, x), e.c32(0x7fffffff));
    scf::YieldOp::create(
        b, loc, ValueRange{arith::MaxUIOp::create(
                    b, loc, amaxLoop.getRegionIterArgs()[0], a)});
  }
  Value amax = amaxLoop.getResult(0);

  // Shared scale, floor rule: clamp(floor(log2 amax) - emax + 127, 0, 254)
  // (emax: 8 for e4m3, 2 for e2m1 and e2m3, 4 for e3m2);
  // 255 (NaN) when amax is Inf or NaN. A subnormal amax's exponent comes
  // from its exact conversion to f32 (amax < 2^23).
  Value special = cmp(e, P::uge, amax, e.c32(0x7f800000));
  Value normal = cmp(e, P::uge, amax, e.c32(0x00800000));
  Value eNormal = sub(e, e.shru(amax, e.c32(23)), e.c32(127));
  Value asFloat = arith::UIToFPOp::create(b, loc, e.f32, amax);
  Value eSub = sub(e, e.shru(bitcastI32(e, asFloat), e.c32(23)),
                   e.c32(127 + 149));
  Value ea = e.select(normal, eNormal, eSub);
  Value sc = e.add(ea, e.c32(127 - emax));
  sc = arith::MaxSIOp::create(b, loc, sc, e.c32(0));
  sc = arith::MinSIOp::create(b, loc, sc, e.c32(254));
  sc = e.select(special, e.c32(255), sc);
  LLVM::StoreOp::create(b, loc, arith::TruncIOp::create(b, loc, e.i8, sc),
                        e.gep(S, e.i8, sOff));

  // 1 / scale = 2^(127 - sc): 2^-127 is the subnormal 0x00400000.
  Value invBits = e.select(cmp(e, P::eq, sc, e.c32(254)), e.c32(0x00400000),
                           e.shl(sub(e, e.c32(254), sc), e.c32(23)));
  Value inv = bitcastF32(e, invBits);
  auto codeLoop = scf::ForOp::create(b, loc, e.c64(0), n, e.c64(1));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(codeLoop.getBody());
    Value j = codeLoop.getInductionVar();
    Value off = e.add(base, j);
    Value x = LLVM::LoadOp::create(b, loc, e.f32, e.gep(X, e.f32, off));
    Value y = arith::MulFOp::create(b, loc, x, inv);
    Value code = encodeMini(e, bitcastI32(e, y), spec, true);
    // The block is NaN: every code the format's NaN, or 0 without one.
    code = e.select(special, e.c32(spec.nanCode()), code);
    LLVM::StoreOp::create(b, loc, arith::TruncIOp::create(b, loc, e.i8, code),
                          e.gep(C, e.i8, off));
  }
}

} // namespace

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildQuantizeMXFP8Kernel(ModuleOp top, llvm::StringRef name,
                                         KernelTarget t, Type elem) {
  if (!elem)
    elem = Float8E4M3FNType::get(top.getContext());
  OpBuilder b(top.getContext());
  Type ptr = LLVM::LLVMPointerType::get(top.getContext());
  FailureOr<gpu::GPUFuncOp> made = createKernel1D(
      top, t, name, {ptr, ptr, ptr, b.getI64Type(), b.getI32Type()}, b);
  if (failed(made))
    return failure();
  Block &entry = made->getBody().front();
  KernelEmitter e(b, made->getLoc());
  e.entry = &entry;
  Location loc = e.loc;
  Value X = entry.getArgument(0), C = entry.getArgument(1),
        S = entry.getArgument(2), blocks = entry.getArgument(3);
  Value K = arith::ExtSIOp::create(b, loc, e.i64, entry.getArgument(4));
  Value gid = guardedThreadIndex(e, blocks);

  Value nb = arith::DivSIOp::create(b, loc, e.add(K, e.c64(31)), e.c64(32));
  Value row = arith::DivUIOp::create(b, loc, gid, nb);
  Value kb = arith::RemUIOp::create(b, loc, gid, nb);
  Value lo = e.mul(kb, e.c64(32));
  Value n = arith::MinSIOp::create(b, loc, e.c64(32), sub(e, K, lo));
  emitQuantizeBlock(e, X, C, S, e.add(e.mul(row, K), lo), n,
                    e.add(e.mul(row, nb), kb), elem);
  b.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(b, loc);
  return *made;
}

namespace {

/// Whether `t` is a 4-bit integer (i4 or ui4): stored one code per byte
/// in a package (qc.weight's storage), only dequantized on the GPU.
bool isInt4(Type t) {
  return t.isSignlessInteger(4) || t.isUnsignedInteger(4);
}

/// The register type of a tensor element: i1 is stored as a byte, and
/// codes of the unsigned, 4-bit or float 8-bit formats are i8 (their bits).
Type storageType(KernelEmitter &e, Type elem) {
  if (elem.isInteger(1) || elem.isUnsignedInteger(8) || isInt4(elem) ||
      miniSpec(elem))
    return e.i8;
  if (elem.isUnsignedInteger()) // (ui16, ui32, ui64: signless, same width)
    return e.b.getIntegerType(elem.getIntOrFloatBitWidth());
  return elem;
}

/// Element `offset` of `base` as a register value (i1 from its byte; a
/// 4-bit code from the low nibble of its byte, sign-extended for i4, so a
/// byte written zero- or sign-extended reads the same; with `packed`, from
/// nibble offset & 1 of byte offset / 2, how weights.bin stores them).
Value loadElement(KernelEmitter &e, Value base, Type elem, Value offset,
                  bool packed = false) {
  Type st = storageType(e, elem);
  Value v;
  if (packed) {
    Value byte = LLVM::LoadOp::create(
        e.b, e.loc, e.i8, e.gep(base, e.i8, e.shru(offset, e.c64(1))));
    Value sh = arith::TruncIOp::create(e.b, e.loc, e.i8,
                                       e.mul(e.band(offset, e.c64(1)),
                                             e.c64(4)));
    v = arith::ShRUIOp::create(e.b, e.loc, byte, sh);
  } else {
    v = LLVM::LoadOp::create(e.b, e.loc, st, e.gep(base, st, offset));
  }
  if (elem.isInteger(1))
    v = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::ne, v,
                              e.cst(e.i8, 0));
  if (elem.isSignlessInteger(4))
    v = arith::ShRSIOp::create(
        e.b, e.loc,
        arith::ShLIOp::create(e.b, e.loc, v, e.cst(e.i8, 4)), e.cst(e.i8, 4));
  if (elem.isUnsignedInteger(4))
    v = arith::AndIOp::create(e.b, e.loc, v, e.cst(e.i8, 15));
  return v;
}

void storeElement(KernelEmitter &e, Value base, Type elem, Value offset,
                  Value v) {
  Type st = storageType(e, elem);
  if (elem.isInteger(1))
    v = arith::ExtUIOp::create(e.b, e.loc, e.i8, v);
  LLVM::StoreOp::create(e.b, e.loc, v, e.gep(base, st, offset));
}

/// A loaded `elem` element as a chain holds it: f16 and f64 in f32
/// registers, as the Executor holds every float tensor (f16 widens
/// exactly, f64 rounds to nearest even as the Executor's input binding
/// does); other types as they are.
Value toChainValue(KernelEmitter &e, Type elem, Value v) {
  if (elem.isF16())
    return arith::ExtFOp::create(e.b, e.loc, e.f32, v);
  if (elem.isF64())
    return arith::TruncFOp::create(e.b, e.loc, e.f32, v);
  return v;
}

/// A chain's f32 register value as an `elem` element to store: f64
/// exactly; f16 rounded to nearest even, overflowing to infinity, a NaN as
/// 0x7e00 with its sign (the Numerics library's f16 encoding, which the
/// Executor writes; cvt.rn.f16.f32 would give a canonical NaN). Other
/// types as they are.
Value fromChainValue(KernelEmitter &e, Type elem, Value v) {
  if (v.getType() != e.f32)
    return v;
  if (elem.isF64())
    return arith::ExtFOp::create(e.b, e.loc, elem, v);
  if (!elem.isF16())
    return v;
  Value bits = bitcastI32(e, v);
  Value nanBits = arith::TruncIOp::create(
      e.b, e.loc, e.b.getI16Type(),
      e.bor(e.band(e.shru(bits, e.c32(16)), e.c32(0x8000)), e.c32(0x7e00)));
  Value isNaN =
      arith::CmpFOp::create(e.b, e.loc, arith::CmpFPredicate::UNO, v, v);
  return e.select(isNaN, arith::BitcastOp::create(e.b, e.loc, elem, nanBits),
                  arith::TruncFOp::create(e.b, e.loc, elem, v));
}

/// A run-time scalar operand (qc.trilu's k, qc.cumsum's axis: one i32 or
/// i64 element at `ptr`) as an i64.
Value loadIndexScalar(KernelEmitter &e, Value ptr, Value operand) {
  Type t = cast<RankedTensorType>(operand.getType()).getElementType();
  Value v = LLVM::LoadOp::create(e.b, e.loc, t, ptr);
  if (t.getIntOrFloatBitWidth() < 64)
    v = arith::ExtSIOp::create(e.b, e.loc, e.i64, v);
  return v;
}

/// x^y of two integer registers, the Executor's intPow: both as 64-bit
/// values (sign- or zero-extended by their types), 64 steps of squaring
/// with wrapping products, a negative (signed) exponent giving 1 for
/// x = 1, ±1 for x = -1 and 0 otherwise; wrapped to x's width.
Value intPow(KernelEmitter &e, Value x, bool xUnsigned, Value y,
             bool yUnsigned) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  auto wide = [&](Value v, bool isUnsigned) -> Value {
    if (v.getType() == e.i64)
      return v;
    return isUnsigned ? arith::ExtUIOp::create(b, loc, e.i64, v).getResult()
                      : arith::ExtSIOp::create(b, loc, e.i64, v).getResult();
  };
  Value bx = wide(x, xUnsigned), ey = wide(y, yUnsigned);
  auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(64), e.c64(1),
                                 ValueRange{e.c64(1), bx, ey});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value r = loop.getRegionIterArgs()[0], base = loop.getRegionIterArgs()[1],
          ex = loop.getRegionIterArgs()[2];
    Value odd = e.eq(e.band(ex, e.c64(1)), e.c64(1));
    r = e.select(odd, e.mul(r, base), r);
    scf::YieldOp::create(
        b, loc, ValueRange{r, e.mul(base, base), e.shru(ex, e.c64(1))});
  }
  Value r = loop.getResult(0);
  if (!yUnsigned) {
    Value odd = e.eq(e.band(ey, e.c64(1)), e.c64(1));
    Value special =
        e.select(e.eq(bx, e.c64(1)), e.c64(1),
                 e.select(e.eq(bx, e.c64(-1)),
                          e.select(odd, e.c64(-1), e.c64(1)), e.c64(0)));
    r = e.select(e.slt(ey, e.c64(0)), special, r);
  }
  if (x.getType() == e.i64)
    return r;
  return arith::TruncIOp::create(b, loc, x.getType(), r);
}

/// C's fmodf(x, y), exactly (the Executor's float Mod): the remainder of
/// the magnitudes by shift-and-subtract long division of the significands,
/// one step per binade between them (at most 277), with x's sign; NaN for
/// y = 0, an infinite x or a NaN; x itself where |x| < |y|. (LLVM's frem
/// on NVPTX is x - trunc(x / y) * y, inexact for large quotients.)
Value fmodF32(KernelEmitter &e, Value x, Value y) {
  using P = arith::CmpIPredicate;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value ux = bitcastI32(e, x), uy = bitcastI32(e, y);
  Value sign = e.band(ux, e.c32(0x80000000u));
  Value ax = e.band(ux, e.c32(0x7fffffff)), ay = e.band(uy, e.c32(0x7fffffff));
  // Significand in [2^23, 2^24) and exponent with value m * 2^(ex - 150);
  // a subnormal is normalised (its exponent below 1).
  auto split = [&](Value a) -> std::pair<Value, Value> {
    Value ex = e.shru(a, e.c32(23));
    Value tiny = cmp(e, P::eq, ex, e.c32(0));
    Value lz =
        sub(e, LLVM::CountLeadingZerosOp::create(b, loc, e.i32, a, false),
            e.c32(8));
    Value m = e.select(tiny, e.shl(a, lz),
                       e.bor(e.band(a, e.c32(0x7fffff)), e.c32(0x800000)));
    Value ee = e.select(tiny, sub(e, e.c32(1), lz), ex);
    return {m, ee};
  };
  auto [mx0, ex] = split(ax);
  auto [my, ey] = split(ay);
  // (Only where ax > ay is the loop's count meaningful: clamped at 0.)
  Value steps = arith::MaxSIOp::create(b, loc, sub(e, ex, ey), e.c32(0));
  auto loop = scf::ForOp::create(b, loc, e.c64(0),
                                 arith::ExtUIOp::create(b, loc, e.i64, steps),
                                 e.c64(1), ValueRange{mx0});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value mx = loop.getRegionIterArgs()[0];
    Value r = sub(e, mx, my);
    mx = e.select(cmp(e, P::sge, r, e.c32(0)), r, mx);
    scf::YieldOp::create(b, loc, ValueRange{e.shl(mx, e.c32(1))});
  }
  Value mx = loop.getResult(0);
  Value r = sub(e, mx, my);
  mx = e.select(cmp(e, P::sge, r, e.c32(0)), r, mx);
  // mx * 2^(ey - 150) back to f32 bits: normalised, or shifted into the
  // subnormal range (exactly: x and y are multiples of 2^-149).
  Value nz = e.select(cmp(e, P::eq, mx, e.c32(0)), e.c32(1), mx);
  Value s = sub(e, LLVM::CountLeadingZerosOp::create(b, loc, e.i32, nz, false),
                e.c32(8));
  Value mn = e.shl(mx, s), en = sub(e, ey, s);
  Value normal = e.bor(e.shl(en, e.c32(23)), e.band(mn, e.c32(0x7fffff)));
  Value subShift =
      arith::MinSIOp::create(b, loc, sub(e, e.c32(1), en), e.c32(31));
  Value subnormal = e.shru(mn, subShift);
  Value mag = e.select(cmp(e, P::sgt, en, e.c32(0)), normal, subnormal);
  mag = e.select(cmp(e, P::eq, mx, e.c32(0)), e.c32(0), mag);
  Value res = e.bor(mag, sign);
  // |x| < |y| (y infinite included): x; |x| = |y|: a zero of x's sign.
  res = e.select(cmp(e, P::eq, ax, ay), sign, res);
  res = e.select(cmp(e, P::ult, ax, ay), ux, res);
  Value prod = arith::MulFOp::create(b, loc, x, y);
  Value nan = arith::DivFOp::create(b, loc, prod, prod);
  Value bad = e.bor(
      e.bor(cmp(e, P::eq, ay, e.c32(0)), cmp(e, P::uge, ax, e.c32(0x7f800000))),
      cmp(e, P::ugt, ay, e.c32(0x7f800000)));
  return e.select(bad, nan, bitcastF32(e, res));
}

Value f64c(KernelEmitter &e, double v) {
  return arith::ConstantFloatOp::create(e.b, e.loc, e.b.getF64Type(),
                                        llvm::APFloat(v));
}

/// |x| of an f64 by its bits (NaN stays NaN).
Value absF64(KernelEmitter &e, Value x) {
  return arith::BitcastOp::create(
      e.b, e.loc, e.b.getF64Type(),
      e.band(arith::BitcastOp::create(e.b, e.loc, e.i64, x),
             e.c64(0x7fffffffffffffffll)));
}

/// copysign(mag, sign) of f64s by their bits.
Value copySignF64(KernelEmitter &e, Value mag, Value sign) {
  auto bits = [&](Value v) {
    return arith::BitcastOp::create(e.b, e.loc, e.i64, v).getResult();
  };
  return arith::BitcastOp::create(
      e.b, e.loc, e.b.getF64Type(),
      e.bor(e.band(bits(mag), e.c64(0x7fffffffffffffffll)),
            e.band(bits(sign), e.c64(int64_t(0x8000000000000000ull)))));
}

/// An f64 clamped to expClamped's domain [-700, 700] as the Executor
/// clamps it (z < -700 ? -700 : (z > 700 ? 700 : z); NaN stays NaN).
Value clampExpArg(KernelEmitter &e, Value z) {
  using FP = arith::CmpFPredicate;
  return e.select(
      arith::CmpFOp::create(e.b, e.loc, FP::OLT, z, f64c(e, -700.0)),
      f64c(e, -700.0),
      e.select(arith::CmpFOp::create(e.b, e.loc, FP::OGT, z, f64c(e, 700.0)),
               f64c(e, 700.0), z));
}

/// The Executor's expClamped (FastMath.h) in f64, operation for operation:
/// e^z by z = k ln2 + r and a degree-8 Taylor polynomial of e^r.
Value expClamped(KernelEmitter &e, Value z) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  auto mul = [&](Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); };
  auto add = [&](Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); };
  Type i64 = e.i64, f64 = b.getF64Type();
  Value shifter = f64c(e, 6755399441055744.0);
  Value kd = add(mul(z, f64c(e, 1.4426950408889634)), shifter);
  Value ki = arith::BitcastOp::create(b, loc, i64, kd);
  kd = arith::SubFOp::create(b, loc, kd, shifter);
  Value r = arith::SubFOp::create(b, loc, z, mul(kd, f64c(e, 0.6931471805599453)));
  Value p = f64c(e, 1.0 / 40320);
  for (double c : {1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5,
                   1.0, 1.0})
    p = add(mul(p, r), f64c(e, c));
  Value bits = e.shl(e.add(ki, e.c64(1023)), e.c64(52));
  return mul(p, arith::BitcastOp::create(b, loc, f64, bits));
}

/// The Executor's fastTanh: f64, the Taylor series below 0.1.
Value fastTanh(KernelEmitter &e, Value xf) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  auto mul = [&](Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); };
  auto add = [&](Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); };
  auto sub = [&](Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); };
  Type f64 = b.getF64Type();
  Value x = arith::ExtFOp::create(b, loc, f64, xf);
  Value ax = absF64(e, x);
  Value y = e.select(arith::CmpFOp::create(b, loc, FP::OGT, ax, f64c(e, 20.0)),
                     f64c(e, 20.0), ax);
  Value ex = expClamped(e, mul(f64c(e, 2.0), y));
  Value big = sub(f64c(e, 1.0),
                  arith::DivFOp::create(b, loc, f64c(e, 2.0), add(ex, f64c(e, 1.0))));
  Value x2 = mul(x, x);
  Value s = f64c(e, 21844.0 / 6081075);
  s = sub(mul(s, x2), f64c(e, 1382.0 / 155925));
  s = add(mul(s, x2), f64c(e, 62.0 / 2835));
  s = sub(mul(s, x2), f64c(e, 17.0 / 315));
  s = add(mul(s, x2), f64c(e, 2.0 / 15));
  s = sub(mul(s, x2), f64c(e, 1.0 / 3));
  Value small = mul(x, add(f64c(e, 1.0), mul(x2, s)));
  Value r = e.select(arith::CmpFOp::create(b, loc, FP::OLT, ax, f64c(e, 0.1)),
                     small, copySignF64(e, big, x));
  return arith::TruncFOp::create(b, loc, e.f32, r);
}

/// The Executor's fastErf (FastMath.h): A&S 7.1.6 in f64, its 60
/// coefficients (kErfCoefficients, computed the same way), the same four
/// Horner chains in x^8 and the same combination, |x| > 4 giving ±1; the
/// bit-exact tests against the Executor keep the two in step.
Value fastErf(KernelEmitter &e, Value xf) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  auto mul = [&](Value x, Value y) {
    return arith::MulFOp::create(b, loc, x, y).getResult();
  };
  auto add = [&](Value x, Value y) {
    return arith::AddFOp::create(b, loc, x, y).getResult();
  };
  constexpr int terms = 60;
  double c[terms];
  double v = 1.0;
  for (int n = 0; n < terms; ++n) {
    c[n] = v;
    v = v * 2.0 / (2 * n + 3);
  }
  Type f64 = b.getF64Type();
  Value x = arith::ExtFOp::create(b, loc, f64, xf);
  Value ax = absF64(e, x);
  Value big = arith::CmpFOp::create(b, loc, FP::OGT, ax, f64c(e, 4.0));
  Value y = e.select(big, f64c(e, 4.0), ax); // NaN stays NaN
  Value z = mul(y, y), z2 = mul(z, z), z4 = mul(z2, z2);
  Value q[4];
  for (int j = 0; j < 4; ++j) {
    Value p = f64c(e, c[terms - 4 + j]);
    for (int i = terms / 4 - 2; i >= 0; --i)
      p = add(mul(p, z4), f64c(e, c[4 * i + j]));
    q[j] = p;
  }
  Value poly = add(add(q[0], mul(z, q[1])), mul(z2, add(q[2], mul(z, q[3]))));
  Value r = mul(mul(f64c(e, 1.1283791670955126),
                    expClamped(e, arith::NegFOp::create(b, loc, z))),
                mul(y, poly));
  r = e.select(big, f64c(e, 1.0), r);
  return arith::TruncFOp::create(b, loc, e.f32, copySignF64(e, r, x));
}

/// The Executor's fastExpm1 (FastMath.h): below 0.5 in magnitude x times
/// the Taylor polynomial to x^15/16! (Horner, its coefficients 1/n! from
/// 16! divided down, as there), else expClamped of x clamped to [-700,
/// 700] minus 1; in f64, rounded once.
Value fastExpm1(KernelEmitter &e, Value xf) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  Type f64 = b.getF64Type();
  Value x = arith::ExtFOp::create(b, loc, f64, xf);
  Value p = f64c(e, 1.0 / 20922789888000.0);
  double f = 20922789888000.0;
  for (int k = 15; k >= 1; --k) {
    f /= k + 1;
    p = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, p, x),
                              f64c(e, 1.0 / f));
  }
  Value small = arith::MulFOp::create(b, loc, x, p);
  Value big = arith::SubFOp::create(b, loc, expClamped(e, clampExpArg(e, x)),
                                    f64c(e, 1.0));
  return arith::TruncFOp::create(
      b, loc, e.f32,
      e.select(
          arith::CmpFOp::create(b, loc, FP::OLT, absF64(e, x), f64c(e, 0.5)),
          small, big));
}

/// The Executor's fastExp of one f32: expClamped of x clamped to [-700,
/// 700] in f64, rounded once.
Value fastExpValue(KernelEmitter &e, Value xf) {
  Value z = arith::ExtFOp::create(e.b, e.loc, e.b.getF64Type(), xf);
  return arith::TruncFOp::create(e.b, e.loc, e.f32,
                                 expClamped(e, clampExpArg(e, z)));
}

/// The Executor's twoAtanh (FastMath.h): 2 s Σ s^(2k) / (2k + 1), k =
/// 0..17, Horner from the last term, in f64.
Value twoAtanh(KernelEmitter &e, Value s) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value s2 = arith::MulFOp::create(b, loc, s, s);
  Value p = f64c(e, 1.0 / 35);
  for (int k = 16; k >= 0; --k)
    p = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, p, s2),
                              f64c(e, 1.0 / (2 * k + 1)));
  return arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, f64c(e, 2.0), s), p);
}

/// The Executor's fastLogD of an f64: x = m 2^e (m in [sqrt(1/2),
/// sqrt(2))) from its bits, e ln 2 + twoAtanh((m - 1) / (m + 1)); 0 gives
/// -inf, inf inf, a negative x or NaN the quiet NaN.
Value fastLogD(KernelEmitter &e, Value x) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  Type f64 = b.getF64Type();
  Value bits = arith::BitcastOp::create(b, loc, e.i64, x);
  Value ex = arith::SubIOp::create(
      b, loc, e.band(e.shru(bits, e.c64(52)), e.c64(0x7ff)), e.c64(1023));
  Value m = arith::BitcastOp::create(
      b, loc, f64,
      e.bor(e.band(bits, e.c64(0xfffffffffffffll)),
            e.c64(0x3ff0000000000000ll)));
  Value big = arith::CmpFOp::create(b, loc, FP::OGT, m,
                                    f64c(e, 1.4142135623730951));
  m = e.select(big, arith::MulFOp::create(b, loc, m, f64c(e, 0.5)), m);
  ex = e.add(ex, arith::ExtUIOp::create(b, loc, e.i64, big));
  Value s = arith::DivFOp::create(
      b, loc, arith::SubFOp::create(b, loc, m, f64c(e, 1.0)),
      arith::AddFOp::create(b, loc, m, f64c(e, 1.0)));
  Value r = arith::AddFOp::create(
      b, loc,
      arith::MulFOp::create(b, loc,
                            arith::SIToFPOp::create(b, loc, f64, ex),
                            f64c(e, 0.6931471805599453)),
      twoAtanh(e, s));
  double inf = std::numeric_limits<double>::infinity();
  Value special = e.select(
      arith::CmpFOp::create(b, loc, FP::OEQ, x, f64c(e, 0.0)), f64c(e, -inf),
      f64c(e, std::numeric_limits<double>::quiet_NaN()));
  r = e.select(arith::CmpFOp::create(b, loc, FP::OGT, x, f64c(e, 0.0)), r,
               special);
  return e.select(arith::CmpFOp::create(b, loc, FP::OEQ, x, f64c(e, inf)),
                  f64c(e, inf), r);
}

/// The Executor's fastLog: fastLogD of the float, rounded once.
Value fastLog(KernelEmitter &e, Value xf) {
  return arith::TruncFOp::create(
      e.b, e.loc, e.f32,
      fastLogD(e, arith::ExtFOp::create(e.b, e.loc, e.b.getF64Type(), xf)));
}

/// The Executor's sinCosReduced (FastMath.h) of an f32: |x| below pi/4
/// as r, else reduceQuadrants in i128 (the float's significand times a
/// 96-bit window of 2/pi's bits, the quadrant from the product's top bits,
/// the rounded fraction normalized by its leading zeros to an f64, times
/// pi/2), then the quadrant's Taylor series in f64 (the same coefficients,
/// computed the same way), with sin's sign taken from x; NaN for inf and
/// NaN. The Executor's fastTan takes both series of the same r: sin r /
/// cos r, or -cos r / sin r in an odd quadrant, with x's sign. Returns
/// the f64 before the final rounding.
enum class Trig { Sin, Cos, Tan };
Value sinCosTan(KernelEmitter &e, Value xf, Trig fn) {
  bool wantCos = fn == Trig::Cos;
  // 2/pi's first bits, 32 per word (FastMath.h's kTwoOverPiBits).
  static constexpr uint32_t twoOverPi[8] = {
      0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
      0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561};
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  Type i128 = b.getIntegerType(128), f64 = b.getF64Type();
  auto c128 = [&](const APInt &v) {
    return arith::ConstantOp::create(b, loc, IntegerAttr::get(i128, v))
        .getResult();
  };
  auto k128 = [&](uint64_t v) { return c128(APInt(128, v)); };
  auto sh = [&](bool left, Value v, Value n) -> Value {
    return left ? arith::ShLIOp::create(b, loc, v, n).getResult()
                : arith::ShRUIOp::create(b, loc, v, n).getResult();
  };
  auto to128 = [&](Value v) {
    return arith::ExtUIOp::create(b, loc, i128, v).getResult();
  };
  auto to64 = [&](Value v) {
    return arith::TruncIOp::create(b, loc, e.i64, v).getResult();
  };
  Value ab = e.band(bitcastI32(e, xf), e.c32(0x7fffffff));
  Value af = bitcastF32(e, ab);
  // Reduction (its values are unused where |x| <= pi/4 or x is not finite).
  Value bits = arith::ExtUIOp::create(b, loc, e.i64, ab);
  Value ex = e.band(e.shru(bits, e.c64(23)), e.c64(0xff));
  Value isNormal = arith::CmpIOp::create(b, loc, IP::ne, ex, e.c64(0));
  Value m = e.bor(e.band(bits, e.c64(0x7fffff)),
                  e.select(isNormal, e.c64(0x800000), e.c64(0)));
  Value q = sub(e, e.select(isNormal, ex, e.c64(1)), e.c64(150));
  Value j0 = arith::MaxSIOp::create(b, loc, sub(e, q, e.c64(1)), e.c64(1));
  Value j1 = sub(e, j0, e.c64(1));
  Value w = arith::DivUIOp::create(b, loc, j1, e.c64(32));
  Value s = arith::RemUIOp::create(b, loc, j1, e.c64(32));
  Value win = c128(APInt(128, 0));
  for (int k = 3; k >= 0; --k) {
    APInt v(128, 0);
    for (int i = 0; i < 4; ++i)
      v = v.shl(32) | APInt(128, twoOverPi[k + i]);
    win = e.select(e.eq(w, e.c64(k)), c128(v), win);
  }
  win = sh(false, sh(true, win, to128(s)), k128(32));
  Value p = arith::MulIOp::create(b, loc, win, to128(m));
  Value pt = sub(e, e.add(j0, e.c64(95)), q);
  pt = arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, pt, e.c64(1)),
                              e.c64(127)); // (in range for every finite x)
  Value quad = to64(e.band(sh(false, p, to128(pt)), k128(3)));
  Value f = sh(true, p, to128(sub(e, e.c64(128), pt)));
  Value up = arith::CmpIOp::create(b, loc, IP::ne,
                                   sh(false, f, k128(127)), k128(0));
  quad = e.add(quad, arith::ExtUIOp::create(b, loc, e.i64, up));
  Value a = e.select(up, arith::SubIOp::create(b, loc, k128(0), f), f);
  Value hi = to64(sh(false, a, k128(64))), lo = to64(a);
  auto clz = [&](Value v) {
    return LLVM::CountLeadingZerosOp::create(b, loc, e.i64, v, false)
        .getResult();
  };
  Value hiZero = e.eq(hi, e.c64(0));
  Value zero = e.land(hiZero, e.eq(lo, e.c64(0)));
  Value lz = e.select(hiZero, e.add(e.c64(64), clz(lo)), clz(hi));
  lz = e.select(zero, e.c64(0), lz);
  Value top = to64(sh(false, sh(true, a, to128(lz)), k128(64)));
  Value scale = arith::BitcastOp::create(
      b, loc, f64, e.shl(sub(e, e.c64(1023 - 64), lz), e.c64(52)));
  Value r = arith::MulFOp::create(
      b, loc,
      arith::MulFOp::create(b, loc,
                            arith::UIToFPOp::create(b, loc, f64, top), scale),
      f64c(e, 1.5707963267948966));
  r = e.select(up, arith::NegFOp::create(b, loc, r), r);
  r = e.select(zero, f64c(e, 0.0), r);
  // |x| <= pi/4: r = |x|, no quadrant.
  Value small = arith::CmpFOp::create(b, loc, FP::OLE, af,
                                      e.f32c(0.785398163f));
  r = e.select(small, arith::ExtFOp::create(b, loc, f64, af).getResult(), r);
  quad = e.select(small, e.c64(0), quad);
  quad = e.band(e.add(quad, e.c64(wantCos ? 1 : 0)), e.c64(3));
  // The series, Horner in r^2, coefficients 1/n! by repeated division.
  Value r2 = arith::MulFOp::create(b, loc, r, r);
  auto series = [&](bool cosine) {
    int terms = cosine ? 11 : 10;
    Value acc = f64c(e, 0.0);
    for (int n = terms; n >= 1; --n) {
      double c = 1.0;
      for (int i = 2; i <= 2 * n + (cosine ? 0 : 1); ++i)
        c /= i;
      acc = arith::AddFOp::create(b, loc,
                                  arith::MulFOp::create(b, loc, acc, r2),
                                  f64c(e, n % 2 ? -c : c));
    }
    if (cosine)
      return arith::AddFOp::create(b, loc, f64c(e, 1.0),
                                   arith::MulFOp::create(b, loc, r2, acc))
          .getResult();
    return arith::AddFOp::create(
               b, loc, r,
               arith::MulFOp::create(b, loc,
                                     arith::MulFOp::create(b, loc, r, r2), acc))
        .getResult();
  };
  Value odd = e.eq(e.band(quad, e.c64(1)), e.c64(1));
  Value v;
  if (fn == Trig::Tan) {
    Value sn = series(false), cs = series(true);
    v = e.select(
        odd,
        arith::DivFOp::create(b, loc, arith::NegFOp::create(b, loc, cs), sn),
        arith::DivFOp::create(b, loc, sn, cs));
  } else {
    v = e.select(odd, series(true), series(false));
    v = e.select(e.eq(e.band(quad, e.c64(2)), e.c64(2)),
                 arith::NegFOp::create(b, loc, v), v);
  }
  Value finite = arith::CmpFOp::create(b, loc, FP::OLE, af,
                                       e.f32c(3.4028235e38f));
  v = e.select(finite, v,
               f64c(e, std::numeric_limits<double>::quiet_NaN()));
  if (!wantCos) {
    Value neg = arith::CmpIOp::create(b, loc, IP::slt, bitcastI32(e, xf),
                                      e.c32(0));
    v = e.select(neg, arith::NegFOp::create(b, loc, v), v);
  }
  return v;
}

/// f64 arithmetic and tests for the elementary functions below, one
/// operation each, in the order FastMath.h writes them.
struct F64Ops {
  KernelEmitter &e;
  Value c(double v) { return f64c(e, v); }
  Value add(Value x, Value y) {
    return arith::AddFOp::create(e.b, e.loc, x, y);
  }
  Value sub(Value x, Value y) {
    return arith::SubFOp::create(e.b, e.loc, x, y);
  }
  Value mul(Value x, Value y) {
    return arith::MulFOp::create(e.b, e.loc, x, y);
  }
  Value div(Value x, Value y) {
    return arith::DivFOp::create(e.b, e.loc, x, y);
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(e.b, e.loc, p, x, y);
  }
  Value sqrt(Value x) { return sqrtRN(e, x); }
  Value ext(Value xf) {
    return arith::ExtFOp::create(e.b, e.loc, e.b.getF64Type(), xf);
  }
  Value round(Value x) { return arith::TruncFOp::create(e.b, e.loc, e.f32, x); }
  Value nan() { return c(std::numeric_limits<double>::quiet_NaN()); }
};

/// The Executor's fastSinh and fastCosh (FastMath.h): e = expClamped(|x|
/// clamped to 700), (e -/+ 1/e) / 2; sinh below 1 in magnitude by its
/// series to x^21 (sinhSeries, coefficients by repeated division), else
/// with x's sign; rounded once.
Value fastSinhCosh(KernelEmitter &e, Value xf, bool cosh) {
  using FP = arith::CmpFPredicate;
  F64Ops d{e};
  Value x = d.ext(xf), ax = absF64(e, x);
  Value cl = e.select(d.cmp(FP::OGT, ax, d.c(700.0)), d.c(700.0), ax);
  Value ex = expClamped(e, cl);
  Value inv = d.div(d.c(1.0), ex);
  if (cosh)
    return d.round(d.mul(d.c(0.5), d.add(ex, inv)));
  Value big = d.mul(d.c(0.5), d.sub(ex, inv));
  Value x2 = d.mul(x, x), p = d.c(0.0);
  for (int n = 10; n >= 1; --n) {
    double c = 1.0;
    for (int i = 2; i <= 2 * n + 1; ++i)
      c /= i;
    p = d.add(d.mul(p, x2), d.c(c));
  }
  Value small = d.add(x, d.mul(d.mul(x, x2), p));
  return d.round(
      e.select(d.cmp(FP::OLT, ax, d.c(1.0)), small, copySignF64(e, big, x)));
}

/// The Executor's atanD (FastMath.h) of an f64: |x| > 1 as pi/2 -
/// atan(1/|x|), above tan(pi/12) as pi/6 + atan((sqrt3 u - 1) / (u +
/// sqrt3)), the series to w^31, x's sign.
Value atanD(KernelEmitter &e, Value x) {
  using FP = arith::CmpFPredicate;
  F64Ops d{e};
  Value t = absF64(e, x);
  Value inv = d.cmp(FP::OGT, t, d.c(1.0));
  Value u = e.select(inv, d.div(d.c(1.0), t), t);
  Value mid = d.cmp(FP::OGT, u, d.c(0.2679491924311227));
  Value s3 = d.c(1.7320508075688772);
  Value w =
      e.select(mid, d.div(d.sub(d.mul(u, s3), d.c(1.0)), d.add(u, s3)), u);
  Value w2 = d.mul(w, w), p = d.c(-1.0 / 31);
  for (int k = 14; k >= 0; --k)
    p = d.add(d.mul(p, w2), d.c((k % 2 ? -1.0 : 1.0) / (2 * k + 1)));
  Value a =
      d.add(e.select(mid, d.c(0.5235987755982989), d.c(0.0)), d.mul(w, p));
  a = e.select(inv, d.sub(d.c(1.5707963267948966), a), a);
  return copySignF64(e, a, x);
}

/// The Executor's asinD: atanD(x / sqrt(1 - x^2)).
Value asinD(KernelEmitter &e, Value x) {
  F64Ops d{e};
  return atanD(e, d.div(x, d.sqrt(d.sub(d.c(1.0), d.mul(x, x)))));
}

/// The Executor's log1pD of an f64 t >= 0: twoAtanh(t / (2 + t)) up to
/// 1, else fastLogD(1 + t).
Value log1pD(KernelEmitter &e, Value t) {
  F64Ops d{e};
  return e.select(d.cmp(arith::CmpFPredicate::OLE, t, d.c(1.0)),
                  twoAtanh(e, d.div(t, d.add(d.c(2.0), t))),
                  fastLogD(e, d.add(d.c(1.0), t)));
}

/// The Executor's fastAtan, fastAsin, fastAcos (pi/2 - asinD), fastAsinh,
/// fastAcosh and fastAtanh of an f32 (FastMath.h), rounded once.
Value inverseTrig(KernelEmitter &e, Operation *op, Value xf) {
  using FP = arith::CmpFPredicate;
  F64Ops d{e};
  Value x = d.ext(xf), ax = absF64(e, x);
  Value r =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([&](qc::AtanOp) { return atanD(e, x); })
          .Case([&](qc::AsinOp) { return asinD(e, x); })
          .Case([&](qc::AcosOp) {
            return d.sub(d.c(1.5707963267948966), asinD(e, x));
          })
          .Case([&](qc::AsinhOp) {
            Value x2 = d.mul(x, x);
            Value small = log1pD(
                e, d.add(ax, d.div(x2, d.add(d.c(1.0),
                                             d.sqrt(d.add(x2, d.c(1.0)))))));
            Value big = fastLogD(e, d.add(ax, d.sqrt(d.add(x2, d.c(1.0)))));
            return copySignF64(
                e, e.select(d.cmp(FP::OGT, ax, d.c(1.0)), big, small), x);
          })
          .Case([&](qc::AcoshOp) {
            Value xm = d.sub(x, d.c(1.0));
            Value r =
                log1pD(e, d.add(xm, d.sqrt(d.mul(xm, d.add(x, d.c(1.0))))));
            return e.select(d.cmp(FP::OGE, x, d.c(1.0)), r, d.nan());
          })
          .Case([&](qc::AtanhOp) {
            Value small = d.mul(d.c(0.5), twoAtanh(e, x));
            Value big = d.mul(
                d.c(0.5),
                fastLogD(e, d.div(d.add(d.c(1.0), ax), d.sub(d.c(1.0), ax))));
            return e.select(d.cmp(FP::OLE, ax, d.c(1.0 / 3)), small,
                            copySignF64(e, big, x));
          });
  return d.round(r);
}

/// The Executor's fastPowD (FastMath.h) of f64 x (a float's value) and y:
/// e^(y log|x|) (fastLogD, expClamped of the product clamped to [-700,
/// 700]), negated for a negative x and an odd integer y, NaN for a finite
/// negative x and a finite non-integer y, 1 for y = 0, x = 1, and x = -1
/// with y = ±inf; y = 2 and 3 as products. Whether y is an integer, and
/// odd: below 2^53 in magnitude its truncation (fptosi) compared with it
/// and that integer's low bit (the Executor's floor tests), beyond an
/// even integer (inf included; NaN neither).
Value fastPowD(KernelEmitter &e, Value x, Value y) {
  using FP = arith::CmpFPredicate;
  F64Ops d{e};
  OpBuilder &b = e.b;
  double inf = std::numeric_limits<double>::infinity();
  Value z = d.mul(y, fastLogD(e, absF64(e, x)));
  Value r = expClamped(e, clampExpArg(e, z));
  Value ay = absF64(e, y);
  Value small = d.cmp(FP::OLT, ay, d.c(9007199254740992.0));
  Value ti =
      arith::FPToSIOp::create(b, e.loc, e.i64, e.select(small, y, d.c(0.0)));
  Value yInt = e.select(
      small,
      d.cmp(FP::OEQ, arith::SIToFPOp::create(b, e.loc, b.getF64Type(), ti), y),
      d.cmp(FP::OGE, ay, d.c(9007199254740992.0)));
  Value yOdd =
      e.land(e.land(yInt, small), e.eq(e.band(ti, e.c64(1)), e.c64(1)));
  Value xNeg = arith::CmpIOp::create(
      b, e.loc, arith::CmpIPredicate::slt,
      arith::BitcastOp::create(b, e.loc, e.i64, x), e.c64(0));
  r = e.select(e.land(yOdd, xNeg), arith::NegFOp::create(b, e.loc, r), r);
  Value negFinite =
      e.land(d.cmp(FP::OLT, x, d.c(0.0)), d.cmp(FP::OGT, x, d.c(-inf)));
  Value yFrac = arith::XOrIOp::create(b, e.loc, yInt, e.cst(b.getI1Type(), 1));
  r = e.select(e.land(negFinite, yFrac), d.nan(), r);
  Value one =
      e.bor(e.bor(d.cmp(FP::OEQ, y, d.c(0.0)), d.cmp(FP::OEQ, x, d.c(1.0))),
            e.land(d.cmp(FP::OEQ, x, d.c(-1.0)), d.cmp(FP::OEQ, ay, d.c(inf))));
  r = e.select(one, d.c(1.0), r);
  Value x2 = d.mul(x, x);
  r = e.select(d.cmp(FP::OEQ, y, d.c(3.0)), d.mul(x2, x), r);
  return e.select(d.cmp(FP::OEQ, y, d.c(2.0)), x2, r);
}

/// The Executor's lseTerm: e^d of a log-sum-exp's d = x - max (f64): 0
/// below -700, inf above 700 (only where an element is +inf, whose own
/// term is inf), else expClamped(d); NaN stays NaN.
Value lseTerm(KernelEmitter &e, Value d) {
  using FP = arith::CmpFPredicate;
  Value v = expClamped(e, d);
  v = e.select(arith::CmpFOp::create(e.b, e.loc, FP::OGT, d, f64c(e, 700.0)),
               f64c(e, std::numeric_limits<double>::infinity()), v);
  return e.select(
      arith::CmpFOp::create(e.b, e.loc, FP::OLT, d, f64c(e, -700.0)),
      f64c(e, 0.0), v);
}

/// The Executor's fastSoftplus: max(x, 0) + twoAtanh(t / (2 + t)) with t
/// = expClamped(-min(|x|, 700)), in f64, rounded once.
Value fastSoftplus(KernelEmitter &e, Value xf) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  Type f64 = b.getF64Type();
  Value x = arith::ExtFOp::create(b, loc, f64, xf);
  // |x| is at least 0, so clamping it to [-700, 700] is its min with 700.
  Value ax = clampExpArg(e, absF64(e, x));
  Value t = expClamped(e, arith::NegFOp::create(b, loc, ax));
  Value l = twoAtanh(
      e, arith::DivFOp::create(
             b, loc, t, arith::AddFOp::create(b, loc, f64c(e, 2.0), t)));
  Value pos = e.select(arith::CmpFOp::create(b, loc, FP::OGT, x, f64c(e, 0.0)),
                       x, f64c(e, 0.0));
  return arith::TruncFOp::create(b, loc, e.f32,
                                 arith::AddFOp::create(b, loc, pos, l));
}

/// The Executor's fastSigmoid: 1 / (1 + e^-x) in f64, -x clamped to 700.
Value fastSigmoid(KernelEmitter &e, Value xf) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value z = clampExpArg(
      e, arith::NegFOp::create(
             b, loc, arith::ExtFOp::create(b, loc, b.getF64Type(), xf)));
  Value d = arith::AddFOp::create(b, loc, f64c(e, 1.0), expClamped(e, z));
  return arith::TruncFOp::create(b, loc, e.f32,
                                 arith::DivFOp::create(b, loc, f64c(e, 1.0), d));
}

/// lhs < rhs (etc.): signed for integers, ordered for floats (NaN: false).
Value compareValues(KernelEmitter &e, Operation *op, Value x, Value y) {
  bool isFloat = isa<FloatType>(x.getType());
  using IP = arith::CmpIPredicate;
  using FP = arith::CmpFPredicate;
  IP ip = isa<qc::LessOp>(op)        ? IP::slt
          : isa<qc::LessEqualOp>(op) ? IP::sle
          : isa<qc::GreaterOp>(op)     ? IP::sgt
          : isa<qc::EqualOp>(op)       ? IP::eq
                                       : IP::sge;
  FP fp = isa<qc::LessOp>(op)        ? FP::OLT
          : isa<qc::LessEqualOp>(op) ? FP::OLE
          : isa<qc::GreaterOp>(op)     ? FP::OGT
          : isa<qc::EqualOp>(op)       ? FP::OEQ
                                       : FP::OGE;
  if (isFloat)
    return arith::CmpFOp::create(e.b, e.loc, fp, x, y);
  return arith::CmpIOp::create(e.b, e.loc, ip, x, y);
}

/// NaN if either is NaN, else `x pred y ? x : y`.
Value pickNaN(KernelEmitter &e, arith::CmpFPredicate pred, Value x, Value y) {
  Value nan = arith::CmpFOp::create(e.b, e.loc, arith::CmpFPredicate::UNO, x, y);
  Value pick = arith::CmpFOp::create(e.b, e.loc, pred, x, y);
  return e.select(nan, e.f32c(std::numeric_limits<float>::quiet_NaN()),
                  e.select(pick, x, y));
}

/// The Executor's maxNaN for f32: NaN if either is NaN, else x > y ? x : y.
Value maxNaN(KernelEmitter &e, Value x, Value y) {
  return pickNaN(e, arith::CmpFPredicate::OGT, x, y);
}

/// The Executor's minNaN for f32: NaN if either is NaN, else x < y ? x : y.
Value minNaN(KernelEmitter &e, Value x, Value y) {
  return pickNaN(e, arith::CmpFPredicate::OLT, x, y);
}

/// qc.clip of one f32: x < lo ? lo : (x > hi ? hi : x), NaN kept (the
/// Executor's clip); an absent bound does not clip.
Value clipValue(KernelEmitter &e, Value x, std::optional<float> lo,
                std::optional<float> hi) {
  using P = arith::CmpFPredicate;
  Value r = x;
  if (hi)
    r = e.select(arith::CmpFOp::create(e.b, e.loc, P::OGT, x, e.f32c(*hi)),
                 e.f32c(*hi), r);
  if (lo)
    r = e.select(arith::CmpFOp::create(e.b, e.loc, P::OLT, x, e.f32c(*lo)),
                 e.f32c(*lo), r);
  return r;
}

/// qc.round of one f32, half to even (the Executor's nearbyint): below
/// 2^23 in magnitude (|x| + 2^23) - 2^23 (its sum lies in [2^23, 2^24),
/// where f32's step is 1) with x's sign (-0.3 gives -0); larger values,
/// Inf and NaN are x itself.
Value roundHalfEven(KernelEmitter &e, Value x) {
  OpBuilder &b = e.b;
  Value ax = bitcastF32(e, e.band(bitcastI32(e, x), e.c32(0x7fffffff)));
  Value magic = e.f32c(8388608.0f);
  Value r = arith::SubFOp::create(
      b, e.loc, arith::AddFOp::create(b, e.loc, ax, magic), magic);
  r = bitcastF32(e, e.bor(bitcastI32(e, r),
                          e.band(bitcastI32(e, x),
                                 e.c32(std::numeric_limits<int32_t>::min()))));
  Value small = arith::CmpFOp::create(b, e.loc, arith::CmpFPredicate::OLT, ax,
                                      magic);
  return e.select(small, r, x);
}

/// std::floor (`ceil` false) or std::ceil of one f32: below 2^23 in
/// magnitude x truncated toward zero (fptosi, sitofp: exact), one down
/// (floor) where that is above x or one up (ceil) where below, with x's
/// sign (floor(-0.0) is -0.0, ceil(-0.5) is -0.0: the result's sign is
/// always x's); larger values, Inf and NaN are x itself.
Value floorOrCeil(KernelEmitter &e, Value x, bool ceil) {
  using P = arith::CmpFPredicate;
  OpBuilder &b = e.b;
  Value t = arith::SIToFPOp::create(
      b, e.loc, e.f32, arith::FPToSIOp::create(b, e.loc, e.i32, x));
  Value off = arith::CmpFOp::create(b, e.loc, ceil ? P::OLT : P::OGT, t, x);
  Value r = e.select(
      off, arith::AddFOp::create(b, e.loc, t, e.f32c(ceil ? 1.0f : -1.0f)), t);
  r = bitcastF32(e, e.bor(e.band(bitcastI32(e, r), e.c32(0x7fffffff)),
                          e.band(bitcastI32(e, x),
                                 e.c32(std::numeric_limits<int32_t>::min()))));
  Value ax = bitcastF32(e, e.band(bitcastI32(e, x), e.c32(0x7fffffff)));
  Value small = arith::CmpFOp::create(b, e.loc, P::OLT, ax, e.f32c(8388608.0f));
  return e.select(small, r, x);
}

/// qc.cast of one f32 to i8 / ui8 (`isSigned`): NaN -> 0, clamped, truncated
/// toward zero (the Executor's castKernel; clamping first truncates the
/// same). Returns the code as i8.
Value castToInt8(KernelEmitter &e, Value x, bool isSigned) {
  using P = arith::CmpFPredicate;
  OpBuilder &b = e.b;
  Value lo = e.f32c(isSigned ? -128.0f : 0.0f);
  Value hi = e.f32c(isSigned ? 127.0f : 255.0f);
  Value v = e.select(arith::CmpFOp::create(b, e.loc, P::UNO, x, x),
                     e.f32c(0.0f), x);
  v = e.select(arith::CmpFOp::create(b, e.loc, P::OLT, v, lo), lo, v);
  v = e.select(arith::CmpFOp::create(b, e.loc, P::OGT, v, hi), hi, v);
  return arith::TruncIOp::create(b, e.loc, e.i8,
                                 arith::FPToSIOp::create(b, e.loc, e.i32, v));
}

/// An f32 value cast to the integer type `to` (its register: signless, of
/// the width), the Executor's castKernel: truncated toward zero and
/// clamped to the type's range in f64 (a 64-bit bound that is no double
/// by the largest value), NaN to 0; to i1, x != 0 (NaN is true).
Value castToInt(KernelEmitter &e, Value x, Type to) {
  using P = arith::CmpFPredicate;
  OpBuilder &b = e.b;
  unsigned w = to.getIntOrFloatBitWidth();
  if (w == 1)
    return arith::CmpFOp::create(b, e.loc, P::UNE, x, e.f32c(0.0f));
  if (w == 8)
    return castToInt8(e, x, !to.isUnsignedInteger());
  Type f64 = b.getF64Type();
  bool isUnsigned = to.isUnsignedInteger();
  Value d = arith::ExtFOp::create(b, e.loc, f64, x);
  d = e.select(arith::CmpFOp::create(b, e.loc, P::UNO, d, d), f64c(e, 0.0), d);
  double lo = isUnsigned ? 0.0 : -std::ldexp(1.0, w - 1);
  double hi = isUnsigned ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  Value r;
  if (w < 64) {
    d = e.select(arith::CmpFOp::create(b, e.loc, P::OLT, d, f64c(e, lo)),
                 f64c(e, lo), d);
    d = e.select(arith::CmpFOp::create(b, e.loc, P::OGT, d, f64c(e, hi)),
                 f64c(e, hi), d);
    r = arith::TruncIOp::create(b, e.loc, b.getIntegerType(w),
                                arith::FPToSIOp::create(b, e.loc, e.i64, d));
  } else if (isUnsigned) {
    // [0, 2^64): 0 at or below 0, all ones from 2^64.
    Value big = arith::CmpFOp::create(b, e.loc, P::OGE, d,
                                      f64c(e, 18446744073709551616.0));
    Value neg = arith::CmpFOp::create(b, e.loc, P::OLE, d, f64c(e, 0.0));
    Value safe = e.select(e.bor(big, neg), f64c(e, 0.0), d);
    r = e.select(big, e.cst(e.i64, -1),
                 arith::FPToUIOp::create(b, e.loc, e.i64, safe));
  } else {
    // 2^63 and beyond: INT64_MAX; -2^63 is a double.
    Value big = arith::CmpFOp::create(b, e.loc, P::OGE, d,
                                      f64c(e, 9223372036854775808.0));
    d = e.select(arith::CmpFOp::create(b, e.loc, P::OLT, d, f64c(e, lo)),
                 f64c(e, lo), d);
    Value safe = e.select(big, f64c(e, 0.0), d);
    r = e.select(big, e.cst(e.i64, INT64_MAX),
                 arith::FPToSIOp::create(b, e.loc, e.i64, safe));
  }
  return r;
}

/// An integer register of type `from` (i1 or an integer chain type) cast
/// to the integer type `to`: its value (sign-extended when `from` is
/// signed) wrapped to `to`'s width, ONNX's "discard higher bits"; to i1,
/// x != 0.
Value castIntToInt(KernelEmitter &e, Value x, Type from, Type to) {
  OpBuilder &b = e.b;
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (tw == 1)
    return arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne, x,
                                 e.cst(x.getType(), 0));
  Type t = b.getIntegerType(tw);
  if (fw == tw)
    return x;
  if (fw > tw)
    return arith::TruncIOp::create(b, e.loc, t, x);
  if (fw == 1 || from.isUnsignedInteger())
    return arith::ExtUIOp::create(b, e.loc, t, x);
  return arith::ExtSIOp::create(b, e.loc, t, x);
}

/// Blocked (block_size > 0) quantize/dequantize: operand k (scale, zero
/// point) has the data's shape but ceil(dim / block) along `axis`.
struct BlockedParam {
  int64_t axis, block;
};
std::optional<BlockedParam> blockedParam(Operation *op, unsigned k) {
  if (!isa<qc::QuantizeLinearOp, qc::DequantizeLinearOp>(op) || k == 0)
    return std::nullopt;
  quantc::detail::LinearQuantLayout l = quantc::detail::linearQuantLayout(op);
  if (l.blockSize <= 0)
    return std::nullopt;
  return BlockedParam{l.axis, l.blockSize};
}

/// The axis operand k of a chain op is indexed by, when it is a per-channel
/// or per-axis parameter (batch norm's [C], a rank-1 quantize/dequantize
/// scale or zero point); none when it broadcasts numpy-style.
std::optional<int64_t> paramAxis(Operation *op, unsigned k) {
  if (isa<qc::BatchNormOp>(op))
    return k > 0 ? std::optional<int64_t>(1) : std::nullopt;
  // A requantize's scale and bias with one element per index of its axis
  // (one element broadcasts).
  if (auto rq = dyn_cast<qc::RequantizeLinearOp>(op))
    return (k == 1 || k == 3) &&
                   cast<RankedTensorType>(op->getOperand(k).getType())
                           .getNumElements() != 1
               ? std::optional<int64_t>(rq.getAxis())
               : std::nullopt;
  if (!isa<qc::QuantizeLinearOp, qc::DequantizeLinearOp>(op) || k == 0 ||
      cast<RankedTensorType>(op->getOperand(k).getType()).getRank() != 1 ||
      blockedParam(op, k))
    return std::nullopt;
  return quantc::detail::linearQuantLayout(op).axis;
}

/// The f32 value of an i8 code register in `codes`' format: the integer
/// (i8/i4 signed, ui8/ui4 unsigned), or the float code's value.
Value codeValue(KernelEmitter &e, Type codes, Value c) {
  OpBuilder &b = e.b;
  if (codes.isSignlessInteger(8) || codes.isSignlessInteger(4))
    return arith::SIToFPOp::create(b, e.loc, e.f32, c);
  if (codes.isUnsignedInteger(8) || codes.isUnsignedInteger(4))
    return arith::UIToFPOp::create(b, e.loc, e.f32, c);
  return decodeMini(e, c, *miniSpec(codes));
}

/// qc.quantize_linear of one f32 (Numerics F21-F23, quantizeLinear): x /
/// scale in f32; integers: NaN -> 0, clamped to +-2^22, rounded half to
/// even by (v + 1.5*2^23) - 1.5*2^23, plus the zero point, clamped to the
/// format's range; e4m3: encoded saturating. Returns the code as i8.
Value quantizeLinearValue(KernelEmitter &e, Operation *op, Value x,
                          Value scale, Value zp) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type codes = cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  Value t = arith::DivFOp::create(b, loc, x, scale);
  if (std::optional<MiniSpec> f = miniSpec(codes))
    return arith::TruncIOp::create(b, loc, e.i8,
                                   encodeMini(e, bitcastI32(e, t), *f, true));
  using P = arith::CmpFPredicate;
  auto lt = [&](Value a, Value c) {
    return arith::CmpFOp::create(b, loc, P::OLT, a, c);
  };
  Value lim = e.f32c(4194304.0f), magic = e.f32c(12582912.0f);
  Value v = e.select(arith::CmpFOp::create(b, loc, P::UNO, t, t),
                     e.f32c(0.0f), t);
  v = e.select(lt(v, arith::NegFOp::create(b, loc, lim)),
               arith::NegFOp::create(b, loc, lim), v); // std::max
  v = e.select(lt(lim, v), lim, v);                    // std::min
  v = arith::SubFOp::create(b, loc, arith::AddFOp::create(b, loc, v, magic),
                            magic);
  if (zp)
    v = arith::AddFOp::create(b, loc, v, codeValue(e, codes, zp));
  bool isSigned = codes.isSignlessInteger(8);
  Value qmin = e.f32c(isSigned ? -128.0f : 0.0f);
  Value qmax = e.f32c(isSigned ? 127.0f : 255.0f);
  v = e.select(lt(v, qmin), qmin, v);
  v = e.select(lt(qmax, v), qmax, v);
  return arith::TruncIOp::create(
      b, loc, e.i8, arith::FPToSIOp::create(b, loc, e.i32, v));
}

/// qc.dequantize_linear of one code (Numerics F25): integers (code -
/// zero point) * scale, e4m3 value * scale, in f32.
Value dequantizeLinearValue(KernelEmitter &e, Operation *op, Value code,
                            Value scale, Value zp) {
  OpBuilder &b = e.b;
  Type codes = cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  Value v = codeValue(e, codes, code);
  if (zp && !miniSpec(codes))
    v = arith::SubFOp::create(b, e.loc, v, codeValue(e, codes, zp));
  return arith::MulFOp::create(b, e.loc, v, scale);
}

/// Loads the chain's `inputs` (from `ptrs`, the same order) for element
/// `lin` of an output of type `outType`, with numpy broadcasting (batch
/// norm's parameters by channel), and evaluates `ops` in order. Values
/// already in `vals` (a fused GEMM's accumulator) are not loaded. Returns
/// the last op's value. `channel`, where given, is the element's
/// coordinate along dimension 1 (parameters along axis 1 are read there).
FailureOr<Value> emitChain(KernelEmitter &e, ArrayRef<Operation *> ops,
                           ArrayRef<Value> inputs, ValueRange ptrs,
                           RankedTensorType outType, Value lin,
                           llvm::DenseMap<Value, Value> &vals,
                           Value channel = Value()) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t r = outType.getRank();
  // Output coordinates, computed once, for the broadcast inputs: c[0] is
  // lin / (product of the static dims 1..r-1), c[k] its remainders.
  SmallVector<Value> coord;
  auto coords = [&]() -> ArrayRef<Value> {
    if (!coord.empty() || r == 0)
      return coord;
    coord.assign(r, Value());
    Value rem = lin;
    for (int64_t k = r - 1; k >= 1; --k) {
      Value d = e.c64(outType.getDimSize(k));
      coord[k] = arith::RemUIOp::create(b, loc, rem, d);
      rem = arith::DivUIOp::create(b, loc, rem, d);
    }
    coord[0] = rem;
    return coord;
  };

  // batch_norm's [C] parameters are indexed by the channel (dimension 1),
  // a per-axis quantize/dequantize's scale and zero point by its axis; a
  // value that is also another op's operand is read both ways.
  // A blocked quantize/dequantize's scale and zero point are read at the
  // element's block: its coordinate along the axis divided by the block.
  llvm::DenseMap<Value, SmallVector<int64_t, 1>> perAxis;
  llvm::DenseMap<Value, SmallVector<std::pair<int64_t, int64_t>, 1>> blocked;
  llvm::DenseSet<Value> broadcast;
  for (Operation *op : ops)
    for (auto [i, v] : llvm::enumerate(op->getOperands())) {
      std::optional<int64_t> axis = paramAxis(op, i);
      std::optional<BlockedParam> bp = blockedParam(op, i);
      if (bp) {
        std::pair<int64_t, int64_t> key{bp->axis, bp->block};
        if (!llvm::is_contained(blocked[v], key))
          blocked[v].push_back(key);
      } else if (axis && !llvm::is_contained(perAxis[v], *axis)) {
        perAxis[v].push_back(*axis);
      } else if (!axis) {
        broadcast.insert(v);
      }
    }
  llvm::DenseMap<std::pair<Value, int64_t>, Value> channelVals;
  llvm::DenseMap<std::pair<Value, std::pair<int64_t, int64_t>>, Value>
      blockVals;

  for (auto [v, p] : llvm::zip(inputs, ptrs)) {
    auto inType = cast<RankedTensorType>(v.getType());
    auto bit = blocked.find(v);
    if (bit != blocked.end())
      for (auto [axis, block] : bit->second) {
        // Row-major strides of the parameter (its rank is the data's).
        ArrayRef<Value> c = coords();
        int64_t stride = 1;
        Value offset = e.c64(0);
        for (int64_t k = inType.getRank() - 1; k >= 0; --k) {
          Value ck = k == axis ? arith::DivUIOp::create(b, loc, c[k],
                                                        e.c64(block))
                                     .getResult()
                               : c[k];
          offset = e.add(offset, e.mul(ck, e.c64(stride)));
          if (!ShapedType::isDynamic(inType.getDimSize(k)))
            stride *= inType.getDimSize(k);
        }
        blockVals[{v, {axis, block}}] =
            toChainValue(e, inType.getElementType(),
                         loadElement(e, p, inType.getElementType(), offset,
                                     quantc::detail::isPackedWeight(v)));
      }
    auto it = perAxis.find(v);
    if (it != perAxis.end())
      for (int64_t a : it->second)
        channelVals[{v, a}] =
            toChainValue(e, inType.getElementType(),
                         loadElement(e, p, inType.getElementType(),
                                     a == 1 && channel ? channel : coords()[a],
                                     quantc::detail::isPackedWeight(v)));
    if (!broadcast.contains(v))
      continue;
    Value offset;
    if (inType.getShape() == outType.getShape()) {
      offset = lin;
    } else {
      // Row-major strides of the input; broadcast dimensions add nothing.
      ArrayRef<Value> c = coords();
      int64_t q = inType.getRank(), stride = 1;
      offset = e.c64(0);
      for (int64_t k = q - 1; k >= 0; --k) {
        int64_t d = inType.getDimSize(k);
        if (d != 1)
          offset = e.add(offset, e.mul(c[r - q + k], e.c64(stride)));
        if (!ShapedType::isDynamic(d))
          stride *= d;
      }
    }
    vals[v] = toChainValue(e, inType.getElementType(),
                           loadElement(e, p, inType.getElementType(), offset,
                                       quantc::detail::isPackedWeight(v)));
  }

  Value last;
  for (Operation *op : ops) {
    // (A fusion's result, stored by no earlier step, is the value its
    // body yields, computed in this chain.)
    auto in = [&](unsigned k) {
      Value v = op->getOperand(k);
      if (Value got = vals.lookup(v))
        return got;
      return vals.lookup(quantc::detail::fusionYielded(v));
    };
    Type resElem =
        cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
    bool isInt = isa<IntegerType>(resElem) && !resElem.isInteger(1) &&
                 !isa<qc::QuantizeLinearOp, qc::CastOp>(op);
    bool isUnsigned = resElem.isUnsignedInteger();
    // (x `pred` c) ? yes : no, the activations' f32 select (a NaN x fails
    // every ordered compare: `no`).
    auto ifCmp = [&](arith::CmpFPredicate pred, Value x, float c, Value yes,
                     Value no) {
      return e.select(arith::CmpFOp::create(b, loc, pred, x, e.f32c(c)), yes,
                      no);
    };
    // Operand k as its op reads it: by axis or broadcast; null if absent.
    auto param = [&](unsigned k) -> Value {
      if (k >= op->getNumOperands())
        return Value();
      if (std::optional<BlockedParam> bp = blockedParam(op, k))
        return blockVals.lookup({op->getOperand(k), {bp->axis, bp->block}});
      if (std::optional<int64_t> a = paramAxis(op, k))
        return channelVals.lookup({op->getOperand(k), *a});
      return in(k);
    };
    Value res =
        llvm::TypeSwitch<Operation *, Value>(op)
            // Integers (Program.cpp, isIntegerChainType): the width's
            // wrapping arithmetic, which is the Executor's int64
            // arithmetic wrapped to the width.
            .Case([&](qc::AddOp) {
              if (isInt)
                return arith::AddIOp::create(b, loc, in(0), in(1)).getResult();
              return arith::AddFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::SubOp) {
              if (isInt)
                return arith::SubIOp::create(b, loc, in(0), in(1)).getResult();
              return arith::SubFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::MulOp) {
              if (isInt)
                return arith::MulIOp::create(b, loc, in(0), in(1)).getResult();
              return arith::MulFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::DivOp) {
              return arith::DivFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::NegOp) {
              if (isInt)
                return arith::SubIOp::create(b, loc, e.cst(in(0).getType(), 0),
                                             in(0))
                    .getResult();
              return arith::NegFOp::create(b, loc, in(0)).getResult();
            })
            .Case([&](qc::AbsOp) {
              if (isInt && isUnsigned)
                return in(0);
              if (isInt)
                return e.select(
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          in(0), e.cst(in(0).getType(), 0)),
                    arith::SubIOp::create(b, loc, e.cst(in(0).getType(), 0),
                                          in(0)),
                    in(0));
              return bitcastF32(
                  e, e.band(bitcastI32(e, in(0)), e.c32(0x7fffffff)));
            })
            .Case([&](qc::QuantizeLinearOp) {
              return quantizeLinearValue(e, op, in(0), param(1), param(2));
            })
            .Case([&](qc::DequantizeLinearOp) {
              return dequantizeLinearValue(e, op, in(0), param(1), param(2));
            })
            .Case([&](qc::RequantizeLinearOp rq) {
              // The Executor's runRequantizeLinear: a = acc (+ bias) in
              // i64, rne(float(a) * scale) + zero in f32, clamped to the
              // codes' range, the low byte.
              Value a = arith::ExtSIOp::create(b, loc, e.i64, in(0));
              if (rq.getBias())
                a = e.add(a, arith::ExtSIOp::create(b, loc, e.i64, param(3)));
              Value v = roundHalfEven(
                  e, arith::MulFOp::create(
                         b, loc, arith::SIToFPOp::create(b, loc, e.f32, a),
                         param(1)));
              Type codes = cast<RankedTensorType>(rq.getResult().getType())
                               .getElementType();
              v = arith::AddFOp::create(b, loc, v,
                                        codeValue(e, codes, param(2)));
              bool uns = codes.isUnsignedInteger();
              Value lo = e.f32c(uns ? 0.0f : -128.0f);
              Value hi = e.f32c(uns ? 255.0f : 127.0f);
              using FP = arith::CmpFPredicate;
              v = e.select(
                  arith::CmpFOp::create(b, loc, FP::OLT, v, lo), lo,
                  e.select(arith::CmpFOp::create(b, loc, FP::OLT, hi, v), hi,
                           v));
              return arith::TruncIOp::create(
                         b, loc, e.i8,
                         arith::FPToSIOp::create(b, loc, e.i32, v))
                  .getResult();
            })
            .Case([&](qc::BatchNormOp bn) {
              // The Executor's order: a = scale / sqrt(var + eps), shift =
              // bias - mean * a, y = x * a + shift (no fma anywhere).
              auto in = [&](unsigned k) {
                Value v = op->getOperand(k);
                return k ? channelVals.lookup({v, 1}) : vals.lookup(v);
              };
              Value eps = e.f32c(bn.getEpsilon().convertToFloat());
              Value sd = sqrtRN(e, arith::AddFOp::create(b, loc, in(4), eps));
              Value a = arith::DivFOp::create(b, loc, in(1), sd);
              Value shift = arith::SubFOp::create(
                  b, loc, in(2), arith::MulFOp::create(b, loc, in(3), a));
              return arith::AddFOp::create(
                         b, loc, arith::MulFOp::create(b, loc, in(0), a), shift)
                  .getResult();
            })
            .Case([&](qc::ReluOp) {
              // x > 0 or NaN keeps x (the Executor's reluValue); else +0.
              Value keep = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::UGT, in(0), e.f32c(0.0f));
              return e.select(keep, in(0), e.f32c(0.0f));
            })
            .Case([&](qc::SqrtOp) { return sqrtRN(e, in(0)); })
            .Case([&](qc::TanhOp) { return fastTanh(e, in(0)); })
            .Case([&](qc::SinOp) {
              return arith::TruncFOp::create(b, loc, e.f32,
                                             sinCosTan(e, in(0), Trig::Sin))
                  .getResult();
            })
            .Case([&](qc::CosOp) {
              return arith::TruncFOp::create(b, loc, e.f32,
                                             sinCosTan(e, in(0), Trig::Cos))
                  .getResult();
            })
            .Case([&](qc::TanOp) {
              return arith::TruncFOp::create(b, loc, e.f32,
                                             sinCosTan(e, in(0), Trig::Tan))
                  .getResult();
            })
            .Case([&](qc::SinhOp) { return fastSinhCosh(e, in(0), false); })
            .Case([&](qc::CoshOp) { return fastSinhCosh(e, in(0), true); })
            .Case<qc::AtanOp, qc::AsinOp, qc::AcosOp, qc::AsinhOp, qc::AcoshOp,
                  qc::AtanhOp>(
                [&](Operation *o) { return inverseTrig(e, o, in(0)); })
            .Case([&](qc::ShrinkOp sh) {
              // x < -lambd ? x + bias : (x > lambd ? x - bias : 0) in f32
              // (NaN gives 0), as the Executor's.
              using FP = arith::CmpFPredicate;
              Value x = in(0);
              Value bias = e.f32c(sh.getBias().convertToFloat());
              Value lambd = e.f32c(sh.getLambd().convertToFloat());
              Value nl = e.f32c(-sh.getLambd().convertToFloat());
              Value hi = e.select(
                  arith::CmpFOp::create(b, loc, FP::OGT, x, lambd),
                  arith::SubFOp::create(b, loc, x, bias), e.f32c(0.0f));
              return e.select(arith::CmpFOp::create(b, loc, FP::OLT, x, nl),
                              arith::AddFOp::create(b, loc, x, bias), hi);
            })
            .Case([&](qc::SigmoidOp) { return fastSigmoid(e, in(0)); })
            .Case([&](qc::SiluOp) {
              // x * sigmoid(x) in f32 (the Executor's siluLoop).
              return arith::MulFOp::create(b, loc, in(0),
                                           fastSigmoid(e, in(0)))
                  .getResult();
            })
            .Case([&](qc::ErfOp) { return fastErf(e, in(0)); })
            .Case([&](qc::LogOp) { return fastLog(e, in(0)); })
            .Case([&](qc::SoftplusOp) { return fastSoftplus(e, in(0)); })
            .Case([&](qc::MishOp) {
              // x * tanh(softplus(x)), as the Executor's mishLoop.
              return arith::MulFOp::create(
                         b, loc, in(0), fastTanh(e, fastSoftplus(e, in(0))))
                  .getResult();
            })
            .Case([&](qc::ExpOp) { return fastExpValue(e, in(0)); })
            .Case([&](qc::EluOp el) {
              // x > 0 ? x : alpha * expm1(x) in f32 (NaN: alpha * NaN).
              Value x = in(0);
              return ifCmp(arith::CmpFPredicate::OGT, x, 0.0f, x,
                           arith::MulFOp::create(
                               b, loc, e.f32c(el.getAlpha().convertToFloat()),
                               fastExpm1(e, x)));
            })
            .Case([&](qc::SeluOp se) {
              // x > 0 ? gamma x : gamma (alpha e^x - alpha), in f32.
              Value x = in(0);
              Value alpha = e.f32c(se.getAlpha().convertToFloat());
              Value gamma = e.f32c(se.getGamma().convertToFloat());
              Value neg = arith::MulFOp::create(
                  b, loc, gamma,
                  arith::SubFOp::create(
                      b, loc,
                      arith::MulFOp::create(b, loc, alpha, fastExpValue(e, x)),
                      alpha));
              return ifCmp(arith::CmpFPredicate::OGT, x, 0.0f,
                           arith::MulFOp::create(b, loc, gamma, x), neg);
            })
            .Case([&](qc::CeluOp ce) {
              // std::max(0, x) + std::min(0, alpha expm1(x / alpha)) in f32
              // (std::max(0, x) is 0 < x ? x : 0; std::min(0, t) is t < 0
              // ? t : 0: a NaN gives 0 in both).
              using FP = arith::CmpFPredicate;
              Value x = in(0);
              Value alpha = e.f32c(ce.getAlpha().convertToFloat());
              Value t = arith::MulFOp::create(
                  b, loc, alpha,
                  fastExpm1(e, arith::DivFOp::create(b, loc, x, alpha)));
              Value pos = e.select(
                  arith::CmpFOp::create(b, loc, FP::OLT, e.f32c(0.0f), x), x,
                  e.f32c(0.0f));
              Value neg = e.select(
                  arith::CmpFOp::create(b, loc, FP::OLT, t, e.f32c(0.0f)), t,
                  e.f32c(0.0f));
              return arith::AddFOp::create(b, loc, pos, neg).getResult();
            })
            .Case([&](qc::GeluOp g) {
              // The Executor's geluTanhLoop in f32, left to right: 0.5 x
              // (1 + tanh(sqrt(2/pi) (x + 0.044715 x x x))); or its
              // geluErfLoop, 0.5 x (1 + erf(x / sqrt(2))).
              auto mul = [&](Value x, Value y) {
                return arith::MulFOp::create(b, loc, x, y).getResult();
              };
              auto add = [&](Value x, Value y) {
                return arith::AddFOp::create(b, loc, x, y).getResult();
              };
              Value x = in(0);
              if (g.getApproximate() != qc::GeluApproximation::tanh)
                return mul(mul(e.f32c(0.5f), x),
                           add(e.f32c(1.0f),
                               fastErf(e, mul(x, e.f32c(0.7071067811865476f)))));
              Value cube = mul(mul(mul(e.f32c(0.044715f), x), x), x);
              Value t = fastTanh(
                  e, mul(e.f32c(0.7978845608028654f), add(x, cube)));
              return mul(mul(e.f32c(0.5f), x), add(e.f32c(1.0f), t));
            })
            .Case([&](qc::HardSwishOp) {
              // x * std::max(0, std::min(1, x / 6 + 0.5)) (a NaN t gives
              // std::min's 1).
              using P = arith::CmpFPredicate;
              Value x = in(0);
              Value t = arith::AddFOp::create(
                  b, loc, arith::DivFOp::create(b, loc, x, e.f32c(6.0f)),
                  e.f32c(0.5f));
              Value m = e.select(
                  arith::CmpFOp::create(b, loc, P::OLT, t, e.f32c(1.0f)), t,
                  e.f32c(1.0f));
              Value c = e.select(
                  arith::CmpFOp::create(b, loc, P::OLT, e.f32c(0.0f), m), m,
                  e.f32c(0.0f));
              return arith::MulFOp::create(b, loc, x, c).getResult();
            })
            .Case([&](qc::HardSigmoidOp h) {
              // std::max(0, std::min(1, alpha * x + beta)) (the
              // Executor's; a NaN gives std::min's 1).
              using P = arith::CmpFPredicate;
              Value t = arith::AddFOp::create(
                  b, loc,
                  arith::MulFOp::create(
                      b, loc, e.f32c(h.getAlpha().convertToFloat()), in(0)),
                  e.f32c(h.getBeta().convertToFloat()));
              Value m = e.select(
                  arith::CmpFOp::create(b, loc, P::OLT, t, e.f32c(1.0f)), t,
                  e.f32c(1.0f));
              return e.select(
                  arith::CmpFOp::create(b, loc, P::OLT, e.f32c(0.0f), m), m,
                  e.f32c(0.0f));
            })
            .Case([&](qc::LeakyReluOp l) {
              // x >= 0 ? x : alpha * x (NaN: alpha * NaN).
              Value x = in(0);
              return ifCmp(
                  arith::CmpFPredicate::OGE, x, 0.0f, x,
                  arith::MulFOp::create(
                      b, loc, e.f32c(l.getAlpha().convertToFloat()), x));
            })
            .Case([&](qc::NotOp) {
              return arith::XOrIOp::create(
                         b, loc, in(0),
                         arith::ConstantIntOp::create(b, loc, 1, 1))
                  .getResult();
            })
            .Case([&](qc::AndOp) {
              return arith::AndIOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::OrOp) {
              return arith::OrIOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::XorOp) {
              return arith::XOrIOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::IsNaNOp) {
              return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                           in(0), in(0))
                  .getResult();
            })
            .Case([&](qc::IsInfOp i) {
              float inf = std::numeric_limits<float>::infinity();
              auto is = [&](float v) {
                return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                             in(0), e.f32c(v))
                    .getResult();
              };
              Value no = arith::ConstantIntOp::create(b, loc, 0, 1);
              Value pos = i.getDetectPositive() ? is(inf) : no;
              Value neg = i.getDetectNegative() ? is(-inf) : no;
              return arith::OrIOp::create(b, loc, pos, neg).getResult();
            })
            .Case([&](qc::SoftsignOp) {
              // x / (1 + |x|) in f32.
              Value x = in(0);
              Value ax = bitcastF32(
                  e, e.band(bitcastI32(e, x), e.c32(0x7fffffff)));
              return arith::DivFOp::create(
                         b, loc, x,
                         arith::AddFOp::create(b, loc, e.f32c(1.0f), ax))
                  .getResult();
            })
            .Case([&](qc::ThresholdedReluOp t) {
              // x > alpha ? x : 0 (NaN: 0).
              Value x = in(0);
              return ifCmp(arith::CmpFPredicate::OGT, x,
                           t.getAlpha().convertToFloat(), x, e.f32c(0.0f));
            })
            .Case([&](qc::ReciprocalOp) {
              return arith::DivFOp::create(b, loc, e.f32c(1.0f), in(0))
                  .getResult();
            })
            .Case([&](qc::FloorOp) { return floorOrCeil(e, in(0), false); })
            .Case([&](qc::CeilOp) { return floorOrCeil(e, in(0), true); })
            .Case([&](qc::SignOp) {
              // x > 0 ? 1 : (x < 0 ? -1 : x): zeros and NaN are x.
              using P = arith::CmpFPredicate;
              Value x = in(0);
              Value r = e.select(
                  arith::CmpFOp::create(b, loc, P::OLT, x, e.f32c(0.0f)),
                  e.f32c(-1.0f), x);
              return e.select(
                  arith::CmpFOp::create(b, loc, P::OGT, x, e.f32c(0.0f)),
                  e.f32c(1.0f), r);
            })
            .Case([&](qc::PowOp pw) {
              Type yt = cast<RankedTensorType>(pw.getRhs().getType())
                            .getElementType();
              if (isInt)
                return intPow(e, in(0), isUnsigned, in(1),
                              yt.isUnsignedInteger());
              // An f32 base (planning checks it) to an f32 or integer
              // exponent, as the Executor's fastPowD of the two as doubles
              // (an integer exponent converted as the Executor's
              // intToDouble: unsigned ones by their value).
              Type f64 = b.getF64Type();
              Value x = arith::ExtFOp::create(b, loc, f64, in(0));
              Value y = in(1);
              if (yt.isF32())
                y = arith::ExtFOp::create(b, loc, f64, y);
              else if (yt.isUnsignedInteger())
                y = arith::UIToFPOp::create(b, loc, f64, y);
              else
                y = arith::SIToFPOp::create(b, loc, f64, y);
              return arith::TruncFOp::create(b, loc, e.f32, fastPowD(e, x, y))
                  .getResult();
            })
            .Case([&](qc::WhereOp) { return e.select(in(0), in(1), in(2)); })
            .Case([&](qc::ModOp m) {
              // Floats: C's fmod (the Executor's, whatever fmod says).
              // Integers: the Executor's remainder, x % 0 and (signed)
              // x % -1 giving 0, C's sign of the dividend with fmod, else
              // the divisor's.
              Value x = in(0), y = in(1);
              if (!isInt)
                return fmodF32(e, x, y);
              Type t = x.getType();
              Value bad = e.eq(y, e.cst(t, 0));
              if (!isUnsigned)
                bad = e.bor(bad, e.eq(y, e.cst(t, -1)));
              Value ys = e.select(bad, e.cst(t, 1), y);
              Value r = isUnsigned
                            ? arith::RemUIOp::create(b, loc, x, ys).getResult()
                            : arith::RemSIOp::create(b, loc, x, ys).getResult();
              r = e.select(bad, e.cst(t, 0), r);
              if (!m.getFmod() && !isUnsigned) {
                using IP = arith::CmpIPredicate;
                Value zero = e.cst(t, 0);
                Value differ = arith::CmpIOp::create(
                    b, loc, IP::ne,
                    arith::CmpIOp::create(b, loc, IP::slt, r, zero),
                    arith::CmpIOp::create(b, loc, IP::slt, y, zero));
                Value fix = e.land(
                    arith::CmpIOp::create(b, loc, IP::ne, r, zero), differ);
                r = e.select(fix, arith::AddIOp::create(b, loc, r, y), r);
              }
              return r;
            })
            .Case([&](qc::BitShiftOp sh) {
              // Unsigned: a shift by the width or more gives 0.
              Value x = in(0), y = in(1);
              Type t = x.getType();
              unsigned w = t.getIntOrFloatBitWidth();
              Value over = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::uge, y, e.cst(t, w));
              Value ys = e.select(over, e.cst(t, 0), y);
              Value r = sh.getDirection() == qc::ShiftDirection::LEFT
                            ? arith::ShLIOp::create(b, loc, x, ys).getResult()
                            : arith::ShRUIOp::create(b, loc, x, ys).getResult();
              return e.select(over, e.cst(t, 0), r);
            })
            .Case<qc::MaxOp, qc::MinOp>([&](Operation *mm) {
              bool isMax = isa<qc::MaxOp>(mm);
              if (!isInt)
                return isMax ? maxNaN(e, in(0), in(1))
                             : minNaN(e, in(0), in(1));
              // The larger (smaller) of two integers, unsigned for ui8.
              auto pred = isMax ? (isUnsigned ? arith::CmpIPredicate::ugt
                                              : arith::CmpIPredicate::sgt)
                                : (isUnsigned ? arith::CmpIPredicate::ult
                                              : arith::CmpIPredicate::slt);
              return e.select(arith::CmpIOp::create(b, loc, pred, in(0), in(1)),
                              in(0), in(1));
            })
            .Case([&](qc::ClipOp c) {
              std::optional<float> lo, hi;
              if (c.getMin())
                lo = c.getMin()->convertToFloat();
              if (c.getMax())
                hi = c.getMax()->convertToFloat();
              return clipValue(e, in(0), lo, hi);
            })
            .Case([&](qc::RoundOp) { return roundHalfEven(e, in(0)); })
            .Case<qc::LessOp, qc::LessEqualOp, qc::GreaterOp,
                  qc::GreaterEqualOp, qc::EqualOp>([&](Operation *cmp) {
              return compareValues(e, cmp, in(0), in(1));
            })
            .Case([&](qc::CastOp c) {
              // f32 to a float code (Mini::enc, the cast's saturate) or
              // back (its value): the Executor's castKernel. bf16: round to
              // nearest even, overflow to Inf (the Executor's, whatever
              // `saturate` says), and back exactly.
              Type from =
                  cast<RankedTensorType>(c.getInput().getType()).getElementType();
              Type to =
                  cast<RankedTensorType>(c.getResult().getType()).getElementType();
              if (to.isBF16()) {
                // NaN keeps its sign and payload, quieted (the Numerics
                // library's encBF16: (bits >> 16) | 0x40); cvt.rn.bf16.f32
                // and the host lowering would give a canonical NaN.
                Value x = in(0);
                Value bits = bitcastI32(e, x);
                Value nanBits = arith::TruncIOp::create(
                    b, loc, b.getI16Type(),
                    e.bor(e.shru(bits, e.c32(16)), e.c32(0x40)));
                Value nan = arith::BitcastOp::create(b, loc, to, nanBits);
                Value isNaN = arith::CmpFOp::create(
                    b, loc, arith::CmpFPredicate::UNO, x, x);
                return e.select(isNaN, nan,
                                arith::TruncFOp::create(b, loc, to, x));
              }
              if (from.isBF16())
                return arith::ExtFOp::create(b, loc, e.f32, in(0)).getResult();
              // An f32 value as the chain holds a `to` value: rounded to
              // f16 (the Executor's roundTo, not saturating), else as it is
              // (f64 tensors hold f32 values).
              auto asTo = [&](Value x) -> Value {
                if (!to.isF16())
                  return x;
                return arith::ExtFOp::create(b, loc, e.f32,
                                             fromChainValue(e, to, x));
              };
              if (isa<IntegerType>(to))
                return isa<IntegerType>(from) ? castIntToInt(e, in(0), from, to)
                                              : castToInt(e, in(0), to);
              if (isa<IntegerType>(from)) {
                // The Executor's: the integer as a double (exact below
                // 2^53), then rounded to f32; booleans and unsigned codes
                // from zero. (An i64 beyond 2^53 rounds twice, as there.)
                Type f64 = b.getF64Type();
                Value d =
                    from.isInteger(1) || from.isUnsignedInteger()
                        ? arith::UIToFPOp::create(b, loc, f64, in(0))
                              .getResult()
                        : arith::SIToFPOp::create(b, loc, f64, in(0))
                              .getResult();
                return asTo(arith::TruncFOp::create(b, loc, e.f32, d));
              }
              if ((from.isF32() || from.isF16() || from.isF64()) &&
                  (to.isF32() || to.isF16() || to.isF64()))
                return asTo(in(0));
              if (from.isF32())
                return arith::TruncIOp::create(
                           b, loc, e.i8,
                           encodeMini(e, bitcastI32(e, in(0)), *miniSpec(to),
                                      c.getSaturate()))
                    .getResult();
              return decodeMini(e, in(0), *miniSpec(from));
            })
            .Default([](Operation *) { return Value(); });
    if (!res)
      return op->emitError("no elementwise GPU kernel for this op");
    vals[op->getResult(0)] = last = res;
  }
  return last;
}

} // namespace

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildElementwiseKernel(ModuleOp top, llvm::StringRef name,
                                       KernelTarget t, const GpuStep &step) {
  OpBuilder b(top.getContext());
  SmallVector<Type> args(1 + step.inputs.size(),
                         LLVM::LLVMPointerType::get(top.getContext()));
  args.push_back(b.getI64Type());
  FailureOr<gpu::GPUFuncOp> made = createKernel1D(top, t, name, args, b);
  if (failed(made))
    return failure();
  Block &entry = made->getBody().front();
  KernelEmitter e(b, made->getLoc());
  e.entry = &entry;
  Value gid = guardedThreadIndex(e, entry.getArguments().back());
  llvm::DenseMap<Value, Value> vals;
  FailureOr<Value> y = emitChain(
      e, step.ops, step.inputs, entry.getArguments().slice(1, step.inputs.size()),
      cast<RankedTensorType>(step.outputs[0].getType()), gid, vals);
  if (failed(y))
    return failure();
  Type outElem =
      cast<RankedTensorType>(step.outputs[0].getType()).getElementType();
  storeElement(e, entry.getArgument(0), outElem, gid,
               fromChainValue(e, outElem, *y));
  b.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(b, e.loc);
  return *made;
}

namespace {
/// The epilogue of a GEMM step: its chain after the GEMM op (whose result
/// is the accumulator), reading the step's inputs after the GEMM's four.
/// The step outlives the kernel build that calls it.
/// `index` (row, column, N) -> the flat index of the element in the
/// step's output; by default row * N + column (a GEMM's [M, N] output).
using EpilogueIndex =
    std::function<Value(KernelEmitter &, Value row, Value col, Value N)>;

GemmEpilogue gemmStepEpilogue(const GpuStep &step,
                              EpilogueIndex index = nullptr) {
  Operation *gemm = step.ops.front();
  ArrayRef<Operation *> chain = ArrayRef<Operation *>(step.ops).drop_front();
  ArrayRef<Value> extras =
      ArrayRef<Value>(step.inputs).drop_front(getEpilogueInputsBegin(step));
  // The chain's f32 result (a quantized output stores codes instead).
  auto outType = cast<RankedTensorType>(step.ops.back()->getResult(0).getType());
  GemmEpilogue ep;
  ep.extraPtrs = extras.size();
  ep.apply = [gemm, chain, extras, outType, index](
                 OpBuilder &b, Value acc, Value row, Value col, Value N,
                 ValueRange ptrs, Block *entry) -> FailureOr<Value> {
    KernelEmitter e(b, gemm->getLoc());
    e.entry = entry;
    llvm::DenseMap<Value, Value> vals;
    vals[gemm->getResult(0)] = acc;
    FailureOr<Value> v = emitChain(
        e, chain, extras, ptrs, outType,
        index ? index(e, row, col, N) : e.add(e.mul(row, N), col), vals);
    if (failed(v))
      return failure();
    return fromChainValue(e, outType.getElementType(), *v);
  };
  return ep;
}
} // namespace

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildGemmEpilogueKernel(ModuleOp top, llvm::StringRef name,
                                        KernelTarget t, const GpuStep &step) {
  auto q = cast<qc::QMatMulOp>(step.ops.front());
  GemmEpilogue ep = gemmStepEpilogue(step);
  return buildMXFP8GemmKernel(top, name, t, &ep,
                              quantc::detail::gemmOperandCodes(q, false),
                              quantc::detail::gemmOperandCodes(q, true));
}

FailureOr<gpu::GPUFuncOp> quantc::detail::buildBlackwellGemmStepKernel(
    ModuleOp top, llvm::StringRef name, const GpuStep &step,
    const BlackwellGemmConfig &cfg) {
  if (step.ops.size() == 1)
    return buildBlackwellGemmKernel(top, name, cfg);
  GemmEpilogue ep = gemmStepEpilogue(step);
  return buildBlackwellGemmKernel(top, name, cfg, &ep);
}

FailureOr<gpu::GPUFuncOp> quantc::detail::buildHopperGemmStepKernel(
    ModuleOp top, llvm::StringRef name, const GpuStep &step,
    const HopperGemmConfig &cfg) {
  if (step.ops.size() == 1)
    return buildHopperFP8GemmKernel(top, name, cfg);
  GemmEpilogue ep = gemmStepEpilogue(step);
  return buildHopperFP8GemmKernel(top, name, cfg, &ep);
}

//===----------------------------------------------------------------------===//
// Window kernels: conv, pooling; copies
//===----------------------------------------------------------------------===//

namespace {

/// Static NCHW geometry of a 2-D window op.
struct Window {
  int64_t C, H, W, M, OH, OW, KH, KW;
  int64_t sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0, dh = 1, dw = 1;
  /// A 3-D window's depth ([N, C, D, H, W]; the pooling kernel's alone):
  /// extent, output extent, taps, stride, front and back pads, dilation.
  bool threeD = false;
  int64_t D = 1, OD = 1, KD = 1, sd = 1, pf = 0, pk = 0, dd = 1;

  /// A 1-D window ([N, C, L] tensors, one kernel, stride and dilation, two
  /// pads) is the 2-D one of height 1: [N, C, 1, L] has the same layout.
  Window(RankedTensorType in, RankedTensorType out, ArrayRef<int64_t> kernel,
         ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
         ArrayRef<int64_t> dilations) {
    int64_t r = in.getRank();
    bool one = r == 3;
    threeD = r == 5;
    C = in.getDimSize(1), M = out.getDimSize(1);
    H = one ? 1 : in.getDimSize(r - 2), W = in.getDimSize(r - 1);
    OH = one ? 1 : out.getDimSize(r - 2), OW = out.getDimSize(r - 1);
    KH = one ? 1 : kernel[kernel.size() - 2], KW = kernel.back();
    if (threeD) {
      D = in.getDimSize(2), OD = out.getDimSize(2), KD = kernel[0];
      if (strides.size() == 3)
        sd = strides[0], strides = strides.drop_front();
      if (pads.size() == 6) {
        pf = pads[0], pk = pads[3];
        pt = pads[1], pl = pads[2], pb = pads[4], pr = pads[5];
        pads = {};
      }
      if (dilations.size() == 3)
        dd = dilations[0], dilations = dilations.drop_front();
    }
    if (strides.size() == 2)
      sh = strides[0], sw = strides[1];
    else if (strides.size() == 1)
      sw = strides[0];
    if (pads.size() == 4)
      pt = pads[0], pl = pads[1], pb = pads[2], pr = pads[3];
    else if (pads.size() == 2)
      pl = pads[0], pr = pads[1];
    if (dilations.size() == 2)
      dh = dilations[0], dw = dilations[1];
    else if (dilations.size() == 1)
      dw = dilations[0];
  }
};

/// Splits the output index gid of an [N, M, OH, OW] (or [N, M, OD, OH,
/// OW]) tensor.
struct OutCoord {
  Value plane, m, oh, ow; // plane = n * M + m
  Value od;               // 3-D windows only
};
OutCoord splitOutput(KernelEmitter &e, Value gid, const Window &g) {
  OpBuilder &b = e.b;
  OutCoord c;
  c.ow = arith::RemUIOp::create(b, e.loc, gid, e.c64(g.OW));
  Value t = arith::DivUIOp::create(b, e.loc, gid, e.c64(g.OW));
  c.oh = arith::RemUIOp::create(b, e.loc, t, e.c64(g.OH));
  c.plane = arith::DivUIOp::create(b, e.loc, t, e.c64(g.OH));
  if (g.threeD) {
    c.od = arith::RemUIOp::create(b, e.loc, c.plane, e.c64(g.OD));
    c.plane = arith::DivUIOp::create(b, e.loc, c.plane, e.c64(g.OD));
  }
  c.m = arith::RemUIOp::create(b, e.loc, c.plane, e.c64(g.M));
  return c;
}

/// 0 <= x < n (i64).
Value inRange(KernelEmitter &e, Value x, int64_t lo, int64_t hi) {
  Value geLo = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::sge, x,
                                     e.c64(lo));
  return e.land(geLo, e.slt(x, e.c64(hi)));
}

/// f32 load of base[offset] when ok, else of base[0] (always in bounds), so
/// no access leaves the tensor and no branch is needed.
Value loadF32Masked(KernelEmitter &e, Value base, Value offset, Value ok) {
  Value off = e.select(ok, offset, e.c64(0));
  return LLVM::LoadOp::create(e.b, e.loc, e.f32, e.gep(base, e.f32, off));
}

/// Starts a one-thread-per-element kernel: (out, inputs..., count).
struct Kernel1D {
  gpu::GPUFuncOp func;
  Value gid;
};
FailureOr<Kernel1D> startKernel1D(ModuleOp top, KernelTarget t,
                                  llvm::StringRef name, unsigned numPtrs,
                                  OpBuilder &b,
                                  std::optional<KernelEmitter> &e,
                                  unsigned extraI64 = 0) {
  SmallVector<Type> args(numPtrs, LLVM::LLVMPointerType::get(top.getContext()));
  args.append(extraI64 + 1, b.getI64Type()); // ..., the thread count last
  FailureOr<gpu::GPUFuncOp> made = createKernel1D(top, t, name, args, b);
  if (failed(made))
    return failure();
  Block &entry = made->getBody().front();
  e.emplace(b, made->getLoc());
  e->entry = &entry;
  return Kernel1D{*made, guardedThreadIndex(*e, entry.getArguments().back())};
}

FailureOr<gpu::GPUFuncOp> finishKernel(OpBuilder &b, Kernel1D k) {
  b.setInsertionPointToEnd(&k.func.getBody().front());
  gpu::ReturnOp::create(b, k.func.getLoc());
  return k.func;
}

} // namespace

/// The int8 GEMM of an Int8Gemm step; a convolution's geometry is its
/// Window's (the conv kernels' reading of the op's attributes).
FailureOr<gpu::GPUFuncOp>
quantc::detail::buildInt8GemmStepKernel(ModuleOp top, llvm::StringRef name,
                                        KernelTarget t, const GpuStep &step) {
  Int8GemmOperands ops = getInt8GemmOperands(step);
  EpilogueIndex index;
  if (auto conv = dyn_cast<qc::ConvOp>(step.ops.front())) {
    auto w = cast<RankedTensorType>(step.inputs[2].getType());
    Window g(cast<RankedTensorType>(step.inputs[0].getType()),
             cast<RankedTensorType>(conv.getResult().getType()),
             w.getShape().drop_front(2), conv.getStrides(), conv.getPads(),
             conv.getDilations());
    ops.conv = Int8GemmOperands::Conv{g.C,  g.H,  g.W,  g.OH, g.OW, g.KH, g.KW,
                                      g.sh, g.sw, g.pt, g.pl, g.dh, g.dw};
    // A row is an output pixel of an image: [batch, N, OH, OW] as the
    // kernel stores it.
    int64_t pixels = g.OH * g.OW;
    index = [pixels](KernelEmitter &e, Value row, Value col, Value N) {
      return convGemmOutputIndex(e, row, col, N, pixels);
    };
  }
  if (step.ops.size() == 1)
    return buildInt8GemmKernel(top, name, t, ops);
  GemmEpilogue ep = gemmStepEpilogue(step, index);
  return buildInt8GemmKernel(top, name, t, ops, &ep);
}

namespace {

/// Operand `operand` of a conv or matmul step (its input or lhs, its
/// weight or rhs) as the kernel reads it, at a linear offset into it: an
/// f32 load from pointer argument `arg`, or, where the step has a prologue
/// for it (GpuStep::prologues), the prologue's chain evaluated at that
/// element over its inputs (arguments arg .. arg + numInputs), as an ew
/// kernel computes it. `failed` is set if the chain could not be emitted
/// (its error reported).
struct OperandLoader {
  KernelEmitter *e = nullptr;
  Value ptr;
  const GpuStep::Prologue *prologue = nullptr;
  ArrayRef<Value> ins;
  ValueRange ptrs;
  bool failed = false;

  OperandLoader() = default;
  OperandLoader(KernelEmitter &em, const GpuStep &step, Block &entry,
                unsigned operand, unsigned arg)
      : e(&em), ptr(entry.getArgument(arg)) {
    for (const GpuStep::Prologue &p : step.prologues)
      if (p.operand == operand) {
        prologue = &p;
        ins = ArrayRef<Value>(step.inputs)
                  .slice(arg - step.outputs.size(), p.numInputs);
        ptrs = entry.getArguments().slice(arg, p.numInputs);
      }
  }
  /// The element's coordinate along dimension 1 where the caller knows it
  /// (a conv's input channel): a per-channel prologue parameter is read
  /// there, without splitting the offset into coordinates.
  Value channel;
  /// Pointer arguments the operand takes.
  unsigned numArgs() const { return prologue ? prologue->numInputs : 1; }
  Value operator()(Value off) {
    if (!prologue)
      return LLVM::LoadOp::create(e->b, e->loc, e->f32,
                                  e->gep(ptr, e->f32, off));
    llvm::DenseMap<Value, Value> vals;
    auto type =
        cast<RankedTensorType>(prologue->ops.back()->getResult(0).getType());
    FailureOr<Value> v =
        emitChain(*e, prologue->ops, ins, ptrs, type, off, vals, channel);
    if (succeeded(v))
      return *v;
    failed = true;
    return e->f32c(0.0f);
  }
  /// The element at `off` where `ok` holds, else 0 (a conv's padding):
  /// the prologue's chain is evaluated at a safe offset.
  Value masked(Value off, Value ok) {
    if (!prologue)
      return loadF32Masked(*e, ptr, off, ok);
    Value v = (*this)(e->select(ok, off, e->c64(0)));
    return e->select(ok, v, e->f32c(0.0f));
  }
};

/// Stores `y`, the value of the first op of a step of an epilogue kind
/// (conv, matmul, pooling, softmax: hasEpilogueKind) at output element
/// `lin`, as the step's output: through the step's epilogue
/// (GpuStep::epilogueInputs; the chain's element type is stored) when it
/// has one. Fails if the chain could not be emitted (its error reported).
LogicalResult storeThroughEpilogue(KernelEmitter &e, const GpuStep &step,
                                   Block &entry, Value y, Value lin) {
  if (step.ops.size() > 1) {
    unsigned n = step.epilogueInputs;
    llvm::DenseMap<Value, Value> vals;
    vals[step.ops.front()->getResult(0)] = y;
    FailureOr<Value> v = emitChain(
        e, ArrayRef<Operation *>(step.ops).drop_front(),
        ArrayRef<Value>(step.inputs).take_back(n),
        entry.getArguments().slice(1 + step.inputs.size() - n, n),
        cast<RankedTensorType>(step.ops.back()->getResult(0).getType()), lin,
        vals);
    if (failed(v))
      return failure();
    y = *v;
  }
  Type outElem =
      cast<RankedTensorType>(step.outputs[0].getType()).getElementType();
  storeElement(e, entry.getArgument(0), outElem, lin,
               fromChainValue(e, outElem, y));
  return success();
}

/// What both convolution kernels start from: the window of `op` (a
/// qc.conv or qc.conv_transpose), a one-thread-per-output kernel
/// (out, in, weight[, bias], epilogue inputs..., count) and the thread's
/// output coordinates.
struct ConvStart {
  Window g;
  Kernel1D k;
  OperandLoader X; ///< the input's elements (a prologue's, or loads)
  Value bias;      ///< null when the op has none
  OperandLoader W; ///< the weight's elements (a prologue's, or loads)
  const GpuStep *step;
  OutCoord c;
  Value n;        ///< the output's batch index
  int64_t cg, mg; ///< input and output channels per group
  Value c0;       ///< the first input channel of the output's group
};
template <typename ConvLike>
FailureOr<ConvStart> startConvKernel(ModuleOp top, llvm::StringRef name,
                                     KernelTarget t, const GpuStep &step,
                                     ConvLike op, OpBuilder &b,
                                     std::optional<KernelEmitter> &em) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto out = cast<RankedTensorType>(op.getResult().getType());
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  Window g(in, out, wt.getShape().drop_front(2), op.getStrides(), op.getPads(),
           op.getDilations());
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Block &entry = k->func.getBody().front();
  OutCoord c = splitOutput(e, k->gid, g);
  Value n = arith::DivUIOp::create(b, e.loc, c.plane, e.c64(g.M));
  // A conv's weight is [M, C/group, ...], a transposed conv's [C, M/group,
  // ...].
  int64_t groups = op.getGroup(), cg, mg;
  if constexpr (std::is_same_v<ConvLike, qc::ConvTransposeOp>)
    mg = wt.getDimSize(1), cg = g.C / groups;
  else
    cg = wt.getDimSize(1), mg = g.M / groups;
  Value c0 = e.mul(arith::DivUIOp::create(b, e.loc, c.m, e.c64(mg)), e.c64(cg));
  OperandLoader x(e, step, entry, 0, 1);
  OperandLoader w(e, step, entry, 1, 1 + x.numArgs());
  return ConvStart{
      g,
      *k,
      x,
      op.getBias() ? entry.getArgument(1 + x.numArgs() + w.numArgs()) : Value(),
      w,
      &step,
      c,
      n,
      cg,
      mg,
      c0};
}

/// y (+ bias[m]) stored at the thread's output (through the step's
/// epilogue), and the kernel closed.
FailureOr<gpu::GPUFuncOp> finishConvKernel(KernelEmitter &e, const ConvStart &s,
                                           Value y) {
  if (s.X.failed || s.W.failed)
    return failure();
  if (s.bias)
    y = arith::AddFOp::create(
        e.b, e.loc, y,
        LLVM::LoadOp::create(e.b, e.loc, e.f32, e.gep(s.bias, e.f32, s.c.m)));
  if (failed(storeThroughEpilogue(e, *s.step, *e.entry, y, s.k.gid)))
    return failure();
  return finishKernel(e.b, s.k);
}

/// qc.conv_transpose (2-D, f32; a `conv_<i>` step): output (n, m, oh, ow)
/// sums, over the taps (a, b) in order, the tap's Σ over its group's input
/// channels c (fma in fp32, from 0) of x[n, c, ih, iw] · W[c, m % Mg, a,
/// b] where oh = ih · sh − pt + a · dh (and likewise for w) hits an input
/// element; then the bias. The Executor's order: its scatter adds each
/// tap's column (an sgemm over c) into the output, tap by tap, then adds
/// the bias; only the sum over c may round differently.
FailureOr<gpu::GPUFuncOp> buildConvTransposeKernel(ModuleOp top,
                                                   llvm::StringRef name,
                                                   KernelTarget t,
                                                   const GpuStep &step) {
  auto ct = cast<qc::ConvTransposeOp>(step.ops.front());
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<ConvStart> st = startConvKernel(top, name, t, step, ct, b, em);
  if (failed(st))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  const Window &g = st->g;
  const OutCoord &c = st->c;
  Value n = st->n, c0 = st->c0;
  int64_t cg = st->cg, mg = st->mg;
  Value mm = arith::RemUIOp::create(b, loc, c.m, e.c64(mg));
  // th = oh + pt - a * dh must be a non-negative multiple of sh below
  // sh * H; then ih = th / sh.
  auto tapIndex = [&](Value o, int64_t pad, int64_t tap, int64_t stride,
                      int64_t size) {
    Value tt = arith::SubIOp::create(b, loc, e.add(o, e.c64(pad)), e.c64(tap));
    Value ok = inRange(e, tt, 0, stride * size);
    Value safe = e.select(ok, tt, e.c64(0));
    if (stride > 1)
      ok = e.land(ok, e.eq(arith::RemUIOp::create(b, loc, safe, e.c64(stride)),
                           e.c64(0)));
    return std::make_pair(
        ok, arith::DivUIOp::create(b, loc, safe, e.c64(stride)).getResult());
  };
  Value acc = e.f32c(0.0f);
  // A 3-D window's depth taps first (kd, kh, kw in order, as the
  // Executor's scatter).
  for (int64_t kd = 0; kd < g.KD; ++kd) {
    Value depthOk, id;
    if (g.threeD)
      std::tie(depthOk, id) = tapIndex(c.od, g.pf, kd * g.dd, g.sd, g.D);
    for (int64_t a = 0; a < g.KH; ++a) {
      auto [rowOk, ih] = tapIndex(c.oh, g.pt, a * g.dh, g.sh, g.H);
      for (int64_t bb = 0; bb < g.KW; ++bb) {
        auto [colOk, iw] = tapIndex(c.ow, g.pl, bb * g.dw, g.sw, g.W);
        Value hits = e.land(rowOk, colOk);
        if (depthOk)
          hits = e.land(depthOk, hits);
        auto hit = scf::IfOp::create(b, loc, TypeRange{e.f32}, hits, true);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(hit.thenBlock());
          auto ciLoop = scf::ForOp::create(b, loc, e.c64(0), e.c64(cg),
                                           e.c64(1), ValueRange{e.f32c(0.0f)});
          {
            OpBuilder::InsertionGuard inner(b);
            b.setInsertionPointToStart(ciLoop.getBody());
            Value ci = e.add(c0, ciLoop.getInductionVar());
            st->X.channel = ci;
            Value inPlane = e.add(e.mul(ih, e.c64(g.W)), iw);
            if (id)
              inPlane = e.add(e.mul(id, e.c64(g.H * g.W)), inPlane);
            Value xOff = e.add(
                e.mul(e.add(e.mul(n, e.c64(g.C)), ci), e.c64(g.D * g.H * g.W)),
                inPlane);
            Value wOff = e.add(e.mul(e.add(e.mul(ci, e.c64(mg)), mm),
                                     e.c64(g.KD * g.KH * g.KW)),
                               e.c64((kd * g.KH + a) * g.KW + bb));
            Value x = st->X(xOff);
            Value w = st->W(wOff);
            scf::YieldOp::create(
                b, loc,
                ValueRange{LLVM::FMAOp::create(b, loc, x, w,
                                               ciLoop.getRegionIterArgs()[0])
                               .getResult()});
          }
          scf::YieldOp::create(
              b, loc,
              ValueRange{arith::AddFOp::create(b, loc, acc, ciLoop.getResult(0))
                             .getResult()});
          b.setInsertionPointToStart(hit.elseBlock());
          scf::YieldOp::create(b, loc, ValueRange{acc});
        }
        acc = hit.getResult(0);
      }
    }
  }
  return finishConvKernel(e, *st, acc);
}

} // namespace

namespace {
SmallVector<Value> splitIndex(KernelEmitter &e, Value lin,
                              ArrayRef<int64_t> shape);

/// The offset of a matmul operand's [.., rows, cols] matrix for the
/// output coordinates `c` (rank r): numpy broadcasting of the batch dims.
Value matmulBatchBase(KernelEmitter &e, ArrayRef<Value> c, ArrayRef<int64_t> s,
                      int64_t r) {
  int64_t q = s.size() - 2, stride = s[q] * s[q + 1];
  Value off = e.c64(0);
  for (int64_t i = q - 1; i >= 0; --i) {
    if (s[i] != 1)
      off = e.add(off, e.mul(c[r - 2 - q + i], e.c64(stride)));
    if (!ShapedType::isDynamic(s[i])) // a dynamic dim 0 is the last one
      stride *= s[i];
  }
  return off;
}

/// An i8, ui8 or i32 element of an integer product's operand or zero
/// point as i32 (sign- or zero-extended by its type, as the Executor's
/// intValues).
Value loadInt32(KernelEmitter &e, Value base, Value v, Value off) {
  Type elem = cast<RankedTensorType>(v.getType()).getElementType();
  Value x = loadElement(e, base, elem, off);
  if (elem.isSignlessInteger(32))
    return x;
  if (elem.isUnsignedInteger())
    return arith::ExtUIOp::create(e.b, e.loc, e.i32, x);
  return arith::ExtSIOp::create(e.b, e.loc, e.i32, x);
}

/// A zero point's value for index `idx` (its one element, or [idx]).
Value loadZeroPoint(KernelEmitter &e, Value base, Value zp, Value idx) {
  bool one = cast<RankedTensorType>(zp.getType()).getNumElements() == 1;
  return loadInt32(e, base, zp, one ? e.c64(0) : idx);
}

/// The sum a direct 2-D conv thread computes over its group's input
/// channels (an scf.for from `init`, in order) and, for each, the taps (kh,
/// kw) in order: acc = tap(acc, channel, x offset, w offset, ok), where
/// `channel` is the input channel (c0 + ci), `ok` whether the tap lies on
/// the input rather than in the padding (the x offset is then not one to
/// load). `n` is the output's batch index, `cg` the input channels per
/// group.
Value convTapSum(
    KernelEmitter &e, const Window &g, const OutCoord &c, Value n, Value c0,
    int64_t cg, Value init,
    llvm::function_ref<Value(Value, Value, Value, Value, Value)> tap) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value ih0 = sub(e, e.mul(c.oh, e.c64(g.sh)), e.c64(g.pt));
  Value iw0 = sub(e, e.mul(c.ow, e.c64(g.sw)), e.c64(g.pl));
  auto ciLoop = scf::ForOp::create(b, loc, e.c64(0), e.c64(cg), e.c64(1),
                                   ValueRange{init});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ciLoop.getBody());
  Value ci = ciLoop.getInductionVar();
  Value channel = e.add(c0, ci);
  Value xPlane =
      e.mul(e.add(e.mul(n, e.c64(g.C)), channel), e.c64(g.D * g.H * g.W));
  Value wBase =
      e.mul(e.add(e.mul(c.m, e.c64(cg)), ci), e.c64(g.KD * g.KH * g.KW));
  Value acc = ciLoop.getRegionIterArgs()[0];
  // A 3-D window's depth taps first (kd, kh, kw in order).
  Value id0 =
      g.threeD ? sub(e, e.mul(c.od, e.c64(g.sd)), e.c64(g.pf)) : Value();
  for (int64_t kd = 0; kd < g.KD; ++kd) {
    Value depthOk, xBase = xPlane;
    if (g.threeD) {
      Value id = e.add(id0, e.c64(kd * g.dd));
      depthOk = inRange(e, id, 0, g.D);
      xBase = e.add(xPlane, e.mul(id, e.c64(g.H * g.W)));
    }
    for (int64_t a = 0; a < g.KH; ++a) {
      Value ih = e.add(ih0, e.c64(a * g.dh));
      Value rowOk = inRange(e, ih, 0, g.H);
      if (depthOk)
        rowOk = e.land(depthOk, rowOk);
      for (int64_t bb = 0; bb < g.KW; ++bb) {
        Value iw = e.add(iw0, e.c64(bb * g.dw));
        Value ok = e.land(rowOk, inRange(e, iw, 0, g.W));
        acc = tap(acc, channel, e.add(xBase, e.add(e.mul(ih, e.c64(g.W)), iw)),
                  e.add(wBase, e.c64((kd * g.KH + a) * g.KW + bb)), ok);
      }
    }
  }
  scf::YieldOp::create(b, loc, ValueRange{acc});
  return ciLoop.getResult(0);
}

/// iconv_<i>(out, x, w, x_zero, w_zero, epilogue inputs...: ptr, count:
/// i64): 2-D qc.conv_integer, one thread per output element: Σ over (input
/// channel, kh, kw) of (x - x_zero) (w - w_zero[m]) in i32, taps in the
/// padding left out (zero after the subtraction, as the Executor's). Exact
/// integer arithmetic, so any order is the Executor's. The epilogue (the
/// cast to f32 and the scale of ONNX Runtime's dynamic quantization) as a
/// conv's.
FailureOr<gpu::GPUFuncOp> buildConvIntegerKernel(ModuleOp top,
                                                 llvm::StringRef name,
                                                 KernelTarget t,
                                                 const GpuStep &step) {
  auto conv = cast<qc::ConvIntegerOp>(step.ops.front());
  auto in = cast<RankedTensorType>(conv.getInput().getType());
  auto out = cast<RankedTensorType>(conv.getResult().getType());
  auto wt = cast<RankedTensorType>(conv.getWeight().getType());
  Window g(in, out, wt.getShape().drop_front(2), conv.getStrides(),
           conv.getPads(), conv.getDilations());
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  Block &entry = k->func.getBody().front();
  Value X = entry.getArgument(1), W = entry.getArgument(2);
  OutCoord c = splitOutput(e, k->gid, g);
  Value n = arith::DivUIOp::create(b, loc, c.plane, e.c64(g.M));
  int64_t cg = wt.getDimSize(1), mg = g.M / conv.getGroup();
  Value c0 = e.mul(arith::DivUIOp::create(b, loc, c.m, e.c64(mg)), e.c64(cg));
  Value xz =
      loadZeroPoint(e, entry.getArgument(3), conv.getInputZero(), e.c64(0));
  Value wz = loadZeroPoint(e, entry.getArgument(4), conv.getWeightZero(), c.m);
  Value acc = convTapSum(
      e, g, c, n, c0, cg, e.c32(0),
      [&](Value acc, Value, Value xOff, Value wOff, Value ok) {
        Value x = sub(
            e, loadInt32(e, X, conv.getInput(), e.select(ok, xOff, e.c64(0))),
            xz);
        Value w = sub(e, loadInt32(e, W, conv.getWeight(), wOff), wz);
        return e.select(ok, e.add(acc, e.mul(x, w)), acc);
      });
  if (failed(storeThroughEpilogue(e, step, entry, acc, k->gid)))
    return failure();
  return finishKernel(b, *k);
}

/// imatmul_<i>(out, a, b, a_zero, b_zero, epilogue inputs...: ptr, count:
/// i64): qc.matmul_integer, one thread per output element, batch dims
/// broadcast as qc.matmul's: Σ over k of (a - a_zero[row]) (b -
/// b_zero[col]) in i32 (exact: the Executor's value), then the epilogue.
FailureOr<gpu::GPUFuncOp> buildMatMulIntegerKernel(ModuleOp top,
                                                   llvm::StringRef name,
                                                   KernelTarget t,
                                                   const GpuStep &step) {
  auto mm = cast<qc::MatMulIntegerOp>(step.ops.front());
  auto out = cast<RankedTensorType>(mm.getResult().getType());
  ArrayRef<int64_t> ls =
      cast<RankedTensorType>(mm.getLhs().getType()).getShape();
  ArrayRef<int64_t> rs =
      cast<RankedTensorType>(mm.getRhs().getType()).getShape();
  int64_t r = out.getRank(), K = ls.back(), N = rs.back();
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Block &entry = k->func.getBody().front();
  Value A = entry.getArgument(1), B = entry.getArgument(2);
  SmallVector<Value> c = splitIndex(e, k->gid, out.getShape());
  Value az = loadZeroPoint(e, entry.getArgument(3), mm.getLhsZero(), c[r - 2]);
  Value bz = loadZeroPoint(e, entry.getArgument(4), mm.getRhsZero(), c[r - 1]);
  Value aRow = e.add(matmulBatchBase(e, c, ls, r), e.mul(c[r - 2], e.c64(K)));
  Value bCol = e.add(matmulBatchBase(e, c, rs, r), c[r - 1]);
  auto loop = scf::ForOp::create(b, e.loc, e.c64(0), e.c64(K), e.c64(1),
                                 ValueRange{e.c32(0)});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kk = loop.getInductionVar();
    Value x = sub(e, loadInt32(e, A, mm.getLhs(), e.add(aRow, kk)), az);
    Value w = sub(
        e, loadInt32(e, B, mm.getRhs(), e.add(bCol, e.mul(kk, e.c64(N)))), bz);
    scf::YieldOp::create(
        b, e.loc, ValueRange{e.add(loop.getRegionIterArgs()[0], e.mul(x, w))});
  }
  if (failed(storeThroughEpilogue(e, step, entry, loop.getResult(0), k->gid)))
    return failure();
  return finishKernel(b, *k);
}
} // namespace

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildConvKernel(ModuleOp top, llvm::StringRef name,
                                KernelTarget t, const GpuStep &step) {
  if (isa<qc::ConvTransposeOp>(step.ops.front()))
    return buildConvTransposeKernel(top, name, t, step);
  if (isa<qc::ConvIntegerOp>(step.ops.front()))
    return buildConvIntegerKernel(top, name, t, step);
  auto conv = cast<qc::ConvOp>(step.ops.front());
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<ConvStart> st = startConvKernel(top, name, t, step, conv, b, em);
  if (failed(st))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  const Window &g = st->g;
  const OutCoord &c = st->c;
  Value n = st->n, c0 = st->c0;
  int64_t cg = st->cg;
  // acc over (ci, kh, kw) in order, fma in fp32.
  Value acc = convTapSum(
      e, g, c, n, c0, cg, e.f32c(0.0f),
      [&](Value acc, Value channel, Value xOff, Value wOff, Value ok) {
        st->X.channel = channel;
        Value x = st->X.masked(xOff, ok);
        Value w = st->W(wOff);
        return e.select(ok, LLVM::FMAOp::create(b, loc, x, w, acc), acc);
      });
  return finishConvKernel(e, *st, acc);
}

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildPoolKernel(ModuleOp top, llvm::StringRef name,
                                KernelTarget t, const GpuStep &step) {
  Operation *op = step.ops.front();
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  Block &entry = k->func.getBody().front();
  Value X = entry.getArgument(1);
  // The thread's result stored (through the step's epilogue).
  auto finish = [&](Value y) -> FailureOr<gpu::GPUFuncOp> {
    if (failed(storeThroughEpilogue(e, step, entry, y, k->gid)))
      return failure();
    return finishKernel(b, *k);
  };

  if (isa<qc::GlobalMaxPoolOp>(op)) {
    // Thread per plane: the Executor's running max from -inf, in order, a
    // NaN sticking once seen: m = (x > m || x is NaN) && m is not NaN ? x
    // : m.
    int64_t size = 1;
    for (int64_t i = 2; i < in.getRank(); ++i)
      size *= in.getDimSize(i);
    Value base = e.mul(k->gid, e.c64(size));
    auto loop = scf::ForOp::create(
        b, loc, e.c64(0), e.c64(size), e.c64(1),
        ValueRange{e.f32c(-std::numeric_limits<float>::infinity())});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      using FP = arith::CmpFPredicate;
      Value m = loop.getRegionIterArgs()[0];
      Value x = LLVM::LoadOp::create(
          b, loc, e.f32, e.gep(X, e.f32, e.add(base, loop.getInductionVar())));
      Value take = e.land(
          e.bor(arith::CmpFOp::create(b, loc, FP::OGT, x, m),
                arith::CmpFOp::create(b, loc, FP::UNO, x, x)),
          arith::CmpFOp::create(b, loc, FP::ORD, m, m));
      scf::YieldOp::create(b, loc, ValueRange{e.select(take, x, m)});
    }
    return finish(loop.getResult(0));
  }

  if (isa<qc::GlobalAvgPoolOp>(op)) {
    // Thread per plane: the plane's sum in f64, in order, then / size.
    int64_t size = 1;
    for (int64_t i = 2; i < in.getRank(); ++i)
      size *= in.getDimSize(i);
    Type f64 = b.getF64Type();
    Value base = e.mul(k->gid, e.c64(size));
    auto loop = scf::ForOp::create(
        b, loc, e.c64(0), e.c64(size), e.c64(1),
        ValueRange{arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f64),
                                                  llvm::APFloat(0.0))});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value x = LLVM::LoadOp::create(
          b, loc, e.f32, e.gep(X, e.f32, e.add(base, loop.getInductionVar())));
      Value sum = arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0],
                                        arith::ExtFOp::create(b, loc, f64, x));
      scf::YieldOp::create(b, loc, ValueRange{sum});
    }
    Value mean = arith::DivFOp::create(
        b, loc, loop.getResult(0),
        arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f64),
                                       llvm::APFloat(double(size))));
    return finish(arith::TruncFOp::create(b, loc, e.f32, mean));
  }

  bool isMax = isa<qc::MaxPoolOp>(op);
  ArrayRef<int64_t> kernel, strides, pads, dilations;
  bool includePad = false;
  if (auto mp = dyn_cast<qc::MaxPoolOp>(op)) {
    kernel = mp.getKernelShape(), strides = mp.getStrides(),
    pads = mp.getPads(), dilations = mp.getDilations();
  } else {
    auto ap = cast<qc::AvgPoolOp>(op);
    kernel = ap.getKernelShape(), strides = ap.getStrides(),
    pads = ap.getPads(), dilations = ap.getDilations();
    includePad = ap.getCountIncludePad();
  }
  Window g(in, out, kernel, strides, pads, dilations);
  OutCoord c = splitOutput(e, k->gid, g);
  // Max pooling of i8/ui8 codes: the Executor's runMaxPoolBytes, the float
  // max of the exactly representable values, converted back.
  Type elem = in.getElementType();
  bool bytes = !elem.isF32();
  auto load = [&](Value off, Value ok) -> Value {
    if (!bytes)
      return loadF32Masked(e, X, off, ok);
    Value v = LLVM::LoadOp::create(
        b, loc, e.i8, e.gep(X, e.i8, e.select(ok, off, e.c64(0))));
    return elem.isUnsignedInteger(8)
               ? arith::UIToFPOp::create(b, loc, e.f32, v).getResult()
               : arith::SIToFPOp::create(b, loc, e.f32, v).getResult();
  };
  Value xPlane = e.mul(c.plane, e.c64(g.D * g.H * g.W));
  Value ih0 = arith::SubIOp::create(b, loc, e.mul(c.oh, e.c64(g.sh)), e.c64(g.pt));
  Value iw0 = arith::SubIOp::create(b, loc, e.mul(c.ow, e.c64(g.sw)), e.c64(g.pl));
  Value y = e.f32c(isMax ? -std::numeric_limits<float>::infinity() : 0.0f);
  Value rows = e.c64(0), cols = e.c64(0), depths = e.c64(0);
  // Taps in the Executor's order: depth (3-D windows), rows, columns.
  Value id0 = g.threeD ? arith::SubIOp::create(b, loc, e.mul(c.od, e.c64(g.sd)),
                                               e.c64(g.pf))
                             .getResult()
                       : Value();
  for (int64_t kd = 0; kd < g.KD; ++kd) {
    Value depthOk, depthBase;
    if (g.threeD) {
      Value id = e.add(id0, e.c64(kd * g.dd));
      depthOk = inRange(e, id, 0, g.D);
      depths = e.add(depths, arith::ExtUIOp::create(
                                 b, loc, e.i64,
                                 includePad ? inRange(e, id, -g.pf, g.D + g.pk)
                                            : depthOk));
      depthBase = e.mul(id, e.c64(g.H * g.W));
    }
    for (int64_t a = 0; a < g.KH; ++a) {
      Value ih = e.add(ih0, e.c64(a * g.dh));
      Value rowOk = inRange(e, ih, 0, g.H);
      if (kd == 0)
        rows = e.add(
            rows, arith::ExtUIOp::create(
                      b, loc, e.i64,
                      includePad ? inRange(e, ih, -g.pt, g.H + g.pb) : rowOk));
      for (int64_t bb = 0; bb < g.KW; ++bb) {
        Value iw = e.add(iw0, e.c64(bb * g.dw));
        Value colOk = inRange(e, iw, 0, g.W);
        if (a == 0 && kd == 0)
          cols = e.add(cols, arith::ExtUIOp::create(
                                 b, loc, e.i64,
                                 includePad ? inRange(e, iw, -g.pl, g.W + g.pr)
                                            : colOk));
        Value ok = e.land(rowOk, colOk);
        Value inPlane = e.add(e.mul(ih, e.c64(g.W)), iw);
        if (g.threeD) {
          ok = e.land(depthOk, ok);
          inPlane = e.add(depthBase, inPlane);
        }
        Value v = load(e.add(xPlane, inPlane), ok);
        Value next;
        if (isMax) {
          // NaN wins and then stays (the Executor's rule).
          Value gt =
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, y);
          Value nan =
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
          next = e.select(e.bor(gt, nan), v, y);
        } else {
          next = arith::AddFOp::create(b, loc, y, v);
        }
        y = e.select(ok, next, y);
      }
    }
  }
  if (!isMax) {
    Value cnt = e.mul(rows, cols);
    if (g.threeD)
      cnt = e.mul(depths, cnt);
    Value q = arith::DivFOp::create(b, loc, y,
                                    arith::SIToFPOp::create(b, loc, e.f32, cnt));
    y = e.select(e.eq(cnt, e.c64(0)), e.f32c(0.0f), q);
  }
  if (bytes) // (the code, as the chains hold i8 / ui8 values)
    return finish(arith::TruncIOp::create(
        b, loc, e.i8, arith::FPToSIOp::create(b, loc, e.i32, y)));
  return finish(y);
}

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildCopyKernel(ModuleOp top, llvm::StringRef name,
                                KernelTarget t, const GpuStep &step) {
  int64_t bytes = elementBytes(
      cast<RankedTensorType>(step.outputs[0].getType()).getElementType());
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k = startKernel1D(top, t, name, 2, b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Block &entry = k->func.getBody().front();
  Type it = b.getIntegerType(8 * bytes);
  Value v = LLVM::LoadOp::create(b, e.loc, it,
                                 e.gep(entry.getArgument(1), it, k->gid));
  LLVM::StoreOp::create(b, e.loc, v, e.gep(entry.getArgument(0), it, k->gid));
  return finishKernel(b, *k);
}

//===----------------------------------------------------------------------===//
// Layout kernels, float matmul, row kernels (softmax, layer norm)
//===----------------------------------------------------------------------===//

namespace {

/// Coordinates of linear index `lin` in a row-major static `shape`.
SmallVector<Value> splitIndex(KernelEmitter &e, Value lin,
                              ArrayRef<int64_t> shape) {
  SmallVector<Value> c(shape.size());
  Value rem = lin;
  for (int64_t k = int64_t(shape.size()) - 1; k >= 1; --k) {
    c[k] = arith::RemUIOp::create(e.b, e.loc, rem, e.c64(shape[k]));
    rem = arith::DivUIOp::create(e.b, e.loc, rem, e.c64(shape[k]));
  }
  if (!shape.empty())
    c[0] = rem;
  return c;
}

/// Row-major linear index of `coords` in `shape`.
Value linearize(KernelEmitter &e, ArrayRef<Value> coords,
                ArrayRef<int64_t> shape) {
  Value off = e.c64(0);
  int64_t stride = 1;
  for (int64_t k = int64_t(shape.size()) - 1; k >= 0; --k) {
    if (shape[k] != 1)
      off = e.add(off, e.mul(coords[k], e.c64(stride)));
    stride *= shape[k];
  }
  return off;
}

/// std::max(a, b) for floats: (a < b) ? b : a (NaN in b is ignored, in a kept).
Value stdMax(KernelEmitter &e, Value a, Value b) {
  Value lt = arith::CmpFOp::create(e.b, e.loc, arith::CmpFPredicate::OLT, a, b);
  return e.select(lt, b, a);
}

Value loadF32(KernelEmitter &e, Value base, Value off) {
  return LLVM::LoadOp::create(e.b, e.loc, e.f32, e.gep(base, e.f32, off));
}
void storeF32(KernelEmitter &e, Value base, Value off, Value v) {
  LLVM::StoreOp::create(e.b, e.loc, v, e.gep(base, e.f32, off));
}
Value toF64(KernelEmitter &e, Value x) {
  return arith::ExtFOp::create(e.b, e.loc, e.b.getF64Type(), x);
}

/// Four running f64 sums over k = 0, 4, 8, ... < n4 of f(k + j), combined as
/// (s0 + s1) + (s2 + s3), then the tail k in [n4, n) added in order: the
/// Executor's reduction order for softmax and layer norm.
Value sum4(KernelEmitter &e, int64_t n, llvm::function_ref<Value(Value)> f) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t n4 = n - n % 4;
  Value zero = f64c(e, 0.0);
  auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n4), e.c64(4),
                                 ValueRange{zero, zero, zero, zero});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> next;
    for (int j = 0; j < 4; ++j)
      next.push_back(arith::AddFOp::create(
          b, loc, loop.getRegionIterArgs()[j],
          f(e.add(loop.getInductionVar(), e.c64(j)))));
    scf::YieldOp::create(b, loc, next);
  }
  auto add = [&](Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); };
  Value s = add(add(loop.getResult(0), loop.getResult(1)),
                add(loop.getResult(2), loop.getResult(3)));
  for (int64_t k = n4; k < n; ++k)
    s = add(s, f(e.c64(k)));
  return s;
}

/// One block of a run-time quantize (Program.cpp, matchDynamicQuantize):
/// X[base .. base + len) (f32) gives the scale s = maxNaN(max |x| /
/// QMax[0], Floor[0]) (|x| the sign bit cleared, as the chains' abs; the
/// max from -inf, a NaN giving NaN), stored at S[sIdx] unless `dq`; then
/// each element's code of `q` (stored to C at the element's offset) or,
/// with `dq`, its dequantized f32 value (stored to C).
void emitDynamicQuantizeBlock(KernelEmitter &e, qc::QuantizeLinearOp q,
                              qc::DequantizeLinearOp dq, Value X, Value base,
                              Value len, Value QMax, Value Floor, Value C,
                              Value S, Value sIdx) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  auto loop = scf::ForOp::create(
      b, loc, e.c64(0), len, e.c64(1),
      ValueRange{e.f32c(-std::numeric_limits<float>::infinity())});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value x = loadF32(e, X, e.add(base, loop.getInductionVar()));
    Value ax = bitcastF32(e, e.band(bitcastI32(e, x), e.c32(0x7fffffff)));
    scf::YieldOp::create(
        b, loc, ValueRange{maxNaN(e, loop.getRegionIterArgs()[0], ax)});
  }
  Value s = maxNaN(e,
                   arith::DivFOp::create(b, loc, loop.getResult(0),
                                         loadF32(e, QMax, e.c64(0))),
                   loadF32(e, Floor, e.c64(0)));
  if (!dq)
    storeF32(e, S, sIdx, s);
  Type codes = cast<RankedTensorType>(q.getCodes().getType()).getElementType();
  auto codesLoop = scf::ForOp::create(b, loc, e.c64(0), len, e.c64(1));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(codesLoop.getBody());
  Value at = e.add(base, codesLoop.getInductionVar());
  Value c = quantizeLinearValue(e, q, loadF32(e, X, at), s, Value());
  if (dq)
    storeF32(e, C, at, dequantizeLinearValue(e, dq, c, s, Value()));
  else
    storeElement(e, C, codes, at, c);
}

/// One output element of qc.resize (N13) with constant scales (the
/// attribute), nearest or linear, as the Executor's runResize computes it:
/// per dim the source coordinate in f32 (the coordinate transformation's
/// formula, its constant parts folded here in the same f32 arithmetic),
/// the taps (nearest: one, by the nearest mode; linear: two, an integer
/// coordinate taking the previous point with ratio 1) and their weights
/// (exclude_outside zeroes outside taps and renormalises), indices clamped
/// to the input (edge padding); then the sum over the taps' products in
/// the Executor's order, dims outermost first: each term's weight the
/// product of its taps' weights from 1, a term with a zero tap weight
/// dropped, acc = 0 + w * x term by term (no fma). Planning admits
/// nothing else (Program.cpp isLayout).
Value resizeValue(KernelEmitter &e, qc::ResizeOp rs, Value X, ArrayRef<Value> c,
                  ArrayRef<int64_t> inShape, ArrayRef<int64_t> outShape) {
  using CT = qc::CoordinateTransformation;
  using NM = qc::NearestMode;
  using P = arith::CmpFPredicate;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  auto addf = [&](Value x, Value y) {
    return arith::AddFOp::create(b, loc, x, y).getResult();
  };
  auto subf = [&](Value x, Value y) {
    return arith::SubFOp::create(b, loc, x, y).getResult();
  };
  auto mulf = [&](Value x, Value y) {
    return arith::MulFOp::create(b, loc, x, y).getResult();
  };
  auto divf = [&](Value x, Value y) {
    return arith::DivFOp::create(b, loc, x, y).getResult();
  };
  auto toInt = [&](Value f) {
    return arith::FPToSIOp::create(b, loc, e.i64, f).getResult();
  };
  CT ct = rs.getCoordinateTransformationMode();
  NM nm = rs.getNearestMode();
  bool linear = rs.getMode() == qc::ResizeMode::linear;
  bool exclude = rs.getExcludeOutside();
  int64_t rank = inShape.size();
  struct Taps {
    SmallVector<Value, 2> idx, w;
  };
  SmallVector<Taps> dims(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = inShape[d], outD = outShape[d];
    if (ShapedType::isDynamic(in)) {
      // The run-time batch, not resized (planning checks it): every
      // transformation it allows maps index i to i, and both modes then
      // take that one element with weight 1 (linear's other tap has
      // weight 0 and is dropped).
      dims[d].idx.push_back(c[d]);
      dims[d].w.push_back(e.f32c(1.0f));
      continue;
    }
    float scale = rs.getScales()[d];
    float len = float(in) * scale; // the unrounded resized length
    Value oi = arith::SIToFPOp::create(b, loc, e.f32, c[d]);
    Value sc = e.f32c(scale);
    auto halfPixel = [&] {
      return subf(divf(addf(oi, e.f32c(0.5f)), sc), e.f32c(0.5f));
    };
    Value cf;
    switch (ct) {
    case CT::half_pixel:
      cf = halfPixel();
      break;
    case CT::half_pixel_symmetric: {
      float adj = float(outD) / len, center = float(in) / 2.0f;
      cf = subf(
          addf(e.f32c(center * (1.0f - adj)), divf(addf(oi, e.f32c(0.5f)), sc)),
          e.f32c(0.5f));
      break;
    }
    case CT::pytorch_half_pixel:
      cf = len > 1.0f ? halfPixel() : e.f32c(0.0f);
      break;
    case CT::tf_half_pixel_for_nn:
      cf = divf(addf(oi, e.f32c(0.5f)), sc);
      break;
    case CT::align_corners:
      cf = outD == 1
               ? e.f32c(0.0f)
               : divf(mulf(oi, e.f32c(float(in - 1))), e.f32c(len - 1.0f));
      break;
    default: // asymmetric (tf_crop_and_resize has no kernel)
      cf = divf(oi, sc);
      break;
    }
    Value f = floorOrCeil(e, cf, false);
    auto clampIdx = [&](Value i) {
      return arith::MinSIOp::create(b, loc,
                                    arith::MaxSIOp::create(b, loc, i, e.c64(0)),
                                    e.c64(in - 1))
          .getResult();
    };
    Taps &t = dims[d];
    if (!linear) {
      Value i;
      if (nm == NM::floor) {
        i = toInt(f);
      } else if (nm == NM::ceil) {
        i = toInt(floorOrCeil(e, cf, true));
      } else {
        // A tie goes by the mode; otherwise std::round, which is f + 1
        // exactly when the fraction (c - f, exact) is above one half.
        Value frac = subf(cf, f);
        Value up = arith::CmpFOp::create(b, loc, P::OGT, frac, e.f32c(0.5f));
        if (nm == NM::round_prefer_ceil)
          up = e.select(
              arith::CmpFOp::create(b, loc, P::OEQ, frac, e.f32c(0.5f)),
              arith::ConstantIntOp::create(b, loc, 1, 1), up);
        i = e.add(toInt(f), arith::ExtUIOp::create(b, loc, e.i64, up));
      }
      t.idx.push_back(clampIdx(i));
      t.w.push_back(e.f32c(1.0f));
      continue;
    }
    Value base = toInt(f);
    Value r = subf(cf, f);
    Value whole = arith::CmpFOp::create(b, loc, P::OEQ, r, e.f32c(0.0f));
    r = e.select(whole, e.f32c(1.0f), r);
    base = e.select(whole, arith::SubIOp::create(b, loc, base, e.c64(1)), base);
    Value i0 = base, i1 = e.add(base, e.c64(1));
    Value w0 = subf(e.f32c(1.0f), r), w1 = r;
    if (exclude) {
      auto inside = [&](Value i, Value w) {
        Value ok = e.land(arith::CmpIOp::create(
                              b, loc, arith::CmpIPredicate::sge, i, e.c64(0)),
                          e.slt(i, e.c64(in)));
        return e.select(ok, w, e.f32c(0.0f));
      };
      w0 = inside(i0, w0);
      w1 = inside(i1, w1);
      Value sum = addf(addf(e.f32c(0.0f), w0), w1);
      Value nz = arith::CmpFOp::create(b, loc, P::UNE, sum, e.f32c(0.0f));
      w0 = e.select(nz, divf(w0, sum), w0);
      w1 = e.select(nz, divf(w1, sum), w1);
    }
    t.idx = {clampIdx(i0), clampIdx(i1)};
    t.w = {w0, w1};
  }
  // The terms in the Executor's order: the last dim's tap varies fastest.
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * inShape[d + 1];
  Value acc = e.f32c(0.0f);
  std::function<void(int64_t, Value, Value, Value)> walk =
      [&](int64_t d, Value off, Value w, Value keep) {
        if (d == rank) {
          Value x = LLVM::LoadOp::create(b, loc, e.f32, e.gep(X, e.f32, off));
          Value term = addf(acc, mulf(w, x));
          acc = keep ? e.select(keep, term, acc) : term;
          return;
        }
        const Taps &t = dims[d];
        for (size_t k = 0; k < t.idx.size(); ++k) {
          Value nz =
              t.idx.size() > 1
                  ? arith::CmpFOp::create(b, loc, P::UNE, t.w[k], e.f32c(0.0f))
                        .getResult()
                  : Value();
          walk(d + 1, e.add(off, e.mul(t.idx[k], e.c64(strides[d]))),
               mulf(w, t.w[k]), nz ? (keep ? e.land(keep, nz) : nz) : keep);
        }
      };
  walk(0, e.c64(0), e.f32c(1.0f), Value());
  return acc;
}

/// One row of F31's asymmetric run-time quantize (Program.cpp,
/// matchAsymmetricDynamicQuantize): over X[base .. base + len) the min and
/// max from +-inf (minNaN / maxNaN), lo = minNaN(min, zero), hi =
/// maxNaN(max, zero), s = maxNaN((hi - lo) / range, floor), z =
/// cast(round(clip(qmin - lo / s, zlo, zhi))); then each element's
/// dequantized value of `q` with s and z, stored to C.
void emitAsymmetricQuantizeRow(KernelEmitter &e, qc::QuantizeLinearOp q,
                               qc::DequantizeLinearOp dq, qc::ClipOp clip,
                               Value X, Value base, Value len, Value Zero,
                               Value Range, Value Floor, Value QMin, Value C) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  float inf = std::numeric_limits<float>::infinity();
  auto loop = scf::ForOp::create(b, loc, e.c64(0), len, e.c64(1),
                                 ValueRange{e.f32c(inf), e.f32c(-inf)});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value x = loadF32(e, X, e.add(base, loop.getInductionVar()));
    scf::YieldOp::create(
        b, loc,
        ValueRange{minNaN(e, loop.getRegionIterArgs()[0], x),
                   maxNaN(e, loop.getRegionIterArgs()[1], x)});
  }
  Value zero = loadF32(e, Zero, e.c64(0));
  Value lo = minNaN(e, loop.getResult(0), zero);
  Value hi = maxNaN(e, loop.getResult(1), zero);
  Value s = maxNaN(
      e,
      arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, hi, lo),
                            loadF32(e, Range, e.c64(0))),
      loadF32(e, Floor, e.c64(0)));
  Value zf = arith::SubFOp::create(b, loc, loadF32(e, QMin, e.c64(0)),
                                   arith::DivFOp::create(b, loc, lo, s));
  zf = clipValue(e, zf, clip.getMin()->convertToFloat(),
                 clip.getMax()->convertToFloat());
  Type codes = cast<RankedTensorType>(q.getCodes().getType()).getElementType();
  Value z = castToInt8(e, roundHalfEven(e, zf), codes.isSignlessInteger(8));
  auto codesLoop = scf::ForOp::create(b, loc, e.c64(0), len, e.c64(1));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(codesLoop.getBody());
  Value at = e.add(base, codesLoop.getInductionVar());
  Value c = quantizeLinearValue(e, q, loadF32(e, X, at), s, z);
  storeF32(e, C, at, dequantizeLinearValue(e, dq, c, s, z));
}

/// The run-time quantize a norm's row kernel does of the row it stored,
/// Y[base .. base + n) (layer_norm_dq_ / rms_norm_dq_): block by block, the
/// codes to C and the scales to S[gid * blocks + kb], or (a dequantize
/// fused too) the dequantized row to C.
void emitRowDynamicQuantize(KernelEmitter &e, const GpuStep &step, Value Y,
                            Value base, int64_t n, Value gid,
                            ValueRange params, Value C, Value S) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  qc::QuantizeLinearOp q = quantc::detail::stepQuantize(step);
  auto dq = dyn_cast<qc::DequantizeLinearOp>(step.ops.back());
  if (q.getZeroPoint()) {
    // F31 asymmetric, the whole row one block (params: zero, range,
    // floor, qmin), dequantized.
    qc::ClipOp clip;
    for (Operation *op : step.ops)
      if (auto c = dyn_cast<qc::ClipOp>(op))
        clip = c;
    emitAsymmetricQuantizeRow(e, q, dq, clip, Y, base, e.c64(n), params[0],
                              params[1], params[2], params[3], C);
    return;
  }
  Value QMax = params[0], Floor = params[1];
  int64_t bs = quantc::detail::linearQuantLayout(q).blockSize;
  int64_t nb = (n + bs - 1) / bs;
  auto blocks = scf::ForOp::create(b, loc, e.c64(0), e.c64(nb), e.c64(1));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(blocks.getBody());
  Value kb = blocks.getInductionVar();
  Value lo = e.mul(kb, e.c64(bs));
  Value len = arith::MinSIOp::create(
      b, loc, e.c64(bs), arith::SubIOp::create(b, loc, e.c64(n), lo));
  emitDynamicQuantizeBlock(e, q, dq, Y, e.add(base, lo), len, QMax, Floor, C,
                           dq ? Value() : S, e.add(e.mul(gid, e.c64(nb)), kb));
}

} // namespace

/// `acc` combined with `u` by a scatter's reduction, as the Executor's
/// Scatterer: none replaces; floats add, multiply, or take std::max /
/// std::min ((x < y) ? y : x, (y < x) ? y : x); integers wrap, unsigned
/// ones compared as unsigned.
Value scatterCombine(KernelEmitter &e, qc::ScatterReduction red, Type elem,
                     Value acc, Value u) {
  OpBuilder &b = e.b;
  using R = qc::ScatterReduction;
  bool isFloat = isa<FloatType>(acc.getType());
  switch (red) {
  case R::none:
    return u;
  case R::add:
    return isFloat ? arith::AddFOp::create(b, e.loc, acc, u).getResult()
                   : e.add(acc, u);
  case R::mul:
    return isFloat ? arith::MulFOp::create(b, e.loc, acc, u).getResult()
                   : e.mul(acc, u);
  case R::max:
  case R::min: {
    // max: acc < u ? u : acc; min: u < acc ? u : acc.
    bool mx = red == R::max;
    Value l = mx ? acc : u, r = mx ? u : acc;
    Value less =
        isFloat
            ? arith::CmpFOp::create(b, e.loc, arith::CmpFPredicate::OLT, l, r)
                  .getResult()
            : arith::CmpIOp::create(b, e.loc,
                                    elem.isUnsignedInteger()
                                        ? arith::CmpIPredicate::ult
                                        : arith::CmpIPredicate::slt,
                                    l, r)
                  .getResult();
    return e.select(less, u, acc);
  }
  }
  return u;
}

/// One output element of qc.scatter_elements (S17) or qc.scatter_nd
/// (S16): the data's element, then every update that lands on it combined
/// in the updates' order (the Executor's), so duplicates and reductions
/// give its result bit for bit. Each thread scans all index tuples: O(out
/// x updates), no atomics, meant for the index-sized scatters of masks
/// and caches. A negative index counts from the end; an out-of-range one
/// (the Executor's error) matches nothing.
Value scatterValue(KernelEmitter &e, Operation *op, Value X, Value I, Value U,
                   ArrayRef<Value> c, Value gid) {
  OpBuilder &b = e.b;
  auto typeOf = [](Value v) { return cast<RankedTensorType>(v.getType()); };
  Type elem = typeOf(op->getResult(0)).getElementType();
  ArrayRef<int64_t> data = typeOf(op->getOperand(0)).getShape();
  RankedTensorType ixT = typeOf(op->getOperand(1));
  Type it = ixT.getElementType();
  auto red = isa<qc::ScatterNDOp>(op)
                 ? cast<qc::ScatterNDOp>(op).getReduction()
                 : cast<qc::ScatterElementsOp>(op).getReduction();
  auto index = [&](Value at, int64_t dim) {
    Value iv = loadElement(e, I, it, at);
    if (it.getIntOrFloatBitWidth() < 64)
      iv = arith::ExtSIOp::create(b, e.loc, e.i64, iv);
    return e.select(e.slt(iv, e.c64(0)), e.add(iv, e.c64(dim)), iv);
  };
  Value start = toChainValue(e, elem, loadElement(e, X, elem, gid));
  // Tuples (ScatterND: the index rows, each a slice of `slice` elements;
  // ScatterElements: every index element).
  int64_t tuples, slice = 1, m = 0;
  auto nd = dyn_cast<qc::ScatterNDOp>(op);
  if (nd) {
    m = ixT.getShape().back();
    tuples = ixT.getNumElements() / std::max<int64_t>(m, 1);
    for (int64_t d = m; d < int64_t(data.size()); ++d)
      slice *= data[d];
  } else {
    tuples = ixT.getNumElements();
  }
  auto loop = scf::ForOp::create(b, e.loc, e.c64(0), e.c64(tuples), e.c64(1),
                                 ValueRange{start});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar(), acc = loop.getRegionIterArgs()[0];
    Value hit = arith::ConstantIntOp::create(b, e.loc, 1, 1);
    Value from;
    if (nd) {
      // The tuple's m coordinates against this element's first m; the
      // update is (tuple, the rest of this element's coordinates).
      for (int64_t d = 0; d < m; ++d)
        hit = e.land(
            hit,
            e.eq(index(e.add(e.mul(t, e.c64(m)), e.c64(d)), data[d]), c[d]));
      Value rest = e.c64(0);
      for (int64_t d = m; d < int64_t(data.size()); ++d)
        rest = e.add(e.mul(rest, e.c64(data[d])), c[d]);
      from = e.add(e.mul(t, e.c64(slice)), rest);
    } else {
      // Index element t at coordinates ct (the indices' shape): its
      // target is ct with the axis coordinate its value.
      auto se = cast<qc::ScatterElementsOp>(op);
      int64_t axis = se.getAxis();
      axis = axis < 0 ? axis + int64_t(data.size()) : axis;
      SmallVector<Value> ct = splitIndex(e, t, ixT.getShape());
      for (int64_t d = 0; d < int64_t(data.size()); ++d)
        hit = e.land(hit, e.eq(d == axis ? index(t, data[axis]) : ct[d], c[d]));
      from = t;
    }
    Value u = toChainValue(e, elem, loadElement(e, U, elem, from));
    Value next = scatterCombine(e, red, elem, acc, u);
    scf::YieldOp::create(b, e.loc, ValueRange{e.select(hit, next, acc)});
  }
  return fromChainValue(e, elem, loop.getResult(0));
}

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildLayoutKernel(ModuleOp top, llvm::StringRef name,
                                  KernelTarget t, const GpuStep &step) {
  Operation *op = step.ops.front();
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  Type elem = out.getElementType();
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Block &entry = k->func.getBody().front();
  Value Y = entry.getArgument(0);
  SmallVector<Value> c = splitIndex(e, k->gid, out.getShape());
  auto inShape = [&](unsigned i) {
    return cast<RankedTensorType>(op->getOperand(i).getType()).getShape();
  };
  Value v;
  if (auto tr = dyn_cast<qc::TransposeOp>(op)) {
    SmallVector<Value> in(c.size());
    for (auto [kk, p] : llvm::enumerate(tr.getPerm()))
      in[p] = c[kk];
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, inShape(0)));
  } else if (auto sl = dyn_cast<qc::SliceOp>(op)) {
    SmallVector<Value> in(c.begin(), c.end());
    ArrayRef<int64_t> shape = inShape(0);
    for (auto [i, a] : llvm::enumerate(sl.getAxes())) {
      int64_t axis = a < 0 ? a + shape.size() : a, dim = shape[axis];
      int64_t step_ = sl.getSteps().empty() ? 1 : sl.getSteps()[i];
      int64_t s = sl.getStarts()[i];
      s = s < 0 ? s + dim : s;
      s = step_ > 0 ? std::clamp<int64_t>(s, 0, dim)
                    : std::clamp<int64_t>(s, 0, dim - 1);
      in[axis] = e.add(e.c64(s), e.mul(c[axis], e.c64(step_)));
    }
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, shape));
  } else if (auto cc = dyn_cast<qc::ConcatOp>(op)) {
    // I64Attr getters return uint64_t: read the axis as signed.
    int64_t axis = static_cast<int64_t>(cc.getAxis());
    axis = axis < 0 ? axis + out.getRank() : axis;
    int64_t lo = 0;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      ArrayRef<int64_t> shape = inShape(i);
      int64_t hi = lo + shape[axis];
      Value inside = e.land(
          arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::sge, c[axis],
                                e.c64(lo)),
          e.slt(c[axis], e.c64(hi)));
      SmallVector<Value> in(c.begin(), c.end());
      in[axis] = arith::SubIOp::create(b, e.loc, c[axis], e.c64(lo));
      // Outside this input: read its element 0 (in bounds) and drop it.
      Value off = e.select(inside, linearize(e, in, shape), e.c64(0));
      Value vi = loadElement(e, entry.getArgument(1 + i), elem, off);
      v = v ? e.select(inside, vi, v) : vi;
      lo = hi;
    }
  } else if (auto pd = dyn_cast<qc::PadOp>(op)) {
    // qc.pad (S14): negative pads crop, then each dimension's index maps
    // into the n elements that remain by the mode; outside them (mode
    // constant) the fill, the load reading element 0 (in bounds).
    ArrayRef<int64_t> shape = inShape(0), pads = pd.getPads();
    int64_t rank = shape.size();
    qc::PadMode mode = pd.getMode();
    SmallVector<Value> in(c.begin(), c.end());
    Value inside;
    auto rem = [&](Value a, int64_t m) { // ((a % m) + m) % m
      Value r = arith::RemSIOp::create(b, e.loc, a, e.c64(m));
      return arith::RemSIOp::create(b, e.loc, e.add(r, e.c64(m)), e.c64(m))
          .getResult();
    };
    for (int64_t d = 0; d < rank; ++d) {
      int64_t first = std::max<int64_t>(-pads[d], 0);
      int64_t n = shape[d] - first - std::max<int64_t>(-pads[rank + d], 0);
      if (pads[d] == 0 && pads[rank + d] == 0)
        continue;
      Value i = arith::SubIOp::create(b, e.loc, c[d],
                                      e.c64(std::max<int64_t>(pads[d], 0)));
      switch (mode) {
      case qc::PadMode::constant: {
        Value ok = e.land(arith::CmpIOp::create(b, e.loc,
                                                arith::CmpIPredicate::sge, i,
                                                e.c64(0)),
                          e.slt(i, e.c64(n)));
        inside = inside ? e.land(inside, ok) : ok;
        i = e.select(ok, i, e.c64(0));
        break;
      }
      case qc::PadMode::edge:
        i = arith::MinSIOp::create(
            b, e.loc, arith::MaxSIOp::create(b, e.loc, i, e.c64(0)),
            e.c64(n - 1));
        break;
      case qc::PadMode::reflect:
        if (n == 1) {
          i = e.c64(0);
        } else {
          int64_t p = 2 * (n - 1);
          i = rem(i, p);
          i = e.select(e.slt(i, e.c64(n)), i,
                       arith::SubIOp::create(b, e.loc, e.c64(p), i));
        }
        break;
      case qc::PadMode::wrap:
        i = rem(i, n);
        break;
      }
      in[d] = e.add(i, e.c64(first));
    }
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, shape));
    if (inside) {
      Value fill;
      std::optional<TypedAttr> val = pd.getValue();
      if (elem.isF32())
        fill = e.f32c(val ? float(cast<FloatAttr>(*val).getValueAsDouble())
                          : 0.0f);
      else if (elem.isInteger(1))
        fill = arith::ConstantIntOp::create(
            b, e.loc, b.getI1Type(),
            val ? int64_t(cast<IntegerAttr>(*val).getValue().getBoolValue())
                : 0);
      else if (auto it = dyn_cast<IntegerType>(v.getType()))
        fill = e.cst(it, val && isa<IntegerAttr>(*val)
                             ? cast<IntegerAttr>(*val).getValue().getSExtValue()
                             : 0);
      else // f16/bf16 or float codes: the zero bit pattern
        fill = arith::ConstantOp::create(b, e.loc, v.getType(),
                                         b.getZeroAttr(v.getType()));
      v = e.select(inside, v, fill);
    }
  } else if (isa<qc::ArgMaxOp, qc::ArgMinOp>(op)) {
    // M21: this thread's slice along the axis, scanned in order; IEEE
    // compares (ordered: a NaN never wins after the first element), >= /
    // <= with select_last_index. Unsigned codes compare unsigned.
    bool isMax = isa<qc::ArgMaxOp>(op);
    int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
    bool last = cast<BoolAttr>(op->getAttr("select_last_index")).getValue();
    ArrayRef<int64_t> shape = inShape(0);
    Type inElem =
        cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
    SmallVector<Value> in(c.begin(), c.end());
    if ((int64_t)in.size() == (int64_t)shape.size())
      in[axis] = e.c64(0);
    else
      in.insert(in.begin() + axis, e.c64(0));
    Value base = linearize(e, in, shape);
    int64_t stride = 1;
    for (int64_t d = axis + 1; d < (int64_t)shape.size(); ++d)
      stride *= shape[d];
    Value x0 = loadElement(e, entry.getArgument(1), inElem, base);
    auto loop = scf::ForOp::create(b, e.loc, e.c64(1), e.c64(shape[axis]),
                                   e.c64(1), ValueRange{x0, e.c64(0)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value kk = loop.getInductionVar();
      Value x = loadElement(e, entry.getArgument(1), inElem,
                            e.add(base, e.mul(kk, e.c64(stride))));
      Value best = loop.getRegionIterArgs()[0];
      Value better;
      if (isa<FloatType>(inElem)) {
        auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                  : arith::CmpFPredicate::OGT)
                          : (last ? arith::CmpFPredicate::OLE
                                  : arith::CmpFPredicate::OLT);
        better = arith::CmpFOp::create(b, e.loc, pred, x, best);
      } else {
        bool u = inElem.isUnsignedInteger();
        auto pred = isMax ? (last ? (u ? arith::CmpIPredicate::uge
                                       : arith::CmpIPredicate::sge)
                                  : (u ? arith::CmpIPredicate::ugt
                                       : arith::CmpIPredicate::sgt))
                          : (last ? (u ? arith::CmpIPredicate::ule
                                       : arith::CmpIPredicate::sle)
                                  : (u ? arith::CmpIPredicate::ult
                                       : arith::CmpIPredicate::slt));
        better = arith::CmpIOp::create(b, e.loc, pred, x, best);
      }
      scf::YieldOp::create(
          b, e.loc,
          ValueRange{e.select(better, x, best),
                     e.select(better, kk, loop.getRegionIterArgs()[1])});
    }
    v = loop.getResult(1);
  } else if (auto tl = dyn_cast<qc::TriluOp>(op)) {
    // M23: the element, or zero outside the triangle (k a constant, or
    // read from the kernel's third pointer).
    int64_t r = c.size();
    v = loadElement(e, entry.getArgument(1), elem, k->gid);
    Value d = arith::SubIOp::create(b, e.loc, c[r - 1], c[r - 2]);
    Value kv = !tl.getK() ? e.c64(0)
               : constantScalar(tl.getK())
                   ? e.c64(*constantScalar(tl.getK()))
                   : loadIndexScalar(e, entry.getArgument(2), tl.getK());
    Value keep = arith::CmpIOp::create(
        b, e.loc,
        tl.getUpper() ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
        d, kv);
    Value zero = arith::ConstantOp::create(b, e.loc, v.getType(),
                                           b.getZeroAttr(v.getType()));
    v = e.select(keep, v, zero);
  } else if (auto cs = dyn_cast<qc::CumSumOp>(op)) {
    // M22: this element's running sum, added in the Executor's order
    // (from the first element, or from the last with reverse), so the
    // float results are bit-identical; f16 and f64 summed in f32 as the
    // Executor holds them. The axis is a constant, or read from the
    // kernel's third pointer (negative from the end; the axis, its extent,
    // stride and this element's coordinate along it then selected among
    // the rank's candidates: an axis out of range, the Executor's error,
    // takes the last).
    ArrayRef<int64_t> shape = inShape(0);
    int64_t rank = shape.size();
    auto strideOf = [&](int64_t axis) {
      int64_t stride = 1;
      for (int64_t d = axis + 1; d < rank; ++d)
        stride *= shape[d];
      return stride;
    };
    Value n, stride, p;
    if (std::optional<int64_t> ca = constantScalar(cs.getAxis())) {
      int64_t axis = *ca < 0 ? *ca + rank : *ca;
      n = e.c64(shape[axis]);
      stride = e.c64(strideOf(axis));
      p = c[axis];
    } else {
      Value a = loadIndexScalar(e, entry.getArgument(2), cs.getAxis());
      a = e.select(e.slt(a, e.c64(0)), e.add(a, e.c64(rank)), a);
      n = e.c64(shape[rank - 1]);
      stride = e.c64(1);
      p = c[rank - 1];
      for (int64_t d = rank - 2; d >= 0; --d) {
        Value is = e.eq(a, e.c64(d));
        n = e.select(is, e.c64(shape[d]), n);
        stride = e.select(is, e.c64(strideOf(d)), stride);
        p = e.select(is, c[d], p);
      }
    }
    Value base = arith::SubIOp::create(b, e.loc, k->gid, e.mul(p, stride));
    bool rev = cs.getReverse(), excl = cs.getExclusive();
    // Terms: forward p (+1 inclusive) from 0 up; reverse n-1-p (+1) from
    // n-1 down.
    Value last = arith::SubIOp::create(b, e.loc, n, e.c64(1));
    Value count =
        rev ? arith::SubIOp::create(b, e.loc, last, p).getResult() : p;
    if (!excl)
      count = e.add(count, e.c64(1));
    Value zero = isa<FloatType>(elem)
                     ? e.f32c(0.0f)
                     : e.cst(storageType(e, elem), 0);
    auto loop = scf::ForOp::create(b, e.loc, e.c64(0), count, e.c64(1),
                                   ValueRange{zero});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value q = loop.getInductionVar();
      Value at = rev ? arith::SubIOp::create(b, e.loc, last, q).getResult() : q;
      Value x = toChainValue(e, elem,
                             loadElement(e, entry.getArgument(1), elem,
                                         e.add(base, e.mul(at, stride))));
      Value acc = loop.getRegionIterArgs()[0];
      Value sum = isa<FloatType>(elem)
                      ? arith::AddFOp::create(b, e.loc, acc, x).getResult()
                      : arith::AddIOp::create(b, e.loc, acc, x).getResult();
      scf::YieldOp::create(b, e.loc, ValueRange{sum});
    }
    v = fromChainValue(e, elem, loop.getResult(0));
  } else if (isa<qc::TileOp>(op)) {
    // S8 with constant repeats (the static result type): each coordinate
    // modulo the input's extent.
    ArrayRef<int64_t> shape = inShape(0);
    SmallVector<Value> in;
    for (auto [k, d] : llvm::enumerate(shape))
      in.push_back(d == 1 ? e.c64(0)
                          : arith::RemUIOp::create(b, e.loc, c[k], e.c64(d))
                                .getResult());
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, shape));
  } else if (auto ge = dyn_cast<qc::GatherElementsOp>(op)) {
    // The output's coordinates with the axis one read from `indices`
    // (same shape as the output; negative from the end, out-of-range ones
    // clamped as qc.gather's kernel does: an error on the CPU).
    ArrayRef<int64_t> data = inShape(0);
    int64_t axis = static_cast<int64_t>(ge.getAxis());
    axis = axis < 0 ? axis + int64_t(data.size()) : axis;
    Type it = cast<RankedTensorType>(ge.getIndices().getType()).getElementType();
    Value iv = loadElement(e, entry.getArgument(2), it, k->gid);
    if (it.getIntOrFloatBitWidth() < 64)
      iv = arith::ExtSIOp::create(b, e.loc, e.i64, iv);
    int64_t dim = data[axis];
    iv = e.select(e.slt(iv, e.c64(0)), e.add(iv, e.c64(dim)), iv);
    iv = arith::MaxSIOp::create(b, e.loc, iv, e.c64(0));
    iv = arith::MinSIOp::create(b, e.loc, iv, e.c64(dim - 1));
    SmallVector<Value> in(c.begin(), c.end());
    in[axis] = iv;
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, data));
  } else if (isa<qc::ScatterElementsOp, qc::ScatterNDOp>(op)) {
    v = scatterValue(e, op, entry.getArgument(1), entry.getArgument(2),
                     entry.getArgument(3), c, k->gid);
  } else if (isa<qc::ExpandOp>(op)) {
    // S7 with a constant shape (the static result type): numpy
    // broadcasting, a dim of 1 read at 0.
    ArrayRef<int64_t> shape = inShape(0);
    int64_t lead = out.getRank() - shape.size();
    SmallVector<Value> in;
    for (auto [k, d] : llvm::enumerate(shape))
      in.push_back(d == 1 ? e.c64(0) : c[lead + k]);
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, shape));
  } else if (auto rs = dyn_cast<qc::ResizeOp>(op)) {
    v = resizeValue(e, rs, entry.getArgument(1), c, inShape(0), out.getShape());
  } else if (auto gn = dyn_cast<qc::GatherNDOp>(op)) {
    // S15: the output coordinates are (batch, tuple position, slice); the
    // tuple's m indices (negative from the end, out-of-range ones clamped
    // as qc.gather's kernel does: an error on the CPU) pick the data
    // coordinates b .. b+m.
    ArrayRef<int64_t> data = inShape(0), idx = inShape(1);
    int64_t b0 = gn.getBatchDims(), q = idx.size(), m = idx.back();
    Type it = cast<RankedTensorType>(gn.getIndices().getType()).getElementType();
    Value tuple = e.mul(linearize(e, ArrayRef<Value>(c).take_front(q - 1),
                                  idx.drop_back()),
                        e.c64(m));
    SmallVector<Value> in(c.begin(), c.begin() + b0);
    for (int64_t j = 0; j < m; ++j) {
      Value iv = loadElement(e, entry.getArgument(2), it,
                             e.add(tuple, e.c64(j)));
      if (it.getIntOrFloatBitWidth() < 64)
        iv = arith::ExtSIOp::create(b, e.loc, e.i64, iv);
      int64_t dim = data[b0 + j];
      iv = e.select(e.slt(iv, e.c64(0)), e.add(iv, e.c64(dim)), iv);
      iv = arith::MaxSIOp::create(b, e.loc, iv, e.c64(0));
      iv = arith::MinSIOp::create(b, e.loc, iv, e.c64(dim - 1));
      in.push_back(iv);
    }
    in.append(c.begin() + q - 1, c.end());
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, data));
  } else {
    auto ga = cast<qc::GatherOp>(op);
    ArrayRef<int64_t> data = inShape(0), idx = inShape(1);
    int64_t axis = static_cast<int64_t>(ga.getAxis());
    axis = axis < 0 ? axis + int64_t(data.size()) : axis;
    int64_t q = idx.size();
    Type it = cast<RankedTensorType>(ga.getIndices().getType()).getElementType();
    Value iv = loadElement(e, entry.getArgument(2), it,
                           linearize(e, ArrayRef<Value>(c).slice(axis, q), idx));
    if (it.getIntOrFloatBitWidth() < 64)
      iv = arith::ExtSIOp::create(b, e.loc, e.i64, iv);
    // Negative indices count from the end; out-of-range ones (an error on
    // the CPU) are clamped so no read leaves the tensor.
    int64_t dim = data[axis];
    iv = e.select(e.slt(iv, e.c64(0)), e.add(iv, e.c64(dim)), iv);
    iv = arith::MaxSIOp::create(b, e.loc, iv, e.c64(0));
    iv = arith::MinSIOp::create(b, e.loc, iv, e.c64(dim - 1));
    SmallVector<Value> in(c.begin(), c.begin() + axis);
    in.push_back(iv);
    in.append(c.begin() + axis + q, c.end());
    v = loadElement(e, entry.getArgument(1), elem, linearize(e, in, data));
  }
  storeElement(e, Y, elem, k->gid, v);
  return finishKernel(b, *k);
}

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildMatMulKernel(ModuleOp top, llvm::StringRef name,
                                  KernelTarget t, const GpuStep &step) {
  if (isa<qc::MatMulIntegerOp>(step.ops.front()))
    return buildMatMulIntegerKernel(top, name, t, step);
  auto mm = cast<qc::MatMulOp>(step.ops.front());
  auto out = cast<RankedTensorType>(mm.getResult().getType());
  ArrayRef<int64_t> ls = cast<RankedTensorType>(mm.getLhs().getType()).getShape();
  ArrayRef<int64_t> rs = cast<RankedTensorType>(mm.getRhs().getType()).getShape();
  int64_t r = out.getRank(), K = ls.back(), N = rs.back();
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Block &entry = k->func.getBody().front();
  OperandLoader lhs(e, step, entry, 0, 1);
  OperandLoader rhs(e, step, entry, 1, 1 + lhs.numArgs());
  SmallVector<Value> c = splitIndex(e, k->gid, out.getShape());
  Value aRow = e.add(matmulBatchBase(e, c, ls, r), e.mul(c[r - 2], e.c64(K)));
  Value bCol = e.add(matmulBatchBase(e, c, rs, r), c[r - 1]);
  auto loop = scf::ForOp::create(b, e.loc, e.c64(0), e.c64(K), e.c64(1),
                                 ValueRange{e.f32c(0.0f)});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kk = loop.getInductionVar();
    Value x = lhs(e.add(aRow, kk));
    Value w = rhs(e.add(bCol, e.mul(kk, e.c64(N))));
    scf::YieldOp::create(b, e.loc,
                         ValueRange{LLVM::FMAOp::create(
                             b, e.loc, x, w, loop.getRegionIterArgs()[0])});
  }
  if (lhs.failed || rhs.failed ||
      failed(storeThroughEpilogue(e, step, entry, loop.getResult(0), k->gid)))
    return failure();
  return finishKernel(b, *k);
}

namespace {
/// attention_<i>(out, query, key_t, value[, mask]: ptr, rows: i64): one
/// thread per query row of qc.attention, in the Executor's order but for
/// the two products (fp32 fma in order over D and over Sk, where the
/// Executor uses OpenBLAS): each score q . k_k, times `scale` when it is
/// not 1, plus the f32 mask or, with an i1 mask, mask_value where it is
/// false; then softmaxRow (four running maxima, expClamped of the f32
/// difference in f64, four f64 sums, times (float)(1 / sum)); the scores
/// are recomputed in each of the three passes (nothing but the output is
/// stored), the output accumulated over k in order.
FailureOr<gpu::GPUFuncOp> buildAttentionKernel(ModuleOp top,
                                               llvm::StringRef name,
                                               KernelTarget t,
                                               const GpuStep &step) {
  auto at = cast<qc::AttentionOp>(step.ops.front());
  auto qt = cast<RankedTensorType>(at.getQuery().getType());
  auto kt = cast<RankedTensorType>(at.getKeyT().getType());
  auto vt = cast<RankedTensorType>(at.getValue().getType());
  int64_t r = qt.getRank(), D = qt.getDimSize(r - 1), Sk = kt.getDimSize(r - 1),
          Dv = vt.getDimSize(r - 1);
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, 1 + step.inputs.size(), b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  Block &entry = k->func.getBody().front();
  Value Y = entry.getArgument(0), Q = entry.getArgument(1),
        KT = entry.getArgument(2), V = entry.getArgument(3);
  Value M = at.getMask() ? entry.getArgument(4) : Value();
  // The row's coordinates in the scores' [lead..., Sq] (dimension 0 takes
  // what remains: the run-time batch).
  SmallVector<Value> c = splitIndex(e, k->gid, qt.getShape().drop_back());
  Value batch = arith::DivUIOp::create(b, loc, k->gid,
                                       e.c64(qt.getDimSize(r - 2)));
  Value qBase = e.mul(k->gid, e.c64(D));
  Value kBase = e.mul(batch, e.c64(D * Sk));
  Value vBase = e.mul(batch, e.c64(Sk * Dv));
  Value yBase = e.mul(k->gid, e.c64(Dv));
  // The mask's offset: its dims aligned right with the scores' [lead...,
  // Sq, Sk], a dim of 1 broadcast (linearize skips it).
  RankedTensorType mt =
      M ? cast<RankedTensorType>(at.getMask().getType()) : RankedTensorType();
  float scale = at.getScale().convertToFloat();
  Type maskElem = M ? mt.getElementType() : Type();
  auto score = [&](Value kk) -> Value {
    auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(D), e.c64(1),
                                   ValueRange{e.f32c(0.0f)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value d = loop.getInductionVar();
      Value x = loadF32(e, Q, e.add(qBase, d));
      Value w = loadF32(e, KT, e.add(kBase, e.add(e.mul(d, e.c64(Sk)), kk)));
      scf::YieldOp::create(b, loc,
                           ValueRange{LLVM::FMAOp::create(
                               b, loc, x, w, loop.getRegionIterArgs()[0])});
    }
    Value s = loop.getResult(0);
    if (scale != 1.0f)
      s = arith::MulFOp::create(b, loc, s, e.f32c(scale));
    if (!M)
      return s;
    SmallVector<Value> sc(c.begin(), c.end());
    sc.push_back(kk);
    ArrayRef<Value> mc = ArrayRef<Value>(sc).take_back(mt.getRank());
    Value mv = loadElement(e, M, maskElem, linearize(e, mc, mt.getShape()));
    if (at.getMaskValue())
      return e.select(mv, s, e.f32c(at.getMaskValue()->convertToFloat()));
    return arith::AddFOp::create(b, loc, s, mv).getResult();
  };
  // Max: four running maxima, then the tail (std::max order).
  int64_t k4 = Sk - Sk % 4;
  Value ninf = e.f32c(-std::numeric_limits<float>::infinity());
  auto mloop = scf::ForOp::create(b, loc, e.c64(0), e.c64(k4), e.c64(4),
                                  ValueRange{ninf, ninf, ninf, ninf});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(mloop.getBody());
    SmallVector<Value> next;
    for (int j = 0; j < 4; ++j)
      next.push_back(stdMax(e, mloop.getRegionIterArgs()[j],
                            score(e.add(mloop.getInductionVar(), e.c64(j)))));
    scf::YieldOp::create(b, loc, next);
  }
  Value mx = stdMax(e, stdMax(e, mloop.getResult(0), mloop.getResult(1)),
                    stdMax(e, mloop.getResult(2), mloop.getResult(3)));
  for (int64_t kk = k4; kk < Sk; ++kk)
    mx = stdMax(e, mx, score(e.c64(kk)));
  // (float)expClamped(max((double)(s - mx), -700)) of a score.
  auto expOf = [&](Value kk) -> Value {
    Value d = toF64(e, arith::SubFOp::create(b, loc, score(kk), mx));
    d = e.select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, d,
                                       f64c(e, -700.0)),
                 f64c(e, -700.0), d);
    return arith::TruncFOp::create(b, loc, e.f32, expClamped(e, d));
  };
  Value sum = sum4(e, Sk, [&](Value kk) { return toF64(e, expOf(kk)); });
  Value inv = arith::TruncFOp::create(
      b, loc, e.f32, arith::DivFOp::create(b, loc, f64c(e, 1.0), sum));
  auto zero = scf::ForOp::create(b, loc, e.c64(0), e.c64(Dv), e.c64(1));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(zero.getBody());
    storeF32(e, Y, e.add(yBase, zero.getInductionVar()), e.f32c(0.0f));
  }
  auto kloop = scf::ForOp::create(b, loc, e.c64(0), e.c64(Sk), e.c64(1));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(kloop.getBody());
    Value kk = kloop.getInductionVar();
    Value p = arith::MulFOp::create(b, loc, expOf(kk), inv);
    Value vRow = e.add(vBase, e.mul(kk, e.c64(Dv)));
    auto dloop = scf::ForOp::create(b, loc, e.c64(0), e.c64(Dv), e.c64(1));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(dloop.getBody());
    Value dv = dloop.getInductionVar();
    Value at_ = e.add(yBase, dv);
    storeF32(e, Y, at_,
             LLVM::FMAOp::create(b, loc, p, loadF32(e, V, e.add(vRow, dv)),
                                 loadF32(e, Y, at_)));
  }
  return finishKernel(b, *k);
}
/// qc.top_k (M24) over the last axis of f32 values, k a constant: one
/// thread per row picks its k elements in the Executor's order, a strict
/// total order (larger first with `largest`, else smaller; NaN above
/// every number; ties by index): each pick is the first element, in that
/// order, of those after the previous pick, one scan of the row each
/// (O(n k)). (values, indices, x: ptr, rows: i64).
FailureOr<gpu::GPUFuncOp> buildTopKKernel(ModuleOp top, llvm::StringRef name,
                                          KernelTarget t,
                                          const GpuStep &step) {
  auto tk = cast<qc::TopKOp>(step.ops.front());
  auto in = cast<RankedTensorType>(tk.getInput().getType());
  int64_t n = in.getShape().back();
  int64_t k = cast<RankedTensorType>(tk.getValues().getType()).getShape().back();
  bool largest = tk.getLargest();
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  FailureOr<Kernel1D> kk = startKernel1D(top, t, name, 3, b, em);
  if (failed(kk))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  Block &entry = kk->func.getBody().front();
  Value V = entry.getArgument(0), I = entry.getArgument(1),
        X = entry.getArgument(2);
  Value base = e.mul(kk->gid, e.c64(n));
  // Whether (u, iu) comes before (v, iv).
  auto before = [&](Value u, Value iu, Value v, Value iv) {
    Value un = arith::CmpFOp::create(b, loc, FP::UNO, u, u);
    Value vn = arith::CmpFOp::create(b, loc, FP::UNO, v, v);
    Value byIndex = e.slt(iu, iv);
    Value nanRes = e.select(
        arith::CmpIOp::create(b, loc, IP::ne, un, vn), largest ? un : vn,
        byIndex);
    Value numRes = e.select(
        arith::CmpFOp::create(b, loc, FP::ONE, u, v),
        arith::CmpFOp::create(b, loc, largest ? FP::OGT : FP::OLT, u, v),
        byIndex);
    return e.select(e.bor(un, vn), nanRes, numRes);
  };
  auto picks = scf::ForOp::create(b, loc, e.c64(0), e.c64(k), e.c64(1),
                                  ValueRange{e.c64(-1), e.f32c(0.0f)});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(picks.getBody());
    Value prev = picks.getRegionIterArgs()[0];
    Value prevVal = picks.getRegionIterArgs()[1];
    Value first = e.slt(prev, e.c64(0));
    auto scan = scf::ForOp::create(b, loc, e.c64(0), e.c64(n), e.c64(1),
                                   ValueRange{e.c64(-1), e.f32c(0.0f)});
    {
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(scan.getBody());
      Value q = scan.getInductionVar();
      Value best = scan.getRegionIterArgs()[0];
      Value bestVal = scan.getRegionIterArgs()[1];
      Value x = loadF32(e, X, e.add(base, q));
      Value after = e.bor(first, before(prevVal, prev, x, q));
      Value better =
          e.bor(e.slt(best, e.c64(0)), before(x, q, bestVal, best));
      Value take = e.land(after, better);
      scf::YieldOp::create(
          b, loc, ValueRange{e.select(take, q, best),
                             e.select(take, x, bestVal)});
    }
    Value at = e.add(e.mul(kk->gid, e.c64(k)), picks.getInductionVar());
    storeF32(e, V, at, scan.getResult(1));
    LLVM::StoreOp::create(b, loc, scan.getResult(0), e.gep(I, e.i64, at));
    scf::YieldOp::create(b, loc, scan.getResults());
  }
  return finishKernel(b, *kk);
}

/// qc.lstm, qc.gru and qc.rnn (N16) with static shapes, ONNX's default
/// activations and no sequence_lens: lstm_<i> / gru_<i> / rnn_<i>(y, y_h
/// [, y_c], x, w, r[, b][, initial_h][, initial_c][, p]: ptr, threads:
/// i64), one CTA of H threads per (direction, batch row), thread j owning
/// hidden unit j. Per step each thread computes its gates' pre-activations
/// (x_t . W row and h_prev . R row in fp32 with fma, in order; the
/// Executor's sgemm sums in its own order), then the gates and states with
/// the Executor's f32 operations (fastSigmoid, fastTanh, clip; LSTM's
/// peepholes and input_forget; GRU's linear_before_reset), stores h_t
/// into y, and waits at bar.sync: the next step reads h_prev from y's
/// previous time slice, which the whole CTA has written by then. A GRU
/// without linear_before_reset first stores r ⊙ h_prev into y's current
/// slice, waits, reads it back for (r ⊙ h_prev) . R_h, and waits again
/// before storing h_t there.
FailureOr<gpu::GPUFuncOp> buildRecurrentKernel(ModuleOp top,
                                               llvm::StringRef name,
                                               KernelTarget t,
                                               const GpuStep &step) {
  Operation *op = step.ops.front();
  auto lstm = dyn_cast<qc::LstmOp>(op);
  auto gru = dyn_cast<qc::GruOp>(op);
  auto xt = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t S = xt.getDimSize(0), B = xt.getDimSize(1), I = xt.getDimSize(2);
  int64_t H = cast<IntegerAttr>(op->getAttr("hidden_size")).getInt();
  auto dir = cast<qc::RnnDirectionAttr>(op->getAttr("direction")).getValue();
  bool bidi = dir == qc::RnnDirection::bidirectional;
  int64_t D = bidi ? 2 : 1, G = lstm ? 4 : gru ? 3 : 1;
  OpBuilder b(top.getContext());
  SmallVector<Type> args(step.outputs.size() + step.inputs.size(),
                         LLVM::LLVMPointerType::get(top.getContext()));
  args.push_back(b.getI64Type());
  FailureOr<gpu::GPUFuncOp> made = quantc::detail::createKernelFunc(
      top, t, name, args, {int32_t(H), 1, 1}, b);
  if (failed(made))
    return failure();
  Block &entry = made->getBody().front();
  KernelEmitter e(b, made->getLoc());
  e.entry = &entry;
  Location loc = e.loc;
  // Arguments: the outputs, then the op's operands present, in order.
  unsigned a = 0;
  Value Y = entry.getArgument(a++), YH = entry.getArgument(a++);
  Value YC = lstm ? entry.getArgument(a++) : Value();
  Value X = entry.getArgument(a++), W = entry.getArgument(a++),
        R = entry.getArgument(a++);
  auto optional = [&](Value v) { return v ? entry.getArgument(a++) : Value(); };
  Value Bias = optional(lstm  ? lstm.getB()
                        : gru ? gru.getB()
                              : cast<qc::RnnOp>(op).getB());
  Value H0 = optional(lstm  ? lstm.getInitialH()
                      : gru ? gru.getInitialH()
                            : cast<qc::RnnOp>(op).getInitialH());
  Value C0 = lstm ? optional(lstm.getInitialC()) : Value();
  Value P = lstm ? optional(lstm.getP()) : Value();
  Value j = e.idToI64(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value cta = e.idToI64(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
  Value d = arith::DivUIOp::create(b, loc, cta, e.c64(B));
  Value bb = arith::RemUIOp::create(b, loc, cta, e.c64(B));
  // Whether this CTA's direction runs backwards: the reverse one, or the
  // second of a bidirectional op.
  Value rev = dir == qc::RnnDirection::reverse ? e.eq(e.c64(0), e.c64(0))
              : bidi                           ? e.eq(d, e.c64(1))
                                               : e.eq(e.c64(0), e.c64(1));
  Value state = e.add(e.mul(e.add(e.mul(d, e.c64(B)), bb), e.c64(H)), j);
  Value c0 = C0 ? loadF32(e, C0, state) : e.f32c(0.0f);
  Value h0 = H0 ? loadF32(e, H0, state) : e.f32c(0.0f);
  std::optional<float> clip;
  if (auto c = op->getAttrOfType<FloatAttr>("clip"))
    clip = c.getValue().convertToFloat();
  // std::max(-clip, std::min(clip, v)), NaN to clip as there.
  auto gate = [&](Value v) -> Value {
    if (!clip)
      return v;
    Value c = e.f32c(*clip), nc = e.f32c(-*clip);
    Value m = e.select(
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, c), v, c);
    return e.select(
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, nc, m), m, nc);
  };
  // sum over k < n of load(A, aBase + k) * load(M, mBase + k), fma in order.
  auto dot = [&](Value A, Value aBase, Value M, Value mBase, int64_t n) {
    auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n), e.c64(1),
                                   ValueRange{e.f32c(0.0f)});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    scf::YieldOp::create(
        b, loc,
        ValueRange{LLVM::FMAOp::create(b, loc, loadF32(e, A, e.add(aBase, k)),
                                       loadF32(e, M, e.add(mBase, k)),
                                       loop.getRegionIterArgs()[0])});
    return loop.getResult(0);
  };
  auto mulf = [&](Value x, Value y) {
    return arith::MulFOp::create(b, loc, x, y).getResult();
  };
  auto addf = [&](Value x, Value y) {
    return arith::AddFOp::create(b, loc, x, y).getResult();
  };
  // The bias of gate gi: the input's (half 0) or the recurrence's (1).
  auto bias = [&](int64_t half, int64_t gi) {
    return loadF32(e, Bias,
                   e.add(e.mul(d, e.c64(2 * G * H)),
                         e.add(e.c64(half * G * H + gi * H), j)));
  };
  auto steps = scf::ForOp::create(b, loc, e.c64(0), e.c64(S), e.c64(1),
                                  ValueRange{c0, h0});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(steps.getBody());
    Value st = steps.getInductionVar();
    Value cPrev = steps.getRegionIterArgs()[0];
    Value hPrev = steps.getRegionIterArgs()[1];
    Value t = e.select(rev, sub(e, e.c64(S - 1), st), st);
    Value tp = e.select(rev, e.add(t, e.c64(1)), sub(e, t, e.c64(1)));
    Value first = e.eq(st, e.c64(0));
    Value xBase = e.mul(e.add(e.mul(t, e.c64(B)), bb), e.c64(I));
    auto slice = [&](Value tt) {
      return e.mul(e.add(e.mul(e.add(e.mul(tt, e.c64(D)), d), e.c64(B)), bb),
                   e.c64(H));
    };
    Value yPrev = slice(tp), yNow = slice(t);
    auto row = [&](int64_t gi) {
      return e.add(e.mul(d, e.c64(G * H)), e.add(e.c64(gi * H), j));
    };
    // h_prev . R row of gate gi: initial_h at the first step (none: 0),
    // else y's previous time slice.
    auto recur = [&](int64_t gi) -> Value {
      Value rBase = e.mul(row(gi), e.c64(H));
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{e.f32}, first,
                                    /*withElseRegion=*/true);
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value hr0 = H0 ? dot(H0, sub(e, state, j), R, rBase, H) : e.f32c(0.0f);
      scf::YieldOp::create(b, loc, hr0);
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, dot(Y, yPrev, R, rBase, H));
      return ifOp.getResult(0);
    };
    auto xw = [&](int64_t gi) {
      return dot(X, xBase, W, e.mul(row(gi), e.c64(I)), I);
    };
    // (x W + h R) of gate gi, plus both its biases.
    auto pre = [&](int64_t gi) -> Value {
      Value v = addf(xw(gi), recur(gi));
      return Bias ? addf(v, addf(bias(0, gi), bias(1, gi))) : v;
    };
    Value cNew = cPrev, h;
    if (lstm) {
      Value pBase = e.mul(d, e.c64(3 * H));
      // Gates i, o, f, c (ONNX's order); peepholes i, o, f.
      Value iv = pre(0), ov = pre(1), fv = pre(2), cv = pre(3);
      if (P) {
        iv = addf(iv, mulf(loadF32(e, P, e.add(pBase, j)), cPrev));
        fv = addf(fv, mulf(loadF32(e, P, e.add(pBase, e.add(e.c64(2 * H), j))),
                           cPrev));
      }
      Value ig = fastSigmoid(e, gate(iv));
      Value fg =
          lstm.getInputForget()
              ? arith::SubFOp::create(b, loc, e.f32c(1.0f), ig).getResult()
              : fastSigmoid(e, gate(fv));
      cNew = addf(mulf(fg, cPrev), mulf(ig, fastTanh(e, gate(cv))));
      if (P)
        ov = addf(ov,
                  mulf(loadF32(e, P, e.add(pBase, e.add(e.c64(H), j))), cNew));
      h = mulf(fastSigmoid(e, gate(ov)), fastTanh(e, cNew));
    } else if (gru) {
      // Gates z, r, h; h~ = tanh(x W_h + Wb_h + r (h R_h + Rb_h)) with
      // linear_before_reset, else + (r h) R_h + Rb_h.
      Value z = fastSigmoid(e, gate(pre(0)));
      Value r = fastSigmoid(e, gate(pre(1)));
      Value hv = xw(2);
      if (Bias)
        hv = addf(hv, bias(0, 2));
      Value rb = Bias ? bias(1, 2) : e.f32c(0.0f);
      if (gru.getLinearBeforeReset()) {
        hv = addf(hv, mulf(r, addf(recur(2), rb)));
      } else {
        storeF32(e, Y, e.add(yNow, j), mulf(r, hPrev));
        gpu::BarrierOp::create(b, loc);
        Value rhr = dot(Y, yNow, R, e.mul(row(2), e.c64(H)), H);
        gpu::BarrierOp::create(b, loc);
        hv = addf(hv, addf(rhr, rb));
      }
      Value ht = fastTanh(e, gate(hv));
      h = addf(mulf(arith::SubFOp::create(b, loc, e.f32c(1.0f), z), ht),
               mulf(z, hPrev));
    } else {
      h = fastTanh(e, gate(pre(0)));
    }
    storeF32(e, Y, e.add(yNow, j), h);
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, ValueRange{cNew, h});
  }
  storeF32(e, YH, state, steps.getResult(1));
  if (YC)
    storeF32(e, YC, state, steps.getResult(0));
  gpu::ReturnOp::create(b, loc);
  return *made;
}

} // namespace

namespace {
/// dql_<i>(y, scale, zero, x: ptr, n: i64): ONNX DynamicQuantizeLinear
/// (the Executor's numerics::dynamicQuantizeLinear) by one warp: each lane
/// takes the max and min (from 0, std::max / std::min) of elements lane,
/// lane + 32, ...; a butterfly of shfl.sync combines them (max and min are
/// exact, so any order gives the Executor's); then every lane computes
/// scale = (max == min ? 1 : max - min) / 255 and zero = rne(clamp(0 -
/// min / scale, 0, 255)) in f32, lane 0 stores them, and the lanes
/// quantize their elements as qc.quantize_linear (Numerics F21-F23) to
/// ui8. The Executor refuses NaN and infinite inputs; the kernel's codes
/// for them are unspecified (a NaN is skipped by the compares).
FailureOr<gpu::GPUFuncOp>
buildDynamicQuantizeLinearKernel(ModuleOp top, llvm::StringRef name,
                                 KernelTarget t, const GpuStep &step) {
  Operation *op = step.ops.front();
  OpBuilder b(top.getContext());
  SmallVector<Type> args(4, LLVM::LLVMPointerType::get(top.getContext()));
  args.push_back(b.getI64Type());
  FailureOr<gpu::GPUFuncOp> made =
      quantc::detail::createKernelFunc(top, t, name, args, {32, 1, 1}, b);
  if (failed(made))
    return failure();
  Block &entry = made->getBody().front();
  KernelEmitter e(b, made->getLoc());
  e.entry = &entry;
  Location loc = e.loc;
  using FP = arith::CmpFPredicate;
  Value Y = entry.getArgument(0), S = entry.getArgument(1),
        Z = entry.getArgument(2), X = entry.getArgument(3),
        n = entry.getArgument(4);
  Value lane = e.idToI64(gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  auto lt = [&](Value a, Value c) {
    return arith::CmpFOp::create(b, loc, FP::OLT, a, c);
  };
  // std::max(m, x) is m < x ? x : m; std::min(m, x) is x < m ? x : m.
  auto maxOf = [&](Value m, Value x) { return e.select(lt(m, x), x, m); };
  auto minOf = [&](Value m, Value x) { return e.select(lt(x, m), x, m); };
  auto scan = scf::ForOp::create(b, loc, lane, n, e.c64(32),
                                 ValueRange{e.f32c(0.0f), e.f32c(0.0f)});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(scan.getBody());
    Value x = loadF32(e, X, scan.getInductionVar());
    scf::YieldOp::create(b, loc,
                         ValueRange{maxOf(scan.getRegionIterArgs()[0], x),
                                    minOf(scan.getRegionIterArgs()[1], x)});
  }
  Value mx = scan.getResult(0), mn = scan.getResult(1);
  for (int off : {16, 8, 4, 2, 1}) {
    auto shfl = [&](Value v) {
      return NVVM::ShflOp::create(b, loc, e.f32, e.c32(-1), v, e.c32(off),
                                  e.c32(0x1f), NVVM::ShflKind::bfly,
                                  /*return_value_and_is_valid=*/nullptr)
          .getResult();
    };
    Value otherMax = shfl(mx), otherMin = shfl(mn);
    mx = maxOf(mx, otherMax);
    mn = minOf(mn, otherMin);
  }
  Value range = e.select(arith::CmpFOp::create(b, loc, FP::OEQ, mx, mn),
                         e.f32c(1.0f), arith::SubFOp::create(b, loc, mx, mn));
  Value scale = arith::DivFOp::create(b, loc, range, e.f32c(255.0f));
  Value zp = arith::SubFOp::create(b, loc, e.f32c(0.0f),
                                   arith::DivFOp::create(b, loc, mn, scale));
  zp = e.select(lt(e.f32c(0.0f), zp), zp, e.f32c(0.0f));     // std::max(0, zp)
  zp = e.select(lt(zp, e.f32c(255.0f)), zp, e.f32c(255.0f)); // std::min
  zp = roundHalfEven(e, zp);
  Value code = arith::TruncIOp::create(
      b, loc, e.i8, arith::FPToSIOp::create(b, loc, e.i32, zp));
  {
    OpBuilder::InsertionGuard g(b);
    e.ifThen(e.eq(lane, e.c64(0)));
    storeF32(e, S, e.c64(0), scale);
    LLVM::StoreOp::create(b, loc, code, e.gep(Z, e.i8, e.c64(0)));
  }
  auto quant = scf::ForOp::create(b, loc, lane, n, e.c64(32));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(quant.getBody());
    Value i = quant.getInductionVar();
    Value q = quantizeLinearValue(e, op, loadF32(e, X, i), scale, code);
    LLVM::StoreOp::create(b, loc, q, e.gep(Y, e.i8, i));
  }
  gpu::ReturnOp::create(b, loc);
  return *made;
}
} // namespace

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildRowKernel(ModuleOp top, llvm::StringRef name,
                               KernelTarget t, const GpuStep &step) {
  Operation *op = step.ops.front();
  if (isa<qc::DynamicQuantizeLinearOp>(op))
    return buildDynamicQuantizeLinearKernel(top, name, t, step);
  if (isa<qc::AttentionOp>(op))
    return buildAttentionKernel(top, name, t, step);
  if (isa<qc::TopKOp>(op))
    return buildTopKKernel(top, name, t, step);
  if (isa<qc::LstmOp, qc::GruOp, qc::RnnOp>(op))
    return buildRecurrentKernel(top, name, t, step);
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t n = in.getShape().back();
  // The axes a thread walks, when they are not just the last one:
  // a reduction's, or a softmax's axis.
  SmallVector<int64_t> axes;
  if (quantc::detail::isReduceOp(op))
    for (int64_t a : quantc::detail::reduceAxes(op))
      axes.push_back(a < 0 ? a + in.getRank() : a);
  if (isa<qc::SoftmaxOp, qc::LogSoftmaxOp>(op)) {
    int64_t a = cast<IntegerAttr>(op->getAttr("axis")).getInt();
    axes.push_back(a < 0 ? a + in.getRank() : a);
  }
  if (!axes.empty()) {
    llvm::sort(axes);
    n = 1; // the reduced dims
    for (int64_t a : axes)
      n *= in.getDimSize(a);
  }
  if (auto ln = dyn_cast<qc::LayerNormOp>(op)) {
    // Over dims [axis, rank): a contiguous row of their product.
    int64_t a = static_cast<int64_t>(ln.getAxis());
    n = 1;
    for (int64_t d = a < 0 ? a + in.getRank() : a; d < in.getRank(); ++d)
      n *= in.getDimSize(d);
  }
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  unsigned ptrs = step.outputs.size() + step.inputs.size();
  bool batchReduce = quantc::detail::isBatchReduce(op);
  FailureOr<Kernel1D> k =
      startKernel1D(top, t, name, ptrs, b, em, batchReduce ? 1 : 0);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  Block &entry = k->func.getBody().front();
  if (batchReduce) {
    // Output j: the max over n of in[n * inner + j], n in order from -inf,
    // a NaN giving NaN (maxNaN, as below); the batch is argument 2.
    int64_t inner = 1;
    for (int64_t d = 1; d < in.getRank(); ++d)
      inner *= in.getDimSize(d);
    Value Y = entry.getArgument(0), X = entry.getArgument(1);
    auto loop = scf::ForOp::create(
        b, loc, e.c64(0), entry.getArgument(2), e.c64(1),
        ValueRange{e.f32c(-std::numeric_limits<float>::infinity())});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value at = e.add(e.mul(loop.getInductionVar(), e.c64(inner)), k->gid);
      scf::YieldOp::create(
          b, loc,
          ValueRange{maxNaN(e, loop.getRegionIterArgs()[0], loadF32(e, X, at))});
    }
    storeF32(e, Y, k->gid, loop.getResult(0));
    return finishKernel(b, *k);
  }
  Value base = e.mul(k->gid, e.c64(n));
  std::function<Value(Value)> at = [&](Value kk) { return e.add(base, kk); };
  if (!axes.empty()) {
    // Reduced (softmax: normalized) axes anywhere (dimension 0 only when static): the
    // thread's coordinates in the other dims give the base of its input
    // elements, the reduced coordinates (row-major, the Executor's
    // accumulation order) the rest. With trailing axes this is gid * n +
    // kk.
    int64_t r = in.getRank();
    bool trailing = true;
    for (auto [i, a] : llvm::enumerate(axes))
      trailing &= a == r - int64_t(axes.size()) + int64_t(i);
    if (!trailing) {
      SmallVector<int64_t> stride(r, 1);
      for (int64_t d = r - 2; d >= 0; --d)
        stride[d] = stride[d + 1] * in.getDimSize(d + 1);
      Value rem = k->gid;
      base = e.c64(0);
      for (int64_t d = r - 1; d >= 0; --d) {
        if (llvm::is_contained(axes, d))
          continue;
        Value c = rem;
        if (d > 0) { // dimension 0 (the batch) takes what remains
          c = arith::RemUIOp::create(b, loc, rem, e.c64(in.getDimSize(d)));
          rem = arith::DivUIOp::create(b, loc, rem, e.c64(in.getDimSize(d)));
        }
        base = e.add(base, e.mul(c, e.c64(stride[d])));
      }
      at = [&, axes, stride](Value kk) {
        Value off = base, q = kk;
        for (int64_t i = int64_t(axes.size()) - 1; i >= 0; --i) {
          int64_t a = axes[i];
          Value c = i > 0 ? arith::RemUIOp::create(b, loc, q,
                                                   e.c64(in.getDimSize(a)))
                                .getResult()
                          : q;
          if (i > 0)
            q = arith::DivUIOp::create(b, loc, q, e.c64(in.getDimSize(a)));
          off = e.add(off, e.mul(c, e.c64(stride[a])));
        }
        return off;
      };
    }
  }
  auto forEach = [&](llvm::function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n), e.c64(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  };

  if (isa<qc::SoftmaxOp, qc::LogSoftmaxOp>(op)) {
    Value Y = entry.getArgument(0), X = entry.getArgument(1);
    // Max: four running maxima, then the tail (std::max order).
    int64_t n4 = n - n % 4;
    Value ninf = e.f32c(-std::numeric_limits<float>::infinity());
    auto mloop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n4), e.c64(4),
                                    ValueRange{ninf, ninf, ninf, ninf});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(mloop.getBody());
      SmallVector<Value> next;
      for (int j = 0; j < 4; ++j)
        next.push_back(stdMax(
            e, mloop.getRegionIterArgs()[j],
            loadF32(e, X, at(e.add(mloop.getInductionVar(), e.c64(j))))));
      scf::YieldOp::create(b, loc, next);
    }
    Value mx = stdMax(e, stdMax(e, mloop.getResult(0), mloop.getResult(1)),
                      stdMax(e, mloop.getResult(2), mloop.getResult(3)));
    for (int64_t kk = n4; kk < n; ++kk)
      mx = stdMax(e, mx, loadF32(e, X, at(e.c64(kk))));
    // y = (float)expClamped(max((double)(x - mx), -700)), stored, then
    // summed in f64 (four partial sums) as the Executor does. With an
    // epilogue (its codes, say, stored in Y) y is computed again where
    // it is needed instead of stored: the same value.
    auto expAt = [&](Value kk) -> Value {
      Value d = toF64(e, arith::SubFOp::create(b, loc, loadF32(e, X, at(kk)), mx));
      d = e.select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, d,
                                         f64c(e, -700.0)),
                   f64c(e, -700.0), d);
      return arith::TruncFOp::create(b, loc, e.f32, expClamped(e, d));
    };
    bool epilogue = step.ops.size() > 1;
    bool isLog = isa<qc::LogSoftmaxOp>(op);
    if (!epilogue)
      forEach([&](Value kk) { storeF32(e, Y, at(kk), expAt(kk)); });
    Value sum = sum4(e, n, [&](Value kk) {
      return toF64(e, epilogue ? expAt(kk) : loadF32(e, Y, at(kk)));
    });
    // log: y = x - mx - (float)fastLogD(sum), in f32; else y * (float)(1 /
    // sum).
    Value scale = isLog
                      ? arith::TruncFOp::create(b, loc, e.f32, fastLogD(e, sum))
                      : arith::TruncFOp::create(
                            b, loc, e.f32,
                            arith::DivFOp::create(b, loc, f64c(e, 1.0), sum));
    bool chainFailed = false;
    forEach([&](Value kk) {
      Value y =
          isLog
              ? arith::SubFOp::create(
                    b, loc,
                    arith::SubFOp::create(b, loc, loadF32(e, X, at(kk)), mx),
                    scale)
                    .getResult()
              : arith::MulFOp::create(
                    b, loc, epilogue ? expAt(kk) : loadF32(e, Y, at(kk)), scale)
                    .getResult();
      chainFailed |= failed(storeThroughEpilogue(e, step, entry, y, at(kk)));
    });
    if (chainFailed)
      return failure();
    return finishKernel(b, *k);
  }

  // Reductions read f16 and f64 as f32 and store their result in their
  // own type, as the chains do (the Executor's f32 values).
  Type redIn =
      cast<RankedTensorType>(op->getOperand(0).getType()).getElementType();
  Type redOut =
      cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  auto loadX = [&](Value X, Value off) {
    return toChainValue(e, redIn, loadElement(e, X, redIn, off));
  };
  auto storeY = [&](Value Y, Value off, Value v) {
    storeElement(e, Y, redOut, off, fromChainValue(e, redOut, v));
  };

  if (isa<qc::ReduceMaxOp, qc::ReduceMinOp>(op)) {
    // The row's max (min) in order from -inf (+inf), a NaN anywhere giving
    // NaN (the Executor's maxNaN / minNaN; its f64 accumulator holds only
    // f32 values).
    bool isMin = isa<qc::ReduceMinOp>(op);
    float inf = std::numeric_limits<float>::infinity();
    Value Y = entry.getArgument(0), X = entry.getArgument(1);
    auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n), e.c64(1),
                                   ValueRange{e.f32c(isMin ? inf : -inf)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value acc = loop.getRegionIterArgs()[0];
      Value x = loadX(X, at(loop.getInductionVar()));
      scf::YieldOp::create(
          b, loc, ValueRange{isMin ? minNaN(e, acc, x) : maxNaN(e, acc, x)});
    }
    storeY(Y, k->gid, loop.getResult(0));
    return finishKernel(b, *k);
  }

  if (quantc::detail::isReduceOp(op)) {
    // The Executor's reduceOver: each value mapped to f64 (|x|, x * x, or
    // for log-sum-exp exp(x - max)), accumulated in order from 0 (1 for a
    // product), then divided by the count (mean), square-rooted (L2) or
    // logged (fastLogD; log-sum-exp adds its max), rounded once to f32.
    Value Y = entry.getArgument(0), X = entry.getArgument(1);
    auto x64 = [&](Value kk) { return toF64(e, loadX(X, at(kk))); };
    Value mx;
    if (isa<qc::ReduceLogSumExpOp>(op)) {
      // The max (maxNaN from -inf), an infinite one taken as 0.
      auto loop = scf::ForOp::create(
          b, loc, e.c64(0), e.c64(n), e.c64(1),
          ValueRange{e.f32c(-std::numeric_limits<float>::infinity())});
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(loop.getBody());
        scf::YieldOp::create(
            b, loc,
            ValueRange{maxNaN(e, loop.getRegionIterArgs()[0],
                              loadX(X, at(loop.getInductionVar())))});
      }
      mx = toF64(e, loop.getResult(0));
      Value isInf = arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OEQ, absF64(e, mx),
          f64c(e, std::numeric_limits<double>::infinity()));
      mx = e.select(isInf, f64c(e, 0.0), mx);
    }
    auto pre = [&](Value kk) -> Value {
      Value v = x64(kk);
      if (isa<qc::ReduceL1Op>(op))
        return absF64(e, v);
      if (isa<qc::ReduceL2Op, qc::ReduceSumSquareOp>(op))
        return arith::MulFOp::create(b, loc, v, v);
      if (isa<qc::ReduceLogSumExpOp>(op))
        return lseTerm(e, arith::SubFOp::create(b, loc, v, mx));
      return v;
    };
    bool prod = isa<qc::ReduceProdOp>(op);
    auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n), e.c64(1),
                                   ValueRange{f64c(e, prod ? 1.0 : 0.0)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value acc = loop.getRegionIterArgs()[0], v = pre(loop.getInductionVar());
      scf::YieldOp::create(
          b, loc,
          ValueRange{prod ? arith::MulFOp::create(b, loc, acc, v).getResult()
                          : arith::AddFOp::create(b, loc, acc, v).getResult()});
    }
    Value r = loop.getResult(0);
    if (isa<qc::ReduceMeanOp>(op))
      r = arith::DivFOp::create(b, loc, r, f64c(e, double(n)));
    if (isa<qc::ReduceL2Op>(op))
      r = sqrtRN(e, r);
    if (isa<qc::ReduceLogSumOp>(op))
      r = fastLogD(e, r);
    if (isa<qc::ReduceLogSumExpOp>(op))
      r = arith::AddFOp::create(b, loc, mx, fastLogD(e, r));
    storeY(Y, k->gid, arith::TruncFOp::create(b, loc, e.f32, r));
    return finishKernel(b, *k);
  }

  if (isa<qc::RmsNormOp, qc::PowOp>(op)) {
    // RMS norm over the last dimension, the Executor's rmsNorm: squares
    // rounded to f32 summed in order in f64, the mean rounded to f32,
    // sqrt.rn(mean + eps), then x / rms * scale. (out[, codes, scales |
    // dequantized], x, scale[, qmax, floor]) with a run-time quantize
    // of the row fused. The decomposed form (pow, reduce_mean, add, sqrt,
    // div, mul; Program.cpp) reads its exponent (2 or 3: products in f64,
    // as the chains' pow), epsilon and gain (per element or one) from
    // memory: (out[, ...], x, e, eps, g[, qmax, floor]).
    auto rn = dyn_cast<qc::RmsNormOp>(op);
    unsigned nOut = step.outputs.size();
    unsigned nIn = rn ? 2 : 4;
    Value Y = entry.getArgument(0), X = entry.getArgument(nOut),
          G = entry.getArgument(nOut + nIn - 1);
    Value two = rn ? Value()
                   : arith::CmpFOp::create(
                         b, loc, arith::CmpFPredicate::OEQ,
                         loadF32(e, entry.getArgument(nOut + 1), e.c64(0)),
                         e.f32c(2.0f));
    // The gain is the step's input 3 (ops.back() may be a fused quantize).
    auto gainTy = rn ? RankedTensorType()
                     : cast<RankedTensorType>(step.inputs[3].getType());
    bool scalarGain = gainTy && gainTy.hasStaticShape() &&
                      gainTy.getNumElements() == 1;
    auto loop = scf::ForOp::create(b, loc, e.c64(0), e.c64(n), e.c64(1),
                                   ValueRange{f64c(e, 0.0)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value x = toF64(e, loadF32(e, X, at(loop.getInductionVar())));
      Value x2 = arith::MulFOp::create(b, loc, x, x);
      Value p = rn ? x2
                   : e.select(two, x2, arith::MulFOp::create(b, loc, x2, x));
      Value sq = arith::TruncFOp::create(b, loc, e.f32, p);
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0],
                                           toF64(e, sq))});
    }
    Value ms = arith::TruncFOp::create(
        b, loc, e.f32,
        arith::DivFOp::create(b, loc, loop.getResult(0), f64c(e, double(n))));
    Value eps = rn ? e.f32c(rn.getEpsilon().convertToFloat())
                   : loadF32(e, entry.getArgument(nOut + 2), e.c64(0));
    Value rms = sqrtRN(e, arith::AddFOp::create(b, loc, ms, eps));
    forEach([&](Value kk) {
      storeF32(e, Y, at(kk),
               arith::MulFOp::create(
                   b, loc,
                   arith::DivFOp::create(b, loc, loadF32(e, X, at(kk)), rms),
                   loadF32(e, G, scalarGain ? e.c64(0) : kk)));
    });
    if (qc::QuantizeLinearOp q = stepQuantize(step))
      emitRowDynamicQuantize(
          e, step, Y, base, n, k->gid,
          entry.getArguments().slice(nOut + nIn, q.getZeroPoint() ? 4 : 2),
          entry.getArgument(1), nOut == 3 ? entry.getArgument(2) : Value());
    return finishKernel(b, *k);
  }

  // Layer norm over the last dimension: (out, mean, inv[, codes, scales],
  // x, scale[, bias]); with codes and scales it also quantizes its row to
  // MXFP8. With a run-time quantize fused (a qc.quantize_linear among the
  // ops): (out, mean, inv, codes, scales | dequantized, x, scale[, bias],
  // qmax, floor).
  auto ln = cast<qc::LayerNormOp>(op);
  unsigned nOut = step.outputs.size();
  qc::QuantizeLinearOp dynQ = stepQuantize(step);
  Value Y = entry.getArgument(0), Mean = entry.getArgument(1),
        Inv = entry.getArgument(2), X = entry.getArgument(nOut),
        G = entry.getArgument(nOut + 1);
  Value Bp = ln.getBias() ? entry.getArgument(nOut + 2) : Value();
  Value dn = f64c(e, double(n));
  Value sum = sum4(e, n, [&](Value kk) { return toF64(e, loadF32(e, X, at(kk))); });
  Value mu = arith::TruncFOp::create(b, loc, e.f32,
                                     arith::DivFOp::create(b, loc, sum, dn));
  Value sq = sum4(e, n, [&](Value kk) {
    Value d = toF64(e, arith::SubFOp::create(b, loc, loadF32(e, X, at(kk)), mu));
    return arith::MulFOp::create(b, loc, d, d).getResult();
  });
  Value var = arith::TruncFOp::create(b, loc, e.f32,
                                      arith::DivFOp::create(b, loc, sq, dn));
  Value eps = e.f32c(ln.getEpsilon().convertToFloat());
  Value rstd = arith::DivFOp::create(
      b, loc, e.f32c(1.0f), sqrtRN(e, arith::AddFOp::create(b, loc, var, eps)));
  forEach([&](Value kk) {
    Value v = arith::MulFOp::create(
        b, loc,
        arith::MulFOp::create(
            b, loc, arith::SubFOp::create(b, loc, loadF32(e, X, at(kk)), mu), rstd),
        loadF32(e, G, kk));
    if (Bp)
      v = arith::AddFOp::create(b, loc, v, loadF32(e, Bp, kk));
    storeF32(e, Y, at(kk), v);
  });
  storeF32(e, Mean, k->gid, mu);
  storeF32(e, Inv, k->gid, rstd);
  if (dynQ) {
    // The run-time quantize of the stored row, block by block.
    unsigned p = nOut + 2 + (ln.getBias() ? 1 : 0);
    emitRowDynamicQuantize(
        e, step, Y, base, n, k->gid,
        entry.getArguments().slice(p, stepQuantize(step).getZeroPoint() ? 4
                                                                        : 2),
        entry.getArgument(3), nOut == 5 ? entry.getArgument(4) : Value());
  } else if (nOut == 5) {
    // The next step's MXFP8 quantize of this row, from the stored result.
    int64_t nb = (n + 31) / 32;
    auto blocks = scf::ForOp::create(b, loc, e.c64(0), e.c64(nb), e.c64(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(blocks.getBody());
    Value kb = blocks.getInductionVar();
    Value lo = e.mul(kb, e.c64(32));
    Value len = arith::MinSIOp::create(
        b, loc, e.c64(32), arith::SubIOp::create(b, loc, e.c64(n), lo));
    emitQuantizeBlock(e, Y, entry.getArgument(3), entry.getArgument(4),
                      e.add(base, lo), len,
                      e.add(e.mul(k->gid, e.c64(nb)), kb),
                      Float8E4M3FNType::get(b.getContext()));
  }
  return finishKernel(b, *k);
}

qc::QuantizeLinearOp quantc::detail::stepQuantize(const GpuStep &step) {
  for (Operation *op : step.ops)
    if (auto q = dyn_cast<qc::QuantizeLinearOp>(op))
      return q;
  return {};
}

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildDynamicQuantizeKernel(ModuleOp top, llvm::StringRef name,
                                           KernelTarget t,
                                           const GpuStep &step) {
  qc::QuantizeLinearOp q = stepQuantize(step);
  auto dq = dyn_cast<qc::DequantizeLinearOp>(step.ops.back());
  auto xt = cast<RankedTensorType>(q.getX().getType());
  int64_t K = xt.getShape().back(), bs = linearQuantLayout(q).blockSize;
  int64_t nb = (K + bs - 1) / bs;
  unsigned nOut = step.outputs.size();
  OpBuilder b(top.getContext());
  std::optional<KernelEmitter> em;
  if (q.getZeroPoint()) {
    // F31 asymmetric, one block per row: (out, x, zero, range, floor,
    // qmin: ptr, rows: i64).
    qc::ClipOp clip;
    for (Operation *op : step.ops)
      if (auto c = dyn_cast<qc::ClipOp>(op))
        clip = c;
    FailureOr<Kernel1D> k = startKernel1D(top, t, name, 6, b, em);
    if (failed(k))
      return failure();
    KernelEmitter &e = *em;
    Block &entry = k->func.getBody().front();
    emitAsymmetricQuantizeRow(e, q, dq, clip, entry.getArgument(1),
                              e.mul(k->gid, e.c64(K)), e.c64(K),
                              entry.getArgument(2), entry.getArgument(3),
                              entry.getArgument(4), entry.getArgument(5),
                              entry.getArgument(0));
    return finishKernel(b, *k);
  }
  FailureOr<Kernel1D> k = startKernel1D(top, t, name, nOut + 3, b, em);
  if (failed(k))
    return failure();
  KernelEmitter &e = *em;
  Location loc = e.loc;
  Block &entry = k->func.getBody().front();
  Value X = entry.getArgument(nOut), QMax = entry.getArgument(nOut + 1),
        Floor = entry.getArgument(nOut + 2);
  // Block kb of row `row`: X[base .. base + len).
  Value row = arith::DivUIOp::create(b, loc, k->gid, e.c64(nb));
  Value kb = arith::RemUIOp::create(b, loc, k->gid, e.c64(nb));
  Value lo = e.mul(kb, e.c64(bs));
  Value len = arith::MinSIOp::create(b, loc, e.c64(bs),
                                     arith::SubIOp::create(b, loc, e.c64(K), lo));
  Value base = e.add(e.mul(row, e.c64(K)), lo);
  emitDynamicQuantizeBlock(e, q, dq, X, base, len, QMax, Floor,
                           entry.getArgument(0),
                           dq ? Value() : entry.getArgument(1), k->gid);
  return finishKernel(b, *k);
}
