#ifndef QUANTC_DIALECT_QC_QCDIALECT_TD
#define QUANTC_DIALECT_QC_QCDIALECT_TD

include "mlir/IR/OpBase.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::quantc::qc";
  let summary = "Graph-level ops and schemes for quantization";
  let description = [{
    The `qc` dialect holds the tensor-level ops that quantization reasons
    about (matmul, elementwise, layout), the quantization scheme attribute,
    and the quantize / dequantize / quantized-compute ops. Scales are
    tensors, not numbers inside a type.

    ## Annotations

    The passes record what they learn as discardable `qc.*` attributes,
    which print, parse and round-trip, so a pipeline can stop after any
    pass and resume from the `.mlir`. The dialect declares them and the
    verifier checks each one's kind; any other `qc.*` attribute is an
    error.

    | attribute | kind | set by |
    |---|---|---|
    | `qc.input_stats`, `qc.lhs_stats`, `qc.rhs_stats`, `qc.result_stats` | `#qc.stats` | qc-calibrate (min-max) |
    | `qc.lhs_range`, `qc.rhs_range` | `#qc.stats` | qc-calibrate (the method's clipped range) |
    | `qc.calib_method` | `"minmax"`, `"percentile"`, `"entropy"`, `"mse"` | qc-calibrate |
    | `qc.lhs_channel_min`, `qc.lhs_channel_max` | `array<f32>` | qc-calibrate: a matmul's last lhs axis with per-channel, a depthwise conv's input channels (axis 1) always |
    | `qc.lhs_hessian` | square 2-D f32 tensor | qc-calibrate{hessian} |
    | `qc.lhs_channel_mean` | `array<f32>` | qc-calibrate{channel-means} |
    | `qc.bias_corrected` | unit | qc-quantize-linear{bias-correction} |
    | `qc.smooth_alpha` | float in [0, 1] | qc-smooth-quant |
    | `qc.assigned_format` | a scheme preset or `"f32"` | qc-assign-precision |
    | `qc.sensitivity` | dictionary of floats | qc-assign-precision |
    | `qc.modelled_latency_us` | float >= 0 | qc-assign-precision |
    | `qc.precision` | dictionary with `bits` and `pareto`, on a function | qc-assign-precision |
    | `qc.act_scheme`, `qc.weight_scheme` | `#qc.scheme` | qc-quantize-linear, qc-quantize-matmuls |
    | `qc.weight_rel_rms_error`, `qc.act_tensor_scale` | float >= 0 | qc-quantize-linear, qc-quantize-matmuls |
    | `qc.weight_method` | `"rtn"`, `"gptq"` | qc-quantize-linear |
    | `qc.outlier_channels` | `array<i64>` of channels | qc-quantize-linear{outlier-threshold} |
    | `qc.act_dynamic`, `qc.outlier_side`, `qc.imported_qdq` | unit | qc-quantize-linear |
    | `qc.name` | string, on a function argument or result | the ONNX importer |
    | `qc.gpu_kernel` | symbol reference to a `gpu.func` | qc-convert-to-gpu (on the op that ends a launch) |
    | `qc.kmajor_weight` | unit, on a `qc.dequantize_linear` of 2-D e4m3 codes [N, K] along axis 1 by 128 (each 128-row block's scales equal), or of e4m3 or i8/ui8 codes (no zero point) per channel along axis 0 | qc-kmajor-weights |
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
  // The discardable qc.* attributes the passes attach (docs/Dialect.md,
  // "Annotations") are declared here and checked by these hooks.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerQuantOps();
    void registerMathOps();
    void registerShapeOps();
    void registerNNOps();
  }];
}

#endif
