"""End to end: the bundled MLP through quant-compile, then quant-run.

    quant-compile mlp.onnx -o mlp.qcpkg --calib calib.npz
    quant-run mlp.qcpkg --inputs test.npz --outputs out.npz

and the same float model through onnxruntime as the reference.

Accuracy bounds (MXFP8 = E4M3 elements, one E8M0 scale per 32 along K)
-------------------------------------------------------------------------
* Per element: E4M3 has 3 mantissa bits, so round-to-nearest-even gives a
  relative error <= 2^-4 for every normal element. Rounding errors spread
  over the ulp make the RMS relative error of a whole tensor smaller: about
  2^-3/sqrt(12) / 1.4 ~= 2.6%, a little more with the shared block exponent
  (small elements of a block lose bits) and with the OCP floor(log2 amax)-8
  scale (a block maximum in (448, 512)*2^e is clipped to 448*2^e). A numpy +
  ml_dtypes emulation gives 3.0-3.2% for the three weights of this model.
  Bound: 0 < weight_rel_rms_error <= 2^-4.
* Per layer both operands are quantized: y_q - y = sum(da*b + a*db) with
  independent zero-mean errors, so rel. error ~ sqrt(e_a^2 + e_b^2) ~ 4.5%.
  A 64-128 term dot product does not shrink the *relative* error (signal and
  error both grow like sqrt(K) for uncorrelated terms); the cancellation only
  keeps it far below the worst case (2^-4 * sum|a*b|).
* Three layers in a row add in quadrature: sqrt(3) * 4.5% ~= 7.8%; ReLU drops
  part of the propagated error. The emulation gives rel RMS 0.071 (held-out)
  and 0.071 (calibration) with the OCP floor scale, 0.059 with the no-clip
  ceil scale. So 0.05 would fail a correct implementation; the bound is
  REL_RMS_BOUND = 0.10 (about 1.4x the expected value). Real bugs land above
  it: a scale exponent one too small (saturation) gives 0.69, a dropped bias
  0.12.
* Lower bound REL_RMS_FLOOR = 0.005: a "quantized" package this close to
  float is not quantized (e.g. it ran the float graph).
* Argmax agreement: the emulation agrees on 95-97% of the 256 held-out
  samples (about 5% of them have a top-2 logit gap < 0.03, i.e. below the
  quantization noise). Bound: >= 90%.
* Float ONNX through quant-run vs onnxruntime, both fp32: only the summation
  order differs. A K-term fp32 dot product's error is <= K*u*sum|a*b| with
  u = 2^-24 (K=128: 7.6e-6 relative to sum|a*b|), typically sqrt(K)*u ~ 1e-6.
  rtol = 1e-4 is >10x the worst case over three layers; atol = 1e-5 covers
  logits near zero, where cancellation makes the relative error meaningless.
"""
import json
import os
import re

import ml_dtypes
import numpy as np
import pytest

from conftest import (describe, find_ptxas, load_npz, ort_run, rel_rms,
                      run_cmd)

REL_RMS_BOUND = 0.10
REL_RMS_FLOOR = 0.005
ARGMAX_AGREEMENT = 0.90
WEIGHT_REL_RMS_BOUND = 2.0 ** -4
FP32_RTOL = 1e-4
FP32_ATOL = 1e-5

DEFAULT_TARGETS = {"sm_120a", "sm_89"}
# (node name, ONNX op, weight shape [K, N]) as written by make_mlp.py.
LAYERS = [("fc1", "MatMul", [64, 128]), ("fc2", "Gemm", [128, 128]),
          ("fc3", "MatMul", [128, 10])]


def _json(path):
    with open(path) as f:
        return json.load(f)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) \
        and np.isfinite(v)


# --- package layout --------------------------------------------------------

def test_package_files(mlp_package):
    pkg = mlp_package.pkg
    for rel in ["manifest.json", "weights.bin", "report.json", "graph.mlir"]:
        assert (pkg / rel).is_file(), f"{rel} missing from {pkg}"
    for t in DEFAULT_TARGETS:
        assert (pkg / "kernels" / f"{t}.ptx").is_file()
        if find_ptxas():
            assert (pkg / "kernels" / f"{t}.cubin").is_file(), \
                "ptxas is installed, so the package should hold a cubin"
    # Written to a temporary directory and renamed: nothing left beside it.
    siblings = sorted(p.name for p in pkg.parent.iterdir()
                      if p.name.startswith("mlp.qcpkg") and p != pkg)
    assert siblings == [], f"leftovers next to the package: {siblings}"


def test_manifest(mlp_package):
    pkg = mlp_package.pkg
    m = _json(pkg / "manifest.json")
    assert m["format_version"] == 2
    assert set(m["targets"]) == DEFAULT_TARGETS
    assert [(i["name"], i["dtype"]) for i in m["inputs"]] == [("x", "f32")]
    assert [(o["name"], o["dtype"]) for o in m["outputs"]] == \
        [("logits", "f32")]
    # The batch dimension is symbolic ("batch"), hence dynamic.
    assert m["inputs"][0]["shape"][1:] == [64]
    assert m["outputs"][0]["shape"][1:] == [10]
    wsize = (pkg / "weights.bin").stat().st_size
    assert m["weights"]["file"] == "weights.bin"
    assert m["weights"]["size"] == wsize
    assert m["buffers"], "no buffers in the manifest"
    for b in m["buffers"]:
        assert b["offset"] % 64 == 0, f"buffer not 64-byte aligned: {b}"
        assert 0 <= b["offset"] and b["offset"] + b["size"] <= wsize, b
    files = {k["target"]: k for k in m["kernel_files"]}
    assert set(files) == DEFAULT_TARGETS
    for k in files.values():
        assert (pkg / k["ptx"]).is_file(), k
        if "cubin" in k:
            assert (pkg / k["cubin"]).is_file(), k
    assert m["launches"], "the kernel launch list is empty"
    # Each launch names a kernel its files hold (the fused GEMMs' names).
    for launch in m["launches"]:
        for k in files.values():
            assert launch["kernel"] in k["kernels"], (launch, k)


def test_report_schema(mlp_package):
    r = _json(mlp_package.pkg / "report.json")
    assert r["format_version"] == 2
    assert isinstance(r["model"], str) and r["model"]
    assert r["format"] == "mxfp8"
    assert set(r["targets"]) == DEFAULT_TARGETS

    assert len(r["layers"]) == len(LAYERS), r["layers"]
    for layer, (node, op, shape) in zip(r["layers"], LAYERS):
        assert node in layer["name"], (node, layer)
        assert layer["op"] == op, layer
        assert layer["format"] == "mxfp8", layer
        assert layer["weight_shape"] == shape, layer
        e = layer["weight_rel_rms_error"]
        assert _is_num(e) and 0 < e <= WEIGHT_REL_RMS_BOUND, layer

    acc = r["accuracy"]
    assert acc["samples"] == 32  # calib.npz holds 32 samples
    for k in ["max_abs_error", "rel_rms_error", "cosine_similarity"]:
        assert _is_num(acc[k]), (k, acc)
    assert REL_RMS_FLOOR < acc["rel_rms_error"] <= REL_RMS_BOUND, acc
    assert acc["max_abs_error"] > 0
    # cos = 1 - rel^2/2 for small errors: rel <= 0.10 means cos >= 0.995.
    assert 0.99 <= acc["cosine_similarity"] <= 1.0 + 1e-6, acc

    kernels = r["kernels"]
    assert {k["target"] for k in kernels} == DEFAULT_TARGETS
    # One entry per distinct kernel and target; only the GEMMs have an MMA.
    # bias + ReLU (twice) and the last bias are the GEMMs' epilogues.
    assert {k["name"] for k in kernels} == {
        "quantize_mxfp8", "mxfp8_gemm_ep0", "mxfp8_gemm_ep1"}, kernels
    for k in kernels:
        assert isinstance(k["name"], str) and k["name"]
        assert k["file"] == f"kernels/{k['target']}.ptx", k
        if not k["name"].startswith("mxfp8_gemm"):
            assert "instruction" not in k, k
            assert k["launches"] == 3, k
            continue
        assert k["launches"] == (2 if k["name"].endswith("ep0") else 1), k
        assert k["instruction"].startswith("mma.sync"), k
        if k["target"] == "sm_120a":
            assert "block_scale" in k["instruction"], k
        else:
            assert "e4m3" in k["instruction"], k


def test_compile_prints_report(mlp_package):
    out = mlp_package.compile_stdout
    assert out.strip(), "quant-compile printed no report"
    for node, _, _ in LAYERS:
        assert node in out, f"layer {node} missing from the report:\n{out}"
    assert re.search("mxfp8", out, re.I), out
    for t in DEFAULT_TARGETS:
        assert t in out, out
    assert "mma" in out, out


def test_progress_ends_with_the_time_of_each_step(mlp_package, mlp, tmp_path,
                                                  check_ok):
    """Progress (stderr): a [k/5] line per step, then the wall time of the
    compile and of each step by its short name; the steps' times add up to
    the whole (values are not checked: timing is never asserted). -q
    prints none of it."""
    lines = mlp_package.compile_stderr.splitlines()
    assert [ln[:5] for ln in lines[:5]] == [f"[{k}/5]" for k in range(1, 6)]
    m = re.fullmatch(r"done in (\d+\.\d\d) s: (.*)", lines[-1])
    assert m, lines
    parts = [re.fullmatch(r"(.+) (\d+\.\d\d) s", p)
             for p in m.group(2).split(", ")]
    assert all(parts), lines[-1]
    assert [p.group(1) for p in parts] == [
        "import", "calibration and quantization", "accuracy", "kernels",
        "package"]
    # Each value, and the whole, rounded to 0.01 s on its own.
    assert sum(float(p.group(2)) for p in parts) <= \
        float(m.group(1)) + 0.005 * (len(parts) + 1) + 1e-9
    res = check_ok("quant-compile", mlp.model, "-o", tmp_path / "q.qcpkg",
                   "--calib", mlp.calib, "--target", "none", "-q")
    assert res.stderr == "", res.stderr


def test_report_table_shortens_long_layer_names(tmp_path, check_ok):
    """Exporters name nodes by module path: the printed table drops the
    prefix every name shares (said once above it), keeps the end of what
    is still longer than 44 characters, and aligns the columns; report.json
    keeps the full names."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    pre = "/model/model.0/auto_model/encoder/"
    names = [pre + "layer.0/attention/self/query/MatMul",
             pre + "layer.1/output/dense/MatMul",
             pre + "layer.1/" + "very_long_module_name/" * 3 + "MatMul",
             pre + "layer.1/" + "层" * 20 + "/MatMul"]
    nodes, inits, x = [], [], "x"
    for i, name in enumerate(names):
        w = rng.standard_normal((8, 8)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"y{i}"],
                                      name=name))
        x = f"y{i}"
    g = helper.make_graph(
        nodes, "paths",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 8])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["b", 8])],
        initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "paths.onnx"))
    res = check_ok("quant-compile", tmp_path / "paths.onnx", "--calib-random",
                   "4", "--format", "int8", "--target", "none", "-o",
                   tmp_path / "p.qcpkg", "-q")
    lines = res.stdout.splitlines()
    i = lines.index(f"  (layer names without their common prefix {pre})")
    header, rows = lines[i + 1], lines[i + 2:i + 5]
    # A name cut inside a multi-byte character would not even decode.
    assert lines[i + 5].startswith("  ...") and "层/MatMul" in lines[i + 5]
    assert header.split()[:2] == ["layer", "op"]
    col = header.index(" op ") + 1
    assert [r[:col].rstrip() for r in rows] == [
        "  layer.0/attention/self/query/MatMul",
        "  layer.1/output/dense/MatMul",
        "  ..." + ("layer.1/" + "very_long_module_name/" * 3 +
                   "MatMul")[-41:]]
    assert all(r[col:].startswith("MatMul ") for r in rows), rows
    report = _json(tmp_path / "p.qcpkg/report.json")
    assert [l["name"] for l in report["layers"]] == names
    import quantc  # its summary is the same text, decoded as UTF-8
    pkg = quantc.compile(tmp_path / "paths.onnx", format="int8", targets=(),
                         output=tmp_path / "py.qcpkg", calib_random=4)
    assert "层/MatMul" in pkg.summary


def test_ptx_kernels(mlp_package, tmp_path):
    pkg = mlp_package.pkg
    r = _json(pkg / "report.json")
    ptxas = find_ptxas()
    # One entry per (layer, target); each target's kernels share one file.
    per_file = {(k["target"], k["file"], k["instruction"]): k
                for k in r["kernels"] if "instruction" in k}
    assert len({f for _, f, _ in per_file}) == len(DEFAULT_TARGETS), per_file
    for k in per_file.values():
        t = k["target"]
        ptx = (pkg / k["file"]).read_text()
        assert re.search(rf"^\s*\.target\s+{t}\b", ptx, re.M), \
            f"{k['file']} is not PTX for {t}"
        assert ".entry" in ptx, f"{k['file']} has no kernel entry"
        assert "mma.sync" in ptx, f"{k['file']} has no mma.sync"
        assert k["instruction"] in ptx, \
            f"report names {k['instruction']!r}, not found in {k['file']}"
        if t == "sm_120a":
            assert "block_scale" in ptx
        if ptxas:
            res = run_cmd([ptxas, f"-arch={t}", pkg / k["file"],
                           "-o", tmp_path / f"{t}.cubin"])
            assert res.returncode == 0, describe(res)
        cubin = pkg / "kernels" / f"{t}.cubin"
        if cubin.exists():
            assert cubin.read_bytes()[:4] == b"\x7fELF", f"{cubin} is not ELF"


def test_weights_bin_decodes_to_the_weights(mlp_package):
    """weights.bin holds each MatMul weight as E4M3 codes [N, K] and E8M0
    scales [N, K/32] (include/quantc/Package/Package.h); decoded, they are
    the float weight within E4M3's precision, with the report's error."""
    import onnx
    from onnx import numpy_helper
    pkg = mlp_package.pkg
    m = _json(pkg / "manifest.json")
    r = _json(pkg / "report.json")
    blob = (pkg / "weights.bin").read_bytes()
    model = onnx.load(str(mlp_package.model))
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    weights = {"fc1": init["fc1.weight"], "fc2": init["fc2.weight"].T,
               "fc3": init["fc3.weight"]}  # all [K, N]

    def raw(b):
        return np.frombuffer(blob, np.uint8, b["size"], b["offset"])

    codes = [b for b in m["buffers"] if b["dtype"] == "f8E4M3FN"]
    scales = [b for b in m["buffers"] if b["dtype"] == "f8E8M0FNU"]
    for node, _, (k, n) in LAYERS:
        w = weights[node].astype(np.float64)
        cand_c = [b for b in codes if b["shape"] == [n, k]]
        cand_s = [b for b in scales if b["shape"] == [n, -(-k // 32)]]
        assert cand_c and cand_s, f"no [N,K] codes / scales for {node}"
        best = None
        for c in cand_c:
            for s in cand_s:
                el = raw(c).view(ml_dtypes.float8_e4m3fn).astype(np.float64)
                sc = np.exp2(raw(s).astype(np.float64) - 127)
                deq = (el.reshape(n, k) *
                       np.repeat(sc.reshape(n, -1), 32, axis=1)[:, :k]).T
                err = rel_rms(deq, w)
                best = err if best is None else min(best, err)
        assert 0 < best <= WEIGHT_REL_RMS_BOUND, (node, best)
        reported = next(l for l in r["layers"] if node in l["name"])
        assert abs(reported["weight_rel_rms_error"] - best) <= 1e-3 + 0.05 * best, \
            (node, best, reported)


# --- accuracy --------------------------------------------------------------

def _quantized_vs_float(check_ok, pkg, model, inputs, out):
    check_ok("quant-run", pkg, "--inputs", inputs, "--outputs", out)
    got = load_npz(out)
    assert set(got) == {"logits"}, f"output keys {sorted(got)}"
    ref = ort_run(model, load_npz(inputs))["logits"]
    yq = got["logits"]
    assert yq.shape == ref.shape and yq.dtype == np.float32
    assert np.isfinite(yq).all()
    return yq, ref


def test_heldout_accuracy(mlp_package, tmp_path, check_ok):
    yq, yf = _quantized_vs_float(check_ok, mlp_package.pkg, mlp_package.model,
                                 mlp_package.test, tmp_path / "out.npz")
    err = rel_rms(yq, yf)
    agree = float(np.mean(yq.argmax(1) == yf.argmax(1)))
    assert REL_RMS_FLOOR < err <= REL_RMS_BOUND, \
        f"held-out rel RMS error {err:.4f} outside ({REL_RMS_FLOOR}, {REL_RMS_BOUND}]"
    assert agree >= ARGMAX_AGREEMENT, f"argmax agreement {agree:.3f}"


def test_report_accuracy_matches_measurement(mlp_package, tmp_path, check_ok):
    """report.json's accuracy is the quantized model vs float on the
    calibration inputs; re-measure it with quant-run and onnxruntime."""
    yq, yf = _quantized_vs_float(check_ok, mlp_package.pkg, mlp_package.model,
                                 mlp_package.calib, tmp_path / "out.npz")
    acc = _json(mlp_package.pkg / "report.json")["accuracy"]
    err = rel_rms(yq, yf)
    assert abs(acc["rel_rms_error"] - err) <= 1e-4 + 0.02 * err, (acc, err)
    mae = float(np.abs(yq.astype(np.float64) - yf).max())
    assert abs(acc["max_abs_error"] - mae) <= 1e-4 + 0.02 * mae, (acc, mae)
    a, b = yq.ravel().astype(np.float64), yf.ravel().astype(np.float64)
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    assert abs(acc["cosine_similarity"] - cos) <= 1e-4, (acc, cos)


def test_float_onnx_through_quant_run_matches_onnxruntime(mlp, tmp_path,
                                                           check_ok):
    out = tmp_path / "out.npz"
    check_ok("quant-run", mlp.model, "--inputs", mlp.test, "--outputs", out)
    got = load_npz(out)["logits"]
    ref = ort_run(mlp.model, load_npz(mlp.test))["logits"]
    np.testing.assert_allclose(got, ref, rtol=FP32_RTOL, atol=FP32_ATOL)


# --- options ---------------------------------------------------------------

def test_compile_is_deterministic(mlp, tmp_path, check_ok):
    a, b = tmp_path / "a.qcpkg", tmp_path / "b.qcpkg"
    for p in (a, b):
        check_ok("quant-compile", mlp.model, "-o", p, "--calib", mlp.calib)
    for rel in ["weights.bin", "graph.mlir", "manifest.json",
                "kernels/sm_120a.ptx", "kernels/sm_89.ptx"]:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), \
            f"{rel} differs between two identical compiles"
    assert _json(a / "report.json") == _json(b / "report.json")


def test_no_accuracy_skips_only_the_accuracy_run(mlp, tmp_path, check_ok):
    """--no-accuracy: the same package (graph, weights, kernels), a report
    whose accuracy is null, and a summary that says it was not measured;
    --eval still measures the held-out set."""
    a, b = tmp_path / "a.qcpkg", tmp_path / "b.qcpkg"
    check_ok("quant-compile", mlp.model, "-o", a, "--calib", mlp.calib,
             "--target", "sm_89")
    res = check_ok("quant-compile", mlp.model, "-o", b, "--calib", mlp.calib,
                   "--target", "sm_89", "--no-accuracy", "--eval", mlp.test)
    for rel in ["weights.bin", "graph.mlir", "manifest.json",
                "kernels/sm_89.ptx"]:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    ra, rb = _json(a / "report.json"), _json(b / "report.json")
    assert ra["accuracy"]["samples"] > 0 and rb["accuracy"] is None
    assert rb["heldout_accuracy"]["rel_rms_error"] <= REL_RMS_BOUND
    assert "accuracy vs float: not measured (--no-accuracy)" in res.stdout
    assert "skipping the accuracy run" in res.stdout + res.stderr


def test_single_target(mlp, tmp_path, check_ok):
    pkg = tmp_path / "one.qcpkg"
    check_ok("quant-compile", mlp.model, "-o", pkg, "--calib", mlp.calib,
             "--target", "sm_89")
    files = sorted(os.listdir(pkg / "kernels"))
    assert "sm_89.ptx" in files and all(f.startswith("sm_89.") for f in files), files
    assert _json(pkg / "manifest.json")["targets"] == ["sm_89"]
    assert _json(pkg / "report.json")["targets"] == ["sm_89"]


def test_calib_random_and_explicit_format(mlp, tmp_path, check_ok):
    pkg = tmp_path / "rnd.qcpkg"
    check_ok("quant-compile", mlp.model, "-o", pkg, "--calib-random", "8",
             "--format", "mxfp8")
    r = _json(pkg / "report.json")
    assert r["format"] == "mxfp8"
    assert r["accuracy"]["samples"] == 8
    assert r["accuracy"]["rel_rms_error"] <= REL_RMS_BOUND
    yq, yf = _quantized_vs_float(check_ok, pkg, mlp.model, mlp.test,
                                 tmp_path / "out.npz")
    assert rel_rms(yq, yf) <= REL_RMS_BOUND


def test_recompile_replaces_package(mlp, tmp_path, check_ok):
    """-o onto an existing package replaces it (make demo runs repeatedly)."""
    pkg = tmp_path / "p.qcpkg"
    check_ok("quant-compile", mlp.model, "-o", pkg, "--calib", mlp.calib)
    (pkg / "stale.txt").write_text("from an older compile")
    check_ok("quant-compile", mlp.model, "-o", pkg, "--calib", mlp.calib)
    assert not (pkg / "stale.txt").exists()
    assert (pkg / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.name.startswith("p.qcpkg")) == ["p.qcpkg"]


def test_ptxas_outside_a_toolkit_gives_ptx_only(mlp, tmp_path, run_tool):
    """A ptxas found on PATH that is not <toolkit>/bin/ptxas (the cubin
    comes from gpu-module-to-binary, which needs the toolkit): a warning,
    exit code 0, a package with PTX and no cubin."""
    fake = tmp_path / "tools"
    fake.mkdir()
    (fake / "ptxas").write_text("#!/bin/sh\nexit 3\n")
    (fake / "ptxas").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:{os.environ.get('PATH', '')}")
    pkg = tmp_path / "m.qcpkg"
    res = run_tool("quant-compile", mlp.model, "-o", pkg, "--calib",
                   mlp.calib, env=env)
    assert res.returncode == 0, describe(res)
    assert "ptxas must be an executable <toolkit>/bin/ptxas" in res.stderr
    assert "the package gets PTX only" in res.stderr
    assert (pkg / "kernels" / "sm_89.ptx").is_file()
    assert not list((pkg / "kernels").glob("*.cubin"))
