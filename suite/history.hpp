#pragma once
// Run history: every finished suite run, newest first, and the baseline run.
//
// The file store appends one JSON line per run to state_dir/runs.jsonl and fsyncs it; a line that
// does not parse or has a field of the wrong type (a crash mid-write, a hand edit) is skipped with
// a warning naming file:line (the first few per read; the rest counted in one line) and costs
// nothing else — the next append starts on a fresh line. The runs are read once and kept in step
// with this store's appends; the file is read again only when another process changed it. The
// baseline is the run id in state_dir/baseline, replaced atomically (write, fsync, rename).
//
// The postgres store keeps the same JSON in table reznet_perfd_runs (created on first use) and
// the baseline in reznet_perfd_baseline. It keeps one connection (connect_timeout 5 s,
// statement_timeout 10 s, TCP keepalives and tcp_user_timeout 30 s), reconnects when it broke and
// runs the statement once more, and reports a failure (kUnavailable) with the DSN's host and
// database, never its password.
//
// Thread-safe: every member takes the store's lock.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/suite.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

// What OpenHistory throws at start-up (a DSN that does not parse, a state_dir it cannot create).
// After that a store never throws: its failures are returned.
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every call returns its failure as an error of kind kUnavailable (the store cannot be read or
// written now: a full disk, a database that is down or busy; the detail says which, never a
// password) or, from SetBaseline, kNotFound (no run has that id).
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  virtual common::Result<void> Append(const RunRecord& run) = 0;
  // Newest first (by start time), `limit` from `offset`.
  virtual common::Result<std::vector<RunRecord>> List(std::size_t offset, std::size_t limit) = 0;
  virtual common::Result<std::size_t> Count() = 0;
  virtual common::Result<std::optional<RunRecord>> Get(const std::string& id) = 0;
  virtual common::Result<void> SetBaseline(const std::string& id) = 0;
  virtual common::Result<std::optional<std::string>> BaselineId() = 0;
  virtual std::string Describe() const = 0;  // for logs: "state/runs.jsonl", "postgres host=…"
  // How often the store has read its whole history (the file store: runs.jsonl, at start and
  // when another process changed it; never after its own appends). 0 for stores that do not.
  virtual std::uint64_t Loads() const { return 0; }
};

// `return Unavailable("…");` in a store.
inline std::unexpected<common::Error<>> Unavailable(std::string detail) {
  return common::Fail(common::ErrorKind::kUnavailable, std::move(detail));
}

// What would keep the store from working, checked without connecting anywhere: a DSN that does
// not parse (or carries a password), a state_dir that cannot be created or written, a
// runs.jsonl that is a directory. Each message names the setting.
std::vector<std::string> CheckHistory(const config::HistoryConfig& history,
                                      const std::string& state_dir);

// The store the config asks for. File stores create state_dir. Throws HistoryError.
std::unique_ptr<HistoryStore> OpenHistory(const config::HistoryConfig& history,
                                          const std::string& state_dir);

}  // namespace reznet::suite
