//===- ToolSupport.h - shared bits of the command-line drivers ------------===//
#ifndef QUANTC_TOOLS_TOOLSUPPORT_H
#define QUANTC_TOOLS_TOOLSUPPORT_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include <string>
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

namespace quantc {
/// Formats the locations the ONNX importer builds as
/// "model.onnx: node 'fc2' (Gemm)"; other locations as MLIR prints them.
inline std::string formatLoc(mlir::Location loc) {
  if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc)) {
    std::string inner = formatLoc(name.getChildLoc());
    return (inner.empty() ? "" : inner + ": ") + "node '" +
           name.getName().str() + "'";
  }
  if (auto file = llvm::dyn_cast<mlir::FileLineColLoc>(loc)) {
    std::string s = file.getFilename().str();
    if (file.getLine() != 0)
      s += ":" + std::to_string(file.getLine()) + ":" +
           std::to_string(file.getColumn());
    return s;
  }
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc)) {
    std::string s = fused.getLocations().empty()
                        ? ""
                        : formatLoc(fused.getLocations()[0]);
    if (auto op = llvm::dyn_cast_or_null<mlir::StringAttr>(fused.getMetadata()))
      s += " (" + op.str() + ")";
    return s;
  }
  if (llvm::isa<mlir::UnknownLoc>(loc))
    return "";
  std::string s;
  llvm::raw_string_ostream os(s);
  loc.print(os);
  return s;
}

/// "error", "warning", "note" or "remark": how the tools, the Python module
/// and the C API name a diagnostic's severity.
inline const char *severityName(mlir::DiagnosticSeverity s) {
  switch (s) {
  case mlir::DiagnosticSeverity::Error: return "error";
  case mlir::DiagnosticSeverity::Warning: return "warning";
  case mlir::DiagnosticSeverity::Note: return "note";
  case mlir::DiagnosticSeverity::Remark: return "remark";
  }
  return "error";
}

/// Prints every diagnostic on stderr and counts errors: as
/// `<tool>: <severity>: <location>: <message>` (quant-compile, quant-run),
/// or, with `locationFirst`, as a translator names the file it read:
/// `<location>: <severity>: <message>` (`<tool>` when there is no
/// location; quant-translate).
class ToolDiagnostics {
public:
  ToolDiagnostics(mlir::MLIRContext &ctx, llvm::StringRef tool,
                  bool locationFirst = false)
      : handler(&ctx, [this, tool = tool.str(),
                       locationFirst](mlir::Diagnostic &d) {
          print(tool, locationFirst, d);
          for (mlir::Diagnostic &note : d.getNotes())
            print(tool, locationFirst, note);
          if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
            ++errors;
          return mlir::success();
        }) {}
  unsigned getNumErrors() const { return errors; }

private:
  static void print(llvm::StringRef tool, bool locationFirst,
                    mlir::Diagnostic &d) {
    llvm::raw_ostream &os = llvm::errs();
    std::string where = formatLoc(d.getLocation());
    if (locationFirst)
      os << (where.empty() ? tool.str() : where) << ": "
         << severityName(d.getSeverity()) << ": ";
    else
      os << tool << ": " << severityName(d.getSeverity()) << ": "
         << (where.empty() ? "" : where + ": ");
    os << d << "\n";
  }
  mlir::ScopedDiagnosticHandler handler;
  unsigned errors = 0;
};
} // namespace quantc

#endif
