#pragma once
// The real services a test needs (STYLE 23): the env file scripts/services.sh writes for the
// PostgreSQL, Redis, Prometheus and Alertmanager it started, found through $REZNET_SERVICES_ENV
// (scripts/test.sh exports it). Its lines are KEY="value" (REZNET_PG_DSN, REZNET_PG_PASSWORD,
// REZNET_REDIS_URL, REZNET_REDIS_PORT, …; scripts/services.sh lists them).

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace reznet::testing {

class ServicesEnv {
 public:
  // The file named by $REZNET_SERVICES_ENV, read on the first call. Throws std::runtime_error
  // (a failed test, not a skipped one) when the variable is unset or the file cannot be read or
  // parsed; the message says to run `scripts/services.sh start DIR` and export the variable.
  // Thread-safe.
  static const ServicesEnv& Get();

  // KEY="value" lines (quotes optional; blank lines and # comments skipped). Throws
  // std::runtime_error naming `source` and the line for anything else.
  static ServicesEnv Parse(std::string_view text, const std::string& source);

  // The value of `key`; throws std::runtime_error naming the key and the file when absent.
  const std::string& at(std::string_view key) const;
  // The value of `key` as a TCP port; throws like at(), or when it is not a port number.
  int Port(std::string_view key) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::map<std::string, std::string, std::less<>> values_;
};

// Shorthand for ServicesEnv::Get().at(key).
const std::string& Service(std::string_view key);

}  // namespace reznet::testing
