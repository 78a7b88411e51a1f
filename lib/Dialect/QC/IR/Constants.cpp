//===- Constants.cpp - read tensor constants of either storage kind -------===//
//
// Lives in QuantcQCDialect because the Executor, the passes and the package
// writer all link it, and it needs MLIR (QuantcSupport does not).
//
//===----------------------------------------------------------------------===//
#include "quantc/Support/Constants.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;

bool quantc::isTensorConstant(Attribute attr) {
  auto typed = dyn_cast_or_null<TypedAttr>(attr);
  if (!typed || !isa<RankedTensorType>(typed.getType()))
    return false;
  return isa<DenseElementsAttr, DenseResourceElementsAttr>(attr);
}

FailureOr<quantc::ConstantBytes> quantc::getConstantBytes(Attribute attr) {
  if (!isTensorConstant(attr))
    return failure();
  auto type = cast<RankedTensorType>(cast<TypedAttr>(attr).getType());
  Type et = type.getElementType();
  if (!et.isIntOrIndexOrFloat() || et.isInteger(1))
    return failure();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return ConstantBytes{dense.getRawData(), dense.isSplat()};
  auto res = cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return failure();
  ArrayRef<char> data = blob->getData();
  uint64_t elemBytes = llvm::divideCeil(et.getIntOrFloatBitWidth(), 8);
  if (data.size() != (uint64_t)type.getNumElements() * elemBytes)
    return failure();
  return ConstantBytes{data, false};
}

LogicalResult quantc::getConstantFloats(Attribute attr,
                                        std::vector<float> &out) {
  if (!isTensorConstant(attr))
    return failure();
  auto type = cast<RankedTensorType>(cast<TypedAttr>(attr).getType());
  if (!isa<FloatType>(type.getElementType()))
    return failure();
  int64_t n = type.getNumElements();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    out.clear();
    out.reserve(n);
    if (type.getElementType().isF32()) {
      for (float v : dense.getValues<float>())
        out.push_back(v);
      return success();
    }
    for (APFloat v : dense.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(v.convertToFloat());
    }
    return success();
  }
  if (!type.getElementType().isF32() || !llvm::sys::IsLittleEndianHost)
    return failure();
  FailureOr<ConstantBytes> bytes = getConstantBytes(attr);
  if (failed(bytes))
    return failure();
  out.resize(n);
  if (n)
    std::memcpy(out.data(), bytes->data.data(), n * sizeof(float));
  return success();
}
