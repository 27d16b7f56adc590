#pragma once
// spdlog set-up: one stderr sink, text by default, one valid JSON object per line with
// format "json" (the message is JSON-escaped by a custom flag; spdlog's %v is not). Secrets are
// replaced by "***" in every message.

#include "common/redact.hpp"
#include "config/config.hpp"

namespace reznet::daemon {

// Every message is scrubbed of `secrets` before it is formatted (text and JSON alike), so a
// secret in a relayed upstream message never reaches the log.
void SetupLogging(const config::LogConfig& log, common::Redactor secrets = {});

// Replaces the secrets of the logger SetupLogging made (after a reload). Thread-safe.
void SetLogSecrets(common::Redactor secrets);

}  // namespace reznet::daemon
