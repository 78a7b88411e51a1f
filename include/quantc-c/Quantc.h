/*===- quantc-c/Quantc.h - C API of the quantc compiler -----------*- C -*-===*\
|*                                                                            *|
|* A C99 interface to quantc for hosts that cannot link C++: compile an ONNX  *|
|* model to a package, load a model (.onnx, .mlir or package directory), run  *|
|* pass pipelines on it and run it on the CPU reference Executor.             *|
|*                                                                            *|
|* Conventions (those of MLIR's mlir-c):                                      *|
|*  - Handles are structs holding one pointer; a null handle (ptr == NULL) is *|
|*    what a failed create/load returns, tested with quantc<Type>IsNull.      *|
|*    quantc<Type>Destroy accepts a null handle.                              *|
|*  - Strings passed in are QuantcStringRef views, not necessarily            *|
|*    NUL-terminated; quantc copies what it keeps. Strings handed out go to a *|
|*    QuantcStringCallback and are valid only during the callback.            *|
|*  - Every call that can fail returns a QuantcLogicalResult or a null        *|
|*    handle; nothing aborts, and no C++ exception crosses this interface.    *|
|*    The reason is in quantcContextGetLastError.                             *|
|*  - A context is used by one thread at a time. Modules belong to the        *|
|*    context they were loaded in and must be destroyed before it.            *|
|*                                                                            *|
|* See docs/Embedding.md.                                                     *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_C_QUANTC_H
#define QUANTC_C_QUANTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#define QUANTC_CAPI_EXPORTED
#else
#define QUANTC_CAPI_EXPORTED __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*
 * Support types
 *===----------------------------------------------------------------------===*/

/// A view of a string: `length` bytes at `data`, not necessarily
/// NUL-terminated. Never owns its bytes.
typedef struct QuantcStringRef {
  const char *data;
  size_t length;
} QuantcStringRef;

static inline QuantcStringRef quantcStringRefCreate(const char *data,
                                                    size_t length) {
  QuantcStringRef s = {data, length};
  return s;
}

/// A view of a NUL-terminated string (NULL gives the empty string).
QUANTC_CAPI_EXPORTED QuantcStringRef
quantcStringRefCreateFromCString(const char *str);

/// Success or failure of a call; the reason for a failure is in
/// quantcContextGetLastError.
typedef struct QuantcLogicalResult {
  int8_t value;
} QuantcLogicalResult;

static inline bool quantcLogicalResultIsSuccess(QuantcLogicalResult r) {
  return r.value != 0;
}
static inline bool quantcLogicalResultIsFailure(QuantcLogicalResult r) {
  return r.value == 0;
}
static inline QuantcLogicalResult quantcLogicalResultSuccess(void) {
  QuantcLogicalResult r = {1};
  return r;
}
static inline QuantcLogicalResult quantcLogicalResultFailure(void) {
  QuantcLogicalResult r = {0};
  return r;
}

/// Receives text quantc hands out (a printed module, a report, a
/// diagnostic). `text` is valid only during the call; copy what you keep.
typedef void (*QuantcStringCallback)(QuantcStringRef text, void *userData);

/*===----------------------------------------------------------------------===*
 * Context
 *===----------------------------------------------------------------------===*/

/// Owns an MLIR context with quantc's dialects and passes registered, and
/// collects the diagnostics of the calls made with it.
typedef struct QuantcContext {
  void *ptr;
} QuantcContext;

/// Creates a context. Returns a null context only when out of memory.
QUANTC_CAPI_EXPORTED QuantcContext quantcContextCreate(void);

/// Destroys a context (destroy its modules first). Null is a no-op.
QUANTC_CAPI_EXPORTED void quantcContextDestroy(QuantcContext ctx);

static inline bool quantcContextIsNull(QuantcContext ctx) {
  return ctx.ptr == NULL;
}

/// The error text of the last failed call made with `ctx` (or with one of
/// its modules): one line per diagnostic, as the tools print them,
///   "error: model.onnx: node 'fc1' (MatMul): <message>"
/// followed by its notes ("note: ..."). Empty after a successful call: it is
/// cleared at the start of every call. Valid until the next call with `ctx`.
/// With a null context: the error of the last call made on this thread, if
/// that call was given a null handle and so had no context to record it in
/// ("error: quantcModuleRunF32: the module is null").
QUANTC_CAPI_EXPORTED QuantcStringRef
quantcContextGetLastError(QuantcContext ctx);

/// Also hands every diagnostic (errors, warnings, remarks, each with its
/// notes, formatted as above) to `callback` as it is emitted, including those
/// of calls that succeed. A NULL callback stops it.
QUANTC_CAPI_EXPORTED void quantcContextSetDiagnosticCallback(
    QuantcContext ctx, QuantcStringCallback callback, void *userData);

/*===----------------------------------------------------------------------===*
 * Compiling a model to a package (what quant-compile does)
 *===----------------------------------------------------------------------===*/

/// Options of quantcCompile: an opaque handle with setters, so that options
/// can be added without breaking callers. Defaults are quant-compile's:
/// format "mxfp8", targets "sm_120a,sm_89", cubins assembled when ptxas is
/// found, no calibration data (one source must be set).
typedef struct QuantcCompileOptions {
  void *ptr;
} QuantcCompileOptions;

QUANTC_CAPI_EXPORTED QuantcCompileOptions quantcCompileOptionsCreate(void);
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsDestroy(QuantcCompileOptions options);

static inline bool quantcCompileOptionsIsNull(QuantcCompileOptions options) {
  return options.ptr == NULL;
}

// The setters copy their arguments and ignore a null `options`; values are
// checked by quantcCompile, which reports what is wrong.

/// The ONNX model to compile.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetModelPath(QuantcCompileOptions options,
                                 QuantcStringRef path);
/// The package directory to write (replaced if it is a previous package).
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetOutputPath(QuantcCompileOptions options,
                                  QuantcStringRef path);
/// Calibration inputs: an .npz keyed by the model's input names.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetCalibrationPath(QuantcCompileOptions options,
                                       QuantcStringRef path);
/// Calibrates on `samples` seeded standard-normal samples instead (0: off).
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetCalibrationRandom(QuantcCompileOptions options,
                                         int64_t samples, uint64_t seed);
/// Scheme preset for weights and activations ("mxfp8", "nvfp4", ...).
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetFormat(QuantcCompileOptions options,
                              QuantcStringRef format);
/// Comma-separated kernel targets ("sm_120a,sm_89"), or "none" (or empty)
/// for a CPU-only package.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetTargets(QuantcCompileOptions options,
                               QuantcStringRef targets);
/// Whether to assemble cubins with ptxas when it is available.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetEmitCubin(QuantcCompileOptions options, bool emit);

/// Static-scale formats (int8, fp8, int4-g128; docs/Calibration.md): the
/// calibration method ("minmax", "percentile", "entropy", "mse"), the
/// percentile it keeps, asymmetric int8 activations, and "static" or
/// "none" (weight-only) activations; checked by quantcCompile.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetCalibrationMethod(QuantcCompileOptions options,
                                         QuantcStringRef method,
                                         double percentile);
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetActivations(QuantcCompileOptions options,
                                   QuantcStringRef activations,
                                   bool asymmetric);

/// Held-out inputs (.npz) for the report's heldout_accuracy; a calibration
/// table to use instead of calibrating, and one to write (empty: none).
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetEvaluationPath(QuantcCompileOptions options,
                                      QuantcStringRef path);
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetCalibrationTables(QuantcCompileOptions options,
                                         QuantcStringRef read,
                                         QuantcStringRef write);
/// Runs calibration and the accuracy run over the calibration samples this
/// many at a time along their leading axis (quant-compile --calib-batch;
/// 0, the default: all at once). Needs a dynamic leading dimension on every
/// model input.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetCalibrationBatch(QuantcCompileOptions options,
                                        int64_t samples);
/// Whether to run the quantized graph over the calibration inputs for the
/// report's accuracy (default true; quant-compile --no-accuracy is false).
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetMeasureAccuracy(QuantcCompileOptions options,
                                       bool measure);
/// Fixes a symbolic input shape of the ONNX model: "name=1x3x224x224"
/// (quant-compile --input-shape). May be given once per input.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsAddInputShape(QuantcCompileOptions options,
                                  QuantcStringRef spec);
/// Binds a graph input of the ONNX model to constant values: "sr=16000" or
/// "name=1,2,3" (quant-compile --input-value); the package no longer takes
/// that input. May be given once per input.
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsAddInputValue(QuantcCompileOptions options,
                                  QuantcStringRef spec);
/// Hands each progress line ("[1/5] importing model.onnx") to `callback`,
/// without its newline. NULL: no progress (the default).
QUANTC_CAPI_EXPORTED void
quantcCompileOptionsSetProgressCallback(QuantcCompileOptions options,
                                        QuantcStringCallback callback,
                                        void *userData);

/// Runs the whole pipeline (import, calibration, quantization, kernels,
/// package). On success hands the report (report.json's content, JSON text)
/// to `reportCallback` and the human-readable summary quant-compile prints
/// to `summaryCallback`; either may be NULL. On failure nothing is written
/// to the output path and neither callback is called.
QUANTC_CAPI_EXPORTED QuantcLogicalResult
quantcCompile(QuantcContext ctx, QuantcCompileOptions options,
              QuantcStringCallback reportCallback,
              QuantcStringCallback summaryCallback, void *userData);

/*===----------------------------------------------------------------------===*
 * Modules
 *===----------------------------------------------------------------------===*/

/// A qc module with a `func.func @main` (the graph), owned by the caller.
typedef struct QuantcModule {
  void *ptr;
} QuantcModule;

/// Loads an ONNX file (imported to the float qc graph), a .mlir file (qc at
/// any level), or a package directory (its quantized graph with weights),
/// as quant-run does. Null on failure.
QUANTC_CAPI_EXPORTED QuantcModule quantcModuleLoad(QuantcContext ctx,
                                                   QuantcStringRef path);

/// Parses a module from .mlir text. Null on failure.
QUANTC_CAPI_EXPORTED QuantcModule quantcModuleParse(QuantcContext ctx,
                                                    QuantcStringRef source);

/// Destroys a module. Null is a no-op.
QUANTC_CAPI_EXPORTED void quantcModuleDestroy(QuantcModule module);

static inline bool quantcModuleIsNull(QuantcModule module) {
  return module.ptr == NULL;
}

/// Hands the module's textual IR to `callback` (in one call).
QUANTC_CAPI_EXPORTED QuantcLogicalResult quantcModulePrint(
    QuantcModule module, QuantcStringCallback callback, void *userData);

/// Parses a textual pass pipeline and runs it on the module, e.g.
///   "qc-quantize-pipeline{format=mxfp8 random-samples=16}"
///   "builtin.module(qc-calibrate{random-samples=8},canonicalize)"
/// The text is either wrapped in builtin.module(...) or the list of passes
/// inside it. On failure the module may be partly transformed.
QUANTC_CAPI_EXPORTED QuantcLogicalResult
quantcModuleRunPipeline(QuantcModule module, QuantcStringRef pipeline);

/// Number of graph inputs / outputs of @main; -1 on failure (null module,
/// no entry function).
QUANTC_CAPI_EXPORTED intptr_t quantcModuleGetNumInputs(QuantcModule module);
QUANTC_CAPI_EXPORTED intptr_t quantcModuleGetNumOutputs(QuantcModule module);

/// Name of input / output `pos` (the keys of the .npz files), valid until
/// the module is destroyed or changed by quantcModuleRunPipeline. A null
/// view ({NULL, 0}) when `pos` is out of range or on failure.
QUANTC_CAPI_EXPORTED QuantcStringRef
quantcModuleGetInputName(QuantcModule module, intptr_t pos);
QUANTC_CAPI_EXPORTED QuantcStringRef
quantcModuleGetOutputName(QuantcModule module, intptr_t pos);

/*===----------------------------------------------------------------------===*
 * Running a module on the CPU reference Executor
 *===----------------------------------------------------------------------===*/

/// Reads the inputs from an .npz keyed by input name, runs @main and writes
/// the outputs to an .npz keyed by output name (written atomically), as
/// quant-run does. Any dtype the graph takes; quantized codes are uint8.
QUANTC_CAPI_EXPORTED QuantcLogicalResult
quantcModuleRunNpz(QuantcModule module, QuantcStringRef inputsPath,
                   QuantcStringRef outputsPath);

/// A float32 tensor in C order, borrowed from the caller: `rank` dims at
/// `shape`, product(shape) elements at `data` (rank 0: one element).
typedef struct QuantcTensorF32 {
  QuantcStringRef name;
  const float *data;
  const int64_t *shape;
  intptr_t rank;
} QuantcTensorF32;

/// Receives one output of quantcModuleRunF32; the arrays are valid only
/// during the call.
typedef void (*QuantcTensorF32Callback)(QuantcStringRef name, const float *data,
                                        const int64_t *shape, intptr_t rank,
                                        void *userData);

/// Runs @main on float32 inputs given by name (each input of the graph
/// exactly once, any order; the data is copied) and hands every output, in
/// order, to `callback`. Graphs with other input or output dtypes fail with
/// an error naming the tensor; run those with quantcModuleRunNpz. The
/// callback is called for all outputs or for none.
QUANTC_CAPI_EXPORTED QuantcLogicalResult quantcModuleRunF32(
    QuantcModule module, const QuantcTensorF32 *inputs, intptr_t numInputs,
    QuantcTensorF32Callback callback, void *userData);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_C_QUANTC_H */
