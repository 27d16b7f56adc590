#pragma once
// The allow list (the SSRF guard) that decides which targets given at run time a module may
// reach (config/module.hpp). It judges the parsed host (config/host.hpp) the clients connect to:
//   hosts  patterns matched against host names only (`*` matches any run of characters,
//          case-insensitive); a name is never resolved to decide, so DNS cannot widen the list;
//   cidrs  matched against IP literals only; an IPv6 address carrying an IPv4 address
//          (::ffff:a.b.c.d, ::a.b.c.d) is judged as that IPv4 address, by the IPv4 blocks;
//   ports  ports and ranges; none listed: any port.
// An empty list allows nothing.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "config/host.hpp"

namespace reznet::config {

// One CIDR block, IPv4 or IPv6.
struct Cidr {
  bool v6 = false;
  std::uint8_t bytes[16] = {};
  int prefix = 0;
  std::string text;  // as written, for messages
  bool operator==(const Cidr&) const = default;
};
common::Result<Cidr> ParseCidr(std::string_view text);

struct AllowList {
  std::vector<std::string> hosts;  // patterns, lower-case
  std::vector<Cidr> cidrs;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> ports;  // inclusive ranges; empty: any
  bool operator==(const AllowList&) const = default;
  bool Allows(const HostPort& where) const;
  bool Empty() const { return hosts.empty() && cidrs.empty(); }
};

// `pattern` matches `host` (both lower-case), `*` matching any run of characters.
bool HostMatches(std::string_view pattern, std::string_view host);

}  // namespace reznet::config
