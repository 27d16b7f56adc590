#pragma once
// What a probe kind says about itself (docs/design.md §1, §3; issue #12): one KindTraits per kind,
// returned by the kind's own `static config::KindTraits Traits()` in its folder under probes/ and
// gathered by the probe registry (probes/probe.hpp). This library knows no kind by name: central
// code reads the traits instead of comparing kind strings.
//
// How the traits travel: the registry's map (KindTraitsMap) is handed to the loader, which copies
// the traits of each probe's kind into ProbeConfig::traits. Everything after loading (default
// suite profiles, the daemon's scheduling and continuous rules, the Prometheus rules file) reads
// `probe.traits` from the loaded Config, so a Config is self-contained and outlives the registry
// it was loaded with. A ProbeConfig whose kind is unknown (only inside a load that fails) or that
// a test builds by hand has default traits: empty name, no phases, not on demand, 1 sample.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace reznet::config {

class MapReader;
struct TargetConfig;
struct ProbeConfig;

// Settings of one probe kind (the block under the kind's name). Each kind derives its own.
struct KindSettings {
  virtual ~KindSettings() = default;
  // The fewest samples of `phase` one run records (several for an http probe's `samples:`, a
  // cache probe's `requests`, a postgres probe's queries); 0 when it depends on the target (an
  // LLM stream's inter-chunk gaps). `repeats`: the run's sample count when the caller sets one
  // (a suite runs each probe with 1: probes::RunOnce), 0 for the probe's own. check-config
  // counts a rule's samples with it.
  virtual std::int64_t SamplesPerRun(std::string_view phase, int repeats) const {
    (void)phase;
    (void)repeats;
    return 1;
  }
};

// Parses the block under the kind's name. `target` is null when the probe has no valid target.
// Reports problems through block.diag(); returns null only if nothing usable was parsed.
using KindParser = std::function<std::shared_ptr<const KindSettings>(
    MapReader& block, const TargetConfig* target, const ProbeConfig& probe)>;

// A ratio a kind's outcomes carry (an Outcome counter in [0, 1] or a rate that NFR rules with
// `stat: ratio, phase: <counter>` judge) and the Prometheus gauge it is exported as.
struct KindRatio {
  std::string counter;  // e.g. "hit_ratio"
  std::string gauge;    // e.g. "reznet_perf_cache_hit_ratio"; empty: not exported as a gauge
  // The gauge's HELP text; empty: a generic one.
  std::string help;
  bool operator==(const KindRatio&) const = default;
};

// A series a kind adds to /metrics from an Outcome counter of its runs, beside the series every
// probe has (the LLM kinds' token counters). Labelled {probe} and, with `kind_labels`, the kind's
// `labels` (provider, model).
struct KindMetric {
  std::string counter;  // the Outcome counter, e.g. "output_tokens"
  std::string name;     // e.g. "reznet_perf_llm_output_tokens_total"
  std::string help;
  // A counter: the sum of the values of runs that were not skipped. Otherwise a gauge: the value
  // of the last run that had the counter.
  bool total = false;
  bool kind_labels = false;
  bool operator==(const KindMetric&) const = default;
};

struct Addressed;  // config/module.hpp

// How a kind puts an address given at run time (a `/probe?target=…` of a module, a target listed
// in a discovery file) into its target template, and where the target then aims. The kind's own
// function, named in its traits; config::WithAddress refuses what no kind takes (empty, too long,
// user@host) before calling it. config::UrlAddress serves the kinds whose target is a url; the
// redis and postgres kinds have their own (probes/redis/redis_address.cpp,
// probes/postgres/pg_address.cpp). Errors say what is wrong with `address` without echoing
// credentials (config::AddressError).
using AddressRewrite = common::Result<Addressed> (*)(const TargetConfig& tmpl,
                                                     std::string_view address);

struct KindTraits {
  // The YAML `kind:` and the `kind` label: the kind class's kKind.
  std::string name;
  // Phases its outcomes record, for checking NFR rules at load time; "query:*" matches any suffix.
  std::vector<std::string> phases;
  std::vector<KindRatio> ratios;
  // Series its runs add to /metrics besides the ratio gauges.
  std::vector<KindMetric> metrics;
  // The phase the status page charts (one of `phases`).
  std::string chart_phase;
  // Runs per probe in a default suite profile (RezNet's test script); a configured profile may
  // say otherwise.
  int default_samples = 1;
  // The default suite profiles that run its probes besides `full`, which runs every probe: some
  // of "quick", "standard", "load" (config/suite.hpp kDefaultProfiles).
  std::vector<std::string> profiles;
  // Run only on demand (suites, `reznet-perfd load`): the daemon never schedules its probes and
  // does not evaluate rules over them continuously; the rules file leaves them to suite runs.
  bool on_demand = false;
  // Names of the extra metric labels its probes add (Probe::Labels(), e.g. provider, model).
  std::vector<std::string> labels;
  // How an address given at run time goes into its target; null: the kind cannot be a module
  // or take discovered targets.
  AddressRewrite address = nullptr;
  // Its parsed settings do not depend on the probe's name nor on its target's address (only on
  // the block and the target's other fields): the probes discovered from one template share one
  // parse instead of reading the block again per target (100,000 targets: about 1 s of CPU).
  bool settings_shared = false;
  KindParser parse;
};

// Every kind a build knows, by name (probes::ProbeRegistry::Kinds()).
using KindTraitsMap = std::map<std::string, KindTraits, std::less<>>;

}  // namespace reznet::config
