// Addresses: parsing, putting one into a target template (WithAddress, declared with the modules
// that use it), allow lists.
#include "config/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include "common/redact.hpp"
#include "config/module.hpp"

namespace reznet::config {
namespace {

bool InCidr(const Cidr& c, const std::uint8_t* addr) {
  int bits = c.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (c.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::string ReplaceAuthority(const std::string& uri, const HostPort& hp) {
  auto start = uri.find("://");
  if (start == std::string::npos) return uri;
  start += 3;
  auto end = uri.find_first_of("/?#", start);
  if (end == std::string::npos) end = uri.size();
  auto at = uri.rfind('@', end);
  if (at != std::string::npos && at >= start) start = at + 1;
  return uri.substr(0, start) + hp.ToString() + uri.substr(end);
}

std::unexpected<common::Error<>> AddressError(std::string_view address, const std::string& why) {
  std::string shown = common::MaskUrlUserInfo(address);
  if (shown.size() > 120) shown = shown.substr(0, 120) + "…";
  return common::Invalid("target \"" + shown + "\": " + why);
}

common::Result<Addressed> WithAddress(const TargetConfig& tmpl, AddressRewrite rewrite,
                                      std::string_view address) {
  if (address.empty()) return AddressError(address, "empty; write host:port or a URL");
  if (address.size() > 2048) return AddressError(address, "longer than 2048 characters");
  if (address.find('@') != std::string_view::npos) {
    // Not echoed: what precedes the '@' may be a password.
    return common::Invalid(
        "a target with credentials (user@host) is not accepted; the module's target holds them");
  }
  if (rewrite == nullptr) return AddressError(address, "this kind takes no target address");
  return rewrite(tmpl, address);
}

common::Result<Addressed> UrlAddress(const TargetConfig& tmpl, std::string_view address) {
  Addressed out{tmpl, {}};
  if (address.find("://") != std::string_view::npos) {
    auto url = ParseUrl(address);
    if (!url) return common::Invalid(url.error().detail);
    out.target.url = *url;
  } else {
    Url url = tmpl.url.value_or(Url{"http", {}, 0, ""});
    const std::uint16_t default_port = url.scheme == "https" ? 443 : 80;
    auto hp = ParseHostPort(address, default_port);
    if (!hp) return AddressError(address, hp.error().detail);
    url.host = std::move(hp->host);
    url.port = hp->port;
    out.target.url = url;
  }
  out.where = {out.target.url->host, out.target.url->port};
  return out;
}

common::Result<Cidr> ParseCidr(std::string_view text) {
  Cidr c;
  c.text = std::string(text);
  auto slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  c.v6 = addr.find(':') != std::string::npos;
  if (inet_pton(c.v6 ? AF_INET6 : AF_INET, addr.c_str(), c.bytes) != 1)
    return common::Invalid("\"" + std::string(text) +
                           "\" is not a CIDR like 10.0.0.0/8 or fd00::/8");
  const int max = c.v6 ? 128 : 32;
  c.prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), c.prefix);
    if (ec != std::errc() || ptr != bits.data() + bits.size() || c.prefix < 0 || c.prefix > max)
      return common::Invalid("\"" + std::string(text) + "\": the prefix length must be 0…" +
                             std::to_string(max));
  }
  return c;
}

bool HostMatches(std::string_view pattern, std::string_view host) {
  // Iterative glob with one backtrack point: linear enough for host-sized strings.
  std::size_t p = 0, h = 0, star = std::string_view::npos, mark = 0;
  while (h < host.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = h;
    } else if (p < pattern.size() && pattern[p] == host[h]) {
      ++p;
      ++h;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      h = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool AllowList::Allows(const HostPort& where) const {
  if (!ports.empty() && std::none_of(ports.begin(), ports.end(), [&](const auto& r) {
        return where.port >= r.first && where.port <= r.second;
      }))
    return false;
  const Host& h = where.host;
  if (!h.literal()) {
    return std::any_of(hosts.begin(), hosts.end(),
                       [&](const std::string& p) { return HostMatches(p, h.text); });
  }
  // An address is judged by the blocks of its family; one that carries an IPv4 address only by
  // the IPv4 blocks (so "::/0" does not open every IPv4 address through ::ffff:a.b.c.d).
  const auto v4 = h.v4();
  const bool v6 = !v4.has_value();
  const std::uint8_t* bytes = v6 ? h.addr.data() : v4->data();
  return std::any_of(cidrs.begin(), cidrs.end(),
                     [&](const Cidr& c) { return c.v6 == v6 && InCidr(c, bytes); });
}

}  // namespace reznet::config
