#pragma once
// Which configured values are secrets: every target's api_key and password, the values of its
// secret headers (Authorization, X-Api-Key, Cookie and those in `secret_headers`; for a
// "Bearer <token>"-like value the token alone too), daemon.auth.token and history.password.
// Collected into a common::Redactor once per loaded config.

#include "common/redact.hpp"
#include "config/config.hpp"

namespace reznet::config {

// Adds the secrets of one target to `out`.
void AddTargetSecrets(const TargetConfig& target, common::Redactor& out);

// Every secret in `config`.
common::Redactor MakeRedactor(const Config& config);

}  // namespace reznet::config
