//===- Bindings.cpp - the _quantc extension module ------------------------===//
#include "PyCommon.h"

#include <pybind11/stl.h>

using namespace quantc::py_support;

PYBIND11_MODULE(_quantc, m) {
  m.doc() = "quantc's C++ API (internal: use the quantc package)";
  static py::exception<QuantcError> error(m, "Error");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p)
        std::rethrow_exception(p);
    } catch (const QuantcError &e) {
      py::list diags;
      for (const Diag &d : e.diagnostics)
        diags.append(py::make_tuple(d.severity, d.location, d.message));
      // exception<T>::operator() would only set the error string.
      py::object exc = py::handle(error.ptr())(py::str(e.what()));
      exc.attr("diagnostics") = diags;
      PyErr_SetObject(error.ptr(), exc.ptr());
    }
  });
  bindModule(m);
  py::module_ numerics = m.def_submodule("numerics", "Numerics codecs");
  bindNumerics(numerics);
}
