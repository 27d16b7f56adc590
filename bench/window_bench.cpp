// Hot paths of the rolling windows and the exposition. Prints figures; asserts nothing.
//   build/bin/reznet-bench [--benchmark_filter=...]
// Targets (issue 2): record ≤ 50 ns incl. rotation; 4 quantiles of a full 1 h window ≤ 20 µs;
// ≤ 64 KiB per series at probe rates; /metrics with 1,000 series ≤ 5 ms.
#include <benchmark/benchmark.h>

#include <random>

#include "stats/window.hpp"
#include "telemetry/telemetry.hpp"

namespace reznet::telemetry {
namespace {

using namespace std::chrono_literals;

std::vector<std::int64_t> Latencies(std::size_t n) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> d(std::log(30e6), 0.8);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = static_cast<std::int64_t>(d(rng));
  return v;
}

// Three windows (1m, 5m, 1h) as the daemon keeps them; time advances 1 ms per sample so slices
// rotate continually (a 1m window turns a slice every 6,000 samples).
void BM_SeriesRecord(benchmark::State& state) {
  std::vector<Duration> lengths = {1min, 5min, 1h};
  stats::SeriesWindows series(lengths);
  auto values = Latencies(4096);
  auto now = SteadyClock::time_point(1000h);
  std::size_t i = 0;
  for (auto _ : state) {
    series.Record(Duration(values[i & 4095]), now);
    now += 1ms;
    ++i;
  }
  state.counters["bytes_per_series"] = static_cast<double>(series.MemoryBytes());
}
BENCHMARK(BM_SeriesRecord);

// Four quantiles + mean from a 1 h window filled for an hour with one sample every
// `range(0)` ms: 1000 = one probe run a second (sparse slices), 10 = 100 samples/s (dense slices).
void BM_QuantilesFull1hWindow(benchmark::State& state) {
  const auto every = std::chrono::milliseconds(state.range(0));
  stats::RollingWindow w(1h);
  auto values = Latencies(8192);
  const auto start = SteadyClock::time_point(1000h);
  std::size_t i = 0;
  for (auto t = start; t < start + 1h; t += every) w.Record(Duration(values[i++ & 8191]), t);
  stats::DenseHistogram scratch;
  const auto now = start + 3600s;
  for (auto _ : state) benchmark::DoNotOptimize(w.Stats(now, scratch));
  state.counters["samples"] = static_cast<double>(i);
  state.counters["bytes_1h_window"] = static_cast<double>(w.MemoryBytes());
}
BENCHMARK(BM_QuantilesFull1hWindow)->Arg(1000)->Arg(10)->Unit(benchmark::kMicrosecond);

// Memory of one series (1m/5m/1h) after two hours at probe rates: one run every 15 s / every 1 s.
void BM_SeriesMemoryAtProbeRate(benchmark::State& state) {
  const auto every = std::chrono::milliseconds(state.range(0));
  std::vector<Duration> lengths = {1min, 5min, 1h};
  auto values = Latencies(8192);
  std::size_t bytes = 0;
  for (auto _ : state) {
    stats::SeriesWindows series(lengths);
    auto t = SteadyClock::time_point(1000h);
    for (std::size_t i = 0; t < SteadyClock::time_point(1002h); ++i, t += every)
      series.Record(Duration(values[i & 8191]), t);
    bytes = series.MemoryBytes();
  }
  state.counters["bytes_per_series"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SeriesMemoryAtProbeRate)
    ->Arg(15000)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// /metrics render: probes × phases chosen so the exposition holds ≈ 1,000 series.
void BM_RenderMetrics(benchmark::State& state) {
  const int probes = static_cast<int>(state.range(0));
  common::MetricsRegistry registry;
  telemetry::Telemetry t(registry, {1min, 5min, 1h});
  auto now = SteadyClock::time_point(1000h);
  auto values = Latencies(64);
  for (int p = 0; p < probes; ++p) {
    const std::string name = "probe_" + std::to_string(p);
    t.AddProbe(name, "http");
    for (int run = 0; run < 20; ++run) {
      probes::Outcome o;
      o.Record("ttfb", Duration(values[static_cast<std::size_t>(run)]));
      o.Record("total", Duration(values[static_cast<std::size_t>(run) + 20]));
      t.Consume(name, o, now, std::chrono::system_clock::now());
    }
  }
  std::size_t series = 0;
  for (auto _ : state) {
    std::string text = t.RenderMetrics(now);
    series = 0;
    for (std::size_t at = 0; (at = text.find('\n', at)) != std::string::npos; ++at) {
      if (at + 1 < text.size() && text[at + 1] != '#') ++series;
    }
    benchmark::DoNotOptimize(text);
  }
  state.counters["series"] = static_cast<double>(series);
}
BENCHMARK(BM_RenderMetrics)->Arg(13)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace reznet::telemetry

BENCHMARK_MAIN();
