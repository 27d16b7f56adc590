#pragma once
// What a running load test has done so far, published by the engine's threads every 20 ms and
// read by progress printers and the daemon's /metrics (reznet_perf_load_*). No dependencies, so
// the telemetry can read it without linking the engine.

#include <atomic>
#include <cstdint>

namespace reznet::probes {

struct LiveCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> iterations{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::int64_t> active_users{0};
};

}  // namespace reznet::probes
