#include "nfr/alert_outbox.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>
#include <cstdio>

#include "common/json.hpp"
#include "common/time.hpp"

namespace reznet::nfr {
namespace json = boost::json;

std::string Substitute(const std::string& text, const config::NfrRule& rule, double value) {
  std::map<std::string, std::string> vars = {
      {"value", config::FormatValue(rule, value)},
      {"threshold", config::FormatThreshold(rule, rule.threshold)}};
  if (rule.reference) {
    vars["baseline"] = config::FormatThreshold(rule, *rule.reference);
    // The absolute change with its unit first, the relative one after: "+321ms (+185214.3%)"
    // reads right where a percentage of a tiny baseline alone does not (issue #26).
    const double by = value - *rule.reference;
    char relative[32];
    std::snprintf(relative, sizeof relative, "%+.1f%%",
                  *rule.reference != 0 ? (value / *rule.reference - 1) * 100 : 0.0);
    vars["change"] = std::string(by < 0 ? "-" : "+") + config::FormatThreshold(rule, std::abs(by)) +
                     " (" + relative + ")";
  }
  std::string out = text;
  for (const auto& [k, v] : vars) {
    const std::string key = "{{" + k + "}}";
    for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at + v.size()))
      out.replace(at, key.size(), v);
  }
  return out;
}

namespace {

// A burn-rate rule's summary (unless configured) and its burn rates: which pair of windows fired
// and the four rates, as the evaluator saw them when the alert changed.
void AddBurnAnnotations(json::object& annotations, const config::NfrRule& rule,
                        const Notification& n) {
  const std::string budget = config::FormatValue(rule, rule.ErrorBudget());
  const char* events = rule.stat == config::NfrStat::kErrorRate ? "runs failed" : "samples bad";
  const char* pairs = n.burn ? n.burn->pairs() : "";
  if (!annotations.contains("summary")) {
    annotations["summary"] = rule.name + ": " + rule.stat_name + " " + rule.op_text + " " +
                             config::FormatThreshold(rule, rule.threshold) +
                             " burns its error budget (" + budget +
                             ") too fast: " + config::FormatValue(rule, n.value) + " of " + events +
                             " over " + (n.burn && !n.burn->fast() && n.burn->slow() ? "6h" : "1h");
  }
  annotations["error_budget"] = budget;
  if (n.burn) {
    char rates[160];
    std::snprintf(rates, sizeof rates, "5m %.3g, 30m %.3g, 1h %.3g, 6h %.3g", n.burn->burn_5m,
                  n.burn->burn_30m, n.burn->burn_1h, n.burn->burn_6h);
    annotations["burn_rates"] = rates;
    if (*pairs != '\0') annotations["burn_windows"] = pairs;
  }
}

}  // namespace

json::object AlertJson(const config::NfrRule& rule, const Notification& n,
                       const std::string& generator_url, WallTime ends_at, bool suspect) {
  json::object labels;
  for (const auto& [k, v] : rule.labels) labels[k] = v;
  labels["alertname"] = rule.name;
  labels["nfr"] = rule.name;
  labels["severity"] = rule.severity;
  labels["probe"] = rule.probe;
  json::object annotations;
  for (const auto& [k, v] : rule.annotations) annotations[k] = Substitute(v, rule, n.value);
  if (rule.burn_rate()) {
    AddBurnAnnotations(annotations, rule, n);
  } else if (!annotations.contains("summary")) {
    annotations["summary"] =
        rule.reference
            ? Substitute(rule.name + ": " + rule.stat_name +
                             " {{value}} vs baseline {{baseline}}: {{change}} (promise " +
                             rule.op_text + " {{threshold}})",
                         rule, n.value)
            : rule.name + ": " + rule.stat_name + " " + config::FormatThreshold(rule, n.value) +
                  " (promise " + rule.op_text + " " +
                  config::FormatThreshold(rule, rule.threshold) + ")";
  }
  annotations["value"] = config::FormatValue(rule, n.value);
  annotations["threshold"] = config::FormatThreshold(rule, rule.threshold);
  if (rule.reference) {
    annotations["baseline"] = config::FormatThreshold(rule, *rule.reference);
    annotations["change"] = Substitute("{{change}}", rule, n.value);
  }
  if (suspect) annotations["suspect"] = "true";
  return json::object{{"labels", labels},
                      {"annotations", annotations},
                      {"startsAt", common::FormatUtc(n.starts_at, common::kRfc3339Millis)},
                      {"endsAt", common::FormatUtc(ends_at, common::kRfc3339Millis)},
                      {"generatorURL", generator_url}};
}

json::object OwnAlertJson(const OwnAlert& alert, const Notification& n,
                          const std::string& generator_url, WallTime ends_at) {
  json::object labels;
  for (const auto& [k, v] : alert.labels) labels[k] = v;
  labels["alertname"] = alert.name;
  json::object annotations;
  for (const auto& [k, v] : alert.annotations) annotations[k] = v;
  return json::object{{"labels", labels},
                      {"annotations", annotations},
                      {"startsAt", common::FormatUtc(n.starts_at, common::kRfc3339Millis)},
                      {"endsAt", common::FormatUtc(ends_at, common::kRfc3339Millis)},
                      {"generatorURL", generator_url}};
}

namespace {

// Own alerts share the map with NFR alerts under a key no NFR name can take (no '/' in those).
std::string OwnKey(const std::string& name) { return "own/" + name; }

}  // namespace

Outbox::Outbox(config::AlertingConfig config, std::string generator_url)
    : config_(std::move(config)),
      generator_url_(std::move(generator_url)),
      targets_(config_.alertmanager_urls.size()) {}

void Outbox::Notify(const config::NfrRule& rule, const Notification& n, SteadyTime now) {
  const bool resolved = n.kind == Notification::Kind::kResolved;
  if (resolved && (!config_.send_resolved || targets_.empty())) {
    alerts_.erase(rule.name);
    return;
  }
  alerts_[rule.name] = {rule, n, ++revisions_, std::vector<bool>(targets_.size(), resolved)};
  for (auto& t : targets_) t.due = now;
}

bool Outbox::HasWork(std::size_t target) const {
  return std::ranges::any_of(alerts_, [&](const auto& kv) {
    return kv.second.n.kind == Notification::Kind::kFiring || kv.second.owed[target];
  });
}

std::vector<Delivery> Outbox::Due(SteadyTime now, WallTime wall) const {
  const auto ahead =
      kEndsAtIntervals * std::chrono::duration_cast<WallTime::duration>(config_.resend_interval);
  std::vector<Delivery> out;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].due > now || !HasWork(i)) continue;
    Delivery d{i, {}, {}, revisions_};
    json::array alerts;
    for (const auto& [name, a] : alerts_) {
      const auto own = own_.find(name);
      const auto json = [&](WallTime ends_at) {
        return own != own_.end()
                   ? OwnAlertJson(own->second, a.n, generator_url_, ends_at)
                   : AlertJson(a.rule, a.n, generator_url_, ends_at, Suspect(a.rule, wall));
      };
      if (a.n.kind == Notification::Kind::kFiring) {
        alerts.push_back(json(wall + ahead));
      } else if (a.owed[i]) {
        alerts.push_back(json(a.n.ends_at));
        d.resolutions.emplace_back(name, a.revision);
      }
    }
    d.body = common::WriteJson(alerts);
    out.push_back(std::move(d));
  }
  return out;
}

void Outbox::Delivered(const Delivery& delivery, bool ok, SteadyTime now) {
  TargetState& t = targets_.at(delivery.target);
  if (!ok) {
    t.backoff = std::min<std::chrono::nanoseconds>(
        t.backoff == std::chrono::nanoseconds::zero() ? kFirstBackoff : t.backoff * 2,
        config_.resend_interval);
    t.due = now + t.backoff;
    return;
  }
  t.backoff = {};
  // A change that came while the POST was going is not in it: send again at once.
  t.due = revisions_ != delivery.revisions ? now : now + config_.resend_interval;
  for (const auto& [name, revision] : delivery.resolutions) {
    auto it = alerts_.find(name);
    if (it != alerts_.end() && it->second.revision == revision)
      it->second.owed[delivery.target] = false;
  }
  std::erase_if(alerts_, [](const auto& kv) {
    return kv.second.n.kind == Notification::Kind::kResolved &&
           std::ranges::none_of(kv.second.owed, [](bool owed) { return owed; });
  });
}

std::optional<SteadyTime> Outbox::NextDue() const {
  std::optional<SteadyTime> next;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    if (HasWork(i) && (!next || targets_[i].due < *next)) next = targets_[i].due;
  }
  return next;
}

void Outbox::Adopt(const Outbox& old) {
  for (const auto& [name, a] : old.alerts_) {
    const bool resolved = a.n.kind == Notification::Kind::kResolved;
    if (resolved && targets_.empty()) continue;
    alerts_[name] = {a.rule, a.n, ++revisions_, std::vector<bool>(targets_.size(), resolved)};
  }
  own_ = old.own_;
  overloaded_ = old.overloaded_;
  overload_ended_ = old.overload_ended_;
}

void Outbox::NotifyOwn(const OwnAlert& alert, const Notification& n, SteadyTime now) {
  const std::string key = OwnKey(alert.name);
  own_[key] = alert;
  const bool resolved = n.kind == Notification::Kind::kResolved;
  if (resolved && (!config_.send_resolved || targets_.empty())) {
    alerts_.erase(key);
    return;
  }
  alerts_[key] = {{}, n, ++revisions_, std::vector<bool>(targets_.size(), resolved)};
  for (auto& t : targets_) t.due = now;
}

void Outbox::SetSuspect(bool overloaded, SteadyTime now, WallTime wall) {
  if (overloaded == overloaded_) return;
  if (!overloaded) overload_ended_ = wall;
  overloaded_ = overloaded;
  ++revisions_;
  for (auto& t : targets_) t.due = now;
}

bool Outbox::Suspect(const config::NfrRule& rule, WallTime wall) const {
  return SuspectAt(overloaded_, overload_ended_, EvidenceSpan(rule), wall);
}

}  // namespace reznet::nfr
