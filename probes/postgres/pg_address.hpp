#pragma once
// The postgres kind's address given at run time (KindTraits::address): host[:port] (5432 when not
// given) replaces the host and port of the target's dsn, a URI's authority or, for a keyword dsn,
// by appending host= and port= (of keywords given twice, libpq takes the last). The address is a
// host name or an IP literal (config::ParseHostPort), so it cannot start another keyword.

#include <string_view>

#include "config/module.hpp"

namespace reznet::probes::pg {

common::Result<config::Addressed> PostgresAddress(const config::TargetConfig& tmpl,
                                                  std::string_view address);

}  // namespace reznet::probes::pg
