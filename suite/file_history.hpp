#pragma once
// The file store of history.hpp: state_dir/runs.jsonl and state_dir/baseline. OpenHistory
// builds it; here for the tests that look inside.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/suite.hpp"
#include "suite/history.hpp"

namespace reznet::suite {

// Unix seconds now; the retention of keep_days reads it.
using WallClock = std::function<double()>;
double SystemNow();

// What retention keeps of `newest_first`: the first history.keep_runs runs, of those only the ones
// started at or after now - keep_days (keep_days 0: all), and the baseline run whatever its age.
std::vector<RunRecord> Retained(std::vector<RunRecord> newest_first,
                                const config::HistoryConfig& history,
                                const std::optional<std::string>& baseline_id, double now);

// Creates state_dir and applies retention (rewriting runs.jsonl atomically when runs go; a failed
// rewrite is logged, the runs are kept). Throws HistoryError.
std::unique_ptr<HistoryStore> OpenFileHistory(const config::HistoryConfig& history,
                                              const std::string& state_dir,
                                              WallClock now = SystemNow);

}  // namespace reznet::suite
