// Suite judgement, records, reports and the file history, without a network.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "suite/file_history.hpp"
#include "suite/history.hpp"
#include "suite/judge.hpp"
#include "suite/report.hpp"
#include "tests/support/outcomes.hpp"
#include "tests/support/scratch_dir.hpp"

namespace reznet::suite {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

config::NfrRule Rule(std::string name, std::string probe, config::NfrStat stat,
                     std::string stat_name, std::string op, config::NfrOp o, double threshold,
                     std::string phase = "total") {
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

TEST(Summarise, NearestRankOverExactSamples) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i / 1000.0);
  auto s = Summarise("total", v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.min, 0.001);
  EXPECT_DOUBLE_EQ(s.max, 0.100);
  EXPECT_DOUBLE_EQ(s.p50, 0.050);
  EXPECT_DOUBLE_EQ(s.p95, 0.095);
  EXPECT_DOUBLE_EQ(s.p99, 0.099);
  EXPECT_NEAR(s.mean, 0.0505, 1e-12);
  auto one = Summarise("x", std::vector<double>{0.3});
  EXPECT_DOUBLE_EQ(one.p50, 0.3);
  EXPECT_DOUBLE_EQ(one.p99, 0.3);
}

TEST(Accumulator, CountsRunsErrorsCountersAndSkips) {
  ProbeAccumulator acc("api", "http", 4);
  acc.Add(testing::Totals({10ms}));
  acc.Add(testing::Failed("http_status", "status 500", {30ms}));
  auto with_counter = testing::Totals({20ms});
  with_counter.SetCounter("hit_ratio", 0.5);
  acc.Add(with_counter);
  auto c2 = testing::Totals({});
  c2.SetCounter("hit_ratio", 1.0);
  acc.Add(c2);
  auto r = acc.Finish(1.5);
  EXPECT_EQ(r.runs, 4);
  EXPECT_EQ(r.failures, 1);
  EXPECT_EQ(r.errors.at("http_status"), 1);
  EXPECT_EQ(r.last_error, "http_status: status 500");
  ASSERT_NE(r.Phase("total"), nullptr);
  EXPECT_EQ(r.Phase("total")->count, 3u);
  EXPECT_DOUBLE_EQ(*r.CounterMean("hit_ratio"), 0.75);
  EXPECT_FALSE(r.skipped);

  ProbeAccumulator skipped("llm", "llm", 5);
  skipped.Add(probes::Outcome::Skipped("no API key: ANTHROPIC_API_KEY is not set"));
  auto s = skipped.Finish(0);
  EXPECT_TRUE(s.skipped);
  EXPECT_EQ(s.runs, 0);
  EXPECT_EQ(s.skip_reason, "no API key: ANTHROPIC_API_KEY is not set");
}

std::vector<ProbeResult> Results() {
  ProbeAccumulator api("api", "http", 10);
  for (int i = 1; i <= 10; ++i) api.Add(testing::Totals({i * 10ms}));  // 10..100 ms
  ProbeAccumulator down("db", "postgres", 3);
  for (int i = 0; i < 3; ++i) down.Add(testing::Failed("connect", "connection refused"));
  ProbeAccumulator llm("llm", "llm", 5);
  llm.Add(probes::Outcome::Skipped("no API key"));
  return {api.Finish(1), down.Finish(1), llm.Finish(0)};
}

TEST(Judge, PassFailSkipAndSilenceIsNotAPass) {
  using config::NfrOp;
  using config::NfrStat;
  std::vector<config::NfrRule> rules = {
      Rule("api_p95", "api", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.2),
      Rule("api_p50", "api", NfrStat::kP50, "p50", "<", NfrOp::kLt, 0.03),
      Rule("db_p95", "db", NfrStat::kP95, "p95", "<", NfrOp::kLt, 0.1, "query"),
      Rule("llm_ttfb", "llm", NfrStat::kMean, "mean", "<", NfrOp::kLt, 0.5, "ttfb"),
      Rule("db_errors", "db", NfrStat::kErrorRate, "error_rate", "<", NfrOp::kLt, 0.05, ""),
      Rule("not_judged", "api", NfrStat::kMax, "max", "<", NfrOp::kLt, 1)};
  auto v = Judge(rules, {"api_p95", "api_p50", "db_p95", "llm_ttfb", "db_errors"}, Results());
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].verdict, Verdict::kPassed);
  EXPECT_DOUBLE_EQ(*v[0].value, 0.1);  // p95 of 10 samples: the 10th
  EXPECT_EQ(v[0].samples, 10u);
  EXPECT_EQ(v[1].verdict, Verdict::kFailed);  // p50 50 ms
  EXPECT_EQ(v[1].reason, "p50 50ms breaks the promise < 30ms");
  EXPECT_EQ(v[2].verdict, Verdict::kFailed);  // every run failed: no sample
  EXPECT_THAT(v[2].reason, HasSubstr("no query sample in 3 run(s); last error connect"));
  EXPECT_EQ(v[3].verdict, Verdict::kSkipped);
  EXPECT_EQ(v[3].reason, "probe llm skipped: no API key");
  EXPECT_EQ(v[4].verdict, Verdict::kFailed);
  EXPECT_DOUBLE_EQ(*v[4].value, 1.0);
  RunRecord run;
  run.nfrs = v;
  EXPECT_EQ(FinalState(run), "failed");
  run.nfrs = {v[0], v[3]};
  EXPECT_EQ(FinalState(run), "passed");
}

RunRecord PastRun(std::string id, double started, int api_p95_ms) {
  RunRecord r;
  r.id = std::move(id);
  r.state = "passed";
  r.started_at = started;
  r.finished_at = started + 1;
  ProbeAccumulator api("api", "http", 1);
  api.Add(testing::Totals({std::chrono::milliseconds(api_p95_ms)}));
  r.probes.push_back(api.Finish(0.1));
  return r;
}

TEST(Judge, RegressionBaselineIsTheMedianOfPastRuns) {
  using config::NfrOp;
  using config::NfrStat;
  auto rule = Rule("api_reg", "api", NfrStat::kP95, "p95", "<=", NfrOp::kLe, 0);
  rule.regression = true;
  rule.baseline_runs = 3;
  std::vector<RunRecord> past = {PastRun("d", 4, 100), PastRun("c", 3, 300), PastRun("b", 2, 200),
                                 PastRun("a", 1, 900)};
  // newest three: 100, 300, 200 → 200 ms; the fourth is beyond baseline_runs.
  auto b = MedianBaseline(rule, past);
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(*b, 0.2);
  EXPECT_FALSE(MedianBaseline(rule, {}));
  // Without a baseline the rule is skipped and says why; with one it judges.
  auto v = Judge({rule}, {"api_reg"}, Results());
  EXPECT_EQ(v[0].verdict, Verdict::kSkipped);
  EXPECT_THAT(v[0].reason, HasSubstr("no baseline yet"));
  config::ApplyBaseline(rule, *b);
  v = Judge({rule}, {"api_reg"}, Results());
  EXPECT_EQ(v[0].verdict, Verdict::kPassed);  // 100 ms <= 220 ms
  EXPECT_DOUBLE_EQ(*v[0].baseline, 0.2);
}

RunRecord SampleRun() {
  RunRecord r;
  r.id = "20261127T084512Z-00beef";
  r.profile = "quick";
  r.labels = {{"commit", "abc<123>"}};
  r.state = "failed";
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
  r.baseline_id = "20261126T000000Z-000001";
  r.baseline = {{"api_p95", true, 0.08, 0.1, 25, "worse"}};
  return r;
}

TEST(Record, JsonRoundTrip) {
  const RunRecord r = SampleRun();
  const std::string line = ToJson(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = FromJson(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(ToJson(*back), line);
  EXPECT_EQ(back->nfrs.size(), 3u);
  EXPECT_EQ(back->probes[1].errors.at("connect"), 3);
  std::string why;
  EXPECT_FALSE(FromJson("{\"id\": \"x\", \"probes\": 3}", &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(FromJson("{\"id\": \"x\", \"pro", &why));
}

TEST(Record, FieldsOfTheWrongTypeAreNotARunAndTheErrorNamesThem) {
  std::string why;
  EXPECT_FALSE(FromJson(R"({"id": "x", "profile": 5})", &why));
  EXPECT_EQ(why, "profile: expected a string");
  EXPECT_FALSE(FromJson(R"({"id": "x", "started_at": "yesterday"})", &why));
  EXPECT_EQ(why, "started_at: expected a number");
  EXPECT_FALSE(FromJson(R"({"id": "x", "labels": {"commit": 7}})", &why));
  EXPECT_EQ(why, "labels: expected a string");
  EXPECT_FALSE(FromJson(R"({"id": "x", "probes": [{"name": "api", "skipped": "no"}]})", &why));
  EXPECT_EQ(why, "skipped: expected true or false");
  EXPECT_FALSE(FromJson(R"({"id": "x", "nfrs": [{"nfr": "a", "value": "fast"}]})", &why));
  EXPECT_EQ(why, "value: expected a number");
  EXPECT_FALSE(FromJson(R"(["id", "x"])", &why));
  EXPECT_EQ(why, "the line: expected an object");
  // Absent keys and nulls where a number may be missing are still fine (older lines).
  auto old = FromJson(R"({"id": "x", "finished_at": null})", &why);
  ASSERT_TRUE(old) << why;
  EXPECT_EQ(old->finished_at, 0);
}

TEST(Record, RunIdsAreTimeOrderedAndDistinct) {
  auto a = NewRunId(1795769112.0);
  auto b = NewRunId(1795769112.0);
  EXPECT_EQ(a.substr(0, 17), "20261127T084512Z-");
  EXPECT_NE(a, b);
}

TEST(Report, MarkdownHasChecklistTablesAndBaseline) {
  const std::string md = ToMarkdown(SampleRun());
  EXPECT_THAT(md, HasSubstr("## NFR checklist"));
  EXPECT_THAT(md, HasSubstr("- [x] ✓ **api_p95**: api total p95 < 200.0 ms — measured 100.0 ms"));
  EXPECT_THAT(md, HasSubstr("- [ ] ✗ **db_p95**"));
  EXPECT_THAT(md, HasSubstr("**FAILED**"));
  EXPECT_THAT(md, HasSubstr("- [ ] – **llm_ttfb**: llm ttfb mean < 500.0 ms — skipped: probe llm "
                            "skipped: no API key"));
  EXPECT_THAT(md, HasSubstr("| total | 10 | 10.0 ms | 50.0 ms |"));
  // A row of a record written before significance was tested: no interval, p or verdict.
  EXPECT_THAT(md, HasSubstr("| api_p95 | – | 80.0 ms | 100.0 ms | +25.0 % | – | – | – | – | ⚠ |"));
  EXPECT_THAT(md, HasSubstr("| commit | abc&lt;123&gt; |"));
}

TEST(Report, JUnitHasOneTestcasePerNfrAndEscapes) {
  const std::string x = ToJUnit(SampleRun());
  EXPECT_THAT(x, HasSubstr("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
  EXPECT_THAT(x, HasSubstr("<testcase classname=\"nfr.api\" name=\"api_p95\">"));
  EXPECT_THAT(x, HasSubstr("<failure message=\"db_p95: no query sample"));
  EXPECT_THAT(x, HasSubstr("<skipped message=\"probe llm skipped: no API key\"/>"));
  EXPECT_THAT(x, HasSubstr("value=\"abc&lt;123&gt;\""));
  EXPECT_THAT(x, Not(HasSubstr("abc<123>")));
}

class FileHistoryTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_{"reznet-history"};
  const std::string dir_ = scratch_.path().string();
};

TEST_F(FileHistoryTest, AppendsListsNewestFirstAndSurvivesReopen) {
  {
    auto h = OpenHistory({}, dir_);
    h->Append(PastRun("a", 1, 10));
    h->Append(PastRun("c", 3, 30));
    h->Append(PastRun("b", 2, 20));
    EXPECT_EQ(h->Count(), 3u);
    auto page = h->List(0, 2);
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, "c");
    EXPECT_EQ(page[1].id, "b");
    EXPECT_EQ(h->List(2, 10)[0].id, "a");
    EXPECT_FALSE(h->BaselineId());
    h->SetBaseline("b");
    EXPECT_THROW(h->SetBaseline("zzz"), HistoryError);
  }
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Count(), 3u);
  EXPECT_EQ(*h->BaselineId(), "b");
  ASSERT_TRUE(h->Get("a"));
  EXPECT_EQ(h->Get("a")->probes[0].name, "api");
  EXPECT_FALSE(h->Get("nope"));
}

TEST_F(FileHistoryTest, CorruptAndTruncatedLinesCostOnlyThemselves) {
  {
    auto h = OpenHistory({}, dir_);
    h->Append(PastRun("a", 1, 10));
  }
  {
    std::ofstream out(dir_ + "/runs.jsonl", std::ios::app);
    out << "this is not json\n";
    out << ToJson(PastRun("b", 2, 20)).substr(0, 40);  // a write cut short by kill -9
  }
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Count(), 1u);
  h->Append(PastRun("c", 3, 30));  // must start on its own line
  auto again = OpenHistory({}, dir_);
  auto runs = again->List(0, 10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, "c");
  EXPECT_EQ(runs[1].id, "a");
}

TEST_F(FileHistoryTest, ALineOfWrongTypesIsSkippedWithAWarningNamingFileAndLine) {
  {
    std::ofstream out(dir_ + "/runs.jsonl");
    out << ToJson(PastRun("a", 1, 10)) << "\n";
    out << R"({"id": "x", "profile": 5})"
        << "\n";
    out << ToJson(PastRun("b", 2, 20)) << "\n";
  }
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("history-test", sink));
  auto h = OpenHistory({}, dir_);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(h->Count(), 2u);
  EXPECT_FALSE(h->Get("x"));
  const auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr(dir_ + "/runs.jsonl:2: line skipped, not a run record "
                                         "(profile: expected a string)"));
}

TEST_F(FileHistoryTest, ManyBadLinesAreNamedAFewTimesThenCounted) {
  {
    std::ofstream out(dir_ + "/runs.jsonl");
    for (int i = 0; i < 20; ++i) out << "garbage " << i << "\n";
    out << ToJson(PastRun("a", 1, 10)) << "\n";
  }
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("history-test", sink));
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Count(), 1u);
  spdlog::set_default_logger(previous);
  const auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[4], HasSubstr("runs.jsonl:5: line skipped"));
  EXPECT_THAT(lines[5], HasSubstr("15 more lines skipped, not run records (from line 6 on)"));
}

TEST_F(FileHistoryTest, AppendsKeepTheListInStepWithoutReadingTheFileAgain) {
  OpenHistory({}, dir_)->Append(PastRun("first", 0, 10));
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Loads(), 1u);
  for (int i = 1; i <= 50; ++i) {
    h->Append(PastRun("r" + std::to_string(i), i, 10));
    EXPECT_EQ(h->Count(), static_cast<std::size_t>(i) + 1);
  }
  EXPECT_EQ(h->List(0, 1)[0].id, "r50");
  EXPECT_EQ(h->List(50, 1)[0].id, "first");
  ASSERT_TRUE(h->Get("r7"));
  EXPECT_EQ(h->Loads(), 1u);
  // What it kept is what the file says.
  auto fresh = OpenHistory({}, dir_);
  EXPECT_EQ(fresh->List(0, 100), h->List(0, 100));
  // Another writer's append is still seen (one more read).
  fresh->Append(PastRun("cli", 60, 10));
  EXPECT_EQ(h->List(0, 1)[0].id, "cli");
  EXPECT_EQ(h->Loads(), 2u);
}

std::vector<std::string> Ids(HistoryStore& h) {
  std::vector<std::string> ids;
  for (const auto& r : h.List(0, 1000)) ids.push_back(r.id);
  return ids;
}

std::size_t LinesOf(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

TEST_F(FileHistoryTest, KeepRunsDropsTheOldestAndRewritesTheFile) {
  config::HistoryConfig keep3;
  keep3.keep_runs = 3;
  {
    auto h = OpenHistory(keep3, dir_);
    for (int i = 1; i <= 5; ++i) h->Append(PastRun("r" + std::to_string(i), i, 10));
    EXPECT_THAT(Ids(*h), ::testing::ElementsAre("r5", "r4", "r3"));
    EXPECT_EQ(h->Loads(), 0u);  // no file at start, and never read since
  }
  EXPECT_EQ(LinesOf(dir_ + "/runs.jsonl"), 3u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/runs.jsonl.tmp"));
  config::HistoryConfig keep2;
  keep2.keep_runs = 2;
  auto h = OpenHistory(keep2, dir_);  // applied at start too
  EXPECT_THAT(Ids(*h), ::testing::ElementsAre("r5", "r4"));
  EXPECT_EQ(LinesOf(dir_ + "/runs.jsonl"), 2u);
  EXPECT_THAT(Ids(*OpenHistory({}, dir_)), ::testing::ElementsAre("r5", "r4"));
}

TEST_F(FileHistoryTest, RetentionKeepsTheBaselineWhateverItsAge) {
  config::HistoryConfig keep2;
  keep2.keep_runs = 2;
  auto h = OpenHistory(keep2, dir_);
  h->Append(PastRun("a", 1, 10));
  h->SetBaseline("a");
  h->Append(PastRun("b", 2, 10));
  h->Append(PastRun("c", 3, 10));
  h->Append(PastRun("d", 4, 10));
  EXPECT_THAT(Ids(*h), ::testing::ElementsAre("d", "c", "a"));
  EXPECT_THAT(Ids(*OpenHistory(keep2, dir_)), ::testing::ElementsAre("d", "c", "a"));
}

TEST_F(FileHistoryTest, KeepDaysDropsRunsOlderThanTheInjectedClockAllows) {
  constexpr double kDay = 86400;
  double now = 100 * kDay;
  config::HistoryConfig two_days;
  two_days.keep_days = 2;
  {
    auto h = OpenHistory({}, dir_);
    h->Append(PastRun("old", now - 3 * kDay, 10));
    h->Append(PastRun("recent", now - 1 * kDay, 10));
  }
  auto h = OpenFileHistory(two_days, dir_, [&now] { return now; });
  EXPECT_THAT(Ids(*h), ::testing::ElementsAre("recent"));
  now += 2 * kDay;  // "recent" is 3 days old now; the next append applies retention
  h->Append(PastRun("new", now, 10));
  EXPECT_THAT(Ids(*h), ::testing::ElementsAre("new"));
  EXPECT_EQ(LinesOf(dir_ + "/runs.jsonl"), 1u);
}

TEST_F(FileHistoryTest, SeesAppendsFromAnotherProcess) {
  auto daemon = OpenHistory({}, dir_);
  EXPECT_EQ(daemon->Count(), 0u);
  auto cli = OpenHistory({}, dir_);
  cli->Append(PastRun("x", 5, 10));
  EXPECT_EQ(daemon->Count(), 1u);
}

}  // namespace
}  // namespace reznet::suite
