/*===- quantc_rt.h - libquantc_rt: run a quantc package on a GPU -*- C -*-===*\
|*                                                                           *|
|* The C API of the GPU runtime (docs/Runtime.md). It loads a model.qcpkg    *|
|* directory (manifest format 2) and runs its GPU program through the CUDA   *|
|* driver API, which is opened with dlopen("libcuda.so.1") when a session is *|
|* created: a program linked against the runtime starts, opens and checks    *|
|* packages, and reports a clear error on a machine without a GPU.           *|
|*                                                                           *|
|* Conventions:                                                              *|
|*  - every function returns a qcrt_status; nothing aborts or throws;        *|
|*  - a NULL pointer argument is QCRT_ERROR_INVALID_ARGUMENT, except that    *|
|*    qcrt_package_close(NULL) and qcrt_session_destroy(NULL) do nothing     *|
|*    and return QCRT_OK (so cleanup code needs no checks);                  *|
|*  - on failure, qcrt_last_error() returns a message for this thread that   *|
|*    names the package path and the file or key at fault;                   *|
|*  - strings returned by a package stay valid until it is closed; a         *|
|*    session keeps its package's data alive, so a package may be closed     *|
|*    while sessions made from it are in use;                                *|
|*  - one session is used by one thread at a time; distinct sessions and     *|
|*    packages are independent.                                              *|
|*                                                                           *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_RT_H
#define QUANTC_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QCRT_MAX_RANK 8

typedef enum qcrt_status {
  QCRT_OK = 0,
  QCRT_ERROR_INVALID_ARGUMENT = 1, /* bad argument: NULL, index, shape, size */
  QCRT_ERROR_IO = 2,               /* a package file cannot be read */
  QCRT_ERROR_INVALID_PACKAGE = 3,  /* malformed or inconsistent package */
  QCRT_ERROR_UNSUPPORTED = 4,      /* no GPU program, or old package format */
  QCRT_ERROR_NO_DRIVER = 5,        /* libcuda.so.1 missing or unusable */
  QCRT_ERROR_NO_DEVICE = 6,        /* no GPU, or the ordinal is out of range */
  QCRT_ERROR_NO_CODE_FOR_DEVICE = 7, /* no cubin/PTX fits this device */
  QCRT_ERROR_CUDA = 8,             /* a CUDA driver call failed */
  QCRT_ERROR_OUT_OF_MEMORY = 9     /* device (or host) memory exhausted */
} qcrt_status;

typedef struct qcrt_package qcrt_package;
typedef struct qcrt_session qcrt_session;

/* An input or output of the package, as in manifest.json. */
typedef struct qcrt_tensor_desc {
  const char *name;             /* valid while the package is open */
  const char *dtype;            /* "f32", "f16", "bf16", "i32", "i64", ... */
  size_t element_size;          /* bytes per element; 0 if dtype unknown */
  int rank;                     /* 0 .. QCRT_MAX_RANK */
  int64_t dims[QCRT_MAX_RANK];  /* -1 = the batch dimension */
} qcrt_tensor_desc;

/* "QCRT_OK", "QCRT_ERROR_IO", ...; "QCRT_ERROR_UNKNOWN" for other values. */
const char *qcrt_status_name(qcrt_status status);

/* The message of the last failing call on this thread ("" if none yet). A
   successful call does not clear it. Valid until the next failing call on
   this thread. */
const char *qcrt_last_error(void);

/* The runtime's version, e.g. "0.1.0", and the package format it reads. */
const char *qcrt_version(void);
int qcrt_package_format_version(void);

/* ---- Packages (no GPU needed) ------------------------------------------ */

/* Reads and checks manifest.json, the size of weights.bin and the kernel
   files of directory `dir`. A package without a GPU program opens (its
   descriptors can be read) but qcrt_session_create refuses it. */
qcrt_status qcrt_package_open(const char *dir, qcrt_package **out);
qcrt_status qcrt_package_close(qcrt_package *pkg);

qcrt_status qcrt_package_num_inputs(const qcrt_package *pkg, size_t *count);
qcrt_status qcrt_package_num_outputs(const qcrt_package *pkg, size_t *count);
qcrt_status qcrt_package_input(const qcrt_package *pkg, size_t index,
                               qcrt_tensor_desc *desc);
qcrt_status qcrt_package_output(const qcrt_package *pkg, size_t index,
                                qcrt_tensor_desc *desc);

/* *has_program = 1 when the package carries a GPU program. */
qcrt_status qcrt_package_has_program(const qcrt_package *pkg,
                                     int *has_program);
/* The ops without a GPU kernel when there is no program (manifest
   "gpu_unsupported"): their number, and each op name with its count. */
qcrt_status qcrt_package_gpu_unsupported_count(const qcrt_package *pkg,
                                               size_t *count);
qcrt_status qcrt_package_gpu_unsupported(const qcrt_package *pkg,
                                         size_t index, const char **op,
                                         int64_t *count);

/* The kernel targets of the package ("sm_89", "sm_120a", ...). */
qcrt_status qcrt_package_num_targets(const qcrt_package *pkg, size_t *count);
qcrt_status qcrt_package_target(const qcrt_package *pkg, size_t index,
                                const char **target);

/* The program's steps: kernel name and layer name ("" if none). */
qcrt_status qcrt_package_num_steps(const qcrt_package *pkg, size_t *count);
qcrt_status qcrt_package_step(const qcrt_package *pkg, size_t index,
                              const char **kernel, const char **layer);

/* The device bytes the arena needs at `batch` (slots rounded to the
   alignment, laid out one after another), and the bytes of weights.bin. */
qcrt_status qcrt_package_arena_bytes(const qcrt_package *pkg, int64_t batch,
                                     uint64_t *bytes);
qcrt_status qcrt_package_weight_bytes(const qcrt_package *pkg,
                                      uint64_t *bytes);

/* Checks `shape` (rank `rank`) against input `index`: the rank, every
   static dimension. *batch receives the batch it implies: the size of the
   program's batch dimension if this input holds it, else -1. */
qcrt_status qcrt_package_check_input_shape(const qcrt_package *pkg,
                                           size_t index, const int64_t *shape,
                                           int rank, int64_t *batch);

/* ---- Sessions (a GPU) -------------------------------------------------- */

/* Opens the CUDA driver, creates a context on device `device_ordinal`
   (its primary context), loads the package's code for the device (a cubin
   of its architecture, else PTX compiled by the driver), looks up every
   kernel and uploads weights.bin. */
qcrt_status qcrt_session_create(qcrt_package *pkg, int device_ordinal,
                                qcrt_session **out);
/* Frees every device allocation, graph, module, stream and event. */
qcrt_status qcrt_session_destroy(qcrt_session *sess);

/* The device's name, and the code loaded: "cubin sm_90" or "ptx sm_89". */
qcrt_status qcrt_session_device_name(const qcrt_session *sess,
                                     const char **name);
qcrt_status qcrt_session_code(const qcrt_session *sess, const char **code);

/* Binds input `index` to `rank` dims `shape` of host memory at `host`
   (copied to the device by each qcrt_run; must stay valid until then) or
   of device memory at `dptr` (read in place by the kernels; never
   written). The session's stream does not wait for other streams: the
   caller makes sure the data is complete before qcrt_run (e.g.
   cuStreamSynchronize on the stream that wrote it). The element type is the manifest's. Checks the rank and the
   static dimensions; batch consistency across inputs is checked by
   qcrt_run. A zero-sized input may pass host = NULL. */
qcrt_status qcrt_set_input(qcrt_session *sess, size_t index, const void *host,
                           const int64_t *shape, int rank);
qcrt_status qcrt_set_input_device(qcrt_session *sess, size_t index,
                                  uint64_t dptr, const int64_t *shape,
                                  int rank);

/* Runs the program on the bound inputs and waits for it. Every input must
   be bound. The arena is (re)allocated only when the batch needs more
   than it has. From the second run with the same batch and bindings on,
   the launches replay as one CUDA graph. */
qcrt_status qcrt_run(qcrt_session *sess);

/* The shape of output `index` after the last qcrt_run: `capacity` entries
   at `dims` (QCRT_MAX_RANK always suffices), its rank in *rank. */
qcrt_status qcrt_output_shape(const qcrt_session *sess, size_t index,
                              int64_t *dims, int capacity, int *rank);
/* Copies output `index` of the last run to `host`; `bytes` must equal its
   size (elements x element size). */
qcrt_status qcrt_get_output(qcrt_session *sess, size_t index, void *host,
                            size_t bytes);
/* The device address of output `index` of the last run; valid until the
   next qcrt_run or qcrt_session_destroy. */
qcrt_status qcrt_output_device_ptr(const qcrt_session *sess, size_t index,
                                   uint64_t *dptr);

/* CUDA graphs on (default) or off. */
qcrt_status qcrt_session_enable_graph(qcrt_session *sess, int enable);
/* With profiling on, each qcrt_run launches the steps one by one (no
   graph) between CUDA events; qcrt_step_time_ms gives step `index`'s time
   in the last run (0 for a skipped step). */
qcrt_status qcrt_session_enable_profile(qcrt_session *sess, int enable);
qcrt_status qcrt_step_time_ms(const qcrt_session *sess, size_t index,
                              float *ms);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QUANTC_RT_H */
