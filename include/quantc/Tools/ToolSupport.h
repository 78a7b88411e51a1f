//===- ToolSupport.h - shared bits of the command-line drivers ------------===//
#ifndef QUANTC_TOOLS_TOOLSUPPORT_H
#define QUANTC_TOOLS_TOOLSUPPORT_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

namespace quantc {
/// Prints every diagnostic as `<tool>: <severity>: <location>: <message>` on
/// stderr and counts errors.
class ToolDiagnostics {
public:
  ToolDiagnostics(mlir::MLIRContext &ctx, llvm::StringRef tool)
      : handler(&ctx, [this, tool = tool.str()](mlir::Diagnostic &d) {
          print(tool, d);
          for (mlir::Diagnostic &note : d.getNotes())
            print(tool, note);
          if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
            ++errors;
          return mlir::success();
        }) {}
  unsigned getNumErrors() const { return errors; }

private:
  static void print(llvm::StringRef tool, mlir::Diagnostic &d) {
    llvm::raw_ostream &os = llvm::errs();
    os << tool << ": ";
    switch (d.getSeverity()) {
    case mlir::DiagnosticSeverity::Error: os << "error: "; break;
    case mlir::DiagnosticSeverity::Warning: os << "warning: "; break;
    case mlir::DiagnosticSeverity::Note: os << "note: "; break;
    case mlir::DiagnosticSeverity::Remark: os << "remark: "; break;
    }
    if (!llvm::isa<mlir::UnknownLoc>(d.getLocation()))
      os << d.getLocation() << ": ";
    os << d << "\n";
  }
  mlir::ScopedDiagnosticHandler handler;
  unsigned errors = 0;
};
} // namespace quantc

#endif
