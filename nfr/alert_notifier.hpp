#pragma once
// Delivers NFR alerts to Alertmanager (POST /api/v2/alerts, to every configured URL: an HA pair
// gets each alert from us and dedups it itself). What is sent and when is decided by Outbox
// (alert_outbox.hpp: resend every resend_interval with endsAt ahead, resolution once with
// endsAt = the time it resolved, backoff 1 s, 2 s, 4 s … up to resend_interval per
// Alertmanager); this class is the loop around it. Each attempt is reported to `count_delivery`
// (reznet_perf_alert_notifications_failed_total). Delivery never blocks probes or the evaluator:
// everything here runs as one coroutine on the probe io_context, waiting on timers of `clock`
// (each POST itself has a real 10 s deadline).
// Not thread-safe: Notify must be called on that io_context (the evaluator runs there).

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "config/nfr.hpp"
#include "nfr/step.hpp"

namespace reznet::nfr {

// Counts one delivery attempt to an Alertmanager (its URL, whether it was accepted).
using DeliveryCounter = std::function<void(const std::string& alertmanager, bool ok)>;

class AlertNotifier {
 public:
  // `clock` must outlive the notifier and its loop.
  AlertNotifier(boost::asio::any_io_executor executor, config::AlertingConfig config,
                std::string generator_url, DeliveryCounter count_delivery,
                common::Clock& clock = common::SystemClock());
  ~AlertNotifier();

  void Notify(const config::NfrRule& rule, const Notification& notification);
  void Start();
  void Stop();
  // A reload with a different alerting config: new targets and intervals; the alerts that are
  // firing keep being sent.
  void Reconfigure(config::AlertingConfig config, std::string generator_url);
  // The prober became overloaded (`why`: the reasons) or not (telemetry/prober_health.hpp).
  // Meanwhile every NFR alert is sent with the annotation suspect="true", and the daemon's own
  // alert kProberOverloaded (labels alertname, severity="warning"; no instance, as none of the
  // daemon's alerts has one) fires, resolved when it ends: the inhibit rule shipped in
  // deploy/alertmanager/alertmanager.yml holds the daemon's NFR alerts behind it.
  void SetProberOverloaded(bool overloaded, const std::string& why);

  static constexpr const char* kProberOverloaded = "ReznetProberOverloaded";

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace reznet::nfr
