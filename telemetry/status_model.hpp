#pragma once
// What the status page shows, as a plain snapshot: the NFR table, every probe's last result and
// next run with recent values of its charted phase, recent failures and the latest suite runs.
// Built by Telemetry::StatusPage, rendered by api/status_page.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reznet::telemetry {

struct StatusPageData {
  struct Nfr {
    std::string name, probe, stat, op, state, severity;
    std::optional<double> value;
    double threshold = 0;
    bool latency = true;
    std::string threshold_text;  // "1s", "60%"; empty: not known yet (regression awaiting history)
  };
  struct Probe {
    std::string name, kind;
    bool ran = false, ok = false, skipped = false;
    std::string error_kind, error_detail, skip_reason;
    double last_wall = 0;                           // Unix seconds; 0 never
    double next_wall = 0;                           // Unix seconds; 0 unknown / not scheduled
    std::string phase;                              // the charted phase
    std::vector<std::pair<double, double>> points;  // (Unix seconds, seconds) per run, oldest first
  };
  struct Failure {
    double wall = 0;
    std::string probe, kind, detail;
  };
  struct Run {
    std::string id, profile, state;
    double started_at = 0;
    int passed = 0, failed = 0, skipped = 0;
  };
  std::string version;
  double now_wall = 0;
  double started_wall = 0;
  std::vector<Nfr> nfrs;
  std::vector<Probe> probes;
  std::vector<Failure> failures;  // newest first
  std::vector<Run> runs;          // newest first
};

}  // namespace reznet::telemetry
