// ReadFileBounded: what is not a regular file, or is too large, is refused without blocking.
#include "common/read_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace reznet::common {
namespace {

namespace fs = std::filesystem;

class ReadFileBoundedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "reznet-read-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(ReadFileBoundedTest, ReadsARegularFileWhole) {
  const std::string text = std::string(100000, 'x') + "\nend";
  auto got = ReadFileBounded(Write("ok.json", text), 1 << 20);
  ASSERT_TRUE(got.has_value()) << got.error().detail;
  EXPECT_EQ(*got, text);
  auto empty = ReadFileBounded(Write("empty.json", ""), 10);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  auto exact = ReadFileBounded(Write("exact.json", "0123456789"), 10);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(*exact, "0123456789");
}

// A FIFO without a writer: a blocking open would never return (the test would hang).
TEST_F(ReadFileBoundedTest, RefusesAFifoWithoutBlocking) {
  const std::string path = (dir_ / "pipe.json").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto got = ReadFileBounded(path, 1 << 20);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().detail, path + ": not a regular file (a FIFO); refused");
}

// Opening a device can act on it (a watchdog, a tape): what is not a regular file is refused
// before it is opened. inotify reports every open of the FIFO; there must be none.
TEST_F(ReadFileBoundedTest, WhatIsNotARegularFileIsNeverOpened) {
  const std::string path = (dir_ / "watched.json").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(in, 0);
  ASSERT_GE(::inotify_add_watch(in, path.c_str(), IN_OPEN), 0);
  EXPECT_FALSE(ReadFileBounded(path, 1 << 20).has_value());
  alignas(inotify_event) char buf[4096];
  EXPECT_LT(::read(in, buf, sizeof buf), 0) << "the FIFO was opened";
  // The watch itself works: an open is seen.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_GT(::read(in, buf, sizeof buf), 0);
  ::close(in);
}

TEST_F(ReadFileBoundedTest, RefusesADirectoryAndADevice) {
  auto dir = ReadFileBounded(dir_.string(), 1 << 20);
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().detail, dir_.string() + ": not a regular file (a directory); refused");
  auto zero = ReadFileBounded("/dev/zero", 1 << 20);  // would never end
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().detail, "/dev/zero: not a regular file (a character device); refused");
}

TEST_F(ReadFileBoundedTest, RefusesAFileOverTheLimitSayingWhichLimit) {
  const std::string path = Write("big.json", std::string(2048 + 1, 'x'));
  auto got = ReadFileBounded(path, 2048);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().detail, path + ": larger than the 2 KiB limit (2049 bytes)");
}

TEST_F(ReadFileBoundedTest, SaysWhyAMissingFileCannotBeOpened) {
  const std::string path = (dir_ / "gone.json").string();
  auto got = ReadFileBounded(path, 10);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().detail, path + ": cannot open: No such file or directory");
}

TEST(FirstLine, DropsTheLineEnd) {
  EXPECT_EQ(FirstLine("pw\r\nnext"), "pw");
  EXPECT_EQ(FirstLine("pw\n"), "pw");
  EXPECT_EQ(FirstLine("pw"), "pw");
  EXPECT_EQ(FirstLine(""), "");
}

TEST(FormatBytes, IsExact) {
  EXPECT_EQ(FormatBytes(16 * 1024 * 1024), "16 MiB");
  EXPECT_EQ(FormatBytes(3 * 1024), "3 KiB");
  EXPECT_EQ(FormatBytes(1000), "1000 bytes");
}

}  // namespace
}  // namespace reznet::common
