#pragma once
// The daemon's side of suite runs: single flight (one run at a time, a second trigger is told
// which run is going), the run's live progress for GET /runs/{id}, persistence in the history
// store, and the suite metrics. Thread-safe: HTTP handlers call it from the server thread; the
// run itself executes on the probe io_context.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/config.hpp"
#include "config/holder.hpp"
#include "probes/probe.hpp"
#include "suite/history.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

struct SuiteHistoryView;  // suite_runner.hpp

// What the service reports as runs come and go; the daemon wires these to its metrics. Each may be
// empty. Called from the thread that starts or finishes the run.
struct SuiteHooks {
  std::function<void(const std::string& profile)> profile_declared;
  std::function<void(const RunRecord& run)> run_finished;
  // A probe with live counters (a load test) started or ended inside a run.
  std::function<void(const std::string& probe, const probes::LiveCounters* live)> live_started;
  std::function<void(const std::string& probe)> live_ended;
  // After each attempt to store a finished run: "" when stored (and no earlier run is still
  // waiting), else why not (the run is then kept in memory with state "error", error "not
  // stored: <why>", until a later attempt stores it).
  std::function<void(const std::string& failure)> history_written;
};

class SuiteService {
 public:
  // `blocking` runs blocking drivers in runs; `storage` runs the history store's calls (its own
  // thread in the daemon, so a hung history database never holds up a probe).
  SuiteService(const config::ConfigHolder& config, const probes::ProbeRegistry& registry,
               boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking,
               boost::asio::any_io_executor storage, suite::HistoryStore& history,
               SuiteHooks hooks);

  // Single flight: either this call started a run (`started`, `id` the new run) or one is going
  // (`id` that run, `detail` says so). An unknown profile is refused (kInvalid, naming the
  // profiles there are).
  struct Started {
    bool started = false;
    std::string id;
    std::string detail;
  };
  common::Result<Started> Start(const std::string& profile,
                                std::map<std::string, std::string> labels);

  // The running run (if any), runs history failed to store, and history, newest first. A store
  // that cannot be read is the error (kUnavailable, HistoryStore).
  common::Result<std::vector<suite::RunRecord>> List(std::size_t offset, std::size_t limit);
  common::Result<std::size_t> Count();
  common::Result<std::optional<suite::RunRecord>> Find(const std::string& id);
  // The run `ref` names (suite/run_ref.hpp): an exact id as Find, else a reference resolved over
  // history (kNotFound, kInvalid when it fits several runs, kUnavailable).
  common::Result<suite::RunRecord> Resolve(const std::string& ref);
  common::Result<std::optional<suite::RunRecord>> Baseline();
  bool Running();
  // Asks a running run to stop after its current probe run (shutdown).
  void Stop() { stop_ = true; }
  // Called on the probe io_context after every finished run is stored (the evaluator refreshes
  // its history baselines).
  void OnFinished(std::function<void()> f) { on_finished_ = std::move(f); }
  // After a reload: declares the suite metrics of profiles the new config adds.
  void Reconfigured();
  // Tries again to store the finished runs history refused, oldest first, stopping at the first
  // failure; returns how many are still waiting. Blocks on the store: call it on `storage` (the
  // daemon does on a timer, and every stored run does).
  std::size_t StoreUnstored();
  std::size_t UnstoredCount();

 private:
  // What a run is compared with: the last 100 runs and the baseline.
  common::Result<SuiteHistoryView> HistoryView();
  void Finish(suite::RunRecord run);
  void Unstored(suite::RunRecord& run, const std::string& failure);
  void Stored();

  const config::ConfigHolder& config_;
  const probes::ProbeRegistry& registry_;
  boost::asio::any_io_executor executor_;
  boost::asio::any_io_executor blocking_;
  boost::asio::any_io_executor storage_;
  suite::HistoryStore& history_;
  SuiteHooks hooks_;
  std::mutex mutex_;
  std::optional<suite::RunRecord> current_;
  // Finished runs the history store refused, newest first, at most kMaxUnstored (the oldest go):
  // as shown meanwhile (state "error", "not stored: …") and as they will be stored.
  struct UnstoredRun {
    suite::RunRecord shown;
    suite::RunRecord run;
  };
  static constexpr std::size_t kMaxUnstored = 100;
  std::deque<UnstoredRun> unstored_;
  std::atomic<bool> stop_{false};
  std::function<void()> on_finished_;
};

}  // namespace reznet::suite
