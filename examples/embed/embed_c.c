/*===- embed_c.c - quantc from C ------------------------------------------===*\
|*                                                                            *|
|*   embed_c model.onnx out.qcpkg calib.npz                                   *|
|*                                                                            *|
|* Compiles an ONNX model to a package, loads the package, runs it on a       *|
|* float32 input built here, and shows how an error is reported. Uses only    *|
|* the C API, include/quantc-c/Quantc.h (docs/Embedding.md). The input is     *|
|* the example MLP's (examples/mlp/make_mlp.py): "x", shape [N, 64].          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#include "quantc-c/Quantc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text handed out by quantc is only valid during the callback: copy it. */
typedef struct Buffer {
  char *data;
  size_t length;
} Buffer;

static void appendTo(Buffer *b, QuantcStringRef text) {
  char *grown = realloc(b->data, b->length + text.length + 1);
  if (!grown)
    return;
  memcpy(grown + b->length, text.data, text.length);
  b->length += text.length;
  grown[b->length] = '\0';
  b->data = grown;
}

typedef struct CompileOutput {
  Buffer report, summary;
} CompileOutput;

static void onReport(QuantcStringRef text, void *userData) {
  appendTo(&((CompileOutput *)userData)->report, text);
}
static void onSummary(QuantcStringRef text, void *userData) {
  appendTo(&((CompileOutput *)userData)->summary, text);
}
static void onProgress(QuantcStringRef line, void *userData) {
  (void)userData;
  printf("  %.*s\n", (int)line.length, line.data);
}

static void onOutput(QuantcStringRef name, const float *data,
                     const int64_t *shape, intptr_t rank, void *userData) {
  int64_t count = 1;
  intptr_t d;
  printf("output '%.*s': shape [", (int)name.length, name.data);
  for (d = 0; d < rank; ++d) {
    printf("%s%lld", d ? ", " : "", (long long)shape[d]);
    count *= shape[d];
  }
  printf("], first values:");
  for (d = 0; d < 5 && d < count; ++d)
    printf(" %.4f", data[d]);
  printf("\n");
  ++*(int *)userData;
}

static void failed(QuantcContext ctx, const char *what) {
  QuantcStringRef err = quantcContextGetLastError(ctx);
  fprintf(stderr, "embed_c: %s failed:\n%.*s\n", what, (int)err.length,
          err.data);
}

int main(int argc, char **argv) {
  enum { kRows = 4, kFeatures = 64 };
  QuantcContext ctx;
  QuantcCompileOptions options;
  QuantcModule module, missing;
  CompileOutput out = {{NULL, 0}, {NULL, 0}};
  QuantcLogicalResult r;
  QuantcTensorF32 input;
  QuantcStringRef err;
  static float x[kRows * kFeatures];
  int64_t shape[2] = {kRows, kFeatures};
  int outputs = 0, status = 1, i;
  const char *p;

  if (argc != 4) {
    fprintf(stderr, "usage: embed_c model.onnx out.qcpkg calib.npz\n");
    return 2;
  }
  ctx = quantcContextCreate();
  if (quantcContextIsNull(ctx))
    return 1;

  /* 1. Compile, as quant-compile would. */
  options = quantcCompileOptionsCreate();
  quantcCompileOptionsSetModelPath(options,
                                   quantcStringRefCreateFromCString(argv[1]));
  quantcCompileOptionsSetOutputPath(options,
                                    quantcStringRefCreateFromCString(argv[2]));
  quantcCompileOptionsSetCalibrationPath(
      options, quantcStringRefCreateFromCString(argv[3]));
  quantcCompileOptionsSetFormat(options,
                                quantcStringRefCreateFromCString("mxfp8"));
  quantcCompileOptionsSetTargets(options,
                                 quantcStringRefCreateFromCString("sm_89"));
  quantcCompileOptionsSetProgressCallback(options, onProgress, NULL);
  printf("compiling %s\n", argv[1]);
  r = quantcCompile(ctx, options, onReport, onSummary, &out);
  quantcCompileOptionsDestroy(options);
  if (quantcLogicalResultIsFailure(r)) {
    failed(ctx, "quantcCompile");
    goto done;
  }
  /* The report is indented JSON; show its start on one line. */
  printf("report: %zu bytes of JSON: ", out.report.length);
  for (i = 0, p = out.report.data; p && *p && i < 60; ++p)
    if (*p != '\n' && (*p != ' ' || p[1] != ' ')) {
      putchar(*p);
      ++i;
    }
  printf(" ...\n");
  printf("%s", out.summary.data ? out.summary.data : "");

  /* 2. Load the package and run it on a float32 input built here. */
  module = quantcModuleLoad(ctx, quantcStringRefCreateFromCString(argv[2]));
  if (quantcModuleIsNull(module)) {
    failed(ctx, "quantcModuleLoad");
    goto done;
  }
  for (i = 0; i < quantcModuleGetNumInputs(module); ++i) {
    QuantcStringRef name = quantcModuleGetInputName(module, i);
    printf("input %d: '%.*s'\n", i, (int)name.length, name.data);
  }
  for (i = 0; i < kRows * kFeatures; ++i)
    x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f; /* in [-1, 1] */
  input.name = quantcStringRefCreateFromCString("x");
  input.data = x;
  input.shape = shape;
  input.rank = 2;
  r = quantcModuleRunF32(module, &input, 1, onOutput, &outputs);
  quantcModuleDestroy(module);
  if (quantcLogicalResultIsFailure(r) || outputs != 1) {
    failed(ctx, "quantcModuleRunF32");
    goto done;
  }

  /* 3. Errors: a failed call returns failure or a null handle, and the
   * context holds the message. */
  missing = quantcModuleLoad(
      ctx, quantcStringRefCreateFromCString("no/such/model.onnx"));
  if (!quantcModuleIsNull(missing)) {
    fprintf(stderr, "embed_c: loading a missing file succeeded\n");
    quantcModuleDestroy(missing);
    goto done;
  }
  err = quantcContextGetLastError(ctx);
  printf("expected error: %.*s\n", (int)err.length, err.data);
  status = err.length > 0 ? 0 : 1;

done:
  free(out.report.data);
  free(out.summary.data);
  quantcContextDestroy(ctx);
  return status;
}
