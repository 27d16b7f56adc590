#include "daemon/file_watch.hpp"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

namespace reznet::daemon {
namespace asio = boost::asio;

namespace {

// Any file written, renamed in or out, or deleted; the directory itself gone. A rename into the
// directory covers atomic writers and symlink swaps (Kubernetes' ..data): any event asks for a
// refresh, which reads only files whose inode, size or mtime changed.
constexpr std::uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;

bool HasGlob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

struct FileWatch::State {
  explicit State(asio::io_context& io) : stream(io) {}
  asio::posix::stream_descriptor stream;
  std::function<void()> changed;
  // Directories by watch descriptor: two spellings of one directory ("d", "./d") share one.
  std::map<int, std::set<std::string>> dirs;
  std::set<std::string> refused;  // directories whose watch failed, logged once
  alignas(inotify_event) std::array<char, 16 * 1024> buffer{};
  bool stopped = false;
};

namespace {

void ReadEvents(const std::shared_ptr<FileWatch::State>& s);

}  // namespace

FileWatch::FileWatch(asio::io_context& io, std::function<void()> changed)
    : state_(std::make_shared<State>(io)) {
  state_->changed = std::move(changed);
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    spdlog::warn("targets_from files are polled only (every refresh): inotify: {}",
                 std::strerror(errno));
    return;
  }
  state_->stream.assign(fd);
  ReadEvents(state_);
}

FileWatch::~FileWatch() { Stop(); }

void FileWatch::Stop() {
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->stream.close(ignored);
}

void FileWatch::Watch(const std::vector<std::string>& patterns) {
  State& s = *state_;
  if (s.stopped || !s.stream.is_open()) return;
  std::set<std::string> wanted;
  for (const auto& pattern : patterns) {
    const auto slash = pattern.rfind('/');
    std::string dir = slash == std::string::npos ? "." : pattern.substr(0, slash);
    if (dir.empty()) dir = "/";
    if (!HasGlob(dir)) wanted.insert(dir);  // a glob in the directory part: polled
  }
  const int fd = s.stream.native_handle();
  std::set<std::string> watched;
  for (auto it = s.dirs.begin(); it != s.dirs.end();) {
    std::erase_if(it->second, [&](const std::string& d) { return !wanted.count(d); });
    if (it->second.empty()) {
      ::inotify_rm_watch(fd, it->first);
      it = s.dirs.erase(it);
      continue;
    }
    watched.insert(it->second.begin(), it->second.end());
    ++it;
  }
  for (const auto& dir : wanted) {
    if (watched.count(dir)) continue;
    // Also after the directory was deleted or moved away (its watch is gone): added anew.
    const int wd = ::inotify_add_watch(fd, dir.c_str(), kEvents | IN_ONLYDIR);
    if (wd < 0) {
      if (s.refused.insert(dir).second)
        spdlog::info("targets_from files in {} are polled only (every refresh): inotify: {}", dir,
                     std::strerror(errno));
      continue;
    }
    s.refused.erase(dir);
    s.dirs[wd].insert(dir);
  }
}

namespace {

void ReadEvents(const std::shared_ptr<FileWatch::State>& s) {
  s->stream.async_read_some(
      asio::buffer(s->buffer), [s](const boost::system::error_code& ec, std::size_t n) {
        if (s->stopped || ec == asio::error::operation_aborted) return;  // the daemon stops
        if (ec) {
          spdlog::warn("targets_from files are polled only (every refresh) from now: inotify: {}",
                       ec.message());
          return;
        }
        bool any = false;
        // The kernel lays events out aligned, each followed by its padded name.
        for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(s->buffer.data() + at);
          if ((e->mask & (IN_IGNORED | IN_MOVE_SELF)) != 0) {
            // The watch is gone (directory deleted) or follows the directory elsewhere: forget
            // it, so the next Watch adds the path again if a directory is there.
            if ((e->mask & IN_MOVE_SELF) != 0) ::inotify_rm_watch(s->stream.native_handle(), e->wd);
            s->dirs.erase(e->wd);
          }
          any = any || (e->mask & IN_IGNORED) == 0;
          at += sizeof(inotify_event) + e->len;
        }
        if (any && s->changed) s->changed();
        ReadEvents(s);
      });
}

}  // namespace

}  // namespace reznet::daemon
