#ifndef QUANTC_DIALECT_QC_QCMATHOPS_TD
#define QUANTC_DIALECT_QC_QCMATHOPS_TD

// Elementwise math, activations, normalizations, reductions, comparisons.
// Semantics are ONNX's (docs/Ops-math.md); binary ops use ONNX
// multidirectional broadcasting like qc.add.
include "quantc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// Float, or integer values from shape computations (Max/Min/Mod/Neg/Abs and
// the comparisons see int64 there).
def QC_MathNumTensor : RankedTensorOf<[F32, F16, BF16, F64, I64, I32, I16, I8,
                                       UI64, UI32, UI16, UI8]>;
def QC_MathBoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

// Unary elementwise ops: the result has the input's type, inferred
// (InferTypeOpAdaptor; a declared type may be more static than the input's).
class QC_MathUnaryOp<string mnemonic, string desc, Type t = QC_FloatTensor>
    : QC_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = desc;
  let arguments = (ins t:$input);
  let results = (outs t:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_NegOp : QC_MathUnaryOp<"neg", "-x", QC_MathNumTensor> {
  let hasFolder = 1;
}
def QC_AbsOp : QC_MathUnaryOp<"abs", "|x|", QC_MathNumTensor> {
  let hasFolder = 1;
}
def QC_SqrtOp : QC_MathUnaryOp<"sqrt", "Square root (NaN below 0)">;
def QC_ReciprocalOp : QC_MathUnaryOp<"reciprocal", "1 / x">;
def QC_ExpOp : QC_MathUnaryOp<"exp", "e^x">;
def QC_LogOp : QC_MathUnaryOp<"log", "Natural logarithm">;
def QC_ErfOp : QC_MathUnaryOp<"erf", "Gauss error function">;
def QC_TanhOp : QC_MathUnaryOp<"tanh", "Hyperbolic tangent">;
def QC_SigmoidOp : QC_MathUnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def QC_SoftplusOp : QC_MathUnaryOp<"softplus", "log(1 + e^x)">;
def QC_HardSwishOp : QC_MathUnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 1 / 2))">;
def QC_FloorOp : QC_MathUnaryOp<"floor", "Round toward -inf">;
def QC_CeilOp : QC_MathUnaryOp<"ceil", "Round toward +inf">;
def QC_RoundOp : QC_MathUnaryOp<"round", "Round half to even">;
def QC_SinOp : QC_MathUnaryOp<"sin", "Sine">;
def QC_CosOp : QC_MathUnaryOp<"cos", "Cosine">;
def QC_TanOp : QC_MathUnaryOp<"tan", "Tangent">;
def QC_AsinOp : QC_MathUnaryOp<"asin", "Arcsine">;
def QC_AcosOp : QC_MathUnaryOp<"acos", "Arccosine">;
def QC_AtanOp : QC_MathUnaryOp<"atan", "Arctangent">;
def QC_SinhOp : QC_MathUnaryOp<"sinh", "Hyperbolic sine">;
def QC_CoshOp : QC_MathUnaryOp<"cosh", "Hyperbolic cosine">;
def QC_AsinhOp : QC_MathUnaryOp<"asinh", "Inverse hyperbolic sine">;
def QC_AcoshOp : QC_MathUnaryOp<"acosh", "Inverse hyperbolic cosine">;
def QC_AtanhOp : QC_MathUnaryOp<"atanh", "Inverse hyperbolic tangent">;
def QC_SoftsignOp : QC_MathUnaryOp<"softsign", "x / (1 + |x|)">;
def QC_SignOp : QC_MathUnaryOp<"sign", "-1, 0 or 1 by the sign of x", QC_MathNumTensor>;

def QC_LeakyReluOp : QC_Op<"leaky_relu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x >= 0 ? x : alpha * x";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_EluOp : QC_Op<"elu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x > 0 ? x : alpha * (e^x - 1)";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_SeluOp : QC_Op<"selu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "gamma * (x > 0 ? x : alpha * (e^x - 1))";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha, F32Attr:$gamma);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_HardSigmoidOp : QC_Op<"hard_sigmoid", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha, F32Attr:$beta);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_MishOp : QC_MathUnaryOp<"mish", "x * tanh(softplus(x))">;

def QC_CeluOp : QC_Op<"celu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ThresholdedReluOp : QC_Op<"thresholded_relu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x > alpha ? x : 0";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ShrinkOp : QC_Op<"shrink", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)";
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$bias, F32Attr:$lambd);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_IsNaNOp : QC_Op<"is_nan", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Whether each element is NaN";
  let arguments = (ins QC_FloatTensor:$input);
  let results = (outs QC_MathBoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_IsInfOp : QC_Op<"is_inf", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Whether each element is +inf (detect_positive) or -inf (detect_negative)";
  let arguments = (ins QC_FloatTensor:$input, BoolAttr:$detect_positive,
                       BoolAttr:$detect_negative);
  let results = (outs QC_MathBoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_GeluOp : QC_Op<"gelu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Gaussian error linear unit (ONNX Gelu-20)";
  let description = [{
    `approximate = #qc.gelu_approximation<none>`: x / 2 * (1 + erf(x / sqrt(2)));
    `approximate = #qc.gelu_approximation<tanh>`:
    x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       QC_GeluApproximationAttr:$approximate);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ClipOp : QC_Op<"clip", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "min(max(x, min), max); an absent bound does not clip";
  let arguments = (ins QC_FloatTensor:$input, OptionalAttr<F32Attr>:$min,
                       OptionalAttr<F32Attr>:$max);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary (broadcasting)
//===----------------------------------------------------------------------===//

// The result type is inferred: the operands' broadcast shape, with their
// element type (i1 for comparisons; the base's for pow).
class QC_MathBinaryOp<string mnemonic, string desc, Type t = QC_MathNumTensor,
                      Type r = t>
    : QC_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = desc # " with ONNX multidirectional broadcasting";
  let arguments = (ins t:$lhs, t:$rhs);
  let results = (outs r:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

// ONNX Pow-12+: the exponent may have another numeric type than the base;
// the result has the base's type.
def QC_PowOp : QC_MathBinaryOp<"pow", "lhs ^ rhs", QC_MathNumTensor> {
  // f32 constants (an exporter's shape arithmetic, e.g. sqrt(positions) by
  // pow 0.5) fold with the Executor's arithmetic.
  let hasFolder = 1;
}
def QC_MaxOp : QC_MathBinaryOp<"max", "Elementwise maximum (NaN propagates)">;
def QC_MinOp : QC_MathBinaryOp<"min", "Elementwise minimum (NaN propagates)">;

def QC_ModOp : QC_Op<"mod", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Remainder: sign of the divisor (fmod = 0) or of the dividend (fmod = 1)";
  let description = [{
    ONNX Mod: with `fmod` false (integers only) the result takes the sign of
    the divisor, like Python's `%`; with `fmod` true it is C's fmod.
  }];
  let arguments = (ins QC_MathNumTensor:$lhs, QC_MathNumTensor:$rhs, BoolAttr:$fmod);
  let results = (outs QC_MathNumTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_EqualOp : QC_MathBinaryOp<"equal", "lhs == rhs",
    RankedTensorOf<[F32, F16, BF16, F64, I64, I32, I16, I8, UI64, UI32, UI16,
                    UI8, I1]>, QC_MathBoolTensor> {
  // Integer and i1 constants (shape tests, an If's condition) fold.
  let hasFolder = 1;
}
def QC_LessOp : QC_MathBinaryOp<"less", "lhs < rhs", QC_MathNumTensor, QC_MathBoolTensor>;
def QC_LessEqualOp : QC_MathBinaryOp<"less_equal", "lhs <= rhs", QC_MathNumTensor, QC_MathBoolTensor>;
def QC_GreaterOp : QC_MathBinaryOp<"greater", "lhs > rhs", QC_MathNumTensor, QC_MathBoolTensor>;
def QC_GreaterEqualOp : QC_MathBinaryOp<"greater_equal", "lhs >= rhs", QC_MathNumTensor, QC_MathBoolTensor>;

def QC_AndOp : QC_MathBinaryOp<"and", "Logical and", QC_MathBoolTensor>;
def QC_OrOp : QC_MathBinaryOp<"or", "Logical or", QC_MathBoolTensor>;
def QC_XorOp : QC_MathBinaryOp<"xor", "Logical exclusive or", QC_MathBoolTensor>;
def QC_NotOp : QC_MathUnaryOp<"not", "Logical negation", QC_MathBoolTensor> {
  let hasFolder = 1;
}

def QC_BitShiftOp : QC_Op<"bit_shift", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "lhs << rhs or lhs >> rhs on unsigned integers (broadcast)";
  let description = [{
    ONNX BitShift-11: `direction` is `#qc.shift_direction<LEFT>` or
    `#qc.shift_direction<RIGHT>`; bits shifted out of
    the element type's width are lost, and a shift by the width or more
    gives 0 (C leaves it undefined).
  }];
  let arguments = (ins RankedTensorOf<[UI8, UI16, UI32, UI64]>:$lhs,
                       RankedTensorOf<[UI8, UI16, UI32, UI64]>:$rhs,
                       QC_ShiftDirectionAttr:$direction);
  let results = (outs RankedTensorOf<[UI8, UI16, UI32, UI64]>:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  }

def QC_WhereOp : QC_Op<"where", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "condition ? lhs : rhs, the three operands broadcast together";
  let arguments = (ins QC_MathBoolTensor:$condition, QC_AnyTensor:$lhs, QC_AnyTensor:$rhs);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

def QC_SoftmaxOp : QC_Op<"softmax", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "exp(x - max) / sum(exp(x - max)) along one axis";
  let description = [{
    ONNX Softmax-13 semantics: along the single dimension `axis`
    (0 <= axis < rank). The importer lowers opset < 13 (which flattens the
    input into 2-D at `axis`) to reshapes around this op.
  }];
  let arguments = (ins QC_FloatTensor:$input, I64Attr:$axis);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_LogSoftmaxOp : QC_Op<"log_softmax", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x - max - log(sum(exp(x - max))) along one axis";
  let description = [{ Like `qc.softmax`, in the log domain. }];
  let arguments = (ins QC_FloatTensor:$input, I64Attr:$axis);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_LayerNormOp : QC_Op<"layer_norm", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Layer normalization over the dimensions from `axis` on";
  let description = [{
    ONNX LayerNormalization-17: the input is normalized over dims
    `[axis, rank)`: `(x - mean) * inv_std_dev * scale + bias` with
    `inv_std_dev = 1 / sqrt(var + epsilon)` (population variance).
    `scale` and the optional `bias` broadcast (unidirectionally) to the
    normalized dims. `mean` and `inv_std_dev` have the input's shape with
    the normalized dims set to 1; statistics are computed in f32.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                       Optional<QC_FloatTensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$result, QC_FloatTensor:$mean,
                      QC_FloatTensor:$inv_std_dev);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Raised patterns (qc-raise-patterns): one op for a subgraph the ONNX
// exporters of PyTorch and the usual converters spell out op by op.
//===----------------------------------------------------------------------===//

def QC_RmsNormOp : QC_Op<"rms_norm", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "RMS normalization over the dimensions from `axis` on";
  let description = [{
    ONNX RMSNormalization-23: `x / sqrt(mean(x^2) + epsilon) * scale`, the
    mean over dims `[axis, rank)`. `scale` broadcasts (unidirectionally) to
    the normalized dims. The statistic is computed in f32 (sums in double)
    and the division is a true division, as in the decomposed form
    (Pow/ReduceMean/Add/Sqrt/Div/Mul) that qc-raise-patterns raises.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                       I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_SiluOp : QC_Op<"silu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "x * sigmoid(x) (SiLU, Swish-1)";
  let description = [{
    The product of `x` and `qc.sigmoid(x)`, each rounded to the element
    type as the two ops would be; SwiGLU is `qc.mul(qc.silu(gate), up)`.
  }];
  let arguments = (ins QC_FloatTensor:$input);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_AttentionOp : QC_Op<"attention", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "softmax(mask(scale * query x key_t)) x value";
  let description = [{
    Scaled dot-product attention as the decomposed graph computes it:
    `scores = query x key_t` (batched matmul; `query` is `[..., Sq, D]`,
    `key_t` the keys already transposed, `[..., D, Sk]`), multiplied by
    `scale`; then with a float `mask`, `scores + mask`; with an i1 `mask`,
    `mask ? scores : mask_value` (the masked-fill form); softmax over the
    last axis; the result is `probs x value` (`value` is `[..., Sk, Dv]`),
    `[..., Sq, Dv]`. The leading (batch) dims of the three operands
    broadcast as ONNX MatMul's do; the mask broadcasts to the scores'
    shape `[..., Sq, Sk]` and may not enlarge it. `mask_value` is present
    exactly when the mask is i1.
  }];
  let arguments = (ins QC_FloatTensor:$query, QC_FloatTensor:$key_t,
                       QC_FloatTensor:$value,
                       Optional<RankedTensorOf<[F32, F16, BF16, F64, I1]>>:$mask,
                       F32Attr:$scale, OptionalAttr<F32Attr>:$mask_value);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$query `,` $key_t `,` $value (`,` $mask^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class QC_ReduceOp<string mnemonic, string desc, Type t = QC_FloatTensor>
    : QC_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = desc # " over `axes`";
  let description = [{
    `axes` are sorted, distinct and in [0, rank); the importer resolves ONNX's
    negative axes, the default (all axes) and `noop_with_empty_axes`. With
    `keepdims` the reduced dims stay as 1, otherwise they are dropped.
  }];
  let arguments = (ins t:$input, DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs t:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ReduceMeanOp : QC_ReduceOp<"reduce_mean", "Arithmetic mean">;
def QC_ReduceSumOp : QC_ReduceOp<"reduce_sum", "Sum", QC_MathNumTensor>;
def QC_ReduceMaxOp : QC_ReduceOp<"reduce_max", "Maximum", QC_MathNumTensor>;
def QC_ReduceMinOp : QC_ReduceOp<"reduce_min", "Minimum", QC_MathNumTensor>;
def QC_ReduceProdOp : QC_ReduceOp<"reduce_prod", "Product", QC_MathNumTensor>;
def QC_ReduceL1Op : QC_ReduceOp<"reduce_l1", "Sum of absolute values">;
def QC_ReduceL2Op : QC_ReduceOp<"reduce_l2", "Euclidean norm">;
def QC_ReduceSumSquareOp : QC_ReduceOp<"reduce_sum_square", "Sum of squares">;
def QC_ReduceLogSumOp : QC_ReduceOp<"reduce_log_sum", "log of the sum">;
def QC_ReduceLogSumExpOp : QC_ReduceOp<"reduce_log_sum_exp", "log(sum(exp(x)))">;

def QC_DynamicReduceOp : QC_Op<"dynamic_reduce", [Pure]> {
  let summary = "ONNX Reduce* whose axes are a run-time value (M20)";
  let description = [{
    `kind` names the reduction (`#qc.reduce_kind<mean>`): `sum`, `mean`,
    `max`, `min`, `prod`, `l1`, `l2`, `sum_square`, `log_sum` or
    `log_sum_exp` (as the `qc.reduce_*` ops; only sum, max, min and prod take
    integers). The Executor reads
    `axes` (ONNX form: negative counts from the end, no repeats) at run
    time; an empty list reduces every dim, or none with
    `noop_with_empty_axes`. With `keepdims` the result has the input's rank;
    without it the length of `axes` must be static so the result rank is
    known.
  }];
  let arguments = (ins QC_MathNumTensor:$input,
                       1DTensorOf<[AnyInteger]>:$axes, QC_ReduceKindAttr:$kind,
                       BoolAttr:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$noop_with_empty_axes);
  let results = (outs QC_MathNumTensor:$result);
  let assemblyFormat = "$input `,` $axes attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Index reductions, scans, triangles (M21-M23)
//===----------------------------------------------------------------------===//

class QC_ArgReduceOp<string mnemonic, string desc>
    : QC_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Index of the " # desc # " along `axis` (M21)";
  let description = [{
    ONNX ArgMax/ArgMin: the i64 index along `axis` (in [0, rank)) of the
    extreme element of each slice; with `keepdims` the axis stays as 1,
    otherwise it is dropped. Ties take the first index, or the last with
    `select_last_index`. Comparisons are IEEE's: a NaN is picked only as a
    slice's first element, and then kept (as ONNX Runtime does for inputs
    of rank >= 2; numpy picks the first NaN anywhere). The axis must not
    be empty.
  }];
  let arguments = (ins QC_MathNumTensor:$input, I64Attr:$axis,
                       BoolAttr:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ArgMaxOp : QC_ArgReduceOp<"arg_max", "largest element">;
def QC_ArgMinOp : QC_ArgReduceOp<"arg_min", "smallest element">;

def QC_CumSumOp : QC_Op<"cumsum", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Running sum along a run-time axis (M22)";
  let description = [{
    ONNX CumSum: `axis` is a scalar or one-element i32/i64 tensor read at
    run time (negative counts from the end). Element i of the result is the
    sum of elements 0..i along the axis (0..i-1 with `exclusive`; from the
    end with `reverse`), added one after another in the input's type, as
    ONNX Runtime does. The result has the input's type. float16 and
    bfloat16 (CumSum-14) are not supported yet.
  }];
  let arguments = (ins RankedTensorOf<[F32, F64, I64, I32, UI64, UI32]>:$input,
                       RankedTensorOf<[I32, I64]>:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs RankedTensorOf<[F32, F64, I64, I32, UI64, UI32]>:$result);
  let assemblyFormat = "$input `,` $axis attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_TriluOp : QC_Op<"trilu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Upper or lower triangle of the last two dims (M23)";
  let description = [{
    ONNX Trilu: over the last two dims [i, j] of an input of rank >= 2,
    `upper` keeps the elements with j - i >= k and zeroes the others, lower
    keeps j - i <= k. `k` (the diagonal offset) is an optional scalar or
    one-element i64 tensor read at run time; absent, 0. Any element type
    (an i1 zero is false).
  }];
  let arguments = (ins QC_AnyTensor:$input,
                       Optional<RankedTensorOf<[I64]>>:$k, BoolAttr:$upper);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input (`,` $k^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_TopKOp : QC_Op<"top_k", [Pure]> {
  let summary = "The k largest or smallest elements along an axis (M24)";
  let description = [{
    ONNX TopK: along `axis` (in [0, rank)), the `k` largest (`largest`) or
    smallest elements of each slice, sorted (largest first, or smallest
    first), and their i64 indices. Equal values keep the order of their
    indices (the lower index first), as ONNX Runtime does; NaN counts as
    larger than every number. `k` is a one-element i64 tensor read at run
    time, 0 <= k <= the axis extent; the results' axis extent is k (static
    when the importer knew k). The order is the same with `sorted` false
    (ONNX leaves it open then).
  }];
  let arguments = (ins QC_MathNumTensor:$input, RankedTensorOf<[I64]>:$k,
                       I64Attr:$axis, BoolAttr:$largest,
                       DefaultValuedAttr<BoolAttr, "true">:$sorted);
  let results = (outs QC_MathNumTensor:$values, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input `,` $k attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif
