#include "tests/support/scratch_dir.hpp"

#include <unistd.h>

#include <atomic>

namespace reznet::testing {

ScratchDir::ScratchDir(const std::string& prefix) {
  static std::atomic<int> counter = 0;
  path_ = std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);  // left over by a killed run with the same pid
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;  // a destructor must not throw; a leftover in /tmp is harmless
  std::filesystem::remove_all(path_, ec);
}

}  // namespace reznet::testing
