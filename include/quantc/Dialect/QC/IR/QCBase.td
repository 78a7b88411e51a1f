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

def QC_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def QC_AnyTensor : RankedTensorOf<[AnyType]>;
// Float values, or the int64/int32 of shape and index arithmetic.
def QC_NumericTensor : RankedTensorOf<[F32, F16, BF16, I32, I64]>;

#endif
