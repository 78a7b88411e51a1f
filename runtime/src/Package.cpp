//===- Package.cpp - read and check a model.qcpkg -------------------------===//
//
// Every rule of docs/Runtime.md's package contract is checked here, once, so
// that a session never meets an index out of range or a file shorter than
// the manifest says. Errors name the package path, the file and the JSON key:
//   model.qcpkg/manifest.json: program.steps[3].args[1]: value 17 out of
//   range (12 values)
//
//===----------------------------------------------------------------------===//
#include "Package.h"
#include "Json.h"
#include "Plan.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sys/stat.h>

using namespace qcrt;
using JValue = qcrt::json::Value;

namespace {
constexpr uint64_t kMaxManifestBytes = uint64_t(256) << 20;
constexpr uint64_t kMaxKernelFileBytes = uint64_t(1) << 30;
constexpr size_t kMaxRank = 8;
constexpr size_t kMaxValues = size_t(1) << 22;
constexpr size_t kMaxArgs = 512;
constexpr int64_t kMaxSlots = int64_t(1) << 22;
constexpr int64_t kMaxSharedBytes = 256 * 1024;
} // namespace

size_t qcrt::dtypeSize(const std::string &d) {
  static const std::pair<const char *, size_t> table[] = {
      {"f32", 4},      {"i32", 4},      {"f16", 2},          {"bf16", 2},
      {"i64", 8},      {"f8E4M3FN", 1}, {"f8E5M2", 1},       {"f8E8M0FNU", 1},
      {"i8", 1},       {"ui8", 1},      {"i1", 1},
      {"f64", 8},      {"i16", 2},      {"ui16", 2},         {"ui32", 4},
      {"ui64", 8},
      // 4-bit codes, one per byte (the low nibble).
      {"i4", 1},       {"ui4", 1},      {"f4E2M1FN", 1},
      // 6-bit MX element codes, one per byte.
      {"f6E2M3FN", 1}, {"f6E3M2FN", 1}};
  for (const auto &e : table)
    if (d == e.first)
      return e.second;
  return 0;
}

bool qcrt::isPacked4(const std::string &d) {
  return d == "i4" || d == "ui4" || d == "f4E2M1FN";
}

std::string qcrt::joinPath(const std::string &dir, const std::string &rel) {
  if (dir.empty())
    return rel;
  if (dir.back() == '/')
    return dir + rel;
  return dir + "/" + rel;
}

Status qcrt::readFile(const std::string &path, std::string &out,
                      uint64_t maxBytes) {
  FILE *f = fopen(path.c_str(), "rb");
  if (!f)
    return Status(QCRT_ERROR_IO,
                  path + ": cannot open: " + std::string(strerror(errno)));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return Status(QCRT_ERROR_IO, path + ": not a regular file");
  }
  if ((uint64_t)st.st_size > maxBytes) {
    fclose(f);
    return Status(QCRT_ERROR_INVALID_PACKAGE,
                  path + ": " + std::to_string((uint64_t)st.st_size) +
                      " bytes, more than the limit of " +
                      std::to_string(maxBytes));
  }
  out.assign((size_t)st.st_size, '\0');
  size_t got = out.empty() ? 0 : fread(&out[0], 1, out.size(), f);
  bool err = ferror(f);
  fclose(f);
  if (err || got != out.size())
    return Status(QCRT_ERROR_IO, path + ": read error");
  return Status::ok();
}

namespace {

std::string shapeStr(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

/// Checks a relative path inside the package: not absolute, no "..", and
/// after resolving symlinks still inside the package directory.
Status checkRelativePath(const std::string &dir, const std::string &rel,
                         const std::string &where) {
  if (rel.empty() || rel[0] == '/' || rel.find('\0') != std::string::npos)
    return invalidPackage(where + ": path \"" + rel +
                          "\" must be relative to the package");
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos)
      end = rel.size();
    if (rel.compare(start, end - start, "..") == 0 && end - start == 2)
      return invalidPackage(where + ": path \"" + rel +
                            "\" leaves the package ('..')");
    start = end + 1;
  }
  std::string full = joinPath(dir, rel);
  char *rd = realpath(dir.c_str(), nullptr);
  char *rf = realpath(full.c_str(), nullptr);
  Status st;
  if (!rf) {
    st = Status(QCRT_ERROR_IO,
                full + ": cannot open: " + std::string(strerror(errno)));
  } else if (rd) {
    std::string d(rd), f(rf);
    if (f.compare(0, d.size(), d) != 0 || f.size() <= d.size() ||
        f[d.size()] != '/')
      st = invalidPackage(where + ": path \"" + rel +
                          "\" resolves outside the package (symlink)");
  }
  free(rd);
  free(rf);
  return st;
}

/// PTX text looks complete: a .version and .target directive, and the
/// braces balance (a truncated file ends inside a function body).
Status checkPtx(const std::string &path, const std::string &text) {
  if (text.find(".version") == std::string::npos ||
      text.find(".target") == std::string::npos)
    return invalidPackage(path +
                          ": not PTX (no .version / .target directive)");
  if (text.find('\0') != std::string::npos)
    return invalidPackage(path + ": not PTX text (holds a NUL byte)");
  long depth = 0;
  for (char c : text) {
    if (c == '{')
      ++depth;
    else if (c == '}' && --depth < 0)
      break;
  }
  if (depth != 0)
    return invalidPackage(path + ": truncated or malformed PTX (unbalanced "
                                 "braces)");
  return Status::ok();
}

/// The names after every ".entry" directive of PTX text.
std::set<std::string> ptxEntries(const std::string &text) {
  std::set<std::string> names;
  size_t pos = 0;
  while ((pos = text.find(".entry", pos)) != std::string::npos) {
    size_t p = pos + 6;
    bool boundaryBefore =
        pos == 0 || text[pos - 1] == ' ' || text[pos - 1] == '\t' ||
        text[pos - 1] == '\n' || text[pos - 1] == '\r';
    pos = p;
    if (!boundaryBefore || p >= text.size() ||
        !(text[p] == ' ' || text[p] == '\t'))
      continue;
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t'))
      ++p;
    size_t s = p;
    while (p < text.size() &&
           (isalnum((unsigned char)text[p]) || text[p] == '_' ||
            text[p] == '$' || text[p] == '.'))
      ++p;
    if (p > s)
      names.insert(text.substr(s, p - s));
  }
  return names;
}

template <typename T> T readLE(const std::string &b, size_t off) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    v |= (T)(unsigned char)b[off + i] << (8 * i);
  return v;
}

/// A cubin is a 64-bit little-endian ELF file; its program and section
/// header tables and every section's contents must lie inside the file.
Status checkCubin(const std::string &path, const std::string &b) {
  auto bad = [&](const std::string &why) {
    return invalidPackage(path + ": truncated or malformed cubin (" + why +
                          ")");
  };
  if (b.size() < 64 || b.compare(0, 4, "\x7f" "ELF") != 0)
    return bad("no ELF header");
  if (b[4] != 2 || b[5] != 1)
    return bad("not 64-bit little-endian ELF");
  uint64_t phoff = readLE<uint64_t>(b, 32), shoff = readLE<uint64_t>(b, 40);
  uint16_t phentsize = readLE<uint16_t>(b, 54), phnum = readLE<uint16_t>(b, 56);
  uint16_t shentsize = readLE<uint16_t>(b, 58), shnum = readLE<uint16_t>(b, 60);
  uint64_t size = b.size();
  auto inside = [&](uint64_t off, uint64_t len) {
    return off <= size && len <= size - off;
  };
  if (phnum && !inside(phoff, (uint64_t)phentsize * phnum))
    return bad("program headers beyond the end of the file");
  if (shnum && (shentsize < 64 || !inside(shoff, (uint64_t)shentsize * shnum)))
    return bad("section headers beyond the end of the file");
  for (uint16_t i = 0; i < shnum; ++i) {
    size_t h = (size_t)(shoff + (uint64_t)i * shentsize);
    uint32_t type = readLE<uint32_t>(b, h + 4);
    uint64_t off = readLE<uint64_t>(b, h + 24), len = readLE<uint64_t>(b, h + 32);
    if (type != 8 /*SHT_NOBITS*/ && type != 0 && !inside(off, len))
      return bad("section " + std::to_string(i) + " beyond the end of the file");
  }
  return Status::ok();
}

/// Reads the manifest's JSON into typed fields; every error names the
/// manifest path and the key.
class ManifestReader {
public:
  ManifestReader(Package &pkg) : pkg_(pkg) {}

  Status read(const JValue &root);

private:
  Package &pkg_;

  Status err(const std::string &key, const std::string &msg) const {
    return invalidPackage(pkg_.manifestPath + ": " + key + ": " + msg);
  }
  Status typeErr(const std::string &key, const JValue &v,
                 const char *want) const {
    return err(key, std::string("expected ") + want + ", found " +
                        v.kindName());
  }
  const JValue *member(const JValue &obj, const char *name) const {
    return obj.get(name);
  }
  Status need(const JValue &obj, const std::string &key, const char *name,
              const JValue *&out) const {
    out = obj.get(name);
    if (!out)
      return err(key, std::string("missing key \"") + name + "\"");
    return Status::ok();
  }
  Status getInt(const JValue &obj, const std::string &key, const char *name,
                int64_t &out) const {
    const JValue *v;
    if (Status s = need(obj, key, name, v))
      return s;
    if (!v->isInt())
      return typeErr(key + "." + name, *v, "an integer");
    out = v->asInt();
    return Status::ok();
  }
  Status getString(const JValue &obj, const std::string &key, const char *name,
                   std::string &out) const {
    const JValue *v;
    if (Status s = need(obj, key, name, v))
      return s;
    if (!v->isString())
      return typeErr(key + "." + name, *v, "a string");
    out = v->asString();
    return Status::ok();
  }
  Status shape(const JValue &v, const std::string &key, bool allowBatch,
               bool program, std::vector<int64_t> &out) const;
  Status tensorDesc(const JValue &v, const std::string &key, TensorDesc &out);
  Status linear(const JValue &v, const std::string &key, bool allowDiv,
                Linear &out) const;
  Status tensorMap(const JValue &v, const std::string &key, const Program &p,
                   Arg &out) const;
  Status kernelFiles(const JValue &root);
  Status program(const JValue &prog);
  Status values(const JValue &vals);
  Status steps(const JValue &steps);
};

/// {"value": i, "box": [rows, cols], "swizzle": S}: what
/// cuTensorMapEncodeTiled accepts for a 2-D map of a 1-byte value seen as
/// [rows, last dim] (docs/Runtime.md).
Status ManifestReader::tensorMap(const JValue &v, const std::string &key,
                                 const Program &p, Arg &out) const {
  if (!v.isObject() || v.members().size() != 3)
    return err(key, "expected {\"value\": i, \"box\": [rows, cols], "
                    "\"swizzle\": S}");
  int64_t value, swizzle;
  if (Status st = getInt(v, key, "value", value))
    return st;
  if (value < 0 || (uint64_t)value >= p.values.size())
    return err(key, "value " + std::to_string(value) + " out of range (" +
                        std::to_string(p.values.size()) + " values)");
  const Value &val = p.values[(size_t)value];
  if (val.elementSize != 1 || isPacked4(val.dtype))
    return err(key, "value " + std::to_string(value) + " ('" + val.name +
                        "') is " + val.dtype +
                        ": tensor maps take one-byte elements");
  if (val.shape.size() < 2 || val.shape.back() < 1)
    return err(key, "value " + std::to_string(value) + " ('" + val.name +
                        "') must have rank >= 2 and a static last dimension");
  // TMA: every row starts on a 16-byte boundary, and so does the data.
  if (val.shape.back() % 16)
    return err(key, "value '" + val.name + "' has rows of " +
                        std::to_string(val.shape.back()) +
                        " bytes; a tensor map needs a multiple of 16");
  if (val.kind == ValueKind::Weight && val.offset % 16)
    return err(key, "weight '" + val.name + "' at offset " +
                        std::to_string(val.offset) +
                        " is not 16-byte aligned, as a tensor map needs");
  if (Status st = getInt(v, key, "swizzle", swizzle))
    return st;
  if (swizzle != 0 && swizzle != 32 && swizzle != 64 && swizzle != 128)
    return err(key + ".swizzle", std::to_string(swizzle) +
                                     " (expected 0, 32, 64 or 128 bytes)");
  const JValue *box;
  if (Status st = need(v, key, "box", box))
    return st;
  if (!box->isArray() || box->items().size() != 2)
    return err(key + ".box", "expected [rows, cols]");
  for (size_t i = 0; i < 2; ++i) {
    const JValue &b = box->items()[i];
    if (!b.isInt() || b.asInt() < 1 || b.asInt() > 256)
      return err(key + ".box[" + std::to_string(i) + "]",
                 "expected an integer in 1..256");
    out.box[i] = (uint32_t)b.asInt();
  }
  // The box's rows (one-byte elements) are a multiple of 16 bytes, and
  // with a swizzle no longer than its span.
  if (out.box[1] % 16 || (swizzle && out.box[1] > (uint32_t)swizzle))
    return err(key + ".box[1]",
               std::to_string(out.box[1]) + " bytes per row of a box: " +
                   (out.box[1] % 16 ? std::string("not a multiple of 16")
                                    : "more than the swizzle span of " +
                                          std::to_string(swizzle)));
  out.value = value;
  out.swizzle = (uint32_t)swizzle;
  return Status::ok();
}

Status ManifestReader::shape(const JValue &v, const std::string &key,
                             bool allowBatch, bool program,
                             std::vector<int64_t> &out) const {
  if (!v.isArray())
    return typeErr(key, v, "an array of dimensions");
  if (v.items().size() > kMaxRank)
    return err(key, "rank " + std::to_string(v.items().size()) +
                        " exceeds the limit of " + std::to_string(kMaxRank));
  out.clear();
  for (size_t i = 0; i < v.items().size(); ++i) {
    const JValue &d = v.items()[i];
    std::string k = key + "[" + std::to_string(i) + "]";
    if (!d.isInt())
      return typeErr(k, d, "an integer");
    int64_t x = d.asInt();
    if (x == -1) {
      if (!allowBatch)
        return err(k, "-1 (batch) in a program without a batch");
    } else if (x < (program ? 1 : 0)) {
      return err(k, "dimension " + std::to_string(x) + " is invalid (" +
                        (program ? "must be >= 1 or -1" : "must be >= 0 or -1") +
                        ")");
    }
    out.push_back(x);
  }
  uint64_t bytes;
  if (!tensorBytes(out, 1, 1, bytes))
    return err(key, "shape " + shapeStr(out) + " is too large");
  return Status::ok();
}

Status ManifestReader::tensorDesc(const JValue &v, const std::string &key,
                                  TensorDesc &out) {
  if (!v.isObject())
    return typeErr(key, v, "an object");
  if (Status s = getString(v, key, "name", out.name))
    return s;
  if (Status s = getString(v, key, "dtype", out.dtype))
    return s;
  out.elementSize = dtypeSize(out.dtype);
  const JValue *sh;
  if (Status s = need(v, key, "shape", sh))
    return s;
  return shape(*sh, key + ".shape", /*allowBatch=*/true, /*program=*/false,
               out.shape);
}

Status ManifestReader::linear(const JValue &v, const std::string &key,
                              bool allowDiv, Linear &out) const {
  if (!v.isObject())
    return typeErr(key, v, "a linear expression {\"b\": a, \"c\": c}");
  out = Linear();
  for (const auto &m : v.members()) {
    std::string k = key + "." + m.first;
    if (!m.second.isInt())
      return typeErr(k, m.second, "an integer");
    int64_t x = m.second.asInt();
    if (m.first == "b")
      out.b = x;
    else if (m.first == "c")
      out.c = x;
    else if (m.first == "div" && allowDiv) {
      if (x < 1)
        return err(k, "divisor " + std::to_string(x) + " must be >= 1");
      out.div = x;
    } else
      return err(key, "unknown key \"" + m.first + "\" (expected " +
                          (allowDiv ? "b, c, div" : "b, c") + ")");
  }
  return Status::ok();
}

Status ManifestReader::read(const JValue &root) {
  if (!root.isObject())
    return err("(top level)", std::string("expected an object, found ") +
                                  root.kindName());
  int64_t version;
  if (Status s = getInt(root, "(top level)", "format_version", version))
    return s;
  if (version == 1)
    return Status(QCRT_ERROR_UNSUPPORTED,
                  pkg_.manifestPath + ": package format 1 has no GPU program; "
                                      "recompile with this quant-compile");
  if (version != 2)
    return Status(QCRT_ERROR_UNSUPPORTED,
                  pkg_.manifestPath + ": package format " +
                      std::to_string(version) +
                      " is not supported (this runtime reads format 2)");
  pkg_.formatVersion = (int)version;

  for (int io = 0; io < 2; ++io) {
    const char *name = io ? "outputs" : "inputs";
    const JValue *arr;
    if (Status s = need(root, "(top level)", name, arr))
      return s;
    if (!arr->isArray())
      return typeErr(name, *arr, "an array");
    std::vector<TensorDesc> &descs = io ? pkg_.outputs : pkg_.inputs;
    for (size_t i = 0; i < arr->items().size(); ++i) {
      TensorDesc d;
      if (Status s = tensorDesc(arr->items()[i],
                                std::string(name) + "[" + std::to_string(i) +
                                    "]",
                                d))
        return s;
      descs.push_back(std::move(d));
    }
  }

  // weights.bin: its size, and the manifest's record of it.
  std::string weightsRel = "weights.bin";
  int64_t declaredSize = -1;
  if (const JValue *w = member(root, "weights")) {
    if (!w->isObject())
      return typeErr("weights", *w, "an object");
    if (w->get("file"))
      if (Status s = getString(*w, "weights", "file", weightsRel))
        return s;
    if (w->get("size"))
      if (Status s = getInt(*w, "weights", "size", declaredSize))
        return s;
  }
  if (Status s = checkRelativePath(pkg_.dir, weightsRel, pkg_.manifestPath +
                                                             ": weights.file"))
    return s;
  pkg_.weightsPath = joinPath(pkg_.dir, weightsRel);
  struct stat st;
  if (stat(pkg_.weightsPath.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return Status(QCRT_ERROR_IO, pkg_.weightsPath + ": cannot open: " +
                                     std::string(strerror(errno)));
  pkg_.weightsSize = (uint64_t)st.st_size;
  if (declaredSize >= 0 && (uint64_t)declaredSize != pkg_.weightsSize)
    return invalidPackage(
        pkg_.weightsPath + ": " + std::to_string(pkg_.weightsSize) +
        " bytes, but " + pkg_.manifestPath + " weights.size says " +
        std::to_string(declaredSize) +
        (pkg_.weightsSize < (uint64_t)declaredSize ? " (truncated file)" : ""));

  if (Status s = kernelFiles(root))
    return s;

  if (const JValue *u = member(root, "gpu_unsupported")) {
    if (!u->isArray())
      return typeErr("gpu_unsupported", *u, "an array");
    for (size_t i = 0; i < u->items().size(); ++i) {
      const JValue &e = u->items()[i];
      std::string k = "gpu_unsupported[" + std::to_string(i) + "]";
      if (!e.isObject())
        return typeErr(k, e, "an object");
      std::string op;
      int64_t count = 0;
      if (Status s = getString(e, k, "op", op))
        return s;
      if (e.get("count"))
        if (Status s = getInt(e, k, "count", count))
          return s;
      pkg_.gpuUnsupported.emplace_back(op, count);
    }
  }

  const JValue *prog = member(root, "program");
  if (!prog || prog->isNull()) {
    pkg_.hasProgram = false;
    return Status::ok();
  }
  if (!prog->isObject())
    return typeErr("program", *prog, "an object or null");
  pkg_.hasProgram = true;
  return program(*prog);
}

Status ManifestReader::kernelFiles(const JValue &root) {
  const JValue *kf = member(root, "kernel_files");
  if (!kf)
    return Status::ok();
  if (!kf->isArray())
    return typeErr("kernel_files", *kf, "an array");
  std::set<std::string> seen;
  for (size_t i = 0; i < kf->items().size(); ++i) {
    const JValue &e = kf->items()[i];
    std::string key = "kernel_files[" + std::to_string(i) + "]";
    if (!e.isObject())
      return typeErr(key, e, "an object");
    KernelFile f;
    if (Status s = getString(e, key, "target", f.target))
      return s;
    // sm_<digits>[a]
    const std::string &t = f.target;
    size_t n = t.size();
    bool a = n > 0 && t[n - 1] == 'a';
    size_t digitsEnd = a ? n - 1 : n;
    bool ok = t.compare(0, 3, "sm_") == 0 && digitsEnd > 3 && digitsEnd <= 6;
    for (size_t k = 3; ok && k < digitsEnd; ++k)
      ok = isdigit((unsigned char)t[k]);
    if (!ok)
      return err(key + ".target",
                 "\"" + t + "\" is not a target (expected sm_XY or sm_XYa)");
    f.sm = atoi(t.c_str() + 3);
    f.archSpecific = a;
    if (!seen.insert(t).second)
      return err(key + ".target", "target \"" + t + "\" listed twice");
    if (Status s = getString(e, key, "ptx", f.ptxPath))
      return s;
    if (const JValue *c = e.get("cubin"))
      if (!c->isNull())
        if (Status s = getString(e, key, "cubin", f.cubinPath))
          return s;
    const JValue *ks;
    if (Status s = need(e, key, "kernels", ks))
      return s;
    if (!ks->isArray())
      return typeErr(key + ".kernels", *ks, "an array of kernel names");
    for (size_t j = 0; j < ks->items().size(); ++j) {
      const JValue &kn = ks->items()[j];
      if (!kn.isString())
        return typeErr(key + ".kernels[" + std::to_string(j) + "]", kn,
                       "a string");
      f.kernels.push_back(kn.asString());
    }
    // The files: inside the package, complete.
    if (Status s = checkRelativePath(pkg_.dir, f.ptxPath,
                                     pkg_.manifestPath + ": " + key + ".ptx"))
      return s;
    std::string ptxFull = joinPath(pkg_.dir, f.ptxPath);
    if (Status s = readFile(ptxFull, f.ptx, kMaxKernelFileBytes))
      return s;
    if (Status s = checkPtx(ptxFull, f.ptx))
      return s;
    std::set<std::string> entries = ptxEntries(f.ptx);
    for (const std::string &kn : f.kernels)
      if (!entries.count(kn))
        return invalidPackage(ptxFull + ": no '.entry " + kn + "' (" +
                              pkg_.manifestPath + " " + key +
                              ".kernels lists it)");
    if (!f.cubinPath.empty()) {
      if (Status s = checkRelativePath(pkg_.dir, f.cubinPath,
                                       pkg_.manifestPath + ": " + key +
                                           ".cubin"))
        return s;
      std::string cubinFull = joinPath(pkg_.dir, f.cubinPath);
      if (Status s = readFile(cubinFull, f.cubin, kMaxKernelFileBytes))
        return s;
      if (Status s = checkCubin(cubinFull, f.cubin))
        return s;
    }
    pkg_.targets.push_back(f.target);
    pkg_.kernelFiles.push_back(std::move(f));
  }
  return Status::ok();
}

Status ManifestReader::program(const JValue &prog) {
  Program &p = pkg_.program;
  // batch
  const JValue *b;
  if (Status s = need(prog, "program", "batch", b))
    return s;
  if (b->isNull()) {
    p.hasBatch = false;
  } else {
    if (!b->isObject())
      return typeErr("program.batch", *b, "an object or null");
    if (Status s = getInt(*b, "program.batch", "input", p.batchInput))
      return s;
    if (Status s = getInt(*b, "program.batch", "dim", p.batchDim))
      return s;
    if (p.batchInput < 0 || (size_t)p.batchInput >= pkg_.inputs.size())
      return err("program.batch.input",
                 "input " + std::to_string(p.batchInput) + " out of range (" +
                     std::to_string(pkg_.inputs.size()) + " inputs)");
    const TensorDesc &in = pkg_.inputs[(size_t)p.batchInput];
    if (p.batchDim < 0 || (size_t)p.batchDim >= in.shape.size())
      return err("program.batch.dim",
                 "dimension " + std::to_string(p.batchDim) +
                     " out of range (input '" + in.name + "' has rank " +
                     std::to_string(in.shape.size()) + ")");
    if (in.shape[(size_t)p.batchDim] != -1)
      return err("program.batch.dim",
                 "dimension " + std::to_string(p.batchDim) + " of input '" +
                     in.name + "' is " +
                     std::to_string(in.shape[(size_t)p.batchDim]) +
                     ", not -1 (batch)");
    p.hasBatch = true;
  }
  // Inputs and outputs of a program: known dtypes, and -1 only when there
  // is a batch.
  for (int io = 0; io < 2; ++io) {
    std::vector<TensorDesc> &descs = io ? pkg_.outputs : pkg_.inputs;
    for (size_t i = 0; i < descs.size(); ++i) {
      std::string key = std::string(io ? "outputs" : "inputs") + "[" +
                        std::to_string(i) + "]";
      if (!descs[i].elementSize)
        return err(key + ".dtype", "unknown dtype \"" + descs[i].dtype + "\"");
      for (size_t d = 0; d < descs[i].shape.size(); ++d) {
        int64_t x = descs[i].shape[d];
        if (x == -1 && !p.hasBatch)
          return err(key + ".shape[" + std::to_string(d) + "]",
                     "-1 (batch) but program.batch is null");
        if (x == 0)
          return err(key + ".shape[" + std::to_string(d) + "]",
                     "dimension 0 is invalid (must be >= 1 or -1)");
      }
    }
  }
  // arena
  const JValue *arena;
  if (Status s = need(prog, "program", "arena", arena))
    return s;
  if (!arena->isObject())
    return typeErr("program.arena", *arena, "an object");
  int64_t align;
  if (Status s = getInt(*arena, "program.arena", "alignment", align))
    return s;
  if (align < 1 || align > (1 << 20) || (align & (align - 1)))
    return err("program.arena.alignment",
               std::to_string(align) +
                   " is not a power of two between 1 and 2^20");
  p.alignment = (uint64_t)align;
  if (Status s = getInt(*arena, "program.arena", "slots", p.slots))
    return s;
  if (p.slots < 0 || p.slots > kMaxSlots)
    return err("program.arena.slots",
               std::to_string(p.slots) + " is out of range");

  const JValue *vals, *steps;
  if (Status s = need(prog, "program", "values", vals))
    return s;
  if (Status s = values(*vals))
    return s;
  if (Status s = need(prog, "program", "steps", steps))
    return s;
  if (Status s = this->steps(*steps))
    return s;

  if (pkg_.kernelFiles.empty() && !p.steps.empty())
    return err("kernel_files", "no kernel files, but the program has " +
                                   std::to_string(p.steps.size()) + " steps");
  // Every step's kernel in every kernel file (listed, and in its PTX, which
  // kernelFiles() checked against the list).
  for (const KernelFile &f : pkg_.kernelFiles) {
    std::set<std::string> listed(f.kernels.begin(), f.kernels.end());
    for (size_t i = 0; i < p.steps.size(); ++i)
      if (!listed.count(p.steps[i].kernel))
        return err("program.steps[" + std::to_string(i) + "].kernel",
                   "kernel '" + p.steps[i].kernel +
                       "' is not in kernel_files entry for " + f.target +
                       " (" + f.ptxPath + ")");
  }
  if (Status s = checkSlotPlan(p))
    return s.withPrefix(pkg_.manifestPath + ": ");
  // The arena at batch 1 must be computable (catches absurd shapes early).
  ArenaLayout layout;
  if (Status s = planArena(p, 1, layout))
    return err("program", s.message());
  return Status::ok();
}

Status ManifestReader::values(const JValue &vals) {
  Program &p = pkg_.program;
  if (!vals.isArray())
    return typeErr("program.values", vals, "an array");
  if (vals.items().size() > kMaxValues)
    return err("program.values", "too many values");
  p.inputValue.assign(pkg_.inputs.size(), -1);
  p.outputValue.assign(pkg_.outputs.size(), -1);
  for (size_t i = 0; i < vals.items().size(); ++i) {
    const JValue &e = vals.items()[i];
    std::string key = "program.values[" + std::to_string(i) + "]";
    if (!e.isObject())
      return typeErr(key, e, "an object");
    qcrt::Value v;
    if (Status s = getString(e, key, "name", v.name))
      return s;
    if (Status s = getString(e, key, "dtype", v.dtype))
      return s;
    v.elementSize = dtypeSize(v.dtype);
    if (!v.elementSize)
      return err(key + ".dtype", "unknown dtype \"" + v.dtype + "\"");
    const JValue *sh;
    if (Status s = need(e, key, "shape", sh))
      return s;
    if (Status s = shape(*sh, key + ".shape", p.hasBatch, /*program=*/true,
                         v.shape))
      return s;
    std::string kind;
    if (Status s = getString(e, key, "kind", kind))
      return s;
    if (kind == "input")
      v.kind = ValueKind::Input;
    else if (kind == "output")
      v.kind = ValueKind::Output;
    else if (kind == "weight")
      v.kind = ValueKind::Weight;
    else if (kind == "temp")
      v.kind = ValueKind::Temp;
    else
      return err(key + ".kind", "unknown kind \"" + kind +
                                    "\" (expected input, output, weight, temp)");

    if (v.kind == ValueKind::Weight) {
      if (e.get("slot"))
        return err(key, "a weight has no arena slot");
      int64_t off;
      if (Status s = getInt(e, key, "offset", off))
        return s;
      for (int64_t d : v.shape)
        if (d == -1)
          return err(key + ".shape", "a weight's shape must be static");
      uint64_t bytes;
      tensorBytes(v.shape, v.elementSize, 1, bytes); // checked by shape()
      if (isPacked4(v.dtype))
        bytes = (bytes + 1) / 2; // two 4-bit codes per byte in weights.bin
      if (off < 0 || (uint64_t)off > pkg_.weightsSize ||
          bytes > pkg_.weightsSize - (uint64_t)off)
        return err(key, "weight '" + v.name + "' at offset " +
                            std::to_string(off) + " (" +
                            std::to_string(bytes) +
                            " bytes) lies outside weights.bin (" +
                            std::to_string(pkg_.weightsSize) + " bytes)");
      v.offset = (uint64_t)off;
    } else {
      if (Status s = getInt(e, key, "slot", v.slot))
        return s;
      if (v.slot < 0 || v.slot >= p.slots)
        return err(key + ".slot", "slot " + std::to_string(v.slot) +
                                      " out of range (" +
                                      std::to_string(p.slots) + " slots)");
    }
    if (v.kind == ValueKind::Input || v.kind == ValueKind::Output) {
      bool in = v.kind == ValueKind::Input;
      const std::vector<TensorDesc> &descs = in ? pkg_.inputs : pkg_.outputs;
      const char *list = in ? "inputs" : "outputs";
      if (Status s = getInt(e, key, "index", v.index))
        return s;
      if (v.index < 0 || (size_t)v.index >= descs.size())
        return err(key + ".index", std::string(list) + " index " +
                                       std::to_string(v.index) +
                                       " out of range (" +
                                       std::to_string(descs.size()) + " " +
                                       list + ")");
      const TensorDesc &d = descs[(size_t)v.index];
      if (d.dtype != v.dtype || d.shape != v.shape)
        return err(key, "value '" + v.name + "' (" + v.dtype + " " +
                            shapeStr(v.shape) + ") does not match " + list +
                            "[" + std::to_string(v.index) + "] '" + d.name +
                            "' (" + d.dtype + " " + shapeStr(d.shape) + ")");
      std::vector<int64_t> &map = in ? p.inputValue : p.outputValue;
      if (map[(size_t)v.index] >= 0)
        return err(key + ".index",
                   std::string(list) + "[" + std::to_string(v.index) +
                       "] is already value " +
                       std::to_string(map[(size_t)v.index]));
      map[(size_t)v.index] = (int64_t)i;
    }
    p.values.push_back(std::move(v));
  }
  for (size_t o = 0; o < p.outputValue.size(); ++o)
    if (p.outputValue[o] < 0)
      return err("program.values", "no value of kind output for outputs[" +
                                       std::to_string(o) + "] '" +
                                       pkg_.outputs[o].name + "'");
  return Status::ok();
}

Status ManifestReader::steps(const JValue &steps) {
  Program &p = pkg_.program;
  if (!steps.isArray())
    return typeErr("program.steps", steps, "an array");
  std::map<std::string, int> kernelIndex;
  for (size_t i = 0; i < steps.items().size(); ++i) {
    const JValue &e = steps.items()[i];
    std::string key = "program.steps[" + std::to_string(i) + "]";
    if (!e.isObject())
      return typeErr(key, e, "an object");
    Step s;
    if (Status st = getString(e, key, "kernel", s.kernel))
      return st;
    if (s.kernel.empty())
      return err(key + ".kernel", "empty kernel name");
    if (const JValue *l = e.get("layer"))
      if (l->isString())
        s.layer = l->asString();
    auto it = kernelIndex.find(s.kernel);
    if (it == kernelIndex.end()) {
      it = kernelIndex.emplace(s.kernel, (int)p.kernels.size()).first;
      p.kernels.push_back(s.kernel);
    }
    s.kernelIndex = it->second;

    const JValue *args;
    if (Status st = need(e, key, "args", args))
      return st;
    if (!args->isArray())
      return typeErr(key + ".args", *args, "an array");
    if (args->items().size() > kMaxArgs)
      return err(key + ".args", "more than " + std::to_string(kMaxArgs) +
                                    " arguments");
    for (size_t a = 0; a < args->items().size(); ++a) {
      const JValue &av = args->items()[a];
      std::string akey = key + ".args[" + std::to_string(a) + "]";
      if (!av.isObject() || av.members().size() != 1)
        return err(akey, "expected one of {\"value\": i}, {\"i32\": L}, "
                         "{\"i64\": L}, {\"tensor_map\": M}");
      const std::string &k = av.members()[0].first;
      const JValue &x = av.members()[0].second;
      Arg arg;
      if (k == "value") {
        if (!x.isInt())
          return typeErr(akey + ".value", x, "an integer");
        if (x.asInt() < 0 || (uint64_t)x.asInt() >= p.values.size())
          return err(akey, "value " + std::to_string(x.asInt()) +
                               " out of range (" +
                               std::to_string(p.values.size()) + " values)");
        arg.kind = Arg::Kind::Value;
        arg.value = x.asInt();
      } else if (k == "i32" || k == "i64") {
        arg.kind = k == "i32" ? Arg::Kind::I32 : Arg::Kind::I64;
        if (Status st = linear(x, akey + "." + k, /*allowDiv=*/false, arg.expr))
          return st;
        if (arg.kind == Arg::Kind::I32 && !p.hasBatch) {
          int64_t v;
          if (!evalLinear(arg.expr, 1, v) || v < INT32_MIN || v > INT32_MAX)
            return err(akey, "constant does not fit i32");
        }
      } else if (k == "tensor_map") {
        arg.kind = Arg::Kind::TensorMap;
        if (Status st = tensorMap(x, akey + ".tensor_map", p, arg))
          return st;
        arg.map = p.tensorMaps++;
      } else {
        return err(akey, "unknown argument kind \"" + k +
                             "\" (expected value, i32, i64, tensor_map)");
      }
      s.args.push_back(arg);
    }

    const JValue *grid, *block;
    if (Status st = need(e, key, "grid", grid))
      return st;
    if (!grid->isArray() || grid->items().empty() || grid->items().size() > 3)
      return err(key + ".grid", "expected an array of 1 to 3 expressions");
    for (size_t d = 0; d < 3; ++d) {
      Linear &g = s.grid[d];
      if (d >= grid->items().size()) {
        g.c = 1;
        continue;
      }
      std::string gkey = key + ".grid[" + std::to_string(d) + "]";
      if (Status st = linear(grid->items()[d], gkey, /*allowDiv=*/true, g))
        return st;
      // 0 blocks (a statically empty value: a zero-size slice or pad) is
      // allowed: the step launches nothing, as at an empty batch.
      int64_t at1;
      if (g.b < 0 || g.c < 0 || !evalLinear(g, 1, at1))
        return err(gkey, "grid dimension must not be negative (b, c >= 0)");
    }
    if (Status st = need(e, key, "block", block))
      return st;
    if (!block->isArray() || block->items().empty() ||
        block->items().size() > 3)
      return err(key + ".block", "expected an array of 1 to 3 integers");
    static const int64_t blockMax[3] = {1024, 1024, 64};
    int64_t threads = 1;
    for (size_t d = 0; d < block->items().size(); ++d) {
      const JValue &bv = block->items()[d];
      std::string bkey = key + ".block[" + std::to_string(d) + "]";
      if (!bv.isInt())
        return typeErr(bkey, bv, "an integer");
      if (bv.asInt() < 1 || bv.asInt() > blockMax[d])
        return err(bkey, std::to_string(bv.asInt()) + " is out of range 1.." +
                             std::to_string(blockMax[d]));
      s.block[d] = (unsigned)bv.asInt();
      threads *= bv.asInt();
    }
    if (threads > 1024)
      return err(key + ".block", std::to_string(threads) +
                                     " threads per block (at most 1024)");
    if (const JValue *sh = e.get("shared_bytes")) {
      if (!sh->isInt())
        return typeErr(key + ".shared_bytes", *sh, "an integer");
      if (sh->asInt() < 0 || sh->asInt() > kMaxSharedBytes)
        return err(key + ".shared_bytes",
                   std::to_string(sh->asInt()) + " is out of range 0.." +
                       std::to_string(kMaxSharedBytes));
      s.sharedBytes = (uint64_t)sh->asInt();
    }
    p.steps.push_back(std::move(s));
  }
  return Status::ok();
}

} // namespace

Status qcrt::loadPackage(const std::string &dir, Package &out) {
  out = Package();
  out.dir = dir;
  out.manifestPath = joinPath(dir, "manifest.json");
  struct stat st;
  if (stat(dir.c_str(), &st) != 0)
    return Status(QCRT_ERROR_IO, dir + ": cannot open package directory: " +
                                     std::string(strerror(errno)));
  if (!S_ISDIR(st.st_mode))
    return Status(QCRT_ERROR_IO, dir + ": not a package directory");
  std::string text;
  if (Status s = readFile(out.manifestPath, text, kMaxManifestBytes))
    return s;
  json::Value root;
  json::ParseError perr;
  if (!json::parse(text, root, perr))
    return invalidPackage(out.manifestPath + ": malformed JSON: " + perr.str());
  ManifestReader reader(out);
  return reader.read(root);
}
