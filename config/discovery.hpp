#pragma once
// File-based target discovery (issue #17): a probe with `targets_from:` is a template; each target
// listed in its Prometheus file_sd files becomes one scheduled probe named `<probe>/<host:port>`.
//
//   probes:
//     - name: web
//       kind: http
//       target: backend            # optional template (credentials, headers, scheme, base path)
//       interval: 15s
//       http: { path: /health }
//       targets_from:
//         files: ["/etc/reznet-perfd/targets/*.json", "/etc/reznet-perfd/extra.yaml"]
//         refresh: 30s             # read again this often (at least 1s), and on every reload
//         max_targets: 1000        # per probe; the rest are dropped and reported
//
// A file (JSON or YAML, yaml-cpp reads both) lists groups, as Prometheus file_sd does:
//   [{"targets": ["10.0.0.1:8080", "api.internal:8443"], "labels": {"team": "payments"}}]
//
// Faults: a file that cannot be read or parsed (truncated, empty, not a list) keeps its last good
// targets and is reported with its position; a file a glob no longer matches is gone with its
// targets (Prometheus semantics: deleting a file removes its group), while a path written without
// a glob that vanishes keeps its last good targets (a named file is expected to exist: a missing
// one is a fault, like a half-written one). A malformed address or a label that is not a valid
// Prometheus name is skipped and reported, never fatal. Reading and parsing happen on the reload
// thread (daemon/discovery.hpp), never on the probe or API threads.

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "config/config.hpp"

namespace reznet::config {

class MapReader;

// One target listed in a file, with its group's labels (sorted by name, valid names only).
struct DiscoveredTarget {
  std::string address;
  std::vector<std::pair<std::string, std::string>> labels;
  bool operator==(const DiscoveredTarget&) const = default;
};

struct FileSdDocument {
  std::vector<DiscoveredTarget> targets;
  std::vector<std::string> warnings;  // what was skipped in a readable file, and why
};

// Files larger than this are refused (and keep their last good targets), as is anything that is
// not a regular file (a FIFO, a directory, a device a glob happens to match): opened without
// blocking (common::ReadFileBounded), counted as an error and logged once.
constexpr std::size_t kMaxFileSdBytes = 16 * 1024 * 1024;

// Parses file_sd text. The error names `file`, line and column: "f.json:3:1: …".
common::Result<FileSdDocument> ParseFileSd(std::string_view text, const std::string& file);

// Whether `name` may be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*) set by a file: names
// starting with "__" are reserved.
bool ValidDiscoveredLabelName(std::string_view name);

// The `targets_from:` block of a probe; problems go to r.diag().
TargetsFrom ParseTargetsFrom(MapReader r);
// The target a `targets_from` probe's kind block is read against at load time: its `target:`
// (`configured`, may be null) with a placeholder address. Reports (at `probe`'s targets_from or
// target) a kind that takes no address.
std::optional<TargetConfig> DiscoveryTemplate(MapReader& probe, const TargetConfig* configured,
                                              const KindTraits& traits, const KindTraitsMap& kinds);

// Reads one probe's files, keeping each file's last good targets. Not thread-safe: one reader
// per probe, used on one thread at a time.
class FileSdReader {
 public:
  struct Result {
    std::vector<DiscoveredTarget> targets;  // every file's, in pattern then path order
    bool changed = false;                   // a file appeared, vanished or changed since last Read
    int errors = 0;                         // new failures: a file unreadable, unparsable, gone
    std::vector<std::string> messages;      // new problems and recoveries, once each
  };
  Result Read(const TargetsFrom& from);

 private:
  struct File {
    std::string stamp;                   // inode, size, mtime; "missing" for a vanished file
    std::vector<DiscoveredTarget> good;  // the last good targets
    std::string error;                   // the current failure (reported when it changes)
    std::vector<std::string> warnings;   // of the last good read
  };
  // The file at `path` now: read again only when its stamp changed. Takes the file's entry out
  // of files_ (Read replaces files_ with what Refresh returns).
  File Refresh(const std::string& path, Result& out);

  std::map<std::string, File> files_;    // by path
  std::map<std::string, bool> matched_;  // by pattern: whether it matched a file last time
};

// Why a discovered target was not made a probe.
struct DiscoveryStats {
  int targets = 0;                     // probes made
  std::map<std::string, int> skipped;  // by reason: invalid, duplicate, over_limit
  std::vector<std::string> problems;   // the first few skipped targets and why
};

// The config with each `targets_from` probe replaced by one probe per target `found` for it (by
// template name; none found: none made). Each instance gets a target of the same name holding
// its address (config::WithAddress over the template's `target:`), its kind's block read again
// for it, and a fingerprint that keeps it running across reloads and refreshes while neither
// the template nor its address changes (ProbeUnchanged). `stats` gets one entry per template.
Config ExpandDiscovered(const Config& loaded,
                        const std::map<std::string, std::vector<DiscoveredTarget>>& found,
                        std::map<std::string, DiscoveryStats>& stats);

}  // namespace reznet::config
