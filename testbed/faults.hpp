#pragma once
// Fault injection for the testbed: added latency (+ uniform jitter) before the first response byte,
// and a share of requests answered with an error status instead. Thread-safe.

#include <chrono>
#include <expected>
#include <mutex>
#include <random>
#include <string>

namespace reznet::testbed {

struct Faults {
  double latency_ms = 0;   // added before the response
  double jitter_ms = 0;    // plus uniform [0, jitter_ms)
  double error_rate = 0;   // 0..1 of requests fail
  int error_status = 500;  // status of a failed request
  bool operator==(const Faults&) const = default;
};

// Parses the JSON body of POST /testbed/faults; absent keys keep their current value.
std::expected<Faults, std::string> ParseFaults(const std::string& json, Faults current);
std::string FaultsToJson(const Faults& f);

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
  std::mt19937_64 rng_{12345};
};

}  // namespace reznet::testbed
