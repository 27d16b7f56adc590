#pragma once
// Reading a file named by a user (a config, a file_sd file, a password or PEM file) without
// trusting what the name points at: a FIFO would block the reader until a writer comes, a
// character device (/dev/zero) or a huge file would never end. Thread-safe (no shared state).

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace reznet::common {

// The whole content of the regular file at `path`, at most `max_bytes` long. Opens without
// blocking (O_NONBLOCK: a FIFO with no writer does not hold the caller) and refuses what is not
// a regular file, or is larger than `max_bytes`, before reading a byte. The error starts with
// `path` and says why: "p: cannot open: No such file or directory", "p: not a regular file (a
// FIFO)", "p: larger than the 16 MiB limit (20 MiB)".
common::Result<std::string> ReadFileBounded(const std::string& path, std::size_t max_bytes);

// The first line of `text`, without its "\n" or "\r\n" (a password file's password).
std::string FirstLine(std::string_view text);

// `bytes` for messages, exact: "16 MiB", "512 KiB", "1000 bytes".
std::string FormatBytes(std::size_t bytes);

}  // namespace reznet::common
