/*===- run_package.c - embedding libquantc_rt from C ----------------------===*\
|*                                                                           *|
|*   qcrt-run-package MODEL.qcpkg [BATCH] [DEVICE]                           *|
|*                                                                           *|
|* Opens a package, prints its inputs and outputs, creates a session on      *|
|* DEVICE (default 0), fills every input with a small deterministic pattern  *|
|* at batch BATCH (default 1), runs it and prints the first values of each   *|
|* output. Uses only quantc_rt.h. Exit code 1 on any error, with the         *|
|* runtime's message.                                                        *|
|*                                                                           *|
\*===----------------------------------------------------------------------===*/
#include "quantc_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report(const char *what, qcrt_status st) {
  fprintf(stderr, "run_package: %s failed: %s: %s\n", what,
          qcrt_status_name(st), qcrt_last_error());
  return 1;
}

static void print_desc(const char *kind, size_t i, const qcrt_tensor_desc *d) {
  int k;
  printf("%s %zu: %s %s [", kind, i, d->name, d->dtype);
  for (k = 0; k < d->rank; ++k)
    printf(k ? ", %lld" : "%lld", (long long)d->dims[k]);
  printf("]\n");
}

int main(int argc, char **argv) {
  qcrt_package *pkg = NULL;
  qcrt_session *sess = NULL;
  qcrt_status st;
  size_t n_in = 0, n_out = 0, i;
  int64_t batch = 1;
  int device = 0, rc = 1;
  void **buffers = NULL;

  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s MODEL.qcpkg [BATCH] [DEVICE]\n", argv[0]);
    return 2;
  }
  if (argc > 2)
    batch = atoll(argv[2]);
  if (argc > 3)
    device = atoi(argv[3]);

  if ((st = qcrt_package_open(argv[1], &pkg)) != QCRT_OK)
    return report("qcrt_package_open", st);
  qcrt_package_num_inputs(pkg, &n_in);
  qcrt_package_num_outputs(pkg, &n_out);
  for (i = 0; i < n_in; ++i) {
    qcrt_tensor_desc d;
    qcrt_package_input(pkg, i, &d);
    print_desc("input", i, &d);
  }
  for (i = 0; i < n_out; ++i) {
    qcrt_tensor_desc d;
    qcrt_package_output(pkg, i, &d);
    print_desc("output", i, &d);
  }

  if ((st = qcrt_session_create(pkg, device, &sess)) != QCRT_OK) {
    rc = report("qcrt_session_create", st);
    goto done;
  }
  {
    const char *name = "", *code = "";
    qcrt_session_device_name(sess, &name);
    qcrt_session_code(sess, &code);
    printf("device %d: %s, code %s\n", device, name, code);
  }

  buffers = calloc(n_in ? n_in : 1, sizeof(void *));
  if (!buffers)
    goto done;
  for (i = 0; i < n_in; ++i) {
    qcrt_tensor_desc d;
    int64_t shape[QCRT_MAX_RANK];
    size_t count = 1, k;
    int r;
    qcrt_package_input(pkg, i, &d);
    for (r = 0; r < d.rank; ++r) {
      shape[r] = d.dims[r] == -1 ? batch : d.dims[r];
      count *= (size_t)shape[r];
    }
    buffers[i] = calloc(count ? count : 1, d.element_size ? d.element_size : 1);
    if (!buffers[i])
      goto done;
    /* A float pattern in [-1, 1) for f32 inputs; other types stay zero. */
    if (strcmp(d.dtype, "f32") == 0)
      for (k = 0; k < count; ++k)
        ((float *)buffers[i])[k] = (float)((int)(k % 17) - 8) / 8.0f;
    if ((st = qcrt_set_input(sess, i, buffers[i], shape, d.rank)) != QCRT_OK) {
      rc = report("qcrt_set_input", st);
      goto done;
    }
  }

  if ((st = qcrt_run(sess)) != QCRT_OK) {
    rc = report("qcrt_run", st);
    goto done;
  }

  for (i = 0; i < n_out; ++i) {
    qcrt_tensor_desc d;
    int64_t dims[QCRT_MAX_RANK];
    int rank = 0, r;
    size_t count = 1, k;
    void *out;
    qcrt_package_output(pkg, i, &d);
    if ((st = qcrt_output_shape(sess, i, dims, QCRT_MAX_RANK, &rank)) !=
        QCRT_OK) {
      rc = report("qcrt_output_shape", st);
      goto done;
    }
    for (r = 0; r < rank; ++r)
      count *= (size_t)dims[r];
    out = malloc(count * d.element_size + 1);
    if (!out)
      goto done;
    st = qcrt_get_output(sess, i, out, count * d.element_size);
    if (st != QCRT_OK) {
      free(out);
      rc = report("qcrt_get_output", st);
      goto done;
    }
    printf("%s:", d.name);
    if (strcmp(d.dtype, "f32") == 0)
      for (k = 0; k < count && k < 8; ++k)
        printf(" %g", ((float *)out)[k]);
    printf(" (%zu elements)\n", count);
    free(out);
  }
  rc = 0;

done:
  if (buffers) {
    for (i = 0; i < n_in; ++i)
      free(buffers[i]);
    free(buffers);
  }
  qcrt_session_destroy(sess);
  qcrt_package_close(pkg);
  return rc;
}
