#pragma once
// Loading: YAML text -> Config, strictly, with every error reported at once.
//
// Each probe kind parses its own block through a KindParser supplied by the probe registry, so this
// library knows no probe kind. Load* throw ConfigError (carrying all messages) on any error;
// nothing is partially applied.

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/reader.hpp"

namespace reznet::config {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

// Parses the block under the kind's name. `target` is null when the probe has no valid target.
// Reports problems through block.diag(); returns null only if nothing usable was parsed.
using KindParser = std::function<std::shared_ptr<const KindSettings>(
    MapReader& block, const TargetConfig* target, const ProbeConfig& probe)>;
// What the loader knows of a kind: how to parse its block, and which phases and ratio counters
// its outcomes carry (so NFR rules can be checked at load time). "query:*" matches any suffix.
struct KindSpec {
  KindParser parse;
  std::vector<std::string> phases;
  std::vector<std::string> ratios;
};
using KindParsers = std::map<std::string, KindSpec, std::less<>>;

Config LoadFile(const std::string& path, const KindParsers& kinds);
// The `nfrs:` and `alerting:` sections (nfr.cpp); run after probes are parsed.
void ParseNfrs(const YAML::Node& node, Config& cfg, const KindParsers& kinds, Diagnostics& diag);
void ParseAlerting(const YAML::Node& node, Config& cfg, Diagnostics& diag);
// The `suites:` and `history:` sections (suite.cpp); run after nfrs.
void ParseSuites(const YAML::Node& node, Config& cfg, Diagnostics& diag);
void ParseHistory(const YAML::Node& node, Config& cfg, Diagnostics& diag);
Config LoadString(const std::string& text, const std::string& source_name,
                  const KindParsers& kinds);

}  // namespace reznet::config
