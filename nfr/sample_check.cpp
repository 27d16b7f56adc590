#include "nfr/sample_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "stats/interval.hpp"

namespace reznet::nfr {
namespace {

using config::NfrOp;
using config::NfrStat;

std::optional<double> QuantileOf(NfrStat stat) {
  switch (stat) {
    case NfrStat::kP50:
      return 0.50;
    case NfrStat::kP90:
      return 0.90;
    case NfrStat::kP95:
      return 0.95;
    case NfrStat::kP99:
      return 0.99;
    default:
      return std::nullopt;
  }
}

bool UpperDecides(const config::NfrRule& rule) {
  return rule.op == NfrOp::kLt || rule.op == NfrOp::kLe;
}

// The fewest samples of the rule's phase one run of its probe records; 0: it varies. `repeats`:
// KindSettings::SamplesPerRun's.
std::int64_t PerRun(const config::ProbeConfig& probe, const config::NfrRule& rule, int repeats) {
  if (rule.stat == NfrStat::kErrorRate) return 1;  // runs
  return probe.settings ? probe.settings->SamplesPerRun(rule.phase, repeats) : 1;
}

// A duration for people: whole minutes from a minute up, whole seconds from a second up.
config::Duration Rounded(double seconds, bool up) {
  const double unit = seconds >= 60 ? 60 : seconds >= 1 ? 1 : 0.001;
  const double n = up ? std::ceil(seconds / unit) : std::max(1.0, std::floor(seconds / unit));
  return std::chrono::duration_cast<config::Duration>(std::chrono::duration<double>(n * unit));
}

std::string Where(const config::Config& config, int line, const std::string& path) {
  return config.source + (line > 0 ? ":" + std::to_string(line) : "") + ": " + path + ": warning: ";
}

// What would work instead, for a continuous rule that gathers `gathered` of `needed` samples.
std::string Instead(const config::NfrRule& rule, std::uint64_t needed, std::uint64_t gathered,
                    const config::ProbeConfig& probe) {
  const double scale =
      static_cast<double>(needed) / static_cast<double>(std::max<std::uint64_t>(gathered, 1));
  const auto window = Rounded(std::chrono::duration<double>(rule.window).count() * scale, true);
  const auto interval =
      Rounded(std::chrono::duration<double>(probe.interval).count() / scale, false);
  return "a window of at least " + config::FormatDuration(window) +
         " (one of daemon.windows), or interval: " + config::FormatDuration(interval) + " or less";
}

}  // namespace

std::uint64_t SamplesNeeded(const config::NfrRule& rule) {
  if (rule.regression) return 0;
  if (const auto q = QuantileOf(rule.stat))
    return stats::SamplesForUpperBound(UpperDecides(rule) ? *q : 1 - *q);
  if (rule.stat == NfrStat::kErrorRate && UpperDecides(rule) && rule.threshold > 0 &&
      rule.threshold < 1) {
    // A clean run of n: Wilson's upper bound z²/(n + z²) falls under the threshold.
    const double z = stats::NormalQuantile(0.5 + stats::kConfidence / 2);
    return static_cast<std::uint64_t>(std::floor(z * z * (1 - rule.threshold) / rule.threshold)) +
           1;
  }
  return 0;
}

std::uint64_t SamplesToBreach(const config::NfrRule& rule) {
  if (rule.regression) return 0;
  if (const auto q = QuantileOf(rule.stat))
    return stats::SamplesForUpperBound(UpperDecides(rule) ? 1 - *q : *q);
  if (rule.stat == NfrStat::kMean) return 2;  // a spread to build the interval on
  return 0;
}

namespace {

// A budget over 1/14.4 (p90's 10 %, an error_rate over 6.9 %): the fast pair can never fire
// (config/nfr.cpp refuses budgets where the slow pair cannot either).
void BurnWarning(const config::Config& config, const config::NfrRule& rule,
                 std::vector<std::string>& out) {
  if (rule.ErrorBudget() * config::kFastBurn.factor < 1) return;
  char share[32];
  std::snprintf(share, sizeof share, "%.3g%%", rule.ErrorBudget() * 100);
  out.push_back(
      Where(config, rule.line, "nfrs." + rule.name) + rule.stat_name + " " + rule.op_text + " " +
      config::FormatThreshold(rule, rule.threshold) + " leaves an error budget of " + share +
      ": no burn rate can reach 14.4, so only the slow pair (6h/30m over 6) pages, "
      "half an hour after an outage begins at the earliest. For a fast page use " +
      (rule.stat == NfrStat::kErrorRate ? "a threshold below 6.9%" : "a p95 or p99 rule"));
}

}  // namespace

std::vector<std::string> SampleWarnings(const config::Config& config) {
  std::vector<std::string> out;
  const auto profiles = config::ResolveProfiles(config);
  for (const auto& rule : config.nfrs) {
    const auto needed = SamplesNeeded(rule);
    const config::ProbeConfig* probe = config.FindProbe(rule.probe);
    if (probe == nullptr) continue;
    const std::int64_t per_run = PerRun(*probe, rule, 0);
    if (per_run <= 0) continue;  // varies with the target: cannot tell
    // A continuous rule (not a burn-rate one: it counts over its burn windows) fires once its
    // interval shows the promise broken, and waits in `collecting` below min_samples.
    if (!probe->traits.on_demand && probe->interval.count() > 0 && rule.window.count() > 0 &&
        !rule.burn_rate()) {
      const auto runs = static_cast<std::uint64_t>(rule.window / probe->interval);
      const auto gathered = runs * static_cast<std::uint64_t>(per_run);
      const std::string window = "window " + config::FormatDuration(rule.window) + " at probe " +
                                 probe->name + "'s interval " +
                                 config::FormatDuration(probe->interval) + " gathers about " +
                                 std::to_string(gathered);
      if (const auto breach = SamplesToBreach(rule); gathered < breach) {
        out.push_back(Where(config, rule.line, "nfrs." + rule.name) + rule.stat_name + " needs " +
                      std::to_string(breach) +
                      " samples before its 95 % interval can show the promise " + rule.op_text +
                      " " + config::FormatThreshold(rule, rule.threshold) + " broken; " + window +
                      ", so the rule can never fire. Use " +
                      Instead(rule, breach, gathered, *probe));
      } else if (gathered < static_cast<std::uint64_t>(rule.min_samples)) {
        out.push_back(
            Where(config, rule.line, "nfrs." + rule.name) +
            "min_samples: " + std::to_string(rule.min_samples) + ", but " + window +
            ", so the rule never leaves collecting. Lower min_samples, or use " +
            Instead(rule, static_cast<std::uint64_t>(rule.min_samples), gathered, *probe));
      }
    }
    if (rule.burn_rate()) BurnWarning(config, rule, out);
    if (needed == 0) continue;
    // Suite profiles that stop short: one warning per rule, naming each.
    std::string short_of;
    // A suite runs each probe with one repeat (an http probe: one request, whatever its
    // `samples:`).
    const auto suite_per_run =
        static_cast<std::uint64_t>(std::max<std::int64_t>(PerRun(*probe, rule, 1), 1));
    const std::uint64_t runs_needed = (needed + suite_per_run - 1) / suite_per_run;
    bool any_default = false;
    for (const auto& [name, profile] : profiles) {
      if (std::find(profile.nfrs.begin(), profile.nfrs.end(), rule.name) == profile.nfrs.end())
        continue;
      for (const auto& entry : profile.probes) {
        if (entry.probe != rule.probe) continue;
        const auto most = static_cast<std::uint64_t>(std::max(entry.max_samples, entry.samples)) *
                          static_cast<std::uint64_t>(suite_per_run);
        if (most >= needed) continue;
        short_of += (short_of.empty() ? "" : ", ") + name + " (" + std::to_string(most) + ")";
        any_default = any_default || !profile.from_config;
      }
    }
    if (!short_of.empty()) {
      out.push_back(
          Where(config, rule.line, "nfrs." + rule.name) + rule.stat_name + " needs " +
          std::to_string(needed) + " samples; in suite profile" +
          (short_of.find(',') == std::string::npos ? " " : "s ") + short_of + " probe " +
          rule.probe +
          " gathers at most that many, so its suite verdict stays inconclusive. Set "
          "max_samples: " +
          std::to_string(runs_needed) + " on the profile's entry" +
          (any_default ? " (a default profile is configured under suites: by its name)" : ""));
    }
  }
  return out;
}

}  // namespace reznet::nfr
