#pragma once
// Loading: YAML text -> Config, strictly, with every error reported at once.
//
// Each probe kind parses its own block through the KindParser of its traits (config/kind.hpp),
// supplied by the probe registry, so this library knows no probe kind; each loaded probe carries a
// copy of its kind's traits. Load* throw ConfigError (carrying all messages) on any error;
// nothing is partially applied.

#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/kind.hpp"
#include "config/reader.hpp"

namespace reznet::config {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

Config LoadFile(const std::string& path, const KindTraitsMap& kinds);
// The `nfrs:` and `alerting:` sections (nfr.cpp); run after probes are parsed.
// Phases and ratios are checked against each probe's traits.
void ParseNfrs(const YAML::Node& node, Config& cfg, Diagnostics& diag);
void ParseAlerting(const YAML::Node& node, Config& cfg, Diagnostics& diag);
// The `suites:` and `history:` sections (suite.cpp); run after nfrs.
void ParseSuites(const YAML::Node& node, Config& cfg, Diagnostics& diag);
void ParseHistory(const YAML::Node& node, Config& cfg, Diagnostics& diag);
// A name of a target, probe or module: letters, digits, _ and -.
bool ValidName(const std::string& name);
// One target block (`targets.NAME`, a module's `target:`); problems go to `diag`.
TargetConfig ParseTarget(const std::string& name, const YAML::Node& node, const std::string& path,
                         Diagnostics& diag);
// The `modules:` section (module.cpp); run after probes.
void ParseModules(const YAML::Node& node, Config& cfg, const KindTraitsMap& kinds,
                  Diagnostics& diag);
Config LoadString(const std::string& text, const std::string& source_name,
                  const KindTraitsMap& kinds);

}  // namespace reznet::config
