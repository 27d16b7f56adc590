#include "daemon/reload.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cassert>
#include <map>
#include <set>

#include "config/loader.hpp"
#include "config/secrets.hpp"
#include "daemon/logging.hpp"
#include "daemon/wiring.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

Reloader::Prepared Reloader::Fail(Prepared p) {
  const char* what = p.discovery ? "discovered targets not applied" : "reload refused";
  if (!p.discovery) p_.metrics.RecordReload(false, std::chrono::system_clock::now());
  for (const auto& e : p.outcome.errors) spdlog::error("{}: {}", what, e);
  spdlog::error("{}: {} error(s); the running config is unchanged", what, p.outcome.errors.size());
  p.start.clear();
  return p;
}

Reloader::Prepared Reloader::Prepare(bool discovery_only) {
  Prepared p;
  p.discovery = discovery_only;
  auto& r = p.outcome;
  try {
    p.old = p_.holder.Get();
    p.loaded = discovery_only ? p_.discovery.loaded() : Load(*p.old, r);
    if (!p.loaded) return Fail(std::move(p));
    p.fresh = p_.discovery.Expand(p.loaded, discovery_only);
    if (!p.fresh) {
      p.nothing = true;
      return p;
    }
    CheckRestartOnly(*p.old, *p.fresh, r);
    if (!r.errors.empty()) return Fail(std::move(p));
    p.old_shard = ShardFor(*p.old, p_.options.shard);  // resolved at start: cannot fail now
    try {
      p.shard = ShardFor(*p.fresh, p_.options.shard);
    } catch (const std::runtime_error& e) {
      r.errors.push_back(e.what());
      return Fail(std::move(p));
    }
    BuildChanged(p);
  } catch (const std::exception& e) {  // not a config error: out of memory, a library's surprise
    r.errors.push_back(std::string("internal error while loading the new config: ") + e.what());
  }
  if (!r.errors.empty()) return Fail(std::move(p));
  return p;
}

api::ReloadOutcome Reloader::Apply(Prepared p) {
  // Reloads are serialised: the config Prepare compared against is still the one in force.
  assert(p_.holder.Get() == p.old);
  auto r = std::move(p.outcome);
  Swap(p, r);
  p_.discovery.SetLoaded(p.loaded);
  if (p.discovery) {
    if (!r.added.empty() || !r.changed.empty() || !r.removed.empty())
      spdlog::info("discovered targets applied: {} probe(s) added, {} changed, {} removed, {} kept",
                   r.added.size(), r.changed.size(), r.removed.size(), r.kept);
    r.ok = true;
    return r;
  }
  p_.metrics.RecordReload(true, std::chrono::system_clock::now());
  const bool noop = r.added.empty() && r.changed.empty() && r.removed.empty();
  std::optional<std::uint64_t> swallowed = 0;
  if (noop) swallowed = noop_log_.Allow(std::chrono::steady_clock::now());
  if (swallowed) {
    spdlog::info("config reloaded from {}: {} probe(s) added, {} changed, {} removed, {} kept{}",
                 p.fresh->source, r.added.size(), r.changed.size(), r.removed.size(), r.kept,
                 *swallowed > 0
                     ? fmt::format(" ({} more unchanged reload(s) since the last line)", *swallowed)
                     : "");
  }
  r.ok = true;
  return r;
}

std::shared_ptr<const config::Config> Reloader::Load(const config::Config& old,
                                                     api::ReloadOutcome& r) {
  try {
    return std::make_shared<const config::Config>(
        old.source == "<embedded demo.yaml>"
            ? config::LoadString(EmbeddedDemoConfig(), old.source, p_.registry.Kinds())
            : config::LoadFile(old.source, p_.registry.Kinds()));
  } catch (const config::ConfigError& e) {
    r.errors = e.errors();
    return nullptr;
  }
}

void Reloader::CheckRestartOnly(const config::Config& old, const config::Config& fresh,
                                api::ReloadOutcome& r) {
  auto restart = [&](bool differs, const char* what) {
    if (differs)
      r.errors.push_back(old.source + ": " + what +
                         " changed: restart the daemon to apply it (or put it back)");
  };
  restart(p_.options.listen_override.empty() && fresh.daemon.listen != old.daemon.listen,
          "daemon.listen");
  restart(fresh.daemon.windows != old.daemon.windows, "daemon.windows");
  restart(fresh.daemon.state_dir != old.daemon.state_dir, "daemon.state_dir");
  restart(fresh.daemon.tls != old.daemon.tls, "daemon.tls");
  restart(fresh.daemon.basic_users != old.daemon.basic_users, "daemon.auth.basic_users");
  restart(fresh.history.store != old.history.store || fresh.history.dsn != old.history.dsn ||
              fresh.history.password != old.history.password ||
              fresh.history.keep_runs != old.history.keep_runs ||
              fresh.history.keep_days != old.history.keep_days,
          "history");
}

// Every new or changed probe of the new shard is built first: one that cannot be built refuses
// the reload. A probe that left this shard counts as removed, one that came to it as added.
void Reloader::BuildChanged(Prepared& prepared) {
  const config::Config& old = *prepared.old;
  const config::Config& fresh = *prepared.fresh;
  auto& r = prepared.outcome;
  std::map<std::string, const config::ProbeConfig*> before;
  for (const auto& p : old.probes) {
    if (ScheduledHere(p, prepared.old_shard)) before[p.name] = &p;
  }
  std::set<std::string> present;
  for (const auto& p : fresh.probes) {
    if (!ScheduledHere(p, prepared.shard)) continue;
    present.insert(p.name);
    auto it = before.find(p.name);
    if (it != before.end() && config::ProbeUnchanged(old, *it->second, fresh, p)) {
      ++r.kept;
      continue;
    }
    (it == before.end() ? r.added : r.changed).push_back(p.name);
    if (it != before.end() && it->second->kind != p.kind) prepared.kind_changed.push_back(p.name);
    try {
      prepared.start.push_back(
          BuildProbe(prepared.fresh, p, p_.registry, p_.io.get_executor(), p_.blocking));
    } catch (const std::exception& e) {
      r.errors.push_back(e.what());
    }
  }
  for (const auto& [name, p] : before) {
    if (!present.count(name)) r.removed.push_back(name);
  }
}

void Reloader::Swap(Prepared& prepared, const api::ReloadOutcome& r) {
  const config::Config& old = *prepared.old;
  const auto& fresh = prepared.fresh;
  const auto& kind_changed = prepared.kind_changed;
  p_.holder.Set(fresh);
  for (const auto& name : r.removed) {
    p_.scheduler.Remove(name);
    p_.sink.RemoveProbe(name);
  }
  const std::set<std::string> other_kind(kind_changed.begin(), kind_changed.end());
  for (const auto& name : r.changed) {
    p_.scheduler.Remove(name);
    if (other_kind.count(name)) p_.sink.RemoveProbe(name);
  }
  p_.scheduler.Start(std::move(prepared.start));
  ExportTargetInfo(p_.sink, *fresh);
  // Kept probes too: daemon.export or an NFR may have changed what they export.
  std::size_t running = 0;
  for (const auto& p : fresh->probes) {
    if (!ScheduledHere(p, prepared.shard)) continue;
    p_.sink.windows().SetBudget(p.name, p.exported);
    ++running;
  }
  p_.metrics.SetShard(prepared.shard.index, prepared.shard.of);
  LogShard(*fresh, prepared.shard, running);
  p_.evaluator.SetRules(ContinuousRules(*fresh, prepared.shard), std::chrono::system_clock::now());
  asio::co_spawn(p_.io, RefreshBaselines(fresh, p_.history, p_.storage, p_.evaluator),
                 asio::detached);
  if (!(fresh->alerting == old.alerting)) {
    p_.notifier.Reconfigure(fresh->alerting, fresh->alerting.external_url.empty()
                                                 ? p_.generator_url
                                                 : fresh->alerting.external_url);
  }
  spdlog::set_level(spdlog::level::from_str(fresh->daemon.log.level));
  // The old config's secrets too: a kept probe still runs with what it was built from.
  auto secrets = config::MakeRedactor(*fresh);
  secrets.Add(config::MakeRedactor(old));
  SetLogSecrets(std::move(secrets));
  p_.suites.Reconfigured();
}

}  // namespace reznet::daemon
