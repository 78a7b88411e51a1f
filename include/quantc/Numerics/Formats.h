//===- Formats.h - Element formats and block codecs -------------*- C++ -*-===//
//
// Every number format quantc knows, with scalar and block encoders/decoders.
// No MLIR dependency. The rules implemented here are written down, with labels
// F1, F2, ..., in docs/Formats.md; tests cite those labels.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_NUMERICS_FORMATS_H
#define QUANTC_NUMERICS_FORMATS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace quantc::numerics {

/// Element formats (F1). Names follow MLIR builtin type spellings where one
/// exists (see FormatInfo::name).
enum class ElemFormat {
  F32,
  F16,
  BF16,
  E4M3FN,
  E5M2,
  E2M3FN,
  E3M2FN,
  E2M1FN,
  E8M0FNU,
  UE4M3,
  INT8,
  UINT8,
  INT4,
  UINT4
};

/// Number of ElemFormat enumerators (for iteration in tests and tables).
constexpr unsigned kNumElemFormats = 14;

struct FormatInfo {
  const char *name;  ///< "f32", "f16", "bf16", "f8E4M3FN", ..., "i8", "ui8",
                     ///< "i4", "ui4"; UE4M3 has no MLIR type: "ue4m3".
  unsigned bits;     ///< Width of one code (UE4M3: 8, the sign bit is 0).
  bool isFloat;
  bool isSigned;
  float maxFinite;   ///< Largest finite value (integers: qmax).
  float minNormal;   ///< Smallest positive normal (integers: 1).
  float minPositive; ///< Smallest positive value (subnormal where there are).
  unsigned expBits;  ///< Exponent field width (0 for integers).
  unsigned manBits;  ///< Explicit mantissa bits (0 for integers and E8M0).
  int bias;          ///< Exponent bias (0 for integers).
  int emax;          ///< floor(log2(maxFinite)); MX "emax_elem" (F12).
  bool hasInf;
  bool hasNaN;
  bool hasNegZero;   ///< Signed float formats.
  int32_t qmin, qmax; ///< Integer range (floats: 0, 0).
};

const FormatInfo &getFormatInfo(ElemFormat f);

/// Parses an MLIR builtin type spelling ("f8E4M3FN", "f8E8M0FNU", "i8",
/// "ui4", "f4E2M1FN", "bf16", ...) or "ue4m3". Exact, case-sensitive match.
std::optional<ElemFormat> parseElemFormat(llvm::StringRef name);

/// Encodes one f32 to a code in the low `bits` bits of the result (F2-F9).
/// Round half to even; saturate=true clamps finite overflow and +-Inf to
/// +-maxFinite (ONNX saturate=1); saturate=false gives Inf where the format
/// has it, else NaN where it has it, else still +-maxFinite. NaN -> NaN where
/// the format has one (FP6/FP4: +-0, integers: 0). Integers: clamp(rne(x)).
/// F32 has no 16-bit code: encode(F32, ...) is a precondition violation
/// (asserts); use roundTo() for "value after a cast" semantics.
uint16_t encode(ElemFormat f, float x, bool saturate = true);

/// Decodes a code (bits above the format's width are ignored) (F2-F9).
/// F32 is a precondition violation (asserts).
float decode(ElemFormat f, uint16_t code);

/// decode(f, encode(f, x, saturate)); F32 returns x unchanged.
float roundTo(ElemFormat f, float x, bool saturate = true);

/// Bulk encode/decode for formats of at most 8 bits, one code per byte
/// (unpacked). Same results as the scalar functions, much faster.
void encodeArray(ElemFormat f, const float *x, int64_t n, uint8_t *codes,
                 bool saturate = true);
void decodeArray(ElemFormat f, const uint8_t *codes, int64_t n, float *out);

/// Packs 4-bit codes two per byte, element 2i in the low nibble of byte i,
/// element 2i+1 in the high nibble; an odd tail leaves the high nibble 0 (F16).
/// `packed` holds (n + 1) / 2 bytes.
void pack4(const uint8_t *codes, int64_t n, uint8_t *packed);
void unpack4(const uint8_t *packed, int64_t n, uint8_t *codes);

/// E8M0 scale: 2^(code-127); code 0xFF is NaN; code 0 -> 2^-127 (an fp32
/// subnormal) (F9).
float decodeE8M0(uint8_t code);

enum class MXScaleMode {
  Floor, ///< OCP MX v1.0: floor(log2(amax)) - emax_elem (F12).
  Ceil   ///< no-clip: ceil(log2(amax / max_elem)) (F13).
};

/// True for the element formats quantizeMX accepts: E4M3FN, E5M2, E2M3FN,
/// E3M2FN, E2M1FN, INT8, INT4 (F11).
bool isMXElemFormat(ElemFormat f);

/// Shared E8M0 scale code for a block whose max |x| is `amax` (the sign of
/// amax is ignored), clamped to [0, 254]. amax == 0 -> 0 (scale 2^-127);
/// NaN or Inf amax -> 0xFF (F12-F14).
uint8_t mxSharedScale(float amax, ElemFormat elem,
                      MXScaleMode mode = MXScaleMode::Floor);

/// MX quantization of a row-major [rows, k] f32 matrix along k in blocks of
/// `block` elements (F15-F17). codes: rows*k bytes, one unpacked code per
/// byte, same layout as x. scales: rows*ceil(k/block) E8M0 bytes, row-major
/// [rows, ceil(k/block)]. A short last block is treated as zero-padded.
/// Elements are encode(elem, x / 2^(scale-127), saturate=true). A block with
/// NaN or Inf gets scale 0xFF and every code set to the element format's NaN
/// (positive), or 0 if it has none. Preconditions (asserted): rows >= 0,
/// k >= 0, block >= 1, isMXElemFormat(elem); without asserts, an empty or
/// invalid shape writes nothing and a non-MX elem gives all-NaN scales.
void quantizeMX(const float *x, int64_t rows, int64_t k, int64_t block,
                ElemFormat elem, MXScaleMode mode, uint8_t *codes,
                uint8_t *scales);

/// Inverse of quantizeMX: out = decode(elem, code) * 2^(scale-127), NaN for
/// every element of a block whose scale is 0xFF (F18). Same preconditions as
/// quantizeMX (a non-MX elem gives all-NaN output without asserts).
void dequantizeMX(const uint8_t *codes, const uint8_t *scales, int64_t rows,
                  int64_t k, int64_t block, ElemFormat elem, float *out);

} // namespace quantc::numerics

#endif // QUANTC_NUMERICS_FORMATS_H
