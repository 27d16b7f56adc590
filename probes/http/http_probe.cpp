#include "probes/http/http_probe.hpp"

#include <strings.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "common/json.hpp"
#include "config/module.hpp"

namespace reznet::probes {
namespace {

std::string Shorten(std::string_view s, std::size_t max = 120) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "…";
}

// The JSON value as text for comparison: strings unquoted, numbers/bools/null as written in JSON.
std::string ValueText(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) return common::JsonNumber(v.as_double());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_null()) return "null";
  return boost::json::serialize(v);
}

// The Content-Length header's value; -1 when the response has none (chunked, or delimited by
// the close), as Go's http.Response.ContentLength and so blackbox_exporter say it.
double ContentLength(const clients::Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name.size() != 14 || strncasecmp(name.c_str(), "content-length", 14) != 0) continue;
    double n = -1;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    return ec == std::errc() && ptr == value.data() + value.size() ? n : -1;
  }
  return -1;
}

// The connection's facts (GET /probe answers them as blackbox_exporter does; the certificate's
// expiry is also a series: Traits()).
void RecordPeer(Outcome& outcome, const clients::PeerInfo& peer) {
  if (peer.address.empty()) return;
  outcome.notes.erase(std::remove_if(outcome.notes.begin(), outcome.notes.end(),
                                     [](const auto& n) {
                                       return n.first == "peer_address" || n.first == "tls_version";
                                     }),
                      outcome.notes.end());
  outcome.notes.emplace_back("peer_address", peer.address);
  if (peer.tls_version.empty()) return;
  outcome.notes.emplace_back("tls_version", peer.tls_version);
  if (peer.cert_not_after)
    outcome.SetCounter("cert_expiry", static_cast<double>(*peer.cert_not_after));
  if (peer.verified_chain_not_after)
    outcome.SetCounter("verified_chain_expiry",
                       static_cast<double>(*peer.verified_chain_not_after));
}

}  // namespace

std::optional<ProbeError> CheckExpectations(const HttpSettings& s, const clients::HttpResponse& r) {
  if (s.expect_status.empty()) {
    if (r.status < 200 || r.status > 299) {
      return ProbeError{ErrorKind::kHttpStatus,
                        "status " + std::to_string(r.status) + ", expected 2xx"};
    }
  } else if (std::find(s.expect_status.begin(), s.expect_status.end(), r.status) ==
             s.expect_status.end()) {
    std::string want;
    for (int c : s.expect_status) want += (want.empty() ? "" : " or ") + std::to_string(c);
    return ProbeError{ErrorKind::kHttpStatus,
                      "status " + std::to_string(r.status) + ", expected " + want};
  }
  if (!s.expect_body_contains.empty() && r.body.find(s.expect_body_contains) == std::string::npos) {
    return ProbeError{ErrorKind::kAssertion,
                      "body does not contain \"" + Shorten(s.expect_body_contains) + "\""};
  }
  if (s.expect_json.empty()) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(r.body, ec);
  if (ec)
    return ProbeError{ErrorKind::kAssertion,
                      "body is not JSON (" + ec.message() + "): " + Shorten(r.body, 60)};
  for (const auto& want : s.expect_json) {
    const boost::json::value* cur = clients::Lookup(doc, want.path);
    if (cur == nullptr)
      return ProbeError{ErrorKind::kAssertion, "JSON field " + want.path.text + " is missing"};
    std::string got = ValueText(*cur);
    if (got != want.equals) {
      return ProbeError{ErrorKind::kAssertion, "JSON field " + want.path.text + " is \"" +
                                                   Shorten(got, 60) + "\", expected \"" +
                                                   Shorten(want.equals, 60) + "\""};
    }
  }
  return std::nullopt;
}

config::KindTraits HttpProbe::Traits() {
  return {.name = std::string(kKind),
          .phases = {"dns", "connect", "tls", "ttfb", "transfer", "total"},
          .metrics = {{.counter = "cert_expiry",
                       .name = "reznet_perf_http_cert_expiry_timestamp_seconds",
                       .help = "https: the earliest NotAfter of the certificates the target sent "
                               "at the last run that completed a TLS handshake, in Unix seconds."}},
          .chart_phase = "total",
          .default_samples = 30,
          .profiles = {"quick", "standard"},
          .address = config::UrlAddress,
          .settings_shared = true,
          .parse = &ParseSettings};
}

std::unique_ptr<Probe> HttpProbe::Create(const CreateArgs& args) {
  auto settings = std::dynamic_pointer_cast<const HttpSettings>(args.probe.settings);
  if (!settings || args.target == nullptr || !args.target->url) {
    throw std::invalid_argument("http probe " + args.probe.name + " built without a valid config");
  }
  clients::TlsOptions tls{args.target->ca_file, args.target->insecure_skip_verify};
  clients::HttpLimits limits;
  limits.max_body_bytes = static_cast<std::size_t>(settings->max_body_bytes);
  auto client =
      std::make_unique<clients::HttpClient>(args.executor, *args.target->url, tls, limits);
  return std::make_unique<HttpProbe>(std::move(settings), std::move(client));
}

HttpProbe::HttpProbe(std::shared_ptr<const HttpSettings> settings,
                     std::unique_ptr<clients::HttpClient> client)
    : settings_(std::move(settings)), client_(std::move(client)) {}

boost::asio::awaitable<Outcome> HttpProbe::Run(RunContext ctx) {
  Outcome outcome;
  const int samples = ctx.samples > 0 ? ctx.samples : settings_->samples;
  clients::HttpRequest request{settings_->method, settings_->path, settings_->headers,
                               settings_->body};
  for (int i = 0; i < samples; ++i) {
    clients::HttpTimings measured;
    auto response =
        co_await client_->Send(request, ctx.deadline, settings_->keep_alive, nullptr, &measured);
    const std::string which =
        samples > 1 ? "sample " + std::to_string(i + 1) + "/" + std::to_string(samples) + ": " : "";
    const auto& t = response ? response->timings : measured;
    RecordPeer(outcome, t.peer);
    if (t.dns) outcome.Record("dns", *t.dns);
    if (t.connect) outcome.Record("connect", *t.connect);
    if (t.tls) outcome.Record("tls", *t.tls);
    if (!response) {  // what was measured before the failure stays in the outcome
      outcome.Fail(response.error().kind, which + response.error().detail);
      break;
    }
    outcome.Record("ttfb", t.ttfb);
    outcome.Record("transfer", t.transfer);
    outcome.Record("total", t.total);
    outcome.SetCounter("status", response->status);
    outcome.SetCounter("bytes", static_cast<double>(response->body.size()));
    outcome.SetCounter("http_version", response->version / 10.0);
    outcome.SetCounter("content_length", ContentLength(response->headers));
    if (auto failed = CheckExpectations(*settings_, *response)) {
      outcome.Fail(failed->kind, which + failed->detail);
      break;
    }
  }
  co_return outcome;
}

}  // namespace reznet::probes
