#pragma once
// What GET /probe answers (api/probe_route.hpp), as text: the exposition of one run, in
// blackbox_exporter's names for `http` modules (docs/http-api.md "GET /probe"), and the debug=true
// page. Pure functions of the run's Outcome; thread-safe.
//
// An http module answers the families of blackbox_exporter's http prober (0.23), with its names,
// HELP texts, types and labels:
//   probe_success, probe_duration_seconds           as for every kind
//   probe_dns_lookup_time_seconds                   our dns phase (0 for an IP literal)
//   probe_http_duration_seconds{phase}              resolve = dns, connect = connect, tls = tls,
//                                                   processing = ttfb, transfer = transfer
//                                                   (each the mean of the run's samples; 0 when
//                                                   the run did not get that far)
//   probe_http_status_code, probe_http_version (1, 1.1), probe_http_ssl (0/1),
//   probe_http_content_length (-1 without Content-Length), probe_http_uncompressed_body_length,
//   probe_http_redirects (always 0: the http kind follows no redirect),
//   probe_failed_due_to_regex (1 when a body expectation failed: expect.body_contains or
//   expect.json, our counterparts of fail_if_body_not_matches_regexp; else 0, as blackbox without
//   a regex), probe_ip_protocol (4/6) and probe_ip_addr_hash (FNV-1a 32 of the address's bytes)
//   of the address tried (resolved, or the IP literal); after a TLS handshake
//   probe_ssl_earliest_cert_expiry, probe_ssl_last_chain_expiry_timestamp_seconds (when the chain
//   was verified) and probe_tls_version_info{version}.
// Beside them, ours that clash with none: probe_phase_duration_seconds{phase} (our phase names,
// as every kind has it) and, on failure, probe_error{kind} with a "# error:" comment line.
// Other kinds answer what they always did (probe_phase_duration_seconds, probe_error, the kind's
// counters as probe_<kind>_<counter>).

#include <string>

#include "probes/outcome.hpp"

namespace reznet::common {
class Redactor;
}

namespace reznet::api {

// The exposition text answering one run of `kind` that took `seconds`.
std::string RenderProbeResult(const std::string& kind, const probes::Outcome& outcome,
                              double seconds);

// What the debug page says about the run besides the outcome.
struct ProbeDebugInfo {
  std::string module;
  std::string kind;
  std::string target;  // as the request gave it
  std::string parsed;  // what the module made of it (the url; "host:port" for other kinds)
  double timeout_seconds = 0;
};

// GET /probe?debug=true: "Logs for the probe:" (one logfmt line per step: the module, the target
// as sent and as parsed, the address connected to, each phase with its blackbox name, the status,
// TLS version and certificate expiry, the error), then "Metrics that would have been returned:"
// and `metrics`. Every value users wrote is escaped for one line (common::LogText) and quoted;
// the whole text goes through `secrets` (configured secrets become "***").
std::string RenderProbeDebug(const ProbeDebugInfo& info, const probes::Outcome& outcome,
                             double seconds, const std::string& metrics,
                             const common::Redactor& secrets);

}  // namespace reznet::api
