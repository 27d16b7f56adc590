#include "nfr/rules_file.hpp"

#include <cstdio>

#include "common/json.hpp"

namespace reznet::nfr {
namespace {

// The violation of "value op threshold".
const char* Negated(config::NfrOp op) {
  switch (op) {
    case config::NfrOp::kLt:
      return ">=";
    case config::NfrOp::kLe:
      return ">";
    case config::NfrOp::kGt:
      return "<=";
    case config::NfrOp::kGe:
      return "<";
  }
  return ">=";
}

std::string Num(double v) { return common::JsonNumber(v); }

std::string Quote(const std::string& s) {
  return common::JsonQuote(s);
}  // JSON strings are valid YAML

// The gauge a ratio rule reads: the one the probe's kind declares for the ratio ("" if none).
std::string RatioGauge(const config::ProbeConfig* probe, const std::string& counter) {
  if (probe == nullptr) return "";
  for (const auto& ratio : probe->traits.ratios) {
    if (ratio.counter == counter) return ratio.gauge;
  }
  return "";
}

// The bad share of a burn-rate rule's events over `window`, from its SLO counters.
std::string BadShare(const config::NfrRule& r, config::Duration window) {
  const std::string sel = "{nfr=" + Quote(r.name) + "}[" + config::FormatDuration(window) + "])";
  return "rate(reznet_perf_nfr_slo_bad_samples_total" + sel +
         " / rate(reznet_perf_nfr_slo_samples_total" + sel;
}

// Both windows of a pair burn over its factor: the bad share over each exceeds factor × budget.
std::string BurnPair(const config::NfrRule& r, const config::BurnPair& p) {
  const std::string limit = " > " + Num(p.factor) + " * " + Num(r.ErrorBudget());
  return "(" + BadShare(r, p.long_window) + limit + " and " + BadShare(r, p.short_window) + limit +
         ")";
}

std::string Expr(const config::NfrRule& r, const config::ProbeConfig* probe_config) {
  if (r.burn_rate()) {
    // The fast pair or the slow one, once the short window has min_samples events (the daemon's
    // no_data); the value is the bad share over 1 h (6 h when only the slow pair fires).
    return "(" + BurnPair(r, config::kFastBurn) + " or " + BurnPair(r, config::kSlowBurn) +
           ") and increase(reznet_perf_nfr_slo_samples_total{nfr=" + Quote(r.name) + "}[" +
           config::FormatDuration(config::kFastBurn.short_window) +
           "]) >= " + std::to_string(r.min_samples);
  }
  if (r.baseline_runs > 0) {
    // The baseline comes from suite history, which only the daemon reads: compare the value the
    // daemon evaluates with the threshold it derives (NaN until a suite has run: never fires).
    const std::string nfr = "nfr=" + Quote(r.name);
    return "reznet_perf_nfr_value{" + nfr + "} " + Negated(r.op) +
           " on(instance, job, nfr) reznet_perf_nfr_threshold{" + nfr + "}";
  }
  const std::string window = config::FormatDuration(r.window);
  const std::string probe = "probe=" + Quote(r.probe);
  const std::string cmp = std::string(" ") + Negated(r.op) + " " + Num(r.threshold);
  switch (r.stat) {
    case config::NfrStat::kErrorRate: {
      const std::string runs = "sum(increase(reznet_perf_probe_runs_total{" + probe +
                               ",result=~\"success|failure\"}[" + window + "]))";
      return "sum(increase(reznet_perf_probe_runs_total{" + probe + ",result=\"failure\"}[" +
             window + "])) / " + runs + cmp + " and " + runs +
             " >= " + std::to_string(r.min_samples);
    }
    case config::NfrStat::kRatio:
      return "avg_over_time(" + RatioGauge(probe_config, r.phase) + "{" + probe + "}[" + window +
             "])" + cmp;
    default: {
      const std::string sel = probe + ",phase=" + Quote(r.phase) + ",window=" + Quote(window);
      return "reznet_perf_probe_window_seconds{" + sel + ",stat=" + Quote(r.stat_name) + "}" + cmp +
             " and on(instance, job, probe, phase, window) reznet_perf_probe_window_samples{" +
             sel + "} >= " + std::to_string(r.min_samples);
    }
  }
}

// Our {{value}} / {{threshold}} placeholders in Prometheus template syntax.
std::string Template(std::string text, const config::NfrRule& r) {
  const std::pair<std::string, std::string> vars[] = {
      {"{{value}}", r.latency() && !r.burn_rate() ? "{{ $value | humanizeDuration }}"
                                                  : "{{ $value | humanizePercentage }}"},
      {"{{threshold}}", r.baseline_runs > 0 ? "the suite baseline + tolerance or min_change"
                                            : config::FormatThreshold(r, r.threshold)},
      {"{{baseline}}", r.baseline_runs > 0 ? "the median of the last " +
                                                 std::to_string(r.baseline_runs) + " suite runs"
                       : r.reference ? config::FormatThreshold(r, *r.reference)
                                     : ""},
      {"{{change}}", "beyond tolerance"}};
  for (const auto& [k, v] : vars) {
    for (auto at = text.find(k); at != std::string::npos; at = text.find(k, at + v.size()))
      text.replace(at, k.size(), v);
  }
  return text;
}

// What the daemon's own alert says (nfr/alert_outbox.cpp), in Prometheus template syntax.
std::string BurnSummary(const config::NfrRule& r) {
  return r.name + ": " + r.stat_name + " " + r.op_text + " {{threshold}} burns its error budget (" +
         config::FormatValue(r, r.ErrorBudget()) + ") too fast: {{value}} of " +
         (r.stat == config::NfrStat::kErrorRate ? "runs failed" : "samples bad") +
         " over 1h (or 6h)";
}

// One NFR's alerting rule: its expression, `for`, labels and annotations.
std::string AlertingRule(const config::NfrRule& r, const config::ProbeConfig* probe) {
  std::string out = "      - alert: " + r.name + "\n";
  out += "        expr: " + Quote(Expr(r, probe)) + "\n";
  if (r.for_.count() > 0) out += "        for: " + config::FormatDuration(r.for_) + "\n";
  out += "        labels:\n";
  out += "          severity: " + Quote(r.severity) + "\n          nfr: " + Quote(r.name) +
         "\n          probe: " + Quote(r.probe) + "\n";
  for (const auto& [k, v] : r.labels) out += "          " + k + ": " + Quote(v) + "\n";
  out += "        annotations:\n";
  const std::string summary =
      r.annotations.count("summary") ? r.annotations.at("summary")
      : r.burn_rate()
          ? BurnSummary(r)
          : r.name + ": " + r.stat_name + " {{value}} (promise " + r.op_text + " {{threshold}})";
  out += "          summary: " + Quote(Template(summary, r)) + "\n";
  for (const auto& [k, v] : r.annotations) {
    if (k != "summary") out += "          " + k + ": " + Quote(Template(v, r)) + "\n";
  }
  return out;
}

// The rules about the daemon itself and what every config has (not from nfrs:).
std::string HealthRules(const std::string& job) {
  std::string out;
  out += "  - name: reznet-perfd-health\n    rules:\n";
  out += "      - alert: ReznetPerfdDown\n";
  out +=
      "        expr: " + Quote("up{job=\"" + job + "\"} == 0 or absent(up{job=\"" + job + "\"})") +
      "\n";
  out += "        for: 5m\n        labels:\n          severity: \"page\"\n";
  out +=
      "        annotations:\n          summary: \"reznet-perfd is down: the NFRs are not being "
      "checked\"\n";
  out += "      - alert: ReznetSuiteFailed\n";
  out += "        expr: " + Quote("reznet_perf_suite_last_success == 0") + "\n";
  out += "        labels:\n          severity: \"warning\"\n";
  out +=
      "        annotations:\n          summary: \"the last {{ $labels.profile }} suite run did not "
      "pass (GET /runs on {{ $labels.instance }})\"\n";
  out += "      - alert: ReznetProbeFailing\n";
  out += "        expr: " +
         Quote(
             "sum by (instance, job, probe) "
             "(increase(reznet_perf_probe_runs_total{result=\"success\"}[10m])) == 0 and "
             "sum by (instance, job, probe) "
             "(increase(reznet_perf_probe_runs_total{result=\"failure\"}[10m])) > 0") +
         "\n";
  out += "        labels:\n          severity: \"warning\"\n";
  out +=
      "        annotations:\n          summary: \"probe {{ $labels.probe }} has not succeeded for "
      "10 minutes\"\n";
  // The http kind's gauge (probes/http: the earliest NotAfter an https target sent); 14 days
  // leave two working weeks to renew, and `for` rides out one odd run.
  out += "      - alert: ReznetCertificateExpiresSoon\n";
  out += "        expr: " +
         Quote("reznet_perf_http_cert_expiry_timestamp_seconds - time() < 14 * 86400") + "\n";
  out += "        for: 10m\n        labels:\n          severity: \"warning\"\n";
  out +=
      "        annotations:\n          summary: \"the TLS certificate of probe {{ $labels.probe "
      "}}'s "
      "target expires in {{ $value | humanizeDuration }}\"\n";
  // The daemon's gauge is already steadied (PSI's 10 s average, the middle of three self-probes,
  // a 30 s hold: telemetry/prober_health.hpp), so a short `for` suffices; it must be short for
  // the inhibit rule in deploy/alertmanager/alertmanager.yml to hold NFR alerts that the same
  // overload raises (their own `for` is 1m or more).
  out += "      - alert: ReznetProberOverloaded\n";
  out += "        expr: " + Quote("reznet_perf_prober_overloaded == 1") + "\n";
  out += "        for: 30s\n        labels:\n          severity: \"warning\"\n";
  out +=
      "        annotations:\n          summary: \"reznet-perfd on {{ $labels.instance }} is "
      "overloaded: what it measures, and the NFR alerts it raises, are suspect (GET "
      "/api/v1/status says why)\"\n";
  // Shards (daemon.shard) split the probes only when their indexes differ and their counts agree.
  const std::string shards = "reznet_perf_shard_info{job=\"" + job + "\"";
  out += "      - alert: ReznetShardsInconsistent\n";
  out += "        expr: " +
         Quote("count by (job, index, of) (" + shards + ",of!=\"1\"}) > 1 or count by (job) " +
               "(count by (job, of) (" + shards + "})) > 1") +
         "\n";
  out += "        for: 5m\n        labels:\n          severity: \"warning\"\n";
  out +=
      "        annotations:\n          summary: \"reznet-perfd shards of job {{ $labels.job }} "
      "claim the same index or disagree on their number: some probes run twice or not at "
      "all\"\n";
  return out;
}

}  // namespace

std::string PrometheusRules(const config::Config& config, const std::string& job) {
  std::string out = "# Generated by `reznet-perfd rules --config " + config.source +
                    "`; regenerate instead of editing.\ngroups:\n";
  if (!config.nfrs.empty()) {
    out += "  - name: reznet-perfd-nfrs\n    rules:\n";
    for (const auto& r : config.nfrs) {
      const config::ProbeConfig* probe = config.FindProbe(r.probe);
      if (probe != nullptr && probe->traits.on_demand) {
        out += "      # " + r.name + ": judges " + probe->kind + " test " + r.probe +
               ", checked by suite runs (ReznetSuiteFailed below), not continuously\n";
        continue;
      }
      if (r.stat == config::NfrStat::kRatio && r.baseline_runs == 0 &&
          RatioGauge(probe, r.phase).empty()) {
        out += "      # " + r.name + ": ratio " + r.phase + " of " + r.probe +
               " is not exported as a gauge; the daemon evaluates it (reznet_perf_nfr_state)\n";
        continue;
      }
      out += AlertingRule(r, probe);
    }
  }
  out += HealthRules(job);
  return out;
}

}  // namespace reznet::nfr
