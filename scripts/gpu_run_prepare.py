#!/usr/bin/env python3
"""Writes what scripts/gpu_run_check.py needs (called by gpu_run_check.sh):
packages of the bundled examples that have a GPU program, inputs and the
Executor's outputs per batch, the float model for the PyTorch baseline, and
cases.json. Examples whose graph has no GPU program are listed with the ops
quant-compile names.

    gpu_run_prepare.py --build BUILD_DIR --out OUT_DIR [--real-models LIST]

--real-models silero-main (bench/gpu_programs.py's names; pip download
into --cache once) adds real models from PyPI in int8 and mxfp8 at their
static batch: silero-vad's If-inlined graph, 1-D convs as conv / i8_conv
kernels and its LSTM cell. A model that cannot be fetched (no network) is
reported and skipped.
"""
import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["mlp", "cnn", "gpt2", "llama"]
# (example, --format): every example in the default MXFP8, and the static-
# scale formats whose Q/DQ graphs run through the quantize_linear /
# dequantize_linear chains and the i8 max pool.
CASES = [(e, "mxfp8") for e in EXAMPLES] + [
    ("mlp", "int8"), ("mlp", "fp8"), ("cnn", "int8"), ("gpt2", "int8"),
    ("llama", "fp8"),
    ("mlp", "int8-dynamic"), ("gpt2", "int8-dynamic"),  # run-time scales
    ("cnn", "int8-dynamic"),  # one scale per image (and channel: depthwise)
    ("mlp", "int4-g128"), ("gpt2", "nvfp4"),  # 4-bit codes
    ("mlp", "mxfp4"),  # e2m1 codes recoded to e4m3 in the GEMM
    # sm_90a alone: the fp8-1x128 and fp8 (static per-tensor activations,
    # per-channel weights) matmuls on the TMA + wgmma GEMM (its tensor maps
    # encoded at run time). Not LLaMA: its run-time 1x128
    # quantizes turn f32 rounding differences of the attention matmuls
    # into e4m3 code flips beyond the 1e-3 output check.
    ("mlp", "fp8-1x128", "sm_90a"), ("gpt2", "fp8-1x128", "sm_90a"),
    ("mlp", "fp8", "sm_90a"), ("gpt2", "fp8", "sm_90a"),
    # Raised graphs (--raise-patterns all): qc.attention, qc.rms_norm (its
    # rows' run-time quantize fused), qc.silu / qc.gelu kernels.
    ("gpt2", "mxfp8-raised"), ("llama", "fp8-1x128-raised", "sm_90a")]
BATCHES = [1, 37, 256]
REAL_FORMATS = ["int8", "mxfp8"]
TARGETS = "sm_90,sm_89"
TORCH_OPS = {"MatMul", "Gemm", "Add", "Relu"}


def load_example(name):
    path = ROOT / "examples" / name / f"make_{name}.py"
    spec = importlib.util.spec_from_file_location(f"make_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def torch_spec(model_path, out, name):
    """The float model as a node list + weights, when every node is one the
    baseline interpreter in gpu_run_check.py knows."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(str(model_path))
    g = m.graph
    if any(n.op_type not in TORCH_OPS for n in g.node) or len(g.input) != 1 \
            or len(g.output) != 1:
        return False
    nodes = []
    for n in g.node:
        d = {"op": n.op_type, "inputs": list(n.input), "output": n.output[0]}
        for a in n.attribute:
            if a.name in ("transB", "transA"):
                d[a.name] = a.i
            elif a.name in ("alpha", "beta"):
                d[a.name] = a.f
        if d.get("transA"):
            return False
        nodes.append(d)
    weights = {i.name: numpy_helper.to_array(i).astype(np.float32)
               for i in g.initializer}
    np.savez(out / f"{name}.torch.npz", **weights)
    (out / f"{name}.torch.json").write_text(json.dumps(
        {"input": g.input[0].name, "output": g.output[0].name, "nodes": nodes}))
    return True


def write_reference(bin_dir, out, name, pkg, batch, inputs):
    """The case's inputs at `batch` and the Executor's outputs for them
    (quant-run on the package): NAME.bB.in.npz, NAME.bB.ref.npz. False
    (reported) when quant-run fails."""
    np.savez(out / f"{name}.b{batch}.in.npz", **inputs)
    r = subprocess.run([str(bin_dir / "quant-run"), str(pkg), "--inputs",
                        str(out / f"{name}.b{batch}.in.npz"), "--outputs",
                        str(out / f"{name}.b{batch}.ref.npz")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{name}: quant-run failed:\n{r.stderr}", file=sys.stderr)
    return r.returncode == 0


def real_model_cases(model, bin_dir, out, cache, cases):
    """Packages of a real model (bench/gpu_programs.py fetches and feeds
    it) in REAL_FORMATS at its static batch, with the Executor's outputs;
    appended to `cases`. Returns 1 when quant-run fails on a package."""
    sys.path.insert(0, str(ROOT / "bench"))
    import gpu_programs
    try:
        paths = gpu_programs.generate_silero(model, out / "src" / model, cache)
    except (KeyError, OSError, subprocess.CalledProcessError) as e:
        print(f"{model}: not fetched, skipped: {e}")
        return 0
    with np.load(paths["test"]) as z:
        test = {k: z[k] for k in z.files}
    batch = next(iter(test.values())).shape[0]
    for fmt in REAL_FORMATS:
        name = model if fmt == "mxfp8" else f"{model}-{fmt}"
        pkg = out / f"{name}.qcpkg"
        res = subprocess.run(
            [str(bin_dir / "quant-compile"), paths["model"], "--calib",
             paths["calib"], "-o", str(pkg), "--target", TARGETS, "--format",
             fmt, *paths["args"], "-q"], capture_output=True, text=True)
        if res.returncode != 0:
            why = res.stderr.strip().splitlines()
            print(f"{name}: no GPU package: {why[-1] if why else res.returncode}")
            continue
        if not write_reference(bin_dir, out, name, pkg, batch, test):
            return 1
        cases.append({"model": name, "input": next(iter(test)),
                      "batches": [batch], "torch_baseline": False})
        print(f"{name}: package with a GPU program; batches [{batch}]")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--real-models", default="",
                    help="comma-separated: silero, silero-main, "
                         "silero-ifless")
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "quantc-bench-ppocr",
                    help="where the models' wheels are downloaded once")
    args = ap.parse_args(argv)
    out, bin_dir = args.out, args.build / "bin"
    cases = []
    for example, fmt, *target in CASES:
        # The case's name: the example, or example-format beside mxfp8
        # (-sm90a for a package of that target alone).
        targets = target[0] if target else TARGETS
        name = example if fmt == "mxfp8" else f"{example}-{fmt}"
        if target:
            name += "-" + targets.replace("_", "")
        src = out / "src" / example
        paths = load_example(example).generate(str(src))
        calib = paths.get("calib") or paths["test"]
        pkg = out / f"{name}.qcpkg"
        with np.load(paths["test"]) as z:
            test = {k: z[k] for k in z.files}
        base = fmt[:-len("-raised")] if fmt.endswith("-raised") else fmt
        fmt_args = (["--format", base[:-len("-dynamic")], "--activations",
                     "dynamic"] if base.endswith("-dynamic")
                    else ["--format", base])
        if fmt.endswith("-raised"):
            fmt_args += ["--raise-patterns", "all"]
        compile_cmd = [str(bin_dir / "quant-compile"), paths["model"],
                       "--calib", calib, "-o", str(pkg), "--target", targets,
                       *fmt_args, "-q"]
        res = subprocess.run(compile_cmd, capture_output=True, text=True)
        batches = BATCHES
        if res.returncode != 0 and "dynamic non-batch dims" in res.stderr:
            # Only the batch may vary at run time: fix the test set's shapes.
            fixed = [f"--input-shape={k}={'x'.join(map(str, v.shape))}"
                     for k, v in test.items()]
            res = subprocess.run(compile_cmd + fixed, capture_output=True, text=True)
            batches = [next(iter(test.values())).shape[0]]
            if res.returncode == 0:
                print(f"{name}: compiled with {' '.join(fixed)}")
        if res.returncode != 0:
            why = res.stderr.strip().splitlines()
            print(f"{name}: no GPU package: {why[-1] if why else res.returncode}")
            continue
        manifest = json.loads((pkg / "manifest.json").read_text())
        first = manifest["inputs"][0]["name"]
        for b in batches:
            reps = -(-b // test[first].shape[0])
            inputs = {k: np.concatenate([v] * reps)[:b] for k, v in test.items()}
            if not write_reference(bin_dir, out, name, pkg, b, inputs):
                return 1
        has_torch = torch_spec(paths["model"], out, name)
        case = {"model": name, "input": first, "batches": batches,
                "torch_baseline": has_torch}
        if example in ("gpt2", "llama") and (
                fmt.endswith("-dynamic") or fmt.startswith("fp8-1x128") or
                fmt in ("fp8", "nvfp4", "mxfp8-raised")):
            # A GEMM sum an ulp away from the Executor's can flip a code of a
            # quantize inside attention, which reaches the whole token row:
            # numpy model vs Executor, GPT-2 int8 dynamic rel. RMS 1.5e-3 (2
            # of 32 rows), LLaMA fp8 6.2e-3 (1 of 32 rows; an e4m3 step is
            # 1/8 of the value; an e2m1 step up to 1/3), GPT-2 fp8-1x128
            # 8.7e-3 where the Executor's OpenBLAS sums with AVX-512 (an
            # Intel Xeon; 2.6e-7 on an AVX2 EPYC), every other row within
            # 1e-6. The per-step checks stay exact.
            case["e2e_tolerance"] = 2e-2
        cases.append(case)
        print(f"{name}: package with a GPU program; batches {batches}"
              f"{'' if has_torch else '; no PyTorch baseline'}")
    for model in filter(None, args.real_models.split(",")):
        if real_model_cases(model, bin_dir, out, args.cache, cases) != 0:
            return 1
    (out / "cases.json").write_text(json.dumps(cases, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
