//===- ElementTypes.cpp - ONNX element types in the importer --------------===//
//
// Initializers import in a few storage types (float ones as f32, INT32/INT64
// as i64, INT8/UINT8 as codes), while graph inputs keep their own ONNX type
// (docs/Import.md, "Element types"). A binary op whose other operand has the
// constant's ONNX type gets the constant cast back to that type, so
// Add(float16 input, FLOAT16 initializer) imports as ONNX means it.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "quantc/Dialect/QC/IR/QCQuantOps.h"

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

Type quantc::onnx_import::onnxElementType(MLIRContext &ctx, int32_t dt) {
  switch (dt) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(&ctx);
  case onnx::TensorProto::FLOAT16:
    return Float16Type::get(&ctx);
  case onnx::TensorProto::BFLOAT16:
    return BFloat16Type::get(&ctx);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(&ctx);
  case onnx::TensorProto::INT16:
    return IntegerType::get(&ctx, 16);
  case onnx::TensorProto::INT32:
    return IntegerType::get(&ctx, 32);
  case onnx::TensorProto::INT64:
    return IntegerType::get(&ctx, 64);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(&ctx, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(&ctx, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(&ctx, 64, IntegerType::Unsigned);
  case onnx::TensorProto::BOOL:
    return IntegerType::get(&ctx, 1);
  default:
    return codeElementType(ctx, dt);
  }
}

void quantc::onnx_import::matchConstantElementTypes(NodeContext &n, int ia,
                                                    Value &a, int ib,
                                                    Value &b) {
  auto elem = [](Value v) {
    return cast<ShapedType>(v.getType()).getElementType();
  };
  if (elem(a) == elem(b))
    return;
  // Cast input `i` (held in `v`) to `want` when it is a constant whose ONNX
  // type is `want`: the cast gives back the value it had (f32 holds every
  // f16/bf16 value, i64 every narrower integer).
  auto fix = [&](int i, Value &v, Type want) {
    const onnx::TensorProto *t = n.constantInput(i);
    if (!t)
      return false;
    Type own = onnxElementType(*n.getContext(), t->data_type());
    // A FLOAT16/BFLOAT16 constant (its f32 values cast to its type) read
    // by an f32 operation, which ONNX does not allow: its f32 values, as
    // the importer always read such constants in f32 models.
    if (want.isF32() && isa<Float16Type, BFloat16Type>(own))
      if (auto c = v.getDefiningOp<qc::CastOp>()) {
        v = c.getInput();
        return true;
      }
    if (own != want)
      return false;
    auto type =
        RankedTensorType::get(cast<ShapedType>(v.getType()).getShape(), want);
    v = qc::CastOp::create(n.builder(), n.loc, type, v).getResult();
    return true;
  };
  if (!fix(ia, a, elem(b)))
    fix(ib, b, elem(a));
}
