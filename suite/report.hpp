#pragma once
// Reports of a run for people and CI: Markdown (in the spirit of RezNet's
// PERFORMANCE_TEST_RESULTS.md: NFR checklist, statistics per probe, baseline comparison) and
// JUnit XML (one testcase per judged NFR, for CI test tabs). JSON is ToJson (record.hpp).
// Everything users wrote (labels, probe and NFR names, errors) is escaped for the format
// (common/escape.hpp): a Markdown table row stays one row, the XML stays well-formed XML 1.0.

#include <string>
#include <utility>
#include <vector>

#include "suite/record.hpp"

namespace reznet::suite {

std::string ToMarkdown(const RunRecord& run);
std::string ToJUnit(const RunRecord& run);
// The comparison tables (NFRs, then phases) of a report's baseline section and `compare`.
std::string ComparisonMarkdown(const std::string& compared_with, double significance,
                               double tolerance, const std::vector<ComparisonRow>& nfrs,
                               const std::vector<ComparisonRow>& phases);

// PERFORMANCE_TEST_RESULTS.md: ToMarkdown of `run` (its baseline section as given), then the
// trend of the last runs and the environment (name, value) pairs.
std::string ResultsDocument(const RunRecord& run, const std::string& trend_markdown,
                            const std::vector<std::pair<std::string, std::string>>& environment);

// "12.3 ms", "1.25 s", "64.0 %": how reports print a value.
std::string FormatValue(double value, bool latency);
// "2026-11-27 08:45:12 UTC"
std::string FormatTime(double unix_seconds);

}  // namespace reznet::suite
