func.func @main(%a: tensor<4x64xi8>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<16x64xi8>, %bs: tensor<16x2xf8E8M0FNU>) -> tensor<4x16xf32> {
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxint8">, rhs_scheme = #qc.scheme<"mxint8">} : (tensor<4x64xi8>, tensor<4x2xf8E8M0FNU>, tensor<16x64xi8>, tensor<16x2xf8E8M0FNU>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}
