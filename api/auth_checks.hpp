#pragma once
// Runs the uncached bcrypt checks of basic auth off the serving thread, shared fairly between
// client addresses (api/fair_queue.hpp): kThreads low-priority threads (nice +10, so a flood
// takes CPU from nothing else the daemon does) take checks first from the address that used the
// fewest failed checks lately, at most kPerSource checks wait per address and kMaxWaiting in all.
// Beyond those a waiting check is shed (answered kBusy, the server's 503): load is shed, nobody is
// locked out. A flood of wrong passwords from 16 addresses therefore delays a new scraper's first
// login by about one check, not by the flood's queue.
//
// IPv6 clients are grouped by /64 (one host usually holds the whole prefix); IPv4-mapped IPv6
// addresses count as the IPv4 address. Thread-safe; Submit never blocks on bcrypt.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "api/basic_auth.hpp"
#include "api/fair_queue.hpp"

namespace reznet::api {

// The fairness key of a client address: IPv4 as is, IPv6 by its /64.
std::string SourceOf(std::string_view address);

class AuthChecks {
 public:
  static constexpr int kThreads = 2;
  static constexpr std::size_t kPerSource = 2;
  static constexpr std::size_t kMaxWaiting = 32;

  enum class Outcome { kAllowed, kDenied, kBusy };
  using Done = std::function<void(Outcome)>;

  explicit AuthChecks(std::shared_ptr<BasicAuth> auth);
  ~AuthChecks();  // stops the threads; checks still waiting are answered kBusy
  AuthChecks(const AuthChecks&) = delete;
  AuthChecks& operator=(const AuthChecks&) = delete;

  // Checks `authorization` (a header value) for `client` (its address); `done` is called once,
  // on a check thread, or at once on this thread when the check is shed.
  void Submit(std::string_view client, std::string authorization, Done done);
  // The same, awaited on the caller's executor.
  boost::asio::awaitable<Outcome> Check(std::string client, std::string authorization);

  struct Stats {
    std::uint64_t checks = 0;  // bcrypt checks run
    std::uint64_t shed = 0;    // answered kBusy
  };
  Stats stats() const;

 private:
  struct Job {
    std::string source;
    std::string authorization;
    Done done;
  };
  void RunOne();

  std::shared_ptr<BasicAuth> auth_;
  mutable std::mutex mu_;  // guards queue_ and stats_
  FairQueue<Job> queue_{kPerSource, kMaxWaiting};
  Stats stats_;
  boost::asio::thread_pool threads_{kThreads};
};

}  // namespace reznet::api
