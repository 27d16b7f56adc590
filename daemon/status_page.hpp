#pragma once
// The status page (GET /): what an operator opening the daemon in a browser needs at a glance —
// the NFR table, every probe's last result and next run, recent failures with their detail, a
// latency chart per probe (inline SVG; no scripts, no external assets), the latest suite runs,
// and links to /metrics, /api/v1/status and /runs. Rendered from a plain snapshot, so it is
// unit-tested without a daemon.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reznet::daemon {

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

std::string RenderStatusPage(const StatusPageData& data);

// HTML text escaping (&, <, >, ", ').
std::string HtmlEscape(const std::string& s);

}  // namespace reznet::daemon
