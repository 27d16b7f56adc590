#pragma once
// Where a target given at run time aims (config/module.hpp), and the allow list that decides
// whether it may. An allow list (the SSRF guard) decides which of those a module may reach: host
// patterns
// (`*` matches any run of characters, case-insensitive), CIDRs (matched against IP-literal hosts
// only: a name is never resolved to decide, so DNS cannot widen the list) and ports (a list of
// ports and ranges; none listed: any port). An empty list allows nothing.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reznet::config {

struct HostPort {
  std::string host;  // lower-case; IPv6 without brackets
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// One CIDR block, IPv4 or IPv6.
struct Cidr {
  bool v6 = false;
  std::uint8_t bytes[16] = {};
  int prefix = 0;
  std::string text;  // as written, for messages
  bool operator==(const Cidr&) const = default;
};
std::expected<Cidr, std::string> ParseCidr(std::string_view text);

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
