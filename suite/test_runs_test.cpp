// The shared runs and rules of the suite room's tests (suite/test_runs.hpp): a test source,
// so it may name kinds and reach tests/support.
#include "suite/test_runs.hpp"

#include "tests/support/outcomes.hpp"

namespace reznet::suite::test_runs {

using namespace std::chrono_literals;

config::NfrRule Rule(std::string name, std::string probe, config::NfrStat stat,
                     std::string stat_name, std::string op, config::NfrOp o, double threshold,
                     std::string phase) {
  config::NfrRule r;
  r.name = std::move(name);
  r.probe = std::move(probe);
  r.phase = std::move(phase);
  r.stat = stat;
  r.stat_name = std::move(stat_name);
  r.op_text = std::move(op);
  r.op = o;
  r.threshold = threshold;
  return r;
}

// Three probes: api 10 runs of 10..100 ms, db 3 failed connects, llm skipped (no API key).
std::vector<ProbeResult> Results() {
  ProbeAccumulator api("api", "http", 10);
  for (int i = 1; i <= 10; ++i) api.Add(testing::Totals({i * 10ms}));  // 10..100 ms
  ProbeAccumulator down("db", "postgres", 3);
  for (int i = 0; i < 3; ++i)
    down.Add(testing::Failed(clients::ErrorKind::kConnect, "connection refused"));
  ProbeAccumulator llm("llm", "llm", 5);
  llm.Add(probes::Outcome::Skipped("no API key"));
  return {api.Finish(1), down.Finish(1), llm.Finish(0)};
}

// A passed run whose api probe took `api_p95_ms`.
RunRecord PastRun(std::string id, double started, int api_p95_ms) {
  RunRecord r;
  r.id = std::move(id);
  r.state = RunState::kPassed;
  r.started_at = started;
  r.finished_at = started + 1;
  ProbeAccumulator api("api", "http", 1);
  api.Add(testing::Totals({std::chrono::milliseconds(api_p95_ms)}));
  r.probes.push_back(api.Finish(0.1));
  return r;
}

// A failed run of the three probes above, judged by three rules, with a baseline and a label to
// escape.
RunRecord SampleRun() {
  RunRecord r;
  r.id = "20261127T084512Z-00beef";
  r.profile = "quick";
  r.labels = {{"commit", "abc<123>"}};
  r.state = RunState::kFailed;
  r.version = "0.1.0";
  r.started_at = 1795769112.25;
  r.finished_at = 1795769120.5;
  r.done = r.total = 13;
  r.probes = Results();
  using config::NfrOp;
  using config::NfrStat;
  r.nfrs = Judge({Rule("api_p95", "api", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.2),
                  Rule("db_p95", "db", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.1, "query"),
                  Rule("llm_ttfb", "llm", NfrStat::kMean, "mean", "<", NfrOp::kLt, 0.5, "ttfb")},
                 {"api_p95", "db_p95", "llm_ttfb"}, r.probes);
  r.compared_with = "20261126T000000Z-000001";
  r.comparison = {{"api_p95", true, 0.08, 0.1, 25, RowStatus::kWorse}};
  return r;
}

common::Result<RunRecord> ParseNoting(const std::string& text, std::string& why) {
  auto r = ParseRun(text);
  why = r ? "" : r.error().detail;
  return r;
}

}  // namespace reznet::suite::test_runs
