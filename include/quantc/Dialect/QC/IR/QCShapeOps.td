#ifndef QUANTC_DIALECT_QC_QCSHAPEOPS_TD
#define QUANTC_DIALECT_QC_QCSHAPEOPS_TD

// Shape and layout: gather, concat, split, slice, squeeze, expand, shape
// computations. Every op moves elements of any element type (f32 data, i64
// shape values, quantized codes); see docs/Ops-shape.md for the rules (S1..).
include "quantc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def QC_ShapeIndexTensor : RankedTensorOf<[AnyInteger]>;

def QC_GatherOp : QC_Op<"gather", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX Gather: picks slices of `data` along `axis` (S1)";
  let description = [{
    `result = data[..., indices[...], ...]` with `indices` inserted at `axis`
    (result rank = rank(data) - 1 + rank(indices)). Negative indices count
    from the end; an index outside [-d, d) is a runtime error.
  }];
  let arguments = (ins QC_AnyTensor:$data, QC_ShapeIndexTensor:$indices, I64Attr:$axis);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_GatherElementsOp : QC_Op<"gather_elements", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX GatherElements: result[i] = data[i with i[axis] = indices[i]] (S2)";
  let arguments = (ins QC_AnyTensor:$data, QC_ShapeIndexTensor:$indices, I64Attr:$axis);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
}

def QC_GatherNDOp : QC_Op<"gather_nd", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX GatherND: slices of `data` picked by index tuples (S15)";
  let description = [{
    The last dim of `indices` (static, m) is the length of each index tuple;
    the first `batch_dims` (b) dims of both operands are shared batch dims.
    `result[i..., j...] = data[i..., t..., :]` for the tuple t at
    `indices[i..., j..., :]`: the result shape is
    `indices.shape[:-1] + data.shape[b + m:]`. Negative indices count from
    the end; an index outside [-d, d) is a run-time error.
  }];
  let arguments = (ins QC_AnyTensor:$data, QC_ShapeIndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
}

def QC_ScatterNDOp : QC_Op<"scatter_nd", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX ScatterND: `data` with slices replaced or combined (S16)";
  let description = [{
    A copy of `data` where, for each index tuple t in `indices` (last dim
    m, static), the slice `data[t..., :]` is replaced by (or, with
    `reduction`, combined by add, mul, max or min with) the matching slice
    of `updates` (shape `indices.shape[:-1] + data.shape[m:]`), in the
    order of the tuples (a repeated tuple with `none`: the last update
    wins, as ONNX Runtime). Negative indices count from the end; an index
    outside [-d, d) is a run-time error.
  }];
  let arguments = (ins QC_AnyTensor:$data, QC_ShapeIndexTensor:$indices,
                       QC_AnyTensor:$updates,
                       DefaultValuedAttr<QC_ScatterReductionAttr,
                           "::quantc::qc::ScatterReduction::none">:$reduction);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_ScatterElementsOp : QC_Op<"scatter_elements", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX ScatterElements: `data` with elements replaced along `axis` (S17)";
  let description = [{
    A copy of `data` where each element of `updates` (the shape of
    `indices`, the rank of `data`) goes to its own position with the
    `axis` coordinate replaced by its index, replacing (or, with
    `reduction`, combining with) the element there, in index order.
    Negative indices count from the end; an index outside [-d, d) is a
    run-time error.
  }];
  let arguments = (ins QC_AnyTensor:$data, QC_ShapeIndexTensor:$indices,
                       QC_AnyTensor:$updates, I64Attr:$axis,
                       DefaultValuedAttr<QC_ScatterReductionAttr,
                           "::quantc::qc::ScatterReduction::none">:$reduction);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_ConcatOp : QC_Op<"concat", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Concatenation along `axis` (non-negative) (S3)";
  let arguments = (ins Variadic<QC_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_SliceOp : QC_Op<"slice", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX Slice with static starts/ends/steps (S4)";
  let description = [{
    For each listed axis (non-negative, distinct), elements
    `start, start + step, ...` up to but excluding `end`; starts and ends are
    ONNX values (negative counts from the end, clamped to the dimension at
    run time, so a dynamic dimension is sliced correctly). Steps are non-zero;
    a negative step walks backwards.
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$axes,
                   DenseI64ArrayAttr:$steps);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_DynamicSliceOp : QC_Op<"dynamic_slice", [Pure]> {
  let summary = "ONNX Slice with runtime starts/ends/axes/steps (S4)";
  let description = [{
    As `qc.slice`, with the parameters as 1-D integer tensors of one length
    read at run time; axes may be negative (counted from the end). Used when
    a model computes its slice bounds from a dynamic shape.
  }];
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$starts,
                   1DTensorOf<[AnyInteger]>:$ends, 1DTensorOf<[AnyInteger]>:$axes,
                   1DTensorOf<[AnyInteger]>:$steps);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $starts `,` $ends `,` $axes `,` $steps attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_SqueezeOp : QC_Op<"squeeze", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Removes the size-1 dimensions `axes` (sorted, non-negative) (S5)";
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_UnsqueezeOp : QC_Op<"unsqueeze", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Inserts size-1 dimensions at `axes` of the result (sorted, non-negative) (S5)";
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_DynamicSqueezeOp : QC_Op<"dynamic_squeeze", [Pure]> {
  let summary = "Squeeze with runtime axes (may be negative, any order) (S5)";
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$axes);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $axes attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_DynamicUnsqueezeOp : QC_Op<"dynamic_unsqueeze", [Pure]> {
  let summary = "Unsqueeze with runtime axes (may be negative, any order) (S5)";
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$axes);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $axes attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_DynamicSplitOp : QC_Op<"dynamic_split", [Pure]> {
  let summary = "Split along `axis` into parts whose sizes are a runtime value (S12)";
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$split, I64Attr:$axis);
  let results = (outs Variadic<QC_AnyTensor>:$results);
  let assemblyFormat = "$input `,` $split attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_FlattenOp : QC_Op<"flatten", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX Flatten: dims [0, axis) and [axis, rank) each become one dim (S13)";
  let description = [{
    Used where `qc.reshape` cannot say it: dynamic dimensions on both sides
    of the axis (a static reshape spec allows one inferred -1 only).
  }];
  let arguments = (ins QC_AnyTensor:$input, I64Attr:$axis);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_ShapeOp : QC_Op<"shape", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "The dimensions [start, end) of the input as a 1-D i64 tensor (S6)";
  let arguments = (ins QC_AnyTensor:$input, I64Attr:$start, I64Attr:$end);
  let results = (outs 1DTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_SizeOp : QC_Op<"size", [Pure]> {
  let summary = "The number of elements of the input as a 0-d i64 tensor (S6)";
  let arguments = (ins QC_AnyTensor:$input);
  let results = (outs 0DTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_NonZeroOp : QC_Op<"non_zero", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX NonZero: the coordinates of the non-zero elements (S18)";
  let description = [{
    An i64 tensor `[rank, n]` (n known at run time only): column j holds
    the coordinates of the j-th non-zero element in row-major order (a
    NaN counts as non-zero; -0.0 as zero). A rank-0 input gives `[0, n]`
    with n 0 or 1, as ONNX Runtime.
  }];
  let arguments = (ins QC_AnyTensor:$input);
  let results = (outs 2DTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ExpandOp : QC_Op<"expand", [Pure]> {
  let summary = "ONNX Expand: broadcast of the input with a runtime shape (S7)";
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$shape);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_TileOp : QC_Op<"tile", [Pure]> {
  let summary = "ONNX Tile: repeats the input `repeats[i]` times along dim i (S8)";
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$repeats);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $repeats attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_PadOp : QC_Op<"pad", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "ONNX Pad with static pads (S14)";
  let description = [{
    `pads` holds a begin count per dimension, then an end count per
    dimension (ONNX's order); a negative count removes elements, before
    the positive counts pad what remains (n elements, as ONNX Runtime
    does). Output dimension d has `in[d] + pads[d] + pads[rank + d]`
    elements; padded output index o reads index i = o - max(pads[d], 0)
    of the remaining ones, which each mode maps into [0, n): `constant`
    gives `value` (0 when absent) outside, `edge` clamps, `reflect`
    mirrors about the end elements without repeating them (period 2 (n -
    1); n = 1 repeats its element), `wrap` wraps around (i mod n). A
    non-constant mode needs n > 0 where it pads; pads lie in [-2^40,
    2^40].
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<QC_PadModeAttr,
                                     "::quantc::qc::PadMode::constant">:$mode,
                   OptionalAttr<TypedAttrInterface>:$value);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_DynamicPadOp : QC_Op<"dynamic_pad", [Pure]> {
  let summary = "ONNX Pad with run-time pads (and fill) (S14)";
  let description = [{
    As `qc.pad`, with the pads a 1-D integer tensor of 2 x rank entries
    read at run time, and the fill a 0-d tensor of the input's element
    type (mode constant only; absent: 0). The result has the input's rank.
  }];
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[I32, I64]>:$pads,
                   Optional<QC_AnyTensor>:$value,
                   DefaultValuedAttr<QC_PadModeAttr,
                                     "::quantc::qc::PadMode::constant">:$mode);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $pads (`,` $value^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_RangeOp : QC_Op<"range", [Pure]> {
  let summary = "ONNX Range: start, start + delta, ... before limit (S9)";
  let arguments = (ins 0DTensorOf<[AnyType]>:$start, 0DTensorOf<[AnyType]>:$limit,
                   0DTensorOf<[AnyType]>:$delta);
  let results = (outs 1DTensorOf<[AnyType]>:$result);
  let assemblyFormat = "$start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QC_ConstantOfShapeOp : QC_Op<"constant_of_shape", [Pure]> {
  let summary = "A tensor of runtime shape filled with `value` (S10)";
  let arguments = (ins 1DTensorOf<[AnyInteger]>:$shape, TypedAttrInterface:$value);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QC_DynamicReshapeOp : QC_Op<"dynamic_reshape", [Pure]> {
  let summary = "ONNX Reshape with a runtime shape (0 copies a dim unless allowzero, -1 is inferred) (S11)";
  let arguments = (ins QC_AnyTensor:$input, 1DTensorOf<[AnyInteger]>:$shape,
                   DefaultValuedAttr<BoolAttr, "false">:$allowzero);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif
