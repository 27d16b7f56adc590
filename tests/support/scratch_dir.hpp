#pragma once
// A fresh, empty directory for one test's files, removed with everything in it at destruction.

#include <filesystem>
#include <string>

namespace reznet::testing {

class ScratchDir {
 public:
  // Under the system temp directory, named `prefix`-PID-N.
  explicit ScratchDir(const std::string& prefix = "reznet-test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside it.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace reznet::testing
