#include "common/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace reznet::common {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

const char* KindOf(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

}  // namespace

std::string FirstLine(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::string(line);
}

std::string FormatBytes(std::size_t bytes) {
  constexpr std::size_t kKiB = 1024;
  constexpr std::size_t kMiB = kKiB * kKiB;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

common::Result<std::string> ReadFileBounded(const std::string& path, std::size_t max_bytes) {
  const auto not_a_file = [&](mode_t mode) {
    return common::Invalid(path + ": not a regular file (" + KindOf(mode) + "); refused");
  };
  struct stat st {};
  // Judged before it is opened: opening a device can act on it (a watchdog, a tape), so only a
  // regular file is opened at all. The fstat below checks that the file opened is still one.
  if (::stat(path.c_str(), &st) != 0)
    return common::Invalid(path + ": cannot open: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return not_a_file(st.st_mode);
  // O_NONBLOCK: should a FIFO take the file's place meanwhile, open(2) returns at once instead
  // of waiting for a writer; on a regular file it changes nothing. O_NOCTTY: a terminal never
  // becomes ours.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (f.fd < 0) return common::Invalid(path + ": cannot open: " + std::strerror(errno));
  if (::fstat(f.fd, &st) != 0) return common::Invalid(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return not_a_file(st.st_mode);
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::string limit = "larger than the " + FormatBytes(max_bytes) + " limit";
  if (size > max_bytes)
    return common::Invalid(path + ": " + limit + " (" + FormatBytes(size) + ")");
  // The file may grow between fstat and read: read one byte past the limit to notice.
  std::string text(size + 1 <= max_bytes ? size + 1 : max_bytes + 1, '\0');
  std::size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (got > max_bytes) return common::Invalid(path + ": " + limit);
      text.resize(std::min(max_bytes + 1, got * 2 + 4096));
    }
    const ssize_t n = ::read(f.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return common::Invalid(path + ": read error: " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) return common::Invalid(path + ": " + limit);
  text.resize(got);
  return text;
}

}  // namespace reznet::common
