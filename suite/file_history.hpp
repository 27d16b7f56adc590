#pragma once
// The file store of history.hpp: state_dir/runs.jsonl and state_dir/baseline. OpenHistory
// builds it; here for the tests that look inside.

#include <memory>
#include <string>

#include "config/suite.hpp"
#include "suite/history.hpp"

namespace reznet::suite {

// Creates state_dir. Throws HistoryError.
std::unique_ptr<HistoryStore> OpenFileHistory(const config::HistoryConfig& history,
                                              const std::string& state_dir);

}  // namespace reznet::suite
