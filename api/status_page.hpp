#pragma once
// The status page (GET /): what an operator opening the daemon in a browser needs at a glance —
// the NFR table, every probe's last result and next run, recent failures with their detail, a
// latency chart per probe (inline SVG; no scripts, no external assets), the latest suite runs,
// and links to /metrics, /api/v1/status and /runs. Rendered from a plain snapshot, so it is
// unit-tested without a daemon. Every text from config, probes or users is HTML-escaped
// (common/escape.hpp), and URL-encoded too inside a link.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "telemetry/status_model.hpp"

namespace reznet::api {

std::string RenderStatusPage(const telemetry::StatusPageData& data);

}  // namespace reznet::api
