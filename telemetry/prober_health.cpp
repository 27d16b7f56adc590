#include "telemetry/prober_health.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cstdio>

#include "common/exposition.hpp"
#include "common/format.hpp"
#include "common/json.hpp"
#include "nfr/step.hpp"

namespace reznet::telemetry {
namespace {

using common::Label;
using std::chrono::nanoseconds;

constexpr const char* kCpuPressure = "reznet_perf_prober_cpu_pressure_ratio";
constexpr const char* kSelfProbe = "reznet_perf_prober_self_probe_seconds";
constexpr const char* kSelfProbeErrors = "reznet_perf_prober_self_probe_errors_total";
constexpr const char* kOverloaded = "reznet_perf_prober_overloaded";

// A loopback round trip takes about half a millisecond on an idle machine and a few under a
// build; the top buckets hold the ones the overload rule is about (100 ms by default).
constexpr std::array<double, 12> kRttBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                0.01,   0.025,   0.05,   0.1,   0.25,   1};

constexpr std::size_t kRecentSelfProbes = 3;

double Seconds(nanoseconds d) { return std::chrono::duration<double>(d).count(); }

double UnixSeconds(common::WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", ratio * 100);
  return buf;
}

boost::json::value OptSeconds(const std::optional<nanoseconds>& d) {
  return d ? boost::json::value(Seconds(*d)) : boost::json::value(nullptr);
}

}  // namespace

std::optional<double> ParseCpuPressure(std::string_view text) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.starts_with("some ")) continue;
    // "some avg10=6.25 avg60=8.48 avg300=5.27 total=24788091"
    const auto at = line.find(" avg10=");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view number = line.substr(at + 7);
    number = number.substr(0, number.find(' '));
    double percent = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), percent);
    if (ec != std::errc() || end != number.data() + number.size() || number.empty() ||
        !(percent >= 0 && percent <= 100)) {
      return std::nullopt;
    }
    return percent / 100;
  }
  return std::nullopt;
}

std::vector<std::string> OverloadReasons(const config::OverloadConfig& limits,
                                         const OverloadSignals& s) {
  std::vector<std::string> out;
  if (s.cpu_pressure && *s.cpu_pressure > limits.cpu_pressure)
    out.push_back("cpu pressure " + Percent(*s.cpu_pressure) + " > " +
                  Percent(limits.cpu_pressure));
  if (s.self_probe && *s.self_probe > limits.self_probe)
    out.push_back("self-probe " + common::FormatSeconds(Seconds(*s.self_probe)) + " > " +
                  config::FormatDuration(limits.self_probe));
  if (s.lateness && *s.lateness > limits.lateness)
    out.push_back("scheduler lateness " + common::FormatSeconds(Seconds(*s.lateness)) + " > " +
                  config::FormatDuration(limits.lateness));
  return out;
}

boost::json::object ProberHealthJson(const ProberHealthSnapshot& s) {
  boost::json::array reasons(s.reasons.begin(), s.reasons.end());
  return {{"checked", s.checked},
          {"overloaded", s.overloaded},
          {"overloaded_since", s.overloaded ? boost::json::value(UnixSeconds(s.overloaded_since))
                                            : boost::json::value(nullptr)},
          {"overload_ended", s.overload_ended != common::WallTime{}
                                 ? boost::json::value(UnixSeconds(s.overload_ended))
                                 : boost::json::value(nullptr)},
          {"reasons", std::move(reasons)},
          {"cpu_pressure", s.signals.cpu_pressure ? boost::json::value(*s.signals.cpu_pressure)
                                                  : boost::json::value(nullptr)},
          {"self_probe_seconds", OptSeconds(s.signals.self_probe)},
          {"lateness_seconds", OptSeconds(s.signals.lateness)},
          {"last_self_probe_seconds", OptSeconds(s.last_self_probe)},
          {"self_probe_errors", s.self_probe_errors},
          {"thresholds",
           {{"cpu_pressure", s.limits.cpu_pressure},
            {"self_probe_seconds", Seconds(s.limits.self_probe)},
            {"lateness_seconds", Seconds(s.limits.lateness)}}}};
}

bool Suspect(const ProberHealthSnapshot& s, std::chrono::nanoseconds span, common::WallTime now) {
  return nfr::SuspectAt(s.overloaded, s.overload_ended, span, now);
}

std::string WithProberHealth(const std::string& status_json, const ProberHealthSnapshot& s,
                             common::WallTime now) {
  boost::json::value doc = boost::json::parse(status_json);
  boost::json::object& o = doc.as_object();
  o["prober"] = ProberHealthJson(s);
  if (auto* nfrs = o.if_contains("nfrs"); nfrs != nullptr && nfrs->is_array()) {
    for (auto& n : nfrs->as_array()) {
      if (!n.is_object()) continue;
      auto& nfr = n.as_object();
      const auto* span = nfr.if_contains("evidence_seconds");
      const double seconds = span != nullptr && span->is_number() ? span->to_number<double>() : 0;
      nfr["suspect"] = Suspect(s,
                               std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::duration<double>(seconds)),
                               now);
    }
  }
  return common::WriteJson(doc);
}

ProberHealth::ProberHealth() : state_(std::make_unique<common::Guarded<State>>()) {}

ProberHealth::~ProberHealth() = default;

void ProberHealth::ObserveLateness(nanoseconds late) {
  late = std::max(late, nanoseconds::zero());
  auto s = state_->Lock();
  s->late_max = std::max(s->late_max.value_or(late), late);
}

void ProberHealth::ObserveCpuPressure(std::optional<double> ratio) {
  {
    auto s = state_->Lock();
    if (s->shown.signals.cpu_pressure == ratio) return;
    s->shown.signals.cpu_pressure = ratio;
  }
  Changed();
}

void ProberHealth::ObserveSelfProbe(nanoseconds round_trip) {
  {
    auto s = state_->Lock();
    s->shown.last_self_probe = round_trip;
    s->recent.push_back(round_trip);
    if (s->recent.size() > kRecentSelfProbes) s->recent.pop_front();
    const double seconds = Seconds(round_trip);
    const auto bucket = std::lower_bound(kRttBuckets.begin(), kRttBuckets.end(), seconds);
    ++s->rtt_counts[static_cast<std::size_t>(bucket - kRttBuckets.begin())];
    s->rtt_sum += seconds;
    s->rtt_seen = true;
  }
  Changed();
}

void ProberHealth::CountSelfProbeError(std::optional<nanoseconds> timed_out_after) {
  {
    auto s = state_->Lock();
    ++s->shown.self_probe_errors;
    if (timed_out_after) {
      s->recent.push_back(*timed_out_after);
      if (s->recent.size() > kRecentSelfProbes) s->recent.pop_front();
    }
  }
  Changed();
}

ProberHealth::Verdict ProberHealth::Check(const config::OverloadConfig& limits,
                                          common::SteadyTime now, common::WallTime wall) {
  Verdict v;
  bool first = false;
  {
    auto s = state_->Lock();
    first = !s->shown.checked;
    OverloadSignals& signals = s->shown.signals;  // cpu_pressure is kept up to date already
    signals.self_probe.reset();
    if (!s->recent.empty()) {
      std::vector<nanoseconds> sorted(s->recent.begin(), s->recent.end());
      std::sort(sorted.begin(), sorted.end());
      signals.self_probe = sorted[(sorted.size() - 1) / 2];
    }
    signals.lateness = s->late_max;
    s->late_max.reset();
    v.reasons = OverloadReasons(limits, signals);
    if (!v.reasons.empty()) s->last_over = now;
    const bool was = s->shown.overloaded;
    v.overloaded = s->last_over && now - *s->last_over < kHold;
    v.changed = v.overloaded != was;
    s->shown.checked = true;
    s->shown.limits = limits;
    s->shown.overloaded = v.overloaded;
    if (v.overloaded && !was) s->shown.overloaded_since = wall;
    if (was && !v.overloaded) s->shown.overload_ended = wall;
    if (!v.reasons.empty()) {
      s->shown.reasons = v.reasons;
    } else if (!v.overloaded) {
      s->shown.reasons.clear();
    }
    overloaded_.store(v.overloaded, std::memory_order_release);
  }
  if (v.changed || first) Changed();  // the only series a check moves (or makes appear)
  return v;
}

ProberHealthSnapshot ProberHealth::Snapshot() const { return state_->Lock()->shown; }

std::vector<std::string> ProberHealth::FamilyNames() const {
  return {kCpuPressure, kSelfProbe, kSelfProbeErrors, kOverloaded};
}

void ProberHealth::Collect(std::string& out, std::chrono::steady_clock::time_point) {
  ProberHealthSnapshot shown;
  std::array<std::uint64_t, 13> counts{};
  double sum = 0;
  bool rtt_seen = false;
  {
    auto s = state_->Lock();
    shown = s->shown;
    counts = s->rtt_counts;
    sum = s->rtt_sum;
    rtt_seen = s->rtt_seen;
  }
  // Nothing until the monitor runs: a daemon without one (tests, the CLI) exports none of these.
  if (!shown.checked && !rtt_seen && shown.self_probe_errors == 0) return;
  if (shown.signals.cpu_pressure) {
    common::AppendHelpType(out, kCpuPressure,
                           "CPU pressure of the daemon's host: /proc/pressure/cpu some avg10 as a "
                           "ratio (absent without PSI).",
                           "gauge");
    common::AppendSample(out, kCpuPressure, {}, *shown.signals.cpu_pressure);
  }
  if (rtt_seen) {
    common::AppendHelpType(out, kSelfProbe,
                           "Round trip of the daemon's own GET /healthz over loopback, from the "
                           "probe loop through the API server.",
                           "histogram");
    common::AppendHistogram(out, kSelfProbe, {}, kRttBuckets, counts, sum);
  }
  common::AppendHelpType(out, kSelfProbeErrors,
                         "Self-probes that got no answer (timeouts and failures).", "counter");
  common::AppendSample(out, kSelfProbeErrors, {}, static_cast<double>(shown.self_probe_errors));
  common::AppendHelpType(out, kOverloaded,
                         "1 while the daemon counts itself overloaded (daemon.overload): what it "
                         "measures meanwhile is suspect.",
                         "gauge");
  common::AppendSample(out, kOverloaded, {}, shown.overloaded ? 1 : 0);
}

}  // namespace reznet::telemetry
