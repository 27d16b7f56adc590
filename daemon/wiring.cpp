#include "daemon/wiring.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "api/api_server.hpp"
#include "common/offload.hpp"
#include "suite/suite_runner.hpp"

namespace reznet::daemon {

std::vector<std::string> PreflightErrors(const config::Config& config, const std::string& listen) {
  std::vector<std::string> errors;
  if (auto valid = api::ValidateListen(listen); !valid)
    errors.push_back(config.source + ": daemon.listen: " + valid.error().detail);
  if (config.daemon.tls.enabled()) {
    if (auto valid = api::ValidateTls(TlsSettingsOf(config.daemon.tls)); !valid)
      errors.push_back(config.source + ":" + std::to_string(config.daemon.tls.line) +
                       ": daemon.tls: " + valid.error().detail);
  }
  for (auto& e : suite::CheckHistory(config.history, config.daemon.state_dir))
    errors.push_back(config.source + ": " + e);
  return errors;
}

api::TlsSettings TlsSettingsOf(const config::TlsConfig& tls) {
  return {tls.cert_file, tls.key_file, tls.client_ca_file, tls.min_version == "TLS13"};
}

bool Scheduled(const config::ProbeConfig& probe) { return !probe.traits.on_demand; }

bool ScheduledHere(const config::ProbeConfig& probe, const config::Shard& shard) {
  return Scheduled(probe) && config::InShard(probe.name, shard);
}

config::Shard ShardFor(const config::Config& config, const std::optional<config::Shard>& flag) {
  std::string hostname;
  if (const char* h = std::getenv("HOSTNAME"); h != nullptr && *h != '\0') {
    hostname = h;
  } else {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0) hostname = buf;
  }
  auto shard =
      config::ResolveShard(config.daemon.shard, flag, std::getenv("REZNET_SHARD_INDEX"), hostname);
  if (!shard) {
    const int line = config.daemon.shard.line;
    throw std::runtime_error(config.source + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
                             shard.error().detail);
  }
  return *shard;
}

void LogShard(const config::Config& config, const config::Shard& shard, std::size_t running) {
  if (!shard.sharded()) return;
  const auto all = std::count_if(config.probes.begin(), config.probes.end(),
                                 [](const config::ProbeConfig& p) { return Scheduled(p); });
  spdlog::info("shard {} of {}: running {} of {} scheduled probes", shard.index, shard.of, running,
               all);
}

ScheduledProbe BuildProbe(std::shared_ptr<const config::Config> config,
                          const config::ProbeConfig& p, const probes::ProbeRegistry& registry,
                          boost::asio::any_io_executor executor,
                          boost::asio::any_io_executor blocking) {
  telemetry::ProbeExport exported;
  exported.ratio_gauges = p.traits.ratios;
  exported.metrics = p.traits.metrics;
  exported.chart_phase = p.traits.chart_phase;
  exported.budget = p.exported;
  try {
    auto probe =
        registry.Create({p, config->FindTarget(p.target), executor, blocking, config.get()});
    return {config, p.name, p.kind, p.interval, p.timeout, std::move(probe), std::move(exported)};
  } catch (const std::exception& e) {
    throw std::runtime_error(config->source + ":" + std::to_string(p.line) + ": probe " + p.name +
                             ": " + e.what());
  }
}

std::vector<config::NfrRule> ContinuousRules(const config::Config& config,
                                             const config::Shard& shard) {
  std::vector<config::NfrRule> rules;
  for (const auto& rule : config.nfrs) {
    if (!config::InShard(rule.probe, shard)) continue;  // judged where its probe runs
    const config::ProbeConfig* p = config.FindProbe(rule.probe);
    if (p != nullptr && !Scheduled(*p)) {
      spdlog::info(
          "NFR {} judges {} test {}: checked by suite runs and reznet-perfd load, not "
          "continuously",
          rule.name, p->kind, rule.probe);
      continue;
    }
    rules.push_back(rule);
  }
  return rules;
}

boost::asio::awaitable<void> RefreshBaselines(std::shared_ptr<const config::Config> config,
                                              suite::HistoryStore& history,
                                              boost::asio::any_io_executor blocking,
                                              nfr::Evaluator& evaluator) {
  auto& rules = evaluator.rules();
  if (std::none_of(rules.begin(), rules.end(),
                   [](const config::NfrRule& r) { return r.baseline_runs > 0; }))
    co_return;
  const auto past = co_await common::Offload(blocking, [&history] {
    return common::Catching([&history] { return history.List(0, 100); });
  });
  if (!past) {
    spdlog::warn("regression baselines not refreshed: {}", past.error().detail);
    co_return;
  }
  const auto all = suite::RulesWithBaselines(*config, *past);
  for (auto& rule : evaluator.rules()) {  // re-read: a reload may have swapped them meanwhile
    if (rule.baseline_runs <= 0) continue;
    auto f = std::find_if(all.begin(), all.end(),
                          [&](const config::NfrRule& r) { return r.name == rule.name; });
    if (f == all.end() || !f->reference) continue;
    if (rule.reference != f->reference)
      spdlog::info("NFR {}: baseline {} (median of the last {} suite runs)", rule.name,
                   config::FormatThreshold(rule, *f->reference), rule.baseline_runs);
    rule = *f;
  }
}

}  // namespace reznet::daemon
