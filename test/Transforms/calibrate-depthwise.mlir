// Q4: qc-calibrate records per-input-channel ranges (axis 1) of every
// depthwise conv's input, without per-channel=true; a grouped conv with
// several channels per group and a plain conv get none. A calibration
// table carries them and gives them back, and the channel means of bias
// correction (B1) too.
// RUN: %python %S/Inputs/make_npz.py %t.npz "x=[[[[1.0, -2.0], [3.0, 0.5]], [[0.25, 0.75], [-0.5, 4.0]]], [[[0.0, 5.0], [-1.0, 2.0]], [[1.0, 1.5], [0.5, -3.0]]]]"
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz channel-means=false table-out=%t.json" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="table=%t.json" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz channel-means=true" | FileCheck %s --check-prefix=MEANS
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz channel-means=true table-out=%t.means.json" -o /dev/null
// RUN: quant-opt %s --qc-calibrate="table=%t.means.json" | FileCheck %s --check-prefix=MEANS
// RUN: %python -c "import json,sys; t=json.load(open(sys.argv[1])); t['layers']['pw']['lhs_channel_mean']=[1.0]; json.dump(t, open(sys.argv[2], 'w'))" %t.means.json %t.mshort.json
// RUN: not quant-opt %s --qc-calibrate="table=%t.mshort.json" 2>&1 | FileCheck %s --check-prefix=MSHORT
// RUN: %python -c "import json,sys; t=json.load(open(sys.argv[1])); t['layers']['pw']['lhs_channel_mean']=[1.0, 1e39]; json.dump(t, open(sys.argv[2], 'w'))" %t.means.json %t.minf.json
// RUN: not quant-opt %s --qc-calibrate="table=%t.minf.json" 2>&1 | FileCheck %s --check-prefix=MINF
// RUN: %python -c "import json,sys; t=json.load(open(sys.argv[1])); t['layers']['dw']['lhs_channel_min']=[0.0]; json.dump(t, open(sys.argv[2], 'w'))" %t.json %t.short.json
// RUN: not quant-opt %s --qc-calibrate="table=%t.short.json" 2>&1 | FileCheck %s --check-prefix=SHORT
// RUN: %python -c "import json,sys; t=json.load(open(sys.argv[1])); t['layers']['dw']['lhs_channel_min']=[0.0, 9.0]; json.dump(t, open(sys.argv[2], 'w'))" %t.json %t.order.json
// RUN: not quant-opt %s --qc-calibrate="table=%t.order.json" 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: %python -c "import json,sys; t=json.load(open(sys.argv[1])); del t['layers']['dw']['lhs_channel_max']; json.dump(t, open(sys.argv[2], 'w'))" %t.json %t.half.json
// RUN: not quant-opt %s --qc-calibrate="table=%t.half.json" 2>&1 | FileCheck %s --check-prefix=HALF

// x is [2, 2, 2, 2]: channel 0 holds 1, -2, 3, 0.5, 0, 5, -1, 2 (min -2,
// max 5); channel 1 holds 0.25, 0.75, -0.5, 4, 1, 1.5, 0.5, -3 (min -3,
// max 4).
// CHECK-LABEL: func.func @main
// CHECK: qc.conv {{.*}}group = 2 : i64{{.*}}qc.lhs_channel_max = array<f32: 5.000000e+00, 4.000000e+00>, qc.lhs_channel_min = array<f32: -2.000000e+00, -3.000000e+00>, qc.lhs_stats = #qc.stats<min = -3.000000e+00 : f32, max = 5.000000e+00 : f32
// CHECK: qc.conv {{.*}}group = 1 : i64
// CHECK-NOT: qc.lhs_channel
// CHECK-SAME: qc.lhs_stats
// Channel means along axis 1 (B1): 8.5 / 8 and 4.5 / 8, for both convs.
// MEANS-COUNT-2: qc.lhs_channel_mean = array<f32: 1.062500e+00, 5.625000e-01>
// MSHORT: calibration table '{{.*}}mshort.json': layer 'pw': 'lhs_channel_mean' needs 2 numbers, one per input channel
// MINF: calibration table '{{.*}}minf.json': layer 'pw': 'lhs_channel_mean' holds a value that is not a finite number
// SHORT: calibration table '{{.*}}short.json': layer 'dw': 'lhs_channel_min' needs 2 numbers, one per input channel
// ORDER: calibration table '{{.*}}order.json': layer 'dw': channel 1 has lhs_channel_min > lhs_channel_max
// HALF: calibration table '{{.*}}half.json': layer 'dw': lhs_channel_min and lhs_channel_max come together
#loc = loc("m.onnx":0:0)
func.func @main(%x: tensor<?x2x2x2xf32> {qc.name = "x"}) -> (tensor<?x2x2x2xf32> {qc.name = "y"}) {
  %w = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %0 = qc.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x2x2xf32> loc("dw"(#loc))
  %w2 = arith.constant dense<0.5> : tensor<2x2x1x1xf32>
  %1 = qc.conv %0, %w2 {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<?x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x2x2xf32> loc("pw"(#loc))
  return %1 : tensor<?x2x2x2xf32>
}
