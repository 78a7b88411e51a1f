#ifndef QUANTC_DIALECT_QC_TRANSFORMS_PASSES_TD
#define QUANTC_DIALECT_QC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QCCalibrate : Pass<"qc-calibrate", "::mlir::ModuleOp"> {
  let summary = "Run the float graph on calibration inputs and record ranges";
  let description = [{
    Runs `func.func @main` on the reference Executor over calibration inputs
    and attaches min-max statistics (`#qc.stats`) to what quantization will
    need: `qc.lhs_stats` on every `qc.matmul` (its activation input) and
    `qc.result_stats` on it. Inputs come from an `.npz` file whose keys are
    the graph input names (`inputs=`), or are drawn from a seeded normal
    distribution (`random-samples=`, one batch row each, dynamic dims = 1
    except the leading batch dim).
  }];
  let options = [
    Option<"inputs", "inputs", "std::string", /*default=*/"\"\"",
           "Path of an .npz file with calibration inputs">,
    Option<"randomSamples", "random-samples", "int64_t", /*default=*/"0",
           "Number of random calibration samples when no inputs are given">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random calibration inputs">
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
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"mxfp8\"",
           "Scheme preset for weights and activations">
  ];
  let dependentDialects = ["::quantc::qc::QCDialect", "::mlir::arith::ArithDialect"];
}

#endif
