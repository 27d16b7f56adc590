#pragma once
// Runs reloads for SIGHUP and POST /-/reload (api::ReloadControl): one at a time, each on this
// object's own thread, so neither the probe io_context nor the API server waits for parsing and
// building. Only the swap (Reloader::Apply) is posted to the probe io_context; the reload thread
// waits for it and then records the outcome, so a reply or GET /-/reload never says "applied"
// before it is, nor anything else after it is. A reload that was prepared while the daemon
// stopped is reported as not applied. Thread-safe.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "api/routes.hpp"
#include "common/rate_limit.hpp"
#include "daemon/reload.hpp"

namespace reznet::daemon {

class ReloadRunner : public api::ReloadControl {
 public:
  // `reloader` and `io` (the probe io_context) must outlive this object.
  ReloadRunner(Reloader& reloader, boost::asio::io_context& io);
  ~ReloadRunner() override;  // waits for a running reload's prepare step to end

  Started Start(const std::string& trigger) override;
  api::ReloadRecord Wait(std::uint64_t id, std::chrono::milliseconds bound) override;
  std::optional<api::ReloadRecord> Current() const override;

  // SIGHUP: starts a reload, or, while one runs, one more right after it (the file may have
  // changed since the running one read it). Several signals meanwhile make one follow-up.
  void StartOrFollow(const std::string& trigger);
  // A discovery refresh (daemon/discovery.hpp) on the reload thread, after any reload queued:
  // applied when a targets_from file changed. Not recorded as a reload. At most one waits.
  void RefreshDiscovery();

 private:
  api::ReloadRecord StartLocked(const std::string& trigger);  // under mutex_, none running
  // A reload request's log line, at most one a second (a reload storm), saying how many were
  // swallowed. Under mutex_.
  void LogRequestLocked(const std::string& line);
  void Run(std::uint64_t id);
  api::ReloadOutcome PrepareAndApply();
  api::ReloadOutcome ApplyOnIo(Reloader::Prepared prepared);
  void Finish(api::ReloadOutcome outcome);

  // The last reloads kept for Wait (a waiter wakes after its own reload finished).
  static constexpr std::size_t kKeep = 16;

  Reloader& reloader_;
  boost::asio::io_context& io_;
  mutable std::mutex mutex_;
  std::condition_variable finished_cv_;
  std::optional<api::ReloadRecord> running_;  // guarded by mutex_
  std::deque<api::ReloadRecord> finished_;    // guarded by mutex_; newest last
  std::optional<std::string> follow_up_;      // guarded by mutex_: a SIGHUP while running
  std::uint64_t next_id_ = 1;                 // guarded by mutex_
  common::RateLimitedLog request_log_{std::chrono::seconds(1)};  // guarded by mutex_
  std::atomic<bool> discovery_queued_{false};
  boost::asio::thread_pool thread_{1};
};

}  // namespace reznet::daemon
