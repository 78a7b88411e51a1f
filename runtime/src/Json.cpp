//===- Json.cpp - a small JSON parser for package manifests ---------------===//
//
// See Json.h for what is accepted. The parser never recurses deeper than the
// depth limit and never reads past the end of the buffer.
//
//===----------------------------------------------------------------------===//
#include "Json.h"

#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace qcrt::json;

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.b_ = b;
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = Kind::Int;
  v.i_ = i;
  return v;
}
Value Value::number(double d) {
  Value v;
  v.kind_ = Kind::Double;
  v.d_ = d;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.s_ = std::move(s);
  return v;
}
Value Value::array() {
  Value v;
  v.kind_ = Kind::Array;
  return v;
}
Value Value::object() {
  Value v;
  v.kind_ = Kind::Object;
  return v;
}

const Value *Value::get(const std::string &key) const {
  for (const auto &m : members_)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

const char *Value::kindName(Kind k) {
  switch (k) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "a boolean";
  case Kind::Int:
    return "an integer";
  case Kind::Double:
    return "a number";
  case Kind::String:
    return "a string";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "?";
}

std::string ParseError::str() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column) +
         " (byte " + std::to_string(offset) + "): " + message;
}

namespace {

class Parser {
public:
  Parser(const char *data, size_t size, int maxDepth)
      : p_(data), end_(data + size), begin_(data), maxDepth_(maxDepth) {}

  bool document(Value &out, ParseError &err) {
    skipSpace();
    if (!value(out, 0))
      return fail(err);
    skipSpace();
    if (p_ != end_) {
      error("unexpected text after the JSON value");
      return fail(err);
    }
    return true;
  }

private:
  const char *p_, *end_, *begin_;
  int maxDepth_;
  const char *errAt_ = nullptr;
  std::string errMsg_;

  bool error(const std::string &msg, const char *at = nullptr) {
    if (errMsg_.empty()) {
      errMsg_ = msg;
      errAt_ = at ? at : p_;
    }
    return false;
  }

  bool fail(ParseError &err) {
    err.offset = (size_t)(errAt_ - begin_);
    err.line = 1;
    err.column = 1;
    for (const char *q = begin_; q < errAt_; ++q) {
      if (*q == '\n') {
        ++err.line;
        err.column = 1;
      } else {
        ++err.column;
      }
    }
    err.message = errMsg_;
    return false;
  }

  void skipSpace() {
    while (p_ != end_ &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }

  static std::string describe(char c) {
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f)
      return std::string("'") + c + "'";
    char buf[16];
    snprintf(buf, sizeof buf, "byte 0x%02x", u);
    return buf;
  }

  bool literal(const char *word, Value v, Value &out) {
    size_t n = strlen(word);
    if ((size_t)(end_ - p_) < n || memcmp(p_, word, n) != 0)
      return error(std::string("invalid literal (expected '") + word + "')");
    p_ += n;
    out = std::move(v);
    return true;
  }

  bool value(Value &out, int depth) {
    if (p_ == end_)
      return error("unexpected end of input (expected a value)");
    switch (*p_) {
    case '{':
      return object(out, depth + 1);
    case '[':
      return array(out, depth + 1);
    case '"': {
      std::string s;
      if (!string(s))
        return false;
      out = Value::string(std::move(s));
      return true;
    }
    case 't':
      return literal("true", Value::boolean(true), out);
    case 'f':
      return literal("false", Value::boolean(false), out);
    case 'n':
      return literal("null", Value::null(), out);
    default:
      if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))
        return number(out);
      return error("unexpected " + describe(*p_) + " (expected a value)");
    }
  }

  bool object(Value &out, int depth) {
    if (depth > maxDepth_)
      return error("nesting deeper than " + std::to_string(maxDepth_) +
                   " levels");
    ++p_; // '{'
    out = Value::object();
    skipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      skipSpace();
      if (p_ == end_)
        return error("unexpected end of input in an object");
      if (*p_ != '"')
        return error("unexpected " + describe(*p_) +
                     " (expected a string key)");
      const char *keyAt = p_;
      std::string key;
      if (!string(key))
        return false;
      if (out.get(key))
        return error("duplicate key \"" + key + "\"", keyAt);
      skipSpace();
      if (p_ == end_)
        return error("unexpected end of input in an object");
      if (*p_ != ':')
        return error("unexpected " + describe(*p_) + " (expected ':')");
      ++p_;
      skipSpace();
      Value v;
      if (!value(v, depth))
        return false;
      out.members().emplace_back(std::move(key), std::move(v));
      skipSpace();
      if (p_ == end_)
        return error("unexpected end of input in an object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      return error("unexpected " + describe(*p_) + " (expected ',' or '}')");
    }
  }

  bool array(Value &out, int depth) {
    if (depth > maxDepth_)
      return error("nesting deeper than " + std::to_string(maxDepth_) +
                   " levels");
    ++p_; // '['
    out = Value::array();
    skipSpace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      skipSpace();
      Value v;
      if (!value(v, depth))
        return false;
      out.items().push_back(std::move(v));
      skipSpace();
      if (p_ == end_)
        return error("unexpected end of input in an array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      return error("unexpected " + describe(*p_) + " (expected ',' or ']')");
    }
  }

  static int hexDigit(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  bool hex4(unsigned &cp) {
    if (end_ - p_ < 4)
      return error("unexpected end of input in a \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      int d = hexDigit(p_[i]);
      if (d < 0)
        return error("invalid hex digit in a \\u escape", p_ + i);
      cp = cp * 16 + (unsigned)d;
    }
    p_ += 4;
    return true;
  }

  static void appendUtf8(std::string &s, unsigned cp) {
    if (cp < 0x80) {
      s += (char)cp;
    } else if (cp < 0x800) {
      s += (char)(0xC0 | (cp >> 6));
      s += (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += (char)(0xE0 | (cp >> 12));
      s += (char)(0x80 | ((cp >> 6) & 0x3F));
      s += (char)(0x80 | (cp & 0x3F));
    } else {
      s += (char)(0xF0 | (cp >> 18));
      s += (char)(0x80 | ((cp >> 12) & 0x3F));
      s += (char)(0x80 | ((cp >> 6) & 0x3F));
      s += (char)(0x80 | (cp & 0x3F));
    }
  }

  /// One UTF-8 sequence starting at p_ (a byte >= 0x80), copied to `s`.
  bool utf8(std::string &s) {
    const unsigned char *q = (const unsigned char *)p_;
    unsigned c = q[0];
    int n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
      min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
      min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return error("invalid UTF-8 in a string");
    }
    if (end_ - p_ < n + 1)
      return error("truncated UTF-8 sequence in a string");
    for (int i = 1; i <= n; ++i) {
      if ((q[i] & 0xC0) != 0x80)
        return error("invalid UTF-8 in a string");
      cp = (cp << 6) | (q[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return error("invalid UTF-8 in a string (overlong form, surrogate or "
                   "code point above U+10FFFF)");
    s.append(p_, (size_t)n + 1);
    p_ += n + 1;
    return true;
  }

  bool string(std::string &s) {
    const char *start = p_;
    ++p_; // '"'
    while (true) {
      if (p_ == end_)
        return error("unterminated string", start);
      unsigned char c = (unsigned char)*p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20)
        return error("control character " + describe((char)c) +
                     " in a string (must be escaped)");
      if (c >= 0x80) {
        if (!utf8(s))
          return false;
        continue;
      }
      if (c != '\\') {
        s += (char)c;
        ++p_;
        continue;
      }
      const char *escAt = p_;
      ++p_;
      if (p_ == end_)
        return error("unterminated string", start);
      char e = *p_++;
      switch (e) {
      case '"':
        s += '"';
        break;
      case '\\':
        s += '\\';
        break;
      case '/':
        s += '/';
        break;
      case 'b':
        s += '\b';
        break;
      case 'f':
        s += '\f';
        break;
      case 'n':
        s += '\n';
        break;
      case 'r':
        s += '\r';
        break;
      case 't':
        s += '\t';
        break;
      case 'u': {
        unsigned cp;
        if (!hex4(cp))
          return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return error("unpaired low surrogate in a \\u escape", escAt);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
            return error("unpaired high surrogate in a \\u escape", escAt);
          p_ += 2;
          unsigned lo;
          if (!hex4(lo))
            return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return error("high surrogate not followed by a low surrogate",
                         escAt);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(s, cp);
        break;
      }
      default:
        return error("invalid escape '\\" + std::string(1, e) + "'", escAt);
      }
    }
  }

  bool number(Value &out) {
    const char *start = p_;
    bool isInteger = true;
    if (*p_ == '-')
      ++p_;
    if (p_ == end_ || !(*p_ >= '0' && *p_ <= '9'))
      return error("invalid number (expected a digit)");
    if (*p_ == '0') {
      ++p_;
      if (p_ != end_ && *p_ >= '0' && *p_ <= '9')
        return error("invalid number (leading zero)", start);
    } else {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9')
        ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      isInteger = false;
      ++p_;
      if (p_ == end_ || !(*p_ >= '0' && *p_ <= '9'))
        return error("invalid number (expected a digit after '.')");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9')
        ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      isInteger = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (p_ == end_ || !(*p_ >= '0' && *p_ <= '9'))
        return error("invalid number (expected a digit in the exponent)");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9')
        ++p_;
    }
    std::string text(start, p_);
    if (isInteger) {
      // Exact int64 when it fits; accumulate with overflow checks.
      bool neg = text[0] == '-';
      uint64_t mag = 0;
      bool overflow = false;
      for (size_t i = neg ? 1 : 0; i < text.size(); ++i) {
        uint64_t d = (uint64_t)(text[i] - '0');
        if (mag > (UINT64_MAX - d) / 10) {
          overflow = true;
          break;
        }
        mag = mag * 10 + d;
      }
      uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
      if (!overflow && mag <= limit) {
        int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN
                                                          : -(int64_t)mag)
                        : (int64_t)mag;
        out = Value::integer(v);
        return true;
      }
    }
    // strtod honours the C locale's decimal point; the grammar above
    // guarantees '.' so replace it if the locale uses another one.
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && dp[1] == 0)
      for (char &ch : text)
        if (ch == '.')
          ch = dp[0];
    errno = 0;
    char *endp = nullptr;
    double d = strtod(text.c_str(), &endp);
    if (endp != text.c_str() + text.size())
      return error("invalid number", start);
    if (!std::isfinite(d))
      return error("number out of range", start);
    out = Value::number(d);
    return true;
  }
};

} // namespace

bool qcrt::json::parse(const char *data, size_t size, Value &out,
                       ParseError &err, int maxDepth) {
  Parser p(data, size, maxDepth);
  return p.document(out, err);
}
