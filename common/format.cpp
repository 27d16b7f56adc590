#include "common/format.hpp"

#include <cmath>
#include <cstdio>

namespace reznet::common {

std::string FormatSeconds(double seconds) {
  char buf[32];
  if (seconds >= 1)
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  else if (seconds >= 0.001)
    std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f µs", seconds * 1e6);
  return buf;
}

}  // namespace reznet::common
