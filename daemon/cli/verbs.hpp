#pragma once
// The command line, one verb per file in daemon/cli/: each Add<Verb> declares its subcommand
// and options on the app and returns what running it does. main.cpp parses, runs the verb that
// was given, and returns its exit code (docs/design.md §10: 2 for usage and config errors).

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "common/error.hpp"
#include "config/config.hpp"
#include "probes/probe.hpp"

namespace CLI {
class App;
}

namespace reznet::daemon::cli {

struct Verb {
  CLI::App* command = nullptr;
  // After parsing, before running: throws CLI::ValidationError for bad option values.
  std::function<void()> validate;
  std::function<int(const probes::ProbeRegistry&)> run;
};

// Where the package installs the config: the default of every verb that needs one.
inline constexpr const char* kInstalledConfig = "/etc/reznet-perfd/config.yaml";

// --config/-c on `command`, into `path`, defaulting to $REZNET_PERFD_CONFIG; `required` (every
// verb but serve and load merge): then to kInstalledConfig, and without one the verb refuses to
// run, saying how to give a config.
void AddConfigOption(CLI::App* command, std::string& path, bool required);
// The config at `path` (the embedded demo config when empty); every error on stderr and nullopt
// when it does not load.
std::optional<config::Config> LoadConfig(const std::string& path,
                                         const probes::ProbeRegistry& registry);

// Runs `body`; an exception escaping it (a history store that cannot open, say) is printed as
// "reznet-perfd: <what>" on stderr and gives exit code 2.
int ExitOnError(const std::function<int()>& body);

// A history read or write inside ExitOnError: its value, or the store's reason thrown as
// std::runtime_error (printed, exit code 2). The verb is the process's boundary.
template <class T>
T Need(common::Result<T> result) {
  if (!result) throw std::runtime_error(result.error().detail);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

Verb AddServe(CLI::App& app);         // serve.cpp
Verb AddCheckConfig(CLI::App& app);   // check_config.cpp
Verb AddRules(CLI::App& app);         // rules.cpp
Verb AddProbe(CLI::App& app);         // probe.cpp
Verb AddRun(CLI::App& app);           // run.cpp
Verb AddBaseline(CLI::App& app);      // baseline.cpp
Verb AddLoad(CLI::App& app);          // load.cpp (and `load merge`)
Verb AddHashPassword(CLI::App& app);  // hash_password.cpp
Verb AddCompare(CLI::App& app);       // compare.cpp
Verb AddHistory(CLI::App& app);       // history.cpp
Verb AddReport(CLI::App& app);        // report.cpp

}  // namespace reznet::daemon::cli
