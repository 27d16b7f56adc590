#pragma once
// Config helpers of http-speaking kinds: the request headers (the target's `headers`, then the
// probe's own `headers:` key over them; same name: the probe's wins) and expected statuses.

#include <charconv>

#include "clients/http_client.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"

namespace reznet::clients {

inline Headers ReadHeaders(config::MapReader& block, const config::TargetConfig* target) {
  std::map<std::string, std::string> merged;
  if (target != nullptr) merged = target->headers;
  std::map<std::string, std::string> own;
  block.ReadHeaders("headers", own);
  for (auto& [k, v] : own) merged[k] = v;
  return Headers(merged.begin(), merged.end());
}

// `status: 200` or `status: [200, 201]` under `key`; reports anything that is not a status code.
inline std::vector<int> ReadStatuses(config::MapReader& r, const std::string& key) {
  std::vector<int> out;
  YAML::Node status = r.Node(key);
  if (!status.IsDefined() || status.IsNull()) return out;
  std::vector<YAML::Node> items;
  if (status.IsSequence()) {
    for (const auto& n : status) items.push_back(n);
  } else {
    items.push_back(status);
  }
  for (const auto& n : items) {
    auto text = r.Scalar(n, r.PathOf(key));
    if (!text) continue;
    int code = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), code);
    if (ec != std::errc() || ptr != text->data() + text->size() || code < 100 || code > 599) {
      r.diag().Error(n.Mark(), r.PathOf(key),
                     "expected an HTTP status code like 200, got \"" + *text + "\"");
    } else {
      out.push_back(code);
    }
  }
  return out;
}

}  // namespace reznet::clients
