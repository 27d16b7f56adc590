#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "config/loader.hpp"
#include "daemon/app.hpp"
#include "daemon/cli/verbs.hpp"

namespace reznet::daemon::cli {

void AddConfigOption(CLI::App* command, std::string& path, bool required) {
  auto* opt =
      command->add_option("-c,--config", path,
                          required ? "YAML config file (default: $REZNET_PERFD_CONFIG, else " +
                                         std::string(kInstalledConfig) + ")"
                                   : "YAML config file (default: $REZNET_PERFD_CONFIG)");
  opt->envname("REZNET_PERFD_CONFIG");
  opt->check(CLI::ExistingFile);
  if (!required) return;
  // Neither given nor in the environment: the installed config, else say how to give one.
  command->parse_complete_callback([&path] {
    if (!path.empty()) return;
    std::error_code ec;
    if (std::filesystem::is_regular_file(kInstalledConfig, ec)) {
      path = kInstalledConfig;
      return;
    }
    throw CLI::RequiredError(
        "--config: no config given; write --config FILE, set REZNET_PERFD_CONFIG, or install " +
        std::string(kInstalledConfig));
  });
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
