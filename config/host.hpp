#pragma once
// The host of a URL or target, parsed once: what the allow list judges (config/address.hpp) is
// exactly what the clients connect to. One strict parser for every place a host is accepted
// (config URLs, `/probe` targets, discovered targets, redis URLs), and one for the request
// target (path and query) that goes on the request line.
//
// A host is one of:
//   a name      RFC 1123 labels of letters, digits, '-' and '_' (1..63 each, 253 in all), lower-
//               cased; never a number in any form the resolver would read as an IPv4 address
//               ("2130706433", "0x7f.1", "127.1" are refused: write the dotted quad);
//   an IPv4     a dotted quad, four decimal bytes ("127.0.0.1");
//   an IPv6     written in brackets in a URL, without a zone id ("%eth0" is refused: a zone
//               names an interface, not an address the allow list can judge), kept in the
//               canonical RFC 5952 form ("::ffff:127.0.0.1" for the mapped form).
// An IPv6 address that carries an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
// ::a.b.c.d) is judged as that IPv4 address: `v4()` gives it.
//
// All functions are pure and thread-safe; errors are messages for "target …: " or a config path.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace reznet::config {

struct Host {
  enum class Kind : std::uint8_t { kName, kIpv4, kIpv6 };
  Kind kind = Kind::kName;
  std::string text;                     // canonical; IPv6 without brackets
  std::array<std::uint8_t, 16> addr{};  // IPv4: the first 4 bytes; a name: zeros
  bool operator==(const Host&) const = default;

  bool literal() const { return kind != Kind::kName; }
  // The IPv4 address this host is judged as: an IPv4 literal, or the IPv4 address an
  // IPv4-mapped or IPv4-compatible IPv6 address carries; nullopt otherwise.
  std::optional<std::array<std::uint8_t, 4>> v4() const;
  // "host" or "[v6]", as it stands in a URL's authority.
  std::string Bracketed() const;
};

// A bare host: a name, an IPv4 literal or an IPv6 literal without brackets.
common::Result<Host> ParseHost(std::string_view text);

// "host", "host:port", "[v6]" or "[v6]:port"; `default_port` when none is written (0: a port
// is required).
struct HostPort {
  Host host;
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
  std::string ToString() const;  // "host:port" / "[v6]:port"
};
common::Result<HostPort> ParseHostPort(std::string_view text, std::uint16_t default_port);

// A request target's path and optional query ("/api/x?limit=5"), as it goes on the request line:
// RFC 3986 characters only (unreserved, sub-delims, ':', '@', '/', '?' after the path, and '%'
// followed by two hex digits). Nothing else: no control characters, spaces, '#', or raw
// non-ASCII. The error names the offending character and its position: 1-based, plus `offset`
// (the characters that precede `text` in what the user wrote).
common::Result<void> ValidateRequestTarget(std::string_view text, std::size_t offset = 0);

// RFC 9110 field names (tokens) and values (visible characters, spaces and tabs; no CR, LF or
// NUL). The error says what is wrong.
common::Result<void> ValidateHeaderName(std::string_view name);
common::Result<void> ValidateHeaderValue(std::string_view value);

}  // namespace reznet::config
