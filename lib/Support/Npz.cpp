//===- Npz.cpp - numpy .npy / .npz reader and writer ----------------------===//
//
// See include/quantc/Support/Npz.h for the supported subset and decisions.
//
//===----------------------------------------------------------------------===//

#include "quantc/Support/Npz.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"

#include <zlib.h>

#include <cassert>
#include <cstring>
#include <limits>

using namespace llvm;

namespace quantc::npz {

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

namespace {
struct DTypeInfo {
  DType dtype;
  size_t size;
  const char *name;
  const char *descr;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::F32, 4, "float32", "<f4"},  {DType::F64, 8, "float64", "<f8"},
    {DType::F16, 2, "float16", "<f2"},  {DType::BF16, 2, "bfloat16", "<V2"},
    {DType::I8, 1, "int8", "|i1"},      {DType::U8, 1, "uint8", "|u1"},
    {DType::I16, 2, "int16", "<i2"},    {DType::U16, 2, "uint16", "<u2"},
    {DType::I32, 4, "int32", "<i4"},    {DType::U32, 4, "uint32", "<u4"},
    {DType::I64, 8, "int64", "<i8"},    {DType::U64, 8, "uint64", "<u8"},
    {DType::Bool, 1, "bool", "|b1"},
};

const DTypeInfo &info(DType t) {
  for (const DTypeInfo &i : kDTypes)
    if (i.dtype == t)
      return i;
  llvm_unreachable("unknown DType");
}

Error makeError(const Twine &msg) {
  return createStringError(errc::invalid_argument, msg);
}
} // namespace

size_t dtypeSize(DType t) { return info(t).size; }
StringRef dtypeName(DType t) { return info(t).name; }
StringRef dtypeDescr(DType t) { return info(t).descr; }
std::optional<DType> dtypeFromName(StringRef name) {
  for (const DTypeInfo &i : kDTypes)
    if (name == i.name)
      return i.dtype;
  return std::nullopt;
}

int64_t Array::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Product of `shape` times `itemSize` in bytes, or an error on negative
/// dimensions or overflow (limit: INT64_MAX, and SIZE_MAX on this host).
static Expected<uint64_t> checkedByteSize(ArrayRef<int64_t> shape,
                                          size_t itemSize, StringRef what) {
  const uint64_t limit = std::min<uint64_t>(
      std::numeric_limits<int64_t>::max(), std::numeric_limits<size_t>::max());
  uint64_t n = 1;
  bool zero = false;
  for (int64_t d : shape) {
    if (d < 0)
      return makeError(what + ": negative dimension " + Twine(d) + " in shape");
    if (d == 0)
      zero = true;
  }
  if (zero)
    return 0; // e.g. (0, 2^62, 2^62) is a valid, empty array
  for (int64_t d : shape) {
    if (uint64_t(d) > limit / n)
      return makeError(what + ": shape product overflows");
    n *= uint64_t(d);
  }
  if (n > limit / itemSize)
    return makeError(what + ": array byte size overflows");
  return n * itemSize;
}

Error verifyArray(const Array &a, StringRef what) {
  Expected<uint64_t> bytes = checkedByteSize(a.shape, dtypeSize(a.dtype), what);
  if (!bytes)
    return bytes.takeError();
  if (*bytes != a.data.size())
    return makeError(what + ": data has " + Twine(a.data.size()) +
                     " bytes but shape and dtype " + dtypeName(a.dtype) +
                     " need " + Twine(*bytes));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// .npy header parsing
//===----------------------------------------------------------------------===//

namespace {
/// Parses the Python-literal dict of a .npy header, restricted to what numpy
/// writes: string keys, string / bool / tuple-of-int values.
class HeaderParser {
public:
  HeaderParser(StringRef text, StringRef what) : s(text), what(what) {}

  Error parse(std::string &descr, bool &fortran, std::vector<int64_t> &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipWs();
    if (!consume('{'))
      return err("header is not a dict (expected '{')");
    while (true) {
      skipWs();
      if (consume('}'))
        break;
      std::string key;
      if (Error e = parseString(key))
        return e;
      skipWs();
      if (!consume(':'))
        return err("expected ':' after key '" + key + "'");
      skipWs();
      if (key == "descr") {
        if (haveDescr)
          return err("duplicate key 'descr'");
        haveDescr = true;
        if (peek() == '[')
          return err("structured dtypes (descr is a list) are not supported");
        if (peek() != '\'' && peek() != '"')
          return err("'descr' is not a string");
        if (Error e = parseString(descr))
          return e;
      } else if (key == "fortran_order") {
        if (haveFortran)
          return err("duplicate key 'fortran_order'");
        haveFortran = true;
        if (s.consume_front("True"))
          fortran = true;
        else if (s.consume_front("False"))
          fortran = false;
        else
          return err("'fortran_order' is not True or False");
      } else if (key == "shape") {
        if (haveShape)
          return err("duplicate key 'shape'");
        haveShape = true;
        if (Error e = parseShape(shape))
          return e;
      } else {
        return err("unexpected key '" + key + "' in header");
      }
      skipWs();
      if (consume(','))
        continue;
      skipWs();
      if (consume('}'))
        break;
      return err("expected ',' or '}' in header dict");
    }
    skipWs();
    if (!s.empty())
      return err("trailing characters after header dict");
    if (!haveDescr || !haveFortran || !haveShape)
      return err("header lacks one of 'descr', 'fortran_order', 'shape'");
    return Error::success();
  }

private:
  StringRef s;
  StringRef what;

  Error err(const Twine &msg) { return makeError(what + ": " + msg); }
  char peek() const { return s.empty() ? '\0' : s.front(); }
  bool consume(char c) {
    if (peek() != c)
      return false;
    s = s.drop_front();
    return true;
  }
  void skipWs() { s = s.ltrim(" \t\r\n"); }

  Error parseString(std::string &out) {
    char q = peek();
    if (q != '\'' && q != '"')
      return err("expected a quoted string in header");
    s = s.drop_front();
    size_t end = s.find(q);
    if (end == StringRef::npos)
      return err("unterminated string in header");
    StringRef body = s.take_front(end);
    if (body.contains('\\'))
      return err("escape sequences in header strings are not supported");
    out = body.str();
    s = s.drop_front(end + 1);
    return Error::success();
  }

  Error parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return err("'shape' is not a tuple");
    skipWs();
    if (consume(')'))
      return Error::success();
    while (true) {
      skipWs();
      size_t n = 0;
      while (n < s.size() && s[n] >= '0' && s[n] <= '9')
        ++n;
      if (n == 0) {
        if (peek() == '-')
          return err("negative dimension in 'shape'");
        return err("expected a non-negative integer in 'shape'");
      }
      uint64_t v = 0;
      for (char c : s.take_front(n)) {
        unsigned digit = unsigned(c - '0');
        if (v > (uint64_t(std::numeric_limits<int64_t>::max()) - digit) / 10)
          return err("dimension in 'shape' overflows int64");
        v = v * 10 + digit;
      }
      s = s.drop_front(n);
      consume('L'); // Python 2 long suffix
      shape.push_back(int64_t(v));
      skipWs();
      if (consume(',')) {
        skipWs();
        if (consume(')'))
          return Error::success();
        continue;
      }
      if (consume(')')) {
        if (shape.size() == 1)
          return err("'shape' (n) is not a tuple (missing ',')");
        return Error::success();
      }
      return err("expected ',' or ')' in 'shape'");
    }
  }
};

/// Maps a numpy descr string to a DType.
Expected<DType> parseDescr(StringRef descr, StringRef what) {
  auto fail = [&](const Twine &why) {
    return makeError(what + ": unsupported dtype descr '" + descr + "': " + why);
  };
  // Names such as "float32" or "bfloat16" (numpy accepts any dtype string).
  if (std::optional<DType> t = dtypeFromName(descr))
    return *t;
  StringRef rest = descr;
  char order = '=';
  if (!rest.empty() && StringRef("<>|=").contains(rest.front())) {
    order = rest.front();
    rest = rest.drop_front();
  }
  if (rest.empty())
    return fail("empty type code");
  char kind = rest.front();
  StringRef sizeStr = rest.drop_front();
  unsigned size = 0;
  if (kind == 'O')
    return fail("object arrays are not supported");
  if (kind == 'S' || kind == 'U' || kind == 'a')
    return fail("string arrays are not supported");
  if (kind == 'M' || kind == 'm')
    return fail("datetime/timedelta arrays are not supported");
  if (kind == 'c')
    return fail("complex arrays are not supported");
  if (sizeStr.getAsInteger(10, size))
    return fail("malformed type code");
  DType t;
  if (kind == 'f' && size == 4)
    t = DType::F32;
  else if (kind == 'f' && size == 8)
    t = DType::F64;
  else if (kind == 'f' && size == 2)
    t = DType::F16;
  else if (kind == 'i' && size == 1)
    t = DType::I8;
  else if (kind == 'u' && size == 1)
    t = DType::U8;
  else if (kind == 'i' && size == 2)
    t = DType::I16;
  else if (kind == 'u' && size == 2)
    t = DType::U16;
  else if (kind == 'i' && size == 4)
    t = DType::I32;
  else if (kind == 'u' && size == 4)
    t = DType::U32;
  else if (kind == 'i' && size == 8)
    t = DType::I64;
  else if (kind == 'u' && size == 8)
    t = DType::U64;
  else if (kind == 'b' && size == 1)
    t = DType::Bool;
  else if (kind == 'V' && size == 2)
    t = DType::BF16; // ml_dtypes bfloat16, see Npz.h
  else if (kind == 'V' && size == 1)
    return fail("opaque 1-byte type (e.g. an ml_dtypes float8/float4 format) "
                "is not supported; save 8-bit codes as uint8");
  else if (kind == 'V')
    return fail("opaque void types are not supported");
  else
    return fail("unknown type");
  if (size > 1) {
    if (order == '>')
      return fail("big-endian data is not supported");
    if (order != '<' && !sys::IsLittleEndianHost)
      return fail("native byte order is big-endian on this host");
  }
  return t;
}

/// Reorders Fortran-order element bytes into C order.
std::vector<uint8_t> fortranToC(ArrayRef<uint8_t> src, ArrayRef<int64_t> shape,
                                size_t itemSize) {
  std::vector<uint8_t> dst(src.size());
  size_t rank = shape.size();
  if (rank <= 1 || src.empty()) {
    std::memcpy(dst.data(), src.data(), src.size());
    return dst;
  }
  // Fortran strides (in elements): stride[k] = prod(shape[0..k)).
  std::vector<uint64_t> fstride(rank);
  uint64_t st = 1;
  for (size_t k = 0; k < rank; ++k) {
    fstride[k] = st;
    st *= uint64_t(shape[k]);
  }
  std::vector<int64_t> idx(rank, 0);
  uint64_t foff = 0;
  size_t n = src.size() / itemSize;
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(dst.data() + i * itemSize, src.data() + foff * itemSize,
                itemSize);
    // Advance the C-order (last dim fastest) odometer.
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < shape[k]) {
        foff += fstride[k];
        break;
      }
      foff -= fstride[k] * uint64_t(shape[k] - 1);
      idx[k] = 0;
    }
  }
  return dst;
}

uint16_t rd16(const uint8_t *p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t *p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) |
         (uint32_t(p[3]) << 24);
}
uint64_t rd64(const uint8_t *p) {
  return uint64_t(rd32(p)) | (uint64_t(rd32(p + 4)) << 32);
}
} // namespace

Expected<Array> parseNpy(StringRef bytes, StringRef nameForErrors) {
  StringRef what = nameForErrors;
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 8 || !bytes.starts_with(StringRef(kMagic, 6)))
    return makeError(what + ": not a .npy file (bad magic)");
  const uint8_t *p = reinterpret_cast<const uint8_t *>(bytes.data());
  unsigned major = p[6], minor = p[7];
  uint64_t headerLen, headerStart;
  if (major == 1) {
    if (bytes.size() < 10)
      return makeError(what + ": truncated .npy header length");
    headerLen = rd16(p + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return makeError(what + ": truncated .npy header length");
    headerLen = rd32(p + 8);
    headerStart = 12;
  } else {
    return makeError(what + ": unsupported .npy format version " +
                     Twine(major) + "." + Twine(minor));
  }
  if (minor != 0)
    return makeError(what + ": unsupported .npy format version " +
                     Twine(major) + "." + Twine(minor));
  if (headerLen > bytes.size() - headerStart)
    return makeError(what + ": .npy header length " + Twine(headerLen) +
                     " exceeds the file size " + Twine(bytes.size()));
  StringRef header = bytes.substr(headerStart, headerLen);
  std::string descr;
  bool fortran = false;
  Array a;
  if (Error e = HeaderParser(header, what).parse(descr, fortran, a.shape))
    return std::move(e);
  Expected<DType> t = parseDescr(descr, what);
  if (!t)
    return t.takeError();
  a.dtype = *t;
  size_t itemSize = dtypeSize(a.dtype);
  Expected<uint64_t> need = checkedByteSize(a.shape, itemSize, what);
  if (!need)
    return need.takeError();
  uint64_t have = bytes.size() - headerStart - headerLen;
  if (have != *need)
    return makeError(what + ": data has " + Twine(have) + " bytes but shape " +
                     "and dtype " + dtypeName(a.dtype) + " need " +
                     Twine(*need));
  ArrayRef<uint8_t> data(p + headerStart + headerLen, size_t(*need));
  if (fortran)
    a.data = fortranToC(data, a.shape, itemSize);
  else
    a.data.assign(data.begin(), data.end());
  return std::move(a);
}

std::string serializeNpy(const Array &a) {
  assert(!errorToBool(verifyArray(a)) && "serializeNpy: invalid Array");
  std::string dict;
  raw_string_ostream os(dict);
  os << "{'descr': '" << dtypeDescr(a.dtype)
     << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i)
    os << (i ? ", " : "") << a.shape[i];
  if (a.shape.size() == 1)
    os << ',';
  os << "), }";
  // numpy: total of magic + version + length + header is a multiple of 64,
  // header padded with spaces and terminated by '\n'.
  auto build = [&](unsigned major, size_t lenBytes) {
    size_t prefix = 6 + 2 + lenBytes;
    size_t total = prefix + dict.size() + 1;
    size_t padded = (total + 63) / 64 * 64;
    size_t headerLen = padded - prefix;
    std::string out;
    out.reserve(padded + a.data.size());
    out.append("\x93NUMPY", 6);
    out.push_back(char(major));
    out.push_back(0);
    for (size_t i = 0; i < lenBytes; ++i)
      out.push_back(char((headerLen >> (8 * i)) & 0xff));
    out.append(dict);
    out.append(headerLen - dict.size() - 1, ' ');
    out.push_back('\n');
    return out;
  };
  std::string out = build(1, 2);
  if (out.size() - 10 > 65535)
    out = build(2, 4);
  out.append(reinterpret_cast<const char *>(a.data.data()), a.data.size());
  return out;
}

//===----------------------------------------------------------------------===//
// ZIP reading
//===----------------------------------------------------------------------===//

namespace {
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;

Expected<std::unique_ptr<MemoryBuffer>> openFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buf)
    return createStringError(buf.getError(), "%s: cannot read: %s",
                             path.str().c_str(),
                             buf.getError().message().c_str());
  return std::move(*buf);
}

/// Inflates raw deflate data into exactly `outSize` bytes. The output grows
/// as data is produced, so a lying size field cannot force a huge allocation.
Error inflateRaw(StringRef in, uint64_t outSize, std::vector<uint8_t> &out,
                 const Twine &what) {
  // Deflate cannot expand more than ~1032:1.
  if (outSize / 1032 > in.size() + 1)
    return makeError(what + ": uncompressed size " + Twine(outSize) +
                     " is impossible for " + Twine(in.size()) +
                     " compressed bytes");
  if (outSize > std::numeric_limits<size_t>::max() / 2)
    return makeError(what + ": entry too large for this host");
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return makeError(what + ": zlib inflateInit failed");
  auto done = [&](Error e) {
    inflateEnd(&zs);
    return e;
  };
  out.clear();
  out.resize(size_t(std::min<uint64_t>(outSize, 1 << 20)));
  const uint8_t *inp = reinterpret_cast<const uint8_t *>(in.data());
  const uint64_t kChunk = 1u << 30; // stays within uInt
  uint64_t inPos = 0, outPos = 0;
  while (true) {
    if (outPos == out.size() && out.size() < outSize)
      out.resize(size_t(std::min<uint64_t>(
          outSize, std::max<uint64_t>(1, uint64_t(out.size()) * 2))));
    // Once the declared size is reached, one spare byte of room detects data
    // that is longer than declared.
    uint8_t spare;
    bool useSpare = outPos == out.size();
    zs.next_in = const_cast<Bytef *>(inp + inPos);
    zs.avail_in = uInt(std::min<uint64_t>(in.size() - inPos, kChunk));
    zs.next_out = useSpare ? &spare : out.data() + outPos;
    zs.avail_out =
        useSpare ? 1 : uInt(std::min<uint64_t>(out.size() - outPos, kChunk));
    uInt availIn0 = zs.avail_in, availOut0 = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    inPos += availIn0 - zs.avail_in;
    uint64_t produced = availOut0 - zs.avail_out;
    if (useSpare && produced)
      return done(makeError(what + ": deflate data is longer than the "
                                   "declared size " + Twine(outSize)));
    if (!useSpare)
      outPos += produced;
    if (rc == Z_STREAM_END)
      break;
    if (rc == Z_BUF_ERROR) // no progress possible: input exhausted
      return done(makeError(what + ": truncated deflate data"));
    if (rc != Z_OK) {
      std::string msg = zs.msg ? zs.msg : "zlib error " + std::to_string(rc);
      return done(makeError(what + ": corrupt deflate data: " + msg));
    }
  }
  inflateEnd(&zs);
  if (outPos != outSize)
    return makeError(what + ": deflate data has " + Twine(outPos) +
                     " bytes, the directory says " + Twine(outSize));
  return Error::success();
}

uint32_t crc32Of(const uint8_t *data, uint64_t n, uint32_t crc = 0) {
  uLong c = crc;
  while (n) {
    uInt chunk = uInt(std::min<uint64_t>(n, 1u << 30));
    c = ::crc32(c, data, chunk);
    data += chunk;
    n -= chunk;
  }
  return uint32_t(c);
}
} // namespace

Expected<std::vector<Array>> readNpz(StringRef path) {
  auto bufOr = openFile(path);
  if (!bufOr)
    return bufOr.takeError();
  return parseNpz((*bufOr)->getBuffer(), path);
}

Expected<std::vector<Array>> parseNpz(StringRef bytes, StringRef path) {
  const uint8_t *base = reinterpret_cast<const uint8_t *>(bytes.data());
  const uint64_t size = bytes.size();
  auto fail = [&](const Twine &msg) -> Error {
    return makeError(path + ": " + msg);
  };
  // Is [off, off+len) inside the file?
  auto inFile = [&](uint64_t off, uint64_t len) {
    return off <= size && len <= size - off;
  };

  // --- End of central directory: the last signature whose comment fits.
  if (size < 22)
    return fail("not a zip archive (too short for an end-of-central-directory "
                "record)");
  uint64_t eocd = UINT64_MAX;
  uint64_t lowest = size - 22 > 65535 ? size - 22 - 65535 : 0;
  for (uint64_t off = size - 22 + 1; off-- > lowest;) {
    if (rd32(base + off) == kEocdSig &&
        uint64_t(rd16(base + off + 20)) <= size - off - 22) {
      eocd = off;
      break;
    }
  }
  if (eocd == UINT64_MAX)
    return fail("not a zip archive (no end-of-central-directory record)");
  const uint8_t *e = base + eocd;
  uint64_t diskNo = rd16(e + 4), cdDisk = rd16(e + 6);
  uint64_t count = rd16(e + 10), cdSize = rd32(e + 12), cdOff = rd32(e + 16);
  uint64_t countThisDisk = rd16(e + 8);

  // --- ZIP64 locator immediately before the EOCD.
  if (eocd >= 20 && rd32(base + eocd - 20) == kZip64LocatorSig) {
    const uint8_t *l = base + eocd - 20;
    uint64_t recOff = rd64(l + 8);
    if (rd32(l + 16) > 1)
      return fail("multi-disk zip archives are not supported");
    if (!inFile(recOff, 56) || rd32(base + recOff) != kZip64EocdSig)
      return fail("corrupt zip64 end-of-central-directory locator (record "
                  "offset " + Twine(recOff) + ")");
    const uint8_t *r = base + recOff;
    diskNo = rd32(r + 16);
    cdDisk = rd32(r + 20);
    countThisDisk = rd64(r + 24);
    count = rd64(r + 32);
    cdSize = rd64(r + 40);
    cdOff = rd64(r + 48);
  } else if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF) {
    // Fields saturated but no zip64 locator: only an error if they are used;
    // be strict, the archive cannot be interpreted reliably.
    if (cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF)
      return fail("zip64 end-of-central-directory locator is missing");
  }
  if (diskNo != 0 || cdDisk != 0 || countThisDisk != count)
    return fail("multi-disk zip archives are not supported");
  if (!inFile(cdOff, cdSize))
    return fail("central directory (offset " + Twine(cdOff) + ", size " +
                Twine(cdSize) + ") lies outside the file of " + Twine(size) +
                " bytes");
  if (count > cdSize / 46)
    return fail("central directory claims " + Twine(count) +
                " entries, more than fit in " + Twine(cdSize) + " bytes");

  std::vector<Array> arrays;
  StringSet<> seen;
  uint64_t pos = cdOff;
  const uint64_t cdEnd = cdOff + cdSize;
  for (uint64_t i = 0; i < count; ++i) {
    if (cdEnd - pos < 46 || rd32(base + pos) != kCentralSig)
      return fail("corrupt central directory entry #" + Twine(i));
    const uint8_t *c = base + pos;
    uint16_t flags = rd16(c + 8), method = rd16(c + 10);
    uint32_t crc = rd32(c + 16);
    uint64_t csize = rd32(c + 20), usize = rd32(c + 24);
    uint16_t nameLen = rd16(c + 28), extraLen = rd16(c + 30),
             commentLen = rd16(c + 32);
    uint64_t disk = rd16(c + 34);
    uint64_t localOff = rd32(c + 42);
    uint64_t varLen = uint64_t(nameLen) + extraLen + commentLen;
    if (cdEnd - pos - 46 < varLen)
      return fail("central directory entry #" + Twine(i) +
                  " overruns the directory");
    std::string entryName(reinterpret_cast<const char *>(c + 46), nameLen);
    std::string what = (path + ": entry '" + entryName + "'").str();
    auto efail = [&](const Twine &msg) -> Error {
      return makeError(what + ": " + msg);
    };
    // ZIP64 extended information extra field.
    const uint8_t *x = c + 46 + nameLen, *xEnd = x + extraLen;
    while (xEnd - x >= 4) {
      uint16_t id = rd16(x), len = rd16(x + 2);
      if (uint64_t(xEnd - x - 4) < len)
        return efail("extra field overruns its entry");
      if (id == 0x0001) {
        const uint8_t *z = x + 4, *zEnd = z + len;
        auto take = [&](uint64_t &field, uint64_t sat, unsigned bytes) {
          if (field != sat)
            return true;
          if (zEnd - z < bytes)
            return false;
          field = bytes == 8 ? rd64(z) : rd32(z);
          z += bytes;
          return true;
        };
        if (!take(usize, 0xFFFFFFFF, 8) || !take(csize, 0xFFFFFFFF, 8) ||
            !take(localOff, 0xFFFFFFFF, 8) || !take(disk, 0xFFFF, 4))
          return efail("zip64 extra field is too short");
      }
      x += 4 + len;
    }
    pos += 46 + varLen;

    if (disk != 0)
      return efail("multi-disk zip archives are not supported");
    if (!entryName.empty() && entryName.back() == '/' && usize == 0)
      continue; // directory entry
    if (flags & 0x1)
      return efail("encrypted entries are not supported");
    StringRef key(entryName);
    if (!key.consume_back(".npy"))
      return efail("not a .npy entry (name must end in '.npy')");
    if (!seen.insert(key).second)
      return efail("duplicate entry name");
    // Local header: only its variable lengths are needed.
    if (!inFile(localOff, 30) || rd32(base + localOff) != kLocalSig)
      return efail("bad local header at offset " + Twine(localOff));
    uint64_t dataOff =
        localOff + 30 + rd16(base + localOff + 26) + rd16(base + localOff + 28);
    if (!inFile(dataOff, csize))
      return efail("data (offset " + Twine(dataOff) + ", " + Twine(csize) +
                   " bytes) lies outside the file of " + Twine(size) +
                   " bytes");
    StringRef raw(reinterpret_cast<const char *>(base + dataOff), csize);
    std::vector<uint8_t> inflated;
    StringRef npy;
    if (method == 0) {
      if (csize != usize)
        return efail("stored entry with compressed size " + Twine(csize) +
                     " != uncompressed size " + Twine(usize));
      npy = raw;
    } else if (method == 8) {
      if (Error err = inflateRaw(raw, usize, inflated, what))
        return std::move(err);
      npy = StringRef(reinterpret_cast<const char *>(inflated.data()),
                      inflated.size());
    } else {
      return efail("unsupported compression method " + Twine(method) +
                   " (only stored and deflate)");
    }
    uint32_t actual =
        crc32Of(reinterpret_cast<const uint8_t *>(npy.data()), npy.size());
    if (actual != crc)
      return efail("CRC-32 mismatch (stored " + utohexstr(crc) +
                   ", computed " + utohexstr(actual) + ")");
    Expected<Array> a = parseNpy(npy, what);
    if (!a)
      return a.takeError();
    a->name = key.str();
    arrays.push_back(std::move(*a));
  }
  return std::move(arrays);
}

Expected<Array> readNpy(StringRef path) {
  auto bufOr = openFile(path);
  if (!bufOr)
    return bufOr.takeError();
  Expected<Array> a = parseNpy((*bufOr)->getBuffer(), path);
  if (!a)
    return a.takeError();
  StringRef stem = sys::path::filename(path);
  stem.consume_back(".npy");
  a->name = stem.str();
  return a;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {
/// Writes `path` atomically: `fill` writes into a temp file in the same
/// directory, which is renamed over `path` only if everything succeeded.
Error writeAtomically(StringRef path,
                      function_ref<Error(raw_fd_ostream &)> fill) {
  SmallString<256> model(path);
  model += ".tmp-%%%%%%%%";
  int fd = -1;
  SmallString<256> tmp;
  if (std::error_code ec = sys::fs::createUniqueFile(model, fd, tmp))
    return createStringError(ec, "%s: cannot create temporary file: %s",
                             path.str().c_str(), ec.message().c_str());
  raw_fd_ostream os(fd, /*shouldClose=*/true);
  Error result = fill(os);
  os.close();
  if (!result && os.has_error()) {
    std::error_code ec = os.error();
    result = createStringError(ec, "%s: write failed: %s", path.str().c_str(),
                               ec.message().c_str());
  }
  os.clear_error(); // reported through `result`
  if (!result) {
    if (std::error_code ec = sys::fs::rename(tmp, path))
      result = createStringError(ec, "%s: cannot rename temporary file: %s",
                                 path.str().c_str(), ec.message().c_str());
  }
  if (result)
    sys::fs::remove(tmp);
  return result;
}

void put16(std::string &s, uint16_t v) {
  s.push_back(char(v & 0xff));
  s.push_back(char(v >> 8));
}
void put32(std::string &s, uint32_t v) {
  put16(s, uint16_t(v & 0xffff));
  put16(s, uint16_t(v >> 16));
}
void put64(std::string &s, uint64_t v) {
  put32(s, uint32_t(v & 0xffffffff));
  put32(s, uint32_t(v >> 32));
}

Error deflateRaw(StringRef in, std::string &out, StringRef what) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return makeError(what + ": zlib deflateInit failed");
  out.clear();
  const uint64_t kChunk = 1u << 30;
  uint64_t inPos = 0;
  int rc;
  do {
    uint64_t inLeft = in.size() - inPos;
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data())) + inPos;
    zs.avail_in = uInt(std::min(inLeft, kChunk));
    int flush = inLeft <= kChunk ? Z_FINISH : Z_NO_FLUSH;
    size_t outPos = out.size();
    size_t room = std::max<size_t>(1 << 16, zs.avail_in / 2);
    out.resize(outPos + room);
    zs.next_out = reinterpret_cast<Bytef *>(&out[outPos]);
    zs.avail_out = uInt(room);
    uInt in0 = zs.avail_in;
    rc = deflate(&zs, flush);
    inPos += in0 - zs.avail_in;
    out.resize(outPos + room - zs.avail_out);
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&zs);
      return makeError(what + ": zlib deflate failed");
    }
  } while (rc != Z_STREAM_END);
  deflateEnd(&zs);
  return Error::success();
}
} // namespace

Error writeNpz(StringRef path, ArrayRef<Array> arrays) {
  return writeNpz(path, arrays, NpzWriteOptions());
}

Error writeNpz(StringRef path, ArrayRef<Array> arrays,
               const NpzWriteOptions &options) {
  StringSet<> names;
  for (const Array &a : arrays) {
    std::string what = (path + ": array '" + a.name + "'").str();
    if (a.name.empty())
      return makeError(path + ": array with an empty name");
    if (a.name.size() > 65535 - 4)
      return makeError(what + ": name is too long");
    if (!names.insert(a.name).second)
      return makeError(what + ": duplicate name");
    if (Error e = verifyArray(a, what))
      return e;
  }
  return writeAtomically(path, [&](raw_fd_ostream &os) -> Error {
    const uint16_t kDosTime = 0, kDosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01
    std::string central;
    uint64_t offset = 0;
    for (const Array &a : arrays) {
      std::string name = a.name + ".npy";
      bool utf8 = llvm::any_of(name, [](char ch) { return ch & 0x80; });
      std::string npy = serializeNpy(a);
      uint32_t crc = crc32Of(reinterpret_cast<const uint8_t *>(npy.data()),
                             npy.size());
      std::string compressed;
      if (options.compress)
        if (Error e = deflateRaw(npy, compressed,
                                 (path + ": array '" + a.name + "'").str()))
          return e;
      StringRef payload = options.compress ? StringRef(compressed) : npy;
      uint64_t usize = npy.size(), csize = payload.size();
      bool sizes64 = options.forceZip64 || usize >= 0xFFFFFFFF ||
                     csize >= 0xFFFFFFFF;
      bool off64 = options.forceZip64 || offset >= 0xFFFFFFFF;
      uint16_t version = (sizes64 || off64) ? 45 : 20;
      uint16_t flags = utf8 ? 0x800 : 0;
      uint16_t method = options.compress ? 8 : 0;

      std::string local;
      put32(local, kLocalSig);
      put16(local, version);
      put16(local, flags);
      put16(local, method);
      put16(local, kDosTime);
      put16(local, kDosDate);
      put32(local, crc);
      put32(local, sizes64 ? 0xFFFFFFFF : uint32_t(csize));
      put32(local, sizes64 ? 0xFFFFFFFF : uint32_t(usize));
      put16(local, uint16_t(name.size()));
      put16(local, sizes64 ? 20 : 0);
      local += name;
      if (sizes64) {
        put16(local, 0x0001);
        put16(local, 16);
        put64(local, usize);
        put64(local, csize);
      }
      os << local << payload;

      std::string extra;
      if (sizes64) {
        put64(extra, usize);
        put64(extra, csize);
      }
      if (off64)
        put64(extra, offset);
      put32(central, kCentralSig);
      put16(central, (3 << 8) | version); // made by: Unix
      put16(central, version);
      put16(central, flags);
      put16(central, method);
      put16(central, kDosTime);
      put16(central, kDosDate);
      put32(central, crc);
      put32(central, sizes64 ? 0xFFFFFFFF : uint32_t(csize));
      put32(central, sizes64 ? 0xFFFFFFFF : uint32_t(usize));
      put16(central, uint16_t(name.size()));
      put16(central, uint16_t(extra.empty() ? 0 : extra.size() + 4));
      put16(central, 0);                 // comment length
      put16(central, 0);                 // disk number start
      put16(central, 0);                 // internal attributes
      put32(central, 0100644u << 16);    // external attributes: -rw-r--r--
      put32(central, off64 ? 0xFFFFFFFF : uint32_t(offset));
      central += name;
      if (!extra.empty()) {
        put16(central, 0x0001);
        put16(central, uint16_t(extra.size()));
        central += extra;
      }
      offset += local.size() + payload.size();
    }
    uint64_t cdOff = offset, cdSize = central.size(), count = arrays.size();
    bool eocd64 = options.forceZip64 || count >= 0xFFFF ||
                  cdSize >= 0xFFFFFFFF || cdOff >= 0xFFFFFFFF;
    std::string tail;
    if (eocd64) {
      uint64_t recOff = cdOff + cdSize;
      put32(tail, kZip64EocdSig);
      put64(tail, 44); // size of the remaining record
      put16(tail, (3 << 8) | 45);
      put16(tail, 45);
      put32(tail, 0); // this disk
      put32(tail, 0); // disk with the central directory
      put64(tail, count);
      put64(tail, count);
      put64(tail, cdSize);
      put64(tail, cdOff);
      put32(tail, kZip64LocatorSig);
      put32(tail, 0);
      put64(tail, recOff);
      put32(tail, 1); // total disks
    }
    put32(tail, kEocdSig);
    put16(tail, 0);
    put16(tail, 0);
    put16(tail, eocd64 ? 0xFFFF : uint16_t(count));
    put16(tail, eocd64 ? 0xFFFF : uint16_t(count));
    put32(tail, eocd64 ? 0xFFFFFFFF : uint32_t(cdSize));
    put32(tail, eocd64 ? 0xFFFFFFFF : uint32_t(cdOff));
    put16(tail, 0); // comment length
    os << central << tail;
    return Error::success();
  });
}

Error writeNpy(StringRef path, const Array &a) {
  if (Error e = verifyArray(a, path))
    return e;
  return writeAtomically(path, [&](raw_fd_ostream &os) -> Error {
    os << serializeNpy(a);
    return Error::success();
  });
}

} // namespace quantc::npz
