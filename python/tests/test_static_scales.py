"""Static scales (--format int8 / fp8 / int4-g128, W8A8, W8A16 and W4A16;
qc-quantize-linear) against an
independent numpy / ml_dtypes reference, bit for bit, and its bad options.

With K = 1 a MatMul output is one f32 product of the dequantized
activation and the dequantized weight, so the Executor's result must equal
the reference exactly: any difference in the calibrated range, the F30
scale or zero point, the rounding, the per-channel weight scales or the
dequantization shows up as a bit difference."""
import json
import os

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import quantc

F32 = np.float32


def k1_model(path, w, op="MatMul"):
    """x [B, 1] @ w [1, N] (or the same as a 1x1 Conv on [B, 1, 1, 1])."""
    n = w.shape[1]
    if op == "MatMul":
        nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
        xin = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 1])
        yout = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", n])
        init = numpy_helper.from_array(w, "w")
    else:
        nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv",
                                  kernel_shape=[1, 1])]
        xin = helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                            ["b", 1, 1, 1])
        yout = helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                             ["b", n, 1, 1])
        init = numpy_helper.from_array(w.T.reshape(n, 1, 1, 1).copy(), "w")
    g = helper.make_graph(nodes, "k1", [xin], [yout], initializer=[init])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def matmul_model(path, w):
    """y = x @ w for x [b, K]: one MatMul named mm, w a constant."""
    k, n = w.shape
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "mm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", n])],
        initializer=[numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def ref_int8(x, calib, w, asymmetric):
    lo, hi = min(F32(0), calib.min()), max(F32(0), calib.max())
    if asymmetric:
        s = F32((hi - lo) / F32(255))
        zp = F32(np.rint(np.clip(F32(-128) - lo / s, -128, 127)))
    else:
        s = F32(max(-lo, hi) / F32(127))
        zp = F32(0)
    q = np.clip(np.rint((x / s).astype(F32)) + zp, -128, 127)
    xd = ((q - zp) * s).astype(F32)
    ws = (np.abs(w).max(axis=0) / F32(127)).astype(F32)
    wd = (np.clip(np.rint((w / ws).astype(F32)), -127, 127) * ws).astype(F32)
    return xd, wd


def ref_fp8(x, calib, w):
    e4m3 = ml_dtypes.float8_e4m3fn
    s = F32(max(-min(0, calib.min()), max(0, calib.max())) / F32(448))
    cast = lambda v: np.clip(v, -448, 448).astype(e4m3).astype(F32)
    xd = (cast((x / s).astype(F32)) * s).astype(F32)
    ws = (np.abs(w).max(axis=0) / F32(448)).astype(F32)
    wd = (cast((w / ws).astype(F32)) * ws).astype(F32)
    return xd, wd


def ref_weight_only(x, w, qmax):
    """W8A16 / W4A16: the activation stays float; K = 1 is one block (of
    128, for int4-g128) per output column."""
    ws = (np.abs(w).max(axis=0) / F32(qmax)).astype(F32)
    wd = (np.clip(np.rint((w / ws).astype(F32)), -qmax, qmax) * ws)
    return x, wd.astype(F32)


@pytest.mark.parametrize("fmt,asymmetric,op,acts", [
    ("int8", True, "MatMul", ""), ("int8", False, "MatMul", ""),
    ("fp8", False, "MatMul", ""), ("int8", True, "Conv", ""),
    ("int8", True, "MatMul", "none"), ("int4-g128", True, "MatMul", ""),
    ("int4-g128", True, "Conv", ""), ("bf16", False, "MatMul", ""),
    ("bf16", False, "Conv", "")])
def test_k1_bit_exact(tmp_path, fmt, asymmetric, op, acts):
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((1, 8)) * [1, 2, 4, 8, .5, .25, 3, 7]).astype(F32)
    calib = (rng.standard_normal((64, 1)) * 2 + 0.7).astype(F32)
    x = np.concatenate([rng.standard_normal((200, 1)) * 3,
                        [[50.0], [-50.0], [0.0]]]).astype(F32)  # clipped too
    model = k1_model(tmp_path / "k1.onnx", w, op)
    shape = (lambda a: a.reshape(-1, 1, 1, 1)) if op == "Conv" else \
        (lambda a: a)
    # The format's arithmetic alone: without bias correction, which would
    # add -mean * (W_q - W) (tested on its own below; with one weight per
    # output channel int8, fp8 and int4-g128 weights are exact anyway).
    pkg = quantc.compile(model, {"x": shape(calib)}, format=fmt, targets=(),
                         output=tmp_path / "p.qcpkg", asymmetric=asymmetric,
                         activations=acts, bias_correction=False)
    y = pkg.run({"x": shape(x)})["y"].reshape(len(x), -1)
    if fmt == "bf16":  # RNE to bf16 (F2), no scales, no calibration
        bf = lambda a: a.astype(ml_dtypes.bfloat16).astype(F32)
        xd, wd = bf(x), bf(w)
    elif fmt == "int4-g128" or acts == "none":
        xd, wd = ref_weight_only(x, w, 7 if fmt == "int4-g128" else 127)
    elif fmt == "int8":
        xd, wd = ref_int8(x, calib, w, asymmetric)
    else:
        xd, wd = ref_fp8(x, calib, w)
    want = (xd * wd).astype(F32)  # [B, 1] * [1, N]: one product each
    np.testing.assert_array_equal(y, want)
    layer = pkg.report["layers"][0]
    assert layer["op"] == op
    if fmt == "bf16":
        assert "calibration" not in layer
        return
    if xd is x:  # weight-only: no activation calibration in the report
        assert "calibration" not in layer
        return
    assert layer["calibration"]["method"] == "minmax"
    assert layer["calibration"]["range"] == pytest.approx(
        [float(calib.min()), float(calib.max())])


def test_percentile_range_clips(tmp_path):
    """--calib-method percentile on data with one outlier: the recorded
    range excludes it, the held-out error on the bulk is smaller."""
    rng = np.random.default_rng(6)
    w = rng.standard_normal((1, 4)).astype(F32)
    calib = rng.standard_normal((4096, 1)).astype(F32)
    calib[0] = 200.0
    model = k1_model(tmp_path / "k1.onnx", w)
    errs = {}
    x = rng.standard_normal((500, 1)).astype(F32)
    for m in ("minmax", "percentile"):
        pkg = quantc.compile(model, {"x": calib}, format="int8", targets=(),
                             output=tmp_path / f"{m}.qcpkg", calib_method=m,
                             percentile=99.9)
        rng_ = pkg.report["layers"][0]["calibration"]["range"]
        if m == "percentile":
            assert rng_[1] < 10
        else:
            assert rng_[1] == 200.0
        y = pkg.run({"x": x})["y"]
        errs[m] = np.linalg.norm(y - x @ w)
    assert errs["percentile"] < errs["minmax"] / 5


@pytest.mark.parametrize("args,mention", [
    (["--calib-method", "kl"], "unknown calibration method 'kl'"),
    (["--calib-method", "percentile", "--percentile", "0"],
     "percentile must be in (0, 100]"),
])
def test_bad_static_options(tmp_path, run_tool, args, mention):
    rng = np.random.default_rng(7)
    model = k1_model(tmp_path / "k1.onnx",
                     rng.standard_normal((1, 4)).astype(F32))
    np.savez(tmp_path / "c.npz", x=rng.standard_normal((8, 1)).astype(F32))
    res = run_tool("quant-compile", model, "-o", tmp_path / "o.qcpkg",
                   "--calib", tmp_path / "c.npz", "--format", "int8",
                   *(["--target", "none"] if "--target" not in args else []),
                   *args)
    assert res.returncode == 1, res.stderr
    assert mention in res.stderr
    assert not (tmp_path / "o.qcpkg").exists()


def test_gpu_target_lists_what_has_no_kernel(tmp_path, run_tool):
    """int8, fp8, int4-g128 and nvfp4 packages are GPU programs
    (test_gpu_program.py); MXINT8 (int8 elements under E8M0 block scales)
    has no kernel yet, and a given --target says which ops, leaving no
    package."""
    rng = np.random.default_rng(7)
    model = k1_model(tmp_path / "k1.onnx",
                     rng.standard_normal((1, 4)).astype(F32))
    np.savez(tmp_path / "c.npz", x=rng.standard_normal((8, 1)).astype(F32))
    res = run_tool("quant-compile", model, "-o", tmp_path / "o.qcpkg",
                   "--calib", tmp_path / "c.npz", "--format", "mxint8",
                   "--target", "sm_89")
    assert res.returncode == 1, res.stderr
    assert "no GPU kernel yet for: qc.quantize" in res.stderr
    assert not (tmp_path / "o.qcpkg").exists()
    for fmt in ("int8", "fp8"):
        res = run_tool("quant-compile", model, "-o", tmp_path / f"{fmt}.qcpkg",
                       "--calib", tmp_path / "c.npz", "--format", fmt,
                       "--target", "sm_89", "--no-cubin", "-q")
        assert res.returncode == 0, res.stderr
        m = json.loads((tmp_path / f"{fmt}.qcpkg/manifest.json").read_text())
        assert m["program"] is not None


def test_heldout_accuracy_in_the_report(tmp_path):
    """--eval / eval=: the report's heldout_accuracy is the quantized model
    against float on those inputs, argmax agreement included, and equals
    what running both on them gives."""
    rng = np.random.default_rng(8)
    w = rng.standard_normal((1, 6)).astype(F32)
    model = k1_model(tmp_path / "k1.onnx", w)
    calib = rng.standard_normal((32, 1)).astype(F32)
    held = rng.standard_normal((50, 1)).astype(F32)
    np.savez(tmp_path / "held.npz", x=held)
    pkg = quantc.compile(model, {"x": calib}, format="int8", targets=(),
                         output=tmp_path / "p.qcpkg",
                         eval=tmp_path / "held.npz")
    h = pkg.report["heldout_accuracy"]
    yq = pkg.run({"x": held})["y"]
    yf = quantc.run(model, {"x": held})["y"]
    assert h["samples"] == 50
    assert h["rel_rms_error"] == pytest.approx(
        np.linalg.norm(yq - yf) / np.linalg.norm(yf), rel=1e-6)
    assert h["argmax_agreement"] == pytest.approx(
        np.mean(yq.argmax(1) == yf.argmax(1)))
    assert "held-out accuracy on 50 sample(s) (held.npz)" in pkg.summary


def test_bad_calibration_and_eval_data(tmp_path, run_tool):
    rng = np.random.default_rng(9)
    model = k1_model(tmp_path / "k1.onnx",
                     rng.standard_normal((1, 4)).astype(F32))
    bad = rng.standard_normal((8, 1)).astype(F32)
    bad[5, 0] = np.inf
    np.savez(tmp_path / "inf.npz", x=bad)
    np.savez(tmp_path / "ok.npz", x=rng.standard_normal((8, 1)).astype(F32))
    np.savez(tmp_path / "wrongkey.npz", y=np.zeros((8, 1), F32))
    cases = [
        (["--calib", tmp_path / "inf.npz"],
         ["inf.npz", "calibration input 'x' has an Inf at element 5"]),
        (["--calib", tmp_path / "ok.npz", "--eval", tmp_path / "no.npz"],
         ["no.npz", "does not exist"]),
        (["--calib", tmp_path / "ok.npz", "--eval", tmp_path / "wrongkey.npz"],
         ["wrongkey.npz", "no array named 'x'"]),
    ]
    for args, mentions in cases:
        res = run_tool("quant-compile", model, "-o", tmp_path / "o.qcpkg",
                       "--format", "int8", "--target", "none", *args)
        assert res.returncode == 1, res.stderr
        for m in mentions:
            assert m in res.stderr, res.stderr
        assert not (tmp_path / "o.qcpkg").exists()
    with pytest.raises(quantc.Error, match="has an Inf"):
        quantc.compile(model, {"x": bad}, format="int8", targets=(),
                       output=tmp_path / "o.qcpkg")
    assert not (tmp_path / "o.qcpkg").exists()


def test_calibration_table_round_trip(tmp_path, run_tool, mlp):
    """--write-calib-table then --calib-table: the second compile uses the
    table's ranges (no calibration run) and writes the same package."""
    table = tmp_path / "table.json"
    common = [mlp.model, "--calib", mlp.calib, "--format", "int8",
              "--target", "none", "-q"]
    res = run_tool("quant-compile", *common, "-o", tmp_path / "a.qcpkg",
                   "--calib-method", "mse", "--write-calib-table", table)
    assert res.returncode == 0, res.stderr
    import json
    t = json.loads(table.read_text())
    assert t["format_version"] == 1
    assert set(t["layers"]) == {"fc1", "fc2", "fc3"}
    assert t["layers"]["fc1"]["method"] == "mse"
    assert {"lhs_stats", "lhs_range", "result_stats"} <= set(t["layers"]["fc1"])
    res = run_tool("quant-compile", *common, "-o", tmp_path / "b.qcpkg",
                   "--calib-table", table)
    assert res.returncode == 0, res.stderr
    a = (tmp_path / "a.qcpkg/weights.bin").read_bytes()
    b = (tmp_path / "b.qcpkg/weights.bin").read_bytes()
    assert a == b
    ra = json.loads((tmp_path / "a.qcpkg/report.json").read_text())
    rb = json.loads((tmp_path / "b.qcpkg/report.json").read_text())
    assert ra["layers"] == rb["layers"] and ra["accuracy"] == rb["accuracy"]
    # Python: the same table, the same package.
    p = quantc.compile(mlp.model, mlp.calib, format="int8", targets=(),
                       output=tmp_path / "c.qcpkg", calib_table=table)
    assert (p.path / "weights.bin").read_bytes() == a


@pytest.mark.parametrize("content,mention", [
    (None, "No such file"),
    ("{not json", "not JSON"),
    ('{"format_version": 7, "layers": {}}', "format_version 1 expected"),
    ('{"format_version": 1, "layers": {"fc1": {"lhs_stats": '
     '{"min": 0, "max": 1, "absmax": 1}}}}', "no entry for layer 'fc2'"),
    ('{"format_version": 1, "layers": {"fc1": {"lhs_stats": {"min": 2, '
     '"max": 1, "absmax": 1}}, "fc2": {}, "fc3": {}}}',
     "layer 'fc1': 'lhs_stats' needs finite min <= max"),
])
def test_bad_calibration_tables(tmp_path, run_tool, mlp, content, mention):
    table = tmp_path / "t.json"
    if content is not None:
        table.write_text(content)
    res = run_tool("quant-compile", mlp.model, "--calib", mlp.calib,
                   "--format", "int8", "--target", "none", "-o",
                   tmp_path / "o.qcpkg", "--calib-table", table)
    assert res.returncode == 1, res.stderr
    assert "t.json" in res.stderr and mention in res.stderr, res.stderr
    assert not (tmp_path / "o.qcpkg").exists()


def _ort_plain(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(str(model), so,
                             providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in s.get_outputs()], s.run(None, feeds)))


def test_model_quantized_by_onnxruntime(tmp_path, mlp):
    """A QDQ model from onnxruntime.quantization.quantize_static (INT32
    biases included) compiles as already quantized: no second Q/DQ, the
    report marks its layers, and quant-run equals ORT bit for bit."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            x = np.load(mlp.calib)["x"]
            self.rows = iter([{"x": x[i:i + 1]} for i in range(len(x))])

        def get_next(self):
            return next(self.rows, None)

    qdq = tmp_path / "mlp_qdq.onnx"
    quantize_static(str(mlp.model), str(qdq), Reader(),
                    quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8)
    n_q = sum(n.op_type == "QuantizeLinear" for n in onnx.load(qdq).graph.node)
    pkg = quantc.compile(qdq, mlp.calib, format="int8", targets=(),
                         output=tmp_path / "p.qcpkg")
    assert [l["quantized_by"] for l in pkg.report["layers"]] == ["model"] * 3
    assert all(l["schemes"]["weight_scheme"].startswith("#qc.scheme<i8")
               for l in pkg.report["layers"])
    graph = (pkg.path / "graph.mlir").read_text()
    assert graph.count("qc.quantize_linear") == n_q
    feeds = dict(np.load(mlp.test))
    np.testing.assert_array_equal(pkg.run(feeds)["logits"],
                                  _ort_plain(qdq, feeds)["logits"])


@pytest.mark.parametrize("axis,zp", [(0, True), (1, False), (None, True)])
def test_int32_dequantize_linear_matches_ort(tmp_path, axis, zp):
    """DequantizeLinear of INT32 codes (what ORT writes for biases): per
    tensor and per axis, with and without a zero point, equals ORT."""
    rng = np.random.default_rng(10)
    x = rng.integers(-100000, 100000, (2, 3)).astype(np.int32)
    n = 1 if axis is None else x.shape[axis]
    scale = (rng.random(n) * 1e-3 + 1e-4).astype(F32)
    zpv = np.zeros(n, np.int32)  # ONNX: INT32 zero points are 0
    if axis is None:
        scale, zpv = scale.reshape(()), zpv.reshape(())
    inits = [numpy_helper.from_array(x, "x"), numpy_helper.from_array(scale, "s")]
    ins = ["x", "s"]
    if zp:
        inits.append(numpy_helper.from_array(zpv, "z"))
        ins.append("z")
    attrs = {} if axis is None else {"axis": axis}
    g = helper.make_graph(
        [helper.make_node("DequantizeLinear", ins, ["y"], name="dq", **attrs)],
        "dq32", [], [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                   [2, 3])],
        initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    path = tmp_path / "dq32.onnx"
    onnx.save(m, str(path))
    np.testing.assert_array_equal(quantc.run(path, {})["y"],
                                  _ort_plain(path, {})["y"])


def test_int32_dequantize_nonzero_zero_point_is_an_error(tmp_path):
    x = numpy_helper.from_array(np.ones((2, 3), np.int32), "x")
    s = numpy_helper.from_array(np.float32(0.5), "s")
    z = numpy_helper.from_array(np.int32(3), "z")
    g = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"],
                          name="dq")], "dq32", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        initializer=[x, s, z])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    onnx.save(m, str(tmp_path / "bad.onnx"))
    with pytest.raises(quantc.Error, match="node #0 'dq'.*INT32 zero point"):
        quantc.import_onnx(tmp_path / "bad.onnx")


@pytest.mark.parametrize("method", ["percentile", "entropy", "mse"])
def test_calibration_directory(tmp_path, run_tool, mlp, method):
    """--calib DIR reads its .npz (or, for a one-input model, .npy) files
    one at a time: the same ranges as the same samples in one file, the
    accuracy over all of them, a progress line per file. (One file is one
    batch, whose histograms are taken in the min-max run; a directory
    takes them in a second run over its files: the two must agree.)"""
    import json
    x = np.load(mlp.calib)["x"]
    d_npz, d_npy = tmp_path / "npz", tmp_path / "npy"
    d_npz.mkdir()
    d_npy.mkdir()
    for i in range(4):
        np.savez(d_npz / f"part{i}.npz", x=x[8 * i:8 * i + 8])
        np.save(d_npy / f"part{i}.npy", x[8 * i:8 * i + 8])
    reports = {}
    for name, calib in (("file", mlp.calib), ("npz", d_npz), ("npy", d_npy)):
        res = run_tool("quant-compile", mlp.model, "--calib", calib,
                       "--format", "int8", "--target", "none",
                       "--calib-method", method, "-o",
                       tmp_path / f"{name}.qcpkg")
        assert res.returncode == 0, res.stderr
        reports[name] = json.loads(
            (tmp_path / f"{name}.qcpkg/report.json").read_text())
        if name != "file":
            assert "histograms: batch 4/4" in res.stderr, res.stderr
            assert "32 samples" in res.stderr
    for name in ("npz", "npy"):
        r, ref = reports[name], reports["file"]
        assert r["accuracy"]["samples"] == 32
        for a, b in zip(r["layers"], ref["layers"]):
            assert a["calibration"]["range"] == pytest.approx(
                b["calibration"]["range"], rel=1e-5)
        assert r["accuracy"]["rel_rms_error"] == pytest.approx(
            ref["accuracy"]["rel_rms_error"], rel=1e-3)


@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_calibration_batches(tmp_path, run_tool, mlp, method):
    """--calib-batch N runs one file's samples N at a time (a progress line
    per batch): the same calibration table as one run over all of them, and
    the accuracy over every sample. Python: calib_batch, arrays too. (The
    same up to the last bits: OpenBLAS's sgemm may round a row's sums
    differently for another number of rows.)"""
    import json
    x = np.load(mlp.calib)["x"]
    assert x.shape[0] == 32
    tables, reports = {}, {}
    for batch in (0, 8, 5):  # 5: a short last batch of 2
        table = tmp_path / f"t{batch}.json"
        res = run_tool("quant-compile", mlp.model, "--calib", mlp.calib,
                       "--format", "int8", "--target", "none",
                       "--calib-method", method, "--calib-batch", str(batch),
                       "--write-calib-table", table,
                       "-o", tmp_path / f"b{batch}.qcpkg")
        assert res.returncode == 0, res.stderr
        tables[batch] = json.loads(table.read_text())
        reports[batch] = json.loads(
            (tmp_path / f"b{batch}.qcpkg/report.json").read_text())
        if batch:
            n = -(-32 // batch)
            assert (f"calibrating on 32 sample(s) in {n} batches of {batch}"
                    in res.stderr), res.stderr
            last = f"samples {batch * (n - 1)}..31 of"
            assert f"min-max: batch {n}/{n} ({last}" in res.stderr
            if method != "minmax":
                assert f"histograms: batch {n}/{n}" in res.stderr
    def same_table(a, b):
        assert a.keys() == b.keys()
        for k, v in a.items():
            if isinstance(v, dict):
                same_table(v, b[k])
            elif isinstance(v, float) or (
                    isinstance(v, list) and v and
                    all(isinstance(x, float) for x in v)):
                # (a list of per-channel figures, lhs_channel_mean: each
                # as the floats above)
                assert v == pytest.approx(b[k], rel=1e-6), k
            else:
                assert v == b[k], k

    for batch in (8, 5):
        same_table(tables[batch], tables[0])
        r, ref = reports[batch]["accuracy"], reports[0]["accuracy"]
        assert r["samples"] == 32
        # The same samples; scales equal up to the last bits can move a
        # value across a rounding boundary, and the sums run in another
        # order.
        assert r["rel_rms_error"] == pytest.approx(ref["rel_rms_error"],
                                                   rel=1e-4)
    p = quantc.compile(mlp.model, {"x": x}, format="int8", targets=(),
                       output=tmp_path / "api.qcpkg", calib_method=method,
                       calib_batch=8,
                       write_calib_table=tmp_path / "api.json")
    same_table(json.loads((tmp_path / "api.json").read_text()), tables[0])
    assert p.report["accuracy"]["samples"] == 32


def test_bad_calibration_batches(tmp_path, run_tool, mlp):
    """--calib-batch needs a dynamic leading dimension, the same number of
    samples in every input, one file; errors leave no package."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3)).astype(F32)
    static = tmp_path / "static.onnx"
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "s",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 3])],
        initializer=[numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(static))
    np.savez(tmp_path / "six.npz", x=rng.standard_normal((6, 4)).astype(F32))
    d = tmp_path / "dir"
    d.mkdir()
    np.savez(d / "a.npz", x=np.load(mlp.calib)["x"][:8])
    cases = [
        (static, ["--calib", tmp_path / "six.npz", "--calib-batch", "2"],
         "calibration batches of 2 samples need a dynamic leading (batch) "
         "dimension on every model input; input 'x' has a static 6"),
        (mlp.model, ["--calib", d, "--calib-batch", "2"],
         "--calib-batch splits one .npz (or in-memory or random samples); "
         "the files of directory"),
        (mlp.model, ["--calib", mlp.calib, "--calib-batch", "-1"],
         "--calib-batch -1 must be >= 0"),
    ]
    for model, args, mention in cases:
        res = run_tool("quant-compile", model, "-o", tmp_path / "o.qcpkg",
                       "--format", "int8", "--target", "none", *args)
        assert res.returncode == 1, res.stderr
        assert mention in res.stderr, res.stderr
        assert "see current operation" not in res.stderr
        assert not (tmp_path / "o.qcpkg").exists()
    # The whole file at once is fine for the static model.
    res = run_tool("quant-compile", static, "-o", tmp_path / "o.qcpkg",
                   "--format", "int8", "--target", "none", "--calib",
                   tmp_path / "six.npz")
    assert res.returncode == 0, res.stderr


def test_bad_calibration_directories(tmp_path, run_tool, mlp):
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad"
    bad.mkdir()
    np.savez(bad / "a.npz", x=np.ones((2, 64), F32))
    np.savez(bad / "b.npz", y=np.ones((2, 64), F32))
    for calib, mentions in ((empty, ["empty", "no .npz or .npy files"]),
                            (bad, ["b.npz", "no array named 'x'"])):
        res = run_tool("quant-compile", mlp.model, "--calib", calib,
                       "--format", "int8", "--target", "none", "-o",
                       tmp_path / "o.qcpkg")
        assert res.returncode == 1, res.stderr
        for m in mentions:
            assert m in res.stderr, res.stderr
        assert not (tmp_path / "o.qcpkg").exists()


def test_review_edge_cases(tmp_path, run_tool):
    """A weight channel too small for an f32 scale stays in float (no
    abort); an activation x activation matmul is reported without a weight
    and with both ranges; option combinations that cannot work fail before
    any work."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((1, 4)).astype(F32)
    w[0, 2] = 1e-44  # amax / 127 underflows to 0
    tiny = k1_model(tmp_path / "tiny.onnx", w)
    res = run_tool("quant-compile", tiny, "--calib-random", "4", "--format",
                   "int8", "--target", "none", "-o", tmp_path / "t.qcpkg")
    assert res.returncode == 0, res.stderr
    assert "weight left in float" in res.stderr
    g = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["y"], name="qk")], "axa",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [4, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "axa.onnx"))
    pkg = quantc.compile(tmp_path / "axa.onnx", calib_random=8, format="int8",
                         targets=(), output=tmp_path / "a.qcpkg")
    (layer,) = pkg.report["layers"]
    assert "weight_shape" not in layer and "rhs_range" in layer["calibration"]
    assert "(activations)" in pkg.summary
    for args, mention in (
            (["--format", "mxfp8", "--activations", "none"],
             "applies to int8, fp8, fp8-1x128 and int4-g128"),
            (["--format", "int4-g128", "--activations", "static"],
             "quantizes weights only"),
            (["--format", "int4-g128", "--activations", "dynamic"],
             "quantizes weights only"),
            (["--format", "int8", "--activations", "sometimes"],
             "activations must be static, dynamic or none")):
        res = run_tool("quant-compile", tiny, "--calib-random", "4",
                       "--target", "none", "-o", tmp_path / "o.qcpkg", *args)
        assert res.returncode == 1 and mention in res.stderr, res.stderr
        assert "importing" not in res.stderr  # refused before any work


def test_imported_per_channel_weight_with_negative_axis(tmp_path):
    """A QDQ weight whose DequantizeLinear uses axis=-1 (per output column of
    [K, N]) is recorded with the per-channel scheme block [0, 1]."""
    rng = np.random.default_rng(12)
    codes = rng.integers(-127, 128, (4, 3)).astype(np.int8)
    g = helper.make_graph(
        [helper.make_node("DequantizeLinear", ["wq", "ws"], ["w"], name="dqw",
                          axis=-1),
         helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"],
                          name="qx"),
         helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"],
                          name="dqx"),
         helper.make_node("MatMul", ["xd", "w"], ["y"], name="mm")],
        "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        initializer=[numpy_helper.from_array(codes, "wq"),
                     numpy_helper.from_array(
                         np.array([0.1, 0.2, 0.3], F32), "ws"),
                     numpy_helper.from_array(np.float32(0.05), "xs"),
                     numpy_helper.from_array(np.int8(0), "xz")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    m.ir_version = 9
    onnx.save(m, str(tmp_path / "qdq.onnx"))
    pkg = quantc.compile(tmp_path / "qdq.onnx", calib_random=4, format="int8",
                         targets=(), output=tmp_path / "p.qcpkg")
    (layer,) = pkg.report["layers"]
    assert layer["quantized_by"] == "model"
    assert layer["schemes"]["weight_scheme"] == \
        "#qc.scheme<i8, scale = f32, block = [0, 1], symmetric>"
    assert layer["schemes"]["act_scheme"] == \
        "#qc.scheme<i8, scale = f32, block = [], symmetric>"
    x = rng.standard_normal((2, 4)).astype(F32)
    # The same dequantized operands; the f32 sums of 4 products may round
    # differently (ONNX Runtime's MLAS uses FMA on AVX-512 CPUs: 1 ulp of
    # 1 element of 6 on a Xeon, bit-exact on an AVX2 EPYC).
    np.testing.assert_allclose(pkg.run({"x": x})["y"],
                               _ort_plain(tmp_path / "qdq.onnx",
                                          {"x": x})["y"], rtol=1e-6, atol=0)


def _example(name, out_dir):
    """(model, calibration .npz, held-out .npz) of a bundled example."""
    from conftest import generate_example
    paths = generate_example(name, out_dir)
    test = paths["test"]
    return paths["model"], paths.get("calib", test), test


@pytest.mark.parametrize("name,fmt", [("cnn", "int8"), ("gpt2", "int8"),
                                      ("mlp", "int8"), ("cnn", "fp8")])
def test_propagate_scales_is_exact(tmp_path, name, fmt):
    """qc-propagate-scales (P1-P6, docs/Calibration.md) only moves where
    values are codes: the outputs are bit for bit those without it, while
    layout ops (and the CNN's max-pool, for int8) now move codes."""
    model, calib, test = _example(name, tmp_path / name)
    feeds = dict(np.load(test))
    outs, graphs = [], []
    for propagate in ("false", "true"):
        m = quantc.import_onnx(model).run_pipeline(
            f"builtin.module(qc-quantize-pipeline{{format={fmt} "
            f"calib={calib} propagate-scales={propagate}}})")
        m.verify()
        graphs.append(str(m))
        outs.append(m.run(feeds))
    for k in outs[0]:
        np.testing.assert_array_equal(outs[0][k], outs[1][k], err_msg=k)
    code = "xi8>" if fmt == "int8" else "xf8E4M3FN>"
    moved = [l for l in graphs[1].splitlines()
             if any(f"qc.{op} " in l for op in ("reshape", "transpose",
                                                 "max_pool", "flatten"))
             and l.rstrip().endswith(code)]
    before = [l for l in graphs[0].splitlines()
              if "qc.max_pool" in l and l.rstrip().endswith(code)]
    assert not before
    if name == "cnn" and fmt == "int8":
        # conv -> relu -> max_pool -> Q: the pool runs on i8 codes.
        assert any("qc.max_pool" in l for l in moved), graphs[1]
    if name == "gpt2":
        # Attention's K^T and the head reshapes move codes.
        assert any("qc.transpose" in l for l in moved), graphs[1]


def _dyn_codec(fmt):
    """(qmax, the code rounding as a function of x / s) of int8 or fp8."""
    if fmt == "int8":
        return 127, lambda v: np.clip(np.rint(v), -128, 127)
    return 448, lambda v: np.clip(v, -448, 448).astype(
        ml_dtypes.float8_e4m3fn).astype(F32)


def _dyn_ref(x, qmax, cast, asymmetric=False):
    """F31 per row. Symmetric: s = max(max|x| / qmax, 2^-126), codes
    cast(x / s). Asymmetric (int8): lo = min(min x, 0), hi = max(max x, 0),
    s = max((hi - lo) / 255, 2^-126), z = rne(clip(-128 - lo / s, -128,
    127)), codes clip(rne(x / s) + z, -128, 127), values (code - z) * s."""
    tiny = F32(2.0 ** -126)
    if asymmetric:
        lo = np.minimum(x.min(axis=-1, keepdims=True), F32(0))
        hi = np.maximum(x.max(axis=-1, keepdims=True), F32(0))
        s = np.maximum(((hi - lo).astype(F32) / F32(255)).astype(F32), tiny)
        z = np.rint(np.clip((F32(-128) - (lo / s).astype(F32)).astype(F32),
                            -128, 127))
        q = np.clip(np.rint((x / s).astype(F32)) + z, -128, 127)
        return ((q - z).astype(F32) * s).astype(F32)
    s = np.maximum((np.abs(x).max(axis=-1, keepdims=True) / F32(qmax))
                   .astype(F32), tiny)
    return (cast((x / s).astype(F32)) * s).astype(F32)


@pytest.mark.parametrize("fmt,asymmetric", [("int8", True), ("int8", False),
                                            ("fp8", False)])
def test_dynamic_per_token_bit_exact(tmp_path, fmt, asymmetric):
    """--activations dynamic (F31): one scale per row (and, int8's default,
    a zero point), computed at run time. With an identity weight each
    output is one product xd[m, n] * wd[n, n] (plus exact zeros), so the
    dequantized per-token activations are checked bit for bit, an all-zero
    row and an all-positive one included; the calibration data (far
    wider) must not matter."""
    k = 4
    w = np.eye(k, dtype=F32)
    matmul_model(tmp_path / "eye.onnx", w)
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((64, k)) *
         rng.uniform(1e-3, 1e3, (64, 1))).astype(F32)
    x[5] = 0
    x[6] = np.abs(x[6]) + F32(1)  # zero point -128, no code wasted below
    calib = {"x": (rng.standard_normal((8, k)) * 1e4).astype(F32)}
    pkg = quantc.compile(tmp_path / "eye.onnx", calib, format=fmt, targets=(),
                         output=tmp_path / "p.qcpkg", activations="dynamic",
                         asymmetric=asymmetric)
    y = pkg.run({"x": x})["y"]
    qmax, cast = _dyn_codec(fmt)
    wd = (cast((w / (np.abs(w).max(axis=0) / F32(qmax)).astype(F32))
               .astype(F32)) *
          (np.abs(w).max(axis=0) / F32(qmax)).astype(F32)).astype(F32)
    want = (_dyn_ref(x, qmax, cast, asymmetric) * np.diag(wd)).astype(F32)
    np.testing.assert_array_equal(y, want)
    assert not y[5].any()
    if asymmetric:
        # The non-negative row spends all 256 codes on [0, max]: within half
        # of max / 255 (symmetric: half of max / 127).
        xd6 = _dyn_ref(x[6:7], qmax, cast, True)
        assert np.abs(xd6 - x[6:7]).max() <= x[6].max() / 255 / 2 * 1.0001
    layer = pkg.report["layers"][0]
    assert "calibration" not in layer
    assert layer["activation_scales"] == "dynamic"
    assert ("asymmetric scales computed at run time" in pkg.summary) == \
        asymmetric


@pytest.mark.parametrize("name,fmt", [("gpt2", "int8"), ("mlp", "fp8"),
                                      ("cnn", "int8"), ("gpt2", "fp8-1x128"),
                                      ("mlp", "fp8-1x128"), ("cnn", "bf16"),
                                      ("gpt2", "bf16"), ("gpt2", "nvfp4"),
                                      ("mlp", "nvfp4")])
def test_dynamic_activations_export_to_ort(tmp_path, run_tool, check_ok,
                                           name, fmt):
    """A dynamic-activation package exports to ONNX (Abs, ReduceMax, Div,
    Max, blocked QuantizeLinear with the run-time scale) that ONNX Runtime
    runs to what quant-run computes. Tolerance: the scale and codes are the
    same f32 operations on both sides; the matmul/conv sums differ in order
    (a few ulps), which rarely moves a later activation across a rounding
    boundary, one code step (measured on GPT-2: max 1e-2 of |logits| ~ 5,
    2e-3 relative RMS); 1e-2 relative RMS catches a wrong scale or axis."""
    model, calib, test = _example(name, tmp_path / name)
    pkg = tmp_path / "d.qcpkg"
    check_ok("quant-compile", model, "-o", pkg, "--calib", calib,
             "--target", "none", "--format", fmt,
             *(["--activations", "dynamic"]
               if fmt not in ("bf16", "nvfp4") else []))
    if fmt == "fp8-1x128":  # blocked weight scales, 1x128 activations
        assert "block = [128, 128]" in (pkg / "graph.mlir").read_text()
    out = tmp_path / "d.onnx"
    check_ok("quant-translate", "--export-onnx", pkg, "-o", out)
    m = onnx.load(str(out))
    onnx.checker.check_model(m, full_check=True)
    assert any(n.op_type == ("Cast" if fmt == "bf16" else "ReduceMax")
               for n in m.graph.node)
    check_ok("quant-run", pkg, "--inputs", test, "--outputs",
             tmp_path / "ref.npz")
    ref = dict(np.load(tmp_path / "ref.npz"))
    got = _ort_plain(out, dict(np.load(test)))
    for k in ref:
        d = np.linalg.norm(got[k].astype(np.float64) - ref[k])
        assert d <= 1e-2 * np.linalg.norm(ref[k]), k


def test_fp8_1x128_bit_exact(tmp_path):
    """fp8-1x128 (F27 weights, F31 1x128 activation blocks): with an
    identity weight [200, 200] each output is one product xd * wd (plus exact
    zeros), so the 1x128 activation scales (a whole block and a partial one
    of 72 per row) and the 128x128 weight scales (all-zero blocks: scale 1)
    are checked bit for bit against numpy/ml_dtypes."""
    k = 200
    w = np.eye(k, dtype=F32) * F32(3.0)
    matmul_model(tmp_path / "eye.onnx", w)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, k)).astype(F32)
    x[:, 128:] *= F32(100.0)  # the tail block has its own scale
    x[3, :128] = 0            # an all-zero block
    pkg = quantc.compile(tmp_path / "eye.onnx", {"x": x[:4]},
                         format="fp8-1x128", targets=(),
                         output=tmp_path / "p.qcpkg")
    y = pkg.run({"x": x})["y"]
    e4m3 = ml_dtypes.float8_e4m3fn
    cast = lambda v: np.clip(v, -448, 448).astype(e4m3).astype(F32)
    xd = np.concatenate([_dyn_ref(x[:, :128], 448, cast),
                         _dyn_ref(x[:, 128:], 448, cast)], axis=1)
    ws = F32(F32(3.0) / F32(448))  # every diagonal 128x128 block: amax 3
    wd = (cast((F32(3.0) / ws).astype(F32)) * ws).astype(F32)
    np.testing.assert_array_equal(y, (xd * wd).astype(F32))
    assert not y[3, :128].any()
    layer = pkg.report["layers"][0]
    assert layer["activation_scales"] == "dynamic"
    assert "128x128 block" in pkg.summary


def test_nvfp4_bit_exact(tmp_path):
    """nvfp4 (F28): E2M1 codes, E4M3 scales per 16 along K times an f32
    tensor scale; the activation's tensor scale from calibration
    (amax / (6 * 448)), its block scales at run time. With a diagonal weight
    each output is one product xd * wd (plus exact zeros), so blocks of
    16, 16 and a partial 8 per row, a zero block (scale 0: dequantizes to
    0) and a saturating block (inputs above the calibrated range) are
    checked bit for bit against ml_dtypes."""
    k = 40
    w = np.eye(k, dtype=F32) * F32(3.0)
    matmul_model(tmp_path / "eye.onnx", w)
    rng = np.random.default_rng(9)
    calib = rng.standard_normal((32, k)).astype(F32)
    x = (rng.standard_normal((24, k)) *
         rng.uniform(0.01, 2, (24, 1))).astype(F32)
    x[2, :16] = 0                # a zero block
    x[4, 16:32] *= F32(1e4)      # above the calibrated range: saturates
    pkg = quantc.compile(tmp_path / "eye.onnx", {"x": calib}, format="nvfp4",
                         targets=(), output=tmp_path / "p.qcpkg")
    y = pkg.run({"x": x})["y"]
    e4m3, e2m1 = ml_dtypes.float8_e4m3fn, ml_dtypes.float4_e2m1fn
    to8 = lambda v: np.clip(v, 0, 448).astype(e4m3).astype(F32)
    to4 = lambda v: np.clip(v, -6, 6).astype(e2m1).astype(F32)
    t = F32(np.abs(calib).max() / F32(6 * 448))
    xd = np.zeros_like(x)
    for b0 in range(0, k, 16):
        blk = x[:, b0:b0 + 16]
        u = ((np.abs(blk).max(axis=1, keepdims=True) / F32(6)).astype(F32)
             / t).astype(F32)
        s = (to8(u) * t).astype(F32)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(s > 0, to4((blk / s).astype(F32)), F32(0))
        xd[:, b0:b0 + 16] = (q * s).astype(F32)
    # Weight: the block holding each diagonal 3 has amax 3, so t_w =
    # 3 / 2688, its scale code 448 and its effective scale 448 * t_w.
    tw = F32(F32(3.0) / F32(6 * 448))
    sw = (to8(((F32(3.0) / F32(6)) / tw).astype(F32)) * tw).astype(F32)
    wd = (to4((F32(3.0) / sw).astype(F32)) * sw).astype(F32)
    np.testing.assert_array_equal(y, (xd * wd).astype(F32))
    assert not y[2, :16].any()
    layer = pkg.report["layers"][0]
    assert layer["activation_scales"] == "dynamic"
    assert layer["calibration"]["range"] == pytest.approx(
        [float(calib.min()), float(calib.max())])
    assert "E4M3 scales per 16 along K" in pkg.summary


def depthwise_model(path, w, mult=1):
    """y = depthwise 1x1 conv of x [b, C, 1, 1] (group C, `mult` outputs
    per input channel): y[:, m] = x[:, m // mult] * w[m], one product per
    output, so quantized results are exact."""
    return conv1x1_model(path, w.reshape(len(w), 1), len(w) // mult,
                         size=1, name="dw")


@pytest.mark.parametrize("fmt,asymmetric,per_channel", [
    ("int8", True, True), ("int8", False, True), ("fp8", False, True),
    ("int8", True, False)])
def test_depthwise_channel_scales_bit_exact(tmp_path, run_tool, check_ok,
                                            fmt, asymmetric, per_channel):
    """Q4: a depthwise conv's input gets one static scale per channel, each
    from that channel's calibrated range (ref_int8 / ref_fp8 per column),
    or one per tensor with depthwise_channel_scales=False; the export runs
    on ONNX Runtime to the same values (per-axis QuantizeLinear, axis 1)."""
    rng = np.random.default_rng(11)
    spread = np.array([0.05, 1.0, 30.0], F32)  # very different channels
    w = np.array([0.5, -2.0, 0.125], F32)
    calib = (rng.standard_normal((64, 3)) * spread + spread / 4).astype(F32)
    x = (rng.standard_normal((100, 3)) * spread * 1.5).astype(F32)
    model = depthwise_model(tmp_path / "dw.onnx", w)
    img = lambda a: a.reshape(-1, 3, 1, 1)
    pkg = quantc.compile(model, {"x": img(calib)}, format=fmt, targets=(),
                         output=tmp_path / "p.qcpkg", asymmetric=asymmetric,
                         depthwise_channel_scales=per_channel)
    y = pkg.run({"x": img(x)})["y"].reshape(len(x), 3)
    want = np.empty_like(y)
    for c in range(3):
        cal = calib[:, c:c + 1] if per_channel else calib
        ref = ref_int8 if fmt == "int8" else \
            (lambda xx, cc, ww, _: ref_fp8(xx, cc, ww))
        xd, wd = ref(x[:, c:c + 1], cal, w[c:c + 1].reshape(1, 1),
                     asymmetric)
        want[:, c] = (xd * wd).astype(F32)[:, 0]
    np.testing.assert_array_equal(y, want)
    layer = pkg.report["layers"][0]
    assert layer.get("activation_scales") == \
        ("per-channel" if per_channel else None)
    # With int8, the narrow channel keeps its precision only with its own
    # scale (half a step: 2.5e-4 against 0.13 under the tensor's scale),
    # over the values inside its calibrated range (the others clip either
    # way). E4M3's steps are relative: one scale serves it well enough.
    inside = (x[:, 0] >= calib[:, 0].min()) & (x[:, 0] <= calib[:, 0].max())
    err = np.abs(y[inside, 0] - x[inside, 0] * w[0]).max()
    if fmt == "int8":
        assert (err < 1e-3) == per_channel
    np.savez(tmp_path / "x.npz", x=img(x))
    out = tmp_path / "dw_q.onnx"
    check_ok("quant-translate", "--export-onnx", tmp_path / "p.qcpkg", "-o",
             out)
    m = onnx.load(str(out))
    onnx.checker.check_model(m, full_check=True)
    got = _ort_plain(out, {"x": img(x)})["y"].reshape(len(x), 3)
    np.testing.assert_array_equal(got, want)


def conv1x1_model(path, w, group, size=2, name="conv"):
    """y = 1x1 conv of x [b, C, size, size] with weight w [M, C / group]."""
    m, cg = w.shape
    c = cg * group
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name=name,
                          kernel_shape=[1, 1], group=group)], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["b", c, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["b", m, size, size])],
        initializer=[numpy_helper.from_array(w.reshape(m, cg, 1, 1), "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


@pytest.mark.parametrize("fmt,asymmetric", [("int8", True), ("int8", False),
                                            ("fp8", False)])
@pytest.mark.parametrize("depthwise", [False, True])
def test_dynamic_conv_scales_bit_exact(tmp_path, run_tool, check_ok, fmt,
                                       asymmetric, depthwise):
    """F31 on convs: one dynamic scale per image (a window never leaves its
    image), or per image and channel for a depthwise conv (Q4's run-time
    form). With a diagonal 1x1 weight each output is one product xd * wd,
    so the dequantized activations are checked bit for bit against numpy
    (an all-zero image included); an image's result does not depend on
    the rest of its batch; the ONNX export runs on ONNX Runtime to the same
    values."""
    c = 3
    diag = np.array([0.5, -2.0, 0.125], F32)
    w = diag.reshape(c, 1) if depthwise else np.diag(diag).astype(F32)
    model = conv1x1_model(tmp_path / "c.onnx", w, c if depthwise else 1)
    rng = np.random.default_rng(5)
    # Images and channels of very different magnitudes.
    x = (rng.standard_normal((20, c, 2, 2)) * rng.uniform(1e-2, 1e2, (20, 1, 1, 1))
         * np.array([0.05, 1.0, 30.0], F32).reshape(1, c, 1, 1)).astype(F32)
    x[7] = 0
    x[9] = np.abs(x[9])  # non-negative: zero point -128
    pkg = quantc.compile(model, {"x": x[:4]}, format=fmt, targets=(),
                         output=tmp_path / "p.qcpkg", activations="dynamic",
                         asymmetric=asymmetric)
    y = pkg.run({"x": x})["y"]
    qmax, cast = _dyn_codec(fmt)
    # Rows of the reference: an image, or an image's channel.
    xd = _dyn_ref(x.reshape(20 * c, 4) if depthwise else x.reshape(20, -1),
                  qmax, cast, asymmetric).reshape(x.shape)
    ws = (np.abs(diag) / F32(qmax)).astype(F32)
    wd = (cast((diag / ws).astype(F32)) * ws).astype(F32)
    want = (xd * wd.reshape(1, c, 1, 1)).astype(F32)
    np.testing.assert_array_equal(y, want)
    assert not y[7].any()
    for i in (0, 7, 19):  # alone, as in the batch
        np.testing.assert_array_equal(pkg.run({"x": x[i:i + 1]})["y"],
                                      y[i:i + 1])
    assert pkg.report["layers"][0]["activation_scales"] == "dynamic"
    out = tmp_path / "c_q.onnx"
    check_ok("quant-translate", "--export-onnx", tmp_path / "p.qcpkg", "-o",
             out)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    np.testing.assert_array_equal(_ort_plain(out, {"x": x})["y"], want)


@pytest.mark.parametrize("acts", ["static", "none"])
def test_bias_correction_bit_exact(tmp_path, acts):
    """B1: with bias_correction the matmul's output gets -sum_k mean[k] *
    (W_q - W)[k, n] added, the channel means from the calibration inputs
    (multiples of 1/4 over 64 rows: the sums and means are exact); the
    values are the numpy reference's to the bit, and the correction brings
    the output's mean over the calibration rows to the float one's."""
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((3, 4)) * [1, 3, 0.3, 7]).astype(F32)
    calib = (np.round(rng.standard_normal((64, 3)) * 8) / 4 + [2, -1, 5])
    calib = calib.astype(F32)
    x = (rng.standard_normal((50, 3)) * 2 + [2, -1, 5]).astype(F32)
    model = matmul_model(tmp_path / "mm.onnx", w)
    outs = {}
    for bc in (False, True):
        pkg = quantc.compile(model, {"x": calib}, format="int8", targets=(),
                             output=tmp_path / f"p{bc}.qcpkg",
                             activations=acts, bias_correction=bc)
        outs[bc] = pkg.run({"x": x})["y"]
        assert pkg.report["layers"][0].get("bias_corrected", False) == bc
    ws = (np.abs(w).max(axis=0) / F32(127)).astype(F32)
    wd = (np.clip(np.rint((w / ws).astype(F32)), -127, 127) * ws)
    wd = wd.astype(F32)
    mean = calib.astype(np.float64).mean(axis=0)
    shift = (mean[:, None] * (wd.astype(np.float64) - w)).sum(axis=0)
    np.testing.assert_array_equal(outs[True],
                                  (outs[False] + (-shift).astype(F32)))
    if acts == "none":  # W8A16: the corrected mean is the float mean
        got = pkg.run({"x": calib})["y"].astype(np.float64).mean(axis=0)
        want = (calib.astype(np.float64) @ w.astype(np.float64)).mean(axis=0)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def test_bad_bias_correction_options(tmp_path, run_tool, check_ok):
    """--bias-correction asked for where it cannot apply: a calibration
    table without channel means (one written with
    --bias-correction=false)."""
    model = matmul_model(tmp_path / "mm.onnx", np.ones((2, 2), F32))
    np.savez(tmp_path / "c.npz", x=np.ones((4, 2), F32))
    check_ok("quant-compile", model, "--calib", tmp_path / "c.npz", "-o",
             tmp_path / "t.qcpkg", "--target", "none", "--format", "int8",
             "--bias-correction=false", "--write-calib-table",
             tmp_path / "t.json")
    for args, mention in [
            (["--format", "int8", "--calib-table", tmp_path / "t.json"],
             "which calibration table '" + str(tmp_path / "t.json") +
             "' does not hold")]:
        r = run_tool("quant-compile", model, "--calib", tmp_path / "c.npz",
                     "-o", tmp_path / "p.qcpkg", "--target", "none",
                     "--bias-correction", *args)
        assert r.returncode == 1, r.stderr
        assert mention in r.stderr, r.stderr
        assert not (tmp_path / "p.qcpkg").exists()
    # By default the same table is used without correction, quietly.
    r = run_tool("quant-compile", model, "--calib", tmp_path / "c.npz",
                 "-o", tmp_path / "p.qcpkg", "--target", "none", "--format",
                 "int8", "--calib-table", tmp_path / "t.json")
    assert r.returncode == 0 and "bias-corrected" not in r.stdout, r.stderr


def test_bias_correction_by_default(tmp_path, run_tool, check_ok):
    """B1 is on by default for every format (int8, MX, nvfp4 and bf16
    here), and a calibration table written with it carries the channel
    means: compiling
    from the table gives the package calibrating on the data gave, to the
    bit; bias_correction=False turns it off."""
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((3, 4)) * [1, 3, 0.3, 7]).astype(F32)
    calib = (rng.standard_normal((64, 3)) + [2, -1, 5]).astype(F32)
    x = (rng.standard_normal((20, 3)) + [2, -1, 5]).astype(F32)
    model = matmul_model(tmp_path / "mm.onnx", w)
    np.savez(tmp_path / "c.npz", x=calib)
    np.savez(tmp_path / "x.npz", x=x)
    for fmt in ("int8", "mxfp8", "nvfp4", "bf16"):
        out = {}
        for name, extra in [("data", ["--write-calib-table",
                                      tmp_path / "t.json"]),
                            ("table", ["--calib-table", tmp_path / "t.json"]),
                            ("off", ["--bias-correction=false"])]:
            pkg = tmp_path / f"{fmt}-{name}.qcpkg"
            r = check_ok("quant-compile", model, "--calib", tmp_path / "c.npz",
                         "-o", pkg, "--target", "none", "--format", fmt,
                         *extra)
            assert ("1 bias-corrected" in r.stdout) == (name != "off"), \
                r.stdout
            check_ok("quant-run", pkg, "--inputs", tmp_path / "x.npz",
                     "--outputs", tmp_path / "y.npz")
            out[name] = np.load(tmp_path / "y.npz")["y"]
        table = json.loads((tmp_path / "t.json").read_text())
        means = [l["lhs_channel_mean"] for l in table["layers"].values()]
        np.testing.assert_allclose(means[0], calib.mean(axis=0), rtol=1e-5)
        np.testing.assert_array_equal(out["data"], out["table"])
        assert not np.array_equal(out["data"], out["off"]), fmt


def test_mx_bias_correction_bit_exact(tmp_path):
    """B1 on an MX format: the correction is -sum_k mean[k] * (W_q - W)[k,
    n] with W_q the OCP MX weight (blocks of 32 along K, floor scales) of
    quantc.numerics, and it moves the output's mean over the calibration
    rows toward the float one's."""
    rng = np.random.default_rng(8)
    k = 40  # a full block of 32 and a short one of 8
    w = (rng.standard_normal((k, 5)) * 0.7).astype(F32)
    calib = (np.round(rng.standard_normal((64, k)) * 8) / 4 + 1.5).astype(F32)
    x = (rng.standard_normal((30, k)) + 1.5).astype(F32)
    model = matmul_model(tmp_path / "mm.onnx", w)
    outs, pkgs = {}, {}
    for bc in (False, True):
        pkgs[bc] = quantc.compile(model, {"x": calib}, format="mxfp8",
                                  targets=(), output=tmp_path / f"p{bc}.qcpkg",
                                  bias_correction=bc)
        outs[bc] = pkgs[bc].run({"x": x})["y"]
        assert pkgs[bc].report["layers"][0].get("bias_corrected",
                                                False) == bc
    codes, scales = quantc.numerics.quantize_mx(w.T.copy(), "f8E4M3FN", 32)
    wd = quantc.numerics.dequantize_mx(codes, scales, "f8E4M3FN").T
    mean = calib.astype(np.float64).mean(axis=0)
    shift = (mean[:, None] * (wd.astype(np.float64) - w)).sum(axis=0)
    np.testing.assert_array_equal(outs[True],
                                  outs[False] + (-shift).astype(F32))
    want = (calib.astype(np.float64) @ w).mean(axis=0)
    err = {bc: np.abs(p.run({"x": calib})["y"].mean(axis=0) - want).max()
           for bc, p in pkgs.items()}
    assert err[True] < err[False], err


def test_depthwise_channel_multiplier_bit_exact(tmp_path):
    """Q4 with two outputs per input channel (M = 2C): output m reads
    input channel m // 2, quantized with that channel's own scale."""
    rng = np.random.default_rng(12)
    spread = np.array([0.05, 1.0, 30.0], F32)
    w = np.array([0.5, -1.0, -2.0, 0.75, 0.125, 3.0], F32)
    calib = (rng.standard_normal((64, 3)) * spread).astype(F32)
    x = (rng.standard_normal((40, 3)) * spread).astype(F32)
    model = depthwise_model(tmp_path / "dw2.onnx", w, mult=2)
    img = lambda a: a.reshape(len(a), -1, 1, 1)
    pkg = quantc.compile(model, {"x": img(calib)}, format="int8",
                         targets=(), output=tmp_path / "p.qcpkg")
    y = pkg.run({"x": img(x)})["y"].reshape(len(x), 6)
    for m in range(6):
        c = m // 2
        xd, wd = ref_int8(x[:, c:c + 1], calib[:, c:c + 1],
                          w[m:m + 1].reshape(1, 1), True)
        np.testing.assert_array_equal(y[:, m], (xd * wd).astype(F32)[:, 0])
    assert pkg.report["layers"][0]["activation_scales"] == "per-channel"


def _dw_pw_model(path, c=8, hw=32):
    """x [b, c, hw, hw] -> depthwise 3x3 conv -> relu -> 1x1 conv to c."""
    rng = np.random.default_rng(4)
    dw = (rng.standard_normal((c, 1, 3, 3)) * 0.5).astype(F32)
    pw = (rng.standard_normal((c, c, 1, 1)) * 0.3).astype(F32)
    b = rng.standard_normal(c).astype(F32)
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "dw"], ["d"], name="dw",
                          kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=c),
         helper.make_node("Relu", ["d"], ["r"], name="relu"),
         helper.make_node("Conv", ["r", "pw", "b"], ["y"], name="pw",
                          kernel_shape=[1, 1])], "dwpw",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["n", c, hw, hw])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["n", c, hw, hw])],
        initializer=[numpy_helper.from_array(dw, "dw"),
                     numpy_helper.from_array(pw, "pw"),
                     numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_threaded_calibration_is_exact(tmp_path, run_tool, check_ok,
                                       method):
    """The observer's scans split over the Executor's threads (tensors of
    64 x 8 x 32 x 32 values: several parts each) give the package one
    thread gives, byte for byte: ranges, histograms, depthwise channel
    ranges (Q4) and channel means (B1, in the corrected biases)."""
    model = _dw_pw_model(tmp_path / "m.onnx")
    rng = np.random.default_rng(8)
    np.savez(tmp_path / "c.npz",
             x=(rng.standard_normal((64, 8, 32, 32)) *
                np.linspace(0.1, 4, 8)[None, :, None, None] + 0.5)
             .astype(F32))
    pkgs = []
    for threads in ("1", "2"):
        pkg = tmp_path / f"t{threads}.qcpkg"
        env = dict(os.environ, QUANTC_NUM_THREADS=threads)
        check_ok("quant-compile", model, "--calib", tmp_path / "c.npz",
                 "-o", pkg, "--format", "int8", "--target", "none",
                 "--calib-method", method, "--bias-correction",
                 "--no-accuracy", "-q", env=env)
        pkgs.append(pkg)
    text = (pkgs[0] / "graph.mlir").read_text()
    assert "qc.bias_corrected" in text
    assert "block = [0, 1, 0, 0]" in text  # the depthwise conv's Q4
    for f in ("graph.mlir", "weights.bin"):
        assert (pkgs[0] / f).read_bytes() == (pkgs[1] / f).read_bytes(), f


def test_bias_correction_behind_a_computed_flatten(tmp_path):
    """x.view(x.size(0), -1) before a classifier (Shape, Slice, Concat with
    -1, Reshape) leaves the matmul's input [?, ?]: the channel means take
    the run-time extent, so B1 still corrects that layer."""
    rng = np.random.default_rng(4)
    w = numpy_helper.from_array(rng.standard_normal((8, 3)).astype(F32), "w")
    minus1 = numpy_helper.from_array(np.array([-1], np.int64), "m1")
    nodes = [helper.make_node("Shape", ["x"], ["s"], end=1),
             helper.make_node("Concat", ["s", "m1"], ["shape"], axis=0),
             helper.make_node("Reshape", ["x", "shape"], ["f"]),
             helper.make_node("MatMul", ["f", "w"], ["y"], name="fc")]
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                   ["n", 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w, minus1])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, str(tmp_path / "m.onnx"))
    calib = {"x": (rng.standard_normal((32, 2, 4)) + 3).astype(F32)}
    pkg = quantc.compile(tmp_path / "m.onnx", calib, format="int8",
                         targets=(), output=tmp_path / "p.qcpkg",
                         write_calib_table=tmp_path / "t.json")
    layer = pkg.report["layers"][0]
    assert layer["name"] == "fc" and layer.get("bias_corrected"), layer
    # The table it wrote (8 means) reads back: the same package.
    table = json.loads((tmp_path / "t.json").read_text())
    assert len(next(iter(table["layers"].values()))["lhs_channel_mean"]) == 8
    again = quantc.compile(tmp_path / "m.onnx", calib, format="int8",
                           targets=(), output=tmp_path / "q.qcpkg",
                           calib_table=tmp_path / "t.json")
    x = {"x": (rng.standard_normal((5, 2, 4)) + 3).astype(F32)}
    np.testing.assert_array_equal(again.run(x)["y"], pkg.run(x)["y"])


def test_report_counts_outputs_that_turn_nan(tmp_path, run_tool):
    """sqrt(x W) is NaN where x W < 0: quantizing W moves some entries near
    0 across it, so the quantized model has NaN where the float one has a
    number, or the other way. Those pairs are left out of the accuracy
    figures (report.json stays JSON: it has no NaN) and counted, in the
    report and in the printed summary; NaN on both sides is no mismatch."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((64, 64)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["z"]),
         helper.make_node("Sqrt", ["z"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 64])],
        [numpy_helper.from_array(w, "w")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              tmp_path / "m.onnx")
    np.savez(tmp_path / "c.npz",
             x=rng.standard_normal((16, 64)).astype(np.float32))
    res = run_tool("quant-compile", tmp_path / "m.onnx", "--calib",
                   tmp_path / "c.npz", "--format", "int4-g128",
                   "--target", "none", "-o", tmp_path / "m.qcpkg")
    assert res.returncode == 0, res.stderr
    acc = json.loads((tmp_path / "m.qcpkg/report.json").read_text())[
        "accuracy"]
    n = acc["nonfinite_mismatches"]
    assert n > 0, acc
    assert 0 < acc["rel_rms_error"] < 1 and 0 < acc["cosine_similarity"] < 1
    assert f"{n} non-finite mismatch(es)" in res.stdout + res.stderr
