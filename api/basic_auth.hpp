#pragma once
// HTTP basic auth against bcrypt hashes (daemon.auth.basic_users), as the Prometheus
// exporter-toolkit does it. A bcrypt check costs tens of milliseconds by design, so:
// - successful checks are remembered (at most kCacheEntries, least recently used evicted), and
//   so are failed ones (at most kFailureEntries, each for kFailureTtl): a client repeating the
//   same wrong user and password is answered 401 without bcrypt. Both memories hold
//   HMAC-SHA-256 digests of user, password and stored hash under a random per-process key, never
//   a password; a changed hash never matches an old entry.
// - every check costs the same, so timing does not tell which users exist: an unknown user is
//   checked against a dummy hash of the highest configured cost, and a wrong password of a user
//   whose hash is cheaper is followed by dummy checks that make up the difference
//   (2^c + 2^c + 2^(c+1) + … + 2^(max-1) = 2^max rounds).
//
// Split in two so the serving thread never runs bcrypt: Cached() is cheap (parse + HMAC + two
// lookups) and answers allowed / denied / "needs the slow check"; Verify() runs bcrypt and
// belongs on another thread (AuthChecks). Thread-safe. Passwords and headers are never logged.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/credential_memory.hpp"

namespace reznet::api {

class BasicAuth {
 public:
  static constexpr std::size_t kCacheEntries = 256;
  static constexpr std::size_t kFailureEntries = 4096;
  static constexpr std::chrono::minutes kFailureTtl{5};
  using SteadyClock = CredentialMemory::SteadyClock;

  // `users`: user -> bcrypt hash ($2y$, $2b$ or $2a$, cost 4..config::kMaxBcryptCost). Throws
  // std::invalid_argument naming the user when a hash is not one (the config loader refuses
  // those first, with file:line).
  explicit BasicAuth(std::map<std::string, std::string> users,
                     std::function<SteadyClock::time_point()> now = SteadyClock::now);

  enum class Verdict { kAllowed, kDenied, kVerify };
  // From the Authorization header value: kAllowed when remembered as good, kDenied when missing,
  // malformed or remembered as wrong, kVerify when bcrypt must decide (call Verify off the
  // serving thread).
  Verdict Cached(std::string_view authorization);

  struct Check {
    bool allowed = false;
    // bcrypt rounds spent (the sum of 2^cost over the hashes computed): what the answer time is
    // made of. Equal for an unknown user and a wrong password of any user.
    std::uint64_t rounds = 0;
  };
  // The bcrypt check (tens of ms); remembers its outcome.
  Check Verify(std::string_view authorization);

  int max_cost() const { return max_cost_; }
  std::uint64_t cache_hits() const;    // answered kAllowed from memory
  std::uint64_t failure_hits() const;  // answered kDenied from the failure memory

 private:
  struct Credentials {
    std::string user;
    std::string password;
  };
  static std::optional<Credentials> Parse(std::string_view authorization);
  Digest KeyOf(const Credentials& c) const;
  std::uint64_t PadRounds(const std::string& password, int from_cost) const;

  std::map<std::string, std::string> users_;
  int max_cost_ = 0;
  // Salts ("$2b$NN$" + 22 characters) of costs kMinBcryptCost..max_cost_, made at load: the dummy
  // checks of an unknown user (the last) and the padding of a cheaper user's wrong password.
  std::vector<std::string> dummy_settings_;
  std::vector<unsigned char> hmac_key_;
  std::function<SteadyClock::time_point()> now_;
  mutable std::mutex mu_;  // guards what follows
  CredentialMemory good_{kCacheEntries, SteadyClock::duration::max() / 2};
  CredentialMemory bad_{kFailureEntries, kFailureTtl};
  std::uint64_t hits_ = 0;
  std::uint64_t failure_hits_ = 0;
};

// A bcrypt hash of `password` ($2b$, `cost` config::kMinBcryptCost..kMaxBcryptCost) for
// daemon.auth.basic_users. Throws std::runtime_error when the system cannot make one, or
// std::invalid_argument for a cost out of range, a password bcrypt would truncate (over 72
// bytes) or an empty one.
std::string HashPassword(std::string_view password, int cost = 10);

}  // namespace reznet::api
