#include "daemon/file_watch.hpp"

#include <fnmatch.h>
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

constexpr std::uint32_t kEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF;

bool HasGlob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

struct FileWatch::State {
  explicit State(asio::io_context& io) : stream(io) {}
  asio::posix::stream_descriptor stream;
  std::function<void()> changed;
  std::map<int, std::string> dirs;                     // by watch descriptor
  std::map<std::string, std::set<std::string>> names;  // name patterns by directory
  std::set<std::string> refused;                       // directories whose watch failed, logged
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
  std::map<std::string, std::set<std::string>> wanted;
  for (const auto& pattern : patterns) {
    const auto slash = pattern.rfind('/');
    std::string dir = slash == std::string::npos ? "." : pattern.substr(0, slash);
    if (dir.empty()) dir = "/";
    if (HasGlob(dir)) continue;  // polled
    wanted[dir].insert(slash == std::string::npos ? pattern : pattern.substr(slash + 1));
  }
  const int fd = s.stream.native_handle();
  for (auto it = s.dirs.begin(); it != s.dirs.end();) {
    if (wanted.count(it->second)) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(fd, it->first);
    it = s.dirs.erase(it);
  }
  for (const auto& [dir, names] : wanted) {
    bool watched = false;
    for (const auto& [wd, d] : s.dirs) watched = watched || d == dir;
    if (watched) continue;
    const int wd = ::inotify_add_watch(fd, dir.c_str(), kEvents | IN_ONLYDIR);
    if (wd < 0) {
      if (s.refused.insert(dir).second)
        spdlog::info("targets_from files in {} are polled only (every refresh): inotify: {}", dir,
                     std::strerror(errno));
      continue;
    }
    s.refused.erase(dir);
    s.dirs[wd] = dir;
  }
  s.names = std::move(wanted);
}

namespace {

// Whether an event is about a file a pattern matches (or the directory itself went away).
bool Relevant(const FileWatch::State& s, const inotify_event& e) {
  if ((e.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) != 0) return true;
  auto dir = s.dirs.find(e.wd);
  if (dir == s.dirs.end() || e.len == 0) return false;
  auto names = s.names.find(dir->second);
  if (names == s.names.end()) return false;
  for (const auto& pattern : names->second) {
    if (::fnmatch(pattern.c_str(), e.name, FNM_PERIOD) == 0) return true;
  }
  return false;
}

void ReadEvents(const std::shared_ptr<FileWatch::State>& s) {
  s->stream.async_read_some(
      asio::buffer(s->buffer), [s](const boost::system::error_code& ec, std::size_t n) {
        if (ec || s->stopped) return;  // closed: the daemon is stopping
        bool any = false;
        // The kernel lays events out aligned, each followed by its padded name.
        for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(s->buffer.data() + at);
          any = any || Relevant(*s, *e);
          at += sizeof(inotify_event) + e->len;
        }
        if (any && s->changed) s->changed();
        ReadEvents(s);
      });
}

}  // namespace

}  // namespace reznet::daemon
