// The file history store (suite/file_history.hpp): appends, reopen, corrupt lines, retention,
// another process appending.
#include "suite/file_history.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "suite/history.hpp"
#include "suite/test_runs.hpp"
#include "tests/support/scratch_dir.hpp"

namespace reznet::suite {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace test_runs;

class FileHistoryTest : public ::testing::Test {
 protected:
  testing::ScratchDir scratch_{"reznet-history"};
  const std::string dir_ = scratch_.path().string();
};

TEST_F(FileHistoryTest, AppendsListsNewestFirstAndSurvivesReopen) {
  {
    auto h = OpenHistory({}, dir_);
    h->Append(PastRun("a", 1, 10)).value();
    h->Append(PastRun("c", 3, 30)).value();
    h->Append(PastRun("b", 2, 20)).value();
    EXPECT_EQ(h->Count().value(), 3u);
    auto page = h->List(0, 2).value();
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, "c");
    EXPECT_EQ(page[1].id, "b");
    EXPECT_EQ(h->List(2, 10).value()[0].id, "a");
    EXPECT_FALSE(h->BaselineId().value());
    h->SetBaseline("b").value();
    EXPECT_EQ(h->SetBaseline("zzz").error().kind, common::ErrorKind::kNotFound);
  }
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Count().value(), 3u);
  EXPECT_EQ(*h->BaselineId().value(), "b");
  ASSERT_TRUE(h->Get("a").value());
  EXPECT_EQ(h->Get("a").value()->probes[0].name, "api");
  EXPECT_FALSE(h->Get("nope").value());
}

TEST_F(FileHistoryTest, CorruptAndTruncatedLinesCostOnlyThemselves) {
  {
    auto h = OpenHistory({}, dir_);
    h->Append(PastRun("a", 1, 10)).value();
  }
  {
    std::ofstream out(dir_ + "/runs.jsonl", std::ios::app);
    out << "this is not json\n";
    out << ToJson(PastRun("b", 2, 20)).substr(0, 40);  // a write cut short by kill -9
  }
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Count().value(), 1u);
  h->Append(PastRun("c", 3, 30)).value();  // must start on its own line
  auto again = OpenHistory({}, dir_);
  auto runs = again->List(0, 10).value();
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
  EXPECT_EQ(h->Count().value(), 2u);
  EXPECT_FALSE(h->Get("x").value());
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
  EXPECT_EQ(h->Count().value(), 1u);
  spdlog::set_default_logger(previous);
  const auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[4], HasSubstr("runs.jsonl:5: line skipped"));
  EXPECT_THAT(lines[5], HasSubstr("15 more lines skipped, not run records (from line 6 on)"));
}

TEST_F(FileHistoryTest, AppendsKeepTheListInStepWithoutReadingTheFileAgain) {
  OpenHistory({}, dir_)->Append(PastRun("first", 0, 10)).value();
  auto h = OpenHistory({}, dir_);
  EXPECT_EQ(h->Loads(), 1u);
  for (int i = 1; i <= 50; ++i) {
    h->Append(PastRun("r" + std::to_string(i), i, 10)).value();
    EXPECT_EQ(h->Count().value(), static_cast<std::size_t>(i) + 1);
  }
  EXPECT_EQ(h->List(0, 1).value()[0].id, "r50");
  EXPECT_EQ(h->List(50, 1).value()[0].id, "first");
  ASSERT_TRUE(h->Get("r7").value());
  EXPECT_EQ(h->Loads(), 1u);
  // What it kept is what the file says.
  auto fresh = OpenHistory({}, dir_);
  EXPECT_EQ(fresh->List(0, 100).value(), h->List(0, 100).value());
  // Another writer's append is still seen (one more read).
  fresh->Append(PastRun("cli", 60, 10)).value();
  EXPECT_EQ(h->List(0, 1).value()[0].id, "cli");
  EXPECT_EQ(h->Loads(), 2u);
}

std::vector<std::string> Ids(HistoryStore& h) {
  std::vector<std::string> ids;
  const auto runs = h.List(0, 1000).value();
  for (const auto& r : runs) ids.push_back(r.id);
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
    for (int i = 1; i <= 5; ++i) h->Append(PastRun("r" + std::to_string(i), i, 10)).value();
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
  h->Append(PastRun("a", 1, 10)).value();
  h->SetBaseline("a").value();
  h->Append(PastRun("b", 2, 10)).value();
  h->Append(PastRun("c", 3, 10)).value();
  h->Append(PastRun("d", 4, 10)).value();
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
    h->Append(PastRun("old", now - 3 * kDay, 10)).value();
    h->Append(PastRun("recent", now - 1 * kDay, 10)).value();
  }
  auto h = OpenFileHistory(two_days, dir_, [&now] { return now; });
  EXPECT_THAT(Ids(*h), ::testing::ElementsAre("recent"));
  now += 2 * kDay;  // "recent" is 3 days old now; the next append applies retention
  h->Append(PastRun("new", now, 10)).value();
  EXPECT_THAT(Ids(*h), ::testing::ElementsAre("new"));
  EXPECT_EQ(LinesOf(dir_ + "/runs.jsonl"), 1u);
}

TEST_F(FileHistoryTest, SeesAppendsFromAnotherProcess) {
  auto daemon = OpenHistory({}, dir_);
  EXPECT_EQ(daemon->Count().value(), 0u);
  auto cli = OpenHistory({}, dir_);
  cli->Append(PastRun("x", 5, 10)).value();
  EXPECT_EQ(daemon->Count().value(), 1u);
}

}  // namespace
}  // namespace reznet::suite
