//===- Session.h - a package loaded on one GPU ------------------*- C++ -*-===//
//
// A session owns, on one device: a retained primary context, the module of
// the chosen code, one function per kernel, a stream, the weights (uploaded
// once) and the arena (one allocation, grown only when a batch needs more).
// Each run copies host inputs in, launches the steps and waits; from the
// second run with the same batch and bindings on, the launches replay as a
// CUDA graph. Every driver call is checked; every error path frees what was
// made.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_SESSION_H
#define QUANTC_RT_SESSION_H

#include "Cuda.h"
#include "Package.h"
#include "Plan.h"

#include <memory>
#include <string>
#include <vector>

namespace qcrt {

class Session {
public:
  /// Creates a session; on failure `out` is null and nothing is left
  /// allocated.
  static Status create(std::shared_ptr<const Package> pkg, int deviceOrdinal,
                       std::unique_ptr<Session> &out);
  ~Session();

  const std::string &deviceName() const { return deviceName_; }
  const std::string &code() const { return code_; }

  Status setInput(size_t index, const void *host, uint64_t dptr, bool device,
                  const int64_t *shape, int rank);
  Status run();
  Status outputShape(size_t index, std::vector<int64_t> &shape) const;
  Status getOutput(size_t index, void *host, size_t bytes);
  Status outputDevicePtr(size_t index, uint64_t &dptr) const;
  void enableGraph(bool on);
  void enableProfile(bool on) { profile_ = on; }
  Status stepTimeMs(size_t index, float &ms) const;

private:
  Session() = default;
  Status init(int deviceOrdinal);
  Status loadCode(int ccMajor, int ccMinor);
  Status uploadWeights();
  Status ensureArena(uint64_t bytes);
  Status launchSteps(const std::vector<StepLaunch> &launches,
                     const std::vector<CUdeviceptr> &valuePtrs, bool timed);
  Status encodeTensorMaps(int64_t batch, const ArenaLayout &layout,
                          const std::vector<CUdeviceptr> &valuePtrs);
  Status captureGraph(const std::vector<StepLaunch> &launches,
                      const std::vector<CUdeviceptr> &valuePtrs);
  void dropGraph();
  void release();
  Status push() const;
  void pop() const;
  std::string where() const { return pkg_->dir + ": "; }

  struct Binding {
    bool set = false, device = false;
    const void *host = nullptr;
    CUdeviceptr dptr = 0;
    std::vector<int64_t> shape;
  };

  std::shared_ptr<const Package> pkg_;
  const Driver *d_ = nullptr;
  CUdevice dev_ = 0;
  CUcontext ctx_ = nullptr;
  std::string deviceName_, code_;
  CUmodule module_ = nullptr;
  std::vector<CUfunction> functions_; // per Program::kernels
  CUstream stream_ = nullptr;
  CUdeviceptr weights_ = 0;
  CUdeviceptr arena_ = 0;     // the allocation
  CUdeviceptr arenaBase_ = 0; // aligned to the program's alignment
  uint64_t arenaCapacity_ = 0; // usable bytes from arenaBase_
  std::vector<Binding> inputs_;
  // The tensor maps of the program's tensor_map arguments, 128 bytes each,
  // encoded for one batch and set of addresses (mapsPtrs_).
  CUdeviceptr maps_ = 0;
  bool mapsValid_ = false;
  int64_t mapsBatch_ = 0;
  std::vector<CUdeviceptr> mapsPtrs_;

  // The last run.
  bool ran_ = false;
  ArenaLayout layout_;
  std::vector<CUdeviceptr> valuePtrs_;

  // The graph of the launches, valid for one batch, arena and bindings.
  bool graphOn_ = true;
  CUgraphExec graph_ = nullptr;
  bool haveKey_ = false;
  int64_t keyBatch_ = 0;
  std::vector<CUdeviceptr> keyPtrs_;
  unsigned runsAtKey_ = 0;

  // Profiling.
  bool profile_ = false;
  std::vector<CUevent> events_;
  std::vector<float> stepMs_;
};

} // namespace qcrt

#endif // QUANTC_RT_SESSION_H
