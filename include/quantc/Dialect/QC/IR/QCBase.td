#ifndef QUANTC_DIALECT_QC_QCBASE_TD
#define QUANTC_DIALECT_QC_QCBASE_TD

include "quantc/Dialect/QC/IR/QCDialect.td"
include "quantc/Dialect/QC/IR/QCAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits>;

def QC_FloatTensor : RankedTensorOf<[F32, F16, BF16, F64]>;
def QC_AnyTensor : RankedTensorOf<[AnyType]>;
// Float values, or the int64/int32 of shape and index arithmetic.
// Floats and integers of every ONNX width (docs/Import.md, "Element types"):
// f64 values are computed in f32 by the Executor; unsigned and narrow
// integers wrap to their width.
def QC_NumericTensor : RankedTensorOf<[F32, F16, BF16, F64, I8, I16, I32, I64,
                                       UI8, UI16, UI32, UI64]>;

#endif
