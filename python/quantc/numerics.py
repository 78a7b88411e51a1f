"""quantc.numerics: the compiler's number formats and codecs on numpy arrays.

Every function calls quantc's C++ Numerics library, the one the passes, the
Executor and the package writer use, so codes and scales are bit-identical
to what the compiler produces. The rules (rounding, saturation, MX shared
exponents, NaN handling, ...) are written in docs/Formats.md with labels
F1, F2, ...

Element formats are named by their MLIR type spelling: ``f8E4M3FN``,
``f8E5M2``, ``f6E2M3FN``, ``f6E3M2FN``, ``f4E2M1FN``, ``f8E8M0FNU``,
``ue4m3``, ``bf16``, ``f16``, ``i8``, ``ui8``, ``i4``, ``ui4`` (and ``f32``
for :func:`round_to`); :func:`formats` lists them.

Codes are one per byte (uint8), unpacked: a float format's code is its bit
pattern, an integer code from the linear codecs holds the value in two's
complement (i4 -3 is 0xFD; ``codes.view(np.int8)`` gives the values), and
:func:`encode` returns an integer format's code in its low ``bits`` bits.
16-bit formats (bf16, f16) give uint16 codes. :func:`pack4` packs 4-bit
codes two per byte as packages store them.

Two levels:

* codecs: :func:`encode`/:func:`decode`, :func:`quantize_mx`,
  :func:`quantize_linear`, :func:`quantize_2d`, :func:`quantize_nvfp4` and
  their inverses;
* schemes: :func:`quantize` / :func:`dequantize` take a scheme preset
  (``"mxfp8"``, ``"nvfp4"``, ``"int4-g128"``, ...) or a ``#qc.scheme<...>``
  and pick the codec the scheme names, with scales from the data
  (absmax; asymmetric integer schemes use min/max).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from . import _quantc

_nx = _quantc.numerics

__all__ = ["QuantizedTensor", "Scheme", "decode", "dequantize",
           "dequantize_2d", "dequantize_linear", "dequantize_mx",
           "dequantize_nvfp4", "encode", "format_info", "formats",
           "gemm_fp8", "linear_params", "mx_shared_scale", "pack4", "quantize",
           "quantize_2d", "quantize_linear", "quantize_mx", "quantize_nvfp4",
           "round_to", "scheme", "unpack4"]


def formats() -> list:
    """Names of every element format."""
    return list(_nx.formats())


def format_info(fmt: str) -> dict:
    """Properties of a format: bits, max_finite, min_normal, min_positive,
    exponent/mantissa bits, bias, emax, has_inf, has_nan, qmin/qmax."""
    return _nx.format_info(fmt)


def encode(x, fmt: str, saturate: bool = True) -> np.ndarray:
    """Codes of ``x`` (cast to float32) in ``fmt``: round half to even;
    ``saturate`` clamps overflow and +-Inf to +-max finite (ONNX
    saturate=1), otherwise overflow gives Inf or NaN where the format has
    them (F2-F9)."""
    return _nx.encode(x, fmt, saturate)


def decode(codes, fmt: str) -> np.ndarray:
    """float32 values of ``codes`` (an integer array) in ``fmt`` (bits
    above the format's width are ignored)."""
    codes = np.asarray(codes)
    if codes.dtype.kind not in "iub":
        raise ValueError(f"codes must be an integer array, got "
                         f"{codes.dtype}")
    return _nx.decode(codes, fmt)


def round_to(x, fmt: str, saturate: bool = True) -> np.ndarray:
    """``decode(encode(x))``: the value after a cast to ``fmt``."""
    return _nx.round_to(x, fmt, saturate)


def pack4(codes) -> np.ndarray:
    """Packs 4-bit codes (flattened) two per byte, element 2i in the low
    nibble (F16)."""
    return _nx.pack4(np.ravel(codes))


def unpack4(packed, n: int) -> np.ndarray:
    """Inverse of :func:`pack4`: ``n`` codes, one per byte."""
    return _nx.unpack4(np.ravel(packed), int(n))


def mx_shared_scale(amax: float, elem: str = "f8E4M3FN",
                    mode: str = "floor") -> int:
    """E8M0 code of the shared scale of an MX block whose max |x| is
    ``amax`` (F12-F14)."""
    return _nx.mx_shared_scale(float(amax), elem, mode)


def quantize_mx(x, elem: str = "f8E4M3FN", block: int = 32,
                mode: str = "floor") -> Tuple[np.ndarray, np.ndarray]:
    """OCP MX quantization along the last axis in blocks of ``block``
    (F15-F17): returns ``(codes, scales)``, codes shaped like ``x``, E8M0
    scale codes shaped like ``x`` with the last axis ``ceil(k / block)``.
    ``mode``: ``"floor"`` (OCP v1.0) or ``"ceil"`` (no clipping)."""
    return _nx.quantize_mx(x, elem, int(block), mode)


def dequantize_mx(codes, scales, elem: str = "f8E4M3FN",
                  block: int = 32) -> np.ndarray:
    """Inverse of :func:`quantize_mx` (F18)."""
    return _nx.dequantize_mx(codes, scales, elem, int(block))


def _layout_scale_shape(shape, axis, block_size):
    if axis is None:
        return [1]
    rank = len(shape)
    if not -rank <= axis < rank:
        raise ValueError(f"axis {axis} out of range for rank {rank}")
    axis %= rank
    if block_size == 0:
        return [shape[axis]]
    s = list(shape)
    s[axis] = -(-s[axis] // block_size)
    return s


def linear_params(x, fmt: str = "i8", axis: Optional[int] = None,
                  block_size: int = 0, asymmetric: bool = False
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Scales and zero points for :func:`quantize_linear` from the data
    (F30): per tensor (``axis=None``), per axis (``axis``), or blocked along
    ``axis`` (``block_size > 0``). Symmetric: scale = absmax / max; an
    asymmetric integer format takes the min/max range. Returns
    ``(scale, zero_point)``, the zero point as uint8 codes."""
    x = np.asarray(x, dtype=np.float32)
    shape = _layout_scale_shape(x.shape, axis, block_size)
    return _nx.linear_params(x, shape, 0 if axis is None else axis,
                             int(block_size), fmt, asymmetric)


def quantize_linear(x, scale, zero_point=None, fmt: str = "i8",
                    axis: int = 1, block_size: int = 0,
                    saturate: bool = True) -> np.ndarray:
    """ONNX QuantizeLinear (F23, F24): ``saturate(round(x / scale) +
    zero_point)``. The scale's shape selects per-tensor, per-axis or blocked
    as in ONNX (F21). Returns uint8 codes."""
    zp = None if zero_point is None else np.asarray(zero_point)
    if zp is not None and zp.dtype == np.int8:
        zp = zp.view(np.uint8)
    return _nx.quantize_linear(x, np.asarray(scale, dtype=np.float32), zp,
                               int(axis), int(block_size), fmt, saturate)


def dequantize_linear(codes, scale, zero_point=None, fmt: str = "i8",
                      axis: int = 1, block_size: int = 0) -> np.ndarray:
    """ONNX DequantizeLinear (F25): ``(code - zero_point) * scale``."""
    codes = np.asarray(codes)
    if codes.dtype == np.int8:
        codes = codes.view(np.uint8)
    zp = None if zero_point is None else np.asarray(zero_point)
    if zp is not None and zp.dtype == np.int8:
        zp = zp.view(np.uint8)
    return _nx.dequantize_linear(codes, np.asarray(scale, dtype=np.float32),
                                 zp, int(axis), int(block_size), fmt)


def quantize_2d(x, block: Sequence[int] = (128, 128),
                fmt: str = "f8E4M3FN") -> Tuple[np.ndarray, np.ndarray]:
    """Symmetric absmax quantization of a 2-D array in ``block`` tiles
    (F27; DeepSeek-V3: 128x128 weights, 1x128 activations): returns
    ``(codes, scales)``, scales float32 ``[ceil(rows/br), ceil(cols/bc)]``."""
    br, bc = block
    return _nx.quantize_2d(x, int(br), int(bc), fmt)


def dequantize_2d(codes, scales, block: Sequence[int] = (128, 128),
                  fmt: str = "f8E4M3FN") -> np.ndarray:
    """Inverse of :func:`quantize_2d`."""
    br, bc = block
    return _nx.dequantize_2d(codes, scales, int(br), int(bc), fmt)


def gemm_fp8(a, b, sa, sb, scales: str = "1x128",
             split_k: int = 1) -> np.ndarray:
    """What the sm_90a FP8 GEMM kernel computes (F33): ``a`` [M, K] and
    ``b`` [N, K] E4M3FN codes (uint8; ``b`` is the transposed weight) times
    float32 scales, returns C [M, N] float32. ``scales``:

    * ``"1x128"`` (DeepSeek-V3): ``sa`` [M, ceil(K/128)], ``sb``
      [ceil(N/128), ceil(K/128)]; each 128-wide K block's exact sum is
      rounded to f32 and promoted, ``acc = fmaf(p, sa*sb, acc)``, in block
      order;
    * ``"per-channel"``: ``sa`` [M] (per token), ``sb`` [N]; ``C = f32(sum)
      * (sa*sb)``;
    * ``"per-tensor"``: ``sa``, ``sb`` one value each.

    ``split_k`` > 1 is the split-K kernel's order: split z sums K blocks
    [z*P, (z+1)*P) (P = ceil(KB / split_k)) as above (1x128: its own
    promotion chain; otherwise its exact sum rounded once), the partials
    are added in f32 in split order from +0, then the per-tensor or
    per-channel factor multiplies the total.

    The GPU's tensor cores sum a block with less precision than this exact
    reference; scripts/gpu_hopper_gemm.py states the tolerance."""
    return _nx.gemm_fp8(np.ascontiguousarray(a, np.uint8),
                        np.ascontiguousarray(b, np.uint8),
                        np.ascontiguousarray(sa, np.float32),
                        np.ascontiguousarray(sb, np.float32), scales,
                        int(split_k))


def quantize_nvfp4(x) -> Tuple[np.ndarray, np.ndarray, float]:
    """NVFP4 (F28) along the last axis: E2M1 codes, one UE4M3 scale per 16
    elements and one float32 tensor scale: ``(codes, scales,
    tensor_scale)``."""
    return _nx.quantize_nvfp4(x)


def dequantize_nvfp4(codes, scales, tensor_scale: float) -> np.ndarray:
    """``decode(E2M1, code) * decode(UE4M3, scale) * tensor_scale``."""
    return _nx.dequantize_nvfp4(codes, scales, float(tensor_scale))


@dataclass(frozen=True)
class Scheme:
    """A quantization scheme (``#qc.scheme<...>``): element and scale types
    (MLIR spellings), the block over the trailing dimensions (empty: one
    scale per tensor; 0: the whole extent), symmetric or not."""
    element_type: str
    scale_type: str
    block: tuple
    symmetric: bool
    text: str

    @staticmethod
    def _from_dict(d) -> "Scheme":
        return Scheme(d["element_type"], d["scale_type"], tuple(d["block"]),
                      bool(d["symmetric"]), d["text"])

    def __str__(self) -> str:
        return self.text


def scheme(name_or_text: str) -> Scheme:
    """Parses a preset name (``"mxfp8"``, ``"nvfp4"``, ``"int8"``,
    ``"int4-g128"``, ``"fp8-1x128"``, ...) or ``#qc.scheme<...>`` text."""
    if isinstance(name_or_text, Scheme):
        return name_or_text
    return Scheme._from_dict(_nx.parse_scheme(str(name_or_text)))


_parse_scheme = scheme  # quantize()'s argument shadows the name


@dataclass
class QuantizedTensor:
    """What :func:`quantize` returns. ``codec`` says which codec the scheme
    selected: ``"cast"`` (bf16/f16: codes only), ``"mx"``, ``"nvfp4"``
    (``tensor_scale`` set), ``"per-tensor"``, ``"per-axis"``, ``"blocked"``
    (``axis``, ``block_size``) or ``"2d"`` (``block``)."""
    scheme: Scheme
    codec: str
    codes: np.ndarray
    scales: Optional[np.ndarray] = None
    zero_points: Optional[np.ndarray] = None
    tensor_scale: Optional[float] = None
    axis: int = 0
    block_size: int = 0
    block: tuple = ()


def _full_block(s: Scheme, shape) -> list:
    """The scheme's block per dimension of ``shape`` (leading dims it does
    not cover: 1; entry 0: the whole extent)."""
    rank = len(shape)
    if len(s.block) > rank:
        raise ValueError(f"scheme {s} has a block of rank {len(s.block)}, "
                         f"more than the tensor's rank {rank}")
    b = [1] * (rank - len(s.block)) + list(s.block)
    return [shape[d] if b[d] == 0 else b[d] for d in range(rank)]


def _per_tensor(x, s: Scheme, asym: bool) -> QuantizedTensor:
    scale, zp = linear_params(x, s.element_type, None, 0, asym)
    zp = zp if asym else None
    return QuantizedTensor(s, "per-tensor",
                           quantize_linear(x, scale, zp, s.element_type),
                           scale, zp)


def quantize(x, scheme: "str | Scheme") -> QuantizedTensor:
    """Quantizes ``x`` as the scheme says, with the compiler's codecs:

    * E8M0 scales (mxfp8, mxfp6, mxfp4, mxint8): :func:`quantize_mx` along
      the last axis;
    * E2M1 with E4M3 scales in blocks of 16 (nvfp4): :func:`quantize_nvfp4`;
    * f32 scales: one scale (``int8``, ``fp8``) -> per tensor; blocks along
      one axis (``int4-g128``, ``fp8-1x128``) -> blocked; one scale per
      index of one axis (block 1 there, 0 elsewhere) -> per axis; a 2-D
      tile (``#qc.scheme<f8E4M3FN, scale = f32, block = [128, 128]>``) ->
      :func:`quantize_2d`. Scales are absmax (min/max when asymmetric).
    * bf16: a cast.
    """
    s = _parse_scheme(scheme)
    x = np.asarray(x, dtype=np.float32, order="C")
    et, st = s.element_type, s.scale_type
    if et in ("bf16", "f16"):
        return QuantizedTensor(s, "cast", encode(x, et))
    if st == "f8E8M0FNU":
        b = _full_block(s, x.shape or (1,))
        if any(v != 1 for v in b[:-1]):
            raise ValueError(f"MX scheme {s}: blocks must run along the last "
                             f"axis only")
        codes, scales = quantize_mx(x, et, b[-1])
        return QuantizedTensor(s, "mx", codes, scales, block_size=b[-1])
    if et == "f4E2M1FN" and st == "f8E4M3FN":
        b = _full_block(s, x.shape or (1,))
        if b[-1] != 16 or any(v != 1 for v in b[:-1]):
            raise ValueError(f"NVFP4 scheme {s}: blocks of 16 along the last "
                             f"axis")
        codes, scales, ts = quantize_nvfp4(x)
        return QuantizedTensor(s, "nvfp4", codes, scales, tensor_scale=ts,
                               block_size=16)
    if st != "f32":
        raise ValueError(f"scheme {s}: no codec for {st} scales")
    asym = not s.symmetric
    if not s.block or x.ndim == 0:
        return _per_tensor(x, s, asym)
    b = _full_block(s, x.shape)
    dims = range(x.ndim)
    if all(b[d] >= x.shape[d] for d in dims):  # one block: per tensor
        return _per_tensor(x, s, asym)
    zp_if = (lambda z: z) if asym else (lambda z: None)
    # Per axis: one scale per index of one axis (block 1), whole elsewhere.
    split = [d for d in dims if b[d] < x.shape[d]]
    if len(split) == 1 and b[split[0]] == 1:
        axis = split[0]
        scale, zp = linear_params(x, et, axis, 0, asym)
        return QuantizedTensor(s, "per-axis",
                               quantize_linear(x, scale, zp_if(zp), et, axis),
                               scale, zp_if(zp), axis=axis)
    # Blocked: blocks along one axis, block 1 along every other (ONNX).
    wide = [d for d in dims if b[d] != 1]
    if len(wide) == 1:
        axis = wide[0]
        scale, zp = linear_params(x, et, axis, b[axis], asym)
        return QuantizedTensor(s, "blocked",
                               quantize_linear(x, scale, zp_if(zp), et, axis,
                                               b[axis]),
                               scale, zp_if(zp), axis=axis,
                               block_size=b[axis])
    if x.ndim == 2 and s.symmetric:
        codes, scales = quantize_2d(x, (b[0], b[1]), et)
        return QuantizedTensor(s, "2d", codes, scales, block=(b[0], b[1]))
    raise ValueError(f"scheme {s} on a tensor of shape {x.shape}: no codec "
                     f"(2-D tiles are symmetric and 2-D only)")


def dequantize(q: QuantizedTensor) -> np.ndarray:
    """Inverse of :func:`quantize`: float32 values."""
    et = q.scheme.element_type
    if q.codec == "cast":
        return decode(q.codes, et)
    if q.codec == "mx":
        return dequantize_mx(q.codes, q.scales, et, q.block_size)
    if q.codec == "nvfp4":
        return dequantize_nvfp4(q.codes, q.scales, q.tensor_scale)
    if q.codec == "per-tensor":
        return dequantize_linear(q.codes, q.scales, q.zero_points, et)
    if q.codec == "per-axis":
        return dequantize_linear(q.codes, q.scales, q.zero_points, et, q.axis)
    if q.codec == "blocked":
        return dequantize_linear(q.codes, q.scales, q.zero_points, et, q.axis,
                                 q.block_size)
    if q.codec == "2d":
        return dequantize_2d(q.codes, q.scales, q.block, et)
    raise ValueError(f"unknown codec '{q.codec}'")
