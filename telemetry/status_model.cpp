#include "telemetry/status_model.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cmath>
#include <deque>
#include <map>

#include "config/units.hpp"

namespace reznet::telemetry {
namespace {

constexpr std::size_t kChartPoints = 240;  // runs per chart: an hour at one run per 15 s
constexpr std::size_t kFailures = 20;

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Unix seconds; 0 for a time never set.
double UnixSeconds(std::chrono::system_clock::time_point t) {
  return t.time_since_epoch().count() == 0
             ? 0.0
             : std::chrono::duration<double>(t.time_since_epoch()).count();
}

// For equal_range over a snapshot ordered by probe name.
const std::string& ProbeOf(const SeriesStats& s) { return s.probe; }
const std::string& ProbeOf(const std::string& name) { return name; }

// The outcome's own JSON (probes::OutcomeToJson, the one writer of that format) as a value.
// Invalid UTF-8 from a monitored system's error text passes through as it always did.
boost::json::value OutcomeJson(const std::string& name, const std::string& kind,
                               const probes::Outcome& outcome) {
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;
  return boost::json::parse(probes::OutcomeToJson(name, kind, outcome), {}, options);
}

struct ProbeStatus {
  std::string kind;
  std::optional<probes::Outcome> last;
  std::chrono::system_clock::time_point last_wall{};
  std::chrono::system_clock::time_point next_wall{};
  std::string chart_phase;
  // (Unix seconds, seconds), oldest first. A vector, not a deque: an empty deque allocates
  // about 600 bytes, and 100,000 discovered probes mostly never chart.
  std::vector<std::pair<double, double>> points;
};

struct NfrStatus {
  StatusPageData::Nfr row;
  boost::json::object json;
};

StatusPageData::Probe PageProbe(const std::string& name, const ProbeStatus& st) {
  StatusPageData::Probe p;
  p.name = name;
  p.kind = st.kind;
  if (st.last) {
    p.ran = true;
    p.ok = st.last->ok();
    p.skipped = st.last->skipped;
    p.skip_reason = st.last->skip_reason;
    if (st.last->error) {
      p.error_kind = clients::ToString(st.last->error->kind);
      p.error_detail = st.last->error->detail;
    }
  }
  p.last_wall = UnixSeconds(st.last_wall);
  p.next_wall = UnixSeconds(st.next_wall);
  p.phase = st.chart_phase;
  p.points.assign(st.points.begin(), st.points.end());
  return p;
}

}  // namespace

boost::json::array IntervalJson(const stats::Interval& i, double scale) {
  boost::json::array a;
  for (double v : {i.low, i.high}) {
    if (std::isfinite(v)) {
      a.emplace_back(v * scale);
    } else {
      a.emplace_back(nullptr);
    }
  }
  return a;
}

std::string GuessChartPhase(const probes::Outcome& outcome) {
  for (const char* name : {"total", "query", "get", "request"}) {
    if (outcome.FindPhase(name) != nullptr) return name;
  }
  for (const auto& p : outcome.phases) {
    if (p.name != "dns" && p.name != "connect" && p.name != "tls") return p.name;
  }
  return {};
}

std::optional<double> MeanSeconds(const probes::Phase& phase) {
  if (phase.Count() == 0) return std::nullopt;
  double sum = 0;
  for (auto d : phase.samples) sum += Seconds(d);
  for (const auto& [d, c] : phase.weighted) sum += Seconds(d) * static_cast<double>(c);
  return sum / static_cast<double>(phase.Count());
}

boost::json::object WindowJson(const stats::WindowStats& s) {
  boost::json::object o;
  o["count"] = s.count;
  if (s.count == 0) return o;
  o["p50"] = Seconds(Duration(s.p50));
  o["p90"] = Seconds(Duration(s.p90));
  o["p95"] = Seconds(Duration(s.p95));
  o["p99"] = Seconds(Duration(s.p99));
  o["mean"] = s.mean_ns / 1e9;
  o["max"] = Seconds(Duration(s.max));
  if (s.intervals) {
    // In seconds, from nanoseconds.
    const auto ci = [](const stats::Interval& i) { return IntervalJson(i, 1e-9); };
    o["p50_ci"] = ci(s.intervals->p50);
    o["p90_ci"] = ci(s.intervals->p90);
    o["p95_ci"] = ci(s.intervals->p95);
    o["p99_ci"] = ci(s.intervals->p99);
    o["mean_ci"] = ci(s.intervals->mean);
  }
  return o;
}

// "12 of 30 samples" while a rule has fewer than it needs to be judged; empty once judged.
std::string Collecting(const config::NfrRule& rule, const nfr::RuleState& state) {
  if (state.state != nfr::NfrState::kNoData) return "";
  // A regression rule still waiting for suite history waits for a baseline, not for samples.
  if (rule.baseline_runs > 0 && !rule.reference) return "";
  const auto need = static_cast<std::uint64_t>(std::max<std::int64_t>(rule.min_samples, 1));
  return std::to_string(std::min(state.samples, need)) + " of " + std::to_string(need) + " samples";
}

boost::json::object NfrJson(const config::NfrRule& rule, const nfr::RuleState& state) {
  boost::json::object o;
  o["name"] = rule.name;
  o["probe"] = rule.probe;
  o["stat"] = rule.stat_name;
  o["state"] = nfr::StateName(state.state);
  o["value"] = state.value ? boost::json::value(*state.value) : boost::json::value(nullptr);
  // The value's 95 % interval, in its unit, where its statistic has one (issue #26).
  if (state.value && state.interval) o["ci"] = IntervalJson(*state.interval);
  o["promise"] = rule.op_text + " " + config::FormatThreshold(rule, rule.threshold);
  o["good"] = state.good;
  o["events"] = state.events;
  o["samples"] = state.samples;
  if (const std::string c = Collecting(rule, state); !c.empty()) o["collecting"] = c;
  o["evidence_seconds"] = Seconds(nfr::EvidenceSpan(rule));
  return o;
}

StatusPageData::Nfr NfrRow(const config::NfrRule& rule, const nfr::RuleState& state) {
  // A regression rule still waiting for suite history has no threshold yet.
  const bool no_threshold = rule.baseline_runs > 0 && !rule.reference;
  const bool phase_shown = !rule.phase.empty() && rule.stat != config::NfrStat::kErrorRate;
  // A burn-rate rule's value is the share of bad samples (nfr/burn_rate.hpp), not a latency.
  return {rule.name,
          rule.probe,
          rule.stat_name + (phase_shown ? "(" + rule.phase + ")" : "") +
              (rule.burn_rate() ? " burn rate" : ""),
          rule.op_text,
          nfr::StateName(state.state),
          rule.severity,
          state.value,
          rule.threshold,
          rule.latency() && !rule.burn_rate(),
          no_threshold ? "" : config::FormatThreshold(rule, rule.threshold),
          Collecting(rule, state),
          state.value ? state.interval : std::nullopt,
          nfr::EvidenceSpan(rule)};
}

struct StatusModel::State {
  std::map<std::string, ProbeStatus> probes;
  std::map<std::string, NfrStatus> nfrs;
  std::deque<StatusPageData::Failure> failures;  // newest first
};

StatusModel::StatusModel(std::vector<Duration> lengths)
    : state_(std::make_unique<common::Guarded<State>>()) {
  for (auto length : lengths) window_names_.push_back(config::FormatDuration(length));
}

StatusModel::~StatusModel() = default;

void StatusModel::AddProbe(const std::string& name, const std::string& kind,
                           const std::string& chart_phase) {
  auto state = state_->Lock();
  auto [it, fresh] = state->probes.try_emplace(name);
  if (!fresh) return;
  it->second.kind = kind;
  it->second.chart_phase = chart_phase;
}

void StatusModel::RemoveProbe(const std::string& name) { state_->Lock()->probes.erase(name); }

void StatusModel::Record(const std::string& name, const probes::Outcome& outcome,
                         std::chrono::system_clock::time_point wall) {
  probes::Outcome copy = outcome;  // before the lock
  const double unix_wall = std::chrono::duration<double>(wall.time_since_epoch()).count();
  auto state = state_->Lock();
  auto it = state->probes.find(name);
  if (it == state->probes.end()) return;  // removed meanwhile
  ProbeStatus& st = it->second;
  if (outcome.error) {
    state->failures.push_front({unix_wall, name,
                                std::string(clients::ToString(outcome.error->kind)),
                                outcome.error->detail});
    if (state->failures.size() > kFailures) state->failures.pop_back();
  }
  if (!outcome.phases.empty()) {
    if (st.chart_phase.empty()) st.chart_phase = GuessChartPhase(outcome);
    const probes::Phase* chart = outcome.FindPhase(st.chart_phase);
    if (auto mean = chart ? MeanSeconds(*chart) : std::nullopt) {
      st.points.emplace_back(unix_wall, *mean);
      if (st.points.size() > kChartPoints) st.points.erase(st.points.begin());
    }
  }
  st.last = std::move(copy);
  st.last_wall = wall;
}

void StatusModel::SetNextRun(const std::string& name, std::chrono::system_clock::time_point when) {
  auto state = state_->Lock();
  auto it = state->probes.find(name);
  if (it != state->probes.end()) it->second.next_wall = when;
}

void StatusModel::PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state) {
  NfrStatus status{NfrRow(rule, state), NfrJson(rule, state)};
  state_->Lock()->nfrs[rule.name] = std::move(status);
}

void StatusModel::RemoveNfr(const std::string& name) { state_->Lock()->nfrs.erase(name); }

boost::json::object StatusModel::StatusJson(const std::vector<SeriesStats>& windows) {
  struct Last {
    std::string name, kind;
    std::optional<probes::Outcome> outcome;
  };
  std::vector<Last> lasts;
  boost::json::array nfrs;
  {
    auto state = state_->Lock();  // copies only: the document is built after
    for (const auto& [name, st] : state->probes) lasts.push_back({name, st.kind, st.last});
    for (const auto& [name, n] : state->nfrs) nfrs.push_back(n.json);
  }
  boost::json::array probes;
  for (const auto& last : lasts) {
    boost::json::object phases;
    auto [first, end] =
        std::equal_range(windows.begin(), windows.end(), last.name,
                         [](const auto& a, const auto& b) { return ProbeOf(a) < ProbeOf(b); });
    for (auto s = first; s != end; ++s) {
      boost::json::object by_window;
      for (std::size_t w = 0; w < std::min(s->windows.size(), window_names_.size()); ++w)
        by_window[window_names_[w]] = WindowJson(s->windows[w]);
      phases[s->phase] = std::move(by_window);
    }
    boost::json::object probe;
    probe["name"] = last.name;
    probe["kind"] = last.kind;
    probe["last"] = last.outcome ? OutcomeJson(last.name, last.kind, *last.outcome)
                                 : boost::json::value(nullptr);
    probe["windows"] = std::move(phases);
    probes.push_back(std::move(probe));
  }
  boost::json::object doc;
  doc["probes"] = std::move(probes);
  doc["nfrs"] = std::move(nfrs);
  return doc;
}

StatusPageData StatusModel::StatusPage(std::chrono::system_clock::time_point wall) {
  StatusPageData d;
  d.now_wall = UnixSeconds(wall);
  auto state = state_->Lock();
  for (const auto& [name, n] : state->nfrs) d.nfrs.push_back(n.row);
  for (const auto& [name, st] : state->probes) d.probes.push_back(PageProbe(name, st));
  d.failures.assign(state->failures.begin(), state->failures.end());
  return d;
}

}  // namespace reznet::telemetry
