#include "probes/postgres/pg_address.hpp"

#include <string>

#include "config/host.hpp"

namespace reznet::probes::pg {

common::Result<config::Addressed> PostgresAddress(const config::TargetConfig& tmpl,
                                                  std::string_view address) {
  auto hp = config::ParseHostPort(address, 5432);
  if (!hp) return config::AddressError(address, hp.error().detail);
  config::Addressed out{tmpl, *hp};
  if (tmpl.dsn.find("://") != std::string::npos) {
    out.target.dsn = config::ReplaceAuthority(tmpl.dsn, *hp);
  } else {
    out.target.dsn = tmpl.dsn + (tmpl.dsn.empty() ? "" : " ") + "host=" + hp->host.text +
                     " port=" + std::to_string(hp->port);
  }
  return out;
}

}  // namespace reznet::probes::pg
