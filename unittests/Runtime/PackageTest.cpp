//===- PackageTest.cpp - opening and checking packages (no GPU) -----------===//
#include "Package.h"
#include "TestPackage.h"

#include "quantc_rt.h"

#include "gtest/gtest.h"

#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace qcrt_test;

namespace {

/// Opens `dir` expecting failure with `code`; returns the message.
std::string openFails(const std::string &dir, qcrt_status code) {
  qcrt_package *pkg = reinterpret_cast<qcrt_package *>(0x1);
  qcrt_status st = qcrt_package_open(dir.c_str(), &pkg);
  EXPECT_EQ(st, code) << qcrt_status_name(st) << ": " << qcrt_last_error();
  EXPECT_EQ(pkg, nullptr);
  if (st == QCRT_OK)
    qcrt_package_close(pkg);
  return qcrt_last_error();
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

/// Writes the fixture with `edits` and expects open to fail with `code`
/// and a message containing each of `parts`.
void expectBad(const std::vector<std::pair<std::string, std::string>> &edits,
               qcrt_status code, const std::vector<std::string> &parts) {
  TempPackage t;
  t.writeValid(edits);
  std::string msg = openFails(t.dir(), code);
  for (const std::string &p : parts)
    EXPECT_TRUE(contains(msg, p)) << "'" << msg << "' lacks '" << p << "'";
  EXPECT_TRUE(contains(msg, t.dir())) << msg; // names the package
}

TEST(RuntimePackage, DtypeSizes) {
  // The manifest's dtypes (docs/Runtime.md): chains also read and write
  // f64 and 16-, 32- and 64-bit integers of either signedness.
  for (auto [d, n] : {std::pair<const char *, size_t>{"f32", 4}, {"f16", 2},
                      {"bf16", 2}, {"f64", 8}, {"i1", 1}, {"i8", 1},
                      {"ui8", 1}, {"i16", 2}, {"ui16", 2}, {"i32", 4},
                      {"ui32", 4}, {"i64", 8}, {"ui64", 8}, {"f8E4M3FN", 1},
                      {"f4E2M1FN", 1}, {"c64", 0}, {"", 0}})
    EXPECT_EQ(qcrt::dtypeSize(d), n) << d;
}

TEST(RuntimePackage, ValidPackageOpens) {
  TempPackage t;
  t.writeValid();
  qcrt_package *pkg = nullptr;
  ASSERT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
      << qcrt_last_error();
  size_t n = 0;
  ASSERT_EQ(qcrt_package_num_inputs(pkg, &n), QCRT_OK);
  EXPECT_EQ(n, 2u);
  ASSERT_EQ(qcrt_package_num_outputs(pkg, &n), QCRT_OK);
  EXPECT_EQ(n, 1u);
  qcrt_tensor_desc d;
  ASSERT_EQ(qcrt_package_input(pkg, 1, &d), QCRT_OK);
  EXPECT_STREQ(d.name, "skip");
  EXPECT_STREQ(d.dtype, "f32");
  EXPECT_EQ(d.element_size, 4u);
  ASSERT_EQ(d.rank, 2);
  EXPECT_EQ(d.dims[0], -1);
  EXPECT_EQ(d.dims[1], 16);
  ASSERT_EQ(qcrt_package_output(pkg, 0, &d), QCRT_OK);
  EXPECT_STREQ(d.name, "out");
  EXPECT_EQ(qcrt_package_input(pkg, 2, &d), QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qcrt_last_error(), "out of range"));

  int has = 0;
  ASSERT_EQ(qcrt_package_has_program(pkg, &has), QCRT_OK);
  EXPECT_EQ(has, 1);
  ASSERT_EQ(qcrt_package_gpu_unsupported_count(pkg, &n), QCRT_OK);
  EXPECT_EQ(n, 0u);
  ASSERT_EQ(qcrt_package_num_targets(pkg, &n), QCRT_OK);
  ASSERT_EQ(n, 1u);
  const char *target = nullptr;
  ASSERT_EQ(qcrt_package_target(pkg, 0, &target), QCRT_OK);
  EXPECT_STREQ(target, "sm_90");
  ASSERT_EQ(qcrt_package_num_steps(pkg, &n), QCRT_OK);
  ASSERT_EQ(n, 3u);
  const char *kernel = nullptr, *layer = nullptr;
  ASSERT_EQ(qcrt_package_step(pkg, 2, &kernel, &layer), QCRT_OK);
  EXPECT_STREQ(kernel, "ew_0");
  EXPECT_STREQ(layer, "add1");
  uint64_t bytes = 0;
  ASSERT_EQ(qcrt_package_weight_bytes(pkg, &bytes), QCRT_OK);
  EXPECT_EQ(bytes, 1056u);
  EXPECT_EQ(qcrt_package_close(pkg), QCRT_OK);
}

TEST(RuntimePackage, ArenaBytesAtSeveralBatches) {
  TempPackage t;
  t.writeValid();
  qcrt_package *pkg = nullptr;
  ASSERT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
      << qcrt_last_error();
  // Slots: 0 = max(x: B*256, y: B*64), 1 = max(codes: B*64, out: B*64),
  // 2 = scales B*2, 3 = skip B*64; each rounded up to 256.
  struct {
    int64_t batch;
    uint64_t bytes;
  } cases[] = {{0, 0},
               {1, 256 + 256 + 256 + 256},
               {3, 768 + 256 + 256 + 256},
               {4, 1024 + 256 + 256 + 256},
               {5, 1280 + 512 + 256 + 512},
               {100, 25600 + 6400 + 256 + 6400}};
  for (const auto &c : cases) {
    uint64_t bytes = 1;
    ASSERT_EQ(qcrt_package_arena_bytes(pkg, c.batch, &bytes), QCRT_OK)
        << qcrt_last_error();
    EXPECT_EQ(bytes, c.bytes) << "batch " << c.batch;
  }
  uint64_t bytes;
  EXPECT_EQ(qcrt_package_arena_bytes(pkg, -1, &bytes),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcrt_package_arena_bytes(pkg, INT64_MAX / 8, &bytes),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qcrt_last_error(), "too large")) << qcrt_last_error();
  qcrt_package_close(pkg);
}

TEST(RuntimePackage, InputShapeChecks) {
  TempPackage t;
  t.writeValid();
  qcrt_package *pkg = nullptr;
  ASSERT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK);
  int64_t batch = 0;
  int64_t good[] = {37, 64};
  ASSERT_EQ(qcrt_package_check_input_shape(pkg, 0, good, 2, &batch), QCRT_OK);
  EXPECT_EQ(batch, 37); // input 0 holds the batch
  int64_t skip[] = {37, 16};
  ASSERT_EQ(qcrt_package_check_input_shape(pkg, 1, skip, 2, &batch), QCRT_OK);
  EXPECT_EQ(batch, -1);
  int64_t empty[] = {0, 64};
  ASSERT_EQ(qcrt_package_check_input_shape(pkg, 0, empty, 2, &batch), QCRT_OK);
  EXPECT_EQ(batch, 0);

  int64_t wrongDim[] = {37, 63};
  EXPECT_EQ(qcrt_package_check_input_shape(pkg, 0, wrongDim, 2, &batch),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qcrt_last_error(), "input 0 ('x'): shape [37, 63] "
                                          "does not match the package's "
                                          "[-1, 64] in dimension 1"))
      << qcrt_last_error();
  int64_t rank3[] = {1, 37, 64};
  EXPECT_EQ(qcrt_package_check_input_shape(pkg, 0, rank3, 3, &batch),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qcrt_last_error(), "rank 3 given, the package expects "
                                          "rank 2"))
      << qcrt_last_error();
  int64_t negative[] = {-1, 64};
  EXPECT_EQ(qcrt_package_check_input_shape(pkg, 0, negative, 2, &batch),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(qcrt_last_error(), "negative"));
  EXPECT_EQ(qcrt_package_check_input_shape(pkg, 5, good, 2, &batch),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcrt_package_check_input_shape(pkg, 0, nullptr, 2, &batch),
            QCRT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qcrt_package_check_input_shape(pkg, 0, good, 99, &batch),
            QCRT_ERROR_INVALID_ARGUMENT);
  qcrt_package_close(pkg);
}

TEST(RuntimePackage, MissingDirectoryAndManifest) {
  std::string msg = openFails("/nonexistent/model.qcpkg", QCRT_ERROR_IO);
  EXPECT_TRUE(contains(msg, "/nonexistent/model.qcpkg")) << msg;
  TempPackage t;
  msg = openFails(t.dir(), QCRT_ERROR_IO); // empty directory
  EXPECT_TRUE(contains(msg, t.dir() + "/manifest.json: cannot open")) << msg;
  t.write("file", "x");
  msg = openFails(t.dir() + "/file", QCRT_ERROR_IO);
  EXPECT_TRUE(contains(msg, "not a package directory")) << msg;
}

TEST(RuntimePackage, MalformedJson) {
  TempPackage t;
  t.writeValid();
  t.write("manifest.json", "{\n  \"format_version\": 2,\n  \"inputs\": [1,,]\n}");
  std::string msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
  EXPECT_TRUE(contains(msg, t.dir() + "/manifest.json: malformed JSON: line 3, "
                                      "column 16"))
      << msg;
  t.write("manifest.json", "[]");
  msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
  EXPECT_TRUE(contains(msg, "expected an object")) << msg;
}

TEST(RuntimePackage, FormatVersions) {
  expectBad({{"\"format_version\": 2", "\"format_version\": 1"}},
            QCRT_ERROR_UNSUPPORTED,
            {"manifest.json: package format 1 has no GPU program; recompile "
             "with this quant-compile"});
  expectBad({{"\"format_version\": 2", "\"format_version\": 3"}},
            QCRT_ERROR_UNSUPPORTED,
            {"package format 3 is not supported (this runtime reads format 2)"});
  expectBad({{"\"format_version\": 2", "\"format_version\": \"2\""}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"format_version: expected an integer, found a string"});
  expectBad({{"\"format_version\": 2,", ""}}, QCRT_ERROR_INVALID_PACKAGE,
            {"missing key \"format_version\""});
}

TEST(RuntimePackage, WeightsFile) {
  {
    TempPackage t;
    t.writeValid();
    t.write("weights.bin", std::string(1000, 'w')); // truncated
    std::string msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
    EXPECT_TRUE(contains(msg, t.dir() + "/weights.bin: 1000 bytes, but")) << msg;
    EXPECT_TRUE(contains(msg, "weights.size says 1056 (truncated file)")) << msg;
  }
  {
    TempPackage t;
    t.writeValid();
    unlink((t.dir() + "/weights.bin").c_str());
    std::string msg = openFails(t.dir(), QCRT_ERROR_IO);
    EXPECT_TRUE(contains(msg, "weights.bin: cannot open")) << msg;
  }
  expectBad({{"\"offset\": 1024", "\"offset\": 1040"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.values[4]: weight 'ws' at offset 1040 (32 bytes) lies "
             "outside weights.bin (1056 bytes)"});
  expectBad({{"\"offset\": 1024", "\"offset\": -8"}},
            QCRT_ERROR_INVALID_PACKAGE, {"program.values[4]", "outside"});
  expectBad({{"\"file\": \"weights.bin\"", "\"file\": \"../weights.bin\""}},
            QCRT_ERROR_INVALID_PACKAGE, {"leaves the package"});
}

TEST(RuntimePackage, StepKernels) {
  expectBad({{"{\"kernel\": \"ew_0\"", "{\"kernel\": \"ew_9\""}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.steps[2].kernel: kernel 'ew_9' is not in kernel_files "
             "entry for sm_90"});
  // Listed but not in the PTX.
  expectBad({{"\"ew_0\"]}", "\"ew_0\", \"ew_1\"]}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"kernels/sm_90.ptx: no '.entry ew_1'", "kernel_files[0].kernels"});
}

TEST(RuntimePackage, StepArgs) {
  // The example message of docs/Runtime.md.
  expectBad({{"\"args\": [{\"value\": 7}, {\"value\": 5}",
              "\"args\": [{\"value\": 7}, {\"value\": 17}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"/manifest.json: program.steps[2].args[1]: value 17 out of range "
             "(8 values)"});
  expectBad({{"{\"i64\": {\"b\": 16}}", "{\"f32\": {\"b\": 16}}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.steps[2].args[3]: unknown argument kind \"f32\""});
  expectBad({{"{\"i64\": {\"b\": 16}}", "{\"i64\": {\"b\": 16, \"x\": 1}}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.steps[2].args[3].i64: unknown key \"x\""});
  expectBad({{"{\"i64\": {\"b\": 16}}", "{\"i64\": {\"b\": 16, \"div\": 2}}"}},
            QCRT_ERROR_INVALID_PACKAGE, {"unknown key \"div\""});
  expectBad({{"{\"i64\": {\"b\": 16}}", "{\"i64\": {\"b\": 1.5}}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"args[3].i64.b: expected an integer, found a number"});
  expectBad({{"{\"value\": 0}, {\"value\": 1}", "{\"value\": 0, \"i32\": {}}, "
                                                "{\"value\": 1}"}},
            QCRT_ERROR_INVALID_PACKAGE, {"program.steps[0].args[0]: expected "
                                         "one of"});
}

// tensor_map arguments (the sm_90a GEMM's A and B): a valid pair opens;
// each rule cuTensorMapEncodeTiled would refuse is named at open time.
TEST(RuntimePackage, TensorMapArgs) {
  const std::string gemmArgs =
      "{\"value\": 1}, {\"value\": 2}, {\"value\": 3}";
  auto maps = [](const std::string &a, const std::string &b) {
    return "{\"tensor_map\": " + a + "}, {\"value\": 2}, {\"tensor_map\": " +
           b + "}";
  };
  const std::string goodA = "{\"value\": 1, \"box\": [128, 64], \"swizzle\": 128}",
                    goodB = "{\"value\": 3, \"box\": [16, 64], \"swizzle\": 128}";
  {
    TempPackage t;
    t.writeValid({{gemmArgs, maps(goodA, goodB)}});
    qcrt_package *pkg = nullptr;
    ASSERT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
        << qcrt_last_error();
    qcrt_package_close(pkg);
  }
  auto bad = [&](const std::string &a, const std::vector<std::string> &parts) {
    expectBad({{gemmArgs, maps(a, goodB)}}, QCRT_ERROR_INVALID_PACKAGE, parts);
  };
  bad("{\"value\": 0, \"box\": [128, 64], \"swizzle\": 128}",
      {"program.steps[1].args[0].tensor_map: value 0 ('x') is f32: tensor "
       "maps take one-byte elements"});
  bad("{\"value\": 2, \"box\": [128, 2], \"swizzle\": 0}",
      {"value 'scales' has rows of 2 bytes; a tensor map needs a multiple of "
       "16"});
  bad("{\"value\": 9, \"box\": [128, 64], \"swizzle\": 128}",
      {"tensor_map: value 9 out of range (8 values)"});
  bad("{\"value\": 1, \"box\": [0, 64], \"swizzle\": 128}",
      {"tensor_map.box[0]: expected an integer in 1..256"});
  bad("{\"value\": 1, \"box\": [128], \"swizzle\": 128}",
      {"tensor_map.box: expected [rows, cols]"});
  bad("{\"value\": 1, \"box\": [128, 256], \"swizzle\": 128}",
      {"tensor_map.box[1]: 256 bytes per row of a box: more than the swizzle "
       "span of 128"});
  bad("{\"value\": 1, \"box\": [128, 24], \"swizzle\": 0}",
      {"box[1]: 24 bytes per row of a box: not a multiple of 16"});
  bad("{\"value\": 1, \"box\": [128, 40], \"swizzle\": 64}",
      {"box[1]: 40 bytes per row of a box: not a multiple of 16"});
  bad("{\"value\": 1, \"box\": [128, 64], \"swizzle\": 16}",
      {"tensor_map.swizzle: 16 (expected 0, 32, 64 or 128 bytes)"});
  bad("{\"value\": 1, \"box\": [128, 64]}",
      {"tensor_map: expected {\"value\": i, \"box\": [rows, cols], "
       "\"swizzle\": S}"});
}

TEST(RuntimePackage, GridAndBlock) {
  expectBad({{"\"block\": [32, 4, 1]", "\"block\": [64, 32, 1]"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.steps[1].block: 2048 threads per block (at most 1024)"});
  expectBad({{"\"block\": [32, 4, 1]", "\"block\": [0, 4, 1]"}},
            QCRT_ERROR_INVALID_PACKAGE, {"program.steps[1].block[0]"});
  expectBad({{"\"grid\": [{\"b\": 16, \"div\": 256}",
              "\"grid\": [{\"b\": -16, \"div\": 256}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.steps[2].grid[0]: grid dimension must not be negative"});
  {
    // 0 blocks (a statically empty value) opens: the step launches
    // nothing.
    TempPackage t;
    t.writeValid({{"\"grid\": [{\"b\": 16, \"div\": 256}",
                   "\"grid\": [{\"c\": 0, \"div\": 256}"}});
    qcrt_package *pkg = nullptr;
    EXPECT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
        << qcrt_last_error();
    qcrt_package_close(pkg);
  }
  expectBad({{"\"grid\": [{\"b\": 16, \"div\": 256}",
              "\"grid\": [{\"b\": 16, \"div\": 0}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.steps[2].grid[0].div: divisor 0 must be >= 1"});
  expectBad({{"\"shared_bytes\": 0}\n", "\"shared_bytes\": -4}\n"}},
            QCRT_ERROR_INVALID_PACKAGE, {"program.steps[2].shared_bytes"});
}

TEST(RuntimePackage, Values) {
  expectBad({{"\"name\": \"codes\", \"dtype\": \"f8E4M3FN\"",
              "\"name\": \"codes\", \"dtype\": \"f7\""}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.values[1].dtype: unknown dtype \"f7\""});
  expectBad({{"{\"name\": \"out\", \"dtype\": \"f32\", \"shape\": [-1, 16]}",
              "{\"name\": \"out\", \"dtype\": \"c64\", \"shape\": [-1, 16]}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"outputs[0].dtype: unknown dtype \"c64\""});
  expectBad({{"\"shape\": [-1, 2], \"kind\": \"temp\"",
              "\"shape\": [-1, 0], \"kind\": \"temp\""}},
            QCRT_ERROR_INVALID_PACKAGE, {"program.values[2].shape[1]"});
  expectBad({{"\"shape\": [-1, 2], \"kind\": \"temp\"",
              "\"shape\": [1,1,1,1,1,1,1,1,2], \"kind\": \"temp\""}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.values[2].shape: rank 9 exceeds the limit of 8"});
  expectBad({{"\"shape\": [-1, 2], \"kind\": \"temp\"",
              "\"shape\": [4611686018427387904, 4], \"kind\": \"temp\""}},
            QCRT_ERROR_INVALID_PACKAGE, {"is too large"});
  expectBad({{"\"kind\": \"temp\", \"slot\": 2", "\"kind\": \"tmp\", \"slot\": 2"}},
            QCRT_ERROR_INVALID_PACKAGE, {"unknown kind \"tmp\""});
  expectBad({{"\"kind\": \"temp\", \"slot\": 2", "\"kind\": \"temp\", \"slot\": 4"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.values[2].slot: slot 4 out of range (4 slots)"});
  expectBad({{"\"kind\": \"input\", \"index\": 1", "\"kind\": \"input\", \"index\": 2"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.values[6].index: inputs index 2 out of range (2 inputs)"});
  // The value of an input must match the manifest's input.
  expectBad({{"{\"name\": \"skip\", \"dtype\": \"f32\", \"shape\": [-1, 16], \"kind\"",
              "{\"name\": \"skip\", \"dtype\": \"f32\", \"shape\": [-1, 8], \"kind\""}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.values[6]: value 'skip' (f32 [-1, 8]) does not match "
             "inputs[1] 'skip' (f32 [-1, 16])"});
  expectBad({{"\"kind\": \"output\", \"index\": 0", "\"kind\": \"temp\", \"index\": 0"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"no value of kind output for outputs[0] 'out'"});
  expectBad({{"\"kind\": \"weight\", \"offset\": 0}",
              "\"kind\": \"weight\", \"offset\": 0, \"slot\": 1}"}},
            QCRT_ERROR_INVALID_PACKAGE, {"a weight has no arena slot"});
  expectBad({{"\"batch\": {\"input\": 0, \"dim\": 0}", "\"batch\": null"}},
            QCRT_ERROR_INVALID_PACKAGE, {"-1 (batch) but program.batch is null"});
  expectBad({{"\"batch\": {\"input\": 0, \"dim\": 0}",
              "\"batch\": {\"input\": 0, \"dim\": 1}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.batch.dim: dimension 1 of input 'x' is 64, not -1"});
  expectBad({{"\"alignment\": 256", "\"alignment\": 100"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.arena.alignment: 100 is not a power of two"});
}

TEST(RuntimePackage, OverlappingSlotPlan) {
  // y (live steps 1-2) moved into slot 1, where codes (live steps 0-1) is.
  expectBad({{"{\"name\": \"y\", \"dtype\": \"f32\", \"shape\": [-1, 16], "
              "\"kind\": \"temp\", \"slot\": 0}",
              "{\"name\": \"y\", \"dtype\": \"f32\", \"shape\": [-1, 16], "
              "\"kind\": \"temp\", \"slot\": 1}"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"program.arena: slot 1 holds value 1 ('codes', live step 0 to "
             "step 1) and value 5 ('y', live step 1 to step 2) whose live "
             "ranges overlap"});
  // An output sharing the slot of an input that is live until step 0 is
  // fine only if the output is first written later: skip is live to step 2.
  expectBad({{"\"kind\": \"output\", \"index\": 0, \"slot\": 1",
              "\"kind\": \"output\", \"index\": 0, \"slot\": 3"}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"slot 3 holds value 6 ('skip', live the inputs to step 2) and "
             "value 7 ('out', live step 2 to the outputs)"});
}

TEST(RuntimePackage, KernelFiles) {
  {
    TempPackage t;
    t.writeValid();
    unlink((t.dir() + "/kernels/sm_90.ptx").c_str());
    std::string msg = openFails(t.dir(), QCRT_ERROR_IO);
    EXPECT_TRUE(contains(msg, t.dir() + "/kernels/sm_90.ptx: cannot open"))
        << msg;
  }
  {
    TempPackage t;
    t.writeValid();
    std::string ptx = kPtx;
    t.write("kernels/sm_90.ptx", ptx.substr(0, ptx.size() - 4)); // truncated
    std::string msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
    EXPECT_TRUE(contains(msg, "sm_90.ptx: truncated or malformed PTX")) << msg;
  }
  {
    TempPackage t;
    t.writeValid();
    t.write("kernels/sm_90.ptx", "garbage");
    std::string msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
    EXPECT_TRUE(contains(msg, "not PTX")) << msg;
  }
  {
    // A cubin: a complete ELF header passes, a truncated one fails.
    TempPackage t;
    t.writeValid({{"\"ptx\": \"kernels/sm_90.ptx\",",
                   "\"ptx\": \"kernels/sm_90.ptx\", \"cubin\": "
                   "\"kernels/sm_90.cubin\","}});
    std::string elf(64, '\0');
    elf[0] = 0x7f, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F', elf[4] = 2,
    elf[5] = 1;
    t.write("kernels/sm_90.cubin", elf);
    qcrt_package *pkg = nullptr;
    EXPECT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
        << qcrt_last_error();
    qcrt_package_close(pkg);
    elf[40] = 64; // section headers at 64 ...
    elf[60] = 3;  // ... three of them: beyond the file
    elf[58] = 64;
    t.write("kernels/sm_90.cubin", elf);
    std::string msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
    EXPECT_TRUE(contains(msg, "sm_90.cubin: truncated or malformed cubin"))
        << msg;
    t.write("kernels/sm_90.cubin", "\x7f" "ELF");
    msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
    EXPECT_TRUE(contains(msg, "no ELF header")) << msg;
  }
  expectBad({{"\"ptx\": \"kernels/sm_90.ptx\"", "\"ptx\": \"/etc/passwd\""}},
            QCRT_ERROR_INVALID_PACKAGE, {"must be relative to the package"});
  expectBad({{"\"ptx\": \"kernels/sm_90.ptx\"",
              "\"ptx\": \"kernels/../../x.ptx\""}},
            QCRT_ERROR_INVALID_PACKAGE, {"leaves the package ('..')"});
  expectBad({{"\"target\": \"sm_90\"", "\"target\": \"gfx90a\""}},
            QCRT_ERROR_INVALID_PACKAGE,
            {"kernel_files[0].target: \"gfx90a\" is not a target"});
  {
    // A symlink leaving the package.
    TempPackage t;
    t.writeValid();
    std::string outside = t.root() + "/outside.ptx";
    FILE *f = fopen(outside.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(kPtx, f);
    fclose(f);
    unlink((t.dir() + "/kernels/sm_90.ptx").c_str());
    ASSERT_EQ(symlink(outside.c_str(), (t.dir() + "/kernels/sm_90.ptx").c_str()),
              0);
    std::string msg = openFails(t.dir(), QCRT_ERROR_INVALID_PACKAGE);
    EXPECT_TRUE(contains(msg, "resolves outside the package")) << msg;
  }
}

TEST(RuntimePackage, NoProgram) {
  TempPackage t;
  t.writeValid();
  // program null with the ops that have no kernel.
  std::string m = kManifest;
  size_t p = m.find("\"program\": {");
  ASSERT_NE(p, std::string::npos);
  m = m.substr(0, p) +
      "\"program\": null,\n  \"gpu_unsupported\": [{\"op\": \"qc.conv\", "
      "\"count\": 4}, {\"op\": \"qc.max_pool\", \"count\": 1}]\n}\n";
  t.write("manifest.json", m);
  qcrt_package *pkg = nullptr;
  ASSERT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
      << qcrt_last_error();
  int has = 1;
  ASSERT_EQ(qcrt_package_has_program(pkg, &has), QCRT_OK);
  EXPECT_EQ(has, 0);
  size_t n = 0;
  ASSERT_EQ(qcrt_package_gpu_unsupported_count(pkg, &n), QCRT_OK);
  ASSERT_EQ(n, 2u);
  const char *op = nullptr;
  int64_t count = 0;
  ASSERT_EQ(qcrt_package_gpu_unsupported(pkg, 0, &op, &count), QCRT_OK);
  EXPECT_STREQ(op, "qc.conv");
  EXPECT_EQ(count, 4);
  ASSERT_EQ(qcrt_package_num_inputs(pkg, &n), QCRT_OK);
  EXPECT_EQ(n, 2u); // descriptors still readable
  uint64_t bytes;
  EXPECT_EQ(qcrt_package_arena_bytes(pkg, 1, &bytes), QCRT_ERROR_UNSUPPORTED);
  // A session is refused before the driver is touched.
  qcrt_session *sess = nullptr;
  EXPECT_EQ(qcrt_session_create(pkg, 0, &sess), QCRT_ERROR_UNSUPPORTED);
  EXPECT_EQ(sess, nullptr);
  std::string msg = qcrt_last_error();
  EXPECT_TRUE(contains(msg, t.dir() + ": the package has no GPU program: no "
                                      "GPU kernel for qc.conv x4, "
                                      "qc.max_pool x1"))
      << msg;
  qcrt_package_close(pkg);

  // No program key at all: a CPU-only package.
  t.write("manifest.json", kManifest);
  m = kManifest;
  m = m.substr(0, m.find(",\n  \"program\": {")) + "\n}\n";
  t.write("manifest.json", m);
  ASSERT_EQ(qcrt_package_open(t.dir().c_str(), &pkg), QCRT_OK)
      << qcrt_last_error();
  EXPECT_EQ(qcrt_session_create(pkg, 0, &sess), QCRT_ERROR_UNSUPPORTED);
  EXPECT_TRUE(contains(qcrt_last_error(), "a CPU-only package"))
      << qcrt_last_error();
  qcrt_package_close(pkg);
}

} // namespace
