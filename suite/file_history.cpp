#include "suite/file_history.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>

namespace reznet::suite {
namespace {

// Bad lines named one by one per read of the file; the rest are counted in one line.
constexpr std::size_t kLineWarnings = 5;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

common::Result<void> WriteAll(int fd, const std::string& data, const std::string& path) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(Errno("cannot write", path));
    }
    off += static_cast<std::size_t>(n);
  }
  return {};
}

bool NewerFirst(const RunRecord& a, const RunRecord& b) { return a.started_at > b.started_at; }

// An open descriptor that closes itself.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct FileStamp {
  std::uintmax_t size = 0;
  std::time_t mtime = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp StampOf(const struct stat& st) {
  return {static_cast<std::uintmax_t>(st.st_size), st.st_mtim.tv_sec};
}

class FileHistory final : public HistoryStore {
 public:
  FileHistory(const config::HistoryConfig& config, const std::string& dir, WallClock now)
      : config_(config),
        now_(std::move(now)),
        dir_(dir),
        runs_path_(dir + "/runs.jsonl"),
        baseline_path_(dir + "/baseline") {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw HistoryError("cannot create state_dir " + dir_ + ": " + ec.message());
    std::lock_guard lock(mutex_);
    Refresh();
    Prune();
  }

  common::Result<void> Append(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    Refresh();  // catch up with another writer first (`reznet-perfd run`): a stat when none did
    Fd fd(::open(runs_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (fd.get() < 0) return Unavailable(Errno("cannot open", runs_path_));
    struct stat before {};
    if (::fstat(fd.get(), &before) != 0) return Unavailable(Errno("cannot stat", runs_path_));
    std::string line = ToJson(run) + "\n";
    // A line cut short by a crash must not swallow this one.
    if (EndsMidLine()) line.insert(line.begin(), '\n');
    if (auto written = WriteAll(fd.get(), line, runs_path_); !written) return written;
    if (::fsync(fd.get()) != 0) return Unavailable(Errno("cannot fsync", runs_path_));
    struct stat after {};
    const bool only_ours = ::fstat(fd.get(), &after) == 0 && StampOf(before).size == loaded_.size &&
                           StampOf(after).size == loaded_.size + line.size();
    if (!only_ours) {
      loaded_ = {};  // someone else wrote too: the next call reads the file again
      return {};
    }
    // The list follows what was appended; re-reading the file would cost O(history) per run.
    sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), run, NewerFirst), run);
    loaded_ = StampOf(after);
    Prune();
    return {};
  }

  common::Result<std::vector<RunRecord>> List(std::size_t offset, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    Refresh();
    std::vector<RunRecord> out;
    for (std::size_t i = offset; i < sorted_.size() && out.size() < limit; ++i)
      out.push_back(sorted_[i]);
    return out;
  }

  common::Result<std::size_t> Count() override {
    std::lock_guard lock(mutex_);
    Refresh();
    return sorted_.size();
  }

  common::Result<std::optional<RunRecord>> Get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Refresh();
    for (const auto& r : sorted_) {
      if (r.id == id) return r;
    }
    return std::optional<RunRecord>{};
  }

  common::Result<void> SetBaseline(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Refresh();
    if (std::none_of(sorted_.begin(), sorted_.end(),
                     [&](const RunRecord& r) { return r.id == id; }))
      return common::Fail(common::ErrorKind::kNotFound, "no run \"" + id + "\" in " + runs_path_);
    return ReplaceFile(baseline_path_, id + "\n");
  }

  common::Result<std::optional<std::string>> BaselineId() override {
    std::lock_guard lock(mutex_);
    return ReadBaseline();
  }

  std::string Describe() const override { return runs_path_; }

  std::uint64_t Loads() const override {
    std::lock_guard lock(mutex_);
    return loads_;
  }

 private:
  // Write a temporary file, fsync it, rename it over `path`: readers see the old or the new.
  static common::Result<void> ReplaceFile(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".tmp";
    {
      Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
      if (fd.get() < 0) return Unavailable(Errno("cannot open", tmp));
      if (auto written = WriteAll(fd.get(), content, tmp); !written) return written;
      if (::fsync(fd.get()) != 0) return Unavailable(Errno("cannot fsync", tmp));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      return Unavailable(Errno("cannot rename to", path));
    // The rename itself survives a crash only once the directory is on disk.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    Fd dir_fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0)
      return Unavailable(Errno("cannot fsync", dir));
    return {};
  }

  std::optional<std::string> ReadBaseline() const {
    std::ifstream in(baseline_path_);
    std::string id;
    if (!in || !std::getline(in, id) || id.empty()) return std::nullopt;
    return id;
  }

  // Retention. Runs are rare and a rewrite is one sequential write, so it happens whenever a run
  // falls out. A failure keeps the runs (nothing is lost) and says so.
  void Prune() {
    std::vector<RunRecord> kept = Retained(sorted_, config_, ReadBaseline(), now_());
    if (kept.size() == sorted_.size()) return;
    struct stat st {};
    // Another process wrote since the file was read: its runs must not be dropped by the
    // rewrite; the next append or start prunes.
    if (::stat(runs_path_.c_str(), &st) != 0 || StampOf(st) != loaded_) return;
    std::string content;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) content += ToJson(*it) + "\n";
    if (auto replaced = ReplaceFile(runs_path_, content); !replaced) {
      spdlog::warn("history {}: retention not applied ({}); all runs kept", runs_path_,
                   replaced.error().detail);
      return;
    }
    spdlog::info("history {}: {} run(s) dropped by retention (keep_runs {}, keep_days {})",
                 runs_path_, sorted_.size() - kept.size(), config_.keep_runs, config_.keep_days);
    sorted_ = std::move(kept);
    loaded_ = ::stat(runs_path_.c_str(), &st) == 0 ? StampOf(st) : FileStamp{};
  }

  bool EndsMidLine() const {
    std::ifstream in(runs_path_, std::ios::binary | std::ios::ate);
    if (!in || in.tellg() <= 0) return false;
    in.seekg(-1, std::ios::end);
    char c = 0;
    in.get(c);
    return c != '\n';
  }

  // Re-reads the file when it changed (another process — `reznet-perfd run` — may append).
  void Refresh() {
    struct stat st {};
    if (::stat(runs_path_.c_str(), &st) != 0) {
      sorted_.clear();
      loaded_ = {};
      return;
    }
    if (StampOf(st) == loaded_) return;
    Load(StampOf(st));
  }

  void Load(FileStamp stamp) {
    ++loads_;
    std::ifstream in(runs_path_, std::ios::binary);
    std::vector<RunRecord> runs;
    std::string line;
    std::size_t number = 0, named = 0, more = 0, first_more = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      if (auto r = ParseRun(line)) {
        runs.push_back(std::move(*r));
      } else if (warned_.insert(number).second) {
        if (named++ < kLineWarnings) {
          spdlog::warn(
              "history {}:{}: line skipped, not a run record ({}); the other runs are kept",
              runs_path_, number, r.error().detail);
        } else if (more++ == 0) {
          first_more = number;
        }
      }
    }
    if (more > 0)
      spdlog::warn("history {}: {} more lines skipped, not run records (from line {} on)",
                   runs_path_, more, first_more);
    std::stable_sort(runs.begin(), runs.end(), NewerFirst);
    sorted_ = std::move(runs);
    loaded_ = stamp;
  }

  mutable std::mutex mutex_;
  const config::HistoryConfig config_;
  const WallClock now_;
  std::string dir_, runs_path_, baseline_path_;
  std::vector<RunRecord> sorted_;  // newest first
  FileStamp loaded_;               // of the file sorted_ was read from (or kept in step with)
  std::uint64_t loads_ = 0;
  std::set<std::size_t> warned_;  // line numbers already warned about
};

}  // namespace

double SystemNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<RunRecord> Retained(std::vector<RunRecord> newest_first,
                                const config::HistoryConfig& history,
                                const std::optional<std::string>& baseline_id, double now) {
  const double cutoff = history.keep_days > 0
                            ? now - static_cast<double>(history.keep_days) * 86400.0
                            : -std::numeric_limits<double>::infinity();
  std::vector<RunRecord> kept;
  for (std::size_t i = 0; i < newest_first.size(); ++i) {
    auto& r = newest_first[i];
    const bool within = static_cast<std::int64_t>(i) < history.keep_runs && r.started_at >= cutoff;
    if (within || (baseline_id && r.id == *baseline_id)) kept.push_back(std::move(r));
  }
  return kept;
}

std::unique_ptr<HistoryStore> OpenFileHistory(const config::HistoryConfig& history,
                                              const std::string& state_dir, WallClock now) {
  return std::make_unique<FileHistory>(history, state_dir, std::move(now));
}

}  // namespace reznet::suite
