#include "telemetry/telemetry.hpp"

#include <malloc.h>

#include "common/json.hpp"
#include "telemetry/gzip_text.hpp"
#include "telemetry/process_metrics.hpp"

namespace reznet::telemetry {

nfr::SloEvents SloEventsOf(const config::NfrRule& rule, const probes::Outcome& outcome) {
  if (outcome.skipped) return {};
  if (rule.stat == config::NfrStat::kErrorRate) return nfr::RunEvents(!outcome.ok());
  const probes::Phase* phase = outcome.FindPhase(rule.phase);
  // A failed run that never got as far as the phase (a timeout, a refused connection) is one bad
  // event: a service that stops answering burns its budget, it does not go quiet.
  if (phase == nullptr || (phase->samples.empty() && phase->weighted.empty()))
    return outcome.ok() ? nfr::SloEvents{} : nfr::RunEvents(true);
  return nfr::SampleEvents(rule, phase->samples, phase->weighted);
}

Telemetry::Telemetry(common::MetricsRegistry& registry, std::vector<Duration> windows)
    : registry_(registry),
      slo_(registry),
      windows_(windows),
      probes_([&registry] {
        // Families a kind may not name its series after: every room's, and the render time.
        auto names = registry.FamilyNames();
        names.emplace_back("reznet_perf_metrics_render_seconds");
        return names;
      }),
      status_(windows) {
  registry.Add(probes_);
  registry.Add(windows_);
}

Telemetry::~Telemetry() = default;

void Telemetry::AddProbe(const std::string& name, const std::string& kind,
                         const std::vector<std::pair<std::string, std::string>>& labels,
                         const ProbeExport& how) {
  // First: it may refuse a series name.
  probes_.Add(name, {kind, labels, how.ratio_gauges, how.metrics});
  windows_.AddProbe(name, how.budget);
  status_.AddProbe(name, kind, how.chart_phase);
}

void Telemetry::RemoveProbe(const std::string& name) {
  probes_.Remove(name);
  windows_.RemoveProbe(name);
  status_.RemoveProbe(name);
}

void Telemetry::Consume(const std::string& name, const probes::Outcome& outcome,
                        SteadyClock::time_point now, std::chrono::system_clock::time_point wall) {
  windows_.Record(name, outcome, now);
  probes_.Record(name, outcome, wall);
  status_.Record(name, outcome, wall);
  if (!slo_.empty())
    slo_.Record(name, now,
                [&outcome](const config::NfrRule& rule) { return SloEventsOf(rule, outcome); });
}

std::pair<std::shared_ptr<const std::string>, std::shared_ptr<const GzipText>> Telemetry::Cached(
    SteadyClock::time_point now, bool gzip) {
  // The key is read before rendering: a change during the render makes the next scrape render.
  const std::uint64_t generation = registry_.Generation();
  auto epochs = windows_.Epochs(now);
  const bool live = registry_.Live();
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
    registry_.Render(out, now);
    rendered_size_.store(out.size(), std::memory_order_relaxed);
    text = std::make_shared<const std::string>(std::move(out));
    last_render_seconds_.store(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    {
      auto cache = metrics_cache_.Lock();
      *cache = {!live, generation, std::move(epochs), text, nullptr};
    }
    // A render allocates and frees tens of MiB at 1,000 probes (the copied rows, the text);
    // hand the freed pages back instead of keeping the peak resident.
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

std::string Telemetry::RenderMetrics(SteadyClock::time_point now) {
  return *Cached(now, false).first + FreshTail();
}

std::string Telemetry::RenderMetricsGzip(SteadyClock::time_point now) {
  return Cached(now, true).second->With(FreshTail());
}

std::string Telemetry::StatusJson(SteadyClock::time_point now) {
  return common::WriteJson(status_.StatusJson(windows_.Snapshot(now)));
}

}  // namespace reznet::telemetry
