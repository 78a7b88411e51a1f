//===- CApi.cpp - the C API of libquantc_rt -------------------------------===//
//
// Thin wrappers: check the arguments, call the C++ implementation, turn a
// failed Status into its code and this thread's last-error message.
//
//===----------------------------------------------------------------------===//
#include "quantc_rt.h"

#include "Package.h"
#include "Plan.h"
#include "Session.h"

#include <cstring>
#include <memory>
#include <new>

using namespace qcrt;

struct qcrt_package {
  std::shared_ptr<const Package> pkg;
};
struct qcrt_session {
  std::unique_ptr<Session> impl;
};

namespace {
thread_local std::string lastError;

qcrt_status fail(const Status &s) {
  lastError = s.message();
  return s.code();
}
qcrt_status fail(qcrt_status code, const std::string &msg) {
  lastError = msg;
  return code;
}
qcrt_status nullArg(const char *fn, const char *arg) {
  return fail(QCRT_ERROR_INVALID_ARGUMENT,
              std::string(fn) + ": " + arg + " is NULL");
}
qcrt_status done(const Status &s) { return s.isOk() ? QCRT_OK : fail(s); }

#define CHECK_ARG(x)                                                           \
  do {                                                                         \
    if (!(x))                                                                  \
      return nullArg(__func__, #x);                                            \
  } while (0)

qcrt_status fillDesc(const TensorDesc &t, qcrt_tensor_desc *d) {
  memset(d, 0, sizeof *d);
  d->name = t.name.c_str();
  d->dtype = t.dtype.c_str();
  d->element_size = t.elementSize;
  d->rank = (int)t.shape.size();
  for (size_t i = 0; i < t.shape.size() && i < QCRT_MAX_RANK; ++i)
    d->dims[i] = t.shape[i];
  return QCRT_OK;
}

qcrt_status indexError(const char *fn, const char *what, size_t index,
                       size_t count) {
  return fail(QCRT_ERROR_INVALID_ARGUMENT,
              std::string(fn) + ": " + what + " index " +
                  std::to_string(index) + " out of range (" +
                  std::to_string(count) + ")");
}
} // namespace

extern "C" {

const char *qcrt_status_name(qcrt_status s) {
  switch (s) {
  case QCRT_OK:
    return "QCRT_OK";
  case QCRT_ERROR_INVALID_ARGUMENT:
    return "QCRT_ERROR_INVALID_ARGUMENT";
  case QCRT_ERROR_IO:
    return "QCRT_ERROR_IO";
  case QCRT_ERROR_INVALID_PACKAGE:
    return "QCRT_ERROR_INVALID_PACKAGE";
  case QCRT_ERROR_UNSUPPORTED:
    return "QCRT_ERROR_UNSUPPORTED";
  case QCRT_ERROR_NO_DRIVER:
    return "QCRT_ERROR_NO_DRIVER";
  case QCRT_ERROR_NO_DEVICE:
    return "QCRT_ERROR_NO_DEVICE";
  case QCRT_ERROR_NO_CODE_FOR_DEVICE:
    return "QCRT_ERROR_NO_CODE_FOR_DEVICE";
  case QCRT_ERROR_CUDA:
    return "QCRT_ERROR_CUDA";
  case QCRT_ERROR_OUT_OF_MEMORY:
    return "QCRT_ERROR_OUT_OF_MEMORY";
  }
  return "QCRT_ERROR_UNKNOWN";
}

const char *qcrt_last_error(void) { return lastError.c_str(); }

const char *qcrt_version(void) { return "0.1.0"; }
int qcrt_package_format_version(void) { return 2; }

qcrt_status qcrt_package_open(const char *dir, qcrt_package **out) {
  CHECK_ARG(out);
  *out = nullptr;
  CHECK_ARG(dir);
  auto pkg = std::make_shared<Package>();
  if (Status s = loadPackage(dir, *pkg))
    return fail(s);
  qcrt_package *p = new (std::nothrow) qcrt_package;
  if (!p)
    return fail(QCRT_ERROR_OUT_OF_MEMORY, "qcrt_package_open: out of memory");
  p->pkg = std::move(pkg);
  *out = p;
  return QCRT_OK;
}

qcrt_status qcrt_package_close(qcrt_package *pkg) {
  delete pkg; // NULL: nothing to do
  return QCRT_OK;
}

qcrt_status qcrt_package_num_inputs(const qcrt_package *pkg, size_t *count) {
  CHECK_ARG(pkg);
  CHECK_ARG(count);
  *count = pkg->pkg->inputs.size();
  return QCRT_OK;
}

qcrt_status qcrt_package_num_outputs(const qcrt_package *pkg, size_t *count) {
  CHECK_ARG(pkg);
  CHECK_ARG(count);
  *count = pkg->pkg->outputs.size();
  return QCRT_OK;
}

qcrt_status qcrt_package_input(const qcrt_package *pkg, size_t index,
                               qcrt_tensor_desc *desc) {
  CHECK_ARG(pkg);
  CHECK_ARG(desc);
  if (index >= pkg->pkg->inputs.size())
    return indexError(__func__, "input", index, pkg->pkg->inputs.size());
  return fillDesc(pkg->pkg->inputs[index], desc);
}

qcrt_status qcrt_package_output(const qcrt_package *pkg, size_t index,
                                qcrt_tensor_desc *desc) {
  CHECK_ARG(pkg);
  CHECK_ARG(desc);
  if (index >= pkg->pkg->outputs.size())
    return indexError(__func__, "output", index, pkg->pkg->outputs.size());
  return fillDesc(pkg->pkg->outputs[index], desc);
}

qcrt_status qcrt_package_has_program(const qcrt_package *pkg,
                                     int *has_program) {
  CHECK_ARG(pkg);
  CHECK_ARG(has_program);
  *has_program = pkg->pkg->hasProgram ? 1 : 0;
  return QCRT_OK;
}

qcrt_status qcrt_package_gpu_unsupported_count(const qcrt_package *pkg,
                                               size_t *count) {
  CHECK_ARG(pkg);
  CHECK_ARG(count);
  *count = pkg->pkg->gpuUnsupported.size();
  return QCRT_OK;
}

qcrt_status qcrt_package_gpu_unsupported(const qcrt_package *pkg,
                                         size_t index, const char **op,
                                         int64_t *count) {
  CHECK_ARG(pkg);
  CHECK_ARG(op);
  CHECK_ARG(count);
  const auto &u = pkg->pkg->gpuUnsupported;
  if (index >= u.size())
    return indexError(__func__, "gpu_unsupported", index, u.size());
  *op = u[index].first.c_str();
  *count = u[index].second;
  return QCRT_OK;
}

qcrt_status qcrt_package_num_targets(const qcrt_package *pkg, size_t *count) {
  CHECK_ARG(pkg);
  CHECK_ARG(count);
  *count = pkg->pkg->targets.size();
  return QCRT_OK;
}

qcrt_status qcrt_package_target(const qcrt_package *pkg, size_t index,
                                const char **target) {
  CHECK_ARG(pkg);
  CHECK_ARG(target);
  if (index >= pkg->pkg->targets.size())
    return indexError(__func__, "target", index, pkg->pkg->targets.size());
  *target = pkg->pkg->targets[index].c_str();
  return QCRT_OK;
}

qcrt_status qcrt_package_num_steps(const qcrt_package *pkg, size_t *count) {
  CHECK_ARG(pkg);
  CHECK_ARG(count);
  *count = pkg->pkg->program.steps.size();
  return QCRT_OK;
}

qcrt_status qcrt_package_step(const qcrt_package *pkg, size_t index,
                              const char **kernel, const char **layer) {
  CHECK_ARG(pkg);
  CHECK_ARG(kernel);
  CHECK_ARG(layer);
  const auto &steps = pkg->pkg->program.steps;
  if (index >= steps.size())
    return indexError(__func__, "step", index, steps.size());
  *kernel = steps[index].kernel.c_str();
  *layer = steps[index].layer.c_str();
  return QCRT_OK;
}

qcrt_status qcrt_package_arena_bytes(const qcrt_package *pkg, int64_t batch,
                                     uint64_t *bytes) {
  CHECK_ARG(pkg);
  CHECK_ARG(bytes);
  if (!pkg->pkg->hasProgram)
    return fail(QCRT_ERROR_UNSUPPORTED,
                pkg->pkg->dir + ": the package has no GPU program");
  ArenaLayout layout;
  if (Status s = planArena(pkg->pkg->program, batch, layout))
    return fail(s.withPrefix(pkg->pkg->dir + ": "));
  *bytes = layout.totalBytes;
  return QCRT_OK;
}

qcrt_status qcrt_package_weight_bytes(const qcrt_package *pkg,
                                      uint64_t *bytes) {
  CHECK_ARG(pkg);
  CHECK_ARG(bytes);
  *bytes = pkg->pkg->weightsSize;
  return QCRT_OK;
}

qcrt_status qcrt_package_check_input_shape(const qcrt_package *pkg,
                                           size_t index, const int64_t *shape,
                                           int rank, int64_t *batch) {
  CHECK_ARG(pkg);
  CHECK_ARG(batch);
  if (rank > 0)
    CHECK_ARG(shape);
  if (Status s = checkInputShape(*pkg->pkg, index, shape, rank, *batch))
    return fail(s.withPrefix(pkg->pkg->dir + ": "));
  return QCRT_OK;
}

qcrt_status qcrt_session_create(qcrt_package *pkg, int device_ordinal,
                                qcrt_session **out) {
  CHECK_ARG(out);
  *out = nullptr;
  CHECK_ARG(pkg);
  std::unique_ptr<Session> impl;
  if (Status s = Session::create(pkg->pkg, device_ordinal, impl))
    return fail(s);
  qcrt_session *sess = new (std::nothrow) qcrt_session;
  if (!sess)
    return fail(QCRT_ERROR_OUT_OF_MEMORY, "qcrt_session_create: out of memory");
  sess->impl = std::move(impl);
  *out = sess;
  return QCRT_OK;
}

qcrt_status qcrt_session_destroy(qcrt_session *sess) {
  delete sess; // NULL: nothing to do
  return QCRT_OK;
}

qcrt_status qcrt_session_device_name(const qcrt_session *sess,
                                     const char **name) {
  CHECK_ARG(sess);
  CHECK_ARG(name);
  *name = sess->impl->deviceName().c_str();
  return QCRT_OK;
}

qcrt_status qcrt_session_code(const qcrt_session *sess, const char **code) {
  CHECK_ARG(sess);
  CHECK_ARG(code);
  *code = sess->impl->code().c_str();
  return QCRT_OK;
}

qcrt_status qcrt_set_input(qcrt_session *sess, size_t index, const void *host,
                           const int64_t *shape, int rank) {
  CHECK_ARG(sess);
  if (rank > 0)
    CHECK_ARG(shape);
  return done(sess->impl->setInput(index, host, 0, false, shape, rank));
}

qcrt_status qcrt_set_input_device(qcrt_session *sess, size_t index,
                                  uint64_t dptr, const int64_t *shape,
                                  int rank) {
  CHECK_ARG(sess);
  if (rank > 0)
    CHECK_ARG(shape);
  return done(sess->impl->setInput(index, nullptr, dptr, true, shape, rank));
}

qcrt_status qcrt_run(qcrt_session *sess) {
  CHECK_ARG(sess);
  return done(sess->impl->run());
}

qcrt_status qcrt_output_shape(const qcrt_session *sess, size_t index,
                              int64_t *dims, int capacity, int *rank) {
  CHECK_ARG(sess);
  CHECK_ARG(rank);
  std::vector<int64_t> shape;
  if (Status s = sess->impl->outputShape(index, shape))
    return fail(s);
  *rank = (int)shape.size();
  if (!shape.empty())
    CHECK_ARG(dims);
  if (capacity < (int)shape.size())
    return fail(QCRT_ERROR_INVALID_ARGUMENT,
                "qcrt_output_shape: capacity " + std::to_string(capacity) +
                    " is less than the rank " + std::to_string(shape.size()));
  for (size_t i = 0; i < shape.size(); ++i)
    dims[i] = shape[i];
  return QCRT_OK;
}

qcrt_status qcrt_get_output(qcrt_session *sess, size_t index, void *host,
                            size_t bytes) {
  CHECK_ARG(sess);
  return done(sess->impl->getOutput(index, host, bytes));
}

qcrt_status qcrt_output_device_ptr(const qcrt_session *sess, size_t index,
                                   uint64_t *dptr) {
  CHECK_ARG(sess);
  CHECK_ARG(dptr);
  return done(sess->impl->outputDevicePtr(index, *dptr));
}

qcrt_status qcrt_session_enable_graph(qcrt_session *sess, int enable) {
  CHECK_ARG(sess);
  sess->impl->enableGraph(enable != 0);
  return QCRT_OK;
}

qcrt_status qcrt_session_enable_profile(qcrt_session *sess, int enable) {
  CHECK_ARG(sess);
  sess->impl->enableProfile(enable != 0);
  return QCRT_OK;
}

qcrt_status qcrt_step_time_ms(const qcrt_session *sess, size_t index,
                              float *ms) {
  CHECK_ARG(sess);
  CHECK_ARG(ms);
  return done(sess->impl->stepTimeMs(index, *ms));
}

} // extern "C"
