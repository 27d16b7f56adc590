#pragma once
// The result of one probe run: a plain value, produced by a probe and consumed by the result sink,
// the `probe` command and reports. Durations are std::chrono inside; seconds only when printed.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clients/error.hpp"

namespace reznet::probes {

using Duration = std::chrono::nanoseconds;

// A failure of the monitored system (or of reaching it); see clients/error.hpp.
using ProbeError = clients::Error;
using clients::ErrorKind;

struct Phase {
  std::string name;
  std::vector<Duration> samples;
  // Many samples as (value, count) pairs — a histogram's buckets — so a load test's phases cost
  // memory by bucket count, not by request count.
  std::vector<std::pair<Duration, std::uint64_t>> weighted;
  bool operator==(const Phase&) const = default;
  std::uint64_t Count() const;
};

struct Outcome {
  std::optional<ProbeError> error;  // nullopt = success
  bool skipped = false;
  std::string skip_reason;
  std::vector<Phase> phases;                             // in first-recorded order
  std::vector<std::pair<std::string, double>> counters;  // in first-set order
  std::vector<std::pair<std::string, std::string>>
      notes;  // facts that are not numbers (e.g. which source a counter came from)

  bool ok() const { return !error && !skipped; }
  void Record(const std::string& phase, Duration d);
  void RecordWeighted(const std::string& phase, Duration d, std::uint64_t count);
  void SetCounter(const std::string& name, double value);
  void Fail(clients::ErrorKind kind, std::string detail) {
    error = ProbeError{kind, std::move(detail)};
  }
  const Phase* FindPhase(const std::string& name) const;
  std::optional<double> Counter(const std::string& name) const;
  bool operator==(const Outcome&) const = default;

  static Outcome Skipped(std::string reason) {
    Outcome o;
    o.skipped = true;
    o.skip_reason = std::move(reason);
    return o;
  }
};

// The JSON object of docs/design.md §10 (one line, seconds with up to 9 decimals, keys in a fixed
// order).
std::string OutcomeToJson(const std::string& probe, const std::string& kind,
                          const Outcome& outcome);

}  // namespace reznet::probes
