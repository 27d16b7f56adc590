#include "nfr/alert_notifier.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <optional>
#include <vector>

#include "clients/http_client.hpp"
#include "nfr/alert_outbox.hpp"

namespace reznet::nfr {
namespace asio = boost::asio;

namespace {

// A POST that gets no answer in this long (real time) counts as failed.
constexpr std::chrono::seconds kPostDeadline{10};
// Nothing to send: sleep until a Notify wakes the loop.
constexpr std::chrono::hours kIdle{24};

}  // namespace

struct AlertNotifier::Impl {
  struct Target {
    config::Url url;
    std::unique_ptr<clients::HttpClient> client;
  };
  asio::any_io_executor executor;
  common::Clock& clock;
  DeliveryCounter count_delivery;
  Outbox outbox;
  std::vector<Target> targets;
  std::unique_ptr<common::Timer> wake;
  bool stopping = false;
  std::optional<common::WallTime> overloaded_since;  // while the prober is overloaded

  Impl(asio::any_io_executor ex, common::Clock& c, const config::AlertingConfig& cfg,
       std::string generator_url, DeliveryCounter count)
      : executor(ex),
        clock(c),
        count_delivery(std::move(count)),
        outbox(cfg, std::move(generator_url)),
        wake(clock.MakeTimer(ex)) {
    for (const auto& u : cfg.alertmanager_urls) {
      targets.push_back({u, std::make_unique<clients::HttpClient>(ex, u, clients::TlsOptions{},
                                                                  clients::HttpLimits{})});
    }
  }

  asio::awaitable<bool> Send(Target& t, const std::string& body) {
    clients::HttpRequest req{
        "POST", "/api/v2/alerts", {{"content-type", "application/json"}}, body};
    auto r = co_await t.client->Send(req, std::chrono::steady_clock::now() + kPostDeadline, true);
    const bool ok = r && r->status >= 200 && r->status <= 299;
    if (count_delivery) count_delivery(t.url.ToString(), ok);
    if (!ok) {
      spdlog::warn("alertmanager {}: delivery failed ({}); retrying", t.url.ToString(),
                   r ? "HTTP " + std::to_string(r->status)
                     : std::string(clients::ToString(r.error().kind)) + ": " + r.error().detail);
    }
    co_return ok;
  }

  asio::awaitable<void> Loop() {
    while (!stopping) {
      for (const auto& d : outbox.Due(clock.Now(), clock.WallNow())) {
        const bool ok = co_await Send(targets.at(d.target), d.body);
        outbox.Delivered(d, ok, clock.Now());
      }
      if (stopping) break;  // Stop() came during a POST: its Cancel found no wait to end
      co_await wake->WaitUntil(outbox.NextDue().value_or(clock.Now() + kIdle));
    }
  }
};

AlertNotifier::AlertNotifier(asio::any_io_executor executor, config::AlertingConfig config,
                             std::string generator_url, DeliveryCounter count_delivery,
                             common::Clock& clock)
    : impl_(std::make_shared<Impl>(executor, clock, config, std::move(generator_url),
                                   std::move(count_delivery))) {}

AlertNotifier::~AlertNotifier() = default;

void AlertNotifier::Notify(const config::NfrRule& rule, const Notification& n) {
  impl_->outbox.Notify(rule, n, impl_->clock.Now());
  impl_->wake->Cancel();
}

void AlertNotifier::Start() {
  if (impl_->targets.empty()) return;
  asio::co_spawn(
      impl_->executor, [impl = impl_]() -> asio::awaitable<void> { co_await impl->Loop(); },
      asio::detached);
}

void AlertNotifier::Reconfigure(config::AlertingConfig config, std::string generator_url) {
  auto fresh = std::make_shared<Impl>(impl_->executor, impl_->clock, config,
                                      std::move(generator_url), impl_->count_delivery);
  fresh->outbox.Adopt(impl_->outbox);
  fresh->overloaded_since = impl_->overloaded_since;
  Stop();
  impl_ = std::move(fresh);
  Start();
}

void AlertNotifier::SetProberOverloaded(bool overloaded, const std::string& why) {
  Impl& impl = *impl_;
  const auto now = impl.clock.Now();
  const auto wall = impl.clock.WallNow();
  impl.outbox.SetSuspect(overloaded, now, wall);
  OwnAlert alert{kProberOverloaded, {{"severity", "warning"}}, {}};
  if (overloaded) {
    if (!impl.overloaded_since) impl.overloaded_since = wall;
    alert.annotations["summary"] =
        "reznet-perfd is overloaded (" + why +
        "): what it measures meanwhile, and the NFR alerts it sends, are suspect";
    impl.outbox.NotifyOwn(
        alert,
        {.kind = Notification::Kind::kFiring, .value = 1, .starts_at = *impl.overloaded_since},
        now);
  } else if (impl.overloaded_since) {
    alert.annotations["summary"] = "reznet-perfd is no longer overloaded";
    impl.outbox.NotifyOwn(alert,
                          {.kind = Notification::Kind::kResolved,
                           .value = 0,
                           .starts_at = *impl.overloaded_since,
                           .ends_at = wall},
                          now);
    impl.overloaded_since.reset();
  }
  impl.wake->Cancel();
}

void AlertNotifier::Stop() {
  impl_->stopping = true;
  impl_->wake->Cancel();
}

}  // namespace reznet::nfr
