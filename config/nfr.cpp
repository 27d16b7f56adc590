#include "config/nfr.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "common/format.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/reader.hpp"

namespace reznet::config {
namespace {

const std::map<std::string, NfrStat> kStats = {{"p50", NfrStat::kP50},
                                               {"p90", NfrStat::kP90},
                                               {"p95", NfrStat::kP95},
                                               {"p99", NfrStat::kP99},
                                               {"mean", NfrStat::kMean},
                                               {"max", NfrStat::kMax},
                                               {"error_rate", NfrStat::kErrorRate},
                                               {"ratio", NfrStat::kRatio}};
const std::map<std::string, NfrOp> kOps = {
    {"<", NfrOp::kLt}, {"<=", NfrOp::kLe}, {">", NfrOp::kGt}, {">=", NfrOp::kGe}};

bool PhaseKnown(const std::vector<std::string>& phases, const std::string& phase) {
  for (const auto& p : phases) {
    if (p == phase) return true;
    if (p.ends_with(":*") && phase.starts_with(p.substr(0, p.size() - 1)) &&
        phase.size() > p.size() - 1)
      return true;
  }
  return false;
}

// "a, b", or "(none)" for an empty list.
std::string ListOrNone(const std::vector<std::string>& v) {
  return v.empty() ? "(none)" : common::Join(v, ", ");
}

// A threshold-like value: a duration for latency stats (in seconds), a ratio otherwise.
std::optional<double> ReadLimit(MapReader& r, const std::string& key, const NfrRule& rule,
                                bool required) {
  std::string text;
  if (!r.Read(key, text, required) || text.empty()) return std::nullopt;
  if (rule.latency()) {
    auto d = ParseDuration(text);
    if (!d) {
      r.diag().Error(r.MarkOf(key), r.PathOf(key),
                     d.error().detail + " (stat " + rule.stat_name + " is a latency)");
      return std::nullopt;
    }
    return std::chrono::duration<double>(*d).count();
  }
  auto ratio = ParseRatio(text);
  if (!ratio) {
    r.diag().Error(r.MarkOf(key), r.PathOf(key),
                   ratio.error().detail + " (stat " + rule.stat_name + " is a ratio)");
    return std::nullopt;
  }
  return *ratio;
}

// name (unique, letters, digits and _), kind (threshold or regression) and stat.
void ReadNameKindAndStat(MapReader& r, NfrRule& rule, std::set<std::string>& names) {
  Diagnostics& diag = r.diag();
  if (r.Read("name", rule.name, true) && !rule.name.empty()) {
    if (!std::all_of(rule.name.begin(), rule.name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        })) {
      diag.Error(
          r.MarkOf("name"), r.PathOf("name"),
          "\"" + rule.name + "\": NFR names use letters, digits and _ (it becomes an alert name)");
    } else if (!names.insert(rule.name).second) {
      diag.Error(r.MarkOf("name"), r.PathOf("name"),
                 "another NFR is already named \"" + rule.name + "\"");
    }
  }
  std::string kind = "threshold";
  r.Read("kind", kind);
  if (kind != "threshold" && kind != "regression") {
    diag.Error(r.MarkOf("kind"), r.PathOf("kind"),
               "\"" + kind + "\": write threshold (default) or regression");
  }
  rule.regression = kind == "regression";
  std::string alert = "threshold";
  if (r.Read("alert", alert)) {
    if (alert == "burn_rate")
      rule.alert = NfrAlert::kBurnRate;
    else if (alert != "threshold")
      diag.Error(r.MarkOf("alert"), r.PathOf("alert"),
                 "\"" + alert + "\": write threshold (default: on the window's statistic) or " +
                     "burn_rate (on the error budget's burn rate)");
  }
  if (r.Read("stat", rule.stat_name, true)) {
    auto it = kStats.find(rule.stat_name);
    if (it == kStats.end()) {
      diag.Error(r.MarkOf("stat"), r.PathOf("stat"),
                 "\"" + rule.stat_name +
                     "\" is not a stat; write p50, p90, p95, p99, mean, max, error_rate or ratio");
    } else {
      rule.stat = it->second;
    }
  }
}

// probe, and phase: one the probe's kind records (a ratio it carries, for stat ratio).
void ReadProbeAndPhase(MapReader& r, const Config& cfg, NfrRule& rule) {
  const ProbeConfig* probe = nullptr;
  if (r.Read("probe", rule.probe, true) && !rule.probe.empty()) {
    probe = cfg.FindProbe(rule.probe);
    if (probe == nullptr)
      r.diag().Error(r.MarkOf("probe"), r.PathOf("probe"),
                     "no probe named \"" + rule.probe + "\" under probes:");
    else if (probe->targets_from)
      r.diag().Error(r.MarkOf("probe"), r.PathOf("probe"),
                     "probe \"" + rule.probe +
                         "\" takes its targets from files (targets_from): NFRs over discovered "
                         "probes are not supported yet");
  }
  r.Read("phase", rule.phase, rule.stat != NfrStat::kErrorRate);
  // An unknown kind (traits without a name) was reported with the probe.
  if (probe == nullptr || probe->traits.name.empty() || rule.phase.empty() ||
      rule.stat == NfrStat::kErrorRate)
    return;
  std::vector<std::string> known;
  bool ok = false;
  if (rule.stat == NfrStat::kRatio) {
    for (const auto& ratio : probe->traits.ratios) known.push_back(ratio.counter);
    ok = std::find(known.begin(), known.end(), rule.phase) != known.end();
  } else {
    known = probe->traits.phases;
    ok = PhaseKnown(known, rule.phase);
  }
  if (!ok) {
    r.diag().Error(r.MarkOf("phase"), r.PathOf("phase"),
                   "probe \"" + probe->name + "\" (kind " + probe->kind + ") has no " +
                       (rule.stat == NfrStat::kRatio ? "ratio" : "phase") + " \"" + rule.phase +
                       "\"; it has: " + ListOrNone(known));
  }
}

// A regression rule: baseline or baseline_runs, tolerance; its op follows from the stat.
void ReadRegression(MapReader& r, NfrRule& rule) {
  rule.reference = ReadLimit(r, "baseline", rule, false);
  if (r.Has("baseline_runs")) {
    std::int64_t runs = 0;
    if (r.Read("baseline_runs", runs, 1, 1000)) rule.baseline_runs = static_cast<int>(runs);
    if (r.Has("baseline")) {
      r.diag().Error(r.MarkOf("baseline_runs"), r.PathOf("baseline_runs"),
                     "write baseline: (pinned) or baseline_runs: (median of past suite runs), "
                     "not both");
    }
  } else if (!r.Has("baseline")) {
    r.diag().Error(
        r.mark(), r.PathOf("baseline"),
        "missing; a regression rule needs baseline: (e.g. 180ms) or baseline_runs: (e.g. "
        "5, the median of the last 5 suite runs)");
  }
  r.ReadRatio("tolerance", rule.tolerance);
  if (auto m = ReadLimit(r, "min_change", rule, false)) {
    if (*m >= 0)
      rule.min_change = *m;
    else
      r.diag().Error(r.MarkOf("min_change"), r.PathOf("min_change"),
                     "must not be negative; write e.g. 1ms, or 0s for no floor");
  }
  if (r.Has("significance")) {
    double level = 0;
    if (r.ReadRatio("significance", level)) {
      if (level > 0 && level < 1)
        rule.significance = level;
      else
        r.diag().Error(r.MarkOf("significance"), r.PathOf("significance"),
                       "must lie between 0 and 1 (exclusive), e.g. 0.05 or 5%");
    }
  }
  // Higher is worse for latencies and error rates; lower is worse for ratios.
  const bool higher_worse = rule.stat != NfrStat::kRatio;
  rule.op = higher_worse ? NfrOp::kLe : NfrOp::kGe;
  rule.op_text = higher_worse ? "<=" : ">=";
  if (rule.reference) ApplyReference(rule, *rule.reference);
}

// A threshold rule: op, threshold and an optional clear_threshold on the met side.
void ReadThreshold(MapReader& r, NfrRule& rule) {
  if (r.Read("op", rule.op_text, true)) {
    auto it = kOps.find(rule.op_text);
    if (it == kOps.end()) {
      r.diag().Error(
          r.MarkOf("op"), r.PathOf("op"),
          "\"" + rule.op_text + "\": write <, <=, > or >= (the promise: value op threshold)");
    } else {
      rule.op = it->second;
    }
  }
  if (auto t = ReadLimit(r, "threshold", rule, true)) rule.threshold = *t;
  rule.clear_threshold = ReadLimit(r, "clear_threshold", rule, false);
  if (rule.clear_threshold && !rule.Met(*rule.clear_threshold, rule.threshold) &&
      *rule.clear_threshold != rule.threshold) {
    r.diag().Error(r.MarkOf("clear_threshold"), r.PathOf("clear_threshold"),
                   "must lie on the met side of threshold (for \"" + rule.op_text + " " +
                       FormatThreshold(rule, rule.threshold) + "\" a clear_threshold " +
                       (rule.op == NfrOp::kLt || rule.op == NfrOp::kLe ? "below" : "above") +
                       " it)");
  }
}

// What alert: burn_rate needs, checked once stat, op and threshold are read: a promise about a
// share of samples (a percentile or the error rate), an upper limit, and a budget one of the
// pairs can burn through (a bad share above factor × budget must be possible).
void CheckBurnRate(MapReader& r, const NfrRule& rule) {
  if (!rule.burn_rate()) return;
  Diagnostics& diag = r.diag();
  auto error = [&](const std::string& key, const std::string& message) {
    diag.Error(r.MarkOf(key), r.PathOf(key), message);
  };
  if (rule.regression) {
    error("alert",
          "burn_rate alerts on a fixed threshold; a regression rule takes alert: threshold "
          "(default), or write kind: threshold with op: and threshold:");
    return;
  }
  if (r.Has("window"))
    error("window", "a burn_rate rule reads its own windows (5m, 30m, 1h, 6h); remove window:");
  if (r.Has("clear_threshold"))
    error("clear_threshold",
          "a burn_rate rule needs no hysteresis (its short windows clear it); remove "
          "clear_threshold:");
  const bool share = rule.stat == NfrStat::kP50 || rule.stat == NfrStat::kP90 ||
                     rule.stat == NfrStat::kP95 || rule.stat == NfrStat::kP99 ||
                     rule.stat == NfrStat::kErrorRate;
  if (!share) {
    error("alert", "stat " + rule.stat_name +
                       " is not a share of samples, so it has no error budget to burn; "
                       "burn_rate takes p90, p95, p99 or error_rate: write alert: threshold "
                       "for " +
                       rule.stat_name);
    return;
  }
  if (rule.op != NfrOp::kLt && rule.op != NfrOp::kLe) {
    error("op",
          "burn_rate alerts on an upper limit (bad samples are those at or above it); "
          "write op: \"<\" or \"<=\", or alert: threshold for a lower limit");
    return;
  }
  const double budget = rule.ErrorBudget();
  if (budget <= 0) {
    error("threshold",
          "an error_rate of 0% leaves no error budget to burn; write a threshold above 0%, "
          "or alert: threshold");
  } else if (budget * kSlowBurn.factor >= 1) {
    char share[32];
    std::snprintf(share, sizeof share, "%.3g%%", budget * 100);
    error(rule.stat == NfrStat::kErrorRate ? "threshold" : "stat",
          rule.stat_name + " " + rule.op_text + " " + FormatThreshold(rule, rule.threshold) +
              " leaves an error budget of " + share +
              ": no burn rate can reach 6 (it would take more than 100% bad " +
              (rule.stat == NfrStat::kErrorRate ? "runs" : "samples") +
              "), so the rule could never fire; write alert: threshold" +
              (rule.stat == NfrStat::kErrorRate ? ", or a threshold below 16.7%"
                                                : ", or a p90, p95 or p99 rule"));
  }
}

void ReadLabelsAndAnnotations(MapReader& r, NfrRule& rule) {
  r.Read("labels", rule.labels);
  r.Read("annotations", rule.annotations);
  for (const auto& [k, v] : rule.annotations) {
    if (k != "summary" && k != "description" && k != "runbook_url") {
      r.diag().Error(r.MarkOf("annotations"), r.PathOf("annotations"),
                     "unknown annotation \"" + k + "\"; write summary, description or runbook_url");
    }
  }
  for (const char* reserved : {"alertname", "nfr", "severity", "probe"}) {
    if (rule.labels.count(reserved)) {
      r.diag().Error(r.MarkOf("labels"), r.PathOf("labels"),
                     std::string("label \"") + reserved + "\" is set by the daemon");
    }
  }
}

}  // namespace

bool NfrRule::Met(double value, double limit) const {
  switch (op) {
    case NfrOp::kLt:
      return value < limit;
    case NfrOp::kLe:
      return value <= limit;
    case NfrOp::kGt:
      return value > limit;
    case NfrOp::kGe:
      return value >= limit;
  }
  return false;
}

double NfrRule::ErrorBudget() const {
  switch (stat) {
    case NfrStat::kP50:
      return 0.5;
    case NfrStat::kP90:
      return 0.1;
    case NfrStat::kP95:
      return 0.05;
    case NfrStat::kP99:
      return 0.01;
    case NfrStat::kErrorRate:
      return threshold;
    default:
      return 0;
  }
}

void ApplyReference(NfrRule& rule, double reference) {
  rule.reference = reference;
  // Higher is worse for latencies and error rates; lower is worse for ratios. Beyond the
  // tolerance and beyond the absolute floor: a change must be both to count.
  rule.threshold = rule.stat != NfrStat::kRatio
                       ? std::max(reference * (1 + rule.tolerance), reference + rule.MinChange())
                       : std::min(reference * (1 - rule.tolerance), reference - rule.MinChange());
}

std::string FormatThreshold(const NfrRule& rule, double value) {
  char buf[64];
  if (rule.latency()) {
    if (value >= 1)
      std::snprintf(buf, sizeof buf, "%.3gs", value);
    else
      std::snprintf(buf, sizeof buf, "%.3gms", value * 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g%%", value * 100);
  }
  return buf;
}

std::string FormatValue(const NfrRule& rule, double value) {
  if (!rule.burn_rate()) return FormatThreshold(rule, value);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g%%", value * 100);
  return buf;
}

void ParseNfrs(const YAML::Node& node, Config& cfg, Diagnostics& diag) {
  if (!node.IsDefined() || node.IsNull() || !IsSequence(node, "nfrs", diag)) return;
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = "nfrs[" + std::to_string(i) + "]";
    MapReader r(node[i], path, diag);
    if (!node[i].IsMap()) continue;
    NfrRule rule;
    rule.line = node[i].Mark().line + 1;
    ReadNameKindAndStat(r, rule, names);
    ReadProbeAndPhase(r, cfg, rule);
    if (r.Read("window", rule.window, !rule.burn_rate()) && !rule.burn_rate() &&
        rule.window > Duration::zero() &&
        std::find(cfg.daemon.windows.begin(), cfg.daemon.windows.end(), rule.window) ==
            cfg.daemon.windows.end()) {
      std::vector<std::string> ws;
      for (auto w : cfg.daemon.windows) ws.push_back(FormatDuration(w));
      diag.Error(
          r.MarkOf("window"), r.PathOf("window"),
          FormatDuration(rule.window) + " is not one of daemon.windows (" + ListOrNone(ws) + ")");
    }
    if (rule.regression) {
      ReadRegression(r, rule);
    } else {
      ReadThreshold(r, rule);
    }
    CheckBurnRate(r, rule);
    r.Read("for", rule.for_);
    r.Read("min_samples", rule.min_samples, 1, 1'000'000);
    r.Read("severity", rule.severity);
    ReadLabelsAndAnnotations(r, rule);
    r.Finish();
    cfg.nfrs.push_back(std::move(rule));
  }
}

void ParseAlerting(const YAML::Node& node, Config& cfg, Diagnostics& diag) {
  MapReader r(node, "alerting", diag);
  MapReader am(r.Node("alertmanager"), "alerting.alertmanager", diag);
  std::vector<std::string> urls;
  am.Read("urls", urls);
  for (const auto& u : urls) {
    if (u.empty()) continue;  // e.g. "${ALERTMANAGER_URL:-}" unset: no delivery
    auto parsed = ParseUrl(u);
    if (parsed) {
      cfg.alerting.alertmanager_urls.push_back(*parsed);
    } else {
      diag.Error(am.MarkOf("urls"), am.PathOf("urls"), parsed.error().detail);
    }
  }
  if (am.Read("resend_interval", cfg.alerting.resend_interval) &&
      cfg.alerting.resend_interval < std::chrono::seconds(1)) {
    diag.Error(am.MarkOf("resend_interval"), am.PathOf("resend_interval"), "must be at least 1s");
  }
  am.Read("send_resolved", cfg.alerting.send_resolved);
  am.Finish();
  r.Read("external_url", cfg.alerting.external_url);
  r.Finish();
}

}  // namespace reznet::config
