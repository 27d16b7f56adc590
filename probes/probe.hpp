#pragma once
// The probe interface and the registry of probe kinds.
//
// A probe measures one run against its target and returns an Outcome. It never touches timers,
// metrics or alerts: the scheduler owns time, the sink owns metrics. Run() must not throw for
// failures of the monitored system (they are Outcome data); an exception escaping Run() is a bug
// and is recorded by the caller as error "internal".
//
// This header pulls in only Asio's awaitable; Beast stays inside the probes' sources.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/kind.hpp"
#include "config/loader.hpp"
#include "probes/live.hpp"
#include "probes/outcome.hpp"

namespace reznet::probes {

struct RunContext {
  // The run must be over by then; probes set their I/O deadlines from it and the scheduler
  // cancels the run when it passes.
  std::chrono::steady_clock::time_point deadline;
  // When > 0, overrides the probe's own samples-per-run (suite runs).
  int samples = 0;
};

// Extra labels a probe adds to its kind's own metrics (llm: provider, model). Fixed per probe.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Probe {
 public:
  virtual ~Probe() = default;
  virtual MetricLabels Labels() const { return {}; }
  // How long a run may take, given the configured timeout: a load test takes its whole span.
  virtual std::chrono::nanoseconds RunTimeout(std::chrono::nanoseconds configured) const {
    return configured;
  }
  // What a long run (a load test) has done so far, for live metrics and progress; null for kinds
  // whose runs are short. Valid while the probe lives.
  virtual const LiveCounters* Live() const { return nullptr; }
  // By value: a coroutine must not keep a reference to its caller's temporaries.
  virtual boost::asio::awaitable<Outcome> Run(RunContext ctx) = 0;
};

// What a kind needs to build a probe.
struct CreateArgs {
  const config::ProbeConfig& probe;
  const config::TargetConfig* target;  // null when the probe has no target
  boost::asio::any_io_executor executor;
  // A small thread pool for drivers without an async API (libpq, hiredis): their blocking calls
  // run there, so the probe io thread never blocks. Defaults to `executor` when unset (tests).
  boost::asio::any_io_executor blocking = {};
  const config::Config* config = nullptr;  // for kinds that reference other targets (cache)
};

// Kinds are added explicitly (no static self-registration: static libraries drop such objects).
class ProbeRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Probe>(const CreateArgs&)>;

  // Kind must provide, in its own folder:
  //   static constexpr std::string_view kKind;  // the YAML kind: and the kind label
  //   static config::KindTraits Traits();  // config/kind.hpp; its name is kKind
  //   static std::unique_ptr<Probe> Create(const CreateArgs&);
  template <class Kind>
  void Add() {
    config::KindTraits traits = Kind::Traits();
    if (traits.name != Kind::kKind)
      throw std::logic_error("kind " + std::string(Kind::kKind) + ": Traits() names \"" +
                             traits.name + "\"");
    Add(std::move(traits), &Kind::Create);
  }
  // Throws std::logic_error for traits that contradict themselves (a kind added twice, no name
  // or parser, a chart phase it does not record, a profile that is not a default one): a bug of
  // the kind, found when the daemon (or any test) registers it.
  void Add(config::KindTraits traits, Factory factory);

  // Every kind added, by name: what the config loader reads.
  const config::KindTraitsMap& Kinds() const { return kinds_; }
  // Throws std::invalid_argument for an unknown kind (the config loader prevents that). When the
  // config (or, without one, the target) has secrets, the probe comes wrapped in a RedactingProbe
  // so its outcomes never carry them.
  std::unique_ptr<Probe> Create(const CreateArgs& args) const;

 private:
  config::KindTraitsMap kinds_;
  std::map<std::string, Factory, std::less<>> factories_;
};

// Adds every kind this build has. The one place that lists them.
void RegisterBuiltinProbes(ProbeRegistry& registry);

}  // namespace reznet::probes
