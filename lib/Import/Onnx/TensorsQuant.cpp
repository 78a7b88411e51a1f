//===- TensorsQuant.cpp - ONNX tensors of quantized element types ---------===//
//
// INT8/UINT8/INT4/UINT4/FLOAT8*/FLOAT4E2M1 tensors become constants of the
// matching MLIR type with one code per byte (the Executor's Bytes storage):
// integers as two's complement values, floats as bit patterns. ONNX stores
// 4-bit types two per byte, low nibble first, in raw_data, and one packed
// byte per int32 in int32_data; 8-bit types one per byte in raw_data or one
// per int32 in int32_data.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "quantc/Numerics/Formats.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

Type quantc::onnx_import::codeElementType(MLIRContext &ctx, int32_t dt) {
  switch (dt) {
  case onnx::TensorProto::INT8:
    return IntegerType::get(&ctx, 8);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(&ctx, 8, IntegerType::Unsigned);
  case onnx::TensorProto::INT4:
    return IntegerType::get(&ctx, 4);
  case onnx::TensorProto::UINT4:
    return IntegerType::get(&ctx, 4, IntegerType::Unsigned);
  case onnx::TensorProto::FLOAT8E4M3FN:
    return Float8E4M3FNType::get(&ctx);
  case onnx::TensorProto::FLOAT8E5M2:
    return Float8E5M2Type::get(&ctx);
  case onnx::TensorProto::FLOAT4E2M1:
    return Float4E2M1FNType::get(&ctx);
  default:
    return {};
  }
}

llvm::Expected<DenseElementsAttr>
quantc::onnx_import::tensorToCodesAttr(MLIRContext &ctx,
                                       const onnx::TensorProto &t) {
  Type et = codeElementType(ctx, t.data_type());
  if (!et)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "not a quantized element type");
  auto type = RankedTensorType::get(tensorShape(t), et);
  int64_t n = type.getNumElements();
  bool four = et.getIntOrFloatBitWidth() == 4;
  int64_t stored = four ? (n + 1) / 2 : n;
  std::vector<uint8_t> bytes(stored);
  if (t.has_raw_data()) {
    if ((int64_t)t.raw_data().size() != stored)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("raw_data has {0} bytes, expected {1} ({2} elements "
                        "of {3}{4})",
                        t.raw_data().size(), stored, n,
                        dataTypeName(t.data_type()),
                        four ? ", two per byte" : ""));
    std::memcpy(bytes.data(), t.raw_data().data(), stored);
  } else {
    if (t.int32_data_size() != stored)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("int32_data has {0} values, expected {1} ({2} "
                        "elements of {3}{4})",
                        t.int32_data_size(), stored, n,
                        dataTypeName(t.data_type()),
                        four ? ", two per value" : ""));
    for (int64_t i = 0; i < stored; ++i)
      bytes[i] = (uint8_t)t.int32_data(i);
  }
  std::vector<uint8_t> codes(n);
  if (four)
    numerics::unpack4(bytes.data(), n, codes.data());
  else
    codes = std::move(bytes);
  if (t.data_type() == onnx::TensorProto::INT4)
    for (uint8_t &c : codes) // sign-extend: codes hold the integer value
      c = (uint8_t)((int8_t)(uint8_t)(c << 4) >> 4);
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>((const char *)codes.data(), codes.size()));
}
