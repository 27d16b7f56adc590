#pragma once
// Comparing a run with an earlier one (the baseline, or the previous run of a trend), per judged
// NFR and per probe phase, from the samples both records keep (record.hpp). Pure functions.
//
// Method (stats/significance.hpp): latency NFRs and phases get a Mann–Whitney rank test over the
// two runs' samples and a seeded bootstrap interval of the change of their statistic (the NFR's
// stat; p50 for phase rows); error-rate NFRs a two-proportion test of failed runs; ratio NFRs
// (counter means) keep no samples and are not tested (their status follows the tolerance alone).
// A row is regressed only when p < significance AND the change is worse than the tolerance; with
// fewer than 8 samples on a side it says "too few samples" instead of guessing.

#include <optional>
#include <string>
#include <vector>

#include "stats/significance.hpp"
#include "suite/record.hpp"

namespace reznet::suite {

// Every judged NFR of `run` with a value in both runs, in `run`'s order.
std::vector<ComparisonRow> CompareNfrs(const RunRecord& run, const RunRecord& baseline,
                                       const stats::Criteria& criteria);
// Every phase with samples in both runs, probe by probe in `run`'s order.
std::vector<ComparisonRow> ComparePhases(const RunRecord& run, const RunRecord& baseline,
                                         const stats::Criteria& criteria);
// The row of one NFR (nullopt when either run has no value for it); without the bootstrap
// interval when `interval` is false (trend tables need only the verdict).
std::optional<ComparisonRow> CompareNfr(const RunRecord& run, const RunRecord& baseline,
                                        const std::string& nfr, const stats::Criteria& criteria,
                                        bool interval = true);

}  // namespace reznet::suite
