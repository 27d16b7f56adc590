#pragma once
// Delivers NFR alerts to Alertmanager (POST /api/v2/alerts, to every configured URL: an HA pair
// gets each alert from us and dedups it itself). Firing alerts are re-sent every
// resend_interval with endsAt three intervals ahead (so Alertmanager resolves them by itself if
// the daemon dies); a resolution is sent with endsAt = the time it resolved, then forgotten
// (send_resolved: false skips that). A failed POST is retried with backoff (1 s, 2 s, 4 s … up to
// resend_interval), counted in reznet_perf_alert_notifications_failed_total, and never blocks
// probes or the evaluator: everything here runs as one coroutine on the probe io_context.
// Not thread-safe: Notify must be called on that io_context (the evaluator runs there).

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/nfr.hpp"
#include "nfr/step.hpp"

namespace reznet::nfr {

// Counts one delivery attempt to an Alertmanager (its URL, whether it was accepted).
using DeliveryCounter = std::function<void(const std::string& alertmanager, bool ok)>;

class AlertNotifier {
 public:
  AlertNotifier(boost::asio::any_io_executor executor, config::AlertingConfig config,
                std::string generator_url, DeliveryCounter count_delivery);
  ~AlertNotifier();

  void Notify(const config::NfrRule& rule, const Notification& notification);
  void Start();
  void Stop();
  // A reload with a different alerting config: new targets and intervals; the alerts that are
  // firing keep being sent.
  void Reconfigure(config::AlertingConfig config, std::string generator_url);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The Alertmanager v2 JSON of one alert (exposed for tests).
std::string AlertJson(const config::NfrRule& rule, const Notification& n,
                      const std::string& generator_url,
                      std::chrono::system_clock::time_point ends_at);
// "{{value}}", "{{threshold}}", "{{baseline}}", "{{change}}" (percent vs the baseline) replaced.
std::string Substitute(const std::string& text, const config::NfrRule& rule, double value);
std::string Rfc3339(std::chrono::system_clock::time_point t);

}  // namespace reznet::nfr
