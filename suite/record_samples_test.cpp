// Samples kept with each run record (issue #15): bounded, in history lines, and old lines without
// them still load.
#include <gtest/gtest.h>

#include "suite/judge.hpp"
#include "suite/record.hpp"
#include "suite/test_runs.hpp"
#include "tests/support/outcomes.hpp"

namespace reznet::suite {
namespace {

using test_runs::ParseNoting;

using namespace std::chrono_literals;

TEST(Samples, EveryPhaseKeepsItsSamplesInRunOrder) {
  ProbeAccumulator acc("api", "http", 3);
  acc.Add(testing::Totals({30ms}));
  acc.Add(testing::Failed(clients::ErrorKind::kHttpStatus, "status 500", {10ms}));
  acc.Add(testing::Totals({20ms}));
  const ProbeResult r = acc.Finish(1);
  ASSERT_NE(r.Phase("total"), nullptr);
  EXPECT_EQ(r.Phase("total")->samples, (std::vector<double>{0.03, 0.01, 0.02}));
  EXPECT_TRUE(r.Phase("total")->histogram.empty());
  EXPECT_EQ(r.Phase("total")->Kept(), 3u);
}

TEST(Samples, BeyondTheCapEvenlySpacedOrderStatisticsAreKept) {
  PhaseStats p;
  std::vector<std::pair<double, std::uint64_t>> all;
  for (int i = 0; i < 10'000; ++i) all.emplace_back((10'000 - i) * 1e-6, 1);  // 10 µs .. 10 ms
  KeepSamples(p, all);
  ASSERT_EQ(p.samples.size(), kMaxKeptSamples);
  EXPECT_TRUE(std::is_sorted(p.samples.begin(), p.samples.end()));
  EXPECT_DOUBLE_EQ(p.samples.front(), 3e-6 + 0);  // rank 2 of 10,000 (0.5 × 5 rounded down)
  EXPECT_NEAR(p.samples[kMaxKeptSamples / 2], 5e-3, 1e-5);
}

TEST(Samples, WeightedPhasesKeepTheirHistogramWithinTheCap) {
  probes::Outcome o;
  o.phases.push_back({"total", {}, {{1ms, 5}, {2ms, 3}, {4ms, 1}}});
  ProbeAccumulator acc("load_flow", "load", 1);
  acc.Add(o);
  const ProbeResult r = acc.Finish(1);
  const PhaseStats& s = *r.Phase("total");
  EXPECT_EQ(s.histogram,
            (std::vector<std::pair<double, std::uint64_t>>{{0.001, 5}, {0.002, 3}, {0.004, 1}}));
  EXPECT_TRUE(s.samples.empty());
  EXPECT_EQ(s.Kept(), 9u);

  PhaseStats big;
  std::vector<std::pair<double, std::uint64_t>> buckets;
  for (int i = 1; i <= 5000; ++i) buckets.emplace_back(i * 1e-5, 2);
  KeepSamples(big, buckets);
  EXPECT_LE(big.histogram.size(), kMaxKeptSamples);
  EXPECT_EQ(big.Kept(), 10'000u);
  EXPECT_DOUBLE_EQ(big.histogram.back().first, 0.05);
}

TEST(Samples, RoundTripThroughTheHistoryLine) {
  RunRecord r;
  r.id = "20261127T084512Z-3f2a9c";
  ProbeResult p;
  p.name = "api";
  PhaseStats plain;
  plain.name = "total";
  KeepSamples(plain, {{0.0123456789012, 1}, {0.02, 1}});
  PhaseStats hist;
  hist.name = "ttfb";
  KeepSamples(hist, {{0.5, 7}, {0.25, 2}});
  p.phases = {plain, hist};
  r.probes = {p};
  const std::string line = ToJson(r);
  EXPECT_NE(line.find(R"("samples":[0.012345679,0.02])"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("histogram":[[0.25,2],[0.5,7]])"), std::string::npos) << line;
  auto back = ParseRun(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  std::string why;
  EXPECT_FALSE(ParseNoting(R"({"id":"x","probes":[{"phases":[{"samples":["fast"]}]}]})", why));
  EXPECT_EQ(why, "samples: expected a number");
  EXPECT_FALSE(ParseNoting(R"({"id":"x","probes":[{"phases":[{"histogram":[[1]]}]}]})", why));
  EXPECT_EQ(why, "histogram[]: expected [seconds, count]");
}

// A line as reznet-perfd wrote it before samples were kept (0.4).
constexpr const char* kLineBeforeSamples =
    R"({"id":"20261120T101500Z-0a1b2c","profile":"quick","labels":{"commit":"abc123"},)"
    R"("state":"passed","error":"","version":"0.4.0","started_at":1795169700,)"
    R"("finished_at":1795169712.5,"progress":{"done":30,"total":30,"current":""},)"
    R"("probes":[{"name":"api","kind":"http","planned":30,"runs":30,"failures":0,)"
    R"("skipped":false,"skip_reason":"","errors":{},"last_error":"","phases":[{"name":"total",)"
    R"("count":30,"min":0.011,"mean":0.014,"p50":0.013,"p90":0.018,"p95":0.019,"p99":0.021,)"
    R"("max":0.021}],"counters":{},"seconds":0.6}],"nfrs":[{"nfr":"api_p95","probe":"api",)"
    R"("phase":"total","stat":"p95","op":"<","threshold":0.2,"unit":"seconds","value":0.019,)"
    R"("samples":30,"verdict":"passed","reason":"","severity":"page","baseline":null}],)"
    R"("baseline_id":"","tolerance":0.1,"baseline":[]})";

TEST(Samples, LinesWrittenBeforeSamplesWereKeptStillLoad) {
  std::string why;
  auto old = ParseNoting(kLineBeforeSamples, why);
  ASSERT_TRUE(old) << why;
  const PhaseStats& total = *old->probes.at(0).Phase("total");
  EXPECT_EQ(total.count, 30u);
  EXPECT_DOUBLE_EQ(total.p95, 0.019);
  EXPECT_TRUE(total.samples.empty());
  EXPECT_EQ(total.Kept(), 0u);
  EXPECT_EQ(old->labels.at("commit"), "abc123");
}

}  // namespace
}  // namespace reznet::suite
