//===- Session.cpp - a package loaded on one GPU --------------------------===//
//
// Written against the CUDA driver API (cuda.h). The driver calls cannot run
// on a machine without a GPU; the arithmetic they depend on (arena layout,
// grids, scalar arguments, input checks) is in Plan.cpp and unit tested.
//
//===----------------------------------------------------------------------===//
#include "Session.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

using namespace qcrt;

#define CU_CHECK(call, what)                                                   \
  do {                                                                         \
    CUresult r_ = (call);                                                      \
    if (r_ != CUDA_SUCCESS)                                                    \
      return cudaStatus(*d_, r_, what);                                        \
  } while (0)

Status Session::push() const {
  CU_CHECK(d_->cuCtxPushCurrent(ctx_), where() + "cuCtxPushCurrent");
  return Status::ok();
}

void Session::pop() const {
  CUcontext c;
  d_->cuCtxPopCurrent(&c);
}

namespace {
/// Pushes the session's context for a scope.
class CtxScope {
public:
  CtxScope(const Driver *d, CUcontext ctx) : d_(d) {
    ok_ = d_->cuCtxPushCurrent(ctx) == CUDA_SUCCESS;
  }
  ~CtxScope() {
    if (ok_) {
      CUcontext c;
      d_->cuCtxPopCurrent(&c);
    }
  }
  bool ok() const { return ok_; }

private:
  const Driver *d_;
  bool ok_;
};
} // namespace

Status Session::create(std::shared_ptr<const Package> pkg, int deviceOrdinal,
                       std::unique_ptr<Session> &out) {
  out.reset();
  if (!pkg->hasProgram) {
    std::string msg = pkg->dir + ": the package has no GPU program";
    if (!pkg->gpuUnsupported.empty()) {
      msg += ": no GPU kernel for ";
      for (size_t i = 0; i < pkg->gpuUnsupported.size(); ++i)
        msg += (i ? ", " : "") + pkg->gpuUnsupported[i].first + " x" +
               std::to_string(pkg->gpuUnsupported[i].second);
    } else {
      msg += " (a CPU-only package)";
    }
    msg += "; run it on the CPU (quant-run --device cpu)";
    return Status(QCRT_ERROR_UNSUPPORTED, msg);
  }
  std::unique_ptr<Session> s(new Session());
  s->pkg_ = std::move(pkg);
  s->inputs_.resize(s->pkg_->inputs.size());
  if (Status st = s->init(deviceOrdinal)) {
    s->release();
    return st;
  }
  out = std::move(s);
  return Status::ok();
}

Session::~Session() { release(); }

Status Session::init(int deviceOrdinal) {
  if (Status st = getDriver(d_))
    return st;
  int count = 0;
  CU_CHECK(d_->cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count == 0)
    return Status(QCRT_ERROR_NO_DEVICE, "no CUDA device found");
  if (deviceOrdinal < 0 || deviceOrdinal >= count)
    return Status(QCRT_ERROR_NO_DEVICE,
                  "device " + std::to_string(deviceOrdinal) +
                      " requested, but there " +
                      (count == 1 ? "is 1 device" :
                                    "are " + std::to_string(count) + " devices"));
  CU_CHECK(d_->cuDeviceGet(&dev_, deviceOrdinal), "cuDeviceGet");
  char name[256] = {0};
  CU_CHECK(d_->cuDeviceGetName(name, sizeof name - 1, dev_), "cuDeviceGetName");
  deviceName_ = name;
  int major = 0, minor = 0;
  CU_CHECK(d_->cuDeviceGetAttribute(
               &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev_),
           "cuDeviceGetAttribute");
  CU_CHECK(d_->cuDeviceGetAttribute(
               &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev_),
           "cuDeviceGetAttribute");
  CUcontext ctx = nullptr;
  CU_CHECK(d_->cuDevicePrimaryCtxRetain(&ctx, dev_),
           "cuDevicePrimaryCtxRetain");
  ctx_ = ctx;
  if (Status st = push())
    return st;
  Status st = loadCode(major, minor);
  if (st.isOk()) {
    CUresult r = d_->cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING);
    if (r != CUDA_SUCCESS) {
      stream_ = nullptr;
      st = cudaStatus(*d_, r, "cuStreamCreate");
    }
  }
  if (st.isOk())
    st = uploadWeights();
  pop();
  return st;
}

Status Session::loadCode(int major, int minor) {
  const Package &p = *pkg_;
  int cc = major * 10 + minor;
  std::string dev = "device '" + deviceName_ + "' (sm_" + std::to_string(cc) +
                    ")";
  std::vector<CodeCandidate> cands = codeCandidates(p, cc);
  if (cands.empty()) {
    std::string cubins, ptxs;
    for (const KernelFile &f : p.kernelFiles) {
      if (!f.cubin.empty())
        cubins += (cubins.empty() ? "" : ", ") + f.target;
      ptxs += (ptxs.empty() ? "" : ", ") + f.target;
    }
    return Status(QCRT_ERROR_NO_CODE_FOR_DEVICE,
                  where() + "no code for " + dev + ": the package has cubins "
                            "for [" + cubins + "] and PTX for [" + ptxs +
                            "] (a cubin runs on its own architecture; PTX "
                            "on its target or newer, an arch-specific 'a' "
                            "target's on its own architecture only); "
                            "recompile with --target sm_" +
                            std::to_string(cc));
  }
  std::string failures;
  for (const CodeCandidate &c : cands) {
    char errLog[16384] = {0};
    CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER,
                           CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *vals[] = {errLog, (void *)(uintptr_t)(sizeof errLog - 1)};
    const void *image = c.cubin ? (const void *)c.file->cubin.data()
                                : (const void *)c.file->ptx.c_str();
    CUmodule m = nullptr;
    CUresult r = d_->cuModuleLoadDataEx(&m, image, 2, opts, vals);
    std::string what = std::string(c.cubin ? "cubin " : "ptx ") + c.file->target;
    if (r == CUDA_SUCCESS) {
      // A module that lacks a step's kernel is refused like one that does
      // not load: the next candidate (the PTX) may have it.
      std::string missing;
      for (const std::string &name : p.program.kernels) {
        CUfunction f = nullptr;
        if (d_->cuModuleGetFunction(&f, m, name.c_str()) != CUDA_SUCCESS) {
          missing = name;
          break;
        }
      }
      if (!missing.empty()) {
        d_->cuModuleUnload(m);
        failures += "\n  " + what + " (" +
                    (c.cubin ? c.file->cubinPath : c.file->ptxPath) +
                    "): has no kernel '" + missing + "'";
        continue;
      }
      module_ = m;
      // Say so when a cubin was refused and the PTX taken instead.
      code_ = what + (failures.empty() ? "" : " (after the cubin failed)");
      break;
    }
    Status st = cudaStatus(*d_, r, "cuModuleLoadDataEx");
    std::string log(errLog);
    while (!log.empty() && (log.back() == '\n' || log.back() == '\r'))
      log.pop_back();
    failures += "\n  " + what + " (" +
                (c.cubin ? c.file->cubinPath : c.file->ptxPath) + "): " +
                st.message() + (log.empty() ? "" : "\n    JIT log: " + log);
    if (st.code() == QCRT_ERROR_OUT_OF_MEMORY)
      return Status(st.code(), where() + "loading the kernels for " + dev +
                                   " failed:" + failures);
  }
  if (!module_)
    return Status(QCRT_ERROR_CUDA, where() + "loading the kernels for " + dev +
                                       " failed:" + failures);

  // One function per kernel; dynamic shared memory above the 48 KiB
  // default needs an opt-in per function.
  functions_.assign(p.program.kernels.size(), nullptr);
  std::vector<uint64_t> shared(p.program.kernels.size(), 0);
  for (const Step &s : p.program.steps)
    shared[(size_t)s.kernelIndex] =
        std::max(shared[(size_t)s.kernelIndex], s.sharedBytes);
  int optin = 0;
  CU_CHECK(d_->cuDeviceGetAttribute(
               &optin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
               dev_),
           "cuDeviceGetAttribute");
  for (size_t k = 0; k < p.program.kernels.size(); ++k) {
    const std::string &name = p.program.kernels[k];
    CUresult r = d_->cuModuleGetFunction(&functions_[k], module_, name.c_str());
    if (r != CUDA_SUCCESS)
      return cudaStatus(*d_, r, where() + code_ + ": cuModuleGetFunction('" +
                                    name + "')");
    if (shared[k] > 48 * 1024) {
      if (shared[k] > (uint64_t)optin)
        return Status(QCRT_ERROR_UNSUPPORTED,
                      where() + "kernel '" + name + "' needs " +
                          std::to_string(shared[k]) +
                          " bytes of shared memory; " + dev + " allows " +
                          std::to_string(optin));
      CU_CHECK(d_->cuFuncSetAttribute(
                   functions_[k],
                   CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                   (int)shared[k]),
               where() + "cuFuncSetAttribute('" + name + "')");
    }
  }
  return Status::ok();
}

Status Session::uploadWeights() {
  const Package &p = *pkg_;
  if (p.weightsSize == 0)
    return Status::ok();
  FILE *f = fopen(p.weightsPath.c_str(), "rb");
  if (!f)
    return Status(QCRT_ERROR_IO, p.weightsPath + ": cannot open: " +
                                     std::string(strerror(errno)));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || (uint64_t)st.st_size != p.weightsSize) {
    fclose(f);
    return Status(QCRT_ERROR_INVALID_PACKAGE,
                  p.weightsPath + ": changed size since the package was "
                                  "opened");
  }
  CUresult r = d_->cuMemAlloc(&weights_, (size_t)p.weightsSize);
  if (r != CUDA_SUCCESS) {
    weights_ = 0;
    fclose(f);
    return cudaStatus(*d_, r, where() + "cuMemAlloc of " +
                                  std::to_string(p.weightsSize) +
                                  " bytes for weights.bin");
  }
  // In chunks, so the host never holds a second copy of a large model.
  const size_t chunk = size_t(16) << 20;
  std::vector<char> buf(std::min<uint64_t>(chunk, p.weightsSize));
  uint64_t done = 0;
  Status result;
  while (done < p.weightsSize) {
    size_t n = (size_t)std::min<uint64_t>(buf.size(), p.weightsSize - done);
    if (fread(buf.data(), 1, n, f) != n) {
      result = Status(QCRT_ERROR_IO, p.weightsPath + ": read error at byte " +
                                         std::to_string(done));
      break;
    }
    r = d_->cuMemcpyHtoD(weights_ + done, buf.data(), n);
    if (r != CUDA_SUCCESS) {
      result = cudaStatus(*d_, r, where() + "cuMemcpyHtoD (weights.bin)");
      break;
    }
    done += n;
  }
  fclose(f);
  return result;
}

void Session::dropGraph() {
  if (graph_)
    d_->cuGraphExecDestroy(graph_);
  graph_ = nullptr;
  haveKey_ = false;
  runsAtKey_ = 0;
}

void Session::release() {
  if (!d_ || !ctx_)
    return;
  bool pushed = d_->cuCtxPushCurrent(ctx_) == CUDA_SUCCESS;
  if (pushed) {
    if (stream_)
      d_->cuStreamSynchronize(stream_);
    dropGraph();
    for (CUevent e : events_)
      if (e)
        d_->cuEventDestroy(e);
    events_.clear();
    if (arena_)
      d_->cuMemFree(arena_);
    if (maps_)
      d_->cuMemFree(maps_);
    if (weights_)
      d_->cuMemFree(weights_);
    if (stream_)
      d_->cuStreamDestroy(stream_);
    if (module_)
      d_->cuModuleUnload(module_);
    pop();
  }
  arena_ = arenaBase_ = weights_ = maps_ = 0;
  mapsValid_ = false;
  arenaCapacity_ = 0;
  stream_ = nullptr;
  module_ = nullptr;
  d_->cuDevicePrimaryCtxRelease(dev_);
  ctx_ = nullptr;
}

Status Session::setInput(size_t index, const void *host, uint64_t dptr,
                         bool device, const int64_t *shape, int rank) {
  int64_t batch;
  if (Status st = checkInputShape(*pkg_, index, shape, rank, batch))
    return st.withPrefix(where());
  const TensorDesc &in = pkg_->inputs[index];
  uint64_t bytes = 0;
  std::vector<int64_t> s(shape, shape + rank);
  tensorBytes(s, in.elementSize, 0, bytes); // checked by checkInputShape
  if (bytes > 0 && (device ? dptr == 0 : host == nullptr))
    return invalidArgument(where() + "input " + std::to_string(index) + " ('" +
                           in.name + "'): NULL data for " +
                           std::to_string(bytes) + " bytes");
  Binding &b = inputs_[index];
  b.set = true;
  b.device = device;
  b.host = device ? nullptr : host;
  b.dptr = device ? (CUdeviceptr)dptr : 0;
  b.shape = std::move(s);
  return Status::ok();
}

Status Session::ensureArena(uint64_t bytes) {
  // cuMemAlloc aligns to at least 256 bytes; a larger program alignment
  // is met by over-allocating and rounding the base up.
  uint64_t align = pkg_->program.alignment;
  uint64_t slack = align > 256 ? align : 0;
  if (bytes <= arenaCapacity_ && (arena_ || bytes == 0))
    return Status::ok();
  // The graph and any queued work use the old arena.
  CU_CHECK(d_->cuStreamSynchronize(stream_), where() + "cuStreamSynchronize");
  dropGraph();
  if (arena_) {
    CU_CHECK(d_->cuMemFree(arena_), where() + "cuMemFree (arena)");
    arena_ = arenaBase_ = 0;
    arenaCapacity_ = 0;
  }
  CUdeviceptr p = 0;
  CUresult r = d_->cuMemAlloc(&p, (size_t)(bytes + slack));
  if (r != CUDA_SUCCESS)
    return cudaStatus(*d_, r, where() + "cuMemAlloc of " +
                                  std::to_string(bytes + slack) +
                                  " bytes for the arena at batch " +
                                  std::to_string(layout_.batch));
  arena_ = p;
  arenaBase_ = (p + align - 1) / align * align;
  arenaCapacity_ = bytes + slack - (arenaBase_ - p);
  return Status::ok();
}

Status Session::launchSteps(const std::vector<StepLaunch> &launches,
                            const std::vector<CUdeviceptr> &valuePtrs,
                            bool timed) {
  const Program &p = pkg_->program;
  std::vector<uint64_t> store;
  std::vector<void *> params;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step &s = p.steps[i];
    const StepLaunch &l = launches[i];
    if (timed)
      CU_CHECK(d_->cuEventRecord(events_[i], stream_),
               where() + "cuEventRecord");
    if (l.skip)
      continue;
    // One 8-byte cell per argument: a CUdeviceptr, an int64 or an int32 in
    // its first 4 bytes (each parameter is read at its own size).
    store.assign(s.args.size(), 0);
    params.assign(s.args.size(), nullptr);
    for (size_t a = 0; a < s.args.size(); ++a) {
      const Arg &arg = s.args[a];
      void *cell = &store[a];
      if (arg.kind == Arg::Kind::Value) {
        CUdeviceptr v = valuePtrs[(size_t)arg.value];
        memcpy(cell, &v, sizeof v);
      } else if (arg.kind == Arg::Kind::TensorMap) {
        CUdeviceptr v = maps_ + (CUdeviceptr)arg.map * sizeof(CUtensorMap);
        memcpy(cell, &v, sizeof v);
      } else if (arg.kind == Arg::Kind::I64) {
        int64_t v = l.scalars[a];
        memcpy(cell, &v, sizeof v);
      } else {
        int32_t v = (int32_t)l.scalars[a];
        memcpy(cell, &v, sizeof v);
      }
      params[a] = cell;
    }
    CUresult r = d_->cuLaunchKernel(
        functions_[(size_t)s.kernelIndex], l.grid[0], l.grid[1], l.grid[2],
        s.block[0], s.block[1], s.block[2], (unsigned)s.sharedBytes, stream_,
        params.empty() ? nullptr : params.data(), nullptr);
    if (r != CUDA_SUCCESS)
      return cudaStatus(*d_, r, where() + "cuLaunchKernel of step " +
                                    std::to_string(i) + " ('" + s.kernel +
                                    (s.layer.empty() ? "" : "', layer '" +
                                                                s.layer) +
                                    "', grid " + std::to_string(l.grid[0]) +
                                    "x" + std::to_string(l.grid[1]) + "x" +
                                    std::to_string(l.grid[2]) + ")");
  }
  if (timed)
    CU_CHECK(d_->cuEventRecord(events_[p.steps.size()], stream_),
             where() + "cuEventRecord");
  return Status::ok();
}

/// The program's tensor maps for this run: each tensor_map argument's
/// value as a 2-D UINT8 tensor [rows, last dim] at its address, the
/// step's box and swizzle, zero fill out of bounds (docs/Runtime.md).
/// Encoded again only when the batch or an address changes, and written
/// to device memory before this run's launches, after the stream is idle
/// (a run that failed part-way may have left launches that read them).
Status Session::encodeTensorMaps(int64_t batch, const ArenaLayout &layout,
                                 const std::vector<CUdeviceptr> &valuePtrs) {
  const Program &p = pkg_->program;
  if (p.tensorMaps == 0 ||
      (mapsValid_ && mapsBatch_ == batch && mapsPtrs_ == valuePtrs))
    return Status::ok();
  mapsValid_ = false;
  if (maps_)
    CU_CHECK(d_->cuStreamSynchronize(stream_),
             where() + "cuStreamSynchronize before new tensor maps");
  std::vector<CUtensorMap> maps((size_t)p.tensorMaps);
  for (size_t i = 0; i < p.steps.size(); ++i)
    for (const Arg &a : p.steps[i].args) {
      if (a.kind != Arg::Kind::TensorMap)
        continue;
      const Value &v = p.values[(size_t)a.value];
      uint64_t cols = (uint64_t)v.shape.back();
      uint64_t rows = cols ? layout.valueBytes[(size_t)a.value] / cols : 0;
      CUdeviceptr addr = valuePtrs[(size_t)a.value];
      std::string what = where() + "program.steps[" + std::to_string(i) +
                         "] ('" + p.steps[i].kernel + "'): tensor map of '" +
                         v.name + "'";
      // An empty value (an empty batch, or a zero-size dim) skips the
      // step; its map stays zero.
      if (rows == 0)
        continue;
      if (rows > (uint64_t(1) << 32))
        return invalidArgument(what + ": " + std::to_string(rows) +
                               " rows at batch " + std::to_string(batch) +
                               ", more than a tensor map takes (2^32)");
      if (addr % 16)
        return invalidArgument(what + ": its address is not 16-byte "
                                      "aligned (a device input bound at an "
                                      "odd address?)");
      cuuint64_t dims[2] = {cols, rows}, strides[1] = {cols};
      cuuint32_t box[2] = {a.box[1], a.box[0]}, elemStrides[2] = {1, 1};
      CUtensorMapSwizzle sw =
          a.swizzle == 128  ? CU_TENSOR_MAP_SWIZZLE_128B
          : a.swizzle == 64 ? CU_TENSOR_MAP_SWIZZLE_64B
          : a.swizzle == 32 ? CU_TENSOR_MAP_SWIZZLE_32B
                            : CU_TENSOR_MAP_SWIZZLE_NONE;
      CU_CHECK(d_->cuTensorMapEncodeTiled(
                   &maps[(size_t)a.map], CU_TENSOR_MAP_DATA_TYPE_UINT8, 2,
                   reinterpret_cast<void *>(addr), dims, strides, box,
                   elemStrides, CU_TENSOR_MAP_INTERLEAVE_NONE, sw,
                   CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                   CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE),
               what + ": cuTensorMapEncodeTiled");
    }
  if (!maps_)
    CU_CHECK(d_->cuMemAlloc(&maps_, maps.size() * sizeof(CUtensorMap)),
             where() + "cuMemAlloc of " + std::to_string(maps.size()) +
                 " tensor maps");
  CU_CHECK(d_->cuMemcpyHtoD(maps_, maps.data(),
                            maps.size() * sizeof(CUtensorMap)),
           where() + "cuMemcpyHtoD of the tensor maps");
  mapsValid_ = true;
  mapsBatch_ = batch;
  mapsPtrs_ = valuePtrs;
  return Status::ok();
}

Status Session::captureGraph(const std::vector<StepLaunch> &launches,
                             const std::vector<CUdeviceptr> &valuePtrs) {
  CU_CHECK(d_->cuStreamBeginCapture(stream_,
                                    CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
           where() + "cuStreamBeginCapture");
  Status launched = launchSteps(launches, valuePtrs, /*timed=*/false);
  CUgraph g = nullptr;
  CUresult r = d_->cuStreamEndCapture(stream_, &g);
  if (!launched.isOk()) {
    if (g)
      d_->cuGraphDestroy(g);
    return launched;
  }
  if (r != CUDA_SUCCESS) {
    if (g)
      d_->cuGraphDestroy(g);
    return cudaStatus(*d_, r, where() + "cuStreamEndCapture");
  }
  CUgraphExec exec = nullptr;
  r = d_->cuGraphInstantiate(&exec, g, 0);
  d_->cuGraphDestroy(g);
  if (r != CUDA_SUCCESS)
    return cudaStatus(*d_, r, where() + "cuGraphInstantiate");
  graph_ = exec;
  return Status::ok();
}

void Session::enableGraph(bool on) {
  graphOn_ = on;
  if (!on && d_ && ctx_) {
    CtxScope scope(d_, ctx_);
    if (scope.ok()) {
      d_->cuStreamSynchronize(stream_);
      dropGraph();
    }
  }
}

Status Session::run() {
  const Package &pkg = *pkg_;
  const Program &p = pkg.program;
  std::vector<std::vector<int64_t>> shapes(inputs_.size());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (!inputs_[i].set)
      return invalidArgument(where() + "input " + std::to_string(i) + " ('" +
                             pkg.inputs[i].name + "') is not set");
    shapes[i] = inputs_[i].shape;
  }
  int64_t batch;
  if (Status st = runBatch(pkg, shapes, batch))
    return st.withPrefix(where());
  ArenaLayout layout;
  if (Status st = planArena(p, batch, layout))
    return st.withPrefix(where());
  std::vector<StepLaunch> launches(p.steps.size());
  for (size_t i = 0; i < p.steps.size(); ++i)
    if (Status st = evalStep(p.steps[i], batch, launches[i]))
      return st.withPrefix(where() + "program.steps[" + std::to_string(i) +
                           "]: ");

  CtxScope scope(d_, ctx_);
  if (!scope.ok())
    return Status(QCRT_ERROR_CUDA, where() + "cuCtxPushCurrent failed");
  ran_ = false;
  layout_ = layout;
  if (Status st = ensureArena(layout.totalBytes))
    return st;

  // Where each value lives for this run.
  std::vector<CUdeviceptr> ptrs(p.values.size(), 0);
  for (size_t i = 0; i < p.values.size(); ++i) {
    const Value &v = p.values[i];
    if (v.kind == ValueKind::Weight)
      ptrs[i] = weights_ + v.offset;
    else if (v.kind == ValueKind::Input && inputs_[(size_t)v.index].device)
      ptrs[i] = inputs_[(size_t)v.index].dptr;
    else
      ptrs[i] = arenaBase_ + layout.slotOffsets[(size_t)v.slot];
  }
  if (Status st = encodeTensorMaps(batch, layout, ptrs))
    return st;
  // Host inputs into their slots, ahead of the launches on the stream.
  for (size_t i = 0; i < p.values.size(); ++i) {
    const Value &v = p.values[i];
    if (v.kind != ValueKind::Input || inputs_[(size_t)v.index].device ||
        layout.valueBytes[i] == 0)
      continue;
    CU_CHECK(d_->cuMemcpyHtoDAsync(ptrs[i], inputs_[(size_t)v.index].host,
                                   (size_t)layout.valueBytes[i], stream_),
             where() + "cuMemcpyHtoDAsync of input '" + v.name + "'");
  }

  if (profile_) {
    if (events_.size() != p.steps.size() + 1) {
      for (CUevent e : events_)
        d_->cuEventDestroy(e);
      events_.assign(p.steps.size() + 1, nullptr);
      for (CUevent &e : events_) {
        CUresult r = d_->cuEventCreate(&e, CU_EVENT_DEFAULT);
        if (r != CUDA_SUCCESS) {
          e = nullptr;
          for (CUevent &x : events_)
            if (x)
              d_->cuEventDestroy(x);
          events_.clear();
          return cudaStatus(*d_, r, where() + "cuEventCreate");
        }
      }
    }
    if (Status st = launchSteps(launches, ptrs, /*timed=*/true))
      return st;
  } else {
    stepMs_.clear();
    // A graph is valid for one batch and one set of addresses.
    bool sameKey = haveKey_ && keyBatch_ == batch && keyPtrs_ == ptrs;
    if (!sameKey) {
      dropGraph();
      haveKey_ = true;
      keyBatch_ = batch;
      keyPtrs_ = ptrs;
    }
    bool useGraph = graphOn_ && runsAtKey_ >= 1;
    if (useGraph && !graph_) {
      if (Status st = captureGraph(launches, ptrs)) {
        // A graph is an optimisation: without one, launch directly.
        graphOn_ = false;
        useGraph = false;
      }
    }
    if (useGraph) {
      CU_CHECK(d_->cuGraphLaunch(graph_, stream_), where() + "cuGraphLaunch");
    } else if (Status st = launchSteps(launches, ptrs, /*timed=*/false)) {
      return st;
    }
    ++runsAtKey_;
  }
  CU_CHECK(d_->cuStreamSynchronize(stream_),
           where() + "running the program (cuStreamSynchronize; profile to "
                     "find the step)");
  if (profile_) {
    stepMs_.assign(p.steps.size(), 0.f);
    for (size_t i = 0; i < p.steps.size(); ++i) {
      if (launches[i].skip)
        continue;
      float ms = 0;
      CU_CHECK(d_->cuEventElapsedTime(&ms, events_[i], events_[i + 1]),
               where() + "cuEventElapsedTime");
      stepMs_[i] = ms;
    }
  }
  valuePtrs_ = std::move(ptrs);
  ran_ = true;
  return Status::ok();
}

Status Session::outputShape(size_t index, std::vector<int64_t> &shape) const {
  if (index >= pkg_->outputs.size())
    return invalidArgument(where() + "output index " + std::to_string(index) +
                           " out of range (" +
                           std::to_string(pkg_->outputs.size()) + " outputs)");
  if (!ran_)
    return invalidArgument(where() + "no run yet (call qcrt_run first)");
  shape = concreteShape(pkg_->outputs[index].shape, layout_.batch);
  return Status::ok();
}

Status Session::getOutput(size_t index, void *host, size_t bytes) {
  std::vector<int64_t> shape;
  if (Status st = outputShape(index, shape))
    return st;
  size_t v = (size_t)pkg_->program.outputValue[index];
  uint64_t n = layout_.valueBytes[v];
  if (bytes != n)
    return invalidArgument(where() + "output " + std::to_string(index) +
                           " ('" + pkg_->outputs[index].name + "') has " +
                           std::to_string(n) + " bytes, " +
                           std::to_string(bytes) + " given");
  if (n == 0)
    return Status::ok();
  if (!host)
    return invalidArgument(where() + "host is NULL");
  CtxScope scope(d_, ctx_);
  if (!scope.ok())
    return Status(QCRT_ERROR_CUDA, where() + "cuCtxPushCurrent failed");
  CU_CHECK(d_->cuMemcpyDtoH(host, valuePtrs_[v], (size_t)n),
           where() + "cuMemcpyDtoH of output '" + pkg_->outputs[index].name +
               "'");
  return Status::ok();
}

Status Session::outputDevicePtr(size_t index, uint64_t &dptr) const {
  std::vector<int64_t> shape;
  if (Status st = outputShape(index, shape))
    return st;
  dptr = valuePtrs_[(size_t)pkg_->program.outputValue[index]];
  return Status::ok();
}

Status Session::stepTimeMs(size_t index, float &ms) const {
  if (index >= pkg_->program.steps.size())
    return invalidArgument(where() + "step index " + std::to_string(index) +
                           " out of range (" +
                           std::to_string(pkg_->program.steps.size()) +
                           " steps)");
  if (stepMs_.size() != pkg_->program.steps.size())
    return invalidArgument(where() + "no profiled run yet (enable profiling, "
                                     "then qcrt_run)");
  ms = stepMs_[index];
  return Status::ok();
}
