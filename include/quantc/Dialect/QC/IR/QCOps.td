#ifndef QUANTC_DIALECT_QC_QCOPS_TD
#define QUANTC_DIALECT_QC_QCOPS_TD

// Core ops: matmul, basic elementwise, layout, quantize/dequantize, the
// quantized matmul and package weights. Other op families live in their own
// QC<Family>Ops.td with their own generated header, so adding an op to one
// family does not rebuild everything.
include "quantc/Dialect/QC/IR/QCBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Float graph ops
//===----------------------------------------------------------------------===//

def QC_MatMulOp : QC_Op<"matmul", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Matrix product with ONNX MatMul (numpy) semantics";
  let description = [{
    `lhs` is `[..., M, K]`, `rhs` is `[..., K, N]`; batch dimensions
    broadcast. Both operands have rank 2 or more (the importer reshapes 1-D
    operands). Calibration may attach `qc.lhs_stats = #qc.stats<...>`.
  }];
  let arguments = (ins QC_FloatTensor:$lhs, QC_FloatTensor:$rhs);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

// The result type is inferred: the broadcast shape of the operands, their
// element type (a declared type may be more static).
class QC_BinaryOp<string mnemonic, string desc>
    : QC_Op<mnemonic, [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = desc # " with ONNX multidirectional broadcasting";
  let description = [{
    On floats (f64 computed in f32 by the Executor), or on integers of 8 to
    64 bits, signless or unsigned (shape and index arithmetic, ONNX integer
    tensors): results wrap to the element type's width, integer division
    truncates toward zero as ONNX Div (unsigned types divide unsigned), and
    a division by zero is an error when the Executor runs it.
  }];
  let arguments = (ins QC_NumericTensor:$lhs, QC_NumericTensor:$rhs);
  let results = (outs QC_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

// Integer constants of the result's type fold (shape arithmetic).
def QC_AddOp : QC_BinaryOp<"add", "Elementwise sum"> { let hasFolder = 1; }
def QC_SubOp : QC_BinaryOp<"sub", "Elementwise difference"> { let hasFolder = 1; }
def QC_MulOp : QC_BinaryOp<"mul", "Elementwise product"> { let hasFolder = 1; }
def QC_DivOp : QC_BinaryOp<"div", "Elementwise quotient"> { let hasFolder = 1; }

def QC_ReluOp : QC_Op<"relu", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "max(x, 0)";
  let arguments = (ins QC_FloatTensor:$input);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def QC_ReshapeOp : QC_Op<"reshape", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Reshape with ONNX semantics (0 copies a dim, -1 is inferred)";
  let description = [{
    `shape` is the ONNX Reshape shape (allowzero = 0): 0 copies the input
    dimension at that index, at most one -1 is inferred. The result type is
    as static as the input allows; the Executor resolves dynamic dims.
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def QC_TransposeOp : QC_Op<"transpose", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs QC_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantization ops
//===----------------------------------------------------------------------===//

def QC_QuantizeOp : QC_Op<"quantize", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "Float tensor to codes and scales under a scheme";
  let description = [{
    Codes have the input's shape and the scheme's element type; scales have
    the scheme's scale type and shape `ceil(dim / block)` per dimension
    (see `#qc.scheme`). MX schemes derive each block's scale from the
    block's absolute maximum (docs/Formats.md).
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_SchemeAttr:$scheme);
  let results = (outs QC_AnyTensor:$codes, QC_AnyTensor:$scales);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` `(` type($codes) `,` type($scales) `)`";
}

def QC_DequantizeOp : QC_Op<"dequantize", [Pure]> {
  let summary = "Codes and scales back to float under a scheme";
  let arguments = (ins QC_AnyTensor:$codes, QC_AnyTensor:$scales, QC_SchemeAttr:$scheme);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$codes `,` $scales attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QC_QMatMulOp : QC_Op<"qmatmul", [Pure]> {
  let summary = "Matrix product of quantized operands, block scales along K";
  let description = [{
    `lhs` codes are `[..., K]` (leading dims flatten to M), `rhs` codes are
    `[N, K]`: both K-contiguous, the layout the MMA instructions read. The
    result is `[..., N]` in `acc_type`. Each K block of `lhs_scheme`'s inner
    block size contributes its fp32 partial sum times both blocks' scales;
    both schemes must use the same K block. `kernel`, once code generation
    ran, names the GPU kernel that computes this op.
  }];
  let arguments = (ins QC_AnyTensor:$lhs, QC_AnyTensor:$lhs_scales,
                       QC_AnyTensor:$rhs, QC_AnyTensor:$rhs_scales,
                       QC_SchemeAttr:$lhs_scheme, QC_SchemeAttr:$rhs_scheme,
                       TypeAttr:$acc_type,
                       OptionalAttr<SymbolRefAttr>:$kernel);
  let results = (outs QC_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $lhs_scales `,` $rhs `,` $rhs_scales attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def QC_FusionOp : QC_Op<"fusion", [RecursiveMemoryEffects,
                                    RecursivelySpeculatable]> {
  let summary = "A matmul or convolution and the elementwise epilogue run with it";
  let description = [{
    Groups a compute op (the anchor: `qc.matmul`, `qc.qmatmul` or `qc.conv`)
    with the chain of elementwise ops that consume its result, so that one
    kernel computes them together. `qc-fuse-epilogues` builds it; its
    meaning is its body's ops run in order, so a fusion never changes a
    result: an implementation that fuses (the Executor's convolution
    epilogue, the GPU GEMM's register epilogue) computes the same
    per-element arithmetic as the ops would one by one.

    The body is one block without arguments: the anchor, then one or more
    epilogue ops (`add`, `sub`, `mul`, `div`, `relu`, `neg`, `abs`, `sqrt`,
    `tanh`, `sigmoid`, `gelu`, `silu`, `clip`, `leaky_relu`, `batch_norm`
    on its input), each reading the previous op's result (its only use)
    and giving a result of the anchor's type, then `qc.yield` of the last
    one. Other operands (a bias, a residual, batch norm parameters) are
    values defined above the fusion.

    ```mlir
    %y = qc.fusion : tensor<8x16xf32> {
      %p = qc.matmul %x, %w : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
      %s = qc.add %p, %b : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
      %r = qc.relu %s : (tensor<8x16xf32>) -> tensor<8x16xf32>
      qc.yield %r : tensor<8x16xf32>
    }
    ```
  }];
  let results = (outs QC_FloatTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword `:` type($result) $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The compute op the epilogue follows (the body's first op).
    ::mlir::Operation *getAnchor();
    /// The epilogue ops, in order (the body's ops after the anchor).
    ::llvm::SmallVector<::mlir::Operation *> getEpilogue();
    /// Whether `op` may be an epilogue op of a fusion (its kind; the chain
    /// rules are the verifier's).
    static bool isEpilogueKind(::mlir::Operation *op);
    /// Whether `op` may anchor a fusion.
    static bool isAnchorKind(::mlir::Operation *op);
  }];
}

def QC_YieldOp : QC_Op<"yield", [Pure, Terminator, HasParent<"FusionOp">]> {
  let summary = "The result of a qc.fusion";
  let arguments = (ins QC_FloatTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Package ops
//===----------------------------------------------------------------------===//

def QC_WeightOp : QC_Op<"weight", [Pure]> {
  let summary = "A constant tensor stored in a package's weights.bin";
  let description = [{
    The graph a package carries (`graph.mlir`) names its constants by their
    place in `weights.bin` instead of holding them: `offset` (64-byte
    aligned) and `size` in bytes. 4-bit codes (i4, ui4, f4E2M1FN) are packed
    two per byte, element 2i in the low nibble (as ONNX packs them); other
    formats narrower than 8 bits take one byte per element; wider ones are
    little-endian. The package reader turns them back into constants.
  }];
  let arguments = (ins StrAttr:$name, I64Attr:$offset, I64Attr:$size);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Bytes one element takes in weights.bin (1 for the packed 4-bit
    /// codes: see getStorageSize).
    static int64_t getStorageBytes(::mlir::Type elementType);
    /// Whether weights.bin packs this element type two per byte.
    static bool isPacked4(::mlir::Type elementType);
    /// Bytes a tensor of `type` takes in weights.bin.
    static int64_t getStorageSize(::mlir::RankedTensorType type);
  }];
}

#endif
