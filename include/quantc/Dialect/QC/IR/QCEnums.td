//===- QCEnums.td - enum attributes of the qc dialect -------*- tablegen -*-===//
//
// The ops' enum-like attributes (ONNX string attributes with a closed set of
// values) as EnumAttrs: the parser rejects an unknown value with the list of
// valid ones, and code switches on the C++ enum instead of comparing strings.
// The printed form is `#qc.<mnemonic><value>`, e.g. `#qc.reduce_kind<mean>`.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_DIALECT_QC_QCENUMS_TD
#define QUANTC_DIALECT_QC_QCENUMS_TD

include "quantc/Dialect/QC/IR/QCDialect.td"
include "mlir/IR/EnumAttr.td"

class QC_EnumAttr<EnumAttrInfo info, string mnemonic>
    : EnumAttr<QC_Dialect, info, mnemonic> {
  let assemblyFormat = "`<` $value `>`";
}

def QC_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "qc.gelu's approximation (ONNX Gelu's approximate)", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_GeluApproximationAttr
    : QC_EnumAttr<QC_GeluApproximation, "gelu_approximation">;

def QC_ShiftDirection : I32EnumAttr<"ShiftDirection",
    "qc.bit_shift's direction (ONNX BitShift's direction)", [
      I32EnumAttrCase<"LEFT", 0>,
      I32EnumAttrCase<"RIGHT", 1>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_ShiftDirectionAttr
    : QC_EnumAttr<QC_ShiftDirection, "shift_direction">;

def QC_ReduceKind : I32EnumAttr<"ReduceKind",
    "the reduction of qc.dynamic_reduce (as the qc.reduce_* ops)", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"max", 2>,
      I32EnumAttrCase<"min", 3>,
      I32EnumAttrCase<"prod", 4>,
      I32EnumAttrCase<"l1", 5>,
      I32EnumAttrCase<"l2", 6>,
      I32EnumAttrCase<"sum_square", 7>,
      I32EnumAttrCase<"log_sum", 8>,
      I32EnumAttrCase<"log_sum_exp", 9>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_ReduceKindAttr : QC_EnumAttr<QC_ReduceKind, "reduce_kind">;

def QC_ResizeMode : I32EnumAttr<"ResizeMode",
    "qc.resize's interpolation (ONNX Resize's mode)", [
      I32EnumAttrCase<"nearest", 0>,
      I32EnumAttrCase<"linear", 1>,
      I32EnumAttrCase<"cubic", 2>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_ResizeModeAttr : QC_EnumAttr<QC_ResizeMode, "resize_mode">;

def QC_CoordinateTransformation : I32EnumAttr<"CoordinateTransformation",
    "qc.resize's coordinate_transformation_mode (ONNX Resize)", [
      I32EnumAttrCase<"half_pixel", 0>,
      I32EnumAttrCase<"asymmetric", 1>,
      I32EnumAttrCase<"align_corners", 2>,
      I32EnumAttrCase<"pytorch_half_pixel", 3>,
      I32EnumAttrCase<"tf_half_pixel_for_nn", 4>,
      I32EnumAttrCase<"half_pixel_symmetric", 5>,
      I32EnumAttrCase<"tf_crop_and_resize", 6>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_CoordinateTransformationAttr
    : QC_EnumAttr<QC_CoordinateTransformation, "coordinate_transformation">;

def QC_NearestMode : I32EnumAttr<"NearestMode",
    "how qc.resize rounds a nearest-neighbour coordinate (ONNX nearest_mode)", [
      I32EnumAttrCase<"round_prefer_floor", 0>,
      I32EnumAttrCase<"round_prefer_ceil", 1>,
      I32EnumAttrCase<"floor", 2>,
      I32EnumAttrCase<"ceil", 3>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_NearestModeAttr : QC_EnumAttr<QC_NearestMode, "nearest_mode">;

def QC_AspectRatioPolicy : I32EnumAttr<"AspectRatioPolicy",
    "qc.resize's keep_aspect_ratio_policy (ONNX Resize-18)", [
      I32EnumAttrCase<"stretch", 0>,
      I32EnumAttrCase<"not_larger", 1>,
      I32EnumAttrCase<"not_smaller", 2>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_AspectRatioPolicyAttr
    : QC_EnumAttr<QC_AspectRatioPolicy, "aspect_ratio_policy">;

def QC_PadMode : I32EnumAttr<"PadMode", "qc.pad's mode (ONNX Pad's mode)", [
      I32EnumAttrCase<"constant", 0>,
      I32EnumAttrCase<"reflect", 1>,
      I32EnumAttrCase<"edge", 2>,
      I32EnumAttrCase<"wrap", 3>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_PadModeAttr : QC_EnumAttr<QC_PadMode, "pad_mode">;

def QC_ScatterReduction : I32EnumAttr<"ScatterReduction",
    "how qc.scatter_nd / qc.scatter_elements combine an update with the "
    "element (ONNX ScatterND/ScatterElements' reduction)", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"add", 1>,
      I32EnumAttrCase<"mul", 2>,
      I32EnumAttrCase<"max", 3>,
      I32EnumAttrCase<"min", 4>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_ScatterReductionAttr
    : QC_EnumAttr<QC_ScatterReduction, "scatter_reduction">;

def QC_RnnDirection : I32EnumAttr<"RnnDirection",
    "the direction of a recurrent op (ONNX LSTM/GRU/RNN's direction)", [
      I32EnumAttrCase<"forward", 0>,
      I32EnumAttrCase<"reverse", 1>,
      I32EnumAttrCase<"bidirectional", 2>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_RnnDirectionAttr : QC_EnumAttr<QC_RnnDirection, "rnn_direction">;

def QC_RnnActivation : I32EnumAttr<"RnnActivation",
    "an activation function of a recurrent op (ONNX's list for LSTM, GRU "
    "and RNN)", [
      I32EnumAttrCase<"Sigmoid", 0>,
      I32EnumAttrCase<"Tanh", 1>,
      I32EnumAttrCase<"Relu", 2>,
      I32EnumAttrCase<"Affine", 3>,
      I32EnumAttrCase<"LeakyRelu", 4>,
      I32EnumAttrCase<"ThresholdedRelu", 5>,
      I32EnumAttrCase<"ScaledTanh", 6>,
      I32EnumAttrCase<"HardSigmoid", 7>,
      I32EnumAttrCase<"Elu", 8>,
      I32EnumAttrCase<"Softsign", 9>,
      I32EnumAttrCase<"Softplus", 10>]> {
  let cppNamespace = "::quantc::qc";
  let genSpecializedAttr = 0;
}
def QC_RnnActivationAttr : QC_EnumAttr<QC_RnnActivation, "rnn_activation">;
def QC_RnnActivationArrayAttr
    : TypedArrayAttrBase<QC_RnnActivationAttr, "recurrent activations">;

#endif
