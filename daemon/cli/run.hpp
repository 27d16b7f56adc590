#pragma once
// `reznet-perfd run` and `reznet-perfd baseline`: suite runs without a daemon (a CI gate).
//
// run: progress on stderr (a bar with ETA on a terminal, one line per probe otherwise), the
// verdicts on stdout, reports (<id>.json, <id>.md, <id>.xml) in --report-dir (default
// <state_dir>/reports), the run appended to history. Exit 0 when every judged NFR is met, 1 when
// one fails, 2 on usage errors or when the run could not complete (SIGINT/SIGTERM stop it
// between runs; what was measured is still reported).

#include <map>
#include <string>

#include "config/config.hpp"
#include "probes/probe.hpp"
#include "suite/record.hpp"

namespace reznet::daemon {

struct RunOptions {
  std::string profile;
  std::string report_dir;  // empty: <state_dir>/reports
  std::map<std::string, std::string> labels;
  std::string on_inconclusive;  // pass | fail; empty: the profile's
};

// The verdicts and baseline comparison of a run, on stdout (run and baseline show).
void PrintVerdicts(const suite::RunRecord& run);

int RunSuiteCli(const config::Config& config, const probes::ProbeRegistry& registry,
                const RunOptions& options);

// `baseline set RUN_ID` (exit 0, or 2 for an unknown id) and `baseline show` (prints the baseline
// run's id and verdicts; 1 when none is set).
int BaselineCli(const config::Config& config, const std::string& action, const std::string& id);

}  // namespace reznet::daemon
