#pragma once
// HTTP basic auth against bcrypt hashes (daemon.auth.basic_users), as the Prometheus
// exporter-toolkit does it: a bcrypt check costs tens of milliseconds by design, so successful
// checks are cached, keyed by SHA-256 over user, password and stored hash (a changed hash never
// matches an old entry), compared in constant time, at most kCacheEntries (oldest evicted first).
//
// Split in two so the serving thread never runs bcrypt: Cached() is cheap (parse + SHA-256 +
// cache scan) and answers allowed / denied / "needs the slow check"; Verify() runs bcrypt and
// belongs on another thread. An unknown user is checked against a dummy hash, so the answer takes
// as long as for a known one. Thread-safe. Passwords and headers are never logged.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reznet::api {

class BasicAuth {
 public:
  static constexpr std::size_t kCacheEntries = 256;

  // `users`: user -> bcrypt hash ($2y$, $2b$ or $2a$).
  explicit BasicAuth(std::map<std::string, std::string> users);

  enum class Verdict { kAllowed, kDenied, kVerify };
  // From the Authorization header value: kAllowed when cached, kDenied when missing or
  // malformed, kVerify when bcrypt must decide (call Verify off the serving thread).
  Verdict Cached(std::string_view authorization) const;
  // The bcrypt check (tens of ms); caches a success.
  bool Verify(std::string_view authorization);

  std::uint64_t cache_hits() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Credentials {
    std::string user;
    std::string password;
  };
  static std::optional<Credentials> Parse(std::string_view authorization);
  Digest KeyOf(const Credentials& c) const;
  bool InCache(const Digest& key) const;         // counts a hit
  bool ContainsLocked(const Digest& key) const;  // with mu_ held

  std::map<std::string, std::string> users_;
  mutable std::mutex mu_;  // guards the cache below
  std::vector<Digest> cache_;
  std::size_t next_ = 0;  // ring position of the next insert once full
  mutable std::uint64_t hits_ = 0;
};

// A bcrypt hash of `password` ($2b$, `cost` 4..31) for daemon.auth.basic_users. Throws
// std::runtime_error when the system cannot make one, or std::invalid_argument for a password
// bcrypt would truncate (over 72 bytes) or an empty one.
std::string HashPassword(std::string_view password, int cost = 10);

}  // namespace reznet::api
