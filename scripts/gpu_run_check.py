#!/usr/bin/env python3
"""GPU check and benchmark of whole packages (issue 13): each bundled example
whose graph has a GPU program runs on the GPU and is compared with the CPU
Executor, and timed against the same float model in PyTorch.

Runs ON A GPU MACHINE (CUDA driver, python3, numpy; PyTorch optional, for
the baseline; no LLVM/MLIR): everything it needs was prepared here by

    scripts/gpu_run_check.sh [BUILD_DIR [OUT_DIR]]    (default build/gpu_run)

then, on the device (one call; OUT_DIR must lie inside the repo tree):

    python3 scripts/gpu_run_check.py --dir OUT_DIR [--repeat 200]
    python3 scripts/gpu_run_check.py --dir OUT_DIR --cpu-only   # here: no GPU

For each package (OUT_DIR/<model>.qcpkg) and batch it
1. runs the program step by step on the GPU (driver API through ctypes, the
   launcher in scripts/qcpkg_program.py: the manifest's arena, args and
   grids), and after each step compares the step's GPU outputs with the
   numpy model of its kernel applied to the step's GPU inputs:
   quantize_mxfp8, dyn_quantize_<i>, dyn_qdq_<i>, ew_<i>, pool_<i>,
   gap_<i>, copy_b<n>, layout_<i>, topk_<i>, i8_gemm* and i8_conv* (the int8 GEMM:
   exact integer sums, then IEEE f32 operations),
   softmax_<i>, log_softmax_<i>, layer_norm_<i>, every reduce_<kind>_<i>
   must match
   bit for bit
   (docs/Kernels.md); mxfp8_gemm within 2^-10 of sum_k |a*b*sa*sb|
   (gpu_check.py's bound), conv_<i> (also transposed) and matmul_<i>
   within 2^-14 of sum |x*w| (with an epilogue, e.g. batch norm, ReLU and
   the next layer's quantize: within what the epilogue makes of that
   interval, conv_step_error), attention_<i> within 2^-10 of sum_k p_k |v_k|,
   lstm_<i>, gru_<i> and rnn_<i> within 1e-5 rel. RMS of the
   float64-product model;
2. compares the outputs with the Executor's (OUT_DIR/<model>.b<B>.ref.npz,
   computed here by quant-run): rel. RMS <= 1e-3 (a GEMM result that moves
   by an ulp can flip the next layer's quantized code; one flip changes an
   output by at most one e4m3 step of one product, far below 1e-3 of the
   output's RMS on these models);
3. times the warm program (all launches, one sync) over --repeat runs, the
   float ONNX model on ONNX Runtime's CUDA provider, and the float model in
   PyTorch bf16 eager and torch.compile where the small interpreter here
   covers its ops (the MLP: OUT_DIR/<model>.torch.npz + .torch.json,
   written from the ONNX file).

4. runs each package through libquantc_rt (runtime/; built on the device
   from the sources when a C++ compiler and cuda.h are there, else the
   OUT_DIR/libquantc_rt.so built here), through its C API by ctypes: the
   outputs against the Executor's, the warm latency with CUDA graphs, and
   the per-step times of a profiled run.

Exit code: 0 if every check passes, 1 if one fails, 2 on setup errors.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qcpkg_program as qp  # noqa: E402
from gpu_check import (E4M3, MINI, MX_EMAX, bf16_decode,  # noqa: E402
                       bf16_encode, mini_decode, mini_encode)

GEMM_TOL = 2.0 ** -10
# A conv output sums at most C/g * KH * KW (576 here) fp32 fma's; each
# rounds by 2^-24 of the running sum, so |gpu - exact| <= 576 * 2^-24 of
# sum |x*w| at worst.
CONV_TOL = 2.0 ** -14
E2E_TOL = 1e-3
# attention_<i> against the float64 model, over sum_k p_k |v_k| (see
# attention_error): fp32 score sums over D <= 128 are within ~2^-17 of
# sum |q k|, a score error of d a relative error ~d of its probability.
ATTN_TOL = 2.0 ** -10
# lstm_<i> (gru_<i>, rnn_<i>) against the float64-product model, rel.
# RMS per output: each
# gate sums I + H fp32 fma's (1e-7 relative each at worst, 1536 on
# ddddocr) and the recurrence carries a step's error into the next; the
# host run of ddddocr's 20-step, H = 512 LSTM is within 5e-7 (rel. RMS).
LSTM_TOL = 1e-5
# Where the epilogues' non-monotonic ops turn (conv_step_error): abs and a
# square at 0, SiLU's minimum at -1.2785, the GELUs' at -0.7518.
TURNS = (0.0, -1.2784645, -0.7517916)


# ---------------------------------------------------------------------------
# numpy MX codecs (the GPU machine has no quantc module): E4M3FN and E8M0
# ---------------------------------------------------------------------------



class NumpyMX:
    """quantize_mx / dequantize_mx for MX elements (e4m3, e2m1, e2m3, e3m2)
    with E8M0 scales, blocks of 32 along the last axis, in the integer
    arithmetic of the kernel (and of the Numerics library's quantizeMX,
    floor rule, saturating)."""

    @staticmethod
    def dequantize_mx(codes, scales, elem="f8E4M3FN", block=32):
        k = codes.shape[-1]
        s = scales.astype(np.int64)
        sc = np.where(s == 255, np.nan, np.exp2(s.astype(np.float64) - 127))
        sc = np.repeat(sc, block, axis=-1)[..., :k]
        return (mini_decode(codes, elem).astype(np.float64) * sc).astype(np.float32)

    @staticmethod
    def quantize_mx(x, elem="f8E4M3FN", block=32):
        x = np.ascontiguousarray(x, np.float32)
        k = x.shape[-1]
        nb = -(-k // block)
        pad = np.zeros(x.shape[:-1] + (nb * block,), np.float32)
        pad[..., :k] = x
        bits = pad.view(np.uint32).reshape(x.shape[:-1] + (nb, block))
        amax = (bits & 0x7FFFFFFF).max(axis=-1)
        special = amax >= 0x7F800000
        normal = amax >= 0x00800000
        e_norm = (amax >> 23).astype(np.int64) - 127
        e_sub = (amax.astype(np.float32).view(np.uint32) >> 23).astype(np.int64) - 276
        sc = np.clip(np.where(normal, e_norm, e_sub) + 127 - MX_EMAX[elem], 0,
                     254)
        sc = np.where(special, 255, sc)
        inv_bits = np.where(sc == 254, 0x00400000, (254 - np.minimum(sc, 254)) << 23)
        inv = inv_bits.astype(np.uint32).view(np.float32)
        with np.errstate(all="ignore"):  # Inf/NaN blocks: codes replaced below
            y = pad.reshape(x.shape[:-1] + (nb, block)) * inv[..., None]
        code = NumpyMX.encode(y, elem)
        # A NaN block: every code the format's NaN, or 0 without one.
        nan = mini_encode(np.float32(np.nan), elem)
        code = np.where(special[..., None], nan, code).astype(np.uint8)
        codes = code.reshape(x.shape[:-1] + (nb * block,))[..., :k]
        return np.ascontiguousarray(codes), sc.astype(np.uint8)

    @staticmethod
    def gemm_fp8(a, b, sa, sb, scales="1x128"):
        """F33 with 1x128 or per-channel scales (quantc.numerics.gemm_fp8's
        arithmetic) in numpy: a [M, K], b [N, K] e4m3 codes; 1x128: sa
        [M, KB], sb [ceil(N/128), KB]; per-channel: sa [M], sb [N], the
        exact sum (K below 2^17) rounded to f32 times f32(sa * sb). Each 128-wide K block's sum is exact in float64
        (e4m3 products are multiples of 2^-18 below 2^18; 128 of them need
        43 bits), rounded to f32 and promoted acc = f32(p * f32(sa * sb) +
        acc) (one rounding of the exact float64 value: fmaf's but for
        double-rounding ties)."""
        M, K = a.shape
        N = b.shape[0]
        ad, bd = E4M3[a].astype(np.float64), E4M3[b].astype(np.float64)
        if scales == "per-channel":
            # C = f32(the exact sum of K products) * f32(sa[m] * sb[n]).
            f = (np.asarray(sa, np.float32)[:, None] *
                 np.asarray(sb, np.float32)[None, :]).astype(np.float32)
            return ((ad @ bd.T).astype(np.float32) * f).astype(np.float32)
        if scales != "1x128":
            raise ValueError(f"no numpy model of {scales} scales")
        sbn = np.repeat(np.asarray(sb, np.float32), 128, axis=0)[:N]
        acc = np.zeros((M, N), np.float32)
        for kb in range(-(-K // 128)):
            blk = slice(kb * 128, (kb + 1) * 128)
            p = (ad[:, blk] @ bd[:, blk].T).astype(np.float32)
            f = (np.asarray(sa, np.float32)[:, kb:kb + 1] *
                 sbn[None, :, kb]).astype(np.float32)
            acc = (p.astype(np.float64) * f + acc).astype(np.float32)
        return acc

    @staticmethod
    def encode(x, fmt="f8E4M3FN", saturate=True):
        """Float codes (gpu_check.mini_encode, bf16_encode): what
        quantize_linear and casts to e4m3, e5m2, e2m1 and bf16 use."""
        if fmt == "bf16":
            return bf16_encode(x, saturate)
        if fmt not in MINI:
            raise ValueError(f"no numpy encoder for {fmt}")
        return mini_encode(x, fmt, saturate)

    @staticmethod
    def decode(codes, fmt="f8E4M3FN"):
        """float32 values of float codes (gpu_check.mini_decode,
        bf16_decode)."""
        if fmt == "bf16":
            return bf16_decode(codes)
        if fmt not in MINI:
            raise ValueError(f"no numpy decoder for {fmt}")
        return mini_decode(codes, fmt)


# ---------------------------------------------------------------------------
# The program on the GPU
# ---------------------------------------------------------------------------

class CudaProgram:
    """One package's program on the device: module, weights, an arena for
    one batch, launches from the manifest."""

    def __init__(self, cuda, pkg):
        self.cuda, self.pkg = cuda, pkg
        # The runtime's order: cubins of this architecture ('a' first), then
        # the PTX of the highest non-'a' target at or below it (JIT).
        chip = cuda.chip()
        cc = int(chip[3:])
        files = {f["target"]: f for f in pkg.manifest["kernel_files"]}
        cands = [(pkg.path / files[t]["cubin"], f"{t} cubin")
                 for t in (chip + "a", chip) if t in files and "cubin" in files[t]]
        # Arch-specific PTX JIT-compiles for its own architecture only.
        if chip + "a" in files:
            cands.append((pkg.path / files[chip + "a"]["ptx"],
                          f"{chip}a PTX (JIT)"))
        ok = [t for t in files if not t.endswith("a") and int(t[3:]) <= cc]
        if ok:
            t = max(ok, key=lambda t: int(t[3:]))
            cands.append((pkg.path / files[t]["ptx"], f"{t} PTX (JIT)"))
        errors = []
        self.mod = None
        for path, what in cands:
            try:
                self.mod = cuda.load_module(path.read_bytes())
                self.code = what
                break
            except RuntimeError as e:
                errors.append(f"{what}: {e}")
        if self.mod is None:
            raise RuntimeError(f"no loadable code for {chip} in {sorted(files)}: "
                               + "; ".join(errors))
        self.fns = {s["kernel"]: cuda.function(self.mod, s["kernel"])
                    for s in pkg.program["steps"]}
        # Dynamic shared memory above 48 KiB (the sm_90a GEMM's stages).
        for s in pkg.program["steps"]:
            if s.get("shared_bytes", 0) > 48 * 1024:
                cuda.allow_shared(self.fns[s["kernel"]], s["shared_bytes"])
        self.maps = []
        self.wptr = cuda.alloc(pkg.weights.nbytes).value
        cuda.htod(ctypes.c_uint64(self.wptr), pkg.weights)
        self.arena, self.arena_bytes, self.batch = None, 0, None

    def prepare(self, inputs):
        p, cuda = self.pkg.program, self.cuda
        batch = self.pkg.batch_of(inputs)
        offsets, total = qp.arena_layout(p, batch)
        if self.arena is None or total > self.arena_bytes:
            if self.arena is not None:
                cuda.free(ctypes.c_uint64(self.arena))
            self.arena = cuda.alloc(max(total, 256)).value
            self.arena_bytes = total
        self.batch = batch
        self.ptr = []
        for v in p["values"]:
            if v["kind"] == "weight":
                self.ptr.append(self.wptr + v["offset"])
            else:
                self.ptr.append(self.arena + offsets[v["slot"]])
        for i, v in enumerate(p["values"]):
            if v["kind"] == "input":
                x = np.ascontiguousarray(
                    inputs[self.pkg.manifest["inputs"][v["index"]]["name"]],
                    qp.DTYPE[v["dtype"]])
                cuda.htod(ctypes.c_uint64(self.ptr[i]), x)
        self.launches = []
        for m in self.maps:
            cuda.free(m)
        self.maps = []
        for step in p["steps"]:
            args = []
            for a in step["args"]:
                if "tensor_map" in a:
                    # As libquantc_rt: the value as [rows, last dim] bytes.
                    tm = a["tensor_map"]
                    v = p["values"][tm["value"]]
                    cols = v["shape"][-1]
                    rows = qp.value_bytes(v, batch) // cols
                    self.maps.append(cuda.tensor_map(
                        self.ptr[tm["value"]], max(rows, 1), cols, tm["box"],
                        tm["swizzle"]))
                    args.append(ctypes.c_uint64(self.maps[-1].value))
                elif "value" in a:
                    args.append(ctypes.c_uint64(self.ptr[a["value"]]))
                elif "i32" in a:
                    args.append(ctypes.c_int32(qp.linear(a["i32"], batch)))
                else:
                    args.append(ctypes.c_int64(qp.linear(a["i64"], batch)))
            grid = [qp.linear(g, batch) for g in step["grid"]]
            self.launches.append((self.fns[step["kernel"]], grid, step["block"],
                                  args, step.get("shared_bytes", 0)))

    def launch(self, i, sync=True):
        fn, grid, block, args, shared = self.launches[i]
        if min(grid) > 0:
            self.cuda.launch(fn, grid, block, args, sync=sync, shared=shared)

    def download(self, i):
        v = self.pkg.program["values"][i]
        shape = qp.value_shape(v, self.batch)
        if v["kind"] == "weight" and v["dtype"] in qp.PACKED4:
            # Two codes per byte in weights.bin: one per byte for the model.
            raw = np.empty(qp.value_bytes(v, self.batch), np.uint8)
            self.cuda.dtoh(raw, ctypes.c_uint64(self.ptr[i]))
            return qp.unpack4(raw, int(np.prod(shape)), v["dtype"]).view(
                qp.DTYPE[v["dtype"]]).reshape(shape)
        out = np.empty(shape, qp.DTYPE[v["dtype"]])
        self.cuda.dtoh(out, ctypes.c_uint64(self.ptr[i]))
        return out

    def outputs(self):
        return {self.pkg.manifest["outputs"][v["index"]]["name"]: self.download(i)
                for i, v in enumerate(self.pkg.program["values"])
                if v["kind"] == "output"}


def gemm_error(got, a, sa, w, sw, expr=None, extras=(),
               elements=("f8E4M3FN", "f8E4M3FN")):
    """max |got - ref| / sum_k |a*b*sa*sb| (gpu_check.py's measure); a
    fused epilogue is applied to the reference (bias, ReLU, ... move two
    values apart by at most their distance)."""
    M, K = a.reshape(-1, a.shape[-1]).shape
    ad = NumpyMX.dequantize_mx(a.reshape(M, K), sa.reshape(M, -1),
                               elements[0]).astype(np.float64)
    wd = NumpyMX.dequantize_mx(w, sw, elements[1]).astype(np.float64)
    ref = ad @ wd.T
    mag = np.abs(ad) @ np.abs(wd).T
    if expr:
        ref = qp.eval_expr(expr, [ref.astype(np.float32).reshape(got.shape)]
                           + list(extras), got.shape).reshape(M, -1)
    g = got.reshape(M, -1).astype(np.float64)
    # NaN where the reference is finite is an error (NaN), not skipped.
    d = np.where(np.isnan(ref) & np.isnan(g), 0.0, np.abs(g - ref))
    err = d / np.maximum(mag, 1e-30)
    return float(np.max(err)) if err.size else 0.0


def hopper_gemm_error(step, views, scalars):
    """The sm_90a GEMM step's error against the dequantized product in
    float64, over sum |a*b*sa*sb| (the tensor core's sums are within 2^-10
    of it): at most GEMM_TOL when the step is right. An fp8-1x128 output
    (codes and 1x128 scales) is decoded and allowed half an e4m3 step more
    (2^-4 of a normal value, 2^-10 of the scale for a subnormal one)."""
    a, b, sa, sb, out = views[:5]
    M, N, K = scalars
    kb = -(-K // 128)
    if step["attrs"]["scales"] == "per-channel":
        sa_el = np.float64(sa.reshape(-1)[0])
        sb_el = sb.reshape(N, 1).astype(np.float64)
    else:
        sa_el = np.repeat(sa.reshape(M, kb), 128, axis=1)[:, :K]
        sb_el = np.repeat(sb.reshape(N, kb)[::128].repeat(
            128, axis=0)[:N], 128, axis=1)[:, :K]
    ad = E4M3[a.reshape(M, K)].astype(np.float64) * sa_el
    bd = E4M3[b.reshape(N, K)].astype(np.float64) * sb_el
    ref = ad @ bd.T
    mag = np.abs(ad) @ np.abs(bd).T
    quantized = step["attrs"].get("output") == "fp8-1x128"
    if step.get("expr"):
        ref = qp.eval_expr(step["expr"], [ref.astype(np.float32).reshape(
            out.shape)] + list(views[8 if quantized else 5:]),
            out.shape).reshape(M, N)
    got = out.reshape(M, N).astype(np.float64)
    slack = 0.0
    if quantized:
        s_el = np.repeat(views[5].reshape(M, -1), 128, axis=1)[:, :N]
        got = E4M3[out.reshape(M, N)].astype(np.float64) * s_el
        slack = 2.0 ** -4 * np.abs(ref) + 2.0 ** -10 * s_el
    # NaN where the reference is finite fails (a NaN error).
    d = np.maximum(np.abs(got - ref) - slack, 0.0)
    d = np.where(np.isnan(ref) & np.isnan(got), 0.0, d)
    return float(np.max(d / np.maximum(mag, 1e-30), initial=0.0))


def conv_step_error(step, views):
    """A conv_<i> (also transposed) or matmul_<i> step's GPU output against
    the float64 product of its GPU inputs (an operand the kernel computes
    from a prologue, e.g. a weight's dequantize, evaluated by the model):
    None if it passes, else what is wrong. Without an epilogue the output
    must be within CONV_TOL of sum |x*w| of the product. With one (the
    chain after the op, in0 its result: batch norm, ReLU, the next layer's
    quantize and dequantize, ...) the op's own result is not stored, so the
    output must lie between the least and the greatest of the epilogue
    over the interval of the product +- CONV_TOL * sum |x*w|, sampled at
    nine points and at the points inside it where the chains' non-monotonic
    ops turn (0 for abs and x^2, SiLU's and GELU's minima): the chains' ops
    round monotonically, so a chain of monotonic ops maps the interval into
    this bracket exactly (codes too); a float output gets 2^-20 of its
    magnitude for a turn the samples miss (a turn after an affine op)."""
    k = step["kernel"]
    own, extras = qp.split_epilogue(step, views)
    own = qp.with_prologues(step, own, NumpyMX)
    out, x, w = own[0], own[1], own[2]
    if k.startswith("conv_"):
        bias = own[3] if len(own) > 3 else None
        absb = None if bias is None else np.abs(bias)
        if step["attrs"].get("transpose"):
            ref = qp.conv_transpose2d(step["attrs"], x, w, out.shape, bias)
            mag = qp.conv_transpose2d(step["attrs"], np.abs(x), np.abs(w),
                                      out.shape, absb)
        else:
            ref = qp.conv2d(step["attrs"], x, w, bias)
            mag = qp.conv2d(step["attrs"], np.abs(x), np.abs(w), absb)
    else:
        ref = np.matmul(x.astype(np.float64), w.astype(np.float64))
        mag = np.matmul(np.abs(x).astype(np.float64),
                        np.abs(w).astype(np.float64))
    ref = np.asarray(ref, np.float64).reshape(out.shape)
    mag = np.asarray(mag, np.float64).reshape(out.shape)
    if "expr" not in step:
        err = float(np.max(np.abs(out - ref) / np.maximum(mag, 1e-30),
                           initial=0.0))
        return None if err <= CONV_TOL else f"error {err:.3g} > {CONV_TOL:.3g}"
    down, up = ref - CONV_TOL * mag, ref + CONV_TOL * mag
    points = [ref + d * CONV_TOL * mag for d in np.linspace(-1.0, 1.0, 9)]
    points += [np.clip(t, down, up) for t in TURNS]
    at = [np.broadcast_to(np.asarray(qp.with_epilogue(
              step, p.astype(np.float32), extras, out.shape, NumpyMX),
              out.dtype), out.shape) for p in points]
    lo, hi = np.minimum.reduce(at), np.maximum.reduce(at)
    if np.issubdtype(out.dtype, np.floating):
        lo, hi, got = (a.astype(np.float64) for a in (lo, hi, out))
        slack = 2.0 ** -20 * np.maximum(np.abs(lo), np.abs(hi))
        with np.errstate(invalid="ignore"):
            bad = ((got < lo - slack) | (got > hi + slack) |
                   (np.isnan(got) != np.isnan(at[4])))
    else:
        bad = (out < lo) | (out > hi)
    n = int(np.count_nonzero(bad))
    if not n:
        return None
    first = np.unravel_index(int(np.argmax(bad.reshape(-1))), out.shape)
    return (f"{n} output(s) outside what the epilogue makes of the product "
            f"+- {CONV_TOL:.3g} sum |x*w|, e.g. at {tuple(map(int, first))}: "
            f"{out[first]} not in [{lo[first]}, {hi[first]}]")


def attention_error(step, views):
    """An attention_<i> step's error against the numpy model (products in
    float64), over sum_k p_k |v_k| of each output: the kernel's fp32 score
    sums move a score by a few ulps of sum_d |q k|, which the softmax turns
    into a relative error of each probability; at most ATTN_TOL when the
    step is right (a wrong index or mask moves outputs by O(1))."""
    out, q, kt, v = views[:4]
    mask = views[4] if len(views) > 4 else None
    attrs = step["attrs"]
    ref = qp.attention_rows(attrs, q, kt, v, mask).astype(np.float64)
    p = qp.attention_probs(attrs, q, kt, mask)
    mag = np.matmul(p.astype(np.float64), np.abs(v).astype(np.float64))
    d = np.abs(out.astype(np.float64) - ref)
    d = np.where(np.isnan(ref) & np.isnan(out), 0.0, d)
    return float(np.max(d / np.maximum(mag, 1e-30), initial=0.0))


def check_steps(prog, inputs):
    """Runs each step, downloads its operands and compares it with the numpy
    model on the same operands. Returns a list of failure strings."""
    p = prog.pkg.program
    prog.prepare(inputs)
    model = qp.NumpyBackend(NumpyMX)
    fails = []
    for i, step in enumerate(p["steps"]):
        prog.launch(i)
        ids = [qp.pointer_value(a) for a in step["args"]
               if qp.pointer_value(a) is not None]
        views = [prog.download(j) for j in ids]
        scalars = [a for a in prog.launches[i][3] if not isinstance(a, ctypes.c_uint64)]
        scalars = [s.value for s in scalars]
        k = step["kernel"]
        if k.startswith("fp8_gemm_"):
            err = hopper_gemm_error(step, views, scalars)
            if not err <= GEMM_TOL:
                fails.append(f"step {i} {k} ({step['layer']}): error {err:.3g} > {GEMM_TOL:.3g}")
            continue
        if k.startswith("attention_"):
            err = attention_error(step, views)
            if not err <= ATTN_TOL:
                fails.append(f"step {i} {k} ({step['layer']}): error {err:.3g} > {ATTN_TOL:.3g}")
            continue
        if k.startswith(("lstm_", "gru_", "rnn_")):
            want = [v.copy() for v in views]
            model.step(step, want, scalars)
            for o in qp.output_positions(step):
                err = rel_err(views[o], want[o])
                if not err <= LSTM_TOL:
                    fails.append(f"step {i} {k} ({step['layer']}): output {o} "
                                 f"rel. RMS {err:.3g} > {LSTM_TOL:.3g}")
            continue
        if k.startswith("mxfp8_gemm"):
            a, sa, w, sw, out = views[:5]
            err = gemm_error(out, a, sa, w, sw, step.get("expr"), views[5:],
                             step.get("attrs", {}).get(
                                 "elements", ("f8E4M3FN", "f8E4M3FN")))
            if not err <= GEMM_TOL:
                fails.append(f"step {i} {k} ({step['layer']}): error {err:.3g} > {GEMM_TOL:.3g}")
            continue
        if k.startswith(("conv_", "matmul_")):
            err = conv_step_error(step, views)
            if err:
                fails.append(f"step {i} {k} ({step['layer']}): {err}")
            continue
        outs = qp.output_positions(step)
        want = [v.copy() for v in views]
        model.step(step, want, scalars)
        for o in outs:
            g, r = views[o], want[o]
            same = np.array_equal(g.view(np.uint8), r.view(np.uint8))
            if not same:
                bad = int(np.sum(g.view(np.uint8) != r.view(np.uint8)))
                fails.append(f"step {i} {k} ({step['layer']}): {bad} byte(s) differ "
                             f"from the model")
    return fails


def time_program(prog, inputs, repeat):
    prog.prepare(inputs)
    for i in range(len(prog.launches)):
        prog.launch(i, sync=False)
    prog.cuda.sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(len(prog.launches)):
            prog.launch(i, sync=False)
        prog.cuda.sync()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e6


def torch_baseline(out_dir, name, x, repeat):
    """Median microseconds of the float model in bf16: eager and compiled."""
    try:
        import torch
    except ImportError:
        return None
    spec = json.loads((out_dir / f"{name}.torch.json").read_text())
    with np.load(out_dir / f"{name}.torch.npz") as z:
        w = {k: torch.tensor(z[k]).cuda().to(torch.bfloat16) for k in z.files}

    def model(inp):
        env = dict(w)
        env[spec["input"]] = inp
        for n in spec["nodes"]:
            a = [env[i] for i in n["inputs"]]
            if n["op"] == "MatMul":
                r = a[0] @ a[1]
            elif n["op"] == "Gemm":
                b = a[1].T if n.get("transB") else a[1]
                r = n.get("alpha", 1.0) * (a[0] @ b)
                if len(a) > 2:
                    r = r + n.get("beta", 1.0) * a[2]
            elif n["op"] == "Add":
                r = a[0] + a[1]
            elif n["op"] == "Relu":
                r = torch.relu(a[0])
            else:
                raise RuntimeError(f"torch baseline: no {n['op']}")
            env[n["output"]] = r
        return env[spec["output"]]

    xt = torch.tensor(x).cuda().to(torch.bfloat16)
    res = {}
    for label, fn in (("eager", model), ("compile", None)):
        if fn is None:
            try:
                fn = torch.compile(model)
            except Exception as e:  # noqa: BLE001 - report and go on
                res[label] = f"unavailable ({type(e).__name__})"
                continue
        with torch.no_grad():
            for _ in range(3):
                fn(xt)
            torch.cuda.synchronize()
            ts = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn(xt)
                torch.cuda.synchronize()
                ts.append(time.perf_counter() - t0)
        res[label] = float(np.median(ts)) * 1e6
    return res


# ---------------------------------------------------------------------------
# libquantc_rt through ctypes
# ---------------------------------------------------------------------------

class Runtime:
    """The runtime's C API (runtime/include/quantc_rt.h)."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(str(path))
        self.lib.qcrt_last_error.restype = ctypes.c_char_p
        self.lib.qcrt_status_name.restype = ctypes.c_char_p

    def check(self, st, what):
        if st != 0:
            raise RuntimeError(f"{what}: {self.lib.qcrt_status_name(st).decode()}: "
                               f"{self.lib.qcrt_last_error().decode()}")

    def session(self, pkg_dir, manifest):
        return RtSession(self, pkg_dir, manifest)


class RtSession:
    """One package and one session on device 0; inputs bound from host
    arrays that stay alive (and may be rewritten in place) between runs."""

    def __init__(self, rt, pkg_dir, manifest):
        self.rt, self.L, self.m = rt, rt.lib, manifest
        vp = ctypes.c_void_p
        self.pkg, self.sess = vp(), vp()
        rt.check(self.L.qcrt_package_open(str(pkg_dir).encode(),
                                          ctypes.byref(self.pkg)), "qcrt_package_open")
        st = self.L.qcrt_session_create(self.pkg, 0, ctypes.byref(self.sess))
        if st != 0:
            self.L.qcrt_package_close(self.pkg)
            rt.check(st, "qcrt_session_create")
        code = ctypes.c_char_p()
        self.L.qcrt_session_code(self.sess, ctypes.byref(code))
        self.code = code.value.decode() if code.value else "?"
        self.bound = []

    def close(self):
        self.L.qcrt_session_destroy(self.sess)
        self.L.qcrt_package_close(self.pkg)

    def bind(self, inputs):
        """Binds host copies of `inputs` (cast to the manifest's dtypes);
        returns the arrays, which the runtime reads at every run."""
        self.bound = []
        for i, d in enumerate(self.m["inputs"]):
            x = np.ascontiguousarray(inputs[d["name"]], qp.DTYPE[d["dtype"]])
            self.bound.append(x)
            shape = (ctypes.c_int64 * max(x.ndim, 1))(*x.shape)
            self.rt.check(self.L.qcrt_set_input(
                self.sess, ctypes.c_size_t(i), x.ctypes.data_as(ctypes.c_void_p),
                shape, x.ndim), f"qcrt_set_input({d['name']})")
        return self.bound

    def run(self):
        self.rt.check(self.L.qcrt_run(self.sess), "qcrt_run")

    def outputs(self):
        outs = {}
        for i, d in enumerate(self.m["outputs"]):
            dims, rank = (ctypes.c_int64 * 8)(), ctypes.c_int()
            self.rt.check(self.L.qcrt_output_shape(self.sess, ctypes.c_size_t(i),
                                                   dims, 8, ctypes.byref(rank)),
                          "qcrt_output_shape")
            y = np.empty(tuple(dims[:rank.value]), qp.DTYPE[d["dtype"]])
            self.rt.check(self.L.qcrt_get_output(self.sess, ctypes.c_size_t(i),
                                                 y.ctypes.data_as(ctypes.c_void_p),
                                                 ctypes.c_size_t(y.nbytes)),
                          "qcrt_get_output")
            outs[d["name"]] = y
        return outs

    def time(self, repeat):
        ts = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            self.run()
            ts.append(time.perf_counter() - t0)
        return float(np.median(ts)) * 1e6

    def profile(self):
        self.rt.check(self.L.qcrt_session_enable_profile(self.sess, 1), "enable_profile")
        self.run()
        self.rt.check(self.L.qcrt_session_enable_profile(self.sess, 0), "disable_profile")
        n = ctypes.c_size_t()
        self.L.qcrt_package_num_steps(self.pkg, ctypes.byref(n))
        ms = []
        for i in range(n.value):
            t = ctypes.c_float()
            self.rt.check(self.L.qcrt_step_time_ms(self.sess, ctypes.c_size_t(i),
                                                   ctypes.byref(t)), "qcrt_step_time_ms")
            ms.append(t.value)
        return ms


def rel_err(got, ref):
    g = np.asarray(got, np.float64)
    r = np.asarray(ref, np.float64)
    return float(np.linalg.norm(g - r) / max(np.linalg.norm(r), 1e-30))


def check_runtime(rt, out, name, pkg, batches, repeat, tol=None):
    """Every batch through one libquantc_rt session: the first (launched)
    run, a replayed CUDA graph after the timing loop, and a replay after the
    host inputs were rewritten in place (zeros, then the data again: the
    input copies must be replayed with the new bytes). Returns (failures,
    timing rows)."""
    fails, rows = [], []
    try:
        s = rt.session(out / f"{name}.qcpkg", pkg.manifest)
    except RuntimeError as e:
        return [f"{name}: libquantc_rt: {e}"], rows
    try:
        for b in batches:
            with np.load(out / f"{name}.b{b}.in.npz") as z:
                inputs = {k: z[k] for k in z.files}
            with np.load(out / f"{name}.b{b}.ref.npz") as z:
                ref = {k: z[k] for k in z.files}
            bound = s.bind(inputs)
            s.run()
            checks = [("first run", s.outputs())]
            us = s.time(repeat)
            checks.append(("graph replay", s.outputs()))
            saved = [x.copy() for x in bound]
            for x in bound:
                x[...] = 0
            s.run()
            for x, v in zip(bound, saved):
                x[...] = v
            s.run()
            checks.append(("replay after rewriting the inputs", s.outputs()))
            for what, got in checks:
                for k, r in ref.items():
                    err = rel_err(got[k], r)
                    ok = err <= (tol or E2E_TOL)
                    print(f"{name} batch {b:5d} {k}: libquantc_rt ({s.code}) "
                          f"{what} vs Executor rel. RMS {err:.3e} {'ok' if ok else 'FAIL'}")
                    if not ok:
                        fails.append(f"{name} b{b} {k}: libquantc_rt {what}: {err:.3e}")
            steps = s.profile()
            print("  profiled steps (ms): " + ", ".join(
                f"{st['kernel']} {t:.4f}" for st, t in zip(pkg.program["steps"], steps)))
            rows.append((f"{name} (libquantc_rt, CUDA graph)", b, us, None))
    except RuntimeError as e:
        fails.append(f"{name}: libquantc_rt: {e}")
        print(f"{name}: libquantc_rt FAILED: {e}")
    finally:
        s.close()
    return fails, rows


def find_runtime(out):
    """libquantc_rt.so: built here on the device with the C++ compiler when
    there is one (glibc may differ from the build machine's), else the one
    carried in OUT_DIR."""
    src = Path(__file__).resolve().parent.parent / "runtime"
    target = Path("/tmp/quantc_rt_device/libquantc_rt.so")
    cuda_inc = [p for p in ("/usr/local/cuda/include",
                            os.environ.get("CUDA_HOME", "") + "/include")
                if (Path(p) / "cuda.h").exists()]
    for cxx in ("g++", "c++", "clang++"):
        if cuda_inc and subprocess.run(["which", cxx], capture_output=True).returncode == 0:
            target.parent.mkdir(parents=True, exist_ok=True)
            cmd = [cxx, "-O2", "-std=c++17", "-shared", "-fPIC",
                   f"-I{src / 'include'}", f"-I{src / 'src'}", f"-I{cuda_inc[0]}",
                   *map(str, sorted((src / "src").glob("*.cpp"))),
                   "-ldl", "-lpthread", "-o", str(target)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode == 0:
                return target, f"built on the device with {cxx}"
            print(f"building the runtime with {cxx} failed:\n{r.stderr[-2000:]}")
            break
    carried = out / "libquantc_rt.so"
    return (carried, "carried from the build machine") if carried.exists() else (None, "")


def ort_baseline(model, inputs, repeat):
    """Median microseconds of the float ONNX model on ONNX Runtime's CUDA
    provider (every example; PyTorch covers the ops of the MLP only)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return "unavailable (no CUDAExecutionProvider)"
    sess = ort.InferenceSession(str(model), providers=["CUDAExecutionProvider"])
    feed = {k: v for k, v in inputs.items()}
    for _ in range(3):
        sess.run(None, feed)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        sess.run(None, feed)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--cpu-only", action="store_true",
                    help="no GPU: check the prepared files and the numpy "
                         "models against the Executor")
    args = ap.parse_args(argv)
    out = args.dir
    try:
        cases = json.loads((out / "cases.json").read_text())
    except (OSError, ValueError) as e:
        print(f"gpu_run_check: {out}/cases.json: {e} (run scripts/gpu_run_check.sh)",
              file=sys.stderr)
        return 2
    cuda = None
    if not args.cpu_only:
        try:
            from gpu_check import Cuda
            cuda = Cuda()
            print(f"device: {cuda.device_name()}")
        except (OSError, RuntimeError, ImportError) as e:
            print(f"gpu_run_check: no CUDA: {e}", file=sys.stderr)
            return 2
    failures, rows = [], []
    runtime = None
    if cuda is not None:
        path, how = find_runtime(out)
        if path is None:
            failures.append("no libquantc_rt.so (not built here, none carried)")
        else:
            try:
                runtime = Runtime(path)
                print(f"libquantc_rt: {path} ({how})")
            except OSError as e:
                failures.append(f"cannot load {path}: {e}")
    for case in cases:
        name = case["model"]
        try:
            pkg = qp.Package(out / f"{name}.qcpkg")
        except (OSError, ValueError) as e:
            print(f"{name}: {e}", file=sys.stderr)
            return 2
        prog = None
        if cuda is not None:
            try:
                prog = CudaProgram(cuda, pkg)
            except RuntimeError as e:
                # Go on to the runtime's own check: it is the one that counts.
                failures.append(f"{name}: step-by-step launcher: {e}")
                print(f"{name}: step-by-step launcher FAILED: {e}")
        for b in case["batches"] if (cuda is None or prog is not None) else []:
            with np.load(out / f"{name}.b{b}.in.npz") as z:
                inputs = {k: z[k] for k in z.files}
            with np.load(out / f"{name}.b{b}.ref.npz") as z:
                ref = {k: z[k] for k in z.files}
            if cuda is None:
                got = qp.run(pkg, inputs, qp.NumpyBackend(NumpyMX))
                label = "numpy model"
            else:
                try:
                    fails = check_steps(prog, inputs)
                    prog.prepare(inputs)
                    for i in range(len(prog.launches)):
                        prog.launch(i)
                    got = prog.outputs()
                except RuntimeError as e:  # a launch failed: report, go on
                    failures.append(f"{name} b{b}: step-by-step launcher: {e}")
                    print(f"{name} batch {b}: step-by-step launcher FAILED: {e}")
                    continue
                failures += [f"{name} b{b}: {f}" for f in fails]
                label = f"GPU ({prog.code})"
            # A case may widen the end-to-end bound (cases.json says why);
            # the per-step checks above stay exact.
            tol = case.get("e2e_tolerance", E2E_TOL)
            for k, r in ref.items():
                err = rel_err(got[k], r)
                ok = err <= tol
                print(f"{name} batch {b:5d} {k}: {label} vs Executor rel. RMS "
                      f"{err:.3e} {'ok' if ok else 'FAIL'}")
                if not ok:
                    failures.append(f"{name} b{b} {k}: rel. RMS {err:.3e} > {tol}")
            if cuda is not None:
                us = time_program(prog, inputs, args.repeat)
                tb = (torch_baseline(out, name, inputs[case["input"]], args.repeat)
                      if case.get("torch_baseline") else None) or {}
                onnx_model = out / "src" / name / f"{name}.onnx"
                ob = (ort_baseline(onnx_model, inputs, args.repeat)
                      if onnx_model.is_file() else None)
                if ob is not None:
                    tb["ORT CUDA fp32"] = ob
                rows.append((name, b, us, tb))
        if runtime is not None:
            f, r = check_runtime(runtime, out, name, pkg, case["batches"],
                                 args.repeat, case.get("e2e_tolerance"))
            failures += f
            rows += r
    for name, b, us, tb in rows:
        line = f"timing {name} batch {b}: quantc package {us:.1f} us"
        for k, v in (tb or {}).items():
            label = k if k.startswith("ORT") else f"torch bf16 {k}"
            line += f", {label} " + (f"{v:.1f} us" if isinstance(v, float) else v)
        print(line)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
