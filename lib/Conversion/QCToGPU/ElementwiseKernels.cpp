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

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace quantc;
using quantc::detail::KernelEmitter;
using quantc::detail::kElementwiseBlock;

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

/// E4M3FN code (in the low 8 bits) of the f32 with bit pattern `y`,
/// saturating: the Numerics library's Mini<4, 3, 7, FN>::enc with sat = true
/// (round to nearest even; subnormals rounded by an f32 add of 2^14; |y|
/// above 448 to 0x7e; NaN to 0x7f).
Value encodeE4M3Sat(KernelEmitter &e, Value y) {
  using P = arith::CmpIPredicate;
  Value sign = e.shl(e.shru(y, e.c32(31)), e.c32(7));
  Value a = e.band(y, e.c32(0x7fffffff));
  Value rn = e.shru(e.add(e.add(a, e.c32(0x7ffff)),
                          e.band(e.shru(a, e.c32(20)), e.c32(1))),
                    e.c32(20));
  Value n = sub(e, rn, e.c32(960)); // rebias: (127 - 7) << 3
  Value magic = e.c32(0x46800000);  // 2^14: ulp 2^-9, the subnormal step
  Value sum = arith::AddFOp::create(e.b, e.loc, bitcastF32(e, a),
                                    bitcastF32(e, magic));
  Value s = sub(e, bitcastI32(e, sum), magic);
  Value code = e.select(cmp(e, P::slt, a, e.c32(0x3c800000)), s, n);
  code = e.select(cmp(e, P::sgt, n, e.c32(0x7e)), e.c32(0x7e), code);
  code = e.select(cmp(e, P::sgt, a, e.c32(0x7f800000)), e.c32(0x7f), code);
  return e.bor(code, sign);
}

} // namespace

FailureOr<gpu::GPUFuncOp>
quantc::detail::buildQuantizeMXFP8Kernel(ModuleOp top, llvm::StringRef name,
                                 KernelTarget t) {
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
  using P = arith::CmpIPredicate;
  Value X = entry.getArgument(0), C = entry.getArgument(1),
        S = entry.getArgument(2), blocks = entry.getArgument(3);
  Value K = arith::ExtSIOp::create(b, loc, e.i64, entry.getArgument(4));
  Value gid = guardedThreadIndex(e, blocks);

  Value nb = arith::DivSIOp::create(b, loc, e.add(K, e.c64(31)), e.c64(32));
  Value row = arith::DivUIOp::create(b, loc, gid, nb);
  Value kb = arith::RemUIOp::create(b, loc, gid, nb);
  Value lo = e.mul(kb, e.c64(32));
  Value n = arith::MinSIOp::create(b, loc, e.c64(32), sub(e, K, lo));
  Value base = e.add(e.mul(row, K), lo);

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

  // Shared scale, floor rule: clamp(floor(log2 amax) - 8 + 127, 0, 254);
  // 255 (NaN) when amax is Inf or NaN. A subnormal amax's exponent comes
  // from its exact conversion to f32 (amax < 2^23).
  Value special = cmp(e, P::uge, amax, e.c32(0x7f800000));
  Value normal = cmp(e, P::uge, amax, e.c32(0x00800000));
  Value eNormal = sub(e, e.shru(amax, e.c32(23)), e.c32(127));
  Value asFloat = arith::UIToFPOp::create(b, loc, e.f32, amax);
  Value eSub = sub(e, e.shru(bitcastI32(e, asFloat), e.c32(23)),
                   e.c32(127 + 149));
  Value ea = e.select(normal, eNormal, eSub);
  Value sc = e.add(ea, e.c32(127 - 8)); // emax of E4M3 is 8
  sc = arith::MaxSIOp::create(b, loc, sc, e.c32(0));
  sc = arith::MinSIOp::create(b, loc, sc, e.c32(254));
  sc = e.select(special, e.c32(255), sc);
  Value sPtr = e.gep(S, e.i8, e.add(e.mul(row, nb), kb));
  LLVM::StoreOp::create(b, loc, arith::TruncIOp::create(b, loc, e.i8, sc), sPtr);

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
    Value code = encodeE4M3Sat(e, bitcastI32(e, y));
    code = e.select(special, e.c32(0x7f), code); // the block is NaN
    LLVM::StoreOp::create(b, loc, arith::TruncIOp::create(b, loc, e.i8, code),
                          e.gep(C, e.i8, off));
  }
  b.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(b, loc);
  return *made;
}

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
  Location loc = e.loc;
  Value gid = guardedThreadIndex(e, entry.getArguments().back());

  auto outType = cast<RankedTensorType>(step.outputs[0].getType());
  int64_t r = outType.getRank();
  // Output coordinates, computed once, for the broadcast inputs: c[0] is
  // gid / (product of the static dims 1..r-1), c[k] its remainders.
  SmallVector<Value> coord;
  auto coords = [&]() -> ArrayRef<Value> {
    if (!coord.empty() || r == 0)
      return coord;
    coord.assign(r, Value());
    Value rem = gid;
    for (int64_t k = r - 1; k >= 1; --k) {
      Value d = e.c64(outType.getDimSize(k));
      coord[k] = arith::RemUIOp::create(b, loc, rem, d);
      rem = arith::DivUIOp::create(b, loc, rem, d);
    }
    coord[0] = rem;
    return coord;
  };

  llvm::DenseMap<Value, Value> vals;
  for (auto [i, v] : llvm::enumerate(step.inputs)) {
    auto inType = cast<RankedTensorType>(v.getType());
    Value offset;
    if (inType.getShape() == outType.getShape()) {
      offset = gid;
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
    vals[v] = LLVM::LoadOp::create(b, loc, e.f32,
                                   e.gep(entry.getArgument(1 + i), e.f32, offset));
  }

  for (Operation *op : step.ops) {
    auto in = [&](unsigned k) { return vals.lookup(op->getOperand(k)); };
    Value res =
        llvm::TypeSwitch<Operation *, Value>(op)
            .Case([&](qc::AddOp) {
              return arith::AddFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::SubOp) {
              return arith::SubFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::MulOp) {
              return arith::MulFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::DivOp) {
              return arith::DivFOp::create(b, loc, in(0), in(1)).getResult();
            })
            .Case([&](qc::NegOp) {
              return arith::NegFOp::create(b, loc, in(0)).getResult();
            })
            .Case([&](qc::AbsOp) {
              return bitcastF32(
                  e, e.band(bitcastI32(e, in(0)), e.c32(0x7fffffff)));
            })
            .Case([&](qc::ReluOp) {
              // x > 0 or NaN keeps x (the Executor's reluValue); else +0.
              Value keep = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::UGT, in(0), e.f32c(0.0f));
              return e.select(keep, in(0), e.f32c(0.0f));
            })
            .Default([](Operation *) { return Value(); });
    if (!res)
      return op->emitError("no elementwise GPU kernel for this op");
    vals[op->getResult(0)] = res;
  }
  LLVM::StoreOp::create(b, loc, vals.lookup(step.outputs[0]),
                        e.gep(entry.getArgument(0), e.f32, gid));
  b.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(b, loc);
  return *made;
}
