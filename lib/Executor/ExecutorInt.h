//===- ExecutorInt.h - integer element types in the Executor ----*- C++ -*-===//
//
// Integer tensors of every ONNX width. i16, i32, i64, ui16, ui32, ui64 and
// i1 use the Int kind; i8 and ui8 (also quantized codes) the Bytes kind, one
// two's complement or unsigned byte per element. Int storage holds the value
// of the element type in an int64: sign-extended for signed types,
// zero-extended for unsigned ones, and for ui64 the bit pattern (values from
// 2^63 up read as negative int64s, so unsigned ops must look at the type).
// Arithmetic wraps to the element type's width, as ONNX runtimes do
// (docs/Import.md, "Element types").
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_EXECUTOR_EXECUTORINT_H
#define QUANTC_LIB_EXECUTOR_EXECUTORINT_H

#include "ExecutorImpl.h"

namespace quantc::exec {

/// Whether `t` is an integer element type (incl. i1, i8 and ui8 codes).
inline bool isIntElement(Type t) { return isa<IntegerType>(t); }

/// Whether the tensor holds integer values (Int kind, or i8/ui8/i4/ui4
/// codes in Bytes).
inline bool holdsInts(const Tensor &t) {
  return t.kind == Tensor::Kind::Int ||
         (t.kind == Tensor::Kind::Bytes && t.elementType &&
          isa<IntegerType>(t.elementType));
}

/// `v` reduced to the element type `t`: the low `width` bits, sign- or
/// zero-extended; i1 is 0 or 1; 64-bit types keep the bit pattern.
inline int64_t wrapInt(Type t, int64_t v) {
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return v;
  unsigned w = it.getWidth();
  if (w == 1)
    return v != 0;
  if (w >= 64)
    return v;
  uint64_t mask = (uint64_t(1) << w) - 1, u = (uint64_t)v & mask;
  if (it.isUnsigned())
    return (int64_t)u;
  uint64_t sign = uint64_t(1) << (w - 1);
  return (int64_t)((u ^ sign) - sign);
}

/// The values of an integer tensor of either kind, as Int storage holds
/// them (Bytes codes sign- or zero-extended by the element type).
inline std::vector<int64_t> intValues(const Tensor &t) {
  if (t.kind == Tensor::Kind::Int)
    return t.i;
  std::vector<int64_t> r(t.bytes.size());
  bool isUnsigned = t.elementType && t.elementType.isUnsignedInteger();
  for (size_t j = 0; j < r.size(); ++j)
    r[j] = isUnsigned ? (int64_t)t.bytes[j] : (int64_t)(int8_t)t.bytes[j];
  if (t.elementType && t.elementType.isSignlessInteger(4)) // i4 low nibble
    for (int64_t &v : r)
      v = wrapInt(t.elementType, v);
  return r;
}

/// A tensor of element type `et` (integer) holding `vals`, wrapped to the
/// type: Bytes kind for the code types (i8, ui8, i4, ui4), Int otherwise.
inline Tensor makeIntTensor(Type et, ArrayRef<int64_t> shape,
                            std::vector<int64_t> vals) {
  if (isBytesType(et)) {
    Tensor r = Tensor::makeBytes(et, shape);
    for (size_t j = 0; j < vals.size(); ++j)
      r.bytes[j] = (uint8_t)wrapInt(et, vals[j]);
    return r;
  }
  Tensor r;
  r.kind = Tensor::Kind::Int;
  r.elementType = et;
  r.shape.assign(shape.begin(), shape.end());
  r.i = std::move(vals);
  for (int64_t &v : r.i)
    v = wrapInt(et, v);
  return r;
}

/// The exact value of an Int-storage element as a double (ui64 bit
/// patterns as unsigned).
inline double intToDouble(Type et, int64_t v) {
  return et && et.isUnsignedInteger(64) ? (double)(uint64_t)v : (double)v;
}

} // namespace quantc::exec

#endif
