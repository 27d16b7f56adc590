#pragma once
// The PostgreSQL store of history.hpp: runs in reznet_perfd_runs, the baseline in
// reznet_perfd_baseline, one connection with deadlines and back-off (history.hpp says how it
// behaves when the database is away). OpenHistory chooses it for `history.store: postgres`.

#include <memory>

#include "config/suite.hpp"
#include "suite/history.hpp"

namespace reznet::suite {

// Throws HistoryError when history.dsn does not parse; connects on first use.
std::unique_ptr<HistoryStore> OpenPgHistory(const config::HistoryConfig& history);

}  // namespace reznet::suite
