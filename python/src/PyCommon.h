//===- PyCommon.h - shared pieces of the _quantc extension ------*- C++ -*-===//
#ifndef QUANTC_PYTHON_PYCOMMON_H
#define QUANTC_PYTHON_PYCOMMON_H

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Tools/ToolSupport.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Error.h"

#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;

namespace quantc::py_support {

/// One diagnostic as the tools print it: severity, formatted location (see
/// formatLoc), message.
struct Diag {
  std::string severity, location, message;
  std::string str() const {
    return severity + ": " + (location.empty() ? "" : location + ": ") +
           message;
  }
};

/// Becomes quantc.Error in Python, with `diagnostics` as a list of
/// (severity, location, message) tuples.
class QuantcError : public std::runtime_error {
public:
  /// Without diagnostics, `message` becomes one error diagnostic and the
  /// text reads "error: <message>", as the tools print it.
  explicit QuantcError(const std::string &message, std::vector<Diag> d = {})
      : std::runtime_error(d.empty() ? "error: " + message : message),
        diagnostics(std::move(d)) {
    if (diagnostics.empty())
      diagnostics.push_back({"error", "", message});
  }
  std::vector<Diag> diagnostics;
};

/// Throws QuantcError for a failed llvm::Error.
inline void checkLlvm(llvm::Error e) {
  if (e)
    throw QuantcError(llvm::toString(std::move(e)));
}

/// Collects the diagnostics a context emits during one call.
class DiagCapture {
public:
  explicit DiagCapture(mlir::MLIRContext &ctx)
      : handler(&ctx, [this](mlir::Diagnostic &d) {
          add(d);
          for (mlir::Diagnostic &n : d.getNotes())
            add(n);
          return mlir::success();
        }) {}

  /// Throws QuantcError with every diagnostic captured so far; `message`
  /// is added as the last error when `always` is set or when no error was
  /// captured (so the exception always says what failed).
  [[noreturn]] void raise(const std::string &message, bool always = false) {
    bool anyError = false;
    for (const Diag &d : diags)
      anyError |= d.severity == "error";
    if (always || !anyError)
      diags.push_back({"error", "", message});
    std::string text;
    for (const Diag &d : diags)
      text += (text.empty() ? "" : "\n") + d.str();
    throw QuantcError(text, diags);
  }

private:
  void add(mlir::Diagnostic &d) {
    diags.push_back(
        {severityName(d.getSeverity()), formatLoc(d.getLocation()), d.str()});
  }
  std::vector<Diag> diags;
  mlir::ScopedDiagnosticHandler handler;
};

/// {"element_type", "scale_type", "block", "symmetric", "text"} of a scheme.
py::dict schemeDict(qc::SchemeAttr s);

void bindModule(py::module_ &m);
void bindNumerics(py::module_ &m);

} // namespace quantc::py_support

#endif
