"""The GPU program a package carries (manifest `program`, docs/Runtime.md),
checked without a GPU.

`simulate()` executes the manifest the way libquantc_rt does: one arena of
bytes laid out from the slots at the run's batch, weights read from
weights.bin, each step's arguments resolved from its `args`, and its grid
evaluated. Each kernel is replaced by a numpy model of what it computes
(docs/Runtime.md, lib/Conversion/QCToGPU/ElementwiseKernels.h). Because the
values really share arena memory, a slot plan that lets a step overwrite a
value still to be read, a wrong argument order or value index, or a grid
too small for its data makes the outputs differ from the CPU Executor's.
The GPU kernels themselves are checked on a lent GPU (scripts/gpu_run_check.py).
"""
import importlib.util
import json
import re

import numpy as np
import pytest

from conftest import REPO_ROOT, describe, load_npz, rel_rms
import quantc

DTYPE = {"f32": np.float32, "i32": np.int32, "i64": np.int64,
         "f16": np.float16, "f8E4M3FN": np.uint8, "f8E5M2": np.uint8,
         "f8E8M0FNU": np.uint8, "i8": np.int8, "ui8": np.uint8}


def _size(v, batch):
    n = 1
    for d in v["shape"]:
        n *= batch if d == -1 else d
    return n, tuple(batch if d == -1 else d for d in v["shape"])


def _lin(e, batch):
    val = e.get("b", 0) * batch + e.get("c", 0)
    if "div" in e:
        val = -(-val // e["div"])
    return val


def arena_layout(program, batch):
    """Slot offsets as the runtime computes them: each slot as large as its
    largest value at this batch, rounded up to the alignment, one after
    another."""
    align = program["arena"]["alignment"]
    sizes = [0] * program["arena"]["slots"]
    for v in program["values"]:
        if "slot" in v:
            n, _ = _size(v, batch)
            nbytes = n * np.dtype(DTYPE[v["dtype"]]).itemsize
            sizes[v["slot"]] = max(sizes[v["slot"]], nbytes)
    offsets, total = [], 0
    for s in sizes:
        offsets.append(total)
        total += -(-s // align) * align
    return offsets, total


def _eval_expr(expr, ins, out_shape):
    """Evaluates "relu(add(in0,in1))" in f32 with numpy broadcasting."""
    ops = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
           "div": np.divide, "neg": np.negative, "abs": np.abs,
           "relu": lambda x: np.where((x > 0) | np.isnan(x), x,
                                      np.float32(0))}
    pos = 0

    def parse():
        nonlocal pos
        m = re.match(r"in(\d+)", expr[pos:])
        if m:
            pos += m.end()
            return ins[int(m.group(1))]
        m = re.match(r"(\w+)\(", expr[pos:])
        assert m, f"bad expr at {pos}: {expr}"
        pos += m.end()
        args = [parse()]
        while expr[pos] == ",":
            pos += 1
            args.append(parse())
        assert expr[pos] == ")"
        pos += 1
        with np.errstate(all="ignore"):
            return np.asarray(ops[m.group(1)](*args), np.float32)

    r = parse()
    assert pos == len(expr)
    return np.broadcast_to(r, out_shape)


def simulate(pkg, inputs):
    m = json.loads((pkg / "manifest.json").read_text())
    program = m["program"]
    weights = np.fromfile(pkg / "weights.bin", np.uint8)
    values = program["values"]
    b = program["batch"]
    batch = 1
    if b is not None:
        name = m["inputs"][b["input"]]["name"]
        batch = inputs[name].shape[b["dim"]]
    offsets, total = arena_layout(program, batch)
    arena = np.zeros(total, np.uint8)

    def view(i):
        v = values[i]
        n, shape = _size(v, batch)
        dt = np.dtype(DTYPE[v["dtype"]])
        if v["kind"] == "weight":
            raw = weights[v["offset"]:v["offset"] + n * dt.itemsize]
        else:
            o = offsets[v["slot"]]
            raw = arena[o:o + n * dt.itemsize]
        assert raw.size == n * dt.itemsize, v
        return raw.view(dt).reshape(shape)

    for v_idx, v in enumerate(values):
        if v["kind"] == "input":
            view(v_idx)[...] = inputs[m["inputs"][v["index"]]["name"]]

    for step in program["steps"]:
        ptrs = [a["value"] for a in step["args"] if "value" in a]
        scalars = [_lin(a.get("i32", a.get("i64")), batch)
                   for a in step["args"] if "value" not in a]
        grid = [_lin(g, batch) for g in step["grid"]]
        threads = np.prod(grid) * np.prod(step["block"])
        k = step["kernel"]
        if k == "quantize_mxfp8":
            x, codes, scales = (view(i) for i in ptrs)
            blocks, K = scalars
            assert blocks == scales.size and K == x.shape[-1]
            assert threads >= blocks, step
            c, s = quantc.numerics.quantize_mx(x, "f8E4M3FN", 32)
            codes[...], scales[...] = c, s
        elif k == "mxfp8_gemm":
            a, sa, w, sw, out = (view(i) for i in ptrs)
            M, N, K = scalars
            assert (M, N, K) == (out.size // N, w.shape[0], w.shape[1])
            assert grid[0] * 32 >= M and grid[1] * 16 >= N, step
            ad = quantc.numerics.dequantize_mx(a.reshape(M, K), sa.reshape(M, -1))
            wd = quantc.numerics.dequantize_mx(w, sw)
            out[...] = (ad.astype(np.float64) @ wd.astype(np.float64).T
                        ).astype(np.float32).reshape(out.shape)
        elif k.startswith("ew_"):
            out = view(ptrs[0])
            ins = [view(i) for i in ptrs[1:]]
            assert scalars == [out.size] and threads >= out.size, step
            out[...] = _eval_expr(step["expr"], ins, out.shape)
        else:
            pytest.fail(f"unknown kernel {k}")
    return {m["outputs"][v["index"]]["name"]: view(i).copy()
            for i, v in enumerate(values) if v["kind"] == "output"}


def check_slot_plan(program):
    """No two values of one slot are live at once (inputs from before the
    first step, outputs until after the last)."""
    n = len(program["steps"])
    live = {}
    for i, v in enumerate(program["values"]):
        if v["kind"] == "input":
            live[i] = [-1, -1]
    for s_idx, step in enumerate(program["steps"]):
        for a in step["args"]:
            if "value" in a:
                r = live.setdefault(a["value"], [s_idx, s_idx])
                r[1] = s_idx
    for i, v in enumerate(program["values"]):
        if v["kind"] == "output":
            live[i][1] = n
    by_slot = {}
    for i, v in enumerate(program["values"]):
        if "slot" in v:
            by_slot.setdefault(v["slot"], []).append(live[i])
    for slot, ranges in by_slot.items():
        ranges.sort()
        for (a0, a1), (b0, b1) in zip(ranges, ranges[1:]):
            assert a1 < b0, f"slot {slot}: live ranges overlap: {ranges}"
    return by_slot


@pytest.fixture(scope="module")
def mlp_gpu(tmp_path_factory, check_ok):
    from conftest import _generate_mlp
    d = tmp_path_factory.mktemp("mlp_gpu")
    ex = _generate_mlp(d)
    pkg = d / "mlp.qcpkg"
    check_ok("quant-compile", ex.model, "-o", pkg, "--calib", ex.calib,
             "--target", "sm_89,sm_90", "--no-cubin", "-q")
    return ex, pkg


def test_manifest_program(mlp_gpu):
    _, pkg = mlp_gpu
    m = json.loads((pkg / "manifest.json").read_text())
    assert m["format_version"] == 2
    p = m["program"]
    assert p["batch"] == {"input": 0, "dim": 0}
    kernels = [s["kernel"] for s in p["steps"]]
    # Three layers: quantize, GEMM, bias+ReLU fused (the last: bias only).
    assert kernels == ["quantize_mxfp8", "mxfp8_gemm", "ew_0"] * 2 + \
        ["quantize_mxfp8", "mxfp8_gemm", "ew_1"], kernels
    assert p["steps"][2]["expr"] == "relu(add(in0,in1))"
    assert p["steps"][8]["expr"] == "add(in0,in1)"
    for f in m["kernel_files"]:
        assert f["kernels"] == ["quantize_mxfp8", "mxfp8_gemm", "ew_0", "ew_1"]
        ptx = (pkg / f["ptx"]).read_text()
        for k in f["kernels"]:
            assert re.search(rf"\.entry {k}\(", ptx), (k, f)
    wsize = (pkg / "weights.bin").stat().st_size
    for v in p["values"]:
        assert v["kind"] in ("input", "output", "weight", "temp"), v
        if v["kind"] == "weight":
            n, _ = _size(v, 1)
            assert 0 <= v["offset"] and v["offset"] + n <= wsize, v
        else:
            assert 0 <= v["slot"] < p["arena"]["slots"], v
    by_slot = check_slot_plan(p)
    # Liveness lets values share: fewer slots than arena values.
    assert len(by_slot) < sum(1 for v in p["values"] if "slot" in v)


@pytest.mark.parametrize("batch", [1, 37, 256])
def test_simulated_program_matches_executor(mlp_gpu, run_tool, tmp_path, batch):
    ex, pkg = mlp_gpu
    x = load_npz(ex.test)["x"][:batch]
    assert x.shape[0] == batch
    np.savez(tmp_path / "in.npz", x=x)
    res = run_tool("quant-run", pkg, "--inputs", tmp_path / "in.npz",
                   "--outputs", tmp_path / "out.npz")
    assert res.returncode == 0, describe(res)
    ref = load_npz(tmp_path / "out.npz")["logits"]
    got = simulate(pkg, {"x": x})["logits"]
    assert got.shape == ref.shape
    # Quantize and elementwise steps are exact; the GEMM model sums in
    # float64 where the Executor sums each 32-wide K block in fp32 then
    # accumulates with fma (docs/Kernels.md): a few fp32 ulps per layer.
    assert rel_rms(got, ref) < 1e-5, rel_rms(got, ref)


def test_arena_layout_grows_with_batch(mlp_gpu):
    _, pkg = mlp_gpu
    p = json.loads((pkg / "manifest.json").read_text())["program"]
    o1, t1 = arena_layout(p, 1)
    o2, t2 = arena_layout(p, 1000)
    assert t1 % 256 == 0 and t2 % 256 == 0
    assert t2 > t1
    # Largest value per row: 128 f32 (512 B); all slots together hold less
    # than every temporary would without sharing.
    every = sum(_size(v, 1000)[0] * np.dtype(DTYPE[v["dtype"]]).itemsize
                for v in p["values"] if "slot" in v)
    assert t2 < every


def _make(name):
    path = REPO_ROOT / "examples" / name / f"make_{name}.py"
    spec = importlib.util.spec_from_file_location(f"make_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_explicit_target_refuses_ops_without_kernels(run_tool, tmp_path):
    paths = _make("cnn").generate(str(tmp_path / "cnn"))
    out = tmp_path / "cnn.qcpkg"
    res = run_tool("quant-compile", paths["model"], "--calib", paths["calib"],
                   "-o", out, "--target", "sm_89", "-q")
    assert res.returncode == 1, describe(res)
    assert "no GPU kernel yet for: " in res.stderr, res.stderr
    assert "qc.conv x4" in res.stderr and "qc.batch_norm x4" in res.stderr
    assert not out.exists()


def test_default_targets_record_what_is_missing(check_ok, tmp_path):
    paths = _make("cnn").generate(str(tmp_path / "cnn"))
    out = tmp_path / "cnn.qcpkg"
    res = check_ok("quant-compile", paths["model"], "--calib", paths["calib"],
                   "-o", out, "--no-cubin")
    assert "GPU program: none, no GPU kernel yet for qc.conv x4" in res.stdout
    m = json.loads((out / "manifest.json").read_text())
    assert m["program"] is None
    assert {"op": "qc.conv", "count": 4} in m["gpu_unsupported"]
    r = json.loads((out / "report.json").read_text())
    assert r["gpu_program"]["runnable"] is False
    # The GEMM kernel is still built for the one quantized matmul.
    assert all(f["kernels"] == ["mxfp8_gemm"] for f in m["kernel_files"])
