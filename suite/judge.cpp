#include "suite/judge.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "stats/interval.hpp"
#include "stats/significance.hpp"

namespace reznet::suite {

ProbeAccumulator::ProbeAccumulator(std::string name, std::string kind, int planned) {
  result_.name = std::move(name);
  result_.kind = std::move(kind);
  result_.planned = planned;
}

void ProbeAccumulator::Add(const probes::Outcome& o) {
  if (o.skipped) {
    result_.skipped = true;
    result_.skip_reason = o.skip_reason;
    return;
  }
  ++result_.runs;
  if (o.error) {
    ++result_.failures;
    const std::string kind(clients::ToString(o.error->kind));
    ++result_.errors[kind];
    result_.last_error = kind + ": " + o.error->detail;
  }
  for (const auto& phase : o.phases) {
    auto it = std::find_if(samples_.begin(), samples_.end(),
                           [&](const auto& s) { return s.first == phase.name; });
    if (it == samples_.end()) it = samples_.insert(samples_.end(), {phase.name, {}});
    for (auto d : phase.samples)
      it->second.emplace_back(std::chrono::duration<double>(d).count(), 1);
    for (const auto& [d, c] : phase.weighted)
      it->second.emplace_back(std::chrono::duration<double>(d).count(), c);
  }
  for (const auto& [name, value] : o.counters) {
    auto it = std::find_if(counters_.begin(), counters_.end(),
                           [&](const auto& c) { return c.first == name; });
    if (it == counters_.end()) it = counters_.insert(counters_.end(), {name, {0.0, 0}});
    it->second.first += value;
    ++it->second.second;
  }
}

ProbeResult ProbeAccumulator::Finish(double seconds) const {
  ProbeResult r = result_;
  // A probe skipped on its first run never ran; one that ran and then reported a skip (a budget
  // used up mid-suite) keeps what it measured.
  r.skipped = result_.skipped && result_.runs == 0;
  if (!r.skipped) r.skip_reason.clear();
  for (const auto& [name, samples] : samples_) {
    r.phases.push_back(Summarise(name, samples));
    KeepSamples(r.phases.back(), samples);
  }
  for (const auto& [name, sum] : counters_) r.counters.emplace_back(name, sum.first / sum.second);
  r.seconds = seconds;
  return r;
}

PhaseStats Summarise(const std::string& name, std::vector<double> samples) {
  std::vector<std::pair<double, std::uint64_t>> weighted;
  weighted.reserve(samples.size());
  for (double v : samples) weighted.emplace_back(v, 1);
  return Summarise(name, std::move(weighted));
}

PhaseStats Summarise(const std::string& name,
                     std::vector<std::pair<double, std::uint64_t>> samples) {
  PhaseStats s;
  s.name = name;
  std::erase_if(samples, [](const auto& p) { return p.second == 0; });
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  double sum = 0;
  for (const auto& [v, c] : samples) {
    s.count += c;
    sum += v * static_cast<double>(c);
  }
  // Nearest rank: the smallest sample with at least q of all samples at or below it.
  auto rank = [&](double q) {
    const auto k = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(s.count))), 1, s.count);
    std::uint64_t seen = 0;
    for (const auto& [v, c] : samples) {
      seen += c;
      if (seen >= k) return v;
    }
    return samples.back().first;
  };
  s.min = samples.front().first;
  s.max = samples.back().first;
  s.mean = sum / static_cast<double>(s.count);
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p95 = rank(0.95);
  s.p99 = rank(0.99);
  return s;
}

StatValue StatOf(const ProbeResult& p, const config::NfrRule& rule) {
  using config::NfrStat;
  switch (rule.stat) {
    case NfrStat::kErrorRate:
      if (p.runs == 0) return {};
      return {static_cast<double>(p.failures) / p.runs, static_cast<std::uint64_t>(p.runs)};
    case NfrStat::kRatio: {
      auto v = p.CounterMean(rule.phase);
      if (!v) return {};
      return {*v, static_cast<std::uint64_t>(p.runs)};
    }
    default:
      break;
  }
  const PhaseStats* s = p.Phase(rule.phase);
  if (s == nullptr || s->count == 0) return {};
  double v = 0;
  switch (rule.stat) {
    case NfrStat::kP50:
      v = s->p50;
      break;
    case NfrStat::kP90:
      v = s->p90;
      break;
    case NfrStat::kP95:
      v = s->p95;
      break;
    case NfrStat::kP99:
      v = s->p99;
      break;
    case NfrStat::kMean:
      v = s->mean;
      break;
    default:
      v = s->max;
      break;
  }
  return {v, s->count};
}

namespace {

std::optional<double> Finite(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

double QuantileOf(config::NfrStat stat) {
  switch (stat) {
    case config::NfrStat::kP50:
      return 0.50;
    case config::NfrStat::kP90:
      return 0.90;
    case config::NfrStat::kP95:
      return 0.95;
    default:
      return 0.99;
  }
}

}  // namespace

std::optional<NfrVerdict::Interval> IntervalOf(const ProbeResult& p, const config::NfrRule& rule) {
  using config::NfrStat;
  if (rule.stat == NfrStat::kErrorRate) {
    if (p.runs == 0) return std::nullopt;
    const auto w = stats::WilsonInterval(p.failures, p.runs);
    return NfrVerdict::Interval{w.low, w.high};
  }
  if (rule.stat == NfrStat::kRatio || rule.stat == NfrStat::kMax) return std::nullopt;
  const PhaseStats* s = p.Phase(rule.phase);
  if (s == nullptr || s->count == 0) return std::nullopt;
  auto kept = s->Weighted();
  std::sort(kept.begin(), kept.end());
  std::uint64_t k = 0;
  for (const auto& [v, c] : kept) k += c;
  if (k == 0) return NfrVerdict::Interval{};  // an old record: no samples kept
  if (rule.stat == NfrStat::kMean) {
    double sum = 0, sq = 0;
    for (const auto& [v, c] : kept) sum += v * static_cast<double>(c);
    const double mean = sum / static_cast<double>(k);
    for (const auto& [v, c] : kept) sq += (v - mean) * (v - mean) * static_cast<double>(c);
    const double sd = k > 1 ? std::sqrt(sq / static_cast<double>(k - 1)) : 0;
    const auto m = stats::MeanInterval(s->count, s->mean, sd);
    return NfrVerdict::Interval{Finite(m.low), Finite(m.high)};
  }
  // Order statistics of all `count` samples, read from the kept ones (every sample, or evenly
  // spaced order statistics of them).
  const auto ranks = stats::QuantileRanks(s->count, QuantileOf(rule.stat));
  // Rank r of n is kept rank r·k/n, rounded outwards: down for the lower bound, up for the upper
  // (exact when every sample is kept).
  auto at = [&](std::uint64_t r, bool lower) {
    const double pos =
        static_cast<double>(r) * static_cast<double>(k) / static_cast<double>(s->count);
    const auto scaled = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(lower ? std::floor(pos + 1e-9) : std::ceil(pos - 1e-9)), 1, k);
    std::uint64_t seen = 0;
    for (const auto& [v, c] : kept) {
      seen += c;
      if (seen >= scaled) return v;
    }
    return kept.back().first;
  };
  NfrVerdict::Interval out;
  if (ranks.lower >= 1) out.low = at(ranks.lower, true);
  if (ranks.upper <= s->count) out.high = at(ranks.upper, false);
  return out;
}

std::optional<double> MedianBaseline(const config::NfrRule& rule,
                                     const std::vector<RunRecord>& past) {
  std::vector<double> values;
  for (const auto& run : past) {
    if (static_cast<int>(values.size()) >= rule.baseline_runs) break;
    if (!run.finished() || run.state == RunState::kError) continue;
    const ProbeResult* p = run.Probe(rule.probe);
    if (p == nullptr) continue;
    if (auto v = StatOf(*p, rule).value) values.push_back(*v);
  }
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Samples BaselineSamples(const config::NfrRule& rule, const std::vector<RunRecord>& past) {
  Samples out;
  if (!rule.latency()) return out;
  int used = 0;
  for (const auto& run : past) {
    if (used >= rule.baseline_runs) break;
    if (!run.finished() || run.state == RunState::kError) continue;
    const ProbeResult* p = run.Probe(rule.probe);
    if (p == nullptr || !StatOf(*p, rule).value) continue;
    ++used;
    const auto kept = p->Phase(rule.phase)->Weighted();
    out.insert(out.end(), kept.begin(), kept.end());
  }
  return out;
}

namespace {

std::string P(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", p);
  return buf;
}

// A regression rule that broke baseline ± tolerance, tested against its baseline runs' samples.
void TestRegression(NfrVerdict& v, const config::NfrRule& rule, const ProbeResult& probe,
                    const JudgeOptions& options) {
  auto it = options.baseline_samples.find(rule.name);
  const PhaseStats* phase = probe.Phase(rule.phase);
  if (it == options.baseline_samples.end() || it->second.empty() || phase == nullptr) return;
  const double level = rule.significance.value_or(options.significance);
  const auto test = stats::MannWhitney(it->second, phase->Weighted());
  const double change = *rule.reference != 0 ? *v.value / *rule.reference - 1 : 0;
  const bool higher_worse = rule.stat != config::NfrStat::kRatio;
  switch (stats::Decide(test, change, higher_worse, {level, rule.tolerance})) {
    case stats::Change::kTooFew:
      v.reason += " (too few samples for a rank test: " + std::to_string(test.n_a) + " vs " +
                  std::to_string(test.n_b) + "; the threshold alone decides)";
      return;
    case stats::Change::kRegressed:
      v.reason += "; significantly worse than the baseline runs' samples (p = " + P(test.p) +
                  " < " + P(level) + ")";
      return;
    default:
      v.verdict = Verdict::kPassed;
      v.reason =
          "beyond baseline ± tolerance but not significantly worse than the baseline "
          "runs' samples (p = " +
          P(test.p) + ", significance " + P(level) + ")";
  }
}

double Low(const NfrVerdict::Interval& in) {
  return in.low.value_or(-std::numeric_limits<double>::infinity());
}
double High(const NfrVerdict::Interval& in) {
  return in.high.value_or(std::numeric_limits<double>::infinity());
}

// The whole interval keeps the promise / breaks it; an open side keeps "<" and breaks ">".
bool Kept(const config::NfrRule& rule, const NfrVerdict::Interval& in) {
  return rule.Met(Low(in), rule.threshold) && rule.Met(High(in), rule.threshold);
}
bool Breached(const config::NfrRule& rule, const NfrVerdict::Interval& in) {
  return !rule.Met(Low(in), rule.threshold) && !rule.Met(High(in), rule.threshold);
}
// Neither: the interval straddles the threshold.
bool Straddles(const config::NfrRule& rule, const NfrVerdict::Interval& in) {
  return !Kept(rule, in) && !Breached(rule, in);
}

std::string Side(const config::NfrRule& rule, const std::optional<double>& v, const char* open) {
  return v ? config::FormatThreshold(rule, *v) : std::string(open);
}

// "p99 12.1ms, 95 % interval [4.2ms, ∞) over 20 samples straddles < 10ms; an upper bound needs
// 299 samples"
std::string Inconclusive(const config::NfrRule& rule, double value, const NfrVerdict::Interval& in,
                         std::uint64_t samples) {
  std::string out = rule.stat_name + " " + config::FormatThreshold(rule, value) +
                    ", 95 % interval [" + Side(rule, in.low, "-∞") + ", " +
                    Side(rule, in.high, "∞") + "] over " + std::to_string(samples) +
                    " samples, straddles " + rule.op_text + " " +
                    config::FormatThreshold(rule, rule.threshold);
  if (rule.stat >= config::NfrStat::kP50 && rule.stat <= config::NfrStat::kP99) {
    const double q = QuantileOf(rule.stat);
    if (!in.high)
      out +=
          "; an upper bound needs " + std::to_string(stats::SamplesForUpperBound(q)) + " samples";
    if (!in.low)
      out += "; a lower bound needs " + std::to_string(stats::SamplesForUpperBound(1 - q)) +
             " samples";
  }
  return out;
}

}  // namespace

std::vector<NfrVerdict> Judge(const std::vector<config::NfrRule>& rules,
                              const std::vector<std::string>& judged,
                              const std::vector<ProbeResult>& results,
                              const JudgeOptions& options) {
  std::vector<NfrVerdict> out;
  for (const auto& name : judged) {
    auto rule = std::find_if(rules.begin(), rules.end(),
                             [&](const config::NfrRule& r) { return r.name == name; });
    if (rule == rules.end()) continue;
    NfrVerdict v;
    v.nfr = rule->name;
    v.probe = rule->probe;
    v.phase = rule->phase;
    v.stat = rule->stat_name;
    v.op = rule->op_text;
    v.threshold = rule->threshold;
    v.latency = rule->latency();
    v.severity = rule->severity;
    v.reference = rule->reference;
    auto probe = std::find_if(results.begin(), results.end(),
                              [&](const ProbeResult& p) { return p.name == rule->probe; });
    if (probe == results.end()) {
      v.reason = "probe " + rule->probe + " did not run";
    } else if (probe->skipped) {
      v.reason = "probe " + rule->probe + " skipped: " + probe->skip_reason;
    } else if (rule->regression && !rule->reference) {
      v.reason = "no baseline yet: no past suite run measured " + rule->probe + " " + rule->phase +
                 " " + rule->stat_name;
    } else {
      const StatValue s = StatOf(*probe, *rule);
      v.value = s.value;
      v.samples = s.samples;
      if (!s.value) {
        v.verdict = Verdict::kFailed;
        v.reason = "no " + (rule->phase.empty() ? std::string("runs") : rule->phase) +
                   " sample in " + std::to_string(probe->runs) + " run(s)" +
                   (probe->last_error.empty() ? "" : "; last error " + probe->last_error);
      } else if (v.interval = IntervalOf(*probe, *rule);
                 !rule->regression && v.interval && Straddles(*rule, *v.interval)) {
        v.verdict = Verdict::kInconclusive;
        v.reason = Inconclusive(*rule, *s.value, *v.interval, s.samples);
      } else if (!rule->regression && v.interval ? Kept(*rule, *v.interval)
                                                 : rule->Met(*s.value, rule->threshold)) {
        v.verdict = Verdict::kPassed;
        // Beyond the tolerance but under the absolute floor: say so, with the numbers.
        if (rule->regression && rule->reference && rule->MinChange() > 0) {
          const double ref = *rule->reference;
          const double tolerated = rule->stat != config::NfrStat::kRatio
                                       ? ref * (1 + rule->tolerance)
                                       : ref * (1 - rule->tolerance);
          if (!rule->Met(*s.value, tolerated)) {
            const double change = *s.value - ref;
            v.reason = "changed, not a regression: " + rule->stat_name + " " +
                       config::FormatThreshold(*rule, *s.value) + " vs baseline " +
                       config::FormatThreshold(*rule, ref) + " (" + (change >= 0 ? "+" : "-") +
                       config::FormatThreshold(*rule, std::abs(change)) + ", under min_change " +
                       config::FormatThreshold(*rule, rule->MinChange()) + ")";
          }
        }
      } else {
        v.verdict = Verdict::kFailed;
        v.reason = rule->stat_name + " " + config::FormatThreshold(*rule, *s.value) +
                   " breaks the promise " + rule->op_text + " " +
                   config::FormatThreshold(*rule, rule->threshold);
        if (!rule->regression && v.interval)
          v.reason += " (95 % interval [" + Side(*rule, v.interval->low, "-∞") + ", " +
                      Side(*rule, v.interval->high, "∞") + "] over " + std::to_string(s.samples) +
                      " samples)";
        if (rule->regression) TestRegression(v, *rule, *probe, options);
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

RunState FinalState(const RunRecord& run) {
  const bool failed = run.Count(Verdict::kFailed) > 0 ||
                      (run.inconclusive_fails && run.Count(Verdict::kInconclusive) > 0);
  return failed ? RunState::kFailed : RunState::kPassed;
}

}  // namespace reznet::suite
