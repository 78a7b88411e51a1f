"""The bad inputs test_errors.py gives the tools, given to the Python module:
each raises quantc.Error (never aborts the interpreter), its message names
the same file, node, input or option the tool's message names, and the
working directory is left exactly as it was."""
import re

import numpy as np
import pytest

import quantc
from test_errors import (features_npz, mismatch_model, number, op_count,
                         snapshot, tiny_model, unsupported_model)


def expect_error(fn, workdir, mentions=(), patterns=()):
    before = snapshot(workdir)
    with pytest.raises(quantc.Error) as e:
        fn()
    msg = str(e.value)
    assert msg.startswith("error: ") or "\nerror: " in msg, msg
    for m in mentions:
        assert m in msg, f"message does not name {m!r}:\n{msg}"
    for p in patterns:
        assert re.search(p, msg), f"message does not match {p!r}:\n{msg}"
    assert e.value.diagnostics and all(
        len(d) == 3 for d in e.value.diagnostics)
    assert snapshot(workdir) == before, "the directory changed on failure"
    return e.value


def run_and_compile(model, workdir, inputs):
    """Both entry points on one model: run and compile."""
    arrays = dict(np.load(inputs))
    return [lambda: quantc.run(model, arrays),
            lambda: quantc.compile(model, inputs,
                                   output=workdir / "out.qcpkg")]


@pytest.mark.parametrize("entry", [0, 1])
def test_missing_model(entry, tmp_path):
    inputs = features_npz(tmp_path / "in.npz")
    fn = run_and_compile(tmp_path / "does_not_exist.onnx", tmp_path,
                         inputs)[entry]
    expect_error(fn, tmp_path, mentions=["does_not_exist.onnx"])


@pytest.mark.parametrize("entry", [0, 1])
def test_not_an_onnx_file(entry, tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(np.random.default_rng(7).integers(
        0, 256, 4096, dtype=np.uint8).tobytes())
    inputs = features_npz(tmp_path / "in.npz")
    expect_error(run_and_compile(garbage, tmp_path, inputs)[entry], tmp_path,
                 mentions=["garbage.onnx"])
    with pytest.raises(quantc.Error, match="garbage.onnx"):
        quantc.import_onnx(garbage)


@pytest.mark.parametrize("entry", [0, 1])
def test_unsupported_ops_listed_with_counts(entry, tmp_path):
    model = unsupported_model(tmp_path / "trig.onnx")
    inputs = features_npz(tmp_path / "in.npz")
    expect_error(run_and_compile(model, tmp_path, inputs)[entry], tmp_path,
                 mentions=["trig.onnx"],
                 patterns=[op_count("Det", 2), op_count("Unique", 1)])


@pytest.mark.parametrize("entry", [0, 1])
def test_matmul_shape_mismatch(entry, tmp_path):
    model = mismatch_model(tmp_path / "mismatch.onnx")
    inputs = features_npz(tmp_path / "in.npz", shape=(4, 8))
    err = expect_error(run_and_compile(model, tmp_path, inputs)[entry],
                       tmp_path,
                       mentions=["mismatch.onnx", "bad_matmul", "MatMul"],
                       patterns=[number(8), number(9)])
    # The file is the diagnostic's location field, not only text.
    assert any(loc.endswith("mismatch.onnx") and "bad_matmul" in text
               for _, loc, text in err.diagnostics)


def test_broken_package(tmp_path):
    pkg = tmp_path / "broken.qcpkg"
    pkg.mkdir()
    (pkg / "manifest.json").write_text('{"format_version": 1}\n')
    expect_error(lambda: quantc.run(pkg, {"features": np.ones((4, 64))}),
                 tmp_path, mentions=["broken.qcpkg"])


@pytest.mark.parametrize("arrays,mentions,patterns", [
    ({"other": np.ones((4, 64), np.float32)}, ["features"], []),
    ({"features": np.ones((4, 63), np.float32)}, ["features"],
     [number(63), number(64)]),
    ({"features": np.ones((2, 4, 64), np.float32)}, ["features"], []),
    ({"features": np.ones((4, 64), np.int32)}, ["features", "int32"], []),
])
def test_bad_run_inputs(arrays, mentions, patterns, tmp_path):
    model = tiny_model(tmp_path / "tiny.onnx")
    expect_error(lambda: quantc.run(model, arrays), tmp_path,
                 mentions=mentions, patterns=patterns)


def test_compile_bad_options(tmp_path):
    model = tiny_model(tmp_path / "tiny.onnx")
    calib = features_npz(tmp_path / "calib.npz")
    out = tmp_path / "out.qcpkg"
    expect_error(lambda: quantc.compile(model, calib, output=out,
                                        format="mxfp3"),
                 tmp_path, mentions=["mxfp3"])
    expect_error(lambda: quantc.compile(model, calib, output=out,
                                        targets=["sm_42"]),
                 tmp_path, mentions=["sm_42"])
    expect_error(lambda: quantc.compile(model, tmp_path / "no_calib.npz",
                                        output=out),
                 tmp_path, mentions=["no_calib.npz"])
    other = features_npz(tmp_path / "other.npz", key="other")
    expect_error(lambda: quantc.compile(model, other, output=out), tmp_path,
                 mentions=["features"])
    expect_error(lambda: quantc.compile(model, {"other": np.ones((4, 64))},
                                        output=out),
                 tmp_path, mentions=["features"])


def test_compile_bad_outputs(tmp_path):
    model = tiny_model(tmp_path / "tiny.onnx")
    calib = features_npz(tmp_path / "calib.npz")
    (tmp_path / "afile").write_text("a regular file\n")
    expect_error(lambda: quantc.compile(
        model, calib, output=tmp_path / "afile" / "out.qcpkg"),
        tmp_path, mentions=["afile"])
    expect_error(lambda: quantc.compile(
        model, calib, output=tmp_path / "no_such_dir" / "out.qcpkg"),
        tmp_path, mentions=["no_such_dir"])
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "notes.txt").write_text("precious\n")
    expect_error(lambda: quantc.compile(model, calib,
                                        output=tmp_path / "results"),
                 tmp_path, mentions=["results"])


def test_bad_input_shape_option(tmp_path):
    model = tiny_model(tmp_path / "tiny.onnx")
    expect_error(lambda: quantc.import_onnx(model,
                                            input_shapes={"features": (-1,)}),
                 tmp_path, mentions=["features"])
