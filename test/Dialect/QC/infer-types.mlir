// RUN: quant-opt %s | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// The broadcasting binary ops infer their result type (the operands'
// broadcast shape; their element type, i1 for comparisons, the base's for
// pow). A declared type may be more static than the inferred one, or less;
// invalid.mlir / invalid-math.mlir hold the mismatches.

// CHECK-LABEL: func.func @broadcast
func.func @broadcast(%a: tensor<?x4xf32>, %b: tensor<3x1xf32>, %e: tensor<1xi64>,
                     %u: tensor<4xui8>, %s: tensor<1xui8>, %i: tensor<2x3xi32>) {
  // CHECK: qc.add %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %0 = qc.add %a, %b : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  // CHECK: qc.mul %{{.*}}, %{{.*}} : (tensor<3x1xf32>, tensor<3x1xf32>) -> tensor<?x1xf32>
  %1 = qc.mul %b, %b : (tensor<3x1xf32>, tensor<3x1xf32>) -> tensor<?x1xf32>
  // CHECK: qc.less %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xi1>
  %2 = qc.less %a, %b : (tensor<?x4xf32>, tensor<3x1xf32>) -> tensor<3x4xi1>
  // CHECK: qc.pow %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<?x4xf32>
  %3 = qc.pow %a, %e : (tensor<?x4xf32>, tensor<1xi64>) -> tensor<?x4xf32>
  // CHECK: qc.bit_shift %{{.*}}, %{{.*}} {direction = #qc.shift_direction<RIGHT>} : (tensor<4xui8>, tensor<1xui8>) -> tensor<4xui8>
  %4 = qc.bit_shift %u, %s {direction = #qc.shift_direction<RIGHT>} : (tensor<4xui8>, tensor<1xui8>) -> tensor<4xui8>
  // CHECK: qc.mod %{{.*}}, %{{.*}} {fmod = false} : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  %5 = qc.mod %i, %i {fmod = false} : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  // CHECK: qc.max %{{.*}}, %{{.*}} : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  %z = qc.reduce_max %b {axes = array<i64: 0, 1>, keepdims = false} : (tensor<3x1xf32>) -> tensor<f32>
  %6 = qc.max %z, %b : (tensor<f32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  return
}
