#include "telemetry/probe_metrics.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

#include "common/exposition.hpp"

namespace reznet::telemetry {

using common::AppendHelpType;
using common::AppendHistogram;
using common::AppendSample;
using common::Label;
namespace {

// Fixed buckets, the same on every instance so histograms aggregate: 1 ms … 60 s.
constexpr std::array<double, 15> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,      2.5,   5,    10,    30,   60};

// The `result` values of reznet_perf_probe_runs_total, in Probe::runs' order.
enum RunResult { kRunSuccess, kRunFailure, kRunSkipped, kRunOverrun };
constexpr const char* kRunResults[] = {"success", "failure", "skipped", "overrun"};

constexpr const char* kRunsTotal = "reznet_perf_probe_runs_total";
constexpr const char* kSuccess = "reznet_perf_probe_success";
constexpr const char* kLastRun = "reznet_perf_probe_last_run_timestamp_seconds";
constexpr const char* kDuration = "reznet_perf_probe_duration_seconds";
constexpr const char* kErrors = "reznet_perf_probe_errors_total";
constexpr const char* kTargetInfo = "reznet_perf_probe_target_info";
constexpr const char* kLateness = "reznet_perf_scheduler_lateness_seconds";

// Scheduler lateness is expected far below a millisecond; the top buckets catch a stalled loop.
constexpr std::array<double, 12> kLatenessBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                     0.01,   0.025,   0.05,   0.1,   0.25,   1};

constexpr const char* kGenericRatioHelp =
    "Last value of a ratio the probe's kind reports (see the README).";

double Seconds(probes::Duration d) { return std::chrono::duration<double>(d).count(); }

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

struct Histogram {
  std::array<std::uint64_t, kBuckets.size() + 1> counts{};  // the last: above every bound
  double sum = 0;
  void Observe(double seconds, std::uint64_t n) {
    const auto bucket = std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds);
    counts[static_cast<std::size_t>(bucket - kBuckets.begin())] += n;
    sum += seconds * static_cast<double>(n);
  }
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Label views of `pairs`, for the writer.
std::vector<Label> Views(const Pairs& pairs) {
  std::vector<Label> out;
  out.reserve(pairs.size());
  for (const auto& [k, v] : pairs) out.emplace_back(k, v);
  return out;
}

}  // namespace

struct ProbeMetrics::Family {
  std::string name, help;
  bool total = false;  // a counter; else a gauge
};

struct ProbeMetrics::Families {
  std::function<std::vector<std::string>()> taken;
  std::vector<std::shared_ptr<const Family>> ordered;  // in order of first declaration
  // reznet_perf_scheduler_lateness_seconds: counts per kLatenessBuckets bound and above.
  std::array<std::uint64_t, 13> lateness{};
  double lateness_sum = 0;
  bool late_seen = false;
};

namespace {

// One of a probe's kind series: the outcome counter it follows and its last or summed value.
struct KindValue {
  std::shared_ptr<const void> family;  // a ProbeMetrics::Family
  std::string counter;
  bool total = false;
  bool kind_labels = false;
  bool seen = false;
  double value = 0;
};

}  // namespace

struct ProbeMetrics::Probe {
  std::string kind;
  Pairs labels;  // the kind's labels, sorted by name
  std::array<double, 4> runs{};
  double success = 0;
  double last_run = 0;
  std::map<std::string, double> errors;  // by error kind
  std::map<std::string, Histogram> phases;
  std::vector<KindValue> kind_values;
  std::shared_ptr<const Pairs> target_info;  // sorted by name, probe and target included
};

ProbeMetrics::ProbeMetrics(std::function<std::vector<std::string>()> taken)
    : families_(std::make_unique<common::Guarded<Families>>()) {
  families_->Lock()->taken = [this, taken = std::move(taken)] {
    std::vector<std::string> names = taken ? taken() : std::vector<std::string>{};
    for (auto& own : FamilyNames()) names.push_back(std::move(own));
    return names;
  };
}

std::vector<std::string> ProbeMetrics::FamilyNames() const {
  return {kRunsTotal, kSuccess, kLastRun, kDuration, kErrors, kTargetInfo, kLateness};
}

ProbeMetrics::~ProbeMetrics() = default;

void ProbeMetrics::Add(const std::string& name, const ProbeDeclaration& declaration) {
  if (probes_.Contains(name)) return;
  // The kind's families first: a bad name throws before anything is declared.
  std::vector<KindValue> values;
  {
    auto families = families_->Lock();
    auto family_of = [&](const std::string& series, const std::string& help,
                         bool total) -> std::shared_ptr<const Family> {
      if (!IsMetricName(series) || !series.starts_with("reznet_perf_"))
        throw std::invalid_argument("series " + series +
                                    ": not a Prometheus metric name starting reznet_perf_");
      for (const auto& f : families->ordered) {
        if (f->name != series) continue;
        if (f->total != total)
          throw std::invalid_argument("series " + series +
                                      ": declared as a counter and as a gauge");
        return f;
      }
      const auto taken = families->taken();  // a new name: rare, so asked each time
      if (std::find(taken.begin(), taken.end(), series) != taken.end())
        throw std::invalid_argument("series " + series + ": the name of another family");
      auto f = std::make_shared<const Family>(Family{series, help, total});
      families->ordered.push_back(f);
      return f;
    };
    for (const auto& r : declaration.ratios) {
      if (r.gauge.empty()) continue;
      // The suffix keeps ratio gauges apart from every other family.
      if (!r.gauge.ends_with("_ratio"))
        throw std::invalid_argument("ratio gauge " + r.gauge + ": the name must end in _ratio");
      values.push_back(
          {family_of(r.gauge, r.help.empty() ? kGenericRatioHelp : r.help, false), r.counter});
    }
    for (const auto& m : declaration.metrics) {
      values.push_back({family_of(m.name, m.help, m.total), m.counter, m.total, m.kind_labels});
    }
  }
  auto probe = std::make_shared<common::Guarded<Probe>>();
  {
    auto p = probe->Lock();
    p->kind = declaration.kind;
    p->labels = declaration.labels;
    std::sort(p->labels.begin(), p->labels.end());
    p->kind_values = std::move(values);
  }
  if (probes_.Add(name, std::move(probe))) Changed();
}

void ProbeMetrics::Remove(const std::string& name) {
  if (probes_.Remove(name)) Changed();
}

void ProbeMetrics::Record(const std::string& name, const probes::Outcome& outcome,
                          std::chrono::system_clock::time_point wall) {
  const auto probe = probes_.Find(name);
  if (!probe) return;  // removed meanwhile
  auto p = probe->Lock();
  ++p->runs[outcome.skipped ? kRunSkipped : outcome.ok() ? kRunSuccess : kRunFailure];
  if (outcome.error) ++p->errors[std::string(clients::ToString(outcome.error->kind))];
  if (!outcome.skipped) p->success = outcome.ok() ? 1 : 0;
  p->last_run = UnixSeconds(wall);
  for (auto& v : p->kind_values) {
    const auto value = outcome.Counter(v.counter);
    if (!value || (v.total && outcome.skipped)) continue;
    v.value = v.total ? v.value + *value : *value;
    v.seen = true;
  }
  for (const auto& phase : outcome.phases) {
    auto& histogram = p->phases[phase.name];
    for (auto sample : phase.samples) histogram.Observe(Seconds(sample), 1);
    for (const auto& [sample, count] : phase.weighted) histogram.Observe(Seconds(sample), count);
  }
  Changed();
}

void ProbeMetrics::CountOverruns(const std::string& name, std::uint64_t n) {
  if (n == 0) return;
  const auto probe = probes_.Find(name);
  if (!probe) return;
  probe->Lock()->runs[kRunOverrun] += static_cast<double>(n);
  Changed();
}

void ProbeMetrics::SetTargetInfo(const std::string& probe, const std::string& target,
                                 const std::vector<std::pair<std::string, std::string>>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  sorted["probe"] = probe;
  sorted["target"] = target;
  auto wanted = std::make_shared<const Pairs>(sorted.begin(), sorted.end());
  const auto p = probes_.Find(probe);
  if (!p) return;
  auto locked = p->Lock();
  if (locked->target_info && *locked->target_info == *wanted) return;  // unchanged: /metrics holds
  locked->target_info = std::move(wanted);
  Changed();
}

void ProbeMetrics::ObserveLateness(std::chrono::nanoseconds late) {
  const double seconds = std::chrono::duration<double>(std::max(late, late.zero())).count();
  {
    auto f = families_->Lock();
    const auto bucket = std::lower_bound(kLatenessBuckets.begin(), kLatenessBuckets.end(), seconds);
    ++f->lateness[static_cast<std::size_t>(bucket - kLatenessBuckets.begin())];
    f->lateness_sum += seconds;
    f->late_seen = true;
  }
  Changed();
}

namespace {

// Appends a family's HELP and TYPE and whatever `series` writes; nothing when it wrote none.
template <typename WriteSeries>
void AppendFamily(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type, WriteSeries series) {
  const std::size_t mark = out.size();
  AppendHelpType(out, name, help, type);
  const std::size_t header_end = out.size();
  series();
  if (out.size() == header_end) out.resize(mark);
}

void AppendLateness(std::string& out, std::span<const std::uint64_t> counts, double sum) {
  AppendHelpType(out, kLateness, "How late probe runs start: actual start - planned start.",
                 "histogram");
  AppendHistogram(out, kLateness, {}, kLatenessBuckets, counts, sum);
}

}  // namespace

void ProbeMetrics::Collect(std::string& out, std::chrono::steady_clock::time_point) {
  const auto shared = probes_.List();
  std::vector<std::shared_ptr<const Family>> families;
  std::optional<std::pair<std::array<std::uint64_t, 13>, double>> lateness;
  {
    auto f = families_->Lock();
    families = f->ordered;
    if (f->late_seen) lateness.emplace(f->lateness, f->lateness_sum);
  }
  std::vector<Probe> rows;  // each probe copied under its own lock: one consistent run each
  rows.reserve(shared.size());
  for (const auto& [name, probe] : shared) rows.push_back(*probe->Lock());

  AppendFamily(
      out, kRunsTotal, "Probe runs by result (success, failure, skipped, overrun).", "counter",
      [&] {
        for (std::size_t r = 0; r < rows.size(); ++r) {
          for (std::size_t i = 0; i < 4; ++i) {
            const Label labels[] = {{"probe", shared[r].first}, {"result", kRunResults[i]}};
            AppendSample(out, kRunsTotal, labels, rows[r].runs[i]);
          }
        }
      });
  AppendFamily(out, kSuccess, "1 when the last run succeeded, 0 otherwise.", "gauge", [&] {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Label labels[] = {{"probe", shared[r].first}};
      AppendSample(out, kSuccess, labels, rows[r].success);
    }
  });
  AppendFamily(out, kLastRun, "Unix time the last run finished.", "gauge", [&] {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Label labels[] = {{"probe", shared[r].first}};
      AppendSample(out, kLastRun, labels, rows[r].last_run);
    }
  });
  AppendFamily(out, kDuration,
               "Duration of each probe phase, cumulative (aggregatable across instances).",
               "histogram", [&] {
                 for (std::size_t r = 0; r < rows.size(); ++r) {
                   for (const auto& [phase, h] : rows[r].phases) {
                     const Label labels[] = {
                         {"kind", rows[r].kind}, {"phase", phase}, {"probe", shared[r].first}};
                     AppendHistogram(out, kDuration, labels, kBuckets, h.counts, h.sum);
                   }
                 }
               });
  AppendFamily(out, kErrors, "Failed probe runs by error kind.", "counter", [&] {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (const auto& [error, count] : rows[r].errors) {
        const Label labels[] = {{"error", error}, {"probe", shared[r].first}};
        AppendSample(out, kErrors, labels, count);
      }
    }
  });
  for (const auto& family : families) {
    AppendFamily(out, family->name, family->help, family->total ? "counter" : "gauge", [&] {
      for (std::size_t r = 0; r < rows.size(); ++r) {
        for (const auto& v : rows[r].kind_values) {
          if (v.family != family || !v.seen) continue;
          Pairs pairs = v.kind_labels ? rows[r].labels : Pairs{};
          pairs.emplace_back("probe", shared[r].first);
          std::sort(pairs.begin(), pairs.end());
          AppendSample(out, family->name, Views(pairs), v.value);
        }
      }
    });
  }
  AppendFamily(out, kTargetInfo,
               "1 per discovered probe: its target as listed and its file_sd labels, to join on "
               "probe.",
               "gauge", [&] {
                 for (const auto& row : rows) {
                   if (row.target_info) AppendSample(out, kTargetInfo, Views(*row.target_info), 1);
                 }
               });
  if (lateness) AppendLateness(out, lateness->first, lateness->second);
}

}  // namespace reznet::telemetry
