#pragma once
// The open files limit (RLIMIT_NOFILE): every connection is a descriptor, and the soft default of
// 1024 runs out long before the hard limit does.

#include <cstdint>
#include <string>

namespace reznet::common {

struct FdLimit {
  std::uint64_t before = 0;  // the soft limit found
  std::uint64_t soft = 0;    // the soft limit now
  std::uint64_t hard = 0;
  std::string error;  // setrlimit's reason when raising failed; "" otherwise
};

// Raises the soft limit to the hard one (when it is lower). Never throws.
FdLimit RaiseFdLimit();

// Descriptors this process has open now (/proc/self/fd), 0 when that cannot be read.
std::uint64_t OpenFds();

}  // namespace reznet::common
