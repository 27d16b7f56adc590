#pragma once
// The load generator: virtual users as coroutines on a few threads (one io_context each, no
// thread per user), one keep-alive connection per user, latencies into per-thread histograms
// merged at the end. Blocking call; the caller watches LiveCounters from another thread.
//
// ramping-vus (closed model): user u of U starts at ramp_up × u / U and loops over the scenario
// with think time (ending on a whole millisecond) after every step until ramp_up + duration;
// then in-flight requests get graceful_stop to finish and are cut after that (counted as
// interrupted, not failed). LoadStats::seconds runs from the first request's start to the last
// response's end.
// constant-arrival-rate (open model): iteration i is due at t0 + i / rate; a free user takes the
// oldest due iteration (sleeping until it is due); an iteration that cannot start within
// max_lateness for lack of a free user is dropped and counted. See load_stats.hpp for what
// "corrected" latency means.

#include <atomic>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "probes/live.hpp"
#include "probes/load/load_config.hpp"
#include "probes/load/load_stats.hpp"

namespace reznet::probes::load {

struct EngineOptions {
  const std::atomic<bool>* stop = nullptr;  // set: stop starting work (graceful stop follows)
  LiveCounters* live = nullptr;
  std::string test;
  std::string segment = "1/1";
};

// Raises the open files limit to its hard limit first. Refuses (kUnavailable) when the target's
// host cannot be resolved, or when the hard limit leaves fewer descriptors than the users need
// (CheckFdLimit in preflight.hpp: the message says which limit to raise and how).
common::Result<LoadStats> RunLoad(const LoadSettings& settings, const EngineOptions& options);

}  // namespace reznet::probes::load
