//===- Numerics.cpp - quantc.numerics: the compiler's codecs on numpy -----===//
//
// Thin wrappers over quantc/Numerics (Formats.h, Linear.h): the same
// functions the passes, the Executor and the package writer call, so codes
// and scales are bit-identical to the compiler's. Rules: docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "PyCommon.h"

#include "quantc/Numerics/Formats.h"
#include "quantc/Numerics/Gemm.h"
#include "quantc/Numerics/Linear.h"

#include "mlir/AsmParser/AsmParser.h"

#include "llvm/Support/MathExtras.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

using namespace quantc;
using namespace quantc::py_support;
namespace nx = quantc::numerics;

namespace {
constexpr int kIn = py::array::c_style | py::array::forcecast;
using F32In = py::array_t<float, kIn>;
using U8In = py::array_t<uint8_t, kIn>;

std::vector<int64_t> shapeOf(const py::array &a) {
  return std::vector<int64_t>(a.shape(), a.shape() + a.ndim());
}

nx::ElemFormat format(const std::string &name) {
  auto f = nx::parseElemFormat(name);
  if (!f) {
    std::string known;
    for (unsigned i = 0; i < nx::kNumElemFormats; ++i)
      known += std::string(" ") +
               nx::getFormatInfo(static_cast<nx::ElemFormat>(i)).name;
    throw QuantcError("unknown element format '" + name + "'; known:" + known);
  }
  return *f;
}

template <typename T> py::array_t<T> make(const std::vector<int64_t> &shape) {
  return py::array_t<T>(std::vector<py::ssize_t>(shape.begin(), shape.end()));
}

/// rows x k view of an array along its last axis (a 0-d array is 1 x 1).
std::pair<int64_t, int64_t> rowsK(const std::vector<int64_t> &shape) {
  int64_t k = shape.empty() ? 1 : shape.back(), rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i)
    rows *= shape[i];
  return {rows, k};
}

std::vector<int64_t> blockShape(std::vector<int64_t> shape, int64_t block) {
  if (shape.empty())
    shape.push_back(1);
  shape.back() = llvm::divideCeil(shape.back(), block);
  return shape;
}

void checkBlock(int64_t block) {
  if (block < 1)
    throw QuantcError("block size must be >= 1, got " + std::to_string(block));
}

void checkSameShape(const py::array &a, const py::array &b, const char *what) {
  if (shapeOf(a) != shapeOf(b))
    throw QuantcError(std::string(what) + ": shapes differ");
}

/// Rows and columns of a 2-D array tiled br x bc (F27), checked.
std::pair<int64_t, int64_t> tiles2D(const py::array &a, int64_t br, int64_t bc,
                                    const char *what) {
  if (a.ndim() != 2)
    throw QuantcError(std::string(what) + " takes a 2-D array");
  if (br < 1 || bc < 1)
    throw QuantcError("2-D block sizes must be >= 1");
  return {a.shape(0), a.shape(1)};
}

/// Shape of the scales of a rows x cols array in br x bc tiles.
std::vector<int64_t> tileGrid(int64_t rows, int64_t cols, int64_t br,
                              int64_t bc) {
  return {int64_t(llvm::divideCeil(rows, br)),
          int64_t(llvm::divideCeil(cols, bc))};
}

nx::LinearLayout layout(const std::vector<int64_t> &shape,
                        const std::vector<int64_t> &scaleShape, int64_t axis,
                        int64_t blockSize) {
  auto l = nx::makeLinearLayout(shape, scaleShape, axis, blockSize);
  if (!l)
    throw QuantcError(llvm::toString(l.takeError()));
  return *l;
}

mlir::MLIRContext &schemeContext() {
  static mlir::MLIRContext *ctx = [] {
    auto *c = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    c->loadDialect<qc::QCDialect>();
    return c;
  }();
  return *ctx;
}

std::string typeName(mlir::Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}
} // namespace

py::dict quantc::py_support::schemeDict(qc::SchemeAttr s) {
  py::dict d;
  d["element_type"] = typeName(s.getElementType());
  d["scale_type"] = typeName(s.getScaleType());
  d["block"] = std::vector<int64_t>(s.getBlock().begin(), s.getBlock().end());
  d["symmetric"] = s.getSymmetric();
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::Attribute(s).print(os);
  d["text"] = text;
  return d;
}

void quantc::py_support::bindNumerics(py::module_ &m) {
  m.def("formats", [] {
    std::vector<std::string> out;
    for (unsigned i = 0; i < nx::kNumElemFormats; ++i)
      out.push_back(nx::getFormatInfo(static_cast<nx::ElemFormat>(i)).name);
    return out;
  });
  m.def("format_info", [](const std::string &name) {
    const nx::FormatInfo &i = nx::getFormatInfo(format(name));
    py::dict d;
    d["name"] = i.name;
    d["bits"] = i.bits;
    d["is_float"] = i.isFloat;
    d["is_signed"] = i.isSigned;
    d["max_finite"] = i.maxFinite;
    d["min_normal"] = i.minNormal;
    d["min_positive"] = i.minPositive;
    d["exponent_bits"] = i.expBits;
    d["mantissa_bits"] = i.manBits;
    d["bias"] = i.bias;
    d["emax"] = i.emax;
    d["has_inf"] = i.hasInf;
    d["has_nan"] = i.hasNaN;
    d["qmin"] = i.qmin;
    d["qmax"] = i.qmax;
    return d;
  });

  m.def("encode",
        [](F32In x, const std::string &fmt, bool saturate) -> py::array {
          nx::ElemFormat f = format(fmt);
          if (f == nx::ElemFormat::F32)
            throw QuantcError(
                "f32 has no code narrower than itself; use round_to");
          const float *p = x.data();
          if (nx::getFormatInfo(f).bits > 8) {
            auto out = make<uint16_t>(shapeOf(x));
            uint16_t *o = out.mutable_data();
            for (py::ssize_t i = 0; i < x.size(); ++i)
              o[i] = nx::encode(f, p[i], saturate);
            return out;
          }
          auto out = make<uint8_t>(shapeOf(x));
          nx::encodeArray(f, p, x.size(), out.mutable_data(), saturate);
          return out;
        });
  m.def("decode", [](py::array codes, const std::string &fmt) {
    nx::ElemFormat f = format(fmt);
    if (f == nx::ElemFormat::F32)
      throw QuantcError("f32 has no codes");
    auto c = py::array_t<uint16_t, kIn>::ensure(codes);
    if (!c)
      throw QuantcError("codes must be an integer array");
    auto out = make<float>(shapeOf(c));
    float *o = out.mutable_data();
    const uint16_t *p = c.data();
    for (py::ssize_t i = 0; i < c.size(); ++i)
      o[i] = nx::decode(f, p[i]);
    return out;
  });
  m.def("round_to", [](F32In x, const std::string &fmt, bool saturate) {
    nx::ElemFormat f = format(fmt);
    auto out = make<float>(shapeOf(x));
    for (py::ssize_t i = 0; i < x.size(); ++i)
      out.mutable_data()[i] = nx::roundTo(f, x.data()[i], saturate);
    return out;
  });
  m.def("pack4", [](U8In codes) {
    auto out = make<uint8_t>({(codes.size() + 1) / 2});
    nx::pack4(codes.data(), codes.size(), out.mutable_data());
    return out;
  });
  m.def("unpack4", [](U8In packed, int64_t n) {
    if (n < 0 || (n + 1) / 2 > packed.size())
      throw QuantcError("unpack4: " + std::to_string(n) + " codes need " +
                        std::to_string((n + 1) / 2) + " bytes, got " +
                        std::to_string(packed.size()));
    auto out = make<uint8_t>({n});
    nx::unpack4(packed.data(), n, out.mutable_data());
    return out;
  });

  m.def("mx_shared_scale",
        [](float amax, const std::string &elem, const std::string &mode) {
          nx::ElemFormat f = format(elem);
          if (!nx::isMXElemFormat(f))
            throw QuantcError("'" + elem + "' is not an MX element format");
          if (mode != "floor" && mode != "ceil")
            throw QuantcError("MX scale mode must be 'floor' or 'ceil', got '" +
                              mode + "'");
          return nx::mxSharedScale(amax, f,
                                   mode == "ceil" ? nx::MXScaleMode::Ceil
                                                  : nx::MXScaleMode::Floor);
        });
  m.def("quantize_mx", [](F32In x, const std::string &elem, int64_t block,
                          const std::string &mode) {
    nx::ElemFormat f = format(elem);
    if (!nx::isMXElemFormat(f))
      throw QuantcError("'" + elem + "' is not an MX element format");
    if (mode != "floor" && mode != "ceil")
      throw QuantcError("MX scale mode must be 'floor' or 'ceil', got '" +
                        mode + "'");
    checkBlock(block);
    auto [rows, k] = rowsK(shapeOf(x));
    auto codes = make<uint8_t>(shapeOf(x));
    auto scales = make<uint8_t>(blockShape(shapeOf(x), block));
    nx::quantizeMX(x.data(), rows, k, block, f,
                   mode == "ceil" ? nx::MXScaleMode::Ceil
                                  : nx::MXScaleMode::Floor,
                   codes.mutable_data(), scales.mutable_data());
    return py::make_tuple(codes, scales);
  });
  m.def("dequantize_mx", [](U8In codes, U8In scales, const std::string &elem,
                            int64_t block) {
    nx::ElemFormat f = format(elem);
    if (!nx::isMXElemFormat(f))
      throw QuantcError("'" + elem + "' is not an MX element format");
    checkBlock(block);
    if (shapeOf(scales) != blockShape(shapeOf(codes), block))
      throw QuantcError("dequantize_mx: scales shape does not match codes "
                        "shape with block " +
                        std::to_string(block));
    auto [rows, k] = rowsK(shapeOf(codes));
    auto out = make<float>(shapeOf(codes));
    nx::dequantizeMX(codes.data(), scales.data(), rows, k, block, f,
                     out.mutable_data());
    return out;
  });

  m.def("linear_params",
        [](F32In x, const std::vector<int64_t> &scaleShape, int64_t axis,
           int64_t blockSize, const std::string &fmt, bool asymmetric) {
          nx::ElemFormat f = format(fmt);
          nx::LinearLayout l = layout(shapeOf(x), scaleShape, axis, blockSize);
          auto scales = make<float>(scaleShape);
          auto zps = make<uint8_t>(scaleShape);
          checkLlvm(nx::computeLinearParams(x.data(), shapeOf(x), l, f,
                                            asymmetric, scales.mutable_data(),
                                            zps.mutable_data()));
          return py::make_tuple(scales, zps);
        });
  m.def("quantize_linear", [](F32In x, F32In scale, std::optional<U8In> zp,
                              int64_t axis, int64_t blockSize,
                              const std::string &fmt, bool saturate) {
    nx::ElemFormat f = format(fmt);
    nx::LinearLayout l = layout(shapeOf(x), shapeOf(scale), axis, blockSize);
    if (zp)
      checkSameShape(scale, *zp, "quantize_linear: scale and zero point");
    auto codes = make<uint8_t>(shapeOf(x));
    checkLlvm(nx::quantizeLinear(x.data(), shapeOf(x), scale.data(),
                                 zp ? zp->data() : nullptr, l, f, saturate,
                                 codes.mutable_data()));
    return codes;
  });
  m.def("dequantize_linear", [](U8In codes, F32In scale, std::optional<U8In> zp,
                                int64_t axis, int64_t blockSize,
                                const std::string &fmt) {
    nx::ElemFormat f = format(fmt);
    nx::LinearLayout l =
        layout(shapeOf(codes), shapeOf(scale), axis, blockSize);
    if (zp)
      checkSameShape(scale, *zp, "dequantize_linear: scale and zero point");
    auto out = make<float>(shapeOf(codes));
    checkLlvm(nx::dequantizeLinear(codes.data(), shapeOf(codes), scale.data(),
                                   zp ? zp->data() : nullptr, l, f,
                                   out.mutable_data()));
    return out;
  });

  m.def("quantize_2d",
        [](F32In x, int64_t br, int64_t bc, const std::string &fmt) {
          nx::ElemFormat f = format(fmt);
          auto [rows, cols] = tiles2D(x, br, bc, "quantize_2d");
          auto scales = make<float>(tileGrid(rows, cols, br, bc));
          auto codes = make<uint8_t>(shapeOf(x));
          checkLlvm(nx::absmaxScales2D(x.data(), rows, cols, br, bc, f,
                                       scales.mutable_data()));
          checkLlvm(nx::quantize2D(x.data(), rows, cols, br, bc, f,
                                   scales.data(), codes.mutable_data()));
          return py::make_tuple(codes, scales);
        });
  m.def("dequantize_2d", [](U8In codes, F32In scales, int64_t br, int64_t bc,
                            const std::string &fmt) {
    nx::ElemFormat f = format(fmt);
    auto [rows, cols] = tiles2D(codes, br, bc, "dequantize_2d");
    if (shapeOf(scales) != tileGrid(rows, cols, br, bc))
      throw QuantcError("dequantize_2d: scales shape does not match the "
                        "codes and block");
    auto out = make<float>(shapeOf(codes));
    checkLlvm(nx::dequantize2D(codes.data(), rows, cols, br, bc, f,
                               scales.data(), out.mutable_data()));
    return out;
  });

  m.def("quantize_nvfp4", [](F32In x) {
    auto [rows, k] = rowsK(shapeOf(x));
    auto codes = make<uint8_t>(shapeOf(x));
    auto scales = make<uint8_t>(blockShape(shapeOf(x), 16));
    float tensorScale = 0;
    checkLlvm(nx::quantizeNVFP4(x.data(), rows, k, codes.mutable_data(),
                                scales.mutable_data(), tensorScale));
    return py::make_tuple(codes, scales, tensorScale);
  });
  m.def("dequantize_nvfp4", [](U8In codes, U8In scales, float tensorScale) {
    if (shapeOf(scales) != blockShape(shapeOf(codes), 16))
      throw QuantcError("dequantize_nvfp4: scales shape does not match the "
                        "codes (one scale per 16 along the last axis)");
    auto [rows, k] = rowsK(shapeOf(codes));
    auto out = make<float>(shapeOf(codes));
    nx::dequantizeNVFP4(codes.data(), scales.data(), tensorScale, rows, k,
                        out.mutable_data());
    return out;
  });

  m.def(
      "gemm_fp8",
      [](U8In a, U8In b, F32In sa, F32In sb, const std::string &scales,
         int64_t splitK) {
        std::optional<nx::FP8GemmScales> mode = nx::parseFP8GemmScales(scales);
        if (!mode)
          throw QuantcError("gemm_fp8: unknown scales '" + scales +
                            "' (expected 1x128, per-channel or per-tensor)");
        if (a.ndim() != 2 || b.ndim() != 2 || a.shape(1) != b.shape(1))
          throw QuantcError("gemm_fp8: a must be [M, K] and b [N, K] "
                            "(e4m3 codes, b is the transposed weight)");
        int64_t M = a.shape(0), N = b.shape(0), K = a.shape(1);
        int64_t KB = (K + nx::kFP8GemmBlock - 1) / nx::kFP8GemmBlock;
        int64_t NB = (N + nx::kFP8GemmBlock - 1) / nx::kFP8GemmBlock;
        std::vector<int64_t> wantA, wantB;
        switch (*mode) {
        case nx::FP8GemmScales::PerTensor:
          wantA = {1};
          wantB = {1};
          break;
        case nx::FP8GemmScales::PerTokenPerChannel:
          wantA = {M};
          wantB = {N};
          break;
        case nx::FP8GemmScales::Block1x128:
          wantA = {M, KB};
          wantB = {NB, KB};
          break;
        }
        auto shapeStr = [](const std::vector<int64_t> &v) {
          std::string s = "[";
          for (size_t i = 0; i < v.size(); ++i)
            s += (i ? ", " : "") + std::to_string(v[i]);
          return s + "]";
        };
        if (shapeOf(sa) != wantA || shapeOf(sb) != wantB)
          throw QuantcError("gemm_fp8: " + scales + " scales need sa " +
                            shapeStr(wantA) + " and sb " + shapeStr(wantB) +
                            ", got " + shapeStr(shapeOf(sa)) + " and " +
                            shapeStr(shapeOf(sb)));
        auto c = make<float>({M, N});
        checkLlvm(nx::gemmFP8Reference(a.data(), b.data(), M, N, K, *mode,
                                       sa.data(), sb.data(),
                                       c.mutable_data(), splitK));
        return c;
      },
      py::arg("a"), py::arg("b"), py::arg("sa"), py::arg("sb"),
      py::arg("scales") = "1x128", py::arg("split_k") = 1,
      "The sm_90a FP8 GEMM's arithmetic (F33): a [M, K] and b [N, K] E4M3FN "
      "codes, scales per `scales` (1x128: sa [M, ceil(K/128)], sb "
      "[ceil(N/128), ceil(K/128)]; per-channel: sa [M], sb [N]; per-tensor: "
      "one each); returns C [M, N] f32. `split_k` > 1: the split-K "
      "kernel's order (partials over ceil(KB/split_k) blocks each, added in "
      "split order, then the per-tensor / per-channel factor).");

  m.def("parse_scheme", [](const std::string &text) {
    mlir::MLIRContext &ctx = schemeContext();
    qc::SchemeAttr s = qc::SchemeAttr::getPreset(&ctx, text);
    if (!s) {
      std::string err;
      mlir::ScopedDiagnosticHandler h(&ctx, [&](mlir::Diagnostic &d) {
        err += (err.empty() ? "" : "; ") + d.str();
        return mlir::success();
      });
      mlir::Attribute a = mlir::parseAttribute(text, &ctx);
      s = llvm::dyn_cast_or_null<qc::SchemeAttr>(a);
      if (!s) {
        std::string known;
        for (llvm::StringRef n : qc::SchemeAttr::getPresetNames())
          known += " " + n.str();
        throw QuantcError("'" + text + "' is neither a scheme preset (" +
                          known.substr(1) + ") nor a #qc.scheme<...>" +
                          (err.empty() ? "" : ": " + err));
      }
    }
    return schemeDict(s);
  });
}
