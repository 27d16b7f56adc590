// Run records (suite/record.hpp): JSON round trip, refusal of wrong types, run ids.
#include "suite/record.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "suite/test_runs.hpp"

namespace reznet::suite {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace test_runs;

TEST(Record, JsonRoundTrip) {
  const RunRecord r = SampleRun();
  const std::string line = ToJson(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto back = ParseRun(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(ToJson(*back), line);
  EXPECT_EQ(back->nfrs.size(), 3u);
  EXPECT_EQ(back->probes[1].errors.at("connect"), 3);
  std::string why;
  EXPECT_FALSE(ParseNoting("{\"id\": \"x\", \"probes\": 3}", why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(ParseNoting("{\"id\": \"x\", \"pro", why));
}

TEST(Record, FieldsOfTheWrongTypeAreNotARunAndTheErrorNamesThem) {
  std::string why;
  EXPECT_FALSE(ParseNoting(R"({"id": "x", "profile": 5})", why));
  EXPECT_EQ(why, "profile: expected a string");
  EXPECT_FALSE(ParseNoting(R"({"id": "x", "started_at": "yesterday"})", why));
  EXPECT_EQ(why, "started_at: expected a number");
  EXPECT_FALSE(ParseNoting(R"({"id": "x", "labels": {"commit": 7}})", why));
  EXPECT_EQ(why, "labels: expected a string");
  EXPECT_FALSE(ParseNoting(R"({"id": "x", "probes": [{"name": "api", "skipped": "no"}]})", why));
  EXPECT_EQ(why, "skipped: expected true or false");
  EXPECT_FALSE(ParseNoting(R"({"id": "x", "nfrs": [{"nfr": "a", "value": "fast"}]})", why));
  EXPECT_EQ(why, "value: expected a number");
  EXPECT_FALSE(ParseNoting(R"(["id", "x"])", why));
  EXPECT_EQ(why, "the line: expected an object");
  // Absent keys and nulls where a number may be missing are still fine (older lines).
  auto old = ParseNoting(R"({"id": "x", "finished_at": null})", why);
  ASSERT_TRUE(old) << why;
  EXPECT_EQ(old->finished_at, 0);
}

TEST(Record, RunIdsAreTimeOrderedAndDistinct) {
  auto a = NewRunId(1795769112.0);
  auto b = NewRunId(1795769112.0);
  EXPECT_EQ(a.substr(0, 17), "20261127T084512Z-");
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace reznet::suite
