#pragma once
// The daemon's side of suite runs: single flight (one run at a time, a second trigger is told
// which run is going), the run's live progress for GET /runs/{id}, persistence in the history
// store, and the suite metrics. Thread-safe: HTTP handlers call it from the server thread; the
// run itself executes on the probe io_context.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/config_holder.hpp"
#include "probes/probe.hpp"
#include "suite/history.hpp"
#include "suite/record.hpp"

namespace reznet::daemon {

class Telemetry;

class SuiteService {
 public:
  SuiteService(const ConfigHolder& config, const probes::ProbeRegistry& registry,
               boost::asio::any_io_executor executor, boost::asio::any_io_executor blocking,
               suite::HistoryStore& history, Telemetry& telemetry);

  struct Started {
    int status = 202;  // 202 started, 409 one is running (id = that run), 400 unknown profile
    std::string id;
    std::string error;
  };
  Started Start(const std::string& profile, std::map<std::string, std::string> labels);

  // The running run (if any) and history, newest first.
  std::vector<suite::RunRecord> List(std::size_t offset, std::size_t limit);
  std::size_t Count();
  std::optional<suite::RunRecord> Find(const std::string& id);
  std::optional<suite::RunRecord> Baseline();
  bool Running();
  // Asks a running run to stop after its current probe run (shutdown).
  void Stop() { stop_ = true; }
  // Called on the probe io_context after every finished run is stored (the evaluator refreshes
  // its history baselines).
  void OnFinished(std::function<void()> f) { on_finished_ = std::move(f); }
  // After a reload: declares the suite metrics of profiles the new config adds.
  void Reconfigured();

 private:
  void Finish(suite::RunRecord run);

  const ConfigHolder& config_;
  const probes::ProbeRegistry& registry_;
  boost::asio::any_io_executor executor_;
  boost::asio::any_io_executor blocking_;
  suite::HistoryStore& history_;
  Telemetry& telemetry_;
  std::mutex mutex_;
  std::optional<suite::RunRecord> current_;
  std::atomic<bool> stop_{false};
  std::function<void()> on_finished_;
};

}  // namespace reznet::daemon
