// qc.pad with static shapes is a layout kernel (one thread per output
// element: the mode's index map over what negative pads leave, the fill
// outside in mode constant); a fill of a float code other than 0 has none.
// docs/Kernels.md, "The other kernels of a GPU program".
// RUN: quant-opt %s --split-input-file --pass-pipeline="builtin.module(qc-convert-to-gpu{target=sm_89})" 2>&1 | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: qc.pad {{.*}}qc.gpu_kernel = @quantc_kernels::@layout_0{{.*}}value = 2.500000e+00 : f32
// CHECK: qc.pad {{.*}}mode = #qc.pad_mode<reflect>{{.*}}qc.gpu_kernel = @quantc_kernels::@layout_1
// CHECK: qc.pad {{.*}}mode = #qc.pad_mode<wrap>{{.*}}qc.gpu_kernel = @quantc_kernels::@layout_2
func.func @main(%x: tensor<2x3x4xf32>) -> (tensor<2x5x6xf32>, tensor<2x4x8xf32>, tensor<2x3x3xf32>) {
  %0 = qc.pad %x {pads = array<i64: 0, 1, 2, 0, 1, 0>, value = 2.5 : f32} : (tensor<2x3x4xf32>) -> tensor<2x5x6xf32>
  %1 = qc.pad %x {mode = #qc.pad_mode<reflect>, pads = array<i64: 0, 2, 1, 0, -1, 3>} : (tensor<2x3x4xf32>) -> tensor<2x4x8xf32>
  %2 = qc.pad %x {mode = #qc.pad_mode<wrap>, pads = array<i64: 0, -1, 2, 0, 1, -3>} : (tensor<2x3x4xf32>) -> tensor<2x3x3xf32>
  return %0, %1, %2 : tensor<2x5x6xf32>, tensor<2x4x8xf32>, tensor<2x3x3xf32>
}

// -----

// CHECK: remark: no GPU program (no kernel for qc.pad (static shapes only so far) x1)
func.func @main(%x: tensor<2x3xf8E4M3FN>) -> tensor<2x5xf8E4M3FN> {
  %0 = qc.pad %x {pads = array<i64: 0, 1, 0, 1>, value = 1.0 : f8E4M3FN} : (tensor<2x3xf8E4M3FN>) -> tensor<2x5xf8E4M3FN>
  return %0 : tensor<2x5xf8E4M3FN>
}
