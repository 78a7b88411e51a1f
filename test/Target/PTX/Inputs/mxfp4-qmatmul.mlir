func.func @main(%a: tensor<4x64xf4E2M1FN>, %as: tensor<4x2xf8E8M0FNU>, %b: tensor<16x64xf4E2M1FN>, %bs: tensor<16x2xf8E8M0FNU>) -> tensor<4x16xf32> {
  %0 = qc.qmatmul %a, %as, %b, %bs {acc_type = f32, lhs_scheme = #qc.scheme<"mxfp4">, rhs_scheme = #qc.scheme<"mxfp4">} : (tensor<4x64xf4E2M1FN>, tensor<4x2xf8E8M0FNU>, tensor<16x64xf4E2M1FN>, tensor<16x2xf8E8M0FNU>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}
