//===- NpzTest.cpp - tests for quantc/Support/Npz.h ------------------------===//

#include "quantc/Support/Npz.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cstring>
#include <random>

using namespace quantc::npz;
using namespace llvm;

#ifndef QUANTC_NPZ_FIXTURES_DIR
#error "QUANTC_NPZ_FIXTURES_DIR must be defined"
#endif

namespace {

const DType kAllDTypes[] = {DType::F32, DType::F64, DType::F16, DType::BF16,
                            DType::I8,  DType::U8,  DType::I16, DType::U16,
                            DType::I32, DType::U32, DType::I64, DType::U64,
                            DType::Bool};

std::string fixture(StringRef name) {
  SmallString<256> p(QUANTC_NPZ_FIXTURES_DIR);
  sys::path::append(p, name);
  return std::string(p);
}

/// An array with a deterministic byte pattern (bools get 0/1).
Array makeArray(std::string name, DType t, std::vector<int64_t> shape,
                unsigned seed = 1) {
  Array a;
  a.name = std::move(name);
  a.dtype = t;
  a.shape = std::move(shape);
  a.data.resize(size_t(a.numElements()) * dtypeSize(t));
  for (size_t i = 0; i < a.data.size(); ++i)
    a.data[i] = t == DType::Bool ? uint8_t((i + seed) % 2)
                                 : uint8_t(i * 37 + seed * 11 + 5);
  return a;
}

void expectSame(const Array &a, const Array &b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dtype, b.dtype) << dtypeName(a.dtype).str() << " vs "
                              << dtypeName(b.dtype).str();
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.data, b.data);
}

template <typename T> std::vector<T> values(const Array &a) {
  EXPECT_EQ(a.data.size() % sizeof(T), 0u);
  std::vector<T> v(a.data.size() / sizeof(T));
  if (!v.empty())
    std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

std::string errorText(Error e) { return toString(std::move(e)); }

class NpzFileTest : public ::testing::Test {
protected:
  SmallString<256> dir;
  void SetUp() override {
    ASSERT_FALSE(sys::fs::createUniqueDirectory("quantc-npz-test", dir));
  }
  void TearDown() override { sys::fs::remove_directories(dir); }

  std::string path(StringRef name) {
    SmallString<256> p(dir);
    sys::path::append(p, name);
    return std::string(p);
  }
  void writeBytes(StringRef p, StringRef bytes) {
    std::error_code ec;
    raw_fd_ostream os(p, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }
  std::string readBytes(StringRef p) {
    auto buf = MemoryBuffer::getFile(p, false, false);
    EXPECT_TRUE(bool(buf));
    return buf ? (*buf)->getBuffer().str() : std::string();
  }
  std::vector<std::string> listDir() {
    std::vector<std::string> names;
    std::error_code ec;
    for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(sys::path::filename(it->path()).str());
    return names;
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// DTypes and .npy
//===----------------------------------------------------------------------===//

TEST(Npz, DTypeBasics) {
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::U64), 8u);
  EXPECT_EQ(dtypeSize(DType::Bool), 1u);
  EXPECT_EQ(dtypeName(DType::F32), "float32");
  EXPECT_EQ(dtypeName(DType::I64), "int64");
  EXPECT_EQ(dtypeName(DType::Bool), "bool");
  EXPECT_EQ(dtypeName(DType::BF16), "bfloat16");
  EXPECT_EQ(dtypeDescr(DType::F16), "<f2");
  EXPECT_EQ(dtypeDescr(DType::U8), "|u1");
  for (DType t : kAllDTypes)
    EXPECT_EQ(dtypeFromName(dtypeName(t)), t);
  EXPECT_FALSE(dtypeFromName("complex64"));
  Array scalar = makeArray("s", DType::F32, {});
  EXPECT_EQ(scalar.numElements(), 1);
  EXPECT_EQ(makeArray("e", DType::F32, {0, 5}).numElements(), 0);
}

TEST(Npz, NpyRoundTripEveryDType) {
  for (DType t : kAllDTypes) {
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{2, 3}, std::vector<int64_t>{},
          std::vector<int64_t>{0}, std::vector<int64_t>{7},
          std::vector<int64_t>{1, 0, 4}}) {
      Array a = makeArray("", t, shape);
      std::string bytes = serializeNpy(a);
      ASSERT_GE(bytes.size(), 10u);
      EXPECT_EQ(StringRef(bytes).substr(0, 8), StringRef("\x93NUMPY\x01\x00", 8));
      size_t headerEnd = 10 + uint8_t(bytes[8]) + 256 * uint8_t(bytes[9]);
      EXPECT_EQ(headerEnd % 64, 0u);
      EXPECT_EQ(bytes[headerEnd - 1], '\n');
      Expected<Array> b = parseNpy(bytes, "mem");
      ASSERT_TRUE(bool(b)) << errorText(b.takeError());
      expectSame(a, *b);
    }
  }
}

TEST(Npz, NpyHeaderTextMatchesNumpy) {
  Array a = makeArray("", DType::F32, {3});
  std::string bytes = serializeNpy(a);
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (3,), }"),
            std::string::npos);
  EXPECT_NE(serializeNpy(makeArray("", DType::I8, {})).find("'shape': ()"),
            std::string::npos);
  EXPECT_NE(serializeNpy(makeArray("", DType::U16, {2, 0}))
                .find("'shape': (2, 0)"),
            std::string::npos);
}

TEST(Npz, NpyVersion2ForHugeHeader) {
  // ~25000 dimensions of 1 push the header past 65535 bytes.
  Array a = makeArray("", DType::I16, std::vector<int64_t>(25000, 1));
  std::string bytes = serializeNpy(a);
  ASSERT_EQ(bytes[6], 2);
  ASSERT_EQ(bytes[7], 0);
  Expected<Array> b = parseNpy(bytes, "mem");
  ASSERT_TRUE(bool(b)) << errorText(b.takeError());
  expectSame(a, *b);
}

TEST(Npz, ParseAcceptsNativeAndPipeDescrs) {
  auto make = [](StringRef dict, StringRef data) {
    std::string h = dict.str();
    h.append(64 - (10 + h.size() + 1) % 64, ' ');
    h.push_back('\n');
    std::string out("\x93NUMPY\x01\x00", 8);
    out.push_back(char(h.size() & 0xff));
    out.push_back(char(h.size() >> 8));
    return out + h + data.str();
  };
  struct Case {
    const char *descr;
    DType t;
  } cases[] = {{"<f4", DType::F32}, {"=f4", DType::F32}, {"f4", DType::F32},
               {"|i1", DType::I8},  {"<i1", DType::I8},  {">u1", DType::U8},
               {"|b1", DType::Bool}, {"|V2", DType::BF16},
               {"bfloat16", DType::BF16}, {"float32", DType::F32},
               {"<u8", DType::U64}};
  for (const Case &c : cases) {
    std::string dict = std::string("{\"descr\": \"") + c.descr +
                       "\", \"fortran_order\": False, \"shape\": (8L,)}";
    std::string data(8 * dtypeSize(c.t), '\x01');
    Expected<Array> a = parseNpy(make(dict, data), c.descr);
    ASSERT_TRUE(bool(a)) << errorText(a.takeError());
    EXPECT_EQ(a->dtype, c.t) << c.descr;
    EXPECT_EQ(a->shape, std::vector<int64_t>{8});
  }
}

TEST(Npz, ParseRejectsBadInput) {
  Array good = makeArray("", DType::F32, {2, 3});
  std::string ok = serializeNpy(good);
  auto expectError = [](StringRef bytes, StringRef needle) {
    Expected<Array> a = parseNpy(bytes, "thing.npy");
    ASSERT_FALSE(bool(a)) << "expected an error containing: " << needle.str();
    std::string msg = errorText(a.takeError());
    EXPECT_NE(msg.find("thing.npy"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  auto replace = [&](StringRef from, StringRef to) {
    std::string s = ok;
    size_t pos = s.find(from.str());
    EXPECT_NE(pos, std::string::npos);
    s.replace(pos, from.size(), to.str());
    // Keep the header length: absorb the difference in the space padding.
    size_t nl = s.find('\n');
    if (to.size() > from.size())
      s.erase(nl - (to.size() - from.size()), to.size() - from.size());
    else
      s.insert(nl, from.size() - to.size(), ' ');
    EXPECT_EQ(s.size(), ok.size());
    return s;
  };
  expectError("", "bad magic");
  expectError("\x93NUMPX\x01\x00", "bad magic");
  expectError(StringRef("\x93NUMPY\x01", 7), "bad magic");
  expectError(StringRef("\x93NUMPY\x01\x00\x05", 9), "truncated");
  expectError(StringRef("\x93NUMPY\x04\x00\x00\x00", 10), "version 4.0");
  expectError(StringRef("\x93NUMPY\x01\x00\xff\x00{}", 12), "exceeds the file");
  expectError(StringRef("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14),
              "exceeds the file");
  expectError(ok + "x", "data has 25 bytes");
  expectError(ok.substr(0, ok.size() - 1), "data has 23 bytes");
  expectError(replace("(2, 3)", "(2, 4)"), "need 32");
  expectError(replace("(2, 3)", "(4294967296, 4294967296, 4294967296)"),
              "overflows");
  expectError(replace("(2, 3)", "(99999999999999999999,)"), "overflows int64");
  expectError(replace("(2, 3)", "(-2, 3)"), "negative");
  expectError(replace("(2, 3)", "[2, 3]"), "not a tuple");
  expectError(replace("(2, 3)", "(6)"), "missing ','");
  expectError(replace("'<f4'", "'>f4'"), "big-endian");
  expectError(replace("'<f4'", "'|O'"), "object");
  expectError(replace("'<f4'", "'<c8'"), "complex");
  expectError(replace("'<f4'", "'|V1'"), "uint8");
  expectError(replace("'<f4'", "'<U1'"), "string");
  expectError(replace("'<f4'", "'<f16'"), "unknown type");
  expectError(replace("'<f4'", "[('a', '<f4')]"), "structured");
  expectError(replace("'fortran_order'", "'fortran_ordex'"), "unexpected key");
  expectError(replace("'descr': '<f4', ", ""), "lacks");
  expectError(replace("False", "Maybe"), "fortran_order");
  expectError(replace("{", "["), "not a dict");
}

TEST(Npz, FortranOrderIsTransposed) {
  // numpy: np.arange(6, dtype='<i4').reshape(2,3).T  -> shape (3,2),
  // memory (Fortran) order 0 1 2 3 4 5; C order 0 3 1 4 2 5.
  std::string h = "{'descr': '<i4', 'fortran_order': True, 'shape': (3, 2), }";
  h.append(64 - (10 + h.size() + 1) % 64, ' ');
  h.push_back('\n');
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(char(h.size()));
  bytes.push_back(0);
  bytes += h;
  for (int32_t v = 0; v < 6; ++v)
    bytes.append(reinterpret_cast<const char *>(&v), 4);
  Expected<Array> a = parseNpy(bytes, "mem");
  ASSERT_TRUE(bool(a)) << errorText(a.takeError());
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values<int32_t>(*a), (std::vector<int32_t>{0, 3, 1, 4, 2, 5}));
}

//===----------------------------------------------------------------------===//
// .npz round trips
//===----------------------------------------------------------------------===//

TEST_F(NpzFileTest, NpzRoundTripEveryDType) {
  std::vector<Array> arrays;
  unsigned seed = 0;
  for (DType t : kAllDTypes)
    arrays.push_back(makeArray("t_" + dtypeName(t).str(), t, {3, 5}, ++seed));
  arrays.push_back(makeArray("scalar", DType::F64, {}));
  arrays.push_back(makeArray("empty", DType::I32, {0, 4}));
  arrays.push_back(makeArray("nested/name", DType::U8, {2}));
  arrays.push_back(makeArray("z_first_alphabetically_last", DType::U8, {1}));
  arrays.push_back(makeArray("a_last_alphabetically_first", DType::U8, {1}));

  NpzWriteOptions opts[4];
  opts[1].compress = true;
  opts[2].forceZip64 = true;
  opts[3].compress = opts[3].forceZip64 = true;
  for (const NpzWriteOptions &o : opts) {
    std::string p = path("rt.npz");
    ASSERT_FALSE(bool(writeNpz(p, arrays, o)));
    Expected<std::vector<Array>> back = readNpz(p);
    ASSERT_TRUE(bool(back)) << errorText(back.takeError());
    ASSERT_EQ(back->size(), arrays.size());
    for (size_t i = 0; i < arrays.size(); ++i)
      expectSame(arrays[i], (*back)[i]);
    EXPECT_EQ(listDir(), std::vector<std::string>{"rt.npz"}); // no temp left
  }
  // The default overload writes stored entries.
  ASSERT_FALSE(bool(writeNpz(path("plain.npz"), arrays)));
  Expected<std::vector<Array>> back = readNpz(path("plain.npz"));
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_EQ(back->size(), arrays.size());
}

TEST_F(NpzFileTest, EmptyArchive) {
  ASSERT_FALSE(bool(writeNpz(path("none.npz"), {})));
  Expected<std::vector<Array>> back = readNpz(path("none.npz"));
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_TRUE(back->empty());
}

TEST_F(NpzFileTest, NpyFileRoundTrip) {
  Array a = makeArray("weights", DType::BF16, {4, 2});
  ASSERT_FALSE(bool(writeNpy(path("weights.npy"), a)));
  Expected<Array> b = readNpy(path("weights.npy"));
  ASSERT_TRUE(bool(b)) << errorText(b.takeError());
  expectSame(a, *b);
}

TEST_F(NpzFileTest, WriteRejectsInvalidArraysAndLeavesNothing) {
  Array a = makeArray("a", DType::F32, {2});
  Array bad = a;
  bad.data.pop_back();
  Array neg = makeArray("n", DType::F32, {});
  neg.shape = {-1};
  Array unnamed = makeArray("", DType::F32, {1});
  std::string p = path("out.npz");
  for (std::vector<Array> arrays :
       {std::vector<Array>{a, a}, std::vector<Array>{bad},
        std::vector<Array>{neg}, std::vector<Array>{a, unnamed}}) {
    Error e = writeNpz(p, arrays);
    ASSERT_TRUE(bool(e));
    EXPECT_NE(errorText(std::move(e)).find(p), std::string::npos);
    EXPECT_TRUE(listDir().empty());
  }
  EXPECT_TRUE(bool(writeNpy(path("x.npy"), bad)));
  EXPECT_TRUE(listDir().empty());
  // An existing file is kept when a write fails, and replaced when it works.
  ASSERT_FALSE(bool(writeNpz(p, {a})));
  std::string before = readBytes(p);
  EXPECT_TRUE(bool(writeNpz(p, {bad})));
  EXPECT_EQ(readBytes(p), before);
  Array a2 = makeArray("a", DType::F32, {3});
  ASSERT_FALSE(bool(writeNpz(p, {a2})));
  Expected<std::vector<Array>> back = readNpz(p);
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  ASSERT_EQ(back->size(), 1u);
  expectSame(a2, (*back)[0]);
  EXPECT_EQ(listDir(), std::vector<std::string>{"out.npz"});
  // A directory that does not exist is an error, not a crash.
  EXPECT_TRUE(bool(writeNpz(path("no/such/dir.npz"), {a})));
}

//===----------------------------------------------------------------------===//
// Files written by numpy (see make_npz_fixtures.py)
//===----------------------------------------------------------------------===//

static void checkNumpyArchive(const std::vector<Array> &arrays) {
  std::vector<std::string> names;
  for (const Array &a : arrays)
    names.push_back(a.name);
  ASSERT_EQ(names, (std::vector<std::string>{"f32", "i64", "flags", "scalar",
                                             "empty", "u8", "f16", "fort",
                                             "bf16"}));
  const Array &f32 = arrays[0];
  EXPECT_EQ(f32.dtype, DType::F32);
  EXPECT_EQ(f32.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(f32),
            (std::vector<float>{0, 0.5f, 1, 1.5f, 2, 2.5f}));
  EXPECT_EQ(arrays[1].dtype, DType::I64);
  EXPECT_EQ(values<int64_t>(arrays[1]),
            (std::vector<int64_t>{-1, int64_t(1) << 40}));
  EXPECT_EQ(arrays[2].dtype, DType::Bool);
  EXPECT_EQ(arrays[2].data, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(arrays[3].dtype, DType::F64);
  EXPECT_TRUE(arrays[3].shape.empty());
  EXPECT_EQ(values<double>(arrays[3]), std::vector<double>{3.5});
  EXPECT_EQ(arrays[4].dtype, DType::I16);
  EXPECT_EQ(arrays[4].shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(arrays[4].data.empty());
  EXPECT_EQ(arrays[5].dtype, DType::U8);
  EXPECT_EQ(arrays[5].data, (std::vector<uint8_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arrays[6].dtype, DType::F16);
  EXPECT_EQ(values<uint16_t>(arrays[6]),
            (std::vector<uint16_t>{0x3C00, 0xC000, 0x3800}));
  EXPECT_EQ(arrays[7].dtype, DType::I32);
  EXPECT_EQ(arrays[7].shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(values<int32_t>(arrays[7]),
            (std::vector<int32_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(arrays[8].dtype, DType::BF16);
  EXPECT_EQ(values<uint16_t>(arrays[8]),
            (std::vector<uint16_t>{0x3F80, 0xC000}));
}

TEST(NpzNumpy, Savez) {
  Expected<std::vector<Array>> a = readNpz(fixture("savez.npz"));
  ASSERT_TRUE(bool(a)) << errorText(a.takeError());
  checkNumpyArchive(*a);
}

TEST(NpzNumpy, SavezCompressed) {
  Expected<std::vector<Array>> a = readNpz(fixture("savez_compressed.npz"));
  ASSERT_TRUE(bool(a)) << errorText(a.takeError());
  checkNumpyArchive(*a);
}

TEST(NpzNumpy, NpyVersions) {
  Expected<Array> v2 = readNpy(fixture("v2.npy"));
  ASSERT_TRUE(bool(v2)) << errorText(v2.takeError());
  EXPECT_EQ(v2->name, "v2");
  EXPECT_EQ(v2->dtype, DType::F64);
  EXPECT_EQ(values<double>(*v2), (std::vector<double>{0, 1, 2, 3}));

  Expected<Array> v3 = readNpy(fixture("v3.npy"));
  ASSERT_TRUE(bool(v3)) << errorText(v3.takeError());
  EXPECT_EQ(v3->dtype, DType::I8);
  EXPECT_EQ(v3->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(values<int8_t>(*v3), (std::vector<int8_t>{-3, 4}));

  Expected<Array> s = readNpy(fixture("scalar.npy"));
  ASSERT_TRUE(bool(s)) << errorText(s.takeError());
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(values<int32_t>(*s), std::vector<int32_t>{7});
}

TEST(NpzNumpy, UnsupportedFilesGiveClearErrors) {
  struct Case {
    const char *file, *needle;
  } cases[] = {{"bigendian.npy", "big-endian"},
               {"object.npy", "object arrays"},
               {"structured.npy", "structured"},
               {"float8.npy", "uint8"}};
  for (const Case &c : cases) {
    Expected<Array> a = readNpy(fixture(c.file));
    ASSERT_FALSE(bool(a)) << c.file;
    std::string msg = errorText(a.takeError());
    EXPECT_NE(msg.find(c.file), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.needle), std::string::npos) << msg;
  }
}

//===----------------------------------------------------------------------===//
// Corrupt archives
//===----------------------------------------------------------------------===//

TEST_F(NpzFileTest, NotAZipAndMissingFiles) {
  auto expectError = [&](StringRef p, StringRef needle) {
    Expected<std::vector<Array>> a = readNpz(p);
    ASSERT_FALSE(bool(a));
    std::string msg = errorText(a.takeError());
    EXPECT_NE(msg.find(p.str()), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle.str()), std::string::npos) << msg;
  };
  expectError(path("missing.npz"), "cannot read");
  writeBytes(path("empty.npz"), "");
  expectError(path("empty.npz"), "not a zip");
  writeBytes(path("text.npz"), std::string(1000, 'x'));
  expectError(path("text.npz"), "not a zip");
  // A bare .npy is not a zip either.
  writeBytes(path("bare.npz"), serializeNpy(makeArray("", DType::F32, {40})));
  expectError(path("bare.npz"), "not a zip");
  // Bad magic in a .npy file.
  writeBytes(path("bad.npy"), "\x93NUMPZ\x01\x00\x00\x00");
  Expected<Array> b = readNpy(path("bad.npy"));
  ASSERT_FALSE(bool(b));
  EXPECT_NE(errorText(b.takeError()).find("bad magic"), std::string::npos);
}

TEST_F(NpzFileTest, TruncatedArchivesFail) {
  std::vector<Array> arrays = {makeArray("a", DType::F32, {3, 3}),
                               makeArray("b", DType::I64, {5})};
  for (bool compress : {false, true}) {
    NpzWriteOptions o;
    o.compress = compress;
    ASSERT_FALSE(bool(writeNpz(path("full.npz"), arrays, o)));
    std::string full = readBytes(path("full.npz"));
    for (size_t n = 0; n < full.size(); ++n) {
      Expected<std::vector<Array>> r =
          parseNpz(StringRef(full).take_front(n), "cut.npz");
      EXPECT_FALSE(bool(r)) << "truncated to " << n << " bytes";
      if (!r)
        consumeError(r.takeError());
    }
    writeBytes(path("cut.npz"), StringRef(full).drop_back(30));
    Expected<std::vector<Array>> r = readNpz(path("cut.npz"));
    ASSERT_FALSE(bool(r));
    EXPECT_NE(errorText(r.takeError()).find(path("cut.npz")), std::string::npos);
  }
}

TEST_F(NpzFileTest, BadCrcIsDetected) {
  Array a = makeArray("a", DType::U8, {64});
  for (size_t i = 0; i < a.data.size(); ++i)
    a.data[i] = uint8_t(0xA0 ^ i);
  ASSERT_FALSE(bool(writeNpz(path("c.npz"), {a})));
  std::string bytes = readBytes(path("c.npz"));
  std::string pattern(reinterpret_cast<const char *>(a.data.data()), 64);
  size_t pos = bytes.find(pattern);
  ASSERT_NE(pos, std::string::npos);
  bytes[pos + 10] ^= 0x01;
  writeBytes(path("c.npz"), bytes);
  Expected<std::vector<Array>> r = readNpz(path("c.npz"));
  ASSERT_FALSE(bool(r));
  std::string msg = errorText(r.takeError());
  EXPECT_NE(msg.find("CRC"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path("c.npz")), std::string::npos) << msg;
  EXPECT_NE(msg.find("entry 'a.npy'"), std::string::npos) << msg;
}

TEST_F(NpzFileTest, EntryErrorsNameFileAndEntry) {
  // An entry that is not a .npy: the error names the archive and the entry.
  Array a = makeArray("x", DType::F32, {6});
  ASSERT_FALSE(bool(writeNpz(path("n.npz"), {a})));
  std::string bytes = readBytes(path("n.npz"));
  // Rename "x.npy" to "x.npz" in both local and central headers.
  for (size_t pos = 0; (pos = bytes.find("x.npy", pos)) != std::string::npos;)
    bytes[pos + 4] = 'z';
  writeBytes(path("n.npz"), bytes);
  Expected<std::vector<Array>> r = readNpz(path("n.npz"));
  ASSERT_FALSE(bool(r));
  std::string msg = errorText(r.takeError());
  EXPECT_NE(msg.find("entry 'x.npz'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(".npy"), std::string::npos) << msg;
}

TEST_F(NpzFileTest, LyingDirectoryFields) {
  Array a = makeArray("a", DType::I32, {16});
  for (bool compress : {false, true}) {
    NpzWriteOptions o;
    o.compress = compress;
    ASSERT_FALSE(bool(writeNpz(path("l.npz"), {a}, o)));
    std::string good = readBytes(path("l.npz"));
    size_t cd = good.find("PK\x01\x02");
    ASSERT_NE(cd, std::string::npos);
    // Uncompressed size (offset 24) and compressed size (offset 20) set huge,
    // and the local header offset (42) pointed outside the file.
    for (size_t field : {20u, 24u, 42u}) {
      for (uint32_t v : {0xFFFFFFF0u, 0x7FFFFFFFu, 1u, 0u}) {
        if (field == 42 && v == 0)
          continue; // the real offset of the only entry
        std::string bad = good;
        std::memcpy(&bad[cd + field], &v, 4);
        writeBytes(path("bad.npz"), bad);
        Expected<std::vector<Array>> r = readNpz(path("bad.npz"));
        EXPECT_FALSE(bool(r)) << "field " << field << " = " << v;
        if (!r)
          consumeError(r.takeError());
      }
    }
  }
}

TEST_F(NpzFileTest, RandomCorruptionNeverCrashes) {
  std::vector<Array> arrays = {makeArray("a", DType::F16, {4, 4}),
                               makeArray("b", DType::Bool, {3}),
                               makeArray("c", DType::U64, {})};
  std::mt19937 rng(1234);
  for (int variant = 0; variant < 3; ++variant) {
    NpzWriteOptions o;
    o.compress = variant >= 1;
    o.forceZip64 = variant == 2;
    ASSERT_FALSE(bool(writeNpz(path("f.npz"), arrays, o)));
    std::string good = readBytes(path("f.npz"));
    // Every byte flipped in turn, then random multi-byte damage.
    for (size_t i = 0; i < good.size() + 400; ++i) {
      std::string bad = good;
      if (i < good.size()) {
        bad[i] = char(~bad[i]);
      } else {
        for (int k = 0; k < 4; ++k)
          bad[rng() % bad.size()] = char(rng());
      }
      Expected<std::vector<Array>> r = parseNpz(bad, "bad.npz");
      if (!r)
        consumeError(r.takeError());
    }
  }
  // Same for .npy headers through parseNpy.
  std::string npy = serializeNpy(makeArray("", DType::I16, {3, 2}));
  for (size_t i = 0; i < npy.size(); ++i)
    for (char c : {'\0', '(', ')', ',', '\'', '9', ' ', '\xff'}) {
      std::string bad = npy;
      bad[i] = c;
      Expected<Array> r = parseNpy(bad, "fuzz");
      if (!r)
        consumeError(r.takeError());
    }
}
