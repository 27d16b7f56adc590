#include "daemon/prober_monitor.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "clients/http_client.hpp"
#include "common/format.hpp"
#include "common/rate_limit.hpp"
#include "common/read_file.hpp"
#include "telemetry/prober_health.hpp"

namespace reznet::daemon {
namespace asio = boost::asio;

namespace {

// /proc/pressure/cpu is two short lines; anything longer is not it.
constexpr std::size_t kMaxPsiBytes = 4096;

}  // namespace

common::Result<config::Url> SelfProbeUrl(const std::string& listen, int port,
                                         const config::TlsConfig& tls) {
  if (!tls.client_ca_file.empty()) {
    return common::Invalid(
        "the API requires client certificates (daemon.tls.client_ca_file), which the daemon has "
        "none of for itself");
  }
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return config::ParseUrl((tls.enabled() ? "https://" : "http://") + host + ":" +
                          std::to_string(port));
}

struct ProberMonitor::Impl {
  asio::any_io_executor executor;
  telemetry::ProberHealth& health;
  Limits limits;
  OnChange on_change;
  common::Clock& clock;
  std::string psi_path;
  std::unique_ptr<common::Timer> timer;
  std::unique_ptr<clients::HttpClient> client;  // null: no self-probe
  bool stopping = false;
  bool psi_logged = false;  // the PSI file was found unusable once: said so, not again
  common::RateLimitedLog self_probe_warnings{std::chrono::minutes(10)};

  Impl(asio::any_io_executor ex, telemetry::ProberHealth& h, Limits l, OnChange c,
       common::Clock& clk, std::string psi)
      : executor(ex),
        health(h),
        limits(std::move(l)),
        on_change(std::move(c)),
        clock(clk),
        psi_path(std::move(psi)),
        timer(clock.MakeTimer(ex)) {}

  void ReadPressure() {
    auto text = common::ReadFileBounded(psi_path, kMaxPsiBytes);
    std::optional<double> ratio = text ? telemetry::ParseCpuPressure(*text) : std::nullopt;
    health.ObserveCpuPressure(ratio);
    if (!ratio && !psi_logged) {
      psi_logged = true;
      spdlog::info("prober health: no CPU pressure ({}); judged on the self-probe and lateness",
                   text ? psi_path + " does not read as PSI" : text.error().detail);
    }
  }

  asio::awaitable<void> SelfProbe() {
    if (!client) co_return;
    clients::HttpRequest req{"GET", "/healthz", {}, {}};
    auto r =
        co_await client->Send(req, std::chrono::steady_clock::now() + kSelfProbeDeadline, false);
    if (r) {
      health.ObserveSelfProbe(r->timings.total);
      co_return;
    }
    const bool timed_out = r.error().kind == clients::ErrorKind::kTimeout;
    health.CountSelfProbeError(
        timed_out ? std::optional<std::chrono::nanoseconds>(kSelfProbeDeadline) : std::nullopt);
    if (auto n = self_probe_warnings.Allow(std::chrono::steady_clock::now())) {
      spdlog::warn("prober health: self-probe GET /healthz failed: {}: {}{}",
                   clients::ToString(r.error().kind), r.error().detail,
                   *n ? " (" + std::to_string(*n) + " more since the last)" : "");
    }
  }

  void Check() {
    const auto v = health.Check(limits(), clock.Now(), clock.WallNow());
    if (!v.changed) return;
    const std::string why = common::Join(health.Snapshot().reasons, ", ");
    if (v.overloaded) {
      spdlog::warn("prober overloaded ({}): its measurements are suspect until it recovers", why);
    } else {
      spdlog::info("prober no longer overloaded");
    }
    if (on_change) on_change(v.overloaded, why);
  }

  asio::awaitable<void> Loop() {
    auto due = clock.Now() + kFirst;
    while (!stopping) {
      if (!co_await timer->WaitUntil(due) || stopping) break;
      health.ObserveLateness(clock.Now() - due);
      ReadPressure();
      co_await SelfProbe();
      if (stopping) break;
      Check();
      due += kInterval;
      // After a stall longer than an interval, start again from now instead of catching up.
      if (due < clock.Now()) due = clock.Now() + kInterval;
    }
  }
};

ProberMonitor::ProberMonitor(asio::any_io_executor executor, telemetry::ProberHealth& health,
                             Limits limits, OnChange on_change, common::Clock& clock,
                             std::string psi_path)
    : impl_(std::make_shared<Impl>(executor, health, std::move(limits), std::move(on_change), clock,
                                   std::move(psi_path))) {}

ProberMonitor::~ProberMonitor() { Stop(); }

void ProberMonitor::Start(const common::Result<config::Url>& self) {
  if (!self) {
    spdlog::info("prober health: no self-probe: {}", self.error().detail);
  } else {
    try {
      // Our own certificate names whatever host it was made for, not the loopback address.
      impl_->client = std::make_unique<clients::HttpClient>(impl_->executor, *self,
                                                            clients::TlsOptions{"", true},
                                                            clients::HttpLimits{4096, 16 << 10});
    } catch (const std::exception& e) {
      spdlog::warn("prober health: no self-probe: {}", e.what());
    }
  }
  asio::co_spawn(
      impl_->executor, [impl = impl_]() -> asio::awaitable<void> { co_await impl->Loop(); },
      asio::detached);
}

void ProberMonitor::Stop() {
  impl_->stopping = true;
  impl_->timer->Cancel();
}

}  // namespace reznet::daemon
