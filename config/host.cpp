#include "config/host.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace reznet::config {
namespace {

bool IsAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHex(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "'\r' (0x0D)" or "'x'": how a refused character is named in a message.
std::string Named(unsigned char c) {
  char buf[16];
  if (c < 0x20 || c >= 0x7f) {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  } else {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  }
  return buf;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

common::Result<Host> ParseName(std::string_view text) {
  if (text.size() > 253) return common::Invalid("a host name is at most 253 characters");
  std::size_t label = 0;
  bool label_numeric = true;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (label == 0)
        return common::Invalid(text.empty() ? "missing host"
                                            : "empty label in host name (\"..\", or a leading "
                                              "or trailing '.')");
      if (label > 63) return common::Invalid("a host name label is at most 63 characters");
      if (i == text.size() && label_numeric)
        return common::Invalid("\"" + std::string(text) +
                               "\" is neither a name nor an IPv4 address; write a dotted quad "
                               "like 10.0.0.1");
      label = 0;
      label_numeric = true;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (!(IsAlpha(c) || IsDigit(c) || c == '-' || c == '_'))
      return common::Invalid(Named(c) + " at " + std::to_string(i + 1) +
                             " is not allowed in a host: a host is letters, digits, '-', '.' "
                             "and '_', an IPv4 address, or an IPv6 address in [ ]");
    label_numeric = label_numeric && IsDigit(c);
    ++label;
  }
  // The resolver reads numbers in forms inet_pton does not ("0x7f000001", "127.1", "017.0.0.1"
  // with a letter-free last label aside): such a name would reach an address the allow list
  // judged as a name. Refused: an address is written as a dotted quad.
  in_addr legacy{};
  if (inet_aton(std::string(text).c_str(), &legacy) != 0)
    return common::Invalid("\"" + std::string(text) +
                           "\" is an IPv4 address in a legacy form; write a dotted quad like "
                           "127.0.0.1");
  return Host{Host::Kind::kName, Lower(text), {}};
}

}  // namespace

std::optional<std::array<std::uint8_t, 4>> Host::v4() const {
  if (kind == Kind::kIpv4) return std::array<std::uint8_t, 4>{addr[0], addr[1], addr[2], addr[3]};
  if (kind != Kind::kIpv6) return std::nullopt;
  const bool zero80 = std::all_of(addr.begin(), addr.begin() + 10, [](auto b) { return b == 0; });
  if (!zero80) return std::nullopt;
  const bool mapped = addr[10] == 0xff && addr[11] == 0xff;
  // IPv4-compatible (RFC 4291 §2.5.5.1, deprecated): ::a.b.c.d, except :: and ::1, which are
  // the unspecified and the loopback address of IPv6 itself.
  const bool compatible = addr[10] == 0 && addr[11] == 0 &&
                          (addr[12] != 0 || addr[13] != 0 || addr[14] != 0 || addr[15] > 1);
  if (!mapped && !compatible) return std::nullopt;
  return std::array<std::uint8_t, 4>{addr[12], addr[13], addr[14], addr[15]};
}

std::string Host::Bracketed() const { return kind == Kind::kIpv6 ? "[" + text + "]" : text; }

common::Result<Host> ParseHost(std::string_view text) {
  if (text.empty()) return common::Invalid("missing host");
  if (text.find('%') != std::string_view::npos)
    return common::Invalid(
        "a zone id ('%') or percent-encoding is not accepted in a host; write the address alone");
  const std::string s(text);
  Host h;
  if (s.find(':') != std::string::npos) {
    in6_addr a{};
    if (inet_pton(AF_INET6, s.c_str(), &a) != 1)
      return common::Invalid("\"" + s + "\" is not an IPv6 address");
    h.kind = Host::Kind::kIpv6;
    std::copy(a.s6_addr, a.s6_addr + 16, h.addr.begin());
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a, buf, sizeof buf);  // RFC 5952: lower case, :: compressed
    h.text = buf;
    return h;
  }
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) == 1) {
    h.kind = Host::Kind::kIpv4;
    const auto* b = reinterpret_cast<const std::uint8_t*>(&a.s_addr);
    std::copy(b, b + 4, h.addr.begin());
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    h.text = buf;
    return h;
  }
  return ParseName(text);
}

std::string HostPort::ToString() const { return host.Bracketed() + ":" + std::to_string(port); }

common::Result<HostPort> ParseHostPort(std::string_view text, std::uint16_t default_port) {
  HostPort hp;
  std::string_view host_text;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return common::Invalid("unclosed IPv6 bracket");
    host_text = text.substr(1, close - 1);
    if (host_text.find(':') == std::string_view::npos)
      return common::Invalid("only an IPv6 address goes inside [ ]");
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return common::Invalid("garbage after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
      return common::Invalid("an IPv6 address goes in brackets: [::1]:8080");
    host_text = text.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  auto host = ParseHost(host_text);
  if (!host) return common::Invalid(host.error().detail);
  hp.host = std::move(*host);
  hp.port = default_port;
  if (has_port) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535 || port_text.empty())
      return common::Invalid("bad port \"" + std::string(port_text.substr(0, 8)) +
                             "\"; a port is 1…65535");
    hp.port = static_cast<std::uint16_t>(port);
  }
  if (hp.port == 0) return common::Invalid("missing port");
  return hp;
}

common::Result<void> ValidateRequestTarget(std::string_view text, std::size_t offset) {
  bool in_query = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '%') {
      if (i + 2 < text.size() && IsHex(static_cast<unsigned char>(text[i + 1])) &&
          IsHex(static_cast<unsigned char>(text[i + 2]))) {
        i += 2;
        continue;
      }
      return common::Invalid(
          "'%' at " + std::to_string(offset + i + 1) +
          " starts no percent-encoding (two hex digits); write %25 for a literal '%'");
    }
    if (c == '?' && !in_query) {
      in_query = true;
      continue;
    }
    static constexpr std::string_view kOther = "-._~!$&'()*+,;=:@/";
    const bool ok = IsAlpha(c) || IsDigit(c) || kOther.find(static_cast<char>(c)) != kOther.npos ||
                    (in_query && c == '?');
    if (!ok)
      return common::Invalid(
          Named(c) + " at " + std::to_string(offset + i + 1) +
          " is not allowed in a URL path or query (RFC 3986); percent-encode it");
  }
  return {};
}

common::Result<void> ValidateHeaderName(std::string_view name) {
  if (name.empty()) return common::Invalid("empty header name");
  static constexpr std::string_view kTchar = "!#$%&'*+-.^_`|~";
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (!(IsAlpha(c) || IsDigit(c) || kTchar.find(static_cast<char>(c)) != kTchar.npos))
      return common::Invalid(
          Named(c) + " at " + std::to_string(i + 1) +
          " is not allowed in a header name (letters, digits and !#$%&'*+-.^_`|~)");
  }
  return {};
}

common::Result<void> ValidateHeaderValue(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return common::Invalid(
          Named(c) + " at " + std::to_string(i + 1) +
          " is not allowed in a header value (no control characters: CR and LF would end "
          "the header)");
  }
  return {};
}

}  // namespace reznet::config
