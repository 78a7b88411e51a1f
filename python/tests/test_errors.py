"""Bad input to quant-run and quant-compile (DESIGN §7).

Every case must give exit code 1 (not a crash, not a signal), a message on
stderr that names what is wrong (file, node, op, input, option value), and
leave the working directory exactly as it was: no out.npz, no out.qcpkg, no
temporary `out.qcpkg.tmp-*`.
"""
import hashlib
import os
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import assert_no_crash, describe

TOOLS = ["quant-run", "quant-compile"]


# --- helpers ---------------------------------------------------------------

def snapshot(root):
    """{relative path: content hash or '<dir>'} of everything under root."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            snap[os.path.relpath(os.path.join(dirpath, d), root)] = "<dir>"
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                snap[os.path.relpath(p, root)] = hashlib.sha256(
                    fh.read()).hexdigest()
    return snap


def expect_failure(run_tool, tool, args, workdir, mentions=(), patterns=()):
    """Runs the tool, expects exit 1, a message naming every string in
    `mentions` (and matching every regex in `patterns`), and workdir
    unchanged. Returns stderr."""
    before = snapshot(workdir)
    res = run_tool(tool, *args)
    assert_no_crash(res)
    assert res.returncode == 1, describe(res)
    err = res.stderr
    assert err.strip(), "no error message:\n" + describe(res)
    for m in mentions:
        assert m in err, f"message does not name {m!r}:\n" + describe(res)
    for p in patterns:
        assert re.search(p, err), f"message does not match {p!r}:\n" + \
            describe(res)
    after = snapshot(workdir)
    assert after == before, (
        f"{tool} changed the directory on failure: added "
        f"{sorted(set(after) - set(before))}, removed "
        f"{sorted(set(before) - set(after))}, modified "
        f"{sorted(k for k in before if k in after and before[k] != after[k])}"
        "\n" + describe(res))
    return err


def number(n):
    """Regex for the integer n not embedded in a longer number ("4x7" ok)."""
    return rf"(?<![0-9]){n}(?![0-9])"


def op_count(op, n):
    """Regex: op type `op` with the count n right beside it."""
    return (rf"\b{op}\b\D{{0,12}}?{number(n)}"
            rf"|{number(n)}\s*[x×]?\s*\b{op}\b")


def save_model(graph, path):
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def tiny_model(path):
    """features [batch, 64] -> MatMul 64x16 (node 'proj') -> Relu -> scores.
    K = 64 is two whole MX blocks, so quant-compile accepts it; the error
    tests below then fail for the one reason they are about."""
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((64, 16)) / 8).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["features", "w"], ["mm"], name="proj"),
         helper.make_node("Relu", ["mm"], ["scores"], name="act")],
        "tiny",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT,
                                       ["batch", 64])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                       ["batch", 16])],
        initializer=[numpy_helper.from_array(w, "w")])
    onnx.checker.check_model(helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17)]))
    return save_model(g, path)


def features_npz(path, shape=(4, 64), key="features"):
    np.savez(path, **{key: np.ones(shape, np.float32)})
    return path


def unsupported_model(path):
    """A MatMul followed by Det, Det, Unique: two unsupported op
    types, three nodes. The importer must list both with their counts in
    one error."""
    rng = np.random.default_rng(1)
    w = (rng.standard_normal((64, 16)) / 8).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["features", "w"], ["a"], name="proj"),
         helper.make_node("Det", ["a"], ["b"], name="det_1"),
         helper.make_node("Det", ["b"], ["c"], name="det_2"),
         helper.make_node("Unique", ["c"], ["d"],
                          name="unique_1"),
         helper.make_node("Relu", ["d"], ["scores"], name="act")],
        "unsupported",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT,
                                       ["batch", 64])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                       ["batch", 16])],
        initializer=[numpy_helper.from_array(w, "w")])
    return save_model(g, path)


def mismatch_model(path):
    """MatMul [4, 8] x [9, 3]: the inner dimensions disagree."""
    w = np.zeros((9, 3), np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["features", "w"], ["scores"],
                          name="bad_matmul")],
        "mismatch",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [4, 8])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [4, 3])],
        initializer=[numpy_helper.from_array(w, "w")])
    return save_model(g, path)


def tool_args(tool, model, workdir, inputs):
    """The tool's normal invocation on `model`, writing into workdir."""
    if tool == "quant-run":
        return [model, "--inputs", inputs, "--outputs", workdir / "out.npz"]
    return [model, "-o", workdir / "out.qcpkg", "--calib", inputs]


# --- bad models (both tools) -----------------------------------------------

@pytest.mark.parametrize("tool_name", TOOLS)
def test_missing_model_file(tool_name, tmp_path, run_tool):
    inputs = features_npz(tmp_path / "in.npz")
    missing = tmp_path / "does_not_exist.onnx"
    expect_failure(run_tool, tool_name,
                   tool_args(tool_name, missing, tmp_path, inputs), tmp_path,
                   mentions=["does_not_exist.onnx"])


@pytest.mark.parametrize("tool_name", TOOLS)
def test_not_an_onnx_file(tool_name, tmp_path, run_tool):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(np.random.default_rng(7).integers(
        0, 256, 4096, dtype=np.uint8).tobytes())
    inputs = features_npz(tmp_path / "in.npz")
    expect_failure(run_tool, tool_name,
                   tool_args(tool_name, garbage, tmp_path, inputs), tmp_path,
                   mentions=["garbage.onnx"])


@pytest.mark.parametrize("tool_name", TOOLS)
def test_unsupported_ops_listed_with_counts(tool_name, tmp_path, run_tool):
    model = unsupported_model(tmp_path / "trig.onnx")
    inputs = features_npz(tmp_path / "in.npz")
    err = expect_failure(
        run_tool, tool_name, tool_args(tool_name, model, tmp_path, inputs),
        tmp_path,
        mentions=["trig.onnx"],
        # Both op types, each next to its count ("Det (2 nodes)", "Det: 2",
        # "Det x2" or "2 x Det").
        patterns=[op_count("Det", 2), op_count("Unique", 1)])
    # Supported ops are not reported as unsupported.
    assert not re.search(
        r"\bMatMul\b[^\n]*unsupported|unsupported[^\n]*\bMatMul\b", err), err


@pytest.mark.parametrize("tool_name", TOOLS)
def test_matmul_shape_mismatch(tool_name, tmp_path, run_tool):
    model = mismatch_model(tmp_path / "mismatch.onnx")
    inputs = features_npz(tmp_path / "in.npz", shape=(4, 8))
    expect_failure(run_tool, tool_name,
                   tool_args(tool_name, model, tmp_path, inputs), tmp_path,
                   mentions=["mismatch.onnx", "bad_matmul", "MatMul"],
                   patterns=[number(8), number(9)])


def test_broken_package(tmp_path, run_tool):
    """A directory that claims to be a package (manifest.json) but has no
    graph: the message names the missing file."""
    pkg = tmp_path / "broken.qcpkg"
    pkg.mkdir()
    (pkg / "manifest.json").write_text('{"format_version": 1}\n')
    inputs = features_npz(tmp_path / "in.npz")
    expect_failure(run_tool, "quant-run",
                   [pkg, "--inputs", inputs, "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["broken.qcpkg"])


# --- quant-run inputs and outputs ------------------------------------------

def test_run_missing_inputs_file(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", tmp_path / "nope.npz",
                    "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["nope.npz"])


def test_run_missing_input_key(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    inputs = features_npz(tmp_path / "in.npz", key="other")
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", inputs, "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["features"])


def test_run_wrong_input_shape(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    inputs = features_npz(tmp_path / "in.npz", shape=(4, 63))
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", inputs, "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["features"],
                   patterns=[number(63), number(64)])


def test_run_wrong_input_rank(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    inputs = features_npz(tmp_path / "in.npz", shape=(2, 4, 64))
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", inputs, "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["features"])


def test_run_wrong_input_dtype(tmp_path, run_tool):
    """Float inputs take float32 (float64 is converted, numpy's default);
    an integer array for a float input is an error."""
    model = tiny_model(tmp_path / "tiny.onnx")
    inputs = tmp_path / "in.npz"
    np.savez(inputs, features=np.ones((4, 64), np.int32))
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", inputs, "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["features", "int32"])


def test_run_inputs_not_an_npz(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", bad, "--outputs", tmp_path / "out.npz"],
                   tmp_path, mentions=["bad.npz"])


def test_run_package_missing_input_key(mlp_package, tmp_path, run_tool):
    inputs = features_npz(tmp_path / "in.npz", shape=(4, 64), key="not_x")
    expect_failure(run_tool, "quant-run",
                   [mlp_package.pkg, "--inputs", inputs,
                    "--outputs", tmp_path / "out.npz"],
                   tmp_path, patterns=[r"\bx\b"])


def test_run_unwritable_output(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    inputs = features_npz(tmp_path / "in.npz")
    (tmp_path / "afile").write_text("a regular file, not a directory\n")
    expect_failure(run_tool, "quant-run",
                   [model, "--inputs", inputs,
                    "--outputs", tmp_path / "afile" / "out.npz"],
                   tmp_path, mentions=["afile"])


# --- quant-compile options and outputs -------------------------------------

def _compile_ok_args(tmp_path, out):
    model = tiny_model(tmp_path / "tiny.onnx")
    inputs = features_npz(tmp_path / "calib.npz")
    return [model, "-o", out, "--calib", inputs]


def test_compile_unknown_format(tmp_path, run_tool):
    args = _compile_ok_args(tmp_path, tmp_path / "out.qcpkg")
    expect_failure(run_tool, "quant-compile", args + ["--format", "mxfp3"],
                   tmp_path, mentions=["mxfp3"])


def test_compile_unknown_target(tmp_path, run_tool):
    args = _compile_ok_args(tmp_path, tmp_path / "out.qcpkg")
    expect_failure(run_tool, "quant-compile", args + ["--target", "sm_42"],
                   tmp_path, mentions=["sm_42"])


def test_compile_missing_calib_file(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    expect_failure(run_tool, "quant-compile",
                   [model, "-o", tmp_path / "out.qcpkg",
                    "--calib", tmp_path / "no_calib.npz"],
                   tmp_path, mentions=["no_calib.npz"])


def test_compile_calib_missing_input_key(tmp_path, run_tool):
    model = tiny_model(tmp_path / "tiny.onnx")
    calib = features_npz(tmp_path / "calib.npz", key="other")
    expect_failure(run_tool, "quant-compile",
                   [model, "-o", tmp_path / "out.qcpkg", "--calib", calib],
                   tmp_path, mentions=["features"])


def test_compile_output_under_regular_file(tmp_path, run_tool):
    (tmp_path / "afile").write_text("a regular file, not a directory\n")
    args = _compile_ok_args(tmp_path, tmp_path / "afile" / "out.qcpkg")
    expect_failure(run_tool, "quant-compile", args, tmp_path,
                   mentions=["afile"])


def test_compile_output_parent_missing(tmp_path, run_tool):
    args = _compile_ok_args(tmp_path, tmp_path / "no_such_dir" / "out.qcpkg")
    expect_failure(run_tool, "quant-compile", args, tmp_path,
                   mentions=["no_such_dir"])


def _unwritable_dir(tmp_path):
    """A directory this process cannot create entries in. root ignores mode
    bits, so fall back to /sys (read-only to everyone) when running as root."""
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    for cand in (ro, Path("/sys")):
        try:
            os.mkdir(cand / "quantc-probe")
        except OSError:
            return cand
        os.rmdir(cand / "quantc-probe")
    pytest.skip("no unwritable directory available (running as root "
                "without a read-only /sys)")


def test_compile_output_in_readonly_dir(tmp_path, run_tool):
    ro = _unwritable_dir(tmp_path)
    try:
        args = _compile_ok_args(tmp_path, ro / "out.qcpkg")
        expect_failure(run_tool, "quant-compile", args, tmp_path,
                       mentions=["out.qcpkg"])
        assert not (ro / "out.qcpkg").exists()
        assert not any(p.name.startswith("out.qcpkg") for p in ro.iterdir())
    finally:
        (tmp_path / "readonly").chmod(0o755)


def test_compile_refuses_to_replace_non_package(tmp_path, run_tool):
    """-o naming an existing file or a directory that is not a package must
    not destroy it."""
    out_file = tmp_path / "out.qcpkg"
    out_file.write_text("precious\n")
    args = _compile_ok_args(tmp_path, out_file)
    expect_failure(run_tool, "quant-compile", args, tmp_path,
                   mentions=["out.qcpkg"])

    out_dir = tmp_path / "results"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("precious\n")
    expect_failure(run_tool, "quant-compile",
                   _compile_ok_args(tmp_path, out_dir), tmp_path,
                   mentions=["results"])
