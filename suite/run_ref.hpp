#pragma once
// Run references (issue #27): what a user may type wherever a run is named — `compare`, `report`,
// `baseline set`, GET /runs/{ref}:
//
//   20261207T101500Z-3f2a9c   a run id
//   20261207T1015             a prefix of exactly one run id
//   abc1234                   a `commit` label (or a prefix of exactly one commit): that
//                             commit's newest run
//   latest, previous          the newest stored run, the one before it
//   baseline                  the baseline run
//
// An exact id wins; otherwise a reference that fits several runs (two ids, or an id prefix and a
// commit of another run) is refused with the candidates, never guessed. Reads the newest
// kScanned runs for prefixes and commits.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "suite/history.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

inline constexpr std::size_t kScanned = 10'000;

// The run `ref` names: kNotFound (no run fits; the detail says what a reference may be),
// kInvalid (it fits several; the detail lists them), or the store's kUnavailable.
common::Result<RunRecord> ResolveRun(HistoryStore& history, std::string_view ref);

}  // namespace reznet::suite
