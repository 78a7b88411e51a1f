#ifndef QUANTC_DIALECT_QC_QCQUANTOPS_TD
#define QUANTC_DIALECT_QC_QCQUANTOPS_TD

// ONNX-semantics quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, Cast between formats.
include "quantc/Dialect/QC/IR/QCBase.td"

def QC_QuantizeLinearOp : QC_Op<"quantize_linear", [Pure]> {
  let summary = "ONNX QuantizeLinear: codes = saturate(round(x / scale) + zero_point)";
  let description = [{
    Per-tensor (one scale), per-axis (1-D scale of size `dim(x, axis)`) or
    blocked (`block_size` > 0: scale of x's rank and shape except
    `ceil(dim / block_size)` along `axis`). The codes' element type is the
    target format: i8, ui8, i4, ui4, f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN
    or f4E2M1FN; `zero_point`, if given, has the scale's shape and the
    codes' element type. `saturate` applies to float formats
    (docs/Formats.md F21-F24, docs/Quantization-ops.md).
  }];
  let arguments = (ins QC_FloatTensor:$x, QC_FloatTensor:$scale,
                       Optional<QC_AnyTensor>:$zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$block_size,
                       DefaultValuedAttr<BoolAttr, "true">:$saturate);
  let results = (outs QC_AnyTensor:$codes);
  let assemblyFormat = "$x `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_DequantizeLinearOp : QC_Op<"dequantize_linear", [Pure]> {
  let summary = "ONNX DequantizeLinear: y = (codes - zero_point) * scale";
  let description = [{
    The inverse of `qc.quantize_linear`, with the same scale layouts
    (docs/Formats.md F21, F25). The result has the codes' shape and a float
    element type.
  }];
  let arguments = (ins QC_AnyTensor:$codes, QC_FloatTensor:$scale,
                       Optional<QC_AnyTensor>:$zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$block_size);
  let results = (outs QC_FloatTensor:$y);
  let assemblyFormat = "$codes `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_DynamicQuantizeLinearOp : QC_Op<"dynamic_quantize_linear", [Pure]> {
  let summary = "ONNX DynamicQuantizeLinear: ui8 codes, f32 scale, ui8 zero point";
  let description = [{
    Scale and zero point from the input's range extended to include 0
    (docs/Formats.md F26), then `qc.quantize_linear` per tensor.
  }];
  let arguments = (ins QC_FloatTensor:$x);
  let results = (outs QC_AnyTensor:$y, QC_AnyTensor:$y_scale,
                      QC_AnyTensor:$y_zero_point);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_CastOp : QC_Op<"cast", [Pure]> {
  let summary = "ONNX Cast between numeric element types";
  let description = [{
    Float to float rounds to nearest even (`saturate` applies to the 8-, 6-
    and 4-bit float formats as ONNX's Cast-19 attribute does); float to
    integer truncates toward zero and clamps to the integer range (ONNX
    leaves out-of-range values undefined; NaN gives 0); integer to float is
    exact or rounds to nearest even. Shapes are unchanged
    (docs/Quantization-ops.md).
  }];
  let arguments = (ins QC_AnyTensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$saturate);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif
