//===- JsonTest.cpp - libquantc_rt's JSON parser --------------------------===//
#include "Json.h"

#include "gtest/gtest.h"

#include <string>

using qcrt::json::ParseError;
using qcrt::json::Value;

namespace {

Value ok(const std::string &text) {
  Value v;
  ParseError e;
  EXPECT_TRUE(qcrt::json::parse(text, v, e)) << text << ": " << e.str();
  return v;
}

ParseError bad(const std::string &text, int depth = 128) {
  Value v;
  ParseError e;
  EXPECT_FALSE(qcrt::json::parse(text, v, e, depth)) << text;
  return e;
}

TEST(RuntimeJson, ValidDocument) {
  Value v = ok(" {\"a\": [1, -2.5, true, false, null, \"s\"], \"b\": {}, "
               "\"c\": []}\n");
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "a"); // file order kept
  EXPECT_EQ(v.members()[2].first, "c");
  const Value *a = v.get("a");
  ASSERT_TRUE(a && a->isArray());
  ASSERT_EQ(a->items().size(), 6u);
  EXPECT_TRUE(a->items()[0].isInt());
  EXPECT_EQ(a->items()[0].asInt(), 1);
  EXPECT_EQ(a->items()[1].kind(), Value::Kind::Double);
  EXPECT_DOUBLE_EQ(a->items()[1].asDouble(), -2.5);
  EXPECT_TRUE(a->items()[2].asBool());
  EXPECT_FALSE(a->items()[3].asBool());
  EXPECT_TRUE(a->items()[4].isNull());
  EXPECT_EQ(a->items()[5].asString(), "s");
  EXPECT_TRUE(v.get("b")->isObject());
  EXPECT_EQ(v.get("missing"), nullptr);
  EXPECT_TRUE(ok("7").isInt());
  EXPECT_TRUE(ok("\"\"").isString());
}

TEST(RuntimeJson, Numbers) {
  EXPECT_EQ(ok("0").asInt(), 0);
  EXPECT_EQ(ok("-0").asInt(), 0);
  EXPECT_EQ(ok("9223372036854775807").asInt(), INT64_MAX);
  EXPECT_EQ(ok("-9223372036854775808").asInt(), INT64_MIN);
  // Beyond int64: a double, not a wrapped integer.
  Value big = ok("9223372036854775808");
  EXPECT_EQ(big.kind(), Value::Kind::Double);
  EXPECT_DOUBLE_EQ(big.asDouble(), 9223372036854775808.0);
  EXPECT_EQ(ok("123456789012345678901234567890").kind(), Value::Kind::Double);
  EXPECT_DOUBLE_EQ(ok("1.5e3").asDouble(), 1500.0);
  EXPECT_DOUBLE_EQ(ok("2E-2").asDouble(), 0.02);
  EXPECT_DOUBLE_EQ(ok("-0.125").asDouble(), -0.125);
  EXPECT_EQ(ok("1e2").kind(), Value::Kind::Double); // exponent: a double
  for (const char *t : {"01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10",
                        "-a", "1.e3", "NaN", "Infinity"})
    bad(t);
  EXPECT_NE(bad("1e999").message.find("out of range"), std::string::npos);
}

TEST(RuntimeJson, StringsAndEscapes) {
  EXPECT_EQ(ok(R"("a\"b\\c\/d\b\f\n\r\t")").asString(),
            "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(ok(R"("\u00e9")").asString(), "\xC3\xA9");       // é
  EXPECT_EQ(ok(R"("\u20AC")").asString(), "\xE2\x82\xAC");   // €
  EXPECT_EQ(ok(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80"); // 😀
  EXPECT_EQ(ok(R"("\u0000x")").asString(), std::string("\0x", 2));
  EXPECT_EQ(ok("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"").asString(),
            "caf\xC3\xA9 \xF0\x9F\x98\x80"); // raw UTF-8 kept
  EXPECT_NE(bad(R"("\x41")").message.find("invalid escape"), std::string::npos);
  EXPECT_NE(bad(R"("\ud83d")").message.find("surrogate"), std::string::npos);
  EXPECT_NE(bad(R"("\ude00")").message.find("surrogate"), std::string::npos);
  EXPECT_NE(bad(R"("\ud83d\u0041")").message.find("surrogate"),
            std::string::npos);
  bad(R"("\u12G4")");
  bad(R"("\u12")");
  EXPECT_NE(bad("\"a\nb\"").message.find("control character"),
            std::string::npos);
  // Invalid UTF-8: overlong '/', an encoded surrogate, a lone continuation
  // byte, a truncated sequence, a code point above U+10FFFF.
  for (const char *t : {"\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\x80\"",
                        "\"\xE2\x82\"", "\"\xF4\x90\x80\x80\""})
    EXPECT_NE(bad(t).message.find("UTF-8"), std::string::npos) << t;
  EXPECT_NE(bad("\"abc").message.find("unterminated"), std::string::npos);
}

TEST(RuntimeJson, Malformed) {
  ParseError e = bad("{\n  \"a\": 1,\n  \"b\" 2\n}");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 7u);
  EXPECT_EQ(e.offset, 18u);
  EXPECT_NE(e.message.find("expected ':'"), std::string::npos);
  EXPECT_NE(e.str().find("line 3, column 7 (byte 18)"), std::string::npos);
  bad("");
  bad("   ");
  bad("[1, 2,]");
  bad("{\"a\": 1,}");
  bad("[1 2]");
  bad("{1: 2}");
  bad("[");
  bad("{\"a\"");
  bad("tru");
  bad("nul");
  EXPECT_NE(bad("{} x").message.find("after the JSON value"), std::string::npos);
  EXPECT_NE(bad("{\"k\": 1, \"k\": 2}").message.find("duplicate key"),
            std::string::npos);
  EXPECT_NE(bad(std::string("[1, \0]", 6)).message.find("byte 0x00"),
            std::string::npos);
}

TEST(RuntimeJson, DepthLimit) {
  std::string ok128 = std::string(128, '[') + std::string(128, ']');
  ok(ok128);
  std::string deep = std::string(129, '[') + std::string(129, ']');
  EXPECT_NE(bad(deep).message.find("nesting deeper than 128"),
            std::string::npos);
  // Far deeper than any stack: an error, not a crash.
  bad(std::string(1000000, '['));
  bad(std::string(100000, '{'));
  std::string objs;
  for (int i = 0; i < 10; ++i)
    objs += "{\"a\":";
  objs += "1" + std::string(10, '}');
  ok(objs);
  EXPECT_NE(bad(objs, 9).message.find("nesting"), std::string::npos);
}

} // namespace
