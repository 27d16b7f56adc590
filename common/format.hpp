#pragma once
// Text for people: durations, times and lists, written one way everywhere.

#include <string>

namespace reznet::common {

// A duration in seconds as people read it: "412 µs", "12.3 ms", "1.25 s".
std::string FormatSeconds(double seconds);

}  // namespace reznet::common
