#ifndef QUANTC_DIALECT_QC_TRANSFORMS_PASSES_TD
#define QUANTC_DIALECT_QC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QCRaisePatterns : Pass<"qc-raise-patterns", "::mlir::func::FuncOp"> {
  let summary = "Decomposed LayerNorm, RMSNorm, GELU, SiLU, HardSwish and attention become single qc ops";
  let description = [{
    Rewrites the op-by-op spellings that PyTorch's ONNX exporter and the
    usual converters write into one op each (docs/Calibration.md, R1-R6):
    `x * sigmoid(x)` into `qc.silu` (SwiGLU is then `qc.silu(gate) * up`);
    `0.5 x (1 + erf(x / sqrt 2))` and the tanh form into `qc.gelu`;
    `(x - mean) / sqrt(var + eps) * gamma + beta` (ReduceMean, Sub, Pow or
    Mul, ReduceMean, Add, Sqrt, Div, Mul, Add over trailing axes) into
    `qc.layer_norm`; `x / sqrt(mean(x^2) + eps) * gamma` into
    `qc.rms_norm`; `softmax(q x key_t * scale + mask) x v` (mask by Add or
    by Where with a constant, scale by Mul or Div by a constant, each
    optional) into `qc.attention`; `x * clip(x + 3, 0, 6) / 6` into
    `qc.hard_swish`. A match needs its intermediate values to
    be used only inside it. The raised ops compute what the decomposed
    graph did: rms_norm, silu and attention with a Mul scale bit for bit on
    the Executor; layer_norm, gelu, hard_swish and a Div scale within a few
    ulps. Run it
    before qc-calibrate; `qc.attention` keeps its two matmuls in float
    (qc-quantize-linear quantizes only `qc.matmul`), so leave `attention`
    out of `patterns` to quantize activation x activation matmuls.
  }];
  let options = [
    Option<"patterns", "patterns", "std::string", /*default=*/"\"all\"",
           "Comma-separated rules to apply: silu, gelu, layer-norm, "
           "rms-norm, attention, hard-swish, or all">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCWidenFloats : Pass<"qc-widen-floats", "::mlir::func::FuncOp"> {
  let summary = "Compute an f16 or bf16 model's tensors as f32 inside the function, its inputs and outputs keeping their types";
  let description = [{
    The Executor holds every f16 and bf16 tensor as f32 values and rounds
    only where a value is cast (a `qc.cast` or a `qc.dequantize_linear` to
    f16/bf16) or written out (docs/Import.md, "Element types"). This pass
    spells that in the IR, so that the rest of the pipeline (calibration,
    weight quantization, which takes f32 weights, and the GPU kernels,
    whose matmuls, convolutions and norms read f32) treats a half-precision
    model as an f32 one:

    - a `qc.cast` of an f16/bf16 value to its own type (an fp16 export's
      Cast to FLOAT16 of a FLOAT16 value) is dropped first: it is the
      value itself, and widened it would become a rounding cast that
      keeps a constant (a ViT's position embedding before its Resize)
      from `qc-fold-constants`;
    - each f16/bf16 argument of the function is widened once at its entry
      (`qc.cast` to f32, exact);
    - every other f16/bf16 result becomes f32 (an `arith.constant`'s
      values converted exactly, every other op's result type changed in
      place), except the rounding ops, `qc.cast` and
      `qc.dequantize_linear` to f16/bf16, which keep their type and are
      followed by a widening `qc.cast` (exact);
    - each f16/bf16 result of the function is narrowed by a `qc.cast`
      before the return (round to nearest even, as the Executor writes
      it).

    The function's signature is unchanged, and the Executor's results are
    the same bit for bit: every value it held before is the value it holds
    after. An op's f16/bf16 attributes (a fill value: `qc.constant_of_shape`'s,
    `qc.pad`'s) become f32 ones of the same values. A function without
    f16 or bf16 values is left as it is, and so is one it has widened
    already. An op whose verifier still rejects the widened types stops
    the pass with an error naming it. The registered pipeline runs it
    first; quant-compile runs it right after import, so that calibration
    sees the weights as the constants the quantizers read.
  }];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCFoldConstants : Pass<"qc-fold-constants", "::mlir::func::FuncOp"> {
  let summary = "Evaluate the subgraphs that depend on constants only, at compile time, with the Executor";
  let description = [{
    Every `qc` op whose operands are all constants (or results of such
    ops) gives the same values on every run; the Executor computes them
    once per run anyway (its constant cache), but a GPU program would
    launch them, and need a kernel for each: a ViT's position-embedding
    interpolation (a cubic `qc.resize` of a constant), a mask built from
    `qc.equal`/`qc.where`/`qc.expand` of constants, a weight's transposes.
    This pass runs those subgraphs on the Executor and replaces each value
    that a later op (or the return) reads with an `arith.constant` of its
    result (f32 as a `dense_resource` blob), then erases what is dead and
    refines the result types of the ops after the new constants (each op
    that infers its types, a `qc.cast`, a `qc.expand` of a constant shape
    and a `qc.range` of constants, whose count is the Executor's
    ceil((limit - start) / delta), in order; the function's result types
    too). Types are refined once before the first round too, so a YOLO
    head's f32 anchor Ranges fold in it. It repeats while a
    round folds something (at most four rounds): a `qc.where` of constants
    folds in the first, which gives the `qc.expand` it shapes a static
    type, which folds in the second. The values are the Executor's, so
    every result is the same bit for bit.

    Left alone: quantization ops (`qc.quantize_linear`,
    `qc.dequantize_linear`, `qc.quantize`, `qc.dequantize`, `qc.qmatmul`,
    ...: a pre-quantized model's weight codes keep their scheme),
    `qc.weight` (no values), ops with regions, results of other element
    types than f32, i1, i8, ui8, i32 and i64, results whose type is not
    static yet, and results larger than `max-elements` or than both 65536
    elements and the largest constant they are computed from (so an Expand
    or Tile of a small constant into a big one stays a run-time op instead
    of growing the package); those limits are checked before anything
    runs, and only what the folded values are computed from is evaluated.
    If the Executor fails on a round's constants (an out-of-range index,
    which the run reports where it belongs), each value is evaluated on
    its own, and only those computed from the failing op stay.
    The registered pipeline runs it first, after qc-widen-floats.
  }];
  let options = [
    Option<"maxElements", "max-elements", "int64_t", "1 << 24",
           "Largest result (elements) the pass materializes">,
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCCalibrate : Pass<"qc-calibrate", "::mlir::ModuleOp"> {
  let summary = "Run the float graph on calibration inputs and record ranges";
  let description = [{
    Runs `func.func @main` on the reference Executor over calibration inputs
    and attaches min-max statistics (`#qc.stats`) to what quantization will
    need: `qc.lhs_stats` on every `qc.matmul` and `qc.conv` (its activation
    input) and `qc.result_stats` on it. With `method=percentile|entropy|mse`
    it also streams |x| of those inputs into histograms (in the same run when
    the inputs are one batch, else in a second run over the batches) and
    records the chosen range as `qc.lhs_range` and the method as
    `qc.calib_method` (docs/Calibration.md, C1-C5). `batch=N` runs the
    samples of an `.npz` (or the random samples) N at a time along their
    leading axis, so memory does not grow with their number; it needs a
    dynamic leading dimension on every model input. `table-out=` writes
    what it attached to a JSON calibration table; `table=` attaches a
    table's statistics without running the model. Inputs come from an `.npz` file whose keys are
    the graph input names (`inputs=`), or are drawn from a seeded normal
    distribution (`random-samples=`, one batch row each, dynamic dims = 1
    except the leading batch dim).
  }];
  let options = [
    Option<"inputs", "inputs", "std::string", /*default=*/"\"\"",
           "Calibration inputs: an .npz file, or a directory of .npz (or, "
           "for a one-input model, .npy) files read one at a time">,
    Option<"randomSamples", "random-samples", "int64_t", /*default=*/"0",
           "Number of random calibration samples when no inputs are given">,
    Option<"batch", "batch", "int64_t", /*default=*/"0",
           "Run the samples of the .npz (or the random samples) this many at "
           "a time along their leading axis (0: all in one run)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random calibration inputs">,
    Option<"method", "method", "std::string", /*default=*/"\"minmax\"",
           "Range selection: minmax, percentile, entropy or mse "
           "(docs/Calibration.md)">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "Percentage of |x| values the percentile method keeps, in (0, 100]">,
    Option<"format", "format", "std::string", /*default=*/"\"int8\"",
           "Scheme preset the ranges are chosen for (the mse method's grid)">,
    Option<"table", "table", "std::string", /*default=*/"\"\"",
           "Attach the statistics of this calibration table (JSON) instead "
           "of running the model">,
    Option<"tableOut", "table-out", "std::string", /*default=*/"\"\"",
           "Write the statistics to this calibration table (JSON)">,
    Option<"perChannel", "per-channel", "bool", /*default=*/"false",
           "Also record each input channel's range (the last axis) of the "
           "activation of every matmul with a constant weight, as "
           "qc.lhs_channel_min / qc.lhs_channel_max (what qc-smooth-quant "
           "needs)">,
    Option<"hessian", "hessian", "bool", /*default=*/"false",
           "Also record H = 2/m sum x x^T [K, K] of the activation rows of "
           "every matmul with a constant weight, as qc.lhs_hessian (a "
           "dense_resource blob; what qc-quantize-linear{weight-method=gptq} "
           "needs)">,
    Option<"channelMeans", "channel-means", "bool", /*default=*/"true",
           "Also record the mean of each input channel (a matmul's last "
           "axis, a conv's axis 1) of every matmul's and conv's activation, "
           "as qc.lhs_channel_mean (what bias correction in "
           "qc-quantize-linear and qc-quantize-matmuls needs; default on, "
           "=false skips that scan)">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCQuantizeMatmuls : Pass<"qc-quantize-matmuls", "::mlir::func::FuncOp"> {
  let summary = "Quantize matmul weights (RTN) and activations to a block scheme";
  let description = [{
    Rewrites every `qc.matmul` whose right operand is a constant 2-D weight
    `[K, N]` into `qc.quantize` of the activation, the weight transposed to
    `[N, K]` and quantized at compile time (round to nearest even, codes and
    scales as constants), and a `qc.qmatmul` that reads both K-contiguous.
    The scheme is a named preset (`format=`); MX presets (mxfp8, mxfp6,
    mxfp4, mxint8) are supported. Matmuls with non-constant weights stay in
    float and are reported as remarks.

    With `bias-correction` (B1, docs/Calibration.md), each output channel
    n subtracts sum_k mean[k] * (W_q - W)[k, n], the mean effect of the
    weight's rounding on inputs of the calibrated channel means
    (`qc.lhs_channel_mean`, recorded by `qc-calibrate{channel-means}`),
    from the bias of a following `qc.add` of a constant, or in a new
    `qc.add`; such a `qc.qmatmul` carries `qc.bias_corrected`.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"mxfp8\"",
           "Scheme preset for weights and activations">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "Correct each output channel for the mean effect of the weight's "
           "rounding, from qc.lhs_channel_mean (B1)">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCQuantizeLinear : Pass<"qc-quantize-linear", "::mlir::func::FuncOp"> {
  let summary = "Static scales (W8A8 int8/fp8, W8A16, W4A16) of matmuls and convolutions, in QDQ form";
  let description = [{
    For every `qc.matmul` with a constant 2-D f32 weight `[K, N]` and every
    `qc.conv` with a constant weight `[M, C/g, k...]`: the weight becomes
    constant codes with one symmetric scale per output channel (N, or M)
    behind a `qc.dequantize_linear`, and the activation a
    `qc.quantize_linear` / `qc.dequantize_linear` pair with one static
    scale (and zero point) from its calibrated range: `qc.lhs_range` if
    qc-calibrate chose one, else `qc.lhs_stats`. The compute op stays a
    float op on the dequantized values, as in ONNX QDQ graphs (what
    ONNX Runtime's `quantize_static` produces), so the Executor and
    ONNX Runtime compute the same thing. `format=int8` (activations
    asymmetric int8 by default, `asymmetric=false` for symmetric),
    `format=fp8` (E4M3, symmetric) or `format=int4-g128` (weight-only int4,
    one scale per 128 along the reduction axis: W4A16). `activations=none`
    quantizes weights only (W8A16). `activations=dynamic` computes
    activation scales at run time instead (F31; int8 with a zero point per
    slice unless `asymmetric=false`, fp8 symmetric): one per token
    (row of the reduction axis) for a matmul's lhs, one per column for an
    activation rhs, one per image for a conv (per image and channel for a
    depthwise conv, unless `depthwise-channel-scales=false`), one per
    sample (axis 0) where the reduction axis is of dynamic extent (one per
    tensor when axis 0 is that axis); the op gets `qc.act_dynamic`, and
    needs no calibration statistics. A matmul of two activations (attention's
    Q.K^T and P.V) gets both operands quantized: with static scales from
    `qc.lhs_range`/`qc.rhs_range` (or the stats), or with dynamic ones
    under `activations=dynamic`. A depthwise conv
    (`group` = input channels) with per-channel statistics
    (`qc.lhs_channel_min`/`max`, which qc-calibrate records for every
    depthwise conv) gets static activation scales per input channel
    (`axis = 1`) unless `depthwise-channel-scales=false`. Ops without
    calibration statistics stay in float, each with a remark saying why.
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"int8\"",
           "int8, fp8, fp8-1x128 or int4-g128">,
    Option<"asymmetric", "asymmetric", "bool", /*default=*/"true",
           "int8 activations with a zero point (min/max range) instead of "
           "symmetric">,
    Option<"activations", "activations", "std::string", /*default=*/"\"\"",
           "static (int8, fp8), dynamic (per-token scales, int8 "
           "asymmetric unless asymmetric=false, "
           "computed at run time) or none (weight-only W8A16; int4-g128's "
           "default and only choice)">,
    Option<"weightMethod", "weight-method", "std::string",
           /*default=*/"\"rtn\"",
           "rtn (round to nearest) or gptq (GPTQ from the qc.lhs_hessian "
           "that qc-calibrate{hessian=true} records; F32)">,
    Option<"gptqDamp", "gptq-damp", "double", /*default=*/"0.01",
           "GPTQ: damping added to the Hessian's diagonal, as a fraction of "
           "its mean">,
    Option<"outlierThreshold", "outlier-threshold", "double",
           /*default=*/"0",
           "LLM.int8()-style: input channels of a matmul whose calibrated "
           "max |x| exceeds this (per-channel statistics needed) stay in a "
           "float side product; 0: off (docs/Calibration.md, O1-O2)">,
    Option<"depthwiseChannelScales", "depthwise-channel-scales", "bool",
           /*default=*/"true",
           "Activations of a depthwise conv get one scale per input "
           "channel: static ones from qc.lhs_channel_min/max, within the "
           "tensor's calibrated range, dynamic ones per image and channel; "
           "each output channel reads one input channel, so the scale "
           "factors out of its sum (docs/Calibration.md, Q4)">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "B1: subtract the mean effect of the weights' rounding, sum_c "
           "E[x_c] (W_q - W), from each output channel (a conv's bias, an "
           "add after a matmul), from the qc.lhs_channel_mean that "
           "qc-calibrate{channel-means} records">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCPropagateScales : Pass<"qc-propagate-scales", "::mlir::func::FuncOp"> {
  let summary = "Move static quantization through layout and monotonic ops; fold Q/DQ round trips";
  let description = [{
    Rewrites a graph in QDQ form (what `qc-quantize-linear` or an imported
    QDQ model gives) so that quantized values flow through layout and
    monotonic ops as codes, without a dequantize/quantize round trip
    (docs/Calibration.md, rules P1-P6). Per-tensor scales only; every rule
    is exact, so the graph computes bit for bit what it computed before.

    - P1: `quantize_linear(dequantize_linear(c, s, z), s, z)` is `c`.
    - P2: a `quantize_linear` of the result of a layout op (reshape,
      transpose, slice, gather, squeeze, unsqueeze, flatten, expand, tile,
      their dynamic forms) used only by it moves above the op, which then
      moves codes; likewise above `max_pool` for i8/ui8 codes (quantizing
      is monotonic), with a positive scale.
    - P3: a `dequantize_linear` feeding a layout op (or `max_pool`, i8/ui8
      codes, positive scale) moves below it.
    - P4: a `quantize_linear` of a `concat` used only by it quantizes each
      input with the concat's one scale; a `concat` of dequantized inputs
      that share one scale and zero point concatenates the codes.
    - P5 (`drop-relu=true` only): `quantize_linear(relu(x))` is
      `quantize_linear(x)` when the codes are integers and the zero point
      is the smallest code (the calibrated range starts at 0): negative
      inputs clamp to it anyway. Off by default: ONNX Runtime's CPU QDQ
      fusions then make MatMul + Add + QuantizeLinear one QGemm with an
      int32 bias and int8 output, which is less accurate than what they
      make with the Relu in place (docs/Calibration.md).
    - P6: `relu(dequantize_linear(c, s, z))` with z the smallest code and a
      positive scale is the dequantized value itself.

    A `dequantize_linear` followed by a `quantize_linear` with other
    parameters is a requantization; it is left as that pair, which is how
    ONNX QDQ graphs spell it.
  }];
  let options = [
    Option<"dropRelu", "drop-relu", "bool", /*default=*/"false",
           "Rule P5: drop a relu before a quantize whose zero point is the "
           "smallest code">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCSmoothQuant : Pass<"qc-smooth-quant", "::mlir::func::FuncOp"> {
  let summary = "SmoothQuant: migrate activation outliers into the weights, folded into the preceding gain";
  let description = [{
    For each tensor X [..., K] produced by a `qc.layer_norm` or
    `qc.rms_norm` over its last axis (constant gain and bias) or by a
    `qc.mul` with a constant vector
    along the last axis (a decomposed RMSNorm's gain), and read only by
    matmuls with constant weights [K, N] that carry per-channel statistics
    (`qc-calibrate{per-channel=true}`): input channel j is divided by
    `s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)` (maxima over all those
    matmuls, so projections reading one tensor share one factor), folded
    into the gain and bias, and row j of every weight is multiplied by it.
    No op is added and the float function is unchanged up to rounding; the
    matmuls' statistics are divided likewise (a method-chosen
    `qc.lhs_range` is dropped: a smoothed layer uses its min-max range) and
    they get `qc.smooth_alpha`. Run it after qc-calibrate and before
    qc-quantize-linear (docs/Calibration.md, S1-S6). With `alphas=` each
    group's alpha is searched instead (S5): the one of the list whose
    smoothing, with that group's matmuls quantized to `format`, gives the
    least output error on `inputs` on the Executor. With
    `insert-scales=true` (S6) every other tensor read by such matmuls is
    smoothed too, by a `qc.div` by s inserted in front of them (its other
    readers keep the tensor); without it, such tensors are left alone and
    a remark counts them.
  }];
  let options = [
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Migration strength in [0, 1]: 0 leaves activations alone, 1 "
           "moves all of their range into the weights">,
    Option<"alphas", "alphas", "std::string", /*default=*/"\"\"",
           "Comma-separated alphas to search per group (S5), e.g. "
           "0.3,0.4,0.5,0.6,0.7,0.8; empty: use alpha everywhere">,
    Option<"inputs", "inputs", "std::string", /*default=*/"\"\"",
           "Calibration inputs (.npz) the alpha search measures on">,
    Option<"format", "format", "std::string", /*default=*/"\"int8\"",
           "Format the alpha search quantizes each group's matmuls to">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "The alpha search quantizes with bias correction (B1), as "
           "qc-quantize-linear{bias-correction} will">,
    Option<"insertScales", "insert-scales", "bool", /*default=*/"false",
           "S6: a tensor whose producer cannot absorb the factor (other ops "
           "read it too, as a post-norm transformer's residual does, or its "
           "producer has no per-channel gain: a GELU, an attention "
           "context, a model input) is divided by an inserted qc.div in "
           "front of its matmuls, which a quantize kernel folds into its "
           "scale">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCAssignPrecision : Pass<"qc-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Per-layer weight formats under a bit or modelled-latency budget, from measured sensitivity";
  let description = [{
    For every matmul and conv with a constant weight, measures on the
    Executor the relative squared error of the model's outputs when only
    that layer's weight is quantized to each candidate format (weight-only,
    round to nearest), models a whole assignment's error as the sum, and
    picks the assignment with the least modelled error whose average
    storage bits per weight (codes and scales) fit `budget-bits`, or whose
    modelled GEMM time on `target` fits `budget-latency` microseconds (M5:
    a roofline of bytes moved and the bf16 MMA rate, `tokens` rows per
    matmul), by dynamic programming (a multiple-choice knapsack over costs
    rounded to budget / 20000, never over budget). Each layer gets
    `qc.assigned_format` (which qc-quantize-linear then uses),
    `qc.sensitivity` and `qc.modelled_latency_us`; the function gets
    `qc.precision` with the bits, the modelled latency, the predicted and
    measured error, and 8 Pareto points (budget, bits, latency, predicted,
    measured). A budget below what the candidates allow is an error
    (docs/Calibration.md, M1-M5).
  }];
  let options = [
    Option<"budgetBits", "budget-bits", "double", /*default=*/"0",
           "Average storage bits per weight element (e.g. 4.5)">,
    Option<"budgetLatency", "budget-latency", "double", /*default=*/"0",
           "Or: microseconds of the layers' GEMMs modelled on `target`">,
    Option<"target", "target", "std::string", /*default=*/"\"sm_90\"",
           "GPU of the latency model: sm_89, sm_90, sm_100">,
    Option<"tokens", "tokens", "int64_t", /*default=*/"1",
           "Rows each matmul multiplies per call in the latency model">,
    Option<"candidates", "candidates", "std::string",
           /*default=*/"\"int4-g128,int8\"",
           "Comma-separated candidate formats: int4-g128, nvfp4, int8, "
           "fp8, fp8-1x128, mxfp8, mxfp6, mxfp4 (matmuls only), bf16, "
           "f32 (kept in float)">,
    Option<"inputs", "inputs", "std::string", /*default=*/"\"\"",
           "Calibration inputs (.npz) the sensitivity is measured on">,
    Option<"randomSamples", "random-samples", "int64_t", /*default=*/"0",
           "Number of random samples when no inputs are given">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random samples">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "Measure each candidate with bias correction (B1), as "
           "qc-quantize-linear{bias-correction} will quantize it">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCFuseEpilogues : Pass<"qc-fuse-epilogues", "::mlir::func::FuncOp"> {
  let summary = "Group each matmul or convolution with its elementwise epilogue in a qc.fusion";
  let description = [{
    Wraps a `qc.matmul`, `qc.qmatmul` or `qc.conv` and the chain of
    elementwise ops that follows it (a bias add, batch norm, ReLU, GELU,
    residual add, ...: `qc.fusion`'s epilogue kinds) in one `qc.fusion`,
    placed where the chain's last op was. Each chain op must be the only
    user of the previous result and keep the anchor's result type, so the
    epilogue is per element. An anchor whose operands are all constants is
    left alone (the Executor caches it). The pipeline runs this last;
    `qc-convert-to-gpu` applies the same patterns
    (`populateFuseEpiloguesPatterns`) before planning, so a GEMM's epilogue
    kernel is exactly a fusion's body.

    Exact: a fusion means its body's ops in order, so every result is the
    same bit for bit (the Executor computes a convolution's batch norm and
    ReLU in one pass over its result, with the same per-element arithmetic).
  }];
  let dependentDialects = ["::quantc::qc::QCDialect"];
}

def QCKMajorWeights : Pass<"qc-kmajor-weights", "::mlir::func::FuncOp"> {
  let summary = "Store fp8-1x128, fp8 and int8 matmul weights K-major ([N, K]) for the sm_90a wgmma GEMM";
  let description = [{
    The sm_90a TMA + wgmma GEMM reads its weight operand as e4m3 codes
    [N, K] with K contiguous (wgmma takes FP8 operands K-major only). This
    rewrites each constant weight of fp8-1x128 form,

        %w = qc.dequantize_linear %codes[K, N], %scales[ceil(K/128), N]
               {axis = 0, block_size = 128}

    whose users are all `qc.matmul`s taking it as their right operand with
    1x128-blocked e4m3 activations on the left, into

        %t = qc.dequantize_linear %codesT[N, K], %scalesT[N, ceil(K/128)]
               {axis = 1, block_size = 128, qc.kmajor_weight}
        %w = qc.transpose %t {perm = [1, 0]}

    with the transposed constants (`qc.kmajor_weight` tells the GPU
    planner the weight is one of these). `fp8`'s per-channel weights,
    `dequantize_linear(%codes[K, N], %scales[N])` along axis 1 read by
    matmuls whose left operand has one (per-tensor) scale, become
    `transpose(dequantize_linear(%codesT[N, K], %scales[N]) {axis = 0})`
    the same way. `int8`'s weights (i8/ui8 codes [K, N], per-channel
    scales [N] along axis 1 or one scale, no zero point or one of zeros,
    which is dropped) read by matmuls whose left operand is a dequantize
    of run-time i8/ui8 codes with one constant scale and at most one
    constant zero point (or, for per-channel weights, with a run-time
    scale per token [..., 1] by blocks of K, dynamic per-token
    activations) become `transpose(dequantize_linear(%codesT[N, K],
    %scales) {axis = 0})` too, when K * 255^2 < 2^31 (the int8 wgmma
    GEMM's s32 sums). It is exact: every weight value is the
    same, so the Executor's results are the same bit for bit. Only weights
    whose scales are equal across each 128-column block (128 x 128 weight
    blocks, as qc-quantize-linear's fp8-1x128 makes them) and whose K is a
    multiple of 16 (TMA's row alignment) are rewritten: the kernel reads
    each block's scale once. quant-compile runs it when sm_90a is the
    package's only target, and `qc-convert-to-gpu{target=sm_90a}` before
    planning; the GPU program then launches the wgmma GEMM for these
    matmuls (docs/Kernels.md).
  }];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

def QCConvertToGPU : Pass<"qc-convert-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Build the GPU kernels of @main's GPU program into a gpu.module";
  let description = [{
    Plans `func.func @main` as a GPU program (docs/Runtime.md,
    docs/Kernels.md: every op part of one kernel launch; a GEMM's following
    elementwise chain fused as its epilogue; one kernel per distinct op,
    shape class and scheme) and builds each distinct kernel once, as a
    `gpu.func` in `gpu.module @quantc_kernels` for `target`, appended to
    the module. The op that ends each launch gets `qc.gpu_kernel =
    @quantc_kernels::@<kernel>` (`qc.qmatmul`s their `kernel` attribute).
    An op without a kernel (listed with its count and reason) is an error
    with `require-all`, otherwise only a remark, and then only the GEMM
    kernel is built. quant-compile calls the same planner and builder
    (Program.h) per target and lowers the module to PTX; this pass shows
    and tests the kernels as IR.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"sm_90\"",
           "Kernel target: sm_89, sm_90, sm_90a, sm_100a or sm_120a">,
    Option<"requireAll", "require-all", "bool", /*default=*/"false",
           "Fail when some op of @main has no GPU kernel">
  ];
}

#endif
