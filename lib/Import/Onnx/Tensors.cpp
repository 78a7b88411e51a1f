//===- Tensors.cpp - ONNX TensorProto validation and conversion -----------===//
//
// Initializers come from an untrusted file: every length is checked against
// the declared dims before a byte of it is read.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"
#include "ExternalData.h"

#include "quantc/Numerics/Formats.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace quantc::onnx_import;
using llvm::SmallVector;
using llvm::StringRef;

namespace {
llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Bytes per element of the types the importer reads; 0 for the others.
int64_t elementSize(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
    return 4;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return 2;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
    return 8;
  // Integers held in their own type (ElementTypes.cpp).
  case onnx::TensorProto::BOOL:
    return 1;
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::UINT64:
    return 8;
  default:
    return 0;
  }
}

/// The typed field ONNX uses for `dataType`, and its length.
std::pair<StringRef, int64_t> typedField(const onnx::TensorProto &t) {
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    return {"float_data", t.float_data_size()};
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT32:
    return {"int32_data", t.int32_data_size()};
  case onnx::TensorProto::DOUBLE:
    return {"double_data", t.double_data_size()};
  case onnx::TensorProto::INT64:
    return {"int64_data", t.int64_data_size()};
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return {"int32_data", t.int32_data_size()};
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    return {"uint64_data", t.uint64_data_size()};
  default:
    return {"", 0};
  }
}

bool hasTypedData(const onnx::TensorProto &t) {
  return t.float_data_size() || t.int32_data_size() || t.string_data_size() ||
         t.int64_data_size() || t.double_data_size() || t.uint64_data_size();
}

template <typename T> T readLE(const char *p) {
  return llvm::support::endian::read<T, llvm::endianness::little>(p);
}
} // namespace

llvm::Expected<int64_t>
quantc::onnx_import::checkedElementCount(llvm::ArrayRef<int64_t> shape) {
  if ((int64_t)shape.size() > kMaxRank)
    return makeError(llvm::formatv("rank {0} exceeds the limit of {1}",
                                   shape.size(), kMaxRank));
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return makeError(llvm::formatv("negative dimension {0}", d));
  }
  for (int64_t d : shape) {
    int64_t next;
    if (llvm::MulOverflow(count, d, next) || next > kMaxElements)
      return makeError(llvm::formatv(
          "shape {0} has more than {1} elements", qc::dimsStr(shape),
          kMaxElements));
    count = next;
  }
  return count;
}

StringRef quantc::onnx_import::dataTypeName(int32_t dataType) {
  if (onnx::TensorProto::DataType_IsValid(dataType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(dataType));
  return "<invalid data type>";
}

bool quantc::onnx_import::isFloatDataType(int32_t dataType) {
  return dataType == onnx::TensorProto::FLOAT ||
         dataType == onnx::TensorProto::FLOAT16 ||
         dataType == onnx::TensorProto::BFLOAT16 ||
         dataType == onnx::TensorProto::DOUBLE;
}

bool quantc::onnx_import::isIntDataType(int32_t dataType) {
  return dataType == onnx::TensorProto::INT32 ||
         dataType == onnx::TensorProto::INT64;
}

llvm::Error quantc::onnx_import::validateTensor(const onnx::TensorProto &t) {
  if (isExternalTensor(t)) // checked when its file was mapped
    return validateExternalTensor(t);
  if (t.has_segment())
    return makeError("segmented tensors are not supported");
  if (t.dims_size() > kMaxRank)
    return makeError(llvm::formatv("rank {0} exceeds the limit of {1}",
                                   t.dims_size(), kMaxRank));
  SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
  llvm::Expected<int64_t> count = checkedElementCount(dims);
  if (!count)
    return count.takeError();
  int64_t elemSize = elementSize(t.data_type());
  if (t.has_raw_data()) {
    if (hasTypedData(t))
      return makeError("has both raw_data and typed data");
    if (elemSize && (int64_t)t.raw_data().size() != *count * elemSize)
      return makeError(llvm::formatv(
          "raw_data has {0} bytes, expected {1} ({2} elements of {3})",
          t.raw_data().size(), *count * elemSize, *count,
          dataTypeName(t.data_type())));
    return llvm::Error::success();
  }
  if (!elemSize)
    return llvm::Error::success(); // rejected at use if ever used
  auto [field, n] = typedField(t);
  if (n != *count)
    return makeError(llvm::formatv(
        "{0} has {1} values, expected {2} ({3} of shape [{4}])", field, n,
        *count, dataTypeName(t.data_type()), qc::dimsStr(dims)));
  return llvm::Error::success();
}

SmallVector<int64_t>
quantc::onnx_import::tensorShape(const onnx::TensorProto &t) {
  return SmallVector<int64_t>(t.dims().begin(), t.dims().end());
}

DenseElementsAttr
quantc::onnx_import::tensorToF32Attr(MLIRContext &ctx,
                                     const onnx::TensorProto &t) {
  auto type = RankedTensorType::get(tensorShape(t), Float32Type::get(&ctx));
  int64_t n = type.getNumElements();
  StringRef raw = tensorRawBytes(t); // raw_data or external
  bool isRaw = t.has_raw_data() || isExternalTensor(t);
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    if (isRaw && llvm::sys::IsLittleEndianHost && n > 0)
      return DenseElementsAttr::getFromRawBuffer(
          type, llvm::ArrayRef<char>(raw.data(), raw.size()));
    if (!isRaw)
      return DenseElementsAttr::get(
          type, llvm::ArrayRef<float>(t.float_data().data(), n));
  }
  std::vector<float> out(n);
  for (int64_t i = 0; i < n; ++i) {
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      out[i] = readLE<float>(raw.data() + 4 * i);
      break;
    case onnx::TensorProto::FLOAT16:
      out[i] = numerics::decode(numerics::ElemFormat::F16,
                                isRaw ? readLE<uint16_t>(raw.data() + 2 * i)
                                      : uint16_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::BFLOAT16:
      out[i] = numerics::decode(numerics::ElemFormat::BF16,
                                isRaw ? readLE<uint16_t>(raw.data() + 2 * i)
                                      : uint16_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::DOUBLE:
      out[i] = float(isRaw ? readLE<double>(raw.data() + 8 * i)
                           : t.double_data(i));
      break;
    default:
      llvm_unreachable("caller checks isFloatDataType");
    }
  }
  return DenseElementsAttr::get(type, llvm::ArrayRef<float>(out));
}

SmallVector<int64_t>
quantc::onnx_import::tensorToInts(const onnx::TensorProto &t) {
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  SmallVector<int64_t> out(n);
  StringRef raw = tensorRawBytes(t); // raw_data or external
  bool isRaw = t.has_raw_data() || isExternalTensor(t);
  for (int64_t i = 0; i < n; ++i) {
    if (t.data_type() == onnx::TensorProto::INT64)
      out[i] = isRaw ? readLE<int64_t>(raw.data() + 8 * i) : t.int64_data(i);
    else
      out[i] = isRaw ? readLE<int32_t>(raw.data() + 4 * i) : t.int32_data(i);
  }
  return out;
}

DenseElementsAttr
quantc::onnx_import::tensorToI64Attr(MLIRContext &ctx,
                                     const onnx::TensorProto &t) {
  auto type = RankedTensorType::get(tensorShape(t),
                                    IntegerType::get(&ctx, 64));
  SmallVector<int64_t> v = tensorToInts(t);
  return DenseElementsAttr::get(type, llvm::ArrayRef<int64_t>(v));
}

bool quantc::onnx_import::isOwnTypeIntDataType(int32_t dataType) {
  return dataType == onnx::TensorProto::BOOL ||
         dataType == onnx::TensorProto::INT16 ||
         dataType == onnx::TensorProto::UINT16 ||
         dataType == onnx::TensorProto::UINT32 ||
         dataType == onnx::TensorProto::UINT64;
}

DenseElementsAttr
quantc::onnx_import::tensorToOwnTypeAttr(MLIRContext &ctx,
                                         const onnx::TensorProto &t) {
  auto et = cast<IntegerType>(onnxElementType(ctx, t.data_type()));
  auto type = RankedTensorType::get(tensorShape(t), et);
  int64_t n = type.getNumElements();
  StringRef raw = tensorRawBytes(t); // raw_data or external
  bool isRaw = t.has_raw_data() || isExternalTensor(t);
  SmallVector<APInt> vals;
  vals.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    uint64_t v;
    switch (t.data_type()) {
    case onnx::TensorProto::BOOL:
      v = isRaw ? uint8_t(raw[i]) : uint64_t(t.int32_data(i));
      v = v != 0;
      break;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
      v = isRaw ? readLE<uint16_t>(raw.data() + 2 * i)
                : uint64_t(uint32_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::UINT32:
      v = isRaw ? readLE<uint32_t>(raw.data() + 4 * i) : t.uint64_data(i);
      break;
    default: // UINT64
      v = isRaw ? readLE<uint64_t>(raw.data() + 8 * i) : t.uint64_data(i);
      break;
    }
    // The low bits of the width: INT16's int32_data holds the sign-extended
    // value, and the APInt is reinterpreted by the type's signedness.
    vals.push_back(APInt(64, v).trunc(et.getWidth()));
  }
  return DenseElementsAttr::get(type, vals);
}
