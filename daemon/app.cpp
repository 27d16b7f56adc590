#include "daemon/app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <iostream>
#include <set>
#include <thread>

#include "api/api_server.hpp"
#include "api/status_page.hpp"
#include "api/suite_routes.hpp"
#include "clients/offload.hpp"
#include "common/json.hpp"
#include "common/version.hpp"
#include "config/holder.hpp"
#include "daemon/demo_config.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/systemd_notify.hpp"
#include "nfr/alert_notifier.hpp"
#include "nfr/step.hpp"
#include "probes/run_once.hpp"
#include "suite/service.hpp"
#include "suite/suite_runner.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

namespace {

// Builds every probe; a probe that cannot be built (e.g. unreadable CA file) is a start-up error.
std::vector<ScheduledProbe> BuildProbes(const config::Config& config,
                                        const probes::ProbeRegistry& registry,
                                        asio::any_io_executor executor,
                                        asio::any_io_executor blocking) {
  std::vector<ScheduledProbe> out;
  for (const auto& p : config.probes) {
    if (p.kind == "load") continue;  // load tests run on demand only (suites, reznet-perfd load)
    probes::CreateArgs args{p, config.FindTarget(p.target), executor, blocking, &config};
    try {
      out.push_back({p.name, p.kind, p.interval, p.timeout, registry.Create(args)});
    } catch (const std::exception& e) {
      throw std::runtime_error(config.source + ":" + std::to_string(p.line) + ": probe " + p.name +
                               ": " + e.what());
    }
  }
  return out;
}

// Evaluates every NFR rule each eval_interval (on the probe io_context, next to the probes and
// the notifier, so no locks beyond telemetry::Telemetry's own). `rules` are the config's continuous
// rules, with history baselines applied by RefreshBaselines and replaced by a reload, all on this
// io_context; `states` outlive a reload for the rules it keeps.
asio::awaitable<void> EvaluateNfrs(const config::ConfigHolder& holder,
                                   const std::vector<config::NfrRule>& rules,
                                   std::map<std::string, nfr::RuleState>& states,
                                   telemetry::Telemetry& sink, nfr::AlertNotifier& notifier,
                                   const bool& stopping) {
  for (const auto& rule : rules) sink.PublishNfr(rule, states[rule.name]);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopping) {
    timer.expires_after(holder.Get()->daemon.eval_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping) break;
    const auto now = std::chrono::steady_clock::now();
    const auto wall = std::chrono::system_clock::now();
    for (const auto& rule : rules) {
      // A regression rule waiting for its first suite baseline has nothing to compare with.
      const nfr::Observation obs =
          rule.baseline_runs > 0 && !rule.baseline ? nfr::Observation{} : sink.Observe(rule, now);
      auto result = Step(rule, states[rule.name], obs, now, wall);
      if (result.state.state != states[rule.name].state) {
        spdlog::info(
            "NFR {}: {} -> {} ({} {} = {}; promise {} {})", rule.name,
            nfr::StateName(states[rule.name].state), nfr::StateName(result.state.state), rule.probe,
            rule.stat_name,
            result.state.value ? config::FormatThreshold(rule, *result.state.value) : "no data",
            rule.op_text, config::FormatThreshold(rule, rule.threshold));
      }
      states[rule.name] = result.state;
      sink.PublishNfr(rule, result.state);
      if (result.notification) notifier.Notify(rule, *result.notification);
    }
  }
}

// The rules the evaluator runs: all but those over load tests, which the runs that make load
// judge (suites, reznet-perfd load); a continuous state for them would read "no data" forever.
std::vector<config::NfrRule> ContinuousRules(const config::Config& config) {
  std::vector<config::NfrRule> rules;
  for (const auto& rule : config.nfrs) {
    const config::ProbeConfig* p = config.FindProbe(rule.probe);
    if (p != nullptr && p->kind == "load") {
      spdlog::info(
          "NFR {} judges load test {}: checked by suite runs and reznet-perfd load, not "
          "continuously",
          rule.name, rule.probe);
      continue;
    }
    rules.push_back(rule);
  }
  return rules;
}

// Regression rules with baseline_runs: the median of the last suite runs, re-read after each.
asio::awaitable<void> RefreshBaselines(std::shared_ptr<const config::Config> config,
                                       suite::HistoryStore& history, asio::any_io_executor blocking,
                                       std::vector<config::NfrRule>& rules) {
  if (std::none_of(rules.begin(), rules.end(),
                   [](const config::NfrRule& r) { return r.baseline_runs > 0; }))
    co_return;
  std::vector<suite::RunRecord> past;
  try {
    past = co_await clients::Offload(blocking, [&history] { return history.List(0, 100); });
  } catch (const std::exception& e) {
    spdlog::warn("regression baselines not refreshed: {}", e.what());
    co_return;
  }
  const auto all = RulesWithBaselines(*config, past);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].baseline_runs <= 0) continue;
    auto f = std::find_if(all.begin(), all.end(),
                          [&](const config::NfrRule& r) { return r.name == rules[i].name; });
    if (f == all.end() || !f->baseline) continue;
    const config::NfrRule* fresh_rule = &*f;
    if (rules[i].baseline != fresh_rule->baseline)
      spdlog::info("NFR {}: baseline {} (median of the last {} suite runs)", rules[i].name,
                   config::FormatThreshold(rules[i], *fresh_rule->baseline),
                   rules[i].baseline_runs);
    rules[i] = *fresh_rule;
  }
}

// Suite runs report into the metrics: their profiles, results and live load counters.
suite::SuiteHooks SuiteMetrics(telemetry::Telemetry& sink) {
  suite::SuiteHooks hooks;
  hooks.profile_declared = [&sink](const std::string& profile) { sink.AddSuiteProfile(profile); };
  hooks.run_finished = [&sink](const suite::RunRecord& run) {
    sink.RecordSuite(run.profile, run.state, run.finished_at - run.started_at, run.finished_at,
                     run.Count(suite::Verdict::kFailed));
  };
  hooks.live_started = [&sink](const std::string& probe, const probes::LiveCounters* live) {
    sink.BeginLoad(probe, live);
  };
  hooks.live_ended = [&sink](const std::string& probe) { sink.EndLoad(probe); };
  return hooks;
}

void AddRoutes(api::ApiServer& server, telemetry::Telemetry& sink, std::atomic<bool>& ready) {
  server.Route("GET", "/metrics", [&](const api::HttpRequest&) {
    return api::HttpReply{200,
                          "text/plain; version=0.0.4; charset=utf-8",
                          sink.RenderMetrics(std::chrono::steady_clock::now()),
                          {}};
  });
  server.Route("GET", "/healthz", [](const api::HttpRequest&) {
    return api::HttpReply{200, "text/plain", "ok\n", {}};
  });
  server.Route("GET", "/readyz", [&](const api::HttpRequest&) {
    return ready ? api::HttpReply{200, "text/plain", "ready\n", {}}
                 : api::HttpReply{503, "text/plain", "not ready\n", {}};
  });
  server.Route("GET", "/api/v1/status", [&](const api::HttpRequest&) {
    return api::HttpReply{
        200, "application/json", sink.StatusJson(std::chrono::steady_clock::now()), {}};
  });
}

}  // namespace

const char* EmbeddedDemoConfig() { return kEmbeddedDemoConfig; }

namespace {

// A reload (SIGHUP, POST /-/reload): the whole new config is parsed and validated, and the probes
// it adds or changes are built, before anything is swapped; any error leaves everything as it
// was. Probes whose YAML (and targets) did not change keep running untouched; windows and
// counters live in telemetry::Telemetry by probe name, so a changed probe keeps them too; a removed
// probe's series leave /metrics. Runs on the probe io_context.
struct Reloader {
  const probes::ProbeRegistry& registry;
  const ServeOptions& options;
  config::ConfigHolder& holder;
  std::vector<std::shared_ptr<const config::Config>>& generations;  // probes may point into any
  telemetry::Telemetry& sink;
  Scheduler& scheduler;
  nfr::AlertNotifier& notifier;
  suite::SuiteService& suites;
  suite::HistoryStore& history;
  std::vector<config::NfrRule>& rules;
  std::map<std::string, nfr::RuleState>& states;
  asio::io_context& io;
  asio::any_io_executor blocking;
  std::string generator_url;

  struct Result {
    bool ok = false;
    std::vector<std::string> errors;
    std::vector<std::string> added, changed, removed;
    std::size_t kept = 0;
  };

  Result Fail(Result r) {
    sink.RecordReload(false, std::chrono::system_clock::now());
    for (const auto& e : r.errors) spdlog::error("reload refused: {}", e);
    spdlog::error("reload refused: {} error(s); the running config is unchanged", r.errors.size());
    return r;
  }

  Result Run() {
    Result r;
    const auto old = holder.Get();
    std::shared_ptr<const config::Config> fresh;
    try {
      fresh = std::make_shared<const config::Config>(
          old->source == "<embedded demo.yaml>"
              ? config::LoadString(EmbeddedDemoConfig(), old->source, registry.Parsers())
              : config::LoadFile(old->source, registry.Parsers()));
    } catch (const config::ConfigError& e) {
      r.errors = e.errors();
      return Fail(r);
    }
    auto restart = [&](bool differs, const char* what) {
      if (differs)
        r.errors.push_back(old->source + ": " + what +
                           " changed: restart the daemon to apply it (or put it back)");
    };
    restart(options.listen_override.empty() && fresh->daemon.listen != old->daemon.listen,
            "daemon.listen");
    restart(fresh->daemon.windows != old->daemon.windows, "daemon.windows");
    restart(fresh->daemon.state_dir != old->daemon.state_dir, "daemon.state_dir");
    restart(fresh->history.store != old->history.store || fresh->history.dsn != old->history.dsn ||
                fresh->history.password != old->history.password,
            "history");
    if (!r.errors.empty()) return Fail(r);

    // Build every new or changed probe first: a probe that cannot be built refuses the reload.
    std::map<std::string, const config::ProbeConfig*> before;
    for (const auto& p : old->probes) {
      if (p.kind != "load") before[p.name] = &p;
    }
    std::vector<ScheduledProbe> start;
    std::set<std::string> present, kind_changed;
    for (const auto& p : fresh->probes) {
      if (p.kind == "load") continue;
      present.insert(p.name);
      auto it = before.find(p.name);
      if (it != before.end() && it->second->fingerprint == p.fingerprint) {
        ++r.kept;
        continue;
      }
      (it == before.end() ? r.added : r.changed).push_back(p.name);
      if (it != before.end() && it->second->kind != p.kind) kind_changed.insert(p.name);
      try {
        start.push_back({p.name, p.kind, p.interval, p.timeout,
                         registry.Create({p, fresh->FindTarget(p.target), io.get_executor(),
                                          blocking, fresh.get()})});
      } catch (const std::exception& e) {
        r.errors.push_back(fresh->source + ":" + std::to_string(p.line) + ": probe " + p.name +
                           ": " + e.what());
      }
    }
    if (!r.errors.empty()) return Fail(r);
    for (const auto& [name, p] : before) {
      if (!present.count(name)) r.removed.push_back(name);
    }

    // Swap.
    generations.push_back(fresh);
    holder.Set(fresh);
    for (const auto& name : r.removed) {
      scheduler.Remove(name);
      sink.RemoveProbe(name);
    }
    for (const auto& name : r.changed) {
      scheduler.Remove(name);
      if (kind_changed.count(name)) sink.RemoveProbe(name);
    }
    scheduler.Start(std::move(start));

    auto next = ContinuousRules(*fresh);
    for (const auto& rule : rules) {
      const bool kept = std::any_of(next.begin(), next.end(),
                                    [&](const config::NfrRule& n) { return n.name == rule.name; });
      if (kept) continue;
      // A firing rule that goes away is resolved, not left to expire.
      if (auto st = states.find(rule.name);
          st != states.end() && st->second.state == nfr::NfrState::kFiring) {
        notifier.Notify(rule, {nfr::Notification::Kind::kResolved, st->second.value.value_or(0),
                               st->second.active_since, std::chrono::system_clock::now()});
      }
      states.erase(rule.name);
      sink.RemoveNfr(rule.name);
    }
    rules = std::move(next);
    for (const auto& rule : rules) sink.PublishNfr(rule, states[rule.name]);
    asio::co_spawn(io, RefreshBaselines(fresh, history, blocking, rules), asio::detached);
    if (!(fresh->alerting == old->alerting)) {
      notifier.Reconfigure(fresh->alerting, fresh->alerting.external_url.empty()
                                                ? generator_url
                                                : fresh->alerting.external_url);
    }
    spdlog::set_level(spdlog::level::from_str(fresh->daemon.log.level));
    suites.Reconfigured();
    sink.RecordReload(true, std::chrono::system_clock::now());
    spdlog::info("config reloaded from {}: {} probe(s) added, {} changed, {} removed, {} kept",
                 fresh->source, r.added.size(), r.changed.size(), r.removed.size(), r.kept);
    r.ok = true;
    return r;
  }
};

std::string JsonList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const auto& s : v) out += (out.size() > 1 ? ", " : "") + common::JsonQuote(s);
  return out + "]";
}

}  // namespace

int Serve(const config::Config& initial, const probes::ProbeRegistry& registry,
          const ServeOptions& options) {
  std::vector<std::shared_ptr<const config::Config>> generations = {
      std::make_shared<const config::Config>(initial)};
  config::ConfigHolder holder(generations.front());
  const config::Config& config = *generations.front();
  asio::io_context io;
  // Blocking drivers (libpq, hiredis) run here; two threads serve a handful of data-tier probes.
  asio::thread_pool blocking(2);
  telemetry::Telemetry sink(config.daemon.windows,
                            telemetry::BuildInfo{common::kVersion, common::kRevision});
  std::vector<ScheduledProbe> probes;
  try {
    probes = BuildProbes(config, registry, io.get_executor(), blocking.get_executor());
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  std::unique_ptr<suite::HistoryStore> history;
  try {
    history = suite::OpenHistory(config.history, config.daemon.state_dir);
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: run history: " << e.what() << "\n";
    return 2;
  }
  suite::SuiteService suites(holder, registry, io.get_executor(), blocking.get_executor(), *history,
                             SuiteMetrics(sink));
  std::atomic<bool> ready{false};
  api::ApiServer server;
  AddRoutes(server, sink, ready);
  const std::string listen =
      options.listen_override.empty() ? config.daemon.listen : options.listen_override;
  const std::string listen_host = listen.substr(0, listen.rfind(':'));
  api::AddSuiteRoutes(server, suites, holder, listen_host);
  const double started_wall =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  server.Route("GET", "/", [&sink, &suites, started_wall](const api::HttpRequest&) {
    telemetry::StatusPageData data = sink.StatusPage(std::chrono::system_clock::now());
    data.version = common::kVersion;
    data.started_wall = started_wall;
    try {
      for (const auto& r : suites.List(0, 5)) {
        data.runs.push_back({r.id, r.profile, r.state, r.started_at,
                             r.Count(suite::Verdict::kPassed), r.Count(suite::Verdict::kFailed),
                             r.Count(suite::Verdict::kSkipped)});
      }
    } catch (const std::exception& e) {
      spdlog::warn("status page: run history unavailable: {}", e.what());
    }
    return api::HttpReply{200, "text/html; charset=utf-8", api::RenderStatusPage(data), {}};
  });
  int port = 0;
  try {
    port = server.Bind(listen);
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: " << e.what() << "\n";
    return 2;
  }
  const std::string& host = listen_host;
  spdlog::info("reznet-perfd {} listening on http://{}:{} ({} probes from {}; run history in {})",
               common::kVersion, host, port, probes.size(), config.source, history->Describe());

  Scheduler scheduler(io, sink);
  scheduler.Start(std::move(probes));
  const std::string generator_url = "http://" + host + ":" + std::to_string(port) + "/";
  nfr::AlertNotifier notifier(
      io.get_executor(), config.alerting,
      config.alerting.external_url.empty() ? generator_url : config.alerting.external_url,
      [&sink](const std::string& am, bool ok) { sink.CountNotification(am, ok); });
  notifier.Start();
  bool stopping = false;
  std::vector<config::NfrRule> rules = ContinuousRules(config);
  std::map<std::string, nfr::RuleState> states;
  asio::co_spawn(io, RefreshBaselines(holder.Get(), *history, blocking.get_executor(), rules),
                 asio::detached);
  suites.OnFinished([&] {
    asio::co_spawn(io, RefreshBaselines(holder.Get(), *history, blocking.get_executor(), rules),
                   asio::detached);
  });
  asio::co_spawn(io, EvaluateNfrs(holder, rules, states, sink, notifier, stopping), asio::detached);

  Reloader reloader{registry,
                    options,
                    holder,
                    generations,
                    sink,
                    scheduler,
                    notifier,
                    suites,
                    *history,
                    rules,
                    states,
                    io,
                    blocking.get_executor(),
                    generator_url};
  auto reload = [&] {
    systemd::Notify("RELOADING=1");
    auto result = reloader.Run();
    systemd::Notify("READY=1");
    return result;
  };
  asio::signal_set hup(io, SIGHUP);
  std::function<void()> on_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec || stopping) return;
      spdlog::info("SIGHUP: reloading {}", holder.Get()->source);
      reload();
      on_hup();
    });
  };
  on_hup();
  // POST /-/reload: authorised like /run-suite; the reload itself runs on the probe io_context.
  server.Route("POST", "/-/reload", [&](const api::HttpRequest& req) {
    if (auto denied = api::CheckTrigger(req, holder.Get()->daemon, listen_host)) return *denied;
    auto done = std::make_shared<std::promise<Reloader::Result>>();
    auto future = done->get_future();
    asio::post(io, [&, done] { done->set_value(reload()); });
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
      return api::HttpReply{
          503, "application/json", "{\"error\": \"the daemon is busy or stopping\"}\n", {}};
    const auto r = future.get();
    if (!r.ok) {
      return api::HttpReply{400,
                            "application/json",
                            "{\"error\": \"reload refused; the running config is unchanged\", "
                            "\"errors\": " +
                                JsonList(r.errors) + "}\n",
                            {}};
    }
    return api::HttpReply{200,
                          "application/json",
                          "{\"status\": \"reloaded\", \"added\": " + JsonList(r.added) +
                              ", \"changed\": " + JsonList(r.changed) + ", \"removed\": " +
                              JsonList(r.removed) + ", \"kept\": " + std::to_string(r.kept) + "}\n",
                          {}};
  });
  ready = true;

  auto work = asio::make_work_guard(io);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain(io);
  asio::steady_timer watchdog(io);
  std::function<void(std::chrono::steady_clock::time_point)> wait_drained;
  wait_drained = [&](std::chrono::steady_clock::time_point until) {
    const auto grace = holder.Get()->daemon.shutdown_grace;
    if ((scheduler.InFlight() == 0 && !suites.Running()) ||
        std::chrono::steady_clock::now() >= until) {
      if (int left = scheduler.InFlight())
        spdlog::warn("cancelling {} run(s) still going after {}ms", left,
                     std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
      if (suites.Running())
        spdlog::warn("suite run cancelled after {}ms: not stored",
                     std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
      work.reset();
      io.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&, until](const boost::system::error_code&) { wait_drained(until); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    const auto grace = holder.Get()->daemon.shutdown_grace;
    spdlog::info("signal {} received: stopping (grace {}ms for in-flight runs)", signo,
                 std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
    systemd::Notify("STOPPING=1");
    ready = false;
    stopping = true;
    watchdog.cancel();
    hup.cancel();
    notifier.Stop();
    scheduler.Stop();
    suites.Stop();
    wait_drained(std::chrono::steady_clock::now() + grace);
  });

  server.Start();
  systemd::Notify("READY=1\nSTATUS=probing " + std::to_string(config.probes.size()) +
                  " probes, serving http://" + host + ":" + std::to_string(port) + "/");
  // The watchdog is fed from the probe io_context: a stuck probe loop stops the pings.
  std::function<void()> feed = [&] {
    if (stopping) return;
    systemd::Notify("WATCHDOG=1");
    watchdog.expires_after(*systemd::WatchdogPingInterval());
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) feed();
    });
  };
  if (systemd::WatchdogPingInterval()) feed();
  // One thread runs every probe: measured cheaper per run than two (no cross-thread wake-ups),
  // and the HTTP server has its own thread, so scrapes never delay a probe's clock.
  io.run();
  server.Stop();
  blocking.stop();
  blocking.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace reznet::daemon
