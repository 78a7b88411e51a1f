#!/usr/bin/env python3
"""Regenerates the tiny numpy-written fixtures used by NpzTest.cpp.

Run with the project venv:  .venv/bin/python unittests/Support/make_npz_fixtures.py
The files are checked in under fixtures/ (the zips carry the write time, so
regenerating changes their bytes, not their content). They are kept exactly as
numpy wrote them (np.savez uses zip64 local extra fields).
Values here must match the expectations in NpzTest.cpp.
"""
import os
import zipfile

import numpy as np

try:
    import ml_dtypes
except ImportError:  # only needed for the bf16 / float8 fixtures
    ml_dtypes = None

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def arrays():
    d = {}
    d["f32"] = np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5
    d["i64"] = np.array([-1, 2**40], dtype=np.int64)
    d["flags"] = np.array([True, False, True])
    d["scalar"] = np.array(3.5, dtype=np.float64)          # 0-d
    d["empty"] = np.zeros((0, 3), dtype=np.int16)           # empty
    d["u8"] = np.arange(5, dtype=np.uint8)
    d["f16"] = np.array([1.0, -2.0, 0.5], dtype=np.float16)
    d["fort"] = np.arange(6, dtype=np.int32).reshape(2, 3).T  # fortran_order True
    if ml_dtypes is not None:
        d["bf16"] = np.array([1.0, -2.0], dtype=ml_dtypes.bfloat16)  # '<V2'
    return d


def save_npy(name, arr, version=None, allow_pickle=False):
    with open(os.path.join(HERE, name), "wb") as f:
        if version is None:
            np.save(f, arr, allow_pickle=allow_pickle)
        else:
            np.lib.format.write_array(f, arr, version=version,
                                      allow_pickle=allow_pickle)


def main():
    os.makedirs(HERE, exist_ok=True)
    a = arrays()
    np.savez(os.path.join(HERE, "savez.npz"), **a)
    np.savez_compressed(os.path.join(HERE, "savez_compressed.npz"), **a)
    save_npy("v2.npy", np.arange(4, dtype=np.float64), version=(2, 0))
    save_npy("v3.npy", np.array([[-3, 4]], dtype=np.int8), version=(3, 0))
    save_npy("scalar.npy", np.array(7, dtype=np.int32))
    save_npy("bigendian.npy", np.array([1.0, 2.0], dtype=">f4"))
    save_npy("object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    save_npy("structured.npy",
             np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))
    if ml_dtypes is not None:
        save_npy("float8.npy", np.zeros(3, dtype=ml_dtypes.float8_e4m3fn))


if __name__ == "__main__":
    main()
