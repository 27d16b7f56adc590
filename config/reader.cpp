#include "config/reader.hpp"

#include <algorithm>

#include "common/escape.hpp"
#include "config/config.hpp"

namespace reznet::config {
namespace {

std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    default:
      return "an undefined value";
  }
}

}  // namespace

void Diagnostics::Error(const YAML::Mark& mark, const std::string& path,
                        const std::string& message) {
  std::string line = file_;
  if (mark.line >= 0) {
    line += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  line += ": ";
  if (!path.empty()) line += path + ": ";
  // What the file said may be quoted: one error, one line, whatever it held (CR, LF, NUL …).
  line += common::LogText(message);
  errors_.push_back(std::move(line));
}

MapReader::MapReader(const YAML::Node& node, std::string path, Diagnostics& diag,
                     const YAML::Mark& fallback)
    : node_(node),
      path_(std::move(path)),
      diag_(diag),
      mark_(node.IsDefined() && !node.IsNull() ? node.Mark() : fallback) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    diag_.Error(mark_, path_, "expected a mapping (key: value lines), got " + Describe(node));
    return;
  }
  is_map_ = true;
  // yaml-cpp accepts duplicate keys and returns the first on lookup; reject them here.
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      diag_.Error(kv.first.Mark(), PathOf(key), "duplicate key \"" + key + "\"; keep only one");
    }
  }
}

std::string MapReader::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool MapReader::Has(const std::string& key) const {
  return is_map_ && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Mark MapReader::MarkOf(const std::string& key) const {
  if (!is_map_) return mark_;
  const YAML::Node& node = node_;
  const YAML::Node value = node[key];
  return value.IsDefined() ? value.Mark() : mark_;
}

const TargetConfig* MapReader::FindTarget(const std::string& name) {
  if (config_ == nullptr) return nullptr;
  targets_used_.push_back(name);
  return config_->FindTarget(name);
}

YAML::Node MapReader::Node(const std::string& key) {
  known_.insert(key);
  if (!is_map_) return YAML::Node(YAML::NodeType::Undefined);
  return node_[key];
}

std::optional<std::string> MapReader::Scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    diag_.Error(node.Mark(), path, "expected a single value, got " + Describe(node));
    return std::nullopt;
  }
  auto expanded = ExpandEnv(node.Scalar());
  if (!expanded) {
    diag_.Error(node.Mark(), path, expanded.error().detail);
    return std::nullopt;
  }
  return *expanded;
}

bool MapReader::Read(const std::string& key, std::string& out, bool required) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (required) diag_.Error(mark_, PathOf(key), "missing; this key is required");
    return !required;
  }
  auto v = Scalar(n, PathOf(key));
  if (!v) return false;
  out = std::move(*v);
  return true;
}

bool MapReader::Read(const std::string& key, Duration& out, bool required) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) {
    if (required) diag_.Error(mark_, PathOf(key), "missing; write a duration like \"5s\"");
    return !required;
  }
  auto v = Scalar(n, PathOf(key));
  if (!v) return false;
  auto d = ParseDuration(*v);
  if (!d) {
    diag_.Error(n.Mark(), PathOf(key), d.error().detail);
    return false;
  }
  out = *d;
  return true;
}

bool MapReader::Read(const std::string& key, bool& out) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) return true;
  auto v = Scalar(n, PathOf(key));
  if (!v) return false;
  if (*v == "true") {
    out = true;
  } else if (*v == "false") {
    out = false;
  } else {
    diag_.Error(n.Mark(), PathOf(key), "expected true or false, got \"" + *v + "\"");
    return false;
  }
  return true;
}

bool MapReader::Read(const std::string& key, std::int64_t& out, std::int64_t min,
                     std::int64_t max) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) return true;
  auto v = Scalar(n, PathOf(key));
  if (!v) return false;
  std::int64_t value = 0;
  std::size_t used = 0;
  try {
    value = std::stoll(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size()) {
    diag_.Error(n.Mark(), PathOf(key), "expected a whole number, got \"" + *v + "\"");
    return false;
  }
  if (value < min || value > max) {
    diag_.Error(
        n.Mark(), PathOf(key),
        "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + *v);
    return false;
  }
  out = value;
  return true;
}

bool MapReader::ReadRatio(const std::string& key, double& out) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) return true;
  auto v = Scalar(n, PathOf(key));
  if (!v) return false;
  auto r = ParseRatio(*v);
  if (!r) {
    diag_.Error(n.Mark(), PathOf(key), r.error().detail);
    return false;
  }
  out = *r;
  return true;
}

bool MapReader::Read(const std::string& key, std::vector<std::string>& out) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) return true;
  if (!IsSequence(n, PathOf(key), diag_)) return false;
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < n.size(); ++i) {
    auto v = Scalar(n[i], PathOf(key) + "[" + std::to_string(i) + "]");
    if (v) values.push_back(*v);
    ok = ok && v.has_value();
  }
  if (ok) out = std::move(values);
  return ok;
}

bool MapReader::Read(const std::string& key, std::map<std::string, std::string>& out) {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) return true;
  MapReader sub(n, PathOf(key), diag_);
  if (!n.IsMap()) return false;
  bool ok = true;
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    std::string value;
    ok = sub.Read(k, value) && ok;
    out[k] = value;
  }
  return ok;
}

bool MapReader::ReadRequestTarget(const std::string& key, std::string& out, bool required) {
  std::string text = out;  // absent: the default stays
  if (!Read(key, text, required)) return false;
  if (auto valid = ValidateRequestTarget(text); !valid) {
    diag_.Error(MarkOf(key), PathOf(key), valid.error().detail);
    return false;
  }
  out = std::move(text);
  return true;
}

bool MapReader::ReadHeaders(const std::string& key, std::map<std::string, std::string>& out) {
  std::map<std::string, std::string> headers;
  if (!Read(key, headers)) return false;
  bool ok = true;
  for (const auto& [name, value] : headers) {
    auto valid = ValidateHeaderName(name);
    if (valid && !ValidateHeaderValue(value))
      valid = common::Invalid("the value of \"" + name +
                              "\" holds a control character (CR, LF, NUL …)");
    if (!valid) {
      diag_.Error(MarkOf(key), PathOf(key), valid.error().detail);
      ok = false;
    }
  }
  if (ok) out = std::move(headers);
  return ok;
}

void MapReader::Finish() {
  if (!is_map_) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (known_.count(key)) continue;
    std::string hint;
    std::size_t best = 3;
    for (const auto& k : known_) {
      auto d = EditDistance(key, k);
      if (d < best) {
        best = d;
        hint = k;
      }
    }
    std::string message = "unknown key \"" + key + "\"";
    if (!hint.empty()) {
      message += "; did you mean \"" + hint + "\"?";
    } else if (!known_.empty()) {
      message += "; known keys here:";
      for (const auto& k : known_) message += " " + k;
    }
    diag_.Error(kv.first.Mark(), PathOf(key), message);
  }
}

bool IsSequence(const YAML::Node& node, const std::string& path, Diagnostics& diag) {
  if (node.IsSequence()) return true;
  diag.Error(node.Mark(), path, "expected a list (\"- item\" lines), got " + Describe(node));
  return false;
}

}  // namespace reznet::config
