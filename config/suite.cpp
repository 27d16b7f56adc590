#include "config/suite.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/read_file.hpp"
#include "config/config.hpp"
#include "config/loader.hpp"
#include "config/reader.hpp"

namespace reznet::config {
namespace {

// Rules over the profile's probes: threshold rules and regression rules alike.
std::vector<std::string> RulesOver(const Config& cfg, const std::vector<SuiteEntry>& entries) {
  std::unordered_set<std::string_view> probes;
  for (const auto& e : entries) probes.insert(e.probe);
  std::vector<std::string> out;
  for (const auto& rule : cfg.nfrs) {
    if (probes.count(rule.probe)) out.push_back(rule.name);
  }
  return out;
}

SuiteProfile DefaultProfile(const Config& cfg, std::string_view name) {
  SuiteProfile p;
  p.name = name;
  for (const auto& probe : cfg.probes) {
    if (probe.targets_from) continue;  // a template: its discovered probes run instead
    const auto& in = probe.traits.profiles;
    if (name == kFullProfile || std::find(in.begin(), in.end(), name) != in.end())
      p.probes.push_back({probe.name, probe.traits.default_samples,
                          DefaultMaxSamples(probe.traits.default_samples, probe.traits.on_demand)});
  }
  p.nfrs = RulesOver(cfg, p.probes);
  return p;
}

bool ValidProfileName(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// A profile's nfrs: each exists and judges a probe the profile runs.
void CheckProfileNfrs(MapReader& r, const Config& cfg, const SuiteProfile& profile,
                      const std::vector<std::string>& nfrs) {
  std::unordered_map<std::string_view, const NfrRule*> rules;
  for (const auto& rule : cfg.nfrs) rules.emplace(rule.name, &rule);
  std::unordered_set<std::string_view> probes;
  for (const auto& e : profile.probes) probes.insert(e.probe);
  for (const auto& n : nfrs) {
    auto rule = rules.find(n);
    if (rule == rules.end()) {
      r.diag().Error(r.MarkOf("nfrs"), r.PathOf("nfrs"), "no NFR named \"" + n + "\" under nfrs:");
    } else if (!probes.count(rule->second->probe)) {
      r.diag().Error(r.MarkOf("nfrs"), r.PathOf("nfrs"),
                     "NFR \"" + n + "\" judges probe \"" + rule->second->probe +
                         "\", which this profile does not run; add it to probes:");
    }
  }
}

}  // namespace

int DefaultMaxSamples(int samples, bool on_demand) {
  return on_demand ? samples : std::max(samples, std::min(samples * 10, 10'000));
}

std::map<std::string, SuiteProfile> ResolveProfiles(const Config& cfg) {
  std::map<std::string, SuiteProfile> out;
  for (std::string_view name : kDefaultProfiles) out[std::string(name)] = DefaultProfile(cfg, name);
  for (const auto& [name, p] : cfg.suites) out[name] = p;
  return out;
}

namespace {

// samples, max_samples and max_time, as a profile or one of its entries says them (0, nullopt:
// not said).
struct Sampling {
  std::int64_t samples = 0;
  std::int64_t max_samples = 0;
  std::optional<Duration> max_time;
};

void ReadSampling(MapReader& r, Sampling& s) {
  r.Read("samples", s.samples, 1, 10'000);
  r.Read("max_samples", s.max_samples, 1, 100'000);
  if (Duration d{}; r.Has("max_time") && r.Read("max_time", d)) s.max_time = d;
}

void ReadOnInconclusive(MapReader& r, SuiteProfile& profile) {
  std::string text;
  if (!r.Has("on_inconclusive") || !r.Read("on_inconclusive", text)) return;
  if (text == "fail") {
    profile.on_inconclusive = OnInconclusive::kFail;
  } else if (text != "pass") {
    r.diag().Error(r.MarkOf("on_inconclusive"), r.PathOf("on_inconclusive"),
                   "\"" + text +
                       "\" is not a choice; write pass (an inconclusive verdict passes with a "
                       "warning) or fail");
  }
}

// The profile's `probes:`, each entry with the profile's sampling unless it says its own.
void ParseEntries(MapReader& r, const Config& cfg, const Sampling& profile_sampling,
                  SuiteProfile& profile) {
  Diagnostics& diag = r.diag();
  YAML::Node probes = r.Node("probes");
  if (!probes.IsDefined() || probes.IsNull()) {
    diag.Error(r.mark(), r.PathOf("probes"),
               "missing; list the probes this profile runs, like [api_health, db]");
    return;
  }
  if (!IsSequence(probes, r.PathOf("probes"), diag)) return;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const std::string ipath = r.PathOf("probes") + "[" + std::to_string(i) + "]";
    SuiteEntry entry;
    Sampling own{0, profile_sampling.max_samples, profile_sampling.max_time};
    YAML::Mark mark = probes[i].Mark();
    if (probes[i].IsMap()) {
      MapReader e(probes[i], ipath, diag);
      e.Read("probe", entry.probe, true);
      ReadSampling(e, own);
      mark = e.MarkOf("probe");
      e.Finish();
    } else if (auto s = r.Scalar(probes[i], ipath)) {
      entry.probe = *s;
    }
    if (entry.probe.empty()) continue;
    const ProbeConfig* probe = cfg.FindProbe(entry.probe);
    if (probe == nullptr) {
      diag.Error(mark, ipath, "no probe named \"" + entry.probe + "\" under probes:");
      continue;
    }
    if (probe->targets_from) {
      diag.Error(mark, ipath,
                 "probe \"" + entry.probe +
                     "\" takes its targets from files (targets_from): the default profiles "
                     "run its discovered probes; a configured profile cannot list them yet");
      continue;
    }
    if (!seen.insert(entry.probe).second) {
      diag.Error(mark, ipath, "probe \"" + entry.probe + "\" is listed twice");
      continue;
    }
    entry.samples =
        static_cast<int>(own.samples > 0                ? own.samples
                         : profile_sampling.samples > 0 ? profile_sampling.samples
                                                        : probe->traits.default_samples);
    entry.max_samples =
        own.max_samples > 0
            ? static_cast<int>(std::max<std::int64_t>(own.max_samples, entry.samples))
            : DefaultMaxSamples(entry.samples, probe->traits.on_demand);
    if (own.max_time) entry.max_time = *own.max_time;
    profile.probes.push_back(entry);
  }
}

}  // namespace

void ParseSuites(const YAML::Node& node, Config& cfg, Diagnostics& diag) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    diag.Error(node.Mark(), "suites",
               "expected a mapping of profile names, like quick: { probes: [api_health] }");
    return;
  }
  MapReader top(node, "suites", diag);
  for (const auto& kv : node) {
    const std::string name = kv.first.Scalar();
    top.Known(name);
    const std::string path = "suites." + name;
    if (!ValidProfileName(name)) {
      diag.Error(kv.first.Mark(), path, "profile names use letters, digits, _ and -");
    }
    MapReader r(kv.second, path, diag, kv.first.Mark());
    SuiteProfile profile;
    profile.name = name;
    profile.from_config = true;
    Sampling sampling;
    ReadSampling(r, sampling);
    ReadOnInconclusive(r, profile);
    ParseEntries(r, cfg, sampling, profile);
    std::vector<std::string> nfrs;
    if (r.Has("nfrs")) {
      r.Read("nfrs", nfrs);
      CheckProfileNfrs(r, cfg, profile, nfrs);
      profile.nfrs = nfrs;
    } else {
      profile.nfrs = RulesOver(cfg, profile.probes);
    }
    r.Finish();
    cfg.suites[name] = std::move(profile);
  }
}

void ParseHistory(const YAML::Node& node, Config& cfg, Diagnostics& diag) {
  MapReader r(node, "history", diag);
  HistoryConfig& h = cfg.history;
  if (r.Read("store", h.store) && h.store != "file" && h.store != "postgres") {
    diag.Error(r.MarkOf("store"), r.PathOf("store"),
               "\"" + h.store + "\" is not a store; write file or postgres");
  }
  r.Read("dsn", h.dsn);
  r.Read("password", h.password);
  std::string password_file;
  if (r.Read("password_file", password_file) && !password_file.empty()) {
    if (!h.password.empty()) {
      diag.Error(r.MarkOf("password_file"), r.PathOf("password_file"),
                 "write password or password_file, not both");
    } else if (auto text = common::ReadFileBounded(password_file, 64 * 1024); !text) {
      // Bounded and without blocking: a FIFO named here must not hold a reload.
      diag.Error(r.MarkOf("password_file"), r.PathOf("password_file"),
                 "cannot read \"" + password_file + "\": " +
                     text.error().detail.substr(
                         std::min(text.error().detail.size(), password_file.size() + 2)));
    } else {
      h.password = common::FirstLine(*text);
    }
  }
  if (h.store == "postgres" && h.dsn.empty()) {
    diag.Error(r.MarkOf("store"), r.PathOf("dsn"),
               "missing; store: postgres needs dsn: (e.g. \"host=127.0.0.1 dbname=reznet "
               "user=perfd\")");
  }
  if (h.store == "file" && !h.dsn.empty()) {
    diag.Error(r.MarkOf("dsn"), r.PathOf("dsn"),
               "dsn: is only used with store: postgres; add it or remove dsn:");
  }
  r.ReadRatio("tolerance", h.tolerance);
  if (r.ReadRatio("significance", h.significance) && !(h.significance > 0 && h.significance < 1)) {
    diag.Error(r.MarkOf("significance"), r.PathOf("significance"),
               "must lie between 0 and 1 (exclusive), e.g. 0.05 or 5%");
  }
  r.Read("keep_runs", h.keep_runs, 1, 100'000'000);
  r.Read("keep_days", h.keep_days, 0, 100'000);
  r.Finish();
}

}  // namespace reznet::config
