//===- Status.h - libquantc_rt's internal error type ------------*- C++ -*-===//
//
// Every internal function that can fail returns a Status: the public status
// code and a message that names the file and key at fault. The C API turns
// it into a qcrt_status and the thread's last-error string. No exceptions:
// the library builds under -fno-exceptions -fno-rtti.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_STATUS_H
#define QUANTC_RT_STATUS_H

#include "quantc_rt.h"

#include <string>
#include <utility>

namespace qcrt {

class Status {
public:
  Status() = default;
  Status(qcrt_status code, std::string message)
      : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }

  bool isOk() const { return code_ == QCRT_OK; }
  explicit operator bool() const { return !isOk(); } // true on error
  qcrt_status code() const { return code_; }
  const std::string &message() const { return message_; }

  /// The same error with `prefix` in front of its message.
  Status withPrefix(const std::string &prefix) const {
    return isOk() ? *this : Status(code_, prefix + message_);
  }

private:
  qcrt_status code_ = QCRT_OK;
  std::string message_;
};

inline Status invalidPackage(std::string msg) {
  return Status(QCRT_ERROR_INVALID_PACKAGE, std::move(msg));
}
inline Status invalidArgument(std::string msg) {
  return Status(QCRT_ERROR_INVALID_ARGUMENT, std::move(msg));
}

} // namespace qcrt

#endif // QUANTC_RT_STATUS_H
