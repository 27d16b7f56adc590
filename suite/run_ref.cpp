#include "suite/run_ref.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace reznet::suite {
namespace {

using common::ErrorKind;

constexpr std::size_t kShown = 5;  // candidates named in an ambiguity error

std::string NotFound(std::string_view ref) {
  return "no run \"" + std::string(ref) +
         "\": give a run id, a unique prefix of one, a commit label, latest, previous or "
         "baseline (reznet-perfd history lists them)";
}

// `ref` fits several runs: refuse, naming a few of them.
common::Result<RunRecord> Ambiguous(std::string_view ref,
                                    const std::vector<const RunRecord*>& fit) {
  std::string names;
  for (std::size_t i = 0; i < fit.size() && i < kShown; ++i) {
    const auto commit = fit[i]->labels.find("commit");
    names += (i ? ", " : "") + fit[i]->id +
             (commit != fit[i]->labels.end() ? " (commit " + commit->second + ")" : "");
  }
  if (fit.size() > kShown) names += ", …";
  return common::Fail(ErrorKind::kInvalid, "\"" + std::string(ref) + "\" fits " +
                                               std::to_string(fit.size()) + " runs: " + names +
                                               "; give more of the id");
}

common::Result<RunRecord> ByKeyword(HistoryStore& history, std::string_view ref) {
  if (ref == "baseline") {
    auto id = history.BaselineId();
    if (!id) return std::unexpected(id.error());
    if (!*id)
      return common::Fail(ErrorKind::kNotFound,
                          "no baseline set; set one with reznet-perfd baseline set RUN");
    auto run = history.Get(**id);
    if (!run) return std::unexpected(run.error());
    if (!*run) return common::Fail(ErrorKind::kNotFound, "the baseline run " + **id + " is gone");
    return std::move(**run);
  }
  const std::size_t index = ref == "latest" ? 0 : 1;
  auto runs = history.List(0, 2);
  if (!runs) return std::unexpected(runs.error());
  if (runs->size() <= index)
    return common::Fail(ErrorKind::kNotFound, "no " + std::string(ref) +
                                                  " run: the history holds " +
                                                  (runs->empty() ? "none" : "only one"));
  return std::move((*runs)[index]);
}

}  // namespace

common::Result<RunRecord> ResolveRun(HistoryStore& history, std::string_view ref) {
  if (ref.empty()) return common::Fail(ErrorKind::kNotFound, NotFound(ref));
  if (auto exact = history.Get(std::string(ref)); !exact) {
    return std::unexpected(exact.error());
  } else if (*exact) {
    return std::move(**exact);
  }
  if (ref == "latest" || ref == "previous" || ref == "baseline") return ByKeyword(history, ref);
  auto runs = history.List(0, kScanned);
  if (!runs) return std::unexpected(runs.error());
  // Runs whose id starts with `ref`, and commits (with their newest run) that do.
  std::vector<const RunRecord*> by_id;
  std::map<std::string, const RunRecord*> by_commit;  // newest first: the first one seen stays
  for (const auto& r : *runs) {
    if (r.id.starts_with(ref)) by_id.push_back(&r);
    const auto commit = r.labels.find("commit");
    if (commit != r.labels.end() && commit->second.starts_with(ref))
      by_commit.try_emplace(commit->second, &r);
  }
  // An exact commit names its newest run, whatever else starts with it.
  for (const auto& [commit, run] : by_commit)
    if (commit == ref && by_id.empty()) return *run;
  std::vector<const RunRecord*> fit = by_id;
  for (const auto& [commit, run] : by_commit)
    if (std::find(fit.begin(), fit.end(), run) == fit.end()) fit.push_back(run);
  if (fit.empty()) return common::Fail(ErrorKind::kNotFound, NotFound(ref));
  if (fit.size() > 1) return Ambiguous(ref, fit);
  return *fit.front();
}

}  // namespace reznet::suite
