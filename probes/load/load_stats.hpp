#pragma once
// What a load test measured, mergeable exactly: per step, the latency histograms (log-linear,
// within 0.79 %; memory fixed by the bucket count, never by the request count), request counts
// and errors by kind; per test, iterations, dropped and interrupted starts, and the lateness of
// starts (open model). Segments of one test (`--segment I/N`) merge by adding histograms — never
// by averaging percentiles — and the merged result is printed and judged like a single run.
//
// Latency in the open model (constant-arrival-rate) is measured from the *intended* start of the
// iteration for its first request (wrk2's coordinated-omission correction) and from the actual
// start (`raw`); later steps of an iteration start when the previous ends, so both agree there.
// In the closed model both are the same.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "stats/histogram.hpp"

namespace reznet::probes::load {

struct StepStats {
  std::string name;
  stats::DenseHistogram latency;  // corrected (= raw in the closed model)
  stats::DenseHistogram raw;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::map<std::string, std::uint64_t> errors;  // kind -> requests
  std::string last_error;
};

struct LoadStats {
  std::string test;      // probe name
  std::string executor;  // ramping-vus | constant-arrival-rate
  std::int64_t users = 0;
  double rate = 0;
  std::string segment = "1/1";
  double seconds = 0;  // wall time from the first request's start to the last response's end
  std::uint64_t iterations = 0;
  std::uint64_t dropped = 0;       // open model: starts that could not happen within max_lateness
  std::uint64_t interrupted = 0;   // requests cut by the end of the test (not failures)
  stats::DenseHistogram lateness;  // open model: actual start − intended start
  stats::DenseHistogram tls;       // https: handshake time of each new connection (phase `tls`)
  std::uint64_t tls_resumed = 0;   // … of which resumed an earlier session of the same user
  std::vector<StepStats> steps;

  StepStats& Step(const std::string& name);
  void Merge(const LoadStats& other);
  std::uint64_t Requests() const;
  std::uint64_t Failed() const;
};

struct LatencyStats {
  std::uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;  // seconds
};
LatencyStats StatsOf(const stats::DenseHistogram& h);
// Every step's histogram added up.
stats::DenseHistogram Overall(const LoadStats& s, bool raw);

// The --out document (docs/design.md §10 plus our fields) with the histograms needed to merge it.
std::string ToJson(const LoadStats& s);
// Reads it back; refuses (kInvalid, saying why) anything else.
common::Result<LoadStats> ParseLoadStats(const std::string& text);

// The human block, in the spirit of the RezNet script's "LOAD TEST RESULTS".
std::string ResultsBlock(const LoadStats& s);

}  // namespace reznet::probes::load
