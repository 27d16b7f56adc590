#pragma once
// Strict YAML reading with every error collected, not just the first.
//
// Diagnostics gathers "file:line:col: path: message" lines (1-based line/column; yaml-cpp's marks
// are 0-based). MapReader wraps one YAML mapping: it rejects duplicate keys at construction,
// expands ${VAR} in every scalar it hands out, and on Finish() reports each key nobody read as
// unknown, with the closest known key as a suggestion. Not thread-safe; used only while loading.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/units.hpp"

namespace reznet::config {

struct Config;
struct TargetConfig;

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void Error(const YAML::Mark& mark, const std::string& path, const std::string& message);
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

class MapReader {
 public:
  // `node` may be undefined/null (an absent optional block): then every read sees nothing, and
  // messages about it point at `fallback` (e.g. the enclosing mapping).
  MapReader(const YAML::Node& node, std::string path, Diagnostics& diag,
            const YAML::Mark& fallback = YAML::Mark::null_mark());

  const std::string& path() const { return path_; }
  std::string PathOf(const std::string& key) const;
  Diagnostics& diag() { return diag_; }
  const YAML::Mark& mark() const { return mark_; }
  bool Has(const std::string& key) const;
  // Where the value of `key` is (the mapping itself when the key is absent), for messages.
  YAML::Mark MarkOf(const std::string& key) const;

  // Each reader marks the key as known. It returns false (and reports) when the value is present
  // but invalid, or when `required` and it is missing; `out` then keeps its default.
  bool Read(const std::string& key, std::string& out, bool required = false);
  bool Read(const std::string& key, Duration& out, bool required = false);
  bool Read(const std::string& key, bool& out);
  bool Read(const std::string& key, std::int64_t& out, std::int64_t min, std::int64_t max);
  bool ReadRatio(const std::string& key, double& out);
  bool Read(const std::string& key, std::vector<std::string>& out);
  bool Read(const std::string& key, std::map<std::string, std::string>& out);
  // A request path with an optional query ("/api/x?limit=5"), checked by ValidateRequestTarget
  // (config/host.hpp): what goes on the request line has RFC 3986 characters only.
  bool ReadRequestTarget(const std::string& key, std::string& out, bool required = false);
  // HTTP header names (tokens) and values (no control characters); a bad value is reported
  // without echoing it, as it may be a secret.
  bool ReadHeaders(const std::string& key, std::map<std::string, std::string>& out);
  // Raw access for nested blocks and sequences; marks the key as known.
  YAML::Node Node(const std::string& key);
  // Marks keys as known without reading them (handled elsewhere).
  void Known(const std::string& key) { known_.insert(key); }

  // The config being loaded (targets are parsed before probes). Null outside a probe block.
  const Config* config() const { return config_; }
  void set_config(const Config* c) { config_ = c; }
  // A target of the config being loaded, by name, for kinds that refer to other targets (null
  // when there is none or outside a probe block). Kinds look targets up only through this: the
  // names asked for become part of the probe's reload fingerprint (targets_used()).
  const TargetConfig* FindTarget(const std::string& name);
  const std::vector<std::string>& targets_used() const { return targets_used_; }

  // Reports unknown keys. Call once after all reads.
  void Finish();

  // A scalar with ${VAR} expanded; reports and returns nullopt when not a scalar or expansion
  // fails.
  std::optional<std::string> Scalar(const YAML::Node& node, const std::string& path);

 private:
  YAML::Node node_;
  std::string path_;
  Diagnostics& diag_;
  YAML::Mark mark_;
  std::set<std::string> known_;
  bool is_map_ = false;
  const Config* config_ = nullptr;
  std::vector<std::string> targets_used_;
};

// Reads a sequence node, reporting when it is something else.
bool IsSequence(const YAML::Node& node, const std::string& path, Diagnostics& diag);

}  // namespace reznet::config
