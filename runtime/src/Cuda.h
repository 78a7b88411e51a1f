//===- Cuda.h - the CUDA driver API, opened at run time ---------*- C++ -*-===//
//
// libquantc_rt never links libcuda: the driver is opened with
// dlopen("libcuda.so.1") the first time a session is created, and each
// entry point is looked up with dlsym under the versioned name that cuda.h
// maps it to (cuMemAlloc -> cuMemAlloc_v2, ...), so the signatures are
// cuda.h's own. The library stays loaded for the life of the process.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_CUDA_H
#define QUANTC_RT_CUDA_H

#include "Status.h"

#include <cuda.h>

#include <string>

namespace qcrt {

struct Driver {
#define QCRT_CU_FN(name) decltype(&::name) name = nullptr;
#include "CudaFunctions.def"
};

/// The process's driver table; opens libcuda.so.1 and calls cuInit(0) the
/// first time. NO_DRIVER when the library or an entry point is missing or
/// cuInit reports a stub/insufficient driver; NO_DEVICE when cuInit finds
/// no device.
Status getDriver(const Driver *&out);

/// A failed driver call as a Status: "<call>: CUDA_ERROR_X (description)";
/// out-of-memory maps to QCRT_ERROR_OUT_OF_MEMORY.
Status cudaStatus(const Driver &d, CUresult r, const std::string &call);

} // namespace qcrt

#endif // QUANTC_RT_CUDA_H
