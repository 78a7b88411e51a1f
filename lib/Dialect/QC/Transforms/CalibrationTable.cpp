//===- CalibrationTable.cpp - calibration results as JSON -----------------===//
//
// What qc-calibrate attaches, written to and read back from a JSON table
// (docs/Calibration.md, "Calibration tables"), so calibration runs once and
// later compilations reuse it. Layers are keyed by their ONNX node name (or
// "<op>#<index>" without one; repeated names get "#n").
//
//===----------------------------------------------------------------------===//
#include "quantc/Dialect/QC/IR/QCNNOps.h"
#include "quantc/Dialect/QC/Transforms/Passes.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace quantc;
using namespace quantc::qc;

namespace {
constexpr int kTableVersion = 1;
const char *const kStatNames[] = {"qc.lhs_stats", "qc.rhs_stats",
                                  "qc.result_stats", "qc.lhs_range",
                                  "qc.rhs_range"};
const char *const kChannelNames[] = {"qc.lhs_channel_min",
                                     "qc.lhs_channel_max"};
const char *const kMeanName = "qc.lhs_channel_mean";

/// How many channel ranges `op` has: a depthwise conv's input channels,
/// a matmul's static last lhs axis; 0 where its shape does not say.
int64_t channelCount(Operation *op) {
  if (auto conv = dyn_cast<ConvOp>(op))
    return conv.isDepthwise()
               ? cast<RankedTensorType>(conv.getInput().getType())
                     .getDimSize(1)
               : 0;
  auto x = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  return x && x.getRank() > 0 && !x.isDynamicDim(x.getRank() - 1)
             ? x.getShape().back()
             : 0;
}

/// How many channel means `op` has (qc-calibrate{channel-means}): a conv's
/// input channels (axis 1), a matmul's last lhs axis (when its extent is
/// known at run time only, the rhs's reduction axis, which equals it).
int64_t meanCount(Operation *op) {
  auto x = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  if (!x)
    return 0;
  if (isa<ConvOp>(op))
    return x.getRank() >= 2 && !x.isDynamicDim(1) ? x.getDimSize(1) : 0;
  if (x.getRank() < 1)
    return 0;
  if (!x.isDynamicDim(x.getRank() - 1))
    return x.getShape().back();
  auto w = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  if (!w || w.getRank() < 1)
    return 0;
  int64_t k = w.getRank() >= 2 ? w.getRank() - 2 : 0;
  return w.isDynamicDim(k) ? 0 : w.getDimSize(k);
}

/// Reads `field` of `entry`, an array of `want` finite f32 numbers, into
/// `out`; false (nothing read) when the entry has no such field.
FailureOr<bool> readChannelArray(const llvm::json::Object &entry,
                                 StringRef key, StringRef field, int64_t want,
                                 SmallVectorImpl<float> &out,
                                 function_ref<LogicalResult(const Twine &)> fail) {
  const llvm::json::Value *v = entry.get(field);
  if (!v)
    return false;
  const llvm::json::Array *a = v->getAsArray();
  if (!a || int64_t(a->size()) != want)
    return fail("layer '" + key + "': '" + field + "' needs " + Twine(want) +
                " numbers, one per input channel");
  for (const llvm::json::Value &e : *a) {
    std::optional<double> d = e.getAsNumber();
    if (!d || !std::isfinite(float(*d)))
      return fail("layer '" + key + "': '" + field +
                  "' holds a value that is not a finite number");
    out.push_back(float(*d));
  }
  return true;
}

/// The ops a table describes, each with a unique key.
SmallVector<std::pair<std::string, Operation *>> tableOps(func::FuncOp fn) {
  SmallVector<std::pair<std::string, Operation *>> out;
  llvm::StringMap<int> seen;
  int index = 0;
  fn.walk([&](Operation *op) {
    if (!isa<MatMulOp, ConvOp>(op))
      return;
    std::string key = getLayerName(op->getLoc());
    if (key.empty())
      key = op->getName().getStringRef().str() + "#" + std::to_string(index);
    // A repeated name gets the first free "#n" suffix (a suffix can
    // collide with a real name: keep counting until it does not).
    if (seen.count(key)) {
      std::string base = key;
      for (int n = seen[base]; seen.count(key); ++n)
        key = base + "#" + std::to_string(n);
      seen[base]++;
    }
    seen[key]++;
    ++index;
    out.push_back({key, op});
  });
  return out;
}
} // namespace

llvm::Error quantc::qc::writeCalibrationTable(func::FuncOp fn, StringRef path) {
  llvm::json::Object layers;
  for (auto &[key, op] : tableOps(fn)) {
    llvm::json::Object entry;
    for (const char *name : kStatNames)
      if (auto s = op->getAttrOfType<StatsAttr>(name))
        entry[StringRef(name).drop_front(3)] =
            llvm::json::Object{{"min", s.getMin().getValueAsDouble()},
                               {"max", s.getMax().getValueAsDouble()},
                               {"absmax", s.getAbsmax().getValueAsDouble()}};
    if (auto m = op->getAttrOfType<StringAttr>("qc.calib_method"))
      entry["method"] = m.str();
    for (const char *name : {kChannelNames[0], kChannelNames[1], kMeanName})
      if (auto a = op->getAttrOfType<DenseF32ArrayAttr>(name)) {
        llvm::json::Array values;
        for (float v : a.asArrayRef())
          values.push_back(double(v));
        entry[StringRef(name).drop_front(3)] = std::move(values);
      }
    if (!entry.empty())
      layers[key] = std::move(entry);
  }
  llvm::json::Object table{{"format_version", kTableVersion},
                           {"layers", std::move(layers)}};
  // Written next to its final name and renamed: no half-written table.
  std::string tmp = (path + ".tmp").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec)
      return llvm::createStringError(ec, "cannot write calibration table '" +
                                             path + "': " + ec.message());
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(table))) << "\n";
    os.close();
    if (os.has_error()) {
      llvm::sys::fs::remove(tmp);
      return llvm::createStringError(
          os.error(), "cannot write calibration table '" + path + "'");
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return llvm::createStringError(ec, "cannot write calibration table '" +
                                           path + "': " + ec.message());
  }
  return llvm::Error::success();
}

LogicalResult quantc::qc::applyCalibrationTable(func::FuncOp fn,
                                                StringRef path) {
  auto fail = [&](const Twine &msg) {
    return fn.emitError() << "calibration table '" << path << "': " << msg;
  };
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return fail(buf.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buf)->getBuffer());
  if (!json)
    return fail("not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  std::optional<int64_t> version =
      root ? root->getInteger("format_version") : std::nullopt;
  if (!root || version != kTableVersion)
    return fail("not a quantc calibration table (format_version " +
                Twine(kTableVersion) + " expected)");
  const llvm::json::Object *layers = root->getObject("layers");
  if (!layers)
    return fail("no 'layers' object");
  // Check everything before changing the IR: all or nothing.
  SmallVector<std::pair<Operation *, NamedAttribute>> attrs;
  Builder b(fn.getContext());
  for (auto &[key, op] : tableOps(fn)) {
    const llvm::json::Object *entry = layers->getObject(key);
    if (!entry)
      return fail("no entry for layer '" + key +
                  "' (the table was written for another model?)");
    for (const char *name : kStatNames) {
      StringRef field = StringRef(name).drop_front(3);
      const llvm::json::Value *v = entry->get(field);
      if (!v)
        continue;
      const llvm::json::Object *s = v->getAsObject();
      std::optional<double> lo = s ? s->getNumber("min") : std::nullopt,
                            hi = s ? s->getNumber("max") : std::nullopt,
                            am = s ? s->getNumber("absmax") : std::nullopt;
      if (!lo || !hi || !am || !std::isfinite(*lo) || !std::isfinite(*hi) ||
          !std::isfinite(*am) || *lo > *hi)
        return fail("layer '" + key + "': '" + field +
                    "' needs finite min <= max and absmax");
      attrs.push_back(
          {op, b.getNamedAttr(name, StatsAttr::get(fn.getContext(),
                                                   b.getF32FloatAttr(*lo),
                                                   b.getF32FloatAttr(*hi),
                                                   b.getF32FloatAttr(*am)))});
    }
    SmallVector<float> channels[2];
    for (auto [c, name] : llvm::enumerate(kChannelNames))
      if (failed(readChannelArray(*entry, key, StringRef(name).drop_front(3),
                                  channelCount(op), channels[c], fail)))
        return failure();
    SmallVector<float> means;
    FailureOr<bool> hasMeans = readChannelArray(
        *entry, key, StringRef(kMeanName).drop_front(3), meanCount(op), means,
        fail);
    if (failed(hasMeans))
      return failure();
    if (*hasMeans)
      attrs.push_back(
          {op, b.getNamedAttr(kMeanName, b.getDenseF32ArrayAttr(means))});
    if (channels[0].size() != channels[1].size())
      return fail("layer '" + key +
                  "': lhs_channel_min and lhs_channel_max come together");
    for (size_t j = 0; j < channels[0].size(); ++j)
      if (channels[0][j] > channels[1][j])
        return fail("layer '" + key + "': channel " + Twine(j) +
                    " has lhs_channel_min > lhs_channel_max");
    if (!channels[0].empty())
      for (auto [c, name] : llvm::enumerate(kChannelNames))
        attrs.push_back(
            {op, b.getNamedAttr(name, b.getDenseF32ArrayAttr(channels[c]))});
    if (std::optional<StringRef> m = entry->getString("method"))
      attrs.push_back(
          {op, b.getNamedAttr("qc.calib_method", b.getStringAttr(*m))});
    bool lhs = entry->get("lhs_stats") || entry->get("lhs_range");
    if (!lhs)
      return fail("layer '" + key + "' has no lhs_stats");
  }
  // The table replaces whatever an earlier calibration attached.
  for (auto &[key, op] : tableOps(fn))
    for (const char *name : kStatNames)
      op->removeAttr(name);
  for (auto &[key, op] : tableOps(fn))
    for (const char *name : {kChannelNames[0], kChannelNames[1], kMeanName})
      op->removeAttr(name);
  for (auto &[key, op] : tableOps(fn))
    op->removeAttr("qc.calib_method");
  for (auto &[op, a] : attrs)
    op->setAttr(a.getName(), a.getValue());
  return success();
}

std::optional<bool> quantc::qc::calibrationTableHasChannelMeans(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buf)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *layers = root ? root->getObject("layers") : nullptr;
  if (!layers)
    return std::nullopt;
  StringRef field = StringRef(kMeanName).drop_front(3);
  return llvm::any_of(*layers, [&](const auto &layer) {
    const llvm::json::Object *entry = layer.second.getAsObject();
    return entry && entry->get(field);
  });
}
