"""quantc: an MLIR-based quantization compiler, from Python.

The module binds quantc's own C++ API (the same code the command-line tools
run), so a package compiled here is the package ``quant-compile`` writes,
and a model run here gives the outputs ``quant-run`` gives.

Entry points:

* :func:`compile` -- ONNX model + calibration data -> :class:`Package`
  (kernels, weights, report).
* :func:`run` -- run an ONNX model, a ``.mlir`` file, a :class:`Module` or a
  :class:`Package` on the CPU reference Executor.
* :func:`import_onnx`, :func:`parse_mlir`, :func:`load` -- a :class:`Module`
  to print, transform with pass pipelines and inspect op by op.
* :mod:`quantc.numerics` -- quantize and dequantize numpy arrays with the
  compiler's own codecs.

Every failure of quantc itself (bad model, data, options, IR) raises
:class:`Error`, whose message is what the tools print
(``error: model.onnx: node 'fc2' (Gemm): ...``) and whose ``diagnostics``
attribute lists ``(severity, location, message)`` tuples. Arguments of
the wrong Python type raise ``TypeError`` and invalid numerics arguments
``ValueError``, as usual in Python.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _quantc
from . import numerics
from ._quantc import Error

__all__ = ["Error", "HostKernels", "Module", "Op", "Package", "compile",
           "import_onnx",
           "load", "numerics", "parse_mlir", "run", "scheme_presets"]

def _error(message: str) -> Error:
    """An Error raised on the Python side, shaped like the C++ ones."""
    e = Error(f"error: {message}")
    e.diagnostics = [("error", "", message)]
    return e


Error.__module__ = "quantc"
Error.__doc__ = """A quantc diagnostic turned into an exception.

``str(err)`` is the diagnostics as the tools print them, one per line;
``err.diagnostics`` is a list of ``(severity, location, message)`` tuples,
the location naming the file, ONNX node or MLIR position at fault."""

PathLike = Union[str, os.PathLike]
Arrays = Mapping[str, np.ndarray]

# numpy dtype names quantc reads and writes (quantc/Support/Npz.h).
_DTYPES = {"float32", "float64", "float16", "bfloat16", "int8", "uint8",
           "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool"}


def _to_arrays(inputs: Arrays, what: str) -> list:
    if not isinstance(inputs, Mapping):
        raise TypeError(f"{what} must be a mapping of name -> numpy array, "
                        f"got {type(inputs).__name__}")
    out = []
    for name, value in inputs.items():
        # order="C" keeps 0-d arrays 0-d (ascontiguousarray would not).
        a = np.asarray(value, order="C")
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        if a.dtype.name not in _DTYPES:
            raise TypeError(
                f"{what}: array '{name}' has dtype {a.dtype.name}; quantc "
                f"reads {', '.join(sorted(_DTYPES))} (quantized codes "
                f"travel as uint8: use .view(np.uint8))")
        out.append((str(name), a.dtype.name, a))
    return out


def _from_arrays(arrays: list) -> dict:
    return {name: array for name, array in arrays}


def _input_shapes(shapes: Optional[Mapping[str, Sequence[int]]]) -> list:
    if not shapes:
        return []
    return [f"{k}=" + "x".join(str(int(d)) for d in v)
            for k, v in shapes.items()]


def _input_values(values: Optional[Mapping[str, object]]) -> list:
    """{name: a number or a sequence of them} as --input-value specs."""
    if not values:
        return []
    return [f"{k}=" + ",".join(repr(float(x)) for x in np.ravel(v))
            for k, v in values.items()]


@dataclass(frozen=True)
class Op:
    """A snapshot of one op of a :class:`Module` (taken by
    :meth:`Module.ops`; it does not change when the module does).

    ``schemes`` and ``stats`` hold the op's quantization schemes
    (:class:`quantc.numerics.Scheme`) and calibration statistics
    (``{"min", "max", "absmax"}``) by attribute name, e.g.
    ``op.stats["qc.lhs_stats"]["absmax"]``."""
    name: str
    location: str
    operand_types: list
    result_types: list
    attributes: dict
    schemes: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


class Module:
    """A qc module (MLIR) in its own context: the float graph after import,
    or the quantized graph after a pipeline or from a package.

    ``str(module)`` prints it as MLIR; :meth:`run_pipeline` transforms it in
    place; :meth:`ops` walks it; :meth:`run` executes it."""

    def __init__(self, impl, source: str):
        self._impl = impl
        self.source = source

    def __str__(self) -> str:
        return str(self._impl)

    def __repr__(self) -> str:
        return f"<quantc.Module from {self.source}>"

    @property
    def input_names(self) -> list:
        """Graph input names (ONNX names, or input_<i>)."""
        return self._impl.input_names()

    @property
    def output_names(self) -> list:
        """Graph output names (ONNX names, or output_<i>)."""
        return self._impl.output_names()

    def run_pipeline(self, pipeline: str) -> "Module":
        """Runs a textual pass pipeline as ``quant-opt --pass-pipeline``
        takes it, e.g. ``"builtin.module(qc-quantize-pipeline{format=mxfp8
        random-samples=8})"``, or one without the anchor, such as
        ``"canonicalize,cse"``. The ``qc-*`` passes and pipelines are in
        docs/Passes.md. Transforms the module in place and returns it."""
        self._impl.run_pipeline(pipeline)
        return self

    def verify(self) -> None:
        """Runs the MLIR verifier; raises :class:`Error` if it fails."""
        self._impl.verify()

    def ops(self) -> list:
        """Every op of the entry function, in order, as :class:`Op`
        snapshots."""
        out = []
        for d in self._impl.ops():
            schemes = {k: numerics.Scheme._from_dict(v)
                       for k, v in d["schemes"].items()}
            out.append(Op(d["name"], d["location"], d["operand_types"],
                          d["result_types"], d["attributes"], schemes,
                          d["stats"]))
        return out

    def run(self, inputs: Arrays) -> dict:
        """Runs the entry function on the Executor; see :func:`run`."""
        return _from_arrays(self._impl.run(_to_arrays(inputs, "inputs")))


class Package:
    """A compiled package directory (``model.qcpkg``): manifest, weights,
    kernels and report (docs/Tools.md)."""

    def __init__(self, path: PathLike, report: Optional[dict] = None,
                 summary: str = ""):
        self.path = Path(path)
        if not _quantc.is_package(str(self.path)):
            raise _error(f"'{self.path}' is not a quantc package (no "
                         f"manifest.json)")
        if report is None:
            report = json.loads((self.path / "report.json").read_text())
        self.report = report
        self.summary = summary

    def __repr__(self) -> str:
        return f"<quantc.Package {self.path}>"

    @property
    def manifest(self) -> dict:
        """manifest.json, parsed."""
        return json.loads((self.path / "manifest.json").read_text())

    @property
    def kernel_files(self) -> list:
        """Paths of the kernel files (PTX and cubin), sorted."""
        kdir = self.path / "kernels"
        return sorted(kdir.iterdir()) if kdir.is_dir() else []

    def module(self) -> Module:
        """The package's quantized graph, weights loaded."""
        return load(self.path)

    def run(self, inputs: Arrays) -> dict:
        """Runs the quantized graph on the Executor; see :func:`run`."""
        return run(self, inputs)


class HostKernels:
    """The GPU kernels of a package or module JIT-compiled for this CPU, to
    check them without a GPU (docs/Kernels.md, "Kernels on the host").

    ``source`` is a :class:`Package` (its graph is lowered again with
    ``qc-convert-to-gpu{target=...}``: the same planner and kernel builders
    that wrote its PTX; ``target`` defaults to the package's first) or a
    :class:`Module` that already holds a ``gpu.module`` (run
    ``qc-convert-to-gpu`` on it first).

    Kernels whose threads do not cooperate (elementwise chains, quantize,
    convolution, pooling, layout, matmul, row kernels) run every thread of
    a launch in order. Kernels whose threads cooperate run each block's
    threads as coroutines, with what they do together emulated: the
    MXFP8 GEMMs' ``mma.sync`` (e4m3/e5m2, m16n8k32; on sm_120a the
    block-scaled kinds, FP4 included), the int8 GEMM's (s8/u8 to s32), and the sm_90a GEMM's TMA loads,
    mbarriers, ``wgmma.mma_async``, ``bar.sync`` and ``shfl.sync`` (give it
    tensor maps from :meth:`tensor_map` and its dynamic shared memory).
    Kernels using what is not emulated are listed by :attr:`all_kernels`
    but not :attr:`kernels`, and :meth:`why_not` says why. A kernel reads and writes the host memory of the arrays it is
    given, as on the GPU: arguments that do not cover what it touches crash
    the process, as they would fault on the device."""

    def __init__(self, source: Union["Package", Module],
                 target: Optional[str] = None):
        if isinstance(source, Package):
            if target is None:
                target = (source.manifest.get("targets") or ["sm_90"])[0]
            source = source.module().run_pipeline(
                f"builtin.module(qc-convert-to-gpu{{target={target}}})")
        elif not isinstance(source, Module):
            raise TypeError("HostKernels takes a quantc.Package or a "
                            "quantc.Module")
        self._impl = _quantc.HostKernels(source._impl)
        self.target = target

    @property
    def kernels(self) -> list:
        """Names of the kernels that run here, in module order."""
        return self._impl.kernels()

    @property
    def all_kernels(self) -> list:
        """Names of every kernel of the module."""
        return self._impl.all_kernels()

    def why_not(self, name: str) -> str:
        """Why kernel ``name`` cannot run here ("" when it can)."""
        return self._impl.why_not(name)

    def launch(self, name: str, grid: Sequence[int], block: Sequence[int],
               args: Sequence[Any], shared_bytes: int = 0) -> None:
        """Runs kernel ``name`` on a grid x block of threads. ``args`` in
        the kernel's order: a C-contiguous numpy array for a pointer (its
        memory is the device memory; the kernel writes what it writes
        whatever the array's ``writeable`` flag says), ``("i32", n)`` or
        ``("i64", n)`` for an integer, ``("ptr", address)`` for a raw
        address. Grid and block take 1 to 3 extents (missing ones are 1).
        ``shared_bytes``: the launch's dynamic shared memory, as given to
        cuLaunchKernel. Errors (:class:`quantc.Error`) name a collective not
        every thread reaches, a deadlock (what each thread waits for), or an
        mbarrier, TMA or wgmma operand outside ``shared_bytes`` (plain loads
        and stores are not checked)."""
        packed = []
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                if not a.flags.c_contiguous:
                    raise ValueError(f"argument {i} of {name}: the array "
                                     f"must be C-contiguous")
                packed.append(("ptr", a.ctypes.data))
            elif (isinstance(a, tuple) and len(a) == 2 and
                  a[0] in ("i32", "i64", "ptr")):
                packed.append((a[0], int(a[1]) & (2**64 - 1)))
            else:
                raise TypeError(f"argument {i} of {name}: a numpy array or "
                                f"an ('i32'|'i64'|'ptr', int) pair, got "
                                f"{type(a).__name__}")

        def dims(d, what):
            d = [int(x) for x in d]
            if not 1 <= len(d) <= 3:
                raise ValueError(f"{what} takes 1 to 3 extents, got {len(d)}")
            return d + [1] * (3 - len(d))
        self._impl.launch(name, dims(grid, "grid"), dims(block, "block"),
                          packed, int(shared_bytes))

    @staticmethod
    def tensor_map(array: np.ndarray, box: Sequence[int],
                   swizzle: int = 128) -> np.ndarray:
        """A tensor map (128 bytes, uint8) for launching a TMA kernel here:
        ``array``'s memory with its shape and strides, boxes of ``box``
        elements (outermost first, as ``array.shape``), ``swizzle`` 0, 32,
        64 or 128 bytes; out-of-bounds elements read as zero. The
        counterpart of cuTensorMapEncodeTiled; the map holds ``array``'s
        address, so keep ``array`` alive while it is used."""
        if array.ndim < 1 or array.strides[-1] != array.itemsize:
            raise ValueError("tensor_map: the array's last axis must be "
                             "contiguous")
        if len(box) != array.ndim:
            raise ValueError(f"tensor_map: {array.ndim} box extents "
                             f"expected, got {len(box)}")
        raw = _quantc.HostKernels.encode_tensor_map(
            array.ctypes.data, array.itemsize, list(array.shape[::-1]),
            list(array.strides[::-1][1:]), [int(b) for b in box[::-1]],
            int(swizzle))
        return np.frombuffer(raw, dtype=np.uint8).copy()


def scheme_presets() -> list:
    """Names of the scheme presets ``compile(format=...)`` accepts."""
    return list(_quantc.scheme_presets())


def import_onnx(path: PathLike,
                input_shapes: Optional[Mapping[str, Sequence[int]]] = None,
                input_values: Optional[Mapping[str, object]] = None
                ) -> Module:
    """Imports an ONNX model (external data next to it is read) into a qc
    :class:`Module`. ``input_shapes`` fixes symbolic input dimensions,
    ``{"x": (1, 64)}``, as ``--input-shape`` does; ``input_values`` binds
    inputs to constants, ``{"sr": 16000}``, as ``--input-value`` does."""
    path = os.fspath(path)
    return Module(_quantc.load(path, _input_shapes(input_shapes), True,
                               _input_values(input_values)), path)


def parse_mlir(text: str, name: str = "<string>") -> Module:
    """Parses a qc module from MLIR text; ``name`` stands for the file in
    diagnostics."""
    return Module(_quantc.parse(text, name), name)


def load(path: PathLike,
         input_shapes: Optional[Mapping[str, Sequence[int]]] = None,
         input_values: Optional[Mapping[str, object]] = None
         ) -> Module:
    """Loads what ``quant-run`` runs: a package directory, a ``.mlir`` file
    or an ONNX model (``input_shapes`` and ``input_values`` as in
    :func:`import_onnx`)."""
    path = os.fspath(path)
    return Module(_quantc.load(path, _input_shapes(input_shapes), False,
                               _input_values(input_values)), path)


def run(model_or_package: Union[PathLike, Module, Package],
        inputs: Arrays) -> dict:
    """Runs a model on the CPU reference Executor and returns its outputs by
    name, as ``quant-run`` does.

    ``model_or_package`` is a path (``.onnx``, ``.mlir`` or a package
    directory), a :class:`Module` or a :class:`Package`. ``inputs`` maps
    each graph input name to a numpy array of the input's dtype and shape
    (dynamic dimensions take any size); quantized codes are uint8.
    bfloat16 inputs may be ``ml_dtypes.bfloat16`` arrays; bfloat16 outputs
    come back as their uint16 bit patterns (``.view(ml_dtypes.bfloat16)``),
    the ``.npz`` contract of ``quant-run``.
    Missing inputs, wrong shapes or dtypes raise :class:`Error` naming the
    input."""
    if isinstance(model_or_package, Module):
        return model_or_package.run(inputs)
    if isinstance(model_or_package, Package):
        model_or_package = model_or_package.path
    return load(model_or_package).run(inputs)


def _optional_bool(value) -> Optional[bool]:
    return None if value is None else bool(value)


def _alphas(value) -> str:
    """smooth_alphas as the comma-separated text the compiler takes: a
    string as given, or a sequence of numbers."""
    if isinstance(value, str):
        return value
    return ",".join(str(float(a)) for a in value)


def _list_option(value) -> str:
    """A list option as comma-separated text: a string as given, True as
    "all", a sequence of names joined."""
    if value is True:
        return "all"
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


_PIPELINE_OPTIONS = {
    "calib_random": "calibrate on N seeded random samples (int)",
    "calib_batch": "calibrate (and measure accuracy) N samples at a time, "
                   "so memory does not grow with their number (int; 0: all "
                   "at once)",
    "seed": "seed of the random samples (int)",
    "emit_cubin": "assemble cubins with ptxas when it is found (bool)",
    "input_shapes": "fix symbolic input dims: {name: shape}",
    "input_values": "bind inputs to constants: {name: number or numbers}",
    "calib_method": "minmax, percentile, entropy or mse (static scales)",
    "percentile": "what calib_method='percentile' keeps, in (0, 100]",
    "asymmetric": "int8 activations with a zero point (default True)",
    "activations": "'static', 'dynamic' (per-token scales at run time) or "
                   "'none' (weight-only) for int8/fp8",
    "eval": "held-out inputs (.npz path): report['heldout_accuracy']",
    "accuracy": "measure report['accuracy'] on the calibration inputs "
                "(default True; False skips that run)",
    "calib_table": "use this calibration table (JSON) instead of calibrating",
    "write_calib_table": "write this run's calibration table (JSON) here",
    "smooth_quant": "SmoothQuant before quantizing (bool; qc-smooth-quant)",
    "smooth_alpha": "SmoothQuant migration strength in [0, 1] (default 0.5)",
    "smooth_alphas": "SmoothQuant: alphas to search per layer group (list)",
    "smooth_insert_scales": "SmoothQuant: also smooth tensors no norm gain "
                            "can absorb, by an inserted division (S6)",
    "weight_method": "'rtn' (default) or 'gptq' weights (static formats)",
    "gptq_damp": "GPTQ Hessian damping, a fraction of its mean (0.01)",
    "outlier_threshold": "LLM.int8()-style float outlier channels above this",
    "depthwise_channel_scales": "activation scales per input channel of "
                                "depthwise convs (default True)",
    "bias_correction": "biases absorb the mean effect of the weights' "
                       "rounding (default None: on when calibrating on "
                       "data; True requires it, False turns it off)",
    "budget_bits": "mixed precision: average weight bits (qc-assign-precision)",
    "candidates": "mixed precision: candidate formats, comma-separated",
    "budget_latency": "mixed precision: modelled microseconds on "
                      "latency_target instead of a bit budget",
    "latency_target": "GPU of the latency model: sm_89, sm_90 (default), "
                      "sm_100",
    "latency_tokens": "rows per matmul call in the latency model (1)",
    "raise_patterns": "raise decomposed norms/GELU/SiLU/attention after "
                      "import: 'all' or a list (qc-raise-patterns)",
}


def _progress_callback(progress) -> Optional[Callable[[str], None]]:
    """compileModel prints "[k/n] message" lines; hand them on."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        def forward(line):
            step = total = 0
            msg = line
            if line.startswith("[") and "] " in line:
                head, msg = line[1:].split("] ", 1)
                a, _, b = head.partition("/")
                if a.isdigit() and b.isdigit():
                    step, total = int(a), int(b)
                else:
                    msg = line
            progress(step, total, msg)
        return forward
    try:
        from tqdm import tqdm
    except ImportError:
        return lambda line: print(line, file=sys.stderr, flush=True)
    bar = None

    def to_tqdm(line):
        nonlocal bar
        if line.startswith("[") and "] " in line:
            head, msg = line[1:].split("] ", 1)
            a, _, b = head.partition("/")
            if a.isdigit() and b.isdigit():
                if bar is None:
                    bar = tqdm(total=int(b), desc="quantc", file=sys.stderr)
                bar.set_postfix_str(msg)
                bar.update(1)
                if int(a) == int(b):
                    bar.close()
                return
        print(line, file=sys.stderr, flush=True)
    return to_tqdm


def compile(model: PathLike, calib: Union[PathLike, Arrays, None] = None, *,
            format: str = "mxfp8",
            targets: Sequence[str] = ("sm_120a", "sm_89"),
            output: Optional[PathLike] = None,
            progress: Union[None, bool, Callable[[int, int, str], Any]] = None,
            **pipeline_options) -> Package:
    """Compiles an ONNX model to a package, as ``quant-compile`` does:
    import, calibration on the Executor, quantization to ``format``,
    accuracy against float, GPU kernels for ``targets``, package + report.

    * ``calib``: an ``.npz`` path keyed by input name, or a dict of numpy
      arrays (leading axis = samples); or pass ``calib_random=N``.
    * ``format``: a scheme preset (:func:`scheme_presets`).
    * ``targets``: kernel targets (``"sm_120a"``, ``"sm_100a"``,
      ``"sm_90a"``, ``"sm_90"``, ``"sm_89"``); ``()`` for a CPU-only
      package.
    * ``output``: the package directory; default a new temporary directory
      (``Package.path`` tells where; the caller removes it).
    * ``progress``: ``True`` for a progress bar (tqdm when installed, else
      lines on stderr), or a callable ``f(step, total, message)``.
    * ``pipeline_options``: ``calib_random``, ``calib_batch`` (the
      calibration samples this many at a time along their leading axis:
      memory no longer grows with their number; needs a dynamic leading
      dimension on every input), ``seed``, ``emit_cubin``,
      ``input_shapes``; for the static-scale formats (``int8``, ``fp8``)
      ``calib_method`` (``minmax``, ``percentile``, ``entropy``, ``mse``),
      ``calib_table`` / ``write_calib_table`` (a JSON calibration table to
      reuse / to write), ``eval`` (a held-out ``.npz``:
      ``report["heldout_accuracy"]`` with
      relative RMS error, cosine and argmax agreement against float),
      ``accuracy`` (``False`` skips the accuracy run on the calibration
      inputs: ``report["accuracy"]`` is then ``None``),
      ``percentile``, ``asymmetric``, ``activations`` (``"static"``,
      ``"dynamic"`` or ``"none"``: weight-only), ``smooth_quant`` /
      ``smooth_alpha`` (SmoothQuant before quantizing) and
      ``weight_method`` (``"rtn"`` or ``"gptq"``) / ``gptq_damp``,
      ``budget_bits`` / ``candidates`` (mixed precision,
      ``report["precision"]``);
      ``int4-g128`` is weight-only (docs/Calibration.md).

    Returns the :class:`Package` with its report as a dict. Raises
    :class:`Error` with the diagnostics on bad input; nothing is written
    then."""
    unknown = set(pipeline_options) - set(_PIPELINE_OPTIONS)
    if unknown:
        known = "; ".join(f"{k}: {v}" for k, v in _PIPELINE_OPTIONS.items())
        raise TypeError(f"compile() got unknown option(s) "
                        f"{', '.join(sorted(unknown))}; known: {known}")
    if isinstance(targets, str):
        targets = [t for t in targets.split(",") if t and t != "none"]
    model = os.fspath(model)
    scratch = None
    if output is None:
        stem = Path(model).stem or "model"
        scratch = tempfile.mkdtemp(prefix="quantc-")
        output = Path(scratch) / f"{stem}.qcpkg"
    output = os.fspath(output)
    try:
        return _compile(model, calib, output, format, targets, progress,
                        pipeline_options)
    except BaseException:
        if scratch is not None:  # nothing written stays behind
            shutil.rmtree(scratch, ignore_errors=True)
        raise


def _compile(model, calib, output, format, targets, progress,
             pipeline_options) -> Package:
    calib_path, calib_arrays = "", []
    if isinstance(calib, (str, os.PathLike)):
        calib_path = os.fspath(calib)
    elif calib is not None:
        calib_arrays = _to_arrays(calib, "calib")
        if not calib_arrays:
            raise _error("calib is an empty mapping")
    report, summary = _quantc.compile(
        model, output, calib_path, calib_arrays,
        int(pipeline_options.get("calib_random", 0)),
        int(pipeline_options.get("calib_batch", 0)),
        int(pipeline_options.get("seed", 0)), format, list(targets),
        bool(pipeline_options.get("emit_cubin", True)),
        _input_shapes(pipeline_options.get("input_shapes")),
        str(pipeline_options.get("calib_method", "minmax")),
        float(pipeline_options.get("percentile", 99.99)),
        bool(pipeline_options.get("asymmetric", True)),
        str(pipeline_options.get("activations", "")),
        os.fspath(pipeline_options.get("eval", "")),
        bool(pipeline_options.get("accuracy", True)),
        os.fspath(pipeline_options.get("calib_table", "")),
        os.fspath(pipeline_options.get("write_calib_table", "")),
        bool(pipeline_options.get("smooth_quant", False)),
        float(pipeline_options.get("smooth_alpha", 0.5)),
        _alphas(pipeline_options.get("smooth_alphas", ())),
        bool(pipeline_options.get("smooth_insert_scales", False)),
        str(pipeline_options.get("weight_method", "rtn")),
        float(pipeline_options.get("gptq_damp", 0.01)),
        float(pipeline_options.get("outlier_threshold", 0)),
        bool(pipeline_options.get("depthwise_channel_scales", True)),
        _optional_bool(pipeline_options.get("bias_correction")),
        float(pipeline_options.get("budget_bits", 0)),
        str(pipeline_options.get("candidates", "int4-g128,int8")),
        _list_option(pipeline_options.get("raise_patterns", "")),
        float(pipeline_options.get("budget_latency", 0)),
        str(pipeline_options.get("latency_target", "sm_90")),
        int(pipeline_options.get("latency_tokens", 1)),
        _progress_callback(progress),
        _input_values(pipeline_options.get("input_values")))
    return Package(output, json.loads(report), summary)
