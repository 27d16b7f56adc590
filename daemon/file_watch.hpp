#pragma once
// FileWatch: tells when a file in the directory of one of some path patterns (targets_from globs)
// may have changed, through inotify, so discovery applies a rewritten file at once instead of at
// the next `refresh:` tick (Prometheus' file_sd watches and refreshes the same way: any event in
// the directory asks for a refresh, which reads only files whose stamp changed). Polling stays: a
// pattern whose directory is itself a glob, a directory that does not exist yet (watched from the
// first Watch after it appears), a network file system without inotify events, or inotify refused
// (its instance or watch limits) are caught by the next refresh; a watch that fails is logged once.
//
// Not thread-safe: Watch and the callback run on the io_context's thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace reznet::daemon {

class FileWatch {
 public:
  // `changed` runs on `io`'s thread after events in a watched directory, at most once per batch
  // of events read together.
  FileWatch(boost::asio::io_context& io, std::function<void()> changed);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // Watches the directories of `patterns` (absolute or relative paths whose last component may
  // be a glob), replacing the previous set. Stops at once when the daemon stops (Stop).
  void Watch(const std::vector<std::string>& patterns);
  void Stop();

  struct State;  // public so the handlers in the .cpp can name it

 private:
  std::shared_ptr<State> state_;
};

}  // namespace reznet::daemon
