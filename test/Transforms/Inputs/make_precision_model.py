"""Prints a module for assign-precision.mlir: y1 = x @ w1, y2 = x @ w2 with
pseudo-random weights [128, 8]; w2 is 100x larger, so its output (and any
error in it) dominates the model's relative error."""
import math


def weights(seed, scale):
    vals = [scale * math.sin(seed * 12.9898 + i * 78.233) for i in range(128 * 8)]
    rows = [", ".join(f"{v:.6f}" for v in vals[r * 8:(r + 1) * 8]) for r in range(128)]
    return "[" + ", ".join(f"[{r}]" for r in rows) + "]"


print(f"""func.func @main(%x: tensor<?x128xf32> {{qc.name = "x"}}) -> (tensor<?x8xf32> {{qc.name = "y1"}}, tensor<?x8xf32> {{qc.name = "y2"}}) {{
  %w1 = arith.constant dense<{weights(1, 1.0)}> : tensor<128x8xf32>
  %w2 = arith.constant dense<{weights(2, 100.0)}> : tensor<128x8xf32>
  %0 = qc.matmul %x, %w1 : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  %1 = qc.matmul %x, %w2 : (tensor<?x128xf32>, tensor<128x8xf32>) -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}}""")
