//===- Cuda.cpp - the CUDA driver API, opened at run time -----------------===//
#include "Cuda.h"

#include <dlfcn.h>
#include <mutex>

using namespace qcrt;

#define QCRT_STR2(x) #x
#define QCRT_STR(x) QCRT_STR2(x)

namespace {

/// Names for results the driver itself may fail to describe (a stub
/// library's cuGetErrorName fails too).
const char *fallbackName(CUresult r) {
  switch (r) {
  case CUDA_ERROR_STUB_LIBRARY:
    return "CUDA_ERROR_STUB_LIBRARY (the CUDA driver library is a stub, not "
           "a real driver)";
  case CUDA_ERROR_NO_DEVICE:
    return "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)";
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
    return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (the driver library and the "
           "kernel module versions differ)";
  case CUDA_ERROR_OUT_OF_MEMORY:
    return "CUDA_ERROR_OUT_OF_MEMORY";
  default:
    return nullptr;
  }
}

std::string describe(const Driver &d, CUresult r) {
  const char *name = nullptr, *desc = nullptr;
  if (d.cuGetErrorName && d.cuGetErrorName(r, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (d.cuGetErrorString && d.cuGetErrorString(r, &desc) != CUDA_SUCCESS)
    desc = nullptr;
  if (!name) {
    const char *f = fallbackName(r);
    return f ? std::string(f) : "CUDA error " + std::to_string((int)r);
  }
  return std::string(name) + (desc ? std::string(" (") + desc + ")" : "");
}

struct DriverState {
  Driver table;
  Status status;
  bool done = false;
};

Status openDriver(Driver &d) {
  dlerror();
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *e = dlerror();
    return Status(QCRT_ERROR_NO_DRIVER,
                  std::string("cannot load the CUDA driver (libcuda.so.1): ") +
                      (e ? e : "not found") +
                      "; is an NVIDIA driver installed?");
  }
  // The versioned symbol cuda.h maps each name to; cuEventElapsedTime_v2
  // (driver 12.8+) falls back to the original, which has the same
  // signature.
  std::string missing;
#define QCRT_CU_FN(name)                                                       \
  {                                                                            \
    void *p = dlsym(lib, QCRT_STR(name));                                      \
    if (!p && std::string(QCRT_STR(name)) == "cuEventElapsedTime_v2")          \
      p = dlsym(lib, "cuEventElapsedTime");                                    \
    if (!p)                                                                    \
      missing += std::string(missing.empty() ? "" : ", ") + QCRT_STR(name);    \
    d.name = reinterpret_cast<decltype(d.name)>(p);                            \
  }
#include "CudaFunctions.def"
  if (!missing.empty())
    return Status(QCRT_ERROR_NO_DRIVER,
                  "the CUDA driver libcuda.so.1 is too old: it lacks " +
                      missing + " (a driver for CUDA 12.0 or newer is needed)");
  CUresult r = d.cuInit(0);
  if (r == CUDA_SUCCESS)
    return Status::ok();
  std::string what = describe(d, r);
  if (r == CUDA_ERROR_NO_DEVICE)
    return Status(QCRT_ERROR_NO_DEVICE, "no CUDA device: cuInit: " + what);
  if (r == CUDA_ERROR_STUB_LIBRARY ||
      r == CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE ||
      r == CUDA_ERROR_SYSTEM_DRIVER_MISMATCH)
    return Status(QCRT_ERROR_NO_DRIVER, "the CUDA driver is unusable: cuInit: " +
                                            what);
  return Status(QCRT_ERROR_CUDA, "cuInit: " + what);
}

} // namespace

Status qcrt::getDriver(const Driver *&out) {
  static std::mutex mu;
  static DriverState state;
  std::lock_guard<std::mutex> lock(mu);
  if (!state.done) {
    state.status = openDriver(state.table);
    state.done = true;
  }
  out = state.status.isOk() ? &state.table : nullptr;
  return state.status;
}

Status qcrt::cudaStatus(const Driver &d, CUresult r, const std::string &call) {
  if (r == CUDA_SUCCESS)
    return Status::ok();
  std::string msg = call + ": " + describe(d, r);
  qcrt_status code = QCRT_ERROR_CUDA;
  if (r == CUDA_ERROR_OUT_OF_MEMORY)
    code = QCRT_ERROR_OUT_OF_MEMORY;
  else if (r == CUDA_ERROR_NO_DEVICE || r == CUDA_ERROR_INVALID_DEVICE)
    code = QCRT_ERROR_NO_DEVICE;
  return Status(code, msg);
}
