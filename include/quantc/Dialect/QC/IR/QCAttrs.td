#ifndef QUANTC_DIALECT_QC_QCATTRS_TD
#define QUANTC_DIALECT_QC_QCATTRS_TD

include "quantc/Dialect/QC/IR/QCDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "quantc/Dialect/QC/IR/QCEnums.td"

class QC_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<QC_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def QC_SchemeAttr : QC_Attr<"Scheme", "scheme"> {
  let summary = "How a tensor is quantized: element format, scale format, block";
  let description = [{
    `#qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>`.
    `block` is aligned with the trailing dimensions of the quantized tensor;
    leading dimensions it does not cover have block 1. An empty block means
    one scale for the whole tensor (per-tensor). A block entry of 0 means the
    whole extent of that dimension (per-channel along the others). The
    scales tensor has, per dimension, ceil(dim / block) entries. A named
    preset parses from a string: `#qc.scheme<"mxfp8">`.
  }];
  let parameters = (ins "::mlir::Type":$elementType, "::mlir::Type":$scaleType,
                        ArrayRefParameter<"int64_t">:$block, "bool":$symmetric);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Returns the named preset (mxfp8, mxfp6, mxfp4, nvfp4, fp8, int8, ...),
    /// or null if `name` is not one.
    static SchemeAttr getPreset(::mlir::MLIRContext *ctx, ::llvm::StringRef name);
    /// The names getPreset accepts, for diagnostics.
    static ::llvm::ArrayRef<::llvm::StringRef> getPresetNames();
    /// Block size along dimension `dim` of a tensor of rank `rank`; 0 = whole.
    int64_t getBlockSizeFor(unsigned dim, unsigned rank) const;
    /// Shape of the scales tensor for a tensor of `shape` (dynamic dims stay
    /// dynamic).
    ::llvm::SmallVector<int64_t> getScaleShape(::llvm::ArrayRef<int64_t> shape) const;
    /// Block size along the last dimension (the reduction axis of a matmul).
    int64_t getInnerBlock() const { return getBlock().empty() ? 0 : getBlock().back(); }
    /// Whether this is an OCP MX scheme (E8M0 scales).
    bool isMX() const;
  }];
}

def QC_StatsAttr : QC_Attr<"Stats", "stats"> {
  let summary = "Calibration statistics of a tensor";
  let description = [{
    `#qc.stats<min = -1.5 : f32, max = 2.25 : f32, absmax = 2.25 : f32>`:
    range observed on the calibration inputs.
  }];
  let parameters = (ins "::mlir::FloatAttr":$min, "::mlir::FloatAttr":$max,
                        "::mlir::FloatAttr":$absmax);
  let assemblyFormat = "`<` `min` `=` $min `,` `max` `=` $max `,` `absmax` `=` $absmax `>`";
}

#endif
