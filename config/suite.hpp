#pragma once
// Suite profiles (`suites:`) and the run history store (`history:`), docs/design.md §7 and §9.
//
//   suites:
//     quick:                          # a profile; quick, standard, full and load exist by default
//       probes: [api_agents, { probe: db, samples: 20 }]
//       samples: 30                   # runs per probe unless the entry says otherwise
//       max_samples: 300              # adaptive sampling: keep running a probe while a verdict
//       max_time: 60s                 # over it is inconclusive, up to these caps (per entry too)
//       on_inconclusive: pass         # pass (exit 0 with a warning line) or fail (exit 1)
//       nfrs: [api_p95, db_query_p95] # judged rules; default: every rule over the listed probes
//   history:
//     store: file                     # file (state_dir/runs.jsonl, default) or postgres
//     dsn: "host=… dbname=… user=…"   # postgres: where (schema created on first use)
//     password: "${PGPASSWORD:-}"     # or password_file:
//     tolerance: 10%                  # reports flag a stat worse than the baseline by more
//     significance: 0.05              # … and only when a rank test says so at this level
//     keep_runs: 10000                # retention: the newest N runs (the baseline stays)
//     keep_days: 0                    # and only runs started in the last N days; 0: forever
//
// A suite sample is one run of the probe (an http probe then sends one request per run), so
// error rates are failed runs over runs, as in the rolling windows. Default profiles are built
// from the configured probes' kinds (config/kind.hpp): full runs every probe; quick, standard and
// load run the probes whose kind lists the profile in KindTraits::profiles (built in: quick =
// http, postgres, redis, cache; standard = quick + llm, agent; load = load). Each entry of a
// default profile, and of a configured one that gives no samples, runs the kind's
// KindTraits::default_samples (the RezNet test script: agent 10, postgres 20, http 30, llm 5,
// redis 20, cache 1 — a cache run itself sends `requests`, 100 by default —, load 1).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace reznet::config {

struct Config;

// Adaptive sampling (issue #26): a probe runs `samples` times, then keeps running while a verdict
// over it is inconclusive (its 95 % interval straddles the threshold, or the statistic needs more
// samples for an interval at all), until max_samples runs or max_time of its runs. Defaults:
// ten times `samples` (at most 10,000) and 60 s; on-demand kinds (load) run `samples` only.
struct SuiteEntry {
  std::string probe;
  int samples = 1;
  int max_samples = 1;
  std::chrono::nanoseconds max_time = std::chrono::seconds(60);
};

// What an inconclusive verdict makes of a run: passed with a warning (the default) or failed.
enum class OnInconclusive { kPass, kFail };

struct SuiteProfile {
  std::string name;
  std::vector<SuiteEntry> probes;
  std::vector<std::string> nfrs;  // judged rules, resolved (never empty unless no rule applies)
  bool from_config = false;       // false: a default profile
  OnInconclusive on_inconclusive = OnInconclusive::kPass;
};

// The default max_samples for `samples` runs of a probe of a kind that is (not) on demand.
int DefaultMaxSamples(int samples, bool on_demand);

struct HistoryConfig {
  std::string store = "file";  // file | postgres
  std::string dsn;
  std::string password;  // secret
  double tolerance = 0.10;
  // Comparisons call a change regressed or improved only when its p-value is below this
  // (stats/significance.hpp); regression rules without their own `significance:` use it too.
  double significance = 0.05;
  // Retention, applied at start and after every stored run; the baseline run is always kept.
  std::int64_t keep_runs = 10000;  // the newest this many runs
  std::int64_t keep_days = 0;      // runs started within this many days; 0: forever
};

// The profiles that exist without configuration; full runs every probe, the others the probes
// whose kind lists them (KindTraits::profiles).
inline constexpr std::string_view kFullProfile = "full";
inline constexpr std::string_view kDefaultProfiles[] = {"quick", "standard", kFullProfile, "load"};

// Every profile: the configured ones and the defaults they do not replace, by name.
std::map<std::string, SuiteProfile> ResolveProfiles(const Config& cfg);

}  // namespace reznet::config
