//===- Linear.h - ONNX-style linear (de)quantization codecs -----*- C++ -*-===//
//
// Scale-and-zero-point codecs with the semantics of ONNX QuantizeLinear /
// DequantizeLinear (opsets 10-23): per-tensor, per-axis and blocked along any
// axis, integer formats with zero points, float formats (FP8/FP6/FP4) with
// saturate; plus the two-level NVFP4 codec and 2-D block scales. Rules are
// labelled F21-F30 in docs/Formats.md. Invalid parameters give llvm::Error.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_NUMERICS_LINEAR_H
#define QUANTC_NUMERICS_LINEAR_H

#include "quantc/Numerics/Formats.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace quantc::numerics {

/// How a scale tensor maps onto the data tensor (F21).
enum class Granularity { PerTensor, PerAxis, Blocked };

/// The layout of the scales (and zero points) of one linear codec.
struct LinearLayout {
  Granularity granularity = Granularity::PerTensor;
  int64_t axis = 0;      ///< Normalised to [0, rank); unused per-tensor.
  int64_t blockSize = 0; ///< Blocked only.
};

/// Checks a scale shape against the data shape and derives the layout (F21):
/// a scale with one element is per-tensor (blockSize must be 0); with
/// blockSize == 0 a 1-D scale of size shape[axis] is per-axis; with
/// blockSize > 0 the scale has the data's rank and shape except
/// ceil(shape[axis] / blockSize) along `axis` (a short last block is allowed,
/// as ONNX opset 21 allows it). `axis` may be negative (counts from the end).
llvm::Expected<LinearLayout> makeLinearLayout(llvm::ArrayRef<int64_t> shape,
                                              llvm::ArrayRef<int64_t> scaleShape,
                                              int64_t axis, int64_t blockSize);

/// Whether `f` can be the output of quantizeLinear: INT8, UINT8, INT4, UINT4,
/// E4M3FN, E5M2, E2M3FN, E3M2FN, E2M1FN (F22).
bool isLinearFormat(ElemFormat f);

/// Integer codes travel one per byte as the integer value in two's
/// complement (INT4 -3 is 0xFD); float codes are the format's bit pattern
/// (F22). These convert between a byte and the integer it holds.
int32_t intCodeValue(ElemFormat f, uint8_t code);

/// y = saturate(round(x / scale) + zero_point) (F23, F24). `scales` and
/// `zeroPoints` (nullable: zero) are laid out as `layout` says, zero points
/// as codes of `f`. Errors: a non-linear format, a scale that is not a
/// finite positive number (zero, negative, NaN, Inf), a nonzero zero point
/// for a float format. `codes` holds one byte per element of `x`.
llvm::Error quantizeLinear(const float *x, llvm::ArrayRef<int64_t> shape,
                           const float *scales, const uint8_t *zeroPoints,
                           const LinearLayout &layout, ElemFormat f,
                           bool saturate, uint8_t *codes);

/// y = (code - zero_point) * scale in f32 (F25). Same layout and errors as
/// quantizeLinear.
llvm::Error dequantizeLinear(const uint8_t *codes,
                             llvm::ArrayRef<int64_t> shape, const float *scales,
                             const uint8_t *zeroPoints,
                             const LinearLayout &layout, ElemFormat f,
                             float *out);

/// ONNX DynamicQuantizeLinear (UINT8, F26): scale = (max(0, max x) -
/// min(0, min x)) / 255 (1/255 if that range is 0), zero point =
/// rne(clamp(-min / scale, 0, 255)), codes as quantizeLinear. Errors on a
/// NaN or Inf in x.
llvm::Error dynamicQuantizeLinear(const float *x, int64_t n, uint8_t *codes,
                                  float &scale, uint8_t &zeroPoint);

/// Scales (and zero points) for quantizeLinear from the data (F30), for any
/// layout of F21. The range of each scale's elements is widened to include
/// 0. Symmetric: scale = amax / maxFinite(f) (qmax for integers), zero
/// points (if non-null) 0. Asymmetric (integer formats only): scale =
/// (max - min) / (qmax - qmin), zero point = rne(clamp(qmin - min / scale,
/// qmin, qmax)), as DynamicQuantizeLinear generalised. A block whose range
/// is 0 gets the scale a range of 1 would give. Errors: a NaN or Inf in x,
/// asymmetric with a float format, a non-linear format.
llvm::Error computeLinearParams(const float *x, llvm::ArrayRef<int64_t> shape,
                                const LinearLayout &layout, ElemFormat f,
                                bool asymmetric, float *scales,
                                uint8_t *zeroPoints);

/// The scale and zero point F30 gives a tensor whose values span [lo, hi]
/// (widened to include 0), as computeLinearParams does per scale: for
/// static activation scales from a calibrated range. Errors: a non-linear
/// format, asymmetric with a float format, a range that is not a finite
/// interval.
llvm::Error linearParamsFromRange(float lo, float hi, ElemFormat f,
                                  bool asymmetric, float &scale,
                                  uint8_t &zeroPoint);

/// Symmetric absmax scales for blocks of blockRows x blockCols of a row-major
/// [rows, cols] matrix (F27): scale = amax / maxFinite(f) (1 for an all-zero
/// block), rounded to f32. The 2-D blocks of DeepSeek-V3's FP8 recipe are
/// 128x128 (weights) and 1x128 (activations). `scales` is row-major
/// [ceil(rows/blockRows), ceil(cols/blockCols)]. Errors on block sizes < 1,
/// a non-linear format, a NaN or Inf in x.
llvm::Error absmaxScales2D(const float *x, int64_t rows, int64_t cols,
                           int64_t blockRows, int64_t blockCols, ElemFormat f,
                           float *scales);
/// Encodes with 2-D block scales from absmaxScales2D (symmetric, saturating).
llvm::Error quantize2D(const float *x, int64_t rows, int64_t cols,
                       int64_t blockRows, int64_t blockCols, ElemFormat f,
                       const float *scales, uint8_t *codes);
llvm::Error dequantize2D(const uint8_t *codes, int64_t rows, int64_t cols,
                         int64_t blockRows, int64_t blockCols, ElemFormat f,
                         const float *scales, float *out);

/// NVFP4 (F28): blocks of 16 along k of a row-major [rows, k] matrix, E2M1
/// codes (one per byte), one UE4M3 scale per block (row-major
/// [rows, ceil(k/16)]) and one f32 tensor scale. tensorScale = amax(x) /
/// (6 * 448) (1 when x is all zero); block scale = encode(UE4M3,
/// block_amax / 6 / tensorScale) (saturating); elements =
/// encode(E2M1, x / (decode(scale) * tensorScale)) (a zero scale gives
/// codes 0). Errors on a NaN or Inf in x.
llvm::Error quantizeNVFP4(const float *x, int64_t rows, int64_t k,
                          uint8_t *codes, uint8_t *scales, float &tensorScale);
/// out = decode(E2M1, code) * decode(UE4M3, scale) * tensorScale.
void dequantizeNVFP4(const uint8_t *codes, const uint8_t *scales,
                     float tensorScale, int64_t rows, int64_t k, float *out);

} // namespace quantc::numerics

#endif
