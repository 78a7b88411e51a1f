// qc-assign-precision (M1-M4 of docs/Calibration.md) and qc-quantize-linear
// honouring its per-layer choice. The model: y1 = x @ w1, y2 = x @ w2, both
// [128, 8], w2 100x larger (Inputs/make_precision_model.py).
// RUN: %python %S/Inputs/make_precision_model.py > %t.mlir
// RUN: quant-opt %t.mlir --qc-assign-precision="budget-bits=6.3 random-samples=16 seed=1" | FileCheck %s
// RUN: quant-opt %t.mlir --qc-assign-precision="budget-bits=6.3 random-samples=16 seed=1" | quant-opt --pass-pipeline="builtin.module(func.func(qc-quantize-linear{format=int4-g128}))" | FileCheck %s --check-prefix=HONOUR
// RUN: quant-opt %t.mlir --qc-assign-precision="budget-bits=4.3 candidates=int4-g128,f32 random-samples=4" | FileCheck %s --check-prefix=ALL4
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-bits=4 random-samples=4" 2>&1 | FileCheck %s --check-prefix=LOW
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-bits=6 candidates=int3 random-samples=4" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-bits=6" 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not quant-opt %t.mlir --qc-assign-precision 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-bits=6 candidates=int8,int8 random-samples=4" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: quant-opt %t.mlir --qc-assign-precision="budget-bits=4.25 random-samples=4" | FileCheck %s --check-prefix=EXACT
// RUN: quant-opt %t.mlir --qc-assign-precision="budget-latency=4.0007 random-samples=16 seed=1" | FileCheck %s --check-prefix=LATENCY
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-latency=4.0004 random-samples=4" 2>&1 | FileCheck %s --check-prefix=LOWLAT
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-latency=5 budget-bits=6 random-samples=4" 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-latency=5 target=sm_75 random-samples=4" 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not quant-opt %t.mlir --qc-assign-precision="budget-latency=5 tokens=0 random-samples=4" 2>&1 | FileCheck %s --check-prefix=TOKENS

// int4-g128 costs 4 + 32/128 = 4.25 bits per weight, int8 8.25: 6.3 bits
// on average buy int8 for one layer, the one whose error matters more (w2).
// CHECK: qc.precision = {bits = 6.250000e+00 : f64, budget_bits = 6.300000e+00 : f64, latency_target = "sm_90", latency_tokens = 1 : i64, latency_us = {{.*}} : f64, measured_error = {{.*}}, pareto = [{{.*}}], predicted_error = {{.*}}}
// CHECK: qc.matmul %arg0, %{{.*}} {qc.assigned_format = "int4-g128", qc.modelled_latency_us = {{.*}} : f64, qc.sensitivity = {"int4-g128" = {{.*}} : f64, int8 = {{.*}} : f64}}
// CHECK: qc.matmul %arg0, %{{.*}} {qc.assigned_format = "int8", qc.modelled_latency_us = {{.*}} : f64, qc.sensitivity = {"int4-g128" = {{.*}} : f64, int8 = {{.*}} : f64}}
// qc-quantize-linear: int4 codes blocked by 128 for w1, int8 per channel
// (weight-only, as measured) for w2, whatever its own format option says.
// HONOUR: qc.dequantize_linear {{.*}} {axis = 0 : i64, block_size = 128 : i64} : (tensor<128x8xi4>, tensor<1x8xf32>, tensor<1x8xi4>) -> tensor<128x8xf32>
// HONOUR: qc.dequantize_linear {{.*}} : (tensor<128x8xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<128x8xf32>
// HONOUR-NOT: qc.quantize_linear
// ALL4-COUNT-2: qc.assigned_format = "int4-g128"
// "f32" keeps a layer in float (32 bits per weight).
// LOW: qc-assign-precision: a budget of 4.000 bits per weight is below the smallest the candidates allow (4.250)
// UNKNOWN: qc-assign-precision: unknown candidate 'int3'; known: int4-g128, nvfp4, int8, fp8, fp8-1x128, mxfp8, mxfp6, mxfp4, bf16, f32
// NODATA: qc-assign-precision needs calibration data: give inputs=<file.npz> or random-samples=<N>
// NOBUDGET: qc-assign-precision: give one budget > 0, budget-bits or budget-latency, got 0.00 bits and 0.00 us
// TWICE: qc-assign-precision: candidate 'int8' is given twice
// A budget the cheapest assignment meets exactly is feasible.
// EXACT: qc.precision = {bits = 4.250000e+00 : f64, budget_bits = 4.250000e+00 : f64
// M5: on sm_90 with one row per matmul (decode) each [128, 8] GEMM costs
// the 2 us launch plus its bytes over 3.35 TB/s: 816 bytes in int4-g128
// (2.000244 us), 1328 in int8 (2.000396 us). 4.0007 us buy int8 for one
// layer, w2 again.
// LATENCY: qc.precision = {bits = 6.250000e+00 : f64, budget_latency_us = 4.000700e+00 : f64, latency_target = "sm_90", latency_tokens = 1 : i64, latency_us = 4.000640e+00 : f64
// LATENCY: qc.assigned_format = "int4-g128", qc.modelled_latency_us = 2.000243{{[0-9]*}} : f64
// LATENCY: qc.assigned_format = "int8", qc.modelled_latency_us = 2.000396{{[0-9]*}} : f64
// LOWLAT: qc-assign-precision: a budget of 4.0004 us on sm_90 is below the smallest the candidates allow (4.0005 us)
// BOTH: qc-assign-precision: give one budget > 0, budget-bits or budget-latency, got 6.00 bits and 5.00 us
// TARGET: qc-assign-precision: no latency model for target 'sm_75'; known: sm_89 sm_90 sm_100
// TOKENS: qc-assign-precision: tokens must be >= 1, got 0
