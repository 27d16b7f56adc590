#pragma once
// Text for people: durations, times and lists, written one way everywhere.

#include <string>
#include <string_view>
#include <vector>

namespace reznet::common {

// A duration in seconds as people read it: "412 µs", "12.3 ms", "1.25 s".
std::string FormatSeconds(double seconds);

// The items with `sep` between them: Join({"a", "b"}, ", ") is "a, b"; no items give "".
std::string Join(const std::vector<std::string>& items, std::string_view sep);

}  // namespace reznet::common
