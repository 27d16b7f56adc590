#pragma once
// Runs every configured probe on its interval (rules in schedule.hpp) on an Asio io_context and
// hands each outcome to telemetry::Telemetry. Each probe has its own strand, so its runs never
// overlap and its state needs no lock. Start/Stop are called from the thread that owns the
// io_context's lifetime. Time comes from the clock given at construction (the real one in the
// daemon, a hand-moved one in tests): due times, per-run deadlines and the times handed to
// telemetry are all read from it.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "probes/probe.hpp"
#include "telemetry/telemetry.hpp"

namespace boost::asio {
class io_context;
}

namespace reznet::telemetry {
class Telemetry;
class ProberHealth;
}  // namespace reznet::telemetry

namespace reznet::daemon {

using SteadyClock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;

struct ScheduledProbe {
  // The config the probe was built from, kept alive while the probe lives (declared first, so
  // destroyed after `probe`).
  std::shared_ptr<const config::Config> config;
  std::string name;
  std::string kind;
  std::chrono::nanoseconds interval;
  std::chrono::nanoseconds timeout;
  std::unique_ptr<probes::Probe> probe;
  // How its kind is exported: ratio gauges and the charted phase (from the kind's traits).
  telemetry::ProbeExport exported;
};

class Scheduler {
 public:
  // `clock` must outlive the scheduler and every run it started.
  Scheduler(boost::asio::io_context& io, telemetry::Telemetry& sink,
            common::Clock& clock = common::SystemClock());
  ~Scheduler();

  // Every run's lateness goes to `health` too (the prober's own health); call before Start.
  // `health` must outlive the scheduler and every run it started.
  void ReportLatenessTo(telemetry::ProberHealth& health) { health_ = &health; }
  // Adds probes (at start, or new ones after a reload).
  void Start(std::vector<ScheduledProbe> probes);
  // Stops scheduling one probe (a reload removed or changed it); a run in flight finishes.
  void Remove(const std::string& name);
  // Stops scheduling new runs. Returns at once; `InFlight()` says how many runs are still going.
  void Stop();
  int InFlight() const;

 public:
  struct Entry;  // one probe's state; public so the coroutines in the .cpp can name it

 private:
  boost::asio::io_context& io_;
  telemetry::Telemetry& telemetry_;
  common::Clock& clock_;
  telemetry::ProberHealth* health_ = nullptr;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;  // by probe name
  std::shared_ptr<std::atomic<int>> in_flight_;
};

}  // namespace reznet::daemon
