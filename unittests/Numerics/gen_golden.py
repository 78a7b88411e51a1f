#!/usr/bin/env python3
"""Generates golden.bin: f32 -> code vectors from ml_dtypes (docs/Formats.md F19).

Run with the repo venv:  .venv/bin/python unittests/Numerics/gen_golden.py
Deterministic (fixed seed); rerun only when adding formats or cases.

File layout (little-endian):
  b"QCGOLD1\\n"
  u32 number of sections, then per section:
    u8 name length, name (MLIR spelling, e.g. "f8E4M3FN")
    u32 nEnc, nEnc x u32 input f32 bits, nEnc x u8 expected code (ml_dtypes cast)
    u32 nDec (= 2^bits), nDec x u32 f32 bits of ml_dtypes' value of each code
"""
import os
import struct

import ml_dtypes
import numpy as np

FORMATS = [
    ("f8E4M3FN", ml_dtypes.float8_e4m3fn, 8),
    ("f8E5M2", ml_dtypes.float8_e5m2, 8),
    ("f6E2M3FN", ml_dtypes.float6_e2m3fn, 6),
    ("f6E3M2FN", ml_dtypes.float6_e3m2fn, 6),
    ("f4E2M1FN", ml_dtypes.float4_e2m1fn, 4),
    ("f8E8M0FNU", ml_dtypes.float8_e8m0fnu, 8),
]

RANDOM_PER_FORMAT = 3000
RANDOM_BITS_PER_FORMAT = 1000


def f32(v):
    with np.errstate(over="ignore"):  # beyond f32 range -> +-inf, on purpose
        return np.asarray(v, dtype=np.float64).astype(np.float32)


def inputs_for(dtype, bits, rng):
    codes = np.arange(2**bits, dtype=np.uint8)
    vals = codes.view(dtype).astype(np.float64)
    finite = np.unique(np.abs(vals[np.isfinite(vals)]))
    finite.sort()
    vmax = finite[-1]
    cands = [finite, -finite]
    # Midpoints between adjacent values, and one past the max (half an ulp of
    # the top binade above max): ties must round to even / overflow.
    mids = (finite[:-1] + finite[1:]) / 2
    top = vmax + (vmax - finite[-2]) / 2
    mids = np.append(mids, top)
    cands += [mids, -mids]
    base = f32(np.concatenate(cands))
    up = np.nextafter(base, np.float32(np.inf))
    down = np.nextafter(base, np.float32(-np.inf))
    special = f32(
        [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, vmax * 1.01, vmax * 2,
         -vmax * 2, 3.4028234663852886e38, -3.4028234663852886e38,
         1e-45, -1e-45, 1e-40, 2.0**-126, 2.0**-127, 1.5 * 2.0**-127,
         2.0**-128, 1.5 * 2.0**-128, 2.0**127, 1.5 * 2.0**127, 1.7e38])
    # Random magnitudes, log-uniform over the format's range and a bit beyond.
    lo = np.log2(finite[finite > 0][0]) - 4
    hi = np.log2(vmax) + 4
    mags = np.exp2(rng.uniform(lo, hi, RANDOM_PER_FORMAT))
    signs = rng.choice([-1.0, 1.0], RANDOM_PER_FORMAT)
    rnd = f32(mags * signs)
    rbits = rng.integers(0, 2**32, RANDOM_BITS_PER_FORMAT,
                         dtype=np.uint64).astype(np.uint32).view(np.float32)
    allv = np.concatenate([base, up, down, special, rnd, rbits]).astype(np.float32)
    ubits = np.unique(allv.view(np.uint32))
    return ubits.view(np.float32)


def main():
    rng = np.random.default_rng(20240601)
    out = bytearray(b"QCGOLD1\n")
    out += struct.pack("<I", len(FORMATS))
    for name, dtype, bits in FORMATS:
        x = inputs_for(dtype, bits, rng)
        with np.errstate(invalid="ignore", over="ignore"):
            codes = x.astype(dtype).view(np.uint8)
            dec = np.arange(2**bits, dtype=np.uint8).view(dtype).astype(np.float32)
        out += struct.pack("<B", len(name)) + name.encode()
        out += struct.pack("<I", len(x))
        out += x.view(np.uint32).astype("<u4").tobytes()
        out += codes.astype(np.uint8).tobytes()
        out += struct.pack("<I", len(dec))
        out += dec.view(np.uint32).astype("<u4").tobytes()
        print(f"{name}: {len(x)} inputs")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.bin")
    with open(path, "wb") as f:
        f.write(out)
    print(f"wrote {path} ({len(out)} bytes)")


if __name__ == "__main__":
    main()
