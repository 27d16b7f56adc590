#include "suite/history.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "clients/pg_conn.hpp"
#include "common/json.hpp"

namespace reznet::suite {
namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

void WriteAll(int fd, const std::string& data, const std::string& path) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw HistoryError(Errno("cannot write", path));
    }
    off += static_cast<std::size_t>(n);
  }
}

std::vector<RunRecord> NewestFirst(std::vector<RunRecord> runs) {
  std::stable_sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.started_at > b.started_at;
  });
  return runs;
}

class FileHistory final : public HistoryStore {
 public:
  explicit FileHistory(const std::string& dir)
      : dir_(dir), runs_path_(dir + "/runs.jsonl"), baseline_path_(dir + "/baseline") {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw HistoryError("cannot create state_dir " + dir_ + ": " + ec.message());
    std::lock_guard lock(mutex_);
    Refresh();
  }

  void Append(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    const int fd = ::open(runs_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) throw HistoryError(Errno("cannot open", runs_path_));
    try {
      std::string line = ToJson(run) + "\n";
      // A line cut short by a crash must not swallow this one.
      if (EndsMidLine()) line.insert(line.begin(), '\n');
      WriteAll(fd, line, runs_path_);
      if (::fsync(fd) != 0) throw HistoryError(Errno("cannot fsync", runs_path_));
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    Refresh();
  }

  std::vector<RunRecord> List(std::size_t offset, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    Refresh();
    std::vector<RunRecord> out;
    for (std::size_t i = offset; i < sorted_.size() && out.size() < limit; ++i)
      out.push_back(sorted_[i]);
    return out;
  }

  std::size_t Count() override {
    std::lock_guard lock(mutex_);
    Refresh();
    return sorted_.size();
  }

  std::optional<RunRecord> Get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Refresh();
    for (const auto& r : sorted_) {
      if (r.id == id) return r;
    }
    return std::nullopt;
  }

  void SetBaseline(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Refresh();
    if (std::none_of(sorted_.begin(), sorted_.end(),
                     [&](const RunRecord& r) { return r.id == id; }))
      throw HistoryError("no run \"" + id + "\" in " + runs_path_);
    const std::string tmp = baseline_path_ + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) throw HistoryError(Errno("cannot open", tmp));
    try {
      WriteAll(fd, id + "\n", tmp);
      if (::fsync(fd) != 0) throw HistoryError(Errno("cannot fsync", tmp));
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
    if (std::rename(tmp.c_str(), baseline_path_.c_str()) != 0)
      throw HistoryError(Errno("cannot rename to", baseline_path_));
  }

  std::optional<std::string> BaselineId() override {
    std::lock_guard lock(mutex_);
    std::ifstream in(baseline_path_);
    std::string id;
    if (!in || !std::getline(in, id) || id.empty()) return std::nullopt;
    return id;
  }

  std::string Describe() const override { return runs_path_; }

 private:
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
      loaded_size_ = 0;
      return;
    }
    if (static_cast<std::uintmax_t>(st.st_size) == loaded_size_ && st.st_mtim.tv_sec == mtime_)
      return;
    std::ifstream in(runs_path_, std::ios::binary);
    std::vector<RunRecord> runs;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      std::string why;
      if (auto r = FromJson(line, &why)) {
        runs.push_back(std::move(*r));
      } else if (!warned_.count(number)) {
        warned_.insert(number);
        spdlog::warn("history {}:{}: line skipped, not a run record ({}); the other runs are kept",
                     runs_path_, number, why);
      }
    }
    sorted_ = NewestFirst(std::move(runs));
    loaded_size_ = static_cast<std::uintmax_t>(st.st_size);
    mtime_ = st.st_mtim.tv_sec;
  }

  std::mutex mutex_;
  std::string dir_, runs_path_, baseline_path_;
  std::vector<RunRecord> sorted_;
  std::uintmax_t loaded_size_ = 0;
  std::time_t mtime_ = 0;
  std::set<std::size_t> warned_;
};

namespace pg = clients::pg;

class PgHistory final : public HistoryStore {
 public:
  explicit PgHistory(const config::HistoryConfig& h) {
    auto params = pg::ParseDsn(h.dsn, h.password);
    if (!params) throw HistoryError("history.dsn: " + params.error());
    params_ = std::move(*params);
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    Exec(conn.get(),
         "CREATE TABLE IF NOT EXISTS reznet_perfd_runs ("
         " id text PRIMARY KEY, started_at double precision NOT NULL,"
         " profile text NOT NULL, state text NOT NULL, record jsonb NOT NULL)",
         {});
    Exec(conn.get(),
         "CREATE TABLE IF NOT EXISTS reznet_perfd_baseline ("
         " only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
         " run_id text NOT NULL REFERENCES reznet_perfd_runs(id))",
         {});
  }

  void Append(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    Exec(conn.get(),
         "INSERT INTO reznet_perfd_runs (id, started_at, profile, state, record)"
         " VALUES ($1, $2::double precision, $3, $4, $5::jsonb)"
         " ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, record = EXCLUDED.record",
         {run.id, common::JsonNumber(run.started_at), run.profile, run.state, ToJson(run)});
  }

  std::vector<RunRecord> List(std::size_t offset, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    auto res = Exec(conn.get(),
                    "SELECT record::text FROM reznet_perfd_runs ORDER BY started_at DESC, id"
                    " LIMIT $1::bigint OFFSET $2::bigint",
                    {std::to_string(limit), std::to_string(offset)});
    std::vector<RunRecord> out;
    for (int i = 0; i < PQntuples(res.get()); ++i) {
      if (auto r = Parse(PQgetvalue(res.get(), i, 0))) out.push_back(std::move(*r));
    }
    return out;
  }

  std::size_t Count() override {
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    auto res = Exec(conn.get(), "SELECT count(*) FROM reznet_perfd_runs", {});
    return std::stoull(PQgetvalue(res.get(), 0, 0));
  }

  std::optional<RunRecord> Get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    auto res = Exec(conn.get(), "SELECT record::text FROM reznet_perfd_runs WHERE id = $1", {id});
    if (PQntuples(res.get()) == 0) return std::nullopt;
    return Parse(PQgetvalue(res.get(), 0, 0));
  }

  void SetBaseline(const std::string& id) override {
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    auto res = Exec(conn.get(), "SELECT 1 FROM reznet_perfd_runs WHERE id = $1", {id});
    if (PQntuples(res.get()) == 0)
      throw HistoryError("no run \"" + id + "\" in postgres " + params_.Describe());
    Exec(conn.get(),
         "INSERT INTO reznet_perfd_baseline (only_row, run_id) VALUES (true, $1)"
         " ON CONFLICT (only_row) DO UPDATE SET run_id = EXCLUDED.run_id",
         {id});
  }

  std::optional<std::string> BaselineId() override {
    std::lock_guard lock(mutex_);
    auto conn = Connect();
    auto res = Exec(conn.get(), "SELECT run_id FROM reznet_perfd_baseline", {});
    if (PQntuples(res.get()) == 0) return std::nullopt;
    return std::string(PQgetvalue(res.get(), 0, 0));
  }

  std::string Describe() const override { return "postgres " + params_.Describe(); }

 private:
  pg::ConnPtr Connect() {
    auto conn = pg::Connect(params_, std::chrono::seconds(5), std::chrono::seconds(10));
    if (!conn) throw HistoryError("history store " + Describe() + ": " + conn.error().detail);
    return std::move(*conn);
  }

  pg::ResultPtr Exec(PGconn* conn, const char* sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    pg::ResultPtr res(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0));
    const auto status = PQresultStatus(res.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      throw HistoryError("history store " + Describe() + ": " +
                         pg::ResultError(conn, res.get()).detail);
    return res;
  }

  std::optional<RunRecord> Parse(const char* text) {
    std::string why;
    auto r = FromJson(text, &why);
    if (!r) spdlog::warn("history {}: a row is not a run record ({}); skipped", Describe(), why);
    return r;
  }

  std::mutex mutex_;
  pg::ConnParams params_;
};

}  // namespace

std::vector<std::string> CheckHistory(const config::HistoryConfig& history,
                                      const std::string& state_dir) {
  if (history.store == "postgres") {
    auto params = pg::ParseDsn(history.dsn, history.password);
    if (!params) return {"history.dsn: " + params.error()};
    return {};
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir(state_dir.empty() ? "." : state_dir);
  if (!fs::exists(dir, ec)) {
    // Not created here (check-config must not leave directories behind): the nearest existing
    // ancestor must be a directory the daemon may create it in.
    fs::path up = fs::absolute(dir, ec).parent_path();
    while (!up.empty() && !fs::exists(up, ec) && up != up.root_path()) up = up.parent_path();
    if (!fs::is_directory(up, ec) || ::access(up.c_str(), W_OK | X_OK) != 0)
      return {"daemon.state_dir: cannot create " + state_dir + ": " + up.string() +
              (fs::is_directory(up, ec) ? " is not writable" : " is not a directory")};
    return {};
  }
  if (!fs::is_directory(dir, ec))
    return {"daemon.state_dir: cannot create " + state_dir + ": it exists and is not a directory"};
  if (fs::is_directory(dir / "runs.jsonl", ec))
    return {"daemon.state_dir: " + state_dir + "/runs.jsonl is a directory; move it away"};
  const fs::path probe = fs::path(state_dir) / (".write-check-" + std::to_string(::getpid()));
  {
    std::ofstream out(probe, std::ios::trunc);
    out << "ok\n";
    out.flush();
    if (!out) {
      return {"daemon.state_dir: cannot write in " + state_dir +
              " (suite runs would be lost); make it writable or point state_dir elsewhere"};
    }
  }
  fs::remove(probe, ec);
  return {};
}

std::unique_ptr<HistoryStore> OpenHistory(const config::HistoryConfig& history,
                                          const std::string& state_dir) {
  if (history.store == "postgres") return std::make_unique<PgHistory>(history);
  return std::make_unique<FileHistory>(state_dir);
}

}  // namespace reznet::suite
