#pragma once
// Value syntax shared by every config section: durations with units, ratios, URLs, ${VAR}
// expansion. All functions are pure and thread-safe; failures return std::unexpected with a message
// meant to be shown to the user after "file:line:col: path: ".

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "config/host.hpp"

namespace reznet::config {

using Duration = std::chrono::nanoseconds;

// "250ms", "5s", "2m", "1h", "1.5s", "100us", "10ns"; compound forms like "1m30s" too.
// A bare number is rejected: the unit is always explicit.
common::Result<Duration> ParseDuration(std::string_view text);

// Formats the shortest exact form back ("1m30s", "250ms"); used in messages and reports.
std::string FormatDuration(Duration d);

// "60%" -> 0.6, "0.6" -> 0.6. Result must lie in [0, 1].
common::Result<double> ParseRatio(std::string_view text);

// An absolute http(s) URL, split once at load time: the host parsed by ParseHost (what clients
// connect to), the path checked by ValidateRequestTarget.
struct Url {
  std::string scheme;  // "http" or "https"
  Host host;
  std::uint16_t port = 0;
  std::string path;  // base path without trailing slash ("" for root)
  bool operator==(const Url&) const = default;
  // "host" or "host:port" when the port is not the scheme's default (for the Host header).
  std::string HostHeader() const;
  std::string ToString() const;
};
common::Result<Url> ParseUrl(std::string_view text);

// Expands ${VAR} and ${VAR:-default}; "$$" is a literal "$". An unset variable without default is
// an error naming the variable. `lookup` defaults to getenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
common::Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& lookup = {});

}  // namespace reznet::config
