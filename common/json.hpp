#pragma once
// JSON text helpers shared by every room.

#include <string>
#include <string_view>

namespace reznet::common {

// JSON string literal with escapes.
std::string JsonQuote(std::string_view s);
// A number as people read it: "0.0512", "200", never "5.12E-2".
std::string JsonNumber(double v);

}  // namespace reznet::common
