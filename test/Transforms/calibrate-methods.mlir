// qc-calibrate's range selection (docs/Calibration.md C1-C5): every method
// attaches qc.lhs_range and qc.calib_method on matmuls and convs; minmax
// attaches only the statistics. Bad options are errors.
// RUN: %python %S/Inputs/make_npz.py %t.npz "x=[[1.0, -2.0, 0.5, 0.25], [3.0, 0.5, -1.0, 8.0]]"
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz channel-means=false" | FileCheck %s --check-prefix=MINMAX
// The same two rows as two files of a directory, read one at a time: the
// same statistics and the same percentile range.
// RUN: rm -rf %t.dir && mkdir %t.dir
// RUN: %python %S/Inputs/make_npz.py %t.dir/a.npz "x=[[1.0, -2.0, 0.5, 0.25]]"
// RUN: %python %S/Inputs/make_npz.py %t.dir/b.npz "x=[[3.0, 0.5, -1.0, 8.0]]"
// RUN: quant-opt %s --qc-calibrate="inputs=%t.dir channel-means=false" | FileCheck %s --check-prefix=MINMAX
// RUN: quant-opt %s --qc-calibrate="inputs=%t.dir method=percentile percentile=50 channel-means=false" | FileCheck %s --check-prefix=PCT
// batch=1: the two rows of one file in two runs of one sample each; the
// same statistics and, from a second run over the batches, the same range.
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz batch=1 channel-means=false" | FileCheck %s --check-prefix=MINMAX
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz batch=1 method=percentile percentile=50 channel-means=false" | FileCheck %s --check-prefix=PCT
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.dir batch=1" 2>&1 | FileCheck %s --check-prefix=BATCHDIR
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.npz batch=-2" 2>&1 | FileCheck %s --check-prefix=BATCHNEG
// RUN: rm -rf %t.empty && mkdir %t.empty
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.empty" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz method=percentile percentile=50 channel-means=false" | FileCheck %s --check-prefix=PCT
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz method=entropy channel-means=false" | FileCheck %s --check-prefix=ANY
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz method=mse format=fp8 channel-means=false" | FileCheck %s --check-prefix=ANY
// A table written by one run gives the next one the same attributes
// without running the model (no inputs needed).
// RUN: quant-opt %s --qc-calibrate="inputs=%t.npz method=percentile percentile=50 table-out=%t.json channel-means=false" -o /dev/null
// RUN: %python -c "import json,sys; t=json.load(open(sys.argv[1])); print(sorted(t['layers']))" %t.json | FileCheck %s --check-prefix=TABLE
// RUN: quant-opt %s --qc-calibrate="table=%t.json" | FileCheck %s --check-prefix=PCT
// RUN: quant-opt %s --qc-quantize-pipeline="format=int8 calib-table=%t.json" | FileCheck %s --check-prefix=PIPE
// RUN: not quant-opt %s --qc-calibrate="table=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=NOTABLE
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.npz method=kl" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.npz method=percentile percentile=0" 2>&1 | FileCheck %s --check-prefix=PERCENT
// RUN: not quant-opt %s --qc-calibrate="inputs=%t.npz format=mxfp3" 2>&1 | FileCheck %s --check-prefix=FORMAT

// MINMAX-NOT: qc.lhs_range
// MINMAX: qc.matmul {{.*}}qc.lhs_stats = #qc.stats<min = -2.000000e+00 : f32, max = 8.000000e+00 : f32
// Half of the 8 |x| values (0.25 0.5 0.5 1 | 1 2 3 8) are <= 1: the clip is
// the first bin edge above 1 (2048 bins over [0, 8], width 1/256).
// PCT: qc.matmul {{.*}}{qc.calib_method = "percentile", qc.lhs_range = #qc.stats<min = -1.00390625 : f32, max = 1.00390625 : f32
// ANY: qc.matmul {{.*}}qc.calib_method = "{{entropy|mse}}", qc.lhs_range = #qc.stats<
// TABLE: ['qc.matmul#0']
// PIPE: qc.quantize_linear
// PIPE: qc.matmul {{.*}}qc.act_scheme
// NOTABLE: calibration table '{{.*}}missing.json': No such file or directory
// BATCHDIR: qc-calibrate: batch=1 splits one .npz or random samples; the files of directory '{{.*}}dir' are its batches
// BATCHNEG: qc-calibrate: batch=-2 must be >= 0 (0: all samples in one run)
// EMPTY: calibration directory '{{.*}}empty' has no .npz or .npy files
// METHOD: unknown calibration method 'kl'; known: minmax, percentile, entropy, mse
// PERCENT: percentile must be in (0, 100], got 0
// FORMAT: unknown format 'mxfp3'; known formats: mxfp8
func.func @main(%x: tensor<?x4xf32> {qc.name = "x"}) -> (tensor<?x4xf32> {qc.name = "y"}) {
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  %0 = qc.matmul %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
