// `reznet-perfd baseline set RUN | show`: the run reports compare with. RUN is any run
// reference (suite/run_ref.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "config/secrets.hpp"
#include "daemon/cli/run.hpp"
#include "daemon/cli/verbs.hpp"
#include "daemon/logging.hpp"
#include "suite/history.hpp"
#include "suite/run_ref.hpp"

namespace reznet::daemon {

int BaselineCli(const config::Config& config, const std::string& action, const std::string& ref) {
  try {
    auto history = suite::OpenHistory(config.history, config.daemon.state_dir);
    if (action == "set") {
      const auto run = cli::Need(suite::ResolveRun(*history, ref));
      cli::Need(history->SetBaseline(run.id));
      std::printf("baseline: %s (%s)\n", run.id.c_str(), history->Describe().c_str());
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
  cmd->add_option("action", o->action, "set RUN | show")
      ->required()
      ->check(CLI::IsMember({"set", "show"}));
  cmd->add_option("run", o->id,
                  "the run to compare with (for set): an id, a unique id prefix, a commit label, "
                  "latest or previous");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd baseline set latest     the newest run becomes the baseline\n"
      "  reznet-perfd baseline set 3f2a9c1    the newest run of commit 3f2a9c1\n"
      "  reznet-perfd baseline show");
  auto validate = [o] {
    if (o->action == "set" && o->id.empty())
      throw CLI::ValidationError("run",
                                 "baseline set needs a RUN (reznet-perfd history lists them)");
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
