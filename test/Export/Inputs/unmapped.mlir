func.func @main(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %w = qc.weight "w" {offset = 0 : i64, size = 64 : i64} : tensor<2x8xf32>
  %0 = arith.addf %x, %w : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
