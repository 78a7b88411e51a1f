// qc-calibrate{hessian}: a matmul whose input has more than 8192 channels
// gets no Hessian (K x K f64 would be over 512 MiB), with a remark, and
// GPTQ rounds it to nearest.
// RUN: quant-opt %s --qc-calibrate="random-samples=1 hessian=true" 2>&1 | FileCheck %s
// CHECK: remark: no Hessian recorded (GPTQ will round this layer to nearest): its input has 8193 channels, more than 8192
// CHECK-NOT: qc.lhs_hessian
func.func @main(%x: tensor<?x8193xf32> {qc.name = "x"}) -> (tensor<?x1xf32> {qc.name = "y"}) {
  %w = arith.constant dense<0.5> : tensor<8193x1xf32>
  %0 = qc.matmul %x, %w : (tensor<?x8193xf32>, tensor<8193x1xf32>) -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}
