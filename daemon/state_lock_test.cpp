#include "daemon/state_lock.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/support/scratch_dir.hpp"

namespace reznet::daemon {
namespace {

using ::testing::HasSubstr;

TEST(StateDirLock, ASecondHolderIsAConflictNamingTheFirst) {
  testing::ScratchDir dir("state-lock");
  const std::string state = dir / "state";
  auto first = StateDirLock::Acquire(state);
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  std::ifstream pid_file(state + "/lock");
  std::string pid;
  std::getline(pid_file, pid);
  EXPECT_EQ(pid, std::to_string(::getpid()));

  // flock belongs to the open file: a second open in this process is refused like another's.
  auto second = StateDirLock::Acquire(state);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind, common::ErrorKind::kConflict);
  EXPECT_THAT(second.error().detail, HasSubstr("in use by another reznet-perfd (pid " + pid));
}

TEST(StateDirLock, IsFreeAgainOnceReleased) {
  testing::ScratchDir dir("state-lock");
  { ASSERT_TRUE(StateDirLock::Acquire(dir / "s").has_value()); }
  EXPECT_TRUE(StateDirLock::Acquire(dir / "s").has_value());
}

TEST(StateDirLock, AStateDirThatCannotBeMadeIsInvalid) {
  testing::ScratchDir dir("state-lock");
  std::ofstream(dir / "file") << "x";
  auto lock = StateDirLock::Acquire(dir / "file");  // a file where the directory should be
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().kind, common::ErrorKind::kInvalid);
  EXPECT_THAT(lock.error().detail, HasSubstr("daemon.state_dir"));
}

}  // namespace
}  // namespace reznet::daemon
