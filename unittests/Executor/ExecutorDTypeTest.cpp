//===- ExecutorDTypeTest.cpp - element types of the Executor --------------===//
//
// Every numeric ONNX element type through bindInputs / run / toArrays: the
// .npz dtype each type reads and writes, bit-exact round trips (ui64 above
// 2^63, f16 subnormals and Inf, bf16 bit patterns), integer arithmetic that
// wraps to the element type, unsigned division, comparison and remainder,
// integer Cast, mixed-type Pow, and clear errors for a wrong dtype. The
// expected values are written out by hand from the C / numpy semantics.
//
//===----------------------------------------------------------------------===//
#include "quantc/Executor/Executor.h"
#include "quantc/InitAll.h"
#include "quantc/Support/Npz.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace mlir;
using namespace quantc;

namespace {

class ExecutorDTypeTest : public ::testing::Test {
protected:
  ExecutorDTypeTest() {
    DialectRegistry registry;
    quantc::registerAllDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  OwningOpRef<ModuleOp> parse(llvm::StringRef src) {
    auto m = parseSourceString<ModuleOp>(src, &ctx);
    EXPECT_TRUE(m) << "failed to parse:\n" << src.str();
    return m;
  }

  /// Runs @main of `src` on `arrays` through bindInputs/run/toArrays.
  std::vector<npz::Array> runArrays(llvm::StringRef src,
                                    std::vector<npz::Array> arrays) {
    auto module = parse(src);
    if (!module)
      return {};
    Executor ex(getEntryFunction(*module));
    auto in = ex.bindInputs(arrays, "in.npz");
    EXPECT_TRUE(succeeded(in));
    if (failed(in))
      return {};
    auto out = ex.run(*in);
    EXPECT_TRUE(succeeded(out));
    if (failed(out))
      return {};
    return ex.toArrays(*out);
  }

  MLIRContext ctx;
};

struct DiagCapture {
  std::string text;
  ScopedDiagnosticHandler handler;
  explicit DiagCapture(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          text += d.str();
          text += "\n";
          return success();
        }) {}
};

template <typename T>
npz::Array array(std::string name, npz::DType dt, std::vector<T> v) {
  npz::Array a;
  a.name = std::move(name);
  a.dtype = dt;
  a.shape = {(int64_t)v.size()};
  a.data.resize(v.size() * sizeof(T));
  std::memcpy(a.data.data(), v.data(), a.data.size());
  return a;
}

template <typename T> std::vector<T> values(const npz::Array &a) {
  std::vector<T> v(a.data.size() / sizeof(T));
  std::memcpy(v.data(), a.data.data(), a.data.size());
  return v;
}

/// A function returning its arguments unchanged.
std::string identityModule(llvm::ArrayRef<std::string> types) {
  std::string args, rets, vals;
  for (size_t i = 0; i < types.size(); ++i) {
    std::string t = "tensor<3x" + types[i] + ">";
    args += (i ? ", " : "") + ("%a" + std::to_string(i)) + ": " + t +
            " {qc.name = \"x" + std::to_string(i) + "\"}";
    rets += (i ? ", " : "") + t;
    vals += (i ? ", %a" : "%a") + std::to_string(i);
  }
  return "func.func @main(" + args + ") -> (" + rets + ") {\n  return " + vals +
         " : " + rets + "\n}\n";
}

TEST_F(ExecutorDTypeTest, EveryDTypeRoundTripsBitExactly) {
  std::string src = identityModule(
      {"f16", "bf16", "f64", "i8", "i16", "ui8", "ui16", "ui32", "ui64"});
  // f16: 1.0, the smallest subnormal, -Inf; bf16: 1.0, -2.0, NaN.
  std::vector<npz::Array> in = {
      array<uint16_t>("x0", npz::DType::F16, {0x3C00, 0x0001, 0xFC00}),
      array<uint16_t>("x1", npz::DType::U16, {0x3F80, 0xC000, 0x7FC0}),
      array<double>("x2", npz::DType::F64, {0.5, -3.0, 0x1p100}), // f32 values
      array<int8_t>("x3", npz::DType::I8, {-128, 0, 127}),
      array<int16_t>("x4", npz::DType::I16, {-32768, -1, 32767}),
      array<uint8_t>("x5", npz::DType::U8, {0, 128, 255}),
      array<uint16_t>("x6", npz::DType::U16, {0, 32768, 65535}),
      array<uint32_t>("x7", npz::DType::U32, {0, 0x80000000u, 0xFFFFFFFFu}),
      array<uint64_t>("x8", npz::DType::U64,
                      {0, 0x8000000000000001ull, 0xFFFFFFFFFFFFFFFFull}),
  };
  std::vector<npz::Array> out = runArrays(src, in);
  ASSERT_EQ(out.size(), in.size());
  // bf16 comes back as uint16 bit patterns; every other type in its dtype.
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].dtype, in[i].dtype) << "output " << i;
    EXPECT_EQ(out[i].data, in[i].data) << "output " << i;
  }
  // ml_dtypes bfloat16 ("<V2") reads as bf16 too.
  in[1].dtype = npz::DType::BF16;
  out = runArrays(src, in);
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(out[1].dtype, npz::DType::U16);
  EXPECT_EQ(values<uint16_t>(out[1]),
            (std::vector<uint16_t>{0x3F80, 0xC000, 0x7FC0}));
}

TEST_F(ExecutorDTypeTest, FloatInputsRoundToTheirType) {
  // float32 data for an f16 input is rounded to f16 (nearest even); f64
  // values are held as f32 (docs/Import.md, "Element types").
  std::string src = identityModule({"f16", "f64"});
  std::vector<npz::Array> out = runArrays(
      src, {array<float>("x0", npz::DType::F32,
                         {1.0f + 1.0f / 2048, 65520.0f, 0.1f}),
            array<double>("x1", npz::DType::F64, {0.1, 1.0 + 1e-12, -2.5})});
  ASSERT_EQ(out.size(), 2u);
  // 1 + 2^-11 is a tie between f16 neighbours 2^-10 apart: to even (1.0);
  // 65520, the tie above the largest f16, rounds to Inf; 0.1 to 0x2E66.
  EXPECT_EQ(values<uint16_t>(out[0]),
            (std::vector<uint16_t>{0x3C00, 0x7C00, 0x2E66}));
  EXPECT_EQ(values<double>(out[1]),
            (std::vector<double>{(double)0.1f, 1.0, -2.5}));
}

TEST_F(ExecutorDTypeTest, WrongDTypesAreClearErrors) {
  auto module = parse(identityModule({"ui16", "f16", "ui64"}));
  ASSERT_TRUE(module);
  Executor ex(getEntryFunction(*module));
  DiagCapture diags(&ctx);
  npz::Array u16 = array<uint16_t>("x0", npz::DType::U16, {1, 2, 3});
  npz::Array f16 = array<uint16_t>("x1", npz::DType::F16, {0, 0, 0});
  npz::Array u64 = array<uint64_t>("x2", npz::DType::U64, {1, 2, 3});
  ASSERT_TRUE(succeeded(ex.bindInputs({u16, f16, u64}, "in.npz")));

  auto r = ex.bindInputs(
      {array<int32_t>("x0", npz::DType::I32, {1, 2, 3}), f16, u64}, "in.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("in.npz: input 'x0' has dtype int32, which does "
                            "not fit the model's 'ui16'"),
            std::string::npos)
      << diags.text;
  // uint16 is bf16's bit pattern dtype, not f16's.
  r = ex.bindInputs(
      {u16, array<uint16_t>("x1", npz::DType::U16, {0, 0, 0}), u64}, "in.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("input 'x1' has dtype uint16 but the model "
                            "expects float16"),
            std::string::npos)
      << diags.text;
  // int64 is not uint64 (values above 2^63 would change meaning).
  r = ex.bindInputs(
      {u16, f16, array<int64_t>("x2", npz::DType::I64, {1, 2, 3})}, "in.npz");
  EXPECT_TRUE(failed(r));
  EXPECT_NE(diags.text.find("input 'x2' has dtype int64, which does not fit "
                            "the model's 'ui64'"),
            std::string::npos)
      << diags.text;
}

TEST_F(ExecutorDTypeTest, IntegerArithmeticWrapsToTheElementType) {
  const char *src = R"(
func.func @main(%a: tensor<3xui8> {qc.name = "a"}, %b: tensor<3xui8> {qc.name = "b"},
                %c: tensor<3xi8> {qc.name = "c"}, %d: tensor<3xui16> {qc.name = "d"},
                %e: tensor<3xui64> {qc.name = "e"}, %f: tensor<3xi16> {qc.name = "f"})
    -> (tensor<3xui8>, tensor<3xui8>, tensor<3xi8>, tensor<3xui16>, tensor<3xui64>,
        tensor<3xui64>, tensor<3xi16>, tensor<3xui8>, tensor<3xi8>) {
  %0 = qc.add %a, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %1 = qc.mul %a, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %2 = qc.add %c, %c : (tensor<3xi8>, tensor<3xi8>) -> tensor<3xi8>
  %3 = qc.sub %d, %d : (tensor<3xui16>, tensor<3xui16>) -> tensor<3xui16>
  %4 = qc.add %e, %e : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %5 = qc.div %e, %e : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %6 = qc.mul %f, %f : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  %7 = qc.neg %a : (tensor<3xui8>) -> tensor<3xui8>
  %8 = qc.abs %c : (tensor<3xi8>) -> tensor<3xi8>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<3xui8>, tensor<3xui8>, tensor<3xi8>,
      tensor<3xui16>, tensor<3xui64>, tensor<3xui64>, tensor<3xi16>, tensor<3xui8>, tensor<3xi8>
}
)";
  std::vector<npz::Array> out = runArrays(
      src, {array<uint8_t>("a", npz::DType::U8, {200, 1, 255}),
            array<uint8_t>("b", npz::DType::U8, {100, 2, 255}),
            array<int8_t>("c", npz::DType::I8, {100, -128, -3}),
            array<uint16_t>("d", npz::DType::U16, {0, 1, 65535}),
            array<uint64_t>("e", npz::DType::U64,
                            {0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull, 7}),
            array<int16_t>("f", npz::DType::I16, {300, -200, 181})});
  ASSERT_EQ(out.size(), 9u);
  EXPECT_EQ(out[0].dtype, npz::DType::U8);
  EXPECT_EQ(values<uint8_t>(out[0]), (std::vector<uint8_t>{44, 3, 254}));
  EXPECT_EQ(values<uint8_t>(out[1]), (std::vector<uint8_t>{32, 2, 1}));
  EXPECT_EQ(out[2].dtype, npz::DType::I8);
  EXPECT_EQ(values<int8_t>(out[2]), (std::vector<int8_t>{-56, 0, -6}));
  EXPECT_EQ(values<uint16_t>(out[3]), (std::vector<uint16_t>{0, 0, 0}));
  EXPECT_EQ(values<uint64_t>(out[4]),
            (std::vector<uint64_t>{0xFFFFFFFFFFFFFFFEull, 0, 14}));
  // Unsigned division: (2^64 - 1) / (2^64 - 1) = 1, not (-1) / (-1).
  EXPECT_EQ(values<uint64_t>(out[5]), (std::vector<uint64_t>{1, 1, 1}));
  // 300^2 = 90000 wraps to 24464; 181^2 = 32761 fits.
  EXPECT_EQ(out[6].dtype, npz::DType::I16);
  EXPECT_EQ(values<int16_t>(out[6]),
            (std::vector<int16_t>{24464, -25536, 32761}));
  EXPECT_EQ(values<uint8_t>(out[7]), (std::vector<uint8_t>{56, 255, 1}));
  // |-128| wraps to -128 in int8, as numpy and onnxruntime.
  EXPECT_EQ(values<int8_t>(out[8]), (std::vector<int8_t>{100, -128, 3}));
}

TEST_F(ExecutorDTypeTest, UnsignedMaxModAndCompare) {
  const char *src = R"(
func.func @main(%a: tensor<3xui64> {qc.name = "a"}, %b: tensor<3xui64> {qc.name = "b"},
                %c: tensor<3xui32> {qc.name = "c"}, %d: tensor<3xui32> {qc.name = "d"})
    -> (tensor<3xui64>, tensor<3xui64>, tensor<3xui64>, tensor<3xi1>, tensor<3xui32>) {
  %0 = qc.max %a, %b : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %1 = qc.min %a, %b : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %2 = qc.mod %a, %b {fmod = false} : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %3 = qc.less %a, %b : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xi1>
  %4 = qc.mod %c, %d {fmod = false} : (tensor<3xui32>, tensor<3xui32>) -> tensor<3xui32>
  return %0, %1, %2, %3, %4 : tensor<3xui64>, tensor<3xui64>, tensor<3xui64>, tensor<3xi1>, tensor<3xui32>
}
)";
  std::vector<npz::Array> out = runArrays(
      src,
      {array<uint64_t>("a", npz::DType::U64,
                       {0x8000000000000000ull, 5, 0xFFFFFFFFFFFFFFFFull}),
       array<uint64_t>("b", npz::DType::U64, {1, 0xFFFFFFFFFFFFFFF0ull, 10}),
       array<uint32_t>("c", npz::DType::U32, {0xFFFFFFFFu, 7, 0}),
       array<uint32_t>("d", npz::DType::U32, {10, 0x80000000u, 3})});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(values<uint64_t>(out[0]),
            (std::vector<uint64_t>{0x8000000000000000ull, 0xFFFFFFFFFFFFFFF0ull,
                                   0xFFFFFFFFFFFFFFFFull}));
  EXPECT_EQ(values<uint64_t>(out[1]), (std::vector<uint64_t>{1, 5, 10}));
  // (2^64 - 1) % 10 = 5 (as unsigned; as int64 it would be -1).
  EXPECT_EQ(values<uint64_t>(out[2]), (std::vector<uint64_t>{0, 5, 5}));
  EXPECT_EQ(out[3].dtype, npz::DType::Bool);
  EXPECT_EQ(out[3].data, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(out[4].dtype, npz::DType::U32);
  EXPECT_EQ(values<uint32_t>(out[4]), (std::vector<uint32_t>{5, 7, 0}));
}

TEST_F(ExecutorDTypeTest, IntegerCastsKeepTheLowBits) {
  const char *src = R"(
func.func @main(%a: tensor<3xi64> {qc.name = "a"}, %u: tensor<3xui64> {qc.name = "u"},
                %f: tensor<3xf32> {qc.name = "f"})
    -> (tensor<3xui8>, tensor<3xi16>, tensor<3xui64>, tensor<3xi64>, tensor<3xf32>,
        tensor<3xui8>, tensor<3xf64>, tensor<3xui64>) {
  %0 = qc.cast %a : (tensor<3xi64>) -> tensor<3xui8>
  %1 = qc.cast %a : (tensor<3xi64>) -> tensor<3xi16>
  %2 = qc.cast %a : (tensor<3xi64>) -> tensor<3xui64>
  %3 = qc.cast %u : (tensor<3xui64>) -> tensor<3xi64>
  %4 = qc.cast %u : (tensor<3xui64>) -> tensor<3xf32>
  %5 = qc.cast %f : (tensor<3xf32>) -> tensor<3xui8>
  %6 = qc.cast %f : (tensor<3xf32>) -> tensor<3xf64>
  %7 = qc.cast %f : (tensor<3xf32>) -> tensor<3xui64>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<3xui8>, tensor<3xi16>, tensor<3xui64>,
      tensor<3xi64>, tensor<3xf32>, tensor<3xui8>, tensor<3xf64>, tensor<3xui64>
}
)";
  std::vector<npz::Array> out = runArrays(
      src, {array<int64_t>("a", npz::DType::I64, {-1, 300, 70000}),
            array<uint64_t>("u", npz::DType::U64,
                            {0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull, 3}),
            array<float>("f", npz::DType::F32, {300.7f, -2.5f, 1e20f})});
  ASSERT_EQ(out.size(), 8u);
  // Integer to integer: the low bits, reinterpreted (ONNX Cast).
  EXPECT_EQ(values<uint8_t>(out[0]), (std::vector<uint8_t>{255, 44, 112}));
  EXPECT_EQ(values<int16_t>(out[1]), (std::vector<int16_t>{-1, 300, 4464}));
  EXPECT_EQ(values<uint64_t>(out[2]),
            (std::vector<uint64_t>{0xFFFFFFFFFFFFFFFFull, 300, 70000}));
  EXPECT_EQ(values<int64_t>(out[3]), (std::vector<int64_t>{-1, INT64_MIN, 3}));
  // ui64 to float reads the value as unsigned.
  EXPECT_EQ(values<float>(out[4]),
            (std::vector<float>{18446744073709551616.0f, 9223372036854775808.0f,
                                3.0f}));
  // Float to integer truncates and clamps (ONNX leaves overflow undefined).
  EXPECT_EQ(values<uint8_t>(out[5]), (std::vector<uint8_t>{255, 0, 255}));
  EXPECT_EQ(out[6].dtype, npz::DType::F64);
  EXPECT_EQ(values<double>(out[6]),
            (std::vector<double>{(double)300.7f, -2.5, (double)1e20f}));
  EXPECT_EQ(values<uint64_t>(out[7]),
            (std::vector<uint64_t>{300, 0, 0xFFFFFFFFFFFFFFFFull}));
}

TEST_F(ExecutorDTypeTest, PowMixesTypes) {
  const char *src = R"(
func.func @main(%x: tensor<3xf32> {qc.name = "x"}, %n: tensor<3xi64> {qc.name = "n"},
                %k: tensor<3xi32> {qc.name = "k"}, %y: tensor<3xf32> {qc.name = "y"},
                %u: tensor<3xui32> {qc.name = "u"})
    -> (tensor<3xf32>, tensor<3xi32>, tensor<3xi64>, tensor<3xf32>) {
  %0 = qc.pow %x, %n : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  %1 = qc.pow %k, %y : (tensor<3xi32>, tensor<3xf32>) -> tensor<3xi32>
  %2 = qc.pow %n, %n : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %3 = qc.pow %x, %u : (tensor<3xf32>, tensor<3xui32>) -> tensor<3xf32>
  return %0, %1, %2, %3 : tensor<3xf32>, tensor<3xi32>, tensor<3xi64>, tensor<3xf32>
}
)";
  std::vector<npz::Array> out = runArrays(
      src, {array<float>("x", npz::DType::F32, {2.0f, -3.0f, 0.5f}),
            array<int64_t>("n", npz::DType::I64, {10, 3, 39}),
            array<int32_t>("k", npz::DType::I32, {2, 9, -8}),
            array<float>("y", npz::DType::F32, {0.5f, 0.5f, 1.0f / 3}),
            array<uint32_t>("u", npz::DType::U32, {3, 2, 1})});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(values<float>(out[0]),
            (std::vector<float>{1024.0f, -27.0f, (float)std::ldexp(1.0, -39)}));
  // int ^ float: computed in double, truncated toward zero (sqrt 2 -> 1;
  // cbrt(-8) is NaN in C's pow -> 0).
  EXPECT_EQ(out[1].dtype, npz::DType::I32);
  EXPECT_EQ(values<int32_t>(out[1]), (std::vector<int32_t>{1, 3, 0}));
  // int ^ int exactly: 39^39 wraps in int64 as repeated multiplication does;
  // 10^10 and 3^3 are exact.
  uint64_t p = 1;
  for (int i = 0; i < 39; ++i)
    p *= 39;
  EXPECT_EQ(values<int64_t>(out[2]),
            (std::vector<int64_t>{10000000000, 27, (int64_t)p}));
  EXPECT_EQ(values<float>(out[3]), (std::vector<float>{8.0f, 9.0f, 0.5f}));
}

} // namespace

namespace {
TEST_F(ExecutorDTypeTest, BitShiftDropsBitsAndSaturatesTheCount) {
  const char *src = R"(
func.func @main(%a: tensor<4xui8> {qc.name = "a"}, %n: tensor<4xui8> {qc.name = "n"},
                %b: tensor<4xui64> {qc.name = "b"}, %m: tensor<4xui64> {qc.name = "m"})
    -> (tensor<4xui8>, tensor<4xui8>, tensor<4xui64>, tensor<4xui64>) {
  %0 = qc.bit_shift %a, %n {direction = #qc.shift_direction<LEFT>} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %1 = qc.bit_shift %a, %n {direction = #qc.shift_direction<RIGHT>} : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %2 = qc.bit_shift %b, %m {direction = #qc.shift_direction<LEFT>} : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xui64>
  %3 = qc.bit_shift %b, %m {direction = #qc.shift_direction<RIGHT>} : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xui64>
  return %0, %1, %2, %3 : tensor<4xui8>, tensor<4xui8>, tensor<4xui64>, tensor<4xui64>
}
)";
  std::vector<npz::Array> out =
      runArrays(src, {array<uint8_t>("a", npz::DType::U8, {0x81, 0xFF, 3, 1}),
                      array<uint8_t>("n", npz::DType::U8, {1, 4, 8, 200}),
                      array<uint64_t>("b", npz::DType::U64,
                                      {0x8000000000000001ull, 1, 0xFFull, 5}),
                      array<uint64_t>("m", npz::DType::U64, {1, 63, 64, 0})});
  ASSERT_EQ(out.size(), 4u);
  // Bits leaving the width are lost; a count >= the width gives 0.
  EXPECT_EQ(values<uint8_t>(out[0]), (std::vector<uint8_t>{0x02, 0xF0, 0, 0}));
  EXPECT_EQ(values<uint8_t>(out[1]), (std::vector<uint8_t>{0x40, 0x0F, 0, 0}));
  EXPECT_EQ(values<uint64_t>(out[2]),
            (std::vector<uint64_t>{2, 0x8000000000000000ull, 0, 5}));
  EXPECT_EQ(values<uint64_t>(out[3]),
            (std::vector<uint64_t>{0x4000000000000000ull, 0, 0, 5}));
}
} // namespace
