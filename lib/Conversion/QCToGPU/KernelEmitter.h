//===- KernelEmitter.h - shared helpers of the kernel builders -*- C++ -*-===//
//
// Private to lib/Conversion/QCToGPU: the OpBuilder wrapper every kernel
// builder (GEMM, quantize, elementwise) uses, and the gpu.module they share.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_CONVERSION_QCTOGPU_KERNELEMITTER_H
#define QUANTC_LIB_CONVERSION_QCTOGPU_KERNELEMITTER_H

#include "quantc/Conversion/QCToGPU/GemmKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"

namespace quantc {
namespace detail {

using namespace mlir;

/// Small helper that keeps the builder, location and common types together.
struct KernelEmitter {
  OpBuilder &b;
  Location loc;
  Type i8, i16, i32, i64, f32, ptr;

  KernelEmitter(OpBuilder &b, Location loc)
      : b(b), loc(loc), i8(b.getI8Type()), i16(b.getI16Type()),
        i32(b.getI32Type()), i64(b.getI64Type()), f32(b.getF32Type()),
        ptr(LLVM::LLVMPointerType::get(b.getContext())) {}

  /// Constants are created once, at the start of the kernel's entry block,
  /// so the printed kernel stays readable.
  Block *entry = nullptr;
  llvm::DenseMap<std::pair<Type, int64_t>, Value> constants;

  Value cst(Type t, int64_t v) {
    Value &c = constants[{t, v}];
    if (!c) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      c = arith::ConstantIntOp::create(b, loc, t, v);
    }
    return c;
  }
  Value c64(int64_t v) { return cst(i64, v); }
  Value c32(int64_t v) { return cst(i32, v); }
  Value f32c(float v) {
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                          llvm::APFloat(v));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shru(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value band(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value bor(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value slt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  }
  Value eq(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
  }
  Value ult(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value uge(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x, y);
  }
  /// The sum of the four bytes of an i32 word of 8-bit codes, each sign-
  /// or zero-extended (s8 / u8): an 8-bit MMA operand's row or column sums.
  Value byteSum(Value word, bool isUnsigned) {
    Value sum = c32(0);
    for (int j = 0; j < 4; ++j) {
      Value byte;
      if (isUnsigned) {
        byte = band(shru(word, c32(8 * j)), c32(0xff));
      } else {
        Value up = shl(word, c32(24 - 8 * j));
        byte = arith::ShRSIOp::create(b, loc, up, c32(24));
      }
      sum = add(sum, byte);
    }
    return sum;
  }
  /// An scf.if on `cond` without an else region; the builder continues in
  /// its then-region (callers restore it with an InsertionGuard).
  scf::IfOp ifThen(Value cond) {
    auto op = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&op.getThenRegion().front());
    return op;
  }
  Value land(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value idToI64(Value idx) {
    return arith::IndexCastUIOp::create(b, loc, i64, idx);
  }
  Value gep(Value base, Type elem, Value offset) {
    return LLVM::GEPOp::create(b, loc, ptr, elem, base, ValueRange{offset});
  }

  /// Byte `base[offset]` zero-extended to i32 when `ok`, else `fallback`.
  /// Masked-off lanes read base[0] (always in bounds since M, N, K >= 1 for
  /// any launch that stores) so no load is out of bounds and no branch is
  /// needed.
  Value maskedByte(Value base, Value offset, Value ok, int64_t fallback) {
    Value safeOff = select(ok, offset, c64(0));
    Value p = gep(base, i8, safeOff);
    Value v = LLVM::LoadOp::create(b, loc, i8, p);
    Value v32 = arith::ExtUIOp::create(b, loc, i32, v);
    return select(ok, v32, c32(fallback));
  }

  /// Four consecutive e4m3 codes X[row, k .. k+3] packed little-endian into
  /// an i32 (the 8-bit mma operand register). Elements outside [0,rows) x
  /// [0,K) are 0 (+0.0 in e4m3), which pads ragged tiles and a short last K
  /// block.
  /// `nibbles`: the matrix holds 4-bit codes two per byte (a package's
  /// packed weights: element i in the low nibble of byte i/2 when i is
  /// even), each read as a byte 0..15 (then recoded).
  Value loadPacked4(Value base, Value row, Value rows, Value k, Value K,
                    llvm::function_ref<Value(Value)> recode = nullptr,
                    bool nibbles = false) {
    Value rowOk = slt(row, rows);
    Value rowOff = mul(row, K);
    Value packed = c32(0);
    for (int j = 0; j < 4; ++j) {
      Value kj = add(k, c64(j));
      Value ok = land(rowOk, slt(kj, K));
      Value idx = add(rowOff, kj);
      Value byte;
      if (nibbles) {
        Value whole = maskedByte(base, shru(idx, c64(1)), ok, 0);
        Value sh = arith::TruncIOp::create(b, loc, i32,
                                           mul(band(idx, c64(1)), c64(4)));
        byte = band(arith::ShRUIOp::create(b, loc, whole, sh), c32(15));
      } else {
        byte = maskedByte(base, idx, ok, 0);
      }
      if (recode) // another element format's code to the e4m3 code
        byte = recode(byte);
      if (j)
        byte = shl(byte, c32(8 * j));
      packed = bor(packed, byte);
    }
    return packed;
  }

  /// E8M0 code S[row, kb] as i32; 127 (scale 1.0) for rows out of range.
  Value loadScaleCode(Value base, Value row, Value rows, Value kb, Value KB) {
    Value ok = slt(row, rows);
    return maskedByte(base, add(mul(row, KB), kb), ok, 127);
  }

  /// `count` (1..4) consecutive scale codes S[row, first .. first+count-1]
  /// of a [rows, KS] byte matrix packed little-endian into an i32 (the
  /// block-scaled mma's scale register: byte j is the j-th block along K).
  /// A row out of range or a block at or past KS reads `fallback` (a scale
  /// of 1.0, multiplying operand bytes that are zero there).
  Value loadScaleWord(Value base, Value row, Value rows, Value first,
                      unsigned count, Value KS, int64_t fallback) {
    Value rowOk = slt(row, rows);
    Value word = c32(0);
    for (unsigned j = 0; j < count; ++j) {
      Value kj = add(first, c64(j));
      Value byte = maskedByte(base, add(mul(row, KS), kj),
                              land(rowOk, slt(kj, KS)), fallback);
      if (j)
        byte = shl(byte, c32(8 * j));
      word = bor(word, byte);
    }
    return word;
  }

  /// E8M0 decode to f32 by building the bit pattern: 0xFF -> NaN, 0 ->
  /// 2^-127 (subnormal 0x00400000), else code << 23.
  Value decodeE8M0(Value code) {
    Value normal = shl(code, c32(23));
    Value bits = select(eq(code, c32(0)), c32(0x00400000), normal);
    bits = select(eq(code, c32(0xFF)), c32(0x7FC00000), bits);
    return arith::BitcastOp::create(b, loc, f32, bits);
  }
};

/// The flat index in an NCHW output [batch, N, pixels] of element (row,
/// col) of a convolution computed as a GEMM whose rows are the output
/// pixels of each image (row = image · pixels + pixel) and whose columns
/// are the output channels: the int8 GEMM's store and its epilogue's
/// indexing.
inline Value convGemmOutputIndex(KernelEmitter &e, Value row, Value col,
                                 Value N, int64_t pixels) {
  Value image = arith::DivSIOp::create(e.b, e.loc, row, e.c64(pixels));
  Value pixel = arith::RemSIOp::create(e.b, e.loc, row, e.c64(pixels));
  return e.add(e.mul(e.add(e.mul(image, N), col), e.c64(pixels)), pixel);
}

/// The gpu.module @quantc_kernels of `top` for target t, created on first
/// use. Fails (with a diagnostic) if it exists for another target.
mlir::gpu::GPUModuleOp getOrCreateKernelModule(mlir::ModuleOp top,
                                               KernelTarget t);

/// Creates `gpu.func @name(argTypes) kernel` at the end of the kernel module
/// for target t, with known_block_size `block`, and points `e` at its entry
/// block. Fails if the module cannot be created or `name` exists.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
createKernelFunc(mlir::ModuleOp top, KernelTarget t, llvm::StringRef name,
                 mlir::TypeRange argTypes, llvm::ArrayRef<int32_t> block,
                 mlir::OpBuilder &b);

/// The extern shared array the sm_90a and sm_100a kernels address their
/// dynamic shared memory through (`.extern .shared .align 1024`; 128-byte
/// swizzle needs 1024-byte aligned tiles, gpu.dynamic_shared_memory gives
/// only 16), created in `kmod` on first use.
mlir::LLVM::GlobalOp getOrCreateSharedArray(mlir::gpu::GPUModuleOp kmod);

/// Acquires host-written tensor maps for the tensormap proxy before TMA
/// reads them (CUDA Programming Guide, "Using TMA to transfer
/// multi-dimensional arrays"), then warms the descriptor cache.
void emitTensorMapAcquire(KernelEmitter &e, mlir::ValueRange maps);

/// One stage of a TMA GEMM: arms mbarrier `full` with `bytes` (the whole
/// boxes, zero-filled tails included) and loads each (tensor map, shared
/// destination, row) box at K byte `kx` (2-D tile mode) onto it.
struct TmaBox {
  mlir::Value map, dst, row;
};
void emitTmaStageLoad(KernelEmitter &e, mlir::Value full, int64_t bytes,
                      mlir::Value kx, llvm::ArrayRef<TmaBox> boxes);

/// The signature every GEMM kernel shares: five pointers (the operands, their
/// scales and C; or tensor maps in place of A and B), `extraPtrs` pointers
/// of a fused epilogue, then M, N, K as i32.
struct GemmKernelArgs {
  mlir::gpu::GPUFuncOp func;
  mlir::Value ptrs[5];
  mlir::ValueRange extra;
  /// M, N, K sign-extended to i64 at the start of the kernel.
  mlir::Value M, N, K;
};

/// createKernelFunc with the GEMM signature; `b` is left at the start of the
/// body, after the extensions of M, N, K.
mlir::FailureOr<GemmKernelArgs>
createGemmKernelFunc(mlir::ModuleOp top, KernelTarget t, llvm::StringRef name,
                     unsigned extraPtrs, llvm::ArrayRef<int32_t> block,
                     mlir::OpBuilder &b);

/// Stores `v` (through the fused epilogue, when there is one) to `p`, the
/// address of C[row, col], at the builder's insertion point.
inline mlir::LogicalResult storeGemmResult(mlir::OpBuilder &b,
                                           mlir::Location loc,
                                           const GemmEpilogue *epilogue,
                                           GemmKernelArgs args,
                                           mlir::Value v, mlir::Value row,
                                           mlir::Value col, mlir::Value p) {
  if (epilogue) {
    mlir::FailureOr<mlir::Value> fused =
        epilogue->apply(b, v, row, col, args.N, args.extra,
                        &args.func.getBody().front());
    if (mlir::failed(fused))
      return mlir::failure();
    v = *fused;
  }
  mlir::LLVM::StoreOp::create(b, loc, v, p);
  return mlir::success();
}

} // namespace detail
} // namespace quantc

#endif
