#include "probes/redis/redis_address.hpp"

#include <string>

#include "config/host.hpp"

namespace reznet::probes::redis {

common::Result<config::Addressed> RedisAddress(const config::TargetConfig& tmpl,
                                               std::string_view address) {
  std::string_view hostport = address;
  if (hostport.starts_with("redis://")) {
    hostport.remove_prefix(8);
    hostport = hostport.substr(0, hostport.find('/'));
  } else if (hostport.find("://") != std::string_view::npos) {
    return config::AddressError(address, "write redis://host:port or host:port");
  }
  auto hp = config::ParseHostPort(hostport, 6379);
  if (!hp) return config::AddressError(address, hp.error().detail);
  config::Addressed out{tmpl, *hp};
  const std::string base = tmpl.redis_url.empty() ? "redis://placeholder" : tmpl.redis_url;
  out.target.redis_url = config::ReplaceAuthority(base, *hp);
  return out;
}

}  // namespace reznet::probes::redis
