#include "daemon/app.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <iostream>
#include <optional>

#include "api/api_server.hpp"
#include "api/basic_auth.hpp"
#include "api/probe_route.hpp"
#include "api/routes.hpp"
#include "api/suite_routes.hpp"
#include "common/fd_limit.hpp"
#include "common/metrics_registry.hpp"
#include "common/time.hpp"
#include "common/version.hpp"
#include "config/holder.hpp"
#include "daemon/daemon_metrics.hpp"
#include "daemon/demo_config.hpp"
#include "daemon/discovery.hpp"
#include "daemon/file_watch.hpp"
#include "daemon/prober_monitor.hpp"
#include "daemon/reload.hpp"
#include "daemon/reload_control.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/state_lock.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/wiring.hpp"
#include "nfr/alert_notifier.hpp"
#include "nfr/evaluator.hpp"
#include "nfr/nfr_metrics.hpp"
#include "suite/service.hpp"
#include "suite/suite_metrics.hpp"
#include "telemetry/prober_health.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

const char* EmbeddedDemoConfig() { return kEmbeddedDemoConfig; }

namespace {

// Suite runs report into the metrics: their profiles, results and live load counters.
// A failed history write counts and makes /readyz 503 until a write succeeds again.
suite::SuiteHooks SuiteWiring(suite::SuiteMetrics& metrics, api::Readiness& ready) {
  suite::SuiteHooks hooks;
  hooks.profile_declared = [&metrics](const std::string& profile) { metrics.AddProfile(profile); };
  hooks.run_finished = [&metrics](const suite::RunRecord& run) {
    metrics.RecordRun(run.profile, std::string(suite::ToString(run.state)),
                      run.finished_at - run.started_at, run.finished_at,
                      run.Count(suite::Verdict::kFailed) +
                          (run.inconclusive_fails ? run.Count(suite::Verdict::kInconclusive) : 0));
  };
  hooks.live_started = [&metrics](const std::string& probe, const probes::LiveCounters* live) {
    metrics.BeginLoad(probe, live);
  };
  hooks.live_ended = [&metrics](const std::string& probe) { metrics.EndLoad(probe); };
  hooks.history_written = [&metrics, &ready](const std::string& failure) {
    if (!failure.empty()) metrics.CountHistoryWriteFailure();
    ready.SetProblem(failure.empty() ? "" : "last suite run not stored in history: " + failure);
  };
  return hooks;
}

// A rule reads the windows, or its SLO counts (a burn-rate rule: Telemetry's SloLedger, which
// counts for the rules installed); its state goes to its series (NfrMetrics) and to the status
// page (Telemetry).
nfr::EvaluatorPorts EvaluatorWiring(telemetry::Telemetry& sink, nfr::NfrMetrics& metrics,
                                    nfr::AlertNotifier& notifier) {
  return {[&sink](const config::NfrRule& rule, std::chrono::steady_clock::time_point now) {
            return rule.burn_rate() ? sink.slo().Observe(rule, now)
                                    : sink.windows().Observe(rule, now);
          },
          [&sink, &metrics](const config::NfrRule& rule, const nfr::RuleState& state) {
            metrics.Publish(rule, state);
            sink.status().PublishNfr(rule, state);
          },
          [&sink, &metrics](const std::string& rule) {
            metrics.Remove(rule);
            sink.status().RemoveNfr(rule);
          },
          [&notifier](const config::NfrRule& rule, const nfr::Notification& n) {
            notifier.Notify(rule, n);
          },
          [&sink](const std::vector<config::NfrRule>& rules) { sink.slo().SetRules(rules); }};
}

// Every connection, probe socket and database handle is a descriptor: take the hard limit the
// system allows (the soft default of 1024 runs out under a connection flood).
void RaiseFdLimit() {
  const common::FdLimit lim = common::RaiseFdLimit();
  if (!lim.error.empty()) {
    spdlog::warn("cannot raise the open files limit from {}: {}", lim.before, lim.error);
  } else if (lim.soft > lim.before) {
    spdlog::info("open files limit raised from {} to {}", lim.before, lim.soft);
  }
}

std::string HostOf(const std::string& listen) { return listen.substr(0, listen.rfind(':')); }

// Every part of a serving daemon, built from one config in dependency order and wired by
// reference. The probe io_context runs the probes, the scheduler, the evaluator, the notifier
// and the swap step of reloads on one thread (reloads are built on their own thread); the API
// server has its own thread; blocking drivers run on `blocking`.
class Daemon {
 public:
  // `initial`: the config as loaded, expanded by `discovery` (daemon/discovery.hpp).
  Daemon(std::shared_ptr<const config::Config> initial, std::unique_ptr<Discovery> discovery,
         const probes::ProbeRegistry& registry, const ServeOptions& options,
         std::unique_ptr<suite::HistoryStore> history)
      : registry_(registry),
        options_(options),
        discovery_(std::move(discovery)),
        initial_{initial},
        holder_(initial_),
        daemon_metrics_(metrics_, common::kVersion, common::kRevision),
        nfr_metrics_(metrics_),
        suite_metrics_(metrics_),
        sink_(metrics_, initial->daemon.windows),
        history_(std::move(history)),
        suites_(holder_, registry, io_.get_executor(), blocking_.get_executor(),
                storage_.get_executor(), *history_, SuiteWiring(suite_metrics_, ready_)),
        listen_(options.listen_override.empty() ? initial->daemon.listen : options.listen_override),
        scheduler_(io_, sink_) {}

  // Builds the probes, binds and wires the routes; an exit code on a start-up error.
  std::optional<int> Start();
  int Run();

 private:
  const config::Config& config() const { return *initial_; }
  void StartNfrs();
  void StartProberMonitor(int port);
  void AddReload();
  void WaitHup();
  void RefreshDiscovery();
  void OnSignals();
  void FeedWatchdog();
  void RetryUnstored();
  void WaitDrained(std::chrono::steady_clock::time_point until);

  const probes::ProbeRegistry& registry_;
  const ServeOptions& options_;
  std::unique_ptr<Discovery> discovery_;
  // The config the daemon started with (a reload puts another in holder_; each probe keeps the
  // config it was built from alive itself).
  std::shared_ptr<const config::Config> initial_;
  config::ConfigHolder holder_;
  asio::io_context io_;
  // Blocking drivers (libpq, hiredis) run here; two threads serve a handful of data-tier probes.
  asio::thread_pool blocking_{2};
  // The history store's calls run here, one at a time: a hung history database holds this
  // thread (each call bounded, see suite/history.hpp), never a probe's.
  asio::thread_pool storage_{1};
  // Every room's /metrics series, each room's metrics registered on it (declared before them).
  common::MetricsRegistry metrics_;
  DaemonMetrics daemon_metrics_;
  nfr::NfrMetrics nfr_metrics_;
  suite::SuiteMetrics suite_metrics_;
  telemetry::Telemetry sink_;
  // The prober's own health (issue #26 item 5): fed by the scheduler's lateness and
  // prober_monitor_, read by /metrics, /api/v1/status, the status page and the notifier.
  telemetry::ProberHealth prober_;
  api::Readiness ready_;
  std::unique_ptr<suite::HistoryStore> history_;
  suite::SuiteService suites_;
  api::ApiServer server_;
  std::string listen_;
  std::string generator_url_;
  config::Shard shard_;  // at start; a reload resolves its own (Reloader)
  Scheduler scheduler_;
  std::unique_ptr<nfr::AlertNotifier> notifier_;
  std::unique_ptr<nfr::Evaluator> evaluator_;
  std::unique_ptr<Reloader> reloader_;
  std::unique_ptr<ReloadRunner> reloads_;  // after reloader_: destroyed (joined) before it
  bool stopping_ = false;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::signal_set hup_{io_, SIGHUP};
  asio::signal_set signals_{io_, SIGINT, SIGTERM};
  asio::steady_timer drain_{io_};
  asio::steady_timer watchdog_{io_};
  asio::steady_timer retry_unstored_{io_};
  asio::steady_timer discovery_timer_{io_};
  std::unique_ptr<FileWatch> file_watch_;  // applies a rewritten targets_from file at once
  std::unique_ptr<ProberMonitor> prober_monitor_;
};

std::optional<int> Daemon::Start() {
  std::vector<ScheduledProbe> probes;
  try {
    shard_ = ShardFor(config(), options_.shard);
    for (const auto& p : config().probes) {
      if (ScheduledHere(p, shard_))
        probes.push_back(
            BuildProbe(initial_, p, registry_, io_.get_executor(), blocking_.get_executor()));
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  daemon_metrics_.SetShard(shard_.index, shard_.of);
  LogShard(config(), shard_, probes.size());
  metrics_.Add(prober_);
  api::AddMetricsRoutes(server_, sink_, ready_, &prober_);
  api::AddSuiteRoutes(server_, suites_, holder_, HostOf(listen_));
  api::AddProbeRoute(server_,
                     {holder_, registry_, io_.get_executor(), blocking_.get_executor(), metrics_});
  api::AddStatusPageRoute(server_, sink_, suites_, common::kVersion,
                          common::UnixSeconds(std::chrono::system_clock::now()), &prober_);
  const bool tls = config().daemon.tls.enabled();
  if (tls) server_.UseTls(TlsSettingsOf(config().daemon.tls));
  if (!config().daemon.basic_users.empty())
    server_.RequireBasicAuth(std::make_shared<api::BasicAuth>(config().daemon.basic_users));
  int port = 0;
  try {
    port = server_.Bind(listen_);
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: " << e.what() << "\n";
    return 2;
  }
  const std::string host = HostOf(listen_);
  const std::string base = (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
  spdlog::info("reznet-perfd {} listening on {} ({} probes from {}; run history in {})",
               common::kVersion, base, probes.size(), config().source, history_->Describe());
  const std::size_t running = probes.size();
  discovery_->Attach(metrics_);
  scheduler_.ReportLatenessTo(prober_);
  scheduler_.Start(std::move(probes));
  ExportTargetInfo(sink_, config());
  generator_url_ = base + "/";
  StartNfrs();
  StartProberMonitor(port);
  AddReload();
  RefreshDiscovery();
  OnSignals();
  ready_.SetServing(true);
  server_.Start();
  systemd::Notify("READY=1\nSTATUS=probing " + std::to_string(running) + " probes, serving " +
                  generator_url_);
  if (systemd::WatchdogPingInterval()) FeedWatchdog();
  RetryUnstored();
  return std::nullopt;
}

// Finished runs the history store refused are offered to it again every 15 s (and after every
// run it stores), so runs finished while it was down are written when it returns.
void Daemon::RetryUnstored() {
  if (stopping_) return;
  retry_unstored_.expires_after(std::chrono::seconds(15));
  retry_unstored_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (suites_.UnstoredCount() > 0) asio::post(storage_, [this] { suites_.StoreUnstored(); });
    RetryUnstored();
  });
}

void Daemon::StartNfrs() {
  const auto& alerting = config().alerting;
  notifier_ = std::make_unique<nfr::AlertNotifier>(
      io_.get_executor(), alerting,
      alerting.external_url.empty() ? generator_url_ : alerting.external_url,
      [this](const std::string& am, bool ok) { nfr_metrics_.CountNotification(am, ok); });
  notifier_->Start();
  evaluator_ = std::make_unique<nfr::Evaluator>(EvaluatorWiring(sink_, nfr_metrics_, *notifier_));
  evaluator_->SetRules(ContinuousRules(config(), shard_), std::chrono::system_clock::now());
  auto refresh = [this] {
    asio::co_spawn(io_,
                   RefreshBaselines(holder_.Get(), *history_, storage_.get_executor(), *evaluator_),
                   asio::detached);
  };
  refresh();
  suites_.OnFinished(refresh);
  asio::co_spawn(
      io_,
      nfr::RunEvaluator(
          *evaluator_, [this] { return holder_.Get()->daemon.eval_interval; }, stopping_),
      asio::detached);
}

// The prober's own health: measured on the probe io_context, judged against daemon.overload of
// the config in force; a change marks the alerts the notifier sends (and fires its own alert).
void Daemon::StartProberMonitor(int port) {
  prober_monitor_ = std::make_unique<ProberMonitor>(
      io_.get_executor(), prober_, [this] { return holder_.Get()->daemon.overload; },
      [this](bool overloaded, const std::string& why) {
        notifier_->SetProberOverloaded(overloaded, why);
      });
  prober_monitor_->Start(SelfProbeUrl(listen_, port, config().daemon.tls));
}

// SIGHUP and POST /-/reload: built on the reload thread, swapped on the probe io_context.
// POST waits up to kReloadReplyWait for the outcome, then answers 202 with where to read it.
void Daemon::AddReload() {
  reloader_ = std::make_unique<Reloader>(
      Reloader::Parts{registry_, options_, holder_, sink_, daemon_metrics_, scheduler_, *notifier_,
                      *evaluator_, suites_, *history_, io_, blocking_.get_executor(),
                      storage_.get_executor(), generator_url_, *discovery_});
  reloads_ = std::make_unique<ReloadRunner>(*reloader_, io_);
  WaitHup();
  constexpr std::chrono::seconds kReloadReplyWait{20};
  api::AddReloadRoute(server_, holder_, HostOf(listen_), *reloads_, kReloadReplyWait);
}

void Daemon::WaitHup() {
  hup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec || stopping_) return;
    reloads_->StartOrFollow("SIGHUP");  // logs, at most a line a second in a storm
    WaitHup();
  });
}

// targets_from files are read again every `refresh:` (the smallest), on the reload thread, and at
// once when inotify says one of them was written, moved or deleted.
void Daemon::RefreshDiscovery() {
  if (stopping_) return;
  if (!file_watch_) {
    file_watch_ = std::make_unique<FileWatch>(io_, [this] {
      if (!stopping_ && discovery_->Refresh()) reloads_->RefreshDiscovery();
    });
  }
  std::vector<std::string> patterns;  // of the config in force (a reload may change them)
  if (auto loaded = discovery_->loaded()) {
    for (const auto& p : loaded->probes) {
      if (p.targets_from)
        patterns.insert(patterns.end(), p.targets_from->files.begin(), p.targets_from->files.end());
    }
  }
  file_watch_->Watch(patterns);
  discovery_timer_.expires_after(discovery_->Refresh().value_or(std::chrono::seconds(5)));
  discovery_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (discovery_->Refresh()) reloads_->RefreshDiscovery();
    RefreshDiscovery();
  });
}

void Daemon::OnSignals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    const auto grace = holder_.Get()->daemon.shutdown_grace;
    spdlog::info("signal {} received: stopping (grace {}ms for in-flight runs)", signo,
                 std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
    systemd::Notify("STOPPING=1");
    ready_.SetServing(false);
    stopping_ = true;
    watchdog_.cancel();
    retry_unstored_.cancel();
    discovery_timer_.cancel();
    if (file_watch_) file_watch_->Stop();
    if (prober_monitor_) prober_monitor_->Stop();
    hup_.cancel();
    notifier_->Stop();
    scheduler_.Stop();
    suites_.Stop();
    WaitDrained(std::chrono::steady_clock::now() + grace);
  });
}

void Daemon::WaitDrained(std::chrono::steady_clock::time_point until) {
  const auto grace = holder_.Get()->daemon.shutdown_grace;
  const auto grace_ms = std::chrono::duration_cast<std::chrono::milliseconds>(grace).count();
  if ((scheduler_.InFlight() == 0 && !suites_.Running()) ||
      std::chrono::steady_clock::now() >= until) {
    if (int left = scheduler_.InFlight())
      spdlog::warn("cancelling {} run(s) still going after {}ms", left, grace_ms);
    if (suites_.Running()) spdlog::warn("suite run cancelled after {}ms: not stored", grace_ms);
    work_.reset();
    io_.stop();
    return;
  }
  drain_.expires_after(std::chrono::milliseconds(20));
  drain_.async_wait([this, until](const boost::system::error_code&) { WaitDrained(until); });
}

// The watchdog is fed from the probe io_context: a stuck probe loop stops the pings.
void Daemon::FeedWatchdog() {
  if (stopping_) return;
  systemd::Notify("WATCHDOG=1");
  watchdog_.expires_after(*systemd::WatchdogPingInterval());
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) FeedWatchdog();
  });
}

int Daemon::Run() {
  // One thread runs every probe: measured cheaper per run than two (no cross-thread wake-ups),
  // and the HTTP server has its own thread, so scrapes never delay a probe's clock.
  io_.run();
  server_.Stop();
  blocking_.stop();
  blocking_.join();
  storage_.stop();
  storage_.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int Serve(const config::Config& config, const probes::ProbeRegistry& registry,
          const ServeOptions& options) {
  const std::string listen =
      options.listen_override.empty() ? config.daemon.listen : options.listen_override;
  if (auto errors = PreflightErrors(config, listen); !errors.empty()) {
    for (const auto& e : errors) std::cerr << e << "\n";
    return 2;
  }
  // Held until Serve returns: a second daemon on the same state_dir exits 2 naming this one.
  auto state_lock = StateDirLock::Acquire(config.daemon.state_dir);
  if (!state_lock) {
    std::cerr << "reznet-perfd: " << state_lock.error().detail << "\n";
    return 2;
  }
  RaiseFdLimit();
  // Blocks of 1 MiB and more (a /metrics text is MiBs at 1,000 probes) are mapped and unmapped
  // on their own instead of glibc raising its threshold to their size and keeping them in the
  // heap once freed: the resident set follows what is live (bench/scale.py).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  std::unique_ptr<suite::HistoryStore> history;
  try {
    history = suite::OpenHistory(config.history, config.daemon.state_dir);
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: run history: " << e.what() << "\n";
    return 2;
  }
  auto discovery = std::make_unique<Discovery>();
  auto loaded = std::make_shared<const config::Config>(config);
  discovery->SetLoaded(loaded);
  auto expanded = discovery->Expand(loaded, false);
  Daemon daemon(std::move(expanded), std::move(discovery), registry, options, std::move(history));
  if (auto rc = daemon.Start()) return *rc;
  return daemon.Run();
}

}  // namespace reznet::daemon
