// reznet-perfd: the command line. Each verb lives in daemon/cli/ and declares its own options;
// this file only parses, picks the verb that was given and returns its exit code.
#include <CLI/CLI.hpp>
#include <csignal>

#include "common/version.hpp"
#include "daemon/cli/verbs.hpp"

int main(int argc, char** argv) {
  namespace cli = reznet::daemon::cli;
  // A peer closing a socket mid-write must be an error code, not a dead daemon (libpq, hiredis
  // and OpenSSL may write without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"reznet-perfd: synthetic performance monitor for the RezNet AI backend"};
  app.set_version_flag("--version", std::string("reznet-perfd ") + reznet::common::kVersion +
                                        " (revision " + reznet::common::kRevision + ")");
  app.require_subcommand(1);
  const std::vector<cli::Verb> verbs = {
      cli::AddServe(app),   cli::AddCheckConfig(app), cli::AddRules(app), cli::AddProbe(app),
      cli::AddRun(app),     cli::AddBaseline(app),    cli::AddLoad(app),  cli::AddHashPassword(app),
      cli::AddCompare(app), cli::AddHistory(app),     cli::AddReport(app)};
  const cli::Verb* chosen = nullptr;
  try {
    app.parse(argc, argv);
    for (const auto& verb : verbs) {
      if (!*verb.command) continue;
      chosen = &verb;
      if (verb.validate) verb.validate();
    }
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  reznet::probes::ProbeRegistry registry;
  reznet::probes::RegisterBuiltinProbes(registry);
  return chosen->run(registry);
}
