#include "config/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/redact.hpp"

namespace reznet::config {
namespace {

struct Unit {
  std::string_view name;
  double ns;
};
// Longest names first so "ms" is not read as "m" + garbage.
constexpr Unit kUnits[] = {{"ns", 1.0}, {"us", 1e3}, {"µs", 1e3},   {"ms", 1e6},
                           {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

common::Result<Duration> ParseDuration(std::string_view text) {
  const auto bad = [&](std::string why) {
    return common::Invalid("expected a duration like \"250ms\", \"5s\" or \"2m\", got " +
                           Quote(text) + why);
  };
  if (text.empty()) return bad("");
  double total_ns = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    double value = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc() || ptr == rest.data()) return bad("");
    if (value < 0 || !std::isfinite(value)) return bad(" (must be a non-negative number)");
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    const Unit* found = nullptr;
    for (const auto& unit : kUnits) {
      if (rest.starts_with(unit.name)) {
        // "m" must not swallow the "m" of "ms".
        if (unit.name == "m" && rest.starts_with("ms")) continue;
        found = &unit;
        break;
      }
    }
    if (found == nullptr) return bad(rest.empty() ? " (missing unit: ns, us, ms, s, m, h)" : "");
    rest.remove_prefix(found->name.size());
    total_ns += value * found->ns;
  }
  if (total_ns > 1e18) return bad(" (too long)");
  return Duration(static_cast<std::int64_t>(std::llround(total_ns)));
}

std::string FormatDuration(Duration d) {
  using namespace std::chrono;
  auto ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns % 1'000'000'000 != 0) {
    // Sub-second: one unit, the largest that is exact.
    if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
    return std::to_string(ns) + "ns";
  }
  auto s = ns / 1'000'000'000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

common::Result<double> ParseRatio(std::string_view text) {
  const auto bad = [&] {
    return common::Invalid("expected a ratio like \"60%\" or \"0.6\", got " + Quote(text));
  };
  if (text.empty()) return bad();
  bool percent = text.back() == '%';
  std::string_view number = percent ? text.substr(0, text.size() - 1) : text;
  double value = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size() || number.empty()) return bad();
  if (percent) value /= 100.0;
  if (!(value >= 0.0 && value <= 1.0)) {
    return common::Invalid("ratio " + Quote(text) + " is outside 0%..100%");
  }
  return value;
}

std::string Url::HostHeader() const {
  std::string h = host.Bracketed();
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  if (!default_port) h += ":" + std::to_string(port);
  return h;
}

std::string Url::ToString() const { return scheme + "://" + HostHeader() + path; }

common::Result<Url> ParseUrl(std::string_view text) {
  const auto bad = [&](std::string why) {
    // The URL goes into a message: a password in its user-info must not.
    return common::Invalid("expected a URL like \"http://127.0.0.1:8000\", got " +
                           Quote(common::MaskUrlUserInfo(text)) +
                           (why.empty() ? "" : " (" + why + ")"));
  };
  Url url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad("missing scheme");
  url.scheme = std::string(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return bad("scheme must be http or https");
  std::string_view rest = text.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    return bad("credentials in URLs are not accepted; use api_key or headers");
  }
  auto hp = ParseHostPort(authority, url.scheme == "https" ? 443 : 80);
  if (!hp) return bad(hp.error().detail);
  url.host = std::move(hp->host);
  url.port = hp->port;
  if (path.find_first_of("?#") != std::string_view::npos) return bad("base URL takes no query");
  if (auto valid = ValidateRequestTarget(path, scheme_end + 3 + authority.size()); !valid)
    return bad(valid.error().detail);
  while (path.ends_with('/')) path.remove_suffix(1);
  url.path = std::string(path);
  return url;
}

common::Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& lookup) {
  const auto get = [&](const std::string& name) -> std::optional<std::string> {
    if (lookup) return lookup(name);
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out += '$';
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return common::Invalid("unterminated \"${\" in " + Quote(text) + "; write ${NAME}");
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    auto sep = inner.find(":-");
    std::string name(inner.substr(0, sep));
    if (sep != std::string_view::npos) fallback = std::string(inner.substr(sep + 2));
    if (name.empty()) return common::Invalid("empty variable name in " + Quote(text));
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return common::Invalid("bad variable name \"" + name + "\"; use letters, digits and _");
      }
    }
    auto value = get(name);
    if (value && !value->empty()) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else if (value) {
      out += *value;  // set but empty, no default: empty is what the user set
    } else {
      return common::Invalid("environment variable " + name + " is not set; set it or write ${" +
                             name + ":-default}");
    }
    i = close;
  }
  return out;
}

}  // namespace reznet::config
