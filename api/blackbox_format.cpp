#include "api/blackbox_format.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/escape.hpp"
#include "common/exposition.hpp"
#include "common/redact.hpp"
#include "common/time.hpp"
#include "probes/http/http_probe.hpp"
#include "telemetry/status_model.hpp"

namespace reznet::api {
namespace {

// blackbox_exporter's http phases (prober/http.go) and the http kind's phases they are
// measured by (clients/http_client.hpp): resolve = DNS start..done, connect = TCP connect,
// tls = handshake, processing = connection ready..first response byte (our ttfb: the request
// written, then the server's wait), transfer = first byte..body read.
struct PhaseName {
  std::string_view blackbox;
  std::string_view ours;
};
constexpr std::array<PhaseName, 5> kHttpPhases{{{"connect", "connect"},
                                                {"processing", "ttfb"},
                                                {"resolve", "dns"},
                                                {"tls", "tls"},
                                                {"transfer", "transfer"}}};

std::string_view BlackboxPhase(std::string_view ours) {
  for (const auto& p : kHttpPhases)
    if (p.ours == ours) return p.blackbox;
  return {};
}

// Letters, digits and '_' only, for the metric name part.
std::string MetricPart(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) != 0 ? static_cast<char>(c) : '_';
  return out;
}

double PhaseMean(const probes::Outcome& outcome, std::string_view phase) {
  const probes::Phase* p = outcome.FindPhase(std::string(phase));
  return p == nullptr ? 0 : telemetry::MeanSeconds(*p).value_or(0);
}

std::optional<std::string> Note(const probes::Outcome& outcome, std::string_view name) {
  for (const auto& [key, value] : outcome.notes)
    if (key == name) return value;
  return std::nullopt;
}

void Gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  common::AppendHelpType(out, name, help, "gauge");
  common::AppendSample(out, name, {}, value);
}

std::string_view ErrorName(const probes::Outcome& outcome) {
  return outcome.skipped ? std::string_view("skipped") : clients::ToString(outcome.error->kind);
}

// Ours, beside any blackbox family: the phases by our names, and the error kind on failure.
void AppendOwnSeries(std::string& out, const probes::Outcome& outcome) {
  if (!outcome.phases.empty()) {
    common::AppendHelpType(out, "probe_phase_duration_seconds",
                           "Duration of each phase of the run in seconds (the mean of its "
                           "samples).",
                           "gauge");
    for (const auto& phase : outcome.phases) {
      const common::Label labels[] = {{"phase", phase.name}};
      common::AppendSample(out, "probe_phase_duration_seconds", labels,
                           telemetry::MeanSeconds(phase).value_or(0));
    }
  }
  if (outcome.ok()) return;
  const std::string_view error = ErrorName(outcome);
  common::AppendHelpType(out, "probe_error", "Why the probe failed: 1 for its error kind.",
                         "gauge");
  const common::Label labels[] = {{"kind", error}};
  common::AppendSample(out, "probe_error", labels, 1);
  std::string detail = outcome.skipped ? outcome.skip_reason : outcome.error->detail;
  if (detail.size() > 300) detail = detail.substr(0, 300) + "…";
  out += "# error: ";
  out += error;
  out += ": " + common::LogText(detail) + "\n";
}

// FNV-1a 32 of the address's bytes (4 for IPv4, 16 for IPv6), as blackbox's probe_ip_addr_hash.
std::optional<std::pair<int, double>> AddressFacts(const std::string& text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  std::uint32_t hash = 2166136261u;
  const auto mix = [&](const auto& bytes) {
    for (unsigned char b : bytes) hash = (hash ^ b) * 16777619u;
  };
  if (address.is_v4()) {
    mix(address.to_v4().to_bytes());
  } else {
    mix(address.to_v6().to_bytes());
  }
  return std::pair{address.is_v4() ? 4 : 6, static_cast<double>(hash)};
}

void AppendTlsFamilies(std::string& out, const probes::Outcome& outcome) {
  const auto expiry = outcome.Counter("cert_expiry");
  const auto version = Note(outcome, "tls_version");
  if (!expiry || !version) return;
  Gauge(out, "probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime",
        *expiry);
  if (const auto chain = outcome.Counter("verified_chain_expiry")) {
    Gauge(out, "probe_ssl_last_chain_expiry_timestamp_seconds",
          "Returns last SSL chain expiry in timestamp", *chain);
  }
  Gauge(out, "probe_success", "Displays whether or not the probe was a success",
        outcome.ok() ? 1 : 0);
  common::AppendHelpType(out, "probe_tls_version_info",
                         "Returns the TLS version used or NaN when unknown", "gauge");
  const common::Label labels[] = {{"version", *version}};
  common::AppendSample(out, "probe_tls_version_info", labels, 1);
}

// The families of blackbox_exporter's http prober, in its (alphabetical) order.
std::string RenderHttp(const probes::Outcome& outcome, double seconds) {
  std::string out;
  const auto status = outcome.Counter("status");
  const auto counter = [&](const char* name) { return outcome.Counter(name).value_or(0); };
  Gauge(out, "probe_dns_lookup_time_seconds",
        "Returns the time taken for probe dns lookup in seconds", PhaseMean(outcome, "dns"));
  Gauge(out, "probe_duration_seconds", "Returns how long the probe took to complete in seconds",
        seconds);
  Gauge(out, "probe_failed_due_to_regex", "Indicates if probe failed due to regex",
        outcome.error && outcome.error->kind == clients::ErrorKind::kAssertion ? 1 : 0);
  Gauge(out, "probe_http_content_length", "Length of http content response",
        status ? counter("content_length") : 0);
  common::AppendHelpType(out, "probe_http_duration_seconds",
                         "Duration of http request by phase, summed over all redirects", "gauge");
  for (const auto& p : kHttpPhases) {
    const common::Label labels[] = {{"phase", p.blackbox}};
    common::AppendSample(out, "probe_http_duration_seconds", labels, PhaseMean(outcome, p.ours));
  }
  Gauge(out, "probe_http_redirects", "The number of redirects", 0);
  const auto tls_version = Note(outcome, "tls_version");
  Gauge(out, "probe_http_ssl", "Indicates if SSL was used for the final redirect",
        status && tls_version ? 1 : 0);
  Gauge(out, "probe_http_status_code", "Response HTTP status code", status.value_or(0));
  Gauge(out, "probe_http_uncompressed_body_length", "Length of uncompressed response body",
        counter("bytes"));
  Gauge(out, "probe_http_version", "Returns the version of HTTP of the probe response",
        counter("http_version"));
  const auto address = Note(outcome, "peer_address");
  if (const auto facts = address ? AddressFacts(*address) : std::nullopt) {
    Gauge(out, "probe_ip_addr_hash",
          "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
          facts->second);
    Gauge(out, "probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6",
          facts->first);
  }
  if (outcome.Counter("cert_expiry") && tls_version) {
    AppendTlsFamilies(out, outcome);  // probe_success sorts between the ssl and tls families
  } else {
    Gauge(out, "probe_success", "Displays whether or not the probe was a success",
          outcome.ok() ? 1 : 0);
  }
  AppendOwnSeries(out, outcome);
  return out;
}

// One logfmt value: bare when it is a plain word, else quoted with `\` and `"` escaped; control
// characters escaped either way (common::LogText), so a value stays on its line.
std::string LogValue(std::string_view raw) {
  const bool bare = !raw.empty() && std::all_of(raw.begin(), raw.end(), [](unsigned char c) {
    return c > 0x20 && c < 0x7F && c != '"' && c != '=' && c != '\\';
  });
  if (bare) return std::string(raw);
  std::string quoted;
  for (char c : raw) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "\"" + common::LogText(quoted) + "\"";
}

struct LogLine {
  std::string& out;
  const std::string& module;
  LogLine& Begin(std::string_view level, std::string_view msg) {
    out += "level=" + std::string(level) + " module=" + LogValue(module) + " msg=" + LogValue(msg);
    return *this;
  }
  LogLine& Field(std::string_view key, std::string_view value) {
    out += " " + std::string(key) + "=" + LogValue(value);
    return *this;
  }
  LogLine& Field(std::string_view key, double value) {
    out += " " + std::string(key) + "=";
    common::AppendNumber(out, value);
    return *this;
  }
  void End() { out += '\n'; }
};

void LogPhases(LogLine& log, const ProbeDebugInfo& info, const probes::Outcome& outcome) {
  for (const auto& phase : outcome.phases) {
    log.Begin("info", "Phase").Field("phase", phase.name);
    if (info.kind == probes::HttpProbe::kKind && !BlackboxPhase(phase.name).empty())
      log.Field("blackbox_phase", BlackboxPhase(phase.name));
    log.Field("seconds", telemetry::MeanSeconds(phase).value_or(0))
        .Field("samples", static_cast<double>(phase.Count()))
        .End();
  }
}

void LogFacts(LogLine& log, const probes::Outcome& outcome) {
  for (const auto& [name, value] : outcome.notes) {
    if (name == "peer_address") {
      log.Begin("info", "Resolved target address").Field("ip", value).End();
    } else if (name != "tls_version") {
      log.Begin("info", "Note").Field("name", name).Field("value", value).End();
    }
  }
  if (const auto status = outcome.Counter("status")) {
    log.Begin("info", "Received HTTP response")
        .Field("status_code", *status)
        .Field("http_version", outcome.Counter("http_version").value_or(0))
        .Field("content_length", outcome.Counter("content_length").value_or(-1))
        .Field("body_bytes", outcome.Counter("bytes").value_or(0))
        .End();
  }
  if (const auto version = Note(outcome, "tls_version")) {
    log.Begin("info", "TLS handshake").Field("version", *version);
    if (const auto expiry = outcome.Counter("cert_expiry")) {
      log.Field("earliest_cert_expiry", common::FormatUtc(*expiry, common::kRfc3339));
    }
    log.End();
  }
  for (const auto& [name, value] : outcome.counters) {
    if (name == "status" || name == "http_version" || name == "content_length" || name == "bytes" ||
        name.ends_with("_expiry"))
      continue;
    log.Begin("info", "Counter").Field("name", name).Field("value", value).End();
  }
}

}  // namespace

std::string RenderProbeResult(const std::string& kind, const probes::Outcome& outcome,
                              double seconds) {
  if (kind == probes::HttpProbe::kKind) return RenderHttp(outcome, seconds);
  std::string out;
  Gauge(out, "probe_success", "Whether the probe succeeded (1) or not (0).", outcome.ok() ? 1 : 0);
  Gauge(out, "probe_duration_seconds", "How long the probe took, in seconds.", seconds);
  AppendOwnSeries(out, outcome);
  for (const auto& [name, value] : outcome.counters) {
    const std::string metric = "probe_" + MetricPart(kind) + "_" + MetricPart(name);
    Gauge(out, metric, "The run's " + name + " (a counter of the " + kind + " kind).", value);
  }
  return out;
}

std::string RenderProbeDebug(const ProbeDebugInfo& info, const probes::Outcome& outcome,
                             double seconds, const std::string& metrics,
                             const common::Redactor& secrets) {
  std::string out = "Logs for the probe:\n";
  LogLine log{out, info.module};
  log.Begin("info", "Beginning probe")
      .Field("probe", info.kind)
      .Field("target", info.target)
      .Field("timeout_seconds", info.timeout_seconds)
      .End();
  log.Begin("info", "Target as parsed").Field("target", info.parsed).End();
  LogPhases(log, info, outcome);
  LogFacts(log, outcome);
  if (outcome.ok()) {
    log.Begin("info", "Probe succeeded").Field("duration_seconds", seconds).End();
  } else {
    log.Begin("error", "Probe failed")
        .Field("error_kind", ErrorName(outcome))
        .Field("error", outcome.skipped ? outcome.skip_reason : outcome.error->detail)
        .Field("duration_seconds", seconds)
        .End();
  }
  out += "\n\n\nMetrics that would have been returned:\n" + metrics;
  return secrets.Scrub(out);
}

}  // namespace reznet::api
