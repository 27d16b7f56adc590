#include "suite/history.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "clients/pg_conn.hpp"
#include "suite/file_history.hpp"
#include "suite/pg_history.hpp"

namespace reznet::suite {

namespace pg = clients::pg;

std::vector<std::string> CheckHistory(const config::HistoryConfig& history,
                                      const std::string& state_dir) {
  if (history.store == "postgres") {
    auto params = pg::ParseDsn(history.dsn, history.password);
    if (!params) return {"history.dsn: " + params.error().detail};
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
  if (history.store == "postgres") return OpenPgHistory(history);
  return OpenFileHistory(history, state_dir);
}

}  // namespace reznet::suite
