//===- Package.cpp - model.qcpkg writer and reader ------------------------===//
#include "quantc/Package/Package.h"
#include "quantc/Numerics/Formats.h"

#include "quantc/Dialect/QC/IR/QC.h"
#include "quantc/Dialect/QC/IR/QCMathOps.h"
#include "quantc/Support/Constants.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace quantc;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

bool quantc::isPackageDirectory(llvm::StringRef p) {
  llvm::SmallString<256> m(p);
  path::append(m, "manifest.json");
  return fs::is_directory(p) && fs::exists(m);
}

static llvm::Error writeFile(llvm::StringRef file, llvm::StringRef data) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec, fs::OF_None);
  if (ec)
    return makeError("cannot write '" + file + "': " + ec.message());
  os << data;
  os.close();
  if (os.has_error())
    return makeError("error writing '" + file + "': " + os.error().message());
  return llvm::Error::success();
}

static std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

static llvm::json::Array shapeJson(ArrayRef<int64_t> shape) {
  llvm::json::Array a;
  for (int64_t d : shape)
    a.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return a;
}

/// Replaces constants with qc.weight ops in `module` (a clone) and returns
/// weights.bin's bytes plus the buffer list.
static llvm::Expected<std::string> externalizeWeights(ModuleOp module,
                                                      llvm::json::Array &buffers) {
  std::string blob;
  int counter = 0;
  llvm::Error err = llvm::Error::success();
  SmallVector<arith::ConstantOp> constants;
  // A scalar that qc.trilu or qc.top_k (its k) or qc.cumsum (its axis) reads stays a
  // constant of graph.mlir: the GPU program compiles it into the op's
  // kernel (docs/Ops-math.md, M22-M23).
  // (A constant also read elsewhere is cloned for those ops first.)
  module.walk([&](Operation *op) {
    if (!isa<qc::TriluOp, qc::CumSumOp, qc::TopKOp>(op) ||
        op->getNumOperands() < 2)
      return;
    auto c = op->getOperand(1).getDefiningOp<arith::ConstantOp>();
    if (c && !c->hasOneUse()) {
      OpBuilder b(op);
      op->setOperand(1, b.clone(*c)->getResult(0));
    }
  });
  auto kernelParameter = [](arith::ConstantOp op) {
    return !op->use_empty() &&
           llvm::all_of(op->getUses(), [](OpOperand &u) {
             return u.getOperandNumber() == 1 &&
                    isa<qc::TriluOp, qc::CumSumOp, qc::TopKOp>(u.getOwner());
           });
  };
  module.walk([&](arith::ConstantOp op) {
    if (isa<RankedTensorType>(op.getType()) && !kernelParameter(op))
      constants.push_back(op);
  });
  for (arith::ConstantOp op : constants) {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t elemBytes = qc::WeightOp::getStorageBytes(type.getElementType());
    int64_t size = type.getNumElements() * elemBytes;
    bool packed = qc::WeightOp::isPacked4(type.getElementType());
    std::string data;
    if (type.getElementType().isInteger(1)) {
      // Booleans: one byte (0 or 1) per element, as the kernels and the
      // Executor's inputs hold them (MLIR packs i1 attributes into bits).
      auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
      if (!dense)
        return makeError("constant of type " + typeStr(type) +
                         " is not a dense tensor; cannot store it in "
                         "weights.bin");
      for (bool v : dense.getValues<bool>())
        data.push_back(v ? 1 : 0);
    } else {
      FailureOr<quantc::ConstantBytes> attr =
          quantc::getConstantBytes(op.getValue());
      if (failed(attr))
        return makeError("constant of type " + typeStr(type) +
                         " is not a dense tensor with data; cannot store it "
                         "in weights.bin");
      ArrayRef<char> raw = attr->data;
      if (attr->splat) {
        for (int64_t i = 0; i < type.getNumElements(); ++i)
          data.append(raw.data(), elemBytes);
      } else {
        data.assign(raw.data(), raw.size());
      }
    }
    if ((int64_t)data.size() != size)
      return makeError("constant of type " + typeStr(type) + " has " +
                       llvm::Twine(data.size()) + " bytes of storage, expected " +
                       llvm::Twine(size));
    if (packed) {
      // 4-bit codes two per byte, element 2i in the low nibble (F16).
      std::string p((data.size() + 1) / 2, '\0');
      quantc::numerics::pack4(reinterpret_cast<const uint8_t *>(data.data()),
                              int64_t(data.size()),
                              reinterpret_cast<uint8_t *>(p.data()));
      data = std::move(p);
      size = data.size();
    }
    blob.resize((blob.size() + 63) / 64 * 64, '\0');
    int64_t offset = blob.size();
    blob += data;
    std::string name = "w" + std::to_string(counter++);
    if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
      name += "." + loc.getName().str();
    OpBuilder b(op);
    auto w = qc::WeightOp::create(b, op.getLoc(), type, b.getStringAttr(name),
                                  b.getI64IntegerAttr(offset),
                                  b.getI64IntegerAttr(size));
    op.replaceAllUsesWith(w.getResult());
    op.erase();
    buffers.push_back(llvm::json::Object{{"name", name},
                                         {"offset", offset},
                                         {"size", size},
                                         {"dtype", typeStr(type.getElementType())},
                                         {"shape", shapeJson(type.getShape())}});
  }
  (void)err;
  return blob;
}

static llvm::json::Array ioJson(func::FuncOp fn, bool inputs) {
  llvm::json::Array a;
  unsigned n = inputs ? fn.getNumArguments() : fn.getNumResults();
  for (unsigned i = 0; i < n; ++i) {
    auto t = cast<RankedTensorType>(inputs ? fn.getArgumentTypes()[i]
                                           : fn.getResultTypes()[i]);
    StringAttr name = inputs ? fn.getArgAttrOfType<StringAttr>(i, "qc.name")
                             : fn.getResultAttrOfType<StringAttr>(i, "qc.name");
    a.push_back(llvm::json::Object{
        {"name", name ? name.str() : (inputs ? "input_" : "output_") + std::to_string(i)},
        {"dtype", typeStr(t.getElementType())},
        {"shape", shapeJson(t.getShape())}});
  }
  return a;
}

llvm::Error quantc::writePackage(llvm::StringRef dir, PackageContents &c) {
  if (fs::exists(dir) && !isPackageDirectory(dir))
    return makeError("output '" + dir +
                     "' exists and is not a quantc package; refusing to replace it");
  llvm::SmallString<256> abs(dir);
  if (std::error_code ec = fs::make_absolute(abs))
    return makeError("cannot resolve '" + dir + "': " + ec.message());
  // "out/model.qcpkg/" names the same directory as "out/model.qcpkg"; its
  // parent must be "out", not the package itself.
  path::remove_dots(abs, /*remove_dot_dot=*/true);
  while (abs.size() > 1 && path::is_separator(abs.back()))
    abs.pop_back();
  llvm::StringRef parent = path::parent_path(abs);
  if (!fs::is_directory(parent))
    return makeError("cannot write package '" + dir + "': directory '" + parent +
                     "' does not exist");
  llvm::SmallString<256> tmp(abs);
  tmp += ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
  fs::remove_directories(tmp);
  if (std::error_code ec = fs::create_directory(tmp))
    return makeError("cannot write package '" + dir + "': " + ec.message());
  auto fail = [&](llvm::Error e) {
    fs::remove_directories(tmp);
    return e;
  };
  auto file = [&](llvm::StringRef rel) {
    llvm::SmallString<256> p(tmp);
    path::append(p, rel);
    return std::string(p);
  };

  OwningOpRef<ModuleOp> clone = c.graph.clone();
  llvm::json::Array buffers;
  auto blob = externalizeWeights(*clone, buffers);
  if (!blob)
    return fail(blob.takeError());
  if (auto e = writeFile(file("weights.bin"), *blob))
    return fail(std::move(e));
  std::string graphText;
  {
    llvm::raw_string_ostream os(graphText);
    clone->print(os, OpPrintingFlags().enableDebugInfo(true, /*pretty=*/false));
  }
  if (auto e = writeFile(file("graph.mlir"), graphText))
    return fail(std::move(e));

  llvm::json::Array targets, kernels;
  if (!c.kernelFiles.empty())
    if (std::error_code ec = fs::create_directory(file("kernels")))
      return fail(makeError("cannot create kernels/: " + ec.message()));
  for (PackageKernelFile &k : c.kernelFiles) {
    targets.push_back(k.target);
    std::string ptxRel = "kernels/" + k.target + ".ptx";
    if (auto e = writeFile(file(ptxRel), k.ptx))
      return fail(std::move(e));
    llvm::json::Array names;
    for (const std::string &n : k.kernels)
      names.push_back(n);
    llvm::json::Object entry{
        {"target", k.target}, {"ptx", ptxRel}, {"kernels", std::move(names)}};
    if (!k.cubin.empty()) {
      std::string cubinRel = "kernels/" + k.target + ".cubin";
      if (auto e = writeFile(file(cubinRel), k.cubin))
        return fail(std::move(e));
      entry["cubin"] = cubinRel;
    }
    kernels.push_back(std::move(entry));
  }

  func::FuncOp fn = clone->lookupSymbol<func::FuncOp>("main");
  llvm::json::Object manifest{
      {"format_version", kPackageFormatVersion},
      {"model", c.modelName},
      {"targets", std::move(targets)},
      {"inputs", fn ? ioJson(fn, true) : llvm::json::Array()},
      {"outputs", fn ? ioJson(fn, false) : llvm::json::Array()},
      {"graph", "graph.mlir"},
      {"weights", llvm::json::Object{{"file", "weights.bin"},
                                     {"alignment", 64},
                                     {"size", (int64_t)blob->size()}}},
      {"buffers", std::move(buffers)},
      {"kernel_files", std::move(kernels)},
      {"launches", std::move(c.launches)}};
  if (fn && c.buildProgram) {
    llvm::json::Array unsupported;
    manifest["program"] = c.buildProgram(fn, unsupported);
    if (!unsupported.empty() && c.requireProgram) {
      std::string ops;
      for (const llvm::json::Value &u : unsupported)
        if (const llvm::json::Object *o = u.getAsObject())
          if (auto op = o->getString("op"))
            ops += (ops.empty() ? "" : ", ") + op->str();
      return fail(makeError("the package graph has no GPU program though "
                            "the compiled graph had one (a quantc bug; "
                            "please report it): " + ops));
    }
    if (!unsupported.empty())
      manifest["gpu_unsupported"] = std::move(unsupported);
  }
  auto json = [](llvm::json::Value v) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << llvm::formatv("{0:2}", v) << "\n";
    return s;
  };
  if (auto e = writeFile(file("manifest.json"), json(std::move(manifest))))
    return fail(std::move(e));
  if (auto e = writeFile(file("report.json"), json(llvm::json::Value(llvm::json::Object(c.report)))))
    return fail(std::move(e));

  // Replace an earlier package only once the new one is complete.
  if (fs::exists(abs))
    if (std::error_code ec = fs::remove_directories(abs))
      return fail(makeError("cannot replace '" + dir + "': " + ec.message()));
  if (std::error_code ec = fs::rename(tmp, abs))
    return fail(makeError("cannot move package into '" + dir + "': " + ec.message()));
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>>
quantc::readPackageGraph(MLIRContext &ctx, llvm::StringRef dir) {
  if (!isPackageDirectory(dir))
    return makeError("'" + dir + "' is not a quantc package (no manifest.json)");
  llvm::SmallString<256> graphPath(dir), weightsPath(dir);
  path::append(graphPath, "graph.mlir");
  path::append(weightsPath, "weights.bin");
  auto weights = llvm::MemoryBuffer::getFile(weightsPath, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
  if (!weights)
    return makeError("cannot read '" + weightsPath + "': " +
                     weights.getError().message());
  ParserConfig config(&ctx);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(graphPath, config);
  if (!module)
    return makeError("cannot parse '" + graphPath + "' (see the errors above)");
  llvm::StringRef data = (*weights)->getBuffer();
  SmallVector<qc::WeightOp> refs;
  module->walk([&](qc::WeightOp w) { refs.push_back(w); });
  for (qc::WeightOp w : refs) {
    int64_t off = w.getOffset(), size = w.getSize();
    if (off < 0 || size < 0 || (uint64_t)off > data.size() ||
        (uint64_t)size > data.size() - off)
      return makeError("'" + weightsPath + "': weight '" + w.getName() +
                       "' at offset " + llvm::Twine(off) + " size " +
                       llvm::Twine(size) + " lies outside the file (" +
                       llvm::Twine(data.size()) + " bytes)");
    auto type = cast<RankedTensorType>(w.getType());
    ArrayRef<char> raw(data.data() + off, size);
    std::string unpacked;
    if (qc::WeightOp::isPacked4(type.getElementType())) {
      // Two 4-bit codes per byte: one per byte again, the nibble in the
      // low bits as MLIR's own attributes hold 4-bit values (readers take
      // the low nibble: an i4's sign is its bit 3).
      int64_t n = type.getNumElements();
      if (size != (n + 1) / 2)
        return makeError("'" + weightsPath + "': weight '" + w.getName() +
                         "' has " + llvm::Twine(size) + " bytes, " +
                         typeStr(type) + " packs into " +
                         llvm::Twine((n + 1) / 2));
      unpacked.resize(n);
      quantc::numerics::unpack4(reinterpret_cast<const uint8_t *>(raw.data()),
                                n, reinterpret_cast<uint8_t *>(unpacked.data()));
      raw = ArrayRef<char>(unpacked.data(), unpacked.size());
    }
    if (type.getElementType().isInteger(1)) {
      int64_t n = type.getNumElements();
      if (size != n)
        return makeError("'" + weightsPath + "': weight '" + w.getName() +
                         "' has " + llvm::Twine(size) + " bytes, " +
                         typeStr(type) + " takes one per element, " +
                         llvm::Twine(n));
      SmallVector<bool> bits(n);
      for (int64_t i = 0; i < n; ++i)
        bits[i] = raw[i] != 0;
      OpBuilder b(w);
      auto c = arith::ConstantOp::create(b, w.getLoc(), type,
                                         DenseElementsAttr::get(type, bits));
      w.replaceAllUsesWith(c.getResult());
      w.erase();
      continue;
    }
    bool splat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, raw, splat))
      return makeError("'" + weightsPath + "': weight '" + w.getName() +
                       "' has an invalid size for " + typeStr(type));
    OpBuilder b(w);
    auto c = arith::ConstantOp::create(b, w.getLoc(), type,
                                       DenseElementsAttr::getFromRawBuffer(type, raw));
    w.replaceAllUsesWith(c.getResult());
    w.erase();
  }
  return std::move(module);
}
