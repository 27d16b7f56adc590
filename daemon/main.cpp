// reznet-perfd: the command line. Thin: parses arguments, loads the config, calls the app.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "common/version.hpp"
#include "config/loader.hpp"
#include "daemon/app.hpp"
#include "daemon/cli/load.hpp"
#include "daemon/cli/run.hpp"
#include "daemon/logging.hpp"
#include "nfr/rules_file.hpp"

namespace {

// Config errors go to stderr, every one of them; the caller exits 2.
std::optional<reznet::config::Config> Load(const std::string& path,
                                           const reznet::probes::ProbeRegistry& registry) {
  try {
    if (path.empty()) {
      return reznet::config::LoadString(reznet::daemon::EmbeddedDemoConfig(),
                                        "<embedded demo.yaml>", registry.Parsers());
    }
    return reznet::config::LoadFile(path, registry.Parsers());
  } catch (const reznet::config::ConfigError& e) {
    for (const auto& line : e.errors()) std::cerr << line << "\n";
    std::cerr << e.errors().size() << " config error" << (e.errors().size() == 1 ? "" : "s")
              << "\n";
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A peer closing a socket mid-write must be an error code, not a dead daemon (libpq, hiredis
  // and OpenSSL may write without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"reznet-perfd: synthetic performance monitor for the RezNet AI backend"};
  app.set_version_flag("--version", std::string(reznet::common::kVersion));
  app.require_subcommand(1);
  std::string config_path;
  auto add_config = [&](CLI::App* sub, bool required) {
    auto* opt = sub->add_option("-c,--config", config_path, "YAML config file");
    if (required)
      opt->required()->check(CLI::ExistingFile);
    else
      opt->check(CLI::ExistingFile);
  };

  auto* serve =
      app.add_subcommand("serve", "run the daemon (embedded demo config without --config)");
  add_config(serve, false);
  reznet::daemon::ServeOptions serve_options;
  serve->add_option("--listen", serve_options.listen_override,
                    "host:port, overrides daemon.listen (port 0: any)");

  auto* check = app.add_subcommand("check-config", "validate a config, print every error");
  add_config(check, true);

  auto* rules = app.add_subcommand("rules", "print the NFRs as a Prometheus rules file");
  add_config(rules, true);
  std::string job = "reznet-perfd";
  rules->add_option("--job", job,
                    "the Prometheus job that scrapes the daemon (for ReznetPerfdDown)");

  auto* probe = app.add_subcommand("probe", "run one probe once, print its outcome as JSON");
  add_config(probe, true);
  std::string probe_name;
  probe->add_option("name", probe_name, "probe name")->required();

  auto* run = app.add_subcommand(
      "run", "run a suite profile once: progress, reports, exit 1 when an NFR fails");
  add_config(run, true);
  reznet::daemon::RunOptions run_options;
  run->add_option("-p,--profile", run_options.profile, "quick, standard, full, load or configured")
      ->required();
  run->add_option("--report-dir", run_options.report_dir,
                  "where <id>.json, .md and .xml go (default <state_dir>/reports)");
  std::vector<std::string> label_args;
  run->add_option("-l,--label", label_args, "k=v label stored with the run (repeatable)");

  auto* baseline = app.add_subcommand("baseline", "set or show the baseline run of reports");
  add_config(baseline, true);
  std::string baseline_action, baseline_id;
  baseline->add_option("action", baseline_action, "set RUN_ID | show")
      ->required()
      ->check(CLI::IsMember({"set", "show"}));
  baseline->add_option("run_id", baseline_id, "the run to compare with (for set)");

  auto* load = app.add_subcommand(
      "load", "run a load test (a probe of kind load); exit 1 when a load NFR fails");
  add_config(load, false);
  reznet::daemon::LoadOptions load_options;
  std::string duration_text, ramp_text, segment_text;
  load->add_option("--probe", load_options.probe, "the load probe (default: the only one)");
  load->add_option("-u,--users", load_options.overrides.users, "virtual users (ramping-vus)")
      ->check(CLI::PositiveNumber);
  load->add_option("-d,--duration", duration_text, "at full load, e.g. 2m");
  load->add_option("--ramp-up", ramp_text, "users start evenly over this, e.g. 10s");
  load->add_option("-r,--rate", load_options.overrides.rate,
                   "iterations per second (constant-arrival-rate)")
      ->check(CLI::PositiveNumber);
  load->add_flag("--stress", load_options.overrides.stress, "twice the configured users (or rate)");
  load->add_option("--segment", segment_text, "I/N: run the I-th of N equal shares");
  load->add_option("-o,--out", load_options.out, "write the results (mergeable JSON) here");
  load->add_option("--start-at", load_options.start_at,
                   "Unix time to start at (segments on many machines start together)");
  auto* merge = load->add_subcommand("merge", "merge segment results exactly");
  merge->fallthrough();  // --config may follow `merge`
  std::vector<std::string> merge_files;
  merge->add_option("files", merge_files, "results of `load --out`")
      ->required()
      ->check(CLI::ExistingFile);
  std::string merge_out;
  merge->add_option("-o,--out", merge_out, "write the merged results here");

  try {
    app.parse(argc, argv);
    if (*load && !*merge && config_path.empty())
      throw CLI::RequiredError("--config (the file with the load probe)");
    if (!duration_text.empty()) {
      auto d = reznet::config::ParseDuration(duration_text);
      if (!d) throw CLI::ValidationError("--duration", d.error());
      load_options.overrides.duration = *d;
    }
    if (!ramp_text.empty()) {
      auto d = reznet::config::ParseDuration(ramp_text);
      if (!d) throw CLI::ValidationError("--ramp-up", d.error());
      load_options.overrides.ramp_up = *d;
      load_options.overrides.ramp_up_set = true;
    }
    if (!segment_text.empty() &&
        !reznet::daemon::ParseSegment(segment_text, load_options.overrides.segment,
                                      load_options.overrides.segments))
      throw CLI::ValidationError("--segment", "write I/N with 1 <= I <= N, like 2/4");
    if (*baseline && baseline_action == "set" && baseline_id.empty())
      throw CLI::ValidationError("run_id", "baseline set needs a RUN_ID (see GET /runs)");
    for (const auto& l : label_args) {
      const auto eq = l.find('=');
      if (eq == std::string::npos || eq == 0)
        throw CLI::ValidationError("--label", "\"" + l + "\": write key=value");
      run_options.labels[l.substr(0, eq)] = l.substr(eq + 1);
    }
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  reznet::probes::ProbeRegistry registry;
  reznet::probes::RegisterBuiltinProbes(registry);
  if (*merge) {
    std::optional<reznet::config::Config> merge_config;
    if (!config_path.empty()) {
      merge_config = Load(config_path, registry);
      if (!merge_config) return 2;
    }
    return reznet::daemon::LoadMergeCli(merge_config ? &*merge_config : nullptr, merge_files,
                                        merge_out);
  }
  auto config = Load(config_path, registry);
  if (!config) return 2;

  if (*check) {
    std::cout << config->source << ": ok (" << config->probes.size() << " probes, "
              << config->targets.size() << " targets)\n";
    return 0;
  }
  if (*rules) {
    std::cout << reznet::nfr::PrometheusRules(*config, job);
    return 0;
  }
  if (*probe) {
    reznet::daemon::SetupLogging({"warn", "text"});
    return reznet::daemon::ProbeOnce(*config, registry, probe_name);
  }
  if (*run) {
    reznet::daemon::SetupLogging({"warn", "text"});
    return reznet::daemon::RunSuiteCli(*config, registry, run_options);
  }
  if (*load) {
    reznet::daemon::SetupLogging({"warn", "text"});
    return reznet::daemon::LoadCli(*config, load_options);
  }
  if (*baseline) {
    reznet::daemon::SetupLogging({"warn", "text"});
    return reznet::daemon::BaselineCli(*config, baseline_action, baseline_id);
  }
  reznet::daemon::SetupLogging(config->daemon.log);
  return reznet::daemon::Serve(*config, registry, serve_options);
}
