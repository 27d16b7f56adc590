#include "telemetry/telemetry.hpp"

#include <malloc.h>

#include "common/json.hpp"
#include "telemetry/gzip_text.hpp"

namespace reznet::telemetry {
namespace {

// Families a kind may not name its series after: the exporter's and the window series.
std::vector<std::string> TakenNames(Exporter& exporter) {
  auto names = exporter.FamilyNames();
  names.emplace_back("reznet_perf_probe_window_seconds");
  names.emplace_back("reznet_perf_probe_window_samples");
  names.emplace_back("reznet_perf_metrics_render_seconds");
  return names;
}

}  // namespace

Telemetry::Telemetry(std::vector<Duration> windows, BuildInfo build)
    : windows_(windows), exporter_(build), probes_(TakenNames(exporter_)), status_(windows) {}

Telemetry::~Telemetry() = default;

void Telemetry::AddProbe(const std::string& name, const std::string& kind,
                         const std::vector<std::pair<std::string, std::string>>& labels,
                         const ProbeExport& how) {
  // First: it may refuse a series name.
  probes_.Add(name, {kind, labels, how.ratio_gauges ? *how.ratio_gauges : DefaultRatioGauges(),
                     how.metrics});
  windows_.AddProbe(name, how.budget);
  status_.AddProbe(name, kind, how.chart_phase);
}

void Telemetry::RemoveProbe(const std::string& name) {
  probes_.Remove(name);
  windows_.RemoveProbe(name);
  status_.RemoveProbe(name);
}

void Telemetry::Consume(const std::string& name, const probes::Outcome& outcome,
                        Clock::time_point now, std::chrono::system_clock::time_point wall) {
  windows_.Record(name, outcome, now);
  probes_.Record(name, outcome, wall);
  status_.Record(name, outcome, wall);
}

void Telemetry::CountOverruns(const std::string& name, std::uint64_t n) {
  probes_.CountOverruns(name, n);
}

void Telemetry::SetExportBudget(const std::string& name,
                                const std::optional<config::ExportBudget>& budget) {
  windows_.SetBudget(name, budget);
}

void Telemetry::ObserveLateness(Duration late) { exporter_.ObserveLateness(late); }

std::pair<std::shared_ptr<const std::string>, std::shared_ptr<const GzipText>> Telemetry::Cached(
    Clock::time_point now, bool gzip) {
  // The key is read before rendering: a change during the render makes the next scrape render.
  const std::uint64_t generation =
      exporter_.Generation() + probes_.Generation() + windows_.Generation();
  auto epochs = windows_.Epochs(now);
  const bool live = exporter_.Live();
  std::shared_ptr<const std::string> text;
  std::shared_ptr<const GzipText> compressed;
  {
    auto cache = metrics_cache_.Lock();
    if (cache->valid && !live && cache->generation == generation && cache->epochs == epochs) {
      text = cache->text;
      compressed = cache->gzip;
    }
  }
  if (!text) {
    const auto started = std::chrono::steady_clock::now();
    std::string out;
    out.reserve(rendered_size_.load(std::memory_order_relaxed) + 4096);
    probes_.Collect(out);
    windows_.Collect(out, now);
    exporter_.Collect(out);
    rendered_size_.store(out.size(), std::memory_order_relaxed);
    text = std::make_shared<const std::string>(std::move(out));
    last_render_seconds_.store(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    {
      auto cache = metrics_cache_.Lock();
      *cache = {!live, generation, std::move(epochs), text, nullptr};
    }
    // A render allocates and frees tens of MiB at 1,000 probes (prometheus-cpp's collected
    // families); hand the freed pages back instead of keeping the peak resident.
    malloc_trim(0);
  }
  if (gzip && !compressed) {
    compressed = std::make_shared<const GzipText>(*text);
    auto cache = metrics_cache_.Lock();
    if (cache->text == text) cache->gzip = compressed;
  }
  return {std::move(text), std::move(compressed)};
}

std::string Telemetry::FreshTail() const {
  return ProcessMetricsText() +
         "# HELP reznet_perf_metrics_render_seconds How long the last render of /metrics took "
         "(collecting and writing the text; scrapes between changes reuse it).\n"
         "# TYPE reznet_perf_metrics_render_seconds gauge\n"
         "reznet_perf_metrics_render_seconds " +
         std::to_string(last_render_seconds_.load()) + "\n";
}

std::string Telemetry::RenderMetrics(Clock::time_point now) {
  return *Cached(now, false).first + FreshTail();
}

std::string Telemetry::RenderMetricsGzip(Clock::time_point now) {
  return Cached(now, true).second->With(FreshTail());
}

std::string Telemetry::StatusJson(Clock::time_point now) {
  return common::WriteJson(status_.StatusJson(windows_.Snapshot(now)));
}

nfr::Observation Telemetry::Observe(const config::NfrRule& rule, Clock::time_point now) {
  return windows_.Observe(rule, now);
}

void Telemetry::CountNotification(const std::string& alertmanager, bool ok) {
  exporter_.CountNotification(alertmanager, ok);
}

void Telemetry::PublishNfr(const config::NfrRule& rule, const nfr::RuleState& state) {
  exporter_.PublishNfr(rule, state);
  status_.PublishNfr(rule, state);
}

void Telemetry::RemoveNfr(const std::string& name) {
  exporter_.RemoveNfr(name);
  status_.RemoveNfr(name);
}

void Telemetry::AddSuiteProfile(const std::string& profile) { exporter_.AddSuiteProfile(profile); }

void Telemetry::RecordSuite(const std::string& profile, const std::string& result, double seconds,
                            double finished_unix, int nfrs_failed) {
  exporter_.RecordSuite(profile, result, seconds, finished_unix, nfrs_failed);
}

void Telemetry::CountHistoryWriteFailure() { exporter_.CountHistoryWriteFailure(); }

void Telemetry::RecordDiscovery(const std::string& probe, int targets,
                                const std::map<std::string, int>& skipped, int new_errors) {
  exporter_.RecordDiscovery(probe, targets, skipped, new_errors);
}

void Telemetry::RemoveDiscovery(const std::string& probe) { exporter_.RemoveDiscovery(probe); }

void Telemetry::SetTargetInfo(const std::string& probe, const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& labels) {
  probes_.SetTargetInfo(probe, target, labels);
}

void Telemetry::CountProbeRequest(const std::string& module, const std::string& result) {
  exporter_.CountProbeRequest(module, result);
}

void Telemetry::BeginLoad(const std::string& test, const probes::LiveCounters* live) {
  exporter_.BeginLoad(test, live);
}

void Telemetry::EndLoad(const std::string& test) { exporter_.EndLoad(test); }

void Telemetry::RecordReload(bool ok, std::chrono::system_clock::time_point wall) {
  exporter_.RecordReload(ok, wall);
}

void Telemetry::SetShard(int index, int of) { exporter_.SetShard(index, of); }

void Telemetry::SetNextRun(const std::string& name, std::chrono::system_clock::time_point when) {
  status_.SetNextRun(name, when);
}

StatusPageData Telemetry::StatusPage(std::chrono::system_clock::time_point wall) {
  return status_.StatusPage(wall);
}

stats::WindowStats Telemetry::Window(const std::string& probe, const std::string& phase,
                                     Duration length, Clock::time_point now) {
  return windows_.Window(probe, phase, length, now);
}

}  // namespace reznet::telemetry
