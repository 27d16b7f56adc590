#pragma once
// The exporter's state (telemetry/exporter.hpp): the series it holds by NFR and load test. Private
// to the exporter's sources (exporter.cpp, exporter_daemon.cpp).

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "probes/live.hpp"
#include "telemetry/exporter.hpp"
#include "telemetry/families.hpp"

namespace reznet::telemetry {
namespace exporter_detail {

inline double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

struct LoadSeries {
  const probes::LiveCounters* live = nullptr;
  prometheus::Counter* requests = nullptr;
  prometheus::Counter* failed = nullptr;
  prometheus::Counter* iterations = nullptr;
  prometheus::Counter* dropped = nullptr;
  prometheus::Gauge* users = nullptr;
  prometheus::Gauge* running = nullptr;
  std::uint64_t seen_requests = 0, seen_failed = 0, seen_iterations = 0, seen_dropped = 0;
};

struct NfrSeries {
  prometheus::Gauge* ok = nullptr;
  prometheus::Gauge* value = nullptr;
  prometheus::Gauge* threshold = nullptr;
  std::map<std::string, prometheus::Gauge*> states;
  prometheus::Counter* good = nullptr;
  prometheus::Counter* events = nullptr;
  std::uint64_t good_seen = 0, events_seen = 0;
};

}  // namespace exporter_detail

struct Exporter::State {
  explicit State(prometheus::Registry& registry) : families(registry) {}
  Families families;
  std::map<std::string, exporter_detail::NfrSeries> nfrs;
  std::map<std::string, exporter_detail::LoadSeries> loads;
  prometheus::Histogram* lateness = nullptr;
  prometheus::Gauge* shard = nullptr;
};

}  // namespace reznet::telemetry
