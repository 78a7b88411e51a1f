//===- QCShapeUtils.cpp - shape helpers of the qc ops ---------------------===//

#include "quantc/Dialect/QC/IR/QCShapeUtils.h"
#include "quantc/Dialect/QC/IR/QC.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;

namespace quantc::qc {

bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

bool shapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!dimsCompatible(x, y))
      return false;
  return true;
}

std::string shapeStr(ArrayRef<int64_t> s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      r += "x";
    r += ShapedType::isDynamic(s[i]) ? "?" : std::to_string(s[i]);
  }
  return r;
}

std::string dimsStr(ArrayRef<int64_t> s) {
  return s.empty() ? "scalar" : shapeStr(s);
}

FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1)
      out[i] = y;
    else if (y == 1)
      out[i] = x;
    else if (ShapedType::isDynamic(x))
      out[i] = y;
    else if (ShapedType::isDynamic(y) || x == y)
      out[i] = x;
    else
      return failure();
  }
  return out;
}

bool compatibleResultTypes(TypeRange inferred, TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [x, y] : llvm::zip(inferred, declared)) {
    auto a = dyn_cast<RankedTensorType>(x), b = dyn_cast<RankedTensorType>(y);
    if (!a || !b || a.getElementType() != b.getElementType() ||
        !shapesCompatible(a.getShape(), b.getShape()))
      return false;
  }
  return true;
}

LogicalResult inferBroadcastType(std::optional<Location> loc, Type lhs,
                                 Type rhs, Type elem, bool sameElements,
                                 SmallVectorImpl<Type> &out) {
  auto l = dyn_cast<RankedTensorType>(lhs), r = dyn_cast<RankedTensorType>(rhs);
  if (!l || !r)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (sameElements && l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "operand element types must match, got ",
                             l.getElementType(), " and ", r.getElementType());
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(l.getShape(), r.getShape());
  if (failed(shape))
    return emitOptionalError(loc, "operand shapes do not broadcast: ",
                             shapeStr(l.getShape()), " vs ",
                             shapeStr(r.getShape()));
  out.push_back(
      RankedTensorType::get(*shape, elem ? elem : l.getElementType()));
  return success();
}

FailureOr<SmallVector<int64_t>> inferMatMulShape(std::optional<Location> loc,
                                                 ArrayRef<int64_t> l,
                                                 ArrayRef<int64_t> r) {
  if (l.size() < 2 || r.size() < 2)
    return emitOptionalError(loc, "operands must have rank >= 2, got ",
                             l.size(), " and ", r.size());
  int64_t k1 = l.back(), k2 = r[r.size() - 2];
  if (!dimsCompatible(k1, k2))
    return emitOptionalError(loc, "inner dimensions differ: ", dimsStr(l),
                             " and ", dimsStr(r), " (", k1, " vs ", k2, ")");
  FailureOr<SmallVector<int64_t>> out =
      broadcastShapes(l.drop_back(2), r.drop_back(2));
  if (failed(out))
    return emitOptionalError(loc, "batch dimensions do not broadcast: ",
                             dimsStr(l), " and ", dimsStr(r));
  out->push_back(l[l.size() - 2]);
  out->push_back(r.back());
  return out;
}

} // namespace quantc::qc
