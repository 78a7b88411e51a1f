#!/usr/bin/env python3
"""AMD Quark's ONNX flow as a peer on the outlier LM: W8A8 (with and
without SmoothQuant) and 4-bit weight-only MatMulNBits, on the same model,
calibration and held-out sequences as bench/smoothquant_bench.py and
bench/gptq_bench.py. Prints a markdown table and (with --out) JSON.

Quark is not a project dependency and must not go into .venv; it lives in
its own virtual environment (amd-quark 0.13 imports torch and JIT-compiles
its custom-op library with g++ on first import, about 20 s):

    python3 -m venv /tmp/quarkvenv
    /tmp/quarkvenv/bin/pip install amd-quark onnxruntime==1.23.2 torch
    /tmp/quarkvenv/bin/python bench/quark_peer.py [--out quark.json] [--log-dir DIR]

(pip pulls the default CUDA torch wheel and ~2.8 GB of nvidia-* wheels; no
GPU is needed or used. amd-quark 0.13 pins onnx<=1.22.0.)

The model and data come from examples/outlier_lm/make_outlier_lm.py, run
with this interpreter (its output is byte-identical across interpreters):
calib.npz (16 x 32 tokens, seed 11), test.npz (8 x 32, seed 12). Each
calibration sequence is one batch of the data reader, as in
smoothquant_bench.py's ORT side.

Rows (quark.onnx.ModelQuantizer; all Quark defaults not named here are
kept, including OptimizeModel=True, which folds lm_head's Transpose(wte)
so lm_head is quantized too):
  W8A8 (QConfig): QDQ, weights Int8Spec(symmetric, per channel, MinMax);
  activations Int8Spec(asymmetric, per tensor, static) calibrated with
  MinMax or Percentile (Quark's default for Int8Spec); optionally
  algo_config=[SmoothQuantConfig(alpha=0.5)]. Quark's ONNX SmoothQuant
  inserts a float-scale Mul before each MatMul instead of folding into the
  LayerNorm, and by default the Mul's input (the unsmoothed LayerNorm
  output) is quantized per tensor too, which undoes the smoothing; the
  "LN + smooth Mul float" rows pass those Muls and the LayerNorms in
  QConfig(exclude=...) so only the smoothed MatMul inputs are quantized.
  W4A16 (legacy QuantizationConfig, Quark's MATMUL_NBITS config):
  UseMatMulNBits, MatMulNBitsParams Bits 4, GroupSize 128, Symmetric,
  AccuracyLevel 1, with Algorithm DEFAULT (round to nearest), GPTQ (with
  Quark's default GPTQParams, and with GroupSize 128 per channel) and HQQ.
  Quark 0.13's ONNX GPTQ (quark/onnx/algorithm/gptq/gptq.py) reads only
  the first calibration batch and its error feedback uses the column of
  the upper-triangular Cholesky factor below the diagonal (all zeros), so
  it is round to nearest on its own grid, then re-rounded onto the
  MatMulNBits grid.

Each result runs in onnxruntime's CPU provider with graph optimizations
off and is compared with the float model's run on the held-out sequences
(same metrics as smoothquant_bench.py: next-token argmax agreement, mean
KL(p_float || p_quant), relative RMS error of the logits). A row whose
Quark call or run raises is reported as failed with the error's first
line; the script does not stop. Each result is run twice and must give
finite, identical logits (with Quark's default GPTQParams the MatMulNBits
of mlp.c_proj get block_size = K = 512 and ORT 1.23.2 returns NaN or
logits that change from run to run).
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


# The metrics of bench/smoothquant_bench.py (numpy only at import time, so
# this interpreter can load it).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoothquant_bench import metrics  # noqa: E402


def ort_run(model, feeds):
    import onnxruntime as ort
    import onnx
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    domains = {n.domain for n in onnx.load(str(model)).graph.node}
    if any(d.startswith("com.amd") or d.startswith("com.vai") for d in domains):
        from quark.onnx import get_library_path
        so.register_custom_ops_library(get_library_path())
    s = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    return s.run(["logits"], feeds)[0]


@contextlib.contextmanager
def redirect_fds(path):
    """Sends this process's stdout/stderr (Quark's logging and prints, C++
    included) to PATH for the duration."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def first_line(e):
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    return f"{type(e).__name__}: {lines[0][:200] if lines else ''}"


def describe(model):
    """What got quantized: counts of the quantization ops in the result."""
    import onnx
    m = onnx.load(str(model))
    ops = [n.op_type for n in m.graph.node]
    weight_dq = 0
    inits = {t.name for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            weight_dq += 1
    return {"QuantizeLinear": ops.count("QuantizeLinear"),
            "DequantizeLinear": ops.count("DequantizeLinear"),
            "weight_DequantizeLinear": weight_dq,
            "MatMulNBits": ops.count("MatMulNBits"),
            "MatMul": ops.count("MatMul"),
            "domains": sorted({n.domain or "ai.onnx" for n in m.graph.node})}


def variants(model):
    import onnx
    from quark.onnx import (CalibMethod, Config, Int8Spec, QConfig,
                            QLayerConfig, QuantGranularity,
                            QuantizationConfig, SmoothQuantConfig)

    # Quark's ONNX SmoothQuant (quark/onnx/algorithm/sq/smooth_quant.py)
    # does not fold 1/s into the LayerNorm: it inserts a Mul named
    # "<input>_<matmul>_smooth_mul" in front of every MatMul with an
    # initializer weight, and the QDQ pass then quantizes the Mul's input
    # (the LayerNorm output, outliers and all) per tensor as well. The
    # "LN + smooth Mul float" rows exclude those Muls and the LayerNorms,
    # so only the smoothed MatMul inputs are quantized.
    g = onnx.load(str(model)).graph
    inits = {t.name for t in g.initializer}
    smooth_muls = [f"{n.input[0]}_{n.name}_smooth_mul" for n in g.node
                   if n.op_type == "MatMul" and n.input[1] in inits]
    # lm_head's B is Transpose(wte); Quark's optimizer folds it first.
    smooth_muls += [f"{n.input[0]}_{n.name}_smooth_mul" for n in g.node
                    if n.op_type == "MatMul" and n.name == "lm_head"]
    lns = [n.name for n in g.node if n.op_type == "LayerNormalization"]

    def w8a8(calib, smooth, exclude=()):
        act = Int8Spec(symmetric=False, calibration_method=calib,
                       quant_granularity=QuantGranularity.Tensor)
        wgt = Int8Spec(symmetric=True, calibration_method=CalibMethod.MinMax,
                       quant_granularity=QuantGranularity.Channel)
        algos = [SmoothQuantConfig(alpha=0.5)] if smooth else []
        return QConfig(global_config=QLayerConfig(activation=act, weight=wgt),
                       algo_config=algos, exclude=list(exclude),
                       extra_options={"PrintSummary": False})

    def w4(algorithm, gptq_params=None):
        # The int4 weight-only flow goes through the legacy
        # QuantizationConfig (Quark's MATMUL_NBITS_CONFIG); QConfig has no
        # int4 spec. include_cle defaults to True there (it changes
        # nothing on this model).
        params = {"GroupSize": 128, "Symmetric": True, "Bits": 4,
                  "AccuracyLevel": 1, "Algorithm": algorithm}
        extra = {"UseMatMulNBits": True, "MatMulNBitsParams": params}
        if gptq_params is not None:
            extra["GPTQParams"] = gptq_params
        return Config(global_quant_config=QuantizationConfig(
            extra_options=extra))

    mm, pc = CalibMethod.MinMax, CalibMethod.Percentile
    return {
        "W8A8 minmax": lambda: w8a8(mm, False),
        "W8A8 percentile": lambda: w8a8(pc, False),
        "W8A8 minmax + SmoothQuant a=0.5": lambda: w8a8(mm, True),
        "W8A8 percentile + SmoothQuant a=0.5": lambda: w8a8(pc, True),
        "W8A8 minmax + SmoothQuant a=0.5, LN + smooth Mul float":
            lambda: w8a8(mm, True, smooth_muls + lns),
        "W8A8 percentile + SmoothQuant a=0.5, LN + smooth Mul float":
            lambda: w8a8(pc, True, smooth_muls + lns),
        "W8A8 minmax, LN float (no SmoothQuant)":
            lambda: w8a8(mm, False, lns),
        "W4A16 int4-g128 RTN (MatMulNBits DEFAULT)": lambda: w4("DEFAULT"),
        "W4A16 int4-g128 GPTQ, Quark's default GPTQParams":
            lambda: w4("GPTQ"),
        "W4A16 int4-g128 GPTQ, GPTQParams GroupSize 128 per channel":
            lambda: w4("GPTQ", {"GroupSize": 128, "PerChannel": True}),
        "W4A16 int4-g128 HQQ (MatMulNBits)": lambda: w4("HQQ"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the results as JSON here")
    ap.add_argument("--log-dir", help="keep Quark's output and the models "
                    "here (default: a temporary directory)")
    ap.add_argument("--only", help="run only rows whose name contains this")
    args = ap.parse_args()
    work = Path(args.log_dir or tempfile.mkdtemp(prefix="quark-peer-"))
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable,
                    ROOT / "examples/outlier_lm/make_outlier_lm.py",
                    "--out-dir", work], check=True, capture_output=True)
    model, calib, test = (work / "outlier_lm.onnx", work / "calib.npz",
                          work / "test.npz")
    feeds = dict(np.load(test))
    data = dict(np.load(calib))
    ref = ort_run(model, feeds)
    log = work / "quark.log"

    try:
        with redirect_fds(log):
            import quark  # noqa: F401  (first import compiles custom ops)
            from quark.onnx import CalibrationDataReader, ModelQuantizer
            rows = variants(model)
        version = getattr(quark, "__version__", "?")
    except Exception as e:
        print(f"quark.onnx import failed: {first_line(e)} (log: {log})")
        return 1

    class Reader(CalibrationDataReader):
        def __init__(self):
            n = data["input_ids"].shape[0]
            self.rows = [{"input_ids": data["input_ids"][i:i + 1]}
                         for i in range(n)]
            self.it = iter(self.rows)

        def get_next(self):
            return next(self.it, None)

        def rewind(self):
            self.it = iter(self.rows)

    results = {}
    for i, (name, make) in enumerate(rows.items()):
        if args.only and args.only not in name:
            continue
        out = work / f"quark_{i:02d}.onnx"
        t0 = time.perf_counter()
        try:
            with redirect_fds(log):
                print(f"\n===== {out.name}: {name} =====", flush=True)
                try:
                    ModelQuantizer(make()).quantize_model(
                        str(model), str(out), Reader())
                except BaseException:
                    traceback.print_exc()
                    raise
            dt = time.perf_counter() - t0
            if not out.exists():
                raise RuntimeError("Quark wrote no model (see quark.log)")
            q = ort_run(out, feeds)
            if not np.isfinite(q).all():
                raise FloatingPointError(
                    f"non-finite logits ({np.mean(~np.isfinite(q)):.0%})")
            if not np.array_equal(q, ort_run(out, feeds)):
                raise FloatingPointError("logits differ between two runs "
                                         "of the same model")
            r = metrics(q, ref)
            r["quantize_seconds"] = dt
            r["ops"] = describe(out)
        except (Exception, SystemExit) as e:
            r = {"error": first_line(e)}
        results[name] = r

    print(f"AMD Quark {version} (quark.onnx), onnxruntime CPU, outlier LM, "
          f"held-out {feeds['input_ids'].shape}\n")
    print("| variant | agreement | KL | rel RMS | quantized | quantize s |")
    print("|---|---:|---:|---:|---|---:|")
    for name, v in results.items():
        if "error" in v:
            print(f"| {name} | failed: {v['error']} | | | | |")
            continue
        o = v["ops"]
        what = (f"{o['MatMulNBits']} MatMulNBits, {o['MatMul']} MatMul"
                if o["MatMulNBits"] else
                f"{o['QuantizeLinear']} Q, {o['weight_DequantizeLinear']} "
                f"weight DQ")
        print(f"| {name} | {100 * v['argmax_agreement']:.1f}% | "
              f"{v['kl']:.2e} | {v['rel_rms']:.4f} | {what} | "
              f"{v['quantize_seconds']:.1f} |")
    print(f"\nQuark's output: {log}")
    if args.out:
        Path(args.out).write_text(json.dumps(
            {"quark_version": version, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
