#pragma once
// Fault injection for the testbed: added latency (+ uniform jitter) before the first response byte,
// a share of requests answered with an error status instead, and periodic server-wide stalls.
// Thread-safe.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <mutex>
#include <random>
#include <string>

#include "common/error.hpp"

namespace reznet::testbed {

struct Faults {
  double latency_ms = 0;   // added before the response
  double jitter_ms = 0;    // plus uniform [0, jitter_ms)
  double error_rate = 0;   // 0..1 of requests fail
  int error_status = 500;  // status of a failed request
  // Every stall_every-th request freezes the whole server for stall_ms: every request arriving
  // meanwhile waits for the end of the stall (like a GC pause or SIGSTOP). 0: off.
  double stall_every = 0;
  double stall_ms = 0;
  bool operator==(const Faults&) const = default;
};

// Parses the JSON body of POST /testbed/faults; absent keys keep their current value.
common::Result<Faults> ParseFaults(const std::string& json, Faults current);
boost::json::object FaultsToJson(const Faults& f);

class FaultInjector {
 public:
  Faults Get() const;
  void Set(const Faults& f);
  // Decides for one request: the delay to apply, and the error status (0 = no error).
  struct Decision {
    std::chrono::microseconds delay{0};
    int error_status = 0;
  };
  Decision Next();

 private:
  mutable std::mutex mutex_;
  Faults faults_;
  std::uint64_t requests_ = 0;
  std::chrono::steady_clock::time_point stalled_until_{};
  std::mt19937_64 rng_{12345};
};

}  // namespace reznet::testbed
