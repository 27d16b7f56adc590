#include "config/loader.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/format.hpp"
#include "common/read_file.hpp"
#include "config/bcrypt_hash.hpp"
#include "config/discovery.hpp"

namespace reznet::config {
bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

namespace {

void CheckHeaderNames(MapReader& r, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!token) {
      r.diag().Error(r.MarkOf("secret_headers"), r.PathOf("secret_headers"),
                     "\"" + name + "\" is not a header name; write names like X-Api-Key");
    }
  }
}

// Files named in a config are read with common::ReadFileBounded: a FIFO or a device there must
// not hold a reload (or check-config) forever, nor a huge file its memory.
constexpr std::size_t kMaxPemBytes = 4 * 1024 * 1024;
constexpr std::size_t kMaxPasswordFileBytes = 64 * 1024;
constexpr std::size_t kMaxConfigBytes = 64 * 1024 * 1024;

// "cannot read "f"", and why when it is not a plain failure to open (a FIFO, too large).
std::string CannotRead(const std::string& file, const std::string& error) {
  const std::string why = error.substr(std::min(error.size(), file.size() + 2));
  return "cannot read \"" + file + "\"" + (why.starts_with("cannot open") ? "" : ": " + why);
}

// A file the daemon reads at start: it must be readable and hold the PEM block `what` (the real
// parse happens at start and in check-config: PreflightErrors).
void CheckPemFile(MapReader& r, const std::string& key, const std::string& file,
                  const std::string& what) {
  auto read = common::ReadFileBounded(file, kMaxPemBytes);
  const std::string& text = read ? *read : std::string();
  if (!read) {
    r.diag().Error(r.MarkOf(key), r.PathOf(key), CannotRead(file, read.error().detail));
  } else if (text.find("-----BEGIN ") == std::string::npos ||
             text.find(what + "-----") == std::string::npos) {
    r.diag().Error(r.MarkOf(key), r.PathOf(key),
                   "\"" + file + "\" holds no PEM " + what + " (-----BEGIN …" + what + "-----)");
  }
}

void ParseTls(MapReader r, TlsConfig& tls) {
  if (!r.Has("cert_file") && !r.Has("key_file") && !r.Has("client_ca_file") &&
      !r.Has("min_version") && !r.Has("client_auth_type")) {
    r.Finish();
    return;
  }
  tls.line = r.mark().line + 1;
  r.Read("cert_file", tls.cert_file, true);
  r.Read("key_file", tls.key_file, true);
  r.Read("client_ca_file", tls.client_ca_file);
  if (!tls.cert_file.empty()) CheckPemFile(r, "cert_file", tls.cert_file, "CERTIFICATE");
  if (!tls.key_file.empty()) CheckPemFile(r, "key_file", tls.key_file, "PRIVATE KEY");
  if (!tls.client_ca_file.empty())
    CheckPemFile(r, "client_ca_file", tls.client_ca_file, "CERTIFICATE");
  if (r.Read("min_version", tls.min_version) && tls.min_version != "TLS12" &&
      tls.min_version != "TLS13") {
    r.diag().Error(r.MarkOf("min_version"), r.PathOf("min_version"),
                   "\"" + tls.min_version + "\" is not a version; write TLS12 or TLS13");
  }
  // exporter-toolkit's key; only the two policies that mean what they say here are accepted.
  std::string auth_type;
  if (r.Read("client_auth_type", auth_type) && !auth_type.empty()) {
    const std::string expected =
        tls.client_ca_file.empty() ? "NoClientCert" : "RequireAndVerifyClientCert";
    if (auth_type != expected) {
      r.diag().Error(r.MarkOf("client_auth_type"), r.PathOf("client_auth_type"),
                     "\"" + auth_type + "\": with" + (tls.client_ca_file.empty() ? "out" : "") +
                         " client_ca_file the client auth type is " + expected);
    }
  }
  r.Finish();
}

void ParseAuth(MapReader r, DaemonConfig& d) {
  r.Read("token", d.auth_token);
  r.Read("allow_unauthenticated_triggers", d.allow_unauthenticated_triggers);
  if (r.Read("basic_users", d.basic_users)) {
    const YAML::Node users = r.Node("basic_users");
    for (const auto& [user, hash] : d.basic_users) {
      if (user.empty() || user.find(':') != std::string::npos) {
        r.diag().Error(users[user].Mark(), r.PathOf("basic_users"),
                       "\"" + user + "\" is not a user name: it must be non-empty, without ':'");
      } else if (auto valid = ValidateBcryptHash(hash); !valid) {
        r.diag().Error(users[user].Mark(), r.PathOf("basic_users") + "." + user,
                       valid.error().detail);
      }
    }
  }
  r.Finish();
}

void ParseOverload(MapReader r, OverloadConfig& o) {
  r.ReadRatio("cpu_pressure", o.cpu_pressure);
  // The self-probe waits kSelfProbeDeadline (5 s) at most; a limit must be below it to mean
  // anything, and above a loopback round trip to mean something else than "always".
  if (r.Read("self_probe", o.self_probe) && (o.self_probe < 1ms || o.self_probe > 4s)) {
    r.diag().Error(r.MarkOf("self_probe"), r.PathOf("self_probe"), "must be between 1ms and 4s");
  }
  if (r.Read("lateness", o.lateness) && o.lateness < 10ms) {
    r.diag().Error(r.MarkOf("lateness"), r.PathOf("lateness"), "must be 10ms or more");
  }
  r.Finish();
}

void ParseDaemon(MapReader r, DaemonConfig& d) {
  r.Read("listen", d.listen);
  if (d.listen.rfind(':') == std::string::npos) {
    r.diag().Error(r.MarkOf("listen"), r.PathOf("listen"),
                   "expected host:port like \"127.0.0.1:9478\"");
  }
  YAML::Node windows = r.Node("windows");
  if (windows.IsDefined() && !windows.IsNull() &&
      IsSequence(windows, r.PathOf("windows"), r.diag())) {
    std::vector<Duration> parsed;
    for (std::size_t i = 0; i < windows.size(); ++i) {
      const std::string path = r.PathOf("windows") + "[" + std::to_string(i) + "]";
      auto text = r.Scalar(windows[i], path);
      if (!text) continue;
      auto dur = ParseDuration(*text);
      if (!dur) {
        r.diag().Error(windows[i].Mark(), path, dur.error().detail);
      } else if (*dur < 10s || *dur > 24h) {
        r.diag().Error(windows[i].Mark(), path, "a window must be between 10s and 24h");
      } else {
        parsed.push_back(*dur);
      }
    }
    if (parsed.empty()) {
      r.diag().Error(windows.Mark(), r.PathOf("windows"), "at least one window, like [1m, 5m, 1h]");
    }
    std::sort(parsed.begin(), parsed.end());
    parsed.erase(std::unique(parsed.begin(), parsed.end()), parsed.end());
    d.windows = parsed;
  }
  d.exported = ParseExportBudget(
      MapReader(r.Node("export"), r.PathOf("export"), r.diag(), r.MarkOf("export")), d.windows,
      DefaultExportBudget(d.windows));
  r.Read("eval_interval", d.eval_interval);
  // Under systemd (StateDirectory=) the default is the directory it made for us.
  if (r.Has("state_dir")) {
    r.Read("state_dir", d.state_dir);
  } else if (const char* sd = std::getenv("STATE_DIRECTORY"); sd != nullptr && *sd != '\0') {
    d.state_dir = std::string(sd).substr(0, std::string(sd).find(':'));
  }
  r.Read("shutdown_grace", d.shutdown_grace);
  {
    MapReader pe(r.Node("probe_endpoint"), r.PathOf("probe_endpoint"), r.diag(),
                 r.MarkOf("probe_endpoint"));
    std::int64_t max = d.probe_endpoint.max_concurrent;
    if (pe.Read("max_concurrent", max, 1, 4096))
      d.probe_endpoint.max_concurrent = static_cast<int>(max);
    if (pe.Read("timeout_margin", d.probe_endpoint.timeout_margin) &&
        d.probe_endpoint.timeout_margin < Duration::zero()) {
      pe.diag().Error(pe.MarkOf("timeout_margin"), pe.PathOf("timeout_margin"),
                      "must be 0s or more");
    }
    pe.Finish();
  }
  ParseShard(MapReader(r.Node("shard"), r.PathOf("shard"), r.diag(), r.MarkOf("shard")), d.shard);
  ParseAuth(MapReader(r.Node("auth"), r.PathOf("auth"), r.diag(), r.MarkOf("auth")), d);
  ParseTls(MapReader(r.Node("tls"), r.PathOf("tls"), r.diag(), r.MarkOf("tls")), d.tls);
  ParseOverload(MapReader(r.Node("overload"), r.PathOf("overload"), r.diag(), r.MarkOf("overload")),
                d.overload);
  {
    MapReader log(r.Node("log"), r.PathOf("log"), r.diag());
    if (log.Read("level", d.log.level)) {
      static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
      if (!kLevels.count(d.log.level)) {
        log.diag().Error(
            log.MarkOf("level"), log.PathOf("level"),
            "\"" + d.log.level + "\" is not a level; write trace, debug, info, warn or error");
      }
    }
    if (log.Read("format", d.log.format) && d.log.format != "text" && d.log.format != "json") {
      log.diag().Error(log.MarkOf("format"), log.PathOf("format"),
                       "\"" + d.log.format + "\" is not a format; write text or json");
    }
    log.Finish();
  }
  r.Finish();
}

}  // namespace

TargetConfig ParseTarget(const std::string& name, const YAML::Node& node, const std::string& path,
                         Diagnostics& diag) {
  TargetConfig t;
  t.name = name;
  MapReader tr(node, path, diag);
  std::string url;
  if (tr.Read("url", url) && url.starts_with("redis://")) {
    t.redis_url = url;
  } else if (!url.empty()) {
    auto parsed = ParseUrl(url);
    if (parsed) {
      t.url = *parsed;
    } else {
      tr.diag().Error(node["url"].Mark(), tr.PathOf("url"), parsed.error().detail);
    }
  }
  tr.Read("api_key", t.api_key);
  if (node.IsMap() && node["api_key"].IsScalar()) t.api_key_source = node["api_key"].Scalar();
  tr.Read("dsn", t.dsn);
  tr.Read("password", t.password);
  std::string password_file;
  if (tr.Read("password_file", password_file) && !password_file.empty()) {
    if (!t.password.empty()) {
      tr.diag().Error(tr.MarkOf("password_file"), tr.PathOf("password_file"),
                      "write password or password_file, not both");
    } else if (auto text = common::ReadFileBounded(password_file, kMaxPasswordFileBytes); !text) {
      tr.diag().Error(tr.MarkOf("password_file"), tr.PathOf("password_file"),
                      CannotRead(password_file, text.error().detail));
    } else {
      t.password = common::FirstLine(*text);  // a trailing newline is not part of it
    }
  }
  tr.Read("ca_file", t.ca_file);
  tr.Read("insecure_skip_verify", t.insecure_skip_verify);
  tr.ReadHeaders("headers", t.headers);
  if (tr.Read("secret_headers", t.secret_headers)) CheckHeaderNames(tr, t.secret_headers);
  if (!t.ca_file.empty()) {
    if (auto ca = common::ReadFileBounded(t.ca_file, kMaxPemBytes); !ca)
      tr.diag().Error(tr.MarkOf("ca_file"), tr.PathOf("ca_file"),
                      CannotRead(t.ca_file, ca.error().detail));
  }
  tr.Finish();
  t.fingerprint = YAML::Dump(node);
  return t;
}

namespace {

void ParseTargets(MapReader r, const YAML::Node& node, std::map<std::string, TargetConfig>& out) {
  if (!node.IsDefined() || !node.IsMap()) return;
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    r.Known(name);
    const std::string path = r.PathOf(name);
    if (!ValidName(name)) {
      r.diag().Error(kv.first.Mark(), path, "target names use letters, digits, _ and -");
    }
    out.emplace(name, ParseTarget(name, kv.second, path, r.diag()));
  }
}

// The probe's `target:`, or null (reported) when there is no such target. The message lists a
// few defined names, not all: thousands of probes naming a missing target stay cheap to report.
const TargetConfig* LookUpTarget(const YAML::Node& node, MapReader& r, const Config& cfg,
                                 const std::string& name) {
  if (name.empty()) return nullptr;
  if (const TargetConfig* target = cfg.FindTarget(name)) return target;
  constexpr std::size_t kListed = 10;
  std::string known;
  std::size_t listed = 0;
  for (const auto& [n, t] : cfg.targets) {
    if (listed++ == kListed) break;
    known += (known.empty() ? "" : ", ") + n;
  }
  if (cfg.targets.size() > kListed)
    known += ", and " + std::to_string(cfg.targets.size() - kListed) + " more";
  r.diag().Error(node["target"].Mark(), r.PathOf("target"),
                 "no target named \"" + name + "\" under targets:" +
                     (known.empty() ? " (none defined)" : " (defined: " + known + ")"));
  return nullptr;
}

void ParseProbe(const YAML::Node& node, const std::string& path, Config& cfg,
                const KindTraitsMap& kinds, Diagnostics& diag, std::set<std::string>& names) {
  MapReader r(node, path, diag);
  if (!node.IsMap()) return;
  ProbeConfig p;
  p.line = node.Mark().line + 1;
  p.fingerprint = YAML::Dump(node);
  r.Read("name", p.name, true);
  if (!p.name.empty()) {
    if (!ValidName(p.name)) {
      diag.Error(node["name"].Mark(), r.PathOf("name"),
                 "\"" + p.name + "\": probe names use letters, digits, _ and -");
    } else if (!names.insert(p.name).second) {
      diag.Error(node["name"].Mark(), r.PathOf("name"),
                 "another probe is already named \"" + p.name + "\"; names must be unique");
    }
  }
  r.Read("kind", p.kind, true);
  r.Read("target", p.target);
  bool interval_ok = r.Read("interval", p.interval);
  bool timeout_ok = r.Read("timeout", p.timeout);
  if (interval_ok && p.interval < 1s) {
    diag.Error(node["interval"].Mark(), r.PathOf("interval"), "must be at least 1s");
  }
  if (timeout_ok && p.timeout <= Duration::zero()) {
    diag.Error(node["timeout"].Mark(), r.PathOf("timeout"), "must be greater than 0");
  }
  if (interval_ok && timeout_ok && p.timeout > p.interval) {
    diag.Error(node["timeout"].Mark(), r.PathOf("timeout"),
               "timeout " + FormatDuration(p.timeout) + " is longer than interval " +
                   FormatDuration(p.interval) +
                   "; a run must end before the next is due: lower timeout or raise interval");
  }
  p.exported = ParseExportBudget(MapReader(r.Node("export"), r.PathOf("export"), diag, node.Mark()),
                                 cfg.daemon.windows, cfg.daemon.exported);
  const TargetConfig* target = LookUpTarget(node, r, cfg, p.target);
  if (!p.target.empty()) p.targets_used.push_back(p.target);
  if (r.Has("targets_from"))
    p.targets_from = ParseTargetsFrom(
        MapReader(r.Node("targets_from"), r.PathOf("targets_from"), diag, node.Mark()));
  if (!p.kind.empty()) {
    auto it = kinds.find(p.kind);
    if (it == kinds.end()) {
      std::string known;
      for (const auto& [k, traits] : kinds) known += (known.empty() ? "" : ", ") + k;
      diag.Error(node["kind"].Mark(), r.PathOf("kind"),
                 "unknown probe kind \"" + p.kind + "\"; this build knows: " + known);
    } else {
      MapReader block(r.Node(p.kind), r.PathOf(p.kind), diag, node.Mark());
      block.set_config(&cfg);
      p.traits = it->second;
      // A template is read as its instances will be: against a target of its own holding a
      // placeholder address.
      std::optional<TargetConfig> discovered;
      ProbeConfig instance;
      if (p.targets_from) {
        discovered = DiscoveryTemplate(r, target, p.traits, kinds);
        target = discovered ? &*discovered : nullptr;
        instance = p;
        instance.target = p.name;
      }
      p.settings = p.traits.parse(block, target, p.targets_from ? instance : p);
      block.Finish();
      const auto& used = block.targets_used();
      p.targets_used.insert(p.targets_used.end(), used.begin(), used.end());
    }
  }
  r.Finish();
  std::sort(p.targets_used.begin(), p.targets_used.end());
  p.targets_used.erase(std::unique(p.targets_used.begin(), p.targets_used.end()),
                       p.targets_used.end());
  cfg.probe_index.emplace(p.name, cfg.probes.size());
  cfg.probes.push_back(std::move(p));
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> errors)
    : std::runtime_error(errors.empty() ? "" : common::Join(errors, "\n") + "\n"),
      errors_(std::move(errors)) {}

const ProbeConfig* Config::FindProbe(const std::string& name) const {
  if (auto it = probe_index.find(name);
      it != probe_index.end() && it->second < probes.size() && probes[it->second].name == name)
    return &probes[it->second];
  for (const auto& p : probes) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const TargetConfig* Config::FindTarget(const std::string& name) const {
  auto it = targets.find(name);
  return it == targets.end() ? nullptr : &it->second;
}

bool ProbeUnchanged(const Config& old_cfg, const ProbeConfig& before, const Config& new_cfg,
                    const ProbeConfig& after) {
  if (before.fingerprint != after.fingerprint || before.targets_used != after.targets_used)
    return false;
  for (const auto& name : after.targets_used) {
    const TargetConfig* was = old_cfg.FindTarget(name);
    const TargetConfig* is = new_cfg.FindTarget(name);
    if ((was == nullptr) != (is == nullptr)) return false;
    if (was != nullptr && was->fingerprint != is->fingerprint) return false;
  }
  return true;
}

Config LoadString(const std::string& text, const std::string& source_name,
                  const KindTraitsMap& kinds) {
  Diagnostics diag(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    diag.Error(e.mark, "", "YAML syntax error: " + e.msg);
    throw ConfigError(diag.errors());
  }
  Config cfg;
  cfg.source = source_name;
  if (!root.IsDefined() || root.IsNull()) {
    diag.Error(YAML::Mark::null_mark(), "",
               "the file is empty; start from config/examples/demo.yaml");
    throw ConfigError(diag.errors());
  }
  MapReader top(root, "", diag);
  if (root.IsMap()) {
    ParseDaemon(MapReader(top.Node("daemon"), "daemon", diag), cfg.daemon);
    YAML::Node targets = top.Node("targets");
    MapReader targets_reader(targets, "targets", diag);
    ParseTargets(std::move(targets_reader), targets, cfg.targets);
    YAML::Node probes = top.Node("probes");
    if (probes.IsDefined() && !probes.IsNull() && IsSequence(probes, "probes", diag)) {
      std::set<std::string> names;
      cfg.probes.reserve(probes.size());
      for (std::size_t i = 0; i < probes.size(); ++i) {
        ParseProbe(probes[i], "probes[" + std::to_string(i) + "]", cfg, kinds, diag, names);
      }
    }
    ParseNfrs(top.Node("nfrs"), cfg, diag);
    AddNfrExports(cfg);
    ParseAlerting(top.Node("alerting"), cfg, diag);
    ParseSuites(top.Node("suites"), cfg, diag);
    ParseHistory(top.Node("history"), cfg, diag);
    ParseModules(top.Node("modules"), cfg, kinds, diag);
    // docs/design.md §9 sketched load tests as a top-level section; they are probes (kind load) so
    // suites, rules and metrics treat them like any other. Say where the block goes.
    if (root["load"].IsDefined()) {
      top.Known("load");
      diag.Error(root["load"].Mark(), "load",
                 "load tests are probes of kind load: move this block under probes: as "
                 "- { name: load_flow, kind: load, target: backend, load: { users: 100, … } }");
    }
  }
  top.Finish();
  if (!diag.ok()) throw ConfigError(diag.errors());
  return cfg;
}

Config LoadFile(const std::string& path, const KindTraitsMap& kinds) {
  auto text = common::ReadFileBounded(path, kMaxConfigBytes);
  if (!text) {
    const std::string why =
        text.error().detail.substr(std::min(text.error().detail.size(), path.size() + 2));
    throw ConfigError({path + (why.starts_with("cannot open") ? ": cannot open the config file"
                                                              : ": config file " + why)});
  }
  return LoadString(*text, path, kinds);
}

}  // namespace reznet::config
