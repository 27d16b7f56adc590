#pragma once
// Runs and rules the suite room's tests share (judge_test, record_test, report_test,
// file_history_test), defined in test_runs_test.cpp; for test sources only.

#include <string>
#include <vector>

#include "config/nfr.hpp"
#include "suite/judge.hpp"
#include "suite/record.hpp"

namespace reznet::suite::test_runs {

config::NfrRule Rule(std::string name, std::string probe, config::NfrStat stat,
                     std::string stat_name, std::string op, config::NfrOp o, double threshold,
                     std::string phase = "total");
// Three probes: api 10 runs of 10..100 ms, db 3 failed connects, llm skipped (no API key).
std::vector<ProbeResult> Results();
// A passed run whose api probe took `api_p95_ms`.
RunRecord PastRun(std::string id, double started, int api_p95_ms);
// A failed run of the three probes above, judged by three rules, with a baseline and a label to
// escape.
RunRecord SampleRun();

// ParseRun, and why it refused the text ("" when it did not), for assertions on both.
common::Result<RunRecord> ParseNoting(const std::string& text, std::string& why);

}  // namespace reznet::suite::test_runs
