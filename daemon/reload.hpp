#pragma once
// A reload (SIGHUP, POST /-/reload): the whole new config is parsed and validated, and the probes
// it adds or changes are built, before anything is swapped; any error leaves everything as it
// was. Probes whose YAML and targets did not change (config::ProbeUnchanged) keep running
// untouched; windows and counters live in the telemetry by probe name, so a changed probe keeps
// them too; a removed probe's series leave /metrics; rules are swapped in the evaluator (a firing
// rule that goes away is resolved). Settings that need a restart refuse the reload by name.
//
// Two steps on two threads: Prepare (parse, validate, build: the slow part, seconds for a large
// config) runs off the probe thread, on the reload thread of ReloadControl
// (reload_control.hpp); Apply (the swap) runs on the probe io_context and takes no longer than
// starting the new probes. One reload at a time: nothing but Apply changes the config in force
// between a Prepare and its Apply.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "common/rate_limit.hpp"
#include "config/holder.hpp"
#include "daemon/app.hpp"
#include "daemon/daemon_metrics.hpp"
#include "daemon/discovery.hpp"
#include "daemon/scheduler.hpp"
#include "nfr/alert_notifier.hpp"
#include "nfr/evaluator.hpp"
#include "suite/history.hpp"
#include "suite/service.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::daemon {

class Reloader {
 public:
  struct Parts {
    const probes::ProbeRegistry& registry;
    const ServeOptions& options;
    config::ConfigHolder& holder;
    telemetry::Telemetry& sink;
    DaemonMetrics& metrics;  // reload outcome, shard
    Scheduler& scheduler;
    nfr::AlertNotifier& notifier;
    nfr::Evaluator& evaluator;
    suite::SuiteService& suites;
    suite::HistoryStore& history;
    boost::asio::io_context& io;
    boost::asio::any_io_executor blocking;
    boost::asio::any_io_executor storage;  // history calls (baselines)
    std::string generator_url;
    Discovery& discovery;  // expands each loaded config; a discovery refresh re-expands
  };
  explicit Reloader(Parts parts) : p_(std::move(parts)) {}

  // What Prepare built for Apply.
  struct Prepared {
    api::ReloadOutcome outcome;  // refused when outcome.errors is not empty
    std::shared_ptr<const config::Config> old, fresh;
    std::vector<ScheduledProbe> start;
    std::vector<std::string> kind_changed;
    // The shards of the old and the new config (ShardFor: --shard, else daemon.shard); probes
    // that move to another shard are removed here, those that arrive are added.
    config::Shard old_shard, shard;
    std::shared_ptr<const config::Config> loaded;  // `fresh` before discovery expanded it
    bool discovery = false;  // a discovery refresh: the config last loaded, its files read again
    bool nothing = false;    // a discovery refresh and no file changed: nothing to apply
  };
  // Any thread but the probe thread. A refusal is recorded (metric, log) here.
  // `discovery_only`: no file is loaded; the config last loaded is expanded again with what its
  // targets_from files list now (Discovery), and a refusal is only logged.
  Prepared Prepare(bool discovery_only = false);
  // On the probe io_context. The outcome, ok.
  api::ReloadOutcome Apply(Prepared prepared);

 private:
  std::shared_ptr<const config::Config> Load(const config::Config& old, api::ReloadOutcome& r);
  void CheckRestartOnly(const config::Config& old, const config::Config& fresh,
                        api::ReloadOutcome& r);
  void BuildChanged(Prepared& p);
  void Swap(Prepared& p, const api::ReloadOutcome& r);
  Prepared Fail(Prepared p);

  Parts p_;
  // Reloads that changed nothing, logged at most once a second (a SIGHUP or POST storm). Used on
  // the probe io_context only (Apply).
  common::RateLimitedLog noop_log_{std::chrono::seconds(1)};
};

}  // namespace reznet::daemon
