//===- ExecutorNpz.cpp - the Executor's .npz inputs and outputs -----------===//
//
// Binding .npz arrays to the entry function's arguments and the results back
// to arrays, for every element type (docs/Import.md, "Element types").
//
//===----------------------------------------------------------------------===//
#include "quantc/Executor/Executor.h"
#include "ExecutorImpl.h"

#include "quantc/Support/Npz.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstring>

using namespace mlir;
using namespace quantc;
using namespace quantc::exec;

//===----------------------------------------------------------------------===//
// .npz arrays of every element type (docs/Import.md, "Element types")
//===----------------------------------------------------------------------===//

namespace {
template <typename T> T loadAt(const npz::Array &a, int64_t j) {
  T v;
  std::memcpy(&v, a.data.data() + sizeof(T) * j, sizeof(T));
  return v;
}

/// The .npz dtype of an integer element type; bool for i1.
std::optional<npz::DType> intDType(Type et) {
  auto it = dyn_cast<IntegerType>(et);
  if (!it)
    return std::nullopt;
  bool u = it.isUnsigned();
  switch (it.getWidth()) {
  case 1:
    return npz::DType::Bool;
  case 8:
    return u ? npz::DType::U8 : npz::DType::I8;
  case 16:
    return u ? npz::DType::U16 : npz::DType::I16;
  case 32:
    return u ? npz::DType::U32 : npz::DType::I32;
  case 64:
    return u ? npz::DType::U64 : npz::DType::I64;
  default:
    return std::nullopt;
  }
}

/// A float input of element type `et` (Float kind, values as f32): float32
/// and float64 arrays for every float type, rounded to it; float16 for f16;
/// bfloat16 (ml_dtypes) or uint16 bit patterns for bf16.
LogicalResult bindFloatInput(const npz::Array &arr, Type et, Tensor &t) {
  int64_t n = arr.numElements();
  t.kind = Tensor::Kind::Float;
  t.f.resize(n);
  std::optional<nx::ElemFormat> narrow;
  if (et.isF16())
    narrow = nx::ElemFormat::F16;
  else if (et.isBF16())
    narrow = nx::ElemFormat::BF16;
  switch (arr.dtype) {
  case npz::DType::F32:
    std::memcpy(t.f.data(), arr.data.data(), n * 4);
    break;
  case npz::DType::F64:
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = (float)loadAt<double>(arr, j);
    break;
  case npz::DType::F16:
    if (!et.isF16())
      return failure();
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = nx::decode(nx::ElemFormat::F16, loadAt<uint16_t>(arr, j));
    return success();
  case npz::DType::BF16:
  case npz::DType::U16:
    if (!et.isBF16())
      return failure();
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = nx::decode(nx::ElemFormat::BF16, loadAt<uint16_t>(arr, j));
    return success();
  default:
    return failure();
  }
  if (narrow) // the value the input has in its own type
    for (float &v : t.f)
      v = nx::roundTo(*narrow, v, /*saturate=*/false);
  return success();
}

/// An integer input whose array has the element type's own dtype.
void bindIntInput(const npz::Array &arr, Type et, Tensor &t) {
  int64_t n = arr.numElements();
  t.kind = Tensor::Kind::Int;
  t.i.resize(n);
  for (int64_t j = 0; j < n; ++j) {
    switch (arr.dtype) {
    case npz::DType::I8:
      t.i[j] = loadAt<int8_t>(arr, j);
      break;
    case npz::DType::U8:
      t.i[j] = loadAt<uint8_t>(arr, j);
      break;
    case npz::DType::I16:
      t.i[j] = loadAt<int16_t>(arr, j);
      break;
    case npz::DType::U16:
      t.i[j] = loadAt<uint16_t>(arr, j);
      break;
    case npz::DType::I32:
      t.i[j] = loadAt<int32_t>(arr, j);
      break;
    case npz::DType::U32:
      t.i[j] = loadAt<uint32_t>(arr, j);
      break;
    default:
      t.i[j] = loadAt<int64_t>(arr, j);
      break; // I64, U64 bits
    }
  }
}

/// f16 as float16, bf16 as uint16 bit patterns (numpy has no bfloat16; as
/// 8-bit float codes travel as uint8), f64 as float64.
void floatOutputArray(const Tensor &t, npz::Array &a) {
  Type et = t.elementType;
  if (et.isF64()) {
    a.dtype = npz::DType::F64;
    a.data.resize(t.f.size() * 8);
    for (size_t j = 0; j < t.f.size(); ++j) {
      double d = t.f[j];
      std::memcpy(a.data.data() + 8 * j, &d, 8);
    }
    return;
  }
  bool half = et.isF16();
  a.dtype = half ? npz::DType::F16 : npz::DType::U16;
  a.data.resize(t.f.size() * 2);
  for (size_t j = 0; j < t.f.size(); ++j) {
    uint16_t c = nx::encode(half ? nx::ElemFormat::F16 : nx::ElemFormat::BF16,
                            t.f[j], /*saturate=*/false);
    std::memcpy(a.data.data() + 2 * j, &c, 2);
  }
}

/// i16, ui16, ui32, ui64 (Int kind) in their own dtype.
void intOutputArray(const Tensor &t, npz::Array &a) {
  a.dtype = *intDType(t.elementType);
  size_t w = npz::dtypeSize(a.dtype);
  a.data.resize(t.i.size() * w);
  for (size_t j = 0; j < t.i.size(); ++j) {
    uint64_t v = (uint64_t)t.i[j]; // little-endian: the low w bytes
    std::memcpy(a.data.data() + w * j, &v, w);
  }
}
} // namespace

FailureOr<std::vector<Tensor>>
Executor::bindInputs(ArrayRef<npz::Array> arrays, StringRef source) const {
  std::vector<Tensor> inputs;
  std::vector<std::string> names = getInputNames();
  for (auto [i, name] : llvm::enumerate(names)) {
    const npz::Array *arr = nullptr;
    for (const npz::Array &a : arrays)
      if (a.name == name)
        arr = &a;
    if (!arr) {
      auto diag = fn.emitError() << source << ": no array named '" << name
                                 << "' (the model's input " << i << "); it has:";
      for (const npz::Array &a : arrays)
        diag << " '" << a.name << "'";
      return diag;
    }
    auto type = cast<RankedTensorType>(fn.getArgumentTypes()[i]);
    Type et = type.getElementType();
    Tensor t;
    t.elementType = et;
    t.shape.assign(arr->shape.begin(), arr->shape.end());
    int64_t n = arr->numElements();
    if (isFloatish(et)) {
      if (failed(bindFloatInput(*arr, et, t)))
        return fn.emitError()
               << source << ": input '" << name << "' has dtype "
               << npz::dtypeName(arr->dtype) << " but the model expects "
               << (et.isF32()   ? "float32 (or float64)"
                   : et.isF64() ? "float64 (or float32)"
                   : et.isF16() ? "float16 (or float32/float64)"
                                : "bfloat16 as uint16 bit patterns or "
                                  "ml_dtypes bfloat16 (or float32/float64)");
    } else if (std::optional<npz::DType> want = intDType(et);
               want && !isBytesType(et) && arr->dtype == *want &&
               !et.isInteger(1)) {
      bindIntInput(*arr, et, t);
    } else if (isBytesType(et)) {
      if (arr->dtype != npz::DType::U8 && arr->dtype != npz::DType::I8)
        return fn.emitError() << source << ": input '" << name << "' has dtype "
                              << npz::dtypeName(arr->dtype) << " but " << et
                              << " codes are passed as uint8 bit patterns";
      t.kind = Tensor::Kind::Bytes;
      t.bytes = arr->data;
      // Sub-byte codes: a value outside the type is an error, never
      // silently truncated (i4 in [-8, 7], ui4/FP4 in [0, 15], FP6 [0, 63]).
      unsigned w = et.getIntOrFloatBitWidth();
      for (size_t j = 0; w < 8 && j < t.bytes.size(); ++j) {
        int v = et.isSignlessInteger() ? (int)(int8_t)t.bytes[j]
                                       : (int)t.bytes[j];
        int lo = et.isSignlessInteger() ? -(1 << (w - 1)) : 0;
        int hi = et.isSignlessInteger() ? (1 << (w - 1)) - 1 : (1 << w) - 1;
        if (v < lo || v > hi)
          return fn.emitError()
                 << source << ": input '" << name << "' element " << j
                 << " is " << v << ", outside the " << et << " range [" << lo
                 << ", " << hi << "]";
      }
    } else if (et.isSignlessInteger(64) && arr->dtype == npz::DType::I64) {
      t.kind = Tensor::Kind::Int;
      t.i.resize(n);
      std::memcpy(t.i.data(), arr->data.data(), n * 8);
    } else if (et.isSignlessInteger(32) && arr->dtype == npz::DType::I32) {
      t.kind = Tensor::Kind::Int;
      t.i.resize(n);
      for (int64_t j = 0; j < n; ++j) {
        int32_t v;
        std::memcpy(&v, arr->data.data() + 4 * j, 4);
        t.i[j] = v;
      }
    } else if (et.isInteger(1) && arr->dtype == npz::DType::Bool) {
      t.kind = Tensor::Kind::Int;
      t.i.resize(n);
      for (int64_t j = 0; j < n; ++j)
        t.i[j] = arr->data[j] != 0;
    } else {
      return fn.emitError() << source << ": input '" << name << "' has dtype "
                            << npz::dtypeName(arr->dtype)
                            << ", which does not fit the model's " << et;
    }
    bool ok = t.shape.size() == (size_t)type.getRank();
    for (size_t d = 0; ok && d < t.shape.size(); ++d)
      ok = type.isDynamicDim(d) || type.getDimSize(d) == t.shape[d];
    if (!ok)
      return fn.emitError() << source << ": input '" << name << "' has shape "
                            << shapeStr(t.shape) << " but the model expects "
                            << shapeStr(type.getShape());
    inputs.push_back(std::move(t));
  }
  return inputs;
}

std::vector<npz::Array> Executor::toArrays(ArrayRef<Tensor> outputs) const {
  std::vector<npz::Array> arrays;
  std::vector<std::string> names = getOutputNames();
  for (auto [i, t] : llvm::enumerate(outputs)) {
    npz::Array a;
    a.name = names[i];
    a.shape.assign(t.shape.begin(), t.shape.end());
    switch (t.kind) {
    case Tensor::Kind::Float:
      if (t.elementType && !t.elementType.isF32()) {
        floatOutputArray(t, a);
        break;
      }
      a.dtype = npz::DType::F32;
      a.data.resize(t.f.size() * 4);
      std::memcpy(a.data.data(), t.f.data(), a.data.size());
      break;
    case Tensor::Kind::Int:
      if (t.elementType && intDType(t.elementType) &&
          !t.elementType.isInteger(1) && !t.elementType.isSignlessInteger(32) &&
          !t.elementType.isSignlessInteger(64)) {
        intOutputArray(t, a);
        break;
      }
      if (t.elementType && t.elementType.isInteger(1)) { // bool masks
        a.dtype = npz::DType::Bool;
        for (int64_t v : t.i)
          a.data.push_back(v != 0);
        break;
      }
      if (t.elementType && t.elementType.isInteger(32)) {
        a.dtype = npz::DType::I32;
        a.data.resize(t.i.size() * 4);
        for (size_t j = 0; j < t.i.size(); ++j) {
          int32_t v = (int32_t)t.i[j];
          std::memcpy(a.data.data() + 4 * j, &v, 4);
        }
        break;
      }
      a.dtype = npz::DType::I64;
      a.data.resize(t.i.size() * 8);
      std::memcpy(a.data.data(), t.i.data(), a.data.size());
      break;
    case Tensor::Kind::Bytes:
      // Signless i8/i4 codes hold two's complement values: int8 in .npz.
      a.dtype = t.elementType && t.elementType.isSignlessInteger()
                    ? npz::DType::I8
                    : npz::DType::U8;
      a.data = t.bytes;
      // i4 codes may be held as the low nibble (MLIR constants, encode()):
      // written sign-extended, so the int8 array holds the values.
      if (t.elementType && t.elementType.isSignlessInteger(4))
        for (uint8_t &b : a.data)
          b = (uint8_t)((int8_t)(uint8_t)(b << 4) >> 4);
      break;
    }
    arrays.push_back(std::move(a));
  }
  return arrays;
}

