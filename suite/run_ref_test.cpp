// Run references (suite/run_ref.hpp): ids, unique prefixes, commit labels, latest, previous,
// baseline, and refusals that say why.
#include "suite/run_ref.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "suite/test_runs.hpp"
#include "tests/support/scratch_dir.hpp"

namespace reznet::suite {
namespace {

using ::testing::HasSubstr;
using namespace test_runs;

class RunRefTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Oldest first; the store lists newest first.
    Add("20261201T090000Z-aaaaaa", 1, "1111abc");
    Add("20261202T090000Z-bbbbbb", 2, "2222def");
    Add("20261202T100000Z-cccccc", 3, "2222def");  // a second run of the same commit
    Add("20261203T090000Z-dddddd", 4, "");
  }
  void Add(const std::string& id, double started, const std::string& commit) {
    RunRecord r = PastRun(id, started, 100);
    if (!commit.empty()) r.labels["commit"] = commit;
    history_->Append(r).value();
  }
  std::string Resolved(std::string_view ref) {
    auto r = ResolveRun(*history_, ref);
    return r ? r->id : "error: " + r.error().detail;
  }
  testing::ScratchDir scratch_{"reznet-runref"};
  std::unique_ptr<HistoryStore> history_ = OpenHistory({}, scratch_.path().string());
};

TEST_F(RunRefTest, IdsPrefixesAndKeywords) {
  EXPECT_EQ(Resolved("20261202T090000Z-bbbbbb"), "20261202T090000Z-bbbbbb");
  EXPECT_EQ(Resolved("20261201"), "20261201T090000Z-aaaaaa");
  EXPECT_EQ(Resolved("latest"), "20261203T090000Z-dddddd");
  EXPECT_EQ(Resolved("previous"), "20261202T100000Z-cccccc");
  EXPECT_EQ(ResolveRun(*history_, "baseline").error().kind, common::ErrorKind::kNotFound);
  history_->SetBaseline("20261201T090000Z-aaaaaa").value();
  EXPECT_EQ(Resolved("baseline"), "20261201T090000Z-aaaaaa");
}

TEST_F(RunRefTest, ACommitNamesItsNewestRun) {
  EXPECT_EQ(Resolved("2222def"), "20261202T100000Z-cccccc");
  EXPECT_EQ(Resolved("2222"), "20261202T100000Z-cccccc");  // a prefix of one commit
  EXPECT_EQ(Resolved("1111abc"), "20261201T090000Z-aaaaaa");
}

TEST_F(RunRefTest, AmbiguousOrUnknownReferencesAreRefusedWithWhy) {
  auto r = ResolveRun(*history_, "20261202");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, common::ErrorKind::kInvalid);
  EXPECT_EQ(r.error().detail,
            "\"20261202\" fits 2 runs: 20261202T100000Z-cccccc (commit 2222def), "
            "20261202T090000Z-bbbbbb (commit 2222def); give more of the id");
  r = ResolveRun(*history_, "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, common::ErrorKind::kNotFound);
  EXPECT_THAT(r.error().detail, HasSubstr("no run \"nope\": give a run id, a unique prefix of one, "
                                          "a commit label, latest, previous or baseline"));
  EXPECT_EQ(ResolveRun(*history_, "").error().kind, common::ErrorKind::kNotFound);
}

TEST_F(RunRefTest, KeywordsOnAnEmptyHistory) {
  testing::ScratchDir empty{"reznet-runref-empty"};
  auto h = OpenHistory({}, empty.path().string());
  EXPECT_EQ(ResolveRun(*h, "latest").error().detail, "no latest run: the history holds none");
  EXPECT_EQ(ResolveRun(*h, "previous").error().detail, "no previous run: the history holds none");
}

}  // namespace
}  // namespace reznet::suite
