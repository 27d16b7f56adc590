// The targets_from directory watch (daemon/file_watch.hpp): a write, an atomic rename and a
// directory deleted and made again each ask for a refresh.
#include "daemon/file_watch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

namespace reznet::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the io_context until the watch reported a change or `limit` passed.
  bool Changed(std::chrono::milliseconds limit = 5s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (changes_ == 0 && std::chrono::steady_clock::now() < until) {
      io_.restart();
      io_.run_for(20ms);
    }
    const bool seen = changes_ > 0;
    changes_ = 0;
    return seen;
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / (name + ".tmp")) << text;
    fs::rename(dir_ / (name + ".tmp"), dir_ / name);
  }

  const fs::path dir_ =
      fs::temp_directory_path() / ("reznet-file-watch-" + std::to_string(::getpid()));
  boost::asio::io_context io_;
  int changes_ = 0;
  FileWatch watch_{io_, [this] { ++changes_; }};
};

TEST_F(FileWatchTest, AWriteInTheDirectoryAsksForARefresh) {
  watch_.Watch({(dir_ / "*.json").string()});
  EXPECT_FALSE(Changed(200ms));  // nothing happened yet
  Write("web.json", "[]");
  EXPECT_TRUE(Changed());
  fs::remove(dir_ / "web.json");
  EXPECT_TRUE(Changed());
}

TEST_F(FileWatchTest, ADirectoryDeletedAndMadeAgainIsWatchedAgain) {
  const std::vector<std::string> patterns = {(dir_ / "*.json").string(),
                                             (dir_ / "." / "other.json").string()};
  watch_.Watch(patterns);
  fs::remove_all(dir_);
  EXPECT_TRUE(Changed());  // the directory went: a refresh finds its files gone
  fs::create_directories(dir_);
  watch_.Watch(patterns);  // what the refresh timer does
  Write("web.json", "[]");
  EXPECT_TRUE(Changed());
}

TEST_F(FileWatchTest, AfterStopNothingRuns) {
  watch_.Watch({(dir_ / "*.json").string()});
  watch_.Stop();
  Write("web.json", "[]");
  EXPECT_FALSE(Changed(300ms));
}

}  // namespace
}  // namespace reznet::daemon
