#pragma once
// What the composition root (app.cpp) and reload (reload.cpp) both build from a config.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "api/api_server.hpp"
#include "config/config.hpp"
#include "daemon/scheduler.hpp"
#include "nfr/evaluator.hpp"
#include "probes/probe.hpp"
#include "suite/history.hpp"

namespace reznet::daemon {

// Every check `serve` makes before it binds, without binding or connecting: the listen address,
// the TLS files (loaded) and the run history's store. check-config runs the same. Empty when all
// is well.
std::vector<std::string> PreflightErrors(const config::Config& config, const std::string& listen);

// daemon.tls as the API server takes it.
api::TlsSettings TlsSettingsOf(const config::TlsConfig& tls);

// Whether the daemon schedules the probe: kinds that run on demand only (KindTraits::on_demand:
// load tests) are run by suites and `reznet-perfd load`, never on an interval.
bool Scheduled(const config::ProbeConfig& probe);

// Whether this daemon schedules the probe: Scheduled, and its name hashes into `shard`. On-demand
// runs (suites, `probe`, `load`) are not sharded: any shard runs a whole suite.
bool ScheduledHere(const config::ProbeConfig& probe, const config::Shard& shard);

// The shard this daemon runs with `config`: `flag` (--shard) when given, else daemon.shard, its
// index from REZNET_SHARD_INDEX or the pod ordinal of $HOSTNAME (else gethostname()) when not
// written (config::ResolveShard). Throws std::runtime_error "file:line: daemon.shard: …".
config::Shard ShardFor(const config::Config& config, const std::optional<config::Shard>& flag);

// "shard I of N: running K of M scheduled probes" (info) when sharded; K is `running`.
void LogShard(const config::Config& config, const config::Shard& shard, std::size_t running);

// Builds one probe for scheduling. Throws std::runtime_error naming config file:line.
// The probe keeps `config` alive while it lives: a probe may point into the config it was built
// from (targets, settings), and a reload or a discovery refresh replaces the config in force.
ScheduledProbe BuildProbe(std::shared_ptr<const config::Config> config,
                          const config::ProbeConfig& probe, const probes::ProbeRegistry& registry,
                          boost::asio::any_io_executor executor,
                          boost::asio::any_io_executor blocking);

// The rules the evaluator runs continuously: all but those over on-demand probes, which the
// runs that make load judge (a continuous state for them would read "no data" forever), and
// those over probes of other shards (the shard that runs a probe judges its rules).
std::vector<config::NfrRule> ContinuousRules(const config::Config& config,
                                             const config::Shard& shard);

// Regression rules with baseline_runs: the median of the last suite runs, read from history
// off the probe thread and applied to the evaluator's rules (on the probe io_context).
boost::asio::awaitable<void> RefreshBaselines(std::shared_ptr<const config::Config> config,
                                              suite::HistoryStore& history,
                                              boost::asio::any_io_executor blocking,
                                              nfr::Evaluator& evaluator);

}  // namespace reznet::daemon
