#pragma once
// The typed configuration model (docs/design.md §9). Plain aggregates with defaults; no type here
// knows the scheduler, the probes' code or the exporter. Secrets (api_key, password, auth.token)
// are held here after ${VAR} expansion and must never be logged or exported.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/address.hpp"
#include "config/export.hpp"
#include "config/kind.hpp"
#include "config/nfr.hpp"
#include "config/shard.hpp"
#include "config/suite.hpp"
#include "config/units.hpp"

namespace reznet::common {
class Redactor;
}

namespace reznet::config {

using namespace std::chrono_literals;

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text or json
};

// daemon.tls, named after the Prometheus exporter-toolkit web config (tls_server_config).
struct TlsConfig {
  std::string cert_file;  // PEM certificate chain; TLS is on when set
  std::string key_file;   // PEM private key
  // PEM CAs that client certificates must chain to: when set, a client certificate is required
  // and verified (client_auth_type RequireAndVerifyClientCert).
  std::string client_ca_file;
  std::string min_version = "TLS12";  // TLS12 or TLS13
  int line = 0;                       // 1-based line of the block, for messages
  bool enabled() const { return !cert_file.empty(); }
  bool operator==(const TlsConfig&) const = default;
};

// daemon.probe_endpoint: GET /probe (api/probe_route.hpp).
struct ProbeEndpointConfig {
  int max_concurrent = 16;  // runs at once; beyond: 503, counted
  // Taken off Prometheus's X-Prometheus-Scrape-Timeout-Seconds so the answer arrives in time.
  Duration timeout_margin = std::chrono::milliseconds(500);
};

// daemon.overload: when the daemon counts itself overloaded, so that what it measures meanwhile
// is suspect (telemetry/prober_health.hpp). Over any one threshold is overloaded.
struct OverloadConfig {
  // /proc/pressure/cpu `some avg10`: the share of the last 10 s in which a runnable task waited
  // for a CPU. Measured on two cores: 1–7 % idle, at most 23 % under a -j2 build, 53–98 % with
  // six compile jobs; half the time waiting is a machine that cannot keep a probe's clock.
  double cpu_pressure = 0.5;
  // The round trip of the daemon's GET of its own /healthz over loopback (the middle one of the
  // last three): about 0.5 ms idle, at most 4–8 ms under a build (measured); 100 ms is a daemon
  // whose own answer is late by more than most promises it checks allow.
  Duration self_probe = 100ms;
  // The largest scheduler lateness (a run's actual start - its planned start) since the last
  // check: at most 11 ms under a build (measured), seconds only when the probe loop stalls.
  Duration lateness = 1s;
  bool operator==(const OverloadConfig&) const = default;
};

struct DaemonConfig {
  std::string listen = "127.0.0.1:9478";
  std::vector<Duration> windows = {1min, 5min, 1h};
  // daemon.export: the window gauges of every probe without its own `export:` (config/export.hpp).
  ExportBudget exported = DefaultExportBudget({1min, 5min, 1h});
  Duration eval_interval = 15s;
  std::string state_dir = "./state";
  std::string auth_token;  // secret
  // POST routes without a token on a non-loopback listen address are refused unless this is set.
  bool allow_unauthenticated_triggers = false;
  // daemon.auth.basic_users: user -> bcrypt hash ($2y$/$2b$/$2a$); when set, every request but
  // a POST needs HTTP basic auth. The hashes are treated as secrets.
  std::map<std::string, std::string> basic_users;
  TlsConfig tls;
  LogConfig log;
  Duration shutdown_grace = 5s;  // in-flight runs get this long after SIGTERM
  ProbeEndpointConfig probe_endpoint;
  ShardConfig shard;  // daemon.shard (config/shard.hpp)
  OverloadConfig overload;
};

struct TargetConfig {
  std::string name;
  std::optional<Url> url;      // http(s) targets
  std::string redis_url;       // redis:// targets (parsed by the redis kind)
  std::string api_key;         // secret
  std::string api_key_source;  // the api_key as written, before ${VAR} expansion (for messages)
  std::string dsn;             // postgres targets (no password inside)
  std::string password;        // secret
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::map<std::string, std::string> headers;  // sent with every http request
  // Names of headers whose values are secrets (compared case-insensitively), on top of
  // Authorization, X-Api-Key and Cookie, which always are.
  std::vector<std::string> secret_headers;
  // Its YAML as written, dumped once: a probe that uses the target is rebuilt on reload when
  // this changes (ProbeUnchanged).
  std::string fingerprint;
};

// A probe's `targets_from:`: one scheduled probe per target listed in Prometheus file_sd files
// (config/discovery.hpp).
struct TargetsFrom {
  std::vector<std::string> files;  // paths or globs; JSON or YAML
  Duration refresh = 30s;          // how often the files are read again (at least 1s)
  int max_targets = 1000;          // per probe; targets beyond are dropped and reported
  bool operator==(const TargetsFrom&) const = default;
};

struct ProbeConfig {
  std::string name;
  std::string kind;
  std::string target;
  Duration interval = 15s;
  Duration timeout = 5s;
  std::shared_ptr<const KindSettings> settings;
  // A copy of its kind's traits, set by the loader (config/kind.hpp).
  KindTraits traits;
  // Its window gauges: daemon.export, overridden by its `export:`, plus what NFRs on it read.
  ExportBudget exported;
  int line = 0;  // 1-based line of the probe in the file, for messages
  // The probe's own YAML, as written. With `targets_used` it decides whether a reload keeps the
  // probe (ProbeUnchanged).
  std::string fingerprint;
  // Every target it uses, sorted, without duplicates: `target` and those its kind looked up by
  // name while parsing (MapReader::FindTarget, e.g. a cache probe's db_target).
  std::vector<std::string> targets_used;
  // `targets_from:`: this probe is a template, never scheduled itself; discovery expands it into
  // one probe per target listed (config::ExpandDiscovered).
  std::optional<TargetsFrom> targets_from;
  // A discovered instance (`<template>/<host:port>`): the template's name, the address as listed
  // and its file_sd group's labels (exported in reznet_perf_probe_target_info).
  std::string discovered_from;
  std::string discovered_address;
  std::vector<std::pair<std::string, std::string>> discovered_labels;
};

// A module: a probe template that GET /probe?target=…&module=NAME runs against the target given
// (config/module.hpp).
struct ModuleConfig {
  std::string name;
  ProbeConfig probe;    // kind, timeout, traits; its settings are read again for each target
  TargetConfig target;  // the template every target given starts from (credentials, headers, CA)
  std::string block;    // the kind's block as written (YAML), read for each target
  AllowList allow;      // the targets it may reach
  int line = 0;
};

struct Config;

// The secrets of one Config, collected on first use and shared by every probe built from it
// (config/secrets.hpp SecretsOf). A copied or assigned Config starts with none collected: it may
// be edited before it is used. Thread-safe.
class SecretsCache {
 public:
  SecretsCache() = default;
  SecretsCache(const SecretsCache&) {}
  SecretsCache& operator=(const SecretsCache&) {
    std::lock_guard lock(mutex_);
    value_.reset();
    return *this;
  }

 private:
  friend std::shared_ptr<const common::Redactor> SecretsOf(const Config& config);
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const common::Redactor> value_;  // guarded by mutex_
};

struct Config {
  std::string source;  // file the config came from
  DaemonConfig daemon;
  std::map<std::string, TargetConfig> targets;
  std::vector<ProbeConfig> probes;
  std::vector<NfrRule> nfrs;
  AlertingConfig alerting;
  std::map<std::string, SuiteProfile> suites;  // configured profiles only; see ResolveProfiles
  HistoryConfig history;
  std::map<std::string, ModuleConfig> modules;
  // Probe name -> position in `probes`, filled by the loader. FindProbe checks each hit and falls
  // back to a scan on a miss, so a Config built or edited by hand stays correct (only slower).
  std::unordered_map<std::string, std::size_t> probe_index;
  SecretsCache secrets;  // read through SecretsOf

  const ProbeConfig* FindProbe(const std::string& name) const;
  const TargetConfig* FindTarget(const std::string& name) const;
};

// Whether a reload may keep `before` (loaded in `old_cfg`) running as it is in place of `after`
// (in `new_cfg`): same own YAML, same targets used, and none of them changed. Another target
// changing does not matter. Cost: the probe's YAML and its targets', not the whole config.
bool ProbeUnchanged(const Config& old_cfg, const ProbeConfig& before, const Config& new_cfg,
                    const ProbeConfig& after);

}  // namespace reznet::config
