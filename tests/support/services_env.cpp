#include "tests/support/services_env.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace reznet::testing {
namespace {

constexpr std::string_view kHowTo =
    "this test runs against the real PostgreSQL and Redis: run `scripts/services.sh start DIR` "
    "and `export REZNET_SERVICES_ENV=DIR/services.env` (scripts/test.sh does both)";

ServicesEnv Load() {
  const char* path = std::getenv("REZNET_SERVICES_ENV");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("REZNET_SERVICES_ENV is not set; " + std::string(kHowTo));
  }
  std::ifstream in(path);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    throw std::runtime_error("REZNET_SERVICES_ENV=" + std::string(path) +
                             " cannot be read (services stopped?); " + std::string(kHowTo));
  }
  return ServicesEnv::Parse(text.str(), path);
}

}  // namespace

const ServicesEnv& ServicesEnv::Get() {
  static const ServicesEnv env = Load();  // a throw leaves it unset: the next call tries again
  return env;
}

ServicesEnv ServicesEnv::Parse(std::string_view text, const std::string& source) {
  ServicesEnv env;
  env.source_ = source;
  int line_no = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    std::string_view key = line.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : line.substr(eq + 1);
    const bool quoted = value.size() >= 2 && value.front() == '"' && value.back() == '"';
    if (eq == std::string_view::npos || key.empty() ||
        key.find_first_of(" \t\"") != std::string_view::npos ||
        (!quoted && value.find('"') != std::string_view::npos)) {
      // The line itself is not quoted back: values may be passwords.
      throw std::runtime_error(source + ":" + std::to_string(line_no) +
                               ": expected KEY=\"value\" (one variable per line)");
    }
    if (quoted) value = value.substr(1, value.size() - 2);
    env.values_.insert_or_assign(std::string(key), std::string(value));
  }
  return env;
}

const std::string& ServicesEnv::at(std::string_view key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) {
    throw std::runtime_error(source_ + " has no " + std::string(key) +
                             "; restart the services with this checkout's scripts/services.sh");
  }
  return it->second;
}

int ServicesEnv::Port(std::string_view key) const {
  const std::string& text = at(key);
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    throw std::runtime_error(source_ + ": " + std::string(key) + "=\"" + text +
                             "\" is not a TCP port");
  }
  return port;
}

const std::string& Service(std::string_view key) { return ServicesEnv::Get().at(key); }

}  // namespace reznet::testing
