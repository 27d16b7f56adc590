#include "config/discovery.hpp"

#include <glob.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <set>
#include <sstream>

#include "common/format.hpp"
#include "common/read_file.hpp"
#include "config/module.hpp"
#include "config/reader.hpp"

namespace reznet::config {
namespace {

// Where a template's target points while its kind's block is checked at load time: never reached.
constexpr std::string_view kPlaceholder = "placeholder.invalid";
// Skipped targets named in a log line per refresh; the rest are counted.
constexpr std::size_t kProblemsShown = 5;

std::string Where(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

bool HasGlob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

// Paths matching `pattern`, sorted; empty when none.
std::vector<std::string> Glob(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), GLOB_ERR, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

std::string Stamp(const struct stat& st) {
  return std::to_string(st.st_ino) + "/" + std::to_string(st.st_size) + "/" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

void ParseGroup(const YAML::Node& group, const std::string& file, FileSdDocument& doc) {
  if (!group.IsMap()) {
    doc.warnings.push_back(Where(file, group.Mark()) +
                           ": a group is a mapping {targets: [...], labels: {...}}; skipped");
    return;
  }
  std::vector<std::pair<std::string, std::string>> labels;
  const YAML::Node l = group["labels"];
  if (l.IsDefined() && !l.IsNull()) {
    if (!l.IsMap()) {
      doc.warnings.push_back(Where(file, l.Mark()) + ": labels must be a mapping; group skipped");
      return;
    }
    std::set<std::string> names;
    for (const auto& kv : l) {
      std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!ValidDiscoveredLabelName(name) || !kv.second.IsScalar()) {
        doc.warnings.push_back(Where(file, kv.first.Mark()) + ": label \"" + name.substr(0, 64) +
                               "\" dropped: names are [a-zA-Z_][a-zA-Z0-9_]* without a leading "
                               "__, values are strings");
        continue;
      }
      // Ours on the info metric: renamed the way Prometheus renames clashing target labels.
      if (name == "probe" || name == "target") name = "exported_" + name;
      if (names.insert(name).second) labels.emplace_back(name, kv.second.Scalar());
    }
    std::sort(labels.begin(), labels.end());
  }
  const YAML::Node t = group["targets"];
  if (!t.IsSequence()) {
    doc.warnings.push_back(Where(file, group.Mark()) +
                           ": a group needs targets: [\"host:port\", …]; skipped");
    return;
  }
  for (const auto& target : t) {
    if (!target.IsScalar() || target.Scalar().empty()) {
      doc.warnings.push_back(Where(file, target.Mark()) + ": a target is a non-empty string");
      continue;
    }
    doc.targets.push_back({target.Scalar(), labels});
  }
}

// The common case read fast: a JSON document of groups with string targets and string labels
// that all pass, parsed by boost::json (about ten times faster than yaml-cpp on 100,000
// targets). Nothing when the text is not such a document, or anything in it would be warned
// about or renamed: ParseFileSd reads it again with yaml-cpp, which knows where each node is.
// A key given twice in one object counts once, the last (as Prometheus' own JSON reading does;
// yaml-cpp keeps the first).
std::optional<FileSdDocument> ParsePlainJson(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '[') return std::nullopt;
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(text, ec);
  if (ec || !root.is_array()) return std::nullopt;
  FileSdDocument doc;
  for (const auto& group : root.get_array()) {
    if (!group.is_object()) return std::nullopt;
    const auto& g = group.get_object();
    std::vector<std::pair<std::string, std::string>> labels;
    if (const auto* l = g.if_contains("labels"); l != nullptr && !l->is_null()) {
      if (!l->is_object()) return std::nullopt;
      for (const auto& kv : l->get_object()) {
        const std::string_view name(kv.key().data(), kv.key().size());
        if (!ValidDiscoveredLabelName(name) || !kv.value().is_string() || name == "probe" ||
            name == "target")
          return std::nullopt;
        labels.emplace_back(std::string(name), std::string(kv.value().get_string()));
      }
      std::sort(labels.begin(), labels.end());
    }
    const auto* t = g.if_contains("targets");
    if (t == nullptr || !t->is_array()) return std::nullopt;
    for (const auto& target : t->get_array()) {
      if (!target.is_string() || target.get_string().empty()) return std::nullopt;
      doc.targets.push_back({std::string(target.get_string()), labels});
    }
  }
  return doc;
}

}  // namespace

bool ValidDiscoveredLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  if (std::isdigit(static_cast<unsigned char>(name.front())) != 0) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

common::Result<FileSdDocument> ParseFileSd(std::string_view text, const std::string& file) {
  if (auto plain = ParsePlainJson(text)) return std::move(*plain);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return common::Invalid(Where(file, e.mark) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return common::Invalid(file + ": " + e.what());
  }
  if (!root.IsDefined() || root.IsNull())
    return common::Invalid(file + ": empty (a half-written file?); write [] for no targets");
  if (!root.IsSequence())
    return common::Invalid(Where(file, root.Mark()) +
                           ": expected a list of groups: [{\"targets\": [\"host:port\"], "
                           "\"labels\": {…}}]");
  FileSdDocument doc;
  for (const auto& group : root) ParseGroup(group, file, doc);
  return doc;
}

TargetsFrom ParseTargetsFrom(MapReader r) {
  TargetsFrom from;
  if (r.Read("files", from.files) && from.files.empty())
    r.diag().Error(r.MarkOf("files"), r.PathOf("files"),
                   "list at least one file or glob, like [/etc/reznet-perfd/targets/*.json]");
  if (!r.Has("files"))
    r.diag().Error(r.mark(), r.PathOf("files"),
                   "missing; list file_sd files or globs, like [/etc/reznet-perfd/targets/*.json]");
  if (r.Read("refresh", from.refresh) && from.refresh < std::chrono::seconds(1))
    r.diag().Error(r.MarkOf("refresh"), r.PathOf("refresh"), "must be at least 1s");
  std::int64_t max = from.max_targets;
  if (r.Read("max_targets", max, 1, 100000)) from.max_targets = static_cast<int>(max);
  r.Finish();
  return from;
}

std::optional<TargetConfig> DiscoveryTemplate(MapReader& r, const TargetConfig* configured,
                                              const KindTraits& traits,
                                              const KindTraitsMap& kinds) {
  if (traits.address == nullptr || traits.on_demand) {
    r.diag().Error(
        r.MarkOf("targets_from"), r.PathOf("targets_from"),
        "kind \"" + traits.name +
            "\" takes no discovered targets; targets_from works with: " + AddressableKinds(kinds));
    return std::nullopt;
  }
  TargetConfig base;
  if (configured != nullptr) base = *configured;
  auto placeholder = WithAddress(base, traits.address, kPlaceholder);
  if (!placeholder) {
    r.diag().Error(r.MarkOf("target"), r.PathOf("target"), placeholder.error().detail);
    return std::nullopt;
  }
  return std::move(placeholder->target);
}

FileSdReader::File FileSdReader::Refresh(const std::string& path, Result& out) {
  File file;
  auto old = files_.find(path);
  // Moved, not copied (100,000 targets): Read replaces files_ with what this returns.
  if (old != files_.end()) file = std::move(old->second);
  struct stat st {};
  const std::string stamp = ::stat(path.c_str(), &st) == 0 ? Stamp(st) : "missing";
  if (old != files_.end() && stamp == file.stamp) return file;  // unchanged: nothing to read
  out.changed = true;
  file.stamp = stamp;
  std::string error;
  if (stamp == "missing") {
    error = path + ": vanished";
  } else if (auto text = common::ReadFileBounded(path, kMaxFileSdBytes); !text) {
    error = text.error().detail;
  } else if (auto doc = ParseFileSd(*text, path); !doc) {
    error = doc.error().detail;
  } else {
    if (!file.error.empty())
      out.messages.push_back(path + ": readable again, " + std::to_string(doc->targets.size()) +
                             " target(s)");
    file.error.clear();
    file.good = std::move(doc->targets);
    for (const auto& w : doc->warnings) {
      if (std::find(file.warnings.begin(), file.warnings.end(), w) == file.warnings.end())
        out.messages.push_back(w);
    }
    file.warnings = std::move(doc->warnings);
    return file;
  }
  ++out.errors;
  if (error != file.error) {
    out.messages.push_back(error + (file.good.empty()
                                        ? ""
                                        : "; its last good " + std::to_string(file.good.size()) +
                                              " target(s) are kept"));
  }
  file.error = std::move(error);
  return file;
}

FileSdReader::Result FileSdReader::Read(const TargetsFrom& from) {
  Result out;
  std::map<std::string, File> next;
  std::vector<std::string> order;
  for (const auto& pattern : from.files) {
    std::vector<std::string> paths = Glob(pattern);
    if (paths.empty() && !HasGlob(pattern)) {
      // A named file that vanished keeps its last good targets (Refresh reports it).
      auto old = files_.find(pattern);
      if (next.count(pattern) || (old != files_.end() && !old->second.good.empty()))
        paths.push_back(pattern);
    }
    auto seen = matched_.find(pattern);
    if (paths.empty() && (seen == matched_.end() || seen->second))
      out.messages.push_back("\"" + pattern + "\" matches no file: no targets from it");
    matched_[pattern] = !paths.empty();
    for (const auto& path : paths) {
      if (next.count(path)) continue;
      order.push_back(path);
      next.emplace(path, Refresh(path, out));
    }
  }
  // A file no pattern matches any more is gone with its targets.
  if (next.size() != files_.size() ||
      !std::equal(next.begin(), next.end(), files_.begin(),
                  [](const auto& a, const auto& b) { return a.first == b.first; }))
    out.changed = true;
  files_ = std::move(next);
  for (const auto& path : order) {
    const auto& good = files_[path].good;
    out.targets.insert(out.targets.end(), good.begin(), good.end());
  }
  return out;
}

Config ExpandDiscovered(const Config& loaded,
                        const std::map<std::string, std::vector<DiscoveredTarget>>& found,
                        std::map<std::string, DiscoveryStats>& stats) {
  Config cfg = loaded;
  cfg.probes.clear();
  cfg.probe_index.clear();
  std::size_t instances = loaded.probes.size();
  for (const auto& [name, targets] : found) instances += targets.size();
  cfg.probes.reserve(instances);  // a ProbeConfig is large: no copies while the vector grows
  static const std::vector<DiscoveredTarget> kNone;
  for (const auto& tmpl : loaded.probes) {
    if (!tmpl.targets_from) {
      cfg.probe_index.emplace(tmpl.name, cfg.probes.size());
      cfg.probes.push_back(tmpl);
      continue;
    }
    DiscoveryStats& st = stats[tmpl.name];
    st = {};
    auto skip = [&st](const char* reason, std::string problem) {
      ++st.skipped[reason];
      if (st.problems.size() < kProblemsShown) st.problems.push_back(std::move(problem));
    };
    const TargetConfig* configured = loaded.FindTarget(tmpl.target);
    const TargetConfig base = configured != nullptr ? *configured : TargetConfig{};
    YAML::Node block;
    try {
      block = YAML::Load(tmpl.fingerprint)[tmpl.kind];
    } catch (const YAML::Exception&) {  // it was loaded from this very text
    }
    auto it = found.find(tmpl.name);
    const auto& targets = it == found.end() ? kNone : it->second;
    std::set<std::string> names;
    // The first good parse, when the kind's settings are the same for every target.
    std::shared_ptr<const KindSettings> shared;
    std::vector<std::string> shared_used;
    for (const auto& t : targets) {
      if (st.targets >= tmpl.targets_from->max_targets) {
        skip("over_limit", "more than max_targets " +
                               std::to_string(tmpl.targets_from->max_targets) + " targets");
        continue;
      }
      auto addressed = WithAddress(base, tmpl.traits.address, t.address);
      if (!addressed) {
        skip("invalid", addressed.error().detail);
        continue;
      }
      ProbeConfig p = tmpl;
      p.targets_from.reset();
      p.name = tmpl.name + "/" + addressed->where.ToString();
      if (!names.insert(p.name).second) {
        skip("duplicate", "target \"" + t.address + "\": listed again as " + p.name);
        continue;
      }
      p.target = p.name;
      p.discovered_from = tmpl.name;
      p.discovered_address = t.address;
      p.discovered_labels = t.labels;
      TargetConfig& target = cfg.targets[p.name];
      target = std::move(addressed->target);
      target.name = p.name;
      target.fingerprint = base.fingerprint + "\n# discovered: " + t.address;
      if (shared) {
        p.settings = shared;
        p.targets_used = shared_used;
      } else {
        Diagnostics diag(loaded.source);
        MapReader r(block, tmpl.name + "." + tmpl.kind, diag);
        r.set_config(&cfg);
        p.settings = tmpl.traits.parse(r, &target, p);
        r.Finish();
        if (!diag.ok() || !p.settings) {
          skip("invalid", "target \"" + t.address + "\": " + common::Join(diag.errors(), "; "));
          cfg.targets.erase(p.name);
          continue;
        }
        p.targets_used = r.targets_used();
        if (tmpl.traits.settings_shared) {
          shared = p.settings;
          shared_used = p.targets_used;  // without this instance's own target
          std::erase(shared_used, p.name);
        }
      }
      p.targets_used.push_back(p.name);
      std::sort(p.targets_used.begin(), p.targets_used.end());
      p.targets_used.erase(std::unique(p.targets_used.begin(), p.targets_used.end()),
                           p.targets_used.end());
      cfg.probe_index.emplace(p.name, cfg.probes.size());
      cfg.probes.push_back(std::move(p));
      ++st.targets;
    }
  }
  return cfg;
}

}  // namespace reznet::config
