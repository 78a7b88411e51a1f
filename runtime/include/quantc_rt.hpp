//===- quantc_rt.hpp - header-only C++ wrapper of libquantc_rt --*- C++ -*-===//
//
// RAII owners for packages and sessions over the C API (quantc_rt.h). Every
// call returns a quantc_rt::Status carrying the code and the message; no
// exceptions are thrown, so it builds under -fno-exceptions.
//
//   quantc_rt::Package pkg;
//   if (auto st = quantc_rt::Package::open("model.qcpkg", pkg); !st)
//     fprintf(stderr, "%s\n", st.message().c_str());
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_HPP
#define QUANTC_RT_HPP

#include "quantc_rt.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace quantc_rt {

class Status {
public:
  Status() = default;
  /// The status of a C call; the message is qcrt_last_error() on failure.
  static Status from(qcrt_status code) {
    Status s;
    s.code_ = code;
    if (code != QCRT_OK)
      s.message_ = qcrt_last_error();
    return s;
  }
  bool ok() const { return code_ == QCRT_OK; }
  explicit operator bool() const { return ok(); }
  qcrt_status code() const { return code_; }
  const char *codeName() const { return qcrt_status_name(code_); }
  const std::string &message() const { return message_; }

private:
  qcrt_status code_ = QCRT_OK;
  std::string message_;
};

struct TensorDesc {
  std::string name, dtype;
  size_t elementSize = 0;
  std::vector<int64_t> shape; // -1 = batch
};

class Package {
public:
  Package() = default;
  Package(const Package &) = delete;
  Package &operator=(const Package &) = delete;
  Package(Package &&o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Package &operator=(Package &&o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Package() { qcrt_package_close(p_); }

  static Status open(const std::string &dir, Package &out) {
    qcrt_package *p = nullptr;
    Status s = Status::from(qcrt_package_open(dir.c_str(), &p));
    if (s.ok()) {
      qcrt_package_close(out.p_);
      out.p_ = p;
    }
    return s;
  }

  qcrt_package *get() const { return p_; }
  size_t numInputs() const {
    size_t n = 0;
    qcrt_package_num_inputs(p_, &n);
    return n;
  }
  size_t numOutputs() const {
    size_t n = 0;
    qcrt_package_num_outputs(p_, &n);
    return n;
  }
  Status input(size_t i, TensorDesc &d) const {
    return desc(qcrt_package_input, i, d);
  }
  Status output(size_t i, TensorDesc &d) const {
    return desc(qcrt_package_output, i, d);
  }
  bool hasProgram() const {
    int h = 0;
    qcrt_package_has_program(p_, &h);
    return h != 0;
  }
  Status arenaBytes(int64_t batch, uint64_t &bytes) const {
    return Status::from(qcrt_package_arena_bytes(p_, batch, &bytes));
  }

private:
  qcrt_package *p_ = nullptr;

  Status desc(qcrt_status (*fn)(const qcrt_package *, size_t,
                                qcrt_tensor_desc *),
              size_t i, TensorDesc &d) const {
    qcrt_tensor_desc c;
    Status s = Status::from(fn(p_, i, &c));
    if (s.ok()) {
      d.name = c.name;
      d.dtype = c.dtype;
      d.elementSize = c.element_size;
      d.shape.assign(c.dims, c.dims + c.rank);
    }
    return s;
  }
};

class Session {
public:
  Session() = default;
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;
  Session(Session &&o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Session &operator=(Session &&o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Session() { qcrt_session_destroy(s_); }

  static Status create(const Package &pkg, int device, Session &out) {
    qcrt_session *s = nullptr;
    Status st = Status::from(qcrt_session_create(pkg.get(), device, &s));
    if (st.ok()) {
      qcrt_session_destroy(out.s_);
      out.s_ = s;
    }
    return st;
  }

  qcrt_session *get() const { return s_; }
  std::string deviceName() const {
    const char *n = "";
    qcrt_session_device_name(s_, &n);
    return n;
  }
  std::string code() const {
    const char *c = "";
    qcrt_session_code(s_, &c);
    return c;
  }
  Status setInput(size_t i, const void *host,
                  const std::vector<int64_t> &shape) {
    return Status::from(
        qcrt_set_input(s_, i, host, shape.data(), (int)shape.size()));
  }
  Status setInputDevice(size_t i, uint64_t dptr,
                        const std::vector<int64_t> &shape) {
    return Status::from(
        qcrt_set_input_device(s_, i, dptr, shape.data(), (int)shape.size()));
  }
  Status run() { return Status::from(qcrt_run(s_)); }
  Status outputShape(size_t i, std::vector<int64_t> &shape) const {
    int64_t dims[QCRT_MAX_RANK];
    int rank = 0;
    Status s = Status::from(
        qcrt_output_shape(s_, i, dims, QCRT_MAX_RANK, &rank));
    if (s.ok())
      shape.assign(dims, dims + rank);
    return s;
  }
  Status getOutput(size_t i, void *host, size_t bytes) {
    return Status::from(qcrt_get_output(s_, i, host, bytes));
  }
  /// Output i into `out`, resized to its byte size / sizeof(T).
  template <typename T> Status getOutput(size_t i, std::vector<T> &out) {
    std::vector<int64_t> shape;
    Status s = outputShape(i, shape);
    if (!s.ok())
      return s;
    size_t n = 1;
    for (int64_t x : shape)
      n *= (size_t)x;
    // The element size is the manifest's; T must match it.
    out.resize(n);
    return getOutput(i, out.data(), n * sizeof(T));
  }
  Status enableProfile(bool on) {
    return Status::from(qcrt_session_enable_profile(s_, on ? 1 : 0));
  }
  Status enableGraph(bool on) {
    return Status::from(qcrt_session_enable_graph(s_, on ? 1 : 0));
  }
  Status stepTimeMs(size_t i, float &ms) const {
    return Status::from(qcrt_step_time_ms(s_, i, &ms));
  }

private:
  qcrt_session *s_ = nullptr;
};

} // namespace quantc_rt

#endif // QUANTC_RT_HPP
