// qc-quantize-linear with MX weights only (mxfp8, mxfp6, mxfp4: the
// mixed-precision candidates of qc-assign-precision): OCP MX blocks of 32
// along K with power-of-two scales, as a blocked dequantize_linear of FP8 /
// FP6 / FP4 codes; activations stay in float.
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int4-g128}))" | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=mxfp6 activations=none}))" | FileCheck %s --check-prefix=ALL6
// RUN: not quant-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=mxfp8}))" 2>&1 | FileCheck %s --check-prefix=ACTS

// w [40, 4]: two blocks along K (32 and a partial 8), scales [2, 4] of
// powers of two (1.0 = 2^0 for |w| < 2 in E2M1 whose emax is 2: 2^(0-2)).
// CHECK-LABEL: func.func @assigned
// CHECK: qc.dequantize_linear %{{.*}}, %{{.*}} {axis = 0 : i64, block_size = 32 : i64} : (tensor<40x4xf4E2M1FN>, tensor<2x4xf32>) -> tensor<40x4xf32>
// CHECK: qc.matmul %arg0, %{{.*}} {qc.assigned_format = "mxfp4"
// CHECK: qc.dequantize_linear %{{.*}}, %{{.*}} {axis = 0 : i64, block_size = 32 : i64} : (tensor<40x4xf6E2M3FN>, tensor<2x4xf32>) -> tensor<40x4xf32>
// CHECK: qc.dequantize_linear %{{.*}}, %{{.*}} {axis = 0 : i64, block_size = 32 : i64} : (tensor<40x4xf8E4M3FN>, tensor<2x4xf32>) -> tensor<40x4xf32>
// CHECK-NOT: qc.quantize_linear
// Assigned formats win over the pass's format:
// ALL6-LABEL: func.func @assigned
// ALL6: tensor<40x4xf4E2M1FN>
// ACTS: qc-quantize-linear: format 'mxfp8' through qc-quantize-linear quantizes weights only (a mixed-precision candidate): use activations=none; --format mxfp8 quantizes with qc-quantize-matmuls
func.func @assigned(%x: tensor<2x40xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<0.75> : tensor<40x4xf32>
  %a = qc.matmul %x, %w {qc.assigned_format = "mxfp4"} : (tensor<2x40xf32>, tensor<40x4xf32>) -> tensor<2x4xf32>
  %w2 = arith.constant dense<-1.5> : tensor<40x4xf32>
  %b = qc.matmul %x, %w2 {qc.assigned_format = "mxfp6"} : (tensor<2x40xf32>, tensor<40x4xf32>) -> tensor<2x4xf32>
  %w3 = arith.constant dense<0.1> : tensor<40x4xf32>
  %c = qc.matmul %x, %w3 {qc.assigned_format = "mxfp8"} : (tensor<2x40xf32>, tensor<40x4xf32>) -> tensor<2x4xf32>
  return %a, %b, %c : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Without an assignment the pass's format applies: int4-g128, or MX
// weight-only when the pass is asked for it.
// CHECK-LABEL: func.func @unassigned
// CHECK: tensor<40x4xi4>
// ALL6-LABEL: func.func @unassigned
// ALL6: qc.dequantize_linear %{{.*}}, %{{.*}} {axis = 0 : i64, block_size = 32 : i64} : (tensor<40x4xf6E2M3FN>, tensor<2x4xf32>) -> tensor<40x4xf32>
func.func @unassigned(%x: tensor<2x40xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.75> : tensor<40x4xf32>
  %a = qc.matmul %x, %w : (tensor<2x40xf32>, tensor<40x4xf32>) -> tensor<2x4xf32>
  return %a : tensor<2x4xf32>
}
