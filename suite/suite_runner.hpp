#pragma once
// Runs one suite profile: each listed probe, `samples` runs back to back, through the same
// probes::RunOnce as the scheduler, on probe instances of its own — fresh connections, and nothing
// it measures reaches the rolling windows or the continuous NFR states. Then judges the profile's
// NFRs and compares with the baseline run.
//
// A probe that reports skipped (an LLM probe without a key) is not run again. `stop` is checked
// between runs: a stopped run ends in state "error" with what it measured so far.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "probes/probe.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

struct SuiteContext {
  const config::Config* config = nullptr;
  const probes::ProbeRegistry* registry = nullptr;
  boost::asio::any_io_executor executor;                     // probes run here
  boost::asio::any_io_executor blocking;                     // libpq / hiredis calls
  std::function<void(const suite::RunRecord&)> on_progress;  // after every run, on `executor`
  // Around each probe's runs (started true, then false): the daemon follows load tests live.
  std::function<void(const config::ProbeConfig&, probes::Probe&, bool started)> on_probe;
  const std::atomic<bool>* stop = nullptr;
};

// What a run needs from history, read before it starts: past runs newest first (for
// baseline_runs rules) and the baseline run (for the comparison table).
struct SuiteHistoryView {
  std::vector<suite::RunRecord> past;
  std::optional<suite::RunRecord> baseline;
};

// `run` arrives with id, profile, labels and started_at set.
boost::asio::awaitable<suite::RunRecord> RunSuite(SuiteContext ctx, config::SuiteProfile profile,
                                                  suite::RunRecord run, SuiteHistoryView history);

// The rules as a run judges them: regression rules with baseline_runs get the median of the past
// runs (those without history keep no baseline and are skipped).
std::vector<config::NfrRule> RulesWithBaselines(const config::Config& config,
                                                const std::vector<suite::RunRecord>& past);

}  // namespace reznet::suite
