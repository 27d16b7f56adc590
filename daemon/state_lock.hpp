#pragma once
// One daemon per state_dir, as Prometheus does with its data directory: `serve` holds an
// exclusive flock(2) on <state_dir>/lock for its lifetime, with its pid written in the file, so a
// second daemon given the same directory refuses to start (two writers would interleave
// runs.jsonl and overwrite each other's baseline). The kernel drops the lock when the process
// ends, however it ends: a stale file never blocks a restart.

#include <expected>
#include <string>

#include "common/error.hpp"

namespace reznet::daemon {

class StateDirLock {
 public:
  // Creates `state_dir` if needed and takes the lock without waiting. The error names the
  // directory and, when another process holds it, that process's pid.
  static common::Result<StateDirLock> Acquire(const std::string& state_dir);

  StateDirLock(StateDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateDirLock& operator=(StateDirLock&&) = delete;
  StateDirLock(const StateDirLock&) = delete;
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace reznet::daemon
