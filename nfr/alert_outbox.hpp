#pragma once
// What the alert notifier POSTs to each Alertmanager, and when: pure code over the times it is
// given, so tests move time by hand. The notifier (alert_notifier.hpp) is the Asio loop around
// it: it asks Due(), sends, reports Delivered(), and sleeps until NextDue() or the next Notify.
//
// - Every alert still firing goes to every Alertmanager every resend_interval, with endsAt
//   kEndsAtIntervals × resend_interval ahead (so Alertmanager resolves it by itself if the daemon
//   dies). A change (Notify) makes every Alertmanager due at once.
// - A resolution goes with endsAt = the time it resolved, until each Alertmanager has accepted it
//   once; then it is forgotten. With send_resolved: false it is dropped at once, unsent.
// - Each Alertmanager has its own schedule. A failed POST is retried after a backoff of 1 s, 2 s,
//   4 s … up to resend_interval; a success resets it. A failing Alertmanager never delays the
//   others.
// - The daemon's own alerts (OwnAlert: ReznetProberOverloaded) go the same way, with their own
//   labels and no NFR's.
// - While the prober is overloaded (SetSuspect), and afterwards while a rule's window still holds
//   samples of the overload (nfr::EvidenceSpan after it ended), every alert on that rule carries
//   the annotation suspect="true": what the daemon measured then is suspect
//   (telemetry/prober_health.hpp). An annotation, not a label, so the alert stays the same alert
//   in Alertmanager; it goes at the next resend after the span.
// Not thread-safe: one owner (the notifier's io_context).

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "config/nfr.hpp"
#include "nfr/step.hpp"

namespace reznet::nfr {

using common::SteadyTime;
using common::WallTime;

// One POST /api/v2/alerts to one Alertmanager.
struct Delivery {
  std::size_t target = 0;  // index into AlertingConfig::alertmanager_urls
  std::string body;        // the JSON array of alerts
  // The resolutions inside (rule name, revision): accepted ones are not sent to this target again.
  std::vector<std::pair<std::string, std::uint64_t>> resolutions;
  std::uint64_t revisions = 0;  // the outbox's count of changes when the body was built
};

// An alert about the daemon itself, not an NFR: `name` becomes the alertname.
struct OwnAlert {
  std::string name;
  std::map<std::string, std::string> labels;       // besides alertname
  std::map<std::string, std::string> annotations;  // summary, …
  bool operator==(const OwnAlert&) const = default;
};

class Outbox {
 public:
  static constexpr std::chrono::seconds kFirstBackoff{1};
  static constexpr int kEndsAtIntervals = 3;

  struct TargetState {
    SteadyTime due{};                    // next POST; the epoch: as soon as there is something
    std::chrono::nanoseconds backoff{};  // zero while the last POST succeeded
  };

  Outbox(config::AlertingConfig config, std::string generator_url);

  // A state change from the evaluator, at `now`.
  void Notify(const config::NfrRule& rule, const Notification& n, SteadyTime now);
  // The POSTs due at `now`, at most one per Alertmanager; `wall` stamps firing alerts' endsAt.
  std::vector<Delivery> Due(SteadyTime now, WallTime wall) const;
  // The result of one of Due()'s deliveries, known at `now`. After a success the target is due
  // again at now + resend_interval, or at once when a Notify came while the POST was going; after
  // a failure, at now + backoff.
  void Delivered(const Delivery& delivery, bool ok, SteadyTime now);
  // When the next POST is due; nullopt while there is nothing to send.
  std::optional<SteadyTime> NextDue() const;
  // After a reload: `old`'s alerts, owed to every Alertmanager of this outbox, and what it knew
  // of the prober's overloads.
  void Adopt(const Outbox& old);

  // A state change of one of the daemon's own alerts, at `now`, as Notify.
  void NotifyOwn(const OwnAlert& alert, const Notification& n, SteadyTime now);
  // Whether the prober is overloaded from `now` (`wall`) on: NFR alerts are sent with
  // suspect="true" meanwhile, and for each rule until its evidence span has passed since the end.
  // A change makes every Alertmanager with alerts due at once, so firing alerts are sent again
  // with it.
  void SetSuspect(bool overloaded, SteadyTime now, WallTime wall);
  bool suspect() const { return overloaded_; }
  // Whether an alert on `rule` sent at `wall` is suspect.
  bool Suspect(const config::NfrRule& rule, WallTime wall) const;

  const TargetState& target(std::size_t i) const { return targets_.at(i); }
  std::size_t alert_count() const { return alerts_.size(); }

 private:
  struct Alert {
    config::NfrRule rule;
    Notification n;
    std::uint64_t revision = 0;
    std::vector<bool> owed;  // resolved alerts: per target, still to be accepted
  };
  bool HasWork(std::size_t target) const;

  config::AlertingConfig config_;
  std::string generator_url_;
  std::map<std::string, Alert> alerts_;  // by rule name; own alerts by OwnKey(name)
  std::map<std::string, OwnAlert> own_;  // the own alerts' labels, by the same key
  bool overloaded_ = false;
  WallTime overload_ended_{};  // the epoch: no overload ended yet
  std::vector<TargetState> targets_;
  std::uint64_t revisions_ = 0;
};

// The Alertmanager v2 object of one alert; `suspect` adds the annotation suspect="true".
boost::json::object AlertJson(const config::NfrRule& rule, const Notification& n,
                              const std::string& generator_url, WallTime ends_at,
                              bool suspect = false);
// The same of one of the daemon's own alerts.
boost::json::object OwnAlertJson(const OwnAlert& alert, const Notification& n,
                                 const std::string& generator_url, WallTime ends_at);
// "{{value}}", "{{threshold}}", "{{baseline}}", "{{change}}" (percent vs the baseline) replaced.
std::string Substitute(const std::string& text, const config::NfrRule& rule, double value);

}  // namespace reznet::nfr
