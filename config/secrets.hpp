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

// Every secret in `config`. Walks every target: once per config, not once per probe.
common::Redactor MakeRedactor(const Config& config);

// MakeRedactor(config), made on the first call and the same object on every later one, shared by
// everything built from `config` (each probe of 100,000 discovered ones holds a pointer, not a
// walk over the 100,000 targets). Thread-safe. Edit a Config before, not after, the first call.
std::shared_ptr<const common::Redactor> SecretsOf(const Config& config);

}  // namespace reznet::config
