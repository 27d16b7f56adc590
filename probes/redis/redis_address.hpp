#pragma once
// The redis kind's address given at run time (KindTraits::address): redis://host[:port][/db] or
// host[:port] replaces the host and port of the target's redis url (6379 when not given); the
// template's user, password and database stay.

#include <string_view>

#include "config/module.hpp"

namespace reznet::probes::redis {

common::Result<config::Addressed> RedisAddress(const config::TargetConfig& tmpl,
                                               std::string_view address);

}  // namespace reznet::probes::redis
