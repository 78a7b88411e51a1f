"""Writes an .npz from `name=[[...]]` arguments (float32), for lit tests."""
import ast
import sys

import numpy as np

out = sys.argv[1]
arrays = {}
for spec in sys.argv[2:]:
    name, value = spec.split("=", 1)
    arrays[name] = np.array(ast.literal_eval(value), dtype=np.float32)
np.savez(out, **arrays)
