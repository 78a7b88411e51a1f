#ifndef QUANTC_DIALECT_QC_QCNNOPS_TD
#define QUANTC_DIALECT_QC_QCNNOPS_TD

// Convolutional-network ops: conv, pooling, batch norm, resize, and the
// integer ops of already-quantized ONNX models. Conv, the pools and batch
// norm infer their result types (the window arithmetic lives in one place).
include "quantc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def QC_IntTensor : RankedTensorOf<[I8, UI8, I32]>;

def QC_ConvOp : QC_Op<"conv", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "N-D convolution (ONNX Conv) with explicit pads";
  let description = [{
    `input` is `[N, C, D1..Dk]`, `weight` is `[M, C/group, K1..Kk]`, the
    optional `bias` is `[M]`. `pads` holds the k begin pads then the k end
    pads (the importer resolves ONNX `auto_pad` into them). Output dim i is
    `floor((Di + pb + pe - dil*(Ki-1) - 1) / stride) + 1`.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$weight,
                       Optional<QC_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    /// One input channel per group (group == C > 1, weight [M, 1, k...]):
    /// output channel m reads input channel m / (M / C) only, so a scale
    /// per input channel factors out of each output channel's sum.
    bool isDepthwise() {
      auto in = ::llvm::cast<::mlir::RankedTensorType>(getInput().getType());
      auto w = ::llvm::cast<::mlir::RankedTensorType>(getWeight().getType());
      return in.getRank() >= 3 && !in.isDynamicDim(1) && getGroup() > 1 &&
             int64_t(getGroup()) == in.getDimSize(1) && w.getRank() >= 2 &&
             w.getDimSize(1) == 1;
    }
  }];
}

def QC_ConvTransposeOp : QC_Op<"conv_transpose", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "N-D transposed convolution (ONNX ConvTranspose)";
  let description = [{
    `input` is `[N, C, D1..Dk]`, `weight` is `[C, M/group, K1..Kk]`, the
    optional `bias` is `[M]`. Output dim i is
    `stride*(Di-1) + output_padding + dil*(Ki-1) + 1 - pb - pe`; the importer
    resolves `output_shape` and `auto_pad` into `pads`/`output_padding`.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$weight,
                       Optional<QC_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$output_padding, I64Attr:$group);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

class QC_PoolOp<string mnemonic, string desc>
    : QC_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = desc;
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

// MaxPool-12 also pools int8/uint8 tensors.
def QC_MaxPoolTensor : RankedTensorOf<[F32, F16, BF16, I8, UI8]>;

def QC_MaxPoolOp : QC_PoolOp<"max_pool", "N-D max pooling (ONNX MaxPool)"> {
  let description = [{
    Float, i8 or ui8 elements (the result has the input's element type).
    Window `kernel_shape` with `strides`, `dilations` and explicit `pads`
    (begin pads then end pads); padded positions never win. With
    `ceil_mode` the output size rounds up, but a window must start inside
    the input or its begin padding.
  }];
  let arguments = (ins QC_MaxPoolTensor:$input,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode);
  let results = (outs QC_MaxPoolTensor:$result);
}

def QC_MaxPoolWithIndicesOp : QC_Op<"max_pool_with_indices", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "N-D max pooling that also returns where each max came from";
  let description = [{
    ONNX MaxPool with its `Indices` output (N14 in docs/Ops-nn.md): window
    attributes as `qc.max_pool`; `indices` holds, per output, the flat
    index of the (first) maximum in the input, counting over all of
    `[N, C, D1..Dk]`: row-major spatial order with `storage_order = 0`,
    column-major (last spatial dim slowest) with `storage_order = 1`.
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                       DefaultValuedAttr<I64Attr, "0">:$storage_order);
  let results = (outs QC_FloatTensor:$result, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_AvgPoolOp : QC_PoolOp<"avg_pool", "N-D average pooling (ONNX AveragePool)"> {
  let description = [{
    As `qc.max_pool`; `count_include_pad` divides by the full window
    (padding counted, positions past the end padding of a ceil_mode window
    not), otherwise by the number of input elements in the window.
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
}

def QC_GlobalAvgPoolOp : QC_PoolOp<"global_avg_pool",
    "Mean over all spatial dims: [N, C, D...] -> [N, C, 1...]"> {
  let arguments = (ins QC_FloatTensor:$input);
}

def QC_GlobalMaxPoolOp : QC_PoolOp<"global_max_pool",
    "Max over all spatial dims: [N, C, D...] -> [N, C, 1...]"> {
  let arguments = (ins QC_FloatTensor:$input);
}

def QC_BatchNormOp : QC_Op<"batch_norm", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Inference-mode batch normalization over dim 1";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, the four `[C]`
    operands applying along dim 1 of `input` (`[N, C, ...]`).
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                       QC_FloatTensor:$bias, QC_FloatTensor:$mean,
                       QC_FloatTensor:$var, F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` functional-type(operands, results)";
}

def QC_LstmOp : QC_Op<"lstm", [Pure, AttrSizedOperandSegments,
                               InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX LSTM over a whole sequence (N16)";
  let description = [{
    `x` is `[seq, batch, input]` (ONNX's layout 0; the importer transposes
    layout 1), `w` `[D, 4H, input]` and `r` `[D, 4H, H]` hold the gates in
    ONNX's order i, o, f, c per direction (D = 2 when bidirectional, else
    1), `b` `[D, 8H]` the input then recurrence biases, `sequence_lens`
    `[batch]` each sequence's length (absent: all `seq`), `initial_h` /
    `initial_c` `[D, batch, H]` (absent: 0), `p` `[D, 3H]` the peepholes
    (i, o, f). Per step, with f, g, h the direction's three activations:
    `i = f(x W_i + h R_i + p_i c + b_i)`, `f = f(... + p_f c)` (or 1 - i
    with `input_forget`), `c~ = g(x W_c + h R_c + b_c)`, `c = f c + i c~`,
    `o = f(x W_o + h R_o + p_o c + b_o)`, `h = o h(c)`; `clip` bounds each
    gate's input to [-clip, clip]. `activations` holds 3 per direction,
    `activation_alpha` / `activation_beta` one per activation (its
    defaults filled in at import). Results: `y` `[seq, D, batch, H]`
    (zero past a sequence's length), `y_h` and `y_c` `[D, batch, H]` (each
    sequence's last state; a reverse direction ends at step 0; a sequence
    of length 0 gives zeros, as ONNX Runtime does).
  }];
  let arguments = (ins QC_FloatTensor:$x, QC_FloatTensor:$w, QC_FloatTensor:$r,
                       Optional<QC_FloatTensor>:$b,
                       Optional<RankedTensorOf<[I32, I64]>>:$sequence_lens,
                       Optional<QC_FloatTensor>:$initial_h,
                       Optional<QC_FloatTensor>:$initial_c,
                       Optional<QC_FloatTensor>:$p,
                       I64Attr:$hidden_size, QC_RnnDirectionAttr:$direction,
                       QC_RnnActivationArrayAttr:$activations,
                       DenseF32ArrayAttr:$activation_alpha,
                       DenseF32ArrayAttr:$activation_beta,
                       OptionalAttr<F32Attr>:$clip,
                       DefaultValuedAttr<BoolAttr, "false">:$input_forget);
  let results = (outs QC_FloatTensor:$y, QC_FloatTensor:$y_h,
                      QC_FloatTensor:$y_c);
  let assemblyFormat = [{
    $x `,` $w `,` $r (`bias` `(` $b^ `)`)?
    (`sequence_lens` `(` $sequence_lens^ `)`)?
    (`initial_h` `(` $initial_h^ `)`)? (`initial_c` `(` $initial_c^ `)`)?
    (`peepholes` `(` $p^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_GruOp : QC_Op<"gru", [Pure, AttrSizedOperandSegments,
                             InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX GRU over a whole sequence (N16)";
  let description = [{
    As `qc.lstm` for the layout, directions, lengths and activations (2 per
    direction: f, g), with the gates in ONNX's order z, r, h: `w` `[D, 3H,
    input]`, `r` `[D, 3H, H]`, `b` `[D, 6H]`. Per step `z = f(x W_z + h
    R_z + b_z)`, `r = f(x W_r + h R_r + b_r)`, `h~ = g(x W_h + (r h) R_h +
    Rb_h + Wb_h)` (with `linear_before_reset`: `g(x W_h + r (h R_h + Rb_h)
    + Wb_h)`), `h = (1 - z) h~ + z h`. Results `y` `[seq, D, batch, H]`
    and `y_h` `[D, batch, H]`.
  }];
  let arguments = (ins QC_FloatTensor:$x, QC_FloatTensor:$w, QC_FloatTensor:$r,
                       Optional<QC_FloatTensor>:$b,
                       Optional<RankedTensorOf<[I32, I64]>>:$sequence_lens,
                       Optional<QC_FloatTensor>:$initial_h,
                       I64Attr:$hidden_size, QC_RnnDirectionAttr:$direction,
                       QC_RnnActivationArrayAttr:$activations,
                       DenseF32ArrayAttr:$activation_alpha,
                       DenseF32ArrayAttr:$activation_beta,
                       OptionalAttr<F32Attr>:$clip,
                       DefaultValuedAttr<BoolAttr, "false">:$linear_before_reset);
  let results = (outs QC_FloatTensor:$y, QC_FloatTensor:$y_h);
  let assemblyFormat = [{
    $x `,` $w `,` $r (`bias` `(` $b^ `)`)?
    (`sequence_lens` `(` $sequence_lens^ `)`)?
    (`initial_h` `(` $initial_h^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_RnnOp : QC_Op<"rnn", [Pure, AttrSizedOperandSegments,
                             InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX RNN (the simple recurrence) over a whole sequence (N16)";
  let description = [{
    As `qc.lstm` for the layout, directions, lengths and activations (1 per
    direction), with `w` `[D, H, input]`, `r` `[D, H, H]`, `b` `[D, 2H]`:
    per step `h = f(x W + h R + Wb + Rb)`. Results `y` `[seq, D, batch,
    H]` and `y_h` `[D, batch, H]`.
  }];
  let arguments = (ins QC_FloatTensor:$x, QC_FloatTensor:$w, QC_FloatTensor:$r,
                       Optional<QC_FloatTensor>:$b,
                       Optional<RankedTensorOf<[I32, I64]>>:$sequence_lens,
                       Optional<QC_FloatTensor>:$initial_h,
                       I64Attr:$hidden_size, QC_RnnDirectionAttr:$direction,
                       QC_RnnActivationArrayAttr:$activations,
                       DenseF32ArrayAttr:$activation_alpha,
                       DenseF32ArrayAttr:$activation_beta,
                       OptionalAttr<F32Attr>:$clip);
  let results = (outs QC_FloatTensor:$y, QC_FloatTensor:$y_h);
  let assemblyFormat = [{
    $x `,` $w `,` $r (`bias` `(` $b^ `)`)?
    (`sequence_lens` `(` $sequence_lens^ `)`)?
    (`initial_h` `(` $initial_h^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_ResizeOp : QC_Op<"resize", [Pure, AttrSizedOperandSegments]> {
  let summary = "Nearest, (multi)linear or cubic resize (ONNX Resize/Upsample)";
  let description = [{
    The result shape gives the output sizes; `scales` (one per dim) the
    factors used by the coordinate transform (output size / input size when
    the model gave sizes). Each mode is an enum attribute
    (`mode = #qc.resize_mode<linear>`, `#qc.coordinate_transformation<...>`,
    `#qc.nearest_mode<...>`, `#qc.aspect_ratio_policy<...>`). `mode` is
    `nearest`, `linear` or `cubic` (applied
    separably along every dim; edge values repeat past the border);
    `coordinate_transformation_mode` is `asymmetric`, `half_pixel`,
    `half_pixel_symmetric`, `align_corners`, `pytorch_half_pixel`,
    `tf_half_pixel_for_nn` or `tf_crop_and_resize`; `nearest_mode` is
    `round_prefer_floor`, `round_prefer_ceil`, `floor` or `ceil`. Cubic uses
    `cubic_coeff_a` and, with `exclude_outside`, drops taps outside the input
    and renormalizes.

    Computed shapes (N13 in docs/Ops-nn.md): instead of the `scales`
    attribute (then empty), a run-time `scales` operand (f32) or `sizes`
    operand (integer) gives one value per dim listed in `axes` (default: all
    dims; the others keep their size). The Executor derives the output size
    (`floor(in * scale)`) or the scale (`size / in`) at run time, and checks
    the result against the static dims of the result type.
    `tf_crop_and_resize` needs the `roi` operand (starts then ends, one per
    listed dim, as fractions of the input) and writes `extrapolation_value`
    where a sample falls outside the input. With a `sizes` operand,
    `keep_aspect_ratio_policy` `not_larger` / `not_smaller` uses one scale,
    the smallest / largest of `size / in` over `axes`, and the output size
    `round_half_up(scale * in)` (the importer resolves it for constant sizes).
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       Optional<1DTensorOf<[F32]>>:$roi,
                       Optional<1DTensorOf<[F32]>>:$scales_input,
                       Optional<1DTensorOf<[AnyInteger]>>:$sizes,
                       DenseF32ArrayAttr:$scales,
                       QC_ResizeModeAttr:$mode,
                       QC_CoordinateTransformationAttr:$coordinate_transformation_mode,
                       QC_NearestModeAttr:$nearest_mode,
                       DefaultValuedAttr<F32Attr, "-0.75f">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                       OptionalAttr<DenseI64ArrayAttr>:$axes,
                       DefaultValuedAttr<F32Attr, "0.0f">:$extrapolation_value,
                       DefaultValuedAttr<QC_AspectRatioPolicyAttr,
                           "::quantc::qc::AspectRatioPolicy::stretch">:$keep_aspect_ratio_policy);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`roi` $roi^)? (`scales` $scales_input^)? (`sizes` $sizes^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Integer ops of already-quantized models
//===----------------------------------------------------------------------===//

def QC_MatMulIntegerOp : QC_Op<"matmul_integer", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "(a - a_zero) x (b - b_zero) in exact int32 (ONNX MatMulInteger)";
  let description = [{
    numpy matmul of i8/ui8 operands (rank >= 2), each minus its zero point
    (a scalar, or per row of `a` / per column of `b`), accumulated in i32.
  }];
  let arguments = (ins QC_IntTensor:$lhs, QC_IntTensor:$rhs,
                       QC_IntTensor:$lhs_zero, QC_IntTensor:$rhs_zero);
  let results = (outs QC_IntTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs `,` $lhs_zero `,` $rhs_zero attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_ConvIntegerOp : QC_Op<"conv_integer", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Convolution of (x - x_zero) and (w - w_zero) in exact int32";
  let description = [{
    Attributes as `qc.conv`; the weight zero point is a scalar or one per
    output channel. Padding contributes x_zero (that is, zero after the
    subtraction).
  }];
  let arguments = (ins QC_IntTensor:$input, QC_IntTensor:$weight,
                       QC_IntTensor:$input_zero, QC_IntTensor:$weight_zero,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs QC_IntTensor:$result);
  let assemblyFormat = "$input `,` $weight `,` $input_zero `,` $weight_zero attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_RequantizeLinearOp : QC_Op<"requantize_linear", [Pure]> {
  let summary = "int32 accumulator to i8/ui8: saturate(rne(acc * scale) + zero)";
  let description = [{
    The output stage of QLinearMatMul/QLinearConv: `scale` is the combined
    `a_scale * b_scale / y_scale` (f32, scalar or per channel along `axis`),
    `zero` the output zero point (scalar); rounding is half to even. The
    optional i32 `bias` (one per element of dim `axis`) is added to the
    accumulator first.
  }];
  let arguments = (ins QC_IntTensor:$input, QC_FloatTensor:$scale,
                       QC_IntTensor:$zero, Optional<QC_IntTensor>:$bias,
                       I64Attr:$axis);
  let results = (outs QC_IntTensor:$result);
  let assemblyFormat = "$input `,` $scale `,` $zero (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_NonMaxSuppressionOp : QC_Op<"non_max_suppression", [Pure]> {
  let summary = "ONNX NonMaxSuppression: greedy box selection per batch and class (N17)";
  let description = [{
    For each batch b and class c: the boxes whose score is above
    `score_threshold`, taken by decreasing score (equal scores: the lower
    box index first), each kept unless its IoU with a box already kept
    for that class exceeds `iou_threshold`, until
    `max_output_boxes_per_class` are kept. The result is `[n, 3]` i64
    rows (b, c, box index) in that order, n known at run time. `boxes` is
    `[B, N, 4]`: corners `[y1, x1, y2, x2]` (in either order) or, with
    `center_point_box`, `[x_center, y_center, width, height]`; `scores` is
    `[B, C, N]`. A box of zero or negative area overlaps nothing. The
    three parameters are one-element tensors read at run time.
  }];
  let arguments = (ins QC_FloatTensor:$boxes, QC_FloatTensor:$scores,
                       RankedTensorOf<[I64]>:$max_output_boxes_per_class,
                       QC_FloatTensor:$iou_threshold,
                       QC_FloatTensor:$score_threshold,
                       DefaultValuedAttr<BoolAttr, "false">:$center_point_box);
  let results = (outs 2DTensorOf<[I64]>:$selected);
  let assemblyFormat = "$boxes `,` $scores `,` $max_output_boxes_per_class `,` $iou_threshold `,` $score_threshold attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif
