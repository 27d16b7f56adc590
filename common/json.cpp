#include "common/json.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

#include "common/escape.hpp"

namespace reznet::common {

std::string JsonQuote(std::string_view raw) {
  // Invalid UTF-8 (bytes a hostile server sent, relayed in an error) would make the document
  // one that boost::json and every strict reader refuse: such bytes become U+FFFD.
  std::string valid;
  std::string_view s = raw;
  if (std::any_of(raw.begin(), raw.end(), [](char c) { return c & 0x80; })) {
    valid = ValidUtf8(raw);
    s = valid;
  }
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

namespace {

void Write(const boost::json::value& v, JsonStyle style, int depth, std::string& out) {
  const bool pretty = style == JsonStyle::kPretty;
  const char* item_sep = style == JsonStyle::kCompact ? ", " : ",";
  const char* key_sep = style == JsonStyle::kTight ? ":" : ": ";
  auto newline = [&](int d) {
    if (!pretty) return;
    out += '\n';
    out.append(static_cast<std::size_t>(d) * 2, ' ');
  };
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case boost::json::kind::double_:
      out += JsonNumber(v.get_double());
      return;
    case boost::json::kind::string:
      out += JsonQuote(v.get_string());
      return;
    case boost::json::kind::array: {
      const auto& a = v.get_array();
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += item_sep;
        newline(depth + 1);
        Write(a[i], style, depth + 1, out);
      }
      if (!a.empty()) newline(depth);
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      const auto& o = v.get_object();
      out += '{';
      bool first = true;
      for (const auto& kv : o) {
        if (!first) out += item_sep;
        first = false;
        newline(depth + 1);
        out += JsonQuote(kv.key());
        out += key_sep;
        Write(kv.value(), style, depth + 1, out);
      }
      if (!o.empty()) newline(depth);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string WriteJson(const boost::json::value& value, JsonStyle style) {
  std::string out;
  Write(value, style, 0, out);
  return out;
}

}  // namespace reznet::common
