#include <CLI/CLI.hpp>
#include <iostream>

#include "config/loader.hpp"
#include "daemon/app.hpp"
#include "daemon/cli/verbs.hpp"

namespace reznet::daemon::cli {

void AddConfigOption(CLI::App* command, std::string& path, bool required) {
  auto* opt = command->add_option("-c,--config", path, "YAML config file");
  if (required) opt->required();
  opt->check(CLI::ExistingFile);
}

std::optional<config::Config> LoadConfig(const std::string& path,
                                         const probes::ProbeRegistry& registry) {
  try {
    if (path.empty()) {
      return config::LoadString(EmbeddedDemoConfig(), "<embedded demo.yaml>", registry.Kinds());
    }
    return config::LoadFile(path, registry.Kinds());
  } catch (const config::ConfigError& e) {
    for (const auto& line : e.errors()) std::cerr << line << "\n";
    std::cerr << e.errors().size() << " config error" << (e.errors().size() == 1 ? "" : "s")
              << "\n";
    return std::nullopt;
  }
}

int ExitOnError(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace reznet::daemon::cli
