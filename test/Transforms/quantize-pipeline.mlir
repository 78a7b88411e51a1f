// The registered qc-quantize-pipeline (what quant-compile runs between
// import and kernels), in one go and stopped/resumed after qc-calibrate.
// RUN: %python %S/Inputs/make_npz.py %t.npz "x=[[1.0, -2.0, 0.5, 0.25], [3.0, 0.5, -1.0, 2.0]]"
// RUN: quant-opt %s --qc-quantize-pipeline="format=mxfp8 calib=%t.npz" | FileCheck %s
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz" > %t.calibrated.mlir
// RUN: quant-opt %t.calibrated.mlir --qc-quantize-pipeline="format=mxfp8 calibrate=false" > %t.resumed.mlir
// RUN: quant-opt %s --qc-quantize-pipeline="format=mxfp8 calib=%t.npz" > %t.once.mlir
// RUN: diff %t.once.mlir %t.resumed.mlir
// RUN: quant-opt %s --pass-pipeline="builtin.module(qc-quantize-pipeline{format=mxfp6 random-samples=3 seed=1})" | FileCheck %s --check-prefix=MXFP6
// RUN: not quant-opt %s --qc-quantize-pipeline="format=mxfp8" 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %s --qc-quantize-pipeline="format=mxfp3 random-samples=2" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not quant-opt %s --pass-pipeline="builtin.module(func.func(qc-quantize-pipeline{random-samples=2}))" 2>&1 | FileCheck %s --check-prefix=NESTED
// RUN: not quant-opt %s --pass-pipeline="builtin.module(qc-quantize-pipeline{formt=mxfp8})" 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: quant-opt %s --qc-quantize-pipeline="format=mxfp8 calib=%t.npz bias-correction=false" | FileCheck %s --check-prefix=NOBC
// RUN: quant-opt %s --pass-pipeline="builtin.module(qc-quantize-pipeline{random-samples=2 bias-correction})" | FileCheck %s --check-prefix=BARE
// RUN: not quant-opt %s --pass-pipeline="builtin.module(qc-quantize-pipeline{random-samples=2 bias-correction=maybe})" 2>&1 | FileCheck %s --check-prefix=BCOPT
// RUN: not quant-opt %s --pass-pipeline="builtin.module(qc-quantize-pipeline{format=int8 random-samples=2 smooth-insert-scales=true})" 2>&1 | FileCheck %s --check-prefix=SMOOTHOPT
// RUN: not quant-opt %s --pass-pipeline="builtin.module(qc-quantize-pipeline{format=int8 random-samples=2 smooth-alphas=0.5})" 2>&1 | FileCheck %s --check-prefix=SMOOTHOPT2

// CHECK-LABEL: func.func @main
// CHECK: qc.quantize %arg0 {qc.input_stats = #qc.stats<min = -2.000000e+00 : f32, max = 3.000000e+00 : f32, absmax = 3.000000e+00 : f32>, scheme = #qc.scheme<f8E4M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>}
// Bias correction by default (B1; these weights are exact in E4M3, so the
// correction is zero).
// CHECK: qc.qmatmul {{.*}}qc.bias_corrected
// CHECK-NOT: qc.matmul
// NOBC-NOT: qc.bias_corrected
// BARE: qc.qmatmul {{.*}}qc.bias_corrected
// BCOPT: qc-quantize-pipeline: bias-correction must be auto, true or false, not 'maybe'
// SMOOTHOPT: qc-quantize-pipeline: smooth-insert-scales applies with smooth-quant
// SMOOTHOPT2: qc-quantize-pipeline: smooth-alphas applies with smooth-quant
// MXFP6: qc.quantize {{.*}}scheme = #qc.scheme<f6E2M3FN, scale = f8E8M0FNU, block = [1, 32], symmetric>
// MXFP6: qc.qmatmul
// NODATA: qc-calibrate needs calibration data
// FORMAT: unknown format 'mxfp3'
// NESTED: qc-quantize-pipeline runs on builtin.module, not nested in 'func.func'
// OPTION: qc-quantize-pipeline: bad options 'formt=mxfp8'
func.func @main(%x: tensor<?x4xf32> {qc.name = "x"}) -> (tensor<?x4xf32> {qc.name = "y"}) {
  %w = arith.constant dense<[[2.0, 0.0, 1.0, 0.5], [0.0, 1.0, 0.5, 0.25], [1.0, 1.0, 1.0, 1.0], [0.5, -1.0, 0.0, 2.0]]> : tensor<4x4xf32>
  %0 = qc.matmul %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
