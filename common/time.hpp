#pragma once
// The one formatter of wall-clock times: UTC, with a strftime pattern; "%3f" stands for the
// milliseconds (not a strftime conversion).

#include <chrono>
#include <string>

namespace reznet::common {

inline constexpr const char* kRfc3339 = "%Y-%m-%dT%H:%M:%SZ";            // 2026-11-30T17:06:40Z
inline constexpr const char* kRfc3339Millis = "%Y-%m-%dT%H:%M:%S.%3fZ";  // Alertmanager
inline constexpr const char* kReadable = "%Y-%m-%d %H:%M:%S UTC";        // reports
inline constexpr const char* kClock = "%H:%M:%S";                        // status page
inline constexpr const char* kCompactStamp = "%Y%m%dT%H%M%SZ";           // run ids

// `unix_seconds` formatted in UTC.
std::string FormatUtc(double unix_seconds, const char* pattern);
std::string FormatUtc(std::chrono::system_clock::time_point t, const char* pattern);
// Unix seconds of a wall-clock time.
double UnixSeconds(std::chrono::system_clock::time_point t);

}  // namespace reznet::common
