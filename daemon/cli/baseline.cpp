// `reznet-perfd baseline set RUN_ID | show`: the run reports compare with.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "config/secrets.hpp"
#include "daemon/cli/run.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "suite/history.hpp"

namespace reznet::daemon {

int BaselineCli(const config::Config& config, const std::string& action, const std::string& id) {
  try {
    auto history = suite::OpenHistory(config.history, config.daemon.state_dir);
    if (action == "set") {
      cli::Need(history->SetBaseline(id));
      std::printf("baseline: %s (%s)\n", id.c_str(), history->Describe().c_str());
      return 0;
    }
    auto current = cli::Need(history->BaselineId());
    if (!current) {
      std::printf("no baseline set in %s\n", history->Describe().c_str());
      return 1;
    }
    auto run = cli::Need(history->Get(*current));
    if (!run) {
      std::printf("baseline %s is not in %s any more\n", current->c_str(),
                  history->Describe().c_str());
      return 1;
    }
    PrintVerdicts(*run);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "reznet-perfd: " << e.what() << "\n";
    return 2;
  }
}

namespace cli {

Verb AddBaseline(CLI::App& app) {
  struct Options {
    std::string config, action, id;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("baseline", "set or show the baseline run of reports");
  AddConfigOption(cmd, o->config, true);
  cmd->add_option("action", o->action, "set RUN_ID | show")
      ->required()
      ->check(CLI::IsMember({"set", "show"}));
  cmd->add_option("run_id", o->id, "the run to compare with (for set)");
  auto validate = [o] {
    if (o->action == "set" && o->id.empty())
      throw CLI::ValidationError("run_id", "baseline set needs a RUN_ID (see GET /runs)");
  };
  return {cmd, validate, [o](const probes::ProbeRegistry& registry) {
            auto config = LoadConfig(o->config, registry);
            if (!config) return 2;
            SetupLogging({"warn", "text"}, config::MakeRedactor(*config));
            return BaselineCli(*config, o->action, o->id);
          }};
}

}  // namespace cli
}  // namespace reznet::daemon
