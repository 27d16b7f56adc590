#include "common/time.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace reznet::common {

std::string FormatUtc(double unix_seconds, const char* pattern) {
  const double whole = std::floor(unix_seconds);
  const auto t = static_cast<std::time_t>(whole);
  std::string fmt = pattern;
  if (auto at = fmt.find("%3f"); at != std::string::npos) {
    const int ms = std::min(999, static_cast<int>((unix_seconds - whole) * 1000.0 + 0.5));
    char digits[12];
    std::snprintf(digits, sizeof digits, "%03d", ms);
    fmt.replace(at, 3, digits);
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  const std::size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &tm);
  return std::string(buf, n);
}

std::string FormatUtc(std::chrono::system_clock::time_point t, const char* pattern) {
  return FormatUtc(UnixSeconds(t), pattern);
}

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace reznet::common
