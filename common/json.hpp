#pragma once
// The one way the project writes JSON: build a boost::json::value, then WriteJson it.
//
// WriteJson differs from boost::json::serialize only in how it spells numbers and spaces:
// doubles as people read them ("0.0512", "200", never "5.12E-2"; non-finite ones as null) and
// ", " / ": " between items (kTight: none, for the suite history line, which has always been
// written that way), so documents read the same as they always have. Object keys keep insertion
// order (boost::json::object does).

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace reznet::common {

enum class JsonStyle {
  kCompact,  // one line: {"a": 1, "b": [1, 2]}
  kTight,    // one line without spaces: {"a":1,"b":[1,2]}
  kPretty,   // two-space indentation, one member per line
};

std::string WriteJson(const boost::json::value& value, JsonStyle style = JsonStyle::kCompact);

// JSON string literal with escapes (what WriteJson writes for a string); bytes that are not
// valid UTF-8 become U+FFFD, so the document stays valid JSON.
std::string JsonQuote(std::string_view s);
// A number as people read it: "0.0512", "200", never "5.12E-2"; null when not finite.
std::string JsonNumber(double v);

}  // namespace reznet::common
