"""Runs the GPU program of a quantc package (manifest `program`,
docs/Runtime.md) step by step, the way libquantc_rt does: one arena laid out
from the slots at the run's batch, weights from weights.bin, each step's
arguments and grid evaluated from the manifest.

Only numpy is needed. A *backend* executes the steps:
- `NumpyBackend` models each kernel (docs/Kernels.md) in numpy; with it the
  program's wiring and memory plan are checked without a GPU
  (python/tests/test_gpu_program.py);
- scripts/gpu_run_check.py's `CudaBackend` launches the package's kernels
  on a GPU through the driver API and compares each step with this model.

Kernel models: `quantize_mxfp8`, `ew_<i>`, `pool_<i>`, `gap_<i>` and
`copy_b<n>` are the exact arithmetic the kernels implement; `mxfp8_gemm`
and `conv_<i>` sum in float64 (the GPU sums in the tensor core, or in fp32
with fma, so they agree within rounding).
"""
import json
import re
from pathlib import Path

import numpy as np

DTYPE = {"f32": np.float32, "i32": np.int32, "i64": np.int64,
         "f16": np.float16, "f8E4M3FN": np.uint8, "f8E5M2": np.uint8,
         "f8E8M0FNU": np.uint8, "i8": np.int8, "ui8": np.uint8, "i1": np.uint8}


class ProgramError(ValueError):
    pass


def value_shape(v, batch):
    return tuple(batch if d == -1 else d for d in v["shape"])


def value_bytes(v, batch):
    return int(np.prod(value_shape(v, batch), dtype=np.int64)) * \
        np.dtype(DTYPE[v["dtype"]]).itemsize


def linear(e, batch):
    """{"b": a, "c": c[, "div": t]} -> a*batch + c [ceil-divided by t]."""
    val = e.get("b", 0) * batch + e.get("c", 0)
    if "div" in e:
        val = -(-val // e["div"])
    return val


def arena_layout(program, batch):
    """(slot byte offsets, total bytes): each slot as large as its largest
    value at this batch, rounded up to the alignment, one after another."""
    align = program["arena"]["alignment"]
    sizes = [0] * program["arena"]["slots"]
    for v in program["values"]:
        if "slot" in v:
            sizes[v["slot"]] = max(sizes[v["slot"]], value_bytes(v, batch))
    offsets, total = [], 0
    for s in sizes:
        offsets.append(total)
        total += -(-s // align) * align
    return offsets, total


def live_ranges(program):
    """{value index: [first step, last step]}; inputs start at -1, outputs
    end after the last step."""
    n = len(program["steps"])
    live = {i: [-1, -1] for i, v in enumerate(program["values"])
            if v["kind"] == "input"}
    for s_idx, step in enumerate(program["steps"]):
        for a in step["args"]:
            if "value" in a:
                live.setdefault(a["value"], [s_idx, s_idx])[1] = s_idx
    for i, v in enumerate(program["values"]):
        if v["kind"] == "output":
            live.setdefault(i, [n, n])[1] = n
    return live


def check_slot_plan(program):
    """Raises ProgramError when two values of one slot are live at once;
    returns {slot: sorted live ranges}."""
    live = live_ranges(program)
    by_slot = {}
    for i, v in enumerate(program["values"]):
        if "slot" in v:
            by_slot.setdefault(v["slot"], []).append(live.get(i, [-2, -2]))
    for slot, ranges in by_slot.items():
        ranges.sort()
        for a, b in zip(ranges, ranges[1:]):
            if a[1] >= b[0]:
                raise ProgramError(f"slot {slot}: live ranges overlap: {ranges}")
    return by_slot


def eval_expr(expr, ins, out_shape):
    """Evaluates an elementwise step's expr ("relu(add(in0,in1))") in f32
    with numpy broadcasting, as the ew kernels do."""
    rank = len(out_shape)

    def batch_norm(eps, x, scale, bias, mean, var):
        # Per channel (dimension 1), in the Executor's f32 order.
        shape = (-1,) + (1,) * (rank - 2)
        a = scale / np.sqrt(var + eps)
        shift = bias - mean * a
        return x * a.reshape(shape) + shift.reshape(shape)

    ops = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
           "div": np.divide, "neg": np.negative, "abs": np.abs,
           "relu": lambda x: np.where((x > 0) | np.isnan(x), x, np.float32(0)),
           "batch_norm": batch_norm}
    pos = 0

    def parse():
        nonlocal pos
        m = re.match(r"in(\d+)", expr[pos:])
        if m:
            pos += m.end()
            return ins[int(m.group(1))]
        # name[:0x<f32 bits of a parameter>](args)
        m = re.match(r"(\w+)(?::0x([0-9a-f]+))?\(", expr[pos:])
        if not m or m.group(1) not in ops:
            raise ProgramError(f"bad expr at {pos}: {expr}")
        pos += m.end()
        args = [parse()]
        while expr[pos] == ",":
            pos += 1
            args.append(parse())
        if expr[pos] != ")":
            raise ProgramError(f"bad expr at {pos}: {expr}")
        pos += 1
        if m.group(2):
            args.insert(0, np.array([int(m.group(2), 16)], np.uint32)
                        .view(np.float32)[0])
        with np.errstate(all="ignore"):
            return np.asarray(ops[m.group(1)](*args), np.float32)

    r = parse()
    if pos != len(expr):
        raise ProgramError(f"trailing text in expr: {expr}")
    return np.broadcast_to(r, out_shape)


class NumpyBackend:
    """Each kernel as numpy; needs quantc.numerics for the MX codecs (the
    Numerics library through the Python module) or a stand-in with
    quantize_mx / dequantize_mx."""

    def __init__(self, numerics):
        self.nx = numerics

    def step(self, step, views, scalars):
        k = step["kernel"]
        if k == "quantize_mxfp8":
            x, codes, scales = views
            c, s = self.nx.quantize_mx(x, "f8E4M3FN", 32)
            codes[...], scales[...] = c, s
        elif k.startswith("mxfp8_gemm"):
            a, sa, w, sw, out = views[:5]
            M, N, K = scalars
            ad = self.nx.dequantize_mx(a.reshape(M, K), sa.reshape(M, -1))
            wd = self.nx.dequantize_mx(w, sw)
            acc = (ad.astype(np.float64) @ wd.astype(np.float64).T
                   ).astype(np.float32).reshape(out.shape)
            # A fused epilogue: in0 is the accumulator.
            out[...] = (eval_expr(step["expr"], [acc] + views[5:], out.shape)
                        if "expr" in step else acc)
        elif k.startswith("ew_"):
            out, ins = views[0], views[1:]
            out[...] = eval_expr(step["expr"], ins, out.shape)
        elif k.startswith("conv_"):
            views[0][...] = conv2d(step["attrs"], *views[1:])
        elif k.startswith("pool_"):
            views[0][...] = pool2d(step["attrs"], views[1], views[0].shape)
        elif k.startswith("gap_"):
            x = views[1]
            flat = x.reshape(x.shape[0], x.shape[1], -1).astype(np.float64)
            # In order, as the Executor and the kernel sum.
            s = np.cumsum(flat, axis=-1)[..., -1] if flat.shape[-1] else 0
            views[0][...] = (s / flat.shape[-1]).astype(np.float32).reshape(
                views[0].shape)
        elif k.startswith("copy_b"):
            views[0][...] = views[1].reshape(views[0].shape)
        else:
            raise ProgramError(f"no model of kernel {k}")


def _taps(out_len, in_len, k, stride, pad, dil):
    """[out, k] input index of each tap and whether it is inside."""
    idx = (np.arange(out_len)[:, None] * stride - pad
           + np.arange(k)[None, :] * dil)
    return idx, (idx >= 0) & (idx < in_len)


def conv2d(attrs, x, w, bias=None):
    """2-D NCHW convolution in float64 (the kernel sums in fp32 with fma:
    agreement within rounding)."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    g = attrs["group"]
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    pt, pl = attrs["pads"][0], attrs["pads"][1]
    oh = (h + attrs["pads"][0] + attrs["pads"][2] - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + attrs["pads"][1] + attrs["pads"][3] - dw * (kw - 1) - 1) // sw + 1
    ih, iok = _taps(oh, h, kh, sh, pt, dh)
    iw, wok = _taps(ow, wd, kw, sw, pl, dw)
    xd = x.astype(np.float64)
    out = np.zeros((n, m, oh, ow))
    mg = m // g
    for a in range(kh):
        for b in range(kw):
            patch = xd[:, :, np.clip(ih[:, a], 0, h - 1)][:, :, :, np.clip(iw[:, b], 0, wd - 1)]
            patch = patch * (iok[:, a][:, None] & wok[:, b][None, :])
            for gi in range(g):
                xs = patch[:, gi * cg:(gi + 1) * cg]
                ws = w[gi * mg:(gi + 1) * mg, :, a, b].astype(np.float64)
                out[:, gi * mg:(gi + 1) * mg] += np.einsum("nchw,mc->nmhw", xs, ws)
    if bias is not None:
        out += bias.astype(np.float64)[None, :, None, None]
    return out.astype(np.float32)


def pool2d(attrs, x, out_shape):
    """Max/avg pooling in f32, taps in the kernel's (and the Executor's)
    order: exact."""
    n, c, h, wd = x.shape
    oh, ow = out_shape[2], out_shape[3]
    (kh, kw), (sh, sw), (dh, dw) = (attrs["kernel_shape"], attrs["strides"],
                                    attrs["dilations"])
    pt, pl, pb, pr = attrs["pads"]
    ih, iok = _taps(oh, h, kh, sh, pt, dh)
    iw, wok = _taps(ow, wd, kw, sw, pl, dw)
    is_max = attrs["kind"] == "max"
    y = np.full((n, c, oh, ow), -np.inf if is_max else 0, np.float32)
    for a in range(kh):
        for b in range(kw):
            ok = iok[:, a][:, None] & wok[:, b][None, :]
            v = x[:, :, np.clip(ih[:, a], 0, h - 1)][:, :, :, np.clip(iw[:, b], 0, wd - 1)]
            with np.errstate(invalid="ignore"):
                nxt = np.where((v > y) | np.isnan(v), v, y) if is_max else y + v
            y = np.where(ok, nxt, y).astype(np.float32)
    if not is_max:
        if attrs["count_include_pad"]:
            rows = ((ih >= -pt) & (ih < h + pb)).sum(1)
            cols = ((iw >= -pl) & (iw < wd + pr)).sum(1)
        else:
            rows, cols = iok.sum(1), wok.sum(1)
        cnt = (rows[:, None] * cols[None, :]).astype(np.float32)
        with np.errstate(all="ignore"):
            y = np.where(cnt == 0, np.float32(0), y / cnt).astype(np.float32)
    return y


def check_step(step, views, scalars, batch):
    """The launch covers the data: raises ProgramError otherwise."""
    grid = [linear(g, batch) for g in step["grid"]]
    threads = int(np.prod(grid)) * int(np.prod(step["block"]))
    k = step["kernel"]
    if k == "quantize_mxfp8":
        x, _, scales = views
        blocks, K = scalars
        ok = blocks == scales.size and K == x.shape[-1] and threads >= blocks
    elif k.startswith("mxfp8_gemm"):
        _, _, w, _, out = views[:5]
        M, N, K = scalars
        ok = ((M, N, K) == (out.size // max(N, 1), w.shape[0], w.shape[1])
              and grid[0] * 32 >= M and grid[1] * 16 >= N)
    elif k.startswith(("ew_", "conv_", "pool_", "copy_b")):
        ok = scalars == [views[0].size] and threads >= views[0].size
    elif k.startswith("gap_"):
        planes = views[1].shape[0] * views[1].shape[1]
        ok = scalars == [planes] and threads >= planes
    else:
        ok = True
    if not ok:
        raise ProgramError(f"step {k} ({step.get('layer')}): arguments "
                           f"{scalars} or grid {grid} do not cover its data")
    return grid


class Package:
    def __init__(self, path):
        self.path = Path(path)
        self.manifest = json.loads((self.path / "manifest.json").read_text())
        self.program = self.manifest.get("program")
        if self.program is None:
            missing = ", ".join(f"{u['op']} x{u['count']}" for u in
                                self.manifest.get("gpu_unsupported", []))
            raise ProgramError(f"{self.path}: no GPU program (no kernel for "
                               f"{missing or 'some ops'})")
        self.weights = np.fromfile(self.path / "weights.bin", np.uint8)

    def batch_of(self, inputs):
        b = self.program["batch"]
        if b is None:
            return 1
        name = self.manifest["inputs"][b["input"]]["name"]
        return inputs[name].shape[b["dim"]]


def run(pkg, inputs, backend, on_step=None):
    """Runs `pkg` (a Package) on host `inputs` {name: array} in a host arena
    with `backend`; returns {output name: array}. `on_step(i, step, views,
    scalars)` is called after each step."""
    program = pkg.program
    values = program["values"]
    batch = pkg.batch_of(inputs)
    offsets, total = arena_layout(program, batch)
    arena = np.zeros(total, np.uint8)

    def view(i):
        v = values[i]
        dt = np.dtype(DTYPE[v["dtype"]])
        n = value_bytes(v, batch)
        if v["kind"] == "weight":
            raw = pkg.weights[v["offset"]:v["offset"] + n]
        else:
            raw = arena[offsets[v["slot"]]:offsets[v["slot"]] + n]
        if raw.size != n:
            raise ProgramError(f"value {i} ({v['name']}) lies outside its storage")
        return raw.view(dt).reshape(value_shape(v, batch))

    for i, v in enumerate(values):
        if v["kind"] == "input":
            view(i)[...] = inputs[pkg.manifest["inputs"][v["index"]]["name"]]
    for s_idx, step in enumerate(program["steps"]):
        views = [view(a["value"]) for a in step["args"] if "value" in a]
        scalars = [linear(a.get("i32", a.get("i64")), batch)
                   for a in step["args"] if "value" not in a]
        check_step(step, views, scalars, batch)
        backend.step(step, views, scalars)
        if on_step:
            on_step(s_idx, step, views, scalars)
    return {pkg.manifest["outputs"][v["index"]]["name"]: view(i).copy()
            for i, v in enumerate(values) if v["kind"] == "output"}
