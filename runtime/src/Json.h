//===- Json.h - a small JSON parser for package manifests -------*- C++ -*-===//
//
// Recursive descent over RFC 8259 text, meant for untrusted input:
//  * nesting deeper than a limit (default 128) is an error, not a stack
//    overflow;
//  * strings must be valid UTF-8 (no overlong forms, no surrogates, nothing
//    above U+10FFFF); escapes include \uXXXX with surrogate pairs; raw
//    control characters are rejected;
//  * numbers follow the JSON grammar; an integer literal (no fraction or
//    exponent) that fits int64 is kept exact, every other number is a
//    double (an integer literal beyond int64 becomes a double too);
//  * duplicate object keys are an error (the manifest is never ambiguous);
//  * errors give the byte offset, line and column.
// Objects keep their keys in file order.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_RT_JSON_H
#define QUANTC_RT_JSON_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace qcrt::json {

class Value {
public:
  enum class Kind { Null, Bool, Int, Double, String, Array, Object };

  Value() = default;
  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value array();
  static Value object();

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isInt() const { return kind_ == Kind::Int; }
  bool isNumber() const { return kind_ == Kind::Int || kind_ == Kind::Double; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  bool asBool() const { return b_; }
  int64_t asInt() const { return i_; }
  /// The number as a double (an Int converted).
  double asDouble() const { return kind_ == Kind::Int ? (double)i_ : d_; }
  const std::string &asString() const { return s_; }

  /// Array elements (empty unless an array).
  const std::vector<Value> &items() const { return items_; }
  std::vector<Value> &items() { return items_; }
  /// Object members in file order (empty unless an object).
  const std::vector<std::pair<std::string, Value>> &members() const {
    return members_;
  }
  std::vector<std::pair<std::string, Value>> &members() { return members_; }
  /// The member named `key`, or nullptr (also when not an object).
  const Value *get(const std::string &key) const;

  /// "null", "a boolean", "an integer", "a number", "a string", ...
  static const char *kindName(Kind k);
  const char *kindName() const { return kindName(kind_); }

private:
  Kind kind_ = Kind::Null;
  bool b_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> members_;
};

struct ParseError {
  size_t offset = 0; // byte offset of the error
  size_t line = 1;   // 1-based
  size_t column = 1; // 1-based, in bytes
  std::string message;
  /// "line L, column C (byte B): message"
  std::string str() const;
};

/// Parses one JSON document (surrounding whitespace allowed). Returns false
/// and fills `err` on malformed text or nesting deeper than `maxDepth`.
bool parse(const char *data, size_t size, Value &out, ParseError &err,
           int maxDepth = 128);
inline bool parse(const std::string &text, Value &out, ParseError &err,
                  int maxDepth = 128) {
  return parse(text.data(), text.size(), out, err, maxDepth);
}

} // namespace qcrt::json

#endif // QUANTC_RT_JSON_H
