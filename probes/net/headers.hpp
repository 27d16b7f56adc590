#pragma once
// The request headers of an http-speaking probe: the target's `headers`, then the probe's own
// `headers:` key over them (same name: the probe's wins).

#include "config/config.hpp"
#include "config/reader.hpp"
#include "probes/net/http_client.hpp"

namespace reznet::probes::net {

inline Headers ReadHeaders(config::MapReader& block, const config::TargetConfig* target) {
  std::map<std::string, std::string> merged;
  if (target != nullptr) merged = target->headers;
  std::map<std::string, std::string> own;
  block.Read("headers", own);
  for (auto& [k, v] : own) merged[k] = v;
  return Headers(merged.begin(), merged.end());
}

}  // namespace reznet::probes::net
