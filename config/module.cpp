#include "config/module.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/format.hpp"
#include "config/loader.hpp"
#include "config/reader.hpp"

namespace reznet::config {
namespace {

// Where a module's target is written for the check at load time: never reached.
constexpr std::string_view kPlaceholder = "placeholder.invalid";

// "443" or "8000-8099".
bool ParsePortRange(const std::string& text, std::pair<std::uint16_t, std::uint16_t>& out) {
  const auto num = [](std::string_view s, std::uint16_t& v) {
    unsigned n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || ptr != s.data() + s.size() || n == 0 || n > 65535) return false;
    v = static_cast<std::uint16_t>(n);
    return true;
  };
  const auto dash = text.find('-');
  const std::string_view t(text);
  if (dash == std::string::npos) {
    if (!num(t, out.first)) return false;
    out.second = out.first;
    return true;
  }
  return num(t.substr(0, dash), out.first) && num(t.substr(dash + 1), out.second) &&
         out.first <= out.second;
}

AllowList ParseAllow(MapReader r) {
  AllowList allow;
  if (r.Read("hosts", allow.hosts)) {
    for (auto& h : allow.hosts) {
      std::transform(h.begin(), h.end(), h.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (auto ip = ParseHost(h); ip && ip->literal()) {
        r.diag().Error(r.MarkOf("hosts"), r.PathOf("hosts"),
                       "\"" + h +
                           "\" is an address: hosts match names only; write it under cidrs: [" +
                           (ip->kind == Host::Kind::kIpv4 ? h + "/32" : ip->text + "/128") + "]");
      } else if (!std::all_of(h.begin(), h.end(), [](unsigned char c) {
                   return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '*';
                 })) {
        r.diag().Error(
            r.MarkOf("hosts"), r.PathOf("hosts"),
            "\"" + h + "\" is not a host pattern: letters, digits, '-', '.', '_' and '*'");
      }
    }
  }
  std::vector<std::string> cidrs;
  if (r.Read("cidrs", cidrs)) {
    for (const auto& text : cidrs) {
      auto c = ParseCidr(text);
      if (c) {
        allow.cidrs.push_back(*c);
      } else {
        r.diag().Error(r.MarkOf("cidrs"), r.PathOf("cidrs"), c.error().detail);
      }
    }
  }
  std::vector<std::string> ports;
  if (r.Read("ports", ports)) {
    for (const auto& text : ports) {
      std::pair<std::uint16_t, std::uint16_t> range;
      if (ParsePortRange(text, range)) {
        allow.ports.push_back(range);
      } else {
        r.diag().Error(r.MarkOf("ports"), r.PathOf("ports"),
                       "\"" + text + "\" is not a port or range; write 443 or \"8000-8099\"");
      }
    }
  }
  r.Finish();
  return allow;
}

void ParseModule(const std::string& name, const YAML::Node& node, const YAML::Mark& name_mark,
                 Config& cfg, const KindTraitsMap& kinds, Diagnostics& diag) {
  const std::string path = "modules." + name;
  if (!ValidName(name)) diag.Error(name_mark, path, "module names use letters, digits, _ and -");
  MapReader r(node, path, diag, name_mark);
  if (!node.IsMap()) {
    diag.Error(node.Mark(), path, "expected a mapping: { kind: http, allow: { hosts: [...] }, … }");
    return;
  }
  ModuleConfig m;
  m.name = name;
  m.line = name_mark.line + 1;
  m.probe.name = name;
  m.probe.target = name;
  m.probe.line = m.line;
  m.probe.fingerprint = YAML::Dump(node);
  r.Read("kind", m.probe.kind, true);
  if (r.Read("timeout", m.probe.timeout) && m.probe.timeout <= Duration::zero())
    diag.Error(r.MarkOf("timeout"), r.PathOf("timeout"), "must be greater than 0");
  const YAML::Node target = r.Node("target");
  if (target.IsDefined() && !target.IsNull()) {
    m.target = ParseTarget(name, target, r.PathOf("target"), diag);
  } else {
    m.target.name = name;
  }
  m.allow = ParseAllow(MapReader(r.Node("allow"), r.PathOf("allow"), diag, node.Mark()));
  if (!m.probe.kind.empty()) {
    auto it = kinds.find(m.probe.kind);
    if (it == kinds.end() || it->second.address == nullptr || it->second.on_demand) {
      diag.Error(r.MarkOf("kind"), r.PathOf("kind"),
                 (it == kinds.end() ? "unknown probe kind \"" : "kind \"") + m.probe.kind +
                     (it == kinds.end() ? "\"" : "\" takes no target given at run time") +
                     "; a module is one of: " + AddressableKinds(kinds));
    } else {
      m.probe.traits = it->second;
      const YAML::Node block_node = r.Node(m.probe.kind);
      if (block_node.IsDefined() && !block_node.IsNull()) m.block = YAML::Dump(block_node);
      // Read the block now, against a placeholder address, so its mistakes are found at load
      // time with their line; each request reads it again for its own target.
      auto placeholder = WithAddress(m.target, m.probe.traits.address, kPlaceholder);
      if (placeholder) {
        MapReader block(block_node, r.PathOf(m.probe.kind), diag, node.Mark());
        block.set_config(&cfg);
        m.probe.settings = m.probe.traits.parse(block, &placeholder->target, m.probe);
        block.Finish();
      } else {
        diag.Error(r.MarkOf("target"), r.PathOf("target"), placeholder.error().detail);
      }
    }
  }
  r.Finish();
  cfg.modules.emplace(name, std::move(m));
}

}  // namespace

std::string AddressableKinds(const KindTraitsMap& kinds) {
  std::string out;
  for (const auto& [name, traits] : kinds) {
    if (traits.address != nullptr && !traits.on_demand) out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

void ParseModules(const YAML::Node& node, Config& cfg, const KindTraitsMap& kinds,
                  Diagnostics& diag) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    diag.Error(node.Mark(), "modules",
               "expected a mapping of module names: modules: { http_2xx: { kind: http, … } }");
    return;
  }
  for (const auto& kv : node)
    ParseModule(kv.first.Scalar(), kv.second, kv.first.Mark(), cfg, kinds, diag);
}

common::Result<ModuleProbe> ResolveModule(const ModuleConfig& module, std::string_view address,
                                          const Config& cfg) {
  auto addressed = WithAddress(module.target, module.probe.traits.address, address);
  if (!addressed) return std::unexpected(addressed.error());
  const std::string where = addressed->where.ToString();
  if (module.allow.Empty()) {
    return common::Fail(common::ErrorKind::kForbidden,
                        "module \"" + module.name +
                            "\" allows no target yet: list hosts or cidrs under modules." +
                            module.name + ".allow");
  }
  if (!module.allow.Allows(addressed->where)) {
    return common::Fail(common::ErrorKind::kForbidden,
                        "target " + where + " is not allowed by modules." + module.name + ".allow");
  }
  ModuleProbe out{module.probe, std::make_shared<const TargetConfig>(std::move(addressed->target))};
  Diagnostics diag("module " + module.name);
  try {
    const YAML::Node block = module.block.empty() ? YAML::Node() : YAML::Load(module.block);
    MapReader r(block, module.probe.kind, diag);
    r.set_config(&cfg);
    out.probe.settings = module.probe.traits.parse(r, out.target.get(), out.probe);
    r.Finish();
  } catch (const YAML::Exception& e) {
    return common::Invalid("module " + module.name + ": " + e.what());
  }
  if (!diag.ok() || !out.probe.settings)
    return common::Invalid("target " + where + ": " + common::Join(diag.errors(), "; "));
  return out;
}

}  // namespace reznet::config
