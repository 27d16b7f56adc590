#pragma once
// spdlog set-up: one stderr sink, text by default, one valid JSON object per line with
// format "json" (the message is JSON-escaped by a custom flag; spdlog's %v is not).

#include "config/config.hpp"

namespace reznet::daemon {

void SetupLogging(const config::LogConfig& log);

}  // namespace reznet::daemon
