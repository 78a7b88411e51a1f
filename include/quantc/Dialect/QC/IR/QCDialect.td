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
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerQuantOps();
    void registerMathOps();
    void registerShapeOps();
    void registerNNOps();
  }];
}

#endif
