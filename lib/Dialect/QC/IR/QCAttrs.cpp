//===- QCAttrs.cpp - qc attributes ----------------------------------------===//
#include "quantc/Dialect/QC/IR/QC.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace quantc::qc;

#include "quantc/Dialect/QC/IR/QCEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "quantc/Dialect/QC/IR/QCAttrs.cpp.inc"

void QCDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "quantc/Dialect/QC/IR/QCAttrs.cpp.inc"
      >();
}

std::optional<llvm::StringRef> quantc::qc::stringifyEnumAttr(Attribute a) {
  return llvm::TypeSwitch<Attribute, std::optional<llvm::StringRef>>(a)
      .Case<GeluApproximationAttr, ShiftDirectionAttr, ReduceKindAttr,
            ResizeModeAttr, CoordinateTransformationAttr, NearestModeAttr,
            AspectRatioPolicyAttr, ScatterReductionAttr>(
          [](auto e) { return stringifyEnum(e.getValue()); })
      .Default([](Attribute) { return std::nullopt; });
}

bool quantc::qc::isCodeElementType(Type t) {
  if (auto it = dyn_cast<IntegerType>(t))
    return (it.getWidth() == 8 || it.getWidth() == 4) && !it.isSigned();
  return isa<Float8E4M3FNType, Float8E5M2Type, Float6E2M3FNType,
             Float6E3M2FNType, Float4E2M1FNType, BFloat16Type, Float16Type>(t);
}

bool quantc::qc::isScaleElementType(Type t) {
  return isa<Float8E8M0FNUType, Float8E4M3FNType, Float16Type, BFloat16Type,
             Float32Type>(t);
}

namespace {
struct Preset {
  StringRef name;
  Type (*elem)(MLIRContext *);
  Type (*scale)(MLIRContext *);
  SmallVector<int64_t, 2> block;
};
template <typename T> Type mk(MLIRContext *ctx) { return T::get(ctx); }
Type i8(MLIRContext *ctx) { return IntegerType::get(ctx, 8); }
Type i4(MLIRContext *ctx) { return IntegerType::get(ctx, 4); }

const SmallVector<Preset> &presets() {
  static const SmallVector<Preset> table = {
      {"mxfp8", mk<Float8E4M3FNType>, mk<Float8E8M0FNUType>, {1, 32}},
      {"mxfp8-e5m2", mk<Float8E5M2Type>, mk<Float8E8M0FNUType>, {1, 32}},
      {"mxfp6", mk<Float6E2M3FNType>, mk<Float8E8M0FNUType>, {1, 32}},
      {"mxfp6-e3m2", mk<Float6E3M2FNType>, mk<Float8E8M0FNUType>, {1, 32}},
      {"mxfp4", mk<Float4E2M1FNType>, mk<Float8E8M0FNUType>, {1, 32}},
      {"mxint8", i8, mk<Float8E8M0FNUType>, {1, 32}},
      {"nvfp4", mk<Float4E2M1FNType>, mk<Float8E4M3FNType>, {1, 16}},
      {"fp8", mk<Float8E4M3FNType>, mk<Float32Type>, {}},
      {"fp8-1x128", mk<Float8E4M3FNType>, mk<Float32Type>, {1, 128}},
      {"int8", i8, mk<Float32Type>, {}},
      {"int4-g128", i4, mk<Float32Type>, {1, 128}},
      {"bf16", mk<BFloat16Type>, mk<Float32Type>, {}},
  };
  return table;
}
} // namespace

SchemeAttr SchemeAttr::getPreset(MLIRContext *ctx, StringRef name) {
  for (const Preset &p : presets())
    if (p.name == name)
      return SchemeAttr::get(ctx, p.elem(ctx), p.scale(ctx), p.block,
                             /*symmetric=*/true);
  return {};
}

ArrayRef<StringRef> SchemeAttr::getPresetNames() {
  static const SmallVector<StringRef> names = [] {
    SmallVector<StringRef> n;
    for (const Preset &p : presets())
      n.push_back(p.name);
    return n;
  }();
  return names;
}

int64_t SchemeAttr::getBlockSizeFor(unsigned dim, unsigned rank) const {
  ArrayRef<int64_t> block = getBlock();
  if (block.empty())
    return 0;
  unsigned offset = rank >= block.size() ? rank - block.size() : 0;
  if (dim < offset)
    return 1;
  return block[dim - offset];
}

SmallVector<int64_t> SchemeAttr::getScaleShape(ArrayRef<int64_t> shape) const {
  if (getBlock().empty())
    return {};
  SmallVector<int64_t> result;
  for (unsigned i = 0, e = shape.size(); i < e; ++i) {
    int64_t b = getBlockSizeFor(i, e);
    if (b == 0)
      result.push_back(1);
    else if (ShapedType::isDynamic(shape[i]))
      result.push_back(ShapedType::kDynamic);
    else
      result.push_back(llvm::divideCeil(shape[i], b));
  }
  return result;
}

bool SchemeAttr::isMX() const { return isa<Float8E8M0FNUType>(getScaleType()); }

LogicalResult SchemeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Type elementType, Type scaleType,
                                 ArrayRef<int64_t> block, bool symmetric) {
  if (!isCodeElementType(elementType))
    return emitError() << "scheme element type " << elementType
                       << " is not a quantized format (i8, i4, f8E4M3FN, "
                          "f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN, bf16, f16)";
  if (!isScaleElementType(scaleType))
    return emitError() << "scheme scale type " << scaleType
                       << " is not a scale format (f8E8M0FNU, f8E4M3FN, f16, "
                          "bf16, f32)";
  for (int64_t b : block)
    if (b < 0)
      return emitError() << "scheme block sizes must be >= 0, got " << b;
  if (!symmetric && !isa<IntegerType>(elementType))
    return emitError() << "asymmetric schemes need an integer element type, "
                          "got "
                       << elementType;
  return success();
}

Attribute SchemeAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  if (parser.parseLess())
    return {};
  std::string presetName;
  SMLoc loc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalString(&presetName))) {
    if (parser.parseGreater())
      return {};
    SchemeAttr preset = getPreset(ctx, presetName);
    if (!preset) {
      auto diag = parser.emitError(loc) << "unknown scheme preset '"
                                        << presetName << "'; known presets:";
      for (StringRef n : getPresetNames())
        diag << " " << n;
      return {};
    }
    return preset;
  }
  Type elem, scale;
  SmallVector<int64_t> block;
  if (parser.parseType(elem) || parser.parseComma() ||
      parser.parseKeyword("scale") || parser.parseEqual() ||
      parser.parseType(scale) || parser.parseComma() ||
      parser.parseKeyword("block") || parser.parseEqual() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        int64_t v;
        if (parser.parseInteger(v))
          return failure();
        block.push_back(v);
        return success();
      }))
    return {};
  bool symmetric = true;
  if (succeeded(parser.parseOptionalComma())) {
    StringRef kw;
    SMLoc kwLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&kw))
      return {};
    if (kw == "asymmetric")
      symmetric = false;
    else if (kw != "symmetric") {
      parser.emitError(kwLoc) << "expected 'symmetric' or 'asymmetric'";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<SchemeAttr>(loc, ctx, elem, scale, block, symmetric);
}

void SchemeAttr::print(AsmPrinter &printer) const {
  printer << "<" << getElementType() << ", scale = " << getScaleType()
          << ", block = [";
  llvm::interleaveComma(getBlock(), printer);
  printer << "], " << (getSymmetric() ? "symmetric" : "asymmetric") << ">";
}

std::string quantc::qc::getLayerName(Location loc) {
  if (auto n = dyn_cast<NameLoc>(loc))
    return n.getName().str();
  if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations()) {
      std::string s = getLayerName(l);
      if (!s.empty())
        return s;
    }
  return "";
}
