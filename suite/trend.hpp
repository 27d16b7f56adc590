#pragma once
// The trend table (RezNet's "historical tracking": `Commit | Agent p95 | DB p95 | …`): one row per
// finished run, oldest first, labelled by its `commit` label (else its id), one column per NFR,
// each cell the run's value, ⚠ when significantly worse than the previous run that measured it
// (suite/compare.hpp: rank test and tolerance) and ❌ when the NFR failed in that run.
// `reznet-perfd history` and GET /runs/trend print it; the status page shows the last runs.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/config.hpp"
#include "stats/significance.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

struct TrendCell {
  std::optional<double> value;
  bool latency = true;
  bool worse = false;             // ⚠
  bool failed = false;            // ❌
  std::optional<double> p_value;  // against the previous run's samples
};

struct TrendRow {
  std::string label;  // the commit label, else the run id
  std::string id;
  RunState state = RunState::kQueued;
  double started_at = 0;
  std::vector<TrendCell> cells;  // one per Trend::nfrs
};

struct Trend {
  std::string profile;  // "" when runs of every profile are shown
  std::vector<std::string> nfrs;
  std::vector<TrendRow> rows;  // oldest first
};

// Pages through a store's newest-first listing (offset, limit).
using RunLister =
    std::function<common::Result<std::vector<RunRecord>>(std::size_t offset, std::size_t limit)>;

// The newest `count` finished runs of `profile` ("" any), newest first; reads at most 50 pages.
// A page `list` could not read ends it with that error.
common::Result<std::vector<RunRecord>> FinishedRuns(const RunLister& list,
                                                    const std::string& profile, std::size_t count);

// The table of the newest `last` runs of `newest_first` (one more is read, if there, as the first
// row's previous run). `nfrs` empty: every NFR the runs judged, in the order they first appear.
Trend BuildTrend(const std::vector<RunRecord>& newest_first, std::vector<std::string> nfrs,
                 std::size_t last, const stats::Criteria& criteria);

// The judged NFRs of `profile` in `config` (none for "" or a profile the config no longer has).
std::vector<std::string> ProfileNfrs(const config::Config& config, const std::string& profile);

// The trend of the last `last` finished runs of `profile` ("" any) from `list`, at the config's
// history.significance and tolerance; columns `nfrs`, else the profile's NFRs, else every NFR the
// runs judged. What `list` could not read is the error.
common::Result<Trend> TrendOf(const config::Config& config, const RunLister& list,
                              const std::string& profile, std::vector<std::string> nfrs,
                              std::size_t last);

// "123.4 ms ⚠ ❌", "–" without a value.
std::string TrendCellText(const TrendCell& cell);
std::string TrendMarkdown(const Trend& trend);
std::string TrendCsv(const Trend& trend);
std::string TrendJson(const Trend& trend);

}  // namespace reznet::suite
